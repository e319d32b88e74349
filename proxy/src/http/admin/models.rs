//! `/model/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;

use super::{Manager, parse_body};
use crate::admin::AdminError;
use crate::admin::models::{self, ModelDeleted, ModelGroups, ModelPatch, ModelView, NewModel};
use crate::admin::requests::DeleteModelRequest;
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;

#[utoipa::path(post, path = "/model/new", tag = "models", summary = "Add a model (stored in the database)", request_body = NewModel, responses((status = 200, body = ModelView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn new(State(state): State<AppState>, _: Manager, body: Bytes) -> Result<Json<ModelView>, AdminError> {
    Ok(Json(models::create(&state.admin, parse_body(&body)?).await?))
}

#[utoipa::path(post, path = "/model/update", tag = "models", summary = "Change a stored model", request_body = ModelPatch, responses((status = 200, body = ModelView), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn update(State(state): State<AppState>, _: Manager, body: Bytes) -> Result<Json<ModelView>, AdminError> {
    Ok(Json(models::update(&state.admin, parse_body(&body)?).await?))
}

#[utoipa::path(post, path = "/model/delete", tag = "models", summary = "Remove a stored model", request_body = DeleteModelRequest, responses((status = 200, body = ModelDeleted), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn delete(State(state): State<AppState>, _: Manager, body: Bytes) -> Result<Json<ModelDeleted>, AdminError> {
    let req: DeleteModelRequest = parse_body(&body)?;
    Ok(Json(models::delete(&state.admin, &req.id).await?))
}

#[utoipa::path(get, path = "/model_group/info", tag = "models", summary = "The model groups the caller may call, with what their deployments offer", params(("model_group" = Option<String>, Query, description = "One group only")), responses((status = 200, body = ModelGroups), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn group_info(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Json<ModelGroups> {
    Json(models::group_info(&state.admin, &caller, query.get("model_group").map(String::as_str)))
}
