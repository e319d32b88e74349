//! `router_settings` (and the router keys LiteLLM also reads from `litellm_settings`): how a
//! model group picks a deployment, retries, falls back and cools deployments down.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use serde_yaml::Value;

use super::{Section, positive_duration};

/// LiteLLM's default number of retries (`openai.DEFAULT_MAX_RETRIES`).
pub const DEFAULT_NUM_RETRIES: u32 = 2;

/// LiteLLM's `ROUTER_MAX_FALLBACKS`.
pub const DEFAULT_MAX_FALLBACKS: usize = 5;

/// LiteLLM's `DEFAULT_COOLDOWN_TIME_SECONDS`.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(5);

/// `router_settings`.
#[derive(Debug, Clone)]
pub struct RouterSettings {
    /// Retries of a call within its model group (`num_retries`; the request's own wins).
    pub num_retries: Option<u32>,
    pub timeout: Option<Duration>,
    /// `model_group_alias`: another public name for a model group.
    pub model_group_alias: BTreeMap<String, GroupAlias>,
    pub strategy: RoutingStrategy,
    /// `routing_strategy_args.lowest_latency_buffer`: deployments this much slower than the
    /// fastest (0.5 = 50 %) share its traffic.
    pub lowest_latency_buffer: f64,
    pub fallbacks: Fallbacks,
    /// `allowed_fails`: failures per minute a deployment may have before it cools down. Unset,
    /// LiteLLM's current rule applies: more than half of this minute's calls failed.
    pub allowed_fails: Option<u32>,
    pub cooldown_time: Duration,
    pub disable_cooldowns: bool,
    /// `retry_after`: the shortest wait before a retry.
    pub retry_after: Duration,
    pub max_fallbacks: usize,
    /// Where the replicas share their rate limits (`redis_url`, else `redis_host` with
    /// `redis_port` and `redis_password`; else `REDIS_URL`, else `REDIS_HOST`, `REDIS_PORT`,
    /// `REDIS_PASSWORD`), as a `redis://` URL.
    pub redis: Option<SecretString>,
}

impl Default for RouterSettings {
    fn default() -> Self {
        RouterSettings {
            num_retries: None,
            timeout: None,
            model_group_alias: BTreeMap::new(),
            strategy: RoutingStrategy::SimpleShuffle,
            lowest_latency_buffer: 0.0,
            fallbacks: Fallbacks::default(),
            allowed_fails: None,
            cooldown_time: DEFAULT_COOLDOWN,
            disable_cooldowns: false,
            retry_after: Duration::ZERO,
            max_fallbacks: DEFAULT_MAX_FALLBACKS,
            redis: None,
        }
    }
}

/// A `model_group_alias` entry: `alias: group`, or `alias: {model: group, hidden: true}` (served
/// but not listed by `/v1/models`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAlias {
    pub model: String,
    pub hidden: bool,
}

impl<'de> Deserialize<'de> for GroupAlias {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Name(String),
            Full {
                model: String,
                #[serde(default)]
                hidden: bool,
            },
        }
        Ok(match Written::deserialize(deserializer)? {
            Written::Name(model) => GroupAlias { model, hidden: false },
            Written::Full { model, hidden } => GroupAlias { model, hidden },
        })
    }
}

/// LiteLLM's `routing_strategy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutingStrategy {
    /// Weighted random (`weight`, else `rpm`, else `tpm`).
    SimpleShuffle,
    /// The deployment with the fewest calls in flight.
    LeastBusy,
    /// The deployment with the lowest recent latency.
    LatencyBased,
    /// The deployment with the fewest tokens this minute, within its `rpm`/`tpm`.
    UsageBased,
    /// The deployment with the lowest price per token.
    CostBased,
}

impl RoutingStrategy {
    const NAMES: &'static [(&'static str, RoutingStrategy)] = &[
        ("simple-shuffle", RoutingStrategy::SimpleShuffle),
        ("least-busy", RoutingStrategy::LeastBusy),
        ("latency-based-routing", RoutingStrategy::LatencyBased),
        ("usage-based-routing", RoutingStrategy::UsageBased),
        ("usage-based-routing-v2", RoutingStrategy::UsageBased),
        ("cost-based-routing", RoutingStrategy::CostBased),
    ];

    pub fn parse(name: &str) -> Option<RoutingStrategy> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
}

/// Where a model group's calls go when it fails, by kind of failure. Each list maps a group
/// (or `*`, any group) to the groups tried in turn.
#[derive(Debug, Clone, Default)]
pub struct Fallbacks {
    pub generic: Vec<(String, Vec<String>)>,
    pub context_window: Vec<(String, Vec<String>)>,
    pub content_policy: Vec<(String, Vec<String>)>,
    /// `default_fallbacks`: for any group without a generic entry of its own.
    pub default: Vec<String>,
}

