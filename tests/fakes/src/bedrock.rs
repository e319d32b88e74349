//! A fake of the Bedrock Runtime `Converse` and `ConverseStream` operations
//! (restJson1; the stream is an AWS event stream).
//!
//! Routes: `POST /model/{modelId}/converse`, `POST /model/{modelId}/converse-stream` and
//! `POST /model/{modelId}/invoke` (embedding models; see `bedrock_invoke`),
//! where the model id label is percent-encoded by the SDK and may contain `/`
//! (inference-profile ARNs), plus the `/_fake/*` admin routes.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_types::event_stream::{Header, HeaderValue as EventHeaderValue, Message};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::RecordedRequest;
use crate::script::{self, Conversation, Finish, Output, Reply};
use crate::server::{Server, Shared, Step, json_response, percent_decode, scripted_body};

const SERVICE: &str = "fake-bedrock";

/// Text block sent before a tool use.
const TOOL_PREAMBLE: &str = "Let me check.";

/// An in-process fake of the Bedrock Runtime service. The server runs until
/// this value is dropped.
pub struct FakeBedrock {
    server: Server,
}

impl FakeBedrock {
    /// Starts the fake on `127.0.0.1` with an ephemeral port.
    pub async fn start() -> anyhow::Result<FakeBedrock> {
        FakeBedrock::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the fake on `addr` (port 0 picks a free port).
    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<FakeBedrock> {
        let shared = Shared::new(None);
        let app = Router::new()
            .route("/model/{*rest}", post(model_operation))
            .fallback(unknown_operation)
            .with_state(shared.clone());
        let server = Server::start(addr, shared, app).await?;
        Ok(FakeBedrock { server })
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// `http://127.0.0.1:PORT`, for `endpoint_url` / `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.server.addr)
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
}

// ---------------------------------------------------------------------------
// Errors

fn request_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}

pub(crate) fn with_request_id(mut response: Response) -> Response {
    response.headers_mut().insert("x-amzn-requestid", request_id());
    response
}

/// A restJson1 error: status, `x-amzn-ErrorType`, `{"message": ...}`.
pub(crate) fn aws_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    let mut response = json_response(status, &json!({ "message": message }));
    response.headers_mut().insert("x-amzn-errortype", HeaderValue::from_static(code));
    with_request_id(response)
}

pub(crate) fn validation_error(message: &str) -> Response {
    aws_error(StatusCode::BAD_REQUEST, "ValidationException", message)
}

fn internal_error() -> Response {
    aws_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServerException",
        "The system encountered an unexpected error during processing. Try your request again.",
    )
}

async fn unknown_operation() -> Response {
    aws_error(StatusCode::NOT_FOUND, "UnknownOperationException", "Unknown operation")
}

// ---------------------------------------------------------------------------
// Handler

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Converse,
    ConverseStream,
    CountTokens,
}

async fn model_operation(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refusal) = crate::sigv4::check("bedrock", &Method::POST, &uri, &headers, &body) {
        return crate::sigv4::refused(refusal);
    }
    // Parse the raw path ourselves: the model id label may contain an encoded
    // (or even a literal) `/`.
    let Some(rest) = uri.path().strip_prefix("/model/") else {
        return unknown_operation().await;
    };
    if let Some(label) = rest.strip_suffix("/invoke") {
        return crate::bedrock_invoke::invoke(&percent_decode(label), &headers, &body);
    }
    let (label, operation) = if let Some(label) = rest.strip_suffix("/converse-stream") {
        (label, Operation::ConverseStream)
    } else if let Some(label) = rest.strip_suffix("/converse") {
        (label, Operation::Converse)
    } else if let Some(label) = rest.strip_suffix("/count-tokens") {
        (label, Operation::CountTokens)
    } else {
        return unknown_operation().await;
    };
    let model_id = percent_decode(label);
    if model_id.trim().is_empty() {
        return validation_error("The provided model identifier is invalid.");
    }

    let mut request = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        _ => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "Malformed request body: expected a JSON object.",
            );
        }
    };
    if operation == Operation::CountTokens {
        // CountTokens wraps a Converse request: {"input": {"converse": {...}}}.
        match request.remove("input") {
            Some(Value::Object(mut input)) => match input.remove("converse") {
                Some(Value::Object(converse)) => request = converse,
                _ => return validation_error("CountTokens input must hold a converse request."),
            },
            _ => return validation_error(&not_null("input")),
        }
    }
    let conversation = match validate(&request) {
        Ok(conversation) => conversation,
        Err(message) => return validation_error(&message),
    };

    match model_id.as_str() {
        "fake-throttle" => {
            return aws_error(
                StatusCode::TOO_MANY_REQUESTS,
                "ThrottlingException",
                "Too many requests, please wait before trying again.",
            );
        }
        "fake-server-error" => return internal_error(),
        "fake-access-denied" => {
            return aws_error(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "You don't have access to the model with the specified model ID.",
            );
        }
        "fake-slow" => tokio::time::sleep(Duration::from_secs(3)).await,
        id if id.starts_with("invalid") => {
            return validation_error("The provided model identifier is invalid.");
        }
        _ => {}
    }

    if operation == Operation::CountTokens {
        let body = json!({ "inputTokens": conversation.prompt_words.max(1) });
        return with_request_id(json_response(StatusCode::OK, &body));
    }
    let reply = script::reply(&conversation, SERVICE);
    let extras = Extras::of(&conversation, &reply, &shared, &model_id);
    match operation {
        Operation::CountTokens | Operation::Converse => converse_response(&reply, &extras),
        Operation::ConverseStream => match stream_response(shared, &model_id, &reply, &extras) {
            Ok(response) => response,
            Err(err) => {
                tracing::error!("fake-bedrock: could not encode the event stream: {err}");
                internal_error()
            }
        },
    }
}

