//! LiteLLM's own request parameters (`fallbacks`, `num_retries`, `mock_response`, `metadata`,
//! `tags`, `litellm_*`...): taken out of the request before any upstream sees it (a strict
//! upstream rejects unknown parameters) and turned into what they mean for this call.

use std::time::Duration;

use serde_json::{Map, Value};

use super::GatewayError;
use crate::config::parse_fallback_list;
use crate::schema::ChatRequest;

/// What a request asks of the router, beside the model call itself.
#[derive(Debug, Default)]
pub struct Controls {
    /// `fallbacks` sent with the request: groups to try after the requested one.
    pub fallbacks: Option<Vec<String>>,
    pub context_window_fallbacks: Option<Vec<String>>,
    pub content_policy_fallbacks: Option<Vec<String>>,
    pub disable_fallbacks: bool,
    pub num_retries: Option<u32>,
    /// `timeout` (body) or `x-litellm-timeout` (header): each attempt's limit.
    pub timeout: Option<Duration>,
    pub stream_timeout: Option<Duration>,
    pub mock: Option<Mock>,
    pub mock_testing: MockTesting,
    /// `tags` and `metadata`: recorded with the call, never sent upstream.
    pub tags: Vec<String>,
    pub metadata: Option<Map<String, Value>>,
    /// The customer named by `litellm_metadata.user` or `metadata.user_id` (the body's `user`
    /// is an OpenAI parameter and stays in the request).
    pub end_user: Option<String>,
}

/// `mock_response` and its companions: an answer made up by the gateway, for users' tests.
#[derive(Debug, Clone)]
pub struct Mock {
    pub response: MockResponse,
    pub tool_calls: Option<Value>,
    pub delay: Option<Duration>,
}

#[derive(Debug, Clone)]
pub enum MockResponse {
    Text(String),
    /// A whole chat completion object to answer with.
    Object(Map<String, Value>),
    /// `litellm.RateLimitError`, `litellm.InternalServerError`, ... raise that error.
    Error(MockError),
    /// `mock_timeout: true`: waits for the timeout, then fails with it.
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockError {
    RateLimit,
    InternalServer,
    ContextWindow,
    ContentPolicy,
}

/// `mock_testing_*`: make the requested group fail so that fallbacks can be tried.
#[derive(Debug, Default, Clone, Copy)]
pub struct MockTesting {
    pub fallbacks: bool,
    pub context_window_fallbacks: bool,
    pub content_policy_fallbacks: bool,
    pub rate_limit_error: bool,
}

impl MockTesting {
    pub fn any(&self) -> bool {
        self.fallbacks || self.context_window_fallbacks || self.content_policy_fallbacks || self.rate_limit_error
    }
}

/// Client-side endpoints LiteLLM refuses unless an admin allows them: a request must not point
/// the gateway's credentials at a server of its choosing.
const REFUSED: &[&str] = &["api_base", "base_url"];

impl Controls {
    /// Takes LiteLLM's parameters out of `request`.
    pub fn take(request: &mut ChatRequest) -> Result<Controls, GatewayError> {
        Controls::take_from(&mut request.extra, &request.model)
    }

    /// Takes LiteLLM's parameters out of the unmodelled fields of any request for `model`.
    pub fn take_from(extra: &mut Map<String, Value>, model: &str) -> Result<Controls, GatewayError> {
        if let Some(name) = REFUSED.iter().find(|n| extra.contains_key(**n)) {
            return Err(GatewayError::invalid(
                format!(
                    "Rejected Request: {name} is not allowed in request body. Configure the deployment's api_base in config.yaml or through /model/new instead."
                ),
                Some(name),
            ));
        }
        // Nothing to do for the usual request: no allocation, no lookups beyond this scan.
        if !extra.keys().any(|k| crate::schema::is_litellm_param(k)) {
            return Ok(Controls::default());
        }
        let mut taken = Map::new();
        extra.retain(|k, v| {
            let ours = crate::schema::is_litellm_param(k);
            if ours {
                taken.insert(k.clone(), std::mem::take(v));
            }
            !ours
        });
        Controls::read(taken, model)
    }

