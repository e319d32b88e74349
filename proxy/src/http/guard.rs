//! What a web page on another origin may do with this gateway: nothing it has no key for, and
//! nothing on the admin API at all.
//!
//! - **Host allow-list** (DNS rebinding): a gateway on loopback answers only requests addressed
//!   to a loopback name, its bind address, `public_url`'s host or `allowed_hosts`. A page on
//!   `evil.example` whose name was re-pointed at 127.0.0.1 is refused. A gateway listening on
//!   the network answers any host unless `allowed_hosts` says otherwise (it sits behind a load
//!   balancer whose names it cannot know).
//! - **Origin check** on the admin API: browsers send `Origin` with every cross-origin request,
//!   and the admin API answers only the gateway's own pages, loopback pages (the desktop app, a
//!   panel managing a deployed gateway), `public_url` and `LITELLM_CORS_ORIGINS`.
//! - **JSON only** on the admin API: a body sent as `text/plain` or a form (what a page may send
//!   without asking first) is refused with 415.
//!
//! The master key is required in any case (see `crate::master_key`); these checks keep a page
//! from even trying.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN, TRANSFER_ENCODING};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method};

use crate::config::Config;
use crate::gateway::GatewayError;

/// The rules of one gateway, fixed at start.
#[derive(Debug, Clone)]
pub struct Guard {
    /// `None`: any host (a gateway on the network without `allowed_hosts`).
    hosts: Option<Vec<HostPattern>>,
    /// Origins allowed besides same-origin and loopback pages, lower-case `scheme://host[:port]`.
    origins: Vec<String>,
    any_origin: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum HostPattern {
    Exact(String),
    /// `.example.com` or `*.example.com`: the domain and its subdomains.
    Domain(String),
}

impl HostPattern {
    fn parse(text: &str) -> Option<HostPattern> {
        let text = text.trim().to_ascii_lowercase();
        let text = text.trim_start_matches('[').trim_end_matches(']').to_string();
        match text.strip_prefix("*.").or_else(|| text.strip_prefix('.')) {
            Some(domain) if !domain.is_empty() => Some(HostPattern::Domain(domain.to_string())),
            Some(_) => None,
            None if text.is_empty() => None,
            None => Some(HostPattern::Exact(text)),
        }
    }

    /// `host` as it came (any case); patterns are lower-case.
    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => h.eq_ignore_ascii_case(host),
            HostPattern::Domain(d) => {
                host.eq_ignore_ascii_case(d)
                    || (host.len() > d.len()
                        && ends_with_ignore_case(host, d)
                        && host.as_bytes().get(host.len() - d.len() - 1) == Some(&b'.'))
            }
        }
    }
}

impl Guard {
    pub fn new(config: &Config, listen: SocketAddr) -> Guard {
        let general = &config.general;
        let public = general.public_url.as_deref().and_then(origin_parts);
        let any_host = general.allowed_hosts.iter().any(|h| h.trim() == "*");
        let hosts = if any_host || (!listen.ip().is_loopback() && general.allowed_hosts.is_empty()) {
            None
        } else {
            let mut hosts: Vec<HostPattern> =
                general.allowed_hosts.iter().filter_map(|h| HostPattern::parse(h)).collect();
            if !listen.ip().is_unspecified() {
                hosts.push(HostPattern::Exact(listen.ip().to_string()));
            }
            if let Some((_, host, _)) = &public {
                hosts.push(HostPattern::Exact(host.clone()));
            }
            Some(hosts)
        };
        let mut origins: Vec<String> =
            general.cors_origins.iter().map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase()).collect();
        if let Some(p) = general.public_url.as_deref() {
            origins.push(p.trim_end_matches('/').to_ascii_lowercase());
        }
        let any_origin = origins.iter().any(|o| o == "*");
        Guard { hosts, origins, any_origin }
    }

    /// Whether the request is addressed to a name this gateway answers.
    pub fn host_allowed(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(patterns) = &self.hosts else { return Ok(()) };
        // No Host header: not a browser (browsers always send one).
        let Some(value) = headers.get(HOST) else { return Ok(()) };
        // Every request passes here: no allocation unless refused.
        let Some(host) = value.to_str().ok().and_then(host_of) else {
            return Err("the Host header is not a host name".into());
        };
        if is_loopback_name(host) || patterns.iter().any(|p| p.matches(host)) {
            Ok(())
        } else {
            Err(format!(
                "this gateway does not answer requests for host '{host}' (a page whose name was pointed at this \
                 address, or a name it was not told about). Add it to general_settings.allowed_hosts (or \
                 SWITCHBOARD_ALLOWED_HOSTS) if it is yours."
            ))
        }
    }

    /// Whether a browser page of `origin` may call the admin API (`host` is the request's Host).
    pub fn origin_allowed(&self, origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
        if self.any_origin {
            return true;
        }
        let Some(text) = origin.to_str().ok().map(str::to_ascii_lowercase) else { return false };
        if self.origins.contains(&text) {
            return true;
        }
        // The desktop app's own page.
        if text == "tauri://localhost" || text == "http://tauri.localhost" || text == "https://tauri.localhost" {
            return true;
        }
        let Some((scheme, origin_host, origin_port)) = origin_parts(&text) else { return false };
        if is_loopback_name(&origin_host) && (scheme == "http" || scheme == "https") {
            return true;
        }
        // Same origin: the page was served by this gateway under the name it was reached by.
        let request_host = host.and_then(|h| h.to_str().ok()).map(str::to_ascii_lowercase);
        request_host.is_some_and(|h| {
            let (name, port) = split_port(&h);
            name.trim_start_matches('[').trim_end_matches(']') == origin_host
                && port.unwrap_or(default_port(&scheme)) == origin_port
        })
    }

    /// Whether the config names the origins that may read the inference API; otherwise any page
    /// may (it needs a key).
    pub fn inference_origins_named(&self) -> bool {
        !self.any_origin && !self.origins.is_empty()
    }
}

