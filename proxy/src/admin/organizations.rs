//! Organizations (`/organization/*`): groups of teams and users with a budget and a model list,
//! in LiteLLM's shapes. A team joins one with its `organization_id`; the organization's budget
//! (max budget, rate limits, budget period) then limits the calls of the team's keys, and what
//! they spend adds to the organization's spend.
//!
//! Proxy admins manage every organization; an organization's `org_admin` members manage theirs
//! (its info, its members, its alias, models and budget), as in LiteLLM.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::budgets::{BUDGET_FIELDS, build, changed_by, find};
use super::{AdminError, Core, Fields, access, merge, now};
use crate::auth::Principal;
use crate::store::{BudgetRecord, Entity, OrganizationMembership, OrganizationRecord, UserRecord, Write};

/// An organization as `/organization/info` and `/organization/list` show it: with its budget
/// and its teams.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganizationInfo {
    #[serde(flatten)]
    pub organization: OrganizationRecord,
    pub litellm_budget_table: Option<BudgetRecord>,
    #[schema(value_type = Vec<Object>)]
    pub teams: Vec<Value>,
}

/// A member to add: by `user_id` or `user_email`, with its role in the organization.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OrgMember {
    /// `org_admin`, `internal_user` or `internal_user_viewer`.
    pub role: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
}

/// `/organization/member_add`'s answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganizationMembersAdded {
    pub organization_id: String,
    pub updated_users: Vec<UserRecord>,
    pub updated_organization_memberships: Vec<OrganizationMembership>,
}

const UPDATABLE: &[&str] = &["organization_alias", "models", "metadata", "budget_id"];
const MEMBER_ROLES: &[&str] = &["org_admin", "internal_user", "internal_user_viewer"];

async fn organization_or_404(core: &Core, id: &str) -> Result<OrganizationRecord, AdminError> {
    core.store
        .organizations()
        .await?
        .into_iter()
        .find(|o| o.organization_id == id)
        .ok_or_else(|| AdminError::NotFound(format!("Organization not found for organization_id={id}")))
}

