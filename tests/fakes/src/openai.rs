//! A fake of the OpenAI Chat Completions API.
//!
//! Routes: `POST /v1/chat/completions` (also `/chat/completions`),
//! `POST /v1/embeddings` and `POST /v1/completions` (see `openai_embeddings` and
//! `openai_completions`), `GET /v1/models` (also `/models`), plus the `/_fake/*` admin routes.
//! Requests are validated strictly and answered from the script in
//! [`crate::script`]; special model ids trigger errors, delays and broken
//! streams (see the crate docs).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::RecordedRequest;
use crate::script::{self, Conversation, Finish, Output, Reply};
use crate::server::{Server, Shared, Step, json_response, scripted_body};

/// The API key the fake expects unless told otherwise.
pub const DEFAULT_API_KEY: &str = "sk-upstream-test";

/// Model ids listed by `GET /v1/models`.
pub const MODELS: &[&str] = &[
    "gpt-4o-mini",
    "fake-429",
    "fake-500",
    "fake-slow",
    "fake-midstream-error",
    "fake-hang-stream",
    "fake-hostile-error",
    "fake-huge-answer",
];

/// Size of the `fake-huge-answer` body: past the 64 MB a gateway should read.
pub const HUGE_ANSWER_BYTES: usize = 65 * 1024 * 1024;

const SERVICE: &str = "fake-openai";

/// An in-process fake of an OpenAI-compatible upstream. The server runs until
/// this value is dropped.
pub struct FakeOpenAi {
    server: Server,
}

impl FakeOpenAi {
    /// Starts the fake on `127.0.0.1` with an ephemeral port.
    pub async fn start() -> anyhow::Result<FakeOpenAi> {
        FakeOpenAi::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the fake on `addr` (port 0 picks a free port).
    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<FakeOpenAi> {
        let shared = Shared::new(Some(DEFAULT_API_KEY.to_owned()));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/chat/completions", post(chat_completions))
            .route("/v1/embeddings", post(crate::openai_embeddings::embeddings))
            .route("/embeddings", post(crate::openai_embeddings::embeddings))
            .route("/v1/completions", post(crate::openai_completions::completions))
            .route("/completions", post(crate::openai_completions::completions))
            .route("/v1/models", get(models))
            .route("/models", get(models))
            .fallback(not_found)
            .with_state(shared.clone());
        let server = Server::start(addr, shared, app).await?;
        Ok(FakeOpenAi { server })
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.server.addr)
    }

    /// Every request received so far, in order (excluding `/_fake/*`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.shared.requests()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.server.shared.clear();
    }

    /// Streaming responses whose body is still being produced.
    pub fn active_streams(&self) -> usize {
        self.server.shared.active_streams()
    }

    /// The bearer token required on every request; `None` accepts any (or no) key.
    pub fn set_expected_api_key(&self, key: Option<String>) {
        self.server.shared.set_expected_api_key(key);
    }

    /// Answers every call with this `id` (`None`: a fresh id each time, as OpenAI does).
    pub fn set_fixed_response_id(&self, id: Option<String>) {
        self.server.shared.set_fixed_response_id(id);
    }
}

// ---------------------------------------------------------------------------
// Errors

pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) kind: &'static str,
    pub(crate) param: Option<String>,
    pub(crate) code: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn invalid(message: impl Into<String>, param: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param: Some(param.into()),
            code: None,
        }
    }

    pub(crate) fn missing(param: impl Into<String>) -> ApiError {
        let param = param.into();
        ApiError::invalid(format!("Missing required parameter: '{param}'."), param)
    }

    pub(crate) fn wrong_type(param: impl Into<String>, expected: &str, got: &Value) -> ApiError {
        let param = param.into();
        ApiError::invalid(
            format!("Invalid type for '{param}': expected {expected}, but got {} instead.", type_name(got)),
            param,
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }});
        with_request_id(json_response(self.status, &body))
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a decimal",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn with_request_id(mut response: Response) -> Response {
    let id = format!("req_{}", uuid::Uuid::new_v4().simple());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

