//! Harness runs beside the gateway's request log. Each playground turn is recorded (its session,
//! the trace it was sent in, the key the harness calls this gateway with, its time window), and a
//! turn's gateway calls are the request log's rows under that key in the turn's trace — or, from a
//! harness that does not carry the trace on, in the turn's time window.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::manage::Env;
use crate::admin::AdminError;
use crate::store::SpendFilter;
use crate::store::agentcore::TurnRecord;
use crate::store::records::SpendLog;

/// Turns read at most for a harness's session list.
const SESSION_LIST_TURNS: usize = 500;
/// Request-log rows read at most per key for one view.
const ROWS_PER_KEY: usize = 10_000;
/// Clock slack around a turn's window: the harness's calls start after the turn did, but the
/// request log's clock and the turn's are read at different moments.
const SLACK_MS: i64 = 1_000;

/// How a gateway call was matched to a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The call carried the turn's trace (`traceparent`).
    Trace,
    /// The call came with the harness's key during the turn, without a trace.
    KeyAndTime,
}

/// A gateway call a harness made during a turn.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TurnCall {
    pub request_id: String,
    pub model_group: String,
    pub key_alias: Option<String>,
    /// SHA-256 hex of the key.
    pub api_key: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub spend: f64,
    pub duration_ms: u64,
    /// `success` or `failure`.
    pub status: String,
    pub start_time: String,
    pub end_time: String,
    pub matched_by: MatchedBy,
}

/// What a set of gateway calls adds up to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct CallTotals {
    pub calls: u64,
    pub failed: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub spend: f64,
}

impl CallTotals {
    fn add(&mut self, call: &TurnCall) {
        self.calls += 1;
        self.failed += u64::from(call.status != "success");
        self.prompt_tokens += call.prompt_tokens;
        self.completion_tokens += call.completion_tokens;
        self.spend += call.spend;
    }

    fn merge(&mut self, other: &CallTotals) {
        self.calls += other.calls;
        self.failed += other.failed;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.spend += other.spend;
    }
}

/// A turn and the gateway calls the harness made for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TurnView {
    #[serde(flatten)]
    pub turn: TurnRecord,
    pub calls: Vec<TurnCall>,
    pub totals: CallTotals,
}

/// One session of a harness, turn by turn.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub harness_id: String,
    pub session_id: String,
    pub turns: Vec<TurnView>,
    /// The harness's own usage report, over the turns.
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// The gateway calls of every turn.
    pub totals: CallTotals,
}

/// A past session, in a harness's session list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionSummary {
    pub session_id: String,
    /// The session's first message.
    pub first_message: String,
    pub turns: u64,
    /// Turns that ended in an error.
    pub failed_turns: u64,
    pub started_at: String,
    pub last_at: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub totals: CallTotals,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionList {
    pub harness_id: String,
    /// Newest first.
    pub sessions: Vec<SessionSummary>,
}

/// Whether a request-log row is one of a turn's gateway calls, and how it is known.
pub fn matched(turn: &TurnRecord, row: &SpendLog, now: DateTime<Utc>) -> Option<MatchedBy> {
    if turn.key_token.as_deref() != Some(row.api_key.as_str()) {
        return None;
    }
    match row.metadata.get("trace_id").and_then(|t| t.as_str()) {
        Some(trace) if trace == turn.trace_id => return Some(MatchedBy::Trace),
        // Another run's call, with the same key.
        Some(_) => return None,
        None => {}
    }
    let (start, end) = window(turn, now)?;
    let at = crate::time::parse_time(&row.start_time)?;
    (start <= at && at <= end).then_some(MatchedBy::KeyAndTime)
}

fn window(turn: &TurnRecord, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let slack = Duration::milliseconds(SLACK_MS);
    let start = crate::time::parse_time(&turn.started_at)? - slack;
    let end = turn.ended_at.as_deref().and_then(crate::time::parse_time).unwrap_or(now) + slack;
    Some((start, end))
}

pub fn call_of(row: &SpendLog, matched_by: MatchedBy) -> TurnCall {
    TurnCall {
        request_id: row.request_id.clone(),
        model_group: row.model_group.clone(),
        key_alias: row.key_alias.clone(),
        api_key: row.api_key.clone(),
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
        spend: row.spend,
        duration_ms: row.request_duration_ms,
        status: row.status.clone(),
        start_time: row.start_time.clone(),
        end_time: row.end_time.clone(),
        matched_by,
    }
}

