//! OpenAI-compatible upstreams (`openai/`, `litellm_proxy/`, `hosted_vllm/`, and other servers
//! that speak Chat Completions): the request is forwarded as the client sent it, with the
//! deployment's model id and key; answers come back with the alias as `model`, and streams are
//! passed through frame by frame.

mod completions;
mod embeddings;
mod stream;

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::{CallOptions, ChatOutput, ChatStream, Provider, ProviderError, SharedClients, UsageSlot};
use crate::config::ModelEntry;
use crate::http_client::{HttpClient, TransportError, UpstreamResponse, uri_of};
use crate::schema::completions::CompletionRequest;
use crate::schema::embeddings::EmbeddingRequest;
use crate::schema::{ChatRequest, Usage};

/// The OpenAI-compatible providers Switchboard knows, with LiteLLM's prefixes and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flavor {
    pub prefix: &'static str,
    /// Where the upstream lives when `api_base` is not given.
    default_api_base: Option<&'static str>,
    /// Environment variables consulted, in order, when `api_base` / `api_key` are not given.
    api_base_env: &'static [&'static str],
    api_key_env: &'static [&'static str],
}

const FLAVORS: &[Flavor] = &[
    Flavor {
        prefix: "openai",
        default_api_base: Some("https://api.openai.com/v1"),
        api_base_env: &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
        api_key_env: &["OPENAI_API_KEY"],
    },
    Flavor {
        prefix: "litellm_proxy",
        default_api_base: None,
        api_base_env: &["LITELLM_PROXY_API_BASE"],
        api_key_env: &["LITELLM_PROXY_API_KEY"],
    },
    Flavor {
        prefix: "hosted_vllm",
        default_api_base: None,
        api_base_env: &["HOSTED_VLLM_API_BASE"],
        api_key_env: &["HOSTED_VLLM_API_KEY"],
    },
    Flavor { prefix: "openai_like", default_api_base: None, api_base_env: &[], api_key_env: &[] },
    Flavor {
        prefix: "lm_studio",
        default_api_base: Some("http://localhost:1234/v1"),
        api_base_env: &["LM_STUDIO_API_BASE"],
        api_key_env: &["LM_STUDIO_API_KEY"],
    },
    Flavor {
        prefix: "groq",
        default_api_base: Some("https://api.groq.com/openai/v1"),
        api_base_env: &[],
        api_key_env: &["GROQ_API_KEY"],
    },
    Flavor {
        prefix: "deepseek",
        default_api_base: Some("https://api.deepseek.com/v1"),
        api_base_env: &[],
        api_key_env: &["DEEPSEEK_API_KEY"],
    },
    Flavor {
        prefix: "mistral",
        default_api_base: Some("https://api.mistral.ai/v1"),
        api_base_env: &[],
        api_key_env: &["MISTRAL_API_KEY"],
    },
    Flavor {
        prefix: "together_ai",
        default_api_base: Some("https://api.together.xyz/v1"),
        api_base_env: &[],
        api_key_env: &["TOGETHERAI_API_KEY", "TOGETHER_API_KEY"],
    },
    Flavor {
        prefix: "fireworks_ai",
        default_api_base: Some("https://api.fireworks.ai/inference/v1"),
        api_base_env: &[],
        api_key_env: &["FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"],
    },
    Flavor {
        prefix: "openrouter",
        default_api_base: Some("https://openrouter.ai/api/v1"),
        api_base_env: &[],
        api_key_env: &["OPENROUTER_API_KEY"],
    },
    // LiteLLM's prefix for OpenAI's completion models (`gpt-3.5-turbo-instruct`); the same API.
    Flavor {
        prefix: "text-completion-openai",
        default_api_base: Some("https://api.openai.com/v1"),
        api_base_env: &["OPENAI_BASE_URL", "OPENAI_API_BASE"],
        api_key_env: &["OPENAI_API_KEY"],
    },
    Flavor {
        prefix: "xai",
        default_api_base: Some("https://api.x.ai/v1"),
        api_base_env: &[],
        api_key_env: &["XAI_API_KEY"],
    },
];

