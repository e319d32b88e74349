//! Who may call which model, within which limits, and what the call is charged — all from
//! memory. A refused call costs a few lock round trips; an admitted one holds an [`Admission`]
//! that is charged when the call ends.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::GatewayError;
use super::shared_limits::{Budget, Held, Limited, Refusal};
use crate::auth::Principal;
use crate::auth::access::{self, Denied, ModelFacts};
use crate::auth::registry::{Governed, Registry, Table, TeamEntry, Tracked};
use crate::limits::{Counters, seconds_to_next_minute};
use crate::spend::{SpendSink, WriterMessage};
use crate::store::{EndUserRecord, Entity, team_member_id};
use crate::time::format_time;

/// Whether `principal` may call the model `facts` describe.
pub fn check_access(registry: &Registry, principal: &Principal, facts: &ModelFacts<'_>) -> Result<(), GatewayError> {
    let Some(key) = principal.key() else { return Ok(()) };
    let team = key.record.team_id.as_deref().and_then(|t| registry.teams.get(t));
    let user = key.record.user_id.as_deref().and_then(|u| registry.users.get(u));
    let organization =
        team.as_ref().and_then(|t| t.record.organization_id.as_deref()).and_then(|o| registry.organizations.get(o));
    let team_models = team.as_ref().map(|t| t.record.models.as_slice());
    let user_models = user.as_ref().map(|u| u.record.models.as_slice());
    let organization_models = organization.as_ref().map(|o| o.record.models.as_slice());
    access::check(&key.record.models, team_models, user_models, organization_models, facts).map_err(|denied| {
        let allowed = match denied {
            Denied::Key => key.record.models.as_slice(),
            Denied::Team => team_models.unwrap_or_default(),
            Denied::User => user_models.unwrap_or_default(),
            Denied::Organization => organization_models.unwrap_or_default(),
        };
        GatewayError::ModelAccessDenied { model: facts.name.to_string(), denied, allowed: allowed.to_vec() }
    })
}

/// An admitted call: the counters it will be charged to, and the concurrency slots it holds.
#[derive(Default)]
pub struct Admission {
    charged: Vec<Arc<Counters>>,
    slots: Vec<Arc<Counters>>,
    /// The counters this replica counted the request in (taken back if Redis refuses it).
    requests: Vec<Arc<Counters>>,
    /// What the call counts against that has a rate or concurrency limit, for the limits the
    /// replicas share.
    pub limited: Vec<Limited>,
    /// The shared limits this call holds (in flight, tokens to count) until it ends.
    pub held: Option<Held>,
    pub key_token: Option<String>,
    pub key_alias: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    /// The key's team (its alias labels the call's metrics): an `Arc`, not a copied string.
    pub team: Option<Arc<TeamEntry>>,
    /// The organization of the key's team.
    pub organization_id: Option<String>,
    /// The key's own request and token limits, for what it has left (`/metrics`).
    pub key_rate: Option<KeyRate>,
}

/// A key's per-minute limits and the counters they apply to.
pub struct KeyRate {
    pub rpm_limit: Option<u64>,
    pub tpm_limit: Option<u64>,
    pub counters: Arc<Counters>,
}

impl KeyRate {
    /// Requests and tokens the key may still use this minute.
    pub fn remaining(&self, now: DateTime<Utc>) -> (Option<u64>, Option<u64>) {
        (
            self.rpm_limit.map(|l| l.saturating_sub(self.counters.requests_this_minute(now))),
            self.tpm_limit.map(|l| l.saturating_sub(self.counters.tokens_this_minute(now))),
        )
    }
}

impl Admission {
    /// Adds a finished call's cost and tokens to every limit it counted against.
    pub fn charge(&self, cost: f64, tokens: u64, now: DateTime<Utc>) {
        for c in &self.charged {
            if cost > 0.0 {
                c.add_spend(cost);
            }
            c.add_tokens(tokens, now);
        }
        if let Some(held) = &self.held {
            held.count(tokens, cost);
        }
    }

