//! LiteLLM's Prometheus metrics, under LiteLLM's names and labels so that its dashboards and
//! alerts work unchanged. Counters are exposed with the `_total` suffix, as Python's
//! `prometheus_client` writes them.
//!
//! A call updates its series when it ends (a few atomic adds after one map look-up each);
//! budgets, limits and deployment states are read from the live registry when Prometheus
//! scrapes, so the request path pays nothing for them.

use std::hash::Hasher;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

use prometheus::proto::MetricFamily;
use prometheus::{
    Counter, CounterVec, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts,
    Registry, TextEncoder,
};

/// LiteLLM's `LATENCY_BUCKETS` (seconds).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0,
    7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 15.0, 20.0, 25.0, 30.0, 60.0, 120.0, 180.0, 240.0, 300.0,
];

const PROXY_REQUEST: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "requested_model",
    "team",
    "team_alias",
    "user",
    "status_code",
    "route",
];
const PROXY_FAILURE: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "requested_model",
    "team",
    "team_alias",
    "user",
    "exception_status",
    "exception_class",
    "route",
];
const CALL: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "model",
    "team",
    "team_alias",
    "user",
    "requested_model",
    "model_id",
];
const SPEND: &[&str] =
    &["end_user", "hashed_api_key", "api_key_alias", "model", "team", "team_alias", "user", "model_id"];
const DEPLOYMENT_CALL: &[&str] = &[
    "requested_model",
    "litellm_model_name",
    "model_id",
    "api_base",
    "api_provider",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
];
const DEPLOYMENT_FAILURE: &[&str] = &[
    "requested_model",
    "litellm_model_name",
    "model_id",
    "api_base",
    "api_provider",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
    "exception_status",
    "exception_class",
];
const DEPLOYMENT: &[&str] = &["litellm_model_name", "model_id", "api_base", "api_provider"];
const COOLDOWN: &[&str] = &["litellm_model_name", "model_id", "api_base", "api_provider", "exception_status"];
const OVERHEAD: &[&str] =
    &["model_group", "api_provider", "api_base", "litellm_model_name", "hashed_api_key", "api_key_alias", "model_id"];
const PER_TOKEN: &[&str] = &[
    "litellm_model_name",
    "model_id",
    "api_base",
    "api_provider",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
];
const FALLBACK: &[&str] = &[
    "requested_model",
    "fallback_model",
    "hashed_api_key",
    "api_key_alias",
    "team",
    "team_alias",
    "exception_status",
    "exception_class",
];
const REMAINING_FOR_MODEL: &[&str] = &["hashed_api_key", "api_key_alias", "model", "model_id"];

/// Who made a call and what it was for: the label values a call's series share.
#[derive(Debug, Default, Clone, Copy)]
pub struct CallLabels<'a> {
    pub end_user: &'a str,
    pub hashed_api_key: &'a str,
    pub api_key_alias: &'a str,
    pub team: &'a str,
    pub team_alias: &'a str,
    pub user: &'a str,
    /// The model group the client asked for.
    pub requested_model: &'a str,
}

/// The deployment a call (or attempt) went to.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeploymentLabels<'a> {
    /// `litellm_params.model`, e.g. `bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0`.
    pub litellm_model_name: &'a str,
    pub model_id: &'a str,
    pub api_base: &'a str,
    pub api_provider: &'a str,
}

/// How a finished call that reached a deployment went.
#[derive(Debug, Default, Clone, Copy)]
pub struct CallOutcome {
    pub status: u16,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub spend: f64,
    /// From the request's arrival to its last byte.
    pub total_latency: Duration,
    /// The answering upstream call, to its last byte.
    pub llm_latency: Option<Duration>,
    /// To the first streamed byte of the answering upstream call.
    pub time_to_first_token: Option<Duration>,
    /// Time spent in the gateway rather than waiting on upstreams.
    pub overhead: Option<Duration>,
    /// Requests and tokens the key may still use this minute, when it has such limits.
    pub remaining: Option<(Option<u64>, Option<u64>)>,
}

