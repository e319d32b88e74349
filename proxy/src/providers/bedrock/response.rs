//! Bedrock Converse output → OpenAI chat completion.

use aws_sdk_bedrockruntime::operation::converse::ConverseOutput;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConverseOutput as OutputUnion, ReasoningContentBlock, StopReason, TokenUsage,
};
use base64::Engine;
use bytes::Bytes;

use super::document;
use crate::providers::ProviderError;
use crate::schema::{AnswerParts, FunctionCall, ThinkingBlock, ToolCall, Usage};

pub fn finish_reason(stop: &StopReason) -> &'static str {
    match stop {
        StopReason::ToolUse => "tool_calls",
        StopReason::MaxTokens | StopReason::ModelContextWindowExceeded => "length",
        StopReason::GuardrailIntervened | StopReason::ContentFiltered => "content_filter",
        _ => "stop",
    }
}

/// Converse counts cache reads and writes apart from `inputTokens`; OpenAI's `prompt_tokens`
/// includes them.
pub fn usage(u: &TokenUsage) -> Usage {
    let read = u.cache_read_input_tokens().unwrap_or(0).max(0) as u64;
    let written = u.cache_write_input_tokens().unwrap_or(0).max(0) as u64;
    let prompt = u.input_tokens().max(0) as u64 + read + written;
    Usage {
        cache_read_input_tokens: read,
        cache_creation_input_tokens: written,
        ..Usage::new(prompt, u.output_tokens().max(0) as u64)
    }
}

pub fn completion(
    output: ConverseOutput,
    id: &str,
    created: u64,
    alias: &str,
) -> Result<(Bytes, Usage), ProviderError> {
    let mut parts = AnswerParts::default();
    if let Some(OutputUnion::Message(message)) = &output.output {
        for block in message.content() {
            match block {
                ContentBlock::Text(t) => parts.text.push_str(t),
                ContentBlock::ToolUse(call) => parts.tool_calls.push(ToolCall {
                    id: call.tool_use_id().to_string(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: call.name().to_string(),
                        arguments: serde_json::to_string(&document::to_json(call.input()))
                            .map_err(|e| ProviderError::Protocol(e.to_string()))?,
                    },
                }),
                ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(r)) => {
                    parts.reasoning.push_str(r.text());
                    parts.thinking_blocks.push(ThinkingBlock::Thinking {
                        thinking: r.text().to_string(),
                        signature: r.signature().map(str::to_string),
                    });
                }
                ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(data)) => {
                    parts.thinking_blocks.push(ThinkingBlock::RedactedThinking {
                        data: base64::engine::general_purpose::STANDARD.encode(data.as_ref()),
                    });
                }
                _ => {}
            }
        }
    }
    let usage = output.usage.as_ref().map(usage).unwrap_or_default();
    let bytes = parts
        .completion(id, created, alias, finish_reason(&output.stop_reason), usage)
        .map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok((Bytes::from(bytes), usage))
}