    /// Refuses the call after this replica admitted it: the request it counted is taken back
    /// (its slots are freed when it drops).
    pub fn refused_elsewhere(&self, refusal: Refusal, index: usize, now: DateTime<Utc>) -> GatewayError {
        for c in &self.requests {
            c.undo_request(now);
        }
        let Some(l) = self.limited.get(index) else {
            return GatewayError::RateLimited { message: "Rate limit exceeded.".into(), retry_after: 1 };
        };
        match refusal {
            Refusal::Parallel => parallel_limited(&l.label, l.max_parallel.unwrap_or_default()),
            Refusal::Requests => rate_limited(&l.label, "requests", l.rpm.unwrap_or_default(), now),
            Refusal::Tokens => rate_limited(&l.label, "tokens", l.tpm.unwrap_or_default(), now),
            Refusal::Budget(spend) => {
                budget_exceeded(l.kind, &l.label, spend, l.budget.as_ref().map_or(0.0, |b| b.max))
            }
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        for c in &self.slots {
            c.leave();
        }
    }
}

/// What a call counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Key,
    Team,
    User,
    Organization,
    EndUser,
    /// The key's user in the key's team (`max_budget_in_team`).
    TeamMember,
}

impl Kind {
    fn of(entity: Entity) -> Option<Kind> {
        match entity {
            Entity::Key => Some(Kind::Key),
            Entity::Team => Some(Kind::Team),
            Entity::User => Some(Kind::User),
            Entity::Organization => Some(Kind::Organization),
            Entity::EndUser => Some(Kind::EndUser),
            Entity::Model | Entity::Budget => None,
        }
    }

    /// As shared limits name it.
    fn name(self) -> &'static str {
        match self {
            Kind::Key => "key",
            Kind::Team => "team",
            Kind::User => "user",
            Kind::Organization => "organization",
            Kind::EndUser => "end_user",
            Kind::TeamMember => "team_member",
        }
    }
}

/// How the limits the replicas share name an entity (`key:<hash>`, `team:<id>`, ...).
fn shared_subject(kind: Kind, record_id: &str) -> String {
    format!("{}:{record_id}", kind.name())
}

/// Where an admin's new spend for an entity goes for the replicas: its shared subject and
/// budget period (`None`: a kind without budgets).
pub fn shared_spend(entity: Entity, id: &str, counters: &Counters) -> Option<(String, i64)> {
    Kind::of(entity).map(|kind| (shared_subject(kind, id), budget_period(counters)))
}

/// The end of the budget period the counters are in (0: no periods).
fn budget_period(counters: &Counters) -> i64 {
    counters.reset_at().map_or(0, |at| at.timestamp())
}

/// How a refusal names the entity (`Key=alias (sk-...abcd)`, `Team=t1`, ...): written out only
/// when a call is refused, not for every call admitted.
#[derive(Clone, Copy)]
enum Label<'a> {
    Key { alias: Option<&'a str>, name: &'a str },
    Team(&'a str),
    User(&'a str),
    Organization(&'a str),
    TeamMember { user: &'a str, team: &'a str },
    EndUser(&'a str),
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Label::Key { alias: Some(alias), name } => write!(f, "Key={alias} ({name})"),
            Label::Key { alias: None, name } => write!(f, "Key={name}"),
            Label::Team(id) => write!(f, "Team={id}"),
            Label::User(id) => write!(f, "User={id}"),
            Label::Organization(id) => write!(f, "Organization={id}"),
            Label::TeamMember { user, team } => write!(f, "User={user} in Team={team}"),
            Label::EndUser(id) => write!(f, "End User={id}"),
        }
    }
}

/// One entity the call counts against.
struct Subject<'a> {
    kind: Kind,
    /// The record's id (its kind tells it from another kind's).
    record_id: &'a str,
    label: Label<'a>,
    counters: &'a Arc<Counters>,
    limits: &'a crate::store::Limits,
    /// `limits.max_budget`, or a default that applies to this kind (customers).
    max_budget: Option<f64>,
}

