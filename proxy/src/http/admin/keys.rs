//! `/key/*`: virtual keys. The clear key is returned once, by generate and regenerate; only its
//! SHA-256 is stored, listed or logged.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    Admin, LIMIT_FIELDS, Reader, check_limits, commit, ends_after, merge, next_reset, now, object_body, page,
    parse_body, set_spend, spend_field, store_error,
};
use crate::auth::registry::KeyEntry;
use crate::auth::{Principal, generate_key, hash_key, key_name};
use crate::gateway::GatewayError;
use crate::http::{AppState, Caller};
use crate::store::{Entity, KeyRecord, StoreError, UserRecord, Write};

/// Fields `/key/update` may change.
const UPDATABLE: &[&str] = &["key_alias", "models", "aliases", "metadata", "tags", "team_id", "user_id", "blocked"];

/// A key given as `sk-...` or as its SHA-256 hex → the stored token.
pub fn token_of(key: &str) -> String {
    if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) { key.to_ascii_lowercase() } else { hash_key(key) }
}

fn entry_or_404(state: &AppState, key: &str) -> Result<Arc<KeyEntry>, GatewayError> {
    state.gateway.registry.keys.get(&token_of(key)).ok_or_else(|| GatewayError::NotFound("Key not found".into()))
}

/// What the admin API shows of a key: the record with live spend, without the hash of a
/// caller's own key being needed anywhere else.
fn key_view(entry: &KeyEntry) -> Value {
    let mut v = serde_json::to_value(entry.snapshot()).unwrap_or_default();
    let status = if entry.record.blocked {
        "blocked"
    } else if entry.is_expired(Utc::now()) {
        "expired"
    } else {
        "active"
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("status".into(), json!(status));
        o.insert("token_id".into(), json!(entry.record.token));
    }
    v
}

/// LiteLLM's refusal of a taken key alias.
fn alias_taken(alias: &str) -> GatewayError {
    GatewayError::invalid(
        format!("Key with alias '{alias}' already exists. Unique key aliases across all keys are required."),
        Some("key_alias"),
    )
}

/// A quick answer from memory; the database's unique index decides races (`key_write_error`).
fn check_alias_free(state: &AppState, alias: Option<&str>, except: Option<&str>) -> Result<(), GatewayError> {
    let Some(alias) = alias else { return Ok(()) };
    let taken = state
        .gateway
        .registry
        .keys
        .all()
        .iter()
        .any(|k| k.record.key_alias.as_deref() == Some(alias) && Some(k.record.token.as_str()) != except);
    if taken {
        return Err(alias_taken(alias));
    }
    Ok(())
}

/// A failed key write: a taken alias (two creates raced) is the client's to fix.
fn key_write_error(e: StoreError, alias: Option<&str>) -> GatewayError {
    match (e, alias) {
        (StoreError::Conflict(_), Some(alias)) => alias_taken(alias),
        (e, _) => store_error(e),
    }
}

/// The user record a key or team mention needs (LiteLLM creates a user on first mention, and
/// adds the team to it): `None` when it exists as it should. Written by the caller, with the
/// key or team, in one transaction.
pub(super) fn user_to_ensure(state: &AppState, user_id: &str, team: Option<&str>) -> Option<UserRecord> {
    let existing = state.gateway.registry.users.get(user_id);
    let mut changed = existing.is_none();
    let mut user = existing.map(|u| u.snapshot()).unwrap_or_else(|| UserRecord {
        user_id: user_id.to_string(),
        user_role: Some("internal_user".into()),
        created_at: now(),
        ..Default::default()
    });
    if let Some(t) = team
        && !user.teams.iter().any(|x| x == t)
    {
        user.teams.push(t.to_string());
        changed = true;
    }
    changed.then(|| {
        user.updated_at = now();
        user
    })
}

/// A key checked and ready to be written: the clear key (shown once) and its record.
pub(super) struct NewKey {
    pub clear: String,
    pub record: KeyRecord,
}

