//! What a stop costs in spend rows: a clean stop (SIGTERM) writes every row; a crash (kill -9)
//! loses at most the rows of the last flush interval (`proxy_batch_write_at`, 1 s by default),
//! plus the write under way.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use switchboard_fakes::openai::FakeOpenAi;

/// The longest a finished call's row may wait before it is in the database: the flush interval
/// and the write itself (generous: a debug build on a busy 2-core machine).
const FLUSH_WINDOW: Duration = Duration::from_millis(2500);

async fn gateway_with_key(dir: &TempDir, upstream: &FakeOpenAi, db: &str) -> (Gateway, String, String) {
    let config = config(dir.path(), &upstream.base_url(), &format!("  master_key: {MASTER_KEY}\n"));
    let gateway = Gateway::start(&config, &dir.path().join("gateway.log"), &[("DATABASE_URL", db)]).await;
    let key = gateway.admin("/key/generate", serde_json::json!({"key_alias": "durable"})).await;
    let clear = key["key"].as_str().unwrap().to_string();
    let token = key["token"].as_str().unwrap().to_string();
    (gateway, clear, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_loses_no_spend_row() {
    let upstream = FakeOpenAi::start().await.unwrap();
    let dir = TempDir::new("clean-stop");
    let db = switchboard::store::sqlite_url(&dir.path().join("db.sqlite"));
    let (gateway, key, token) = gateway_with_key(&dir, &upstream, &db).await;
    let load = Load::start(&gateway.url, &key, 4, Duration::ZERO);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Stop while calls are under way: they finish (drain), then every row is written.
    let status = tokio::task::spawn_blocking(move || gateway.stop()).await.unwrap();
    let seen = load.finish().await;
    assert!(status.success(), "{status:?}");
    let (rows, row_total, key_spend) = spend_rows(&db, &token).await;
    let answered: std::collections::HashSet<String> = seen.answered.iter().map(|(id, _)| id.clone()).collect();
    println!("clean stop: {} calls answered, {} rows written", answered.len(), rows.len());
    assert!(answered.len() > 50, "the load ran: {}", answered.len());
    let missing: Vec<&String> = answered.difference(&rows).collect();
    assert!(missing.is_empty(), "{} answered calls have no row: {missing:?}", missing.len());
    assert!((row_total - key_spend).abs() < 1e-9, "the key's total is the sum of its rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_at_most_the_last_flush_window() {
    let upstream = FakeOpenAi::start().await.unwrap();
    let dir = TempDir::new("crash");
    let db = switchboard::store::sqlite_url(&dir.path().join("db.sqlite"));
    let (gateway, key, token) = gateway_with_key(&dir, &upstream, &db).await;
    let load = Load::start(&gateway.url, &key, 4, Duration::ZERO);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let killed_at = Instant::now();
    gateway.kill();
    let seen = load.abandon();
    let (rows, row_total, key_spend) = spend_rows(&db, &token).await;
    let lost: Vec<&(String, Instant)> = seen.answered.iter().filter(|(id, _)| !rows.contains(id)).collect();
    let window_calls = seen.answered.iter().filter(|(_, at)| killed_at.duration_since(*at) < FLUSH_WINDOW).count();
    println!(
        "kill -9: {} calls answered, {} rows written, {} lost; {} calls ended in the last {:?}",
        seen.answered.len(),
        rows.len(),
        lost.len(),
        window_calls,
        FLUSH_WINDOW
    );
    assert!(seen.answered.len() > 50, "the load ran");
    for (id, at) in &lost {
        let age = killed_at.duration_since(*at);
        assert!(age < FLUSH_WINDOW, "call {id} ended {age:?} before the kill and has no row");
    }
    // Rows and totals are written in one transaction: what is there adds up.
    assert!((row_total - key_spend).abs() < 1e-9, "rows {row_total} vs key total {key_spend}");

    // The database survived the crash: the gateway starts on it and knows the key's spend.
    let config = config(dir.path(), &upstream.base_url(), &format!("  master_key: {MASTER_KEY}\n"));
    let again = Gateway::start(&config, &dir.path().join("again.log"), &[("DATABASE_URL", &db)]).await;
    let info = again.get(&format!("/key/info?key={token}")).await;
    assert!((info["info"]["spend"].as_f64().unwrap() - row_total).abs() < 1e-9, "{info}");
}
