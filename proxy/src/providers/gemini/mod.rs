//! Google AI Studio's Gemini API (`gemini/<model>`): chat requests are translated to
//! `generateContent` / `streamGenerateContent?alt=sse` and the answers back; `countTokens` counts
//! a prompt, `batchEmbedContents` embeds. The key (`api_key`, else `GEMINI_API_KEY`) is sent as
//! `x-goog-api-key`, never in the URL, so that it cannot end up in a log line.

mod request;
mod response;
mod stream;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use futures::future::BoxFuture;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::openai::{read_capped, secret_header, transport_error, upstream_error};
use super::{CallOptions, ChatOutput, ChatStream, Provider, ProviderError, SharedClients, UsageSlot};
use crate::config::ModelEntry;
use crate::http_client::{HttpClient, UpstreamResponse, uri_of};
use crate::schema::embeddings::{EmbeddingRequest, embedding_list};
use crate::schema::{ChatRequest, Usage};

const DEFAULT_API_BASE: &str = "https://generativelanguage.googleapis.com";

#[derive(Clone, Copy)]
enum Method {
    Generate,
    Stream,
    CountTokens,
    Embed,
}

impl Method {
    fn suffix(self) -> &'static str {
        match self {
            Method::Generate => "generateContent",
            Method::Stream => "streamGenerateContent",
            Method::CountTokens => "countTokens",
            Method::Embed => "batchEmbedContents",
        }
    }
}

/// `{base}/v1beta/models/{model}:{method}` (`?alt=sse` for streams: Gemini's default stream is
/// one JSON array, which cannot be read event by event).
fn method_url(base: &reqwest::Url, model: &str, method: Method) -> Result<reqwest::Url, String> {
    let mut url = base.clone();
    url.path_segments_mut().map_err(|()| "the api_base cannot be a base URL".to_string())?.pop_if_empty().extend([
        "v1beta",
        "models",
        &format!("{model}:{}", method.suffix()),
    ]);
    if matches!(method, Method::Stream) {
        url.query_pairs_mut().append_pair("alt", "sse");
    }
    Ok(url)
}

pub struct GeminiProvider {
    http: HttpClient,
    api_base: String,
    base: reqwest::Url,
    api_key: Option<HeaderValue>,
    upstream_model: Arc<str>,
}

impl GeminiProvider {
    pub fn build(entry: &ModelEntry, clients: &SharedClients) -> Result<Self, String> {
        let label = entry.label();
        let api_base = entry
            .params
            .api_base
            .clone()
            .or_else(|| std::env::var("GEMINI_API_BASE").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| DEFAULT_API_BASE.to_string());
        // LiteLLM takes the base with or without the version path.
        let api_base = api_base.trim_end_matches('/').trim_end_matches("/v1beta").to_string();
        let base = reqwest::Url::parse(&api_base)
            .map_err(|e| format!("{label}.litellm_params.api_base: '{api_base}' is not a valid URL ({e})"))?;
        let api_key = entry
            .params
            .api_key
            .as_ref()
            .map(|k| k.expose_secret().to_string())
            .or_else(|| std::env::var("GEMINI_API_KEY").ok().filter(|v| !v.is_empty()))
            .map(|key| secret_header(&key, &format!("{label}.litellm_params.api_key")))
            .transpose()?
            .ok_or_else(|| {
                format!("{label}.litellm_params.api_key: required for gemini/ models, or set GEMINI_API_KEY")
            })?;
        let model = entry.provider_model.trim_start_matches("models/");
        if model.is_empty() {
            return Err(format!("{label}.litellm_params.model: the Gemini model id is empty"));
        }
        method_url(&base, model, Method::Generate).map_err(|e| format!("{label}.litellm_params.api_base: {e}"))?;
        Ok(Self { http: clients.http.clone(), api_base, base, api_key: Some(api_key), upstream_model: model.into() })
    }

    fn model<'a>(&'a self, options: &'a CallOptions) -> &'a str {
        options.upstream_model.as_deref().map(|m| m.trim_start_matches("models/")).unwrap_or(&self.upstream_model)
    }

    async fn post(&self, model: &str, method: Method, body: &Value) -> Result<UpstreamResponse, ProviderError> {
        let url = method_url(&self.base, model, method)
            .and_then(|url| uri_of(&url))
            .map_err(ProviderError::InvalidRequest)?;
        let body = serde_json::to_vec(body).map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
        let mut builder =
            self.http.post(url).header(CONTENT_TYPE, HeaderValue::from_static("application/json")).body(body);
        if let Some(key) = &self.api_key {
            builder = builder.header("x-goog-api-key", key.clone());
        }
        let response = builder.send().await.map_err(transport_error)?;
        if response.status().is_success() { Ok(response) } else { Err(upstream_error(response).await) }
    }

