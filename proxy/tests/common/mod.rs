//! The `switchboard` binary as users run it (`switchboard serve`), with a fake upstream, a load
//! of chat calls, and the process's memory — for the tests that stop, kill and starve it.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};

pub const MASTER_KEY: &str = "sk-process-test-master-0123";

/// A folder of one test's own, removed at the end.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("switchboard-{name}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A config with one model on the fake upstream.
pub fn config(dir: &Path, upstream: &str, general: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    std::fs::write(
        &path,
        format!(
            "model_list:\n  - model_name: gpt-4o-mini\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{upstream}', api_key: sk-upstream-test}}\ngeneral_settings:\n{general}"
        ),
    )
    .unwrap();
    path
}

/// `switchboard serve` in a process of its own.
pub struct Gateway {
    pub child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Gateway {
    /// Starts the binary and waits until it answers. `env` adds variables (the rest of the
    /// environment is the test's, minus anything that would change the gateway's choices).
    pub async fn start(config: &Path, log: &Path, env: &[(&str, &str)]) -> Gateway {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command
            .args(["serve", "--config"])
            .arg(config)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env_remove("LITELLM_MASTER_KEY")
            .env_remove("DATABASE_URL")
            .env("SWITCHBOARD_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap());
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().unwrap();
        let gateway = Gateway { child, url: format!("http://127.0.0.1:{port}"), log: log.to_path_buf() };
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = http.get(format!("{}/health/liveliness", gateway.url)).send().await
                && r.status().is_success()
            {
                return gateway;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the gateway did not start: {}", gateway.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory (VmRSS) in MB.
    pub fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// SIGTERM, then waits for the process to end (a clean stop).
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        self.child.wait().unwrap()
    }

    /// SIGKILL: no chance to write anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }

    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let r =
            reqwest::Client::new().post(format!("{}{path}", self.url)).bearer_auth(MASTER_KEY).json(&body).send().await;
        let r = r.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = reqwest::Client::new().get(format!("{}{path}", self.url)).bearer_auth(MASTER_KEY).send().await.unwrap();
        r.json().await.unwrap()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a load run saw: each answered call (its call id and when the answer ended) and the
/// calls that failed.
#[derive(Default)]
pub struct LoadResult {
    pub answered: Vec<(String, Instant)>,
    pub failures: Vec<String>,
}

/// Chat calls from `clients` concurrent clients through `key` until stopped, each client
/// pausing `pause` between calls.
pub struct Load {
    stop: Arc<AtomicBool>,
    result: Arc<Mutex<LoadResult>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    pub fn start(url: &str, key: &str, clients: usize, pause: Duration) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let result = Arc::new(Mutex::new(LoadResult::default()));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let tasks = (0..clients)
            .map(|_| {
                let (stop, result, http) = (stop.clone(), result.clone(), http.clone());
                let (url, key) = (format!("{url}/v1/chat/completions"), key.to_string());
                tokio::spawn(async move {
                    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]});
                    while !stop.load(Ordering::Relaxed) {
                        match http.post(&url).bearer_auth(&key).json(&body).send().await {
                            Ok(r) if r.status().is_success() => {
                                let id = r.headers()["x-litellm-call-id"].to_str().unwrap().to_string();
                                if r.bytes().await.is_ok() {
                                    result.lock().answered.push((id, Instant::now()));
                                }
                            }
                            Ok(r) => result.lock().failures.push(format!("status {}", r.status())),
                            Err(e) => result.lock().failures.push(e.to_string()),
                        }
                        tokio::time::sleep(pause).await;
                    }
                })
            })
            .collect();
        Load { stop, result, tasks }
    }

    /// Calls answered so far.
    pub fn answered(&self) -> usize {
        self.result.lock().answered.len()
    }

    pub fn failures(&self) -> usize {
        self.result.lock().failures.len()
    }

    /// Stops the clients (calls under way finish) and hands over what they saw.
    pub async fn finish(self) -> LoadResult {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            let _ = t.await;
        }
        std::mem::take(&mut *self.result.lock())
    }

    /// Stops the clients without waiting for calls under way (the gateway is being killed).
    pub fn abandon(self) -> LoadResult {
        self.stop.store(true, Ordering::Relaxed);
        for t in &self.tasks {
            t.abort();
        }
        std::mem::take(&mut *self.result.lock())
    }
}

/// The call ids of the spend rows in a database, and the spend of the key `token`.
pub async fn spend_rows(url: &str, token: &str) -> (std::collections::HashSet<String>, f64, f64) {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows = sqlx::query("SELECT request_id, spend FROM spend_logs WHERE api_key = $1")
        .bind(token)
        .fetch_all(&pool)
        .await
        .unwrap();
    let ids = rows.iter().map(|r| r.try_get::<String, _>("request_id").unwrap()).collect();
    let row_total: f64 = rows.iter().map(|r| r.try_get::<f64, _>("spend").unwrap()).sum();
    let key_spend: f64 = sqlx::query("SELECT spend FROM virtual_keys WHERE token = $1")
        .bind(token)
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get("spend")
        .unwrap();
    pool.close().await;
    (ids, row_total, key_spend)
}