/// Gauges computed when Prometheus scrapes, from the live state.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub teams: Vec<BudgetGauge>,
    pub keys: Vec<BudgetGauge>,
    pub users: Vec<BudgetGauge>,
    pub deployments: Vec<DeploymentGauge>,
    /// With rate limits shared through Redis: whether it answers, and the calls limited by this
    /// replica alone while it did not.
    pub redis: Option<RedisGauge>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct RedisGauge {
    pub up: bool,
    pub fallbacks: u64,
}

/// One entity's budget: labels (`team`/`team_alias`, `hashed_api_key`/`api_key_alias`, `user`).
#[derive(Debug, Default)]
pub struct BudgetGauge {
    pub id: String,
    pub alias: String,
    pub max_budget: f64,
    pub spend: f64,
    /// Hours until the budget resets, when it does.
    pub hours_to_reset: Option<f64>,
}

#[derive(Debug, Default)]
pub struct DeploymentGauge {
    pub litellm_model_name: String,
    pub model_id: String,
    pub api_base: String,
    pub api_provider: String,
    /// LiteLLM's states: 0 healthy, 1 partial outage, 2 complete outage (cooling down).
    pub state: u8,
    pub rpm_limit: Option<u64>,
    pub tpm_limit: Option<u64>,
}

/// LiteLLM's exception class for an HTTP status, as its exceptions name it.
pub fn exception_class(status: u16) -> &'static str {
    match status {
        400 => "BadRequestError",
        401 => "AuthenticationError",
        403 => "PermissionDeniedError",
        404 => "NotFoundError",
        408 => "Timeout",
        413 => "BadRequestError",
        422 => "UnprocessableEntityError",
        429 => "RateLimitError",
        503 => "ServiceUnavailableError",
        500 => "InternalServerError",
        _ => "APIError",
    }
}

pub struct Metrics {
    registry: Registry,
    proxy_total: IntCounterVec,
    proxy_failed: IntCounterVec,
    requests: IntCounterVec,
    llm_failed: IntCounterVec,
    spend: CounterVec,
    total_tokens: IntCounterVec,
    input_tokens: IntCounterVec,
    output_tokens: IntCounterVec,
    total_latency: HistogramVec,
    llm_latency: HistogramVec,
    time_to_first_token: HistogramVec,
    overhead: HistogramVec,
    latency_per_output_token: HistogramVec,
    deployment_total: IntCounterVec,
    deployment_success: IntCounterVec,
    deployment_failure: IntCounterVec,
    deployment_cooled_down: IntCounterVec,
    successful_fallbacks: IntCounterVec,
    failed_fallbacks: IntCounterVec,
    remaining_requests_for_model: GaugeVec,
    remaining_tokens_for_model: GaugeVec,
    /// Each caller and deployment's series, by a hash of their label values.
    series: RwLock<FxHashMap<u64, Vec<KeptSeries>>>,
}

/// A caller and deployment's label values and their series.
type KeptSeries = (Vec<String>, CallSeries);

/// The series of one caller's calls to one deployment through one route, found once per call.
#[derive(Clone)]
pub struct CallSeries(Arc<Series>);

/// The series a call that reached a deployment updates.
struct Series {
    requests: IntCounter,
    llm_failed: IntCounter,
    spend: Counter,
    total_tokens: IntCounter,
    input_tokens: IntCounter,
    output_tokens: IntCounter,
    total_latency: Histogram,
    llm_latency: Histogram,
    time_to_first_token: Histogram,
    overhead: Histogram,
    latency_per_output_token: Histogram,
    deployment_total: IntCounter,
    deployment_success: IntCounter,
    /// `litellm_proxy_total_requests_metric` of this caller's answered calls (status 200).
    answered: IntCounter,
    /// Made with the series when the key has a request (token) limit then.
    remaining_requests: Option<Gauge>,
    remaining_tokens: Option<Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, prometheus::Error> {
    let c = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(c.clone()))?;
    Ok(c)
}