// ---------------------------------------------------------------------------
// Handlers

pub(crate) fn check_auth(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = shared.expected_api_key() else {
        return Ok(());
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: "You didn't provide an API key. You need to provide your API key in an \
                      Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), \
                      or as the password field (with blank username) if you're accessing the API \
                      from your browser and are prompted for a username and password. You can \
                      obtain an API key from https://platform.openai.com/account/api-keys."
                .to_owned(),
            kind: "invalid_request_error",
            param: None,
            code: None,
        });
    };
    let value = String::from_utf8_lossy(value.as_bytes());
    let key = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).unwrap_or(&value).trim();
    if key == expected {
        return Ok(());
    }
    Err(ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: format!(
            "Incorrect API key provided: {key}. You can find your API key at \
             https://platform.openai.com/account/api-keys."
        ),
        kind: "invalid_request_error",
        param: None,
        code: Some("invalid_api_key"),
    })
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(err) = check_auth(&shared, &headers) {
        return err.into_response();
    }
    let data: Vec<Value> = MODELS
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 1_686_935_002, "owned_by": "openai"}))
        .collect();
    with_request_id(json_response(StatusCode::OK, &json!({"object": "list", "data": data})))
}

async fn not_found(request: Request) -> Response {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!("Invalid URL ({} {})", request.method(), request.uri().path()),
        kind: "invalid_request_error",
        param: None,
        code: None,
    }
    .into_response()
}

pub(crate) async fn chat_completions(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(err) = check_auth(&shared, &headers) {
        return err.into_response();
    }
    let request = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        _ => {
            return ApiError {
                param: None,
                ..ApiError::invalid(
                    "We could not parse the JSON body of your request. (HINT: This likely means \
                     you aren't using your HTTP library correctly. The OpenAI API expects a JSON \
                     payload, but what was sent was not valid JSON. If you have trouble figuring \
                     out how to fix this, please contact us through our help center at \
                     help.openai.com.)",
                    "",
                )
            }
            .into_response();
        }
    };
    let checked = match validate(&request) {
        Ok(checked) => checked,
        Err(err) => return err.into_response(),
    };
    match checked.model.as_str() {
        "fake-429" => {
            let mut response = ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: "Rate limit reached for requests".to_owned(),
                kind: "requests",
                param: None,
                code: Some("rate_limit_exceeded"),
            }
            .into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
            return response;
        }
        "fake-500" => {
            return ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "The server had an error while processing your request.".to_owned(),
                kind: "server_error",
                param: None,
                code: None,
            }
            .into_response();
        }
        "fake-slow" => tokio::time::sleep(Duration::from_secs(3)).await,
        // Upstream text the gateway must survive: a non-ASCII character right after `Bearer `.
        "fake-hostile-error" => {
            return ApiError::invalid("Invalid header Authorization: Bearer é… (ключ недействителен)", "")
                .into_response();
        }
        // An answer no gateway should read into memory whole.
        "fake-huge-answer" => {
            let mut body = String::with_capacity(HUGE_ANSWER_BYTES + 64);
            body.push_str(r#"{"id":"chatcmpl-huge","object":"chat.completion","padding":""#);
            body.extend(std::iter::repeat_n('x', HUGE_ANSWER_BYTES));
            body.push_str(r#""}"#);
            return with_request_id(
                ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
            );
        }
        _ => {}
    }
    let reply = script::reply(&checked.conversation, SERVICE);
    let id = shared.fixed_response_id().unwrap_or_else(|| format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()));
    let created = script::unix_now();
    if checked.stream {
        stream_response(shared, &checked, &reply, &id, created)
    } else {
        complete_response(&checked, &reply, &id, created)
    }
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "stop",
        Finish::Length => "length",
        Finish::ToolUse => "tool_calls",
    }
}

fn tool_call_id() -> String {
    format!("call_{}", script::random_chars(b"0123456789abcdef", 24))
}

