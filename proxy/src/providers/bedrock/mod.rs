//! Amazon Bedrock: chat through Converse and ConverseStream, embeddings through InvokeModel.
//!
//! `bedrock/<model id>`, `bedrock/converse/<model id>` and inference-profile ids or ARNs all go
//! through Converse, which speaks one format for every model family; embeddings, which Converse
//! does not serve, go through InvokeModel (see `embeddings`).
//!
//! Converse calls are the hot path, so they are made here rather than through the SDK's
//! orchestrator: the chat request is written straight into Converse's JSON (`wire`), signed with
//! the day's cached SigV4 key (`sigv4`), sent on the process's HTTP client, and the answer read
//! straight into the chat completion. `aws-sdk-bedrockruntime` still decides everything about
//! the account: credentials (its provider chain), the region, the endpoint (its resolver, with
//! FIPS and dual-stack), the Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`), and it makes the
//! InvokeModel calls.

pub(crate) mod document;
mod embeddings;
mod event_stream;
mod request;
mod response;
mod sigv4;
mod stream;
mod wire;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::meta::region::ProvideRegion;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Region;
use aws_sdk_bedrockruntime::config::endpoint::{DefaultResolver, Params as EndpointParams, ResolveEndpoint};
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_types::service_config::ServiceConfigKey;
use futures::StreamExt;
use futures::future::BoxFuture;
use http::HeaderValue;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use secrecy::ExposeSecret;

use super::openai::{read_capped, read_limited, transport_error};
use super::{CallOptions, ChatOutput, ChatStream, Provider, ProviderError, SharedClients, UsageSlot};
use crate::config::{LitellmParams, ModelEntry};
use crate::http_client::{HttpClient, UpstreamResponse};
use crate::schema::ChatRequest;

/// What an SDK path label leaves alone (`aws_smithy_http::label`, `EncodingStrategy::Default`):
/// an inference-profile ARN's `:` and `/` are encoded.
const PATH_LABEL: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The largest error body read from Bedrock.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

pub struct BedrockProvider {
    /// InvokeModel (embeddings).
    client: Client,
    http: HttpClient,
    auth: Auth,
    model_id: String,
    /// The resolved endpoint, without a trailing `/`.
    endpoint: String,
    /// Its scheme, host and port.
    origin: String,
    /// Its path, which a request's path extends.
    base_path: String,
    /// `Host` as sent and signed.
    host: HeaderValue,
}

/// How Converse calls are authorized: SigV4 with the account's credentials, or a Bedrock API
/// key (`AWS_BEARER_TOKEN_BEDROCK`), which the SDK prefers when it is set.
enum Auth {
    SigV4(sigv4::Signer),
    Bearer(HeaderValue),
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

