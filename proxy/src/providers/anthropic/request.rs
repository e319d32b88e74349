//! A chat request → Anthropic's Messages API body.
//!
//! Messages wants what Converse wants: the system prompt apart, turns alternating from a user
//! turn, tool results as blocks at the head of a user turn, tool input as an object, and
//! `max_tokens` always. `cache_control` stays on the block it marks; signed thinking blocks go
//! back at the head of their assistant turn.

use serde_json::{Map, Value, json};

use crate::providers::ProviderError;
use crate::schema::{ChatMessage, ChatRequest, ContentPart, MessageContent, Role, ToolChoice};

/// What Anthropic needs when the client does not say (LiteLLM's default too).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::InvalidRequest(message.into())
}

struct Turn {
    role: &'static str,
    tool_results: Vec<Value>,
    blocks: Vec<Value>,
}

pub fn translate(request: &ChatRequest, model: &str) -> Result<Value, ProviderError> {
    let mut system = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        match message.role {
            Role::System | Role::Developer => {
                let mut blocks = text_blocks(message, i)?;
                mark_last(&mut blocks, message);
                system.extend(blocks);
            }
            Role::User => {
                let mut blocks = user_blocks(message, i)?;
                mark_last(&mut blocks, message);
                push(&mut turns, "user", Vec::new(), blocks);
            }
            Role::Assistant => {
                let mut blocks = thinking_blocks(message);
                blocks.extend(text_blocks(message, i)?);
                for call in message.tool_calls.iter().flatten() {
                    blocks.push(json!({
                        "type": "tool_use", "id": call.id, "name": call.function.name,
                        "input": crate::schema::tool_input(&call.function.arguments)
                    }));
                }
                mark_last(&mut blocks, message);
                push(&mut turns, "assistant", Vec::new(), blocks);
            }
            Role::Tool | Role::Function => {
                let id = message.tool_call_id.as_deref().filter(|id| !id.is_empty()).ok_or_else(|| {
                    invalid(format!("messages[{i}]: a tool message needs the tool_call_id of the call it answers"))
                })?;
                let content = match &message.content {
                    Some(MessageContent::Parts(_)) => Value::Array(user_blocks(message, i)?),
                    Some(MessageContent::Text(text)) => Value::String(text.clone()),
                    None => Value::String(String::new()),
                };
                let mut result = json!({"type": "tool_result", "tool_use_id": id, "content": content});
                if let Some(c) = message.extra.get("cache_control") {
                    set(&mut result, "cache_control", c.clone());
                }
                push(&mut turns, "user", vec![result], Vec::new());
            }
        }
    }
    if turns.is_empty() {
        return Err(invalid("messages: Anthropic models need at least one user message besides system prompts"));
    }
    if turns.first().is_some_and(|t| t.role != "user") {
        turns.insert(
            0,
            Turn { role: "user", tool_results: Vec::new(), blocks: vec![json!({"type": "text", "text": "."})] },
        );
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|t| {
            let mut content = t.tool_results;
            content.extend(t.blocks);
            json!({"role": t.role, "content": content})
        })
        .collect();

    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("messages".into(), Value::Array(messages));
    body.insert("max_tokens".into(), request.max_output_tokens().unwrap_or(DEFAULT_MAX_TOKENS).into());
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }
    if let Some(stop) = &request.stop {
        body.insert("stop_sequences".into(), json!(stop.clone().into_vec()));
    }
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), t.into());
    }
    if let Some(p) = request.top_p {
        body.insert("top_p".into(), p.into());
    }
    if request.is_stream() {
        body.insert("stream".into(), true.into());
    }
    for name in ["thinking", "top_k"] {
        if let Some(v) = request.extra.get(name).filter(|v| !v.is_null()) {
            body.insert(name.into(), v.clone());
        }
    }
    if let Some(user) = request.extra.get("user").and_then(Value::as_str) {
        body.insert("metadata".into(), json!({"user_id": user}));
    }
    tools(request, &mut body)?;
    Ok(Value::Object(body))
}