fn usage_json(reply: &Reply) -> Value {
    json!({
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.total_tokens(),
    })
}

fn complete_response(checked: &Checked, reply: &Reply, id: &str, created: u64) -> Response {
    let message = match &reply.output {
        Output::Text(text) => json!({"role": "assistant", "content": text, "refusal": null}),
        Output::ToolCall { name, arguments } => json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": tool_call_id(),
                "type": "function",
                "function": {"name": name, "arguments": arguments.to_string()},
            }],
            "refusal": null,
        }),
    };
    let body = json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": checked.model,
        "system_fingerprint": "fp_fake",
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(reply.finish),
        }],
        "usage": usage_json(reply),
    });
    with_request_id(json_response(StatusCode::OK, &body))
}

fn sse(data: &str) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

fn stream_response(shared: Arc<Shared>, checked: &Checked, reply: &Reply, id: &str, created: u64) -> Response {
    let include_usage = checked.include_usage;
    let chunk = |choices: Value, usage: Option<Value>| -> Bytes {
        let mut object = Map::new();
        object.insert("id".into(), id.into());
        object.insert("object".into(), "chat.completion.chunk".into());
        object.insert("created".into(), created.into());
        object.insert("model".into(), checked.model.clone().into());
        object.insert("system_fingerprint".into(), "fp_fake".into());
        object.insert("choices".into(), choices);
        if include_usage {
            object.insert("usage".into(), usage.unwrap_or(Value::Null));
        }
        sse(&Value::Object(object).to_string())
    };
    let delta = |delta: Value, finish: Value| -> Bytes {
        chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]), None)
    };

    let mut content = Vec::new();
    match &reply.output {
        Output::Text(text) => {
            for piece in script::stream_pieces(text) {
                content.push(delta(json!({"content": piece}), Value::Null));
            }
        }
        Output::ToolCall { name, arguments } => {
            content.push(delta(
                json!({"tool_calls": [{
                    "index": 0,
                    "id": tool_call_id(),
                    "type": "function",
                    "function": {"name": name, "arguments": ""},
                }]}),
                Value::Null,
            ));
            let (first, second) = script::split_in_two(&arguments.to_string());
            for part in [first, second] {
                content
                    .push(delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": part}}]}), Value::Null));
            }
        }
    }
    let mut tail = vec![delta(json!({}), finish_reason(reply.finish).into())];
    if include_usage {
        tail.push(chunk(json!([]), Some(usage_json(reply))));
    }
    tail.push(sse("[DONE]"));
    let role = delta(json!({"role": "assistant", "content": ""}), Value::Null);

    let mut steps = vec![Step::Data(role)];
    let mut content = content.into_iter().map(Step::Data);
    match checked.model.as_str() {
        "fake-midstream-error" => {
            steps.extend(content.by_ref().take(2));
            // Let hyper flush what was sent before the connection is aborted.
            steps.push(Step::Sleep(Duration::from_millis(100)));
            steps.push(Step::Fail("fake-midstream-error: upstream connection aborted"));
        }
        "fake-hang-stream" => {
            steps.extend(content.by_ref().take(1));
            steps.push(Step::Sleep(Duration::from_secs(60)));
            steps.extend(content);
            steps.extend(tail.into_iter().map(Step::Data));
        }
        _ => {
            steps.extend(content);
            steps.extend(tail.into_iter().map(Step::Data));
        }
    }

    let mut response = Response::new(scripted_body(shared, steps));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_request_id(response)
}

// ---------------------------------------------------------------------------
// Validation

struct Checked {
    model: String,
    stream: bool,
    include_usage: bool,
    conversation: Conversation,
}

const ROLES: &[&str] = &["system", "developer", "user", "assistant", "tool"];

