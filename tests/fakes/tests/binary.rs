//! The `fake-upstreams` binary: one JSON line on stdout, exits when stdin closes.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn prints_urls_and_exits_on_stdin_eof() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-upstreams"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let urls: serde_json::Value = serde_json::from_str(&line).unwrap();
    let openai = urls["openai"].as_str().unwrap();
    let bedrock = urls["bedrock"].as_str().unwrap();
    assert!(openai.starts_with("http://127.0.0.1:") && openai.ends_with("/v1"), "{line}");
    assert!(bedrock.starts_with("http://127.0.0.1:"), "{line}");
    assert!(line.starts_with("{\"openai\":"), "{line}");
    for k in ["agentcore_control", "agentcore_runtime"] {
        assert!(urls[k].as_str().unwrap().starts_with("http://127.0.0.1:"), "{line}");
    }

    let active: serde_json::Value =
        reqwest::get(format!("{bedrock}/_fake/active_streams")).await.unwrap().json().await.unwrap();
    assert_eq!(active, serde_json::json!({"active_streams": 0}));
    let recorded: serde_json::Value =
        reqwest::get(format!("{}/_fake/requests", openai.trim_end_matches("/v1"))).await.unwrap().json().await.unwrap();
    assert_eq!(recorded, serde_json::json!([]));

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("fake-upstreams did not exit after stdin closed");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
