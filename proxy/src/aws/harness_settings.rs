//! What a harness holds beside its model, system prompt and role: tools and `allowedTools`,
//! skills, memory, truncation, lifecycle hooks, its limits and environment variables.
//!
//! The admin API shows and takes them in AgentCore's own structure with snake_case names (the rest
//! of the API's style); AgentCore's camelCase names are accepted too, so a `get-harness` answer
//! pastes in. The checks here are the ones certain from AgentCore's model (required members,
//! one member per union, enums, a tool's configuration matching its type, positive counts); ranges
//! AgentCore does not publish are left to it.
//!
//! Values that may be secrets (environment variables, remote MCP headers) are never shown. A view
//! carries `<hidden:xxxxxxxx>` instead: a fingerprint keyed with a secret of this process, which
//! tells values apart (so a version diff sees a change) without revealing them. A form that sends
//! a fingerprint back keeps the value it stands for.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use aws_sdk_bedrockagentcorecontrol::types as sdk;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::providers::bedrock::document;

// ---------------------------------------------------------------------------
// Shapes

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolType {
    RemoteMcp,
    AgentcoreBrowser,
    AgentcoreGateway,
    InlineFunction,
    AgentcoreCodeInterpreter,
}

impl ToolType {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolType::RemoteMcp => "remote_mcp",
            ToolType::AgentcoreBrowser => "agentcore_browser",
            ToolType::AgentcoreGateway => "agentcore_gateway",
            ToolType::InlineFunction => "inline_function",
            ToolType::AgentcoreCodeInterpreter => "agentcore_code_interpreter",
        }
    }
}

/// A tool of the harness: `{"type": "remote_mcp", "name": "docs", "config": {"remote_mcp": {"url": ...}}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ToolSpec {
    #[serde(rename = "type")]
    pub tool_type: ToolType,
    /// Unique among the harness's tools; AgentCore infers one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The member named like the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ToolConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolConfig {
    #[serde(alias = "remoteMcp")]
    RemoteMcp(RemoteMcpTool),
    #[serde(alias = "agentCoreBrowser")]
    AgentcoreBrowser(BrowserTool),
    #[serde(alias = "agentCoreGateway")]
    AgentcoreGateway(GatewayTool),
    #[serde(alias = "inlineFunction")]
    InlineFunction(InlineFunctionTool),
    #[serde(alias = "agentCoreCodeInterpreter")]
    AgentcoreCodeInterpreter(CodeInterpreterTool),
}

