//! `config.yaml` in LiteLLM's format, read and validated once at boot.
//!
//! Everything the rest of the gateway needs is turned into typed values here; handlers never
//! look at the file. Keys Switchboard does not use are reported as warnings (never silently
//! dropped), and every error names the entry and the field it is about.

mod env_refs;
mod router;
mod telemetry;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

pub use env_refs::EnvSource;
pub use router::{DEFAULT_NUM_RETRIES, Fallbacks, GroupAlias, RouterSettings, RoutingStrategy, parse_fallback_list};
pub use telemetry::{OtelSettings, TelemetrySettings};

/// The validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub models: Vec<ModelEntry>,
    pub general: GeneralSettings,
    pub litellm: LitellmSettings,
    pub router: RouterSettings,
    pub telemetry: TelemetrySettings,
    /// `environment_variables`: applied to the process before providers read their environment.
    pub environment: BTreeMap<String, String>,
    /// Keys that were read but are not used by Switchboard, one message each.
    pub warnings: Vec<String>,
}

/// One `model_list` entry: an alias (model group member) routed to one deployment.
#[derive(Debug, Clone)]
pub struct ModelEntry {
    /// Position in `model_list`, for messages.
    pub index: usize,
    /// The public name clients send as `model`.
    pub model_name: String,
    /// `litellm_params.model` as written, e.g. `bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0`.
    pub model: String,
    /// The provider prefix of `model` (`bedrock`, `openai`, ...).
    pub provider: String,
    /// `model` without the provider prefix: what the upstream is asked for.
    pub provider_model: String,
    pub params: LitellmParams,
    /// `model_info` as written (free-form; shown by `/model/info`).
    pub model_info: Map<String, Json>,
    /// Stable deployment id: `model_info.id`, else a hash of the entry as written.
    pub id: String,
}

impl ModelEntry {
    /// How messages refer to this entry: `model_list[1] (claude-haiku)`.
    pub fn label(&self) -> String {
        format!("model_list[{}] ({})", self.index, self.model_name)
    }
}

/// `litellm_params` of a deployment.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LitellmParams {
    pub model: String,
    pub api_base: Option<String>,
    pub api_key: Option<SecretString>,
    pub api_version: Option<String>,
    /// Azure: a Microsoft Entra ID token, sent as `Authorization: Bearer` instead of `api-key`.
    pub azure_ad_token: Option<SecretString>,
    pub organization: Option<String>,
    pub aws_region_name: Option<String>,
    pub aws_profile_name: Option<String>,
    pub aws_access_key_id: Option<String>,
    pub aws_secret_access_key: Option<SecretString>,
    pub aws_session_token: Option<SecretString>,
    pub aws_bedrock_runtime_endpoint: Option<String>,
    /// Seconds.
    pub timeout: Option<f64>,
    /// Seconds to the first streamed byte.
    pub stream_timeout: Option<f64>,
    pub max_retries: Option<u32>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub weight: Option<f64>,
    /// Seconds this deployment rests after failing (else `router_settings.cooldown_time`).
    pub cooldown_time: Option<f64>,
    pub input_cost_per_token: Option<f64>,
    pub output_cost_per_token: Option<f64>,
    /// Request parameters applied when the client does not send them (`temperature`, `max_tokens`, ...).
    #[serde(skip)]
    pub default_request_params: Map<String, Json>,
}

impl LitellmParams {
    /// Every secret this deployment holds, so that upstream messages can be scrubbed of them.
    pub fn secrets(&self) -> Vec<String> {
        [&self.api_key, &self.azure_ad_token, &self.aws_secret_access_key, &self.aws_session_token]
            .into_iter()
            .flatten()
            .map(|s| s.expose_secret())
            .filter(|s| s.len() >= 4)
            .map(str::to_string)
            .collect()
    }
}

