//! The AgentCore wiring over the admin API and the CLI, against the AgentCore fake (driven by the
//! real SDK crates) and the gateway's own fake Bedrock: credential providers, harnesses, the
//! doctor (every finding), the one-click wiring end to end and with a failing step, the harness
//! playground, and AWS errors with their fixes.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_tests::agentcore::*;
use switchboard_tests::*;

fn hash(key: &str) -> String {
    switchboard::auth::hash_key(key)
}

// ---------------------------------------------------------------------------
// Credential providers

#[tokio::test]
async fn credential_providers_create_list_rotate_delete() {
    let a = AgentCoreStack::start().await;
    let (team_id, key) = a.team_and_key("agentcore-harness", "agentcore-harness-key", &["claude-haiku"]).await;

    // Admin routes: a virtual key may not use them.
    let r = a.s.http.get(a.s.url("/agentcore/providers")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = a.s.http.post(a.s.url("/agentcore/wire")).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let created = a.provider_with("litellm-proxy", &key).await;
    assert_eq!(created["region"], "us-east-1");
    assert_eq!(created["key_generated"], false);
    let p = &created["provider"];
    assert_eq!(p["name"], "litellm-proxy");
    assert_eq!(
        p["credential_provider_arn"],
        "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/litellm-proxy"
    );
    assert_eq!(p["key"]["key_alias"], "agentcore-harness-key");
    assert_eq!(p["key"]["token"], hash(&key));
    assert_eq!(p["key"]["status"], "active");
    assert!(p["created_time"].as_str().unwrap().starts_with("20"), "{p}");
    assert_eq!(a.fake.provider_api_key("litellm-proxy").as_deref(), Some(key.as_str()));
    assert!(!created.to_string().contains(&key), "the clear key is never echoed");

    // "Provider litellm-proxy holds key agentcore-harness-key".
    let (status, list) = a.get("/agentcore/providers").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["providers"][0]["name"], "litellm-proxy");
    assert_eq!(list["providers"][0]["key"]["key_alias"], "agentcore-harness-key");
    let (status, west) = a.get("/agentcore/providers?region=us-west-2").await;
    assert_eq!(status, 200);
    assert_eq!(west["region"], "us-west-2");
    assert_eq!(west["providers"], json!([]));

    // Rotate to a new key generated for the team in the same step.
    let (status, rotated) = a
        .post(
            "/agentcore/providers/litellm-proxy/rotate",
            json!({"generate": {"team_id": team_id, "key_alias": "agentcore-harness-key-2"}}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["key_generated"], true);
    assert_eq!(rotated["previous_key"]["key_alias"], "agentcore-harness-key");
    assert_eq!(rotated["provider"]["key"]["key_alias"], "agentcore-harness-key-2");
    let stored = a.fake.provider_api_key("litellm-proxy").unwrap();
    assert_ne!(stored, key);
    assert_eq!(rotated["provider"]["key"]["token"], hash(&stored));
    assert!(!rotated.to_string().contains(&stored), "a generated key goes to AgentCore only");
    let (_, info) = a.get(&format!("/key/info?key={}", hash(&stored))).await;
    assert_eq!(info["info"]["team_id"], team_id.as_str());

    // Rotate back with the first key, given in clear.
    let (status, back) = a.post("/agentcore/providers/litellm-proxy/rotate", json!({"key": key})).await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(a.fake.provider_api_key("litellm-proxy").as_deref(), Some(key.as_str()));

    // Refusals before anything reaches AWS.
    let before = a.fake.control_requests().len();
    for (body, needle) in [
        (json!({"name": "litellm proxy", "key": key}), "letters, digits"),
        (json!({"name": "p2", "key": MASTER_KEY}), "master key"),
        (json!({"name": "p2", "key": "sk-not-a-key-of-this-gateway"}), "not a key of this gateway"),
        (json!({"name": "p2"}), "name the key"),
        (json!({"name": "p2", "key": key, "generate": true}), "either key or generate"),
    ] {
        let (status, e) = a.post("/agentcore/providers", body).await;
        assert_eq!(status, 400, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(needle), "{needle}: {e}");
    }
    assert_eq!(a.fake.control_requests().len(), before, "nothing was sent");

    // AgentCore's refusals, with the service's message and what to do.
    let (status, e) = a.post("/agentcore/providers", json!({"name": "litellm-proxy", "key": key})).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["type"], "aws_conflict");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ConflictException: Credential provider with name: litellm-proxy already exists"),
        "{e}"
    );
    assert!(e["error"]["fix"].as_str().unwrap().contains("pick another name"), "{e}");

    // A key generated for a provider AgentCore refuses is deleted again.
    a.fake.fail(
        "CreateApiKeyCredentialProvider",
        1,
        403,
        "AccessDeniedException",
        "User is not authorized to perform: bedrock-agentcore:CreateApiKeyCredentialProvider",
    );
    let (status, e) = a
        .post(
            "/agentcore/providers",
            json!({"name": "doomed", "generate": {"team_id": team_id, "key_alias": "doomed-key"}}),
        )
        .await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["error"]["type"], "aws_access_denied");
    let fix = e["error"]["fix"].as_str().unwrap();
    assert!(fix.contains("bedrock-agentcore:CreateApiKeyCredentialProvider") && fix.contains("deleted again"), "{fix}");
    let (_, keys) = a.get("/key/list?key_alias=doomed-key").await;
    assert_eq!(keys["total_count"], 0, "{keys}");

    let (status, deleted) = a.delete("/agentcore/providers/litellm-proxy").await;
    assert_eq!(status, 200, "{deleted}");
    let (_, list) = a.get("/agentcore/providers").await;
    assert_eq!(list["providers"], json!([]));
    let (status, e) = a.delete("/agentcore/providers/litellm-proxy").await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["error"]["type"], "aws_not_found");
}

