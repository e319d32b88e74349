//! Chat completion chunks → Anthropic's stream events (`message_start`, `content_block_start`,
//! `content_block_delta`, `content_block_stop`, `message_delta`, `message_stop`).
//!
//! Chunks are parsed as they pass, borrowing their strings; each opens, feeds or closes one
//! content block. The stop reason and usage arrive in separate chunks at the end and are told
//! together in `message_delta`.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use super::response::{MessageUsage, stop_reason};
use crate::schema::chunk_in::ChunkIn;
use crate::schema::{ThinkingBlock, Usage};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    Redacted,
    Tool(u32),
}

/// Turns one call's chunk stream into Anthropic events.
pub struct Translator {
    id: String,
    model: String,
    pending: BytesMut,
    started: bool,
    finished: bool,
    /// The open content block and its index.
    open: Option<(Open, u32)>,
    next_index: u32,
    stop_reason: Option<&'static str>,
    usage: Option<Usage>,
}

#[derive(Serialize)]
struct StartMessage<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: [(); 0],
    stop_reason: Option<()>,
    stop_sequence: Option<()>,
    usage: MessageUsage,
}

impl Translator {
    pub fn new(id: String, model: String) -> Self {
        Translator {
            id,
            model,
            pending: BytesMut::new(),
            started: false,
            finished: false,
            open: None,
            next_index: 0,
            stop_reason: None,
            usage: None,
        }
    }

    /// Feeds bytes of the chunk stream; returns the events they complete (possibly none).
    pub fn push(&mut self, bytes: &[u8]) -> Bytes {
        self.pending.extend_from_slice(bytes);
        let mut out = BytesMut::new();
        while let Some(end) = memchr::memmem::find(&self.pending, b"\n\n") {
            let frame = self.pending.split_to(end + 2);
            for line in frame[..].split(|b| *b == b'\n') {
                if let Some(data) = line.strip_prefix(b"data:") {
                    self.data(data.trim_ascii(), &mut out);
                }
            }
        }
        out.freeze()
    }

    /// Closes the message if the chunk stream ended without `[DONE]`.
    pub fn finish(&mut self) -> Bytes {
        let mut out = BytesMut::new();
        self.end(&mut out);
        out.freeze()
    }

