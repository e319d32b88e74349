//! The store against a real database: a temporary SQLite file, or PostgreSQL when
//! `SWITCHBOARD_TEST_DATABASE_URL` names a server (`make test-postgres`), one schema per test.

use serde_json::json;

use super::*;

/// A database of one test's own.
struct TestDatabase {
    url: String,
    drop_schema: Option<(String, String)>,
    dir: Option<std::path::PathBuf>,
}

impl TestDatabase {
    async fn new() -> TestDatabase {
        TestDatabase::in_schema("sbunit").await
    }

    /// On PostgreSQL, in a schema named `<prefix>_<16 hex digits>`.
    async fn in_schema(prefix: &str) -> TestDatabase {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("SWITCHBOARD_TEST_DATABASE_URL") {
            Ok(server) if server.starts_with("postgres") => {
                let schema = format!("{prefix}_{}", id.get(..16).unwrap_or(&id));
                sqlx::any::install_default_drivers();
                let pool = AnyPool::connect(&server).await.unwrap();
                sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&pool).await.unwrap();
                pool.close().await;
                let sep = if server.contains('?') { '&' } else { '?' };
                TestDatabase {
                    url: format!("{server}{sep}options=-c%20search_path%3D{schema}"),
                    drop_schema: Some((server, schema)),
                    dir: None,
                }
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("switchboard-store-{id}"));
                TestDatabase { url: sqlite_url(&dir.join("db.sqlite")), drop_schema: None, dir: Some(dir) }
            }
        }
    }

    async fn cleanup(self) {
        if let Some((server, schema)) = &self.drop_schema {
            let pool = AnyPool::connect(server).await.unwrap();
            sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&pool).await.unwrap();
            pool.close().await;
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn spend_insert_placeholders_per_database() {
    let sqlite = spend_insert_sql(DbKind::Sqlite, 2);
    assert_eq!(sqlite.matches('?').count(), 2 * SPEND_LOG_COLUMNS);
    assert!(!sqlite.contains('$'));
    let pg = spend_insert_sql(DbKind::Postgres, 2);
    assert!(pg.contains("($1, $2,") && pg.contains("$46)"), "{pg}");
    assert!(pg.ends_with("ON CONFLICT (request_id) DO NOTHING"), "{pg}");
}

fn key(token: &str, alias: Option<&str>, created_at: &str) -> KeyRecord {
    KeyRecord {
        token: token.into(),
        key_name: "sk-...abcd".into(),
        key_alias: alias.map(str::to_string),
        created_at: created_at.into(),
        updated_at: created_at.into(),
        ..Default::default()
    }
}

fn row(call_id: &str, key: &str, spend: f64) -> SpendLog {
    let mut metadata = serde_json::Map::new();
    metadata.insert("litellm_call_id".into(), json!(call_id));
    SpendLog {
        request_id: call_id.into(),
        call_type: "acompletion".into(),
        api_key: key.into(),
        team_id: Some("team-1".into()),
        model: "openai/gpt-4o-mini".into(),
        model_id: "m".into(),
        model_group: "gpt".into(),
        custom_llm_provider: "openai".into(),
        spend,
        prompt_tokens: 1,
        completion_tokens: 1,
        total_tokens: 2,
        start_time: "2026-12-01T00:00:00.000Z".into(),
        end_time: "2026-12-01T00:00:01.000Z".into(),
        status: "success".into(),
        metadata,
        ..Default::default()
    }
}

/// A database made by the previous version (migrations 1 and 2), with rows filed under the
/// upstream's ids and two keys sharing an alias, migrates without losing anything.
#[tokio::test]
async fn migration_from_the_previous_schema_keeps_every_row() {
    let db = TestDatabase::new().await;
    let old = Store::open(&db.url).await.unwrap();
    old.migrate(2).await.unwrap();
    old.commit(&[
        Write::Key(&key("t-old", Some("shared"), "2026-01-01T00:00:00.000Z")),
        Write::Key(&key("t-new", Some("shared"), "2026-02-01T00:00:00.000Z")),
        Write::Key(&key("t-solo", Some("solo"), "2026-02-01T00:00:00.000Z")),
        Write::Key(&key("t-none", None, "2026-02-01T00:00:00.000Z")),
    ])
    .await
    .unwrap();
    // The previous writer: rows keyed by the upstream's id, the call id in the metadata; a
    // refused call keyed by its own uuid, with no call id.
    for (id, call) in [("chatcmpl-1", Some("call-1")), ("chatcmpl-2", Some("call-2")), ("refused-3", None)] {
        let mut metadata = serde_json::Map::new();
        if let Some(call) = call {
            metadata.insert("litellm_call_id".into(), json!(call));
        }
        let sql = "INSERT INTO spend_logs (request_id, call_type, api_key, model, model_id, model_group, \
                   custom_llm_provider, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time, \
                   request_duration_ms, status, metadata) VALUES ($1, 'acompletion', 't-old', 'm', 'm', 'g', 'openai', \
                   0.5, 1, 1, 2, '2026-12-01T00:00:00Z', '2026-12-01T00:00:01Z', 10, 'success', $2)";
        sqlx::query(sql).bind(id).bind(serde_json::to_string(&metadata).unwrap()).execute(&old.pool).await.unwrap();
    }
    old.close().await;

    let store = Store::connect(&db.url).await.unwrap();
    let rows = store.spend_logs(&SpendFilter { limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(rows.len(), 3, "no row lost");
    let by_call = |call: &str| rows.iter().find(|r| r.request_id == call).cloned();
    assert_eq!(by_call("call-1").unwrap().response_id.as_deref(), Some("chatcmpl-1"));
    assert_eq!(by_call("call-2").unwrap().response_id.as_deref(), Some("chatcmpl-2"));
    assert_eq!(by_call("refused-3").unwrap().response_id, None);
    // A lookup by the upstream's id still finds the row.
    let found =
        store.spend_logs(&SpendFilter { request_id: Some("chatcmpl-2".into()), limit: 10, ..Default::default() }).await;
    assert_eq!(found.unwrap().first().map(|r| r.request_id.clone()).as_deref(), Some("call-2"));
    // The daily table starts with the rows already in the log.
    let stats = store.stats("2026-12-01T00:00:00.000Z").await.unwrap();
    assert_eq!((stats.requests_total, stats.spend_total, stats.requests_today), (3, 1.5, 3));

    let snapshot = store.load().await.unwrap();
    assert_eq!(snapshot.keys.len(), 4, "no key lost");
    let alias = |t: &str| snapshot.keys.iter().find(|k| k.token == t).and_then(|k| k.key_alias.clone());
    assert_eq!(alias("t-old").as_deref(), Some("shared"), "the oldest keeps its alias");
    assert_eq!(alias("t-new").as_deref(), Some("shared-t-new"), "the document was renamed with the column");
    assert_eq!(alias("t-solo").as_deref(), Some("solo"));
    assert_eq!(alias("t-none"), None);
    // From now on the database refuses a second key with an alias.
    let err = store.commit(&[Write::Key(&key("t-x", Some("solo"), "2026-03-01T00:00:00.000Z"))]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    store.close().await;
    db.cleanup().await;
}

/// Team memberships: the migration makes a row for each member of the teams there are; a team
/// write makes rows for members who joined and drops those of members who left; spend is added
/// to members' rows only, and a deleted team takes its rows along.
#[tokio::test]
async fn team_memberships_follow_the_members_and_take_their_spend() {
    let db = TestDatabase::new().await;
    let old = Store::open(&db.url).await.unwrap();
    old.migrate(9).await.unwrap();
    let member = |user: &str| Member { role: "user".into(), user_id: Some(user.into()), ..Default::default() };
    let mut team = TeamRecord {
        team_id: "t".into(),
        members_with_roles: vec![member("ann"), member("bob"), Member { role: "user".into(), ..Default::default() }],
        created_at: "x".into(),
        updated_at: "x".into(),
        ..Default::default()
    };
    // As the previous version wrote a team (its writes know no memberships).
    sqlx::query("INSERT INTO teams (team_id, spend, data, created_at, updated_at) VALUES ('t', 0, $1, 'x', 'x')")
        .bind(serde_json::to_string(&team).unwrap())
        .execute(&old.pool)
        .await
        .unwrap();
    old.close().await;

    let store = Store::connect(&db.url).await.unwrap();
    let spent = |snapshot: &Snapshot, user: &str| snapshot.team_member_spend.get(&team_member_id("t", user)).copied();
    let snapshot = store.load().await.unwrap();
    assert_eq!((spent(&snapshot, "ann"), spent(&snapshot, "bob")), (Some(0.0), Some(0.0)), "made by the migration");
    assert_eq!(snapshot.team_member_spend.len(), 2, "{:?}", snapshot.team_member_spend);

    let call = |id: &str, user: &str, spend: f64| SpendLog {
        team_id: Some("t".into()),
        user: Some(user.into()),
        ..row(id, "k", spend)
    };
    let rows = [call("c1", "ann", 1.0), call("c2", "cy", 2.0)];
    store.write_spend(&rows.iter().collect::<Vec<_>>(), &Totals::default(), false).await.unwrap();
    let snapshot = store.load().await.unwrap();
    assert_eq!(spent(&snapshot, "ann"), Some(1.0));
    assert_eq!(spent(&snapshot, "cy"), None, "not a member: no membership charged");

    team.members_with_roles = vec![member("bob"), member("cy")];
    store.commit(&[Write::Team(&team)]).await.unwrap();
    let snapshot = store.load().await.unwrap();
    assert_eq!((spent(&snapshot, "ann"), spent(&snapshot, "cy")), (None, Some(0.0)), "ann left, cy joined");
    let late = [call("c3", "ann", 4.0)];
    store.write_spend(&late.iter().collect::<Vec<_>>(), &Totals::default(), false).await.unwrap();
    assert_eq!(spent(&store.load().await.unwrap(), "ann"), None, "a call that ended after ann left");

    store.commit(&[Write::Delete(Entity::Team, "t")]).await.unwrap();
    assert!(store.load().await.unwrap().team_member_spend.is_empty());
    store.close().await;
    db.cleanup().await;
}

/// Every write of one change lands, or none does.
/// A schema whose name makes the change channel longer than PostgreSQL takes still commits
/// (the channel is then named by the schema's hash).
#[tokio::test]
async fn a_long_schema_name_commits() {
    let db = TestDatabase::in_schema("a_schema_whose_name_is_long_enough_to_pass_the_limit").await;
    let store = Store::connect(&db.url).await.unwrap();
    store.commit(&[Write::Key(&key("k", Some("long"), "2026-01-01T00:00:00.000Z"))]).await.unwrap();
    assert_eq!(store.load().await.unwrap().keys.len(), 1);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_commit_is_all_or_nothing() {
    let db = TestDatabase::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    store.commit(&[Write::Key(&key("a", Some("taken"), "2026-01-01T00:00:00.000Z"))]).await.unwrap();
    let team = TeamRecord { team_id: "t".into(), created_at: "x".into(), updated_at: "x".into(), ..Default::default() };
    let err = store
        .commit(&[
            Write::Team(&team),
            Write::Delete(Entity::Key, "a"),
            Write::Key(&key("b", Some("free"), "2026-01-01T00:00:00.000Z")),
            Write::Key(&key("c", Some("free"), "2026-01-01T00:00:00.000Z")),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let snapshot = store.load().await.unwrap();
    assert!(snapshot.teams.is_empty(), "the team of the failed change was not written");
    assert_eq!(snapshot.keys.iter().map(|k| k.token.as_str()).collect::<Vec<_>>(), ["a"], "nor was the delete");
    store.close().await;
    db.cleanup().await;
}

/// The audit rows of a change are part of it: a refused change leaves none, and a committed one
/// one per record it touched, with the row as it was read inside the transaction.
#[tokio::test]
async fn audit_rows_commit_with_their_change() {
    let db = TestDatabase::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    let admin = audit::Actor { changed_by: "ops".into(), changed_by_api_key: "hash-of-ops".into() };
    store
        .commit_audited(&[Write::Key(&key("a", Some("taken"), "2026-01-01T00:00:00.000Z"))], &admin, None)
        .await
        .unwrap();
    let (b, c) =
        (key("b", Some("free"), "2026-01-01T00:00:00.000Z"), key("c", Some("free"), "2026-01-01T00:00:00.000Z"));
    let refused = [Write::Delete(Entity::Key, "a"), Write::Key(&b), Write::Key(&c)];
    let err = store.commit_audited(&refused, &admin, Some("rotated")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let all = audit::AuditFilter::default();
    let (entries, total) = store.audit_entries(&all, 1, 10).await.unwrap();
    assert_eq!(total, 1, "only the key that was made: {entries:?}");
    assert_eq!((entries[0].action.as_str(), entries[0].object_id.as_str()), ("created", "a"));

    let mut changed = key("a", Some("renamed"), "2026-01-01T00:00:00.000Z");
    changed.blocked = true;
    let team = TeamRecord { team_id: "t".into(), created_at: "x".into(), updated_at: "x".into(), ..Default::default() };
    // The named action is the first write's kind's; the team written along is `created`.
    store.commit_audited(&[Write::Key(&changed), Write::Team(&team)], &admin, Some("blocked")).await.unwrap();
    store.commit_audited(&[Write::Delete(Entity::Key, "nothing-here")], &admin, None).await.unwrap();
    // Store upkeep is not audited.
    store.commit(&[Write::Delete(Entity::Team, "t")]).await.unwrap();
    let (entries, total) = store.audit_entries(&all, 1, 10).await.unwrap();
    assert_eq!(total, 3, "a delete of nothing is no change: {entries:?}");
    let (team_row, key_row) = (&entries[0], &entries[1]);
    assert_eq!((team_row.action.as_str(), team_row.table_name.as_str()), ("created", "LiteLLM_TeamTable"));
    assert_eq!((key_row.action.as_str(), key_row.changed_by.as_str()), ("blocked", "ops"));
    assert_eq!(key_row.changed_by_api_key, "hash-of-ops");
    let before = key_row.before_value.as_ref().unwrap();
    let after = key_row.updated_values.as_ref().unwrap();
    assert_eq!((&before["key_alias"], &after["key_alias"]), (&json!("taken"), &json!("renamed")));
    assert!(before.get("spend").is_none(), "spend is the writer's, not an admin change");
    assert_eq!(store.audit_entry(&key_row.id).await.unwrap().unwrap().id, key_row.id);
    assert!(store.audit_entry("missing").await.unwrap().is_none());
    store.close().await;
    db.cleanup().await;
}

/// A batch written twice (its commit was not acknowledged) counts each call once.
#[tokio::test]
async fn a_retried_batch_counts_each_call_once() {
    let db = TestDatabase::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    store.commit(&[Write::Key(&key("k", None, "2026-01-01T00:00:00.000Z"))]).await.unwrap();
    let rows = [row("c1", "k", 1.0), row("c2", "k", 2.0)];
    let refs: Vec<&SpendLog> = rows.iter().collect();
    assert_eq!(store.write_spend(&refs, &Totals::default(), false).await.unwrap(), 2);
    // The same batch again, as the writer retries it after a failure it could not tell apart
    // from a commit whose answer was lost: nothing counts twice.
    assert_eq!(store.write_spend(&refs, &Totals::default(), true).await.unwrap(), 0);
    let with_new = [row("c2", "k", 2.0), row("c3", "k", 0.5)];
    let refs: Vec<&SpendLog> = with_new.iter().collect();
    assert_eq!(store.write_spend(&refs, &Totals::default(), true).await.unwrap(), 1);
    let snapshot = store.load().await.unwrap();
    assert_eq!(snapshot.keys[0].spend, 3.5);
    // Carried totals (of rows that could not be kept) are added as they are.
    let mut carried = Totals::default();
    carried.add(&row("c4", "k", 4.0));
    store.write_spend(&[], &carried, false).await.unwrap();
    assert_eq!(store.load().await.unwrap().keys[0].spend, 7.5);
    store.close().await;
    db.cleanup().await;
}

/// The daily tables the charts read add up what the log has (per day, key, team, customer and
/// model; per day, model and team), however the rows came in batches; a retried batch adds
/// nothing twice.
#[tokio::test]
async fn the_daily_tables_add_up_the_log() {
    let db = TestDatabase::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    let at = |r: SpendLog, day: &str, status: &str, end_user: Option<&str>| SpendLog {
        start_time: format!("{day}T10:00:00.000Z"),
        status: status.into(),
        end_user: end_user.map(str::to_string),
        key_alias: Some(format!("alias-{}", r.api_key)),
        ..r
    };
    let first = [
        at(row("c1", "k1", 1.0), "2026-12-01", "success", None),
        at(row("c2", "k1", 2.0), "2026-12-01", "failure", Some("acme")),
        at(row("c3", "k2", 4.0), "2026-12-02", "success", None),
    ];
    let second = [
        at(row("c4", "k1", 8.0), "2026-12-01", "success", None),
        at(SpendLog { team_id: None, ..row("c5", "k2", 16.0) }, "2026-12-02", "success", None),
    ];
    for batch in [&first[..], &second[..]] {
        let refs: Vec<&SpendLog> = batch.iter().collect();
        store.write_spend(&refs, &Totals::default(), false).await.unwrap();
    }
    let refs: Vec<&SpendLog> = second.iter().collect();
    assert_eq!(store.write_spend(&refs, &Totals::default(), true).await.unwrap(), 0, "a retry");

    let by_key: Vec<(Option<String>, f64, u64)> = store
        .spend_by(SpendGroup::Key, None)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.group, t.spend, t.requests))
        .collect();
    assert_eq!(by_key, [(Some("k2".into()), 20.0, 2), (Some("k1".into()), 11.0, 3)]);
    let top: Vec<(Option<String>, Option<String>, f64, u64)> =
        store.top_keys(1).await.unwrap().into_iter().map(|t| (t.group, t.alias, t.spend, t.tokens)).collect();
    assert_eq!(top, [(Some("k2".into()), Some("alias-k2".into()), 20.0, 4)]);
    let by_team: Vec<(Option<String>, f64)> =
        store.spend_by(SpendGroup::Team, None).await.unwrap().into_iter().map(|t| (t.group, t.spend)).collect();
    assert_eq!(by_team, [(None, 16.0), (Some("team-1".into()), 15.0)], "a row without a team is under none");
    let days = store.spend_by(SpendGroup::Day, Some("2026-12-02T00:00:00.000Z")).await.unwrap();
    assert_eq!(days.iter().map(|d| (d.group.as_deref(), d.spend)).collect::<Vec<_>>(), [(Some("2026-12-02"), 20.0)]);
    let stats = store.stats("2026-12-01T00:00:00.000Z").await.unwrap();
    assert_eq!((stats.requests_today, stats.errors_today, stats.spend_today), (5, 1, 31.0));
    let daily = store.spend_daily(SpendGroup::Key, "2026-12-01T00:00:00.000Z").await.unwrap();
    let daily: Vec<String> =
        daily.iter().map(|d| format!("{} {:?} {:?} {} {}", d.date, d.group, d.label, d.spend, d.tokens)).collect();
    assert_eq!(
        daily,
        [r#"2026-12-01 Some("k1") Some("alias-k1") 11 6"#, r#"2026-12-02 Some("k2") Some("alias-k2") 20 4"#]
    );
    let report = store.spend_report("2026-12-01", "2026-12-02", None, None).await.unwrap();
    let report: Vec<(Option<&str>, f64)> = report.iter().map(|r| (r.end_user.as_deref(), r.spend)).collect();
    assert_eq!(report, [(None, 9.0), (Some("acme"), 2.0)], "one day, the customer apart");
    store.close().await;
    db.cleanup().await;
}

/// Two replicas' writers flushing batches that charge the same keys at the same moment both
/// commit: they take the daily rows' locks in the same order, so one waits for the other. (In
/// an order of their own, each would hold rows the other needs: PostgreSQL breaks the deadlock
/// after a second by failing one batch: with the upserts in hash order this test saw "deadlock
/// detected" in its first round.) A third transaction holds one of the rows, so that both
/// batches are halfway through their upserts when it lets go. PostgreSQL only: SQLite has one
/// writer at a time.
#[tokio::test]
async fn two_writers_charging_the_same_keys_both_commit() {
    let db = TestDatabase::new().await;
    if db.drop_schema.is_none() {
        return db.cleanup().await;
    }
    let (a, b) = (Store::connect(&db.url).await.unwrap(), Store::connect(&db.url).await.unwrap());
    let tokens: Vec<String> = (0..30).map(|n| format!("k{n:02}")).collect();
    let keys: Vec<KeyRecord> = tokens.iter().map(|t| key(t, None, "2026-01-01T00:00:00.000Z")).collect();
    a.commit(&keys.iter().map(Write::Key).collect::<Vec<_>>()).await.unwrap();
    let batch = |prefix: &str, round: usize| -> Vec<SpendLog> {
        tokens.iter().map(|t| row(&format!("{prefix}-{round}-{t}"), t, 1.0)).collect()
    };
    let none = Totals::default();
    let first = batch("seed", 0);
    a.write_spend(&first.iter().collect::<Vec<_>>(), &none, false).await.unwrap();
    let a = std::sync::Arc::new(a);
    let b = std::sync::Arc::new(b);
    let rounds: u32 = 8;
    for round in 0..rounds as usize {
        let holder = AnyPool::connect(&db.url).await.unwrap();
        let mut held = holder.begin().await.unwrap();
        sqlx::query("SELECT spend FROM spend_daily WHERE api_key = 'k15' FOR UPDATE")
            .execute(&mut *held)
            .await
            .unwrap();
        let write = |store: std::sync::Arc<Store>, prefix: &'static str| {
            let rows = batch(prefix, round);
            tokio::spawn(
                async move { store.write_spend(&rows.iter().collect::<Vec<_>>(), &Totals::default(), false).await },
            )
        };
        let (wa, wb) = (write(a.clone(), "a"), write(b.clone(), "b"));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        held.commit().await.unwrap();
        let (ra, rb) = (wa.await.unwrap(), wb.await.unwrap());
        assert_eq!((ra.unwrap(), rb.unwrap()), (30, 30), "round {round}");
        holder.close().await;
    }
    let by_key = a.spend_by(SpendGroup::Key, None).await.unwrap();
    let want = f64::from(1 + 2 * rounds);
    assert!(by_key.len() == 30 && by_key.iter().all(|t| t.spend == want), "{by_key:?}");
    assert!(a.load().await.unwrap().keys.iter().all(|k| k.spend == want));
    a.close().await;
    b.close().await;
    db.cleanup().await;
}

/// Setting spend patches the reset time in the document and leaves the rest of the record.
#[tokio::test]
async fn set_spend_touches_only_spend_and_the_reset_time() {
    let db = TestDatabase::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    let mut k = key("k", Some("keep-me"), "2026-01-01T00:00:00.000Z");
    k.limits.budget_reset_at = Some("2026-01-02T00:00:00.000Z".into());
    // The largest float: PostgreSQL's `jsonb` would write it back as 309 digits that no JSON
    // reader turns into a float again.
    k.limits.max_budget = Some(f64::MAX);
    store.commit(&[Write::Key(&k)]).await.unwrap();
    store.write_spend(&[&row("c1", "k", 5.0)], &Totals::default(), false).await.unwrap();
    store.set_spend(Entity::Key, "k", 0.0, Some("2026-02-01T00:00:00.000Z")).await.unwrap();
    let loaded = store.load().await.unwrap().keys.remove(0);
    assert_eq!(loaded.spend, 0.0);
    assert_eq!(loaded.limits.budget_reset_at.as_deref(), Some("2026-02-01T00:00:00.000Z"));
    assert_eq!(loaded.key_alias.as_deref(), Some("keep-me"));
    assert_eq!(loaded.limits.max_budget, Some(f64::MAX));
    store.set_spend(Entity::Key, "k", 1.5, None).await.unwrap();
    let loaded = store.load().await.unwrap().keys.remove(0);
    assert_eq!((loaded.spend, loaded.limits.budget_reset_at), (1.5, None));
    store.close().await;
    db.cleanup().await;
}

/// Stored Responses API responses: written, read back, replaced, deleted.
#[tokio::test]
async fn responses_are_kept_and_deleted() {
    let db = TestDatabase::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    let mut record = responses::ResponseRecord {
        response_id: "resp_1".into(),
        api_key: "hash-1".into(),
        team_id: Some("team-1".into()),
        model: "gpt".into(),
        created_at: "2026-12-01T00:00:00.000Z".into(),
        document: json!({"response": {"id": "resp_1"}}).to_string(),
    };
    store.put_response(&record).await.unwrap();
    assert_eq!(store.response("resp_1").await.unwrap(), Some(record.clone()));
    record.document = json!({"response": {"id": "resp_1", "again": true}}).to_string();
    store.put_response(&record).await.unwrap();
    assert_eq!(store.response("resp_1").await.unwrap(), Some(record));
    assert_eq!(store.response("resp_2").await.unwrap(), None);
    assert!(store.delete_response("resp_1").await.unwrap());
    assert!(!store.delete_response("resp_1").await.unwrap());
    assert_eq!(store.response("resp_1").await.unwrap(), None);
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn harness_turns_are_recorded_then_their_outcome() {
    let db = TestDatabase::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    let turn = |n: u32, session: &str| agentcore::TurnRecord {
        turn_id: format!("turn-{n}"),
        harness_id: "h-1".into(),
        harness_arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/h-1".into(),
        region: "us-east-1".into(),
        session_id: session.into(),
        trace_id: format!("{n:032x}"),
        key_token: Some("hash-1".into()),
        message: format!("message {n}"),
        started_at: format!("2026-12-06T10:00:0{n}.000Z"),
        ended_at: None,
        status: "running".into(),
        error: None,
        input_tokens: 0,
        output_tokens: 0,
    };
    for (n, session) in [(1, "s-a"), (2, "s-b"), (3, "s-a")] {
        store.put_turn(&turn(n, session)).await.unwrap();
    }
    let ended = agentcore::TurnRecord {
        ended_at: Some("2026-12-06T10:00:09.000Z".into()),
        status: "done".into(),
        input_tokens: 12,
        output_tokens: 7,
        // What a turn is cannot change once recorded.
        message: "changed".into(),
        ..turn(1, "s-a")
    };
    store.put_turn(&ended).await.unwrap();
    let all = store.harness_turns("h-1", None, 10).await.unwrap();
    assert_eq!(all.iter().map(|t| t.turn_id.as_str()).collect::<Vec<_>>(), ["turn-1", "turn-2", "turn-3"]);
    assert_eq!(all[0], agentcore::TurnRecord { message: "message 1".into(), ..ended });
    let latest = store.harness_turns("h-1", None, 2).await.unwrap();
    assert_eq!(
        latest.iter().map(|t| t.turn_id.as_str()).collect::<Vec<_>>(),
        ["turn-2", "turn-3"],
        "the latest, oldest first"
    );
    let session = store.harness_turns("h-1", Some("s-a"), 10).await.unwrap();
    assert_eq!(session.iter().map(|t| t.turn_id.as_str()).collect::<Vec<_>>(), ["turn-1", "turn-3"]);
    assert!(store.harness_turns("h-2", None, 10).await.unwrap().is_empty());
    store.close().await;
    db.cleanup().await;
}
