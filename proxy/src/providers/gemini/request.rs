//! A chat request → Gemini's `GenerateContentRequest`.
//!
//! Gemini wants the system prompt apart (`systemInstruction`), turns with roles `user` and
//! `model` made of parts, tool calls as `functionCall` parts and their results as
//! `functionResponse` parts in the next user turn. Gemini matches a result to its call by name
//! (it has no call ids), so the ids the client holds are the gateway's: see [`call_id`]. Tool
//! schemas are cut down to the OpenAPI subset Gemini accepts, as LiteLLM does.

use serde_json::{Map, Value, json};

use crate::providers::ProviderError;
use crate::schema::{ChatMessage, ChatRequest, ContentPart, MessageContent, Role, ToolChoice};

fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::InvalidRequest(message.into())
}

/// Separates a tool call id from the thought signature it carries (LiteLLM's convention), so
/// that a thinking model gets its signature back with the call, as Gemini requires.
const THOUGHT_SEPARATOR: &str = "__thought__";

/// The id the client sees for the `index`-th call of an answer. Gemini gives none; the id is
/// derived from the gateway's call id, so the same answer always carries the same ids, and a
/// signed call carries its signature.
pub fn call_id(call: &uuid::Uuid, index: usize, signature: Option<&str>) -> String {
    match signature {
        Some(s) if !s.is_empty() => format!("call_{}{index}{THOUGHT_SEPARATOR}{s}", call.simple()),
        _ => format!("call_{}{index}", call.simple()),
    }
}

fn signature_of(id: &str) -> Option<&str> {
    id.split_once(THOUGHT_SEPARATOR).map(|(_, s)| s).filter(|s| !s.is_empty())
}

struct Turn {
    role: &'static str,
    parts: Vec<Value>,
}

fn push(turns: &mut Vec<Turn>, role: &'static str, parts: Vec<Value>) {
    if parts.is_empty() {
        return;
    }
    match turns.last_mut() {
        // Gemini wants turns to alternate: consecutive messages of one side become one turn
        // (several tool results, or a tool result followed by the user's text).
        Some(last) if last.role == role => last.parts.extend(parts),
        _ => turns.push(Turn { role, parts }),
    }
}

pub fn translate(request: &ChatRequest) -> Result<Value, ProviderError> {
    let mut system = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        match message.role {
            Role::System | Role::Developer => system.extend(text_parts(message, i)?),
            Role::User => push(&mut turns, "user", user_parts(message, i)?),
            Role::Assistant => {
                let mut parts = text_parts(message, i)?;
                for call in message.tool_calls.iter().flatten() {
                    let mut part = json!({"functionCall": {
                        "name": call.function.name,
                        "args": crate::schema::tool_input(&call.function.arguments),
                    }});
                    if let (Some(sig), Value::Object(fields)) = (signature_of(&call.id), &mut part) {
                        fields.insert("thoughtSignature".into(), sig.into());
                    }
                    parts.push(part);
                }
                push(&mut turns, "model", parts);
            }
            Role::Tool | Role::Function => {
                let name = tool_name(request, message, i)?;
                let text = match &message.content {
                    None => String::new(),
                    Some(MessageContent::Text(t)) => t.clone(),
                    Some(MessageContent::Parts(parts)) => {
                        parts.iter().filter_map(|p| p.text.as_deref()).collect::<Vec<_>>().join("\n")
                    }
                };
                // A JSON object result is passed as the response; anything else under
                // `content`, as LiteLLM sends it.
                let response = match serde_json::from_str::<Value>(&text) {
                    Ok(v @ Value::Object(_)) => v,
                    _ => json!({"content": text}),
                };
                push(&mut turns, "user", vec![json!({"functionResponse": {"name": name, "response": response}})]);
            }
        }
    }
    if turns.is_empty() {
        return Err(invalid("messages: Gemini models need at least one user message besides system prompts"));
    }
    if turns.first().is_some_and(|t| t.role != "user") {
        turns.insert(0, Turn { role: "user", parts: vec![json!({"text": "."})] });
    }
    let contents: Vec<Value> = turns.into_iter().map(|t| json!({"role": t.role, "parts": t.parts})).collect();

    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({"parts": system}));
    }
    let config = generation_config(request)?;
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    tools(request, &mut body)?;
    Ok(Value::Object(body))
}

