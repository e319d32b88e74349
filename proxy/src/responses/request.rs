//! A Responses request, its conversation items, and their translation into the gateway's chat
//! request (what LiteLLM does for providers that do not serve `/v1/responses` themselves).
//!
//! Input is read by hand from JSON rather than by a tagged serde enum: the item list mixes
//! typed items with untyped "easy" messages, and a refusal must name the field at fault
//! (`input[2].type`), which serde's untagged errors cannot.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::gateway::GatewayError;
use crate::schema::{
    ChatMessage, ChatRequest, ContentPart, FunctionCall, FunctionDefinition, ImageUrl, MessageContent, NamedFunction,
    NamedToolChoice, Role, StreamOptions, Tool, ToolCall, ToolChoice,
};

#[derive(Debug, Deserialize)]
pub struct ResponsesRequest {
    /// Required; checked by hand so that the refusal names it.
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default)]
    pub tools: Option<Vec<Value>>,
    #[serde(default)]
    pub tool_choice: Option<Value>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub max_output_tokens: Option<u32>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub store: Option<bool>,
    #[serde(default)]
    pub previous_response_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default)]
    pub reasoning: Option<Value>,
    #[serde(default)]
    pub text: Option<Value>,
    /// LiteLLM's own parameters (`fallbacks`, `num_retries`, `mock_response`, ...) and fields a
    /// provider may understand.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ResponsesRequest {
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// OpenAI stores responses unless told not to.
    pub fn stores(&self) -> bool {
        self.store != Some(false)
    }
}

/// Responses fields that have no chat equivalent: read here or deliberately not served, never
/// forwarded (an OpenAI chat upstream would refuse them).
const RESPONSES_ONLY: &[&str] = &[
    "include",
    "truncation",
    "stream_options",
    "background",
    "conversation",
    "prompt",
    "max_tool_calls",
    "top_logprobs",
    "context_management",
];

/// One conversation item, as stored and as listed by `/input_items`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    Message {
        id: String,
        role: String,
        content: Vec<Part>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
    FunctionCall {
        id: String,
        call_id: String,
        name: String,
        arguments: String,
        status: String,
    },
    FunctionCallOutput {
        id: String,
        call_id: String,
        output: String,
        status: String,
    },
    /// What the model thought before answering; told back to clients, not replayed to models
    /// (a provider's reasoning cannot be handed to another provider).
    Reasoning {
        id: String,
        summary: Vec<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<Vec<Value>>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    InputText {
        text: String,
    },
    OutputText {
        text: String,
        #[serde(default)]
        annotations: Vec<Value>,
    },
    InputImage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(default)]
        detail: Option<String>,
    },
    Refusal {
        refusal: String,
    },
}

