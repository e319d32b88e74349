//! `/agentcore/*`: the AgentCore wiring of the panel (credential providers, harnesses, doctor,
//! one-click wiring, harness playground). Protocol only; the work is in [`crate::aws`].
//! Master key (or a proxy_admin key) only.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use futures::StreamExt;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Admin, keys, parse_body, teams};
use crate::auth::Principal;
use crate::auth::registry::KeyEntry;
use crate::aws::agentcore::DEFAULT_PROVIDER_NAME;
use crate::aws::manage::{DoctorRequest, Env, Failure, Governance, HarnessForm, KeySource, Preflight};
use crate::aws::wiring::{self, WireRequest};
use crate::aws::{AgentCore, ClearKey, Target};
use crate::gateway::GatewayError;
use crate::http::AppState;
use crate::store::{Entity, TeamRecord, Write};

/// The gateway's AgentCore service, built on first use from the config.
type Service = Arc<OnceLock<Result<Arc<AgentCore>, String>>>;

pub fn routes() -> Router<AppState> {
    let service: Service = Arc::new(OnceLock::new());
    Router::new()
        .route("/agentcore/settings", get(settings))
        .route("/agentcore/providers", get(list_providers).post(create_provider))
        .route("/agentcore/providers/{name}", axum::routing::delete(delete_provider))
        .route("/agentcore/providers/{name}/rotate", post(rotate_provider))
        .route("/agentcore/harnesses", get(list_harnesses).post(create_harness))
        .route("/agentcore/harnesses/{id}", get(get_harness).patch(update_harness).delete(delete_harness))
        .route("/agentcore/harnesses/{id}/invoke", post(invoke))
        .route("/agentcore/doctor", post(doctor))
        .route("/agentcore/wire", post(wire))
        .layer(Extension(service))
}

/// Key and team creation for the AgentCore work, through the admin API's own code.
pub struct AdminGovernance {
    state: AppState,
    caller: Principal,
}

impl Governance for AdminGovernance {
    async fn generate_key(&self, fields: Map<String, Value>) -> Result<(ClearKey, Arc<KeyEntry>), GatewayError> {
        let (response, entry) = keys::create_key(&self.state, &fields, &self.caller).await?;
        let clear = response
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| GatewayError::Internal("the new key has no value".into()))?;
        Ok((ClearKey::new(clear.to_string()), entry))
    }

    async fn delete_key(&self, token: &str) -> Result<(), GatewayError> {
        super::commit(&self.state, &[Write::Delete(Entity::Key, token)]).await?;
        self.state.gateway.registry.keys.remove(token);
        Ok(())
    }

    async fn create_team(&self, fields: Map<String, Value>) -> Result<TeamRecord, GatewayError> {
        let body = Bytes::from(serde_json::to_vec(&fields).unwrap_or_default());
        let Json(team) = teams::new(State(self.state.clone()), Admin(self.caller.clone()), body).await?;
        let id = team.get("team_id").and_then(Value::as_str).unwrap_or_default();
        self.state
            .gateway
            .registry
            .teams
            .get(id)
            .map(|t| t.record.clone())
            .ok_or_else(|| GatewayError::Internal("the new team is missing".into()))
    }
}

fn service(state: &AppState, cell: &Service) -> Result<Arc<AgentCore>, GatewayError> {
    cell.get_or_init(|| AgentCore::new(state.config.general.agentcore.clone()).map(Arc::new))
        .clone()
        .map_err(GatewayError::Internal)
}

