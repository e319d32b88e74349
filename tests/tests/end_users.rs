//! Customers (LiteLLM's end users): named by a request's `user` (or LiteLLM's headers and
//! metadata), tracked on first sight, limited by their own budget and rate limits or
//! `max_end_user_budget`, blocked and unblocked, through `/end_user/*` and `/customer/*`.
//! Runs on SQLite, and on PostgreSQL when `SWITCHBOARD_TEST_DATABASE_URL` is set.

use serde_json::{Value, json};
use switchboard_tests::*;

async fn new_key(s: &Stack) -> String {
    let v: Value = s.post("/key/generate", &json!({})).await.json().await.unwrap();
    v["key"].as_str().unwrap().to_string()
}

async fn call_for(s: &Stack, key: &str, customer: &str) -> (u16, Value) {
    let body =
        json!({"model": "gpt-4o-mini", "user": customer, "messages": [{"role": "user", "content": "hello customer"}]});
    let r = s.http.post(s.url("/v1/chat/completions")).bearer_auth(key).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn admin(s: &Stack, path: &str, body: Value) -> Value {
    let r = s.post(path, &body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path} → {status}: {v}");
    v
}

async fn info(s: &Stack, path: &str, id: &str) -> (u16, Value) {
    let r = s.get(&format!("{path}?end_user_id={id}")).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_request_names_its_customer_who_is_tracked_and_kept() {
    let s = Stack::start().await;
    let key = new_key(&s).await;
    assert_eq!(call_for(&s, &key, "acme-42").await.0, 200);
    let (status, customer) = info(&s, "/customer/info", "acme-42").await;
    assert_eq!(status, 200, "{customer}");
    let spend = customer["spend"].as_f64().unwrap();
    assert!(spend > 0.0, "{customer}");
    assert_eq!(customer["blocked"], false);
    assert_eq!(customer["litellm_budget_table"], Value::Null, "no budget of its own");

    // LiteLLM's other spellings of the customer: headers first, then metadata.
    let body = json!({"model": "gpt-4o-mini", "user": "body-user", "messages": [{"role": "user", "content": "hi"}]});
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .header("x-litellm-end-user-id", "header-user")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = json!({"model": "gpt-4o-mini", "metadata": {"user_id": "metadata-user"}, "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(
        s.http.post(s.url("/v1/chat/completions")).bearer_auth(&key).json(&body).send().await.unwrap().status(),
        200
    );
    let listed: Value = s.get("/end_user/list").await.json().await.unwrap();
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|c| c["user_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acme-42", "header-user", "metadata-user"], "the header wins over the body's user");

    // The spend rows name the customer (written by the spend writer within a second or so).
    let mut named = Vec::new();
    for _ in 0..50 {
        let logs: Value = s.get("/spend/logs").await.json().await.unwrap();
        named = logs.as_array().unwrap().iter().filter_map(|l| l["end_user"].as_str().map(str::to_string)).collect();
        if named.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    named.sort();
    assert_eq!(named, ["acme-42", "header-user", "metadata-user"]);

    // The database keeps them: a restart reads the same spend back.
    let s = s.restart().await;
    let (status, again) = info(&s, "/end_user/info", "acme-42").await;
    assert_eq!(status, 200, "{again}");
    assert!((again["spend"].as_f64().unwrap() - spend).abs() < 1e-12, "{again} vs {spend}");
    let (status, missing) = info(&s, "/end_user/info", "nobody").await;
    assert_eq!(status, 400);
    assert_eq!(missing["error"]["message"], "End User Id=nobody does not exist in db");
}

#[tokio::test]
async fn budgets_rate_limits_and_blocks_apply_to_the_customer_across_keys() {
    let s = Stack::start().await;
    let (a, b) = (new_key(&s).await, new_key(&s).await);
    let created =
        admin(&s, "/end_user/new", json!({"user_id": "tight", "max_budget": 0.0000001, "alias": "Tight Ltd"})).await;
    assert_eq!(created["litellm_budget_table"]["max_budget"], 0.0000001);
    assert_eq!(created["alias"], "Tight Ltd");
    assert_eq!(call_for(&s, &a, "tight").await.0, 200, "not over the budget yet");
    let (status, body) = call_for(&s, &b, "tight").await;
    assert_eq!(status, 400, "another key, the same customer: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("ExceededBudget: End User=tight over budget. Spend="), "{message}");
    assert_eq!(body["error"]["type"], "budget_exceeded");

    admin(&s, "/customer/new", json!({"user_id": "steady", "rpm_limit": 1})).await;
    assert_eq!(call_for(&s, &a, "steady").await.0, 200);
    assert_eq!(call_for(&s, &b, "steady").await.0, 429);

    // Blocking comes before the first request too.
    let blocked = admin(&s, "/end_user/block", json!({"user_ids": ["rowdy"]})).await;
    assert_eq!(blocked["blocked_users"][0]["blocked"], true);
    let (status, body) = call_for(&s, &a, "rowdy").await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("End User=rowdy is blocked"), "{body}");
    admin(&s, "/end_user/unblock", json!({"user_ids": ["rowdy"]})).await;
    assert_eq!(call_for(&s, &a, "rowdy").await.0, 200);

    // Raising the budget lets the customer back in; deleting forgets it.
    let updated = admin(&s, "/end_user/update", json!({"user_id": "tight", "max_budget": 10.0, "alias": null})).await;
    assert_eq!(updated["alias"], Value::Null);
    assert_eq!(call_for(&s, &a, "tight").await.0, 200);
    let deleted = admin(&s, "/end_user/delete", json!({"user_ids": ["steady"]})).await;
    assert_eq!(deleted["deleted_customers"], 1);
    assert_eq!(info(&s, "/end_user/info", "steady").await.0, 400);
    let r = s.post("/end_user/new", &json!({"user_id": "tight"})).await;
    assert_eq!(r.status(), 400, "already exists");
    let r = s.post("/end_user/new", &json!({"user_id": "x", "allowed_model_region": "mars"})).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn max_end_user_budget_is_every_customers_budget_and_the_master_key_is_not_limited() {
    let s = Stack::start_with("litellm_settings:\n  max_end_user_budget: 0.0000001\n").await;
    let key = new_key(&s).await;
    assert_eq!(call_for(&s, &key, "walk-in").await.0, 200);
    assert_eq!(call_for(&s, &key, "walk-in").await.0, 400, "over the default budget");
    assert_eq!(call_for(&s, MASTER_KEY, "walk-in").await.0, 200, "the master key has no limits");
    let (_, customer) = info(&s, "/end_user/info", "walk-in").await;
    assert!(customer["spend"].as_f64().unwrap() > 0.0000001, "the master key's call was still charged: {customer}");
}

#[tokio::test]
async fn a_budget_tier_gives_its_customers_its_limits() {
    let s = Stack::start().await;
    let key = new_key(&s).await;
    admin(&s, "/budget/new", json!({"budget_id": "free-tier", "max_budget": 0.0000001, "rpm_limit": 100})).await;
    let customer = admin(&s, "/customer/new", json!({"user_id": "tiered", "budget_id": "free-tier"})).await;
    assert_eq!(customer["budget_id"], "free-tier");
    assert_eq!(customer["litellm_budget_table"]["max_budget"], 0.0000001);
    assert_eq!(customer["litellm_budget_table"]["rpm_limit"], 100);
    assert_eq!(call_for(&s, &key, "tiered").await.0, 200);
    assert_eq!(call_for(&s, &key, "tiered").await.0, 400, "over the tier's budget");

    // A limit sent with the customer wins over the tier's; an unknown tier is refused.
    let own = admin(&s, "/customer/new", json!({"user_id": "vip", "budget_id": "free-tier", "max_budget": 5.0})).await;
    assert_eq!(own["litellm_budget_table"]["max_budget"], 5.0);
    let r = s.post("/customer/new", &json!({"user_id": "lost", "budget_id": "no-such-tier"})).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Budget not found, budget_id=no-such-tier");
}