impl ToolConfig {
    fn tool_type(&self) -> ToolType {
        match self {
            ToolConfig::RemoteMcp(_) => ToolType::RemoteMcp,
            ToolConfig::AgentcoreBrowser(_) => ToolType::AgentcoreBrowser,
            ToolConfig::AgentcoreGateway(_) => ToolType::AgentcoreGateway,
            ToolConfig::InlineFunction(_) => ToolType::InlineFunction,
            ToolConfig::AgentcoreCodeInterpreter(_) => ToolType::AgentcoreCodeInterpreter,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemoteMcpTool {
    pub url: String,
    /// Sent to the MCP server; values are hidden once saved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BrowserTool {
    /// A custom browser; AgentCore's own when left out.
    #[serde(default, alias = "browserArn", skip_serializing_if = "Option::is_none")]
    pub browser_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CodeInterpreterTool {
    /// A custom code interpreter; AgentCore's own when left out.
    #[serde(default, alias = "codeInterpreterArn", skip_serializing_if = "Option::is_none")]
    pub code_interpreter_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GatewayTool {
    #[serde(alias = "gatewayArn")]
    pub gateway_arn: String,
    #[serde(default, alias = "outboundAuth", skip_serializing_if = "Option::is_none")]
    pub outbound_auth: Option<OutboundAuth>,
}

/// How the harness authenticates to an AgentCore gateway: `{"aws_iam": {}}`, `{"none": {}}` or
/// `{"oauth": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboundAuth {
    #[serde(alias = "awsIam")]
    AwsIam(Empty),
    None(Empty),
    Oauth(OAuthProvider),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OAuthProvider {
    #[serde(alias = "providerArn")]
    pub provider_arn: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `CLIENT_CREDENTIALS`, `AUTHORIZATION_CODE` or `TOKEN_EXCHANGE`.
    #[serde(alias = "grantType")]
    pub grant_type: String,
    #[serde(default, alias = "customParameters", skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_parameters: BTreeMap<String, String>,
    #[serde(default, alias = "defaultReturnUrl", skip_serializing_if = "Option::is_none")]
    pub default_return_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InlineFunctionTool {
    /// Told to the model.
    pub description: String,
    /// The JSON Schema of the tool's input (an object).
    #[serde(alias = "inputSchema")]
    #[schema(value_type = Object)]
    pub input_schema: Value,
}

/// A skill: `{"path": "..."}`, `{"git": {...}}`, `{"s3": {"uri": ...}}` or `{"aws_skills": {"paths": [...]}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillSpec {
    Path(String),
    Git(GitSkill),
    S3(S3Skill),
    #[serde(alias = "awsSkills")]
    AwsSkills(AwsSkills),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GitSkill {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<GitAuth>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GitAuth {
    #[serde(alias = "credentialArn")]
    pub credential_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct S3Skill {
    pub uri: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AwsSkills {
    #[serde(default)]
    pub paths: Vec<String>,
}

/// Memory: `{"disabled": {}}`, an AgentCore Memory of yours (`agentcore_memory`), or one AgentCore
/// manages for the harness (`managed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemorySpec {
    Disabled(Empty),
    #[serde(alias = "agentCoreMemoryConfiguration")]
    AgentcoreMemory(AgentCoreMemory),
    #[serde(alias = "managedMemoryConfiguration")]
    Managed(ManagedMemory),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentCoreMemory {
    pub arn: String,
    #[serde(default, alias = "actorId", skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// Recent messages loaded from memory.
    #[serde(default, alias = "messagesCount", skip_serializing_if = "Option::is_none")]
    pub messages_count: Option<i32>,
    /// Long-term memory: namespace path template → retrieval settings.
    #[serde(default, alias = "retrievalConfig", skip_serializing_if = "BTreeMap::is_empty")]
    pub retrieval_config: BTreeMap<String, MemoryRetrieval>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemoryRetrieval {
    #[serde(default, alias = "topK", skip_serializing_if = "Option::is_none")]
    pub top_k: Option<i32>,
    /// 0 to 1.
    #[serde(default, alias = "relevanceScore", skip_serializing_if = "Option::is_none")]
    pub relevance_score: Option<f64>,
    #[serde(default, alias = "strategyId", skip_serializing_if = "Option::is_none")]
    pub strategy_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ManagedMemory {
    /// The memory AgentCore made (shown; ignored when sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Default SEMANTIC and SUMMARIZATION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategies: Option<Vec<MemoryStrategy>>,
    /// Days events are kept (default 30).
    #[serde(default, alias = "eventExpiryDuration", skip_serializing_if = "Option::is_none")]
    pub event_expiry_duration: Option<i32>,
    /// A customer-managed KMS key; cannot be changed after creation.
    #[serde(default, alias = "encryptionKeyArn", skip_serializing_if = "Option::is_none")]
    pub encryption_key_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MemoryStrategy {
    Semantic,
    Summarization,
    UserPreference,
    Episodic,
}

/// A lifecycle hook: `{"before_tool_call": {"name": "guard", "target": {"lambda": {"arn": ...}}}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HookSpec {
    #[serde(alias = "beforeInvocation")]
    BeforeInvocation(Hook),
    #[serde(alias = "afterInvocation")]
    AfterInvocation(Hook),
    #[serde(alias = "beforeToolCall")]
    BeforeToolCall(Hook),
    #[serde(alias = "afterToolCall")]
    AfterToolCall(Hook),
}

impl HookSpec {
    pub fn hook(&self) -> &Hook {
        match self {
            HookSpec::BeforeInvocation(h)
            | HookSpec::AfterInvocation(h)
            | HookSpec::BeforeToolCall(h)
            | HookSpec::AfterToolCall(h) => h,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hook {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<HookTarget>,
}

/// Where a hook event goes: a Lambda function (called, its answer awaited), an SNS topic or an
/// EventBridge bus (sent, not awaited).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HookTarget {
    Lambda(LambdaHook),
    Sns(ArnTarget),
    #[serde(alias = "eventBridge")]
    EventBridge(ArnTarget),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LambdaHook {
    pub arn: String,
    /// Seconds to wait for the function (AgentCore's default 60).
    #[serde(default, alias = "timeoutSeconds", skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    /// What happens when the function fails or times out (AgentCore's default `deny`).
    #[serde(default, alias = "failureMode", skip_serializing_if = "Option::is_none")]
    pub failure_mode: Option<HookFailureMode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HookFailureMode {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ArnTarget {
    pub arn: String,
}

/// How the conversation is cut to fit the model's context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TruncationSpec {
    pub strategy: TruncationStrategy,
    /// The member named like the strategy (none for `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<TruncationConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TruncationStrategy {
    None,
    SlidingWindow,
    Summarization,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TruncationConfig {
    #[serde(alias = "slidingWindow")]
    SlidingWindow(SlidingWindow),
    Summarization(Summarization),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlidingWindow {
    /// Recent messages kept.
    #[serde(default, alias = "messagesCount", skip_serializing_if = "Option::is_none")]
    pub messages_count: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Summarization {
    /// The share of the conversation summarized (above 0, at most 1).
    #[serde(default, alias = "summaryRatio", skip_serializing_if = "Option::is_none")]
    pub summary_ratio: Option<f64>,
    #[serde(default, alias = "preserveRecentMessages", skip_serializing_if = "Option::is_none")]
    pub preserve_recent_messages: Option<i32>,
    #[serde(default, alias = "summarizationSystemPrompt", skip_serializing_if = "Option::is_none")]
    pub summarization_system_prompt: Option<String>,
}

/// A harness's settings as AgentCore holds them (secret values hidden in views).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct HarnessSettings {
    pub tools: Vec<ToolSpec>,
    /// Tool names the agent may use (`*`: all, AgentCore's default).
    pub allowed_tools: Vec<String>,
    pub skills: Vec<SkillSpec>,
    pub memory: Option<MemorySpec>,
    pub truncation: Option<TruncationSpec>,
    pub hooks: Vec<HookSpec>,
    /// Agent-loop iterations per invocation.
    pub max_iterations: Option<i32>,
    /// Output tokens across all model calls of one invocation (AgentCore's harness `maxTokens`;
    /// the model's own `max_tokens` is per call).
    pub invocation_max_tokens: Option<i32>,
    pub timeout_seconds: Option<i32>,
    /// Values hidden (`<hidden:…>`).
    pub environment_variables: BTreeMap<String, String>,
}

/// What a create or an edit sends; `None` leaves a member as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsChange {
    pub tools: Option<Vec<ToolSpec>>,
    pub allowed_tools: Option<Vec<String>>,
    pub skills: Option<Vec<SkillSpec>>,
    /// `Some(None)` removes the memory configuration.
    pub memory: Option<Option<MemorySpec>>,
    pub truncation: Option<TruncationSpec>,
    pub hooks: Option<Vec<HookSpec>>,
    pub max_iterations: Option<i32>,
    pub invocation_max_tokens: Option<i32>,
    pub timeout_seconds: Option<i32>,
    /// The whole map, values in clear.
    pub environment_variables: Option<BTreeMap<String, String>>,
}

/// The settings members of the harness form.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SettingsForm {
    /// Replaces the tools (`[]` removes them all).
    #[serde(default)]
    pub tools: Option<Vec<ToolSpec>>,
    #[serde(default, alias = "allowedTools")]
    pub allowed_tools: Option<Vec<String>>,
    #[serde(default)]
    pub skills: Option<Vec<SkillSpec>>,
    /// `null` removes the memory configuration.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<MemorySpec>)]
    pub memory: Option<Option<MemorySpec>>,
    #[serde(default)]
    pub truncation: Option<TruncationSpec>,
    /// Replaces the hooks (`[]` removes them all).
    #[serde(default)]
    pub hooks: Option<Vec<HookSpec>>,
    #[serde(default, alias = "maxIterations")]
    pub max_iterations: Option<i32>,
    #[serde(default)]
    pub invocation_max_tokens: Option<i32>,
    #[serde(default, alias = "timeoutSeconds")]
    pub timeout_seconds: Option<i32>,
    /// Changes to the environment: a value sets a variable, `null` removes it, names left out
    /// keep theirs.
    #[serde(default, alias = "environmentVariables")]
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>)]
    pub environment_variables: Option<BTreeMap<String, Option<String>>>,
}

/// `Some(None)` for an explicit `null`, so that a member can be cleared.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

// ---------------------------------------------------------------------------
// Hidden values

/// The fingerprint shown for a value that may be a secret.
pub fn hidden(value: &str) -> String {
    static SALT: OnceLock<[u8; 32]> = OnceLock::new();
    let salt = SALT.get_or_init(|| {
        use rand::RngCore;
        let mut s = [0u8; 32];
        rand::rng().fill_bytes(&mut s);
        s
    });
    let digest = Sha256::new().chain_update(salt).chain_update(value.as_bytes()).finalize();
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("<hidden:{short}>")
}

fn is_hidden(value: &str) -> bool {
    value
        .strip_prefix("<hidden:")
        .and_then(|r| r.strip_suffix('>'))
        .is_some_and(|h| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn hide_all(map: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), hidden(v))).collect()
}

impl HarnessSettings {
    /// The settings as a view shows them: secret values replaced by their fingerprints.
    pub fn hidden(mut self) -> HarnessSettings {
        self.environment_variables = hide_all(&self.environment_variables);
        for tool in &mut self.tools {
            if let Some(ToolConfig::RemoteMcp(mcp)) = &mut tool.config {
                mcp.headers = hide_all(&mcp.headers);
            }
        }
        self
    }
}

impl HarnessSettings {
    /// These settings with a change applied (what the harness will hold).
    pub fn with(&self, change: &SettingsChange) -> HarnessSettings {
        let mut out = self.clone();
        if let Some(t) = &change.tools {
            out.tools = t.clone();
        }
        if let Some(a) = &change.allowed_tools {
            out.allowed_tools = a.clone();
        }
        if let Some(s) = &change.skills {
            out.skills = s.clone();
        }
        if let Some(m) = &change.memory {
            out.memory = m.clone();
        }
        if let Some(t) = &change.truncation {
            out.truncation = Some(t.clone());
        }
        if let Some(h) = &change.hooks {
            out.hooks = h.clone();
        }
        out.max_iterations = change.max_iterations.or(out.max_iterations);
        out.invocation_max_tokens = change.invocation_max_tokens.or(out.invocation_max_tokens);
        out.timeout_seconds = change.timeout_seconds.or(out.timeout_seconds);
        if let Some(e) = &change.environment_variables {
            out.environment_variables = e.clone();
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Checks

/// A problem with a form, and the member it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub message: String,
    pub field: &'static str,
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid { message: message.into(), field }
}

fn at_least_one(field: &'static str, what: &str, value: Option<i32>) -> Result<(), Invalid> {
    match value {
        Some(v) if v < 1 => Err(invalid(field, format!("{what} must be at least 1 (got {v})"))),
        _ => Ok(()),
    }
}

/// `arn:<partition>:<service>:…`, the service one of `services`.
fn looks_like_arn(arn: &str, services: &[&str]) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", p, s, _, _, r] if p.starts_with("aws") && services.contains(s) && !r.is_empty())
}

fn check_arn(field: &'static str, what: &str, arn: &str, services: &[&str]) -> Result<(), Invalid> {
    if looks_like_arn(arn, services) {
        return Ok(());
    }
    Err(invalid(field, format!("{what} '{arn}' is not an ARN of {}", services.join(" or "))))
}

fn check_http_url(field: &'static str, what: &str, url: &str) -> Result<(), Invalid> {
    match reqwest::Url::parse(url) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host_str().is_some() => Ok(()),
        _ => Err(invalid(field, format!("{what} '{url}' must be an http(s) URL"))),
    }
}

/// Tool names reach the model as function names: 1–64 letters, digits, `_` or `-` (what Bedrock
/// and OpenAI both take).
fn check_tool_name(name: &str) -> Result<(), Invalid> {
    if !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Ok(());
    }
    Err(invalid("tools", format!("tool name '{name}' must be 1 to 64 letters, digits, '_' or '-'")))
}

fn check_tool(tool: &ToolSpec) -> Result<(), Invalid> {
    let label = tool.name.clone().unwrap_or_else(|| tool.tool_type.as_str().to_string());
    if let Some(name) = &tool.name {
        check_tool_name(name)?;
    }
    let needs_config =
        matches!(tool.tool_type, ToolType::RemoteMcp | ToolType::AgentcoreGateway | ToolType::InlineFunction);
    let Some(config) = &tool.config else {
        if needs_config {
            let kind = tool.tool_type.as_str();
            return Err(invalid("tools", format!("tool '{label}' ({kind}) needs its config: {{\"{kind}\": {{…}}}}")));
        }
        return Ok(());
    };
    if config.tool_type() != tool.tool_type {
        return Err(invalid(
            "tools",
            format!(
                "tool '{label}' is of type {} but its config is for {}",
                tool.tool_type.as_str(),
                config.tool_type().as_str()
            ),
        ));
    }
    match config {
        ToolConfig::RemoteMcp(mcp) => {
            check_http_url("tools", &format!("tool '{label}': MCP server URL"), &mcp.url)?;
            if let Some(bad) = mcp.headers.keys().find(|h| !valid_header_name(h)) {
                return Err(invalid("tools", format!("tool '{label}': '{bad}' is not a valid HTTP header name")));
            }
        }
        ToolConfig::AgentcoreGateway(g) => {
            check_arn("tools", &format!("tool '{label}': gateway"), &g.gateway_arn, &["bedrock-agentcore"])?;
            if !g.gateway_arn.contains(":gateway/") {
                return Err(invalid("tools", format!("tool '{label}': '{}' is not a gateway ARN", g.gateway_arn)));
            }
            if let Some(OutboundAuth::Oauth(o)) = &g.outbound_auth {
                check_arn(
                    "tools",
                    &format!("tool '{label}': OAuth provider"),
                    &o.provider_arn,
                    &["bedrock-agentcore"],
                )?;
                if !["CLIENT_CREDENTIALS", "AUTHORIZATION_CODE", "TOKEN_EXCHANGE"].contains(&o.grant_type.as_str()) {
                    return Err(invalid(
                        "tools",
                        format!(
                            "tool '{label}': grant_type '{}' must be CLIENT_CREDENTIALS, AUTHORIZATION_CODE or \
                             TOKEN_EXCHANGE",
                            o.grant_type
                        ),
                    ));
                }
            }
        }
        ToolConfig::InlineFunction(f) => {
            if f.description.trim().is_empty() {
                return Err(invalid("tools", format!("tool '{label}': an inline function needs a description")));
            }
            if !f.input_schema.is_object() {
                return Err(invalid(
                    "tools",
                    format!("tool '{label}': input_schema must be a JSON Schema object, like {{\"type\": \"object\"}}"),
                ));
            }
        }
        ToolConfig::AgentcoreBrowser(BrowserTool { browser_arn: Some(arn) }) => {
            check_arn("tools", &format!("tool '{label}': browser"), arn, &["bedrock-agentcore"])?;
        }
        ToolConfig::AgentcoreCodeInterpreter(CodeInterpreterTool { code_interpreter_arn: Some(arn) }) => {
            check_arn("tools", &format!("tool '{label}': code interpreter"), arn, &["bedrock-agentcore"])?;
        }
        ToolConfig::AgentcoreBrowser(_) | ToolConfig::AgentcoreCodeInterpreter(_) => {}
    }
    Ok(())
}

fn valid_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn check_skill(skill: &SkillSpec) -> Result<(), Invalid> {
    match skill {
        SkillSpec::Path(p) if p.trim().is_empty() => Err(invalid("skills", "a skill path is empty")),
        SkillSpec::Git(g) => {
            if g.url.trim().is_empty() {
                return Err(invalid("skills", "a git skill needs the repository's url"));
            }
            if let Some(auth) = &g.auth {
                check_arn("skills", "git credential", &auth.credential_arn, &["secretsmanager", "bedrock-agentcore"])?;
            }
            Ok(())
        }
        SkillSpec::S3(s) if !s.uri.starts_with("s3://") || s.uri.len() <= 5 => {
            Err(invalid("skills", format!("skill uri '{}' must be an s3:// URI", s.uri)))
        }
        SkillSpec::AwsSkills(a) if a.paths.iter().any(|p| p.trim().is_empty()) => {
            Err(invalid("skills", "an aws_skills path is empty"))
        }
        _ => Ok(()),
    }
}

fn check_memory(memory: &MemorySpec) -> Result<(), Invalid> {
    match memory {
        MemorySpec::Disabled(_) => Ok(()),
        MemorySpec::AgentcoreMemory(m) => {
            check_arn("memory", "memory", &m.arn, &["bedrock-agentcore"])?;
            if !m.arn.contains(":memory/") {
                return Err(invalid("memory", format!("'{}' is not an AgentCore Memory ARN (…:memory/<id>)", m.arn)));
            }
            at_least_one("memory", "messages_count", m.messages_count)?;
            for (namespace, r) in &m.retrieval_config {
                if namespace.trim().is_empty() {
                    return Err(invalid("memory", "a retrieval_config namespace is empty"));
                }
                at_least_one("memory", "top_k", r.top_k)?;
                if let Some(score) = r.relevance_score
                    && !(0.0..=1.0).contains(&score)
                {
                    return Err(invalid("memory", format!("relevance_score must be between 0 and 1 (got {score})")));
                }
            }
            Ok(())
        }
        MemorySpec::Managed(m) => {
            at_least_one("memory", "event_expiry_duration (days)", m.event_expiry_duration)?;
            if let Some(key) = &m.encryption_key_arn {
                check_arn("memory", "encryption key", key, &["kms"])?;
            }
            Ok(())
        }
    }
}

fn check_truncation(t: &TruncationSpec) -> Result<(), Invalid> {
    match (&t.strategy, &t.config) {
        (_, None) => Ok(()),
        (TruncationStrategy::SlidingWindow, Some(TruncationConfig::SlidingWindow(w))) => {
            at_least_one("truncation", "messages_count", w.messages_count)
        }
        (TruncationStrategy::Summarization, Some(TruncationConfig::Summarization(s))) => {
            if let Some(r) = s.summary_ratio
                && !(r > 0.0 && r <= 1.0)
            {
                return Err(invalid("truncation", format!("summary_ratio must be above 0 and at most 1 (got {r})")));
            }
            match s.preserve_recent_messages {
                Some(n) if n < 0 => {
                    Err(invalid("truncation", format!("preserve_recent_messages cannot be negative (got {n})")))
                }
                _ => Ok(()),
            }
        }
        (strategy, Some(_)) => Err(invalid(
            "truncation",
            format!(
                "the config must be the one of strategy {} ({})",
                serde_json::to_value(strategy).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
                match strategy {
                    TruncationStrategy::None => "none takes no config",
                    TruncationStrategy::SlidingWindow => "{\"sliding_window\": {\"messages_count\": …}}",
                    TruncationStrategy::Summarization => "{\"summarization\": {…}}",
                }
            ),
        )),
    }
}

fn check_hook(hook: &Hook) -> Result<(), Invalid> {
    if hook.name.trim().is_empty() {
        return Err(invalid("hooks", "a hook needs a name"));
    }
    let what = format!("hook '{}'", hook.name);
    match &hook.target {
        None => Ok(()),
        Some(HookTarget::Lambda(l)) => {
            check_arn("hooks", &format!("{what}: Lambda function"), &l.arn, &["lambda"])?;
            at_least_one("hooks", &format!("{what}: timeout_seconds"), l.timeout_seconds)
        }
        Some(HookTarget::Sns(t)) => check_arn("hooks", &format!("{what}: SNS topic"), &t.arn, &["sns"]),
        Some(HookTarget::EventBridge(t)) => {
            check_arn("hooks", &format!("{what}: EventBridge bus"), &t.arn, &["events"])
        }
    }
}

/// Environment variable names: a letter or `_`, then letters, digits and `_`.
fn check_env_name(name: &str) -> Result<(), Invalid> {
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(());
    }
    Err(invalid(
        "environment_variables",
        format!("environment variable name '{name}' must be letters, digits and '_', not starting with a digit"),
    ))
}

impl SettingsForm {
    /// Whether the form changes any of these members.
    pub fn is_empty(&self) -> bool {
        self.tools.is_none()
            && self.allowed_tools.is_none()
            && self.skills.is_none()
            && self.memory.is_none()
            && self.truncation.is_none()
            && self.hooks.is_none()
            && self.max_iterations.is_none()
            && self.invocation_max_tokens.is_none()
            && self.timeout_seconds.is_none()
            && self.environment_variables.is_none()
    }

    /// The checks made before AgentCore is called.
    pub fn check(&self) -> Result<(), Invalid> {
        if let Some(tools) = &self.tools {
            let mut names = std::collections::HashSet::new();
            for tool in tools {
                check_tool(tool)?;
                if let Some(name) = &tool.name
                    && !names.insert(name.as_str())
                {
                    return Err(invalid("tools", format!("two tools are named '{name}': names must be unique")));
                }
            }
        }
        if let Some(allowed) = &self.allowed_tools {
            if allowed.iter().any(|t| t.trim().is_empty()) {
                return Err(invalid("allowed_tools", "an allowed tool name is empty"));
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = allowed.iter().find(|t| !seen.insert(t.as_str())) {
                return Err(invalid("allowed_tools", format!("'{dup}' is listed twice")));
            }
        }
        for skill in self.skills.iter().flatten() {
            check_skill(skill)?;
        }
        if let Some(Some(memory)) = &self.memory {
            check_memory(memory)?;
        }
        if let Some(t) = &self.truncation {
            check_truncation(t)?;
        }
        if let Some(hooks) = &self.hooks {
            let mut names = std::collections::HashSet::new();
            for hook in hooks {
                check_hook(hook.hook())?;
                if !names.insert(hook.hook().name.as_str()) {
                    return Err(invalid("hooks", format!("two hooks are named '{}'", hook.hook().name)));
                }
            }
        }
        at_least_one("max_iterations", "max_iterations", self.max_iterations)?;
        at_least_one("invocation_max_tokens", "invocation_max_tokens", self.invocation_max_tokens)?;
        at_least_one("timeout_seconds", "timeout_seconds", self.timeout_seconds)?;
        for name in self.environment_variables.iter().flat_map(|e| e.keys()) {
            check_env_name(name)?;
        }
        Ok(())
    }

    /// What to send, given what the harness holds now (in clear; `None` when creating): hidden
    /// values sent back are restored, the environment changes are applied to the current map.
    pub fn resolve(&self, current: Option<&HarnessSettings>) -> Result<SettingsChange, Invalid> {
        let environment_variables = match &self.environment_variables {
            None => None,
            Some(changes) => {
                let now = current.map(|c| &c.environment_variables);
                let mut env = now.cloned().unwrap_or_default();
                for (name, value) in changes {
                    match value {
                        None => {
                            env.remove(name);
                        }
                        Some(v) if is_hidden(v) => {
                            let kept = now.and_then(|n| n.get(name)).filter(|old| hidden(old) == *v);
                            if kept.is_none() {
                                return Err(hidden_lost(
                                    "environment_variables",
                                    &format!("environment variable {name}"),
                                ));
                            }
                        }
                        Some(v) => {
                            env.insert(name.clone(), v.clone());
                        }
                    }
                }
                Some(env)
            }
        };
        let tools = match &self.tools {
            None => None,
            Some(tools) => Some(tools.iter().map(|t| restore_headers(t, current)).collect::<Result<Vec<_>, _>>()?),
        };
        Ok(SettingsChange {
            tools,
            allowed_tools: self.allowed_tools.clone(),
            skills: self.skills.clone(),
            memory: self.memory.clone(),
            truncation: self.truncation.clone(),
            hooks: self.hooks.clone(),
            max_iterations: self.max_iterations,
            invocation_max_tokens: self.invocation_max_tokens,
            timeout_seconds: self.timeout_seconds,
            environment_variables,
        })
    }
}

fn hidden_lost(field: &'static str, what: &str) -> Invalid {
    invalid(
        field,
        format!(
            "the value of {what} is shown hidden and the harness no longer holds that value (it changed, or the \
             gateway restarted since it was read): type the value again"
        ),
    )
}

/// A remote MCP tool's hidden header values, taken from the harness's tool of the same name (or
/// URL).
fn restore_headers(tool: &ToolSpec, current: Option<&HarnessSettings>) -> Result<ToolSpec, Invalid> {
    let Some(ToolConfig::RemoteMcp(mcp)) = &tool.config else { return Ok(tool.clone()) };
    if !mcp.headers.values().any(|v| is_hidden(v)) {
        return Ok(tool.clone());
    }
    let old_headers = current.into_iter().flat_map(|c| &c.tools).find_map(|old| match &old.config {
        Some(ToolConfig::RemoteMcp(o)) if old.name == tool.name && (tool.name.is_some() || o.url == mcp.url) => {
            Some(&o.headers)
        }
        _ => None,
    });
    let mut headers = BTreeMap::new();
    for (name, value) in &mcp.headers {
        let value = if is_hidden(value) {
            match old_headers.and_then(|h| h.get(name)).filter(|old| hidden(old) == *value) {
                Some(old) => old.clone(),
                None => return Err(hidden_lost("tools", &format!("header {name} of tool '{}'", tool_label(tool)))),
            }
        } else {
            value.clone()
        };
        headers.insert(name.clone(), value);
    }
    let mut out = tool.clone();
    out.config = Some(ToolConfig::RemoteMcp(RemoteMcpTool { url: mcp.url.clone(), headers }));
    Ok(out)
}

fn tool_label(tool: &ToolSpec) -> String {
    tool.name.clone().unwrap_or_else(|| tool.tool_type.as_str().to_string())
}

// ---------------------------------------------------------------------------
// From the SDK

/// f32 members travel as f32 (0.2 becomes 0.20000000298…): read rounded.
fn rounded(v: Option<f32>) -> Option<f64> {
    v.map(|x| (f64::from(x) * 10_000.0).round() / 10_000.0)
}

fn btree(map: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

fn tool_of(t: &sdk::HarnessTool) -> Option<ToolSpec> {
    let tool_type = match t.r#type() {
        sdk::HarnessToolType::RemoteMcp => ToolType::RemoteMcp,
        sdk::HarnessToolType::AgentcoreBrowser => ToolType::AgentcoreBrowser,
        sdk::HarnessToolType::AgentcoreGateway => ToolType::AgentcoreGateway,
        sdk::HarnessToolType::InlineFunction => ToolType::InlineFunction,
        sdk::HarnessToolType::AgentcoreCodeInterpreter => ToolType::AgentcoreCodeInterpreter,
        _ => return None,
    };
    let config = t.config().and_then(|c| {
        Some(match c {
            sdk::HarnessToolConfiguration::RemoteMcp(m) => {
                ToolConfig::RemoteMcp(RemoteMcpTool { url: m.url().to_string(), headers: btree(m.headers()) })
            }
            sdk::HarnessToolConfiguration::AgentCoreBrowser(b) => {
                ToolConfig::AgentcoreBrowser(BrowserTool { browser_arn: b.browser_arn().map(str::to_string) })
            }
            sdk::HarnessToolConfiguration::AgentCoreCodeInterpreter(b) => {
                ToolConfig::AgentcoreCodeInterpreter(CodeInterpreterTool {
                    code_interpreter_arn: b.code_interpreter_arn().map(str::to_string),
                })
            }
            sdk::HarnessToolConfiguration::AgentCoreGateway(g) => ToolConfig::AgentcoreGateway(GatewayTool {
                gateway_arn: g.gateway_arn().to_string(),
                outbound_auth: g.outbound_auth().and_then(|a| match a {
                    sdk::HarnessGatewayOutboundAuth::AwsIam => Some(OutboundAuth::AwsIam(Empty {})),
                    sdk::HarnessGatewayOutboundAuth::None => Some(OutboundAuth::None(Empty {})),
                    sdk::HarnessGatewayOutboundAuth::Oauth(o) => Some(OutboundAuth::Oauth(OAuthProvider {
                        provider_arn: o.provider_arn().to_string(),
                        scopes: o.scopes().to_vec(),
                        grant_type: o.grant_type().as_str().to_string(),
                        custom_parameters: btree(o.custom_parameters()),
                        default_return_url: o.default_return_url().map(str::to_string),
                    })),
                    _ => None,
                }),
            }),
            sdk::HarnessToolConfiguration::InlineFunction(f) => ToolConfig::InlineFunction(InlineFunctionTool {
                description: f.description().to_string(),
                input_schema: document::to_json(f.input_schema()),
            }),
            _ => return None,
        })
    });
    Some(ToolSpec { tool_type, name: t.name().map(str::to_string), config })
}

fn skill_of(s: &sdk::HarnessSkill) -> Option<SkillSpec> {
    Some(match s {
        sdk::HarnessSkill::Path(p) => SkillSpec::Path(p.clone()),
        sdk::HarnessSkill::Git(g) => SkillSpec::Git(GitSkill {
            url: g.url().to_string(),
            path: g.path().map(str::to_string),
            auth: g.auth().map(|a| GitAuth {
                credential_arn: a.credential_arn().to_string(),
                username: a.username().map(str::to_string),
            }),
        }),
        sdk::HarnessSkill::S3(s) => SkillSpec::S3(S3Skill { uri: s.uri().to_string() }),
        sdk::HarnessSkill::AwsSkills(a) => SkillSpec::AwsSkills(AwsSkills { paths: a.paths().to_vec() }),
        _ => return None,
    })
}

fn memory_of(m: &sdk::HarnessMemoryConfiguration) -> Option<MemorySpec> {
    Some(match m {
        sdk::HarnessMemoryConfiguration::Disabled(_) => MemorySpec::Disabled(Empty {}),
        sdk::HarnessMemoryConfiguration::AgentCoreMemoryConfiguration(c) => {
            MemorySpec::AgentcoreMemory(AgentCoreMemory {
                arn: c.arn().to_string(),
                actor_id: c.actor_id().map(str::to_string),
                messages_count: c.messages_count(),
                retrieval_config: c
                    .retrieval_config()
                    .map(|r| {
                        r.iter()
                            .map(|(k, v)| {
                                let retrieval = MemoryRetrieval {
                                    top_k: v.top_k(),
                                    relevance_score: rounded(v.relevance_score()),
                                    strategy_id: v.strategy_id().map(str::to_string),
                                };
                                (k.clone(), retrieval)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        }
        sdk::HarnessMemoryConfiguration::ManagedMemoryConfiguration(c) => MemorySpec::Managed(ManagedMemory {
            arn: c.arn().map(str::to_string),
            strategies: c.strategies.as_ref().map(|s| s.iter().filter_map(strategy_of).collect()),
            event_expiry_duration: c.event_expiry_duration(),
            encryption_key_arn: c.encryption_key_arn().map(str::to_string),
        }),
        _ => return None,
    })
}

fn strategy_of(s: &sdk::HarnessManagedMemoryStrategyType) -> Option<MemoryStrategy> {
    Some(match s {
        sdk::HarnessManagedMemoryStrategyType::Semantic => MemoryStrategy::Semantic,
        sdk::HarnessManagedMemoryStrategyType::Summarization => MemoryStrategy::Summarization,
        sdk::HarnessManagedMemoryStrategyType::UserPreference => MemoryStrategy::UserPreference,
        sdk::HarnessManagedMemoryStrategyType::Episodic => MemoryStrategy::Episodic,
        _ => return None,
    })
}

fn truncation_of(t: &sdk::HarnessTruncationConfiguration) -> Option<TruncationSpec> {
    let strategy = match t.strategy() {
        sdk::HarnessTruncationStrategy::None => TruncationStrategy::None,
        sdk::HarnessTruncationStrategy::SlidingWindow => TruncationStrategy::SlidingWindow,
        sdk::HarnessTruncationStrategy::Summarization => TruncationStrategy::Summarization,
        _ => return None,
    };
    let config = t.config().and_then(|c| match c {
        sdk::HarnessTruncationStrategyConfiguration::SlidingWindow(w) => {
            Some(TruncationConfig::SlidingWindow(SlidingWindow { messages_count: w.messages_count() }))
        }
        sdk::HarnessTruncationStrategyConfiguration::Summarization(s) => {
            Some(TruncationConfig::Summarization(Summarization {
                summary_ratio: rounded(s.summary_ratio()),
                preserve_recent_messages: s.preserve_recent_messages(),
                summarization_system_prompt: s.summarization_system_prompt().map(str::to_string),
            }))
        }
        _ => None,
    });
    Some(TruncationSpec { strategy, config })
}

fn hook_of(h: &sdk::HarnessHook) -> Option<HookSpec> {
    let (name, target) = match h {
        sdk::HarnessHook::BeforeInvocation(x) => (x.name(), x.target()),
        sdk::HarnessHook::AfterInvocation(x) => (x.name(), x.target()),
        sdk::HarnessHook::BeforeToolCall(x) => (x.name(), x.target()),
        sdk::HarnessHook::AfterToolCall(x) => (x.name(), x.target()),
        _ => return None,
    };
    let target = target.and_then(|t| match t {
        sdk::HarnessHookTarget::Lambda(l) => Some(HookTarget::Lambda(LambdaHook {
            arn: l.arn().to_string(),
            timeout_seconds: Some(l.timeout_seconds()),
            failure_mode: match l.failure_mode() {
                sdk::HarnessHookFailureMode::Allow => Some(HookFailureMode::Allow),
                sdk::HarnessHookFailureMode::Deny => Some(HookFailureMode::Deny),
                _ => None,
            },
        })),
        sdk::HarnessHookTarget::Sns(t) => Some(HookTarget::Sns(ArnTarget { arn: t.arn().to_string() })),
        sdk::HarnessHookTarget::EventBridge(t) => Some(HookTarget::EventBridge(ArnTarget { arn: t.arn().to_string() })),
        _ => None,
    });
    let hook = Hook { name: name.to_string(), target };
    Some(match h {
        sdk::HarnessHook::BeforeInvocation(_) => HookSpec::BeforeInvocation(hook),
        sdk::HarnessHook::AfterInvocation(_) => HookSpec::AfterInvocation(hook),
        sdk::HarnessHook::BeforeToolCall(_) => HookSpec::BeforeToolCall(hook),
        _ => HookSpec::AfterToolCall(hook),
    })
}

/// A harness's settings, values in clear (hide them before showing: [`HarnessSettings::hidden`]).
pub fn settings_of(h: &sdk::Harness) -> HarnessSettings {
    HarnessSettings {
        tools: h.tools().iter().filter_map(tool_of).collect(),
        allowed_tools: h.allowed_tools().to_vec(),
        skills: h.skills().iter().filter_map(skill_of).collect(),
        memory: h.memory().and_then(memory_of),
        truncation: h.truncation().and_then(truncation_of),
        hooks: h.hooks().iter().filter_map(hook_of).collect(),
        max_iterations: h.max_iterations(),
        invocation_max_tokens: h.max_tokens(),
        timeout_seconds: h.timeout_seconds(),
        environment_variables: btree(h.environment_variables()),
    }
}

// ---------------------------------------------------------------------------
// To the SDK

/// A value the SDK's builders refused (a required member missing): the form's checks make it rare.
#[derive(Debug)]
pub struct Unbuildable(pub String);

fn built<T>(r: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, Unbuildable> {
    r.map_err(|e| Unbuildable(e.to_string()))
}

fn hash_map(map: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!map.is_empty()).then(|| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn tool_to_sdk(t: &ToolSpec) -> Result<sdk::HarnessTool, Unbuildable> {
    let config = match &t.config {
        None => None,
        Some(ToolConfig::RemoteMcp(m)) => Some(sdk::HarnessToolConfiguration::RemoteMcp(built(
            sdk::HarnessRemoteMcpConfig::builder().url(&m.url).set_headers(hash_map(&m.headers)).build(),
        )?)),
        Some(ToolConfig::AgentcoreBrowser(b)) => Some(sdk::HarnessToolConfiguration::AgentCoreBrowser(
            sdk::HarnessAgentCoreBrowserConfig::builder().set_browser_arn(b.browser_arn.clone()).build(),
        )),
        Some(ToolConfig::AgentcoreCodeInterpreter(c)) => Some(sdk::HarnessToolConfiguration::AgentCoreCodeInterpreter(
            sdk::HarnessAgentCoreCodeInterpreterConfig::builder()
                .set_code_interpreter_arn(c.code_interpreter_arn.clone())
                .build(),
        )),
        Some(ToolConfig::AgentcoreGateway(g)) => {
            let auth = match &g.outbound_auth {
                None => None,
                Some(OutboundAuth::AwsIam(_)) => Some(sdk::HarnessGatewayOutboundAuth::AwsIam),
                Some(OutboundAuth::None(_)) => Some(sdk::HarnessGatewayOutboundAuth::None),
                Some(OutboundAuth::Oauth(o)) => Some(sdk::HarnessGatewayOutboundAuth::Oauth(built(
                    sdk::OAuthCredentialProvider::builder()
                        .provider_arn(&o.provider_arn)
                        .set_scopes(Some(o.scopes.clone()))
                        .grant_type(sdk::OAuthGrantType::from(o.grant_type.as_str()))
                        .set_custom_parameters(hash_map(&o.custom_parameters))
                        .set_default_return_url(o.default_return_url.clone())
                        .build(),
                )?)),
            };
            Some(sdk::HarnessToolConfiguration::AgentCoreGateway(built(
                sdk::HarnessAgentCoreGatewayConfig::builder()
                    .gateway_arn(&g.gateway_arn)
                    .set_outbound_auth(auth)
                    .build(),
            )?))
        }
        Some(ToolConfig::InlineFunction(f)) => Some(sdk::HarnessToolConfiguration::InlineFunction(built(
            sdk::HarnessInlineFunctionConfig::builder()
                .description(&f.description)
                .input_schema(document::from_json(&f.input_schema))
                .build(),
        )?)),
    };
    built(
        sdk::HarnessTool::builder()
            .r#type(sdk::HarnessToolType::from(t.tool_type.as_str()))
            .set_name(t.name.clone())
            .set_config(config)
            .build(),
    )
}

fn skill_to_sdk(s: &SkillSpec) -> Result<sdk::HarnessSkill, Unbuildable> {
    Ok(match s {
        SkillSpec::Path(p) => sdk::HarnessSkill::Path(p.clone()),
        SkillSpec::Git(g) => {
            let auth = match &g.auth {
                Some(a) => Some(built(
                    sdk::HarnessSkillGitAuth::builder()
                        .credential_arn(&a.credential_arn)
                        .set_username(a.username.clone())
                        .build(),
                )?),
                None => None,
            };
            sdk::HarnessSkill::Git(built(
                sdk::HarnessSkillGitSource::builder().url(&g.url).set_path(g.path.clone()).set_auth(auth).build(),
            )?)
        }
        SkillSpec::S3(s) => sdk::HarnessSkill::S3(built(sdk::HarnessSkillS3Source::builder().uri(&s.uri).build())?),
        SkillSpec::AwsSkills(a) => sdk::HarnessSkill::AwsSkills(
            sdk::HarnessSkillAwsSkillsSource::builder().set_paths(Some(a.paths.clone())).build(),
        ),
    })
}

fn as_f32(v: Option<f64>) -> Option<f32> {
    #[allow(clippy::cast_possible_truncation)] // checked to lie within 0..=1
    v.map(|x| x as f32)
}

fn memory_to_sdk(m: &MemorySpec) -> Result<sdk::HarnessMemoryConfiguration, Unbuildable> {
    Ok(match m {
        MemorySpec::Disabled(_) => {
            sdk::HarnessMemoryConfiguration::Disabled(sdk::HarnessDisabledMemoryConfiguration::builder().build())
        }
        MemorySpec::AgentcoreMemory(c) => {
            let retrieval: HashMap<String, sdk::HarnessAgentCoreMemoryRetrievalConfig> = c
                .retrieval_config
                .iter()
                .map(|(k, r)| {
                    let config = sdk::HarnessAgentCoreMemoryRetrievalConfig::builder()
                        .set_top_k(r.top_k)
                        .set_relevance_score(as_f32(r.relevance_score))
                        .set_strategy_id(r.strategy_id.clone())
                        .build();
                    (k.clone(), config)
                })
                .collect();
            sdk::HarnessMemoryConfiguration::AgentCoreMemoryConfiguration(built(
                sdk::HarnessAgentCoreMemoryConfiguration::builder()
                    .arn(&c.arn)
                    .set_actor_id(c.actor_id.clone())
                    .set_messages_count(c.messages_count)
                    .set_retrieval_config((!retrieval.is_empty()).then_some(retrieval))
                    .build(),
            )?)
        }
        MemorySpec::Managed(c) => sdk::HarnessMemoryConfiguration::ManagedMemoryConfiguration(
            sdk::HarnessManagedMemoryConfiguration::builder()
                .set_strategies(c.strategies.as_ref().map(|s| {
                    s.iter()
                        .map(|s| match s {
                            MemoryStrategy::Semantic => sdk::HarnessManagedMemoryStrategyType::Semantic,
                            MemoryStrategy::Summarization => sdk::HarnessManagedMemoryStrategyType::Summarization,
                            MemoryStrategy::UserPreference => sdk::HarnessManagedMemoryStrategyType::UserPreference,
                            MemoryStrategy::Episodic => sdk::HarnessManagedMemoryStrategyType::Episodic,
                        })
                        .collect()
                }))
                .set_event_expiry_duration(c.event_expiry_duration)
                .set_encryption_key_arn(c.encryption_key_arn.clone())
                .build(),
        ),
    })
}

fn truncation_to_sdk(t: &TruncationSpec) -> Result<sdk::HarnessTruncationConfiguration, Unbuildable> {
    let strategy = match t.strategy {
        TruncationStrategy::None => sdk::HarnessTruncationStrategy::None,
        TruncationStrategy::SlidingWindow => sdk::HarnessTruncationStrategy::SlidingWindow,
        TruncationStrategy::Summarization => sdk::HarnessTruncationStrategy::Summarization,
    };
    let config = t.config.as_ref().map(|c| match c {
        TruncationConfig::SlidingWindow(w) => sdk::HarnessTruncationStrategyConfiguration::SlidingWindow(
            sdk::HarnessSlidingWindowConfiguration::builder().set_messages_count(w.messages_count).build(),
        ),
        TruncationConfig::Summarization(s) => sdk::HarnessTruncationStrategyConfiguration::Summarization(
            sdk::HarnessSummarizationConfiguration::builder()
                .set_summary_ratio(as_f32(s.summary_ratio))
                .set_preserve_recent_messages(s.preserve_recent_messages)
                .set_summarization_system_prompt(s.summarization_system_prompt.clone())
                .build(),
        ),
    });
    built(sdk::HarnessTruncationConfiguration::builder().strategy(strategy).set_config(config).build())
}

fn hook_to_sdk(h: &HookSpec) -> Result<sdk::HarnessHook, Unbuildable> {
    let hook = h.hook();
    let target = match &hook.target {
        None => None,
        Some(HookTarget::Lambda(l)) => Some(sdk::HarnessHookTarget::Lambda(built(
            sdk::HarnessHookLambdaTarget::builder()
                .arn(&l.arn)
                .set_timeout_seconds(l.timeout_seconds)
                .set_failure_mode(l.failure_mode.map(|m| match m {
                    HookFailureMode::Allow => sdk::HarnessHookFailureMode::Allow,
                    HookFailureMode::Deny => sdk::HarnessHookFailureMode::Deny,
                }))
                .build(),
        )?)),
        Some(HookTarget::Sns(t)) => {
            Some(sdk::HarnessHookTarget::Sns(built(sdk::HarnessHookSnsTarget::builder().arn(&t.arn).build())?))
        }
        Some(HookTarget::EventBridge(t)) => Some(sdk::HarnessHookTarget::EventBridge(built(
            sdk::HarnessHookEventBridgeTarget::builder().arn(&t.arn).build(),
        )?)),
    };
    Ok(match h {
        HookSpec::BeforeInvocation(_) => sdk::HarnessHook::BeforeInvocation(built(
            sdk::HarnessBeforeInvocationHook::builder().name(&hook.name).set_target(target).build(),
        )?),
        HookSpec::AfterInvocation(_) => sdk::HarnessHook::AfterInvocation(built(
            sdk::HarnessAfterInvocationHook::builder().name(&hook.name).set_target(target).build(),
        )?),
        HookSpec::BeforeToolCall(_) => sdk::HarnessHook::BeforeToolCall(built(
            sdk::HarnessBeforeToolCallHook::builder().name(&hook.name).set_target(target).build(),
        )?),
        HookSpec::AfterToolCall(_) => sdk::HarnessHook::AfterToolCall(built(
            sdk::HarnessAfterToolCallHook::builder().name(&hook.name).set_target(target).build(),
        )?),
    })
}

/// A change as the SDK's members (tools, skills, memory, truncation, hooks, environment).
pub struct SdkSettings {
    pub tools: Option<Vec<sdk::HarnessTool>>,
    pub allowed_tools: Option<Vec<String>>,
    pub skills: Option<Vec<sdk::HarnessSkill>>,
    pub memory: Option<Option<sdk::HarnessMemoryConfiguration>>,
    pub truncation: Option<sdk::HarnessTruncationConfiguration>,
    pub hooks: Option<Vec<sdk::HarnessHook>>,
    pub environment_variables: Option<HashMap<String, String>>,
}

impl SettingsChange {
    pub fn to_sdk(&self) -> Result<SdkSettings, Unbuildable> {
        Ok(SdkSettings {
            tools: self.tools.as_ref().map(|t| t.iter().map(tool_to_sdk).collect()).transpose()?,
            allowed_tools: self.allowed_tools.clone(),
            skills: self.skills.as_ref().map(|s| s.iter().map(skill_to_sdk).collect()).transpose()?,
            memory: self.memory.as_ref().map(|m| m.as_ref().map(memory_to_sdk).transpose()).transpose()?,
            truncation: self.truncation.as_ref().map(truncation_to_sdk).transpose()?,
            hooks: self.hooks.as_ref().map(|h| h.iter().map(hook_to_sdk).collect()).transpose()?,
            environment_variables: self
                .environment_variables
                .as_ref()
                .map(|e| e.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(v: Value) -> SettingsForm {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn agentcore_json_pastes_in() {
        let f = form(json!({
            "tools": [
                {"type": "remote_mcp", "name": "docs", "config": {"remoteMcp": {"url": "https://mcp.example.com/mcp"}}},
                {"type": "agentcore_gateway", "name": "gw", "config": {"agentCoreGateway": {
                    "gatewayArn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/gw-1",
                    "outboundAuth": {"awsIam": {}}}}},
                {"type": "agentcore_browser"}
            ],
            "allowedTools": ["docs", "gw"],
            "truncation": {"strategy": "sliding_window", "config": {"slidingWindow": {"messagesCount": 20}}},
            "memory": {"agentCoreMemoryConfiguration": {"arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/m-1"}},
        }));
        f.check().unwrap();
        let tools = f.tools.as_ref().unwrap();
        assert_eq!(tools.len(), 3);
        assert!(
            matches!(&tools[1].config, Some(ToolConfig::AgentcoreGateway(g)) if g.outbound_auth == Some(OutboundAuth::AwsIam(Empty {})))
        );
        assert_eq!(
            serde_json::to_value(tools).unwrap()[0],
            json!({"type": "remote_mcp", "name": "docs", "config": {"remote_mcp": {"url": "https://mcp.example.com/mcp"}}})
        );
    }

    #[test]
    fn what_is_certain_is_checked() {
        let bad = |v: Value, field: &str, words: &str| {
            let e = form(v.clone()).check().unwrap_err();
            assert_eq!(e.field, field, "{v}");
            assert!(e.message.contains(words), "{v}: {}", e.message);
        };
        bad(json!({"tools": [{"type": "remote_mcp", "name": "x"}]}), "tools", "needs its config");
        bad(
            json!({"tools": [{"type": "remote_mcp", "config": {"inline_function": {"description": "d", "input_schema": {}}}}]}),
            "tools",
            "config is for inline_function",
        );
        bad(
            json!({"tools": [{"type": "remote_mcp", "config": {"remote_mcp": {"url": "ftp://x"}}}]}),
            "tools",
            "http(s)",
        );
        bad(
            json!({"tools": [{"type": "inline_function", "name": "f", "config": {"inline_function": {"description": "d", "input_schema": "x"}}}]}),
            "tools",
            "JSON Schema object",
        );
        bad(
            json!({"tools": [{"type": "agentcore_browser", "name": "a"}, {"type": "agentcore_browser", "name": "a"}]}),
            "tools",
            "unique",
        );
        bad(json!({"tools": [{"type": "agentcore_browser", "name": "has space"}]}), "tools", "letters, digits");
        bad(json!({"allowed_tools": ["a", "a"]}), "allowed_tools", "twice");
        bad(json!({"skills": [{"s3": {"uri": "https://bucket/x"}}]}), "skills", "s3://");
        bad(json!({"memory": {"agentcore_memory": {"arn": "arn:aws:s3:::bucket"}}}), "memory", "not an ARN");
        bad(
            json!({"memory": {"agentcore_memory": {"arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/m", "retrieval_config": {"/u": {"relevance_score": 2}}}}}),
            "memory",
            "between 0 and 1",
        );
        bad(
            json!({"truncation": {"strategy": "none", "config": {"sliding_window": {"messages_count": 3}}}}),
            "truncation",
            "none takes no config",
        );
        bad(
            json!({"truncation": {"strategy": "summarization", "config": {"summarization": {"summary_ratio": 0}}}}),
            "truncation",
            "above 0",
        );
        bad(json!({"max_iterations": 0}), "max_iterations", "at least 1");
        bad(
            json!({"hooks": [{"before_invocation": {"name": "g", "target": {"lambda": {"arn": "arn:aws:sns:us-east-1:123456789012:t"}}}}]}),
            "hooks",
            "not an ARN of lambda",
        );
        bad(
            json!({"hooks": [{"before_invocation": {"name": "g"}}, {"after_invocation": {"name": "g"}}]}),
            "hooks",
            "two hooks",
        );
        bad(json!({"timeout_seconds": -5}), "timeout_seconds", "at least 1");
        bad(json!({"environment_variables": {"1BAD": "x"}}), "environment_variables", "not starting with a digit");
        assert!(serde_json::from_value::<SettingsForm>(json!({"tools": [{"type": "shell"}]})).is_err());
        assert!(serde_json::from_value::<SettingsForm>(json!({"truncation": {"strategy": "fifo"}})).is_err());
    }

    #[test]
    fn hidden_values_come_back_as_they_were() {
        let mut current = HarnessSettings::default();
        current.environment_variables.insert("API_TOKEN".into(), "s3cret-value".into());
        current.environment_variables.insert("LOG_LEVEL".into(), "info".into());
        current.tools.push(ToolSpec {
            tool_type: ToolType::RemoteMcp,
            name: Some("docs".into()),
            config: Some(ToolConfig::RemoteMcp(RemoteMcpTool {
                url: "https://mcp.example.com".into(),
                headers: BTreeMap::from([("Authorization".into(), "Bearer xyz-token".into())]),
            })),
        });
        let shown = current.clone().hidden();
        assert!(
            !serde_json::to_string(&shown).unwrap().contains("s3cret") && !format!("{shown:?}").contains("xyz-token")
        );
        let token_hint = shown.environment_variables["API_TOKEN"].clone();
        assert!(is_hidden(&token_hint), "{token_hint}");
        assert_ne!(token_hint, shown.environment_variables["LOG_LEVEL"]);

        let f = form(json!({
            "environment_variables": {"API_TOKEN": token_hint, "LOG_LEVEL": null, "NEW": "1"},
            "tools": serde_json::to_value(&shown.tools).unwrap(),
        }));
        let change = f.resolve(Some(&current)).unwrap();
        assert_eq!(
            change.environment_variables.unwrap(),
            BTreeMap::from([("API_TOKEN".into(), "s3cret-value".into()), ("NEW".into(), "1".into())])
        );
        assert_eq!(change.tools.unwrap(), current.tools, "the header's value is kept");

        let stale = form(json!({"environment_variables": {"API_TOKEN": "<hidden:00000000>"}}));
        assert!(stale.resolve(Some(&current)).unwrap_err().message.contains("type the value again"));
    }

    #[test]
    fn settings_round_trip_through_the_sdk_types() {
        let f = form(json!({
            "tools": [
                {"type": "inline_function", "name": "lookup", "config": {"inline_function": {"description": "Looks up", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}}},
                {"type": "agentcore_gateway", "name": "gw", "config": {"agentcore_gateway": {"gateway_arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/g", "outbound_auth": {"oauth": {"provider_arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/o", "scopes": ["read"], "grant_type": "CLIENT_CREDENTIALS"}}}}}
            ],
            "skills": [{"path": "skills/pdf"}, {"git": {"url": "https://github.com/o/r", "path": "s"}}, {"s3": {"uri": "s3://b/k"}}, {"aws_skills": {"paths": ["x"]}}],
            "memory": {"managed": {"strategies": ["SEMANTIC", "EPISODIC"], "event_expiry_duration": 30}},
            "truncation": {"strategy": "summarization", "config": {"summarization": {"summary_ratio": 0.3, "preserve_recent_messages": 4}}},
            "hooks": [
                {"before_tool_call": {"name": "guard", "target": {"lambda": {"arn": "arn:aws:lambda:us-east-1:123456789012:function:guard", "timeout_seconds": 10, "failure_mode": "allow"}}}},
                {"afterInvocation": {"name": "audit", "target": {"eventBridge": {"arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}}}},
            ],
        }));
        f.check().unwrap();
        let change = f.resolve(None).unwrap();
        let s = change.to_sdk().unwrap();
        let now = aws_smithy_types::DateTime::from_secs(0);
        let h = sdk::Harness::builder()
            .harness_id("h-1")
            .harness_name("h")
            .arn("arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/h-1")
            .status(sdk::HarnessStatus::Ready)
            .execution_role_arn("arn:aws:iam::123456789012:role/r")
            .created_at(now)
            .updated_at(now)
            .set_system_prompt(Some(vec![]))
            .set_tools(s.tools)
            .set_skills(s.skills)
            .set_allowed_tools(Some(vec![]))
            .set_memory(s.memory.unwrap())
            .set_truncation(s.truncation)
            .set_hooks(s.hooks)
            .build()
            .unwrap();
        let back = settings_of(&h);
        assert_eq!(Some(back.tools), change.tools);
        assert_eq!(Some(back.skills), change.skills);
        assert_eq!(Some(back.memory), change.memory);
        assert_eq!(back.truncation, change.truncation);
        assert_eq!(Some(back.hooks), change.hooks);
    }
}
