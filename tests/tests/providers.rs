//! The `azure/` and `gemini/` providers end to end, each against its wire-protocol fake: chat
//! (whole and streamed), a tool round trip the fake validates, usage and cost, upstream errors
//! mapped, and configuration errors at boot that name the field.

use serde_json::{Value, json};
use switchboard::config::Config;
use switchboard::gateway::Gateway;
use switchboard_fakes::azure::{self, FakeAzure};
use switchboard_fakes::gemini::{self, FakeGemini};
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

// ---------------------------------------------------------------------------------------------
// gemini/

async fn gemini_gateway() -> (FakeGemini, TestGateway) {
    let fake = FakeGemini::start().await.unwrap();
    let base = fake.base_url();
    let key = gemini::DEFAULT_API_KEY;
    let entry = |name: &str, model: &str, extra: &str| {
        format!("  - model_name: {name}\n    litellm_params: {{model: gemini/{model}, api_base: '{base}'{extra}}}\n")
    };
    let mut yaml = String::from("model_list:\n");
    yaml += &entry("gemini-flash", "gemini-2.5-flash", &format!(", api_key: {key}"));
    yaml += &entry("gemini-throttled", "fake-429", &format!(", api_key: {key}, max_retries: 0"));
    yaml += &entry("gemini-blocked", "fake-blocked", &format!(", api_key: {key}"));
    yaml += &entry("gemini-wrong-key", "gemini-2.5-flash", ", api_key: AIza-not-the-key, max_retries: 0");
    yaml += &entry("gemini-embed", "gemini-embedding-001", &format!(", api_key: {key}"));
    yaml += &format!("general_settings:\n  master_key: {MASTER_KEY}\n");
    (fake, start_gateway(&yaml).await)
}

#[tokio::test]
async fn gemini_chat_whole_and_streamed() {
    let (fake, gw) = gemini_gateway().await;
    let ask = json!({"model": "gemini-flash", "temperature": 0.3, "max_tokens": 50,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello gemini"}]});
    let (status, headers, text) = post(&gw, "/v1/chat/completions", &ask).await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["model"], "gemini-flash");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake-gemini! You said: hello gemini");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let usage = &body["usage"];
    assert_eq!(usage["prompt_tokens"], 4, "system and user words");
    let completion = usage["completion_tokens"].as_f64().unwrap();
    // gemini/gemini-2.5-flash in LiteLLM's price map: 3e-7 in, 2.5e-6 out.
    let expected = 4.0 * 3e-7 + completion * 2.5e-6;
    assert!((cost(&headers) - expected).abs() < 1e-15, "{} vs {expected}", cost(&headers));

    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(sent.headers["x-goog-api-key"], gemini::DEFAULT_API_KEY);
    assert_eq!(sent.body["systemInstruction"], json!({"parts": [{"text": "Be brief."}]}));
    assert_eq!(sent.body["generationConfig"], json!({"temperature": 0.3, "maxOutputTokens": 50}));

    let mut streamed = ask.clone();
    streamed["stream"] = true.into();
    streamed["stream_options"] = json!({"include_usage": true});
    let (status, _, text) = post(&gw, "/v1/chat/completions", &streamed).await;
    assert_eq!(status, 200, "{text}");
    let events = sse_data(&text);
    assert_eq!(stream_text(&events), "Hello from fake-gemini! You said: hello gemini");
    assert_eq!(events.last().unwrap(), "[DONE]");
    let usage_chunk: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage_chunk["usage"]["prompt_tokens"], 4);
    assert_eq!(usage_chunk["usage"]["completion_tokens"], usage["completion_tokens"]);
    assert!((usage_chunk["usage"]["cost"].as_f64().unwrap() - expected).abs() < 1e-15);
    assert!(events.iter().any(|e| e.contains("\"finish_reason\":\"stop\"")), "{events:?}");
    assert_eq!(fake.requests()[1].path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");

    let rows = spend_rows(&gw, 2).await;
    assert!(rows.iter().all(|r| (r["spend"].as_f64().unwrap() - expected).abs() < 1e-15), "{rows:?}");

    // A prompt Gemini blocks: an empty answer, filtered.
    let (status, _, text) = post(
        &gw,
        "/v1/chat/completions",
        &json!({"model": "gemini-blocked", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["choices"][0]["finish_reason"], "content_filter");
}

#[tokio::test]
async fn gemini_tool_round_trip() {
    let (fake, gw) = gemini_gateway().await;
    for stream in [false, true] {
        fake.clear();
        let ask = json!({"model": "gemini-flash", "stream": stream, "tools": weather_tools(),
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "messages": [{"role": "user", "content": "weather in Paris?"}]});
        let (status, _, text) = post(&gw, "/v1/chat/completions", &ask).await;
        assert_eq!(status, 200, "{text}");
        let (call, finish) = tool_call_of(&text, stream);
        assert_eq!(finish, "tool_calls", "{text}");
        assert_eq!(call["function"]["name"], "get_weather");
        assert_eq!(
            serde_json::from_str::<Value>(call["function"]["arguments"].as_str().unwrap()).unwrap(),
            json!({"city": "Paris"})
        );
        assert!(call["id"].as_str().unwrap().starts_with("call_"), "{call}");
        let sent = fake.requests()[0].body.clone();
        let parameters = &sent["tools"][0]["functionDeclarations"][0]["parameters"];
        assert!(
            parameters.get("additionalProperties").is_none() && parameters.get("$schema").is_none(),
            "{parameters}"
        );
        assert_eq!(
            sent["toolConfig"],
            json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
        );

        // The result goes back by the id the gateway made; Gemini gets it by name.
        let answer = json!({"model": "gemini-flash", "stream": stream, "tools": weather_tools(), "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]});
        let (status, _, text) = post(&gw, "/v1/chat/completions", &answer).await;
        assert_eq!(status, 200, "{text}");
        let content = if stream {
            stream_text(&sse_data(&text))
        } else {
            serde_json::from_str::<Value>(&text).unwrap()["choices"][0]["message"]["content"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(content, "The tool said: sunny");
        let sent = fake.requests()[1].body.clone();
        assert_eq!(sent["contents"][1]["parts"][0]["functionCall"]["name"], "get_weather");
        assert_eq!(
            sent["contents"][2]["parts"][0],
            json!({"functionResponse": {"name": "get_weather", "response": {"content": "sunny"}}})
        );
    }
}

#[tokio::test]
async fn gemini_errors_and_config() {
    let (_fake, gw) = gemini_gateway().await;
    let ask = |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, text) = post(&gw, "/v1/chat/completions", &ask("gemini-throttled")).await;
    assert_eq!(status, 429, "{text}");
    assert!(text.contains("You exceeded your current quota"), "{text}");
    let (status, _, text) = post(&gw, "/v1/chat/completions", &ask("gemini-wrong-key")).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("API key not valid"), "{text}");
    assert!(!text.contains("AIza-not-the-key"), "the key never comes back");
    // A request Gemini cannot express is refused before any call, naming the field.
    let web_image = json!({"model": "gemini-flash", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]});
    let (status, _, text) = post(&gw, "/v1/chat/completions", &web_image).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("messages[0].content[0].image_url"), "{text}");

    let err = boot_error("{model: gemini/gemini-2.5-flash}").await;
    assert!(err.contains("model_list[0] (m).litellm_params.api_key: required for gemini/ models"), "{err}");
}

#[tokio::test]
async fn gemini_embeddings() {
    let (fake, gw) = gemini_gateway().await;
    let (status, _, text) =
        post(&gw, "/v1/embeddings", &json!({"model": "gemini-embed", "input": ["one two", "three"]})).await;
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["model"], "gemini-embed");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][1]["index"], 1);
    assert_eq!(fake.requests()[0].path, "/v1beta/models/gemini-embedding-001:batchEmbedContents");
}