    async fn chat_impl(&self, request: &ChatRequest, options: CallOptions) -> Result<ChatOutput, ProviderError> {
        let model = self.model(&options).to_string();
        let body = request::translate(request)?;
        let id = format!("chatcmpl-{}", options.call_id.simple());
        let created = unix_now();
        if !request.is_stream() {
            let response = self.post(&model, Method::Generate, &body).await?;
            let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
            let (body, usage) = response::completion(&bytes, &id, &options.call_id, created, &options.alias)?;
            return Ok(ChatOutput::Complete { body, usage, response_id: Some(id), native: false });
        }
        let response = self.post(&model, Method::Stream, &body).await?;
        let usage = Arc::new(UsageSlot::default());
        let chat = stream::ToChat::new(
            id,
            created,
            options.alias.clone(),
            options.include_usage,
            usage.clone(),
            options.token_prices,
            options.call_id,
        );
        let upstream = response.bytes_stream().map(|r| r.map_err(transport_error)).boxed();
        let events = super::translated(upstream, chat);
        Ok(ChatOutput::Stream(ChatStream { events, usage, native: false }))
    }

    async fn count_tokens_impl(
        &self,
        request: &ChatRequest,
        options: CallOptions,
    ) -> Result<Option<u64>, ProviderError> {
        let model = self.model(&options).to_string();
        let mut generate = request::translate(request)?;
        if let Value::Object(fields) = &mut generate {
            fields.insert("model".into(), Value::String(format!("models/{model}")));
            fields.remove("generationConfig");
        }
        let response = self.post(&model, Method::CountTokens, &json!({"generateContentRequest": generate})).await?;
        let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Count {
            #[serde(default)]
            total_tokens: u64,
        }
        let count: Count = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Protocol(format!("the answer is not a token count ({e})")))?;
        Ok(Some(count.total_tokens))
    }

    async fn embed_impl(&self, request: &EmbeddingRequest, options: CallOptions) -> Result<ChatOutput, ProviderError> {
        let model = self.model(&options).to_string();
        let texts = request.input.0.texts().ok_or_else(|| {
            ProviderError::InvalidRequest(format!(
                "input: model={} takes texts; token ids can only be sent to OpenAI models",
                options.alias
            ))
        })?;
        let requests: Vec<Value> = texts
            .iter()
            .map(|text| {
                let mut one = json!({"model": format!("models/{model}"), "content": {"parts": [{"text": text}]}});
                if let (Some(d), Value::Object(fields)) = (request.dimensions, &mut one) {
                    fields.insert("outputDimensionality".into(), d.into());
                }
                one
            })
            .collect();
        let response = self.post(&model, Method::Embed, &json!({"requests": requests})).await?;
        let bytes = read_capped(response, super::MAX_RESPONSE_BYTES).await?;
        #[derive(serde::Deserialize)]
        struct Embeddings {
            #[serde(default)]
            embeddings: Vec<Embedding>,
        }
        #[derive(serde::Deserialize)]
        struct Embedding {
            values: Vec<f32>,
        }
        let answer: Embeddings = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Protocol(format!("the answer is not a batch of embeddings ({e})")))?;
        if answer.embeddings.len() != texts.len() {
            return Err(ProviderError::Protocol(format!(
                "{} embeddings for {} inputs",
                answer.embeddings.len(),
                texts.len()
            )));
        }
        let vectors: Vec<Vec<f32>> = answer.embeddings.into_iter().map(|e| e.values).collect();
        // Gemini does not count embedding tokens; like LiteLLM, the gateway estimates them
        // (about four characters a token) so that the call is priced.
        let tokens = texts.iter().map(|t| (t.chars().count() as u64).div_ceil(4)).sum();
        let usage = Usage::new(tokens, 0);
        let body = embedding_list(&options.alias, &vectors, request.encoding(), usage);
        let body = serde_json::to_vec(&body).map_err(|e| ProviderError::Protocol(e.to_string()))?;
        Ok(ChatOutput::Complete { body: body.into(), usage, response_id: None, native: false })
    }
}

impl Provider for GeminiProvider {
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

    fn embed<'a>(
        &'a self,
        request: &'a EmbeddingRequest,
        options: CallOptions,
    ) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
        Box::pin(self.embed_impl(request, options))
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_urls() {
        let base = reqwest::Url::parse("https://generativelanguage.googleapis.com").unwrap();
        assert_eq!(
            method_url(&base, "gemini-2.5-flash", Method::Stream).unwrap().as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        assert_eq!(
            method_url(&base, "a/b", Method::Generate).unwrap().as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models/a%2Fb:generateContent"
        );
    }
}
