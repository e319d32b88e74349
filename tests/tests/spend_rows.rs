//! Every call that reached an upstream is one spend row, whatever ids the upstream answers
//! with. Runs on SQLite, and on PostgreSQL in `make test-postgres`.

use std::collections::HashSet;

use serde_json::{Value, json};
use switchboard_tests::*;

async fn admin(s: &Stack, path: &str, body: Value) -> Value {
    let r = s.post(path, &body).await;
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_upstream_that_repeats_its_ids_still_gets_one_row_per_call() {
    let s = Stack::start().await;
    s.openai.set_fixed_response_id(Some("chatcmpl-always-the-same".into()));
    let team = admin(&s, "/team/new", json!({"team_alias": "repeaters"})).await;
    let team_id = team["team_id"].as_str().unwrap();
    let key = admin(&s, "/key/generate", json!({"team_id": team_id, "key_alias": "repeat-key"})).await;
    let key = key["key"].as_str().unwrap();

    const CALLS: usize = 20;
    let mut call_ids = HashSet::new();
    for n in 0..CALLS {
        let stream = n % 4 == 0;
        let r = s
            .http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(key)
            .json(&json!({"model": "gpt-4o-mini", "stream": stream, "messages": [{"role": "user", "content": format!("call {n}")}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        call_ids.insert(r.headers()["x-litellm-call-id"].to_str().unwrap().to_string());
        let text = r.text().await.unwrap();
        assert!(text.contains("chatcmpl-always-the-same"), "the upstream repeats itself: {text}");
    }
    assert_eq!(call_ids.len(), CALLS, "each call has its own id");

    let rows: Value = s.get(&format!("/spend/logs?api_key={key}")).await.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), CALLS, "one row per call");
    let row_ids: HashSet<String> = rows.iter().map(|r| r["request_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(row_ids, call_ids, "rows are filed under the gateway's call ids");
    assert!(rows.iter().all(|r| r["response_id"] == "chatcmpl-always-the-same"), "the upstream's id is kept");
    let total: f64 = rows.iter().map(|r| r["spend"].as_f64().unwrap()).sum();
    assert!(total > 0.0);

    // The totals per key, team and model are the sums of the rows.
    let key_info: Value = s.get(&format!("/key/info?key={key}")).await.json().await.unwrap();
    assert!((key_info["info"]["spend"].as_f64().unwrap() - total).abs() < 1e-9, "{key_info}");
    let team_info: Value = s.get(&format!("/team/info?team_id={team_id}")).await.json().await.unwrap();
    assert!((team_info["team_info"]["spend"].as_f64().unwrap() - total).abs() < 1e-9, "{team_info}");
    let by_key: Value = s.get("/global/spend/keys").await.json().await.unwrap();
    let mine = by_key.as_array().unwrap().iter().find(|k| k["key_alias"] == "repeat-key").unwrap();
    assert_eq!(mine["requests"], CALLS);
    assert!((mine["total_spend"].as_f64().unwrap() - total).abs() < 1e-9);
    let by_model: Value = s.get("/global/spend/models").await.json().await.unwrap();
    let model = by_model.as_array().unwrap().iter().find(|m| m["model"] == "gpt-4o-mini").unwrap();
    assert_eq!(model["requests"], CALLS);
    assert!((model["total_spend"].as_f64().unwrap() - total).abs() < 1e-9);
    let by_team: Value = s.get("/global/spend/teams").await.json().await.unwrap();
    let team_total =
        by_team["total_spend_per_team"].as_array().unwrap().iter().find(|t| t["team_id"] == team_id).unwrap();
    assert_eq!(team_total["requests"], CALLS);

    // The same after a restart: the database has every row and the same totals.
    let s = s.restart().await;
    let rows: Value = s.get(&format!("/spend/logs?api_key={key}")).await.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), CALLS);
    let key_info: Value = s.get(&format!("/key/info?key={key}")).await.json().await.unwrap();
    assert!((key_info["info"]["spend"].as_f64().unwrap() - total).abs() < 1e-9, "{key_info}");
}

/// A NUL character is valid JSON but no PostgreSQL text can hold it. A client that sends one in
/// `user` or its metadata still gets its row (the NUL replaced by U+FFFD), and the rows after
/// it are not held back; an admin body that holds one is refused with a 400, on both databases,
/// as is an id longer than PostgreSQL can index.
#[tokio::test]
async fn nul_characters_from_clients_cannot_hold_the_spend_log_up() {
    let s = Stack::start().await;
    let key = admin(&s, "/key/generate", json!({"key_alias": "nul-key"})).await;
    let key = key["key"].as_str().unwrap();
    for (n, user) in ["a\u{0}b", "plain"].into_iter().enumerate() {
        let r = s
            .http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(key)
            .json(&json!({
                "model": "gpt-4o-mini", "user": user,
                "metadata": {"tags": [format!("tag\u{0}{n}")], "note\u{0}key": {"deep": "x\u{0}y"}},
                "messages": [{"role": "user", "content": "hello\u{0}"}]
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let rows: Value = s.get(&format!("/spend/logs?api_key={key}")).await.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "both rows are written: {rows:?}");
    let users: HashSet<&str> = rows.iter().filter_map(|r| r["end_user"].as_str().or(r["user"].as_str())).collect();
    assert!(users.contains("a\u{FFFD}b"), "{rows:?}");
    assert!(!serde_json::to_string(rows).unwrap().contains("\\u0000"), "{rows:?}");
    let latency = s.get("/switchboard/latency?hours=1").await;
    assert!(latency.status().is_success(), "the latency report reads the rows' metadata: {}", latency.status());

    for (path, body) in [
        ("/team/new", r#"{"team_alias":"\u0000"}"#),
        ("/user/new", r#"{"user_id":"u\u0000"}"#),
        ("/key/generate", r#"{"metadata":{"k":["\u0000"]}}"#),
    ] {
        let r = s
            .http
            .post(s.url(path))
            .bearer_auth(MASTER_KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let error: Value = r.json().await.unwrap();
        assert!(error["error"]["message"].as_str().unwrap().contains("NUL character"), "{error}");
    }
    // An id too long to index or to tell the other replicas of is refused, on both databases.
    let r = s.post("/user/new", &json!({"user_id": "u".repeat(3000)})).await;
    assert_eq!(r.status(), 400);
    let error: Value = r.json().await.unwrap();
    assert_eq!(error["error"]["param"], "user_id", "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("at most 2048 bytes"), "{error}");
    // An escaped backslash before `u0000` is text, not a NUL.
    let team = admin(&s, "/team/new", json!({"team_alias": "back\\u0000slash"})).await;
    assert_eq!(team["team_alias"], "back\\u0000slash");
}
