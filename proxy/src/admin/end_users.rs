//! Customers (LiteLLM's end users, `/end_user/*` and `/customer/*`): the `user` a request names,
//! with a budget, rate limits and a block switch. Requests create them as they name them; these
//! routes create them ahead, change, block and remove them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{AdminError, Core, Fields, LIMIT_FIELDS, check_limits, merge, next_reset, now, spend_field};
use crate::auth::registry::EndUserEntry;
use crate::store::{EndUserRecord, Entity, Limits, Write};

/// A customer as LiteLLM shows it: its limits under `litellm_budget_table` (null without any).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EndUserView {
    pub user_id: String,
    pub alias: Option<String>,
    pub spend: f64,
    pub blocked: bool,
    pub allowed_model_region: Option<String>,
    pub default_model: Option<String>,
    pub budget_id: Option<String>,
    pub litellm_budget_table: Option<Limits>,
    pub created_at: String,
    pub updated_at: String,
}

impl EndUserView {
    fn of(entry: &EndUserEntry) -> EndUserView {
        let r = entry.snapshot();
        let limited = r.limits != Limits { budget_reset_at: r.limits.budget_reset_at.clone(), ..Limits::default() };
        EndUserView {
            litellm_budget_table: limited.then_some(r.limits),
            user_id: r.user_id,
            alias: r.alias,
            spend: r.spend,
            blocked: r.blocked,
            allowed_model_region: r.allowed_model_region,
            default_model: r.default_model,
            budget_id: r.budget_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `/end_user/new` and `/end_user/update`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // Documents the body; the core reads it as `Fields` (merge-patch).
pub struct EndUserRequest {
    pub user_id: String,
    pub alias: Option<String>,
    pub blocked: Option<bool>,
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub tpm_limit: Option<u64>,
    pub rpm_limit: Option<u64>,
    pub max_parallel_requests: Option<u64>,
    /// `eu` or `us`.
    pub allowed_model_region: Option<String>,
    pub default_model: Option<String>,
    pub budget_id: Option<String>,
    /// `/end_user/update` only: sets the spend.
    pub spend: Option<f64>,
}

/// `/end_user/delete`, `/end_user/block`, `/end_user/unblock`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EndUserIds {
    pub user_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedEndUsers {
    pub deleted_customers: usize,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedEndUsers {
    pub blocked_users: Vec<EndUserView>,
}

const UPDATABLE: &[&str] = &["alias", "blocked", "allowed_model_region", "default_model", "budget_id"];

fn id_of(fields: &Fields) -> Result<String, AdminError> {
    match fields.get("user_id").and_then(Value::as_str) {
        Some(id) if !id.trim().is_empty() => Ok(id.to_string()),
        _ => Err(AdminError::required("user_id")),
    }
}

fn check(fields: &Fields) -> Result<(), AdminError> {
    check_limits(fields)?;
    match fields.get("allowed_model_region") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(r)) if r == "eu" || r == "us" => Ok(()),
        Some(_) => Err(AdminError::invalid("allowed_model_region must be 'eu' or 'us'", Some("allowed_model_region"))),
    }
}

fn known(core: &Core, user_id: &str) -> Result<std::sync::Arc<EndUserEntry>, AdminError> {
    core.gateway
        .registry
        .end_users
        .get(user_id)
        .ok_or_else(|| AdminError::invalid(format!("End User Id={user_id} does not exist in db"), Some("end_user_id")))
}

fn fields_allowed() -> Vec<&'static str> {
    let mut allowed = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    allowed
}

/// A `budget_id` gives the customer that budget's limits (a pricing tier), where the request
/// sets none of its own. They are copied: a later change of the budget does not reach customers
/// already on it.
async fn apply_budget(core: &Core, fields: &Fields, record: &mut EndUserRecord) -> Result<(), AdminError> {
    let Some(id) = fields.get("budget_id").and_then(Value::as_str) else { return Ok(()) };
    let budget = super::budgets::find(core, id)
        .await?
        .ok_or_else(|| AdminError::invalid(format!("Budget not found, budget_id={id}"), Some("budget_id")))?;
    let limits = &mut record.limits;
    let unset = |name: &str| !fields.contains_key(name);
    if unset("max_budget") {
        limits.max_budget = budget.max_budget;
    }
    if unset("soft_budget") {
        limits.soft_budget = budget.soft_budget;
    }
    if unset("tpm_limit") {
        limits.tpm_limit = budget.tpm_limit;
    }
    if unset("rpm_limit") {
        limits.rpm_limit = budget.rpm_limit;
    }
    if unset("max_parallel_requests") {
        limits.max_parallel_requests = budget.max_parallel_requests;
    }
    if unset("budget_duration") {
        limits.budget_duration = budget.budget_duration;
        limits.budget_reset_at = limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    Ok(())
}

/// `/end_user/new`.
pub async fn create(core: &Core, fields: &Fields) -> Result<EndUserView, AdminError> {
    check(fields)?;
    let user_id = id_of(fields)?;
    if core.gateway.registry.end_users.get(&user_id).is_some() {
        return Err(AdminError::invalid(format!("Customer already exists, passed user_id={user_id}"), Some("user_id")));
    }
    let base = EndUserRecord::first_seen(&user_id, &now());
    let mut record: EndUserRecord = merge(&base, fields, &fields_allowed())?;
    apply_budget(core, fields, &mut record).await?;
    if let Some(d) = &record.limits.budget_duration {
        record.limits.budget_reset_at = Some(next_reset(d)?);
    }
    core.commit(&[Write::EndUser(&record)]).await?;
    Ok(EndUserView::of(&core.gateway.registry.end_users.put(record)))
}

/// `/end_user/info`.
pub fn info(core: &Core, user_id: &str) -> Result<EndUserView, AdminError> {
    Ok(EndUserView::of(&*known(core, user_id)?))
}

/// `/end_user/update`.
pub async fn update(core: &Core, fields: &Fields) -> Result<EndUserView, AdminError> {
    check(fields)?;
    let entry = known(core, &id_of(fields)?)?;
    let mut record: EndUserRecord = merge(&entry.snapshot(), fields, &fields_allowed())?;
    if fields.contains_key("budget_duration") {
        record.limits.budget_reset_at = record.limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    apply_budget(core, fields, &mut record).await?;
    let spend = spend_field(fields)?;
    record.updated_at = now();
    core.commit(&[Write::EndUser(&record)]).await?;
    let entry = core.gateway.registry.end_users.put(record);
    if let Some(s) = spend {
        core.set_spend(Entity::EndUser, &entry.record.user_id, &entry.counters, s).await;
    }
    Ok(EndUserView::of(&entry))
}

/// `/end_user/delete`.
pub async fn delete(core: &Core, user_ids: &[String]) -> Result<DeletedEndUsers, AdminError> {
    for id in user_ids {
        known(core, id)?;
    }
    let writes: Vec<Write> = user_ids.iter().map(|id| Write::Delete(Entity::EndUser, id)).collect();
    core.commit(&writes).await?;
    for id in user_ids {
        core.gateway.registry.end_users.remove(id);
    }
    Ok(DeletedEndUsers {
        deleted_customers: user_ids.len(),
        message: format!("Successfully deleted customers with ids: {}", crate::auth::access::python_list(user_ids)),
    })
}

/// `/end_user/list`: every customer, oldest first.
pub fn list(core: &Core) -> Vec<EndUserView> {
    let mut all = core.gateway.registry.end_users.all();
    all.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at).then(a.record.user_id.cmp(&b.record.user_id)));
    all.iter().map(|e| EndUserView::of(e)).collect()
}

/// `/end_user/block` and `/end_user/unblock`: customers not seen yet are created blocked, as
/// LiteLLM does, so a block can come before the first request.
pub async fn set_blocked(core: &Core, user_ids: &[String], blocked: bool) -> Result<BlockedEndUsers, AdminError> {
    let registry = &core.gateway.registry.end_users;
    let at = now();
    let records: Vec<EndUserRecord> = user_ids
        .iter()
        .map(|id| {
            let mut r = registry.get(id).map(|e| e.snapshot()).unwrap_or_else(|| EndUserRecord::first_seen(id, &at));
            r.blocked = blocked;
            r.updated_at.clone_from(&at);
            r
        })
        .collect();
    let writes: Vec<Write> = records.iter().map(Write::EndUser).collect();
    core.commit_as(if blocked { "blocked" } else { "unblocked" }, &writes).await?;
    let blocked_users = records.into_iter().map(|r| EndUserView::of(&registry.put(r))).collect();
    Ok(BlockedEndUsers { blocked_users })
}