/// `general_settings`.
#[derive(Debug, Clone)]
pub struct GeneralSettings {
    /// From `master_key` or the `LITELLM_MASTER_KEY` environment variable. `switchboard serve`
    /// makes one when neither is set (see `crate::master_key`); the server refuses to start
    /// without one.
    pub master_key: Option<SecretString>,
    /// From `database_url` or `DATABASE_URL` (it may hold a password).
    pub database_url: Option<SecretString>,
    /// Host names the gateway answers besides loopback names, its bind address and
    /// `public_url`'s host (`allowed_hosts`, `SWITCHBOARD_ALLOWED_HOSTS`): the DNS-rebinding guard.
    pub allowed_hosts: Vec<String>,
    /// Browser origins allowed besides the gateway's own, loopback pages and `public_url`
    /// (`LITELLM_CORS_ORIGINS`, comma-separated, as LiteLLM reads it).
    pub cors_origins: Vec<String>,
    /// Key for provider secrets stored in the database (`LITELLM_SALT_KEY`, else the master key).
    pub salt_key: Option<SecretString>,
    pub max_request_size_bytes: usize,
    /// An extra header clients may carry their key in (`litellm_key_header_name`).
    pub key_header_name: Option<String>,
    /// How often spend rows are written (`proxy_batch_write_at`, seconds).
    pub spend_flush_interval: Duration,
    /// Spend rows kept in memory while the database cannot take them (`spend_backlog_rows`).
    pub spend_backlog_rows: usize,
    /// The URL AWS reaches this gateway at (an AgentCore harness's LiteLLM API base):
    /// `public_url`, else `SWITCHBOARD_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `agentcore`: how the gateway reaches Amazon Bedrock AgentCore.
    pub agentcore: AgentCoreSettings,
    /// `metrics_token` (or `SWITCHBOARD_METRICS_TOKEN`): a bearer token for scraping `/metrics`.
    pub metrics_token: Option<SecretString>,
}