    fn read(mut p: Map<String, Value>, model: &str) -> Result<Controls, GatewayError> {
        let mut c = Controls {
            fallbacks: group_list(p.remove("fallbacks"), model, "fallbacks")?,
            context_window_fallbacks: group_list(
                p.remove("context_window_fallbacks"),
                model,
                "context_window_fallbacks",
            )?,
            content_policy_fallbacks: group_list(
                p.remove("content_policy_fallbacks"),
                model,
                "content_policy_fallbacks",
            )?,
            disable_fallbacks: flag(p.remove("disable_fallbacks"), "disable_fallbacks")?,
            num_retries: count(p.remove("num_retries"), "num_retries")?,
            timeout: seconds(p.remove("timeout").or_else(|| p.remove("request_timeout")), "timeout")?,
            stream_timeout: seconds(p.remove("stream_timeout"), "stream_timeout")?,
            mock_testing: MockTesting {
                fallbacks: flag(p.remove("mock_testing_fallbacks"), "mock_testing_fallbacks")?,
                context_window_fallbacks: flag(
                    p.remove("mock_testing_context_fallbacks"),
                    "mock_testing_context_fallbacks",
                )?,
                content_policy_fallbacks: flag(
                    p.remove("mock_testing_content_policy_fallbacks"),
                    "mock_testing_content_policy_fallbacks",
                )?,
                rate_limit_error: flag(p.remove("mock_testing_rate_limit_error"), "mock_testing_rate_limit_error")?,
            },
            ..Controls::default()
        };
        c.tags = match p.remove("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.into_iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
            Some(_) => return Err(GatewayError::invalid("tags: must be a list of strings", Some("tags"))),
        };
        c.metadata = match p.remove("metadata") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => return Err(GatewayError::invalid("metadata: must be an object", Some("metadata"))),
        };
        if let Some(m) = &c.metadata
            && let Some(Value::Array(tags)) = m.get("tags")
        {
            c.tags.extend(tags.iter().filter_map(|t| t.as_str().map(str::to_string)));
        }
        let litellm_user = p.get("litellm_metadata").and_then(|m| m.get("user")).and_then(Value::as_str);
        let metadata_user = c.metadata.as_ref().and_then(|m| m.get("user_id")).and_then(Value::as_str);
        c.end_user = litellm_user.or(metadata_user).filter(|u| !u.is_empty()).map(str::to_string);
        let mock_timeout = flag(p.remove("mock_timeout"), "mock_timeout")?;
        let response = match p.remove("mock_response") {
            None | Some(Value::Null) if mock_timeout => Some(MockResponse::Timeout),
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(match s.as_str() {
                "litellm.RateLimitError" => MockResponse::Error(MockError::RateLimit),
                "litellm.InternalServerError" => MockResponse::Error(MockError::InternalServer),
                "litellm.ContextWindowExceededError" => MockResponse::Error(MockError::ContextWindow),
                s if s.starts_with("Exception: content_filter_policy") => MockResponse::Error(MockError::ContentPolicy),
                _ if mock_timeout => MockResponse::Timeout,
                _ => MockResponse::Text(s),
            }),
            Some(Value::Object(o)) => Some(MockResponse::Object(o)),
            Some(_) => {
                return Err(GatewayError::invalid(
                    "mock_response: must be a string or a chat completion object",
                    Some("mock_response"),
                ));
            }
        };
        if let Some(response) = response {
            c.mock = Some(Mock {
                response,
                tool_calls: p.remove("mock_tool_calls").filter(|v| !v.is_null()),
                delay: seconds(p.remove("mock_delay"), "mock_delay")?,
            });
        }
        Ok(c)
    }
}

fn flag(value: Option<Value>, name: &str) -> Result<bool, GatewayError> {
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(GatewayError::invalid(format!("{name}: must be true or false"), Some(name))),
    }
}

fn count(value: Option<Value>, name: &str) -> Result<Option<u32>, GatewayError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| GatewayError::invalid(format!("{name}: must be a whole number, 0 or more"), Some(name))),
    }
}

/// Seconds as a number or a numeric string, like LiteLLM's `timeout`.
pub fn seconds(value: Option<Value>, name: &str) -> Result<Option<Duration>, GatewayError> {
    let secs = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match secs {
        Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Some(Duration::from_secs_f64(s))),
        _ => Err(GatewayError::invalid(format!("{name}: must be a positive number of seconds"), Some(name))),
    }
}

