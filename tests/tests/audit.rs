//! The audit log (`GET /audit`, LiteLLM's `LiteLLM_AuditLog`): every admin change over HTTP
//! leaves an entry naming the table, the object, the action, who (the key's alias, `master`, or
//! the `LiteLLM-Changed-By` header) and the record before and after, with secrets masked. Runs
//! on SQLite, and on PostgreSQL when `SWITCHBOARD_TEST_DATABASE_URL` is set
//! (`make test-postgres`).

use serde_json::{Value, json};
use switchboard::auth::token_of;
use switchboard_tests::agentcore::{AgentCoreStack, ROLE};
use switchboard_tests::*;

const KEYS: &str = "LiteLLM_VerificationToken";
const TEAMS: &str = "LiteLLM_TeamTable";
const USERS: &str = "LiteLLM_UserTable";
const MODELS: &str = "LiteLLM_ProxyModelTable";
const BUDGETS: &str = "LiteLLM_BudgetTable";
const ORGANIZATIONS: &str = "LiteLLM_OrganizationTable";
const END_USERS: &str = "LiteLLM_EndUserTable";
const MASTER_HASH: &str = "litellm-proxy-master-key";

/// A request with `key` (and `LiteLLM-Changed-By` when given): status and JSON body.
async fn send(s: &Stack, key: &str, method: &str, path: &str, body: Value, changed_by: Option<&str>) -> (u16, Value) {
    let mut request = s.http.request(method.parse().unwrap(), s.url(path)).bearer_auth(key);
    if let Some(person) = changed_by {
        request = request.header("LiteLLM-Changed-By", person);
    }
    if method != "GET" {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A master-key call that must succeed.
async fn admin(s: &Stack, method: &str, path: &str, body: Value) -> Value {
    let (status, v) = send(s, MASTER_KEY, method, path, body.clone(), None).await;
    assert_eq!(status, 200, "{method} {path} {body} → {v}");
    v
}

async fn audit_page(s: &Stack, query: &str) -> Value {
    let (status, v) = send(s, MASTER_KEY, "GET", &format!("/audit?{query}"), Value::Null, None).await;
    assert_eq!(status, 200, "/audit?{query} → {v}");
    v
}

/// Every entry of an object, newest first.
async fn history(s: &Stack, table: &str, object_id: &str) -> Vec<Value> {
    // Object ids are ARNs and the like: the query is encoded, not pasted.
    let mut query = reqwest::Url::parse("http://query.invalid/").unwrap();
    query
        .query_pairs_mut()
        .append_pair("table_name", table)
        .append_pair("object_id", object_id)
        .append_pair("page_size", "100");
    audit_page(s, query.query().unwrap_or_default()).await["audit_logs"].as_array().cloned().unwrap_or_default()
}

/// The newest entry of an object with this action.
async fn entry(s: &Stack, table: &str, object_id: &str, action: &str) -> Value {
    let all = history(s, table, object_id).await;
    all.iter().find(|e| e["action"] == action).cloned().unwrap_or_else(|| {
        panic!("no {action} entry for {table} {object_id}: {}", serde_json::to_string_pretty(&all).unwrap())
    })
}

/// Who made an entry: (changed_by, changed_by_api_key).
fn who(e: &Value) -> (&str, &str) {
    (e["changed_by"].as_str().unwrap_or(""), e["changed_by_api_key"].as_str().unwrap_or(""))
}

/// Every row of the audit table, as text, read from the database itself.
async fn audit_table_text(db_url: &str) -> String {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let rows = sqlx::query(
        "SELECT changed_by, changed_by_api_key, action, table_name, object_id, \
         COALESCE(before_value, '') AS b, COALESCE(updated_values, '') AS a FROM audit_log",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!rows.is_empty(), "the audit table has rows");
    let mut text = String::new();
    for r in &rows {
        for column in ["changed_by", "changed_by_api_key", "action", "table_name", "object_id", "b", "a"] {
            text.push_str(&r.get::<String, _>(column));
            text.push('\n');
        }
    }
    pool.close().await;
    text
}

/// Every page of `GET /audit`, as text.
async fn audit_api_text(s: &Stack) -> String {
    let mut text = String::new();
    for page in 1.. {
        let v = audit_page(s, &format!("page={page}&page_size=100")).await;
        text.push_str(&v.to_string());
        if page >= v["total_pages"].as_u64().unwrap_or(0) {
            break;
        }
    }
    text
}

#[tokio::test]
async fn key_changes_are_audited_with_who_and_before_after() {
    let s = Stack::start().await;
    let made = send(
        &s,
        MASTER_KEY,
        "POST",
        "/key/generate",
        json!({"key_alias": "audit-k1", "max_budget": 5.0, "models": ["gpt-4o-mini"]}),
        Some("alice@example.com"),
    )
    .await
    .1;
    let clear = made["key"].as_str().unwrap().to_string();
    let token = token_of(&clear);
    let created = entry(&s, KEYS, &token, "created").await;
    assert_eq!(who(&created), ("alice@example.com", MASTER_HASH), "the header names the person, the key stays");
    assert_eq!(created["before_value"], Value::Null);
    assert_eq!(created["updated_values"]["key_alias"], "audit-k1");
    assert_eq!(created["updated_values"]["max_budget"], 5.0);
    assert_eq!(created["updated_values"]["token"], token.as_str(), "records hold the hash");

    admin(&s, "POST", "/key/update", json!({"key": clear, "max_budget": 10.0})).await;
    let updated = entry(&s, KEYS, &token, "updated").await;
    assert_eq!(who(&updated), ("master", MASTER_HASH));
    assert_eq!(updated["before_value"]["max_budget"], 5.0);
    assert_eq!(updated["updated_values"]["max_budget"], 10.0);
    assert_eq!(updated["updated_values"]["key_alias"], "audit-k1");

    admin(&s, "POST", "/key/block", json!({"key": clear})).await;
    let blocked = entry(&s, KEYS, &token, "blocked").await;
    assert_eq!(
        (blocked["before_value"]["blocked"].clone(), blocked["updated_values"]["blocked"].clone()),
        (json!(false), json!(true))
    );
    admin(&s, "POST", "/key/unblock", json!({"key": clear})).await;
    let unblocked = entry(&s, KEYS, &token, "unblocked").await;
    assert_eq!(unblocked["updated_values"]["blocked"], false);

    let rotated = admin(&s, "POST", "/key/regenerate", json!({"key": clear})).await;
    let new_clear = rotated["key"].as_str().unwrap().to_string();
    let new_token = token_of(&new_clear);
    let old_side = entry(&s, KEYS, &token, "rotated").await;
    assert_eq!(old_side["updated_values"], Value::Null, "the old hash is gone");
    assert_eq!(old_side["before_value"]["key_alias"], "audit-k1");
    let new_side = entry(&s, KEYS, &new_token, "rotated").await;
    assert_eq!(new_side["before_value"], Value::Null);
    assert_eq!(new_side["updated_values"]["key_alias"], "audit-k1");

    admin(&s, "POST", "/key/delete", json!({"keys": [new_clear]})).await;
    let deleted = entry(&s, KEYS, &new_token, "deleted").await;
    assert_eq!(deleted["updated_values"], Value::Null);
    assert_eq!(deleted["before_value"]["max_budget"], 10.0);
    // Newest first: the whole life of the first hash, in order.
    let actions: Vec<Value> = history(&s, KEYS, &token).await.iter().map(|e| e["action"].clone()).collect();
    assert_eq!(
        actions,
        vec![json!("rotated"), json!("unblocked"), json!("blocked"), json!("updated"), json!("created")]
    );

    // `/key/{key}/regenerate` is the same rotation.
    let spare = admin(&s, "POST", "/key/generate", json!({"key_alias": "spare"})).await;
    let spare_token = spare["token"].as_str().unwrap().to_string();
    let again = admin(&s, "POST", &format!("/key/{}/regenerate", spare["key"].as_str().unwrap()), json!({})).await;
    let again_token = token_of(again["key"].as_str().unwrap());
    assert_eq!(entry(&s, KEYS, &spare_token, "rotated").await["updated_values"], Value::Null);
    assert_eq!(entry(&s, KEYS, &again_token, "rotated").await["updated_values"]["key_alias"], "spare");

    // A proxy_admin key is named by its alias, with its own hash.
    admin(&s, "POST", "/user/new", json!({"user_id": "ops", "user_role": "proxy_admin", "auto_create_key": false}))
        .await;
    let ops = admin(&s, "POST", "/key/generate", json!({"user_id": "ops", "key_alias": "ops-admin"})).await;
    let ops_key = ops["key"].as_str().unwrap();
    let (status, made) = send(&s, ops_key, "POST", "/key/generate", json!({"key_alias": "by-ops"}), None).await;
    assert_eq!(status, 200, "{made}");
    let by_ops = entry(&s, KEYS, made["token"].as_str().unwrap(), "created").await;
    assert_eq!(who(&by_ops), ("ops-admin", token_of(ops_key).as_str()));

    // The clear keys never reach the log.
    let text = audit_api_text(&s).await + &audit_table_text(&s.gateway.db.url).await;
    let spare_keys = [spare["key"].as_str().unwrap(), again["key"].as_str().unwrap()];
    for secret in [
        clear.as_str(),
        new_clear.as_str(),
        ops_key,
        made["key"].as_str().unwrap(),
        MASTER_KEY,
        spare_keys[0],
        spare_keys[1],
    ] {
        assert!(!text.contains(secret), "{secret} is in the audit log");
    }
}

#[tokio::test]
async fn team_and_user_changes_are_audited() {
    let s = Stack::start().await;
    let team = admin(&s, "POST", "/team/new", json!({"team_alias": "red", "max_budget": 20.0})).await;
    let team_id = team["team_id"].as_str().unwrap().to_string();
    let created = entry(&s, TEAMS, &team_id, "created").await;
    assert_eq!(
        (created["before_value"].clone(), created["updated_values"]["team_alias"].clone()),
        (Value::Null, json!("red"))
    );

    admin(&s, "POST", "/team/update", json!({"team_id": team_id, "team_alias": "blue"})).await;
    let updated = entry(&s, TEAMS, &team_id, "updated").await;
    assert_eq!(updated["before_value"]["team_alias"], "red");
    assert_eq!(updated["updated_values"]["team_alias"], "blue");

    admin(&s, "POST", "/team/member_add", json!({"team_id": team_id, "member": {"role": "user", "user_id": "dee"}}))
        .await;
    let added = history(&s, TEAMS, &team_id).await;
    let members = |e: &Value, side: &str| e[side]["members_with_roles"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!((members(&added[0], "before_value"), members(&added[0], "updated_values")), (0, 1), "{}", added[0]);
    let dee = entry(&s, USERS, "dee", "created").await;
    assert_eq!(dee["updated_values"]["user_id"], "dee", "the member's user is made in the same change");

    admin(&s, "POST", "/team/member_update", json!({"team_id": team_id, "user_id": "dee", "role": "admin"})).await;
    let role = history(&s, TEAMS, &team_id).await;
    assert_eq!(role[0]["updated_values"]["members_with_roles"][0]["role"], "admin", "{}", role[0]);
    assert_eq!(role[0]["before_value"]["members_with_roles"][0]["role"], "user");
    admin(&s, "POST", "/team/member_delete", json!({"team_id": team_id, "user_id": "dee"})).await;
    let removed = history(&s, TEAMS, &team_id).await;
    assert_eq!((members(&removed[0], "before_value"), members(&removed[0], "updated_values")), (1, 0));

    admin(&s, "POST", "/team/block", json!({"team_id": team_id})).await;
    assert_eq!(entry(&s, TEAMS, &team_id, "blocked").await["updated_values"]["blocked"], true);
    admin(&s, "POST", "/team/unblock", json!({"team_id": team_id})).await;
    assert_eq!(entry(&s, TEAMS, &team_id, "unblocked").await["updated_values"]["blocked"], false);
    let (status, _) = send(&s, MASTER_KEY, "POST", "/team/delete", json!({"team_ids": [team_id]}), Some("bob")).await;
    assert_eq!(status, 200);
    let deleted = entry(&s, TEAMS, &team_id, "deleted").await;
    assert_eq!((deleted["changed_by"].as_str(), deleted["updated_values"].clone()), (Some("bob"), Value::Null));
    assert_eq!(deleted["before_value"]["team_alias"], "blue");

    admin(
        &s,
        "POST",
        "/user/new",
        json!({"user_id": "eve", "user_email": "eve@example.com", "auto_create_key": false}),
    )
    .await;
    assert_eq!(entry(&s, USERS, "eve", "created").await["updated_values"]["user_email"], "eve@example.com");
    admin(&s, "POST", "/user/update", json!({"user_id": "eve", "max_budget": 3.0})).await;
    let u = entry(&s, USERS, "eve", "updated").await;
    assert_eq!(
        (u["before_value"]["max_budget"].clone(), u["updated_values"]["max_budget"].clone()),
        (Value::Null, json!(3.0))
    );
    admin(&s, "POST", "/user/delete", json!({"user_ids": ["eve"]})).await;
    assert_eq!(entry(&s, USERS, "eve", "deleted").await["before_value"]["user_id"], "eve");
}

#[tokio::test]
async fn models_budgets_organizations_and_customers_are_audited_and_model_secrets_masked() {
    let s = Stack::start().await;
    let secret = "sk-model-upstream-secret-4242424242";
    let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let aws_key_id = "AKIAAUDITTESTKEYID01";
    let model = admin(
        &s,
        "POST",
        "/model/new",
        json!({"model_name": "audited-model", "litellm_params": {
            "model": "openai/gpt-4o-mini", "api_base": s.openai.base_url(), "api_key": secret,
            "aws_access_key_id": aws_key_id, "aws_secret_access_key": aws_secret}}),
    )
    .await;
    let model_id = model["model_id"].as_str().unwrap().to_string();
    let created = entry(&s, MODELS, &model_id, "created").await;
    assert_eq!(created["updated_values"]["model_name"], "audited-model");
    assert_eq!(created["updated_values"]["litellm_params"]["api_key"], "[REDACTED]", "{created}");
    assert_eq!(created["updated_values"]["litellm_params"]["model"], "openai/gpt-4o-mini");
    admin(&s, "POST", "/model/update", json!({"model_info": {"id": model_id}, "litellm_params": {"temperature": 0.5}}))
        .await;
    let updated = entry(&s, MODELS, &model_id, "updated").await;
    assert_eq!(updated["updated_values"]["litellm_params"]["temperature"], 0.5, "{updated}");
    assert_eq!(updated["before_value"]["litellm_params"]["api_key"], "[REDACTED]", "the sealed value is masked too");
    admin(&s, "POST", "/model/delete", json!({"id": model_id})).await;
    assert_eq!(entry(&s, MODELS, &model_id, "deleted").await["updated_values"], Value::Null);

    admin(&s, "POST", "/budget/new", json!({"budget_id": "gold", "max_budget": 100.0})).await;
    assert_eq!(entry(&s, BUDGETS, "gold", "created").await["updated_values"]["max_budget"], 100.0);
    admin(&s, "POST", "/budget/update", json!({"budget_id": "gold", "max_budget": 150.0})).await;
    let b = entry(&s, BUDGETS, "gold", "updated").await;
    assert_eq!(
        (b["before_value"]["max_budget"].clone(), b["updated_values"]["max_budget"].clone()),
        (json!(100.0), json!(150.0))
    );
    admin(&s, "POST", "/budget/delete", json!({"id": "gold"})).await;
    entry(&s, BUDGETS, "gold", "deleted").await;

    let org = admin(&s, "POST", "/organization/new", json!({"organization_alias": "acme", "max_budget": 50.0})).await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    assert_eq!(entry(&s, ORGANIZATIONS, &org_id, "created").await["updated_values"]["organization_alias"], "acme");
    let org_budget = org["budget_id"].as_str().unwrap().to_string();
    entry(&s, BUDGETS, &org_budget, "created").await;
    admin(&s, "PATCH", "/organization/update", json!({"organization_id": org_id, "organization_alias": "acme-corp"}))
        .await;
    let o = entry(&s, ORGANIZATIONS, &org_id, "updated").await;
    assert_eq!(
        (o["before_value"]["organization_alias"].as_str(), o["updated_values"]["organization_alias"].as_str()),
        (Some("acme"), Some("acme-corp"))
    );
    admin(
        &s,
        "POST",
        "/organization/member_add",
        json!({"organization_id": org_id, "member": {"role": "internal_user", "user_id": "ivy"}}),
    )
    .await;
    entry(&s, USERS, "ivy", "created").await;
    admin(&s, "DELETE", "/organization/delete", json!({"organization_ids": [org_id]})).await;
    entry(&s, ORGANIZATIONS, &org_id, "deleted").await;

    admin(&s, "POST", "/end_user/new", json!({"user_id": "cust-1", "alias": "Cust One"})).await;
    assert_eq!(entry(&s, END_USERS, "cust-1", "created").await["updated_values"]["alias"], "Cust One");
    admin(&s, "POST", "/customer/update", json!({"user_id": "cust-1", "alias": "Cust 1"})).await;
    assert_eq!(entry(&s, END_USERS, "cust-1", "updated").await["before_value"]["alias"], "Cust One");
    admin(&s, "POST", "/end_user/block", json!({"user_ids": ["cust-1"]})).await;
    assert_eq!(entry(&s, END_USERS, "cust-1", "blocked").await["updated_values"]["blocked"], true);
    admin(&s, "POST", "/end_user/unblock", json!({"user_ids": ["cust-1"]})).await;
    entry(&s, END_USERS, "cust-1", "unblocked").await;
    admin(&s, "POST", "/end_user/delete", json!({"user_ids": ["cust-1"]})).await;
    entry(&s, END_USERS, "cust-1", "deleted").await;

    let text = audit_api_text(&s).await + &audit_table_text(&s.gateway.db.url).await;
    for leaked in [secret, aws_secret, aws_key_id, "v2:gcm:"] {
        assert!(!text.contains(leaked), "{leaked} is in the audit log");
    }
}

#[tokio::test]
async fn agentcore_providers_harnesses_and_wiring_are_audited_without_the_key() {
    let a = AgentCoreStack::start().await;
    let (_, key) = a.team_and_key("t", "harness-key", &["claude-haiku", "claude-sonnet"]).await;
    let provider = a.provider_with("litellm-proxy", &key).await;
    let arn = provider["provider"]["credential_provider_arn"].as_str().unwrap().to_string();
    let providers = "Switchboard_AgentCoreCredentialProvider";
    let created = entry(&a.s, providers, &arn, "created").await;
    assert_eq!(created["updated_values"]["key_token"], token_of(&key).as_str(), "{created}");
    assert_eq!(created["updated_values"]["key_alias"], "harness-key");

    let (_, other) = a.team_and_key("t2", "harness-key-2", &["claude-haiku"]).await;
    let (status, rotated) = a.post("/agentcore/providers/litellm-proxy/rotate", json!({"key": other})).await;
    assert_eq!(status, 200, "{rotated}");
    let r = entry(&a.s, providers, &arn, "rotated").await;
    assert_eq!(r["before_value"]["key_alias"], "harness-key");
    assert_eq!(r["updated_values"]["key_alias"], "harness-key-2");

    let harnesses = "Switchboard_AgentCoreHarness";
    let form = json!({"harness_name": "audited", "execution_role_arn": ROLE, "model": "claude-haiku",
                      "credential_provider": "litellm-proxy", "force": true});
    let (status, saved) = a.post("/agentcore/harnesses", form).await;
    assert_eq!(status, 200, "{saved}");
    let id = saved["harness"]["harness_id"].as_str().unwrap().to_string();
    let h = entry(&a.s, harnesses, &id, "created").await;
    assert_eq!(h["updated_values"]["harness_name"], "audited");
    assert_eq!(h["updated_values"]["model"]["api_key_arn"], arn.as_str(), "an ARN is not a secret: {h}");
    let (status, edited) = a.patch(&format!("/agentcore/harnesses/{id}"), json!({"system_prompt": "Be brief."})).await;
    assert_eq!(status, 200, "{edited}");
    let e = entry(&a.s, harnesses, &id, "updated").await;
    assert_eq!(e["updated_values"]["system_prompt"], "Be brief.");
    assert_ne!(e["before_value"]["system_prompt"], "Be brief.");
    let (status, _) = a.delete(&format!("/agentcore/harnesses/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(entry(&a.s, harnesses, &id, "deleted").await["before_value"]["harness_id"], id.as_str());
    let (status, _) = a.delete("/agentcore/providers/litellm-proxy").await;
    assert_eq!(status, 200);
    assert_eq!(entry(&a.s, providers, &arn, "deleted").await["before_value"]["key_alias"], "harness-key-2");

    // The streamed wiring runs on a task of its own: its team, key, provider and harness are
    // still this request's changes, by the person the header names.
    let r =
        a.s.http
            .post(a.s.url("/agentcore/wire"))
            .bearer_auth(MASTER_KEY)
            .header("accept", "text/event-stream")
            .header("LiteLLM-Changed-By", "wiring-person")
            .json(&json!({"harness_name": "wired", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let events = sse_data(&r.text().await.unwrap());
    assert!(events.last().is_some_and(|e| e.contains("\"result\"")), "{events:?}");
    let by_person = audit_page(&a.s, "changed_by=wiring-person&page_size=100").await;
    let logs = by_person["audit_logs"].as_array().unwrap();
    assert!(logs.iter().all(|e| e["changed_by_api_key"] == MASTER_HASH), "the caller travels along: {by_person}");
    let mut tables: Vec<&str> =
        by_person["audit_logs"].as_array().unwrap().iter().filter_map(|e| e["table_name"].as_str()).collect();
    tables.sort_unstable();
    tables.dedup();
    assert_eq!(tables, vec![TEAMS, KEYS, providers, harnesses], "{by_person}");

    let text = audit_api_text(&a.s).await + &audit_table_text(&a.s.gateway.db.url).await;
    for secret in [key.as_str(), other.as_str()] {
        assert!(!text.contains(secret), "a provider's key is in the audit log");
    }
}

#[tokio::test]
async fn filters_pagination_sorting_and_single_entries() {
    let s = Stack::start().await;
    for i in 0..7 {
        let who = if i % 2 == 0 { "even" } else { "odd" };
        send(&s, MASTER_KEY, "POST", "/team/new", json!({"team_id": format!("team-{i}")}), Some(who)).await;
    }
    admin(&s, "POST", "/team/update", json!({"team_id": "team-3", "team_alias": "three"})).await;

    let first = audit_page(&s, "page=1&page_size=3").await;
    assert_eq!(
        (first["total"].clone(), first["page"].clone(), first["page_size"].clone(), first["total_pages"].clone()),
        (json!(8), json!(1), json!(3), json!(3))
    );
    let newest = &first["audit_logs"][0];
    assert_eq!(
        (newest["object_id"].as_str(), newest["action"].as_str()),
        (Some("team-3"), Some("updated")),
        "newest first"
    );
    let last = audit_page(&s, "page=3&page_size=3").await;
    assert_eq!(last["audit_logs"].as_array().map(Vec::len), Some(2));
    assert_eq!(last["audit_logs"][1]["object_id"], "team-0", "oldest last");
    let beyond = audit_page(&s, "page=9&page_size=3").await;
    assert_eq!(beyond["audit_logs"], json!([]));

    let odd = audit_page(&s, "changed_by=odd").await;
    assert_eq!(odd["total"], 3);
    assert!(odd["audit_logs"].as_array().unwrap().iter().all(|e| e["changed_by"] == "odd"));
    assert_eq!(audit_page(&s, "action=updated").await["total"], 1);
    assert_eq!(audit_page(&s, "table_name=LiteLLM_TeamTable&object_id=team-3").await["total"], 2);
    assert_eq!(audit_page(&s, "table_name=LiteLLM_VerificationToken").await["total"], 0);
    assert_eq!(audit_page(&s, &format!("changed_by_api_key={MASTER_HASH}")).await["total"], 8);
    let ascending = audit_page(&s, "sort_order=asc&page_size=1").await;
    assert_eq!(ascending["audit_logs"][0]["object_id"], "team-0");
    let by_object = audit_page(&s, "sort_by=object_id&sort_order=asc&page_size=1").await;
    assert_eq!(by_object["audit_logs"][0]["object_id"], "team-0");
    let today = newest["updated_at"].as_str().unwrap()[..10].to_string();
    assert_eq!(audit_page(&s, &format!("start_date={today}&end_date={today}")).await["total"], 8);
    assert_eq!(audit_page(&s, "end_date=2000-01-01").await["total"], 0);
    assert_eq!(audit_page(&s, "start_date=2999-01-01").await["total"], 0);

    let id = newest["id"].as_str().unwrap();
    let (status, one) = send(&s, MASTER_KEY, "GET", &format!("/audit/{id}"), Value::Null, None).await;
    assert_eq!(status, 200);
    assert_eq!(&one, newest);
    let (status, missing) = send(&s, MASTER_KEY, "GET", "/audit/nope", Value::Null, None).await;
    assert_eq!(status, 404, "{missing}");
    assert!(missing["error"]["message"].as_str().unwrap().contains("nope"), "{missing}");
    for bad in ["page_size=0", "page_size=101", "sort_by=password", "sort_order=sideways"] {
        let (status, body) = send(&s, MASTER_KEY, "GET", &format!("/audit?{bad}"), Value::Null, None).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["message"].is_string(), "LiteLLM's error shape: {body}");
    }
}

#[tokio::test]
async fn only_admins_and_admin_viewers_read_the_log() {
    let s = Stack::start().await;
    let plain = admin(&s, "POST", "/key/generate", json!({"key_alias": "plain"})).await;
    let plain = plain["key"].as_str().unwrap();
    admin(&s, "POST", "/user/new", json!({"user_id": "iu", "user_role": "internal_user", "auto_create_key": false}))
        .await;
    let member = admin(&s, "POST", "/key/generate", json!({"user_id": "iu"})).await;
    for key in [plain, member["key"].as_str().unwrap()] {
        for path in ["/audit", "/audit/anything"] {
            let (status, body) = send(&s, key, "GET", path, Value::Null, None).await;
            assert_eq!(status, 403, "{path}: {body}");
            assert!(body["error"]["message"].is_string(), "{body}");
        }
    }
    admin(
        &s,
        "POST",
        "/user/new",
        json!({"user_id": "viewer", "user_role": "proxy_admin_viewer", "auto_create_key": false}),
    )
    .await;
    let viewer = admin(&s, "POST", "/key/generate", json!({"user_id": "viewer"})).await;
    let (status, page) = send(&s, viewer["key"].as_str().unwrap(), "GET", "/audit", Value::Null, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["total"].as_u64().unwrap() >= 4, "{page}");
    let (status, _) = send(&s, MASTER_KEY, "GET", "/audit", Value::Null, None).await;
    assert_eq!(status, 200);
    let (status, _) = s.http.get(s.url("/audit")).send().await.map(|r| (r.status().as_u16(), ())).unwrap();
    assert_eq!(status, 401, "no key, no log");
}

#[tokio::test]
async fn store_audit_logs_false_turns_the_log_off() {
    let openai = FakeOpenAi::start().await.unwrap();
    let bedrock = FakeBedrock::start().await.unwrap();
    let yaml = standard_config(&openai, &bedrock, "") + "litellm_settings:\n  store_audit_logs: false\n";
    let s = Stack { gateway: start_gateway(&yaml).await, openai, bedrock, http: client() };
    admin(&s, "POST", "/team/new", json!({"team_alias": "quiet"})).await;
    let page = audit_page(&s, "").await;
    assert_eq!((page["total"].clone(), page["audit_logs"].clone()), (json!(0), json!([])), "{page}");
}
