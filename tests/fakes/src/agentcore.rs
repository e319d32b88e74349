//! A fake of Amazon Bedrock AgentCore: the control plane (API-key credential providers in
//! AgentCore Identity, harnesses) and the data plane's `InvokeHarness`, on two servers like the
//! real `bedrock-agentcore-control` and `bedrock-agentcore` endpoints. restJson1 and AWS event
//! streams, strict like the service: SigV4 scope `bedrock-agentcore`, name patterns, required
//! members, unions with exactly one member, ISO-8601 harness timestamps and epoch-second provider
//! timestamps, `x-amzn-ErrorType` errors.
//!
//! `InvokeHarness` behaves like the real harness runtime with model source LiteLLM: it calls the
//! harness's `apiBase` + `/chat/completions` with `Authorization: Bearer <the key stored in the
//! credential provider>` and `model` = the model id without `litellm_proxy/` — and a model id
//! without that prefix fails like LiteLLM does ("LLM Provider NOT provided"). The answer streams
//! back as harness events. A user message containing "tool" makes the agent offer a
//! `current_time` tool: tool use, a hook event and the tool result appear in the stream, and the
//! model is called a second time. The caller's W3C `traceparent` goes on with the harness's
//! model calls (as a runtime instrumented with OpenTelemetry propagates it).
//!
//! Special inputs: a harness name starting with `failing` ends up `CREATE_FAILED` with a
//! failure reason; an execution role whose name contains `denied` makes Create/UpdateHarness
//! fail with `AccessDeniedException` (iam:PassRole). [`FakeAgentCore::fail`] injects any error.
//! Harnesses are `CREATING`/`UPDATING` until they are next looked at (Get or List).
//!
//! `InvokeAgentRuntime` serves the agent runtimes added with [`FakeAgentCore::add_runtime`] (see
//! `runtime`).

// Checks return the service's error response itself; their size does not matter in a fake.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_smithy_types::event_stream::{Header, HeaderValue as EventHeaderValue, Message};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Map, Value, json};

mod runtime;
mod secrets;
mod settings;
mod versions;

use crate::RecordedRequest;
use crate::server::{Server, Shared, json_response, percent_decode};

pub const ACCOUNT: &str = "123456789012";
const LITELLM_PREFIX: &str = "litellm_proxy/";
const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const MODEL_UNION: &[&str] = &["bedrockModelConfig", "openAiModelConfig", "geminiModelConfig", "liteLlmModelConfig"];

/// A call the fake harness runtime made to a model (the gateway).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCall {
    pub url: String,
    /// The `Authorization` header sent.
    pub authorization: Option<String>,
    pub body: Value,
}

struct Provider {
    name: String,
    region: String,
    arn: String,
    key: secrets::ProviderKey,
    created: f64,
    updated: f64,
}

struct HarnessRec {
    id: String,
    name: String,
    region: String,
    arn: String,
    status: &'static str,
    /// The status after the next Get or List.
    settles_to: Option<&'static str>,
    execution_role_arn: String,
    created_at: String,
    updated_at: String,
    model: Value,
    system_prompt: Value,
    version: u64,
    failure_reason: Option<String>,
    extra: Map<String, Value>,
    versions: Vec<versions::VersionRec>,
    endpoints: BTreeMap<String, versions::EndpointRec>,
}

struct Fault {
    operation: String,
    remaining: usize,
    status: u16,
    code: String,
    message: String,
}

#[derive(Default)]
struct Data {
    providers: Vec<Provider>,
    harnesses: BTreeMap<String, HarnessRec>,
    sessions: HashMap<(String, String), Vec<Value>>,
    faults: Vec<Fault>,
    model_calls: Vec<ModelCall>,
    runtimes: Vec<runtime::RuntimeRec>,
    /// Whether harnesses carry the caller's trace on to their model calls (they do by default).
    drops_traces: bool,
    /// The prompts each agent runtime session received: (runtime ARN, session id).
    runtime_sessions: HashMap<(String, String), Vec<String>>,
    /// Where secrets of the user's are read (credential providers with source EXTERNAL).
    secrets_manager_url: Option<String>,
}

struct FakeState {
    data: Mutex<Data>,
    http: reqwest::Client,
}

impl FakeState {
    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An injected error for this operation, if one is pending.
    fn fault(&self, operation: &str) -> Option<Response> {
        let mut data = self.data();
        let i = data.faults.iter().position(|f| f.operation == operation && f.remaining > 0)?;
        let f = &mut data.faults[i];
        f.remaining -= 1;
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Some(aws_error(status, &f.code, &f.message))
    }
}

/// The fake, on two ephemeral ports of 127.0.0.1. Runs until dropped.
pub struct FakeAgentCore {
    control: Server,
    runtime: Server,
    state: Arc<FakeState>,
}

impl FakeAgentCore {
    pub async fn start() -> anyhow::Result<FakeAgentCore> {
        let state = Arc::new(FakeState {
            data: Mutex::new(Data::default()),
            http: reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?,
        });
        let control_app = Router::new()
            .route("/identities/{operation}", post(identities))
            .route("/harnesses", post(create_harness).get(list_harnesses))
            .route("/harnesses/{id}", get(get_harness).patch(update_harness).delete(delete_harness))
            .route("/harnesses/{id}/versions", get(versions::list_versions))
            .route("/harnesses/{id}/endpoints", get(versions::list_endpoints).post(versions::create_endpoint))
            .route(
                "/harnesses/{id}/endpoints/{name}",
                get(versions::get_endpoint).patch(versions::update_endpoint).delete(versions::delete_endpoint),
            )
            .fallback(unknown_operation)
            .with_state(state.clone());
        let runtime_app = Router::new()
            .route("/harnesses/invoke", post(invoke_harness))
            .route("/runtimes/{arn}/invocations", post(runtime::invoke_agent_runtime))
            .fallback(unknown_operation)
            .with_state(state.clone());
        // Both planes sign as `bedrock-agentcore`.
        let signed = || {
            middleware::from_fn(|request, next| crate::sigv4::refuse_bad_signatures("bedrock-agentcore", request, next))
        };
        let (control_app, runtime_app) = (control_app.layer(signed()), runtime_app.layer(signed()));
        let local = SocketAddr::from(([127, 0, 0, 1], 0));
        let control = Server::start(local, Shared::new(None), control_app).await?;
        let runtime = Server::start(local, Shared::new(None), runtime_app).await?;
        Ok(FakeAgentCore { control, runtime, state })
    }