impl Fallbacks {
    /// Every group named anywhere, with the setting that names it, for validation.
    pub fn named_groups(&self) -> Vec<(String, &str)> {
        let mut named = Vec::new();
        for (setting, list) in [
            ("fallbacks", &self.generic),
            ("context_window_fallbacks", &self.context_window),
            ("content_policy_fallbacks", &self.content_policy),
        ] {
            for (from, to) in list {
                if from != "*" {
                    named.push((format!("{setting}.{from}"), from.as_str()));
                }
                for target in to {
                    named.push((format!("{setting}.{from}"), target.as_str()));
                }
            }
        }
        for target in &self.default {
            named.push(("default_fallbacks".to_string(), target.as_str()));
        }
        named
    }
}

/// A fallback list as LiteLLM writes it: `[{"group": ["fallback", ...]}, ...]`.
pub fn parse_fallback_list(value: &serde_json::Value) -> Result<Vec<(String, Vec<String>)>, String> {
    let serde_json::Value::Array(items) = value else {
        return Err("must be a list of {model_group: [fallback groups]} mappings".into());
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let serde_json::Value::Object(map) = item else {
            return Err(format!("[{i}]: must be a mapping like {{\"gpt-4o\": [\"claude-sonnet\"]}}"));
        };
        for (from, to) in map {
            let targets = match to {
                serde_json::Value::Array(t) => t
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| format!("[{i}].{from}: names must be strings"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                serde_json::Value::String(s) => vec![s.clone()],
                _ => return Err(format!("[{i}].{from}: must be a list of model group names")),
            };
            out.push((from.clone(), targets));
        }
    }
    Ok(out)
}

/// Router keys LiteLLM accepts in `litellm_settings` as well as in `router_settings`.
#[derive(Default)]
pub(super) struct SharedRouterKeys {
    fallbacks: Option<Value>,
    context_window_fallbacks: Option<Value>,
    content_policy_fallbacks: Option<Value>,
    default_fallbacks: Option<Value>,
    allowed_fails: Option<u32>,
    cooldown_time: Option<f64>,
    num_retries: Option<u32>,
    retry_after: Option<f64>,
    max_fallbacks: Option<usize>,
    disable_cooldowns: Option<bool>,
}

impl SharedRouterKeys {
    pub(super) fn take(s: &mut Section, problems: &mut Vec<String>) -> SharedRouterKeys {
        SharedRouterKeys {
            fallbacks: s.map.remove("fallbacks").filter(|v| !v.is_null()),
            context_window_fallbacks: s.map.remove("context_window_fallbacks").filter(|v| !v.is_null()),
            content_policy_fallbacks: s.map.remove("content_policy_fallbacks").filter(|v| !v.is_null()),
            default_fallbacks: s.map.remove("default_fallbacks").filter(|v| !v.is_null()),
            allowed_fails: s.take("allowed_fails", problems),
            cooldown_time: s.take("cooldown_time", problems),
            num_retries: s.take("num_retries", problems),
            retry_after: s.take("retry_after", problems),
            max_fallbacks: s.take("max_fallbacks", problems),
            disable_cooldowns: s.take("disable_cooldowns", problems),
        }
    }

    /// `router_settings` wins over `litellm_settings`, key by key.
    fn or(self, other: SharedRouterKeys) -> SharedRouterKeys {
        SharedRouterKeys {
            fallbacks: self.fallbacks.or(other.fallbacks),
            context_window_fallbacks: self.context_window_fallbacks.or(other.context_window_fallbacks),
            content_policy_fallbacks: self.content_policy_fallbacks.or(other.content_policy_fallbacks),
            default_fallbacks: self.default_fallbacks.or(other.default_fallbacks),
            allowed_fails: self.allowed_fails.or(other.allowed_fails),
            cooldown_time: self.cooldown_time.or(other.cooldown_time),
            num_retries: self.num_retries.or(other.num_retries),
            retry_after: self.retry_after.or(other.retry_after),
            max_fallbacks: self.max_fallbacks.or(other.max_fallbacks),
            disable_cooldowns: self.disable_cooldowns.or(other.disable_cooldowns),
        }
    }
}

pub(super) fn parse_router(
    value: Option<Value>,
    from_litellm_settings: SharedRouterKeys,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> RouterSettings {
    let mut s = Section::open("router_settings", value, problems);
    let shared = SharedRouterKeys::take(&mut s, problems).or(from_litellm_settings);
    let mut r = RouterSettings {
        num_retries: shared.num_retries,
        model_group_alias: s.take("model_group_alias", problems).unwrap_or_default(),
        allowed_fails: shared.allowed_fails,
        disable_cooldowns: shared.disable_cooldowns.unwrap_or(false),
        max_fallbacks: shared.max_fallbacks.unwrap_or(DEFAULT_MAX_FALLBACKS),
        ..RouterSettings::default()
    };
    if let Some(secs) = s.take::<f64>("timeout", problems) {
        match positive_duration(secs) {
            Some(d) => r.timeout = Some(d),
            None => problems.push("router_settings.timeout: must be a positive number of seconds".into()),
        }
    }
    if let Some(secs) = shared.cooldown_time {
        match positive_duration(secs) {
            Some(d) => r.cooldown_time = d,
            None => problems.push("router_settings.cooldown_time: must be a positive number of seconds".into()),
        }
    }
    if let Some(secs) = shared.retry_after {
        if secs == 0.0 {
            r.retry_after = Duration::ZERO;
        } else if let Some(d) = positive_duration(secs) {
            r.retry_after = d;
        } else {
            problems.push("router_settings.retry_after: must be a number of seconds, 0 or more".into());
        }
    }
    if let Some(name) = s.take::<String>("routing_strategy", problems) {
        match RoutingStrategy::parse(&name) {
            Some(strategy) => r.strategy = strategy,
            None => problems.push(format!(
                "router_settings.routing_strategy: '{name}' is not a routing strategy; use one of {}",
                RoutingStrategy::NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    if let Some(args) = s.take::<serde_json::Map<String, serde_json::Value>>("routing_strategy_args", problems) {
        for (key, value) in args {
            match (key.as_str(), value.as_f64()) {
                ("lowest_latency_buffer", Some(b)) if b.is_finite() && b >= 0.0 => r.lowest_latency_buffer = b,
                ("lowest_latency_buffer", _) => problems.push(
                    "router_settings.routing_strategy_args.lowest_latency_buffer: must be a number, 0 or more".into(),
                ),
                _ => warnings
                    .push(format!("router_settings.routing_strategy_args.{key}: not used by Switchboard; ignored")),
            }
        }
    }
    let list = |name: &str, value: Option<Value>, problems: &mut Vec<String>| -> Vec<(String, Vec<String>)> {
        let Some(value) = value else { return Vec::new() };
        let parsed = serde_json::to_value(&value).map_err(|e| e.to_string()).and_then(|v| parse_fallback_list(&v));
        parsed.unwrap_or_else(|e| {
            problems.push(format!("router_settings.{name}: {e}"));
            Vec::new()
        })
    };
    r.fallbacks = Fallbacks {
        generic: list("fallbacks", shared.fallbacks, problems),
        context_window: list("context_window_fallbacks", shared.context_window_fallbacks, problems),
        content_policy: list("content_policy_fallbacks", shared.content_policy_fallbacks, problems),
        default: match shared.default_fallbacks.map(serde_yaml::from_value::<Vec<String>>) {
            None => Vec::new(),
            Some(Ok(list)) => list,
            Some(Err(e)) => {
                problems.push(format!("router_settings.default_fallbacks: must be a list of model group names ({e})"));
                Vec::new()
            }
        },
    };
    // Settings whose LiteLLM meaning is Switchboard's behaviour already, or that only tune
    // LiteLLM's own implementation.
    for key in ["enable_pre_call_checks", "set_verbose", "debug_level", "cache_responses"] {
        s.map.remove(key);
    }
    let text = |s: &mut Section, key: &str, problems: &mut Vec<String>| {
        s.take::<Value>(key, problems).and_then(|v| match v {
            Value::String(t) => Some(t),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                problems.push(format!("router_settings.{key}: must be a string"));
                None
            }
        })
    };
    let url = text(&mut s, "redis_url", problems);
    let host = text(&mut s, "redis_host", problems);
    let port = text(&mut s, "redis_port", problems);
    let password = text(&mut s, "redis_password", problems);
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    r.redis = url
        .or_else(|| host.map(|h| redis_url(&h, port.as_deref(), password.as_deref())))
        .or_else(|| env("REDIS_URL"))
        .or_else(|| {
            env("REDIS_HOST").map(|h| redis_url(&h, env("REDIS_PORT").as_deref(), env("REDIS_PASSWORD").as_deref()))
        })
        .map(SecretString::from);
    s.finish(warnings);
    r
}

/// `redis://[:password@]host:port` (the password escaped as a URL needs it).
fn redis_url(host: &str, port: Option<&str>, password: Option<&str>) -> String {
    let base = format!("redis://{host}:{}", port.unwrap_or("6379"));
    let Some(password) = password.filter(|p| !p.is_empty()) else { return base };
    let Ok(mut url) = reqwest::Url::parse(&base) else { return base };
    if url.set_password(Some(password)).is_err() {
        return base;
    }
    url.to_string()
}
