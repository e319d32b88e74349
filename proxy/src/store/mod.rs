//! Persistence with sqlx: an embedded SQLite file by default, PostgreSQL when `DATABASE_URL`
//! says so. The same queries serve both (records are JSON documents beside a few columns).
//!
//! Nothing here is called on the request path: the gateway serves from memory, and spend rows
//! reach the database through the batched writer.

pub mod agentcore;
pub mod audit;
pub mod changes;
mod daily;
mod latency;
pub mod records;
pub mod responses;
pub mod sealed;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Row, SqlSafeStr};

pub use latency::LatencyRow;
pub use records::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt record in {table}: {error}")]
    Corrupt { table: &'static str, error: String },
    #[error("{0}")]
    Config(String),
    /// A unique constraint refused the write.
    #[error("already exists: {0}")]
    Conflict(String),
    /// An id longer than [`MAX_ID_BYTES`]: past it PostgreSQL can neither index it nor tell
    /// the other replicas of its change.
    #[error("{column}: {len} bytes long; an id is at most {MAX_ID_BYTES} bytes")]
    IdTooLong { column: &'static str, len: usize },
}

/// The longest id a record may have, on either database (so that a write works on both).
pub const MAX_ID_BYTES: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    kind: DbKind,
    /// Encrypts provider secrets of stored models; without one they cannot be stored.
    sealer: Option<std::sync::Arc<sealed::Sealer>>,
    /// PostgreSQL: the channel this schema's replicas tell each other of their writes on
    /// ([`changes`]); one per schema, so that gateways in other schemas hear nothing of them.
    channel: Option<std::sync::Arc<str>>,
    /// SQLite: where the database is, for the start-up read of every key on a connection of
    /// its own ([`Store::documents_with_spend`]).
    sqlite_url: Option<std::sync::Arc<str>>,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "governance", include_str!("../../migrations/sqlite/0001_governance.sql")),
    (2, "agentcore", include_str!("../../migrations/sqlite/0002_agentcore.sql")),
    (3, "integrity", include_str!("../../migrations/sqlite/0003_integrity.sql")),
    (4, "organizations_budgets", include_str!("../../migrations/sqlite/0004_organizations_budgets.sql")),
    (5, "end_users", include_str!("../../migrations/sqlite/0005_end_users.sql")),
    (6, "organization_spend", include_str!("../../migrations/sqlite/0006_organization_spend.sql")),
    (7, "responses", include_str!("../../migrations/sqlite/0007_responses.sql")),
    (8, "audit_log", include_str!("../../migrations/sqlite/0008_audit_log.sql")),
    (9, "completion_start_time", include_str!("../../migrations/sqlite/0009_completion_start_time.sql")),
    (10, "team_memberships", include_str!("../../migrations/sqlite/0010_team_memberships.sql")),
    (11, "spend_daily", include_str!("../../migrations/sqlite/0011_spend_daily.sql")),
    (12, "agentcore_turns", include_str!("../../migrations/shared/0012_agentcore_turns.sql")),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "governance", include_str!("../../migrations/postgres/0001_governance.sql")),
    (2, "agentcore", include_str!("../../migrations/postgres/0002_agentcore.sql")),
    (3, "integrity", include_str!("../../migrations/postgres/0003_integrity.sql")),
    (4, "organizations_budgets", include_str!("../../migrations/postgres/0004_organizations_budgets.sql")),
    (5, "end_users", include_str!("../../migrations/postgres/0005_end_users.sql")),
    (6, "organization_spend", include_str!("../../migrations/postgres/0006_organization_spend.sql")),
    (7, "responses", include_str!("../../migrations/postgres/0007_responses.sql")),
    (8, "audit_log", include_str!("../../migrations/postgres/0008_audit_log.sql")),
    (9, "completion_start_time", include_str!("../../migrations/postgres/0009_completion_start_time.sql")),
    (10, "team_memberships", include_str!("../../migrations/postgres/0010_team_memberships.sql")),
    (11, "spend_daily", include_str!("../../migrations/postgres/0011_spend_daily.sql")),
    (12, "agentcore_turns", include_str!("../../migrations/shared/0012_agentcore_turns.sql")),
];

/// The gateway's data folder: `switchboard` in the user's data folder (`XDG_DATA_HOME`, else
/// `~/.local/share`).
pub fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("switchboard")
}

/// The default database: `switchboard.db` in the data folder.
pub fn default_sqlite_path() -> PathBuf {
    default_data_dir().join("switchboard.db")
}