impl Flavor {
    pub const PREFIXES: &'static [&'static str] = &[
        "openai",
        "litellm_proxy",
        "hosted_vllm",
        "openai_like",
        "lm_studio",
        "groq",
        "deepseek",
        "mistral",
        "together_ai",
        "fireworks_ai",
        "openrouter",
        "text-completion-openai",
        "xai",
    ];

    pub fn from_prefix(prefix: &str) -> Option<Flavor> {
        FLAVORS.iter().copied().find(|f| f.prefix == prefix)
    }
}

fn first_env(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

/// The parts of an upstream answer the gateway reads.
#[derive(serde::Deserialize)]
struct AnswerHead {
    id: Option<String>,
    usage: Option<Usage>,
}

/// The three URLs of an upstream, parsed once.
#[derive(Clone)]
pub(crate) struct Urls {
    pub chat: http::Uri,
    pub embeddings: http::Uri,
    pub completions: http::Uri,
}

/// Which operation a URL is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operation {
    Chat,
    Embeddings,
    Completions,
}

impl Urls {
    fn of(&self, op: Operation) -> &http::Uri {
        match op {
            Operation::Chat => &self.chat,
            Operation::Embeddings => &self.embeddings,
            Operation::Completions => &self.completions,
        }
    }
}

/// Builds the URL of an operation for an upstream model named in the path (an Azure deployment
/// routed by a wildcard).
pub(crate) type ModelUrl = Arc<dyn Fn(&str, Operation) -> Result<reqwest::Url, String> + Send + Sync>;

/// What makes one OpenAI-compatible upstream different from another: where it is and how it
/// authenticates. Everything else (forwarding, streams, errors) is shared.
pub(crate) struct Upstream {
    /// Shown by `/model/info`.
    pub api_base: String,
    /// The deployment's own model's URLs.
    pub urls: Urls,
    /// Set when the model is part of the path rather than the body (Azure), so that a call
    /// naming another model (a wildcard route) goes to that model's path.
    pub model_url: Option<ModelUrl>,
    /// The credential header (`Authorization: Bearer`, Azure's `api-key`).
    pub auth: Option<(HeaderName, HeaderValue)>,
    pub extra_headers: Vec<(HeaderName, HeaderValue)>,
}

/// A header value holding a secret, refused at boot if it cannot be sent.
pub(crate) fn secret_header(value: &str, field: &str) -> Result<HeaderValue, String> {
    let mut v =
        HeaderValue::from_str(value).map_err(|_| format!("{field}: contains characters not allowed in a header"))?;
    v.set_sensitive(true);
    Ok(v)
}

pub struct OpenAiProvider {
    http: HttpClient,
    upstream: Upstream,
    upstream_model: Arc<str>,
}

impl OpenAiProvider {
    pub fn build(entry: &ModelEntry, clients: &SharedClients) -> Result<Self, String> {
        let label = entry.label();
        let flavor = Flavor::from_prefix(&entry.provider)
            .ok_or_else(|| format!("{label}: '{}' is not an OpenAI-compatible provider", entry.provider))?;
        let api_base = entry
            .params
            .api_base
            .clone()
            .or_else(|| first_env(flavor.api_base_env))
            .or_else(|| flavor.default_api_base.map(str::to_string))
            .ok_or_else(|| format!("{label}.litellm_params.api_base: required for {}/ models", flavor.prefix))?;
        let api_base = api_base.trim_end_matches('/').to_string();
        let api_key = entry
            .params
            .api_key
            .as_ref()
            .map(|k| k.expose_secret().to_string())
            .or_else(|| first_env(flavor.api_key_env));
        let auth = api_key
            .map(|key| secret_header(&format!("Bearer {key}"), &format!("{label}.litellm_params.api_key")))
            .transpose()?
            .map(|v| (AUTHORIZATION, v));
        let mut extra_headers = Vec::new();
        if let Some(o) = entry.params.organization.as_deref() {
            let v = HeaderValue::from_str(o)
                .map_err(|_| format!("{label}.litellm_params.organization: not a valid header value"))?;
            extra_headers.push((HeaderName::from_static("openai-organization"), v));
        }
        let url = |path: &str| {
            reqwest::Url::parse(&format!("{api_base}/{path}"))
                .map_err(|e| e.to_string())
                .and_then(|url| uri_of(&url))
                .map_err(|e| format!("{label}.litellm_params.api_base: '{api_base}' is not a valid URL ({e})"))
        };
        let urls =
            Urls { chat: url("chat/completions")?, embeddings: url("embeddings")?, completions: url("completions")? };
        let upstream = Upstream { api_base, urls, model_url: None, auth, extra_headers };
        Ok(Self::with_upstream(entry, clients, upstream))
    }

