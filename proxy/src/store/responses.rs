//! Stored Responses API responses (`store` not false), for `previous_response_id` and
//! `GET`/`DELETE /v1/responses/{id}`. The store keeps the document as the Responses layer wrote
//! it; who may read it is decided above, from `api_key`.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRecord {
    pub response_id: String,
    /// The hash of the key that made it (the master key's spend id for the master key).
    pub api_key: String,
    pub team_id: Option<String>,
    pub model: String,
    pub created_at: String,
    /// JSON: the response, its input items and the conversation before them.
    pub document: String,
}

fn from_row(r: &AnyRow) -> Result<ResponseRecord, StoreError> {
    Ok(ResponseRecord {
        response_id: r.try_get("response_id")?,
        api_key: r.try_get("api_key")?,
        team_id: r.try_get("team_id")?,
        model: r.try_get("model")?,
        created_at: r.try_get("created_at")?,
        document: r.try_get("document")?,
    })
}

impl Store {
    /// Keeps a response; writing the same id again replaces it.
    pub async fn put_response(&self, r: &ResponseRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO responses (response_id, api_key, team_id, model, created_at, document) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (response_id) DO UPDATE SET api_key = excluded.api_key, \
             team_id = excluded.team_id, model = excluded.model, created_at = excluded.created_at, \
             document = excluded.document",
        )
        .bind(&r.response_id)
        .bind(&r.api_key)
        .bind(&r.team_id)
        .bind(&r.model)
        .bind(&r.created_at)
        .bind(&r.document)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn response(&self, id: &str) -> Result<Option<ResponseRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT response_id, api_key, team_id, model, created_at, document FROM responses WHERE response_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Whether there was one to delete.
    pub async fn delete_response(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM responses WHERE response_id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }
}
