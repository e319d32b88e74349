//! Three `switchboard serve` processes on one PostgreSQL database (the machine's, in a schema of
//! this test's own), as replicas behind a load balancer: what an admin does on one applies on
//! the others within a second, a budget counts the calls of all three, and a replica whose
//! listening connection was cut catches up when it is back.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, Instant};

use common::{Gateway, MASTER_KEY, TempDir, config};
use serde_json::{Value, json};
use switchboard_fakes::openai::FakeOpenAi;

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/test";
/// The bound this test holds every change to.
const WITHIN: Duration = Duration::from_secs(1);

/// A schema of this test's own on the machine's PostgreSQL; dropped at the end.
struct Schema {
    server: String,
    name: String,
}

impl Schema {
    async fn new() -> Schema {
        let server = std::env::var("SWITCHBOARD_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_SERVER.into());
        let name = format!("sbreplicas_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server}: {e} (make test uses the machine's)"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&mut conn).await.unwrap();
        Schema { server, name }
    }

    fn url(&self) -> String {
        let sep = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-c%20search_path%3D{}", self.server, self.name)
    }

    /// Ends the sessions LISTENing for this schema's changes (a network cut, as the replicas
    /// see it).
    async fn cut_listeners(&self) -> usize {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.server).await.unwrap();
        let cut: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND query LIKE $1",
        )
        .bind(format!("%{}%", self.name))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        cut.len()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE"))).execute(&mut conn).await.ok()
            })
        })
        .join();
    }
}

async fn chat(gateway: &Gateway, key: &str, model: &str) -> reqwest::StatusCode {
    let body = json!({"model": model, "messages": [{"role": "user", "content": "hello"}]});
    let r = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gateway.url))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    r.status()
}

