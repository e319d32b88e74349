//! ConverseStream events → OpenAI chat completion chunks, one chunk per event as it arrives.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, ReasoningContentBlockDelta,
};
use base64::Engine;
use bytes::Bytes;

use super::response::{finish_reason, usage};
use crate::providers::{ProviderError, TokenPrices, UsageSlot, data_event};
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

    /// The chunk for one event; `None` for events the client does not see.
    pub fn chunk(&mut self, event: &ConverseStreamOutput) -> Result<Option<Bytes>, ProviderError> {
        let mut delta = Delta::default();
        let mut finish = None;
        match event {
            ConverseStreamOutput::MessageStart(_) => {
                delta.role = Some("assistant");
                delta.content = Some("");
            }
            ConverseStreamOutput::ContentBlockStart(start) => {
                let Some(ContentBlockStart::ToolUse(tool)) = start.start() else {
                    return Ok(None);
                };
                let index = self.tool_index(start.content_block_index());
                delta.tool_calls = Some(vec![ToolCallDelta {
                    index,
                    id: Some(tool.tool_use_id()),
                    kind: "function",
                    function: FunctionDelta { name: Some(tool.name()), arguments: "" },
                }]);
            }
            ConverseStreamOutput::ContentBlockDelta(d) => match d.delta() {
                Some(ContentBlockDelta::Text(text)) => delta.content = Some(text),
                Some(ContentBlockDelta::ToolUse(tool)) => {
                    let index = self.tool_index(d.content_block_index());
                    delta.tool_calls = Some(vec![ToolCallDelta {
                        index,
                        id: None,
                        kind: "function",
                        function: FunctionDelta { name: None, arguments: tool.input() },
                    }]);
                }
                Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(text))) => {
                    delta.reasoning_content = Some(text);
                }
                Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature(signature))) => {
                    delta.thinking_blocks =
                        Some([ThinkingBlock::Thinking { thinking: String::new(), signature: Some(signature.clone()) }]);
                }
                Some(ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::RedactedContent(data))) => {
                    delta.thinking_blocks = Some([ThinkingBlock::RedactedThinking {
                        data: base64::engine::general_purpose::STANDARD.encode(data.as_ref()),
                    }]);
                }
                _ => return Ok(None),
            },
            ConverseStreamOutput::MessageStop(stop) => finish = Some(finish_reason(stop.stop_reason())),
            ConverseStreamOutput::Metadata(meta) => {
                let Some(u) = meta.usage() else {
                    return Ok(None);
                };
                let u = usage(u);
                self.usage.set(u);
                if !self.include_usage {
                    return Ok(None);
                }
                let cost = self.prices.map(|p| p.cost(&u));
                return self.frame(Vec::new(), Some(ChunkUsage { tokens: u, cost })).map(Some);
            }
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

#[cfg(test)]
mod tests {
    use aws_sdk_bedrockruntime::types::{
        ContentBlockDeltaEvent, ContentBlockStartEvent, ConverseStreamMetadataEvent, MessageStartEvent,
        MessageStopEvent, StopReason, TokenUsage, ToolUseBlockDelta, ToolUseBlockStart,
    };

    use super::*;

    fn json(b: &Bytes) -> serde_json::Value {
        let text = std::str::from_utf8(b).unwrap();
        serde_json::from_str(text.strip_prefix("data: ").unwrap().trim_end()).unwrap()
    }

    #[test]
    fn tool_call_stream_becomes_openai_deltas() {
        let slot = Arc::new(UsageSlot::default());
        let mut t = Translator::new("chatcmpl-1".into(), 7, "claude-haiku".into(), false, slot.clone(), None);
        let start = t
            .chunk(&ConverseStreamOutput::MessageStart(
                MessageStartEvent::builder().role("assistant".into()).build().unwrap(),
            ))
            .unwrap()
            .unwrap();
        assert_eq!(json(&start)["choices"][0]["delta"], serde_json::json!({"role": "assistant", "content": ""}));
        assert_eq!(json(&start)["model"], "claude-haiku");

        let tool_start = ContentBlockStartEvent::builder()
            .content_block_index(1)
            .start(ContentBlockStart::ToolUse(
                ToolUseBlockStart::builder().tool_use_id("tu1").name("get_weather").build().unwrap(),
            ))
            .build()
            .unwrap();
        let c = json(&t.chunk(&ConverseStreamOutput::ContentBlockStart(tool_start)).unwrap().unwrap());
        assert_eq!(
            c["choices"][0]["delta"]["tool_calls"][0],
            serde_json::json!({"index": 0, "id": "tu1", "type": "function", "function": {"name": "get_weather", "arguments": ""}})
        );

        let frag = ContentBlockDeltaEvent::builder()
            .content_block_index(1)
            .delta(ContentBlockDelta::ToolUse(ToolUseBlockDelta::builder().input("{\"city\":").build().unwrap()))
            .build()
            .unwrap();
        let c = json(&t.chunk(&ConverseStreamOutput::ContentBlockDelta(frag)).unwrap().unwrap());
        assert_eq!(c["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
        assert_eq!(c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"city\":");

        let stop = MessageStopEvent::builder().stop_reason(StopReason::ToolUse).build().unwrap();
        let c = json(&t.chunk(&ConverseStreamOutput::MessageStop(stop)).unwrap().unwrap());
        assert_eq!(c["choices"][0]["finish_reason"], "tool_calls");

        let meta = ConverseStreamMetadataEvent::builder()
            .usage(TokenUsage::builder().input_tokens(10).output_tokens(4).total_tokens(14).build().unwrap())
            .build();
        assert!(t.chunk(&ConverseStreamOutput::Metadata(meta.clone())).unwrap().is_none(), "usage hidden unless asked");
        assert_eq!(slot.get().unwrap().total_tokens, 14);

        let prices = TokenPrices::new(0.5, 1.0);
        let mut with_usage =
            Translator::new("x".into(), 7, "a".into(), true, Arc::new(UsageSlot::default()), Some(prices));
        let c = json(&with_usage.chunk(&ConverseStreamOutput::Metadata(meta)).unwrap().unwrap());
        assert_eq!(c["choices"], serde_json::json!([]));
        assert_eq!(c["usage"]["prompt_tokens"], 10);
        assert_eq!(c["usage"]["cost"], 9.0, "10 × 0.5 + 4 × 1.0");
    }
}
