//! The request path: resolve the alias, check access and limits from memory, pick a
//! deployment, call its provider within the deployment's time limits, and account for the call.

mod error;
pub mod governance;
mod models;
mod routes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use crate::auth::registry::Registry;
use crate::auth::{MASTER_KEY_SPEND_ID, Principal};
use crate::config::{Config, ConfigError, ModelEntry};
use crate::providers::{self, CallOptions, ChatOutput, ProviderError, SharedClients, TokenPrices, UsageSlot};
use crate::schema::{ChatRequest, Usage};
use crate::spend::{SpendSink, WriterMessage};
use crate::store::SpendLog;
use crate::time::format_time;

pub use error::GatewayError;
use governance::Admission;
pub use models::ModelChange;
pub use routes::{Deployment, ModelGroup};
use routes::{Routes, deployment};

pub struct Gateway {
    routes: ArcSwap<Routes>,
    config: Config,
    clients: SharedClients,
    pub registry: Arc<Registry>,
    spend: Option<SpendSink>,
    /// Serializes model additions and removals.
    model_changes: tokio::sync::Mutex<()>,
    /// Every finished call, for live views (the panel's request log).
    events: tokio::sync::broadcast::Sender<Arc<SpendLog>>,
}

/// Calls a slow live-view subscriber may fall behind by before it misses some.
const EVENT_BACKLOG: usize = 1024;

/// A successful call: the reply and what the HTTP layer reports about it.
pub struct ChatReply {
    pub call_id: uuid::Uuid,
    pub deployment: Arc<Deployment>,
    pub model_group: Arc<str>,
    pub started: Instant,
    /// USD cost, known up front for non-streamed answers.
    pub cost: Option<f64>,
    pub body: ReplyBody,
}

pub enum ReplyBody {
    Json(Bytes),
    /// SSE frames; an `Err` item ends the stream (the HTTP layer turns it into an error event).
    Stream(BoxStream<'static, Result<Bytes, GatewayError>>),
}

impl Gateway {
    /// Builds every deployment's provider (config.yaml's, then `db_models`); any config entry
    /// that cannot be served stops the start. A database model that cannot be built is
    /// reported and left out, so one bad row does not keep the gateway down.
    pub async fn build(
        config: &Config,
        registry: Arc<Registry>,
        spend: Option<SpendSink>,
        db_models: Vec<ModelEntry>,
    ) -> Result<Gateway, ConfigError> {
        let clients = SharedClients::new().map_err(|e| ConfigError { source_name: None, problems: vec![e] })?;
        let mut problems = Vec::new();
        let mut deployments = Vec::new();
        for entry in &config.models {
            match providers::build(entry, config, &clients).await {
                Ok(provider) => deployments.push(Arc::new(deployment(entry, provider, config, false))),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError { source_name: None, problems });
        }
        for entry in &db_models {
            match providers::build(entry, config, &clients).await {
                Ok(provider) => deployments.push(Arc::new(deployment(entry, provider, config, true))),
                Err(problem) => tracing::error!("database model {} left out: {problem}", entry.id),
            }
        }
        let routes = Routes::new(deployments, &config.router.model_group_alias);
        Ok(Gateway {
            routes: ArcSwap::from_pointee(routes),
            config: config.clone(),
            clients,
            registry,
            spend,
            model_changes: tokio::sync::Mutex::new(()),
            events: tokio::sync::broadcast::channel(EVENT_BACKLOG).0,
        })
    }

    /// Public model names, sorted.
    pub fn model_names(&self) -> Vec<String> {
        self.routes.load().names.clone()
    }

    pub fn deployments(&self) -> Vec<Arc<Deployment>> {
        self.routes.load().deployments.clone()
    }

    pub fn group(&self, name: &str) -> Option<Arc<ModelGroup>> {
        self.routes.load().map.get(name).map(|(_, g)| g.clone())
    }

    /// Model names the caller may use.
    pub fn models_for(&self, principal: &Principal) -> Vec<String> {
        let routes = self.routes.load();
        routes
            .names
            .iter()
            .filter(|name| {
                routes.map.get(*name).is_some_and(|(_, g)| governance::may_use(&self.registry, principal, g))
            })
            .cloned()
            .collect()
    }

    pub fn spend_sink(&self) -> Option<&SpendSink> {
        self.spend.as_ref()
    }

    /// Finished calls from now on, as spend rows.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<SpendLog>> {
        self.events.subscribe()
    }