    /// For `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL` / the control client's `endpoint_url`.
    pub fn control_endpoint_url(&self) -> String {
        format!("http://{}", self.control.addr)
    }

    /// For `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE` / the data-plane client's `endpoint_url`.
    pub fn runtime_endpoint_url(&self) -> String {
        format!("http://{}", self.runtime.addr)
    }

    /// Requests to the control plane, in order.
    pub fn control_requests(&self) -> Vec<RecordedRequest> {
        self.control.shared.requests()
    }

    /// Requests to the data plane, in order.
    pub fn runtime_requests(&self) -> Vec<RecordedRequest> {
        self.runtime.shared.requests()
    }

    /// Every request: the control plane's, then the data plane's.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        let mut all = self.control_requests();
        all.extend(self.runtime_requests());
        all
    }

    /// The API key stored in a credential provider (what only AgentCore knows).
    pub fn provider_api_key(&self, name: &str) -> Option<String> {
        self.state.data().providers.iter().find(|p| p.name == name).and_then(|p| match &p.key {
            secrets::ProviderKey::Stored(k) => Some(k.clone()),
            secrets::ProviderKey::Secret { .. } => None,
        })
    }

    /// The secret a credential provider reads its key from: `(secret id, JSON key)`.
    pub fn provider_secret(&self, name: &str) -> Option<(String, String)> {
        self.state.data().providers.iter().find(|p| p.name == name).and_then(|p| match &p.key {
            secrets::ProviderKey::Secret { secret_id, json_key, .. } => Some((secret_id.clone(), json_key.clone())),
            secrets::ProviderKey::Stored(_) => None,
        })
    }

    /// The Secrets Manager endpoint where secrets of the user's are read (moto's, in the tests).
    pub fn use_secrets_manager(&self, url: &str) {
        self.state.data().secrets_manager_url = Some(url.to_string());
    }

    /// A harness as GetHarness would show it (without settling its status).
    pub fn harness(&self, id: &str) -> Option<Value> {
        self.state.data().harnesses.get(id).map(harness_json)
    }

    /// Sets a harness's status (and failure reason), as if AgentCore had changed it.
    pub fn set_harness_status(&self, id: &str, status: &'static str, failure_reason: Option<&str>) {
        if let Some(h) = self.state.data().harnesses.get_mut(id) {
            h.status = status;
            h.settles_to = None;
            h.failure_reason = failure_reason.map(str::to_string);
        }
    }

    /// Makes the next `times` calls of `operation` (`CreateHarness`, `InvokeHarness`, ...) fail
    /// with this status, `x-amzn-ErrorType` code and message.
    pub fn fail(&self, operation: &str, times: usize, status: u16, code: &str, message: &str) {
        self.state.data().faults.push(Fault {
            operation: operation.to_string(),
            remaining: times,
            status,
            code: code.to_string(),
            message: message.to_string(),
        });
    }

    /// Forgets injected errors not used up yet.
    pub fn clear_faults(&self) {
        self.state.data().faults.clear();
    }

    /// Makes harnesses drop the caller's trace (a runtime without OpenTelemetry), or carry it on.
    pub fn drop_traces(&self, drop: bool) {
        self.state.data().drops_traces = drop;
    }

    /// Adds an agent runtime (as if deployed with `agentcore launch`) and returns its ARN; it
    /// answers in JSON when `replies_json`, else in server-sent events.
    pub fn add_runtime(&self, name: &str, replies_json: bool) -> String {
        let arn = format!("arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:runtime/{name}-{}", random_suffix());
        self.state.data().runtimes.push(runtime::RuntimeRec { arn: arn.clone(), replies_json });
        arn
    }

    /// The model calls the harness runtime made.
    pub fn model_calls(&self) -> Vec<ModelCall> {
        self.state.data().model_calls.clone()
    }
}

// ---------------------------------------------------------------------------
// Protocol helpers

fn request_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}

fn ok(status: StatusCode, body: &Value) -> Response {
    let mut r = json_response(status, body);
    r.headers_mut().insert("x-amzn-requestid", request_id());
    r
}

fn aws_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = json_response(status, &json!({ "message": message }));
    r.headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_str(code).unwrap_or(HeaderValue::from_static("Unknown")));
    r.headers_mut().insert("x-amzn-requestid", request_id());
    r
}

fn validation(message: &str) -> Response {
    let mut r =
        json_response(StatusCode::BAD_REQUEST, &json!({ "message": message, "reason": "FieldValidationFailed" }));
    r.headers_mut().insert("x-amzn-errortype", HeaderValue::from_static("ValidationException"));
    r.headers_mut().insert("x-amzn-requestid", request_id());
    r
}

fn constraint(value: &str, member: &str, what: &str) -> Response {
    validation(&format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must {what}"
    ))
}

fn missing(member: &str) -> Response {
    validation(&format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

fn not_found(message: &str) -> Response {
    aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
}

async fn unknown_operation() -> Response {
    aws_error(StatusCode::NOT_FOUND, "UnknownOperationException", "Unknown operation")
}

/// The region of a SigV4 signature scoped to `bedrock-agentcore`.
fn signed_region(headers: &HeaderMap) -> Result<String, Response> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 Credential=") else {
        return Err(aws_error(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let scope: Vec<&str> = rest.split(',').next().unwrap_or("").split('/').collect();
    match scope.as_slice() {
        [_, _, region, "bedrock-agentcore", "aws4_request"] if !region.is_empty() => Ok(region.to_string()),
        [_, _, _, service, _] => Err(aws_error(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            &format!("Credential should be scoped to correct service: 'bedrock-agentcore', not '{service}'."),
        )),
        _ => Err(aws_error(StatusCode::FORBIDDEN, "IncompleteSignatureException", "Credential scope is malformed.")),
    }
}

fn json_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    let text: &[u8] = if body.is_empty() { b"{}" } else { body };
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(aws_error(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            "Malformed request body: expected a JSON object.",
        )),
    }
}

fn string_member<'a>(body: &'a Map<String, Value>, member: &str) -> Result<Option<&'a str>, Response> {
    match body.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(aws_error(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            &format!("Expected a string at '{member}'"),
        )),
    }
}

fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn now_epoch() -> f64 {
    let t = chrono::Utc::now();
    t.timestamp() as f64 + f64::from(t.timestamp_subsec_millis()) / 1000.0
}

fn random_suffix() -> String {
    crate::script::random_chars(ALPHANUMERIC, 10)
}

fn matches_provider_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn matches_harness_name(name: &str) -> bool {
    name.len() <= 40
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn matches_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", p, "iam", "", account, resource]
        if p.starts_with("aws") && (account.is_empty() || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())))
            && resource.strip_prefix("role/").is_some_and(|r| !r.is_empty()))
}

fn matches_api_key_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", p, "bedrock-agentcore", region, account, resource]
        if p.starts_with("aws") && !region.is_empty() && account.len() == 12
            && resource.starts_with("token-vault/") && resource.contains("/apikeycredentialprovider/"))
}

// ---------------------------------------------------------------------------
// AgentCore Identity: API-key credential providers

fn provider_json(p: &Provider, times: bool) -> Value {
    let mut members = Map::new();
    members.insert("name".into(), json!(p.name));
    members.insert("credentialProviderArn".into(), json!(p.arn));
    p.key.describe(&p.region, &p.name, &mut members);
    let mut v = Value::Object(members);
    if times {
        v["createdTime"] = json!(p.created);
        v["lastUpdatedTime"] = json!(p.updated);
    }
    v
}

async fn identities(
    State(state): State<Arc<FakeState>>,
    Path(operation): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let known = [
        "CreateApiKeyCredentialProvider",
        "GetApiKeyCredentialProvider",
        "UpdateApiKeyCredentialProvider",
        "DeleteApiKeyCredentialProvider",
        "ListApiKeyCredentialProviders",
    ];
    if !known.contains(&operation.as_str()) {
        return unknown_operation().await;
    }
    if let Some(r) = state.fault(&operation) {
        return r;
    }
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if operation == "ListApiKeyCredentialProviders" {
        let max = body.get("maxResults").and_then(Value::as_u64).unwrap_or(10);
        if !(1..=100).contains(&max) {
            return constraint(&max.to_string(), "maxResults", "have value between 1 and 100");
        }
        let start: usize = match string_member(&body, "nextToken") {
            Ok(Some(t)) => match t.strip_prefix("page-").and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => return validation("Invalid nextToken"),
            },
            Ok(None) => 0,
            Err(r) => return r,
        };
        let data = state.data();
        let all: Vec<&Provider> = data.providers.iter().filter(|p| p.region == region).collect();
        let page: Vec<Value> = all
            .iter()
            .skip(start)
            .take(max as usize)
            .map(|p| {
                json!({"name": p.name, "credentialProviderArn": p.arn, "createdTime": p.created, "lastUpdatedTime": p.updated})
            })
            .collect();
        let mut out = json!({ "credentialProviders": page });
        if start + (max as usize) < all.len() {
            out["nextToken"] = json!(format!("page-{}", start + max as usize));
        }
        return ok(StatusCode::OK, &out);
    }
    let name = match string_member(&body, "name") {
        Ok(Some(n)) => n.to_string(),
        Ok(None) => return missing("name"),
        Err(r) => return r,
    };
    if !matches_provider_name(&name) {
        return constraint(&name, "name", "satisfy regular expression pattern: [a-zA-Z0-9\\-_]+");
    }
    let api_key = match string_member(&body, "apiKey") {
        Ok(k) => k.map(str::to_string),
        Err(r) => return r,
    };
    // A secret of the user's is read before anything is stored: one that cannot be read is refused.
    let secret = match secrets::reference(&body) {
        Ok(None) => None,
        Ok(Some((secret_id, json_key))) => {
            let endpoint = state.data().secrets_manager_url.clone();
            match secrets::read(&state.http, endpoint.as_deref(), &region, &secret_id, &json_key).await {
                Ok((secret_arn, _)) => Some(secrets::ProviderKey::Secret { secret_id, json_key, secret_arn }),
                Err(m) => return validation(&m),
            }
        }
        Err(m) => return validation(&m),
    };
    let key = match (secret, api_key) {
        (Some(s), _) => Some(s),
        (None, Some(k)) if k.is_empty() || k.len() > 65536 => {
            return validation(
                "1 validation error detected: Value at 'apiKey' failed to satisfy constraint: Member must have length between 1 and 65536",
            );
        }
        (None, Some(k)) => Some(secrets::ProviderKey::Stored(k)),
        (None, None) => None,
    };
    let mut data = state.data();
    let index = data.providers.iter().position(|p| p.name == name && p.region == region);
    match operation.as_str() {
        "CreateApiKeyCredentialProvider" => {
            if index.is_some() {
                return aws_error(
                    StatusCode::CONFLICT,
                    "ConflictException",
                    &format!("Credential provider with name: {name} already exists"),
                );
            }
            let Some(key) = key else { return missing("apiKey") };
            let now = now_epoch();
            let p = Provider {
                arn: format!(
                    "arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:token-vault/default/apikeycredentialprovider/{name}"
                ),
                name,
                region,
                key,
                created: now,
                updated: now,
            };
            let out = provider_json(&p, false);
            data.providers.push(p);
            ok(StatusCode::CREATED, &out)
        }
        "GetApiKeyCredentialProvider" => match index {
            Some(i) => ok(StatusCode::OK, &provider_json(&data.providers[i], true)),
            None => not_found(&format!("Credential provider {name} not found")),
        },
        "UpdateApiKeyCredentialProvider" => {
            let Some(i) = index else { return not_found(&format!("Credential provider {name} not found")) };
            let Some(key) = key else { return missing("apiKey") };
            let p = &mut data.providers[i];
            p.key = key;
            p.updated = now_epoch().max(p.updated + 0.001);
            ok(StatusCode::OK, &provider_json(p, true))
        }
        _ => {
            let Some(i) = index else { return not_found(&format!("Credential provider {name} not found")) };
            data.providers.remove(i);
            let mut r = StatusCode::NO_CONTENT.into_response();
            r.headers_mut().insert("x-amzn-requestid", request_id());
            r
        }
    }
}

