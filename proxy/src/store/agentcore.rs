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