/// Refuses requests for hosts the gateway does not answer (every route).
pub async fn check_host(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    match guard.host_allowed(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(message) => GatewayError::Forbidden(message).into_response(),
    }
}

/// The admin API: only allowed browser origins, and JSON bodies only.
pub async fn check_admin_request(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Some(origin) = headers.get(ORIGIN)
        && !guard.origin_allowed(origin, headers.get(HOST))
    {
        let shown = origin.to_str().unwrap_or("?");
        return GatewayError::Forbidden(format!(
            "a web page from {shown} may not call this gateway's admin API. If that page is yours, add its origin to \
             LITELLM_CORS_ORIGINS."
        ))
        .into_response();
    }
    if let Err(e) = json_body_only(request.method(), headers) {
        return e.into_response();
    }
    next.run(request).await
}

/// A body is JSON (or untyped, as FastAPI takes it): what a browser sends without a CORS
/// preflight — `text/plain`, forms — is refused.
fn json_body_only(method: &Method, headers: &HeaderMap) -> Result<(), GatewayError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let has_body = headers.contains_key(TRANSFER_ENCODING)
        || headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim() != "0");
    let Some(content_type) = headers.get(CONTENT_TYPE) else { return Ok(()) };
    if !has_body {
        return Ok(());
    }
    let essence = content_type.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        return Ok(());
    }
    Err(GatewayError::UnsupportedMediaType(format!(
        "Content-Type must be application/json (got '{}'); send the body as JSON",
        content_type.to_str().unwrap_or("?")
    )))
}

/// CORS predicate for the admin API (and the inference API when origins are configured): the
/// same rule as the admin origin check.
pub fn cors_predicate(guard: Arc<Guard>) -> impl Fn(&HeaderValue, &Parts) -> bool + Clone + Send + Sync + 'static {
    move |origin: &HeaderValue, parts: &Parts| guard.origin_allowed(origin, parts.headers.get(HOST))
}