    /// An OpenAI-compatible provider for an upstream that another module configured (Azure).
    pub(crate) fn with_upstream(entry: &ModelEntry, clients: &SharedClients, upstream: Upstream) -> Self {
        Self { http: clients.http.clone(), upstream, upstream_model: entry.provider_model.as_str().into() }
    }

    /// The model this call asks for, and the URL of `op` for it.
    fn target<'a>(&'a self, options: &'a CallOptions, op: Operation) -> Result<(&'a str, http::Uri), ProviderError> {
        match (options.upstream_model.as_deref(), &self.upstream.model_url) {
            (Some(model), Some(model_url)) if model != &*self.upstream_model => {
                let url = model_url(model, op).and_then(|url| uri_of(&url)).map_err(ProviderError::InvalidRequest)?;
                Ok((model, url))
            }
            // A `Uri` clone shares its bytes.
            (model, _) => Ok((model.unwrap_or(&self.upstream_model), self.upstream.urls.of(op).clone())),
        }
    }

    async fn send(&self, url: http::Uri, request: &impl serde::Serialize) -> Result<UpstreamResponse, ProviderError> {
        let body = serde_json::to_vec(request).map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
        let mut builder =
            self.http.post(url).header(CONTENT_TYPE, HeaderValue::from_static("application/json")).body(body);
        if let Some((name, value)) = &self.upstream.auth {
            builder = builder.header(name.clone(), value.clone());
        }
        for (name, value) in &self.upstream.extra_headers {
            builder = builder.header(name.clone(), value.clone());
        }
        let response = builder.send().await.map_err(transport_error)?;
        if response.status().is_success() { Ok(response) } else { Err(upstream_error(response).await) }
    }

    async fn chat_impl(&self, request: &ChatRequest, options: CallOptions) -> Result<ChatOutput, ProviderError> {
        let (model, url) = self.target(&options, Operation::Chat)?;
        // Usage is always requested upstream for streams (it is what spend is computed from); the
        // client sees the usage chunk only if it asked for it.
        let upstream = request.upstream(model);
        let response = self.send(url, &upstream).await?;
        if request.is_stream() {
            return Ok(self.pass_stream(response, &options));
        }
        complete_answer(response, &options.alias, "chat completion").await
    }

    /// A streamed answer passed through with `model` rewritten and usage recorded (chat and
    /// text completion chunks alike).
    fn pass_stream(&self, response: UpstreamResponse, options: &CallOptions) -> ChatOutput {
        let usage = Arc::new(UsageSlot::default());
        let rewriter =
            stream::Rewriter::new(options.alias.clone(), options.include_usage, usage.clone(), options.token_prices);
        let events = rewriter.rewrite(response.bytes_stream().map(|r| r.map_err(transport_error)));
        ChatOutput::Stream(ChatStream { events: Box::pin(events), usage, native: false })
    }
}

/// A whole answer, passed on with only `model` changed (as streams are), once what the gateway
/// needs is read from it and it is known to be a JSON object.
async fn complete_answer(response: UpstreamResponse, alias: &str, what: &str) -> Result<ChatOutput, ProviderError> {
    let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
    let head: AnswerHead = serde_json::from_slice(&bytes)
        .map_err(|e| ProviderError::Protocol(format!("the answer is not a {what} object ({e})")))?;
    let alias_json = serde_json::to_vec(alias).map_err(|e| ProviderError::Protocol(e.to_string()))?;
    let mut body = bytes::BytesMut::with_capacity(bytes.len() + alias_json.len());
    stream::splice_model(&bytes, &alias_json, &mut body);
    Ok(ChatOutput::Complete {
        body: body.freeze(),
        usage: head.usage.unwrap_or_default(),
        response_id: head.id,
        native: false,
    })
}

