//! The request path: resolve the alias, pick a deployment, call its provider within the
//! deployment's time limits, and account for the call.

mod error;
pub mod redact;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use rand::Rng;

use crate::auth::Principal;
use crate::config::{Config, ConfigError, ModelEntry};
use crate::providers::{self, CallOptions, ChatOutput, Provider, ProviderError, SharedClients, UsageSlot};
use crate::schema::{ChatRequest, Usage};

pub use error::GatewayError;

/// One deployment of a model group.
pub struct Deployment {
    pub entry: ModelEntry,
    pub provider: Arc<dyn Provider>,
    /// Whole-call limit for non-streamed calls, and the longest silence within a stream.
    pub timeout: Duration,
    /// Limit to the first streamed byte.
    pub stream_timeout: Duration,
    secrets: Vec<String>,
    weight: f64,
}

impl Deployment {
    fn upstream_error(&self, error: ProviderError) -> GatewayError {
        let error = match error {
            // Providers report a timeout without knowing the limit that fired.
            ProviderError::Timeout(d) if d.is_zero() => ProviderError::Timeout(self.timeout),
            other => other,
        };
        let message = redact::scrub(&error.to_string(), &self.secrets);
        GatewayError::Upstream { provider: self.entry.provider.clone(), error: Box::new(error), message }
    }
}

/// A public model name and the deployments behind it.
pub struct ModelGroup {
    pub name: Arc<str>,
    pub deployments: Vec<Arc<Deployment>>,
    total_weight: f64,
}

impl ModelGroup {
    /// Weighted random choice (LiteLLM's simple-shuffle: `weight`, else `rpm`, else `tpm`, else uniform).
    fn pick(&self) -> &Arc<Deployment> {
        if self.deployments.len() == 1 || self.total_weight <= 0.0 {
            let i = if self.deployments.len() == 1 { 0 } else { rand::rng().random_range(0..self.deployments.len()) };
            return &self.deployments[i];
        }
        let mut x = rand::rng().random_range(0.0..self.total_weight);
        for d in &self.deployments {
            if x < d.weight {
                return d;
            }
            x -= d.weight;
        }
        &self.deployments[self.deployments.len() - 1]
    }
}

pub struct Gateway {
    /// Public names (model groups and `model_group_alias` entries) → group.
    routes: HashMap<String, (Arc<str>, Arc<ModelGroup>)>,
    /// Public names, sorted, for listings and error messages.
    names: Vec<String>,
    /// Every deployment, in config order.
    deployments: Vec<Arc<Deployment>>,
}

/// A successful call: the reply and what the HTTP layer reports about it.
pub struct ChatReply {
    pub call_id: uuid::Uuid,
    pub deployment: Arc<Deployment>,
    pub model_group: Arc<str>,
    pub started: Instant,
    pub body: ReplyBody,
}

pub enum ReplyBody {
    Json(Bytes),
    /// SSE frames; an `Err` item ends the stream (the HTTP layer turns it into an error event).
    Stream(BoxStream<'static, Result<Bytes, GatewayError>>),
}

impl Gateway {
    /// Builds every deployment's provider; any entry that cannot be served stops the start.
    pub async fn build(config: &Config) -> Result<Gateway, ConfigError> {
        let clients = SharedClients::new().map_err(|e| ConfigError { source_name: None, problems: vec![e] })?;
        let mut problems = Vec::new();
        let mut deployments = Vec::new();
        for entry in &config.models {
            match providers::build(entry, config, &clients).await {
                Ok(provider) => deployments.push(Arc::new(deployment(entry, provider, config))),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError { source_name: None, problems });
        }

        let mut groups: Vec<(String, Vec<Arc<Deployment>>)> = Vec::new();
        for d in &deployments {
            match groups.iter_mut().find(|(name, _)| *name == d.entry.model_name) {
                Some((_, members)) => members.push(d.clone()),
                None => groups.push((d.entry.model_name.clone(), vec![d.clone()])),
            }
        }
        let mut routes = HashMap::new();
        for (name, members) in groups {
            let total_weight = members.iter().map(|d| d.weight).sum();
            let group = Arc::new(ModelGroup { name: name.as_str().into(), deployments: members, total_weight });
            routes.insert(name.clone(), (Arc::from(name.as_str()), group));
        }
        for (alias, target) in &config.router.model_group_alias {
            if let Some((_, group)) = routes.get(target).cloned() {
                routes.insert(alias.clone(), (Arc::from(alias.as_str()), group));
            }
        }
        let mut names: Vec<String> = routes.keys().cloned().collect();
        names.sort();
        Ok(Gateway { routes, names, deployments })
    }

