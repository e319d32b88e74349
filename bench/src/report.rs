//! Figures per scenario, the comparison with the direct baseline, the targets, and the table.

use std::fmt::Write as _;

use serde::Serialize;

use crate::oha::LoadRun;

/// Who answers the load generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The load generator talks to the fake upstream itself: the baseline.
    Direct,
    Switchboard,
    Litellm,
    /// `bench-forward`, a proxy that only forwards: the floor of what a proxy costs here.
    Forward,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Upstream {
    /// OpenAI Chat Completions, passed through.
    Openai,
    /// OpenAI in front, Bedrock Converse behind: the translation path.
    Bedrock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    MasterKey,
    /// A virtual key from `/key/generate` with limits, spend logged to SQLite.
    VirtualKey,
}

/// The API the load generator speaks to the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    ChatCompletions,
    /// Anthropic's `/v1/messages`, translated to the upstream's protocol and back.
    Messages,
}

/// One measured configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    pub target: Target,
    pub upstream: Upstream,
    pub stream: bool,
    /// Fixed request rate; `None` is saturation (as fast as the connections go).
    pub rate: Option<u32>,
    pub auth: Auth,
    /// The gateway's log level (`SWITCHBOARD_LOG`).
    pub log_level: &'static str,
    pub api: Api,
    /// Gateways behind the load generator: more than one share PostgreSQL and Redis.
    pub replicas: u8,
}

impl Scenario {
    pub fn new(target: Target, upstream: Upstream, stream: bool, rate: Option<u32>, auth: Auth) -> Scenario {
        let mut s = Scenario {
            name: String::new(),
            target,
            upstream,
            stream,
            rate,
            auth,
            log_level: "warn",
            api: Api::ChatCompletions,
            replicas: 1,
        };
        s.name = s.make_name();
        s
    }

    pub fn with_log_level(mut self, level: &'static str) -> Scenario {
        self.log_level = level;
        self.name = self.make_name();
        self
    }

    /// The same load spread over `n` gateways sharing PostgreSQL and Redis.
    pub fn replicas(mut self, n: u8) -> Scenario {
        self.replicas = n;
        self.name = self.make_name();
        self
    }

    /// The same load over Anthropic's Messages API.
    pub fn messages(mut self) -> Scenario {
        self.api = Api::Messages;
        self.name = self.make_name();
        self
    }

    fn make_name(&self) -> String {
        let mut name = String::from(match (self.target, self.auth) {
            (Target::Direct, _) => "direct",
            (Target::Switchboard, Auth::MasterKey) => "switchboard",
            (Target::Switchboard, Auth::VirtualKey) => "switchboard-vkey",
            (Target::Litellm, Auth::MasterKey) => "litellm",
            (Target::Litellm, Auth::VirtualKey) => "litellm-vkey",
            (Target::Forward, _) => "forward",
        });
        if self.target != Target::Direct && self.api == Api::Messages {
            name.push_str("-messages");
        }
        name.push_str(match self.upstream {
            Upstream::Openai => "-openai",
            Upstream::Bedrock => "-bedrock",
        });
        if self.stream {
            name.push_str("-stream");
        }
        if self.replicas > 1 {
            write!(name, "-{}replicas", self.replicas).unwrap();
        }
        match self.rate {
            Some(rate) => write!(name, "-{rate}").unwrap(),
            None => name.push_str("-max"),
        }
        if self.target != Target::Direct && self.log_level != "warn" {
            write!(name, "-log-{}", self.log_level).unwrap();
        }
        name
    }

    /// The direct run this one is compared with: same upstream protocol, stream mode and rate.
    pub fn baseline(&self) -> Scenario {
        Scenario::new(Target::Direct, self.upstream, self.stream, self.rate, Auth::MasterKey)
    }

    pub fn rate_label(&self) -> String {
        self.rate.map_or_else(|| "max".to_owned(), |r| r.to_string())
    }
}

/// Added latency: the gateway's percentiles minus the direct run's (a difference of percentiles,
/// not a percentile of differences: the two runs are separate).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Added {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
}

pub fn added_latency(gateway: &LoadRun, direct: &LoadRun) -> Added {
    Added {
        p50_ms: gateway.p50_ms - direct.p50_ms,
        p90_ms: gateway.p90_ms - direct.p90_ms,
        p99_ms: gateway.p99_ms - direct.p99_ms,
    }
}

/// CPU of a process over the measured window.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Cpu {
    pub seconds: f64,
    pub us_per_request: f64,
    /// Share of one core, in percent, over the window.
    pub core_percent: f64,
    /// From per-thread nanoseconds (true) or from clock ticks (false, ±1 tick).
    pub precise: bool,
}

