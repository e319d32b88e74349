//! Internal users, their limits, and (by default) a key of their own.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::keys::{KeyStatus, KeyView, keys_where, prepare_key, save_new_keys};
use super::{AdminError, Core, Fields, LIMIT_FIELDS, access, check_limits, merge, next_reset, now, page, spend_field};
use crate::auth::Principal;
use crate::auth::registry::UserEntry;
use crate::store::{Entity, TeamRecord, UserRecord, Write};

/// `/user/new`'s answer, as LiteLLM gives it: the user's record merged with its new key's (when
/// `auto_create_key` is not false), `key` being the clear key, shown this once. (Describes the
/// answer, which is built by merging the two records.)
#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserRecord,
    pub key: Option<String>,
    pub key_name: Option<String>,
    pub key_alias: Option<String>,
    pub token_id: Option<String>,
    pub status: Option<KeyStatus>,
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserInfo {
    pub user_id: String,
    pub user_info: UserRecord,
    pub keys: Vec<KeyView>,
    pub teams: Vec<TeamRecord>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedUsers {
    pub deleted_users: Vec<String>,
    /// How many keys of theirs went with them.
    pub deleted_keys: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserRecord>,
    pub total: usize,
    pub page: usize,
    pub page_size: usize,
    pub total_pages: usize,
}

const UPDATABLE: &[&str] = &["user_email", "user_alias", "user_role", "teams", "models", "metadata"];
const ROLES: &[&str] = &["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"];

fn user_or_404(core: &Core, user_id: &str) -> Result<Arc<UserEntry>, AdminError> {
    core.gateway
        .registry
        .users
        .get(user_id)
        .ok_or_else(|| AdminError::NotFound(format!("User not found, user_id={user_id}")))
}

fn check_role(fields: &Fields) -> Result<(), AdminError> {
    match fields.get("user_role").and_then(Value::as_str) {
        Some(r) if !ROLES.contains(&r) => {
            Err(AdminError::invalid(format!("user_role must be one of {}", ROLES.join(", ")), Some("user_role")))
        }
        _ => Ok(()),
    }
}

/// `/user/new`: the user and (unless `auto_create_key` is false) its key, written together: a
/// refused key leaves no user behind.
pub async fn create(core: &Core, fields: &Fields, caller: &Principal) -> Result<Value, AdminError> {
    check_limits(fields)?;
    check_role(fields)?;
    let registry = &core.gateway.registry;
    let user_id = match fields.get("user_id").and_then(Value::as_str) {
        Some(id) if registry.users.get(id).is_some() => {
            return Err(AdminError::invalid(format!("User with id={id} already exists"), Some("user_id")));
        }
        Some(id) if !id.trim().is_empty() => id.to_string(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let created = now();
    let base = UserRecord {
        user_id: user_id.clone(),
        user_role: Some("internal_user".into()),
        created_at: created.clone(),
        updated_at: created,
        ..Default::default()
    };
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    let mut record: UserRecord = merge(&base, fields, &allowed)?;
    if let Some(d) = &record.limits.budget_duration {
        record.limits.budget_reset_at = Some(next_reset(d)?);
    }

    let mut response = json!({});
    if fields.get("auto_create_key").and_then(Value::as_bool) != Some(false) {
        // The user's key carries the key fields of the request, not the user's own limits.
        let mut key_fields = Fields::new();
        for f in ["key_alias", "duration", "aliases", "tags", "key"] {
            if let Some(v) = fields.get(f) {
                key_fields.insert(f.into(), v.clone());
            }
        }
        key_fields.insert("user_id".into(), json!(user_id));
        let key = prepare_key(core, &key_fields, caller)?;
        let mut saved = save_new_keys(core, vec![key], &[Write::User(&record)], &key_fields).await?;
        if let Some(generated) = saved.pop() {
            response = serde_json::to_value(generated.answer).unwrap_or_default();
        }
    } else {
        core.commit(&[Write::User(&record)]).await?;
    }
    let entry = registry.users.put(record);
    if let (Some(o), Ok(Value::Object(user))) = (response.as_object_mut(), serde_json::to_value(entry.snapshot())) {
        for (k, v) in user {
            o.insert(k, v);
        }
    }
    Ok(response)
}

/// `/user/info`: a user by id, else the caller's own; a key that may not read everything reads
/// only its own user.
pub fn info(core: &Core, caller: &Principal, asked: Option<&str>) -> Result<UserInfo, AdminError> {
    let own = caller.key().and_then(|k| k.record.user_id.clone());
    let user_id = match (asked, &own) {
        (Some(u), _) => u.to_string(),
        (None, Some(u)) => u.clone(),
        (None, None) => return Err(AdminError::invalid("pass ?user_id=", Some("user_id"))),
    };
    if !caller.may_read_all() && own.as_ref() != Some(&user_id) {
        return Err(AdminError::Forbidden(format!(
            "key not allowed to access this user's info. user_id={user_id}, key's user_id={}",
            own.as_deref().unwrap_or("None")
        )));
    }
    let entry = user_or_404(core, &user_id)?;
    let teams =
        entry.record.teams.iter().filter_map(|t| core.gateway.registry.teams.get(t)).map(|t| t.snapshot()).collect();
    Ok(UserInfo {
        keys: keys_where(core, |k| k.user_id.as_deref() == Some(user_id.as_str())),
        user_info: entry.snapshot(),
        user_id,
        teams,
    })
}

/// `/user/update`. An unknown `user_id` is created with the fields sent (LiteLLM upserts), and
/// nothing else: no role unless one is sent, no key.
pub async fn update(core: &Core, fields: &Fields) -> Result<UserRecord, AdminError> {
    check_limits(fields)?;
    check_role(fields)?;
    let user_id = match fields.get("user_id").and_then(Value::as_str) {
        Some(id) if !id.trim().is_empty() => id,
        _ => return Err(AdminError::required("user_id")),
    };
    let current = match core.gateway.registry.users.get(user_id) {
        Some(entry) => entry.snapshot(),
        None => {
            let created = now();
            UserRecord {
                user_id: user_id.to_string(),
                created_at: created.clone(),
                updated_at: created,
                ..Default::default()
            }
        }
    };
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    let mut record: UserRecord = merge(&current, fields, &allowed)?;
    if fields.contains_key("budget_duration") {
        record.limits.budget_reset_at = record.limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    let spend = spend_field(fields)?;
    record.updated_at = now();
    core.commit(&[Write::User(&record)]).await?;
    let entry = core.gateway.registry.users.put(record);
    if let Some(s) = spend {
        core.set_spend(Entity::User, &entry.record.user_id, &entry.counters, s).await;
    }
    Ok(entry.snapshot())
}

/// `/user/delete`: the users and their keys.
pub async fn delete(core: &Core, user_ids: Vec<String>) -> Result<DeletedUsers, AdminError> {
    for id in &user_ids {
        user_or_404(core, id)?;
    }
    let registry = &core.gateway.registry;
    let keys: Vec<String> = registry
        .keys
        .all()
        .iter()
        .filter(|k| k.record.user_id.as_ref().is_some_and(|u| user_ids.contains(u)))
        .map(|k| k.record.token.clone())
        .collect();
    let mut writes: Vec<Write> = keys.iter().map(|k| Write::Delete(Entity::Key, k)).collect();
    writes.extend(user_ids.iter().map(|u| Write::Delete(Entity::User, u)));
    core.commit(&writes).await?;
    for k in &keys {
        registry.keys.remove(k);
    }
    for u in &user_ids {
        registry.users.remove(u);
    }
    Ok(DeletedUsers { deleted_users: user_ids, deleted_keys: keys.len() })
}

/// `/user/list`'s filters and page.
#[derive(Debug, Default)]
pub struct UserQuery {
    pub role: Option<String>,
    pub team: Option<String>,
    /// `organization_ids`: members of these organizations only.
    pub organizations: Vec<String>,
    pub page: usize,
    pub page_size: usize,
}

/// `/user/list`: every user for readers of everything; an organization's admin lists the
/// members of the organizations it administers (of those asked for, when any are).
pub fn list(core: &Core, caller: &Principal, q: &UserQuery) -> Result<UserList, AdminError> {
    let mut organizations = q.organizations.clone();
    if !caller.may_read_all() {
        let administered: Vec<String> = access::org_roles(core, caller)
            .into_iter()
            .filter(|(_, role)| role == access::ORG_ADMIN)
            .map(|(organization, _)| organization)
            .collect();
        if administered.is_empty() {
            return Err(AdminError::Forbidden("Only proxy admins and organization admins can list users.".into()));
        }
        if organizations.is_empty() {
            organizations = administered;
        } else {
            organizations.retain(|o| administered.contains(o));
            if organizations.is_empty() {
                return Err(AdminError::Forbidden(
                    "You do not have org_admin access to the requested organization(s).".into(),
                ));
            }
        }
    }
    let mut users = core.gateway.registry.users.all();
    if !organizations.is_empty() {
        let members: Vec<String> = organizations
            .iter()
            .filter_map(|o| core.gateway.registry.organizations.get(o))
            .flat_map(|o| o.record.member_roles.iter().map(|(user, _)| user.clone()).collect::<Vec<_>>())
            .collect();
        users.retain(|u| members.contains(&u.record.user_id));
    }
    if let Some(role) = &q.role {
        users.retain(|u| u.record.user_role.as_ref() == Some(role));
    }
    if let Some(team) = &q.team {
        users.retain(|u| u.record.teams.contains(team));
    }
    users.sort_by(|a, b| a.record.created_at.cmp(&b.record.created_at).then(a.record.user_id.cmp(&b.record.user_id)));
    let page_number = q.page.max(1);
    let (rows, total_pages) = page(&users, page_number, q.page_size);
    Ok(UserList {
        users: rows.iter().map(|u| u.snapshot()).collect(),
        total: users.len(),
        page: page_number,
        page_size: q.page_size,
        total_pages,
    })
}

/// Whether a caller sees only its own data (a key that may not read everything).
pub fn is_plain_key(caller: &Principal) -> bool {
    caller.key().is_some() && !caller.may_read_all()
}
