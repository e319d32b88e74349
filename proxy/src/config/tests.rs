use super::*;

/// The config of the seed article, as written there (with the Terraform placeholder filled in).
const SEED_CONFIG: &str = r#"
model_list:
  - model_name: claude-sonnet
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0
      aws_region_name: us-east-1

  - model_name: claude-haiku
    litellm_params:
      model: bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0
      aws_region_name: us-east-1
"#;

#[test]
fn seed_config_loads_as_written() {
    let config = Config::from_yaml(SEED_CONFIG).expect("seed config must load");
    assert_eq!(config.models.len(), 2);
    let haiku = &config.models[1];
    assert_eq!(haiku.model_name, "claude-haiku");
    assert_eq!(haiku.provider, "bedrock");
    assert_eq!(haiku.provider_model, "us.anthropic.claude-haiku-4-5-20251001-v1:0");
    assert_eq!(haiku.params.aws_region_name.as_deref(), Some("us-east-1"));
    assert_eq!(haiku.id.len(), 64, "generated ids are SHA-256 hex like LiteLLM's");
    assert_ne!(config.models[0].id, haiku.id);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn empty_document_is_a_gateway_without_models() {
    let config = Config::from_yaml("").unwrap();
    assert!(config.models.is_empty());
}

#[test]
fn deployment_id_is_stable_and_model_info_id_wins() {
    let a = Config::from_yaml(SEED_CONFIG).unwrap();
    let b = Config::from_yaml(SEED_CONFIG).unwrap();
    assert_eq!(a.models[0].id, b.models[0].id);
    let c = Config::from_yaml(
        "model_list:\n  - model_name: x\n    litellm_params: {model: openai/gpt-4o}\n    model_info: {id: my-id, mode: chat}\n",
    )
    .unwrap();
    assert_eq!(c.models[0].id, "my-id");
    assert_eq!(c.models[0].model_info["mode"], "chat");
}

#[test]
fn environment_references_resolve_everywhere_and_environment_variables_come_first() {
    let config = Config::from_yaml(
        r#"
environment_variables:
  SB_CFG_TEST_UPSTREAM_KEY: sk-from-file
model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/SB_CFG_TEST_UPSTREAM_KEY
general_settings:
  master_key: os.environ/SB_CFG_TEST_UPSTREAM_KEY
"#,
    )
    .unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(config.models[0].params.api_key.as_ref().map(|k| k.expose_secret()), Some("sk-from-file"));
    assert_eq!(config.general.master_key.as_ref().map(|k| k.expose_secret()), Some("sk-from-file"));
    assert_eq!(config.environment["SB_CFG_TEST_UPSTREAM_KEY"], "sk-from-file");
}

#[test]
fn errors_name_the_entry_and_the_field() {
    let err = Config::from_yaml(
        r#"
model_list:
  - model_name: ok
    litellm_params: {model: openai/gpt-4o}
  - model_name: bad-timeout
    litellm_params: {model: openai/gpt-4o, timeout: soon}
  - model_name: no-prefix
    litellm_params: {model: claude-haiku}
  - model_name: missing-env
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/SB_CFG_TEST_NOT_SET_ANYWHERE}
  - litellm_params: {model: openai/gpt-4o}
  - model_name: no-params
  - model_name: half-aws
    litellm_params: {model: bedrock/x, aws_access_key_id: AKID}
  - model_name: role
    litellm_params: {model: bedrock/x, aws_role_name: r}
"#,
    )
    .unwrap_err();
    let text = err.to_string();
    for expected in [
        "model_list[1] (bad-timeout).litellm_params.timeout: invalid type: string \"soon\"",
        "model_list[2] (no-prefix).litellm_params.model: 'claude-haiku' has no provider prefix",
        "model_list[3].litellm_params.api_key: environment variable SB_CFG_TEST_NOT_SET_ANYWHERE is not set",
        "model_list[4].model_name: missing",
        "model_list[5] (no-params).litellm_params: missing",
        "model_list[6] (half-aws).litellm_params: aws_access_key_id and aws_secret_access_key must be given together",
        "model_list[7] (role).litellm_params.aws_role_name: not supported",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("model_list[0]"), "{text}");
}

