//! `/deploy/*`: deploy this gateway to AWS from the panel (ECS Fargate + ALB + RDS through
//! CloudFormation; the work is in the `switchboard-deploy` crate). Protocol only. Master key (or
//! a proxy_admin key) only. The AWS credentials are the gateway process's (default chain, or
//! the form's profile); `AWS_ENDPOINT_URL` points them elsewhere (tests: moto).
//!
//! Long operations answer with server-sent events, one JSON object per `data:` line, each with
//! a `type`: `message`, `plan`, `event`, and one final `done` (see deploy/README.md). A dropped
//! connection stops the following, not CloudFormation: `GET /deploy/follow` picks it up again.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use futures::StreamExt;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_deploy::request::{LOG_RETENTION_DAYS, MAX_DESIRED_COUNT, fargate_memory_options};
use switchboard_deploy::{AwsTarget, DeployError, DeployRequest, Deployer, ProgressStream};

use super::{Admin, parse_body};
use crate::gateway::GatewayError;
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/deploy/options", get(options))
        .route("/deploy/validate", post(validate))
        .route("/deploy/up", post(up))
        .route("/deploy/status", get(status))
        .route("/deploy/follow", get(follow))
        .route("/deploy/down", post(down))
        .route("/deploy/connection", get(connection))
}

/// Which stack, where.
#[derive(Deserialize)]
struct StackQuery {
    #[serde(default = "default_stack")]
    stack: String,
    region: String,
    profile: Option<String>,
    /// `/deploy/status` only: also call `<ServiceUrl>/health/liveliness` once.
    #[serde(default)]
    health: bool,
}

fn default_stack() -> String {
    DeployRequest::default().name_prefix
}

#[derive(Deserialize)]
struct DownBody {
    #[serde(default = "default_stack")]
    stack: String,
    region: String,
    profile: Option<String>,
    /// Must repeat `stack`.
    #[serde(default)]
    confirm: String,
}

#[derive(Deserialize, Default)]
struct ValidateQuery {
    /// Also check the credentials (STS GetCallerIdentity).
    #[serde(default)]
    whoami: bool,
}

async fn deployer(region: &str, profile: Option<&str>) -> Result<Deployer, GatewayError> {
    switchboard_deploy::request::check_region(region).map_err(|e| GatewayError::invalid(e, Some("region")))?;
    Ok(Deployer::connect(&AwsTarget::new(region, profile)).await)
}

/// The form's defaults and choices.
async fn options(Admin(_): Admin) -> Json<Value> {
    let cpu: Vec<Value> =
        [256, 512, 1024, 2048, 4096].iter().map(|c| json!({"cpu": c, "memory": fargate_memory_options(*c)})).collect();
    Json(json!({
        "defaults": DeployRequest::default(),
        "fargate_sizes": cpu,
        "cpu_architectures": ["X86_64", "ARM64"],
        "max_desired_count": MAX_DESIRED_COUNT,
        "log_retention_days": LOG_RETENTION_DAYS,
        "cost_basis": switchboard_deploy::cost::PRICES_BASIS,
    }))
}

/// Checks a form (field errors and warnings), lists what it would create and estimates the
/// monthly cost; nothing is created. Always 200: `ok` says whether it can be deployed.
async fn validate(Admin(_): Admin, Query(q): Query<ValidateQuery>, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: DeployRequest = parse_body(&body)?;
    let plan = switchboard_deploy::plan(&req);
    let mut out = serde_json::to_value(&plan).map_err(|e| GatewayError::Internal(e.to_string()))?;
    if q.whoami && switchboard_deploy::request::check_region(&req.region).is_ok() {
        match deployer(&req.region, req.profile.as_deref()).await?.whoami().await {
            Ok(identity) => set(&mut out, "identity", json!(identity)),
            Err(e) => set(&mut out, "identity_error", json!(e.to_string())),
        }
    }
    Ok(Json(out))
}

