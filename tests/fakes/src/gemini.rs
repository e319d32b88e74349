//! A fake of Google AI Studio's Gemini API: `POST /v1beta/models/{model}:generateContent`,
//! `:streamGenerateContent?alt=sse`, `:countTokens` and `:batchEmbedContents`, with the
//! `x-goog-api-key` header, Google's error bodies (`{"error": {"code", "message", "status"}}`),
//! and what Gemini checks of a request: contents alternating from a user turn, roles `user` and
//! `model`, a `functionResponse` answering each `functionCall` of the previous model turn by
//! name, function declarations whose schemas hold only keywords Gemini knows, a known
//! `functionCallingConfig.mode`. Answers come from the shared script.
//!
//! Special models: `fake-429` (RESOURCE_EXHAUSTED), `fake-blocked` (the prompt is blocked for
//! SAFETY).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::RecordedRequest;
use crate::script::{self, Conversation, Finish, Output, Reply};
use crate::server::{Server, Shared, Step, json_response, scripted_body};

const SERVICE: &str = "fake-gemini";

/// The key the fake accepts.
pub const DEFAULT_API_KEY: &str = "AIzaSy-fake-gemini-key-0123456789";

/// The keywords of Gemini's `Schema`; anything else in a function declaration is refused.
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

pub struct FakeGemini {
    server: Server,
}

impl FakeGemini {
    pub async fn start() -> anyhow::Result<FakeGemini> {
        FakeGemini::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<FakeGemini> {
        let shared = Shared::new(Some(DEFAULT_API_KEY.to_owned()));
        let app = Router::new()
            .route("/v1beta/models/{model_method}", post(dispatch))
            .fallback(|| async { error(StatusCode::NOT_FOUND, "NOT_FOUND", "Requested entity was not found.") })
            .with_state(shared.clone());
        let server = Server::start(addr, shared, app).await?;
        Ok(FakeGemini { server })
    }

    /// `http://127.0.0.1:PORT`, the `api_base` of a `gemini/` model.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.shared.requests()
    }

    pub fn clear(&self) {
        self.server.shared.clear();
    }
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    json_response(status, &json!({"error": {"code": status.as_u16(), "message": message, "status": kind}}))
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
}

async fn dispatch(
    State(shared): State<Arc<Shared>>,
    Path(model_method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok());
    if key.is_none() || key.map(str::to_owned) != shared.expected_api_key() {
        // What Google answers a wrong key with (400, not 401).
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}),
        );
    }
    let Some((model, method)) = model_method.split_once(':') else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "Requested entity was not found.");
    };
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return invalid("Invalid JSON payload received.");
    };
    let sse = query.as_deref().is_some_and(|q| q.split('&').any(|p| p == "alt=sse"));
    match method {
        "generateContent" => generate(shared, model, &request, false),
        "streamGenerateContent" if sse => generate(shared, model, &request, true),
        // Without alt=sse Gemini streams one JSON array; the gateway must never ask for it.
        "streamGenerateContent" => invalid("the fake serves streams only as server-sent events (alt=sse)"),
        "countTokens" => {
            let Some(Value::Object(inner)) = request.get("generateContentRequest") else {
                return invalid("generateContentRequest: required");
            };
            match validate(inner) {
                Ok(c) => json_response(StatusCode::OK, &json!({"totalTokens": c.prompt_words.max(1)})),
                Err(m) => invalid(&m),
            }
        }
        "batchEmbedContents" => embed(model, &request),
        _ => error(StatusCode::NOT_FOUND, "NOT_FOUND", "Requested entity was not found."),
    }
}

fn embed(model: &str, request: &Map<String, Value>) -> Response {
    let Some(Value::Array(requests)) = request.get("requests") else { return invalid("requests: required") };
    let mut embeddings = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        if r.get("model").and_then(Value::as_str) != Some(&format!("models/{model}")) {
            return invalid(&format!("requests[{i}].model: must be models/{model}, the model of the URL"));
        }
        let text: Vec<&str> = r
            .pointer("/content/parts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect();
        if text.is_empty() {
            return invalid(&format!("requests[{i}].content: must hold text"));
        }
        embeddings.push(json!({"values": crate::vectors::embedding(&text.join(" "), 8)}));
    }
    json_response(StatusCode::OK, &json!({"embeddings": embeddings}))
}

