//! `/deploy/*`: deploy the gateway to the user's AWS account from the panel (the work is in
//! `switchboard_deploy`, reached through `crate::admin::deploy`). Master key (or admin key) only.
//! `up`, `follow` and `down` answer with server-sent events of the stack's progress.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http::HeaderValue;
use http::header::CACHE_CONTROL;
use serde::Deserialize;
use switchboard_deploy::{Connection, DeployError, DeployRequest, Progress, ProgressStream};

use super::{Admin, parse_body};
use crate::admin::AdminError;
use crate::admin::deploy::{self as core, CheckedPlan, Options, StackReport, deployer};
use crate::http::error::ErrorBody as ErrorResponse;
use crate::http::{AppState, sse};

/// The deploy routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(options, validate, up, update, follow, down, status, connection))]
pub struct DeployApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/deploy/options", get(options))
        .route("/deploy/validate", post(validate))
        .route("/deploy/up", post(up))
        .route("/deploy/update", post(update))
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

#[derive(Deserialize, utoipa::ToSchema)]
struct DownBody {
    #[serde(default = "default_stack")]
    stack: String,
    region: String,
    profile: Option<String>,
    /// Must repeat `stack`.
    #[serde(default)]
    confirm: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateBody {
    #[serde(default = "default_stack")]
    stack: String,
    region: String,
    profile: Option<String>,
    /// Where to push the image [default: the repository of the image running now].
    image_repository: Option<String>,
}

#[derive(Deserialize, Default)]
struct ValidateQuery {
    /// Also check the credentials (STS GetCallerIdentity).
    #[serde(default)]
    whoami: bool,
}

#[utoipa::path(get, path = "/deploy/options", tag = "deploy", summary = "The deploy form's defaults and choices", responses((status = 200, body = Options), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn options(Admin(_): Admin) -> Json<Options> {
    Json(core::options())
}

#[utoipa::path(post, path = "/deploy/validate", tag = "deploy", summary = "Check a form: field errors, what it would create, the monthly cost", request_body = DeployRequest, params(("whoami" = Option<bool>, Query, description = "Also check the credentials")), responses((status = 200, body = CheckedPlan), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Always 200 for a form: `ok` says whether it can be deployed.
async fn validate(
    Admin(_): Admin,
    Query(q): Query<ValidateQuery>,
    body: Bytes,
) -> Result<Json<CheckedPlan>, AdminError> {
    let req: DeployRequest = parse_body(&body)?;
    Ok(Json(core::plan(&req, q.whoami).await?))
}

#[utoipa::path(post, path = "/deploy/up", tag = "deploy", summary = "Create or update the stack: its progress as events", request_body = DeployRequest, responses((status = 200, description = "Server-sent events: `data: <json>` each", content_type = "text/event-stream", body = Progress), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Creates or updates the stack: 400 with `validation` when the form has errors, else events.
async fn up(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Response, AdminError> {
    let req: DeployRequest = parse_body(&body)?;
    let validation = core::validate(&req);
    if !validation.is_ok() {
        return Err(DeployError::Invalid(validation).into());
    }
    let d = deployer(&req.region, req.profile.as_deref()).await?;
    Ok(progress(core::up(&state.admin, &d, &req).await?))
}

#[utoipa::path(post, path = "/deploy/update", tag = "deploy", summary = "Build this gateway's image, push it and roll the stack to it: its progress as events", request_body = UpdateBody, responses((status = 200, description = "Server-sent events: `data: <json>` each", content_type = "text/event-stream", body = Progress), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Every parameter but the image stays as deployed; CloudFormation waits for the new tasks to be
/// healthy (ECS's circuit breaker rolls a failing rollout back).
async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Response, AdminError> {
    let b: UpdateBody = parse_body(&body)?;
    let d = deployer(&b.region, b.profile.as_deref()).await?;
    Ok(progress(core::update(&state.admin, &d, &b.stack, b.image_repository).await?))
}

#[utoipa::path(get, path = "/deploy/follow", tag = "deploy", summary = "Follow an operation under way: its progress as events", params(("stack" = Option<String>, Query, description = "Default switchboard"), ("region" = String, Query), ("profile" = Option<String>, Query)), responses((status = 200, description = "Server-sent events: `data: <json>` each", content_type = "text/event-stream", body = Progress), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn follow(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Response, AdminError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    Ok(progress(d.follow(&q.stack)))
}

#[utoipa::path(post, path = "/deploy/down", tag = "deploy", summary = "Delete the stack (confirm with its name): its progress as events", request_body = DownBody, responses((status = 200, description = "Server-sent events: `data: <json>` each", content_type = "text/event-stream", body = Progress), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Deletes the stack; `confirm` must be the stack name.
async fn down(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Response, AdminError> {
    let b: DownBody = parse_body(&body)?;
    if b.confirm != b.stack {
        return Err(DeployError::Confirmation { expected: b.stack }.into());
    }
    let d = deployer(&b.region, b.profile.as_deref()).await?;
    Ok(progress(core::down(&state.admin, &d, &b.stack, &b.confirm).await?))
}

#[utoipa::path(get, path = "/deploy/status", tag = "deploy", summary = "The stack's state and outputs", params(("stack" = Option<String>, Query, description = "Default switchboard"), ("region" = String, Query), ("profile" = Option<String>, Query), ("health" = Option<bool>, Query, description = "Also call the deployed gateway once")), responses((status = 200, body = StackReport), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn status(Admin(_): Admin, Query(q): Query<StackQuery>) -> Result<Json<StackReport>, AdminError> {
    let d = deployer(&q.region, q.profile.as_deref()).await?;
    Ok(Json(core::status(&d, &q.stack, q.health).await?))
}

#[utoipa::path(get, path = "/deploy/connection", tag = "deploy", summary = "The deployed gateway's URL and master key", params(("stack" = Option<String>, Query, description = "Default switchboard"), ("region" = String, Query), ("profile" = Option<String>, Query)), responses((status = 200, body = Connection), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
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
