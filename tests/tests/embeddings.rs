//! `/v1/embeddings` and `/v1/completions` through the gateway, against the wire-protocol fakes:
//! OpenAI-compatible upstreams natively, Bedrock through InvokeModel (embeddings) and Converse
//! (completions), under the same keys, access rules, budgets, limits, spend rows and router as
//! chat. Runs on SQLite, and on PostgreSQL in `make test-postgres`.

use base64::Engine;
use serde_json::{Value, json};
use switchboard_fakes::vectors::{DEFAULT_DIMENSIONS, embedding};
use switchboard_tests::*;

/// Aliases for embedding and completion models on both fakes, beside the chat aliases.
fn config(openai: &FakeOpenAi, bedrock: &FakeBedrock) -> String {
    let oa = openai.base_url();
    let br = bedrock.endpoint_url();
    let bedrock_params = format!(
        "aws_region_name: us-east-1, aws_bedrock_runtime_endpoint: '{br}', aws_access_key_id: AKIDTESTGATEWAY, aws_secret_access_key: gateway-test-secret"
    );
    let openai_params = format!("api_base: '{oa}', api_key: {UPSTREAM_KEY}");
    format!(
        "model_list:
  - model_name: embed-small
    litellm_params: {{model: openai/text-embedding-3-small, {openai_params}, temperature: 0.5}}
    model_info: {{mode: embedding}}
  - model_name: embed-priced
    litellm_params: {{model: openai/text-embedding-3-small, {openai_params}, input_cost_per_token: 0.01}}
    model_info: {{mode: embedding}}
  - model_name: embed-broken
    litellm_params: {{model: openai/fake-500, {openai_params}, max_retries: 0}}
    model_info: {{mode: embedding}}
  - model_name: titan-embed
    litellm_params: {{model: bedrock/amazon.titan-embed-text-v2:0, {bedrock_params}}}
  - model_name: cohere-embed
    litellm_params: {{model: bedrock/cohere.embed-english-v3, {bedrock_params}}}
    model_info: {{mode: embedding}}
  - model_name: claude-haiku
    litellm_params: {{model: bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0, {bedrock_params}}}
  - model_name: gpt-4o-mini
    litellm_params: {{model: openai/gpt-4o-mini, {openai_params}}}
  - model_name: instruct
    litellm_params: {{model: text-completion-openai/gpt-3.5-turbo-instruct, {openai_params}, seed: 7, reasoning_effort: low}}
router_settings:
  fallbacks: [{{\"embed-broken\": [\"embed-small\"]}}]
general_settings:
  master_key: {MASTER_KEY}
"
    )
}

async fn stack() -> Stack {
    let openai = FakeOpenAi::start().await.expect("fake openai");
    let bedrock = FakeBedrock::start().await.expect("fake bedrock");
    let gateway = start_gateway(&config(&openai, &bedrock)).await;
    Stack { openai, bedrock, gateway, http: client() }
}

async fn post_as(s: &Stack, key: &str, path: &str, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let r = s.http.post(s.url(path)).bearer_auth(key).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.json().await.unwrap_or(Value::Null), headers)
}

async fn embed(s: &Stack, body: Value) -> (u16, Value) {
    let (status, body, _) = post_as(s, MASTER_KEY, "/v1/embeddings", &body).await;
    (status, body)
}

async fn admin(s: &Stack, path: &str, body: Value) -> Value {
    let r = s.post(path, &body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path} {body} → {status}: {v}");
    v
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|f| f.as_f64().unwrap() as f32).collect()
}

/// What the openai SDKs do with a base64 embedding: little-endian f32s.
fn decode_base64(v: &Value) -> Vec<f32> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

#[tokio::test]
async fn openai_compatible_embeddings_in_float_and_base64() {
    let s = stack().await;
    let r = s
        .post(
            "/v1/embeddings",
            &json!({"model": "embed-small", "input": ["hello world", "second text here"], "metadata": {"team": "x"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-litellm-model-group"], "embed-small");
    let cost: f64 = r.headers()["x-litellm-response-cost"].to_str().unwrap().parse().unwrap();
    assert!(cost > 0.0, "text-embedding-3-small is in the price map");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["model"], "embed-small");
    assert_eq!(body["object"], "list");
    assert_eq!(floats(&body["data"][0]["embedding"]), embedding("hello world", DEFAULT_DIMENSIONS));
    assert_eq!(floats(&body["data"][1]["embedding"]), embedding("second text here", DEFAULT_DIMENSIONS));
    assert_eq!(body["data"][1]["index"], 1);
    assert_eq!(body["usage"], json!({"prompt_tokens": 5, "total_tokens": 5}));

    let sent = &s.openai.requests()[0];
    assert_eq!(sent.path, "/v1/embeddings");
    assert_eq!(sent.headers["authorization"], format!("Bearer {UPSTREAM_KEY}"));
    assert_eq!(
        sent.body,
        json!({"model": "text-embedding-3-small", "input": ["hello world", "second text here"]}),
        "LiteLLM's own parameters, and chat defaults (temperature), never reach the upstream"
    );

    // What the openai SDK asks for by default.
    let (status, body) = embed(
        &s,
        json!({"model": "embed-small", "input": "hello world", "encoding_format": "base64", "dimensions": 4}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(decode_base64(&body["data"][0]["embedding"]), embedding("hello world", 4));

    // Token input, the path without /v1 and the Azure-style path.
    let (status, body) = embed(&s, json!({"model": "embed-small", "input": [[1, 2, 3]]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(floats(&body["data"][0]["embedding"]), embedding("1 2 3", DEFAULT_DIMENSIONS));
    assert_eq!(s.post("/embeddings", &json!({"model": "embed-small", "input": "x"})).await.status(), 200);
    let r = s.post("/openai/deployments/embed-small/embeddings", &json!({"input": "x"})).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn bedrock_titan_and_cohere_through_invoke_model() {
    let s = stack().await;
    let (status, body) =
        embed(&s, json!({"model": "titan-embed", "input": ["one two", "three"], "dimensions": 256})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model"], "titan-embed");
    assert_eq!(floats(&body["data"][0]["embedding"]), embedding("one two", 256));
    assert_eq!(floats(&body["data"][1]["embedding"]), embedding("three", 256));
    assert_eq!(body["usage"], json!({"prompt_tokens": 3, "total_tokens": 3}));
    let sent = s.bedrock.requests();
    assert_eq!(sent.len(), 2, "Titan embeds one text per call");
    assert_eq!(sent[0].path, "/model/amazon.titan-embed-text-v2:0/invoke");
    assert!(sent[0].headers["authorization"].starts_with("AWS4-HMAC-SHA256 Credential=AKIDTESTGATEWAY/"));
    let mut bodies: Vec<Value> = sent.iter().map(|r| r.body.clone()).collect();
    bodies.sort_by_key(|b| b["inputText"].as_str().unwrap().to_string());
    assert_eq!(bodies[0], json!({"inputText": "one two", "dimensions": 256, "normalize": true}));

    s.bedrock.clear();
    let (status, body) = embed(
        &s,
        json!({"model": "cohere-embed", "input": ["alpha beta gamma", "delta"], "encoding_format": "base64"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(decode_base64(&body["data"][0]["embedding"]), embedding("alpha beta gamma", 1024));
    assert_eq!(decode_base64(&body["data"][1]["embedding"]), embedding("delta", 1024));
    assert_eq!(body["usage"]["prompt_tokens"], 4, "from X-Amzn-Bedrock-Input-Token-Count");
    let sent = s.bedrock.requests();
    assert_eq!(sent.len(), 1, "Cohere takes the texts in one call");
    assert_eq!(sent[0].path, "/model/cohere.embed-english-v3/invoke");
    assert_eq!(
        sent[0].body,
        json!({"texts": ["alpha beta gamma", "delta"], "input_type": "search_document", "embedding_types": ["float"]})
    );

    // Bedrock's own refusal of a body it does not take keeps its meaning.
    let (status, body) = embed(&s, json!({"model": "titan-embed", "input": "x", "dimensions": 100})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("ValidationException"), "{body}");
    let (status, body) = embed(&s, json!({"model": "cohere-embed", "input": "x", "dimensions": 100})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("dimensions"), "{body}");
}

#[tokio::test]
async fn models_that_cannot_embed_and_bad_input_get_a_400_naming_them() {
    let s = stack().await;
    let (status, body) = embed(&s, json!({"model": "claude-haiku", "input": "hi"})).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("model=claude-haiku") && message.contains("not an embedding model"), "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(s.bedrock.requests().is_empty());
    let (status, body) = embed(&s, json!({"model": "titan-embed", "input": [1, 2]})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("input"), "{body}");

    for (request, param) in [
        (json!({"model": "embed-small"}), "input"),
        (json!({"model": "embed-small", "input": ""}), "input"),
        (json!({"model": "embed-small", "input": []}), "input"),
        (json!({"model": "embed-small", "input": {"text": "x"}}), "input"),
        (json!({"model": "embed-small", "input": ["a", 2]}), "input"),
        (json!({"model": "embed-small", "input": "x", "encoding_format": "int8"}), "encoding_format"),
        (json!({"model": "embed-small", "input": "x", "dimensions": -1}), "dimensions"),
        (json!({"input": "x"}), "model"),
    ] {
        let (status, body) = embed(&s, request.clone()).await;
        assert_eq!(status, 400, "{request}: {body}");
        assert_eq!(body["error"]["param"], param, "{request}: {body}");
    }
    let r = s.http.post(s.url("/v1/embeddings")).bearer_auth(MASTER_KEY).body("{nope").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let (status, body) = embed(&s, json!({"model": "nope", "input": "x"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("/embeddings: Invalid model name"), "{body}");
    assert!(s.openai.requests().is_empty());
}

#[tokio::test]
async fn keys_access_rules_budgets_limits_and_spend_rows() {
    let s = stack().await;
    let key = admin(&s, "/key/generate", json!({"models": ["embed-small", "instruct"], "key_alias": "emb"})).await;
    let key = key["key"].as_str().unwrap().to_string();
    let body = json!({"model": "embed-small", "input": "hello there"});
    let (status, answer, headers) = post_as(&s, &key, "/v1/embeddings", &body).await;
    assert_eq!(status, 200, "{answer}");
    let call_id = headers["x-litellm-call-id"].to_str().unwrap().to_string();
    let (status, answer, _) =
        post_as(&s, &key, "/v1/embeddings", &json!({"model": "titan-embed", "input": "hello"})).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["type"], "key_model_access_denied");
    assert!(s.bedrock.requests().is_empty());

    let rows: Value = s.get(&format!("/spend/logs?request_id={call_id}")).await.json().await.unwrap();
    let row = &rows[0];
    assert_eq!(row["call_type"], "aembedding", "{rows}");
    assert_eq!(row["model_group"], "embed-small");
    assert_eq!(row["prompt_tokens"], 2);
    assert_eq!(row["completion_tokens"], 0);
    assert!(row["spend"].as_f64().unwrap() > 0.0, "{row}");
    let refused: Value = s.get(&format!("/spend/logs?api_key={key}&status=failure")).await.json().await.unwrap();
    assert_eq!(refused[0]["call_type"], "aembedding", "{refused}");
    assert_eq!(refused[0]["metadata"]["outcome"], "refused");

    // 1 cent per token: a 3-token call costs 3 cents, past a 2-cent budget.
    let small = admin(&s, "/key/generate", json!({"max_budget": 0.02, "key_alias": "small-budget"})).await;
    let small = small["key"].as_str().unwrap();
    let priced = json!({"model": "embed-priced", "input": "one two three"});
    let (status, answer, headers) = post_as(&s, small, "/v1/embeddings", &priced).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(headers["x-litellm-response-cost"], "0.03");
    let (status, answer, _) = post_as(&s, small, "/v1/embeddings", &priced).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["type"], "budget_exceeded");
    let info: Value = s.get(&format!("/key/info?key={small}")).await.json().await.unwrap();
    assert!((info["info"]["spend"].as_f64().unwrap() - 0.03).abs() < 1e-9, "{info}");

    let limited = admin(&s, "/key/generate", json!({"rpm_limit": 1})).await;
    let limited = limited["key"].as_str().unwrap();
    assert_eq!(post_as(&s, limited, "/v1/embeddings", &body).await.0, 200);
    let (status, answer, _) = post_as(&s, limited, "/v1/embeddings", &body).await;
    assert_eq!(status, 429, "{answer}");
}

#[tokio::test]
async fn the_router_falls_back_for_embeddings_and_model_info_shows_modes() {
    let s = stack().await;
    let (status, body, headers) =
        post_as(&s, MASTER_KEY, "/v1/embeddings", &json!({"model": "embed-broken", "input": "x"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["x-litellm-attempted-fallbacks"], "1");
    assert_eq!(headers["x-litellm-model-group"], "embed-small");
    assert_eq!(s.openai.requests().len(), 2);

    let info: Value = s.get("/model/info").await.json().await.unwrap();
    let mode = |name: &str| {
        info["data"].as_array().unwrap().iter().find(|d| d["model_name"] == name).unwrap()["model_info"]["mode"].clone()
    };
    assert_eq!(mode("embed-small"), "embedding");
    assert_eq!(mode("titan-embed"), "embedding", "from the price map");
    assert_eq!(mode("claude-haiku"), "chat");

    // `/health` checks an embedding deployment with an embedding, not a chat request.
    s.bedrock.clear();
    let health: Value = s.get("/health?model=titan-embed").await.json().await.unwrap();
    assert_eq!(health["healthy_count"], 1, "{health}");
    assert!(s.bedrock.requests()[0].path.ends_with("/invoke"));
}

#[tokio::test]
async fn text_completions_over_an_openai_compatible_upstream() {
    let s = stack().await;
    let (status, body, headers) =
        post_as(&s, MASTER_KEY, "/v1/completions", &json!({"model": "instruct", "prompt": "Say hi", "max_tokens": 20}))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["model"], "instruct");
    assert_eq!(body["choices"][0]["text"], "Hello from fake-openai! You said: Say hi");
    assert_eq!(body["usage"]["prompt_tokens"], 2);
    let call_id = headers["x-litellm-call-id"].to_str().unwrap().to_string();
    let sent = &s.openai.requests()[0];
    assert_eq!(sent.path, "/v1/completions");
    assert_eq!(
        sent.body,
        json!({"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "max_tokens": 20, "seed": 7}),
        "the deployment's defaults that text completions take"
    );

    let r = s.post("/completions", &json!({"model": "instruct", "prompt": ["Stream me"], "stream": true})).await;
    assert_eq!(r.status(), 200);
    let stream_call = r.headers()["x-litellm-call-id"].to_str().unwrap().to_string();
    let events = sse_data(&r.text().await.unwrap());
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events.iter().filter_map(|e| serde_json::from_str(e).ok()).collect();
    assert!(chunks.iter().all(|c| c["model"] == "instruct" && c["object"] == "text_completion"), "{chunks:?}");
    assert!(chunks.iter().all(|c| c.get("usage").is_none_or(Value::is_null)), "no usage unless asked: {chunks:?}");
    let text: String = chunks.iter().filter_map(|c| c["choices"][0]["text"].as_str()).collect();
    assert_eq!(text, "Hello from fake-openai! You said: Stream me");
    assert_eq!(s.openai.requests()[1].body["stream_options"], json!({"include_usage": true}));

    let r = s
        .post(
            "/v1/completions",
            &json!({"model": "instruct", "prompt": "count", "stream": true, "stream_options": {"include_usage": true}}),
        )
        .await;
    let events = sse_data(&r.text().await.unwrap());
    let usage: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage["usage"]["prompt_tokens"], 1, "{usage}");

    for id in [call_id, stream_call] {
        let rows: Value = s.get(&format!("/spend/logs?request_id={id}")).await.json().await.unwrap();
        assert_eq!(rows[0]["call_type"], "atext_completion", "{rows}");
        assert!(rows[0]["completion_tokens"].as_u64().unwrap() > 0, "usage of streams too: {rows}");
    }
}

#[tokio::test]
async fn text_completions_over_bedrock_are_chat_turns() {
    let s = stack().await;
    let (status, body, _) = post_as(
        &s,
        MASTER_KEY,
        "/v1/completions",
        &json!({"model": "claude-haiku", "prompt": "Say hi", "max_tokens": 30, "echo": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["model"], "claude-haiku");
    assert!(body["id"].as_str().unwrap().starts_with("cmpl-"), "{body}");
    assert_eq!(body["choices"][0]["text"], "Say hiHello from fake-bedrock! You said: Say hi");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let sent = &s.bedrock.requests()[0];
    assert_eq!(sent.path, "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/converse");
    assert_eq!(sent.body["messages"], json!([{"role": "user", "content": [{"text": "Say hi"}]}]));
    assert_eq!(sent.body["inferenceConfig"]["maxTokens"], 30);

    let r = s
        .post(
            "/v1/completions",
            &json!({"model": "claude-haiku", "prompt": "Stream me", "stream": true, "stream_options": {"include_usage": true}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let events = sse_data(&r.text().await.unwrap());
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events.iter().filter_map(|e| serde_json::from_str(e).ok()).collect();
    assert!(chunks.iter().all(|c| c["object"] == "text_completion" && c["model"] == "claude-haiku"), "{chunks:?}");
    let text: String = chunks.iter().filter_map(|c| c["choices"][0]["text"].as_str()).collect();
    assert_eq!(text, "Hello from fake-bedrock! You said: Stream me");
    assert!(chunks.iter().any(|c| c["choices"][0]["finish_reason"] == "stop"));
    assert!(chunks.last().unwrap()["usage"]["total_tokens"].as_u64().unwrap() > 0, "{chunks:?}");

    for (request, words) in [
        (json!({"model": "claude-haiku", "prompt": ["a", "b"]}), "prompt"),
        (json!({"model": "claude-haiku", "prompt": "x", "logprobs": 2}), "logprobs"),
        (json!({"model": "claude-haiku"}), "prompt"),
        (json!({"model": "claude-haiku", "prompt": 5}), "prompt"),
    ] {
        let (status, body, _) = post_as(&s, MASTER_KEY, "/v1/completions", &request).await;
        assert_eq!(status, 400, "{request}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{request}: {body}");
    }
}
