//! `switchboard agentcore ...`: the AgentCore admin API of a running gateway, from the command
//! line. Same routes, same results; `--json` prints the API's answers as they are.

// JSON answers are read with `value["field"]`, which gives `Null` for anything missing and
// never panics.
#![allow(clippy::indexing_slicing)]

use std::io::Write;

use clap::{Args, Subcommand};
use futures::StreamExt;
use serde_json::{Map, Value, json};

#[derive(Args, Debug, Clone)]
pub struct AgentCoreCli {
    /// The gateway's URL.
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:4000", global = true)]
    pub url: String,
    /// The gateway's master key.
    #[arg(long, env = "LITELLM_MASTER_KEY", hide_env_values = true, global = true)]
    pub master_key: Option<String>,
    /// AWS region (default: the gateway's, AWS_REGION, or the profile's).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS profile the gateway should use.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Print the API's JSON answers (one event per line for streams).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

impl AgentCoreCli {
    /// Parses `agentcore ...` arguments (the first item is the program name), as
    /// `switchboard agentcore` would.
    pub fn parse_args<I, T>(args: I) -> Result<AgentCoreCli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        #[derive(clap::Parser)]
        #[command(name = "agentcore")]
        struct Wrapper {
            #[command(flatten)]
            cli: AgentCoreCli,
        }
        <Wrapper as clap::Parser>::try_parse_from(args).map(|w| w.cli)
    }
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// API-key credential providers (list, create, rotate, delete).
    #[command(alias = "provider")]
    Providers {
        #[command(subcommand)]
        action: Option<ProviderCommand>,
    },
    /// Harnesses (list, show, create, edit, delete, sessions, versions, endpoints).
    #[command(alias = "harness")]
    Harnesses {
        #[command(subcommand)]
        action: Option<HarnessCommand>,
    },
    /// Check a harness (or a draft configuration) for everything that makes it fail.
    Doctor(DoctorArgs),
    /// One click: team → key → credential provider → harness → READY.
    Wire(WireArgs),
    /// Send a message to a harness and print its answer as it streams.
    Invoke(InvokeArgs),
}

