//! `/key/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use serde_json::Value;

use super::{Manager, Params, object_body, parse_body};
use crate::admin::AdminError;
use crate::admin::keys::{self, ChangedKey, DeletedKeys, GeneratedKey, KeyInfo, KeyList, KeyView};
use crate::admin::requests::{
    DeleteKeysRequest, GenerateKeyRequest, KeyNameRequest, RegenerateKeyRequest, UpdateKeyRequest,
};
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;

#[utoipa::path(post, path = "/key/generate", tag = "keys", summary = "Generate a virtual key", request_body = GenerateKeyRequest, responses((status = 200, body = GeneratedKey), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn generate(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<GeneratedKey>, AdminError> {
    let fields = object_body(&body)?;
    Ok(Json(keys::generate(&state.admin, &fields, &caller).await?.answer))
}

#[utoipa::path(post, path = "/key/update", tag = "keys", summary = "Change a key", request_body = UpdateKeyRequest, responses((status = 200, body = ChangedKey), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<ChangedKey>, AdminError> {
    Ok(Json(keys::update(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/key/delete", tag = "keys", summary = "Delete keys", request_body = DeleteKeysRequest, responses((status = 200, body = DeletedKeys), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn delete(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<DeletedKeys>, AdminError> {
    let req: DeleteKeysRequest = parse_body(&body)?;
    Ok(Json(keys::delete(&state.admin, &caller, &req.keys, &req.key_aliases).await?))
}

#[utoipa::path(get, path = "/key/info", tag = "keys", summary = "A key, or the caller's own", params(("key" = Option<String>, Query, description = "The key (clear or hash); the caller's own when absent")), responses((status = 200, body = KeyInfo), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn info(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<KeyInfo>, AdminError> {
    Ok(Json(keys::info(&state.admin, &caller, query.get("key").map(String::as_str))?))
}

#[utoipa::path(get, path = "/key/list", tag = "keys", summary = "Keys, a page at a time", params(("team_id" = Option<String>, Query), ("user_id" = Option<String>, Query), ("key_alias" = Option<String>, Query), ("key_hash" = Option<String>, Query), ("substring_matching" = Option<bool>, Query, description = "key_alias and user_id match keys whose own contain them, ignoring case"), ("sort_by" = Option<String>, Query, description = "created_at (default), updated_at, spend, max_budget, key_alias, expires or last_active"), ("sort_order" = Option<String>, Query, description = "asc or desc (default)"), ("page" = Option<usize>, Query), ("size" = Option<usize>, Query), ("return_full_object" = Option<bool>, Query, description = "Whole keys instead of hashes"), ("include_team_keys" = Option<bool>, Query, description = "A non-admin: also the keys of teams it administers")), responses((status = 200, body = KeyList), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<KeyList>, AdminError> {
    let p = Params(query);
    let q = keys::KeyQuery {
        team_id: p.text("team_id"),
        user_id: p.text("user_id"),
        key_alias: p.text("key_alias"),
        key_hash: p.text("key_hash"),
        substring: p.is("substring_matching", "true"),
        sort: p.text("sort_by").map_or(Ok(keys::KeySort::default()), |s| keys::KeySort::parse(&s))?,
        ascending: p.is("sort_order", "asc"),
        page: p.number("page", 1),
        size: p.number("size", 10),
        full: p.is("return_full_object", "true"),
        include_team_keys: p.is("include_team_keys", "true"),
    };
    Ok(Json(keys::list(&state.admin, &caller, &q)?))
}

#[utoipa::path(post, path = "/key/regenerate", tag = "keys", summary = "Replace a key's clear value", request_body = RegenerateKeyRequest, responses((status = 200, body = ChangedKey), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn regenerate(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<ChangedKey>, AdminError> {
    let fields = object_body(&body)?;
    let key = fields
        .get("key")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| query.get("key").cloned())
        .ok_or_else(|| AdminError::invalid("name the key to regenerate: `key`", Some("key")))?;
    Ok(Json(keys::regenerate(&state.admin, &caller, &key, &fields).await?))
}

#[utoipa::path(post, path = "/key/{key}/regenerate", tag = "keys", summary = "Replace a key's clear value", request_body = RegenerateKeyRequest, params(("key" = String, Path, description = "The key (clear or hash)")), responses((status = 200, body = ChangedKey), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn regenerate_path(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Json<ChangedKey>, AdminError> {
    Ok(Json(keys::regenerate(&state.admin, &caller, &key, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/key/block", tag = "keys", summary = "Block a key", request_body = KeyNameRequest, responses((status = 200, body = KeyView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn block(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<KeyView>, AdminError> {
    Ok(Json(keys::set_blocked(&state.admin, &caller, &object_body(&body)?, true).await?))
}

#[utoipa::path(post, path = "/key/unblock", tag = "keys", summary = "Unblock a key", request_body = KeyNameRequest, responses((status = 200, body = KeyView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn unblock(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<KeyView>, AdminError> {
    Ok(Json(keys::set_blocked(&state.admin, &caller, &object_body(&body)?, false).await?))
}
