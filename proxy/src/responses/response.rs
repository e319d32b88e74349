//! A chat completion → a Response object (`object: "response"`), in the shape the `openai`
//! SDK's `Response` model and the Agents SDK validate.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::request::{Item, Part, ResponsesRequest};

/// What a response tells back of its request, fixed before the call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Echo {
    pub instructions: Option<String>,
    pub max_output_tokens: Option<u32>,
    pub metadata: Map<String, Value>,
    pub parallel_tool_calls: bool,
    pub previous_response_id: Option<String>,
    pub reasoning: Value,
    pub store: bool,
    pub temperature: Option<f64>,
    pub text: Value,
    pub tool_choice: Value,
    pub tools: Vec<Value>,
    pub top_p: Option<f64>,
    pub truncation: String,
    pub user: Option<String>,
}

impl Echo {
    pub fn of(request: &ResponsesRequest, tools: Vec<Value>) -> Echo {
        Echo {
            instructions: request.instructions.clone(),
            max_output_tokens: request.max_output_tokens,
            metadata: request.metadata.clone().unwrap_or_default(),
            parallel_tool_calls: request.parallel_tool_calls.unwrap_or(true),
            previous_response_id: request.previous_response_id.clone(),
            reasoning: request
                .reasoning
                .clone()
                .filter(|r| !r.is_null())
                .unwrap_or_else(|| serde_json::json!({"effort": null, "summary": null})),
            store: request.stores(),
            temperature: request.temperature,
            text: request
                .text
                .clone()
                .filter(|t| t.get("format").is_some_and(|f| !f.is_null()))
                .unwrap_or_else(|| serde_json::json!({"format": {"type": "text"}})),
            tool_choice: request.tool_choice.clone().filter(|c| !c.is_null()).unwrap_or_else(|| "auto".into()),
            tools,
            top_p: request.top_p,
            truncation: "disabled".into(),
            user: request.user.clone(),
        }
    }
}

/// The Responses API's usage.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ResponseUsage {
    pub input_tokens: u64,
    pub input_tokens_details: InputDetails,
    pub output_tokens: u64,
    pub output_tokens_details: OutputDetails,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct InputDetails {
    pub cached_tokens: u64,
    pub cache_write_tokens: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct OutputDetails {
    pub reasoning_tokens: u64,
}

/// A chat completion's usage, with the details the gateway's own `Usage` does not keep.
#[derive(Debug, Default, Deserialize)]
pub struct ChatUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl From<ChatUsage> for ResponseUsage {
    fn from(u: ChatUsage) -> Self {
        let cached = u.prompt_tokens_details.and_then(|d| d.cached_tokens).unwrap_or(u.cache_read_input_tokens);
        ResponseUsage {
            input_tokens: u.prompt_tokens,
            input_tokens_details: InputDetails {
                cached_tokens: cached,
                cache_write_tokens: u.cache_creation_input_tokens,
            },
            output_tokens: u.completion_tokens,
            output_tokens_details: OutputDetails {
                reasoning_tokens: u.completion_tokens_details.and_then(|d| d.reasoning_tokens).unwrap_or(0),
            },
            total_tokens: if u.total_tokens > 0 { u.total_tokens } else { u.prompt_tokens + u.completion_tokens },
        }
    }
}

/// The Response object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseObject {
    pub id: String,
    pub object: String,
    pub created_at: i64,
    pub status: String,
    pub error: Option<Value>,
    pub incomplete_details: Option<Value>,
    pub model: String,
    pub output: Vec<Item>,
    pub usage: Option<ResponseUsage>,
    #[serde(flatten)]
    pub echo: Echo,
}

impl ResponseObject {
    /// A response not answered yet (what `response.created` tells).
    pub fn started(id: String, model: String, created_at: i64, echo: Echo) -> ResponseObject {
        ResponseObject {
            id,
            object: "response".into(),
            created_at,
            status: "in_progress".into(),
            error: None,
            incomplete_details: None,
            model,
            output: Vec::new(),
            usage: None,
            echo,
        }
    }

    /// Ends it: `incomplete` when the model stopped at the token cap or a content filter.
    pub fn finish(&mut self, finish_reason: Option<&str>, output: Vec<Item>, usage: ResponseUsage) {
        let incomplete = match finish_reason {
            Some("length") => Some("max_output_tokens"),
            Some("content_filter") => Some("content_filter"),
            _ => None,
        };
        self.status = if incomplete.is_some() { "incomplete" } else { "completed" }.into();
        self.incomplete_details = incomplete.map(|reason| serde_json::json!({"reason": reason}));
        self.output = output;
        self.usage = Some(usage);
    }
}

