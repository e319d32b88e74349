//! FakeBedrock driven by the real `aws-sdk-bedrockruntime` client.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConversationRole, ConverseStreamOutput, ImageBlock,
    ImageFormat, ImageSource, InferenceConfiguration, Message, StopReason, SystemContentBlock, Tool, ToolConfiguration,
    ToolInputSchema, ToolResultBlock, ToolResultContentBlock, ToolResultStatus, ToolSpecification, ToolUseBlock,
};
use aws_smithy_types::Document;
use switchboard_fakes::bedrock::FakeBedrock;

const HAIKU: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const PROFILE_ARN: &str =
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0";

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

fn user_text(text: &str) -> Message {
    Message::builder().role(ConversationRole::User).content(ContentBlock::Text(text.into())).build().unwrap()
}

fn doc(value: serde_json::Value) -> Document {
    match value {
        serde_json::Value::Null => Document::Null,
        serde_json::Value::Bool(b) => Document::Bool(b),
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(u) => Document::Number(aws_smithy_types::Number::PosInt(u)),
            None => Document::Number(aws_smithy_types::Number::Float(n.as_f64().unwrap())),
        },
        serde_json::Value::String(s) => Document::String(s),
        serde_json::Value::Array(items) => Document::Array(items.into_iter().map(doc).collect()),
        serde_json::Value::Object(map) => {
            Document::Object(map.into_iter().map(|(k, v)| (k, doc(v))).collect::<HashMap<_, _>>())
        }
    }
}

fn weather_tools() -> ToolConfiguration {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "metric": {"type": "boolean"},
        },
        "required": ["city"],
    });
    ToolConfiguration::builder()
        .tools(Tool::ToolSpec(
            ToolSpecification::builder()
                .name("get_weather")
                .description("Get the weather for a city")
                .input_schema(ToolInputSchema::Json(doc(schema)))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap()
}

fn message_text(message: &Message) -> String {
    message.content().iter().filter_map(|b| b.as_text().ok()).cloned().collect::<Vec<_>>().join("")
}

#[tokio::test]
async fn converse_text_reply() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    let out = client
        .converse()
        .model_id(HAIKU)
        .system(SystemContentBlock::Text("You are terse.".into()))
        .messages(user_text("hello there"))
        .send()
        .await
        .unwrap();
    let message = out.output().unwrap().as_message().unwrap();
    assert_eq!(message.role(), &ConversationRole::Assistant);
    assert_eq!(message_text(message), "Hello from fake-bedrock! You said: hello there");
    assert_eq!(out.stop_reason(), &StopReason::EndTurn);
    let usage = out.usage().unwrap();
    assert_eq!(usage.input_tokens(), 5); // "You are terse." + "hello there"
    assert_eq!(usage.output_tokens(), 7);
    assert_eq!(usage.total_tokens(), 12);

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, format!("/model/{HAIKU}/converse"));
    assert!(requests[0].headers["authorization"].starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
    assert_eq!(requests[0].body["messages"][0]["content"][0]["text"], "hello there");
    fake.clear();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn converse_max_tokens_and_image() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    let image = ImageBlock::builder()
        .format(ImageFormat::Png)
        .source(ImageSource::Bytes(Blob::new(vec![1_u8; 68])))
        .build()
        .unwrap();
    let message = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text("what is this".into()))
        .content(ContentBlock::Image(image))
        .build()
        .unwrap();
    let out = client.converse().model_id(HAIKU).messages(message.clone()).send().await.unwrap();
    assert_eq!(
        message_text(out.output().unwrap().as_message().unwrap()),
        "Hello from fake-bedrock! You said: what is this [image: png, 68 bytes]"
    );

    let out = client
        .converse()
        .model_id(HAIKU)
        .messages(message)
        .inference_config(InferenceConfiguration::builder().max_tokens(3).temperature(0.2).build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::MaxTokens);
    assert_eq!(message_text(out.output().unwrap().as_message().unwrap()), "Hello from fake-bedrock!");
    assert_eq!(out.usage().unwrap().output_tokens(), 3);
}

