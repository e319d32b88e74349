//! Anthropic's Messages API (`anthropic/<model>`): chat requests are translated to Messages and
//! the answers back; a request that came in as Messages (`/v1/messages`) is forwarded as the
//! client sent it, with the deployment's model and key, and its answer streamed back byte for
//! byte (only the model is renamed to the alias), as LiteLLM passes Anthropic through.

mod request;
mod response;
mod stream;

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::openai::{read_capped, secret_header, transport_error, upstream_error};
use super::{CallOptions, ChatOutput, ChatStream, Provider, ProviderError, SharedClients, UsageSlot};
use crate::config::ModelEntry;
use crate::http_client::{HttpClient, UpstreamResponse, uri_of};
use crate::schema::{ChatRequest, NativeRequest};

const DEFAULT_API_BASE: &str = "https://api.anthropic.com";
const API_VERSION: &str = "2023-06-01";

pub struct AnthropicProvider {
    http: HttpClient,
    api_base: String,
    messages_url: http::Uri,
    count_tokens_url: http::Uri,
    api_key: Option<HeaderValue>,
    upstream_model: Arc<str>,
}

impl AnthropicProvider {
    pub fn build(entry: &ModelEntry, clients: &SharedClients) -> Result<Self, String> {
        let label = entry.label();
        let api_base = entry
            .params
            .api_base
            .clone()
            .or_else(|| std::env::var("ANTHROPIC_API_BASE").ok().filter(|v| !v.is_empty()))
            .or_else(|| std::env::var("ANTHROPIC_BASE_URL").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| DEFAULT_API_BASE.to_string());
        // LiteLLM accepts the base with or without the version path.
        let api_base = api_base.trim_end_matches('/').trim_end_matches("/v1").to_string();
        let url = |path: &str| {
            reqwest::Url::parse(&format!("{api_base}{path}"))
                .map_err(|e| e.to_string())
                .and_then(|url| uri_of(&url))
                .map_err(|e| format!("{label}.litellm_params.api_base: '{api_base}' is not a valid URL ({e})"))
        };
        let api_key = entry
            .params
            .api_key
            .as_ref()
            .map(|k| k.expose_secret().to_string())
            .or_else(|| std::env::var("ANTHROPIC_API_KEY").ok().filter(|v| !v.is_empty()))
            .map(|key| secret_header(&key, &format!("{label}.litellm_params.api_key")))
            .transpose()?;
        if entry.provider_model.is_empty() {
            return Err(format!("{label}.litellm_params.model: the Anthropic model id is empty"));
        }
        Ok(Self {
            http: clients.http.clone(),
            messages_url: url("/v1/messages")?,
            count_tokens_url: url("/v1/messages/count_tokens")?,
            api_base,
            api_key,
            upstream_model: entry.provider_model.as_str().into(),
        })
    }

    async fn post(
        &self,
        url: &http::Uri,
        body: Vec<u8>,
        beta: Option<&str>,
    ) -> Result<UpstreamResponse, ProviderError> {
        let mut builder = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("anthropic-version", HeaderValue::from_static(API_VERSION))
            .body(body);
        if let Some(key) = &self.api_key {
            builder = builder.header("x-api-key", key.clone());
        }
        if let Some(beta) = beta.and_then(|b| HeaderValue::from_str(b).ok()) {
            builder = builder.header("anthropic-beta", beta);
        }
        let response = builder.send().await.map_err(transport_error)?;
        if response.status().is_success() { Ok(response) } else { Err(upstream_error(response).await) }
    }

    /// The client's Messages body for this deployment: its model, without LiteLLM's fields.
    fn forwarded(native: &NativeRequest, model: &str) -> Result<Vec<u8>, ProviderError> {
        let mut body: serde_json::Map<String, Value> = serde_json::from_slice(&native.body)
            .map_err(|e| ProviderError::InvalidRequest(format!("the request body is not a JSON object ({e})")))?;
        body.insert("model".into(), Value::String(model.to_string()));
        // Anthropic refuses fields it does not know: LiteLLM's stay here. Its `metadata` takes
        // only `user_id`; LiteLLM's keys there (tags, trace ids) stay here too.
        let metadata = body.remove("metadata");
        // `user` is OpenAI's; Anthropic's is `metadata.user_id`.
        body.retain(|k, _| !crate::schema::is_litellm_param(k) && k != "user");
        if let Some(Value::Object(mut metadata)) = metadata {
            metadata.retain(|k, _| k == "user_id");
            body.insert("metadata".into(), Value::Object(metadata));
        }
        serde_json::to_vec(&body).map_err(|e| ProviderError::InvalidRequest(e.to_string()))
    }

