//! `/user/*`: internal users, their limits, and (by default) a key of their own.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::{keys_where, prepare_key, save_new_keys};
use super::{
    Admin, LIMIT_FIELDS, Reader, check_limits, commit, merge, next_reset, now, object_body, page, parse_body,
    set_spend, spend_field,
};
use crate::auth::Principal;
use crate::auth::registry::UserEntry;
use crate::gateway::GatewayError;
use crate::http::{AppState, Caller};
use crate::store::{Entity, UserRecord, Write};

const UPDATABLE: &[&str] = &["user_email", "user_alias", "user_role", "teams", "models", "metadata"];
const ROLES: &[&str] = &["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"];

fn user_or_404(state: &AppState, user_id: &str) -> Result<Arc<UserEntry>, GatewayError> {
    state
        .gateway
        .registry
        .users
        .get(user_id)
        .ok_or_else(|| GatewayError::NotFound(format!("User not found, user_id={user_id}")))
}

fn check_role(fields: &serde_json::Map<String, Value>) -> Result<(), GatewayError> {
    match fields.get("user_role").and_then(Value::as_str) {
        Some(r) if !ROLES.contains(&r) => {
            Err(GatewayError::invalid(format!("user_role must be one of {}", ROLES.join(", ")), Some("user_role")))
        }
        _ => Ok(()),
    }
}

pub async fn new(
    State(state): State<AppState>,
    Admin(caller): Admin,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    check_limits(&fields)?;
    check_role(&fields)?;
    let registry = &state.gateway.registry;
    let user_id = match fields.get("user_id").and_then(Value::as_str) {
        Some(id) if registry.users.get(id).is_some() => {
            return Err(GatewayError::invalid(format!("User with id={id} already exists"), Some("user_id")));
        }
        Some(id) if !id.trim().is_empty() => id.to_string(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let created = now();
    let base = UserRecord {
        user_id: user_id.clone(),
        user_role: Some("internal_user".into()),
        created_at: created.clone(),
        updated_at: created,
        ..Default::default()
    };
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    let mut record: UserRecord = merge(&base, &fields, &allowed)?;
    if let Some(d) = &record.limits.budget_duration {
        record.limits.budget_reset_at = Some(next_reset(d)?);
    }

    // The user and its key are written together: a refused key leaves no user behind.
    let mut response = json!({});
    if fields.get("auto_create_key").and_then(Value::as_bool) != Some(false) {
        // The user's key carries the key fields of the request, not the user's own limits.
        let mut key_fields = serde_json::Map::new();
        for f in ["key_alias", "duration", "aliases", "tags", "key"] {
            if let Some(v) = fields.get(f) {
                key_fields.insert(f.into(), v.clone());
            }
        }
        key_fields.insert("user_id".into(), json!(user_id));
        let key = prepare_key(&state, &key_fields, &caller)?;
        let mut saved = save_new_keys(&state, vec![key], &[Write::User(&record)], &key_fields).await?;
        if let Some((key_response, _)) = saved.pop() {
            response = key_response;
        }
    } else {
        commit(&state, &[Write::User(&record)]).await?;
    }
    let entry = registry.users.put(record);
    if let (Some(o), Ok(Value::Object(user))) = (response.as_object_mut(), serde_json::to_value(entry.snapshot())) {
        for (k, v) in user {
            o.insert(k, v);
        }
    }
    Ok(Json(response))
}

pub async fn info(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let own = caller.key().and_then(|k| k.record.user_id.clone());
    let user_id = match (query.get("user_id"), &own) {
        (Some(u), _) => u.clone(),
        (None, Some(u)) => u.clone(),
        (None, None) => return Err(GatewayError::invalid("pass ?user_id=", Some("user_id"))),
    };
    if !caller.may_read_all() && own.as_ref() != Some(&user_id) {
        return Err(GatewayError::Forbidden("a key may only read its own user's info".into()));
    }
    let entry = user_or_404(&state, &user_id)?;
    let teams: Vec<Value> = entry
        .record
        .teams
        .iter()
        .filter_map(|t| state.gateway.registry.teams.get(t))
        .map(|t| serde_json::to_value(t.snapshot()).unwrap_or_default())
        .collect();
    Ok(Json(json!({
        "user_id": user_id,
        "user_info": serde_json::to_value(entry.snapshot()).unwrap_or_default(),
        "keys": keys_where(&state, |k| k.user_id.as_deref() == Some(user_id.as_str())),
        "teams": teams,
    })))
}

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    check_limits(&fields)?;
    check_role(&fields)?;
    let user_id = fields
        .get("user_id")
        .and_then(Value::as_str)
        .ok_or_else(|| GatewayError::invalid("user_id is required", Some("user_id")))?;
    let entry = user_or_404(&state, user_id)?;
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    let mut record: UserRecord = merge(&entry.snapshot(), &fields, &allowed)?;
    if fields.contains_key("budget_duration") {
        record.limits.budget_reset_at = record.limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    let spend = spend_field(&fields)?;
    record.updated_at = now();
    commit(&state, &[Write::User(&record)]).await?;
    let entry = state.gateway.registry.users.put(record);
    if let Some(s) = spend {
        set_spend(&state, Entity::User, &entry.record.user_id, &entry.counters, s).await;
    }
    Ok(Json(serde_json::to_value(entry.snapshot()).unwrap_or_default()))
}

#[derive(Deserialize)]
struct DeleteUsers {
    user_ids: Vec<String>,
}

/// Deletes users and their keys.
pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: DeleteUsers = parse_body(&body)?;
    for id in &req.user_ids {
        user_or_404(&state, id)?;
    }
    let registry = &state.gateway.registry;
    let keys: Vec<String> = registry
        .keys
        .all()
        .iter()
        .filter(|k| k.record.user_id.as_ref().is_some_and(|u| req.user_ids.contains(u)))
        .map(|k| k.record.token.clone())
        .collect();
    let mut writes: Vec<Write> = keys.iter().map(|k| Write::Delete(Entity::Key, k)).collect();
    writes.extend(req.user_ids.iter().map(|u| Write::Delete(Entity::User, u)));
    commit(&state, &writes).await?;
    for k in &keys {
        registry.keys.remove(k);
    }
    for u in &req.user_ids {
        registry.users.remove(u);
    }
    Ok(Json(json!({"deleted_users": req.user_ids, "deleted_keys": keys.len()})))
}

pub async fn list(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let mut users = state.gateway.registry.users.all();
    if let Some(role) = query.get("role") {
        users.retain(|u| u.record.user_role.as_ref() == Some(role));
    }
    if let Some(team) = query.get("team") {
        users.retain(|u| u.record.teams.contains(team));
    }
    users.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at).then(a.record.user_id.cmp(&b.record.user_id)));
    let number = |k: &str, default: usize| query.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (page_number, size) = (number("page", 1).max(1), number("page_size", 25));
    let (rows, total_pages) = page(&users, page_number, size);
    let rows: Vec<Value> = rows.iter().map(|u| serde_json::to_value(u.snapshot()).unwrap_or_default()).collect();
    Ok(Json(
        json!({"users": rows, "total": users.len(), "page": page_number, "page_size": size, "total_pages": total_pages}),
    ))
}

/// Whether a caller sees only its own data (a key that may not read everything).
pub fn is_plain_key(caller: &Principal) -> bool {
    caller.key().is_some() && !caller.may_read_all()
}
