//! Errors of the request path, and how LiteLLM classifies them (status, error type, `param`):
//! the request log records the status, `http::error` renders the body.

use crate::auth::AuthError;
use crate::auth::access::Denied;
use crate::providers::ProviderError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request body is not JSON.
    #[error("Invalid JSON payload: {0}")]
    InvalidJson(String),
    #[error("{message}")]
    InvalidRequest { message: String, param: Option<String> },
    /// The admin API takes JSON only.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("Request body is too large: the limit is {limit_bytes} bytes (general_settings.max_request_size_mb)")]
    BodyTooLarge { limit_bytes: usize },
    /// `model` names no model group; `available` lists the ones the caller may use.
    #[error(
        "{route}: Invalid model name passed in model={model}. Call `/v1/models` to view available models for your key. Available models: {}",
        if available.is_empty() { "none configured".to_string() } else { available.join(", ") }
    )]
    UnknownModel { route: &'static str, model: String, available: Vec<String> },
    #[error("The model '{0}' does not exist")]
    ModelNotFound(String),
    #[error("Not Found: {0}")]
    RouteNotFound(String),
    /// A stored object (a response) the caller named does not exist or is not theirs.
    #[error("{message}")]
    NotFound { message: String, param: Option<String> },
    /// LiteLLM's words, which its clients and tests match on.
    #[error(
        "{subject} not allowed to access model. This {subject} can only access models={}. Tried to access {model}",
        crate::auth::access::python_list(allowed),
        subject = denied.subject()
    )]
    ModelAccessDenied { model: String, denied: Denied, allowed: Vec<String> },
    #[error("{0}")]
    BudgetExceeded(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// An admin route called with a key that is not an admin's.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Internal(String),
    /// A provider call failed; `message` is already scrubbed of secrets.
    #[error("{provider} error: {message}")]
    Upstream { provider: String, error: Box<ProviderError>, message: String },
}

impl GatewayError {
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        GatewayError::InvalidRequest { message: message.into(), param: param.map(str::to_string) }
    }

    /// The HTTP status LiteLLM answers this error with.
    pub fn status(&self) -> u16 {
        self.classify().0
    }

    /// HTTP status, LiteLLM error type and `param`.
    pub fn classify(&self) -> (u16, &'static str, Option<&str>) {
        match self {
            // LiteLLM sends the literal string "None" as param on auth errors.
            GatewayError::Auth(AuthError::Expired { .. }) => (401, "expired_key", Some("key")),
            GatewayError::Auth(_) => (401, "auth_error", Some("None")),
            GatewayError::ModelAccessDenied { denied, .. } => (403, (*denied).into(), Some("model")),
            GatewayError::BudgetExceeded(_) => (400, "budget_exceeded", None),
            GatewayError::RateLimited { .. } => (429, "throttling_error", None),
            GatewayError::Forbidden(_) => (403, "auth_error", None),
            GatewayError::Internal(_) => (500, "internal_server_error", None),
            GatewayError::InvalidJson(_) => (400, "invalid_request_error", Some("request_body")),
            GatewayError::InvalidRequest { param, .. } => (400, "invalid_request_error", param.as_deref()),
            GatewayError::UnsupportedMediaType(_) => (415, "invalid_request_error", Some("request_body")),
            GatewayError::BodyTooLarge { .. } => (413, "invalid_request_error", Some("request_body")),
            GatewayError::UnknownModel { .. } => (400, "invalid_request_error", None),
            GatewayError::ModelNotFound(_) => (404, "not_found_error", Some("model")),
            GatewayError::RouteNotFound(_) => (404, "not_found_error", None),
            // OpenAI's type for an unknown response id.
            GatewayError::NotFound { param, .. } => (404, "invalid_request_error", param.as_deref()),
            GatewayError::Upstream { error, .. } => upstream_status(error),
        }
    }
}

/// LiteLLM's mapping of an upstream failure.
fn upstream_status(error: &ProviderError) -> (u16, &'static str, Option<&'static str>) {
    match error {
        ProviderError::Upstream { status, .. } => match *status {
            429 => (429, "throttling_error", None),
            401 => (401, "authentication_error", None),
            403 => (403, "permission_denied_error", None),
            404 => (404, "not_found_error", None),
            408 => (408, "timeout", None),
            504 => (504, "timeout", None),
            s @ 400..=499 => (s, "invalid_request_error", None),
            _ => (502, "internal_server_error", None),
        },
        ProviderError::Timeout(_) => (408, "timeout", None),
        ProviderError::Connect(_) => (502, "api_connection_error", None),
        ProviderError::InvalidRequest(_) => (400, "invalid_request_error", None),
        ProviderError::Protocol(_) => (502, "internal_server_error", None),
    }
}