fn generate(shared: Arc<Shared>, model: &str, request: &Map<String, Value>, stream: bool) -> Response {
    let conversation = match validate(request) {
        Ok(c) => c,
        Err(message) => return invalid(&message),
    };
    if model == "fake-429" {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.",
        );
    }
    let usage_of = |reply: &Reply| {
        json!({"promptTokenCount": reply.prompt_tokens, "candidatesTokenCount": reply.completion_tokens,
               "totalTokenCount": reply.total_tokens(), "promptTokensDetails": [{"modality": "TEXT", "tokenCount": reply.prompt_tokens}]})
    };
    let response_id = script::random_chars(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 22);
    if model == "fake-blocked" {
        let body = json!({"promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": conversation.prompt_words, "totalTokenCount": conversation.prompt_words},
            "modelVersion": model, "responseId": response_id});
        return json_response(StatusCode::OK, &body);
    }
    let reply = script::reply(&conversation, SERVICE);
    let finish = match reply.finish {
        Finish::Length => "MAX_TOKENS",
        // Gemini says STOP after a function call too.
        Finish::Stop | Finish::ToolUse => "STOP",
    };
    let parts = match &reply.output {
        Output::Text(text) => vec![json!({"text": text})],
        Output::ToolCall { name, arguments } => vec![json!({"functionCall": {"name": name, "args": arguments}})],
    };
    if !stream {
        return json_response(
            StatusCode::OK,
            &json!({"candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": finish, "index": 0}],
                "usageMetadata": usage_of(&reply), "modelVersion": model, "responseId": response_id}),
        );
    }
    // Text in word pieces, each event a whole GenerateContentResponse; a function call whole;
    // the finish reason and the final counts on the last event. Google ends events with CRLF.
    let pieces: Vec<Value> = match &reply.output {
        Output::Text(text) => script::stream_pieces(text).into_iter().map(|p| json!({"text": p})).collect(),
        Output::ToolCall { .. } => parts,
    };
    let count = pieces.len();
    let mut frames = Vec::with_capacity(count);
    for (i, part) in pieces.into_iter().enumerate() {
        let mut candidate = json!({"content": {"parts": [part], "role": "model"}, "index": 0});
        let mut usage = usage_of(&reply);
        if i + 1 == count {
            candidate["finishReason"] = finish.into();
        } else {
            usage["candidatesTokenCount"] = (i as u64 + 1).into();
            usage["totalTokenCount"] = (reply.prompt_tokens + i as u64 + 1).into();
        }
        let event = json!({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": response_id});
        frames.push(Step::Data(Bytes::from(format!("data: {event}\r\n\r\n"))));
    }
    let mut response = Response::new(scripted_body(shared, frames));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    response
}

type Check<T> = Result<T, String>;

/// Every keyword of a schema (recursively) is one Gemini knows.
fn check_schema(schema: &Value, at: &str) -> Check<()> {
    let Value::Object(fields) = schema else { return Err(format!("{at}: must be an object")) };
    for (key, value) in fields {
        if !SCHEMA_KEYWORDS.contains(&key.as_str()) {
            return Err(format!("Invalid JSON payload received. Unknown name \"{key}\" at '{at}': Cannot find field."));
        }
        match key.as_str() {
            "properties" => {
                for (name, property) in value.as_object().into_iter().flatten() {
                    check_schema(property, &format!("{at}.properties[{name}].value"))?;
                }
            }
            "items" => check_schema(value, &format!("{at}.items"))?,
            "anyOf" => {
                for (i, option) in value.as_array().into_iter().flatten().enumerate() {
                    check_schema(option, &format!("{at}.any_of[{i}]"))?;
                }
            }
            "type" if !value.is_string() => return Err(format!("{at}.type: must be a single type name")),
            _ => {}
        }
    }
    if fields.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("object"))
        && fields.get("properties").and_then(Value::as_object).is_some_and(Map::is_empty)
    {
        return Err(format!("{at}.properties: should be non-empty for OBJECT type"));
    }
    Ok(())
}

