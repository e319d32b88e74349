//! Harness versions and endpoints through the admin API and the CLI, against the AgentCore fake:
//! each change makes a version, two versions are compared, a named endpoint serves an older version
//! (its turns go to that version's model) until it is pointed at a newer one.

use serde_json::{Value, json};
use switchboard_tests::agentcore::{AgentCoreStack, ROLE};

async fn wired(a: &AgentCoreStack) -> String {
    let (status, wired) = a
        .post(
            "/agentcore/wire",
            json!({"harness_name": "versioned", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(wired["ok"], true, "{wired:#}");
    wired["harness"]["harness_id"].as_str().unwrap().to_string()
}

/// The model the fake harness asked this gateway for in a turn at `endpoint`.
async fn model_at(a: &AgentCoreStack, id: &str, endpoint: Option<&str>) -> Value {
    let mut body = json!({"message": "Which model?"});
    if let Some(e) = endpoint {
        body["endpoint"] = json!(e);
    }
    let (status, events) = a.sse(&format!("/agentcore/harnesses/{id}/invoke"), body).await;
    assert_eq!(status, 200, "{events:?}");
    assert_eq!(events.last().unwrap()["type"], "done", "{events:#?}");
    assert_eq!(events[0]["endpoint"], endpoint.unwrap_or("DEFAULT"));
    a.fake.model_calls().last().unwrap().body["model"].clone()
}

#[tokio::test]
async fn versions_are_compared_and_an_endpoint_serves_the_version_it_points_at() {
    let a = AgentCoreStack::start().await;
    let id = wired(&a).await;
    let (status, v) =
        a.patch(&format!("/agentcore/harnesses/{id}"), json!({"model": "claude-sonnet", "force": true})).await;
    assert_eq!(status, 200, "{v}");

    let (status, list) = a.get(&format!("/agentcore/harnesses/{id}/versions")).await;
    assert_eq!(status, 200, "{list}");
    let versions: Vec<&str> =
        list["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["2", "1"], "newest first");

    let (status, diff) = a.get(&format!("/agentcore/harnesses/{id}/versions/diff?from=1&to=2")).await;
    assert_eq!(status, 200, "{diff}");
    let changes = diff["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({"field": "model.model_id", "from": "litellm_proxy/claude-haiku", "to": "litellm_proxy/claude-sonnet"})),
        "{diff:#}"
    );
    assert!(changes.iter().all(|c| c["field"] != "harness_version" && c["field"] != "status"), "{diff:#}");
    let (_, same) = a.get(&format!("/agentcore/harnesses/{id}/versions/diff?from=2&to=2")).await;
    assert_eq!(same["changes"], json!([]));

    // DEFAULT follows the latest version; a named endpoint keeps version 1.
    let (_, endpoints) = a.get(&format!("/agentcore/harnesses/{id}/endpoints")).await;
    assert_eq!(endpoints["endpoints"][0]["name"], "DEFAULT");
    assert_eq!(endpoints["endpoints"][0]["live_version"], "2");
    let (status, stable) = a
        .post(
            &format!("/agentcore/harnesses/{id}/endpoints"),
            json!({"name": "stable", "version": "1", "description": "what users get"}),
        )
        .await;
    assert_eq!(status, 200, "{stable}");
    assert_eq!(stable["live_version"], "1");
    assert_eq!(model_at(&a, &id, None).await, "claude-sonnet");
    assert_eq!(model_at(&a, &id, Some("stable")).await, "claude-haiku", "the endpoint serves version 1's model");
    let (status, events) =
        a.sse(&format!("/agentcore/harnesses/{id}/invoke"), json!({"message": "hi", "endpoint": "stable"})).await;
    assert_eq!(status, 200);
    assert_eq!(events[0]["version"], "1");
    assert_eq!(events[0]["model_id"], "litellm_proxy/claude-haiku", "the model of the endpoint's version");
    let (status, e) =
        a.sse(&format!("/agentcore/harnesses/{id}/invoke"), json!({"message": "hi", "endpoint": "nowhere"})).await;
    assert_eq!(status, 404, "{e:?}");

    // Pointed at version 2, it serves claude-sonnet.
    let (status, moved) =
        a.patch(&format!("/agentcore/harnesses/{id}/endpoints/stable"), json!({"version": "2"})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["live_version"], "2");
    assert_eq!(moved["description"], "what users get");
    assert_eq!(model_at(&a, &id, Some("stable")).await, "claude-sonnet");

    // Checked before AgentCore is asked; AgentCore's own refusals come back with their message.
    let creates_before =
        a.fake.control_requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/endpoints")).count();
    let (status, e) = a.post(&format!("/agentcore/harnesses/{id}/endpoints"), json!({"name": "my-endpoint"})).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("letters, digits and underscores"), "{e}");
    let (status, e) =
        a.post(&format!("/agentcore/harnesses/{id}/endpoints"), json!({"name": "canary", "version": "v1"})).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(
        a.fake.control_requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/endpoints")).count(),
        creates_before,
        "nothing was sent"
    );
    let (status, e) =
        a.post(&format!("/agentcore/harnesses/{id}/endpoints"), json!({"name": "canary", "version": "9"})).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("Version 9"), "{e}");
    let (status, e) = a.patch(&format!("/agentcore/harnesses/{id}/endpoints/stable"), json!({})).await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = a.delete(&format!("/agentcore/harnesses/{id}/endpoints/DEFAULT")).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("cannot be deleted"), "{e}");

    // The CLI: versions, the diff, endpoints; then the endpoint deleted.
    let (result, printed) = a.cli(&["harnesses", "versions", &id, "--diff", "1", "2"]).await;
    assert!(result.is_ok(), "{result:?}");
    assert!(
        printed.contains(r#"model.model_id: "litellm_proxy/claude-haiku" -> "litellm_proxy/claude-sonnet""#),
        "{printed}"
    );
    let (result, printed) = a.cli(&["harnesses", "endpoints", &id]).await;
    assert!(result.is_ok(), "{result:?}");
    assert!(printed.lines().any(|l| l.trim_start().starts_with("stable") && l.contains("version 2")), "{printed}");
    let (result, _) = a.cli(&["harnesses", "endpoints", &id, "point", "stable", "1"]).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(model_at(&a, &id, Some("stable")).await, "claude-haiku");
    let (result, printed) = a.cli(&["harnesses", "endpoints", &id, "delete", "stable"]).await;
    assert!(result.is_ok() && printed.contains("Deleted endpoint stable"), "{result:?} {printed}");
    let (_, endpoints) = a.get(&format!("/agentcore/harnesses/{id}/endpoints")).await;
    let names: Vec<&str> =
        endpoints["endpoints"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["DEFAULT"]);

    // Each endpoint change is in the audit log.
    let mut actions: Vec<String> = Vec::new();
    for _ in 0..100 {
        let (status, audit) = a.get("/audit?table_name=Switchboard_AgentCoreHarness&page_size=100").await;
        assert_eq!(status, 200, "{audit}");
        actions = audit["audit_logs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["object_id"].as_str().is_some_and(|o| o.ends_with("/endpoints/stable")))
            .map(|r| r["action"].as_str().unwrap_or("").to_string())
            .collect();
        if actions.len() == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    actions.sort();
    assert_eq!(actions, ["created", "deleted", "updated", "updated"]);
}
