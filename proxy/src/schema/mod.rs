//! The OpenAI Chat Completions wire format, as clients send it and as Switchboard answers.
//!
//! Requests are parsed once into [`ChatRequest`]; fields Switchboard does not interpret are kept
//! in `extra` so that OpenAI-compatible upstreams receive them unchanged.

pub mod chunk_in;
pub mod completions;
pub mod embeddings;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Parameters LiteLLM reads itself and never forwards (its `all_litellm_params`, the proxy's
/// request fields, and the client-side credential fields).
pub const LITELLM_PARAMS: &[&str] = &[
    "metadata",
    "tags",
    "caching",
    "cache",
    "ttl",
    "no-log",
    "guardrails",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "disable_fallbacks",
    "max_fallbacks",
    "num_retries",
    "max_retries",
    "timeout",
    "request_timeout",
    "stream_timeout",
    "mock_response",
    "mock_tool_calls",
    "mock_delay",
    "mock_timeout",
    "mock_testing_fallbacks",
    "mock_testing_context_fallbacks",
    "mock_testing_content_policy_fallbacks",
    "mock_testing_rate_limit_error",
    "api_key",
    "api_version",
    "custom_llm_provider",
    "model_list",
    "proxy_server_request",
    "drop_params",
    "additional_drop_params",
    "input_cost_per_token",
    "output_cost_per_token",
    "cooldown_time",
    "rpm",
    "tpm",
    "weight",
    "model_info",
    "region_name",
    "prompt_id",
    "prompt_variables",
    "prompt_label",
    "use_litellm_proxy",
    "allowed_openai_params",
];

/// Whether a request field is LiteLLM's own (never forwarded to an upstream).
pub fn is_litellm_param(name: &str) -> bool {
    LITELLM_PARAMS.contains(&name) || name.starts_with("litellm_") || name.starts_with("user_api_key")
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// The client's request as it came, when it came in Anthropic's Messages format: a provider
    /// that speaks Messages forwards it rather than a translation.
    #[serde(skip)]
    pub native: Option<NativeRequest>,
}

#[derive(Debug, Clone)]
pub struct NativeRequest {
    pub body: bytes::Bytes,
    /// `anthropic-beta`: features the client turned on.
    pub beta: Option<String>,
}

impl ChatRequest {
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// Whether the client asked for the final usage chunk of a stream.
    pub fn wants_stream_usage(&self) -> bool {
        self.stream_options.as_ref().and_then(|o| o.include_usage) == Some(true)
    }

    /// The output-token cap, whichever of the two names the client used.
    pub fn max_output_tokens(&self) -> Option<u32> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// Fills in parameters from the deployment's `litellm_params` that the client did not send.
    pub fn apply_defaults(&mut self, defaults: &Map<String, Value>) -> Result<(), serde_json::Error> {
        if defaults.is_empty() {
            return Ok(());
        }
        let mut fields = match serde_json::to_value(&*self)? {
            Value::Object(m) => m,
            _ => return Ok(()),
        };
        for (k, v) in defaults {
            fields.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let native = self.native.take();
        *self = serde_json::from_value(Value::Object(fields))?;
        self.native = native;
        Ok(())
    }
}

/// A request as an OpenAI-compatible upstream receives it: the client's fields, borrowed, with
/// the upstream's model id and, for streams, the usage chunk always asked for (spend is computed
/// from it). Serializing this view saves copying the conversation for every attempt.
#[derive(Debug, Serialize)]
pub struct UpstreamChat<'a> {
    pub model: &'a str,
    pub messages: &'a [ChatMessage],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<std::borrow::Cow<'a, StreamOptions>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<&'a Stop>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<&'a [Tool]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<&'a ToolChoice>,
    #[serde(flatten)]
    pub extra: &'a Map<String, Value>,
}

impl ChatRequest {
    pub fn upstream<'a>(&'a self, model: &'a str) -> UpstreamChat<'a> {
        let stream_options = match (&self.stream_options, self.is_stream()) {
            (Some(o), true) if o.include_usage == Some(true) => Some(std::borrow::Cow::Borrowed(o)),
            (Some(o), true) => {
                Some(std::borrow::Cow::Owned(StreamOptions { include_usage: Some(true), extra: o.extra.clone() }))
            }
            (None, true) => {
                Some(std::borrow::Cow::Owned(StreamOptions { include_usage: Some(true), extra: Map::new() }))
            }
            (o, false) => o.as_ref().map(std::borrow::Cow::Borrowed),
        };
        UpstreamChat {
            model,
            messages: &self.messages,
            stream: self.stream,
            stream_options,
            temperature: self.temperature,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
            max_completion_tokens: self.max_completion_tokens,
            stop: self.stop.as_ref(),
            tools: self.tools.as_deref(),
            tool_choice: self.tool_choice.as_ref(),
            extra: &self.extra,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl Stop {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Stop::One(s) => vec![s],
            Stop::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    Function,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ChatMessage {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

/// One element of a content array: `{"type": "text", "text": ...}`, `{"type": "image_url",
/// "image_url": {"url": ...}}`, or anything else a provider may understand.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<ImageUrl>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ImageUrl {
    Object {
        url: String,
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    Url(String),
}

impl ImageUrl {
    pub fn url(&self) -> &str {
        match self {
            ImageUrl::Object { url, .. } | ImageUrl::Url(url) => url,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".to_string()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

/// Tool-call arguments as the object that Converse and Anthropic want for tool input. Models
/// sometimes produce arguments that are not one; keeping them under `arguments` lets the
/// conversation go on instead of failing every later turn (a known LiteLLM failure).
pub fn tool_input(arguments: &str) -> Value {
    if arguments.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => serde_json::json!({ "arguments": other }),
        Err(_) => serde_json::json!({ "arguments": arguments }),
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tool {
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionDefinition,
    /// `cache_control` and whatever else a provider may understand.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FunctionDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// `"auto"`, `"none"`, `"required"`.
    Mode(String),
    Named(NamedToolChoice),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NamedToolChoice {
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: NamedFunction,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NamedFunction {
    pub name: String,
}

/// Token counts of one call. `prompt_tokens` includes the prompt-cache reads and writes, which
/// LiteLLM reports beside it (and prices apart).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Usage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_read_input_tokens: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_creation_input_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Usage { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens, ..Usage::default() }
    }

    /// Prompt tokens that were neither read from nor written to a prompt cache (Anthropic's
    /// `input_tokens`).
    pub fn uncached_prompt_tokens(&self) -> u64 {
        self.prompt_tokens.saturating_sub(self.cache_read_input_tokens + self.cache_creation_input_tokens)
    }
}

/// What a translating provider reads out of an upstream's answer, in the order it comes.
#[derive(Debug, Default)]
pub struct AnswerParts {
    pub text: String,
    pub reasoning: String,
    pub thinking_blocks: Vec<ThinkingBlock>,
    pub tool_calls: Vec<ToolCall>,
}

impl AnswerParts {
    /// The chat completion these parts make, serialized.
    pub fn completion(
        self,
        id: &str,
        created: u64,
        alias: &str,
        finish_reason: &'static str,
        usage: Usage,
    ) -> Result<Vec<u8>, serde_json::Error> {
        let AnswerParts { text, reasoning, thinking_blocks, tool_calls } = self;
        let body = ChatCompletion {
            id,
            object: "chat.completion",
            created,
            model: alias,
            choices: vec![Choice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant",
                    content: (!text.is_empty() || tool_calls.is_empty()).then_some(text),
                    tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                    reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
                    thinking_blocks: (!thinking_blocks.is_empty()).then_some(thinking_blocks),
                },
                finish_reason,
            }],
            usage,
        };
        serde_json::to_vec(&body)
    }
}

/// A complete (non-streamed) answer, as built by translating providers.
#[derive(Debug, Serialize)]
pub struct ChatCompletion<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: u64,
    pub model: &'a str,
    pub choices: Vec<Choice>,
    pub usage: Usage,
}

#[derive(Debug, Serialize)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    pub finish_reason: &'static str,
}

#[derive(Debug, Serialize)]
pub struct AssistantMessage {
    pub role: &'static str,
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// LiteLLM's `thinking_blocks`: the reasoning with its signature, to be sent back in later turns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_blocks: Option<Vec<ThinkingBlock>>,
}

/// One block of a model's reasoning, as LiteLLM reports it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThinkingBlock {
    Thinking {
        #[serde(default)]
        thinking: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
    },
}

/// One streamed chunk, as built by translating providers.
#[derive(Debug, Serialize)]
pub struct ChatChunk<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub created: u64,
    pub model: &'a str,
    pub choices: Vec<ChunkChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<ChunkUsage>,
}

/// The usage of a stream's last chunk, with LiteLLM's `cost` (USD) when the price is known.
#[derive(Debug, Serialize)]
pub struct ChunkUsage {
    #[serde(flatten)]
    pub tokens: Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ChunkChoice<'a> {
    pub index: u32,
    pub delta: Delta<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
pub struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<&'a str>,
    /// A reasoning block's signature or redacted content, as it arrives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_blocks: Option<[ThinkingBlock; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta<'a>>>,
}

#[derive(Debug, Serialize)]
pub struct ToolCallDelta<'a> {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionDelta<'a>,
}

#[derive(Debug, Serialize)]
pub struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    pub arguments: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strands_style_messages_parse_and_round_trip() {
        let body = r#"{"model":"claude-haiku","stream":true,"stream_options":{"include_usage":true},
            "messages":[{"role":"user","content":[{"type":"text","text":"weather?"}]},
                        {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
                        {"role":"tool","tool_call_id":"c1","content":"sunny"}],
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
            "seed": 7}"#;
        let req: ChatRequest = serde_json::from_str(body).unwrap();
        assert!(req.is_stream() && req.wants_stream_usage());
        assert!(req.messages[1].content.is_none());
        assert_eq!(req.extra["seed"], 7);
        let back = serde_json::to_value(&req).unwrap();
        assert_eq!(back["messages"][2]["tool_call_id"], "c1");
        assert_eq!(back["seed"], 7);
        assert!(back["messages"][1].get("content").is_none());
    }

    #[test]
    fn the_upstream_view_is_the_request_with_its_model_and_stream_usage() {
        let body = serde_json::json!({"model": "alias", "messages": [{"role": "user", "content": "hi"}],
            "stream": false, "temperature": 0.2, "top_p": 0.9, "max_tokens": 5, "max_completion_tokens": 6,
            "stop": ["x"], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            "tool_choice": "auto", "stream_options": {"include_usage": false, "other": 1}, "seed": 3, "user": "u"});
        let req: ChatRequest = serde_json::from_value(body.clone()).unwrap();
        let mut expected = body;
        expected["model"] = "upstream-id".into();
        assert_eq!(serde_json::to_value(req.upstream("upstream-id")).unwrap(), expected, "every field carried over");

        let streamed: ChatRequest =
            serde_json::from_str(r#"{"model":"m","messages":[],"stream":true,"stream_options":{"other":1}}"#).unwrap();
        let view = serde_json::to_value(streamed.upstream("u")).unwrap();
        assert_eq!(view["stream_options"], serde_json::json!({"include_usage": true, "other": 1}));
        let bare: ChatRequest = serde_json::from_str(r#"{"model":"m","messages":[],"stream":true}"#).unwrap();
        assert_eq!(serde_json::to_value(bare.upstream("u")).unwrap()["stream_options"]["include_usage"], true);
    }

    #[test]
    fn defaults_fill_only_missing_fields() {
        let mut req: ChatRequest = serde_json::from_str(r#"{"model":"m","messages":[],"temperature":0.5}"#).unwrap();
        let defaults = serde_json::json!({"temperature": 0.1, "max_tokens": 64}).as_object().unwrap().clone();
        req.apply_defaults(&defaults).unwrap();
        assert_eq!(req.temperature, Some(0.5));
        assert_eq!(req.max_tokens, Some(64));
    }
}
