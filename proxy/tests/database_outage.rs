//! PostgreSQL goes away for a minute under load: requests keep flowing, the spend rows wait in
//! memory (bounded), and every one of them arrives once the database is back.
//!
//! The test runs its own cluster (Debian's PostgreSQL binaries: `initdb`, `pg_ctl`) in a
//! temporary folder, so that it can stop and start it.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use switchboard_fakes::openai::FakeOpenAi;

const OUTAGE: Duration = Duration::from_secs(60);

/// A PostgreSQL cluster of the test's own.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    /// As root, the server runs as `postgres` (it refuses to run as root).
    run_as: Option<&'static str>,
}

impl Cluster {
    fn bin_dir() -> PathBuf {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        let debian = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| d.flatten().map(|e| e.path().join("bin")).filter(|p| p.join("pg_ctl").exists()).max());
        from_pg_config.filter(|p| p.join("pg_ctl").exists()).or(debian).unwrap_or_else(|| {
            panic!("PostgreSQL's server binaries (initdb, pg_ctl) are needed: apt-get install postgresql")
        })
    }

    fn create(dir: &Path) -> Cluster {
        let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false);
        let cluster = Cluster {
            bin: Self::bin_dir(),
            data: dir.join("pgdata"),
            port: free_port(),
            run_as: is_root.then_some("postgres"),
        };
        std::fs::create_dir_all(&cluster.data).unwrap();
        if let Some(user) = cluster.run_as {
            assert!(Command::new("chown").args(["-R", user]).arg(dir).status().unwrap().success());
        }
        let initdb = cluster.bin.join("initdb");
        let status = cluster
            .command(&initdb, &["-D", cluster.data.to_str().unwrap(), "-U", "postgres", "-A", "trust", "--no-sync"])
            .status()
            .unwrap();
        assert!(status.success(), "initdb failed");
        cluster
    }

    fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut command = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        command.args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        command
    }

    fn start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.data.display());
        let log = self.data.join("server.log");
        let status = self
            .command(
                &self.bin.join("pg_ctl"),
                &["-D", self.data.to_str().unwrap(), "-o", &options, "-l", log.to_str().unwrap(), "-w", "start"],
            )
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl start failed");
    }

    fn stop(&self) {
        let status = self
            .command(&self.bin.join("pg_ctl"), &["-D", self.data.to_str().unwrap(), "-m", "fast", "-w", "stop"])
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl stop failed");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command(&self.bin.join("pg_ctl"), &["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_away_for_a_minute_under_load_loses_no_spend_row() {
    let upstream = FakeOpenAi::start().await.unwrap();
    let dir = TempDir::new("outage");
    let cluster = Cluster::create(dir.path());
    cluster.start();
    let db = cluster.url();
    // A backlog big enough for the outage at this load (and small enough to bound memory).
    let config =
        config(dir.path(), &upstream.base_url(), &format!("  master_key: {MASTER_KEY}\n  spend_backlog_rows: 50000\n"));
    let gateway = Gateway::start(&config, &dir.path().join("gateway.log"), &[("DATABASE_URL", &db)]).await;
    let key = gateway.admin("/key/generate", serde_json::json!({"key_alias": "through-the-outage"})).await;
    let (clear, token) = (key["key"].as_str().unwrap().to_string(), key["token"].as_str().unwrap().to_string());

    let load = Load::start(&gateway.url, &clear, 4, Duration::from_millis(10));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_before = gateway.rss_mb();
    let answered_before = load.answered();

    cluster.stop();
    let down_at = Instant::now();
    let mut peak_rss = rss_before;
    let mut backlog_peak = 0;
    let mut reported_unavailable = false;
    while down_at.elapsed() < OUTAGE {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let info = gateway.get("/switchboard/info").await;
        let backlog = info["spend_writer"]["backlog_rows"].as_u64().unwrap();
        backlog_peak = backlog_peak.max(backlog);
        peak_rss = peak_rss.max(gateway.rss_mb());
        println!(
            "{:>3} s without the database: {} calls answered, {} rows waiting, RSS {:.1} MB, unavailable: {}",
            down_at.elapsed().as_secs(),
            load.answered(),
            backlog,
            gateway.rss_mb(),
            info["spend_writer"]["database_unavailable"]
        );
        if info["spend_writer"]["database_unavailable"] == true {
            reported_unavailable = true;
            let ready = gateway.get("/health/readiness").await;
            assert_eq!((ready["status"].as_str(), ready["db"].as_str()), (Some("healthy"), Some("Not connected")));
        }
    }
    assert!(reported_unavailable, "/switchboard/info says the database is away");
    let during_outage = load.answered() - answered_before;
    assert_eq!(load.failures(), 0, "no request failed because the database was away");
    assert!(during_outage > 1000, "requests kept flowing: {during_outage} in {OUTAGE:?}");

    cluster.start();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = load.finish().await;
    // The writer retries within its backoff (at most 10 s) and catches up.
    let back_at = Instant::now();
    loop {
        let info = gateway.get("/switchboard/info").await;
        if info["spend_writer"]["backlog_rows"] == 0 && info["spend_writer"]["database_unavailable"] == false {
            assert_eq!(gateway.get("/health/readiness").await["db"], "connected");
            break;
        }
        assert!(back_at.elapsed() < Duration::from_secs(60), "the backlog did not drain: {info}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!(
        "database back: backlog drained in {:.1} s; {} calls in all, peak backlog {backlog_peak} rows, RSS {:.1} → {:.1} MB",
        back_at.elapsed().as_secs_f64(),
        seen.answered.len(),
        rss_before,
        peak_rss
    );
    assert!(seen.failures.is_empty(), "{:?}", seen.failures.first());
    assert!(gateway.stop().success());

    let (rows, row_total, key_spend) = spend_rows(&db, &token).await;
    let answered: std::collections::HashSet<String> = seen.answered.iter().map(|(id, _)| id.clone()).collect();
    let missing = answered.difference(&rows).count();
    assert_eq!(missing, 0, "every call's row arrived ({} calls, {} rows)", answered.len(), rows.len());
    assert_eq!(rows.len(), answered.len(), "and no row twice");
    assert!((row_total - key_spend).abs() < 1e-9, "the key's total is the sum of its rows");
    // Bounded: the backlog, not a leak. ~2 KB a row at most, plus allocator slack.
    let growth = peak_rss - rss_before;
    assert!(
        growth < 32.0 + backlog_peak as f64 * 4.0 / 1024.0,
        "RSS grew {growth:.1} MB for {backlog_peak} waiting rows"
    );
}