/// The name of the call a tool message answers: from the assistant message that made it.
fn tool_name(request: &ChatRequest, message: &ChatMessage, i: usize) -> Result<String, ProviderError> {
    if let Some(name) = message.name.as_deref().filter(|n| !n.is_empty()) {
        return Ok(name.to_string());
    }
    let id = message.tool_call_id.as_deref().filter(|id| !id.is_empty()).ok_or_else(|| {
        invalid(format!("messages[{i}]: a tool message needs the tool_call_id of the call it answers"))
    })?;
    request
        .messages
        .iter()
        .take(i)
        .rev()
        .flat_map(|m| m.tool_calls.iter().flatten())
        .find(|call| call.id == id)
        .map(|call| call.function.name.clone())
        .ok_or_else(|| {
            invalid(format!("messages[{i}].tool_call_id: no earlier assistant message made the call '{id}'"))
        })
}

fn text_parts(message: &ChatMessage, i: usize) -> Result<Vec<Value>, ProviderError> {
    Ok(match &message.content {
        None => Vec::new(),
        Some(MessageContent::Text(t)) if t.is_empty() => Vec::new(),
        Some(MessageContent::Text(t)) => vec![json!({"text": t})],
        Some(MessageContent::Parts(parts)) => {
            let mut out = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                if part.kind != "text" {
                    return Err(invalid(format!(
                        "messages[{i}].content[{j}]: a {:?} message cannot hold a '{}' part",
                        message.role, part.kind
                    )));
                }
                if let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) {
                    out.push(json!({"text": text}));
                }
            }
            out
        }
    })
}

fn user_parts(message: &ChatMessage, i: usize) -> Result<Vec<Value>, ProviderError> {
    let Some(MessageContent::Parts(parts)) = &message.content else {
        return text_parts(message, i);
    };
    parts.iter().enumerate().filter_map(|(j, part)| user_part(part, i, j).transpose()).collect()
}

fn user_part(part: &ContentPart, i: usize, j: usize) -> Result<Option<Value>, ProviderError> {
    match part.kind.as_str() {
        "text" => Ok(part.text.as_deref().filter(|t| !t.is_empty()).map(|t| json!({"text": t}))),
        "image_url" => {
            let url = part
                .image_url
                .as_ref()
                .map(|u| u.url())
                .ok_or_else(|| invalid(format!("messages[{i}].content[{j}].image_url: missing")))?;
            let (meta, data) = url.strip_prefix("data:").and_then(|rest| rest.split_once(',')).ok_or_else(|| {
                // Gemini reads files it hosts (fileData), not web URLs; the gateway does not
                // fetch URLs on a client's behalf.
                invalid(format!(
                    "messages[{i}].content[{j}].image_url: Gemini models take images as base64 data URLs (data:image/png;base64,...)"
                ))
            })?;
            let mime = meta.strip_suffix(";base64").ok_or_else(|| {
                invalid(format!("messages[{i}].content[{j}].image_url: the data URL must be base64-encoded"))
            })?;
            Ok(Some(json!({"inlineData": {"mimeType": mime, "data": data}})))
        }
        other => Err(invalid(format!(
            "messages[{i}].content[{j}]: content parts of type '{other}' are not supported for Gemini models (text and image_url are)"
        ))),
    }
}