/// Sets a field of a JSON object (the blocks built here are all objects).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Value::Object(fields) = object {
        fields.insert(key.to_string(), value);
    }
}

fn push(turns: &mut Vec<Turn>, role: &'static str, tool_results: Vec<Value>, blocks: Vec<Value>) {
    if tool_results.is_empty() && blocks.is_empty() {
        return;
    }
    match turns.last_mut() {
        Some(last) if last.role == role => {
            last.tool_results.extend(tool_results);
            last.blocks.extend(blocks);
        }
        _ => turns.push(Turn { role, tool_results, blocks }),
    }
}

/// A message-level `cache_control` marks its last block, as LiteLLM places it.
fn mark_last(blocks: &mut [Value], message: &ChatMessage) {
    if let (Some(c), Some(last)) = (message.extra.get("cache_control"), blocks.last_mut()) {
        set(last, "cache_control", c.clone());
    }
}

fn text_block(text: &str, part: Option<&ContentPart>) -> Value {
    let mut block = json!({"type": "text", "text": text});
    if let Some(c) = part.and_then(|p| p.extra.get("cache_control")) {
        set(&mut block, "cache_control", c.clone());
    }
    block
}

/// The non-blank texts of a message (Anthropic refuses empty text blocks).
fn text_blocks(message: &ChatMessage, i: usize) -> Result<Vec<Value>, ProviderError> {
    Ok(match &message.content {
        None => Vec::new(),
        Some(MessageContent::Text(t)) if t.trim().is_empty() => Vec::new(),
        Some(MessageContent::Text(t)) => vec![text_block(t, None)],
        Some(MessageContent::Parts(parts)) => {
            let mut out = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                if part.kind != "text" {
                    return Err(invalid(format!(
                        "messages[{i}].content[{j}]: a {:?} message cannot hold a '{}' part",
                        message.role, part.kind
                    )));
                }
                if let Some(text) = part.text.as_deref().filter(|t| !t.trim().is_empty()) {
                    out.push(text_block(text, Some(part)));
                }
            }
            out
        }
    })
}

fn user_blocks(message: &ChatMessage, i: usize) -> Result<Vec<Value>, ProviderError> {
    let Some(MessageContent::Parts(parts)) = &message.content else {
        return text_blocks(message, i);
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        match part.kind.as_str() {
            "text" => {
                if let Some(text) = part.text.as_deref().filter(|t| !t.trim().is_empty()) {
                    blocks.push(text_block(text, Some(part)));
                }
            }
            "image_url" => {
                let url = part
                    .image_url
                    .as_ref()
                    .map(|u| u.url())
                    .ok_or_else(|| invalid(format!("messages[{i}].content[{j}].image_url: missing")))?;
                let source = match url.strip_prefix("data:").and_then(|rest| rest.split_once(',')) {
                    Some((meta, data)) => {
                        let media_type = meta.strip_suffix(";base64").ok_or_else(|| {
                            invalid(format!(
                                "messages[{i}].content[{j}].image_url: the data URL must be base64-encoded"
                            ))
                        })?;
                        json!({"type": "base64", "media_type": media_type, "data": data})
                    }
                    None => json!({"type": "url", "url": url}),
                };
                let mut block = json!({"type": "image", "source": source});
                if let Some(c) = part.extra.get("cache_control") {
                    set(&mut block, "cache_control", c.clone());
                }
                blocks.push(block);
            }
            other => {
                return Err(invalid(format!(
                    "messages[{i}].content[{j}]: content parts of type '{other}' are not supported for Anthropic models (text and image_url are)"
                )));
            }
        }
    }
    Ok(blocks)
}

fn thinking_blocks(message: &ChatMessage) -> Vec<Value> {
    match message.extra.get("thinking_blocks") {
        Some(Value::Array(blocks)) => blocks.clone(),
        _ => Vec::new(),
    }
}

