//! `GET /metrics`: LiteLLM's Prometheus metrics, and the wrapper around the app that counts the
//! requests the gateway never took on (no key, a bad body).
//!
//! Who may scrape: anyone, when the gateway listens on loopback only (as LiteLLM's `/metrics` is
//! open) unless `require_auth_for_metrics_endpoint` is set; otherwise the master key, an admin or
//! viewer key, or `general_settings.metrics_token`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Uri};
use pin_project_lite::pin_project;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tower_service::Service;

use super::AppState;
use crate::gateway::GatewayError;
use crate::telemetry::{CallLabels, Telemetry, Tracked, seen_by_gateway, track};

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
    // Off the runtime's threads: with many budgets, a scrape is seconds of formatting that
    // would stall the calls sharing a thread with it.
    let gateway = state.gateway.clone();
    match tokio::task::spawn_blocking(move || gateway.render_metrics()).await {
        Ok(Ok(text)) => ([(CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT))], text).into_response(),
        Ok(Err(e)) => GatewayError::Internal(e).into_response(),
        Err(e) => GatewayError::Internal(format!("the metrics could not be rendered: {e}")).into_response(),
    }
}

/// The whole app, counting the requests to LLM routes that the gateway did not take on (it
/// counts the others). One wrapper around the router, not a layer on each route: axum clones a
/// route's layered service (a boxed clone per layer) for every request.
#[derive(Clone)]
pub struct CountRequests<S> {
    inner: S,
    telemetry: Arc<Telemetry>,
    llm_routes: Arc<matchit::Router<()>>,
}

impl<S> CountRequests<S> {
    /// `llm_routes`: the LLM routes' paths, in the router's syntax (`/engines/{model}/...`).
    pub fn new(inner: S, telemetry: Arc<Telemetry>, llm_routes: &[String]) -> Result<CountRequests<S>, String> {
        let mut routes = matchit::Router::new();
        for path in llm_routes {
            routes.insert(path.as_str(), ()).map_err(|e| format!("LLM route {path}: {e}"))?;
        }
        Ok(CountRequests { inner, telemetry, llm_routes: Arc::new(routes) })
    }
}

impl<S> Service<Request> for CountRequests<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Counted<S::Future> {
        if request.method() != Method::POST || self.llm_routes.at(request.uri().path()).is_err() {
            return Counted::Untracked { inner: self.inner.call(request) };
        }
        // A `Uri` clone shares its bytes; the path is only read if the gateway did not count the call.
        let uri = request.uri().clone();
        Counted::Tracked { inner: track(self.inner.call(request)), telemetry: self.telemetry.clone(), uri }
    }
}

pin_project! {
    #[project = CountedProjection]
    pub enum Counted<F> {
        Untracked { #[pin] inner: F },
        Tracked { #[pin] inner: Tracked<F>, telemetry: Arc<Telemetry>, uri: Uri },
    }
}

impl<F, E> Future for Counted<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CountedProjection::Untracked { inner } => inner.poll(cx),
            CountedProjection::Tracked { mut inner, telemetry, uri } => {
                let result = ready!(inner.as_mut().poll(cx));
                if let Ok(response) = &result
                    && !seen_by_gateway(inner)
                {
                    telemetry.metrics.proxy_request(&CallLabels::default(), uri.path(), response.status().as_u16());
                }
                Poll::Ready(result)
            }
        }
    }
}