// ---------------------------------------------------------------------------
// Harnesses

fn harness_json(h: &HarnessRec) -> Value {
    let runtime_name = format!("harness_{}", h.id.replace('-', "_"));
    let mut v = json!({
        "harnessId": h.id,
        "harnessName": h.name,
        "arn": h.arn,
        "status": h.status,
        "harnessVersion": h.version.to_string(),
        "executionRoleArn": h.execution_role_arn,
        "createdAt": h.created_at,
        "updatedAt": h.updated_at,
        "model": h.model,
        "systemPrompt": h.system_prompt,
        "tools": h.extra.get("tools").cloned().unwrap_or(json!([])),
        "skills": h.extra.get("skills").cloned().unwrap_or(json!([])),
        "allowedTools": h.extra.get("allowedTools").cloned().unwrap_or(json!(["*"])),
        "truncation": h.extra.get("truncation").cloned().unwrap_or(json!({"strategy": "sliding_window"})),
        "environment": {
            "agentCoreRuntimeEnvironment": {
                "agentRuntimeArn": format!("arn:aws:bedrock-agentcore:{}:{ACCOUNT}:runtime/{runtime_name}", h.region),
                "agentRuntimeName": runtime_name,
                "agentRuntimeId": runtime_name,
                "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800},
                "networkConfiguration": {"networkMode": "PUBLIC"},
            }
        },
        "maxIterations": h.extra.get("maxIterations").cloned().unwrap_or(json!(75)),
        "timeoutSeconds": h.extra.get("timeoutSeconds").cloned().unwrap_or(json!(3600)),
    });
    for member in ["maxTokens", "memory", "environmentVariables", "hooks"] {
        if let Some(value) = h.extra.get(member) {
            v[member] = value.clone();
        }
    }
    if let Some(r) = &h.failure_reason {
        v["failureReason"] = json!(r);
    }
    v
}

fn summary_json(h: &HarnessRec) -> Value {
    json!({
        "harnessId": h.id, "harnessName": h.name, "arn": h.arn, "status": h.status,
        "createdAt": h.created_at, "updatedAt": h.updated_at, "harnessVersion": h.version.to_string(),
    })
}

/// The single member of a union object.
fn union_member<'a>(value: &'a Value, allowed: &[&str], path: &str) -> Result<(&'a str, &'a Value), Response> {
    let Value::Object(o) = value else {
        return Err(validation(&format!("Union did not contain a valid variant at {path}: expected an object.")));
    };
    let members: Vec<(&String, &Value)> = o.iter().filter(|(_, v)| !v.is_null()).collect();
    match members.as_slice() {
        [] => Err(validation(&format!(
            "Union did not contain a valid variant at {path}: exactly one of {} is required.",
            allowed.join(", ")
        ))),
        [(k, v)] if allowed.contains(&k.as_str()) => Ok((k.as_str(), v)),
        [(k, _)] => Err(validation(&format!("Union did not contain a valid variant at {path}: unknown member '{k}'."))),
        _ => Err(validation(&format!("Union contained mixed variants at {path}. Exactly one member may be set."))),
    }
}

fn check_number(config: &Map<String, Value>, member: &str, path: &str, min: f64, max: f64) -> Result<(), Response> {
    match config.get(member) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => match v.as_f64() {
            // f32 on the wire: 0.2 arrives as 0.20000000298023224.
            Some(x) if x >= min - 1e-6 && x <= max + 1e-6 => Ok(()),
            _ => Err(constraint(
                &v.to_string(),
                &format!("{path}.{member}"),
                &format!("have value between {min} and {max}"),
            )),
        },
    }
}

fn check_model(model: &Value) -> Result<(), Response> {
    let (variant, config) = union_member(model, MODEL_UNION, "model")?;
    let Value::Object(c) = config else { return Err(validation("model: expected an object")) };
    let path = format!("model.{variant}");
    match c.get("modelId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() && id.len() <= 2048 => {}
        Some(id) => return Err(constraint(id, &format!("{path}.modelId"), "have length between 1 and 2048")),
        None => return Err(missing(&format!("{path}.modelId"))),
    }
    let key_arn = c.get("apiKeyArn").and_then(Value::as_str);
    if (variant == "openAiModelConfig" || variant == "geminiModelConfig") && key_arn.is_none() {
        return Err(missing(&format!("{path}.apiKeyArn")));
    }
    if let Some(arn) = key_arn
        && !matches_api_key_arn(arn)
    {
        return Err(constraint(
            arn,
            &format!("{path}.apiKeyArn"),
            "satisfy regular expression pattern: arn:aws(-[^:]+)?:bedrock-agentcore:[a-z0-9-]{1,20}:[0-9]{12}:token-vault/[a-zA-Z0-9-.]+/apikeycredentialprovider/[a-zA-Z0-9-.]+",
        ));
    }
    if let Some(base) = c.get("apiBase").and_then(Value::as_str)
        && (base.is_empty() || base.len() > 16383)
    {
        return Err(validation(&format!(
            "1 validation error detected: Value at '{path}.apiBase' failed to satisfy constraint: Member must have length between 1 and 16383"
        )));
    }
    check_number(c, "maxTokens", &path, 1.0, 1_000_000.0)?;
    check_number(c, "temperature", &path, 0.0, 2.0)?;
    check_number(c, "topP", &path, 0.0, 1.0)?;
    Ok(())
}

fn check_system_prompt(prompt: &Value) -> Result<(), Response> {
    let Value::Array(blocks) = prompt else { return Err(validation("systemPrompt: expected a list")) };
    for (i, b) in blocks.iter().enumerate() {
        let (_, text) = union_member(b, &["text"], &format!("systemPrompt[{i}]"))?;
        if !text.is_string() {
            return Err(validation(&format!("systemPrompt[{i}].text: expected a string")));
        }
    }
    Ok(())
}

