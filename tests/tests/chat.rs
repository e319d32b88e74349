//! Chat completions through the gateway, against the wire-protocol fakes.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_tests::*;

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    }}])
}

#[tokio::test]
async fn openai_upstream_non_streaming() {
    let s = Stack::start().await;
    let r = s
        .post(
            "/chat/completions",
            &json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi there"}]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let model_id = r.headers()["x-litellm-model-id"].to_str().unwrap().to_string();
    assert!(r.headers().contains_key("x-litellm-call-id"));
    assert_eq!(r.headers()["x-litellm-model-group"], "gpt-4o-mini");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake-openai! You said: hi there");
    assert_eq!(body["usage"]["prompt_tokens"], 2);
    assert_eq!(model_id.len(), 64);

    let sent = &s.openai.requests()[0];
    assert_eq!(sent.body["model"], "gpt-4o-mini");
    assert_eq!(sent.headers["authorization"], format!("Bearer {UPSTREAM_KEY}"));
}

#[tokio::test]
async fn bedrock_non_streaming_with_system_prompt_and_parameters() {
    let s = Stack::start().await;
    let (status, body) = s
        .chat(json!({
            "model": "claude-haiku",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "hello bedrock"}]}],
            "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stop": ["END"]
        }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "claude-haiku");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake-bedrock! You said: hello bedrock");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let sent = &s.bedrock.requests()[0];
    assert_eq!(sent.path, "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/converse");
    assert!(sent.headers["authorization"].starts_with("AWS4-HMAC-SHA256 Credential=AKIDTESTGATEWAY/"));
    assert_eq!(sent.body["system"], json!([{"text": "Be brief."}]));
    assert_eq!(sent.body["inferenceConfig"]["maxTokens"], 50);
    assert_eq!(sent.body["inferenceConfig"]["stopSequences"], json!(["END"]));
    let t = sent.body["inferenceConfig"]["temperature"].as_f64().unwrap();
    assert!((t - 0.2).abs() < 1e-6);
}

#[tokio::test]
async fn bedrock_tool_round_trip_is_valid_converse() {
    let s = Stack::start().await;
    let (status, first) = s
        .chat(json!({"model": "claude-haiku", "messages": [{"role": "user", "content": "weather in Paris?"}], "tools": weather_tool(), "tool_choice": "auto"}))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["choices"][0]["finish_reason"], "tool_calls");
    let call = &first["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"city": "Paris"}));

    // The assistant turn goes back without `content`, as Strands and the litellm SDK send it.
    let (status, second) = s
        .chat(json!({"model": "claude-haiku", "tools": weather_tool(), "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny, 21 C"}
        ]}))
        .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["choices"][0]["message"]["content"], "The tool said: sunny, 21 C");

    let sent = &s.bedrock.requests()[1].body;
    assert_eq!(sent["toolConfig"]["tools"][0]["toolSpec"]["name"], "get_weather");
    assert_eq!(sent["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["required"], json!(["city"]));
    assert_eq!(sent["messages"][1]["content"][0]["toolUse"]["input"], json!({"city": "Paris"}));
    assert_eq!(sent["messages"][2]["content"][0]["toolResult"]["toolUseId"], call["id"]);
    assert_eq!(sent["messages"][2]["content"][0]["toolResult"]["content"], json!([{"text": "sunny, 21 C"}]));
}

#[tokio::test]
async fn bedrock_image_data_url() {
    let s = Stack::start().await;
    // A 1x1 PNG.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    let (status, body) = s
        .chat(json!({"model": "claude-sonnet", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png}")}}
        ]}]}))
        .await;
    assert_eq!(status, 200, "{body}");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.ends_with("[image: png, 70 bytes]"), "{text}");
}