/// Creates or updates the stack: 400 with `validation` when the form has errors, else events.
async fn up(Admin(_): Admin, body: Bytes) -> Result<Response, GatewayError> {
    let req: DeployRequest = parse_body(&body)?;
    let validation = req.validate();
    if !validation.is_ok() {
        return Ok(deploy_error(DeployError::Invalid(validation)));
    }
    let d = deployer(&req.region, req.profile.as_deref()).await?;
    Ok(match d.up(&req) {
        Ok(stream) => sse(stream),
        Err(e) => deploy_error(e),
    })
}

async fn follow(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Response, GatewayError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    Ok(sse(d.follow(&q.stack)))
}

/// Deletes the stack; `confirm` must be the stack name.
async fn down(Admin(_): Admin, body: Bytes) -> Result<Response, GatewayError> {
    let b: DownBody = parse_body(&body)?;
    if b.confirm != b.stack {
        return Ok(deploy_error(DeployError::Confirmation { expected: b.stack }));
    }
    let d = deployer(&b.region, b.profile.as_deref()).await?;
    Ok(match d.down(&b.stack, &b.confirm) {
        Ok(stream) => sse(stream),
        Err(e) => deploy_error(e),
    })
}

async fn status(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Response, GatewayError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    match d.status(&q.stack).await {
        Ok(s) => {
            let url = s.outputs.get("ServiceUrl").cloned();
            let mut out = json!(s);
            if q.health
                && let Some(url) = url
            {
                set(&mut out, "health", json!(switchboard_deploy::health::check(&url, 1, Duration::ZERO).await));
            }
            Ok(Json(out).into_response())
        }
        Err(e) => Ok(deploy_error(e)),
    }
}

/// The deployed gateway's URL and master key, for "manage the deployed gateway". The key
/// leaves this gateway only here, to an admin, on request.
async fn connection(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Response, GatewayError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    Ok(match d.connection(&q.stack).await {
        Ok(c) => {
            let mut r = Json(c).into_response();
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => deploy_error(e),
    })
}

/// LiteLLM's error shape; a form with errors adds `validation` (field errors and warnings).
fn deploy_error(e: DeployError) -> Response {
    let (status, kind, param) = match &e {
        DeployError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request_error", None),
        DeployError::Confirmation { .. } => (StatusCode::BAD_REQUEST, "invalid_request_error", Some("confirm")),
        DeployError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found_error", Some("stack")),
        DeployError::NotReady(_) => (StatusCode::CONFLICT, "conflict_error", Some("stack")),
        DeployError::Aws(_) => (StatusCode::BAD_GATEWAY, "aws_error", None),
        DeployError::Template(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error", None),
    };
    let mut body = json!({"error": {"message": e.to_string(), "type": kind, "param": param, "code": status.as_str()}});
    if let DeployError::Invalid(v) = &e {
        set(&mut body, "validation", json!(v));
    }
    (status, Json(body)).into_response()
}

const SSE_HEADERS: [(http::HeaderName, HeaderValue); 2] = [
    (CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8")),
    (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
];

/// Server-sent events of a progress stream, with a comment every 15 s of silence (an RDS
/// instance can take minutes between two events).
fn sse(stream: ProgressStream) -> Response {
    let frames = futures::stream::unfold(stream, |mut s| async move {
        tokio::select! {
            item = s.next() => item.map(|p| {
                let mut out = b"data: ".to_vec();
                let _ = serde_json::to_writer(&mut out, &p);
                out.extend_from_slice(b"\n\n");
                (Ok::<_, Infallible>(Bytes::from(out)), s)
            }),
            () = tokio::time::sleep(Duration::from_secs(15)) => Some((Ok(Bytes::from_static(b": waiting for CloudFormation\n\n")), s)),
        }
    });
    (SSE_HEADERS, Body::from_stream(frames)).into_response()
}

/// Adds a member to a JSON object (answers are objects; anything else is left as it is).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(o) = object.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}
