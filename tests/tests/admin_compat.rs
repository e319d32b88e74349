//! LiteLLM's admin API as LiteLLM 1.108+ answers it: self-service by role (internal users manage
//! their own keys, team admins their team), team membership routes, `/user/update` upserts,
//! model groups, the spend report and the route list. Runs on SQLite, and on PostgreSQL when
//! `SWITCHBOARD_TEST_DATABASE_URL` is set (`make test-postgres`).

use serde_json::{Value, json};
use switchboard_tests::*;

/// A request with `key`: status and JSON body.
async fn call(s: &Stack, key: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let request = s.http.request(method.parse().unwrap(), s.url(path)).bearer_auth(key);
    let request = if method == "GET" { request } else { request.json(&body) };
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(s: &Stack, key: &str, path: &str) -> (u16, Value) {
    call(s, key, "GET", path, Value::Null).await
}

async fn post(s: &Stack, key: &str, path: &str, body: Value) -> (u16, Value) {
    call(s, key, "POST", path, body).await
}

/// A master-key call that must succeed.
async fn admin(s: &Stack, path: &str, body: Value) -> Value {
    let (status, v) = post(s, MASTER_KEY, path, body.clone()).await;
    assert_eq!(status, 200, "{path} {body} → {v}");
    v
}

/// A user with `role` and the key `/user/new` made for it.
async fn user_key(s: &Stack, user_id: &str, role: &str, extra: Value) -> String {
    let mut body = json!({"user_id": user_id, "user_role": role});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    admin(s, "/user/new", body).await["key"].as_str().unwrap().to_string()
}

fn error_of(body: &Value) -> (&str, &str) {
    (body["error"]["type"].as_str().unwrap_or(""), body["error"]["message"].as_str().unwrap_or(""))
}

fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello there"}]})
}

/// A key named by its alias, never used since it was made (so not yet whole in the registry),
/// takes a new spend and a block: `/key/info` and the next call see both, at once.
#[tokio::test]
async fn a_key_named_by_its_alias_takes_a_new_spend_and_a_block() {
    let s = Stack::start().await;
    let key = admin(&s, "/key/generate", json!({"key_alias": "by-alias", "max_budget": 10.0})).await["key"]
        .as_str()
        .unwrap()
        .to_string();
    admin(&s, "/key/update", json!({"key_alias": "by-alias", "spend": 10.5})).await;
    let (_, info) = get(&s, MASTER_KEY, &format!("/key/info?key={key}")).await;
    assert_eq!(info["info"]["spend"], 10.5, "{info}");
    let (status, body) = post(&s, &key, "/v1/chat/completions", chat_body("claude-haiku")).await;
    assert_eq!((status, body["error"]["type"].as_str()), (400, Some("budget_exceeded")), "{body}");

    let other =
        admin(&s, "/key/generate", json!({"key_alias": "blocked-by-alias"})).await["key"].as_str().unwrap().to_string();
    admin(&s, "/key/block", json!({"key_alias": "blocked-by-alias"})).await;
    let (status, _) = post(&s, &other, "/v1/chat/completions", chat_body("claude-haiku")).await;
    assert_eq!(status, 401);
    admin(&s, "/key/unblock", json!({"key_alias": "blocked-by-alias"})).await;
    assert_eq!(post(&s, &other, "/v1/chat/completions", chat_body("claude-haiku")).await.0, 200);
}

/// An `internal_user` manages its own keys: made for itself, never for another user, with no
/// models beyond its own; it reads, changes and deletes its own keys only.
#[tokio::test]
async fn an_internal_user_manages_its_own_keys() {
    let s = Stack::start().await;
    let ana = "ana-lima-01";
    let ana_key = user_key(&s, ana, "internal_user", json!({"models": ["claude-haiku", "gpt-4o-mini"]})).await;
    let bo_key = admin(&s, "/key/generate", json!({"user_id": "bo", "key_alias": "bo-key"})).await;
    let bo_key = bo_key["key"].as_str().unwrap().to_string();

    let (status, made) =
        post(&s, &ana_key, "/key/generate", json!({"key_alias": "ana-2", "models": ["claude-haiku"]})).await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["user_id"], ana, "a key an internal user makes is its own");
    assert_eq!(made["created_by"], ana, "LiteLLM records the creating key's user");
    let own = made["key"].as_str().unwrap().to_string();
    let (status, _) = post(&s, &own, "/v1/chat/completions", chat_body("claude-haiku")).await;
    assert_eq!(status, 200, "the new key works");

    let (status, body) = post(&s, &ana_key, "/key/generate", json!({"user_id": "bo"})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        error_of(&body),
        ("auth_error", "User can only create keys for themselves. Got user_id=bo, Your ID=ana-lima-01")
    );
    let (status, body) = post(&s, &ana_key, "/key/generate", json!({"models": ["claude-sonnet"]})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        error_of(&body).1,
        "Model not in allowed user models. User allowed models=['claude-haiku', 'gpt-4o-mini']. User id=ana-lima-01"
    );
    let (status, body) = post(&s, &ana_key, "/key/generate", json!({"metadata": {"role": "proxy_admin"}})).await;
    assert_eq!(status, 403, "a user may not make itself an admin key: {body}");

    // It lists and reads its own keys, not bo's.
    let (status, list) = get(&s, &ana_key, "/key/list?return_full_object=true").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total_count"], 2, "{list}");
    assert!(list["keys"].as_array().unwrap().iter().all(|k| k["user_id"] == ana), "{list}");
    assert_eq!(get(&s, &ana_key, &format!("/key/info?key={own}")).await.0, 200);
    let (status, body) = get(&s, &ana_key, &format!("/key/info?key={bo_key}")).await;
    assert_eq!(status, 403);
    assert_eq!(error_of(&body).1, "You are not allowed to access this key's info. Your role=internal_user");

    // It changes its own keys, not bo's, and cannot hand one to bo.
    let (status, body) = post(&s, &ana_key, "/key/update", json!({"key": own, "max_budget": 1.5})).await;
    assert_eq!((status, body["max_budget"].as_f64()), (200, Some(1.5)), "{body}");
    let (status, body) = post(&s, &ana_key, "/key/update", json!({"key": bo_key, "max_budget": 100})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_of(&body).1, "User can only create keys for themselves. Got user_id=bo, Your ID=ana-lima-01");
    let (status, body) = post(&s, &ana_key, "/key/update", json!({"key": own, "user_id": "bo"})).await;
    assert_eq!(status, 403, "{body}");
    assert!(error_of(&body).1.starts_with("User=bo is not allowed to update key="), "{body}");
    let (status, body) = post(&s, &ana_key, "/key/update", json!({"key": own, "models": ["claude-sonnet"]})).await;
    assert_eq!(status, 400, "no models beyond its own on update either: {body}");

    // It regenerates its own keys, not bo's.
    let (status, fresh) = post(&s, &ana_key, "/key/regenerate", json!({"key": own})).await;
    assert_eq!(status, 200, "{fresh}");
    let own = fresh["key"].as_str().unwrap().to_string();
    assert_eq!(post(&s, &ana_key, &format!("/key/{bo_key}/regenerate"), json!({})).await.0, 403);
    let (status, body) = post(&s, &ana_key, "/key/regenerate", json!({"key": bo_key})).await;
    assert_eq!(status, 403, "{body}");
    assert!(!error_of(&body).1.contains(&bo_key), "no clear key in a refusal: {body}");

    // It deletes its own keys, not bo's (and a refusal deletes nothing).
    let (status, body) = post(&s, &ana_key, "/key/delete", json!({"keys": [bo_key, own]})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_of(&body).1, "You are not authorized to delete this key");
    assert_eq!(post(&s, &own, "/v1/chat/completions", chat_body("claude-haiku")).await.0, 200);
    let (status, body) = post(&s, &ana_key, "/key/delete", json!({"keys": [own]})).await;
    assert_eq!((status, body["deleted_keys"].as_array().map(Vec::len)), (200, Some(1)), "{body}");
    assert_eq!(post(&s, &bo_key, "/v1/chat/completions", chat_body("gpt-4o-mini")).await.0, 200);

    // Admin routes: LiteLLM's 401, naming the route, the role and the masked user id.
    let (status, body) = post(&s, &ana_key, "/team/new", json!({"team_alias": "mine"})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        error_of(&body),
        (
            "auth_error",
            "Authentication Error, Only proxy admin can be used to generate, delete, update info for new \
             keys/users/teams. Route=/team/new. Your role=internal_user. Your user_id=ana-li***01"
        )
    );
    assert_eq!(body["error"]["param"], "None");
    assert_eq!(get(&s, &ana_key, "/global/spend/keys").await.0, 401, "other tenants' spend is for admins");
    assert_eq!(post(&s, &ana_key, "/user/update", json!({"user_id": ana, "max_budget": 1000})).await.0, 401);
    // Blocking is for the admins of the key's team or organization (LiteLLM's key admin check).
    for (route, own) in [("/key/block", &bo_key), ("/key/block", &ana_key), ("/key/unblock", &bo_key)] {
        let (status, body) = post(&s, &ana_key, route, json!({"key": own})).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(
            error_of(&body).1,
            format!(
                "Only proxy admins, team admins, or org admins can call {route}. user_role=internal_user, user_id={ana}"
            )
        );
    }
    let (status, body) = get(&s, &ana_key, "/user/info?user_id=bo").await;
    assert_eq!(status, 403);
    assert_eq!(error_of(&body).1, "key not allowed to access this user's info. user_id=bo, key's user_id=ana-lima-01");
    assert_eq!(get(&s, &ana_key, "/user/info").await.0, 200);
}

