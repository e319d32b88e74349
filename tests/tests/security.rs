//! What a security reviewer found in the first version, each kept fixed by a test: drive-by
//! admin calls from web pages, DNS rebinding, a panic on upstream text, access rules that did
//! not hold, and data integrity. Runs on SQLite, and on PostgreSQL in `make test-postgres`.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use switchboard_tests::*;

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello"}]})
}

async fn admin(s: &Stack, path: &str, body: Value) -> Value {
    let r = s.post(path, &body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path} {body} → {status}: {v}");
    v
}

async fn key_count(s: &Stack) -> u64 {
    let list: Value = s.get("/key/list").await.json().await.unwrap();
    list["total_count"].as_u64().unwrap()
}

/// A page on another site posts to the admin API as a "simple" request (no preflight), with
/// and without a key, and tries to read what it is not allowed to.
#[tokio::test]
async fn a_web_page_on_another_origin_can_neither_change_nor_read_anything() {
    let s = Stack::start().await;
    let before = key_count(&s).await;
    let evil = "https://evil.example";

    // text/plain, no key, foreign origin: the drive-by of the report.
    let r = s
        .http
        .post(s.url("/key/generate"))
        .header("origin", evil)
        .header("content-type", "text/plain")
        .body(r#"{"key_alias": "drive-by"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a foreign page is refused before anything else");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("https://evil.example"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("LITELLM_CORS_ORIGINS"), "{body}");

    // Even with the master key (a page that somehow has it), a foreign origin is refused.
    let r = s.http.get(s.url("/key/list")).bearer_auth(MASTER_KEY).header("origin", evil).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none(), "nothing a page could read");

    // Its preflight gets no CORS grant, so the browser never sends the real request.
    let r = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/key/generate"))
        .header("origin", evil)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    // AWS work is admin work too.
    for (method, path) in [("GET", "/agentcore/providers"), ("POST", "/deploy/validate"), ("GET", "/deploy/status")] {
        let r = s
            .http
            .request(method.parse().unwrap(), s.url(path))
            .bearer_auth(MASTER_KEY)
            .header("origin", evil)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{method} {path}");
    }

    // Without an Origin (curl, scripts), a body that is not JSON is refused too: 415.
    let r = s
        .http
        .post(s.url("/key/generate"))
        .bearer_auth(MASTER_KEY)
        .header("content-type", "text/plain")
        .body(r#"{"key_alias": "plain"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "415");
    assert!(body["error"]["message"].as_str().unwrap().contains("application/json"), "{body}");
    for content_type in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let r = s
            .http
            .post(s.url("/team/new"))
            .bearer_auth(MASTER_KEY)
            .header("content-type", content_type)
            .body("team_alias=x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415, "{content_type}");
    }
    assert_eq!(key_count(&s).await, before, "no key was made by any of it");

    // The gateway's own pages, loopback pages (the desktop app, a local panel) and untyped
    // bodies (Python's `requests` with `data=`) keep working.
    let own = s.gateway.base_url();
    for origin in [own.as_str(), "http://localhost:5173", "tauri://localhost"] {
        let r = s
            .http
            .post(s.url("/team/new"))
            .bearer_auth(MASTER_KEY)
            .header("origin", origin)
            .json(&json!({"team_alias": "from-a-page"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{origin}");
        assert_eq!(r.headers()["access-control-allow-origin"], origin);
    }
    let r = s
        .http
        .post(s.url("/team/new"))
        .bearer_auth(MASTER_KEY)
        .body(r#"{"team_alias": "untyped"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The inference API stays open to pages that hold a key, as LiteLLM's is.
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("origin", evil)
        .json(&chat("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

/// DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends requests
/// with `Host: evil.example:PORT`. The loopback gateway does not answer them.
#[tokio::test]
async fn a_rebound_host_name_is_not_served() {
    let s = Stack::start().await;
    let port = s.gateway.server.local_addr.port();
    for path in ["/health/liveliness", "/ui/", "/v1/models", "/key/list"] {
        let r = s
            .http
            .get(s.url(path))
            .bearer_auth(MASTER_KEY)
            .header("host", format!("evil.example:{port}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("allowed_hosts"), "{body}");
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let r = s.http.get(s.url("/health/liveliness")).header("host", &host).send().await.unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
}

/// The panel is a page like any other: it gets a strict Content-Security-Policy.
#[tokio::test]
async fn the_panel_is_served_with_a_strict_content_security_policy() {
    let s = Stack::start().await;
    for path in ["/ui/", "/ui/keys"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
}

/// An upstream error with `Bearer é` in it panicked the scrubber: the client got an empty
/// reply, and a panic while the registry lock was held made every key invalid. Now the client
/// gets the upstream's error (scrubbed), and keys keep working.
#[tokio::test]
async fn hostile_upstream_text_gets_an_answer_and_keys_keep_working() {
    let s = Stack::start().await;
    let key = admin(&s, "/key/generate", json!({})).await["key"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let r = s
            .http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&chat("openai-hostile"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("Bearer é"), "the upstream's words reach the client: {message}");
        let streamed = s
            .http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&json!({"model": "openai-hostile", "stream": true, "messages": [{"role": "user", "content": "x"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(streamed.status(), 400);
    }
    let r =
        s.http.post(s.url("/v1/chat/completions")).bearer_auth(&key).json(&chat("gpt-4o-mini")).send().await.unwrap();
    assert_eq!(r.status(), 200, "the virtual key still works");
}

/// A user's `models` limit the user's keys: key ∩ team ∩ user.
#[tokio::test]
async fn a_users_models_limit_its_keys() {
    let s = Stack::start().await;
    let team = admin(&s, "/team/new", json!({"team_alias": "t", "models": ["claude-haiku", "gpt-4o-mini"]})).await;
    let user =
        admin(&s, "/user/new", json!({"user_id": "ana", "models": ["claude-haiku"], "auto_create_key": false})).await;
    assert_eq!(user["models"], json!(["claude-haiku"]));
    let key = admin(&s, "/key/generate", json!({"team_id": team["team_id"], "user_id": "ana"})).await;
    let key = key["key"].as_str().unwrap();
    let r =
        s.http.post(s.url("/v1/chat/completions")).bearer_auth(key).json(&chat("claude-haiku")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r =
        s.http.post(s.url("/v1/chat/completions")).bearer_auth(key).json(&chat("gpt-4o-mini")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "user_model_access_denied", "{body}");
    let models: Value = s.http.get(s.url("/v1/models")).bearer_auth(key).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["data"].as_array().unwrap().len(), 1, "{models}");
}

/// `user_role` decides what a user's keys may do with the admin API.
#[tokio::test]
async fn user_roles_are_honoured() {
    let s = Stack::start().await;
    let mut keys = std::collections::HashMap::new();
    for role in ["proxy_admin", "proxy_admin_viewer", "internal_user"] {
        let user = admin(&s, "/user/new", json!({"user_id": role, "user_role": role})).await;
        keys.insert(role, user["key"].as_str().unwrap().to_string());
    }
    let call = |key: &str, method: &str, path: &str, body: Value| {
        let request = s.http.request(method.parse().unwrap(), s.url(path)).bearer_auth(key.to_string());
        let request = if method == "POST" { request.json(&body) } else { request };
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // A proxy admin manages the gateway.
    assert_eq!(call(&keys["proxy_admin"], "POST", "/key/generate", json!({"key_alias": "by-admin"})).await, 200);
    assert_eq!(call(&keys["proxy_admin"], "GET", "/key/list", json!({})).await, 200);
    // A viewer reads everything and changes nothing.
    assert_eq!(call(&keys["proxy_admin_viewer"], "GET", "/key/list", json!({})).await, 200);
    assert_eq!(call(&keys["proxy_admin_viewer"], "GET", "/global/spend/keys", json!({})).await, 200);
    assert_eq!(call(&keys["proxy_admin_viewer"], "POST", "/key/generate", json!({})).await, 403);
    assert_eq!(call(&keys["proxy_admin_viewer"], "POST", "/team/new", json!({})).await, 403);
    // An internal user manages its own keys and nothing else (see admin_compat.rs).
    assert_eq!(call(&keys["internal_user"], "GET", "/key/list", json!({})).await, 200);
    assert_eq!(call(&keys["internal_user"], "POST", "/key/generate", json!({})).await, 200);
    assert_eq!(call(&keys["internal_user"], "GET", "/key/info", json!({})).await, 200);
    assert_eq!(call(&keys["internal_user"], "POST", "/team/new", json!({})).await, 401);
    assert_eq!(call(&keys["internal_user"], "GET", "/global/spend/keys", json!({})).await, 401);
    // Demoting the admin takes effect on the next request.
    assert_eq!(call(&keys["proxy_admin"], "POST", "/team/new", json!({})).await, 200);
    admin(&s, "/user/update", json!({"user_id": "proxy_admin", "user_role": "internal_user"})).await;
    assert_eq!(call(&keys["proxy_admin"], "POST", "/team/new", json!({})).await, 401);
}

/// Ten parallel creates with one alias made several rows: the check was in memory only.
#[tokio::test]
async fn a_key_alias_is_taken_once_however_many_ask_at_once() {
    let s = Stack::start().await;
    let body = json!({"key_alias": "contested"});
    let attempts = (0..10).map(|_| s.post("/key/generate", &body));
    let statuses: Vec<u16> = join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 9, "{statuses:?}");
    let r = s.post("/key/generate", &json!({"key_alias": "contested"})).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Key with alias 'contested' already exists. Unique key aliases across all keys are required."
    );
    let listed: Value = s.get("/key/list?key_alias=contested").await.json().await.unwrap();
    assert_eq!(listed["total_count"], 1);
    // And in the database: a restart loads one key.
    let s = s.restart().await;
    let listed: Value = s.get("/key/list?key_alias=contested").await.json().await.unwrap();
    assert_eq!(listed["total_count"], 1);
}

/// `/user/new` with a refused key must not leave a user behind (one transaction).
#[tokio::test]
async fn a_refused_user_key_leaves_no_user() {
    let s = Stack::start().await;
    admin(&s, "/key/generate", json!({"key_alias": "taken"})).await;
    let r = s.post("/user/new", &json!({"user_id": "half", "key_alias": "taken"})).await;
    assert_eq!(r.status(), 400);
    let r = s.get("/user/info?user_id=half").await;
    assert_eq!(r.status(), 404, "the user was not created without its key");
}

/// Regenerating keeps the key's spend and limits, in one transaction.
#[tokio::test]
async fn regenerate_keeps_spend_and_the_alias() {
    let s = Stack::start().await;
    let first = admin(&s, "/key/generate", json!({"key_alias": "rot", "max_budget": 10})).await;
    let old = first["key"].as_str().unwrap();
    for _ in 0..3 {
        let r = s
            .http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(old)
            .json(&chat("claude-haiku"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let spent: Value = s.get(&format!("/key/info?key={old}")).await.json().await.unwrap();
    let spent = spent["info"]["spend"].as_f64().unwrap();
    assert!(spent > 0.0);
    let fresh = admin(&s, "/key/regenerate", json!({"key": old})).await;
    let new = fresh["key"].as_str().unwrap();
    assert_eq!(fresh["key_alias"], "rot");
    assert!((fresh["spend"].as_f64().unwrap() - spent).abs() < 1e-12);
    let s = s.restart().await;
    let info: Value = s.get(&format!("/key/info?key={new}")).await.json().await.unwrap();
    assert!((info["info"]["spend"].as_f64().unwrap() - spent).abs() < 1e-12, "{info}");
    assert_eq!(info["info"]["key_alias"], "rot");
}

/// `/model/update` dropped fields it did not know and reset `created_at`; a failed update took
/// the model out of service.
#[tokio::test]
async fn model_update_patches_the_stored_model() {
    let s = Stack::start().await;
    let created = admin(
        &s,
        "/model/new",
        json!({"model_name": "patched", "litellm_params": {
            "model": "openai/gpt-4o-mini", "api_base": s.openai.base_url(), "api_key": UPSTREAM_KEY,
            "stream_timeout": 30, "max_retries": 2, "rpm": 100, "tpm": 1000, "weight": 3,
            "api_version": "2024-10-21", "organization": "org-1", "temperature": 0.3
        }, "model_info": {"id": "m-patched", "team": "x"}}),
    )
    .await;
    let created_at = created["created_at"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let updated =
        admin(&s, "/model/update", json!({"model_name": "patched-2", "model_info": {"id": "m-patched"}})).await;
    assert_eq!(updated["created_at"], created_at.as_str());
    assert_ne!(updated["updated_at"], created_at.as_str());
    let params = &updated["litellm_params"];
    for (field, value) in [
        ("stream_timeout", json!(30)),
        ("max_retries", json!(2)),
        ("rpm", json!(100)),
        ("tpm", json!(1000)),
        ("weight", json!(3)),
        ("api_version", json!("2024-10-21")),
        ("organization", json!("org-1")),
        ("temperature", json!(0.3)),
        ("api_key", json!("********")),
    ] {
        assert_eq!(params[field], value, "{field}: {updated}");
    }
    assert_eq!(updated["model_info"]["team"], "x");
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .json(&chat("patched-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the masked key sent back kept the stored one");

    // A refused update leaves the model served as it was.
    let r = s
        .post("/model/update", &json!({"litellm_params": {"api_base": "not a url"}, "model_info": {"id": "m-patched"}}))
        .await;
    assert_eq!(r.status(), 400);
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .json(&chat("patched-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let info: Value = s.get("/model/info?litellm_model_id=m-patched").await.json().await.unwrap();
    assert_eq!(info["data"][0]["litellm_params"]["api_base"], s.openai.base_url());
}

/// Provider secrets added through the API are sealed in the database.
#[tokio::test]
async fn provider_secrets_are_encrypted_in_the_database() {
    let s = Stack::start().await;
    let secret = "sk-upstream-added-through-the-api-123";
    s.openai.set_expected_api_key(None);
    admin(
        &s,
        "/model/new",
        json!({"model_name": "sealed", "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": s.openai.base_url(), "api_key": secret, "aws_access_key_id": "AKIDADDED", "aws_secret_access_key": "aws-secret-added-456"}}),
    )
    .await;
    let r =
        s.http.post(s.url("/v1/chat/completions")).bearer_auth(MASTER_KEY).json(&chat("sealed")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let sent = s.openai.requests().last().unwrap().headers.get("authorization").cloned().unwrap_or_default();
    assert_eq!(sent, format!("Bearer {secret}"), "the upstream gets the clear key");
    let stored = stored_models(&s.gateway.db).await;
    assert!(!stored.contains(secret) && !stored.contains("aws-secret-added-456"), "{stored}");
    assert!(stored.contains("v2:gcm:"), "{stored}");
    // Still served after a restart (opened with the same master key).
    let s = s.restart().await;
    let r =
        s.http.post(s.url("/v1/chat/completions")).bearer_auth(MASTER_KEY).json(&chat("sealed")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// The `data` of the models table, as stored.
async fn stored_models(db: &TestDb) -> String {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let rows = sqlx::query("SELECT data FROM models").fetch_all(&pool).await.unwrap();
    let text = rows.iter().map(|r| r.try_get::<String, _>("data").unwrap()).collect::<Vec<_>>().join("\n");
    pool.close().await;
    text
}

/// Spend set by hand raced the spend writer: rows of calls that ended before were added after
/// it, so the database disagreed with what the API had said.
#[tokio::test]
async fn spend_set_by_hand_lands_after_the_calls_before_it() {
    // A long flush interval keeps the calls' rows queued when the override arrives.
    let s = Stack::start_with("  proxy_batch_write_at: 30\n").await;
    let key = admin(&s, "/key/generate", json!({"key_alias": "reset-me"})).await["key"].as_str().unwrap().to_string();
    for _ in 0..5 {
        let r = s
            .http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&chat("claude-haiku"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let updated = admin(&s, "/key/update", json!({"key": key, "spend": 0})).await;
    assert_eq!(updated["spend"], 0.0);
    let s = s.restart().await;
    let info: Value = s.get(&format!("/key/info?key={key}")).await.json().await.unwrap();
    assert_eq!(info["info"]["spend"], 0.0, "the database agrees with what the API said: {info}");
    let rows: Value = s.get(&format!("/spend/logs?api_key={key}")).await.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 5, "the calls' rows are all there");
}

/// An answer larger than the gateway reads is an error, not a memory sink.
#[tokio::test]
async fn an_oversized_upstream_answer_is_refused() {
    let s = Stack::start().await;
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .json(&chat("openai-huge"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("larger than 64 MB"), "{body}");
}