impl<'a> Subject<'a> {
    fn of<R: Governed>(entry: &'a Tracked<R>, kind: Kind, label: Label<'a>) -> Subject<'a> {
        let limits = entry.record.limits();
        Subject {
            kind,
            record_id: entry.record.id(),
            label,
            counters: &entry.counters,
            limits,
            max_budget: limits.max_budget,
        }
    }
}

/// The customer a call is for (LiteLLM's end user), and the budget customers get by default
/// (`litellm_settings.max_end_user_budget`).
#[derive(Debug, Clone, Copy)]
pub struct Customer<'a> {
    pub id: &'a str,
    pub default_budget: Option<f64>,
}

/// Checks budgets, then token and request rates and concurrency, for the key, its team and
/// user, and the customer the call is for. Admission counts the request; a refusal leaves every
/// counter as it was. (The master key is not limited, as in LiteLLM; its calls still add to
/// their customer's spend.) `shared`: the replicas share rate limits, so the admission lists
/// what the call counts against that has one (`limited`).
pub fn admit(
    registry: &Registry,
    sink: Option<&SpendSink>,
    principal: &Principal,
    customer: Option<Customer<'_>>,
    now: DateTime<Utc>,
    shared: bool,
) -> Result<Admission, GatewayError> {
    let customer_entry =
        customer.map(|c| registry.end_users.get_or_put(c.id, || EndUserRecord::first_seen(c.id, &format_time(now))));
    let Some(key) = principal.key() else {
        let mut admission = Admission::default();
        if let Some(c) = &customer_entry {
            roll(c, Entity::EndUser, sink, now);
            admission.charged.push(c.counters.clone());
        }
        return Ok(admission);
    };
    if let Some(c) = &customer_entry
        && c.record.blocked
    {
        return Err(GatewayError::Forbidden(format!(
            "End User={} is blocked from making LLM API calls. A proxy admin can lift it with /end_user/unblock.",
            c.record.user_id
        )));
    }
    let team = key.record.team_id.as_deref().and_then(|t| registry.teams.get(t));
    let user = key.record.user_id.as_deref().and_then(|u| registry.users.get(u));
    let organization =
        team.as_ref().and_then(|t| t.record.organization_id.as_deref()).and_then(|o| registry.organizations.get(o));
    let team_member = match (&key.record.team_id, &key.record.user_id) {
        (Some(t), Some(u)) => registry.team_members.get(&team_member_id(t, u)),
        _ => None,
    };

    roll(key, Entity::Key, sink, now);
    if let Some(o) = &organization {
        roll(o, Entity::Organization, sink, now);
    }
    if let Some(t) = &team {
        roll(t, Entity::Team, sink, now);
    }
    if let Some(u) = &user {
        roll(u, Entity::User, sink, now);
    }

    let key_label = Label::Key { alias: key.record.key_alias.as_deref(), name: &key.record.key_name };
    let mut subjects = vec![Subject::of(key, Kind::Key, key_label)];
    subjects.extend(team.as_ref().map(|t| Subject::of(t, Kind::Team, Label::Team(&t.record.team_id))));
    subjects.extend(user.as_ref().map(|u| Subject::of(u, Kind::User, Label::User(&u.record.user_id))));
    subjects.extend(
        organization
            .as_ref()
            .map(|o| Subject::of(o, Kind::Organization, Label::Organization(&o.record.organization_id))),
    );
    subjects.extend(team_member.as_ref().map(|m| {
        let label = Label::TeamMember { user: &m.record.user_id, team: &m.record.team_id };
        Subject::of(m, Kind::TeamMember, label)
    }));
    if let (Some(c), Some(customer)) = (&customer_entry, customer) {
        roll(c, Entity::EndUser, sink, now);
        let mut subject = Subject::of(c, Kind::EndUser, Label::EndUser(&c.record.user_id));
        subject.max_budget = subject.max_budget.or(customer.default_budget);
        subjects.push(subject);
    }

    for s in &subjects {
        if let Some(max) = s.max_budget {
            let spend = s.counters.spend();
            // LiteLLM refuses a customer only once it is over its budget, everyone else once at it.
            let over = if s.kind == Kind::EndUser { spend > max } else { spend >= max };
            if over {
                return Err(budget_exceeded(s.kind.name(), s.label, spend, max));
            }
        }
        if let Some(tpm) = s.limits.tpm_limit
            && s.counters.tokens_exhausted(tpm, now)
        {
            return Err(rate_limited(s.label, "tokens", tpm, now));
        }
    }

    let mut admission = Admission {
        charged: Vec::with_capacity(subjects.len()),
        slots: Vec::new(),
        key_token: Some(key.record.token.clone()),
        key_alias: key.record.key_alias.clone(),
        team_id: key.record.team_id.clone(),
        user_id: key.record.user_id.clone(),
        team: team.clone(),
        organization_id: organization.as_ref().map(|o| o.record.organization_id.clone()),
        key_rate: (key.record.limits.rpm_limit.is_some() || key.record.limits.tpm_limit.is_some()).then(|| KeyRate {
            rpm_limit: key.record.limits.rpm_limit,
            tpm_limit: key.record.limits.tpm_limit,
            counters: key.counters.clone(),
        }),
        requests: Vec::new(),
        limited: Vec::new(),
        held: None,
    };
    let mut counted_requests: Vec<&Arc<Counters>> = Vec::new();
    let undo = |counted: &[&Arc<Counters>]| counted.iter().for_each(|c| c.undo_request(now));
    for s in &subjects {
        if let Some(max) = s.limits.max_parallel_requests {
            if !s.counters.try_enter(max) {
                undo(&counted_requests);
                return Err(parallel_limited(s.label, max));
            }
            admission.slots.push(s.counters.clone());
        }
        if let Some(rpm) = s.limits.rpm_limit {
            if !s.counters.try_request(rpm, now) {
                undo(&counted_requests);
                return Err(rate_limited(s.label, "requests", rpm, now));
            }
            counted_requests.push(s.counters);
        }
        admission.charged.push(s.counters.clone());
        let (rpm, max_parallel, tpm) = (s.limits.rpm_limit, s.limits.max_parallel_requests, s.limits.tpm_limit);
        if shared && (rpm.is_some() || max_parallel.is_some() || tpm.is_some() || s.max_budget.is_some()) {
            admission.limited.push(Limited {
                subject: shared_subject(s.kind, s.record_id),
                kind: s.kind.name(),
                label: s.label.to_string(),
                rpm,
                max_parallel,
                tpm,
                budget: s.max_budget.map(|max| Budget {
                    max,
                    above_only: s.kind == Kind::EndUser,
                    spend: s.counters.spend(),
                    period: budget_period(s.counters),
                }),
            });
        }
    }
    if shared {
        admission.requests = counted_requests.into_iter().cloned().collect();
    }
    Ok(admission)
}

