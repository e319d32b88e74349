//! LiteLLM's management API: `/key/*`, `/team/*`, `/user/*`, `/model/*`, `/spend/*`,
//! `/global/spend*`. Each write goes to the database first — the rows one change touches in one
//! transaction — then replaces the in-memory entries the request path reads, so it applies to
//! the next request. Spend set by hand goes through the spend writer, in order with the rows of
//! calls that ended before.

mod agentcore;
mod deploy;
pub(super) mod keys;
mod models;
mod spend;
mod teams;
mod users;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post};
use bytes::Bytes;
use chrono::Utc;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{AppState, Caller};
use crate::auth::Principal;
use crate::auth::registry::format_time;
use crate::gateway::GatewayError;
use crate::limits::{Counters, parse_duration};
use crate::store::{Entity, StoreError, Write};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/key/generate", post(keys::generate))
        .route("/key/update", post(keys::update))
        .route("/key/delete", post(keys::delete))
        .route("/key/info", get(keys::info))
        .route("/key/list", get(keys::list))
        .route("/key/regenerate", post(keys::regenerate))
        .route("/key/{key}/regenerate", post(keys::regenerate_path))
        .route("/key/block", post(keys::block))
        .route("/key/unblock", post(keys::unblock))
        .route("/team/new", post(teams::new))
        .route("/team/update", post(teams::update))
        .route("/team/delete", post(teams::delete))
        .route("/team/info", get(teams::info))
        .route("/team/list", get(teams::list))
        .route("/team/member_add", post(teams::member_add))
        .route("/team/member_delete", post(teams::member_delete))
        .route("/team/block", post(teams::block))
        .route("/team/unblock", post(teams::unblock))
        .route("/user/new", post(users::new))
        .route("/user/info", get(users::info))
        .route("/user/update", post(users::update))
        .route("/user/delete", post(users::delete))
        .route("/user/list", get(users::list))
        .route("/model/new", post(models::new))
        .route("/model/update", post(models::update))
        .route("/model/delete", post(models::delete))
        .route("/spend/logs", get(spend::logs))
        .route("/global/spend", get(spend::global))
        .route("/global/spend/keys", get(spend::by_key))
        .route("/global/spend/teams", get(spend::by_team))
        .route("/global/spend/models", get(spend::by_model))
        .merge(agentcore::routes())
        .merge(deploy::routes())
}

/// A caller allowed to manage the gateway: the master key, or a key whose user (or the key
/// itself) has the `proxy_admin` role.
pub struct Admin(pub Principal);

/// A caller allowed to read everything: admins and `proxy_admin_viewer`s.
pub struct Reader;

impl FromRequestParts<AppState> for Reader {
    type Rejection = GatewayError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        if !principal.may_read_all() {
            return Err(GatewayError::Forbidden(format!(
                "Only the master key, a proxy_admin or a proxy_admin_viewer may call {}",
                parts.uri.path()
            )));
        }
        Ok(Reader)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = GatewayError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        if !principal.is_admin() {
            return Err(GatewayError::Forbidden(format!(
                "Only the master key (or a key with the proxy_admin role) may call {}",
                parts.uri.path()
            )));
        }
        Ok(Admin(principal))
    }
}

/// Parses a JSON body, naming the field that does not fit.
pub fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, GatewayError> {
    let text: &[u8] = if body.is_empty() { b"{}" } else { body };
    let mut de = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            GatewayError::InvalidJson(inner.to_string())
        } else if path == "." {
            GatewayError::invalid(inner.to_string(), None)
        } else {
            GatewayError::invalid(format!("{path}: {inner}"), Some(path.split(['.', '[']).next().unwrap_or("")))
        }
    })
}

pub fn store_error(e: StoreError) -> GatewayError {
    tracing::error!("admin API: {e}");
    GatewayError::Internal(format!("database error: {e}"))
}

