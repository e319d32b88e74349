//! Routes of Switchboard's own (not LiteLLM's), for the panel: gateway facts, today's figures,
//! the live request feed, spend per day, recent log lines. Master key (or admin key) only.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::response::sse::Event;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::admin::Reader;
use super::{AppState, sse};
use crate::admin::{AdminError, spend};
use crate::store::{DailySpend, DbKind, SpendGroup, SpendStats};

pub async fn info(State(state): State<AppState>, _: Reader) -> Json<Value> {
    Json(json!({
        "version": crate::VERSION,
        "uptime_seconds": state.started.elapsed().as_secs(),
        "database": match state.store.kind() { DbKind::Sqlite => "sqlite", DbKind::Postgres => "postgres" },
        "models": state.gateway.model_names().len(),
        "deployments": state.gateway.deployments().len(),
        "spend_writer": state.gateway.spend_sink().map(|s| s.status()),
    }))
}

pub async fn stats(State(state): State<AppState>, _: Reader) -> Result<Json<SpendStats>, AdminError> {
    Ok(Json(spend::today(&state.admin).await?))
}

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

pub async fn logs(_: Reader, Query(query): Query<HashMap<String, String>>) -> Json<Value> {
    let limit = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(200).min(1000);
    Json(serde_json::to_value(crate::logs::recent(limit)).unwrap_or_default())
}
