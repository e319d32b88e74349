//! Which AWS account and region a deploy talks to, and the SDK clients for it. The standard AWS
//! configuration applies (environment, `~/.aws` profiles, SSO, `AWS_ENDPOINT_URL*`); tests add
//! an endpoint override and static credentials to point every service at moto.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};
use serde::{Deserialize, Serialize};

/// Where to deploy: region and profile (from the form), plus overrides for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AwsTarget {
    pub region: String,
    /// A profile of `~/.aws/config`; `None` = the default credential chain.
    pub profile: Option<String>,
    /// Sends every service to this URL (moto in tests); `AWS_ENDPOINT_URL` does the same.
    #[serde(skip)]
    pub endpoint_url: Option<String>,
    #[serde(skip)]
    pub credentials: Option<StaticCredentials>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// The secret never prints.
impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .finish()
    }
}

impl AwsTarget {
    pub fn new(region: &str, profile: Option<&str>) -> AwsTarget {
        AwsTarget {
            region: region.to_string(),
            profile: profile.filter(|p| !p.is_empty()).map(str::to_string),
            ..AwsTarget::default()
        }
    }
}

/// The SDK clients of one target (cheap to clone).
#[derive(Debug, Clone)]
pub struct Clients {
    pub region: String,
    /// The profile the clients' credentials come from (ECR in another region uses it too).
    pub profile: Option<String>,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub sts: aws_sdk_sts::Client,
    pub ecr: aws_sdk_ecr::Client,
}

impl Clients {
    pub async fn connect(target: &AwsTarget) -> Clients {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).region(Region::new(target.region.clone())).timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(profile) = &target.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &target.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(c) = &target.credentials {
            loader = loader.credentials_provider(Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.clone(),
                None,
                None,
                "switchboard-deploy",
            ));
        }
        let config = loader.load().await;
        Clients {
            region: target.region.clone(),
            profile: target.profile.clone(),
            cloudformation: aws_sdk_cloudformation::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            ecr: aws_sdk_ecr::Client::new(&config),
        }
    }
}

/// An AWS call that failed, in words: `<operation>: <code>: <message>`, or the whole error
/// chain when there is no service error (no credentials, no network, ...).
pub fn describe_error<E>(operation: &str, e: &E) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (e.code(), e.message()) {
        (Some(code), Some(msg)) => format!("{operation}: {code}: {msg}"),
        (None, Some(msg)) => format!("{operation}: {msg}"),
        (Some(code), None) => format!("{operation}: {code}"),
        (None, None) => format!("{operation}: {}", DisplayErrorContext(e)),
    }
}

/// CloudFormation's answer for a stack that does not exist (a ValidationError).
pub fn is_missing_stack<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_never_print() {
        let c = super::StaticCredentials { access_key_id: "AKID".into(), secret_access_key: "very-secret-1".into() };
        let target = super::AwsTarget { credentials: Some(c), ..super::AwsTarget::new("us-east-1", None) };
        let printed = format!("{target:?}");
        assert!(!printed.contains("very-secret-1") && printed.contains("REDACTED"), "{printed}");
        let connection = crate::flow::Connection {
            stack_name: "s".into(),
            url: "u".into(),
            alb_dns_name: None,
            master_key_secret_arn: "arn".into(),
            master_key: "sk-deployed-secret-2".into(),
        };
        assert!(!format!("{connection:?}").contains("sk-deployed-secret-2"));
    }
}
