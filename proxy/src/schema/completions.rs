//! The legacy OpenAI Completions API (`POST /v1/completions`): a prompt in, text out.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::embeddings::TextOrTokens;
use super::{ChatMessage, ChatRequest, MessageContent, Role, Stop, StreamOptions};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CompletionRequest {
    /// Not serialized: upstreams are sent their own model id (see [`UpstreamCompletion`]).
    #[serde(skip_serializing)]
    pub model: String,
    pub prompt: Prompt,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Not serialized: the upstream view always asks for usage when streaming.
    #[serde(default, skip_serializing)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<u32>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `prompt`: the four shapes of [`TextOrTokens`]; an empty string is a valid prompt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Prompt(pub TextOrTokens);

impl<'de> Deserialize<'de> for Prompt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        TextOrTokens::from_value(value, "prompt", true).map(Prompt).map_err(serde::de::Error::custom)
    }
}

/// The request parameters `litellm_params` may default (chat's) that text completions also take.
const DEFAULTABLE: &[&str] =
    &["temperature", "top_p", "max_tokens", "stop", "seed", "presence_penalty", "frequency_penalty"];

impl CompletionRequest {
    /// Fills in the deployment's default parameters the client did not send; chat-only ones
    /// (`response_format`, `reasoning_effort`...) are left out, as this API has no such fields.
    pub fn apply_defaults(&mut self, defaults: &Map<String, Value>) -> Result<(), serde_json::Error> {
        if !defaults.keys().any(|k| DEFAULTABLE.contains(&k.as_str())) {
            return Ok(());
        }
        let Value::Object(mut fields) = serde_json::to_value(&*self)? else { return Ok(()) };
        for (k, v) in defaults.iter().filter(|(k, _)| DEFAULTABLE.contains(&k.as_str())) {
            fields.entry(k.clone()).or_insert_with(|| v.clone());
        }
        // Not serialized (see the fields), so put back.
        fields.insert("model".into(), Value::String(self.model.clone()));
        if let Some(options) = &self.stream_options {
            fields.insert("stream_options".into(), serde_json::to_value(options)?);
        }
        *self = serde_json::from_value(Value::Object(fields))?;
        Ok(())
    }

    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    pub fn wants_stream_usage(&self) -> bool {
        self.stream_options.as_ref().and_then(|o| o.include_usage) == Some(true)
    }

    /// The request as an OpenAI-compatible upstream receives it; streams always ask for usage
    /// (spend is computed from it), as chat streams do.
    pub fn upstream<'a>(&'a self, model: &'a str) -> UpstreamCompletion<'a> {
        let stream_options = match (&self.stream_options, self.is_stream()) {
            (Some(o), true) if o.include_usage == Some(true) => Some(Cow::Borrowed(o)),
            (o, true) => Some(Cow::Owned(StreamOptions {
                include_usage: Some(true),
                extra: o.as_ref().map(|o| o.extra.clone()).unwrap_or_default(),
            })),
            (o, false) => o.as_ref().map(Cow::Borrowed),
        };
        UpstreamCompletion { model, request: self, stream_options }
    }

