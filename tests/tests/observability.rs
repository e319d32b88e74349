//! What a monitoring stack reads from the gateway: LiteLLM's Prometheus metrics, scraped by a
//! real Prometheus (Debian's `prometheus` package) and checked with `promtool`, and
//! OpenTelemetry spans received over OTLP/HTTP and decoded with the OpenTelemetry protobuf
//! definitions.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{Value, json};
use switchboard_tests::{
    FakeBedrock, FakeOpenAi, MASTER_KEY, Stack, UPSTREAM_KEY, client, eventually, standard_config, start_gateway,
};

const SCRAPE_TOKEN: &str = "scrape-token-5d1c8e";

/// A `prometheus` server of the test's own, scraping `target` every second with a bearer token.
struct Prometheus {
    child: std::process::Child,
    url: String,
    _dir: tempdir::Dir,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

impl Prometheus {
    fn start(target: &str) -> Prometheus {
        let dir = std::env::temp_dir().join(format!("switchboard-prometheus-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let config = format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: switchboard\n    metrics_path: /metrics\n    authorization:\n      credentials: {SCRAPE_TOKEN}\n    static_configs:\n      - targets: ['{target}']\n"
        );
        std::fs::write(dir.join("prometheus.yml"), config).expect("config");
        let port = free_port();
        let child = std::process::Command::new("prometheus")
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (Debian package `prometheus`, installed by `make deps`)");
        Prometheus { child, url: format!("http://127.0.0.1:{port}"), _dir: tempdir::Dir(dir) }
    }

    /// The value of an instant query that returns one sample, if it does.
    async fn value(&self, query: &str) -> Option<f64> {
        let url = reqwest::Url::parse_with_params(&format!("{}/api/v1/query", self.url), &[("query", query)]).ok()?;
        let r = client().get(url).send().await.ok()?;
        let body: Value = r.json().await.ok()?;
        let result = body["data"]["result"].as_array()?;
        let [sample] = result.as_slice() else { return None };
        sample["value"][1].as_str()?.parse().ok()
    }

    /// Waits until `query` gives `expected` (Prometheus scrapes every second).
    async fn wait_for(&self, query: &str, expected: f64) -> Option<f64> {
        let mut last = None;
        for _ in 0..60 {
            last = self.value(query).await;
            if last.is_some_and(|v| (v - expected).abs() < 1e-9) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        last
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn chat_as(gateway: &str, key: &str, body: Value) -> u16 {
    client()
        .post(format!("{gateway}/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// Traffic of every outcome reaches Prometheus under LiteLLM's metric names and labels; the
/// exposition passes `promtool check metrics`.
#[tokio::test]
async fn prometheus_scrapes_litellm_metrics() {
    let openai = FakeOpenAi::start().await.expect("fake openai");
    let bedrock = FakeBedrock::start().await.expect("fake bedrock");
    let extra = format!(
        "  metrics_token: {SCRAPE_TOKEN}\nlitellm_settings:\n  callbacks: [\"prometheus\"]\n  require_auth_for_metrics_endpoint: true\n"
    );
    let gateway = start_gateway(&standard_config(&openai, &bedrock, &extra)).await;
    let base = gateway.base_url();
    let http = client();

    // Who may scrape, once the endpoint asks for credentials.
    assert_eq!(http.get(format!("{base}/metrics")).send().await.unwrap().status(), 401);
    assert_eq!(http.get(format!("{base}/metrics")).bearer_auth(MASTER_KEY).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{base}/metrics")).bearer_auth(SCRAPE_TOKEN).send().await.unwrap().status(), 200);

    let team: Value = http
        .post(format!("{base}/team/new"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"team_alias": "observers", "max_budget": 5.0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let team_id = team["team_id"].as_str().expect("team id").to_string();
    let key: Value = http
        .post(format!("{base}/key/generate"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"key_alias": "dashboards", "team_id": team_id, "rpm_limit": 4, "max_budget": 2.0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().expect("key").to_string();
    // A key with a budget that never calls: no budget gauges (LiteLLM sets them on a call).
    let idle = http.post(format!("{base}/key/generate")).bearer_auth(MASTER_KEY);
    assert_eq!(idle.json(&json!({"key_alias": "idle-budget", "max_budget": 3.0})).send().await.unwrap().status(), 200);
    let denied = http.get(format!("{base}/metrics")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(denied.status(), 403, "a plain virtual key may not scrape");

    let hello = |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hello there"}]});
    assert_eq!(chat_as(&base, &key, hello("gpt-4o-mini")).await, 200);
    assert_eq!(chat_as(&base, &key, hello("claude-haiku")).await, 200);
    let mut stream = hello("claude-haiku");
    stream["stream"] = json!(true);
    let r = http.post(format!("{base}/v1/chat/completions")).bearer_auth(&key).json(&stream).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = r.text().await.unwrap();
    // An upstream 500 is the gateway's 502 (the gateway stands, its upstream failed).
    assert_eq!(chat_as(&base, &key, hello("openai-broken")).await, 502);
    assert_eq!(chat_as(&base, &key, hello("gpt-4o-mini")).await, 429, "the key's rpm_limit of 4 is used up");
    assert_eq!(chat_as(&base, "sk-not-a-key", hello("gpt-4o-mini")).await, 401);
    let bad_json = http
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    // Refused before the gateway on an Azure-style LLM route: counted; on an admin route: not
    // an LLM request, not counted.
    let azure = http
        .post(format!("{base}/openai/deployments/gpt-4o-mini/chat/completions"))
        .bearer_auth("sk-not-a-key")
        .json(&hello("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(azure.status(), 401);
    let admin = http.post(format!("{base}/key/generate")).bearer_auth("sk-not-a-key").json(&json!({})).send();
    assert_eq!(admin.await.unwrap().status(), 401);

    let text =
        http.get(format!("{base}/metrics")).bearer_auth(SCRAPE_TOKEN).send().await.unwrap().text().await.unwrap();
    let file = std::env::temp_dir().join(format!("switchboard-metrics-{}.txt", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, &text).unwrap();
    let check = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .expect("promtool (Debian package `prometheus`)");
    let _ = std::fs::remove_file(&file);
    assert!(
        check.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(!text.contains(&key), "the clear key never appears");
    let budget_lines = |alias: &str| {
        text.lines()
            .filter(|l| {
                l.starts_with("litellm_api_key_max_budget_metric{") && l.contains(&format!("api_key_alias=\"{alias}\""))
            })
            .count()
    };
    assert_eq!(budget_lines("dashboards"), 1, "a key that called has its budget gauges");
    assert_eq!(budget_lines("idle-budget"), 0, "a key that never called has none");

    let prometheus = Prometheus::start(base.trim_start_matches("http://"));
    let by_key =
        r#"hashed_api_key!="",api_key_alias="dashboards",team="TEAM",team_alias="observers""#.replace("TEAM", &team_id);
    let expect = [
        (format!("sum(litellm_proxy_total_requests_metric_total{{{by_key},status_code=\"200\"}})"), 3.0),
        (format!("sum(litellm_proxy_total_requests_metric_total{{{by_key},status_code=\"429\"}})"), 1.0),
        (
            format!(
                "sum(litellm_proxy_failed_requests_metric_total{{{by_key},requested_model=\"openai-broken\",exception_status=\"502\",exception_class=\"APIError\"}})"
            ),
            1.0,
        ),
        // Requests the gateway never took on are counted by route and status alone.
        (
            "sum(litellm_proxy_failed_requests_metric_total{hashed_api_key=\"\",route=\"/chat/completions\",exception_status=\"401\"})"
                .into(),
            1.0,
        ),
        ("sum(litellm_proxy_failed_requests_metric_total{exception_status=\"400\"})".into(), 1.0),
        ("sum(litellm_proxy_failed_requests_metric_total{exception_status=\"401\"})".into(), 2.0),
        (
            "sum(litellm_proxy_total_requests_metric_total{route=\"/openai/deployments/gpt-4o-mini/chat/completions\",status_code=\"401\"})"
                .into(),
            1.0,
        ),
        (format!("sum(litellm_request_total_latency_metric_count{{{by_key}}})"), 4.0),
        (format!("sum(litellm_llm_api_latency_metric_count{{{by_key}}})"), 3.0),
        (format!("sum(litellm_llm_api_time_to_first_token_metric_count{{{by_key},requested_model=\"claude-haiku\"}})"), 1.0),
        (
            "sum(litellm_deployment_failure_responses_total{requested_model=\"openai-broken\",api_provider=\"openai\",exception_status=\"502\"})"
                .into(),
            1.0,
        ),
        (format!("sum(litellm_deployment_success_responses_total{{{by_key}}})"), 3.0),
        (
            "count(litellm_deployment_state{litellm_model_name=\"bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0\"} == 0)"
                .into(),
            1.0,
        ),
        ("litellm_deployment_state{litellm_model_name=\"openai/fake-500\"}".into(), 1.0),
        (format!("litellm_team_max_budget_metric{{team=\"{team_id}\",team_alias=\"observers\"}}"), 5.0),
        ("litellm_api_key_max_budget_metric{api_key_alias=\"dashboards\"}".into(), 2.0),
        (
            "litellm_remaining_api_key_requests_for_model{api_key_alias=\"dashboards\",model=\"openai-broken\"}".into(),
            0.0,
        ),
    ];
    for (query, want) in &expect {
        let got = prometheus.wait_for(query, *want).await;
        assert_eq!(got, Some(*want), "{query}");
    }
    // Tokens and spend add up to what the spend log says.
    let input = prometheus.value(&format!("sum(litellm_input_tokens_metric_total{{{by_key}}})")).await.unwrap_or(0.0);
    let output = prometheus.value(&format!("sum(litellm_output_tokens_metric_total{{{by_key}}})")).await.unwrap_or(0.0);
    let total = prometheus.value(&format!("sum(litellm_total_tokens_metric_total{{{by_key}}})")).await.unwrap_or(0.0);
    assert!(input > 0.0 && output > 0.0 && (input + output - total).abs() < 1e-9, "{input} + {output} = {total}");
    let spend = prometheus.value(&format!("sum(litellm_spend_metric_total{{{by_key}}})")).await.unwrap_or(0.0);
    let remaining = prometheus
        .value(&format!("litellm_remaining_team_budget_metric{{team=\"{team_id}\"}}"))
        .await
        .expect("remaining team budget");
    assert!(spend > 0.0, "spend is counted");
    assert!((5.0 - spend - remaining).abs() < 1e-9, "remaining team budget {remaining} = 5 - {spend}");
}

/// `prometheus_initialize_budget_metrics: true` (LiteLLM's setting) reports every key with a
/// budget from the start, called or not.
#[tokio::test]
async fn every_key_budget_is_reported_when_the_config_asks() {
    let s = Stack::start_with("litellm_settings:\n  prometheus_initialize_budget_metrics: true\n").await;
    let made = s.post("/key/generate", &json!({"key_alias": "idle-budget", "max_budget": 3.0})).await;
    assert_eq!(made.status(), 200);
    let text = s.get("/metrics").await.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("litellm_api_key_max_budget_metric{") && l.contains("api_key_alias=\"idle-budget\""))
        .unwrap_or_else(|| panic!("no budget gauge for the idle key:\n{text}"));
    assert!(line.ends_with(" 3"), "{line}");
}

/// Each request is a SERVER span continuing the client's trace, with a CLIENT span per upstream
/// attempt (a retry and a fallback are attempts of their own), named and attributed after the
/// GenAI semantic conventions.
#[tokio::test]
async fn requests_are_traced_over_otlp_http() {
    let received: Arc<Mutex<Vec<Span>>> = Arc::default();
    let sink = received.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let sink = sink.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf body");
                for resource in request.resource_spans {
                    let service = resource
                        .resource
                        .iter()
                        .flat_map(|r| r.attributes.iter())
                        .find(|a| a.key == "service.name")
                        .and_then(|a| a.value.as_ref())
                        .and_then(|v| v.value.clone());
                    assert_eq!(service, Some(AnyValue::StringValue("switchboard".into())));
                    for scope in resource.scope_spans {
                        sink.lock().unwrap().extend(scope.spans);
                    }
                }
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let openai = FakeOpenAi::start().await.expect("fake openai");
    let oa = openai.base_url();
    let yaml = format!(
        "model_list:\n  - model_name: gpt-4o-mini\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: {oa}\n      api_key: {UPSTREAM_KEY}\n  - model_name: flaky\n    litellm_params:\n      model: openai/fake-500\n      api_base: {oa}\n      api_key: {UPSTREAM_KEY}\n      max_retries: 1\nrouter_settings:\n  fallbacks: [{{\"flaky\": [\"gpt-4o-mini\"]}}]\nlitellm_settings:\n  callbacks: [\"otel\"]\nenvironment_variables:\n  OTEL_EXPORTER: otlp_http\n  OTEL_ENDPOINT: {collector}\n  OTEL_BSP_SCHEDULE_DELAY: \"100\"\ngeneral_settings:\n  master_key: {MASTER_KEY}\n"
    );
    let gateway = start_gateway(&yaml).await;
    let base = gateway.base_url();
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let body = json!({"model": "flaky", "messages": [{"role": "user", "content": "hello"}]});
    let r = client()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("traceparent", format!("00-{trace_id}-{parent_id}-01"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the fallback answers");
    let unknown = json!({"model": "no-such-model", "messages": [{"role": "user", "content": "hello"}]});
    let r = client().post(format!("{base}/v1/chat/completions")).bearer_auth(MASTER_KEY).json(&unknown).send().await;
    assert_eq!(r.unwrap().status(), 400);

    let arrived = eventually(Duration::from_secs(15), || received.lock().unwrap().len() >= 5).await;
    let spans = received.lock().unwrap().clone();
    assert!(arrived, "five spans arrive: {spans:?}");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let attributes = |s: &Span| -> HashMap<String, String> {
        s.attributes
            .iter()
            .map(|a| {
                let v = match a.value.as_ref().and_then(|v| v.value.clone()) {
                    Some(AnyValue::StringValue(s)) => s,
                    Some(AnyValue::IntValue(i)) => i.to_string(),
                    Some(AnyValue::DoubleValue(d)) => d.to_string(),
                    Some(AnyValue::BoolValue(b)) => b.to_string(),
                    other => format!("{other:?}"),
                };
                (a.key.clone(), v)
            })
            .collect()
    };
    const SERVER: i32 = 2;
    const CLIENT: i32 = 3;
    const ERROR: i32 = 2;
    let root = spans.iter().find(|s| s.name == "chat flaky").expect("the request's span");
    assert_eq!(hex(&root.trace_id), trace_id, "the client's trace is continued");
    assert_eq!(hex(&root.parent_span_id), parent_id, "under the client's span");
    assert_eq!(root.kind, SERVER);
    let a = attributes(root);
    assert_eq!(a["gen_ai.operation.name"], "chat");
    assert_eq!(a["gen_ai.request.model"], "flaky");
    assert_eq!(a["http.response.status_code"], "200");
    assert!(a["gen_ai.usage.input_tokens"].parse::<u64>().unwrap() > 0, "{a:?}");
    assert!(a["gen_ai.usage.output_tokens"].parse::<u64>().unwrap() > 0, "{a:?}");
    assert!(!a.contains_key("error.type"));

    let mut attempts: Vec<&Span> = spans.iter().filter(|s| s.parent_span_id == root.span_id).collect();
    attempts.sort_by_key(|s| s.start_time_unix_nano);
    let names: Vec<&str> = attempts.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["chat fake-500", "chat fake-500", "chat gpt-4o-mini"], "a retry, then the fallback");
    for (i, span) in attempts.iter().enumerate() {
        assert_eq!(span.kind, CLIENT);
        assert_eq!(hex(&span.trace_id), trace_id);
        let a = attributes(span);
        assert_eq!(a["gen_ai.provider.name"], "openai");
        assert_eq!(a["server.address"], "127.0.0.1");
        let failed = i < 2;
        assert_eq!(span.status.as_ref().map(|s| s.code == ERROR), Some(failed), "attempt {i}: {span:?}");
        assert_eq!(a.get("error.type").map(String::as_str), failed.then_some("502"), "attempt {i}");
    }
    assert!(attributes(attempts[2]).contains_key("gen_ai.usage.output_tokens"));

    let refused = spans.iter().find(|s| s.name == "chat no-such-model").expect("a refused request's span");
    assert_eq!(refused.status.as_ref().map(|s| s.code), Some(ERROR));
    assert_eq!(attributes(refused)["error.type"], "400");
    assert!(refused.parent_span_id.is_empty(), "no traceparent: a new trace");
    assert!(!spans.iter().any(|s| format!("{s:?}").contains(UPSTREAM_KEY)), "no upstream key in any span");
    gateway.shutdown().await;
}
