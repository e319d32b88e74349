//! The AgentCore operations Switchboard uses, their checks, and the views the admin API shows.
//!
//! Control plane (`aws-sdk-bedrockagentcorecontrol`): API-key credential providers
//! (List/Get/Create/Update/Delete) and harnesses (List/Get/Create/Update/Delete). Data plane
//! (`aws-sdk-bedrockagentcore`): InvokeHarness, whose event stream becomes JSON events.

use aws_sdk_bedrockagentcore::types::{
    HarnessContentBlock, HarnessContentBlockDelta, HarnessContentBlockStart, HarnessConversationRole, HarnessMessage,
    HarnessReasoningContentBlockDelta, HarnessToolResultBlockDelta, InvokeHarnessStreamOutput,
};
use aws_sdk_bedrockagentcorecontrol::types::{
    Harness, HarnessLiteLlmModelConfig, HarnessModelConfiguration, HarnessSummary, HarnessSystemContentBlock,
    SecretReference, SecretSourceType, UpdatedHarnessMemoryConfiguration,
};
use aws_smithy_types::date_time::Format;
use futures::Stream;
use serde::Serialize;
use serde_json::{Value, json};

use super::harness_settings::{HarnessSettings, SettingsChange, settings_of};
use super::provider_secrets::{KeySecret, SecretRef};
use super::{AwsError, ClearKey, Clients, INVOKE_IDLE_TIMEOUT};
use crate::auth::registry::Registry;
use crate::store::agentcore::ProviderKeyRecord;

/// The credential provider name the seed article uses.
pub const DEFAULT_PROVIDER_NAME: &str = "litellm-proxy";
/// What LiteLLM inside the harness needs in front of a gateway alias.
pub const LITELLM_PREFIX: &str = "litellm_proxy/";
/// Pages read at most when listing (100 items each).
const MAX_PAGES: usize = 20;

// ---------------------------------------------------------------------------
// Checks made before anything is sent (AgentCore's own patterns)

/// `[a-zA-Z][a-zA-Z0-9_]{0,39}`: AgentCore refuses hyphens in harness names.
pub fn check_harness_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if first_ok && rest_ok && name.len() <= 40 {
        return Ok(());
    }
    let mut suggestion: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !suggestion.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        suggestion.insert_str(0, "h_");
    }
    suggestion.truncate(40);
    Err(format!(
        "harness name '{name}' does not match AgentCore's pattern [a-zA-Z][a-zA-Z0-9_]{{0,39}}: letters, digits and \
         underscores, starting with a letter, at most 40 characters, no hyphens. Try '{suggestion}'"
    ))
}

/// `[a-zA-Z0-9\-_]+`, 1–128 characters.
pub fn check_provider_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.len() <= 128 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Ok(());
    }
    Err(format!("credential provider name '{name}' must be 1 to 128 letters, digits, '-' or '_' (AgentCore's pattern)"))
}

