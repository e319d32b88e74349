//! The columns of the spend rows that latency reports read: only those, newest first, so that a
//! window of many calls costs little to read.

use sqlx::{AssertSqlSafe, Row};

use super::{DbKind, Store, StoreError};

/// One call, as latency reports see it.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRow {
    pub model_group: String,
    /// The deployment (empty for calls refused before reaching one).
    pub model_id: String,
    pub model: String,
    pub custom_llm_provider: String,
    pub start_time: String,
    pub completion_start_time: Option<String>,
    pub request_duration_ms: u64,
    pub failed: bool,
    pub stream: bool,
}

impl Store {
    /// The calls started since `since` (ISO 8601), of `model_group` if given, newest first, at
    /// most `limit`.
    pub async fn latency_rows(
        &self,
        since: &str,
        model_group: Option<&str>,
        limit: usize,
    ) -> Result<Vec<LatencyRow>, StoreError> {
        // The stream flag lives in the metadata document only.
        let stream = match self.kind {
            DbKind::Sqlite => "CASE WHEN json_extract(metadata, '$.stream') THEN 1 ELSE 0 END",
            DbKind::Postgres => "CASE WHEN (metadata::jsonb ->> 'stream') = 'true' THEN 1 ELSE 0 END",
        };
        let filter = if model_group.is_some() { " AND model_group = $2" } else { "" };
        let sql = format!(
            "SELECT model_group, model_id, model, custom_llm_provider, start_time, completion_start_time, \
             request_duration_ms, status, CAST({stream} AS BIGINT) AS stream FROM spend_logs \
             WHERE start_time >= $1{filter} ORDER BY start_time DESC LIMIT {limit}"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(since);
        if let Some(group) = model_group {
            query = query.bind(group);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(LatencyRow {
                    model_group: r.try_get("model_group")?,
                    model_id: r.try_get("model_id")?,
                    model: r.try_get("model")?,
                    custom_llm_provider: r.try_get("custom_llm_provider")?,
                    start_time: r.try_get("start_time")?,
                    completion_start_time: r.try_get("completion_start_time")?,
                    request_duration_ms: r.try_get::<i64, _>("request_duration_ms")?.max(0) as u64,
                    failed: r.try_get::<String, _>("status")? == "failure",
                    stream: r.try_get::<i64, _>("stream")? != 0,
                })
            })
            .collect()
    }
}
