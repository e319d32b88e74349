//! The one place where errors become HTTP answers: LiteLLM's body
//! `{"error": {"message", "type", "param", "code"}}` (code is the status as a string), with the
//! status and type each layer's error classifies itself with (`GatewayError::classify`,
//! `AdminError::classify`). AWS failures add `fix` (what to do) and `detail` (the SDK's own
//! account, for a bug report); a refused deploy form adds `validation`, a harness the doctor
//! refused adds `doctor` (its report).
//!
//! Anthropic's routes answer errors in Anthropic's shape instead
//! (`{"type": "error", "error": {"type", "message"}}`, see [`AnthropicError`]): its SDKs and
//! Claude Code read that one.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::Value;
use switchboard_deploy::DeployError;

use crate::admin::AdminError;
use crate::aws::doctor::Report;
use crate::gateway::GatewayError;
use crate::providers::ProviderError;

/// LiteLLM's error body.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorResponse)]
pub struct ErrorBody<'a> {
    error: ErrorFields<'a>,
    /// A refused deploy form: its field errors and warnings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<switchboard_deploy::Validation>)]
    validation: Option<Value>,
    /// A harness not saved: the doctor's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Report>)]
    doctor: Option<Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
pub struct ErrorFields<'a> {
    message: &'a str,
    /// LiteLLM's error type: `auth_error`, `invalid_request_error`, `not_found_error`, ...
    #[serde(rename = "type")]
    kind: &'a str,
    /// The field at fault, when one is.
    param: Option<&'a str>,
    /// The HTTP status, as a string.
    code: &'a str,
    /// What to do about it (AWS errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a str>,
    /// The SDK's account of an AWS failure (shown behind a toggle).
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

/// Everything an error body says.
struct Described<'a> {
    status: StatusCode,
    kind: &'a str,
    param: Option<&'a str>,
    message: String,
    fix: Option<&'a str>,
    detail: Option<&'a str>,
    validation: Option<Value>,
    doctor: Option<Value>,
}

impl Described<'_> {
    fn body(&self) -> Vec<u8> {
        let body = ErrorBody {
            error: ErrorFields {
                message: &self.message,
                kind: self.kind,
                param: self.param,
                code: self.status.as_str(),
                fix: self.fix,
                detail: self.detail,
            },
            validation: self.validation.clone(),
            doctor: self.doctor.clone(),
        };
        serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"error\":{}}".to_vec())
    }
}

fn status<'a>(
    (code, kind, param): (u16, &'static str, Option<&'a str>),
) -> (StatusCode, &'static str, Option<&'a str>) {
    (StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), kind, param)
}

fn gateway(error: &GatewayError) -> Described<'_> {
    let (status, kind, param) = status(error.classify());
    Described {
        status,
        kind,
        param,
        message: error.to_string(),
        fix: None,
        detail: None,
        validation: None,
        doctor: None,
    }
}

fn admin(error: &AdminError) -> Described<'_> {
    let (status, kind, param) = status(error.classify());
    let (fix, detail) = match error {
        AdminError::Aws(e) => (Some(e.fix.as_str()), e.detail.as_deref()),
        _ => (None, None),
    };
    let validation = match error {
        AdminError::Deploy(e) => match e.as_ref() {
            DeployError::Invalid(v) => serde_json::to_value(v).ok(),
            _ => None,
        },
        _ => None,
    };
    let doctor = match error {
        AdminError::DoctorFindings(report) => serde_json::to_value(report).ok(),
        _ => None,
    };
    Described { status, kind, param, message: error.to_string(), fix, detail, validation, doctor }
}

/// The JSON error body of a request-path error.
pub fn error_json(error: &GatewayError) -> (StatusCode, Vec<u8>) {
    let d = gateway(error);
    (d.status, d.body())
}

/// An error that happens after a stream started: a final `data: {"error": ...}` event.
pub fn error_event(error: &GatewayError) -> Bytes {
    let (_, json) = error_json(error);
    let mut frame = Vec::with_capacity(json.len() + 8);
    frame.extend_from_slice(b"data: ");
    frame.extend_from_slice(&json);
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

/// An error after a Responses stream started, when the stream could not number it itself (the
/// translator writes the numbered one): OpenAI's `error` event.
pub fn responses_error_event(error: &GatewayError) -> Bytes {
    let (status, _, param) = error.classify();
    let event = serde_json::json!({
        "type": "error", "code": status.to_string(), "message": error.to_string(), "param": param, "sequence_number": 0
    });
    Bytes::from(format!("event: error\ndata: {event}\n\n"))
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let (status, body) = error_json(&self);
        with_retry_after(json_response(status, body), &self)
    }
}

/// A request-path error on an Anthropic route.
pub struct AnthropicError(pub GatewayError);

impl From<GatewayError> for AnthropicError {
    fn from(error: GatewayError) -> Self {
        AnthropicError(error)
    }
}

