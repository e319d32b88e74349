//! When a failed call is tried again, how long to wait first, and which model groups it falls
//! back to: LiteLLM's router rules, applied to every provider alike.

use std::time::Duration;

use rand::Rng;

use super::GatewayError;
use super::controls::Controls;
use crate::config::{Fallbacks, RouterSettings};
use crate::providers::ProviderError;

/// What kind of failure a call met, for choosing fallbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The prompt does not fit the model: `context_window_fallbacks`.
    ContextWindow,
    /// The provider refused the content: `content_policy_fallbacks`.
    ContentPolicy,
    Other,
}

impl FailureKind {
    /// LiteLLM recognizes these from the providers' codes and messages.
    pub fn of(error: &GatewayError) -> FailureKind {
        let GatewayError::Upstream { error, .. } = error else { return FailureKind::Other };
        let ProviderError::Upstream { status: 400..=499, code, message, .. } = &**error else {
            return FailureKind::Other;
        };
        let code = code.as_deref().unwrap_or_default().to_ascii_lowercase();
        let message = message.to_ascii_lowercase();
        let has = |needles: &[&str]| needles.iter().any(|n| code.contains(n) || message.contains(n));
        if has(&[
            "context_length_exceeded",
            "context window",
            "maximum context length",
            "prompt is too long",
            "input is too long",
            "too many input tokens",
            "context_window_exceeded",
        ]) {
            FailureKind::ContextWindow
        } else if has(&["content_policy", "content_filter", "content management policy", "responsibleaipolicy"]) {
            FailureKind::ContentPolicy
        } else {
            FailureKind::Other
        }
    }
}

/// Whether another attempt may succeed where this one failed: connection failures, timeouts,
/// 408, 409, 429 and 5xx before the first byte; a rejected credential only when the group has
/// other deployments (with credentials of their own).
pub fn retryable(error: &GatewayError, group_has_others: bool) -> bool {
    let GatewayError::Upstream { error, .. } = error else {
        return matches!(error, GatewayError::RateLimited { .. }) && group_has_others;
    };
    match &**error {
        ProviderError::Timeout(_) | ProviderError::Connect(_) | ProviderError::Protocol(_) => true,
        ProviderError::Upstream { status, .. } => match *status {
            408 | 409 | 429 => true,
            401 | 403 => group_has_others,
            s => s >= 500,
        },
        ProviderError::InvalidRequest(_) => false,
    }
}

/// The wait before retry number `retry` (0 for the first): none when another healthy deployment
/// can take it, else the upstream's `retry-after` (up to a minute), else exponential backoff
/// from 0.5 s to 8 s with jitter — never less than `router_settings.retry_after`.
pub fn backoff(error: &GatewayError, retry: u32, other_healthy: bool, settings: &RouterSettings) -> Duration {
    if other_healthy {
        return settings.retry_after;
    }
    let asked = match error {
        GatewayError::Upstream { error, .. } => match &**error {
            ProviderError::Upstream { retry_after: Some(v), .. } => v.trim().parse::<f64>().ok(),
            _ => None,
        },
        _ => None,
    };
    let wait = match asked {
        Some(secs) if secs > 0.0 && secs <= 60.0 => secs,
        _ => {
            let base = (INITIAL_RETRY_DELAY * 2f64.powi(retry.min(16) as i32)).min(MAX_RETRY_DELAY);
            base * (1.0 - 0.25 * rand::rng().random::<f64>())
        }
    };
    Duration::from_secs_f64(wait).max(settings.retry_after)
}

const INITIAL_RETRY_DELAY: f64 = 0.5;
const MAX_RETRY_DELAY: f64 = 8.0;