fn check_role(role: &str) -> Result<(), Response> {
    if !matches_role_arn(role) {
        return Err(constraint(
            role,
            "executionRoleArn",
            "satisfy regular expression pattern: arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+",
        ));
    }
    let name = role.rsplit('/').next().unwrap_or("");
    if name.to_ascii_lowercase().contains("denied") {
        return Err(aws_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            &format!(
                "User: arn:aws:sts::{ACCOUNT}:assumed-role/switchboard-test/session is not authorized to perform: \
                 iam:PassRole on resource: {role} because no identity-based policy allows the iam:PassRole action"
            ),
        ));
    }
    Ok(())
}

async fn create_harness(State(state): State<Arc<FakeState>>, headers: HeaderMap, body: Bytes) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(r) = state.fault("CreateHarness") {
        return r;
    }
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let name = match string_member(&body, "harnessName") {
        Ok(Some(n)) => n.to_string(),
        Ok(None) => return missing("harnessName"),
        Err(r) => return r,
    };
    if !matches_harness_name(&name) {
        return constraint(&name, "harnessName", "satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,39}");
    }
    let role = match string_member(&body, "executionRoleArn") {
        Ok(Some(r)) => r.to_string(),
        Ok(None) => return missing("executionRoleArn"),
        Err(r) => return r,
    };
    if let Err(r) = check_role(&role) {
        return r;
    }
    if let Some(token) = body.get("clientToken").and_then(Value::as_str)
        && (token.is_empty() || token.len() > 256)
    {
        return constraint(token, "clientToken", "have length between 1 and 256");
    }
    let model = body
        .get("model")
        .cloned()
        .unwrap_or_else(|| json!({"bedrockModelConfig": {"modelId": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}}));
    if let Err(r) = check_model(&model) {
        return r;
    }
    let system_prompt =
        body.get("systemPrompt").cloned().unwrap_or_else(|| json!([{"text": "You are a helpful assistant."}]));
    if let Err(r) = check_system_prompt(&system_prompt) {
        return r;
    }
    if let Err(r) = settings::check(&body, false) {
        return r;
    }
    let mut data = state.data();
    if data.harnesses.values().any(|h| h.name == name && h.region == region) {
        return aws_error(
            StatusCode::CONFLICT,
            "ConflictException",
            &format!("A harness with the name '{name}' already exists."),
        );
    }
    let id = format!("{name}-{}", random_suffix());
    let now = now_iso();
    let failing = name.starts_with("failing");
    let h = HarnessRec {
        arn: format!("arn:aws:bedrock-agentcore:{region}:{ACCOUNT}:harness/{id}"),
        id: id.clone(),
        name,
        region,
        status: "CREATING",
        settles_to: Some(if failing { "CREATE_FAILED" } else { "READY" }),
        failure_reason: None,
        execution_role_arn: role,
        created_at: now.clone(),
        updated_at: now,
        model,
        system_prompt,
        version: 1,
        extra: Map::new(),
        versions: Vec::new(),
        endpoints: BTreeMap::new(),
    };
    let mut h = h;
    settings::apply(&mut h.extra, &body, false, &h.region, &h.name);
    let first = harness_json(&h);
    versions::record_version(&mut h, first);
    let out = json!({ "harness": harness_json(&h) });
    data.harnesses.insert(id, h);
    ok(StatusCode::CREATED, &out)
}

/// CREATING/UPDATING become their final status when looked at.
fn settle(h: &mut HarnessRec) {
    if let Some(s) = h.settles_to.take() {
        h.status = s;
        if s == "CREATE_FAILED" {
            h.failure_reason = Some(format!(
                "Failed to create the harness runtime: the execution role {} could not be assumed by \
                 bedrock-agentcore.amazonaws.com. Check the role's trust policy.",
                h.execution_role_arn
            ));
        }
    }
}

async fn get_harness(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(r) = state.fault("GetHarness") {
        return r;
    }
    let query = query_of(&uri);
    let mut data = state.data();
    match data.harnesses.get_mut(&id).filter(|h| h.region == region) {
        Some(h) => {
            settle(h);
            match versions::version_json(h, &query) {
                Some(Ok(v)) => ok(StatusCode::OK, &json!({ "harness": v })),
                Some(Err(r)) => r,
                None => ok(StatusCode::OK, &json!({ "harness": harness_json(h) })),
            }
        }
        None => not_found(&format!("Harness not found: {id}")),
    }
}

async fn list_harnesses(State(state): State<Arc<FakeState>>, headers: HeaderMap, uri: Uri) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(r) = state.fault("ListHarnesses") {
        return r;
    }
    let query = query_of(&uri);
    let max: usize = match query.get("maxResults").map(|m| m.parse::<usize>()) {
        None => 10,
        Some(Ok(m)) if (1..=100).contains(&m) => m,
        Some(_) => return constraint(&query["maxResults"], "maxResults", "have value between 1 and 100"),
    };
    let start: usize = match query.get("nextToken") {
        None => 0,
        Some(t) => match t.strip_prefix("page-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return validation("Invalid nextToken"),
        },
    };
    let mut data = state.data();
    let mut all: Vec<&mut HarnessRec> = data.harnesses.values_mut().filter(|h| h.region == region).collect();
    all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let total = all.len();
    let page: Vec<Value> = all
        .into_iter()
        .skip(start)
        .take(max)
        .map(|h| {
            settle(h);
            summary_json(h)
        })
        .collect();
    let mut out = json!({ "harnesses": page });
    if start + max < total {
        out["nextToken"] = json!(format!("page-{}", start + max));
    }
    ok(StatusCode::OK, &out)
}

