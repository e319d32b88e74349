//! The request path: resolve the alias, check access and limits from memory, pick a
//! deployment, call its provider within the deployment's time limits (retrying and falling back
//! as LiteLLM's router does), and account for the call.

mod call_log;
mod controls;
mod error;
pub mod governance;
mod health;
mod mock;
mod models;
mod operation;
mod reliability;
mod routes;
mod scrape;
pub mod shared_limits;
mod shared_routing;
mod strategy;
mod wildcard;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::auth::registry::Registry;
use crate::auth::{MASTER_KEY_SPEND_ID, Principal};
use crate::config::{Config, ConfigError, DEFAULT_NUM_RETRIES, ModelEntry};
use crate::providers::{self, CallOptions, ChatOutput, ProviderError, SharedClients, UsageSlot};
use crate::schema::completions::CompletionRequest;
use crate::schema::embeddings::EmbeddingRequest;
use crate::schema::{ChatRequest, Usage};
use crate::spend::{SpendSink, WriterMessage};
use crate::store::SpendLog;
use crate::telemetry::{CallLabels, Metrics, Telemetry, TraceParent, Tracing, mark_seen_by_gateway};
use crate::time::format_time;

use call_log::{CallLog, CallStart, guarded_stream};
use controls::Controls;
pub use controls::seconds;
pub use error::GatewayError;
pub use models::ModelChange;
use operation::{ChatCall, CompletionCall, EmbeddingCall, Operation};
pub use routes::{Deployment, ModelGroup};
use routes::{Route, Routes, deployment};

pub struct Gateway {
    routes: ArcSwap<Routes>,
    config: Config,
    clients: SharedClients,
    pub registry: Arc<Registry>,
    spend: Option<SpendSink>,
    /// Rate limits shared with the other replicas through Redis, when one is configured.
    shared_limits: Option<Arc<shared_limits::SharedLimits>>,
    /// Serializes model additions and removals.
    model_changes: tokio::sync::Mutex<()>,
    /// Every finished call, for live views (the panel's request log).
    events: tokio::sync::broadcast::Sender<Arc<SpendLog>>,
    /// Metrics and traces of finished calls.
    pub telemetry: Arc<Telemetry>,
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
    /// Retries on the group that answered (`x-litellm-attempted-retries`).
    pub attempted_retries: u32,
    pub max_retries: u32,
    /// Fallback groups tried (`x-litellm-attempted-fallbacks`).
    pub attempted_fallbacks: u32,
    /// The limit the answering attempt ran under (`x-litellm-timeout`).
    pub timeout: Duration,
    /// Time spent in the gateway rather than waiting for upstreams (`x-litellm-overhead-duration-ms`).
    pub overhead: Duration,
    /// The body is in the client's own API format (a native pass-through), not a chat completion.
    pub native: bool,
}

/// Which API a call came in through: it names the route in errors and the call type in spend rows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    #[default]
    ChatCompletions,
    /// Anthropic's Messages API, served through the chat path.
    AnthropicMessages,
    /// OpenAI's Responses API, served through the chat path.
    Responses,
}

impl CallKind {
    pub fn route(self) -> &'static str {
        match self {
            CallKind::ChatCompletions => "/chat/completions",
            CallKind::AnthropicMessages => "/v1/messages",
            CallKind::Responses => "/v1/responses",
        }
    }

    /// LiteLLM's `call_type` in spend logs.
    pub fn call_type(self) -> &'static str {
        match self {
            CallKind::ChatCompletions => "acompletion",
            CallKind::AnthropicMessages => "anthropic_messages",
            CallKind::Responses => "aresponses",
        }
    }
}

/// What the HTTP layer read from headers (and its route) for a call.
#[derive(Debug, Default, Clone)]
pub struct CallHints {
    pub kind: CallKind,
    /// `x-litellm-timeout`.
    pub timeout: Option<Duration>,
    /// `x-litellm-end-user-id` / `x-litellm-customer-id`: the customer, before the body's `user`.
    pub end_user: Option<String>,
    /// The client's trace (`traceparent`), continued by the call's spans.
    pub trace_parent: Option<TraceParent>,
}

/// What one attempt got: a whole answer, or a stream whose first frame has arrived.
enum Answer {
    Complete {
        body: Bytes,
        usage: Usage,
        response_id: Option<String>,
        native: bool,
    },
    Stream {
        first: Bytes,
        events: BoxStream<'static, Result<Bytes, ProviderError>>,
        usage: Arc<UsageSlot>,
        native: bool,
    },
}

