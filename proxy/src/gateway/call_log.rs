//! The record of one call that reached a provider, written when the call is over whichever way
//! it ended (the log line, the charge to the caller's limits, the deployment's usage, the spend
//! row), and the stream wrapper that ends it for streamed answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use serde_json::{Map, Value};

use super::controls::Controls;
use super::governance::Admission;
use super::health::InFlight;
use super::{Deployment, Gateway, GatewayError};
use crate::auth::{MASTER_KEY_SPEND_ID, Principal};
use crate::providers::{ProviderError, TokenPrices, UsageSlot};
use crate::schema::Usage;
use crate::spend::{SpendSink, WriterMessage};
use crate::store::SpendLog;
use crate::telemetry::metrics::CallSeries;
use crate::telemetry::otel::{Caller, Finish};
use crate::telemetry::{CallLabels, CallOutcome, DeploymentLabels, RequestSpan, Telemetry};
use crate::time::format_time;

/// Forwards a stream's frames, bounding each silence by the deployment's timeout, and accounts
/// for the call when the stream ends, fails, or is dropped because the client went away (which
/// also drops, and so cancels, the upstream call).
pub(super) fn guarded_stream(
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

/// The record of one call that reached a provider.
pub(super) struct CallLog {
    call_id: uuid::Uuid,
    /// The name the answering group was called by (a fallback's, after a fallback).
    alias: Arc<str>,
    /// The deployment of the latest attempt, and its price for this call.
    deployment: Arc<Deployment>,
    prices: Option<TokenPrices>,
    in_flight: Option<InFlight>,
    started: Instant,
    start_time: DateTime<Utc>,
    stream: bool,
    status: u16,
    completed: bool,
    pub(super) usage_slot: Option<Arc<UsageSlot>>,
    usage: Option<Usage>,
    pub(super) response_id: Option<String>,
    error: Option<String>,
    admission: Admission,
    spend: Option<SpendSink>,
    events: tokio::sync::broadcast::Sender<Arc<SpendLog>>,
    master: bool,
    end_user: Option<String>,
    pub(super) attempted_retries: u32,
    pub(super) attempted_fallbacks: u32,
    tags: Vec<String>,
    requester_metadata: Option<Map<String, Value>>,
    trace_id: Option<String>,
    call_type: &'static str,
    /// The route the call came in through (`/chat/completions`, ...), for metrics.
    route: &'static str,
    /// The model group the client asked for (before any fallback).
    requested: Arc<str>,
    telemetry: Arc<Telemetry>,
    /// The metric series of the answering attempt, updated again when the call ends.
    series: Option<CallSeries>,
    span: Option<RequestSpan>,
    /// When the answering attempt started, and its first streamed byte arrived after.
    pub(super) answering_since: Option<Instant>,
    pub(super) time_to_first_token: Option<Duration>,
    pub(super) overhead: Option<Duration>,
}

/// Who made a call and what it asked, for its record.
pub(super) struct CallStart<'a> {
    pub call_id: uuid::Uuid,
    pub started: Instant,
    pub start_time: DateTime<Utc>,
    pub principal: &'a Principal,
    pub controls: &'a Controls,
    pub stream: bool,
    /// The customer the call is for.
    pub end_user: Option<String>,
    /// LiteLLM's name for the kind of call (`acompletion`, `aembedding`, ...).
    pub call_type: &'static str,
    pub route: &'static str,
    /// The trace the client's call belongs to (its `traceparent`), recorded with the call: a
    /// harness turn finds its model calls by it.
    pub trace_id: Option<String>,
}

impl CallLog {
    pub(super) fn new(
        gateway: &Gateway,
        call: &CallStart<'_>,
        admission: Admission,
        deployment: Arc<Deployment>,
        alias: Arc<str>,
        span: Option<RequestSpan>,
    ) -> CallLog {
        let mut span = span;
        if let Some(span) = &mut span {
            span.caller(&Caller {
                key_alias: admission.key_alias.as_deref(),
                team_id: admission.team_id.as_deref(),
                user_id: admission.user_id.as_deref(),
                end_user: call.end_user.as_deref(),
                call_id: &call.call_id.to_string(),
            });
        }
        CallLog {
            call_id: call.call_id,
            requested: alias.clone(),
            alias,
            prices: None,
            deployment,
            in_flight: None,
            started: call.started,
            start_time: call.start_time,
            stream: call.stream,
            status: 0,
            completed: false,
            usage_slot: None,
            usage: None,
            response_id: None,
            error: None,
            admission,
            spend: gateway.spend.clone(),
            events: gateway.events.clone(),
            master: call.principal.key().is_none(),
            end_user: call.end_user.clone(),
            attempted_retries: 0,
            attempted_fallbacks: 0,
            tags: call.controls.tags.clone(),
            requester_metadata: call.controls.metadata.clone(),
            trace_id: call.trace_id.clone(),
            call_type: call.call_type,
            route: call.route,
            telemetry: gateway.telemetry.clone(),
            series: None,
            span,
            answering_since: None,
            time_to_first_token: None,
            overhead: None,
        }
    }

