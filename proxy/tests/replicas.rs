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
}
