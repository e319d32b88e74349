//! `/team/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, Reader, object_body, parse_body};
use crate::admin::{AdminError, teams};
use crate::http::AppState;
use crate::store::Member;

pub async fn new(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    let team = teams::create(&state.admin, &object_body(&body)?).await?;
    Ok(Json(serde_json::to_value(team).unwrap_or_default()))
}

pub async fn update(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(teams::update(&state.admin, &object_body(&body)?).await?))
}

#[derive(Deserialize)]
struct DeleteTeams {
    team_ids: Vec<String>,
}

/// Deletes teams and their keys.
pub async fn delete(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    let req: DeleteTeams = parse_body(&body)?;
    let deleted_keys = teams::delete(&state.admin, &req.team_ids).await?;
    Ok(Json(json!({"deleted_teams": req.team_ids, "deleted_keys": deleted_keys})))
}

pub async fn info(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AdminError> {
    let team_id = query.get("team_id").ok_or_else(|| AdminError::invalid("pass ?team_id=", Some("team_id")))?;
    Ok(Json(teams::info(&state.admin, team_id)?))
}

pub async fn list(
    State(state): State<AppState>,
    _: Reader,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    Json(teams::list(&state.admin, query.get("user_id").map(String::as_str)))
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
) -> Result<Json<Value>, AdminError> {
    let req: MemberAdd = parse_body(&body)?;
    let members = match req.member {
        OneOrMany::One(m) => vec![m],
        OneOrMany::Many(v) => v,
    };
    Ok(Json(teams::add_members(&state.admin, &req.team_id, members).await?))
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
) -> Result<Json<Value>, AdminError> {
    let req: MemberDelete = parse_body(&body)?;
    let team =
        teams::remove_member(&state.admin, &req.team_id, req.user_id.as_deref(), req.user_email.as_deref()).await?;
    Ok(Json(team))
}

pub async fn block(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(teams::set_blocked(&state.admin, &object_body(&body)?, true).await?))
}

pub async fn unblock(State(state): State<AppState>, Admin(_): Admin, body: Bytes) -> Result<Json<Value>, AdminError> {
    Ok(Json(teams::set_blocked(&state.admin, &object_body(&body)?, false).await?))
}
