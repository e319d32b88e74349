//! How fast models answer and how often deployments fail, from the spend rows of a window:
//! latency and time-to-first-token percentiles per model group and hour (or day), and requests,
//! errors and latency per deployment. Percentiles are by nearest rank over the rows themselves.

use std::collections::BTreeMap;

use chrono::{Duration as Hours, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::spend::flushed;
use super::{AdminError, Core};
use crate::store::LatencyRow;
use crate::time::{format_time, parse_time};

/// At most this many rows (the newest) are read for one report.
const MAX_ROWS: usize = 200_000;

/// The width of the report's time buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LatencyBucket {
    Hour,
    Day,
}

/// What a latency report covers.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyWindow {
    pub hours: u32,
    pub bucket: LatencyBucket,
    pub model: Option<String>,
}

impl LatencyWindow {
    /// The window from a query's texts: `hours` 1 to 720 (default 24), `bucket` `hour`
    /// (default) or `day`, `model` a model group.
    pub fn parse(hours: Option<&str>, bucket: Option<&str>, model: Option<&str>) -> Result<Self, AdminError> {
        let hours =
            match hours {
                None => 24,
                Some(text) => text.parse().ok().filter(|h| (1..=720).contains(h)).ok_or_else(|| {
                    AdminError::invalid(format!("hours must be 1 to 720, not '{text}'"), Some("hours"))
                })?,
            };
        let bucket = match bucket {
            None | Some("hour") => LatencyBucket::Hour,
            Some("day") => LatencyBucket::Day,
            Some(other) => {
                return Err(AdminError::invalid(format!("bucket must be hour or day, not '{other}'"), Some("bucket")));
            }
        };
        let model = model.filter(|m| !m.is_empty()).map(str::to_string);
        Ok(LatencyWindow { hours, bucket, model })
    }
}

/// `/switchboard/latency`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LatencyReport {
    /// The window's start (ISO 8601); it ends now.
    pub since: String,
    pub hours: u32,
    pub bucket: LatencyBucket,
    /// Only the newest rows of the window were read (there were more than 200,000).
    pub truncated: bool,
    /// Per model group, by name.
    pub models: Vec<ModelLatency>,
    /// Per deployment that calls reached, by model group then deployment id.
    pub deployments: Vec<DeploymentLatency>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelLatency {
    pub model_group: String,
    pub requests: u64,
    pub errors: u64,
    /// Per time bucket with calls, oldest first.
    pub buckets: Vec<LatencyPoint>,
}

/// The calls of one model group started in one time bucket. Latency counts the calls that
/// reached a deployment; time to first token, the streamed calls that got a first byte.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LatencyPoint {
    /// The bucket's start (ISO 8601, UTC).
    pub start: String,
    pub requests: u64,
    pub errors: u64,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    pub latency_p99_ms: Option<u64>,
    pub ttft_p50_ms: Option<u64>,
    pub ttft_p95_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeploymentLatency {
    pub model_id: String,
    /// The deployment's model (`litellm_params.model`).
    pub model: String,
    pub provider: String,
    pub model_group: String,
    pub requests: u64,
    pub errors: u64,
    /// Errors over requests, 0 to 1.
    pub error_rate: f64,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
}

/// The value at percentile `p` (0 to 100) of `sorted` by nearest rank; none of nothing.
pub fn nearest_rank(sorted: &[u64], p: u32) -> Option<u64> {
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1);
    sorted.get(usize::try_from(rank).ok()?.checked_sub(1)?).copied()
}

#[derive(Default)]
struct Samples {
    requests: u64,
    errors: u64,
    latency: Vec<u64>,
    ttft: Vec<u64>,
}

impl Samples {
    fn add(&mut self, row: &LatencyRow) {
        self.requests += 1;
        self.errors += u64::from(row.failed);
        // A refused call never reached a deployment: its duration says nothing of latency.
        if !row.model_id.is_empty() {
            self.latency.push(row.request_duration_ms);
        }
        if row.stream
            && let Some(ttft) = time_to_first_token(row)
        {
            self.ttft.push(ttft);
        }
    }

    fn sorted(mut self) -> Self {
        self.latency.sort_unstable();
        self.ttft.sort_unstable();
        self
    }
}

fn time_to_first_token(row: &LatencyRow) -> Option<u64> {
    let first = parse_time(row.completion_start_time.as_deref()?)?;
    let start = parse_time(&row.start_time)?;
    u64::try_from((first - start).num_milliseconds()).ok()
}

/// The start of the bucket `start_time` (ISO 8601, UTC) falls in.
fn bucket_of(start_time: &str, bucket: LatencyBucket) -> String {
    match bucket {
        LatencyBucket::Hour => format!("{}:00:00Z", start_time.get(..13).unwrap_or(start_time)),
        LatencyBucket::Day => format!("{}T00:00:00Z", start_time.get(..10).unwrap_or(start_time)),
    }
}