        // Where the SDK would send the call: the deployment's endpoint, the service's own
        // (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, a profile's `services` section), the global one,
        // else the SDK's resolver for the region.
        let endpoint_override = params
            .aws_bedrock_runtime_endpoint
            .clone()
            .or_else(|| service_setting(&sdk_config, "Bedrock Runtime", "AWS_ENDPOINT_URL", "endpoint_url"))
            .or_else(|| sdk_config.endpoint_url().map(str::to_string));
        let endpoint_params = EndpointParams::builder()
            .region(region.clone())
            .use_fips(sdk_config.use_fips().unwrap_or(false))
            .use_dual_stack(sdk_config.use_dual_stack().unwrap_or(false))
            .set_endpoint(endpoint_override)
            .build()
            .map_err(|e| format!("{label}: the Bedrock endpoint cannot be resolved: {e}"))?;
        let resolved = DefaultResolver::new()
            .resolve_endpoint(&endpoint_params)
            .await
            .map_err(|e| format!("{label}: the Bedrock endpoint cannot be resolved: {e}"))?;
        let endpoint = resolved.url().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&endpoint)
            .map_err(|e| format!("{label}: the Bedrock endpoint '{endpoint}' is not a URL ({e})"))?;
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => return Err(format!("{label}: the Bedrock endpoint '{endpoint}' names no host")),
        };
        let host = HeaderValue::from_str(&host)
            .map_err(|_| format!("{label}: the Bedrock endpoint '{endpoint}' has a host no header can carry"))?;
        let base_path = url.path().trim_end_matches('/').to_string();
        let origin = url.origin().ascii_serialization();

        let auth = match service_setting(&sdk_config, "bedrock", "AWS_BEARER_TOKEN", "") {
            Some(token) => Auth::Bearer(
                HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| "AWS_BEARER_TOKEN_BEDROCK: holds characters a header cannot".to_string())?,
            ),
            None => {
                let provider = sdk_config
                    .credentials_provider()
                    .ok_or_else(|| format!("{label}: no AWS credential provider (the default chain was not loaded)"))?;
                Auth::SigV4(sigv4::Signer::new(&region, "bedrock", provider))
            }
        };

        Ok(Self { client, http: clients.http.clone(), auth, model_id, endpoint, origin, base_path, host })
    }

    /// `POST`s a JSON body to `/model/{model}/{operation}`, signed; an error status is Bedrock's
    /// error.
    async fn post(&self, model: &str, operation: &str, body: Vec<u8>) -> Result<UpstreamResponse, ProviderError> {
        let mut path = String::with_capacity(self.base_path.len() + model.len() + 32);
        path.push_str(&self.base_path);
        path.push_str("/model/");
        path.extend(percent_encoding::utf8_percent_encode(model, PATH_LABEL));
        path.push('/');
        path.push_str(operation);
        let url = http::Uri::try_from(format!("{}{path}", self.origin))
            .map_err(|e| ProviderError::InvalidRequest(format!("the model id makes no valid URL ({e})")))?;

        let mut builder = self
            .http
            .post(url)
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        match &self.auth {
            Auth::SigV4(signer) => {
                let host = self.host.to_str().unwrap_or_default();
                let signed = signer.sign_post(host, &path, &body).await?;
                builder = builder.header("x-amz-date", signed.amz_date).header(AUTHORIZATION, signed.authorization);
                if let Some(token) = signed.security_token {
                    builder = builder.header("x-amz-security-token", token);
                }
            }
            Auth::Bearer(token) => builder = builder.header(AUTHORIZATION, token.clone()),
        }
        let response = builder.body(body).send().await.map_err(transport_error)?;
        if response.status().is_success() { Ok(response) } else { Err(bedrock_error(response).await) }
    }

    fn model_for<'a>(&'a self, options: &'a CallOptions) -> &'a str {
        match options.upstream_model.as_deref() {
            Some(m) => strip_api_prefix(m),
            None => &self.model_id,
        }
    }

    async fn chat_impl(&self, request: &ChatRequest, options: CallOptions) -> Result<ChatOutput, ProviderError> {
        let body = serde_json::to_vec(&request::translate(request)?)
            .map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
        let model_id = self.model_for(&options);
        let id = format!("chatcmpl-{}", options.call_id.simple());
        let created = crate::time::unix_now();
        if request.is_stream() {
            let response = self.post(model_id, "converse-stream", body).await?;
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
            let body = response.bytes_stream().map(|chunk| chunk.map_err(transport_error));
            let events = stream::chunks(body, translator);
            return Ok(ChatOutput::Stream(ChatStream { events, usage, native: false }));
        }
        let response = self.post(model_id, "converse", body).await?;
        let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
        let (body, usage) = response::completion(&bytes, &id, created, &options.alias)?;
        Ok(ChatOutput::Complete { body, usage, response_id: Some(id), native: false })
    }

    async fn count_tokens_impl(
        &self,
        request: &ChatRequest,
        options: CallOptions,
    ) -> Result<Option<u64>, ProviderError> {
        let converse = request::translate(request)?;
        let body = serde_json::to_vec(&wire::CountTokensRequest::of(&converse))
            .map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
        let response = self.post(self.model_for(&options), "count-tokens", body).await?;
        let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Count {
            input_tokens: i64,
        }
        let count: Count = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Protocol(format!("the answer is not a token count ({e})")))?;
        Ok(Some(count.input_tokens.max(0) as u64))
    }
}

/// A setting the SDK reads per service: `{env}_{SERVICE}` from the environment, or the
/// profile's `services` section.
fn service_setting(config: &aws_config::SdkConfig, service_id: &str, env: &str, profile: &str) -> Option<String> {
    let key = ServiceConfigKey::builder().service_id(service_id).env(env).profile(profile).build().ok()?;
    config.service_config()?.load_config(key).filter(|v| !v.is_empty())
}

/// Bedrock's error answer (restJson1): the code from `x-amzn-ErrorType` (or the body's
/// `__type`), without the namespace or URI either may carry.
async fn bedrock_error(response: UpstreamResponse) -> ProviderError {
    let status = response.status().as_u16();
    let header_code = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).to_string());
    let body = read_limited(response, ERROR_BODY_LIMIT).await;
    let parsed: wire::ErrorBody = serde_json::from_slice(&body).unwrap_or_default();
    let code = header_code
        .or_else(|| parsed.kind.as_deref().map(|k| k.rsplit('#').next().unwrap_or(k).to_string()))
        .filter(|c| !c.is_empty());
    let message = match parsed.message.as_deref() {
        Some(m) => m.to_string(),
        None if body.is_empty() => "no error message".to_string(),
        None => String::from_utf8_lossy(&body).into_owned(),
    };
    let message = match &code {
        Some(c) => format!("{c}: {message}"),
        None => message,
    };
    ProviderError::Upstream { status, code, message, retry_after: None }
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
pub(crate) fn status_for_code(code: Option<&str>) -> u16 {
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