/// The API base when a request names none: the configured public URL, else the URL this
/// request came in on (the doctor says whether AWS can reach it).
fn default_api_base(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(u) = &state.config.general.public_url {
        return Some(u.clone());
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let host = header("x-forwarded-host").or_else(|| header("host"))?;
    let proto = header("x-forwarded-proto").filter(|p| *p == "https" || *p == "http").unwrap_or("http");
    Some(format!("{proto}://{host}"))
}

fn env(
    state: &AppState,
    cell: &Service,
    caller: Principal,
    headers: &HeaderMap,
) -> Result<Env<AdminGovernance>, GatewayError> {
    Ok(Env {
        gateway: state.gateway.clone(),
        store: state.store.clone(),
        config: state.config.clone(),
        service: service(state, cell)?,
        governance: AdminGovernance { state: state.clone(), caller },
        default_api_base: default_api_base(state, headers),
    })
}

/// A harness save: the saved harness, or the failure (an error, or the doctor's refusal).
fn saved_or_failure<T: serde::Serialize>(result: Result<T, Failure>) -> Response {
    match result {
        Ok(saved) => (StatusCode::OK, Json(saved)).into_response(),
        Err(f) => failure(f),
    }
}

fn failure(f: Failure) -> Response {
    match f {
        Failure::Error(e) => e.into_response(),
        Failure::Doctor(report) => {
            let message = format!(
                "The doctor found {} problem(s); nothing was saved. Fix them, or send \"force\": true to save anyway.\n{}",
                report.errors,
                report.summary()
            );
            let body = json!({
                "error": {"message": message, "type": "doctor_findings", "param": null, "code": "400"},
                "doctor": *report,
            });
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

const SSE_HEADERS: [(http::HeaderName, HeaderValue); 2] = [
    (CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8")),
    (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
];

fn frame(value: &Value) -> Bytes {
    let mut out = b"data: ".to_vec();
    let _ = serde_json::to_writer(&mut out, value);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

// ---------------------------------------------------------------------------

pub async fn settings(State(state): State<AppState>, Admin(_): Admin, headers: HeaderMap) -> Json<Value> {
    let a = &state.config.general.agentcore;
    let models: Vec<Value> = state
        .gateway
        .model_names()
        .into_iter()
        .map(|m| json!({"alias": m, "model_id": format!("{}{m}", crate::aws::agentcore::LITELLM_PREFIX)}))
        .collect();
    Json(json!({
        "public_url": state.config.general.public_url,
        "default_api_base": default_api_base(&state, &headers),
        "region": a.aws_region_name.clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok()),
        "profile": a.aws_profile_name.clone().or_else(|| std::env::var("AWS_PROFILE").ok()),
        "profiles": aws_profiles(),
        "regions": ["us-east-1", "us-east-2", "us-west-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
                    "ap-northeast-1", "eu-central-1", "eu-west-1"],
        "models": models,
        "defaults": {
            "credential_provider": DEFAULT_PROVIDER_NAME,
            "team_alias": wiring::DEFAULT_TEAM_ALIAS,
            "key_alias": wiring::DEFAULT_KEY_ALIAS,
        },
    }))
}

/// Profile names in the shared AWS config and credentials files.
fn aws_profiles() -> Vec<String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| {
        std::env::var_os(var).map(std::path::PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(default)))
    };
    let mut names = Vec::new();
    for (path, is_config) in [
        (file("AWS_CONFIG_FILE", ".aws/config"), true),
        (file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), false),
    ] {
        let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else { continue };
        for line in text.lines() {
            let Some(section) = line.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')) else { continue };
            let section = section.trim();
            let name = if is_config {
                match section.strip_prefix("profile") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ if section == "default" => section,
                    _ => continue,
                }
            } else {
                section
            };
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names
}

pub async fn list_providers(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(target): Query<Target>,
) -> Result<Json<Value>, GatewayError> {
    let env = env(&state, &cell, caller, &headers)?;
    let (region, providers) = env.list_providers(&target).await?;
    Ok(Json(json!({"region": region, "providers": providers})))
}

#[derive(Deserialize)]
struct ProviderBody {
    #[serde(flatten)]
    target: Target,
    name: Option<String>,
    /// A key of this gateway, in clear (the gateway keeps only hashes).
    key: Option<String>,
    /// `true`, or `/key/generate` fields (`team_id`, `key_alias`, `max_budget`, ...).
    generate: Option<Value>,
}

fn key_source(body: &ProviderBody) -> Result<KeySource, GatewayError> {
    let generate = match &body.generate {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            return Err(GatewayError::invalid(
                "generate must be true or an object of /key/generate fields",
                Some("generate"),
            ));
        }
    };
    match (&body.key, generate) {
        (Some(_), Some(_)) => Err(GatewayError::invalid("pass either key or generate, not both", Some("key"))),
        (Some(k), None) => Ok(KeySource::Existing(ClearKey::new(k.trim().to_string()))),
        (None, Some(fields)) => Ok(KeySource::Generate(fields)),
        (None, None) => Err(GatewayError::invalid(
            "name the key to store: `key` (the sk-... value of a key of this gateway) or `generate` (a new key, \
             optionally with team_id and key_alias)",
            Some("key"),
        )),
    }
}

pub async fn create_provider(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let body: ProviderBody = parse_body(&body)?;
    let source = key_source(&body)?;
    let env = env(&state, &cell, caller, &headers)?;
    let name = body.name.clone().unwrap_or_else(|| DEFAULT_PROVIDER_NAME.to_string());
    let stored = env.store_key(&body.target, &name, source, false).await?;
    Ok(Json(serde_json::to_value(stored).unwrap_or_default()))
}

pub async fn rotate_provider(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let body: ProviderBody = parse_body(&body)?;
    let source = key_source(&body)?;
    let env = env(&state, &cell, caller, &headers)?;
    let stored = env.store_key(&body.target, &name, source, true).await?;
    Ok(Json(serde_json::to_value(stored).unwrap_or_default()))
}

pub async fn delete_provider(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<Value>, GatewayError> {
    let env = env(&state, &cell, caller, &headers)?;
    Ok(Json(env.delete_provider(&target, &name).await?))
}

pub async fn list_harnesses(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(target): Query<Target>,
) -> Result<Json<Value>, GatewayError> {
    let env = env(&state, &cell, caller, &headers)?;
    let (region, harnesses) = env.list_harnesses(&target).await?;
    Ok(Json(json!({"region": region, "harnesses": harnesses})))
}

pub async fn get_harness(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<Value>, GatewayError> {
    let env = env(&state, &cell, caller, &headers)?;
    Ok(Json(serde_json::to_value(env.harness(&target, &id).await?).unwrap_or_default()))
}

#[derive(Deserialize)]
struct HarnessBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    form: HarnessForm,
    #[serde(default)]
    force: bool,
}

pub async fn create_harness(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = async {
        let body: HarnessBody = parse_body(&body)?;
        let env = env(&state, &cell, caller, &headers)?;
        env.create_harness(&body.target, &body.form, Preflight::forced(body.force)).await
    };
    saved_or_failure(run.await)
}

pub async fn update_harness(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let run = async {
        let body: HarnessBody = parse_body(&body)?;
        let env = env(&state, &cell, caller, &headers)?;
        env.update_harness(&body.target, &id, &body.form, Preflight::forced(body.force)).await
    };
    saved_or_failure(run.await)
}

pub async fn delete_harness(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<Value>, GatewayError> {
    let env = env(&state, &cell, caller, &headers)?;
    Ok(Json(env.delete_harness(&target, &id).await?))
}

#[derive(Deserialize)]
struct DoctorBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    request: DoctorRequest,
}

pub async fn doctor(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let body: DoctorBody = parse_body(&body)?;
    let env = env(&state, &cell, caller, &headers)?;
    let report = env.doctor(&body.target, &body.request).await;
    Ok(Json(serde_json::to_value(report).unwrap_or_default()))
}

#[derive(Deserialize)]
struct InvokeBody {
    #[serde(flatten)]
    target: Target,
    session_id: Option<String>,
    message: String,
}

/// One turn of the harness playground: server-sent events `data: {"type": ...}`, starting with
/// `session` (keep its session_id for the next turn) and ending with `done` or `error`.
pub async fn invoke(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, GatewayError> {
    let body: InvokeBody = parse_body(&body)?;
    let env = env(&state, &cell, caller, &headers)?;
    let (head, events) = env.invoke(&body.target, &id, body.session_id.as_deref(), &body.message).await?;
    let events = events.map(|item| match item {
        Ok(v) => v,
        Err(e) => json!({
            "type": "error", "kind": e.kind, "code": e.code, "message": e.message, "fix": e.fix, "status": e.status,
        }),
    });
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen_error = finished.clone();
    let events = events.inspect(move |v| {
        if v["type"] == "error" {
            seen_error.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let tail = futures::stream::once(async move {
        if finished.load(std::sync::atomic::Ordering::Relaxed) { None } else { Some(json!({"type": "done"})) }
    })
    .filter_map(|v| async move { v });
    let frames =
        futures::stream::once(async move { head }).chain(events).chain(tail).map(|v| Ok::<_, Infallible>(frame(&v)));
    Ok((SSE_HEADERS, Body::from_stream(frames)).into_response())
}

#[derive(Deserialize)]
struct WireBody {
    #[serde(flatten)]
    target: Target,
    #[serde(flatten)]
    request: WireRequest,
}

/// The one-click wiring. JSON by default (every step with its status); with
/// `Accept: text/event-stream` or `?stream=true`, server-sent events: `{"type": "step", "step":
/// {...}}` as each step changes, then `{"type": "result", "result": {...}}`.
pub async fn wire(
    State(state): State<AppState>,
    Extension(cell): Extension<Service>,
    Admin(caller): Admin,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, GatewayError> {
    let body: WireBody = parse_body(&body)?;
    let env = env(&state, &cell, caller, &headers)?;
    let stream = query.get("stream").is_some_and(|v| v == "true" || v == "1")
        || headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/event-stream"));
    if !stream {
        let result = wiring::run(&env, &body.target, body.request, |_| {}).await;
        return Ok(Json(result).into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    // The wiring runs to its end even if the viewer goes away: stopping between two AWS calls
    // would leave things half-done.
    tokio::spawn(async move {
        let steps = tx.clone();
        let result = wiring::run(&env, &body.target, body.request, move |step| {
            let _ = steps.send(json!({"type": "step", "step": step}));
        })
        .await;
        let _ = tx.send(json!({"type": "result", "result": result}));
    });
    let frames = futures::stream::unfold(rx, |mut rx| async move {
        let v = rx.recv().await?;
        Some((Ok::<_, Infallible>(frame(&v)), rx))
    });
    Ok((SSE_HEADERS, Body::from_stream(frames)).into_response())
}