fn is_present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn validate(request: &Map<String, Value>) -> Result<Checked, ApiError> {
    // model
    let model = match is_present(request.get("model")) {
        None => {
            return Err(ApiError::invalid("you must provide a model parameter", "model"));
        }
        Some(Value::String(model)) if !model.is_empty() => model.clone(),
        Some(Value::String(_)) => {
            return Err(ApiError::invalid(
                "Invalid 'model': empty string. Expected a string with minimum length 1, but got \
                 an empty string instead.",
                "model",
            ));
        }
        Some(other) => return Err(ApiError::wrong_type("model", "a string", other)),
    };

    // messages
    let messages = match request.get("messages") {
        None | Some(Value::Null) => return Err(ApiError::missing("messages")),
        Some(Value::Array(messages)) if messages.is_empty() => {
            return Err(ApiError::invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but \
                 got an empty array instead.",
                "messages",
            ));
        }
        Some(Value::Array(messages)) => messages,
        Some(other) => {
            return Err(ApiError::wrong_type("messages", "an array of objects", other));
        }
    };
    let mut conversation = Conversation::default();
    validate_messages(messages, &mut conversation)?;

    // stream / stream_options
    let stream = match is_present(request.get("stream")) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(ApiError::wrong_type("stream", "a boolean", other)),
    };
    let mut include_usage = false;
    if let Some(options) = is_present(request.get("stream_options")) {
        if !stream {
            return Err(ApiError::invalid(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
            ));
        }
        let Value::Object(options) = options else {
            return Err(ApiError::wrong_type("stream_options", "an object", options));
        };
        match is_present(options.get("include_usage")) {
            None => {}
            Some(Value::Bool(b)) => include_usage = *b,
            Some(other) => {
                return Err(ApiError::wrong_type("stream_options.include_usage", "a boolean", other));
            }
        }
    }

    // tools / tool_choice
    let mut first_tool = None;
    let mut offered = Vec::new();
    if let Some(tools) = is_present(request.get("tools")) {
        let Value::Array(tools) = tools else {
            return Err(ApiError::wrong_type("tools", "an array of objects", tools));
        };
        if tools.is_empty() {
            return Err(ApiError::invalid(
                "Invalid 'tools': empty array. Expected an array with minimum length 1, but got \
                 an empty array instead.",
                "tools",
            ));
        }
        for (i, tool) in tools.iter().enumerate() {
            let (name, parameters) = validate_tool(i, tool)?;
            if first_tool.is_none() {
                first_tool = Some((name.clone(), parameters.clone()));
            }
            offered.push((name, parameters));
        }
    }
    if let Some(choice) = is_present(request.get("tool_choice")) {
        if first_tool.is_none() {
            return Err(ApiError::invalid(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are \
                 specified.",
                "tool_choice",
            ));
        }
        match choice {
            Value::String(s) if s == "none" => {
                first_tool = None;
                offered.clear();
            }
            Value::String(s) if s == "auto" || s == "required" => {}
            Value::String(s) => {
                return Err(ApiError::invalid(
                    format!("Invalid value: '{s}'. Supported values are: 'none', 'auto', and 'required'."),
                    "tool_choice",
                ));
            }
            Value::Object(object) => {
                if object.get("type").and_then(Value::as_str) != Some("function") {
                    return Err(ApiError::missing("tool_choice.type"));
                }
                if object.get("function").and_then(|f| f.get("name")).and_then(Value::as_str).is_none() {
                    return Err(ApiError::missing("tool_choice.function.name"));
                }
            }
            other => {
                return Err(ApiError::wrong_type("tool_choice", "a string or object", other));
            }
        }
    }
    conversation.first_tool = first_tool;
    conversation.tools = offered;

    // sampling parameters
    let max_tokens = positive_integer(request, "max_tokens")?;
    let max_completion_tokens = positive_integer(request, "max_completion_tokens")?;
    conversation.max_tokens = max_completion_tokens.or(max_tokens);
    for (name, max) in [("temperature", 2.0), ("top_p", 1.0)] {
        match is_present(request.get(name)) {
            None => {}
            Some(Value::Number(n)) => {
                let v = n.as_f64().unwrap_or(f64::NAN);
                if !(0.0..=max).contains(&v) {
                    return Err(ApiError::invalid(
                        format!(
                            "Invalid '{name}': decimal out of range. Expected a value between 0 \
                             and {max}, but got {n} instead."
                        ),
                        name,
                    ));
                }
            }
            Some(other) => return Err(ApiError::wrong_type(name, "a decimal", other)),
        }
    }

    Ok(Checked { model, stream, include_usage, conversation })
}