impl Provider for OpenAiProvider {
    fn chat<'a>(
        &'a self,
        request: &'a ChatRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(self.chat_impl(request, options))
    }

    fn api_base(&self) -> Option<String> {
        Some(self.upstream.api_base.clone())
    }

    fn embed<'a>(
        &'a self,
        request: &'a EmbeddingRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(self.embed_impl(request, options))
    }

    fn complete<'a>(
        &'a self,
        request: &'a CompletionRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(self.complete_impl(request, options))
    }
}

/// A call that failed below HTTP. The message never holds the URL (the deployment's api_base,
/// which the client has no business seeing): hyper's errors do not carry it.
pub(crate) fn transport_error(e: TransportError) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout(std::time::Duration::ZERO)
    } else if e.is_connect() {
        ProviderError::Connect(e.to_string())
    } else {
        ProviderError::Protocol(e.to_string())
    }
}

/// Maximum error-body size read from an upstream.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

pub(crate) async fn upstream_error(response: UpstreamResponse) -> ProviderError {
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = read_limited(response, ERROR_BODY_LIMIT).await;
    let (message, code) = error_message_from_body(&body);
    ProviderError::Upstream { status, code, message, retry_after }
}

/// The whole body, refused past `limit` bytes (a broken or hostile upstream could send forever).
pub(crate) async fn read_capped(mut response: UpstreamResponse, limit: usize) -> Result<Bytes, ProviderError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ProviderError::Protocol(format!("the answer is larger than {} MB", limit / (1024 * 1024))));
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if buf.len() + chunk.len() > limit {
            return Err(ProviderError::Protocol(format!("the answer is larger than {} MB", limit / (1024 * 1024))));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

pub(crate) async fn read_limited(mut response: UpstreamResponse, limit: usize) -> Bytes {
    let mut buf = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(chunk.get(..chunk.len().min(room)).unwrap_or_default());
        if buf.len() >= limit {
            break;
        }
    }
    Bytes::from(buf)
}

/// The message and code of an OpenAI-style error body (`{"error": {"message", "code", "type"}}`),
/// or of the other shapes compatible servers use.
fn error_message_from_body(body: &[u8]) -> (String, Option<String>) {
    let text = || String::from_utf8_lossy(body).trim().chars().take(2000).collect::<String>();
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        let t = text();
        return (if t.is_empty() { "no error message".into() } else { t }, None);
    };
    let err = json.get("error").unwrap_or(&json);
    let message = err
        .get("message")
        .or_else(|| err.get("detail"))
        .or_else(|| json.get("detail"))
        .map(|m| match m {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .or_else(|| err.as_str().map(str::to_string))
        .unwrap_or_else(text);
    let code = err.get("code").or_else(|| err.get("type")).and_then(|c| match c {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    (message, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_various_servers() {
        let (m, c) = error_message_from_body(
            br#"{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}}"#,
        );
        assert_eq!((m.as_str(), c.as_deref()), ("Rate limit", Some("rate_limit_exceeded")));
        let (m, _) = error_message_from_body(br#"{"detail":"Not Found"}"#);
        assert_eq!(m, "Not Found");
        let (m, _) = error_message_from_body(b"<html>bad gateway</html>");
        assert_eq!(m, "<html>bad gateway</html>");
        let (m, _) = error_message_from_body(b"");
        assert_eq!(m, "no error message");
    }

    #[test]
    fn every_flavor_prefix_is_listed() {
        assert_eq!(FLAVORS.len(), Flavor::PREFIXES.len());
        for f in FLAVORS {
            assert!(Flavor::PREFIXES.contains(&f.prefix));
        }
    }
}