/// `sqlite://...` for a path.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Store {
    /// Connects and applies the migrations of the database's kind.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store::open(url).await?;
        store.migrate(i64::MAX).await?;
        Ok(store)
    }

    async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            DbKind::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL '{}': use sqlite://PATH or postgres://...",
                url.split('@').next_back().unwrap_or("")
            )));
        };
        if kind == DbKind::Sqlite
            && let Some(path) = url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p))
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if kind == DbKind::Sqlite { 4 } else { 10 })
            // A database that is away fails a query in seconds rather than holding it (the
            // spend writer keeps its rows and retries; the admin API answers with the error).
            .acquire_timeout(Duration::from_secs(3))
            .connect(url)
            .await?;
        let mut channel = None;
        if kind == DbKind::Sqlite {
            // WAL lets the admin API read while the spend writer writes.
            sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await?;
        } else {
            let schema: String =
                sqlx::query("SELECT current_schema()::text AS s").fetch_one(&pool).await?.try_get("s")?;
            channel = Some(changes::channel(&schema).into());
        }
        // An in-memory database is the pool connection's own: another connection sees none of it.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let sqlite_url = (kind == DbKind::Sqlite && !in_memory).then(|| url.into());
        Ok(Store { pool, kind, sealer: None, channel, sqlite_url })
    }

    /// Sends `payloads` on this schema's channel, outside any write (PostgreSQL only).
    pub async fn notify(&self, payloads: &[String]) -> Result<(), StoreError> {
        let Some(channel) = self.changes_channel() else { return Ok(()) };
        let mut conn = self.pool.acquire().await?;
        changes::send(&mut conn, channel, payloads).await?;
        Ok(())
    }

    /// PostgreSQL: the channel of [`changes`] notices for this database schema.
    pub fn changes_channel(&self) -> Option<&str> {
        self.channel.as_deref()
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Stored models' provider secrets are sealed with this key (`LITELLM_SALT_KEY`, else the
    /// master key).
    pub fn with_sealing_key(mut self, key: &secrecy::SecretString) -> Result<Store, StoreError> {
        let sealer = sealed::Sealer::new(key).map_err(|e| StoreError::Config(e.to_string()))?;
        self.sealer = Some(std::sync::Arc::new(sealer));
        Ok(self)
    }

    fn sealer(&self) -> Result<&sealed::Sealer, StoreError> {
        self.sealer.as_deref().ok_or_else(|| StoreError::Config("no key to seal provider secrets with".into()))
    }

    /// A stored model with its provider secrets opened.
    pub fn open_model(&self, model: &mut ModelRecord) -> Result<(), StoreError> {
        if !sealed::has_sealed_secret(&model.litellm_params) {
            return Ok(());
        }
        self.sealer()?.open_params(&mut model.litellm_params).map_err(|e| StoreError::Config(e.to_string()))
    }

    /// Applies the migrations up to `version`.
    async fn migrate(&self, version: i64) -> Result<(), StoreError> {
        let sources = match self.kind {
            DbKind::Sqlite => SQLITE_MIGRATIONS,
            DbKind::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrations = sources
            .iter()
            .filter(|(v, _, _)| *v <= version)
            .map(|(v, d, sql)| Migration::new(*v, (*d).into(), MigrationType::Simple, sql.into_sql_str(), false))
            .collect();
        let mut conn = self.pool.acquire().await?;
        // `run_direct` rather than `run`: `run`'s future is not `Send` (sqlx's "Acquire is not
        // general enough"), and the desktop app spawns the server on its own tasks.
        Migrator::with_migrations(migrations).run_direct(None, &mut *conn, false).await?;
        Ok(())
    }

    /// Runs one statement (tests use it to break and mend the database).
    #[cfg(test)]
    pub(crate) async fn execute(&self, sql: &'static str) -> Result<(), StoreError> {
        sqlx::query(sql).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Everything the gateway keeps in memory.
    pub async fn load(&self) -> Result<Snapshot, StoreError> {
        let mut keys = Vec::new();
        let mut snapshot = self.load_with(|_| {}, |key| keys.push(key)).await?;
        snapshot.keys = keys;
        Ok(snapshot)
    }

    /// [`Store::load`], each key handed to `on_key` as it is read (the snapshot has none), after
    /// `on_count` was told how many there are: a million keys are never all in one vector.
    pub async fn load_with(
        &self,
        on_count: impl FnOnce(usize),
        on_key: impl FnMut(KeyRecord),
    ) -> Result<Snapshot, StoreError> {
        // Spend lives in its column (the writer increments it), not in the document.
        self.documents_with_spend("virtual_keys", |k: &mut KeyRecord, s| k.spend = s, on_count, on_key).await?;
        let mut teams: Vec<TeamRecord> = self.documents("teams", "team_id").await?;
        let mut users: Vec<UserRecord> = self.documents("users", "user_id").await?;
        let stored_models: Vec<ModelRecord> = self.documents("models", "model_id").await?;
        let mut models = Vec::with_capacity(stored_models.len());
        for mut model in stored_models {
            if self.sealer.is_some() && sealed::has_clear_secret(&model.litellm_params) {
                // Written before secrets were sealed: seal it now, in place.
                self.commit(&[Write::Model(&model)]).await?;
            }
            match self.open_model(&mut model) {
                Ok(()) => models.push(model),
                Err(e) => tracing::error!("database model {} ({}) left out: {e}", model.model_id, model.model_name),
            }
        }
        let team_spend = self.spend_column("teams", "team_id").await?;
        for t in &mut teams {
            t.spend = team_spend.get(&t.team_id).copied().unwrap_or(0.0);
        }
        let user_spend = self.spend_column("users", "user_id").await?;
        for u in &mut users {
            u.spend = user_spend.get(&u.user_id).copied().unwrap_or(0.0);
        }
        let mut end_users: Vec<EndUserRecord> = Vec::new();
        self.documents_with_spend("end_users", |e: &mut EndUserRecord, s| e.spend = s, |_| {}, |e| end_users.push(e))
            .await?;
        let organizations = self.organization_limits().await?;
        let team_member_spend = sqlx::query("SELECT team_id, user_id, spend FROM team_memberships")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let (team, user): (String, String) = (r.try_get("team_id")?, r.try_get("user_id")?);
                Ok((team_member_id(&team, &user), r.try_get::<f64, _>("spend")?))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Snapshot { keys: Vec::new(), teams, users, models, end_users, organizations, team_member_spend })
    }

    async fn documents<T: DeserializeOwned>(
        &self,
        table: &'static str,
        id: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!("SELECT data FROM {table} ORDER BY created_at, {id}");
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let data: String = row.try_get("data")?;
                serde_json::from_str(&data).map_err(|e| StoreError::Corrupt { table, error: e.to_string() })
            })
            .collect()
    }

    /// Every document of a table that may hold very many (keys, customers) with its spend, each
    /// handed to `on_document` as the rows arrive (after `on_count` was told how many): neither
    /// all the rows nor a map of their spends are held here. In no particular order.
    async fn documents_with_spend<T: DeserializeOwned>(
        &self,
        table: &'static str,
        set_spend: impl Fn(&mut T, f64),
        on_count: impl FnOnce(usize),
        mut on_document: impl FnMut(T),
    ) -> Result<(), StoreError> {
        use futures::TryStreamExt;
        let count: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {table}")))
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        on_count(usize::try_from(count).unwrap_or(0));
        let sql = format!("SELECT data, spend FROM {table}");
        let mut take = |data: &str, spend: f64| {
            let mut document: T =
                serde_json::from_str(data).map_err(|e| StoreError::Corrupt { table, error: e.to_string() })?;
            set_spend(&mut document, spend);
            on_document(document);
            Ok::<(), StoreError>(())
        };
        if let Some(url) = &self.sqlite_url {
            // SQLite's own rows, a thousand buffered: through the pool, each row would be
            // converted to the driver-neutral kind, and this task woken for it on its own.
            use sqlx::ConnectOptions;
            let options =
                <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)?.row_buffer_size(1024);
            let mut connection = options.connect().await?;
            let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut connection);
            while let Some(row) = rows.try_next().await? {
                take(row.try_get("data")?, row.try_get("spend")?)?;
            }
            return Ok(());
        }
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            take(row.try_get("data")?, row.try_get("spend")?)?;
        }
        Ok(())
    }

    /// Every budget (`/budget/*`), oldest first.
    pub async fn budgets(&self) -> Result<Vec<BudgetRecord>, StoreError> {
        self.documents("budgets", "budget_id").await
    }

    /// Every organization (`/organization/*`), oldest first, with its spend.
    pub async fn organizations(&self) -> Result<Vec<OrganizationRecord>, StoreError> {
        let mut organizations: Vec<OrganizationRecord> = self.documents("organizations", "organization_id").await?;
        let spend = self.spend_column("organizations", "organization_id").await?;
        for o in &mut organizations {
            o.spend = spend.get(&o.organization_id).copied().unwrap_or(0.0);
        }
        Ok(organizations)
    }

    /// What limits each organization's calls: its budget's limits and its spend.
    pub async fn organization_limits(&self) -> Result<Vec<OrganizationLimits>, StoreError> {
        let budgets = self.budgets().await?;
        Ok(self
            .organizations()
            .await?
            .iter()
            .map(|o| {
                let budget = o.budget_id.as_deref().and_then(|b| budgets.iter().find(|x| x.budget_id == b));
                OrganizationLimits::of(o, budget)
            })
            .collect())
    }

    async fn spend_column(&self, table: &'static str, id: &'static str) -> Result<HashMap<String, f64>, StoreError> {
        let sql = format!("SELECT {id} AS id, spend FROM {table}");
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>("id")?, r.try_get::<f64, _>("spend")?))).collect()
    }

    /// Applies several changes in one transaction: all of them, or none. Nothing is audited:
    /// this is for the store's own upkeep (sealing old secrets) and for tests; admin changes go
    /// through [`Store::commit_audited`].
    pub async fn commit(&self, writes: &[Write<'_>]) -> Result<(), StoreError> {
        self.commit_with(writes, None).await
    }

    /// [`Store::commit`], with an audit row per write in the same transaction: the row as it
    /// was (read inside the transaction, so no other change slips between), the row as it is
    /// now, and what happened: `created`, `updated` or `deleted`, from what was there, or
    /// `action` for the writes of the first write's kind (a team blocked: the users its members
    /// needed, written along, are `created`).
    pub async fn commit_audited(
        &self,
        writes: &[Write<'_>],
        actor: &audit::Actor,
        action: Option<&str>,
    ) -> Result<(), StoreError> {
        self.commit_with(writes, Some((actor, action))).await
    }

    async fn commit_with(
        &self,
        writes: &[Write<'_>],
        audited: Option<(&audit::Actor, Option<&str>)>,
    ) -> Result<(), StoreError> {
        for write in writes {
            let (entity, id) = write.target();
            if id.len() > MAX_ID_BYTES {
                return Err(StoreError::IdTooLong { column: entity.table().1, len: id.len() });
            }
        }
        // SQLite: take the write lock up front. The audit reads each row before writing it, and
        // a transaction that reads first cannot wait for another writer when it comes to write
        // (SQLITE_BUSY at once, whatever the busy timeout); `BEGIN IMMEDIATE` waits at the start.
        let mut tx = match self.kind {
            DbKind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            DbKind::Postgres => self.pool.begin().await?,
        };
        let at = crate::time::format_time(chrono::Utc::now());
        let named = writes.first().map(|w| w.target().0);
        for write in writes {
            let change = match audited {
                Some((actor, action)) => {
                    let (entity, id) = write.target();
                    let before =
                        audit::stored_document(&mut tx, self.kind, entity, id).await.map_err(StoreError::Database)?;
                    let action = action.filter(|_| named == Some(entity));
                    audit::change_of(write, before, actor, action).map_err(StoreError::Database)?
                }
                None => None,
            };
            let result = match write {
                Write::Model(m) if sealed::has_clear_secret(&m.litellm_params) => {
                    let mut stored = (*m).clone();
                    self.sealer()?
                        .seal_params(&mut stored.litellm_params)
                        .map_err(|e| StoreError::Config(e.to_string()))?;
                    apply(&mut tx, &Write::Model(&stored)).await
                }
                other => apply(&mut tx, other).await,
            };
            result.map_err(conflict_or_database)?;
            if let Some(change) = change {
                audit::insert(&mut tx, change, &at).await?;
            }
        }
        if let Some(channel) = self.changes_channel() {
            changes::send(&mut tx, channel, &changes::written(writes)).await?;
        }
        tx.commit().await.map_err(conflict_or_database)?;
        Ok(())
    }

    /// Sets an entity's spend (a budget period ended, an admin override) and its next reset time,
    /// without touching the rest of its record. Only the spend writer calls this, so that it
    /// lands in order with the spend rows before it.
    pub async fn set_spend(
        &self,
        entity: Entity,
        id: &str,
        spend: f64,
        reset_at: Option<&str>,
    ) -> Result<(), StoreError> {
        let (table, column) = entity.table();
        let mut tx = self.pool.begin().await?;
        // The reset time lives in the JSON document; patch that field only.
        match self.kind {
            DbKind::Sqlite => {
                let sql = format!(
                    "UPDATE {table} SET spend = $1, data = json_set(data, '$.budget_reset_at', $2) WHERE {column} = $3"
                );
                sqlx::query(AssertSqlSafe(sql)).bind(spend).bind(reset_at).bind(id).execute(&mut *tx).await?;
            }
            // Not with `jsonb_set`: a round trip through `jsonb` writes every number of the
            // document anew, and a budget of 1.8e308 comes back as 309 digits that no JSON
            // reader turns into a float again.
            DbKind::Postgres => {
                let sql = format!("SELECT data FROM {table} WHERE {column} = $1 FOR UPDATE");
                let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *tx).await?;
                let Some(row) = row else { return Ok(()) };
                let data: String = row.try_get("data")?;
                let mut document: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&data).map_err(|e| StoreError::Corrupt { table, error: e.to_string() })?;
                document.insert("budget_reset_at".into(), reset_at.map_or(serde_json::Value::Null, |at| at.into()));
                let data = serde_json::to_string(&document)
                    .map_err(|e| StoreError::Corrupt { table, error: e.to_string() })?;
                let sql = format!("UPDATE {table} SET spend = $1, data = $2 WHERE {column} = $3");
                sqlx::query(AssertSqlSafe(sql)).bind(spend).bind(data).bind(id).execute(&mut *tx).await?;
            }
        }
        if let Some(channel) = self.changes_channel() {
            changes::send(&mut tx, channel, &changes::spend_set(entity, id, spend, reset_at)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One key, team, user or customer with its spend, as [`Store::load`] reads them all
    /// (`None`: there is none). Models are read with [`Store::model`].
    pub async fn record<T: DeserializeOwned>(&self, entity: Entity, id: &str) -> Result<Option<(T, f64)>, StoreError> {
        let (table, column) = entity.table();
        let sql = format!("SELECT data, spend FROM {table} WHERE {column} = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| {
            let data: String = r.try_get("data")?;
            let record =
                serde_json::from_str(&data).map_err(|e| StoreError::Corrupt { table, error: e.to_string() })?;
            Ok((record, r.try_get::<f64, _>("spend")?))
        })
        .transpose()
    }

    /// Writes spend rows and adds to the running totals, in one transaction. `retried`: this batch
    /// may have been committed already by an attempt whose acknowledgement was lost; the rows
    /// already there are then skipped and add nothing, so a retry never counts a call twice.
    /// `carried` totals (of rows the writer could not keep while the database was away) are
    /// added as they are. Returns the rows inserted.
    pub async fn write_spend(&self, rows: &[&SpendLog], carried: &Totals, retried: bool) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let written_before =
            if retried { existing_spend_ids(&mut tx, self.kind, rows).await? } else { Default::default() };
        let rows: Vec<&SpendLog> = rows.iter().copied().filter(|r| !written_before.contains(&r.request_id)).collect();
        // Many rows per statement: each statement is a round trip to the database (for SQLite,
        // to sqlx's worker thread), which costs more than the row itself.
        for chunk in rows.chunks(SPEND_ROWS_PER_INSERT) {
            let mut query = sqlx::query(AssertSqlSafe(spend_insert_sql(self.kind, chunk.len())));
            for log in chunk {
                query = query
                    .bind(&log.request_id)
                    .bind(&log.response_id)
                    .bind(&log.call_type)
                    .bind(&log.api_key)
                    .bind(&log.key_alias)
                    .bind(&log.team_id)
                    .bind(&log.user)
                    .bind(&log.end_user)
                    .bind(&log.model)
                    .bind(&log.model_id)
                    .bind(&log.model_group)
                    .bind(&log.custom_llm_provider)
                    .bind(&log.api_base)
                    .bind(log.spend)
                    .bind(log.prompt_tokens as i64)
                    .bind(log.completion_tokens as i64)
                    .bind(log.total_tokens as i64)
                    .bind(&log.start_time)
                    .bind(&log.end_time)
                    .bind(&log.completion_start_time)
                    .bind(log.request_duration_ms as i64)
                    .bind(&log.status)
                    .bind(records::json_without_nul(
                        serde_json::to_string(&log.metadata).unwrap_or_else(|_| "{}".into()),
                    ));
            }
            query.execute(&mut *tx).await?;
        }
        daily::add(&mut tx, self.kind, &rows).await?;
        let mut totals = carried.clone();
        for log in &rows {
            totals.add(log);
        }
        for (token, (spend, last_active)) in &totals.keys {
            sqlx::query("UPDATE virtual_keys SET spend = spend + $1, last_active = $2 WHERE token = $3")
                .bind(*spend)
                .bind(last_active)
                .bind(token)
                .execute(&mut *tx)
                .await?;
        }
        for (team, spend) in &totals.teams {
            sqlx::query("UPDATE teams SET spend = spend + $1 WHERE team_id = $2")
                .bind(*spend)
                .bind(team)
                .execute(&mut *tx)
                .await?;
        }
        for (user, spend) in &totals.users {
            sqlx::query("UPDATE users SET spend = spend + $1 WHERE user_id = $2")
                .bind(*spend)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        for (organization, spend) in &totals.organizations {
            sqlx::query("UPDATE organizations SET spend = spend + $1 WHERE organization_id = $2")
                .bind(*spend)
                .bind(organization)
                .execute(&mut *tx)
                .await?;
        }
        // Members only: a row from before its user left the team (or joined it) charges nothing.
        for ((team, user), spend) in &totals.team_members {
            sqlx::query("UPDATE team_memberships SET spend = spend + $1 WHERE team_id = $2 AND user_id = $3")
                .bind(*spend)
                .bind(team)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(channel) = self.changes_channel() {
            changes::send(&mut tx, channel, &changes::spend_added(&totals)).await?;
        }
        // A customer is recorded the first time a request names it, as LiteLLM upserts it.
        for (end_user, (spend, seen)) in &totals.end_users {
            let first = EndUserRecord::first_seen(end_user, seen);
            sqlx::query(
                "INSERT INTO end_users (user_id, spend, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
                 ON CONFLICT (user_id) DO UPDATE SET spend = end_users.spend + excluded.spend",
            )
            .bind(end_user)
            .bind(*spend)
            .bind(document(&first)?)
            .bind(seen)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    /// A stored model as it was written (secrets still sealed).
    pub async fn model(&self, model_id: &str) -> Result<Option<ModelRecord>, StoreError> {
        let row = sqlx::query("SELECT data FROM models WHERE model_id = $1")
            .bind(model_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let data: String = r.try_get("data")?;
            serde_json::from_str(&data).map_err(|e| StoreError::Corrupt { table: "models", error: e.to_string() })
        })
        .transpose()
    }

    /// Spend rows, newest first.
    pub async fn spend_logs(&self, filter: &SpendFilter) -> Result<Vec<SpendLog>, StoreError> {
        let mut sql = String::from(
            "SELECT request_id, response_id, call_type, api_key, key_alias, team_id, user_id, end_user, model, model_id, model_group, \
             custom_llm_provider, api_base, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time, \
             completion_start_time, request_duration_ms, status, metadata FROM spend_logs",
        );
        let mut args: Vec<&str> = Vec::new();
        let mut conditions = Vec::new();
        if let Some(id) = filter.request_id.as_deref() {
            // LiteLLM files rows under the upstream's response id; clients look them up by it.
            args.push(id);
            conditions.push("(request_id = $1 OR response_id = $1)".to_string());
        }
        for (column, op, value) in [
            ("api_key", "=", filter.api_key.as_deref()),
            ("team_id", "=", filter.team_id.as_deref()),
            ("user_id", "=", filter.user_id.as_deref()),
            ("model_group", "=", filter.model.as_deref()),
            ("status", "=", filter.status.as_deref()),
            ("start_time", ">=", filter.start.as_deref()),
            ("start_time", "<", filter.end.as_deref()),
        ] {
            if let Some(v) = value {
                args.push(v);
                conditions.push(format!("{column} {op} ${}", args.len()));
            }
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(&format!(" ORDER BY start_time DESC LIMIT {}", filter.limit.clamp(1, 10_000)));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in args {
            query = query.bind(a);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(spend_log_from_row).collect()
    }

    /// The `limit` keys that spent most, all time.
    pub async fn top_keys(&self, limit: usize) -> Result<Vec<SpendTotal>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT api_key AS grp, key_alias AS alias, spend, requests, total_tokens AS tokens FROM spend_keys \
             ORDER BY spend DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(spend_total_from_row).collect()
    }

    /// Total spend and request count grouped by key, team, model or day, since a day (the first
    /// 10 characters of `since`), from the daily table.
    pub async fn spend_by(&self, group: SpendGroup, since: Option<&str>) -> Result<Vec<SpendTotal>, StoreError> {
        // Keys from the detailed table; the rest from the one with a few rows a day.
        let (column, alias, table) = match group {
            SpendGroup::Key => ("api_key", "MAX(key_alias)", "spend_daily"),
            SpendGroup::Team => ("NULLIF(team_id, '')", "NULL", "spend_days"),
            SpendGroup::Model => ("model_group", "NULL", "spend_days"),
            SpendGroup::Day => ("day", "NULL", "spend_days"),
        };
        let mut sql = format!(
            "SELECT {column} AS grp, {alias} AS alias, COALESCE(SUM(spend), 0.0) AS spend, \
             CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, \
             CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS tokens FROM {table}"
        );
        if since.is_some() {
            sql.push_str(" WHERE day >= $1");
        }
        sql.push_str(&format!(" GROUP BY {column} ORDER BY spend DESC"));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(s) = since {
            query = query.bind(day_of(s));
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(spend_total_from_row).collect()
    }
}

/// A row of `grp`, `alias`, `spend`, `requests` and `tokens`.
fn spend_total_from_row(r: &AnyRow) -> Result<SpendTotal, StoreError> {
    Ok(SpendTotal {
        group: r.try_get::<Option<String>, _>("grp")?,
        alias: r.try_get::<Option<String>, _>("alias")?,
        spend: r.try_get::<f64, _>("spend")?,
        requests: r.try_get::<i64, _>("requests")?.max(0) as u64,
        tokens: r.try_get::<i64, _>("tokens")?.max(0) as u64,
    })
}

/// The day (`YYYY-MM-DD`) of an ISO 8601 time: the daily table's key.
fn day_of(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

impl Store {
    /// Spend and tokens per day, team, customer, key and model from the day of `start`
    /// (inclusive) to the day of `end` (exclusive), both ISO 8601: what `/global/spend/report`
    /// arranges by team, customer or key. `user_id` and `api_key` narrow it down.
    pub async fn spend_report(
        &self,
        start: &str,
        end: &str,
        user_id: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<Vec<SpendReportRow>, StoreError> {
        let mut sql = String::from(
            "SELECT day, NULLIF(team_id, '') AS team, NULLIF(end_user, '') AS customer, api_key, model, \
             COALESCE(SUM(spend), 0.0) AS spend, CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT) AS prompt_tokens, \
             CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT) AS completion_tokens, \
             CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS total_tokens \
             FROM spend_daily WHERE day >= $1 AND day < $2",
        );
        let mut args = vec![day_of(start), day_of(end)];
        for (column, value) in [("user_id", user_id), ("api_key", api_key)] {
            if let Some(v) = value {
                args.push(v);
                sql.push_str(&format!(" AND {column} = ${}", args.len()));
            }
        }
        sql.push_str(
            " GROUP BY day, team_id, end_user, api_key, model ORDER BY day, team_id, end_user, api_key, model",
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in args {
            query = query.bind(a);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let count = |r: &AnyRow, c: &str| -> Result<u64, sqlx::Error> { Ok(r.try_get::<i64, _>(c)?.max(0) as u64) };
        rows.iter()
            .map(|r| {
                Ok(SpendReportRow {
                    day: r.try_get("day")?,
                    team_id: r.try_get("team")?,
                    end_user: r.try_get("customer")?,
                    api_key: r.try_get("api_key")?,
                    model: r.try_get("model")?,
                    spend: r.try_get("spend")?,
                    prompt_tokens: count(r, "prompt_tokens")?,
                    completion_tokens: count(r, "completion_tokens")?,
                    total_tokens: count(r, "total_tokens")?,
                })
            })
            .collect()
    }

    /// Requests, errors and spend since the day of `since` (ISO 8601), and in all.
    pub async fn stats(&self, since: &str) -> Result<SpendStats, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, \
             CAST(COALESCE(SUM(failures), 0) AS BIGINT) AS errors, \
             COALESCE(SUM(spend), 0.0) AS spend FROM spend_days WHERE day >= $1",
        )
        .bind(day_of(since))
        .fetch_one(&self.pool)
        .await?;
        let all = sqlx::query(
            "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, COALESCE(SUM(spend), 0.0) AS spend \
             FROM spend_days",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(SpendStats {
            requests_today: row.try_get::<i64, _>("requests")?.max(0) as u64,
            errors_today: row.try_get::<i64, _>("errors")?.max(0) as u64,
            spend_today: row.try_get("spend")?,
            requests_total: all.try_get::<i64, _>("requests")?.max(0) as u64,
            spend_total: all.try_get("spend")?,
        })
    }

    /// Spend per day and per key, team or model since the day of `since` (ISO 8601).
    pub async fn spend_daily(&self, group: SpendGroup, since: &str) -> Result<Vec<DailySpend>, StoreError> {
        let (column, alias, table) = match group {
            SpendGroup::Key => ("api_key", "MAX(key_alias)", "spend_daily"),
            SpendGroup::Team => ("NULLIF(team_id, '')", "NULL", "spend_days"),
            SpendGroup::Model | SpendGroup::Day => ("model_group", "NULL", "spend_days"),
        };
        let sql = format!(
            "SELECT day, {column} AS grp, {alias} AS alias, COALESCE(SUM(spend), 0.0) AS spend, \
             CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests, \
             CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS tokens \
             FROM {table} WHERE day >= $1 GROUP BY day, {column} ORDER BY day, grp"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(day_of(since)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(DailySpend {
                    date: r.try_get("day")?,
                    group: r.try_get("grp")?,
                    label: r.try_get("alias")?,
                    spend: r.try_get("spend")?,
                    requests: r.try_get::<i64, _>("requests")?.max(0) as u64,
                    tokens: r.try_get::<i64, _>("tokens")?.max(0) as u64,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpendStats {
    pub requests_today: u64,
    pub errors_today: u64,
    pub spend_today: f64,
    pub requests_total: u64,
    pub spend_total: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailySpend {
    pub date: String,
    pub group: Option<String>,
    pub label: Option<String>,
    pub spend: f64,
    pub requests: u64,
    pub tokens: u64,
}

/// Rows per spend-log INSERT: 23 parameters each, well under SQLite's and PostgreSQL's limits.
const SPEND_ROWS_PER_INSERT: usize = 50;
const SPEND_LOG_COLUMNS: usize = 23;

/// The INSERT of `rows` spend rows. SQLite gets `?` placeholders: sqlx-sqlite looks numbered
/// ones up by name, which SQLite does by scanning a list — quadratic in the parameter count.
fn spend_insert_sql(kind: DbKind, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO spend_logs (request_id, response_id, call_type, api_key, key_alias, team_id, user_id, end_user, model, \
         model_id, model_group, custom_llm_provider, api_base, spend, prompt_tokens, completion_tokens, total_tokens, \
         start_time, end_time, completion_start_time, request_duration_ms, status, metadata) VALUES ",
    );
    push_placeholders(&mut sql, kind, rows, SPEND_LOG_COLUMNS);
    sql.push_str(" ON CONFLICT (request_id) DO NOTHING");
    sql
}

/// `(?, ?), (?, ?)` (SQLite) or `($1, $2), ($3, $4)` (PostgreSQL): `rows` rows of `columns`
/// values.
fn push_placeholders(sql: &mut String, kind: DbKind, rows: usize, columns: usize) {
    for row in 0..rows {
        sql.push_str(if row > 0 { ", (" } else { "(" });
        for col in 0..columns {
            if col > 0 {
                sql.push_str(", ");
            }
            match kind {
                DbKind::Sqlite => sql.push('?'),
                DbKind::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * columns + col + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
}

/// Which of `rows` are in the spend log already.
async fn existing_spend_ids(
    conn: &mut sqlx::AnyConnection,
    kind: DbKind,
    rows: &[&SpendLog],
) -> Result<std::collections::HashSet<String>, StoreError> {
    let mut found = std::collections::HashSet::new();
    for chunk in rows.chunks(500) {
        let placeholders: Vec<String> =
            (1..=chunk.len()).map(|i| if kind == DbKind::Sqlite { "?".to_string() } else { format!("${i}") }).collect();
        let sql = format!("SELECT request_id FROM spend_logs WHERE request_id IN ({})", placeholders.join(", "));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            query = query.bind(&row.request_id);
        }
        for r in query.fetch_all(&mut *conn).await? {
            found.insert(r.try_get::<String, _>("request_id")?);
        }
    }
    Ok(found)
}

fn spend_log_from_row(r: &AnyRow) -> Result<SpendLog, StoreError> {
    let metadata: String = r.try_get("metadata")?;
    Ok(SpendLog {
        request_id: r.try_get("request_id")?,
        response_id: r.try_get("response_id")?,
        call_type: r.try_get("call_type")?,
        api_key: r.try_get("api_key")?,
        key_alias: r.try_get("key_alias")?,
        team_id: r.try_get("team_id")?,
        user: r.try_get("user_id")?,
        end_user: r.try_get("end_user")?,
        model: r.try_get("model")?,
        model_id: r.try_get("model_id")?,
        model_group: r.try_get("model_group")?,
        custom_llm_provider: r.try_get("custom_llm_provider")?,
        api_base: r.try_get("api_base")?,
        spend: r.try_get("spend")?,
        prompt_tokens: r.try_get::<i64, _>("prompt_tokens")?.max(0) as u64,
        completion_tokens: r.try_get::<i64, _>("completion_tokens")?.max(0) as u64,
        total_tokens: r.try_get::<i64, _>("total_tokens")?.max(0) as u64,
        start_time: r.try_get("start_time")?,
        end_time: r.try_get("end_time")?,
        completion_start_time: r.try_get("completion_start_time")?,
        request_duration_ms: r.try_get::<i64, _>("request_duration_ms")?.max(0) as u64,
        status: r.try_get("status")?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Key,
    Team,
    User,
    Model,
    Budget,
    Organization,
    EndUser,
}

/// One change of an admin write; [`Store::commit`] applies several atomically.
#[derive(Clone, Copy)]
pub enum Write<'a> {
    Key(&'a KeyRecord),
    Team(&'a TeamRecord),
    User(&'a UserRecord),
    Model(&'a ModelRecord),
    Budget(&'a BudgetRecord),
    Organization(&'a OrganizationRecord),
    EndUser(&'a EndUserRecord),
    Delete(Entity, &'a str),
}

async fn apply(conn: &mut sqlx::AnyConnection, write: &Write<'_>) -> Result<(), sqlx::Error> {
    match write {
        Write::Key(k) => {
            sqlx::query(
                "INSERT INTO virtual_keys (token, key_alias, team_id, user_id, spend, data, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (token) DO UPDATE SET key_alias = excluded.key_alias, team_id = excluded.team_id, \
                 user_id = excluded.user_id, data = excluded.data, updated_at = excluded.updated_at",
            )
            .bind(&k.token)
            .bind(&k.key_alias)
            .bind(&k.team_id)
            .bind(&k.user_id)
            .bind(k.spend)
            .bind(document(*k)?)
            .bind(&k.created_at)
            .bind(&k.updated_at)
            .execute(conn)
            .await?;
        }
        Write::Team(t) => {
            sqlx::query(
                "INSERT INTO teams (team_id, team_alias, spend, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (team_id) DO UPDATE SET team_alias = excluded.team_alias, data = excluded.data, \
                 updated_at = excluded.updated_at",
            )
            .bind(&t.team_id)
            .bind(&t.team_alias)
            .bind(t.spend)
            .bind(document(*t)?)
            .bind(&t.created_at)
            .bind(&t.updated_at)
            .execute(&mut *conn)
            .await?;
            // A member who left takes their spend in the team along (as LiteLLM deletes the
            // membership): joining again starts from nothing. A member who joined gets a row.
            let members: Vec<&str> = t.members_with_roles.iter().filter_map(|m| m.user_id.as_deref()).collect();
            let placeholders: Vec<String> = (2..members.len() + 2).map(|i| format!("${i}")).collect();
            let sql = match members.is_empty() {
                true => "DELETE FROM team_memberships WHERE team_id = $1".to_string(),
                false => format!(
                    "DELETE FROM team_memberships WHERE team_id = $1 AND user_id NOT IN ({})",
                    placeholders.join(", ")
                ),
            };
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(&t.team_id);
            for member in &members {
                query = query.bind(*member);
            }
            query.execute(&mut *conn).await?;
            for member in members {
                sqlx::query("INSERT INTO team_memberships (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(&t.team_id)
                    .bind(member)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Write::User(u) => {
            sqlx::query(
                "INSERT INTO users (user_id, user_email, spend, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (user_id) DO UPDATE SET user_email = excluded.user_email, data = excluded.data, \
                 updated_at = excluded.updated_at",
            )
            .bind(&u.user_id)
            .bind(&u.user_email)
            .bind(u.spend)
            .bind(document(*u)?)
            .bind(&u.created_at)
            .bind(&u.updated_at)
            .execute(conn)
            .await?;
        }
        Write::Model(m) => {
            sqlx::query(
                "INSERT INTO models (model_id, model_name, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (model_id) DO UPDATE SET model_name = excluded.model_name, data = excluded.data, \
                 updated_at = excluded.updated_at",
            )
            .bind(&m.model_id)
            .bind(&m.model_name)
            .bind(document(*m)?)
            .bind(&m.created_at)
            .bind(&m.updated_at)
            .execute(conn)
            .await?;
        }
        Write::Budget(b) => {
            sqlx::query(
                "INSERT INTO budgets (budget_id, data, created_at, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (budget_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            )
            .bind(&b.budget_id)
            .bind(document(*b)?)
            .bind(&b.created_at)
            .bind(&b.updated_at)
            .execute(conn)
            .await?;
        }
        Write::Organization(o) => {
            sqlx::query(
                "INSERT INTO organizations (organization_id, organization_alias, budget_id, data, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (organization_id) DO UPDATE SET organization_alias = excluded.organization_alias, \
                 budget_id = excluded.budget_id, data = excluded.data, updated_at = excluded.updated_at",
            )
            .bind(&o.organization_id)
            .bind(&o.organization_alias)
            .bind(&o.budget_id)
            .bind(document(*o)?)
            .bind(&o.created_at)
            .bind(&o.updated_at)
            .execute(conn)
            .await?;
        }
        Write::EndUser(e) => {
            sqlx::query(
                "INSERT INTO end_users (user_id, alias, spend, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (user_id) DO UPDATE SET alias = excluded.alias, data = excluded.data, \
                 updated_at = excluded.updated_at",
            )
            .bind(&e.user_id)
            .bind(&e.alias)
            // The column is the spend writer's: a customer requests named before it was written
            // gets its spend from the writer's rows, not twice.
            .bind(0.0_f64)
            .bind(document(*e)?)
            .bind(&e.created_at)
            .bind(&e.updated_at)
            .execute(conn)
            .await?;
        }
        Write::Delete(entity, id) => {
            let (table, column) = entity.table();
            let sql = format!("DELETE FROM {table} WHERE {column} = $1");
            sqlx::query(AssertSqlSafe(sql)).bind(*id).execute(&mut *conn).await?;
            if *entity == Entity::Team {
                sqlx::query("DELETE FROM team_memberships WHERE team_id = $1").bind(*id).execute(conn).await?;
            }
        }
    }
    Ok(())
}

/// A record's JSON document (a failure is reported as a database encode error, so that `apply`
/// has one error type).
fn document<T: Serialize>(record: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(record).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// A unique index said no (a key alias taken meanwhile): the caller words the refusal.
fn conflict_or_database(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_string()),
        _ => StoreError::Database(e),
    }
}

impl Entity {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Entity::Key => ("virtual_keys", "token"),
            Entity::Team => ("teams", "team_id"),
            Entity::User => ("users", "user_id"),
            Entity::Model => ("models", "model_id"),
            Entity::Budget => ("budgets", "budget_id"),
            Entity::Organization => ("organizations", "organization_id"),
            Entity::EndUser => ("end_users", "user_id"),
        }
    }
}

/// Spend to add to keys, teams and users. Ordered maps: every replica's writer updates the rows
/// in the same order, so two batches that charge the same keys wait for each other instead of
/// deadlocking (which PostgreSQL breaks after a second, failing one batch).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Totals {
    /// Key hash → (spend to add, last active time).
    pub keys: BTreeMap<String, (f64, String)>,
    pub teams: BTreeMap<String, f64>,
    pub users: BTreeMap<String, f64>,
    /// Customer → (spend to add, first time seen in these rows).
    pub end_users: BTreeMap<String, (f64, String)>,
    pub organizations: BTreeMap<String, f64>,
    /// (team, user) → spend to add to the user's membership of the team, if it is a member.
    pub team_members: BTreeMap<(String, String), f64>,
}

impl Totals {
    /// Adds what a spend row charges (master-key calls charge no key).
    pub fn add(&mut self, log: &SpendLog) {
        if log.api_key != MASTER_KEY_SPEND_ID {
            let key = self.keys.entry(log.api_key.clone()).or_insert_with(|| (0.0, String::new()));
            key.0 += log.spend;
            if log.end_time > key.1 {
                key.1.clone_from(&log.end_time);
            }
        }
        if let Some(team) = &log.team_id {
            *self.teams.entry(team.clone()).or_default() += log.spend;
        }
        if let Some(user) = &log.user {
            *self.users.entry(user.clone()).or_default() += log.spend;
        }
        if let Some(org) = log.metadata.get(ORG_ID_METADATA).and_then(|o| o.as_str()) {
            *self.organizations.entry(org.to_string()).or_default() += log.spend;
        }
        if let Some(end_user) = log.end_user.as_ref().filter(|e| !e.is_empty()) {
            let e = self.end_users.entry(end_user.clone()).or_insert_with(|| (0.0, log.start_time.clone()));
            e.0 += log.spend;
        }
        if let (Some(team), Some(user)) = (&log.team_id, &log.user) {
            *self.team_members.entry((team.clone(), user.clone())).or_default() += log.spend;
        }
    }

    pub fn merge(&mut self, other: Totals) {
        for (k, (spend, last)) in other.keys {
            let key = self.keys.entry(k).or_insert_with(|| (0.0, String::new()));
            key.0 += spend;
            if last > key.1 {
                key.1 = last;
            }
        }
        for (t, spend) in other.teams {
            *self.teams.entry(t).or_default() += spend;
        }
        for (u, spend) in other.users {
            *self.users.entry(u).or_default() += spend;
        }
        for (o, spend) in other.organizations {
            *self.organizations.entry(o).or_default() += spend;
        }
        for (e, (spend, seen)) in other.end_users {
            let entry = self.end_users.entry(e).or_insert_with(|| (0.0, seen));
            entry.0 += spend;
        }
        for (m, spend) in other.team_members {
            *self.team_members.entry(m).or_default() += spend;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.teams.is_empty()
            && self.users.is_empty()
            && self.end_users.is_empty()
            && self.organizations.is_empty()
            && self.team_members.is_empty()
    }
}

#[derive(Debug, Default, Clone)]
pub struct SpendFilter {
    pub request_id: Option<String>,
    pub api_key: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub model: Option<String>,
    pub status: Option<String>,
    /// ISO 8601 bounds on the start time: `start` inclusive, `end` exclusive.
    pub start: Option<String>,
    pub end: Option<String>,
    pub limit: usize,
}

#[derive(Debug, Clone, Copy)]
pub enum SpendGroup {
    Key,
    Team,
    Model,
    Day,
}

/// One group of `Store::spend_report`.
#[derive(Debug, Clone)]
pub struct SpendReportRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub team_id: Option<String>,
    pub end_user: Option<String>,
    pub api_key: String,
    pub model: String,
    pub spend: f64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpendTotal {
    pub group: Option<String>,
    pub alias: Option<String>,
    pub spend: f64,
    pub requests: u64,
    pub tokens: u64,
}
