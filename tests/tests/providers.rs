//! The `azure/` and `gemini/` providers end to end, each against its wire-protocol fake: chat
//! (whole and streamed), a tool round trip the fake validates, usage and cost, upstream errors
//! mapped, and configuration errors at boot that name the field.

use serde_json::{Value, json};
use switchboard::config::Config;
use switchboard::gateway::Gateway;
use switchboard_fakes::azure::{self, FakeAzure};
use switchboard_tests::*;

/// POST with the master key: status, headers and body as JSON (Null if it is not JSON).
async fn post(gw: &TestGateway, path: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, String) {
    let r = client().post(format!("{}{path}", gw.base_url())).bearer_auth(MASTER_KEY).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

fn cost(headers: &reqwest::header::HeaderMap) -> f64 {
    headers["x-litellm-response-cost"].to_str().unwrap().parse().unwrap()
}

/// The tool call a chat answer or stream made, and its finish reason.
fn tool_call_of(text: &str, stream: bool) -> (Value, Value) {
    if !stream {
        let body: Value = serde_json::from_str(text).unwrap();
        return (body["choices"][0]["message"]["tool_calls"][0].clone(), body["choices"][0]["finish_reason"].clone());
    }
    let mut call = json!({"id": null, "type": "function", "function": {"name": null, "arguments": ""}});
    let mut finish = Value::Null;
    for c in sse_data(text).iter().filter_map(|d| serde_json::from_str::<Value>(d).ok()) {
        if let Some(d) = c["choices"][0]["delta"]["tool_calls"][0].as_object() {
            if d.get("id").is_some_and(|id| !id.is_null()) {
                call["id"] = d["id"].clone();
                call["function"]["name"] = d["function"]["name"].clone();
            }
            let args = call["function"]["arguments"].as_str().unwrap().to_string()
                + d["function"]["arguments"].as_str().unwrap_or_default();
            call["function"]["arguments"] = args.into();
        }
        if !c["choices"][0]["finish_reason"].is_null() {
            finish = c["choices"][0]["finish_reason"].clone();
        }
    }
    (call, finish)
}

fn weather_tools() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                       "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}}}])
}

/// The spend rows once there are `n`.
async fn spend_rows(gw: &TestGateway, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let r = client().get(format!("{}/spend/logs", gw.base_url())).bearer_auth(MASTER_KEY).send().await.unwrap();
        let rows: Value = r.json().await.unwrap();
        if let Some(rows) = rows.as_array().filter(|r| r.len() >= n) {
            return rows.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} spend rows");
}

/// A boot error of a config with `entry` as its only model.
async fn boot_error(entry: &str) -> String {
    let config = Config::from_yaml(&format!("model_list:\n  - model_name: m\n    litellm_params: {entry}\n")).unwrap();
    Gateway::build(&config, Default::default(), None, Vec::new())
        .await
        .err()
        .expect("the config is refused")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// azure/

async fn azure_gateway() -> (FakeAzure, TestGateway) {
    let fake = FakeAzure::start().await.unwrap();
    // A deployment named by its owner: priced through model_info.base_model, as in LiteLLM.
    fake.add_deployment("prod-chat");
    let base = fake.base_url();
    let key = azure::DEFAULT_API_KEY;
    let entry = |name: &str, model: &str, extra: &str| {
        format!(
            "  - model_name: {name}\n    litellm_params: {{model: azure/{model}, api_base: '{base}', api_version: '2024-10-21'{extra}}}\n"
        )
    };
    let mut yaml = String::from("model_list:\n");
    yaml += &entry("azure-mini", "gpt-4o-mini", &format!(", api_key: {key}"));
    yaml += &entry("azure-embed", "text-embedding-3-small", &format!(", api_key: {key}"));
    yaml += &entry("azure-instruct", "gpt-35-turbo-instruct", &format!(", api_key: {key}"));
    yaml += &entry("azure-entra", "gpt-4o-mini", &format!(", azure_ad_token: '{}'", azure::AD_TOKEN));
    yaml += &entry("azure-filtered", "fake-content-filter", &format!(", api_key: {key}, max_retries: 0"));
    yaml += &entry("azure-wrong-key", "gpt-4o-mini", ", api_key: not-the-key, max_retries: 0");
    yaml += &entry("azure-gone", "no-such-deployment", &format!(", api_key: {key}, max_retries: 0"));
    yaml += &entry("azure-prod", "prod-chat", &format!(", api_key: {key}"));
    yaml += "    model_info: {base_model: azure/gpt-4o-mini}\n";
    yaml += &format!("general_settings:\n  master_key: {MASTER_KEY}\n");
    (fake, start_gateway(&yaml).await)
}

#[tokio::test]
async fn azure_chat_whole_and_streamed_at_the_deployment_path() {
    let (fake, gw) = azure_gateway().await;
    let ask = json!({"model": "azure-mini", "messages": [{"role": "user", "content": "hello azure"}]});
    let (status, headers, text) = post(&gw, "/v1/chat/completions", &ask).await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["model"], "azure-mini");
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake-openai! You said: hello azure");
    let usage = &body["usage"];
    let (prompt, completion) = (usage["prompt_tokens"].as_f64().unwrap(), usage["completion_tokens"].as_f64().unwrap());
    // azure/gpt-4o-mini in LiteLLM's price map: 1.5e-7 in, 6e-7 out.
    let expected = prompt * 1.5e-7 + completion * 6e-7;
    assert!((cost(&headers) - expected).abs() < 1e-15, "{} vs {expected}", cost(&headers));

    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21");
    assert_eq!(sent.headers["api-key"], azure::DEFAULT_API_KEY);
    assert!(!sent.headers.contains_key("authorization"), "the key goes in api-key only");

    let mut streamed = ask.clone();
    streamed["stream"] = true.into();
    let (status, _, text) = post(&gw, "/v1/chat/completions", &streamed).await;
    assert_eq!(status, 200, "{text}");
    let events = sse_data(&text);
    assert_eq!(stream_text(&events), "Hello from fake-openai! You said: hello azure");
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert!(events.iter().all(|e| !e.contains("\"usage\":{")), "no usage chunk unless asked: {events:?}");
    let sent = fake.requests().last().unwrap().clone();
    assert_eq!(sent.body["stream_options"], json!({"include_usage": true}), "usage always asked upstream");

    // Spend rows for both calls, priced.
    let rows = spend_rows(&gw, 2).await;
    assert!(
        rows.iter().all(|r| r["spend"].as_f64().unwrap() > 0.0 && r["total_tokens"].as_u64().unwrap() > 0),
        "{rows:?}"
    );

    // An Entra ID token instead of a key.
    let mut entra = ask.clone();
    entra["model"] = "azure-entra".into();
    let (status, _, text) = post(&gw, "/v1/chat/completions", &entra).await;
    assert_eq!(status, 200, "{text}");
    let sent = fake.requests().last().unwrap().clone();
    assert_eq!(sent.headers["authorization"], format!("Bearer {}", azure::AD_TOKEN));
    assert!(!sent.headers.contains_key("api-key"));

    // A deployment its owner named: priced as its base model.
    let mut prod = ask;
    prod["model"] = "azure-prod".into();
    let (status, headers, text) = post(&gw, "/v1/chat/completions", &prod).await;
    assert_eq!(status, 200, "{text}");
    assert!((cost(&headers) - expected).abs() < 1e-15, "priced as azure/gpt-4o-mini: {}", cost(&headers));
    assert_eq!(
        fake.requests().last().unwrap().path,
        "/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21"
    );
}

