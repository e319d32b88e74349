//! Routes of Switchboard's own (not LiteLLM's), for the panel: gateway facts, today's figures,
//! the live request feed, spend per day, recent log lines. Master key (or admin key) only.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{Duration as Days, Utc};
use futures::StreamExt;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::admin::{Reader, store_error};
use crate::auth::registry::format_time;
use crate::gateway::GatewayError;
use crate::store::{DbKind, SpendGroup};

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

pub async fn stats(State(state): State<AppState>, _: Reader) -> Result<Json<Value>, GatewayError> {
    if let Some(sink) = state.gateway.spend_sink() {
        sink.flush().await;
    }
    let midnight = Utc::now().date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
    let stats = state.store.stats(&format_time(midnight)).await.map_err(store_error)?;
    Ok(Json(serde_json::to_value(stats).unwrap_or_default()))
}

/// How often an idle feed sends a comment, so proxies and clients keep the connection.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Every call as it finishes, as a spend row: `data: {...}` server-sent events.
pub async fn request_stream(State(state): State<AppState>, _: Reader) -> Response {
    let receiver = state.gateway.subscribe();
    let events = futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match tokio::time::timeout(KEEP_ALIVE, receiver.recv()).await {
                Ok(Ok(row)) => {
                    let mut frame = b"data: ".to_vec();
                    if serde_json::to_writer(&mut frame, &*row).is_err() {
                        continue;
                    }
                    frame.extend_from_slice(b"\n\n");
                    return Some((Ok::<_, Infallible>(Bytes::from(frame)), receiver));
                }
                Ok(Err(RecvError::Lagged(missed))) => {
                    let note = format!(": {missed} requests were skipped (the viewer fell behind)\n\n");
                    return Some((Ok(Bytes::from(note)), receiver));
                }
                Ok(Err(RecvError::Closed)) => return None,
                Err(_) => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), receiver)),
            }
        }
    });
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8")),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Body::from_stream(events.boxed()),
    )
        .into_response()
}

pub async fn spend_daily(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let group = match query.get("group").map(String::as_str) {
        None | Some("model") => SpendGroup::Model,
        Some("team") => SpendGroup::Team,
        Some("key") => SpendGroup::Key,
        Some(other) => {
            return Err(GatewayError::invalid(
                format!("group must be team, key or model, not '{other}'"),
                Some("group"),
            ));
        }
    };
    let days: i64 = query.get("days").and_then(|d| d.parse().ok()).filter(|d| (1..=366).contains(d)).unwrap_or(30);
    if let Some(sink) = state.gateway.spend_sink() {
        sink.flush().await;
    }
    let since = Utc::now().date_naive() - Days::days(days - 1);
    let since = since.and_hms_opt(0, 0, 0).map(|t| format_time(t.and_utc())).unwrap_or_default();
    let mut rows = state.store.spend_daily(group, &since).await.map_err(store_error)?;
    let registry = &state.gateway.registry;
    for r in &mut rows {
        r.label = match group {
            SpendGroup::Team => {
                r.group.as_deref().and_then(|t| registry.teams.get(t)).and_then(|t| t.record.team_alias.clone())
            }
            SpendGroup::Key => r.label.take(),
            _ => r.group.clone(),
        };
    }
    Ok(Json(serde_json::to_value(rows).unwrap_or_default()))
}

pub async fn logs(_: Reader, Query(query): Query<HashMap<String, String>>) -> Json<Value> {
    let limit = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(200).min(1000);
    Json(serde_json::to_value(crate::logs::recent(limit)).unwrap_or_default())
}