fn required_id(fields: &Fields) -> Result<String, AdminError> {
    fields
        .get("organization_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AdminError::required("organization_id"))
}

/// `/organization/new`: the organization, and its budget from the limits sent when no
/// `budget_id` names one (as LiteLLM: every organization has a budget), in one transaction.
pub async fn create(core: &Core, caller: &Principal, fields: &Fields) -> Result<OrganizationRecord, AdminError> {
    if !fields.get("organization_alias").is_some_and(Value::is_string) {
        return Err(AdminError::required("organization_alias"));
    }
    let existing = core.store.organizations().await?;
    let id = match fields.get("organization_id").and_then(Value::as_str) {
        Some(id) if existing.iter().any(|o| o.organization_id == id) => {
            return Err(AdminError::invalid(
                format!("Organization id = {id} already exists. Please use a different organization id."),
                Some("organization_id"),
            ));
        }
        Some(id) if !id.trim().is_empty() => id.to_string(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let named_budget = fields.get("budget_id").and_then(Value::as_str);
    let new_budget = match named_budget {
        Some(b) => {
            find(core, b)
                .await?
                .ok_or_else(|| AdminError::invalid(format!("Budget not found for budget_id={b}"), Some("budget_id")))?;
            None
        }
        None => {
            let budget_fields: Fields = fields
                .iter()
                .filter(|(k, _)| BUDGET_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Some(build(caller, &budget_fields, None)?)
        }
    };
    let created = now();
    let base = OrganizationRecord {
        organization_id: id,
        created_at: created.clone(),
        updated_at: created,
        created_by: Some(changed_by(caller)),
        updated_by: Some(changed_by(caller)),
        ..Default::default()
    };
    let mut record: OrganizationRecord = merge(&base, fields, UPDATABLE)?;
    if let Some(b) = &new_budget {
        record.budget_id = Some(b.budget_id.clone());
    }
    let mut writes: Vec<Write> = new_budget.iter().map(Write::Budget).collect();
    writes.push(Write::Organization(&record));
    core.commit(&writes).await?;
    refresh_limits(core).await?;
    Ok(record)
}

/// Puts every organization's budget into the registry the request path reads (after any change
/// of an organization or a budget; there are few of either).
pub async fn refresh_limits(core: &Core) -> Result<(), AdminError> {
    let registry = &core.gateway.registry.organizations;
    let current = core.store.organization_limits().await?;
    for entry in registry.all() {
        if !current.iter().any(|c| c.organization_id == entry.record.organization_id) {
            registry.remove(&entry.record.organization_id);
        }
    }
    for limits in current {
        registry.put(limits);
    }
    Ok(())
}

/// An organization with its budget, its teams and its live spend.
fn shown(core: &Core, mut organization: OrganizationRecord, budget: Option<BudgetRecord>) -> OrganizationInfo {
    let registry = &core.gateway.registry;
    if let Some(live) = registry.organizations.get(&organization.organization_id) {
        organization.spend = live.counters.spend();
    }
    let mut teams: Vec<_> = registry
        .teams
        .all()
        .into_iter()
        .filter(|t| t.record.organization_id.as_deref() == Some(organization.organization_id.as_str()))
        .map(|t| t.snapshot())
        .collect();
    teams.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.team_id.cmp(&b.team_id)));
    let teams = teams.into_iter().filter_map(|t| serde_json::to_value(t).ok()).collect();
    OrganizationInfo { organization, litellm_budget_table: budget, teams }
}

async fn with_budget(core: &Core, organization: OrganizationRecord) -> Result<OrganizationInfo, AdminError> {
    let budget = match &organization.budget_id {
        Some(b) => find(core, b).await?,
        None => None,
    };
    Ok(shown(core, organization, budget))
}

/// `/organization/info`: for readers of everything and the organization's admins.
pub async fn info(core: &Core, caller: &Principal, id: &str) -> Result<OrganizationInfo, AdminError> {
    if !caller.may_read_all() {
        access::check_org_admin(core, caller, id, "/organization/info")?;
    }
    let organization = organization_or_404(core, id).await?;
    with_budget(core, organization).await
}

/// `/organization/list`: every organization, oldest first; a caller that may not read
/// everything sees those its user is a member of.
pub async fn list(core: &Core, caller: &Principal) -> Result<Vec<OrganizationInfo>, AdminError> {
    let budgets = core.store.budgets().await?;
    let member_of: Option<Vec<String>> =
        (!caller.may_read_all()).then(|| access::org_roles(core, caller).into_iter().map(|(o, _)| o).collect());
    Ok(core
        .store
        .organizations()
        .await?
        .into_iter()
        .filter(|o| member_of.as_ref().is_none_or(|ids| ids.contains(&o.organization_id)))
        .map(|o| {
            let budget = o.budget_id.as_deref().and_then(|b| budgets.iter().find(|x| x.budget_id == b)).cloned();
            shown(core, o, budget)
        })
        .collect())
}

/// `/organization/update`: alias, models, metadata, budget (which must exist).
pub async fn update(core: &Core, caller: &Principal, fields: &Fields) -> Result<OrganizationRecord, AdminError> {
    let id = required_id(fields)?;
    access::check_administers(core, caller, Some(&id), "/organization/update")?;
    let current = organization_or_404(core, &id).await?;
    if let Some(b) = fields.get("budget_id").and_then(Value::as_str)
        && find(core, b).await?.is_none()
    {
        return Err(AdminError::invalid(format!("Budget not found for budget_id={b}"), Some("budget_id")));
    }
    let mut record: OrganizationRecord = merge(&current, fields, UPDATABLE)?;
    record.updated_at = now();
    record.updated_by = Some(changed_by(caller));
    core.commit(&[Write::Organization(&record)]).await?;
    refresh_limits(core).await?;
    Ok(record)
}

/// `/organization/delete`: the organizations deleted (all named must exist).
pub async fn delete(core: &Core, ids: &[String]) -> Result<Vec<OrganizationRecord>, AdminError> {
    if ids.is_empty() {
        return Err(AdminError::invalid(
            "organization_ids must name at least one organization",
            Some("organization_ids"),
        ));
    }
    let mut deleted = Vec::new();
    for id in ids {
        deleted.push(organization_or_404(core, id).await?);
    }
    let writes: Vec<Write> = ids.iter().map(|id| Write::Delete(Entity::Organization, id)).collect();
    core.commit(&writes).await?;
    refresh_limits(core).await?;
    Ok(deleted)
}

/// `/organization/member_add`: members by user id or email; a user that does not exist is made
/// (with a new id when only an email is given), as LiteLLM does. A member already in changes
/// role. `max_budget_in_organization` gives each a budget of its own in the organization.
pub async fn add_members(
    core: &Core,
    caller: &Principal,
    organization_id: &str,
    members: Vec<OrgMember>,
    max_budget_in_organization: Option<f64>,
) -> Result<OrganizationMembersAdded, AdminError> {
    access::check_org_admin(core, caller, organization_id, "/organization/member_add")?;
    let mut organization = organization_or_404(core, organization_id).await?;
    let registry = &core.gateway.registry;
    let mut users: Vec<UserRecord> = Vec::new();
    let mut budgets: Vec<BudgetRecord> = Vec::new();
    let mut memberships: Vec<OrganizationMembership> = Vec::new();
    let stamp = now();
    for m in members {
        if !MEMBER_ROLES.contains(&m.role.as_str()) {
            return Err(AdminError::invalid(
                format!("member role must be one of {}", MEMBER_ROLES.join(", ")),
                Some("member"),
            ));
        }
        let by_id = m.user_id.as_deref().and_then(|u| registry.users.get(u));
        let by_email = m.user_email.as_deref().and_then(|e| {
            let mut found = registry.users.all();
            found.retain(|u| u.record.user_email.as_deref() == Some(e));
            found.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at));
            found.into_iter().next()
        });
        let user = match by_id.or(by_email) {
            Some(existing) => existing.snapshot(),
            None if m.user_id.is_none() && m.user_email.is_none() => {
                return Err(AdminError::invalid("a member needs user_id or user_email", Some("member")));
            }
            None => {
                let user = UserRecord {
                    user_id: m.user_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                    user_email: m.user_email.clone(),
                    user_role: Some("internal_user".into()),
                    created_at: stamp.clone(),
                    updated_at: stamp.clone(),
                    ..Default::default()
                };
                users.push(user.clone());
                user
            }
        };
        let budget_id = match max_budget_in_organization {
            Some(max) => {
                let budget = member_budget(caller, max, None)?;
                let id = budget.budget_id.clone();
                budgets.push(budget);
                Some(id)
            }
            None => None,
        };
        let membership = match organization.members.iter_mut().find(|x| x.user_id == user.user_id) {
            Some(existing) => {
                existing.user_role = Some(m.role.clone());
                existing.budget_id = budget_id.or(existing.budget_id.take());
                existing.updated_at = stamp.clone();
                existing.clone()
            }
            None => {
                let membership = OrganizationMembership {
                    user_id: user.user_id.clone(),
                    organization_id: organization_id.to_string(),
                    user_role: Some(m.role.clone()),
                    spend: 0.0,
                    budget_id,
                    created_at: stamp.clone(),
                    updated_at: stamp.clone(),
                };
                organization.members.push(membership.clone());
                membership
            }
        };
        memberships.push(membership);
        if !users.iter().any(|u| u.user_id == user.user_id) {
            users.push(user);
        }
    }
    organization.updated_at = stamp;
    organization.updated_by = Some(changed_by(caller));
    let new_users: Vec<UserRecord> =
        users.iter().filter(|u| registry.users.get(&u.user_id).is_none()).cloned().collect();
    let mut writes: Vec<Write> = budgets.iter().map(Write::Budget).collect();
    writes.extend(new_users.iter().map(Write::User));
    writes.push(Write::Organization(&organization));
    core.commit(&writes).await?;
    for user in new_users {
        registry.users.put(user);
    }
    refresh_limits(core).await?;
    Ok(OrganizationMembersAdded {
        organization_id: organization_id.to_string(),
        updated_users: users,
        updated_organization_memberships: memberships,
    })
}