/// `localhost`, `*.localhost` (RFC 6761 keeps them on this machine) and loopback addresses.
fn is_loopback_name(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || ends_with_ignore_case(host, ".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text
            .as_bytes()
            .get(text.len() - suffix.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(suffix.as_bytes()))
}

/// The host name of a `Host` header value (as written), without the port.
fn host_of(value: &str) -> Option<&str> {
    let (name, _) = split_port(value.trim());
    let name = name.trim_start_matches('[').trim_end_matches(']');
    (!name.is_empty() && !name.contains(['/', ' ', '@'])).then_some(name)
}

/// `host:port` → (`host`, port); `[::1]:4000` → (`[::1]`, 4000).
fn split_port(text: &str) -> (&str, Option<u16>) {
    if let Some(end) = text.find(']') {
        let (name, rest) = text.split_at(end + 1);
        return (name, rest.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match text.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, port.parse().ok()),
        _ => (text, None),
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

/// `scheme://host[:port]` → (scheme, host without brackets, port with the scheme's default).
fn origin_parts(text: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = text.split_once("://")?;
    let authority = rest.split('/').next()?;
    let (name, port) = split_port(authority);
    let name = name.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    (!name.is_empty()).then(|| (scheme.to_ascii_lowercase(), name, port.unwrap_or(default_port(scheme))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(yaml: &str, listen: &str) -> Guard {
        Guard::new(&Config::from_yaml(yaml).unwrap(), listen.parse().unwrap())
    }

    fn host(h: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(HOST, HeaderValue::from_str(h).unwrap());
        m
    }

    #[test]
    fn loopback_gateway_answers_loopback_names_only() {
        let g = guard("", "127.0.0.1:4000");
        for ok in ["127.0.0.1:4000", "localhost:4000", "LOCALHOST", "app.localhost:4000", "[::1]:4000", "127.0.0.2"] {
            assert!(g.host_allowed(&host(ok)).is_ok(), "{ok}");
        }
        for bad in ["evil.example:4000", "evil.example", "127.0.0.1.evil.example", "localhost.evil.example"] {
            assert!(g.host_allowed(&host(bad)).is_err(), "{bad}");
        }
        assert!(g.host_allowed(&HeaderMap::new()).is_ok(), "no Host: not a browser");
    }

    #[test]
    fn configured_and_public_hosts() {
        let g = guard(
            "general_settings:\n  public_url: https://gw.example.com\n  allowed_hosts: [.corp.example, '*.lab.example', other.example]\n",
            "127.0.0.1:4000",
        );
        for ok in ["gw.example.com", "a.corp.example", "corp.example", "x.y.lab.example", "other.example:8080"] {
            assert!(g.host_allowed(&host(ok)).is_ok(), "{ok}");
        }
        for bad in ["example.com", "evilcorp.example", "other.example.evil"] {
            assert!(g.host_allowed(&host(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn network_gateway_answers_any_host_unless_told() {
        assert!(guard("", "0.0.0.0:4000").host_allowed(&host("whatever.elb.amazonaws.com")).is_ok());
        let g = guard("general_settings:\n  allowed_hosts: [gw.example.com]\n", "0.0.0.0:4000");
        assert!(g.host_allowed(&host("gw.example.com")).is_ok());
        assert!(g.host_allowed(&host("10.0.0.5:4000")).is_err());
        assert!(g.host_allowed(&host("localhost:4000")).is_ok(), "a container health check");
        assert!(guard("general_settings:\n  allowed_hosts: ['*']\n", "127.0.0.1:1").host_allowed(&host("x.y")).is_ok());
    }

    #[test]
    fn origins() {
        let g = guard("general_settings:\n  public_url: https://gw.example.com\n", "127.0.0.1:4000");
        let o = |s: &str| HeaderValue::from_str(s).unwrap();
        let h = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(g.origin_allowed(&o("http://127.0.0.1:4000"), Some(&h("127.0.0.1:4000"))));
        assert!(g.origin_allowed(&o("http://localhost:5173"), Some(&h("127.0.0.1:4000"))), "a loopback page");
        assert!(g.origin_allowed(&o("tauri://localhost"), None));
        assert!(g.origin_allowed(&o("https://gw.example.com"), Some(&h("10.0.0.1"))), "public_url");
        assert!(g.origin_allowed(&o("http://gw.lan:4000"), Some(&h("gw.lan:4000"))), "same origin");
        assert!(g.origin_allowed(&o("https://gw.lan"), Some(&h("gw.lan"))), "same origin, default port");
        assert!(!g.origin_allowed(&o("https://evil.example"), Some(&h("127.0.0.1:4000"))));
        assert!(!g.origin_allowed(&o("http://gw.lan:4001"), Some(&h("gw.lan:4000"))), "another port");
        assert!(!g.origin_allowed(&o("null"), Some(&h("127.0.0.1:4000"))), "sandboxed frames and files");
        assert!(!g.origin_allowed(&o("file://"), None));
    }

    #[test]
    fn json_bodies_only() {
        let with = |ct: Option<&str>, len: &str| {
            let mut m = HeaderMap::new();
            if let Some(ct) = ct {
                m.insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
            }
            m.insert(CONTENT_LENGTH, HeaderValue::from_str(len).unwrap());
            json_body_only(&Method::POST, &m)
        };
        assert!(with(Some("application/json"), "2").is_ok());
        assert!(with(Some("application/json; charset=utf-8"), "2").is_ok());
        assert!(with(Some("application/merge-patch+json"), "2").is_ok());
        assert!(with(None, "2").is_ok(), "untyped bodies are read as JSON, as FastAPI does");
        assert!(with(Some("text/plain"), "0").is_ok(), "no body, nothing to misread");
        for ct in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            assert!(matches!(with(Some(ct), "2"), Err(GatewayError::UnsupportedMediaType(_))), "{ct}");
        }
    }
}
