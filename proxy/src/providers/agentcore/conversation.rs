//! Which AgentCore session a chat conversation continues, and which of its messages that session
//! has not seen yet.
//!
//! A Chat Completions client sends the whole conversation with every turn; a harness keeps the
//! conversation in its runtime session. So a turn goes to the session that answered the turn
//! before it, with only the messages after that answer. A conversation the gateway does not know
//! (its first turn, a turn another replica answered, a session idle longer than AgentCore keeps
//! it) starts a new session with every message, so the harness never loses the context.
//!
//! Conversations are told apart by a digest of their user and assistant messages and of who is
//! calling (the virtual key and the request's `user`): two callers whose conversations read the
//! same never share a session.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::providers::ProviderError;
use crate::schema::{ChatMessage, ChatRequest, MessageContent, Role};

/// How long AgentCore keeps an idle runtime session by default (`idleRuntimeSessionTimeout`).
pub const SESSION_IDLE: Duration = Duration::from_secs(900);
/// Conversations remembered at most; the least recently used are forgotten first.
const CAPACITY: usize = 50_000;

/// Request fields that name the session explicitly: ours, LiteLLM's AgentCore parameter, and
/// LiteLLM's session grouping id.
const SESSION_FIELDS: &[&str] = &["session_id", "runtimeSessionId", "litellm_session_id"];

type ConversationKey = [u8; 32];

/// The runtime session id AgentCore takes: 33–100 characters, `[a-zA-Z0-9][a-zA-Z0-9-_]*`.
pub fn check_session_id(id: &str) -> Result<(), String> {
    let ok = (33..=100).contains(&id.len())
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "session id '{id}' must be 33 to 100 letters, digits, '-' or '_', starting with a letter or digit \
             (leave it out to start a new session)"
        ))
    }
}

/// A fresh runtime session id.
pub fn new_session_id() -> String {
    format!("switchboard-{}", uuid::Uuid::new_v4().simple())
}

/// One message to send: who said it and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub by_assistant: bool,
    pub text: String,
}

/// What one turn sends, and where.
#[derive(Debug)]
pub struct Turn {
    pub session_id: String,
    /// The messages the session has not seen (all of them when the session is new).
    pub messages: Vec<Said>,
    /// Whether the session had answered this conversation before.
    pub continues: bool,
    /// The conversation so far, to which the answer is added to know the next turn.
    conversation: Sha256,
}

#[derive(Default)]
struct Book {
    conversations: HashMap<ConversationKey, (String, Instant)>,
    /// Sessions named by the client, when they last answered.
    named: HashMap<String, Instant>,
}

/// The sessions of one harness deployment's conversations.
pub struct SessionBook {
    book: Mutex<Book>,
    idle: Duration,
}

impl Default for SessionBook {
    fn default() -> Self {
        SessionBook::new(SESSION_IDLE)
    }
}

impl SessionBook {
    pub fn new(idle: Duration) -> SessionBook {
        SessionBook { book: Mutex::default(), idle }
    }

    /// The session and messages of a request's turn. `caller` names who is calling (their key).
    pub fn turn(&self, caller: &str, request: &ChatRequest) -> Result<Turn, ProviderError> {
        let said = conversation(request)?;
        let Some(last) = said.last() else {
            return Err(ProviderError::InvalidRequest("messages: the conversation has no user message".into()));
        };
        if last.by_assistant {
            return Err(ProviderError::InvalidRequest(
                "messages: the conversation must end with a user message for the harness to answer".into(),
            ));
        }
        let end_user = request.extra.get("user").and_then(Value::as_str).unwrap_or("");
        let mut digest = Sha256::new();
        for part in [caller, end_user] {
            digest.update((part.len() as u64).to_le_bytes());
            digest.update(part.as_bytes());
        }
        // The conversation up to its last answer says which session answered it.
        let answered = said.iter().rposition(|s| s.by_assistant);
        let mut until_answer = None;
        for (i, s) in said.iter().enumerate() {
            add(&mut digest, s);
            if Some(i) == answered {
                until_answer = Some(digest.clone().finalize().into());
            }
        }
        let now = Instant::now();
        let fresh = |at: &Instant| now.duration_since(*at) < self.idle;
        let named = explicit_session(request, caller, end_user);
        let book = self.book.lock();
        let (session_id, continues) = match named {
            Some(id) => {
                let seen = book.named.get(&id).is_some_and(fresh);
                (id, seen)
            }
            None => match until_answer.and_then(|key: ConversationKey| book.conversations.get(&key)) {
                Some((id, at)) if fresh(at) => (id.clone(), true),
                _ => (new_session_id(), false),
            },
        };
        drop(book);
        let messages = match (continues, answered) {
            (true, Some(i)) => said.into_iter().skip(i + 1).collect(),
            _ => said,
        };
        Ok(Turn { session_id, messages, continues, conversation: digest })
    }