/// `arn:aws[-partition]:iam::<12 digits>:role/<path and name>`.
pub fn check_execution_role(arn: &str) -> Result<(), String> {
    let fail = || {
        Err(format!(
            "execution role '{arn}' is not an IAM role ARN: expected arn:aws:iam::<12-digit account>:role/<name>, the \
             role AgentCore assumes to run the harness (trusting bedrock-agentcore.amazonaws.com)"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else { return fail() };
    let partition_ok = *partition == "aws" || partition.strip_prefix("aws-").is_some_and(|p| !p.is_empty());
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let name = resource.strip_prefix("role/").unwrap_or("");
    let name_ok = !name.is_empty()
        && name.len() <= 512
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
        && !name.ends_with('/');
    if *prefix == "arn" && partition_ok && *service == "iam" && region.is_empty() && account_ok && name_ok {
        Ok(())
    } else {
        fail()
    }
}

// The session ids InvokeHarness takes, shared with the `bedrock/agentcore/` provider.
pub use crate::providers::agentcore::{check_session_id, new_session_id};

/// The name of a credential provider from its ARN (`.../apikeycredentialprovider/<name>`).
pub fn provider_name_from_arn(arn: &str) -> Option<&str> {
    arn.rsplit_once("apikeycredentialprovider/").map(|(_, name)| name).filter(|n| !n.is_empty())
}

/// The gateway alias a model id names: `litellm_proxy/claude-haiku` → `claude-haiku`.
pub fn alias_of(model_id: &str) -> Option<&str> {
    model_id.strip_prefix(LITELLM_PREFIX)
}

/// Advice for errors LiteLLM raises inside a harness (they reach us as in-stream errors).
pub fn litellm_error_fix(message: &str) -> Option<String> {
    let m = message.to_ascii_lowercase();
    let fix = if m.contains("llm provider not provided") {
        "The harness's model id has no provider prefix, so LiteLLM inside the harness cannot tell where to send it: \
         it must be litellm_proxy/<alias> (for example litellm_proxy/claude-haiku). Pick the model again in the \
         harness form (Switchboard always sends the prefix), or PATCH /agentcore/harnesses/{id} with {\"model\": \
         \"<alias>\"}."
    } else if m.contains("authenticationerror") || m.contains("invalid api key") || m.contains("key is blocked") {
        "The gateway refused the key held by the harness's credential provider (unknown, blocked or expired): rotate \
         the provider's key (POST /agentcore/providers/{name}/rotate) and run the doctor."
    } else if m.contains("budget has been exceeded") || m.contains("exceededbudget") {
        "The key in the credential provider is out of budget: raise its max_budget (/key/update), or rotate the \
         provider to another key."
    } else if m.contains("not available for this api key") || m.contains("permissiondeniederror") {
        "The key in the credential provider may not call this model: add the alias to the key's or its team's \
         models (/key/update, /team/update)."
    } else if m.contains("invalid model name") {
        "The gateway has no model with this alias: pick one of the gateway's models for the harness."
    } else if m.contains("apiconnectionerror") || m.contains("connection refused") || m.contains("connecterror") {
        "The harness could not reach the gateway at its API base. It must be reachable from AWS: deploy the gateway, \
         or set general_settings.public_url to a public URL, and check /health/liveliness answers there."
    } else {
        return None;
    };
    Some(fix.to_string())
}

// ---------------------------------------------------------------------------
// Views

/// The key a credential provider holds, as far as the gateway knows it (never the key itself).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct KeyRef {
    /// SHA-256 hex of the key.
    pub token: String,
    pub key_alias: Option<String>,
    /// `sk-...abcd`.
    pub key_name: String,
    pub team_id: Option<String>,
    /// `active`, `blocked`, `expired`, or `deleted` (no longer a key of this gateway).
    pub status: &'static str,
}

impl KeyRef {
    pub fn of_record(record: &ProviderKeyRecord, registry: &Registry) -> KeyRef {
        let status = match registry.keys.get(&record.key_token) {
            None => "deleted",
            Some(k) if k.record.blocked => "blocked",
            Some(k) if k.is_expired(chrono::Utc::now()) => "expired",
            Some(_) => "active",
        };
        KeyRef {
            token: record.key_token.clone(),
            key_alias: record.key_alias.clone(),
            key_name: record.key_name.clone(),
            team_id: record.team_id.clone(),
            status,
        }
    }
}

/// An API-key credential provider.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub name: String,
    pub credential_provider_arn: String,
    pub created_time: Option<String>,
    pub last_updated_time: Option<String>,
    /// The key the gateway stored in it; `null` when it was not stored through this gateway.
    pub key: Option<KeyRef>,
    /// The Secrets Manager secret the key is read from, when it is a secret of yours (source
    /// `EXTERNAL`); `null` when AgentCore holds the key itself.
    pub key_secret: Option<KeySecret>,
}

/// A harness's model configuration, whatever its source.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
#[schema(as = HarnessModelConfig)]
pub struct ModelView {
    /// `litellm`, `bedrock`, `openai`, `gemini` or `unknown`.
    pub source: &'static str,
    pub model_id: String,
    /// The gateway alias (LiteLLM model ids with the `litellm_proxy/` prefix).
    pub alias: Option<String>,
    pub api_key_arn: Option<String>,
    pub api_base: Option<String>,
    pub max_tokens: Option<i32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
}

/// A harness, as listed or as shown in full.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct HarnessView {
    pub harness_id: String,
    pub harness_name: String,
    pub arn: String,
    pub status: String,
    pub failure_reason: Option<String>,
    pub harness_version: Option<String>,
    pub execution_role_arn: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub model: Option<ModelView>,
    pub system_prompt: Option<String>,
    /// Tools, skills, memory, truncation, limits and environment (secret values hidden).
    #[serde(flatten)]
    pub settings: HarnessSettings,
    /// The credential provider the model uses, with the key the gateway stored in it.
    pub credential_provider: Option<ProviderRef>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderRef {
    pub name: Option<String>,
    pub credential_provider_arn: String,
    pub key: Option<KeyRef>,
}

pub(crate) fn iso(t: &aws_smithy_types::DateTime) -> Option<String> {
    (t.secs() != 0 || t.subsec_nanos() != 0).then(|| t.fmt(Format::DateTime).ok()).flatten()
}

/// f32 members travel as f32 (0.2 becomes 0.20000000298…): shown rounded.
fn round(v: Option<f32>) -> Option<f64> {
    v.map(|x| (f64::from(x) * 10_000.0).round() / 10_000.0)
}

pub fn model_view(model: &HarnessModelConfiguration) -> ModelView {
    match model {
        HarnessModelConfiguration::LiteLlmModelConfig(c) => ModelView {
            source: "litellm",
            model_id: c.model_id().to_string(),
            alias: alias_of(c.model_id()).map(str::to_string),
            api_key_arn: c.api_key_arn().map(str::to_string),
            api_base: c.api_base().map(str::to_string),
            max_tokens: c.max_tokens(),
            temperature: round(c.temperature()),
            top_p: round(c.top_p()),
        },
        HarnessModelConfiguration::BedrockModelConfig(c) => ModelView {
            source: "bedrock",
            model_id: c.model_id().to_string(),
            max_tokens: c.max_tokens(),
            temperature: round(c.temperature()),
            top_p: round(c.top_p()),
            ..Default::default()
        },
        HarnessModelConfiguration::OpenAiModelConfig(c) => ModelView {
            source: "openai",
            model_id: c.model_id().to_string(),
            api_key_arn: Some(c.api_key_arn().to_string()),
            api_base: c.api_base().map(str::to_string),
            ..Default::default()
        },
        HarnessModelConfiguration::GeminiModelConfig(c) => ModelView {
            source: "gemini",
            model_id: c.model_id().to_string(),
            api_key_arn: Some(c.api_key_arn().to_string()),
            ..Default::default()
        },
        _ => ModelView { source: "unknown", ..Default::default() },
    }
}

pub fn harness_view(h: &Harness) -> HarnessView {
    let prompt: Vec<&str> = h.system_prompt().iter().filter_map(|b| b.as_text().ok()).map(String::as_str).collect();
    HarnessView {
        harness_id: h.harness_id().to_string(),
        harness_name: h.harness_name().to_string(),
        arn: h.arn().to_string(),
        status: h.status().as_str().to_string(),
        failure_reason: h.failure_reason().map(str::to_string),
        harness_version: h.harness_version().map(str::to_string),
        execution_role_arn: Some(h.execution_role_arn().to_string()).filter(|r| !r.is_empty()),
        created_at: iso(h.created_at()),
        updated_at: iso(h.updated_at()),
        model: h.model().map(model_view),
        system_prompt: (!prompt.is_empty()).then(|| prompt.join("\n\n")),
        settings: settings_of(h).hidden(),
        credential_provider: None,
    }
}

pub fn summary_view(h: &HarnessSummary) -> HarnessView {
    HarnessView {
        harness_id: h.harness_id().to_string(),
        harness_name: h.harness_name().to_string(),
        arn: h.arn().to_string(),
        status: h.status().as_str().to_string(),
        harness_version: h.harness_version().map(str::to_string),
        created_at: iso(h.created_at()),
        updated_at: iso(h.updated_at()),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------
// Credential providers

/// A credential provider as AgentCore describes it.
#[derive(Debug, Clone)]
pub struct ProviderInfo {
    pub name: String,
    pub arn: String,
    pub created_time: Option<String>,
    pub last_updated_time: Option<String>,
    /// Where its key is kept (`None` in lists, which do not say).
    pub key_secret: Option<KeySecret>,
}

/// What a credential provider is given: the key itself, or the secret of yours that holds it.
pub enum ProviderKey {
    Clear(ClearKey),
    Secret(SecretRef),
}

fn key_secret(
    arn: Option<&aws_sdk_bedrockagentcorecontrol::types::Secret>,
    json_key: Option<&str>,
    source: Option<&aws_sdk_bedrockagentcorecontrol::types::SecretSourceType>,
) -> Option<KeySecret> {
    let arn = arn?.secret_arn().to_string();
    Some(KeySecret {
        secret_arn: arn,
        json_key: json_key.map(str::to_string),
        source: source.map(|s| s.as_str().to_string()).unwrap_or_else(|| "MANAGED".into()),
    })
}

pub async fn list_providers(c: &Clients) -> Result<Vec<ProviderInfo>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = c
            .control
            .list_api_key_credential_providers()
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListApiKeyCredentialProviders", e, &c.secrets))?;
        out.extend(page.credential_providers().iter().map(|p| ProviderInfo {
            name: p.name().to_string(),
            arn: p.credential_provider_arn().to_string(),
            created_time: iso(p.created_time()),
            last_updated_time: iso(p.last_updated_time()),
            key_secret: None,
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The provider, or `None` when AgentCore says it does not exist.
pub async fn get_provider(c: &Clients, name: &str) -> Result<Option<ProviderInfo>, AwsError> {
    match c.control.get_api_key_credential_provider().name(name).send().await {
        Ok(p) => Ok(Some(ProviderInfo {
            name: p.name().to_string(),
            arn: p.credential_provider_arn().to_string(),
            created_time: iso(p.created_time()),
            last_updated_time: iso(p.last_updated_time()),
            key_secret: key_secret(p.api_key_secret_arn(), p.api_key_secret_json_key(), p.api_key_secret_source()),
        })),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("GetApiKeyCredentialProvider", e, &c.secrets)),
    }
}

fn secrets_with(c: &Clients, key: &ProviderKey) -> Vec<String> {
    let mut s = c.secrets.clone();
    if let ProviderKey::Clear(key) = key {
        s.push(key.expose().to_string());
    }
    s
}

type KeyMembers = (Option<String>, Option<SecretReference>, Option<SecretSourceType>);

/// The members that say where the key is: `apiKey` with source `MANAGED` (also when a provider
/// that read a secret is given a key), or `apiKeySecretConfig` with source `EXTERNAL`.
fn key_members(operation: &str, key: &ProviderKey) -> Result<KeyMembers, AwsError> {
    Ok(match key {
        ProviderKey::Clear(k) => (Some(k.expose().to_string()), None, Some(SecretSourceType::Managed)),
        ProviderKey::Secret(r) => {
            let reference =
                SecretReference::builder().secret_id(&r.secret_id).json_key(&r.json_key).build().map_err(|e| {
                    AwsError::configuration(operation, "InvalidRequest", e.to_string(), "Name the secret.")
                })?;
            (None, Some(reference), Some(SecretSourceType::External))
        }
    })
}

pub async fn create_provider(c: &Clients, name: &str, key: &ProviderKey) -> Result<ProviderInfo, AwsError> {
    let (api_key, secret, source) = key_members("CreateApiKeyCredentialProvider", key)?;
    let out = c
        .control
        .create_api_key_credential_provider()
        .name(name)
        .set_api_key(api_key)
        .set_api_key_secret_config(secret)
        .set_api_key_secret_source(source)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateApiKeyCredentialProvider", e, &secrets_with(c, key)))?;
    Ok(ProviderInfo {
        name: out.name().to_string(),
        arn: out.credential_provider_arn().to_string(),
        created_time: None,
        last_updated_time: None,
        key_secret: key_secret(out.api_key_secret_arn(), out.api_key_secret_json_key(), out.api_key_secret_source()),
    })
}

pub async fn update_provider(c: &Clients, name: &str, key: &ProviderKey) -> Result<ProviderInfo, AwsError> {
    let (api_key, secret, source) = key_members("UpdateApiKeyCredentialProvider", key)?;
    let out = c
        .control
        .update_api_key_credential_provider()
        .name(name)
        .set_api_key(api_key)
        .set_api_key_secret_config(secret)
        .set_api_key_secret_source(source)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("UpdateApiKeyCredentialProvider", e, &secrets_with(c, key)))?;
    Ok(ProviderInfo {
        name: out.name().to_string(),
        arn: out.credential_provider_arn().to_string(),
        created_time: iso(out.created_time()),
        last_updated_time: iso(out.last_updated_time()),
        key_secret: key_secret(out.api_key_secret_arn(), out.api_key_secret_json_key(), out.api_key_secret_source()),
    })
}

pub async fn delete_provider(c: &Clients, name: &str) -> Result<(), AwsError> {
    c.control
        .delete_api_key_credential_provider()
        .name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DeleteApiKeyCredentialProvider", e, &c.secrets))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Harnesses

/// A LiteLLM model configuration as Switchboard sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiteLlmModel {
    /// Always `litellm_proxy/<alias>`.
    pub model_id: String,
    /// The ARN AgentCore returned for the credential provider.
    pub api_key_arn: Option<String>,
    pub api_base: Option<String>,
    pub max_tokens: Option<i32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
}

impl LiteLlmModel {
    /// The LiteLLM configuration of a harness's model, if that is its source.
    pub fn of(model: Option<&HarnessModelConfiguration>) -> Option<LiteLlmModel> {
        let c = model?.as_lite_llm_model_config().ok()?;
        Some(LiteLlmModel {
            model_id: c.model_id().to_string(),
            api_key_arn: c.api_key_arn().map(str::to_string),
            api_base: c.api_base().map(str::to_string),
            max_tokens: c.max_tokens(),
            temperature: c.temperature(),
            top_p: c.top_p(),
        })
    }

    fn to_sdk(&self, operation: &str) -> Result<HarnessModelConfiguration, AwsError> {
        let config = HarnessLiteLlmModelConfig::builder()
            .model_id(&self.model_id)
            .set_api_key_arn(self.api_key_arn.clone())
            .set_api_base(self.api_base.clone())
            .set_max_tokens(self.max_tokens)
            .set_temperature(self.temperature)
            .set_top_p(self.top_p)
            .build()
            .map_err(|e| AwsError::configuration(operation, "InvalidRequest", e.to_string(), "Check the model."))?;
        Ok(HarnessModelConfiguration::LiteLlmModelConfig(config))
    }
}

/// A harness to create.
#[derive(Debug, Clone)]
pub struct HarnessSpec {
    pub harness_name: String,
    pub execution_role_arn: String,
    pub model: LiteLlmModel,
    pub system_prompt: Option<String>,
    pub settings: SettingsChange,
}

/// Changes to a harness; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct HarnessChange {
    pub model: Option<LiteLlmModel>,
    pub system_prompt: Option<String>,
    pub execution_role_arn: Option<String>,
    pub settings: SettingsChange,
}

fn prompt_blocks(text: &str) -> Vec<HarnessSystemContentBlock> {
    vec![HarnessSystemContentBlock::Text(text.to_string())]
}

fn missing_harness(operation: &str) -> AwsError {
    AwsError::configuration(operation, "EmptyResponse", "AgentCore answered without the harness", "Try again.")
}

pub async fn list_harnesses(c: &Clients) -> Result<Vec<HarnessSummary>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = c
            .control
            .list_harnesses()
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListHarnesses", e, &c.secrets))?;
        out.extend(page.harnesses().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn get_harness(c: &Clients, id: &str) -> Result<Harness, AwsError> {
    let out = c
        .control
        .get_harness()
        .harness_id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetHarness", e, &c.secrets))?;
    out.harness().cloned().ok_or_else(|| missing_harness("GetHarness"))
}

fn sdk_settings(operation: &str, change: &SettingsChange) -> Result<super::harness_settings::SdkSettings, AwsError> {
    change
        .to_sdk()
        .map_err(|e| AwsError::configuration(operation, "InvalidRequest", e.0, "Check the harness's settings."))
}

pub async fn create_harness(c: &Clients, spec: &HarnessSpec) -> Result<Harness, AwsError> {
    let settings = sdk_settings("CreateHarness", &spec.settings)?;
    let out = c
        .control
        .create_harness()
        .harness_name(&spec.harness_name)
        .execution_role_arn(&spec.execution_role_arn)
        .model(spec.model.to_sdk("CreateHarness")?)
        .set_system_prompt(spec.system_prompt.as_deref().filter(|p| !p.is_empty()).map(prompt_blocks))
        .set_tools(settings.tools)
        .set_allowed_tools(settings.allowed_tools)
        .set_skills(settings.skills)
        .set_memory(settings.memory.flatten())
        .set_truncation(settings.truncation)
        .set_hooks(settings.hooks.filter(|h| !h.is_empty()))
        .set_environment_variables(settings.environment_variables.filter(|e| !e.is_empty()))
        .set_max_iterations(spec.settings.max_iterations)
        .set_max_tokens(spec.settings.invocation_max_tokens)
        .set_timeout_seconds(spec.settings.timeout_seconds)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateHarness", e, &c.secrets))?;
    out.harness().cloned().ok_or_else(|| missing_harness("CreateHarness"))
}

pub async fn update_harness(c: &Clients, id: &str, change: &HarnessChange) -> Result<Harness, AwsError> {
    let model = change.model.as_ref().map(|m| m.to_sdk("UpdateHarness")).transpose()?;
    let settings = sdk_settings("UpdateHarness", &change.settings)?;
    // Memory is wrapped so that it can be cleared: an empty wrapper removes it.
    let memory = settings.memory.map(|m| UpdatedHarnessMemoryConfiguration::builder().set_optional_value(m).build());
    let out = c
        .control
        .update_harness()
        .harness_id(id)
        .set_model(model)
        .set_system_prompt(change.system_prompt.as_deref().map(prompt_blocks))
        .set_execution_role_arn(change.execution_role_arn.clone())
        .set_tools(settings.tools)
        .set_allowed_tools(settings.allowed_tools)
        .set_skills(settings.skills)
        .set_memory(memory)
        .set_truncation(settings.truncation)
        .set_hooks(settings.hooks)
        .set_environment_variables(settings.environment_variables)
        .set_max_iterations(change.settings.max_iterations)
        .set_max_tokens(change.settings.invocation_max_tokens)
        .set_timeout_seconds(change.settings.timeout_seconds)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("UpdateHarness", e, &c.secrets))?;
    out.harness().cloned().ok_or_else(|| missing_harness("UpdateHarness"))
}

pub async fn delete_harness(c: &Clients, id: &str) -> Result<(), AwsError> {
    c.control
        .delete_harness()
        .harness_id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DeleteHarness", e, &c.secrets))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// InvokeHarness

/// Where a playground turn goes: a harness (at an endpoint), a session, and the trace (W3C
/// `traceparent`) the harness continues.
pub struct Invocation<'a> {
    pub harness_arn: &'a str,
    pub session_id: &'a str,
    pub trace_parent: &'a str,
    /// The endpoint (`qualifier`); `DEFAULT` when `None`.
    pub endpoint: Option<&'a str>,
}

/// Sends one user message to a harness. The answer is the harness's event stream, as JSON events
/// (see [`event_json`]); an error inside it is the stream's last item.
pub async fn invoke(
    c: &Clients,
    call: &Invocation<'_>,
    text: &str,
) -> Result<impl Stream<Item = Result<Value, AwsError>> + Send + 'static + use<>, AwsError> {
    let message = HarnessMessage::builder()
        .role(HarnessConversationRole::User)
        .content(HarnessContentBlock::Text(text.to_string()))
        .build()
        .map_err(|e| AwsError::configuration("InvokeHarness", "InvalidRequest", e.to_string(), "Check the message."))?;
    let output = c
        .runtime
        .invoke_harness()
        .harness_arn(call.harness_arn)
        .runtime_session_id(call.session_id)
        .trace_parent(call.trace_parent)
        .set_qualifier(call.endpoint.map(str::to_string))
        .messages(message)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("InvokeHarness", e, &c.secrets))?;
    let secrets = c.secrets.clone();
    Ok(futures::stream::unfold((output.stream, secrets, false), |(mut receiver, secrets, done)| async move {
        if done {
            return None;
        }
        loop {
            match tokio::time::timeout(INVOKE_IDLE_TIMEOUT, receiver.recv()).await {
                Ok(Ok(Some(event))) => match event_json(&event) {
                    Some(v) => return Some((Ok(v), (receiver, secrets, false))),
                    None => continue,
                },
                Ok(Ok(None)) => return None,
                Ok(Err(e)) => {
                    let error = match e.as_service_error() {
                        Some(service) => {
                            use aws_sdk_bedrockagentcore::types::error::InvokeHarnessStreamOutputError as E;
                            use aws_smithy_types::error::metadata::ProvideErrorMetadata;
                            // In-stream exceptions name their type in a header only: the SDK
                            // gives them no code, the variant says which one it is.
                            let code = match service {
                                E::RuntimeClientError(_) => "RuntimeClientError",
                                E::ValidationException(_) => "ValidationException",
                                E::InternalServerException(_) => "InternalServerException",
                                other => other.code().unwrap_or("StreamError"),
                            };
                            AwsError::in_stream(
                                "InvokeHarness",
                                code,
                                service.message().unwrap_or("the harness stream failed"),
                                &secrets,
                            )
                        }
                        None => AwsError::from_sdk("InvokeHarness", e, &secrets),
                    };
                    return Some((Err(error), (receiver, secrets, true)));
                }
                Err(_) => {
                    let error = AwsError::in_stream(
                        "InvokeHarness",
                        "Timeout",
                        &format!("the harness sent nothing for {} s", INVOKE_IDLE_TIMEOUT.as_secs()),
                        &secrets,
                    );
                    return Some((Err(error), (receiver, secrets, true)));
                }
            }
        }
    }))
}

/// One harness stream event as the admin API sends it: `{"type": ..., ...}`.
pub fn event_json(event: &InvokeHarnessStreamOutput) -> Option<Value> {
    Some(match event {
        InvokeHarnessStreamOutput::MessageStart(e) => json!({"type": "message_start", "role": e.role().as_str()}),
        InvokeHarnessStreamOutput::ContentBlockStart(e) => {
            let index = e.content_block_index();
            match e.start() {
                Some(HarnessContentBlockStart::ToolUse(t)) => json!({
                    "type": "tool_use_start", "index": index, "tool_use_id": t.tool_use_id(), "name": t.name(),
                    "tool_type": t.r#type().map(|t| t.as_str()), "server_name": t.server_name(),
                }),
                Some(HarnessContentBlockStart::ToolResult(t)) => json!({
                    "type": "tool_result_start", "index": index, "tool_use_id": t.tool_use_id(),
                    "status": t.status().map(|s| s.as_str()),
                }),
                _ => json!({"type": "content_block_start", "index": index}),
            }
        }
        InvokeHarnessStreamOutput::ContentBlockDelta(e) => {
            let index = e.content_block_index();
            match e.delta() {
                Some(HarnessContentBlockDelta::Text(t)) => json!({"type": "text", "index": index, "text": t}),
                Some(HarnessContentBlockDelta::ToolUse(t)) => {
                    json!({"type": "tool_use_input", "index": index, "input": t.input()})
                }
                Some(HarnessContentBlockDelta::ToolResult(parts)) => {
                    let content: Vec<Value> = parts
                        .iter()
                        .map(|p| match p {
                            HarnessToolResultBlockDelta::Text(t) => json!({"text": t}),
                            HarnessToolResultBlockDelta::Json(d) => {
                                json!({"json": crate::providers::bedrock::document::to_json(d)})
                            }
                            _ => json!({}),
                        })
                        .collect();
                    json!({"type": "tool_result", "index": index, "content": content})
                }
                Some(HarnessContentBlockDelta::ReasoningContent(r)) => match r {
                    HarnessReasoningContentBlockDelta::Text(t) => {
                        json!({"type": "reasoning", "index": index, "text": t})
                    }
                    _ => json!({"type": "reasoning", "index": index, "text": null}),
                },
                Some(HarnessContentBlockDelta::ToolResultMetadata(m)) => {
                    json!({"type": "tool_result_metadata", "index": index, "metadata": m.metadata()})
                }
                _ => return None,
            }
        }
        InvokeHarnessStreamOutput::ContentBlockStop(e) => {
            json!({"type": "content_block_stop", "index": e.content_block_index()})
        }
        InvokeHarnessStreamOutput::MessageStop(e) => {
            json!({"type": "message_stop", "stop_reason": e.stop_reason().as_str()})
        }
        InvokeHarnessStreamOutput::Metadata(e) => {
            let usage = e.usage().map(|u| {
                json!({
                    "input_tokens": u.input_tokens(), "output_tokens": u.output_tokens(),
                    "total_tokens": u.total_tokens(), "cache_read_input_tokens": u.cache_read_input_tokens(),
                    "cache_write_input_tokens": u.cache_write_input_tokens(),
                })
            });
            json!({"type": "metadata", "usage": usage, "latency_ms": e.metrics().map(|m| m.latency_ms())})
        }
        InvokeHarnessStreamOutput::HookEvent(e) => json!({
            "type": "hook", "hook_event_id": e.hook_event_id(), "name": e.name(), "hook_type": e.r#type().as_str(),
            "decision": e.decision().map(|d| d.as_str()), "reason": e.reason(),
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harness_names_follow_agentcore() {
        assert!(check_harness_name("litellm_harness").is_ok());
        assert!(check_harness_name("H").is_ok());
        let e = check_harness_name("litellm-harness").unwrap_err();
        assert!(e.contains("no hyphens") && e.contains("'litellm_harness'"), "{e}");
        assert!(check_harness_name("1harness").unwrap_err().contains("'h_1harness'"));
        assert!(check_harness_name(&"a".repeat(41)).is_err());
        assert!(check_harness_name("").is_err());
    }

    #[test]
    fn provider_names_and_roles() {
        assert!(check_provider_name("litellm-proxy").is_ok());
        assert!(check_provider_name("bad name").is_err());
        assert!(check_execution_role("arn:aws:iam::123456789012:role/AgentCoreHarness").is_ok());
        assert!(check_execution_role("arn:aws:iam::123456789012:role/service-role/x.y@z").is_ok());
        assert!(check_execution_role("arn:aws-cn:iam::123456789012:role/x").is_ok());
        for bad in [
            "AgentCoreHarness",
            "arn:aws:iam::12345:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
        ] {
            assert!(check_execution_role(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sessions_and_arns() {
        assert!(check_session_id(&new_session_id()).is_ok());
        assert!(check_session_id("short").is_err());
        assert_eq!(
            provider_name_from_arn(
                "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/litellm-proxy"
            ),
            Some("litellm-proxy")
        );
        assert_eq!(alias_of("litellm_proxy/claude-haiku"), Some("claude-haiku"));
        assert_eq!(alias_of("claude-haiku"), None);
    }

    #[test]
    fn the_seed_error_gets_its_fix() {
        let fix = litellm_error_fix(
            "litellm.BadRequestError: LLM Provider NOT provided. Pass in the LLM provider you are trying to call. You passed model=claude-haiku",
        )
        .unwrap();
        assert!(fix.contains("litellm_proxy/"), "{fix}");
        assert!(litellm_error_fix("something else").is_none());
    }
}
