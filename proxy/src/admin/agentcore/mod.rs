//! The AgentCore work of the panel (credential providers, harnesses, doctor, one-click wiring,
//! harness playground): AgentCore calls (`crate::aws`) combined with the gateway's keys, teams
//! and records. Keys and teams are made by the admin core's own functions.

pub mod manage;
pub mod runs;
pub mod versions;
pub mod wiring;

use std::sync::{Arc, OnceLock};

use futures::{Stream, StreamExt};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use self::manage::{Env, Governance, KeySource};
use super::{AdminError, Core, Fields, keys, teams};
use crate::auth::Principal;
use crate::auth::registry::KeyEntry;
use crate::aws::agentcore::{DEFAULT_PROVIDER_NAME, HarnessView, LITELLM_PREFIX, ProviderView};
use crate::aws::provider_secrets::SecretRef;
use crate::aws::{AgentCore, ClearKey, Target};
use crate::store::TeamRecord;

/// The gateway's AgentCore service, built on first use from the config (a gateway that never
/// touches AgentCore never loads AWS credentials).
#[derive(Clone, Default)]
pub struct Service(Arc<OnceLock<Result<Arc<AgentCore>, String>>>);

/// The AgentCore page's defaults and choices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Settings {
    pub public_url: Option<String>,
    /// The gateway's URL a harness should call: `public_url`, else the URL the panel reached.
    pub default_api_base: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Profiles in the shared AWS config and credentials files.
    pub profiles: Vec<String>,
    pub regions: Vec<String>,
    pub models: Vec<HarnessModel>,
    pub defaults: WiringDefaults,
}

/// A model group as a harness names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HarnessModel {
    pub alias: String,
    /// `litellm_proxy/<alias>`.
    pub model_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WiringDefaults {
    pub credential_provider: String,
    pub team_alias: String,
    pub key_alias: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderList {
    pub region: String,
    pub providers: Vec<ProviderView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HarnessList {
    pub region: String,
    pub harnesses: Vec<HarnessView>,
}

/// Regions where AgentCore harnesses can run, offered by the panel.
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "eu-central-1",
    "eu-west-1",
];

/// Key and team creation for the AgentCore work, on behalf of `caller`.
pub struct CoreGovernance {
    core: Core,
    caller: Principal,
}

impl Governance for CoreGovernance {
    async fn generate_key(&self, fields: Fields) -> Result<(ClearKey, Arc<KeyEntry>), AdminError> {
        let generated = keys::generate(&self.core, &fields, &self.caller).await?;
        Ok((ClearKey::new(generated.answer.key), generated.entry))
    }

    async fn delete_key(&self, token: &str) -> Result<(), AdminError> {
        keys::delete_token(&self.core, token).await
    }

    async fn create_team(&self, fields: Fields) -> Result<TeamRecord, AdminError> {
        teams::create(&self.core, &self.caller, &fields).await
    }
}

/// What an AgentCore operation of `caller` can reach. `default_api_base` is the gateway's URL as
/// the caller reached it, used when neither the request nor `public_url` names one.
pub fn env(
    core: &Core,
    caller: Principal,
    default_api_base: Option<String>,
) -> Result<Env<CoreGovernance>, AdminError> {
    let service = core
        .agentcore
        .0
        .get_or_init(|| AgentCore::new(core.config.general.agentcore.clone()).map(Arc::new))
        .clone()
        .map_err(AdminError::Internal)?;
    Ok(Env {
        gateway: core.gateway.clone(),
        store: core.store.clone(),
        config: core.config.clone(),
        service,
        governance: CoreGovernance { core: core.clone(), caller },
        default_api_base: core.config.general.public_url.clone().or(default_api_base),
    })
}

/// The AgentCore page's defaults and choices.
pub fn settings(core: &Core, default_api_base: Option<String>) -> Settings {
    let a = &core.config.general.agentcore;
    let models = core
        .gateway
        .model_names()
        .into_iter()
        .map(|m| HarnessModel { model_id: format!("{LITELLM_PREFIX}{m}"), alias: m })
        .collect();
    Settings {
        public_url: core.config.general.public_url.clone(),
        default_api_base: core.config.general.public_url.clone().or(default_api_base),
        region: a
            .aws_region_name
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok()),
        profile: a.aws_profile_name.clone().or_else(|| std::env::var("AWS_PROFILE").ok()),
        profiles: aws_profiles(),
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        models,
        defaults: WiringDefaults {
            credential_provider: DEFAULT_PROVIDER_NAME.to_string(),
            team_alias: wiring::DEFAULT_TEAM_ALIAS.to_string(),
            key_alias: wiring::DEFAULT_KEY_ALIAS.to_string(),
        },
    }
}

