//! What the router knows about each deployment, in memory: calls in flight, this minute's
//! requests, tokens, successes and failures, recent latency, and whether it is cooling down
//! after failures (LiteLLM's cooldowns).

use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::config::RouterSettings;

/// One deployment's live state, behind one short lock taken when a call starts, answers and ends.
#[derive(Debug, Default)]
pub struct DeploymentHealth {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    in_flight: u32,
    /// Wall-clock minute the counters below are for.
    minute: u64,
    requests: u64,
    tokens: u64,
    successes: u64,
    failures: u64,
    /// Seconds per completion token of complete answers (exponentially weighted).
    latency_per_token: Option<f64>,
    /// Seconds to the first byte of streams (exponentially weighted).
    time_to_first_token: Option<f64>,
    cooldown_until: Option<Instant>,
    /// The latest call failed (LiteLLM's "partial outage").
    last_failed: bool,
    /// What the other replicas' calls carry on this deployment, as they last said.
    peers: ReplicaLoad,
}

/// What one replica's calls (this one's, or the others' together) carry on a deployment, as
/// the replicas tell each other (see `shared_routing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicaLoad {
    pub in_flight: u32,
    /// The minute `requests` and `tokens` count in.
    pub minute: u64,
    pub requests: u64,
    pub tokens: u64,
}

impl State {
    fn roll(&mut self, minute: u64) {
        if self.minute != minute {
            *self = State {
                in_flight: self.in_flight,
                minute,
                latency_per_token: self.latency_per_token,
                time_to_first_token: self.time_to_first_token,
                cooldown_until: self.cooldown_until,
                last_failed: self.last_failed,
                peers: self.peers,
                ..State::default()
            };
        }
    }
}

/// How much a new latency sample moves the average.
const LATENCY_WEIGHT: f64 = 0.3;

pub fn current_minute() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() / 60).unwrap_or(0)
}

fn blend(old: Option<f64>, sample: f64) -> Option<f64> {
    Some(match old {
        Some(o) => o + LATENCY_WEIGHT * (sample - o),
        None => sample,
    })
}

/// A snapshot for the routing strategies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    pub in_flight: u32,
    pub requests: u64,
    pub tokens: u64,
    pub latency_per_token: Option<f64>,
    pub time_to_first_token: Option<f64>,
}

/// What a failure says about a deployment, for the cooldown rules.
#[derive(Debug, Clone, Copy)]
pub struct Failure {
    /// The HTTP status LiteLLM maps the failure to.
    pub status: u16,
    /// Other deployments serve the same group (an only deployment never cools down).
    pub group_has_others: bool,
}

impl DeploymentHealth {
    pub fn cooling_down(&self, now: Instant) -> bool {
        self.state.lock().cooldown_until.is_some_and(|until| until > now)
    }

    /// LiteLLM's `litellm_deployment_state`: 0 healthy, 1 partial outage (the latest call
    /// failed), 2 complete outage (cooling down).
    pub fn state(&self, now: Instant) -> u8 {
        let s = self.state.lock();
        if s.cooldown_until.is_some_and(|until| until > now) {
            2
        } else if s.last_failed {
            1
        } else {
            0
        }
    }

    /// This replica's load and, with Redis, the other replicas'.
    pub fn load(&self) -> Load {
        let mut s = self.state.lock();
        s.roll(current_minute());
        let (peer_requests, peer_tokens) =
            if s.peers.minute == s.minute { (s.peers.requests, s.peers.tokens) } else { (0, 0) };
        Load {
            in_flight: s.in_flight.saturating_add(s.peers.in_flight),
            requests: s.requests + peer_requests,
            tokens: s.tokens + peer_tokens,
            latency_per_token: s.latency_per_token,
            time_to_first_token: s.time_to_first_token,
        }
    }

