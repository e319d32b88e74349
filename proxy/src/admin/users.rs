//! Internal users, their limits, and (by default) a key of their own.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::keys::{KeyStatus, KeyView, keys_of, prepare_key, save_new_keys};
use super::{
    AdminError, Core, Fields, LIMIT_FIELDS, access, check_limits, merge, next_reset, now, organizations, page,
    spend_field,
};
use crate::auth::Principal;
use crate::auth::registry::{Field, UserEntry};
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

/// The organizations a `/user/new` body names (`organizations`, and LiteLLM's older
/// `organization_id`).
fn named_organizations(fields: &Fields) -> Vec<String> {
    let mut named: Vec<String> = fields
        .get("organizations")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(id) = fields.get("organization_id").and_then(Value::as_str) {
        named.push(id.to_string());
    }
    named.sort();
    named.dedup();
    named
}

/// `/user/new` by an organization's admin (LiteLLM's checks): every organization it names must
/// be one the caller administers, and the user may not be an admin of the proxy.
fn check_new_user(
    core: &Core,
    caller: &Principal,
    fields: &Fields,
    organizations: &[String],
) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    if organizations.is_empty() || !organizations.iter().all(|o| access::administers(core, caller, o)) {
        return Err(access::admin_only(caller, "/user/new"));
    }
    match fields.get("user_role").and_then(Value::as_str) {
        Some(role @ ("proxy_admin" | "proxy_admin_viewer")) => Err(AdminError::Forbidden(format!(
            "Only proxy admins can create administrative users (proxy_admin, proxy_admin_viewer). Attempted to \
             create user with role: {role}. Your role: {}",
            caller.role().litellm_name()
        ))),
        _ => Ok(()),
    }
}

/// `/user/new`: the user and (unless `auto_create_key` is false) its key, written together with
/// its memberships of the `organizations` named (as `internal_user`): a refused key leaves no
/// user behind.
pub async fn create(core: &Core, fields: &Fields, caller: &Principal) -> Result<Value, AdminError> {
    check_limits(fields)?;
    check_role(fields)?;
    let organization_ids = named_organizations(fields);
    check_new_user(core, caller, fields, &organization_ids)?;
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
    let organizations = organizations::with_member(core, &organization_ids, &user_id, "internal_user").await?;
    let mut writes = vec![Write::User(&record)];
    writes.extend(organizations.iter().map(Write::Organization));

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
        let mut saved = save_new_keys(core, vec![key], &writes, &key_fields).await?;
        if let Some(generated) = saved.pop() {
            response = serde_json::to_value(generated.answer).unwrap_or_default();
        }
    } else {
        core.commit(&writes).await?;
    }
    if !organizations.is_empty() {
        organizations::refresh_limits(core).await?;
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
    Ok(UserInfo { keys: keys_of(core, Field::User, &user_id), user_info: entry.snapshot(), user_id, teams })
}

/// What a user who is no proxy admin may not change on its own record (LiteLLM's list).
const SELF_PROTECTED: &[&str] = &["max_budget", "model_max_budget", "soft_budget", "spend", "object_permission"];

/// `/user/update` by a caller that is no proxy admin (an organization's admin, which the route
/// check lets in): its own record only, without its role or budget, as LiteLLM allows.
fn check_user_update(core: &Core, caller: &Principal, user_id: &str, fields: &Fields) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    if fields.get("user_role").is_some_and(|r| !r.is_null()) {
        return Err(AdminError::Forbidden("Only proxy admins can modify user roles.".into()));
    }
    if core.gateway.registry.users.get(user_id).is_none() {
        return Err(AdminError::NotFound(
            "User not found. Only PROXY_ADMIN can create users via /user/update; use /user/new instead.".into(),
        ));
    }
    if caller.user_id() != Some(user_id) {
        return Err(AdminError::Forbidden(
            "User does not have permission to update this user. Only PROXY_ADMIN can update other users.".into(),
        ));
    }
    match SELF_PROTECTED.iter().find(|f| fields.contains_key(**f)) {
        Some(f) => Err(AdminError::Forbidden(format!(
            "Non-admin users cannot modify '{f}' on their own record. Contact your proxy admin."
        ))),
        None => Ok(()),
    }
}

/// `/user/update`. An unknown `user_id` is created with the fields sent (LiteLLM upserts), and
/// nothing else: no role unless one is sent, no key.
pub async fn update(core: &Core, caller: &Principal, fields: &Fields) -> Result<UserRecord, AdminError> {
    check_limits(fields)?;
    check_role(fields)?;
    let user_id = match fields.get("user_id").and_then(Value::as_str) {
        Some(id) if !id.trim().is_empty() => id,
        _ => return Err(AdminError::required("user_id")),
    };
    check_user_update(core, caller, user_id, fields)?;
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

/// `/user/delete` by an organization's admin: only users every organization of whom it
/// administers (LiteLLM's scope check; a user in no organization is for proxy admins).
fn check_user_delete(core: &Core, caller: &Principal, user_id: &str) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    let theirs = organizations::of_user(core, user_id);
    if theirs.is_empty() || !theirs.iter().all(|o| access::administers(core, caller, o)) {
        return Err(AdminError::Forbidden(format!(
            "User {user_id} is not within your admin scope. Only PROXY_ADMIN may delete users outside your \
             administered organizations."
        )));
    }
    Ok(())
}

/// `/user/delete`: the users, their keys and their organization memberships (so that a user
/// made later with the same id inherits no role).
pub async fn delete(core: &Core, caller: &Principal, user_ids: Vec<String>) -> Result<DeletedUsers, AdminError> {
    for id in &user_ids {
        user_or_404(core, id)?;
        check_user_delete(core, caller, id)?;
    }
    let registry = &core.gateway.registry;
    let left = organizations::without_members(core, &user_ids).await?;
    let keys: Vec<String> =
        user_ids.iter().flat_map(|u| registry.keys.with(Field::User, u)).map(|k| k.record.token.clone()).collect();
    let mut writes: Vec<Write> = keys.iter().map(|k| Write::Delete(Entity::Key, k)).collect();
    writes.extend(user_ids.iter().map(|u| Write::Delete(Entity::User, u)));
    writes.extend(left.iter().map(Write::Organization));
    core.commit(&writes).await?;
    for k in &keys {
        registry.keys.remove(k);
    }
    for u in &user_ids {
        registry.users.remove(u);
    }
    if !left.is_empty() {
        organizations::refresh_limits(core).await?;
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
