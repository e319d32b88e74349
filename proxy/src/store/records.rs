//! The governance records, in the shapes LiteLLM's admin API returns them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Budget and rate limits, shared by keys, teams and users.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Limits {
    pub max_budget: Option<f64>,
    pub soft_budget: Option<f64>,
    /// `30s`, `1h`, `7d`, `1mo`, ... : how often `spend` goes back to zero.
    pub budget_duration: Option<String>,
    /// When `spend` next goes back to zero (ISO 8601).
    pub budget_reset_at: Option<String>,
    pub tpm_limit: Option<u64>,
    pub rpm_limit: Option<u64>,
    pub max_parallel_requests: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(from = "FlatKeyRecord")]
pub struct KeyRecord {
    /// SHA-256 hex of the key: its id. The clear key is never stored. (`/key/info` answers it
    /// as `key` and leaves it out here.)
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// `sk-...` plus the last 4 characters, for display.
    pub key_name: String,
    pub key_alias: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    #[serde(default)]
    pub models: Vec<String>,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub aliases: Map<String, Value>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub spend: f64,
    /// ISO 8601; `None` never expires.
    pub expires: Option<String>,
    #[serde(default)]
    pub blocked: bool,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: Option<String>,
    pub last_active: Option<String>,
}

/// [`KeyRecord`] as JSON has it, its limits beside the other fields: what it is read from.
/// serde's `flatten` would first copy every field of every key into a buffer (a million keys
/// at start-up take seconds longer); reading the fields flat and then moving them does not.
#[derive(Deserialize)]
struct FlatKeyRecord {
    #[serde(default)]
    token: String,
    key_name: String,
    key_alias: Option<String>,
    team_id: Option<String>,
    user_id: Option<String>,
    #[serde(default)]
    models: Vec<String>,
    #[serde(default)]
    aliases: Map<String, Value>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    budget_duration: Option<String>,
    budget_reset_at: Option<String>,
    tpm_limit: Option<u64>,
    rpm_limit: Option<u64>,
    max_parallel_requests: Option<u64>,
    #[serde(default)]
    spend: f64,
    expires: Option<String>,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    tags: Vec<String>,
    created_at: String,
    updated_at: String,
    created_by: Option<String>,
    last_active: Option<String>,
}

impl From<FlatKeyRecord> for KeyRecord {
    fn from(k: FlatKeyRecord) -> Self {
        KeyRecord {
            token: k.token,
            key_name: k.key_name,
            key_alias: k.key_alias,
            team_id: k.team_id,
            user_id: k.user_id,
            models: k.models,
            aliases: k.aliases,
            limits: Limits {
                max_budget: k.max_budget,
                soft_budget: k.soft_budget,
                budget_duration: k.budget_duration,
                budget_reset_at: k.budget_reset_at,
                tpm_limit: k.tpm_limit,
                rpm_limit: k.rpm_limit,
                max_parallel_requests: k.max_parallel_requests,
            },
            spend: k.spend,
            expires: k.expires,
            blocked: k.blocked,
            metadata: k.metadata,
            tags: k.tags,
            created_at: k.created_at,
            updated_at: k.updated_at,
            created_by: k.created_by,
            last_active: k.last_active,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub role: String,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    /// The member's budget in this team (USD), set by `/team/member_update` (LiteLLM keeps it in
    /// a team membership; it is shown there, in `team_memberships`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_budget_in_team: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamRecord {
    pub team_id: String,
    pub team_alias: Option<String>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub spend: f64,
    #[serde(default)]
    pub blocked: bool,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub members_with_roles: Vec<Member>,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub model_aliases: Map<String, Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The organization the team belongs to: its budget and limits apply to the team's calls.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// The budget (USD) of each member without a `max_budget_in_team` of its own (LiteLLM's
    /// `team_member_budget`; 0 is no limit, as there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_member_budget: Option<f64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserRecord {
    pub user_id: String,
    pub user_email: Option<String>,
    pub user_alias: Option<String>,
    pub user_role: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub spend: f64,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub metadata: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// A customer (LiteLLM's end user): the `user` a request names. Its limits are LiteLLM's
/// `litellm_budget_table` (the admin API shows them under that name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EndUserRecord {
    pub user_id: String,
    pub alias: Option<String>,
    #[serde(default)]
    pub blocked: bool,
    pub allowed_model_region: Option<String>,
    pub default_model: Option<String>,
    /// The `/budget/new` budget it was given, by id (kept as given).
    pub budget_id: Option<String>,
    #[serde(flatten)]
    pub limits: Limits,
    #[serde(default)]
    pub spend: f64,
    pub created_at: String,
    pub updated_at: String,
}

impl EndUserRecord {
    /// A customer first named by a request at `seen`.
    pub fn first_seen(user_id: &str, seen: &str) -> EndUserRecord {
        EndUserRecord {
            user_id: user_id.to_string(),
            created_at: seen.to_string(),
            updated_at: seen.to_string(),
            ..EndUserRecord::default()
        }
    }
}

/// A model added through `/model/new`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelRecord {
    pub model_id: String,
    pub model_name: String,
    #[schema(value_type = Object)]
    pub litellm_params: Map<String, Value>,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub model_info: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// What spend logs record as `api_key` for master-key calls (LiteLLM logs those under an alias too).
pub const MASTER_KEY_SPEND_ID: &str = "litellm-proxy-master-key";

/// One request, as `/spend/logs` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpendLog {
    /// The gateway's call id (`x-litellm-call-id`): one row per call, whatever the upstream answers.
    pub request_id: String,
    /// The upstream's id for its answer (`chatcmpl-...`), when it gave one.
    pub response_id: Option<String>,
    pub call_type: String,
    /// SHA-256 of the virtual key; `litellm-proxy-master-key` for the master key.
    pub api_key: String,
    pub key_alias: Option<String>,
    pub team_id: Option<String>,
    pub user: Option<String>,
    pub end_user: Option<String>,
    pub model: String,
    pub model_id: String,
    pub model_group: String,
    pub custom_llm_provider: String,
    pub api_base: Option<String>,
    pub spend: f64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(rename = "startTime")]
    pub start_time: String,
    #[serde(rename = "endTime")]
    pub end_time: String,
    /// When the answer began: a stream's first byte, a complete answer's end (as LiteLLM
    /// records it); none when no answer came.
    #[serde(rename = "completionStartTime")]
    pub completion_start_time: Option<String>,
    pub request_duration_ms: u64,
    pub status: String,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
}

