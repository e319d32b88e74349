//! The record of one call that reached a provider, written when the call is over whichever way
//! it ended (the log line, the charge to the caller's limits, the deployment's usage, the spend
//! row), and the stream wrapper that ends it for streamed answers.

use std::sync::Arc;
use std::time::Instant;

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
    call_type: &'static str,
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
}

impl CallLog {
    pub(super) fn new(
        gateway: &Gateway,
        call: &CallStart<'_>,
        admission: Admission,
        deployment: Arc<Deployment>,
        alias: Arc<str>,
    ) -> CallLog {
        CallLog {
            call_id: call.call_id,
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
            call_type: call.call_type,
        }
    }

    /// The call is (again) trying `deployment`, as `alias`.
    pub(super) fn attempt_on(&mut self, deployment: Arc<Deployment>, alias: Arc<str>, prices: Option<TokenPrices>) {
        self.prices = prices;
        self.in_flight = Some(deployment.health.start());
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
        if let Some(e) = &self.error {
            metadata
                .insert("error_information".into(), serde_json::json!({"error_message": e, "error_code": self.status}));
        }
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
