//! Which virtual key is in which AgentCore API-key credential provider (by the key's hash).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

/// One credential provider the gateway stored a key in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderKeyRecord {
    /// As AgentCore returned it; identifies the provider (account, region, name).
    pub credential_provider_arn: String,
    pub name: String,
    pub region: String,
    /// SHA-256 hex of the key stored in the provider.
    pub key_token: String,
    pub key_alias: Option<String>,
    /// `sk-...abcd`.
    pub key_name: String,
    pub team_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "credential_provider_arn, name, region, key_token, key_alias, key_name, team_id, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<ProviderKeyRecord, StoreError> {
    Ok(ProviderKeyRecord {
        credential_provider_arn: r.try_get("credential_provider_arn")?,
        name: r.try_get("name")?,
        region: r.try_get("region")?,
        key_token: r.try_get("key_token")?,
        key_alias: r.try_get("key_alias")?,
        key_name: r.try_get("key_name")?,
        team_id: r.try_get("team_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    /// Records (or replaces) the key held by a provider.
    pub async fn put_provider_key(&self, r: &ProviderKeyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agentcore_providers (credential_provider_arn, name, region, key_token, key_alias, key_name, \
             team_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (credential_provider_arn) DO UPDATE SET name = excluded.name, region = excluded.region, \
             key_token = excluded.key_token, key_alias = excluded.key_alias, key_name = excluded.key_name, \
             team_id = excluded.team_id, updated_at = excluded.updated_at",
        )
        .bind(&r.credential_provider_arn)
        .bind(&r.name)
        .bind(&r.region)
        .bind(&r.key_token)
        .bind(&r.key_alias)
        .bind(&r.key_name)
        .bind(&r.team_id)
        .bind(&r.created_at)
        .bind(&r.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every provider the gateway stored a key in, by name.
    pub async fn provider_keys(&self) -> Result<Vec<ProviderKeyRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM agentcore_providers ORDER BY region, name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn provider_key(&self, arn: &str) -> Result<Option<ProviderKeyRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM agentcore_providers WHERE credential_provider_arn = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(arn).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn delete_provider_key(&self, arn: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM agentcore_providers WHERE credential_provider_arn = $1")
            .bind(arn)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// One turn of a harness session played through the gateway (the harness playground).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TurnRecord {
    pub turn_id: String,
    pub harness_id: String,
    pub harness_arn: String,
    pub region: String,
    pub session_id: String,
    /// The W3C trace the turn was sent in (32 hex digits); a harness that propagates it marks its
    /// model calls with it.
    pub trace_id: String,
    /// SHA-256 hex of the key the harness calls this gateway with, when the gateway knows it.
    pub key_token: Option<String>,
    /// The user's message (its first 500 characters).
    pub message: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// `running`, `done` or `error`.
    pub status: String,
    pub error: Option<String>,
    /// What the harness reported for the turn.
    pub input_tokens: i64,
    pub output_tokens: i64,
}

const TURN_COLUMNS: &str = "turn_id, harness_id, harness_arn, region, session_id, trace_id, key_token, message, \
                            started_at, ended_at, status, error, input_tokens, output_tokens";

fn turn_from_row(r: &AnyRow) -> Result<TurnRecord, StoreError> {
    Ok(TurnRecord {
        turn_id: r.try_get("turn_id")?,
        harness_id: r.try_get("harness_id")?,
        harness_arn: r.try_get("harness_arn")?,
        region: r.try_get("region")?,
        session_id: r.try_get("session_id")?,
        trace_id: r.try_get("trace_id")?,
        key_token: r.try_get("key_token")?,
        message: r.try_get("message")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        status: r.try_get("status")?,
        error: r.try_get("error")?,
        input_tokens: r.try_get("input_tokens")?,
        output_tokens: r.try_get("output_tokens")?,
    })
}

impl Store {
    /// Records a turn, or its outcome once it ended.
    pub async fn put_turn(&self, t: &TurnRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agentcore_turns (turn_id, harness_id, harness_arn, region, session_id, trace_id, key_token, \
             message, started_at, ended_at, status, error, input_tokens, output_tokens) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (turn_id) DO UPDATE SET ended_at = excluded.ended_at, status = excluded.status, \
             error = excluded.error, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens",
        )
        .bind(&t.turn_id)
        .bind(&t.harness_id)
        .bind(&t.harness_arn)
        .bind(&t.region)
        .bind(&t.session_id)
        .bind(&t.trace_id)
        .bind(&t.key_token)
        .bind(&t.message)
        .bind(&t.started_at)
        .bind(&t.ended_at)
        .bind(&t.status)
        .bind(&t.error)
        .bind(t.input_tokens)
        .bind(t.output_tokens)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A harness's turns, oldest first: the latest `limit`, or those of one session.
    pub async fn harness_turns(
        &self,
        harness_id: &str,
        session_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<TurnRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match session_id {
            Some(session) => {
                let sql = format!(
                    "SELECT {TURN_COLUMNS} FROM agentcore_turns WHERE harness_id = $1 AND session_id = $2 \
                     ORDER BY started_at DESC, turn_id DESC LIMIT $3"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(harness_id)
                    .bind(session)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = format!(
                    "SELECT {TURN_COLUMNS} FROM agentcore_turns WHERE harness_id = $1 \
                     ORDER BY started_at DESC, turn_id DESC LIMIT $2"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(harness_id).bind(limit).fetch_all(&self.pool).await?
            }
        };
        let mut turns = rows.iter().map(turn_from_row).collect::<Result<Vec<_>, _>>()?;
        turns.reverse();
        Ok(turns)
    }
}