async fn update_harness(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(r) = state.fault("UpdateHarness") {
        return r;
    }
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Some(model) = body.get("model").filter(|m| !m.is_null())
        && let Err(r) = check_model(model)
    {
        return r;
    }
    if let Some(p) = body.get("systemPrompt").filter(|m| !m.is_null())
        && let Err(r) = check_system_prompt(p)
    {
        return r;
    }
    let role = match string_member(&body, "executionRoleArn") {
        Ok(r) => r.map(str::to_string),
        Err(r) => return r,
    };
    if let Some(role) = &role
        && let Err(r) = check_role(role)
    {
        return r;
    }
    if let Err(r) = settings::check(&body, true) {
        return r;
    }
    let mut data = state.data();
    let Some(h) = data.harnesses.get_mut(&id).filter(|h| h.region == region) else {
        return not_found(&format!("Harness not found: {id}"));
    };
    if h.status == "CREATING" || h.status == "UPDATING" || h.status == "DELETING" {
        return aws_error(
            StatusCode::CONFLICT,
            "ConflictException",
            &format!("Harness {id} is {}; wait until it is READY", h.status),
        );
    }
    if let Some(m) = body.get("model").filter(|m| !m.is_null()) {
        h.model = m.clone();
    }
    if let Some(p) = body.get("systemPrompt").filter(|m| !m.is_null()) {
        h.system_prompt = p.clone();
    }
    if let Some(r) = role {
        h.execution_role_arn = r;
    }
    settings::apply(&mut h.extra, &body, true, &h.region, &h.name);
    h.version += 1;
    h.updated_at = now_iso();
    h.status = "UPDATING";
    h.failure_reason = None;
    h.settles_to = Some("READY");
    let now = harness_json(h);
    versions::record_version(h, now.clone());
    ok(StatusCode::OK, &json!({ "harness": now }))
}

async fn delete_harness(State(state): State<Arc<FakeState>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(r) = state.fault("DeleteHarness") {
        return r;
    }
    let mut data = state.data();
    if data.harnesses.get(&id).is_none_or(|h| h.region != region) {
        return not_found(&format!("Harness not found: {id}"));
    }
    let Some(mut h) = data.harnesses.remove(&id) else { return not_found(&format!("Harness not found: {id}")) };
    h.status = "DELETING";
    ok(StatusCode::OK, &json!({ "harness": harness_json(&h) }))
}

// ---------------------------------------------------------------------------
// InvokeHarness

/// A request's query parameters, percent-decoded.
fn query_of(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect()
}

fn string_header(name: &'static str, value: &str) -> Header {
    Header::new(name, EventHeaderValue::String(value.to_owned().into()))
}

fn frame(message_type: &str, type_header: &'static str, name: &str, payload: &Value) -> Bytes {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(string_header(":message-type", message_type))
        .add_header(string_header(type_header, name))
        .add_header(string_header(":content-type", "application/json"));
    let mut buffer = Vec::new();
    if let Err(e) = aws_smithy_eventstream::frame::write_message_to(&message, &mut buffer) {
        tracing::error!("fake-agentcore: cannot encode an event: {e}");
    }
    Bytes::from(buffer)
}

/// Sends harness events down the response body.
struct Events {
    tx: tokio::sync::mpsc::Sender<Bytes>,
}

impl Events {
    /// Each frame goes out as two chunks, so clients must reassemble frames.
    async fn send(&self, frame: Bytes) -> bool {
        let mid = frame.len() / 2;
        self.tx.send(frame.slice(..mid)).await.is_ok() && self.tx.send(frame.slice(mid..)).await.is_ok()
    }

    async fn event(&self, name: &str, payload: Value) -> bool {
        self.send(frame("event", ":event-type", name, &payload)).await
    }

    async fn exception(&self, name: &str, message: &str) {
        self.send(frame("exception", ":exception-type", name, &json!({ "message": message }))).await;
    }
}

fn check_session(headers: &HeaderMap) -> Result<String, Response> {
    let Some(id) = headers.get("x-amzn-bedrock-agentcore-runtime-session-id").and_then(|v| v.to_str().ok()) else {
        return Err(missing("runtimeSessionId"));
    };
    if id.len() < 33 || id.len() > 100 {
        return Err(constraint(id, "runtimeSessionId", "have length between 33 and 100"));
    }
    let ok = id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(constraint(
            id,
            "runtimeSessionId",
            "satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9-_]*",
        ));
    }
    Ok(id.to_string())
}

/// The user's messages as OpenAI chat messages.
fn chat_messages(messages: &Value) -> Result<Vec<Value>, Response> {
    let Some(list) = messages.as_array().filter(|l| !l.is_empty()) else {
        return Err(missing("messages"));
    };
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str);
        let Some(role) = role.filter(|r| *r == "user" || *r == "assistant") else {
            return Err(constraint(
                &format!("{role:?}"),
                &format!("messages[{i}].role"),
                "satisfy enum value set: [user, assistant]",
            ));
        };
        let Some(content) = m.get("content").and_then(Value::as_array) else {
            return Err(missing(&format!("messages[{i}].content")));
        };
        let mut text = Vec::new();
        for (j, block) in content.iter().enumerate() {
            let (kind, value) = union_member(
                block,
                &["text", "toolUse", "toolResult", "reasoningContent"],
                &format!("messages[{i}].content[{j}]"),
            )?;
            if kind == "text" {
                text.push(value.as_str().unwrap_or_default().to_string());
            }
        }
        out.push(json!({"role": role, "content": text.join("\n")}));
    }
    Ok(out)
}

