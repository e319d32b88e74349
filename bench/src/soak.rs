//! The soak run: the gateway's memory, minute by minute, under a long fixed-rate load, and its
//! trend. A leak shows as a slope, not as a peak: the scenarios are too short to see one.

use std::fmt::Write as _;

use serde::Serialize;

use crate::oha::LoadRun;
use crate::report::{self, Cpu};

/// One sample of the gateway: minute 0 when the load starts, then after each minute of load.
#[derive(Debug, Clone, Serialize)]
pub struct Minute {
    pub minute: u64,
    /// Since the start of load, wall time.
    pub elapsed_s: f64,
    /// `VmRSS` and `VmHWM` of the gateway when sampled.
    pub rss_mb: f64,
    pub hwm_mb: f64,
    /// Responses and errors (non-2xx plus transport) of this minute's load; 0 at minute 0.
    pub requests: u64,
    pub errors: u64,
    /// The minute's load as oha saw it; none at minute 0.
    pub load: Option<LoadRun>,
    /// Wall time of the minute's segment (oha's start and exit, the samples): its difference
    /// from `load.seconds` is time without load.
    pub wall_s: Option<f64>,
    /// The gateway's CPU over the minute (including work trailing the previous minute's requests).
    pub gateway_cpu: Option<Cpu>,
    /// CPU other processes used over the minute, percent of one core.
    pub foreign_cpu_percent: Option<f64>,
    /// The spend database (SQLite file and its write-ahead log): what the gateway has written so far.
    pub db_mb: Option<f64>,
}

impl Minute {
    /// Seconds of the minute's segment without load (oha starting, connecting, exiting).
    pub fn gap_s(&self) -> Option<f64> {
        Some(self.wall_s? - self.load.as_ref()?.seconds)
    }
}

/// Change from this share of the minute-1 RSS on is not called flat.
pub const FLAT_WITHIN_PERCENT: f64 = 10.0;

/// RSS over the soak, from minute 1 (minute 0 is before the first request: allocator arenas,
/// connection buffers and caches grow in the first seconds of load, which is not a leak).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Trend {
    pub rss_start_mb: Option<f64>,
    pub rss_minute_1_mb: f64,
    pub end_minute: u64,
    pub rss_end_mb: f64,
    pub hwm_end_mb: f64,
    /// Least-squares slope of RSS against time since the start of load, minutes 1..end. None
    /// with a single minute.
    pub slope_mb_per_hour: Option<f64>,
    /// From minute 1 to the end, percent of minute 1.
    pub change_percent: f64,
    /// |change| within `FLAT_WITHIN_PERCENT`; None with a single minute. Reported, not asserted.
    pub flat_within_10_percent: Option<bool>,
    /// The longest time without load between two minutes' segments.
    pub longest_gap_s: Option<f64>,
    pub requests: u64,
    pub errors: u64,
}

/// Least-squares slope of y over x; None with fewer than two distinct x.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    (points.len() >= 2 && sxx > 0.0).then(|| sxy / sxx)
}

/// The trend of `minutes` (minute 0 first, if sampled); None before minute 1 was reached.
pub fn trend(minutes: &[Minute]) -> Option<Trend> {
    let loaded: Vec<&Minute> = minutes.iter().filter(|m| m.minute >= 1).collect();
    let (first, last) = (loaded.first()?, loaded.last()?);
    let hours: Vec<(f64, f64)> = loaded.iter().map(|m| (m.elapsed_s / 3600.0, m.rss_mb)).collect();
    let change_percent = (last.rss_mb - first.rss_mb) * 100.0 / first.rss_mb;
    Some(Trend {
        rss_start_mb: minutes.iter().find(|m| m.minute == 0).map(|m| m.rss_mb),
        rss_minute_1_mb: first.rss_mb,
        end_minute: last.minute,
        rss_end_mb: last.rss_mb,
        hwm_end_mb: last.hwm_mb,
        slope_mb_per_hour: slope(&hours),
        change_percent,
        flat_within_10_percent: (loaded.len() >= 2).then_some(change_percent.abs() <= FLAT_WITHIN_PERCENT),
        longest_gap_s: loaded
            .iter()
            .filter_map(|m| m.gap_s())
            .fold(None, |a: Option<f64>, g| Some(a.map_or(g, |a| a.max(g)))),
        requests: loaded.iter().map(|m| m.requests).sum(),
        errors: loaded.iter().map(|m| m.errors).sum(),
    })
}

const HEADERS: [&str; 9] = ["minute", "t s", "RSS MB", "HWM MB", "requests", "errors", "p99 ms", "gw µs/req", "DB MB"];

fn row(m: &Minute) -> Vec<String> {
    let load = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    vec![
        if m.minute == 0 { "0 (start)".into() } else { m.minute.to_string() },
        format!("{:.0}", m.elapsed_s),
        format!("{:.1}", m.rss_mb),
        format!("{:.1}", m.hwm_mb),
        load(m.load.as_ref().map(|_| m.requests.to_string())),
        load(m.load.as_ref().map(|_| m.errors.to_string())),
        report::f(m.load.as_ref().map(|l| l.p99_ms), 3),
        report::f(m.gateway_cpu.map(|c| c.us_per_request), 1),
        report::f(m.db_mb, 1),
    ]
}

/// A plain-text table for the terminal, figures right-aligned.
pub fn text_table(minutes: &[Minute]) -> String {
    let rows: Vec<Vec<String>> = minutes.iter().map(row).collect();
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for cells in std::iter::once(HEADERS.map(String::from).to_vec()).chain(rows) {
        let line: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect();
        let _ = writeln!(out, "{}", line.join("  "));
    }
    out
}

