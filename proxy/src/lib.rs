//! Switchboard: a LiteLLM-compatible LLM gateway.
//!
//! The layers, from the outside in: [`http`] (protocol only) → [`gateway`] (the request path)
//! → [`providers`] (one module per upstream). [`config`] is read once at boot; [`auth`] decides
//! who is calling. [`messages`] serves Anthropic's Messages API over the chat path. [`telemetry`]
//! reports what the request path does (Prometheus metrics, OpenTelemetry traces).

pub mod admin;
pub mod auth;
pub mod aws;
pub mod config;
pub mod gateway;
pub mod http;
pub mod http_client;
pub mod limits;
pub mod logs;
pub mod master_key;
pub mod messages;
pub mod providers;
pub mod redact;
pub mod replicas;
pub mod responses;
pub mod schema;
pub mod server;
pub mod spend;
pub mod store;
pub mod telemetry;
pub mod time;

/// The version reported by `/health/readiness`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
