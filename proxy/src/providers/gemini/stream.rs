//! Gemini's stream (`streamGenerateContent?alt=sse`: each event a whole
//! `GenerateContentResponse` holding the next parts) → OpenAI chat completion chunks, the usage
//! chunk when asked for, and `[DONE]`.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::request::call_id;
use super::response::{GenerateContentResponse, UsageMetadata, finish_reason};
use crate::providers::{ChunkWriter, ProviderError, ToChunks, TokenPrices, UsageSlot};
use crate::schema::{Delta, FunctionDelta, ToolCallDelta};

/// The `data:` payload of an event (several `data:` lines are one payload).
fn data_of(event: &[u8]) -> Option<Vec<u8>> {
    let mut data: Option<Vec<u8>> = None;
    for line in event.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(d) = line.strip_prefix(b"data:") {
            let d = d.strip_prefix(b" ").unwrap_or(d);
            let buf = data.get_or_insert_with(Vec::new);
            if !buf.is_empty() {
                buf.push(b'\n');
            }
            buf.extend_from_slice(d);
        }
    }
    data
}

/// An error sent inside the stream (`{"error": {"code", "message", "status"}}`).
fn stream_error(error: &Value) -> ProviderError {
    let status = error.get("code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()).unwrap_or(500);
    ProviderError::Upstream {
        status,
        code: error.get("status").and_then(Value::as_str).map(str::to_string),
        message: error.get("message").and_then(Value::as_str).unwrap_or("stream error").to_string(),
        retry_after: None,
    }
}

pub struct ToChat {
    writer: ChunkWriter,
    call: uuid::Uuid,
    usage: UsageMetadata,
    /// Per choice: whether its first chunk (with the role) went out, and its tool calls so far.
    choices: HashMap<u32, (bool, u32)>,
    /// Tool calls across choices, numbered as in a whole answer so ids match.
    calls_made: usize,
}

impl ToChat {
    pub fn new(
        id: String,
        created: u64,
        alias: Arc<str>,
        include_usage: bool,
        slot: Arc<UsageSlot>,
        prices: Option<TokenPrices>,
        call: uuid::Uuid,
    ) -> Self {
        ToChat {
            writer: ChunkWriter::new(id, created, alias, include_usage, slot, prices),
            call,
            usage: UsageMetadata::default(),
            choices: HashMap::new(),
            calls_made: 0,
        }
    }
}

impl ToChunks for ToChat {
    /// The chunks for one event.
    fn chunks(&mut self, event: &[u8], out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        let Some(data) = data_of(event) else { return Ok(()) };
        if data.trim_ascii().is_empty() {
            return Ok(());
        }
        let value: Value = serde_json::from_slice(&data)
            .map_err(|e| ProviderError::Protocol(format!("an event of the stream is not JSON ({e})")))?;
        if let Some(error) = value.get("error") {
            return Err(stream_error(error));
        }
        let answer: GenerateContentResponse = serde_json::from_value(value)
            .map_err(|e| ProviderError::Protocol(format!("an event is not a GenerateContentResponse ({e})")))?;
        if let Some(u) = answer.usage_metadata {
            // Each event carries the counts so far; the last is the answer's.
            self.usage = u;
        }
        if let Some(id) = &answer.response_id {
            self.writer.slot().set_response_id(id.clone());
        }
        if answer.blocked() {
            self.writer.delta(
                0,
                Delta { role: Some("assistant"), content: Some(""), ..Delta::default() },
                Some("content_filter"),
                out,
            )?;
        }
        for (n, candidate) in answer.candidates.iter().enumerate() {
            let index = candidate.index.unwrap_or(n as u32);
            let (started, calls) = *self.choices.get(&index).unwrap_or(&(false, 0));
            let mut text = String::new();
            let mut reasoning = String::new();
            // Owned pieces the borrowed deltas point into.
            let mut tool_calls: Vec<(u32, String, String, String)> = Vec::new();
            for part in candidate.content.iter().flat_map(|c| &c.parts) {
                if let Some(f) = &part.function_call {
                    let call = super::response::tool_call(
                        f,
                        call_id(&self.call, self.calls_made, part.thought_signature.as_deref()),
                    );
                    self.calls_made += 1;
                    let position = calls + tool_calls.len() as u32;
                    tool_calls.push((position, call.id, call.function.name, call.function.arguments));
                } else if let Some(t) = &part.text {
                    if part.thought == Some(true) { reasoning.push_str(t) } else { text.push_str(t) }
                }
            }
            let total_calls = calls + tool_calls.len() as u32;
            self.choices.insert(index, (true, total_calls));
            let finish = candidate.finish_reason.as_deref().map(|r| finish_reason(r, total_calls > 0));
            if started && text.is_empty() && reasoning.is_empty() && tool_calls.is_empty() && finish.is_none() {
                continue;
            }
            let delta = Delta {
                role: (!started).then_some("assistant"),
                content: (!text.is_empty() || !started).then_some(text.as_str()),
                reasoning_content: (!reasoning.is_empty()).then_some(reasoning.as_str()),
                thinking_blocks: None,
                tool_calls: (!tool_calls.is_empty()).then(|| {
                    tool_calls
                        .iter()
                        .map(|(i, id, name, arguments)| ToolCallDelta {
                            index: *i,
                            id: Some(id),
                            kind: "function",
                            function: FunctionDelta { name: Some(name), arguments },
                        })
                        .collect()
                }),
            };
            self.writer.delta(index, delta, finish, out)?;
        }
        Ok(())
    }

    /// The usage chunk (when asked for) and `[DONE]`, once.
    fn finish(&mut self, out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        self.writer.end(self.usage.usage(), out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{DONE_EVENT, EventSplitter};

    const STREAM: &str = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi \"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 12,\"candidatesTokenCount\": 1,\"totalTokenCount\": 13},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"r1\"}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\\\"there\\\"\"}, {\"functionCall\": {\"name\": \"f\",\"args\": {\"a\": 1}}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 12,\"candidatesTokenCount\": 9,\"thoughtsTokenCount\": 2,\"totalTokenCount\": 23},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"r1\"}\r\n\r\n",
    );

    #[test]
    fn events_become_chunks_with_usage() {
        let slot = Arc::new(UsageSlot::default());
        let mut t = ToChat::new(
            "chatcmpl-1".into(),
            7,
            "alias".into(),
            true,
            slot.clone(),
            Some(TokenPrices::new(1.0, 2.0)),
            uuid::Uuid::nil(),
        );
        let mut events = EventSplitter::default();
        let mut out = Vec::new();
        for piece in STREAM.as_bytes().chunks(11) {
            for e in events.push(piece).unwrap() {
                t.chunks(&e, &mut out).unwrap();
            }
        }
        t.finish(&mut out).unwrap();
        let chunks: Vec<Value> = out
            .iter()
            .filter(|b| &b[..] != DONE_EVENT)
            .map(|b| serde_json::from_slice(&data_of(b).unwrap()).unwrap())
            .collect();
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(chunks[0]["choices"][0]["delta"]["content"], "Hi ");
        assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "\"there\"");
        assert_eq!(chunks[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"a\":1}");
        assert_eq!(chunks[1]["choices"][0]["delta"]["tool_calls"][0]["id"], call_id(&uuid::Uuid::nil(), 0, None));
        assert_eq!(chunks[1]["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(chunks[2]["usage"]["prompt_tokens"], 12);
        assert_eq!(chunks[2]["usage"]["completion_tokens"], 11, "thinking counted as completion");
        assert_eq!(chunks[2]["usage"]["cost"], 12.0 + 22.0);
        assert_eq!(&out.last().unwrap()[..], DONE_EVENT);
        assert_eq!(slot.response_id().as_deref(), Some("r1"));

        let mut t = ToChat::new("c".into(), 7, "a".into(), false, slot, None, uuid::Uuid::nil());
        let error = b"data: {\"error\": {\"code\": 503, \"message\": \"The model is overloaded.\", \"status\": \"UNAVAILABLE\"}}\n\n";
        let e = t.chunks(error, &mut Vec::new()).unwrap_err();
        assert!(matches!(e, ProviderError::Upstream { status: 503, .. }), "{e:?}");
    }
}