    /// Records the session's answer to a turn, so that the conversation's next turn continues it.
    pub fn answered(&self, turn: Turn, answer: &str) {
        let mut digest = turn.conversation;
        add(&mut digest, &Said { by_assistant: true, text: answer.to_string() });
        let key: ConversationKey = digest.finalize().into();
        let now = Instant::now();
        let mut book = self.book.lock();
        if book.conversations.len() >= CAPACITY {
            let idle = self.idle;
            book.conversations.retain(|_, (_, at)| now.duration_since(*at) < idle);
            book.named.retain(|_, at| now.duration_since(*at) < idle);
            if book.conversations.len() >= CAPACITY
                && let Some(oldest) = book.conversations.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| *k)
            {
                book.conversations.remove(&oldest);
            }
        }
        book.named.insert(turn.session_id.clone(), now);
        book.conversations.insert(key, (turn.session_id, now));
    }
}

fn add(digest: &mut Sha256, said: &Said) {
    digest.update([u8::from(said.by_assistant)]);
    digest.update((said.text.len() as u64).to_le_bytes());
    digest.update(said.text.as_bytes());
}

/// The session the client named, as AgentCore takes it: a name outside AgentCore's pattern
/// (33–100 letters, digits, `-`, `_`) becomes a valid id derived from it and from the caller.
fn explicit_session(request: &ChatRequest, caller: &str, end_user: &str) -> Option<String> {
    let named = SESSION_FIELDS.iter().find_map(|f| request.extra.get(*f)).and_then(Value::as_str)?;
    let named = named.trim();
    if named.is_empty() {
        return None;
    }
    if check_session_id(named).is_ok() {
        return Some(named.to_string());
    }
    let mut digest = Sha256::new();
    for part in [caller, end_user, named] {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part.as_bytes());
    }
    let hex: String = digest.finalize().iter().take(20).map(|b| format!("{b:02x}")).collect();
    Some(format!("switchboard-{hex}"))
}

/// The user and assistant messages of a request, as text. A harness has its own system prompt
/// and runs its own tools, so system messages are left to it, and tool turns cannot be given.
fn conversation(request: &ChatRequest) -> Result<Vec<Said>, ProviderError> {
    let mut said = Vec::with_capacity(request.messages.len());
    for (i, message) in request.messages.iter().enumerate() {
        let by_assistant = match message.role {
            Role::System | Role::Developer => continue,
            Role::User => false,
            Role::Assistant => true,
            Role::Tool | Role::Function => {
                return Err(ProviderError::InvalidRequest(format!(
                    "messages[{i}]: an AgentCore harness runs its own tools; tool results cannot be sent to it"
                )));
            }
        };
        let text = text_of(message, i)?;
        if by_assistant && text.is_empty() {
            continue;
        }
        said.push(Said { by_assistant, text });
    }
    Ok(said)
}