    /// This replica's own load, to tell the others.
    pub fn own_load(&self) -> ReplicaLoad {
        let mut s = self.state.lock();
        s.roll(current_minute());
        ReplicaLoad { in_flight: s.in_flight, minute: s.minute, requests: s.requests, tokens: s.tokens }
    }

    pub fn set_peers(&self, peers: ReplicaLoad) {
        self.state.lock().peers = peers;
    }

    /// Another replica cooled the deployment down until `until`.
    pub fn rest_until(&self, until: Instant) {
        let mut s = self.state.lock();
        if s.cooldown_until.is_none_or(|own| own < until) {
            s.cooldown_until = Some(until);
        }
    }

    /// A call starts on this deployment; the guard ends it.
    pub fn start(self: &std::sync::Arc<Self>) -> InFlight {
        let mut s = self.state.lock();
        s.roll(current_minute());
        s.in_flight += 1;
        s.requests += 1;
        InFlight { health: self.clone() }
    }

    /// A call answered: its first byte after `first_byte`; a complete answer reports its
    /// completion tokens for the per-token latency.
    pub fn succeeded(&self, first_byte: Duration, stream: bool, completion_tokens: Option<u64>) {
        let mut s = self.state.lock();
        s.roll(current_minute());
        s.successes += 1;
        s.last_failed = false;
        let secs = first_byte.as_secs_f64();
        if stream {
            s.time_to_first_token = blend(s.time_to_first_token, secs);
        } else {
            let per_token = secs / completion_tokens.unwrap_or(1).max(1) as f64;
            s.latency_per_token = blend(s.latency_per_token, per_token);
        }
    }

    /// Tokens a finished call used, for usage-based routing.
    pub fn add_tokens(&self, tokens: u64) {
        let mut s = self.state.lock();
        s.roll(current_minute());
        s.tokens += tokens;
    }

    /// Records a failure and cools the deployment down when LiteLLM's rules say so. Returns
    /// whether it now cools down.
    pub fn failed(&self, failure: Failure, settings: &RouterSettings, own_cooldown: Option<Duration>) -> bool {
        let mut s = self.state.lock();
        s.roll(current_minute());
        s.failures += 1;
        s.last_failed = true;
        if settings.disable_cooldowns || !failure.group_has_others || !cooldown_required(failure.status) {
            return false;
        }
        let cool = match settings.allowed_fails {
            Some(allowed) => s.failures > u64::from(allowed),
            None => {
                let total = s.successes + s.failures;
                // One failed first call says little about a deployment.
                total > 1
                    && (s.failures as f64 / total as f64 > FAILURE_THRESHOLD || matches!(failure.status, 401 | 404))
            }
        };
        if cool {
            s.cooldown_until = Some(Instant::now() + own_cooldown.unwrap_or(settings.cooldown_time));
        }
        cool
    }
}

/// LiteLLM's `DEFAULT_FAILURE_THRESHOLD_PERCENT`.
const FAILURE_THRESHOLD: f64 = 0.5;

/// Failures that say something about the deployment rather than the request (LiteLLM's
/// `_is_cooldown_required`): rate limits, bad credentials, a missing model, timeouts, and
/// server errors; other 4xx are the caller's.
fn cooldown_required(status: u16) -> bool {
    matches!(status, 401 | 404 | 408 | 429) || status >= 500
}

