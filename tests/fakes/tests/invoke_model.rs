//! FakeBedrock's InvokeModel for embedding models, driven by the real `aws-sdk-bedrockruntime`
//! client: the bodies Titan and Cohere take, and Bedrock's 400 for the ones they do not.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use serde_json::{Value, json};
use switchboard_fakes::bedrock::FakeBedrock;
use switchboard_fakes::vectors::embedding;

async fn client(fake: &FakeBedrock) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(fake.endpoint_url())
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&config)
}

async fn invoke(client: &Client, model: &str, body: Value) -> Result<Value, (Option<String>, String)> {
    client
        .invoke_model()
        .model_id(model)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(serde_json::to_vec(&body).unwrap()))
        .send()
        .await
        .map(|out| serde_json::from_slice(out.body().as_ref()).unwrap())
        .map_err(|e| {
            let e = e.into_service_error();
            (e.code().map(str::to_string), e.message().unwrap_or_default().to_string())
        })
}

#[tokio::test]
async fn titan_v2_embeds_one_text_and_checks_its_body() {
    let fake = FakeBedrock::start().await.unwrap();
    let c = client(&fake).await;
    let answer = invoke(&c, "amazon.titan-embed-text-v2:0", json!({"inputText": "hello there", "dimensions": 256}))
        .await
        .unwrap();
    let vector: Vec<f32> = serde_json::from_value(answer["embedding"].clone()).unwrap();
    assert_eq!(vector, embedding("hello there", 256));
    assert_eq!(answer["inputTextTokenCount"], 2);
    assert_eq!(fake.requests()[0].path, "/model/amazon.titan-embed-text-v2:0/invoke");

    for (body, words) in [
        (json!({"texts": ["x"]}), "extraneous key [texts]"),
        (json!({}), "required key [inputText]"),
        (json!({"inputText": ""}), "minLength"),
        (json!({"inputText": "x", "dimensions": 100}), "dimensions"),
        (json!({"inputText": "x", "normalize": "yes"}), "normalize"),
    ] {
        let (code, message) = invoke(&c, "amazon.titan-embed-text-v2:0", body.clone()).await.unwrap_err();
        assert_eq!(code.as_deref(), Some("ValidationException"), "{body}");
        assert!(message.starts_with("Malformed input request") && message.contains(words), "{body}: {message}");
    }
    let (_, message) =
        invoke(&c, "amazon.titan-embed-text-v1", json!({"inputText": "x", "dimensions": 256})).await.unwrap_err();
    assert!(message.contains("extraneous key [dimensions]"), "v1 takes inputText only: {message}");
}

#[tokio::test]
async fn cohere_embeds_texts_in_both_answer_shapes() {
    let fake = FakeBedrock::start().await.unwrap();
    let c = client(&fake).await;
    let plain = invoke(&c, "cohere.embed-english-v3", json!({"texts": ["a b", "c"], "input_type": "search_query"}))
        .await
        .unwrap();
    assert_eq!(plain["response_type"], "embeddings_floats");
    let first: Vec<f32> = serde_json::from_value(plain["embeddings"][0].clone()).unwrap();
    assert_eq!(first, embedding("a b", 1024));
    let typed = invoke(
        &c,
        "cohere.embed-multilingual-v3",
        json!({"texts": ["c"], "input_type": "search_document", "embedding_types": ["float"]}),
    )
    .await
    .unwrap();
    let only: Vec<f32> = serde_json::from_value(typed["embeddings"]["float"][0].clone()).unwrap();
    assert_eq!(only, embedding("c", 1024));

    for (body, words) in [
        (json!({"texts": ["x"]}), "required key [input_type]"),
        (json!({"texts": [], "input_type": "search_query"}), "minimum item count"),
        (json!({"texts": ["x"], "input_type": "poetry"}), "input_type"),
        (json!({"inputText": "x", "input_type": "search_query"}), "extraneous key [inputText]"),
        (json!({"texts": vec!["x"; 97], "input_type": "search_query"}), "maximum item count: 96"),
    ] {
        let (code, message) = invoke(&c, "cohere.embed-english-v3", body.clone()).await.unwrap_err();
        assert_eq!(code.as_deref(), Some("ValidationException"), "{body}");
        assert!(message.contains(words), "{body}: {message}");
    }
    let (code, _) =
        invoke(&c, "us.anthropic.claude-haiku-4-5-20251001-v1:0", json!({"inputText": "x"})).await.unwrap_err();
    assert_eq!(code.as_deref(), Some("ValidationException"), "chat models do not embed");
}
