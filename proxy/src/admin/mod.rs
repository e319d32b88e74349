//! The admin core: what LiteLLM's management API does (keys, teams, users, models, spend) and
//! Switchboard's AgentCore and deploy work, as plain functions over the store and the live
//! registry. The HTTP handlers, the desktop shell and the AgentCore wiring all call these;
//! none of them calls a handler.
//!
//! Each write goes to the database first — the rows one change touches in one transaction —
//! then replaces the in-memory entries the request path reads, so it applies to the next
//! request. Spend set by hand goes through the spend writer, in order with the rows of calls
//! that ended before.

pub mod access;
pub mod agentcore;
pub mod audit;
pub mod budgets;
pub mod deploy;
pub mod end_users;
mod error;
pub mod keys;
pub mod latency;
pub mod models;
pub mod organizations;
pub mod requests;
pub mod spend;
pub mod teams;
pub mod users;

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use error::AdminError;

use crate::config::Config;
use crate::gateway::Gateway;
use crate::limits::{Counters, parse_duration};
use crate::store::{Entity, Store, StoreError, Write};
use crate::time::format_time;

/// The fields of a LiteLLM management request (`/key/generate`, `/team/update`, ...), as sent:
/// merge-patch semantics depend on which members are present.
pub type Fields = Map<String, Value>;

/// What the admin core works on: the live gateway (registry, models, spend writer), the
/// database and the boot configuration.
#[derive(Clone)]
pub struct Core {
    pub gateway: Arc<Gateway>,
    pub store: Store,
    pub config: Arc<Config>,
    pub agentcore: agentcore::Service,
}

impl Core {
    pub fn new(gateway: Arc<Gateway>, store: Store, config: Arc<Config>) -> Core {
        Core { gateway, store, config, agentcore: agentcore::Service::default() }
    }

