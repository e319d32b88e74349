//! OpenAI chat request → Bedrock Converse input.
//!
//! Converse is stricter than OpenAI: roles must alternate starting with a user turn, text must
//! not be blank, tool results travel in user turns (before any other content), and a
//! conversation that holds tool blocks must declare a toolConfig. The translation produces
//! requests that satisfy those rules from any valid OpenAI conversation.

use std::borrow::Cow;
use std::collections::BTreeSet;

use base64::Engine;
use serde_json::Value;

use super::wire::{
    CachePoint, ContentBlock, ConverseRequest, Empty, Image, ImageSource, InferenceConfig, InputSchema, Message,
    Reasoning, Role as ConverseRole, SystemBlock, Tool, ToolChoice as ConverseToolChoice, ToolConfig, ToolResult,
    ToolResultText, ToolSpec, ToolUse,
};
use crate::providers::ProviderError;
use crate::schema::{
    ChatMessage, ChatRequest, ContentPart, MessageContent, Role, Stop, Tool as OpenAiTool, ToolChoice,
};

fn invalid(msg: impl Into<String>) -> ProviderError {
    ProviderError::InvalidRequest(msg.into())
}

/// A turn being assembled; tool results are kept apart so they can lead the user turn.
struct Turn<'a> {
    role: ConverseRole,
    tool_results: Vec<ContentBlock<'a>>,
    blocks: Vec<ContentBlock<'a>>,
}

pub fn translate(request: &ChatRequest) -> Result<ConverseRequest<'_>, ProviderError> {
    let mut system = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    let mut tool_names_in_history = BTreeSet::new();

    for (i, message) in request.messages.iter().enumerate() {
        match message.role {
            Role::System | Role::Developer => system.extend(system_blocks(message, i)?),
            Role::User => {
                let mut blocks = user_blocks(message, i)?;
                if let Some(point) = cache_point(message.extra.get("cache_control"), || format!("messages[{i}]"))? {
                    blocks.push(ContentBlock::CachePoint(point));
                }
                push(&mut turns, ConverseRole::User, Vec::new(), blocks);
            }
            Role::Assistant => {
                let mut blocks = reasoning_blocks(message, i)?;
                blocks.extend(texts(message, i)?.into_iter().map(|t| ContentBlock::Text(Cow::Borrowed(t))));
                for call in message.tool_calls.iter().flatten() {
                    tool_names_in_history.insert(call.function.name.as_str());
                    blocks.push(ContentBlock::ToolUse(ToolUse {
                        tool_use_id: &call.id,
                        name: &call.function.name,
                        input: crate::schema::tool_input(&call.function.arguments),
                    }));
                }
                if let Some(point) = cache_point(message.extra.get("cache_control"), || format!("messages[{i}]"))? {
                    blocks.push(ContentBlock::CachePoint(point));
                }
                push(&mut turns, ConverseRole::Assistant, Vec::new(), blocks);
            }
            Role::Tool | Role::Function => {
                let id = message.tool_call_id.as_deref().filter(|id| !id.is_empty()).ok_or_else(|| {
                    invalid(format!("messages[{i}]: a tool message needs the tool_call_id of the call it answers"))
                })?;
                let parts = texts(message, i)?;
                let text = match parts.as_slice() {
                    // Converse rejects blank text; an empty tool output is still an answer.
                    [] => Cow::Borrowed("(no output)"),
                    [one] => Cow::Borrowed(*one),
                    many => Cow::Owned(many.join("\n")),
                };
                let result = ToolResult { tool_use_id: id, content: [ToolResultText { text }], status: "success" };
                let mut results = vec![ContentBlock::ToolResult(result)];
                if let Some(point) = cache_point(message.extra.get("cache_control"), || format!("messages[{i}]"))? {
                    results.push(ContentBlock::CachePoint(point));
                }
                push(&mut turns, ConverseRole::User, results, Vec::new());
            }
        }
    }

    if turns.is_empty() {
        return Err(invalid("messages: Bedrock needs at least one user message besides system prompts"));
    }
    if turns.first().is_some_and(|t| t.role != ConverseRole::User) {
        // Converse conversations must open with a user turn.
        turns.insert(
            0,
            Turn {
                role: ConverseRole::User,
                tool_results: Vec::new(),
                blocks: vec![ContentBlock::Text(Cow::Borrowed("."))],
            },
        );
    }

    let messages = turns
        .into_iter()
        .map(|t| {
            let mut content = t.tool_results;
            content.extend(t.blocks);
            Message { role: t.role, content }
        })
        .collect();

    Ok(ConverseRequest {
        messages,
        system,
        inference_config: inference_config(request),
        tool_config: tool_config(request, &tool_names_in_history)?,
        additional_model_request_fields: additional_fields(request),
    })
}