/// `internal_user_viewer` reads its own things and changes nothing; a proxy admin viewer reads
/// everything and changes nothing, in LiteLLM's words.
#[tokio::test]
async fn viewers_read_and_change_nothing() {
    let s = Stack::start().await;
    let viewer = user_key(&s, "vi-viewer", "internal_user_viewer", json!({})).await;
    assert_eq!(get(&s, &viewer, "/key/info").await.0, 200);
    let (status, list) = get(&s, &viewer, "/key/list").await;
    assert_eq!((status, list["total_count"].as_u64()), (200, Some(1)), "{list}");
    assert_eq!(get(&s, &viewer, "/spend/logs").await.0, 200);
    let (status, body) = post(&s, &viewer, "/key/generate", json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert!(error_of(&body).1.contains("Route=/key/generate. Your role=internal_user_viewer."), "{body}");
    let (status, _) = post(&s, &viewer, "/key/delete", json!({"keys": [viewer]})).await;
    assert_eq!(status, 401);
    assert_eq!(post(&s, &viewer, "/v1/chat/completions", chat_body("gpt-4o-mini")).await.0, 200, "still a key");

    // A role set on the key alone (no user) makes no keys: there is no one to make them for.
    let userless = admin(&s, "/key/generate", json!({"metadata": {"role": "internal_user"}})).await;
    let (status, body) = post(&s, userless["key"].as_str().unwrap(), "/key/generate", json!({})).await;
    assert_eq!(status, 401, "{body}");

    let admin_viewer = user_key(&s, "audit", "proxy_admin_viewer", json!({})).await;
    assert_eq!(get(&s, &admin_viewer, "/key/list").await.0, 200);
    assert_eq!(get(&s, &admin_viewer, "/global/spend/keys").await.0, 200);
    let (status, body) = post(&s, &admin_viewer, "/key/generate", json!({})).await;
    assert_eq!(status, 403);
    assert_eq!(
        error_of(&body).1,
        "user not allowed to access this route, role= proxy_admin_viewer. Trying to access: /key/generate"
    );
}

/// A team key reads its own team; a team's `admin` member manages that team's members and keys
/// and no other team's; a `user` member may not make team keys (LiteLLM's default team member
/// permissions).
#[tokio::test]
async fn team_keys_and_team_admins() {
    let s = Stack::start().await;
    let ana_key = user_key(&s, "ana", "internal_user", json!({})).await;
    let bo_key = user_key(&s, "bo", "internal_user", json!({})).await;
    let team = admin(
        &s,
        "/team/new",
        json!({"team_alias": "research", "members_with_roles": [{"role": "admin", "user_id": "ana"}, {"role": "user", "user_id": "bo"}]}),
    )
    .await;
    let team_id = team["team_id"].as_str().unwrap().to_string();
    let other = admin(&s, "/team/new", json!({"team_alias": "other"})).await;
    let other_id = other["team_id"].as_str().unwrap().to_string();

    // A key of the team reads its team, not another.
    let team_key = admin(&s, "/key/generate", json!({"team_id": team_id})).await["key"].as_str().unwrap().to_string();
    let (status, info) = get(&s, &team_key, &format!("/team/info?team_id={team_id}")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["team_info"]["team_alias"], "research");
    let (status, body) = get(&s, &team_key, &format!("/team/info?team_id={other_id}")).await;
    assert_eq!(status, 403);
    assert_eq!(error_of(&body).1, format!("User=None not authorized to access this team={other_id}"));
    // So do its members; a non-member does not.
    assert_eq!(get(&s, &bo_key, &format!("/team/info?team_id={team_id}")).await.0, 200);
    let (status, teams) = get(&s, &bo_key, "/team/list").await;
    assert_eq!(status, 200);
    assert_eq!(teams.as_array().unwrap().len(), 1, "a member lists its own teams: {teams}");
    assert_eq!(get(&s, &bo_key, "/team/list?user_id=ana").await.0, 401);

    // The team admin manages members.
    let (status, added) = post(
        &s,
        &ana_key,
        "/team/member_add",
        json!({"team_id": team_id, "member": {"role": "user", "user_id": "cy"}}),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    assert!(added["members_with_roles"].as_array().unwrap().iter().any(|m| m["user_id"] == "cy"));
    let (status, updated) = post(
        &s,
        &ana_key,
        "/team/member_update",
        json!({"team_id": team_id, "user_id": "cy", "role": "admin", "max_budget_in_team": 5.0}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated,
        json!({"team_id": team_id, "user_id": "cy", "user_email": null, "max_budget_in_team": 5.0}),
        "LiteLLM's TeamMemberUpdateResponse"
    );
    let info = admin_get(&s, &format!("/team/info?team_id={team_id}")).await;
    let cy = info["team_info"]["members_with_roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == "cy")
        .unwrap()
        .clone();
    assert_eq!(cy["role"], "admin");
    let membership =
        info["team_memberships"].as_array().unwrap().iter().find(|m| m["user_id"] == "cy").unwrap().clone();
    assert_eq!(membership["litellm_budget_table"]["max_budget"], 5.0, "{info}");
    let (status, _) = post(&s, &ana_key, "/team/member_delete", json!({"team_id": team_id, "user_id": "cy"})).await;
    assert_eq!(status, 200);

    // ... and the team's keys: its own team keys, and keys of the team made by others.
    let (status, made) =
        post(&s, &ana_key, "/key/generate", json!({"team_id": team_id, "key_alias": "ana-team"})).await;
    assert_eq!(status, 200, "{made}");
    assert_eq!((made["team_id"].as_str(), made["user_id"].as_str()), (Some(team_id.as_str()), Some("ana")));
    let (status, body) = post(&s, &ana_key, "/key/update", json!({"key": team_key, "max_budget": 3})).await;
    assert_eq!(status, 200, "a team admin manages the team's keys: {body}");
    assert_eq!(get(&s, &ana_key, &format!("/key/info?key={team_key}")).await.0, 200);
    // Its list holds its own keys; with include_team_keys, the team's too (LiteLLM's flag).
    let (_, own_list) = get(&s, &ana_key, "/key/list").await;
    assert_eq!(own_list["total_count"], 2, "its user key and its team key: {own_list}");
    let (_, with_team) = get(&s, &ana_key, "/key/list?include_team_keys=true").await;
    assert_eq!(with_team["total_count"], 3, "and the team's key made by the admin: {with_team}");
    let (status, body) = get(&s, &ana_key, "/key/list?user_id=bo").await;
    assert_eq!((status, error_of(&body).1), (403, "You are not authorized to check another user's keys"));
    let (status, body) = get(&s, &ana_key, &format!("/key/list?team_id={other_id}")).await;
    assert_eq!((status, error_of(&body).1), (403, "You are not authorized to check this team's keys"));
    let (status, body) = get(&s, &team_key, "/key/list").await;
    assert_eq!(status, 403, "a key without a user lists nothing, as in LiteLLM: {body}");

    // Not another team's.
    let (status, body) = post(
        &s,
        &ana_key,
        "/team/member_add",
        json!({"team_id": other_id, "member": {"role": "user", "user_id": "dee"}}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        error_of(&body).1,
        format!("Call not allowed. User not proxy admin OR team admin. route=/team/member_add, team_id={other_id}")
    );
    let (status, body) = post(&s, &ana_key, "/key/generate", json!({"team_id": other_id})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body).1, format!("User=ana not assigned to team={other_id}"));

    // A `user` member: no team keys, no member changes.
    let (status, body) = post(&s, &bo_key, "/key/generate", json!({"team_id": team_id})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["type"], "team_member_permission_error");
    assert_eq!(body["error"]["param"], "/key/generate");
    assert!(
        error_of(&body).1.starts_with(
            "Team member does not have permissions for endpoint: /key/generate. You only have access to the \
             following endpoints: ['/key/info', '/key/health'] for team "
        ),
        "{body}"
    );
    let (status, body) = post(&s, &bo_key, "/key/delete", json!({"keys": [team_key]})).await;
    assert_eq!((status, body["error"]["type"].as_str()), (401, Some("team_member_permission_error")), "{body}");
    assert_eq!(post(&s, &bo_key, "/team/member_delete", json!({"team_id": team_id, "user_id": "ana"})).await.0, 403);

    let (status, _) = post(&s, &ana_key, "/key/delete", json!({"keys": [team_key]})).await;
    assert_eq!(status, 200, "the team admin deletes the team's key");
}

async fn admin_get(s: &Stack, path: &str) -> Value {
    let (status, v) = get(s, MASTER_KEY, path).await;
    assert_eq!(status, 200, "{path} → {v}");
    v
}

/// A user whose role is `proxy_admin` has every right through its key; a team it creates has it
/// as an `admin` member, as LiteLLM adds the creator.
#[tokio::test]
async fn a_proxy_admin_users_key_manages_everything_and_joins_the_teams_it_makes() {
    let s = Stack::start().await;
    let root = user_key(&s, "root-admin", "proxy_admin", json!({})).await;
    let (status, team) = post(
        &s,
        &root,
        "/team/new",
        json!({"team_alias": "made-by-root", "members_with_roles": [{"role": "user", "user_id": "eve"}]}),
    )
    .await;
    assert_eq!(status, 200, "{team}");
    assert_eq!(
        team["members_with_roles"],
        json!([{"role": "user", "user_id": "eve", "user_email": null}, {"role": "admin", "user_id": "root-admin", "user_email": null}])
    );
    let root_user = admin_get(&s, "/user/info?user_id=root-admin").await;
    assert_eq!(root_user["user_info"]["teams"], json!([team["team_id"]]));
    let (status, made) = post(&s, &root, "/key/generate", json!({"user_id": "someone-else"})).await;
    assert_eq!((status, made["user_id"].as_str()), (200, Some("someone-else")), "{made}");
    assert_eq!(post(&s, &root, "/user/new", json!({"user_id": "new-user"})).await.0, 200);
    assert_eq!(get(&s, &root, "/global/spend/keys").await.0, 200);
    let (_, list) = get(&s, &root, "/key/list").await;
    assert_eq!(list["total_count"], 3, "every key: {list}");
    // The master key makes teams without a member for itself (it has no user).
    let plain = admin(&s, "/team/new", json!({"team_alias": "by-master"})).await;
    assert_eq!(plain["members_with_roles"], json!([]));
}

/// `/user/update` of an unknown user creates it (LiteLLM upserts), with the fields sent only.
#[tokio::test]
async fn user_update_upserts_an_unknown_user() {
    let s = Stack::start().await;
    let updated = admin(
        &s,
        "/user/update",
        json!({"user_id": "late-comer", "max_budget": 7.5, "user_email": "late@example.com"}),
    )
    .await;
    assert_eq!(updated["user_id"], "late-comer");
    assert_eq!(updated["max_budget"], 7.5);
    let info = admin_get(&s, "/user/info?user_id=late-comer").await;
    assert_eq!(info["user_info"]["user_email"], "late@example.com");
    assert_eq!(info["user_info"]["user_role"], Value::Null, "no role is invented");
    assert_eq!(info["keys"], json!([]), "and no key");
    let again = admin(&s, "/user/update", json!({"user_id": "late-comer", "user_alias": "Late"})).await;
    assert_eq!((again["max_budget"].as_f64(), again["user_alias"].as_str()), (Some(7.5), Some("Late")));
    let (status, _) = post(&s, MASTER_KEY, "/user/update", json!({"max_budget": 1})).await;
    assert_eq!(status, 400, "user_id is still required");
    // It survives a restart: it was written, not only served.
    let s = s.restart().await;
    assert_eq!(admin_get(&s, "/user/info?user_id=late-comer").await["user_info"]["max_budget"], 7.5);
}

/// Team membership routes as LiteLLM answers them: removing a non-member is a 400, a member
/// named by email is the user with that email (made when there is none).
#[tokio::test]
async fn team_members_by_email_and_removals_of_non_members() {
    let s = Stack::start().await;
    admin(&s, "/user/new", json!({"user_id": "fay", "user_email": "fay@example.com", "auto_create_key": false})).await;
    let team = admin(&s, "/team/new", json!({"team_alias": "ops"})).await;
    let team_id = team["team_id"].as_str().unwrap().to_string();

    let added = admin(
        &s,
        "/team/member_add",
        json!({"team_id": team_id, "member": [{"role": "user", "user_email": "fay@example.com"}, {"role": "admin", "user_email": "gus@example.com"}]}),
    )
    .await;
    let members = added["members_with_roles"].as_array().unwrap();
    assert_eq!(
        members[0],
        json!({"role": "user", "user_id": "fay", "user_email": "fay@example.com"}),
        "linked to the user with that email"
    );
    let gus_id = members[1]["user_id"].as_str().expect("a user made for the new email").to_string();
    let gus = admin_get(&s, &format!("/user/info?user_id={gus_id}")).await;
    assert_eq!(gus["user_info"]["user_email"], "gus@example.com");
    assert_eq!(gus["user_info"]["teams"], json!([team_id]));
    let fay = admin_get(&s, "/user/info?user_id=fay").await;
    assert_eq!(fay["user_info"]["teams"], json!([team_id]), "the existing user joined the team");
    assert_eq!(added["updated_users"].as_array().map(Vec::len), Some(2), "{added}");

    let (status, body) =
        post(&s, MASTER_KEY, "/team/member_delete", json!({"team_id": team_id, "user_id": "nobody"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body).1, "User not found in team");
    let (status, body) = post(&s, MASTER_KEY, "/team/member_delete", json!({"team_id": team_id})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body).1, "Either user_id or user_email needs to be passed in");
    let after = admin(&s, "/team/member_delete", json!({"team_id": team_id, "user_email": "gus@example.com"})).await;
    assert_eq!(after["members_with_roles"].as_array().map(Vec::len), Some(1));
    let gus = admin_get(&s, &format!("/user/info?user_id={gus_id}")).await;
    assert_eq!(gus["user_info"]["teams"], json!([]), "removed by email, the user left the team");

    let (status, body) =
        post(&s, MASTER_KEY, "/team/member_update", json!({"team_id": team_id, "user_id": "nobody", "role": "admin"}))
            .await;
    assert_eq!(status, 400, "{body}");
    let updated =
        admin(&s, "/team/member_update", json!({"team_id": team_id, "user_email": "fay@example.com", "role": "admin"}))
            .await;
    assert_eq!(updated["user_id"], "fay");
    assert_eq!(updated["max_budget_in_team"], Value::Null);
}

/// `/model_group/info` in LiteLLM's shape, from the gateway's model groups, limited to what the
/// key may call.
#[tokio::test]
async fn model_group_info_describes_the_groups_a_key_may_call() {
    let s = Stack::start().await;
    let all = admin_get(&s, "/model_group/info").await;
    let groups = all["data"].as_array().unwrap();
    let haiku = groups.iter().find(|g| g["model_group"] == "claude-haiku").expect("claude-haiku").clone();
    assert_eq!(haiku["providers"], json!(["bedrock"]));
    assert_eq!(haiku["mode"], "chat");
    assert_eq!(haiku["max_input_tokens"], 200000);
    assert_eq!(haiku["max_output_tokens"], 64000);
    assert_eq!(haiku["input_cost_per_token"], 1.1e-6, "the inference profile's price");
    assert_eq!(haiku["output_cost_per_token"], 5.5e-6);
    assert_eq!(haiku["supports_function_calling"], true);
    assert_eq!(haiku["supports_vision"], true);
    assert_eq!((haiku["tpm"].clone(), haiku["rpm"].clone()), (Value::Null, Value::Null));
    assert!(haiku["supported_openai_params"].as_array().unwrap().contains(&json!("tools")));
    let mini = groups.iter().find(|g| g["model_group"] == "gpt-4o-mini").unwrap();
    assert_eq!((mini["providers"].clone(), mini["max_input_tokens"].clone()), (json!(["openai"]), json!(128000)));

    // Two deployments of one group: limits add up, flags from model_info count.
    for rpm in [10, 30] {
        admin(
            &s,
            "/model/new",
            json!({"model_name": "pooled", "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": s.openai.base_url(), "api_key": "sk-x", "rpm": rpm, "tpm": 1000},
                   "model_info": {"supports_reasoning": true}}),
        )
        .await;
    }
    let pooled = admin_get(&s, "/model_group/info?model_group=pooled").await;
    assert_eq!(pooled["data"].as_array().map(Vec::len), Some(1), "{pooled}");
    let pooled = &pooled["data"][0];
    assert_eq!((pooled["rpm"].clone(), pooled["tpm"].clone()), (json!(40), json!(2000)));
    assert_eq!(pooled["supports_reasoning"], true);
    assert_eq!(pooled["providers"], json!(["openai"]));

    // A key sees the groups it may call (LiteLLM's test_get_personal_models_for_user).
    let key = user_key(&s, "narrow", "internal_user", json!({"models": ["claude-haiku"]})).await;
    let (status, mine) = get(&s, &key, "/model_group/info").await;
    assert_eq!(status, 200, "{mine}");
    let names: Vec<&str> =
        mine["data"].as_array().unwrap().iter().map(|g| g["model_group"].as_str().unwrap()).collect();
    assert_eq!(names, ["claude-haiku"]);
}

/// `/global/spend/report`: per day and team (default), per day and customer, per key, in
/// LiteLLM's shapes; both dates are required.
#[tokio::test]
async fn global_spend_report_by_team_customer_and_key() {
    let s = Stack::start().await;
    let team = admin(&s, "/team/new", json!({"team_alias": "reporting"})).await;
    let team_key =
        admin(&s, "/key/generate", json!({"team_id": team["team_id"]})).await["key"].as_str().unwrap().to_string();
    let lone_key = admin(&s, "/key/generate", json!({})).await["key"].as_str().unwrap().to_string();
    let mut body = chat_body("claude-haiku");
    body["user"] = json!("customer-1");
    assert_eq!(post(&s, &team_key, "/v1/chat/completions", body).await.0, 200);
    assert_eq!(post(&s, &lone_key, "/v1/chat/completions", chat_body("gpt-4o-mini")).await.0, 200);
    let rows = admin_get(&s, "/spend/logs").await;
    let rows = rows.as_array().unwrap();
    let day = rows[0]["startTime"].as_str().unwrap()[..10].to_string();
    let row_of = |key: &str| rows.iter().find(|r| r["api_key"] == switchboard::auth::hash_key(key)).unwrap().clone();
    let (team_row, lone_row) = (row_of(&team_key), row_of(&lone_key));

    let report = admin_get(&s, &format!("/global/spend/report?start_date={day}&end_date={day}")).await;
    assert_eq!(report.as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(report[0]["group_by_day"], format!("{day}T00:00:00+00:00"));
    let teams = report[0]["teams"].as_array().unwrap();
    let reporting = teams.iter().find(|t| t["team_name"] == "reporting").expect("the team, by alias");
    assert_eq!(reporting["total_spend"], team_row["spend"]);
    assert_eq!(
        reporting["metadata"],
        json!([{"model": team_row["model"], "api_key": team_row["api_key"], "spend": team_row["spend"], "total_tokens": team_row["total_tokens"]}])
    );
    let unassigned = teams.iter().find(|t| t["team_name"] == "Unassigned Team").expect("spend without a team");
    assert_eq!(unassigned["total_spend"], lone_row["spend"]);

    let by_customer =
        admin_get(&s, &format!("/global/spend/report?start_date={day}&end_date={day}&group_by=customer")).await;
    let customers = by_customer[0]["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 2, "{by_customer}");
    assert!(customers.iter().any(|c| c["customer"] == "customer-1" && c["total_spend"] == team_row["spend"]));
    assert!(customers.iter().any(|c| c["customer"].is_null()));

    let by_key = admin_get(&s, &format!("/global/spend/report?start_date={day}&end_date={day}&group_by=api_key")).await;
    let keys = by_key.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0]["total_cost"].as_f64() >= keys[1]["total_cost"].as_f64(), "most spent first");
    let team_entry = keys.iter().find(|k| k["api_key"] == team_row["api_key"]).unwrap();
    assert_eq!(
        team_entry,
        &json!({"api_key": team_row["api_key"], "total_cost": team_row["spend"], "total_input_tokens": team_row["prompt_tokens"],
                "total_output_tokens": team_row["completion_tokens"],
                "model_details": [{"model": team_row["model"], "total_cost": team_row["spend"], "total_input_tokens": team_row["prompt_tokens"], "total_output_tokens": team_row["completion_tokens"]}]})
    );
    let one = admin_get(&s, &format!("/global/spend/report?start_date={day}&end_date={day}&api_key={lone_key}")).await;
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    assert_eq!(one[0]["api_key"], lone_row["api_key"]);

    assert_eq!(admin_get(&s, "/global/spend/report?start_date=2000-01-01&end_date=2000-01-31").await, json!([]));
    let (status, body) = get(&s, MASTER_KEY, &format!("/global/spend/report?start_date={day}")).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).1, "Please provide start_date and end_date");
    let (status, _) =
        get(&s, MASTER_KEY, &format!("/global/spend/report?start_date={day}&end_date={day}&group_by=model")).await;
    assert_eq!(status, 400);
    let member = user_key(&s, "curious", "internal_user", json!({})).await;
    assert_eq!(get(&s, &member, &format!("/global/spend/report?start_date={day}&end_date={day}")).await.0, 401);
}

/// `GET /routes` lists what the gateway serves, as LiteLLM lists its own routes (public, as
/// in LiteLLM), and every route it lists is served.
#[tokio::test]
async fn routes_lists_every_route_served() {
    let s = Stack::start().await;
    let r = s.http.get(s.url("/routes")).send().await.unwrap();
    assert_eq!(r.status(), 200, "public, as in LiteLLM");
    let body: Value = r.json().await.unwrap();
    let routes = body["routes"].as_array().unwrap();
    let find = |path: &str, method: &str| {
        routes.iter().find(|r| r["path"] == path && r["methods"].as_array().unwrap().contains(&json!(method))).cloned()
    };
    let generate = find("/key/generate", "POST").expect("/key/generate");
    assert_eq!(generate["name"], "generate");
    assert_eq!(generate["endpoint"], "generate");
    for (path, method) in [
        ("/team/member_update", "POST"),
        ("/model_group/info", "GET"),
        ("/global/spend/report", "GET"),
        ("/health/readiness/details", "GET"),
        ("/v1/chat/completions", "POST"),
        ("/routes", "GET"),
        ("/end_user/new", "POST"),
        ("/customer/list", "GET"),
    ] {
        assert!(find(path, method).is_some(), "{method} {path} is listed");
    }
    let mut seen = std::collections::HashSet::new();
    for r in routes {
        assert!(seen.insert((r["path"].to_string(), r["methods"].to_string())), "listed once: {r}");
    }
    // Each listed management read answers (none is a 404 of the router).
    for r in routes {
        let path = r["path"].as_str().unwrap();
        let management = ["/key/", "/team/", "/user/", "/model", "/spend/", "/global/", "/end_user/", "/customer/"]
            .iter()
            .any(|p| path.starts_with(p));
        if r["methods"][0] == "GET" && management && !path.contains('{') {
            let (status, body) = get(&s, MASTER_KEY, path).await;
            assert_ne!(status, 404, "{path}: {body}");
            assert_ne!(body["error"]["type"], "not_found_error", "{path} is served: {body}");
        }
    }
}

/// `/health/readiness/details`: LiteLLM's authenticated readiness diagnostics.
#[tokio::test]
async fn readiness_details_for_admins() {
    let s = Stack::start().await;
    let details = admin_get(&s, "/health/readiness/details").await;
    assert_eq!(details["status"], "healthy");
    assert_eq!(details["db"], "connected");
    assert!(details["litellm_version"].is_string() && details["log_level"].is_string(), "{details}");
    assert!(details["is_detailed_debug"].is_boolean() && details["success_callbacks"].is_array());
    assert_eq!(s.http.get(s.url("/health/readiness/details")).send().await.unwrap().status(), 401, "needs a key");
    let member = user_key(&s, "ops-member", "internal_user", json!({})).await;
    let (status, body) = get(&s, &member, "/health/readiness/details").await;
    assert_eq!(status, 401, "{body}");
    assert!(error_of(&body).1.contains("Route=/health/readiness/details. Your role=internal_user."), "{body}");
    let viewer = user_key(&s, "ops-viewer", "proxy_admin_viewer", json!({})).await;
    assert_eq!(get(&s, &viewer, "/health/readiness/details").await.0, 200);
}

/// `/budget/*` in LiteLLM's shapes (`LiteLLM_BudgetTable` rows), stored in the database.
#[tokio::test]
async fn budgets_are_made_read_changed_and_deleted() {
    let s = Stack::start().await;
    let made = admin(
        &s,
        "/budget/new",
        json!({"budget_id": "gold", "max_budget": 100.0, "rpm_limit": 60, "budget_duration": "30d"}),
    )
    .await;
    assert_eq!(made["budget_id"], "gold");
    assert_eq!((made["max_budget"].as_f64(), made["rpm_limit"].as_u64()), (Some(100.0), Some(60)));
    assert!(made["budget_reset_at"].is_string(), "the first reset is one period away: {made}");
    assert_eq!(made["created_by"], "default_user_id", "the master key, as LiteLLM names it");
    let (status, body) = post(&s, MASTER_KEY, "/budget/new", json!({"budget_id": "gold"})).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).1, "Budget with id 'gold' already exists.");
    let (status, body) = post(&s, MASTER_KEY, "/budget/new", json!({"max_budget": -1})).await;
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).1, "max_budget must be a non-negative finite number. Received: -1");
    let silver = admin(&s, "/budget/new", json!({"soft_budget": 5.0})).await;
    assert!(silver["budget_id"].as_str().is_some_and(|id| !id.is_empty()), "an id is made");

    let updated =
        admin(&s, "/budget/update", json!({"budget_id": "gold", "max_budget": 150.0, "rpm_limit": null})).await;
    assert_eq!((updated["max_budget"].as_f64(), updated["rpm_limit"].clone()), (Some(150.0), Value::Null));
    assert_eq!(updated["budget_duration"], "30d", "members not sent stay");
    let (status, body) = post(&s, MASTER_KEY, "/budget/update", json!({"max_budget": 1})).await;
    assert_eq!((status, error_of(&body).1), (400, "budget_id is required"));

    let info = admin(&s, "/budget/info", json!({"budgets": ["gold"]})).await;
    assert_eq!(info.as_array().map(Vec::len), Some(1));
    assert_eq!(info[0]["max_budget"], 150.0);
    assert_eq!(admin_get(&s, "/budget/list").await.as_array().map(Vec::len), Some(2));

    let s = s.restart().await;
    let deleted = admin(&s, "/budget/delete", json!({"id": "gold"})).await;
    assert_eq!(deleted["budget_id"], "gold", "kept across a restart, and the deleted row is answered");
    assert_eq!(admin_get(&s, "/budget/list").await.as_array().map(Vec::len), Some(1));
    let member = user_key(&s, "saver", "internal_user", json!({})).await;
    assert_eq!(get(&s, &member, "/budget/list").await.0, 401, "budgets are for admins");
}