    fn data(&mut self, data: &[u8], out: &mut BytesMut) {
        if data == b"[DONE]" {
            self.end(out);
            return;
        }
        let Ok(chunk) = serde_json::from_slice::<ChunkIn<'_>>(data) else {
            // Not a chunk (an upstream's comment or keep-alive): nothing to tell.
            return;
        };
        self.start(out);
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        for choice in chunk.choices {
            let delta = choice.delta;
            if let Some(thinking) = delta.reasoning_content.as_deref().filter(|t| !t.is_empty()) {
                let index = self.ensure_open(Open::Thinking, out);
                block_delta(out, index, DeltaBody::ThinkingDelta { thinking });
            }
            for block in delta.thinking_blocks.iter().flatten() {
                match block {
                    ThinkingBlock::Thinking { signature: Some(signature), .. } => {
                        let index = self.ensure_open(Open::Thinking, out);
                        block_delta(out, index, DeltaBody::SignatureDelta { signature });
                    }
                    ThinkingBlock::Thinking { .. } => {}
                    ThinkingBlock::RedactedThinking { data } => {
                        self.open_block(Open::Redacted, StartBlock::RedactedThinking { data }, out);
                        self.close(out);
                    }
                }
            }
            if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
                let index = self.ensure_open(Open::Text, out);
                block_delta(out, index, DeltaBody::TextDelta { text });
            }
            for call in delta.tool_calls.iter().flatten() {
                let function = call.function.as_ref();
                let open = self.open.filter(|(o, _)| *o == Open::Tool(call.index));
                let index = match open {
                    Some((_, index)) if call.id.is_none() => index,
                    _ => {
                        let id = call.id.as_deref().unwrap_or_default();
                        let name = function.and_then(|f| f.name.as_deref()).unwrap_or_default();
                        self.open_block(Open::Tool(call.index), StartBlock::ToolUse { id, name, input: Empty {} }, out)
                    }
                };
                if let Some(partial_json) = function.and_then(|f| f.arguments.as_deref()).filter(|a| !a.is_empty()) {
                    block_delta(out, index, DeltaBody::InputJsonDelta { partial_json });
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.stop_reason = Some(stop_reason(Some(&reason)));
            }
        }
    }

    fn start(&mut self, out: &mut BytesMut) {
        if self.started {
            return;
        }
        self.started = true;
        let message = StartMessage {
            id: &self.id,
            kind: "message",
            role: "assistant",
            model: &self.model,
            content: [],
            stop_reason: None,
            stop_sequence: None,
            usage: MessageUsage::default(),
        };
        event(out, "message_start", &Typed { kind: "message_start", body: MessageStart { message } });
        event(out, "ping", &Typed { kind: "ping", body: Empty {} });
    }

    /// The index of an open text or thinking block, opening one (and closing another) if needed.
    fn ensure_open(&mut self, kind: Open, out: &mut BytesMut) -> u32 {
        if let Some((open, index)) = self.open
            && open == kind
        {
            return index;
        }
        let block = match kind {
            Open::Thinking => StartBlock::Thinking { thinking: "", signature: "" },
            _ => StartBlock::Text { text: "" },
        };
        self.open_block(kind, block, out)
    }

    /// Closes the open block, opens the next one and tells it; its index.
    fn open_block(&mut self, kind: Open, block: StartBlock<'_>, out: &mut BytesMut) -> u32 {
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some((kind, index));
        event(
            out,
            "content_block_start",
            &Typed { kind: "content_block_start", body: BlockStart { index, content_block: block } },
        );
        index
    }

    fn close(&mut self, out: &mut BytesMut) {
        if let Some((_, index)) = self.open.take() {
            event(out, "content_block_stop", &Typed { kind: "content_block_stop", body: Index { index } });
        }
    }

    fn end(&mut self, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        self.start(out);
        self.finished = true;
        self.close(out);
        let usage: MessageUsage = self.usage.unwrap_or_default().into();
        let delta = StopDelta { stop_reason: self.stop_reason.unwrap_or("end_turn"), stop_sequence: None };
        event(out, "message_delta", &Typed { kind: "message_delta", body: MessageDelta { delta, usage } });
        event(out, "message_stop", &Typed { kind: "message_stop", body: Empty {} });
    }
}

// The events' shapes, serialized without building JSON values (this runs for every chunk).

/// An event's data: its `type`, then its fields.
#[derive(Serialize)]
struct Typed<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Index {
    index: u32,
}

#[derive(Serialize)]
struct MessageStart<'a> {
    message: StartMessage<'a>,
}