/// Checks generate-style fields and builds the key, writing nothing.
pub(super) fn prepare_key(
    state: &AppState,
    fields: &Map<String, Value>,
    created_by: &Principal,
) -> Result<NewKey, GatewayError> {
    check_limits(fields)?;
    let str_field = |f: &str| fields.get(f).and_then(Value::as_str).map(str::to_string);
    let key = match str_field("key") {
        Some(k) if k.starts_with("sk-") && k.len() >= 16 => k,
        Some(_) => {
            return Err(GatewayError::invalid("key must start with 'sk-' and be at least 16 characters", Some("key")));
        }
        None => generate_key(),
    };
    let token = hash_key(&key);
    if state.gateway.registry.keys.get(&token).is_some() {
        return Err(GatewayError::invalid("this key already exists", Some("key")));
    }
    let team_id = str_field("team_id");
    if let Some(t) = &team_id
        && state.gateway.registry.teams.get(t).is_none()
    {
        return Err(GatewayError::invalid(
            format!("team_id '{t}' does not exist; create it with /team/new"),
            Some("team_id"),
        ));
    }
    check_alias_free(state, str_field("key_alias").as_deref(), None)?;
    let created = now();
    let base = KeyRecord {
        token,
        key_name: key_name(&key),
        created_at: created.clone(),
        updated_at: created,
        created_by: Some(if created_by.key().is_some() { "admin key".into() } else { "master key".into() }),
        ..Default::default()
    };
    let mut all_fields: Vec<&str> = UPDATABLE.to_vec();
    all_fields.extend_from_slice(LIMIT_FIELDS);
    all_fields.push("spend");
    let mut record: KeyRecord = merge(&base, fields, &all_fields)?;
    if let Some(d) = str_field("duration").filter(|d| d != "-1") {
        record.expires = Some(ends_after("duration", &d)?);
    }
    if let Some(d) = &record.limits.budget_duration {
        record.limits.budget_reset_at = Some(next_reset(d)?);
    }
    Ok(NewKey { clear: key, record })
}

