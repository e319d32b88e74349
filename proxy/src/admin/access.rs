//! Who may call which management route, and on what, as LiteLLM decides it: first by role
//! (its `route_checks.py`), then by ownership inside each route (its key and team endpoints).
//!
//! - `proxy_admin` (and the master key): everything.
//! - `proxy_admin_viewer`: every read; any write is refused (403).
//! - `internal_user`: its own keys (`/key/generate|update|delete|regenerate`, keys made for
//!   itself only), its own spend rows; as a team's `admin` member, that team's keys and members.
//! - `internal_user_viewer`: reads only (its keys, user, teams, spend rows).
//! - a key without a role: its own key, team, user and spend rows.
//!
//! - an organization's `org_admin` member (any role above): that organization (`/organization/info`,
//!   `/update`, `/member_*`), its teams (create, change, delete, block, their members) and the
//!   users in it (`/user/list`); what an organization's other members may do is their role's.
//!
//! Info routes (`/key/info`, `/team/info`, ...) are open to every key and answer only what the
//! caller may see. Anything else a non-admin calls is refused with LiteLLM's 401 "Only proxy
//! admin can be used to ...".

use serde_json::Value;

use super::{AdminError, Core, Fields};
use crate::auth::access::{ModelFacts, list_allows, python_list};
use crate::auth::{Principal, Role};
use crate::store::{KeyRecord, TeamRecord};

/// Routes every key may call; each answers with what the caller may see.
const INFO_ROUTES: &[&str] =
    &["/key/info", "/key/list", "/team/info", "/team/list", "/v2/team/list", "/user/info", "/model_group/info"];
/// What an `internal_user` may do to its own keys.
const KEY_ROUTES: &[&str] = &[
    "/key/generate",
    "/key/update",
    "/key/delete",
    "/key/regenerate",
    "/key/{key}/regenerate",
    "/key/block",
    "/key/unblock",
];
/// Spend rows, scoped to the caller inside the route.
const SPEND_ROUTES: &[&str] = &["/spend/logs"];
/// Routes that decide for themselves (a team's admins manage its members).
const SELF_MANAGED_ROUTES: &[&str] = &["/team/member_add", "/team/member_delete", "/team/member_update"];

/// Organization routes only the organization's admins (and proxy admins) may call (LiteLLM's
/// `org_admin_only_routes`); each checks the organization the request names.
const ORG_ADMIN_ONLY_ROUTES: &[&str] =
    &["/organization/info", "/organization/member_add", "/organization/member_update", "/organization/member_delete"];
/// Management routes an organization's admin reaches for what is in its organizations; each
/// checks the organization it acts on, and refuses as the route check would for anything else.
const ORG_ADMIN_ROUTES: &[&str] = &[
    "/organization/update",
    "/team/new",
    "/team/update",
    "/team/delete",
    "/team/block",
    "/team/unblock",
    "/user/new",
    "/user/update",
    "/user/delete",
    "/user/list",
];

/// An organization member's role that administers the organization.
pub const ORG_ADMIN: &str = "org_admin";

/// Team members with the `user` role may call these on their team's keys (LiteLLM's default
/// `team_member_permissions`).
const MEMBER_DEFAULT_PERMISSIONS: &[&str] = &["/key/info", "/key/health"];

/// The role check of a management route (its path). `write` is any method but GET and HEAD;
/// `organizations` are the caller's organizations and its role in each ([`org_roles`]).
pub fn check_route(
    caller: &Principal,
    path: &str,
    write: bool,
    organizations: &[(String, String)],
) -> Result<(), AdminError> {
    // The route as declared: a key in the path (`/key/sk-.../regenerate`) stays out of messages.
    let route = match path.strip_prefix("/key/").and_then(|p| p.strip_suffix("/regenerate")) {
        Some(key) if !key.is_empty() => "/key/{key}/regenerate",
        _ => path,
    };
    let role = caller.role();
    if role == Role::Admin || INFO_ROUTES.contains(&route) {
        return Ok(());
    }
    let allowed = match role {
        Role::Viewer if !write => true,
        Role::Viewer => {
            return Err(AdminError::Forbidden(format!(
                "user not allowed to access this route, role= proxy_admin_viewer. Trying to access: {route}"
            )));
        }
        Role::Member => KEY_ROUTES.contains(&route) || SPEND_ROUTES.contains(&route),
        // LiteLLM refuses spend rows to a key without a role; Switchboard shows such a key its
        // own rows (as it always has: what it spent is no one else's business).
        Role::MemberViewer | Role::Plain => SPEND_ROUTES.contains(&route),
        Role::Admin => false,
    };
    if allowed || SELF_MANAGED_ROUTES.contains(&route) {
        return Ok(());
    }
    check_organization_route(caller, route, organizations)
}