    /// Public model names, sorted.
    pub fn model_names(&self) -> &[String] {
        &self.names
    }

    pub fn deployments(&self) -> &[Arc<Deployment>] {
        &self.deployments
    }

    pub fn group(&self, name: &str) -> Option<&Arc<ModelGroup>> {
        self.routes.get(name).map(|(_, g)| g)
    }

    /// Model names the caller may use.
    pub fn models_for(&self, principal: &Principal) -> Vec<&str> {
        self.names.iter().filter(|_| principal.is_admin()).map(String::as_str).collect()
    }

    pub async fn chat(&self, principal: &Principal, mut request: ChatRequest) -> Result<ChatReply, GatewayError> {
        let started = Instant::now();
        let call_id = uuid::Uuid::new_v4();
        let Some((alias, group)) = self.routes.get(&request.model) else {
            return Err(GatewayError::UnknownModel {
                route: "/chat/completions",
                model: request.model,
                available: self.models_for(principal).into_iter().map(str::to_string).collect(),
            });
        };
        let deployment = group.pick().clone();
        request
            .apply_defaults(&deployment.entry.params.default_request_params)
            .map_err(|e| GatewayError::invalid(format!("litellm_params defaults do not fit the request: {e}"), None))?;
        let options = CallOptions { alias: alias.clone(), include_usage: request.wants_stream_usage(), call_id };
        let stream = request.is_stream();
        let mut log = CallLog::new(call_id, alias.clone(), deployment.clone(), started, stream);

        let first_byte_limit = if stream { deployment.stream_timeout } else { deployment.timeout };
        let output = match tokio::time::timeout(first_byte_limit, deployment.provider.chat(request, options)).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(log.fail(deployment.upstream_error(e))),
            Err(_) => {
                return Err(log.fail(deployment.upstream_error(ProviderError::Timeout(first_byte_limit))));
            }
        };

        let body = match output {
            ChatOutput::Complete { body, usage } => {
                log.finish(200, Some(usage));
                ReplyBody::Json(body)
            }
            ChatOutput::Stream(stream) => {
                let mut events = stream.events;
                // Wait for the first frame so that a failure before any byte is sent is an HTTP
                // error, not an error event inside a 200 response.
                let first = match tokio::time::timeout(first_byte_limit, events.next()).await {
                    Ok(Some(Ok(bytes))) => bytes,
                    Ok(Some(Err(e))) => return Err(log.fail(deployment.upstream_error(e))),
                    Ok(None) => Bytes::new(),
                    Err(_) => {
                        return Err(log.fail(deployment.upstream_error(ProviderError::Timeout(first_byte_limit))));
                    }
                };
                log.usage = Some(stream.usage);
                ReplyBody::Stream(Box::pin(guarded_stream(first, events, deployment.clone(), log)))
            }
        };
        Ok(ChatReply { call_id, deployment, model_group: group.name.clone(), started, body })
    }

    /// Sends a minimal request to one deployment: the health check of `/health`.
    pub async fn probe(&self, deployment: &Deployment) -> Result<(), GatewayError> {
        let request: ChatRequest = serde_json::from_value(serde_json::json!({
            "model": deployment.entry.model_name,
            "messages": [{"role": "user", "content": "ping"}],
            "max_tokens": 1
        }))
        .map_err(|e| GatewayError::invalid(e.to_string(), None))?;
        let options = CallOptions {
            alias: deployment.entry.model_name.as_str().into(),
            include_usage: false,
            call_id: uuid::Uuid::new_v4(),
        };
        match tokio::time::timeout(
            deployment.timeout.min(HEALTH_CHECK_TIMEOUT),
            deployment.provider.chat(request, options),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(deployment.upstream_error(e)),
            Err(_) => Err(deployment.upstream_error(ProviderError::Timeout(HEALTH_CHECK_TIMEOUT))),
        }
    }
}

