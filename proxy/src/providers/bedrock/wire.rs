//! Converse's JSON, as Bedrock Runtime takes and gives it (restJson1): the request borrowed
//! from the chat request it was translated from, the answer and the stream's events read
//! without copying what they do not need. Unknown members of an answer are skipped, as the
//! SDK skips them, so that a newer Bedrock does not break an older gateway.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

// ---------------------------------------------------------------------------
// Request

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRequest<'a> {
    pub messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemBlock<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfig<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig<'a>>,
    /// Model-specific fields Converse passes through (`thinking`, `top_k`).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_object")]
    pub additional_model_request_fields: Vec<(&'a str, &'a Value)>,
}

/// CountTokens asks about the Converse request it wraps, without its inference settings.
#[derive(Serialize)]
pub struct CountTokensRequest<'r, 'a> {
    pub input: CountTokensInput<'r, 'a>,
}

#[derive(Serialize)]
pub struct CountTokensInput<'r, 'a> {
    pub converse: ConverseTokens<'r, 'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseTokens<'r, 'a> {
    pub messages: &'r [Message<'a>],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub system: &'r [SystemBlock<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<&'r ToolConfig<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty", serialize_with = "as_object")]
    pub additional_model_request_fields: &'r [(&'a str, &'a Value)],
}

impl<'r, 'a> CountTokensRequest<'r, 'a> {
    pub fn of(request: &'r ConverseRequest<'a>) -> Self {
        Self {
            input: CountTokensInput {
                converse: ConverseTokens {
                    messages: &request.messages,
                    system: &request.system,
                    tool_config: request.tool_config.as_ref(),
                    additional_model_request_fields: &request.additional_model_request_fields,
                },
            },
        }
    }
}

fn as_object<S: serde::Serializer>(fields: &[(&str, &Value)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(fields.iter().map(|(k, v)| (k, v)))
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Serialize, Debug)]
pub struct Message<'a> {
    pub role: Role,
    pub content: Vec<ContentBlock<'a>>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub enum ContentBlock<'a> {
    Text(Cow<'a, str>),
    Image(Image<'a>),
    ToolUse(ToolUse<'a>),
    ToolResult(ToolResult<'a>),
    ReasoningContent(Reasoning<'a>),
    CachePoint(CachePoint),
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub enum SystemBlock<'a> {
    Text(&'a str),
    CachePoint(CachePoint),
}

#[derive(Serialize, Debug)]
pub struct Image<'a> {
    pub format: &'static str,
    pub source: ImageSource<'a>,
}

#[derive(Serialize, Debug)]
pub struct ImageSource<'a> {
    /// Base64, as restJson1 writes a blob: the data URL's own text, checked.
    pub bytes: &'a str,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ToolUse<'a> {
    pub tool_use_id: &'a str,
    pub name: &'a str,
    pub input: Value,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ToolResult<'a> {
    pub tool_use_id: &'a str,
    pub content: [ToolResultText<'a>; 1],
    pub status: &'static str,
}

#[derive(Serialize, Debug)]
pub struct ToolResultText<'a> {
    pub text: Cow<'a, str>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub enum Reasoning<'a> {
    ReasoningText {
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        signature: Option<&'a str>,
    },
    /// Base64, checked.
    RedactedContent(&'a str),
}

#[derive(Serialize, Debug, Clone, Copy)]
pub struct CachePoint {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<&'static str>,
}

#[derive(Serialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub stop_sequences: &'a [String],
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig<'a> {
    pub tools: Vec<Tool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub enum Tool<'a> {
    ToolSpec(ToolSpec<'a>),
    CachePoint(CachePoint),
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub input_schema: InputSchema<'a>,
}

#[derive(Serialize, Debug)]
pub struct InputSchema<'a> {
    pub json: Cow<'a, Value>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub enum ToolChoice<'a> {
    Auto(Empty),
    Any(Empty),
    Tool { name: &'a str },
}

#[derive(Serialize, Debug)]
pub struct Empty {}

// ---------------------------------------------------------------------------
// Answer

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse<'a> {
    #[serde(default, borrow)]
    pub output: Option<Output<'a>>,
    #[serde(default, borrow)]
    pub stop_reason: Option<Cow<'a, str>>,
    #[serde(default)]
    pub usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
pub struct Output<'a> {
    #[serde(default, borrow)]
    pub message: Option<OutputMessage<'a>>,
}

#[derive(Deserialize)]
pub struct OutputMessage<'a> {
    #[serde(default, borrow)]
    pub content: Vec<OutputBlock<'a>>,
}

/// One member of Converse's `ContentBlock` union; the members the chat completion has no room
/// for (citations, guard content...) are skipped.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OutputBlock<'a> {
    #[serde(default, borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub tool_use: Option<OutputToolUse<'a>>,
    #[serde(default, borrow)]
    pub reasoning_content: Option<OutputReasoning<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputToolUse<'a> {
    #[serde(borrow)]
    pub tool_use_id: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// The arguments as the model wrote them, passed on as the call's `arguments` text.
    #[serde(borrow)]
    pub input: &'a RawValue,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputReasoning<'a> {
    #[serde(default, borrow)]
    pub reasoning_text: Option<ReasoningText<'a>>,
    /// Base64.
    #[serde(default, borrow)]
    pub redacted_content: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub struct ReasoningText<'a> {
    #[serde(borrow)]
    pub text: Cow<'a, str>,
    #[serde(default, borrow)]
    pub signature: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    #[serde(default)]
    pub input_tokens: i64,
    #[serde(default)]
    pub output_tokens: i64,
    #[serde(default)]
    pub cache_read_input_tokens: Option<i64>,
    #[serde(default)]
    pub cache_write_input_tokens: Option<i64>,
}

// ---------------------------------------------------------------------------
// Stream events (the payloads of ConverseStream's event-stream messages, by `:event-type`)

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStart<'a> {
    #[serde(default)]
    pub content_block_index: i32,
    #[serde(default, borrow)]
    pub start: Option<BlockStart<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStart<'a> {
    #[serde(default, borrow)]
    pub tool_use: Option<ToolUseStart<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseStart<'a> {
    #[serde(borrow)]
    pub tool_use_id: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockDelta<'a> {
    #[serde(default)]
    pub content_block_index: i32,
    #[serde(default, borrow)]
    pub delta: Option<Delta<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delta<'a> {
    #[serde(default, borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub tool_use: Option<ToolUseDelta<'a>>,
    #[serde(default, borrow)]
    pub reasoning_content: Option<ReasoningDelta<'a>>,
}

#[derive(Deserialize)]
pub struct ToolUseDelta<'a> {
    #[serde(borrow)]
    pub input: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningDelta<'a> {
    #[serde(default, borrow)]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub signature: Option<Cow<'a, str>>,
    /// Base64.
    #[serde(default, borrow)]
    pub redacted_content: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageStop<'a> {
    #[serde(default, borrow)]
    pub stop_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub usage: Option<TokenUsage>,
}

/// An error's body: restJson1 errors and event-stream exceptions both carry `message`
/// (some services spell it `Message`).
#[derive(Deserialize, Default)]
pub struct ErrorBody<'a> {
    #[serde(default, borrow, alias = "Message")]
    pub message: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "__type")]
    pub kind: Option<Cow<'a, str>>,
}
