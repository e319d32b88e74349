//! `/team/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;

use super::{Manager, Params, object_body, parse_body};
use crate::admin::AdminError;
use crate::admin::requests::{
    DeleteTeamsRequest, MemberAddRequest, MemberDeleteRequest, MemberUpdateRequest, Members, NewTeamRequest,
    TeamIdRequest, UpdateTeamRequest,
};
use crate::admin::teams::{
    self, DeletedTeams, ListedTeam, TeamInfo, TeamPage, TeamWithMembers, UpdatedMember, UpdatedTeam,
};
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;
use crate::store::TeamRecord;

#[utoipa::path(post, path = "/team/new", tag = "teams", summary = "Create a team", request_body = NewTeamRequest, responses((status = 200, body = TeamRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn new(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<TeamRecord>, AdminError> {
    Ok(Json(teams::create(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/team/update", tag = "teams", summary = "Change a team", request_body = UpdateTeamRequest, responses((status = 200, body = UpdatedTeam), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<UpdatedTeam>, AdminError> {
    Ok(Json(teams::update(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/team/delete", tag = "teams", summary = "Delete teams and their keys", request_body = DeleteTeamsRequest, responses((status = 200, body = DeletedTeams), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
/// Deletes teams and their keys.
pub async fn delete(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<DeletedTeams>, AdminError> {
    let req: DeleteTeamsRequest = parse_body(&body)?;
    Ok(Json(teams::delete(&state.admin, &caller, req.team_ids).await?))
}

#[utoipa::path(get, path = "/team/info", tag = "teams", summary = "A team, its keys and members", params(("team_id" = String, Query)), responses((status = 200, body = TeamInfo), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn info(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<TeamInfo>, AdminError> {
    let team_id = query.get("team_id").ok_or_else(|| AdminError::invalid("pass ?team_id=", Some("team_id")))?;
    Ok(Json(teams::info(&state.admin, &caller, team_id)?))
}

#[utoipa::path(get, path = "/team/list", tag = "teams", summary = "Every team (or a user's), with keys and members", params(("user_id" = Option<String>, Query)), responses((status = 200, body = Vec<ListedTeam>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<ListedTeam>>, AdminError> {
    Ok(Json(teams::list(&state.admin, &caller, query.get("user_id").map(String::as_str))?))
}

#[utoipa::path(get, path = "/v2/team/list", tag = "teams", summary = "Teams, a page at a time (without their keys)", params(("user_id" = Option<String>, Query, description = "That user's teams (a non-admin: its own)"), ("organization_id" = Option<String>, Query), ("team_id" = Option<String>, Query), ("team_alias" = Option<String>, Query, description = "Teams whose alias contains it, ignoring case"), ("sort_by" = Option<String>, Query, description = "team_id, team_alias or created_at; otherwise newest first"), ("sort_order" = Option<String>, Query, description = "asc (default) or desc"), ("page" = Option<usize>, Query), ("page_size" = Option<usize>, Query, description = "1 to 100, default 10")), responses((status = 200, body = TeamPage), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn list_page(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<TeamPage>, AdminError> {
    let p = Params(query);
    let q = teams::TeamQuery {
        user_id: p.text("user_id"),
        organization_id: p.text("organization_id"),
        team_id: p.text("team_id"),
        team_alias: p.text("team_alias"),
        sort_by: p.text("sort_by"),
        descending: p.is("sort_order", "desc"),
        page: p.number("page", 1),
        page_size: p.number("page_size", 10),
    };
    Ok(Json(teams::list_page(&state.admin, &caller, &q)?))
}

#[utoipa::path(post, path = "/team/member_add", tag = "teams", summary = "Add members (or change their role)", request_body = MemberAddRequest, responses((status = 200, body = TeamWithMembers), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn member_add(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<TeamWithMembers>, AdminError> {
    let req: MemberAddRequest = parse_body(&body)?;
    let members = match req.member {
        Members::One(m) => vec![m],
        Members::Many(v) => v,
    };
    Ok(Json(teams::add_members(&state.admin, &caller, &req.team_id, members, req.max_budget_in_team).await?))
}

#[utoipa::path(post, path = "/team/member_delete", tag = "teams", summary = "Remove a member", request_body = MemberDeleteRequest, responses((status = 200, body = TeamRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn member_delete(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<TeamRecord>, AdminError> {
    let req: MemberDeleteRequest = parse_body(&body)?;
    let team =
        teams::remove_member(&state.admin, &caller, &req.team_id, req.user_id.as_deref(), req.user_email.as_deref())
            .await?;
    Ok(Json(team))
}

#[utoipa::path(post, path = "/team/member_update", tag = "teams", summary = "Change a member's role or budget in the team", request_body = MemberUpdateRequest, responses((status = 200, body = UpdatedMember), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn member_update(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<UpdatedMember>, AdminError> {
    let req: MemberUpdateRequest = parse_body(&body)?;
    let member = teams::update_member(
        &state.admin,
        &caller,
        &req.team_id,
        req.user_id.as_deref(),
        req.user_email.as_deref(),
        req.role.as_deref(),
        req.max_budget_in_team,
    )
    .await?;
    Ok(Json(member))
}

#[utoipa::path(post, path = "/team/block", tag = "teams", summary = "Block a team", request_body = TeamIdRequest, responses((status = 200, body = TeamRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn block(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<TeamRecord>, AdminError> {
    Ok(Json(teams::set_blocked(&state.admin, &caller, &object_body(&body)?, true).await?))
}

#[utoipa::path(post, path = "/team/unblock", tag = "teams", summary = "Unblock a team", request_body = TeamIdRequest, responses((status = 200, body = TeamRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn unblock(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<TeamRecord>, AdminError> {
    Ok(Json(teams::set_blocked(&state.admin, &caller, &object_body(&body)?, false).await?))
}
