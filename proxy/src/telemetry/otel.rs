//! OpenTelemetry traces: a span per request (kind SERVER) with a child span per upstream attempt
//! (kind CLIENT), named and attributed after the GenAI semantic conventions, continued from the
//! client's `traceparent` and exported in batches over OTLP/HTTP with the gateway's own HTTP
//! client. Off unless configured: then no span is ever built.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::SystemTime;

use bytes::Bytes;
use opentelemetry::trace::{
    Span as _, SpanContext, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, Span, Tracer};
use secrecy::ExposeSecret;

use crate::config::OtelSettings;
use crate::http_client::{HttpClient, TransportError};

/// The trace a request continues (from its `traceparent`), if any.
#[derive(Debug, Clone)]
pub struct TraceParent(SpanContext);

impl TraceParent {
    /// W3C Trace Context from request headers; `None` when absent or malformed.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<TraceParent> {
        use opentelemetry::propagation::TextMapPropagator;
        // Most requests carry none: skip the propagator's parse on the request path (the name
        // made once, not parsed per request).
        static TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");
        if !headers.contains_key(&TRACEPARENT) {
            return None;
        }
        let propagator = opentelemetry_sdk::propagation::TraceContextPropagator::new();
        let cx = propagator.extract(&opentelemetry_http::HeaderExtractor(headers));
        let span = cx.span().span_context().clone();
        span.is_valid().then_some(TraceParent(span))
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        self.0.trace_id().to_string()
    }
}

/// The trace exporter, for the gateway's lifetime.
pub struct Tracing {
    provider: SdkTracerProvider,
    tracer: Tracer,
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tracing")
    }
}

/// Sends the exporter's requests with the gateway's HTTP client. The batch processor runs on a
/// thread of its own, outside tokio, so each request is spawned onto the runtime that started
/// the gateway.
struct Exporter {
    http: HttpClient,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Exporter")
    }
}

/// How long one export may take.
const EXPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for Exporter {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, opentelemetry_http::HttpError> {
        let http = self.http.clone();
        let (parts, body) = request.into_parts();
        let sent = self.runtime.spawn(async move {
            let mut builder = http.request(parts.method, parts.uri).body(body);
            for (name, value) in &parts.headers {
                builder = builder.header(name.clone(), value.clone());
            }
            let exchange = async {
                let mut response = builder.send().await?;
                let status = response.status();
                let mut bytes = Vec::new();
                while let Some(chunk) = response.chunk().await? {
                    bytes.extend_from_slice(&chunk);
                }
                Ok::<_, TransportError>((status, Bytes::from(bytes)))
            };
            match tokio::time::timeout(EXPORT_TIMEOUT, exchange).await {
                Ok(done) => done.map_err(opentelemetry_http::HttpError::from),
                Err(_) => Err(format!("no answer within {} s", EXPORT_TIMEOUT.as_secs()).into()),
            }
        });
        let (status, bytes) = sent.await??;
        let mut response = http::Response::new(bytes);
        *response.status_mut() = status;
        Ok(response)
    }
}

impl Tracing {
    /// Starts the exporter; needs a tokio runtime.
    pub fn start(settings: &OtelSettings, http: HttpClient) -> Result<Tracing, String> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| format!("OpenTelemetry: {e}"))?;
        let headers: HashMap<String, String> =
            settings.headers.iter().map(|(k, v)| (k.clone(), v.expose_secret().to_string())).collect();
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(Exporter { http, runtime })
            .with_endpoint(settings.traces_endpoint.clone())
            .with_headers(headers)
            .build()
            .map_err(|e| format!("OpenTelemetry exporter for {}: {e}", settings.traces_endpoint))?;
        let batch = BatchConfigBuilder::default().with_scheduled_delay(settings.schedule_delay).build();
        let processor = BatchSpanProcessor::builder(exporter).with_batch_config(batch).build();
        let resource = Resource::builder()
            .with_service_name(settings.service_name.clone())
            .with_attribute(KeyValue::new("service.version", crate::VERSION))
            .build();
        let provider = SdkTracerProvider::builder().with_span_processor(processor).with_resource(resource).build();
        let tracer = provider.tracer("switchboard");
        Ok(Tracing { provider, tracer })
    }

    /// A request's span, started when the request arrived.
    pub fn request(
        &self,
        operation: &'static str,
        requested_model: &str,
        parent: Option<&TraceParent>,
        started: SystemTime,
    ) -> RequestSpan {
        let parent_cx = match parent {
            Some(TraceParent(span)) => Context::new().with_remote_span_context(span.clone()),
            None => Context::new(),
        };
        let span = self
            .tracer
            .span_builder(format!("{operation} {requested_model}"))
            .with_kind(SpanKind::Server)
            .with_start_time(started)
            .with_attributes([
                KeyValue::new("gen_ai.operation.name", operation),
                KeyValue::new("gen_ai.request.model", requested_model.to_string()),
            ])
            .start_with_context(&self.tracer, &parent_cx);
        RequestSpan(Box::new(SpanState { span, tracer: self.tracer.clone(), operation, attempt: None, attempts: 0 }))
    }

    /// Sends the spans still waiting; called when the gateway stops.
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!("OpenTelemetry: spans may be lost at shutdown: {e}");
        }
    }
}

