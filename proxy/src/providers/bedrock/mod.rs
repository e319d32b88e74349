//! Amazon Bedrock through the Converse and ConverseStream APIs of `aws-sdk-bedrockruntime`.
//!
//! `bedrock/<model id>`, `bedrock/converse/<model id>` and inference-profile ids or ARNs all go
//! through Converse, which speaks one format for every model family; embeddings, which Converse
//! does not serve, go through InvokeModel (see `embeddings`).

pub(crate) mod document;
mod embeddings;
mod request;
mod response;
mod stream;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::meta::region::ProvideRegion;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Region;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::types::{ConverseTokensRequest, CountTokensInput};
use aws_smithy_types::error::display::DisplayErrorContext;
use futures::future::BoxFuture;
use secrecy::ExposeSecret;

use super::{CallOptions, ChatOutput, ChatStream, Provider, ProviderError, SharedClients, UsageSlot};
use crate::config::{LitellmParams, ModelEntry};
use crate::providers::DONE_EVENT;
use crate::schema::ChatRequest;

pub struct BedrockProvider {
    client: Client,
    model_id: String,
    endpoint: String,
}

impl BedrockProvider {
    pub async fn build(entry: &ModelEntry, clients: &SharedClients) -> Result<Self, String> {
        let label = entry.label();
        let params = &entry.params;
        let model_id = strip_api_prefix(&entry.provider_model).to_string();
        if model_id.is_empty() {
            return Err(format!("{label}.litellm_params.model: the Bedrock model id is empty"));
        }

        let region = match &params.aws_region_name {
            Some(r) => Some(r.clone()),
            None => configured_region(params).await,
        };
        let region = region.ok_or_else(|| {
            format!("{label}.litellm_params.aws_region_name: no AWS region; set aws_region_name, AWS_REGION, or a region in the AWS profile")
        })?;
        let sdk_config = sdk_config(params, clients, &region).await;

        // The gateway's router retries every provider alike (and counts the retries it reports).
        let mut builder =
            aws_sdk_bedrockruntime::config::Builder::from(&sdk_config).retry_config(RetryConfig::disabled());
        if let Some(endpoint) = &params.aws_bedrock_runtime_endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        let client = Client::from_conf(builder.build());
        let endpoint = params
            .aws_bedrock_runtime_endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME").ok())
            .unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"));
        Ok(Self { client, model_id, endpoint })
    }
}

/// Sends a translated request through either Converse builder (they share no trait).
macro_rules! send_converse {
    ($builder:expr, $model_id:expr, $input:expr) => {
        $builder
            .model_id($model_id)
            .set_messages(Some($input.messages))
            .set_system(Some($input.system).filter(|s| !s.is_empty()))
            .set_inference_config($input.inference)
            .set_tool_config($input.tool_config)
            .set_additional_model_request_fields($input.additional)
            .send()
            .await
            .map_err(|e| sdk_error(e, |raw| Some(raw.status().as_u16())))
    };
}

impl BedrockProvider {
    async fn chat_impl(&self, request: &ChatRequest, options: CallOptions) -> Result<ChatOutput, ProviderError> {
        let input = request::translate(request)?;
        let model_id = match options.upstream_model.as_deref() {
            Some(m) => strip_api_prefix(m),
            None => &self.model_id,
        };
        let id = format!("chatcmpl-{}", options.call_id.simple());
        let created = crate::time::unix_now();
        if request.is_stream() {
            let output = send_converse!(self.client.converse_stream(), model_id, input)?;
            let usage = Arc::new(UsageSlot::default());
            usage.set_response_id(id.clone());
            let translator = stream::Translator::new(
                id,
                created,
                options.alias.clone(),
                options.include_usage,
                usage.clone(),
                options.token_prices,
            );
            let events = futures::stream::unfold(
                (output.stream, translator, false),
                |(mut receiver, mut translator, finished)| async move {
                    if finished {
                        return None;
                    }
                    loop {
                        match receiver.recv().await {
                            Ok(Some(event)) => match translator.chunk(&event) {
                                Ok(Some(bytes)) => {
                                    return Some((Ok(bytes), (receiver, translator, false)));
                                }
                                Ok(None) => continue,
                                Err(e) => return Some((Err(e), (receiver, translator, true))),
                            },
                            Ok(None) => {
                                return Some((Ok(bytes::Bytes::from_static(DONE_EVENT)), (receiver, translator, true)));
                            }
                            Err(e) => {
                                return Some((Err(sdk_error(e, |_| None)), (receiver, translator, true)));
                            }
                        }
                    }
                },
            );
            return Ok(ChatOutput::Stream(ChatStream { events: Box::pin(events), usage, native: false }));
        }
        let output = send_converse!(self.client.converse(), model_id, input)?;
        let (body, usage) = response::completion(output, &id, created, &options.alias)?;
        Ok(ChatOutput::Complete { body, usage, response_id: Some(id), native: false })
    }
}

