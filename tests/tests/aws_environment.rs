//! The standard AWS configuration reaches the Bedrock provider: the default credential chain
//! (here from the environment) and `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. Alone in its test binary
//! because it sets process environment variables.

use serde_json::{Value, json};
use switchboard_tests::*;

#[test]
fn default_credential_chain_and_endpoint_url_from_the_environment() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let bedrock = runtime.block_on(FakeBedrock::start()).unwrap();
    // SAFETY: this binary holds a single test, and no other thread reads the environment yet.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "env-secret");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bedrock.endpoint_url());
    }
    runtime.block_on(async {
        // The seed's config, as written: region only.
        let gw = start_gateway(&format!(
            "model_list:\n  - model_name: claude-haiku\n    litellm_params:\n      model: bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0\n      aws_region_name: us-east-1\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n"
        ))
        .await;
        let r = client()
            .post(format!("{}/v1/chat/completions", gw.base_url()))
            .bearer_auth(MASTER_KEY)
            .json(&json!({"model": "claude-haiku", "messages": [{"role": "user", "content": "from env"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake-bedrock! You said: from env");
        let sent = &bedrock.requests()[0];
        assert!(sent.headers["authorization"].contains("Credential=AKIDFROMENVIRONMENT/"), "{:?}", sent.headers);
        assert!(sent.headers["authorization"].contains("/us-east-1/bedrock/aws4_request"));
    });
}
