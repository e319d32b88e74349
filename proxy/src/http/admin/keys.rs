//! `/key/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, Params, Reader, object_body, parse_body};
use crate::admin::{AdminError, keys};
use crate::http::{AppState, Caller};

pub async fn generate(
    State(state): State<AppState>,
    Admin(caller): Admin,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let fields = object_body(&body)?;
    Ok(Json(keys::generate(&state.admin, &fields, &caller).await?.response))
}

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(keys::update(&state.admin, &object_body(&body)?).await?))
}

#[derive(Deserialize)]
struct DeleteKeys {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    key_aliases: Vec<String>,
}

pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    let req: DeleteKeys = parse_body(&body)?;
    let deleted = keys::delete(&state.admin, &req.keys, &req.key_aliases).await?;
    Ok(Json(json!({"deleted_keys": deleted})))
}

pub async fn info(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AdminError> {
    Ok(Json(keys::info(&state.admin, &caller, query.get("key").map(String::as_str))?))
}

pub async fn list(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let p = Params(query);
    let q = keys::KeyQuery {
        team_id: p.text("team_id"),
        user_id: p.text("user_id"),
        key_alias: p.text("key_alias"),
        key_hash: p.text("key_hash"),
        ascending: p.is("sort_order", "asc"),
        page: p.number("page", 1),
        size: p.number("size", 10),
        full: p.is("return_full_object", "true"),
    };
    Json(keys::list(&state.admin, &q))
}

pub async fn regenerate(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let fields = object_body(&body)?;
    let key = fields
        .get("key")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| query.get("key").cloned())
        .ok_or_else(|| AdminError::invalid("name the key to regenerate: `key`", Some("key")))?;
    Ok(Json(keys::regenerate(&state.admin, &key, &fields).await?))
}

pub async fn regenerate_path(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    Ok(Json(keys::regenerate(&state.admin, &key, &object_body(&body)?).await?))
}

pub async fn block(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(keys::set_blocked(&state.admin, &object_body(&body)?, true).await?))
}

pub async fn unblock(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(keys::set_blocked(&state.admin, &object_body(&body)?, false).await?))
}
