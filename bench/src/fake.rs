//! The fake upstream's answers, computed once at start.
//!
//! The fake's own CPU time per request is the yardstick the gateway is measured against, so it
//! does as little as an HTTP server can: it reads the request body, looks for `"stream":true`
//! with a substring search (no JSON parsing), and answers with bytes built here at start-up.

use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use serde_json::{Value, json};

/// Prompt tokens reported in every usage block.
pub const PROMPT_TOKENS: u64 = 12;

/// The `id` of every OpenAI answer: a fixed prefix and 16 hex digits that the fake overwrites
/// with a counter, because the gateway files spend rows under the upstream's id and drops
/// duplicates. A constant id would let it skip the insert and look cheaper than it is.
pub const ID_PREFIX: &str = "chatcmpl-bench";
const ID_DIGITS: usize = 16;

/// An answer built once: the bytes, where the id digits are, and where each frame (SSE event,
/// event-stream message) ends.
pub struct Answer {
    bytes: Bytes,
    id_offsets: Vec<usize>,
    /// End offset of each frame; one frame for a plain JSON answer.
    frame_ends: Vec<usize>,
}

impl Answer {
    fn new(frames: Vec<Bytes>) -> Answer {
        let mut bytes = Vec::with_capacity(frames.iter().map(|f| f.len()).sum());
        let mut frame_ends = Vec::with_capacity(frames.len());
        for frame in &frames {
            bytes.extend_from_slice(frame);
            frame_ends.push(bytes.len());
        }
        let placeholder = format!("{ID_PREFIX}{}", "0".repeat(ID_DIGITS));
        let id_offsets =
            memchr::memmem::find_iter(&bytes, placeholder.as_bytes()).map(|at| at + ID_PREFIX.len()).collect();
        Answer { bytes: Bytes::from(bytes), id_offsets, frame_ends }
    }

    /// The answer with id number `n` (a copy when the answer has an id, else shared bytes).
    pub fn render(&self, n: u64) -> Bytes {
        if self.id_offsets.is_empty() {
            return self.bytes.clone();
        }
        let mut digits = [0u8; ID_DIGITS];
        for (i, d) in digits.iter_mut().enumerate() {
            *d = b"0123456789abcdef"[((n >> (4 * (ID_DIGITS - 1 - i))) & 0xf) as usize];
        }
        let mut out = bytes::BytesMut::from(&self.bytes[..]);
        for &at in &self.id_offsets {
            out[at..at + ID_DIGITS].copy_from_slice(&digits);
        }
        out.freeze()
    }

    /// Where each frame ends in `render`'s bytes.
    pub fn frame_ends(&self) -> &[usize] {
        &self.frame_ends
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// What the fake answers, per route.
pub struct Responses {
    /// `POST /v1/chat/completions` without `"stream": true`.
    pub openai_json: Answer,
    /// The same with `"stream": true`: one `data: ...\n\n` event per frame, ending with
    /// the usage chunk and `data: [DONE]`.
    pub openai_sse: Answer,
    /// `POST /model/{id}/converse`.
    pub bedrock_json: Answer,
    /// `POST /model/{id}/converse-stream`: one event-stream message per frame.
    pub bedrock_frames: Answer,
}

fn piece(i: usize) -> String {
    format!("tok{i} ")
}

fn text(chunks: usize) -> String {
    (0..chunks).map(piece).collect()
}

fn usage(completion: usize) -> Value {
    json!({
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": completion,
        "total_tokens": PROMPT_TOKENS + completion as u64,
    })
}

fn bedrock_usage(completion: usize) -> Value {
    json!({
        "inputTokens": PROMPT_TOKENS,
        "outputTokens": completion,
        "totalTokens": PROMPT_TOKENS + completion as u64,
    })
}

fn placeholder_id() -> String {
    format!("{ID_PREFIX}{}", "0".repeat(ID_DIGITS))
}

fn sse(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

fn openai_chunk(choices: Value, usage: Option<Value>) -> Value {
    let mut chunk = json!({
        "id": placeholder_id(),
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "bench",
        "choices": choices,
    });
    if let Some(usage) = usage {
        chunk["usage"] = usage;
    }
    chunk
}

/// One Bedrock event-stream frame (`:message-type: event`).
pub fn event_frame(event_type: &str, payload: &Value) -> Bytes {
    let header = |name: &'static str, value: &str| Header::new(name, HeaderValue::String(value.to_owned().into()));
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(header(":message-type", "event"))
        .add_header(header(":event-type", event_type))
        .add_header(header(":content-type", "application/json"));
    let mut buffer = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut buffer).expect("a small frame always encodes");
    Bytes::from(buffer)
}

impl Responses {
    /// Answers whose streams carry `chunks` content pieces.
    pub fn new(chunks: usize) -> Responses {
        let openai_json = json!({
            "id": placeholder_id(),
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "bench",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": text(chunks) },
                "finish_reason": "stop",
            }],
            "usage": usage(chunks),
        });

        let mut openai_sse = Vec::with_capacity(chunks + 3);
        for i in 0..chunks {
            let delta = if i == 0 {
                json!({ "role": "assistant", "content": piece(i) })
            } else {
                json!({ "content": piece(i) })
            };
            openai_sse.push(sse(&openai_chunk(json!([{ "index": 0, "delta": delta, "finish_reason": null }]), None)));
        }
        openai_sse.push(sse(&openai_chunk(json!([{ "index": 0, "delta": {}, "finish_reason": "stop" }]), None)));
        openai_sse.push(sse(&openai_chunk(json!([]), Some(usage(chunks)))));
        openai_sse.push(Bytes::from_static(b"data: [DONE]\n\n"));

        let bedrock_json = json!({
            "output": { "message": { "role": "assistant", "content": [{ "text": text(chunks) }] } },
            "stopReason": "end_turn",
            "usage": bedrock_usage(chunks),
            "metrics": { "latencyMs": 1 },
        });

        let mut bedrock_frames = Vec::with_capacity(chunks + 4);
        bedrock_frames.push(event_frame("messageStart", &json!({ "role": "assistant" })));
        for i in 0..chunks {
            bedrock_frames.push(event_frame(
                "contentBlockDelta",
                &json!({ "contentBlockIndex": 0, "delta": { "text": piece(i) } }),
            ));
        }
        bedrock_frames.push(event_frame("contentBlockStop", &json!({ "contentBlockIndex": 0 })));
        bedrock_frames.push(event_frame("messageStop", &json!({ "stopReason": "end_turn" })));
        bedrock_frames
            .push(event_frame("metadata", &json!({ "usage": bedrock_usage(chunks), "metrics": { "latencyMs": 1 } })));

        Responses {
            openai_json: Answer::new(vec![Bytes::from(openai_json.to_string())]),
            openai_sse: Answer::new(openai_sse),
            bedrock_json: Answer::new(vec![Bytes::from(bedrock_json.to_string())]),
            bedrock_frames: Answer::new(bedrock_frames),
        }
    }
}