    /// Starts a change of database models; changes are serialized, so that what is checked and
    /// built stays true until it is installed (after the database took it).
    pub async fn change_models(&self) -> ModelChange<'_> {
        ModelChange { gateway: self, _serialized: self.model_changes.lock().await }
    }

    pub async fn chat(&self, principal: &Principal, mut request: ChatRequest) -> Result<ChatReply, GatewayError> {
        let started = Instant::now();
        let start_time = Utc::now();
        // Time-ordered: spend rows are keyed by it, and new keys land at the end of the index.
        let call_id = uuid::Uuid::now_v7();
        // The routing table may be swapped meanwhile; the call keeps the group it started with.
        let route = self.routes.load().map.get(&request.model).cloned();
        let Some((alias, group)) = route else {
            let error = GatewayError::UnknownModel {
                route: "/chat/completions",
                model: request.model.clone(),
                available: self.models_for(principal),
            };
            return Err(self.refused(principal, &request.model, start_time, error));
        };
        let admitted = governance::check_access(&self.registry, principal, &group)
            .and_then(|()| governance::admit(&self.registry, self.spend.as_ref(), principal, start_time));
        let admission = match admitted {
            Ok(a) => a,
            Err(error) => return Err(self.refused(principal, &alias, start_time, error)),
        };

        let Some(deployment) = group.pick().cloned() else {
            return Err(GatewayError::Internal(format!("model group {} has no deployment", group.name)));
        };
        request
            .apply_defaults(&deployment.entry.params.default_request_params)
            .map_err(|e| GatewayError::invalid(format!("litellm_params defaults do not fit the request: {e}"), None))?;
        let token_prices = deployment.price.as_ref().map(|p| TokenPrices {
            input: p.input_cost_per_token.unwrap_or(0.0),
            output: p.output_cost_per_token.unwrap_or(0.0),
        });
        let options =
            CallOptions { alias: alias.clone(), include_usage: request.wants_stream_usage(), call_id, token_prices };
        let stream = request.is_stream();
        let end_user = request.extra.get("user").and_then(|u| u.as_str()).map(str::to_string);
        let mut log = CallLog {
            call_id,
            alias: alias.clone(),
            deployment: deployment.clone(),
            started,
            start_time,
            stream,
            status: 0,
            completed: false,
            usage_slot: None,
            usage: None,
            response_id: None,
            error: None,
            admission,
            spend: self.spend.clone(),
            events: self.events.clone(),
            master: principal.key().is_none(),
            end_user,
        };

        let first_byte_limit = if stream { deployment.stream_timeout } else { deployment.timeout };
        let output = match tokio::time::timeout(first_byte_limit, deployment.provider.chat(request, options)).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(log.fail(deployment.upstream_error(e))),
            Err(_) => return Err(log.fail(deployment.upstream_error(ProviderError::Timeout(first_byte_limit)))),
        };

        let (body, cost) = match output {
            ChatOutput::Complete { body, usage, response_id } => {
                log.response_id = response_id;
                log.finish(200, Some(usage));
                (ReplyBody::Json(body), Some(crate::spend::cost(deployment.price.as_ref(), &usage)))
            }
            ChatOutput::Stream(stream) => {
                let mut events = stream.events;
                // Wait for the first frame so that a failure before any byte is sent is an HTTP
                // error, not an error event inside a 200 response.
                let first = match tokio::time::timeout(first_byte_limit, events.next()).await {
                    Ok(Some(Ok(bytes))) => bytes,
                    Ok(Some(Err(e))) => return Err(log.fail(deployment.upstream_error(e))),
                    Ok(None) => Bytes::new(),
                    Err(_) => return Err(log.fail(deployment.upstream_error(ProviderError::Timeout(first_byte_limit)))),
                };
                log.usage_slot = Some(stream.usage);
                (ReplyBody::Stream(Box::pin(guarded_stream(first, events, deployment.clone(), log))), None)
            }
        };
        Ok(ChatReply { call_id, deployment, model_group: group.name.clone(), started, cost, body })
    }

    /// Records a call the gateway refused before any provider saw it (unknown model, model not
    /// allowed, budget, rate limit): a failure row for the spend log and the live feed, so that
    /// refusals show up where users look for their requests.
    fn refused(
        &self,
        principal: &Principal,
        model: &str,
        start_time: DateTime<Utc>,
        error: GatewayError,
    ) -> GatewayError {
        let Some(sink) = &self.spend else { return error };
        let key = principal.key();
        let status = error.status();
        let mut metadata = serde_json::Map::new();
        metadata.insert("user_api_key_alias".into(), key.and_then(|k| k.record.key_alias.clone()).into());
        metadata.insert("user_api_key_team_id".into(), key.and_then(|k| k.record.team_id.clone()).into());
        metadata.insert("status".into(), "failure".into());
        metadata.insert("outcome".into(), "refused".into());
        metadata.insert(
            "error_information".into(),
            serde_json::json!({"error_message": error.to_string(), "error_code": status}),
        );
        let now = format_time(Utc::now());
        let log = SpendLog {
            request_id: uuid::Uuid::now_v7().to_string(),
            response_id: None,
            call_type: "acompletion".into(),
            api_key: key.map(|k| k.record.token.clone()).unwrap_or_else(|| MASTER_KEY_SPEND_ID.to_string()),
            key_alias: key.and_then(|k| k.record.key_alias.clone()),
            team_id: key.and_then(|k| k.record.team_id.clone()),
            user: key.and_then(|k| k.record.user_id.clone()),
            model_group: model.to_string(),
            start_time: format_time(start_time),
            end_time: now,
            status: "failure".into(),
            metadata,
            ..SpendLog::default()
        };
        tracing::info!(target: "switchboard::request", model, status, outcome = "refused", error = %error, "chat completion");
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(Arc::new(log.clone()));
        }
        sink.send(WriterMessage::Log(Box::new(log)));
        error
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
            token_prices: None,
        };
        let limit = deployment.timeout.min(HEALTH_CHECK_TIMEOUT);
        match tokio::time::timeout(limit, deployment.provider.chat(request, options)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(deployment.upstream_error(e)),
            Err(_) => Err(deployment.upstream_error(ProviderError::Timeout(limit))),
        }
    }
}