// ---------------------------------------------------------------------------
// Harnesses

#[tokio::test]
async fn harnesses_create_show_switch_model_list_delete() {
    let a = AgentCoreStack::start().await;
    let (_, key) = a.team_and_key("t", "harness-key", &["claude-haiku", "claude-sonnet"]).await;
    let provider = a.provider_with("litellm-proxy", &key).await;
    let arn = provider["provider"]["credential_provider_arn"].as_str().unwrap().to_string();
    let form = json!({
        "harness_name": "seed_harness",
        "execution_role_arn": ROLE,
        "model": "claude-haiku",
        "system_prompt": "You are a helpful assistant.",
        "max_tokens": 512,
        "temperature": 0.2,
        "top_p": 0.9,
    });

    // The doctor runs before saving: a loopback API base cannot work from AWS.
    let (status, refused) = a.post("/agentcore/harnesses", form.clone()).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["type"], "doctor_findings");
    let f = finding(&refused["doctor"], "api_base_unreachable").expect("finding");
    assert!(f["message"].as_str().unwrap().contains("loopback"), "{f}");
    assert!(f["fix"].as_str().unwrap().contains("Deploy the gateway"), "{f}");
    assert!(!a.fake.control_requests().iter().any(|r| r.path == "/harnesses"), "nothing was created");

    let mut forced = form.clone();
    forced["force"] = json!(true);
    let (status, saved) = a.post("/agentcore/harnesses", forced).await;
    assert_eq!(status, 200, "{saved}");
    let h = &saved["harness"];
    let id = h["harness_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("seed_harness-"));
    assert_eq!(h["status"], "CREATING");
    assert_eq!(h["model"]["source"], "litellm");
    assert_eq!(h["model"]["model_id"], "litellm_proxy/claude-haiku");
    assert_eq!(h["model"]["temperature"], 0.2);
    assert_eq!(h["credential_provider"]["name"], "litellm-proxy");
    assert_eq!(h["credential_provider"]["key"]["key_alias"], "harness-key");
    assert!(finding(&saved["doctor"], "api_base_unreachable").is_some());
    // What went to AgentCore: the alias with its prefix, the ARN AgentCore returned, the gateway.
    let sent = a.fake.control_requests().into_iter().find(|r| r.path == "/harnesses").unwrap().body;
    let m = &sent["model"]["liteLlmModelConfig"];
    assert_eq!(m["modelId"], "litellm_proxy/claude-haiku");
    assert_eq!(m["apiKeyArn"], arn.as_str());
    assert_eq!(m["apiBase"], a.gateway_url());
    assert_eq!(m["maxTokens"], 512);
    assert_eq!(sent["systemPrompt"], json!([{"text": "You are a helpful assistant."}]));
    assert_eq!(sent["executionRoleArn"], ROLE);

    let (status, shown) = a.get(&format!("/agentcore/harnesses/{id}")).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["status"], "READY");
    assert_eq!(shown["model"]["alias"], "claude-haiku");
    assert_eq!(shown["model"]["api_base"], a.gateway_url());
    assert_eq!(shown["system_prompt"], "You are a helpful assistant.");
    assert_eq!(shown["execution_role_arn"], ROLE);

    // Switching the model is one action; everything else is kept.
    let (status, switched) =
        a.patch(&format!("/agentcore/harnesses/{id}"), json!({"model": "claude-sonnet", "force": true})).await;
    assert_eq!(status, 200, "{switched}");
    assert_eq!(switched["harness"]["model"]["model_id"], "litellm_proxy/claude-sonnet");
    let sent = a.fake.control_requests().into_iter().rfind(|r| r.method == "PATCH").unwrap().body;
    let m = &sent["model"]["liteLlmModelConfig"];
    assert_eq!(m["modelId"], "litellm_proxy/claude-sonnet");
    assert_eq!(m["apiKeyArn"], arn.as_str());
    assert_eq!(m["apiBase"], a.gateway_url());
    assert_eq!(m["maxTokens"], 512);
    assert!((m["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert!(sent.get("systemPrompt").is_none(), "{sent}");
    // A system prompt alone leaves the model alone (no doctor needed).
    let (status, edited) = a.patch(&format!("/agentcore/harnesses/{id}"), json!({"system_prompt": "Be brief."})).await;
    assert_eq!(status, 200, "{edited}");
    assert!(edited["doctor"].is_null());
    assert_eq!(edited["harness"]["system_prompt"], "Be brief.");

    let (status, list) = a.get("/agentcore/harnesses").await;
    assert_eq!(status, 200, "{list}");
    let item = &list["harnesses"][0];
    assert_eq!(item["harness_id"], id.as_str());
    assert_eq!(item["status"], "READY");
    assert_eq!(item["model"]["source"], "litellm");
    assert_eq!(item["model"]["model_id"], "litellm_proxy/claude-sonnet");

    // Checked before sending: AgentCore's name pattern, the role, the numbers, the alias.
    let before = a.fake.control_requests().len();
    for (change, field, needle) in [
        (json!({"harness_name": "litellm-harness"}), "harness_name", "Try 'litellm_harness'"),
        (json!({"execution_role_arn": "AgentCoreRole"}), "execution_role_arn", "IAM role ARN"),
        (json!({"temperature": 2.5}), "temperature", "between 0 and 2"),
        (json!({"top_p": 1.5}), "top_p", "between 0 and 1"),
        (json!({"max_tokens": 0}), "max_tokens", "at least 1"),
        (json!({"model": "gpt-5"}), "model", "claude-haiku"),
        (json!({"api_base": "gateway:4000"}), "api_base", "http(s) URL"),
    ] {
        let mut body = form.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, e) = a.post("/agentcore/harnesses", body).await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["error"]["param"], field, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(needle), "{needle}: {e}");
    }
    let (status, e) = a.patch(&format!("/agentcore/harnesses/{id}"), json!({"harness_name": "renamed"})).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(a.fake.control_requests().len(), before, "nothing was sent");
    // A provider that does not exist.
    let mut body = form.clone();
    body["harness_name"] = json!("other");
    body["credential_provider"] = json!("missing-provider");
    let (status, e) = a.post("/agentcore/harnesses", body).await;
    assert_eq!(status, 404, "{e}");
    assert!(e["error"]["fix"].as_str().unwrap().contains("Create it first"), "{e}");

    let (status, _) = a.delete(&format!("/agentcore/harnesses/{id}")).await;
    assert_eq!(status, 200);
    let (status, e) = a.get(&format!("/agentcore/harnesses/{id}")).await;
    assert_eq!(status, 404, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("ResourceNotFoundException"), "{e}");
    assert!(e["error"]["fix"].as_str().unwrap().contains("region"), "{e}");
}