/// An optional integer parameter that must be >= 1.
fn positive_integer(request: &Map<String, Value>, name: &str) -> Result<Option<u64>, ApiError> {
    match is_present(request.get(name)) {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => Ok(n.as_u64()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Err(ApiError::invalid(
            format!(
                "Invalid '{name}': integer below minimum value. Expected a value >= 1, but got \
                 {n} instead."
            ),
            name,
        )),
        Some(other) => Err(ApiError::wrong_type(name, "an integer", other)),
    }
}

fn validate_tool(i: usize, tool: &Value) -> Result<(String, Value), ApiError> {
    let Value::Object(tool) = tool else {
        return Err(ApiError::wrong_type(format!("tools[{i}]"), "an object", tool));
    };
    match is_present(tool.get("type")) {
        None => return Err(ApiError::missing(format!("tools[{i}].type"))),
        Some(Value::String(t)) if t == "function" => {}
        Some(other) => {
            return Err(ApiError::invalid(
                format!("Invalid value: {}. Supported values are: 'function' and 'custom'.", other),
                format!("tools[{i}].type"),
            ));
        }
    }
    let function = match is_present(tool.get("function")) {
        None => return Err(ApiError::missing(format!("tools[{i}].function"))),
        Some(Value::Object(function)) => function,
        Some(other) => {
            return Err(ApiError::wrong_type(format!("tools[{i}].function"), "an object", other));
        }
    };
    let name = match is_present(function.get("name")) {
        None => return Err(ApiError::missing(format!("tools[{i}].function.name"))),
        Some(Value::String(name)) => name,
        Some(other) => {
            return Err(ApiError::wrong_type(format!("tools[{i}].function.name"), "a string", other));
        }
    };
    let valid_name = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid_name {
        return Err(ApiError::invalid(
            format!(
                "Invalid 'tools[{i}].function.name': string does not match pattern. Expected a \
                 string that matches the pattern '^[a-zA-Z0-9_-]{{1,64}}$'."
            ),
            format!("tools[{i}].function.name"),
        ));
    }
    if let Some(description) = is_present(function.get("description"))
        && !description.is_string()
    {
        return Err(ApiError::wrong_type(format!("tools[{i}].function.description"), "a string", description));
    }
    let parameters = match is_present(function.get("parameters")) {
        None => json!({}),
        Some(parameters @ Value::Object(_)) => parameters.clone(),
        Some(other) => {
            return Err(ApiError::wrong_type(format!("tools[{i}].function.parameters"), "an object", other));
        }
    };
    Ok((name.clone(), parameters))
}

/// Tool calls issued by an assistant message that still await tool messages.
struct PendingCalls {
    assistant_index: usize,
    ids: Vec<String>,
    answered: HashSet<String>,
}

impl PendingCalls {
    fn check_all_answered(&self) -> Result<(), ApiError> {
        let missing: Vec<&str> =
            self.ids.iter().filter(|id| !self.answered.contains(*id)).map(String::as_str).collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ApiError::invalid(
            format!(
                "An assistant message with 'tool_calls' must be followed by tool messages \
                 responding to each 'tool_call_id'. The following tool_call_ids did not have \
                 response messages: {}",
                missing.join(", ")
            ),
            format!("messages.[{}].role", self.assistant_index),
        ))
    }
}

