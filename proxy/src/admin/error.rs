//! The admin core's one error type. Its LiteLLM classification (status, error type, `param`)
//! is decided here; `http::error` renders it.

use switchboard_deploy::DeployError;

use crate::aws::doctor::Report;
use crate::aws::{AwsError, AwsErrorKind};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request body is not JSON.
    #[error("Invalid JSON payload: {0}")]
    InvalidJson(String),
    #[error("{message}")]
    Invalid { message: String, param: Option<String> },
    #[error("{0}")]
    Forbidden(String),
    /// Refused by role (LiteLLM answers these 401, most with its "Authentication Error, "
    /// prefix, which the message carries).
    #[error("{0}")]
    Unauthorized(String),
    /// A team member whose role in the team does not allow the route (LiteLLM's
    /// `team_member_permission_error`, 401, `param` the route).
    #[error("{message}")]
    TeamPermission { message: String, route: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Internal(String),
    /// An AWS call failed (AgentCore): the service's words and the fix.
    #[error("{0}")]
    Aws(Box<AwsError>),
    /// A deployment was refused or failed.
    #[error("{0}")]
    Deploy(Box<DeployError>),
    /// A harness the doctor found problems with, not saved.
    #[error(
        "The doctor found {} problem(s); nothing was saved. Fix them, or send \"force\": true to save anyway.\n{}",
        .0.errors,
        .0.summary()
    )]
    DoctorFindings(Box<Report>),
}

impl AdminError {
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        AdminError::Invalid { message: message.into(), param: param.map(str::to_string) }
    }

    /// `field is required`, naming it.
    pub fn required(field: &str) -> Self {
        AdminError::invalid(format!("{field} is required"), Some(field))
    }

    /// HTTP status, LiteLLM error type and `param`.
    pub fn classify(&self) -> (u16, &'static str, Option<&str>) {
        match self {
            AdminError::InvalidJson(_) => (400, "invalid_request_error", Some("request_body")),
            AdminError::Invalid { param, .. } => (400, "invalid_request_error", param.as_deref()),
            AdminError::Forbidden(_) => (403, "auth_error", None),
            AdminError::Unauthorized(_) => (401, "auth_error", Some("None")),
            AdminError::TeamPermission { route, .. } => (401, "team_member_permission_error", Some(route)),
            AdminError::NotFound(_) => (404, "not_found_error", None),
            AdminError::Internal(_) => (500, "internal_server_error", None),
            AdminError::Aws(e) => aws_status(e.kind),
            AdminError::DoctorFindings(_) => (400, "doctor_findings", None),
            AdminError::Deploy(e) => match e.as_ref() {
                DeployError::Invalid(_) => (400, "invalid_request_error", None),
                DeployError::Confirmation { .. } => (400, "invalid_request_error", Some("confirm")),
                DeployError::NoImage(_) => (400, "invalid_request_error", Some("image_uri")),
                DeployError::NotFound { .. } => (404, "not_found_error", Some("stack")),
                DeployError::NotReady(_) => (409, "conflict_error", Some("stack")),
                DeployError::Aws(_) => (502, "aws_error", None),
                DeployError::Template(_) => (500, "internal_server_error", None),
            },
        }
    }
}

/// The admin API's status and error type for an AWS failure.
fn aws_status(kind: AwsErrorKind) -> (u16, &'static str, Option<&'static str>) {
    let (status, kind) = match kind {
        AwsErrorKind::Validation => (400, "aws_validation_error"),
        AwsErrorKind::AccessDenied => (403, "aws_access_denied"),
        AwsErrorKind::NotFound => (404, "aws_not_found"),
        AwsErrorKind::Conflict => (409, "aws_conflict"),
        AwsErrorKind::Throttling => (429, "aws_throttling"),
        // As AgentCore answers it (ServiceQuotaExceededException is a 402).
        AwsErrorKind::Quota => (402, "aws_quota_exceeded"),
        AwsErrorKind::Credentials => (502, "aws_credentials_error"),
        AwsErrorKind::Connection => (502, "aws_connection_error"),
        AwsErrorKind::Timeout => (504, "aws_timeout"),
        AwsErrorKind::Service => (502, "aws_service_error"),
        AwsErrorKind::Configuration => (400, "aws_configuration_error"),
    };
    (status, kind, None)
}

impl From<AwsError> for AdminError {
    fn from(e: AwsError) -> Self {
        AdminError::Aws(Box::new(e))
    }
}

impl From<DeployError> for AdminError {
    fn from(e: DeployError) -> Self {
        AdminError::Deploy(Box::new(e))
    }
}

/// A database failure: logged in full, answered as LiteLLM does (500).
impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        if let StoreError::IdTooLong { column, .. } = e {
            return AdminError::invalid(e.to_string(), Some(column));
        }
        tracing::error!("admin: {e}");
        AdminError::Internal(format!("database error: {e}"))
    }
}
