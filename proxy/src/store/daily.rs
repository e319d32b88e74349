//! The daily spend table (`spend_daily`): each batch of spend rows is added to it, grouped by
//! day, key, team, user, customer and model, in the transaction that inserts the rows. Charts
//! and reports read it: a few rows per key and day instead of every call.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::records::SpendLog;
use super::{DbKind, StoreError};

/// One day's calls of one key, team, user, customer and model.
#[derive(Debug, Default)]
struct Day<'a> {
    key_alias: Option<&'a str>,
    spend: f64,
    requests: i64,
    failures: i64,
    prompt_tokens: i64,
    completion_tokens: i64,
    total_tokens: i64,
}

/// What a row is grouped by: day, api_key, team_id, user_id, end_user, model, model_group.
type Group<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

const COLUMNS: usize = 14;
/// Rows per statement (PostgreSQL takes at most 65,535 parameters, SQLite 32,766).
const ROWS_PER_STATEMENT: usize = 100;

/// Adds `rows` to the daily table.
pub(super) async fn add(conn: &mut sqlx::AnyConnection, kind: DbKind, rows: &[&SpendLog]) -> Result<(), StoreError> {
    let mut days: HashMap<Group<'_>, Day<'_>> = HashMap::new();
    for log in rows {
        let day = log.start_time.get(..10).unwrap_or(&log.start_time);
        let group = (
            day,
            log.api_key.as_str(),
            log.team_id.as_deref().unwrap_or(""),
            log.user.as_deref().unwrap_or(""),
            log.end_user.as_deref().unwrap_or(""),
            log.model.as_str(),
            log.model_group.as_str(),
        );
        let d = days.entry(group).or_default();
        d.key_alias = log.key_alias.as_deref().or(d.key_alias);
        d.spend += log.spend;
        d.requests += 1;
        d.failures += i64::from(log.status == "failure");
        d.prompt_tokens += i64::try_from(log.prompt_tokens).unwrap_or(i64::MAX);
        d.completion_tokens += i64::try_from(log.completion_tokens).unwrap_or(i64::MAX);
        d.total_tokens += i64::try_from(log.total_tokens).unwrap_or(i64::MAX);
    }
    let days: Vec<(Group<'_>, Day<'_>)> = days.into_iter().collect();
    for chunk in days.chunks(ROWS_PER_STATEMENT) {
        let mut query = sqlx::query(AssertSqlSafe(upsert_sql(kind, chunk.len())));
        for ((day, api_key, team_id, user_id, end_user, model, model_group), d) in chunk {
            query = query
                .bind(*day)
                .bind(*api_key)
                .bind(*team_id)
                .bind(*user_id)
                .bind(*end_user)
                .bind(*model)
                .bind(*model_group)
                .bind(d.key_alias)
                .bind(d.spend)
                .bind(d.requests)
                .bind(d.failures)
                .bind(d.prompt_tokens)
                .bind(d.completion_tokens)
                .bind(d.total_tokens);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn upsert_sql(kind: DbKind, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO spend_daily (day, api_key, team_id, user_id, end_user, model, model_group, key_alias, spend, \
         requests, failures, prompt_tokens, completion_tokens, total_tokens) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row > 0 { ", (" } else { "(" });
        for col in 0..COLUMNS {
            if col > 0 {
                sql.push_str(", ");
            }
            match kind {
                DbKind::Sqlite => sql.push('?'),
                DbKind::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * COLUMNS + col + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql.push_str(
        " ON CONFLICT (day, api_key, team_id, user_id, end_user, model, model_group) DO UPDATE SET \
         key_alias = COALESCE(excluded.key_alias, spend_daily.key_alias), \
         spend = spend_daily.spend + excluded.spend, \
         requests = spend_daily.requests + excluded.requests, \
         failures = spend_daily.failures + excluded.failures, \
         prompt_tokens = spend_daily.prompt_tokens + excluded.prompt_tokens, \
         completion_tokens = spend_daily.completion_tokens + excluded.completion_tokens, \
         total_tokens = spend_daily.total_tokens + excluded.total_tokens",
    );
    sql
}
