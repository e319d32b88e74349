//! `/agentcore/*`: protocol only; the work is in `crate::admin::agentcore`. Master key (or a
//! proxy_admin key) only.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http::header::ACCEPT;
use serde::Deserialize;
use serde_json::Value;

use super::{Admin, parse_body};
use crate::admin::agentcore::manage::{Deleted, Saved, StoredKey};
use crate::admin::agentcore::manage::{DoctorRequest, Env, HarnessForm, Preflight};
use crate::admin::agentcore::runs::{SessionList, SessionView};
use crate::admin::agentcore::versions::{EndpointChange, EndpointForm, EndpointList, VersionDiff, VersionList};
use crate::admin::agentcore::wiring::{self, WireRequest};
use crate::admin::agentcore::wiring::{WireEvent, WireResult};
use crate::admin::agentcore::{self, CoreGovernance, HarnessList, ProviderList, Settings};
use crate::admin::{AdminError, Core, audit};
use crate::auth::Principal;
use crate::aws::Target;
use crate::aws::agentcore::DEFAULT_PROVIDER_NAME;
use crate::aws::agentcore::HarnessView;
use crate::aws::doctor::Report;
use crate::aws::harness_versions::EndpointView;
use crate::aws::provider_secrets::SecretRef;
use crate::http::error::ErrorBody as ErrorResponse;
use crate::http::{AppState, sse};

/// The AgentCore routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    settings,
    list_providers,
    create_provider,
    rotate_provider,
    delete_provider,
    list_harnesses,
    get_harness,
    create_harness,
    update_harness,
    delete_harness,
    doctor,
    invoke,
    sessions,
    session,
    versions,
    version_diff,
    endpoints,
    create_endpoint,
    update_endpoint,
    delete_endpoint,
    wire
))]
pub struct AgentCoreApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agentcore/settings", get(settings))
        .route("/agentcore/providers", get(list_providers).post(create_provider))
        .route("/agentcore/providers/{name}", axum::routing::delete(delete_provider))
        .route("/agentcore/providers/{name}/rotate", post(rotate_provider))
        .route("/agentcore/harnesses", get(list_harnesses).post(create_harness))
        .route("/agentcore/harnesses/{id}", get(get_harness).patch(update_harness).delete(delete_harness))
        .route("/agentcore/harnesses/{id}/invoke", post(invoke))
        .route("/agentcore/harnesses/{id}/sessions", get(sessions))
        .route("/agentcore/harnesses/{id}/sessions/{session_id}", get(session))
        .route("/agentcore/harnesses/{id}/versions", get(versions))
        .route("/agentcore/harnesses/{id}/versions/diff", get(version_diff))
        .route("/agentcore/harnesses/{id}/endpoints", get(endpoints).post(create_endpoint))
        .route(
            "/agentcore/harnesses/{id}/endpoints/{name}",
            axum::routing::patch(update_endpoint).delete(delete_endpoint),
        )
        .route("/agentcore/doctor", post(doctor))
        .route("/agentcore/wire", post(wire))
}

/// The URL this request came in on (the doctor says whether AWS can reach it).
fn request_base(headers: &HeaderMap) -> Option<String> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let host = header("x-forwarded-host").or_else(|| header("host"))?;
    let proto = header("x-forwarded-proto").filter(|p| *p == "https" || *p == "http").unwrap_or("http");
    Some(format!("{proto}://{host}"))
}

fn env(core: &Core, caller: Principal, headers: &HeaderMap) -> Result<Env<CoreGovernance>, AdminError> {
    agentcore::env(core, caller, request_base(headers))
}

#[utoipa::path(get, path = "/agentcore/settings", tag = "agentcore", summary = "The AgentCore page's defaults and choices", responses((status = 200, body = Settings), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn settings(State(state): State<AppState>, Admin(_): Admin, headers: HeaderMap) -> Json<Settings> {
    Json(agentcore::settings(&state.admin, request_base(&headers)))
}

