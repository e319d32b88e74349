//! The seed article's check of a deployed gateway: `curl <service_url>/health/liveliness`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub const HEALTH_PATH: &str = "/health/liveliness";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    pub url: String,
    /// 200 with the gateway's answer.
    pub ok: bool,
    pub status: Option<u16>,
    pub body: Option<String>,
    pub error: Option<String>,
    pub attempts: u32,
}

/// Calls `<base>/health/liveliness` up to `attempts` times, `interval` apart, until it answers
/// 200 (a new ALB target can take a few seconds to be registered).
pub async fn check(base_url: &str, attempts: u32, interval: Duration) -> Health {
    let url = format!("{}{HEALTH_PATH}", base_url.trim_end_matches('/'));
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_else(|_| reqwest::Client::new());
    let mut last = Health { url: url.clone(), ok: false, status: None, body: None, error: None, attempts: 0 };
    for attempt in 1..=attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(interval).await;
        }
        last.attempts = attempt;
        match client.get(&url).send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let body = resp.text().await.unwrap_or_default();
                last.status = Some(status);
                last.body = Some(body.chars().take(500).collect());
                last.error = None;
                if status == 200 {
                    last.ok = true;
                    return last;
                }
            }
            Err(e) => {
                last.status = None;
                last.body = None;
                last.error = Some(error_chain(&e));
            }
        }
    }
    last
}

/// What a deployed Switchboard gateway says of itself on its public `/health/readiness`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Running {
    /// `switchboard_version`.
    pub version: Option<String>,
    /// The replicas that share its database, as the one that answered hears them.
    pub replicas: Option<u32>,
    /// `connected` or `away`: the Redis the replicas share limits through.
    pub redis: Option<String>,
}

/// Asks the gateway at `base_url`; `None` when it does not answer as Switchboard does.
pub async fn running(base_url: &str) -> Option<Running> {
    let url = format!("{}/health/readiness", base_url.trim_end_matches('/'));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().ok()?;
    let body: serde_json::Value = client.get(url).send().await.ok()?.error_for_status().ok()?.json().await.ok()?;
    let text = |field: &str| body.get(field).and_then(|v| v.as_str()).map(str::to_string);
    Some(Running {
        version: Some(text("switchboard_version")?),
        replicas: body.get("switchboard_replicas").and_then(|v| v.as_u64()).and_then(|n| u32::try_from(n).ok()),
        redis: text("switchboard_redis"),
    })
}

/// The version a Switchboard gateway at `base_url` runs; `None` when it does not say.
pub async fn running_version(base_url: &str) -> Option<String> {
    running(base_url).await.and_then(|r| r.version)
}

/// An error with its causes, `outer: inner: ...` (reqwest hides the useful part in them).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
