//! Harness for end-to-end tests: a real gateway on an ephemeral port, the wire-protocol fakes
//! behind it, and a plain HTTP client in front.

pub mod agentcore;
pub mod moto;

use std::time::Duration;

use reqwest::Response;
use serde_json::Value;
use switchboard::config::Config;
use switchboard::server::{RunningServer, bind, start};
use switchboard::store::sqlite_url;
pub use switchboard_fakes::bedrock::FakeBedrock;
pub use switchboard_fakes::openai::FakeOpenAi;

pub const MASTER_KEY: &str = "sk-test-master-0123456789";
pub const UPSTREAM_KEY: &str = "sk-upstream-test";

/// Fakes plus a gateway configured with aliases on both of them.
pub struct Stack {
    pub openai: FakeOpenAi,
    pub bedrock: FakeBedrock,
    pub gateway: TestGateway,
    pub http: reqwest::Client,
}

/// A database of its own for one test: a temporary SQLite file, or — when
/// `SWITCHBOARD_TEST_DATABASE_URL` names a PostgreSQL server — a fresh schema there.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Schema { server: String, schema: String },
}

impl TestDb {
    pub async fn new() -> TestDb {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("SWITCHBOARD_TEST_DATABASE_URL") {
            Ok(server) if server.starts_with("postgres") => {
                let schema = format!("sbtest_{}", &id[..16]);
                let mut conn =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&server).await.expect("postgres reachable");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&mut conn)
                    .await
                    .expect("schema");
                let sep = if server.contains('?') { '&' } else { '?' };
                TestDb {
                    url: format!("{server}{sep}options=-c%20search_path%3D{schema}"),
                    cleanup: Cleanup::Schema { server, schema },
                }
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("switchboard-test-{id}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                TestDb { url: sqlite_url(&dir.join("switchboard.db")), cleanup: Cleanup::Dir(dir) }
            }
        }
    }

    /// The SQLite file, when the database is one.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match &self.cleanup {
            Cleanup::Dir(dir) => Some(dir.join("switchboard.db")),
            Cleanup::Schema { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { server, schema } => {
                let (server, schema) = (server.clone(), schema.clone());
                // Dropped from sync code: a short-lived thread with its own runtime. The test's own
                // runtime is blocked in this drop, so a gateway task of it that was inside a
                // transaction (a spend flush) can never finish it: its connection is ended first,
                // or the DROP would wait for that transaction forever.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    rt.block_on(async {
                        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server).await.ok()?;
                        sqlx::query("SET lock_timeout = '5s'").execute(&mut conn).await.ok()?;
                        for _ in 0..3 {
                            sqlx::query(
                                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l \
                                 JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace \
                                 WHERE n.nspname = $1 AND l.pid <> pg_backend_pid()",
                            )
                            .bind(&schema)
                            .execute(&mut conn)
                            .await
                            .ok()?;
                            let drop = format!("DROP SCHEMA {schema} CASCADE");
                            if sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut conn).await.is_ok() {
                                return Some(());
                            }
                        }
                        None
                    })
                })
                .join();
            }
        }
    }
}

/// A gateway on an ephemeral port with a database of its own.
pub struct TestGateway {
    pub server: RunningServer,
    pub db: TestDb,
}

impl TestGateway {
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Stops the gateway (flushing spend) and hands back its database.
    pub async fn shutdown(self) -> TestDb {
        self.server.shutdown().await;
        self.db
    }
}

