//! `InvokeAgentRuntime`: an agent runtime whose container answers like a Strands agent served
//! with the AgentCore runtime SDK. It takes `{"prompt": ...}`, remembers each session's prompts,
//! and answers `Hello from fake-runtime! You said: <prompt> (turn <n in this session>)`:
//! - as server-sent events by default: Strands' `{"event": {...}}` model events (text deltas,
//!   `messageStop`, `metadata` with usage), then the final `{"message": {...}}`;
//! - as `application/json` `{"result": {"role": "assistant", "content": [{"text": ...}]}}` for a
//!   runtime added with `replies_json`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{FakeState, aws_error, check_session, json_object, not_found, request_id, signed_region};

pub(super) struct RuntimeRec {
    pub arn: String,
    pub replies_json: bool,
}

pub(super) async fn invoke_agent_runtime(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(arn): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = signed_region(&headers) {
        return r;
    }
    if let Some(r) = state.fault("InvokeAgentRuntime") {
        return r;
    }
    let session = match check_session(&headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let payload = match json_object(&body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (replies_json, turn, prompt) = {
        let mut data = state.data();
        let Some(replies_json) = data.runtimes.iter().find(|r| r.arn == arn).map(|r| r.replies_json) else {
            return not_found(&format!("Agent runtime not found: {arn}"));
        };
        let Some(prompt) = payload.get("prompt").and_then(Value::as_str).map(str::to_string) else {
            return aws_error(
                StatusCode::FAILED_DEPENDENCY,
                "RuntimeClientError",
                "The agent failed: its entrypoint expects {\"prompt\": \"...\"} (KeyError: 'prompt')",
            );
        };
        let prompts = data.runtime_sessions.entry((arn.clone(), session.clone())).or_default();
        prompts.push(prompt.clone());
        (replies_json, prompts.len(), prompt)
    };
    let text = format!("Hello from fake-runtime! You said: {prompt} (turn {turn})");
    let (input, output) = (prompt.split_whitespace().count() as u64 + 3, text.split_whitespace().count() as u64);
    let (content_type, body) = if replies_json {
        let result = json!({"result": {"role": "assistant", "content": [{"text": text}]}});
        ("application/json", Body::from(result.to_string()))
    } else {
        let mut events = vec![json!({"event": {"messageStart": {"role": "assistant"}}})];
        let words: Vec<&str> = text.split_inclusive(' ').collect();
        for piece in words.chunks(3) {
            events.push(
                json!({"event": {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": piece.concat()}}}}),
            );
        }
        events.push(json!({"event": {"contentBlockStop": {"contentBlockIndex": 0}}}));
        events.push(json!({"event": {"messageStop": {"stopReason": "end_turn"}}}));
        events.push(json!({"event": {"metadata": {
            "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
            "metrics": {"latencyMs": 12},
        }}}));
        events.push(json!({"message": {"role": "assistant", "content": [{"text": text}]}}));
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            events.iter().map(|e| Ok(Bytes::from(format!("data: {e}\n\n")))).collect();
        ("text/event-stream", Body::from_stream(futures::stream::iter(chunks)))
    };
    let mut r = Response::new(body);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert("x-amzn-requestid", request_id());
    if let Ok(v) = HeaderValue::from_str(&session) {
        r.headers_mut().insert("x-amzn-bedrock-agentcore-runtime-session-id", v);
    }
    r
}
