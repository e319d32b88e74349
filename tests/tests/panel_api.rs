//! The routes the panel uses besides LiteLLM's: the panel itself at /ui/, CORS, gateway facts,
//! today's figures, the live request feed, spend per day, log lines.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_tests::*;

#[tokio::test]
async fn panel_is_served_under_ui_and_the_root_points_there() {
    let s = Stack::start().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = http.get(s.url("/")).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/ui/");
    let r = s.http.get(s.url("/ui/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = r.text().await.unwrap();
    assert!(page.contains("<html") || page.contains("<!doctype"), "{page}");
    // Client-side routes come back as the app.
    let r = s.http.get(s.url("/ui/some/client/route")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn cors_lets_a_panel_on_another_origin_call_the_api() {
    let s = Stack::start().await;
    let r = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/key/generate"))
        .header("origin", "http://127.0.0.1:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    // The admin API grants a loopback page by name (a page elsewhere gets nothing: see security.rs).
    assert_eq!(r.headers()["access-control-allow-origin"], "http://127.0.0.1:5173");
    let r =
        s.http.get(s.url("/v1/models")).bearer_auth(MASTER_KEY).header("origin", "http://x.test").send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*", "the inference API is open to pages with a key");
}

/// With origins named in the config (`public_url` here), the inference API answers those, the
/// desktop app and pages on this machine — not any page.
#[tokio::test]
async fn named_origins_keep_the_desktop_app_and_local_pages_reading_the_inference_api() {
    let s = Stack::start_with("  public_url: https://gw.example.com\n").await;
    for (origin, allowed) in [
        ("https://gw.example.com", true),
        ("tauri://localhost", true),
        ("http://127.0.0.1:5173", true),
        ("https://evil.example", false),
    ] {
        for path in ["/v1/models", "/model/info"] {
            let r = s.http.get(s.url(path)).bearer_auth(MASTER_KEY).header("origin", origin).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path} from {origin}");
            let granted = r.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string());
            assert_eq!(granted.as_deref(), allowed.then_some(origin), "{path} from {origin}");
        }
    }
}

#[tokio::test]
async fn info_stats_and_daily_spend() {
    let s = Stack::start().await;
    let team = s.post("/team/new", &json!({"team_alias": "panel-team"})).await.json::<Value>().await.unwrap();
    let key = s.post("/key/generate", &json!({"team_id": team["team_id"]})).await.json::<Value>().await.unwrap();
    let key = key["key"].as_str().unwrap();
    for model in ["claude-haiku", "openai-broken"] {
        s.http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(key)
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
    }
    let info: Value = s.get("/switchboard/info").await.json().await.unwrap();
    let expected_db = if s.gateway.db.sqlite_path().is_some() { "sqlite" } else { "postgres" };
    assert_eq!(info["database"], expected_db);
    assert!(info["models"].as_u64().unwrap() >= 10);
    let stats: Value = s.get("/switchboard/stats").await.json().await.unwrap();
    assert_eq!(stats["requests_today"], 2, "{stats}");
    assert_eq!(stats["errors_today"], 1, "{stats}");
    assert!(stats["spend_today"].as_f64().unwrap() > 0.0);
    let daily: Value = s.get("/switchboard/spend/daily?group=team").await.json().await.unwrap();
    assert_eq!(daily[0]["label"], "panel-team", "{daily}");
    assert_eq!(daily[0]["requests"], 2);
    assert_eq!(s.get("/switchboard/spend/daily?group=planet").await.status(), 400);
    let r = s.http.get(s.url("/switchboard/stats")).bearer_auth(key).send().await.unwrap();
    assert_eq!(r.status(), 403, "panel routes are for admins");
    let logs: Value = s.get("/switchboard/logs?limit=5").await.json().await.unwrap();
    assert!(logs.is_array());
}

#[tokio::test]
async fn live_request_feed_shows_calls_as_they_finish() {
    let s = Stack::start().await;
    let mut feed = s.http.get(s.url("/switchboard/requests/stream")).bearer_auth(MASTER_KEY).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(feed.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let (status, _) =
        s.chat(json!({"model": "claude-sonnet", "messages": [{"role": "user", "content": "live"}]})).await;
    assert_eq!(status, 200);
    let mut text = String::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(chunk)) = feed.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(row) = sse_data(&text).iter().filter_map(|d| serde_json::from_str::<Value>(d).ok()).next() {
                return row;
            }
        }
        Value::Null
    })
    .await
    .expect("a row within 5 s");
    assert_eq!(found["model_group"], "claude-sonnet");
    assert_eq!(found["status"], "success");
    assert_eq!(found["api_key"], "litellm-proxy-master-key");
}