/// `general_settings.agentcore`. Everything is optional: by default the standard AWS
/// configuration applies (credential chain, profiles, `AWS_REGION`, `AWS_ENDPOINT_URL_*`), with a
/// profile and region chosen per request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentCoreSettings {
    /// Region when a request names none (else `AWS_REGION`, else the profile's).
    pub aws_region_name: Option<String>,
    /// Profile when a request names none.
    pub aws_profile_name: Option<String>,
    pub aws_access_key_id: Option<String>,
    pub aws_secret_access_key: Option<SecretString>,
    pub aws_session_token: Option<SecretString>,
    /// Endpoint of AgentCore Control (else `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL`).
    pub control_endpoint_url: Option<String>,
    /// Endpoint of the AgentCore data plane, for InvokeHarness (else `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`).
    pub runtime_endpoint_url: Option<String>,
    /// Endpoint of Secrets Manager, where credential providers' secrets are read (else
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER`).
    pub secrets_manager_endpoint_url: Option<String>,
}

impl Default for GeneralSettings {
    fn default() -> Self {
        Self {
            master_key: None,
            database_url: None,
            allowed_hosts: Vec::new(),
            cors_origins: Vec::new(),
            salt_key: None,
            max_request_size_bytes: DEFAULT_MAX_REQUEST_SIZE_MB * 1024 * 1024,
            key_header_name: None,
            spend_flush_interval: Duration::from_secs(1),
            spend_backlog_rows: DEFAULT_SPEND_BACKLOG_ROWS,
            public_url: None,
            agentcore: AgentCoreSettings::default(),
            metrics_token: None,
        }
    }
}

const DEFAULT_MAX_REQUEST_SIZE_MB: usize = 32;

/// Spend rows kept in memory while the database cannot take them (~2 KB each).
pub const DEFAULT_SPEND_BACKLOG_ROWS: usize = 100_000;

/// `litellm_settings` (its router keys are read into [`RouterSettings`]).
#[derive(Debug, Clone)]
pub struct LitellmSettings {
    pub request_timeout: Duration,
    /// `max_end_user_budget`: the budget of every customer without one of its own.
    pub max_end_user_budget: Option<f64>,
    /// `callbacks`, `success_callback` and `failure_callback` together: the integrations LiteLLM
    /// would load (`otel` and `prometheus` mean something here; others are reported).
    pub callbacks: Vec<String>,
    pub require_auth_for_metrics_endpoint: bool,
    pub prometheus_initialize_budget_metrics: bool,
    /// `store_audit_logs`: record admin changes in the audit log (`GET /audit`). On unless
    /// set to false: it costs one row per change, and LiteLLM's reason to default it off (an
    /// enterprise feature) does not apply.
    pub store_audit_logs: bool,
    /// What `/team/new` gives a team that does not say (`default_team_params`).
    pub team_defaults: TeamDefaults,
}

/// `litellm_settings.default_team_params` (and the older `default_team_settings`, whose first
/// entry's `max_budget` LiteLLM still reads): limits `/team/new` fills in when they are not sent.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct TeamDefaults {
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub tpm_limit: Option<u64>,
    pub rpm_limit: Option<u64>,
    pub organization_id: Option<String>,
    /// Keys Switchboard does not apply (reported at start).
    #[serde(flatten)]
    other: BTreeMap<String, serde_yaml::Value>,
}

impl Default for LitellmSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(600),
            max_end_user_budget: None,
            callbacks: Vec::new(),
            require_auth_for_metrics_endpoint: false,
            prometheus_initialize_budget_metrics: false,
            store_audit_logs: true,
            team_defaults: TeamDefaults::default(),
        }
    }
}

/// A configuration that cannot be used; each line names the entry and the field.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration{}:\n  - {}", source_suffix(.source_name), .problems.join("\n  - "))]
pub struct ConfigError {
    pub source_name: Option<String>,
    pub problems: Vec<String>,
}

fn source_suffix(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!(" in {n}")).unwrap_or_default()
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let (config, problems) = Self::load_report(path)?;
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { source_name: Some(path.display().to_string()), problems })
        }
    }

    /// Reads a config file, keeping what is valid beside the list of problems, so that one report
    /// can name every mistake (with those the providers find, see `gateway::provider_problems`).
    /// Only an unreadable file or a document that is not a YAML mapping fails outright.
    pub fn load_report(path: &Path) -> Result<(Config, Vec<String>), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            source_name: Some(path.display().to_string()),
            problems: vec![format!("cannot read the file: {e}")],
        })?;
        Self::parse(&text).map_err(|mut e| {
            e.source_name = Some(path.display().to_string());
            e
        })
    }

    /// Parses and validates a config document.
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        let (config, problems) = Self::parse(text)?;
        if problems.is_empty() { Ok(config) } else { Err(ConfigError { source_name: None, problems }) }
    }

    /// Parses a config document: the valid parts, and every problem found.
    pub fn parse(text: &str) -> Result<(Config, Vec<String>), ConfigError> {
        let fail = |problems: Vec<String>| ConfigError { source_name: None, problems };
        let doc: Value = if text.trim().is_empty() {
            Value::Mapping(Mapping::new())
        } else {
            serde_yaml::from_str(text).map_err(|e| fail(vec![format!("not valid YAML: {e}")]))?
        };
        let mut doc = match doc {
            Value::Mapping(m) => m,
            Value::Null => Mapping::new(),
            _ => {
                return Err(fail(vec!["the document must be a mapping with model_list, general_settings, ...".into()]));
            }
        };

        let mut problems = Vec::new();
        let mut warnings = Vec::new();

        let environment = match doc.remove("environment_variables") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Mapping(m)) => m
                .into_iter()
                .filter_map(|(k, v)| {
                    let key = k.as_str()?.to_string();
                    let value = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => {
                            problems.push(format!("environment_variables.{key}: must be a string"));
                            return None;
                        }
                    };
                    Some((key, value))
                })
                .collect(),
            Some(_) => {
                problems.push("environment_variables: must be a mapping of NAME: value".into());
                BTreeMap::new()
            }
        };

        // Hash deployments as written, before secrets are substituted into them.
        let written_params: Vec<Option<String>> = match doc.get("model_list") {
            Some(Value::Sequence(items)) => items.iter().map(|item| serde_yaml::to_string(item).ok()).collect(),
            _ => Vec::new(),
        };

        let env = EnvSource { overrides: &environment };
        for (key, value) in doc.iter_mut() {
            let section = key.as_str().unwrap_or_default();
            env_refs::resolve(value, section, &env, &mut problems);
        }

        let models = match doc.remove("model_list") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items
                .into_iter()
                .enumerate()
                .filter_map(|(index, item)| {
                    let written = written_params.get(index).cloned().flatten().unwrap_or_default();
                    parse_model_entry(index, item, &written, &mut problems, &mut warnings)
                })
                .collect(),
            Some(_) => {
                problems.push("model_list: must be a list of {model_name, litellm_params} entries".into());
                Vec::new()
            }
        };

        let general = parse_general(doc.remove("general_settings"), &mut problems, &mut warnings);
        let (litellm, router_keys) = parse_litellm(doc.remove("litellm_settings"), &mut problems, &mut warnings);
        let router = router::parse_router(doc.remove("router_settings"), router_keys, &mut problems, &mut warnings);
        let telemetry = TelemetrySettings {
            otel: telemetry::otel(&litellm.callbacks, &env, &mut warnings),
            metrics_token: general.metrics_token.clone(),
            require_auth_for_metrics: litellm.require_auth_for_metrics_endpoint,
            all_key_budgets: litellm.prometheus_initialize_budget_metrics,
        };

        for (key, _) in doc {
            let key = key.as_str().map(str::to_string).unwrap_or_else(|| format!("{key:?}"));
            warnings.push(format!("{key}: section not supported by Switchboard; ignored"));
        }

        for (alias, target) in &router.model_group_alias {
            if !models.iter().any(|m| m.model_name == target.model) {
                problems.push(format!(
                    "router_settings.model_group_alias.{alias}: names model group '{}', which model_list does not define",
                    target.model
                ));
            }
        }
        // Fallbacks may name groups added later through the API, so an unknown name is a warning.
        for (setting, group) in router.fallbacks.named_groups() {
            let known = models.iter().any(|m| m.model_name == group) || router.model_group_alias.contains_key(group);
            if !known {
                warnings.push(format!(
                    "router_settings.{setting}: model group '{group}' is not in model_list; calls fall back to it only once it is added"
                ));
            }
        }

        Ok((Config { models, general, litellm, router, telemetry, environment, warnings }, problems))
    }

    /// A model stored in the database (`/model/new`), validated like a `model_list` entry.
    pub fn model_entry(
        &self,
        model_id: &str,
        model_name: &str,
        litellm_params: &Map<String, Json>,
        model_info: &Map<String, Json>,
    ) -> Result<ModelEntry, String> {
        let mut info = model_info.clone();
        info.insert("id".into(), Json::String(model_id.to_string()));
        let item = serde_json::json!({"model_name": model_name, "litellm_params": litellm_params, "model_info": info});
        let mut value = serde_yaml::to_value(&item).map_err(|e| e.to_string())?;
        let mut problems = Vec::new();
        env_refs::resolve(&mut value, "model", &EnvSource { overrides: &self.environment }, &mut problems);
        let mut warnings = Vec::new();
        let entry = parse_model_entry(0, value, "", &mut problems, &mut warnings);
        match entry {
            Some(mut e) if problems.is_empty() => {
                e.index = self.models.len();
                Ok(e)
            }
            _ => Err(problems.join("; ").replace("model_list[0]", "model")),
        }
    }

    /// Sets `environment_variables` in the process environment, as LiteLLM does, so that the AWS
    /// credential chain and other providers see them.
    ///
    /// # Safety
    /// Must be called before any other thread is started (it mutates the process environment).
    pub unsafe fn apply_environment(&self) {
        for (k, v) in &self.environment {
            // SAFETY: the caller guarantees no other thread reads the environment concurrently.
            unsafe { std::env::set_var(k, v) };
        }
    }
}

/// `litellm_params` keys that are request parameters: applied as defaults to every call.
const DEFAULT_REQUEST_PARAM_KEYS: &[&str] = &[
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "reasoning_effort",
    "response_format",
    "parallel_tool_calls",
];

/// LiteLLM `litellm_params` keys that would change where or how a call is made; accepting them
/// silently would send requests somewhere other than where the user meant.
const UNSUPPORTED_PARAM_KEYS: &[&str] = &[
    "aws_role_name",
    "aws_session_name",
    "aws_web_identity_token",
    "aws_sts_endpoint",
    "aws_external_id",
    "vertex_project",
    "vertex_location",
    "vertex_credentials",
    "litellm_credential_name",
    "custom_llm_provider",
];

const TYPED_PARAM_KEYS: &[&str] = &[
    "model",
    "api_base",
    "api_key",
    "api_version",
    "azure_ad_token",
    "organization",
    "aws_region_name",
    "aws_profile_name",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_bedrock_runtime_endpoint",
    "timeout",
    "stream_timeout",
    "max_retries",
    "rpm",
    "tpm",
    "weight",
    "cooldown_time",
    "input_cost_per_token",
    "output_cost_per_token",
];

fn parse_model_entry(
    index: usize,
    item: Value,
    written: &str,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Option<ModelEntry> {
    let Value::Mapping(mut item) = item else {
        problems.push(format!("model_list[{index}]: must be a mapping with model_name and litellm_params"));
        return None;
    };
    let model_name = match item.remove("model_name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(_) => {
            problems.push(format!("model_list[{index}].model_name: must be a non-empty string"));
            return None;
        }
        None => {
            problems.push(format!("model_list[{index}].model_name: missing"));
            return None;
        }
    };
    let label = format!("model_list[{index}] ({model_name})");

    let Some(Value::Mapping(mut params_map)) = item.remove("litellm_params") else {
        problems.push(format!(
            "{label}.litellm_params: missing, or not a mapping; it needs at least `model: <provider>/<model id>`"
        ));
        return None;
    };

    let mut default_request_params = Map::new();
    let mut typed = Mapping::new();
    for (key, value) in std::mem::take(&mut params_map) {
        let Some(name) = key.as_str().map(str::to_string) else {
            problems.push(format!("{label}.litellm_params: keys must be strings"));
            continue;
        };
        if TYPED_PARAM_KEYS.contains(&name.as_str()) {
            typed.insert(key, value);
        } else if DEFAULT_REQUEST_PARAM_KEYS.contains(&name.as_str()) {
            match serde_json::to_value(&value) {
                Ok(v) => {
                    default_request_params.insert(name, v);
                }
                Err(e) => problems.push(format!("{label}.litellm_params.{name}: {e}")),
            }
        } else if UNSUPPORTED_PARAM_KEYS.contains(&name.as_str()) {
            problems.push(format!(
                "{label}.litellm_params.{name}: not supported by Switchboard yet (for AWS roles, use aws_profile_name with a profile that assumes the role)"
            ));
        } else {
            warnings.push(format!("{label}.litellm_params.{name}: not used by Switchboard; ignored"));
        }
    }

    let mut params: LitellmParams = match serde_path_to_error::deserialize(Value::Mapping(typed)) {
        Ok(p) => p,
        Err(e) => {
            let field = e.path().to_string();
            let field = if field == "." { String::new() } else { format!(".{field}") };
            problems.push(format!("{label}.litellm_params{field}: {}", e.into_inner()));
            return None;
        }
    };
    params.default_request_params = default_request_params;

    for (name, value) in [
        ("timeout", params.timeout),
        ("stream_timeout", params.stream_timeout),
        ("cooldown_time", params.cooldown_time),
    ] {
        if let Some(v) = value
            && positive_duration(v).is_none()
        {
            problems.push(format!("{label}.litellm_params.{name}: must be a positive number of seconds"));
        }
    }
    for (name, url) in
        [("api_base", &params.api_base), ("aws_bedrock_runtime_endpoint", &params.aws_bedrock_runtime_endpoint)]
    {
        if let Some(url) = url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            problems.push(format!("{label}.litellm_params.{name}: '{url}' is not an http(s) URL"));
        }
    }
    if params.aws_access_key_id.is_some() != params.aws_secret_access_key.is_some() {
        problems.push(format!(
            "{label}.litellm_params: aws_access_key_id and aws_secret_access_key must be given together"
        ));
    }

    let (provider, provider_model) = match params.model.split_once('/') {
        Some((p, m)) if !p.is_empty() && !m.is_empty() => (p.to_string(), m.to_string()),
        _ => match infer_provider(&params.model) {
            Some(p) => (p.to_string(), params.model.clone()),
            None => {
                problems.push(format!(
                    "{label}.litellm_params.model: '{}' has no provider prefix; write it as <provider>/<model id>, e.g. bedrock/{} or openai/{}",
                    params.model, params.model, params.model
                ));
                return None;
            }
        },
    };

    if provider.contains('*') {
        problems.push(format!(
            "{label}.litellm_params.model: '{}' leaves the provider open; name it, e.g. openai/* or bedrock/*",
            params.model
        ));
        return None;
    }
    if params.model.contains('*') && !model_name.contains('*') {
        problems.push(format!(
            "{label}.litellm_params.model: '{}' is a wildcard, so model_name must be one too (e.g. '*' or '{}/*'): the part of the requested name it matches fills the '*'",
            params.model, provider
        ));
        return None;
    }

    let model_info: Map<String, Json> = match item.remove("model_info") {
        None | Some(Value::Null) => Map::new(),
        Some(v @ Value::Mapping(_)) => match serde_json::to_value(&v) {
            Ok(Json::Object(m)) => m,
            _ => {
                problems.push(format!("{label}.model_info: must be a mapping with string keys"));
                Map::new()
            }
        },
        Some(_) => {
            problems.push(format!("{label}.model_info: must be a mapping"));
            Map::new()
        }
    };
    for (key, _) in item {
        let key = key.as_str().map(str::to_string).unwrap_or_default();
        warnings.push(format!("{label}.{key}: not used by Switchboard; ignored"));
    }

    let id = match model_info.get("id") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => hex::encode(Sha256::digest(written.as_bytes())),
    };

    Some(ModelEntry {
        index,
        model: params.model.clone(),
        model_name,
        provider,
        provider_model,
        params,
        model_info,
        id,
    })
}

/// LiteLLM infers a provider for well-known OpenAI model names written without a prefix.
pub fn infer_provider(model: &str) -> Option<&'static str> {
    const OPENAI_PREFIXES: &[&str] = &["gpt-", "o1", "o3", "o4", "chatgpt-", "text-embedding-"];
    OPENAI_PREFIXES.iter().any(|p| model.starts_with(p)).then_some("openai")
}

/// Reads the keys of a settings section through `take`, reporting type errors and unused keys.
struct Section {
    name: &'static str,
    map: Mapping,
}

impl Section {
    fn open(name: &'static str, value: Option<Value>, problems: &mut Vec<String>) -> Section {
        let map = match value {
            None | Some(Value::Null) => Mapping::new(),
            Some(Value::Mapping(m)) => m,
            Some(_) => {
                problems.push(format!("{name}: must be a mapping"));
                Mapping::new()
            }
        };
        Section { name, map }
    }

    fn take<T: serde::de::DeserializeOwned>(&mut self, key: &str, problems: &mut Vec<String>) -> Option<T> {
        let value = self.map.remove(key)?;
        if value.is_null() {
            return None;
        }
        match serde_yaml::from_value(value) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(format!("{}.{key}: {e}", self.name));
                None
            }
        }
    }

    /// Keys LiteLLM knows that have no effect here: reported, then dropped.
    fn finish(self, warnings: &mut Vec<String>) {
        for (key, _) in self.map {
            let key = key.as_str().map(str::to_string).unwrap_or_default();
            warnings.push(format!("{}.{key}: not supported by Switchboard; ignored", self.name));
        }
    }
}

fn parse_general(value: Option<Value>, problems: &mut Vec<String>, warnings: &mut Vec<String>) -> GeneralSettings {
    let mut s = Section::open("general_settings", value, problems);
    let mut g = GeneralSettings {
        master_key: s
            .take::<String>("master_key", problems)
            .or_else(|| std::env::var("LITELLM_MASTER_KEY").ok())
            .filter(|k| !k.is_empty())
            .map(SecretString::from),
        database_url: s
            .take::<String>("database_url", problems)
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .filter(|u| !u.is_empty())
            .map(SecretString::from),
        salt_key: std::env::var("LITELLM_SALT_KEY").ok().filter(|k| !k.is_empty()).map(SecretString::from),
        cors_origins: env_list("LITELLM_CORS_ORIGINS"),
        key_header_name: s.take::<String>("litellm_key_header_name", problems),
        ..GeneralSettings::default()
    };
    if let Some(secs) = s.take::<f64>("proxy_batch_write_at", problems) {
        match positive_duration(secs) {
            Some(d) => g.spend_flush_interval = d,
            None => problems.push("general_settings.proxy_batch_write_at: must be a positive number of seconds".into()),
        }
    }
    if let Some(rows) = s.take::<usize>("spend_backlog_rows", problems) {
        if rows == 0 {
            problems.push("general_settings.spend_backlog_rows: must be at least 1".into());
        } else {
            g.spend_backlog_rows = rows;
        }
    }
    g.public_url = s
        .take::<String>("public_url", problems)
        .or_else(|| std::env::var("SWITCHBOARD_PUBLIC_URL").ok())
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &g.public_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        problems.push(format!("general_settings.public_url: '{u}' must start with http:// or https://"));
    }
    g.agentcore = s.take("agentcore", problems).unwrap_or_default();
    g.metrics_token = s
        .take::<String>("metrics_token", problems)
        .or_else(|| std::env::var("SWITCHBOARD_METRICS_TOKEN").ok())
        .filter(|t| !t.is_empty())
        .map(SecretString::from);
    g.allowed_hosts = s.take::<Vec<String>>("allowed_hosts", problems).unwrap_or_default();
    g.allowed_hosts.extend(env_list("SWITCHBOARD_ALLOWED_HOSTS"));
    for host in &g.allowed_hosts {
        if host.is_empty() || host.contains(['/', ' ', ':']) && !host.starts_with('[') {
            problems.push(format!(
                "general_settings.allowed_hosts: '{host}' is not a host name (write gateway.example.com, .example.com or *)"
            ));
        }
    }
    // Always on in Switchboard: models added through the API are stored in the database.
    s.map.remove("store_model_in_db");
    if let Some(mb) = s.take::<f64>("max_request_size_mb", problems) {
        if mb.is_finite() && mb > 0.0 {
            g.max_request_size_bytes = (mb * 1024.0 * 1024.0) as usize;
        } else {
            problems.push("general_settings.max_request_size_mb: must be a positive number".into());
        }
    }
    s.finish(warnings);
    g
}

fn parse_litellm(
    value: Option<Value>,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> (LitellmSettings, router::SharedRouterKeys) {
    let mut s = Section::open("litellm_settings", value, problems);
    let router_keys = router::SharedRouterKeys::take(&mut s, problems);
    let mut l = LitellmSettings::default();
    if let Some(secs) = s.take::<f64>("request_timeout", problems) {
        match positive_duration(secs) {
            Some(d) => l.request_timeout = d,
            None => problems.push("litellm_settings.request_timeout: must be a positive number of seconds".into()),
        }
    }
    if let Some(budget) = s.take::<f64>("max_end_user_budget", problems) {
        if budget.is_finite() && budget >= 0.0 {
            l.max_end_user_budget = Some(budget);
        } else {
            problems.push("litellm_settings.max_end_user_budget: must be a number of USD, 0 or more".into());
        }
    }
    for key in ["callbacks", "success_callback", "failure_callback"] {
        for name in s.take::<Vec<String>>(key, problems).unwrap_or_default() {
            if !l.callbacks.contains(&name) {
                l.callbacks.push(name);
            }
        }
    }
    for name in &l.callbacks {
        // `/metrics` is always served; `otel` is read with the OTEL_* variables.
        if !matches!(name.as_str(), "prometheus" | "otel" | "opentelemetry") {
            warnings.push(format!("litellm_settings.callbacks: {name} is not supported by Switchboard; ignored"));
        }
    }
    l.require_auth_for_metrics_endpoint =
        s.take::<bool>("require_auth_for_metrics_endpoint", problems).unwrap_or(false);
    l.prometheus_initialize_budget_metrics =
        s.take::<bool>("prometheus_initialize_budget_metrics", problems).unwrap_or(false);
    if let Some(on) = s.take::<bool>("store_audit_logs", problems) {
        l.store_audit_logs = on;
    }
    l.team_defaults = parse_team_defaults(&mut s, problems, warnings);
    // Options whose LiteLLM meaning is already Switchboard's behaviour.
    for key in ["drop_params", "set_verbose", "json_logs", "telemetry"] {
        s.map.remove(key);
    }
    s.finish(warnings);
    (l, router_keys)
}

/// `default_team_params`, then `default_team_settings` — a list of per-team settings, each with
/// its `team_id`, whose first entry's `max_budget` LiteLLM's `/team/new` still falls back to.
/// LiteLLM also loads per-team logging callbacks from the latter; Switchboard has none to load.
fn parse_team_defaults(s: &mut Section, problems: &mut Vec<String>, warnings: &mut Vec<String>) -> TeamDefaults {
    let mut defaults = s.take::<TeamDefaults>("default_team_params", problems).unwrap_or_default();
    for key in std::mem::take(&mut defaults.other).into_keys() {
        warnings.push(format!("litellm_settings.default_team_params.{key}: not supported by Switchboard; ignored"));
    }
    let per_team = s.take::<Vec<serde_yaml::Mapping>>("default_team_settings", problems).unwrap_or_default();
    for (i, entry) in per_team.iter().enumerate() {
        if !entry.get("team_id").is_some_and(serde_yaml::Value::is_string) {
            problems.push(format!("litellm_settings.default_team_settings[{i}]: team_id missing"));
        }
        for key in
            entry.keys().filter_map(serde_yaml::Value::as_str).filter(|k| !matches!(*k, "team_id" | "max_budget"))
        {
            warnings.push(format!(
                "litellm_settings.default_team_settings[{i}].{key}: per-team logging settings are not supported by Switchboard; ignored"
            ));
        }
    }
    if defaults.max_budget.is_none() {
        defaults.max_budget = per_team.first().and_then(|e| e.get("max_budget")).and_then(serde_yaml::Value::as_f64);
    }
    if defaults.max_budget.is_some_and(|b| !(b.is_finite() && b >= 0.0)) {
        problems.push("litellm_settings.default_team_params.max_budget: must be a number of USD, 0 or more".into());
    }
    if let Some(d) = &defaults.budget_duration
        && let Err(e) = crate::limits::parse_duration(d)
    {
        problems.push(format!("litellm_settings.default_team_params.budget_duration: {e}"));
    }
    defaults
}

/// A comma-separated list from the environment (empty entries dropped).
fn env_list(name: &str) -> Vec<String> {
    std::env::var(name)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The longest time a setting may name, about 31 years: longer is a mistake, and would
/// overflow the clock arithmetic of timers.
const LONGEST_SECONDS: f64 = 1e9;

/// A positive number of seconds, at most [`LONGEST_SECONDS`], as a duration.
pub(crate) fn positive_duration(secs: f64) -> Option<Duration> {
    if secs > 0.0 && secs <= LONGEST_SECONDS { Duration::try_from_secs_f64(secs).ok() } else { None }
}

#[cfg(test)]
mod tests;
