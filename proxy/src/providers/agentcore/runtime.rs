//! A turn of an agent runtime: InvokeAgentRuntime with `{"prompt": ...}` in the conversation's
//! session, as LiteLLM's AgentCore route sends it, and the runtime's answer as an OpenAI answer.
//!
//! A runtime runs the user's own agent code, so its answer has no fixed shape. Read as LiteLLM
//! reads it: server-sent events of Strands' model events (`{"event": {"contentBlockDelta": ...}}`,
//! `{"event": {"metadata": {"usage": ...}}}`) and a final `{"message": ...}`, or JSON
//! `{"result": {"content": [{"text": ...}]}}`. Events that are plain JSON strings (agents that
//! `yield` text) are text too, where LiteLLM drops them. Usage the agent does not report is
//! estimated from the prompt's and the answer's length.

use std::sync::Arc;

use aws_smithy_types::Blob;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

use super::conversation::{SessionBook, Turn};
use super::{AgentCoreProvider, qualifier};
use crate::providers::{
    CallOptions, ChatOutput, ChatStream, ChunkWriter, EventSplitter, MAX_RESPONSE_BYTES, ProviderError, ToChunks,
    translated,
};
use crate::schema::{AnswerParts, ChatRequest, Delta, Usage};

const CHARS_PER_TOKEN: usize = 4;

pub(super) async fn chat(
    provider: &AgentCoreProvider,
    request: &ChatRequest,
    options: CallOptions,
    turn: Turn,
) -> Result<ChatOutput, ProviderError> {
    // A runtime takes one prompt: the user's messages since the last answer.
    let mut asked: Vec<&str> =
        turn.messages.iter().rev().take_while(|s| !s.by_assistant).map(|s| s.text.as_str()).collect();
    asked.reverse();
    let prompt = asked.join("\n\n");
    let payload =
        serde_json::to_vec(&json!({ "prompt": prompt })).map_err(|e| ProviderError::Protocol(e.to_string()))?;
    let output = provider
        .client
        .invoke_agent_runtime()
        .agent_runtime_arn(&provider.arn)
        .runtime_session_id(&turn.session_id)
        .content_type("application/json")
        .accept("text/event-stream, application/json")
        .payload(Blob::new(payload))
        .set_qualifier(qualifier(request))
        .send()
        .await
        .map_err(|e| crate::providers::bedrock::sdk_error(e, |raw| Some(raw.status().as_u16())))?;
    let id = format!("chatcmpl-{}", options.call_id.simple());
    let created = crate::time::unix_now();
    let events = output.content_type.to_ascii_lowercase().contains("text/event-stream");
    let prompt_tokens = estimate(&prompt) + 3;
    let mut body = output.response;

    if request.is_stream() {
        let (usage, writer) = super::stream_writer(&options, id, created);
        let relay = Relay {
            writer,
            answer: RuntimeAnswer::default(),
            events,
            body: Vec::new(),
            prompt_tokens,
            turn: Some(turn),
            sessions: provider.sessions.clone(),
            started: false,
        };
        let upstream = futures::stream::unfold(body, |mut body| async move {
            let next = body.next().await?;
            Some((next.map_err(|e| ProviderError::Protocol(e.to_string())), body))
        });
        let events = translated(upstream.boxed(), relay);
        return Ok(ChatOutput::Stream(ChatStream { events, usage, native: false }));
    }

    let mut answer = RuntimeAnswer::default();
    let mut splitter = EventSplitter::default();
    let mut whole = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ProviderError::Protocol(e.to_string()))?;
        if events {
            for event in splitter.push(&chunk)? {
                answer.take_event(&event);
            }
        } else {
            whole.extend_from_slice(&chunk);
            if whole.len() > MAX_RESPONSE_BYTES {
                return Err(ProviderError::Protocol("the agent's answer is too large".into()));
            }
        }
    }
    if events {
        answer.take_event(&splitter.rest());
    } else {
        answer.take_json(&whole);
    }
    let text = answer.text();
    let usage = answer.usage.unwrap_or_else(|| Usage::new(prompt_tokens, estimate(&text)));
    let finish = answer.finish_reason();
    provider.sessions.answered(turn, &text);
    let body = AnswerParts { text, ..AnswerParts::default() }
        .completion(&id, created, &options.alias, finish, usage)
        .map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok(ChatOutput::Complete { body: Bytes::from(body), usage, response_id: Some(id), native: false })
}

fn estimate(text: &str) -> u64 {
    text.chars().count().div_ceil(CHARS_PER_TOKEN) as u64
}

/// What the runtime answered, as it is read.
#[derive(Debug, Default)]
struct RuntimeAnswer {
    /// Text deltas, joined.
    streamed: String,
    /// The final message's text, for an answer that sent no deltas.
    last_message: Option<String>,
    usage: Option<Usage>,
    stop: Option<String>,
}

