//! The standard AWS configuration reaches the Bedrock provider: the default credential chain
//! (here from the environment, with and without a session token), a Bedrock API key
//! (`AWS_BEARER_TOKEN_BEDROCK`) and `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. The fake checks each
//! SigV4 signature with the secret. Alone in its test binary because it sets process
//! environment variables.

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
    // The seed's config, as written: region only.
    let config = format!(
        "model_list:\n  - model_name: claude-haiku\n    litellm_params:\n      model: bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0\n      aws_region_name: us-east-1\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n"
    );
    let ask = |text: &'static str| {
        let config = config.clone();
        async move {
            let gw = start_gateway(&config).await;
            let r = client()
                .post(format!("{}/v1/chat/completions", gw.base_url()))
                .bearer_auth(MASTER_KEY)
                .json(&json!({"model": "claude-haiku", "messages": [{"role": "user", "content": text}]}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    runtime.block_on(async {
        let (status, body) = ask("from env").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake-bedrock! You said: from env");
        let sent = &bedrock.requests()[0];
        assert!(sent.headers["authorization"].contains("Credential=AKIDFROMENVIRONMENT/"), "{:?}", sent.headers);
        assert!(sent.headers["authorization"].contains("/us-east-1/bedrock/aws4_request"));
        assert!(!sent.headers.contains_key("x-amz-security-token"));
        assert_eq!(sent.path, "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/converse");
    });

    // Temporary credentials: the session token travels, and is signed.
    unsafe { std::env::set_var("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBYaDH+session/token=") };
    runtime.block_on(async {
        bedrock.clear();
        let (status, body) = ask("with a session").await;
        assert_eq!(status, 200, "{body}");
        let sent = &bedrock.requests()[0];
        assert_eq!(sent.headers["x-amz-security-token"], "FwoGZXIvYXdzEBYaDH+session/token=");
        assert!(
            sent.headers["authorization"].contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token")
        );
    });

    // A wrong secret is refused by the fake as by Bedrock, and the client is told why.
    unsafe {
        std::env::remove_var("AWS_SESSION_TOKEN");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    }
    runtime.block_on(async {
        let (status, body) = ask("wrong secret").await;
        assert_eq!(status, 403, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("InvalidSignatureException"), "{message}");
        assert!(!message.contains("not-the-secret"), "{message}");
    });

    // A Bedrock API key takes the place of SigV4, as in the SDK.
    unsafe { std::env::set_var("AWS_BEARER_TOKEN_BEDROCK", "ABSKQmVkcm9ja0FQSUtleS1example") };
    runtime.block_on(async {
        bedrock.clear();
        let (status, body) = ask("with an API key").await;
        assert_eq!(status, 200, "{body}");
        let sent = &bedrock.requests()[0];
        assert_eq!(sent.headers["authorization"], "Bearer ABSKQmVkcm9ja0FQSUtleS1example");
        assert!(!sent.headers.contains_key("x-amz-date"));
    });
}
