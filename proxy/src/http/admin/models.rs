//! `/model/*`: models stored in the database, served beside config.yaml's. Config models are
//! read-only here (edit the file).

use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Admin, now, parse_body, store_error};
use crate::gateway::GatewayError;
use crate::http::AppState;
use crate::store::{Entity, ModelRecord};

#[derive(Deserialize)]
struct NewModel {
    model_name: String,
    litellm_params: Map<String, Value>,
    #[serde(default)]
    model_info: Map<String, Value>,
}

/// A stored model as the API returns it: secrets in `litellm_params` left out.
fn model_view(m: &ModelRecord) -> Value {
    let mut params = m.litellm_params.clone();
    for secret in ["api_key", "aws_secret_access_key", "aws_session_token"] {
        if params.contains_key(secret) {
            params.insert(secret.into(), json!("********"));
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

async fn save(state: &AppState, record: ModelRecord) -> Result<Json<Value>, GatewayError> {
    if record.model_name.trim().is_empty() {
        return Err(GatewayError::invalid("model_name must not be empty", Some("model_name")));
    }
    let entry = state
        .config
        .model_entry(&record.model_id, &record.model_name, &record.litellm_params, &record.model_info)
        .map_err(|e| GatewayError::invalid(e, Some("litellm_params")))?;
    // Built (and so validated) before anything is stored.
    state.gateway.put_model(entry).await.map_err(|e| GatewayError::invalid(e, Some("litellm_params")))?;
    if let Err(e) = state.store.put_model(&record).await {
        let _ = state.gateway.remove_model(&record.model_id).await;
        return Err(store_error(e));
    }
    Ok(Json(model_view(&record)))
}

fn stored(state: &AppState, id: &str) -> Option<ModelRecord> {
    state.gateway.deployments().iter().find(|d| d.from_db && d.entry.id == id).map(|d| {
        let params = d.entry.params.clone();
        let mut litellm_params = Map::new();
        litellm_params.insert("model".into(), json!(d.entry.model));
        for (k, v) in [
            ("api_base", params.api_base.map(Value::from)),
            ("api_key", params.api_key.map(Value::from)),
            ("aws_region_name", params.aws_region_name.map(Value::from)),
            ("aws_profile_name", params.aws_profile_name.map(Value::from)),
            ("aws_access_key_id", params.aws_access_key_id.map(Value::from)),
            ("aws_secret_access_key", params.aws_secret_access_key.map(Value::from)),
            ("aws_session_token", params.aws_session_token.map(Value::from)),
            ("aws_bedrock_runtime_endpoint", params.aws_bedrock_runtime_endpoint.map(Value::from)),
            ("timeout", params.timeout.map(Value::from)),
            ("input_cost_per_token", params.input_cost_per_token.map(Value::from)),
            ("output_cost_per_token", params.output_cost_per_token.map(Value::from)),
        ] {
            if let Some(v) = v {
                litellm_params.insert(k.into(), v);
            }
        }
        for (k, v) in params.default_request_params {
            litellm_params.insert(k, v);
        }
        let mut model_info = d.entry.model_info.clone();
        model_info.remove("id");
        ModelRecord {
            model_id: d.entry.id.clone(),
            model_name: d.entry.model_name.clone(),
            litellm_params,
            model_info,
            created_at: String::new(),
            updated_at: String::new(),
        }
    })
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

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: UpdateModel = parse_body(&body)?;
    let id = req
        .model_info
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| GatewayError::invalid("model_info.id names the model to update", Some("model_info")))?
        .to_string();
    let mut record = stored(&state, &id).ok_or_else(|| {
        GatewayError::NotFound(format!(
            "Model with id={id} not found in db (config.yaml models are edited in the file)"
        ))
    })?;
    if let Some(name) = req.model_name {
        record.model_name = name;
    }
    if let Some(params) = req.litellm_params {
        for (k, v) in params {
            // A redacted secret sent back unchanged keeps the stored one.
            if v == json!("********") {
                continue;
            }
            record.litellm_params.insert(k, v);
        }
    }
    for (k, v) in req.model_info {
        if k != "id" {
            record.model_info.insert(k, v);
        }
    }
    record.updated_at = now();
    record.created_at = record.updated_at.clone();
    save(&state, record).await
}

#[derive(Deserialize)]
struct DeleteModel {
    id: String,
}

pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: DeleteModel = parse_body(&body)?;
    state.gateway.remove_model(&req.id).await.map_err(|e| GatewayError::invalid(e, Some("id")))?;
    state.store.delete(Entity::Model, std::slice::from_ref(&req.id)).await.map_err(store_error)?;
    Ok(Json(json!({"message": format!("Model: {} deleted successfully", req.id)})))
}
