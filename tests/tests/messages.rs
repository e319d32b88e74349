//! Anthropic's Messages API (`/v1/messages`, `/v1/messages/count_tokens`) through the gateway:
//! over Bedrock (Claude, as the seed runs it) and over an OpenAI-compatible upstream, with what
//! Claude Code sends (system blocks with cache_control, tools, tool results, thinking).

use serde_json::{Value, json};
use switchboard_tests::*;

/// The events of an Anthropic stream, as (event name, data).
fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|frame| !frame.trim().is_empty())
        .map(|frame| {
            let name = frame.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default().to_string();
            let data = frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
            (name, serde_json::from_str(data).unwrap_or(Value::Null))
        })
        .collect()
}

/// The message a stream tells, assembled as the Anthropic SDK does.
fn assemble(events: &[(String, Value)]) -> Value {
    let mut message = Value::Null;
    let mut partial_json: Vec<String> = Vec::new();
    for (name, data) in events {
        match name.as_str() {
            "message_start" => message = data["message"].clone(),
            "content_block_start" => {
                message["content"].as_array_mut().unwrap().push(data["content_block"].clone());
                partial_json.push(String::new());
            }
            "content_block_delta" => {
                let i = data["index"].as_u64().unwrap() as usize;
                let block = &mut message["content"][i];
                let delta = &data["delta"];
                match delta["type"].as_str().unwrap() {
                    "text_delta" => {
                        let text = block["text"].as_str().unwrap().to_string() + delta["text"].as_str().unwrap();
                        block["text"] = text.into();
                    }
                    "thinking_delta" => {
                        let text =
                            block["thinking"].as_str().unwrap().to_string() + delta["thinking"].as_str().unwrap();
                        block["thinking"] = text.into();
                    }
                    "signature_delta" => block["signature"] = delta["signature"].clone(),
                    "input_json_delta" => partial_json[i].push_str(delta["partial_json"].as_str().unwrap()),
                    other => panic!("unexpected delta {other}"),
                }
            }
            "content_block_stop" => {
                let i = data["index"].as_u64().unwrap() as usize;
                if message["content"][i]["type"] == "tool_use" && !partial_json[i].is_empty() {
                    message["content"][i]["input"] = serde_json::from_str(&partial_json[i]).unwrap();
                }
            }
            "message_delta" => {
                message["stop_reason"] = data["delta"]["stop_reason"].clone();
                message["usage"] = data["usage"].clone();
            }
            "message_stop" | "ping" => {}
            other => panic!("unexpected event {other}: {data}"),
        }
    }
    message
}

const BASH_TOOL: &str = r#"{"name": "Bash", "description": "Runs a shell command",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}"#;