impl SpendLog {
    /// The row's text with any NUL character (which a client may send as `user`, or in a
    /// model name that a failed call is recorded under) replaced by U+FFFD: PostgreSQL's text
    /// cannot hold NUL, and a row the database refuses would hold back every row queued behind
    /// it. The metadata's JSON is cleaned where it is written ([`json_without_nul`]).
    pub fn scrub_nul(&mut self) {
        let SpendLog {
            request_id,
            response_id,
            call_type,
            api_key,
            key_alias,
            team_id,
            user,
            end_user,
            model,
            model_id,
            model_group,
            custom_llm_provider,
            api_base,
            start_time,
            end_time,
            completion_start_time,
            status,
            metadata: _,
            spend: _,
            prompt_tokens: _,
            completion_tokens: _,
            total_tokens: _,
            request_duration_ms: _,
        } = self;
        let required = [request_id, call_type, api_key, model, model_id, model_group, custom_llm_provider];
        let optional = [response_id, key_alias, team_id, user, end_user, api_base, completion_start_time];
        for text in required.into_iter().chain([start_time, end_time, status]).chain(optional.into_iter().flatten()) {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{FFFD}");
            }
        }
    }
}

/// Where JSON text escapes a NUL character (`\u0000`, the only way JSON can carry one): the
/// offsets of the `u`, leaving out an escaped backslash followed by `u0000`.
pub fn json_nul_escapes(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    // Built once: a spend row's metadata is searched on every call.
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"u0000"));
    FINDER.find_iter(text).filter(move |&at| {
        let backslashes = text.get(..at).unwrap_or_default().iter().rev().take_while(|b| **b == b'\\').count();
        backslashes % 2 == 1
    })
}

/// JSON text with its NUL escapes turned into U+FFFD's, which PostgreSQL's `jsonb` can read.
pub fn json_without_nul(text: String) -> String {
    let escapes: Vec<usize> = json_nul_escapes(text.as_bytes()).collect();
    if escapes.is_empty() {
        return text;
    }
    let mut bytes = text.into_bytes();
    for at in escapes {
        if let Some(digits) = bytes.get_mut(at + 1..at + 5) {
            digits.copy_from_slice(b"fffd");
        }
    }
    // Only ASCII digits were replaced by ASCII letters.
    String::from_utf8(bytes).unwrap_or_default()
}

/// Everything the gateway keeps in memory, as loaded at start.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub keys: Vec<KeyRecord>,
    pub teams: Vec<TeamRecord>,
    pub users: Vec<UserRecord>,
    pub models: Vec<ModelRecord>,
    pub end_users: Vec<EndUserRecord>,
    pub organizations: Vec<OrganizationLimits>,
    /// What each team member spent in the team, by [`team_member_id`].
    pub team_member_spend: HashMap<String, f64>,
}

/// A budget (`/budget/new`), as LiteLLM's `LiteLLM_BudgetTable` shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BudgetRecord {
    pub budget_id: String,
    pub max_budget: Option<f64>,
    pub soft_budget: Option<f64>,
    pub max_parallel_requests: Option<u64>,
    pub tpm_limit: Option<u64>,
    pub rpm_limit: Option<u64>,
    /// Per-model budgets, as sent (`{"gpt-4o": {"budget_limit": 10, "time_period": "1d"}}`).
    #[schema(value_type = Object)]
    #[serde(default)]
    pub model_max_budget: Map<String, Value>,
    pub budget_duration: Option<String>,
    pub budget_reset_at: Option<String>,
    pub created_at: String,
    pub created_by: Option<String>,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