/// `/organization/*` in LiteLLM's shapes: an organization gets a budget from the limits sent,
/// members are users (made when new), and it can be changed and deleted.
#[tokio::test]
async fn organizations_with_budgets_and_members() {
    let s = Stack::start().await;
    let org = admin(
        &s,
        "/organization/new",
        json!({"organization_alias": "acme", "models": ["claude-haiku"], "max_budget": 50.0, "tpm_limit": 1000}),
    )
    .await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    assert_eq!((org["organization_alias"].as_str(), org["models"].clone()), (Some("acme"), json!(["claude-haiku"])));
    let budget_id = org["budget_id"].as_str().expect("every organization has a budget").to_string();
    let info = admin_get(&s, &format!("/organization/info?organization_id={org_id}")).await;
    assert_eq!(info["litellm_budget_table"]["budget_id"], budget_id.as_str());
    assert_eq!(info["litellm_budget_table"]["max_budget"], 50.0);
    assert_eq!(info["litellm_budget_table"]["tpm_limit"], 1000);
    assert_eq!((info["members"].clone(), info["spend"].clone()), (json!([]), json!(0.0)));
    let (status, _) = post(&s, MASTER_KEY, "/organization/new", json!({"models": []})).await;
    assert_eq!(status, 400, "organization_alias is required");
    let shared = admin(&s, "/organization/new", json!({"organization_alias": "beta", "budget_id": budget_id})).await;
    assert_eq!(shared["budget_id"], budget_id.as_str(), "a named budget is used, not copied");

    admin(&s, "/user/new", json!({"user_id": "hal", "user_email": "hal@example.com", "auto_create_key": false})).await;
    let added = admin(
        &s,
        "/organization/member_add",
        json!({"organization_id": org_id, "member": [{"role": "org_admin", "user_email": "hal@example.com"}, {"role": "internal_user", "user_id": "ivy"}], "max_budget_in_organization": 10.0}),
    )
    .await;
    assert_eq!(added["organization_id"], org_id.as_str());
    let memberships = added["updated_organization_memberships"].as_array().unwrap();
    assert_eq!(
        (memberships[0]["user_id"].as_str(), memberships[0]["user_role"].as_str()),
        (Some("hal"), Some("org_admin"))
    );
    assert_eq!(memberships[1]["user_id"], "ivy");
    let member_budget = memberships[1]["budget_id"].as_str().expect("a budget of its own in the organization");
    assert_eq!(admin(&s, "/budget/info", json!({"budgets": [member_budget]})).await[0]["max_budget"], 10.0);
    assert_eq!(added["updated_users"].as_array().map(Vec::len), Some(2));
    assert_eq!(admin_get(&s, "/user/info?user_id=ivy").await["user_info"]["user_id"], "ivy", "a new user was made");
    let (status, _) = post(
        &s,
        MASTER_KEY,
        "/organization/member_add",
        json!({"organization_id": org_id, "member": {"role": "owner", "user_id": "x"}}),
    )
    .await;
    assert_eq!(status, 400, "roles are LiteLLM's organization roles");
    let (status, _) = post(
        &s,
        MASTER_KEY,
        "/organization/member_add",
        json!({"organization_id": "nope", "member": {"role": "internal_user", "user_id": "x"}}),
    )
    .await;
    assert_eq!(status, 404);

    let r = s
        .http
        .patch(s.url("/organization/update"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"organization_id": org_id, "organization_alias": "acme-corp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(
        (updated["organization_alias"].as_str(), updated["models"].clone()),
        (Some("acme-corp"), json!(["claude-haiku"]))
    );
    let list = admin_get(&s, "/organization/list").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["members"].as_array().map(Vec::len), Some(2), "{list}");

    let (status, body) = post(&s, MASTER_KEY, "/budget/delete", json!({"id": budget_id})).await;
    assert_eq!(status, 400, "a budget in use is kept: {body}");
    let r = s
        .http
        .delete(s.url("/organization/delete"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"organization_ids": [org_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deleted: Value = r.json().await.unwrap();
    assert_eq!(deleted[0]["organization_id"], org_id.as_str());
    assert_eq!(get(&s, MASTER_KEY, &format!("/organization/info?organization_id={org_id}")).await.0, 404);
    let member = user_key(&s, "outsider", "internal_user", json!({})).await;
    assert_eq!(post(&s, &member, "/organization/new", json!({"organization_alias": "mine"})).await.0, 401);
}

/// A team in an organization: the organization's budget limits the calls of the team's keys
/// (whichever team of the organization spends it), what they spend is the organization's, and
/// a change of its budget applies to the next call.
#[tokio::test]
async fn an_organizations_budget_limits_its_teams() {
    let s = Stack::start().await;
    let org = admin(&s, "/organization/new", json!({"organization_alias": "thrifty", "max_budget": 0.0000001})).await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    let team_a = admin(&s, "/team/new", json!({"team_alias": "a", "organization_id": org_id})).await;
    assert_eq!(team_a["organization_id"], org_id.as_str());
    let team_b = admin(&s, "/team/new", json!({"team_alias": "b", "organization_id": org_id})).await;
    let key_a =
        admin(&s, "/key/generate", json!({"team_id": team_a["team_id"]})).await["key"].as_str().unwrap().to_string();
    let key_b =
        admin(&s, "/key/generate", json!({"team_id": team_b["team_id"]})).await["key"].as_str().unwrap().to_string();

    let (status, body) = post(&s, &key_a, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&s, &key_b, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 400, "team a spent the organization's budget: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("Organization={org_id}")), "{message}");

    let info = admin_get(&s, &format!("/organization/info?organization_id={org_id}")).await;
    assert!(info["spend"].as_f64().unwrap() > 0.0, "{info}");
    let teams: Vec<&str> =
        info["teams"].as_array().unwrap().iter().map(|t| t["team_alias"].as_str().unwrap()).collect();
    assert_eq!(teams, ["a", "b"]);

    // Raising the organization's budget lets its teams call again at once.
    let budget_id = org["budget_id"].as_str().unwrap();
    admin(&s, "/budget/update", json!({"budget_id": budget_id, "max_budget": 10.0})).await;
    let (status, body) = post(&s, &key_b, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "{body}");

    // The organization's spend is kept: a restart reads it back.
    let spent = admin_get(&s, &format!("/organization/info?organization_id={org_id}")).await["spend"].as_f64().unwrap();
    let s = s.restart().await;
    let again = admin_get(&s, &format!("/organization/info?organization_id={org_id}")).await;
    assert!((again["spend"].as_f64().unwrap() - spent).abs() < 1e-12, "{again} vs {spent}");

    let (status, body) = post(&s, MASTER_KEY, "/team/new", json!({"organization_id": "no-such-org"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body).1, "Organization not found for organization_id=no-such-org");
}

/// A member's `max_budget_in_team` limits the member's calls with the team's keys, as LiteLLM's
/// team-member budget: what the member spent in the team is kept (restart included), shown in
/// `/team/info`, and goes when the member leaves.
#[tokio::test]
async fn a_members_budget_in_its_team_limits_its_calls() {
    let s = Stack::start().await;
    let team = admin(
        &s,
        "/team/new",
        json!({"team_alias": "squad", "members_with_roles": [
            {"role": "user", "user_id": "dee"}, {"role": "user", "user_id": "eli"}
        ]}),
    )
    .await;
    let team_id = team["team_id"].as_str().unwrap().to_string();
    let key_of = |user: &'static str| {
        let (s, team_id) = (&s, team_id.clone());
        async move {
            admin(s, "/key/generate", json!({"team_id": team_id, "user_id": user})).await["key"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (dee, eli) = (key_of("dee").await, key_of("eli").await);
    admin(&s, "/team/member_update", json!({"team_id": team_id, "user_id": "dee", "max_budget_in_team": 0.0000001}))
        .await;

    let (status, body) = post(&s, &dee, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "under budget: {body}");
    let (status, body) = post(&s, &dee, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 400, "dee spent the budget: {body}");
    let (kind, message) = error_of(&body);
    assert_eq!(kind, "budget_exceeded");
    assert!(
        message.starts_with(&format!("Budget has been exceeded! User=dee in Team={team_id} Current cost: "))
            && message.ends_with("Max budget: 0.0000001"),
        "{message}"
    );
    // Another member of the team, and the team itself, are not limited by dee's budget.
    let (status, body) = post(&s, &eli, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "{body}");

    let spent_in_team = |info: &Value, user: &str| {
        info["team_memberships"].as_array().unwrap().iter().find(|m| m["user_id"] == user).map(|m| m["spend"].clone())
    };
    let info = admin_get(&s, &format!("/team/info?team_id={team_id}")).await;
    let dee_spent = spent_in_team(&info, "dee").and_then(|v| v.as_f64()).unwrap();
    assert!(dee_spent > 0.0000001, "{info}");
    assert!(spent_in_team(&info, "eli").and_then(|v| v.as_f64()).unwrap() > 0.0, "{info}");

    // Kept across a restart: still refused, the same spend shown.
    let s = s.restart().await;
    let (status, body) = post(&s, &dee, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 400, "{body}");
    let info = admin_get(&s, &format!("/team/info?team_id={team_id}")).await;
    assert!((spent_in_team(&info, "dee").and_then(|v| v.as_f64()).unwrap() - dee_spent).abs() < 1e-12, "{info}");

    // Raising the member's budget lets the member call again at once.
    admin(&s, "/team/member_update", json!({"team_id": team_id, "user_id": "dee", "max_budget_in_team": 10.0})).await;
    let (status, body) = post(&s, &dee, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "{body}");

    // Leaving the team takes the spend along: joining again starts from nothing, also after a restart.
    admin(&s, "/team/member_delete", json!({"team_id": team_id, "user_id": "dee"})).await;
    let info = admin_get(&s, &format!("/team/info?team_id={team_id}")).await;
    assert_eq!(spent_in_team(&info, "dee"), None, "{info}");
    admin(
        &s,
        "/team/member_add",
        json!({"team_id": team_id, "member": [{"role": "user", "user_id": "dee"}], "max_budget_in_team": 0.0000001}),
    )
    .await;
    let s = s.restart().await;
    let info = admin_get(&s, &format!("/team/info?team_id={team_id}")).await;
    assert_eq!(spent_in_team(&info, "dee").and_then(|v| v.as_f64()), Some(0.0), "{info}");
    let (status, body) = post(&s, &dee, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "a new membership, nothing spent yet: {body}");
}

/// A team's `team_member_budget` is the budget of each member without one of its own; 0 lifts
/// it, as in LiteLLM.
#[tokio::test]
async fn a_teams_member_budget_applies_to_members_without_their_own() {
    let s = Stack::start().await;
    let team = admin(
        &s,
        "/team/new",
        json!({"team_member_budget": 0.0000001, "members_with_roles": [
            {"role": "user", "user_id": "fay"}, {"role": "user", "user_id": "gus"}
        ]}),
    )
    .await;
    assert_eq!(team["team_member_budget"].as_f64(), Some(0.0000001), "{team}");
    let team_id = team["team_id"].as_str().unwrap().to_string();
    admin(&s, "/team/member_update", json!({"team_id": team_id, "user_id": "gus", "max_budget_in_team": 10.0})).await;
    let key_for = |user: &str| json!({"team_id": team_id, "user_id": user});
    let fay = admin(&s, "/key/generate", key_for("fay")).await["key"].as_str().unwrap().to_string();
    let gus = admin(&s, "/key/generate", key_for("gus")).await["key"].as_str().unwrap().to_string();

    assert_eq!(post(&s, &fay, "/v1/chat/completions", chat_body("gpt-4o-mini")).await.0, 200);
    let (status, body) = post(&s, &fay, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 400, "{body}");
    assert!(error_of(&body).1.contains(&format!("User=fay in Team={team_id}")), "{body}");
    for _ in 0..2 {
        let (status, body) = post(&s, &gus, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
        assert_eq!(status, 200, "gus has a budget of his own: {body}");
    }

    let (status, body) =
        post(&s, MASTER_KEY, "/team/update", json!({"team_id": team_id, "team_member_budget": -1})).await;
    assert_eq!((status, error_of(&body).1), (400, "team_member_budget must be a non-negative number"), "{body}");
    admin(&s, "/team/update", json!({"team_id": team_id, "team_member_budget": 0})).await;
    let (status, body) = post(&s, &fay, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "0 is no limit: {body}");
}

/// `litellm_settings.default_team_params` fills the limits `/team/new` is not sent (or sent as
/// null), as LiteLLM's `_get_default_team_param`; what is sent wins.
#[tokio::test]
async fn default_team_params_fill_what_team_new_leaves_out() {
    let gateway = start_gateway(
        "litellm_settings:\n  default_team_params: {max_budget: 7.5, budget_duration: 30d, tpm_limit: 1000}\n",
    )
    .await;
    let http = reqwest::Client::new();
    let new_team = |body: Value| {
        let request = http.post(format!("{}/team/new", gateway.base_url())).bearer_auth(MASTER_KEY).json(&body);
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let team = new_team(json!({"team_alias": "defaults"})).await;
    assert_eq!((team["max_budget"].as_f64(), team["budget_duration"].as_str()), (Some(7.5), Some("30d")), "{team}");
    assert_eq!((team["tpm_limit"].as_u64(), team["rpm_limit"].as_u64()), (Some(1000), None), "{team}");
    assert!(team["budget_reset_at"].is_string(), "the default duration starts a period: {team}");
    let own = new_team(json!({"team_alias": "own", "max_budget": 1.0, "tpm_limit": null})).await;
    assert_eq!((own["max_budget"].as_f64(), own["tpm_limit"].as_u64()), (Some(1.0), Some(1000)), "{own}");
}

/// An organization's models bound what its teams' keys may call, as LiteLLM's
/// `org_model_access_denied`; a change of the organization's models applies to the next call.
#[tokio::test]
async fn an_organizations_models_bound_its_teams() {
    let s = Stack::start().await;
    let org = admin(&s, "/organization/new", json!({"organization_alias": "narrow", "models": ["gpt-4o-mini"]})).await;
    let org_id = org["organization_id"].as_str().unwrap().to_string();
    let team = admin(&s, "/team/new", json!({"team_alias": "in-narrow", "organization_id": org_id})).await;
    let key =
        admin(&s, "/key/generate", json!({"team_id": team["team_id"]})).await["key"].as_str().unwrap().to_string();

    let (status, body) = post(&s, &key, "/v1/chat/completions", chat_body("gpt-4o-mini")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&s, &key, "/v1/chat/completions", chat_body("claude-haiku")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        error_of(&body),
        (
            "org_model_access_denied",
            "org not allowed to access model. This org can only access models=['gpt-4o-mini']. Tried to access claude-haiku"
        )
    );
    let (_, models) = get(&s, &key, "/v1/models").await;
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["gpt-4o-mini"], "the key lists what its organization allows");

    let r = s
        .http
        .patch(s.url("/organization/update"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"organization_id": org_id, "models": ["gpt-4o-mini", "claude-haiku"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, body) = post(&s, &key, "/v1/chat/completions", chat_body("claude-haiku")).await;
    assert_eq!(status, 200, "the organization's new models apply at once: {body}");

    // A team of the organization may not name a model the organization does not allow.
    let (status, body) = post(
        &s,
        MASTER_KEY,
        "/team/new",
        json!({"organization_id": org_id, "models": ["gpt-4o-mini", "claude-sonnet"]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let message = error_of(&body).1;
    assert!(message.starts_with("Model 'claude-sonnet' not in organization's allowed models."), "{message}");
    let (status, body) =
        post(&s, MASTER_KEY, "/team/update", json!({"team_id": team["team_id"], "models": ["claude-sonnet"]})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) =
        post(&s, MASTER_KEY, "/team/update", json!({"team_id": team["team_id"], "models": ["claude-haiku"]})).await;
    assert_eq!(status, 200, "{body}");
}

/// An organization's `org_admin` members manage it as LiteLLM lets them: its info and members,
/// its alias, the teams in it (made, changed, blocked, deleted, their members) and the list of
/// its users; nothing of another organization, and never the organization's deletion. Its other
/// members and users outside any organization are refused with LiteLLM's messages.
#[tokio::test]
async fn an_organizations_admins_manage_it_and_its_teams() {
    let s = Stack::start().await;
    let acme = admin(&s, "/organization/new", json!({"organization_alias": "acme"})).await;
    let acme = acme["organization_id"].as_str().unwrap().to_string();
    let other = admin(&s, "/organization/new", json!({"organization_alias": "other"})).await;
    let other = other["organization_id"].as_str().unwrap().to_string();
    let olga = user_key(&s, "olga", "internal_user", json!({})).await;
    let ivan = user_key(&s, "ivan", "internal_user", json!({})).await;
    let pat = user_key(&s, "pat", "internal_user", json!({})).await;
    user_key(&s, "root", "proxy_admin", json!({})).await;
    admin(
        &s,
        "/organization/member_add",
        json!({"organization_id": acme, "member": [{"role": "org_admin", "user_id": "olga"}, {"role": "internal_user", "user_id": "ivan"}, {"role": "internal_user", "user_id": "root"}]}),
    )
    .await;
    let info_path = |o: &str| format!("/organization/info?organization_id={o}");

    // Who may read an organization.
    let (status, body) = get(&s, &pat, &info_path(&acme)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        error_of(&body).1,
        "Tried to access route=/organization/info but you are not a member of any organization. Please contact \
         the proxy admin to request access."
    );
    let (status, body) = get(&s, &ivan, &info_path(&acme)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        error_of(&body).1,
        format!(
            "You do not have the required role to perform /organization/info in Organization {acme}. Your role is \
             internal_user in Organization {acme}"
        )
    );
    let (status, body) = get(&s, &olga, &info_path(&acme)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 3);
    let (status, body) = get(&s, &olga, &info_path(&other)).await;
    assert_eq!(status, 401, "{body}");
    assert!(error_of(&body).1.starts_with("You do not have a role within the selected organization."), "{body}");
    for key in [&olga, &ivan] {
        let (status, list) = get(&s, key, "/organization/list").await;
        assert_eq!(status, 200, "{list}");
        let ids: Vec<&str> = list.as_array().unwrap().iter().map(|o| o["organization_id"].as_str().unwrap()).collect();
        assert_eq!(ids, [acme.as_str()], "a member lists its own organizations");
    }
    assert_eq!(get(&s, &pat, "/organization/list").await.0, 401);

    // Members: added, changed and removed by the organization's admin only.
    let (status, body) = post(
        &s,
        &ivan,
        "/organization/member_add",
        json!({"organization_id": acme, "member": {"role": "internal_user", "user_id": "pat"}}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(
        &s,
        &olga,
        "/organization/member_add",
        json!({"organization_id": acme, "member": {"role": "internal_user", "user_id": "pat"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, member) = call(
        &s,
        &olga,
        "PATCH",
        "/organization/member_update",
        json!({"organization_id": acme, "user_id": "ivan", "role": "internal_user_viewer", "max_budget_in_organization": 5.0}),
    )
    .await;
    assert_eq!(status, 200, "{member}");
    assert_eq!(
        (member["user_id"].as_str(), member["user_role"].as_str()),
        (Some("ivan"), Some("internal_user_viewer"))
    );
    let budget_id = member["budget_id"].as_str().expect("a budget of its own").to_string();
    let budget = admin(&s, "/budget/info", json!({"budgets": [budget_id]})).await;
    assert_eq!(budget[0]["max_budget"], 5.0);
    let (status, body) = call(
        &s,
        &olga,
        "PATCH",
        "/organization/member_update",
        json!({"organization_id": acme, "user_id": "root", "role": "internal_user"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        error_of(&body).1,
        "Only PROXY_ADMIN may modify the organization role of a user who is a global PROXY_ADMIN."
    );
    let (status, body) = call(
        &s,
        &olga,
        "PATCH",
        "/organization/member_update",
        json!({"organization_id": acme, "user_id": "nobody", "role": "internal_user"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let delete_pat = json!({"organization_id": acme, "user_id": "pat"});
    let (status, body) = call(&s, &ivan, "DELETE", "/organization/member_delete", delete_pat.clone()).await;
    assert_eq!(status, 401, "a viewer member may not remove members: {body}");
    let (status, removed) = call(&s, &olga, "DELETE", "/organization/member_delete", delete_pat.clone()).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["user_id"], "pat");
    assert_eq!(call(&s, &olga, "DELETE", "/organization/member_delete", delete_pat).await.0, 404);
    assert_eq!(get(&s, &pat, "/organization/list").await.0, 401, "pat is in no organization any more");

    // The organization itself: its admin changes it, only a proxy admin deletes it.
    let (status, body) = call(
        &s,
        &olga,
        "PATCH",
        "/organization/update",
        json!({"organization_id": acme, "organization_alias": "acme-2"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organization_alias"], "acme-2");
    let (status, body) =
        call(&s, &olga, "PATCH", "/organization/update", json!({"organization_id": other, "organization_alias": "x"}))
            .await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = call(&s, &olga, "DELETE", "/organization/delete", json!({"organization_ids": [acme]})).await;
    assert_eq!((status, error_of(&body).1), (401, "Only proxy admins can delete organizations"));

    // Teams: made in the organization it administers, with the organization named.
    let (status, body) = post(&s, &olga, "/team/new", json!({"team_alias": "loose"})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        error_of(&body).1,
        format!(
            "Passed organization_id is None, please specify the organization_id in your request. You are part of \
             multiple organizations: ['{acme}']"
        )
    );
    let (status, body) = post(&s, &olga, "/team/new", json!({"team_alias": "x", "organization_id": other})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        error_of(&body).1,
        format!("You do not have the required role to call /team/new. Your role is None in Organization {other}")
    );
    let (status, body) = post(&s, &ivan, "/team/new", json!({"team_alias": "x", "organization_id": acme})).await;
    assert_eq!(status, 401, "{body}");
    let (status, own) = post(&s, &olga, "/team/new", json!({"team_alias": "olgas", "organization_id": acme})).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["members_with_roles"][0]["user_id"], "olga", "the creator joins as the team's admin");

    // Teams of its organization it is no member of: read, changed, blocked, their members, deleted.
    let team = admin(&s, "/team/new", json!({"team_alias": "ops", "organization_id": acme})).await;
    let team_id = team["team_id"].as_str().unwrap().to_string();
    let foreign = admin(&s, "/team/new", json!({"team_alias": "theirs", "organization_id": other})).await;
    let foreign_id = foreign["team_id"].as_str().unwrap().to_string();
    assert_eq!(get(&s, &olga, &format!("/team/info?team_id={team_id}")).await.0, 200);
    assert_eq!(get(&s, &olga, &format!("/team/info?team_id={foreign_id}")).await.0, 403);
    let (_, teams) = get(&s, &olga, "/team/list").await;
    let aliases: Vec<&str> = teams.as_array().unwrap().iter().map(|t| t["team_alias"].as_str().unwrap()).collect();
    assert_eq!(aliases, ["olgas", "ops"], "the teams of its organization, none of another");
    let (status, body) = post(&s, &olga, "/team/update", json!({"team_id": team_id, "team_alias": "ops-2"})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&s, &olga, "/team/update", json!({"team_id": foreign_id, "team_alias": "mine"})).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(&s, &olga, "/team/update", json!({"team_id": team_id, "organization_id": other})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        error_of(&body).1,
        "Relocating a team to a different organization requires PROXY_ADMIN or org-admin of the destination org."
    );
    let (status, body) =
        post(&s, &olga, "/team/member_add", json!({"team_id": team_id, "member": {"role": "user", "user_id": "ivan"}}))
            .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &s,
        &olga,
        "/team/member_add",
        json!({"team_id": foreign_id, "member": {"role": "user", "user_id": "ivan"}}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // The keys of its organization's teams: blocked and unblocked; another organization's not.
    let team_key = admin(&s, "/key/generate", json!({"team_id": team_id})).await["key"].as_str().unwrap().to_string();
    let foreign_key =
        admin(&s, "/key/generate", json!({"team_id": foreign_id})).await["key"].as_str().unwrap().to_string();
    let (status, body) = post(&s, &olga, "/key/block", json!({"key": team_key})).await;
    assert_eq!((status, body["blocked"].as_bool()), (200, Some(true)), "{body}");
    assert_eq!(post(&s, &team_key, "/v1/chat/completions", chat_body("gpt-4o-mini")).await.0, 401, "blocked");
    assert_eq!(post(&s, &olga, "/key/unblock", json!({"key": team_key})).await.0, 200);
    assert_eq!(post(&s, &olga, "/key/block", json!({"key": foreign_key})).await.0, 403);
    assert_eq!(post(&s, &ivan, "/key/block", json!({"key": team_key})).await.0, 403, "not the organization's admin");
    assert_eq!(post(&s, &olga, "/team/block", json!({"team_id": team_id})).await.0, 200);
    assert_eq!(post(&s, &olga, "/team/unblock", json!({"team_id": team_id})).await.0, 200);
    assert_eq!(post(&s, &olga, "/team/block", json!({"team_id": foreign_id})).await.0, 401);
    assert_eq!(post(&s, &olga, "/team/delete", json!({"team_ids": [foreign_id]})).await.0, 401);
    let (status, body) = post(&s, &olga, "/team/delete", json!({"team_ids": [team_id]})).await;
    assert_eq!(status, 200, "{body}");

    // Users: an organization's admin lists its organizations' members.
    let (status, users) = get(&s, &olga, "/user/list").await;
    assert_eq!(status, 200, "{users}");
    let mut ids: Vec<&str> =
        users["users"].as_array().unwrap().iter().map(|u| u["user_id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["ivan", "olga", "root"]);
    let (status, body) = get(&s, &olga, &format!("/user/list?organization_ids={other}")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_of(&body).1, "You do not have org_admin access to the requested organization(s).");
    let (_, all) = get(&s, MASTER_KEY, &format!("/user/list?organization_ids={acme}")).await;
    assert_eq!(all["total"], 3, "{all}");
    assert_eq!(get(&s, &ivan, "/user/list").await.0, 401);

    // Users made by the organization's admin join its organization; other users are not its own.
    let (status, nia) = post(&s, &olga, "/user/new", json!({"user_id": "nia", "organizations": [acme]})).await;
    assert_eq!(status, 200, "{nia}");
    assert_eq!(nia["user_role"], "internal_user");
    let members = |info: &Value| -> Vec<(String, String)> {
        let mut m: Vec<(String, String)> = info["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["user_id"].as_str().unwrap().to_string(), m["user_role"].as_str().unwrap().to_string()))
            .collect();
        m.sort();
        m
    };
    let info = admin_get(&s, &info_path(&acme)).await;
    assert!(members(&info).contains(&("nia".into(), "internal_user".into())), "{info}");
    assert_eq!(post(&s, &olga, "/user/new", json!({"user_id": "x1"})).await.0, 401, "in no organization of its own");
    assert_eq!(post(&s, &olga, "/user/new", json!({"user_id": "x2", "organizations": [other]})).await.0, 401);
    let (status, body) =
        post(&s, &olga, "/user/new", json!({"user_id": "x3", "organizations": [acme], "user_role": "proxy_admin"}))
            .await;
    assert_eq!(status, 403, "{body}");
    assert!(error_of(&body).1.starts_with("Only proxy admins can create administrative users"), "{body}");
    let (status, body) = post(&s, MASTER_KEY, "/user/new", json!({"user_id": "x4", "organizations": ["nope"]})).await;
    assert_eq!((status, error_of(&body).1), (400, "Organization not found for organization_id=nope"));
    assert_eq!(get(&s, MASTER_KEY, "/user/info?user_id=x4").await.0, 404, "no user without its memberships");

    // Its own record, without its role or budget; nobody else's.
    let (status, body) = post(&s, &olga, "/user/update", json!({"user_id": "olga", "user_alias": "Olga"})).await;
    assert_eq!((status, body["user_alias"].as_str()), (200, Some("Olga")), "{body}");
    let (status, body) = post(&s, &olga, "/user/update", json!({"user_id": "olga", "max_budget": 5})).await;
    assert_eq!(
        (status, error_of(&body).1),
        (403, "Non-admin users cannot modify 'max_budget' on their own record. Contact your proxy admin.")
    );
    let (status, body) = post(&s, &olga, "/user/update", json!({"user_id": "olga", "user_role": "proxy_admin"})).await;
    assert_eq!((status, error_of(&body).1), (403, "Only proxy admins can modify user roles."));
    let (status, body) = post(&s, &olga, "/user/update", json!({"user_id": "nia", "user_alias": "N"})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(post(&s, &olga, "/user/update", json!({"user_id": "ghost"})).await.0, 404, "no upsert but by admins");

    // Deleted: users all of whose organizations it administers; their memberships go with them.
    let (status, body) = post(&s, &olga, "/user/delete", json!({"user_ids": ["pat"]})).await;
    assert_eq!(status, 403, "pat is in no organization: {body}");
    assert_eq!(
        error_of(&body).1,
        "User pat is not within your admin scope. Only PROXY_ADMIN may delete users outside your administered \
         organizations."
    );
    let (status, body) = post(&s, &olga, "/user/delete", json!({"user_ids": ["nia"]})).await;
    assert_eq!(status, 200, "{body}");
    let info = admin_get(&s, &info_path(&acme)).await;
    assert!(!members(&info).iter().any(|(u, _)| u == "nia"), "{info}");
    admin(&s, "/user/new", json!({"user_id": "nia"})).await;
    let info = admin_get(&s, &info_path(&acme)).await;
    assert!(!members(&info).iter().any(|(u, _)| u == "nia"), "a user made again with the id is no member");
}