/// Claude Code's API over a Gemini model: Messages in, translated through chat to Gemini.
#[tokio::test]
async fn anthropic_messages_over_gemini_with_a_tool_round_trip() {
    let (fake, gw) = gemini_gateway().await;
    let bash = json!({"name": "Bash", "description": "Runs a shell command",
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"],
                         "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}});
    let question = json!({"role": "user", "content": "use the Bash tool to run `ls`"});
    let messages = |body: Value| {
        let gw = &gw;
        async move {
            let r = client()
                .post(format!("{}/v1/messages", gw.base_url()))
                .header("x-api-key", MASTER_KEY)
                .header("anthropic-version", "2023-06-01")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    let (status, text) = messages(json!({"model": "gemini-flash", "max_tokens": 200, "tools": [bash],
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "messages": [question]}))
    .await;
    assert_eq!(status, 200, "{text}");
    let message: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(message["type"], "message");
    assert_eq!(message["stop_reason"], "tool_use", "{message}");
    let tool_use = message["content"].as_array().unwrap().iter().find(|b| b["type"] == "tool_use").unwrap().clone();
    assert_eq!(tool_use["name"], "Bash");
    assert_eq!(tool_use["input"], json!({"command": "ls"}));

    let (status, text) = messages(json!({"model": "gemini-flash", "max_tokens": 200, "stream": true, "tools": [bash],
        "messages": [question, {"role": "assistant", "content": message["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": "a.txt b.txt"}]}]}))
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("event: message_start") && text.contains("event: message_stop"), "{text}");
    let said: String = text
        .split("\n\n")
        .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|d| d["delta"]["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(said, "The tool said: a.txt b.txt");
    let sent = fake.requests()[1].body.clone();
    assert_eq!(sent["contents"][2]["parts"][0]["functionResponse"]["name"], "Bash");

    // count_tokens is Gemini's own count.
    let r = client()
        .post(format!("{}/v1/messages/count_tokens", gw.base_url()))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "gemini-flash", "messages": [{"role": "user", "content": "three four five"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["input_tokens"], 3);
    assert!(fake.requests().last().unwrap().path.ends_with(":countTokens"));
}
