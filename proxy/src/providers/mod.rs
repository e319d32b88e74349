//! Upstream providers. Each module owns its translation; this file is only the contract and the
//! registry that maps a `litellm_params.model` prefix to a module.

pub mod agentcore;
pub mod anthropic;
pub mod azure;
pub mod bedrock;
pub mod gemini;
pub mod openai;
mod sse;
mod text_completion;

use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;

use crate::config::ModelEntry;
use crate::http_client::HttpClient;
use crate::schema::completions::CompletionRequest;
use crate::schema::embeddings::EmbeddingRequest;
use crate::schema::{ChatRequest, Usage};

pub use sse::{ChunkWriter, DONE_EVENT, EventSplitter, ToChunks, data_event, joined, translated};

/// What a provider is given with each call, besides the request.
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// The public model name the client asked for; answers carry it as `model`.
    pub alias: Arc<str>,
    /// Whether the client wants the final usage chunk of a stream.
    pub include_usage: bool,
    /// The gateway's id of this call (`x-litellm-call-id`); translating providers derive the
    /// response id from it.
    pub call_id: uuid::Uuid,
    /// USD per prompt and completion token, to report `usage.cost` in stream usage chunks as
    /// LiteLLM does.
    pub token_prices: Option<TokenPrices>,
    /// The upstream model id when the call decides it (a wildcard route), instead of the
    /// deployment's own.
    pub upstream_model: Option<Arc<str>>,
    /// Who is calling (the virtual key's hash; `None` for the master key): a provider that keeps
    /// state per conversation keeps each caller's apart.
    pub caller: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TokenPrices {
    pub input: f64,
    pub output: f64,
    /// Prompt-cache reads and writes, where the model prices them apart from other input.
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
}

impl TokenPrices {
    pub fn new(input: f64, output: f64) -> Self {
        TokenPrices { input, output, cache_read: None, cache_write: None }
    }

    /// USD cost of a call, as LiteLLM computes it: cache reads and writes at their own prices
    /// (else as other input), the rest of the prompt and the completion at theirs.
    pub fn cost(&self, usage: &Usage) -> f64 {
        usage.uncached_prompt_tokens() as f64 * self.input
            + usage.cache_read_input_tokens as f64 * self.cache_read.unwrap_or(self.input)
            + usage.cache_creation_input_tokens as f64 * self.cache_write.unwrap_or(self.input)
            + usage.completion_tokens as f64 * self.output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_prices_cache_reads_and_writes_apart() {
        let gpt4o = TokenPrices::new(2.5e-6, 1e-5);
        assert!((gpt4o.cost(&Usage::new(10, 5)) - 7.5e-5).abs() < 1e-12, "LiteLLM's gpt-4o example");
        let haiku = TokenPrices { input: 8e-7, output: 4e-6, cache_read: Some(8e-8), cache_write: Some(1e-6) };
        let usage = Usage { cache_read_input_tokens: 1000, cache_creation_input_tokens: 100, ..Usage::new(1110, 20) };
        let expected = 10.0 * 8e-7 + 1000.0 * 8e-8 + 100.0 * 1e-6 + 20.0 * 4e-6;
        assert!((haiku.cost(&usage) - expected).abs() < 1e-15, "{}", haiku.cost(&usage));
        let unpriced_cache = TokenPrices::new(1.0, 0.0);
        assert_eq!(unpriced_cache.cost(&usage), 1110.0, "cache tokens at the input price when not priced apart");
    }
}

/// A provider's answer (to a chat, an embeddings or a text completion request) in the OpenAI
/// format of the request, unless it is `native`: in the client's own format (the request's
/// [`crate::schema::NativeRequest`] forwarded as it was).
pub enum ChatOutput {
    /// A complete answer, serialized, with `model` already set to the alias.
    Complete { body: Bytes, usage: Usage, response_id: Option<String>, native: bool },
    /// Server-sent events, framed and ready to send (an OpenAI stream ends with `data: [DONE]`).
    Stream(ChatStream),
}

pub struct ChatStream {
    pub events: BoxStream<'static, Result<Bytes, ProviderError>>,
    /// Filled by the stream when the upstream reports usage.
    pub usage: Arc<UsageSlot>,
    pub native: bool,
}

/// What a stream learns about its answer (usage, the response id), read once it ends.
#[derive(Debug, Default)]
pub struct UsageSlot(Mutex<(Option<Usage>, Option<String>)>);

impl UsageSlot {
    pub fn set(&self, usage: Usage) {
        self.0.lock().0 = Some(usage);
    }

    pub fn get(&self) -> Option<Usage> {
        self.0.lock().0
    }

