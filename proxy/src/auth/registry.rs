//! Keys, teams and users in memory: what the request path reads instead of the database.
//! The admin API writes the database first, then replaces the entry here, so a change (a
//! blocked key, a new budget) applies to the very next request.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use chrono::{DateTime, Utc};

use crate::limits::{BudgetDuration, Counters, parse_duration};
use crate::store::{
    EndUserRecord, KeyRecord, Limits, OrganizationLimits, Snapshot, TeamMemberLimits, TeamRecord, UserRecord,
    team_member_id,
};
use crate::time::{format_time, parse_time};

/// A record with its live counters. Counters outlive record updates.
#[derive(Debug)]
pub struct Tracked<R> {
    pub record: R,
    pub counters: Arc<Counters>,
    pub budget_duration: Option<BudgetDuration>,
    /// Parsed `expires` (keys only).
    pub expires_at: Option<DateTime<Utc>>,
}

pub type KeyEntry = Tracked<KeyRecord>;
pub type TeamEntry = Tracked<TeamRecord>;
pub type UserEntry = Tracked<UserRecord>;
pub type EndUserEntry = Tracked<EndUserRecord>;
pub type OrganizationEntry = Tracked<OrganizationLimits>;

/// What the registry needs to know about a record.
pub trait Governed: Clone {
    fn id(&self) -> &str;
    fn limits(&self) -> &Limits;
    fn limits_mut(&mut self) -> &mut Limits;
    fn spend(&self) -> f64;
    fn set_spend(&mut self, spend: f64);
    fn expires(&self) -> Option<&str> {
        None
    }
    /// When an admin last changed the record (RFC 3339, milliseconds), for those that say.
    fn updated_at(&self) -> Option<&str> {
        None
    }
}

macro_rules! governed {
    ($t:ty, $id:ident $(, expires: $expires:ident)? $(, updated: $updated:ident)?) => {
        impl Governed for $t {
            fn id(&self) -> &str {
                &self.$id
            }
            fn limits(&self) -> &Limits {
                &self.limits
            }
            fn limits_mut(&mut self) -> &mut Limits {
                &mut self.limits
            }
            fn spend(&self) -> f64 {
                self.spend
            }
            fn set_spend(&mut self, spend: f64) {
                self.spend = spend;
            }
            $(fn expires(&self) -> Option<&str> {
                self.$expires.as_deref()
            })?
            $(fn updated_at(&self) -> Option<&str> {
                Some(self.$updated.as_str())
            })?
        }
    };
}

governed!(KeyRecord, token, expires: expires, updated: updated_at);
governed!(TeamRecord, team_id, updated: updated_at);
governed!(UserRecord, user_id, updated: updated_at);
governed!(EndUserRecord, user_id, updated: updated_at);
governed!(OrganizationLimits, organization_id);
governed!(TeamMemberLimits, id);

