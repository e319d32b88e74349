//! The whole-harness editor through the admin API and the CLI, against the AgentCore fake: each
//! member UpdateHarness takes beside the model is edited and read back from the fake (the wire
//! shape AgentCore gets) and from the admin API (the view); bad values are refused before AWS is
//! called; secret values never come back; the doctor looks at the settings.

use serde_json::{Value, json};
use switchboard_tests::MASTER_KEY;
use switchboard_tests::agentcore::{AgentCoreStack, ROLE, finding};

const GATEWAY_ARN: &str = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/docs-gw-1";
const MEMORY_ARN: &str = "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/notes-1";

async fn wired(a: &AgentCoreStack) -> String {
    let (status, wired) = a
        .post(
            "/agentcore/wire",
            json!({"harness_name": "edited", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(wired["ok"], true, "{wired:#}");
    wired["harness"]["harness_id"].as_str().unwrap().to_string()
}

/// PATCHes one change (forced past the doctor's warnings) and returns the harness view.
async fn edit(a: &AgentCoreStack, id: &str, mut change: Value) -> Value {
    change["force"] = json!(true);
    let (status, saved) = a.patch(&format!("/agentcore/harnesses/{id}"), change.clone()).await;
    assert_eq!(status, 200, "{change} → {saved:#}");
    saved["harness"].clone()
}

#[tokio::test]
async fn each_member_is_edited_and_read_back_from_agentcore() {
    let a = AgentCoreStack::start().await;
    let id = wired(&a).await;

    // Tools, each kind, in the admin API's snake_case; AgentCore gets its camelCase.
    let tools = json!([
        {"type": "remote_mcp", "name": "docs", "config": {"remote_mcp": {"url": "https://mcp.example.com/mcp", "headers": {"X-Team": "search"}}}},
        {"type": "agentcore_gateway", "name": "gw", "config": {"agentcore_gateway": {"gateway_arn": GATEWAY_ARN, "outbound_auth": {"aws_iam": {}}}}},
        {"type": "inline_function", "name": "lookup_order", "config": {"inline_function": {"description": "Finds an order", "input_schema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}}},
        {"type": "agentcore_browser", "name": "browser"},
        {"type": "agentcore_code_interpreter", "name": "python"}
    ]);
    let view = edit(&a, &id, json!({"tools": tools})).await;
    let wire = a.fake.harness(&id).unwrap();
    assert_eq!(
        wire["tools"][0],
        json!({"type": "remote_mcp", "name": "docs", "config": {"remoteMcp": {"url": "https://mcp.example.com/mcp", "headers": {"X-Team": "search"}}}})
    );
    assert_eq!(
        wire["tools"][1]["config"],
        json!({"agentCoreGateway": {"gatewayArn": GATEWAY_ARN, "outboundAuth": {"awsIam": {}}}})
    );
    assert_eq!(wire["tools"][2]["config"]["inlineFunction"]["inputSchema"]["required"], json!(["id"]));
    assert_eq!(wire["tools"][3], json!({"type": "agentcore_browser", "name": "browser"}));
    assert_eq!(view["tools"].as_array().unwrap().len(), 5);
    assert_eq!(view["tools"][2], tools[2], "read back as sent");
    assert_eq!(view["tools"][1], tools[1]);
    let header = view["tools"][0]["config"]["remote_mcp"]["headers"]["X-Team"].as_str().unwrap();
    assert!(header.starts_with("<hidden:"), "header values are hidden: {header}");

    let view = edit(&a, &id, json!({"allowed_tools": ["docs", "lookup_order"]})).await;
    assert_eq!(a.fake.harness(&id).unwrap()["allowedTools"], json!(["docs", "lookup_order"]));
    assert_eq!(view["allowed_tools"], json!(["docs", "lookup_order"]));

    let skills = json!([
        {"path": "skills/pdf"},
        {"git": {"url": "https://github.com/acme/skills", "path": "review"}},
        {"s3": {"uri": "s3://acme-skills/triage"}},
        {"aws_skills": {"paths": ["document-processing"]}}
    ]);
    let view = edit(&a, &id, json!({"skills": skills})).await;
    assert_eq!(
        a.fake.harness(&id).unwrap()["skills"],
        json!([{"path": "skills/pdf"}, {"git": {"url": "https://github.com/acme/skills", "path": "review"}},
               {"s3": {"uri": "s3://acme-skills/triage"}}, {"awsSkills": {"paths": ["document-processing"]}}])
    );
    assert_eq!(view["skills"], skills);

    // Memory: your own AgentCore Memory, then a managed one, then none at all.
    let mine = json!({"agentcore_memory": {"arn": MEMORY_ARN, "actor_id": "support", "messages_count": 12,
                      "retrieval_config": {"/facts/{actorId}": {"top_k": 5, "relevance_score": 0.4}}}});
    let view = edit(&a, &id, json!({"memory": mine})).await;
    let wire = a.fake.harness(&id).unwrap();
    assert_eq!(wire["memory"]["agentCoreMemoryConfiguration"]["arn"], MEMORY_ARN);
    assert_eq!(wire["memory"]["agentCoreMemoryConfiguration"]["retrievalConfig"]["/facts/{actorId}"]["topK"], 5);
    assert_eq!(view["memory"], mine, "f32 scores read back rounded");
    let view = edit(
        &a,
        &id,
        json!({"memory": {"managed": {"strategies": ["SEMANTIC", "USER_PREFERENCE"], "event_expiry_duration": 60}}}),
    )
    .await;
    assert_eq!(a.fake.harness(&id).unwrap()["memory"]["managedMemoryConfiguration"]["eventExpiryDuration"], 60);
    assert_eq!(view["memory"]["managed"]["strategies"], json!(["SEMANTIC", "USER_PREFERENCE"]));
    assert!(view["memory"]["managed"]["arn"].as_str().unwrap().contains(":memory/"), "AgentCore's memory ARN is shown");
    let view = edit(&a, &id, json!({"memory": null})).await;
    assert!(a.fake.harness(&id).unwrap().get("memory").is_none(), "null clears the memory configuration");
    assert!(view["memory"].is_null());

    let truncation = json!({"strategy": "summarization", "config": {"summarization": {"summary_ratio": 0.3, "preserve_recent_messages": 6, "summarization_system_prompt": "Keep order ids."}}});
    let view = edit(&a, &id, json!({"truncation": truncation})).await;
    assert_eq!(a.fake.harness(&id).unwrap()["truncation"]["config"]["summarization"]["preserveRecentMessages"], 6);
    assert_eq!(view["truncation"], truncation);

    let hooks = json!([
        {"before_tool_call": {"name": "guard", "target": {"lambda": {"arn": "arn:aws:lambda:us-east-1:123456789012:function:guard", "timeout_seconds": 10, "failure_mode": "allow"}}}},
        {"after_invocation": {"name": "audit", "target": {"event_bridge": {"arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}}}},
        {"before_invocation": {"name": "notify", "target": {"sns": {"arn": "arn:aws:sns:us-east-1:123456789012:harness-runs"}}}}
    ]);
    let view = edit(&a, &id, json!({"hooks": hooks})).await;
    assert_eq!(
        a.fake.harness(&id).unwrap()["hooks"][0],
        json!({"beforeToolCall": {"name": "guard", "target": {"lambda": {"arn": "arn:aws:lambda:us-east-1:123456789012:function:guard", "timeoutSeconds": 10, "failureMode": "allow"}}}})
    );
    assert_eq!(
        a.fake.harness(&id).unwrap()["hooks"][1]["afterInvocation"]["target"],
        json!({"eventBridge": {"arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}})
    );
    assert_eq!(view["hooks"], hooks);
    let view =
        edit(&a, &id, json!({"max_iterations": 12, "invocation_max_tokens": 20000, "timeout_seconds": 300})).await;
    let wire = a.fake.harness(&id).unwrap();
    assert_eq!(
        (wire["maxIterations"].clone(), wire["maxTokens"].clone(), wire["timeoutSeconds"].clone()),
        (json!(12), json!(20000), json!(300))
    );
    assert_eq!(
        (view["max_iterations"].clone(), view["invocation_max_tokens"].clone(), view["timeout_seconds"].clone()),
        (json!(12), json!(20000), json!(300))
    );
    assert!(wire["model"]["liteLlmModelConfig"]["maxTokens"].is_null(), "the model's per-call max_tokens is apart");

    let view = edit(&a, &id, json!({"system_prompt": "You answer support tickets."})).await;
    assert_eq!(a.fake.harness(&id).unwrap()["systemPrompt"], json!([{"text": "You answer support tickets."}]));
    assert_eq!(view["system_prompt"], "You answer support tickets.");

    // Environment variables: set, changed one by one, removed; values never shown.
    let view =
        edit(&a, &id, json!({"environment_variables": {"LOG_LEVEL": "info", "ORDERS_TOKEN": "orders-secret-123"}}))
            .await;
    assert_eq!(
        a.fake.harness(&id).unwrap()["environmentVariables"],
        json!({"LOG_LEVEL": "info", "ORDERS_TOKEN": "orders-secret-123"})
    );
    let shown = view["environment_variables"].clone();
    assert!(shown["ORDERS_TOKEN"].as_str().unwrap().starts_with("<hidden:"), "{shown}");
    assert!(!view.to_string().contains("orders-secret-123"));
    edit(&a, &id, json!({"environment_variables": {"LOG_LEVEL": "debug", "ORDERS_TOKEN": shown["ORDERS_TOKEN"]}}))
        .await;
    assert_eq!(
        a.fake.harness(&id).unwrap()["environmentVariables"],
        json!({"LOG_LEVEL": "debug", "ORDERS_TOKEN": "orders-secret-123"}),
        "a hidden value sent back keeps it"
    );
    let view = edit(&a, &id, json!({"environment_variables": {"LOG_LEVEL": null}})).await;
    assert_eq!(
        a.fake.harness(&id).unwrap()["environmentVariables"],
        json!({"ORDERS_TOKEN": "orders-secret-123"}),
        "names left out keep their value"
    );
    assert_eq!(view["environment_variables"].as_object().unwrap().len(), 1);

    // Tools sent back as shown keep their hidden header values.
    let (_, shown) = a.get(&format!("/agentcore/harnesses/{id}")).await;
    let mut again = shown["tools"].clone();
    again.as_array_mut().unwrap().truncate(2);
    edit(&a, &id, json!({"tools": again})).await;
    assert_eq!(a.fake.harness(&id).unwrap()["tools"][0]["config"]["remoteMcp"]["headers"], json!({"X-Team": "search"}));
    assert_eq!(a.fake.harness(&id).unwrap()["tools"].as_array().unwrap().len(), 2);

    // Every edit is a version; the diff names the members, hiding values.
    let (_, diff) = a.get(&format!("/agentcore/harnesses/{id}/versions/diff?from=1&to=12")).await;
    let fields: Vec<&str> = diff["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    for f in [
        "max_iterations",
        "timeout_seconds",
        "invocation_max_tokens",
        "system_prompt",
        "environment_variables.ORDERS_TOKEN",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert!(!diff.to_string().contains("orders-secret-123"), "{diff}");
    let (_, audit) = a.get("/audit?table_name=Switchboard_AgentCoreHarness&page_size=100").await;
    assert!(!audit.to_string().contains("orders-secret-123"), "the audit log keeps hidden values only");

    // The CLI edits the same way.
    let settings = std::env::temp_dir().join(format!("harness-settings-{}.json", std::process::id()));
    std::fs::write(&settings, json!({"allowed_tools": ["*"], "truncation": {"strategy": "sliding_window", "config": {"sliding_window": {"messages_count": 40}}}}).to_string()).unwrap();
    let (result, printed) = a
        .cli(&[
            "harness",
            "edit",
            &id,
            "--settings",
            settings.to_str().unwrap(),
            "--max-iterations",
            "30",
            "--env",
            "REGION_HINT=eu",
            "--unset-env",
            "ORDERS_TOKEN",
            "--force",
        ])
        .await;
    std::fs::remove_file(&settings).ok();
    assert!(result.is_ok(), "{result:?} {printed}");
    let wire = a.fake.harness(&id).unwrap();
    assert_eq!(wire["allowedTools"], json!(["*"]));
    assert_eq!(
        wire["truncation"],
        json!({"strategy": "sliding_window", "config": {"slidingWindow": {"messagesCount": 40}}})
    );
    assert_eq!(wire["maxIterations"], 30);
    assert_eq!(wire["environmentVariables"], json!({"REGION_HINT": "eu"}));
    assert!(printed.contains("max iterations 30"), "{printed}");
}

#[tokio::test]
async fn bad_settings_are_refused_before_agentcore_is_called() {
    let a = AgentCoreStack::start().await;
    let id = wired(&a).await;
    let calls = a.fake.control_requests().len();
    for (change, field, words) in [
        (json!({"tools": [{"type": "remote_mcp", "name": "docs"}]}), "tools", "needs its config"),
        (
            json!({"tools": [{"type": "inline_function", "name": "f", "config": {"remote_mcp": {"url": "https://x.example.com"}}}]}),
            "tools",
            "config is for remote_mcp",
        ),
        (
            json!({"tools": [{"type": "agentcore_browser", "name": "b"}, {"type": "agentcore_browser", "name": "b"}]}),
            "tools",
            "unique",
        ),
        (json!({"skills": [{"s3": {"uri": "acme-skills/triage"}}]}), "skills", "s3://"),
        (json!({"memory": {"agentcore_memory": {"arn": "notes"}}}), "memory", "not an ARN"),
        (
            json!({"truncation": {"strategy": "sliding_window", "config": {"summarization": {}}}}),
            "truncation",
            "strategy sliding_window",
        ),
        (json!({"max_iterations": 0}), "max_iterations", "at least 1"),
        (
            json!({"hooks": [{"before_tool_call": {"name": "guard", "target": {"lambda": {"arn": "guard"}}}}]}),
            "hooks",
            "not an ARN of lambda",
        ),
        (json!({"environment_variables": {"MY-VAR": "x"}}), "environment_variables", "letters, digits"),
        (
            json!({"environment_variables": {"TOKEN": "<hidden:0badc0de>"}}),
            "environment_variables",
            "type the value again",
        ),
    ] {
        let (status, e) = a.patch(&format!("/agentcore/harnesses/{id}"), change.clone()).await;
        assert_eq!(status, 400, "{change} → {e}");
        assert_eq!(e["error"]["param"], field, "{change} → {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(words), "{change} → {e}");
    }
    let (status, e) = a.patch(&format!("/agentcore/harnesses/{id}"), json!({"truncation": {"strategy": "fifo"}})).await;
    assert_eq!(status, 400, "an unknown strategy is refused: {e}");
    let after = a.fake.control_requests().split_off(calls);
    assert!(
        after.iter().all(|r| r.method != "PATCH"),
        "UpdateHarness was never called: {:?}",
        after.iter().map(|r| (&r.method, &r.path)).collect::<Vec<_>>()
    );

    // The fake refuses what AgentCore would, for clients that skip the gateway's checks.
    let (status, e) = a.patch(&format!("/agentcore/harnesses/{id}"), json!({"tools": [{"type": "remote_mcp", "name": "docs", "config": {"remote_mcp": {"url": "https://mcp.example.com"}}}], "force": true})).await;
    assert_eq!(status, 200, "{e}");
}

#[tokio::test]
async fn the_doctor_reads_the_settings() {
    let a = AgentCoreStack::start().await;
    let id = wired(&a).await;
    let (_, key) = a.team_and_key("env-team", "env-key", &["claude-haiku"]).await;
    let risky = json!({
        "tools": [
            {"type": "remote_mcp", "name": "local", "config": {"remote_mcp": {"url": "http://localhost:8931/mcp"}}},
            {"type": "remote_mcp", "name": "plain", "config": {"remote_mcp": {"url": "http://mcp.example.com/mcp"}}},
            {"type": "agentcore_gateway", "name": "gw", "config": {"agentcore_gateway": {"gateway_arn": "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/far"}}}
        ],
        "allowed_tools": ["local", "serach"],
        "environment_variables": {"GATEWAY_KEY": key, "ADMIN": MASTER_KEY},
    });
    // Refused: a tool AWS cannot reach and the master key in clear are errors.
    let (status, refused) = a.patch(&format!("/agentcore/harnesses/{id}"), risky.clone()).await;
    assert_eq!(status, 400, "{refused:#}");
    assert_eq!(refused["error"]["type"], "doctor_findings");
    let report = &refused["doctor"];
    assert!(
        finding(report, "tool_unreachable").unwrap()["message"].as_str().unwrap().contains("localhost"),
        "{report:#}"
    );
    assert_eq!(finding(report, "tool_insecure").unwrap()["severity"], "warning");
    assert!(finding(report, "allowed_tools_unknown").unwrap()["message"].as_str().unwrap().contains("serach"));
    assert!(finding(report, "resource_region").unwrap()["message"].as_str().unwrap().contains("eu-west-1"));
    let exposed: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["check"] == "gateway_key_exposed").collect();
    assert_eq!(exposed.len(), 2, "{report:#}");
    assert!(exposed.iter().any(|f| f["severity"] == "error" && f["message"].as_str().unwrap().contains("master key")));
    assert!(exposed.iter().any(|f| f["severity"] == "warning" && f["message"].as_str().unwrap().contains("env-key")));
    assert!(!refused.to_string().contains(&key) && !refused.to_string().contains(MASTER_KEY), "no key in the report");
    assert!(a.fake.harness(&id).unwrap().get("environmentVariables").is_none(), "nothing was saved");

    // The doctor on demand sees the form being edited, over the harness's own settings.
    let mut draft = risky.clone();
    draft["harness_id"] = json!(id);
    draft["tools"].as_array_mut().unwrap().remove(0);
    let (status, report) = a.post("/agentcore/doctor", draft).await;
    assert_eq!(status, 200);
    assert!(finding(&report, "tool_unreachable").is_none(), "{report:#}");
    assert!(finding(&report, "resource_region").is_some(), "{report:#}");
    let (_, report) = a.post("/agentcore/doctor", json!({"harness_id": id, "max_iterations": -1})).await;
    assert_eq!(finding(&report, "settings_invalid").unwrap()["severity"], "error", "{report:#}");

    // Forced, it is saved, and the harness's own doctor finds the same.
    let mut forced = risky;
    forced["force"] = json!(true);
    let (status, saved) = a.patch(&format!("/agentcore/harnesses/{id}"), forced).await;
    assert_eq!(status, 200, "{saved}");
    let (_, report) = a.post("/agentcore/doctor", json!({"harness_id": id})).await;
    assert!(
        finding(&report, "tool_unreachable").is_some() && finding(&report, "gateway_key_exposed").is_some(),
        "{report:#}"
    );
}