#[derive(Serialize)]
struct BlockStart<'a> {
    index: u32,
    content_block: StartBlock<'a>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartBlock<'a> {
    Text { text: &'static str },
    Thinking { thinking: &'static str, signature: &'static str },
    RedactedThinking { data: &'a str },
    ToolUse { id: &'a str, name: &'a str, input: Empty },
}

#[derive(Serialize)]
struct BlockDelta<'a> {
    index: u32,
    delta: DeltaBody<'a>,
}

// The variants are named after Anthropic's delta types, which all end in `_delta`.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum DeltaBody<'a> {
    TextDelta { text: &'a str },
    ThinkingDelta { thinking: &'a str },
    SignatureDelta { signature: &'a str },
    InputJsonDelta { partial_json: &'a str },
}

#[derive(Serialize)]
struct StopDelta {
    stop_reason: &'static str,
    stop_sequence: Option<()>,
}

#[derive(Serialize)]
struct MessageDelta {
    delta: StopDelta,
    usage: MessageUsage,
}

fn block_delta(out: &mut BytesMut, index: u32, delta: DeltaBody<'_>) {
    event(out, "content_block_delta", &Typed { kind: "content_block_delta", body: BlockDelta { index, delta } });
}

/// One server-sent event with Anthropic's `event:` line (the SDKs dispatch on it).
fn event<T: Serialize>(out: &mut BytesMut, name: &str, data: &T) {
    out.put_slice(b"event: ");
    out.put_slice(name.as_bytes());
    out.put_slice(b"\ndata: ");
    // These shapes always serialize.
    let _ = serde_json::to_writer((&mut *out).writer(), data);
    out.put_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The events of a byte stream, as (name, data).
    fn events(bytes: &[u8]) -> Vec<(String, Value)> {
        let text = std::str::from_utf8(bytes).unwrap();
        text.split("\n\n")
            .filter(|f| !f.is_empty())
            .map(|f| {
                let (name, data) = f.split_once('\n').unwrap();
                (
                    name.strip_prefix("event: ").unwrap().to_string(),
                    serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap(),
                )
            })
            .collect()
    }

    fn chunk(delta: Value, finish: Option<&str>) -> String {
        format!(
            "data: {}\n\n",
            serde_json::json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        )
    }

    #[test]
    fn text_thinking_and_a_tool_call_become_blocks_in_order() {
        let mut t = Translator::new("msg_1".into(), "claude".into());
        let mut input = String::new();
        input += &chunk(serde_json::json!({"role": "assistant", "content": ""}), None);
        input += &chunk(serde_json::json!({"reasoning_content": "hmm"}), None);
        input += &chunk(
            serde_json::json!({"thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "sig"}]}),
            None,
        );
        input += &chunk(serde_json::json!({"content": "Hel"}), None);
        input += &chunk(serde_json::json!({"content": "lo"}), None);
        input += &chunk(
            serde_json::json!({"tool_calls": [{"index": 0, "id": "t1", "type": "function", "function": {"name": "Bash", "arguments": ""}}]}),
            None,
        );
        input +=
            &chunk(serde_json::json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"command\":"}}]}), None);
        input += &chunk(serde_json::json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"ls\"}"}}]}), None);
        input += &chunk(serde_json::json!({}), Some("tool_calls"));
        input += "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":9,\"total_tokens\":39,\"cache_creation_input_tokens\":10}}\n\n";
        input += "data: [DONE]\n\n";
        // Fed in awkward pieces, as a network delivers it.
        let mut out = Vec::new();
        for piece in input.as_bytes().chunks(7) {
            out.extend_from_slice(&t.push(piece));
        }
        out.extend_from_slice(&t.finish());
        let ev = events(&out);
        let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "message_start",
                "ping",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(ev[0].1["message"]["id"], "msg_1");
        assert_eq!(ev[0].1["message"]["model"], "claude");
        assert_eq!(ev[2].1["content_block"]["type"], "thinking");
        assert_eq!(ev[3].1["delta"], serde_json::json!({"type": "thinking_delta", "thinking": "hmm"}));
        assert_eq!(ev[4].1["delta"], serde_json::json!({"type": "signature_delta", "signature": "sig"}));
        assert_eq!(ev[6].1["index"], 1);
        assert_eq!(ev[7].1["delta"]["text"], "Hel");
        assert_eq!(
            ev[10].1["content_block"],
            serde_json::json!({"type": "tool_use", "id": "t1", "name": "Bash", "input": {}})
        );
        let json: String =
            ev[11..13].iter().map(|(_, d)| d["delta"]["partial_json"].as_str().unwrap().to_string()).collect();
        assert_eq!(json, "{\"command\":\"ls\"}");
        assert_eq!(ev[14].1["delta"]["stop_reason"], "tool_use");
        assert_eq!(ev[14].1["usage"]["input_tokens"], 20);
        assert_eq!(ev[14].1["usage"]["cache_creation_input_tokens"], 10);
        assert_eq!(ev[14].1["usage"]["output_tokens"], 9);
    }

    #[test]
    fn two_tool_calls_are_two_blocks_and_a_cut_stream_still_closes() {
        let mut t = Translator::new("m".into(), "x".into());
        let mut out = t.push(chunk(serde_json::json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}), None).as_bytes()).to_vec();
        out.extend_from_slice(&t.push(chunk(serde_json::json!({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{}"}}]}), None).as_bytes()));
        out.extend_from_slice(&t.finish());
        out.extend_from_slice(&t.finish());
        let ev = events(&out);
        let starts: Vec<&Value> = ev.iter().filter(|(n, _)| n == "content_block_start").map(|(_, d)| d).collect();
        assert_eq!(starts.len(), 2);
        assert_eq!((starts[0]["index"].as_u64(), starts[1]["index"].as_u64()), (Some(0), Some(1)));
        assert_eq!(ev.iter().filter(|(n, _)| n == "message_stop").count(), 1, "finish is idempotent");
        assert_eq!(ev.last().unwrap().0, "message_stop");
    }
}