/// LiteLLM's words for a budget that is used up (users and customers have their own).
fn budget_exceeded(kind: &str, label: impl std::fmt::Display, spend: f64, max: f64) -> GatewayError {
    GatewayError::BudgetExceeded(match kind {
        "user" | "end_user" => format!("ExceededBudget: {label} over budget. Spend={spend}, Budget={max}"),
        _ => format!("Budget has been exceeded! {label} Current cost: {spend}, Max budget: {max}"),
    })
}

fn parallel_limited(label: impl std::fmt::Display, max: u64) -> GatewayError {
    GatewayError::RateLimited {
        message: format!(
            "Max parallel request limit reached for {}. Current limit: {max}",
            label.to_string().to_lowercase()
        ),
        retry_after: 1,
    }
}

fn rate_limited(label: impl std::fmt::Display, kind: &str, limit: u64, now: DateTime<Utc>) -> GatewayError {
    let retry_after = seconds_to_next_minute(now);
    let resets = format_time(now + chrono::Duration::seconds(retry_after as i64));
    GatewayError::RateLimited {
        message: format!(
            "Rate limit exceeded for {label}. Limit type: {kind}. Current limit: {limit}, Remaining: 0. Limit resets at: {resets}"
        ),
        retry_after,
    }
}

/// Starts a new budget period if the current one is over, and has the reset saved in order
/// with the spend rows.
fn roll<R: Governed>(entry: &Tracked<R>, kind: Entity, sink: Option<&SpendSink>, now: DateTime<Utc>) {
    if let Some(reset) = entry.counters.roll_budget(entry.budget_duration.as_ref(), now)
        && let Some(sink) = sink
    {
        sink.send(WriterMessage::SetSpend {
            entity: kind,
            id: entry.record.id().to_string(),
            spend: 0.0,
            reset_at: reset.next_reset_at.map(format_time),
            done: None,
        });
    }
}