    /// Who made the call, as metrics label it.
    pub(super) fn labels(&self) -> CallLabels<'_> {
        let a = &self.admission;
        CallLabels {
            end_user: self.end_user.as_deref().unwrap_or(""),
            hashed_api_key: a.key_token.as_deref().unwrap_or(""),
            api_key_alias: a.key_alias.as_deref().unwrap_or(""),
            team: a.team_id.as_deref().unwrap_or(""),
            team_alias: a.team.as_ref().and_then(|t| t.record.team_alias.as_deref()).unwrap_or(""),
            user: a.user_id.as_deref().unwrap_or(""),
            requested_model: &self.requested,
        }
    }

    /// An attempt on the current deployment failed with `error`; it cooled down if `cooled`.
    pub(super) fn attempt_failed(&mut self, error: &GatewayError, cooled: bool) {
        let status = error.status();
        let deployment = deployment_labels(&self.deployment);
        self.telemetry.metrics.attempt_failed(&self.labels(), &deployment, status);
        if cooled {
            self.telemetry.metrics.cooled_down(&deployment, status);
        }
        if let Some(span) = &mut self.span {
            span.attempt_failed(status, &error.to_string());
        }
    }

    /// The current attempt answered.
    pub(super) fn attempt_answered(&mut self, since: Instant) {
        self.answering_since = Some(since);
        let limits = self.admission.key_rate.as_ref().map(|r| (r.rpm_limit.is_some(), r.tpm_limit.is_some()));
        let series = self.telemetry.metrics.attempt_answered(
            &self.labels(),
            &deployment_labels(&self.deployment),
            &self.alias,
            self.route,
            limits.unwrap_or_default(),
        );
        self.series = series;
    }

    /// A fallback group answered (or failed too) after the requested group failed with `status`.
    pub(super) fn fallback(&self, fallback_group: &str, status: u16, succeeded: bool) {
        self.telemetry.metrics.fallback(&self.labels(), fallback_group, status, succeeded);
    }

    /// The call is (again) trying `deployment`, as `alias`.
    pub(super) fn attempt_on(&mut self, deployment: Arc<Deployment>, alias: Arc<str>, prices: Option<TokenPrices>) {
        self.prices = prices;
        self.series = None;
        self.in_flight = Some(deployment.health.start());
        if let Some(span) = &mut self.span {
            let entry = &deployment.entry;
            span.attempt(&entry.provider, &entry.provider_model, &entry.id, entry.params.api_base.as_deref());
        }
        self.deployment = deployment;
        self.alias = alias;
    }

    pub(super) fn finish(&mut self, status: u16, usage: Option<Usage>) {
        self.status = status;
        self.completed = true;
        if usage.is_some() {
            self.usage = usage;
        }
    }

    pub(super) fn fail(&mut self, error: GatewayError) -> GatewayError {
        self.status = error.status();
        self.completed = true;
        self.error = Some(error.to_string());
        error
    }
}

impl CallLog {
    /// Metrics and spans of the finished call.
    fn report(&mut self, usage: &Usage, cost: f64, response_id: Option<&str>, now: DateTime<Utc>) {
        // A stream that started answered 200, whatever came after; a call the client left
        // before any answer is nginx's 499.
        let status = match self.status {
            0 if self.usage_slot.is_some() => 200,
            0 => 499,
            s => s,
        };
        let deployment = deployment_labels(&self.deployment);
        let labels = self.labels();
        let outcome = CallOutcome {
            status,
            input_tokens: usage.prompt_tokens,
            output_tokens: usage.completion_tokens,
            spend: cost,
            total_latency: self.started.elapsed(),
            llm_latency: self.answering_since.map(|t| t.elapsed()),
            time_to_first_token: self.time_to_first_token,
            overhead: self.overhead,
            remaining: self.admission.key_rate.as_ref().map(|rate| rate.remaining(now)),
        };
        self.telemetry.metrics.call(&labels, &deployment, &self.alias, self.route, &outcome, self.series.as_ref());
        if let Some(span) = self.span.take() {
            span.finish(&Finish {
                status,
                input_tokens: usage.prompt_tokens,
                output_tokens: usage.completion_tokens,
                cost,
                response_model: Some(&self.deployment.entry.provider_model),
                response_id,
                error: self.error.as_deref(),
            });
        }
    }
}