pub fn cpu(seconds: f64, precise: bool, requests: u64, wall_seconds: f64) -> Option<Cpu> {
    if requests == 0 || wall_seconds <= 0.0 {
        return None;
    }
    Some(Cpu {
        seconds,
        us_per_request: seconds * 1e6 / requests as f64,
        core_percent: seconds * 100.0 / wall_seconds,
        precise,
    })
}

/// What a scenario produced.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub scenario: Scenario,
    /// "ok", or why there are no figures ("skipped: ...", "failed: ...").
    pub status: String,
    pub load: Option<LoadRun>,
    /// Versus `baseline`.
    pub added: Option<Added>,
    pub baseline: Option<String>,
    /// The gateway (Switchboard or LiteLLM); none for direct runs.
    pub gateway_cpu: Option<Cpu>,
    /// The fake upstream.
    pub upstream_cpu: Option<Cpu>,
    /// Gateway CPU per request over the upstream's.
    pub cpu_ratio: Option<f64>,
    /// Replicas: what Redis and PostgreSQL spent for them (not in `gateway_cpu`).
    pub services_cpu: Option<Cpu>,
    pub rss_idle_mb: Option<f64>,
    /// The idle RSS split: heap and other anonymous memory, and file-backed pages (the binary
    /// and libraries).
    pub rss_idle_anon_mb: Option<f64>,
    pub rss_idle_file_mb: Option<f64>,
    pub rss_peak_mb: Option<f64>,
    /// Busy share of each core over the window, percent (all processes on the machine).
    pub core_busy_percent: Vec<f64>,
    /// CPU that other processes on the machine used during the measured run, percent of one
    /// core, and the largest users (`name: percent`).
    pub foreign_cpu_percent: Option<f64>,
    pub foreign_top: Vec<String>,
    /// Rows in Switchboard's `spend_logs` after the scenario (probe, warm-up and measured
    /// requests), when the `sqlite3` command is there to count them.
    pub spend_rows: Option<u64>,
    /// Other processes used more than a little CPU, or a compiler ran: the figures are suspect.
    pub noisy: bool,
}

impl Outcome {
    pub fn empty(scenario: Scenario, status: impl Into<String>) -> Outcome {
        Outcome {
            scenario,
            status: status.into(),
            load: None,
            added: None,
            baseline: None,
            gateway_cpu: None,
            upstream_cpu: None,
            services_cpu: None,
            cpu_ratio: None,
            rss_idle_mb: None,
            rss_idle_anon_mb: None,
            rss_idle_file_mb: None,
            rss_peak_mb: None,
            core_busy_percent: Vec::new(),
            foreign_cpu_percent: None,
            foreign_top: Vec::new(),
            spend_rows: None,
            noisy: false,
        }
    }

    pub fn ok(&self) -> bool {
        self.status == "ok"
    }
}

/// A figure with `decimals`, or `-` when there is none.
pub(crate) fn f(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".to_owned(),
    }
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:+.3}"),
        _ => "-".to_owned(),
    }
}

const HEADERS: [&str; 16] = [
    "scenario",
    "rate",
    "req/s",
    "errors",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "+p50 ms",
    "+p90 ms",
    "+p99 ms",
    "gw µs/req",
    "up µs/req",
    "gw/up",
    "gw core%",
    "RSS idle MB",
    "RSS peak MB",
];

fn row(o: &Outcome) -> Vec<String> {
    let mut name = o.scenario.name.clone();
    if o.noisy {
        name.push_str(" (noisy)");
    }
    if !o.ok() {
        let mut r = vec![name, o.scenario.rate_label(), o.status.clone()];
        r.resize(HEADERS.len(), String::new());
        return r;
    }
    let load = o.load.as_ref();
    vec![
        name,
        o.scenario.rate_label(),
        f(load.map(|l| l.rps), 0),
        load.map_or_else(|| "-".into(), |l| l.errors().to_string()),
        f(load.map(|l| l.p50_ms), 3),
        f(load.map(|l| l.p90_ms), 3),
        f(load.map(|l| l.p99_ms), 3),
        signed(o.added.map(|a| a.p50_ms)),
        signed(o.added.map(|a| a.p90_ms)),
        signed(o.added.map(|a| a.p99_ms)),
        f(o.gateway_cpu.map(|c| c.us_per_request), 1),
        f(o.upstream_cpu.map(|c| c.us_per_request), 1),
        f(o.cpu_ratio, 2),
        f(o.gateway_cpu.map(|c| c.core_percent), 0),
        f(o.rss_idle_mb, 1),
        f(o.rss_peak_mb, 1),
    ]
}