fn histogram(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<HistogramVec, prometheus::Error> {
    let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()), labels)?;
    registry.register(Box::new(h.clone()))?;
    Ok(h)
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<GaugeVec, prometheus::Error> {
    let g = GaugeVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let r = Registry::new();
        let spend = CounterVec::new(Opts::new("litellm_spend_metric_total", "Total spend on LLM requests"), SPEND)?;
        r.register(Box::new(spend.clone()))?;
        Ok(Metrics {
            proxy_total: counter(
                &r,
                "litellm_proxy_total_requests_metric_total",
                "Total number of requests made to the proxy server - track number of client side requests",
                PROXY_REQUEST,
            )?,
            proxy_failed: counter(
                &r,
                "litellm_proxy_failed_requests_metric_total",
                "Total number of failed responses from proxy - the client did not get a success response from litellm proxy",
                PROXY_FAILURE,
            )?,
            requests: counter(&r, "litellm_requests_metric_total", "Total number of LLM calls to litellm", SPEND)?,
            llm_failed: counter(
                &r,
                "litellm_llm_api_failed_requests_metric_total",
                "Total number of failed LLM API calls via litellm",
                SPEND,
            )?,
            spend,
            total_tokens: counter(
                &r,
                "litellm_total_tokens_metric_total",
                "Total number of input + output tokens from LLM requests",
                CALL,
            )?,
            input_tokens: counter(
                &r,
                "litellm_input_tokens_metric_total",
                "Total number of input tokens from LLM requests",
                CALL,
            )?,
            output_tokens: counter(
                &r,
                "litellm_output_tokens_metric_total",
                "Total number of output tokens from LLM requests",
                CALL,
            )?,
            total_latency: histogram(
                &r,
                "litellm_request_total_latency_metric",
                "Total latency (seconds) for a request to LiteLLM",
                CALL,
            )?,
            llm_latency: histogram(
                &r,
                "litellm_llm_api_latency_metric",
                "Total latency (seconds) for a models LLM API call",
                CALL,
            )?,
            time_to_first_token: histogram(
                &r,
                "litellm_llm_api_time_to_first_token_metric",
                "Time to first token for a models LLM API call",
                CALL,
            )?,
            overhead: histogram(
                &r,
                "litellm_overhead_latency_metric",
                "Latency overhead (seconds) added by the gateway's own processing",
                OVERHEAD,
            )?,
            latency_per_output_token: histogram(
                &r,
                "litellm_deployment_latency_per_output_token",
                "LLM Deployment Analytics - Latency per output token",
                PER_TOKEN,
            )?,
            deployment_total: counter(
                &r,
                "litellm_deployment_total_requests_total",
                "LLM Deployment Analytics - Total number of LLM API calls via litellm - success + failure",
                DEPLOYMENT_CALL,
            )?,
            deployment_success: counter(
                &r,
                "litellm_deployment_success_responses_total",
                "LLM Deployment Analytics - Total number of successful LLM API calls via litellm",
                DEPLOYMENT_CALL,
            )?,
            deployment_failure: counter(
                &r,
                "litellm_deployment_failure_responses_total",
                "LLM Deployment Analytics - Total number of failed LLM API calls for a specific LLM deploymeny. exception_status is the status of the exception from the llm api",
                DEPLOYMENT_FAILURE,
            )?,
            deployment_cooled_down: counter(
                &r,
                "litellm_deployment_cooled_down_total",
                "LLM Deployment Analytics - Number of times a deployment has been cooled down by LiteLLM load balancing logic. exception_status is the status of the exception that caused the deployment to be cooled down",
                COOLDOWN,
            )?,
            successful_fallbacks: counter(
                &r,
                "litellm_deployment_successful_fallbacks_total",
                "LLM Deployment Analytics - Number of successful fallback requests from primary model -> fallback model",
                FALLBACK,
            )?,
            failed_fallbacks: counter(
                &r,
                "litellm_deployment_failed_fallbacks_total",
                "LLM Deployment Analytics - Number of failed fallback requests from primary model -> fallback model",
                FALLBACK,
            )?,
            remaining_requests_for_model: gauge(
                &r,
                "litellm_remaining_api_key_requests_for_model",
                "Remaining Requests API Key can make for model (model based rpm limit on key)",
                REMAINING_FOR_MODEL,
            )?,
            remaining_tokens_for_model: gauge(
                &r,
                "litellm_remaining_api_key_tokens_for_model",
                "Remaining Tokens API Key can make for model (model based tpm limit on key)",
                REMAINING_FOR_MODEL,
            )?,
            registry: r,
            series: RwLock::default(),
        })
    }

    /// A request to an LLM route ended with `status`, whether or not a deployment saw it.
    pub fn proxy_request(&self, call: &CallLabels<'_>, route: &str, status: u16) {
        // One series per route whichever prefix the client used.
        let route = route.strip_prefix("/v1").unwrap_or(route);
        let status_text = itoa_u16(status);
        let status_text = status_text.as_str();
        if let Ok(m) = self.proxy_total.get_metric_with_label_values(&proxy_labels(call, status_text, route)) {
            m.inc();
        }
        let [e, k, a, m, t, ta, u, _, _] = proxy_labels(call, status_text, route);
        if status >= 400
            && let Ok(failed) = self.proxy_failed.get_metric_with_label_values(&[
                e,
                k,
                a,
                m,
                t,
                ta,
                u,
                status_text,
                exception_class(status),
                route,
            ])
        {
            failed.inc();
        }
    }

    /// One attempt on a deployment failed with `status`.
    pub fn attempt_failed(&self, call: &CallLabels<'_>, d: &DeploymentLabels<'_>, status: u16) {
        let labels = deployment_call_labels(call, d);
        if let Ok(m) = self.deployment_total.get_metric_with_label_values(&labels) {
            m.inc();
        }
        let status_text = itoa_u16(status);
        let [a, b, c, d2, e, f, g, h, i] = labels;
        if let Ok(m) = self.deployment_failure.get_metric_with_label_values(&[
            a,
            b,
            c,
            d2,
            e,
            f,
            g,
            h,
            i,
            status_text.as_str(),
            exception_class(status),
        ]) {
            m.inc();
        }
    }

    /// One attempt on a deployment answered. Its series come back, for the call's end.
    pub fn attempt_answered(
        &self,
        call: &CallLabels<'_>,
        d: &DeploymentLabels<'_>,
        model_group: &str,
        route: &str,
        limits: (bool, bool),
    ) -> Option<CallSeries> {
        let series = self.series(call, d, model_group, route, limits)?;
        series.0.deployment_total.inc();
        series.0.deployment_success.inc();
        Some(series)
    }

    /// The router cooled a deployment down after a failure with `status`.
    pub fn cooled_down(&self, d: &DeploymentLabels<'_>, status: u16) {
        let status_text = itoa_u16(status);
        if let Ok(m) = self.deployment_cooled_down.get_metric_with_label_values(&[
            d.litellm_model_name,
            d.model_id,
            d.api_base,
            d.api_provider,
            status_text.as_str(),
        ]) {
            m.inc();
        }
    }

    /// A fallback from `call.requested_model` to `fallback_model`, after a failure with `status`.
    pub fn fallback(&self, call: &CallLabels<'_>, fallback_model: &str, status: u16, succeeded: bool) {
        let status_text = itoa_u16(status);
        let vec = if succeeded { &self.successful_fallbacks } else { &self.failed_fallbacks };
        if let Ok(m) = vec.get_metric_with_label_values(&[
            call.requested_model,
            fallback_model,
            call.hashed_api_key,
            call.api_key_alias,
            call.team,
            call.team_alias,
            status_text.as_str(),
            exception_class(status),
        ]) {
            m.inc();
        }
    }

    /// A call that reached a deployment ended (through `route`). `answered` are the series its
    /// answering attempt was given, when one answered (they are looked up otherwise).
    pub fn call(
        &self,
        call: &CallLabels<'_>,
        d: &DeploymentLabels<'_>,
        model_group: &str,
        route: &str,
        outcome: &CallOutcome,
        answered: Option<&CallSeries>,
    ) {
        let limits = outcome.remaining.map(|(r, t)| (r.is_some(), t.is_some())).unwrap_or_default();
        let looked_up = if answered.is_none() { self.series(call, d, model_group, route, limits) } else { None };
        let Some(CallSeries(series)) = answered.or(looked_up.as_ref()) else { return };
        if outcome.status == 200 {
            series.answered.inc();
        } else {
            self.proxy_request(call, route, outcome.status);
        }
        if let Some((requests, tokens)) = outcome.remaining {
            let cached = (requests.is_none() || series.remaining_requests.is_some())
                && (tokens.is_none() || series.remaining_tokens.is_some());
            if cached {
                for (left, gauge) in [(requests, &series.remaining_requests), (tokens, &series.remaining_tokens)] {
                    if let (Some(n), Some(g)) = (left, gauge) {
                        g.set(n as f64);
                    }
                }
            } else {
                // Limits given to the key after its series were made.
                self.remaining_for_model(call, d.model_id, requests, tokens);
            }
        }
        series.requests.inc();
        if outcome.status >= 400 {
            series.llm_failed.inc();
        }
        if outcome.spend > 0.0 {
            series.spend.inc_by(outcome.spend);
        }
        if outcome.input_tokens + outcome.output_tokens > 0 {
            series.total_tokens.inc_by(outcome.input_tokens + outcome.output_tokens);
            series.input_tokens.inc_by(outcome.input_tokens);
            series.output_tokens.inc_by(outcome.output_tokens);
        }
        series.total_latency.observe(outcome.total_latency.as_secs_f64());
        if outcome.status < 400 {
            if let Some(latency) = outcome.llm_latency {
                series.llm_latency.observe(latency.as_secs_f64());
                if outcome.output_tokens > 0 {
                    series.latency_per_output_token.observe(latency.as_secs_f64() / outcome.output_tokens as f64);
                }
            }
            if let Some(ttft) = outcome.time_to_first_token {
                series.time_to_first_token.observe(ttft.as_secs_f64());
            }
        }
        if let Some(overhead) = outcome.overhead {
            series.overhead.observe(overhead.as_secs_f64());
        }
    }

    /// The series of one caller's calls to one deployment: one look-up per call instead of one
    /// per series (each of those hashes every label value again).
    fn series(
        &self,
        c: &CallLabels<'_>,
        d: &DeploymentLabels<'_>,
        model_group: &str,
        route: &str,
        limits: (bool, bool),
    ) -> Option<CallSeries> {
        let route = route.strip_prefix("/v1").unwrap_or(route);
        let values = [
            c.end_user,
            c.hashed_api_key,
            c.api_key_alias,
            c.team,
            c.team_alias,
            c.user,
            c.requested_model,
            model_group,
            d.litellm_model_name,
            d.model_id,
            d.api_base,
            d.api_provider,
            route,
        ];
        let hash = series_hash(&values);
        let same = |(kept, _): &&KeptSeries| kept.iter().map(String::as_str).eq(values);
        if let Some((_, series)) = self.series.read().get(&hash).and_then(|bucket| bucket.iter().find(same)) {
            return Some(series.clone());
        }
        let series = CallSeries(Arc::new(self.make_series(c, d, model_group, route, limits).ok()?));
        let mut all = self.series.write();
        let bucket = all.entry(hash).or_default();
        if let Some((_, found)) = bucket.iter().find(same) {
            return Some(found.clone());
        }
        bucket.push((values.iter().map(|v| v.to_string()).collect(), series.clone()));
        Some(series)
    }

    fn make_series(
        &self,
        c: &CallLabels<'_>,
        d: &DeploymentLabels<'_>,
        model_group: &str,
        route: &str,
        (rpm_limited, tpm_limited): (bool, bool),
    ) -> Result<Series, prometheus::Error> {
        let remaining = [c.hashed_api_key, c.api_key_alias, c.requested_model, d.model_id];
        let spend = [
            c.end_user,
            c.hashed_api_key,
            c.api_key_alias,
            d.litellm_model_name,
            c.team,
            c.team_alias,
            c.user,
            d.model_id,
        ];
        let call = [
            c.end_user,
            c.hashed_api_key,
            c.api_key_alias,
            d.litellm_model_name,
            c.team,
            c.team_alias,
            c.user,
            c.requested_model,
            d.model_id,
        ];
        let deployment = deployment_call_labels(c, d);
        Ok(Series {
            requests: self.requests.get_metric_with_label_values(&spend)?,
            llm_failed: self.llm_failed.get_metric_with_label_values(&spend)?,
            spend: self.spend.get_metric_with_label_values(&spend)?,
            total_tokens: self.total_tokens.get_metric_with_label_values(&call)?,
            input_tokens: self.input_tokens.get_metric_with_label_values(&call)?,
            output_tokens: self.output_tokens.get_metric_with_label_values(&call)?,
            total_latency: self.total_latency.get_metric_with_label_values(&call)?,
            llm_latency: self.llm_latency.get_metric_with_label_values(&call)?,
            time_to_first_token: self.time_to_first_token.get_metric_with_label_values(&call)?,
            overhead: self.overhead.get_metric_with_label_values(&[
                model_group,
                d.api_provider,
                d.api_base,
                d.litellm_model_name,
                c.hashed_api_key,
                c.api_key_alias,
                d.model_id,
            ])?,
            latency_per_output_token: self.latency_per_output_token.get_metric_with_label_values(&[
                d.litellm_model_name,
                d.model_id,
                d.api_base,
                d.api_provider,
                c.hashed_api_key,
                c.api_key_alias,
                c.team,
                c.team_alias,
            ])?,
            deployment_total: self.deployment_total.get_metric_with_label_values(&deployment)?,
            deployment_success: self.deployment_success.get_metric_with_label_values(&deployment)?,
            answered: self.proxy_total.get_metric_with_label_values(&proxy_labels(c, "200", route))?,
            remaining_requests: match rpm_limited {
                true => Some(self.remaining_requests_for_model.get_metric_with_label_values(&remaining)?),
                false => None,
            },
            remaining_tokens: match tpm_limited {
                true => Some(self.remaining_tokens_for_model.get_metric_with_label_values(&remaining)?),
                false => None,
            },
        })
    }

    /// What a key with request or token limits may still do this minute, after a call to
    /// `model` (LiteLLM reports it per model; a key-wide limit applies to every model).
    pub fn remaining_for_model(
        &self,
        call: &CallLabels<'_>,
        model_id: &str,
        requests: Option<u64>,
        tokens: Option<u64>,
    ) {
        let labels = [call.hashed_api_key, call.api_key_alias, call.requested_model, model_id];
        if let Some(n) = requests
            && let Ok(g) = self.remaining_requests_for_model.get_metric_with_label_values(&labels)
        {
            g.set(n as f64);
        }
        if let Some(n) = tokens
            && let Ok(g) = self.remaining_tokens_for_model.get_metric_with_label_values(&labels)
        {
            g.set(n as f64);
        }
    }

    /// Everything, in Prometheus's text format: the call series, then gauges made from `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> Result<String, prometheus::Error> {
        let mut families = self.registry.gather();
        families.extend(snapshot_families(snapshot)?);
        families.sort_by(|a, b| a.name().cmp(b.name()));
        TextEncoder::new().encode_to_string(&families)
    }
}

