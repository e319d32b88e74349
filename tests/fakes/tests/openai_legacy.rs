//! FakeOpenAi's `/v1/embeddings` and `/v1/completions`, driven over HTTP with reqwest.

use base64::Engine;
use serde_json::{Value, json};
use switchboard_fakes::openai::FakeOpenAi;
use switchboard_fakes::vectors::{DEFAULT_DIMENSIONS, embedding};

const KEY: &str = "sk-upstream-test";

async fn post(fake: &FakeOpenAi, path: &str, body: Value) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", fake.base_url()))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn embeddings_float_base64_and_strict_parameters() {
    let fake = FakeOpenAi::start().await.unwrap();
    let (status, body) = post(&fake, "/embeddings", json!({"model": "m", "input": ["one two", "three"]})).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let first: Vec<f32> = serde_json::from_value(body["data"][0]["embedding"].clone()).unwrap();
    assert_eq!(first, embedding("one two", DEFAULT_DIMENSIONS));
    assert_eq!(body["usage"], json!({"prompt_tokens": 3, "total_tokens": 3}));

    let (_, body) =
        post(&fake, "/embeddings", json!({"model": "m", "input": "x", "encoding_format": "base64", "dimensions": 3}))
            .await;
    let body: Value = serde_json::from_str(&body).unwrap();
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(body["data"][0]["embedding"].as_str().unwrap()).unwrap();
    let floats: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(floats, embedding("x", 3));

    for (request, param) in [
        (json!({"model": "m"}), "input"),
        (json!({"model": "m", "input": ""}), "input"),
        (json!({"model": "m", "input": [[]]}), "input"),
        (json!({"model": "m", "input": "x", "metadata": {}}), "metadata"),
        (json!({"model": "m", "input": "x", "encoding_format": "int8"}), "encoding_format"),
    ] {
        let (status, body) = post(&fake, "/embeddings", request.clone()).await;
        assert_eq!(status, 400, "{request}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"]["param"], param, "{request}");
    }
}

#[tokio::test]
async fn completions_whole_and_streamed() {
    let fake = FakeOpenAi::start().await.unwrap();
    let (status, body) = post(&fake, "/completions", json!({"model": "m", "prompt": "Say hi", "echo": true})).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["choices"][0]["text"], "Say hiHello from fake-openai! You said: Say hi");

    let (_, text) = post(
        &fake,
        "/completions",
        json!({"model": "m", "prompt": "a b", "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 3}),
    )
    .await;
    let events: Vec<&str> = text.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events.iter().filter_map(|e| serde_json::from_str(e).ok()).collect();
    let joined: String = chunks.iter().filter_map(|c| c["choices"][0]["text"].as_str()).collect();
    assert_eq!(joined, "Hello from fake-openai!");
    assert!(chunks.iter().any(|c| c["choices"][0]["finish_reason"] == "length"));
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 3);

    let (status, body) = post(&fake, "/completions", json!({"model": "m", "prompt": "x", "stream_options": {}})).await;
    assert_eq!(status, 400, "stream_options needs stream: {body}");
    let (status, _) = post(&fake, "/completions", json!({"model": "m"})).await;
    assert_eq!(status, 400);
}