impl<R: Governed> Tracked<R> {
    /// The record as the admin API shows it: live spend and next reset.
    pub fn snapshot(&self) -> R {
        let mut r = self.record.clone();
        r.set_spend(self.counters.spend());
        r.limits_mut().budget_reset_at = self.counters.reset_at().map(format_time);
        r
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

/// One kind of record, by id.
pub struct Table<R> {
    rows: RwLock<HashMap<String, Arc<Tracked<R>>>>,
    /// When budget periods end, soonest first, so that ending them visits only the due ones
    /// (not a million keys a second). An id may be there more than once, or for a period since
    /// changed: [`Table::due`] hands out entries, whose counters say whether they are due.
    resets: Mutex<BinaryHeap<Reverse<(i64, String)>>>,
}

impl<R: Governed> Default for Table<R> {
    fn default() -> Self {
        Self { rows: RwLock::new(HashMap::new()), resets: Mutex::new(BinaryHeap::new()) }
    }
}

impl<R: Governed> Table<R> {
    pub fn get(&self, id: &str) -> Option<Arc<Tracked<R>>> {
        self.rows.read().get(id).cloned()
    }

    /// Inserts or replaces a record. An existing entry's counters are kept (its spend and
    /// windows go on); a new entry starts from the record's spend.
    pub fn put(&self, record: R) -> Arc<Tracked<R>> {
        let budget_duration = record.limits().budget_duration.as_deref().and_then(|d| parse_duration(d).ok());
        let reset_at = record.limits().budget_reset_at.as_deref().and_then(parse_time);
        let expires_at = record.expires().and_then(parse_time);
        let mut rows = self.rows.write();
        let counters = match rows.get(record.id()) {
            Some(old) => {
                let c = old.counters.clone();
                if old.record.limits().budget_duration != record.limits().budget_duration
                    || old.record.limits().budget_reset_at != record.limits().budget_reset_at
                {
                    c.set_spend(c.spend(), reset_at);
                }
                c
            }
            None => Arc::new(Counters::new(record.spend(), reset_at)),
        };
        let entry = Arc::new(Tracked { record, counters, budget_duration, expires_at });
        rows.insert(entry.record.id().to_string(), entry.clone());
        drop(rows);
        self.schedule(&entry);
        entry
    }

    /// [`Table::put`], unless the entry here was changed after `record` (read from the database
    /// before a change made here): the newer one stays. Whether `record` was put.
    pub fn put_unless_newer(&self, record: R) -> bool {
        let newer_here = self.newer_than(&record);
        if !newer_here {
            self.put(record);
        }
        !newer_here
    }

    /// Whether the entry for `record` here was changed after `record` (both say when).
    pub fn newer_than(&self, record: &R) -> bool {
        self.get(record.id()).is_some_and(
            |here| matches!((here.record.updated_at(), record.updated_at()), (Some(here), Some(read)) if here > read),
        )
    }

    /// Replaces the record `old_id` with `record` under its own id (a regenerated key), keeping
    /// the live counters: calls in flight on the old key are charged to the new one.
    pub fn replace(&self, old_id: &str, record: R) -> Arc<Tracked<R>> {
        let mut rows = self.rows.write();
        let counters = match rows.remove(old_id) {
            Some(old) => old.counters.clone(),
            None => {
                Arc::new(Counters::new(record.spend(), record.limits().budget_reset_at.as_deref().and_then(parse_time)))
            }
        };
        let entry = Arc::new(Tracked {
            budget_duration: record.limits().budget_duration.as_deref().and_then(|d| parse_duration(d).ok()),
            expires_at: record.expires().and_then(parse_time),
            record,
            counters,
        });
        rows.insert(entry.record.id().to_string(), entry.clone());
        drop(rows);
        self.schedule(&entry);
        entry
    }

    /// The entry for `id`, made from `make` if there is none yet (one lock when it exists).
    pub fn get_or_put(&self, id: &str, make: impl FnOnce() -> R) -> Arc<Tracked<R>> {
        if let Some(entry) = self.get(id) {
            return entry;
        }
        let mut rows = self.rows.write();
        if let Some(entry) = rows.get(id) {
            return entry.clone();
        }
        let record = make();
        let reset_at = record.limits().budget_reset_at.as_deref().and_then(parse_time);
        let entry = Arc::new(Tracked {
            budget_duration: record.limits().budget_duration.as_deref().and_then(|d| parse_duration(d).ok()),
            expires_at: None,
            counters: Arc::new(Counters::new(record.spend(), reset_at)),
            record,
        });
        rows.insert(id.to_string(), entry.clone());
        drop(rows);
        self.schedule(&entry);
        entry
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Tracked<R>>> {
        self.rows.write().remove(id)
    }

    /// Notes when the entry's budget period ends (its counters say), for [`Table::due`]. Call
    /// it when something sets a period's end other than [`Table::put`].
    pub fn schedule(&self, entry: &Tracked<R>) {
        if let Some(at) = entry.counters.reset_at() {
            self.resets.lock().push(Reverse((at.timestamp(), entry.record.id().to_string())));
        }
    }

    /// The entries whose budget period may have ended by `now` (each once). Those still in a
    /// period are scheduled again by whoever rolls them ([`Table::schedule`]).
    pub fn due(&self, now: DateTime<Utc>) -> Vec<Arc<Tracked<R>>> {
        let mut ids = Vec::new();
        {
            let mut resets = self.resets.lock();
            while resets.peek().is_some_and(|Reverse((at, _))| *at <= now.timestamp()) {
                if let Some(Reverse((_, id))) = resets.pop() {
                    ids.push(id);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.iter().filter_map(|id| self.get(id)).collect()
    }

    /// Room for `n` more rows (a boot with a million keys grows the table once).
    pub fn reserve(&self, n: usize) {
        self.rows.write().reserve(n);
    }

    pub fn all(&self) -> Vec<Arc<Tracked<R>>> {
        self.rows.read().values().cloned().collect()
    }
}

/// The user ids of a team's members.
fn member_ids(team: &TeamRecord) -> impl Iterator<Item = &str> {
    team.members_with_roles.iter().filter_map(|m| m.user_id.as_deref())
}

#[derive(Default)]
pub struct Registry {
    pub keys: Table<KeyRecord>,
    pub teams: Table<TeamRecord>,
    pub users: Table<UserRecord>,
    /// Customers: those created through `/end_user/new` and those requests have named.
    pub end_users: Table<EndUserRecord>,
    /// Organizations' budgets and spend (their teams' calls count against them).
    pub organizations: Table<OrganizationLimits>,
    /// Each team member's budget and spend in the team, by [`team_member_id`]; kept in step
    /// with the teams' members by [`Registry::put_team`].
    pub team_members: Table<TeamMemberLimits>,
}

impl Registry {
    /// Inserts or replaces a team, and its members' entries with it: a member who joined starts
    /// from nothing spent, one who left is gone, the others keep their spend.
    pub fn put_team(&self, record: TeamRecord) -> Arc<Tracked<TeamRecord>> {
        self.put_team_with(record, |_| 0.0)
    }

    fn put_team_with(&self, record: TeamRecord, spent: impl Fn(&str) -> f64) -> Arc<Tracked<TeamRecord>> {
        let team_id = record.team_id.as_str();
        // A member's own budget, else the team's budget for members (0 there: none, as LiteLLM).
        let team_default = record.team_member_budget.filter(|b| *b > 0.0);
        let members: Vec<(&str, Option<f64>)> = record
            .members_with_roles
            .iter()
            .filter_map(|m| m.user_id.as_deref().map(|u| (u, m.max_budget_in_team.or(team_default))))
            .collect();
        if let Some(old) = self.teams.get(team_id) {
            for left in member_ids(&old.record).filter(|u| !members.iter().any(|(m, _)| m == u)) {
                self.team_members.remove(&team_member_id(team_id, left));
            }
        }
        for (user_id, budget) in members {
            let id = team_member_id(team_id, user_id);
            let spend = spent(&id);
            self.team_members.put(TeamMemberLimits::new(team_id, user_id, budget, spend));
        }
        self.teams.put(record)
    }

    /// Removes a team and its members' entries.
    pub fn remove_team(&self, team_id: &str) {
        if let Some(old) = self.teams.remove(team_id) {
            for user_id in member_ids(&old.record) {
                self.team_members.remove(&team_member_id(team_id, user_id));
            }
        }
    }

    /// Takes the snapshot's keys and customers (the tables that may hold millions: moved, not
    /// copied); copies the rest.
    pub fn from_snapshot(snapshot: &mut Snapshot) -> Registry {
        let registry = Registry::default();
        registry.keys.reserve(snapshot.keys.len());
        for k in std::mem::take(&mut snapshot.keys) {
            registry.keys.put(k);
        }
        for t in &snapshot.teams {
            registry.put_team_with(t.clone(), |id| snapshot.team_member_spend.get(id).copied().unwrap_or(0.0));
        }
        for u in &snapshot.users {
            registry.users.put(u.clone());
        }
        registry.end_users.reserve(snapshot.end_users.len());
        for e in std::mem::take(&mut snapshot.end_users) {
            registry.end_users.put(e);
        }
        for o in &snapshot.organizations {
            registry.organizations.put(o.clone());
        }
        registry
    }

    /// The key with this SHA-256 hex.
    pub fn key(&self, token: &str) -> Option<Arc<KeyEntry>> {
        self.keys.get(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_entries_whose_period_ended_are_due() {
        let table: Table<KeyRecord> = Table::default();
        let key = |token: &str, reset: Option<&str>| KeyRecord {
            token: token.into(),
            limits: crate::store::Limits {
                budget_duration: reset.map(|_| "1d".into()),
                budget_reset_at: reset.map(str::to_string),
                ..Default::default()
            },
            ..Default::default()
        };
        table.put(key("ended", Some("2026-12-01T00:00:00.000Z")));
        table.put(key("later", Some("2026-12-09T00:00:00.000Z")));
        table.put(key("none", None));
        // Put twice: still handed out once.
        table.put(key("ended", Some("2026-12-01T00:00:00.000Z")));
        let now = parse_time("2026-12-05T12:00:00.000Z").unwrap();
        let due: Vec<String> = table.due(now).iter().map(|e| e.record.token.clone()).collect();
        assert_eq!(due, ["ended"]);
        assert!(table.due(now).is_empty(), "handed out; scheduled again by whoever rolls it");
        let ended = table.get("ended").unwrap();
        ended.counters.roll_budget(ended.budget_duration.as_ref(), now);
        table.schedule(&ended);
        assert!(table.due(now).is_empty(), "its next period ends tomorrow");
        let later = parse_time("2026-12-09T00:00:01.000Z").unwrap();
        let due: Vec<String> = table.due(later).iter().map(|e| e.record.token.clone()).collect();
        assert_eq!(due, ["ended", "later"]);
    }

    /// A panic while the table's lock is held (a bug anywhere) must not lock every key out.
    #[test]
    fn a_panic_under_the_lock_does_not_disable_the_table() {
        let table = Arc::new(Table::<KeyRecord>::default());
        table.put(KeyRecord { token: "k".into(), ..Default::default() });
        let held = table.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = held.rows.write();
            panic!("a bug while the registry is locked");
        })
        .join();
        assert!(panicked.is_err());
        assert!(table.get("k").is_some(), "keys are still found");
        table.put(KeyRecord { token: "k2".into(), ..Default::default() });
        assert_eq!(table.all().len(), 2);
    }
}
