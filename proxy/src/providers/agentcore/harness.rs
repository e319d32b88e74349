//! A turn of a harness: InvokeHarness with the turn's messages in the conversation's session,
//! and its event stream as an OpenAI answer.

use std::sync::Arc;

use aws_sdk_bedrockagentcore::error::SdkError;
use aws_sdk_bedrockagentcore::types::error::InvokeHarnessStreamOutputError;
use aws_sdk_bedrockagentcore::types::{
    HarnessContentBlock, HarnessConversationRole, HarnessMessage, InvokeHarnessStreamOutput,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bytes::Bytes;

use super::answer::{Answer, Said};
use super::conversation::{SessionBook, Turn};
use super::{AgentCoreProvider, qualifier};
use crate::providers::{CallOptions, ChatOutput, ChatStream, ChunkWriter, ProviderError};
use crate::schema::{AnswerParts, ChatRequest, Delta};

pub(super) async fn chat(
    provider: &AgentCoreProvider,
    request: &ChatRequest,
    options: CallOptions,
    turn: Turn,
) -> Result<ChatOutput, ProviderError> {
    let messages = turn
        .messages
        .iter()
        .map(|said| {
            let role =
                if said.by_assistant { HarnessConversationRole::Assistant } else { HarnessConversationRole::User };
            HarnessMessage::builder()
                .role(role)
                .content(HarnessContentBlock::Text(said.text.clone()))
                .build()
                .map_err(|e| ProviderError::InvalidRequest(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut call = provider
        .client
        .invoke_harness()
        .harness_arn(&provider.arn)
        .runtime_session_id(&turn.session_id)
        .set_messages(Some(messages))
        .set_qualifier(qualifier(request));
    if let Some(cap) = request.max_output_tokens() {
        call = call.max_tokens(i32::try_from(cap).unwrap_or(i32::MAX));
    }
    let output =
        call.send().await.map_err(|e| crate::providers::bedrock::sdk_error(e, |raw| Some(raw.status().as_u16())))?;
    let id = format!("chatcmpl-{}", options.call_id.simple());
    let created = crate::time::unix_now();
    if request.is_stream() {
        let (usage, writer) = super::stream_writer(&options, id, created);
        let relay = Relay {
            writer,
            answer: Answer::default(),
            turn: Some(turn),
            sessions: provider.sessions.clone(),
            started: false,
        };
        let events =
            futures::stream::unfold((output.stream, relay, false), |(mut receiver, mut relay, ended)| async move {
                if ended {
                    return None;
                }
                loop {
                    let mut out = Vec::new();
                    let step = match receiver.recv().await {
                        Ok(Some(event)) => relay.event(&event, &mut out).map(|()| false),
                        Ok(None) => relay.end(&mut out).map(|()| true),
                        Err(e) => Err(stream_error(e)),
                    };
                    match step {
                        Err(e) => return Some((Err(e), (receiver, relay, true))),
                        Ok(false) if out.is_empty() => continue,
                        Ok(ends) => return Some((Ok(crate::providers::joined(out)), (receiver, relay, ends))),
                    }
                }
            });
        return Ok(ChatOutput::Stream(ChatStream { events: Box::pin(events), usage, native: false }));
    }
    let mut receiver = output.stream;
    let mut answer = Answer::default();
    while let Some(event) = receiver.recv().await.map_err(stream_error)? {
        answer.take(&event);
    }
    let finish = answer.finish_reason();
    let usage = answer.usage;
    let parts = AnswerParts { text: answer.text, reasoning: answer.reasoning, ..AnswerParts::default() };
    provider.sessions.answered(turn, &parts.text);
    let body = parts
        .completion(&id, created, &options.alias, finish, usage)
        .map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok(ChatOutput::Complete { body: Bytes::from(body), usage, response_id: Some(id), native: false })
}

/// A harness's stream as OpenAI chunks; the session is recorded once the turn ends whole.
struct Relay {
    writer: ChunkWriter,
    answer: Answer,
    turn: Option<Turn>,
    sessions: Arc<SessionBook>,
    started: bool,
}

impl Relay {
    fn event(&mut self, event: &InvokeHarnessStreamOutput, out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        let Some(said) = self.answer.take(event) else { return Ok(()) };
        let role = (!std::mem::replace(&mut self.started, true)).then_some("assistant");
        let delta = match &said {
            Said::Text(t) => Delta { role, content: Some(t), ..Delta::default() },
            Said::Reasoning(r) => Delta { role, reasoning_content: Some(r), ..Delta::default() },
        };
        self.writer.delta(0, delta, None, out)
    }

    fn end(&mut self, out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        let role = (!self.started).then_some("assistant");
        self.writer.delta(0, Delta { role, ..Delta::default() }, Some(self.answer.finish_reason()), out)?;
        self.writer.end(self.answer.usage, out)?;
        if let Some(turn) = self.turn.take() {
            self.sessions.answered(turn, &self.answer.text);
        }
        Ok(())
    }
}

/// An error inside the harness's stream. These exceptions name their type in a header only: the
/// SDK gives them no code, the variant says which one it is.
fn stream_error(e: SdkError<InvokeHarnessStreamOutputError, impl std::fmt::Debug>) -> ProviderError {
    let Some(service) = e.as_service_error() else { return crate::providers::bedrock::sdk_error(e, |_| None) };
    let (code, status) = match service {
        // The harness's own model or tool failed (LiteLLM inside it, for one).
        InvokeHarnessStreamOutputError::RuntimeClientError(_) => ("RuntimeClientError", 424),
        InvokeHarnessStreamOutputError::ValidationException(_) => ("ValidationException", 400),
        InvokeHarnessStreamOutputError::InternalServerException(_) => ("InternalServerException", 500),
        other => (other.code().unwrap_or("StreamError"), 500),
    };
    let message = service.message().unwrap_or("the harness stream failed");
    ProviderError::Upstream {
        status,
        code: Some(code.into()),
        message: format!("{code}: {message}"),
        retry_after: None,
    }
}