/// A plain-text table for the terminal.
pub fn text_table(outcomes: &[Outcome]) -> String {
    let rows: Vec<Vec<String>> = outcomes.iter().map(row).collect();
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        if !r[2].is_empty() && r[3].is_empty() {
            // A status line spans the figure columns; it does not widen them.
            widths[0] = widths[0].max(r[0].chars().count());
            continue;
        }
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            if i == 0 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        out.push('\n');
    };
    line(&HEADERS.map(String::from), &mut out);
    for r in &rows {
        if !r[2].is_empty() && r[3].is_empty() {
            let _ = writeln!(out, "{:w$}  {:>rw$}  {}", r[0], r[1], r[2], w = widths[0], rw = widths[1]);
        } else {
            line(r, &mut out);
        }
    }
    out
}

/// What the shared servers spent for the replica scenarios, a line each.
pub fn service_lines(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes.iter().filter(|o| o.ok()) {
        if let Some(c) = o.services_cpu {
            let _ = writeln!(
                out,
                "{}: Redis and PostgreSQL used {:.1} µs of CPU per request ({:.0}% of a core) beside the replicas' {}.",
                o.scenario.name,
                c.us_per_request,
                c.core_percent,
                o.gateway_cpu.map_or_else(|| "-".to_owned(), |g| format!("{:.1} µs", g.us_per_request))
            );
        }
    }
    out
}

/// The same table in Markdown.
pub fn markdown_table(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(HEADERS.len()));
    for o in outcomes {
        let mut r = row(o);
        if !o.ok() {
            r[2] = format!("*{}*", o.status);
        }
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out
}

/// One of the targets, checked against this run.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub target: String,
    pub scenario: String,
    pub measured: String,
    /// `None` when the scenario has no figures.
    pub met: Option<bool>,
}

fn find<'a>(outcomes: &'a [Outcome], name: &str) -> Option<&'a Outcome> {
    outcomes.iter().find(|o| o.scenario.name == name && o.ok())
}

/// The targets of the benchmark's issue: with a virtual key, limits and spend logging on.
/// When the virtual-key scenarios could not run, the master-key scenarios stand in (and say so).
pub fn check_targets(outcomes: &[Outcome]) -> Vec<TargetCheck> {
    let vkey = outcomes.iter().any(|o| o.scenario.auth == Auth::VirtualKey && o.ok());
    let prefix = if vkey { "switchboard-vkey" } else { "switchboard" };
    let stand_in = if vkey { "" } else { " (master key: no virtual-key figures)" };
    let name = |rest: &str| format!("{prefix}-{rest}");
    let mut checks = Vec::new();

    for (rest, label) in
        [("openai-2000", "non-streaming, 2,000 req/s"), ("openai-stream-1000", "streaming, 1,000 req/s")]
    {
        let scenario = name(rest);
        let o = find(outcomes, &scenario);
        let ratio = o.and_then(|o| o.cpu_ratio);
        checks.push(TargetCheck {
            target: format!("gateway CPU/request ≤ 3× the upstream's, {label}{stand_in}"),
            measured: match (o, ratio) {
                (Some(o), Some(r)) => format!(
                    "{r:.2}× ({:.1} µs vs {:.1} µs)",
                    o.gateway_cpu.map_or(f64::NAN, |c| c.us_per_request),
                    o.upstream_cpu.map_or(f64::NAN, |c| c.us_per_request)
                ),
                _ => "not measured".into(),
            },
            met: ratio.map(|r| r <= 3.0),
            scenario,
        });
    }

    let scenario = name("openai-max");
    let o = find(outcomes, &scenario);
    let rps = o.and_then(|o| o.load.as_ref()).map(|l| l.rps);
    let gw = o.and_then(|o| o.gateway_cpu);
    checks.push(TargetCheck {
        target: format!("≥ 20,000 req/s on one pinned core{stand_in}"),
        measured: match (rps, gw) {
            (Some(rps), Some(c)) => format!(
                "{rps:.0} req/s with the gateway core {:.0}% busy ({:.0} req/s per full core at {:.1} µs/req)",
                c.core_percent,
                1e6 / c.us_per_request,
                c.us_per_request
            ),
            (Some(rps), None) => format!("{rps:.0} req/s"),
            _ => "not measured".into(),
        },
        met: rps.map(|r| r >= 20_000.0),
        scenario,
    });

    let scenario = name("openai-1000");
    let added = find(outcomes, &scenario).and_then(|o| o.added);
    checks.push(TargetCheck {
        target: format!("added p99 ≤ 0.3 ms at 1,000 req/s{stand_in}"),
        measured: added.map_or_else(
            || "not measured".into(),
            |a| format!("{:+.3} ms (p50 {:+.3}, p90 {:+.3})", a.p99_ms, a.p50_ms, a.p90_ms),
        ),
        met: added.map(|a| a.p99_ms <= 0.3),
        scenario,
    });

    let group: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.ok() && o.scenario.target == Target::Switchboard && o.scenario.name.starts_with(prefix))
        .filter(|o| vkey || o.scenario.auth == Auth::MasterKey)
        .collect();
    let max = |pick: fn(&Outcome) -> Option<f64>| {
        group.iter().filter_map(|o| pick(o)).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let scope = format!("{prefix}-* (largest)");
    let idle = max(|o| o.rss_idle_mb);
    checks.push(TargetCheck {
        target: format!("RSS ≤ 25 MB idle{stand_in}"),
        scenario: scope.clone(),
        measured: idle.map_or_else(|| "not measured".into(), |v| format!("{v:.1} MB")),
        met: idle.map(|v| v <= 25.0),
    });
    let peak = max(|o| o.rss_peak_mb);
    checks.push(TargetCheck {
        target: format!("RSS ≤ 60 MB under load{stand_in}"),
        scenario: scope,
        measured: peak.map_or_else(|| "not measured".into(), |v| format!("{v:.1} MB")),
        met: peak.map(|v| v <= 60.0),
    });
    checks
}