/// The member a `member_update` / `member_delete` names: by user id, else by the email of
/// exactly one user (LiteLLM's 400 otherwise).
fn member_id(core: &Core, user_id: Option<&str>, user_email: Option<&str>) -> Result<String, AdminError> {
    if let Some(id) = user_id {
        return Ok(id.to_string());
    }
    let Some(email) = user_email else {
        return Err(AdminError::invalid("Either user_id or user_email needs to be passed in", Some("user_id")));
    };
    let mut found = core.gateway.registry.users.all();
    found.retain(|u| u.record.user_email.as_deref() == Some(email));
    match found.as_slice() {
        [one] => Ok(one.record.user_id.clone()),
        _ => Err(AdminError::invalid(
            format!(
                "Unique user not found for user_email={email}. Potential duplicate OR non-existent user_email in \
                 LiteLLM_UserTable. Use 'user_id' instead."
            ),
            Some("user_email"),
        )),
    }
}

fn member_not_found(user_id: &str) -> AdminError {
    AdminError::NotFound(format!("Member not found in organization for user_id={user_id}"))
}

/// `/organization/member_update`: a member's role, and its budget in the organization (made
/// when it has none). Only a proxy admin changes the role of a proxy admin (or viewer).
pub async fn update_member(
    core: &Core,
    caller: &Principal,
    organization_id: &str,
    user: (Option<&str>, Option<&str>),
    role: Option<&str>,
    max_budget_in_organization: Option<f64>,
) -> Result<OrganizationMembership, AdminError> {
    access::check_org_admin(core, caller, organization_id, "/organization/member_update")?;
    let mut organization = organization_or_404(core, organization_id).await?;
    let user_id = member_id(core, user.0, user.1)?;
    if let Some(r) = role
        && !MEMBER_ROLES.contains(&r)
    {
        return Err(AdminError::invalid(format!("role must be one of {}", MEMBER_ROLES.join(", ")), Some("role")));
    }
    let target_role = core.gateway.registry.users.get(&user_id).and_then(|u| u.record.user_role.clone());
    if matches!(target_role.as_deref(), Some("proxy_admin" | "proxy_admin_viewer")) && !caller.is_admin() {
        return Err(AdminError::Forbidden(
            "Only PROXY_ADMIN may modify the organization role of a user who is a global PROXY_ADMIN.".into(),
        ));
    }
    let current_budget = match organization.members.iter().find(|m| m.user_id == user_id) {
        Some(m) => m.budget_id.clone(),
        None => return Err(member_not_found(&user_id)),
    };
    let budget = match (max_budget_in_organization, current_budget) {
        (None, _) => None,
        (Some(max), Some(id)) => match super::budgets::find(core, &id).await? {
            Some(mut existing) => {
                existing.max_budget = Some(max);
                existing.updated_at = now();
                existing.updated_by = Some(changed_by(caller));
                Some(existing)
            }
            None => Some(member_budget(caller, max, Some(&id))?),
        },
        (Some(max), None) => Some(member_budget(caller, max, None)?),
    };
    let stamp = now();
    let Some(membership) = organization.members.iter_mut().find(|m| m.user_id == user_id) else {
        return Err(member_not_found(&user_id));
    };
    if let Some(r) = role {
        membership.user_role = Some(r.to_string());
    }
    if let Some(b) = &budget {
        membership.budget_id = Some(b.budget_id.clone());
    }
    membership.updated_at = stamp.clone();
    let updated = membership.clone();
    organization.updated_at = stamp;
    organization.updated_by = Some(changed_by(caller));
    let mut writes: Vec<Write> = budget.iter().map(Write::Budget).collect();
    writes.push(Write::Organization(&organization));
    core.commit(&writes).await?;
    refresh_limits(core).await?;
    Ok(updated)
}