/// A call in flight on a deployment (least-busy routing counts these).
pub struct InFlight {
    health: std::sync::Arc<DeploymentHealth>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.health.state.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_other_replicas_load_adds_to_this_one_s_in_their_minute_only() {
        let h = Arc::new(DeploymentHealth::default());
        let _call = h.start();
        h.add_tokens(10);
        let minute = current_minute();
        h.set_peers(ReplicaLoad { in_flight: 2, minute, requests: 5, tokens: 100 });
        let load = h.load();
        assert_eq!((load.in_flight, load.requests, load.tokens), (3, 6, 110));
        assert_eq!(h.own_load(), ReplicaLoad { in_flight: 1, minute, requests: 1, tokens: 10 });
        // Counts of another minute are over; calls in flight still are.
        h.set_peers(ReplicaLoad { in_flight: 2, minute: minute.saturating_sub(1), requests: 5, tokens: 100 });
        let load = h.load();
        assert_eq!((load.in_flight, load.requests, load.tokens), (3, 1, 10));
        let until = Instant::now() + Duration::from_secs(30);
        h.rest_until(until);
        assert!(h.cooling_down(Instant::now()));
        // An earlier end does not shorten a rest.
        h.rest_until(Instant::now());
        assert!(h.cooling_down(Instant::now() + Duration::from_secs(29)));
    }

    fn settings() -> RouterSettings {
        RouterSettings::default()
    }

    const SHARED: Failure = Failure { status: 500, group_has_others: true };

    #[test]
    fn a_first_failure_does_not_cool_down_but_a_failing_majority_does() {
        let h = DeploymentHealth::default();
        assert!(!h.failed(SHARED, &settings(), None), "one failed call out of one");
        assert!(h.failed(SHARED, &settings(), None), "two out of two");
        assert!(h.cooling_down(Instant::now()));
        assert!(!h.cooling_down(Instant::now() + Duration::from_secs(6)), "5 s by default");
    }

    #[test]
    fn successes_keep_a_deployment_in_service() {
        let h = DeploymentHealth::default();
        for _ in 0..3 {
            h.succeeded(Duration::from_millis(10), false, Some(10));
        }
        assert!(!h.failed(SHARED, &settings(), None));
        assert!(!h.failed(SHARED, &settings(), None), "2 of 5 failed");
        assert!(!h.failed(SHARED, &settings(), None), "3 of 6 is not more than half");
        assert!(h.failed(SHARED, &settings(), None), "4 of 7");
    }

    #[test]
    fn only_deployments_caller_errors_and_disabled_cooldowns_never_cool() {
        let h = DeploymentHealth::default();
        let alone = Failure { status: 500, group_has_others: false };
        for _ in 0..5 {
            assert!(!h.failed(alone, &settings(), None));
        }
        let bad_request = Failure { status: 400, group_has_others: true };
        let h = DeploymentHealth::default();
        for _ in 0..5 {
            assert!(!h.failed(bad_request, &settings(), None));
        }
        let off = RouterSettings { disable_cooldowns: true, ..settings() };
        let h = DeploymentHealth::default();
        for _ in 0..5 {
            assert!(!h.failed(SHARED, &off, None));
        }
    }

    #[test]
    fn allowed_fails_and_a_deployments_own_cooldown_time() {
        let policy = RouterSettings { allowed_fails: Some(2), ..settings() };
        let h = DeploymentHealth::default();
        assert!(!h.failed(SHARED, &policy, None));
        assert!(!h.failed(SHARED, &policy, None));
        assert!(h.failed(SHARED, &policy, Some(Duration::from_secs(60))), "the third failure is one too many");
        assert!(h.cooling_down(Instant::now() + Duration::from_secs(30)));
    }

    #[test]
    fn load_counts_calls_in_flight_and_this_minutes_usage() {
        let h = Arc::new(DeploymentHealth::default());
        let a = h.start();
        let b = h.start();
        assert_eq!(h.load().in_flight, 2);
        drop(a);
        h.add_tokens(120);
        let load = h.load();
        assert_eq!((load.in_flight, load.requests, load.tokens), (1, 2, 120));
        drop(b);
        assert_eq!(h.load().in_flight, 0);
        h.succeeded(Duration::from_millis(200), false, Some(100));
        h.succeeded(Duration::from_millis(300), true, None);
        let load = h.load();
        assert!((load.latency_per_token.unwrap() - 0.002).abs() < 1e-9);
        assert!((load.time_to_first_token.unwrap() - 0.3).abs() < 1e-9);
    }
}
