//! Tens of thousands of malformed requests through a live gateway: valid chat requests and
//! admin bodies, mutated byte by byte, with UTF-8 edge cases, deep nesting, huge numbers and
//! wrong types. Every one gets a complete answer; none is a 5xx of the gateway's own (a 5xx
//! may only pass an upstream's failure on); the gateway serves normally afterwards.
//!
//! Seeded: a failure names the seed and the input, and `SWITCHBOARD_FUZZ_SEED` replays it.
//! Runs on SQLite, and on PostgreSQL in `make test-postgres` (where NUL characters, ids past
//! what PostgreSQL indexes and the largest floats once made 500s).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use switchboard_tests::*;

/// Inputs per run (`SWITCHBOARD_FUZZ_INPUTS` changes it).
const INPUTS: usize = 40_000;
const CONCURRENCY: usize = 8;

/// Valid requests the mutations start from: (method, path, body).
fn corpus() -> Vec<(&'static str, &'static str, Value)> {
    let tool = json!({"type": "function", "function": {"name": "get_weather", "description": "Weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}});
    let pixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let mut chat = Vec::new();
    for model in ["gpt-4o-mini", "claude-haiku"] {
        chat.push(json!({"model": model, "messages": [{"role": "user", "content": "hello"}]}));
        chat.push(json!({"model": model, "stream": true, "stream_options": {"include_usage": true},
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]}));
        chat.push(json!({"model": model, "temperature": 0.2, "max_tokens": 50, "stop": ["\n"], "tools": [tool],
            "tool_choice": "auto", "messages": [{"role": "user", "content": "weather in Paris?"}]}));
        chat.push(json!({"model": model, "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}], "tools": [tool]}));
        chat.push(json!({"model": model, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": pixel}}]}]}));
    }
    let mut all: Vec<(&str, &str, Value)> = chat.into_iter().map(|b| ("POST", "/v1/chat/completions", b)).collect();
    all.extend([
        (
            "POST",
            "/key/generate",
            json!({"key_alias": "fz", "models": ["gpt-4o-mini"], "max_budget": 1.5,
            "budget_duration": "30d", "rpm_limit": 100, "metadata": {"owner": "fuzz"}, "duration": "1h"}),
        ),
        ("POST", "/key/update", json!({"key_alias": "fuzz-target", "max_budget": 2, "tags": ["a"]})),
        (
            "POST",
            "/team/new",
            json!({"team_alias": "fz", "models": ["claude-haiku"], "tpm_limit": 1000,
            "members_with_roles": [{"role": "user", "user_id": "fz-user"}]}),
        ),
        ("POST", "/team/update", json!({"team_id": "fuzz-team", "max_budget": 10, "spend": 0})),
        ("POST", "/team/member_add", json!({"team_id": "fuzz-team", "member": {"role": "user", "user_id": "m1"}})),
        (
            "POST",
            "/user/new",
            json!({"user_email": "fz@example.com", "models": ["gpt-4o-mini"], "user_role": "internal_user"}),
        ),
        ("POST", "/user/update", json!({"user_id": "fuzz-user", "max_budget": 3})),
        ("POST", "/key/delete", json!({"keys": ["sk-not-a-key"], "key_aliases": ["nope"]})),
        ("POST", "/model/update", json!({"model_info": {"id": "fuzz-model"}, "litellm_params": {"temperature": 0.5}})),
        ("POST", "/key/block", json!({"key_alias": "nope"})),
    ]);
    all
}

/// Strings that break naive code: control characters, the BOM, surrogate escapes, combining
/// marks, right-to-left text, emoji, a key-like token, `Bearer` and non-ASCII.
const NASTY: &[&str] = &[
    "\u{0}",
    "\u{feff}",
    "\\ud800",
    "\\udfff\\ud800",
    "\u{202e}abc",
    "e\u{301}\u{301}\u{301}",
    "🦀🦀",
    "Bearer é",
    "sk-AAAAAAAAAAAAAAAAAAAAAAAA",
    "\"",
    "\\",
    "\\u0000",
    "%00",
    "\r\n\r\n",
    "𝕊",
    "\u{10ffff}",
];

fn mutate(rng: &mut StdRng, body: &Value) -> Vec<u8> {
    match rng.random_range(0..10) {
        0..=3 => mutate_json(rng, body.clone()),
        4..=7 => mutate_bytes(rng, serde_json::to_vec(body).unwrap_or_default()),
        8 => {
            // Deep nesting at a random depth.
            let depth = [10, 127, 129, 1000, 100_000][rng.random_range(0..5)];
            let mut text = String::from(r#"{"model":"gpt-4o-mini","messages":"#);
            text.push_str(&"[".repeat(depth));
            text.push_str(&"]".repeat(depth));
            text.push('}');
            text.into_bytes()
        }
        _ => {
            // Valid JSON of the wrong shape altogether.
            let shapes = [json!([]), json!(null), json!("text"), json!(1e308), json!({"": {}}), json!([[[]]])];
            serde_json::to_vec(&shapes[rng.random_range(0..shapes.len())]).unwrap_or_default()
        }
    }
}

fn mutate_bytes(rng: &mut StdRng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..rng.random_range(1..5) {
        if bytes.is_empty() {
            bytes.push(b'{');
        }
        let at = rng.random_range(0..bytes.len());
        match rng.random_range(0..7) {
            0 => bytes[at] ^= 1 << rng.random_range(0..8),
            1 => bytes.insert(at, rng.random()),
            2 => {
                bytes.remove(at);
            }
            3 => bytes.truncate(at),
            4 => {
                let nasty = NASTY[rng.random_range(0..NASTY.len())].as_bytes().to_vec();
                bytes.splice(at..at, nasty);
            }
            5 => {
                // Bytes that are never valid UTF-8 (overlong, lone continuation, 0xFF).
                let bad: &[&[u8]] = &[&[0xc0, 0x80], &[0x80], &[0xff], &[0xed, 0xa0, 0x80], &[0xf4, 0x90, 0x80, 0x80]];
                bytes.splice(at..at, bad[rng.random_range(0..bad.len())].iter().copied());
            }
            _ => {
                let end = (at + rng.random_range(1..32)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

fn mutate_json(rng: &mut StdRng, mut body: Value) -> Vec<u8> {
    for _ in 0..rng.random_range(1..4) {
        let replacement = wild_value(rng);
        replace_somewhere(rng, &mut body, replacement);
    }
    if rng.random_bool(0.1) {
        // Numbers JSON allows but no field can take.
        let text = serde_json::to_string(&body).unwrap_or_default();
        let huge = ["1e999", "-1e999", "99999999999999999999999999", "-0", "1E+400", "0.0000000000000000000001"];
        return text.replacen("0.2", huge[rng.random_range(0..huge.len())], 1).into_bytes();
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Puts `replacement` at a random place in a JSON value (sometimes under a new, unknown key).
fn replace_somewhere(rng: &mut StdRng, value: &mut Value, replacement: Value) {
    let descend = rng.random_bool(0.7);
    match value {
        Value::Object(map) if descend && !map.is_empty() => {
            let i = rng.random_range(0..map.len());
            let key = map.keys().nth(i).cloned().unwrap_or_default();
            if rng.random_bool(0.1) {
                map.remove(&key);
                map.insert(format!("unknown_{i}"), replacement);
            } else if let Some(v) = map.get_mut(&key) {
                replace_somewhere(rng, v, replacement);
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let i = rng.random_range(0..items.len());
            replace_somewhere(rng, &mut items[i], replacement);
        }
        _ => *value = replacement,
    }
}

fn wild_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..14) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(i64::MAX),
        3 => json!(i64::MIN),
        4 => json!(u64::MAX),
        5 => json!(f64::MAX),
        6 => json!(-1.5),
        7 => json!(""),
        8 => json!("x".repeat(rng.random_range(1000..100_000))),
        9 => json!(NASTY[rng.random_range(0..NASTY.len())]),
        10 => json!([]),
        11 => json!({}),
        12 => json!([{"role": "user"}, 1, "two", null]),
        _ => {
            let mut v = json!("deep");
            for _ in 0..rng.random_range(1..200) {
                v = json!([v]);
            }
            v
        }
    }
}

/// What was wrong with one answer, if anything.
fn judge(status: u16, body: &[u8], stream: bool) -> Option<String> {
    if status == 500 {
        return Some("500: the gateway's own failure".into());
    }
    if status >= 500 {
        // Only an upstream's failure may come back as a 5xx, and it says whose.
        let json: Value = serde_json::from_slice(body).ok()?;
        let message = json["error"]["message"].as_str().unwrap_or("");
        if !(message.starts_with("openai error:") || message.starts_with("bedrock error:")) {
            return Some(format!("{status} not from an upstream: {message}"));
        }
    }
    if status != 200 || !stream {
        if serde_json::from_slice::<Value>(body).is_err() {
            return Some(format!("{status} with a body that is not JSON: {}", String::from_utf8_lossy(body)));
        }
    } else if !body.ends_with(b"\n\n") {
        return Some("a stream that does not end with a complete event".into());
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tens_of_thousands_of_malformed_requests_get_clean_answers() {
    let s = Stack::start().await;
    let seed: u64 =
        std::env::var("SWITCHBOARD_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(rand::random);
    let inputs: usize = std::env::var("SWITCHBOARD_FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(INPUTS);
    println!("fuzz seed {seed} (replay with SWITCHBOARD_FUZZ_SEED={seed}), {inputs} inputs");

    // Things the admin bodies name, so that some mutations reach deep into the handlers.
    let team = s.post("/team/new", &json!({"team_id": "fuzz-team", "team_alias": "fuzz"})).await;
    assert_eq!(team.status(), 200);
    assert_eq!(s.post("/key/generate", &json!({"key_alias": "fuzz-target"})).await.status(), 200);
    assert_eq!(s.post("/user/new", &json!({"user_id": "fuzz-user", "auto_create_key": false})).await.status(), 200);
    let model = json!({"model_name": "fuzz-model", "litellm_params": {"model": "openai/gpt-4o-mini",
        "api_base": s.openai.base_url(), "api_key": UPSTREAM_KEY}, "model_info": {"id": "fuzz-model"}});
    assert_eq!(s.post("/model/new", &model).await.status(), 200);

    let corpus = Arc::new(corpus());
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let base = s.gateway.base_url();
    let started = Instant::now();
    let results = futures::stream::iter(0..inputs)
        .map(|n| {
            let (corpus, http, base) = (corpus.clone(), http.clone(), base.clone());
            async move {
                let mut rng = StdRng::seed_from_u64(seed.wrapping_add(n as u64));
                let (method, path, body) = &corpus[rng.random_range(0..corpus.len())];
                let payload = mutate(&mut rng, body);
                let request = http
                    .request(method.parse().unwrap(), format!("{base}{path}"))
                    .bearer_auth(MASTER_KEY)
                    .header("content-type", "application/json")
                    .body(payload.clone());
                let verdict = match request.send().await {
                    Err(e) => Some(format!("no answer: {e}")),
                    Ok(r) => {
                        let status = r.status().as_u16();
                        // The answer says whether it streams: the request may ask in any JSON
                        // spelling (`"stream" :\r\n true`).
                        let stream = r
                            .headers()
                            .get(reqwest::header::CONTENT_TYPE)
                            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
                        match r.bytes().await {
                            Err(e) => Some(format!("{status}, then the body broke off: {e}")),
                            Ok(body) => {
                                judge(status, &body, stream).map(|why| format!("{why} ({} bytes back)", body.len()))
                            }
                        }
                    }
                };
                verdict.map(|why| {
                    format!(
                        "input {n} to {path}: {why}\n  sent: {}",
                        String::from_utf8_lossy(&payload[..payload.len().min(300)])
                    )
                })
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let failures: Vec<String> = results.into_iter().flatten().collect();
    println!("{inputs} inputs in {:.1} s, {} bad answers", started.elapsed().as_secs_f64(), failures.len());
    assert!(
        failures.is_empty(),
        "seed {seed}: {} bad answers, first ones:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );

    // The gateway is as it was: chat, streams and admin work.
    let (status, body) =
        s.chat(json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "still there?"}]})).await;
    assert_eq!(status, 200, "{body}");
    let (status, events) = s
        .chat_stream(
            json!({"model": "claude-haiku", "stream": true, "messages": [{"role": "user", "content": "and streams?"}]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    assert_eq!(s.get("/key/list").await.status(), 200);
}