/// The role check of the routes an organization's members may reach (LiteLLM's
/// `organization_role_based_access_check` before the route); any other is for proxy admins.
fn check_organization_route(
    caller: &Principal,
    route: &str,
    organizations: &[(String, String)],
) -> Result<(), AdminError> {
    let is_org_route = ORG_ADMIN_ONLY_ROUTES.contains(&route) || route == "/organization/delete";
    if is_org_route && organizations.is_empty() {
        return Err(AdminError::Unauthorized(format!(
            "Tried to access route={route} but you are not a member of any organization. Please contact the \
             proxy admin to request access."
        )));
    }
    if route == "/organization/delete" {
        return Err(AdminError::Unauthorized("Only proxy admins can delete organizations".into()));
    }
    let administers_one = organizations.iter().any(|(_, role)| role == ORG_ADMIN);
    if ORG_ADMIN_ONLY_ROUTES.contains(&route)
        || (route == "/organization/list" && !organizations.is_empty())
        || (ORG_ADMIN_ROUTES.contains(&route) && administers_one)
    {
        return Ok(());
    }
    Err(admin_only(caller, route))
}

/// The organizations the caller's user is a member of, with its role in each.
pub fn org_roles(core: &Core, caller: &Principal) -> Vec<(String, String)> {
    let Some(user) = caller.user_id() else { return Vec::new() };
    core.gateway
        .registry
        .organizations
        .all()
        .iter()
        .filter_map(|o| {
            let (_, role) = o.record.member_roles.iter().find(|(member, _)| member == user)?;
            Some((o.record.organization_id.clone(), role.clone()))
        })
        .collect()
}

/// The caller's role in an organization, when its user is a member.
fn org_role(core: &Core, caller: &Principal, organization_id: &str) -> Option<String> {
    let user = caller.user_id()?;
    let organization = core.gateway.registry.organizations.get(organization_id)?;
    organization.record.member_roles.iter().find(|(member, _)| member == user).map(|(_, role)| role.clone())
}

/// Proxy admins, and the organization's `org_admin` members, administer an organization.
pub fn administers(core: &Core, caller: &Principal, organization_id: &str) -> bool {
    caller.is_admin() || org_role(core, caller, organization_id).as_deref() == Some(ORG_ADMIN)
}

/// LiteLLM's check of an organization-admin route on the organization the request names (401).
pub fn check_org_admin(core: &Core, caller: &Principal, organization_id: &str, route: &str) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    match org_role(core, caller, organization_id) {
        Some(role) if role == ORG_ADMIN => Ok(()),
        Some(role) => Err(AdminError::Unauthorized(format!(
            "You do not have the required role to perform {route} in Organization {organization_id}. Your role is \
             {role} in Organization {organization_id}"
        ))),
        None => Err(AdminError::Unauthorized(format!(
            "You do not have a role within the selected organization. Passed organization_id: {organization_id}. \
             Please contact the organization admin to request access."
        ))),
    }
}

/// A management route an organization admin reaches ([`ORG_ADMIN_ROUTES`]) acting on an
/// organization it does not administer: refused as the route check refuses a non-admin.
pub fn check_administers(
    core: &Core,
    caller: &Principal,
    organization_id: Option<&str>,
    route: &str,
) -> Result<(), AdminError> {
    match organization_id {
        _ if caller.is_admin() => Ok(()),
        Some(o) if administers(core, caller, o) => Ok(()),
        _ => Err(admin_only(caller, route)),
    }
}

