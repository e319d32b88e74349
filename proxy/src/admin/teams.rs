//! Teams: their allowed models, limits and members.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::keys::{KeyView, keys_of, user_to_ensure};
use super::{
    AdminError, Core, Fields, LIMIT_FIELDS, access, check_limits, merge, next_reset, now, page_by, spend_field,
};
use crate::auth::Principal;
use crate::auth::registry::{Field, TeamEntry};
use crate::config::TeamDefaults;
use crate::store::{Entity, Member, TeamRecord, UserRecord, Write, team_member_id};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdatedTeam {
    pub team_id: String,
    pub data: TeamRecord,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedTeams {
    pub deleted_teams: Vec<String>,
    /// How many keys of theirs went with them.
    pub deleted_keys: usize,
}

/// A member of a team, by user id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Membership {
    pub user_id: String,
    pub team_id: String,
    /// What the member spent in the team (checked against `max_budget_in_team`).
    pub spend: f64,
    /// The member's budget in the team (`/team/member_update`'s `max_budget_in_team`), in
    /// LiteLLM's shape; null when none is set.
    pub litellm_budget_table: Option<MemberBudget>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberBudget {
    pub max_budget: Option<f64>,
}

/// `/team/member_update`'s answer, as LiteLLM gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdatedMember {
    pub team_id: String,
    pub user_id: String,
    pub user_email: Option<String>,
    pub max_budget_in_team: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamInfo {
    pub team_id: String,
    pub team_info: TeamRecord,
    pub keys: Vec<KeyView>,
    pub team_memberships: Vec<Membership>,
}

/// A team in `/team/list`, with its keys and memberships.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListedTeam {
    #[serde(flatten)]
    pub team: TeamRecord,
    pub keys: Vec<KeyView>,
    pub team_memberships: Vec<Membership>,
}

/// A page of `/v2/team/list`: teams without their keys (a team may have a hundred thousand).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamPage {
    pub teams: Vec<TeamRecord>,
    pub total: usize,
    pub page: usize,
    pub page_size: usize,
    pub total_pages: usize,
}

/// `/v2/team/list`'s filters, order and page.
#[derive(Debug, Default)]
pub struct TeamQuery {
    pub user_id: Option<String>,
    pub organization_id: Option<String>,
    pub team_id: Option<String>,
    /// Teams whose alias contains it, ignoring case.
    pub team_alias: Option<String>,
    /// `team_id`, `team_alias` or `created_at`; another (or none) is newest first.
    pub sort_by: Option<String>,
    pub descending: bool,
    pub page: usize,
    pub page_size: usize,
}

/// `/team/member_add`'s answer: the team, and its members' user records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    pub team: TeamRecord,
    pub updated_users: Vec<UserRecord>,
    pub updated_team_memberships: Vec<Membership>,
}

const UPDATABLE: &[&str] =
    &["team_alias", "models", "metadata", "blocked", "model_aliases", "tags", "organization_id", "team_member_budget"];

/// A team's `team_member_budget`, when sent, is a number of USD, 0 or more (null: none).
fn check_member_budget_default(fields: &Fields) -> Result<(), AdminError> {
    match fields.get("team_member_budget") {
        None | Some(Value::Null) => Ok(()),
        // Not a number at all is refused as a negative one is.
        Some(v) => check_member_budget(Some(v.as_f64().unwrap_or(-1.0)), "team_member_budget"),
    }
}

/// A team may only join an organization that exists (its budget then limits the team's calls).
fn check_organization(core: &Core, fields: &Fields) -> Result<(), AdminError> {
    match fields.get("organization_id").and_then(Value::as_str) {
        Some(id) if core.gateway.registry.organizations.get(id).is_none() => Err(AdminError::invalid(
            format!("Organization not found for organization_id={id}"),
            Some("organization_id"),
        )),
        _ => Ok(()),
    }
}

