//! Models stored in the database, served beside config.yaml's. Config models are read-only here
//! (edit the file).
//!
//! A change is built (and so validated) first, written to the database second, and served
//! last: a refused or failed change leaves the model being served as it was. Provider secrets
//! are sealed in the database (see `store::sealed`) and never shown.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{AdminError, Core, now};
use crate::store::sealed::SECRET_PARAMS;
use crate::store::{Entity, ModelRecord, Write};

/// What the API shows in place of a secret; sent back unchanged, it keeps the stored one.
const MASKED: &str = "********";

/// `/model/new`'s body, as in config.yaml's `model_list`.
#[derive(Deserialize, ToSchema)]
pub struct NewModel {
    pub model_name: String,
    /// `model` (`bedrock/...`, `openai/...`), `api_base`, `api_key`, ...
    #[schema(value_type = Object)]
    pub litellm_params: Map<String, Value>,
    /// `id` (made when absent), and anything else to keep with the model.
    #[serde(default, deserialize_with = "super::requests::null_as_default")]
    #[schema(value_type = Object)]
    pub model_info: Map<String, Value>,
}

/// `/model/update`'s body: `model_info.id` names the model; members sent replace the stored ones
/// (`null` removes one, a masked secret keeps it).
#[derive(Deserialize, ToSchema)]
pub struct ModelPatch {
    pub model_name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub litellm_params: Option<Map<String, Value>>,
    #[schema(value_type = Object)]
    pub model_info: Map<String, Value>,
}

/// A stored model as the API returns it: secrets in `litellm_params` masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelView {
    pub model_id: String,
    pub model_name: String,
    #[schema(value_type = Object)]
    pub litellm_params: Map<String, Value>,
    #[schema(value_type = Object)]
    pub model_info: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    /// Always true: stored in the database (config.yaml's models are not served here).
    pub db_model: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelDeleted {
    pub message: String,
}

fn model_view(m: &ModelRecord) -> ModelView {
    let mut params = m.litellm_params.clone();
    for secret in SECRET_PARAMS {
        if params.contains_key(*secret) {
            params.insert((*secret).into(), json!(MASKED));
        }
    }
    ModelView {
        model_id: m.model_id.clone(),
        model_name: m.model_name.clone(),
        litellm_params: params,
        model_info: m.model_info.clone(),
        created_at: m.created_at.clone(),
        updated_at: m.updated_at.clone(),
        db_model: true,
    }
}

/// Builds `record`'s deployment (with its secrets opened), writes the record, then serves it.
async fn save(core: &Core, record: ModelRecord) -> Result<ModelView, AdminError> {
    if record.model_name.trim().is_empty() {
        return Err(AdminError::invalid("model_name must not be empty", Some("model_name")));
    }
    let mut clear = record.clone();
    core.store.open_model(&mut clear).map_err(|e| AdminError::invalid(e.to_string(), Some("litellm_params")))?;
    let entry = core
        .config
        .model_entry(&clear.model_id, &clear.model_name, &clear.litellm_params, &clear.model_info)
        .map_err(|e| AdminError::invalid(e, Some("litellm_params")))?;
    let change = core.gateway.change_models().await;
    let deployment = change.build(&entry).await.map_err(|e| AdminError::invalid(e, Some("litellm_params")))?;
    core.commit(&[Write::Model(&record)]).await?;
    change.install(deployment);
    Ok(model_view(&record))
}

/// `/model/new`.
pub async fn create(core: &Core, req: NewModel) -> Result<ModelView, AdminError> {
    let model_id = match req.model_info.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    if core.gateway.deployments().iter().any(|d| d.entry.id == model_id) {
        return Err(AdminError::invalid(format!("a model with id {model_id} already exists"), Some("model_info")));
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
    save(core, record).await
}

/// `/model/update`: patches the stored record: members sent replace the stored ones (`null`
/// removes one), members not sent stay as they were.
pub async fn update(core: &Core, req: ModelPatch) -> Result<ModelView, AdminError> {
    let id = req
        .model_info
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| AdminError::invalid("model_info.id names the model to update", Some("model_info")))?
        .to_string();
    let not_found = || {
        AdminError::NotFound(format!("Model with id={id} not found in db (config.yaml models are edited in the file)"))
    };
    if !core.gateway.deployments().iter().any(|d| d.from_db && d.entry.id == id) {
        return Err(not_found());
    }
    let mut record = core.store.model(&id).await?.ok_or_else(not_found)?;
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
    save(core, record).await
}

/// `/model/delete`.
pub async fn delete(core: &Core, id: &str) -> Result<ModelDeleted, AdminError> {
    let change = core.gateway.change_models().await;
    change.check_removable(id).map_err(|e| AdminError::invalid(e, Some("id")))?;
    core.commit(&[Write::Delete(Entity::Model, id)]).await?;
    change.remove(id);
    Ok(ModelDeleted { message: format!("Model: {id} deleted successfully") })
}

