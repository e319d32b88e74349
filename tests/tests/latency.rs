//! The time to first token of each call in its spend row (`completionStartTime`), and the
//! panel's latency report built from those rows. Runs on SQLite, and on PostgreSQL in
//! `make test-postgres`.

use serde_json::{Value, json};
use switchboard_tests::*;

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "how fast?"}]})
}

fn ms(row: &Value, field: &str) -> i64 {
    let text = row[field].as_str().unwrap_or_else(|| panic!("{field} in {row}"));
    switchboard::time::parse_time(text).unwrap().timestamp_millis()
}

fn nearest_rank(values: &mut [u64], p: u64) -> Option<u64> {
    values.sort_unstable();
    let rank = (p * values.len() as u64).div_ceil(100).max(1) as usize;
    values.get(rank - 1).copied()
}

#[tokio::test]
async fn spend_rows_tell_when_answers_began_and_the_report_sums_them_up() {
    let s = Stack::start().await;
    for n in 0..6 {
        let (status, _) = s.chat(chat("gpt-4o-mini", false)).await;
        assert_eq!(status, 200);
        let (status, events) = s.chat_stream(chat("gpt-4o-mini", true)).await;
        assert_eq!((status, events.last().map(String::as_str)), (200, Some("[DONE]")));
        if n < 2 {
            let (status, _) = s.chat_stream(chat("claude-haiku", true)).await;
            assert_eq!(status, 200);
        }
    }
    for _ in 0..3 {
        let (status, _) = s.chat(chat("openai-broken", false)).await;
        assert!(status >= 500, "{status}");
    }
    let (status, _) = s.chat(chat("no-such-model", false)).await;
    assert_eq!(status, 400);

    let rows: Value = s.get("/spend/logs?limit=100").await.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 6 * 2 + 2 + 3 + 1, "{rows:?}");
    for row in rows {
        let streamed = row["metadata"]["stream"] == true;
        match (row["model_group"].as_str().unwrap(), streamed) {
            ("openai-broken" | "no-such-model", _) => {
                assert_eq!(row["completionStartTime"], Value::Null, "no answer began: {row}")
            }
            (_, true) => {
                let first = ms(row, "completionStartTime");
                assert!(ms(row, "startTime") <= first && first <= ms(row, "endTime"), "{row}");
            }
            (_, false) => assert_eq!(row["completionStartTime"], row["endTime"], "{row}"),
        }
    }

    let report: Value = s.get("/switchboard/latency").await.json().await.unwrap();
    assert_eq!((report["hours"].as_u64(), report["bucket"].as_str()), (Some(24), Some("hour")), "{report}");
    assert_eq!(report["truncated"], false);
    let model = |name: &str| report["models"].as_array().unwrap().iter().find(|m| m["model_group"] == name).cloned();
    let gpt = model("gpt-4o-mini").unwrap();
    assert_eq!((gpt["requests"].as_u64(), gpt["errors"].as_u64()), (Some(12), Some(0)));
    let broken = model("openai-broken").unwrap();
    assert_eq!((broken["requests"].as_u64(), broken["errors"].as_u64()), (Some(3), Some(3)));
    let refused = model("no-such-model").unwrap();
    assert_eq!(refused["errors"].as_u64(), Some(1));
    assert_eq!(model("claude-haiku").unwrap()["requests"].as_u64(), Some(2));

    // The percentiles are those of the rows (all in one hour, unless the test straddles one).
    let gpt_rows: Vec<&Value> = rows.iter().filter(|r| r["model_group"] == "gpt-4o-mini").collect();
    let buckets = gpt["buckets"].as_array().unwrap();
    if buckets.len() == 1 {
        let point = &buckets[0];
        let mut latency: Vec<u64> = gpt_rows.iter().map(|r| r["request_duration_ms"].as_u64().unwrap()).collect();
        let mut ttft: Vec<u64> = gpt_rows
            .iter()
            .filter(|r| r["metadata"]["stream"] == true)
            .map(|r| (ms(r, "completionStartTime") - ms(r, "startTime")) as u64)
            .collect();
        assert_eq!(ttft.len(), 6);
        assert_eq!(point["latency_p50_ms"].as_u64(), nearest_rank(&mut latency, 50), "{point}");
        assert_eq!(point["latency_p95_ms"].as_u64(), nearest_rank(&mut latency, 95), "{point}");
        assert_eq!(point["latency_p99_ms"].as_u64(), nearest_rank(&mut latency, 99), "{point}");
        assert_eq!(point["ttft_p50_ms"].as_u64(), nearest_rank(&mut ttft, 50), "{point}");
        assert_eq!(point["ttft_p95_ms"].as_u64(), nearest_rank(&mut ttft, 95), "{point}");
        assert!(point["start"].as_str().unwrap().ends_with(":00:00Z"), "{point}");
    }

    // Per deployment: the failing one fails every time; refused calls reached none.
    let deployments = report["deployments"].as_array().unwrap();
    let failing = deployments.iter().find(|d| d["model_group"] == "openai-broken").unwrap();
    assert_eq!((failing["requests"].as_u64(), failing["errors"].as_u64()), (Some(3), Some(3)));
    assert_eq!(failing["error_rate"].as_f64(), Some(1.0));
    assert_eq!((failing["model"].as_str(), failing["provider"].as_str()), (Some("openai/fake-500"), Some("openai")));
    let healthy = deployments.iter().find(|d| d["model_group"] == "gpt-4o-mini").unwrap();
    assert_eq!((healthy["requests"].as_u64(), healthy["error_rate"].as_f64()), (Some(12), Some(0.0)));
    assert!(healthy["latency_p50_ms"].as_u64() <= healthy["latency_p95_ms"].as_u64());
    assert!(!deployments.iter().any(|d| d["model_group"] == "no-such-model"), "{deployments:?}");

    // One model, by day.
    let day: Value = s.get("/switchboard/latency?model=claude-haiku&bucket=day&hours=168").await.json().await.unwrap();
    let models = day["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{day}");
    assert!(
        models[0]["buckets"].as_array().unwrap().iter().all(|b| b["start"].as_str().unwrap().ends_with("T00:00:00Z"))
    );
    assert!(models[0]["buckets"][0]["ttft_p50_ms"].is_u64(), "{day}");
    assert!(day["deployments"].as_array().unwrap().iter().all(|d| d["model_group"] == "claude-haiku"));
}

#[tokio::test]
async fn the_report_refuses_bad_windows_and_is_for_admins_and_viewers() {
    let s = Stack::start().await;
    for (query, param) in
        [("hours=0", "hours"), ("hours=721", "hours"), ("hours=a", "hours"), ("bucket=week", "bucket")]
    {
        let r = s.get(&format!("/switchboard/latency?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["param"], param, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(param), "{body}");
    }
    let user = |id: &str, role: &str| json!({"user_id": id, "user_role": role});
    let viewer: Value = s.post("/user/new", &user("watcher", "proxy_admin_viewer")).await.json().await.unwrap();
    let member: Value = s.post("/user/new", &user("someone", "internal_user")).await.json().await.unwrap();
    let status = |key: &Value| {
        let key = key["key"].as_str().unwrap().to_string();
        let request = s.http.get(s.url("/switchboard/latency")).bearer_auth(key);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(&viewer).await, 200);
    assert!(matches!(status(&member).await, 401 | 403));
    let empty: Value = s.get("/switchboard/latency").await.json().await.unwrap();
    assert_eq!(
        (empty["models"].as_array().map(Vec::len), empty["deployments"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
}
