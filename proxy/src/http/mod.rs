//! HTTP handlers: protocol work only (auth extraction, bodies, response shapes). Every route is
//! served with and without the `/v1` prefix, as LiteLLM does.
//!
//! Routes come in three groups: public (liveness, the panel's files), inference (OpenAI-style
//! routes any page may call with a key, as LiteLLM allows) and admin (everything that manages
//! the gateway or spends the user's AWS credentials: only the gateway's own and allowed pages,
//! JSON bodies only). See `guard` for why.

mod admin;
mod anthropic;
mod completions;
mod embeddings;
mod error;
mod guard;
mod health;
mod metrics;
mod openai;
pub mod openapi;
mod reply;
mod request_body;
mod responses;
mod routes;
mod sse;
mod switchboard;
mod ui;

use std::any::Any;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::Uri;
use axum::http::request::Parts;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer, ExposeHeaders};

use crate::admin::Core;
use crate::auth::{Authenticator, Principal};
use crate::config::Config;
use crate::gateway::{Gateway, GatewayError};
use crate::store::Store;

pub use error::{error_event, error_json};
pub use guard::Guard;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The admin core (the same gateway, store and config), for the management routes.
    pub admin: Core,
    pub gateway: Arc<Gateway>,
    pub auth: Arc<Authenticator>,
    pub store: Store,
    pub config: Arc<Config>,
    pub started: Instant,
    /// Responses API responses kept for `previous_response_id` and `GET /v1/responses/{id}`.
    pub responses: Arc<crate::responses::SavedResponses>,
    /// The address the gateway listens on (who may scrape `/metrics` depends on it).
    pub listen: SocketAddr,
    /// The replicas on the same PostgreSQL database (none with SQLite).
    pub replicas: Option<Arc<crate::replicas::Peers>>,
}

/// The authenticated caller of a protected route.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = GatewayError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = state.auth.authenticate(&parts.headers).map_err(GatewayError::from)?;
        // Every admin route authenticates here: the audit log learns who the caller is.
        crate::admin::audit::identify(&principal);
        Ok(Caller(principal))
    }
}

/// The app as served: the router inside the layers every request passes, with the requests to
/// LLM routes counted.
pub fn router(
    state: AppState,
    listen: SocketAddr,
) -> Result<
    impl tower_service::Service<axum::extract::Request, Response = Response, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static,
    String,
