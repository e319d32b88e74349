//! The audit log (LiteLLM's `LiteLLM_AuditLog`): one row per record an admin change touched,
//! written in the transaction of the change itself, so the log and the data cannot disagree.

use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{DbKind, Entity, Store, StoreError, Write};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The key's alias (or user), `master`, the `LiteLLM-Changed-By` header, or `system`.
    pub changed_by: String,
    /// The hash of the caller's key (`litellm-proxy-master-key` for the master key); empty for
    /// changes no caller made.
    pub changed_by_api_key: String,
}

impl Actor {
    /// Changes made without a caller: the boot configuration, the desktop shell.
    pub fn system() -> Actor {
        Actor { changed_by: "system".into(), changed_by_api_key: String::new() }
    }
}

/// One change to record beside what [`Store::commit`] writes (an AWS resource the gateway
/// manages, say): the documents are stored masked.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub table_name: &'a str,
    pub object_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A row of the audit log, as `GET /audit` answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub updated_at: String,
    pub changed_by: String,
    pub changed_by_api_key: String,
    /// `created`, `updated`, `deleted`, or what the change was: `rotated`, `blocked`, ...
    pub action: String,
    /// LiteLLM's table names (`LiteLLM_VerificationToken`, `LiteLLM_TeamTable`, ...), and
    /// `Switchboard_*` for what only Switchboard manages.
    pub table_name: String,
    pub object_id: String,
    /// The record before the change (secrets masked); null when it was created.
    #[schema(value_type = Option<Object>)]
    pub before_value: Option<Value>,
    /// The record after the change (secrets masked); null when it was deleted.
    #[schema(value_type = Option<Object>)]
    pub updated_values: Option<Value>,
}

/// Which rows `GET /audit` wants; every filter is an exact match but the dates.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub changed_by: Option<String>,
    pub changed_by_api_key: Option<String>,
    pub action: Option<String>,
    pub table_name: Option<String>,
    pub object_id: Option<String>,
    /// ISO 8601 bounds on `updated_at`, both inclusive.
    pub start: Option<String>,
    pub end: Option<String>,
    /// A column of the table; `updated_at` when absent.
    pub sort_by: Option<AuditColumn>,
    pub ascending: bool,
}

/// The columns `GET /audit` may sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditColumn {
    UpdatedAt,
    ChangedBy,
    Action,
    TableName,
    ObjectId,
}

impl AuditColumn {
    pub fn parse(name: &str) -> Option<AuditColumn> {
        Some(match name {
            "updated_at" => AuditColumn::UpdatedAt,
            "changed_by" => AuditColumn::ChangedBy,
            "action" => AuditColumn::Action,
            "table_name" => AuditColumn::TableName,
            "object_id" => AuditColumn::ObjectId,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            AuditColumn::UpdatedAt => "updated_at",
            AuditColumn::ChangedBy => "changed_by",
            AuditColumn::Action => "action",
            AuditColumn::TableName => "table_name",
            AuditColumn::ObjectId => "object_id",
        }
    }
}

/// The audit log's name for the table an entity lives in (LiteLLM's, so that its clients'
/// `table_name` filters work unchanged).
pub fn table_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Key => "LiteLLM_VerificationToken",
        Entity::Team => "LiteLLM_TeamTable",
        Entity::User => "LiteLLM_UserTable",
        Entity::Model => "LiteLLM_ProxyModelTable",
        Entity::Budget => "LiteLLM_BudgetTable",
        Entity::Organization => "LiteLLM_OrganizationTable",
        Entity::EndUser => "LiteLLM_EndUserTable",
    }
}

impl Write<'_> {
    /// The entity and the id of the row this write touches.
    pub(super) fn target(&self) -> (Entity, &str) {
        match self {
            Write::Key(k) => (Entity::Key, &k.token),
            Write::Team(t) => (Entity::Team, &t.team_id),
            Write::User(u) => (Entity::User, &u.user_id),
            Write::Model(m) => (Entity::Model, &m.model_id),
            Write::Budget(b) => (Entity::Budget, &b.budget_id),
            Write::Organization(o) => (Entity::Organization, &o.organization_id),
            Write::EndUser(e) => (Entity::EndUser, &e.user_id),
            Write::Delete(entity, id) => (*entity, id),
        }
    }

    /// The record this write leaves behind (none for a delete).
    fn document(&self) -> Result<Option<Value>, sqlx::Error> {
        let value = match self {
            Write::Key(k) => serde_json::to_value(k),
            Write::Team(t) => serde_json::to_value(t),
            Write::User(u) => serde_json::to_value(u),
            Write::Model(m) => serde_json::to_value(m),
            Write::Budget(b) => serde_json::to_value(b),
            Write::Organization(o) => serde_json::to_value(o),
            Write::EndUser(e) => serde_json::to_value(e),
            Write::Delete(..) => return Ok(None),
        };
        value.map(Some).map_err(|e| sqlx::Error::Encode(Box::new(e)))
    }
}

