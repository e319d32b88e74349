//! SigV4 as AWS checks it, for the fakes: the signature a request carries is computed again
//! from what arrived (method, raw path, the headers it names as signed, the body) with
//! `aws-sigv4`, for the access keys whose secrets the fake knows, and a mismatch is refused the
//! way AWS refuses it. Keys the fake does not know are taken on trust (the fake cannot tell).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

/// The test suite's access keys and their secrets.
pub const KNOWN_SECRETS: &[(&str, &str)] = &[
    ("AKIDTESTGATEWAY", "gateway-test-secret"),
    ("AKIDFROMENVIRONMENT", "env-secret"),
    ("AKIDAGENTCORETEST", "agentcore-test-secret-0123456789abcdef"),
];

/// Why a request's authorization is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization`, or one that is not SigV4 for `service` (nor a bearer token).
    Missing,
    /// SigV4 whose signature is not the one the secret gives.
    Mismatch,
}

/// A layer for a restJson1 service signed as `service`: a request signed with an access key the
/// fake knows, whose signature is not the one its secret gives, is refused as AWS refuses it.
/// An authorization that is missing or scoped elsewhere goes on to the service's handlers,
/// which say what is wrong with it in the service's own words.
pub async fn refuse_bad_signatures(service: &'static str, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return crate::bedrock::aws_error(StatusCode::BAD_REQUEST, "ValidationException", "The body could not be read");
    };
    match check(service, &parts.method, &parts.uri, &parts.headers, &body) {
        Err(Refusal::Mismatch) => refused(Refusal::Mismatch),
        Ok(()) | Err(Refusal::Missing) => next.run(Request::from_parts(parts, Body::from(body))).await,
    }
}

/// AWS's answer to a refused authorization.
pub fn refused(refusal: Refusal) -> Response {
    let (code, message) = match refusal {
        Refusal::Missing => ("UnrecognizedClientException", "The security token included in the request is invalid."),
        Refusal::Mismatch => (
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret \
             Access Key and signing method. Consult the service documentation for details.",
        ),
    };
    crate::bedrock::aws_error(StatusCode::FORBIDDEN, code, message)
}

/// Checks a request's `Authorization`: SigV4 for `service`, or a bearer token (a Bedrock API
/// key), which the fake cannot check beyond its presence.
pub fn check(service: &str, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or(Refusal::Missing)?;
    if let Some(token) = authorization.strip_prefix("Bearer ") {
        return if token.trim().is_empty() { Err(Refusal::Missing) } else { Ok(()) };
    }
    let fields = authorization.strip_prefix("AWS4-HMAC-SHA256 ").ok_or(Refusal::Missing)?;
    let field = |name: &str| {
        fields.split(',').map(str::trim).find_map(|f| f.strip_prefix(name).and_then(|f| f.strip_prefix('=')))
    };
    let (credential, signed_headers, signature) =
        match (field("Credential"), field("SignedHeaders"), field("Signature")) {
            (Some(c), Some(h), Some(s)) => (c, h, s),
            _ => return Err(Refusal::Missing),
        };
    let mut scope = credential.split('/');
    let (Some(access_key), Some(_day), Some(region), Some(scope_service), Some("aws4_request"), None) =
        (scope.next(), scope.next(), scope.next(), scope.next(), scope.next(), scope.next())
    else {
        return Err(Refusal::Missing);
    };
    if scope_service != service {
        return Err(Refusal::Missing);
    }
    let Some((_, secret)) = KNOWN_SECRETS.iter().find(|(id, _)| *id == access_key) else { return Ok(()) };
    let time = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ").ok())
        .map(|t| SystemTime::from(t.and_utc()))
        .ok_or(Refusal::Mismatch)?;
    let token = headers.get("x-amz-security-token").and_then(|v| v.to_str().ok()).map(str::to_string);

    // `aws-sigv4` adds the date and the token itself.
    let mut signed = Vec::new();
    for name in signed_headers.split(';').filter(|n| *n != "x-amz-date" && *n != "x-amz-security-token") {
        let value = match name {
            "host" => headers.get("host").and_then(|v| v.to_str().ok()).or(uri.authority().map(|a| a.as_str())),
            _ => headers.get(name).and_then(|v| v.to_str().ok()),
        };
        signed.push((name, value.ok_or(Refusal::Mismatch)?));
    }
    let identity = Credentials::new(access_key, *secret, token, None, "fake").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|_| Refusal::Mismatch)?
        .into();
    let host = signed.iter().find(|(n, _)| *n == "host").map_or("localhost", |(_, v)| *v);
    let url = format!("http://{host}{}", uri.path_and_query().map_or("/", |p| p.as_str()));
    let request = SignableRequest::new(method.as_str(), &url, signed.into_iter(), SignableBody::Bytes(body))
        .map_err(|_| Refusal::Mismatch)?;
    let expected = sign(request, &params).map_err(|_| Refusal::Mismatch)?.signature().to_string();
    if expected == signature { Ok(()) } else { Err(Refusal::Mismatch) }
}
