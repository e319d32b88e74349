//! A fake of Anthropic's Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`): the
//! headers it requires (`x-api-key`, `anthropic-version`), its validation of a conversation
//! (alternating turns from a user turn, tool results answering the previous turn's tool uses,
//! tools with an input schema), its answers and its stream events, with the shared script.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Map, Value, json};

use crate::RecordedRequest;
use crate::script::{self, Conversation, Finish, Output, Reply};
use crate::server::{Server, Shared, Step, json_response, scripted_body};

const SERVICE: &str = "fake-anthropic";

/// The key the fake accepts unless told otherwise.
pub const DEFAULT_API_KEY: &str = "sk-ant-fake-upstream";

pub struct FakeAnthropic {
    server: Server,
}

impl FakeAnthropic {
    pub async fn start() -> anyhow::Result<FakeAnthropic> {
        FakeAnthropic::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<FakeAnthropic> {
        let shared = Shared::new(Some(DEFAULT_API_KEY.to_owned()));
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .route("/v1/messages/count_tokens", post(count_tokens))
            .with_state(shared.clone());
        let server = Server::start(addr, shared, app).await?;
        Ok(FakeAnthropic { server })
    }

    /// `http://127.0.0.1:PORT`, the `api_base` of an `anthropic/` model.
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
    let mut response = json_response(status, &json!({"type": "error", "error": {"type": kind, "message": message}}));
    response.headers_mut().insert("request-id", HeaderValue::from_static("req_fake"));
    response
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", message)
}

/// Anthropic answers a missing or wrong key with 401, a missing version with 400.
fn check_headers(shared: &Shared, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key.is_none() || key.map(str::to_owned) != shared.expected_api_key() {
        return Err(Box::new(error(StatusCode::UNAUTHORIZED, "authentication_error", "invalid x-api-key")));
    }
    if headers.get("anthropic-version").is_none() {
        return Err(Box::new(invalid("anthropic-version: header is required")));
    }
    Ok(())
}

async fn count_tokens(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = check_headers(&shared, &headers) {
        return *e;
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return invalid("The request body is not valid JSON.");
    };
    match validate(&request, false) {
        Ok(conversation) => json_response(StatusCode::OK, &json!({"input_tokens": conversation.prompt_words.max(1)})),
        Err(message) => invalid(&message),
    }
}

async fn messages(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = check_headers(&shared, &headers) {
        return *e;
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return invalid("The request body is not valid JSON.");
    };
    let conversation = match validate(&request, true) {
        Ok(c) => c,
        Err(message) => return invalid(&message),
    };
    let model = request.get("model").and_then(Value::as_str).unwrap_or_default().to_owned();
    if model == "fake-overloaded" {
        return error(
            StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "overloaded_error",
            "Overloaded",
        );
    }
    let reply = script::reply(&conversation, SERVICE);
    let id = format!("msg_fake{}", script::random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 20));
    let content = content_blocks(&reply);
    let usage = json!({"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens,
                       "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0});
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        return stream(shared, &id, &model, &content, &reply, &usage);
    }
    json_response(
        StatusCode::OK,
        &json!({"id": id, "type": "message", "role": "assistant", "model": model, "content": content,
                "stop_reason": stop_reason(reply.finish), "stop_sequence": null, "usage": usage}),
    )
}

fn stop_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "end_turn",
        Finish::Length => "max_tokens",
        Finish::ToolUse => "tool_use",
    }
}

fn content_blocks(reply: &Reply) -> Vec<Value> {
    match &reply.output {
        Output::Text(text) => vec![json!({"type": "text", "text": text})],
        Output::ToolCall { name, arguments } => vec![
            json!({"type": "text", "text": "Let me check."}),
            json!({"type": "tool_use", "id": format!("toolu_{}", script::random_chars(b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 24)),
                   "name": name, "input": arguments}),
        ],
    }
}

fn event(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

fn stream(shared: Arc<Shared>, id: &str, model: &str, content: &[Value], reply: &Reply, usage: &Value) -> Response {
    let mut start_usage = usage.clone();
    start_usage["output_tokens"] = 1.into();
    let mut frames = vec![
        event(
            "message_start",
            &json!({"type": "message_start", "message": {"id": id, "type": "message", "role": "assistant",
            "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": start_usage}}),
        ),
        event("ping", &json!({"type": "ping"})),
    ];
    for (index, block) in content.iter().enumerate() {
        match block["type"].as_str() {
            Some("text") => {
                frames.push(event(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": index,
                    "content_block": {"type": "text", "text": ""}}),
                ));
                for piece in script::stream_pieces(block["text"].as_str().unwrap_or_default()) {
                    frames.push(event(
                        "content_block_delta",
                        &json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "text_delta", "text": piece}}),
                    ));
                }
            }
            _ => {
                frames.push(event(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": index,
                    "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}),
                ));
                let (head, tail) = script::split_in_two(&block["input"].to_string());
                for part in [head, tail] {
                    frames.push(event(
                        "content_block_delta",
                        &json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": part}}),
                    ));
                }
            }
        }
        frames.push(event("content_block_stop", &json!({"type": "content_block_stop", "index": index})));
    }
    frames.push(event(
        "message_delta",
        &json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason(reply.finish), "stop_sequence": null},
        "usage": {"output_tokens": reply.completion_tokens}}),
    ));
    frames.push(event("message_stop", &json!({"type": "message_stop"})));
    let mut response = Response::new(scripted_body(shared, frames.into_iter().map(Step::Data).collect()));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    response
}