fn invalid(message: impl Into<String>, param: &str) -> GatewayError {
    GatewayError::invalid(message, Some(param))
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// The request's `input` as items: a string is one user message.
pub fn input_items(input: Option<Value>) -> Result<Vec<Item>, GatewayError> {
    match input {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(vec![Item::Message {
            id: new_id("msg"),
            role: "user".into(),
            content: vec![Part::InputText { text }],
            status: None,
        }]),
        Some(Value::Array(items)) => items.into_iter().enumerate().map(|(i, item)| input_item(item, i)).collect(),
        Some(other) => {
            Err(invalid(format!("input: expected a string or an array of items, got {}", kind_of(&other)), "input"))
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string field of an item at `at` (`input[2]`); the error's `param` is the request field the
/// item is in (`input`).
fn string_field(item: &Map<String, Value>, name: &str, at: &str) -> Result<String, GatewayError> {
    let param = at.split(['[', '.']).next().unwrap_or(at);
    match item.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(invalid(format!("{at}.{name}: Field required"), param)),
        Some(other) => Err(invalid(format!("{at}.{name}: expected a string, got {}", kind_of(other)), param)),
    }
}

fn optional_id(item: &Map<String, Value>, prefix: &str) -> String {
    item.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| new_id(prefix))
}

fn input_item(item: Value, i: usize) -> Result<Item, GatewayError> {
    let at = format!("input[{i}]");
    let Value::Object(item) = item else {
        return Err(invalid(format!("{at}: expected an object, got {}", kind_of(&item)), "input"));
    };
    let kind = match item.get("type") {
        None | Some(Value::Null) => "message",
        Some(Value::String(t)) => t.as_str(),
        Some(other) => return Err(invalid(format!("{at}.type: expected a string, got {}", kind_of(other)), "input")),
    };
    match kind {
        "message" => message_item(&item, &at),
        "function_call" => Ok(Item::FunctionCall {
            id: optional_id(&item, "fc"),
            call_id: string_field(&item, "call_id", &at)?,
            name: string_field(&item, "name", &at)?,
            arguments: string_field(&item, "arguments", &at)?,
            status: "completed".into(),
        }),
        "function_call_output" => {
            let output = match item.get("output") {
                Some(Value::String(s)) => s.clone(),
                // Content parts: their texts, as chat tool messages carry text.
                Some(Value::Array(parts)) => {
                    parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("")
                }
                None | Some(Value::Null) => return Err(invalid(format!("{at}.output: Field required"), "input")),
                Some(other) => {
                    return Err(invalid(
                        format!("{at}.output: expected a string or content parts, got {}", kind_of(other)),
                        "input",
                    ));
                }
            };
            Ok(Item::FunctionCallOutput {
                id: optional_id(&item, "fco"),
                call_id: string_field(&item, "call_id", &at)?,
                output,
                status: "completed".into(),
            })
        }
        "reasoning" => Ok(Item::Reasoning {
            id: optional_id(&item, "rs"),
            summary: item.get("summary").and_then(Value::as_array).cloned().unwrap_or_default(),
            content: item.get("content").and_then(Value::as_array).cloned(),
        }),
        "item_reference" => Err(invalid(
            format!("{at}.type: 'item_reference' is not served; send the item itself, or use previous_response_id"),
            "input",
        )),
        other => Err(invalid(
            format!(
                "{at}.type: '{other}' items are not served (only message, function_call, function_call_output and reasoning items)"
            ),
            "input",
        )),
    }
}

fn message_item(item: &Map<String, Value>, at: &str) -> Result<Item, GatewayError> {
    let role = string_field(item, "role", at)?;
    if !matches!(role.as_str(), "user" | "assistant" | "system" | "developer") {
        return Err(invalid(
            format!("{at}.role: '{role}' is not one of 'user', 'assistant', 'system', 'developer'"),
            "input",
        ));
    }
    let assistant = role == "assistant";
    let content = match item.get("content") {
        Some(Value::String(text)) if assistant => {
            vec![Part::OutputText { text: text.clone(), annotations: Vec::new() }]
        }
        Some(Value::String(text)) => vec![Part::InputText { text: text.clone() }],
        Some(Value::Array(parts)) => {
            parts.iter().enumerate().map(|(j, p)| part(p, &format!("{at}.content[{j}]"))).collect::<Result<_, _>>()?
        }
        None | Some(Value::Null) => return Err(invalid(format!("{at}.content: Field required"), "input")),
        Some(other) => {
            return Err(invalid(
                format!("{at}.content: expected a string or an array of parts, got {}", kind_of(other)),
                "input",
            ));
        }
    };
    let id = optional_id(item, "msg");
    let status = item.get("status").and_then(Value::as_str).map(str::to_string);
    Ok(Item::Message { id, role, content, status })
}

fn part(part: &Value, at: &str) -> Result<Part, GatewayError> {
    let Value::Object(p) = part else {
        return Err(invalid(format!("{at}: expected an object, got {}", kind_of(part)), "input"));
    };
    let kind = p.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "input_text" => Ok(Part::InputText { text: string_field(p, "text", at)? }),
        "output_text" => Ok(Part::OutputText {
            text: string_field(p, "text", at)?,
            annotations: p.get("annotations").and_then(Value::as_array).cloned().unwrap_or_default(),
        }),
        "refusal" => Ok(Part::Refusal { refusal: string_field(p, "refusal", at)? }),
        "input_image" => {
            if p.get("file_id").is_some_and(|f| !f.is_null()) {
                return Err(invalid(
                    format!(
                        "{at}.file_id: uploaded files are not served; send the image as image_url (a data: URL or https URL)"
                    ),
                    "input",
                ));
            }
            Ok(Part::InputImage {
                image_url: Some(string_field(p, "image_url", at)?),
                detail: p.get("detail").and_then(Value::as_str).map(str::to_string),
            })
        }
        "input_file" | "input_audio" => Err(invalid(format!("{at}.type: '{kind}' parts are not served"), "input")),
        other => Err(invalid(
            format!("{at}.type: '{other}' is not one of 'input_text', 'input_image', 'output_text', 'refusal'"),
            "input",
        )),
    }
}

/// The tools as the response tells them back, checked: only function tools are served.
pub fn tools(tools: Option<Vec<Value>>) -> Result<Vec<Value>, GatewayError> {
    let mut out = Vec::new();
    for (i, tool) in tools.into_iter().flatten().enumerate() {
        let at = format!("tools[{i}]");
        let Value::Object(t) = tool else {
            return Err(invalid(format!("{at}: expected an object, got {}", kind_of(&tool)), "tools"));
        };
        match t.get("type").and_then(Value::as_str) {
            Some("function") => {}
            Some(other) => {
                return Err(invalid(
                    format!(
                        "{at}.type: built-in tool '{other}' is not served by this gateway (it runs on OpenAI's servers); only 'function' tools are"
                    ),
                    "tools",
                ));
            }
            None => return Err(invalid(format!("{at}.type: Field required"), "tools")),
        }
        let name = string_field(&t, "name", &at)?;
        let mut echoed = Map::new();
        echoed.insert("type".into(), "function".into());
        echoed.insert("name".into(), name.into());
        echoed.insert("description".into(), t.get("description").cloned().unwrap_or(Value::Null));
        echoed.insert("parameters".into(), t.get("parameters").cloned().unwrap_or(Value::Null));
        echoed.insert("strict".into(), t.get("strict").cloned().unwrap_or(Value::Null));
        out.push(Value::Object(echoed));
    }
    Ok(out)
}

fn chat_tool(tool: &Value) -> Tool {
    let text = |name: &str| tool.get(name).and_then(Value::as_str).map(str::to_string);
    let mut extra = Map::new();
    if let Some(strict) = tool.get("strict").filter(|s| !s.is_null()) {
        extra.insert("strict".into(), strict.clone());
    }
    Tool {
        kind: "function".into(),
        function: FunctionDefinition {
            name: text("name").unwrap_or_default(),
            description: text("description"),
            parameters: tool.get("parameters").filter(|p| !p.is_null()).cloned(),
            extra,
        },
        extra: Map::new(),
    }
}

/// `tool_choice`: a mode, or one function by name.
pub fn tool_choice(choice: &Value) -> Result<ToolChoice, GatewayError> {
    match choice {
        Value::String(mode) if matches!(mode.as_str(), "auto" | "none" | "required") => {
            Ok(ToolChoice::Mode(mode.clone()))
        }
        Value::Object(c) if c.get("type").and_then(Value::as_str) == Some("function") => {
            let name = string_field(c, "name", "tool_choice")?;
            Ok(ToolChoice::Named(NamedToolChoice { kind: "function".into(), function: NamedFunction { name } }))
        }
        _ => Err(invalid(
            "tool_choice: expected 'auto', 'none', 'required' or {\"type\": \"function\", \"name\": ...}",
            "tool_choice",
        )),
    }
}

/// `text.format` as chat's `response_format`; `None` for plain text.
fn response_format(text: Option<&Value>) -> Result<Option<Value>, GatewayError> {
    let Some(format) = text.and_then(|t| t.get("format")).filter(|f| !f.is_null()) else { return Ok(None) };
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(None),
        Some("json_object") => Ok(Some(serde_json::json!({"type": "json_object"}))),
        Some("json_schema") => {
            let mut schema = Map::new();
            for name in ["name", "schema", "strict", "description"] {
                if let Some(v) = format.get(name).filter(|v| !v.is_null()) {
                    schema.insert(name.into(), v.clone());
                }
            }
            if !schema.contains_key("schema") {
                return Err(invalid("text.format.schema: Field required", "text"));
            }
            Ok(Some(serde_json::json!({"type": "json_schema", "json_schema": schema})))
        }
        _ => Err(invalid("text.format.type: expected 'text', 'json_object' or 'json_schema'", "text")),
    }
}

