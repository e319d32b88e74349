//! The audit log (LiteLLM's `/audit`): who changed what, and when. The rows are written by the
//! store in the transaction of each change ([`Core::commit`]); this module says who the change
//! is made by and reads the log back.
//!
//! Who: the HTTP layer knows the caller, the store makes the change, and in between are the
//! admin functions, many of which take no caller (they need none to decide anything), and the
//! AgentCore wiring, which makes its team and key through them. Rather than thread an actor
//! through every one of them for a value only the commit reads, the HTTP layer runs each admin
//! request inside a task-local [`Context`] ([`within`]) and names the caller once it is
//! authenticated ([`identify`]); [`actor`] reads it wherever the call has gone. A change made
//! outside any request is `system` (today every admin change comes over HTTP, the desktop
//! shell's included). Work an admin request hands to another task (the streamed wiring) takes
//! the context along with [`current`]: a task-local does not cross `tokio::spawn` by itself.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use utoipa::ToSchema;

use super::{AdminError, Core};
use crate::auth::{MASTER_KEY_SPEND_ID, Principal};
use crate::config::Config;
use crate::store::Store;
pub use crate::store::audit::{Actor, AuditColumn, AuditEntry, AuditFilter};

/// The header naming the person on whose behalf a management call is made (LiteLLM's).
pub const CHANGED_BY_HEADER: &str = "litellm-changed-by";

/// What the audit log knows of the admin request under way.
#[derive(Debug, Default)]
pub struct Context {
    /// The `LiteLLM-Changed-By` header, when sent.
    changed_by: Option<String>,
    /// The authenticated caller (set once, by the HTTP layer's caller extractor).
    caller: OnceLock<Actor>,
}

impl Context {
    pub fn new(changed_by: Option<String>) -> Arc<Context> {
        let changed_by = changed_by.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        Arc::new(Context { changed_by, caller: OnceLock::new() })
    }

    fn actor(&self) -> Actor {
        let caller = self.caller.get().cloned().unwrap_or_else(Actor::system);
        match &self.changed_by {
            // As LiteLLM: the header names the person, the key stays the caller's.
            Some(person) => Actor { changed_by: person.clone(), ..caller },
            None => caller,
        }
    }
}

tokio::task_local! {
    static REQUEST: Arc<Context>;
}

/// Runs `work` (an admin request) with `context` as the audit log's view of who is acting.
pub async fn within<F: Future>(context: Arc<Context>, work: F) -> F::Output {
    REQUEST.scope(context, work).await
}

/// The context of the request under way, to hand to a task it spawns.
pub fn current() -> Arc<Context> {
    REQUEST.try_with(Arc::clone).unwrap_or_default()
}

/// Names the authenticated caller of the request under way (no-op outside one).
pub fn identify(principal: &Principal) {
    let _ = REQUEST.try_with(|context| context.caller.set(actor_of(principal)));
}

/// Who the change under way is made by.
pub fn actor() -> Actor {
    REQUEST.try_with(|context| context.actor()).unwrap_or_else(|_| Actor::system())
}

/// A caller as the audit log names it: `master`, or the key's alias (else its user, else its
/// masked name), with the key's hash.
fn actor_of(principal: &Principal) -> Actor {
    match principal.key() {
        None => Actor { changed_by: "master".into(), changed_by_api_key: MASTER_KEY_SPEND_ID.into() },
        Some(key) => {
            let record = &key.record;
            let name = record.key_alias.clone().or_else(|| record.user_id.clone()).unwrap_or(record.key_name.clone());
            Actor { changed_by: name, changed_by_api_key: record.token.clone() }
        }
    }
}

/// `GET /audit`'s answer (LiteLLM's shape).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    pub audit_logs: Vec<AuditEntry>,
    pub total: u64,
    pub page: usize,
    pub page_size: usize,
    pub total_pages: u64,
}

/// The largest page `GET /audit` answers (LiteLLM's limit).
pub const MAX_PAGE_SIZE: usize = 100;

pub async fn list(core: &Core, filter: &AuditFilter, page: usize, page_size: usize) -> Result<AuditPage, AdminError> {
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(AdminError::invalid(format!("page_size must be 1 to {MAX_PAGE_SIZE}"), Some("page_size")));
    }
    let page = page.max(1);
    let (audit_logs, total) = core.store.audit_entries(filter, page, page_size).await?;
    let total_pages = total.div_ceil(page_size as u64);
    Ok(AuditPage { audit_logs, total, page, page_size, total_pages })
}

pub async fn get(core: &Core, id: &str) -> Result<AuditEntry, AdminError> {
    core.store.audit_entry(id).await?.ok_or_else(|| AdminError::NotFound(format!("Audit log {id} not found")))
}

/// The audit log's names for what the gateway manages outside its own tables.
pub const AGENTCORE_PROVIDERS: &str = "Switchboard_AgentCoreCredentialProvider";
pub const AGENTCORE_HARNESSES: &str = "Switchboard_AgentCoreHarness";
pub const DEPLOY_STACKS: &str = "Switchboard_DeployStack";

/// A value as an audit document (the store masks it).
pub fn document<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// Something changed outside the gateway's own tables, for [`record`].
pub struct Outside<'a> {
    pub action: &'a str,
    pub table_name: &'a str,
    pub object_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records a change to something the gateway manages outside its own tables (an AgentCore
/// credential provider or harness, a deployed stack), when the audit log is on. The change is
/// made already and cannot be taken back: a failure to record it is logged, not answered as the
/// change's failure.
pub async fn record(store: &Store, config: &Config, change: Outside<'_>) {
    if !config.litellm.store_audit_logs {
        return;
    }
    let actor = actor();
    let Outside { action, table_name, object_id, before, after } = change;
    let row = crate::store::audit::Change { actor: &actor, action, table_name, object_id, before, after };
    if let Err(e) = store.record_change(row).await {
        tracing::error!("audit log: {action} of {table_name} {object_id} by {} not recorded: {e}", actor.changed_by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_header_names_the_person_and_the_key_stays_the_callers() {
        assert_eq!(actor(), Actor::system(), "outside a request");
        let context = Context::new(Some(" alice@example.com ".into()));
        let seen = within(context, async {
            identify(&Principal::Master);
            // A second identification (another extractor of the same request) changes nothing.
            identify(&Principal::Master);
            actor()
        })
        .await;
        assert_eq!(seen.changed_by, "alice@example.com");
        assert_eq!(seen.changed_by_api_key, MASTER_KEY_SPEND_ID);
        let plain = within(Context::new(Some("  ".into())), async {
            identify(&Principal::Master);
            actor()
        })
        .await;
        assert_eq!(plain.changed_by, "master");
    }

    #[tokio::test]
    async fn a_spawned_task_keeps_the_context_it_is_given() {
        let context = Context::new(Some("bob".into()));
        let spawned = within(context, async {
            let context = current();
            tokio::spawn(within(context, async { actor() })).await
        })
        .await
        .unwrap();
        assert_eq!(spawned.changed_by, "bob");
    }
}
