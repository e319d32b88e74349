//! `bench`: starts the fake upstream, the gateway (a fresh process per scenario) and `oha`, each
//! pinned to a stated core, runs the scenarios and writes `target/bench/results.{json,md}`.
//! With `--soak`, instead: one gateway under a fixed rate for many minutes, its memory sampled
//! every minute, written to `target/bench/soak.{json,md}`.
//! It builds nothing: `bench/run` builds the release binaries first.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::{Parser, ValueEnum};
use serde_json::json;
use switchboard_bench::http;
use switchboard_bench::oha::{self, LoadRun};
use switchboard_bench::procfs::{self, CpuSample};
use switchboard_bench::report::{self, Api, Auth, Outcome, Scenario, Target, Upstream};
use switchboard_bench::soak;

mod scale_run;
use scale_run::run_scale;

const MASTER_KEY: &str = "sk-bench-master";
const BEDROCK_MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const PROMPT: &str = "Say hello in ten words.";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LitellmMode {
    /// When `bench/.venv/bin/litellm` exists.
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScaleDb {
    Sqlite,
    Postgres,
}

#[derive(Parser)]
#[command(name = "bench", about = "Load benchmark of the Switchboard gateway (see bench/README.md)")]
struct Args {
    /// Directory holding the release binaries `switchboard` and `bench-upstream`.
    #[arg(long, env = "BENCH_BIN_DIR")]
    bin_dir: PathBuf,
    /// The load generator.
    #[arg(long, default_value = "bench/.tools/bin/oha")]
    oha: PathBuf,
    /// Where results.json, results.md and the logs go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// Seconds of load before each measured run (not measured).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Seconds of each measured run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent connections of the load generator (the same for the direct run).
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Core (taskset -c list) of the gateway.
    #[arg(long, default_value = "0")]
    gateway_core: String,
    /// Core of the fake upstream.
    #[arg(long, default_value = "1")]
    upstream_core: String,
    /// Core of the load generator.
    #[arg(long, default_value = "1")]
    loadgen_core: String,
    /// Run only the scenarios whose name contains one of these (comma-separated); their direct
    /// baselines are added. `--list` shows the names.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// 1 s warm-up, 3 s measured: a smoke test of the harness, not figures.
    #[arg(long)]
    quick: bool,
    /// Compare with LiteLLM Proxy.
    #[arg(long, value_enum, default_value = "auto")]
    litellm: LitellmMode,
    #[arg(long, default_value = "bench/.venv/bin/litellm")]
    litellm_bin: PathBuf,
    /// Fixed rate of the LiteLLM comparison (LiteLLM tops out near 90 req/s on one core).
    #[arg(long, default_value_t = 50)]
    litellm_rate: u32,
    /// Before each scenario, wait up to this many seconds for other processes (a compiler, a
    /// test suite) to stop using CPU. 0: do not wait.
    #[arg(long, default_value_t = 60)]
    wait_quiet: u64,
    /// Run a scenario again (up to this many times) when other processes used CPU meanwhile;
    /// the least disturbed run is kept.
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Content chunks per streamed answer of the fake upstream.
    #[arg(long, default_value_t = 10)]
    chunks: usize,
    /// Fixed delay of the fake upstream before it answers.
    #[arg(long, default_value_t = 0)]
    upstream_delay_ms: u64,
    /// Instead of the scenarios: hold a fixed rate on one gateway (virtual key, spend to SQLite)
    /// for `--soak-minutes` and report its RSS every minute, with the trend.
    #[arg(long, conflicts_with_all = ["only", "list", "quick"])]
    soak: bool,
    /// Length of the soak, in minutes of load.
    #[arg(long, default_value_t = 30, requires = "soak", value_parser = clap::value_parser!(u64).range(1..))]
    soak_minutes: u64,
    /// PostgreSQL of the replica scenarios (each run makes a schema of its own there and drops
    /// it).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    database_url: String,
    /// Redis of the replica scenarios (a database number of the bench's own: it is emptied).
    #[arg(long, default_value = "redis://127.0.0.1:6379/9")]
    redis_url: String,
    /// Instead of the scenarios: seed a database with `--scale-keys` keys and `--scale-rows`
    /// spend rows, and measure the gateway on it (start, memory, admin lists, spend charts, a
    /// call). Results in target/bench/scale.{json,md}.
    #[arg(long, conflicts_with_all = ["only", "list", "soak"])]
    scale: bool,
    #[arg(long, default_value_t = 1_000_000, requires = "scale")]
    scale_keys: u64,
    #[arg(long, default_value_t = 10_000_000, requires = "scale")]
    scale_rows: u64,
    /// The spend rows spread over this many days up to today.
    #[arg(long, default_value_t = 30, requires = "scale", value_parser = clap::value_parser!(u64).range(1..=366))]
    scale_days: u64,
    /// The databases of the scale run.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sqlite,postgres", requires = "scale")]
    scale_db: Vec<ScaleDb>,
    /// Fixed rate of the soak, req/s.
    #[arg(long, default_value_t = 1000, requires = "soak", value_parser = clap::value_parser!(u32).range(1..))]
    soak_rate: u32,
}

/// A process we started; stopped (SIGTERM, then SIGKILL) when dropped.
struct Proc {
    child: Child,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Variables of the caller's environment that would change what the processes under test do.
const SCRUBBED_ENV: &[&str] = &[
    "DATABASE_URL",
    "LITELLM_MASTER_KEY",
    "RUST_LOG",
    "SWITCHBOARD_LOG",
    "CONFIG_FILE_PATH",
    "HOST",
    "PORT",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "TOKIO_WORKER_THREADS",
];

fn pinned(core: &str, program: &Path) -> Command {
    let mut command = Command::new("taskset");
    command.arg("-c").arg(core).arg(program).stdin(Stdio::null());
    for name in SCRUBBED_ENV {
        command.env_remove(name);
    }
    command.env("NO_PROXY", "127.0.0.1,localhost").env("no_proxy", "127.0.0.1,localhost");
    command
}

fn log_file(path: &Path) -> anyhow::Result<(Stdio, Stdio)> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok((Stdio::from(file.try_clone()?), Stdio::from(file)))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

struct Ctx {
    args: Args,
    ticks_per_second: u64,
    switchboard: PathBuf,
    run_dir: PathBuf,
    log_dir: PathBuf,
    config: PathBuf,
    upstream: Proc,
    upstream_port: u16,
    litellm: Option<PathBuf>,
    /// Set once `/key/generate` answered 404.
    no_virtual_keys: Option<String>,
    db_counter: u32,
}

/// The gateway under test for one scenario (one of its replicas).
struct Gateway {
    proc: Proc,
    port: u16,
    log: PathBuf,
    /// Switchboard's SQLite file.
    db: Option<PathBuf>,
}

/// What the replicas of a scenario share: a PostgreSQL schema of the run's own (dropped when
/// done) and Redis.
struct Shared {
    database_url: String,
    server: String,
    schema: String,
    redis_url: String,
}

impl Shared {
    fn new(args: &Args, scenario: &Scenario) -> anyhow::Result<Shared> {
        let schema = format!("bench_{}_{}", scenario.name.replace('-', "_"), std::process::id());
        psql(&args.database_url, &format!("CREATE SCHEMA {schema}"))?;
        let (host, db) = args
            .redis_url
            .strip_prefix("redis://")
            .and_then(|rest| rest.rsplit_once('/'))
            .ok_or_else(|| anyhow!("--redis-url {} is not redis://HOST:PORT/DB", args.redis_url))?;
        let (host, port) = host.rsplit_once(':').unwrap_or((host, "6379"));
        let flushed = command_output("redis-cli", &["-h", host, "-p", port, "-n", db, "FLUSHDB"]);
        if flushed.as_deref() != Some("OK") {
            bail!("Redis at {} did not answer redis-cli FLUSHDB (is redis-server running?)", args.redis_url);
        }
        let sep = if args.database_url.contains('?') { '&' } else { '?' };
        Ok(Shared {
            database_url: format!("{}{sep}options=-c%20search_path%3D{schema}", args.database_url),
            server: args.database_url.clone(),
            schema,
            redis_url: args.redis_url.clone(),
        })
    }

    fn urls(&self) -> (&str, Option<&str>) {
        (&self.database_url, Some(&self.redis_url))
    }

    fn spend_rows(&self) -> Option<u64> {
        let query = format!("SELECT count(*) FROM {}.spend_logs", self.schema);
        command_output("psql", &[&self.server, "-XAtc", &query]).and_then(|n| n.parse().ok())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = psql(&self.server, &format!("DROP SCHEMA {} CASCADE", self.schema));
    }
}

fn psql(server: &str, statement: &str) -> anyhow::Result<()> {
    let out = Command::new("psql").args([server, "-Xqc", statement]).output().context("cannot run psql")?;
    if !out.status.success() {
        bail!("psql {statement}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn gateway_config(upstream_port: u16) -> String {
    format!(
        "# Written by bench: the gateway under load, in front of bench-upstream.\n\
         model_list:\n\
         \x20 - model_name: bench-openai\n\
         \x20   litellm_params:\n\
         \x20     model: openai/bench\n\
         \x20     api_base: http://127.0.0.1:{upstream_port}/v1\n\
         \x20     api_key: sk-bench\n\
         \x20 - model_name: bench-bedrock\n\
         \x20   litellm_params:\n\
         \x20     model: bedrock/{BEDROCK_MODEL}\n\
         \x20     aws_region_name: us-east-1\n\
         \x20     aws_bedrock_runtime_endpoint: http://127.0.0.1:{upstream_port}\n\
         \x20     aws_access_key_id: bench\n\
         \x20     aws_secret_access_key: bench\n\
         general_settings:\n\
         \x20 master_key: {MASTER_KEY}\n"
    )
}

fn start_upstream(args: &Args, log_dir: &Path) -> anyhow::Result<(Proc, u16)> {
    let bin = args.bin_dir.join("bench-upstream");
    let log = log_dir.join("bench-upstream.log");
    let (_, err) = log_file(&log)?;
    let child = pinned(&args.upstream_core, &bin)
        .args(["--port", "0", "--chunks", &args.chunks.to_string(), "--delay-ms", &args.upstream_delay_ms.to_string()])
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let mut proc = Proc { child };
    let port = listening_port(&mut proc, "bench-upstream", &log)?;
    Ok((proc, port))
}

/// The port a helper of ours prints (`listening on <addr>`) once it accepts connections.
fn listening_port(proc: &mut Proc, what: &str, log: &Path) -> anyhow::Result<u16> {
    let stdout = proc.child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| anyhow!("{what} did not say where it listens ({line:?}); see {}", log.display()))?;
    Ok(addr.port())
}

fn wait_ready(proc: &mut Proc, port: u16, timeout: Duration, what: &str, log: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = proc.exited() {
            bail!("{what} exited ({status}) before it was ready:\n{}", tail(log, 20));
        }
        if let Ok(r) = http::request(loopback(port), "GET", "/health/liveliness", &[], None, Duration::from_secs(2))
            && r.status == 200
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what} was not ready after {timeout:?}:\n{}", tail(log, 20));
        }
        sleep(Duration::from_millis(50));
    }
}

