//! Errors of the request path. Their HTTP form (status, LiteLLM error type) is decided in one
//! place, `http::error`.

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
    #[error(
        "The requested model '{model}' is not available for this API key, or the model name is invalid. Check the models available to you and try again."
    )]
    ModelAccessDenied { model: String, denied: Denied },
    #[error("{0}")]
    BudgetExceeded(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// An admin route called with a key that is not an admin's.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Internal(String),
    /// A provider call failed; `message` is already scrubbed of secrets.
    #[error("{provider} error: {message}")]
    Upstream { provider: String, error: Box<ProviderError>, message: String },
    /// An AWS call of the admin API failed (AgentCore): the service's words and the fix.
    #[error("{0}")]
    Aws(Box<crate::aws::AwsError>),
}

impl From<crate::aws::AwsError> for GatewayError {
    fn from(e: crate::aws::AwsError) -> Self {
        GatewayError::Aws(Box::new(e))
    }
}

impl GatewayError {
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        GatewayError::InvalidRequest { message: message.into(), param: param.map(str::to_string) }
    }
}