/// Whether a chat-completions body asks for a stream. A substring check, not a parse: the
/// benchmark's own bodies are compact JSON, and clients that pretty-print put one space.
pub fn wants_stream(body: &[u8]) -> bool {
    memchr::memmem::find(body, b"\"stream\":true").is_some()
        || memchr::memmem::find(body, b"\"stream\": true").is_some()
}

/// The routes the fake answers.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Route {
    ChatCompletions,
    Converse,
    ConverseStream,
    Health,
    NotFound,
}

pub fn route(is_post: bool, path: &str) -> Route {
    if path == "/health" {
        return Route::Health;
    }
    if !is_post {
        return Route::NotFound;
    }
    if path == "/v1/chat/completions" || path == "/chat/completions" {
        return Route::ChatCompletions;
    }
    if let Some(rest) = path.strip_prefix("/model/") {
        if rest.ends_with("/converse-stream") {
            return Route::ConverseStream;
        }
        if rest.ends_with("/converse") {
            return Route::Converse;
        }
    }
    Route::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_detection_is_a_substring_check() {
        assert!(wants_stream(br#"{"model":"m","stream":true}"#));
        assert!(wants_stream(br#"{"model": "m", "stream": true}"#));
        assert!(!wants_stream(br#"{"model":"m","stream":false}"#));
        assert!(!wants_stream(br#"{"model":"m"}"#));
    }

    #[test]
    fn routes() {
        assert_eq!(route(true, "/v1/chat/completions"), Route::ChatCompletions);
        assert_eq!(route(true, "/chat/completions"), Route::ChatCompletions);
        assert_eq!(route(true, "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"), Route::Converse);
        assert_eq!(route(true, "/model/a:b/converse-stream"), Route::ConverseStream);
        assert_eq!(route(false, "/v1/chat/completions"), Route::NotFound);
        assert_eq!(route(false, "/health"), Route::Health);
        assert_eq!(route(true, "/v1/embeddings"), Route::NotFound);
    }

    fn frames(answer: &Answer, n: u64) -> Vec<Bytes> {
        let bytes = answer.render(n);
        let mut start = 0;
        answer
            .frame_ends()
            .iter()
            .map(|&end| {
                let frame = bytes.slice(start..end);
                start = end;
                frame
            })
            .collect()
    }

    #[test]
    fn openai_stream_ends_with_usage_and_done() {
        let r = Responses::new(10);
        let sse = frames(&r.openai_sse, 7);
        assert_eq!(sse.len(), 13);
        let usage = std::str::from_utf8(&sse[11]).unwrap();
        assert!(usage.starts_with("data: {") && usage.ends_with("\n\n"));
        let value: Value = serde_json::from_str(usage.trim_start_matches("data: ").trim()).unwrap();
        assert_eq!(value["choices"], json!([]));
        assert_eq!(value["usage"]["completion_tokens"], 10);
        assert_eq!(value["id"], "chatcmpl-bench0000000000000007");
        assert_eq!(&sse[12][..], b"data: [DONE]\n\n");
        let body: Value = serde_json::from_slice(&r.openai_json.render(0xabc)).unwrap();
        assert_eq!(body["usage"]["total_tokens"], 22);
        assert_eq!(body["id"], "chatcmpl-bench0000000000000abc");
        // Every chunk of one stream carries the same id.
        let ids: Vec<String> = sse[..12]
            .iter()
            .map(|f| {
                let v: Value = serde_json::from_slice(&f[6..]).unwrap();
                v["id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert!(ids.iter().all(|id| id == "chatcmpl-bench0000000000000007"));
    }

    #[test]
    fn bedrock_frames_decode() {
        use aws_smithy_eventstream::frame::read_message_from;
        let r = Responses::new(3);
        let types: Vec<String> = frames(&r.bedrock_frames, 1)
            .iter()
            .map(|frame| {
                let mut buf = frame.clone();
                let message = read_message_from(&mut buf).unwrap();
                let event = message.headers().iter().find(|h| h.name().as_str() == ":event-type").unwrap();
                event.value().as_string().unwrap().as_str().to_owned()
            })
            .collect();
        assert_eq!(
            types,
            [
                "messageStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata"
            ]
        );
    }
}