/// `/team/new` by a member of organizations: the team must be in one, which it administers
/// (LiteLLM's 401s).
pub fn check_new_team(core: &Core, caller: &Principal, fields: &Fields) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    let Some(organization_id) = fields.get("organization_id").and_then(Value::as_str) else {
        let organizations: Vec<String> = org_roles(core, caller).into_iter().map(|(o, _)| o).collect();
        return Err(AdminError::Unauthorized(format!(
            "Passed organization_id is None, please specify the organization_id in your request. You are part \
             of multiple organizations: {}",
            python_list(&organizations)
        )));
    };
    match org_role(core, caller, organization_id) {
        Some(role) if role == ORG_ADMIN => Ok(()),
        role => Err(AdminError::Unauthorized(format!(
            "You do not have the required role to call /team/new. Your role is {} in Organization {organization_id}",
            role.as_deref().unwrap_or("None")
        ))),
    }
}

/// Whether the caller administers the organization of a team.
fn administers_team_organization(core: &Core, caller: &Principal, team: &TeamRecord) -> bool {
    team.organization_id.as_deref().is_some_and(|o| org_role(core, caller, o).as_deref() == Some(ORG_ADMIN))
}

/// `/key/block` and `/key/unblock` by a non-admin: the admins of the key's team and of the
/// team's organization may (LiteLLM's `_check_key_admin_access`, 403 otherwise).
pub fn check_key_admin(core: &Core, caller: &Principal, key: &KeyRecord, route: &str) -> Result<(), AdminError> {
    if caller.is_admin() || team_of(core, key).is_some_and(|team| manages_team(core, caller, &team)) {
        return Ok(());
    }
    Err(AdminError::Forbidden(format!(
        "Only proxy admins, team admins, or org admins can call {route}. user_role={}, user_id={}",
        caller.role().litellm_name(),
        or_none(caller.user_id())
    )))
}

/// `/team/update`, `/team/delete`, `/team/block|unblock` by a non-admin: the team must be in an
/// organization the caller administers; moving it to another needs that one's admin too.
pub fn check_team_change(
    core: &Core,
    caller: &Principal,
    team: &TeamRecord,
    fields: Option<&Fields>,
    route: &str,
) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    if !administers_team_organization(core, caller, team) {
        return Err(admin_only(caller, route));
    }
    let destination = fields.and_then(|f| f.get("organization_id")).and_then(Value::as_str).filter(|o| !o.is_empty());
    match destination {
        Some(o) if Some(o) != team.organization_id.as_deref() && !administers(core, caller, o) => {
            Err(AdminError::Forbidden(
                "Relocating a team to a different organization requires PROXY_ADMIN or org-admin of the destination \
                 org."
                    .into(),
            ))
        }
        _ => Ok(()),
    }
}

/// LiteLLM's refusal of a route only proxy admins may call.
pub fn admin_only(caller: &Principal, route: &str) -> AdminError {
    let user_id = caller.user_id().map(mask_user_id).unwrap_or_else(|| "unknown".into());
    AdminError::Unauthorized(format!(
        "Authentication Error, Only proxy admin can be used to generate, delete, update info for new \
         keys/users/teams. Route={route}. Your role={}. Your user_id={user_id}",
        caller.role().litellm_name()
    ))
}

/// A user id as LiteLLM's refusals show it: the first 6 and last 2 characters (ids of 4
/// characters or fewer are hidden, ids shorter than 8 shown whole, as its masker does).
fn mask_user_id(user_id: &str) -> String {
    let chars: Vec<char> = user_id.chars().collect();
    if chars.len() <= 4 {
        return "***".into();
    }
    if chars.len() < 8 {
        return user_id.to_string();
    }
    let head: String = chars.iter().take(6).collect();
    let tail: String = chars.iter().skip(chars.len() - 2).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// `None` as LiteLLM's messages print a missing id.
fn or_none(id: Option<&str>) -> &str {
    id.unwrap_or("None")
}

/// The caller's role in a team (`admin` or `user`), when its user is a member.
pub fn team_role<'t>(caller: &Principal, team: &'t TeamRecord) -> Option<&'t str> {
    let user = caller.user_id()?;
    team.members_with_roles.iter().find(|m| m.user_id.as_deref() == Some(user)).map(|m| m.role.as_str())
}