/// A team of an organization that restricts its models may only name models the organization
/// allows, as LiteLLM checks it (`Model '...' not in organization's allowed models`). A team
/// that names none is still bound by the organization's list on every call.
fn check_models_in_organization(core: &Core, team: &TeamRecord) -> Result<(), AdminError> {
    let Some(organization) = team.organization_id.as_deref().and_then(|o| core.gateway.registry.organizations.get(o))
    else {
        return Ok(());
    };
    let allowed = &organization.record.models;
    if allowed.is_empty() || allowed.iter().any(|m| m == "all-proxy-models" || m == "*") {
        return Ok(());
    }
    match team.models.iter().find(|m| !allowed.contains(m)) {
        None => Ok(()),
        Some(model) => Err(AdminError::invalid(
            format!(
                "Model '{model}' not in organization's allowed models. Organization allowed models={}. Organization: {}",
                crate::auth::access::python_list(allowed),
                organization.record.organization_id
            ),
            Some("models"),
        )),
    }
}

fn team_or_404(core: &Core, team_id: &str) -> Result<Arc<TeamEntry>, AdminError> {
    core.gateway
        .registry
        .teams
        .get(team_id)
        .ok_or_else(|| AdminError::NotFound(format!("Team not found, team_id={team_id}")))
}

fn required_team_id(fields: &Fields) -> Result<String, AdminError> {
    fields.get("team_id").and_then(Value::as_str).map(str::to_string).ok_or_else(|| AdminError::required("team_id"))
}

/// Writes a team with the users its members need (and `also`, which wins over them), in one
/// transaction.
async fn save(core: &Core, record: TeamRecord, also: &[UserRecord]) -> Result<Arc<TeamEntry>, AdminError> {
    save_as(core, None, record, also).await
}

/// [`save`], for a change with a name of its own in the audit log (`blocked`).
async fn save_as(
    core: &Core,
    action: Option<&str>,
    mut record: TeamRecord,
    also: &[UserRecord],
) -> Result<Arc<TeamEntry>, AdminError> {
    record.updated_at = now();
    let users: Vec<UserRecord> = record
        .members_with_roles
        .iter()
        .filter_map(|m| m.user_id.as_deref())
        .filter(|u| !also.iter().any(|a| a.user_id == *u))
        .filter_map(|u| user_to_ensure(core, u, Some(&record.team_id)))
        .collect();
    let mut writes = vec![Write::Team(&record)];
    writes.extend(users.iter().chain(also).map(Write::User));
    core.write(&writes, action).await?;
    for user in users.into_iter().chain(also.iter().cloned()) {
        core.gateway.registry.users.put(user);
    }
    Ok(core.gateway.registry.put_team(record))
}