/// A request's fallbacks: `["group", ...]`, `[{"model": "group", ...}, ...]`, or LiteLLM's
/// config form `[{"requested group": ["group", ...]}]` (only the requested group's entry counts).
fn group_list(value: Option<Value>, model: &str, name: &str) -> Result<Option<Vec<String>>, GatewayError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(GatewayError::invalid(format!("{name}: must be a list of model names"), Some(name))),
    };
    let mut groups = Vec::new();
    for item in &items {
        match item {
            Value::String(s) => groups.push(s.clone()),
            Value::Object(o) if o.get("model").is_some_and(Value::is_string) => {
                groups.extend(o.get("model").and_then(Value::as_str).map(str::to_string));
            }
            Value::Object(_) => {
                let listed = parse_fallback_list(&Value::Array(vec![item.clone()]))
                    .map_err(|e| GatewayError::invalid(format!("{name}{e}"), Some(name)))?;
                for (from, to) in listed {
                    if from == model || from == "*" {
                        groups.extend(to);
                    }
                }
            }
            _ => {
                return Err(GatewayError::invalid(
                    format!("{name}: each entry must be a model name or a mapping"),
                    Some(name),
                ));
            }
        }
    }
    Ok(Some(groups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> ChatRequest {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn litellm_parameters_never_stay_in_the_request() {
        let mut r = request(json!({
            "model": "gpt", "messages": [{"role": "user", "content": "hi"}], "user": "end-user-1",
            "fallbacks": ["b"], "num_retries": 3, "metadata": {"tags": ["t2"], "run": 7}, "tags": ["t1"],
            "caching": true, "guardrails": ["g"], "litellm_session_id": "s", "mock_testing_fallbacks": true,
            "timeout": "2.5", "api_key": "sk-client", "seed": 1
        }));
        let c = Controls::take(&mut r).unwrap();
        let left: Vec<&str> = r.extra.keys().map(String::as_str).collect();
        assert_eq!(left, vec!["seed", "user"], "OpenAI's own parameters stay");
        assert_eq!(c.fallbacks, Some(vec!["b".to_string()]));
        assert_eq!(c.num_retries, Some(3));
        assert_eq!(c.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(c.tags, vec!["t1", "t2"]);
        assert_eq!(c.metadata.unwrap()["run"], 7);
        assert!(c.mock_testing.fallbacks);
    }

    #[test]
    fn fallbacks_in_every_form_litellm_takes() {
        let mut r = request(json!({"model": "a", "messages": [], "fallbacks": [
            "b", {"model": "c", "messages": []}, {"a": ["d", "e"]}, {"z": ["nope"]}, {"*": ["f"]}
        ]}));
        assert_eq!(Controls::take(&mut r).unwrap().fallbacks.unwrap(), vec!["b", "c", "d", "e", "f"]);
    }

    #[test]
    fn mock_responses_and_their_errors() {
        let mut r = request(json!({"model": "a", "messages": [], "mock_response": "litellm.RateLimitError"}));
        let mock = Controls::take(&mut r).unwrap().mock.unwrap();
        assert!(matches!(mock.response, MockResponse::Error(MockError::RateLimit)));
        let mut r = request(json!({"model": "a", "messages": [], "mock_response": "hi", "mock_delay": 0.1}));
        let mock = Controls::take(&mut r).unwrap().mock.unwrap();
        assert!(matches!(&mock.response, MockResponse::Text(t) if t == "hi"));
        assert_eq!(mock.delay, Some(Duration::from_millis(100)));
    }

    #[test]
    fn bad_values_are_named_and_client_endpoints_refused() {
        for (body, param) in [
            (json!({"model": "a", "messages": [], "num_retries": -1}), "num_retries"),
            (json!({"model": "a", "messages": [], "timeout": "soon"}), "timeout"),
            (json!({"model": "a", "messages": [], "fallbacks": "b"}), "fallbacks"),
            (json!({"model": "a", "messages": [], "api_base": "http://169.254.169.254"}), "api_base"),
        ] {
            let err = Controls::take(&mut request(body)).unwrap_err();
            assert_eq!(err.classify().2, Some(param), "{err}");
        }
    }
}
