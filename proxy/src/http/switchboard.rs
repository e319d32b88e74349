//! Routes of Switchboard's own (not LiteLLM's), for the panel: gateway facts, today's figures,
//! the live request feed, spend per day, latency, recent log lines. Master key (or admin key) only.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::response::sse::Event;
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::admin::Reader;
use super::{AppState, sse};
use crate::admin::latency::{LatencyReport, LatencyWindow};
use crate::admin::{AdminError, latency as latency_report, spend};
use crate::http::error::ErrorBody as ErrorResponse;
use crate::logs::LogLine;
use crate::spend::WriterStatus;
use crate::store::{DailySpend, DbKind, SpendGroup, SpendLog, SpendStats};

/// Switchboard's own routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(info, stats, request_stream, spend_daily, latency, logs))]
pub struct SwitchboardApi;

/// The gateway's facts, for the panel's overview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GatewayInfo {
    pub version: String,
    pub uptime_seconds: u64,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Model groups served.
    pub models: usize,
    pub deployments: usize,
    /// The spend writer's state (absent without a database writer).
    pub spend_writer: Option<WriterStatus>,
    /// Where monitoring systems read the gateway.
    pub monitoring: Option<Monitoring>,
    /// Rate limits shared with the other replicas through Redis (absent: not configured).
    pub shared_limits: Option<SharedLimitsStatus>,
    /// With PostgreSQL: this replica, then the others on the same database heard from lately.
    pub replicas: Option<Vec<crate::replicas::ReplicaInfo>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SharedLimitsStatus {
    /// Redis answers; while it does not, each replica limits its own calls.
    pub redis_up: bool,
    /// Calls this replica limited alone because Redis was away.
    pub fallbacks: u64,
}

/// `/metrics` and traces, as this gateway serves them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Monitoring {
    /// Anyone may scrape `/metrics` (a gateway on loopback); otherwise it takes the master key,
    /// an admin or viewer key, or the metrics token.
    pub metrics_open: bool,
    /// `general_settings.metrics_token` is set.
    pub metrics_token_set: bool,
    /// Where spans go (OTLP/HTTP), without any credentials in the URL; absent: traces are off.
    pub traces_endpoint: Option<String>,
}

/// A URL as it may be shown: user and password left out.
fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

#[utoipa::path(get, path = "/switchboard/info", tag = "switchboard", summary = "The gateway's facts", responses((status = 200, body = GatewayInfo), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn info(State(state): State<AppState>, _: Reader) -> Json<GatewayInfo> {
    Json(GatewayInfo {
        version: crate::VERSION.to_string(),
        uptime_seconds: state.started.elapsed().as_secs(),
        database: match state.store.kind() {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
        .to_string(),
        models: state.gateway.model_names().len(),
        deployments: state.gateway.deployments().len(),
        spend_writer: state.gateway.spend_sink().map(|s| s.status()),
        replicas: state.replicas.as_ref().map(|r| r.list()),
        shared_limits: state
            .gateway
            .shared_limits()
            .map(|l| SharedLimitsStatus { redis_up: l.is_up(), fallbacks: l.fallbacks() }),
        monitoring: Some(Monitoring {
            metrics_open: super::metrics::is_open(&state),
            metrics_token_set: state.config.telemetry.metrics_token.is_some(),
            traces_endpoint: state.config.telemetry.otel.as_ref().map(|o| without_credentials(&o.traces_endpoint)),
        }),
    })
}

#[utoipa::path(get, path = "/switchboard/stats", tag = "switchboard", summary = "Today's figures (since midnight UTC)", responses((status = 200, body = SpendStats), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn stats(State(state): State<AppState>, _: Reader) -> Result<Json<SpendStats>, AdminError> {
    Ok(Json(spend::today(&state.admin).await?))
}

#[utoipa::path(get, path = "/switchboard/requests/stream", tag = "switchboard", summary = "Every call as it finishes, as a spend row", responses((status = 200, description = "Server-sent events: `data: <json>` each", content_type = "text/event-stream", body = SpendLog), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Every call as it finishes, as a spend row: `data: {...}` server-sent events.
pub async fn request_stream(State(state): State<AppState>, _: Reader) -> Response {
    let receiver = state.gateway.subscribe();
    let events = futures::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok(row) => Some((sse::event(&*row), receiver)),
            Err(RecvError::Lagged(missed)) => Some((
                Event::default().comment(format!("{missed} requests were skipped (the viewer fell behind)")),
                receiver,
            )),
            Err(RecvError::Closed) => None,
        }
    });
    sse::events(events.boxed(), "keep-alive")
}

#[utoipa::path(get, path = "/switchboard/spend/daily", tag = "switchboard", summary = "Spend per day and team, key or model", params(("group" = Option<String>, Query, description = "team, key or model (default)"), ("days" = Option<u32>, Query, description = "1 to 366 (default 30)")), responses((status = 200, body = Vec<DailySpend>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn spend_daily(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<DailySpend>>, AdminError> {
    let group = match query.get("group").map(String::as_str) {
        None | Some("model") => SpendGroup::Model,
        Some("team") => SpendGroup::Team,
        Some("key") => SpendGroup::Key,
        Some(other) => {
            return Err(AdminError::invalid(format!("group must be team, key or model, not '{other}'"), Some("group")));
        }
    };
    let days: i64 = query.get("days").and_then(|d| d.parse().ok()).filter(|d| (1..=366).contains(d)).unwrap_or(30);
    Ok(Json(spend::daily(&state.admin, group, days).await?))
}

#[utoipa::path(get, path = "/switchboard/latency", tag = "switchboard", summary = "Latency and time to first token per model over time; requests, errors and latency per deployment", params(("hours" = Option<u32>, Query, description = "The window: 1 to 720 hours back (default 24)"), ("bucket" = Option<String>, Query, description = "hour (default) or day"), ("model" = Option<String>, Query, description = "One model group")), responses((status = 200, body = LatencyReport), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn latency(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<LatencyReport>, AdminError> {
    let text = |name: &str| query.get(name).map(String::as_str);
    let window = LatencyWindow::parse(text("hours"), text("bucket"), text("model"))?;
    Ok(Json(latency_report::report(&state.admin, &window).await?))
}

#[utoipa::path(get, path = "/switchboard/logs", tag = "switchboard", summary = "Recent log lines, oldest first", params(("limit" = Option<usize>, Query, description = "At most 1000 (default 200)")), responses((status = 200, body = Vec<LogLine>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn logs(_: Reader, Query(query): Query<HashMap<String, String>>) -> Json<Vec<LogLine>> {
    let limit = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(200).min(1000);
    Json(crate::logs::recent(limit))
}