/// The span of one request and of its current upstream attempt. Boxed: an SDK span is ~300
/// bytes, and a call's future carries this (usually `None`) through every await.
pub struct RequestSpan(Box<SpanState>);

struct SpanState {
    span: Span,
    tracer: Tracer,
    operation: &'static str,
    attempt: Option<Span>,
    attempts: u32,
}

/// The GenAI conventions' provider names.
fn provider_name(provider: &str) -> Cow<'static, str> {
    match provider {
        "bedrock" | "bedrock_converse" => "aws.bedrock".into(),
        "openai" | "openai_like" | "text-completion-openai" => "openai".into(),
        "anthropic" => "anthropic".into(),
        "azure" | "azure_ai" => "azure.ai.openai".into(),
        "gemini" => "gcp.gemini".into(),
        other => other.to_string().into(),
    }
}

/// What the gateway knows about the caller, recorded on the request span.
#[derive(Debug, Default)]
pub struct Caller<'a> {
    pub key_alias: Option<&'a str>,
    pub team_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub end_user: Option<&'a str>,
    pub call_id: &'a str,
}

impl RequestSpan {
    pub fn caller(&mut self, caller: &Caller<'_>) {
        self.0.span.set_attribute(KeyValue::new("litellm.call_id", caller.call_id.to_string()));
        for (name, value) in [
            ("litellm.api_key_alias", caller.key_alias),
            ("litellm.team_id", caller.team_id),
            ("litellm.user_id", caller.user_id),
            ("gen_ai.request.end_user", caller.end_user),
        ] {
            if let Some(v) = value {
                self.0.span.set_attribute(KeyValue::new(name, v.to_string()));
            }
        }
    }

    /// A new attempt on a deployment: the previous one (which failed) ends.
    pub fn attempt(&mut self, provider: &str, upstream_model: &str, deployment_id: &str, server: Option<&str>) {
        self.end_attempt(None);
        self.0.attempts += 1;
        let parent = Context::new().with_remote_span_context(self.0.span.span_context().clone());
        let mut attributes = vec![
            KeyValue::new("gen_ai.operation.name", self.0.operation),
            KeyValue::new("gen_ai.provider.name", provider_name(provider)),
            KeyValue::new("gen_ai.request.model", upstream_model.to_string()),
            KeyValue::new("litellm.model_id", deployment_id.to_string()),
            KeyValue::new("litellm.attempt", i64::from(self.0.attempts)),
        ];
        if let Some(host) =
            server.and_then(|url| reqwest::Url::parse(url).ok()).and_then(|u| u.host_str().map(str::to_string))
        {
            attributes.push(KeyValue::new("server.address", host));
        }
        let span = self
            .0
            .tracer
            .span_builder(format!("{} {upstream_model}", self.0.operation))
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start_with_context(&self.0.tracer, &parent);
        self.0.attempt = Some(span);
    }

    /// The attempt under way failed with `error` (the next attempt, if any, starts its own span).
    pub fn attempt_failed(&mut self, status: u16, error: &str) {
        self.end_attempt(Some((status, error)));
    }

    fn end_attempt(&mut self, failure: Option<(u16, &str)>) {
        if let Some(mut span) = self.0.attempt.take() {
            if let Some((status, error)) = failure {
                span.set_attribute(KeyValue::new("error.type", status.to_string()));
                span.set_status(Status::error(error.to_string()));
            }
            span.end();
        }
    }

    /// The request ended: usage, the answering model and the outcome go on both spans.
    pub fn finish(mut self, end: &Finish<'_>) {
        let mut attributes = vec![
            KeyValue::new("http.response.status_code", i64::from(end.status)),
            KeyValue::new("gen_ai.usage.input_tokens", end.input_tokens as i64),
            KeyValue::new("gen_ai.usage.output_tokens", end.output_tokens as i64),
        ];
        if let Some(model) = end.response_model {
            attributes.push(KeyValue::new("gen_ai.response.model", model.to_string()));
        }
        if let Some(id) = end.response_id {
            attributes.push(KeyValue::new("gen_ai.response.id", id.to_string()));
        }
        if let Some(mut attempt) = self.0.attempt.take() {
            for kv in &attributes {
                attempt.set_attribute(kv.clone());
            }
            if let Some(error) = end.error {
                attempt.set_attribute(KeyValue::new("error.type", end.status.to_string()));
                attempt.set_status(Status::error(error.to_string()));
            }
            attempt.end();
        }
        attributes.push(KeyValue::new("litellm.response_cost", end.cost));
        self.0.span.set_attributes(attributes);
        if let Some(error) = end.error {
            self.0.span.set_attribute(KeyValue::new("error.type", end.status.to_string()));
            self.0.span.set_status(Status::error(error.to_string()));
        }
        self.0.span.end();
    }
}

/// How a request ended, for its spans.
#[derive(Debug, Default)]
pub struct Finish<'a> {
    pub status: u16,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: f64,
    pub response_model: Option<&'a str>,
    pub response_id: Option<&'a str>,
    pub error: Option<&'a str>,
}
