//! Limits shared by the replicas through Redis (`router_settings.redis_*` / `REDIS_URL`):
//! requests and tokens per minute, calls in flight and budgets, for every key, team, user,
//! organization, membership and customer that has such a limit. One Lua script checks and
//! counts all of a call's limits atomically, so `rpm_limit` and `max_parallel_requests` hold
//! across replicas exactly, and `tpm_limit` and `max_budget` to within the calls in flight
//! (tokens and cost are counted when a call ends).
//!
//! A budget's spend in Redis is the period's whole spend: seeded from the replica's own
//! counter (the database's spend and what it has heard since) when Redis has none, then
//! added to by every replica's calls as they end.
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
/// A budget's spend idle this long is read again from a replica's counter (by then every
/// replica's calls are in the database).
const SPEND_TTL_SECONDS: u64 = 86_400;
/// Where budgets' spends are kept (`<prefix><subject>:<period>`).
const SPEND_PREFIX: &str = "switchboard:spend:";

/// Checks every limit first, then counts: a refusal counts nothing. Per limited entity, four
/// keys (requests this minute, calls in flight, tokens this minute, the budget period's spend)
/// and six arguments (the three limits, -1: none; the budget, -1: none; `1` when a budget is
/// passed only above it; the spend to start from when Redis has none). Refused: `{entity,
/// which, spend}` (1 requests, 2 in flight, 3 tokens, 4 budget).
const ADMIT: &str = r"
local n = #KEYS / 4
local window_ttl, in_flight_ttl, spend_ttl = ARGV[#ARGV-2], ARGV[#ARGV-1], ARGV[#ARGV]
for i = 1, n do
  local k, a = 4*(i-1), 6*(i-1)
  local rpm, par, tpm, budget = tonumber(ARGV[a+1]), tonumber(ARGV[a+2]), tonumber(ARGV[a+3]), tonumber(ARGV[a+4])
  if budget >= 0 then
    local spend = redis.call('GET', KEYS[k+4])
    if not spend then
      spend = ARGV[a+6]
      redis.call('SET', KEYS[k+4], spend, 'EX', spend_ttl)
    end
    local s = tonumber(spend)
    if s > budget or (ARGV[a+5] ~= '1' and s >= budget) then return {i, 4, spend} end
  end
  if tpm >= 0 and tonumber(redis.call('GET', KEYS[k+3]) or '0') >= tpm then return {i, 3, ''} end
  if par >= 0 and tonumber(redis.call('GET', KEYS[k+2]) or '0') >= par then return {i, 2, ''} end
  if rpm >= 0 and tonumber(redis.call('GET', KEYS[k+1]) or '0') >= rpm then return {i, 1, ''} end
end
for i = 1, n do
  local k, a = 4*(i-1), 6*(i-1)
  if tonumber(ARGV[a+1]) >= 0 then
    redis.call('INCR', KEYS[k+1])
    redis.call('EXPIRE', KEYS[k+1], window_ttl)
  end
  if tonumber(ARGV[a+2]) >= 0 then
    redis.call('INCR', KEYS[k+2])
    redis.call('EXPIRE', KEYS[k+2], in_flight_ttl)
  end
end
return {0, 0, ''}
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
    /// `key`, `team`, `user`, `end_user`, ... (refusals word budgets by kind).
    pub kind: &'static str,
    /// As refusals name it (`Key=...`, `Team=...`).
    pub label: String,
    pub rpm: Option<u64>,
    pub max_parallel: Option<u64>,
    pub tpm: Option<u64>,
    pub budget: Option<Budget>,
}

/// A budget the replicas share.
#[derive(Debug, Clone)]
pub struct Budget {
    pub max: f64,
    /// Refused only once spend is above `max` (customers, as LiteLLM does), not at it.
    pub above_only: bool,
    /// This replica's spend for the entity: where Redis starts when it has none.
    pub spend: f64,
    /// The current period's end (Unix seconds, 0 without periods): a new period is a new count.
    pub period: i64,
}