fn validate_messages(messages: &[Value], conversation: &mut Conversation) -> Result<(), ApiError> {
    let mut pending: Option<PendingCalls> = None;
    for (i, message) in messages.iter().enumerate() {
        let Value::Object(message) = message else {
            return Err(ApiError::wrong_type(format!("messages[{i}]"), "an object", message));
        };
        let role = match is_present(message.get("role")) {
            None => return Err(ApiError::missing(format!("messages[{i}].role"))),
            Some(Value::String(role)) if ROLES.contains(&role.as_str()) => role.as_str(),
            Some(other) => {
                let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
                return Err(ApiError::invalid(
                    format!(
                        "Invalid value: '{shown}'. Supported values are: 'system', 'developer', \
                         'user', 'assistant', and 'tool'."
                    ),
                    format!("messages[{i}].role"),
                ));
            }
        };
        if role != "tool"
            && let Some(calls) = pending.take()
        {
            calls.check_all_answered()?;
        }
        let content = is_present(message.get("content"));
        match role {
            "system" | "developer" => {
                let Some(content) = content else {
                    return Err(ApiError::missing(format!("messages[{i}].content")));
                };
                conversation.prompt_words += text_content(i, content, &["text"])?.words;
            }
            "user" => {
                let Some(content) = content else {
                    return Err(ApiError::missing(format!("messages[{i}].content")));
                };
                let parsed = user_content(i, content)?;
                conversation.prompt_words += script::word_count(&parsed.text);
                conversation.user_text = parsed.text;
                conversation.image_notes = parsed.image_notes;
                conversation.last_is_plain_user = true;
                conversation.tool_results = None;
            }
            "assistant" => {
                if let Some(content) = content {
                    conversation.prompt_words += text_content(i, content, &["text", "refusal"])?.words;
                }
                let ids = match is_present(message.get("tool_calls")) {
                    None => Vec::new(),
                    Some(calls) => validate_tool_calls(i, calls)?,
                };
                if content.is_none() && ids.is_empty() {
                    return Err(ApiError::invalid(
                        "Invalid value for 'content': expected a string, got null.",
                        format!("messages.[{i}].content"),
                    ));
                }
                if !ids.is_empty() {
                    pending = Some(PendingCalls { assistant_index: i, ids, answered: HashSet::new() });
                }
                conversation.last_is_plain_user = false;
                conversation.tool_results = None;
            }
            _ => {
                // tool
                let id = match is_present(message.get("tool_call_id")) {
                    None => return Err(ApiError::missing(format!("messages[{i}].tool_call_id"))),
                    Some(Value::String(id)) => id,
                    Some(other) => {
                        return Err(ApiError::wrong_type(format!("messages[{i}].tool_call_id"), "a string", other));
                    }
                };
                let Some(content) = content else {
                    return Err(ApiError::missing(format!("messages[{i}].content")));
                };
                let text = text_content(i, content, &["text"])?;
                let Some(calls) = pending.as_mut() else {
                    return Err(ApiError::invalid(
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls'.",
                        format!("messages.[{i}].role"),
                    ));
                };
                if !calls.ids.contains(id) {
                    return Err(ApiError::invalid(
                        format!(
                            "Invalid parameter: 'tool_call_id' of '{id}' not found in \
                             'tool_calls' of previous message."
                        ),
                        format!("messages.[{i}].tool_call_id"),
                    ));
                }
                calls.answered.insert(id.clone());
                conversation.prompt_words += text.words;
                conversation.last_is_plain_user = false;
                conversation.tool_results.get_or_insert_with(Vec::new).push(text.text);
            }
        }
    }
    if let Some(calls) = pending {
        calls.check_all_answered()?;
    }
    Ok(())
}

struct TextContent {
    text: String,
    words: usize,
}

