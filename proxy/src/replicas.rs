//! Replicas sharing one PostgreSQL database keep each other current. Every write notifies the
//! others inside its transaction ([`crate::store::changes`]); here each replica listens: a key,
//! team, user, customer, organization or model another replica changed is read again and
//! replaces (or leaves) this replica's memory, and the spend another replica's writer flushed is
//! added to the counters here, so budgets count every replica's calls (to within one flush
//! interval). After the listening connection was lost, everything is read again, as at boot.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;

use sqlx::postgres::PgListener;

use crate::auth::registry::{Governed, Table};
use crate::config::Config;
use crate::gateway::Gateway;
use crate::store::changes::{self, Notice, What};
use crate::store::records::{EndUserRecord, KeyRecord, ModelRecord, TeamRecord, UserRecord};
use crate::store::{Entity, Store, StoreError, team_member_id};

/// How long to wait before connecting again after the database went away; doubled after each
/// failed attempt up to [`MAX_RECONNECT_DELAY`] (a database that refuses LISTEN, behind a
/// transaction-mode pooler, is not asked every second).
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);

/// How often a replica says it is up, and how long one that stopped saying so is still listed.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(16);

/// A replica on the same database, as the panel's Overview lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplicaInfo {
    pub id: String,
    /// The machine (a task's host name in ECS).
    pub host: String,
    pub version: String,
    pub started_at: String,
    /// When it last said it was up (RFC 3339); this replica: now.
    pub last_seen: String,
    /// The replica answering this request.
    pub this_one: bool,
}

/// The replicas this one has heard from (itself included).
pub struct Peers {
    me: ReplicaInfo,
    seen: Mutex<HashMap<String, (ReplicaInfo, std::time::Instant)>>,
}

impl Peers {
    pub fn new(started_at: &str) -> Peers {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".into());
        Peers {
            me: ReplicaInfo {
                id: changes::replica_id().chars().take(12).collect(),
                host,
                version: crate::VERSION.to_string(),
                started_at: started_at.to_string(),
                last_seen: started_at.to_string(),
                this_one: true,
            },
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// This replica, then the others heard from lately, oldest first.
    pub fn list(&self) -> Vec<ReplicaInfo> {
        let mut me = self.me.clone();
        me.last_seen = crate::time::format_time(chrono::Utc::now());
        let mut seen = self.seen.lock();
        seen.retain(|_, (_, at)| at.elapsed() < HEARTBEAT_TIMEOUT);
        let mut others: Vec<ReplicaInfo> = seen.values().map(|(info, _)| info.clone()).collect();
        others.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        std::iter::once(me).chain(others).collect()
    }

    fn heard(&self, from: &str, host: String, version: String, started_at: String) {
        let info = ReplicaInfo {
            id: from.chars().take(12).collect(),
            host,
            version,
            started_at,
            last_seen: crate::time::format_time(chrono::Utc::now()),
            this_one: false,
        };
        self.seen.lock().insert(from.to_string(), (info, std::time::Instant::now()));
    }
}

/// Starts listening (before the boot snapshot is read, so that no change falls between the two):
/// the notices wait in the connection until [`spawn`] takes them. `None` when the store is not
/// shared (SQLite) or the database refused: then [`spawn`] connects itself.
pub async fn listen(url: &str, store: &Store) -> Option<PgListener> {
    let channel = store.changes_channel()?;
    match connect(url, channel).await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!("replicas: cannot listen for other replicas' changes yet ({e})");
            None
        }
    }
}

