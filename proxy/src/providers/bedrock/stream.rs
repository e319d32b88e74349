//! ConverseStream's answer → OpenAI chat completion chunks: event-stream frames are cut from the
//! body as it arrives (`event_stream`), and each event's JSON payload becomes one chunk, written
//! from the borrowed payload without an intermediate value.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use super::event_stream::{Frame, FrameReader};
use super::response::{finish_reason, usage};
use super::wire::{ContentBlockDelta, ContentBlockStart, ErrorBody, MessageStop, Metadata};
use crate::providers::{DONE_EVENT, ProviderError, TokenPrices, UsageSlot, data_event};
use crate::schema::{ChatChunk, ChunkChoice, ChunkUsage, Delta, FunctionDelta, ThinkingBlock, ToolCallDelta};

pub struct Translator {
    id: String,
    created: u64,
    alias: Arc<str>,
    include_usage: bool,
    usage: Arc<UsageSlot>,
    prices: Option<TokenPrices>,
    /// Converse numbers content blocks; OpenAI numbers tool calls.
    tool_index_of_block: HashMap<i32, u32>,
}

impl Translator {
    pub fn new(
        id: String,
        created: u64,
        alias: Arc<str>,
        include_usage: bool,
        usage: Arc<UsageSlot>,
        prices: Option<TokenPrices>,
    ) -> Self {
        Self { id, created, alias, include_usage, usage, prices, tool_index_of_block: HashMap::new() }
    }

    /// The chunk for one event-stream frame; `None` for events the client does not see. An
    /// exception from Bedrock (a throttle, a model error mid-stream) is its error.
    pub fn frame_chunk(&mut self, frame: &Frame) -> Result<Option<Bytes>, ProviderError> {
        match frame.header(":message-type") {
            Some("event") => self.event(frame.header(":event-type").unwrap_or_default(), frame.payload()),
            Some("exception") => Err(exception(frame.header(":exception-type").unwrap_or("unknown"), frame.payload())),
            _ => Err(ProviderError::Protocol(format!(
                "the stream failed: {}",
                frame
                    .header(":error-message")
                    .or(frame.header(":error-code"))
                    .unwrap_or("an event-stream message of no known type")
            ))),
        }
    }

    fn event(&mut self, kind: &str, payload: &[u8]) -> Result<Option<Bytes>, ProviderError> {
        let malformed = |e: serde_json::Error| ProviderError::Protocol(format!("a {kind} event is malformed ({e})"));
        let mut delta = Delta::default();
        let mut finish = None;
        // Payloads are parsed where they are used: the chunk borrows from them.
        let start: ContentBlockStart;
        let block_delta: ContentBlockDelta;
        match kind {
            "messageStart" => {
                delta.role = Some("assistant");
                delta.content = Some("");
            }
            "contentBlockStart" => {
                start = serde_json::from_slice(payload).map_err(malformed)?;
                let Some(tool) = start.start.as_ref().and_then(|s| s.tool_use.as_ref()) else { return Ok(None) };
                let index = self.tool_index(start.content_block_index);
                delta.tool_calls = Some(vec![ToolCallDelta {
                    index,
                    id: Some(&tool.tool_use_id),
                    kind: "function",
                    function: FunctionDelta { name: Some(&tool.name), arguments: "" },
                }]);
            }
            "contentBlockDelta" => {
                block_delta = serde_json::from_slice(payload).map_err(malformed)?;
                let Some(d) = &block_delta.delta else { return Ok(None) };
                if let Some(text) = &d.text {
                    delta.content = Some(text);
                } else if let Some(tool) = &d.tool_use {
                    let index = self.tool_index(block_delta.content_block_index);
                    delta.tool_calls = Some(vec![ToolCallDelta {
                        index,
                        id: None,
                        kind: "function",
                        function: FunctionDelta { name: None, arguments: &tool.input },
                    }]);
                } else if let Some(reasoning) = &d.reasoning_content {
                    if let Some(text) = &reasoning.text {
                        delta.reasoning_content = Some(text);
                    } else if let Some(signature) = &reasoning.signature {
                        delta.thinking_blocks = Some([ThinkingBlock::Thinking {
                            thinking: String::new(),
                            signature: Some(signature.to_string()),
                        }]);
                    } else if let Some(data) = &reasoning.redacted_content {
                        delta.thinking_blocks = Some([ThinkingBlock::RedactedThinking { data: data.to_string() }]);
                    } else {
                        return Ok(None);
                    }
                } else {
                    return Ok(None);
                }
            }
            "messageStop" => {
                let stop: MessageStop = serde_json::from_slice(payload).map_err(malformed)?;
                finish = Some(finish_reason(stop.stop_reason.as_deref().unwrap_or("end_turn")));
            }
            "metadata" => {
                let meta: Metadata = serde_json::from_slice(payload).map_err(malformed)?;
                let Some(u) = meta.usage else { return Ok(None) };
                let u = usage(&u);
                self.usage.set(u);
                if !self.include_usage {
                    return Ok(None);
                }
                let cost = self.prices.map(|p| p.cost(&u));
                return self.frame(Vec::new(), Some(ChunkUsage { tokens: u, cost })).map(Some);
            }
            // contentBlockStop, and events newer than this gateway.
            _ => return Ok(None),
        }
        self.frame(vec![ChunkChoice { index: 0, delta, finish_reason: finish }], None).map(Some)
    }