/// Content that is a string or an array of parts whose `type` is in `allowed`
/// (each carrying a string field named like the type).
fn text_content(i: usize, content: &Value, allowed: &[&str]) -> Result<TextContent, ApiError> {
    match content {
        Value::String(text) => Ok(TextContent { words: script::word_count(text), text: text.clone() }),
        Value::Array(parts) => {
            let mut texts = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                let param = format!("messages[{i}].content[{j}]");
                let Value::Object(part) = part else {
                    return Err(ApiError::wrong_type(param, "an object", part));
                };
                let kind = match is_present(part.get("type")) {
                    None => return Err(ApiError::missing(format!("{param}.type"))),
                    Some(Value::String(kind)) if allowed.contains(&kind.as_str()) => kind,
                    Some(other) => {
                        let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
                        let supported: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
                        return Err(ApiError::invalid(
                            format!("Invalid value: '{shown}'. Supported values are: {}.", supported.join(", ")),
                            format!("{param}.type"),
                        ));
                    }
                };
                match is_present(part.get(kind.as_str())) {
                    None => return Err(ApiError::missing(format!("{param}.{kind}"))),
                    Some(Value::String(text)) => texts.push(text.clone()),
                    Some(other) => {
                        return Err(ApiError::wrong_type(format!("{param}.{kind}"), "a string", other));
                    }
                }
            }
            let text = texts.join(" ");
            Ok(TextContent { words: script::word_count(&text), text })
        }
        other => {
            Err(ApiError::wrong_type(format!("messages[{i}].content"), "one of a string or array of objects", other))
        }
    }
}

struct UserContent {
    text: String,
    image_notes: Vec<String>,
}

fn user_content(i: usize, content: &Value) -> Result<UserContent, ApiError> {
    let parts = match content {
        Value::String(text) => {
            return Ok(UserContent { text: text.clone(), image_notes: Vec::new() });
        }
        Value::Array(parts) => parts,
        other => {
            return Err(ApiError::wrong_type(
                format!("messages[{i}].content"),
                "one of a string or array of objects",
                other,
            ));
        }
    };
    if parts.is_empty() {
        return Err(ApiError::invalid(
            format!(
                "Invalid 'messages[{i}].content': empty array. Expected an array with minimum \
                 length 1, but got an empty array instead."
            ),
            format!("messages[{i}].content"),
        ));
    }
    let mut texts = Vec::new();
    let mut image_notes = Vec::new();
    for (j, part) in parts.iter().enumerate() {
        let param = format!("messages[{i}].content[{j}]");
        let Value::Object(part) = part else {
            return Err(ApiError::wrong_type(param, "an object", part));
        };
        let kind = match is_present(part.get("type")) {
            None => return Err(ApiError::missing(format!("{param}.type"))),
            Some(Value::String(kind)) => kind.as_str(),
            Some(other) => {
                return Err(ApiError::wrong_type(format!("{param}.type"), "a string", other));
            }
        };
        match kind {
            "text" => match is_present(part.get("text")) {
                Some(Value::String(text)) => texts.push(text.clone()),
                None => return Err(ApiError::missing(format!("{param}.text"))),
                Some(other) => {
                    return Err(ApiError::wrong_type(format!("{param}.text"), "a string", other));
                }
            },
            "image_url" => {
                let url = match is_present(part.get("image_url")) {
                    None => return Err(ApiError::missing(format!("{param}.image_url"))),
                    Some(Value::Object(image)) => match is_present(image.get("url")) {
                        Some(Value::String(url)) => url,
                        None => return Err(ApiError::missing(format!("{param}.image_url.url"))),
                        Some(other) => {
                            return Err(ApiError::wrong_type(format!("{param}.image_url.url"), "a string", other));
                        }
                    },
                    Some(other) => {
                        return Err(ApiError::wrong_type(format!("{param}.image_url"), "an object", other));
                    }
                };
                image_notes.push(image_note(url).ok_or_else(|| {
                    ApiError::invalid(
                        "Invalid image URL: expected an http(s) URL or a base64 data URL \
                         (data:image/<format>;base64,<data>).",
                        format!("{param}.image_url.url"),
                    )
                })?);
            }
            "input_audio" | "file" => {
                if !part.get(kind).is_some_and(Value::is_object) {
                    return Err(ApiError::missing(format!("{param}.{kind}")));
                }
            }
            other => {
                return Err(ApiError::invalid(
                    format!(
                        "Invalid value: '{other}'. Supported values are: 'text', 'image_url', \
                         'input_audio', and 'file'."
                    ),
                    format!("{param}.type"),
                ));
            }
        }
    }
    Ok(UserContent { text: texts.join(" "), image_notes })
}