/// Polls `probe` until it holds; how long that took. Fails after `limit`.
async fn until<F, Fut>(what: &str, limit: Duration, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if probe().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn key_info(gateway: &Gateway, key: &str) -> Value {
    gateway.get(&format!("/key/info?key={key}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_one_database_see_each_other_s_changes_and_spend() {
    let upstream = FakeOpenAi::start().await.unwrap();
    let schema = Schema::new().await;
    let dir = TempDir::new("replicas");
    // Spend is flushed every 100 ms, so it reaches the other replicas well within a second.
    let config =
        config(dir.path(), &upstream.base_url(), &format!("  master_key: {MASTER_KEY}\n  proxy_batch_write_at: 0.1\n"));
    let url = schema.url();
    let mut replicas = Vec::new();
    for name in ["a", "b", "c"] {
        replicas
            .push(Gateway::start(&config, &dir.path().join(format!("{name}.log")), &[("DATABASE_URL", &url)]).await);
    }
    let [a, b, c] = &replicas[..] else { unreachable!() };

    // What the Deploy page's Status tab reads from a deployed gateway: the replicas it hears.
    until("three replicas on A's readiness", Duration::from_secs(12), || async {
        let running = switchboard_deploy::health::running(&a.url).await.unwrap();
        assert_eq!(running.redis, None, "no Redis configured");
        running.replicas == Some(3)
    })
    .await;

    // A key made on A works on B and C.
    let made = a.admin("/key/generate", json!({"key_alias": "across", "max_budget": 1.0})).await;
    let key = made["key"].as_str().unwrap().to_string();
    for (name, replica) in [("B", b), ("C", c)] {
        let took = until(&format!("the new key on {name}"), WITHIN, || async {
            chat(replica, &key, "gpt-4o-mini").await == 200
        })
        .await;
        println!("a key made on A answers on {name} after {took:?}");
    }

    // Blocked on A: refused on B and C within a second.
    a.admin("/key/block", json!({"key": key})).await;
    for (name, replica) in [("B", b), ("C", c)] {
        let took = until(&format!("the block on {name}"), WITHIN, || async {
            chat(replica, &key, "gpt-4o-mini").await.as_u16() == 401
        })
        .await;
        println!("a key blocked on A is refused on {name} after {took:?}");
    }
    a.admin("/key/unblock", json!({"key": key})).await;
    until("the unblock on C", WITHIN, || async { chat(c, &key, "gpt-4o-mini").await == 200 }).await;

    // Spend made on B and C lands once in the database and is counted on every replica.
    let token = made["token"].as_str().unwrap().to_string();
    // The rows of the calls above (the probes' too) are flushed within a write interval (0.1 s):
    // counted from before they all landed, six new calls would look like seven.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rows_before, total_before, _) = common::spend_rows(&url, &token).await;
    for _ in 0..3 {
        assert_eq!(chat(b, &key, "gpt-4o-mini").await, 200);
        assert_eq!(chat(c, &key, "gpt-4o-mini").await, 200);
    }
    let took = until("six calls' spend on every replica", Duration::from_secs(2), || async {
        let (rows, row_total, stored) = common::spend_rows(&url, &token).await;
        let mut counted = Vec::new();
        for replica in [a, b, c] {
            counted.push(key_info(replica, &key).await["info"]["spend"].as_f64().unwrap());
        }
        rows.len() == rows_before.len() + 6
            && (stored - row_total).abs() < 1e-9
            && counted.iter().all(|spend| (spend - row_total).abs() < 1e-9)
    })
    .await;
    let (_, total, _) = common::spend_rows(&url, &token).await;
    let per_call = (total - total_before) / 6.0;
    assert!(per_call > 0.0, "calls cost something");
    println!("the spend of six calls on B and C reached every replica after {took:?}");

    // A budget used up through a call on one replica stops the key on the others.
    a.admin("/key/update", json!({"key": key, "max_budget": total + per_call / 2.0})).await;
    until("the new budget on C", WITHIN, || async {
        key_info(c, &key).await["info"]["max_budget"].as_f64().is_some_and(|m| m > total)
    })
    .await;
    assert_eq!(chat(c, &key, "gpt-4o-mini").await, 200, "under the budget: one more call");
    let took = until("the used-up budget on A and B", Duration::from_secs(2), || async {
        chat(a, &key, "gpt-4o-mini").await.as_u16() == 400 && chat(b, &key, "gpt-4o-mini").await.as_u16() == 400
    })
    .await;
    println!("a budget used up on C refuses the key on A and B after {took:?}");

    // A model added on A is served by C.
    let other = FakeOpenAi::start().await.unwrap();
    a.admin(
        "/model/new",
        json!({"model_name": "added-on-a", "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": other.base_url(), "api_key": "sk-upstream-test"}}),
    )
    .await;
    let took = until("the new model on C", WITHIN, || async { chat(c, MASTER_KEY, "added-on-a").await == 200 }).await;
    println!("a model added on A is served by C after {took:?}");

    // B's listening connection is cut: a key made meanwhile reaches it once it is back.
    let cut = schema.cut_listeners().await;
    assert_eq!(cut, 3, "each replica listens on one connection");
    let later = a.admin("/key/generate", json!({"key_alias": "while-cut"})).await;
    let later_key = later["key"].as_str().unwrap().to_string();
    let took = until("a key made while B was not listening", Duration::from_secs(5), || async {
        chat(b, &later_key, "gpt-4o-mini").await == 200
    })
    .await;
    println!("after a cut connection, B caught up after {took:?}");
    assert!(b.log_text().contains("connecting again"), "B says it lost the connection: {}", b.log_text());

    // Each replica's spend landed once in the database, and every replica counts it all.
    let (rows, row_total, stored) = common::spend_rows(&url, &token).await;
    assert!((stored - row_total).abs() < 1e-9, "the key's spend column is its rows' sum: {stored} vs {row_total}");
    for (name, replica) in [("A", a), ("B", b), ("C", c)] {
        until(&format!("the whole spend on {name}"), Duration::from_secs(2), || async {
            (key_info(replica, &key).await["info"]["spend"].as_f64().unwrap() - row_total).abs() < 1e-9
        })
        .await;
    }
    println!("{} calls on three replicas: {row_total} spent, as every replica counts it", rows.len());

    // Each replica lists the three (itself first), as the panel's Overview shows them.
    for (name, replica) in [("A", a), ("B", b), ("C", c)] {
        let took = until(&format!("the three replicas listed on {name}"), Duration::from_secs(6), || async {
            replica.get("/switchboard/info").await["replicas"].as_array().is_some_and(|r| r.len() == 3)
        })
        .await;
        let listed = replica.get("/switchboard/info").await["replicas"].clone();
        assert_eq!(listed[0]["this_one"], true, "{listed}");
        assert_eq!(listed.as_array().unwrap().iter().filter(|r| r["this_one"] == true).count(), 1, "{listed}");
        assert!(listed.as_array().unwrap().iter().all(|r| r["version"] == env!("CARGO_PKG_VERSION")), "{listed}");
        println!("{name} lists the three replicas after {took:?}");
    }
}

/// Debian's `redis-server` of this test's own on a free port, stopped and started again at will.
struct LocalRedis {
    child: Option<std::process::Child>,
    port: u16,
    dir: std::path::PathBuf,
}

impl LocalRedis {
    fn start(dir: &std::path::Path) -> LocalRedis {
        let mut redis = LocalRedis { child: None, port: common::free_port(), dir: dir.to_path_buf() };
        redis.run();
        redis
    }

    fn run(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (make test installs Debian's redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits for a new minute when this one is nearly over: a burst must fall in one window.
async fn within_one_minute() {
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second >= 50 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
}

/// `calls` chat calls at once, spread over `replicas` in turn; the statuses in order.
async fn burst(replicas: &[&Gateway], key: &str, model: &str, calls: usize) -> Vec<u16> {
    let tasks: Vec<_> = (0..calls)
        .map(|i| {
            let url = format!("{}/v1/chat/completions", replicas[i % replicas.len()].url);
            let (key, model) = (key.to_string(), model.to_string());
            tokio::spawn(async move {
                let body = json!({"model": model, "messages": [{"role": "user", "content": "hello"}]});
                let r = reqwest::Client::new().post(url).bearer_auth(key).json(&body).send().await.unwrap();
                r.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// A key made on `made_on`, once every replica knows it (asked without using it up).
async fn shared_key(made_on: &Gateway, all: &[&Gateway], limits: Value) -> String {
    let made = made_on.admin("/key/generate", limits).await;
    let key = made["key"].as_str().unwrap().to_string();
    for replica in all {
        until("the key on every replica", WITHIN, || async {
            reqwest::Client::new()
                .get(format!("{}/key/info?key={key}", replica.url))
                .bearer_auth(MASTER_KEY)
                .send()
                .await
                .unwrap()
                .status()
                == 200
        })
        .await;
    }
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_replicas_through_redis_and_calls_go_on_without_it() {
    let upstream = FakeOpenAi::start().await.unwrap();
    let schema = Schema::new().await;
    let dir = TempDir::new("shared-limits");
    let mut redis = LocalRedis::start(dir.path());
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: gpt-4o-mini\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{0}', api_key: sk-upstream-test}}\n  - model_name: slow\n    litellm_params: {{model: openai/fake-slow, api_base: '{0}', api_key: sk-upstream-test, max_retries: 0}}\ngeneral_settings:\n  master_key: {MASTER_KEY}\n",
            upstream.base_url()
        ),
    )
    .unwrap();
    let (url, redis_url) = (schema.url(), redis.url());
    let mut replicas = Vec::new();
    for name in ["a", "b", "c"] {
        let env = [("DATABASE_URL", url.as_str()), ("REDIS_URL", redis_url.as_str())];
        replicas.push(Gateway::start(&config, &dir.path().join(format!("{name}.log")), &env).await);
    }
    let [a, b, c] = &replicas[..] else { unreachable!() };
    let all = [a, b, c];

    // rpm_limit 5: fifteen calls at once over the three replicas, five answered.
    let key = shared_key(a, &all, json!({"rpm_limit": 5})).await;
    within_one_minute().await;
    let statuses = burst(&all, &key, "gpt-4o-mini", 15).await;
    assert_eq!((count(&statuses, 200), count(&statuses, 429)), (5, 10), "{statuses:?}");

    // max_parallel_requests 2: six slow calls at once over the three, two answered.
    let key = shared_key(b, &all, json!({"max_parallel_requests": 2})).await;
    let statuses = burst(&all, &key, "slow", 6).await;
    assert_eq!((count(&statuses, 200), count(&statuses, 429)), (2, 4), "{statuses:?}");
    // Ended, they free their places everywhere.
    let statuses = burst(&[c, a], &key, "gpt-4o-mini", 2).await;
    assert_eq!(statuses, [200, 200]);
    // tpm_limit 1: one call's tokens, counted when it ended on A, stop the key on B and C.
    let key = shared_key(c, &all, json!({"tpm_limit": 1})).await;
    within_one_minute().await;
    assert_eq!(chat(a, &key, "gpt-4o-mini").await, 200);
    for replica in [b, c] {
        until("the tokens counted on A refuse the key elsewhere", WITHIN, || async {
            chat(replica, &key, "gpt-4o-mini").await.as_u16() == 429
        })
        .await;
    }

    // A budget of five calls: sixty calls, six at a time over the three replicas, pass five
    // plus at most the six in flight when the fifth ended; the spend adds up to what passed.
    let probe = shared_key(a, &all, json!({})).await;
    assert_eq!(chat(b, &probe, "gpt-4o-mini").await, 200);
    until("one call's spend", Duration::from_secs(5), || async {
        key_info(a, &probe).await["info"]["spend"].as_f64().is_some_and(|s| s > 0.0)
    })
    .await;
    let per_call = key_info(a, &probe).await["info"]["spend"].as_f64().unwrap();
    let key = shared_key(b, &all, json!({"max_budget": per_call * 4.5})).await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.extend(burst(&all, &key, "gpt-4o-mini", 6).await);
    }
    let passed = count(&statuses, 200);
    eprintln!("budget burst: {passed} passed");
    assert!((5..=11).contains(&passed), "{passed} passed a five-call budget: {statuses:?}");
    assert_eq!(count(&statuses, 400), 60 - passed, "the rest refused over budget: {statuses:?}");
    for replica in all {
        until("every call's spend on every replica", Duration::from_secs(5), || async {
            let spend = key_info(replica, &key).await["info"]["spend"].as_f64().unwrap_or(0.0);
            (spend - per_call * passed as f64).abs() < per_call / 1000.0
        })
        .await;
    }
    // Its spend set back to zero on C: the key answers on A again.
    c.admin("/key/update", json!({"key": key, "spend": 0.0})).await;
    until("a spend set on C lets the key through on A", WITHIN, || async {
        chat(a, &key, "gpt-4o-mini").await.as_u16() == 200
    })
    .await;

    let running = switchboard_deploy::health::running(&a.url).await.unwrap();
    assert_eq!(running.redis.as_deref(), Some("connected"), "{running:?}");
    let info = a.get("/switchboard/info").await;
    assert_eq!(
        (info["shared_limits"]["redis_up"].as_bool(), info["shared_limits"]["fallbacks"].as_u64()),
        (Some(true), Some(0)),
        "{info}"
    );

    // Redis goes away: calls go on, each replica limiting them alone, and it says so.
    redis.stop();
    let key = shared_key(a, &all, json!({"rpm_limit": 2})).await;
    within_one_minute().await;
    let on_b = burst(&[b], &key, "gpt-4o-mini", 3).await;
    let on_c = burst(&[c], &key, "gpt-4o-mini", 3).await;
    for statuses in [&on_b, &on_c] {
        assert_eq!((count(statuses, 200), count(statuses, 429)), (2, 1), "each replica's own count: {on_b:?} {on_c:?}");
    }
    let info = b.get("/switchboard/info").await;
    assert_eq!(info["shared_limits"]["redis_up"], false, "{info}");
    let running = switchboard_deploy::health::running(&b.url).await.unwrap();
    assert_eq!(running.redis.as_deref(), Some("away"), "{running:?}");
    assert!(info["shared_limits"]["fallbacks"].as_u64().unwrap() >= 1, "{info}");
    let metrics = reqwest::Client::new().get(format!("{}/metrics", b.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("switchboard_redis_up 0"), "{metrics}");
    assert!(b.log_text().contains("Redis is away"), "{}", b.log_text());

    // Back: the replicas share their limits again.
    redis.run();
    for replica in all {
        until("Redis back on every replica", Duration::from_secs(5), || async {
            replica.get("/switchboard/info").await["shared_limits"]["redis_up"] == true
        })
        .await;
    }
    let key = shared_key(c, &all, json!({"rpm_limit": 3})).await;
    within_one_minute().await;
    let statuses = burst(&all, &key, "gpt-4o-mini", 9).await;
    assert_eq!(
        (count(&statuses, 200), count(&statuses, 429)),
        (3, 6),
        "{statuses:?} {}",
        b.log_text().lines().filter(|l| l.contains("Redis") || l.contains("WARN")).collect::<Vec<_>>().join("\n")
    );
    assert!(b.log_text().contains("Redis is back"), "{}", b.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_s_cooldowns_and_calls_in_flight_are_shared_through_redis() {
    let (flaky, first, second) =
        (FakeOpenAi::start().await.unwrap(), FakeOpenAi::start().await.unwrap(), FakeOpenAi::start().await.unwrap());
    let schema = Schema::new().await;
    let dir = TempDir::new("shared-router");
    let redis = LocalRedis::start(dir.path());
    let config = dir.path().join("config.yaml");
    let deployment = |name: &str, model: &str, base: &str, id: &str| {
        format!(
            "  - model_name: {name}\n    litellm_params: {{model: openai/{model}, api_base: '{base}', api_key: sk-upstream-test}}\n    model_info: {{id: {id}}}\n"
        )
    };
    std::fs::write(
        &config,
        format!(
            "model_list:\n{}{}{}{}general_settings:\n  master_key: {MASTER_KEY}\nrouter_settings:\n  routing_strategy: least-busy\n  allowed_fails: 0\n  cooldown_time: 60\n  num_retries: 1\n",
            deployment("pair", "fake-500", &flaky.base_url(), "flaky"),
            deployment("pair", "gpt-4o-mini", &flaky.base_url(), "sound"),
            deployment("slow", "fake-slow", &first.base_url(), "slow-first"),
            deployment("slow", "fake-slow", &second.base_url(), "slow-second"),
        ),
    )
    .unwrap();
    let (url, redis_url) = (schema.url(), redis.url());
    let env = [("DATABASE_URL", url.as_str()), ("REDIS_URL", redis_url.as_str())];
    let a = Gateway::start(&config, &dir.path().join("a.log"), &env).await;
    let b = Gateway::start(&config, &dir.path().join("b.log"), &env).await;
    let failed_upstream = || flaky.requests().iter().filter(|r| r.body["model"] == "fake-500").count();

    // A deployment that fails on A rests on B too: B never calls it.
    until("the failing deployment cooled down on A", Duration::from_secs(10), || async {
        assert_eq!(chat(&a, MASTER_KEY, "pair").await, 200, "the sound deployment answers");
        failed_upstream() > 0
    })
    .await;
    let state = |gateway: &Gateway| {
        let url = format!("{}/metrics", gateway.url);
        async move {
            let metrics = reqwest::Client::new().get(url).send().await.unwrap().text().await.unwrap();
            metrics.lines().any(|l| {
                l.starts_with("litellm_deployment_state{") && l.contains("model_id=\"flaky\"") && l.ends_with(" 2")
            })
        }
    };
    let rested = until("B rests the deployment A cooled down", WITHIN * 2, || state(&b)).await;
    eprintln!("a cooldown on A reached B after {rested:?}");
    let before = failed_upstream();
    for _ in 0..10 {
        assert_eq!(chat(&b, MASTER_KEY, "pair").await, 200);
    }
    assert_eq!(failed_upstream(), before, "B called a deployment that rests");

    // Least busy: with a slow call in flight on A, B's next call goes to the other deployment.
    for round in 0..3 {
        first.clear();
        second.clear();
        let on_a = tokio::spawn({
            let url = a.url.clone();
            async move {
                let body = json!({"model": "slow", "messages": [{"role": "user", "content": "hello"}]});
                reqwest::Client::new()
                    .post(format!("{url}/v1/chat/completions"))
                    .bearer_auth(MASTER_KEY)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        });
        until("A's slow call upstream", WITHIN, || async { first.requests().len() + second.requests().len() == 1 })
            .await;
        let (busy, idle) = if first.requests().is_empty() { (&second, &first) } else { (&first, &second) };
        tokio::time::sleep(SYNC_WAIT).await;
        assert_eq!(chat(&b, MASTER_KEY, "slow").await, 200);
        assert_eq!(
            (busy.requests().len(), idle.requests().len()),
            (1, 1),
            "round {round}: B's call went to the deployment busy on A"
        );
        assert_eq!(on_a.await.unwrap(), 200);
    }
}

/// Longer than a report's way from A to B: A tells its load every 0.5 s, and B reads the
/// reports every 0.5 s.
const SYNC_WAIT: Duration = Duration::from_millis(1200);