fn text_of(message: &ChatMessage, i: usize) -> Result<String, ProviderError> {
    match &message.content {
        None => Ok(String::new()),
        Some(MessageContent::Text(t)) => Ok(t.clone()),
        Some(MessageContent::Parts(parts)) => {
            let mut text = String::new();
            for (j, part) in parts.iter().enumerate() {
                match (part.kind.as_str(), &part.text) {
                    ("text", Some(t)) => text.push_str(t),
                    (kind, _) => {
                        return Err(ProviderError::InvalidRequest(format!(
                            "messages[{i}].content[{j}]: an AgentCore harness takes text; '{kind}' parts cannot be sent to it"
                        )));
                    }
                }
            }
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(messages: serde_json::Value) -> ChatRequest {
        serde_json::from_value(serde_json::json!({"model": "h", "messages": messages})).unwrap()
    }

    fn texts(turn: &Turn) -> Vec<&str> {
        turn.messages.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn a_conversation_continues_its_session_with_only_the_new_messages() {
        let book = SessionBook::default();
        let first = book
            .turn("key-a", &request(serde_json::json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "I am Ada"}])))
            .unwrap();
        assert!(!first.continues);
        assert_eq!(texts(&first), ["I am Ada"], "system messages are the harness's own");
        let session = first.session_id.clone();
        assert!(check_session_id(&session).is_ok());
        book.answered(first, "Hello Ada");

        let history = serde_json::json!([
            {"role": "user", "content": "I am Ada"},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello Ada"}]},
            {"role": "user", "content": "Who am I?"},
        ]);
        let second = book.turn("key-a", &request(history.clone())).unwrap();
        assert!(second.continues);
        assert_eq!(second.session_id, session);
        assert_eq!(texts(&second), ["Who am I?"]);

        let other_caller = book.turn("key-b", &request(history.clone())).unwrap();
        assert!(!other_caller.continues, "another key's identical conversation is not this one");
        assert_ne!(other_caller.session_id, session);
        assert_eq!(texts(&other_caller), ["I am Ada", "Hello Ada", "Who am I?"], "a new session hears it all");

        let mut by_user = request(history);
        by_user.extra.insert("user".into(), "someone-else".into());
        assert!(!book.turn("key-a", &by_user).unwrap().continues, "nor another end user's");
    }

    #[test]
    fn an_idle_session_is_not_continued() {
        let book = SessionBook::new(Duration::ZERO);
        let first = book.turn("k", &request(serde_json::json!([{"role": "user", "content": "hi"}]))).unwrap();
        book.answered(first, "hello");
        let next = book
            .turn(
                "k",
                &request(serde_json::json!([
                    {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "again"}
                ])),
            )
            .unwrap();
        assert!(!next.continues);
        assert_eq!(texts(&next), ["hi", "hello", "again"]);
    }

    #[test]
    fn a_named_session_is_used_or_made_valid() {
        let book = SessionBook::default();
        let valid = "chat-0123456789-0123456789-0123456789";
        let mut r = request(serde_json::json!([{"role": "user", "content": "hi"}]));
        r.extra.insert("session_id".into(), valid.into());
        let turn = book.turn("k", &r).unwrap();
        assert_eq!(turn.session_id, valid);
        assert!(!turn.continues);
        book.answered(turn, "hello");
        let mut again = request(serde_json::json!([
            {"role": "user", "content": "hi"}, {"role": "assistant", "content": "other"}, {"role": "user", "content": "next"}
        ]));
        again.extra.insert("runtimeSessionId".into(), valid.into());
        let turn = book.turn("k", &again).unwrap();
        assert!(turn.continues, "a named session that answered before is continued");
        assert_eq!(texts(&turn), ["next"]);

        let mut short = request(serde_json::json!([{"role": "user", "content": "hi"}]));
        short.extra.insert("litellm_session_id".into(), "chat-1".into());
        let a = book.turn("k", &short).unwrap().session_id;
        let b = book.turn("k2", &short).unwrap().session_id;
        assert!(check_session_id(&a).is_ok(), "{a}");
        assert_eq!(a, book.turn("k", &short).unwrap().session_id, "the same name gives the same session");
        assert_ne!(a, b, "for the same caller only");
    }

    #[test]
    fn turns_the_harness_cannot_take_are_refused() {
        let book = SessionBook::default();
        let ends_with_answer =
            request(serde_json::json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]));
        let e = book.turn("k", &ends_with_answer).unwrap_err().to_string();
        assert!(e.contains("must end with a user message"), "{e}");
        let tool = request(serde_json::json!([{"role": "tool", "tool_call_id": "x", "content": "42"}]));
        assert!(book.turn("k", &tool).unwrap_err().to_string().contains("messages[0]"));
        let image = request(serde_json::json!([{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}]));
        let e = book.turn("k", &image).unwrap_err().to_string();
        assert!(e.contains("messages[0].content[0]") && e.contains("image_url"), "{e}");
        assert!(book.turn("k", &request(serde_json::json!([{"role": "system", "content": "x"}]))).is_err());
    }
}