/// Request parameters the gateway takes on chat completions for every provider (Bedrock
/// translates them; OpenAI-compatible upstreams get the body as sent).
const SUPPORTED_OPENAI_PARAMS: &[&str] = &[
    "max_completion_tokens",
    "max_tokens",
    "stop",
    "stream",
    "stream_options",
    "temperature",
    "tool_choice",
    "tools",
    "top_p",
];

/// A model group as `/model_group/info` shows it (LiteLLM's `ModelGroupInfo`): what its
/// deployments offer together.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelGroupInfo {
    pub model_group: String,
    /// The deployments' providers (`bedrock`, `openai`, ...), each once.
    pub providers: Vec<String>,
    /// The largest of the deployments', when known.
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// USD per token: the highest of the deployments', when known.
    pub input_cost_per_token: Option<f64>,
    pub output_cost_per_token: Option<f64>,
    /// `chat` unless the model says otherwise.
    pub mode: String,
    /// The sum of the deployments' `tpm` / `rpm`, when any sets one.
    pub tpm: Option<u64>,
    pub rpm: Option<u64>,
    pub supports_parallel_function_calling: bool,
    pub supports_vision: bool,
    pub supports_web_search: bool,
    pub supports_reasoning: bool,
    pub supports_function_calling: bool,
    pub supported_openai_params: Vec<String>,
    /// Always null: clients may not send their own provider credentials.
    #[schema(value_type = Option<Vec<String>>)]
    pub configurable_clientside_auth_params: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelGroups {
    pub data: Vec<ModelGroupInfo>,
}

/// `/model_group/info`: the groups the caller may call (or `model_group` alone), by name; a
/// `model_group_alias` as its own entry under the alias (LiteLLM's user-facing name).
pub fn group_info(core: &Core, caller: &crate::auth::Principal, model_group: Option<&str>) -> ModelGroups {
    let data = core
        .gateway
        .models_for(caller)
        .into_iter()
        .filter(|name| model_group.is_none_or(|m| m == name))
        .filter_map(|name| core.gateway.group(&name).map(|group| describe_group(&name, &group.deployments)))
        .collect();
    ModelGroups { data }
}

fn describe_group(name: &str, deployments: &[std::sync::Arc<crate::gateway::Deployment>]) -> ModelGroupInfo {
    let mut info = ModelGroupInfo {
        model_group: name.to_string(),
        providers: Vec::new(),
        max_input_tokens: None,
        max_output_tokens: None,
        input_cost_per_token: None,
        output_cost_per_token: None,
        mode: "chat".into(),
        tpm: None,
        rpm: None,
        supports_parallel_function_calling: false,
        supports_vision: false,
        supports_web_search: false,
        supports_reasoning: false,
        supports_function_calling: false,
        supported_openai_params: SUPPORTED_OPENAI_PARAMS.iter().map(|p| p.to_string()).collect(),
        configurable_clientside_auth_params: None,
    };
    let larger = |a: Option<u64>, b: Option<u64>| a.max(b);
    let dearer = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    for d in deployments {
        let entry = &d.entry;
        if !info.providers.contains(&entry.provider) {
            info.providers.push(entry.provider.clone());
        }
        // `model_info` as written wins over the price map, as in LiteLLM.
        let written = |k: &str| entry.model_info.get(k);
        let flag = |k: &str, known: Option<bool>| written(k).and_then(Value::as_bool).or(known).unwrap_or(false);
        let price = d.price.clone().unwrap_or_default();
        info.max_input_tokens = larger(
            info.max_input_tokens,
            written("max_input_tokens").and_then(Value::as_u64).or(price.max_input_tokens),
        );
        info.max_output_tokens = larger(
            info.max_output_tokens,
            written("max_output_tokens").and_then(Value::as_u64).or(price.max_output_tokens).or(price.max_tokens),
        );
        info.input_cost_per_token = dearer(info.input_cost_per_token, price.input_cost_per_token);
        info.output_cost_per_token = dearer(info.output_cost_per_token, price.output_cost_per_token);
        if let Some(mode) = written("mode").and_then(Value::as_str).or(price.mode.as_deref()) {
            info.mode = mode.to_string();
        }
        if let Some(t) = entry.params.tpm {
            info.tpm = Some(info.tpm.unwrap_or(0) + t);
        }
        if let Some(r) = entry.params.rpm {
            info.rpm = Some(info.rpm.unwrap_or(0) + r);
        }
        info.supports_function_calling |= flag("supports_function_calling", price.supports_function_calling);
        info.supports_vision |= flag("supports_vision", price.supports_vision);
        info.supports_parallel_function_calling |= flag("supports_parallel_function_calling", None);
        info.supports_web_search |= flag("supports_web_search", None);
        info.supports_reasoning |= flag("supports_reasoning", None);
    }
    info
}
