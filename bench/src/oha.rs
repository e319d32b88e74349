//! Reading `oha --output-format json`.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use serde::Serialize;
use serde_json::Value;

/// One load run as the load generator saw it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadRun {
    /// Wall time of the run, seconds.
    pub seconds: f64,
    /// Responses received (any status).
    pub responses: u64,
    /// Responses with a 2xx status.
    pub ok: u64,
    /// Responses with another status, by status.
    pub non_2xx: BTreeMap<String, u64>,
    /// Transport errors (refused, reset, timeout...), by message; requests cut by the end of the
    /// run are not counted here (see `aborted_at_deadline`).
    pub transport_errors: BTreeMap<String, u64>,
    /// Requests in flight when the run's time was up (dropped by oha; neither ok nor error).
    pub aborted_at_deadline: u64,
    /// Responses per second over the run.
    pub rps: f64,
    /// Latency percentiles of the responses, milliseconds.
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl LoadRun {
    /// Non-2xx responses plus transport errors.
    pub fn errors(&self) -> u64 {
        self.non_2xx.values().sum::<u64>() + self.transport_errors.values().sum::<u64>()
    }
}

fn number(v: &Value, path: &[&str]) -> Option<f64> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    v.as_f64()
}

fn counts(v: Option<&Value>) -> BTreeMap<String, u64> {
    v.and_then(Value::as_object)
        .map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_u64()?))).collect())
        .unwrap_or_default()
}

/// Parses oha's JSON report. Latencies there are in seconds.
pub fn parse(text: &str) -> anyhow::Result<LoadRun> {
    let v: Value = serde_json::from_str(text).context("oha's output is not JSON")?;
    let seconds = number(&v, &["summary", "total"]).ok_or_else(|| anyhow!("oha's output has no summary.total"))?;
    let statuses = counts(v.get("statusCodeDistribution"));
    let mut transport_errors = counts(v.get("errorDistribution"));
    let aborted_at_deadline = transport_errors.remove("aborted due to deadline").unwrap_or(0);
    let responses: u64 = statuses.values().sum();
    let ok = statuses.iter().filter(|(code, _)| code.starts_with('2')).map(|(_, n)| n).sum();
    let non_2xx = statuses.into_iter().filter(|(code, _)| !code.starts_with('2')).collect();
    let pct = |key: &str| number(&v, &["latencyPercentiles", key]).map(|s| s * 1e3).unwrap_or(f64::NAN);
    Ok(LoadRun {
        seconds,
        responses,
        ok,
        non_2xx,
        transport_errors,
        aborted_at_deadline,
        rps: if seconds > 0.0 { responses as f64 / seconds } else { 0.0 },
        p50_ms: pct("p50"),
        p90_ms: pct("p90"),
        p99_ms: pct("p99"),
        p999_ms: pct("p99.9"),
        max_ms: number(&v, &["summary", "slowest"]).map(|s| s * 1e3).unwrap_or(f64::NAN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "summary": {"successRate": 1.0, "total": 10.0005, "slowest": 0.0123, "fastest": 0.0001,
                  "average": 0.0004, "requestsPerSec": 1999.9, "totalData": 1000, "sizePerRequest": 50,
                  "sizePerSec": 100.0},
      "responseTimeHistogram": {"0.0001": 10},
      "latencyPercentiles": {"p10": 0.0002, "p25": 0.0003, "p50": 0.0004, "p75": 0.0005,
                             "p90": 0.0006, "p95": 0.0007, "p99": 0.0011, "p99.9": 0.004, "p99.99": 0.01},
      "rps": {"mean": 2000.0},
      "details": {},
      "statusCodeDistribution": {"200": 19990, "429": 3},
      "errorDistribution": {"aborted due to deadline": 12, "connection closed before message completed": 2}
    }"#;

    #[test]
    fn parses_counts_and_percentiles() {
        let run = parse(SAMPLE).unwrap();
        assert_eq!(run.responses, 19993);
        assert_eq!(run.ok, 19990);
        assert_eq!(run.aborted_at_deadline, 12);
        assert_eq!(run.errors(), 5);
        assert!((run.p50_ms - 0.4).abs() < 1e-9);
        assert!((run.p99_ms - 1.1).abs() < 1e-9);
        assert!((run.max_ms - 12.3).abs() < 1e-9);
        assert!((run.rps - 19993.0 / 10.0005).abs() < 1e-6);
    }

    #[test]
    fn empty_distributions_are_fine() {
        let run = parse(r#"{"summary": {"total": 1.0}, "latencyPercentiles": {}}"#).unwrap();
        assert_eq!(run.responses, 0);
        assert!(run.p50_ms.is_nan());
        assert!(parse("not json").is_err());
    }
}