impl Ctx {
    /// `database`: the database URL and Redis URL of replicas (or of the scale run); else a
    /// fresh SQLite file.
    fn start_switchboard(
        &mut self,
        scenario: &Scenario,
        database: Option<(&str, Option<&str>)>,
        replica: u8,
    ) -> anyhow::Result<Gateway> {
        let port = free_port()?;
        let suffix = if database.is_some() { format!("-{}", char::from(b'a' + replica)) } else { String::new() };
        let log = self.log_dir.join(format!("{}{suffix}.log", scenario.name));
        let (out, err) = log_file(&log)?;
        let mut command = pinned(&self.args.gateway_core, &self.switchboard);
        command
            .args(["serve", "--config"])
            .arg(&self.config)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("SWITCHBOARD_LOG", scenario.log_level)
            .stdout(out)
            .stderr(err);
        // Switchboard always keeps spend rows (without DATABASE_URL in a SQLite file in the
        // user's data folder, which a benchmark must not fill): a fresh file per scenario.
        command.env("XDG_DATA_HOME", self.run_dir.join("data"));
        let db = match database {
            Some((database_url, redis_url)) => {
                command.env("DATABASE_URL", database_url);
                if let Some(redis_url) = redis_url {
                    command.env("REDIS_URL", redis_url);
                }
                None
            }
            None => {
                self.db_counter += 1;
                let db = self.run_dir.join(format!("{:02}-{}.db", self.db_counter, scenario.name));
                command.env("DATABASE_URL", format!("sqlite://{}?mode=rwc", db.display()));
                Some(db)
            }
        };
        let child = command.spawn().with_context(|| format!("cannot start {}", self.switchboard.display()))?;
        let mut proc = Proc { child };
        wait_ready(&mut proc, port, Duration::from_secs(30), "switchboard", &log)?;
        Ok(Gateway { proc, port, log, db })
    }

    fn start_forward(&mut self, scenario: &Scenario) -> anyhow::Result<Gateway> {
        let bin = self.args.bin_dir.join("bench-forward");
        let log = self.log_dir.join(format!("{}.log", scenario.name));
        let (_, err) = log_file(&log)?;
        let child = pinned(&self.args.gateway_core, &bin)
            .args(["--port", "0", "--upstream-port", &self.upstream_port.to_string()])
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut proc = Proc { child };
        let port = listening_port(&mut proc, "bench-forward", &log)?;
        wait_ready(&mut proc, port, Duration::from_secs(10), "bench-forward", &log)?;
        Ok(Gateway { proc, port, log, db: None })
    }

    fn start_litellm(&mut self, scenario: &Scenario) -> anyhow::Result<Gateway> {
        let bin = self.litellm.clone().ok_or_else(|| anyhow!("no litellm"))?;
        let port = free_port()?;
        let log = self.log_dir.join(format!("{}.log", scenario.name));
        let (out, err) = log_file(&log)?;
        let child = pinned(&self.args.gateway_core, &bin)
            .arg("--config")
            .arg(&self.config)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("DISABLE_SCHEMA_UPDATE", "true")
            .env("XDG_DATA_HOME", self.run_dir.join("data"))
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut proc = Proc { child };
        wait_ready(&mut proc, port, Duration::from_secs(240), "litellm", &log)?;
        Ok(Gateway { proc, port, log, db: None })
    }
}

/// Creates a team and a virtual key through the gateway's admin API (LiteLLM's). `Ok(None)`
/// when the gateway has no such API yet.
fn create_virtual_key(port: u16) -> anyhow::Result<Result<String, String>> {
    let auth = format!("Bearer {MASTER_KEY}");
    let headers = [("Authorization", auth.as_str())];
    let call = |path: &str, body: serde_json::Value| -> anyhow::Result<Result<serde_json::Value, String>> {
        let r =
            http::request(loopback(port), "POST", path, &headers, Some(&body.to_string()), Duration::from_secs(10))?;
        match r.status {
            404 | 405 => Ok(Err(format!("skipped: gateway has no {path} yet"))),
            200..=299 => {
                Ok(Ok(serde_json::from_slice(&r.body).with_context(|| format!("{path} answered {}", r.text()))?))
            }
            status => bail!("{path} answered {status}: {}", r.text()),
        }
    };
    let team = match call("/team/new", json!({ "team_alias": "bench", "models": ["bench-openai"] }))? {
        Ok(team) => team,
        Err(skip) => return Ok(Err(skip)),
    };
    let team_id = team["team_id"].as_str().ok_or_else(|| anyhow!("/team/new gave no team_id: {team}"))?;
    let key = match call(
        "/key/generate",
        json!({
            "team_id": team_id,
            "key_alias": "bench",
            "rpm_limit": 100_000_000u64,
            "tpm_limit": 1_000_000_000u64,
            "max_budget": 1_000_000,
        }),
    )? {
        Ok(key) => key,
        Err(skip) => return Ok(Err(skip)),
    };
    let key = key["key"].as_str().ok_or_else(|| anyhow!("/key/generate gave no key: {key}"))?;
    Ok(Ok(key.to_owned()))
}