#[utoipa::path(get, path = "/agentcore/providers", tag = "agentcore", summary = "API-key credential providers, with the gateway key each holds", params(("region" = Option<String>, Query, description = "AWS region (default: the gateway's)"), ("profile" = Option<String>, Query, description = "AWS profile")), responses((status = 200, body = ProviderList), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn list_providers(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(target): Query<Target>,
) -> Result<Json<ProviderList>, AdminError> {
    let (region, providers) = env(&state.admin, caller, &headers)?.list_providers(&target).await?;
    Ok(Json(ProviderList { region, providers }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ProviderBody {
    #[serde(flatten)]
    target: Target,
    name: Option<String>,
    /// A key of this gateway, in clear (the gateway keeps only hashes).
    key: Option<String>,
    /// `true`, or `/key/generate` fields (`team_id`, `key_alias`, `max_budget`, ...).
    generate: Option<Value>,
    /// A Secrets Manager secret of yours holding a key of this gateway: the provider reads it from
    /// there (source `EXTERNAL`).
    secret: Option<SecretRef>,
}

async fn store_provider_key(
    state: &AppState,
    caller: Principal,
    headers: &HeaderMap,
    name: Option<String>,
    body: &Bytes,
    rotate: bool,
) -> Result<Json<StoredKey>, AdminError> {
    let body: ProviderBody = parse_body(body)?;
    let source = agentcore::key_source(body.key.as_deref(), body.generate.as_ref(), body.secret)?;
    let env = env(&state.admin, caller, headers)?;
    let name = name.or(body.name).unwrap_or_else(|| DEFAULT_PROVIDER_NAME.to_string());
    let stored = env.store_key(&body.target, &name, source, rotate).await?;
    Ok(Json(stored))
}

#[utoipa::path(post, path = "/agentcore/providers", tag = "agentcore", summary = "Create a credential provider holding a key of this gateway", request_body = ProviderBody, responses((status = 200, body = StoredKey), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn create_provider(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<StoredKey>, AdminError> {
    store_provider_key(&state, caller, &headers, None, &body, false).await
}

#[utoipa::path(post, path = "/agentcore/providers/{name}/rotate", tag = "agentcore", summary = "Put another key in a credential provider", request_body = ProviderBody, params(("name" = String, Path)), responses((status = 200, body = StoredKey), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn rotate_provider(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<StoredKey>, AdminError> {
    store_provider_key(&state, caller, &headers, Some(name), &body, true).await
}

#[utoipa::path(delete, path = "/agentcore/providers/{name}", tag = "agentcore", summary = "Delete a credential provider", params(("name" = String, Path), ("region" = Option<String>, Query, description = "AWS region (default: the gateway's)"), ("profile" = Option<String>, Query, description = "AWS profile")), responses((status = 200, body = Deleted), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn delete_provider(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<Deleted>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.delete_provider(&target, &name).await?))
}

#[utoipa::path(get, path = "/agentcore/harnesses", tag = "agentcore", summary = "Harnesses", params(("region" = Option<String>, Query, description = "AWS region (default: the gateway's)"), ("profile" = Option<String>, Query, description = "AWS profile")), responses((status = 200, body = HarnessList), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn list_harnesses(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(target): Query<Target>,
) -> Result<Json<HarnessList>, AdminError> {
    let (region, harnesses) = env(&state.admin, caller, &headers)?.list_harnesses(&target).await?;
    Ok(Json(HarnessList { region, harnesses }))
}

#[utoipa::path(get, path = "/agentcore/harnesses/{id}", tag = "agentcore", summary = "A harness", params(("id" = String, Path), ("region" = Option<String>, Query, description = "AWS region (default: the gateway's)"), ("profile" = Option<String>, Query, description = "AWS profile")), responses((status = 200, body = HarnessView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn get_harness(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<HarnessView>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.harness(&target, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct HarnessBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    form: HarnessForm,
    /// Save even when the doctor finds problems.
    #[serde(default)]
    force: bool,
}

#[utoipa::path(post, path = "/agentcore/harnesses", tag = "agentcore", summary = "Create a harness whose model source is this gateway (the doctor checks it first)", request_body = HarnessBody, responses((status = 200, body = Saved), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn create_harness(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Saved>, AdminError> {
    let body: HarnessBody = parse_body(&body)?;
    let env = env(&state.admin, caller, &headers)?;
    Ok(Json(env.create_harness(&body.target, &body.form, Preflight::forced(body.force)).await?))
}