#[derive(Subcommand, Debug, Clone)]
pub enum ProviderCommand {
    List,
    /// Create a credential provider holding a key of the gateway.
    Create {
        /// Provider name.
        #[arg(long, default_value = "litellm-proxy")]
        name: String,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Put another key into a credential provider.
    Rotate {
        name: String,
        #[command(flatten)]
        key: KeyArgs,
    },
    Delete {
        name: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct KeyArgs {
    /// Read the key (sk-...) from this environment variable.
    #[arg(long)]
    pub key_env: Option<String>,
    /// Read the key (sk-...) from standard input.
    #[arg(long)]
    pub key_stdin: bool,
    /// Generate a new key for it (its value goes to AgentCore only).
    #[arg(long)]
    pub generate: bool,
    /// Team of the generated key.
    #[arg(long)]
    pub team_id: Option<String>,
    /// Alias of the generated key.
    #[arg(long)]
    pub key_alias: Option<String>,
    /// Take the key from this Secrets Manager secret (name or ARN) instead: the provider reads it
    /// from there; the secret must hold a key of this gateway.
    #[arg(long)]
    pub secret_id: Option<String>,
    /// The member of the secret's JSON that holds the key.
    #[arg(long, default_value = "api_key")]
    pub json_key: String,
}

#[derive(Subcommand, Debug, Clone)]
pub enum HarnessCommand {
    List,
    Show {
        id: String,
    },
    Create {
        #[command(flatten)]
        form: HarnessArgs,
    },
    /// Change a harness: its model, prompt, tools, skills, memory, truncation, limits or
    /// environment (what is left out stays as it is).
    #[command(alias = "update")]
    Edit {
        id: String,
        #[command(flatten)]
        form: HarnessArgs,
    },
    Delete {
        id: String,
    },
    /// The harness's sessions played through this gateway, newest first, with their totals;
    /// with a session id, that session turn by turn with the gateway calls of each turn.
    Sessions {
        id: String,
        session_id: Option<String>,
    },
    /// The harness's versions, newest first; `--diff FROM TO` says what changed between two.
    Versions {
        id: String,
        #[arg(long, num_args = 2, value_names = ["FROM", "TO"])]
        diff: Option<Vec<String>>,
    },
    /// The harness's endpoints and the versions they serve; create, point at a version, delete.
    Endpoints {
        id: String,
        #[command(subcommand)]
        action: Option<EndpointCommand>,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum EndpointCommand {
    List,
    /// A named endpoint serving a version (the latest when --version is left out).
    Create {
        name: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Point an endpoint at another version.
    Point {
        name: String,
        version: String,
    },
    Delete {
        name: String,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct HarnessArgs {
    /// Harness name (letters, digits, underscores).
    #[arg(long)]
    pub name: Option<String>,
    /// Execution role ARN.
    #[arg(long)]
    pub role_arn: Option<String>,
    /// A model alias of the gateway (sent as litellm_proxy/<alias>).
    #[arg(long)]
    pub model: Option<String>,
    /// Credential provider name (default litellm-proxy).
    #[arg(long)]
    pub provider: Option<String>,
    /// The gateway's public URL (default: the gateway's public_url).
    #[arg(long)]
    pub api_base: Option<String>,
    /// The harness's system prompt.
    #[arg(long)]
    pub system_prompt: Option<String>,
    /// Max tokens per model call.
    #[arg(long)]
    pub max_tokens: Option<i32>,
    /// 0 to 2.
    #[arg(long)]
    pub temperature: Option<f32>,
    /// 0 to 1.
    #[arg(long)]
    pub top_p: Option<f32>,
    /// A JSON file (`-`: standard input) with any of the harness form's members: tools,
    /// allowed_tools, skills, memory, truncation, environment_variables, ... (AgentCore's
    /// camelCase names are taken too). The flags below override it.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<String>,
    /// Agent-loop iterations per invocation.
    #[arg(long)]
    pub max_iterations: Option<i32>,
    /// Output tokens across all model calls of one invocation.
    #[arg(long)]
    pub invocation_max_tokens: Option<i32>,
    /// The longest an invocation may run.
    #[arg(long)]
    pub timeout_seconds: Option<i32>,
    /// Tool names the agent may use, comma-separated (`*`: all).
    #[arg(long, value_delimiter = ',')]
    pub allowed_tools: Option<Vec<String>>,
    /// Set an environment variable (repeatable); other variables keep their values.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Remove an environment variable (repeatable).
    #[arg(long = "unset-env", value_name = "NAME")]
    pub unset_env: Vec<String>,
    /// Save despite the doctor's errors.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DoctorArgs {
    /// A harness to check.
    #[arg(long)]
    pub harness: Option<String>,
    /// Model id as it would be sent (litellm_proxy/<alias>).
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub provider: Option<String>,
    #[arg(long)]
    pub api_base: Option<String>,
    /// The key the provider should hold (alias).
    #[arg(long)]
    pub key_alias: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct WireArgs {
    #[command(flatten)]
    pub form: HarnessArgs,
    /// Wire this existing harness instead of creating one.
    #[arg(long)]
    pub harness_id: Option<String>,
    /// Use this existing team.
    #[arg(long)]
    pub team_id: Option<String>,
    /// The team to use or create (default agentcore-harness).
    #[arg(long)]
    pub team_alias: Option<String>,
    /// Models of a new team, comma-separated (default: all of the gateway's).
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Alias of the key generated for the harness (default agentcore-harness-key).
    #[arg(long)]
    pub key_alias: Option<String>,
    /// How long to wait for READY (default 60).
    #[arg(long)]
    pub wait_seconds: Option<u64>,
}

#[derive(Args, Debug, Clone)]
pub struct InvokeArgs {
    pub harness_id: String,
    pub message: String,
    /// Continue this session (printed by the previous turn).
    #[arg(long)]
    pub session: Option<String>,
    /// The harness endpoint to call (DEFAULT when left out).
    #[arg(long)]
    pub endpoint: Option<String>,
}

struct Api<'a> {
    http: reqwest::Client,
    cli: &'a AgentCoreCli,
}

impl Api<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.cli.url.trim_end_matches('/'))
    }

    fn target_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(r) = &self.cli.region {
            q.push(("region", r.clone()));
        }
        if let Some(p) = &self.cli.profile {
            q.push(("profile", p.clone()));
        }
        q
    }

    fn with_target(&self, mut body: Map<String, Value>) -> Value {
        for (k, v) in self.target_query() {
            body.insert(k.into(), json!(v));
        }
        Value::Object(body)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, self.url(path));
        if let Some(k) = &self.cli.master_key {
            r = r.bearer_auth(k);
        }
        r
    }

    async fn send(&self, r: reqwest::RequestBuilder) -> Result<Value, String> {
        let response = r.send().await.map_err(|e| format!("cannot reach the gateway at {}: {e}", self.cli.url))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| format!("unexpected answer ({status}): {e}"))?;
        if status.is_success() { Ok(body) } else { Err(error_text(&body, status.as_u16())) }
    }

    /// `path` with `?region=&profile=`.
    fn with_query(&self, path: &str) -> String {
        let query: Vec<String> =
            self.target_query().into_iter().map(|(k, v)| format!("{k}={}", url_encode(&v))).collect();
        if query.is_empty() { path.to_string() } else { format!("{path}?{}", query.join("&")) }
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        self.send(self.request(reqwest::Method::GET, &self.with_query(path))).await
    }

    async fn delete(&self, path: &str) -> Result<Value, String> {
        self.send(self.request(reqwest::Method::DELETE, &self.with_query(path))).await
    }

    async fn post(&self, method: reqwest::Method, path: &str, body: Map<String, Value>) -> Result<Value, String> {
        self.send(self.request(method, path).json(&self.with_target(body))).await
    }

    /// POSTs and hands each server-sent event to `each`.
    async fn stream(
        &self,
        path: &str,
        body: Map<String, Value>,
        mut each: impl FnMut(&Value) -> Result<(), String>,
    ) -> Result<(), String> {
        let response = self
            .request(reqwest::Method::POST, path)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&self.with_target(body))
            .send()
            .await
            .map_err(|e| format!("cannot reach the gateway at {}: {e}", self.cli.url))?;
        let status = response.status();
        if !status.is_success() {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            return Err(error_text(&body, status.as_u16()));
        }
        let mut buffer = Vec::new();
        let mut bytes = response.bytes_stream();
        while let Some(chunk) = bytes.next().await {
            let chunk = chunk.map_err(|e| format!("the stream broke: {e}"))?;
            buffer.extend_from_slice(&chunk);
            while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
                let event: Vec<u8> = buffer.drain(..end + 2).collect();
                let text = String::from_utf8_lossy(&event);
                for line in text.lines() {
                    if let Some(data) = line.strip_prefix("data: ")
                        && let Ok(v) = serde_json::from_str::<Value>(data)
                    {
                        each(&v)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn url_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn error_text(body: &Value, status: u16) -> String {
    let e = &body["error"];
    let mut text = e["message"].as_str().map(str::to_string).unwrap_or_else(|| format!("HTTP {status}: {body}"));
    if let Some(fix) = e["fix"].as_str() {
        text.push_str(&format!("\nfix: {fix}"));
    }
    text
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}

fn settings_file(path: &str) -> Result<Map<String, Value>, String> {
    let text = if path == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("cannot read the settings from stdin: {e}"))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
    };
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("{path}: expected a JSON object of harness members")),
        Err(e) => Err(format!("{path} is not JSON: {e}")),
    }
}

fn env_changes(f: &HarnessArgs, fields: &mut Map<String, Value>) -> Result<(), String> {
    if f.env.is_empty() && f.unset_env.is_empty() {
        return Ok(());
    }
    let env = fields.entry("environment_variables").or_insert_with(|| json!({}));
    let Value::Object(env) = env else { return Err("environment_variables must be an object".into()) };
    for pair in &f.env {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(format!("--env {pair}: expected NAME=VALUE"));
        };
        env.insert(name.to_string(), json!(value));
    }
    for name in &f.unset_env {
        env.insert(name.clone(), Value::Null);
    }
    Ok(())
}

fn form_fields(f: &HarnessArgs) -> Result<Map<String, Value>, String> {
    let mut m = match &f.settings {
        Some(path) => settings_file(path)?,
        None => Map::new(),
    };
    put(&mut m, "harness_name", f.name.clone().map(Value::from));
    put(&mut m, "execution_role_arn", f.role_arn.clone().map(Value::from));
    put(&mut m, "model", f.model.clone().map(Value::from));
    put(&mut m, "credential_provider", f.provider.clone().map(Value::from));
    put(&mut m, "api_base", f.api_base.clone().map(Value::from));
    put(&mut m, "system_prompt", f.system_prompt.clone().map(Value::from));
    put(&mut m, "max_tokens", f.max_tokens.map(Value::from));
    put(&mut m, "temperature", f.temperature.map(|t| json!(t)));
    put(&mut m, "top_p", f.top_p.map(|t| json!(t)));
    put(&mut m, "max_iterations", f.max_iterations.map(Value::from));
    put(&mut m, "invocation_max_tokens", f.invocation_max_tokens.map(Value::from));
    put(&mut m, "timeout_seconds", f.timeout_seconds.map(Value::from));
    put(&mut m, "allowed_tools", f.allowed_tools.clone().map(|t| json!(t)));
    env_changes(f, &mut m)?;
    if f.force {
        m.insert("force".into(), json!(true));
    }
    Ok(m)
}

fn key_fields(k: &KeyArgs) -> Result<Map<String, Value>, String> {
    let mut m = Map::new();
    if let Some(secret_id) = &k.secret_id {
        if k.key_env.is_some() || k.key_stdin || k.generate {
            return Err("pass one of --secret-id, --key-env/--key-stdin or --generate".into());
        }
        m.insert("secret".into(), json!({"secret_id": secret_id, "json_key": k.json_key}));
        return Ok(m);
    }
    let clear = match (&k.key_env, k.key_stdin) {
        (Some(var), _) => Some(std::env::var(var).map_err(|_| format!("environment variable {var} is not set"))?),
        (None, true) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("cannot read the key from stdin: {e}"))?;
            Some(line.trim().to_string())
        }
        (None, false) => None,
    };
    match (clear, k.generate) {
        (Some(_), true) => return Err("pass either --key-env/--key-stdin or --generate".into()),
        (Some(key), false) => {
            m.insert("key".into(), json!(key));
        }
        (None, true) => {
            let mut g = Map::new();
            put(&mut g, "team_id", k.team_id.clone().map(Value::from));
            put(&mut g, "key_alias", k.key_alias.clone().map(Value::from));
            m.insert("generate".into(), Value::Object(g));
        }
        (None, false) => {
            return Err(
                "name the key: --key-env VAR or --key-stdin (a key of the gateway), --generate, or --secret-id \
                 (a Secrets Manager secret holding one)"
                    .into(),
            );
        }
    }
    Ok(m)
}