/// The aliases every stack has, routed to the fakes: `gpt-4o-mini` → OpenAI fake, `claude-haiku`
/// and `claude-sonnet` → Bedrock fake (the seed's inference profiles), and one alias per
/// scripted failure.
pub fn standard_config(openai: &FakeOpenAi, bedrock: &FakeBedrock, extra_general: &str) -> String {
    let oa = openai.base_url();
    let br = bedrock.endpoint_url();
    let bedrock_params = format!(
        "aws_region_name: us-east-1\n      aws_bedrock_runtime_endpoint: {br}\n      aws_access_key_id: AKIDTESTGATEWAY\n      aws_secret_access_key: gateway-test-secret"
    );
    let mut yaml = String::from("model_list:\n");
    // The scripted failures are not retried (`max_retries: 0`), so each test sees one upstream
    // call per request; the router's retries are tested in tests/router.rs.
    const ONCE: &str = "\n      max_retries: 0";
    for (alias, model, extra) in [
        ("claude-haiku", "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0", ""),
        ("claude-sonnet", "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", ""),
        ("bedrock-throttled", "bedrock/fake-throttle", ONCE),
        ("bedrock-denied", "bedrock/fake-access-denied", ONCE),
        ("bedrock-midstream", "bedrock/fake-midstream-error", ONCE),
        ("bedrock-hang", "bedrock/fake-hang-stream", ONCE),
        ("bedrock-invalid", "bedrock/invalid-model-id", ONCE),
    ] {
        yaml.push_str(&format!(
            "  - model_name: {alias}\n    litellm_params:\n      model: {model}\n      {bedrock_params}{extra}\n"
        ));
    }
    for (alias, model, extra) in [
        ("gpt-4o-mini", "openai/gpt-4o-mini", ""),
        ("openai-throttled", "openai/fake-429", ONCE),
        ("openai-broken", "openai/fake-500", ONCE),
        ("openai-midstream", "openai/fake-midstream-error", ONCE),
        ("openai-hang", "openai/fake-hang-stream", ONCE),
        ("openai-slow", "openai/fake-slow", "\n      timeout: 0.5\n      max_retries: 0"),
        ("openai-hostile", "openai/fake-hostile-error", ONCE),
        ("openai-huge", "openai/fake-huge-answer", ONCE),
    ] {
        yaml.push_str(&format!(
            "  - model_name: {alias}\n    litellm_params:\n      model: {model}\n      api_base: {oa}\n      api_key: {UPSTREAM_KEY}{extra}\n"
        ));
    }
    yaml.push_str(&format!(
        "  - model_name: openai-wrong-key\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: {oa}\n      api_key: sk-wrong-upstream-key-987654321{ONCE}\n"
    ));
    yaml.push_str(&format!("general_settings:\n  master_key: {MASTER_KEY}\n{extra_general}"));
    yaml
}

impl Stack {
    pub async fn start() -> Stack {
        Self::start_with("").await
    }

    /// A stack whose `general_settings` get extra lines (indented by two spaces).
    pub async fn start_with(extra_general: &str) -> Stack {
        init_tracing();
        let openai = FakeOpenAi::start().await.expect("fake openai");
        let bedrock = FakeBedrock::start().await.expect("fake bedrock");
        let yaml = standard_config(&openai, &bedrock, extra_general);
        let gateway = start_gateway(&yaml).await;
        Stack { openai, bedrock, gateway, http: client() }
    }

    /// Stops the gateway (its spend written) and starts it again on the same database, with the
    /// standard config: what a restart keeps.
    pub async fn restart(self) -> Stack {
        let Stack { openai, bedrock, gateway, http } = self;
        let yaml = standard_config(&openai, &bedrock, "");
        let db = gateway.shutdown().await;
        let gateway = start_gateway_on(&yaml, db).await;
        Stack { openai, bedrock, gateway, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway.base_url())
    }

    /// POST JSON with the master key.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.http.post(self.url(path)).bearer_auth(MASTER_KEY).json(body).send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(MASTER_KEY).send().await.expect("request")
    }

    /// A chat completion with the master key: status and JSON body.
    pub async fn chat(&self, body: Value) -> (u16, Value) {
        let r = self.post("/v1/chat/completions", &body).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A streamed chat completion: status and the `data:` payloads in order.
    pub async fn chat_stream(&self, body: Value) -> (u16, Vec<String>) {
        let r = self.post("/v1/chat/completions", &body).await;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (status, sse_data(&text))
    }
}

/// A gateway with `yaml`, on a database of its own.
pub async fn start_gateway(yaml: &str) -> TestGateway {
    start_gateway_on(yaml, TestDb::new().await).await
}

pub async fn start_gateway_on(yaml: &str, db: TestDb) -> TestGateway {
    init_tracing();
    let mut config = Config::from_yaml(yaml).expect("valid config");
    config.general.database_url = Some(db.url.clone().into());
    // What `switchboard serve` does for a config without one: the gateway always has a key.
    if config.general.master_key.is_none() {
        config.general.master_key = Some(MASTER_KEY.into());
    }
    let listener = bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    let server = start(config, listener).await.expect("gateway starts");
    TestGateway { server, db }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client")
}

/// The payloads of the `data:` lines of an SSE body.
pub fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")).map(str::to_string))
        .collect()
}

/// Joins the text deltas of a stream's chunks.
pub fn stream_text(events: &[String]) -> String {
    events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str().map(str::to_string))
        .collect()
}

/// Waits until `check` holds, for at most `within`.
pub async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}