/// A Messages call with an Anthropic-style key header.
async fn messages(s: &Stack, key: &str, body: Value) -> (u16, reqwest::header::HeaderMap, String) {
    let r = s
        .http
        .post(s.url("/v1/messages"))
        .header("x-api-key", key)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

async fn virtual_key(s: &Stack, body: Value) -> String {
    let r = s.post("/key/generate", &body).await;
    assert_eq!(r.status(), 200);
    let key: Value = r.json().await.unwrap();
    key["key"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn bedrock_message_with_system_blocks_and_cache_control() {
    let s = Stack::start().await;
    let key = virtual_key(&s, json!({"models": ["claude-haiku"]})).await;
    let system = "You are a careful assistant who answers questions about files in a repository.";
    let body = json!({
        "model": "claude-haiku", "max_tokens": 100,
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hello claude"}]
    });
    let (status, headers, text) = messages(&s, &key, body.clone()).await;
    assert_eq!(status, 200, "{text}");
    let first: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(first["type"], "message");
    assert_eq!(first["role"], "assistant");
    assert_eq!(first["model"], "claude-haiku");
    assert!(first["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(first["content"], json!([{"type": "text", "text": "Hello from fake-bedrock! You said: hello claude"}]));
    assert_eq!(first["stop_reason"], "end_turn");
    let words = system.split_whitespace().count() as u64;
    assert_eq!(first["usage"]["cache_creation_input_tokens"], words, "{first}");
    assert_eq!(first["usage"]["cache_read_input_tokens"], 0);
    assert_eq!(first["usage"]["input_tokens"], 2, "the user's two words, outside the cache");
    assert!(headers.contains_key("x-litellm-call-id"));

    let sent = &s.bedrock.requests()[0];
    assert_eq!(sent.body["system"], json!([{"text": system}, {"cachePoint": {"type": "default"}}]));

    // The same prefix again is read from the cache, and priced as a read.
    let (status, headers2, text) = messages(&s, &key, body).await;
    assert_eq!(status, 200, "{text}");
    let second: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(second["usage"]["cache_read_input_tokens"], words);
    assert_eq!(second["usage"]["cache_creation_input_tokens"], 0);
    let cost = |h: &reqwest::header::HeaderMap| h["x-litellm-response-cost"].to_str().unwrap().parse::<f64>().unwrap();
    // us.anthropic.claude-haiku-4-5: input 1.1e-6, output 5.5e-6, cache write 1.375e-6, read 1.1e-7.
    let output = first["usage"]["output_tokens"].as_u64().unwrap() as f64 * 5.5e-6;
    let expected_first = 2.0 * 1.1e-6 + words as f64 * 1.375e-6 + output;
    let expected_second = 2.0 * 1.1e-6 + words as f64 * 1.1e-7 + output;
    assert!((cost(&headers) - expected_first).abs() < 1e-12, "{} vs {expected_first}", cost(&headers));
    assert!((cost(&headers2) - expected_second).abs() < 1e-12, "{} vs {expected_second}", cost(&headers2));
}

#[tokio::test]
async fn bedrock_stream_with_a_tool_round_trip() {
    let s = Stack::start().await;
    let key = virtual_key(&s, json!({})).await;
    let tools: Value = serde_json::from_str(&format!("[{BASH_TOOL}]")).unwrap();
    let question = json!({"role": "user", "content": [{"type": "text", "text": "list the files"}]});
    let (status, headers, text) = messages(
        &s,
        &key,
        json!({"model": "claude-haiku", "max_tokens": 200, "stream": true, "tools": tools, "messages": [question]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let evs = events(&text);
    assert_eq!(evs[0].0, "message_start");
    assert_eq!(evs.last().unwrap().0, "message_stop");
    let message = assemble(&evs);
    assert_eq!(message["stop_reason"], "tool_use", "{message}");
    assert_eq!(message["content"][0], json!({"type": "text", "text": "Let me check."}));
    let tool_use = &message["content"][1];
    assert_eq!(tool_use["type"], "tool_use");
    assert_eq!(tool_use["name"], "Bash");
    assert_eq!(tool_use["input"], json!({"command": "Paris"}));
    assert!(message["usage"]["output_tokens"].as_u64().unwrap() > 0);

    // The result goes back; Bedrock's fake refuses a conversation whose tool result does not
    // answer the tool use of the turn before.
    let follow_up = json!({"model": "claude-haiku", "max_tokens": 200, "stream": true, "tools": tools, "messages": [
        question,
        {"role": "assistant", "content": message["content"].clone()},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"].clone(),
            "content": [{"type": "text", "text": "a.txt b.txt"}]}]}
    ]});
    let (status, _, text) = messages(&s, &key, follow_up).await;
    assert_eq!(status, 200, "{text}");
    let answer = assemble(&events(&text));
    assert_eq!(answer["content"][0]["text"], "The tool said: a.txt b.txt");
    assert_eq!(answer["stop_reason"], "end_turn");
    let sent = &s.bedrock.requests()[1];
    assert_eq!(sent.path, "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/converse-stream");
    assert_eq!(sent.body["messages"][2]["content"][0]["toolResult"]["toolUseId"], tool_use["id"]);

    // Spend rows say which API the calls came through.
    let rows = eventually_rows(&s, &key, 2).await;
    assert!(rows.iter().all(|r| r["call_type"] == "anthropic_messages"), "{rows:?}");
}

/// The spend rows of `key` once there are `n`.
async fn eventually_rows(s: &Stack, key: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let rows: Value = s.get(&format!("/spend/logs?api_key={key}")).await.json().await.unwrap();
        if let Some(rows) = rows.as_array().filter(|r| r.len() >= n) {
            return rows.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} spend rows for the key");
}

#[tokio::test]
async fn thinking_blocks_keep_their_signature_through_a_tool_loop() {
    let s = Stack::start().await;
    let tools: Value = serde_json::from_str(&format!("[{BASH_TOOL}]")).unwrap();
    let question = json!({"role": "user", "content": "what is here?"});
    let thinking = json!({"type": "enabled", "budget_tokens": 1024});
    for stream in [false, true] {
        let (status, _, text) = messages(
            &s,
            MASTER_KEY,
            json!({"model": "claude-haiku", "max_tokens": 2048, "stream": stream, "thinking": thinking,
                   "tools": tools, "messages": [question]}),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        let message = if stream { assemble(&events(&text)) } else { serde_json::from_str(&text).unwrap() };
        let block = &message["content"][0];
        assert_eq!(block["type"], "thinking", "{message}");
        assert_eq!(block["thinking"], "Thinking about: what is here?");
        assert!(block["signature"].as_str().unwrap().starts_with("fake-signature-"));
        let sent = s.bedrock.requests().last().unwrap().body.clone();
        assert_eq!(sent["additionalModelRequestFields"]["thinking"], thinking);

        let tool_use = message["content"].as_array().unwrap().iter().find(|b| b["type"] == "tool_use").unwrap().clone();
        let result = json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": "a.txt"}]});
        let with_thinking = json!({"model": "claude-haiku", "max_tokens": 2048, "stream": stream, "thinking": thinking,
            "tools": tools, "messages": [question, {"role": "assistant", "content": message["content"]}, result]});
        let (status, _, text) = messages(&s, MASTER_KEY, with_thinking).await;
        assert_eq!(status, 200, "the signed thinking block went back to Claude: {text}");

        // Without it, Claude refuses the turn; the client sees Bedrock's reason in Anthropic's shape.
        let without: Vec<Value> =
            message["content"].as_array().unwrap().iter().filter(|b| b["type"] != "thinking").cloned().collect();
        let stripped = json!({"model": "claude-haiku", "max_tokens": 2048, "thinking": thinking, "tools": tools,
            "messages": [question, {"role": "assistant", "content": without}, result]});
        let (status, _, text) = messages(&s, MASTER_KEY, stripped).await;
        assert_eq!(status, 400, "{text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["type"], "error");
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert!(error["error"]["message"].as_str().unwrap().contains("Expected `thinking`"), "{error}");
    }
}

#[tokio::test]
async fn openai_upstream_answers_as_messages() {
    let s = Stack::start().await;
    let (status, _, text) = messages(
        &s,
        MASTER_KEY,
        json!({"model": "gpt-4o-mini", "max_tokens": 50, "system": "Be brief.", "stop_sequences": ["END"],
               "messages": [{"role": "user", "content": "hi there"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let message: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(message["content"][0]["text"], "Hello from fake-openai! You said: hi there");
    assert_eq!(message["model"], "gpt-4o-mini");
    let sent = &s.openai.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.body["messages"][0], json!({"role": "system", "content": "Be brief."}));
    assert_eq!(sent.body["max_tokens"], 50);
    assert_eq!(sent.body["stop"], json!(["END"]));

    let tools: Value = serde_json::from_str(&format!("[{BASH_TOOL}]")).unwrap();
    let (status, _, text) = messages(
        &s,
        MASTER_KEY,
        json!({"model": "gpt-4o-mini", "max_tokens": 50, "stream": true, "tools": tools,
               "tool_choice": {"type": "any"}, "messages": [{"role": "user", "content": "run ls"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let message = assemble(&events(&text));
    let tool_use = message["content"].as_array().unwrap().iter().find(|b| b["type"] == "tool_use").unwrap().clone();
    assert_eq!(tool_use["name"], "Bash");
    assert_eq!(tool_use["input"], json!({"command": "Paris"}));
    assert_eq!(message["stop_reason"], "tool_use");
    assert!(message["usage"]["input_tokens"].as_u64().unwrap() > 0, "{message}");
    let sent = &s.openai.requests()[1];
    assert_eq!(sent.body["tools"][0]["function"]["name"], "Bash");
    assert_eq!(sent.body["tool_choice"], "required");
}

#[tokio::test]
async fn errors_answer_in_anthropic_shape() {
    let s = Stack::start().await;
    let error_of = |text: &str| -> Value { serde_json::from_str(text).unwrap() };

    let (status, _, text) = messages(
        &s,
        "sk-not-a-key",
        json!({"model": "claude-haiku", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(status, 401, "{text}");
    assert_eq!(error_of(&text)["error"]["type"], "authentication_error");

    let (status, _, text) =
        messages(&s, MASTER_KEY, json!({"model": "claude-haiku", "messages": [{"role": "user", "content": "x"}]}))
            .await;
    assert_eq!(status, 400);
    let e = error_of(&text);
    assert_eq!((e["type"].as_str(), e["error"]["type"].as_str()), (Some("error"), Some("invalid_request_error")));
    assert!(e["error"]["message"].as_str().unwrap().contains("max_tokens"), "{e}");

    let (status, _, text) = messages(
        &s,
        MASTER_KEY,
        json!({"model": "claude-haiku", "max_tokens": 5, "messages": [{"role": "robot", "content": "x"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(error_of(&text)["error"]["message"].as_str().unwrap().contains("messages[0].role"), "{text}");

    let (status, _, text) = messages(
        &s,
        MASTER_KEY,
        json!({"model": "nope", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error_of(&text)["error"]["message"].as_str().unwrap().contains("/v1/messages: Invalid model name"),
        "{text}"
    );

    let narrow = virtual_key(&s, json!({"models": ["gpt-4o-mini"]})).await;
    let (status, _, text) = messages(
        &s,
        &narrow,
        json!({"model": "claude-haiku", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert!(status == 401 || status == 403, "{status} {text}");
    assert_eq!(error_of(&text)["type"], "error");

    // An upstream failure mid-stream ends the stream with Anthropic's error event.
    let (status, _, text) = messages(
        &s,
        MASTER_KEY,
        json!({"model": "bedrock-midstream", "max_tokens": 50, "stream": true, "messages": [{"role": "user", "content": "tell me a long story"}]}),
    )
    .await;
    assert_eq!(status, 200);
    let evs = events(&text);
    let (name, data) = evs.last().unwrap();
    assert_eq!(name, "error", "{text}");
    assert_eq!(data["type"], "error");
    assert!(evs.iter().all(|(n, _)| n != "message_stop"));
}

#[tokio::test]
async fn count_tokens_counts_on_bedrock_and_estimates_elsewhere() {
    let s = Stack::start().await;
    let count = |model: &str| json!({"model": model, "system": "one two three", "messages": [{"role": "user", "content": "four five"}]});
    let post = |body: Value| {
        s.http.post(s.url("/v1/messages/count_tokens")).header("x-api-key", MASTER_KEY).json(&body).send()
    };
    let r = post(count("claude-haiku")).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({"input_tokens": 5}), "Bedrock's CountTokens (the fake counts words)");
    let sent = s.bedrock.requests().last().unwrap().clone();
    assert_eq!(sent.path, "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/count-tokens");
    assert_eq!(sent.body["input"]["converse"]["system"], json!([{"text": "one two three"}]));

    let r = post(count("gpt-4o-mini")).await.unwrap();
    assert_eq!(r.status(), 200);
    let estimated = r.json::<Value>().await.unwrap()["input_tokens"].as_u64().unwrap();
    assert!((4..=20).contains(&estimated), "an estimate for OpenAI-compatible models: {estimated}");
    assert!(s.openai.requests().is_empty(), "counting costs no upstream call");

    let r = post(count("nope")).await.unwrap();
    assert_eq!(r.status(), 400);
}

/// A gateway with an `anthropic/` model (the Anthropic fake behind it).
async fn anthropic_gateway() -> (switchboard_fakes::anthropic::FakeAnthropic, TestGateway) {
    let fake = switchboard_fakes::anthropic::FakeAnthropic::start().await.unwrap();
    let key = switchboard_fakes::anthropic::DEFAULT_API_KEY;
    let yaml = format!(
        "model_list:\n  - model_name: claude-direct\n    litellm_params:\n      model: anthropic/claude-haiku-4-5\n      api_base: {}\n      api_key: {key}\n  - model_name: claude-overloaded\n    litellm_params:\n      model: anthropic/fake-overloaded\n      api_base: {}\n      api_key: {key}\n      max_retries: 0\ngeneral_settings:\n  master_key: {MASTER_KEY}\n",
        fake.base_url(),
        fake.base_url()
    );
    (fake, start_gateway(&yaml).await)
}

async fn post_messages(gw: &TestGateway, path: &str, body: Value) -> (u16, reqwest::header::HeaderMap, String) {
    let r = client()
        .post(format!("{}{path}", gw.base_url()))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "prompt-caching-2024-07-31")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

#[tokio::test]
async fn anthropic_models_get_the_request_as_the_client_sent_it() {
    let (fake, gw) = anthropic_gateway().await;
    let body = json!({"model": "claude-direct", "max_tokens": 64, "num_retries": 1,
        "metadata": {"user_id": "dev-1", "tags": ["x"]},
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hello anthropic"}]});
    let (status, headers, text) = post_messages(&gw, "/v1/messages", body.clone()).await;
    assert_eq!(status, 200, "{text}");
    let message: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(message["model"], "claude-direct");
    assert!(message["id"].as_str().unwrap().starts_with("msg_fake"), "Anthropic's own id: {message}");
    assert_eq!(message["content"][0]["text"], "Hello from fake-anthropic! You said: hello anthropic");
    assert!(headers.contains_key("x-litellm-response-cost"));

    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.headers["x-api-key"], switchboard_fakes::anthropic::DEFAULT_API_KEY);
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(sent.headers["anthropic-beta"], "prompt-caching-2024-07-31");
    let mut expected = body;
    expected["model"] = "claude-haiku-4-5".into();
    expected.as_object_mut().unwrap().remove("num_retries");
    expected["metadata"] = json!({"user_id": "dev-1"});
    assert_eq!(sent.body, expected, "forwarded as sent, LiteLLM's fields left out");

    // Streamed, the events come through as Anthropic sent them, with the alias as model.
    let (status, _, text) = post_messages(
        &gw,
        "/v1/messages",
        json!({"model": "claude-direct", "max_tokens": 64, "stream": true, "messages": [{"role": "user", "content": "stream it"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let evs = events(&text);
    assert_eq!(evs[1].0, "ping", "events pass through, ping included");
    assert_eq!(evs[0].1["message"]["model"], "claude-direct");
    let message = assemble(&evs);
    assert_eq!(message["content"][0]["text"], "Hello from fake-anthropic! You said: stream it");
    assert_eq!(message["usage"]["output_tokens"], 7);
}

#[tokio::test]
async fn chat_completions_translate_to_anthropic() {
    let (fake, gw) = anthropic_gateway().await;
    let tools = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
    for stream in [false, true] {
        let ask = json!({"model": "claude-direct", "stream": stream, "stream_options": {"include_usage": true},
            "tools": tools, "messages": [{"role": "user", "content": "weather in Paris?"}]});
        let r = client()
            .post(format!("{}/v1/chat/completions", gw.base_url()))
            .bearer_auth(MASTER_KEY)
            .json(&ask)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let (call, finish) = if stream {
            let chunks: Vec<Value> = sse_data(&text).iter().filter_map(|d| serde_json::from_str(d).ok()).collect();
            let mut call = json!({"id": null, "function": {"name": null, "arguments": ""}});
            let mut finish = Value::Null;
            for c in &chunks {
                if let Some(d) = c["choices"][0]["delta"]["tool_calls"][0].as_object() {
                    if d.contains_key("id") {
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
            assert!(chunks.last().unwrap()["usage"]["total_tokens"].as_u64().unwrap() > 0, "usage chunk asked for");
            (call, finish)
        } else {
            let body: Value = serde_json::from_str(&text).unwrap();
            (body["choices"][0]["message"]["tool_calls"][0].clone(), body["choices"][0]["finish_reason"].clone())
        };
        assert_eq!(finish, "tool_calls");
        assert_eq!(call["function"]["name"], "get_weather");
        assert_eq!(
            serde_json::from_str::<Value>(call["function"]["arguments"].as_str().unwrap()).unwrap(),
            json!({"city": "Paris"})
        );

        let answer = json!({"model": "claude-direct", "stream": false, "tools": tools, "messages": [
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "tool_calls": [{"id": call["id"], "type": "function", "function": call["function"]}]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]});
        let r = client()
            .post(format!("{}/v1/chat/completions", gw.base_url()))
            .bearer_auth(MASTER_KEY)
            .json(&answer)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["choices"][0]["message"]["content"], "The tool said: sunny");
        let sent = fake.requests().last().unwrap().body.clone();
        assert_eq!(sent["messages"][2]["content"][0]["type"], "tool_result");
        assert!(sent.get("max_tokens").is_some(), "Anthropic needs max_tokens: {sent}");
    }
}

#[tokio::test]
async fn anthropic_count_tokens_and_errors() {
    let (fake, gw) = anthropic_gateway().await;
    let (status, _, text) = post_messages(
        &gw,
        "/v1/messages/count_tokens",
        json!({"model": "claude-direct", "system": "one two", "messages": [{"role": "user", "content": "three four"}]}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json!({"input_tokens": 4}));
    assert_eq!(fake.requests().last().unwrap().path, "/v1/messages/count_tokens");

    let (status, _, text) = post_messages(
        &gw,
        "/v1/messages",
        json!({"model": "claude-overloaded", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert!(status >= 500, "{status} {text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["type"], "error");
    assert!(error["error"]["message"].as_str().unwrap().contains("Overloaded"), "{error}");
}
