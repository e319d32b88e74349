//! The bodies of LiteLLM's management routes, as the OpenAPI document and the panel's types
//! describe them. The core reads these bodies as [`super::Fields`] — which members are present
//! matters (merge-patch: a member set to null clears it, one left out keeps its value) — and
//! checks each member it uses; these types say what each member may be.

#![allow(dead_code)] // Read by the OpenAPI document, not by the code.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::store::Member;

/// A member sent as null reads as absent (LiteLLM's clients send null for "not set").
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Budget and rate limits a key, team or user may be given.
#[derive(Deserialize, ToSchema)]
pub struct LimitFields {
    /// USD; requests are refused once `spend` reaches it.
    pub max_budget: Option<f64>,
    /// USD; below `max_budget`: crossing it only warns.
    pub soft_budget: Option<f64>,
    /// `30s`, `1h`, `7d`, `1mo`, ...: how often `spend` goes back to zero.
    pub budget_duration: Option<String>,
    pub tpm_limit: Option<u64>,
    pub rpm_limit: Option<u64>,
    pub max_parallel_requests: Option<u64>,
}

/// The members of a key that `/key/generate` sets and `/key/update` changes.
#[derive(Deserialize, ToSchema)]
pub struct KeyFields {
    /// Unique across keys. (`/key/update` names the key by it when `key` is absent.)
    pub key_alias: Option<String>,
    pub team_id: Option<String>,
    /// A user made on first mention.
    pub user_id: Option<String>,
    /// Model groups the key may call (empty: all its team and user may).
    pub models: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub aliases: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub tags: Option<Vec<String>>,
    /// How long the key lives from now (`30d`, ...; `-1`: forever).
    pub duration: Option<String>,
    pub blocked: Option<bool>,
    /// The key's spend (USD).
    pub spend: Option<f64>,
    #[serde(flatten)]
    pub limits: LimitFields,
}

/// `/key/generate`.
#[derive(Deserialize, ToSchema)]
pub struct GenerateKeyRequest {
    /// The clear key to use (`sk-...`, 16 characters at least); made when absent.
    pub key: Option<String>,
    #[serde(flatten)]
    pub fields: KeyFields,
}

/// `/key/update`: the key named by `key` (clear or hash) or `key_alias`; members sent change.
#[derive(Deserialize, ToSchema)]
pub struct UpdateKeyRequest {
    pub key: Option<String>,
    #[serde(flatten)]
    pub fields: KeyFields,
}

/// `/key/regenerate` (and `/key/{key}/regenerate`): a new clear key for the same record.
#[derive(Deserialize, ToSchema)]
pub struct RegenerateKeyRequest {
    /// The key to replace (clear or hash); in the path for `/key/{key}/regenerate`.
    pub key: Option<String>,
    /// The new clear key; made when absent.
    pub new_key: Option<String>,
    pub duration: Option<String>,
    pub models: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub limits: LimitFields,
}

/// `/key/delete`.
#[derive(Deserialize, ToSchema)]
pub struct DeleteKeysRequest {
    /// Clear keys or hashes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub keys: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub key_aliases: Vec<String>,
}

/// `/key/block`, `/key/unblock`: the key by `key` (clear or hash) or `key_alias`.
#[derive(Deserialize, ToSchema)]
pub struct KeyNameRequest {
    pub key: Option<String>,
    pub key_alias: Option<String>,
}

/// The members of a team that `/team/new` sets and `/team/update` changes.
#[derive(Deserialize, ToSchema)]
pub struct TeamFields {
    pub team_alias: Option<String>,
    pub models: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub blocked: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub model_aliases: Option<Map<String, Value>>,
    pub tags: Option<Vec<String>>,
    /// The organization the team joins (it must exist): its budget limits the team's calls.
    pub organization_id: Option<String>,
    /// The budget (USD) of each member without a `max_budget_in_team` of its own (0: none).
    pub team_member_budget: Option<f64>,
    #[serde(flatten)]
    pub limits: LimitFields,
}

/// `/team/new`.
#[derive(Deserialize, ToSchema)]
pub struct NewTeamRequest {
    /// Made when absent.
    pub team_id: Option<String>,
    pub members_with_roles: Option<Vec<Member>>,
    #[serde(flatten)]
    pub fields: TeamFields,
}

/// `/team/update`: `team_id` names the team; members sent change.
#[derive(Deserialize, ToSchema)]
pub struct UpdateTeamRequest {
    pub team_id: String,
    /// Sets the team's spend (USD).
    pub spend: Option<f64>,
    #[serde(flatten)]
    pub fields: TeamFields,
}

/// `/team/block`, `/team/unblock`.
#[derive(Deserialize, ToSchema)]
pub struct TeamIdRequest {
    pub team_id: String,
}

/// `/team/delete`.
#[derive(Deserialize, ToSchema)]
pub struct DeleteTeamsRequest {
    pub team_ids: Vec<String>,
}