/// Applies several writes in one transaction.
pub async fn commit(state: &AppState, writes: &[Write<'_>]) -> Result<(), GatewayError> {
    state.store.commit(writes).await.map_err(store_error)
}

/// Sets an entity's spend by hand: the live counter now, the database through the spend
/// writer, after the rows of calls that ended before.
pub async fn set_spend(state: &AppState, entity: Entity, id: &str, counters: &Counters, spend: f64) {
    counters.set_spend(spend, counters.reset_at());
    let reset_at = counters.reset_at().map(format_time);
    if let Some(sink) = state.gateway.spend_sink()
        && !sink.set_spend(entity, id, spend, reset_at).await
    {
        tracing::warn!("spend of {entity:?} {id} set in memory; the database will have it once it is reachable");
    }
}

pub fn now() -> String {
    format_time(Utc::now())
}

/// Checks a duration field and returns when it ends from now.
pub fn ends_after(field: &str, text: &str) -> Result<String, GatewayError> {
    let d = parse_duration(text).map_err(|e| GatewayError::invalid(format!("{field}: {e}"), Some(field)))?;
    Ok(format_time(d.after(Utc::now())))
}

/// The next reset of a budget period starting now.
pub fn next_reset(text: &str) -> Result<String, GatewayError> {
    let d = parse_duration(text)
        .map_err(|e| GatewayError::invalid(format!("budget_duration: {e}"), Some("budget_duration")))?;
    Ok(format_time(d.next_after(Utc::now())))
}

/// Applies the members of `patch` named in `fields` to `record` (merge-patch: a member set to
/// null clears the field; members not sent stay as they are).
pub fn merge<T: Serialize + DeserializeOwned>(
    record: &T,
    patch: &Map<String, Value>,
    fields: &[&str],
) -> Result<T, GatewayError> {
    let mut value = serde_json::to_value(record).map_err(|e| GatewayError::Internal(e.to_string()))?;
    if let Some(obj) = value.as_object_mut() {
        for f in fields {
            if let Some(v) = patch.get(*f) {
                obj.insert((*f).to_string(), v.clone());
            }
        }
    }
    serde_json::from_value(value).map_err(|e| GatewayError::invalid(e.to_string(), None))
}

/// Checks the limit fields shared by keys, teams and users.
pub fn check_limits(patch: &Map<String, Value>) -> Result<(), GatewayError> {
    for f in ["max_budget", "soft_budget"] {
        if let Some(v) = patch.get(f)
            && !v.is_null()
            && !v.as_f64().is_some_and(|x| x >= 0.0 && x.is_finite())
        {
            return Err(GatewayError::invalid(format!("{f} must be a non-negative number"), Some(f)));
        }
    }
    for f in ["tpm_limit", "rpm_limit", "max_parallel_requests"] {
        if let Some(v) = patch.get(f)
            && !v.is_null()
            && v.as_u64().is_none()
        {
            return Err(GatewayError::invalid(format!("{f} must be a non-negative integer"), Some(f)));
        }
    }
    for f in ["models", "tags"] {
        if let Some(v) = patch.get(f)
            && !v.is_null()
            && !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err(GatewayError::invalid(format!("{f} must be a list of strings"), Some(f)));
        }
    }
    if let (Some(soft), Some(max)) =
        (patch.get("soft_budget").and_then(Value::as_f64), patch.get("max_budget").and_then(Value::as_f64))
        && soft >= max
    {
        return Err(GatewayError::invalid("soft_budget must be below max_budget", Some("soft_budget")));
    }
    Ok(())
}

/// `spend` of an update body: a non-negative number, when sent.
pub fn spend_field(fields: &Map<String, Value>) -> Result<Option<f64>, GatewayError> {
    match fields.get("spend") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(s) if s >= 0.0 && s.is_finite() => Ok(Some(s)),
            _ => Err(GatewayError::invalid("spend must be a non-negative number", Some("spend"))),
        },
    }
}

/// The fields of a limits block that `merge` may set.
pub const LIMIT_FIELDS: &[&str] =
    &["max_budget", "soft_budget", "budget_duration", "tpm_limit", "rpm_limit", "max_parallel_requests"];

/// A JSON object body (for merge-patch handlers).
pub fn object_body(body: &Bytes) -> Result<Map<String, Value>, GatewayError> {
    match parse_body::<Value>(body)? {
        Value::Object(m) => Ok(m),
        _ => Err(GatewayError::invalid("the request body must be a JSON object", Some("request_body"))),
    }
}

/// Page arithmetic shared by the list routes.
pub fn page<T: Clone>(items: &[T], page: usize, size: usize) -> (Vec<T>, usize) {
    let size = size.clamp(1, 1000);
    let total_pages = items.len().div_ceil(size).max(1);
    let start = (page.max(1) - 1) * size;
    (items.iter().skip(start).take(size).cloned().collect(), total_pages)
}