#[tokio::test]
async fn azure_tool_round_trip() {
    let (fake, gw) = azure_gateway().await;
    for stream in [false, true] {
        let ask = json!({"model": "azure-mini", "stream": stream, "tools": weather_tools(),
            "messages": [{"role": "user", "content": "weather in Paris?"}]});
        let (status, _, text) = post(&gw, "/v1/chat/completions", &ask).await;
        assert_eq!(status, 200, "{text}");
        let (call, finish) = tool_call_of(&text, stream);
        assert_eq!(finish, "tool_calls");
        assert_eq!(call["function"]["name"], "get_weather");
        let answer = json!({"model": "azure-mini", "tools": weather_tools(), "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]});
        let (status, _, text) = post(&gw, "/v1/chat/completions", &answer).await;
        assert_eq!(status, 200, "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], "The tool said: sunny");
    }
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn azure_errors_are_mapped() {
    let (_fake, gw) = azure_gateway().await;
    let ask = |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, text) = post(&gw, "/v1/chat/completions", &ask("azure-wrong-key")).await;
    assert_eq!(status, 401, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("Access denied due to invalid subscription key"),
        "{body}"
    );
    assert!(!text.contains("not-the-key"), "the key never comes back");

    let (status, _, text) = post(&gw, "/v1/chat/completions", &ask("azure-gone")).await;
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("The API deployment for this resource does not exist"), "{text}");

    let (status, _, text) = post(&gw, "/v1/chat/completions", &ask("azure-filtered")).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("content management policy"), "{text}");
}

#[tokio::test]
async fn azure_embeddings_and_text_completions() {
    let (fake, gw) = azure_gateway().await;
    let (status, headers, text) =
        post(&gw, "/v1/embeddings", &json!({"model": "azure-embed", "input": ["one two", "three"]})).await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["model"], "azure-embed");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(cost(&headers) > 0.0, "azure/text-embedding-3-small is priced");
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21");

    let (status, _, text) =
        post(&gw, "/v1/completions", &json!({"model": "azure-instruct", "prompt": "say this"})).await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["object"], "text_completion", "{body}");
    assert_eq!(fake.requests()[1].path, "/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2024-10-21");
}

#[tokio::test]
async fn azure_config_errors_name_the_field() {
    // (The AZURE_* variables the provider falls back to are not set in tests.)
    let err = boot_error("{model: azure/gpt-4o-mini, api_base: 'https://r.openai.azure.com', api_key: k}").await;
    assert!(err.contains("model_list[0] (m).litellm_params.api_version: required for azure/ models"), "{err}");
    let err = boot_error("{model: azure/gpt-4o-mini, api_version: '2024-10-21', api_key: k}").await;
    assert!(err.contains("model_list[0] (m).litellm_params.api_base: required"), "{err}");
    let err =
        boot_error("{model: azure/gpt-4o-mini, api_base: 'https://r.openai.azure.com', api_version: '2024-10-21'}")
            .await;
    assert!(err.contains("model_list[0] (m).litellm_params.api_key: required"), "{err}");
}
