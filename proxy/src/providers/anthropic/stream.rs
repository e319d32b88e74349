//! Anthropic's stream events: translated into chat completion chunks for chat clients, or passed
//! through as they are to Messages clients (only `message_start` is touched, to name the alias),
//! reading usage on the way either way.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use super::response::{AnthropicUsage, finish_reason};
use crate::providers::{ChunkWriter, ProviderError, ToChunks, TokenPrices, UsageSlot};
use crate::schema::{Delta, FunctionDelta, ThinkingBlock, ToolCallDelta};

/// The `data:` of an event.
pub fn data_of(event: &[u8]) -> Option<&[u8]> {
    event.split(|b| *b == b'\n').find_map(|line| line.strip_prefix(b"data:")).map(|d| d.trim_ascii())
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    message: Option<StartMessage>,
    #[serde(default)]
    content_block: Option<Value>,
    #[serde(default)]
    delta: Option<Value>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

/// An `error` event as a provider error (Anthropic's `overloaded_error` is its 529).
fn stream_error(error: Option<&Value>) -> ProviderError {
    let kind = error.and_then(|e| e.get("type")).and_then(Value::as_str).unwrap_or("api_error");
    let message = error.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or("stream error");
    let status = match kind {
        "overloaded_error" => 529,
        "rate_limit_error" => 429,
        "invalid_request_error" => 400,
        _ => 500,
    };
    ProviderError::Upstream { status, code: Some(kind.to_string()), message: message.to_string(), retry_after: None }
}

/// Anthropic events → OpenAI chunks.
pub struct ToChat {
    writer: ChunkWriter,
    usage: AnthropicUsage,
    /// Anthropic numbers content blocks; OpenAI numbers tool calls.
    tool_of_block: HashMap<u64, u32>,
}

impl ToChat {
    pub fn new(
        id: String,
        created: u64,
        alias: Arc<str>,
        include_usage: bool,
        slot: Arc<UsageSlot>,
        prices: Option<TokenPrices>,
    ) -> Self {
        ToChat {
            writer: ChunkWriter::new(id, created, alias, include_usage, slot, prices),
            usage: AnthropicUsage::default(),
            tool_of_block: HashMap::new(),
        }
    }

    fn tool_index(&mut self, block: u64) -> u32 {
        let next = self.tool_of_block.len() as u32;
        *self.tool_of_block.entry(block).or_insert(next)
    }
}

impl ToChunks for ToChat {
    /// The chunks for one event.
    fn chunks(&mut self, event: &[u8], out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        let Some(data) = data_of(event) else { return Ok(()) };
        let event: Event<'_> = serde_json::from_slice(data)
            .map_err(|e| ProviderError::Protocol(format!("an event of the stream is not JSON ({e})")))?;
        let mut delta = Delta::default();
        let mut finish = None;
        // Owned strings the borrowed delta points into.
        let text_of = |v: &Option<Value>, name: &str| -> Option<String> {
            v.as_ref().and_then(|d| d.get(name)).and_then(Value::as_str).map(str::to_string)
        };
        let (text, thinking, signature, partial, tool_id, tool_name);
        match event.kind {
            "message_start" => {
                if let Some(m) = event.message {
                    self.usage.merge(m.usage);
                    if let Some(id) = m.id {
                        self.writer.slot().set_response_id(id);
                    }
                }
                delta.role = Some("assistant");
                delta.content = Some("");
            }
            "content_block_start" => {
                let block = event.content_block.unwrap_or_default();
                if block.get("type").and_then(Value::as_str) != Some("tool_use") {
                    return Ok(());
                }
                let index = self.tool_index(event.index.unwrap_or(0));
                tool_id = block.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                tool_name = block.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                delta.tool_calls = Some(vec![ToolCallDelta {
                    index,
                    id: Some(&tool_id),
                    kind: "function",
                    function: FunctionDelta { name: Some(&tool_name), arguments: "" },
                }]);
            }
            "content_block_delta" => match event.delta.as_ref().and_then(|d| d.get("type")).and_then(Value::as_str) {
                Some("text_delta") => {
                    text = text_of(&event.delta, "text");
                    delta.content = text.as_deref();
                }
                Some("thinking_delta") => {
                    thinking = text_of(&event.delta, "thinking");
                    delta.reasoning_content = thinking.as_deref();
                }
                Some("signature_delta") => {
                    signature = text_of(&event.delta, "signature");
                    delta.thinking_blocks =
                        Some([ThinkingBlock::Thinking { thinking: String::new(), signature: signature.clone() }]);
                }
                Some("input_json_delta") => {
                    partial = text_of(&event.delta, "partial_json").unwrap_or_default();
                    let index = self.tool_index(event.index.unwrap_or(0));
                    delta.tool_calls = Some(vec![ToolCallDelta {
                        index,
                        id: None,
                        kind: "function",
                        function: FunctionDelta { name: None, arguments: &partial },
                    }]);
                }
                _ => return Ok(()),
            },
            "message_delta" => {
                if let Some(u) = event.usage {
                    self.usage.merge(u);
                }
                let stop = event.delta.as_ref().and_then(|d| d.get("stop_reason")).and_then(Value::as_str);
                finish = Some(finish_reason(stop));
            }
            "message_stop" => return self.finish(out),
            "error" => return Err(stream_error(event.error.as_ref())),
            _ => return Ok(()),
        }
        self.writer.delta(0, delta, finish, out)
    }

    /// The usage chunk (when asked for) and `[DONE]`, once.
    fn finish(&mut self, out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        self.writer.end(self.usage.usage(), out)
    }
}

/// Anthropic events passed through to a Messages client.
pub struct PassThrough {
    alias: Arc<str>,
    slot: Arc<UsageSlot>,
    usage: AnthropicUsage,
}

impl PassThrough {
    pub fn new(alias: Arc<str>, slot: Arc<UsageSlot>) -> Self {
        PassThrough { alias, slot, usage: AnthropicUsage::default() }
    }

    /// The event as the client gets it.
    pub fn event(&mut self, event: Bytes) -> Result<Bytes, ProviderError> {
        let Some(data) = data_of(&event) else { return Ok(event) };
        // Only the events that carry usage or the model are read beyond their type.
        if !(memchr::memmem::find(data, b"\"message_start\"").is_some()
            || memchr::memmem::find(data, b"\"message_delta\"").is_some()
            || memchr::memmem::find(data, b"\"error\"").is_some())
        {
            return Ok(event);
        }
        let mut value: Value = serde_json::from_slice(data)
            .map_err(|e| ProviderError::Protocol(format!("an event of the stream is not JSON ({e})")))?;
        match value.get("type").and_then(Value::as_str) {
            Some("message_start") => {
                if let Some(Value::Object(message)) = value.get_mut("message") {
                    if let Some(Ok(u)) = message.get("usage").map(AnthropicUsage::deserialize) {
                        self.usage.merge(u);
                    }
                    if let Some(id) = message.get("id").and_then(Value::as_str) {
                        self.slot.set_response_id(id.to_string());
                    }
                    message.insert("model".into(), Value::String(self.alias.to_string()));
                }
                self.slot.set(self.usage.usage());
                let data = serde_json::to_vec(&value).map_err(|e| ProviderError::Protocol(e.to_string()))?;
                let mut out = Vec::with_capacity(data.len() + 40);
                out.extend_from_slice(b"event: message_start\ndata: ");
                out.extend_from_slice(&data);
                out.extend_from_slice(b"\n\n");
                Ok(Bytes::from(out))
            }
            Some("message_delta") => {
                if let Some(Ok(u)) = value.get("usage").map(AnthropicUsage::deserialize) {
                    self.usage.merge(u);
                }
                self.slot.set(self.usage.usage());
                Ok(event)
            }
            Some("error") => Err(stream_error(value.get("error"))),
            _ => Ok(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{DONE_EVENT, EventSplitter};

    const STREAM: &str = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-real\",\"content\":[],\"usage\":{\"input_tokens\":12,\"output_tokens\":1,\"cache_read_input_tokens\":3}}}\n\n",
        "event: ping\ndata: {\"type\":\"ping\"}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \\\"there\\\"\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":1}\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );

    #[test]
    fn events_become_chunks_with_usage() {
        let slot = Arc::new(UsageSlot::default());
        let mut t =
            ToChat::new("chatcmpl-1".into(), 7, "alias".into(), true, slot.clone(), Some(TokenPrices::new(1.0, 2.0)));
        let mut events = EventSplitter::default();
        let mut out = Vec::new();
        for piece in STREAM.as_bytes().chunks(13) {
            for e in events.push(piece).unwrap() {
                t.chunks(&e, &mut out).unwrap();
            }
        }
        let chunks: Vec<Value> = out
            .iter()
            .filter(|b| &b[..] != DONE_EVENT)
            .map(|b| serde_json::from_slice(data_of(b).unwrap()).unwrap())
            .collect();
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "Hi \"there\"");
        assert_eq!(chunks[2]["choices"][0]["delta"]["tool_calls"][0]["id"], "t1");
        assert_eq!(chunks[3]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"a\":1}");
        assert_eq!(chunks[4]["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(chunks[5]["usage"]["prompt_tokens"], 15);
        assert_eq!(chunks[5]["usage"]["completion_tokens"], 9);
        assert_eq!(&out.last().unwrap()[..], DONE_EVENT);
        assert_eq!(slot.get().unwrap().cache_read_input_tokens, 3);
        assert_eq!(slot.response_id().as_deref(), Some("msg_1"));
    }

    #[test]
    fn pass_through_keeps_events_and_names_the_alias() {
        let slot = Arc::new(UsageSlot::default());
        let mut p = PassThrough::new("alias".into(), slot.clone());
        let mut events = EventSplitter::default();
        let mut out = Vec::new();
        for e in events.push(STREAM.as_bytes()).unwrap() {
            out.push(p.event(e).unwrap());
        }
        let text: String = out.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
        assert!(text.contains("\"model\":\"alias\"") && !text.contains("claude-real"), "{text}");
        assert_eq!(out.len(), 10);
        assert_eq!(&out[3][..], STREAM.split_inclusive("\n\n").nth(3).unwrap().as_bytes(), "other events untouched");
        let usage = slot.get().unwrap();
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (15, 9));
        let error = b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let e = p.event(Bytes::from_static(error)).unwrap_err();
        assert!(matches!(e, ProviderError::Upstream { status: 529, .. }), "{e:?}");
    }
}