impl RuntimeAnswer {
    /// Takes one server-sent event; returns the text it adds.
    fn take_event(&mut self, event: &[u8]) -> Option<String> {
        let text = std::str::from_utf8(event).ok()?;
        let mut said = String::new();
        for data in text.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim) {
            let Ok(value) = serde_json::from_str::<Value>(data) else { continue };
            if let Some(t) = self.take_value(&value) {
                said.push_str(&t);
            }
        }
        self.streamed.push_str(&said);
        (!said.is_empty()).then_some(said)
    }

    fn take_value(&mut self, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => {
                if let Some(message) = o.get("message") {
                    self.last_message = Some(message_text(message));
                }
                let event = o.get("event")?;
                if let Some(u) = event.pointer("/metadata/usage") {
                    let count = |name: &str| u.get(name).and_then(Value::as_u64).unwrap_or(0);
                    self.usage = Some(Usage::new(count("inputTokens"), count("outputTokens")));
                }
                if let Some(stop) = event.pointer("/messageStop/stopReason").and_then(Value::as_str) {
                    self.stop = Some(stop.to_string());
                }
                event.pointer("/contentBlockDelta/delta/text").and_then(Value::as_str).map(str::to_string)
            }
            _ => None,
        }
    }

    /// A JSON answer: `{"result": <message or text>}`, a message, or a string; anything else is
    /// shown as the JSON it is.
    fn take_json(&mut self, body: &[u8]) {
        let text = match serde_json::from_slice::<Value>(body) {
            Ok(Value::String(s)) => s,
            Ok(Value::Object(o)) if o.contains_key("result") || o.contains_key("content") => {
                match o.get("result").unwrap_or(&Value::Null) {
                    Value::String(s) => s.clone(),
                    Value::Null => message_text(&Value::Object(o)),
                    result => message_text(result),
                }
            }
            Ok(other) => other.to_string(),
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        };
        self.last_message = Some(text);
    }

    fn text(&self) -> String {
        if self.streamed.is_empty() { self.last_message.clone().unwrap_or_default() } else { self.streamed.clone() }
    }

    fn finish_reason(&self) -> &'static str {
        match self.stop.as_deref() {
            Some("max_tokens" | "model_context_window_exceeded") => "length",
            Some("content_filtered" | "guardrail_intervened") => "content_filter",
            _ => "stop",
        }
    }
}

/// The text blocks of a Converse-shaped message (`{"content": [{"text": ...}]}`), joined.
fn message_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::Array(blocks)) => blocks.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// The runtime's answer as OpenAI chunks: its text deltas as they come (a JSON answer in one);
/// the session is recorded once the answer ends whole.
struct Relay {
    writer: ChunkWriter,
    answer: RuntimeAnswer,
    /// Whether the runtime answers in server-sent events (else one JSON body, gathered here).
    events: bool,
    body: Vec<u8>,
    prompt_tokens: u64,
    turn: Option<Turn>,
    sessions: Arc<SessionBook>,
    started: bool,
}

impl Relay {
    fn say(&mut self, text: &str, out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        let role = (!std::mem::replace(&mut self.started, true)).then_some("assistant");
        self.writer.delta(0, Delta { role, content: Some(text), ..Delta::default() }, None, out)
    }
}

impl ToChunks for Relay {
    fn chunks(&mut self, event: &[u8], out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        if !self.events {
            self.body.extend_from_slice(event);
            if self.body.len() > MAX_RESPONSE_BYTES {
                return Err(ProviderError::Protocol("the agent's answer is too large".into()));
            }
            return Ok(());
        }
        match self.answer.take_event(event) {
            Some(text) => self.say(&text, out),
            None => Ok(()),
        }
    }

    fn finish(&mut self, out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        if !self.events {
            let body = std::mem::take(&mut self.body);
            self.answer.take_json(&body);
        }
        let text = self.answer.text();
        if self.answer.streamed.is_empty() && !text.is_empty() {
            self.say(&text, out)?;
        }
        let role = (!self.started).then_some("assistant");
        self.writer.delta(0, Delta { role, ..Delta::default() }, Some(self.answer.finish_reason()), out)?;
        let usage = self.answer.usage.unwrap_or_else(|| Usage::new(self.prompt_tokens, estimate(&text)));
        self.writer.end(usage, out)?;
        if let Some(turn) = self.turn.take() {
            self.sessions.answered(turn, &text);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strands_events_and_plain_strings_are_text() {
        let mut a = RuntimeAnswer::default();
        let said: Vec<String> = [
            &b"data: {\"event\": {\"messageStart\": {\"role\": \"assistant\"}}}\n\n"[..],
            b"data: {\"event\": {\"contentBlockDelta\": {\"delta\": {\"text\": \"Hel\"}}}}\n\n",
            b"data: \"lo\"\n\n",
            b"data: {\"event\": {\"messageStop\": {\"stopReason\": \"max_tokens\"}}}\n\n",
            b"data: {\"event\": {\"metadata\": {\"usage\": {\"inputTokens\": 7, \"outputTokens\": 2}}}}\n\n",
            b"data: {\"message\": {\"role\": \"assistant\", \"content\": [{\"text\": \"Hello\"}]}}\n\n",
            b"data: not json\n\n",
        ]
        .iter()
        .filter_map(|e| a.take_event(e))
        .collect();
        assert_eq!(said, ["Hel", "lo"]);
        assert_eq!(a.text(), "Hello");
        assert_eq!(a.usage, Some(Usage::new(7, 2)));
        assert_eq!(a.finish_reason(), "length");
    }

    #[test]
    fn json_answers_in_their_usual_shapes() {
        for (body, text) in [
            (&br#"{"result": {"role": "assistant", "content": [{"text": "a"}, {"text": "b"}]}}"#[..], "ab"),
            (br#"{"result": "plain"}"#, "plain"),
            (br#""just text""#, "just text"),
            (br#"{"role": "assistant", "content": [{"text": "msg"}]}"#, "msg"),
            (br#"{"answer": 42}"#, r#"{"answer":42}"#),
            (b"not json at all", "not json at all"),
        ] {
            let mut a = RuntimeAnswer::default();
            a.take_json(body);
            assert_eq!(a.text(), text, "{}", String::from_utf8_lossy(body));
        }
    }
}
