//! OpenAI's Responses API (`/v1/responses`) through the gateway: over Bedrock (Claude) and an
//! OpenAI-compatible upstream, streamed and not, with function tools, `previous_response_id`
//! continuations from stored responses, and `GET`/`DELETE`/`input_items` on them.

use serde_json::{Value, json};
use switchboard_tests::*;

/// The events of a Responses stream, as (event name, data).
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

/// Checks the stream's framing (every event named as its `type`, numbered in order, items
/// added before their deltas and done after) and returns the final response.
fn completed(events: &[(String, Value)]) -> Value {
    let mut open: std::collections::HashMap<String, Value> = Default::default();
    for (i, (name, data)) in events.iter().enumerate() {
        assert_eq!(data["type"], name.as_str(), "{data}");
        assert_eq!(data["sequence_number"], i, "{data}");
        match name.as_str() {
            "response.output_item.added" => {
                open.insert(data["item"]["id"].as_str().unwrap().to_string(), data["item"].clone());
            }
            "response.output_text.delta" | "response.function_call_arguments.delta" | "response.content_part.added" => {
                assert!(open.contains_key(data["item_id"].as_str().unwrap()), "{data}")
            }
            "response.output_item.done" => {
                assert!(open.remove(data["item"]["id"].as_str().unwrap()).is_some(), "{data}");
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "items left open: {open:?}");
    assert_eq!(events[0].0, "response.created");
    assert_eq!(events[1].0, "response.in_progress");
    let (last, data) = events.last().unwrap();
    assert_eq!(last, "response.completed", "{data}");
    data["response"].clone()
}

async fn create(s: &Stack, key: &str, body: Value) -> (u16, reqwest::header::HeaderMap, String) {
    let r = s.http.post(s.url("/v1/responses")).bearer_auth(key).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

async fn create_json(s: &Stack, key: &str, body: Value) -> Value {
    let (status, _, text) = create(s, key, body).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn get(s: &Stack, key: &str, path: &str) -> (u16, Value) {
    let r = s.http.get(s.url(path)).bearer_auth(key).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn virtual_key(s: &Stack, body: Value) -> String {
    let r = s.post("/key/generate", &body).await;
    assert_eq!(r.status(), 200);
    let key: Value = r.json().await.unwrap();
    key["key"].as_str().unwrap().to_string()
}

fn weather_tool() -> Value {
    json!({"type": "function", "name": "get_weather", "description": "Weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
           "strict": true})
}

#[tokio::test]
async fn text_over_bedrock_and_openai_streamed_and_not() {
    let s = Stack::start().await;
    let key = virtual_key(&s, json!({"models": ["claude-haiku", "gpt-4o-mini"]})).await;
    for (model, service) in [("claude-haiku", "fake-bedrock"), ("gpt-4o-mini", "fake-openai")] {
        let (status, headers, text) =
            create(&s, &key, json!({"model": model, "input": "hello there", "instructions": "Be brief."})).await;
        assert_eq!(status, 200, "{text}");
        assert!(headers.contains_key("x-litellm-call-id"));
        let r: Value = serde_json::from_str(&text).unwrap();
        assert!(r["id"].as_str().unwrap().starts_with("resp_"), "{r}");
        assert_eq!(r["object"], "response");
        assert_eq!(r["status"], "completed");
        assert_eq!(r["model"], model);
        assert_eq!(r["instructions"], "Be brief.");
        let message = &r["output"][0];
        assert_eq!(message["type"], "message");
        assert!(message["id"].as_str().unwrap().starts_with("msg_"));
        assert_eq!(message["role"], "assistant");
        assert_eq!(message["status"], "completed");
        let said = format!("Hello from {service}! You said: hello there");
        assert_eq!(message["content"], json!([{"type": "output_text", "text": said, "annotations": []}]));
        let usage = &r["usage"];
        assert!(usage["input_tokens"].as_u64().unwrap() > 0, "{usage}");
        assert!(usage["output_tokens"].as_u64().unwrap() > 0, "{usage}");
        assert_eq!(
            usage["total_tokens"].as_u64().unwrap(),
            usage["input_tokens"].as_u64().unwrap() + usage["output_tokens"].as_u64().unwrap()
        );
        assert_eq!(usage["input_tokens_details"]["cached_tokens"], 0);
        assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);

        let (status, headers, text) =
            create(&s, &key, json!({"model": model, "input": "hello stream", "stream": true})).await;
        assert_eq!(status, 200, "{text}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        let evs = events(&text);
        let done = completed(&evs);
        let deltas: String = evs
            .iter()
            .filter(|(n, _)| n == "response.output_text.delta")
            .map(|(_, d)| d["delta"].as_str().unwrap())
            .collect();
        let said = format!("Hello from {service}! You said: hello stream");
        assert_eq!(deltas, said);
        assert_eq!(done["output"][0]["content"][0]["text"], said.as_str());
        assert_eq!(done["status"], "completed");
        assert!(done["usage"]["output_tokens"].as_u64().unwrap() > 0, "{done}");
        assert_eq!(done["id"], evs[0].1["response"]["id"]);
    }
    // What the upstream got: the instructions as the system message.
    let sent = &s.openai.requests()[0];
    assert_eq!(sent.body["messages"][0], json!({"role": "system", "content": "Be brief."}));

    // Spend rows say which API the calls came through.
    for _ in 0..100 {
        let rows: Value = s.get(&format!("/spend/logs?api_key={key}")).await.json().await.unwrap();
        if let Some(rows) = rows.as_array().filter(|r| r.len() >= 4) {
            assert!(rows.iter().all(|r| r["call_type"] == "aresponses"), "{rows:?}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no spend rows for the Responses calls");
}

#[tokio::test]
async fn function_tool_round_trip_by_function_call_output() {
    let s = Stack::start().await;
    for (model, stream) in
        [("gpt-4o-mini", false), ("claude-haiku", false), ("gpt-4o-mini", true), ("claude-haiku", true)]
    {
        let question = json!({"role": "user", "content": [{"type": "input_text", "text": "Please use the get_weather tool to run `Paris`"}]});
        let body =
            json!({"model": model, "input": [question], "tools": [weather_tool()], "stream": stream, "store": false});
        let (status, _, text) = create(&s, MASTER_KEY, body).await;
        assert_eq!(status, 200, "{text}");
        let r = if stream { completed(&events(&text)) } else { serde_json::from_str(&text).unwrap() };
        assert_eq!(r["tools"][0]["name"], "get_weather", "{r}");
        let call = r["output"].as_array().unwrap().iter().find(|i| i["type"] == "function_call").unwrap().clone();
        assert!(call["id"].as_str().unwrap().starts_with("fc_"), "{call}");
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["status"], "completed");
        assert_eq!(
            serde_json::from_str::<Value>(call["arguments"].as_str().unwrap()).unwrap(),
            json!({"city": "Paris"})
        );

        // The result goes back with the call, as the SDKs send them.
        let mut input = vec![question];
        input.extend(r["output"].as_array().unwrap().iter().cloned());
        input.push(json!({"type": "function_call_output", "call_id": call["call_id"], "output": "sunny, 21C"}));
        let body = json!({"model": model, "input": input, "tools": [weather_tool()], "stream": stream, "store": false});
        let (status, _, text) = create(&s, MASTER_KEY, body).await;
        assert_eq!(status, 200, "{text}");
        let r = if stream { completed(&events(&text)) } else { serde_json::from_str(&text).unwrap() };
        assert_eq!(r["output"][0]["content"][0]["text"], "The tool said: sunny, 21C", "{r}");
    }
    // The upstream saw the call and its result as chat messages.
    let sent = s.openai.requests().last().unwrap().body.clone();
    let messages = sent["messages"].as_array().unwrap();
    let assistant = messages.iter().find(|m| m["role"] == "assistant").unwrap();
    assert_eq!(assistant["tool_calls"][0]["function"]["name"], "get_weather");
    let tool = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(tool["tool_call_id"], assistant["tool_calls"][0]["id"]);
    assert_eq!(sent["tools"][0]["function"]["strict"], true);
    let sent = s.bedrock.requests().last().unwrap().body.clone();
    assert_eq!(sent["messages"][2]["content"][0]["toolResult"]["content"][0]["text"], "sunny, 21C", "{sent}");
}

#[tokio::test]
async fn previous_response_id_continues_the_stored_conversation() {
    let s = Stack::start().await;
    let key = virtual_key(&s, json!({})).await;
    for stream in [false, true] {
        s.openai.clear();
        let body =
            json!({"model": "gpt-4o-mini", "input": "my name is Ada", "instructions": "first", "stream": stream});
        let (status, _, text) = create(&s, &key, body).await;
        assert_eq!(status, 200, "{text}");
        let first = if stream { completed(&events(&text)) } else { serde_json::from_str(&text).unwrap() };
        let id = first["id"].as_str().unwrap();
        // Asked for at once: found although the row may still be on its way to the database.
        let second = create_json(
            &s,
            &key,
            json!({"model": "gpt-4o-mini", "input": "what is my name?", "previous_response_id": id, "instructions": "second"}),
        )
        .await;
        assert_eq!(second["previous_response_id"], id);
        assert_eq!(second["output"][0]["content"][0]["text"], "Hello from fake-openai! You said: what is my name?");
        let sent = s.openai.requests()[1].body.clone();
        assert_eq!(
            sent["messages"],
            json!([
                {"role": "system", "content": "second"},
                {"role": "user", "content": [{"type": "text", "text": "my name is Ada"}]},
                {"role": "assistant", "content": "Hello from fake-openai! You said: my name is Ada"},
                {"role": "user", "content": [{"type": "text", "text": "what is my name?"}]}
            ]),
            "the new instructions, the earlier turn, its answer and the new input"
        );
        // A third turn carries both earlier ones.
        let third = create_json(
            &s,
            &key,
            json!({"model": "gpt-4o-mini", "input": "and again", "previous_response_id": second["id"]}),
        )
        .await;
        assert_eq!(third["status"], "completed");
        let sent = s.openai.requests()[2].body.clone();
        assert_eq!(sent["messages"].as_array().unwrap().len(), 5, "{sent}");
    }
}

#[tokio::test]
async fn stored_responses_get_delete_input_items_and_belong_to_their_key() {
    let s = Stack::start().await;
    let key = virtual_key(&s, json!({})).await;
    let other = virtual_key(&s, json!({})).await;
    let r = create_json(
        &s,
        &key,
        json!({"model": "claude-haiku", "input": [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}],
               "metadata": {"ticket": "42"}}),
    )
    .await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["metadata"], json!({"ticket": "42"}));
    assert_eq!(r["store"], true);

    let (status, got) = get(&s, &key, &format!("/v1/responses/{id}")).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got, r, "the stored response is the one answered");
    // Once written (the write is off the request path), it comes from the database too.
    let stack = s.restart().await;
    let s = &stack;
    let (status, got) = get(s, &key, &format!("/responses/{id}")).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got, r);
    let (status, got) = get(s, MASTER_KEY, &format!("/v1/responses/{id}")).await;
    assert_eq!(status, 200, "the master key reads every response: {got}");

    let (status, items) = get(s, &key, &format!("/v1/responses/{id}/input_items")).await;
    assert_eq!(status, 200, "{items}");
    assert_eq!(items["object"], "list");
    assert_eq!(items["data"][0]["content"], json!([{"type": "input_text", "text": "two"}]), "newest first");
    assert_eq!(items["data"][1]["content"][0]["text"], "one");
    assert!(items["data"][0]["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(items["has_more"], false);
    let (_, asc) = get(s, &key, &format!("/v1/responses/{id}/input_items?order=asc&limit=1")).await;
    assert_eq!(asc["data"][0]["content"][0]["text"], "one");
    assert_eq!(asc["has_more"], true);

    // Another key learns nothing about it: 404, as for an unknown id.
    for path in [format!("/v1/responses/{id}"), format!("/v1/responses/{id}/input_items")] {
        let (status, body) = get(s, &other, &path).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["message"], format!("Response with id '{id}' not found."));
    }
    let (status, _, body) =
        create(s, &other, json!({"model": "claude-haiku", "input": "steal", "previous_response_id": id})).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("previous_response_id"), "{body}");
    let r = s.http.delete(s.url(&format!("/v1/responses/{id}"))).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), 404);

    let r = s.http.delete(s.url(&format!("/v1/responses/{id}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"id": id, "object": "response", "deleted": true}));
    let (status, body) = get(s, &key, &format!("/v1/responses/{id}")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], "response_id");

    let (status, body) = get(s, &key, "/v1/responses/resp_unknown").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["message"], "Response with id 'resp_unknown' not found.");

    // store: false is answered, not kept.
    let r = create_json(s, &key, json!({"model": "claude-haiku", "input": "forget me", "store": false})).await;
    assert_eq!(r["store"], false);
    let (status, _) = get(s, &key, &format!("/v1/responses/{}", r["id"].as_str().unwrap())).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field() {
    let s = Stack::start().await;
    for (body, param, words) in [
        (json!({"model": "gpt-4o-mini", "input": "x", "tools": [{"type": "web_search"}]}), "tools", "tools[0].type"),
        (
            json!({"model": "gpt-4o-mini", "input": "x", "tools": [{"type": "file_search", "vector_store_ids": []}]}),
            "tools",
            "file_search",
        ),
        (json!({"model": "gpt-4o-mini", "input": [{"type": "computer_call_output"}]}), "input", "input[0].type"),
        (json!({"model": "gpt-4o-mini", "input": [{"role": "wizard", "content": "x"}]}), "input", "input[0].role"),
        (
            json!({"model": "gpt-4o-mini", "input": [{"type": "function_call_output", "output": "x"}]}),
            "input",
            "input[0].call_id",
        ),
        (json!({"model": "gpt-4o-mini", "input": 7}), "input", "input"),
        (json!({"model": "gpt-4o-mini"}), "input", "input"),
        (json!({"model": "gpt-4o-mini", "input": "x", "tool_choice": "sometimes"}), "tool_choice", "tool_choice"),
        (json!({"model": "gpt-4o-mini", "input": "x", "temperature": "hot"}), "temperature", "temperature"),
        (json!({"input": "x"}), "model", "model"),
    ] {
        let (status, _, text) = create(&s, MASTER_KEY, body.clone()).await;
        assert_eq!(status, 400, "{body}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["error"]["type"], "invalid_request_error", "{text}");
        assert_eq!(error["error"]["param"], param, "{body}: {text}");
        assert!(error["error"]["message"].as_str().unwrap().contains(words), "{body}: {text}");
    }
    let (status, _, text) = create(&s, MASTER_KEY, json!({"model": "no-such-model", "input": "x"})).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("/v1/responses: Invalid model name"), "{text}");
    let (status, _, text) = create(&s, "sk-not-a-key", json!({"model": "gpt-4o-mini", "input": "x"})).await;
    assert_eq!(status, 401, "{text}");
}

#[tokio::test]
async fn an_upstream_failure_mid_stream_is_an_error_event() {
    let s = Stack::start().await;
    let (status, _, text) =
        create(&s, MASTER_KEY, json!({"model": "openai-midstream", "input": "x", "stream": true})).await;
    assert_eq!(status, 200, "{text}");
    let evs = events(&text);
    let (name, data) = evs.last().unwrap();
    assert_eq!(name, "error", "{text}");
    assert_eq!(data["type"], "error");
    assert_eq!(data["sequence_number"], evs.len() - 1);
    assert!(!data["message"].as_str().unwrap().is_empty());
    // Before the stream, errors are HTTP errors in OpenAI's shape.
    let (status, _, text) =
        create(&s, MASTER_KEY, json!({"model": "openai-broken", "input": "x", "stream": true})).await;
    assert!(status >= 500, "{status} {text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert!(error["error"]["message"].is_string(), "{text}");
}

#[tokio::test]
async fn keys_access_rules_and_fallbacks_apply_as_for_chat() {
    let s = Stack::start().await;
    // A key limited to one model is refused another, in OpenAI's shape, before any upstream call.
    let key = virtual_key(&s, json!({"models": ["gpt-4o-mini"]})).await;
    let (status, _, text) = create(&s, &key, json!({"model": "claude-haiku", "input": "x"})).await;
    assert_eq!(status, 403, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("not allowed to access model"), "{text}");
    assert!(s.bedrock.requests().is_empty());
    // A key out of budget is refused.
    let broke = virtual_key(&s, json!({"max_budget": 0.0})).await;
    let (status, _, text) = create(&s, &broke, json!({"model": "gpt-4o-mini", "input": "x"})).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("budget_exceeded"), "{text}");
    // The router's fallbacks, asked for in the body as on chat.
    let (status, headers, text) =
        create(&s, MASTER_KEY, json!({"model": "openai-broken", "input": "fall back", "fallbacks": ["claude-haiku"]}))
            .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["x-litellm-attempted-fallbacks"], "1");
    assert_eq!(headers["x-litellm-model-group"], "claude-haiku");
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["output"][0]["content"][0]["text"], "Hello from fake-bedrock! You said: fall back");
}

