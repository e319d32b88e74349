//! OpenAI chat request → Bedrock Converse input.
//!
//! Converse is stricter than OpenAI: roles must alternate starting with a user turn, text must
//! not be blank, tool results travel in user turns (before any other content), and a
//! conversation that holds tool blocks must declare a toolConfig. The translation produces
//! requests that satisfy those rules from any valid OpenAI conversation.

use std::collections::BTreeSet;

use aws_sdk_bedrockruntime::types::{
    AnyToolChoice, AutoToolChoice, CachePointBlock, CachePointType, CacheTtl, ContentBlock, ConversationRole,
    ImageBlock, ImageFormat, ImageSource, InferenceConfiguration, Message, ReasoningContentBlock, ReasoningTextBlock,
    SpecificToolChoice, SystemContentBlock, Tool, ToolChoice as BedrockToolChoice, ToolConfiguration, ToolInputSchema,
    ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use aws_smithy_types::{Blob, Document};
use base64::Engine;
use serde_json::Value;

use super::document;
use crate::providers::ProviderError;
use crate::schema::{ChatMessage, ChatRequest, ContentPart, MessageContent, Role, Tool as OpenAiTool, ToolChoice};

pub struct ConverseInput {
    pub messages: Vec<Message>,
    pub system: Vec<SystemContentBlock>,
    pub inference: Option<InferenceConfiguration>,
    pub tool_config: Option<ToolConfiguration>,
    /// Model-specific fields Converse passes through (`thinking`, `top_k`).
    pub additional: Option<Document>,
}

fn invalid(msg: impl Into<String>) -> ProviderError {
    ProviderError::InvalidRequest(msg.into())
}

/// A turn being assembled; tool results are kept apart so they can lead the user turn.
struct Turn {
    role: ConversationRole,
    tool_results: Vec<ContentBlock>,
    blocks: Vec<ContentBlock>,
}

pub fn translate(request: &ChatRequest) -> Result<ConverseInput, ProviderError> {
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
                push(&mut turns, ConversationRole::User, Vec::new(), blocks);
            }
            Role::Assistant => {
                let mut blocks = reasoning_blocks(message, i)?;
                blocks.extend(texts(message, i)?.into_iter().map(ContentBlock::Text));
                for call in message.tool_calls.iter().flatten() {
                    tool_names_in_history.insert(call.function.name.clone());
                    blocks.push(ContentBlock::ToolUse(
                        ToolUseBlock::builder()
                            .tool_use_id(&call.id)
                            .name(&call.function.name)
                            .input(document::from_json(&crate::schema::tool_input(&call.function.arguments)))
                            .build()
                            .map_err(|e| invalid(format!("messages[{i}].tool_calls: {e}")))?,
                    ));
                }
                if let Some(point) = cache_point(message.extra.get("cache_control"), || format!("messages[{i}]"))? {
                    blocks.push(ContentBlock::CachePoint(point));
                }
                push(&mut turns, ConversationRole::Assistant, Vec::new(), blocks);
            }
            Role::Tool | Role::Function => {
                let id = message.tool_call_id.as_deref().filter(|id| !id.is_empty()).ok_or_else(|| {
                    invalid(format!("messages[{i}]: a tool message needs the tool_call_id of the call it answers"))
                })?;
                let mut text = texts(message, i)?.join("\n");
                if text.trim().is_empty() {
                    // Converse rejects blank text; an empty tool output is still an answer.
                    text = "(no output)".to_string();
                }
                let result = ToolResultBlock::builder()
                    .tool_use_id(id)
                    .content(ToolResultContentBlock::Text(text))
                    .status(ToolResultStatus::Success)
                    .build()
                    .map_err(|e| invalid(format!("messages[{i}]: {e}")))?;
                let mut results = vec![ContentBlock::ToolResult(result)];
                if let Some(point) = cache_point(message.extra.get("cache_control"), || format!("messages[{i}]"))? {
                    results.push(ContentBlock::CachePoint(point));
                }
                push(&mut turns, ConversationRole::User, results, Vec::new());
            }
        }
    }

    if turns.is_empty() {
        return Err(invalid("messages: Bedrock needs at least one user message besides system prompts"));
    }
    if turns.first().is_some_and(|t| t.role != ConversationRole::User) {
        // Converse conversations must open with a user turn.
        turns.insert(
            0,
            Turn {
                role: ConversationRole::User,
                tool_results: Vec::new(),
                blocks: vec![ContentBlock::Text(".".into())],
            },
        );
    }

    let messages = turns
        .into_iter()
        .map(|t| {
            let mut content = t.tool_results;
            content.extend(t.blocks);
            Message::builder().role(t.role).set_content(Some(content)).build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.to_string()))?;

    Ok(ConverseInput {
        messages,
        system,
        inference: inference_config(request),
        tool_config: tool_config(request, &tool_names_in_history)?,
        additional: additional_fields(request),
    })
}