// ---------------------------------------------------------------------------
// Doctor

async fn doctor(a: &AgentCoreStack, body: Value) -> Value {
    let (status, report) = a.post("/agentcore/doctor", body).await;
    assert_eq!(status, 200, "{report}");
    report
}

fn assert_finding(report: &Value, check: &str, severity: &str, fix_contains: &str) {
    let f = finding(report, check).unwrap_or_else(|| panic!("no {check} finding in {report:#}"));
    assert_eq!(f["severity"], severity, "{f}");
    assert!(!f["message"].as_str().unwrap().is_empty());
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains(fix_contains), "{check}: fix {fix:?} lacks {fix_contains:?}");
}

fn passed(report: &Value, check: &str) -> bool {
    report["passed"].as_array().is_some_and(|p| p.iter().any(|x| x["check"] == check))
}

#[tokio::test]
async fn doctor_findings_each_with_its_fix() {
    let a = AgentCoreStack::start().await;
    let gw = a.gateway_url();
    let (team_id, key) = a.team_and_key("haiku-only", "haiku-key", &["claude-haiku"]).await;
    a.provider_with("litellm-proxy", &key).await;

    // All well but the address: loopback (error), plain http (warning); it answers from here.
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku"})).await;
    for check in [
        "model_prefix",
        "model_alias",
        "provider_missing",
        "provider_key_deleted",
        "key_model_access",
        "key_blocked",
        "key_expired",
        "key_budget",
        "api_base_liveliness",
    ] {
        assert!(passed(&r, check), "{check} in {r:#}");
    }
    assert_finding(&r, "api_base_unreachable", "error", "Deploy the gateway");
    assert_finding(&r, "api_base_insecure", "warning", "HTTPS");
    assert_eq!(r["errors"], 1, "{r:#}");
    assert_eq!(r["subject"]["key"]["key_alias"], "haiku-key");
    assert_eq!(r["subject"]["api_base"], gw.as_str());

    // The seed's mistake, and an alias the gateway does not have.
    let r = doctor(&a, json!({"model": "claude-haiku"})).await;
    assert_finding(&r, "model_prefix", "error", "litellm_proxy/claude-haiku");
    assert!(finding(&r, "model_prefix").unwrap()["message"].as_str().unwrap().contains("LLM Provider NOT provided"));
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-opus"})).await;
    assert_finding(&r, "model_alias", "error", "claude-haiku, claude-sonnet");
    let r = doctor(&a, json!({"model": ""})).await;
    assert_finding(&r, "model_missing", "error", "claude-haiku");

    // The key may not call the alias; blocked; expired; out of budget.
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-sonnet"})).await;
    assert_finding(&r, "key_model_access", "error", "Add 'claude-sonnet'");
    a.post("/key/block", json!({"key": key})).await;
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku"})).await;
    assert_finding(&r, "key_blocked", "error", "/key/unblock");
    a.post("/key/unblock", json!({"key": key})).await;
    a.post("/team/block", json!({"team_id": team_id})).await;
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku"})).await;
    assert_finding(&r, "key_blocked", "error", "/team/unblock");
    a.post("/team/unblock", json!({"team_id": team_id})).await;
    a.post("/key/update", json!({"key": key, "max_budget": 0.0})).await;
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku"})).await;
    assert_finding(&r, "key_budget", "error", "max_budget");
    a.post("/key/update", json!({"key": key, "max_budget": null})).await;
    a.post("/key/update", json!({"key": key, "duration": "1s"})).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku"})).await;
    assert_finding(&r, "key_expired", "error", "duration");
    a.post("/key/update", json!({"key": key, "duration": null})).await;

    // API base: missing, not a URL, not answering (a closed port of this machine).
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "api_base": ""})).await;
    assert_finding(&r, "api_base_missing", "error", "public_url");
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "api_base": "ftp://x"})).await;
    assert_finding(&r, "api_base_invalid", "error", "https://");
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "api_base": "http://127.0.0.1:1"})).await;
    assert_finding(&r, "api_base_liveliness", "error", "reach it");
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "api_base": format!("{gw}/v1")})).await;
    assert!(passed(&r, "api_base_liveliness"), "/v1 bases are probed at the root: {r:#}");
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "api_base": format!("{gw}/nowhere")})).await;
    assert_finding(&r, "api_base_liveliness", "error", "gateway's URL");

    // The provider: missing; holding another key than expected; holding a deleted key; holding
    // a key this gateway never stored.
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "credential_provider": "nope"})).await;
    assert_finding(&r, "provider_missing", "error", "POST /agentcore/providers");
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "key": "agentcore-harness-key"})).await;
    assert_finding(&r, "provider_other_key", "error", "/agentcore/providers/litellm-proxy/rotate");
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "key": "haiku-key"})).await;
    assert!(passed(&r, "provider_other_key"));
    let (_, other) = a.post("/key/generate", json!({"team_id": team_id, "key_alias": "short-lived"})).await;
    let other = other["key"].as_str().unwrap().to_string();
    a.post("/agentcore/providers", json!({"name": "short-lived", "key": other})).await;
    a.post("/key/delete", json!({"keys": [other]})).await;
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "credential_provider": "short-lived"})).await;
    assert_finding(&r, "provider_key_deleted", "error", "rotate");
    let (status, _) = a
        .console(
            reqwest::Method::POST,
            "/identities/CreateApiKeyCredentialProvider",
            json!({"name": "from-console", "apiKey": "sk-typed-in-the-console"}),
        )
        .await;
    assert_eq!(status, 201);
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "credential_provider": "from-console"})).await;
    assert_finding(&r, "provider_key_unknown", "warning", "rotate");

    // Harnesses: not READY, failed with a reason, missing, another model source.
    let (status, failing) = a
        .post("/agentcore/harnesses", json!({"harness_name": "failing_harness", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}))
        .await;
    assert_eq!(status, 200, "{failing}");
    let failing_id = failing["harness"]["harness_id"].as_str().unwrap().to_string();
    let r = doctor(&a, json!({"harness_id": failing_id})).await;
    assert_eq!(r["subject"]["harness_status"], "CREATE_FAILED");
    assert_finding(&r, "harness_status", "error", "failure reason");
    assert_finding(&r, "harness_failure", "error", "iam:PassRole");
    assert!(finding(&r, "harness_failure").unwrap()["message"].as_str().unwrap().contains("trust policy"));
    a.fake.set_harness_status(&failing_id, "UPDATING", None);
    let r = doctor(&a, json!({"harness_id": failing_id})).await;
    assert_finding(&r, "harness_status", "warning", "READY");
    let r = doctor(&a, json!({"harness_id": "nope-0123456789"})).await;
    assert_finding(&r, "harness_missing", "error", "region");
    let (status, bedrock) = a
        .console(reqwest::Method::POST, "/harnesses", json!({"harnessName": "quick_create", "executionRoleArn": ROLE}))
        .await;
    assert_eq!(status, 201);
    let r = doctor(&a, json!({"harness_id": bedrock["harness"]["harnessId"]})).await;
    assert_finding(&r, "model_source", "warning", "switch it to LiteLLM");
    // A harness edited in the console to a bare alias: the seed's error, found by the doctor.
    let (status, _) = a
        .console(
            reqwest::Method::POST,
            "/harnesses",
            json!({"harnessName": "seed_mistake", "executionRoleArn": ROLE, "model": {"liteLlmModelConfig": {"modelId": "claude-haiku", "apiBase": gw}}}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, list) = a.get("/agentcore/harnesses").await;
    let seed =
        list["harnesses"].as_array().unwrap().iter().find(|h| h["harness_name"] == "seed_mistake").unwrap().clone();
    let r = doctor(&a, json!({"harness_id": seed["harness_id"]})).await;
    assert_finding(&r, "model_prefix", "error", "litellm_proxy/claude-haiku");
    assert_finding(&r, "provider_missing", "error", "credential provider");

    // AWS itself failing is a finding too.
    let r = doctor(&a, json!({"model": "litellm_proxy/claude-haiku", "region": "Mars 1"})).await;
    assert_finding(&r, "aws", "error", "region code");

    // The CLI gives the same report, and fails when there are errors.
    let (result, out) = a.cli(&["doctor", "--model", "claude-haiku", "--json"]).await;
    assert!(result.unwrap_err().contains("error(s)"));
    let cli_report: Value = serde_json::from_str(&out).unwrap();
    let api_report = doctor(&a, json!({"model": "claude-haiku"})).await;
    assert_eq!(cli_report["findings"], api_report["findings"]);
    let (_, human) = a.cli(&["doctor", "--model", "claude-haiku"]).await;
    assert!(
        human.contains("error    model_prefix:") && human.contains("fix: Use litellm_proxy/claude-haiku"),
        "{human}"
    );
}

