//! Amazon Bedrock AgentCore as chat models: `bedrock/agentcore/<ARN>`, LiteLLM's route for
//! AgentCore, through `aws-sdk-bedrockagentcore`. A harness ARN is answered with InvokeHarness
//! (see `harness`), an agent runtime ARN with InvokeAgentRuntime (see `runtime`).
//!
//! An AgentCore agent keeps the conversation in a runtime session, runs its own tools and has its
//! own system prompt. Each chat turn goes to its conversation's session (see `conversation`), and
//! the client hears what the agent says. Usage is what the agent reports for the turn.

mod answer;
mod conversation;
mod harness;
mod runtime;

use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_sdk_bedrockagentcore::Client;
use futures::future::BoxFuture;
use serde_json::Value;

use super::{CallOptions, ChatOutput, ChunkWriter, Provider, ProviderError, SharedClients, UsageSlot};
use crate::config::ModelEntry;
use crate::schema::ChatRequest;
use conversation::SessionBook;
pub use conversation::{check_session_id, new_session_id};

/// The model prefix (after `bedrock/`) of LiteLLM's AgentCore route.
const ROUTE: &str = "agentcore/";

/// Whether a `bedrock/...` model names an AgentCore agent rather than a Bedrock model.
pub fn is_route(provider_model: &str) -> bool {
    provider_model.starts_with(ROUTE)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agent {
    Harness,
    Runtime,
}

pub struct AgentCoreProvider {
    client: Client,
    arn: String,
    agent: Agent,
    endpoint: String,
    sessions: Arc<SessionBook>,
}

impl AgentCoreProvider {
    pub async fn build(entry: &ModelEntry, clients: &SharedClients) -> Result<Self, String> {
        let label = entry.label();
        let params = &entry.params;
        let arn = entry.provider_model.strip_prefix(ROUTE).unwrap_or_default();
        let (region, agent) = parse_arn(arn).map_err(|e| format!("{label}.litellm_params.model: {e}"))?;
        if let Some(configured) = params.aws_region_name.as_deref().filter(|r| *r != region) {
            return Err(format!(
                "{label}.litellm_params.aws_region_name: '{configured}' is not the region of the agent's ARN \
                 ('{region}'); leave aws_region_name out"
            ));
        }
        let sdk_config = super::bedrock::sdk_config(params, clients, region).await;
        // The gateway's router retries every provider alike (and counts the retries it reports).
        let mut builder =
            aws_sdk_bedrockagentcore::config::Builder::from(&sdk_config).retry_config(RetryConfig::disabled());
        // LiteLLM's AgentCore route takes its endpoint from the same parameter as Bedrock's.
        if let Some(endpoint) = &params.aws_bedrock_runtime_endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        let endpoint = params
            .aws_bedrock_runtime_endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE").ok())
            .unwrap_or_else(|| format!("https://bedrock-agentcore.{region}.amazonaws.com"));
        Ok(AgentCoreProvider {
            client: Client::from_conf(builder.build()),
            arn: arn.to_string(),
            agent,
            endpoint,
            sessions: Arc::default(),
        })
    }

    async fn chat_impl(&self, request: &ChatRequest, options: CallOptions) -> Result<ChatOutput, ProviderError> {
        if request.tools.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(ProviderError::InvalidRequest(format!(
                "model={} is an AgentCore agent: it runs the tools configured on the harness or in its code, and \
                 tools sent with the request cannot be offered to it",
                options.alias
            )));
        }
        let caller = options.caller.as_deref().unwrap_or("");
        let turn = self.sessions.turn(caller, request)?;
        tracing::debug!(model = %options.alias, session = %turn.session_id, continues = turn.continues, "invoking the agent");
        match self.agent {
            Agent::Harness => harness::chat(self, request, options, turn).await,
            Agent::Runtime => runtime::chat(self, request, options, turn).await,
        }
    }
}

/// A streamed answer's chunk writer, and the slot the gateway reads its usage and id from.
fn stream_writer(options: &CallOptions, id: String, created: u64) -> (Arc<UsageSlot>, ChunkWriter) {
    let usage = Arc::new(UsageSlot::default());
    usage.set_response_id(id.clone());
    let writer = ChunkWriter::new(
        id,
        created,
        options.alias.clone(),
        options.include_usage,
        usage.clone(),
        options.token_prices,
    );
    (usage, writer)
}

/// `qualifier` (the name of the endpoint to call, `DEFAULT` when absent), as LiteLLM's AgentCore
/// route takes it: in the request or the deployment's `litellm_params`.
fn qualifier(request: &ChatRequest) -> Option<String> {
    request.extra.get("qualifier").and_then(Value::as_str).filter(|q| !q.is_empty()).map(str::to_string)
}

/// The region and kind of an AgentCore ARN
/// (`arn:aws:bedrock-agentcore:<region>:<account>:harness/<id>` or `...:runtime/<id>`).
fn parse_arn(arn: &str) -> Result<(&str, Agent), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let fail = |why: &str| {
        Err(format!(
            "'{arn}' is not an AgentCore harness or agent runtime ARN ({why}); expected \
             bedrock/agentcore/arn:aws:bedrock-agentcore:<region>:<account>:harness/<harness id> (or runtime/<runtime id>)"
        ))
    };
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return fail("it has fewer than six ':'-separated parts");
    };
    if *prefix != "arn" || !partition.starts_with("aws") || *service != "bedrock-agentcore" {
        return fail("it is not a bedrock-agentcore ARN");
    }
    if region.is_empty() || !region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return fail("its region is not a region code");
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return fail("its account is not 12 digits");
    }
    match resource.split_once('/') {
        Some(("harness", id)) if !id.is_empty() && !id.contains('/') => Ok((region, Agent::Harness)),
        Some(("runtime", id)) if !id.is_empty() && !id.contains('/') => Ok((region, Agent::Runtime)),
        _ => fail("it names no harness or runtime"),
    }
}

impl Provider for AgentCoreProvider {
    fn chat<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(self.chat_impl(request, options))
    }

    fn api_base(&self) -> Option<String> {
        Some(self.endpoint.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::{Agent, parse_arn};

    #[test]
    fn agentcore_arns_are_checked() {
        let harness = "arn:aws:bedrock-agentcore:us-west-2:123456789012:harness/desk_harness-a1b2c3d4e5";
        assert_eq!(parse_arn(harness), Ok(("us-west-2", Agent::Harness)));
        let runtime = "arn:aws:bedrock-agentcore:eu-central-1:123456789012:runtime/hosted_agent_r9jvp-3ySZuRHjLC";
        assert_eq!(parse_arn(runtime), Ok(("eu-central-1", Agent::Runtime)));
        for (bad, why) in [
            ("arn:aws:bedrock:us-west-2:123456789012:harness/h", "not a bedrock-agentcore ARN"),
            ("arn:aws:bedrock-agentcore:us-west-2:1234:harness/h", "12 digits"),
            ("arn:aws:bedrock-agentcore:US:123456789012:harness/h", "region code"),
            ("arn:aws:bedrock-agentcore:us-west-2:123456789012:harness/", "names no harness"),
            ("arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/g", "names no harness"),
            ("my-harness", "six"),
        ] {
            let e = parse_arn(bad).unwrap_err();
            assert!(e.contains(why) && e.contains("bedrock/agentcore/arn:aws"), "{bad}: {e}");
        }
    }
}
