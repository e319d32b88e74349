//! Virtual keys, teams, users, budgets, limits and spend, through LiteLLM's admin API.
//! Runs on SQLite, and on PostgreSQL when `SWITCHBOARD_TEST_DATABASE_URL` is set (`make test`
//! runs both).

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use switchboard_tests::*;

fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello there"}]})
}

async fn post_as(s: &Stack, key: &str, path: &str, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let r = s.http.post(s.url(path)).bearer_auth(key).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.json().await.unwrap_or(Value::Null), headers)
}

/// `/key/info` of `key`, asked with the master key.
async fn key_info(http: &reqwest::Client, base_url: &str, key: &str) -> Value {
    http.get(format!("{base_url}/key/info?key={key}"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn admin(s: &Stack, path: &str, body: Value) -> Value {
    let r = s.post(path, &body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path} {body} → {status}: {v}");
    v
}

/// The seed article's recipe: a team for two aliases, and a key for it.
async fn seed_team_and_key(s: &Stack) -> (String, String) {
    let team =
        admin(s, "/team/new", json!({"team_alias": "agentcore-harness", "models": ["claude-sonnet", "claude-haiku"]}))
            .await;
    let team_id = team["team_id"].as_str().unwrap().to_string();
    assert_eq!(team["models"], json!(["claude-sonnet", "claude-haiku"]));
    let key = admin(s, "/key/generate", json!({"team_id": team_id, "key_alias": "agentcore-harness-key"})).await;
    let clear = key["key"].as_str().unwrap().to_string();
    assert!(clear.starts_with("sk-"));
    assert_eq!(key["key_name"], format!("sk-...{}", &clear[clear.len() - 4..]));
    assert_ne!(key["token"], key["key"]);
    assert!(key["created_at"].is_string() && key["token_id"].is_string());
    (team_id, clear)
}

#[tokio::test]
async fn seed_recipe_key_calls_its_team_models_only() {
    let s = Stack::start().await;
    let (team_id, key) = seed_team_and_key(&s).await;

    let (status, body, headers) = post_as(&s, &key, "/v1/chat/completions", &chat_body("claude-haiku")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "Hello from fake-bedrock! You said: hello there");
    let cost: f64 = headers["x-litellm-response-cost"].to_str().unwrap().parse().unwrap();
    assert!(cost > 0.0, "the bundled price map prices the seed's haiku profile");

    let (status, _, _) = post_as(&s, &key, "/chat/completions", &chat_body("claude-sonnet")).await;
    assert_eq!(status, 200);

    let (status, body, _) = post_as(&s, &key, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "team_model_access_denied");
    assert_eq!(body["error"]["code"], "403");
    assert_eq!(
        body["error"]["message"],
        "team not allowed to access model. This team can only access models=['claude-sonnet', 'claude-haiku']. \
         Tried to access gpt-4o-mini",
        "LiteLLM's words: its clients match on them"
    );
    assert!(s.openai.requests().is_empty());
    let logs: Value = s.get(&format!("/spend/logs?api_key={key}&status=failure")).await.json().await.unwrap();
    assert_eq!(
        logs[0]["model_group"], "gpt-4o-mini",
        "refusals are logged where users look for their requests: {logs}"
    );
    assert_eq!(logs[0]["metadata"]["outcome"], "refused");

    let models: Value = s.http.get(s.url("/v1/models")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["claude-haiku", "claude-sonnet"]);

    // LiteLLM checks access before the name: a key learns of no model outside its team's list.
    let (status, body, _) = post_as(&s, &key, "/v1/chat/completions", &chat_body("nope")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "team_model_access_denied");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("models=['claude-sonnet', 'claude-haiku']. Tried to access nope"),
        "{body}"
    );

    let info: Value = s.get(&format!("/team/info?team_id={team_id}")).await.json().await.unwrap();
    assert_eq!(info["team_info"]["team_alias"], "agentcore-harness");
    assert_eq!(info["keys"][0]["key_alias"], "agentcore-harness-key");
}

#[tokio::test]
async fn key_model_rules_wildcards_and_team_intersection() {
    let s = Stack::start().await;
    let (team_id, _) = seed_team_and_key(&s).await;
    let narrow = admin(&s, "/key/generate", json!({"team_id": team_id, "models": ["claude-haiku"]})).await;
    let narrow = narrow["key"].as_str().unwrap();
    let (status, body, _) = post_as(&s, narrow, "/v1/chat/completions", &chat_body("claude-sonnet")).await;
    assert_eq!((status, body["error"]["type"].as_str()), (403, Some("key_model_access_denied")), "{body}");
    assert_eq!(
        body["error"]["message"],
        "key not allowed to access model. This key can only access models=['claude-haiku']. Tried to access claude-sonnet"
    );

    let bedrock_only = admin(&s, "/key/generate", json!({"models": ["bedrock/*"]})).await;
    let bedrock_only = bedrock_only["key"].as_str().unwrap();
    assert_eq!(post_as(&s, bedrock_only, "/v1/chat/completions", &chat_body("claude-sonnet")).await.0, 200);
    assert_eq!(post_as(&s, bedrock_only, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0, 403);

    let all_team = admin(&s, "/key/generate", json!({"team_id": team_id, "models": ["all-team-models"]})).await;
    let all_team = all_team["key"].as_str().unwrap();
    assert_eq!(post_as(&s, all_team, "/v1/chat/completions", &chat_body("claude-sonnet")).await.0, 200);

    let unrestricted = admin(&s, "/key/generate", json!({})).await;
    assert_eq!(
        post_as(&s, unrestricted["key"].as_str().unwrap(), "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0,
        200
    );
}

#[tokio::test]
async fn block_unblock_and_expiry_apply_to_the_next_request() {
    let s = Stack::start().await;
    let (_, key) = seed_team_and_key(&s).await;
    admin(&s, "/key/block", json!({"key": key})).await;
    let (status, body, _) = post_as(&s, &key, "/v1/chat/completions", &chat_body("claude-haiku")).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("Key is blocked"));
    admin(&s, "/key/unblock", json!({"key": key})).await;
    assert_eq!(post_as(&s, &key, "/v1/chat/completions", &chat_body("claude-haiku")).await.0, 200);

    let short = admin(&s, "/key/generate", json!({"duration": "1s"})).await;
    assert!(short["expires"].is_string());
    let short = short["key"].as_str().unwrap();
    assert_eq!(post_as(&s, short, "/v1/chat/completions", &chat_body("claude-haiku")).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body, _) = post_as(&s, short, "/v1/chat/completions", &chat_body("claude-haiku")).await;
    assert_eq!((status, body["error"]["type"].as_str()), (401, Some("expired_key")), "{body}");

    let (status, body, _) =
        post_as(&s, "sk-never-issued-0000000000", "/v1/chat/completions", &chat_body("claude-haiku")).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn concurrent_requests_never_overspend_more_than_what_is_in_flight() {
    let openai = FakeOpenAi::start().await.unwrap();
    // 1 cent per token: "hello there" (2 prompt tokens) + the fake's 7-word answer = 9 cents a call.
    let gw = start_gateway(&format!(
        "model_list:\n  - model_name: priced\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{}', api_key: {UPSTREAM_KEY}, input_cost_per_token: 0.01, output_cost_per_token: 0.01}}\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n",
        openai.base_url()
    ))
    .await;
    let http = client();
    let key: Value = http
        .post(format!("{}/key/generate", gw.base_url()))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"max_budget": 0.45, "key_alias": "small-budget"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_string();

    const IN_FLIGHT: usize = 8;
    let results: Vec<(u16, Value)> = futures::stream::iter(0..60)
        .map(|_| {
            let (http, url, key) = (http.clone(), format!("{}/v1/chat/completions", gw.base_url()), key.clone());
            async move {
                let r = http.post(url).bearer_auth(key).json(&chat_body("priced")).send().await.unwrap();
                (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<_> = results.iter().filter(|(s, _)| *s == 400).collect();
    assert_eq!(ok + refused.len(), 60, "{results:?}");
    assert!(refused.iter().all(|(_, b)| b["error"]["type"] == "budget_exceeded"));
    assert!(
        refused[0].1["error"]["message"].as_str().unwrap().starts_with("Budget has been exceeded! Key=small-budget")
    );
    let per_call = 0.09;
    assert!(ok >= 5, "the budget allows 5 calls: {ok}");
    assert!(ok <= 5 + IN_FLIGHT, "{ok} calls passed a 5-call budget with at most {IN_FLIGHT} in flight");

    let info = key_info(&http, &gw.base_url(), &key).await;
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!((spend - ok as f64 * per_call).abs() < 1e-9, "spend {spend} for {ok} calls");
    assert!(spend <= 0.45 + IN_FLIGHT as f64 * per_call);
    assert_eq!(openai.requests().len(), ok, "refused calls never reached the upstream");
}

#[tokio::test]
async fn rpm_limit_is_exact_under_concurrency_and_says_when_to_retry() {
    let s = Stack::start().await;
    let key = admin(&s, "/key/generate", json!({"rpm_limit": 5})).await;
    let key = key["key"].as_str().unwrap().to_string();
    let statuses: Vec<(u16, Option<String>)> = futures::stream::iter(0..20)
        .map(|_| {
            let (http, url, key) = (s.http.clone(), s.url("/v1/chat/completions"), key.clone());
            async move {
                let r = http.post(url).bearer_auth(key).json(&chat_body("gpt-4o-mini")).send().await.unwrap();
                (r.status().as_u16(), r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string()))
            }
        })
        .buffer_unordered(20)
        .collect()
        .await;
    // A test that straddles a minute boundary may see a fresh window for the late requests.
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    assert!((5..=10).contains(&ok), "{statuses:?}");
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(ok + limited.len(), 20);
    assert!(limited.iter().all(|(_, retry)| retry.as_ref().is_some_and(|r| r.parse::<u64>().unwrap() <= 60)));
}

#[tokio::test]
async fn max_parallel_requests_caps_calls_in_flight() {
    let s = Stack::start().await;
    let key = admin(&s, "/key/generate", json!({"max_parallel_requests": 2})).await;
    let key = key["key"].as_str().unwrap().to_string();
    // `openai-slow` takes 0.5 s to time out: two calls hold both slots meanwhile.
    let statuses: Vec<u16> = futures::stream::iter(0..6)
        .map(|_| {
            let (http, url, key) = (s.http.clone(), s.url("/v1/chat/completions"), key.clone());
            async move {
                http.post(url).bearer_auth(key).json(&chat_body("openai-slow")).send().await.unwrap().status().as_u16()
            }
        })
        .buffer_unordered(6)
        .collect()
        .await;
    assert_eq!(statuses.iter().filter(|s| **s == 408).count(), 2, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 4, "{statuses:?}");
    // Slots are given back when calls end.
    assert_eq!(post_as(&s, &key, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0, 200);
    let zero = admin(&s, "/key/generate", json!({"max_parallel_requests": 0})).await;
    assert_eq!(
        post_as(&s, zero["key"].as_str().unwrap(), "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0,
        429
    );
}

#[tokio::test]
async fn spend_is_logged_per_request_and_totalled_per_key_team_and_model() {
    let s = Stack::start().await;
    let (team_id, key) = seed_team_and_key(&s).await;
    let (_, body, headers) = post_as(&s, &key, "/v1/chat/completions", &chat_body("claude-haiku")).await;
    let response_id = body["id"].as_str().unwrap().to_string();
    let call_id = headers["x-litellm-call-id"].to_str().unwrap().to_string();
    let cost: f64 = headers["x-litellm-response-cost"].to_str().unwrap().parse().unwrap();
    let (status, _, _) = post_as(
        &s,
        &key,
        "/v1/chat/completions",
        &json!({"model": "claude-sonnet", "stream": true, "messages": [{"role": "user", "content": "stream it"}]}),
    )
    .await;
    assert_eq!(status, 200);

    // The row is the call's (x-litellm-call-id); the upstream's id finds it too, as in LiteLLM.
    let logs: Value = s.get(&format!("/spend/logs?request_id={response_id}")).await.json().await.unwrap();
    let row = &logs[0];
    assert_eq!(row["request_id"], call_id.as_str());
    assert_eq!(row["response_id"], response_id.as_str());
    let by_call: Value = s.get(&format!("/spend/logs?request_id={call_id}")).await.json().await.unwrap();
    assert_eq!(&by_call[0], row);
    assert_eq!(row["api_key"], switchboard::auth::hash_key(&key));
    assert_eq!(row["key_alias"], "agentcore-harness-key");
    assert_eq!(row["team_id"], team_id.as_str());
    assert_eq!(row["model_group"], "claude-haiku");
    assert_eq!(row["model"], "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0");
    assert_eq!(row["custom_llm_provider"], "bedrock");
    assert_eq!(row["prompt_tokens"], 2);
    assert_eq!(row["status"], "success");
    assert!((row["spend"].as_f64().unwrap() - cost).abs() < 1e-12);
    assert_eq!(row["metadata"]["user_api_key_team_id"], team_id.as_str());

    let all: Value = s.get(&format!("/spend/logs?api_key={key}")).await.json().await.unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2, "streamed calls are logged too: {all}");
    let streamed = all.as_array().unwrap().iter().find(|r| r["model_group"] == "claude-sonnet").unwrap();
    assert!(
        streamed["completion_tokens"].as_u64().unwrap() > 0,
        "usage of a stream is recorded even when the client did not ask for it"
    );

    let key_info: Value = s.get(&format!("/key/info?key={key}")).await.json().await.unwrap();
    let total = all.as_array().unwrap().iter().map(|r| r["spend"].as_f64().unwrap()).sum::<f64>();
    assert!((key_info["info"]["spend"].as_f64().unwrap() - total).abs() < 1e-12);
    let team_info: Value = s.get(&format!("/team/info?team_id={team_id}")).await.json().await.unwrap();
    assert!((team_info["team_info"]["spend"].as_f64().unwrap() - total).abs() < 1e-12);

    let teams: Value = s.get("/global/spend/teams").await.json().await.unwrap();
    assert_eq!(teams["total_spend_per_team"][0]["team_alias"], "agentcore-harness", "{teams}");
    let keys: Value = s.get("/global/spend/keys").await.json().await.unwrap();
    assert_eq!(keys[0]["key_alias"], "agentcore-harness-key");
    let models: Value = s.get("/global/spend/models").await.json().await.unwrap();
    assert_eq!(models.as_array().unwrap().len(), 2);
    let global: Value = s.get("/global/spend").await.json().await.unwrap();
    assert!((global["spend"].as_f64().unwrap() - total).abs() < 1e-12);

    // A key sees its own rows only.
    let own: Value = s.http.get(s.url("/spend/logs")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(own.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn keys_spend_and_models_survive_a_restart() {
    let openai = FakeOpenAi::start().await.unwrap();
    let yaml = format!("model_list: []\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n");
    let gw = start_gateway(&yaml).await;
    let http = client();
    let call = |base: String, path: &'static str, key: String, body: Value| {
        let http = http.clone();
        async move {
            let r = http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, model) = call(
        gw.base_url(),
        "/model/new",
        MASTER_KEY.into(),
        json!({"model_name": "db-model", "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": openai.base_url(), "api_key": UPSTREAM_KEY, "input_cost_per_token": 0.001, "output_cost_per_token": 0}}),
    )
    .await;
    assert_eq!(status, 200, "{model}");
    assert_eq!(model["litellm_params"]["api_key"], "********", "stored secrets are not shown back");
    let (_, key) = call(gw.base_url(), "/key/generate", MASTER_KEY.into(), json!({"key_alias": "persistent"})).await;
    let key = key["key"].as_str().unwrap().to_string();
    let (status, _) = call(gw.base_url(), "/v1/chat/completions", key.clone(), chat_body("db-model")).await;
    assert_eq!(status, 200);
    let db = gw.shutdown().await;

    let gw = start_gateway_on(&yaml, db).await;
    let (status, body) = call(gw.base_url(), "/v1/chat/completions", key.clone(), chat_body("db-model")).await;
    assert_eq!(status, 200, "{body}");
    let info = key_info(&http, &gw.base_url(), &key).await;
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!((spend - 2.0 * 0.002).abs() < 1e-9, "two calls of 2 prompt tokens at 0.001: {spend}");
    let model_info: Value = http
        .get(format!("{}/model/info", gw.base_url()))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = model_info["data"][0]["model_info"]["id"].as_str().unwrap().to_string();
    let (status, _) = call(gw.base_url(), "/model/delete", MASTER_KEY.into(), json!({"id": id})).await;
    assert_eq!(status, 200);
    let (status, _) = call(gw.base_url(), "/v1/chat/completions", key.clone(), chat_body("db-model")).await;
    assert_eq!(status, 400, "deleted models are gone at once");
}

#[tokio::test]
async fn config_models_cannot_be_deleted_through_the_api() {
    let s = Stack::start().await;
    let info: Value = s.get("/model/info").await.json().await.unwrap();
    let id = info["data"][0]["model_info"]["id"].as_str().unwrap();
    let r = s.post("/model/delete", &json!({"id": id})).await;
    assert_eq!(r.status(), 400);
    let r = s.post("/model/new", &json!({"model_name": "bad", "litellm_params": {"model": "nope/x"}})).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("unknown or unsupported provider 'nope'"));
}

#[tokio::test]
async fn budget_duration_resets_spend() {
    let openai = FakeOpenAi::start().await.unwrap();
    let gw = start_gateway(&format!(
        "model_list:\n  - model_name: priced\n    litellm_params: {{model: openai/gpt-4o-mini, api_base: '{}', api_key: {UPSTREAM_KEY}, input_cost_per_token: 1, output_cost_per_token: 0}}\ngeneral_settings: {{master_key: {MASTER_KEY}}}\n",
        openai.base_url()
    ))
    .await;
    let http = client();
    let key: Value = http
        .post(format!("{}/key/generate", gw.base_url()))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"max_budget": 1.0, "budget_duration": "2s"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(key["budget_reset_at"].is_string(), "{key}");
    let key = key["key"].as_str().unwrap().to_string();
    let chat = || {
        http.post(format!("{}/v1/chat/completions", gw.base_url())).bearer_auth(&key).json(&chat_body("priced")).send()
    };
    assert_eq!(chat().await.unwrap().status(), 200);
    assert_eq!(chat().await.unwrap().status(), 400, "2 USD spent of 1");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(chat().await.unwrap().status(), 200, "a new budget period started");
    // Idle, the key's next period starts too (the gateway ends due periods every second).
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let info = key_info(&http, &gw.base_url(), &key).await;
    assert_eq!(info["info"]["spend"], 0.0, "{info}");
}

#[tokio::test]
async fn teams_users_and_members() {
    let s = Stack::start().await;
    let team = admin(&s, "/team/new", json!({"team_alias": "research", "max_budget": 10, "members_with_roles": [{"role": "admin", "user_id": "ana"}]})).await;
    let team_id = team["team_id"].as_str().unwrap();
    // LiteLLM lets team aliases repeat (teams are named by id); so does Switchboard.
    let twin = admin(&s, "/team/new", json!({"team_alias": "research"})).await;
    assert_ne!(twin["team_id"], team["team_id"]);
    admin(&s, "/team/delete", json!({"team_ids": [twin["team_id"]]})).await;

    admin(&s, "/team/member_add", json!({"team_id": team_id, "member": {"role": "user", "user_id": "bo"}})).await;
    let ana: Value = s.get("/user/info?user_id=ana").await.json().await.unwrap();
    assert_eq!(ana["user_info"]["teams"], json!([team_id]));
    let updated = admin(&s, "/team/update", json!({"team_id": team_id, "rpm_limit": 100})).await;
    assert_eq!(updated["data"]["rpm_limit"], 100);
    assert_eq!(updated["data"]["max_budget"], 10.0, "fields not sent stay");
    let after = admin(&s, "/team/member_delete", json!({"team_id": team_id, "user_id": "bo"})).await;
    assert_eq!(after["members_with_roles"].as_array().unwrap().len(), 1);

    let user = admin(&s, "/user/new", json!({"user_email": "cy@example.com", "max_budget": 0.0})).await;
    let user_key = user["key"].as_str().unwrap();
    assert_eq!(user["user_email"], "cy@example.com");
    let (status, body, _) = post_as(&s, user_key, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("ExceededBudget: User="), "{body}");

    let list: Value = s.get("/team/list").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let users: Value = s.get("/user/list").await.json().await.unwrap();
    assert_eq!(users["total"], 3);

    let key = admin(&s, "/key/generate", json!({"team_id": team_id})).await;
    let deleted = admin(&s, "/team/delete", json!({"team_ids": [team_id]})).await;
    assert_eq!(deleted["deleted_teams"], json!([team_id]));
    let (status, _, _) =
        post_as(&s, key["key"].as_str().unwrap(), "/v1/chat/completions", &chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 401, "a deleted team's keys are deleted with it");
}

#[tokio::test]
async fn regenerate_update_list_and_delete_keys() {
    let s = Stack::start().await;
    let first = admin(&s, "/key/generate", json!({"key_alias": "rotating", "metadata": {"owner": "ops"}})).await;
    let old = first["key"].as_str().unwrap().to_string();
    assert_eq!(post_as(&s, &old, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0, 200);
    let r = s.post("/key/generate", &json!({"key_alias": "rotating"})).await;
    assert_eq!(r.status(), 400, "key aliases are unique");

    let updated = admin(&s, "/key/update", json!({"key": old, "metadata": {"owner": "dev"}, "max_budget": 5})).await;
    assert_eq!(updated["metadata"], json!({"owner": "dev"}));
    assert_eq!(updated["max_budget"], 5.0);

    let fresh = admin(&s, "/key/regenerate", json!({"key": old})).await;
    let new = fresh["key"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(fresh["key_alias"], "rotating");
    assert_eq!(post_as(&s, &old, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0, 401);
    assert_eq!(post_as(&s, &new, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0, 200);

    let list: Value = s.get("/key/list").await.json().await.unwrap();
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["keys"][0], switchboard::auth::hash_key(&new));
    let full: Value = s.get("/key/list?return_full_object=true").await.json().await.unwrap();
    assert_eq!(full["keys"][0]["key_alias"], "rotating");

    let deleted = admin(&s, "/key/delete", json!({"key_aliases": ["rotating"]})).await;
    assert_eq!(deleted["deleted_keys"], json!(["rotating"]));
    assert_eq!(post_as(&s, &new, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0, 401);
    assert_eq!(s.post("/key/delete", &json!({"keys": [new]})).await.status(), 404);
}

/// `/key/list` as LiteLLM's UI asks it: pages newest first (or oldest), a search on the alias
/// (`substring_matching`), a team's keys, and another order (`sort_by`). The gateway reads them
/// from its indexes; this checks they answer what a sort of every key would.
#[tokio::test]
async fn key_list_pages_searches_and_sorts() {
    let s = Stack::start().await;
    let team = admin(&s, "/team/new", json!({"team_alias": "listing"})).await;
    let team_id = team["team_id"].as_str().unwrap();
    for n in 0..25 {
        let mut body = json!({"key_alias": format!("svc-{n}"), "max_budget": 100 - n});
        if n % 5 == 0 {
            body["team_id"] = json!(team_id);
        }
        admin(&s, "/key/generate", body).await;
    }
    let aliases = |list: &Value| -> Vec<String> {
        list["keys"].as_array().unwrap().iter().map(|k| k["key_alias"].as_str().unwrap().to_string()).collect()
    };
    let names = |range: &[u32]| -> Vec<String> { range.iter().map(|n| format!("svc-{n}")).collect() };
    let s = &s;
    let list = |query: &str| {
        let url = format!("/key/list?return_full_object=true&{query}");
        async move {
            let r = s.get(&url).await;
            assert_eq!(r.status(), 200, "{url}");
            r.json::<Value>().await.unwrap()
        }
    };

    let first = list("size=10").await;
    assert_eq!(aliases(&first), names(&(15..25).rev().collect::<Vec<_>>()), "newest first");
    assert_eq!((first["total_count"].as_u64(), first["total_pages"].as_u64()), (Some(25), Some(3)));
    let last = list("size=10&page=3").await;
    assert_eq!(aliases(&last), names(&[4, 3, 2, 1, 0]));
    assert_eq!(last["current_page"], 3);
    assert!(list("size=10&page=4").await["keys"].as_array().unwrap().is_empty());
    assert_eq!(aliases(&list("size=3&sort_order=asc").await), names(&[0, 1, 2]));

    let found = list("key_alias=SVC-1&substring_matching=true&size=50").await;
    assert_eq!(found["total_count"], 11, "svc-1 and svc-10..19, whatever the case");
    assert_eq!(aliases(&found)[0], "svc-19");
    assert_eq!(aliases(&list("key_alias=svc-1").await), ["svc-1"], "without substring_matching: the exact alias");
    assert!(list("key_alias=SVC-1").await["keys"].as_array().unwrap().is_empty());
    let of_team = list(&format!("team_id={team_id}")).await;
    assert_eq!(aliases(&of_team), names(&[20, 15, 10, 5, 0]));
    let searched_team = list(&format!("team_id={team_id}&key_alias=svc-2&substring_matching=true")).await;
    assert_eq!(aliases(&searched_team), ["svc-20"]);

    let cheapest = list("sort_by=max_budget&sort_order=asc&size=2").await;
    assert_eq!(aliases(&cheapest), names(&[24, 23]));
    let second_page = list("sort_by=max_budget&sort_order=asc&size=2&page=2").await;
    assert_eq!(aliases(&second_page), names(&[22, 21]));
    assert_eq!(aliases(&list("sort_by=key_alias&size=2").await), names(&[9, 8]), "descending text order");
    let r = s.get("/key/list?sort_by=password").await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["param"], "sort_by", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("created_at"), "names the valid ones: {body}");
}

/// `/v2/team/list`, LiteLLM's paged team list (its UI, Terraform provider and tools read teams
/// there): pages newest first, a partial alias, another order, a user's teams, and a non-admin
/// kept to its own.
#[tokio::test]
async fn team_list_v2_pages_teams_without_their_keys() {
    let s = Stack::start().await;
    for n in 0..12 {
        let team = admin(&s, "/team/new", json!({"team_alias": format!("Squad-{n}")})).await;
        admin(&s, "/key/generate", json!({"team_id": team["team_id"]})).await;
        // Each team made in a millisecond of its own: "newest first" has one answer.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let s = &s;
    let page = |query: &str| {
        let url = format!("/v2/team/list?{query}");
        async move {
            let r = s.get(&url).await;
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let aliases = |body: &Value| -> Vec<String> {
        body["teams"].as_array().unwrap().iter().map(|t| t["team_alias"].as_str().unwrap().to_string()).collect()
    };
    let (status, first) = page("").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (&first["total"], &first["page"], &first["page_size"], &first["total_pages"]),
        (&json!(12), &json!(1), &json!(10), &json!(2))
    );
    assert_eq!(aliases(&first)[0], "Squad-11", "newest first");
    assert!(first["teams"][0].get("keys").is_none(), "teams without their keys: {}", first["teams"][0]);
    assert_eq!(aliases(&page("page=2").await.1), ["Squad-1", "Squad-0"]);
    let found = page("team_alias=squad-1").await.1;
    assert_eq!(
        (found["total"].as_u64(), aliases(&found)),
        (Some(3), vec!["Squad-11".into(), "Squad-10".into(), "Squad-1".into()])
    );
    assert_eq!(aliases(&page("sort_by=team_alias&page_size=3").await.1), ["Squad-0", "Squad-1", "Squad-10"]);
    assert_eq!(aliases(&page("sort_by=team_alias&sort_order=desc&page_size=2").await.1), ["Squad-9", "Squad-8"]);
    let (status, body) = page("page_size=101").await;
    assert_eq!((status, &body["error"]["param"]), (400, &json!("page_size")), "{body}");

    let ana = admin(s, "/user/new", json!({"user_id": "ana"})).await;
    let ana_key = ana["key"].as_str().unwrap();
    let squad_3 = first["teams"].as_array().unwrap().iter().find(|t| t["team_alias"] == "Squad-3").unwrap();
    let squad_3 = squad_3["team_id"].as_str().unwrap();
    admin(s, "/team/member_add", json!({"team_id": squad_3, "member": {"role": "user", "user_id": "ana"}})).await;
    assert_eq!(aliases(&page("user_id=ana").await.1), ["Squad-3"]);
    let (status, body) = page("user_id=nobody").await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("User not found, passed user_id=nobody"), "{body}");

    let as_ana = |query: &'static str| async move {
        let r = s.http.get(s.url(&format!("/v2/team/list?{query}"))).bearer_auth(ana_key).send().await.unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    let (status, own) = as_ana("").await;
    assert_eq!((status, aliases(&own)), (200, vec!["Squad-3".to_string()]), "a user lists its own teams");
    assert_eq!(as_ana("user_id=admin").await.0, 401, "and not another user's");
}

#[tokio::test]
async fn only_admins_manage_and_keys_read_only_themselves() {
    let s = Stack::start().await;
    let a = admin(&s, "/key/generate", json!({"key_alias": "a"})).await;
    let b = admin(&s, "/key/generate", json!({"key_alias": "b"})).await;
    let (a, b) = (a["key"].as_str().unwrap(), b["key"].as_str().unwrap());
    let (status, body, _) = post_as(&s, a, "/key/generate", &json!({})).await;
    assert_eq!(status, 401, "a key without a user role may not make keys, as in LiteLLM: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("Your role=unknown. Your user_id=unknown"), "{body}");
    assert_eq!(s.http.post(s.url("/team/new")).json(&json!({})).send().await.unwrap().status(), 401);
    let own = s.http.get(s.url("/key/info")).bearer_auth(a).send().await.unwrap();
    assert_eq!(own.status(), 200);
    assert_eq!(own.json::<Value>().await.unwrap()["info"]["key_alias"], "a");
    let other = s.http.get(s.url(&format!("/key/info?key={b}"))).bearer_auth(a).send().await.unwrap();
    assert_eq!(other.status(), 403);
    let admin_key = admin(&s, "/key/generate", json!({"metadata": {"role": "proxy_admin"}})).await;
    let (status, _, _) =
        post_as(&s, admin_key["key"].as_str().unwrap(), "/team/new", &json!({"team_alias": "by-admin-key"})).await;
    assert_eq!(status, 200, "a key with the proxy_admin role manages like the master key");
    let r = s.post("/key/generate", &json!({"max_budget": "lots"})).await;
    assert_eq!(r.status(), 400);
    let r = s.post("/key/generate", &json!({"team_id": "no-such-team"})).await;
    assert_eq!(r.status(), 400);
    let r = s.post("/key/generate", &json!({"duration": "forever"})).await;
    assert_eq!(r.status(), 400);
}

/// LiteLLM's clients send null for "not set" in admin bodies (its own UI and SDK do); unknown
/// members are ignored.
#[tokio::test]
async fn null_members_and_unknown_fields_in_admin_bodies() {
    let s = Stack::start().await;
    let nulls = json!({
        "metadata": null, "aliases": null, "models": null, "tags": null, "blocked": null, "duration": null,
        "max_budget": null, "budget_duration": null, "team_id": null, "user_id": null, "key_alias": null,
        "a_field_of_a_later_litellm": {"x": 1}
    });
    let key = admin(&s, "/key/generate", nulls.clone()).await;
    assert_eq!(
        (key["models"].clone(), key["metadata"].clone(), key["blocked"].clone()),
        (json!([]), json!({}), json!(false))
    );
    assert!(key.get("a_field_of_a_later_litellm").is_none(), "{key}");
    let clear = key["key"].as_str().unwrap().to_string();
    assert_eq!(post_as(&s, &clear, "/v1/chat/completions", &chat_body("claude-haiku")).await.0, 200);

    let team = admin(
        &s,
        "/team/new",
        json!({"team_alias": "nulls", "models": null, "metadata": null, "tags": null, "members_with_roles": null,
               "model_aliases": null, "blocked": null, "max_budget": null}),
    )
    .await;
    assert_eq!(team["models"], json!([]));
    let user = admin(
        &s,
        "/user/new",
        json!({"user_id": "u-nulls", "models": null, "teams": null, "metadata": null, "user_role": null,
               "auto_create_key": null, "key_alias": null}),
    )
    .await;
    assert_eq!(user["user_id"], "u-nulls");
    assert!(user["key"].as_str().is_some_and(|k| k.starts_with("sk-")), "a key by default: {user}");

    // On update, null clears: the key's model list (empty: every model) and its budget.
    let narrowed = admin(&s, "/key/update", json!({"key": clear, "models": ["claude-haiku"], "max_budget": 5.0})).await;
    assert_eq!(narrowed["models"], json!(["claude-haiku"]));
    let cleared =
        admin(&s, "/key/update", json!({"key": clear, "models": null, "max_budget": null, "tags": null})).await;
    assert_eq!((cleared["models"].clone(), cleared["max_budget"].clone()), (json!([]), Value::Null), "{cleared}");
    assert_eq!(post_as(&s, &clear, "/v1/chat/completions", &chat_body("gpt-4o-mini")).await.0, 200);

    let deleted = admin(&s, "/key/delete", json!({"keys": [clear], "key_aliases": null})).await;
    assert_eq!(deleted["deleted_keys"].as_array().map(Vec::len), Some(1));
    let r = s.post("/model/new", &json!({"model_name": "nulls", "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": s.openai.base_url(), "api_key": "sk-x"}, "model_info": null})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}