    /// The chat request that asks a chat-only model for the same text: the prompt as the one
    /// user message. Fails, naming the field, for what a chat model cannot do.
    pub fn to_chat(&self) -> Result<ChatRequest, (String, &'static str)> {
        let prompt = match &self.prompt.0 {
            TextOrTokens::Text(t) => t.clone(),
            TextOrTokens::Texts(t) if t.len() == 1 => t.concat(),
            TextOrTokens::Texts(_) => {
                return Err(("this model takes one prompt per request, not an array of several".into(), "prompt"));
            }
            TextOrTokens::Tokens(_) | TextOrTokens::TokenLists(_) => {
                return Err(("this model takes the prompt as text, not token ids".into(), "prompt"));
            }
        };
        if prompt.trim().is_empty() {
            return Err(("this model needs a prompt that is not blank".into(), "prompt"));
        }
        if self.n.is_some_and(|n| n > 1) {
            return Err(("this model makes one completion per request (n must be 1)".into(), "n"));
        }
        if self.logprobs.is_some() {
            return Err(("this model does not return log probabilities".into(), "logprobs"));
        }
        if self.suffix.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(("this model does not complete text before a suffix".into(), "suffix"));
        }
        let mut extra = Map::new();
        if let Some(user) = self.extra.get("user") {
            extra.insert("user".into(), user.clone());
        }
        Ok(ChatRequest {
            model: self.model.clone(),
            messages: vec![ChatMessage {
                role: Role::User,
                content: Some(MessageContent::Text(prompt)),
                name: None,
                tool_calls: None,
                tool_call_id: None,
                extra: Map::new(),
            }],
            stream: self.stream,
            stream_options: self.stream_options.clone(),
            temperature: self.temperature,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
            max_completion_tokens: None,
            stop: self.stop.clone(),
            tools: None,
            tool_choice: None,
            extra,
            native: None,
        })
    }

    /// The prompt text to put before the answer when the client asked for `echo`.
    pub fn echoed_prompt(&self) -> Option<&str> {
        if self.echo != Some(true) {
            return None;
        }
        match &self.prompt.0 {
            TextOrTokens::Text(t) => Some(t),
            TextOrTokens::Texts(t) => t.first().map(String::as_str),
            _ => None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct UpstreamCompletion<'a> {
    pub model: &'a str,
    #[serde(flatten)]
    pub request: &'a CompletionRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<Cow<'a, StreamOptions>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(body: Value) -> Result<CompletionRequest, serde_json::Error> {
        serde_json::from_value(body)
    }

    #[test]
    fn upstream_view_asks_for_stream_usage() {
        let r = parse(json!({"model": "a", "prompt": "Say", "stream": true, "max_tokens": 5, "echo": true})).unwrap();
        let sent = serde_json::to_value(r.upstream("gpt-3.5-turbo-instruct")).unwrap();
        assert_eq!(
            sent,
            json!({"model": "gpt-3.5-turbo-instruct", "prompt": "Say", "stream": true, "max_tokens": 5, "echo": true,
                   "stream_options": {"include_usage": true}})
        );
        let r = parse(json!({"model": "a", "prompt": ["x"]})).unwrap();
        assert_eq!(serde_json::to_value(r.upstream("u")).unwrap(), json!({"model": "u", "prompt": ["x"]}));
    }

    #[test]
    fn defaults_fill_what_the_client_left_out() {
        let mut r =
            parse(json!({"model": "a", "prompt": "x", "temperature": 0.1, "stream": true, "stream_options": {"include_usage": true}}))
                .unwrap();
        let defaults = json!({"temperature": 0.9, "max_tokens": 5, "response_format": {"type": "json_object"}});
        r.apply_defaults(defaults.as_object().unwrap()).unwrap();
        assert_eq!((r.temperature, r.max_tokens), (Some(0.1), Some(5)));
        assert!(!r.extra.contains_key("response_format"), "a chat parameter");
        assert_eq!(r.model, "a");
        assert!(r.wants_stream_usage());
    }

    #[test]
    fn chat_translation_and_its_limits() {
        let r = parse(json!({"model": "a", "prompt": "Hello", "max_tokens": 7, "stop": "\n"})).unwrap();
        let chat = r.to_chat().unwrap();
        assert_eq!(chat.messages.len(), 1);
        assert_eq!(chat.max_tokens, Some(7));
        for (body, field) in [
            (json!({"model": "a", "prompt": ["a", "b"]}), "prompt"),
            (json!({"model": "a", "prompt": [1, 2]}), "prompt"),
            (json!({"model": "a", "prompt": "x", "n": 2}), "n"),
            (json!({"model": "a", "prompt": "x", "logprobs": 1}), "logprobs"),
            (json!({"model": "a", "prompt": " "}), "prompt"),
        ] {
            assert_eq!(parse(body.clone()).unwrap().to_chat().unwrap_err().1, field, "{body}");
        }
        assert!(parse(json!({"model": "a"})).unwrap_err().to_string().contains("missing field `prompt`"));
        assert!(parse(json!({"model": "a", "prompt": {}})).unwrap_err().to_string().contains("prompt must be"));
    }
}
