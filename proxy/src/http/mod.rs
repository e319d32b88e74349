//! HTTP handlers: protocol work only (auth extraction, bodies, response shapes). Every route is
//! served with and without the `/v1` prefix, as LiteLLM does.

mod admin;
mod error;
mod health;
mod openai;
mod switchboard;
mod ui;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::Uri;
use axum::http::request::Parts;
use axum::routing::{get, post};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer, ExposeHeaders};

use crate::auth::{Authenticator, Principal};
use crate::config::Config;
use crate::gateway::{Gateway, GatewayError};
use crate::store::Store;

pub use error::{error_event, error_json, status_of};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub gateway: Arc<Gateway>,
    pub auth: Arc<Authenticator>,
    pub store: Store,
    pub config: Arc<Config>,
    pub started: Instant,
}

/// The authenticated caller of a protected route.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = GatewayError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        state.auth.authenticate(&parts.headers).map(Caller).map_err(GatewayError::from)
    }
}

pub fn router(state: AppState) -> Router {
    let max_body_bytes = state.config.general.max_request_size_bytes;
    let mut router = Router::new()
        .route("/health/liveliness", get(health::liveliness).options(health::liveliness))
        .route("/health/liveness", get(health::liveliness).options(health::liveliness))
        .route("/health/readiness", get(health::readiness).options(health::readiness))
        .route("/health", get(health::deployments))
        .route("/openai/deployments/{model}/chat/completions", post(openai::azure_chat_completions))
        .route("/engines/{model}/chat/completions", post(openai::azure_chat_completions));
    for prefix in ["", "/v1"] {
        router = router
            .route(&format!("{prefix}/chat/completions"), post(openai::chat_completions))
            .route(&format!("{prefix}/models"), get(openai::list_models))
            .route(&format!("{prefix}/models/{{*model}}"), get(openai::get_model))
            .route(&format!("{prefix}/model/info"), get(openai::model_info));
    }
    router
        .route("/", get(ui::root))
        .route("/ui", get(ui::root))
        .route("/ui/", get(ui::index))
        .route("/ui/{*path}", get(ui::file))
        .route("/switchboard/info", get(switchboard::info))
        .route("/switchboard/stats", get(switchboard::stats))
        .route("/switchboard/requests/stream", get(switchboard::request_stream))
        .route("/switchboard/spend/daily", get(switchboard::spend_daily))
        .route("/switchboard/logs", get(switchboard::logs))
        .merge(admin::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(cors())
        .with_state(state)
}

/// Browsers may call the API from any origin (a panel served by another gateway, a notebook):
/// credentials travel in headers, never cookies, so there is nothing for another site to ride on.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods(AllowMethods::any())
        .allow_headers(AllowHeaders::any())
        .expose_headers(ExposeHeaders::any())
        .max_age(std::time::Duration::from_secs(600))
}

async fn not_found(State(_): State<AppState>, uri: Uri) -> GatewayError {
    GatewayError::RouteNotFound(uri.path().to_string())
}