/// The scrape-time gauges, as metric families of a registry made for this scrape.
fn snapshot_families(s: &Snapshot) -> Result<Vec<MetricFamily>, prometheus::Error> {
    let r = Registry::new();
    let budget = |prefix: &str, what: &str, labels: &[&str], rows: &[BudgetGauge]| -> Result<(), prometheus::Error> {
        let remaining = gauge(
            &r,
            &format!("litellm_remaining_{prefix}_budget_metric"),
            &format!("Remaining budget for {what}"),
            labels,
        )?;
        let max = gauge(
            &r,
            &format!("litellm_{prefix}_max_budget_metric"),
            &format!("Maximum budget set for {what}"),
            labels,
        )?;
        let hours = gauge(
            &r,
            &format!("litellm_{prefix}_budget_remaining_hours_metric"),
            &format!("Remaining hours for {what} budget to be reset"),
            labels,
        )?;
        for row in rows {
            let values: Vec<&str> =
                if labels.len() == 2 { vec![row.id.as_str(), row.alias.as_str()] } else { vec![row.id.as_str()] };
            remaining.get_metric_with_label_values(&values)?.set(row.max_budget - row.spend);
            max.get_metric_with_label_values(&values)?.set(row.max_budget);
            if let Some(h) = row.hours_to_reset {
                hours.get_metric_with_label_values(&values)?.set(h);
            }
        }
        Ok(())
    };
    budget("team", "team", &["team", "team_alias"], &s.teams)?;
    budget("api_key", "api key", &["hashed_api_key", "api_key_alias"], &s.keys)?;
    budget("user", "user", &["user"], &s.users)?;
    let state = gauge(
        &r,
        "litellm_deployment_state",
        "LLM Deployment Analytics - The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage",
        DEPLOYMENT,
    )?;
    let rpm = gauge(&r, "litellm_deployment_rpm_limit", "Deployment RPM limit found in config", DEPLOYMENT)?;
    let tpm = gauge(&r, "litellm_deployment_tpm_limit", "Deployment TPM limit found in config", DEPLOYMENT)?;
    if let Some(redis) = s.redis {
        let up = Gauge::new("switchboard_redis_up", "1 while the Redis that shares rate limits answers, else 0")?;
        up.set(if redis.up { 1.0 } else { 0.0 });
        r.register(Box::new(up))?;
        let fallbacks = IntCounter::new(
            "switchboard_redis_fallbacks_total",
            "Calls whose rate limits this replica decided alone because Redis was away",
        )?;
        fallbacks.inc_by(redis.fallbacks);
        r.register(Box::new(fallbacks))?;
    }
    for d in &s.deployments {
        let labels = [d.litellm_model_name.as_str(), d.model_id.as_str(), d.api_base.as_str(), d.api_provider.as_str()];
        state.get_metric_with_label_values(&labels)?.set(f64::from(d.state));
        if let Some(n) = d.rpm_limit {
            rpm.get_metric_with_label_values(&labels)?.set(n as f64);
        }
        if let Some(n) = d.tpm_limit {
            tpm.get_metric_with_label_values(&labels)?.set(n as f64);
        }
    }
    Ok(r.gather())
}