/// The conversation as chat messages: `instructions` first, as the system message.
pub fn messages(instructions: Option<&str>, items: &[Item]) -> Vec<ChatMessage> {
    let mut out: Vec<ChatMessage> = Vec::with_capacity(items.len() + 1);
    if let Some(text) = instructions.filter(|t| !t.is_empty()) {
        out.push(message(Role::System, Some(MessageContent::Text(text.to_string()))));
    }
    for item in items {
        match item {
            Item::Message { role, content, .. } => {
                let role = match role.as_str() {
                    "assistant" => Role::Assistant,
                    // `developer` is a newer name for `system`, which every provider takes.
                    "system" | "developer" => Role::System,
                    _ => Role::User,
                };
                let content = if role == Role::User {
                    MessageContent::Parts(content.iter().map(chat_part).collect())
                } else {
                    MessageContent::Text(content.iter().map(part_text).collect::<Vec<_>>().join(""))
                };
                out.push(message(role, Some(content)));
            }
            Item::FunctionCall { call_id, name, arguments, .. } => {
                let call = ToolCall {
                    id: call_id.clone(),
                    kind: "function".into(),
                    function: FunctionCall { name: name.clone(), arguments: arguments.clone() },
                };
                // The calls of one turn (and the text before them) are one assistant message.
                match out.last_mut() {
                    Some(last) if last.role == Role::Assistant => {
                        last.tool_calls.get_or_insert_with(Vec::new).push(call)
                    }
                    _ => {
                        let mut m = message(Role::Assistant, None);
                        m.tool_calls = Some(vec![call]);
                        out.push(m);
                    }
                }
            }
            Item::FunctionCallOutput { call_id, output, .. } => {
                let mut m = message(Role::Tool, Some(MessageContent::Text(output.clone())));
                m.tool_call_id = Some(call_id.clone());
                out.push(m);
            }
            Item::Reasoning { .. } => {}
        }
    }
    out
}