/// Anthropic's `cache_control` (LiteLLM takes it on messages, content parts and tools) as a
/// Converse cache point after the block it marks.
/// `at` names the marked block in an error.
fn cache_point(cache_control: Option<&Value>, at: impl Fn() -> String) -> Result<Option<CachePoint>, ProviderError> {
    let Some(control) = cache_control.filter(|c| !c.is_null()) else { return Ok(None) };
    let ttl = match control.get("ttl").and_then(Value::as_str) {
        None => None,
        Some("5m") => Some("5m"),
        Some("1h") => Some("1h"),
        Some(other) => return Err(invalid(format!("{}.cache_control.ttl: '{other}' is not 5m or 1h", at()))),
    };
    Ok(Some(CachePoint { kind: "default", ttl }))
}

/// A system message's texts, each followed by its cache point if it has one.
fn system_blocks(message: &ChatMessage, i: usize) -> Result<Vec<SystemBlock<'_>>, ProviderError> {
    let mut blocks = Vec::new();
    match &message.content {
        Some(MessageContent::Parts(parts)) => {
            for (j, part) in parts.iter().enumerate() {
                if part.kind != "text" {
                    return Err(invalid(format!(
                        "messages[{i}].content[{j}]: a system message cannot hold a '{}' part",
                        part.kind
                    )));
                }
                blocks.extend(part.text.as_deref().and_then(non_blank).map(SystemBlock::Text));
                if let Some(point) =
                    cache_point(part.extra.get("cache_control"), || format!("messages[{i}].content[{j}]"))?
                {
                    blocks.push(SystemBlock::CachePoint(point));
                }
            }
        }
        _ => blocks.extend(texts(message, i)?.into_iter().map(SystemBlock::Text)),
    }
    if let Some(point) = cache_point(message.extra.get("cache_control"), || format!("messages[{i}]"))? {
        blocks.push(SystemBlock::CachePoint(point));
    }
    Ok(blocks)
}

/// An assistant turn's earlier reasoning (LiteLLM's `thinking_blocks`), which Claude needs back
/// with its signature when thinking is on and the turn used tools.
fn reasoning_blocks(message: &ChatMessage, i: usize) -> Result<Vec<ContentBlock<'_>>, ProviderError> {
    let Some(Value::Array(items)) = message.extra.get("thinking_blocks") else { return Ok(Vec::new()) };
    let mut blocks = Vec::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let at = || format!("messages[{i}].thinking_blocks[{j}]");
        let block = match item.get("type").and_then(Value::as_str) {
            Some("thinking") => Reasoning::ReasoningText {
                text: item.get("thinking").and_then(Value::as_str).unwrap_or_default(),
                signature: item.get("signature").and_then(Value::as_str),
            },
            Some("redacted_thinking") => {
                let data = item.get("data").and_then(Value::as_str).unwrap_or_default();
                checked_base64(data).map_err(|e| invalid(format!("{}.data: invalid base64 ({e})", at())))?;
                Reasoning::RedactedContent(data)
            }
            _ => return Err(invalid(format!("{}.type: must be 'thinking' or 'redacted_thinking'", at()))),
        };
        blocks.push(ContentBlock::ReasoningContent(block));
    }
    Ok(blocks)
}