/// Any field of a full request replaced by a value of another type is answered (200 or a 4xx
/// naming what is wrong), never a 5xx or a dropped connection.
#[tokio::test]
async fn wrong_types_anywhere_are_answered_not_crashed_on() {
    let s = Stack::start().await;
    let base = json!({
        "model": "gpt-4o-mini", "instructions": "hi", "temperature": 0.5, "top_p": 1, "max_output_tokens": 50,
        "store": false, "metadata": {"a": "b"}, "user": "u", "parallel_tool_calls": true, "tool_choice": "auto",
        "reasoning": {"effort": "low"}, "text": {"format": {"type": "text"}}, "previous_response_id": null,
        "tools": [weather_tool()],
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "x"}, {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}]},
            {"type": "function_call", "call_id": "c", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c", "output": "ok"}
        ]
    });
    let replacements = [json!(null), json!(7), json!("s"), json!([]), json!({}), json!(true), json!([null])];
    let mut paths: Vec<Vec<Value>> = Vec::new();
    fn walk(v: &Value, at: Vec<Value>, out: &mut Vec<Vec<Value>>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| walk(v, [at.clone(), vec![json!(k)]].concat(), out)),
            Value::Array(a) => {
                a.iter().enumerate().for_each(|(i, v)| walk(v, [at.clone(), vec![json!(i)]].concat(), out))
            }
            _ => {}
        }
    }
    walk(&base, Vec::new(), &mut paths);
    for path in paths.iter().filter(|p| !p.is_empty()) {
        for replacement in &replacements {
            let mut body = base.clone();
            let mut at = &mut body;
            for step in path {
                at = match step {
                    Value::String(k) => &mut at[k.as_str()],
                    Value::Number(i) => &mut at[i.as_u64().unwrap() as usize],
                    _ => unreachable!(),
                };
            }
            *at = replacement.clone();
            let (status, _, text) = create(&s, MASTER_KEY, body.clone()).await;
            assert!(status == 200 || (400..500).contains(&status), "{path:?} = {replacement}: {status} {text}");
            if status != 200 {
                let error: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path:?}: {text}"));
                assert!(error["error"]["message"].is_string(), "{path:?}: {text}");
            }
        }
    }
}