/// Writes prepared keys with the other records of the same change, in one transaction, then
/// serves them; answers as `/key/generate` does (with the clear key).
pub(super) async fn save_new_keys(
    state: &AppState,
    keys: Vec<NewKey>,
    others: &[Write<'_>],
    fields: &Map<String, Value>,
) -> Result<Vec<(Value, Arc<KeyEntry>)>, GatewayError> {
    let mut writes: Vec<Write> = others.to_vec();
    writes.extend(keys.iter().map(|k| Write::Key(&k.record)));
    let alias = keys.iter().find_map(|k| k.record.key_alias.as_deref());
    state.store.commit(&writes).await.map_err(|e| key_write_error(e, alias))?;
    Ok(keys
        .into_iter()
        .map(|new| {
            let entry = state.gateway.registry.keys.put(new.record);
            let mut response = key_view(&entry);
            if let Some(o) = response.as_object_mut() {
                o.insert("key".into(), json!(new.clear));
                o.insert("duration".into(), fields.get("duration").cloned().unwrap_or(Value::Null));
                o.insert("litellm_budget_table".into(), Value::Null);
            }
            (response, entry)
        })
        .collect())
}

/// Creates a key from generate-style fields (and the user it names, on first mention); returns
/// the response (with the clear key) and the record.
pub(super) async fn create_key(
    state: &AppState,
    fields: &Map<String, Value>,
    created_by: &Principal,
) -> Result<(Value, Arc<KeyEntry>), GatewayError> {
    let new = prepare_key(state, fields, created_by)?;
    let user = new.record.user_id.as_deref().and_then(|u| user_to_ensure(state, u, new.record.team_id.as_deref()));
    let others: Vec<Write> = user.iter().map(Write::User).collect();
    let mut saved = save_new_keys(state, vec![new], &others, fields).await?;
    if let Some(user) = user {
        state.gateway.registry.users.put(user);
    }
    saved.pop().ok_or_else(|| GatewayError::Internal("the new key was not saved".into()))
}

pub async fn generate(
    State(state): State<AppState>,
    Admin(caller): Admin,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    let (response, _) = create_key(&state, &fields, &caller).await?;
    Ok(Json(response))
}

/// The key a body names: `key` (clear or hash), else `key_alias`.
fn named_key(state: &AppState, fields: &Map<String, Value>) -> Result<Arc<KeyEntry>, GatewayError> {
    if let Some(k) = fields.get("key").and_then(Value::as_str) {
        return entry_or_404(state, k);
    }
    if let Some(alias) = fields.get("key_alias").and_then(Value::as_str) {
        return state
            .gateway
            .registry
            .keys
            .all()
            .into_iter()
            .find(|k| k.record.key_alias.as_deref() == Some(alias))
            .ok_or_else(|| GatewayError::NotFound(format!("no key with alias '{alias}'")));
    }
    Err(GatewayError::invalid("name the key: `key` (sk-... or its hash) or `key_alias`", Some("key")))
}

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    check_limits(&fields)?;
    let entry = named_key(&state, &fields)?;
    let current = entry.snapshot();
    if let Some(alias) = fields.get("key_alias").and_then(Value::as_str)
        && fields.contains_key("key")
    {
        check_alias_free(&state, Some(alias), Some(&current.token))?;
    }
    if let Some(t) = fields.get("team_id").and_then(Value::as_str)
        && state.gateway.registry.teams.get(t).is_none()
    {
        return Err(GatewayError::invalid(format!("team_id '{t}' does not exist"), Some("team_id")));
    }
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    if !fields.contains_key("key") {
        allowed.retain(|f| *f != "key_alias");
    }
    let mut record: KeyRecord = merge(&current, &fields, &allowed)?;
    match fields.get("duration") {
        Some(Value::Null) => record.expires = None,
        Some(Value::String(d)) if d == "-1" => record.expires = None,
        Some(Value::String(d)) => record.expires = Some(ends_after("duration", d)?),
        _ => {}
    }
    if fields.contains_key("budget_duration") {
        record.limits.budget_reset_at = record.limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    let spend_change = spend_field(&fields)?;
    record.updated_at = now();
    state.store.commit(&[Write::Key(&record)]).await.map_err(|e| key_write_error(e, record.key_alias.as_deref()))?;
    let entry = state.gateway.registry.keys.put(record);
    if let Some(s) = spend_change {
        set_spend(&state, Entity::Key, &entry.record.token, &entry.counters, s).await;
    }
    let mut response = key_view(&entry);
    if let Some(o) = response.as_object_mut() {
        o.insert("key".into(), json!(entry.record.token));
    }
    Ok(Json(response))
}

#[derive(Deserialize)]
struct DeleteKeys {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    key_aliases: Vec<String>,
}

pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: DeleteKeys = parse_body(&body)?;
    let registry = &state.gateway.registry;
    let mut tokens = Vec::new();
    let mut deleted = Vec::new();
    for k in &req.keys {
        if let Some(e) = registry.keys.get(&token_of(k)) {
            tokens.push(e.record.token.clone());
            deleted.push(k.clone());
        }
    }
    for alias in &req.key_aliases {
        for e in registry.keys.all().iter().filter(|e| e.record.key_alias.as_deref() == Some(alias.as_str())) {
            tokens.push(e.record.token.clone());
            deleted.push(alias.clone());
        }
    }
    if tokens.is_empty() {
        return Err(GatewayError::NotFound("none of the keys exist".into()));
    }
    let writes: Vec<Write> = tokens.iter().map(|t| Write::Delete(Entity::Key, t)).collect();
    commit(&state, &writes).await?;
    for t in &tokens {
        registry.keys.remove(t);
    }
    Ok(Json(json!({"deleted_keys": deleted})))
}

pub async fn info(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let asked = query.get("key").cloned();
    let entry = match (&asked, &caller) {
        (Some(k), _) => entry_or_404(&state, k)?,
        (None, Principal::Key(own, _)) => own.clone(),
        (None, _) => return Err(GatewayError::invalid("pass ?key=sk-... (or its hash)", Some("key"))),
    };
    if !caller.may_read_all() && caller.key().map(|k| &k.record.token) != Some(&entry.record.token) {
        return Err(GatewayError::Forbidden("a key may only read its own info".into()));
    }
    let mut view = key_view(&entry);
    if let Some(o) = view.as_object_mut() {
        o.remove("token");
    }
    // The key is answered by its hash: a clear key is shown once, at creation.
    Ok(Json(json!({"key": entry.record.token, "info": view})))
}