#[tokio::test]
async fn streaming_usage_chunk_only_when_asked() {
    let s = Stack::start().await;
    for model in ["gpt-4o-mini", "claude-haiku"] {
        let (status, events) = s
            .chat_stream(
                json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "count words"}]}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{model}");
        assert!(stream_text(&events).ends_with("You said: count words"), "{model}: {events:?}");
        let chunks: Vec<Value> = events.iter().filter_map(|e| serde_json::from_str(e).ok()).collect();
        assert!(chunks.iter().all(|c| c["model"] == model), "{model}: {chunks:?}");
        assert!(
            chunks.iter().all(|c| c.get("usage").is_none_or(Value::is_null)),
            "{model}: no usage unless asked: {chunks:?}"
        );
        assert!(chunks.iter().any(|c| c["choices"][0]["finish_reason"] == "stop"));

        let (_, events) = s
            .chat_stream(json!({"model": model, "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "count words"}]}))
            .await;
        let usage_chunk: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
        assert_eq!(usage_chunk["choices"], json!([]), "{model}");
        assert_eq!(usage_chunk["usage"]["prompt_tokens"], 2, "{model}");
        assert!(usage_chunk["usage"]["cost"].as_f64().unwrap() > 0.0, "{model}: LiteLLM's usage.cost");
        assert_eq!(usage_chunk["model"], model);
    }
    // The OpenAI upstream is always asked for usage (spend is computed from it).
    for r in s.openai.requests() {
        assert_eq!(r.body["stream_options"]["include_usage"], true);
    }
}

#[tokio::test]
async fn streamed_tool_calls_reassemble() {
    let s = Stack::start().await;
    for model in ["gpt-4o-mini", "claude-haiku"] {
        let (status, events) = s
            .chat_stream(json!({"model": model, "stream": true, "tools": weather_tool(), "messages": [{"role": "user", "content": "weather?"}]}))
            .await;
        assert_eq!(status, 200);
        let mut name = String::new();
        let mut args = String::new();
        let mut finish = Value::Null;
        for chunk in events.iter().filter_map(|e| serde_json::from_str::<Value>(e).ok()) {
            if let Some(calls) = chunk["choices"][0]["delta"]["tool_calls"].as_array() {
                assert_eq!(calls[0]["index"], 0);
                name.push_str(calls[0]["function"]["name"].as_str().unwrap_or(""));
                args.push_str(calls[0]["function"]["arguments"].as_str().unwrap_or(""));
            }
            if !chunk["choices"][0]["finish_reason"].is_null() {
                finish = chunk["choices"][0]["finish_reason"].clone();
            }
        }
        assert_eq!(name, "get_weather", "{model}");
        assert_eq!(serde_json::from_str::<Value>(&args).unwrap(), json!({"city": "Paris"}), "{model}");
        assert_eq!(finish, "tool_calls", "{model}");
    }
}

#[tokio::test]
async fn upstream_errors_keep_their_meaning() {
    let s = Stack::start().await;
    let msg = |m: &str| json!({"model": m, "messages": [{"role": "user", "content": "x"}]});

    let r = s.post("/v1/chat/completions", &msg("openai-throttled")).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "throttling_error");
    assert_eq!(body["error"]["code"], "429");
    assert!(body["error"]["message"].as_str().unwrap().contains("Rate limit reached"), "{body}");

    let r = s.post("/v1/chat/completions", &msg("bedrock-throttled")).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("ThrottlingException"), "{body}");

    let (status, body) = s.chat(msg("bedrock-denied")).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("You don't have access"), "{body}");

    let (status, body) = s.chat(msg("bedrock-invalid")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("The provided model identifier is invalid"), "{body}");

    let (status, body) = s.chat(msg("openai-broken")).await;
    assert_eq!(status, 502, "{body}");

    let (status, body) = s.chat(msg("openai-slow")).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["type"], "timeout");

    // Streams fail before the first byte as plain HTTP errors too.
    let r = s
        .post(
            "/v1/chat/completions",
            &json!({"model": "openai-throttled", "stream": true, "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn upstream_secrets_are_stripped_from_errors() {
    let s = Stack::start().await;
    let (status, body) =
        s.chat(json!({"model": "openai-wrong-key", "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(status, 401, "{body}");
    let text = body.to_string();
    assert!(text.contains("Incorrect API key provided"), "{text}");
    assert!(
        !text.contains("sk-wrong-upstream-key-987654321"),
        "the upstream echoed the key; it must not reach the client: {text}"
    );
    assert_ne!(body["error"]["type"], "auth_error", "the client's own key was fine");
}

#[tokio::test]
async fn unreachable_upstream_is_a_502() {
    let openai = FakeOpenAi::start().await.unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gw = start_gateway(&format!(
        "model_list:\n  - model_name: gone\n    litellm_params: {{model: openai/x, api_base: 'http://127.0.0.1:{port}/v1', api_key: k}}\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n"
    ))
    .await;
    drop(openai);
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"model": "gone", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_connection_error");
    assert!(!body.to_string().contains(&port.to_string()), "the upstream address stays private: {body}");
}

#[tokio::test]
async fn mid_stream_errors_become_a_final_error_event() {
    let s = Stack::start().await;
    for model in ["openai-midstream", "bedrock-midstream"] {
        let (status, events) = s.chat_stream(json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "one two three four"}]})).await;
        assert_eq!(status, 200, "{model}");
        let last: Value = serde_json::from_str(events.last().unwrap()).unwrap_or(Value::Null);
        assert!(last["error"]["message"].is_string(), "{model}: {events:?}");
        assert!(events.len() >= 2, "{model}: content came before the error: {events:?}");
        assert!(!events.iter().any(|e| e == "[DONE]"), "{model}");
    }
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_call() {
    let s = Stack::start().await;
    for (model, active) in [("openai-hang", 0usize), ("bedrock-hang", 1)] {
        let mut r = s
            .post(
                "/v1/chat/completions",
                &json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "x"}]}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let first = r.chunk().await.unwrap();
        assert!(first.is_some(), "{model}: first frame arrives");
        let counter = || {
            if active == 0 { s.openai.active_streams() } else { s.bedrock.active_streams() }
        };
        assert_eq!(counter(), 1, "{model}: the upstream stream is open while the client reads");
        drop(r);
        assert!(
            eventually(Duration::from_secs(5), || counter() == 0).await,
            "{model}: upstream stream still open after the client left"
        );
    }
}

#[tokio::test]
async fn model_switch_mid_conversation() {
    let s = Stack::start().await;
    let mut messages = vec![json!({"role": "user", "content": "first question"})];
    let (_, a) = s.chat(json!({"model": "claude-haiku", "messages": messages})).await;
    messages.push(a["choices"][0]["message"].clone());
    messages.push(json!({"role": "user", "content": "second question"}));
    let (status, b) = s.chat(json!({"model": "claude-sonnet", "messages": messages})).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["model"], "claude-sonnet");
    let paths: Vec<String> = s.bedrock.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths[1].contains("claude-sonnet-4-5"), "{paths:?}");
}

#[tokio::test]
async fn litellm_params_defaults_apply_when_the_client_omits_them() {
    let openai = FakeOpenAi::start().await.unwrap();
    let gw = start_gateway(&format!(
        "model_list:\n  - model_name: tuned\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{}', api_key: {UPSTREAM_KEY}, temperature: 0.1, max_tokens: 7}}\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n",
        openai.base_url()
    ))
    .await;
    let r = client()
        .post(format!("{}/chat/completions", gw.base_url()))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"model": "tuned", "temperature": 0.9, "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sent = &openai.requests()[0].body;
    assert_eq!(sent["temperature"], 0.9);
    assert_eq!(sent["max_tokens"], 7);
}
