//! What the gateway tells monitoring systems: LiteLLM's Prometheus metrics (`metrics`) and
//! OpenTelemetry traces (`otel`), fed by the request path when a call ends.

pub mod metrics;
pub mod otel;
mod scope;

pub use metrics::{CallLabels, CallOutcome, DeploymentLabels, Metrics};
pub use otel::{RequestSpan, TraceParent, Tracing};
pub use scope::{Tracked, mark_seen_by_gateway, seen_by_gateway, track};

/// The gateway's metrics and, when configured, its trace exporter.
#[derive(Debug)]
pub struct Telemetry {
    pub metrics: Metrics,
    pub tracing: Option<Tracing>,
}
