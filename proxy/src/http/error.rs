//! The one place where errors become HTTP: status, LiteLLM error type and body
//! `{"error": {"message", "type", "param", "code"}}` (code is the status as a string).

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::auth::AuthError;
use crate::gateway::GatewayError;
use crate::providers::ProviderError;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorFields<'a>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: &'a str,
    /// What to do about it (AWS errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a str>,
}

pub fn status_of(error: &GatewayError) -> StatusCode {
    describe(error).0
}

/// Status, LiteLLM error type and `param` of an error.
fn describe(error: &GatewayError) -> (StatusCode, &'static str, Option<&str>) {
    match error {
        // LiteLLM sends the literal string "None" as param on auth errors.
        GatewayError::Auth(AuthError::Expired { .. }) => (StatusCode::UNAUTHORIZED, "expired_key", Some("key")),
        GatewayError::Auth(_) => (StatusCode::UNAUTHORIZED, "auth_error", Some("None")),
        GatewayError::ModelAccessDenied { denied, .. } => (StatusCode::FORBIDDEN, (*denied).into(), Some("model")),
        GatewayError::BudgetExceeded(_) => (StatusCode::BAD_REQUEST, "budget_exceeded", None),
        GatewayError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttling_error", None),
        GatewayError::Forbidden(_) => (StatusCode::FORBIDDEN, "auth_error", None),
        GatewayError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found_error", None),
        GatewayError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error", None),
        GatewayError::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_request_error", Some("request_body")),
        GatewayError::InvalidRequest { param, .. } => {
            (StatusCode::BAD_REQUEST, "invalid_request_error", param.as_deref())
        }
        GatewayError::UnsupportedMediaType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", Some("request_body"))
        }
        GatewayError::BodyTooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", Some("request_body"))
        }
        GatewayError::UnknownModel { .. } => (StatusCode::BAD_REQUEST, "invalid_request_error", None),
        GatewayError::ModelNotFound(_) => (StatusCode::NOT_FOUND, "not_found_error", Some("model")),
        GatewayError::RouteNotFound(_) => (StatusCode::NOT_FOUND, "not_found_error", None),
        GatewayError::Upstream { error, .. } => upstream_status(error),
        GatewayError::Aws(e) => {
            let (status, kind) = e.kind.http();
            (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), kind, None)
        }
    }
}

fn upstream_status(error: &ProviderError) -> (StatusCode, &'static str, Option<&'static str>) {
    match error {
        ProviderError::Upstream { status, .. } => match *status {
            429 => (StatusCode::TOO_MANY_REQUESTS, "throttling_error", None),
            401 => (StatusCode::UNAUTHORIZED, "authentication_error", None),
            403 => (StatusCode::FORBIDDEN, "permission_denied_error", None),
            404 => (StatusCode::NOT_FOUND, "not_found_error", None),
            408 => (StatusCode::REQUEST_TIMEOUT, "timeout", None),
            504 => (StatusCode::GATEWAY_TIMEOUT, "timeout", None),
            s @ 400..=499 => {
                (StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_REQUEST), "invalid_request_error", None)
            }
            _ => (StatusCode::BAD_GATEWAY, "internal_server_error", None),
        },
        ProviderError::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "timeout", None),
        ProviderError::Connect(_) => (StatusCode::BAD_GATEWAY, "api_connection_error", None),
        ProviderError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request_error", None),
        ProviderError::Protocol(_) => (StatusCode::BAD_GATEWAY, "internal_server_error", None),
    }
}

/// The JSON error body of an error.
pub fn error_json(error: &GatewayError) -> (StatusCode, Vec<u8>) {
    let (status, kind, param) = describe(error);
    let message = error.to_string();
    let fix = match error {
        GatewayError::Aws(e) => Some(e.fix.as_str()),
        _ => None,
    };
    let body = ErrorBody { error: ErrorFields { message: &message, kind, param, code: status.as_str(), fix } };
    (status, serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"error\":{}}".to_vec()))
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

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let (status, body) = error_json(&self);
        let mut response = (status, [(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
            .into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let upstream_retry_after = match &self {
                GatewayError::Upstream { error, .. } => match error.as_ref() {
                    ProviderError::Upstream { retry_after: Some(r), .. } => HeaderValue::from_str(r).ok(),
                    _ => None,
                },
                GatewayError::RateLimited { retry_after, .. } => HeaderValue::from_str(&retry_after.to_string()).ok(),
                _ => None,
            };
            let retry_after = upstream_retry_after.unwrap_or(HeaderValue::from_static("1"));
            response.headers_mut().insert(http::header::RETRY_AFTER, retry_after);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(status_of(&up(429)), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(status_of(&up(500)), StatusCode::BAD_GATEWAY);
        assert_eq!(status_of(&up(503)), StatusCode::BAD_GATEWAY);
        assert_eq!(status_of(&up(504)), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(status_of(&up(422)), StatusCode::UNPROCESSABLE_ENTITY);
        let response = up(429).into_response();
        assert_eq!(response.headers()["retry-after"], "7");
    }
}