/// Each turn's gateway calls among request-log rows. A row with a trace goes to the turn of that
/// trace. A row without one goes to the turn of its key whose window holds it (the nearest, when
/// windows meet within the clock slack) — unless that turn's harness is seen to carry its trace
/// on, in which case the untraced row is someone else's.
pub fn assign(turns: &[TurnRecord], rows: &[SpendLog], now: DateTime<Utc>) -> Vec<Vec<TurnCall>> {
    let mut out: Vec<Vec<TurnCall>> = vec![Vec::new(); turns.len()];
    let trace_of = |row: &SpendLog| row.metadata.get("trace_id").and_then(|t| t.as_str()).map(str::to_string);
    let traced: std::collections::HashSet<String> = rows.iter().filter_map(trace_of).collect();
    for row in rows {
        let same_key = |t: &&TurnRecord| t.key_token.as_deref() == Some(row.api_key.as_str());
        let chosen = match trace_of(row) {
            Some(trace) => {
                turns.iter().position(|t| same_key(&t) && t.trace_id == trace).map(|i| (i, MatchedBy::Trace))
            }
            None => {
                let Some(at) = crate::time::parse_time(&row.start_time) else { continue };
                turns
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| same_key(t) && !traced.contains(&t.trace_id))
                    .filter_map(|(i, t)| {
                        let (start, end) = window(t, now)?;
                        let slack = Duration::milliseconds(SLACK_MS);
                        let (start, end) = (start + slack, end - slack);
                        let distance = if at < start {
                            start - at
                        } else if at > end {
                            at - end
                        } else {
                            Duration::zero()
                        };
                        (distance <= slack).then_some((distance, i))
                    })
                    .min()
                    .map(|(_, i)| (i, MatchedBy::KeyAndTime))
            }
        };
        if let Some((i, how)) = chosen
            && let Some(calls) = out.get_mut(i)
        {
            calls.push(call_of(row, how));
        }
    }
    out
}

impl<G> Env<G> {
    /// The turns with their gateway calls: one request-log read per key, over all the turns.
    async fn with_calls(&self, turns: Vec<TurnRecord>) -> Result<Vec<TurnView>, AdminError> {
        let now = Utc::now();
        let mut spans: HashMap<&str, (DateTime<Utc>, DateTime<Utc>)> = HashMap::new();
        for turn in &turns {
            let (Some(key), Some((start, end))) = (turn.key_token.as_deref(), window(turn, now)) else { continue };
            let span = spans.entry(key).or_insert((start, end));
            *span = (span.0.min(start), span.1.max(end));
        }
        let mut rows: Vec<SpendLog> = Vec::new();
        for (key, (start, end)) in spans {
            let filter = SpendFilter {
                api_key: Some(key.to_string()),
                start: Some(crate::time::format_time(start)),
                end: Some(crate::time::format_time(end)),
                limit: ROWS_PER_KEY,
                ..SpendFilter::default()
            };
            rows.extend(self.store.spend_logs(&filter).await?);
        }
        rows.sort_by(|a, b| a.start_time.cmp(&b.start_time));
        let mut calls = assign(&turns, &rows, now);
        Ok(turns
            .into_iter()
            .zip(calls.iter_mut())
            .map(|(turn, calls)| {
                let calls = std::mem::take(calls);
                let mut totals = CallTotals::default();
                calls.iter().for_each(|c| totals.add(c));
                TurnView { turn, calls, totals }
            })
            .collect())
    }

    /// One session of a harness, turn by turn, each with its gateway calls.
    pub async fn harness_session(&self, harness_id: &str, session_id: &str) -> Result<SessionView, AdminError> {
        let turns = self.store.harness_turns(harness_id, Some(session_id), SESSION_LIST_TURNS).await?;
        if turns.is_empty() {
            return Err(AdminError::NotFound(format!(
                "no turn of session {session_id} of harness {harness_id} was played through this gateway"
            )));
        }
        let turns = self.with_calls(turns).await?;
        let mut totals = CallTotals::default();
        turns.iter().for_each(|t| totals.merge(&t.totals));
        Ok(SessionView {
            harness_id: harness_id.to_string(),
            session_id: session_id.to_string(),
            input_tokens: turns.iter().map(|t| t.turn.input_tokens).sum(),
            output_tokens: turns.iter().map(|t| t.turn.output_tokens).sum(),
            turns,
            totals,
        })
    }