/// Profile names in the shared AWS config and credentials files.
fn aws_profiles() -> Vec<String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| {
        std::env::var_os(var).map(std::path::PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(default)))
    };
    let mut names = Vec::new();
    for (path, is_config) in [
        (file("AWS_CONFIG_FILE", ".aws/config"), true),
        (file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), false),
    ] {
        let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else { continue };
        for line in text.lines() {
            let Some(section) = line.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')) else { continue };
            let section = section.trim();
            let name = if is_config {
                match section.strip_prefix("profile") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ if section == "default" => section,
                    _ => continue,
                }
            } else {
                section
            };
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names
}

/// Where a credential provider's key comes from: `key` (a key of this gateway, in clear),
/// `generate` (`true`, or `/key/generate` fields), or `secret` (a Secrets Manager secret of yours
/// holding a key of this gateway).
pub fn key_source(
    key: Option<&str>,
    generate: Option<&Value>,
    secret: Option<SecretRef>,
) -> Result<KeySource, AdminError> {
    if let Some(secret) = secret {
        if key.is_some() || generate.is_some_and(|g| !g.is_null() && g != &Value::Bool(false)) {
            return Err(AdminError::invalid("pass one of key, generate or secret", Some("secret")));
        }
        return Ok(KeySource::Secret(secret));
    }
    let generate = match generate {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            return Err(AdminError::invalid(
                "generate must be true or an object of /key/generate fields",
                Some("generate"),
            ));
        }
    };
    match (key, generate) {
        (Some(_), Some(_)) => Err(AdminError::invalid("pass either key or generate, not both", Some("key"))),
        (Some(k), None) => Ok(KeySource::Existing(ClearKey::new(k.trim().to_string()))),
        (None, Some(fields)) => Ok(KeySource::Generate(fields)),
        (None, None) => Err(AdminError::invalid(
            "name the key to store: `key` (the sk-... value of a key of this gateway), `generate` (a new key, \
             optionally with team_id and key_alias), or `secret` ({secret_id, json_key}: a Secrets Manager secret \
             holding a key of this gateway)",
            Some("key"),
        )),
    }
}

/// One turn of the harness playground as events `{"type": ...}`: `session` first (its
/// session_id continues the conversation), then the harness's events interleaved with the
/// gateway calls the harness makes (`gateway_call`, as each ends), then `done` — or an `error`
/// event (with the fix) that ends it. The turn is recorded with its outcome (see `runs`).
pub async fn invoke(
    env: &Env<CoreGovernance>,
    target: &Target,
    request: TurnRequest<'_>,
) -> Result<impl Stream<Item = Value> + Send + 'static, AdminError> {
    // Listening before the harness is called: none of its calls can be missed.
    let calls = env.gateway.subscribe();
    let (head, turn, events) = env.invoke(target, &request).await?;
    let run = Run {
        harness: Box::pin(events),
        calls,
        turn,
        store: env.store.clone(),
        stage: Stage::Running,
        failed: false,
        traced: false,
    };
    let events = futures::stream::unfold(run, |mut run| async move { run.next().await.map(|v| (v, run)) });
    Ok(futures::stream::once(async move { head }).chain(events))
}

/// One playground turn asked for.
pub struct TurnRequest<'a> {
    pub harness_id: &'a str,
    /// The session to continue; a new one when `None`.
    pub session_id: Option<&'a str>,
    /// The harness endpoint to call (`DEFAULT` when `None`).
    pub endpoint: Option<&'a str>,
    pub message: &'a str,
}