async fn invoke_harness(State(state): State<Arc<FakeState>>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    if let Err(r) = signed_region(&headers) {
        return r;
    }
    if let Some(r) = state.fault("InvokeHarness") {
        return r;
    }
    let query = query_of(&uri);
    let Some(arn) = query.get("harnessArn").cloned() else { return missing("harnessArn") };
    let session = match check_session(&headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let new_messages = match chat_messages(body.get("messages").unwrap_or(&Value::Null)) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (model, system, api_key) = {
        let data = state.data();
        let Some(h) = data.harnesses.values().find(|h| h.arn == arn) else {
            return not_found(&format!("Harness not found: {arn}"));
        };
        if h.status != "READY" {
            return validation(&format!("Harness {} is {}; it can be invoked when it is READY", h.id, h.status));
        }
        // An endpoint serves its version's configuration; no qualifier is DEFAULT, the latest.
        let (served_model, served_prompt) = match query.get("qualifier") {
            Some(endpoint) => match versions::endpoint_config(h, endpoint) {
                Ok(c) => c,
                Err(r) => return r,
            },
            None => (h.model.clone(), h.system_prompt.clone()),
        };
        let model = body.get("model").filter(|m| !m.is_null()).cloned().unwrap_or(served_model);
        let system: Vec<String> = served_prompt
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b.get("text").and_then(Value::as_str).map(str::to_string))
            .collect();
        let key_arn = model.pointer("/liteLlmModelConfig/apiKeyArn").and_then(Value::as_str);
        let key = key_arn.map(|a| data.providers.iter().find(|p| p.arn == a).map(|p| p.key.clone()));
        (model, system.join("\n\n"), key)
    };
    // A key in a secret of the user's is read at each invocation, as AgentCore Identity does.
    let api_key = match api_key {
        Some(Some(secrets::ProviderKey::Secret { secret_id, json_key, .. })) => {
            let endpoint = state.data().secrets_manager_url.clone();
            let region = arn.split(':').nth(3).unwrap_or("us-east-1").to_string();
            Some(Some(
                secrets::read(&state.http, endpoint.as_deref(), &region, &secret_id, &json_key)
                    .await
                    .map(|(_, key)| key),
            ))
        }
        Some(Some(secrets::ProviderKey::Stored(k))) => Some(Some(Ok(k))),
        Some(None) => Some(None),
        None => None,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let events = Events { tx };
    let run_state = state.clone();
    let trace_parent = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|_| !state.data().drops_traces);
    tokio::spawn(async move {
        let call = Agent { state: &run_state, events: &events, trace_parent };
        run_agent(&call, (arn, session), model, system, api_key, new_messages).await;
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, std::io::Error>(chunk), rx))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.amazon.eventstream"));
    r.headers_mut().insert("x-amzn-requestid", request_id());
    r.headers_mut().insert(
        "x-amzn-bedrock-agentcore-runtime-session-id",
        HeaderValue::from_str(&session_header(&headers)).unwrap_or(HeaderValue::from_static("")),
    );
    r
}

fn session_header(headers: &HeaderMap) -> String {
    headers
        .get("x-amzn-bedrock-agentcore-runtime-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// LiteLLM's exception class for an HTTP status.
fn litellm_class(status: u16) -> &'static str {
    match status {
        400 => "BadRequestError",
        401 => "AuthenticationError",
        403 => "PermissionDeniedError",
        404 => "NotFoundError",
        408 => "Timeout",
        422 => "UnprocessableEntityError",
        429 => "RateLimitError",
        503 => "ServiceUnavailableError",
        500..=599 => "InternalServerError",
        _ => "APIError",
    }
}

const TOOL: &str = "current_time";

/// What one model call streamed back.
#[derive(Default)]
struct Turn {
    text: String,
    tool_call: Option<(String, String, String)>,
    finish: Option<String>,
    prompt_tokens: u64,
    completion_tokens: u64,
}

/// The harness's agent loop, with the LiteLLM model source.
/// One harness run: where its events go, and the trace its model calls continue.
struct Agent<'a> {
    state: &'a FakeState,
    events: &'a Events,
    trace_parent: Option<String>,
}

