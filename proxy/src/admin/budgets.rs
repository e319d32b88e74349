//! Budgets (`/budget/*`): LiteLLM's budget table — limits with an id, which organizations (and
//! their members) point to. They are records; the request path does not read them yet.

use serde_json::Value;

use super::{AdminError, Core, Fields, merge, next_reset, now};
use crate::auth::Principal;
use crate::store::{BudgetRecord, Entity, Write};

/// The members of a budget a body may set.
pub const BUDGET_FIELDS: &[&str] = &[
    "max_budget",
    "soft_budget",
    "max_parallel_requests",
    "tpm_limit",
    "rpm_limit",
    "model_max_budget",
    "budget_duration",
    "budget_reset_at",
];

/// Who made or changed a record, as LiteLLM writes it: the key's user, else the admin's name.
pub fn changed_by(caller: &Principal) -> String {
    caller.user_id().unwrap_or("default_user_id").to_string()
}

/// LiteLLM's checks of a budget body: amounts non-negative and finite, limits whole numbers.
fn check(fields: &Fields) -> Result<(), AdminError> {
    for f in ["max_budget", "soft_budget"] {
        if let Some(v) = fields.get(f).filter(|v| !v.is_null())
            && !v.as_f64().is_some_and(|x| x >= 0.0 && x.is_finite())
        {
            return Err(AdminError::invalid(
                format!("{f} must be a non-negative finite number. Received: {v}"),
                Some(f),
            ));
        }
    }
    for f in ["tpm_limit", "rpm_limit", "max_parallel_requests"] {
        if let Some(v) = fields.get(f).filter(|v| !v.is_null())
            && v.as_u64().is_none()
        {
            return Err(AdminError::invalid(format!("{f} must be a non-negative integer"), Some(f)));
        }
    }
    if let Some(v) = fields.get("model_max_budget").filter(|v| !v.is_null())
        && !v.is_object()
    {
        return Err(AdminError::invalid("model_max_budget must be an object", Some("model_max_budget")));
    }
    Ok(())
}

/// A new budget from a body's budget members (written by the caller, with whatever needs it).
pub fn build(caller: &Principal, fields: &Fields, budget_id: Option<&str>) -> Result<BudgetRecord, AdminError> {
    check(fields)?;
    let created = now();
    let base = BudgetRecord {
        budget_id: budget_id.map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        created_at: created.clone(),
        updated_at: created,
        created_by: Some(changed_by(caller)),
        updated_by: Some(changed_by(caller)),
        ..Default::default()
    };
    let mut record: BudgetRecord = merge(&base, fields, BUDGET_FIELDS)?;
    // As LiteLLM: the first reset one period from now, unless a reset time is given.
    if record.budget_reset_at.is_none()
        && let Some(d) = &record.budget_duration
    {
        record.budget_reset_at = Some(next_reset(d)?);
    }
    Ok(record)
}

pub async fn find(core: &Core, budget_id: &str) -> Result<Option<BudgetRecord>, AdminError> {
    Ok(core.store.budgets().await?.into_iter().find(|b| b.budget_id == budget_id))
}

/// `/budget/new`.
pub async fn create(core: &Core, caller: &Principal, fields: &Fields) -> Result<BudgetRecord, AdminError> {
    let id = fields.get("budget_id").and_then(Value::as_str).filter(|id| !id.trim().is_empty());
    if let Some(id) = id
        && find(core, id).await?.is_some()
    {
        return Err(AdminError::invalid(format!("Budget with id '{id}' already exists."), Some("budget_id")));
    }
    let record = build(caller, fields, id)?;
    core.commit(&[Write::Budget(&record)]).await?;
    super::organizations::refresh_limits(core).await?;
    Ok(record)
}

/// `/budget/update`: the members sent change (null clears one); a new `budget_duration` starts a
/// new period unless `budget_reset_at` is sent too.
pub async fn update(core: &Core, caller: &Principal, fields: &Fields) -> Result<BudgetRecord, AdminError> {
    let id = fields
        .get("budget_id")
        .and_then(Value::as_str)
        .ok_or_else(|| AdminError::invalid("budget_id is required", Some("budget_id")))?;
    check(fields)?;
    let current = find(core, id).await?.ok_or_else(|| AdminError::NotFound(format!("Budget not found: {id}")))?;
    let mut record: BudgetRecord = merge(&current, fields, BUDGET_FIELDS)?;
    if fields.contains_key("budget_duration") && !fields.contains_key("budget_reset_at") {
        record.budget_reset_at = record.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    record.updated_at = now();
    record.updated_by = Some(changed_by(caller));
    core.commit(&[Write::Budget(&record)]).await?;
    super::organizations::refresh_limits(core).await?;
    Ok(record)
}

/// `/budget/info`: the budgets named.
pub async fn info(core: &Core, ids: &[String]) -> Result<Vec<BudgetRecord>, AdminError> {
    if ids.is_empty() {
        return Err(AdminError::invalid("Specify list of budget id's to query. Passed in=[]", Some("budgets")));
    }
    Ok(core.store.budgets().await?.into_iter().filter(|b| ids.contains(&b.budget_id)).collect())
}

/// `/budget/list`.
pub async fn list(core: &Core) -> Result<Vec<BudgetRecord>, AdminError> {
    Ok(core.store.budgets().await?)
}

/// `/budget/delete`: the budget deleted. One an organization uses is kept (LiteLLM's database
/// refuses it too, as a foreign key).
pub async fn delete(core: &Core, id: &str) -> Result<BudgetRecord, AdminError> {
    let record = find(core, id).await?.ok_or_else(|| AdminError::NotFound(format!("Budget not found: {id}")))?;
    let users: Vec<String> = core
        .store
        .organizations()
        .await?
        .into_iter()
        .filter(|o| o.budget_id.as_deref() == Some(id) || o.members.iter().any(|m| m.budget_id.as_deref() == Some(id)))
        .map(|o| o.organization_id)
        .collect();
    if !users.is_empty() {
        return Err(AdminError::invalid(
            format!("Budget {id} is used by organizations {}; change them first", users.join(", ")),
            Some("id"),
        ));
    }
    core.commit(&[Write::Delete(Entity::Budget, id)]).await?;
    super::organizations::refresh_limits(core).await?;
    Ok(record)
}
