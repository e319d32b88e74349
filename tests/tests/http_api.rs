//! The HTTP surface besides chat: health, auth, models, request validation.

use serde_json::{Value, json};
use switchboard_tests::*;

#[tokio::test]
async fn health_routes_are_public_and_litellm_shaped() {
    let s = Stack::start().await;
    for path in ["/health/liveliness", "/health/liveness"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap(), json!("I'm alive!"));
    }
    let r: Value = s.http.get(s.url("/health/readiness")).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["status"], "healthy");
    assert_eq!(r["db"], "connected", "the embedded SQLite is a database too: {r}");
    assert!(r["litellm_version"].is_string());
}

#[tokio::test]
async fn health_checks_each_deployment() {
    let s = Stack::start().await;
    let r = s.http.get(s.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 401, "/health needs a key");
    let body: Value = s.get("/health?model=claude-haiku").await.json().await.unwrap();
    assert_eq!(body["healthy_count"], 1, "{body}");
    assert_eq!(body["healthy_endpoints"][0]["model"], "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0");
    let body: Value = s.get("/health?model=bedrock-denied").await.json().await.unwrap();
    assert_eq!(body["unhealthy_count"], 1, "{body}");
    assert!(body["unhealthy_endpoints"][0]["error"].as_str().unwrap().contains("AccessDenied"), "{body}");
    assert!(!body.to_string().contains("gateway-test-secret"));
}

#[tokio::test]
async fn missing_wrong_and_malformed_keys() {
    let s = Stack::start().await;
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]});
    let r = s.http.post(s.url("/v1/chat/completions")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"message": "Authentication Error, No api key passed in.", "type": "auth_error", "param": "None", "code": "401"}})
    );
    let r = s.http.post(s.url("/v1/chat/completions")).bearer_auth("sk-not-the-key").json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .header("authorization", MASTER_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Bearer "));
    assert!(s.openai.requests().is_empty(), "nothing reached the upstream");

    for (name, value) in [
        ("x-litellm-api-key", MASTER_KEY.to_string()),
        ("api-key", MASTER_KEY.into()),
        ("x-api-key", MASTER_KEY.into()),
    ] {
        let r = s.http.get(s.url("/models")).header(name, value).send().await.unwrap();
        assert_eq!(r.status(), 200, "{name}");
    }
}

#[tokio::test]
async fn models_and_model_info() {
    let s = Stack::start().await;
    for path in ["/models", "/v1/models"] {
        let body: Value = s.get(path).await.json().await.unwrap();
        let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&"claude-haiku") && ids.contains(&"gpt-4o-mini"), "{ids:?}");
        assert_eq!(body["object"], "list");
        assert_eq!(body["data"][0]["object"], "model");
    }
    let one: Value = s.get("/v1/models/claude-haiku").await.json().await.unwrap();
    assert_eq!(one["id"], "claude-haiku");
    let r = s.get("/v1/models/nope").await;
    assert_eq!(r.status(), 404);

    let info: Value = s.get("/model/info").await.json().await.unwrap();
    let rows = info["data"].as_array().unwrap();
    let haiku = rows.iter().find(|r| r["model_name"] == "claude-haiku").unwrap();
    assert_eq!(haiku["model_info"]["litellm_provider"], "bedrock");
    assert_eq!(haiku["litellm_params"]["aws_region_name"], "us-east-1");
    let text = info.to_string();
    for secret in [UPSTREAM_KEY, "gateway-test-secret", "AKIDTESTGATEWAY"] {
        assert!(!text.contains(secret), "/model/info leaks {secret}");
    }
    let id = haiku["model_info"]["id"].as_str().unwrap();
    let filtered: Value = s.get(&format!("/v1/model/info?litellm_model_id={id}")).await.json().await.unwrap();
    assert_eq!(filtered["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_requests_get_clear_400s() {
    let s = Stack::start().await;
    let send = |body: &'static str| {
        s.http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(MASTER_KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = send("{not json").await.unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert!(b["error"]["message"].as_str().unwrap().starts_with("Invalid JSON payload"), "{b}");
    assert_eq!(b["error"]["param"], "request_body");

    let b: Value = send(r#"{"model": "gpt-4o-mini"}"#).await.unwrap().json().await.unwrap();
    assert!(b["error"]["message"].as_str().unwrap().contains("missing field `messages`"), "{b}");

    let r = send(r#"{"model": "nope", "messages": [{"role": "user", "content": "x"}]}"#).await.unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    let m = b["error"]["message"].as_str().unwrap();
    assert!(m.contains("Invalid model name passed in model=nope") && m.contains("claude-haiku, claude-sonnet"), "{m}");

    // A Bedrock-specific translation problem is a 400 too, before anything is sent.
    let (status, b) = s
        .chat(json!({"model": "claude-haiku", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}]}]}))
        .await;
    assert_eq!(status, 400, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("data URL"), "{b}");

    let r = s.http.get(s.url("/no/such/route")).bearer_auth(MASTER_KEY).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "404");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let s = Stack::start_with("  max_request_size_mb: 0.01\n").await;
    let big = "x".repeat(20_000);
    let r = s
        .post("/v1/chat/completions", &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": big}]}))
        .await;
    assert_eq!(r.status(), 413);
    let b: Value = r.json().await.unwrap();
    assert!(b["error"]["message"].as_str().unwrap().contains("too large"), "{b}");
    assert!(s.openai.requests().is_empty());
}

#[tokio::test]
async fn azure_style_route_takes_the_model_from_the_path() {
    let s = Stack::start().await;
    let r = s
        .http
        .post(s.url("/openai/deployments/claude-haiku/chat/completions?api-version=2024-06-01"))
        .header("api-key", MASTER_KEY)
        .json(&json!({"messages": [{"role": "user", "content": "azure"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["model"], "claude-haiku");
}