pub fn targets_text(checks: &[TargetCheck]) -> String {
    let mut out = String::new();
    for c in checks {
        let verdict = match c.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "n/a   ",
        };
        let _ = writeln!(out, "  [{verdict}] {}: {} [{}]", c.target, c.measured, c.scenario);
    }
    out
}

/// LiteLLM against Switchboard on the same scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub figure: String,
    pub switchboard: f64,
    pub litellm: f64,
    /// LiteLLM over Switchboard (or Switchboard over LiteLLM for throughput: "how many times more").
    pub times: f64,
}

pub fn litellm_ratios(outcomes: &[Outcome], rate: u32) -> Vec<Ratio> {
    let mut out = Vec::new();
    let sb_fixed = find(outcomes, &format!("switchboard-openai-{rate}"));
    let ll_fixed = find(outcomes, &format!("litellm-openai-{rate}"));
    let sb_max = find(outcomes, "switchboard-openai-max");
    let ll_max = find(outcomes, "litellm-openai-max");
    let mut push = |figure: String, sb: Option<f64>, ll: Option<f64>, inverse: bool| {
        // A ratio needs two positive figures (an added latency within the noise is not one).
        if let (Some(sb), Some(ll)) = (sb, ll)
            && sb > 0.0
            && ll > 0.0
        {
            let times = if inverse { sb / ll } else { ll / sb };
            out.push(Ratio { figure, switchboard: sb, litellm: ll, times });
        }
    };
    push(
        format!("gateway CPU µs/request at {rate} req/s (LiteLLM ÷ Switchboard)"),
        sb_fixed.and_then(|o| o.gateway_cpu).map(|c| c.us_per_request),
        ll_fixed.and_then(|o| o.gateway_cpu).map(|c| c.us_per_request),
        false,
    );
    push(
        format!("added p50 ms at {rate} req/s (LiteLLM ÷ Switchboard)"),
        sb_fixed.and_then(|o| o.added).map(|a| a.p50_ms),
        ll_fixed.and_then(|o| o.added).map(|a| a.p50_ms),
        false,
    );
    push(
        format!("added p99 ms at {rate} req/s (LiteLLM ÷ Switchboard)"),
        sb_fixed.and_then(|o| o.added).map(|a| a.p99_ms),
        ll_fixed.and_then(|o| o.added).map(|a| a.p99_ms),
        false,
    );
    push(
        "max req/s on one core (Switchboard ÷ LiteLLM)".into(),
        sb_max.and_then(|o| o.load.as_ref()).map(|l| l.rps),
        ll_max.and_then(|o| o.load.as_ref()).map(|l| l.rps),
        true,
    );
    push(
        "RSS idle MB (LiteLLM ÷ Switchboard)".into(),
        sb_fixed.and_then(|o| o.rss_idle_mb),
        ll_fixed.and_then(|o| o.rss_idle_mb),
        false,
    );
    push(
        "RSS peak MB (LiteLLM ÷ Switchboard)".into(),
        sb_max.and_then(|o| o.rss_peak_mb),
        ll_max.and_then(|o| o.rss_peak_mb),
        false,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn run(rps: f64, p50: f64, p90: f64, p99: f64) -> LoadRun {
        LoadRun {
            seconds: 10.0,
            responses: (rps * 10.0) as u64,
            ok: (rps * 10.0) as u64,
            non_2xx: BTreeMap::new(),
            transport_errors: BTreeMap::new(),
            aborted_at_deadline: 0,
            rps,
            p50_ms: p50,
            p90_ms: p90,
            p99_ms: p99,
            p999_ms: p99,
            max_ms: p99,
        }
    }

    #[test]
    fn names_and_baselines() {
        let s = Scenario::new(Target::Switchboard, Upstream::Bedrock, true, Some(1000), Auth::VirtualKey);
        assert_eq!(s.name, "switchboard-vkey-bedrock-stream-1000");
        assert_eq!(s.baseline().name, "direct-bedrock-stream-1000");
        let s =
            Scenario::new(Target::Switchboard, Upstream::Openai, false, None, Auth::MasterKey).with_log_level("info");
        assert_eq!(s.name, "switchboard-openai-max-log-info");
        assert_eq!(s.baseline().name, "direct-openai-max");
    }

    #[test]
    fn added_latency_is_a_difference_of_percentiles() {
        let a = added_latency(&run(2000.0, 0.50, 0.70, 1.20), &run(2000.0, 0.30, 0.40, 0.80));
        assert!((a.p50_ms - 0.20).abs() < 1e-12);
        assert!((a.p90_ms - 0.30).abs() < 1e-12);
        assert!((a.p99_ms - 0.40).abs() < 1e-12);
        // Noise can make it negative; it is reported as measured.
        let a = added_latency(&run(2000.0, 0.29, 0.4, 0.8), &run(2000.0, 0.30, 0.4, 0.8));
        assert!(a.p50_ms < 0.0);
    }

    #[test]
    fn cpu_per_request() {
        let c = cpu(1.0, true, 20_000, 10.0).unwrap();
        assert_eq!(c.us_per_request, 50.0);
        assert_eq!(c.core_percent, 10.0);
        assert!(cpu(1.0, true, 0, 10.0).is_none());
    }

    fn outcome(s: Scenario, load: LoadRun, gw_us: f64, up_us: f64, added_p99: f64) -> Outcome {
        let mut o = Outcome::empty(s, "ok");
        o.gateway_cpu = cpu(gw_us * load.responses as f64 / 1e6, true, load.responses, load.seconds);
        o.upstream_cpu = cpu(up_us * load.responses as f64 / 1e6, true, load.responses, load.seconds);
        o.cpu_ratio = Some(gw_us / up_us);
        o.added = Some(Added { p50_ms: 0.1, p90_ms: 0.1, p99_ms: added_p99 });
        o.rss_idle_mb = Some(12.0);
        o.rss_peak_mb = Some(30.0);
        o.load = Some(load);
        o
    }

    #[test]
    fn targets_use_virtual_key_figures_when_there_are_some() {
        let vk = |stream, rate| Scenario::new(Target::Switchboard, Upstream::Openai, stream, rate, Auth::VirtualKey);
        let outcomes = vec![
            outcome(vk(false, Some(2000)), run(2000.0, 0.5, 0.6, 0.9), 40.0, 10.0, 0.2),
            outcome(vk(true, Some(1000)), run(1000.0, 0.5, 0.6, 0.9), 20.0, 10.0, 0.2),
            outcome(vk(false, None), run(25_000.0, 2.0, 3.0, 4.0), 38.0, 10.0, 1.0),
            outcome(vk(false, Some(1000)), run(1000.0, 0.5, 0.6, 0.9), 40.0, 10.0, 0.35),
        ];
        let checks = check_targets(&outcomes);
        let met: Vec<Option<bool>> = checks.iter().map(|c| c.met).collect();
        assert_eq!(met, [Some(false), Some(true), Some(true), Some(false), Some(true), Some(true)]);
        assert!(checks.iter().all(|c| !c.target.contains("master key")));
        let table = text_table(&outcomes);
        assert!(table.contains("switchboard-vkey-openai-2000"));
        assert!(markdown_table(&outcomes).lines().count() == 2 + outcomes.len());
    }

    #[test]
    fn skipped_scenarios_are_listed_not_measured() {
        let s = Scenario::new(Target::Switchboard, Upstream::Openai, false, Some(2000), Auth::VirtualKey);
        let outcomes = vec![Outcome::empty(s, "skipped: gateway has no /key/generate yet")];
        assert!(text_table(&outcomes).contains("skipped: gateway has no /key/generate yet"));
        let checks = check_targets(&outcomes);
        assert!(checks.iter().all(|c| c.met.is_none()));
        assert!(checks[0].target.contains("master key"));
    }
}