impl BedrockProvider {
    async fn count_tokens_impl(
        &self,
        request: &ChatRequest,
        options: CallOptions,
    ) -> Result<Option<u64>, ProviderError> {
        let input = request::translate(request)?;
        let model_id = match options.upstream_model.as_deref() {
            Some(m) => strip_api_prefix(m),
            None => &self.model_id,
        };
        let converse = ConverseTokensRequest::builder()
            .set_messages(Some(input.messages))
            .set_system(Some(input.system).filter(|s| !s.is_empty()))
            .set_tool_config(input.tool_config)
            .set_additional_model_request_fields(input.additional)
            .build();
        let output = self
            .client
            .count_tokens()
            .model_id(model_id)
            .input(CountTokensInput::Converse(converse))
            .send()
            .await
            .map_err(|e| sdk_error(e, |raw| Some(raw.status().as_u16())))?;
        Ok(Some(output.input_tokens().max(0) as u64))
    }
}

impl Provider for BedrockProvider {
    fn chat<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(self.chat_impl(request, options))
    }

    fn count_tokens<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<Option<u64>, ProviderError>> {
        Box::pin(self.count_tokens_impl(request, options))
    }

    fn api_base(&self) -> Option<String> {
        Some(self.endpoint.clone())
    }

    fn embed<'a>(
        &'a self,
        request: &'a crate::schema::embeddings::EmbeddingRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(self.embed_impl(request, options))
    }
}

/// The Bedrock model id in a model name: LiteLLM's routing prefixes taken off in its order
/// (`strip_bedrock_routing_prefix`). `converse/`, `invoke/` and the rest choose LiteLLM's Bedrock
/// API (all go through Converse here); a `bedrock/` left by a wildcard (`*` of `bedrock/*` asked
/// for `bedrock/us.anthropic...`, as `/v1/models` lists it) is not part of the id either.
fn strip_api_prefix(model: &str) -> &str {
    const ROUTING_PREFIXES: &[&str] =
        &["bedrock/", "chat_completions/", "converse/", "invoke/", "openai/", "mantle/", "nova-2/", "nova/"];
    ROUTING_PREFIXES.iter().fold(model, |m, prefix| m.strip_prefix(prefix).unwrap_or(m))
}

/// The region of the environment (`AWS_REGION`, `AWS_DEFAULT_REGION`) or of the deployment's AWS
/// profile, for a deployment that names none.
pub(crate) async fn configured_region(params: &LitellmParams) -> Option<String> {
    match std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")) {
        Ok(r) if !r.is_empty() => Some(r),
        _ => profile_region(params.aws_profile_name.as_deref()).await,
    }
}

/// The AWS configuration of a deployment: the standard chain (environment, profiles, SSO, roles),
/// or the profile and keys its `litellm_params` name, on the process's one AWS HTTP client.
pub(crate) async fn sdk_config(params: &LitellmParams, clients: &SharedClients, region: &str) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(clients.aws_http.clone())
        .region(Region::new(region.to_string()))
        // Our own timeouts bound a stream; a model that thinks for a while is not stalled.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(profile) = &params.aws_profile_name {
        loader = loader.profile_name(profile);
    }
    if let (Some(id), Some(secret)) = (&params.aws_access_key_id, &params.aws_secret_access_key) {
        loader = loader.credentials_provider(Credentials::new(
            id,
            secret.expose_secret(),
            params.aws_session_token.as_ref().map(|t| t.expose_secret().to_string()),
            None,
            "litellm_params",
        ));
    }
    loader.load().await
}

/// The region a profile names in the shared AWS config files.
pub(crate) async fn profile_region(profile: Option<&str>) -> Option<String> {
    let mut provider = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(p) = profile {
        provider = provider.profile_name(p);
    }
    provider.build().region().await.map(|r| r.to_string())
}

/// Maps an SDK failure to a provider error. `status_of` reads the HTTP status when the failure
/// came with an HTTP response (stream events have none; their status comes from the code).
pub(crate) fn sdk_error<E, R>(error: SdkError<E, R>, status_of: impl Fn(&R) -> Option<u16>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let described = DisplayErrorContext(&error).to_string();
    match error {
        SdkError::ServiceError(ctx) => {
            let code = ctx.err().code().map(str::to_string);
            let status = status_of(ctx.raw()).unwrap_or_else(|| status_for_code(code.as_deref()));
            let message = ctx.err().message().unwrap_or("no error message").to_string();
            let message = match &code {
                Some(c) => format!("{c}: {message}"),
                None => message,
            };
            ProviderError::Upstream { status, code, message, retry_after: None }
        }
        SdkError::TimeoutError(_) => ProviderError::Timeout(std::time::Duration::ZERO),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => ProviderError::Timeout(std::time::Duration::ZERO),
        SdkError::DispatchFailure(_) => ProviderError::Connect(described),
        SdkError::ConstructionFailure(_) => ProviderError::InvalidRequest(described),
        _ => ProviderError::Protocol(described),
    }
}

/// HTTP statuses of Bedrock's errors, for errors that arrive inside an event stream.
fn status_for_code(code: Option<&str>) -> u16 {
    match code.map(|c| c.trim_end_matches("Exception").to_ascii_lowercase()) {
        Some(c) if c == "throttling" || c == "modelnotready" => 429,
        Some(c) if c == "validation" => 400,
        Some(c) if c == "accessdenied" => 403,
        Some(c) if c == "resourcenotfound" => 404,
        Some(c) if c == "modeltimeout" => 408,
        Some(c) if c == "modelerror" || c == "modelstreamerror" => 424,
        Some(c) if c == "serviceunavailable" => 503,
        _ => 500,
    }
}