/// `[image: png, 68 bytes]` for a base64 data URL, `[image: url]` for an http URL.
fn image_note(url: &str) -> Option<String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return Some("[image: url]".to_owned());
    }
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    let format = mime.strip_prefix("image/")?;
    if format.is_empty() {
        return None;
    }
    let bytes = script::decode_base64(data)?;
    Some(format!("[image: {format}, {} bytes]", bytes.len()))
}

fn validate_tool_calls(i: usize, calls: &Value) -> Result<Vec<String>, ApiError> {
    let Value::Array(calls) = calls else {
        return Err(ApiError::wrong_type(format!("messages[{i}].tool_calls"), "an array of objects", calls));
    };
    if calls.is_empty() {
        return Err(ApiError::invalid(
            format!(
                "Invalid 'messages[{i}].tool_calls': empty array. Expected an array with minimum \
                 length 1, but got an empty array instead."
            ),
            format!("messages[{i}].tool_calls"),
        ));
    }
    let mut ids = Vec::new();
    for (j, call) in calls.iter().enumerate() {
        let param = format!("messages[{i}].tool_calls[{j}]");
        let Value::Object(call) = call else {
            return Err(ApiError::wrong_type(param, "an object", call));
        };
        match is_present(call.get("id")) {
            Some(Value::String(id)) if !id.is_empty() => ids.push(id.clone()),
            None | Some(Value::String(_)) => return Err(ApiError::missing(format!("{param}.id"))),
            Some(other) => {
                return Err(ApiError::wrong_type(format!("{param}.id"), "a string", other));
            }
        }
        match is_present(call.get("type")) {
            None => return Err(ApiError::missing(format!("{param}.type"))),
            Some(Value::String(t)) if t == "function" => {}
            Some(other) => {
                return Err(ApiError::invalid(
                    format!("Invalid value: {other}. Supported values are: 'function'."),
                    format!("{param}.type"),
                ));
            }
        }
        let function = match is_present(call.get("function")) {
            None => return Err(ApiError::missing(format!("{param}.function"))),
            Some(Value::Object(function)) => function,
            Some(other) => {
                return Err(ApiError::wrong_type(format!("{param}.function"), "an object", other));
            }
        };
        match is_present(function.get("name")) {
            Some(Value::String(name)) if !name.is_empty() => {}
            None | Some(Value::String(_)) => {
                return Err(ApiError::missing(format!("{param}.function.name")));
            }
            Some(other) => {
                return Err(ApiError::wrong_type(format!("{param}.function.name"), "a string", other));
            }
        }
        match function.get("arguments") {
            Some(Value::String(_)) => {}
            None | Some(Value::Null) => {
                return Err(ApiError::missing(format!("{param}.function.arguments")));
            }
            Some(other) => {
                return Err(ApiError::wrong_type(format!("{param}.function.arguments"), "a string", other));
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_notes() {
        assert_eq!(image_note("data:image/png;base64,aGVsbG8=").as_deref(), Some("[image: png, 5 bytes]"));
        assert_eq!(image_note("https://example.com/cat.png").as_deref(), Some("[image: url]"));
        assert_eq!(image_note("data:image/png;base64,!!!"), None);
        assert_eq!(image_note("ftp://x"), None);
    }

    #[test]
    fn dangling_tool_message_is_rejected() {
        let request = json!({"model": "m", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "tool", "tool_call_id": "call_x", "content": "42"}
        ]});
        let Value::Object(request) = request else { unreachable!() };
        let err = validate(&request).err().expect("must fail");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }
}