/// Admins, the team's `admin` members and its organization's admins manage a team's members
/// (LiteLLM's `TEAM_OR_ORG_ADMIN`).
fn manages_team(core: &Core, caller: &Principal, team: &TeamRecord) -> bool {
    caller.is_admin() || team_role(caller, team) == Some("admin") || administers_team_organization(core, caller, team)
}

/// LiteLLM's refusal of a team route to someone who is neither a proxy admin nor the team's admin.
pub fn check_team_admin(core: &Core, caller: &Principal, team: &TeamRecord, route: &str) -> Result<(), AdminError> {
    if manages_team(core, caller, team) {
        return Ok(());
    }
    Err(AdminError::Forbidden(format!(
        "Call not allowed. User not proxy admin OR team admin. route={route}, team_id={}",
        team.team_id
    )))
}

/// Whether the caller may read a team: readers of everything, the team's own keys, its members,
/// its organization's admins.
pub fn check_team_read(core: &Core, caller: &Principal, team: &TeamRecord) -> Result<(), AdminError> {
    let own_team = caller.key().and_then(|k| k.record.team_id.as_deref()) == Some(team.team_id.as_str());
    if caller.may_read_all()
        || own_team
        || team_role(caller, team).is_some()
        || administers_team_organization(core, caller, team)
    {
        return Ok(());
    }
    Err(AdminError::Forbidden(format!(
        "User={} not authorized to access this team={}",
        or_none(caller.user_id()),
        team.team_id
    )))
}

/// Whether the caller may see a key (`/key/info`, `/key/list`): readers of everything, the key
/// itself, its user's keys, and the keys of teams it administers.
pub fn may_see_key(core: &Core, caller: &Principal, key: &KeyRecord) -> bool {
    if caller.may_read_all() || caller.key().is_some_and(|k| k.record.token == key.token) {
        return true;
    }
    if caller.user_id().is_some() && key.user_id.as_deref() == caller.user_id() {
        return true;
    }
    team_of(core, key).is_some_and(|t| team_role(caller, &t) == Some("admin"))
}

/// Whose keys a non-admin lists: its user's, and the teams it administers.
pub struct KeyListScope {
    pub user_id: String,
    pub admin_teams: Vec<String>,
}

/// `/key/list`'s checks for a key that may not read everything, with LiteLLM's refusals (403):
/// a user of its own, its own user's keys, its own teams', keys it may see. `None`: no limit.
pub fn key_list_scope(
    core: &Core,
    caller: &Principal,
    user_id: Option<&str>,
    team_id: Option<&str>,
    key_hash: Option<&str>,
) -> Result<Option<KeyListScope>, AdminError> {
    if caller.may_read_all() {
        return Ok(None);
    }
    let Some(own) = caller.user_id() else {
        return Err(AdminError::Forbidden(
            "You are not authorized to access this endpoint. No 'user_id' is associated with your API key.".into(),
        ));
    };
    if user_id.is_some_and(|u| u != own) {
        return Err(AdminError::Forbidden("You are not authorized to check another user's keys".into()));
    }
    let teams: Vec<TeamRecord> = core.gateway.registry.teams.all().iter().map(|t| t.snapshot()).collect();
    if let Some(t) = team_id
        && !teams.iter().any(|team| team.team_id == t && team_role(caller, team).is_some())
    {
        return Err(AdminError::Forbidden("You are not authorized to check this team's keys".into()));
    }
    if let Some(h) = key_hash
        && core.gateway.registry.keys.get(h).is_some_and(|k| !may_see_key(core, caller, &k.record))
    {
        return Err(AdminError::Forbidden(format!(
            "You are not allowed to access this key's info. Your role={}",
            caller.role().litellm_name()
        )));
    }
    let admin_teams =
        teams.iter().filter(|t| team_role(caller, t) == Some("admin")).map(|t| t.team_id.clone()).collect();
    Ok(Some(KeyListScope { user_id: own.to_string(), admin_teams }))
}

