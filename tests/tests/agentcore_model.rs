//! AgentCore agents as chat models: `bedrock/agentcore/<harness ARN>` answers `/v1/chat/completions`
//! through InvokeHarness (the AgentCore fake's harness runs its agent loop against this same
//! gateway), `bedrock/agentcore/<runtime ARN>` through InvokeAgentRuntime as LiteLLM calls it; each
//! conversation keeps one runtime session, and turns are charged to the calling key.

use serde_json::{Value, json};
use switchboard_tests::agentcore::{AWS_ACCESS_KEY, AWS_SECRET, AgentCoreStack, ROLE};
use switchboard_tests::*;

const SESSION_HEADER: &str = "x-amzn-bedrock-agentcore-runtime-session-id";

/// A wired harness and a `desk-harness` model that serves it: (harness ARN, the harness's own
/// key hash).
async fn harness_model(a: &AgentCoreStack) -> (String, String) {
    let (status, wired) = a
        .post(
            "/agentcore/wire",
            json!({"harness_name": "desk_harness", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(wired["ok"], true, "{wired:#}");
    let arn = wired["harness"]["arn"].as_str().expect("harness arn").to_string();
    let (status, model) = a
        .post(
            "/model/new",
            json!({"model_name": "desk-harness", "litellm_params": {
                "model": format!("bedrock/agentcore/{arn}"),
                "aws_bedrock_runtime_endpoint": a.fake.runtime_endpoint_url(),
                "aws_access_key_id": AWS_ACCESS_KEY,
                "aws_secret_access_key": AWS_SECRET,
                "input_cost_per_token": 0.000001,
                "output_cost_per_token": 0.000002,
            }}),
        )
        .await;
    assert_eq!(status, 200, "{model}");
    (arn, wired["key"]["token"].as_str().expect("harness key").to_string())
}

async fn caller_key(a: &AgentCoreStack, alias: &str) -> String {
    let (status, key) = a.post("/key/generate", json!({"models": ["desk-harness"], "key_alias": alias})).await;
    assert_eq!(status, 200, "{key}");
    key["key"].as_str().expect("key").to_string()
}

async fn chat(a: &AgentCoreStack, key: &str, body: Value) -> (u16, Value) {
    let r = a.s.http.post(a.s.url("/v1/chat/completions")).bearer_auth(key).json(&body).send().await.expect("chat");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A streamed chat: the status and the data of each event, `[DONE]` included.
async fn chat_stream(a: &AgentCoreStack, key: &str, mut body: Value) -> (u16, Vec<String>) {
    body["stream"] = json!(true);
    let r = a.s.http.post(a.s.url("/v1/chat/completions")).bearer_auth(key).json(&body).send().await.expect("chat");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, sse_data(&text))
}

/// The InvokeHarness calls the fake received: (session id, the messages' texts).
fn invocations(a: &AgentCoreStack) -> Vec<(String, Vec<String>)> {
    a.fake
        .runtime_requests()
        .iter()
        .filter(|r| r.path.starts_with("/harnesses/invoke"))
        .map(|r| {
            let texts = r.body["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| m["content"][0]["text"].as_str().unwrap_or("").to_string())
                .collect();
            (r.headers.get(SESSION_HEADER).cloned().unwrap_or_default(), texts)
        })
        .collect()
}

#[tokio::test]
async fn a_harness_answers_chat_completions_and_keeps_each_conversation_in_its_session() {
    let a = AgentCoreStack::start().await;
    let (arn, harness_key) = harness_model(&a).await;
    let key = caller_key(&a, "harness-caller").await;

    // The model is listed and answers like any other.
    let r = a.s.http.get(a.s.url("/v1/models")).bearer_auth(&key).send().await.unwrap();
    let models: Value = r.json().await.unwrap();
    assert_eq!(models["data"][0]["id"], "desk-harness", "{models}");
    let (status, first) = chat(
        &a,
        &key,
        json!({"model": "desk-harness", "messages": [
            {"role": "system", "content": "The harness has its own system prompt."},
            {"role": "user", "content": "My name is Ada"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["model"], "desk-harness");
    assert_eq!(first["object"], "chat.completion");
    let said = first["choices"][0]["message"]["content"].as_str().unwrap().to_string();
    assert_eq!(said, "Hello from fake-bedrock! You said: My name is Ada");
    assert_eq!(first["choices"][0]["finish_reason"], "stop");
    let usage = &first["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 0 && usage["completion_tokens"].as_u64().unwrap() > 0);

    // The second turn resends the conversation; the harness gets only the new message, in the
    // same session, and its own model call carries the whole conversation from the session.
    let history = json!([
        {"role": "user", "content": "My name is Ada"},
        {"role": "assistant", "content": said},
        {"role": "user", "content": "What is my name?"},
    ]);
    let (status, events) = chat_stream(
        &a,
        &key,
        json!({"model": "desk-harness", "messages": history, "stream_options": {"include_usage": true}}),
    )
    .await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(stream_text(&events), "Hello from fake-bedrock! You said: What is my name?");
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events.iter().filter_map(|d| serde_json::from_str(d).ok()).collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks.iter().all(|c| c["model"] == "desk-harness"));
    let finish: Vec<&Value> =
        chunks.iter().filter_map(|c| c["choices"][0].get("finish_reason")).filter(|f| !f.is_null()).collect();
    assert_eq!(finish, [&json!("stop")]);
    let stream_usage = &chunks.last().unwrap()["usage"];
    assert!(stream_usage["total_tokens"].as_u64().unwrap() > 0, "{stream_usage}");
    let calls = invocations(&a);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, calls[1].0, "one session for the conversation");
    assert!(calls[0].0.len() >= 33, "{}", calls[0].0);
    assert_eq!(calls[0].1, ["My name is Ada"], "the client's system message is left to the harness");
    assert_eq!(calls[1].1, ["What is my name?"]);
    let model_calls = a.fake.model_calls();
    let carried = model_calls[1].body["messages"].as_array().unwrap();
    assert_eq!(carried.len(), 4, "the harness's system prompt, then the conversation: {carried:?}");
    assert_eq!(carried[1]["content"], "My name is Ada");
    assert_eq!(
        model_calls[1].authorization.as_deref().map(|a| switchboard::auth::token_of(a.trim_start_matches("Bearer "))),
        Some(harness_key.clone()),
        "the harness calls the gateway with the key its provider holds"
    );

    // Another key sending the same conversation gets its own session, told everything.
    let other = caller_key(&a, "other-caller").await;
    let (status, _) = chat(&a, &other, json!({"model": "desk-harness", "messages": history})).await;
    assert_eq!(status, 200);
    let calls = invocations(&a);
    assert_ne!(calls[2].0, calls[0].0);
    assert_eq!(calls[2].1, ["My name is Ada", &said, "What is my name?"]);

    // A session named in the request is used as given.
    let named = "team-standup-2026-12-06-0123456789abcdef";
    let (status, _) = chat(
        &a,
        &key,
        json!({"model": "desk-harness", "session_id": named, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(invocations(&a)[3].0, named);

    // The harness's own tool loop stays inside it: the client hears its words, not tool calls.
    let (status, events) = chat_stream(
        &a,
        &key,
        json!({"model": "desk-harness", "messages": [{"role": "user", "content": "What time is it in Paris? Use the tool."}]}),
    )
    .await;
    assert_eq!(status, 200, "{events:?}");
    let text = stream_text(&events);
    assert!(text.contains("The tool said: It is 12:00 in Paris."), "{text}");
    assert!(!events.iter().any(|e| e.contains("tool_calls")), "{events:?}");

    // Client tools cannot be offered to a harness.
    let (status, refused) = chat(
        &a,
        &key,
        json!({"model": "desk-harness", "messages": [{"role": "user", "content": "hi"}],
               "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["message"].as_str().unwrap().contains("runs the tools configured on the harness"),
        "{refused}"
    );

    // Each turn is charged to the calling key at the model's prices; the harness's own model
    // calls are charged to the harness's key.
    let token = switchboard::auth::token_of(&key);
    let mut rows = Vec::new();
    for _ in 0..200 {
        let (_, logs) = a.get(&format!("/spend/logs?api_key={token}")).await;
        rows = logs.as_array().cloned().unwrap_or_default();
        if rows.len() == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(rows.iter().all(|r| r["model_group"] == "desk-harness"), "{rows:#?}");
    let succeeded = rows.iter().filter(|r| r["status"] == "success").count();
    assert_eq!(succeeded, 4, "Ada, her name, the named session, the tool turn: {rows:#?}");
    assert_eq!(rows.len(), 5, "and the refused tools: {rows:#?}");
    let first_row = rows.iter().find(|r| r["prompt_tokens"] == first["usage"]["prompt_tokens"]).expect("first turn");
    let expected = first["usage"]["prompt_tokens"].as_f64().unwrap() * 1e-6
        + first["usage"]["completion_tokens"].as_f64().unwrap() * 2e-6;
    assert!((first_row["spend"].as_f64().unwrap() - expected).abs() < 1e-12, "{first_row}");
    let (_, harness_logs) = a.get(&format!("/spend/logs?api_key={harness_key}")).await;
    assert!(harness_logs.as_array().unwrap().iter().all(|r| r["model_group"] == "claude-haiku"));
    let _ = arn;
}

#[tokio::test]
async fn harness_failures_reach_the_client_as_openai_errors() {
    let a = AgentCoreStack::start().await;
    let (arn, harness_key) = harness_model(&a).await;
    let key = caller_key(&a, "harness-caller").await;
    let hello = json!({"model": "desk-harness", "messages": [{"role": "user", "content": "hello"}]});

    // AgentCore refuses the call (and the client asked for no retries).
    a.fake.fail("InvokeHarness", 1, 429, "ThrottlingException", "Rate exceeded");
    let mut once = hello.clone();
    once["num_retries"] = json!(0);
    let (status, e) = chat(&a, &key, once).await;
    assert_eq!(status, 429, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("Rate exceeded"), "{e}");

    // The harness's own model call fails (its key is blocked): AgentCore reports it inside the
    // stream, before any word, so the client gets an error status with LiteLLM's text.
    let (status, _) = a.post("/key/block", json!({"key": harness_key})).await;
    assert_eq!(status, 200);
    let (status, e) = chat(&a, &key, hello.clone()).await;
    assert_eq!(status, 424, "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("RuntimeClientError") && message.contains("Litellm_proxyException"), "{message}");
    let (status, events) = chat_stream(&a, &key, hello.clone()).await;
    assert_eq!(status, 424, "{events:?}");

    // A model entry that names no harness is refused with the form expected.
    for (model, why) in [
        ("bedrock/agentcore/my_harness", "fewer than six"),
        (&*format!("bedrock/agentcore/{}", arn.replace(":harness/", ":gateway/")), "names no harness or runtime"),
    ] {
        let (status, e) =
            a.post("/model/new", json!({"model_name": "broken", "litellm_params": {"model": model}})).await;
        assert_eq!(status, 400, "{e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.contains(why) && message.contains("bedrock/agentcore/arn:aws:bedrock-agentcore"), "{message}");
    }
}

/// An agent runtime model (`bedrock/agentcore/<runtime ARN>`) for an ARN the fake serves.
async fn runtime_model(a: &AgentCoreStack, name: &str, arn: &str) {
    let (status, model) = a
        .post(
            "/model/new",
            json!({"model_name": name, "litellm_params": {
                "model": format!("bedrock/agentcore/{arn}"),
                "aws_bedrock_runtime_endpoint": a.fake.runtime_endpoint_url(),
                "aws_access_key_id": AWS_ACCESS_KEY,
                "aws_secret_access_key": AWS_SECRET,
            }}),
        )
        .await;
    assert_eq!(status, 200, "{model}");
}

/// The InvokeAgentRuntime calls the fake received: (session id, the payload sent).
fn runtime_invocations(a: &AgentCoreStack) -> Vec<(String, Value)> {
    a.fake
        .runtime_requests()
        .iter()
        .filter(|r| r.path.starts_with("/runtimes/"))
        .map(|r| (r.headers.get(SESSION_HEADER).cloned().unwrap_or_default(), r.body.clone()))
        .collect()
}

#[tokio::test]
async fn an_agent_runtime_answers_as_litellm_calls_it_in_events_or_json() {
    let a = AgentCoreStack::start().await;
    let events_arn = a.fake.add_runtime("strands_agent", false);
    let json_arn = a.fake.add_runtime("json_agent", true);
    runtime_model(&a, "strands-agent", &events_arn).await;
    runtime_model(&a, "json-agent", &json_arn).await;

    for model in ["strands-agent", "json-agent"] {
        // Streamed: the agent's text deltas as chunks (a JSON answer in one), then usage.
        let (status, events) = chat_stream(
            &a,
            MASTER_KEY,
            json!({"model": model, "messages": [{"role": "user", "content": "Plan my day"}],
                   "stream_options": {"include_usage": true}}),
        )
        .await;
        assert_eq!(status, 200, "{model}: {events:?}");
        assert_eq!(stream_text(&events), "Hello from fake-runtime! You said: Plan my day (turn 1)", "{model}");
        let chunks: Vec<Value> = events.iter().filter_map(|d| serde_json::from_str(d).ok()).collect();
        let text_chunks = chunks.iter().filter(|c| c["choices"][0]["delta"]["content"].is_string()).count();
        assert_eq!(text_chunks > 1, model == "strands-agent", "{model}: {text_chunks} text chunks");
        let usage = &chunks.last().unwrap()["usage"];
        assert!(usage["prompt_tokens"].as_u64().unwrap() > 0 && usage["completion_tokens"].as_u64().unwrap() > 0);

        // The next turn continues the session with only the new prompt.
        let (status, answer) = chat(
            &a,
            MASTER_KEY,
            json!({"model": model, "messages": [
                {"role": "user", "content": "Plan my day"},
                {"role": "assistant", "content": "Hello from fake-runtime! You said: Plan my day (turn 1)"},
                {"role": "user", "content": "Add lunch"},
            ]}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer["choices"][0]["message"]["content"], "Hello from fake-runtime! You said: Add lunch (turn 2)",
            "{model}: the session remembers the first prompt"
        );
        assert!(answer["usage"]["total_tokens"].as_u64().unwrap() > 0);
    }
    let calls = runtime_invocations(&a);
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[0].1, json!({"prompt": "Plan my day"}), "LiteLLM's payload");
    assert_eq!(calls[1].1, json!({"prompt": "Add lunch"}));
    assert_eq!(calls[0].0, calls[1].0);
    assert_ne!(calls[0].0, calls[2].0, "each model's conversation has its own session");

    // A runtime that does not exist is the client's 404.
    runtime_model(&a, "gone-agent", &events_arn.replace("strands_agent", "gone_agent")).await;
    let (status, e) =
        chat(&a, MASTER_KEY, json!({"model": "gone-agent", "messages": [{"role": "user", "content": "hi"}]})).await;
    assert_eq!(status, 404, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("Agent runtime not found"), "{e}");
}