fn generation_config(request: &ChatRequest) -> Result<Map<String, Value>, ProviderError> {
    let mut config = Map::new();
    if let Some(t) = request.temperature {
        config.insert("temperature".into(), t.into());
    }
    if let Some(p) = request.top_p {
        config.insert("topP".into(), p.into());
    }
    if let Some(max) = request.max_output_tokens() {
        config.insert("maxOutputTokens".into(), max.into());
    }
    if let Some(stop) = &request.stop {
        config.insert("stopSequences".into(), json!(stop.clone().into_vec()));
    }
    for (openai, gemini) in [
        ("n", "candidateCount"),
        ("seed", "seed"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
        ("top_k", "topK"),
    ] {
        if let Some(v) = request.extra.get(openai).filter(|v| !v.is_null()) {
            config.insert(gemini.into(), v.clone());
        }
    }
    match request.extra.get("response_format").and_then(|f| f.get("type")).and_then(Value::as_str) {
        Some("json_object") => {
            config.insert("responseMimeType".into(), "application/json".into());
        }
        Some("json_schema") => {
            config.insert("responseMimeType".into(), "application/json".into());
            if let Some(schema) = request.extra.get("response_format").and_then(|f| f.pointer("/json_schema/schema")) {
                config.insert("responseSchema".into(), clean_schema(schema));
            }
        }
        _ => {}
    }
    // Reasoning: OpenAI's effort or Anthropic's budget (from /v1/messages), as LiteLLM maps them;
    // thoughts are asked for so that they come back as reasoning_content.
    let budget = match request.extra.get("reasoning_effort").and_then(Value::as_str) {
        Some("none" | "disable") => Some(0),
        Some("minimal" | "low") => Some(1024),
        Some("medium") => Some(2048),
        Some("high") => Some(4096),
        Some(other) => return Err(invalid(format!("reasoning_effort: unknown value '{other}' (low, medium, high)"))),
        None => request
            .extra
            .get("thinking")
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("enabled"))
            .and_then(|t| t.get("budget_tokens"))
            .and_then(Value::as_u64),
    };
    if let Some(budget) = budget {
        config.insert("thinkingConfig".into(), json!({"thinkingBudget": budget, "includeThoughts": budget > 0}));
    }
    Ok(config)
}

fn tools(request: &ChatRequest, body: &mut Map<String, Value>) -> Result<(), ProviderError> {
    let offered = request.tools.as_deref().unwrap_or_default();
    if !offered.is_empty() {
        let declarations: Vec<Value> =
            offered
                .iter()
                .map(|tool| {
                    let f = &tool.function;
                    let mut declaration = Map::new();
                    declaration.insert("name".into(), f.name.clone().into());
                    if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
                        declaration.insert("description".into(), d.into());
                    }
                    // Gemini refuses an object schema without properties: a tool without
                    // parameters is declared without them.
                    if let Some(schema) = f.parameters.as_ref().filter(|p| {
                        p.get("properties").and_then(Value::as_object).is_some_and(|props| !props.is_empty())
                    }) {
                        declaration.insert("parameters".into(), clean_schema(schema));
                    }
                    Value::Object(declaration)
                })
                .collect();
        body.insert("tools".into(), json!([{"functionDeclarations": declarations}]));
    }
    let config = match &request.tool_choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => Some(match mode.as_str() {
            "auto" => json!({"mode": "AUTO"}),
            "required" | "any" => json!({"mode": "ANY"}),
            "none" => json!({"mode": "NONE"}),
            other => return Err(invalid(format!("tool_choice: unknown value '{other}' (auto, none, required)"))),
        }),
        Some(ToolChoice::Named(named)) => Some(json!({"mode": "ANY", "allowedFunctionNames": [named.function.name]})),
    };
    if let Some(config) = config.filter(|_| !offered.is_empty()) {
        body.insert("toolConfig".into(), json!({"functionCallingConfig": config}));
    }
    Ok(())
}

/// The keywords of Gemini's `Schema` (an OpenAPI 3.0 subset). Others (`additionalProperties`,
/// `$schema`, `strict`, `$ref`, ...) make Gemini refuse the whole request.
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];

/// How deep `$ref`s are followed (a recursive schema cannot be expressed for Gemini).
const MAX_REF_DEPTH: usize = 8;

/// A JSON schema cut down to what Gemini accepts: local `$ref`s inlined, `type: [t, "null"]`
/// as `nullable`, `const` as a one-value enum, unknown keywords dropped.
pub fn clean_schema(schema: &Value) -> Value {
    let defs = schema.get("$defs").or_else(|| schema.get("definitions")).cloned().unwrap_or(Value::Null);
    clean(schema, &defs, 0)
}