/// The JSON document of a row, as stored (inside the transaction that is about to change it).
/// PostgreSQL locks the row until the change commits, so no other change slips between this
/// read and the write; SQLite's transaction holds the whole database already (`BEGIN
/// IMMEDIATE`).
pub(super) async fn stored_document(
    conn: &mut sqlx::AnyConnection,
    kind: DbKind,
    entity: Entity,
    id: &str,
) -> Result<Option<Value>, sqlx::Error> {
    let (table, column) = entity.table();
    let lock = if kind == DbKind::Postgres { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT data FROM {table} WHERE {column} = $1{lock}");
    let Some(row) = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(conn).await? else {
        return Ok(None);
    };
    let data: String = row.try_get("data")?;
    serde_json::from_str(&data).map(Some).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The audit row of `write`, given the row before it (None when nothing changed: a delete of
/// what was not there).
pub(super) fn change_of<'a>(
    write: &'a Write<'a>,
    before: Option<Value>,
    actor: &'a Actor,
    action: Option<&'a str>,
) -> Result<Option<Change<'a>>, sqlx::Error> {
    let after = write.document()?;
    let derived = match (&before, &after) {
        (None, None) => return Ok(None),
        (None, Some(_)) => "created",
        (Some(_), Some(_)) => "updated",
        (Some(_), None) => "deleted",
    };
    let (entity, object_id) = write.target();
    Ok(Some(Change {
        actor,
        action: action.unwrap_or(derived),
        table_name: table_name(entity),
        object_id,
        before,
        after,
    }))
}

/// Members of a record the audit log leaves out: the spend writer owns them (its column, not
/// the document, holds the running spend), so they are not what an admin changed.
const NOT_AUDITED: &[&str] = &["spend", "last_active"];

/// A document as the audit log keeps it: secrets masked, spend-writer members left out.
fn audited(value: Option<Value>) -> Option<String> {
    let mut value = value?;
    if let Some(obj) = value.as_object_mut() {
        for member in NOT_AUDITED {
            obj.remove(*member);
        }
    }
    crate::redact::mask_json(&mut value);
    Some(value.to_string())
}

pub(super) async fn insert(conn: &mut sqlx::AnyConnection, change: Change<'_>, at: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, updated_at, changed_by, changed_by_api_key, action, table_name, object_id, \
         before_value, updated_values) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    // Version 7: ordered by time, and by creation within one process, so the rows of one
    // transaction (all of one `updated_at`) list in the order they were written.
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(at)
    .bind(&change.actor.changed_by)
    .bind(&change.actor.changed_by_api_key)
    .bind(change.action)
    .bind(change.table_name)
    .bind(change.object_id)
    .bind(audited(change.before))
    .bind(audited(change.after))
    .execute(conn)
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "id, updated_at, changed_by, changed_by_api_key, action, table_name, object_id, before_value, updated_values";

fn from_row(r: &AnyRow) -> Result<AuditEntry, StoreError> {
    let json = |column: &str| -> Result<Option<Value>, StoreError> {
        let text: Option<String> = r.try_get(column)?;
        text.map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| StoreError::Corrupt { table: "audit_log", error: e.to_string() })
    };
    Ok(AuditEntry {
        id: r.try_get("id")?,
        updated_at: r.try_get("updated_at")?,
        changed_by: r.try_get("changed_by")?,
        changed_by_api_key: r.try_get("changed_by_api_key")?,
        action: r.try_get("action")?,
        table_name: r.try_get("table_name")?,
        object_id: r.try_get("object_id")?,
        before_value: json("before_value")?,
        updated_values: json("updated_values")?,
    })
}

impl Store {
    /// Records a change the gateway made outside its own tables (AgentCore, deploy).
    pub async fn record_change(&self, change: Change<'_>) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, change, &crate::time::format_time(chrono::Utc::now())).await?;
        Ok(())
    }

    /// A page of the audit log (1-based) and how many rows match in all.
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        page: usize,
        page_size: usize,
    ) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let mut args: Vec<&str> = Vec::new();
        let mut conditions = Vec::new();
        for (column, op, value) in [
            ("changed_by", "=", filter.changed_by.as_deref()),
            ("changed_by_api_key", "=", filter.changed_by_api_key.as_deref()),
            ("action", "=", filter.action.as_deref()),
            ("table_name", "=", filter.table_name.as_deref()),
            ("object_id", "=", filter.object_id.as_deref()),
            ("updated_at", ">=", filter.start.as_deref()),
            ("updated_at", "<=", filter.end.as_deref()),
        ] {
            if let Some(v) = value {
                args.push(v);
                conditions.push(format!("{column} {op} ${}", args.len()));
            }
        }
        let filter_sql =
            if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };

        let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log{filter_sql}");
        let mut count = sqlx::query(AssertSqlSafe(count_sql));
        for a in &args {
            count = count.bind(*a);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get("n")?;

        let order = if filter.ascending { "ASC" } else { "DESC" };
        let column = filter.sort_by.unwrap_or(AuditColumn::UpdatedAt).column();
        let offset = page.saturating_sub(1).saturating_mul(page_size);
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log{filter_sql} ORDER BY {column} {order}, id {order} LIMIT {page_size} OFFSET {offset}"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for a in &args {
            query = query.bind(*a);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let entries = rows.iter().map(from_row).collect::<Result<_, _>>()?;
        Ok((entries, total.max(0) as u64))
    }

    pub async fn audit_entry(&self, id: &str) -> Result<Option<AuditEntry>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }
}
