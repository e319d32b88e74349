//! Teams: their allowed models, limits and members.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::keys::{KeyView, keys_where, user_to_ensure};
use super::{AdminError, Core, Fields, LIMIT_FIELDS, check_limits, merge, next_reset, now, spend_field};
use crate::auth::registry::TeamEntry;
use crate::store::{Entity, Member, TeamRecord, UserRecord, Write};

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

/// `/team/member_add`'s answer: the team, and its members' user records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    pub team: TeamRecord,
    pub updated_users: Vec<UserRecord>,
    pub updated_team_memberships: Vec<Membership>,
}

const UPDATABLE: &[&str] = &["team_alias", "models", "metadata", "blocked", "model_aliases", "tags"];

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

/// Writes a team with the users its members need (and `also`), in one transaction.
async fn save(core: &Core, mut record: TeamRecord, also: &[UserRecord]) -> Result<Arc<TeamEntry>, AdminError> {
    record.updated_at = now();
    let users: Vec<UserRecord> = record
        .members_with_roles
        .iter()
        .filter_map(|m| m.user_id.as_deref())
        .filter_map(|u| user_to_ensure(core, u, Some(&record.team_id)))
        .collect();
    let mut writes = vec![Write::Team(&record)];
    writes.extend(users.iter().chain(also).map(Write::User));
    core.commit(&writes).await?;
    for user in users.into_iter().chain(also.iter().cloned()) {
        core.gateway.registry.users.put(user);
    }
    Ok(core.gateway.registry.teams.put(record))
}

/// `/team/new`: returns the team as stored.
pub async fn create(core: &Core, fields: &Fields) -> Result<TeamRecord, AdminError> {
    check_limits(fields)?;
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
    Ok(save(core, record, &[]).await?.snapshot())
}

/// `/team/update`.
pub async fn update(core: &Core, fields: &Fields) -> Result<UpdatedTeam, AdminError> {
    check_limits(fields)?;
    let entry = team_or_404(core, &required_team_id(fields)?)?;
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    let mut record: TeamRecord = merge(&entry.snapshot(), fields, &allowed)?;
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
pub async fn delete(core: &Core, team_ids: Vec<String>) -> Result<DeletedTeams, AdminError> {
    let registry = &core.gateway.registry;
    for id in &team_ids {
        team_or_404(core, id)?;
    }
    let keys: Vec<String> = registry
        .keys
        .all()
        .iter()
        .filter(|k| k.record.team_id.as_ref().is_some_and(|t| team_ids.contains(t)))
        .map(|k| k.record.token.clone())
        .collect();
    let mut writes: Vec<Write> = keys.iter().map(|k| Write::Delete(Entity::Key, k)).collect();
    writes.extend(team_ids.iter().map(|t| Write::Delete(Entity::Team, t)));
    core.commit(&writes).await?;
    for k in &keys {
        registry.keys.remove(k);
    }
    for t in &team_ids {
        registry.teams.remove(t);
    }
    Ok(DeletedTeams { deleted_teams: team_ids, deleted_keys: keys.len() })
}

fn memberships(entry: &TeamEntry) -> Vec<Membership> {
    entry
        .record
        .members_with_roles
        .iter()
        .filter_map(|m| m.user_id.as_ref())
        .map(|u| Membership { user_id: u.clone(), team_id: entry.record.team_id.clone() })
        .collect()
}

/// `/team/info`.
pub fn info(core: &Core, team_id: &str) -> Result<TeamInfo, AdminError> {
    let entry = team_or_404(core, team_id)?;
    Ok(TeamInfo {
        team_id: team_id.to_string(),
        team_info: entry.snapshot(),
        keys: keys_where(core, |k| k.team_id.as_deref() == Some(team_id)),
        team_memberships: memberships(&entry),
    })
}

/// `/team/list`: every team (or `user_id`'s), with its keys and memberships.
pub fn list(core: &Core, user_id: Option<&str>) -> Vec<ListedTeam> {
    let mut teams = core.gateway.registry.teams.all();
    if let Some(user) = user_id {
        teams.retain(|t| t.record.members_with_roles.iter().any(|m| m.user_id.as_deref() == Some(user)));
    }
    teams.sort_by(|a, b| {
        a.record.team_alias.cmp(&b.record.team_alias).then(a.record.created_at.cmp(&b.record.created_at))
    });
    teams
        .iter()
        .map(|t| ListedTeam {
            team: t.snapshot(),
            keys: keys_where(core, |k| k.team_id.as_deref() == Some(t.record.team_id.as_str())),
            team_memberships: memberships(t),
        })
        .collect()
}

/// `/team/member_add`: adds members, or changes the role of those already in.
pub async fn add_members(core: &Core, team_id: &str, members: Vec<Member>) -> Result<TeamWithMembers, AdminError> {
    let entry = team_or_404(core, team_id)?;
    let mut record = entry.snapshot();
    for m in members {
        if m.user_id.is_none() && m.user_email.is_none() {
            return Err(AdminError::invalid("a member needs user_id or user_email", Some("member")));
        }
        if !matches!(m.role.as_str(), "admin" | "user") {
            return Err(AdminError::invalid("member role must be 'admin' or 'user'", Some("member")));
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
    let entry = save(core, record, &[]).await?;
    let updated_users = entry
        .record
        .members_with_roles
        .iter()
        .filter_map(|m| m.user_id.as_deref())
        .filter_map(|u| core.gateway.registry.users.get(u))
        .map(|u| u.snapshot())
        .collect();
    Ok(TeamWithMembers { team: entry.snapshot(), updated_users, updated_team_memberships: memberships(&entry) })
}

/// `/team/member_delete`: the member named by user id or email.
pub async fn remove_member(
    core: &Core,
    team_id: &str,
    user_id: Option<&str>,
    user_email: Option<&str>,
) -> Result<TeamRecord, AdminError> {
    let entry = team_or_404(core, team_id)?;
    let mut record = entry.snapshot();
    let before = record.members_with_roles.len();
    record.members_with_roles.retain(|m| {
        !((user_id.is_some() && m.user_id.as_deref() == user_id)
            || (user_email.is_some() && m.user_email.as_deref() == user_email))
    });
    if record.members_with_roles.len() == before {
        return Err(AdminError::NotFound("no such member in this team".into()));
    }
    // The user leaves the team in the same transaction as the team loses the member.
    let user = user_id.and_then(|u| core.gateway.registry.users.get(u)).map(|user| {
        let mut u = user.snapshot();
        u.teams.retain(|t| t != team_id);
        u.updated_at = now();
        u
    });
    Ok(save(core, record, user.as_slice()).await?.snapshot())
}

/// `/team/block` and `/team/unblock`.
pub async fn set_blocked(core: &Core, fields: &Fields, blocked: bool) -> Result<TeamRecord, AdminError> {
    let entry = team_or_404(core, &required_team_id(fields)?)?;
    let mut record = entry.snapshot();
    record.blocked = blocked;
    Ok(save(core, record, &[]).await?.snapshot())
}