fn team_of(core: &Core, key: &KeyRecord) -> Option<TeamRecord> {
    key.team_id.as_deref().and_then(|t| core.gateway.registry.teams.get(t)).map(|t| t.snapshot())
}

/// LiteLLM's refusal of a team member whose team role does not allow `route`.
fn member_permission(route: &str, team_id: &str) -> AdminError {
    AdminError::TeamPermission {
        message: format!(
            "Team member does not have permissions for endpoint: {route}. You only have access to the \
             following endpoints: {} for team {team_id}. To create keys for this team, please ask your proxy \
             admin to check the team member permission settings and update the settings to allow team member \
             users to create keys.",
            python_list(&MEMBER_DEFAULT_PERMISSIONS.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        ),
        route: route.to_string(),
    }
}

/// A non-admin acting for a team: its `admin` members may; its `user` members are refused
/// (LiteLLM's default team member permissions allow reads only); others are not in the team.
fn check_team_key_route(caller: &Principal, team: &TeamRecord, route: &str) -> Result<(), AdminError> {
    match team_role(caller, team) {
        Some("admin") => Ok(()),
        Some(_) => Err(member_permission(route, &team.team_id)),
        None => Err(AdminError::invalid(
            format!("User={} not assigned to team={}", or_none(caller.user_id()), team.team_id),
            Some("team_id"),
        )),
    }
}

/// Members of a key body only admins may set: Switchboard's admin marker (`metadata.role`, which
/// would otherwise let a user make itself an admin key), spend and the blocked flag (which would
/// undo what an admin decided).
fn check_admin_fields(fields: &Fields) -> Result<(), AdminError> {
    let role_in_metadata = fields.get("metadata").and_then(Value::as_object).is_some_and(|m| m.contains_key("role"));
    let set = |f: &str| fields.get(f).is_some_and(|v| !v.is_null());
    let field =
        if role_in_metadata { Some("metadata.role") } else { ["spend", "blocked"].into_iter().find(|f| set(f)) };
    match field {
        Some(f) => Err(AdminError::Forbidden(format!("Only a proxy admin may set {f} on a key"))),
        None => Ok(()),
    }
}

/// The models a non-admin may grant a key: only what its user (and the key's team) may use, in
/// LiteLLM's words for the same rule on `/team/new` ("Model not in allowed user models").
fn check_models(core: &Core, caller: &Principal, fields: &Fields, team: Option<&TeamRecord>) -> Result<(), AdminError> {
    let Some(models) = fields.get("models").and_then(Value::as_array) else { return Ok(()) };
    let user = caller.user_id().and_then(|u| core.gateway.registry.users.get(u)).map(|u| u.snapshot());
    for model in models.iter().filter_map(Value::as_str) {
        if model == "all-team-models" && team.is_some() {
            continue;
        }
        if let Some(user) = &user
            && !grants(core, &user.models, model)
        {
            return Err(AdminError::invalid(
                format!(
                    "Model not in allowed user models. User allowed models={}. User id={}",
                    python_list(&user.models),
                    user.user_id
                ),
                Some("models"),
            ));
        }
        if let Some(team) = team
            && !grants(core, &team.models, model)
        {
            return Err(AdminError::invalid(
                format!(
                    "Model not in allowed team models. Team allowed models={}. Team id={}",
                    python_list(&team.models),
                    team.team_id
                ),
                Some("models"),
            ));
        }
    }
    Ok(())
}

/// Whether an allow-list covers a model entry a key asks for: everything when the list is
/// unrestricted, the entry itself, or the model group the entry names when the list allows it.
fn grants(core: &Core, list: &[String], entry: &str) -> bool {
    if list.is_empty() || list.iter().any(|m| m == entry || m == "*" || m == "all-proxy-models") {
        return true;
    }
    core.gateway.group(entry).is_some_and(|g| {
        list_allows(
            list,
            &ModelFacts { name: &g.name, provider_models: &g.provider_models, access_groups: &g.access_groups },
        )
    })
}

/// `/key/generate` by a non-admin: the key is its own (`user_id` is set to the caller's when
/// absent, another user's is refused), a team key needs the team's `admin` role, and the key may
/// not be given models its user or team may not use.
pub fn check_new_key(core: &Core, caller: &Principal, fields: &mut Fields) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    let own = caller.user_id().map(str::to_string);
    // The role came from the key's own metadata: without a user there is no one to make keys for.
    if own.is_none() {
        return Err(admin_only(caller, "/key/generate"));
    }
    match (fields.get("user_id").and_then(Value::as_str), &own) {
        (Some(asked), own) if Some(asked) != own.as_deref() => {
            return Err(AdminError::Forbidden(format!(
                "User can only create keys for themselves. Got user_id={asked}, Your ID={}",
                or_none(own.as_deref())
            )));
        }
        (None, Some(own)) => {
            fields.insert("user_id".into(), Value::from(own.clone()));
        }
        _ => {}
    }
    check_admin_fields(fields)?;
    let team = fields.get("team_id").and_then(Value::as_str).and_then(|t| core.gateway.registry.teams.get(t));
    let team = team.map(|t| t.snapshot());
    if let Some(team) = &team {
        check_team_key_route(caller, team, "/key/generate")?;
    }
    check_models(core, caller, fields, team.as_ref())
}

