//! The daily spend tables, which each batch of spend rows is added to in the transaction that
//! inserts the rows. Charts and reports read them instead of every call:
//! - `spend_daily`: per day, key, team, user, customer and model (reports, charts by key);
//! - `spend_days`: per day, model group and team only (the overview, charts by day, model and
//!   team): a few rows a day however many keys there are;
//! - `spend_keys`: per key, all time (the keys that spent most).

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;

use super::records::SpendLog;
use super::{DbKind, StoreError, push_placeholders};

/// What a group of calls adds up to.
#[derive(Debug, Default)]
struct Sums<'a> {
    key_alias: Option<&'a str>,
    spend: f64,
    requests: i64,
    failures: i64,
    prompt_tokens: i64,
    completion_tokens: i64,
    total_tokens: i64,
}

impl<'a> Sums<'a> {
    fn add(&mut self, log: &'a SpendLog) {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.key_alias = log.key_alias.as_deref().or(self.key_alias);
        self.spend += log.spend;
        self.requests += 1;
        self.failures += i64::from(log.status == "failure");
        self.prompt_tokens = self.prompt_tokens.saturating_add(count(log.prompt_tokens));
        self.completion_tokens = self.completion_tokens.saturating_add(count(log.completion_tokens));
        self.total_tokens = self.total_tokens.saturating_add(count(log.total_tokens));
    }
}

/// One daily table: its name, what it groups by, and whether it keeps the key's alias.
struct Table {
    name: &'static str,
    groups: &'static [&'static str],
    alias: bool,
    /// The sums it keeps, of [`SUMS`], in that order.
    sums: &'static [&'static str],
}

const DETAILED: Table = Table {
    name: "spend_daily",
    groups: &["day", "api_key", "team_id", "user_id", "end_user", "model", "model_group"],
    alias: true,
    sums: &SUMS,
};
const COARSE: Table =
    Table { name: "spend_days", groups: &["day", "model_group", "team_id"], alias: false, sums: &SUMS };
const KEYS: Table = Table { name: "spend_keys", groups: &["api_key"], alias: true, sums: &KEY_SUMS };

const SUMS: [&str; 6] = ["spend", "requests", "failures", "prompt_tokens", "completion_tokens", "total_tokens"];
const KEY_SUMS: [&str; 3] = ["spend", "requests", "total_tokens"];

/// Rows per statement (PostgreSQL takes at most 65,535 parameters, SQLite 32,766).
const ROWS_PER_STATEMENT: usize = 100;

/// Adds `rows` to both daily tables. Ids a row does not have are ''.
pub(super) async fn add(conn: &mut sqlx::AnyConnection, kind: DbKind, rows: &[&SpendLog]) -> Result<(), StoreError> {
    // Ordered: every replica upserts the same rows in the same order, so concurrent batches
    // wait for each other rather than deadlock.
    let mut detailed: BTreeMap<[&str; 7], Sums<'_>> = BTreeMap::new();
    let mut coarse: BTreeMap<[&str; 3], Sums<'_>> = BTreeMap::new();
    let mut keys: BTreeMap<[&str; 1], Sums<'_>> = BTreeMap::new();
    for log in rows {
        let day = log.start_time.get(..10).unwrap_or(&log.start_time);
        let team = log.team_id.as_deref().unwrap_or("");
        let user = log.user.as_deref().unwrap_or("");
        let end_user = log.end_user.as_deref().unwrap_or("");
        detailed.entry([day, &log.api_key, team, user, end_user, &log.model, &log.model_group]).or_default().add(log);
        coarse.entry([day, &log.model_group, team]).or_default().add(log);
        keys.entry([&log.api_key]).or_default().add(log);
    }
    upsert(conn, kind, &DETAILED, detailed.into_iter().collect()).await?;
    upsert(conn, kind, &COARSE, coarse.into_iter().collect()).await?;
    upsert(conn, kind, &KEYS, keys.into_iter().collect()).await
}

async fn upsert<const N: usize>(
    conn: &mut sqlx::AnyConnection,
    kind: DbKind,
    table: &Table,
    groups: Vec<([&str; N], Sums<'_>)>,
) -> Result<(), StoreError> {
    for chunk in groups.chunks(ROWS_PER_STATEMENT) {
        let mut query = sqlx::query(AssertSqlSafe(upsert_sql(kind, table, chunk.len())));
        for (ids, s) in chunk {
            for id in ids {
                query = query.bind(*id);
            }
            if table.alias {
                query = query.bind(s.key_alias);
            }
            for sum in table.sums {
                query = match *sum {
                    "spend" => query.bind(s.spend),
                    "requests" => query.bind(s.requests),
                    "failures" => query.bind(s.failures),
                    "prompt_tokens" => query.bind(s.prompt_tokens),
                    "completion_tokens" => query.bind(s.completion_tokens),
                    _ => query.bind(s.total_tokens),
                };
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn upsert_sql(kind: DbKind, table: &Table, rows: usize) -> String {
    let mut columns: Vec<&str> = table.groups.to_vec();
    if table.alias {
        columns.push("key_alias");
    }
    columns.extend(table.sums);
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", table.name, columns.join(", "));
    push_placeholders(&mut sql, kind, rows, columns.len());
    let mut updates: Vec<String> =
        table.sums.iter().map(|c| format!("{c} = {0}.{c} + excluded.{c}", table.name)).collect();
    if table.alias {
        updates.push(format!("key_alias = COALESCE(excluded.key_alias, {}.key_alias)", table.name));
    }
    sql.push_str(&format!(" ON CONFLICT ({}) DO UPDATE SET {}", table.groups.join(", "), updates.join(", ")));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_add_to_what_is_there() {
        let sql = upsert_sql(DbKind::Postgres, &COARSE, 2);
        assert!(sql.starts_with("INSERT INTO spend_days (day, model_group, team_id, spend, requests,"), "{sql}");
        assert!(
            sql.contains("($10, $11, $12,")
                && sql.ends_with("total_tokens = spend_days.total_tokens + excluded.total_tokens"),
            "{sql}"
        );
        let sql = upsert_sql(DbKind::Sqlite, &DETAILED, 1);
        assert_eq!(sql.matches('?').count(), 14);
        assert!(sql.contains("ON CONFLICT (day, api_key, team_id, user_id, end_user, model, model_group)"), "{sql}");
        assert!(sql.contains("key_alias = COALESCE(excluded.key_alias, spend_daily.key_alias)"), "{sql}");
        let sql = upsert_sql(DbKind::Sqlite, &KEYS, 1);
        assert!(sql.starts_with("INSERT INTO spend_keys (api_key, key_alias, spend, requests, total_tokens)"), "{sql}");
        assert!(sql.contains("ON CONFLICT (api_key) DO UPDATE SET spend = spend_keys.spend + excluded.spend"), "{sql}");
    }
}