// ---------------------------------------------------------------------------
// One-click wiring and the playground

fn wire_body(harness_name: &str, role: &str) -> Value {
    json!({
        "harness_name": harness_name,
        "execution_role_arn": role,
        "model": "claude-haiku",
        "system_prompt": "You are a helpful assistant.",
        "force": true,
    })
}

async fn invoke(a: &AgentCoreStack, id: &str, body: Value) -> Vec<Value> {
    let (status, events) = a.sse(&format!("/agentcore/harnesses/{id}/invoke"), body).await;
    assert_eq!(status, 200, "{events:?}");
    events
}

fn text_of(events: &[Value]) -> String {
    events.iter().filter(|e| e["type"] == "text").filter_map(|e| e["text"].as_str()).collect()
}

fn types_of(events: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let t = e["type"].as_str().unwrap_or("").to_string();
        if out.last() != Some(&t) {
            out.push(t);
        }
    }
    out
}

#[tokio::test]
async fn wire_end_to_end_then_play_and_see_the_calls_under_the_harness_key() {
    let a = AgentCoreStack::start().await;
    let (status, events) = a.sse("/agentcore/wire", wire_body("seed_harness", ROLE)).await;
    assert_eq!(status, 200);
    // Progress as it happens: every step goes running → done, in order.
    let transitions: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "step")
        .map(|e| (e["step"]["id"].as_str().unwrap().to_string(), e["step"]["status"].as_str().unwrap().to_string()))
        .filter(|(_, s)| s != "not_started")
        .collect();
    let expected: Vec<(String, String)> = ["preflight", "team", "key", "provider", "harness", "ready"]
        .iter()
        .flat_map(|id| [(id.to_string(), "running".to_string()), (id.to_string(), "done".to_string())])
        .collect();
    assert_eq!(transitions, expected);
    let result = &events.last().unwrap()["result"];
    assert_eq!(result["ok"], true, "{result:#}");
    assert!(step_statuses(result).iter().all(|(_, s)| s == "done"));
    assert!(result["message"].as_str().unwrap().starts_with("Wired: harness seed_harness"), "{result}");
    assert_eq!(result["team"]["team_alias"], "agentcore-harness");
    assert_eq!(result["key"]["key_alias"], "agentcore-harness-key");
    assert_eq!(result["provider"]["name"], "litellm-proxy");
    assert_eq!(result["harness"]["status"], "READY");
    assert_eq!(result["harness"]["model"]["model_id"], "litellm_proxy/claude-haiku");
    let id = result["harness"]["harness_id"].as_str().unwrap().to_string();
    let token = result["key"]["token"].as_str().unwrap().to_string();
    let stored = a.fake.provider_api_key("litellm-proxy").unwrap();
    assert_eq!(hash(&stored), token, "the provider holds the wired key");
    let (_, team) = a.get(&format!("/team/info?team_id={}", result["team"]["team_id"].as_str().unwrap())).await;
    assert!(team["team_info"]["models"].as_array().unwrap().contains(&json!("claude-sonnet")), "{team}");
    // The panel's provider list says which key the provider holds.
    let (_, providers) = a.get("/agentcore/providers").await;
    assert_eq!(providers["providers"][0]["key"]["key_alias"], "agentcore-harness-key");

    // The live request log, open before the harness calls the gateway.
    let mut feed = a.s.http.get(a.s.url("/switchboard/requests/stream")).bearer_auth(MASTER_KEY).send().await.unwrap();

    // The playground: the harness calls this gateway with the key AgentCore holds.
    let events = invoke(&a, &id, json!({"message": "Hello"})).await;
    assert_eq!(events[0]["type"], "session");
    let session = events[0]["session_id"].as_str().unwrap().to_string();
    assert_eq!(text_of(&events), "Hello from fake-bedrock! You said: Hello");
    // The harness's events in order; its model call is reported beside them as it ends (where,
    // among the harness's events, depends on which arrives first).
    let harness_events: Vec<Value> = events.iter().filter(|e| e["type"] != "gateway_call").cloned().collect();
    assert_eq!(
        types_of(&harness_events),
        ["session", "message_start", "text", "content_block_stop", "message_stop", "metadata", "done"]
    );
    let calls: Vec<&Value> = events.iter().filter(|e| e["type"] == "gateway_call").collect();
    assert_eq!(calls.len(), 1, "{events:#?}");
    assert_eq!(calls[0]["call"]["model_group"], "claude-haiku");
    let stop = events.iter().find(|e| e["type"] == "message_stop").unwrap();
    assert_eq!(stop["stop_reason"], "end_turn");
    let usage = events.iter().find(|e| e["type"] == "metadata").unwrap();
    assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0, "{usage}");
    let call = &a.fake.model_calls()[0];
    assert_eq!(call.url, format!("{}/chat/completions", a.gateway_url()));
    assert_eq!(call.authorization.as_deref(), Some(format!("Bearer {stored}").as_str()));
    assert_eq!(call.body["model"], "claude-haiku");

    let row = tokio::time::timeout(Duration::from_secs(10), async {
        let mut text = String::new();
        while let Ok(Some(chunk)) = feed.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(row) = sse_data(&text).iter().filter_map(|d| serde_json::from_str::<Value>(d).ok()).next() {
                return row;
            }
        }
        Value::Null
    })
    .await
    .expect("a live row");
    assert_eq!(row["key_alias"], "agentcore-harness-key");
    assert_eq!(row["api_key"], token.as_str());
    assert_eq!(row["model_group"], "claude-haiku");

    // A second turn in the same session carries the conversation.
    let events = invoke(&a, &id, json!({"message": "And again", "session_id": session})).await;
    assert_eq!(events[0]["session_id"], session.as_str());
    assert_eq!(text_of(&events), "Hello from fake-bedrock! You said: And again");
    let messages = a.fake.model_calls()[1].body["messages"].as_array().unwrap().len();
    assert_eq!(messages, 4, "system, user, assistant, user");

    // Tool use, hook events and tool results as they arrive.
    let events =
        invoke(&a, &id, json!({"message": "What time is it in Paris? Use the tool.", "session_id": session})).await;
    let types = types_of(&events);
    for t in ["tool_use_start", "tool_use_input", "hook", "tool_result", "message_stop", "metadata"] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    let tool = events.iter().find(|e| e["type"] == "tool_use_start").unwrap();
    assert_eq!(tool["name"], "current_time");
    let result_event = events.iter().find(|e| e["type"] == "tool_result").unwrap();
    assert_eq!(result_event["content"][0]["text"], "It is 12:00 in Paris.");
    let hook = events.iter().find(|e| e["type"] == "hook").unwrap();
    assert_eq!(hook["hook_type"], "before_tool_call");
    assert!(text_of(&events).contains("The tool said: It is 12:00 in Paris."));
    let stops: Vec<&Value> = events.iter().filter(|e| e["type"] == "message_stop").map(|e| &e["stop_reason"]).collect();
    assert_eq!(stops, [&json!("tool_use"), &json!("tool_result"), &json!("end_turn")]);

    // Switch the model in one action; the next turn goes to claude-sonnet.
    let (status, _) =
        a.patch(&format!("/agentcore/harnesses/{id}"), json!({"model": "claude-sonnet", "force": true})).await;
    assert_eq!(status, 200);
    let events = invoke(&a, &id, json!({"message": "Hi sonnet"})).await;
    assert_eq!(text_of(&events), "Hello from fake-bedrock! You said: Hi sonnet");

    // Every call is in the spend logs under the harness's key.
    let (_, logs) = a.get(&format!("/spend/logs?api_key={token}")).await;
    let rows = logs.as_array().unwrap();
    assert_eq!(rows.len(), 5, "hello, again, tool call, tool answer, sonnet: {logs:#}");
    assert!(rows.iter().all(|r| r["key_alias"] == "agentcore-harness-key" && r["status"] == "success"));
    assert!(rows.iter().any(|r| r["model_group"] == "claude-sonnet"));

    // Wiring again reuses the team, key and provider; the harness name is taken, and the fix
    // says how to wire that harness instead.
    let (_, again) = a.post("/agentcore/wire", wire_body("seed_harness", ROLE)).await;
    assert_eq!(again["ok"], false);
    let steps = step_statuses(&again);
    assert_eq!(steps[4], ("harness".to_string(), "failed".to_string()));
    let harness_step = &again["steps"][4];
    assert_eq!(harness_step["error"]["code"], "ConflictException");
    assert!(harness_step["fix"].as_str().unwrap().contains(&format!("\"harness_id\": \"{id}\"")), "{harness_step}");
    assert!(again["steps"][2]["message"].as_str().unwrap().contains("reused"), "{again:#}");
    let mut by_id = wire_body("ignored", ROLE);
    by_id["harness_id"] = json!(id);
    let (_, rewired) = a.post("/agentcore/wire", by_id).await;
    assert_eq!(rewired["ok"], true, "{rewired:#}");
    assert_eq!(rewired["harness"]["model"]["model_id"], "litellm_proxy/claude-haiku");
    assert_eq!(a.fake.provider_api_key("litellm-proxy").unwrap(), stored, "the same key");
}