fn member_budget(caller: &Principal, max_budget: f64, budget_id: Option<&str>) -> Result<BudgetRecord, AdminError> {
    let mut fields = Fields::new();
    fields.insert("max_budget".into(), Value::from(max_budget));
    build(caller, &fields, budget_id)
}

/// `/organization/member_delete`: the membership removed (the user stays).
pub async fn remove_member(
    core: &Core,
    caller: &Principal,
    organization_id: &str,
    user: (Option<&str>, Option<&str>),
) -> Result<OrganizationMembership, AdminError> {
    access::check_org_admin(core, caller, organization_id, "/organization/member_delete")?;
    let mut organization = organization_or_404(core, organization_id).await?;
    let user_id = member_id(core, user.0, user.1)?;
    let Some(at) = organization.members.iter().position(|m| m.user_id == user_id) else {
        return Err(member_not_found(&user_id));
    };
    let removed = organization.members.remove(at);
    organization.updated_at = now();
    organization.updated_by = Some(changed_by(caller));
    core.commit(&[Write::Organization(&organization)]).await?;
    refresh_limits(core).await?;
    Ok(removed)
}

/// The organizations named, each with `user_id` as a member of `role` (those it is in already
/// are left as they are), for the caller to write with the user. An organization that does not
/// exist is a 400.
pub async fn with_member(
    core: &Core,
    organization_ids: &[String],
    user_id: &str,
    role: &str,
) -> Result<Vec<OrganizationRecord>, AdminError> {
    if organization_ids.is_empty() {
        return Ok(Vec::new());
    }
    let all = core.store.organizations().await?;
    let stamp = now();
    let mut changed = Vec::new();
    for id in organization_ids {
        let Some(mut organization) = all.iter().find(|o| &o.organization_id == id).cloned() else {
            return Err(AdminError::invalid(
                format!("Organization not found for organization_id={id}"),
                Some("organizations"),
            ));
        };
        if organization.members.iter().any(|m| m.user_id == user_id) {
            continue;
        }
        organization.members.push(OrganizationMembership {
            user_id: user_id.to_string(),
            organization_id: id.clone(),
            user_role: Some(role.to_string()),
            spend: 0.0,
            budget_id: None,
            created_at: stamp.clone(),
            updated_at: stamp.clone(),
        });
        organization.updated_at = stamp.clone();
        changed.push(organization);
    }
    Ok(changed)
}

/// The organizations a user is a member of.
pub fn of_user(core: &Core, user_id: &str) -> Vec<String> {
    core.gateway
        .registry
        .organizations
        .all()
        .iter()
        .filter(|o| o.record.member_roles.iter().any(|(member, _)| member == user_id))
        .map(|o| o.record.organization_id.clone())
        .collect()
}

/// The organizations some of `user_ids` are members of, without them, for the caller to write
/// when it deletes the users.
pub async fn without_members(core: &Core, user_ids: &[String]) -> Result<Vec<OrganizationRecord>, AdminError> {
    let stamp = now();
    Ok(core
        .store
        .organizations()
        .await?
        .into_iter()
        .filter(|o| o.members.iter().any(|m| user_ids.contains(&m.user_id)))
        .map(|mut o| {
            o.members.retain(|m| !user_ids.contains(&m.user_id));
            o.updated_at = stamp.clone();
            o
        })
        .collect())
}
