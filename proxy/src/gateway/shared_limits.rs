//! Rate limits shared by the replicas through Redis (`router_settings.redis_*` / `REDIS_URL`):
//! requests and tokens per minute and calls in flight, for every key, team, user, organization,
//! membership and customer that has such a limit. One Lua script checks and counts all of a
//! call's limits atomically, so `rpm_limit` and `max_parallel_requests` hold across replicas
//! exactly, and `tpm_limit` to within the calls in flight (tokens are counted when a call ends).
//!
//! Calls whose principals have none of these limits never reach Redis. The replica's own
//! counters go on counting too: they are what limits the calls while Redis is away (a warning,
//! `switchboard_redis_up 0`, `switchboard_redis_fallbacks_total`), and no call fails because it
//! is; a probe finds it back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret, SecretString};

/// How long a call waits for Redis before it is taken as away.
const TIMEOUT: Duration = Duration::from_millis(250);
/// How often a probe tries Redis again while it is away.
const PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// Minute windows outlive their minute a little (a replica's clock may lag).
const WINDOW_TTL_SECONDS: u64 = 120;
/// A replica that died with calls in flight leaves them counted at most this long.
const IN_FLIGHT_TTL_SECONDS: u64 = 600;

/// Checks every limit first, then counts: a refusal counts nothing. Per limited entity, three
/// keys (requests this minute, calls in flight, tokens this minute) and three limits (-1: none).
const ADMIT: &str = r"
local n = #KEYS / 3
for i = 1, n do
  local rpm, par, tpm = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i])
  if tpm >= 0 and tonumber(redis.call('GET', KEYS[3*i]) or '0') >= tpm then return {i, 3} end
  if par >= 0 and tonumber(redis.call('GET', KEYS[3*i-1]) or '0') >= par then return {i, 2} end
  if rpm >= 0 and tonumber(redis.call('GET', KEYS[3*i-2]) or '0') >= rpm then return {i, 1} end