/// How long one attempt may take (to its first byte, for a stream): the request's limit, else
/// the deployment's.
fn attempt_limit(controls: &Controls, deployment: &Deployment, stream: bool) -> Duration {
    if stream {
        controls.stream_timeout.or(controls.timeout).unwrap_or(deployment.stream_timeout)
    } else {
        controls.timeout.unwrap_or(deployment.timeout)
    }
}

/// `mock_testing_*`: the failure that makes the requested group hand over to its fallbacks.
fn mock_testing_failure(controls: &Controls, group: &str) -> Option<GatewayError> {
    let t = &controls.mock_testing;
    if !t.any() {
        return None;
    }
    let (status, code, message) = if t.rate_limit_error {
        (
            429,
            "rate_limit_exceeded",
            format!("This is a mock exception for model={group}, to trigger a rate limit error."),
        )
    } else if t.context_window_fallbacks {
        (
            400,
            "context_length_exceeded",
            format!("This is a mock exception for model={group}, to trigger a context window fallback."),
        )
    } else if t.content_policy_fallbacks {
        (
            400,
            "content_policy_violation",
            format!("This is a mock exception for model={group}, to trigger a content policy fallback."),
        )
    } else {
        (500, "internal_server_error", format!("This is a mock exception for model={group}, to trigger a fallback."))
    };
    let error =
        ProviderError::Upstream { status, code: Some(code.into()), message: message.clone(), retry_after: None };
    Some(GatewayError::Upstream { provider: "litellm".into(), error: Box::new(error), message })
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
            match providers::build(entry, &clients).await {
                Ok(provider) => deployments.push(Arc::new(deployment(entry, provider, config, false))),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError { source_name: None, problems });
        }
        for entry in &db_models {
            match providers::build(entry, &clients).await {
                Ok(provider) => deployments.push(Arc::new(deployment(entry, provider, config, true))),
                Err(problem) => tracing::error!("database model {} left out: {problem}", entry.id),
            }
        }
        let routes = Routes::new(deployments, &config.router.model_group_alias);
        let metrics = Metrics::new().map_err(|e| ConfigError { source_name: None, problems: vec![e.to_string()] })?;
        let tracing = match &config.telemetry.otel {
            Some(settings) => {
                let tracing = Tracing::start(settings, clients.http.clone())
                    .map_err(|e| ConfigError { source_name: None, problems: vec![e] })?;
                tracing::info!("OpenTelemetry: sending traces to {}", settings.traces_endpoint);
                Some(tracing)
            }
            None => None,
        };
        let shared_limits = match &config.router.redis {
            Some(url) => Some(
                shared_limits::SharedLimits::new(url)
                    .map_err(|e| ConfigError { source_name: None, problems: vec![e] })?,
            ),
            None => None,
        };
        Ok(Gateway {
            shared_limits,
            telemetry: Arc::new(Telemetry { metrics, tracing }),
            routes: ArcSwap::from_pointee(routes),
            config: config.clone(),
            clients,
            registry,
            spend,
            model_changes: tokio::sync::Mutex::new(()),
            events: tokio::sync::broadcast::channel(EVENT_BACKLOG).0,
        })
    }

    /// What the providers find wrong with the config's models (a missing region, a provider
    /// Switchboard does not serve...), without serving anything.
    pub async fn provider_problems(config: &Config) -> Vec<String> {
        let clients = match SharedClients::new() {
            Ok(c) => c,
            Err(e) => return vec![e],
        };
        let mut problems = Vec::new();
        for entry in &config.models {
            if let Err(problem) = providers::build(entry, &clients).await {
                problems.push(problem);
            }
        }
        problems
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

    /// What `/v1/models` lists for the caller, as LiteLLM does: the names it may use, then for
    /// each wildcard group it may use the price map's models that group serves, and with
    /// `wildcard_routes` (`return_wildcard_routes=true`) the pattern itself before them.
    pub fn listed_models(&self, principal: &Principal, wildcard_routes: bool) -> Vec<String> {
        let routes = self.routes.load();
        let mut listed = self.models_for(principal);
        let mut seen: std::collections::HashSet<String> = listed.iter().cloned().collect();
        for (group, names) in &routes.wildcard_listings {
            if governance::check_access(&self.registry, principal, &group.facts()).is_err() {
                continue;
            }
            let pattern = wildcard_routes.then(|| group.name.to_string());
            for name in pattern.into_iter().chain(names.iter().cloned()) {
                if seen.insert(name.clone()) {
                    listed.push(name);
                }
            }
        }
        listed
    }

    /// Model names the caller may use (wildcard groups are not listed: they serve any name).
    pub fn models_for(&self, principal: &Principal) -> Vec<String> {
        let routes = self.routes.load();
        routes
            .names
            .iter()
            .filter(|name| {
                routes.map.get(*name).is_some_and(|(_, g)| {
                    let facts = crate::auth::access::ModelFacts { name, ..g.facts() };
                    governance::check_access(&self.registry, principal, &facts).is_ok()
                })
            })
            .cloned()
            .collect()
    }

    /// The rate limits shared through Redis, when configured.
    pub fn shared_limits(&self) -> Option<&shared_limits::SharedLimits> {
        self.shared_limits.as_deref()
    }

    /// With Redis, keeps the router's cooldowns and load in step with the other replicas'
    /// (until the task is aborted).
    pub fn share_router_state(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let limits = self.shared_limits.clone()?;
        Some(shared_routing::spawn(self.clone(), limits))
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

    /// One chat call: LiteLLM's control parameters taken out, the model resolved (aliases,
    /// wildcards), access and limits checked once, then attempts on the group's deployments with
    /// retries, and fallback groups in turn, until one answers.
    pub async fn chat(
        &self,
        principal: &Principal,
        mut request: ChatRequest,
        hints: CallHints,
    ) -> Result<ChatReply, GatewayError> {
        let controls = Controls::take(&mut request)?;
        let kind = hints.kind;
        self.run(principal, &ChatCall { request, kind }, controls, hints).await
    }

    /// One embeddings call (`/v1/embeddings`), governed and routed as a chat call is.
    pub async fn embed(
        &self,
        principal: &Principal,
        mut request: EmbeddingRequest,
        hints: CallHints,
    ) -> Result<ChatReply, GatewayError> {
        let controls = Controls::take_from(&mut request.extra, &request.model)?;
        refuse_mock(&controls, "/embeddings")?;
        self.run(principal, &EmbeddingCall(request), controls, hints).await
    }

    /// One legacy text completion (`/v1/completions`), governed and routed as a chat call is.
    pub async fn complete(
        &self,
        principal: &Principal,
        mut request: CompletionRequest,
        hints: CallHints,
    ) -> Result<ChatReply, GatewayError> {
        let controls = Controls::take_from(&mut request.extra, &request.model)?;
        refuse_mock(&controls, "/completions")?;
        self.run(principal, &CompletionCall(request), controls, hints).await
    }

    /// The router's part of every kind of call: the model resolved (aliases, wildcards), access
    /// and limits checked once, then attempts on the group's deployments with retries, and
    /// fallback groups in turn, until one answers.
    async fn run(
        &self,
        principal: &Principal,
        op: &dyn Operation,
        mut controls: Controls,
        hints: CallHints,
    ) -> Result<ChatReply, GatewayError> {
        let started = Instant::now();
        let start_time = Utc::now();
        mark_seen_by_gateway();
        // Time-ordered: spend rows are keyed by it, and new keys land at the end of the index.
        let call_id = uuid::Uuid::now_v7();
        let route_name = op.route();
        let mut span = self
            .telemetry
            .tracing
            .as_ref()
            .map(|t| t.request(op.operation_name(), op.model(), hints.trace_parent.as_ref(), start_time.into()));
        if hints.timeout.is_some() {
            controls.timeout = hints.timeout;
        }
        let model = op.model();
        let call_type = op.call_type();
        let requested = self.aliased(principal, model);
        // The routing table may be swapped meanwhile; the call keeps the one it started with.
        let routes = self.routes.load_full();
        let Some(route) = routes.resolve(&requested) else {
            // As in LiteLLM, a key learns only about models it may call: its access is checked
            // before the name is looked up.
            let asked = crate::auth::access::ModelFacts { name: model, provider_models: &[], access_groups: &[] };
            if let Err(denied) = governance::check_access(&self.registry, principal, &asked) {
                return Err(self.refused(principal, model, start_time, op, denied, span.take()));
            }
            let error = GatewayError::UnknownModel {
                route: op.route(),
                model: model.to_string(),
                available: self.models_for(principal),
            };
            return Err(self.refused(principal, model, start_time, op, error, span.take()));
        };
        // The customer (LiteLLM's end user): a header, else the body's `user`, else LiteLLM's
        // metadata fields.
        let end_user = hints
            .end_user
            .or_else(|| op.user().filter(|u| !u.is_empty()).map(str::to_string))
            .or_else(|| controls.end_user.take());
        let customer = end_user
            .as_deref()
            .map(|id| governance::Customer { id, default_budget: self.config.litellm.max_end_user_budget });
        let admitted = self.check_route_access(principal, &route, model).and_then(|()| {
            let shared = self.shared_limits.is_some();
            governance::admit(&self.registry, self.spend.as_ref(), principal, customer, start_time, shared)
        });
        let mut admission = match admitted {
            Ok(a) => a,
            Err(error) => return Err(self.refused(principal, &route.alias, start_time, op, error, span.take())),
        };
        // The limits the replicas share: one Redis call, for calls that have such limits only.
        if let Some(shared) = self.shared_limits.as_ref().filter(|_| !admission.limited.is_empty()) {
            match shared.admit(&admission.limited, start_time).await {
                Ok(held) => admission.held = held,
                Err((index, refusal)) => {
                    let error = admission.refused_elsewhere(refusal, index, start_time);
                    drop(admission);
                    return Err(self.refused(principal, &route.alias, start_time, op, error, span.take()));
                }
            }
        }

        let stream = op.stream();
        let settings = &self.config.router;
        let mut log: Option<CallLog> = None;
        let mut pending = Some(admission);
        let mut current = route;
        let mut fallbacks: Option<std::collections::VecDeque<String>> = None;
        let mut attempted_fallbacks = 0u32;
        // The status that made the requested group fall back, for the fallback metrics.
        let mut first_failure: Option<u16> = None;
        // Time spent waiting on upstreams or backing off: what is not the gateway's overhead.
        let mut waited = Duration::ZERO;
        let mut last_error;
        loop {
            let group = current.group.clone();
            let mut tried: Vec<Arc<Deployment>> = Vec::new();
            let mut retries = 0u32;
            let mut max_retries = controls.num_retries;
            let forced_failure =
                (attempted_fallbacks == 0).then(|| mock_testing_failure(&controls, &group.name)).flatten();
            let outcome = loop {
                if let Some(error) = &forced_failure {
                    break Err(error.clone());
                }
                let deployment = match strategy::pick(&group, settings, stream, &tried) {
                    Ok(d) => d,
                    Err(e) => break Err(e),
                };
                let allowed = *max_retries.get_or_insert_with(|| {
                    deployment.max_retries.or(settings.num_retries).unwrap_or(DEFAULT_NUM_RETRIES)
                });
                tried.push(deployment.clone());
                let log = log.get_or_insert_with(|| {
                    let call = CallStart {
                        call_id,
                        started,
                        start_time,
                        principal,
                        controls: &controls,
                        stream,
                        end_user: end_user.clone(),
                        call_type,
                        route: route_name,
                        trace_id: hints.trace_parent.as_ref().map(TraceParent::trace_id),
                    };
                    CallLog::new(
                        self,
                        &call,
                        pending.take().unwrap_or_default(),
                        deployment.clone(),
                        current.alias.clone(),
                        span.take(),
                    )
                });
                let prices = current.token_prices(&deployment);
                log.attempt_on(deployment.clone(), current.alias.clone(), prices);
                let attempt_started = Instant::now();
                let options = CallOptions {
                    alias: current.alias.clone(),
                    include_usage: op.wants_stream_usage(),
                    call_id,
                    token_prices: prices,
                    upstream_model: current.upstream_model(&deployment),
                    caller: principal.key().map(|k| Arc::from(k.record.token.as_str())),
                };
                let result = self.attempt(&deployment, op, &controls, options).await;
                waited += attempt_started.elapsed();
                match result {
                    Ok(answer) => {
                        log.attempt_answered(attempt_started);
                        break Ok((deployment, answer, attempt_started, prices));
                    }
                    Err(error) => {
                        let others = group.deployments.len() > 1;
                        let cooled = deployment.health.failed(
                            health::Failure { status: error.status(), group_has_others: others },
                            settings,
                            deployment.cooldown,
                        );
                        if let (true, Some(limits)) = (cooled, &self.shared_limits) {
                            let rest = deployment.cooldown.unwrap_or(settings.cooldown_time);
                            shared_routing::cooled(limits, &deployment.entry.id, rest);
                        }
                        log.attempt_failed(&error, cooled);
                        if retries < allowed && reliability::retryable(&error, others) {
                            let now = Instant::now();
                            let other_healthy = group
                                .deployments
                                .iter()
                                .any(|d| !Arc::ptr_eq(d, &deployment) && !d.health.cooling_down(now));
                            let wait = reliability::backoff(&error, retries, other_healthy, settings);
                            tracing::info!(target: "switchboard::router", model = %group.name, deployment = %deployment.entry.id, retry = retries + 1, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                            tokio::time::sleep(wait).await;
                            waited += wait;
                            retries += 1;
                            continue;
                        }
                        break Err(error);
                    }
                }
            };
            if let (Some(first_status), Some(log)) = (first_failure, &log) {
                log.fallback(&group.name, first_status, outcome.is_ok());
            }
            match outcome {
                Ok((deployment, answer, attempt_started, prices)) => {
                    let Some(mut log) = log else {
                        return Err(GatewayError::Internal("a call answered without being logged".into()));
                    };
                    log.attempted_retries = retries;
                    log.attempted_fallbacks = attempted_fallbacks;
                    let timeout = attempt_limit(&controls, &deployment, stream);
                    let (body, cost, native) = match answer {
                        Answer::Complete { body, usage, response_id, native } => {
                            deployment.health.succeeded(
                                attempt_started.elapsed(),
                                false,
                                Some(usage.completion_tokens),
                            );
                            log.response_id = response_id;
                            log.overhead = Some(started.elapsed().saturating_sub(waited));
                            log.finish(200, Some(usage));
                            (ReplyBody::Json(body), Some(prices.map(|p| p.cost(&usage)).unwrap_or(0.0)), native)
                        }
                        Answer::Stream { first, events, usage, native } => {
                            let first_byte = attempt_started.elapsed();
                            deployment.health.succeeded(first_byte, true, None);
                            log.time_to_first_token = Some(first_byte);
                            log.overhead = Some(started.elapsed().saturating_sub(waited));
                            log.usage_slot = Some(usage);
                            let events = guarded_stream(first, events, deployment.clone(), log);
                            (ReplyBody::Stream(Box::pin(events)), None, native)
                        }
                    };
                    return Ok(ChatReply {
                        call_id,
                        deployment,
                        // A wildcard group is known by the name it was asked for, as in LiteLLM.
                        model_group: if current.captures.is_some() {
                            current.alias.clone()
                        } else {
                            group.name.clone()
                        },
                        started,
                        cost,
                        body,
                        attempted_retries: retries,
                        max_retries: max_retries.unwrap_or(0),
                        attempted_fallbacks,
                        timeout,
                        overhead: started.elapsed().saturating_sub(waited),
                        native,
                    });
                }
                Err(error) => last_error = error,
            }
            first_failure.get_or_insert(last_error.status());
            let queue = fallbacks.get_or_insert_with(|| {
                let kind = reliability::FailureKind::of(&last_error);
                reliability::fallback_groups(&group.name, kind, &controls, settings).into()
            });
            let mut next = None;
            while let Some(name) = queue.pop_front() {
                let Some(route) = routes.resolve(&name) else {
                    tracing::warn!(target: "switchboard::router", fallback = %name, "fallback model group does not exist; skipped");
                    continue;
                };
                // A client may only fall back to models it may call; configured fallbacks are the
                // administrator's choice.
                let from_request = controls.fallbacks.as_ref().is_some_and(|f| f.contains(&name))
                    || controls.context_window_fallbacks.as_ref().is_some_and(|f| f.contains(&name))
                    || controls.content_policy_fallbacks.as_ref().is_some_and(|f| f.contains(&name));
                if from_request && self.check_route_access(principal, &route, &name).is_err() {
                    tracing::warn!(target: "switchboard::router", fallback = %name, "the key may not use this fallback; skipped");
                    continue;
                }
                next = Some(route);
                break;
            }
            match next {
                Some(route) => {
                    tracing::info!(target: "switchboard::router", from = %group.name, to = %route.group.name, error = %last_error, "falling back");
                    attempted_fallbacks += 1;
                    current = route;
                }
                None => break,
            }
        }
        match log {
            Some(mut log) => {
                log.attempted_fallbacks = attempted_fallbacks;
                Err(log.fail(last_error))
            }
            None => Err(self.refused(principal, model, start_time, op, last_error, span.take())),
        }
    }

    /// One attempt on one deployment, within its time limits; a stream counts as answered once
    /// its first frame arrived (a failure before that can still be retried).
    async fn attempt(
        &self,
        deployment: &Arc<Deployment>,
        op: &dyn Operation,
        controls: &Controls,
        options: CallOptions,
    ) -> Result<Answer, GatewayError> {
        let limit = attempt_limit(controls, deployment, op.stream());
        let output = match tokio::time::timeout(limit, op.call(deployment, controls, options, limit)).await {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(deployment.upstream_error(ProviderError::Timeout(limit))),
        };
        match output {
            ChatOutput::Complete { body, usage, response_id, native } => {
                Ok(Answer::Complete { body, usage, response_id, native })
            }
            ChatOutput::Stream(stream) => {
                let mut events = stream.events;
                // Wait for the first frame so that a failure before any byte is sent is an HTTP
                // error (and may be retried), not an error event inside a 200 response.
                let first = match tokio::time::timeout(limit, events.next()).await {
                    Ok(Some(Ok(bytes))) => bytes,
                    Ok(Some(Err(e))) => return Err(deployment.upstream_error(e)),
                    Ok(None) => Bytes::new(),
                    Err(_) => return Err(deployment.upstream_error(ProviderError::Timeout(limit))),
                };
                Ok(Answer::Stream { first, events, usage: stream.usage, native: stream.native })
            }
        }
    }

    /// The prompt tokens of `request` on the model it names, as the provider of one of the
    /// model's deployments counts them; `None` when it cannot (the caller estimates). The key
    /// must be allowed the model; nothing is spent or rate-limited, as in LiteLLM.
    pub async fn count_tokens(
        &self,
        principal: &Principal,
        request: &ChatRequest,
        route_name: &'static str,
    ) -> Result<Option<u64>, GatewayError> {
        let requested = self.aliased(principal, &request.model);
        let routes = self.routes.load_full();
        let Some(route) = routes.resolve(&requested) else {
            let asked =
                crate::auth::access::ModelFacts { name: &request.model, provider_models: &[], access_groups: &[] };
            governance::check_access(&self.registry, principal, &asked)?;
            return Err(GatewayError::UnknownModel {
                route: route_name,
                model: request.model.clone(),
                available: self.models_for(principal),
            });
        };
        self.check_route_access(principal, &route, &request.model)?;
        let now = Instant::now();
        let group = &route.group;
        let Some(deployment) =
            group.deployments.iter().find(|d| !d.health.cooling_down(now)).or_else(|| group.deployments.first())
        else {
            return Ok(None);
        };
        let options = CallOptions {
            alias: route.alias.clone(),
            include_usage: false,
            call_id: uuid::Uuid::now_v7(),
            token_prices: None,
            upstream_model: route.upstream_model(deployment),
            caller: principal.key().map(|k| Arc::from(k.record.token.as_str())),
        };
        match tokio::time::timeout(deployment.timeout, deployment.provider.count_tokens(request, options)).await {
            Ok(Ok(count)) => Ok(count),
            // A count is an estimate to a client (Claude Code sizes its context with it): one the
            // upstream cannot give is estimated rather than failed.
            Ok(Err(e)) => {
                tracing::warn!(model = %route.alias, deployment = %deployment.entry.id, error = %e, "the upstream could not count tokens; estimating");
                Ok(None)
            }
            Err(_) => {
                tracing::warn!(model = %route.alias, deployment = %deployment.entry.id, "the upstream did not count tokens in time; estimating");
                Ok(None)
            }
        }
    }

    /// The model a key asks for, after its own `aliases` and its team's `model_aliases`.
    fn aliased<'a>(&self, principal: &Principal, model: &'a str) -> std::borrow::Cow<'a, str> {
        let Some(key) = principal.key() else { return model.into() };
        let mut name: std::borrow::Cow<'a, str> = model.into();
        if let Some(target) = key.record.aliases.get(model).and_then(|v| v.as_str()) {
            name = target.to_string().into();
        }
        if let Some(team) = key.record.team_id.as_deref().and_then(|t| self.registry.teams.get(t))
            && let Some(target) = team.record.model_aliases.get(name.as_ref()).and_then(|v| v.as_str())
        {
            name = target.to_string().into();
        }
        name
    }

    /// Access to a resolved route; a name given by an alias is also allowed as asked.
    fn check_route_access(&self, principal: &Principal, route: &Route, asked: &str) -> Result<(), GatewayError> {
        if principal.key().is_none() {
            return Ok(());
        }
        let provider_models = route.provider_models();
        let checked = governance::check_access(&self.registry, principal, &route.facts(&provider_models));
        if checked.is_err() && asked != &*route.alias {
            let asked_facts = crate::auth::access::ModelFacts { name: asked, provider_models: &[], access_groups: &[] };
            if governance::check_access(&self.registry, principal, &asked_facts).is_ok() {
                return Ok(());
            }
        }
        checked
    }

    /// Records a call the gateway refused before any provider saw it (unknown model, model not
    /// allowed, budget, rate limit): a failure row for the spend log and the live feed, so that
    /// refusals show up where users look for their requests.
    fn refused(
        &self,
        principal: &Principal,
        model: &str,
        start_time: DateTime<Utc>,
        op: &dyn Operation,
        error: GatewayError,
        span: Option<crate::telemetry::RequestSpan>,
    ) -> GatewayError {
        let (call_type, route) = (op.call_type(), op.route());
        let key = principal.key();
        let status = error.status();
        let team_alias = key
            .and_then(|k| k.record.team_id.as_deref())
            .and_then(|t| self.registry.teams.get(t))
            .and_then(|t| t.record.team_alias.clone());
        let labels = CallLabels {
            hashed_api_key: key.map(|k| k.record.token.as_str()).unwrap_or(""),
            api_key_alias: key.and_then(|k| k.record.key_alias.as_deref()).unwrap_or(""),
            team: key.and_then(|k| k.record.team_id.as_deref()).unwrap_or(""),
            team_alias: team_alias.as_deref().unwrap_or(""),
            user: key.and_then(|k| k.record.user_id.as_deref()).unwrap_or(""),
            requested_model: model,
            ..CallLabels::default()
        };
        self.telemetry.metrics.proxy_request(&labels, route, status);
        if let Some(span) = span {
            let message = error.to_string();
            span.finish(&crate::telemetry::otel::Finish { status, error: Some(&message), ..Default::default() });
        }
        let Some(sink) = &self.spend else { return error };
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
            call_type: call_type.into(),
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
        tracing::info!(target: "switchboard::request", model, status, call_type, outcome = "refused", error = %error, "chat completion");
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
        // A wildcard deployment is checked with `model_info.health_check_model`, as LiteLLM does.
        let upstream_model = deployment.entry.model_info.get("health_check_model").and_then(|m| m.as_str()).map(|m| {
            let id = m.strip_prefix(&format!("{}/", deployment.entry.provider)).unwrap_or(m);
            Arc::from(id)
        });
        let options = CallOptions {
            alias: deployment.entry.model_name.as_str().into(),
            include_usage: false,
            call_id: uuid::Uuid::new_v4(),
            token_prices: None,
            upstream_model,
            caller: None,
        };
        let limit = deployment.timeout.min(HEALTH_CHECK_TIMEOUT);
        // An embedding model cannot chat: it is checked with what it serves, as LiteLLM does.
        let call = match deployment.mode() {
            "embedding" => {
                let request: EmbeddingRequest =
                    serde_json::from_value(serde_json::json!({"model": deployment.entry.model_name, "input": "ping"}))
                        .map_err(|e| GatewayError::invalid(e.to_string(), None))?;
                // Owned by the future: the probe outlives no borrow of it.
                Box::pin(async move { deployment.provider.embed(&request, options).await })
                    as futures::future::BoxFuture<'_, _>
            }
            _ => deployment.provider.chat(&request, options),
        };
        match tokio::time::timeout(limit, call).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(deployment.upstream_error(e)),
            Err(_) => Err(deployment.upstream_error(ProviderError::Timeout(limit))),
        }
    }
}

const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// `mock_response` makes up chat answers only; elsewhere it would be silently ignored.
fn refuse_mock(controls: &Controls, route: &str) -> Result<(), GatewayError> {
    match controls.mock {
        Some(_) => Err(GatewayError::invalid(
            format!("mock_response is served on /chat/completions only, not on {route}"),
            Some("mock_response"),
        )),
        None => Ok(()),
    }
}