    fn tool_index(&mut self, block: i32) -> u32 {
        let next = self.tool_index_of_block.len() as u32;
        *self.tool_index_of_block.entry(block).or_insert(next)
    }

    fn frame(&self, choices: Vec<ChunkChoice<'_>>, usage: Option<ChunkUsage>) -> Result<Bytes, ProviderError> {
        let chunk = ChatChunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.alias,
            choices,
            usage,
        };
        data_event(&chunk).map_err(|e| ProviderError::Protocol(e.to_string()))
    }
}

/// An exception event: `modelStreamErrorException` and the like, with `{"message": ...}`. The
/// code is the error's shape name, as Bedrock's HTTP errors and the SDK name it.
fn exception(kind: &str, payload: &[u8]) -> ProviderError {
    let body: ErrorBody = serde_json::from_slice(payload).unwrap_or_default();
    let mut code = String::with_capacity(kind.len());
    let mut chars = kind.chars();
    code.extend(chars.next().map(|c| c.to_ascii_uppercase()));
    code.extend(chars);
    let message = body.message.as_deref().unwrap_or("no error message");
    ProviderError::Upstream {
        status: super::status_for_code(Some(&code)),
        message: format!("{code}: {message}"),
        code: Some(code),
        retry_after: None,
    }
}

/// The chat chunks of a ConverseStream body, ending with `data: [DONE]` when the body ends
/// cleanly; an error ends the stream.
pub fn chunks<S>(body: S, mut translator: Translator) -> BoxStream<'static, Result<Bytes, ProviderError>>
where
    S: Stream<Item = Result<Bytes, ProviderError>> + Send + 'static,
{
    let mut reader = FrameReader::default();
    let mut failed = false;
    // `None` marks the end of the body.
    let translated = body.map(Some).chain(futures::stream::once(async { None })).map(move |chunk| {
        if failed {
            return Ok(Bytes::new());
        }
        let out = match chunk {
            None if reader.is_empty() => Ok(Bytes::from_static(DONE_EVENT)),
            None => Err(ProviderError::Protocol("the stream ended inside an event".into())),
            Some(chunk) => (|| {
                reader.push(&chunk?);
                let mut out = BytesMut::new();
                while let Some(frame) = reader.next_frame()? {
                    if let Some(bytes) = translator.frame_chunk(&frame)? {
                        out.extend_from_slice(&bytes);
                    }
                }
                Ok(out.freeze())
            })(),
        };
        failed = out.is_err();
        out
    });
    let mut ended_by_error = false;
    translated
        // Nothing after an error, not even [DONE].
        .take_while(move |item| {
            let go = !ended_by_error;
            ended_by_error |= item.is_err();
            futures::future::ready(go)
        })
        .filter(|item| futures::future::ready(!matches!(item, Ok(b) if b.is_empty())))
        .boxed()
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    use serde_json::{Value, json};

    use super::*;

    fn json(b: &Bytes) -> Value {
        let text = std::str::from_utf8(b).unwrap();
        serde_json::from_str(text.strip_prefix("data: ").unwrap().trim_end()).unwrap()
    }

    fn frame(message_type: &str, type_header: (&'static str, &str), payload: Value) -> Bytes {
        let message = Message::new(payload.to_string().into_bytes())
            .add_header(Header::new(":message-type", HeaderValue::String(message_type.to_string().into())))
            .add_header(Header::new(type_header.0, HeaderValue::String(type_header.1.to_string().into())))
            .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())));
        let mut out = Vec::new();
        aws_smithy_eventstream::frame::write_message_to(&message, &mut out).unwrap();
        Bytes::from(out)
    }

    fn event(kind: &str, payload: Value) -> Bytes {
        frame("event", (":event-type", kind), payload)
    }

    /// Runs frames through `chunks`, cut into pieces of `piece` bytes.
    async fn run(frames: Vec<Bytes>, piece: usize, translator: Translator) -> Vec<Result<Bytes, ProviderError>> {
        let all: Vec<u8> = frames.concat();
        let pieces: Vec<Result<Bytes, ProviderError>> =
            all.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        chunks(futures::stream::iter(pieces), translator).collect().await
    }

    #[tokio::test]
    async fn tool_call_stream_becomes_openai_deltas_whatever_the_cuts() {
        let frames = vec![
            event("messageStart", json!({"role": "assistant", "p": "abcdef"})),
            event("contentBlockDelta", json!({"contentBlockIndex": 0, "delta": {"text": "Let me \"check\"."}})),
            event("contentBlockStop", json!({"contentBlockIndex": 0})),
            event(
                "contentBlockStart",
                json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tu1", "name": "get_weather"}}}),
            ),
            event("contentBlockDelta", json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\":"}}})),
            event("messageStop", json!({"stopReason": "tool_use"})),
            event(
                "metadata",
                json!({"usage": {"inputTokens": 10, "outputTokens": 4, "totalTokens": 14}, "metrics": {"latencyMs": 5}}),
            ),
        ];
        for piece in [1, 7, 4096] {
            let slot = Arc::new(UsageSlot::default());
            let t = Translator::new("chatcmpl-1".into(), 7, "claude-haiku".into(), false, slot.clone(), None);
            let out: Vec<Bytes> = run(frames.clone(), piece, t).await.into_iter().map(Result::unwrap).collect();
            if piece == 4096 {
                assert_eq!(out.len(), 2, "the chunks of one body piece are written together, then [DONE]");
            }
            let all = out.concat();
            let text = std::str::from_utf8(&all).unwrap();
            let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
            assert_eq!(events.len(), 6, "{text}");
            let chunk = |i: usize| json(&Bytes::copy_from_slice(events[i].as_bytes()));
            assert_eq!(chunk(0)["choices"][0]["delta"], json!({"role": "assistant", "content": ""}));
            assert_eq!(chunk(0)["model"], "claude-haiku");
            assert_eq!(chunk(1)["choices"][0]["delta"]["content"], "Let me \"check\".");
            assert_eq!(
                chunk(2)["choices"][0]["delta"]["tool_calls"][0],
                json!({"index": 0, "id": "tu1", "type": "function", "function": {"name": "get_weather", "arguments": ""}})
            );
            assert_eq!(chunk(3)["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"city\":");
            assert_eq!(chunk(4)["choices"][0]["finish_reason"], "tool_calls");
            assert_eq!(events[5], "data: [DONE]");
            assert_eq!(slot.get().unwrap().total_tokens, 14, "usage is kept though not shown");
        }
    }

    #[tokio::test]
    async fn usage_chunk_and_reasoning() {
        let prices = TokenPrices::new(0.5, 1.0);
        let t = Translator::new("x".into(), 7, "a".into(), true, Arc::new(UsageSlot::default()), Some(prices));
        let reasoning =
            event("contentBlockDelta", json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}));
        let signature = event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig"}}}),
        );
        let meta = event("metadata", json!({"usage": {"inputTokens": 10, "outputTokens": 4, "totalTokens": 14}}));
        let out: Vec<Bytes> =
            run(vec![reasoning, signature, meta], 4096, t).await.into_iter().map(Result::unwrap).collect();
        let text = std::str::from_utf8(&out[0]).unwrap();
        let events: Vec<Value> = text
            .split("\n\n")
            .filter(|e| e.starts_with("data: {"))
            .map(|e| serde_json::from_str(&e["data: ".len()..]).unwrap())
            .collect();
        assert_eq!(events[0]["choices"][0]["delta"]["reasoning_content"], "hmm");
        assert_eq!(
            events[1]["choices"][0]["delta"]["thinking_blocks"],
            json!([{"type": "thinking", "thinking": "", "signature": "sig"}])
        );
        assert_eq!(events[2]["choices"], json!([]));
        assert_eq!(events[2]["usage"]["prompt_tokens"], 10);
        assert_eq!(events[2]["usage"]["cost"], 9.0, "10 × 0.5 + 4 × 1.0");
    }

    #[tokio::test]
    async fn an_exception_ends_the_stream_with_bedrocks_error() {
        let t = Translator::new("x".into(), 7, "a".into(), false, Arc::new(UsageSlot::default()), None);
        let out = run(
            vec![
                event("messageStart", json!({"role": "assistant"})),
                frame(
                    "exception",
                    (":exception-type", "modelStreamErrorException"),
                    json!({"message": "Model stream failed", "originalStatusCode": 500}),
                ),
            ],
            3,
            t,
        )
        .await;
        let last = out.last().unwrap().as_ref().err().unwrap();
        match last {
            ProviderError::Upstream { status, code, message, .. } => {
                assert_eq!(*status, 424);
                assert_eq!(code.as_deref(), Some("ModelStreamErrorException"));
                assert_eq!(message, "ModelStreamErrorException: Model stream failed");
            }
            other => panic!("{other:?}"),
        }
        assert!(out[..out.len() - 1].iter().all(Result::is_ok), "no [DONE] after the error");
    }

    #[tokio::test]
    async fn garbage_frames_and_payloads_are_protocol_errors() {
        let t = || Translator::new("x".into(), 7, "a".into(), false, Arc::new(UsageSlot::default()), None);
        // A prelude whose CRC does not match (the frame reader's own tests cover the rest).
        let out = run(vec![Bytes::from_static(&[0, 0, 0, 16, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0])], 16, t()).await;
        assert!(
            matches!(out.last().unwrap(), Err(ProviderError::Protocol(m)) if m.contains("event stream is malformed"))
        );
        // A body that ends inside a frame.
        let whole = event("messageStart", json!({"role": "assistant"}));
        let out = run(vec![whole.slice(..whole.len() - 1)], 4096, t()).await;
        assert!(
            matches!(out.last().unwrap(), Err(ProviderError::Protocol(m)) if m.contains("ended inside an event")),
            "{out:?}"
        );
        let bad_json = vec![event("contentBlockDelta", json!("not an object"))];
        let out = run(bad_json, 4096, t()).await;
        assert!(
            matches!(out.last().unwrap(), Err(ProviderError::Protocol(m)) if m.contains("contentBlockDelta event is malformed"))
        );
    }
}