const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(30);

fn deployment(entry: &ModelEntry, provider: Arc<dyn Provider>, config: &Config) -> Deployment {
    let secs = |s: Option<f64>| s.filter(|v| v.is_finite() && *v > 0.0).map(Duration::from_secs_f64);
    let timeout = secs(entry.params.timeout).or(config.router.timeout).unwrap_or(config.litellm.request_timeout);
    let weight = entry
        .params
        .weight
        .or(entry.params.rpm.map(|r| r as f64))
        .or(entry.params.tpm.map(|t| t as f64))
        .unwrap_or(1.0);
    Deployment {
        stream_timeout: secs(entry.params.stream_timeout).unwrap_or(timeout),
        timeout,
        secrets: entry.params.secrets(),
        weight,
        provider,
        entry: entry.clone(),
    }
}

/// Forwards a stream's frames, bounding each silence by the deployment's timeout, and logs the
/// call when the stream ends, fails, or is dropped because the client went away (which also
/// drops, and so cancels, the upstream call).
fn guarded_stream(
    first: Bytes,
    rest: BoxStream<'static, Result<Bytes, ProviderError>>,
    deployment: Arc<Deployment>,
    log: CallLog,
) -> impl Stream<Item = Result<Bytes, GatewayError>> + Send + 'static {
    let idle = deployment.timeout;
    let head = futures::stream::iter((!first.is_empty()).then_some(Ok(first)));
    let tail = futures::stream::unfold(
        (rest, deployment, log, false),
        move |(mut rest, deployment, mut log, done)| async move {
            if done {
                return None;
            }
            match tokio::time::timeout(idle, rest.next()).await {
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), (rest, deployment, log, false))),
                Ok(None) => {
                    log.finish(200, None);
                    None
                }
                Ok(Some(Err(e))) => {
                    let err = log.fail(deployment.upstream_error(e));
                    Some((Err(err), (rest, deployment, log, true)))
                }
                Err(_) => {
                    let err = log.fail(deployment.upstream_error(ProviderError::Timeout(idle)));
                    Some((Err(err), (rest, deployment, log, true)))
                }
            }
        },
    );
    head.chain(tail)
}

/// The one log line of a call, written when the call is over whichever way it ended.
struct CallLog {
    call_id: uuid::Uuid,
    alias: Arc<str>,
    deployment: Arc<Deployment>,
    started: Instant,
    stream: bool,
    status: u16,
    completed: bool,
    usage: Option<Arc<UsageSlot>>,
    final_usage: Option<Usage>,
    error: Option<String>,
}

impl CallLog {
    fn new(call_id: uuid::Uuid, alias: Arc<str>, deployment: Arc<Deployment>, started: Instant, stream: bool) -> Self {
        Self {
            call_id,
            alias,
            deployment,
            started,
            stream,
            status: 0,
            completed: false,
            usage: None,
            final_usage: None,
            error: None,
        }
    }

    fn finish(&mut self, status: u16, usage: Option<Usage>) {
        self.status = status;
        self.completed = true;
        self.final_usage = usage;
    }

    fn fail(&mut self, error: GatewayError) -> GatewayError {
        self.status = crate::http::status_of(&error).as_u16();
        self.completed = true;
        self.error = Some(error.to_string());
        error
    }
}

impl Drop for CallLog {
    fn drop(&mut self) {
        let usage = self.final_usage.or_else(|| self.usage.as_ref().and_then(|u| u.get())).unwrap_or_default();
        let outcome = if self.completed { "completed" } else { "client_disconnected" };
        tracing::info!(
            target: "switchboard::request",
            call_id = %self.call_id,
            model = %self.alias,
            deployment = %self.deployment.entry.id,
            provider = %self.deployment.entry.provider,
            stream = self.stream,
            status = self.status,
            outcome,
            latency_ms = self.started.elapsed().as_millis() as u64,
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            error = self.error.as_deref().unwrap_or(""),
            "chat completion"
        );
    }
}