/// The report of `rows` (the calls of the window).
pub fn summarize(rows: &[LatencyRow], bucket: LatencyBucket) -> (Vec<ModelLatency>, Vec<DeploymentLatency>) {
    let mut models: BTreeMap<&str, BTreeMap<String, Samples>> = BTreeMap::new();
    let mut deployments: BTreeMap<(&str, &str), (&LatencyRow, Samples)> = BTreeMap::new();
    for row in rows {
        models.entry(&row.model_group).or_default().entry(bucket_of(&row.start_time, bucket)).or_default().add(row);
        if !row.model_id.is_empty() {
            deployments
                .entry((&row.model_group, &row.model_id))
                .or_insert_with(|| (row, Samples::default()))
                .1
                .add(row);
        }
    }
    let models = models
        .into_iter()
        .map(|(group, buckets)| {
            let buckets: Vec<LatencyPoint> = buckets
                .into_iter()
                .map(|(start, samples)| {
                    let s = samples.sorted();
                    LatencyPoint {
                        start,
                        requests: s.requests,
                        errors: s.errors,
                        latency_p50_ms: nearest_rank(&s.latency, 50),
                        latency_p95_ms: nearest_rank(&s.latency, 95),
                        latency_p99_ms: nearest_rank(&s.latency, 99),
                        ttft_p50_ms: nearest_rank(&s.ttft, 50),
                        ttft_p95_ms: nearest_rank(&s.ttft, 95),
                    }
                })
                .collect();
            ModelLatency {
                model_group: group.to_string(),
                requests: buckets.iter().map(|b| b.requests).sum(),
                errors: buckets.iter().map(|b| b.errors).sum(),
                buckets,
            }
        })
        .collect();
    let deployments = deployments
        .into_values()
        .map(|(row, samples)| {
            let s = samples.sorted();
            DeploymentLatency {
                model_id: row.model_id.clone(),
                model: row.model.clone(),
                provider: row.custom_llm_provider.clone(),
                model_group: row.model_group.clone(),
                requests: s.requests,
                errors: s.errors,
                error_rate: if s.requests == 0 { 0.0 } else { s.errors as f64 / s.requests as f64 },
                latency_p50_ms: nearest_rank(&s.latency, 50),
                latency_p95_ms: nearest_rank(&s.latency, 95),
            }
        })
        .collect();
    (models, deployments)
}

/// `/switchboard/latency`: the report of the window's calls.
pub async fn report(core: &Core, window: &LatencyWindow) -> Result<LatencyReport, AdminError> {
    flushed(core).await;
    let since = format_time(Utc::now() - Hours::hours(i64::from(window.hours)));
    // One row more than kept tells whether there were more.
    let mut rows = core.store.latency_rows(&since, window.model.as_deref(), MAX_ROWS + 1).await?;
    let truncated = rows.len() > MAX_ROWS;
    rows.truncate(MAX_ROWS);
    let (models, deployments) = summarize(&rows, window.bucket);
    Ok(LatencyReport { since, hours: window.hours, bucket: window.bucket, truncated, models, deployments })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str, id: &str, start: &str, ms: u64, failed: bool, first: Option<&str>) -> LatencyRow {
        LatencyRow {
            model_group: group.into(),
            model_id: id.into(),
            model: format!("openai/{group}"),
            custom_llm_provider: "openai".into(),
            start_time: start.into(),
            completion_start_time: first.map(str::to_string),
            request_duration_ms: ms,
            failed,
            stream: first.is_some(),
        }
    }

    #[test]
    fn nearest_rank_takes_the_smallest_value_covering_the_share() {
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 95), Some(10));
        assert_eq!(nearest_rank(&v, 0), Some(1));
        assert_eq!(nearest_rank(&[7], 99), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn rows_are_grouped_by_model_bucket_and_deployment() {
        let rows = [
            row("a", "d1", "2026-01-01T10:05:00.000Z", 100, false, Some("2026-01-01T10:05:00.040Z")),
            row("a", "d1", "2026-01-01T10:50:00.000Z", 300, true, None),
            row("a", "d2", "2026-01-01T11:00:00.000Z", 200, false, None),
            row("a", "", "2026-01-01T11:01:00.000Z", 0, true, None),
        ];
        let (models, deployments) = summarize(&rows, LatencyBucket::Hour);
        let [a] = models.as_slice() else { panic!("{models:?}") };
        assert_eq!((a.requests, a.errors), (4, 2));
        let starts: Vec<&str> = a.buckets.iter().map(|b| b.start.as_str()).collect();
        assert_eq!(starts, ["2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"]);
        assert_eq!(a.buckets[0].latency_p50_ms, Some(100));
        assert_eq!(a.buckets[0].latency_p99_ms, Some(300));
        assert_eq!(a.buckets[0].ttft_p50_ms, Some(40));
        // The refused call counts as an error, not as a latency.
        assert_eq!((a.buckets[1].requests, a.buckets[1].errors, a.buckets[1].latency_p95_ms), (2, 1, Some(200)));
        assert_eq!(a.buckets[1].ttft_p50_ms, None);
        let ids: Vec<(&str, u64, f64)> =
            deployments.iter().map(|d| (d.model_id.as_str(), d.requests, d.error_rate)).collect();
        assert_eq!(ids, [("d1", 2, 0.5), ("d2", 1, 0.0)]);
        let (days, _) = summarize(&rows, LatencyBucket::Day);
        assert_eq!(days[0].buckets.len(), 1);
    }

    #[test]
    fn bad_windows_are_refused_naming_the_parameter() {
        assert_eq!(LatencyWindow::parse(None, None, Some("")).unwrap().hours, 24);
        let day = LatencyWindow::parse(Some("720"), Some("day"), Some("m")).unwrap();
        assert_eq!((day.bucket, day.model.as_deref()), (LatencyBucket::Day, Some("m")));
        for (hours, bucket) in [(Some("0"), None), (Some("721"), None), (Some("x"), None), (None, Some("week"))] {
            assert!(matches!(LatencyWindow::parse(hours, bucket, None), Err(AdminError::Invalid { .. })));
        }
    }
}
