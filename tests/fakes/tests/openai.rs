//! FakeOpenAi driven over HTTP with reqwest.

use std::time::Duration;

use futures::StreamExt as _;
use serde_json::{Value, json};
use switchboard_fakes::openai::FakeOpenAi;

const KEY: &str = "sk-upstream-test";

async fn post(fake: &FakeOpenAi, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The `data:` payloads of an SSE body, in order.
fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|frame| !frame.trim().is_empty())
        .map(|frame| {
            frame.strip_prefix("data: ").unwrap_or_else(|| panic!("not an SSE data frame: {frame:?}")).to_owned()
        })
        .collect()
}

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "get_weather",
        "description": "Get the weather",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}, "days": {"type": "integer"}, "metric": {"type": "boolean"}
        }, "required": ["city"]},
    }})
}

#[tokio::test]
async fn non_streaming_completion() {
    let fake = FakeOpenAi::start().await.unwrap();
    assert_eq!(fake.base_url(), format!("http://{}/v1", fake.addr()));
    let response = post(
        &fake,
        json!({"model": "gpt-4o-mini", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello there"}
        ]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["system_fingerprint"], "fp_fake");
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "Hello from fake-openai! You said: hello there");
    assert!(choice["message"].get("tool_calls").is_none());
    assert_eq!(body["usage"], json!({"prompt_tokens": 4, "completion_tokens": 7, "total_tokens": 11}));

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(requests[0].body["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn non_streaming_tool_call_image_and_length() {
    let fake = FakeOpenAi::start().await.unwrap();
    let body: Value = post(
        &fake,
        json!({"model": "gpt-4o-mini", "tools": [weather_tool()],
               "messages": [{"role": "user", "content": "weather?"}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    let id = call["id"].as_str().unwrap();
    assert!(id.starts_with("call_") && id.len() == 29, "{id}");
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"city": "Paris", "days": 1, "metric": true}));
    assert_eq!(body["usage"]["completion_tokens"], 5);

    let body: Value = post(
        &fake,
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,aGVsbG8="}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
        ]}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello from fake-openai! You said: look [image: png, 5 bytes] [image: url]"
    );

    let body: Value = post(
        &fake,
        json!({"model": "gpt-4o-mini", "max_tokens": 2,
               "messages": [{"role": "user", "content": "hello"}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from");
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert_eq!(body["usage"]["completion_tokens"], 2);
}

#[tokio::test]
async fn streaming_with_include_usage() {
    let fake = FakeOpenAi::start().await.unwrap();
    let response = post(
        &fake,
        json!({"model": "gpt-4o-mini", "stream": true, "stream_options": {"include_usage": true},
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let frames = sse_data(&response.text().await.unwrap());
    assert_eq!(frames.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = frames[..frames.len() - 1].iter().map(|f| serde_json::from_str(f).unwrap()).collect();
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "gpt-4o-mini");
        assert_eq!(chunk["id"], chunks[0]["id"]);
        assert!(chunk.as_object().unwrap().contains_key("usage"));
    }
    assert_eq!(chunks[0]["choices"][0]["delta"], json!({"role": "assistant", "content": ""}));
    let text: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, "Hello from fake-openai! You said: hi");
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"], json!({"prompt_tokens": 1, "completion_tokens": 6, "total_tokens": 7}));
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["delta"], json!({}));
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    assert_eq!(finish["usage"], Value::Null);
    assert_eq!(fake.active_streams(), 0);
}

#[tokio::test]
async fn streaming_without_usage() {
    let fake = FakeOpenAi::start().await.unwrap();
    let response = post(
        &fake,
        json!({"model": "gpt-4o-mini", "stream": true,
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    let frames = sse_data(&response.text().await.unwrap());
    assert_eq!(frames.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = frames[..frames.len() - 1].iter().map(|f| serde_json::from_str(f).unwrap()).collect();
    // role, six words, finish
    assert_eq!(chunks.len(), 8);
    for chunk in &chunks {
        assert!(chunk.get("usage").is_none(), "{chunk}");
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "Hello ");
    assert_eq!(chunks[7]["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn streaming_tool_call() {
    let fake = FakeOpenAi::start().await.unwrap();
    let response = post(
        &fake,
        json!({"model": "gpt-4o-mini", "stream": true, "tools": [weather_tool()],
               "tool_choice": "auto",
               "messages": [{"role": "user", "content": "weather in Paris?"}]}),
    )
    .await;
    let frames = sse_data(&response.text().await.unwrap());
    assert_eq!(frames.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = frames[..frames.len() - 1].iter().map(|f| serde_json::from_str(f).unwrap()).collect();
    assert_eq!(chunks.len(), 5); // role, tool start, 2 argument parts, finish
    let start = &chunks[1]["choices"][0]["delta"]["tool_calls"][0];
    assert_eq!(start["index"], 0);
    assert!(start["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(start["type"], "function");
    assert_eq!(start["function"], json!({"name": "get_weather", "arguments": ""}));
    let mut arguments = String::new();
    for chunk in &chunks[2..4] {
        let call = &chunk["choices"][0]["delta"]["tool_calls"][0];
        assert_eq!(call["index"], 0);
        assert!(call.get("id").is_none());
        arguments.push_str(call["function"]["arguments"].as_str().unwrap());
    }
    let arguments: Value = serde_json::from_str(&arguments).unwrap();
    assert_eq!(arguments, json!({"city": "Paris", "days": 1, "metric": true}));
    assert_eq!(chunks[4]["choices"][0]["finish_reason"], "tool_calls");

    // The tool round trip.
    let body: Value = post(
        &fake,
        json!({"model": "gpt-4o-mini", "tools": [weather_tool()], "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\":\"Lyon\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rainy"}]}
        ]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "The tool said: sunny | rainy");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn wrong_api_key_is_echoed_in_401() {
    let fake = FakeOpenAi::start().await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth("sk-client-secret-123")
        .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {
            "message": "Incorrect API key provided: sk-client-secret-123. You can find your API key at https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": null,
            "code": "invalid_api_key",
        }})
    );

    // Any key works once the expectation is removed; a new key can be required.
    fake.set_expected_api_key(None);
    let response = reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    fake.set_expected_api_key(Some("sk-other".into()));
    assert_eq!(post(&fake, json!({})).await.status(), 401);
}

#[tokio::test]
async fn invalid_requests_get_400() {
    let fake = FakeOpenAi::start().await.unwrap();
    let cases = [
        (
            json!({"model": "gpt-4o-mini", "messages": [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "call_missing", "content": "42"}]}),
            "messages.[1].role",
        ),
        (
            json!({"model": "gpt-4o-mini", "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_2", "content": "42"}]}),
            "messages.[2].tool_call_id",
        ),
        (
            json!({"model": "gpt-4o-mini", "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "f", "arguments": {}}}]}]}),
            "messages[1].tool_calls[0].function.arguments",
        ),
        (json!({"messages": [{"role": "user", "content": "hi"}]}), "model"),
        (json!({"model": "gpt-4o-mini", "messages": []}), "messages"),
        (json!({"model": "gpt-4o-mini", "messages": [{"role": "robot", "content": "hi"}]}), "messages[0].role"),
        (json!({"model": "gpt-4o-mini", "messages": [{"role": "user"}]}), "messages[0].content"),
        (
            json!({"model": "gpt-4o-mini", "stream_options": {"include_usage": true},
                   "messages": [{"role": "user", "content": "hi"}]}),
            "stream_options",
        ),
        (
            json!({"model": "gpt-4o-mini", "tools": [{"type": "function", "name": "f"}],
                   "messages": [{"role": "user", "content": "hi"}]}),
            "tools[0].function",
        ),
    ];
    for (body, param) in cases {
        let response = post(&fake, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(error["error"]["param"], param, "{body}: {error}");
        assert!(error["error"]["message"].as_str().unwrap().len() > 10);
    }
    let dangling: Value = post(
        &fake,
        json!({"model": "gpt-4o-mini", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_2", "content": "42"}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        dangling["error"]["message"],
        "Invalid parameter: 'tool_call_id' of 'call_2' not found in 'tool_calls' of previous message."
    );

    let response = reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth(KEY)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn rate_limit_and_server_error() {
    let fake = FakeOpenAi::start().await.unwrap();
    let response = post(&fake, json!({"model": "fake-429", "messages": [{"role": "user", "content": "hi"}]})).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "Rate limit reached for requests", "type": "requests",
                         "param": null, "code": "rate_limit_exceeded"}})
    );

    let response = post(&fake, json!({"model": "fake-500", "messages": [{"role": "user", "content": "hi"}]})).await;
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "server_error");
}

#[tokio::test]
async fn midstream_error_aborts_the_body() {
    let fake = FakeOpenAi::start().await.unwrap();
    let response = post(
        &fake,
        json!({"model": "fake-midstream-error", "stream": true,
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut received = Vec::new();
    let error = loop {
        match stream.next().await {
            Some(Ok(bytes)) => received.extend_from_slice(&bytes),
            Some(Err(err)) => break err,
            None => panic!("the body ended cleanly"),
        }
    };
    let _ = error;
    let text = String::from_utf8(received).unwrap();
    let frames = sse_data(&text);
    assert_eq!(frames.len(), 3, "{text}"); // role + two content chunks
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn hung_stream_is_released_when_the_client_goes_away() {
    let fake = FakeOpenAi::start().await.unwrap();
    let response = post(
        &fake,
        json!({"model": "fake-hang-stream", "stream": true,
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: "));
    assert_eq!(fake.active_streams(), 1);
    let admin: Value =
        reqwest::get(format!("http://{}/_fake/active_streams", fake.addr())).await.unwrap().json().await.unwrap();
    assert_eq!(admin, json!({"active_streams": 1}));
    drop(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while fake.active_streams() != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the stream was not released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn admin_routes_and_models() {
    let fake = FakeOpenAi::start().await.unwrap();
    let models: Value = reqwest::Client::new()
        .get(format!("{}/models", fake.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "gpt-4o-mini");

    let base = format!("http://{}", fake.addr());
    let recorded: Value = reqwest::get(format!("{base}/_fake/requests")).await.unwrap().json().await.unwrap();
    assert_eq!(recorded.as_array().unwrap().len(), 1);
    assert_eq!(recorded[0]["method"], "GET");
    assert_eq!(recorded[0]["path"], "/v1/models");
    assert_eq!(recorded[0]["body"], Value::Null);
    let status = reqwest::Client::new().delete(format!("{base}/_fake/requests")).send().await.unwrap().status();
    assert!(status.is_success());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn dropping_the_fake_closes_its_connections() {
    let fake = FakeOpenAi::start().await.unwrap();
    let url = fake.base_url();
    let response = post(
        &fake,
        json!({"model": "fake-hang-stream", "stream": true,
               "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    let mut stream = response.bytes_stream();
    stream.next().await.unwrap().unwrap();
    drop(fake);
    let ended =
        tokio::time::timeout(Duration::from_secs(5), async { while let Some(Ok(_)) = stream.next().await {} }).await;
    assert!(ended.is_ok(), "the hung body outlived the fake");
    assert!(reqwest::get(format!("{url}/models")).await.is_err());
}
