//! A chat completion → an Anthropic message.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::{ThinkingBlock, Usage};

/// The parts of a chat completion a message is made of.
#[derive(Debug, Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<CompletionChoice>,
    #[serde(default)]
    usage: Usage,
}

#[derive(Debug, Deserialize)]
struct CompletionChoice {
    message: CompletionMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CompletionMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    thinking_blocks: Option<Vec<ThinkingBlock>>,
    #[serde(default)]
    tool_calls: Option<Vec<CompletionToolCall>>,
}

#[derive(Debug, Deserialize)]
struct CompletionToolCall {
    id: String,
    function: CompletionFunction,
}

#[derive(Debug, Deserialize)]
struct CompletionFunction {
    name: String,
    #[serde(default)]
    arguments: String,
}

#[derive(Debug, Serialize)]
pub struct Message<'a> {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: &'static str,
    pub model: &'a str,
    pub content: Vec<OutputBlock>,
    pub stop_reason: &'static str,
    pub stop_sequence: Option<String>,
    pub usage: MessageUsage,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputBlock {
    Thinking { thinking: String, signature: String },
    RedactedThinking { data: String },
    Text { text: String },
    ToolUse { id: String, name: String, input: Value },
}

/// Anthropic's usage: `input_tokens` excludes what was read from or written to the cache.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MessageUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl From<Usage> for MessageUsage {
    fn from(u: Usage) -> Self {
        MessageUsage {
            input_tokens: u.uncached_prompt_tokens(),
            output_tokens: u.completion_tokens,
            cache_creation_input_tokens: u.cache_creation_input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
        }
    }
}

/// Anthropic's `stop_reason` for an OpenAI `finish_reason`.
pub fn stop_reason(finish_reason: Option<&str>) -> &'static str {
    match finish_reason {
        Some("length") => "max_tokens",
        Some("tool_calls") | Some("function_call") => "tool_use",
        Some("content_filter") => "refusal",
        _ => "end_turn",
    }
}

/// Anthropic's message id for the gateway's call.
pub fn message_id(call_id: uuid::Uuid) -> String {
    format!("msg_{}", call_id.simple())
}

/// The message for a serialized chat completion.
pub fn from_completion(body: &[u8], call_id: uuid::Uuid, model: &str) -> Result<Vec<u8>, serde_json::Error> {
    let completion: Completion = serde_json::from_slice(body)?;
    let (message, finish_reason) = match completion.choices.into_iter().next() {
        Some(choice) => (choice.message, choice.finish_reason),
        None => (CompletionMessage::default(), None),
    };
    let mut content = Vec::new();
    match message.thinking_blocks {
        Some(blocks) => content.extend(blocks.into_iter().map(|b| match b {
            ThinkingBlock::Thinking { thinking, signature } => {
                OutputBlock::Thinking { thinking, signature: signature.unwrap_or_default() }
            }
            ThinkingBlock::RedactedThinking { data } => OutputBlock::RedactedThinking { data },
        })),
        None => {
            if let Some(thinking) = message.reasoning_content.filter(|t| !t.is_empty()) {
                content.push(OutputBlock::Thinking { thinking, signature: String::new() });
            }
        }
    }
    if let Some(text) = message.content.filter(|t| !t.is_empty()) {
        content.push(OutputBlock::Text { text });
    }
    for call in message.tool_calls.into_iter().flatten() {
        content.push(OutputBlock::ToolUse {
            input: crate::schema::tool_input(&call.function.arguments),
            id: call.id,
            name: call.function.name,
        });
    }
    let out = Message {
        id: message_id(call_id),
        kind: "message",
        role: "assistant",
        model,
        content,
        stop_reason: stop_reason(finish_reason.as_deref()),
        stop_sequence: None,
        usage: completion.usage.into(),
    };
    serde_json::to_vec(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completion_with_reasoning_text_and_tools_becomes_blocks() {
        let body = serde_json::json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "claude",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": "Let me look.", "reasoning_content": "think",
                "thinking_blocks": [{"type": "thinking", "thinking": "think", "signature": "s1"}],
                "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "Read", "arguments": "{\"path\":\"a\"}"}},
                               {"id": "t2", "type": "function", "function": {"name": "Odd", "arguments": "not json"}}]
            }}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 7, "total_tokens": 127, "cache_read_input_tokens": 100}
        });
        let id = uuid::Uuid::nil();
        let out: Value =
            serde_json::from_slice(&from_completion(&serde_json::to_vec(&body).unwrap(), id, "claude").unwrap())
                .unwrap();
        assert_eq!(out["id"], "msg_00000000000000000000000000000000");
        assert_eq!(out["type"], "message");
        assert_eq!(out["stop_reason"], "tool_use");
        assert_eq!(out["content"][0], serde_json::json!({"type": "thinking", "thinking": "think", "signature": "s1"}));
        assert_eq!(out["content"][1], serde_json::json!({"type": "text", "text": "Let me look."}));
        assert_eq!(out["content"][2]["input"], serde_json::json!({"path": "a"}));
        assert_eq!(out["content"][3]["input"], serde_json::json!({"arguments": "not json"}));
        assert_eq!(
            out["usage"],
            serde_json::json!({"input_tokens": 20, "output_tokens": 7, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 100})
        );
    }

    #[test]
    fn stop_reasons_map_like_litellm() {
        assert_eq!(stop_reason(Some("stop")), "end_turn");
        assert_eq!(stop_reason(Some("length")), "max_tokens");
        assert_eq!(stop_reason(Some("tool_calls")), "tool_use");
        assert_eq!(stop_reason(None), "end_turn");
    }
}