/// A non-admin changing or deleting an existing key (`route`): a team key needs the team's
/// `admin` role (its `user` members are refused); any other key must be the caller's user's.
pub fn check_key_change(core: &Core, caller: &Principal, key: &KeyRecord, route: &str) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    if let Some(team) = team_of(core, key) {
        match team_role(caller, &team) {
            Some("admin") => return Ok(()),
            Some(_) => return Err(member_permission(route, &team.team_id)),
            None if route == "/key/delete" && key.user_id.as_deref() != caller.user_id() => {
                return Err(AdminError::invalid(
                    format!("User={} not assigned to team={}", or_none(caller.user_id()), team.team_id),
                    Some("team_id"),
                ));
            }
            None => {}
        }
    }
    if caller.user_id().is_some() && key.user_id.as_deref() == caller.user_id() {
        return Ok(());
    }
    Err(AdminError::Forbidden(match route {
        "/key/delete" => "You are not authorized to delete this key".to_string(),
        _ => format!(
            "User can only create keys for themselves. Got user_id={}, Your ID={}",
            or_none(key.user_id.as_deref()),
            or_none(caller.user_id())
        ),
    }))
}

/// `/key/update` (and regenerate) by a non-admin, after `check_key_change`: the key stays its
/// user's, moves only to a team the caller administers, and gets no models beyond its user's
/// and team's.
pub fn check_key_update(core: &Core, caller: &Principal, key: &KeyRecord, fields: &Fields) -> Result<(), AdminError> {
    if caller.is_admin() {
        return Ok(());
    }
    if let Some(asked) = fields.get("user_id").and_then(Value::as_str)
        && Some(asked) != key.user_id.as_deref()
    {
        return Err(AdminError::Forbidden(format!(
            "User={asked} is not allowed to update key={} to belong to user={}",
            key.token,
            or_none(key.user_id.as_deref())
        )));
    }
    check_admin_fields(fields)?;
    let team_id = match fields.get("team_id") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(_) => None,
        None => key.team_id.as_deref(),
    };
    let team = team_id.and_then(|t| core.gateway.registry.teams.get(t)).map(|t| t.snapshot());
    if let Some(team) = &team
        && team_id != key.team_id.as_deref()
    {
        check_team_key_route(caller, team, "/key/update")?;
    }
    check_models(core, caller, fields, team.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::registry::Table;

    fn key_with(role: Role, user: Option<&str>) -> Principal {
        let entry = Table::<KeyRecord>::default().put(KeyRecord {
            token: "t".into(),
            user_id: user.map(str::to_string),
            ..Default::default()
        });
        Principal::Key(entry, role)
    }

    #[test]
    fn routes_by_role_as_litellm_checks_them() {
        let member = key_with(Role::Member, Some("ana@example.com"));
        assert!(check_route(&member, "/key/generate", true, &[]).is_ok());
        assert!(check_route(&member, "/key/list", false, &[]).is_ok());
        assert!(check_route(&member, "/spend/logs", false, &[]).is_ok());
        assert!(check_route(&member, "/team/member_add", true, &[]).is_ok(), "decided by the route");
        let refused = check_route(&member, "/team/new", true, &[]).unwrap_err();
        assert_eq!(refused.classify().0, 401);
        assert_eq!(
            refused.to_string(),
            "Authentication Error, Only proxy admin can be used to generate, delete, update info for new \
             keys/users/teams. Route=/team/new. Your role=internal_user. Your user_id=ana@ex*******om"
        );
        let viewer = key_with(Role::MemberViewer, Some("bo"));
        assert!(check_route(&viewer, "/spend/logs", false, &[]).is_ok());
        assert!(check_route(&viewer, "/key/info", false, &[]).is_ok());
        assert_eq!(check_route(&viewer, "/key/generate", true, &[]).unwrap_err().classify().0, 401);
        let admin_viewer = key_with(Role::Viewer, None);
        assert!(check_route(&admin_viewer, "/global/spend/keys", false, &[]).is_ok());
        let e = check_route(&admin_viewer, "/key/generate", true, &[]).unwrap_err();
        assert_eq!(e.classify().0, 403);
        assert_eq!(
            e.to_string(),
            "user not allowed to access this route, role= proxy_admin_viewer. Trying to access: /key/generate"
        );
        let plain = key_with(Role::Plain, None);
        assert!(check_route(&plain, "/key/info", false, &[]).is_ok());
        assert!(
            check_route(&plain, "/key/generate", true, &[])
                .unwrap_err()
                .to_string()
                .contains("Your role=unknown. Your user_id=unknown")
        );
        assert!(check_route(&Principal::Master, "/user/delete", true, &[]).is_ok());
    }

    #[test]
    fn organization_members_reach_the_routes_of_their_role_in_it() {
        let member = key_with(Role::Member, Some("ana@example.com"));
        let none: &[(String, String)] = &[];
        let admin_of = [("org-1".to_string(), ORG_ADMIN.to_string())];
        let user_in = [("org-1".to_string(), "internal_user".to_string())];
        let refused = check_route(&member, "/organization/info", false, none).unwrap_err();
        assert_eq!(refused.classify().0, 401);
        assert_eq!(
            refused.to_string(),
            "Tried to access route=/organization/info but you are not a member of any organization. Please contact \
             the proxy admin to request access."
        );
        // The route itself checks the member's role in the organization the request names.
        assert!(check_route(&member, "/organization/member_add", true, &user_in).is_ok());
        assert!(check_route(&member, "/organization/list", false, &user_in).is_ok());
        assert_eq!(check_route(&member, "/organization/list", false, none).unwrap_err().classify().0, 401);
        for route in [
            "/team/new",
            "/team/update",
            "/team/delete",
            "/user/new",
            "/user/delete",
            "/user/list",
            "/organization/update",
        ] {
            assert!(check_route(&member, route, true, &admin_of).is_ok(), "{route}");
            assert!(check_route(&member, route, true, &user_in).unwrap_err().to_string().contains("Only proxy admin"));
        }
        let delete = check_route(&member, "/organization/delete", true, &admin_of).unwrap_err();
        assert_eq!(delete.to_string(), "Only proxy admins can delete organizations");
        assert!(
            check_route(&member, "/organization/new", true, &admin_of)
                .unwrap_err()
                .to_string()
                .contains("Only proxy admin")
        );
        assert!(check_route(&member, "/model/new", true, &admin_of).is_err(), "not an organization admin's route");
    }

    #[test]
    fn user_ids_are_masked_as_litellm_masks_them() {
        assert_eq!(mask_user_id("bo"), "***");
        assert_eq!(mask_user_id("carlos"), "carlos");
        assert_eq!(mask_user_id("1234567890"), "123456**90");
    }
}
