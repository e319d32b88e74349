//! An estimate of a prompt's tokens, for `/v1/messages/count_tokens` on models whose provider
//! cannot count them (Bedrock can, through `CountTokens`).
//!
//! Byte-pair tokenizers average about four characters of English or code per token; LiteLLM's
//! fallback counter (tiktoken's cl100k) lands within a few percent of that on such text. Each
//! message adds a few tokens of framing, as in OpenAI's accounting.

use crate::schema::{ChatRequest, MessageContent};

const CHARS_PER_TOKEN: usize = 4;
const TOKENS_PER_MESSAGE: u64 = 3;

pub fn estimate_prompt_tokens(request: &ChatRequest) -> u64 {
    let mut chars = 0usize;
    let mut tokens = 0u64;
    for message in &request.messages {
        tokens += TOKENS_PER_MESSAGE;
        match &message.content {
            Some(MessageContent::Text(text)) => chars += text.chars().count(),
            Some(MessageContent::Parts(parts)) => {
                for part in parts {
                    chars += part.text.as_deref().map_or(0, |t| t.chars().count());
                }
            }
            None => {}
        }
        for call in message.tool_calls.iter().flatten() {
            chars += call.function.name.len() + call.function.arguments.chars().count();
        }
    }
    for tool in request.tools.iter().flatten() {
        chars += tool.function.name.len();
        chars += tool.function.description.as_deref().map_or(0, |d| d.chars().count());
        chars += tool.function.parameters.as_ref().map_or(0, |p| p.to_string().chars().count());
    }
    tokens + chars.div_ceil(CHARS_PER_TOKEN) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_the_prompt() {
        let request = |text: &str| -> ChatRequest {
            serde_json::from_value(serde_json::json!({"model": "m", "messages": [{"role": "user", "content": text}]}))
                .unwrap()
        };
        assert_eq!(estimate_prompt_tokens(&request("")), 3);
        assert_eq!(estimate_prompt_tokens(&request("abcd")), 4);
        assert_eq!(estimate_prompt_tokens(&request(&"word ".repeat(400))), 3 + 500);
        let with_tool: ChatRequest = serde_json::from_value(serde_json::json!({
            "model": "m", "messages": [{"role": "user", "content": "abcd"}],
            "tools": [{"type": "function", "function": {"name": "Bash", "description": "Runs a command", "parameters": {"type": "object"}}}]
        }))
        .unwrap();
        assert!(estimate_prompt_tokens(&with_tool) > estimate_prompt_tokens(&request("abcd")) + 5);
    }
}