/// `/team/member_add`: one member or several. A member named by `user_email` alone is the user
/// with that email (made when there is none).
#[derive(Deserialize, ToSchema)]
pub struct MemberAddRequest {
    pub team_id: String,
    pub member: Members,
    /// The members' budget in this team (USD).
    pub max_budget_in_team: Option<f64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Members {
    One(Member),
    Many(Vec<Member>),
}

/// `/team/member_delete`: the member by `user_id` or `user_email`.
#[derive(Deserialize, ToSchema)]
pub struct MemberDeleteRequest {
    pub team_id: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
}

/// `/team/member_update`: the member by `user_id` or `user_email`; `role` and
/// `max_budget_in_team` change when sent.
#[derive(Deserialize, ToSchema)]
pub struct MemberUpdateRequest {
    pub team_id: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    /// `admin` or `user`.
    pub role: Option<String>,
    /// The member's budget in this team (USD).
    pub max_budget_in_team: Option<f64>,
}

/// The members of a user that `/user/new` sets and `/user/update` changes.
#[derive(Deserialize, ToSchema)]
pub struct UserFields {
    pub user_email: Option<String>,
    pub user_alias: Option<String>,
    /// `proxy_admin`, `proxy_admin_viewer`, `internal_user` (default), `internal_user_viewer`.
    pub user_role: Option<String>,
    pub teams: Option<Vec<String>>,
    pub models: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub limits: LimitFields,
}

/// `/user/new`: the user, and (unless `auto_create_key` is false) a key of its own with the key
/// members given here.
#[derive(Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Made when absent.
    pub user_id: Option<String>,
    /// Default true.
    pub auto_create_key: Option<bool>,
    /// The key's alias.
    pub key_alias: Option<String>,
    /// The key's duration.
    pub duration: Option<String>,
    /// The key's model aliases.
    #[schema(value_type = Option<Object>)]
    pub aliases: Option<Map<String, Value>>,
    /// The key's tags.
    pub tags: Option<Vec<String>>,
    /// The key's clear value; made when absent.
    pub key: Option<String>,
    /// Organizations the user joins as an `internal_user` (an organization's admin must name
    /// only its own).
    pub organizations: Option<Vec<String>>,
    #[serde(flatten)]
    pub fields: UserFields,
}

/// `/user/update`: `user_id` names the user; members sent change.
#[derive(Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    pub user_id: String,
    /// Sets the user's spend (USD).
    pub spend: Option<f64>,
    #[serde(flatten)]
    pub fields: UserFields,
}

/// `/user/delete`.
#[derive(Deserialize, ToSchema)]
pub struct DeleteUsersRequest {
    pub user_ids: Vec<String>,
}

/// `/model/delete`.
#[derive(Deserialize, ToSchema)]
pub struct DeleteModelRequest {
    /// `model_info.id` of a model added through `/model/new`.
    pub id: String,
}

/// `/budget/new` and `/budget/update` (which needs `budget_id`): LiteLLM's `BudgetNewRequest`.
#[derive(Deserialize, ToSchema)]
pub struct BudgetRequest {
    /// Made when absent (`/budget/new`).
    pub budget_id: Option<String>,
    pub max_budget: Option<f64>,
    pub soft_budget: Option<f64>,
    pub max_parallel_requests: Option<u64>,
    pub tpm_limit: Option<u64>,
    pub rpm_limit: Option<u64>,
    #[schema(value_type = Option<Object>)]
    pub model_max_budget: Option<Map<String, Value>>,
    /// `30s`, `1h`, `7d`, `1mo`, ...
    pub budget_duration: Option<String>,
    /// The first reset (default: one `budget_duration` from now).
    pub budget_reset_at: Option<String>,
}

/// `/budget/info`: the budgets by id.
#[derive(Deserialize, ToSchema)]
pub struct BudgetIdsRequest {
    pub budgets: Vec<String>,
}

/// `/budget/delete`.
#[derive(Deserialize, ToSchema)]
pub struct DeleteBudgetRequest {
    pub id: String,
}

/// `/organization/new`: the organization, with a budget from the limits here unless `budget_id`
/// names one.
#[derive(Deserialize, ToSchema)]
pub struct NewOrganizationRequest {
    pub organization_alias: String,
    /// Made when absent.
    pub organization_id: Option<String>,
    pub models: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub budget_id: Option<String>,
    pub max_budget: Option<f64>,
    pub soft_budget: Option<f64>,
    pub tpm_limit: Option<u64>,
    pub rpm_limit: Option<u64>,
    pub max_parallel_requests: Option<u64>,
    pub budget_duration: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub model_max_budget: Option<Map<String, Value>>,
}

/// `/organization/update`: `organization_id` names it; members sent change.
#[derive(Deserialize, ToSchema)]
pub struct UpdateOrganizationRequest {
    pub organization_id: String,
    pub organization_alias: Option<String>,
    pub models: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub budget_id: Option<String>,
}

/// `/organization/delete`.
#[derive(Deserialize, ToSchema)]
pub struct DeleteOrganizationsRequest {
    pub organization_ids: Vec<String>,
}

/// `/organization/member_add`: one member or several.
#[derive(Deserialize, ToSchema)]
pub struct OrganizationMemberAddRequest {
    pub organization_id: String,
    pub member: OrgMembers,
    /// Each member's budget in the organization (USD).
    pub max_budget_in_organization: Option<f64>,
}

/// `/organization/member_update`: a member (by `user_id` or `user_email`), its new role and
/// its budget in the organization.
#[derive(Deserialize, ToSchema)]
pub struct OrganizationMemberUpdateRequest {
    pub organization_id: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    /// `org_admin`, `internal_user` or `internal_user_viewer`.
    pub role: Option<String>,
    /// The member's budget in the organization (USD).
    pub max_budget_in_organization: Option<f64>,
}

/// `/organization/member_delete`: a member, by `user_id` or `user_email`.
#[derive(Deserialize, ToSchema)]
pub struct OrganizationMemberDeleteRequest {
    pub organization_id: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum OrgMembers {
    One(crate::admin::organizations::OrgMember),
    Many(Vec<crate::admin::organizations::OrgMember>),
}
