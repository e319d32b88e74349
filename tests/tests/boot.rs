//! Start-up: configuration problems stop the start with messages that name the entry; the
//! standard AWS environment (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, credentials) is honoured.

use serde_json::{Value, json};
use switchboard::config::Config;
use switchboard::gateway::Gateway;
use switchboard::server::{StartError, bind, start};
use switchboard_tests::*;

#[tokio::test]
async fn unknown_provider_stops_the_start_naming_the_entry() {
    let config = Config::from_yaml(
        "model_list:\n  - model_name: ok\n    litellm_params: {model: openai/x, api_base: 'http://127.0.0.1:9/v1'}\n  - model_name: weird\n    litellm_params: {model: foo/bar}\n  - model_name: vllm\n    litellm_params: {model: hosted_vllm/llama}\n",
    )
    .unwrap();
    let err = Gateway::build(&config, Default::default(), None, Vec::new()).await.err().unwrap().to_string();
    assert!(err.contains("model_list[1] (weird).litellm_params.model: unknown or unsupported provider 'foo'"), "{err}");
    assert!(err.contains("model_list[2] (vllm).litellm_params.api_base: required for hosted_vllm/"), "{err}");
    assert!(!err.contains("model_list[0]"), "{err}");
}

#[tokio::test]
async fn the_server_never_runs_without_a_master_key() {
    for addr in ["127.0.0.1:0", "0.0.0.0:0"] {
        let listener = bind(addr.parse().unwrap()).await.unwrap();
        let err = start(Config::default(), listener).await.err().unwrap();
        assert!(matches!(err, StartError::NoMasterKey), "{addr}: {err}");
        assert!(err.to_string().contains("master_key"), "{err}");
    }
}

#[tokio::test]
async fn a_config_without_a_master_key_still_needs_one() {
    // Before: a loopback gateway without a master key let every request in, so any web page
    // could drive it. Now the gateway has its own key (`switchboard serve` makes it).
    let openai = FakeOpenAi::start().await.unwrap();
    let gw = start_gateway(&format!(
        "model_list:\n  - model_name: m\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{}', api_key: {UPSTREAM_KEY}}}\n",
        openai.base_url()
    ))
    .await;
    let chat = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
    let r = client().post(format!("{}/chat/completions", gw.base_url())).json(&chat).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client().post(format!("{}/key/generate", gw.base_url())).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .bearer_auth(MASTER_KEY)
        .json(&chat)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(openai.requests().len() == 1, "only the call with the key reached the upstream");
}

#[tokio::test]
async fn port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = bind(taken.local_addr().unwrap()).await.err().unwrap().to_string();
    assert!(err.contains("the port is taken"), "{err}");
}

#[tokio::test]
async fn model_group_alias_and_several_deployments_per_group() {
    let a = FakeOpenAi::start().await.unwrap();
    let b = FakeOpenAi::start().await.unwrap();
    let gw = start_gateway(&format!(
        "model_list:\n  - model_name: pool\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{}', api_key: {UPSTREAM_KEY}}}\n  - model_name: pool\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{}', api_key: {UPSTREAM_KEY}}}\nrouter_settings:\n  model_group_alias: {{fast: pool}}\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n",
        a.base_url(),
        b.base_url()
    ))
    .await;
    let http = client();
    for _ in 0..40 {
        let r = http
            .post(format!("{}/chat/completions", gw.base_url()))
            .bearer_auth(MASTER_KEY)
            .json(&json!({"model": "fast", "messages": [{"role": "user", "content": "x"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["model"], "fast");
    }
    assert!(
        !a.requests().is_empty() && !b.requests().is_empty(),
        "both deployments served: {} / {}",
        a.requests().len(),
        b.requests().len()
    );
    let listed = |path: &'static str, field: &'static str| {
        let request = http.get(format!("{}{path}", gw.base_url())).bearer_auth(MASTER_KEY).send();
        async move {
            let body: Value = request.await.unwrap().json().await.unwrap();
            let names: Vec<String> =
                body["data"].as_array().unwrap().iter().filter_map(|m| m[field].as_str().map(String::from)).collect();
            names
        }
    };
    assert_eq!(listed("/v1/models", "id").await, ["fast", "pool"]);
    // /model_group/info names an alias's entry by the alias, as LiteLLM's user-facing name.
    assert_eq!(listed("/model_group/info", "model_group").await, ["fast", "pool"]);
}
