//! `/model/*`.

use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, parse_body};
use crate::admin::{AdminError, models};
use crate::http::AppState;

pub async fn new(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(models::create(&state.admin, parse_body(&body)?).await?))
}

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(models::update(&state.admin, parse_body(&body)?).await?))
}

#[derive(Deserialize)]
struct DeleteModel {
    id: String,
}

pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    let req: DeleteModel = parse_body(&body)?;
    models::delete(&state.admin, &req.id).await?;
    Ok(Json(json!({"message": format!("Model: {} deleted successfully", req.id)})))
}