/// Budget periods that have ended, so idle entities reset too (run periodically): only the
/// entities whose period is due are visited.
pub fn roll_all(registry: &Registry, sink: &SpendSink, now: DateTime<Utc>) {
    fn roll_due<R: Governed>(table: &Table<R>, kind: Entity, sink: &SpendSink, now: DateTime<Utc>) {
        for entry in table.due(now) {
            roll(&entry, kind, Some(sink), now);
            table.schedule(&entry);
        }
    }
    roll_due(&registry.keys, Entity::Key, sink, now);
    roll_due(&registry.teams, Entity::Team, sink, now);
    roll_due(&registry.users, Entity::User, sink, now);
    roll_due(&registry.end_users, Entity::EndUser, sink, now);
    roll_due(&registry.organizations, Entity::Organization, sink, now);
}

impl From<Denied> for &'static str {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Key => "key_model_access_denied",
            Denied::Team => "team_model_access_denied",
            Denied::User => "user_model_access_denied",
            Denied::Organization => "org_model_access_denied",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_subject_as_litellm_does() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:00:30Z").unwrap().with_timezone(&Utc);
        let message = |e: GatewayError| match e {
            GatewayError::BudgetExceeded(m) | GatewayError::RateLimited { message: m, .. } => m,
            other => panic!("not a refusal: {other:?}"),
        };
        let key = Label::Key { alias: Some("ci"), name: "sk-...abcd" };
        assert_eq!(
            message(budget_exceeded("key", key, 2.5, 2.0)),
            "Budget has been exceeded! Key=ci (sk-...abcd) Current cost: 2.5, Max budget: 2"
        );
        assert_eq!(
            message(budget_exceeded("end_user", Label::EndUser("bob"), 3.0, 1.0)),
            "ExceededBudget: End User=bob over budget. Spend=3, Budget=1"
        );
        assert_eq!(
            message(parallel_limited(Label::Key { alias: None, name: "sk-...abcd" }, 2)),
            "Max parallel request limit reached for key=sk-...abcd. Current limit: 2"
        );
        assert_eq!(
            message(rate_limited(Label::TeamMember { user: "dee", team: "t1" }, "requests", 5, now)),
            "Rate limit exceeded for User=dee in Team=t1. Limit type: requests. Current limit: 5, Remaining: 0. \
             Limit resets at: 2026-12-07T10:01:00.000Z"
        );
        for (label, text) in [
            (Label::Team("t1"), "Team=t1"),
            (Label::User("u1"), "User=u1"),
            (Label::Organization("o1"), "Organization=o1"),
        ] {
            assert_eq!(label.to_string(), text);
        }
    }
}