#[test]
fn unknown_keys_are_reported_not_dropped_silently() {
    let config = Config::from_yaml(
        r#"
model_list:
  - model_name: gpt
    litellm_params: {model: openai/gpt-4o, temperature: 0.2, mystery: 1}
general_settings: {alerting: [slack], max_request_size_mb: 1}
guardrails: []
"#,
    )
    .unwrap();
    let w = config.warnings.join("\n");
    assert!(w.contains("model_list[0] (gpt).litellm_params.mystery"), "{w}");
    assert!(w.contains("general_settings.alerting"), "{w}");
    assert!(w.contains("guardrails: section not supported"), "{w}");
    assert_eq!(config.models[0].params.default_request_params["temperature"], 0.2);
    assert_eq!(config.general.max_request_size_bytes, 1024 * 1024);
}

#[test]
fn team_defaults_come_from_default_team_params_then_the_first_default_team_settings() {
    let config = Config::from_yaml(
        r#"
litellm_settings:
  default_team_params: {budget_duration: 30d, tpm_limit: 1000, team_member_permissions: [x]}
  default_team_settings:
    - {team_id: legacy, max_budget: 99, success_callback: [langfuse]}
"#,
    )
    .unwrap();
    let d = &config.litellm.team_defaults;
    assert_eq!(
        (d.max_budget, d.budget_duration.as_deref(), d.tpm_limit, d.rpm_limit),
        (Some(99.0), Some("30d"), Some(1000), None)
    );
    let w = config.warnings.join("\n");
    assert!(w.contains("default_team_params.team_member_permissions: not supported"), "{w}");
    assert!(
        w.contains("default_team_settings[0].success_callback: per-team logging settings are not supported"),
        "{w}"
    );

    let with_own = Config::from_yaml(
        "litellm_settings:\n  default_team_params: {max_budget: 5}\n  default_team_settings: [{team_id: t, max_budget: 99}]\n",
    )
    .unwrap();
    assert_eq!(with_own.litellm.team_defaults.max_budget, Some(5.0), "default_team_params wins");

    let err = Config::from_yaml(
        "litellm_settings:\n  default_team_params: {max_budget: -1, budget_duration: fortnight}\n  default_team_settings: [{max_budget: 1}]\n",
    )
    .unwrap_err()
    .to_string();
    for expected in [
        "litellm_settings.default_team_settings[0]: team_id missing",
        "litellm_settings.default_team_params.max_budget: must be a number of USD, 0 or more",
        "litellm_settings.default_team_params.budget_duration:",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn model_group_alias_must_name_a_group() {
    let err = Config::from_yaml(
        "model_list:\n  - model_name: a\n    litellm_params: {model: openai/x}\nrouter_settings:\n  model_group_alias: {b: nope}\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("router_settings.model_group_alias.b: names model group 'nope'"), "{err}");
}

#[test]
fn malformed_yaml_is_a_clear_error() {
    let err = Config::from_yaml("model_list: [\n").unwrap_err();
    assert!(err.to_string().contains("not valid YAML"), "{err}");
}

#[test]
fn secrets_never_print() {
    let config = Config::from_yaml(
        r#"
model_list:
  - model_name: gpt
    litellm_params: {model: openai/gpt-4o, api_key: sk-upstream-secret-1}
  - model_name: claude
    litellm_params: {model: bedrock/x, aws_access_key_id: AKID, aws_secret_access_key: aws-secret-2, aws_session_token: aws-token-3}
general_settings:
  master_key: sk-master-secret-4
  database_url: postgres://user:db-password-5@db/x
  agentcore: {aws_access_key_id: AKID2, aws_secret_access_key: agentcore-secret-6, aws_session_token: agentcore-token-7}
"#,
    )
    .unwrap();
    let printed = format!("{config:?} {:?} {:#?}", config.models, config.general);
    for secret in [
        "sk-upstream-secret-1",
        "aws-secret-2",
        "aws-token-3",
        "sk-master-secret-4",
        "db-password-5",
        "agentcore-secret-6",
        "agentcore-token-7",
    ] {
        assert!(!printed.contains(secret), "{secret} printed by Debug");
    }
    assert!(printed.contains("REDACTED"), "{printed}");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// YAML scalars and small structures of any shape, as a user might mistype them.
    fn yaml_value() -> impl Strategy<Value = serde_yaml::Value> {
        let leaf = prop_oneof![
            Just(serde_yaml::Value::Null),
            any::<bool>().prop_map(serde_yaml::Value::Bool),
            any::<i64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
            any::<f64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
            "\\PC{0,12}".prop_map(serde_yaml::Value::String),
            prop_oneof![
                Just("os.environ/SB_PROPTEST_UNSET"),
                Just("openai/gpt-4o"),
                Just("bedrock/x"),
                Just("http://127.0.0.1:9"),
            ]
            .prop_map(|s| serde_yaml::Value::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_yaml::Value::Sequence),
                proptest::collection::vec(
                    (
                        prop_oneof![
                            Just("model_list".to_string()),
                            Just("model_name".to_string()),
                            Just("litellm_params".to_string()),
                            Just("model".to_string()),
                            Just("api_base".to_string()),
                            Just("timeout".to_string()),
                            Just("general_settings".to_string()),
                            Just("master_key".to_string()),
                            Just("router_settings".to_string()),
                            Just("model_group_alias".to_string()),
                            Just("model_info".to_string()),
                            Just("environment_variables".to_string()),
                            "\\PC{0,8}",
                        ],
                        inner
                    ),
                    0..5
                )
                .prop_map(|pairs| {
                    serde_yaml::Value::Mapping(
                        pairs.into_iter().map(|(k, v)| (serde_yaml::Value::String(k), v)).collect(),
                    )
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any text: a config or an error, never a panic.
        #[test]
        fn any_text_loads_or_fails_cleanly(text in "\\PC{0,200}") {
            let _ = Config::from_yaml(&text);
        }

        /// Any document shape: a config or errors that name a field.
        #[test]
        fn any_shape_loads_or_names_the_problem(doc in yaml_value()) {
            let text = serde_yaml::to_string(&doc).unwrap();
            if let Err(e) = Config::from_yaml(&text) {
                prop_assert!(!e.problems.is_empty());
                prop_assert!(e.problems.iter().all(|p| !p.trim().is_empty()));
            }
        }

        /// Well-formed entries always load, keep their names and order, and get distinct ids.
        #[test]
        fn valid_entries_load(names in proptest::collection::vec("[a-z][a-z0-9-]{0,12}", 1..6)) {
            let mut yaml = String::from("model_list:\n");
            for (i, n) in names.iter().enumerate() {
                yaml.push_str(&format!(
                    "  - model_name: {n}\n    litellm_params: {{model: openai/m{i}, api_base: 'http://127.0.0.1:9/v1'}}\n"
                ));
            }
            let config = Config::from_yaml(&yaml).unwrap();
            let loaded: Vec<&str> = config.models.iter().map(|m| m.model_name.as_str()).collect();
            prop_assert_eq!(loaded, names.iter().map(String::as_str).collect::<Vec<_>>());
            let mut ids: Vec<&str> = config.models.iter().map(|m| m.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), names.len());
        }
    }
}

#[test]
fn router_settings_as_litellm_documents_them() {
    let config = Config::from_yaml(
        r#"
model_list:
  - model_name: a
    litellm_params: {model: openai/x, cooldown_time: 30, max_retries: 1}
  - model_name: b
    litellm_params: {model: openai/y}
  - model_name: "openai/*"
    litellm_params: {model: "openai/*"}
litellm_settings:
  num_retries: 4
  fallbacks: [{"a": ["b"]}]
  allowed_fails: 3
router_settings:
  routing_strategy: latency-based-routing
  routing_strategy_args: {lowest_latency_buffer: 0.5}
  context_window_fallbacks: [{"a": ["b"]}]
  default_fallbacks: ["b"]
  cooldown_time: 10
  num_retries: 1
  model_group_alias: {"gpt-4": "a", "hidden-b": {"model": "b", "hidden": true}}
"#,
    )
    .unwrap();
    let r = &config.router;
    assert_eq!(r.strategy, RoutingStrategy::LatencyBased);
    assert_eq!(r.lowest_latency_buffer, 0.5);
    assert_eq!(r.num_retries, Some(1), "router_settings wins over litellm_settings");
    assert_eq!(r.allowed_fails, Some(3), "router keys are read from litellm_settings too");
    assert_eq!(r.fallbacks.generic, vec![("a".to_string(), vec!["b".to_string()])]);
    assert_eq!(r.fallbacks.context_window.len(), 1);
    assert_eq!(r.fallbacks.default, vec!["b"]);
    assert_eq!(r.cooldown_time, Duration::from_secs(10));
    assert_eq!(r.model_group_alias["hidden-b"], GroupAlias { model: "b".into(), hidden: true });
    assert_eq!(config.models[0].params.cooldown_time, Some(30.0));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn router_mistakes_are_named_in_one_report() {
    let err = Config::from_yaml(
        r#"
model_list:
  - model_name: a
    litellm_params: {model: "*"}
router_settings:
  routing_strategy: fastest
  fallbacks: {"a": "b"}
  cooldown_time: -1
"#,
    )
    .unwrap_err()
    .to_string();
    for expected in [
        "model_list[0] (a).litellm_params.model: '*' has no provider prefix",
        "router_settings.routing_strategy: 'fastest' is not a routing strategy",
        "router_settings.fallbacks: must be a list",
        "router_settings.cooldown_time: must be a positive number",
    ] {
        assert!(err.contains(expected), "missing '{expected}' in:\n{err}");
    }
    // Seconds too large for a timer are a mistake named like any other, never a panic (found by
    // the property test below: 1.4e231).
    let err = Config::from_yaml(
        r#"
model_list:
  - model_name: a
    litellm_params: {model: openai/x, timeout: 1e300, stream_timeout: .nan}
router_settings:
  timeout: 1.4276769178139235e231
  retry_after: 1e20
litellm_settings:
  request_timeout: 1e10
"#,
    )
    .unwrap_err()
    .to_string();
    for expected in [
        "model_list[0] (a).litellm_params.timeout: must be a positive number of seconds",
        "model_list[0] (a).litellm_params.stream_timeout: must be a positive number of seconds",
        "router_settings.timeout: must be a positive number of seconds",
        "router_settings.retry_after: must be a number of seconds, 0 or more",
        "litellm_settings.request_timeout: must be a positive number of seconds",
    ] {
        assert!(err.contains(expected), "missing '{expected}' in:\n{err}");
    }
    let warned = Config::from_yaml(
        "model_list:\n  - model_name: a\n    litellm_params: {model: openai/x}\nrouter_settings:\n  fallbacks: [{\"a\": [\"later\"]}]\n  redis_host: localhost\n",
    )
    .unwrap();
    assert!(warned.warnings.iter().any(|w| w.contains("'later' is not in model_list")), "{:?}", warned.warnings);
    assert!(!warned.warnings.iter().any(|w| w.contains("redis")), "{:?}", warned.warnings);
    assert_eq!(
        warned.router.redis.as_ref().map(|u| u.expose_secret().to_string()).as_deref(),
        Some("redis://localhost:6379")
    );
}

#[test]
fn redis_comes_from_router_settings_as_litellm_names_it() {
    let config = |router: &str| {
        Config::from_yaml(&format!(
            "model_list: []
router_settings:
{router}"
        ))
        .unwrap()
        .router
        .redis
        .map(|u| u.expose_secret().to_string())
    };
    assert_eq!(
        config(
            "  redis_host: cache.internal
  redis_port: 6380
  redis_password: 'p@ss:w/rd'
"
        )
        .as_deref(),
        Some("redis://:p%40ss%3Aw%2Frd@cache.internal:6380")
    );
    assert_eq!(
        config(
            "  redis_url: redis://10.0.0.5:6379/2
  redis_host: ignored
"
        )
        .as_deref(),
        Some("redis://10.0.0.5:6379/2")
    );
}
