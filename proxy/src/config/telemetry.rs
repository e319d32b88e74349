//! Where the gateway sends what it observes: OpenTelemetry traces (`litellm_settings.callbacks:
//! ["otel"]` or the standard `OTEL_EXPORTER_OTLP_*` variables) and who may scrape `/metrics`.
//!
//! Variables are read from `environment_variables` first, then the process, as LiteLLM applies
//! `environment_variables` to its process before its callbacks read them.

use std::time::Duration;

use secrecy::SecretString;

use super::EnvSource;

/// `/metrics` and traces, as configured.
#[derive(Debug, Clone, Default)]
pub struct TelemetrySettings {
    /// OTLP/HTTP trace export; `None`: no traces.
    pub otel: Option<OtelSettings>,
    /// A bearer token Prometheus may scrape `/metrics` with (`general_settings.metrics_token`,
    /// `SWITCHBOARD_METRICS_TOKEN`), besides the master key and admin keys.
    pub metrics_token: Option<SecretString>,
    /// `litellm_settings.require_auth_for_metrics_endpoint`: a gateway on loopback asks for
    /// credentials too.
    pub require_auth_for_metrics: bool,
    /// `litellm_settings.prometheus_initialize_budget_metrics`: every key with a budget has its
    /// budget gauges from the start; otherwise (LiteLLM's default) a key's appear once it made a
    /// call, so a million idle keys are not three million series.
    pub all_key_budgets: bool,
}

#[derive(Debug, Clone)]
pub struct OtelSettings {
    /// The full URL spans are posted to (`.../v1/traces`).
    pub traces_endpoint: String,
    /// Extra headers for the collector (an API key, often): never logged.
    pub headers: Vec<(String, SecretString)>,
    pub service_name: String,
    /// How long finished spans wait to be sent in a batch (`OTEL_BSP_SCHEDULE_DELAY`, ms).
    pub schedule_delay: Duration,
}

/// The OpenTelemetry specification's default for OTLP/HTTP.
const DEFAULT_OTLP_HTTP_ENDPOINT: &str = "http://localhost:4318";
const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_secs(5);