/// `PROXY_REQUEST`'s values, in its order.
fn proxy_labels<'a>(c: &CallLabels<'a>, status: &'a str, route: &'a str) -> [&'a str; 9] {
    [c.end_user, c.hashed_api_key, c.api_key_alias, c.requested_model, c.team, c.team_alias, c.user, status, route]
}

/// `DEPLOYMENT_CALL`'s values, in its order.
fn deployment_call_labels<'a>(c: &CallLabels<'a>, d: &DeploymentLabels<'a>) -> [&'a str; 9] {
    [
        c.requested_model,
        d.litellm_model_name,
        d.model_id,
        d.api_base,
        d.api_provider,
        c.hashed_api_key,
        c.api_key_alias,
        c.team,
        c.team_alias,
    ]
}

/// FxHash over the label values, a word at a time (with a separator, so that `a`,`bc` and
/// `ab`,`c` differ): a fraction of SipHash's cost for a dozen strings. Collisions are told apart
/// by comparing the values.
fn series_hash(values: &[&str]) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    for value in values {
        hasher.write(value.as_bytes());
        hasher.write_u8(0xff);
    }
    hasher.finish()
}

/// A status code as text without allocating.
fn itoa_u16(n: u16) -> StatusText {
    let mut buf = [0u8; 5];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    StatusText { buf, start: i }
}

