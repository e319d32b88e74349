//! `switchboard serve` without a configured master key makes one, keeps it where only the user
//! can read it, says where it is (never what it is), and requires it.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use switchboard_fakes::openai::FakeOpenAi;

#[tokio::test]
async fn serve_without_a_master_key_makes_one_and_requires_it() {
    let upstream = FakeOpenAi::start().await.unwrap();
    let dir = TempDir::new("serve-key");
    let data = dir.path().join("data");
    let config = config(dir.path(), &upstream.base_url(), "  proxy_batch_write_at: 1\n");
    let env = [("XDG_DATA_HOME", data.to_str().unwrap())];
    let gateway = Gateway::start(&config, &dir.path().join("first.log"), &env).await;

    let key_file = data.join("switchboard").join("master_key");
    let key = std::fs::read_to_string(&key_file).unwrap().trim().to_string();
    assert!(key.starts_with("sk-") && key.len() > 30, "{key}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let log = gateway.log_text();
    assert!(log.contains(key_file.to_str().unwrap()), "the log says where the key is: {log}");
    assert!(!log.contains(&key), "and never what it is");

    let http = reqwest::Client::new();
    let chat = serde_json::json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    let r = http.post(format!("{}/v1/chat/completions", gateway.url)).json(&chat).send().await.unwrap();
    assert_eq!(r.status(), 401, "no key, no answer");
    let r = http.post(format!("{}/key/generate", gateway.url)).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401, "no key, no admin");
    let r =
        http.post(format!("{}/v1/chat/completions", gateway.url)).bearer_auth(&key).json(&chat).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(gateway.stop().success());

    // The next start keeps the same key.
    let again = Gateway::start(&config, &dir.path().join("second.log"), &env).await;
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().trim(), key);
    let r = http.post(format!("{}/v1/chat/completions", again.url)).bearer_auth(&key).json(&chat).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(again.log_text().contains("using the one made earlier"));
}

#[tokio::test]
async fn serve_on_a_network_address_needs_a_key_chosen_by_the_operator() {
    let dir = TempDir::new("serve-network");
    let data = dir.path().join("data");
    let config = config(dir.path(), "http://127.0.0.1:9/v1", "  proxy_batch_write_at: 1\n");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--host", "0.0.0.0", "--port", &free_port().to_string(), "--config"])
        .arg(&config)
        .env_remove("LITELLM_MASTER_KEY")
        .env("XDG_DATA_HOME", &data)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no master key"), "{stderr}");
    assert!(!data.join("switchboard").join("master_key").exists(), "no key nobody could read");
}