const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Forwards a stream's frames, bounding each silence by the deployment's timeout, and accounts
/// for the call when the stream ends, fails, or is dropped because the client went away (which
/// also drops, and so cancels, the upstream call).
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

/// The record of one call that reached a provider: written when the call is over, whichever
/// way it ended — the log line, the charge to the caller's limits, and the spend row.
struct CallLog {
    call_id: uuid::Uuid,
    alias: Arc<str>,
    deployment: Arc<Deployment>,
    started: Instant,
    start_time: DateTime<Utc>,
    stream: bool,
    status: u16,
    completed: bool,
    usage_slot: Option<Arc<UsageSlot>>,
    usage: Option<Usage>,
    response_id: Option<String>,
    error: Option<String>,
    admission: Admission,
    spend: Option<SpendSink>,
    events: tokio::sync::broadcast::Sender<Arc<SpendLog>>,
    master: bool,
    end_user: Option<String>,
}

impl CallLog {
    fn finish(&mut self, status: u16, usage: Option<Usage>) {
        self.status = status;
        self.completed = true;
        if usage.is_some() {
            self.usage = usage;
        }
    }

    fn fail(&mut self, error: GatewayError) -> GatewayError {
        self.status = error.status();
        self.completed = true;
        self.error = Some(error.to_string());
        error
    }
}

impl Drop for CallLog {
    fn drop(&mut self) {
        let slot = self.usage_slot.as_ref();
        let usage = self.usage.or_else(|| slot.and_then(|u| u.get())).unwrap_or_default();
        let response_id = self.response_id.take().or_else(|| slot.and_then(|u| u.response_id()));
        let outcome = if self.completed { "completed" } else { "client_disconnected" };
        let latency_ms = self.started.elapsed().as_millis() as u64;
        let cost = crate::spend::cost(self.deployment.price.as_ref(), &usage);
        let now = Utc::now();
        self.admission.charge(cost, usage.total_tokens, now);
        tracing::info!(
            target: "switchboard::request",
            call_id = %self.call_id,
            model = %self.alias,
            deployment = %self.deployment.entry.id,
            provider = %self.deployment.entry.provider,
            key = self.admission.key_alias.as_deref().unwrap_or(if self.master { "master" } else { "" }),
            stream = self.stream,
            status = self.status,
            outcome,
            latency_ms,
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            cost,
            error = self.error.as_deref().unwrap_or(""),
            "chat completion"
        );
        let Some(sink) = &self.spend else { return };
        let status = if self.status == 200 { "success" } else { "failure" };
        let mut metadata = serde_json::Map::new();
        metadata.insert("litellm_call_id".into(), self.call_id.to_string().into());
        metadata.insert("user_api_key_alias".into(), self.admission.key_alias.clone().into());
        metadata.insert("user_api_key_team_id".into(), self.admission.team_id.clone().into());
        metadata.insert("user_api_key_user_id".into(), self.admission.user_id.clone().into());
        metadata.insert("status".into(), status.into());
        metadata.insert("outcome".into(), outcome.into());
        metadata.insert("stream".into(), self.stream.into());
        if let Some(e) = &self.error {
            metadata
                .insert("error_information".into(), serde_json::json!({"error_message": e, "error_code": self.status}));
        }
        let entry = &self.deployment.entry;
        let log = SpendLog {
            // One row per call: upstreams may repeat their ids (mocks, some self-hosted servers).
            request_id: self.call_id.to_string(),
            response_id,
            call_type: "acompletion".into(),
            api_key: self.admission.key_token.clone().unwrap_or_else(|| MASTER_KEY_SPEND_ID.to_string()),
            key_alias: self.admission.key_alias.clone(),
            team_id: self.admission.team_id.clone(),
            user: self.admission.user_id.clone(),
            end_user: self.end_user.take(),
            model: entry.model.clone(),
            model_id: entry.id.clone(),
            model_group: self.alias.to_string(),
            custom_llm_provider: entry.provider.clone(),
            api_base: entry.params.api_base.clone(),
            spend: cost,
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.total_tokens,
            start_time: format_time(self.start_time),
            end_time: format_time(now),
            request_duration_ms: latency_ms,
            status: status.into(),
            metadata,
        };
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(Arc::new(log.clone()));
        }
        sink.send(WriterMessage::Log(Box::new(log)));
    }
}