async fn connect(url: &str, channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// Follows the other replicas' changes until the task is aborted, starting with the notices
/// `listening` holds since boot.
pub fn spawn(
    listening: Option<PgListener>,
    url: String,
    store: Store,
    gateway: Arc<Gateway>,
    config: Arc<Config>,
    peers: Arc<Peers>,
) -> tokio::task::JoinHandle<()> {
    let follower = Follower { store, gateway, config, peers };
    tokio::spawn(async move {
        let heartbeat = follower.heartbeat();
        let follow = follower.run(listening, &url);
        tokio::join!(heartbeat, follow);
    })
}

struct Follower {
    store: Store,
    gateway: Arc<Gateway>,
    config: Arc<Config>,
    peers: Arc<Peers>,
}

impl Follower {
    /// Tells the other replicas this one is up, every few seconds.
    async fn heartbeat(&self) {
        let payloads = changes::heartbeat(&self.peers.me.host, &self.peers.me.started_at);
        loop {
            if let Err(e) = self.store.notify(&payloads).await {
                tracing::debug!("replicas: heartbeat not sent ({e})");
            }
            tokio::time::sleep(HEARTBEAT_INTERVAL).await;
        }
    }

    async fn run(&self, mut listening: Option<PgListener>, url: &str) {
        let Some(channel) = self.store.changes_channel().map(str::to_string) else { return };
        let mut delay = RECONNECT_DELAY;
        loop {
            let mut listener = match listening.take() {
                // Listening since before the boot snapshot: nothing was missed.
                Some(listener) => listener,
                None => {
                    let listener = match connect(url, &channel).await {
                        Ok(listener) => listener,
                        Err(e) => {
                            tracing::warn!(
                                "replicas: cannot listen for other replicas' changes ({e}); trying again in {delay:?}"
                            );
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(MAX_RECONNECT_DELAY);
                            continue;
                        }
                    };
                    // What changed while nobody listened.
                    if let Err(e) = self.resync().await {
                        tracing::warn!("replicas: reading the database again failed ({e}); trying again in {delay:?}");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(MAX_RECONNECT_DELAY);
                        continue;
                    }
                    delay = RECONNECT_DELAY;
                    listener
                }
            };
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => self.take(notification.payload()).await,
                    Ok(None) => {
                        tracing::warn!("replicas: the listening connection was lost; connecting again");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!("replicas: listening failed ({e}); connecting again");
                        break;
                    }
                }
            }
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    }

    async fn take(&self, payload: &str) {
        let notice: Notice = match serde_json::from_str(payload) {
            Ok(notice) => notice,
            Err(e) => return tracing::warn!("replicas: a notice that is not ours was ignored ({e})"),
        };
        if notice.from == changes::replica_id() {
            return;
        }
        let registry = &self.gateway.registry;
        match notice.what {
            What::Heartbeat { host, version, started_at } => self.peers.heard(&notice.from, host, version, started_at),
            What::Changed { records } => {
                for (entity, id) in records {
                    if let Err(e) = self.reload(entity, &id).await {
                        tracing::warn!("replicas: {entity:?} {id} changed elsewhere but could not be read ({e})");
                    }
                }
            }
            What::SpendSet { entity, id, spend, reset_at } => {
                let reset_at = reset_at.as_deref().and_then(crate::time::parse_time);
                fn set<R: Governed>(
                    table: &Table<R>,
                    id: &str,
                    spend: f64,
                    reset_at: Option<chrono::DateTime<chrono::Utc>>,
                ) {
                    if let Some(entry) = table.get(id) {
                        entry.counters.set_spend(spend, reset_at);
                        table.schedule(&entry);
                    }
                }
                match entity {
                    Entity::Key => set(&registry.keys, &id, spend, reset_at),
                    Entity::Team => set(&registry.teams, &id, spend, reset_at),
                    Entity::User => set(&registry.users, &id, spend, reset_at),
                    Entity::EndUser => set(&registry.end_users, &id, spend, reset_at),
                    Entity::Organization => set(&registry.organizations, &id, spend, reset_at),
                    Entity::Model | Entity::Budget => {}
                }
            }
            What::SpendAdded { entities, members } => {
                for (entity, id, spend) in entities {
                    let counters = match entity {
                        Entity::Key => registry.keys.get(&id).map(|e| e.counters.clone()),
                        Entity::Team => registry.teams.get(&id).map(|e| e.counters.clone()),
                        Entity::User => registry.users.get(&id).map(|e| e.counters.clone()),
                        Entity::EndUser => registry.end_users.get(&id).map(|e| e.counters.clone()),
                        Entity::Organization => registry.organizations.get(&id).map(|e| e.counters.clone()),
                        Entity::Model | Entity::Budget => None,
                    };
                    if let Some(counters) = counters {
                        counters.add_spend(spend);
                    }
                }
                for (team, user, spend) in members {
                    if let Some(member) = registry.team_members.get(&team_member_id(&team, &user)) {
                        member.counters.add_spend(spend);
                    }
                }
            }
        }
    }

    /// Reads one record again and puts it in memory, or takes it out when it is gone.
    async fn reload(&self, entity: Entity, id: &str) -> Result<(), StoreError> {
        let registry = &self.gateway.registry;
        match entity {
            Entity::Key => reload_into(&registry.keys, self.store.record::<KeyRecord>(entity, id).await?, id),
            Entity::User => reload_into(&registry.users, self.store.record::<UserRecord>(entity, id).await?, id),
            Entity::EndUser => {
                reload_into(&registry.end_users, self.store.record::<EndUserRecord>(entity, id).await?, id);
            }
            Entity::Team => match self.store.record::<TeamRecord>(entity, id).await? {
                Some((mut team, spend)) => {
                    team.spend = spend;
                    if !registry.teams.newer_than(&team) {
                        registry.put_team(team);
                    }
                }
                None => registry.remove_team(id),
            },
            // An organization's limits come from its budget: either change reads them all again.
            Entity::Organization | Entity::Budget => self.reload_organizations().await?,
            Entity::Model => match self.store.model(id).await? {
                Some(model) => self.serve_model(model).await,
                None => {
                    let change = self.gateway.change_models().await;
                    if change.check_removable(id).is_ok() {
                        change.remove(id);
                    }
                }
            },
        }
        Ok(())
    }

    async fn reload_organizations(&self) -> Result<(), StoreError> {
        let organizations = self.store.organization_limits().await?;
        let table = &self.gateway.registry.organizations;
        let kept: HashSet<String> = organizations.iter().map(|o| o.organization_id.clone()).collect();
        for organization in organizations {
            table.put(organization);
        }
        for gone in table.all().into_iter().filter(|e| !kept.contains(e.record.id())) {
            table.remove(gone.record.id());
        }
        Ok(())
    }

    /// Serves a database model as another replica saved it.
    async fn serve_model(&self, mut model: ModelRecord) {
        if let Err(e) = self.store.open_model(&mut model) {
            return tracing::error!("replicas: model {} cannot be opened here ({e})", model.model_id);
        }
        let entry =
            match self.config.model_entry(&model.model_id, &model.model_name, &model.litellm_params, &model.model_info)
            {
                Ok(entry) => entry,
                Err(e) => return tracing::error!("replicas: model {} is not valid here ({e})", model.model_id),
            };
        let change = self.gateway.change_models().await;
        match change.build(&entry).await {
            Ok(deployment) => change.install(deployment),
            Err(e) => tracing::error!("replicas: model {} cannot be served here ({e})", model.model_id),
        }
    }

    /// Reads everything again after the listening connection was lost: what changed while
    /// nobody listened. A record changed here since it was read stays; an entry the snapshot
    /// lacks is dropped only if the database still has none (it may be newer than the snapshot).
    /// Entries that exist keep their counters, and their spend is the larger of this replica's
    /// and the database's (this replica's unwritten spend is not in the database yet; the
    /// others' flushes while nobody listened are only there).
    async fn resync(&self) -> Result<(), StoreError> {
        let registry = &self.gateway.registry;
        // Keys as they are read: a million are never whole at once, only their ids are kept.
        let mut read_keys = HashSet::new();
        let snapshot = self
            .store
            .load_with(
                |_| {},
                |key| {
                    read_keys.insert(key.token.clone());
                    sync_record(&registry.keys, key);
                },
            )
            .await?;
        let gone_keys = registry.keys.ids().into_iter().filter(|id| !read_keys.contains(id)).collect();
        drop(read_keys);
        let gone = [
            (Entity::Key, gone_keys),
            (Entity::User, self.sync_table(&registry.users, snapshot.users)),
            (Entity::EndUser, self.sync_table(&registry.end_users, snapshot.end_users)),
        ];
        for (entity, ids) in gone {
            for id in ids {
                self.reload(entity, &id).await?;
            }
        }
        self.reload_organizations().await?;
        let teams: HashSet<String> = snapshot.teams.iter().map(|t| t.team_id.clone()).collect();
        for team in snapshot.teams {
            if registry.teams.newer_than(&team) {
                continue;
            }
            let spend = team.spend;
            let entry = registry.put_team(team);
            raise_spend(&entry.counters, spend);
        }
        for gone in registry.teams.all().into_iter().filter(|e| !teams.contains(&e.record.team_id)) {
            self.reload(Entity::Team, &gone.record.team_id).await?;
        }
        let models: HashSet<String> = snapshot.models.iter().map(|m| m.model_id.clone()).collect();
        for model in snapshot.models {
            self.serve_model(model).await;
        }
        for gone in self.gateway.deployments().iter().filter(|d| d.from_db && !models.contains(&d.entry.id)) {
            self.reload(Entity::Model, &gone.entry.id).await?;
        }
        Ok(())
    }

    /// Puts the snapshot's records (unless changed here since); the ids here it lacks.
    fn sync_table<R: Governed>(&self, table: &Table<R>, records: Vec<R>) -> Vec<String> {
        let kept: HashSet<String> = records.iter().map(|r| r.id().to_string()).collect();
        for record in records {
            sync_record(table, record);
        }
        table.ids().into_iter().filter(|id| !kept.contains(id)).collect()
    }
}

/// Puts a record read again from the database, unless changed here since; an entry in use
/// keeps its counters, with the larger of the two spends (a frozen one took the database's).
fn sync_record<R: Governed>(table: &Table<R>, record: R) {
    let spend = record.spend();
    let id = record.id().to_string();
    table.put_unless_newer(record);
    if let Some(entry) = table.in_use(&id) {
        raise_spend(&entry.counters, spend);
    }
}

fn reload_into<R: Governed>(table: &Table<R>, found: Option<(R, f64)>, id: &str) {
    match found {
        Some((mut record, spend)) => {
            record.set_spend(spend);
            table.put_unless_newer(record);
        }
        None => {
            table.remove(id);
        }
    }
}

fn raise_spend(counters: &crate::limits::Counters, stored: f64) {
    if stored > counters.spend() {
        counters.set_spend(stored, counters.reset_at());
    }
}

/// Whether other replicas may share the store (PostgreSQL), so [`spawn`] has work to do.
pub fn shared(store: &Store) -> bool {
    store.changes_channel().is_some()
}
