//! `/spend/logs` and `/global/spend*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::Value;

use super::{Params, Reader};
use crate::admin::{AdminError, spend};
use crate::auth::token_of;
use crate::http::{AppState, Caller};
use crate::store::SpendFilter;

/// Rows newest first; filters `api_key` (clear or hash), `user_id`, `team_id`, `request_id`,
/// `model`, `status`, `start_date`/`end_date` (YYYY-MM-DD or ISO), `limit`. With both dates and
/// `summarize=true`, totals per day.
pub async fn logs(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AdminError> {
    let p = Params(query);
    let filter = SpendFilter {
        request_id: p.text("request_id"),
        api_key: p.text("api_key").map(|k| token_of(&k)),
        team_id: p.text("team_id"),
        user_id: p.text("user_id"),
        model: p.text("model"),
        status: p.text("status"),
        start: p.text("start_date"),
        // A bare date ends after the whole day: "T~" sorts after every time of that day.
        end: p.text("end_date").map(|d| if d.len() == 10 { format!("{d}T~") } else { d }),
        limit: p.number("limit", 1000),
    };
    Ok(Json(spend::logs(&state.admin, &caller, filter, p.is("summarize", "true")).await?))
}

pub async fn global(State(state): State<AppState>, _: Reader) -> Result<Json<Value>, AdminError> {
    Ok(Json(spend::global(&state.admin).await?))
}

pub async fn by_key(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AdminError> {
    Ok(Json(spend::by_key(&state.admin, Params(query).number("limit", 10)).await?))
}

pub async fn by_team(State(state): State<AppState>, _: Reader) -> Result<Json<Value>, AdminError> {
    Ok(Json(spend::by_team(&state.admin).await?))
}

pub async fn by_model(State(state): State<AppState>, _: Reader) -> Result<Json<Value>, AdminError> {
    Ok(Json(spend::by_model(&state.admin).await?))
}