fn stop_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "end_turn",
        Finish::Length => "max_tokens",
        Finish::ToolUse => "tool_use",
    }
}

fn tool_use_id() -> String {
    const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    format!("tooluse_{}", script::random_chars(ALPHANUMERIC, 22))
}

/// What Claude adds to a reply on Bedrock beyond the script: its reasoning when thinking is on,
/// and the prompt-cache counts.
struct Extras {
    /// (text, signature)
    thinking: Option<(String, String)>,
    cache_read: u64,
    cache_write: u64,
}

impl Extras {
    fn of(conversation: &Conversation, reply: &Reply, shared: &Shared, model_id: &str) -> Extras {
        let thinking = conversation.thinking.then(|| {
            let text = format!("Thinking about: {}", conversation.user_text);
            let signature = signature_for(&text);
            (text, signature)
        });
        let (mut cache_read, mut cache_write) = (0, 0);
        if let Some((prefix, words)) = conversation.cache_prefix {
            let key = hash_of(&(model_id, prefix));
            // A prefix too short to cache is not cached, as on Bedrock (its minimum is larger).
            let words = (words as u64).min(reply.prompt_tokens);
            if words >= MIN_CACHED_WORDS {
                if shared.cache_hit(key) {
                    cache_read = words;
                } else {
                    cache_write = words;
                }
            }
        }
        Extras { thinking, cache_read, cache_write }
    }
}

/// The fewest prompt words the fake caches.
const MIN_CACHED_WORDS: u64 = 8;

fn hash_of(value: &impl std::hash::Hash) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The fake's signature of a thinking text; Claude refuses a thinking block whose signature does
/// not match what it produced.
fn signature_for(text: &str) -> String {
    format!("fake-signature-{:016x}", hash_of(&text))
}

fn usage_json(reply: &Reply, extras: &Extras) -> Value {
    let uncached = reply.prompt_tokens - extras.cache_read - extras.cache_write;
    let mut usage = json!({
        "inputTokens": uncached,
        "outputTokens": reply.completion_tokens,
        "totalTokens": reply.total_tokens(),
    });
    if extras.cache_read + extras.cache_write > 0 {
        usage["cacheReadInputTokens"] = extras.cache_read.into();
        usage["cacheWriteInputTokens"] = extras.cache_write.into();
    }
    usage
}

fn converse_response(reply: &Reply, extras: &Extras) -> Response {
    let mut content = Vec::new();
    if let Some((text, signature)) = &extras.thinking {
        content.push(json!({ "reasoningContent": { "reasoningText": { "text": text, "signature": signature } } }));
    }
    match &reply.output {
        Output::Text(text) => content.push(json!({ "text": text })),
        Output::ToolCall { name, arguments } => {
            content.push(json!({ "text": TOOL_PREAMBLE }));
            content.push(json!({ "toolUse": { "toolUseId": tool_use_id(), "name": name, "input": arguments } }));
        }
    }
    let body = json!({
        "output": { "message": { "role": "assistant", "content": content } },
        "stopReason": stop_reason(reply.finish),
        "usage": usage_json(reply, extras),
        "metrics": { "latencyMs": 12 },
    });
    with_request_id(json_response(StatusCode::OK, &body))
}

fn string_header(name: &'static str, value: &str) -> Header {
    Header::new(name, EventHeaderValue::String(value.to_owned().into()))
}

fn encode(message: &Message) -> Result<Bytes, aws_smithy_eventstream::error::Error> {
    let mut buffer = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(message, &mut buffer)?;
    Ok(Bytes::from(buffer))
}

fn event_frame(event_type: &str, payload: &Value) -> Result<Bytes, aws_smithy_eventstream::error::Error> {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(string_header(":message-type", "event"))
        .add_header(string_header(":event-type", event_type))
        .add_header(string_header(":content-type", "application/json"));
    encode(&message)
}

fn exception_frame(exception_type: &str, payload: &Value) -> Result<Bytes, aws_smithy_eventstream::error::Error> {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(string_header(":message-type", "exception"))
        .add_header(string_header(":exception-type", exception_type))
        .add_header(string_header(":content-type", "application/json"));
    encode(&message)
}