/// How long calls that ended with the harness's last event may still be reported.
const STRAGGLERS: std::time::Duration = std::time::Duration::from_millis(300);

enum Stage {
    Running,
    /// The harness is done; its last calls are awaited until then.
    Ending(tokio::time::Instant),
    Over,
}

/// A playground turn on its way: the harness's events and the gateway calls of the turn.
struct Run {
    harness: futures::stream::BoxStream<'static, Result<Value, crate::aws::AwsError>>,
    calls: tokio::sync::broadcast::Receiver<Arc<crate::store::records::SpendLog>>,
    turn: crate::store::agentcore::TurnRecord,
    store: crate::store::Store,
    stage: Stage,
    failed: bool,
    /// A call in the turn's trace was seen: the harness carries it on, so calls without it are
    /// someone else's.
    traced: bool,
}

impl Run {
    async fn next(&mut self) -> Option<Value> {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match self.stage {
                Stage::Over => return None,
                // The harness's events first when both are ready: a call it makes after an event
                // is then shown after it.
                Stage::Running => tokio::select! {
                    biased;
                    event = self.harness.next() => match event {
                        Some(Ok(v)) => {
                            self.observe(&v);
                            return Some(v);
                        }
                        Some(Err(e)) => {
                            self.failed = true;
                            self.turn.error = Some(e.message.clone());
                            return Some(json!({
                                "type": "error", "kind": e.kind, "code": e.code, "message": e.message, "fix": e.fix,
                                "status": e.status, "detail": e.detail,
                            }));
                        }
                        None => self.stage = Stage::Ending(tokio::time::Instant::now() + STRAGGLERS),
                    },
                    row = self.calls.recv() => match row {
                        Ok(row) => if let Some(call) = self.call_event(&row) { return Some(call) },
                        Err(RecvError::Lagged(_)) => {}
                        // The gateway is going away; the harness's events still count.
                        Err(RecvError::Closed) => self.calls = self.calls.resubscribe(),
                    },
                },
                Stage::Ending(deadline) => match tokio::time::timeout_at(deadline, self.calls.recv()).await {
                    Ok(Ok(row)) => {
                        if let Some(call) = self.call_event(&row) {
                            return Some(call);
                        }
                    }
                    Ok(Err(RecvError::Lagged(_))) => {}
                    Ok(Err(RecvError::Closed)) | Err(_) => {
                        self.stage = Stage::Over;
                        self.finish().await;
                        return (!self.failed).then(|| json!({"type": "done", "turn_id": self.turn.turn_id}));
                    }
                },
            }
        }
    }

    /// Usage the harness reports for the turn.
    fn observe(&mut self, event: &Value) {
        if event["type"] == "metadata" {
            let count = |name: &str| event.pointer(&format!("/usage/{name}")).and_then(Value::as_i64).unwrap_or(0);
            self.turn.input_tokens += count("input_tokens");
            self.turn.output_tokens += count("output_tokens");
        }
    }

    fn call_event(&mut self, row: &crate::store::records::SpendLog) -> Option<Value> {
        let how = runs::matched(&self.turn, row, chrono::Utc::now())?;
        match how {
            runs::MatchedBy::Trace => self.traced = true,
            runs::MatchedBy::KeyAndTime if self.traced => return None,
            runs::MatchedBy::KeyAndTime => {}
        }
        Some(json!({"type": "gateway_call", "call": runs::call_of(row, how)}))
    }

    /// Records how the turn ended. A failure to record is logged: the turn itself went through.
    async fn finish(&mut self) {
        self.turn.ended_at = Some(crate::time::format_time(chrono::Utc::now()));
        self.turn.status = if self.failed { "error" } else { "done" }.into();
        if let Err(e) = self.store.put_turn(&self.turn).await {
            tracing::warn!(turn = %self.turn.turn_id, error = %e, "could not record the end of a harness turn");
        }
    }
}