/// Where a group's failed call goes next, in order: the request's own lists win over the
/// configured ones; context-window and content-policy failures use their own lists when there
/// are any, and the generic ones otherwise (as LiteLLM does).
pub fn fallback_groups(group: &str, kind: FailureKind, controls: &Controls, settings: &RouterSettings) -> Vec<String> {
    if controls.disable_fallbacks {
        return Vec::new();
    }
    let configured = |list: &[(String, Vec<String>)]| -> Option<Vec<String>> {
        list.iter()
            .find(|(from, _)| from == group)
            .or_else(|| list.iter().find(|(from, _)| from == "*"))
            .map(|(_, to)| to.clone())
    };
    let f: &Fallbacks = &settings.fallbacks;
    let specific = match kind {
        FailureKind::ContextWindow => {
            controls.context_window_fallbacks.clone().or_else(|| configured(&f.context_window))
        }
        FailureKind::ContentPolicy => {
            controls.content_policy_fallbacks.clone().or_else(|| configured(&f.content_policy))
        }
        FailureKind::Other => None,
    };
    let mut groups = specific
        .or_else(|| controls.fallbacks.clone())
        .or_else(|| configured(&f.generic))
        .unwrap_or_else(|| f.default.clone());
    groups.retain(|g| g != group);
    groups.truncate(settings.max_fallbacks);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(status: u16, code: Option<&str>, message: &str, retry_after: Option<&str>) -> GatewayError {
        GatewayError::Upstream {
            provider: "openai".into(),
            error: Box::new(ProviderError::Upstream {
                status,
                code: code.map(str::to_string),
                message: message.into(),
                retry_after: retry_after.map(str::to_string),
            }),
            message: message.into(),
        }
    }

    #[test]
    fn what_is_retried() {
        assert!(retryable(&upstream(429, None, "slow down", None), false));
        assert!(retryable(&upstream(503, None, "busy", None), false));
        assert!(!retryable(&upstream(400, None, "bad", None), true));
        assert!(!retryable(&upstream(401, None, "key", None), false), "the only deployment's key stays wrong");
        assert!(retryable(&upstream(401, None, "key", None), true));
        assert!(!retryable(&upstream(404, None, "no model", None), true));
        let timeout = GatewayError::Upstream {
            provider: "bedrock".into(),
            error: Box::new(ProviderError::Timeout(Duration::from_secs(1))),
            message: String::new(),
        };
        assert!(retryable(&timeout, false));
        assert!(!retryable(&GatewayError::invalid("x", None), true));
    }

    #[test]
    fn backoff_follows_retry_after_then_grows() {
        let s = RouterSettings::default();
        let throttled = upstream(429, None, "slow", Some("2"));
        assert_eq!(backoff(&throttled, 0, false, &s), Duration::from_secs(2));
        assert_eq!(backoff(&throttled, 0, true, &s), Duration::ZERO, "another deployment takes it at once");
        let unspecified = upstream(500, None, "oops", Some("3600"));
        let first = backoff(&unspecified, 0, false, &s).as_secs_f64();
        assert!((0.375..=0.5).contains(&first), "{first}");
        let third = backoff(&unspecified, 2, false, &s).as_secs_f64();
        assert!((1.5..=2.0).contains(&third), "{third}");
        assert!(backoff(&unspecified, 30, false, &s) <= Duration::from_secs(8));
        let floor = RouterSettings { retry_after: Duration::from_secs(3), ..RouterSettings::default() };
        assert_eq!(backoff(&unspecified, 0, false, &floor), Duration::from_secs(3));
    }

    #[test]
    fn failure_kinds_from_provider_words() {
        assert_eq!(
            FailureKind::of(&upstream(400, Some("context_length_exceeded"), "too long", None)),
            FailureKind::ContextWindow
        );
        assert_eq!(
            FailureKind::of(&upstream(
                400,
                Some("ValidationException"),
                "Input is too long for requested model.",
                None
            )),
            FailureKind::ContextWindow
        );
        assert_eq!(
            FailureKind::of(&upstream(400, None, "The response was filtered due to content management policy", None)),
            FailureKind::ContentPolicy
        );
        assert_eq!(FailureKind::of(&upstream(500, None, "context window", None)), FailureKind::Other);
    }

    #[test]
    fn fallback_lists_by_kind_and_source() {
        let settings = RouterSettings {
            fallbacks: Fallbacks {
                generic: vec![("a".into(), vec!["b".into(), "c".into()]), ("*".into(), vec!["z".into()])],
                context_window: vec![("a".into(), vec!["big".into()])],
                content_policy: vec![],
                default: vec!["d".into()],
            },
            max_fallbacks: 5,
            ..RouterSettings::default()
        };
        let none = Controls::default();
        assert_eq!(fallback_groups("a", FailureKind::Other, &none, &settings), vec!["b", "c"]);
        assert_eq!(fallback_groups("a", FailureKind::ContextWindow, &none, &settings), vec!["big"]);
        assert_eq!(fallback_groups("a", FailureKind::ContentPolicy, &none, &settings), vec!["b", "c"]);
        assert_eq!(fallback_groups("q", FailureKind::Other, &none, &settings), vec!["z"], "the * entry");
        let request = Controls { fallbacks: Some(vec!["r".into(), "a".into()]), ..Controls::default() };
        assert_eq!(fallback_groups("a", FailureKind::Other, &request, &settings), vec!["r"], "never itself");
        let off = Controls { disable_fallbacks: true, ..Controls::default() };
        assert!(fallback_groups("a", FailureKind::Other, &off, &settings).is_empty());
        let only_default = RouterSettings {
            fallbacks: Fallbacks { default: vec!["d".into()], ..Fallbacks::default() },
            ..RouterSettings::default()
        };
        assert_eq!(fallback_groups("x", FailureKind::Other, &none, &only_default), vec!["d"]);
    }
}