end
for i = 1, n do
  if tonumber(ARGV[3*i-2]) >= 0 then
    redis.call('INCR', KEYS[3*i-2])
    redis.call('EXPIRE', KEYS[3*i-2], ARGV[#ARGV-1])
  end
  if tonumber(ARGV[3*i-1]) >= 0 then
    redis.call('INCR', KEYS[3*i-1])
    redis.call('EXPIRE', KEYS[3*i-1], ARGV[#ARGV])
  end
end
return {0, 0}
";

/// Takes calls in flight back, never below zero (a key that expired meanwhile stays gone).
const RELEASE: &str = r"
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
";

/// One entity a call counts against, with its per-minute and concurrency limits.
#[derive(Debug, Clone)]
pub struct Limited {
    /// `key:<hash>`, `team:<id>`, ... (unique across kinds).
    pub subject: String,
    /// As refusals name it (`Key=...`, `Team=...`).
    pub label: String,
    pub rpm: Option<u64>,
    pub max_parallel: Option<u64>,
    pub tpm: Option<u64>,
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Requests,
    Parallel,
    Tokens,
}

pub struct SharedLimits {
    redis: ConnectionManager,
    admit: redis::Script,
    release: redis::Script,
    /// False from a failed call until the probe reaches Redis again.
    up: AtomicBool,
    probing: AtomicBool,
    fallbacks: AtomicU64,
}

/// Where a call's shared limits are held until it ends.
pub struct Held {
    limits: Arc<SharedLimits>,
    in_flight: Vec<String>,
    tokens: Vec<String>,
}

impl SharedLimits {
    /// Connects lazily: a Redis that is away at boot is taken as away, not as an error.
    pub fn new(url: &SecretString) -> Result<Arc<SharedLimits>, String> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| format!("router_settings.redis_* / REDIS_URL: not a Redis address ({e})"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("Redis for shared rate limits: {e}"))?;
        Ok(Arc::new(SharedLimits {
            redis,
            admit: redis::Script::new(ADMIT),
            release: redis::Script::new(RELEASE),
            up: AtomicBool::new(true),
            probing: AtomicBool::new(false),
            fallbacks: AtomicU64::new(0),
        }))
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Calls limited by this replica's counters alone because Redis was away.
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Checks and counts `limited` across the replicas. `Ok(None)`: Redis is away, the
    /// replica's own counters decided.
    pub async fn admit(
        self: &Arc<Self>,
        limited: &[Limited],
        now: DateTime<Utc>,
    ) -> Result<Option<Held>, (usize, Refusal)> {
        if !self.is_up() {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        let minute = now.timestamp().max(0) / 60;
        let mut invocation = self.admit.prepare_invoke();
        for l in limited {
            invocation
                .key(format!("switchboard:rpm:{}:{minute}", l.subject))
                .key(format!("switchboard:par:{}", l.subject))
                .key(format!("switchboard:tpm:{}:{minute}", l.subject));
            for limit in [l.rpm, l.max_parallel, l.tpm] {
                invocation.arg(limit.map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX)));
            }
        }
        invocation.arg(WINDOW_TTL_SECONDS).arg(IN_FLIGHT_TTL_SECONDS);
        let mut redis = self.redis.clone();
        let mut answer: Result<(usize, u8), redis::RedisError> = invocation.invoke_async(&mut redis).await;
        // A connection that broke while nothing used it (Redis restarted): the manager has
        // reconnected by now; once more before taking Redis as away.
        if answer.as_ref().is_err_and(|e| e.is_io_error() || e.is_connection_dropped()) {
            answer = invocation.invoke_async(&mut redis).await;
        }
        match answer {
            Ok((0, _)) => Ok(Some(Held {
                limits: self.clone(),
                in_flight: limited
                    .iter()
                    .filter(|l| l.max_parallel.is_some())
                    .map(|l| format!("switchboard:par:{}", l.subject))
                    .collect(),
                tokens: limited
                    .iter()
                    .filter(|l| l.tpm.is_some())
                    .map(|l| format!("switchboard:tpm:{}:{minute}", l.subject))
                    .collect(),
            })),
            Ok((i, which)) => Err((
                i.saturating_sub(1),
                match which {
                    1 => Refusal::Requests,
                    2 => Refusal::Parallel,
                    _ => Refusal::Tokens,
                },
            )),
            Err(e) => {
                self.away(&e);
                Ok(None)
            }
        }
    }

    fn away(self: &Arc<Self>, error: &redis::RedisError) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "Redis is away ({error}): rate limits are this replica's own until it is back (requests keep flowing)"
            );
        }
        if self.probing.swap(true, Ordering::Relaxed) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_INTERVAL).await;
                let mut redis = this.redis.clone();
                let pong: Result<String, redis::RedisError> = redis::cmd("PING").query_async(&mut redis).await;
                if pong.is_ok() {
                    this.up.store(true, Ordering::Relaxed);
                    this.probing.store(false, Ordering::Relaxed);
                    tracing::info!("Redis is back: rate limits are shared by the replicas again");
                    return;
                }
            }
        });
    }
}

impl Held {
    /// Counts a finished call's tokens in this minute's windows.
    pub fn add_tokens(&self, tokens: u64) {
        if tokens == 0 || self.tokens.is_empty() {
            return;
        }
        let (limits, keys) = (self.limits.clone(), self.tokens.clone());
        spawn(async move {
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.incr(key, tokens).ignore().expire(key, WINDOW_TTL_SECONDS as i64).ignore();
            }
            let mut redis = limits.redis.clone();
            if let Err(e) = pipe.query_async::<()>(&mut redis).await {
                limits.away(&e);
            }
        });
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.in_flight.is_empty() {
            return;
        }
        let (limits, keys) = (self.limits.clone(), std::mem::take(&mut self.in_flight));
        spawn(async move {
            let mut invocation = limits.release.prepare_invoke();
            for key in &keys {
                invocation.key(key);
            }
            let mut redis = limits.redis.clone();
            if let Err(e) = invocation.invoke_async::<i64>(&mut redis).await {
                limits.away(&e);
            }
        });
    }
}

/// Runs `work` on the runtime when there is one (a call's end always is on it).
fn spawn(work: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(work);
    }
}
