//! An Anthropic Messages request, and its translation into the gateway's chat request (what
//! LiteLLM's Anthropic adapter does for models that do not speak Messages themselves).
//!
//! What Claude needs back on Bedrock survives the trip: `cache_control` stays on the part,
//! message or tool it marks, signed thinking blocks travel as LiteLLM's `thinking_blocks`, and
//! `thinking` / `top_k` ride in the request's extra fields.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::gateway::GatewayError;
use crate::schema::{
    ChatMessage, ChatRequest, ContentPart, FunctionCall, FunctionDefinition, ImageUrl, MessageContent, NamedFunction,
    NamedToolChoice, Role, Stop, StreamOptions, Tool, ToolCall, ToolChoice as ChatToolChoice,
};

#[derive(Debug, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    pub messages: Vec<InputMessage>,
    /// Required on `/v1/messages`, not on `count_tokens` (the handler checks).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub system: Option<Content>,
    #[serde(default)]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub top_k: Option<u32>,
    #[serde(default)]
    pub tools: Option<Vec<ToolDefinition>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub thinking: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// LiteLLM's own parameters (`fallbacks`, `num_retries`, `mock_response`, ...) and fields
    /// a provider may understand.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessagesRequest {
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputRole {
    User,
    Assistant,
}

#[derive(Debug, Deserialize)]
pub struct InputMessage {
    pub role: InputRole,
    pub content: Content,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

/// One content block. Kept as one flat shape (rather than an enum per type) so that a block of
/// a type this gateway does not translate is refused by name, not as "did not match any variant".
#[derive(Debug, Deserialize)]
pub struct Block {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub source: Option<Source>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub thinking: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub cache_control: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Source {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ToolDefinition {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub input_schema: Option<Value>,
    #[serde(default)]
    pub cache_control: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct ToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub disable_parallel_tool_use: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub user_id: Option<String>,
}

/// Fields of the Messages API that only Anthropic's own servers understand; an OpenAI-style
/// upstream must not receive them.
const ANTHROPIC_ONLY: &[&str] = &["service_tier", "container", "mcp_servers", "context_management"];

fn invalid(message: String, param: &str) -> GatewayError {
    GatewayError::invalid(message, Some(param))
}

/// The chat request that carries `request` through the gateway.
pub fn to_chat(request: MessagesRequest) -> Result<ChatRequest, GatewayError> {
    if request.messages.is_empty() {
        return Err(invalid("messages: at least one message is required".into(), "messages"));
    }
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = request.system {
        messages.push(system_message(system)?);
    }
    for (i, message) in request.messages.into_iter().enumerate() {
        match message.role {
            InputRole::User => user_messages(message.content, i, &mut messages)?,
            InputRole::Assistant => messages.push(assistant_message(message.content, i)?),
        }
    }

    let mut extra = request.extra;
    for name in ANTHROPIC_ONLY {
        extra.remove(*name);
    }
    if let Some(user) = request.metadata.and_then(|m| m.user_id).filter(|u| !u.is_empty()) {
        extra.insert("user".into(), Value::String(user));
    }
    if let Some(thinking) = request.thinking.filter(|t| !t.is_null()) {
        extra.insert("thinking".into(), thinking);
    }
    if let Some(k) = request.top_k {
        extra.insert("top_k".into(), k.into());
    }

    let tools = match request.tools {
        None => None,
        Some(tools) => Some(tools.into_iter().enumerate().map(|(i, t)| tool(t, i)).collect::<Result<Vec<_>, _>>()?),
    };
    let tool_choice = match request.tool_choice {
        None => None,
        Some(choice) => {
            if choice.disable_parallel_tool_use == Some(true) && tools.as_ref().is_some_and(|t| !t.is_empty()) {
                extra.insert("parallel_tool_calls".into(), false.into());
            }
            Some(tool_choice(choice)?)
        }
    };
    let stream = request.stream;
    Ok(ChatRequest {
        model: request.model,
        messages,
        // Usage is what `message_delta` reports at the end of a stream.
        stream_options: (stream == Some(true)).then(|| StreamOptions { include_usage: Some(true), extra: Map::new() }),
        stream,
        temperature: request.temperature,
        top_p: request.top_p,
        max_tokens: request.max_tokens,
        max_completion_tokens: None,
        stop: request.stop_sequences.filter(|s| !s.is_empty()).map(Stop::Many),
        tools,
        tool_choice,
        extra,
        native: None,
    })
}

fn message(role: Role, content: Option<MessageContent>) -> ChatMessage {
    ChatMessage { role, content, name: None, tool_calls: None, tool_call_id: None, extra: Map::new() }
}

fn text_part(text: String, cache_control: Option<Value>) -> ContentPart {
    let mut extra = Map::new();
    if let Some(c) = cache_control {
        extra.insert("cache_control".into(), c);
    }
    ContentPart { kind: "text".into(), text: Some(text), image_url: None, extra }
}

fn system_message(system: Content) -> Result<ChatMessage, GatewayError> {
    let content = match system {
        Content::Text(text) => MessageContent::Text(text),
        Content::Blocks(blocks) => {
            let mut parts = Vec::with_capacity(blocks.len());
            for (j, block) in blocks.into_iter().enumerate() {
                if block.kind != "text" {
                    return Err(invalid(
                        format!("system[{j}].type: system blocks must be text, not '{}'", block.kind),
                        "system",
                    ));
                }
                parts.push(text_part(block.text.unwrap_or_default(), block.cache_control));
            }
            MessageContent::Parts(parts)
        }
    };
    Ok(message(Role::System, Some(content)))
}

/// A user turn: its tool results first, each a `tool` message as OpenAI wants them, then the
/// rest as one user message.
fn user_messages(content: Content, i: usize, out: &mut Vec<ChatMessage>) -> Result<(), GatewayError> {
    let blocks = match content {
        Content::Text(text) => {
            out.push(message(Role::User, Some(MessageContent::Text(text))));
            return Ok(());
        }
        Content::Blocks(blocks) => blocks,
    };
    let mut parts = Vec::new();
    for (j, block) in blocks.into_iter().enumerate() {
        let at = || format!("messages[{i}].content[{j}]");
        match block.kind.as_str() {
            "text" => parts.push(text_part(block.text.unwrap_or_default(), block.cache_control)),
            "image" => parts.push(image_part(block.source, block.cache_control, &at)?),
            "tool_result" => {
                let id = block
                    .tool_use_id
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| invalid(format!("{}.tool_use_id: required", at()), "messages"))?;
                let content = match block.content {
                    None => MessageContent::Text(String::new()),
                    Some(Content::Text(text)) => MessageContent::Text(text),
                    Some(Content::Blocks(inner)) => {
                        let mut parts = Vec::with_capacity(inner.len());
                        for (k, b) in inner.into_iter().enumerate() {
                            let at = || format!("messages[{i}].content[{j}].content[{k}]");
                            match b.kind.as_str() {
                                "text" => parts.push(text_part(b.text.unwrap_or_default(), None)),
                                "image" => parts.push(image_part(b.source, None, &at)?),
                                other => {
                                    return Err(invalid(
                                        format!(
                                            "{}.type: a tool result may hold text and image blocks, not '{other}'",
                                            at()
                                        ),
                                        "messages",
                                    ));
                                }
                            }
                        }
                        MessageContent::Parts(parts)
                    }
                };
                let mut result = message(Role::Tool, Some(content));
                result.tool_call_id = Some(id);
                if let Some(c) = block.cache_control {
                    result.extra.insert("cache_control".into(), c);
                }
                out.push(result);
            }
            other => {
                return Err(invalid(
                    format!(
                        "{}.type: '{other}' blocks are not accepted in user turns (text, image, tool_result are)",
                        at()
                    ),
                    "messages",
                ));
            }
        }
    }
    if !parts.is_empty() {
        out.push(message(Role::User, Some(MessageContent::Parts(parts))));
    }
    Ok(())
}

fn image_part(
    source: Option<Source>,
    cache_control: Option<Value>,
    at: &dyn Fn() -> String,
) -> Result<ContentPart, GatewayError> {
    let source = source.ok_or_else(|| invalid(format!("{}.source: required", at()), "messages"))?;
    let url = match source.kind.as_str() {
        "base64" => {
            let media_type = source
                .media_type
                .ok_or_else(|| invalid(format!("{}.source.media_type: required", at()), "messages"))?;
            let data = source.data.ok_or_else(|| invalid(format!("{}.source.data: required", at()), "messages"))?;
            format!("data:{media_type};base64,{data}")
        }
        "url" => source.url.ok_or_else(|| invalid(format!("{}.source.url: required", at()), "messages"))?,
        other => {
            return Err(invalid(format!("{}.source.type: '{other}' is not base64 or url", at()), "messages"));
        }
    };
    let mut extra = Map::new();
    if let Some(c) = cache_control {
        extra.insert("cache_control".into(), c);
    }
    Ok(ContentPart {
        kind: "image_url".into(),
        text: None,
        image_url: Some(ImageUrl::Object { url, extra: Map::new() }),
        extra,
    })
}

fn assistant_message(content: Content, i: usize) -> Result<ChatMessage, GatewayError> {
    let blocks = match content {
        Content::Text(text) => return Ok(message(Role::Assistant, Some(MessageContent::Text(text)))),
        Content::Blocks(blocks) => blocks,
    };
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut thinking_blocks = Vec::new();
    let mut cache_control = None;
    for (j, block) in blocks.into_iter().enumerate() {
        let at = || format!("messages[{i}].content[{j}]");
        match block.kind.as_str() {
            "text" => text.push_str(block.text.as_deref().unwrap_or_default()),
            "tool_use" => {
                let id = block.id.ok_or_else(|| invalid(format!("{}.id: required", at()), "messages"))?;
                let name = block.name.ok_or_else(|| invalid(format!("{}.name: required", at()), "messages"))?;
                let input = block.input.unwrap_or_else(|| Value::Object(Map::new()));
                let arguments =
                    serde_json::to_string(&input).map_err(|e| invalid(format!("{}.input: {e}", at()), "messages"))?;
                tool_calls.push(ToolCall { id, kind: "function".into(), function: FunctionCall { name, arguments } });
            }
            // Only a signed block can be sent back (Claude checks the signature); reasoning
            // from other models has none and is dropped, as it would be upstream.
            "thinking" => {
                if let Some(signature) = block.signature.filter(|s| !s.is_empty()) {
                    thinking_blocks.push(serde_json::json!({
                        "type": "thinking", "thinking": block.thinking.unwrap_or_default(), "signature": signature
                    }));
                }
            }
            "redacted_thinking" => {
                let data = block.data.ok_or_else(|| invalid(format!("{}.data: required", at()), "messages"))?;
                thinking_blocks.push(serde_json::json!({"type": "redacted_thinking", "data": data}));
            }
            other => {
                return Err(invalid(
                    format!(
                        "{}.type: '{other}' blocks are not accepted in assistant turns (text, tool_use, thinking are)",
                        at()
                    ),
                    "messages",
                ));
            }
        }
        if block.cache_control.is_some() {
            cache_control = block.cache_control;
        }
    }
    let mut out = message(Role::Assistant, (!text.is_empty()).then_some(MessageContent::Text(text)));
    out.tool_calls = (!tool_calls.is_empty()).then_some(tool_calls);
    if !thinking_blocks.is_empty() {
        out.extra.insert("thinking_blocks".into(), Value::Array(thinking_blocks));
    }
    if let Some(c) = cache_control {
        out.extra.insert("cache_control".into(), c);
    }
    Ok(out)
}

fn tool(tool: ToolDefinition, i: usize) -> Result<Tool, GatewayError> {
    // Anthropic's server tools (web search, code execution, ...) run on Anthropic's side.
    if let Some(kind) = tool.kind.as_deref().filter(|k| *k != "custom") {
        return Err(invalid(
            format!("tools[{i}].type: '{kind}' is an Anthropic server tool; only anthropic/ models can run it"),
            "tools",
        ));
    }
    let mut extra = Map::new();
    if let Some(c) = tool.cache_control {
        extra.insert("cache_control".into(), c);
    }
    Ok(Tool {
        kind: "function".into(),
        function: FunctionDefinition {
            name: tool.name,
            description: tool.description,
            parameters: tool.input_schema,
            extra: Map::new(),
        },
        extra,
    })
}

fn tool_choice(choice: ToolChoice) -> Result<ChatToolChoice, GatewayError> {
    Ok(match choice.kind.as_str() {
        "auto" => ChatToolChoice::Mode("auto".into()),
        "any" => ChatToolChoice::Mode("required".into()),
        "none" => ChatToolChoice::Mode("none".into()),
        "tool" => {
            let name = choice
                .name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("tool_choice.name: required when type is 'tool'".into(), "tool_choice"))?;
            ChatToolChoice::Named(NamedToolChoice { kind: "function".into(), function: NamedFunction { name } })
        }
        other => {
            return Err(invalid(format!("tool_choice.type: '{other}' is not auto, any, tool or none"), "tool_choice"));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(body: Value) -> Value {
        let request: MessagesRequest = serde_json::from_value(body).unwrap();
        serde_json::to_value(to_chat(request).unwrap()).unwrap()
    }

    #[test]
    fn a_claude_code_turn_becomes_a_chat_request() {
        let out = chat(serde_json::json!({
            "model": "claude", "max_tokens": 512, "stream": true, "temperature": 1,
            "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "list files"}]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "use ls", "signature": "sig1"},
                    {"type": "text", "text": "Running ls."},
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "a.txt"}],
                     "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": "and now?"}
                ]}
            ],
            "tools": [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
            "metadata": {"user_id": "user_abc"},
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "stop_sequences": ["END"], "top_k": 5, "service_tier": "auto", "num_retries": 1
        }));
        assert_eq!(out["messages"][0]["role"], "system");
        assert_eq!(out["messages"][0]["content"][0]["cache_control"]["type"], "ephemeral");
        let assistant = &out["messages"][2];
        assert_eq!(assistant["content"], "Running ls.");
        assert_eq!(assistant["tool_calls"][0]["id"], "toolu_1");
        assert_eq!(assistant["tool_calls"][0]["function"]["arguments"], "{\"command\":\"ls\"}");
        assert_eq!(assistant["thinking_blocks"][0]["signature"], "sig1");
        assert_eq!(out["messages"][3]["role"], "tool", "tool results come first");
        assert_eq!(out["messages"][3]["tool_call_id"], "toolu_1");
        assert_eq!(out["messages"][3]["cache_control"]["type"], "ephemeral");
        assert_eq!(out["messages"][4]["content"][0]["text"], "and now?");
        assert_eq!(out["tools"][0]["function"]["parameters"], serde_json::json!({"type": "object"}));
        assert_eq!(out["tool_choice"], "auto");
        assert_eq!(out["parallel_tool_calls"], false);
        assert_eq!(out["user"], "user_abc");
        assert_eq!(out["thinking"]["budget_tokens"], 1024);
        assert_eq!(out["stop"], serde_json::json!(["END"]));
        assert_eq!(out["top_k"], 5);
        assert_eq!(out["max_tokens"], 512);
        assert_eq!(out["stream_options"]["include_usage"], true);
        assert_eq!(out["num_retries"], 1, "LiteLLM's parameters reach the router");
        assert!(out.get("service_tier").is_none() && out.get("metadata").is_none());
    }

    #[test]
    fn images_and_tool_choices_translate() {
        let out = chat(serde_json::json!({
            "model": "m", "max_tokens": 5,
            "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}
            ]}],
            "tools": [{"name": "f", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "tool", "name": "f"}
        }));
        assert_eq!(out["messages"][0]["content"][0]["image_url"]["url"], "data:image/png;base64,AAAA");
        assert_eq!(out["messages"][0]["content"][1]["image_url"]["url"], "https://x/y.png");
        assert_eq!(out["tool_choice"]["function"]["name"], "f");
        let any =
            chat(serde_json::json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
            "tool_choice": {"type": "any"}}));
        assert_eq!(any["tool_choice"], "required");
    }

    #[test]
    fn unsigned_thinking_is_dropped() {
        let out = chat(serde_json::json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "y"}]}
        ]}));
        assert!(out["messages"][1].get("thinking_blocks").is_none());
    }

    #[test]
    fn bad_blocks_are_named() {
        let refuse = |body: Value| {
            let request: MessagesRequest = serde_json::from_value(body).unwrap();
            to_chat(request).err().unwrap().to_string()
        };
        let e = refuse(serde_json::json!({"model": "m", "max_tokens": 5, "messages": []}));
        assert!(e.contains("messages"), "{e}");
        let e = refuse(serde_json::json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": [{"type": "tool_result"}]}]}));
        assert!(e.contains("messages[0].content[0].tool_use_id"), "{e}");
        let e = refuse(serde_json::json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": [{"type": "video"}]}]}));
        assert!(e.contains("messages[0].content[0].type") && e.contains("video"), "{e}");
        let e =
            refuse(serde_json::json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "web_search_20250305", "name": "web_search"}]}));
        assert!(e.contains("tools[0].type") && e.contains("server tool"), "{e}");
        let e =
            refuse(serde_json::json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
            "tool_choice": {"type": "tool"}}));
        assert!(e.contains("tool_choice.name"), "{e}");
    }
}
