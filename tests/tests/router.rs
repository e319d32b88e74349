//! LiteLLM's router through the gateway: wildcard groups, control parameters kept from the
//! upstream, `mock_response`, retries, cooldowns, fallbacks, routing strategies, key and team
//! aliases, and the `x-litellm-*` headers — against the wire-protocol fakes, which record what
//! reached them.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_tests::*;

/// The standard stack's config with `models` added to `model_list` and `sections` (top-level
/// YAML) appended.
async fn stack_with(models: &str, sections: &str) -> Stack {
    let openai = FakeOpenAi::start().await.unwrap();
    let bedrock = FakeBedrock::start().await.unwrap();
    let oa = openai.base_url();
    let br = bedrock.endpoint_url();
    let models = models.replace("{oa}", &oa).replace("{br}", &br).replace("{key}", UPSTREAM_KEY);
    let yaml = standard_config(&openai, &bedrock, "").replacen("model_list:\n", &format!("model_list:\n{models}"), 1)
        + sections;
    let gateway = start_gateway(&yaml).await;
    Stack { openai, bedrock, gateway, http: client() }
}

const BEDROCK: &str = "aws_region_name: us-east-1\n      aws_bedrock_runtime_endpoint: {br}\n      aws_access_key_id: AKIDTESTGATEWAY\n      aws_secret_access_key: gateway-test-secret";

fn ask(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello router"}]})
}

async fn call(s: &Stack, key: &str, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let r = s.http.post(s.url("/v1/chat/completions")).bearer_auth(key).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.json().await.unwrap_or(Value::Null), headers)
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

fn models_sent(fake: &FakeOpenAi) -> Vec<String> {
    fake.requests().iter().map(|r| r.body["model"].as_str().unwrap_or_default().to_string()).collect()
}

async fn new_key(s: &Stack, body: Value) -> String {
    let r = s.post("/key/generate", &body).await;
    let v: Value = r.json().await.unwrap();
    v["key"].as_str().unwrap_or_else(|| panic!("{v}")).to_string()
}