struct StatusText {
    buf: [u8; 5],
    start: usize,
}

impl StatusText {
    fn as_str(&self) -> &str {
        self.buf.get(self.start..).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> CallLabels<'static> {
        CallLabels {
            end_user: "",
            hashed_api_key: "88dc28",
            api_key_alias: "ci",
            team: "t1",
            team_alias: "platform",
            user: "",
            requested_model: "claude",
        }
    }

    fn deployment() -> DeploymentLabels<'static> {
        DeploymentLabels {
            litellm_model_name: "bedrock/anthropic.claude",
            model_id: "m1",
            api_base: "",
            api_provider: "bedrock",
        }
    }

    #[test]
    fn a_call_shows_under_litellm_names_with_its_labels() {
        let m = Metrics::new().unwrap();
        m.proxy_request(&call(), "/chat/completions", 200);
        m.proxy_request(&call(), "/chat/completions", 429);
        m.attempt_failed(&call(), &deployment(), 503);
        let answered = m.attempt_answered(&call(), &deployment(), "claude", "/chat/completions", (false, false));
        assert!(answered.is_some());
        let outcome = CallOutcome {
            status: 200,
            input_tokens: 12,
            output_tokens: 30,
            spend: 0.25,
            total_latency: Duration::from_millis(40),
            llm_latency: Some(Duration::from_millis(30)),
            time_to_first_token: Some(Duration::from_millis(7)),
            overhead: Some(Duration::from_micros(300)),
            remaining: Some((Some(7), None)),
        };
        m.call(&call(), &deployment(), "claude", "/chat/completions", &outcome, answered.as_ref());
        let text = m
            .render(&Snapshot {
                teams: vec![BudgetGauge {
                    id: "t1".into(),
                    alias: "platform".into(),
                    max_budget: 10.0,
                    spend: 2.5,
                    hours_to_reset: Some(3.0),
                }],
                deployments: vec![DeploymentGauge { state: 2, model_id: "m1".into(), ..Default::default() }],
                redis: Some(RedisGauge { up: false, fallbacks: 3 }),
                ..Default::default()
            })
            .unwrap();
        assert!(
            text.contains("switchboard_redis_up 0\n") && text.contains("switchboard_redis_fallbacks_total 3\n"),
            "{text}"
        );
        assert!(text.contains(r#"litellm_proxy_total_requests_metric_total{api_key_alias="ci",end_user="",hashed_api_key="88dc28",requested_model="claude",route="/chat/completions",status_code="429",team="t1",team_alias="platform",user=""} 1"#), "{text}");
        assert!(text.contains(r#"exception_class="RateLimitError",exception_status="429""#), "{text}");
        assert!(text.contains(r#"litellm_deployment_failure_responses_total{api_base="",api_key_alias="ci",api_provider="bedrock",exception_class="ServiceUnavailableError",exception_status="503""#), "{text}");
        assert!(text.contains("litellm_spend_metric_total{") && text.contains("} 0.25"), "{text}");
        assert!(
            text.contains(r#"litellm_input_tokens_metric_total{"#)
                && text
                    .contains(r#"model_id="m1",requested_model="claude",team="t1",team_alias="platform",user=""} 12"#),
            "{text}"
        );
        assert!(text.contains("litellm_llm_api_time_to_first_token_metric_bucket{"), "{text}");
        assert!(
            text.contains(r#"litellm_remaining_team_budget_metric{team="t1",team_alias="platform"} 7.5"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"litellm_deployment_state{api_base="",api_provider="",litellm_model_name="",model_id="m1"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE litellm_request_total_latency_metric histogram"), "{text}");
        // Made after the call's series were (without limits then): still reported.
        assert!(text.contains(r#"litellm_remaining_api_key_requests_for_model{api_key_alias="ci",hashed_api_key="88dc28",model="claude",model_id="m1"} 7"#), "{text}");
        assert!(!text.contains("litellm_remaining_api_key_tokens_for_model{"), "no token limit, no gauge: {text}");
        assert!(text.contains(r#"status_code="200",team="t1",team_alias="platform",user=""} 2"#), "{text}");
    }

    #[test]
    fn calls_of_one_caller_share_their_series_and_others_get_their_own() {
        let m = Metrics::new().unwrap();
        let outcome = CallOutcome { status: 200, input_tokens: 1, output_tokens: 2, ..Default::default() };
        m.call(&call(), &deployment(), "claude", "/chat/completions", &outcome, None);
        m.call(&call(), &deployment(), "claude", "/chat/completions", &outcome, None);
        let other = CallLabels { api_key_alias: "other", ..call() };
        m.call(&other, &deployment(), "claude", "/chat/completions", &outcome, None);
        let text = m.render(&Snapshot::default()).unwrap();
        let requests: Vec<&str> = text.lines().filter(|l| l.starts_with("litellm_requests_metric_total{")).collect();
        assert_eq!(requests.len(), 2, "{requests:?}");
        assert!(requests.iter().any(|l| l.contains(r#"api_key_alias="ci""#) && l.ends_with(" 2")), "{requests:?}");
        assert!(requests.iter().any(|l| l.contains(r#"api_key_alias="other""#) && l.ends_with(" 1")), "{requests:?}");
    }

    #[test]
    fn status_codes_print_as_text() {
        for n in [0u16, 7, 42, 200, 429, 65535] {
            assert_eq!(itoa_u16(n).as_str(), n.to_string());
        }
    }
}
