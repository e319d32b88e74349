//! AWS credentials, clear keys and a harness's secret settings (environment values, MCP headers)
//! never leave through the AgentCore work: not in responses, the
//! panel's log view, the log output (even at trace level, where the AWS SDK traces every
//! request), or the database file. Alone in its binary because it installs the log capture.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use switchboard_tests::agentcore::*;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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
async fn clear_keys_and_aws_secrets_stay_out_of_responses_logs_and_the_database() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_filter(tracing_subscriber::EnvFilter::new("trace")),
        )
        .with(switchboard::logs::RingLayer.with_filter(tracing_subscriber::EnvFilter::new("debug")))
        .init();

    let a = AgentCoreStack::start().await;
    let (team_id, key) = a.team_and_key("secret-team", "secret-key", &[]).await;
    let mut seen: Vec<String> = Vec::new();
    let mut keep = |(status, v): (u16, Value)| {
        seen.push(v.to_string());
        (status, v)
    };

    keep(a.post("/agentcore/providers", json!({"name": "litellm-proxy", "key": key})).await);
    let generated_first = a.fake.provider_api_key("litellm-proxy").unwrap();
    keep(a.post("/agentcore/providers/litellm-proxy/rotate", json!({"generate": {"team_id": team_id}})).await);
    let generated = a.fake.provider_api_key("litellm-proxy").unwrap();
    // Conflicts and refusals echo nothing either.
    keep(a.post("/agentcore/providers", json!({"name": "litellm-proxy", "key": key})).await);
    keep(a.post("/agentcore/providers", json!({"name": "bad name", "key": key})).await);
    let (_, wired) = keep(
        a.post(
            "/agentcore/wire",
            json!({"harness_name": "secret_harness", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await,
    );
    assert_eq!(wired["ok"], true, "{wired}");
    let wired_key = a.fake.provider_api_key("litellm-proxy").unwrap();
    let id = wired["harness"]["harness_id"].as_str().unwrap().to_string();
    // Secret values of the harness's settings: an environment variable and an MCP header.
    let (env_secret, mcp_secret) = ("env-secret-value-0123456789", "mcp-secret-0123456789");
    let settings = json!({
        "environment_variables": {"API_TOKEN": env_secret},
        "tools": [{"type": "remote_mcp", "name": "docs", "config": {"remote_mcp": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": format!("Bearer {mcp_secret}")}}}}],
        "force": true,
    });
    let (status, edited) = keep(a.patch(&format!("/agentcore/harnesses/{id}"), settings).await);
    assert_eq!(status, 200, "{edited}");
    assert_eq!(a.fake.harness(&id).unwrap()["environmentVariables"]["API_TOKEN"], env_secret);
    let (_, events) = a.sse(&format!("/agentcore/harnesses/{id}/invoke"), json!({"message": "Hello"})).await;
    seen.push(serde_json::to_string(&events).unwrap());
    for path in [
        "/agentcore/providers",
        "/agentcore/harnesses",
        &format!("/agentcore/harnesses/{id}"),
        &format!("/agentcore/harnesses/{id}/versions/diff?from=1&to=2"),
        "/audit?table_name=Switchboard_AgentCoreHarness&page_size=100",
        "/agentcore/settings",
        "/spend/logs",
        "/key/list?return_full_object=true",
    ] {
        let (status, v) = a.get(path).await;
        assert_eq!(status, 200, "{path}: {v}");
        seen.push(v.to_string());
    }
    let (_, report) = a.post("/agentcore/doctor", json!({"harness_id": id})).await;
    seen.push(report.to_string());
    a.fake.fail("CreateHarness", 1, 403, "AccessDeniedException", "denied");
    let (_, failed) = a
        .post(
            "/agentcore/harnesses",
            json!({"harness_name": "h2", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await;
    seen.push(failed.to_string());
    let (_, ring) = a.get("/switchboard/logs?limit=1000").await;
    let ring = ring.to_string();

    let secrets = [
        key.as_str(),
        generated_first.as_str(),
        generated.as_str(),
        wired_key.as_str(),
        AWS_SECRET,
        env_secret,
        mcp_secret,
    ];
    for (i, text) in seen.iter().enumerate() {
        for secret in secrets {
            assert!(!text.contains(secret), "a secret leaked into response #{i}: {text}");
        }
    }
    for secret in secrets {
        assert!(!ring.contains(secret), "a secret is in the panel's log view");
    }
    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    // Trace level: the SDK's own request traces are in (it redacts the signature and does not
    // print bodies), and so are the gateway's AgentCore lines.
    assert!(logs.contains("created credential provider"), "the capture saw the AgentCore lines");
    assert!(logs.contains("transmitting request"), "the capture saw the SDK's request traces");
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret is in the logs");
    }
    // What AgentCore received is the key, and the AWS signature (never the secret).
    let create =
        a.fake.control_requests().into_iter().find(|r| r.path == "/identities/CreateApiKeyCredentialProvider").unwrap();
    assert_eq!(create.body["apiKey"], key.as_str());
    assert!(create.headers["authorization"].contains(&format!("Credential={AWS_ACCESS_KEY}/")));
    assert!(!format!("{:?}", a.fake.requests()).contains(AWS_SECRET));

    let db = a.s.gateway.shutdown().await;
    if let Some(path) = db.sqlite_path() {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains(&switchboard::auth::hash_key(&wired_key)),
            "the database holds which key is in the provider"
        );
        for secret in secrets {
            assert!(!text.contains(secret), "a secret is in the database file");
        }
    }
}
