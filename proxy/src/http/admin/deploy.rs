//! `/deploy/*`: deploy the gateway to the user's AWS account from the panel (the work is in
//! `switchboard_deploy`, reached through `crate::admin::deploy`). Master key (or admin key) only.
//! `up`, `follow` and `down` answer with server-sent events of the stack's progress.

use std::time::Duration;

use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http::HeaderValue;
use http::header::CACHE_CONTROL;
use serde::Deserialize;
use serde_json::{Value, json};
use switchboard_deploy::{DeployError, DeployRequest, ProgressStream};

use super::{Admin, parse_body};
use crate::admin::AdminError;
use crate::admin::deploy::{deployer, options as form_options, plan};
use crate::http::{AppState, sse};

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

async fn options(Admin(_): Admin) -> Json<Value> {
    Json(form_options())
}

/// Always 200 for a form: `ok` says whether it can be deployed.
async fn validate(Admin(_): Admin, Query(q): Query<ValidateQuery>, body: Bytes) -> Result<Json<Value>, AdminError> {
    let req: DeployRequest = parse_body(&body)?;
    Ok(Json(plan(&req, q.whoami).await?))
}

/// Creates or updates the stack: 400 with `validation` when the form has errors, else events.
async fn up(Admin(_): Admin, body: Bytes) -> Result<Response, AdminError> {
    let req: DeployRequest = parse_body(&body)?;
    let validation = req.validate();
    if !validation.is_ok() {
        return Err(DeployError::Invalid(validation).into());
    }
    let d = deployer(&req.region, req.profile.as_deref()).await?;
    Ok(progress(d.up(&req)?))
}

async fn follow(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Response, AdminError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    Ok(progress(d.follow(&q.stack)))
}

/// Deletes the stack; `confirm` must be the stack name.
async fn down(Admin(_): Admin, body: Bytes) -> Result<Response, AdminError> {
    let b: DownBody = parse_body(&body)?;
    if b.confirm != b.stack {
        return Err(DeployError::Confirmation { expected: b.stack }.into());
    }
    let d = deployer(&b.region, b.profile.as_deref()).await?;
    Ok(progress(d.down(&b.stack, &b.confirm)?))
}

async fn status(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Json<Value>, AdminError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    let s = d.status(&q.stack).await?;
    let url = s.outputs.get("ServiceUrl").cloned();
    let mut out = json!(s);
    if q.health
        && let Some(url) = url
        && let Some(o) = out.as_object_mut()
    {
        o.insert("health".into(), json!(switchboard_deploy::health::check(&url, 1, Duration::ZERO).await));
    }
    Ok(Json(out))
}

/// The deployed gateway's URL and master key, for "manage the deployed gateway". The key
/// leaves this gateway only here, to an admin, on request.
async fn connection(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Response, AdminError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    let mut r = Json(d.connection(&q.stack).await?).into_response();
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The stack's progress as server-sent events (an RDS instance can take minutes between two
/// events: the feed says it is waiting meanwhile).
fn progress(stream: ProgressStream) -> Response {
    sse::feed(stream, "waiting for CloudFormation")
}
