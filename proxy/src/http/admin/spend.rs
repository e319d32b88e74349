//! `/spend/logs` and `/global/spend*`: what was spent, by whom, on what.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};

use super::keys::token_of;
use super::users::is_plain_key;
use super::{Reader, store_error};
use crate::gateway::GatewayError;
use crate::http::{AppState, Caller};
use crate::store::{SpendFilter, SpendGroup};

/// Rows newest first; filters `api_key` (clear or hash), `user_id`, `team_id`, `request_id`,
/// `model`, `status`, `start_date`/`end_date` (YYYY-MM-DD or ISO), `limit`. A non-admin key
/// sees only its own rows. With both dates and `summarize=true`, totals per day.
pub async fn logs(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    if let Some(sink) = state.gateway.spend_sink() {
        // Rows of requests that just finished are written before they are read.
        sink.flush().await;
    }
    let q = |k: &str| query.get(k).filter(|v| !v.is_empty()).cloned();
    let mut filter = SpendFilter {
        request_id: q("request_id"),
        api_key: q("api_key").map(|k| token_of(&k)),
        team_id: q("team_id"),
        user_id: q("user_id"),
        model: q("model"),
        status: q("status"),
        start: q("start_date"),
        // A bare date ends after the whole day: "T~" sorts after every time of that day.
        end: q("end_date").map(|d| if d.len() == 10 { format!("{d}T~") } else { d }),
        limit: q("limit").and_then(|l| l.parse().ok()).unwrap_or(1000),
    };
    if is_plain_key(&caller) {
        filter.api_key = caller.key().map(|k| k.record.token.clone());
    }
    let rows = state.store.spend_logs(&filter).await.map_err(store_error)?;
    let summarize = query.get("summarize").is_some_and(|s| s == "true");
    if summarize && filter.start.is_some() && filter.end.is_some() {
        let mut days: std::collections::BTreeMap<String, (f64, HashMap<String, f64>)> = Default::default();
        for r in &rows {
            let day = r.start_time.get(..10).unwrap_or_default().to_string();
            let e = days.entry(day).or_default();
            e.0 += r.spend;
            *e.1.entry(r.model_group.clone()).or_default() += r.spend;
        }
        let out: Vec<Value> = days
            .into_iter()
            .map(|(day, (spend, models))| json!({"startTime": day, "spend": spend, "models": models}))
            .collect();
        return Ok(Json(Value::Array(out)));
    }
    Ok(Json(serde_json::to_value(rows).unwrap_or_default()))
}

async fn totals(state: &AppState, group: SpendGroup) -> Result<Vec<crate::store::SpendTotal>, GatewayError> {
    if let Some(sink) = state.gateway.spend_sink() {
        sink.flush().await;
    }
    state.store.spend_by(group, None).await.map_err(store_error)
}

pub async fn global(State(state): State<AppState>, _: Reader) -> Result<Json<Value>, GatewayError> {
    let total: f64 = totals(&state, SpendGroup::Key).await?.iter().map(|t| t.spend).sum();
    Ok(Json(json!({"spend": total, "max_budget": Value::Null})))
}

pub async fn by_key(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let limit: usize = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(10);
    let rows: Vec<Value> = totals(&state, SpendGroup::Key)
        .await?
        .into_iter()
        .take(limit)
        .map(|t| json!({"api_key": t.group, "key_alias": t.alias, "total_spend": t.spend, "requests": t.requests, "total_tokens": t.tokens}))
        .collect();
    Ok(Json(Value::Array(rows)))
}

pub async fn by_team(State(state): State<AppState>, _: Reader) -> Result<Json<Value>, GatewayError> {
    let totals = totals(&state, SpendGroup::Team).await?;
    let alias_of = |id: &Option<String>| {
        id.as_deref().and_then(|t| state.gateway.registry.teams.get(t)).and_then(|t| t.record.team_alias.clone())
    };
    let per_team: Vec<Value> = totals
        .iter()
        .filter(|t| t.group.is_some())
        .map(|t| json!({"team_id": t.group, "team_alias": alias_of(&t.group), "total_spend": t.spend, "requests": t.requests}))
        .collect();
    let names: Vec<Value> =
        totals.iter().filter(|t| t.group.is_some()).map(|t| json!(alias_of(&t.group).or(t.group.clone()))).collect();
    let daily = state.store.spend_by(SpendGroup::Day, None).await.map_err(store_error)?;
    let daily: Vec<Value> =
        daily.iter().map(|d| json!({"date": d.group, "total_spend": d.spend, "requests": d.requests})).collect();
    Ok(Json(json!({"daily_spend": daily, "teams": names, "total_spend_per_team": per_team})))
}

pub async fn by_model(State(state): State<AppState>, _: Reader) -> Result<Json<Value>, GatewayError> {
    let rows: Vec<Value> = totals(&state, SpendGroup::Model)
        .await?
        .into_iter()
        .map(|t| json!({"model": t.group, "total_spend": t.spend, "requests": t.requests, "total_tokens": t.tokens}))
        .collect();
    Ok(Json(Value::Array(rows)))
}
