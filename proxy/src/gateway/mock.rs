//! `mock_response`: the answer LiteLLM makes up instead of calling the upstream — the text asked
//! for, usage of 10 prompt and 20 completion tokens (charged at the deployment's price), streamed
//! three characters a chunk — or the error the magic strings name.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::controls::{Mock, MockError, MockResponse};
use crate::providers::{CallOptions, ChatOutput, ChatStream, DONE_EVENT, ProviderError, UsageSlot, data_event};
use crate::schema::{ChatRequest, Usage};

/// LiteLLM's mock usage.
const MOCK_USAGE: Usage = Usage {
    prompt_tokens: 10,
    completion_tokens: 20,
    total_tokens: 30,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
};

/// Characters per streamed chunk, as LiteLLM's mock stream.
const CHUNK_CHARS: usize = 3;

pub async fn answer(
    mock: &Mock,
    request: &ChatRequest,
    options: &CallOptions,
    timeout: Duration,
) -> Result<ChatOutput, ProviderError> {
    if let Some(delay) = mock.delay {
        tokio::time::sleep(delay).await;
    }
    let text = match &mock.response {
        MockResponse::Error(e) => return Err(mock_error(*e)),
        MockResponse::Timeout => {
            tokio::time::sleep(timeout).await;
            return Err(ProviderError::Timeout(timeout));
        }
        MockResponse::Object(object) => return complete_object(object.clone(), options),
        MockResponse::Text(text) => text,
    };
    let id = format!("chatcmpl-{}", options.call_id.simple());
    let created = crate::time::unix_now();
    if request.is_stream() {
        return Ok(ChatOutput::Stream(stream(text, mock.tool_calls.as_ref(), &id, created, options)?));
    }
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    message.insert("content".into(), text.as_str().into());
    if let Some(calls) = &mock.tool_calls {
        message.insert("tool_calls".into(), calls.clone());
    }
    let finish = if mock.tool_calls.is_some() { "tool_calls" } else { "stop" };
    let body = json!({
        "id": id, "object": "chat.completion", "created": created, "model": &*options.alias,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage_json(None),
    });
    let body = serde_json::to_vec(&body).map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok(ChatOutput::Complete { body: body.into(), usage: MOCK_USAGE, response_id: Some(id), native: false })
}

fn complete_object(mut object: Map<String, Value>, options: &CallOptions) -> Result<ChatOutput, ProviderError> {
    object.insert("model".into(), Value::String(options.alias.to_string()));
    let usage: Usage = object.get("usage").and_then(|u| serde_json::from_value(u.clone()).ok()).unwrap_or(MOCK_USAGE);
    let response_id = object.get("id").and_then(Value::as_str).map(str::to_string);
    let body = serde_json::to_vec(&object).map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok(ChatOutput::Complete { body: body.into(), usage, response_id, native: false })
}

/// The usage object; a stream's usage chunk also carries the cost, as LiteLLM's does.
fn usage_json(prices: Option<crate::providers::TokenPrices>) -> Value {
    let mut usage = Map::new();
    usage.insert("prompt_tokens".into(), MOCK_USAGE.prompt_tokens.into());
    usage.insert("completion_tokens".into(), MOCK_USAGE.completion_tokens.into());
    usage.insert("total_tokens".into(), MOCK_USAGE.total_tokens.into());
    if let Some(prices) = prices {
        usage.insert("cost".into(), json!(prices.cost(&MOCK_USAGE)));
    }
    Value::Object(usage)
}

fn stream(
    text: &str,
    tool_calls: Option<&Value>,
    id: &str,
    created: u64,
    options: &CallOptions,
) -> Result<ChatStream, ProviderError> {
    let chunk = |delta: Value, finish: Option<&str>| {
        data_event(&json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": &*options.alias,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }))
        .map_err(|e| ProviderError::Protocol(e.to_string()))
    };
    let chars: Vec<char> = text.chars().collect();
    let mut frames: Vec<Bytes> = Vec::with_capacity(chars.len() / CHUNK_CHARS + 4);
    for (i, piece) in chars.chunks(CHUNK_CHARS).enumerate() {
        let content: String = piece.iter().collect();
        let delta = if i == 0 { json!({"role": "assistant", "content": content}) } else { json!({"content": content}) };
        frames.push(chunk(delta, None)?);
    }
    if chars.is_empty() {
        frames.push(chunk(json!({"role": "assistant", "content": ""}), None)?);
    }
    if let Some(calls) = tool_calls {
        frames.push(chunk(json!({"tool_calls": calls}), None)?);
    }
    frames.push(chunk(json!({}), Some(if tool_calls.is_some() { "tool_calls" } else { "stop" }))?);
    if options.include_usage {
        frames.push(
            data_event(&json!({
                "id": id, "object": "chat.completion.chunk", "created": created, "model": &*options.alias,
                "choices": [], "usage": usage_json(options.token_prices),
            }))
            .map_err(|e| ProviderError::Protocol(e.to_string()))?,
        );
    }
    frames.push(Bytes::from_static(DONE_EVENT));
    let usage = Arc::new(UsageSlot::default());
    usage.set(MOCK_USAGE);
    usage.set_response_id(id.to_string());
    Ok(ChatStream { events: Box::pin(futures::stream::iter(frames.into_iter().map(Ok))), usage, native: false })
}

/// The errors LiteLLM's magic `mock_response` strings raise, as an upstream would send them.
pub fn mock_error(kind: MockError) -> ProviderError {
    let (status, code, message) = match kind {
        MockError::RateLimit => (429, "rate_limit_exceeded", "this is a mock rate limit error"),
        MockError::InternalServer => (500, "internal_server_error", "this is a mock internal server error"),
        MockError::ContextWindow => (400, "context_length_exceeded", "this is a mock context window exceeded error"),
        MockError::ContentPolicy => (400, "content_policy_violation", "Exception: content_filter_policy"),
    };
    ProviderError::Upstream { status, code: Some(code.into()), message: message.into(), retry_after: None }
}