async fn run_agent(
    agent: &Agent<'_>,
    session_key: (String, String),
    model: Value,
    system: String,
    api_key: Option<Option<Result<String, String>>>,
    new_messages: Vec<Value>,
) {
    let (state, events) = (agent.state, agent.events);
    let started = std::time::Instant::now();
    let Some(config) = model.get("liteLlmModelConfig") else {
        events
            .exception("validationException", "fake-agentcore runs only harnesses whose model source is LiteLLM")
            .await;
        return;
    };
    let model_id = config.get("modelId").and_then(Value::as_str).unwrap_or_default();
    let Some(alias) = model_id.strip_prefix(LITELLM_PREFIX).or_else(|| model_id.strip_prefix("openai/")) else {
        events
            .exception(
                "runtimeClientError",
                &format!(
                    "litellm.BadRequestError: LLM Provider NOT provided. Pass in the LLM provider you are trying to \
                     call. You passed model={model_id}\n Pass model as E.g. For 'Huggingface' inference endpoints \
                     pass in `completion(model='huggingface/starcoder',..)` Learn more: https://docs.litellm.ai/docs/providers"
                ),
            )
            .await;
        return;
    };
    let Some(api_base) = config.get("apiBase").and_then(Value::as_str) else {
        events.exception("runtimeClientError", "litellm.APIConnectionError: no api_base for litellm_proxy").await;
        return;
    };
    let api_key = match api_key {
        Some(Some(Ok(k))) => Some(k),
        Some(Some(Err(m))) => {
            events.exception("runtimeClientError", &format!("Failed to fetch the API key: {m}")).await;
            return;
        }
        Some(None) => {
            events
                .exception(
                    "runtimeClientError",
                    "Failed to fetch the API key: the credential provider does not exist (ResourceNotFoundException)",
                )
                .await;
            return;
        }
        None => None,
    };
    let mut history = state.data().sessions.get(&session_key).cloned().unwrap_or_default();
    let tools_on =
        new_messages.iter().any(|m| m["content"].as_str().is_some_and(|t| t.to_ascii_lowercase().contains("tool")));
    history.extend(new_messages);
    let url = format!("{}/chat/completions", api_base.trim_end_matches('/'));
    let (mut prompt_tokens, mut completion_tokens) = (0, 0);
    for _iteration in 0..4 {
        if !events.event("messageStart", json!({"role": "assistant"})).await {
            return;
        }
        let mut messages = Vec::new();
        if !system.is_empty() {
            messages.push(json!({"role": "system", "content": system}));
        }
        messages.extend(history.iter().cloned());
        let mut request = json!({
            "model": alias,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        for (from, to) in [("maxTokens", "max_tokens"), ("temperature", "temperature"), ("topP", "top_p")] {
            if let Some(v) = config.get(from).filter(|v| !v.is_null()) {
                request[to] = v.clone();
            }
        }
        if tools_on {
            request["tools"] = json!([{"type": "function", "function": {
                "name": TOOL, "description": "The current time in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            }}]);
        }
        let turn = match call_model(agent, &url, api_key.as_deref(), &request).await {
            Ok(t) => t,
            Err(message) => {
                events.exception("runtimeClientError", &message).await;
                return;
            }
        };
        prompt_tokens += turn.prompt_tokens;
        completion_tokens += turn.completion_tokens;
        let mut index = 0;
        if !turn.text.is_empty() {
            events.event("contentBlockStop", json!({"contentBlockIndex": 0})).await;
            index = 1;
        }
        if let Some((call_id, name, arguments)) = &turn.tool_call {
            let tool_use_id = format!("tooluse_{}", crate::script::random_chars(ALPHANUMERIC, 22));
            events
                .event("contentBlockStart", json!({"contentBlockIndex": index, "start": {"toolUse": {"toolUseId": tool_use_id, "name": name, "type": "inline_function"}}}))
                .await;
            events
                .event(
                    "contentBlockDelta",
                    json!({"contentBlockIndex": index, "delta": {"toolUse": {"input": arguments}}}),
                )
                .await;
            events.event("contentBlockStop", json!({"contentBlockIndex": index})).await;
            events.event("messageStop", json!({"stopReason": "tool_use"})).await;
            events
                .event("hookEvent", json!({"hookEventId": uuid::Uuid::new_v4().to_string(), "name": "audit_tool_calls", "type": "before_tool_call", "decision": "allow"}))
                .await;
            let city = serde_json::from_str::<Value>(arguments)
                .ok()
                .and_then(|a| a["city"].as_str().map(str::to_string))
                .unwrap_or_else(|| "somewhere".into());
            let result = format!("It is 12:00 in {city}.");
            events.event("messageStart", json!({"role": "user"})).await;
            events.event("contentBlockStart", json!({"contentBlockIndex": 0, "start": {"toolResult": {"toolUseId": tool_use_id, "status": "success"}}})).await;
            events
                .event(
                    "contentBlockDelta",
                    json!({"contentBlockIndex": 0, "delta": {"toolResult": [{"text": result}]}}),
                )
                .await;
            events.event("contentBlockStop", json!({"contentBlockIndex": 0})).await;
            events.event("messageStop", json!({"stopReason": "tool_result"})).await;
            history.push(json!({"role": "assistant", "content": if turn.text.is_empty() { Value::Null } else { json!(turn.text) },
                "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}]}));
            history.push(json!({"role": "tool", "tool_call_id": call_id, "content": result}));
            continue;
        }
        let stop = match turn.finish.as_deref() {
            Some("length") => "max_tokens",
            _ => "end_turn",
        };
        events.event("messageStop", json!({"stopReason": stop})).await;
        history.push(json!({"role": "assistant", "content": turn.text}));
        break;
    }
    events
        .event(
            "metadata",
            json!({
                "usage": {"inputTokens": prompt_tokens, "outputTokens": completion_tokens, "totalTokens": prompt_tokens + completion_tokens},
                "metrics": {"latencyMs": started.elapsed().as_millis() as u64},
            }),
        )
        .await;
    state.data().sessions.insert(session_key, history);
}

/// One streamed chat completion against the LiteLLM API base; text deltas are relayed as they
/// arrive. An error is LiteLLM's exception text.
async fn call_model(agent: &Agent<'_>, url: &str, api_key: Option<&str>, request: &Value) -> Result<Turn, String> {
    let (state, events) = (agent.state, agent.events);
    let authorization = api_key.map(|k| format!("Bearer {k}"));
    state.data().model_calls.push(ModelCall {
        url: url.to_string(),
        authorization: authorization.clone(),
        body: request.clone(),
    });
    let mut builder = state.http.post(url).json(request);
    if let Some(trace) = &agent.trace_parent {
        builder = builder.header("traceparent", trace);
    }
    if let Some(a) = &authorization {
        builder = builder.header(header::AUTHORIZATION, a);
    }
    let response = builder.send().await.map_err(|e| {
        format!("litellm.APIConnectionError: Litellm_proxyException - Cannot connect to host {url}: {e}")
    })?;
    let status = response.status().as_u16();
    if status >= 400 {
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let message = body["error"]["message"].as_str().map(str::to_string).unwrap_or_else(|| body.to_string());
        let class = litellm_class(status);
        return Err(format!("litellm.{class}: {class}: Litellm_proxyException - {message}"));
    }
    let mut turn = Turn::default();
    let mut tool: (String, String, String) = Default::default();
    let mut buffer = Vec::new();
    let mut bytes = response.bytes_stream();
    while let Some(chunk) = bytes.next().await {
        let chunk =
            chunk.map_err(|e| format!("litellm.APIConnectionError: Litellm_proxyException - stream broke: {e}"))?;
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let raw: Vec<u8> = buffer.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&raw);
            for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
                if data == "[DONE]" {
                    continue;
                }
                let Ok(chunk) = serde_json::from_str::<Value>(data) else { continue };
                if let Some(message) = chunk["error"]["message"].as_str() {
                    return Err(format!("litellm.APIError: APIError: Litellm_proxyException - {message}"));
                }
                if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
                    turn.prompt_tokens = u["prompt_tokens"].as_u64().unwrap_or(0);
                    turn.completion_tokens = u["completion_tokens"].as_u64().unwrap_or(0);
                }
                let choice = &chunk["choices"][0];
                if let Some(t) = choice["delta"]["content"].as_str().filter(|t| !t.is_empty()) {
                    turn.text.push_str(t);
                    events.event("contentBlockDelta", json!({"contentBlockIndex": 0, "delta": {"text": t}})).await;
                }
                for call in choice["delta"]["tool_calls"].as_array().into_iter().flatten() {
                    if let Some(id) = call["id"].as_str() {
                        tool.0 = id.to_string();
                    }
                    if let Some(n) = call["function"]["name"].as_str() {
                        tool.1.push_str(n);
                    }
                    if let Some(a) = call["function"]["arguments"].as_str() {
                        tool.2.push_str(a);
                    }
                }
                if let Some(f) = choice["finish_reason"].as_str() {
                    turn.finish = Some(f.to_string());
                }
            }
        }
    }
    if !tool.1.is_empty() {
        turn.tool_call = Some(tool);
    }
    Ok(turn)
}
