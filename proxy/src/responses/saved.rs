//! Responses kept for `previous_response_id` and `GET`/`DELETE /v1/responses/{id}`.
//!
//! The request path does not wait on the database: a finished response goes into memory at
//! once (before its last byte or event is sent) and is written by a task of its own; it leaves
//! memory when the row is written. So a client that continues from a response the moment it
//! has it finds it (in memory) even while the row is on its way, and the database is only read
//! when a response is asked for by id. The cost: with several replicas behind a load balancer,
//! a continuation that lands on another replica within the few milliseconds of the write does
//! not find it yet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::request::Item;
use super::response::ResponseObject;
use crate::auth::{MASTER_KEY_SPEND_ID, Principal};
use crate::store::responses::ResponseRecord;
use crate::store::{Store, StoreError};

/// One kept response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    pub response: ResponseObject,
    /// This request's own input items.
    pub input: Vec<Item>,
    /// The conversation before them (from `previous_response_id`).
    pub history: Vec<Item>,
    #[serde(skip)]
    pub owner: String,
    #[serde(skip)]
    pub team_id: Option<String>,
}

impl Saved {
    /// Who made it: the key's hash, or the master key's spend id.
    pub fn owner_of(principal: &Principal) -> String {
        principal.key().map(|k| k.record.token.clone()).unwrap_or_else(|| MASTER_KEY_SPEND_ID.to_string())
    }

    /// Only the key that made it, and admins, may see it.
    pub fn visible_to(&self, principal: &Principal) -> bool {
        principal.is_admin() || Saved::owner_of(principal) == self.owner
    }

    /// The whole conversation up to the next turn: what came before, this input, the answer.
    pub fn conversation(&self) -> Vec<Item> {
        let mut items = Vec::with_capacity(self.history.len() + self.input.len() + self.response.output.len());
        items.extend(self.history.iter().cloned());
        items.extend(self.input.iter().cloned());
        items.extend(self.response.output.iter().cloned());
        items
    }

    fn record(&self) -> Result<ResponseRecord, serde_json::Error> {
        Ok(ResponseRecord {
            response_id: self.response.id.clone(),
            api_key: self.owner.clone(),
            team_id: self.team_id.clone(),
            model: self.response.model.clone(),
            created_at: crate::time::format_time(
                chrono::DateTime::from_timestamp(self.response.created_at, 0).unwrap_or_default(),
            ),
            document: serde_json::to_string(self)?,
        })
    }

    fn from_record(record: ResponseRecord) -> Result<Saved, StoreError> {
        let mut saved: Saved = serde_json::from_str(&record.document)
            .map_err(|e| StoreError::Corrupt { table: "responses", error: e.to_string() })?;
        saved.owner = record.api_key;
        saved.team_id = record.team_id;
        Ok(saved)
    }
}

/// The kept responses: recent ones in memory until written, all in the database.
pub struct SavedResponses {
    store: Store,
    writing: Mutex<HashMap<String, Arc<Saved>>>,
}

impl SavedResponses {
    pub fn new(store: Store) -> Self {
        SavedResponses { store, writing: Mutex::new(HashMap::new()) }
    }

    fn writing(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Saved>>> {
        // A panic while holding the lock leaves the map as it was: go on with it.
        self.writing.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `saved`: in memory now, in the database soon.
    pub fn keep(self: &Arc<Self>, saved: Saved) {
        let record = match saved.record() {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(response = %saved.response.id, "response not stored: {e}");
                return;
            }
        };
        let id = record.response_id.clone();
        self.writing().insert(id.clone(), Arc::new(saved));
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.store.put_response(&record).await {
                tracing::error!(response = %id, "response not stored: {e}");
            }
            // Deleted while it was being written: the row goes too.
            if this.writing().remove(&id).is_none()
                && let Err(e) = this.store.delete_response(&id).await
            {
                tracing::error!(response = %id, "deleted response left in the database: {e}");
            }
        });
    }

    /// Waits (at most `limit`) for the responses still being written.
    pub async fn flush(&self, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.writing().is_empty() {
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(left = self.writing().len(), "shutdown: some responses were not stored in time");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Arc<Saved>>, StoreError> {
        if let Some(saved) = self.writing().get(id) {
            return Ok(Some(saved.clone()));
        }
        match self.store.response(id).await? {
            Some(record) => Ok(Some(Arc::new(Saved::from_record(record)?))),
            None => Ok(None),
        }
    }

    /// Whether there was one to delete.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let in_memory = self.writing().remove(id).is_some();
        let in_database = self.store.delete_response(id).await?;
        Ok(in_memory || in_database)
    }
}