#[tokio::test]
async fn wire_stops_cleanly_at_a_failing_step() {
    let a = AgentCoreStack::start().await;

    // AgentCore refuses the harness (iam:PassRole): what was done is said, the rest not started.
    let (status, r) = a.post("/agentcore/wire", wire_body("seed_harness", DENIED_ROLE)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["ok"], false);
    assert_eq!(
        step_statuses(&r),
        [
            ("preflight", "done"),
            ("team", "done"),
            ("key", "done"),
            ("provider", "done"),
            ("harness", "failed"),
            ("ready", "not_started")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let failed = &r["steps"][4];
    assert_eq!(failed["error"]["code"], "AccessDeniedException");
    assert_eq!(failed["error"]["kind"], "access_denied");
    assert!(failed["message"].as_str().unwrap().contains("iam:PassRole"), "{failed}");
    assert!(failed["fix"].as_str().unwrap().contains("iam:PassRole on the execution role"), "{failed}");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with("Stopped at \"Harness with model source LiteLLM\": AccessDeniedException"),
        "{message}"
    );
    assert!(
        message.contains("Done before it: ")
            && message.contains("created litellm-proxy holding key agentcore-harness-key"),
        "{message}"
    );
    assert!(message.ends_with("Not started: Harness READY."), "{message}");
    assert_eq!(r["fix"], failed["fix"]);
    assert_eq!(r["provider"]["key"]["key_alias"], "agentcore-harness-key");
    assert!(r["harness"].is_null());
    // After fixing the role, wiring again picks up where it stopped.
    let (_, r) = a.post("/agentcore/wire", wire_body("seed_harness", ROLE)).await;
    assert_eq!(r["ok"], true, "{r:#}");
    assert!(r["steps"][1]["message"].as_str().unwrap().contains("existing team"));
    assert!(r["steps"][2]["message"].as_str().unwrap().contains("reused"));

    // An invalid harness name stops before anything is created.
    let b = AgentCoreStack::start().await;
    let (_, r) = b.post("/agentcore/wire", wire_body("litellm-harness", ROLE)).await;
    assert_eq!(r["ok"], false);
    let statuses = step_statuses(&r);
    assert_eq!(statuses[0], ("preflight".to_string(), "failed".to_string()));
    assert!(statuses[1..].iter().all(|(_, s)| s == "not_started"), "{statuses:?}");
    assert!(r["steps"][0]["message"].as_str().unwrap().contains("Try 'litellm_harness'"), "{r}");
    assert!(r["message"].as_str().unwrap().contains("Nothing was created or changed"), "{r}");
    assert!(b.fake.control_requests().is_empty());
    let (_, teams) = b.get("/team/list").await;
    assert_eq!(teams.as_array().map(Vec::len), Some(0), "{teams}");

    // Without force, the doctor's errors (a loopback API base) stop it before anything is made.
    let mut unforced = wire_body("seed_harness", ROLE);
    unforced["force"] = json!(false);
    let (_, r) = b.post("/agentcore/wire", unforced).await;
    assert_eq!(r["steps"][0]["status"], "failed");
    assert!(r["steps"][0]["fix"].as_str().unwrap().contains("Deploy the gateway"), "{r}");
    assert!(finding(&r["steps"][0]["detail"], "api_base_unreachable").is_some());

    // AgentCore refuses the credential provider: the key generated for it is deleted again.
    b.fake.fail(
        "CreateApiKeyCredentialProvider",
        1,
        402,
        "ServiceQuotaExceededException",
        "You have reached the maximum number of credential providers",
    );
    let (_, r) = b.post("/agentcore/wire", wire_body("seed_harness", ROLE)).await;
    assert_eq!(
        step_statuses(&r)[..4],
        [("preflight", "done"), ("team", "done"), ("key", "rolled_back"), ("provider", "failed")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(r["steps"][3]["error"]["kind"], "quota");
    assert!(r["steps"][3]["fix"].as_str().unwrap().contains("Service Quotas"), "{r}");
    assert!(r["steps"][2]["message"].as_str().unwrap().contains("deleted it again"), "{r}");
    let (_, keys) = b.get("/key/list?key_alias=agentcore-harness-key").await;
    assert_eq!(keys["total_count"], 0, "{keys}");

    // The harness fails to be created (AgentCore says why).
    let (_, r) = b.post("/agentcore/wire", wire_body("failing_harness", ROLE)).await;
    assert_eq!(r["ok"], false);
    assert_eq!(r["steps"][5]["status"], "failed");
    assert!(r["steps"][5]["message"].as_str().unwrap().contains("CREATE_FAILED"), "{r:#}");
    assert!(r["steps"][5]["fix"].as_str().unwrap().contains("execution role"), "{r:#}");

    // The CLI prints each step and the final message, and fails.
    let (result, out) =
        b.cli(&["wire", "--name", "x-y", "--role-arn", ROLE, "--model", "claude-haiku", "--force"]).await;
    assert!(result.is_err());
    assert!(out.contains("[failed] Check the configuration (doctor)") && out.contains("Nothing was created"), "{out}");
}

// ---------------------------------------------------------------------------
// Errors

#[tokio::test]
async fn aws_errors_come_with_the_service_message_and_what_to_do() {
    let a = AgentCoreStack::start().await;
    for (status, code, message, http, kind, fix) in [
        (
            400,
            "ValidationException",
            "1 validation error detected: maxResults",
            400,
            "aws_validation_error",
            "names it",
        ),
        (
            403,
            "AccessDeniedException",
            "User: x is not authorized to perform: bedrock-agentcore:ListHarnesses",
            403,
            "aws_access_denied",
            "bedrock-agentcore:ListHarnesses",
        ),
        (404, "ResourceNotFoundException", "nothing here", 404, "aws_not_found", "region and profile"),
        (429, "ThrottlingException", "Rate exceeded", 429, "aws_throttling", "wait a few seconds"),
        (402, "ServiceQuotaExceededException", "Quota reached", 402, "aws_quota_exceeded", "Service Quotas"),
        (500, "InternalServerException", "Something broke", 502, "aws_service_error", "try again"),
        (
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            502,
            "aws_credentials_error",
            "aws sso login",
        ),
    ] {
        // Retried errors fail every attempt.
        a.fake.fail("ListHarnesses", 3, status, code, message);
        let (got, e) = a.get("/agentcore/harnesses").await;
        assert_eq!(got, http, "{code}: {e}");
        assert_eq!(e["error"]["type"], kind, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(&format!("{code}: {message}")), "{e}");
        assert!(e["error"]["fix"].as_str().unwrap().contains(fix), "{code}: {e}");
        a.fake.clear_faults();
    }
    // No region at all, and an unreachable endpoint.
    let (status, e) = a.get("/agentcore/harnesses?region=us_east_1").await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["type"], "aws_configuration_error");
    let fake = FakeAgentCore::start().await.unwrap();
    let settings = agentcore_settings(&fake).replace(&fake.control_endpoint_url(), "http://127.0.0.1:1");
    let s = Stack::start_with(&settings).await;
    let r = s.get("/agentcore/providers").await;
    assert_eq!(r.status(), 502);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["type"], "aws_connection_error", "{e}");
    assert!(e["error"]["fix"].as_str().unwrap().contains("AWS_ENDPOINT_URL"), "{e}");

    // Playground errors: an unknown harness, a bad session id; in-stream errors with a fix.
    let (status, e) = a.sse("/agentcore/harnesses/nope-0123456789/invoke", json!({"message": "hi"})).await;
    assert_eq!(status, 404, "{e:?}");
    let (status, e) = a.sse("/agentcore/harnesses/x/invoke", json!({"message": "hi", "session_id": "short"})).await;
    assert_eq!(status, 400, "{e:?}");
    let (_, key) = a.team_and_key("t", "k", &[]).await;
    let provider = a.provider_with("litellm-proxy", &key).await;
    let arn = provider["provider"]["credential_provider_arn"].as_str().unwrap();
    let (_, bare) = a
        .console(
            reqwest::Method::POST,
            "/harnesses",
            json!({"harnessName": "seed_mistake", "executionRoleArn": ROLE,
                   "model": {"liteLlmModelConfig": {"modelId": "claude-haiku", "apiKeyArn": arn, "apiBase": a.gateway_url()}}}),
        )
        .await;
    let bare_id = bare["harness"]["harnessId"].as_str().unwrap().to_string();
    let events = invoke(&a, &bare_id, json!({"message": "Hello"})).await;
    let error = events.last().unwrap();
    assert_eq!(error["type"], "error", "{events:?}");
    assert_eq!(error["code"], "RuntimeClientError");
    assert!(
        error["message"].as_str().unwrap().contains(
            "LLM Provider NOT provided. Pass in the LLM provider you are trying to call. You passed model=claude-haiku"
        ),
        "{error}"
    );
    assert!(error["fix"].as_str().unwrap().contains("litellm_proxy/<alias>"), "{error}");
    // Fixed in one action through Switchboard, which always sends the prefix.
    let (status, _) =
        a.patch(&format!("/agentcore/harnesses/{bare_id}"), json!({"model": "claude-haiku", "force": true})).await;
    assert_eq!(status, 200);
    assert_eq!(
        text_of(&invoke(&a, &bare_id, json!({"message": "Hello"})).await),
        "Hello from fake-bedrock! You said: Hello"
    );
    // A blocked key: the gateway refuses the harness; the fix says to rotate.
    a.post("/key/block", json!({"key": key})).await;
    let events = invoke(&a, &bare_id, json!({"message": "Hello"})).await;
    let error = events.last().unwrap();
    assert!(error["message"].as_str().unwrap().contains("litellm.AuthenticationError"), "{error}");
    assert!(error["fix"].as_str().unwrap().contains("rotate"), "{error}");
    // A turn the service refuses before streaming is an HTTP error.
    a.fake.fail("InvokeHarness", 3, 429, "ThrottlingException", "Too many sessions");
    let (status, e) = a.sse(&format!("/agentcore/harnesses/{bare_id}/invoke"), json!({"message": "Hello"})).await;
    assert_eq!(status, 429, "{e:?}");
    assert!(e[0]["error"]["message"].as_str().unwrap().contains("Too many sessions"));
}

// ---------------------------------------------------------------------------
// CLI

#[tokio::test]
async fn cli_gives_the_same_results_as_the_api() {
    let a = AgentCoreStack::start().await;
    let (team_id, _) = a.team_and_key("cli-team", "unused", &[]).await;

    let (result, out) =
        a.cli(&["providers", "create", "--generate", "--team-id", &team_id, "--key-alias", "cli-key"]).await;
    result.unwrap();
    let created: Value = serde_json::from_str(&a.cli(&["providers", "--json"]).await.1).unwrap();
    let (_, api) = a.get("/agentcore/providers").await;
    assert_eq!(created, api);
    assert!(out.is_empty() || out.contains("now holds"), "{out}");
    let (_, human) = a.cli(&["providers"]).await;
    assert!(human.contains("litellm-proxy") && human.contains("holds key cli-key"), "{human}");

    // Rotate with a key read from the environment (never a command-line argument).
    let (_, k) = a.post("/key/generate", json!({"team_id": team_id, "key_alias": "env-key"})).await;
    // SAFETY: a variable name no other test reads.
    unsafe { std::env::set_var("SWITCHBOARD_TEST_CLI_KEY", k["key"].as_str().unwrap()) };
    let (result, out) = a.cli(&["providers", "rotate", "litellm-proxy", "--key-env", "SWITCHBOARD_TEST_CLI_KEY"]).await;
    result.unwrap();
    assert!(out.contains("now holds key env-key") && out.contains("It held key cli-key"), "{out}");

    let (result, out) = a
        .cli(&[
            "harnesses",
            "create",
            "--name",
            "cli_harness",
            "--role-arn",
            ROLE,
            "--model",
            "claude-haiku",
            "--force",
            "--json",
        ])
        .await;
    result.unwrap();
    let saved: Value = serde_json::from_str(&out).unwrap();
    let id = saved["harness"]["harness_id"].as_str().unwrap().to_string();
    let shown: Value = serde_json::from_str(&a.cli(&["harnesses", "show", &id, "--json"]).await.1).unwrap();
    let (_, api) = a.get(&format!("/agentcore/harnesses/{id}")).await;
    assert_eq!(shown, api);
    let (result, out) = a.cli(&["harnesses", "update", &id, "--model", "claude-sonnet", "--force"]).await;
    result.unwrap();
    assert!(out.contains("litellm_proxy/claude-sonnet") && out.contains("holds key env-key"), "{out}");
    let listed: Value = serde_json::from_str(&a.cli(&["harnesses", "list", "--json"]).await.1).unwrap();
    let (_, api) = a.get("/agentcore/harnesses").await;
    assert_eq!(listed, api);

    let (result, out) = a.cli(&["invoke", &id, "Hello from the CLI"]).await;
    result.unwrap();
    assert!(out.starts_with("session switchboard-"), "{out}");
    assert!(out.contains("Hello from fake-bedrock! You said: Hello from the CLI"), "{out}");
    assert!(out.contains("[stop: end_turn]"), "{out}");
    let (_, json_lines) = a.cli(&["invoke", &id, "again", "--json"]).await;
    let events: Vec<Value> = json_lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events[0]["type"], "session");
    assert_eq!(events.last().unwrap()["type"], "done");

    let (result, out) =
        a.cli(&["wire", "--name", "cli_wired", "--role-arn", ROLE, "--model", "claude-haiku", "--force"]).await;
    result.unwrap();
    for step in [
        "[done] Check the configuration",
        "[done] Team",
        "[done] Virtual key",
        "[done] Credential provider",
        "[done] Harness with model source LiteLLM",
        "[done] Harness READY",
        "Wired: harness cli_wired",
    ] {
        assert!(out.contains(step), "{step} in {out}");
    }
    let (result, out) = a.cli(&["harnesses", "delete", &id]).await;
    result.unwrap();
    assert!(out.contains("Deleted harness"), "{out}");
    let (result, _) = a.cli(&["harnesses", "show", &id]).await;
    assert!(result.unwrap_err().contains("ResourceNotFoundException"));
}