/// Each frame goes out as two body chunks, so clients must reassemble frames.
fn split_frame(frame: Bytes, steps: &mut Vec<Step>) {
    let mid = frame.len() / 2;
    steps.push(Step::Data(frame.slice(..mid)));
    steps.push(Step::Data(frame.slice(mid..)));
}

fn stream_response(
    shared: Arc<Shared>,
    model_id: &str,
    reply: &Reply,
    extras: &Extras,
) -> Result<Response, aws_smithy_eventstream::error::Error> {
    let start = event_frame("messageStart", &json!({ "role": "assistant" }))?;

    let mut content = Vec::new();
    // Reasoning comes first, as block 0; the answer's blocks follow it.
    let first = usize::from(extras.thinking.is_some());
    if let Some((text, signature)) = &extras.thinking {
        for piece in script::stream_pieces(text) {
            content.push(event_frame(
                "contentBlockDelta",
                &json!({ "contentBlockIndex": 0, "delta": { "reasoningContent": { "text": piece } } }),
            )?);
        }
        content.push(event_frame(
            "contentBlockDelta",
            &json!({ "contentBlockIndex": 0, "delta": { "reasoningContent": { "signature": signature } } }),
        )?);
        content.push(event_frame("contentBlockStop", &json!({ "contentBlockIndex": 0 }))?);
    }
    let text_block = |text: &str, index: usize, content: &mut Vec<Bytes>| {
        for piece in script::stream_pieces(text) {
            content.push(event_frame(
                "contentBlockDelta",
                &json!({ "contentBlockIndex": index, "delta": { "text": piece } }),
            )?);
        }
        content.push(event_frame("contentBlockStop", &json!({ "contentBlockIndex": index }))?);
        Ok::<(), aws_smithy_eventstream::error::Error>(())
    };
    match &reply.output {
        Output::Text(text) => text_block(text, first, &mut content)?,
        Output::ToolCall { name, arguments } => {
            text_block(TOOL_PREAMBLE, first, &mut content)?;
            let index = first + 1;
            content.push(event_frame(
                "contentBlockStart",
                &json!({
                    "contentBlockIndex": index,
                    "start": { "toolUse": { "toolUseId": tool_use_id(), "name": name } },
                }),
            )?);
            let (head, tail) = script::split_in_two(&arguments.to_string());
            for part in [head, tail] {
                content.push(event_frame(
                    "contentBlockDelta",
                    &json!({ "contentBlockIndex": index, "delta": { "toolUse": { "input": part } } }),
                )?);
            }
            content.push(event_frame("contentBlockStop", &json!({ "contentBlockIndex": index }))?);
        }
    }
    let tail = [
        event_frame("messageStop", &json!({ "stopReason": stop_reason(reply.finish) }))?,
        event_frame("metadata", &json!({ "usage": usage_json(reply, extras), "metrics": { "latencyMs": 12 } }))?,
    ];

    let mut steps = Vec::new();
    split_frame(start, &mut steps);
    let mut content = content.into_iter();
    match model_id {
        "fake-midstream-error" => {
            for frame in content.by_ref().take(2) {
                split_frame(frame, &mut steps);
            }
            let error = exception_frame(
                "modelStreamErrorException",
                &json!({
                    "message": "Model stream failed",
                    "originalStatusCode": 500,
                    "originalMessage": "boom",
                }),
            )?;
            split_frame(error, &mut steps);
        }
        "fake-hang-stream" => {
            for frame in content.by_ref().take(1) {
                split_frame(frame, &mut steps);
            }
            steps.push(Step::Sleep(Duration::from_secs(60)));
            for frame in content.chain(tail) {
                split_frame(frame, &mut steps);
            }
        }
        _ => {
            for frame in content.chain(tail) {
                split_frame(frame, &mut steps);
            }
        }
    }

    let mut response = Response::new(scripted_body(shared, steps));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.amazon.eventstream"));
    Ok(with_request_id(response))
}

// ---------------------------------------------------------------------------
// Validation (messages mimic the service's where known)

type Check<T> = Result<T, String>;

const ALTERNATION: &str = "A conversation must alternate between user and assistant roles. Make \
                           sure the conversation alternates between user and assistant roles and \
                           try again.";

const CONTENT_BLOCK_MEMBERS: &[&str] = &[
    "text",
    "image",
    "document",
    "toolUse",
    "toolResult",
    "reasoningContent",
    "cachePoint",
    "guardContent",
    "video",
    "audio",
    "citationsContent",
    "searchResult",
];

const TOOL_RESULT_MEMBERS: &[&str] = &["text", "json", "image", "document"];

fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn not_null(path: &str) -> String {
    format!(
        "1 validation error detected: Value null at '{path}' failed to satisfy constraint: \
         Member must not be null"
    )
}

