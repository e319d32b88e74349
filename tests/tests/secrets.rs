//! A clear virtual key is shown once, at creation: never again in any response, in the
//! database file, or in the logs. Alone in its binary because it installs the log capture.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use switchboard_tests::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn clear_keys_appear_only_in_the_creation_response() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt().with_env_filter("debug").with_writer(move || writer.clone()).with_ansi(false).init();

    let s = Stack::start().await;
    let team = s
        .post("/team/new", &json!({"team_alias": "t", "models": ["claude-haiku"]}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let team_id = team["team_id"].as_str().unwrap();
    let created =
        s.post("/key/generate", &json!({"team_id": team_id, "key_alias": "secret-test", "user_id": "u1"})).await;
    let first = created.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_string();
    let rotated = s.post("/key/regenerate", &json!({"key": first})).await.json::<Value>().await.unwrap();
    let key = rotated["key"].as_str().unwrap().to_string();

    let mut seen = Vec::new();
    for stream in [false, true] {
        let r = s
            .http
            .post(s.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&json!({"model": "claude-haiku", "stream": stream, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        seen.push(format!("{:?}", r.headers()));
        seen.push(r.text().await.unwrap());
    }
    // A refused call, a wrong key, and every view of keys, teams, users and spend.
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    seen.push(r.text().await.unwrap());
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(&first)
        .json(&json!({"model": "claude-haiku", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    seen.push(r.text().await.unwrap());
    for path in [
        format!("/key/info?key={key}"),
        "/key/list?return_full_object=true".to_string(),
        format!("/team/info?team_id={team_id}"),
        "/team/list".to_string(),
        "/user/info?user_id=u1".to_string(),
        "/user/list".to_string(),
        "/spend/logs".to_string(),
        "/global/spend/keys".to_string(),
    ] {
        let r = s.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
        seen.push(r.text().await.unwrap());
    }
    let own = s.http.get(s.url("/key/info")).bearer_auth(&key).send().await.unwrap().text().await.unwrap();
    seen.push(own);

    let hash = switchboard::auth::hash_key(&key);
    let all = seen.join("\n");
    assert!(all.contains(&hash), "the views do show the key's hash, so the search below means something");
    for (i, text) in seen.iter().enumerate() {
        for clear in [&key, &first] {
            assert!(!text.contains(clear.as_str()), "a clear key leaked into response #{i}: {text}");
        }
    }

    let db = s.gateway.shutdown().await;
    if let Some(path) = db.sqlite_path() {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(&hash), "the database holds the hash");
        for clear in [&key, &first] {
            assert!(!text.contains(clear.as_str()), "a clear key is in the database file");
        }
    }

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(logs.contains("chat completion") && logs.contains("secret-test"), "the capture saw the request log lines");
    for clear in [&key, &first] {
        assert!(!logs.contains(clear.as_str()), "a clear key is in the logs");
    }
}
