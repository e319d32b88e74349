//! Logging: lines to stderr, and the most recent ones kept in memory for the panel's log view.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::OnceLock;

use parking_lot::Mutex;

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Lines kept for `/switchboard/logs`.
const CAPACITY: usize = 1000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogLine {
    pub ts: String,
    pub level: String,
    pub target: String,
    pub message: String,
}

fn ring() -> &'static Mutex<VecDeque<LogLine>> {
    static RING: OnceLock<Mutex<VecDeque<LogLine>>> = OnceLock::new();
    RING.get_or_init(|| Mutex::new(VecDeque::with_capacity(CAPACITY)))
}

/// The most recent log lines, oldest first.
pub fn recent(limit: usize) -> Vec<LogLine> {
    let r = ring().lock();
    r.iter().skip(r.len().saturating_sub(limit)).cloned().collect()
}

/// A layer that copies each event into the in-memory ring.
pub struct RingLayer;

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for RingLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let meta = event.metadata();
        let line = LogLine {
            ts: crate::time::format_time(chrono::Utc::now()),
            level: meta.level().to_string(),
            target: meta.target().to_string(),
            message: fields.0,
        };
        let mut r = ring().lock();
        if r.len() == CAPACITY {
            r.pop_front();
        }
        r.push_back(line);
    }
}

/// Sets up logging for a process that runs the gateway: `SWITCHBOARD_LOG` / `RUST_LOG` levels
/// (default `info`), lines to stderr (JSON with `json`), and the ring for the panel.
pub fn init(json: bool) {
    let filter = || {
        EnvFilter::try_from_env("SWITCHBOARD_LOG")
            .or_else(|_| EnvFilter::try_from_default_env())
            .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(RingLayer.with_filter(filter()));
    let result = if json {
        registry.with(stderr.json().with_filter(filter())).try_init()
    } else {
        registry.with(stderr.with_filter(filter())).try_init()
    };
    if result.is_err() {
        tracing::debug!("logging was already set up");
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn events_land_in_the_ring_with_their_fields() {
        let subscriber = tracing_subscriber::registry().with(super::RingLayer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "switchboard::request", model = "claude-haiku", status = 200u16, "chat completion");
        });
        let last = super::recent(1).pop().unwrap();
        assert_eq!(last.level, "INFO");
        assert_eq!(last.target, "switchboard::request");
        assert!(last.message.starts_with("chat completion"), "{}", last.message);
        assert!(last.message.contains("model=claude-haiku") && last.message.contains("status=200"), "{}", last.message);
    }
}