/// Path and body of a scenario's request.
fn request_for(scenario: &Scenario) -> (String, String) {
    let stream = if scenario.stream { r#","stream":true,"stream_options":{"include_usage":true}"# } else { "" };
    match (scenario.target, scenario.upstream) {
        // The forwarder passes the fake's own protocol through.
        (Target::Direct | Target::Forward, Upstream::Openai) => (
            "/v1/chat/completions".into(),
            format!(
                r#"{{"model":"bench","messages":[{{"role":"user","content":"{PROMPT}"}}],"max_tokens":32{stream}}}"#
            ),
        ),
        (Target::Direct | Target::Forward, Upstream::Bedrock) => (
            format!("/model/{BEDROCK_MODEL}/{}", if scenario.stream { "converse-stream" } else { "converse" }),
            format!(
                r#"{{"messages":[{{"role":"user","content":[{{"text":"{PROMPT}"}}]}}],"inferenceConfig":{{"maxTokens":32}}}}"#
            ),
        ),
        (_, upstream) if scenario.api == Api::Messages => {
            let model = if upstream == Upstream::Openai { "bench-openai" } else { "bench-bedrock" };
            let stream = if scenario.stream { r#","stream":true"# } else { "" };
            (
                "/v1/messages".into(),
                format!(
                    r#"{{"model":"{model}","max_tokens":32,"messages":[{{"role":"user","content":"{PROMPT}"}}]{stream}}}"#
                ),
            )
        }
        (_, upstream) => {
            let model = if upstream == Upstream::Openai { "bench-openai" } else { "bench-bedrock" };
            (
                "/v1/chat/completions".into(),
                format!(
                    r#"{{"model":"{model}","messages":[{{"role":"user","content":"{PROMPT}"}}],"max_tokens":32{stream}}}"#
                ),
            )
        }
    }
}

/// One request before the load, so that a misconfiguration shows as a message, not a table of
/// errors.
fn probe(port: u16, path: &str, body: &str, key: Option<&str>, scenario: &Scenario) -> anyhow::Result<()> {
    let auth = key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let r = http::request(loopback(port), "POST", path, &headers, Some(body), Duration::from_secs(30))?;
    if r.status != 200 {
        bail!("probe answered {}: {}", r.status, r.text().chars().take(400).collect::<String>());
    }
    if scenario.api == Api::Messages {
        let complete = if scenario.stream { "event: message_stop" } else { "\"type\":\"message\"" };
        if !r.text().contains(complete) {
            bail!("probe answer is not a whole message: {}", r.text().chars().take(400).collect::<String>());
        }
        return Ok(());
    }
    let openai_out =
        !matches!(scenario.target, Target::Direct | Target::Forward) || scenario.upstream == Upstream::Openai;
    if scenario.stream && openai_out && !r.text().contains("data: [DONE]") {
        bail!("probe stream did not end with data: [DONE]: {}", r.text().chars().take(400).collect::<String>());
    }
    if !scenario.stream && openai_out && !r.text().contains("\"choices\"") {
        bail!("probe answer has no choices: {}", r.text().chars().take(400).collect::<String>());
    }
    Ok(())
}

/// What the load generator sends, and where.
struct LoadSpec<'a> {
    port: u16,
    /// More gateways that share the load (replicas): each connection goes to one of them.
    more_ports: &'a [u16],
    path: &'a str,
    body: &'a str,
    key: Option<&'a str>,
    rate: Option<u32>,
}

/// Runs oha for `seconds`; its report when `measure`.
fn run_oha(ctx: &Ctx, spec: &LoadSpec, seconds: u64, measure: bool) -> anyhow::Result<Option<LoadRun>> {
    let LoadSpec { port, more_ports, path, body, key, rate } = *spec;
    let mut command = Command::new("taskset");
    command
        .arg("-c")
        .arg(&ctx.args.loadgen_core)
        .arg(&ctx.args.oha)
        .args(["--no-tui", "--worker-threads", "1", "--output-format"])
        .arg(if measure { "json" } else { "quiet" })
        .args(["-z", &format!("{seconds}s"), "-c", &ctx.args.connections.to_string()])
        // Requests in flight at the deadline finish and count, so that the request count matches
        // the CPU time measured.
        .args(["-w", "-t", "10s", "-m", "POST", "-T", "application/json", "-d", body]);
    if let Some(key) = key {
        command.arg("-H").arg(format!("Authorization: Bearer {key}"));
    }
    if let Some(rate) = rate {
        // Latency from the scheduled send time: queueing behind a slow answer counts.
        command.args(["-q", &rate.to_string(), "--latency-correction"]);
    }
    if more_ports.is_empty() {
        command.arg(format!("http://127.0.0.1:{port}{path}"));
    } else {
        // oha picks a URL at random for each new connection and keeps it (keep-alive): the
        // connections spread over the replicas, as a load balancer's would.
        let urls = ctx.run_dir.join("replica-urls.txt");
        let lines: String = std::iter::once(port)
            .chain(more_ports.iter().copied())
            .map(|p| format!("http://127.0.0.1:{p}{path}\n"))
            .collect();
        std::fs::write(&urls, lines)?;
        command.arg("--urls-from-file").arg(&urls);
    }
    for name in SCRUBBED_ENV {
        command.env_remove(name);
    }
    let out = command.stdin(Stdio::null()).stderr(Stdio::piped()).output().context("cannot run oha")?;
    if !out.status.success() {
        bail!("oha failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    if !measure {
        return Ok(None);
    }
    Ok(Some(oha::parse(&String::from_utf8_lossy(&out.stdout))?))
}

/// Rows in Switchboard's `spend_logs`, when the `sqlite3` command is there to count them. After
/// the gateway stopped: stopping flushes the spend writer.
fn count_spend_rows(db: &Path) -> Option<u64> {
    let url = format!("file:{}?mode=ro", db.display());
    command_output("sqlite3", &[&url, "SELECT count(*) FROM spend_logs"]).and_then(|n| n.parse::<u64>().ok())
}

/// Longer than the gateway's spend-writer flush interval (1 s).
const SETTLE: Duration = Duration::from_millis(1500);

/// Other processes' CPU during a run above which its figures are marked noisy (% of one core).
const NOISE_PERCENT: f64 = 5.0;

/// The servers replicas share, by process name.
const SHARED_SERVICES: &[&str] = &["redis-server", "postgres"];

const NOISE: &[&str] = &["rustc", "cc1", "cc1plus", "ld", "ld.lld", "lld"];

/// Waits until processes other than ours use less than `NOISE_PERCENT` of a core (over 1 s), at
/// most `limit`.
fn wait_quiet(ctx: &Ctx, limit: Duration) {
    if limit.is_zero() {
        return;
    }
    let deadline = Instant::now() + limit;
    let mut said = false;
    loop {
        let before = procfs::process_table();
        sleep(Duration::from_secs(1));
        let after = procfs::process_table();
        let mut ours = procfs::process_tree(std::process::id());
        ours.push(ctx.upstream.pid());
        let foreign = procfs::foreign_ticks(&before, &after, &ours);
        let percent = foreign.iter().map(|(_, t)| t).sum::<u64>() as f64 * 100.0 / ctx.ticks_per_second as f64;
        if percent < NOISE_PERCENT {
            return;
        }
        if Instant::now() > deadline {
            println!("bench: the machine is still busy after {limit:?}; measuring anyway");
            return;
        }
        if !said {
            let top: Vec<String> =
                foreign.iter().take(3).map(|(n, t)| format!("{n} {}%", t * 100 / ctx.ticks_per_second)).collect();
            println!("bench: waiting for a quiet machine (up to {limit:?}): {}", top.join(", "));
            said = true;
        }
    }
}

/// Runs one scenario, end to end.
fn run_scenario(ctx: &mut Ctx, scenario: &Scenario, done: &HashMap<String, Outcome>) -> Outcome {
    match try_scenario(ctx, scenario, done) {
        Ok(outcome) => outcome,
        Err(e) => Outcome::empty(scenario.clone(), format!("failed: {e:#}")),
    }
}

fn try_scenario(ctx: &mut Ctx, scenario: &Scenario, done: &HashMap<String, Outcome>) -> anyhow::Result<Outcome> {
    if scenario.auth == Auth::VirtualKey
        && let Some(why) = &ctx.no_virtual_keys
    {
        return Ok(Outcome::empty(scenario.clone(), why.clone()));
    }
    let noise_before = procfs::running_named(NOISE);
    // Declared first, dropped last: the schema goes once the replicas have stopped.
    let shared = if scenario.replicas > 1 { Some(Shared::new(&ctx.args, scenario)?) } else { None };
    let mut gateway = match scenario.target {
        Target::Direct => None,
        Target::Switchboard => Some(ctx.start_switchboard(scenario, shared.as_ref().map(Shared::urls), 0)?),
        Target::Litellm => Some(ctx.start_litellm(scenario)?),
        Target::Forward => Some(ctx.start_forward(scenario)?),
    };
    let mut others = Vec::new();
    for replica in 1..scenario.replicas {
        others.push(ctx.start_switchboard(scenario, shared.as_ref().map(Shared::urls), replica)?);
    }
    let other_ports: Vec<u16> = others.iter().map(|g| g.port).collect();
    let other_pids: Vec<u32> = others.iter().map(|g| g.proc.pid()).collect();
    let port = gateway.as_ref().map_or(ctx.upstream_port, |g| g.port);

    let gateway_pid = gateway.as_ref().map(|g| g.proc.pid());
    // Idle: started, nothing asked yet.
    sleep(Duration::from_millis(300));
    let rss_idle = gateway_pid.and_then(|pid| procfs::status_kb(pid, "VmRSS"));
    let rss_idle_anon = gateway_pid.and_then(|pid| procfs::status_kb(pid, "RssAnon"));
    let rss_idle_file = gateway_pid.and_then(|pid| procfs::status_kb(pid, "RssFile"));

    let mut key = match scenario.target {
        Target::Direct | Target::Forward => None,
        _ => Some(MASTER_KEY.to_owned()),
    };
    if scenario.auth == Auth::VirtualKey {
        match create_virtual_key(port)? {
            Ok(k) => key = Some(k),
            Err(skip) => {
                ctx.no_virtual_keys = Some(skip.clone());
                return Ok(Outcome::empty(scenario.clone(), skip));
            }
        }
    }
    let (path, body) = request_for(scenario);
    probe(port, &path, &body, key.as_deref(), scenario)?;
    for other in &other_ports {
        // The key made on the first replica reaches the others within milliseconds.
        let deadline = Instant::now() + Duration::from_secs(3);
        while let Err(e) = probe(*other, &path, &body, key.as_deref(), scenario) {
            if Instant::now() > deadline {
                return Err(e.context("the key made on the first replica did not work on another"));
            }
            sleep(Duration::from_millis(50));
        }
    }

    let spec =
        LoadSpec { port, more_ports: &other_ports, path: &path, body: &body, key: key.as_deref(), rate: scenario.rate };
    let (warmup, duration) = if ctx.args.quick { (1, 3) } else { (ctx.args.warmup, ctx.args.duration) };
    if warmup > 0 {
        run_oha(ctx, &spec, warmup, false)?;
    }
    // Work that trails requests (the spend writer flushes every second) must land on the side
    // of the window its requests are on: let the warm-up's settle first.
    let settle = if gateway.is_some() { SETTLE } else { Duration::from_millis(200) };
    sleep(settle);
    let up_pid = ctx.upstream.pid();
    let sample = |pid: Option<u32>| pid.and_then(CpuSample::take);
    let gw_before = sample(gateway_pid);
    let others_before: Vec<Option<CpuSample>> = other_pids.iter().map(|p| sample(Some(*p))).collect();
    let up_before = sample(Some(up_pid));
    let cores_before = procfs::core_times();
    let table_before = procfs::process_table();
    let load = run_oha(ctx, &spec, duration, true)?.ok_or_else(|| anyhow!("no oha report"))?;
    // Let the trailing work of the measured requests land in the figures: at least `settle`,
    // then until the CPU counters stand still (at most 2 s more).
    sleep(settle);
    let mut gw_after = sample(gateway_pid);
    let mut up_after = sample(Some(up_pid));
    for _ in 0..10 {
        sleep(Duration::from_millis(200));
        let (g, u) = (sample(gateway_pid), sample(Some(up_pid)));
        let same = g.as_ref().map(|s| s.ticks) == gw_after.as_ref().map(|s| s.ticks)
            && u.as_ref().map(|s| s.ticks) == up_after.as_ref().map(|s| s.ticks);
        gw_after = g;
        up_after = u;
        if same {
            break;
        }
    }
    let others_after: Vec<Option<CpuSample>> = other_pids.iter().map(|p| sample(Some(*p))).collect();
    let cores_after = procfs::core_times();
    let table_after = procfs::process_table();
    let mut ours = procfs::process_tree(std::process::id());
    ours.extend(gateway_pid.map(procfs::process_tree).unwrap_or_default());
    ours.extend(other_pids.iter().flat_map(|p| procfs::process_tree(*p)));
    let mut foreign = procfs::foreign_ticks(&table_before, &table_after, &ours);
    // The replicas' Redis and PostgreSQL work for them: counted apart, not as noise.
    let services_ticks: u64 = if shared.is_some() {
        let (services, rest): (Vec<_>, Vec<_>) =
            foreign.into_iter().partition(|(name, _)| SHARED_SERVICES.contains(&name.as_str()));
        foreign = rest;
        services.iter().map(|(_, t)| t).sum()
    } else {
        0
    };
    let rss_peak = gateway_pid.and_then(|pid| procfs::status_kb(pid, "VmHWM"));
    let noise_after = procfs::running_named(NOISE);

    for g in gateway.iter_mut().chain(others.iter_mut()) {
        if let Some(status) = g.proc.exited() {
            bail!("the gateway exited during the run ({status}):\n{}", tail(&g.log, 20));
        }
    }
    // Stopping flushes the spend writer; then its rows can be counted.
    let db = gateway.as_mut().and_then(|g| g.db.take());
    drop(gateway);
    drop(others);
    let spend_rows = match &shared {
        Some(shared) => shared.spend_rows(),
        None => db.as_deref().and_then(count_spend_rows),
    };

    let tps = ctx.ticks_per_second;
    let cpu_of = |before: &Option<CpuSample>, after: &Option<CpuSample>| match (before, after) {
        (Some(b), Some(a)) => {
            let (seconds, precise) = b.seconds_until(a, tps);
            report::cpu(seconds, precise, load.responses, load.seconds)
        }
        _ => None,
    };
    // Every replica's CPU, over every replica's requests.
    let mut gateway_seconds = gw_before.as_ref().zip(gw_after.as_ref()).map(|(b, a)| b.seconds_until(a, tps));
    for (b, a) in others_before.iter().zip(&others_after) {
        gateway_seconds = match (gateway_seconds, b.as_ref().zip(a.as_ref())) {
            (Some((total, precise)), Some((b, a))) => {
                let (seconds, also_precise) = b.seconds_until(a, tps);
                Some((total + seconds, precise && also_precise))
            }
            _ => None,
        };
    }
    let gateway_cpu =
        gateway_seconds.and_then(|(seconds, precise)| report::cpu(seconds, precise, load.responses, load.seconds));
    let upstream_cpu = cpu_of(&up_before, &up_after);
    let services_cpu = shared
        .as_ref()
        .and_then(|_| report::cpu(services_ticks as f64 / tps as f64, false, load.responses, load.seconds));
    let baseline_name = (scenario.target != Target::Direct).then(|| scenario.baseline().name);
    let added = baseline_name
        .as_ref()
        .and_then(|n| done.get(n))
        .and_then(|b| b.load.as_ref())
        .map(|b| report::added_latency(&load, b));
    let mut outcome = Outcome::empty(scenario.clone(), "ok");
    outcome.cpu_ratio = match (gateway_cpu, upstream_cpu) {
        (Some(g), Some(u)) if u.us_per_request > 0.0 => Some(g.us_per_request / u.us_per_request),
        _ => None,
    };
    outcome.gateway_cpu = gateway_cpu;
    outcome.upstream_cpu = upstream_cpu;
    outcome.services_cpu = services_cpu;
    outcome.added = added;
    outcome.baseline = baseline_name;
    outcome.rss_idle_mb = rss_idle.map(|kb| kb as f64 / 1024.0);
    outcome.rss_peak_mb = rss_peak.map(|kb| kb as f64 / 1024.0);
    outcome.rss_idle_anon_mb = rss_idle_anon.map(|kb| kb as f64 / 1024.0);
    outcome.rss_idle_file_mb = rss_idle_file.map(|kb| kb as f64 / 1024.0);
    outcome.core_busy_percent = procfs::core_busy_percent(&cores_before, &cores_after);
    let percent = |ticks: u64| ticks as f64 * 100.0 / ctx.ticks_per_second as f64 / load.seconds.max(0.001);
    let foreign_percent = percent(foreign.iter().map(|(_, t)| t).sum());
    outcome.foreign_top = foreign.iter().take(4).map(|(n, t)| format!("{n}: {:.0}%", percent(*t))).collect();
    outcome.foreign_cpu_percent = Some(foreign_percent);
    outcome.spend_rows = spend_rows;
    outcome.noisy = !noise_before.is_empty() || !noise_after.is_empty() || foreign_percent > NOISE_PERCENT;
    outcome.load = Some(load);
    Ok(outcome)
}

fn scenarios(litellm: bool, litellm_rate: u32) -> Vec<Scenario> {
    use Auth::*;
    use Target::*;
    use Upstream::*;
    let sb = |up, stream, rate| Scenario::new(Switchboard, up, stream, rate, MasterKey);
    let vk = |up, stream, rate| Scenario::new(Switchboard, up, stream, rate, VirtualKey);
    let mut list = vec![
        sb(Openai, false, None),
        sb(Openai, false, Some(500)),
        sb(Openai, false, Some(1000)),
        sb(Openai, false, Some(2000)),
        sb(Openai, false, Some(2000)).with_log_level("info"),
        sb(Openai, true, Some(1000)),
        sb(Bedrock, false, Some(2000)),
        sb(Bedrock, true, Some(1000)),
        sb(Bedrock, false, Some(2000)).messages(),
        sb(Bedrock, true, Some(1000)).messages(),
        vk(Openai, false, None),
        vk(Openai, false, Some(1000)),
        vk(Openai, false, Some(2000)),
        vk(Openai, true, Some(1000)),
        // Two replicas on PostgreSQL, sharing the key's limits and budget through Redis.
        vk(Openai, false, Some(2000)).replicas(2),
        // The floor: a proxy that only forwards, on the gateway's core.
        Scenario::new(Forward, Openai, false, None, MasterKey),
        Scenario::new(Forward, Openai, false, Some(2000), MasterKey),
    ];
    if litellm {
        list.push(sb(Openai, false, Some(litellm_rate)));
        list.push(Scenario::new(Litellm, Openai, false, Some(litellm_rate), MasterKey));
        list.push(Scenario::new(Litellm, Openai, false, None, MasterKey));
    }
    list
}

/// Keeps the selected gateway scenarios and puts each one's direct baseline just before it
/// (once).
fn with_baselines(gateway: Vec<Scenario>, only: &[String]) -> Vec<Scenario> {
    let matches = |s: &Scenario| only.is_empty() || only.iter().any(|o| s.name.contains(o.as_str()));
    // A LiteLLM scenario brings its Switchboard twin: the comparison needs both.
    let twins: Vec<String> = gateway
        .iter()
        .filter(|s| s.target == Target::Litellm && matches(s))
        .map(|s| Scenario::new(Target::Switchboard, s.upstream, s.stream, s.rate, s.auth).name)
        .collect();
    let selected = |s: &Scenario| matches(s) || twins.contains(&s.name);
    let mut out: Vec<Scenario> = Vec::new();
    for s in gateway {
        let baseline = s.baseline();
        let want_self = selected(&s);
        let want_baseline = want_self || selected(&baseline);
        if want_baseline && !out.iter().any(|o| o.name == baseline.name) {
            out.push(baseline);
        }
        if want_self && !out.iter().any(|o| o.name == s.name) {
            out.push(s);
        }
    }
    out
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let litellm = match args.litellm {
        LitellmMode::Never => None,
        LitellmMode::Auto => args.litellm_bin.exists().then(|| args.litellm_bin.clone()),
        LitellmMode::Always => {
            if !args.litellm_bin.exists() {
                bail!("{} is missing: run bench/run --with-litellm", args.litellm_bin.display());
            }
            Some(args.litellm_bin.clone())
        }
    };
    let plan = with_baselines(scenarios(litellm.is_some(), args.litellm_rate), &args.only);
    if args.list {
        for s in &plan {
            println!("{}", s.name);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if plan.is_empty() {
        bail!("no scenario matches --only {}", args.only.join(","));
    }
    let switchboard = args.bin_dir.join("switchboard");
    for bin in [&switchboard, &args.bin_dir.join("bench-upstream"), &args.bin_dir.join("bench-forward"), &args.oha] {
        if !bin.exists() {
            bail!("{} is missing (bench/run builds and installs what is needed)", bin.display());
        }
    }
    if command_output("taskset", &["-V"]).is_none() {
        bail!("taskset is missing (Debian: apt-get install util-linux)");
    }

    std::fs::create_dir_all(&args.out)?;
    let out = args.out.canonicalize()?;
    let run_dir = out.join("run");
    let log_dir = out.join("logs");
    let _ = std::fs::remove_dir_all(&run_dir);
    let _ = std::fs::remove_dir_all(&log_dir);
    std::fs::create_dir_all(&run_dir)?;
    std::fs::create_dir_all(&log_dir)?;

    let started = command_output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]).unwrap_or_default();
    let load_before = procfs::load_average();
    let noise_at_start = procfs::running_named(NOISE);
    let oha_version = command_output(&args.oha.to_string_lossy(), &["--version"]);
    let litellm_version = litellm.as_ref().and_then(|bin| {
        let python = bin.with_file_name("python");
        command_output(
            &python.to_string_lossy(),
            &["-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        )
    });
    let meta = json!({
        "date": started,
        "machine": {
            "cpu": procfs::cpu_model(),
            "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
            "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
            "os": std::fs::read_to_string("/etc/debian_version").ok().map(|s| format!("Debian {}", s.trim())),
            "clock_ticks_per_second": procfs::clock_ticks_per_second(),
        },
        "versions": {
            "switchboard": command_output(&switchboard.to_string_lossy(), &["--version"]),
            "switchboard_built": std::fs::metadata(&switchboard)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| command_output("date", &["-u", "-d", &format!("@{}", d.as_secs()), "+%Y-%m-%dT%H:%M:%SZ"])),
            "git_commit": command_output("git", &["rev-parse", "--short", "HEAD"]),
            "git_dirty": command_output("git", &["status", "--porcelain", "--", "proxy"]).map(|s| !s.is_empty()),
            "rustc": command_output("rustc", &["--version"]),
            "oha": oha_version,
            "litellm": litellm_version,
        },
        "settings": {
            "warmup_s": if args.quick { 1 } else { args.warmup },
            "duration_s": if args.quick { 3 } else { args.duration },
            "connections": args.connections,
            "gateway_core": args.gateway_core,
            "upstream_core": args.upstream_core,
            "loadgen_core": args.loadgen_core,
            "stream_chunks": args.chunks,
            "upstream_delay_ms": args.upstream_delay_ms,
            "quick": args.quick,
            "wait_quiet_s": args.wait_quiet,
            "retries_when_noisy": args.retries,
        },
        "load_average_before": load_before,
        "compilers_running_at_start": noise_at_start,
    });
    if !noise_at_start.is_empty() {
        eprintln!(
            "bench: warning: {} running: figures taken now are noise; re-run on a quiet machine",
            noise_at_start.join(", ")
        );
    }

    let (upstream, upstream_port) = start_upstream(&args, &log_dir)?;
    let config = run_dir.join("config.yaml");
    std::fs::write(&config, gateway_config(upstream_port))?;
    if !args.soak && !args.scale {
        println!(
            "bench: {} scenarios; gateway on core {}, bench-upstream on core {} (port {upstream_port}), oha on core \
             {}; {} s warm-up + {} s measured each{}",
            plan.len(),
            args.gateway_core,
            args.upstream_core,
            args.loadgen_core,
            meta["settings"]["warmup_s"],
            meta["settings"]["duration_s"],
            if litellm.is_some() { "; with LiteLLM" } else { "" }
        );
    }
    let mut ctx = Ctx {
        ticks_per_second: procfs::clock_ticks_per_second(),
        switchboard,
        run_dir,
        log_dir,
        config,
        upstream,
        upstream_port,
        litellm,
        no_virtual_keys: None,
        db_counter: 0,
        args,
    };
    if ctx.args.soak {
        return run_soak(&mut ctx, meta, &out);
    }
    if ctx.args.scale {
        return run_scale(&mut ctx, meta, &out);
    }

    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut done: HashMap<String, Outcome> = HashMap::new();
    for scenario in &plan {
        let mut best: Option<Outcome> = None;
        for attempt in 0..=ctx.args.retries {
            wait_quiet(&ctx, Duration::from_secs(ctx.args.wait_quiet));
            let started = Instant::now();
            let outcome = run_scenario(&mut ctx, scenario, &done);
            print_progress(&outcome, started.elapsed());
            let noisy = outcome.noisy;
            let better = match &best {
                None => true,
                Some(b) => {
                    outcome.ok()
                        && (!b.ok()
                            || outcome.foreign_cpu_percent.unwrap_or(0.0) < b.foreign_cpu_percent.unwrap_or(0.0))
                }
            };
            if better {
                best = Some(outcome);
            }
            if !noisy || attempt == ctx.args.retries {
                break;
            }
            println!("{:<40} noisy: again ({} of {})", scenario.name, attempt + 2, ctx.args.retries + 1);
        }
        let outcome = best.expect("at least one attempt");
        if let Some(status) = ctx.upstream.exited() {
            bail!("bench-upstream exited ({status}); see {}", ctx.log_dir.join("bench-upstream.log").display());
        }
        done.insert(scenario.name.clone(), outcome.clone());
        outcomes.push(outcome);
    }
    drop(ctx.upstream);

    let checks = report::check_targets(&outcomes);
    let ratios = report::litellm_ratios(&outcomes, ctx.args.litellm_rate);
    let mut meta = meta;
    meta["load_average_after"] = json!(procfs::load_average());
    let noisy: Vec<&str> = outcomes.iter().filter(|o| o.noisy).map(|o| o.scenario.name.as_str()).collect();

    let table = report::text_table(&outcomes);
    println!("\n{table}");
    print!("{}", report::service_lines(&outcomes));
    println!(
        "rate: fixed req/s or max (saturation, {} connections); p50-p99: latency seen by oha; +pNN: minus the direct \
         run at the same rate; gw/up µs/req: CPU time per request of the gateway and of the fake upstream; \
         gw core%: share of the gateway's core it used.",
        ctx.args.connections
    );
    println!("\nTargets (issue 4):\n{}", report::targets_text(&checks));
    if !ratios.is_empty() {
        println!("LiteLLM comparison:");
        for r in &ratios {
            println!("  {}: Switchboard {:.3}, LiteLLM {:.3} → {:.1}×", r.figure, r.switchboard, r.litellm, r.times);
        }
    }
    if !noisy.is_empty() {
        println!("\nNoisy (other processes used CPU meanwhile; see foreign_top in results.json): {}", noisy.join(", "));
    }

    let results = json!({
        "meta": meta,
        "scenarios": outcomes,
        "targets": checks,
        "litellm_ratios": ratios,
    });
    let json_path = out.join("results.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&results)? + "\n")?;
    let md_path = out.join("results.md");
    std::fs::write(&md_path, markdown(&meta, &outcomes, &checks, &ratios, &noisy))?;
    println!("\nWrote {} and {}", json_path.display(), md_path.display());

    let failed = outcomes.iter().any(|o| o.status.starts_with("failed"));
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_progress(o: &Outcome, took: Duration) {
    let took = took.as_secs_f64();
    match (&o.load, o.ok()) {
        (Some(load), true) => println!(
            "{:<40} {:>8.0} req/s  p99 {:>7.3} ms  errors {:<5} gw {:>7} µs/req  up {:>6} µs/req{}  ({took:.0} s){}",
            o.scenario.name,
            load.rps,
            load.p99_ms,
            load.errors(),
            o.gateway_cpu.map_or("-".into(), |c| format!("{:.1}", c.us_per_request)),
            o.upstream_cpu.map_or("-".into(), |c| format!("{:.1}", c.us_per_request)),
            o.spend_rows.map_or(String::new(), |n| format!("  spend rows {n}")),
            if o.noisy {
                format!(
                    "  [noisy: other processes {:.0}% of a core: {}]",
                    o.foreign_cpu_percent.unwrap_or(0.0),
                    o.foreign_top.join(", ")
                )
            } else {
                String::new()
            },
        ),
        _ => println!("{:<40} {} ({took:.0} s)", o.scenario.name, o.status),
    }
}

/// A JSON figure of the run's metadata as text; `?` when unknown.
fn meta_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "?".into(),
        other => other.to_string(),
    }
}

/// When, on what and with which builds: the first line of results.md and soak.md.
fn versions_line(meta: &serde_json::Value) -> String {
    let s = meta_text;
    format!(
        "{} · {} ({} cores) · kernel {} · {} · {} (built {}; HEAD {}{}) · {} · {}{}",
        s(&meta["date"]),
        s(&meta["machine"]["cpu"]),
        s(&meta["machine"]["cores"]),
        s(&meta["machine"]["kernel"]),
        s(&meta["machine"]["os"]),
        s(&meta["versions"]["switchboard"]),
        s(&meta["versions"]["switchboard_built"]),
        s(&meta["versions"]["git_commit"]),
        if meta["versions"]["git_dirty"] == json!(true) { ", proxy/ modified in the work tree" } else { "" },
        s(&meta["versions"]["oha"]),
        s(&meta["versions"]["rustc"]),
        match &meta["versions"]["litellm"] {
            serde_json::Value::String(v) => format!(" · litellm {v}"),
            _ => String::new(),
        },
    )
}

fn markdown(
    meta: &serde_json::Value,
    outcomes: &[Outcome],
    checks: &[report::TargetCheck],
    ratios: &[report::Ratio],
    noisy: &[&str],
) -> String {
    use std::fmt::Write as _;
    let s = meta_text;
    let mut md = String::new();
    let _ = writeln!(md, "# Switchboard benchmark results\n");
    let _ = writeln!(md, "{}\n", versions_line(meta));
    let st = &meta["settings"];
    let _ = writeln!(
        md,
        "Gateway on core {}, fake upstream on core {}, oha on core {}; {} connections; {} s warm-up, {} s measured per \
         scenario. Load average before {}, after {}.\n",
        s(&st["gateway_core"]),
        s(&st["upstream_core"]),
        s(&st["loadgen_core"]),
        s(&st["connections"]),
        s(&st["warmup_s"]),
        s(&st["duration_s"]),
        s(&meta["load_average_before"]),
        s(&meta["load_average_after"]),
    );
    md.push_str(&report::markdown_table(outcomes));
    let services = report::service_lines(outcomes);
    if !services.is_empty() {
        let _ = write!(md, "\n{services}");
    }
    let _ = writeln!(md, "\n## Targets\n");
    for c in checks {
        let verdict = match c.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        };
        let _ = writeln!(md, "- {verdict}: {} — {} (`{}`)", c.target, c.measured, c.scenario);
    }
    if !ratios.is_empty() {
        let _ = writeln!(md, "\n## LiteLLM comparison\n\n| figure | Switchboard | LiteLLM | × |\n|---|---|---|---|");
        for r in ratios {
            let _ = writeln!(md, "| {} | {:.3} | {:.3} | {:.1} |", r.figure, r.switchboard, r.litellm, r.times);
        }
    }
    if !noisy.is_empty() {
        let _ = writeln!(md, "\nNoisy (other processes used CPU meanwhile): {}", noisy.join(", "));
    }
    md
}

/// Seconds of each of the soak's load segments: one sample of the gateway per segment.
const SOAK_SEGMENT_S: u64 = 60;

/// The soak: one gateway with a virtual key (limits, budget, spend to a fresh SQLite file) under
/// `--soak-rate` for `--soak-minutes`, its memory sampled when the load starts and after each
/// minute. Writes soak.json and soak.md; fails when the soak did not run to its end.
fn run_soak(ctx: &mut Ctx, mut meta: serde_json::Value, out: &Path) -> anyhow::Result<ExitCode> {
    let (minutes, rate) = (ctx.args.soak_minutes, ctx.args.soak_rate);
    let mut scenario = Scenario::new(Target::Switchboard, Upstream::Openai, false, Some(rate), Auth::VirtualKey);
    // Its own log and SQLite file names, apart from the short scenario of the same shape.
    scenario.name = format!("soak-{}", scenario.name);
    if let Some(settings) = meta["settings"].as_object_mut() {
        // The scenarios' timing does not apply here; the soak's does.
        for key in ["warmup_s", "duration_s", "quick", "retries_when_noisy"] {
            settings.remove(key);
        }
        settings.insert("soak_minutes".into(), json!(minutes));
        settings.insert("soak_rate".into(), json!(rate));
        settings.insert("soak_segment_s".into(), json!(SOAK_SEGMENT_S));
    }
    println!(
        "bench: soak, {minutes} min at {rate} req/s ({}); gateway on core {}, bench-upstream on core {} (port {}), \
         oha on core {}, {} connections",
        scenario.name,
        ctx.args.gateway_core,
        ctx.args.upstream_core,
        ctx.upstream_port,
        ctx.args.loadgen_core,
        ctx.args.connections
    );
    wait_quiet(ctx, Duration::from_secs(ctx.args.wait_quiet));
    let mut gateway = ctx.start_switchboard(&scenario, None, 0)?;
    let key = match create_virtual_key(gateway.port)? {
        Ok(key) => key,
        Err(skip) => bail!("the soak needs a virtual key: {skip}"),
    };
    let (path, body) = request_for(&scenario);
    probe(gateway.port, &path, &body, Some(&key), &scenario)?;

    let spec =
        LoadSpec { port: gateway.port, more_ports: &[], path: &path, body: &body, key: Some(&key), rate: Some(rate) };
    let mut samples = Vec::new();
    // A soak that breaks off still reports the minutes it had: how memory went until then is
    // what one wants to see.
    let status = match soak_load(ctx, &spec, &mut gateway, minutes, &mut samples) {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("failed: {e:#}"),
    };
    // Stopping flushes the spend writer; then its rows can be counted.
    let db = gateway.db.take();
    drop(gateway);
    let spend_rows = db.as_deref().and_then(count_spend_rows);
    let database_mb = db.as_deref().and_then(database_mb);
    meta["load_average_after"] = json!(procfs::load_average());
    meta["compilers_running_at_end"] = json!(procfs::running_named(NOISE));

    let trend = soak::trend(&samples);
    let noisy: Vec<u64> =
        samples.iter().filter(|m| m.foreign_cpu_percent.is_some_and(|p| p > NOISE_PERCENT)).map(|m| m.minute).collect();
    let notes = soak_notes(&status, &noisy, spend_rows, database_mb);
    println!("\n{}", soak::text_table(&samples));
    for line in trend.as_ref().map(soak::summary_lines).unwrap_or_default() {
        println!("{line}");
    }
    for line in &notes {
        println!("{line}");
    }

    let results = json!({
        "meta": meta,
        "scenario": scenario,
        "status": status,
        "minutes": samples,
        "trend": trend,
        "noisy_minutes": noisy,
        "spend_rows": spend_rows,
        "database_mb": database_mb,
    });
    let json_path = out.join("soak.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&results)? + "\n")?;
    let md_path = out.join("soak.md");
    std::fs::write(&md_path, soak_markdown(&meta, &scenario, &samples, trend.as_ref(), &notes))?;
    println!("\nWrote {} and {}", json_path.display(), md_path.display());
    Ok(if status == "ok" { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Holds the soak's load, one oha run per minute back to back (the gap between two is oha
/// starting and connecting, well under a second), and samples the gateway when the load starts
/// and after each minute. Stops at the first failure; the minutes so far stay in `samples`.
fn soak_load(
    ctx: &mut Ctx,
    spec: &LoadSpec,
    gateway: &mut Gateway,
    minutes: u64,
    samples: &mut Vec<soak::Minute>,
) -> anyhow::Result<()> {
    let pid = gateway.proc.pid();
    let start = Instant::now();
    let (rss_mb, hwm_mb) = gateway_memory(gateway)?;
    let db_mb = gateway.db.as_deref().and_then(database_mb);
    println!("soak start of load: RSS {rss_mb:.1} MB (VmHWM {hwm_mb:.1})");
    samples.push(soak::Minute {
        minute: 0,
        elapsed_s: 0.0,
        rss_mb,
        hwm_mb,
        requests: 0,
        errors: 0,
        load: None,
        wall_s: None,
        gateway_cpu: None,
        foreign_cpu_percent: None,
        db_mb,
    });
    let mut cpu_before = CpuSample::take(pid);
    let mut table_before = procfs::process_table();
    for minute in 1..=minutes {
        let segment = Instant::now();
        let load = run_oha(ctx, spec, SOAK_SEGMENT_S, true)?.ok_or_else(|| anyhow!("no oha report"))?;
        // Memory first, then the rest: the next minute's load should start at once.
        let (rss_mb, hwm_mb) = gateway_memory(gateway)?;
        let elapsed_s = start.elapsed().as_secs_f64();
        let cpu_after = CpuSample::take(pid);
        let table_after = procfs::process_table();
        if let Some(status) = ctx.upstream.exited() {
            bail!("bench-upstream exited ({status}); see {}", ctx.log_dir.join("bench-upstream.log").display());
        }
        let wall_s = segment.elapsed().as_secs_f64();
        let gateway_cpu = match (&cpu_before, &cpu_after) {
            (Some(b), Some(a)) => {
                let (seconds, precise) = b.seconds_until(a, ctx.ticks_per_second);
                report::cpu(seconds, precise, load.responses, wall_s)
            }
            _ => None,
        };
        let ours = procfs::process_tree(std::process::id());
        let foreign: u64 = procfs::foreign_ticks(&table_before, &table_after, &ours).iter().map(|(_, t)| t).sum();
        let sample = soak::Minute {
            minute,
            elapsed_s,
            rss_mb,
            hwm_mb,
            requests: load.responses,
            errors: load.errors(),
            wall_s: Some(wall_s),
            gateway_cpu,
            foreign_cpu_percent: Some(foreign as f64 * 100.0 / ctx.ticks_per_second as f64 / wall_s),
            db_mb: gateway.db.as_deref().and_then(database_mb),
            load: Some(load),
        };
        println!(
            "soak minute {minute:>3}/{minutes}: RSS {rss_mb:.1} MB (VmHWM {hwm_mb:.1}), {} requests, {} errors, \
             p99 {:.3} ms",
            sample.requests,
            sample.errors,
            sample.load.as_ref().map_or(f64::NAN, |l| l.p99_ms)
        );
        samples.push(sample);
        (cpu_before, table_before) = (cpu_after, table_after);
    }
    Ok(())
}

/// `VmRSS` and `VmHWM` of the gateway, MB; an error when it is gone.
fn gateway_memory(gateway: &mut Gateway) -> anyhow::Result<(f64, f64)> {
    if let Some(status) = gateway.proc.exited() {
        bail!("the gateway exited ({status}):\n{}", tail(&gateway.log, 20));
    }
    let pid = gateway.proc.pid();
    let mb = |key: &str| {
        procfs::status_kb(pid, key)
            .map(|kb| kb as f64 / 1024.0)
            .ok_or_else(|| anyhow!("cannot read the gateway's {key}"))
    };
    Ok((mb("VmRSS")?, mb("VmHWM")?))
}

/// Size of a SQLite database with its write-ahead log, MB.
fn database_mb(db: &Path) -> Option<f64> {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    Some((size(db)? + size(&wal).unwrap_or(0)) as f64 / (1024.0 * 1024.0))
}

/// What the soak's table and trend do not say: how it ended, disturbances, what it wrote.
fn soak_notes(status: &str, noisy: &[u64], spend_rows: Option<u64>, database_mb: Option<f64>) -> Vec<String> {
    let mut notes = Vec::new();
    if status != "ok" {
        notes.push(format!("soak {status}"));
    }
    if !noisy.is_empty() {
        let list: Vec<String> = noisy.iter().map(u64::to_string).collect();
        notes.push(format!(
            "noisy minutes (other processes used more than {NOISE_PERCENT:.0}% of a core): {}",
            list.join(", ")
        ));
    }
    notes.push(format!(
        "spend rows written: {}; spend database {}",
        spend_rows.map_or_else(|| "not counted (no sqlite3)".into(), |n| n.to_string()),
        database_mb.map_or_else(|| "-".into(), |mb| format!("{mb:.1} MB"))
    ));
    notes
}

fn soak_markdown(
    meta: &serde_json::Value,
    scenario: &Scenario,
    samples: &[soak::Minute],
    trend: Option<&soak::Trend>,
    notes: &[String],
) -> String {
    use std::fmt::Write as _;
    let s = meta_text;
    let st = &meta["settings"];
    let mut md = String::new();
    let _ = writeln!(md, "# Switchboard soak\n");
    let _ = writeln!(md, "{}\n", versions_line(meta));
    let _ = writeln!(
        md,
        "`{}`: a virtual key with limits and a budget, OpenAI non-streamed requests, spend to SQLite; {} req/s for {} \
         min in {} s segments of oha, {} connections. Gateway on core {}, fake upstream on core {}, oha on core {}. \
         Load average before {}, after {}.\n",
        scenario.name,
        s(&st["soak_rate"]),
        s(&st["soak_minutes"]),
        s(&st["soak_segment_s"]),
        s(&st["connections"]),
        s(&st["gateway_core"]),
        s(&st["upstream_core"]),
        s(&st["loadgen_core"]),
        s(&meta["load_average_before"]),
        s(&meta["load_average_after"]),
    );
    md.push_str(&soak::markdown_table(samples));
    md.push('\n');
    for line in trend.map(soak::summary_lines).unwrap_or_default().iter().chain(notes) {
        let _ = writeln!(md, "- {line}");
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gateway_scenario_gets_its_baseline_once_and_first() {
        let plan = with_baselines(scenarios(false, 50), &[]);
        let names: Vec<&str> = plan.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(&names[..3], ["direct-openai-max", "switchboard-openai-max", "direct-openai-500"]);
        for (i, s) in plan.iter().enumerate() {
            if s.target != Target::Direct {
                let b = s.baseline().name;
                assert!(names[..i].contains(&b.as_str()), "{} has no earlier {b}", s.name);
            }
            assert_eq!(names.iter().filter(|n| **n == s.name).count(), 1);
        }
        let only = with_baselines(scenarios(true, 50), &["litellm".to_owned()]);
        let names: Vec<&str> = only.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "direct-openai-max",
                "switchboard-openai-max",
                "direct-openai-50",
                "switchboard-openai-50",
                "litellm-openai-50",
                "litellm-openai-max"
            ]
        );
    }

    #[test]
    fn config_names_the_fake_for_both_providers() {
        let yaml = gateway_config(4242);
        assert!(yaml.contains("api_base: http://127.0.0.1:4242/v1"));
        assert!(yaml.contains("aws_bedrock_runtime_endpoint: http://127.0.0.1:4242\n"));
        assert!(yaml.contains("master_key: sk-bench-master"));
        let (path, body) =
            request_for(&Scenario::new(Target::Direct, Upstream::Bedrock, true, Some(1), Auth::MasterKey));
        assert_eq!(path, "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream");
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
        let messages =
            Scenario::new(Target::Switchboard, Upstream::Bedrock, true, Some(1000), Auth::MasterKey).messages();
        assert_eq!(messages.name, "switchboard-messages-bedrock-stream-1000");
        assert_eq!(
            messages.baseline().name,
            "direct-bedrock-stream-1000",
            "compared with the same direct Converse load"
        );
        let (path, body) = request_for(&messages);
        assert_eq!(path, "/v1/messages");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (body["model"].as_str(), body["max_tokens"].as_u64(), body["stream"].as_bool()),
            (Some("bench-bedrock"), Some(32), Some(true))
        );
        let (_, body) =
            request_for(&Scenario::new(Target::Switchboard, Upstream::Openai, true, None, Auth::VirtualKey));
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["stream"], true);
        assert!(switchboard_bench::fake::wants_stream(serde_json::to_string(&body).unwrap().as_bytes()));
        let forward = Scenario::new(Target::Forward, Upstream::Openai, false, Some(2000), Auth::MasterKey);
        assert_eq!(forward.name, "forward-openai-2000");
        assert_eq!(
            request_for(&forward),
            request_for(&forward.baseline()),
            "the forwarder passes the fake's request on"
        );
        let only = with_baselines(scenarios(false, 50), &["forward".to_owned()]);
        let names: Vec<&str> = only.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["direct-openai-max", "forward-openai-max", "direct-openai-2000", "forward-openai-2000"]);
    }
}
