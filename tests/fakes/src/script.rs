//! The scripted "model": what both fakes answer, independent of wire format.

use serde_json::{Map, Value};

/// What a fake extracted from a request's conversation.
#[derive(Debug, Default)]
pub(crate) struct Conversation {
    /// Name and JSON schema of the first tool offered, if any (and if tool use is allowed).
    pub first_tool: Option<(String, Value)>,
    /// Every tool offered (when tool use is allowed), in order.
    pub tools: Vec<(String, Value)>,
    /// The last message is a user turn that is not a tool result.
    pub last_is_plain_user: bool,
    /// Texts of the tool results in the last turn, when it is a tool-result turn.
    pub tool_results: Option<Vec<String>>,
    /// Text of the last user message.
    pub user_text: String,
    /// Image notes (`[image: png, 68 bytes]`) for the last user message.
    pub image_notes: Vec<String>,
    /// Words across all text in the request messages (system included).
    pub prompt_words: usize,
    /// The request's max tokens setting.
    pub max_tokens: Option<u64>,
    /// Bedrock: the prompt up to its last cache point, as (hash of its text, words).
    pub cache_prefix: Option<(u64, usize)>,
    /// Bedrock: Claude's extended thinking was asked for (`additionalModelRequestFields.thinking`).
    pub thinking: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    Stop,
    Length,
    ToolUse,
}

#[derive(Debug, Clone)]
pub(crate) enum Output {
    Text(String),
    ToolCall { name: String, arguments: Value },
}

#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub output: Output,
    pub finish: Finish,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Reply {
    pub(crate) fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// Tokens reported for a tool call reply.
const TOOL_CALL_TOKENS: u64 = 5;

pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Decides the reply. `service` is `fake-openai` or `fake-bedrock`.
pub(crate) fn reply(conversation: &Conversation, service: &str) -> Reply {
    let prompt_tokens = conversation.prompt_words.max(1) as u64;
    if conversation.last_is_plain_user
        && let Some((name, arguments)) = tool_call_for(conversation)
    {
        return Reply {
            output: Output::ToolCall { name, arguments },
            finish: Finish::ToolUse,
            prompt_tokens,
            completion_tokens: TOOL_CALL_TOKENS,
        };
    }
    let mut text = if let Some(results) = &conversation.tool_results {
        format!("The tool said: {}", results.join(" | "))
    } else {
        let said: Vec<&str> = std::iter::once(conversation.user_text.as_str())
            .chain(conversation.image_notes.iter().map(String::as_str))
            .filter(|part| !part.is_empty())
            .collect();
        format!("Hello from {service}! You said: {}", said.join(" "))
    };
    let mut finish = Finish::Stop;
    if let Some(max) = conversation.max_tokens
        && word_count(&text) as u64 > max
    {
        text = text.split_whitespace().take(usize::try_from(max).unwrap_or(usize::MAX)).collect::<Vec<_>>().join(" ");
        finish = Finish::Length;
    }
    let completion_tokens = word_count(&text) as u64;
    Reply { output: Output::Text(text), finish, prompt_tokens, completion_tokens }
}

/// The call the "model" makes: the tool the user names ("use the Bash tool to run `ls`"), with
/// its required string arguments set to the backticked text, else the first tool offered with
/// arguments from its schema.
fn tool_call_for(conversation: &Conversation) -> Option<(String, Value)> {
    let text = &conversation.user_text;
    let named = conversation.tools.iter().find_map(|(name, schema)| {
        let phrase = format!("use the {name} tool");
        let at = text.find(&phrase)?;
        let rest = &text[at + phrase.len()..];
        let quoted = rest.split('`').nth(1).filter(|_| rest.matches('`').count() >= 2)?;
        let mut args = Map::new();
        let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        for field in required.iter().filter_map(Value::as_str) {
            args.insert(field.to_string(), Value::from(quoted));
        }
        Some((name.clone(), Value::Object(args)))
    });
    named.or_else(|| conversation.first_tool.as_ref().map(|(name, schema)| (name.clone(), arguments_for(schema))))
}

/// Arguments built from a JSON schema's `properties`: string → "Paris",
/// number/integer → 1, boolean → true, anything else → null.
pub(crate) fn arguments_for(schema: &Value) -> Value {
    let mut args = Map::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let types: Vec<&str> = match property.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let value = types
                .iter()
                .find_map(|t| match *t {
                    "string" => Some(Value::from("Paris")),
                    "number" | "integer" => Some(Value::from(1)),
                    "boolean" => Some(Value::Bool(true)),
                    _ => None,
                })
                .unwrap_or(Value::Null);
            args.insert(name.clone(), value);
        }
    }
    Value::Object(args)
}

/// Splits `text` into stream pieces: each word with the whitespace that
/// follows it, so that the pieces concatenate back to `text` exactly.
pub(crate) fn stream_pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            pieces.push(std::mem::take(&mut current));
            in_space = false;
        }
        current.push(c);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Splits a string in two at a character boundary near its middle.
pub(crate) fn split_in_two(text: &str) -> (String, String) {
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid += 1;
    }
    (text[..mid].to_owned(), text[mid..].to_owned())
}

/// `n` random characters from `alphabet`.
pub(crate) fn random_chars(alphabet: &[u8], n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            // 256 is not a multiple of 62, but the slight bias does not matter here.
            out.push(char::from(alphabet[usize::from(*byte) % alphabet.len()]));
            if out.len() == n {
                break;
            }
        }
    }
    out
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Decodes standard base64 (padding optional), for image payloads.
pub(crate) fn decode_base64(data: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    let data = data.trim();
    STANDARD.decode(data).or_else(|_| STANDARD_NO_PAD.decode(data)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pieces_concatenate_back() {
        let text = "Hello from fake-openai! You said: hi  there";
        let pieces = stream_pieces(text);
        assert_eq!(pieces[0], "Hello ");
        assert_eq!(pieces.concat(), text);
        assert_eq!(pieces.len(), 7);
    }

    #[test]
    fn arguments_from_schema() {
        let schema = json!({"type":"object","properties":{
            "city":{"type":"string"},"days":{"type":"integer"},"x":{"type":"number"},
            "metric":{"type":"boolean"},"tags":{"type":"array"},"opt":{"type":["null","string"]}}});
        assert_eq!(
            arguments_for(&schema),
            json!({"city":"Paris","days":1,"x":1,"metric":true,"tags":null,"opt":"Paris"})
        );
        assert_eq!(arguments_for(&json!({})), json!({}));
    }

    #[test]
    fn max_tokens_cuts_words() {
        let conversation = Conversation {
            user_text: "one two three".into(),
            max_tokens: Some(3),
            prompt_words: 3,
            ..Default::default()
        };
        let reply = reply(&conversation, "fake-openai");
        assert!(matches!(&reply.output, Output::Text(t) if t == "Hello from fake-openai!"));
        assert_eq!(reply.finish, Finish::Length);
        assert_eq!(reply.completion_tokens, 3);
    }

    #[test]
    fn random_ids() {
        let s = random_chars(b"0123456789abcdef", 24);
        assert_eq!(s.len(), 24);
        assert!(s.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