/// Anthropic's `cache_control` (LiteLLM takes it on messages, content parts and tools) as a
/// Converse cache point after the block it marks.
/// `at` names the marked block in an error.
fn cache_point(
    cache_control: Option<&Value>,
    at: impl Fn() -> String,
) -> Result<Option<CachePointBlock>, ProviderError> {
    let Some(control) = cache_control.filter(|c| !c.is_null()) else { return Ok(None) };
    let ttl = match control.get("ttl").and_then(Value::as_str) {
        None => None,
        Some("5m") => Some(CacheTtl::FiveMinutes),
        Some("1h") => Some(CacheTtl::OneHour),
        Some(other) => return Err(invalid(format!("{}.cache_control.ttl: '{other}' is not 5m or 1h", at()))),
    };
    CachePointBlock::builder()
        .r#type(CachePointType::Default)
        .set_ttl(ttl)
        .build()
        .map(Some)
        .map_err(|e| invalid(format!("{}.cache_control: {e}", at())))
}

/// A system message's texts, each followed by its cache point if it has one.
fn system_blocks(message: &ChatMessage, i: usize) -> Result<Vec<SystemContentBlock>, ProviderError> {
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
                blocks.extend(part.text.as_deref().and_then(non_blank).map(SystemContentBlock::Text));
                if let Some(point) =
                    cache_point(part.extra.get("cache_control"), || format!("messages[{i}].content[{j}]"))?
                {
                    blocks.push(SystemContentBlock::CachePoint(point));
                }
            }
        }
        _ => blocks.extend(texts(message, i)?.into_iter().map(SystemContentBlock::Text)),
    }
    if let Some(point) = cache_point(message.extra.get("cache_control"), || format!("messages[{i}]"))? {
        blocks.push(SystemContentBlock::CachePoint(point));
    }
    Ok(blocks)
}

/// An assistant turn's earlier reasoning (LiteLLM's `thinking_blocks`), which Claude needs back
/// with its signature when thinking is on and the turn used tools.
fn reasoning_blocks(message: &ChatMessage, i: usize) -> Result<Vec<ContentBlock>, ProviderError> {
    let Some(Value::Array(items)) = message.extra.get("thinking_blocks") else { return Ok(Vec::new()) };
    let mut blocks = Vec::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let at = format!("messages[{i}].thinking_blocks[{j}]");
        let block = match item.get("type").and_then(Value::as_str) {
            Some("thinking") => {
                let text = item.get("thinking").and_then(Value::as_str).unwrap_or_default();
                let signature = item.get("signature").and_then(Value::as_str);
                ReasoningContentBlock::ReasoningText(
                    ReasoningTextBlock::builder()
                        .text(text)
                        .set_signature(signature.map(str::to_string))
                        .build()
                        .map_err(|e| invalid(format!("{at}: {e}")))?,
                )
            }
            Some("redacted_thinking") => {
                let data = item.get("data").and_then(Value::as_str).unwrap_or_default();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|e| invalid(format!("{at}.data: invalid base64 ({e})")))?;
                ReasoningContentBlock::RedactedContent(Blob::new(bytes))
            }
            _ => return Err(invalid(format!("{at}.type: must be 'thinking' or 'redacted_thinking'"))),
        };
        blocks.push(ContentBlock::ReasoningContent(block));
    }
    Ok(blocks)
}

/// Request fields that Converse has no parameter for but Claude takes through
/// `additionalModelRequestFields`, as LiteLLM sends them.
fn additional_fields(request: &ChatRequest) -> Option<Document> {
    let mut fields = std::collections::HashMap::new();
    for name in ["thinking", "top_k"] {
        if let Some(value) = request.extra.get(name).filter(|v| !v.is_null()) {
            fields.insert(name.to_string(), document::from_json(value));
        }
    }
    (!fields.is_empty()).then_some(Document::Object(fields))
}

