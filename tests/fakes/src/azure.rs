//! A fake of Azure OpenAI: the OpenAI wire format at Azure's paths
//! (`/openai/deployments/{deployment}/chat/completions`, `/embeddings`, `/completions`), with what
//! Azure checks before the body: an `api-version` query it knows, the `api-key` header (or an
//! Entra ID token as `Authorization: Bearer`), and a deployment that exists. Azure's own error
//! bodies answer each failure. Bodies are then validated and answered by the OpenAI fake, with
//! the deployment as the model (Azure ignores the body's `model`), plus Azure's content filter:
//! the deployment `fake-content-filter` refuses every prompt as Azure does.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::RecordedRequest;
use crate::server::{Server, Shared, json_response};

/// The key the fake accepts as `api-key`.
pub const DEFAULT_API_KEY: &str = "azure-fake-key-0123456789";
/// The Entra ID token the fake accepts as `Authorization: Bearer`.
pub const AD_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-entra-token";
/// API versions the fake serves (a recent GA and a preview).
pub const API_VERSIONS: &[&str] = &["2024-10-21", "2024-06-01", "2025-01-01-preview"];
/// Deployments that exist until others are added.
pub const DEPLOYMENTS: &[&str] =
    &["gpt-4o-mini", "text-embedding-3-small", "gpt-35-turbo-instruct", "fake-content-filter", "fake-429"];

#[derive(Clone)]
struct AzureState {
    shared: Arc<Shared>,
    deployments: Arc<Mutex<BTreeSet<String>>>,
}

pub struct FakeAzure {
    server: Server,
    deployments: Arc<Mutex<BTreeSet<String>>>,
}

impl FakeAzure {
    pub async fn start() -> anyhow::Result<FakeAzure> {
        FakeAzure::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<FakeAzure> {
        let shared = Shared::new(Some(DEFAULT_API_KEY.to_owned()));
        let deployments = Arc::new(Mutex::new(DEPLOYMENTS.iter().map(|d| d.to_string()).collect()));
        let state = AzureState { shared: shared.clone(), deployments: deployments.clone() };
        let app = Router::new()
            .route("/openai/deployments/{deployment}/chat/completions", post(chat))
            .route("/openai/deployments/{deployment}/embeddings", post(embeddings))
            .route("/openai/deployments/{deployment}/completions", post(completions))
            .fallback(|| async { azure_error(StatusCode::NOT_FOUND, "404", "Resource not found") })
            .with_state(state);
        let server = Server::start(addr, shared, app).await?;
        Ok(FakeAzure { server, deployments })
    }

    /// `http://127.0.0.1:PORT`: the resource endpoint (`https://<resource>.openai.azure.com`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.shared.requests()
    }

    pub fn clear(&self) {
        self.server.shared.clear();
    }

    pub fn add_deployment(&self, name: &str) {
        self.deployments.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_owned());
    }
}

/// Azure's error body: `{"error": {"code", "message"}}` (codes are strings, even numeric ones).
fn azure_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut response = json_response(status, &json!({"error": {"code": code, "message": message}}));
    response.headers_mut().insert("apim-request-id", HeaderValue::from_static("00000000-fake-azure"));
    response
}

enum Op {
    Chat,
    Embeddings,
    Completions,
}

/// What Azure checks before it reads the body; on success, the headers and body the OpenAI
/// fake's handler gets (its own key as bearer, the deployment as the model).
fn admit(
    state: &AzureState,
    deployment: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(HeaderMap, Bytes), Box<Response>> {
    let version =
        query.unwrap_or_default().split('&').find_map(|pair| pair.strip_prefix("api-version=")).map(str::to_owned);
    match version {
        None => {
            return Err(Box::new(azure_error(StatusCode::NOT_FOUND, "404", "Resource not found")));
        }
        Some(v) if !API_VERSIONS.contains(&v.as_str()) => {
            return Err(Box::new(azure_error(StatusCode::BAD_REQUEST, "BadRequest", "API version not supported")));
        }
        Some(_) => {}
    }
    let key = headers.get("api-key").and_then(|v| v.to_str().ok());
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let authorized = match (key, bearer) {
        (Some(key), _) => Some(key.to_owned()) == state.shared.expected_api_key(),
        (None, Some(token)) => token == AD_TOKEN,
        (None, None) => false,
    };
    if !authorized {
        return Err(Box::new(azure_error(
            StatusCode::UNAUTHORIZED,
            "401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        )));
    }
    if !state.deployments.lock().unwrap_or_else(|p| p.into_inner()).contains(deployment) {
        return Err(Box::new(azure_error(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
        )));
    }
    let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(body) else {
        return Err(Box::new(azure_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request body is not valid JSON.",
        )));
    };
    request.insert("model".into(), Value::String(deployment.to_owned()));
    let mut inner = HeaderMap::new();
    if let Some(expected) = state.shared.expected_api_key()
        && let Ok(v) = HeaderValue::from_str(&format!("Bearer {expected}"))
    {
        inner.insert(header::AUTHORIZATION, v);
    }
    let body = serde_json::to_vec(&request).map(Bytes::from).unwrap_or_default();
    Ok((inner, body))
}

/// Azure's answer when its content filter refuses a prompt.
fn content_filtered() -> Response {
    let filter = json!({"hate": {"filtered": false, "severity": "safe"}, "jailbreak": {"filtered": true, "detected": true},
        "self_harm": {"filtered": false, "severity": "safe"}, "sexual": {"filtered": false, "severity": "safe"},
        "violence": {"filtered": false, "severity": "safe"}});
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
            "type": null, "param": "prompt", "code": "content_filter", "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": filter}}}),
    )
}

async fn handle(
    state: AzureState,
    op: Op,
    deployment: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (inner_headers, inner_body) = match admit(&state, &deployment, query.as_deref(), &headers, &body) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if deployment == "fake-content-filter" {
        return content_filtered();
    }
    let shared = State(state.shared.clone());
    match op {
        Op::Chat => crate::openai::chat_completions(shared, inner_headers, inner_body).await,
        Op::Embeddings => crate::openai_embeddings::embeddings(shared, inner_headers, inner_body).await,
        Op::Completions => crate::openai_completions::completions(shared, inner_headers, inner_body).await,
    }
}

async fn chat(
    State(state): State<AzureState>,
    Path(deployment): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(state, Op::Chat, deployment, query, headers, body).await
}

async fn embeddings(
    State(state): State<AzureState>,
    Path(deployment): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(state, Op::Embeddings, deployment, query, headers, body).await
}

async fn completions(
    State(state): State<AzureState>,
    Path(deployment): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(state, Op::Completions, deployment, query, headers, body).await
}
