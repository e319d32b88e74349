//! What went wrong in an AWS call, in the service's words, and what to do about it.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

/// The broad kind of an AWS failure; decides the advice (and, in the admin API, the status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AwsErrorKind {
    Validation,
    AccessDenied,
    NotFound,
    Conflict,
    Throttling,
    Quota,
    /// No usable AWS credentials, or credentials the service does not accept.
    Credentials,
    /// The service could not be reached.
    Connection,
    Timeout,
    /// The service failed (5xx) or answered something unexpected.
    Service,
    /// A request Switchboard refuses to send (no region, ...).
    Configuration,
}

/// A failed AWS call: operation, the service's code and message, and the fix.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AwsError {
    /// `CreateHarness`, `InvokeHarness`, ...
    pub operation: String,
    pub kind: AwsErrorKind,
    /// The service's error code (`AccessDeniedException`), or a Switchboard one for failures
    /// that never reached it (`NoCredentials`, `ConnectionFailure`, `NoRegion`).
    pub code: String,
    /// The service's message, scrubbed of secrets.
    pub message: String,
    /// The HTTP status AWS answered with, when it answered.
    pub status: Option<u16>,
    /// What to do about it.
    pub fix: String,
    /// For failures that never reached the service: the SDK's whole account (error chain and
    /// debug form), scrubbed; `message` is its last cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Box<str>>,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} failed: {}: {}", self.service(), self.operation, self.code, self.message)
    }
}

impl AwsError {
    /// The service that failed: AgentCore, but for the secret a credential provider names.
    pub fn service(&self) -> &'static str {
        match self.operation.as_str() {
            "GetSecretValue" => "Secrets Manager",
            _ => "AgentCore",
        }
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// A refusal of Switchboard's own, before anything is sent.
    pub fn configuration(operation: &str, code: &str, message: impl Into<String>, fix: impl Into<String>) -> AwsError {
        AwsError {
            operation: operation.to_string(),
            kind: AwsErrorKind::Configuration,
            code: code.to_string(),
            message: message.into(),
            status: None,
            fix: fix.into(),
            detail: None,
        }
    }

    /// Classifies an SDK failure. `secrets` are masked out of every message.
    pub fn from_sdk<E, R>(operation: &str, error: SdkError<E, R>, secrets: &[String]) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HttpStatus + Send + Sync + 'static,
    {
        let described = DisplayErrorContext(&error).to_string();
        let cause = last_cause(&error);
        let (kind, code, message, status) = match &error {
            SdkError::ServiceError(ctx) => {
                let code = ctx.err().code().unwrap_or("UnknownError").to_string();
                let status = ctx.raw().http_status();
                let message = ctx.err().message().unwrap_or("no message").to_string();
                (kind_of(&code, status), code, message, status)
            }
            SdkError::TimeoutError(_) => (AwsErrorKind::Timeout, "Timeout".to_string(), cause, None),
            SdkError::DispatchFailure(f) if f.is_timeout() => {
                (AwsErrorKind::Timeout, "Timeout".to_string(), cause, None)
            }
            _ if looks_like_credentials(&described) => {
                (AwsErrorKind::Credentials, "NoCredentials".to_string(), cause, None)
            }
            SdkError::DispatchFailure(_) => (AwsErrorKind::Connection, "ConnectionFailure".to_string(), cause, None),
            SdkError::ConstructionFailure(_) => {
                (AwsErrorKind::Configuration, "InvalidRequest".to_string(), cause, None)
            }
            _ => (AwsErrorKind::Service, "UnexpectedResponse".to_string(), cause, None),
        };
        let detail = match &error {
            SdkError::ServiceError(_) => None,
            _ => Some(crate::redact::scrub(&described, secrets).into()),
        };
        let message = crate::redact::scrub(&message, secrets);
        let fix = fix_for(operation, kind, &code, &message);
        AwsError { operation: operation.to_string(), kind, code, message, status, fix, detail }
    }

    /// An error that arrived inside an event stream (after the HTTP answer).
    pub fn in_stream(operation: &str, code: &str, message: &str, secrets: &[String]) -> AwsError {
        let message = crate::redact::scrub(message, secrets);
        let kind = kind_of(code, None);
        let fix = fix_for(operation, kind, code, &message);
        AwsError {
            operation: operation.to_string(),
            kind,
            code: code.to_string(),
            message,
            status: None,
            fix,
            detail: None,
        }
    }
}

/// The HTTP status of a raw response, for any response type the SDK hands back.
pub trait HttpStatus {
    fn http_status(&self) -> Option<u16>;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn http_status(&self) -> Option<u16> {
        Some(self.status().as_u16())
    }
}

impl HttpStatus for aws_smithy_types::event_stream::RawMessage {
    fn http_status(&self) -> Option<u16> {
        None
    }
}

/// The innermost cause of a failure ("Connection refused (os error 111)"): what went wrong,
/// without the layers the SDK wrapped it in.
fn last_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if text.trim().is_empty() { error.to_string() } else { text }
}

fn looks_like_credentials(described: &str) -> bool {
    let d = described.to_ascii_lowercase();
    d.contains("credential") || d.contains("no identity") || d.contains("identity resolver")
}

