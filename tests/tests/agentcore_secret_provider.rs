//! Credential providers that read their key from a Secrets Manager secret of the user's
//! (`apiKeySecretConfig`, source EXTERNAL), with moto as Secrets Manager for the gateway and for
//! the AgentCore fake: the gateway learns which of its keys the secret holds (it never sends the
//! key), refuses secrets that hold no key of its own, the harness calls the gateway with the key
//! read from the secret, and a key rotated in the secret is followed by the harness and noticed by
//! the doctor.

use serde_json::json;
use switchboard_tests::MASTER_KEY;
use switchboard_tests::agentcore::{AgentCoreStack, ROLE, finding};
use switchboard_tests::moto::Moto;

const SECRET: &str = "harness/gateway-key";

fn creates(a: &AgentCoreStack) -> usize {
    a.fake
        .control_requests()
        .iter()
        .filter(|r| r.path.contains("ApiKeyCredentialProvider") && r.method == "POST" && !r.path.contains("Get"))
        .count()
}

#[tokio::test]
async fn a_provider_reads_its_key_from_a_secret_of_yours() {
    let moto = Moto::start();
    let a = AgentCoreStack::start_with_secrets_manager(&moto.url).await;
    let (_, key) = a.team_and_key("vault-team", "vault-key", &[]).await;
    let arn = moto.create_secret(SECRET, json!({"api_key": key, "owner": "platform"})).await;

    let (status, stored) = a
        .post(
            "/agentcore/providers",
            json!({"name": "litellm-proxy", "secret": {"secret_id": SECRET, "json_key": "api_key"}}),
        )
        .await;
    assert_eq!(status, 200, "{stored}");
    let provider = &stored["provider"];
    assert_eq!(provider["key"]["key_alias"], "vault-key", "the gateway knows which key the secret holds");
    assert_eq!(provider["key_secret"], json!({"secret_arn": arn, "json_key": "api_key", "source": "EXTERNAL"}));
    assert_eq!(stored["key_generated"], false);
    assert!(!stored.to_string().contains(&key));
    // AgentCore was given the secret, never the key.
    let create =
        a.fake.control_requests().into_iter().find(|r| r.path == "/identities/CreateApiKeyCredentialProvider").unwrap();
    assert!(create.body.get("apiKey").is_none(), "{}", create.body);
    assert_eq!(create.body["apiKeySecretConfig"], json!({"secretId": SECRET, "jsonKey": "api_key"}));
    assert_eq!(create.body["apiKeySecretSource"], "EXTERNAL");
    assert_eq!(a.fake.provider_secret("litellm-proxy"), Some((SECRET.to_string(), "api_key".to_string())));
    let (_, list) = a.get("/agentcore/providers").await;
    assert_eq!(list["providers"][0]["key"]["key_alias"], "vault-key", "{list}");

    // Secrets that hold no key of this gateway are refused before AgentCore is asked.
    let before = creates(&a);
    moto.create_secret("harness/other", json!({"api_key": "sk-not-a-key-of-this-gateway", "admin": MASTER_KEY})).await;
    for (secret, status, words) in [
        (json!({"secret_id": "harness/other", "json_key": "api_key"}), 400, "is not a key of this gateway"),
        (json!({"secret_id": "harness/other", "json_key": "admin"}), 400, "is the master key"),
        (json!({"secret_id": "harness/other", "json_key": "token"}), 400, "its members: admin, api_key"),
        (json!({"secret_id": "harness/missing", "json_key": "api_key"}), 404, "Secrets Manager GetSecretValue failed"),
        (json!({"secret_id": "", "json_key": "api_key"}), 400, "secret_id"),
    ] {
        let (s, e) = a.post("/agentcore/providers", json!({"name": "other", "secret": secret.clone()})).await;
        assert_eq!(s, status, "{secret} → {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(words), "{secret} → {e}");
        assert!(
            !e.to_string().contains("sk-not-a-key") && !e.to_string().contains(MASTER_KEY),
            "no value is echoed: {e}"
        );
    }
    let (s, e) = a
        .post(
            "/agentcore/providers",
            json!({"name": "other", "key": key, "secret": {"secret_id": SECRET, "json_key": "api_key"}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(creates(&a), before, "AgentCore was not asked");

    // A harness on that provider calls the gateway with the key from the secret.
    let (status, saved) = a
        .post(
            "/agentcore/harnesses",
            json!({"harness_name": "vaulted", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["harness"]["credential_provider"]["key"]["key_alias"], "vault-key");
    let id = saved["harness"]["harness_id"].as_str().unwrap().to_string();
    a.get(&format!("/agentcore/harnesses/{id}")).await;
    let invoke = |message: &'static str| {
        let (a, id) = (&a, id.clone());
        async move {
            let (status, events) =
                a.sse(&format!("/agentcore/harnesses/{id}/invoke"), json!({"message": message})).await;
            assert_eq!(status, 200, "{events:?}");
            assert_eq!(events.last().unwrap()["type"], "done", "{events:#?}");
            events
        }
    };
    let events = invoke("Hello from the vault").await;
    assert!(events.iter().any(|e| e["type"] == "gateway_call" && e["call"]["key_alias"] == "vault-key"), "{events:#?}");
    assert_eq!(a.fake.model_calls().last().unwrap().authorization.as_deref(), Some(format!("Bearer {key}").as_str()));
    let (_, report) = a.post("/agentcore/doctor", json!({"harness_id": id})).await;
    assert!(report["passed"].as_array().unwrap().iter().any(|p| p["check"] == "provider_secret_changed"), "{report:#}");

    // Rotated in Secrets Manager: the harness follows at once; the doctor says the record is behind.
    let (_, rotated_key) = a.team_and_key("vault-team-2", "vault-key-2", &[]).await;
    moto.put_secret(SECRET, json!({"api_key": rotated_key})).await;
    invoke("After the rotation").await;
    assert_eq!(
        a.fake.model_calls().last().unwrap().authorization.as_deref(),
        Some(format!("Bearer {rotated_key}").as_str())
    );
    let (_, report) = a.post("/agentcore/doctor", json!({"harness_id": id})).await;
    let changed = finding(&report, "provider_secret_changed").expect("the doctor sees the new key");
    assert!(changed["message"].as_str().unwrap().contains("vault-key-2"), "{changed}");
    assert_eq!(report["subject"]["key"]["key_alias"], "vault-key-2", "its other checks use the key the secret holds");
    // Rotating the provider to the secret again records the new key.
    let (status, again) = a
        .post("/agentcore/providers/litellm-proxy/rotate", json!({"secret": {"secret_id": arn, "json_key": "api_key"}}))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["provider"]["key"]["key_alias"], "vault-key-2");
    assert_eq!(again["previous_key"]["key_alias"], "vault-key");
    let (_, report) = a.post("/agentcore/doctor", json!({"harness_id": id})).await;
    assert!(finding(&report, "provider_secret_changed").is_none(), "{report:#}");

    // A secret holding something else: the doctor says the harness's calls will be refused.
    moto.put_secret(SECRET, json!({"api_key": "sk-revoked-long-ago"})).await;
    let (_, report) = a.post("/agentcore/doctor", json!({"harness_id": id})).await;
    let f = finding(&report, "provider_key_deleted").expect("a value that is no key of the gateway");
    assert!(f["message"].as_str().unwrap().contains("not a key of this gateway"), "{f}");
    assert!(!report.to_string().contains("sk-revoked-long-ago"));

    // The CLI takes the secret too.
    moto.put_secret(SECRET, json!({"api_key": key})).await;
    let (result, printed) =
        a.cli(&["providers", "create", "--name", "cli-vault", "--secret-id", SECRET, "--json-key", "api_key"]).await;
    assert!(result.is_ok(), "{result:?} {printed}");
    assert!(
        printed.contains("vault-key") && printed.contains(&format!("It reads the key from secret {arn} ('api_key')")),
        "{printed}"
    );
    let (result, printed) = a.cli(&["providers"]).await;
    assert!(result.is_ok());
    assert!(printed.contains(", read from secret"), "{printed}");
    assert!(!printed.contains(&key) && !printed.contains(&rotated_key));

    // Given a key again, the provider keeps the key itself.
    let (status, back) = a.post("/agentcore/providers/cli-vault/rotate", json!({"key": key})).await;
    assert_eq!(status, 200, "{back}");
    assert!(back["provider"]["key_secret"].is_null(), "{back}");
    assert_eq!(a.fake.provider_api_key("cli-vault").as_deref(), Some(key.as_str()));
    assert_eq!(a.fake.provider_secret("cli-vault"), None);
}
