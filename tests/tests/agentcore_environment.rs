//! The standard AWS configuration reaches the AgentCore clients: the default credential chain
//! (here the environment), `AWS_REGION`, and `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL` /
//! `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`. Alone in its test binary because it sets process
//! environment variables.

use serde_json::{Value, json};
use switchboard_tests::agentcore::{FakeAgentCore, ROLE};
use switchboard_tests::*;

#[test]
fn agentcore_clients_follow_the_standard_aws_configuration() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fake = runtime.block_on(FakeAgentCore::start()).unwrap();
    // SAFETY: this binary holds a single test, and nothing reads the environment concurrently yet.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "env-secret");
        std::env::set_var("AWS_REGION", "us-west-2");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", fake.control_endpoint_url());
        std::env::set_var("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", fake.runtime_endpoint_url());
    }
    runtime.block_on(async {
        // No agentcore settings at all: everything comes from the environment.
        let s = Stack::start().await;
        let post = |path: &str, body: Value| {
            let r = s.http.post(s.url(path)).bearer_auth(MASTER_KEY).json(&body).send();
            async move {
                let r = r.await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let (status, wired) = post(
            "/agentcore/wire",
            json!({"harness_name": "env_harness", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(wired["ok"], true, "{wired:#}");
        assert_eq!(wired["region"], "us-west-2");
        assert!(
            wired["provider"]["credential_provider_arn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:bedrock-agentcore:us-west-2:")
        );
        let id = wired["harness"]["harness_id"].as_str().unwrap();
        let r = s
            .http
            .post(s.url(&format!("/agentcore/harnesses/{id}/invoke")))
            .bearer_auth(MASTER_KEY)
            .json(&json!({"message": "from env"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let answer: String = sse_data(&text)
            .iter()
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter_map(|e| e["text"].as_str().map(str::to_string))
            .collect();
        assert_eq!(answer, "Hello from fake-bedrock! You said: from env", "{text}");

        let control = fake.control_requests();
        assert!(!control.is_empty());
        for r in control.iter().chain(fake.runtime_requests().iter()) {
            let auth = &r.headers["authorization"];
            assert!(auth.contains("Credential=AKIDFROMENVIRONMENT/"), "{auth}");
            assert!(auth.contains("/us-west-2/bedrock-agentcore/aws4_request"), "{auth}");
        }
        let settings: Value = s.get("/agentcore/settings").await.json().await.unwrap();
        assert_eq!(settings["region"], "us-west-2");
    });
}