pub async fn list(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let q = |k: &str| query.get(k).filter(|v| !v.is_empty());
    let mut keys: Vec<Arc<KeyEntry>> = state
        .gateway
        .registry
        .keys
        .all()
        .into_iter()
        .filter(|k| q("team_id").is_none_or(|t| k.record.team_id.as_ref() == Some(t)))
        .filter(|k| q("user_id").is_none_or(|u| k.record.user_id.as_ref() == Some(u)))
        .filter(|k| q("key_alias").is_none_or(|a| k.record.key_alias.as_ref() == Some(a)))
        .filter(|k| q("key_hash").is_none_or(|h| &k.record.token == h))
        .collect();
    let descending = query.get("sort_order").is_none_or(|o| o != "asc");
    keys.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at).then(a.record.token.cmp(&b.record.token)));
    if descending {
        keys.reverse();
    }
    let number = |k: &str, default: usize| query.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (current, total_pages) = page(&keys, number("page", 1), number("size", 10));
    let full = query.get("return_full_object").is_some_and(|v| v == "true");
    let items: Vec<Value> = current.iter().map(|k| if full { key_view(k) } else { json!(k.record.token) }).collect();
    Ok(Json(json!({
        "keys": items,
        "total_count": keys.len(),
        "current_page": number("page", 1).max(1),
        "total_pages": total_pages,
    })))
}

async fn regenerate_key(state: &AppState, key: &str, fields: Map<String, Value>) -> Result<Json<Value>, GatewayError> {
    let old = entry_or_404(state, key)?;
    let new_key = match fields.get("new_key").and_then(Value::as_str) {
        Some(k) if k.starts_with("sk-") && k.len() >= 16 => k.to_string(),
        Some(_) => return Err(GatewayError::invalid("new_key must start with 'sk-'", Some("new_key"))),
        None => generate_key(),
    };
    check_limits(&fields)?;
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    allowed.retain(|f| *f != "key_alias");
    let mut record: KeyRecord = merge(&old.snapshot(), &fields, &allowed)?;
    record.token = hash_key(&new_key);
    record.key_name = key_name(&new_key);
    record.updated_at = now();
    if let Some(Value::String(d)) = fields.get("duration") {
        record.expires = Some(ends_after("duration", d)?);
    }
    if state.gateway.registry.keys.get(&record.token).is_some() {
        return Err(GatewayError::invalid("new_key is already a key", Some("new_key")));
    }
    // The new key (with the old one's spend) replaces the old one in one transaction: a failure
    // leaves the old key working.
    commit(state, &[Write::Delete(Entity::Key, &old.record.token), Write::Key(&record)]).await?;
    let entry = state.gateway.registry.keys.replace(&old.record.token, record);
    let mut response = key_view(&entry);
    if let Some(o) = response.as_object_mut() {
        o.insert("key".into(), json!(new_key));
    }
    Ok(Json(response))
}

pub async fn regenerate(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    let key = fields
        .get("key")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| query.get("key").cloned())
        .ok_or_else(|| GatewayError::invalid("name the key to regenerate: `key`", Some("key")))?;
    regenerate_key(&state, &key, fields).await
}

pub async fn regenerate_path(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    regenerate_key(&state, &key, fields).await
}

async fn set_blocked(state: &AppState, body: &Bytes, blocked: bool) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(body)?;
    let entry = named_key(state, &fields)?;
    let mut record = entry.snapshot();
    record.blocked = blocked;
    record.updated_at = now();
    commit(state, &[Write::Key(&record)]).await?;
    let entry = state.gateway.registry.keys.put(record);
    Ok(Json(key_view(&entry)))
}

pub async fn block(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    set_blocked(&state, &body, true).await
}

pub async fn unblock(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    set_blocked(&state, &body, false).await
}

/// Keys that belong to a team or a user, as their views show them.
pub(super) fn keys_where(state: &AppState, belongs: impl Fn(&KeyRecord) -> bool) -> Vec<Value> {
    state.gateway.registry.keys.all().iter().filter(|k| belongs(&k.record)).map(|k| key_view(k)).collect()
}