/// Whether `data` is standard base64, which restJson1 blobs are written in (the text is sent
/// as it came, not decoded and encoded again).
fn checked_base64(data: &str) -> Result<(), base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(data).map(drop)
}

/// Request fields that Converse has no parameter for but Claude takes through
/// `additionalModelRequestFields`, as LiteLLM sends them.
fn additional_fields(request: &ChatRequest) -> Vec<(&'static str, &Value)> {
    ["thinking", "top_k"]
        .into_iter()
        .filter_map(|name| request.extra.get(name).filter(|v| !v.is_null()).map(|v| (name, v)))
        .collect()
}

/// Appends blocks to the last turn when it has the same role (Converse wants alternation),
/// else opens a new turn. A message that adds nothing opens nothing.
fn push<'a>(
    turns: &mut Vec<Turn<'a>>,
    role: ConverseRole,
    tool_results: Vec<ContentBlock<'a>>,
    blocks: Vec<ContentBlock<'a>>,
) {
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

/// The non-blank texts of a message (a string, or the text parts of an array).
fn texts(message: &ChatMessage, i: usize) -> Result<Vec<&str>, ProviderError> {
    Ok(match &message.content {
        None => Vec::new(),
        Some(MessageContent::Text(t)) => non_blank(t).into_iter().collect(),
        Some(MessageContent::Parts(parts)) => {
            let mut out = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                match part.kind.as_str() {
                    "text" => out.extend(part.text.as_deref().and_then(non_blank)),
                    other => {
                        return Err(invalid(format!(
                            "messages[{i}].content[{j}]: a {:?} message cannot hold a '{other}' part",
                            message.role
                        )));
                    }
                }
            }
            out
        }
    })
}

fn non_blank(text: &str) -> Option<&str> {
    (!text.trim().is_empty()).then_some(text)
}

fn user_blocks(message: &ChatMessage, i: usize) -> Result<Vec<ContentBlock<'_>>, ProviderError> {
    let Some(MessageContent::Parts(parts)) = &message.content else {
        return Ok(texts(message, i)?.into_iter().map(|t| ContentBlock::Text(Cow::Borrowed(t))).collect());
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        match part.kind.as_str() {
            "text" => {
                blocks.extend(part.text.as_deref().and_then(non_blank).map(|t| ContentBlock::Text(Cow::Borrowed(t))))
            }
            "image_url" => blocks.push(image_block(part, i, j)?),
            other => {
                return Err(invalid(format!(
                    "messages[{i}].content[{j}]: content parts of type '{other}' are not supported for Bedrock models (text and image_url are)"
                )));
            }
        }
        if let Some(point) = cache_point(part.extra.get("cache_control"), || format!("messages[{i}].content[{j}]"))? {
            blocks.push(ContentBlock::CachePoint(point));
        }
    }
    Ok(blocks)
}

fn image_block(part: &ContentPart, i: usize, j: usize) -> Result<ContentBlock<'_>, ProviderError> {
    let at = format!("messages[{i}].content[{j}].image_url");
    let url = part.image_url.as_ref().map(|u| u.url()).ok_or_else(|| invalid(format!("{at}: missing")))?;
    let Some(rest) = url.strip_prefix("data:") else {
        return Err(invalid(format!(
            "{at}: Bedrock takes images inline; send a data URL (data:image/png;base64,...) instead of a link"
        )));
    };
    let (meta, data) = rest.split_once(',').ok_or_else(|| invalid(format!("{at}: malformed data URL")))?;
    let mime =
        meta.strip_suffix(";base64").ok_or_else(|| invalid(format!("{at}: the data URL must be base64-encoded")))?;
    let format = match mime {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return Err(invalid(format!("{at}: image type '{other}' is not supported (png, jpeg, gif, webp are)")));
        }
    };
    let data = data.trim();
    checked_base64(data).map_err(|e| invalid(format!("{at}: invalid base64 ({e})")))?;
    Ok(ContentBlock::Image(Image { format, source: ImageSource { bytes: data } }))
}