fn clean(schema: &Value, defs: &Value, depth: usize) -> Value {
    let Value::Object(fields) = schema else { return schema.clone() };
    if let Some(reference) = fields.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return match defs.get(name) {
            Some(target) if depth < MAX_REF_DEPTH => clean(target, defs, depth + 1),
            _ => json!({"type": "object"}),
        };
    }
    let mut out = Map::new();
    for (key, value) in fields {
        match key.as_str() {
            "properties" => {
                let props = value
                    .as_object()
                    .map(|p| p.iter().map(|(name, s)| (name.clone(), clean(s, defs, depth))).collect::<Map<_, _>>())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" => {
                out.insert(key.clone(), clean(value, defs, depth));
            }
            "anyOf" | "oneOf" => {
                let options: Vec<&Value> = value.as_array().map(|a| a.iter().collect()).unwrap_or_default();
                let non_null: Vec<&Value> =
                    options.iter().copied().filter(|o| o.get("type").and_then(Value::as_str) != Some("null")).collect();
                if non_null.len() < options.len() {
                    out.insert("nullable".into(), true.into());
                }
                match non_null.as_slice() {
                    [only] => {
                        if let Value::Object(inner) = clean(only, defs, depth) {
                            out.extend(inner);
                        }
                    }
                    many => {
                        out.insert("anyOf".into(), many.iter().map(|o| clean(o, defs, depth)).collect());
                    }
                }
            }
            "type" => match value {
                Value::Array(types) => {
                    let mut non_null = types.iter().filter(|t| t.as_str() != Some("null"));
                    if types.len() > 1 && types.iter().any(|t| t.as_str() == Some("null")) {
                        out.insert("nullable".into(), true.into());
                    }
                    if let Some(t) = non_null.next() {
                        out.insert("type".into(), t.clone());
                    }
                }
                other => {
                    out.insert("type".into(), other.clone());
                }
            },
            "const" => {
                out.insert("enum".into(), json!([value]));
            }
            k if SCHEMA_KEYWORDS.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(body: Value) -> Value {
        let request: ChatRequest = serde_json::from_value(body).unwrap();
        translate(&request).unwrap()
    }

    #[test]
    fn a_tool_conversation_becomes_alternating_contents() {
        let id = call_id(&uuid::Uuid::nil(), 0, Some("c2ln"));
        let out = translated(json!({
            "model": "alias", "temperature": 0.2, "max_tokens": 10, "stop": "END", "n": 1,
            "messages": [
                {"role": "system", "content": "rules"},
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": "Checking.", "tool_calls": [
                    {"id": id, "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                {"role": "tool", "tool_call_id": id, "content": "sunny"},
                {"role": "user", "content": "thanks"}
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {
                "type": "object", "additionalProperties": false, "$schema": "x", "strict": true,
                "properties": {"city": {"type": ["string", "null"], "const": "Paris"}}, "required": ["city"]}}}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}}
        }));
        assert_eq!(out["systemInstruction"], json!({"parts": [{"text": "rules"}]}));
        let roles: Vec<&str> =
            out["contents"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "model", "user"]);
        assert_eq!(
            out["contents"][1]["parts"][1],
            json!({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"})
        );
        assert_eq!(
            out["contents"][2]["parts"],
            json!([{"functionResponse": {"name": "get_weather", "response": {"content": "sunny"}}}, {"text": "thanks"}])
        );
        assert_eq!(
            out["tools"][0]["functionDeclarations"][0]["parameters"],
            json!({"type": "object", "properties": {"city": {"type": "string", "nullable": true, "enum": ["Paris"]}},
                   "required": ["city"]})
        );
        assert_eq!(
            out["toolConfig"],
            json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
        );
        assert_eq!(
            out["generationConfig"],
            json!({"temperature": 0.2, "maxOutputTokens": 10, "stopSequences": ["END"], "candidateCount": 1})
        );
    }

    #[test]
    fn refs_are_inlined_and_images_inlined() {
        let schema = json!({"type": "object", "$defs": {"P": {"type": "object", "properties": {"x": {"type": "integer"}}}},
            "properties": {"p": {"$ref": "#/$defs/P"}, "q": {"anyOf": [{"type": "string"}, {"type": "null"}]}}});
        assert_eq!(
            clean_schema(&schema),
            json!({"type": "object", "properties": {"p": {"type": "object", "properties": {"x": {"type": "integer"}}},
                   "q": {"type": "string", "nullable": true}}})
        );
        let out = translated(json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what?"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}));
        assert_eq!(out["contents"][0]["parts"][1], json!({"inlineData": {"mimeType": "image/png", "data": "AAAA"}}));
        let web: ChatRequest = serde_json::from_value(json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}))
        .unwrap();
        assert!(translate(&web).is_err());
        let only_system: ChatRequest =
            serde_json::from_value(json!({"model": "m", "messages": [{"role": "system", "content": "x"}]})).unwrap();
        assert!(translate(&only_system).is_err());
    }
}