/// A deployment as metrics label it.
pub(super) fn deployment_labels(deployment: &Deployment) -> DeploymentLabels<'_> {
    let entry = &deployment.entry;
    DeploymentLabels {
        litellm_model_name: &entry.model,
        model_id: &entry.id,
        api_base: entry.params.api_base.as_deref().unwrap_or(""),
        api_provider: &entry.provider,
    }
}

impl Drop for CallLog {
    fn drop(&mut self) {
        let slot = self.usage_slot.as_ref();
        let usage = self.usage.or_else(|| slot.and_then(|u| u.get())).unwrap_or_default();
        let response_id = self.response_id.take().or_else(|| slot.and_then(|u| u.response_id()));
        let outcome = if self.completed { "completed" } else { "client_disconnected" };
        let latency_ms = self.started.elapsed().as_millis() as u64;
        let cost = self.prices.map(|p| p.cost(&usage)).unwrap_or(0.0);
        let now = Utc::now();
        self.admission.charge(cost, usage.total_tokens, now);
        self.deployment.health.add_tokens(usage.total_tokens);
        tracing::info!(
            target: "switchboard::request",
            call_id = %self.call_id,
            model = %self.alias,
            deployment = %self.deployment.entry.id,
            provider = %self.deployment.entry.provider,
            key = self.admission.key_alias.as_deref().unwrap_or(if self.master { "master" } else { "" }),
            stream = self.stream,
            call_type = self.call_type,
            status = self.status,
            outcome,
            latency_ms,
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            cost,
            error = self.error.as_deref().unwrap_or(""),
            "chat completion"
        );
        self.report(&usage, cost, response_id.as_deref(), now);
        let Some(sink) = &self.spend else { return };
        let status = if self.status == 200 { "success" } else { "failure" };
        let mut metadata = serde_json::Map::new();
        metadata.insert("litellm_call_id".into(), self.call_id.to_string().into());
        metadata.insert("user_api_key_alias".into(), self.admission.key_alias.clone().into());
        metadata.insert("user_api_key_team_id".into(), self.admission.team_id.clone().into());
        metadata.insert("user_api_key_user_id".into(), self.admission.user_id.clone().into());
        if let Some(org) = &self.admission.organization_id {
            metadata.insert(crate::store::ORG_ID_METADATA.into(), org.clone().into());
        }
        metadata.insert("status".into(), status.into());
        metadata.insert("outcome".into(), outcome.into());
        metadata.insert("stream".into(), self.stream.into());
        if self.attempted_retries > 0 {
            metadata.insert("attempted_retries".into(), self.attempted_retries.into());
        }
        if self.attempted_fallbacks > 0 {
            metadata.insert("attempted_fallbacks".into(), self.attempted_fallbacks.into());
        }
        if !self.tags.is_empty() {
            metadata.insert("tags".into(), std::mem::take(&mut self.tags).into());
        }
        if let Some(m) = self.requester_metadata.take() {
            metadata.insert("requester_metadata".into(), Value::Object(m));
        }
        if let Some(trace) = self.trace_id.take() {
            metadata.insert("trace_id".into(), trace.into());
        }
        if let Some(e) = &self.error {
            metadata
                .insert("error_information".into(), serde_json::json!({"error_message": e, "error_code": self.status}));
        }
        let end_time = format_time(now);
        let completion_start_time = match (self.answering_since, self.time_to_first_token) {
            (None, _) => None,
            // A stream's answer began with its first byte; a complete answer's at its end.
            (Some(since), Some(first_byte)) if self.stream => {
                let offset = since.saturating_duration_since(self.started) + first_byte;
                chrono::TimeDelta::from_std(offset)
                    .ok()
                    .and_then(|offset| self.start_time.checked_add_signed(offset))
                    .map(format_time)
            }
            (Some(_), _) => Some(end_time.clone()),
        };
        let entry = &self.deployment.entry;
        let log = SpendLog {
            // One row per call: upstreams may repeat their ids (mocks, some self-hosted servers).
            request_id: self.call_id.to_string(),
            response_id,
            call_type: self.call_type.into(),
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
            end_time,
            completion_start_time,
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
