//! `/model/*`: models stored in the database, served beside config.yaml's. Config models are
//! read-only here (edit the file).
//!
//! A change is built (and so validated) first, written to the database second, and served
//! last: a refused or failed change leaves the model being served as it was. Provider secrets
//! are sealed in the database (see `store::sealed`) and never shown.

use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Admin, commit, now, parse_body, store_error};
use crate::gateway::GatewayError;
use crate::http::AppState;
use crate::store::sealed::SECRET_PARAMS;
use crate::store::{Entity, ModelRecord, Write};

/// What the API shows in place of a secret; sent back unchanged, it keeps the stored one.
const MASKED: &str = "********";

#[derive(Deserialize)]
struct NewModel {
    model_name: String,
    litellm_params: Map<String, Value>,
    #[serde(default)]
    model_info: Map<String, Value>,
}

/// A stored model as the API returns it: secrets in `litellm_params` masked.
fn model_view(m: &ModelRecord) -> Value {
    let mut params = m.litellm_params.clone();
    for secret in SECRET_PARAMS {
        if params.contains_key(*secret) {
            params.insert((*secret).into(), json!(MASKED));
        }
    }
    json!({
        "model_id": m.model_id,
        "model_name": m.model_name,
        "litellm_params": params,
        "model_info": m.model_info,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "db_model": true,
    })
}

/// Builds `record`'s deployment (with its secrets opened), writes the record, then serves it.
async fn save(state: &AppState, record: ModelRecord) -> Result<Json<Value>, GatewayError> {
    if record.model_name.trim().is_empty() {
        return Err(GatewayError::invalid("model_name must not be empty", Some("model_name")));
    }
    let mut clear = record.clone();
    state.store.open_model(&mut clear).map_err(|e| GatewayError::invalid(e.to_string(), Some("litellm_params")))?;
    let entry = state
        .config
        .model_entry(&clear.model_id, &clear.model_name, &clear.litellm_params, &clear.model_info)
        .map_err(|e| GatewayError::invalid(e, Some("litellm_params")))?;
    let change = state.gateway.change_models().await;
    let deployment = change.build(&entry).await.map_err(|e| GatewayError::invalid(e, Some("litellm_params")))?;
    commit(state, &[Write::Model(&record)]).await?;
    change.install(deployment);
    Ok(Json(model_view(&record)))
}

pub async fn new(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: NewModel = parse_body(&body)?;
    let model_id = match req.model_info.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    if state.gateway.deployments().iter().any(|d| d.entry.id == model_id) {
        return Err(GatewayError::invalid(format!("a model with id {model_id} already exists"), Some("model_info")));
    }
    let mut model_info = req.model_info;
    model_info.remove("id");
    let created = now();
    let record = ModelRecord {
        model_id,
        model_name: req.model_name,
        litellm_params: req.litellm_params,
        model_info,
        created_at: created.clone(),
        updated_at: created,
    };
    save(&state, record).await
}

#[derive(Deserialize)]
struct UpdateModel {
    model_name: Option<String>,
    litellm_params: Option<Map<String, Value>>,
    model_info: Map<String, Value>,
}

/// Patches the stored record: members sent replace the stored ones (`null` removes one), members
/// not sent stay as they were.
pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: UpdateModel = parse_body(&body)?;
    let id = req
        .model_info
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| GatewayError::invalid("model_info.id names the model to update", Some("model_info")))?
        .to_string();
    let not_found = || {
        GatewayError::NotFound(format!(
            "Model with id={id} not found in db (config.yaml models are edited in the file)"
        ))
    };
    if !state.gateway.deployments().iter().any(|d| d.from_db && d.entry.id == id) {
        return Err(not_found());
    }
    let mut record = state.store.model(&id).await.map_err(store_error)?.ok_or_else(not_found)?;
    if let Some(name) = req.model_name {
        record.model_name = name;
    }
    for (k, v) in req.litellm_params.into_iter().flatten() {
        match v {
            Value::String(s) if s == MASKED => {}
            Value::Null => {
                record.litellm_params.remove(&k);
            }
            v => {
                record.litellm_params.insert(k, v);
            }
        }
    }
    for (k, v) in req.model_info {
        match (k.as_str(), v) {
            ("id", _) => {}
            (_, Value::Null) => {
                record.model_info.remove(&k);
            }
            (_, v) => {
                record.model_info.insert(k, v);
            }
        }
    }
    record.updated_at = now();
    save(&state, record).await
}

#[derive(Deserialize)]
struct DeleteModel {
    id: String,
}

pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: DeleteModel = parse_body(&body)?;
    let change = state.gateway.change_models().await;
    change.check_removable(&req.id).map_err(|e| GatewayError::invalid(e, Some("id")))?;
    commit(&state, &[Write::Delete(Entity::Model, &req.id)]).await?;
    change.remove(&req.id);
    Ok(Json(json!({"message": format!("Model: {} deleted successfully", req.id)})))
}
