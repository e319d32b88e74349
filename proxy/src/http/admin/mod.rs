//! LiteLLM's management API (`/key/*`, `/team/*`, `/user/*`, `/model/*`, `/spend/*`,
//! `/global/spend*`) and Switchboard's AgentCore and deploy routes: protocol only. Each handler
//! extracts the caller and the body, calls the admin core (`crate::admin`) and answers.

mod agentcore;
mod audit;
mod deploy;
mod end_users;
mod keys;
mod models;
mod organizations;
mod spend;
mod teams;
mod users;

use std::collections::HashMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{AppState, Caller};
use crate::admin::{AdminError, Fields, access};
use crate::auth::Principal;
use crate::gateway::GatewayError;

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
        .route("/v2/team/list", get(teams::list_page))
        .route("/team/member_add", post(teams::member_add))
        .route("/team/member_delete", post(teams::member_delete))
        .route("/team/member_update", post(teams::member_update))
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
        .route("/model_group/info", get(models::group_info))
        .route("/budget/new", post(organizations::budget_new))
        .route("/budget/update", post(organizations::budget_update))
        .route("/budget/info", post(organizations::budget_info))
        .route("/budget/list", get(organizations::budget_list))
        .route("/budget/delete", post(organizations::budget_delete))
        .route("/organization/new", post(organizations::organization_new))
        .route("/organization/info", get(organizations::organization_info))
        .route("/organization/list", get(organizations::organization_list))
        .route("/organization/update", patch(organizations::organization_update))
        .route("/organization/delete", delete(organizations::organization_delete))
        .route("/organization/member_add", post(organizations::organization_member_add))
        .route("/organization/member_update", patch(organizations::organization_member_update))
        .route("/organization/member_delete", delete(organizations::organization_member_delete))
        .route("/spend/logs", get(spend::logs))
        .route("/global/spend", get(spend::global))
        .route("/global/spend/keys", get(spend::by_key))
        .route("/global/spend/teams", get(spend::by_team))
        .route("/global/spend/models", get(spend::by_model))
        .route("/global/spend/report", get(spend::report))
        .route("/audit", get(audit::list))
        .route("/audit/{id}", get(audit::get))
        .merge(agentcore::routes())
        .merge(deploy::routes())
        .merge(end_users::routes())
}

/// LiteLLM's management routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    keys::generate,
    keys::update,
    keys::delete,
    keys::info,
    keys::list,
    keys::regenerate,
    keys::regenerate_path,
    keys::block,
    keys::unblock,
    teams::new,
    teams::update,
    teams::delete,
    teams::info,
    teams::list,
    teams::list_page,
    teams::member_add,
    teams::member_delete,
    teams::member_update,
    teams::block,
    teams::unblock,
    users::new,
    users::info,
    users::update,
    users::delete,
    users::list,
    models::new,
    models::update,
    models::delete,
    models::group_info,
    organizations::budget_new,
    organizations::budget_update,
    organizations::budget_info,
    organizations::budget_list,
    organizations::budget_delete,
    organizations::organization_new,
    organizations::organization_info,
    organizations::organization_list,
    organizations::organization_update,
    organizations::organization_delete,
    organizations::organization_member_add,
    organizations::organization_member_update,
    organizations::organization_member_delete,
    spend::logs,
    spend::global,
    spend::by_key,
    spend::by_team,
    spend::by_model,
    spend::report,
    audit::list,
    audit::get,
))]
pub struct ManagementApi;

pub use agentcore::AgentCoreApi;
pub use audit::scope as audit_scope;
pub use deploy::DeployApi;
pub use end_users::EndUsersApi;

/// The caller of a LiteLLM management route, admitted by its role for this route
/// (`admin::access::check_route`); what it may do inside the route is the admin core's to decide.
pub struct Manager(pub Principal);

impl FromRequestParts<AppState> for Manager {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let write = !matches!(parts.method, Method::GET | Method::HEAD);
        let organizations = if principal.is_admin() { Vec::new() } else { access::org_roles(&state.admin, &principal) };
        access::check_route(&principal, parts.uri.path(), write, &organizations)
            .map_err(IntoResponse::into_response)?;
        Ok(Manager(principal))
    }
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
pub fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, AdminError> {
    let text: &[u8] = if body.is_empty() { b"{}" } else { body };
    if crate::store::json_nul_escapes(text).next().is_some() {
        // PostgreSQL's text cannot hold it; refused alike on SQLite, so that a body does not
        // work on one database and fail on the other.
        return Err(AdminError::invalid(
            "the request body holds a NUL character (\\u0000), which no field may hold",
            None,
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            AdminError::InvalidJson(inner.to_string())
        } else if path == "." {
            AdminError::invalid(inner.to_string(), None)
        } else {
            AdminError::invalid(format!("{path}: {inner}"), Some(path.split(['.', '[']).next().unwrap_or("")))
        }
    })
}

/// A JSON object body (for merge-patch handlers).
pub fn object_body(body: &Bytes) -> Result<Fields, AdminError> {
    match parse_body::<Value>(body)? {
        Value::Object(m) => Ok(m),
        _ => Err(AdminError::invalid("the request body must be a JSON object", Some("request_body"))),
    }
}

/// Query parameters as the list routes read them: empty values count as absent.
struct Params(HashMap<String, String>);

impl Params {
    fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// A number, or `default` when absent or not a number (as LiteLLM's list routes allow).
    fn number(&self, name: &str, default: usize) -> usize {
        self.0.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.0.get(name).is_some_and(|v| v == value)
    }
}