fn inference_config(request: &ChatRequest) -> Option<InferenceConfig<'_>> {
    let stop_sequences: &[String] = match &request.stop {
        None => &[],
        Some(Stop::One(s)) => std::slice::from_ref(s),
        Some(Stop::Many(v)) => v,
    };
    let config = InferenceConfig {
        max_tokens: request.max_output_tokens().map(|n| n.min(i32::MAX as u32)),
        temperature: request.temperature,
        top_p: request.top_p,
        stop_sequences,
    };
    let empty =
        config.max_tokens.is_none() && config.temperature.is_none() && config.top_p.is_none() && request.stop.is_none();
    (!empty).then_some(config)
}

fn tool_config<'a>(
    request: &'a ChatRequest,
    names_in_history: &BTreeSet<&'a str>,
) -> Result<Option<ToolConfig<'a>>, ProviderError> {
    let history_has_tools =
        !names_in_history.is_empty() || request.messages.iter().any(|m| matches!(m.role, Role::Tool | Role::Function));
    let choice = request.tool_choice.as_ref();
    let choice_none = matches!(choice, Some(ToolChoice::Mode(m)) if m == "none");

    let offered: &[OpenAiTool] = request.tools.as_deref().unwrap_or_default();
    let mut tools = Vec::new();
    if !choice_none || history_has_tools {
        for (i, tool) in offered.iter().enumerate() {
            tools.push(tool_spec(tool, i)?);
            if let Some(point) = cache_point(tool.extra.get("cache_control"), || format!("tools[{i}]"))? {
                tools.push(Tool::CachePoint(point));
            }
        }
    }
    if tools.is_empty() {
        if !history_has_tools {
            return Ok(None);
        }
        // The conversation holds tool blocks but the request offers no tools: Converse still
        // needs them declared.
        for name in names_in_history {
            tools.push(Tool::ToolSpec(ToolSpec {
                name,
                description: None,
                input_schema: InputSchema { json: Cow::Owned(serde_json::json!({"type": "object"})) },
            }));
        }
        if tools.is_empty() {
            return Err(invalid("messages: tool results without any tool call or tool definition"));
        }
    }

    let tool_choice = match choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => Some(ConverseToolChoice::Auto(Empty {})),
            // Converse has no "none"; the tools stay declared only because the history needs them.
            "none" => None,
            "required" | "any" => Some(ConverseToolChoice::Any(Empty {})),
            other => {
                return Err(invalid(format!("tool_choice: unknown value '{other}' (auto, none, required)")));
            }
        },
        Some(ToolChoice::Named(named)) => Some(ConverseToolChoice::Tool { name: &named.function.name }),
    };

    Ok(Some(ToolConfig { tools, tool_choice }))
}

fn tool_spec(tool: &OpenAiTool, i: usize) -> Result<Tool<'_>, ProviderError> {
    let f = &tool.function;
    let name_ok = !f.name.is_empty()
        && f.name.len() <= 64
        && f.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !name_ok {
        return Err(invalid(format!(
            "tools[{i}].function.name: '{}' is not a valid tool name for Bedrock (1-64 letters, digits, _ or -)",
            f.name
        )));
    }
    let schema = match &f.parameters {
        Some(v @ Value::Object(_)) => Cow::Borrowed(v),
        None | Some(Value::Null) => Cow::Owned(serde_json::json!({"type": "object", "properties": {}})),
        Some(_) => {
            return Err(invalid(format!("tools[{i}].function.parameters: must be a JSON schema object")));
        }
    };
    Ok(Tool::ToolSpec(ToolSpec {
        name: &f.name,
        description: f.description.as_deref().and_then(non_blank),
        input_schema: InputSchema { json: schema },
    }))
}

#[cfg(test)]
mod tests;
