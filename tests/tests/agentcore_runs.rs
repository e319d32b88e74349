//! A harness run beside the gateway's request log: the playground's turns carry the gateway calls
//! the harness made for them (live, as each ends), and past sessions are shown turn by turn with
//! their totals. Calls are matched by the turn's trace, or by the harness's key and the turn's
//! time window when the harness drops the trace; another run's calls with the same key are not.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_tests::agentcore::{AgentCoreStack, ROLE};

async fn wired(a: &AgentCoreStack) -> (String, String) {
    let (status, wired) = a
        .post(
            "/agentcore/wire",
            json!({"harness_name": "run_harness", "execution_role_arn": ROLE, "model": "claude-haiku", "force": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(wired["ok"], true, "{wired:#}");
    let id = wired["harness"]["harness_id"].as_str().unwrap().to_string();
    (id, wired["key"]["token"].as_str().unwrap().to_string())
}

async fn turn(a: &AgentCoreStack, id: &str, body: Value) -> Vec<Value> {
    let (status, events) = a.sse(&format!("/agentcore/harnesses/{id}/invoke"), body).await;
    assert_eq!(status, 200, "{events:?}");
    events
}

fn calls_in(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["type"] == "gateway_call").map(|e| &e["call"]).collect()
}

/// The session view once every call of its turns is in the request log.
async fn session_view(a: &AgentCoreStack, id: &str, session: &str, calls: u64) -> Value {
    let mut view = Value::Null;
    for _ in 0..200 {
        let (status, v) = a.get(&format!("/agentcore/harnesses/{id}/sessions/{session}")).await;
        assert_eq!(status, 200, "{v}");
        view = v;
        if view["totals"]["calls"] == calls {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    view
}

#[tokio::test]
async fn a_turn_shows_the_gateway_calls_its_harness_made_and_sessions_add_them_up() {
    let a = AgentCoreStack::start().await;
    let (id, harness_key) = wired(&a).await;

    // A turn: the harness's model call comes back as a gateway_call event, matched by the trace.
    let events = turn(&a, &id, json!({"message": "Hello"})).await;
    let head = &events[0];
    assert_eq!(head["type"], "session");
    let session = head["session_id"].as_str().unwrap().to_string();
    let trace = head["trace_id"].as_str().unwrap().to_string();
    assert_eq!(trace.len(), 32);
    assert_eq!(head["key_token"], harness_key.as_str());
    assert_eq!(events.last().unwrap()["type"], "done");
    let calls = calls_in(&events);
    assert_eq!(calls.len(), 1, "{events:#?}");
    assert_eq!(calls[0]["model_group"], "claude-haiku");
    assert_eq!(calls[0]["key_alias"], "agentcore-harness-key");
    assert_eq!(calls[0]["matched_by"], "trace");
    assert_eq!(calls[0]["status"], "success");
    assert!(calls[0]["prompt_tokens"].as_u64().unwrap() > 0);

    // A second turn with a tool: two model calls, both in this turn.
    let events =
        turn(&a, &id, json!({"message": "What time is it in Paris? Use the tool.", "session_id": session})).await;
    let calls = calls_in(&events);
    assert_eq!(calls.len(), 2, "{events:#?}");
    assert!(calls.iter().all(|c| c["matched_by"] == "trace"));

    // The harness's key used by someone else meanwhile (another trace) and after the turns
    // (no trace): neither call is this session's.
    let clear = a.fake.provider_api_key("litellm-proxy").unwrap();
    for traceparent in [Some("00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01"), None] {
        let mut r =
            a.s.http
                .post(a.s.url("/v1/chat/completions"))
                .bearer_auth(&clear)
                .json(&json!({"model": "claude-haiku", "messages": [{"role": "user", "content": "elsewhere"}]}));
        if let Some(t) = traceparent {
            r = r.header("traceparent", t);
        }
        assert_eq!(r.send().await.unwrap().status(), 200);
    }

    // The session, turn by turn, from the request log.
    let view = session_view(&a, &id, &session, 3).await;
    assert_eq!(view["session_id"], session.as_str());
    let turns = view["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2, "{view:#}");
    assert_eq!(turns[0]["message"], "Hello");
    assert_eq!(turns[0]["status"], "done");
    assert_eq!(turns[0]["trace_id"], trace.as_str());
    assert_eq!(turns[0]["calls"].as_array().unwrap().len(), 1, "{view:#}");
    assert_eq!(turns[1]["calls"].as_array().unwrap().len(), 2, "{view:#}");
    assert!(turns[0]["input_tokens"].as_i64().unwrap() > 0, "the harness's own usage report");
    let (_, logs) = a.get(&format!("/spend/logs?api_key={harness_key}")).await;
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 5, "three turn calls and two others: {logs:#?}");
    let in_turns: Vec<&str> =
        turns.iter().flat_map(|t| t["calls"].as_array().unwrap()).map(|c| c["request_id"].as_str().unwrap()).collect();
    let prompt: u64 = logs
        .iter()
        .filter(|r| in_turns.contains(&r["request_id"].as_str().unwrap()))
        .map(|r| r["prompt_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(view["totals"]["prompt_tokens"], prompt);
    assert!(!logs.iter().any(|r| {
        r["metadata"]["trace_id"] == "ffffffffffffffffffffffffffffffff"
            && in_turns.contains(&r["request_id"].as_str().unwrap())
    }));

    // The session list: this session with its totals; a new session is listed first.
    let events = turn(&a, &id, json!({"message": "A new session"})).await;
    assert_eq!(calls_in(&events).len(), 1);
    let (status, list) = a.get(&format!("/agentcore/harnesses/{id}/sessions")).await;
    assert_eq!(status, 200, "{list}");
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["first_message"], "A new session");
    assert_eq!(sessions[1]["session_id"], session.as_str());
    assert_eq!(sessions[1]["turns"], 2);
    assert_eq!(sessions[1]["first_message"], "Hello");
    assert_eq!(sessions[1]["totals"]["calls"], 3);

    let (status, missing) =
        a.get(&format!("/agentcore/harnesses/{id}/sessions/switchboard-no-such-session-0123456789")).await;
    assert_eq!(status, 404, "{missing}");
}

#[tokio::test]
async fn a_harness_that_drops_the_trace_is_matched_by_its_key_and_the_turn_window() {
    let a = AgentCoreStack::start().await;
    let (id, _) = wired(&a).await;
    a.fake.drop_traces(true);
    let events = turn(&a, &id, json!({"message": "No trace here"})).await;
    let calls = calls_in(&events);
    assert_eq!(calls.len(), 1, "{events:#?}");
    assert_eq!(calls[0]["matched_by"], "key_and_time");
    let session = events[0]["session_id"].as_str().unwrap();
    let view = session_view(&a, &id, session, 1).await;
    assert_eq!(view["turns"][0]["calls"][0]["matched_by"], "key_and_time", "{view:#}");

    // A failed turn is recorded as such (the blocked key's call never reached a model), and the
    // first turn's call is not counted twice although the windows meet.
    let (status, _) = a.post("/key/block", json!({"key": view["turns"][0]["key_token"]})).await;
    assert_eq!(status, 200);
    let events = turn(&a, &id, json!({"message": "Blocked", "session_id": session})).await;
    assert_eq!(events.last().unwrap()["type"], "error", "{events:#?}");
    let view = session_view(&a, &id, session, 1).await;
    assert_eq!(view["turns"][1]["status"], "error", "{view:#}");
    assert!(view["turns"][1]["error"].as_str().unwrap().contains("Litellm_proxyException"), "{view:#}");
    assert_eq!(view["turns"][1]["calls"], json!([]), "{view:#}");
    assert_eq!(view["totals"]["calls"], 1, "{view:#}");
}