/// The same table in Markdown.
pub fn markdown_table(minutes: &[Minute]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---:|".repeat(HEADERS.len()));
    for m in minutes {
        let _ = writeln!(out, "| {} |", row(m).join(" | "));
    }
    out
}

/// The summary under the table, one line per figure.
pub fn summary_lines(t: &Trend) -> Vec<String> {
    let start = t.rss_start_mb.map_or_else(String::new, |s| format!("start of load {s:.1} MB, "));
    vec![
        format!(
            "RSS: {start}minute 1 {:.1} MB, minute {} (end) {:.1} MB; VmHWM at the end {:.1} MB",
            t.rss_minute_1_mb, t.end_minute, t.rss_end_mb, t.hwm_end_mb
        ),
        match t.slope_mb_per_hour {
            Some(s) => format!("slope over minutes 1..{} (least squares): {s:+.2} MB per hour", t.end_minute),
            None => "slope: n/a (a single minute)".into(),
        },
        format!("change from minute 1 to the end: {:+.1}%", t.change_percent),
        format!(
            "flat within {FLAT_WITHIN_PERCENT:.0}%: {}",
            match t.flat_within_10_percent {
                Some(true) => "yes",
                Some(false) => "no",
                None => "n/a (a single minute)",
            }
        ),
        format!(
            "load: {} requests, {} errors; longest gap between minutes {}",
            t.requests,
            t.errors,
            t.longest_gap_s.map_or_else(|| "-".into(), |g| format!("{:.0} ms", g * 1e3))
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(minute: u64, rss_mb: f64) -> Minute {
        let load = (minute > 0).then(|| LoadRun {
            seconds: 60.0,
            responses: 60_000,
            ok: 59_998,
            non_2xx: [("429".to_owned(), 2)].into(),
            transport_errors: Default::default(),
            aborted_at_deadline: 0,
            rps: 1000.0,
            p50_ms: 0.1,
            p90_ms: 0.2,
            p99_ms: 0.5,
            p999_ms: 1.0,
            max_ms: 3.0,
        });
        Minute {
            minute,
            elapsed_s: minute as f64 * 60.2,
            rss_mb,
            hwm_mb: rss_mb + 1.0,
            requests: load.as_ref().map_or(0, |l| l.responses),
            errors: load.as_ref().map_or(0, |l| l.errors()),
            wall_s: load.as_ref().map(|_| 60.2),
            load,
            gateway_cpu: None,
            foreign_cpu_percent: None,
            db_mb: Some(minute as f64 * 10.0),
        }
    }

    #[test]
    fn slope_is_least_squares() {
        assert_eq!(slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]), Some(2.0));
        // Noise around a line: the fit, not the ends.
        let s = slope(&[(0.0, 10.0), (1.0, 12.0), (2.0, 11.0), (3.0, 13.0)]).unwrap();
        assert!((s - 0.8).abs() < 1e-12);
        assert_eq!(slope(&[(1.0, 1.0)]), None);
        assert_eq!(slope(&[(1.0, 1.0), (1.0, 2.0)]), None);
        assert_eq!(slope(&[]), None);
    }

    #[test]
    fn trend_starts_at_minute_one() {
        // Minute 0 is far below: growth at the start of load is not the trend.
        let minutes = vec![minute(0, 24.0), minute(1, 40.0), minute(2, 41.0), minute(3, 42.0)];
        let t = trend(&minutes).unwrap();
        assert_eq!(t.rss_start_mb, Some(24.0));
        assert_eq!((t.rss_minute_1_mb, t.end_minute, t.rss_end_mb, t.hwm_end_mb), (40.0, 3, 42.0, 43.0));
        // 1 MB per 60.2 s.
        assert!((t.slope_mb_per_hour.unwrap() - 3600.0 / 60.2).abs() < 1e-9);
        assert!((t.change_percent - 5.0).abs() < 1e-12);
        assert_eq!(t.flat_within_10_percent, Some(true));
        assert_eq!((t.requests, t.errors), (180_000, 6));
        assert!((t.longest_gap_s.unwrap() - 0.2).abs() < 1e-9);

        let grew = trend(&[minute(0, 24.0), minute(1, 40.0), minute(2, 45.0)]).unwrap();
        assert_eq!(grew.flat_within_10_percent, Some(false));
        let single = trend(&[minute(0, 24.0), minute(1, 40.0)]).unwrap();
        assert_eq!((single.slope_mb_per_hour, single.flat_within_10_percent), (None, None));
        assert!(trend(&[minute(0, 24.0)]).is_none());
    }

    #[test]
    fn tables_and_summary() {
        let minutes = vec![minute(0, 24.0), minute(1, 40.0), minute(2, 41.0)];
        let table = text_table(&minutes);
        assert_eq!(table.lines().count(), 4);
        assert!(table.lines().nth(1).unwrap().contains("0 (start)"));
        assert!(table.lines().nth(2).unwrap().contains("60000"));
        assert_eq!(markdown_table(&minutes).lines().count(), 2 + minutes.len());
        let summary = summary_lines(&trend(&minutes).unwrap()).join("\n");
        assert!(summary.contains("minute 1 40.0 MB, minute 2 (end) 41.0 MB"));
        assert!(summary.contains("+2.5%"));
        assert!(summary.contains("flat within 10%: yes"));
    }
}