fn kind_of(code: &str, status: Option<u16>) -> AwsErrorKind {
    let c = code.trim_end_matches("Exception").to_ascii_lowercase();
    match c.as_str() {
        "validation" | "serialization" | "badrequest" | "invalidinput" => AwsErrorKind::Validation,
        "accessdenied" => AwsErrorKind::AccessDenied,
        "resourcenotfound" | "notfound" => AwsErrorKind::NotFound,
        "conflict" => AwsErrorKind::Conflict,
        "throttling" | "throttled" | "toomanyrequests" => AwsErrorKind::Throttling,
        "servicequotaexceeded" | "resourcelimitexceeded" => AwsErrorKind::Quota,
        "unauthorized"
        | "unrecognizedclient"
        | "invalidsignature"
        | "expiredtoken"
        | "incompletesignature"
        | "missingauthenticationtoken"
        | "invalidclienttokenid"
        | "signaturedoesnotmatch" => AwsErrorKind::Credentials,
        "runtimeclienterror" => AwsErrorKind::Service,
        _ => match status {
            Some(400) => AwsErrorKind::Validation,
            Some(401) => AwsErrorKind::Credentials,
            Some(403) => AwsErrorKind::AccessDenied,
            Some(404) => AwsErrorKind::NotFound,
            Some(409) => AwsErrorKind::Conflict,
            Some(429) => AwsErrorKind::Throttling,
            Some(402) => AwsErrorKind::Quota,
            _ => AwsErrorKind::Service,
        },
    }
}

/// The advice shown next to an error.
fn fix_for(operation: &str, kind: AwsErrorKind, code: &str, message: &str) -> String {
    // Errors LiteLLM raised inside a running harness.
    if code == "RuntimeClientError"
        && let Some(fix) = crate::aws::agentcore::litellm_error_fix(message)
    {
        return fix;
    }
    match kind {
        AwsErrorKind::Validation => {
            if operation.contains("Harness") {
                "AgentCore rejected a field of the request; the message names it. Harness names are letters, digits \
                 and underscores, starting with a letter, at most 40 characters (no hyphens); the execution role must \
                 be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
                    .into()
            } else {
                "AgentCore rejected a field of the request; the message names it. Credential provider names are \
                 letters, digits, '-' and '_' (at most 128)."
                    .into()
            }
        }
        AwsErrorKind::AccessDenied => {
            let mut fix = format!(
                "The AWS identity the gateway uses lacks a permission: allow bedrock-agentcore:{operation} in its IAM \
                 policy, or choose a profile that has it."
            );
            if operation == "CreateHarness" || operation == "UpdateHarness" {
                fix.push_str(" Creating or editing a harness also needs iam:PassRole on the execution role.");
            }
            fix
        }
        AwsErrorKind::NotFound => "It does not exist in this account and region: check the region and profile chosen \
                                   in the panel, or create it first."
            .into(),
        AwsErrorKind::Conflict => "A resource with this name exists already, or it is still being created or updated: \
                                   pick another name, edit the existing one, or wait a moment and retry."
            .into(),
        AwsErrorKind::Throttling => "AgentCore is throttling requests: wait a few seconds and try again.".into(),
        AwsErrorKind::Quota => "An AgentCore quota is reached in this region: delete harnesses or credential \
                                providers you no longer use, or request an increase in Service Quotas."
            .into(),
        AwsErrorKind::Credentials => {
            "The gateway has no usable AWS credentials: run `aws configure` or `aws sso login \
                                      --profile <name>`, choose that profile in the panel, or set AWS_PROFILE / \
                                      AWS_ACCESS_KEY_ID for the gateway process."
                .into()
        }
        AwsErrorKind::Connection => "AgentCore could not be reached: check the network (proxy, firewall), the region, \
                                     and any AWS_ENDPOINT_URL_* setting."
            .into(),
        AwsErrorKind::Timeout => {
            "AgentCore did not answer in time: try again; if it persists, check the network.".into()
        }
        AwsErrorKind::Service if code == "RuntimeClientError" => "The harness failed while running: the message says \
                                                                  why. Run the doctor on this harness."
            .into(),
        AwsErrorKind::Service => "AgentCore had an internal error: try again in a moment.".into(),
        AwsErrorKind::Configuration => "Check the request.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_map_to_kinds_with_advice() {
        for (code, status, kind) in [
            ("ValidationException", Some(400), AwsErrorKind::Validation),
            ("AccessDeniedException", Some(403), AwsErrorKind::AccessDenied),
            ("ResourceNotFoundException", Some(404), AwsErrorKind::NotFound),
            ("ConflictException", Some(409), AwsErrorKind::Conflict),
            ("ThrottlingException", Some(429), AwsErrorKind::Throttling),
            ("ServiceQuotaExceededException", Some(402), AwsErrorKind::Quota),
            ("ResourceLimitExceededException", Some(400), AwsErrorKind::Quota),
            ("UnrecognizedClientException", Some(403), AwsErrorKind::Credentials),
            ("ExpiredTokenException", Some(400), AwsErrorKind::Credentials),
            ("InternalServerException", Some(500), AwsErrorKind::Service),
            ("SomethingNew", Some(409), AwsErrorKind::Conflict),
            ("SomethingNew", None, AwsErrorKind::Service),
        ] {
            assert_eq!(kind_of(code, status), kind, "{code}");
            assert!(!fix_for("CreateHarness", kind, code, "m").is_empty());
        }
        assert!(
            fix_for("CreateHarness", AwsErrorKind::AccessDenied, "AccessDeniedException", "").contains("iam:PassRole")
        );
        assert!(
            !fix_for("ListHarnesses", AwsErrorKind::AccessDenied, "AccessDeniedException", "").contains("PassRole")
        );
        // LiteLLM's errors inside a harness get their own advice; the same words elsewhere do not.
        let seed = "litellm.BadRequestError: LLM Provider NOT provided. You passed model=claude-haiku";
        assert!(fix_for("InvokeHarness", AwsErrorKind::Service, "RuntimeClientError", seed).contains("litellm_proxy/"));
        let refused = "dispatch failure: Connection refused";
        assert!(
            fix_for("ListHarnesses", AwsErrorKind::Connection, "ConnectionFailure", refused)
                .contains("AWS_ENDPOINT_URL")
        );
    }
}
