//! Anthropic's message → an OpenAI chat completion, and Anthropic's usage → the gateway's.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use crate::providers::ProviderError;
use crate::schema::{AnswerParts, FunctionCall, ThinkingBlock, ToolCall, Usage};

#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct AnthropicUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

impl AnthropicUsage {
    /// Later counts (a stream's `message_delta`) override earlier ones.
    pub fn merge(&mut self, later: AnthropicUsage) {
        self.input_tokens = later.input_tokens.or(self.input_tokens);
        self.output_tokens = later.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = later.cache_creation_input_tokens.or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = later.cache_read_input_tokens.or(self.cache_read_input_tokens);
    }

    /// OpenAI's `prompt_tokens` counts the cache reads and writes that Anthropic counts apart.
    pub fn usage(&self) -> Usage {
        let read = self.cache_read_input_tokens.unwrap_or(0);
        let written = self.cache_creation_input_tokens.unwrap_or(0);
        Usage {
            cache_read_input_tokens: read,
            cache_creation_input_tokens: written,
            ..Usage::new(self.input_tokens.unwrap_or(0) + read + written, self.output_tokens.unwrap_or(0))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct MessageHead {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub usage: AnthropicUsage,
}

#[derive(Debug, Deserialize)]
struct Message {
    #[serde(default)]
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

/// OpenAI's `finish_reason` for Anthropic's `stop_reason`.
pub fn finish_reason(stop_reason: Option<&str>) -> &'static str {
    match stop_reason {
        Some("max_tokens") | Some("model_context_window_exceeded") => "length",
        Some("tool_use") => "tool_calls",
        Some("refusal") => "content_filter",
        _ => "stop",
    }
}

pub fn completion(body: &[u8], id: &str, created: u64, alias: &str) -> Result<(Bytes, Usage), ProviderError> {
    let message: Message = serde_json::from_slice(body)
        .map_err(|e| ProviderError::Protocol(format!("the answer is not an Anthropic message ({e})")))?;
    let mut parts = AnswerParts::default();
    for block in &message.content {
        let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        match block.get("type").and_then(Value::as_str) {
            Some("text") => parts.text.push_str(block.get("text").and_then(Value::as_str).unwrap_or_default()),
            Some("thinking") => {
                let thinking = field("thinking");
                parts.reasoning.push_str(&thinking);
                parts.thinking_blocks.push(ThinkingBlock::Thinking {
                    thinking,
                    signature: Some(field("signature")).filter(|s| !s.is_empty()),
                });
            }
            Some("redacted_thinking") => {
                parts.thinking_blocks.push(ThinkingBlock::RedactedThinking { data: field("data") })
            }
            Some("tool_use") => parts.tool_calls.push(ToolCall {
                id: field("id"),
                kind: "function".into(),
                function: FunctionCall {
                    name: field("name"),
                    arguments: block.get("input").map(Value::to_string).unwrap_or_else(|| "{}".into()),
                },
            }),
            _ => {}
        }
    }
    let usage = message.usage.usage();
    let bytes = parts
        .completion(id, created, alias, finish_reason(message.stop_reason.as_deref()), usage)
        .map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok((Bytes::from(bytes), usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_a_chat_completion() {
        let body = serde_json::json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
            "content": [{"type": "thinking", "thinking": "hm", "signature": "s"}, {"type": "text", "text": "Checking."},
                        {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0}});
        let (bytes, usage) = completion(body.to_string().as_bytes(), "chatcmpl-x", 7, "alias").unwrap();
        let out: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(out["model"], "alias");
        assert_eq!(out["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(out["choices"][0]["message"]["content"], "Checking.");
        assert_eq!(out["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], "{\"a\":1}");
        assert_eq!(out["choices"][0]["message"]["thinking_blocks"][0]["signature"], "s");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.cache_read_input_tokens), (110, 5, 100));
    }
}
