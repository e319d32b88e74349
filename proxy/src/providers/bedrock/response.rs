//! Bedrock Converse output → OpenAI chat completion.

use bytes::Bytes;

use super::wire::{ConverseResponse, TokenUsage};
use crate::providers::ProviderError;
use crate::schema::{AnswerParts, FunctionCall, ThinkingBlock, ToolCall, Usage};

pub fn finish_reason(stop: &str) -> &'static str {
    match stop {
        "tool_use" => "tool_calls",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "guardrail_intervened" | "content_filtered" => "content_filter",
        _ => "stop",
    }
}

/// Converse counts cache reads and writes apart from `inputTokens`; OpenAI's `prompt_tokens`
/// includes them.
pub fn usage(u: &TokenUsage) -> Usage {
    let read = u.cache_read_input_tokens.unwrap_or(0).max(0) as u64;
    let written = u.cache_write_input_tokens.unwrap_or(0).max(0) as u64;
    let prompt = u.input_tokens.max(0) as u64 + read + written;
    Usage {
        cache_read_input_tokens: read,
        cache_creation_input_tokens: written,
        ..Usage::new(prompt, u.output_tokens.max(0) as u64)
    }
}

/// The chat completion for a Converse answer's body.
pub fn completion(body: &[u8], id: &str, created: u64, alias: &str) -> Result<(Bytes, Usage), ProviderError> {
    let output: ConverseResponse = serde_json::from_slice(body)
        .map_err(|e| ProviderError::Protocol(format!("the answer is not a Converse response ({e})")))?;
    let mut parts = AnswerParts::default();
    for block in output.output.and_then(|o| o.message).map(|m| m.content).unwrap_or_default() {
        if let Some(text) = block.text {
            parts.text.push_str(&text);
        }
        if let Some(call) = block.tool_use {
            parts.tool_calls.push(ToolCall {
                id: call.tool_use_id.into_owned(),
                kind: "function".into(),
                function: FunctionCall { name: call.name.into_owned(), arguments: call.input.get().to_string() },
            });
        }
        if let Some(reasoning) = block.reasoning_content {
            if let Some(r) = reasoning.reasoning_text {
                parts.reasoning.push_str(&r.text);
                parts.thinking_blocks.push(ThinkingBlock::Thinking {
                    thinking: r.text.into_owned(),
                    signature: r.signature.map(|s| s.into_owned()),
                });
            }
            if let Some(data) = reasoning.redacted_content {
                parts.thinking_blocks.push(ThinkingBlock::RedactedThinking { data: data.into_owned() });
            }
        }
    }
    let usage = output.usage.as_ref().map(usage).unwrap_or_default();
    let finish = finish_reason(output.stop_reason.as_deref().unwrap_or("end_turn"));
    let bytes =
        parts.completion(id, created, alias, finish, usage).map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok((Bytes::from(bytes), usage))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn answer(body: Value) -> (Value, Usage) {
        let (bytes, usage) = completion(body.to_string().as_bytes(), "chatcmpl-1", 7, "claude").unwrap();
        (serde_json::from_slice(&bytes).unwrap(), usage)
    }

    #[test]
    fn text_tools_reasoning_and_usage() {
        let (chat, usage) = answer(json!({
            "output": {"message": {"role": "assistant", "content": [
                {"reasoningContent": {"reasoningText": {"text": "think", "signature": "sig"}}},
                {"reasoningContent": {"redactedContent": "AAEC"}},
                {"text": "Let me check."},
                {"citationsContent": {"citations": []}},
                {"toolUse": {"toolUseId": "tu1", "name": "get_weather", "input": {"city": "Paris", "days": 2}}}
            ]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": 10, "outputTokens": 4, "totalTokens": 14, "cacheReadInputTokens": 3, "cacheWriteInputTokens": 2},
            "metrics": {"latencyMs": 12}
        }));
        let message = &chat["choices"][0]["message"];
        assert_eq!(message["content"], "Let me check.");
        assert_eq!(message["reasoning_content"], "think");
        assert_eq!(
            message["thinking_blocks"],
            json!([{"type": "thinking", "thinking": "think", "signature": "sig"}, {"type": "redacted_thinking", "data": "AAEC"}])
        );
        assert_eq!(message["tool_calls"][0]["id"], "tu1");
        assert_eq!(message["tool_calls"][0]["function"]["arguments"], r#"{"city":"Paris","days":2}"#);
        assert_eq!(chat["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(chat["model"], "claude");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (15, 4), "cache reads and writes are prompt tokens");
        assert_eq!((usage.cache_read_input_tokens, usage.cache_creation_input_tokens), (3, 2));
    }

    #[test]
    fn escaped_text_and_stop_reasons() {
        let (chat, _) = answer(json!({
            "output": {"message": {"role": "assistant", "content": [{"text": "a \"quoted\"\nline é"}]}},
            "stopReason": "max_tokens",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}
        }));
        assert_eq!(chat["choices"][0]["message"]["content"], "a \"quoted\"\nline é");
        assert_eq!(chat["choices"][0]["finish_reason"], "length");
        for (stop, finish) in
            [("end_turn", "stop"), ("stop_sequence", "stop"), ("guardrail_intervened", "content_filter")]
        {
            assert_eq!(finish_reason(stop), finish);
        }
    }

    #[test]
    fn a_body_that_is_not_converse_is_a_protocol_error() {
        let err = completion(b"<html>", "i", 0, "a").err().unwrap();
        assert!(matches!(err, ProviderError::Protocol(ref m) if m.contains("not a Converse response")), "{err}");
    }
}