/// Resolves the trace export from the callbacks LiteLLM's config names and the environment.
pub(super) fn otel(callbacks: &[String], env: &EnvSource<'_>, warnings: &mut Vec<String>) -> Option<OtelSettings> {
    let set = |name: &str| env.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let named = callbacks.iter().any(|c| matches!(c.as_str(), "otel" | "opentelemetry"));
    let traces_endpoint = set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    let endpoint = set("OTEL_EXPORTER_OTLP_ENDPOINT");
    // LiteLLM's own names for its `otel` callback.
    let litellm_endpoint = named.then(|| set("OTEL_ENDPOINT")).flatten();
    if set("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || set("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"))
    {
        return None;
    }
    if !named && traces_endpoint.is_none() && endpoint.is_none() {
        return None;
    }
    let exporter = set("OTEL_EXPORTER").unwrap_or_default().to_ascii_lowercase();
    let protocol = set("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").or_else(|| set("OTEL_EXPORTER_OTLP_PROTOCOL"));
    if matches!(exporter.as_str(), "otlp_grpc" | "grpc") || protocol.as_deref() == Some("grpc") {
        warnings.push(
            "OpenTelemetry: Switchboard exports traces over OTLP/HTTP only; set OTEL_EXPORTER=otlp_http and an \
             HTTP endpoint (usually port 4318). Traces are off."
                .into(),
        );
        return None;
    }
    let url = match (traces_endpoint, endpoint, litellm_endpoint) {
        (Some(url), _, _) => url,
        (None, Some(base), _) => signal_url(&base),
        (None, None, Some(litellm)) if litellm.ends_with("/v1/traces") => litellm,
        (None, None, Some(litellm)) => signal_url(&litellm),
        (None, None, None) if exporter == "otlp_http" => signal_url(DEFAULT_OTLP_HTTP_ENDPOINT),
        (None, None, None) => {
            warnings.push(
                "litellm_settings.callbacks: otel is on but no OTLP endpoint is set \
                 (OTEL_EXPORTER_OTLP_ENDPOINT); traces are off"
                    .into(),
            );
            return None;
        }
    };
    let headers_text = set("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
        .or_else(|| set("OTEL_EXPORTER_OTLP_HEADERS"))
        .or_else(|| named.then(|| set("OTEL_HEADERS")).flatten())
        .unwrap_or_default();
    let schedule_delay = set("OTEL_BSP_SCHEDULE_DELAY")
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_SCHEDULE_DELAY);
    Some(OtelSettings {
        traces_endpoint: url,
        headers: parse_headers(&headers_text),
        service_name: set("OTEL_SERVICE_NAME").unwrap_or_else(|| "switchboard".into()),
        schedule_delay,
    })
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL: the signal's path is added to it.
fn signal_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

/// `key1=value1,key2=value2`, values percent-decoded as the specification says.
fn parse_headers(text: &str) -> Vec<(String, SecretString)> {
    text.split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), SecretString::from(percent_decode(v.trim()))))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn resolve(callbacks: &[&str], vars: &[(&str, &str)]) -> (Option<OtelSettings>, Vec<String>) {
        let overrides: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let callbacks: Vec<String> = callbacks.iter().map(|c| c.to_string()).collect();
        let mut warnings = Vec::new();
        (otel(&callbacks, &EnvSource { overrides: &overrides }, &mut warnings), warnings)
    }

    #[test]
    fn standard_variables_turn_traces_on_and_name_the_signal_url() {
        let (o, _) = resolve(&[], &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]);
        assert_eq!(o.map(|o| o.traces_endpoint).as_deref(), Some("http://collector:4318/v1/traces"));
        let (o, _) = resolve(
            &[],
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:9/custom"),
                ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=a%20b, other = 2"),
                ("OTEL_SERVICE_NAME", "gw-1"),
            ],
        );
        let o = o.expect("on");
        assert_eq!(o.traces_endpoint, "http://c:9/custom");
        assert_eq!(o.service_name, "gw-1");
        let headers: Vec<(String, String)> =
            o.headers.iter().map(|(k, v)| (k.clone(), v.expose_secret().to_string())).collect();
        assert_eq!(headers, [("x-api-key".to_string(), "a b".to_string()), ("other".to_string(), "2".to_string())]);
    }

    #[test]
    fn litellm_otel_callback_reads_its_own_variables() {
        let (o, _) = resolve(&["otel"], &[("OTEL_EXPORTER", "otlp_http"), ("OTEL_ENDPOINT", "http://c:4318")]);
        assert_eq!(o.map(|o| o.traces_endpoint).as_deref(), Some("http://c:4318/v1/traces"));
        // Without the callback, LiteLLM's own variable means nothing.
        assert!(resolve(&[], &[("OTEL_ENDPOINT", "http://c:4318")]).0.is_none());
    }

    #[test]
    fn off_unless_configured_and_grpc_is_refused_with_a_fix() {
        assert!(resolve(&[], &[]).0.is_none());
        let (o, warnings) = resolve(&["otel"], &[]);
        assert!(o.is_none() && warnings.iter().any(|w| w.contains("OTEL_EXPORTER_OTLP_ENDPOINT")), "{warnings:?}");
        let (o, warnings) = resolve(&["otel"], &[("OTEL_EXPORTER", "otlp_grpc"), ("OTEL_ENDPOINT", "http://c:4317")]);
        assert!(o.is_none() && warnings.iter().any(|w| w.contains("otlp_http")), "{warnings:?}");
        let disabled =
            resolve(&["otel"], &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_SDK_DISABLED", "true")]);
        assert!(disabled.0.is_none());
    }
}