/// Anthropic's error type for a status (what its SDKs raise is chosen by the status).
fn anthropic_kind(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 415 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        408 | 504 => "timeout_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// The JSON error body of a request-path error in Anthropic's shape.
pub fn anthropic_error_json(error: &GatewayError) -> (StatusCode, Vec<u8>) {
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        error: Detail<'a>,
    }
    #[derive(Serialize)]
    struct Detail<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        message: &'a str,
    }
    let (status, _, _) = status(error.classify());
    let message = error.to_string();
    let body = Body { kind: "error", error: Detail { kind: anthropic_kind(status), message: &message } };
    (status, serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"type\":\"error\"}".to_vec()))
}

/// An error after an Anthropic stream started: its `error` event.
pub fn anthropic_error_event(error: &GatewayError) -> Bytes {
    let (_, json) = anthropic_error_json(error);
    let mut frame = Vec::with_capacity(json.len() + 24);
    frame.extend_from_slice(b"event: error\ndata: ");
    frame.extend_from_slice(&json);
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

impl IntoResponse for AnthropicError {
    fn into_response(self) -> Response {
        let (status, body) = anthropic_error_json(&self.0);
        with_retry_after(json_response(status, body), &self.0)
    }
}

/// A 429 tells when to come back: the upstream's `retry-after`, the limit's window, else 1 s.
fn with_retry_after(mut response: Response, error: &GatewayError) -> Response {
    if response.status() != StatusCode::TOO_MANY_REQUESTS {
        return response;
    }
    let upstream_retry_after = match error {
        GatewayError::Upstream { error, .. } => match error.as_ref() {
            ProviderError::Upstream { retry_after: Some(r), .. } => HeaderValue::from_str(r).ok(),
            _ => None,
        },
        GatewayError::RateLimited { retry_after, .. } => HeaderValue::from_str(&retry_after.to_string()).ok(),
        _ => None,
    };
    let retry_after = upstream_retry_after.unwrap_or(HeaderValue::from_static("1"));
    response.headers_mut().insert(http::header::RETRY_AFTER, retry_after);
    response
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let d = admin(&self);
        json_response(d.status, d.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthError;

    fn body(e: &GatewayError) -> serde_json::Value {
        serde_json::from_slice(&error_json(e).1).unwrap()
    }

    #[test]
    fn litellm_shapes() {
        let b = body(&GatewayError::Auth(AuthError::NoKey));
        assert_eq!(
            b,
            serde_json::json!({"error": {"message": "Authentication Error, No api key passed in.", "type": "auth_error", "param": "None", "code": "401"}})
        );
        let e = GatewayError::UnknownModel {
            route: "/chat/completions",
            model: "nope".into(),
            available: vec!["a".into(), "b".into()],
        };
        let b = body(&e);
        assert_eq!(b["error"]["code"], "400");
        assert_eq!(
            b["error"]["message"],
            "/chat/completions: Invalid model name passed in model=nope. Call `/v1/models` to view available models for your key. Available models: a, b"
        );
    }

    #[test]
    fn upstream_statuses() {
        let up = |status| GatewayError::Upstream {
            provider: "openai".into(),
            error: Box::new(ProviderError::Upstream {
                status,
                code: None,
                message: "m".into(),
                retry_after: Some("7".into()),
            }),
            message: "m".into(),
        };
        assert_eq!(up(429).status(), 429);
        assert_eq!(up(500).status(), 502);
        assert_eq!(up(503).status(), 502);
        assert_eq!(up(504).status(), 504);
        assert_eq!(up(422).status(), 422);
        let response = up(429).into_response();
        assert_eq!(response.headers()["retry-after"], "7");
    }

    #[test]
    fn anthropic_routes_answer_in_anthropic_shape() {
        let (status, bytes) = anthropic_error_json(&GatewayError::Auth(AuthError::NoKey));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let b: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            b,
            serde_json::json!({"type": "error", "error": {"type": "authentication_error", "message": "Authentication Error, No api key passed in."}})
        );
        let limited = GatewayError::RateLimited { message: "slow down".into(), retry_after: 3 };
        let response = AnthropicError(limited.clone()).into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
        let event = anthropic_error_event(&limited);
        let text = std::str::from_utf8(&event).unwrap();
        assert!(text.starts_with("event: error\ndata: {\"type\":\"error\""), "{text}");
        assert!(text.contains("rate_limit_error") && text.ends_with("\n\n"), "{text}");
    }

    #[test]
    fn admin_errors_answer_in_the_same_shape() {
        let error = AdminError::invalid("team_id is required", Some("team_id"));
        let d = admin(&error);
        let (status, bytes) = (d.status, d.body());
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let b: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            b,
            serde_json::json!({"error": {"message": "team_id is required", "type": "invalid_request_error", "param": "team_id", "code": "400"}})
        );
    }
}