    /// Applies several writes in one transaction, with their audit rows (action `created`,
    /// `updated` or `deleted`, by whoever [`audit::actor`] says).
    pub async fn commit(&self, writes: &[Write<'_>]) -> Result<(), AdminError> {
        Ok(self.write(writes, None).await?)
    }

    /// [`Core::commit`] for a change that has a name of its own (`rotated`, `blocked`, ...).
    pub async fn commit_as(&self, action: &str, writes: &[Write<'_>]) -> Result<(), AdminError> {
        Ok(self.write(writes, Some(action)).await?)
    }

    /// [`Core::commit`] with the store's own error, for callers that word a conflict
    /// themselves. Every admin write goes through here, so none escapes the audit log.
    pub async fn write(&self, writes: &[Write<'_>], action: Option<&str>) -> Result<(), StoreError> {
        if !self.config.litellm.store_audit_logs {
            return self.store.commit(writes).await;
        }
        self.store.commit_audited(writes, &audit::actor(), action).await
    }

    /// Sets an entity's spend by hand: the live counter now, the database through the spend
    /// writer, after the rows of calls that ended before.
    pub async fn set_spend(&self, entity: Entity, id: &str, counters: &Counters, spend: f64) {
        counters.set_spend(spend, counters.reset_at());
        if let (Some(shared), Some((subject, period))) =
            (self.gateway.shared_limits(), crate::gateway::governance::shared_spend(entity, id, counters))
        {
            shared.set_spend(&subject, period, spend).await;
        }
        let reset_at = counters.reset_at().map(format_time);
        if let Some(sink) = self.gateway.spend_sink()
            && !sink.set_spend(entity, id, spend, reset_at).await
        {
            tracing::warn!("spend of {entity:?} {id} set in memory; the database will have it once it is reachable");
        }
    }
}

pub fn now() -> String {
    format_time(Utc::now())
}

/// Checks a duration field and returns when it ends from now.
pub fn ends_after(field: &str, text: &str) -> Result<String, AdminError> {
    let d = parse_duration(text).map_err(|e| AdminError::invalid(format!("{field}: {e}"), Some(field)))?;
    Ok(format_time(d.after(Utc::now())))
}

/// The next reset of a budget period starting now.
pub fn next_reset(text: &str) -> Result<String, AdminError> {
    let d = parse_duration(text)
        .map_err(|e| AdminError::invalid(format!("budget_duration: {e}"), Some("budget_duration")))?;
    Ok(format_time(d.next_after(Utc::now())))
}

/// Applies the members of `patch` named in `fields` to `record` (merge-patch: members not sent
/// stay as they are). A member sent as null clears the field, as LiteLLM's clients send null for
/// "not set": a list or map becomes empty (an empty `models` list allows every model), a flag
/// false, an optional value absent; `spend` is left alone (it is set through `spend_field`).
pub fn merge<T: Serialize + DeserializeOwned>(record: &T, patch: &Fields, fields: &[&str]) -> Result<T, AdminError> {
    let mut value = serde_json::to_value(record).map_err(|e| AdminError::Internal(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        for f in fields {
            let Some(v) = patch.get(*f) else { continue };
            let v = match (v, obj.get(*f)) {
                (Value::Null, Some(Value::Array(_))) => Value::Array(Vec::new()),
                (Value::Null, Some(Value::Object(_))) => Value::Object(Map::new()),
                (Value::Null, Some(Value::Bool(_))) => Value::Bool(false),
                (Value::Null, Some(Value::Number(_))) if *f == "spend" => continue,
                (v, _) => v.clone(),
            };
            obj.insert((*f).to_string(), v);
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        match field.as_str() {
            "." => AdminError::invalid(e.into_inner().to_string(), None),
            _ => AdminError::invalid(format!("{field}: {}", e.into_inner()), field.split(['.', '[']).next()),
        }
    })
}

/// Checks the limit fields shared by keys, teams and users.
pub fn check_limits(patch: &Fields) -> Result<(), AdminError> {
    for f in ["max_budget", "soft_budget"] {
        if let Some(v) = patch.get(f)
            && !v.is_null()
            && !v.as_f64().is_some_and(|x| x >= 0.0 && x.is_finite())
        {
            return Err(AdminError::invalid(format!("{f} must be a non-negative number"), Some(f)));
        }
    }
    for f in ["tpm_limit", "rpm_limit", "max_parallel_requests"] {
        if let Some(v) = patch.get(f)
            && !v.is_null()
            && v.as_u64().is_none()
        {
            return Err(AdminError::invalid(format!("{f} must be a non-negative integer"), Some(f)));
        }
    }
    for f in ["models", "tags"] {
        if let Some(v) = patch.get(f)
            && !v.is_null()
            && !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err(AdminError::invalid(format!("{f} must be a list of strings"), Some(f)));
        }
    }
    if let (Some(soft), Some(max)) =
        (patch.get("soft_budget").and_then(Value::as_f64), patch.get("max_budget").and_then(Value::as_f64))
        && soft >= max
    {
        return Err(AdminError::invalid("soft_budget must be below max_budget", Some("soft_budget")));
    }
    Ok(())
}

/// `spend` of an update body: a non-negative number, when sent.
pub fn spend_field(fields: &Fields) -> Result<Option<f64>, AdminError> {
    match fields.get("spend") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(s) if s >= 0.0 && s.is_finite() => Ok(Some(s)),
            _ => Err(AdminError::invalid("spend must be a non-negative number", Some("spend"))),
        },
    }
}

/// The fields of a limits block that `merge` may set.
pub const LIMIT_FIELDS: &[&str] =
    &["max_budget", "soft_budget", "budget_duration", "tpm_limit", "rpm_limit", "max_parallel_requests"];

/// Page arithmetic shared by the list routes.
pub fn page<T: Clone>(items: &[T], page: usize, size: usize) -> (Vec<T>, usize) {
    let size = size.clamp(1, 1000);
    let total_pages = items.len().div_ceil(size).max(1);
    let start = (page.max(1) - 1) * size;
    (items.iter().skip(start).take(size).cloned().collect(), total_pages)
}

/// One page of `items` in the order of `cmp`, and the number of pages, without sorting the
/// rest: linear in the number of items (a million keys), where sorting them all is not.
pub fn page_by<T: Clone>(
    mut items: Vec<T>,
    page: usize,
    size: usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> (Vec<T>, usize) {
    let size = size.clamp(1, 1000);
    let total_pages = items.len().div_ceil(size).max(1);
    let start = (page.max(1) - 1).saturating_mul(size);
    if start >= items.len() {
        return (Vec::new(), total_pages);
    }
    if start > 0 {
        // What comes before the page ends up before `start`.
        items.select_nth_unstable_by(start, &cmp);
    }
    let Some(rest) = items.get_mut(start..) else { return (Vec::new(), total_pages) };
    let len = size.min(rest.len());
    if len < rest.len() {
        // The page's items: the `len` first of the rest.
        rest.select_nth_unstable_by(len, &cmp);
    }
    let Some(on_page) = rest.get_mut(..len) else { return (Vec::new(), total_pages) };
    on_page.sort_by(&cmp);
    (on_page.to_vec(), total_pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KeyRecord;

    #[test]
    fn a_page_without_sorting_everything_is_the_sorted_page() {
        let items: Vec<u32> = (0..1000u32).map(|i| (i * 7919) % 1000).collect();
        let mut sorted = items.clone();
        sorted.sort_unstable();
        for (number, size) in [(1, 50), (2, 50), (7, 33), (20, 50), (31, 33), (1, 1000), (1, 2000)] {
            let (got, pages) = page_by(items.clone(), number, size, |a, b| a.cmp(b));
            let (want, want_pages) = page(&sorted, number, size);
            assert_eq!((got, pages), (want, want_pages), "page {number} of {size}");
        }
        let (past, pages) = page_by(items.clone(), 99, 50, |a: &u32, b| a.cmp(b));
        assert_eq!((past.len(), pages), (0, 20));
        let (first, _) = page_by(items, 1, 3, |a: &u32, b| b.cmp(a));
        assert_eq!(first, [999, 998, 997], "descending");
    }

    fn patch(v: Value) -> Fields {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn null_members_clear_as_litellm_clients_mean_them() {
        let mut key =
            KeyRecord { token: "t".into(), key_name: "k".into(), spend: 2.5, blocked: true, ..Default::default() };
        key.models = vec!["gpt-4o".into()];
        key.limits.max_budget = Some(10.0);
        key.metadata.insert("team".into(), Value::from("a"));
        let fields = ["models", "metadata", "aliases", "tags", "blocked", "max_budget", "key_alias", "spend"];
        let null_everywhere = patch(serde_json::json!({
            "models": null, "metadata": null, "aliases": null, "tags": null, "blocked": null,
            "max_budget": null, "key_alias": null, "spend": null, "not_a_field": 1
        }));
        let merged = merge(&key, &null_everywhere, &fields).unwrap();
        assert!(merged.models.is_empty() && merged.metadata.is_empty() && merged.tags.is_empty());
        assert!(!merged.blocked);
        assert_eq!(merged.limits.max_budget, None);
        assert_eq!(merged.spend, 2.5, "spend is set through spend_field only");
        let wrong = merge(&key, &patch(serde_json::json!({"models": "gpt-4o"})), &fields).unwrap_err();
        assert!(matches!(&wrong, AdminError::Invalid { param: Some(p), .. } if p == "models"), "{wrong:?}");
    }
}
