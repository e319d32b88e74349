//! `/user/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;
use serde_json::Value;

use super::{Manager, Params, object_body, parse_body};
use crate::admin::AdminError;
use crate::admin::requests::{DeleteUsersRequest, NewUserRequest, UpdateUserRequest};
use crate::admin::users::{self, CreatedUser, DeletedUsers, UserInfo, UserList};
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;
use crate::store::UserRecord;

#[utoipa::path(post, path = "/user/new", tag = "users", summary = "Create a user (and a key of its own)", request_body = NewUserRequest, responses((status = 200, body = CreatedUser), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn new(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    Ok(Json(users::create(&state.admin, &object_body(&body)?, &caller).await?))
}

#[utoipa::path(get, path = "/user/info", tag = "users", summary = "A user, its keys and teams", params(("user_id" = Option<String>, Query, description = "The caller's own user when absent")), responses((status = 200, body = UserInfo), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn info(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<UserInfo>, AdminError> {
    Ok(Json(users::info(&state.admin, &caller, query.get("user_id").map(String::as_str))?))
}

#[utoipa::path(post, path = "/user/update", tag = "users", summary = "Change a user", request_body = UpdateUserRequest, responses((status = 200, body = UserRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<UserRecord>, AdminError> {
    Ok(Json(users::update(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/user/delete", tag = "users", summary = "Delete users and their keys", request_body = DeleteUsersRequest, responses((status = 200, body = DeletedUsers), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Deletes users and their keys.
pub async fn delete(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<DeletedUsers>, AdminError> {
    let req: DeleteUsersRequest = parse_body(&body)?;
    Ok(Json(users::delete(&state.admin, &caller, req.user_ids).await?))
}

#[utoipa::path(get, path = "/user/list", tag = "users", summary = "Users, a page at a time", params(("role" = Option<String>, Query), ("team" = Option<String>, Query), ("organization_ids" = Option<String>, Query, description = "Comma-separated organization ids: their members only"), ("page" = Option<usize>, Query), ("page_size" = Option<usize>, Query)), responses((status = 200, body = UserList), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<UserList>, AdminError> {
    let p = Params(query);
    let q = users::UserQuery {
        role: p.text("role"),
        team: p.text("team"),
        organizations: p
            .text("organization_ids")
            .map(|ids| ids.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
        page: p.number("page", 1),
        page_size: p.number("page_size", 25),
    };
    Ok(Json(users::list(&state.admin, &caller, &q)?))
}