fn message(role: Role, content: Option<MessageContent>) -> ChatMessage {
    ChatMessage { role, content, name: None, tool_calls: None, tool_call_id: None, extra: Map::new() }
}

fn part_text(part: &Part) -> &str {
    match part {
        Part::InputText { text } | Part::OutputText { text, .. } => text,
        Part::Refusal { refusal } => refusal,
        Part::InputImage { .. } => "",
    }
}

fn chat_part(part: &Part) -> ContentPart {
    let text_part = |text: &str| ContentPart {
        kind: "text".into(),
        text: Some(text.to_string()),
        image_url: None,
        extra: Map::new(),
    };
    match part {
        Part::InputImage { image_url, detail } => {
            let mut extra = Map::new();
            if let Some(d) = detail {
                extra.insert("detail".into(), Value::String(d.clone()));
            }
            ContentPart {
                kind: "image_url".into(),
                text: None,
                image_url: Some(ImageUrl::Object { url: image_url.clone().unwrap_or_default(), extra }),
                extra: Map::new(),
            }
        }
        other => text_part(part_text(other)),
    }
}

/// The chat request that carries the conversation through the gateway.
pub fn to_chat(request: &mut ResponsesRequest, items: &[Item], tools: &[Value]) -> Result<ChatRequest, GatewayError> {
    for (field, served) in [("background", false), ("conversation", false)] {
        if request.extra.get(field).is_some_and(|v| !v.is_null() && v != &Value::Bool(served)) {
            return Err(invalid(format!("{field}: not served by this gateway"), field));
        }
    }
    let messages = messages(request.instructions.as_deref(), items);
    if messages.iter().all(|m| m.role == Role::System) {
        return Err(invalid("input: at least one input item is required", "input"));
    }
    let mut extra = std::mem::take(&mut request.extra);
    for name in RESPONSES_ONLY {
        extra.remove(*name);
    }
    if let Some(user) = request.user.as_ref().filter(|u| !u.is_empty()) {
        extra.insert("user".into(), Value::String(user.clone()));
    }
    if let Some(effort) = request.reasoning.as_ref().and_then(|r| r.get("effort")).filter(|e| !e.is_null()) {
        extra.insert("reasoning_effort".into(), effort.clone());
    }
    if let Some(format) = response_format(request.text.as_ref())? {
        extra.insert("response_format".into(), format);
    }
    // OpenAI refuses `parallel_tool_calls` on a request without tools.
    if let Some(parallel) = request.parallel_tool_calls
        && !tools.is_empty()
    {
        extra.insert("parallel_tool_calls".into(), parallel.into());
    }
    let tool_choice = request.tool_choice.as_ref().filter(|c| !c.is_null()).map(tool_choice).transpose()?;
    let stream = request.is_stream().then_some(true);
    Ok(ChatRequest {
        model: request.model.clone(),
        messages,
        // The usage `response.completed` reports comes in the stream's last chunk.
        stream_options: stream.map(|_| StreamOptions { include_usage: Some(true), extra: Map::new() }),
        stream,
        temperature: request.temperature,
        top_p: request.top_p,
        max_tokens: request.max_output_tokens,
        max_completion_tokens: None,
        stop: None,
        tools: (!tools.is_empty()).then(|| tools.iter().map(chat_tool).collect()),
        tool_choice,
        extra,
        native: None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn items_become_one_assistant_turn_and_tool_messages() {
        let items = input_items(Some(json!([
            {"role": "user", "content": "weather?"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Looking."}]},
            {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "call_id": "c2", "name": "weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "rain"}]},
            {"type": "reasoning", "id": "rs_1", "summary": []}
        ])))
        .unwrap();
        let m = messages(Some("be brief"), &items);
        let m = serde_json::to_value(&m).unwrap();
        assert_eq!(m[0], json!({"role": "system", "content": "be brief"}));
        assert_eq!(m[1]["content"], json!([{"type": "text", "text": "weather?"}]));
        assert_eq!(m[2]["content"], "Looking.");
        assert_eq!(m[2]["tool_calls"][1]["id"], "c2");
        assert_eq!(m[3], json!({"role": "tool", "content": "sunny", "tool_call_id": "c1"}));
        assert_eq!(m[4]["content"], "rain");
        assert_eq!(m.as_array().unwrap().len(), 5);
    }

    #[test]
    fn refusals_name_the_field() {
        let e = input_items(Some(json!([{"type": "web_search_call", "id": "x"}]))).unwrap_err();
        assert!(e.to_string().contains("input[0].type"), "{e}");
        let e = input_items(Some(json!([{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}])))
            .unwrap_err();
        assert!(e.to_string().contains("input[0].content[0].type"), "{e}");
        let e = tools(Some(vec![json!({"type": "web_search"})])).unwrap_err();
        assert_eq!(e.classify().2, Some("tools"));
        assert!(e.to_string().contains("tools[0].type") && e.to_string().contains("web_search"), "{e}");
        let e = input_items(Some(json!(3))).unwrap_err();
        assert_eq!(e.classify().2, Some("input"));
    }

    #[test]
    fn json_schema_format_becomes_response_format() {
        let f = response_format(Some(
            &json!({"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}, "strict": true}}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            f,
            json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": true}})
        );
        assert_eq!(response_format(Some(&json!({"format": {"type": "text"}}))).unwrap(), None);
    }
}