    async fn chat_impl(&self, request: &ChatRequest, options: CallOptions) -> Result<ChatOutput, ProviderError> {
        let model = options.upstream_model.as_deref().unwrap_or(&self.upstream_model);
        let stream = request.is_stream();
        let usage = Arc::new(UsageSlot::default());
        if let Some(native) = &request.native {
            let response =
                self.post(&self.messages_url, Self::forwarded(native, model)?, native.beta.as_deref()).await?;
            if stream {
                let mut splitter = super::EventSplitter::default();
                let mut pass = stream::PassThrough::new(options.alias.clone(), usage.clone());
                let events = response.bytes_stream().map(move |chunk| {
                    let chunk = chunk.map_err(transport_error)?;
                    let mut out = bytes::BytesMut::new();
                    for event in splitter.push(&chunk)? {
                        out.extend_from_slice(&pass.event(event)?);
                    }
                    Ok(out.freeze())
                });
                let events = events.filter(|item| futures::future::ready(!matches!(item, Ok(b) if b.is_empty())));
                return Ok(ChatOutput::Stream(ChatStream { events: Box::pin(events), usage, native: true }));
            }
            let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
            let mut message: serde_json::Map<String, Value> = serde_json::from_slice(&bytes)
                .map_err(|e| ProviderError::Protocol(format!("the answer is not an Anthropic message ({e})")))?;
            let head: response::MessageHead = serde_json::from_slice(&bytes)
                .map_err(|e| ProviderError::Protocol(format!("the answer is not an Anthropic message ({e})")))?;
            message.insert("model".into(), Value::String(options.alias.to_string()));
            let body = serde_json::to_vec(&message).map_err(|e| ProviderError::Protocol(e.to_string()))?;
            return Ok(ChatOutput::Complete {
                body: Bytes::from(body),
                usage: head.usage.usage(),
                response_id: head.id,
                native: true,
            });
        }

        let body = serde_json::to_vec(&request::translate(request, model)?)
            .map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
        let response = self.post(&self.messages_url, body, None).await?;
        let id = format!("chatcmpl-{}", options.call_id.simple());
        let created = crate::time::unix_now();
        if stream {
            let chat = stream::ToChat::new(
                id,
                created,
                options.alias.clone(),
                options.include_usage,
                usage.clone(),
                options.token_prices,
            );
            let upstream = response.bytes_stream().map(|r| r.map_err(transport_error)).boxed();
            let events = super::translated(upstream, chat);
            return Ok(ChatOutput::Stream(ChatStream { events, usage, native: false }));
        }
        let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
        let (body, usage) = response::completion(&bytes, &id, created, &options.alias)?;
        Ok(ChatOutput::Complete { body, usage, response_id: Some(id), native: false })
    }

    async fn count_tokens_impl(
        &self,
        request: &ChatRequest,
        options: CallOptions,
    ) -> Result<Option<u64>, ProviderError> {
        let model = options.upstream_model.as_deref().unwrap_or(&self.upstream_model);
        let mut body = match &request.native {
            Some(native) => serde_json::from_slice::<Value>(&Self::forwarded(native, model)?)
                .map_err(|e| ProviderError::InvalidRequest(e.to_string()))?,
            None => request::translate(request, model)?,
        };
        if let Value::Object(fields) = &mut body {
            // count_tokens takes the prompt only.
            for field in ["max_tokens", "stream", "temperature", "top_p", "top_k", "stop_sequences", "metadata"] {
                fields.remove(field);
            }
        }
        let body = serde_json::to_vec(&body).map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
        let beta = request.native.as_ref().and_then(|n| n.beta.as_deref());
        let response = self.post(&self.count_tokens_url, body, beta).await?;
        let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
        #[derive(serde::Deserialize)]
        struct Count {
            input_tokens: u64,
        }
        let count: Count = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Protocol(format!("the answer is not a token count ({e})")))?;
        Ok(Some(count.input_tokens))
    }
}

impl Provider for AnthropicProvider {
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
        Some(self.api_base.clone())
    }
}
