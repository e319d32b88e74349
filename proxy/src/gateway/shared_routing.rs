//! The router's state, shared by the replicas through the Redis of the shared limits: a
//! deployment one replica cools down rests on all of them, and the `least-busy` and
//! `usage-based` strategies weigh every replica's calls in flight and this minute's requests
//! and tokens. Each replica tells its own load every [`SYNC_INTERVAL`] and reads the others' in
//! the same round trip, so picking a deployment stays a read of memory; a cooldown is told at
//! once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Gateway;
use super::health::{ReplicaLoad, current_minute};
use super::shared_limits::SharedLimits;
use crate::store::changes::replica_id;

pub const SYNC_INTERVAL: Duration = Duration::from_millis(500);
/// One hash: a field per replica, its latest report.
const LOADS: &str = "switchboard:router:load";
/// Deployment ids scored by when their rest ends (Unix milliseconds).
const COOLDOWNS: &str = "switchboard:router:cooldowns";
/// A report older than this is a replica that stopped: its load no longer counts.
const STALE_MS: i64 = 3_000;
/// A report this old is removed.
const GONE_MS: i64 = 60_000;

/// One replica's load, per deployment id: calls in flight, requests and tokens in `minute`.
#[derive(Debug, Serialize, Deserialize)]
struct Report {
    at: i64,
    minute: u64,
    deployments: HashMap<String, (u32, u64, u64)>,
}

/// Tells the other replicas that a deployment rests for `rest`.
pub fn cooled(limits: &Arc<SharedLimits>, deployment_id: &str, rest: Duration) {
    if !limits.is_up() {
        return;
    }
    let until = now_ms().saturating_add(i64::try_from(rest.as_millis()).unwrap_or(i64::MAX));
    let (limits, id) = (limits.clone(), deployment_id.to_string());
    tokio::spawn(async move {
        let mut redis = limits.connection();
        let added: Result<(), redis::RedisError> =
            redis::cmd("ZADD").arg(COOLDOWNS).arg("GT").arg(until).arg(&id).query_async(&mut redis).await;
        if let Err(e) = added {
            limits.away(&e);
        }
    });
}

/// Keeps this replica's router in step with the others' while the gateway runs.
pub fn spawn(gateway: Arc<Gateway>, limits: Arc<SharedLimits>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SYNC_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut gone: Vec<String> = Vec::new();
        loop {
            tick.tick().await;
            if !limits.is_up() {
                // What the others said is getting old; each replica weighs its own calls.
                for d in gateway.deployments() {
                    d.health.set_peers(ReplicaLoad::default());
                }
                continue;
            }
            match sync(&gateway, &limits, &gone).await {
                Ok(stale) => gone = stale,
                Err(e) => limits.away(&e),
            }
        }
    })
}

/// One round trip: this replica's report out, the others' reports and the rests in. Returns
/// the reports to remove next time.
async fn sync(gateway: &Gateway, limits: &SharedLimits, gone: &[String]) -> Result<Vec<String>, redis::RedisError> {
    let deployments = gateway.deployments();
    let now = now_ms();
    let minute = current_minute();
    let mut own = Report { at: now, minute, deployments: HashMap::with_capacity(deployments.len()) };
    for d in &deployments {
        let load = d.health.own_load();
        if load.in_flight > 0 || (load.minute == minute && (load.requests > 0 || load.tokens > 0)) {
            own.deployments.insert(d.entry.id.clone(), (load.in_flight, load.requests, load.tokens));
        }
    }
    let report = serde_json::to_string(&own).unwrap_or_default();
    let mut pipe = redis::pipe();
    if !gone.is_empty() {
        pipe.hdel(LOADS, gone).ignore();
    }
    pipe.hset(LOADS, replica_id(), report).ignore();
    pipe.expire(LOADS, GONE_MS / 1000).ignore();
    pipe.hgetall(LOADS);
    pipe.cmd("ZREMRANGEBYSCORE").arg(COOLDOWNS).arg("-inf").arg(now).ignore();
    pipe.cmd("ZRANGE").arg(COOLDOWNS).arg(now).arg("+inf").arg("BYSCORE").arg("WITHSCORES");
    let mut redis = limits.connection();
    let (reports, rests): (HashMap<String, String>, Vec<(String, f64)>) = pipe.query_async(&mut redis).await?;

    let mut peers: HashMap<&str, ReplicaLoad> = HashMap::new();
    let mut stale = Vec::new();
    let mut others: Vec<Report> = Vec::new();
    for (replica, text) in &reports {
        if replica == replica_id() {
            continue;
        }
        match serde_json::from_str::<Report>(text) {
            Ok(r) if now - r.at > GONE_MS => stale.push(replica.clone()),
            Ok(r) if now - r.at > STALE_MS => {}
            Ok(r) => others.push(r),
            Err(_) => stale.push(replica.clone()),
        }
    }
    for r in &others {
        for (id, (in_flight, requests, tokens)) in &r.deployments {
            let p = peers.entry(id.as_str()).or_insert(ReplicaLoad { minute, ..ReplicaLoad::default() });
            p.in_flight = p.in_flight.saturating_add(*in_flight);
            if r.minute == minute {
                p.requests += requests;
                p.tokens += tokens;
            }
        }
    }
    let rests: HashMap<&str, i64> = rests.iter().map(|(id, until)| (id.as_str(), *until as i64)).collect();
    let instant = Instant::now();
    for d in &deployments {
        d.health.set_peers(peers.get(d.entry.id.as_str()).copied().unwrap_or_default());
        if let Some(until) = rests.get(d.entry.id.as_str()) {
            let left = Duration::from_millis(u64::try_from(until.saturating_sub(now)).unwrap_or(0));
            d.health.rest_until(instant + left);
        }
    }
    Ok(stale)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