/// An organization (`/organization/new`), as LiteLLM's `LiteLLM_OrganizationTable` shows it;
/// its members are kept with it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrganizationRecord {
    pub organization_id: String,
    pub organization_alias: Option<String>,
    /// The organization's budget (`/budget/*`); made from the limits sent with `/organization/new`
    /// when none is named.
    pub budget_id: Option<String>,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(default)]
    pub spend: f64,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub model_spend: Map<String, Value>,
    #[serde(default)]
    pub members: Vec<OrganizationMembership>,
    pub created_at: String,
    pub created_by: Option<String>,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

/// The spend-row metadata member naming the organization a call counts against (LiteLLM's).
pub const ORG_ID_METADATA: &str = "user_api_key_org_id";

/// What the request path needs of an organization: the limits of its budget, its spend, and
/// the models its teams may call (empty: any). Its members' roles ride along for the admin
/// routes' access checks, which then need no store read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrganizationLimits {
    pub organization_id: String,
    pub limits: Limits,
    pub spend: f64,
    pub models: Vec<String>,
    /// `(user_id, user_role)` of each member.
    pub member_roles: Vec<(String, String)>,
}

impl OrganizationLimits {
    pub fn of(organization: &OrganizationRecord, budget: Option<&BudgetRecord>) -> OrganizationLimits {
        let limits = budget
            .map(|b| Limits {
                max_budget: b.max_budget,
                soft_budget: b.soft_budget,
                budget_duration: b.budget_duration.clone(),
                budget_reset_at: b.budget_reset_at.clone(),
                tpm_limit: b.tpm_limit,
                rpm_limit: b.rpm_limit,
                max_parallel_requests: b.max_parallel_requests,
            })
            .unwrap_or_default();
        OrganizationLimits {
            organization_id: organization.organization_id.clone(),
            limits,
            spend: organization.spend,
            models: organization.models.clone(),
            member_roles: organization
                .members
                .iter()
                .map(|m| (m.user_id.clone(), m.user_role.clone().unwrap_or_default()))
                .collect(),
        }
    }
}

/// What the request path needs of a team member: the member's budget in the team
/// (`max_budget_in_team`) and what the member spent in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamMemberLimits {
    /// [`team_member_id`] of the team and the user.
    pub id: String,
    pub team_id: String,
    pub user_id: String,
    pub limits: Limits,
    pub spend: f64,
}

impl TeamMemberLimits {
    pub fn new(team_id: &str, user_id: &str, max_budget_in_team: Option<f64>, spend: f64) -> TeamMemberLimits {
        TeamMemberLimits {
            id: team_member_id(team_id, user_id),
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
            limits: Limits { max_budget: max_budget_in_team, ..Limits::default() },
            spend,
        }
    }
}

/// One id for a team and a member (a separator no id holds: ids are the caller's strings).
pub fn team_member_id(team_id: &str, user_id: &str) -> String {
    format!("{team_id}\u{1f}{user_id}")
}

/// A member of an organization (LiteLLM's `LiteLLM_OrganizationMembership`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrganizationMembership {
    pub user_id: String,
    pub organization_id: String,
    /// `org_admin`, `internal_user` or `internal_user_viewer`.
    pub user_role: Option<String>,
    #[serde(default)]
    pub spend: f64,
    /// The member's budget in the organization (`max_budget_in_organization`), when one is set.
    pub budget_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of a key goes through JSON and back (the flat reading misses none), and the
    /// defaults of a short document are the derived ones.
    #[test]
    fn a_key_reads_back_from_its_json() {
        let mut key = KeyRecord {
            token: "t".into(),
            key_name: "sk-...abcd".into(),
            key_alias: Some("alias".into()),
            team_id: Some("team".into()),
            user_id: Some("user".into()),
            models: vec!["m".into()],
            limits: Limits {
                max_budget: Some(1.5),
                soft_budget: Some(1.0),
                budget_duration: Some("30d".into()),
                budget_reset_at: Some("2026-12-31T00:00:00.000Z".into()),
                tpm_limit: Some(10),
                rpm_limit: Some(20),
                max_parallel_requests: Some(3),
            },
            spend: 0.25,
            expires: Some("2027-01-01T00:00:00.000Z".into()),
            blocked: true,
            tags: vec!["tag".into()],
            created_at: "2026-12-01T00:00:00.000Z".into(),
            updated_at: "2026-12-02T00:00:00.000Z".into(),
            created_by: Some("admin".into()),
            last_active: Some("2026-12-03T00:00:00.000Z".into()),
            ..Default::default()
        };
        key.aliases.insert("a".into(), Value::from("b"));
        key.metadata.insert("k".into(), Value::from(1));
        let json = serde_json::to_value(&key).unwrap();
        assert_eq!(json["rpm_limit"], 20, "limits are beside the other fields");
        assert_eq!(serde_json::from_value::<KeyRecord>(json).unwrap(), key);

        let short: KeyRecord = serde_json::from_str(r#"{"key_name":"k","created_at":"c","updated_at":"u"}"#).unwrap();
        assert_eq!(
            short,
            KeyRecord { key_name: "k".into(), created_at: "c".into(), updated_at: "u".into(), ..Default::default() }
        );
        assert!(serde_json::from_str::<KeyRecord>(r#"{"created_at":"c","updated_at":"u"}"#).is_err());
    }
}