    /// A harness's sessions played through this gateway (from its latest turns), newest first,
    /// each with its totals.
    pub async fn harness_sessions(&self, harness_id: &str) -> Result<SessionList, AdminError> {
        let turns = self.store.harness_turns(harness_id, None, SESSION_LIST_TURNS).await?;
        let turns = self.with_calls(turns).await?;
        let mut sessions: BTreeMap<String, SessionSummary> = BTreeMap::new();
        for t in &turns {
            let s = sessions.entry(t.turn.session_id.clone()).or_insert_with(|| SessionSummary {
                session_id: t.turn.session_id.clone(),
                first_message: t.turn.message.clone(),
                turns: 0,
                failed_turns: 0,
                started_at: t.turn.started_at.clone(),
                last_at: t.turn.started_at.clone(),
                input_tokens: 0,
                output_tokens: 0,
                totals: CallTotals::default(),
            });
            s.turns += 1;
            s.failed_turns += u64::from(t.turn.status == "error");
            s.last_at = t.turn.started_at.clone();
            s.input_tokens += t.turn.input_tokens;
            s.output_tokens += t.turn.output_tokens;
            s.totals.merge(&t.totals);
        }
        let mut sessions: Vec<SessionSummary> = sessions.into_values().collect();
        sessions.sort_by(|a, b| b.last_at.cmp(&a.last_at));
        Ok(SessionList { harness_id: harness_id.to_string(), sessions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn turn() -> TurnRecord {
        TurnRecord {
            turn_id: "t".into(),
            harness_id: "h".into(),
            harness_arn: "arn".into(),
            region: "us-east-1".into(),
            session_id: "s".into(),
            trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
            key_token: Some("harness-key".into()),
            message: "hi".into(),
            started_at: "2026-12-06T10:00:00.000Z".into(),
            ended_at: Some("2026-12-06T10:00:10.000Z".into()),
            status: "done".into(),
            error: None,
            input_tokens: 0,
            output_tokens: 0,
        }
    }

    fn row(key: &str, at: &str, trace: Option<&str>) -> SpendLog {
        let mut metadata = serde_json::Map::new();
        if let Some(t) = trace {
            metadata.insert("trace_id".into(), json!(t));
        }
        serde_json::from_value(json!({
            "request_id": "r", "call_type": "acompletion", "api_key": key, "model": "m", "model_id": "d",
            "model_group": "claude-haiku", "custom_llm_provider": "bedrock", "spend": 0.0, "prompt_tokens": 1,
            "completion_tokens": 1, "total_tokens": 2, "startTime": at, "endTime": at, "request_duration_ms": 5,
            "status": "success", "metadata": metadata,
        }))
        .unwrap()
    }

    #[test]
    fn each_row_goes_to_one_turn_and_untraced_rows_only_to_harnesses_that_drop_traces() {
        let now = Utc::now();
        let first = turn();
        let second = TurnRecord {
            turn_id: "t2".into(),
            trace_id: "11111111111111111111111111111111".into(),
            started_at: "2026-12-06T10:00:10.500Z".into(),
            ended_at: Some("2026-12-06T10:00:20.000Z".into()),
            ..turn()
        };
        let turns = [first.clone(), second.clone()];
        // A harness that drops traces: rows near both windows go to the nearer turn only.
        let rows = [
            row("harness-key", "2026-12-06T10:00:09.000Z", None),
            row("harness-key", "2026-12-06T10:00:10.600Z", None),
            row("harness-key", "2026-12-06T10:00:25.000Z", None),
        ];
        let calls = assign(&turns, &rows, now);
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1]);
        assert_eq!(calls[0][0].start_time, "2026-12-06T10:00:09.000Z");
        assert_eq!(calls[1][0].start_time, "2026-12-06T10:00:10.600Z");
        // A harness that carries traces: untraced rows with its key are not its turns'.
        let rows = [
            row("harness-key", "2026-12-06T10:00:05.000Z", Some(first.trace_id.as_str())),
            row("harness-key", "2026-12-06T10:00:06.000Z", None),
            row("harness-key", "2026-12-06T10:00:15.000Z", Some(second.trace_id.as_str())),
        ];
        let calls = assign(&turns, &rows, now);
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1]);
        assert!(calls.iter().flatten().all(|c| c.matched_by == MatchedBy::Trace));
    }

    #[test]
    fn calls_belong_to_a_turn_by_trace_else_by_key_and_time() {
        let t = turn();
        let now = Utc::now();
        let trace = t.trace_id.as_str();
        assert_eq!(
            matched(&t, &row("harness-key", "2026-12-06T10:00:05.000Z", Some(trace)), now),
            Some(MatchedBy::Trace)
        );
        assert_eq!(
            matched(&t, &row("harness-key", "2026-12-06T11:00:00.000Z", Some(trace)), now),
            Some(MatchedBy::Trace),
            "the trace decides, whatever the clock"
        );
        assert_eq!(
            matched(&t, &row("harness-key", "2026-12-06T10:00:05.000Z", None), now),
            Some(MatchedBy::KeyAndTime)
        );
        assert_eq!(
            matched(&t, &row("harness-key", "2026-12-06T10:00:10.900Z", None), now),
            Some(MatchedBy::KeyAndTime),
            "within the slack"
        );
        assert_eq!(matched(&t, &row("harness-key", "2026-12-06T10:00:12.000Z", None), now), None, "after the turn");
        assert_eq!(
            matched(&t, &row("harness-key", "2026-12-06T10:00:05.000Z", Some("ffffffffffffffffffffffffffffffff")), now),
            None,
            "another run's trace, with the same key"
        );
        assert_eq!(matched(&t, &row("other-key", "2026-12-06T10:00:05.000Z", Some(trace)), now), None);
        let unknown_key = TurnRecord { key_token: None, ..turn() };
        assert_eq!(matched(&unknown_key, &row("harness-key", "2026-12-06T10:00:05.000Z", None), now), None);
    }
}