/// `/team/new`: returns the team as stored. The creating key's user joins the team as an
/// `admin` member, as in LiteLLM (unless the body already lists it).
pub async fn create(core: &Core, caller: &Principal, fields: &Fields) -> Result<TeamRecord, AdminError> {
    access::check_new_team(core, caller, fields)?;
    let fields = &with_defaults(fields, &core.config.litellm.team_defaults);
    check_limits(fields)?;
    check_member_budget_default(fields)?;
    check_organization(core, fields)?;
    let team_id = match fields.get("team_id").and_then(Value::as_str) {
        Some(id) if core.gateway.registry.teams.get(id).is_some() => {
            return Err(AdminError::invalid(
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
    let mut record: TeamRecord = merge(&base, fields, &allowed)?;
    if let Some(d) = &record.limits.budget_duration {
        record.limits.budget_reset_at = Some(next_reset(d)?);
    }
    check_models_in_organization(core, &record)?;
    if let Some(creator) = caller.user_id()
        && !record.members_with_roles.iter().any(|m| m.user_id.as_deref() == Some(creator))
    {
        record.members_with_roles.push(Member {
            role: "admin".into(),
            user_id: Some(creator.to_string()),
            ..Default::default()
        });
    }
    Ok(save(core, record, &[]).await?.snapshot())
}

/// `fields` with what `default_team_params` says for the limits they leave out (or send as null).
fn with_defaults(fields: &Fields, defaults: &TeamDefaults) -> Fields {
    let mut fields = fields.clone();
    let mut fill = |key: &str, value: Option<Value>| {
        if let Some(v) = value
            && fields.get(key).is_none_or(Value::is_null)
        {
            fields.insert(key.to_string(), v);
        }
    };
    fill("max_budget", defaults.max_budget.map(Value::from));
    fill("budget_duration", defaults.budget_duration.clone().map(Value::from));
    fill("tpm_limit", defaults.tpm_limit.map(Value::from));
    fill("rpm_limit", defaults.rpm_limit.map(Value::from));
    fill("organization_id", defaults.organization_id.clone().map(Value::from));
    fields
}

/// `/team/update`.
pub async fn update(core: &Core, caller: &Principal, fields: &Fields) -> Result<UpdatedTeam, AdminError> {
    check_limits(fields)?;
    check_member_budget_default(fields)?;
    check_organization(core, fields)?;
    let entry = team_or_404(core, &required_team_id(fields)?)?;
    access::check_team_change(core, caller, &entry.record, Some(fields), "/team/update")?;
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    let mut record: TeamRecord = merge(&entry.snapshot(), fields, &allowed)?;
    if fields.contains_key("models") || fields.contains_key("organization_id") {
        check_models_in_organization(core, &record)?;
    }
    if fields.contains_key("budget_duration") {
        record.limits.budget_reset_at = record.limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    let spend = spend_field(fields)?;
    let entry = save(core, record, &[]).await?;
    if let Some(s) = spend {
        core.set_spend(Entity::Team, &entry.record.team_id, &entry.counters, s).await;
    }
    Ok(UpdatedTeam { team_id: entry.record.team_id.clone(), data: entry.snapshot() })
}

/// `/team/delete`: the teams and their keys.
pub async fn delete(core: &Core, caller: &Principal, team_ids: Vec<String>) -> Result<DeletedTeams, AdminError> {
    let registry = &core.gateway.registry;
    for id in &team_ids {
        access::check_team_change(core, caller, &team_or_404(core, id)?.record, None, "/team/delete")?;
    }
    let keys: Vec<String> =
        team_ids.iter().flat_map(|t| registry.keys.with(Field::Team, t)).map(|k| k.record.token.clone()).collect();
    let mut writes: Vec<Write> = keys.iter().map(|k| Write::Delete(Entity::Key, k)).collect();
    writes.extend(team_ids.iter().map(|t| Write::Delete(Entity::Team, t)));
    core.commit(&writes).await?;
    for k in &keys {
        registry.keys.remove(k);
    }
    for t in &team_ids {
        registry.remove_team(t);
    }
    Ok(DeletedTeams { deleted_teams: team_ids, deleted_keys: keys.len() })
}

fn memberships(core: &Core, entry: &TeamEntry) -> Vec<Membership> {
    let team_id = &entry.record.team_id;
    entry
        .record
        .members_with_roles
        .iter()
        .filter_map(|m| {
            m.user_id.as_ref().map(|u| Membership {
                user_id: u.clone(),
                team_id: team_id.clone(),
                spend: core
                    .gateway
                    .registry
                    .team_members
                    .get(&team_member_id(team_id, u))
                    .map_or(0.0, |e| e.counters.spend()),
                litellm_budget_table: m.max_budget_in_team.map(|b| MemberBudget { max_budget: Some(b) }),
            })
        })
        .collect()
}

/// `/team/info`: for readers of everything, the team's own keys and its members.
pub fn info(core: &Core, caller: &Principal, team_id: &str) -> Result<TeamInfo, AdminError> {
    let entry = team_or_404(core, team_id)?;
    access::check_team_read(core, caller, &entry.record)?;
    Ok(TeamInfo {
        team_id: team_id.to_string(),
        team_info: entry.snapshot(),
        keys: keys_of(core, Field::Team, team_id),
        team_memberships: memberships(core, &entry),
    })
}

/// `/team/list`: every team (or `user_id`'s), with its keys and memberships. A key that may not
/// read everything lists its user's teams (and its own team); asking for another user's is
/// refused, as in LiteLLM.
pub fn list(core: &Core, caller: &Principal, user_id: Option<&str>) -> Result<Vec<ListedTeam>, AdminError> {
    let mut teams = core.gateway.registry.teams.all();
    if !caller.may_read_all() {
        if user_id.is_some() && user_id != caller.user_id() {
            return Err(AdminError::Unauthorized(format!(
                "Only admin users can query all teams/other teams. Your user role={}",
                caller.role().litellm_name()
            )));
        }
        teams.retain(|t| access::check_team_read(core, caller, &t.record).is_ok());
    }
    if let Some(user) = user_id {
        teams.retain(|t| t.record.members_with_roles.iter().any(|m| m.user_id.as_deref() == Some(user)));
    }
    teams.sort_by(|a, b| {
        a.record.team_alias.cmp(&b.record.team_alias).then(a.record.created_at.cmp(&b.record.created_at))
    });
    Ok(teams
        .iter()
        .map(|t| ListedTeam {
            team: t.snapshot(),
            keys: keys_of(core, Field::Team, &t.record.team_id),
            team_memberships: memberships(core, t),
        })
        .collect())
}

/// `/v2/team/list`: LiteLLM's paged team list, as its UI and tools read teams. A key that may
/// not read everything lists its own user's teams (another user's is refused, as `/team/list`
/// does); `user_id` lists the teams of that user's record (404 for an unknown user, as LiteLLM).
pub fn list_page(core: &Core, caller: &Principal, q: &TeamQuery) -> Result<TeamPage, AdminError> {
    if q.page == 0 || !(1..=100).contains(&q.page_size) {
        return Err(AdminError::invalid(
            "page must be 1 or more, page_size from 1 to 100",
            Some(if q.page == 0 { "page" } else { "page_size" }),
        ));
    }
    let user_id = match (&q.user_id, caller.may_read_all()) {
        (Some(asked), false) if Some(asked.as_str()) != caller.user_id() => {
            return Err(AdminError::Unauthorized(format!(
                "Only admin users can query all teams/other teams. Your user role={}",
                caller.role().litellm_name()
            )));
        }
        (asked, true) => asked.clone(),
        (_, false) => Some(caller.user_id().map(str::to_string).ok_or_else(|| {
            AdminError::Forbidden("No 'user_id' is associated with your API key: it has no teams to list.".into())
        })?),
    };
    let registry = &core.gateway.registry;
    let mut teams: Vec<Arc<TeamEntry>> = match &user_id {
        Some(user) => {
            let record = registry
                .users
                .get(user)
                .ok_or_else(|| AdminError::NotFound(format!("User not found, passed user_id={user}")))?;
            if let Some(team) = q.team_id.as_ref().filter(|t| !record.record.teams.contains(t)) {
                return Err(AdminError::NotFound(format!("User is not a member of team_id={team}")));
            }
            record.record.teams.iter().filter_map(|t| registry.teams.get(t)).collect()
        }
        None => registry.teams.all(),
    };
    let alias = q.team_alias.as_deref().map(str::to_lowercase);
    teams.retain(|t| {
        let r = &t.record;
        q.team_id.as_ref().is_none_or(|id| &r.team_id == id)
            && q.organization_id.as_ref().is_none_or(|o| r.organization_id.as_ref() == Some(o))
            && alias.as_ref().is_none_or(|a| r.team_alias.as_ref().is_some_and(|x| x.to_lowercase().contains(a)))
    });
    let total = teams.len();
    let (on_page, _) = page_by(teams, q.page, q.page_size, |a, b| {
        let (x, y) = (&a.record, &b.record);
        let order = match q.sort_by.as_deref() {
            Some("team_id") => x.team_id.cmp(&y.team_id),
            Some("team_alias") => x.team_alias.cmp(&y.team_alias),
            Some("created_at") => x.created_at.cmp(&y.created_at),
            // LiteLLM's default: newest first.
            _ => return y.created_at.cmp(&x.created_at).then(x.team_id.cmp(&y.team_id)),
        }
        .then(x.team_id.cmp(&y.team_id));
        if q.descending { order.reverse() } else { order }
    });
    Ok(TeamPage {
        teams: on_page.iter().map(|t| t.snapshot()).collect(),
        total,
        page: q.page,
        page_size: q.page_size,
        total_pages: total.div_ceil(q.page_size),
    })
}

/// `/team/member_add` (for admins and the team's admins): adds members, or changes the role of
/// those already in. A member named by `user_email` alone is the user with that email, made
/// (with a new id) when there is none, as LiteLLM does.
pub async fn add_members(
    core: &Core,
    caller: &Principal,
    team_id: &str,
    members: Vec<Member>,
    max_budget_in_team: Option<f64>,
) -> Result<TeamWithMembers, AdminError> {
    let entry = team_or_404(core, team_id)?;
    access::check_team_admin(core, caller, &entry.record, "/team/member_add")?;
    check_member_budget(max_budget_in_team, "max_budget_in_team")?;
    let mut record = entry.snapshot();
    let mut new_users: Vec<UserRecord> = Vec::new();
    for mut m in members {
        if m.user_id.is_none() && m.user_email.is_none() {
            return Err(AdminError::invalid("a member needs user_id or user_email", Some("member")));
        }
        if !matches!(m.role.as_str(), "admin" | "user") {
            return Err(AdminError::invalid("member role must be 'admin' or 'user'", Some("member")));
        }
        if let (None, Some(email)) = (&m.user_id, &m.user_email) {
            m.user_id = Some(
                match user_with_email(core, email).or_else(|| {
                    new_users.iter().find(|u| u.user_email.as_deref() == Some(email)).map(|u| u.user_id.clone())
                }) {
                    Some(id) => id,
                    None => {
                        let user = new_member_user(email, team_id);
                        let id = user.user_id.clone();
                        new_users.push(user);
                        id
                    }
                },
            );
        }
        if max_budget_in_team.is_some() {
            m.max_budget_in_team = max_budget_in_team;
        }
        let same = |x: &Member| {
            (m.user_id.is_some() && x.user_id == m.user_id) || (m.user_email.is_some() && x.user_email == m.user_email)
        };
        if let Some(existing) = record.members_with_roles.iter_mut().find(|x| same(x)) {
            existing.role = m.role.clone();
            existing.user_id = existing.user_id.take().or(m.user_id);
            existing.max_budget_in_team = m.max_budget_in_team.or(existing.max_budget_in_team);
        } else {
            record.members_with_roles.push(m);
        }
    }
    let entry = save(core, record, &new_users).await?;
    let updated_users = entry
        .record
        .members_with_roles
        .iter()
        .filter_map(|m| m.user_id.as_deref())
        .filter_map(|u| core.gateway.registry.users.get(u))
        .map(|u| u.snapshot())
        .collect();
    Ok(TeamWithMembers { team: entry.snapshot(), updated_users, updated_team_memberships: memberships(core, &entry) })
}

/// `/team/member_delete` (for admins and the team's admins): the member named by user id or
/// email. Naming no member, or one not in the team, is refused with 400, as in LiteLLM.
pub async fn remove_member(
    core: &Core,
    caller: &Principal,
    team_id: &str,
    user_id: Option<&str>,
    user_email: Option<&str>,
) -> Result<TeamRecord, AdminError> {
    if user_id.is_none() && user_email.is_none() {
        return Err(AdminError::invalid("Either user_id or user_email needs to be passed in", Some("user_id")));
    }
    let entry = team_or_404(core, team_id)?;
    access::check_team_admin(core, caller, &entry.record, "/team/member_delete")?;
    let mut record = entry.snapshot();
    let is_named = |m: &Member| {
        (user_id.is_some() && m.user_id.as_deref() == user_id)
            || (user_email.is_some() && m.user_email.as_deref() == user_email)
    };
    let leaving: Vec<String> =
        record.members_with_roles.iter().filter(|m| is_named(m)).filter_map(|m| m.user_id.clone()).collect();
    let before = record.members_with_roles.len();
    record.members_with_roles.retain(|m| !is_named(m));
    if record.members_with_roles.len() == before {
        return Err(AdminError::invalid("User not found in team", Some("user_id")));
    }
    // What the members' finished calls spent lands in the membership they leave, not in one
    // they may start again soon after (the writer adds to existing memberships only).
    if let Some(sink) = core.gateway.spend_sink() {
        sink.flush().await;
    }
    // The users leave the team in the same transaction as the team loses the members.
    let users: Vec<UserRecord> = leaving
        .iter()
        .filter_map(|u| core.gateway.registry.users.get(u))
        .map(|user| {
            let mut u = user.snapshot();
            u.teams.retain(|t| t != team_id);
            u.updated_at = now();
            u
        })
        .collect();
    Ok(save(core, record, &users).await?.snapshot())
}

/// `/team/block` and `/team/unblock`.
pub async fn set_blocked(
    core: &Core,
    caller: &Principal,
    fields: &Fields,
    blocked: bool,
) -> Result<TeamRecord, AdminError> {
    let entry = team_or_404(core, &required_team_id(fields)?)?;
    let route = if blocked { "/team/block" } else { "/team/unblock" };
    access::check_team_change(core, caller, &entry.record, None, route)?;
    let mut record = entry.snapshot();
    record.blocked = blocked;
    Ok(save_as(core, Some(if blocked { "blocked" } else { "unblocked" }), record, &[]).await?.snapshot())
}

/// `/team/member_update` (for admins and the team's admins): a member's role and budget in the
/// team, the member named by user id or email.
pub async fn update_member(
    core: &Core,
    caller: &Principal,
    team_id: &str,
    user_id: Option<&str>,
    user_email: Option<&str>,
    role: Option<&str>,
    max_budget_in_team: Option<f64>,
) -> Result<UpdatedMember, AdminError> {
    if user_id.is_none() && user_email.is_none() {
        return Err(AdminError::invalid("Either user_id or user_email needs to be passed in", Some("user_id")));
    }
    let entry = team_or_404(core, team_id)?;
    access::check_team_admin(core, caller, &entry.record, "/team/member_update")?;
    if let Some(r) = role
        && !matches!(r, "admin" | "user")
    {
        return Err(AdminError::invalid("role must be 'admin' or 'user'", Some("role")));
    }
    check_member_budget(max_budget_in_team, "max_budget_in_team")?;
    let mut record = entry.snapshot();
    let member = record
        .members_with_roles
        .iter_mut()
        .find(|m| {
            (user_id.is_some() && m.user_id.as_deref() == user_id)
                || (user_id.is_none() && user_email.is_some() && m.user_email.as_deref() == user_email)
        })
        .ok_or_else(|| {
            AdminError::invalid(
                format!(
                    "User id doesn't exist in team table. Data=team_id={team_id} user_id={} user_email={}",
                    user_id.unwrap_or("None"),
                    user_email.unwrap_or("None")
                ),
                Some("user_id"),
            )
        })?;
    if let Some(r) = role {
        member.role = r.to_string();
    }
    if let Some(e) = user_email {
        member.user_email = Some(e.to_string());
    }
    if max_budget_in_team.is_some() {
        member.max_budget_in_team = max_budget_in_team;
    }
    let answer = UpdatedMember {
        team_id: team_id.to_string(),
        user_id: member.user_id.clone().unwrap_or_default(),
        user_email: user_email.map(str::to_string),
        max_budget_in_team,
    };
    save(core, record, &[]).await?;
    Ok(answer)
}

fn check_member_budget(budget: Option<f64>, field: &str) -> Result<(), AdminError> {
    match budget {
        Some(b) if !(b >= 0.0 && b.is_finite()) => {
            Err(AdminError::invalid(format!("{field} must be a non-negative number"), Some(field)))
        }
        _ => Ok(()),
    }
}

/// The user whose email this is (the oldest, should several share it).
fn user_with_email(core: &Core, email: &str) -> Option<String> {
    let mut users = core.gateway.registry.users.all();
    users.retain(|u| u.record.user_email.as_deref() == Some(email));
    users.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at));
    users.first().map(|u| u.record.user_id.clone())
}

/// A user made for a team member known by email only (LiteLLM gives it a new id).
fn new_member_user(email: &str, team_id: &str) -> UserRecord {
    let created = now();
    UserRecord {
        user_id: uuid::Uuid::new_v4().to_string(),
        user_email: Some(email.to_string()),
        user_role: Some("internal_user".into()),
        teams: vec![team_id.to_string()],
        created_at: created.clone(),
        updated_at: created,
        ..Default::default()
    }
}
