//! Keys, teams and users in memory: what the request path reads instead of the database.
//! The admin API writes the database first, then replaces the entry here, so a change (a
//! blocked key, a new budget) applies to the very next request.

use std::sync::Arc;

use crate::store::{
    EndUserRecord, KeyRecord, OrganizationLimits, Snapshot, Store, StoreError, TeamMemberLimits, TeamRecord,
    UserRecord, team_member_id,
};

pub use super::table::{Field, Governed, Keep, Listed, RowRef, Table, Tracked};

pub type KeyEntry = Tracked<KeyRecord>;
pub type TeamEntry = Tracked<TeamRecord>;
pub type UserEntry = Tracked<UserRecord>;
pub type EndUserEntry = Tracked<EndUserRecord>;
pub type OrganizationEntry = Tracked<OrganizationLimits>;

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

    /// Reads the store into a new registry, keys as they arrive (never all whole at once).
    pub async fn load(store: &Store) -> Result<(Registry, Snapshot), StoreError> {
        let registry = Registry::default();
        let mut snapshot = store.load_with(|n| registry.keys.reserve(n), |key| registry.keys.load(key)).await?;
        registry.fill(&mut snapshot);
        Ok((registry, snapshot))
    }

    /// Everything but the keys, from the snapshot (customers moved, not copied: there may be
    /// millions).
    fn fill(&self, snapshot: &mut Snapshot) {
        let registry = self;
        for t in &snapshot.teams {
            registry.put_team_with(t.clone(), |id| snapshot.team_member_spend.get(id).copied().unwrap_or(0.0));
        }
        for u in &snapshot.users {
            registry.users.put(u.clone());
        }
        registry.end_users.reserve(snapshot.end_users.len());
        for e in std::mem::take(&mut snapshot.end_users) {
            registry.end_users.load(e);
        }
        for o in &snapshot.organizations {
            registry.organizations.put(o.clone());
        }
    }

    /// The key with this SHA-256 hex.
    pub fn key(&self, token: &str) -> Option<Arc<KeyEntry>> {
        self.keys.get(token)
    }
}