#[tokio::test]
async fn converse_with_tools_and_round_trip() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    let question = user_text("What is the weather in Paris?");
    let out =
        client.converse().model_id(HAIKU).messages(question.clone()).tool_config(weather_tools()).send().await.unwrap();
    assert_eq!(out.stop_reason(), &StopReason::ToolUse);
    assert_eq!(out.usage().unwrap().output_tokens(), 5);
    let assistant = out.output().unwrap().as_message().unwrap().clone();
    let tool_use = assistant.content().iter().find_map(|b| b.as_tool_use().ok()).expect("a toolUse block").clone();
    assert_eq!(tool_use.name(), "get_weather");
    let id = tool_use.tool_use_id();
    assert!(id.starts_with("tooluse_") && id.len() == "tooluse_".len() + 22, "{id}");
    assert!(id["tooluse_".len()..].chars().all(|c| c.is_ascii_alphanumeric()));
    let input = tool_use.input().as_object().expect("input is an object");
    assert_eq!(input["city"], Document::String("Paris".into()));
    assert_eq!(input["days"], Document::Number(aws_smithy_types::Number::PosInt(1)));
    assert_eq!(input["metric"], Document::Bool(true));

    // Send the tool result back.
    let result = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id(id)
                .content(ToolResultContentBlock::Text("22 degrees and sunny".into()))
                .status(ToolResultStatus::Success)
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let out = client
        .converse()
        .model_id(HAIKU)
        .messages(question)
        .messages(assistant)
        .messages(result)
        .tool_config(weather_tools())
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::EndTurn);
    assert_eq!(message_text(out.output().unwrap().as_message().unwrap()), "The tool said: 22 degrees and sunny");
}