> {
    let telemetry = state.gateway.telemetry.clone();
    let max_body_bytes = state.config.general.max_request_size_bytes;
    let guard = Arc::new(Guard::new(&state.config, listen));

    let public = Router::new()
        .route("/health/liveliness", get(health::liveliness).options(health::liveliness))
        .route("/health/liveness", get(health::liveliness).options(health::liveliness))
        .route("/health/readiness", get(health::readiness).options(health::readiness))
        .route("/routes", get(routes::list))
        .route("/", get(ui::root))
        .route("/ui", get(ui::root))
        .route("/ui/", get(ui::index))
        .route("/ui/{*path}", get(ui::file))
        .route("/openapi.json", get(openapi::json))
        .route("/docs", get(openapi::page))
        .layer(cors(AllowOrigin::any()));

    // Every LLM route, also for counting the requests refused before the gateway took them on.
    let mut llm_routes: Vec<(String, MethodRouter<AppState>)> = vec![
        ("/openai/deployments/{model}/chat/completions".into(), post(openai::azure_chat_completions)),
        ("/engines/{model}/chat/completions".into(), post(openai::azure_chat_completions)),
        ("/openai/deployments/{model}/embeddings".into(), post(embeddings::azure_embeddings)),
        ("/openai/deployments/{model}/completions".into(), post(completions::azure_completions)),
    ];
    for prefix in ["", "/v1"] {
        llm_routes.extend([
            (format!("{prefix}/chat/completions"), post(openai::chat_completions)),
            (format!("{prefix}/messages"), post(anthropic::messages)),
            (format!("{prefix}/messages/count_tokens"), post(anthropic::count_tokens)),
            (format!("{prefix}/embeddings"), post(embeddings::embeddings)),
            (format!("{prefix}/completions"), post(completions::completions)),
            (format!("{prefix}/responses"), post(responses::create)),
        ]);
    }
    let llm_paths: Vec<String> = llm_routes.iter().map(|(path, _)| path.clone()).collect();
    let mut inference = Router::new();
    for (path, handler) in llm_routes {
        inference = inference.route(&path, handler);
    }
    for prefix in ["", "/v1"] {
        inference = inference
            .route(&format!("{prefix}/responses/{{id}}"), get(responses::retrieve).delete(responses::delete))
            .route(&format!("{prefix}/responses/{{id}}/input_items"), get(responses::input_items))
            .route(&format!("{prefix}/models"), get(openai::list_models))
            .route(&format!("{prefix}/models/{{*model}}"), get(openai::get_model))
            .route(&format!("{prefix}/model/info"), get(openai::model_info));
    }
    // Origins named in the config narrow the inference API to them and to the pages the admin API
    // trusts too (the desktop app, pages on this machine): the desktop app's Models page and
    // Playground must keep working once `public_url` is set.
    let inference_origins = if guard.inference_origins_named() {
        AllowOrigin::predicate(guard::cors_predicate(guard.clone()))
    } else {
        AllowOrigin::any()
    };
    let inference = inference.layer(cors(inference_origins));
    let access = Arc::new(metrics::MetricsAccess::new(&state));
    let scrape = move |State(state): State<AppState>, headers: http::HeaderMap| {
        let access = access.clone();
        async move { metrics::scrape(state, access, headers).await }
    };

    let admin = Router::new()
        .route("/health", get(health::deployments))
        .route("/health/readiness/details", get(health::readiness_details))
        .route("/switchboard/info", get(switchboard::info))
        .route("/switchboard/stats", get(switchboard::stats))
        .route("/switchboard/requests/stream", get(switchboard::request_stream))
        .route("/switchboard/spend/daily", get(switchboard::spend_daily))
        .route("/switchboard/latency", get(switchboard::latency))
        .route("/switchboard/logs", get(switchboard::logs))
        .route("/metrics", get(scrape.clone()))
        .route("/metrics/", get(scrape))
        .merge(admin::routes())
        .layer(middleware::from_fn(admin::audit_scope))
        .layer(middleware::from_fn_with_state(guard.clone(), guard::check_admin_request))
        .layer(cors(AllowOrigin::predicate(guard::cors_predicate(guard.clone()))));

    let routes = public.merge(inference).merge(admin).fallback(not_found).with_state(state);
    // Around the router once, not on each route: axum clones a route's layered service, a boxed
    // clone per layer, for every request.
    let app = tower::ServiceBuilder::new()
        .map_response(IntoResponse::into_response)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(guard, guard::check_host))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .service(routes);
    metrics::CountRequests::new(app, telemetry, &llm_paths)
}

/// Credentials travel in headers, never cookies: CORS only decides which pages may read answers.
fn cors(origins: AllowOrigin) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods(AllowMethods::any())
        .allow_headers(AllowHeaders::any())
        .expose_headers(ExposeHeaders::any())
        .max_age(std::time::Duration::from_secs(600))
}

/// A bug must not cost the client its answer: a panic in a handler becomes LiteLLM's 500 body,
/// and the panic is logged (its message stays in the log, not in the answer).
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!("a request handler panicked: {detail}");
    GatewayError::Internal(
        "Internal Server Error: the gateway hit a bug while handling this request (it is logged)".into(),
    )
    .into_response()
}

async fn not_found(State(_): State<AppState>, uri: Uri) -> GatewayError {
    GatewayError::RouteNotFound(uri.path().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler that panics answers 500 in LiteLLM's shape, and the server goes on serving.
    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_server_lives_on() {
        async fn boom() -> &'static str {
            panic!("detail only for the log 7f3a");
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "ok" }))
            .layer(CatchPanicLayer::custom(panic_response));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let http = reqwest::Client::new();
        for _ in 0..3 {
            let r = http.get(format!("http://{addr}/boom")).send().await.unwrap();
            assert_eq!(r.status(), 500);
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["error"]["type"], "internal_server_error");
            assert_eq!(body["error"]["code"], "500");
            assert!(!body["error"]["message"].as_str().unwrap().contains("7f3a"), "the panic stays in the log");
        }
        assert_eq!(http.get(format!("http://{addr}/ok")).send().await.unwrap().text().await.unwrap(), "ok");
    }
}
