//! AWS work of the admin API: Amazon Bedrock AgentCore (API-key credential providers, harnesses
//! with model source LiteLLM, InvokeHarness), the doctor, and the one-click wiring.
//!
//! The clients use the standard AWS configuration (credential chain, profiles, SSO,
//! `AWS_REGION`, `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE[_CONTROL]`), with a profile and region chosen
//! per request and `general_settings.agentcore` as defaults. They are built once per
//! (profile, region) and cached.

pub mod agentcore;
pub mod doctor;
mod error;
pub mod harness_settings;
pub mod harness_versions;
pub mod provider_secrets;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use secrecy::ExposeSecret;
use serde::Deserialize;

pub use error::{AwsError, AwsErrorKind};

use crate::config::AgentCoreSettings;

/// The account and region a request is about (chosen in the panel).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct Target {
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// The clients of one (profile, region).
pub struct Clients {
    pub control: aws_sdk_bedrockagentcorecontrol::Client,
    pub runtime: aws_sdk_bedrockagentcore::Client,
    /// Reads the secret a credential provider takes its key from.
    pub secrets_manager: aws_sdk_secretsmanager::Client,
    pub region: String,
    pub profile: Option<String>,
    /// Secrets to mask in anything shown (the configured AWS secret, if any).
    pub secrets: Vec<String>,
}

/// (profile, region).
type ClientKey = (Option<String>, String);

/// The AgentCore side of one gateway: its settings and the cached clients.
pub struct AgentCore {
    settings: AgentCoreSettings,
    aws_http: SharedHttpClient,
    clients: tokio::sync::Mutex<HashMap<ClientKey, Arc<Clients>>>,
    /// For the doctor's reachability probe: short timeouts, never follows a redirect (it must not
    /// send traffic anywhere but the address the user configured).
    pub probe: reqwest::Client,
}

/// The longest silence tolerated inside a harness's event stream (an agent may run tools).
pub const INVOKE_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

impl AgentCore {
    pub fn new(settings: AgentCoreSettings) -> Result<AgentCore, String> {
        let shared = crate::providers::SharedClients::new()?;
        let probe = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(AgentCore { settings, aws_http: shared.aws_http, clients: Default::default(), probe })
    }

    /// The clients for a target, built on first use.
    pub async fn clients(&self, target: &Target) -> Result<Arc<Clients>, AwsError> {
        let profile = nonempty(&target.profile).or_else(|| nonempty(&self.settings.aws_profile_name));
        if let Some(p) = &profile
            && !p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.+@/".contains(c))
        {
            return Err(AwsError::configuration(
                "Configure",
                "InvalidProfile",
                format!("'{p}' is not an AWS profile name"),
                "Choose a profile from ~/.aws/config.",
            ));
        }
        let region = match nonempty(&target.region).or_else(|| nonempty(&self.settings.aws_region_name)) {
            Some(r) => r,
            None => match env_region() {
                Some(r) => r,
                None => crate::providers::bedrock::profile_region(profile.as_deref()).await.ok_or_else(|| {
                    AwsError::configuration(
                        "Configure",
                        "NoRegion",
                        "no AWS region was chosen",
                        "Choose a region in the panel (AgentCore Harness is in us-east-1, us-west-2, ...), or set \
                         AWS_REGION or general_settings.agentcore.aws_region_name.",
                    )
                })?,
            },
        };
        if region.is_empty() || !region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(AwsError::configuration(
                "Configure",
                "InvalidRegion",
                format!("'{region}' is not an AWS region"),
                "Use a region code such as us-east-1.",
            ));
        }
        let key = (profile.clone(), region.clone());
        let mut cache = self.clients.lock().await;
        if let Some(c) = cache.get(&key) {
            return Ok(c.clone());
        }
        let clients = Arc::new(self.build(profile, region).await);
        cache.insert(key, clients.clone());
        Ok(clients)
    }

    async fn build(&self, profile: Option<String>, region: String) -> Clients {
        let s = &self.settings;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(self.aws_http.clone())
            .region(aws_config::Region::new(region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            // Agents may be silent for a while (tools); the invoke stream has its own idle limit.
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
        if let Some(p) = &profile {
            loader = loader.profile_name(p);
        }
        let mut secrets = Vec::new();
        if let (Some(id), Some(secret)) = (&s.aws_access_key_id, &s.aws_secret_access_key) {
            let token = s.aws_session_token.as_ref().map(|t| t.expose_secret().to_string());
            loader = loader.credentials_provider(Credentials::new(
                id,
                secret.expose_secret(),
                token.clone(),
                None,
                "general_settings.agentcore",
            ));
            secrets.push(secret.expose_secret().to_string());
            secrets.extend(token);
        }
        let sdk = loader.load().await;
        let mut control = aws_sdk_bedrockagentcorecontrol::config::Builder::from(&sdk);
        if let Some(url) = &s.control_endpoint_url {
            control = control.endpoint_url(url);
        }
        let mut runtime = aws_sdk_bedrockagentcore::config::Builder::from(&sdk);
        if let Some(url) = &s.runtime_endpoint_url {
            runtime = runtime.endpoint_url(url);
        }
        let mut secrets_manager = aws_sdk_secretsmanager::config::Builder::from(&sdk);
        if let Some(url) = &s.secrets_manager_endpoint_url {
            secrets_manager = secrets_manager.endpoint_url(url);
        }
        Clients {
            control: aws_sdk_bedrockagentcorecontrol::Client::from_conf(control.build()),
            runtime: aws_sdk_bedrockagentcore::Client::from_conf(runtime.build()),
            secrets_manager: aws_sdk_secretsmanager::Client::from_conf(secrets_manager.build()),
            region,
            profile,
            secrets,
        }
    }
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|n| std::env::var(n).ok().filter(|r| !r.is_empty()))
}

/// A clear virtual key on its way into AgentCore. Never printed: its Debug form is masked.
#[derive(Debug)]
pub struct ClearKey(secrecy::SecretString);

impl ClearKey {
    pub fn new(key: String) -> ClearKey {
        ClearKey(key.into())
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn settings_are_read_and_secrets_hidden() {
        let c = Config::from_yaml(
            "general_settings:\n  public_url: https://gw.example.com/\n  agentcore:\n    aws_region_name: us-west-2\n    \
             aws_access_key_id: AKID\n    aws_secret_access_key: very-secret\n    control_endpoint_url: http://127.0.0.1:9\n",
        )
        .unwrap();
        assert_eq!(c.general.public_url.as_deref(), Some("https://gw.example.com"));
        assert_eq!(c.general.agentcore.aws_region_name.as_deref(), Some("us-west-2"));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let shown = format!("{:?}", c.general.agentcore);
        assert!(!shown.contains("very-secret") && shown.contains("[REDACTED]"), "{shown}");
        let e = Config::from_yaml("general_settings:\n  agentcore:\n    region: us-east-1\n").unwrap_err();
        assert!(e.to_string().contains("general_settings.agentcore: unknown field `region`"), "{e}");
        let e = Config::from_yaml("general_settings:\n  public_url: gw.example.com\n").unwrap_err();
        assert!(e.to_string().contains("must start with http"), "{e}");
    }

    #[test]
    fn keys_are_named_by_hash() {
        let h = crate::auth::hash_key("sk-1234");
        assert_eq!(crate::auth::token_of("sk-1234"), h);
        assert_eq!(crate::auth::token_of(&h.to_uppercase()), h);
        let printed = format!("{:?}", super::ClearKey::new("sk-1234".into()));
        assert!(!printed.contains("sk-1234") && printed.contains("REDACTED"), "{printed}");
    }
}