async fn expect_validation(client: &Client, messages: Vec<Message>, tools: Option<ToolConfiguration>) -> String {
    let err = client
        .converse()
        .model_id(HAIKU)
        .set_messages(Some(messages))
        .set_tool_config(tools)
        .send()
        .await
        .expect_err("the fake must reject this request");
    let err = err.into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    err.message().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn malformed_requests_are_rejected() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;

    // toolUse/toolResult without toolConfig
    let assistant = Message::builder()
        .role(ConversationRole::Assistant)
        .content(ContentBlock::ToolUse(
            ToolUseBlock::builder()
                .tool_use_id("tooluse_abc")
                .name("get_weather")
                .input(doc(serde_json::json!({"city": "Paris"})))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let result = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id("tooluse_abc")
                .content(ToolResultContentBlock::Text("sunny".into()))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let message =
        expect_validation(&client, vec![user_text("weather?"), assistant.clone(), result.clone()], None).await;
    assert_eq!(message, "The toolConfig field must be defined when using toolUse and toolResult content blocks.");

    // A toolResult that answers an id the previous turn did not issue.
    let wrong_result = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id("tooluse_other")
                .content(ToolResultContentBlock::Text("sunny".into()))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let message =
        expect_validation(&client, vec![user_text("weather?"), assistant.clone(), wrong_result], Some(weather_tools()))
            .await;
    assert!(message.contains("tooluse_other"), "{message}");

    // A toolUse that is not answered.
    let message = expect_validation(
        &client,
        vec![user_text("weather?"), assistant, user_text("never mind")],
        Some(weather_tools()),
    )
    .await;
    assert_eq!(message, "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_abc");

    // Non-alternating roles.
    let message = expect_validation(&client, vec![user_text("a"), user_text("b")], None).await;
    assert!(message.starts_with("A conversation must alternate between user and assistant roles."));

    // Blank text.
    let message = expect_validation(&client, vec![user_text("   ")], None).await;
    assert_eq!(
        message,
        "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to \
         the text field, and try again."
    );

    // Starting with the assistant.
    let assistant_text =
        Message::builder().role(ConversationRole::Assistant).content(ContentBlock::Text("hi".into())).build().unwrap();
    let message = expect_validation(&client, vec![assistant_text], None).await;
    assert!(message.contains("must start with a user message"), "{message}");
}

#[tokio::test]
async fn converse_stream_text_and_tool_use() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    let mut out = client
        .converse_stream()
        .model_id(HAIKU)
        .messages(user_text("What is the weather?"))
        .tool_config(weather_tools())
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    let mut tool_start = None;
    let mut tool_input = String::new();
    let mut tool_deltas = 0;
    let mut kinds = Vec::new();
    let mut stop_reason = None;
    let mut usage = None;
    while let Some(event) = out.stream.recv().await.unwrap() {
        match &event {
            ConverseStreamOutput::MessageStart(start) => {
                assert_eq!(start.role(), &ConversationRole::Assistant);
                kinds.push("messageStart");
            }
            ConverseStreamOutput::ContentBlockStart(start) => {
                kinds.push("contentBlockStart");
                assert_eq!(start.content_block_index(), 1);
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start() {
                    tool_start = Some((tool.tool_use_id().to_owned(), tool.name().to_owned()));
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                kinds.push("contentBlockDelta");
                match delta.delta() {
                    Some(ContentBlockDelta::Text(t)) => {
                        assert_eq!(delta.content_block_index(), 0);
                        text.push_str(t);
                    }
                    Some(ContentBlockDelta::ToolUse(t)) => {
                        assert_eq!(delta.content_block_index(), 1);
                        tool_deltas += 1;
                        tool_input.push_str(t.input());
                    }
                    other => panic!("unexpected delta {other:?}"),
                }
            }
            ConverseStreamOutput::ContentBlockStop(_) => kinds.push("contentBlockStop"),
            ConverseStreamOutput::MessageStop(stop) => {
                kinds.push("messageStop");
                stop_reason = Some(stop.stop_reason().clone());
            }
            ConverseStreamOutput::Metadata(metadata) => {
                kinds.push("metadata");
                usage = metadata.usage().cloned();
                assert_eq!(metadata.metrics().unwrap().latency_ms(), 12);
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert_eq!(text, "Let me check.");
    let (id, name) = tool_start.expect("a toolUse contentBlockStart");
    assert!(id.starts_with("tooluse_"));
    assert_eq!(name, "get_weather");
    assert_eq!(tool_deltas, 2);
    let input: serde_json::Value = serde_json::from_str(&tool_input).unwrap();
    assert_eq!(input, serde_json::json!({"city": "Paris", "days": 1, "metric": true}));
    assert_eq!(stop_reason, Some(StopReason::ToolUse));
    let usage = usage.expect("usage in metadata");
    assert_eq!(usage.input_tokens(), 4);
    assert_eq!(usage.output_tokens(), 5);
    assert_eq!(
        kinds,
        [
            "messageStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "contentBlockStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata"
        ]
    );
    assert_eq!(fake.active_streams(), 0);
}

#[tokio::test]
async fn converse_stream_plain_text() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    let mut out = client.converse_stream().model_id(PROFILE_ARN).messages(user_text("stream me")).send().await.unwrap();
    let mut pieces = Vec::new();
    let mut stop_reason = None;
    while let Some(event) = out.stream.recv().await.unwrap() {
        match event {
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                if let Some(ContentBlockDelta::Text(t)) = delta.delta() {
                    pieces.push(t.clone());
                }
            }
            ConverseStreamOutput::MessageStop(stop) => stop_reason = Some(stop.stop_reason().clone()),
            _ => {}
        }
    }
    assert_eq!(pieces.len(), 7, "{pieces:?}");
    assert_eq!(pieces[0], "Hello ");
    assert_eq!(pieces.concat(), "Hello from fake-bedrock! You said: stream me");
    assert_eq!(stop_reason, Some(StopReason::EndTurn));
    assert_eq!(fake.requests()[0].path, format!("/model/{PROFILE_ARN}/converse-stream"));
}

#[tokio::test]
async fn midstream_error_surfaces_from_recv() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    let mut out =
        client.converse_stream().model_id("fake-midstream-error").messages(user_text("hello")).send().await.unwrap();
    let mut events = 0;
    let err = loop {
        match out.stream.recv().await {
            Ok(Some(_)) => events += 1,
            Ok(None) => panic!("the stream ended without an error"),
            Err(err) => break err,
        }
    };
    assert_eq!(events, 3); // messageStart + two deltas
    let err = err.into_service_error();
    assert!(err.is_model_stream_error_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Model stream failed"));
}

#[tokio::test]
async fn service_errors() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;

    let err = client.converse().model_id("fake-throttle").messages(user_text("hi")).send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_throttling_exception(), "{err:?}");
    assert_eq!(err.message(), Some("Too many requests, please wait before trying again."));

    let err = client.converse().model_id("fake-server-error").messages(user_text("hi")).send().await.unwrap_err();
    assert!(err.into_service_error().is_internal_server_exception());

    let err = client.converse().model_id("fake-access-denied").messages(user_text("hi")).send().await.unwrap_err();
    assert!(err.into_service_error().is_access_denied_exception());

    let err = client.converse().model_id("invalid-model").messages(user_text("hi")).send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_validation_exception());
    assert_eq!(err.message(), Some("The provided model identifier is invalid."));

    let err = client.converse_stream().model_id("fake-throttle").messages(user_text("hi")).send().await.unwrap_err();
    assert!(err.into_service_error().is_throttling_exception());
}

#[tokio::test]
async fn inference_profile_arn_is_decoded() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    client.converse().model_id(PROFILE_ARN).messages(user_text("hi")).send().await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, format!("/model/{PROFILE_ARN}/converse"));
}

#[tokio::test]
async fn unsigned_requests_are_rejected() {
    let fake = FakeBedrock::start().await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/model/{}/converse", fake.endpoint_url(), "m"))
        .json(&serde_json::json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["x-amzn-errortype"], "UnrecognizedClientException");
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["message"], "The security token included in the request is invalid.");
}

#[tokio::test]
async fn hung_stream_is_released_when_the_client_goes_away() {
    let fake = FakeBedrock::start().await.unwrap();
    let client = client(&fake).await;
    let mut out =
        client.converse_stream().model_id("fake-hang-stream").messages(user_text("hello")).send().await.unwrap();
    let first = out.stream.recv().await.unwrap();
    assert!(matches!(first, Some(ConverseStreamOutput::MessageStart(_))));
    assert_eq!(fake.active_streams(), 1);
    drop(out);
    drop(client);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while fake.active_streams() != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the stream was not released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