/// Ids of a response's items: the response's own id after the item's prefix, so that they are
/// unique without a counter shared between calls.
pub fn item_id(prefix: &str, response_id: &str, n: usize) -> String {
    let base = response_id.strip_prefix("resp_").unwrap_or(response_id);
    if n == 0 { format!("{prefix}_{base}") } else { format!("{prefix}_{base}_{n}") }
}

pub fn message_item(id: String, text: String, status: &str) -> Item {
    Item::Message {
        id,
        role: "assistant".into(),
        content: vec![Part::OutputText { text, annotations: Vec::new() }],
        status: Some(status.into()),
    }
}

pub fn reasoning_item(id: String, text: String) -> Item {
    Item::Reasoning {
        id,
        summary: Vec::new(),
        content: Some(vec![serde_json::json!({"type": "reasoning_text", "text": text})]),
    }
}

#[derive(Debug, Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: ChatUsage,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    message: CompletionMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CompletionMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<CompletionToolCall>>,
}

#[derive(Debug, Deserialize)]
struct CompletionToolCall {
    id: String,
    function: CompletionFunction,
}

#[derive(Debug, Deserialize)]
struct CompletionFunction {
    name: String,
    #[serde(default)]
    arguments: String,
}

/// Fills `response` from a serialized chat completion.
pub fn from_completion(body: &[u8], response: &mut ResponseObject) -> Result<(), serde_json::Error> {
    let completion: Completion = serde_json::from_slice(body)?;
    let (message, finish_reason) = match completion.choices.into_iter().next() {
        Some(choice) => (choice.message, choice.finish_reason),
        None => (CompletionMessage::default(), None),
    };
    let mut output = Vec::new();
    if let Some(thinking) = message.reasoning_content.filter(|t| !t.is_empty()) {
        output.push(reasoning_item(item_id("rs", &response.id, 0), thinking));
    }
    if let Some(text) = message.content.filter(|t| !t.is_empty()) {
        output.push(message_item(item_id("msg", &response.id, 0), text, "completed"));
    }
    for (n, call) in message.tool_calls.into_iter().flatten().enumerate() {
        output.push(Item::FunctionCall {
            id: item_id("fc", &response.id, n),
            call_id: call.id,
            name: call.function.name,
            arguments: call.function.arguments,
            status: "completed".into(),
        });
    }
    response.finish(finish_reason.as_deref(), output, completion.usage.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn echo() -> Echo {
        let request: ResponsesRequest = serde_json::from_value(json!({"model": "m", "input": "hi"})).unwrap();
        Echo::of(&request, Vec::new())
    }

    #[test]
    fn a_completion_with_text_tools_and_reasoning_becomes_output_items() {
        let body = json!({
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": "Let me look.", "reasoning_content": "hmm",
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "ls", "arguments": "{}"}}]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14,
                      "prompt_tokens_details": {"cached_tokens": 3}, "completion_tokens_details": {"reasoning_tokens": 2}}
        });
        let mut r = ResponseObject::started("resp_abc".into(), "alias".into(), 1, echo());
        from_completion(&serde_json::to_vec(&body).unwrap(), &mut r).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"], "completed");
        assert_eq!(v["output"][0]["type"], "reasoning");
        assert_eq!(
            v["output"][1],
            json!({"type": "message", "id": "msg_abc", "role": "assistant", "status": "completed",
                   "content": [{"type": "output_text", "text": "Let me look.", "annotations": []}]})
        );
        assert_eq!(
            v["output"][2],
            json!({"type": "function_call", "id": "fc_abc", "call_id": "call_1", "name": "ls", "arguments": "{}", "status": "completed"})
        );
        assert_eq!(v["usage"]["input_tokens_details"]["cached_tokens"], 3);
        assert_eq!(v["usage"]["output_tokens_details"]["reasoning_tokens"], 2);
        assert_eq!(v["usage"]["total_tokens"], 14);
        assert_eq!(v["tool_choice"], "auto");
        assert_eq!(v["text"], json!({"format": {"type": "text"}}));
    }

    #[test]
    fn the_token_cap_makes_it_incomplete() {
        let body = json!({"choices": [{"finish_reason": "length", "message": {"content": "a b"}}]});
        let mut r = ResponseObject::started("resp_x".into(), "m".into(), 1, echo());
        from_completion(&serde_json::to_vec(&body).unwrap(), &mut r).unwrap();
        assert_eq!(r.status, "incomplete");
        assert_eq!(r.incomplete_details, Some(json!({"reason": "max_output_tokens"})));
    }
}