fn tools(request: &ChatRequest, body: &mut Map<String, Value>) -> Result<(), ProviderError> {
    let offered = request.tools.as_deref().unwrap_or_default();
    if !offered.is_empty() {
        let mut tools = Vec::with_capacity(offered.len());
        for tool in offered {
            let f = &tool.function;
            let mut spec = json!({
                "name": f.name,
                "input_schema": match &f.parameters {
                    Some(v @ Value::Object(_)) => v.clone(),
                    _ => json!({"type": "object", "properties": {}}),
                },
            });
            if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
                set(&mut spec, "description", d.into());
            }
            if let Some(c) = tool.extra.get("cache_control") {
                set(&mut spec, "cache_control", c.clone());
            }
            tools.push(spec);
        }
        body.insert("tools".into(), Value::Array(tools));
    }
    let mut choice = match &request.tool_choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => Some(match mode.as_str() {
            "auto" => json!({"type": "auto"}),
            "required" | "any" => json!({"type": "any"}),
            "none" => json!({"type": "none"}),
            other => return Err(invalid(format!("tool_choice: unknown value '{other}' (auto, none, required)"))),
        }),
        Some(ToolChoice::Named(named)) => Some(json!({"type": "tool", "name": named.function.name})),
    };
    if request.extra.get("parallel_tool_calls") == Some(&Value::Bool(false)) && !offered.is_empty() {
        set(choice.get_or_insert_with(|| json!({"type": "auto"})), "disable_parallel_tool_use", true.into());
    }
    if let Some(choice) = choice {
        body.insert("tool_choice".into(), choice);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(body: Value) -> Value {
        let request: ChatRequest = serde_json::from_value(body).unwrap();
        translate(&request, "claude-x").unwrap()
    }

    #[test]
    fn a_tool_conversation_becomes_alternating_turns() {
        let out = translated(json!({
            "model": "alias", "stream": true, "user": "u1", "parallel_tool_calls": false,
            "messages": [
                {"role": "system", "content": [{"type": "text", "text": "rules", "cache_control": {"type": "ephemeral"}}]},
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": "Checking.", "tool_calls": [
                    {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
                {"role": "user", "content": "thanks"}
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
            "tool_choice": "required", "stop": "END", "max_tokens": 10
        }));
        assert_eq!(out["model"], "claude-x");
        assert_eq!(out["system"], json!([{"type": "text", "text": "rules", "cache_control": {"type": "ephemeral"}}]));
        let roles: Vec<&str> =
            out["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
        assert_eq!(
            out["messages"][1]["content"][1],
            json!({"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}})
        );
        assert_eq!(
            out["messages"][2]["content"][0],
            json!({"type": "tool_result", "tool_use_id": "t1", "content": "sunny"})
        );
        assert_eq!(out["messages"][2]["content"][1]["text"], "thanks");
        assert_eq!(out["tool_choice"], json!({"type": "any", "disable_parallel_tool_use": true}));
        assert_eq!(out["tools"][0]["input_schema"], json!({"type": "object"}));
        assert_eq!(out["stop_sequences"], json!(["END"]));
        assert_eq!(out["max_tokens"], 10);
        assert_eq!(out["stream"], true);
        assert_eq!(out["metadata"], json!({"user_id": "u1"}));
    }

    #[test]
    fn images_and_defaults() {
        let out = translated(json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}));
        assert_eq!(
            out["messages"][0]["content"][0]["source"],
            json!({"type": "base64", "media_type": "image/png", "data": "AAAA"})
        );
        assert_eq!(out["messages"][0]["content"][1]["source"], json!({"type": "url", "url": "https://x/y.png"}));
        assert_eq!(out["max_tokens"], DEFAULT_MAX_TOKENS);
        let request: ChatRequest =
            serde_json::from_value(json!({"model": "m", "messages": [{"role": "system", "content": "only"}]})).unwrap();
        assert!(translate(&request, "x").is_err());
    }
}