/// Appends blocks to the last turn when it has the same role (Converse wants alternation),
/// else opens a new turn. A message that adds nothing opens nothing.
fn push(turns: &mut Vec<Turn>, role: ConversationRole, tool_results: Vec<ContentBlock>, blocks: Vec<ContentBlock>) {
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
fn texts(message: &ChatMessage, i: usize) -> Result<Vec<String>, ProviderError> {
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

fn non_blank(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_string())
}

fn user_blocks(message: &ChatMessage, i: usize) -> Result<Vec<ContentBlock>, ProviderError> {
    let Some(MessageContent::Parts(parts)) = &message.content else {
        return Ok(texts(message, i)?.into_iter().map(ContentBlock::Text).collect());
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        match part.kind.as_str() {
            "text" => blocks.extend(part.text.as_deref().and_then(non_blank).map(ContentBlock::Text)),
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

fn image_block(part: &ContentPart, i: usize, j: usize) -> Result<ContentBlock, ProviderError> {
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
        "image/png" => ImageFormat::Png,
        "image/jpeg" | "image/jpg" => ImageFormat::Jpeg,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::Webp,
        other => {
            return Err(invalid(format!("{at}: image type '{other}' is not supported (png, jpeg, gif, webp are)")));
        }
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| invalid(format!("{at}: invalid base64 ({e})")))?;
    let block = ImageBlock::builder()
        .format(format)
        .source(ImageSource::Bytes(Blob::new(bytes)))
        .build()
        .map_err(|e| invalid(format!("{at}: {e}")))?;
    Ok(ContentBlock::Image(block))
}

fn inference_config(request: &ChatRequest) -> Option<InferenceConfiguration> {
    let stop = request.stop.clone().map(|s| s.into_vec());
    if request.max_output_tokens().is_none()
        && request.temperature.is_none()
        && request.top_p.is_none()
        && stop.is_none()
    {
        return None;
    }
    Some(
        InferenceConfiguration::builder()
            .set_max_tokens(request.max_output_tokens().map(|n| n.min(i32::MAX as u32) as i32))
            .set_temperature(request.temperature.map(|t| t as f32))
            .set_top_p(request.top_p.map(|p| p as f32))
            .set_stop_sequences(stop)
            .build(),
    )
}

fn tool_config(
    request: &ChatRequest,
    names_in_history: &BTreeSet<String>,
) -> Result<Option<ToolConfiguration>, ProviderError> {
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
            tools.push(Tool::ToolSpec(
                ToolSpecification::builder()
                    .name(name)
                    .input_schema(ToolInputSchema::Json(document::from_json(&serde_json::json!({"type": "object"}))))
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            ));
        }
        if tools.is_empty() {
            return Err(invalid("messages: tool results without any tool call or tool definition"));
        }
    }

    let tool_choice = match choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => Some(BedrockToolChoice::Auto(AutoToolChoice::builder().build())),
            // Converse has no "none"; the tools stay declared only because the history needs them.
            "none" => None,
            "required" | "any" => Some(BedrockToolChoice::Any(AnyToolChoice::builder().build())),
            other => {
                return Err(invalid(format!("tool_choice: unknown value '{other}' (auto, none, required)")));
            }
        },
        Some(ToolChoice::Named(named)) => Some(BedrockToolChoice::Tool(
            SpecificToolChoice::builder().name(&named.function.name).build().map_err(|e| invalid(e.to_string()))?,
        )),
    };

    ToolConfiguration::builder()
        .set_tools(Some(tools))
        .set_tool_choice(tool_choice)
        .build()
        .map(Some)
        .map_err(|e| invalid(e.to_string()))
}

fn tool_spec(tool: &OpenAiTool, i: usize) -> Result<Tool, ProviderError> {
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
        Some(v @ Value::Object(_)) => v.clone(),
        None | Some(Value::Null) => serde_json::json!({"type": "object", "properties": {}}),
        Some(_) => {
            return Err(invalid(format!("tools[{i}].function.parameters: must be a JSON schema object")));
        }
    };
    ToolSpecification::builder()
        .name(&f.name)
        .set_description(f.description.as_deref().and_then(non_blank))
        .input_schema(ToolInputSchema::Json(document::from_json(&schema)))
        .build()
        .map(Tool::ToolSpec)
        .map_err(|e| invalid(format!("tools[{i}]: {e}")))
}

#[cfg(test)]
mod tests;