fn w(out: &mut dyn Write, text: impl AsRef<str>) -> Result<(), String> {
    writeln!(out, "{}", text.as_ref()).map_err(|e| e.to_string())
}

fn key_text(key: &Value) -> String {
    if key.is_null() {
        return "a key this gateway did not store".into();
    }
    format!(
        "key {} ({}, {})",
        key["key_alias"].as_str().unwrap_or("-"),
        key["key_name"].as_str().unwrap_or("?"),
        key["status"].as_str().unwrap_or("?")
    )
}

/// `secret <arn> ('<json key>')` for a provider whose key is in a secret of yours.
fn secret_text(secret: &Value) -> Option<String> {
    let arn = secret["secret_arn"].as_str()?;
    Some(format!("secret {arn} ('{}')", secret["json_key"].as_str().unwrap_or("?")))
}

fn print_harness(out: &mut dyn Write, h: &Value) -> Result<(), String> {
    let s = |v: &Value| {
        v.as_str().map(str::to_string).unwrap_or_else(|| if v.is_null() { "-".into() } else { v.to_string() })
    };
    w(out, format!("{} ({})", s(&h["harness_name"]), s(&h["harness_id"])))?;
    w(out, format!("  status:        {}", s(&h["status"])))?;
    if !h["failure_reason"].is_null() {
        w(out, format!("  failure:       {}", s(&h["failure_reason"])))?;
    }
    let m = &h["model"];
    w(out, format!("  model:         {} ({})", s(&m["model_id"]), s(&m["source"])))?;
    w(out, format!("  api base:      {}", s(&m["api_base"])))?;
    let p = &h["credential_provider"];
    if !p.is_null() {
        w(out, format!("  provider:      {} holds {}", s(&p["name"]), key_text(&p["key"])))?;
    }
    let names = |list: &Value, name: &dyn Fn(&Value) -> String| {
        let items: Vec<String> = list.as_array().into_iter().flatten().map(name).collect();
        if items.is_empty() { "-".to_string() } else { items.join(", ") }
    };
    let tool = |t: &Value| format!("{} ({})", t["name"].as_str().unwrap_or("unnamed"), s(&t["type"]));
    w(out, format!("  tools:         {}", names(&h["tools"], &tool)))?;
    w(out, format!("  allowed tools: {}", names(&h["allowed_tools"], &|t| s(t))))?;
    let skill = |k: &Value| k.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
    w(out, format!("  skills:        {}", names(&h["skills"], &skill)))?;
    w(out, format!("  memory:        {}", if h["memory"].is_null() { "-".to_string() } else { skill(&h["memory"]) }))?;
    w(out, format!("  truncation:    {}", s(&h["truncation"]["strategy"])))?;
    w(
        out,
        format!(
            "  limits:        max iterations {} · max tokens per invocation {} · timeout {} s",
            s(&h["max_iterations"]),
            s(&h["invocation_max_tokens"]),
            s(&h["timeout_seconds"])
        ),
    )?;
    let env: Vec<&String> = h["environment_variables"].as_object().map(|e| e.keys().collect()).unwrap_or_default();
    let env =
        if env.is_empty() { "-".to_string() } else { env.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ") };
    w(out, format!("  environment:   {env} (values hidden)"))?;
    w(out, format!("  arn:           {}", s(&h["arn"])))?;
    Ok(())
}

fn print_report(out: &mut dyn Write, r: &Value) -> Result<(), String> {
    for p in r["passed"].as_array().into_iter().flatten() {
        w(out, format!("ok       {}: {}", p["check"].as_str().unwrap_or(""), p["message"].as_str().unwrap_or("")))?;
    }
    for f in r["findings"].as_array().into_iter().flatten() {
        w(
            out,
            format!(
                "{:<8} {}: {}\n         fix: {}",
                f["severity"].as_str().unwrap_or(""),
                f["check"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or(""),
                f["fix"].as_str().unwrap_or("")
            ),
        )?;
    }
    w(out, format!("{} error(s), {} warning(s)", r["errors"], r["warnings"]))
}

/// Runs one `switchboard agentcore` command, printing to `out`.
pub async fn run(cli: AgentCoreCli, out: &mut (dyn Write + Send)) -> Result<(), String> {
    let http = reqwest::Client::builder().build().map_err(|e| e.to_string())?;
    let api = Api { http, cli: &cli };
    let json_out = cli.json;
    let print_json =
        |out: &mut (dyn Write + Send), v: &Value| w(out, serde_json::to_string_pretty(v).unwrap_or_default());
    match &cli.command {
        Command::Providers { action } => match action.clone().unwrap_or(ProviderCommand::List) {
            ProviderCommand::List => {
                let v = api.get("/agentcore/providers").await?;
                if json_out {
                    return print_json(out, &v);
                }
                w(out, format!("Credential providers in {}:", v["region"].as_str().unwrap_or("?")))?;
                for p in v["providers"].as_array().into_iter().flatten() {
                    w(
                        out,
                        format!(
                            "  {:<24} holds {}{}\n  {:<24} {}",
                            p["name"].as_str().unwrap_or(""),
                            key_text(&p["key"]),
                            secret_text(&p["key_secret"]).map(|s| format!(", read from {s}")).unwrap_or_default(),
                            "",
                            p["credential_provider_arn"].as_str().unwrap_or("")
                        ),
                    )?;
                }
                Ok(())
            }
            ProviderCommand::Create { name, key } | ProviderCommand::Rotate { name, key } => {
                let rotate = matches!(action, Some(ProviderCommand::Rotate { .. }));
                let mut body = key_fields(&key)?;
                let path = if rotate {
                    format!("/agentcore/providers/{name}/rotate")
                } else {
                    body.insert("name".into(), json!(name));
                    "/agentcore/providers".to_string()
                };
                let v = api.post(reqwest::Method::POST, &path, body).await?;
                if json_out {
                    return print_json(out, &v);
                }
                let p = &v["provider"];
                w(
                    out,
                    format!(
                        "Credential provider {} now holds {}{}",
                        p["name"].as_str().unwrap_or(""),
                        key_text(&p["key"]),
                        if v["key_generated"] == true { " (generated; its value went to AgentCore only)" } else { "" }
                    ),
                )?;
                if let Some(secret) = secret_text(&p["key_secret"]) {
                    w(out, format!("It reads the key from {secret}."))?;
                }
                if !v["previous_key"].is_null() {
                    w(out, format!("It held {} before.", key_text(&v["previous_key"])))?;
                }
                w(out, format!("ARN: {}", p["credential_provider_arn"].as_str().unwrap_or("")))
            }
            ProviderCommand::Delete { name } => {
                let v = api.delete(&format!("/agentcore/providers/{name}")).await?;
                if json_out { print_json(out, &v) } else { w(out, format!("Deleted credential provider {name}")) }
            }
        },
        Command::Harnesses { action } => match action.clone().unwrap_or(HarnessCommand::List) {
            HarnessCommand::List => {
                let v = api.get("/agentcore/harnesses").await?;
                if json_out {
                    return print_json(out, &v);
                }
                w(out, format!("Harnesses in {}:", v["region"].as_str().unwrap_or("?")))?;
                for h in v["harnesses"].as_array().into_iter().flatten() {
                    w(
                        out,
                        format!(
                            "  {:<36} {:<14} {:<8} {}",
                            h["harness_id"].as_str().unwrap_or(""),
                            h["status"].as_str().unwrap_or(""),
                            h["model"]["source"].as_str().unwrap_or("-"),
                            h["model"]["model_id"].as_str().unwrap_or("-")
                        ),
                    )?;
                }
                Ok(())
            }
            HarnessCommand::Show { id } => {
                let v = api.get(&format!("/agentcore/harnesses/{id}")).await?;
                if json_out { print_json(out, &v) } else { print_harness(out, &v) }
            }
            HarnessCommand::Create { form } | HarnessCommand::Edit { form, .. } => {
                let (method, path) = match &action {
                    Some(HarnessCommand::Edit { id, .. }) => {
                        (reqwest::Method::PATCH, format!("/agentcore/harnesses/{id}"))
                    }
                    _ => (reqwest::Method::POST, "/agentcore/harnesses".to_string()),
                };
                let v = api.post(method, &path, form_fields(&form)?).await?;
                if json_out {
                    return print_json(out, &v);
                }
                print_harness(out, &v["harness"])?;
                if !v["doctor"].is_null() {
                    w(out, "Doctor, before saving:")?;
                    print_report(out, &v["doctor"])?;
                }
                Ok(())
            }
            HarnessCommand::Delete { id } => {
                let v = api.delete(&format!("/agentcore/harnesses/{id}")).await?;
                if json_out { print_json(out, &v) } else { w(out, format!("Deleted harness {id}")) }
            }
            HarnessCommand::Versions { id, diff: Some(pair) } => {
                let (from, to) = match pair.as_slice() {
                    [from, to] => (from, to),
                    _ => return Err("--diff takes two versions".into()),
                };
                let v = api
                    .get(&format!(
                        "/agentcore/harnesses/{id}/versions/diff?from={}&to={}",
                        url_encode(from),
                        url_encode(to)
                    ))
                    .await?;
                if json_out {
                    return print_json(out, &v);
                }
                let changes = v["changes"].as_array().cloned().unwrap_or_default();
                if changes.is_empty() {
                    return w(out, format!("Versions {from} and {to} of {id} are the same"));
                }
                w(out, format!("From version {from} to {to}:"))?;
                for c in &changes {
                    w(out, format!("  {}: {} -> {}", c["field"].as_str().unwrap_or(""), c["from"], c["to"]))?;
                }
                Ok(())
            }
            HarnessCommand::Versions { id, diff: None } => {
                let v = api.get(&format!("/agentcore/harnesses/{id}/versions")).await?;
                if json_out {
                    return print_json(out, &v);
                }
                w(out, format!("Versions of {id}:"))?;
                for r in v["versions"].as_array().into_iter().flatten() {
                    w(
                        out,
                        format!(
                            "  {:>4}  {:<14} {}",
                            r["version"].as_str().unwrap_or(""),
                            r["status"].as_str().unwrap_or(""),
                            r["created_at"].as_str().unwrap_or("")
                        ),
                    )?;
                }
                Ok(())
            }
            HarnessCommand::Endpoints { id, action } => {
                let base = format!("/agentcore/harnesses/{id}/endpoints");
                let v = match action.unwrap_or(EndpointCommand::List) {
                    EndpointCommand::List => api.get(&base).await?,
                    EndpointCommand::Create { name, version, description } => {
                        let mut body = Map::new();
                        body.insert("name".into(), json!(name));
                        put(&mut body, "version", version.map(Value::from));
                        put(&mut body, "description", description.map(Value::from));
                        api.post(reqwest::Method::POST, &base, body).await?
                    }
                    EndpointCommand::Point { name, version } => {
                        let mut body = Map::new();
                        body.insert("version".into(), json!(version));
                        api.post(reqwest::Method::PATCH, &format!("{base}/{}", url_encode(&name)), body).await?
                    }
                    EndpointCommand::Delete { name } => {
                        let v = api.delete(&format!("{base}/{}", url_encode(&name))).await?;
                        if json_out {
                            return print_json(out, &v);
                        }
                        return w(out, format!("Deleted endpoint {name} of {id}"));
                    }
                };
                if json_out {
                    return print_json(out, &v);
                }
                let list = match v.get("endpoints").and_then(Value::as_array) {
                    Some(list) => list.clone(),
                    None => vec![v.clone()],
                };
                for e in &list {
                    w(
                        out,
                        format!(
                            "  {:<24} version {:<5} {:<10} {}",
                            e["name"].as_str().unwrap_or(""),
                            e["live_version"].as_str().unwrap_or("-"),
                            e["status"].as_str().unwrap_or(""),
                            e["description"].as_str().unwrap_or("")
                        ),
                    )?;
                }
                Ok(())
            }
            HarnessCommand::Sessions { id, session_id: None } => {
                let v = api.get(&format!("/agentcore/harnesses/{id}/sessions")).await?;
                if json_out {
                    return print_json(out, &v);
                }
                let sessions = v["sessions"].as_array().cloned().unwrap_or_default();
                if sessions.is_empty() {
                    return w(out, format!("No session of {id} was played through this gateway"));
                }
                w(
                    out,
                    format!(
                        "{:<46} {:>5} {:>6} {:>12} {:>10}  first message",
                        "session", "turns", "calls", "tokens", "cost"
                    ),
                )?;
                for s in &sessions {
                    let t = &s["totals"];
                    let tokens =
                        t["prompt_tokens"].as_u64().unwrap_or(0) + t["completion_tokens"].as_u64().unwrap_or(0);
                    w(
                        out,
                        format!(
                            "{:<46} {:>5} {:>6} {:>12} {:>10}  {}",
                            s["session_id"].as_str().unwrap_or(""),
                            s["turns"],
                            t["calls"],
                            tokens,
                            format!("${:.6}", t["spend"].as_f64().unwrap_or(0.0)),
                            s["first_message"].as_str().unwrap_or("")
                        ),
                    )?;
                }
                Ok(())
            }
            HarnessCommand::Sessions { id, session_id: Some(session) } => {
                let v = api.get(&format!("/agentcore/harnesses/{id}/sessions/{}", url_encode(&session))).await?;
                if json_out {
                    return print_json(out, &v);
                }
                w(out, format!("Session {session}"))?;
                for t in v["turns"].as_array().into_iter().flatten() {
                    w(
                        out,
                        format!(
                            "\n> {}  [{} {}]",
                            t["message"].as_str().unwrap_or(""),
                            t["status"].as_str().unwrap_or(""),
                            t["started_at"].as_str().unwrap_or("")
                        ),
                    )?;
                    for c in t["calls"].as_array().into_iter().flatten() {
                        w(
                            out,
                            format!(
                                "  gateway call {:<20} {:<24} {} in / {} out  ${:.6}  {} ms  {}  (by {})",
                                c["model_group"].as_str().unwrap_or(""),
                                c["key_alias"].as_str().unwrap_or(""),
                                c["prompt_tokens"],
                                c["completion_tokens"],
                                c["spend"].as_f64().unwrap_or(0.0),
                                c["duration_ms"],
                                c["status"].as_str().unwrap_or(""),
                                c["matched_by"].as_str().unwrap_or("").replace('_', " ")
                            ),
                        )?;
                    }
                    if let Some(e) = t["error"].as_str() {
                        w(out, format!("  error: {e}"))?;
                    }
                }
                let t = &v["totals"];
                w(
                    out,
                    format!(
                        "\n{} turns · harness {} in / {} out · {} gateway calls, {} in / {} out, ${:.6}",
                        v["turns"].as_array().map_or(0, Vec::len),
                        v["input_tokens"],
                        v["output_tokens"],
                        t["calls"],
                        t["prompt_tokens"],
                        t["completion_tokens"],
                        t["spend"].as_f64().unwrap_or(0.0)
                    ),
                )
            }
        },
        Command::Doctor(d) => {
            let mut body = Map::new();
            put(&mut body, "harness_id", d.harness.clone().map(Value::from));
            put(&mut body, "model", d.model.clone().map(Value::from));
            put(&mut body, "credential_provider", d.provider.clone().map(Value::from));
            put(&mut body, "api_base", d.api_base.clone().map(Value::from));
            put(&mut body, "key", d.key_alias.clone().map(Value::from));
            let v = api.post(reqwest::Method::POST, "/agentcore/doctor", body).await?;
            if json_out {
                print_json(out, &v)?;
            } else {
                print_report(out, &v)?;
            }
            if v["ok"] == true { Ok(()) } else { Err(format!("the doctor found {} error(s)", v["errors"])) }
        }
        Command::Wire(a) => {
            let mut body = form_fields(&a.form)?;
            put(&mut body, "harness_id", a.harness_id.clone().map(Value::from));
            put(&mut body, "team_id", a.team_id.clone().map(Value::from));
            put(&mut body, "team_alias", a.team_alias.clone().map(Value::from));
            put(&mut body, "models", a.models.clone().map(|m| json!(m)));
            put(&mut body, "key_alias", a.key_alias.clone().map(Value::from));
            put(&mut body, "wait_seconds", a.wait_seconds.map(Value::from));
            let mut result = Value::Null;
            api.stream("/agentcore/wire", body, |event| {
                if json_out {
                    w(&mut *out, event.to_string())?;
                }
                match event["type"].as_str() {
                    Some("step") if !json_out => {
                        let s = &event["step"];
                        let status = s["status"].as_str().unwrap_or("");
                        if status != "not_started" {
                            let mut line = format!("[{status}] {}", s["title"].as_str().unwrap_or(""));
                            if let Some(m) = s["message"].as_str() {
                                line.push_str(&format!(": {m}"));
                            }
                            if let Some(f) = s["fix"].as_str() {
                                line.push_str(&format!("\n    fix: {f}"));
                            }
                            w(&mut *out, line)?;
                        }
                    }
                    Some("result") => result = event["result"].clone(),
                    _ => {}
                }
                Ok(())
            })
            .await?;
            if !json_out {
                w(out, result["message"].as_str().unwrap_or(""))?;
            }
            if result["ok"] == true { Ok(()) } else { Err("the wiring stopped".into()) }
        }
        Command::Invoke(a) => {
            let mut body = Map::new();
            body.insert("message".into(), json!(a.message));
            put(&mut body, "session_id", a.session.clone().map(Value::from));
            put(&mut body, "endpoint", a.endpoint.clone().map(Value::from));
            let mut failed = None;
            api.stream(&format!("/agentcore/harnesses/{}/invoke", a.harness_id), body, |e| {
                if json_out {
                    return w(&mut *out, e.to_string());
                }
                let text = |k: &str| e[k].as_str().unwrap_or("").to_string();
                let line = match e["type"].as_str().unwrap_or("") {
                    "session" => Some(format!("session {}", text("session_id"))),
                    "text" => {
                        write!(out, "{}", text("text")).map_err(|e| e.to_string())?;
                        None
                    }
                    "tool_use_start" => Some(format!("\n[tool use {} {}]", text("name"), text("tool_use_id"))),
                    "tool_use_input" => Some(format!("[tool input {}]", text("input"))),
                    "tool_result" => Some(format!("[tool result {}]", e["content"])),
                    "hook" => Some(format!("[hook {} {}]", text("name"), text("hook_type"))),
                    "message_stop" => Some(format!("\n[stop: {}]", text("stop_reason"))),
                    "metadata" => {
                        Some(format!("[usage: {} in, {} out]", e["usage"]["input_tokens"], e["usage"]["output_tokens"]))
                    }
                    "gateway_call" => {
                        let c = &e["call"];
                        Some(format!(
                            "\n[gateway call {} {}: {} in, {} out, {} ms, {}]",
                            c["model_group"].as_str().unwrap_or(""),
                            c["key_alias"].as_str().unwrap_or(""),
                            c["prompt_tokens"],
                            c["completion_tokens"],
                            c["duration_ms"],
                            c["status"].as_str().unwrap_or("")
                        ))
                    }
                    "error" => {
                        failed = Some(format!("{}: {}\nfix: {}", text("code"), text("message"), text("fix")));
                        None
                    }
                    _ => None,
                };
                if let Some(l) = line {
                    w(&mut *out, l)?;
                }
                Ok(())
            })
            .await?;
            match failed {
                Some(f) => Err(f),
                None => Ok(()),
            }
        }
    }
}