    pub fn set_response_id(&self, id: String) {
        self.0.lock().1 = Some(id);
    }

    pub fn response_id(&self) -> Option<String> {
        self.0.lock().1.clone()
    }
}

/// A deployment's upstream.
pub trait Provider: Send + Sync + 'static {
    /// Sends one chat request (already parsed, `model` still the alias) to the upstream. The
    /// request is borrowed so that a failed attempt can be retried without copying it.
    fn chat<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>>;

    /// The prompt tokens of `request` as the upstream counts them, for
    /// `/v1/messages/count_tokens`; `None` when the upstream has no way to count.
    fn count_tokens<'a>(
        &'a self,
        _request: &'a ChatRequest,
        _options: CallOptions,
    ) -> BoxFuture<'a, Result<Option<u64>, ProviderError>> {
        Box::pin(async { Ok(None) })
    }

    /// The upstream endpoint, for `/model/info` and health reports.
    fn api_base(&self) -> Option<String>;

    /// Embeds the request's inputs (`/v1/embeddings`); answers `ChatOutput::Complete` with an
    /// OpenAI embeddings list. Providers without embedding models keep this refusal.
    fn embed<'a>(
        &'a self,
        request: &'a EmbeddingRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        let _ = request;
        Box::pin(async move {
            Err(ProviderError::InvalidRequest(format!(
                "model={} cannot create embeddings: its provider serves chat models only",
                options.alias
            )))
        })
    }

    /// A legacy text completion (`/v1/completions`). By default the prompt is sent as a chat
    /// turn and the answer reshaped as a text completion; OpenAI-compatible upstreams are asked
    /// natively.
    fn complete<'a>(
        &'a self,
        request: &'a CompletionRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(async move {
            let chat = request.to_chat().map_err(|(message, field)| {
                ProviderError::InvalidRequest(format!("model={}: {field}: {message}", options.alias))
            })?;
            let echo = request.echoed_prompt().map(str::to_string);
            let output = self.chat(&chat, options).await?;
            text_completion::from_chat(output, echo)
        })
    }
}

/// Why a provider call failed. Messages may contain upstream text; the gateway scrubs secrets
/// from them before they leave the process.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The upstream answered with an error status.
    #[error("{message}")]
    Upstream {
        status: u16,
        /// The upstream's error code or type, when it gave one (`ThrottlingException`, `rate_limit_exceeded`).
        code: Option<String>,
        message: String,
        retry_after: Option<String>,
    },
    #[error("the upstream did not answer within {} s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("could not reach the upstream: {0}")]
    Connect(String),
    /// The request cannot be expressed for this provider.
    #[error("{0}")]
    InvalidRequest(String),
    /// The upstream answered something that is not its protocol.
    #[error("unexpected answer from the upstream: {0}")]
    Protocol(String),
}

/// The longest TCP + TLS handshake with an upstream.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest non-streamed answer read from an upstream.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The largest single server-sent event read from an upstream stream.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// What providers share: one HTTP client and one AWS HTTP client for the whole process.
#[derive(Clone)]
pub struct SharedClients {
    pub http: HttpClient,
    pub aws_http: aws_smithy_runtime_api::client::http::SharedHttpClient,
}

impl SharedClients {
    pub fn new() -> Result<Self, String> {
        let http = HttpClient::new(CONNECT_TIMEOUT)?;
        let aws_http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_https();
        Ok(Self { http, aws_http })
    }
}

/// Builds the provider of one `model_list` entry. Adding a provider means adding its module and
/// one arm here.
pub async fn build(entry: &ModelEntry, clients: &SharedClients) -> Result<Arc<dyn Provider>, String> {
    match entry.provider.as_str() {
        "bedrock" if agentcore::is_route(&entry.provider_model) => {
            Ok(Arc::new(agentcore::AgentCoreProvider::build(entry, clients).await?))
        }
        "bedrock" => Ok(Arc::new(bedrock::BedrockProvider::build(entry, clients).await?)),
        "anthropic" => Ok(Arc::new(anthropic::AnthropicProvider::build(entry, clients)?)),
        "azure" => Ok(Arc::new(azure::build(entry, clients)?)),
        "gemini" => Ok(Arc::new(gemini::GeminiProvider::build(entry, clients)?)),
        p if openai::Flavor::from_prefix(p).is_some() => Ok(Arc::new(openai::OpenAiProvider::build(entry, clients)?)),
        other => Err(format!(
            "{}.litellm_params.model: unknown or unsupported provider '{other}' in '{}'; supported: bedrock, anthropic, azure, gemini, {}",
            entry.label(),
            entry.model,
            openai::Flavor::PREFIXES.join(", ")
        )),
    }
}