/// The single member of a union, ignoring null members (as the service's
/// JSON deserializer does).
fn union_member<'a>(value: &'a Value, allowed: &[&str], path: &str) -> Check<(&'a str, &'a Value)> {
    let Value::Object(object) = value else {
        return Err(format!("Union did not contain a valid variant at {path}: expected an object."));
    };
    let members: Vec<(&String, &Value)> = object.iter().filter(|(_, v)| !v.is_null()).collect();
    match members.as_slice() {
        [] => Err(format!(
            "Union did not contain a valid variant at {path}: exactly one of {} is required.",
            allowed.join(", ")
        )),
        [(key, value)] if allowed.contains(&key.as_str()) => Ok((key.as_str(), value)),
        [(key, _)] => Err(format!(
            "Union did not contain a valid variant at {path}: unknown member '{key}'. Expected \
             one of {}.",
            allowed.join(", ")
        )),
        _ => Err(format!(
            "Union contained mixed variants at {path}: {}. Exactly one member may be set.",
            members.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

fn valid_identifier(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn object_at<'a>(value: &'a Value, path: &str) -> Check<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| format!("The value at {path} must be an object."))
}

/// What one message contributed.
#[derive(Default)]
struct MessageInfo {
    /// A cachePoint block ends the cached prefix here.
    cache_point: bool,
    /// The first block is reasoning, with this (text, signature).
    leading_reasoning: Option<(String, Option<String>)>,
    texts: Vec<String>,
    image_notes: Vec<String>,
    tool_use_ids: Vec<String>,
    /// (content index, toolUseId, text of the result)
    tool_results: Vec<(usize, String, String)>,
}

fn validate(request: &Map<String, Value>) -> Check<Conversation> {
    let mut conversation = Conversation::default();
    // The text so far, for the cache prefix a cachePoint closes.
    let mut prefix = std::hash::DefaultHasher::new();
    conversation.thinking = request
        .get("additionalModelRequestFields")
        .and_then(|f| f.get("thinking"))
        .and_then(|t| t.get("type"))
        .and_then(Value::as_str)
        == Some("enabled");

    // system
    if let Some(system) = present(request.get("system")) {
        let Value::Array(blocks) = system else {
            return Err("The system field must be an array of SystemContentBlock objects.".into());
        };
        for (k, block) in blocks.iter().enumerate() {
            let path = format!("system.{k}");
            let (member, value) = union_member(block, &["text", "cachePoint", "guardContent"], &path)?;
            match member {
                "text" => match value.as_str() {
                    Some(text) if !is_blank(text) => {
                        std::hash::Hash::hash(text, &mut prefix);
                        conversation.prompt_words += script::word_count(text);
                    }
                    _ => {
                        return Err(format!(
                            "The text field in the SystemContentBlock object at {path} is blank. \
                             Add text to the text field, and try again."
                        ));
                    }
                },
                _ => {
                    object_at(value, &format!("{path}.{member}"))?;
                    if member == "cachePoint" {
                        conversation.cache_prefix =
                            Some((std::hash::Hasher::finish(&prefix), conversation.prompt_words));
                    }
                }
            }
        }
    }

    // toolConfig
    let tool_config_present = match present(request.get("toolConfig")) {
        None => false,
        Some(config) => {
            conversation.tools = validate_tool_config(config)?;
            conversation.first_tool = conversation.tools.first().cloned();
            true
        }
    };

    // inferenceConfig
    if let Some(config) = present(request.get("inferenceConfig")) {
        conversation.max_tokens = validate_inference_config(config)?;
    }

    // messages
    let messages = match present(request.get("messages")) {
        None => return Err(not_null("messages")),
        Some(Value::Array(messages)) => messages,
        Some(_) => return Err("The messages field must be an array of Message objects.".into()),
    };
    if messages.is_empty() {
        return Err("A conversation must start with a user message. Try again with a \
                    conversation that starts with a user message."
            .into());
    }
    let mut previous: Option<(bool, MessageInfo)> = None; // (is_user, info)
    let mut uses_tools = false;
    for (i, message) in messages.iter().enumerate() {
        let path = format!("messages.{i}");
        let message = object_at(message, &path)?;
        let is_user = match present(message.get("role")) {
            None => return Err(not_null(&format!("messages.{i}.member.role"))),
            Some(Value::String(role)) if role == "user" => true,
            Some(Value::String(role)) if role == "assistant" => false,
            Some(other) => {
                let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
                return Err(format!(
                    "1 validation error detected: Value '{shown}' at 'messages.{i}.member.role' \
                     failed to satisfy constraint: Member must satisfy enum value set: [user, \
                     assistant]"
                ));
            }
        };
        match &previous {
            None if !is_user => {
                return Err("A conversation must start with a user message. Try again with a \
                            conversation that starts with a user message."
                    .into());
            }
            Some((previous_is_user, _)) if *previous_is_user == is_user => {
                return Err(ALTERNATION.into());
            }
            _ => {}
        }
        let blocks = match present(message.get("content")) {
            None => return Err(not_null(&format!("messages.{i}.member.content"))),
            Some(Value::Array(blocks)) => blocks,
            Some(_) => {
                return Err(format!(
                    "The content field in the Message object at {path} must be an array of \
                     ContentBlock objects."
                ));
            }
        };
        if blocks.is_empty() {
            return Err(format!(
                "The content field in the Message object at {path} is empty. Add a ContentBlock \
                 object to the content field and try again."
            ));
        }
        let mut info = MessageInfo::default();
        for (j, block) in blocks.iter().enumerate() {
            validate_content_block(i, j, is_user, block, &mut info)?;
        }
        if !info.tool_use_ids.is_empty() || !info.tool_results.is_empty() {
            uses_tools = true;
        }

        // toolResult blocks must answer exactly the previous turn's toolUse blocks.
        if is_user {
            let previous_uses: &[String] = previous.as_ref().map_or(&[], |(_, info)| info.tool_use_ids.as_slice());
            if info.tool_results.len() > previous_uses.len() {
                return Err(format!(
                    "The number of toolResult blocks at messages.{i}.content exceeds the number \
                     of toolUse blocks of previous turn."
                ));
            }
            for (j, id, _) in &info.tool_results {
                if !previous_uses.contains(id) {
                    return Err(format!(
                        "The toolUseId {id} of the toolResult block at messages.{i}.content.{j} \
                         does not match any toolUse block of the previous turn."
                    ));
                }
            }
            let answered: HashSet<&str> = info.tool_results.iter().map(|(_, id, _)| id.as_str()).collect();
            let missing: Vec<&str> =
                previous_uses.iter().map(String::as_str).filter(|id| !answered.contains(id)).collect();
            if !missing.is_empty() {
                return Err(format!(
                    "Expected toolResult blocks at messages.{i}.content for the following Ids: {}",
                    missing.join(", ")
                ));
            }
        }

        for text in &info.texts {
            std::hash::Hash::hash(text, &mut prefix);
            conversation.prompt_words += script::word_count(text);
        }
        for (_, _, text) in &info.tool_results {
            std::hash::Hash::hash(text, &mut prefix);
            conversation.prompt_words += script::word_count(text);
        }
        if info.cache_point {
            conversation.cache_prefix = Some((std::hash::Hasher::finish(&prefix), conversation.prompt_words));
        }
        // Claude with thinking on wants its signed reasoning back at the head of an assistant
        // turn that used tools (the tool loop's turn).
        if conversation.thinking && !is_user && !info.tool_use_ids.is_empty() {
            match &info.leading_reasoning {
                None => {
                    return Err(format!(
                        "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found \
                         `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a \
                         thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks)."
                    ));
                }
                Some((text, signature)) if signature.as_deref() != Some(signature_for(text).as_str()) => {
                    return Err(format!("messages.{i}.content.0: Invalid `signature` in `thinking` block"));
                }
                Some(_) => {}
            }
        }
        if is_user {
            if info.tool_results.is_empty() {
                conversation.last_is_plain_user = true;
                conversation.tool_results = None;
                conversation.user_text = info.texts.join(" ");
                conversation.image_notes = std::mem::take(&mut info.image_notes);
            } else {
                conversation.last_is_plain_user = false;
                conversation.tool_results = Some(info.tool_results.iter().map(|(_, _, text)| text.clone()).collect());
            }
        } else {
            conversation.last_is_plain_user = false;
            conversation.tool_results = None;
        }
        previous = Some((is_user, info));
    }
    if uses_tools && !tool_config_present {
        return Err("The toolConfig field must be defined when using toolUse and toolResult \
                    content blocks."
            .into());
    }
    Ok(conversation)
}

fn validate_content_block(i: usize, j: usize, is_user: bool, block: &Value, info: &mut MessageInfo) -> Check<()> {
    let path = format!("messages.{i}.content.{j}");
    let (member, value) = union_member(block, CONTENT_BLOCK_MEMBERS, &path)?;
    match member {
        "text" => match value.as_str() {
            Some(text) if !is_blank(text) => info.texts.push(text.to_owned()),
            _ => {
                return Err(format!(
                    "The text field in the ContentBlock object at {path} is blank. Add text to \
                     the text field, and try again."
                ));
            }
        },
        "image" => {
            let note = validate_image(value, &format!("{path}.image"))?;
            info.image_notes.push(note);
        }
        "document" => validate_document(value, &format!("{path}.document"))?,
        "toolUse" => {
            if is_user {
                return Err(format!(
                    "The toolUse block at {path} is not allowed in a user message. toolUse \
                     blocks can only appear in assistant messages."
                ));
            }
            let tool_use = object_at(value, &format!("{path}.toolUse"))?;
            let id = validate_tool_use_id(tool_use.get("toolUseId"), &format!("{path}.toolUse"))?;
            match present(tool_use.get("name")) {
                Some(Value::String(name)) if valid_identifier(name) => {}
                None => return Err(not_null(&format!("{path}.toolUse.name"))),
                Some(_) => {
                    return Err(format!(
                        "The name field of the toolUse block at {path} must match the pattern \
                         ^[a-zA-Z0-9_-]{{1,64}}$."
                    ));
                }
            }
            match present(tool_use.get("input")) {
                Some(Value::Object(_)) => {}
                None => return Err(not_null(&format!("{path}.toolUse.input"))),
                Some(_) => {
                    return Err(format!("The input field of the toolUse block at {path} must be a JSON object."));
                }
            }
            if info.tool_use_ids.contains(&id) {
                return Err(format!("The toolUseId {id} at {path} is used by more than one toolUse block."));
            }
            info.tool_use_ids.push(id);
        }
        "toolResult" => {
            if !is_user {
                return Err(format!(
                    "The toolResult block at {path} is not allowed in an assistant message. \
                     toolResult blocks can only appear in user messages."
                ));
            }
            let result_path = format!("{path}.toolResult");
            let result = object_at(value, &result_path)?;
            let id = validate_tool_use_id(result.get("toolUseId"), &result_path)?;
            let blocks = match present(result.get("content")) {
                None => return Err(not_null(&format!("{result_path}.content"))),
                Some(Value::Array(blocks)) if !blocks.is_empty() => blocks,
                Some(_) => {
                    return Err(format!(
                        "The content field of the toolResult block at {path} must be a \
                         non-empty array of ToolResultContentBlock objects."
                    ));
                }
            };
            let mut texts = Vec::new();
            for (k, block) in blocks.iter().enumerate() {
                let block_path = format!("{result_path}.content.{k}");
                let (member, value) = union_member(block, TOOL_RESULT_MEMBERS, &block_path)?;
                match member {
                    "text" => match value.as_str() {
                        Some(text) => texts.push(text.to_owned()),
                        None => {
                            return Err(format!("The text field at {block_path} must be a string."));
                        }
                    },
                    "json" => texts.push(value.to_string()),
                    "image" => {
                        validate_image(value, &format!("{block_path}.image"))?;
                    }
                    _ => validate_document(value, &format!("{block_path}.document"))?,
                }
            }
            match present(result.get("status")) {
                None => {}
                Some(Value::String(s)) if s == "success" || s == "error" => {}
                Some(other) => {
                    return Err(format!(
                        "1 validation error detected: Value '{}' at '{result_path}.status' \
                         failed to satisfy constraint: Member must satisfy enum value set: \
                         [success, error]",
                        other.as_str().map_or_else(|| other.to_string(), str::to_owned)
                    ));
                }
            }
            info.tool_results.push((j, id, texts.join(" ")));
        }
        "reasoningContent" => {
            let reasoning = object_at(value, &format!("{path}.reasoningContent"))?;
            if let Some(Value::Object(text)) = reasoning.get("reasoningText")
                && j == 0
            {
                let said = text.get("text").and_then(Value::as_str).unwrap_or_default().to_owned();
                let signature = text.get("signature").and_then(Value::as_str).map(str::to_owned);
                info.leading_reasoning = Some((said, signature));
            }
        }
        other => {
            // cachePoint, guardContent, video, audio, ...
            object_at(value, &format!("{path}.{other}"))?;
            if other == "cachePoint" {
                info.cache_point = true;
            }
        }
    }
    Ok(())
}

fn validate_tool_use_id(value: Option<&Value>, path: &str) -> Check<String> {
    match present(value) {
        Some(Value::String(id)) if valid_identifier(id) => Ok(id.clone()),
        None => Err(not_null(&format!("{path}.toolUseId"))),
        Some(_) => Err(format!(
            "1 validation error detected: Value at '{path}.toolUseId' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]+$ and \
             have length between 1 and 64"
        )),
    }
}

/// Validates an ImageBlock and returns its note (`[image: png, 68 bytes]`).
fn validate_image(value: &Value, path: &str) -> Check<String> {
    let image = object_at(value, path)?;
    let format = match present(image.get("format")) {
        Some(Value::String(f)) if ["png", "jpeg", "gif", "webp"].contains(&f.as_str()) => f,
        None => return Err(not_null(&format!("{path}.format"))),
        Some(other) => {
            return Err(format!(
                "1 validation error detected: Value '{}' at '{path}.format' failed to satisfy \
                 constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]",
                other.as_str().map_or_else(|| other.to_string(), str::to_owned)
            ));
        }
    };
    let Some(source) = present(image.get("source")) else {
        return Err(not_null(&format!("{path}.source")));
    };
    let (_, bytes) = union_member(source, &["bytes"], &format!("{path}.source"))?;
    let decoded = bytes
        .as_str()
        .and_then(script::decode_base64)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| format!("The bytes field at {path}.source.bytes must be non-empty base64-encoded data."))?;
    Ok(format!("[image: {format}, {} bytes]", decoded.len()))
}

fn validate_document(value: &Value, path: &str) -> Check<()> {
    let document = object_at(value, path)?;
    match present(document.get("name")) {
        Some(Value::String(name)) if !is_blank(name) => {}
        None => return Err(not_null(&format!("{path}.name"))),
        Some(_) => {
            return Err(format!("The name field at {path} must be a non-blank string."));
        }
    }
    let Some(source) = present(document.get("source")) else {
        return Err(not_null(&format!("{path}.source")));
    };
    union_member(source, &["bytes", "s3Location", "text", "content"], &format!("{path}.source"))?;
    Ok(())
}

fn validate_tool_config(config: &Value) -> Check<Vec<(String, Value)>> {
    let config = object_at(config, "toolConfig")?;
    let tools = match present(config.get("tools")) {
        None => return Err(not_null("toolConfig.tools")),
        Some(Value::Array(tools)) if !tools.is_empty() => tools,
        Some(_) => {
            return Err("1 validation error detected: Value at 'toolConfig.tools' failed to \
                        satisfy constraint: Member must have length greater than or equal to 1"
                .into());
        }
    };
    let mut names: Vec<String> = Vec::new();
    let mut offered = Vec::new();
    for (k, tool) in tools.iter().enumerate() {
        let path = format!("toolConfig.tools.{k}");
        let (member, value) = union_member(tool, &["toolSpec", "cachePoint", "systemTool"], &path)?;
        if member != "toolSpec" {
            object_at(value, &format!("{path}.{member}"))?;
            continue;
        }
        let spec_path = format!("{path}.toolSpec");
        let spec = object_at(value, &spec_path)?;
        let name = match present(spec.get("name")) {
            Some(Value::String(name)) if valid_identifier(name) => name.clone(),
            None => return Err(not_null(&format!("{spec_path}.name"))),
            Some(other) => {
                return Err(format!(
                    "1 validation error detected: Value '{}' at '{spec_path}.name' failed to \
                     satisfy constraint: Member must satisfy regular expression pattern: \
                     ^[a-zA-Z0-9_-]{{1,64}}$",
                    other.as_str().map_or_else(|| other.to_string(), str::to_owned)
                ));
            }
        };
        match present(spec.get("description")) {
            None => {}
            Some(Value::String(d)) if !d.is_empty() => {}
            Some(_) => {
                return Err(format!(
                    "1 validation error detected: Value at '{spec_path}.description' failed to \
                     satisfy constraint: Member must have length greater than or equal to 1"
                ));
            }
        }
        let Some(schema) = present(spec.get("inputSchema")) else {
            return Err(not_null(&format!("{spec_path}.inputSchema")));
        };
        let (_, json_schema) = union_member(schema, &["json"], &format!("{spec_path}.inputSchema"))?;
        if !json_schema.is_object() {
            return Err(format!(
                "The json field at {spec_path}.inputSchema.json must be a JSON object (a JSON \
                 schema)."
            ));
        }
        if let Some(strict) = present(spec.get("strict"))
            && !strict.is_boolean()
        {
            return Err(format!("The strict field at {spec_path} must be a boolean."));
        }
        if names.contains(&name) {
            return Err(format!(
                "The toolConfig field contains duplicate tool names: {name}. Tool names must be \
                 unique."
            ));
        }
        offered.push((name.clone(), json_schema.clone()));
        names.push(name);
    }
    if let Some(choice) = present(config.get("toolChoice")) {
        let (member, value) = union_member(choice, &["auto", "any", "tool"], "toolConfig.toolChoice")?;
        let value = object_at(value, &format!("toolConfig.toolChoice.{member}"))?;
        if member == "tool" {
            match present(value.get("name")) {
                Some(Value::String(name)) if names.contains(name) => {}
                None => return Err(not_null("toolConfig.toolChoice.tool.name")),
                Some(other) => {
                    return Err(format!(
                        "The tool {} named in toolConfig.toolChoice.tool is not defined in \
                         toolConfig.tools.",
                        other.as_str().map_or_else(|| other.to_string(), str::to_owned)
                    ));
                }
            }
        }
    }
    Ok(offered)
}

/// Validates `inferenceConfig` and returns its `maxTokens`.
fn validate_inference_config(config: &Value) -> Check<Option<u64>> {
    const KNOWN: &[&str] = &["maxTokens", "temperature", "topP", "stopSequences"];
    /// The Converse API's documented maximum.
    const MAX_STOP_SEQUENCES: usize = 2500;
    /// f32 values such as 0.2 arrive as 0.20000000298023224.
    const TOLERANCE: f64 = 1e-6;

    let config = object_at(config, "inferenceConfig")?;
    for key in config.keys() {
        if !KNOWN.contains(&key.as_str()) {
            return Err(format!(
                "The inferenceConfig field contains an unknown member: {key}. Allowed members \
                 are {}.",
                KNOWN.join(", ")
            ));
        }
    }
    let max_tokens = match present(config.get("maxTokens")) {
        None => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => n.as_u64(),
        Some(other) => {
            return Err(format!(
                "1 validation error detected: Value '{other}' at 'inferenceConfig.maxTokens' \
                 failed to satisfy constraint: Member must have value greater than or equal to 1"
            ));
        }
    };
    for name in ["temperature", "topP"] {
        if let Some(value) = present(config.get(name)) {
            let in_range = value.as_f64().is_some_and(|v| (-TOLERANCE..=1.0 + TOLERANCE).contains(&v));
            if !in_range {
                return Err(format!(
                    "1 validation error detected: Value '{value}' at 'inferenceConfig.{name}' \
                     failed to satisfy constraint: Member must have value between 0 and 1"
                ));
            }
        }
    }
    if let Some(stops) = present(config.get("stopSequences")) {
        let Value::Array(stops) = stops else {
            return Err("The stopSequences field in inferenceConfig must be an array of strings.".into());
        };
        if stops.len() > MAX_STOP_SEQUENCES {
            return Err(format!(
                "1 validation error detected: Value at 'inferenceConfig.stopSequences' failed to \
                 satisfy constraint: Member must have length less than or equal to \
                 {MAX_STOP_SEQUENCES}"
            ));
        }
        if !stops.iter().all(|s| s.as_str().is_some_and(|s| !s.is_empty())) {
            return Err("1 validation error detected: Value at 'inferenceConfig.stopSequences' \
                        failed to satisfy constraint: Member must contain only non-empty strings"
                .into());
        }
    }
    Ok(max_tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: Value) -> Check<Conversation> {
        let Value::Object(map) = body else { unreachable!() };
        validate(&map)
    }

    #[test]
    fn text_conversation_is_accepted() {
        let conversation = check(json!({
            "system": [{"text": "be brief"}],
            "messages": [{"role": "user", "content": [{"text": "hi there"}]}],
            "inferenceConfig": {"maxTokens": 10, "temperature": 0.20000000298023224},
            "someFutureMember": 1,
        }))
        .expect("valid");
        assert!(conversation.last_is_plain_user);
        assert_eq!(conversation.user_text, "hi there");
        assert_eq!(conversation.prompt_words, 4);
        assert_eq!(conversation.max_tokens, Some(10));
    }

    #[test]
    fn structural_errors() {
        let blank = check(json!({"messages": [{"role": "user", "content": [{"text": "  "}]}]}));
        assert!(blank.err().is_some_and(|e| e.contains("messages.0.content.0 is blank")));
        let alternating = check(json!({"messages": [
            {"role": "user", "content": [{"text": "a"}]},
            {"role": "user", "content": [{"text": "b"}]}]}));
        assert_eq!(alternating.err().as_deref(), Some(ALTERNATION));
        let mixed = check(json!({"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}));
        assert!(mixed.err().is_some_and(|e| e.contains("mixed variants")));
        let unknown_inference = check(json!({
            "messages": [{"role": "user", "content": [{"text": "a"}]}],
            "inferenceConfig": {"maxTokens": 5, "top_k": 3}}));
        assert!(unknown_inference.err().is_some_and(|e| e.contains("top_k")));
    }

    #[test]
    fn tool_pairing() {
        let tool_config = json!({"tools": [{"toolSpec": {"name": "get_weather",
            "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}]});
        let base = |results: Value, config: Option<&Value>| {
            let mut body = json!({"messages": [
                {"role": "user", "content": [{"text": "weather?"}]},
                {"role": "assistant", "content": [
                    {"toolUse": {"toolUseId": "tooluse_a", "name": "get_weather", "input": {}}},
                    {"toolUse": {"toolUseId": "tooluse_b", "name": "get_weather", "input": {}}}]},
                {"role": "user", "content": results}]});
            if let Some(config) = config {
                body["toolConfig"] = config.clone();
            }
            check(body)
        };
        let result = |id: &str| json!({"toolResult": {"toolUseId": id, "content": [{"text": "sunny"}]}});
        let ok = base(json!([result("tooluse_a"), result("tooluse_b")]), Some(&tool_config)).expect("valid");
        assert_eq!(ok.tool_results, Some(vec!["sunny".to_owned(), "sunny".to_owned()]));
        let missing = base(json!([result("tooluse_a")]), Some(&tool_config));
        assert_eq!(
            missing.err().as_deref(),
            Some("Expected toolResult blocks at messages.2.content for the following Ids: tooluse_b")
        );
        let too_many = base(json!([result("tooluse_a"), result("tooluse_b"), result("tooluse_a")]), Some(&tool_config));
        assert!(too_many.err().is_some_and(|e| e.contains("exceeds the number of toolUse")));
        let no_config = base(json!([result("tooluse_a"), result("tooluse_b")]), None);
        assert!(no_config.err().is_some_and(|e| e.contains("toolConfig field must be defined")));
    }
}