#[utoipa::path(patch, path = "/agentcore/harnesses/{id}", tag = "agentcore", summary = "Change a harness (the doctor checks it first)", request_body = HarnessBody, params(("id" = String, Path)), responses((status = 200, body = Saved), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn update_harness(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Saved>, AdminError> {
    let body: HarnessBody = parse_body(&body)?;
    let env = env(&state.admin, caller, &headers)?;
    Ok(Json(env.update_harness(&body.target, &id, &body.form, Preflight::forced(body.force)).await?))
}

#[utoipa::path(delete, path = "/agentcore/harnesses/{id}", tag = "agentcore", summary = "Delete a harness", params(("id" = String, Path), ("region" = Option<String>, Query, description = "AWS region (default: the gateway's)"), ("profile" = Option<String>, Query, description = "AWS profile")), responses((status = 200, body = Deleted), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn delete_harness(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<Deleted>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.delete_harness(&target, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DoctorBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    request: DoctorRequest,
}

#[utoipa::path(post, path = "/agentcore/doctor", tag = "agentcore", summary = "Check a harness (saved or drafted) against the gateway", request_body = DoctorBody, responses((status = 200, body = Report), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn doctor(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Report>, AdminError> {
    let body: DoctorBody = parse_body(&body)?;
    Ok(Json(env(&state.admin, caller, &headers)?.doctor(&body.target, &body.request).await))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct InvokeBody {
    #[serde(flatten)]
    target: Target,
    session_id: Option<String>,
    /// The harness endpoint to call (`DEFAULT` when left out).
    endpoint: Option<String>,
    message: String,
}

#[utoipa::path(post, path = "/agentcore/harnesses/{id}/invoke", tag = "agentcore", summary = "One turn of the harness playground: `session`, the harness's events, then `done` or `error`", request_body = InvokeBody, params(("id" = String, Path)), responses((status = 200, description = "Server-sent events: `data: <json>` each", content_type = "text/event-stream", body = Object), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// One turn of the harness playground, as server-sent events (see `admin::agentcore::invoke`).
async fn invoke(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let body: InvokeBody = parse_body(&body)?;
    let env = env(&state.admin, caller, &headers)?;
    let turn = agentcore::TurnRequest {
        harness_id: &id,
        session_id: body.session_id.as_deref(),
        endpoint: body.endpoint.as_deref(),
        message: &body.message,
    };
    let events = agentcore::invoke(&env, &body.target, turn).await?;
    Ok(sse::feed(events, "waiting for the harness"))
}

#[utoipa::path(get, path = "/agentcore/harnesses/{id}/sessions", tag = "agentcore", summary = "The harness's sessions played through this gateway, newest first, with their turns' and gateway calls' totals", params(("id" = String, Path)), responses((status = 200, body = SessionList), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// A harness's past sessions, from the recorded turns and the request log.
async fn sessions(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<SessionList>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.harness_sessions(&id).await?))
}

#[utoipa::path(get, path = "/agentcore/harnesses/{id}/sessions/{session_id}", tag = "agentcore", summary = "One session, turn by turn, each with the gateway calls the harness made for it", params(("id" = String, Path), ("session_id" = String, Path)), responses((status = 200, body = SessionView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// One session of a harness: its turns and the gateway calls of each.
async fn session(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path((id, session_id)): Path<(String, String)>,
) -> Result<Json<SessionView>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.harness_session(&id, &session_id).await?))
}

#[utoipa::path(get, path = "/agentcore/harnesses/{id}/versions", tag = "agentcore", summary = "The harness's versions, newest first", params(("id" = String, Path), ("region" = Option<String>, Query), ("profile" = Option<String>, Query)), responses((status = 200, body = VersionList), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn versions(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<VersionList>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.harness_versions(&target, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct DiffQuery {
    from: String,
    to: String,
    #[serde(flatten)]
    target: Target,
}

#[utoipa::path(get, path = "/agentcore/harnesses/{id}/versions/diff", tag = "agentcore", summary = "What changed from one version of the harness to another", params(("id" = String, Path), ("from" = String, Query), ("to" = String, Query), ("region" = Option<String>, Query), ("profile" = Option<String>, Query)), responses((status = 200, body = VersionDiff), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn version_diff(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<VersionDiff>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.version_diff(&q.target, &id, &q.from, &q.to).await?))
}

