//! `/spend/logs` and `/global/spend*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};

use super::{Manager, Params};
use crate::admin::AdminError;
use crate::admin::spend::{
    self, GlobalSpend, KeySpend, ModelSpend, ReportQuery, SpendLogs, SpendReport, TeamSpendReport,
};
use crate::auth::token_of;
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;
use crate::store::SpendFilter;

#[utoipa::path(get, path = "/spend/logs", tag = "spend", summary = "Spend rows, newest first (a plain key sees its own)", params(("api_key" = Option<String>, Query, description = "Clear key or hash"), ("user_id" = Option<String>, Query), ("team_id" = Option<String>, Query), ("request_id" = Option<String>, Query, description = "The call id or the upstream's response id"), ("model" = Option<String>, Query), ("status" = Option<String>, Query), ("start_date" = Option<String>, Query, description = "YYYY-MM-DD or ISO 8601"), ("end_date" = Option<String>, Query), ("limit" = Option<usize>, Query), ("summarize" = Option<bool>, Query, description = "Totals per day (with both dates)")), responses((status = 200, body = SpendLogs), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Rows newest first; filters `api_key` (clear or hash), `user_id`, `team_id`, `request_id`,
/// `model`, `status`, `start_date`/`end_date` (YYYY-MM-DD or ISO), `limit`. With both dates and
/// `summarize=true`, totals per day.
pub async fn logs(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<SpendLogs>, AdminError> {
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

#[utoipa::path(get, path = "/global/spend", tag = "spend", summary = "Total spend", responses((status = 200, body = GlobalSpend), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn global(State(state): State<AppState>, _: Manager) -> Result<Json<GlobalSpend>, AdminError> {
    Ok(Json(spend::global(&state.admin).await?))
}

#[utoipa::path(get, path = "/global/spend/keys", tag = "spend", summary = "The keys that spent most", params(("limit" = Option<usize>, Query)), responses((status = 200, body = Vec<KeySpend>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn by_key(
    State(state): State<AppState>,
    _: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<KeySpend>>, AdminError> {
    Ok(Json(spend::by_key(&state.admin, Params(query).number("limit", 10)).await?))
}

#[utoipa::path(get, path = "/global/spend/teams", tag = "spend", summary = "Spend per team and per day", responses((status = 200, body = TeamSpendReport), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn by_team(State(state): State<AppState>, _: Manager) -> Result<Json<TeamSpendReport>, AdminError> {
    Ok(Json(spend::by_team(&state.admin).await?))
}

#[utoipa::path(get, path = "/global/spend/models", tag = "spend", summary = "Spend per model group", responses((status = 200, body = Vec<ModelSpend>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn by_model(State(state): State<AppState>, _: Manager) -> Result<Json<Vec<ModelSpend>>, AdminError> {
    Ok(Json(spend::by_model(&state.admin).await?))
}

#[utoipa::path(get, path = "/global/spend/report", tag = "spend", summary = "Spend per day and team, customer or key", params(("start_date" = String, Query, description = "YYYY-MM-DD"), ("end_date" = String, Query, description = "YYYY-MM-DD, included"), ("group_by" = Option<String>, Query, description = "team (default), customer or api_key"), ("api_key" = Option<String>, Query, description = "One key (clear or hash): the api_key shape"), ("internal_user_id" = Option<String>, Query, description = "One user's keys: the api_key shape")), responses((status = 200, body = SpendReport), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn report(
    State(state): State<AppState>,
    _: Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<SpendReport>, AdminError> {
    let p = Params(query);
    let q = ReportQuery {
        start_date: p.text("start_date"),
        end_date: p.text("end_date"),
        group_by: p.text("group_by"),
        api_key: p.text("api_key"),
        internal_user_id: p.text("internal_user_id"),
    };
    Ok(Json(spend::report(&state.admin, &q).await?))
}
