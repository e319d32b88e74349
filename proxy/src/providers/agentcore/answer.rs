//! A harness's answer to one turn, read from its InvokeHarness event stream.
//!
//! The harness runs its agent loop itself: it may speak, call its own tools, read their results
//! and speak again before it ends the turn. A chat client is shown what the harness says (and its
//! reasoning); the tool calls are the harness's business, not calls for the client to make.

use aws_sdk_bedrockagentcore::types::{
    HarnessContentBlockDelta, HarnessConversationRole, HarnessReasoningContentBlockDelta, HarnessStopReason,
    InvokeHarnessStreamOutput,
};

use crate::schema::Usage;

/// What one event adds to what the client sees.
#[derive(Debug, PartialEq, Eq)]
pub enum Said {
    Text(String),
    Reasoning(String),
}

#[derive(Debug, Default)]
pub struct Answer {
    pub text: String,
    pub reasoning: String,
    /// Every model call of the turn, added up.
    pub usage: Usage,
    stop: Option<HarnessStopReason>,
    /// Inside one of the harness's own messages (not a tool result it reads).
    speaking: bool,
    /// A later message of the turn starts: set apart from what was said before it.
    new_message: bool,
}

impl Answer {
    /// Takes one event of the stream.
    pub fn take(&mut self, event: &InvokeHarnessStreamOutput) -> Option<Said> {
        match event {
            InvokeHarnessStreamOutput::MessageStart(e) => {
                self.speaking = *e.role() == HarnessConversationRole::Assistant;
                self.new_message = self.speaking && !self.text.is_empty();
                None
            }
            InvokeHarnessStreamOutput::ContentBlockDelta(e) if self.speaking => match e.delta()? {
                HarnessContentBlockDelta::Text(t) if !t.is_empty() => {
                    let text = if std::mem::take(&mut self.new_message) { format!("\n\n{t}") } else { t.clone() };
                    self.text.push_str(&text);
                    Some(Said::Text(text))
                }
                HarnessContentBlockDelta::ReasoningContent(HarnessReasoningContentBlockDelta::Text(t)) => {
                    self.reasoning.push_str(t);
                    Some(Said::Reasoning(t.clone()))
                }
                _ => None,
            },
            InvokeHarnessStreamOutput::MessageStop(e) => {
                self.stop = Some(e.stop_reason().clone());
                None
            }
            InvokeHarnessStreamOutput::Metadata(e) => {
                if let Some(u) = e.usage() {
                    let read = u.cache_read_input_tokens().unwrap_or(0).max(0) as u64;
                    let written = u.cache_write_input_tokens().unwrap_or(0).max(0) as u64;
                    let prompt = u.input_tokens().max(0) as u64 + read + written;
                    let completion = u.output_tokens().max(0) as u64;
                    self.usage = Usage {
                        cache_read_input_tokens: self.usage.cache_read_input_tokens + read,
                        cache_creation_input_tokens: self.usage.cache_creation_input_tokens + written,
                        ..Usage::new(self.usage.prompt_tokens + prompt, self.usage.completion_tokens + completion)
                    };
                }
                None
            }
            _ => None,
        }
    }

    /// The OpenAI `finish_reason` of the turn's last message.
    pub fn finish_reason(&self) -> &'static str {
        use HarnessStopReason as S;
        match &self.stop {
            Some(
                S::MaxTokens
                | S::MaxOutputTokensExceeded
                | S::ModelContextWindowExceeded
                | S::MaxIterationsExceeded
                | S::TimeoutExceeded,
            ) => "length",
            Some(S::ContentFiltered) => "content_filter",
            _ => "stop",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_bedrockagentcore::types::{
        HarnessContentBlockDeltaEvent, HarnessMessageStartEvent, HarnessMessageStopEvent, HarnessMetadataEvent,
        HarnessTokenUsage,
    };

    fn start(role: HarnessConversationRole) -> InvokeHarnessStreamOutput {
        InvokeHarnessStreamOutput::MessageStart(HarnessMessageStartEvent::builder().role(role).build().unwrap())
    }

    fn delta(d: HarnessContentBlockDelta) -> InvokeHarnessStreamOutput {
        InvokeHarnessStreamOutput::ContentBlockDelta(
            HarnessContentBlockDeltaEvent::builder().content_block_index(0).delta(d).build().unwrap(),
        )
    }

    fn stop(reason: HarnessStopReason) -> InvokeHarnessStreamOutput {
        InvokeHarnessStreamOutput::MessageStop(HarnessMessageStopEvent::builder().stop_reason(reason).build().unwrap())
    }

    fn usage(input: i32, output: i32, read: i32) -> InvokeHarnessStreamOutput {
        let u = HarnessTokenUsage::builder()
            .input_tokens(input)
            .output_tokens(output)
            .total_tokens(input + output)
            .cache_read_input_tokens(read)
            .build()
            .unwrap();
        InvokeHarnessStreamOutput::Metadata(HarnessMetadataEvent::builder().usage(u).build())
    }

    #[test]
    fn the_client_hears_what_the_harness_says_across_its_tool_loop() {
        let mut answer = Answer::default();
        let events = [
            start(HarnessConversationRole::Assistant),
            delta(HarnessContentBlockDelta::Text("Let me check.".into())),
            stop(HarnessStopReason::ToolUse),
            start(HarnessConversationRole::User),
            delta(HarnessContentBlockDelta::Text("tool output the client does not see".into())),
            stop(HarnessStopReason::ToolResult),
            usage(10, 5, 0),
            start(HarnessConversationRole::Assistant),
            delta(HarnessContentBlockDelta::ReasoningContent(HarnessReasoningContentBlockDelta::Text("hmm".into()))),
            delta(HarnessContentBlockDelta::Text("It is noon.".into())),
            stop(HarnessStopReason::EndTurn),
            usage(20, 7, 4),
        ];
        let said: Vec<Said> = events.iter().filter_map(|e| answer.take(e)).collect();
        assert_eq!(
            said,
            [Said::Text("Let me check.".into()), Said::Reasoning("hmm".into()), Said::Text("\n\nIt is noon.".into())]
        );
        assert_eq!(answer.text, "Let me check.\n\nIt is noon.");
        assert_eq!(answer.reasoning, "hmm");
        assert_eq!(answer.finish_reason(), "stop");
        assert_eq!(
            (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens),
            (34, 12, 46)
        );
        assert_eq!(answer.usage.cache_read_input_tokens, 4);
    }

    #[test]
    fn limits_end_the_turn_as_length() {
        for reason in [HarnessStopReason::MaxTokens, HarnessStopReason::MaxIterationsExceeded] {
            let mut answer = Answer::default();
            answer.take(&stop(reason));
            assert_eq!(answer.finish_reason(), "length");
        }
        let mut filtered = Answer::default();
        filtered.take(&stop(HarnessStopReason::ContentFiltered));
        assert_eq!(filtered.finish_reason(), "content_filter");
    }
}
