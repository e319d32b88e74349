//! Health routes: liveness and readiness (public, as in LiteLLM) and `/health`, which calls
//! every deployment.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::admin::Manager;
use super::openai::deployment_info;
use super::{AppState, Caller};
use crate::gateway::GatewayError;
use crate::http::error::ErrorBody as ErrorResponse;

/// `/health` in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(deployments, readiness_details))]
pub struct HealthApi;

/// `/health`'s answer, as LiteLLM gives it: each deployment's `litellm_params` (secrets left
/// out) with `model_id`, `model_name`, `api_base`, and for the unhealthy `error` and
/// `exception_status`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    #[schema(value_type = Vec<Object>)]
    pub healthy_endpoints: Vec<Map<String, Value>>,
    #[schema(value_type = Vec<Object>)]
    pub unhealthy_endpoints: Vec<Map<String, Value>>,
    pub healthy_count: usize,
    pub unhealthy_count: usize,
}

pub async fn liveliness() -> Json<&'static str> {
    Json("I'm alive!")
}

/// `db` follows the spend writer's last write (no database round trip per probe): "connected"
/// while writes succeed, "Not connected" while the database is away (requests keep being served).
pub async fn readiness(State(state): State<AppState>) -> Json<Value> {
    Json(readiness_facts(&state))
}

/// `/health/readiness/details`: what LiteLLM 1.8x moved behind a key (its public readiness keeps
/// only `status`; Switchboard's still answers everything, see docs/compatibility.md), plus the
/// log level. For admins and viewers (others: LiteLLM's 401), as LiteLLM's role checks decide.
#[utoipa::path(get, path = "/health/readiness/details", tag = "switchboard", summary = "Readiness with the database, cache, version and log level",
    responses((status = 200, body = Object), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn readiness_details(State(state): State<AppState>, _: Manager) -> Json<Value> {
    let mut facts = readiness_facts(&state);
    let level = tracing::level_filters::LevelFilter::current();
    if let Some(o) = facts.as_object_mut() {
        o.insert("log_level".into(), json!(level.to_string().to_ascii_uppercase()));
        o.insert("is_detailed_debug".into(), json!(level >= tracing::level_filters::LevelFilter::DEBUG));
        o.insert("use_aiohttp_transport".into(), json!(false));
    }
    Json(facts)
}

fn readiness_facts(state: &AppState) -> Value {
    let db_away = state.gateway.spend_sink().is_none_or(|s| s.status().database_unavailable);
    json!({
        "status": "healthy",
        "db": if db_away { "Not connected" } else { "connected" },
        "cache": null,
        "litellm_version": crate::VERSION,
        "switchboard_version": crate::VERSION,
        "success_callbacks": [],
        "uptime_seconds": state.started.elapsed().as_secs(),
        "models": state.gateway.model_names().len(),
        // How many replicas share this gateway's database (null: SQLite, one process), and
        // whether the Redis they share limits through answers (null: none configured).
        "switchboard_replicas": state.replicas.as_ref().map(|r| r.list().len()),
        "switchboard_redis": state.gateway.shared_limits().map(|l| if l.is_up() { "connected" } else { "away" }),
    })
}

/// Calls each deployment (optionally only those of `?model=` or `?model_id=`) with a one-token
/// request, concurrently, and reports which answered.
#[utoipa::path(get, path = "/health", tag = "switchboard", summary = "Call every deployment once and report which answered",
    params(("model" = Option<String>, Query), ("model_id" = Option<String>, Query)),
    responses((status = 200, body = HealthReport), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn deployments(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<HealthReport>, GatewayError> {
    if !principal.is_admin() {
        return Err(GatewayError::invalid("/health needs the master key", None));
    }
    let selected: Vec<_> = state
        .gateway
        .deployments()
        .iter()
        .filter(|d| query.get("model").is_none_or(|m| *m == d.entry.model_name))
        .filter(|d| query.get("model_id").is_none_or(|id| *id == d.entry.id))
        // A wildcard deployment serves whatever is asked; it is checked only with the model
        // `model_info.health_check_model` names (as LiteLLM does).
        .filter(|d| !d.entry.model.contains('*') || d.entry.model_info.contains_key("health_check_model"))
        .cloned()
        .collect();
    let checks = selected.iter().map(|d| state.gateway.probe(d));
    let results = futures::future::join_all(checks).await;

    let mut healthy = Vec::new();
    let mut unhealthy = Vec::new();
    for (d, result) in selected.iter().zip(results) {
        let row = deployment_info(d);
        let mut entry = match row.get("litellm_params") {
            Some(Value::Object(params)) => params.clone(),
            _ => serde_json::Map::new(),
        };
        entry.insert("model_id".into(), json!(d.entry.id));
        entry.insert("model_name".into(), json!(d.entry.model_name));
        if let Some(base) = d.provider.api_base() {
            entry.insert("api_base".into(), json!(base));
        }
        match result {
            Ok(()) => healthy.push(entry),
            Err(e) => {
                entry.insert("error".into(), json!(e.to_string()));
                entry.insert("exception_status".into(), json!(e.status()));
                unhealthy.push(entry);
            }
        }
    }
    Ok(Json(HealthReport {
        healthy_count: healthy.len(),
        unhealthy_count: unhealthy.len(),
        healthy_endpoints: healthy,
        unhealthy_endpoints: unhealthy,
    }))
}
