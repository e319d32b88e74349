//! `/organization/*` and `/budget/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use bytes::Bytes;

use super::{Manager, object_body, parse_body};
use crate::admin::organizations::{self, OrganizationInfo, OrganizationMembersAdded};
use crate::admin::requests::{
    BudgetIdsRequest, BudgetRequest, DeleteBudgetRequest, DeleteOrganizationsRequest, NewOrganizationRequest,
    OrgMembers, OrganizationMemberAddRequest, OrganizationMemberDeleteRequest, OrganizationMemberUpdateRequest,
    UpdateOrganizationRequest,
};
use crate::admin::{AdminError, budgets};
use crate::http::AppState;
use crate::http::error::ErrorBody as ErrorResponse;
use crate::store::{BudgetRecord, OrganizationMembership, OrganizationRecord};

#[utoipa::path(post, path = "/budget/new", tag = "budgets", summary = "Create a budget", request_body = BudgetRequest, responses((status = 200, body = BudgetRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn budget_new(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<BudgetRecord>, AdminError> {
    Ok(Json(budgets::create(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/budget/update", tag = "budgets", summary = "Change a budget", request_body = BudgetRequest, responses((status = 200, body = BudgetRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn budget_update(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<BudgetRecord>, AdminError> {
    Ok(Json(budgets::update(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(post, path = "/budget/info", tag = "budgets", summary = "Budgets by id", request_body = BudgetIdsRequest, responses((status = 200, body = Vec<BudgetRecord>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn budget_info(
    State(state): State<AppState>,
    _: Manager,
    body: Bytes,
) -> Result<Json<Vec<BudgetRecord>>, AdminError> {
    let req: BudgetIdsRequest = parse_body(&body)?;
    Ok(Json(budgets::info(&state.admin, &req.budgets).await?))
}

#[utoipa::path(get, path = "/budget/list", tag = "budgets", summary = "Every budget", responses((status = 200, body = Vec<BudgetRecord>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn budget_list(State(state): State<AppState>, _: Manager) -> Result<Json<Vec<BudgetRecord>>, AdminError> {
    Ok(Json(budgets::list(&state.admin).await?))
}

#[utoipa::path(post, path = "/budget/delete", tag = "budgets", summary = "Delete a budget", request_body = DeleteBudgetRequest, responses((status = 200, body = BudgetRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn budget_delete(
    State(state): State<AppState>,
    _: Manager,
    body: Bytes,
) -> Result<Json<BudgetRecord>, AdminError> {
    let req: DeleteBudgetRequest = parse_body(&body)?;
    Ok(Json(budgets::delete(&state.admin, &req.id).await?))
}

#[utoipa::path(post, path = "/organization/new", tag = "organizations", summary = "Create an organization (and its budget)", request_body = NewOrganizationRequest, responses((status = 200, body = OrganizationRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_new(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<OrganizationRecord>, AdminError> {
    Ok(Json(organizations::create(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(get, path = "/organization/info", tag = "organizations", summary = "An organization, its members and budget", params(("organization_id" = String, Query)), responses((status = 200, body = OrganizationInfo), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_info(
    State(state): State<AppState>,
    Manager(caller): Manager,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<OrganizationInfo>, AdminError> {
    let id = query
        .get("organization_id")
        .ok_or_else(|| AdminError::invalid("pass ?organization_id=", Some("organization_id")))?;
    Ok(Json(organizations::info(&state.admin, &caller, id).await?))
}

#[utoipa::path(get, path = "/organization/list", tag = "organizations", summary = "Every organization (a member's own, for a member)", responses((status = 200, body = Vec<OrganizationInfo>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_list(
    State(state): State<AppState>,
    Manager(caller): Manager,
) -> Result<Json<Vec<OrganizationInfo>>, AdminError> {
    Ok(Json(organizations::list(&state.admin, &caller).await?))
}

#[utoipa::path(patch, path = "/organization/update", tag = "organizations", summary = "Change an organization", request_body = UpdateOrganizationRequest, responses((status = 200, body = OrganizationRecord), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_update(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<OrganizationRecord>, AdminError> {
    Ok(Json(organizations::update(&state.admin, &caller, &object_body(&body)?).await?))
}

#[utoipa::path(delete, path = "/organization/delete", tag = "organizations", summary = "Delete organizations", request_body = DeleteOrganizationsRequest, responses((status = 200, body = Vec<OrganizationRecord>), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_delete(
    State(state): State<AppState>,
    _: Manager,
    body: Bytes,
) -> Result<Json<Vec<OrganizationRecord>>, AdminError> {
    let req: DeleteOrganizationsRequest = parse_body(&body)?;
    Ok(Json(organizations::delete(&state.admin, &req.organization_ids).await?))
}

#[utoipa::path(post, path = "/organization/member_add", tag = "organizations", summary = "Add members (made as users when new)", request_body = OrganizationMemberAddRequest, responses((status = 200, body = OrganizationMembersAdded), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_member_add(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<OrganizationMembersAdded>, AdminError> {
    let req: OrganizationMemberAddRequest = parse_body(&body)?;
    let members = match req.member {
        OrgMembers::One(m) => vec![m],
        OrgMembers::Many(v) => v,
    };
    let added = organizations::add_members(
        &state.admin,
        &caller,
        &req.organization_id,
        members,
        req.max_budget_in_organization,
    )
    .await?;
    Ok(Json(added))
}

#[utoipa::path(patch, path = "/organization/member_update", tag = "organizations", summary = "Change a member's role or budget in an organization", request_body = OrganizationMemberUpdateRequest, responses((status = 200, body = OrganizationMembership), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_member_update(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<OrganizationMembership>, AdminError> {
    let req: OrganizationMemberUpdateRequest = parse_body(&body)?;
    let member = organizations::update_member(
        &state.admin,
        &caller,
        &req.organization_id,
        (req.user_id.as_deref(), req.user_email.as_deref()),
        req.role.as_deref(),
        req.max_budget_in_organization,
    )
    .await?;
    Ok(Json(member))
}

#[utoipa::path(delete, path = "/organization/member_delete", tag = "organizations", summary = "Remove a member from an organization", request_body = OrganizationMemberDeleteRequest, responses((status = 200, body = OrganizationMembership), (status = "default", description = "An error, in LiteLLM's shape", body = ErrorResponse)))]
pub async fn organization_member_delete(
    State(state): State<AppState>,
    Manager(caller): Manager,
    body: Bytes,
) -> Result<Json<OrganizationMembership>, AdminError> {
    let req: OrganizationMemberDeleteRequest = parse_body(&body)?;
    let user = (req.user_id.as_deref(), req.user_email.as_deref());
    Ok(Json(organizations::remove_member(&state.admin, &caller, &req.organization_id, user).await?))
}