fn texts_of(parts: &[Value]) -> Vec<String> {
    parts
        .iter()
        .filter(|p| p.get("thought") != Some(&Value::Bool(true)))
        .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// What Gemini checks of a request, and what the script needs from it.
fn validate(request: &Map<String, Value>) -> Check<Conversation> {
    let mut conversation = Conversation::default();
    for key in request.keys() {
        if !["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "model"]
            .contains(&key.as_str())
        {
            return Err(format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field."));
        }
    }
    if let Some(system) = request.get("systemInstruction") {
        let parts = system.get("parts").and_then(Value::as_array).ok_or("system_instruction.parts: required")?;
        for text in texts_of(parts) {
            conversation.prompt_words += script::word_count(&text);
        }
    }
    if let Some(config) = request.get("generationConfig") {
        let Value::Object(config) = config else { return Err("generation_config: must be an object".into()) };
        for key in config.keys() {
            if ![
                "temperature",
                "topP",
                "topK",
                "maxOutputTokens",
                "stopSequences",
                "candidateCount",
                "seed",
                "presencePenalty",
                "frequencyPenalty",
                "responseMimeType",
                "responseSchema",
                "thinkingConfig",
            ]
            .contains(&key.as_str())
            {
                return Err(format!("Invalid JSON payload received. Unknown name \"{key}\" at 'generation_config'"));
            }
        }
        if let Some(max) = config.get("maxOutputTokens") {
            conversation.max_tokens = Some(
                max.as_u64()
                    .filter(|n| *n > 0)
                    .ok_or("generation_config.max_output_tokens: must be a positive integer")?,
            );
        }
        if config.get("candidateCount").is_some_and(|n| n.as_u64() != Some(1)) {
            return Err("Only one candidate can be specified in the current model".into());
        }
    }
    let mut declared = Vec::new();
    if let Some(tools) = request.get("tools") {
        for (i, tool) in tools.as_array().ok_or("tools: must be a list")?.iter().enumerate() {
            let Value::Object(tool) = tool else { return Err(format!("tools[{i}]: must be an object")) };
            for (key, value) in tool {
                if key != "functionDeclarations" {
                    return Err(format!("Invalid JSON payload received. Unknown name \"{key}\" at 'tools[{i}]'"));
                }
                for (j, f) in value.as_array().ok_or("function_declarations: must be a list")?.iter().enumerate() {
                    let at = format!("tools[{i}].function_declarations[{j}]");
                    let name = f.get("name").and_then(Value::as_str).ok_or(format!("{at}.name: required"))?;
                    if let Some(schema) = f.get("parameters") {
                        check_schema(schema, &format!("{at}.parameters"))?;
                    }
                    declared.push((name.to_owned(), f.get("parameters").cloned().unwrap_or(json!({}))));
                }
            }
        }
    }
    if let Some(config) = request.get("toolConfig") {
        let calling = config.get("functionCallingConfig").ok_or("tool_config.function_calling_config: required")?;
        match calling.get("mode").and_then(Value::as_str) {
            Some("AUTO" | "VALIDATED") => {}
            Some("ANY") => {
                if let Some(allowed) = calling.get("allowedFunctionNames").and_then(Value::as_array) {
                    declared.retain(|(name, _)| allowed.iter().any(|a| a.as_str() == Some(name)));
                    if declared.is_empty() {
                        return Err("allowed_function_names: must name declared functions".into());
                    }
                }
            }
            Some("NONE") => declared.clear(),
            other => return Err(format!("tool_config.function_calling_config.mode: invalid value {other:?}")),
        }
    }
    conversation.first_tool = declared.first().cloned();
    conversation.tools = declared;

    let contents = request.get("contents").and_then(Value::as_array).ok_or("contents: required")?;
    if contents.is_empty() {
        return Err("contents is not specified".into());
    }
    let mut previous_calls: Vec<String> = Vec::new();
    for (i, content) in contents.iter().enumerate() {
        let role = content.get("role").and_then(Value::as_str).unwrap_or("user");
        let expected = if i % 2 == 0 { "user" } else { "model" };
        if role != "user" && role != "model" {
            return Err(format!("contents[{i}].role: must be user or model, not {role}"));
        }
        if role != expected {
            return Err(format!(
                "Please ensure that multiturn requests alternate between user and model (contents[{i}] is a {role} turn)."
            ));
        }
        let parts = content.get("parts").and_then(Value::as_array).filter(|p| !p.is_empty());
        let parts = parts.ok_or(format!("contents[{i}].parts: must not be empty"))?;
        let mut calls = Vec::new();
        let mut responses = Vec::new();
        let mut images = Vec::new();
        for (j, part) in parts.iter().enumerate() {
            let at = format!("contents[{i}].parts[{j}]");
            if let Some(call) = part.get("functionCall") {
                if role != "model" {
                    return Err(format!("{at}: a functionCall must be in a model turn"));
                }
                let name =
                    call.get("name").and_then(Value::as_str).ok_or(format!("{at}.function_call.name: required"))?;
                if !call.get("args").is_none_or(Value::is_object) {
                    return Err(format!("{at}.function_call.args: must be an object"));
                }
                calls.push(name.to_owned());
            } else if let Some(response) = part.get("functionResponse") {
                if role != "user" {
                    return Err(format!("{at}: a functionResponse must be in a user turn"));
                }
                let name = response
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or(format!("{at}.function_response.name: required"))?;
                if !previous_calls.iter().any(|c| c == name) {
                    return Err(format!(
                        "Please ensure that function response turn comes immediately after a function call turn ({at} answers '{name}', which the previous turn did not call)."
                    ));
                }
                let result = response
                    .get("response")
                    .filter(|r| r.is_object())
                    .ok_or(format!("{at}.function_response.response: must be an object"))?;
                let text = match result.get("content") {
                    Some(Value::String(s)) => s.clone(),
                    _ => result.to_string(),
                };
                responses.push((name.to_owned(), text));
            } else if let Some(data) = part.get("inlineData") {
                let mime = data
                    .get("mimeType")
                    .and_then(Value::as_str)
                    .ok_or(format!("{at}.inline_data.mime_type: required"))?;
                let bytes = data
                    .get("data")
                    .and_then(Value::as_str)
                    .and_then(script::decode_base64)
                    .ok_or(format!("{at}.inline_data.data: invalid base64"))?;
                images.push(format!("[image: {}, {} bytes]", mime.trim_start_matches("image/"), bytes.len()));
            } else if part.get("text").is_none_or(|t| !t.is_string()) {
                return Err(format!("{at}: a part must hold text, inlineData, functionCall or functionResponse"));
            }
        }
        if role == "user" && !previous_calls.is_empty() {
            let missing: Vec<&String> =
                previous_calls.iter().filter(|c| !responses.iter().any(|(n, _)| n == *c)).collect();
            if !missing.is_empty() {
                return Err(format!(
                    "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn (no response to {missing:?})."
                ));
            }
        }
        let texts = texts_of(parts);
        for text in &texts {
            conversation.prompt_words += script::word_count(text);
        }
        for (_, text) in &responses {
            conversation.prompt_words += script::word_count(text);
        }
        if role == "user" {
            if responses.is_empty() {
                conversation.last_is_plain_user = true;
                conversation.tool_results = None;
                conversation.user_text = texts.join(" ");
                conversation.image_notes = images;
            } else {
                conversation.last_is_plain_user = false;
                conversation.tool_results = Some(responses.into_iter().map(|(_, t)| t).collect());
            }
        } else {
            conversation.last_is_plain_user = false;
            conversation.tool_results = None;
        }
        previous_calls = calls;
    }
    if contents.last().and_then(|c| c.get("role")).and_then(Value::as_str) == Some("model") {
        return Err("the last content must be a user turn".into());
    }
    Ok(conversation)
}
