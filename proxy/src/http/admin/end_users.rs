//! `/end_user/*` and their `/customer/*` aliases: customers, protocol only.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;

use super::{Admin, Reader, object_body, parse_body};
use crate::admin::AdminError;
use crate::admin::end_users::{self, BlockedEndUsers, DeletedEndUsers, EndUserIds, EndUserRequest, EndUserView};
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;

/// The customer routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(new, info, update, delete, list, block, unblock))]
pub struct EndUsersApi;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    // LiteLLM serves each under both names.
    for prefix in ["/end_user", "/customer"] {
        router = router
            .route(&format!("{prefix}/new"), post(new))
            .route(&format!("{prefix}/info"), get(info))
            .route(&format!("{prefix}/update"), post(update))
            .route(&format!("{prefix}/delete"), post(delete))
            .route(&format!("{prefix}/list"), get(list))
            .route(&format!("{prefix}/block"), post(block))
            .route(&format!("{prefix}/unblock"), post(unblock));
    }
    router
}

#[utoipa::path(post, path = "/end_user/new", tag = "customers", summary = "Create a customer (also /customer/new)", request_body = EndUserRequest, responses((status = 200, body = EndUserView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn new(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<EndUserView>, AdminError> {
    Ok(Json(end_users::create(&state.admin, &object_body(&body)?).await?))
}

#[utoipa::path(get, path = "/end_user/info", tag = "customers", summary = "A customer, its spend and budget (also /customer/info)", params(("end_user_id" = String, Query)), responses((status = 200, body = EndUserView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn info(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<EndUserView>, AdminError> {
    let id = query.get("end_user_id").ok_or_else(|| AdminError::required("end_user_id"))?;
    Ok(Json(end_users::info(&state.admin, id)?))
}

#[utoipa::path(post, path = "/end_user/update", tag = "customers", summary = "Change a customer (also /customer/update)", request_body = EndUserRequest, responses((status = 200, body = EndUserView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> Result<Json<EndUserView>, AdminError> {
    Ok(Json(end_users::update(&state.admin, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/end_user/delete", tag = "customers", summary = "Delete customers (also /customer/delete)", request_body = EndUserIds, responses((status = 200, body = DeletedEndUsers), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> Result<Json<DeletedEndUsers>, AdminError> {
    let ids: EndUserIds = parse_body(&body)?;
    Ok(Json(end_users::delete(&state.admin, &ids.user_ids).await?))
}

#[utoipa::path(get, path = "/end_user/list", tag = "customers", summary = "Every customer (also /customer/list)", responses((status = 200, body = Vec<EndUserView>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn list(State(state): State<AppState>, _: Reader) -> Json<Vec<EndUserView>> {
    Json(end_users::list(&state.admin))
}

#[utoipa::path(post, path = "/end_user/block", tag = "customers", summary = "Refuse calls for these customers (also /customer/block)", request_body = EndUserIds, responses((status = 200, body = BlockedEndUsers), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn block(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> Result<Json<BlockedEndUsers>, AdminError> {
    let ids: EndUserIds = parse_body(&body)?;
    Ok(Json(end_users::set_blocked(&state.admin, &ids.user_ids, true).await?))
}

#[utoipa::path(post, path = "/end_user/unblock", tag = "customers", summary = "Serve these customers again (also /customer/unblock)", request_body = EndUserIds, responses((status = 200, body = BlockedEndUsers), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn unblock(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> Result<Json<BlockedEndUsers>, AdminError> {
    let ids: EndUserIds = parse_body(&body)?;
    Ok(Json(end_users::set_blocked(&state.admin, &ids.user_ids, false).await?))
}