#[utoipa::path(get, path = "/agentcore/harnesses/{id}/endpoints", tag = "agentcore", summary = "The harness's endpoints (DEFAULT and named ones) and the versions they serve", params(("id" = String, Path), ("region" = Option<String>, Query), ("profile" = Option<String>, Query)), responses((status = 200, body = EndpointList), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn endpoints(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<EndpointList>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.harness_endpoints(&target, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EndpointBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    form: EndpointForm,
}

#[utoipa::path(post, path = "/agentcore/harnesses/{id}/endpoints", tag = "agentcore", summary = "A named endpoint serving a version (the latest when none is given)", request_body = EndpointBody, params(("id" = String, Path)), responses((status = 200, body = EndpointView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn create_endpoint(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<EndpointView>, AdminError> {
    let body: EndpointBody = parse_body(&body)?;
    Ok(Json(env(&state.admin, caller, &headers)?.create_endpoint(&body.target, &id, &body.form).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EndpointChangeBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    change: EndpointChange,
}

#[utoipa::path(patch, path = "/agentcore/harnesses/{id}/endpoints/{name}", tag = "agentcore", summary = "Point an endpoint at another version (or describe it anew)", request_body = EndpointChangeBody, params(("id" = String, Path), ("name" = String, Path)), responses((status = 200, body = EndpointView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn update_endpoint(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<EndpointView>, AdminError> {
    let body: EndpointChangeBody = parse_body(&body)?;
    Ok(Json(env(&state.admin, caller, &headers)?.update_endpoint(&body.target, &id, &name, &body.change).await?))
}

#[utoipa::path(delete, path = "/agentcore/harnesses/{id}/endpoints/{name}", tag = "agentcore", summary = "Delete a named endpoint (DEFAULT stays)", params(("id" = String, Path), ("name" = String, Path), ("region" = Option<String>, Query), ("profile" = Option<String>, Query)), responses((status = 200, body = Deleted), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
async fn delete_endpoint(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    Query(target): Query<Target>,
) -> Result<Json<Deleted>, AdminError> {
    Ok(Json(env(&state.admin, caller, &headers)?.delete_endpoint(&target, &id, &name).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct WireBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    request: WireRequest,
}

#[utoipa::path(post, path = "/agentcore/wire", tag = "agentcore", summary = "Wire team, key, credential provider and harness in one go (events with `Accept: text/event-stream`)", request_body = WireBody, params(("stream" = Option<bool>, Query, description = "Server-sent events of each step, then the result")), responses((status = 200, body = WireResult), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// The one-click wiring. JSON by default (every step with its status); with
/// `Accept: text/event-stream` or `?stream=true`, server-sent events: `{"type": "step", "step":
/// {...}}` as each step changes, then `{"type": "result", "result": {...}}`.
async fn wire(
    State(state): State<AppState>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let body: WireBody = parse_body(&body)?;
    let env = env(&state.admin, caller, &headers)?;
    let stream = query.get("stream").is_some_and(|v| v == "true" || v == "1")
        || headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/event-stream"));
    if !stream {
        let result = wiring::run(&env, &body.target, body.request, |_| {}).await;
        return Ok(Json(result).into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<WireEvent>();
    // The wiring runs to its end even if the viewer goes away: stopping between two AWS calls
    // would leave things half-done. Its team and key are audited as this request's changes.
    let context = audit::current();
    tokio::spawn(audit::within(context, async move {
        let steps = tx.clone();
        let result = wiring::run(&env, &body.target, body.request, move |step| {
            let _ = steps.send(WireEvent::Step { step: Box::new(step.clone()) });
        })
        .await;
        let _ = tx.send(WireEvent::Result { result: Box::new(result) });
    }));
    Ok(sse::feed(tokio_stream_of(rx), "wiring"))
}

/// The values sent on `rx`, until every sender is gone.
fn tokio_stream_of<T>(rx: tokio::sync::mpsc::UnboundedReceiver<T>) -> impl futures::Stream<Item = T> {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}
