//! `/team/*`: teams, their allowed models, limits and members.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::keys::{keys_where, user_to_ensure};
use super::{
    Admin, LIMIT_FIELDS, Reader, check_limits, commit, merge, next_reset, now, object_body, parse_body, set_spend,
    spend_field,
};
use crate::auth::registry::TeamEntry;
use crate::gateway::GatewayError;
use crate::http::AppState;
use crate::store::{Entity, Member, TeamRecord, UserRecord, Write};

const UPDATABLE: &[&str] = &["team_alias", "models", "metadata", "blocked", "model_aliases", "tags"];

fn team_or_404(state: &AppState, team_id: &str) -> Result<Arc<TeamEntry>, GatewayError> {
    state
        .gateway
        .registry
        .teams
        .get(team_id)
        .ok_or_else(|| GatewayError::NotFound(format!("Team not found, team_id={team_id}")))
}

fn team_view(entry: &TeamEntry) -> Value {
    serde_json::to_value(entry.snapshot()).unwrap_or_default()
}

fn required_team_id(fields: &Map<String, Value>) -> Result<String, GatewayError> {
    fields
        .get("team_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| GatewayError::invalid("team_id is required", Some("team_id")))
}

/// Writes a team with the users its members need (and `also`), in one transaction.
async fn save(state: &AppState, mut record: TeamRecord, also: &[UserRecord]) -> Result<Arc<TeamEntry>, GatewayError> {
    record.updated_at = now();
    let users: Vec<UserRecord> = record
        .members_with_roles
        .iter()
        .filter_map(|m| m.user_id.as_deref())
        .filter_map(|u| user_to_ensure(state, u, Some(&record.team_id)))
        .collect();
    let mut writes = vec![Write::Team(&record)];
    writes.extend(users.iter().chain(also).map(Write::User));
    commit(state, &writes).await?;
    for user in users.into_iter().chain(also.iter().cloned()) {
        state.gateway.registry.users.put(user);
    }
    Ok(state.gateway.registry.teams.put(record))
}

pub async fn new(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    check_limits(&fields)?;
    let registry = &state.gateway.registry;
    let team_id = match fields.get("team_id").and_then(Value::as_str) {
        Some(id) if registry.teams.get(id).is_some() => {
            return Err(GatewayError::invalid(
                format!("Team id = {id} already exists. Please use a different team id."),
                Some("team_id"),
            ));
        }
        Some(id) if !id.trim().is_empty() => id.to_string(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let created = now();
    let base = TeamRecord { team_id, created_at: created.clone(), updated_at: created, ..Default::default() };
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    allowed.push("members_with_roles");
    let mut record: TeamRecord = merge(&base, &fields, &allowed)?;
    if let Some(d) = &record.limits.budget_duration {
        record.limits.budget_reset_at = Some(next_reset(d)?);
    }
    let entry = save(&state, record, &[]).await?;
    Ok(Json(team_view(&entry)))
}

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(&body)?;
    check_limits(&fields)?;
    let entry = team_or_404(&state, &required_team_id(&fields)?)?;
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    let mut record: TeamRecord = merge(&entry.snapshot(), &fields, &allowed)?;
    if fields.contains_key("budget_duration") {
        record.limits.budget_reset_at = record.limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    let spend = spend_field(&fields)?;
    let entry = save(&state, record, &[]).await?;
    if let Some(s) = spend {
        set_spend(&state, Entity::Team, &entry.record.team_id, &entry.counters, s).await;
    }
    Ok(Json(json!({"team_id": entry.record.team_id, "data": team_view(&entry)})))
}

#[derive(Deserialize)]
struct DeleteTeams {
    team_ids: Vec<String>,
}

/// Deletes teams and their keys.
pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    let req: DeleteTeams = parse_body(&body)?;
    let registry = &state.gateway.registry;
    for id in &req.team_ids {
        team_or_404(&state, id)?;
    }
    let keys: Vec<String> = registry
        .keys
        .all()
        .iter()
        .filter(|k| k.record.team_id.as_ref().is_some_and(|t| req.team_ids.contains(t)))
        .map(|k| k.record.token.clone())
        .collect();
    let mut writes: Vec<Write> = keys.iter().map(|k| Write::Delete(Entity::Key, k)).collect();
    writes.extend(req.team_ids.iter().map(|t| Write::Delete(Entity::Team, t)));
    commit(&state, &writes).await?;
    for k in &keys {
        registry.keys.remove(k);
    }
    for t in &req.team_ids {
        registry.teams.remove(t);
    }
    Ok(Json(json!({"deleted_teams": req.team_ids, "deleted_keys": keys.len()})))
}

fn memberships(entry: &TeamEntry) -> Vec<Value> {
    entry
        .record
        .members_with_roles
        .iter()
        .filter_map(|m| m.user_id.as_ref())
        .map(|u| json!({"user_id": u, "team_id": entry.record.team_id}))
        .collect()
}

pub async fn info(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let team_id = query.get("team_id").ok_or_else(|| GatewayError::invalid("pass ?team_id=", Some("team_id")))?;
    let entry = team_or_404(&state, team_id)?;
    Ok(Json(json!({
        "team_id": team_id,
        "team_info": team_view(&entry),
        "keys": keys_where(&state, |k| k.team_id.as_deref() == Some(team_id.as_str())),
        "team_memberships": memberships(&entry),
    })))
}

pub async fn list(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, GatewayError> {
    let mut teams = state.gateway.registry.teams.all();
    if let Some(user) = query.get("user_id") {
        teams.retain(|t| t.record.members_with_roles.iter().any(|m| m.user_id.as_ref() == Some(user)));
    }
    teams.sort_by(|a, b| {
        a.record.team_alias.cmp(&b.record.team_alias).then(a.record.created_at.cmp(&b.record.created_at))
    });
    let rows: Vec<Value> = teams
        .iter()
        .map(|t| {
            let mut v = team_view(t);
            if let Some(o) = v.as_object_mut() {
                o.insert("keys".into(), json!(keys_where(&state, |k| k.team_id == Some(t.record.team_id.clone()))));
                o.insert("team_memberships".into(), json!(memberships(t)));
            }
            v
        })
        .collect();
    Ok(Json(Value::Array(rows)))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Member),
    Many(Vec<Member>),
}

#[derive(Deserialize)]
struct MemberAdd {
    team_id: String,
    member: OneOrMany,
}

pub async fn member_add(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let req: MemberAdd = parse_body(&body)?;
    let entry = team_or_404(&state, &req.team_id)?;
    let members = match req.member {
        OneOrMany::One(m) => vec![m],
        OneOrMany::Many(v) => v,
    };
    let mut record = entry.snapshot();
    for m in members {
        if m.user_id.is_none() && m.user_email.is_none() {
            return Err(GatewayError::invalid("a member needs user_id or user_email", Some("member")));
        }
        if !matches!(m.role.as_str(), "admin" | "user") {
            return Err(GatewayError::invalid("member role must be 'admin' or 'user'", Some("member")));
        }
        let same = |x: &Member| {
            (m.user_id.is_some() && x.user_id == m.user_id) || (m.user_email.is_some() && x.user_email == m.user_email)
        };
        if let Some(existing) = record.members_with_roles.iter_mut().find(|x| same(x)) {
            existing.role = m.role.clone();
        } else {
            record.members_with_roles.push(m);
        }
    }
    let entry = save(&state, record, &[]).await?;
    let mut view = team_view(&entry);
    if let Some(o) = view.as_object_mut() {
        let users: Vec<Value> = entry
            .record
            .members_with_roles
            .iter()
            .filter_map(|m| m.user_id.as_deref())
            .filter_map(|u| state.gateway.registry.users.get(u))
            .map(|u| serde_json::to_value(u.snapshot()).unwrap_or_default())
            .collect();
        o.insert("updated_users".into(), json!(users));
        o.insert("updated_team_memberships".into(), json!(memberships(&entry)));
    }
    Ok(Json(view))
}

#[derive(Deserialize)]
struct MemberDelete {
    team_id: String,
    user_id: Option<String>,
    user_email: Option<String>,
}

pub async fn member_delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    body: Bytes,
) -> Result<Json<Value>, GatewayError> {
    let req: MemberDelete = parse_body(&body)?;
    let entry = team_or_404(&state, &req.team_id)?;
    let mut record = entry.snapshot();
    let before = record.members_with_roles.len();
    record.members_with_roles.retain(|m| {
        !((req.user_id.is_some() && m.user_id == req.user_id)
            || (req.user_email.is_some() && m.user_email == req.user_email))
    });
    if record.members_with_roles.len() == before {
        return Err(GatewayError::NotFound("no such member in this team".into()));
    }
    // The user leaves the team in the same transaction as the team loses the member.
    let user = req.user_id.as_deref().and_then(|u| state.gateway.registry.users.get(u)).map(|user| {
        let mut u = user.snapshot();
        u.teams.retain(|t| t != &req.team_id);
        u.updated_at = now();
        u
    });
    let entry = save(&state, record, user.as_slice()).await?;
    Ok(Json(team_view(&entry)))
}

async fn set_blocked(state: &AppState, body: &Bytes, blocked: bool) -> Result<Json<Value>, GatewayError> {
    let fields = object_body(body)?;
    let entry = team_or_404(state, &required_team_id(&fields)?)?;
    let mut record = entry.snapshot();
    record.blocked = blocked;
    let entry = save(state, record, &[]).await?;
    Ok(Json(team_view(&entry)))
}

pub async fn block(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    set_blocked(&state, &body, true).await
}

pub async fn unblock(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, GatewayError> {
    set_blocked(&state, &body, false).await
}