type Check<T> = Result<T, String>;

/// What Anthropic checks of a request, and what the script needs from it.
fn validate(request: &Map<String, Value>, needs_max_tokens: bool) -> Check<Conversation> {
    let mut conversation = Conversation::default();
    match request.get("model") {
        Some(Value::String(m)) if !m.is_empty() => {}
        _ => return Err("model: Field required".into()),
    }
    match request.get("max_tokens") {
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => conversation.max_tokens = n.as_u64(),
        None if !needs_max_tokens => {}
        None => return Err("max_tokens: Field required".into()),
        Some(_) => return Err("max_tokens: Input should be a valid integer greater than 0".into()),
    }
    match request.get("system") {
        None => {}
        Some(Value::String(s)) => conversation.prompt_words += script::word_count(s),
        Some(Value::Array(blocks)) => {
            for (i, b) in blocks.iter().enumerate() {
                match (b.get("type").and_then(Value::as_str), b.get("text").and_then(Value::as_str)) {
                    (Some("text"), Some(text)) => conversation.prompt_words += script::word_count(text),
                    _ => return Err(format!("system.{i}: Input should be a valid text block")),
                }
            }
        }
        Some(_) => return Err("system: Input should be a valid string or list of text blocks".into()),
    }
    if let Some(tools) = request.get("tools") {
        let Value::Array(tools) = tools else { return Err("tools: Input should be a valid list".into()) };
        for (i, tool) in tools.iter().enumerate() {
            let name = tool.get("name").and_then(Value::as_str).ok_or(format!("tools.{i}.name: Field required"))?;
            let schema = tool
                .get("input_schema")
                .filter(|s| s.is_object())
                .ok_or(format!("tools.{i}.input_schema: Field required"))?;
            conversation.tools.push((name.to_owned(), schema.clone()));
        }
        conversation.first_tool = conversation.tools.first().cloned();
    }
    if let Some(choice) = request.get("tool_choice") {
        match choice.get("type").and_then(Value::as_str) {
            Some("auto" | "any" | "tool") => {}
            Some("none") => {
                conversation.tools.clear();
                conversation.first_tool = None;
            }
            _ => return Err("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'".into()),
        }
    }
    let Some(Value::Array(messages)) = request.get("messages") else {
        return Err("messages: Field required".into());
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut previous_tool_uses: Vec<String> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
        let expected = if i % 2 == 0 { "user" } else { "assistant" };
        if role != "user" && role != "assistant" {
            return Err(format!("messages.{i}.role: Input should be 'user' or 'assistant'"));
        }
        if role != expected {
            return Err(format!(
                "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"{role}\" roles in a row"
            ));
        }
        let blocks: Vec<Value> = match message.get("content") {
            Some(Value::String(text)) => vec![json!({"type": "text", "text": text})],
            Some(Value::Array(blocks)) => blocks.clone(),
            _ => return Err(format!("messages.{i}.content: Field required")),
        };
        let mut texts = Vec::new();
        let mut results = Vec::new();
        let mut uses = Vec::new();
        for (j, block) in blocks.iter().enumerate() {
            let at = format!("messages.{i}.content.{j}");
            match block.get("type").and_then(Value::as_str) {
                Some("text") => {
                    let text = block.get("text").and_then(Value::as_str).ok_or(format!("{at}.text: Field required"))?;
                    texts.push(text.to_owned());
                }
                Some("image") => {}
                Some("thinking" | "redacted_thinking") if role == "assistant" => {}
                Some("tool_use") if role == "assistant" => {
                    let id = block.get("id").and_then(Value::as_str).ok_or(format!("{at}.id: Field required"))?;
                    if !block.get("input").is_some_and(Value::is_object) {
                        return Err(format!("{at}.input: Input should be a valid dictionary"));
                    }
                    uses.push(id.to_owned());
                }
                Some("tool_result") if role == "user" => {
                    let id = block
                        .get("tool_use_id")
                        .and_then(Value::as_str)
                        .ok_or(format!("{at}.tool_use_id: Field required"))?;
                    if !previous_tool_uses.iter().any(|u| u == id) {
                        return Err(format!(
                            "{at}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                        ));
                    }
                    let text = match block.get("content") {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Array(parts)) => parts
                            .iter()
                            .filter_map(|p| p.get("text").and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join(" "),
                        _ => String::new(),
                    };
                    results.push((id.to_owned(), text));
                }
                other => return Err(format!("{at}.type: unexpected block type {other:?} in a {role} message")),
            }
        }
        if role == "user" {
            let missing: Vec<&String> =
                previous_tool_uses.iter().filter(|u| !results.iter().any(|(id, _)| id == *u)).collect();
            if !missing.is_empty() {
                return Err(format!(
                    "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {}",
                    missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        for text in &texts {
            conversation.prompt_words += script::word_count(text);
        }
        for (_, text) in &results {
            conversation.prompt_words += script::word_count(text);
        }
        if role == "user" {
            if results.is_empty() {
                conversation.last_is_plain_user = true;
                conversation.tool_results = None;
                conversation.user_text = texts.join(" ");
            } else {
                conversation.last_is_plain_user = false;
                conversation.tool_results = Some(results.into_iter().map(|(_, t)| t).collect());
            }
        } else {
            conversation.last_is_plain_user = false;
            conversation.tool_results = None;
        }
        previous_tool_uses = uses;
    }
    Ok(conversation)
}