/// The Redis key of a subject's spend in a budget period.
pub fn spend_key(subject: &str, period: i64) -> String {
    format!("{SPEND_PREFIX}{subject}:{period}")
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    Requests,
    Parallel,
    Tokens,
    /// Over budget, with the spend the replicas counted.
    Budget(f64),
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
    spend: Vec<String>,
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
            let period = l.budget.as_ref().map_or(0, |b| b.period);
            invocation
                .key(format!("switchboard:rpm:{}:{minute}", l.subject))
                .key(format!("switchboard:par:{}", l.subject))
                .key(format!("switchboard:tpm:{}:{minute}", l.subject))
                .key(spend_key(&l.subject, period));
            for limit in [l.rpm, l.max_parallel, l.tpm] {
                invocation.arg(limit.map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX)));
            }
            match &l.budget {
                // Lua reads numbers as doubles; Rust writes them without exponents.
                Some(b) => invocation.arg(b.max.to_string()).arg(u8::from(b.above_only)).arg(b.spend.to_string()),
                None => invocation.arg(-1).arg(0).arg(0),
            };
        }
        invocation.arg(WINDOW_TTL_SECONDS).arg(IN_FLIGHT_TTL_SECONDS).arg(SPEND_TTL_SECONDS);
        let mut redis = self.redis.clone();
        let mut answer: Result<(usize, u8, String), redis::RedisError> = invocation.invoke_async(&mut redis).await;
        // A connection that broke while nothing used it (Redis restarted): the manager has
        // reconnected by now; once more before taking Redis as away.
        if answer.as_ref().is_err_and(|e| e.is_io_error() || e.is_connection_dropped()) {
            answer = invocation.invoke_async(&mut redis).await;
        }
        match answer {
            Ok((0, _, _)) => Ok(Some(Held {
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
                spend: limited
                    .iter()
                    .filter_map(|l| l.budget.as_ref().map(|b| spend_key(&l.subject, b.period)))
                    .collect(),
            })),
            Ok((i, which, spend)) => Err((
                i.saturating_sub(1),
                match which {
                    1 => Refusal::Requests,
                    2 => Refusal::Parallel,
                    3 => Refusal::Tokens,
                    _ => Refusal::Budget(spend.parse().unwrap_or_default()),
                },
            )),
            Err(e) => {
                self.away(&e);
                Ok(None)
            }
        }
    }

    /// The connection, for the router's state the replicas share too.
    pub(super) fn connection(&self) -> ConnectionManager {
        self.redis.clone()
    }

    /// Takes Redis as away after `error` until the probe reaches it.
    pub(super) fn away(self: &Arc<Self>, error: &redis::RedisError) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "Redis is away ({error}): limits are this replica's own until it is back (requests keep flowing)"
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
                    // Calls that ended while Redis was away are missing from its spends: each
                    // starts again from a replica's counter, which has them once flushed.
                    if let Err(e) = this.forget_spends().await {
                        tracing::warn!("Redis is back but its budgets' spends could not be read again ({e})");
                    }
                    this.up.store(true, Ordering::Relaxed);
                    this.probing.store(false, Ordering::Relaxed);
                    tracing::info!("Redis is back: limits are shared by the replicas again");
                    return;
                }
            }
        });
    }

    /// An admin set an entity's spend: the replicas count from there (the others' own
    /// counters hear of it from the database).
    pub async fn set_spend(&self, subject: &str, period: i64, spend: f64) {
        if !self.is_up() {
            return;
        }
        let mut redis = self.redis.clone();
        let set: Result<(), redis::RedisError> = redis::cmd("SET")
            .arg(spend_key(subject, period))
            .arg(spend.to_string())
            .arg("EX")
            .arg(SPEND_TTL_SECONDS)
            .query_async(&mut redis)
            .await;
        if let Err(e) = set {
            tracing::warn!(
                "the spend of {subject} set here did not reach Redis ({e}); the replicas will count from their own"
            );
        }
    }

    /// Drops every budget's spend, so that each is read again from a replica's counter.
    async fn forget_spends(&self) -> Result<(), redis::RedisError> {
        let mut redis = self.redis.clone();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{SPEND_PREFIX}*"))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut redis)
                .await?;
            if !keys.is_empty() {
                redis::cmd("UNLINK").arg(&keys).query_async::<()>(&mut redis).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

impl Held {
    /// Counts a finished call's tokens in this minute's windows and its cost in its budgets.
    pub fn count(&self, tokens: u64, cost: f64) {
        let token_keys = if tokens == 0 { &[][..] } else { &self.tokens[..] };
        let spend_keys = if cost > 0.0 && cost.is_finite() { &self.spend[..] } else { &[][..] };
        if token_keys.is_empty() && spend_keys.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for key in token_keys {
            pipe.incr(key, tokens).ignore().expire(key, WINDOW_TTL_SECONDS as i64).ignore();
        }
        for key in spend_keys {
            pipe.cmd("INCRBYFLOAT").arg(key).arg(cost.to_string()).ignore();
            pipe.expire(key, SPEND_TTL_SECONDS as i64).ignore();
        }
        let limits = self.limits.clone();
        spawn(async move {
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
