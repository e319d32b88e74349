//! A gateway wired to the AgentCore fake: `general_settings.agentcore` points its clients at the
//! fake's endpoints with static credentials, so nothing reads the process environment.

use serde_json::{Value, json};
pub use switchboard_fakes::agentcore::FakeAgentCore;

use crate::{MASTER_KEY, Stack, sse_data};

/// The fakes know this key's secret (`switchboard_fakes::sigv4::KNOWN_SECRETS`): they check the
/// signature of every AgentCore call the gateway makes with it.
pub const AWS_ACCESS_KEY: &str = "AKIDAGENTCORETEST";
pub const AWS_SECRET: &str = "agentcore-test-secret-0123456789abcdef";
pub const ROLE: &str = "arn:aws:iam::123456789012:role/AgentCoreHarnessRole";
pub const DENIED_ROLE: &str = "arn:aws:iam::123456789012:role/DeniedHarnessRole";

pub struct AgentCoreStack {
    pub s: Stack,
    pub fake: FakeAgentCore,
}

/// The `general_settings` lines that point a gateway at `fake`.
pub fn agentcore_settings(fake: &FakeAgentCore) -> String {
    format!(
        "  agentcore:\n    aws_region_name: us-east-1\n    aws_access_key_id: {AWS_ACCESS_KEY}\n    \
         aws_secret_access_key: {AWS_SECRET}\n    control_endpoint_url: {}\n    runtime_endpoint_url: {}\n",
        fake.control_endpoint_url(),
        fake.runtime_endpoint_url()
    )
}

impl AgentCoreStack {
    pub async fn start() -> AgentCoreStack {
        let fake = FakeAgentCore::start().await.expect("fake agentcore");
        let s = Stack::start_with(&agentcore_settings(&fake)).await;
        AgentCoreStack { s, fake }
    }

    /// With Secrets Manager at `secrets_manager` (moto's), for the gateway and for AgentCore.
    pub async fn start_with_secrets_manager(secrets_manager: &str) -> AgentCoreStack {
        let fake = FakeAgentCore::start().await.expect("fake agentcore");
        fake.use_secrets_manager(secrets_manager);
        let settings = format!("{}    secrets_manager_endpoint_url: {secrets_manager}\n", agentcore_settings(&fake));
        let s = Stack::start_with(&settings).await;
        AgentCoreStack { s, fake }
    }

    /// The gateway's own URL: what a harness gets as its API base here.
    pub fn gateway_url(&self) -> String {
        self.s.gateway.base_url()
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let r = request.bearer_auth(MASTER_KEY).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.s.http.get(self.s.url(path))).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.s.http.post(self.s.url(path)).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.s.http.patch(self.s.url(path)).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(self.s.http.delete(self.s.url(path))).await
    }

    /// POST expecting server-sent events: status and the JSON events.
    pub async fn sse(&self, path: &str, body: Value) -> (u16, Vec<Value>) {
        let r = self
            .s
            .http
            .post(self.s.url(path))
            .bearer_auth(MASTER_KEY)
            .header("accept", "text/event-stream")
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        if status != 200 {
            return (status, vec![serde_json::from_str(&text).unwrap_or(Value::Null)]);
        }
        (status, sse_data(&text).iter().filter_map(|d| serde_json::from_str(d).ok()).collect())
    }

    /// `switchboard agentcore <args>` against this gateway: the outcome and what it printed.
    pub async fn cli(&self, args: &[&str]) -> (Result<(), String>, String) {
        let url = self.gateway_url();
        let mut argv: Vec<&str> = vec!["agentcore", "--url", &url, "--master-key", MASTER_KEY];
        argv.extend_from_slice(args);
        let cli = switchboard_cli::agentcore::AgentCoreCli::parse_args(argv).expect("valid arguments");
        let mut out = Vec::new();
        let result = switchboard_cli::agentcore::run(cli, &mut out).await;
        (result, String::from_utf8_lossy(&out).into_owned())
    }

    /// A team for `models` and a key of it: (team_id, clear key).
    pub async fn team_and_key(&self, team_alias: &str, key_alias: &str, models: &[&str]) -> (String, String) {
        let (status, team) = self.post("/team/new", json!({"team_alias": team_alias, "models": models})).await;
        assert_eq!(status, 200, "{team}");
        let team_id = team["team_id"].as_str().expect("team_id").to_string();
        let (status, key) = self.post("/key/generate", json!({"team_id": team_id, "key_alias": key_alias})).await;
        assert_eq!(status, 200, "{key}");
        (team_id, key["key"].as_str().expect("key").to_string())
    }

    /// A credential provider holding `key`, created through the gateway.
    pub async fn provider_with(&self, name: &str, key: &str) -> Value {
        let (status, v) = self.post("/agentcore/providers", json!({"name": name, "key": key})).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// A call straight to the fake's control plane (as the AWS console would make it).
    pub async fn console(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .request(method, format!("{}{path}", self.fake.control_endpoint_url()))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDCONSOLE/20260610/us-east-1/bedrock-agentcore/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .json(&body)
            .send()
            .await
            .expect("console request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// The finding of a doctor report with this check id.
pub fn finding<'a>(report: &'a Value, check: &str) -> Option<&'a Value> {
    report["findings"].as_array()?.iter().find(|f| f["check"] == check)
}

/// The status of each wiring step, in order.
pub fn step_statuses(result: &Value) -> Vec<(String, String)> {
    result["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .map(|s| (s["id"].as_str().unwrap_or("").to_string(), s["status"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}
