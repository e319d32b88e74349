//! FakeAgentCore driven by the real `aws-sdk-bedrockagentcorecontrol` and
//! `aws-sdk-bedrockagentcore` clients.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_bedrockagentcore::types::{
    HarnessContentBlock, HarnessContentBlockDelta, HarnessConversationRole, HarnessMessage, InvokeHarnessStreamOutput,
};
use aws_sdk_bedrockagentcorecontrol::types::{
    HarnessLiteLlmModelConfig, HarnessModelConfiguration, HarnessStatus, HarnessSystemContentBlock,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::{Value, json};
use switchboard_fakes::agentcore::FakeAgentCore;
use switchboard_fakes::openai::FakeOpenAi;

const ROLE: &str = "arn:aws:iam::123456789012:role/AgentCoreHarnessRole";
const SESSION: &str = "session-0123456789abcdef0123456789abcdef";

async fn sdk_config(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(Credentials::new("AKIDTEST", "fake-secret", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

async fn control(fake: &FakeAgentCore, region: &str) -> aws_sdk_bedrockagentcorecontrol::Client {
    control_signed_by(fake, region, None).await
}

/// A control-plane client; with `key`, signing with that access key and secret.
async fn control_signed_by(
    fake: &FakeAgentCore,
    region: &str,
    key: Option<(&str, &str)>,
) -> aws_sdk_bedrockagentcorecontrol::Client {
    let mut conf = aws_sdk_bedrockagentcorecontrol::config::Builder::from(&sdk_config(region).await)
        .endpoint_url(fake.control_endpoint_url());
    if let Some((id, secret)) = key {
        conf = conf.credentials_provider(Credentials::new(id, secret, None, None, "test"));
    }
    aws_sdk_bedrockagentcorecontrol::Client::from_conf(conf.build())
}

async fn runtime(fake: &FakeAgentCore) -> aws_sdk_bedrockagentcore::Client {
    runtime_signed_by(fake, None).await
}

async fn runtime_signed_by(fake: &FakeAgentCore, key: Option<(&str, &str)>) -> aws_sdk_bedrockagentcore::Client {
    let mut conf = aws_sdk_bedrockagentcore::config::Builder::from(&sdk_config("us-east-1").await)
        .endpoint_url(fake.runtime_endpoint_url());
    if let Some((id, secret)) = key {
        conf = conf.credentials_provider(Credentials::new(id, secret, None, None, "test"));
    }
    aws_sdk_bedrockagentcore::Client::from_conf(conf.build())
}

/// Both planes check the signatures of the access keys whose secrets the fake knows, as AWS
/// does: the SDK's own signing passes (a query string, a path with an ARN, an event-stream
/// answer), a wrong secret is refused before the service looks at the request.
#[tokio::test]
async fn signatures_are_checked() {
    let fake = FakeAgentCore::start().await.unwrap();
    let upstream = FakeOpenAi::start().await.unwrap();
    upstream.set_expected_api_key(Some("sk-signed-0123456789".into()));
    let (id, secret) = switchboard_fakes::sigv4::KNOWN_SECRETS[0];
    let c = control_signed_by(&fake, "us-east-1", Some((id, secret))).await;
    let provider = c.create_api_key_credential_provider().name("signed").api_key("sk-signed-0123456789").send();
    let provider = provider.await.unwrap().credential_provider_arn().to_string();
    let h = c
        .create_harness()
        .harness_name("signed")
        .execution_role_arn(ROLE)
        .model(litellm("litellm_proxy/gpt-4o-mini", Some(&provider), &upstream.base_url()))
        .send()
        .await
        .unwrap();
    let arn = h.harness().unwrap().arn().to_string();
    assert_eq!(c.list_harnesses().max_results(5).send().await.unwrap().harnesses().len(), 1);
    let r = runtime_signed_by(&fake, Some((id, secret))).await;
    let (answer, _) = collect(&r, &arn, "Hello").await.unwrap();
    assert!(answer.contains("You said: Hello"), "{answer}");

    let before = fake.control_requests().len();
    let wrong = control_signed_by(&fake, "us-east-1", Some((id, "not-the-secret"))).await;
    let e = wrong.create_harness().harness_name("unsigned").execution_role_arn(ROLE).send().await.unwrap_err();
    let e = e.into_service_error();
    assert_eq!(e.code(), Some("InvalidSignatureException"), "{e:?}");
    assert!(e.message().unwrap().contains("signature we calculated does not match"));
    let e = wrong.list_harnesses().send().await.unwrap_err();
    assert_eq!(e.into_service_error().code(), Some("InvalidSignatureException"));
    assert_eq!(c.list_harnesses().send().await.unwrap().harnesses().len(), 1, "nothing was made");
    assert_eq!(fake.control_requests().len(), before + 3, "refusals are recorded like any request");
    let e = collect(&runtime_signed_by(&fake, Some((id, "not-the-secret"))).await, &arn, "Hello").await.unwrap_err();
    assert!(e.contains("InvalidSignatureException"), "{e}");
    assert_eq!(fake.model_calls().len(), 1, "the refused invocation called no model");
}

fn litellm(model_id: &str, arn: Option<&str>, api_base: &str) -> HarnessModelConfiguration {
    HarnessModelConfiguration::LiteLlmModelConfig(
        HarnessLiteLlmModelConfig::builder()
            .model_id(model_id)
            .set_api_key_arn(arn.map(str::to_string))
            .api_base(api_base)
            .temperature(0.2)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn credential_providers_round_trip() {
    let fake = FakeAgentCore::start().await.unwrap();
    let c = control(&fake, "us-east-1").await;
    let created = c
        .create_api_key_credential_provider()
        .name("litellm-proxy")
        .api_key("sk-first-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.credential_provider_arn(),
        "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/litellm-proxy"
    );
    assert!(created.api_key_secret_arn().unwrap().secret_arn().starts_with("arn:aws:secretsmanager:us-east-1:"));
    let got = c.get_api_key_credential_provider().name("litellm-proxy").send().await.unwrap();
    assert!(got.created_time().secs() > 1_700_000_000, "epoch seconds parse");
    let updated = c
        .update_api_key_credential_provider()
        .name("litellm-proxy")
        .api_key("sk-second-0123456789")
        .send()
        .await
        .unwrap();
    assert!(updated.last_updated_time() >= got.last_updated_time());
    assert_eq!(fake.provider_api_key("litellm-proxy").as_deref(), Some("sk-second-0123456789"));

    let listed = c.list_api_key_credential_providers().send().await.unwrap();
    assert_eq!(listed.credential_providers().len(), 1);
    assert_eq!(listed.credential_providers()[0].name(), "litellm-proxy");
    // Providers live in their region.
    let west = control(&fake, "us-west-2").await;
    assert!(west.list_api_key_credential_providers().send().await.unwrap().credential_providers().is_empty());

    let dup = c.create_api_key_credential_provider().name("litellm-proxy").api_key("sk-x").send().await.unwrap_err();
    assert!(dup.as_service_error().unwrap().is_conflict_exception(), "{dup:?}");
    let bad = c.create_api_key_credential_provider().name("bad name").api_key("sk-x").send().await.unwrap_err();
    let bad = bad.into_service_error();
    assert!(bad.is_validation_exception());
    assert!(bad.message().unwrap().contains("[a-zA-Z0-9\\-_]+"), "{:?}", bad.message());

    c.delete_api_key_credential_provider().name("litellm-proxy").send().await.unwrap();
    let gone = c.get_api_key_credential_provider().name("litellm-proxy").send().await.unwrap_err();
    assert!(gone.into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn harnesses_create_get_update_list_delete() {
    let fake = FakeAgentCore::start().await.unwrap();
    let c = control(&fake, "us-east-1").await;
    let arn = c
        .create_api_key_credential_provider()
        .name("litellm-proxy")
        .api_key("sk-key-0123456789")
        .send()
        .await
        .unwrap()
        .credential_provider_arn()
        .to_string();
    let created = c
        .create_harness()
        .harness_name("seed_harness")
        .execution_role_arn(ROLE)
        .model(litellm("litellm_proxy/claude-haiku", Some(&arn), "http://gateway.example.com"))
        .system_prompt(HarnessSystemContentBlock::Text("Be brief.".into()))
        .send()
        .await
        .unwrap();
    let h = created.harness().unwrap();
    let id = h.harness_id().to_string();
    let (name, suffix) = id.rsplit_once('-').unwrap();
    assert_eq!(name, "seed_harness");
    assert!(suffix.len() == 10 && suffix.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    assert_eq!(h.arn(), format!("arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/{id}"));
    assert_eq!(h.status(), &HarnessStatus::Creating);
    assert!(h.created_at().secs() > 1_700_000_000, "ISO timestamps parse");
    // The clientToken the SDK adds, and the f32 temperature, went over the wire.
    let sent = fake.control_requests().last().unwrap().body.clone();
    assert!(sent["clientToken"].is_string(), "{sent}");
    let t = sent["model"]["liteLlmModelConfig"]["temperature"].as_f64().unwrap();
    assert!((t - 0.2).abs() < 1e-6);

    let got = c.get_harness().harness_id(&id).send().await.unwrap();
    let h = got.harness().unwrap();
    assert_eq!(h.status(), &HarnessStatus::Ready);
    let m = h.model().unwrap().as_lite_llm_model_config().unwrap();
    assert_eq!(m.model_id(), "litellm_proxy/claude-haiku");
    assert_eq!(m.api_key_arn(), Some(arn.as_str()));
    assert_eq!(h.system_prompt()[0].as_text().unwrap(), "Be brief.");
    assert!(h.environment().unwrap().is_agent_core_runtime_environment());

    let updated = c
        .update_harness()
        .harness_id(&id)
        .model(litellm("litellm_proxy/claude-sonnet", Some(&arn), "http://gateway.example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.harness().unwrap().status(), &HarnessStatus::Updating);
    let h = c.get_harness().harness_id(&id).send().await.unwrap();
    let h = h.harness().unwrap();
    assert_eq!(h.harness_version(), Some("2"));
    assert_eq!(h.model().unwrap().as_lite_llm_model_config().unwrap().model_id(), "litellm_proxy/claude-sonnet");

    c.create_harness().harness_name("second").execution_role_arn(ROLE).send().await.unwrap();
    let page = c.list_harnesses().max_results(1).send().await.unwrap();
    assert_eq!(page.harnesses().len(), 1);
    let next = page.next_token().unwrap();
    let page2 = c.list_harnesses().max_results(1).next_token(next).send().await.unwrap();
    assert_eq!(page2.harnesses()[0].harness_name(), "second");
    assert!(page2.next_token().is_none());

    let deleted = c.delete_harness().harness_id(&id).send().await.unwrap();
    assert_eq!(deleted.harness().unwrap().status(), &HarnessStatus::Deleting);
    let gone = c.get_harness().harness_id(&id).send().await.unwrap_err();
    assert!(gone.into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn the_service_is_strict() {
    let fake = FakeAgentCore::start().await.unwrap();
    let c = control(&fake, "us-east-1").await;
    let e = c.create_harness().harness_name("litellm-harness").execution_role_arn(ROLE).send().await.unwrap_err();
    let e = e.into_service_error();
    assert!(e.is_validation_exception());
    assert!(e.message().unwrap().contains("[a-zA-Z][a-zA-Z0-9_]{0,39}"), "{:?}", e.message());
    let e = c.create_harness().harness_name("h").execution_role_arn("AgentCoreRole").send().await.unwrap_err();
    assert!(e.into_service_error().is_validation_exception());
    let e = c.create_harness().harness_name("h").send().await.unwrap_err();
    assert!(e.into_service_error().message().unwrap().contains("executionRoleArn"));
    let e = c
        .create_harness()
        .harness_name("h")
        .execution_role_arn(ROLE)
        .model(litellm("litellm_proxy/x", Some("arn:aws:acps:us-east-1:1:whatever"), "http://x"))
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().message().unwrap().contains("apiKeyArn"));
    let e = c
        .create_harness()
        .harness_name("denied")
        .execution_role_arn("arn:aws:iam::123456789012:role/DeniedRole")
        .send()
        .await
        .unwrap_err();
    let e = e.into_service_error();
    assert!(e.is_access_denied_exception());
    assert!(e.message().unwrap().contains("iam:PassRole"));

    // Raw JSON the SDK would never send: two union members, no body, a wrong signing scope.
    let http = reqwest::Client::new();
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/20260610/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=0";
    let r = http
        .post(format!("{}/harnesses", fake.control_endpoint_url()))
        .header("authorization", auth)
        .json(&json!({"harnessName": "h", "executionRoleArn": ROLE, "model": {
            "bedrockModelConfig": {"modelId": "m"}, "liteLlmModelConfig": {"modelId": "litellm_proxy/m"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["x-amzn-errortype"], "ValidationException");
    assert!(r.text().await.unwrap().contains("mixed variants"));
    let r = http
        .post(format!("{}/harnesses", fake.control_endpoint_url()))
        .header("authorization", auth)
        .json(&json!({"harnessName": "h", "executionRoleArn": ROLE, "model": {}}))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Union did not contain a valid variant"));
    let r = http
        .post(format!("{}/harnesses", fake.control_endpoint_url()))
        .header("authorization", auth.replace("bedrock-agentcore", "bedrock"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-amzn-errortype"], "InvalidSignatureException");

    // A special name fails its creation; injected errors are the service's.
    let id = c.create_harness().harness_name("failing_one").execution_role_arn(ROLE).send().await.unwrap();
    let id = id.harness().unwrap().harness_id().to_string();
    let h = c.get_harness().harness_id(&id).send().await.unwrap();
    assert_eq!(h.harness().unwrap().status(), &HarnessStatus::CreateFailed);
    assert!(h.harness().unwrap().failure_reason().unwrap().contains("trust policy"));
    fake.fail("ListHarnesses", 1, 429, "ThrottlingException", "Rate exceeded");
    let e = c.list_harnesses().send().await.unwrap_err();
    assert!(e.into_service_error().is_throttling_exception());
    fake.fail("CreateHarness", 1, 402, "ServiceQuotaExceededException", "Harness quota reached");
    let e = c.create_harness().harness_name("q").execution_role_arn(ROLE).send().await.unwrap_err();
    assert!(e.into_service_error().is_service_quota_exceeded_exception());
}

async fn collect(
    client: &aws_sdk_bedrockagentcore::Client,
    arn: &str,
    text: &str,
) -> Result<(String, Vec<String>), String> {
    let out = client
        .invoke_harness()
        .harness_arn(arn)
        .runtime_session_id(SESSION)
        .messages(
            HarnessMessage::builder()
                .role(HarnessConversationRole::User)
                .content(HarnessContentBlock::Text(text.into()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map_err(|e| format!("{:?}", e.into_service_error()))?;
    let mut stream = out.stream;
    let (mut answer, mut kinds) = (String::new(), Vec::new());
    loop {
        match stream.recv().await {
            Ok(Some(event)) => {
                let kind =
                    match &event {
                        InvokeHarnessStreamOutput::MessageStart(_) => "messageStart",
                        InvokeHarnessStreamOutput::ContentBlockStart(e) => {
                            if e.start().is_some_and(|s| s.is_tool_use()) { "toolUseStart" } else { "toolResultStart" }
                        }
                        InvokeHarnessStreamOutput::ContentBlockDelta(e) => match e.delta() {
                            Some(HarnessContentBlockDelta::Text(t)) => {
                                answer.push_str(t);
                                "text"
                            }
                            Some(HarnessContentBlockDelta::ToolUse(_)) => "toolUseInput",
                            Some(HarnessContentBlockDelta::ToolResult(_)) => "toolResult",
                            _ => "delta",
                        },
                        InvokeHarnessStreamOutput::ContentBlockStop(_) => "stop",
                        InvokeHarnessStreamOutput::MessageStop(e) => {
                            kinds.push(format!("messageStop:{}", e.stop_reason().as_str()));
                            continue;
                        }
                        InvokeHarnessStreamOutput::Metadata(e) => {
                            kinds.push(format!("metadata:{}", e.usage().unwrap().total_tokens()));
                            continue;
                        }
                        InvokeHarnessStreamOutput::HookEvent(e) => {
                            kinds.push(format!("hook:{}", e.r#type().as_str()));
                            continue;
                        }
                        _ => "other",
                    };
                if kinds.last().map(String::as_str) != Some(kind) {
                    kinds.push(kind.to_string());
                }
            }
            Ok(None) => return Ok((answer, kinds)),
            Err(e) => {
                // In-stream exceptions carry their type in a header only, so the SDK gives them
                // no code: the variant says which one it is.
                use aws_sdk_bedrockagentcore::types::error::InvokeHarnessStreamOutputError as E;
                let e = e.into_service_error();
                let code = match &e {
                    E::RuntimeClientError(_) => "RuntimeClientError",
                    E::ValidationException(_) => "ValidationException",
                    E::InternalServerException(_) => "InternalServerException",
                    _ => "?",
                };
                return Err(format!("{code}: {}", e.message().unwrap_or("")));
            }
        }
    }
}

#[tokio::test]
async fn invoke_harness_calls_its_litellm_api_base_with_the_provider_key() {
    let fake = FakeAgentCore::start().await.unwrap();
    let upstream = FakeOpenAi::start().await.unwrap();
    upstream.set_expected_api_key(Some("sk-provider-key-0123456789".into()));
    let c = control(&fake, "us-east-1").await;
    let arn = c
        .create_api_key_credential_provider()
        .name("litellm-proxy")
        .api_key("sk-provider-key-0123456789")
        .send()
        .await
        .unwrap()
        .credential_provider_arn()
        .to_string();
    let mut ids = Vec::new();
    for (name, model) in [("good", "litellm_proxy/gpt-4o-mini"), ("bare", "gpt-4o-mini")] {
        let h = c
            .create_harness()
            .harness_name(name)
            .execution_role_arn(ROLE)
            .model(litellm(model, Some(&arn), &upstream.base_url()))
            .send()
            .await
            .unwrap();
        let h = h.harness().unwrap();
        c.get_harness().harness_id(h.harness_id()).send().await.unwrap();
        ids.push(h.arn().to_string());
    }
    let r = runtime(&fake).await;
    let (answer, kinds) = collect(&r, &ids[0], "Hello").await.unwrap();
    assert_eq!(answer, "Hello from fake-openai! You said: Hello");
    assert_eq!(kinds.first().map(String::as_str), Some("messageStart"));
    assert!(kinds.contains(&"messageStop:end_turn".to_string()), "{kinds:?}");
    assert!(kinds.last().unwrap().starts_with("metadata:"), "{kinds:?}");
    let call = &fake.model_calls()[0];
    assert_eq!(call.url, format!("{}/chat/completions", upstream.base_url()));
    assert_eq!(call.authorization.as_deref(), Some("Bearer sk-provider-key-0123456789"));
    assert_eq!(call.body["model"], "gpt-4o-mini");
    let sent: Value = upstream.requests()[0].body.clone();
    assert_eq!(sent["stream"], true);

    // Multi-turn: the session keeps the conversation.
    collect(&r, &ids[0], "Again").await.unwrap();
    let second = &fake.model_calls()[1].body;
    assert_eq!(second["messages"].as_array().unwrap().len(), 4, "{second}");

    // Tool use, a hook event and the tool result, then the final answer.
    let (answer, kinds) = collect(&r, &ids[0], "What time is it? Use the tool.").await.unwrap();
    for k in ["toolUseStart", "toolUseInput", "messageStop:tool_use", "hook:before_tool_call", "toolResult"] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
    assert!(answer.contains("The tool said: It is 12:00 in Paris."), "{answer}");

    // The seed's mistake.
    let e = collect(&r, &ids[1], "Hello").await.unwrap_err();
    assert!(e.starts_with("RuntimeClientError: litellm.BadRequestError: LLM Provider NOT provided"), "{e}");
    assert!(e.contains("You passed model=gpt-4o-mini"), "{e}");

    // A key the upstream refuses comes back as LiteLLM's AuthenticationError.
    c.update_api_key_credential_provider().name("litellm-proxy").api_key("sk-wrong-0123456789").send().await.unwrap();
    let e = collect(&r, &ids[0], "Hello").await.unwrap_err();
    assert!(e.contains("litellm.AuthenticationError"), "{e}");

    // Strict inputs: the session id, an unknown harness.
    let e = r
        .invoke_harness()
        .harness_arn(&ids[0])
        .runtime_session_id("short")
        .messages(
            HarnessMessage::builder()
                .role(HarnessConversationRole::User)
                .content(HarnessContentBlock::Text("x".into()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_validation_exception());
    let e =
        collect(&r, "arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/nope-0123456789", "x").await.unwrap_err();
    assert!(e.contains("ResourceNotFoundException"), "{e}");
    let invoke = fake.runtime_requests().into_iter().next().unwrap();
    assert!(invoke.path.starts_with("/harnesses/invoke?harnessArn=arn"), "{}", invoke.path);
    assert_eq!(invoke.headers["x-amzn-bedrock-agentcore-runtime-session-id"], SESSION);
    assert!(invoke.headers["authorization"].contains("/us-east-1/bedrock-agentcore/aws4_request"));
}
