//! `/user/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, Params, Reader, object_body, parse_body};
use crate::admin::{AdminError, users};
use crate::http::{AppState, Caller};

pub async fn new(State(state): State<AppState>, Admin(caller): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(users::create(&state.admin, &object_body(&body)?, &caller).await?))
}

pub async fn info(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AdminError> {
    Ok(Json(users::info(&state.admin, &caller, query.get("user_id").map(String::as_str))?))
}

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    let user = users::update(&state.admin, &object_body(&body)?).await?;
    Ok(Json(serde_json::to_value(user).unwrap_or_default()))
}

#[derive(Deserialize)]
struct DeleteUsers {
    user_ids: Vec<String>,
}

/// Deletes users and their keys.
pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    let req: DeleteUsers = parse_body(&body)?;
    let deleted_keys = users::delete(&state.admin, &req.user_ids).await?;
    Ok(Json(json!({"deleted_users": req.user_ids, "deleted_keys": deleted_keys})))
}

pub async fn list(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let p = Params(query);
    let q = users::UserQuery {
        role: p.text("role"),
        team: p.text("team"),
        page: p.number("page", 1),
        page_size: p.number("page_size", 25),
    };
    Json(users::list(&state.admin, &q))
}