#[tokio::test]
async fn wildcard_groups_serve_any_name_with_the_matched_part_as_the_upstream_model() {
    let models = format!(
        "  - model_name: openai/*\n    litellm_params:\n      model: openai/*\n      api_base: {{oa}}\n      api_key: {{key}}\n  - model_name: \"*\"\n    litellm_params:\n      model: bedrock/*\n      {BEDROCK}\n"
    );
    let s = stack_with(&models, "").await;

    let (status, body, headers) = call(&s, MASTER_KEY, &ask("openai/gpt-4o-2024-08-06")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(models_sent(&s.openai), vec!["gpt-4o-2024-08-06"], "the * part is the upstream model");
    assert_eq!(body["model"], "openai/gpt-4o-2024-08-06", "answers carry the name asked for");
    assert_eq!(header(&headers, "x-litellm-model-group"), "openai/gpt-4o-2024-08-06");

    let (status, body, _) = call(&s, MASTER_KEY, &ask("us.anthropic.claude-3-5-haiku-20241022-v1:0")).await;
    assert_eq!(status, 200, "{body}");
    let sent = s.bedrock.requests();
    assert_eq!(sent.last().unwrap().path, "/model/us.anthropic.claude-3-5-haiku-20241022-v1:0/converse");

    // Exact names still win over patterns.
    s.openai.clear();
    let (status, _, _) = call(&s, MASTER_KEY, &ask("gpt-4o-mini")).await;
    assert_eq!(status, 200);
    assert_eq!(models_sent(&s.openai), vec!["gpt-4o-mini"]);

    // /v1/models lists what the patterns serve as LiteLLM does, from the price map under each
    // pattern's prefix; the patterns themselves only with return_wildcard_routes=true.
    let listed_ids = |v: Value| -> Vec<String> {
        v["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect()
    };
    let ids = listed_ids(s.get("/v1/models").await.json().await.unwrap());
    assert!(ids.contains(&"gpt-4o-mini".to_string()), "exact names first: {ids:?}");
    assert!(ids.contains(&"openai/gpt-4o".to_string()), "openai/* lists OpenAI's models");
    assert!(!ids.iter().any(|id| id == "*" || id == "openai/*"), "{ids:?}");
    let bedrock_listed = "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0";
    assert!(ids.contains(&bedrock_listed.to_string()), "* of bedrock/* lists Bedrock's models under bedrock/");
    assert_eq!(ids.iter().filter(|id| *id == "openai/gpt-4o").count(), 1, "each name once");
    let with_routes = listed_ids(s.get("/v1/models?return_wildcard_routes=true").await.json().await.unwrap());
    assert!(with_routes.contains(&"openai/*".to_string()) && with_routes.contains(&"*".to_string()));
    let one: Value = s.get("/v1/models/openai%2Fgpt-4o").await.json().await.unwrap();
    assert_eq!(one["id"], "openai/gpt-4o", "a listed name is a model of its own: {one}");
    // A listed name is callable: the `bedrock/` the listing put before it is no part of the id.
    let (status, body, _) = call(&s, MASTER_KEY, &ask(bedrock_listed)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        s.bedrock.requests().last().unwrap().path,
        "/model/us.anthropic.claude-3-5-haiku-20241022-v1:0/converse"
    );

    // A key limited to openai/* reaches the wildcard's OpenAI models and nothing else.
    let key = new_key(&s, json!({"models": ["openai/*"]})).await;
    let (status, body, headers) = call(&s, &key, &ask("openai/gpt-4o-mini")).await;
    assert_eq!(status, 200, "{body}");
    let cost: f64 = header(&headers, "x-litellm-response-cost").parse().unwrap();
    assert!(cost > 0.0, "a wildcard call is priced as the model it names (else budgets would not bite)");
    let info: Value = s.get(&format!("/key/info?key={key}")).await.json().await.unwrap();
    assert_eq!(info["info"]["spend"].as_f64().unwrap(), cost, "and charged");
    let (status, body, _) = call(&s, &key, &ask("us.anthropic.claude-3-5-haiku-20241022-v1:0")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "key_model_access_denied");
    let r = s.http.get(s.url("/v1/models")).bearer_auth(&key).send().await.unwrap();
    let ids = listed_ids(r.json().await.unwrap());
    assert!(ids.contains(&"openai/gpt-4o".to_string()), "{ids:?}");
    assert!(!ids.iter().any(|id| id.starts_with("bedrock/")), "the key lists only what it may call: {ids:?}");
}

#[tokio::test]
async fn a_restricted_key_is_refused_before_the_model_is_looked_up() {
    let s = Stack::start().await;
    let key = new_key(&s, json!({"models": ["gpt-4o-mini"]})).await;
    let (status, body, _) = call(&s, &key, &ask("no-such-model")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "key_model_access_denied", "LiteLLM checks access first");
    let open = new_key(&s, json!({})).await;
    let (status, body, _) = call(&s, &open, &ask("no-such-model")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("Invalid model name passed in model=no-such-model"));
}

#[tokio::test]
async fn a_wildcard_model_needs_a_wildcard_name() {
    let err = switchboard::config::Config::from_yaml(
        "model_list:\n  - model_name: my-openai\n    litellm_params: {model: openai/*}\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("model_list[0] (my-openai).litellm_params.model: 'openai/*' is a wildcard"), "{err}");
}

#[tokio::test]
async fn litellm_parameters_are_acted_on_and_never_forwarded() {
    let s = Stack::start().await;
    let mut body = ask("gpt-4o-mini");
    let extra = json!({
        "user": "end-user-7", "seed": 11, "metadata": {"run": "nightly"}, "tags": ["batch"],
        "fallbacks": ["claude-haiku"], "num_retries": 1, "caching": true, "cache": {"no-cache": true},
        "guardrails": ["pii"], "litellm_session_id": "sess-1", "litellm_trace_id": "t-1", "mock_testing_fallbacks": false,
        "timeout": 30, "max_retries": 2, "disable_fallbacks": false, "api_key": "sk-client-side"
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let (status, answer, _) = call(&s, MASTER_KEY, &body).await;
    assert_eq!(status, 200, "{answer}");
    let sent = &s.openai.requests()[0].body;
    let keys: Vec<&String> = sent.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["messages", "model", "seed", "user"], "only OpenAI's parameters go upstream: {sent}");

    // Streams too, and Bedrock never sees them either.
    let mut body = ask("claude-haiku");
    body["stream"] = json!(true);
    body["metadata"] = json!({"a": 1});
    body["litellm_metadata"] = json!({"b": 2});
    let (status, events) = s.chat_stream(body).await;
    assert_eq!(status, 200);
    assert_eq!(events.last().unwrap(), "[DONE]");
    let converse = &s.bedrock.requests()[0].body;
    assert!(converse.get("metadata").is_none() && converse.get("additionalModelRequestFields").is_none(), "{converse}");

    // A request may not point the gateway's credentials at a server of its choosing.
    let mut body = ask("gpt-4o-mini");
    body["api_base"] = json!("http://169.254.169.254/latest");
    let (status, answer, _) = call(&s, MASTER_KEY, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["param"], "api_base", "{answer}");
    assert_eq!(s.openai.requests().len(), 1);
}

#[tokio::test]
async fn mock_response_answers_without_the_upstream_and_is_charged() {
    let s = Stack::start().await;
    let key = new_key(&s, json!({"key_alias": "mock-tester"})).await;
    let mut body = ask("gpt-4o-mini");
    body["mock_response"] = json!("It's simple to use");
    let (status, answer, headers) = call(&s, &key, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["choices"][0]["message"]["content"], "It's simple to use");
    assert_eq!(answer["usage"], json!({"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}));
    assert_eq!(answer["model"], "gpt-4o-mini");
    let cost: f64 = header(&headers, "x-litellm-response-cost").parse().unwrap();
    assert!(cost > 0.0, "mock usage at the deployment's price");

    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let r = s.http.post(s.url("/v1/chat/completions")).bearer_auth(&key).json(&body).send().await.unwrap();
    let events = sse_data(&r.text().await.unwrap());
    assert_eq!(stream_text(&events), "It's simple to use");
    let first: Value = serde_json::from_str(&events[0]).unwrap();
    assert_eq!(first["choices"][0]["delta"]["content"], "It'", "three characters a chunk, as LiteLLM streams mocks");
    let usage: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage["usage"]["total_tokens"], 30);

    body = ask("gpt-4o-mini");
    body["mock_response"] = json!("litellm.RateLimitError");
    body["num_retries"] = json!(0);
    let (status, answer, _) = call(&s, &key, &body).await;
    assert_eq!(status, 429, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("this is a mock rate limit error"));

    assert!(s.openai.requests().is_empty(), "no mock reached the upstream");
    // Mocks are spend like any call: the key was charged for both answers.
    let info: Value = s.get(&format!("/key/info?key={key}")).await.json().await.unwrap();
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!((spend - 2.0 * cost).abs() < 1e-12, "{spend} vs 2 × {cost}");
}

#[tokio::test]
async fn failed_attempts_move_to_another_deployment_and_a_failing_one_cools_down() {
    // The broken deployment is the cheapest, so cost-based routing always tries it first while
    // it is in service.
    let models = "  - model_name: mixed\n    litellm_params:\n      model: openai/fake-500\n      api_base: {oa}\n      api_key: {key}\n      input_cost_per_token: 0.0\n      output_cost_per_token: 0.0\n  - model_name: mixed\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: {oa}\n      api_key: {key}\n      input_cost_per_token: 0.000001\n      output_cost_per_token: 0.000001\n";
    let s = stack_with(models, "router_settings:\n  routing_strategy: cost-based-routing\n  cooldown_time: 1\n").await;

    let mut retries = Vec::new();
    for _ in 0..5 {
        let (status, body, headers) = call(&s, MASTER_KEY, &ask("mixed")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(header(&headers, "x-litellm-max-retries"), "2");
        retries.push(header(&headers, "x-litellm-attempted-retries"));
    }
    assert_eq!(retries, vec!["1", "1", "0", "0", "0"], "two failures in a row cool the deployment down");
    assert_eq!(models_sent(&s.openai).iter().filter(|m| *m == "fake-500").count(), 2);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, headers) = call(&s, MASTER_KEY, &ask("mixed")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-litellm-attempted-retries"), "1", "back in service after cooldown_time");
}

#[tokio::test]
async fn a_lone_deployment_is_retried_after_a_backoff() {
    let models = "  - model_name: flaky\n    litellm_params:\n      model: openai/fake-500\n      api_base: {oa}\n      api_key: {key}\n";
    let s = stack_with(models, "").await;
    let started = Instant::now();
    let (status, body, _) = call(&s, MASTER_KEY, &ask("flaky")).await;
    assert!(status >= 500, "{body}");
    assert_eq!(s.openai.requests().len(), 3, "LiteLLM's default: two retries");
    assert!(started.elapsed() >= Duration::from_millis(375 + 750), "0.5 s then 1 s, less up to a quarter");

    s.openai.clear();
    let mut once = ask("flaky");
    once["num_retries"] = json!(0);
    call(&s, MASTER_KEY, &once).await;
    assert_eq!(s.openai.requests().len(), 1, "the request's num_retries wins");

    // Throttling: the upstream's retry-after is honoured (the fake asks for 7 s; with a request
    // timeout the client could not wait that long, so only the count is checked here).
    s.openai.clear();
    let mut bad_request = ask("openai-hostile");
    bad_request["num_retries"] = json!(3);
    let (status, _, _) = call(&s, MASTER_KEY, &bad_request).await;
    assert_eq!(status, 400);
    assert_eq!(s.openai.requests().len(), 1, "a bad request is not retried");
}

#[tokio::test]
async fn fallbacks_from_the_config_and_from_the_request() {
    let sections = "router_settings:\n  num_retries: 0\n  fallbacks: [{\"openai-broken\": [\"gpt-4o-mini\"]}]\n  context_window_fallbacks: [{\"gpt-4o-mini\": [\"claude-sonnet\"]}]\n  default_fallbacks: [\"claude-haiku\"]\n";
    let s = stack_with("", sections).await;

    let (status, body, headers) = call(&s, MASTER_KEY, &ask("openai-broken")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(header(&headers, "x-litellm-attempted-fallbacks"), "1");
    assert_eq!(header(&headers, "x-litellm-model-group"), "gpt-4o-mini");
    assert_eq!(models_sent(&s.openai), vec!["fake-500", "gpt-4o-mini"]);

    // default_fallbacks catch groups without their own entry.
    let (status, body, _) = call(&s, MASTER_KEY, &ask("openai-throttled")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "claude-haiku");

    // A context-window failure uses its own list (mock_testing_* forces the failure).
    let mut body = ask("gpt-4o-mini");
    body["mock_testing_context_fallbacks"] = json!(true);
    let (status, answer, _) = call(&s, MASTER_KEY, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model"], "claude-sonnet");

    // The request's own list wins; disable_fallbacks turns them all off.
    let mut body = ask("openai-broken");
    body["fallbacks"] = json!(["claude-sonnet"]);
    let (_, answer, _) = call(&s, MASTER_KEY, &body).await;
    assert_eq!(answer["model"], "claude-sonnet");
    let mut body = ask("openai-broken");
    body["disable_fallbacks"] = json!(true);
    let (status, _, headers) = call(&s, MASTER_KEY, &body).await;
    assert!(status >= 500);
    assert!(headers.get("x-litellm-attempted-fallbacks").is_none());

    // A key may fall back only to models it may call itself.
    let key = new_key(&s, json!({"models": ["openai-throttled"]})).await;
    let mut body = ask("openai-throttled");
    body["fallbacks"] = json!(["gpt-4o-mini"]);
    let (status, answer, _) = call(&s, &key, &body).await;
    assert_eq!(status, 429, "{answer}");
}

#[tokio::test]
async fn usage_based_routing_keeps_deployments_within_their_rpm() {
    let models = "  - model_name: capped\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: {oa}\n      api_key: {key}\n      rpm: 2\n";
    let s = stack_with(models, "router_settings:\n  routing_strategy: usage-based-routing-v2\n").await;
    for _ in 0..2 {
        let (status, body, _) = call(&s, MASTER_KEY, &ask("capped")).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body, _) = call(&s, MASTER_KEY, &ask("capped")).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("No deployments available for selected model"),
        "{body}"
    );
    assert_eq!(s.openai.requests().len(), 2);
}

#[tokio::test]
async fn key_aliases_and_team_model_aliases_rename_the_model() {
    let s = Stack::start().await;
    let key = new_key(&s, json!({"aliases": {"house-model": "gpt-4o-mini"}})).await;
    let (status, body, _) = call(&s, &key, &ask("house-model")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(models_sent(&s.openai), vec!["gpt-4o-mini"]);

    let team: Value = s
        .post("/team/new", &json!({"models": ["team-model"], "model_aliases": {"team-model": "claude-haiku"}}))
        .await
        .json()
        .await
        .unwrap();
    let team_key = new_key(&s, json!({"team_id": team["team_id"]})).await;
    let (status, body, _) = call(&s, &team_key, &ask("team-model")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "claude-haiku");
    let (status, _, _) = call(&s, &team_key, &ask("claude-haiku")).await;
    assert_eq!(status, 403, "the team may use the model by its alias only");
}

/// A chat call with the master key and one extra request header.
async fn call_with_header(s: &Stack, header: (&str, &str), body: &Value) -> reqwest::Response {
    s.http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header(header.0, header.1)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_timeout_header_bounds_each_attempt_and_router_headers_are_sent() {
    let models = "  - model_name: sluggish\n    litellm_params:\n      model: openai/fake-slow\n      api_base: {oa}\n      api_key: {key}\n      max_retries: 0\n";
    let s = stack_with(models, "").await;
    let started = Instant::now();
    let r = call_with_header(&s, ("x-litellm-timeout", "0.5"), &ask("sluggish")).await;
    assert_eq!(r.status(), 408);
    assert!(started.elapsed() < Duration::from_secs(2), "the 3 s upstream was cut at 0.5 s");

    let r = call_with_header(&s, ("x-litellm-timeout", "7"), &ask("gpt-4o-mini")).await;
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(header(h, "x-litellm-timeout"), "7");
    assert_eq!(header(h, "x-litellm-attempted-retries"), "0");
    assert_eq!(header(h, "x-litellm-attempted-fallbacks"), "0");
    let overhead: f64 = header(h, "x-litellm-overhead-duration-ms").parse().unwrap();
    assert!((0.0..1000.0).contains(&overhead), "{overhead}");

    let r = call_with_header(&s, ("x-litellm-timeout", "soon"), &ask("gpt-4o-mini")).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn models_lists_access_groups_when_asked() {
    let models = "  - model_name: grouped\n    litellm_params:\n      model: openai/gpt-4o-mini\n      api_base: {oa}\n      api_key: {key}\n    model_info:\n      access_groups: [beta]\n";
    let s = stack_with(models, "").await;
    let ids = |v: Value| -> Vec<String> {
        v["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect()
    };
    let list = |key: String, query: &'static str| {
        let s = &s;
        async move {
            let r = s.http.get(s.url(&format!("/v1/models{query}"))).bearer_auth(key).send().await.unwrap();
            ids(r.json().await.unwrap())
        }
    };
    let all = list(MASTER_KEY.into(), "?include_model_access_groups=true").await;
    assert!(all.contains(&"grouped".to_string()) && all.contains(&"beta".to_string()), "{all:?}");
    assert!(!list(MASTER_KEY.into(), "").await.contains(&"beta".to_string()), "only when asked");
    assert_eq!(
        list(MASTER_KEY.into(), "?include_model_access_groups=true&only_model_access_groups=true").await,
        ["beta"]
    );
    assert!(list(MASTER_KEY.into(), "?only_model_access_groups=true").await.is_empty(), "as LiteLLM: nothing");

    let beta = new_key(&s, json!({"models": ["beta"]})).await;
    assert_eq!(list(beta, "?include_model_access_groups=True").await, ["grouped", "beta"]);
    let other = new_key(&s, json!({"models": ["gpt-4o-mini"]})).await;
    assert_eq!(list(other, "?include_model_access_groups=true").await, ["gpt-4o-mini"]);
}
