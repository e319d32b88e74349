//! `GET /metrics`: LiteLLM's Prometheus metrics, and the middleware that counts requests the
//! gateway never took on (no key, a bad body).
//!
//! Who may scrape: anyone, when the gateway listens on loopback only (as LiteLLM's `/metrics` is
//! open) unless `require_auth_for_metrics_endpoint` is set; otherwise the master key, an admin or
//! viewer key, or `general_settings.metrics_token`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::AppState;
use crate::gateway::GatewayError;
use crate::telemetry::Telemetry;

/// Who may read `/metrics` on this gateway, fixed at start.
#[derive(Clone)]
pub struct MetricsAccess {
    open: bool,
    token: Option<SecretString>,
}

impl MetricsAccess {
    pub fn new(state: &AppState) -> MetricsAccess {
        MetricsAccess { open: is_open(state), token: state.config.telemetry.metrics_token.clone() }
    }

    fn admits(&self, state: &AppState, headers: &HeaderMap) -> Result<(), GatewayError> {
        if self.open {
            return Ok(());
        }
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        if let (Some(token), Some(sent)) = (&self.token, bearer)
            && bool::from(token.expose_secret().as_bytes().ct_eq(sent.as_bytes()))
        {
            return Ok(());
        }
        let principal = state.auth.authenticate(headers)?;
        if principal.may_read_all() {
            Ok(())
        } else {
            Err(GatewayError::Forbidden(
                "Only the master key, a proxy_admin, a proxy_admin_viewer or the metrics token may read /metrics"
                    .into(),
            ))
        }
    }
}

/// Anyone may scrape a gateway that listens on loopback only, unless the config says otherwise.
pub fn is_open(state: &AppState) -> bool {
    state.listen.ip().is_loopback() && !state.config.telemetry.require_auth_for_metrics
}

/// The Prometheus text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn scrape(state: AppState, access: Arc<MetricsAccess>, headers: HeaderMap) -> Response {
    if let Err(e) = access.admits(&state, &headers) {
        return e.into_response();
    }
    match state.gateway.render_metrics() {
        Ok(text) => ([(CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT))], text).into_response(),
        Err(e) => GatewayError::Internal(e).into_response(),
    }
}

/// Counts a request to an LLM route that the gateway did not take on (it counts the others).
/// Its state is the telemetry alone: a middleware's state is cloned for every request.
pub async fn count_requests(State(telemetry): State<Arc<Telemetry>>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    // A `Uri` clone shares its bytes; the path is only read if the gateway did not count the call.
    let uri = request.uri().clone();
    crate::telemetry::track_request(
        &telemetry.metrics,
        uri.path(),
        |r: &Response| r.status().as_u16(),
        next.run(request),
    )
    .await
}
