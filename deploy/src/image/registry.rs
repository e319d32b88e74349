//! Pushing an image over the OCI distribution API: log in (anonymous, Basic, or a Bearer token
//! from the registry's token service), upload each blob the registry does not have yet (HEAD,
//! then POST + PUT), then PUT the manifest under a tag. A push that was interrupted resumes:
//! what was uploaded is skipped.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use reqwest::{Method, RequestBuilder, StatusCode, header};

use super::{Blob, Image, ImageError};
use crate::health::error_chain;

/// `host[:port]/repository[:tag]` (the registry host is always named: there is no default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
}

impl FromStr for Reference {
    type Err = String;

    fn from_str(s: &str) -> Result<Reference, String> {
        let s = s.trim().trim_start_matches("https://").trim_start_matches("http://");
        let (registry, rest) = s.split_once('/').ok_or_else(|| {
            format!("{s:?} names no registry: write host[:port]/repository, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard")
        })?;
        if !(registry.contains('.') || registry.contains(':') || registry == "localhost") {
            return Err(format!("{registry:?} is not a registry host: write host[:port]/repository"));
        }
        // A tag follows the last `:` after the last `/`.
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag.to_string())),
            _ => (rest, None),
        };
        let valid_repository = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if !valid_repository {
            return Err(format!(
                "{repository:?} is not a repository name: lowercase letters, digits, '.', '_', '-' and '/'"
            ));
        }
        if let Some(tag) = &tag {
            check_tag(tag)?;
        }
        Ok(Reference { registry: registry.to_string(), repository: repository.to_string(), tag })
    }
}

impl Reference {
    /// A registry on this machine, which Docker too reaches over plain HTTP.
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => self.registry.rsplit_once(':').map_or(self.registry.as_str(), |(host, _)| host),
        };
        host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// A tag as the distribution API takes it.
pub fn check_tag(tag: &str) -> Result<(), String> {
    let valid = tag.len() <= 128
        && tag.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if valid { Ok(()) } else { Err(format!("{tag:?} is not a tag: letters, digits, '.', '_', '-', at most 128")) }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        Ok(())
    }
}

/// A login for the registry.
#[derive(Clone, Default)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// The password never prints.
impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login").field("username", &self.username).field("password", &"[REDACTED]").finish()
    }
}

/// What the push did, as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum PushEvent {
    /// A blob the registry had already: not uploaded again.
    Present {
        what: &'static str,
        digest: String,
        size: u64,
    },
    /// Part of a blob is on its way (every half second while it uploads).
    Uploading {
        what: &'static str,
        digest: String,
        size: u64,
        sent: u64,
    },
    Uploaded {
        what: &'static str,
        digest: String,
        size: u64,
        seconds: f64,
    },
    /// The manifest is in, under `reference` (`registry/repository@sha256:...`).
    Pushed {
        reference: String,
        tag: String,
    },
}

/// The pushed image.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// `registry/repository@sha256:...`: what a task definition should name.
    pub reference: String,
    pub digest: String,
    pub uploaded_bytes: u64,
    pub blobs_uploaded: usize,
    pub blobs_present: usize,
}

pub struct Registry {
    client: reqwest::Client,
    /// `https://host` (or `http://host` when insecure).
    base: String,
    reference: Reference,
    login: Option<Login>,
    /// The `Authorization` header the registry asked for, once logged in.
    authorization: Option<String>,
    logged_in: bool,
}

impl Registry {
    /// `insecure`: plain HTTP. A registry on this machine (`localhost`, `127.0.0.0/8`, `[::1]`)
    /// is always reached over plain HTTP, as Docker does.
    pub fn new(reference: Reference, login: Option<Login>, insecure: bool) -> Result<Registry, ImageError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ImageError::Registry { step: "starting the HTTP client".into(), message: e.to_string() })?;
        let scheme = if insecure || reference.is_loopback() { "http" } else { "https" };
        Ok(Registry {
            client,
            base: format!("{scheme}://{}", reference.registry),
            reference,
            login,
            authorization: None,
            logged_in: false,
        })
    }

    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Pushes the image under `tag`, reporting each step to `on_event`.
    pub async fn push(
        &mut self,
        image: &Image,
        tag: &str,
        mut on_event: impl FnMut(PushEvent),
    ) -> Result<Pushed, ImageError> {
        if !self.logged_in {
            self.log_in().await?;
        }
        let mut report = Pushed {
            reference: String::new(),
            digest: image.manifest.digest.clone(),
            uploaded_bytes: 0,
            blobs_uploaded: 0,
            blobs_present: 0,
        };
        for (what, blob) in [("layer", &image.layer), ("config", &image.config)] {
            if self.has_blob(blob).await? {
                report.blobs_present += 1;
                on_event(PushEvent::Present { what, digest: blob.digest.clone(), size: blob.size() });
                continue;
            }
            let started = std::time::Instant::now();
            self.upload(what, blob, &mut on_event).await?;
            report.blobs_uploaded += 1;
            report.uploaded_bytes += blob.size();
            on_event(PushEvent::Uploaded {
                what,
                digest: blob.digest.clone(),
                size: blob.size(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        self.put_manifest(&image.manifest, tag).await?;
        report.reference =
            format!("{}/{}@{}", self.reference.registry, self.reference.repository, image.manifest.digest);
        on_event(PushEvent::Pushed { reference: report.reference.clone(), tag: tag.to_string() });
        Ok(report)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.base, self.reference.repository)
    }

    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let builder = self.client.request(method, url);
        match &self.authorization {
            Some(value) => builder.header(header::AUTHORIZATION, value),
            None => builder,
        }
    }

    async fn send(&self, step: &str, builder: RequestBuilder) -> Result<reqwest::Response, ImageError> {
        builder.send().await.map_err(|e| self.transport_error(step, &e))
    }

    fn transport_error(&self, step: &str, e: &reqwest::Error) -> ImageError {
        let mut message = format!("cannot reach {} ({})", self.base, error_chain(e));
        if self.base.starts_with("https://") && (e.is_connect() || e.is_request()) {
            message.push_str("; a registry that speaks plain HTTP (a local one) needs --insecure");
        }
        ImageError::Registry { step: step.into(), message }
    }

    /// `GET /v2/`: anonymous, or the login the registry's challenge asks for. Done by `push`
    /// when not done before; done first, it finds an unreachable registry or a wrong password
    /// before the image is assembled.
    pub async fn log_in(&mut self) -> Result<(), ImageError> {
        let step = "logging in to the registry";
        let response = self.send(step, self.client.get(format!("{}/v2/", self.base))).await?;
        if response.status().is_success() {
            self.logged_in = true;
            return Ok(());
        }
        if response.status() != StatusCode::UNAUTHORIZED {
            return Err(refusal(step, response).await);
        }
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let Some(login) = self.login.clone() else {
            return Err(ImageError::Registry {
                step: step.into(),
                message: format!(
                    "{} asks for a login: pass --username and --password (or REGISTRY_USERNAME / REGISTRY_PASSWORD)",
                    self.reference.registry
                ),
            });
        };
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", login.username, login.password))
        );
        let authorization = match parse_challenge(&challenge) {
            Challenge::Bearer { realm, service } => {
                let scope = format!("repository:{}:pull,push", self.reference.repository);
                let mut query = vec![("scope", scope.as_str())];
                if let Some(service) = service.as_deref() {
                    query.push(("service", service));
                }
                let url = reqwest::Url::parse_with_params(&realm, &query).map_err(|e| ImageError::Registry {
                    step: step.into(),
                    message: format!("the registry's token service {realm:?} is not a URL: {e}"),
                })?;
                let response = self.send(step, self.client.get(url).header(header::AUTHORIZATION, &basic)).await?;
                if !response.status().is_success() {
                    return Err(refusal(step, response).await);
                }
                let body: serde_json::Value = response.json().await.map_err(|e| ImageError::Registry {
                    step: step.into(),
                    message: format!("the token service's answer is not JSON: {e}"),
                })?;
                let token = body.get("token").or_else(|| body.get("access_token")).and_then(|t| t.as_str());
                let token = token.ok_or_else(|| ImageError::Registry {
                    step: step.into(),
                    message: "the token service answered no token".into(),
                })?;
                format!("Bearer {token}")
            }
            Challenge::Basic => basic,
        };
        // The login is checked now, so a wrong password is reported as such, before any upload.
        let check = self
            .send(step, self.client.get(format!("{}/v2/", self.base)).header(header::AUTHORIZATION, &authorization));
        let response = check.await?;
        if response.status() == StatusCode::UNAUTHORIZED || response.status() == StatusCode::FORBIDDEN {
            return Err(ImageError::Registry {
                step: step.into(),
                message: format!(
                    "{} refused the login of {:?} (HTTP {}): check the user name and password (ECR: the AWS credentials)",
                    self.reference.registry,
                    login.username,
                    response.status().as_u16()
                ),
            });
        }
        self.authorization = Some(authorization);
        self.logged_in = true;
        Ok(())
    }

    async fn has_blob(&self, blob: &Blob) -> Result<bool, ImageError> {
        let step = format!("checking for blob {}", short(&blob.digest));
        let response =
            self.send(&step, self.request(Method::HEAD, &self.url(&format!("blobs/{}", blob.digest)))).await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(refusal(&step, response).await),
        }
    }

    async fn upload(
        &self,
        what: &'static str,
        blob: &Blob,
        on_event: &mut impl FnMut(PushEvent),
    ) -> Result<(), ImageError> {
        let step = format!("uploading the {what} ({}, {})", short(&blob.digest), human_size(blob.size()));
        let response = self.send(&step, self.request(Method::POST, &self.url("blobs/uploads/"))).await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(refusal(&step, response).await);
        }
        let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            ImageError::Registry { step: step.clone(), message: "the registry gave no upload location".into() }
        })?;
        let location =
            if location.starts_with('/') { format!("{}{location}", self.base) } else { location.to_string() };
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={}", blob.digest);
        let (body, sent) = counted_body(blob.bytes.clone());
        let request = self.send(
            &step,
            self.request(Method::PUT, &url)
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_LENGTH, blob.size())
                .body(body),
        );
        tokio::pin!(request);
        let mut ticker = tokio::time::interval(UPLOAD_REPORT_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        let mut reported = 0;
        let response = loop {
            tokio::select! {
                response = &mut request => break response?,
                _ = ticker.tick() => {
                    let now = sent.load(Ordering::Relaxed);
                    if now != reported && now < blob.size() {
                        reported = now;
                        on_event(PushEvent::Uploading { what, digest: blob.digest.clone(), size: blob.size(), sent: now });
                    }
                }
            }
        };
        if response.status() != StatusCode::CREATED {
            return Err(refusal(&step, response).await);
        }
        Ok(())
    }

    async fn put_manifest(&self, manifest: &Blob, tag: &str) -> Result<(), ImageError> {
        let step = format!("pushing the manifest as {}:{tag}", self.reference.repository);
        let response = self
            .send(
                &step,
                self.request(Method::PUT, &self.url(&format!("manifests/{tag}")))
                    .header(header::CONTENT_TYPE, manifest.media_type)
                    .body(manifest.bytes.clone()),
            )
            .await?;
        if response.status() != StatusCode::CREATED && !response.status().is_success() {
            return Err(refusal(&step, response).await);
        }
        let answered = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok());
        if let Some(answered) = answered.filter(|d| *d != manifest.digest) {
            return Err(ImageError::Registry {
                step,
                message: format!("the registry stored the manifest as {answered}, not {}", manifest.digest),
            });
        }
        Ok(())
    }
}

#[derive(Debug, PartialEq)]
enum Challenge {
    Basic,
    Bearer { realm: String, service: Option<String> },
}

/// `WWW-Authenticate: Bearer realm="https://auth.example/token",service="registry"` or `Basic ...`.
fn parse_challenge(value: &str) -> Challenge {
    let Some(params) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
        return Challenge::Basic;
    };
    let mut realm = None;
    let mut service = None;
    for part in params.split(',') {
        if let Some((key, value)) = part.trim().split_once('=') {
            let value = value.trim().trim_matches('"').to_string();
            match key.trim() {
                "realm" => realm = Some(value),
                "service" => service = Some(value),
                _ => {}
            }
        }
    }
    match realm {
        Some(realm) => Challenge::Bearer { realm, service },
        None => Challenge::Basic,
    }
}

/// A refusal in words: the status, the registry's own error codes and messages, and the fix
/// when the status tells it.
async fn refusal(step: &str, response: reqwest::Response) -> ImageError {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let said = registry_errors(&body).unwrap_or_else(|| body.chars().take(300).collect::<String>().trim().to_string());
    let fix = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            " — the login may not push to this repository (ECR: the credentials need ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload and ecr:PutImage)"
        }
        StatusCode::PAYLOAD_TOO_LARGE => " — the registry's size limit is below the layer's",
        StatusCode::TOO_MANY_REQUESTS => " — the registry's rate limit or quota: try again later",
        StatusCode::NOT_FOUND => {
            " — the repository does not exist, or this registry does not speak the OCI distribution API"
        }
        _ => "",
    };
    ImageError::Registry {
        step: step.into(),
        message: format!(
            "HTTP {}{}{fix}",
            status.as_u16(),
            if said.is_empty() { String::new() } else { format!(": {said}") }
        ),
    }
}

/// `{"errors": [{"code": "...", "message": "..."}]}`, the distribution API's error body.
fn registry_errors(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let errors = value.get("errors")?.as_array()?;
    let said: Vec<String> = errors
        .iter()
        .map(|e| {
            let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("ERROR");
            let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
            format!("{code} {message}").trim().to_string()
        })
        .collect();
    (!said.is_empty()).then(|| said.join("; "))
}

/// How often a blob's upload reports how far it got.
const UPLOAD_REPORT_INTERVAL: Duration = Duration::from_millis(500);
/// The pieces a blob is handed to the connection in (slices of the shared buffer, not copies).
const UPLOAD_CHUNK: usize = 256 * 1024;

/// A request body of `bytes` that counts what the connection has taken.
fn counted_body(bytes: bytes::Bytes) -> (reqwest::Body, Arc<AtomicU64>) {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let len = bytes.len();
    let chunks = (0..len).step_by(UPLOAD_CHUNK).map(move |start| {
        let chunk = bytes.slice(start..(start + UPLOAD_CHUNK).min(len));
        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Ok::<_, std::convert::Infallible>(chunk)
    });
    (reqwest::Body::wrap_stream(futures::stream::iter(chunks)), sent)
}

/// `sha256:0123456789ab`.
pub fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_registry_a_repository_and_maybe_a_tag() {
        let r: Reference = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/switchboard:0.1.0".parse().unwrap();
        assert_eq!(r.registry, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
        assert_eq!(r.repository, "team/switchboard");
        assert_eq!(r.tag.as_deref(), Some("0.1.0"));
        let r: Reference = "127.0.0.1:5000/switchboard".parse().unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "switchboard", None)
        );
        assert_eq!(r.to_string(), "127.0.0.1:5000/switchboard");
        for bad in ["switchboard", "switchboard/gateway", "127.0.0.1:5000/", "127.0.0.1:5000/Upper", "r.io/a:b c"] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_registry_on_this_machine_is_reached_over_plain_http() {
        for (reference, local) in [
            ("127.0.0.1:5000/switchboard", true),
            ("127.0.0.2:5000/switchboard", true),
            ("localhost:5000/switchboard", true),
            ("localhost/switchboard", true),
            ("[::1]:5000/switchboard", true),
            ("192.0.2.2:5000/switchboard", false),
            ("localhost.example.com/switchboard", false),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard", false),
        ] {
            let r: Reference = reference.parse().unwrap();
            assert_eq!(r.is_loopback(), local, "{reference}");
            let registry = Registry::new(r, None, false).unwrap();
            assert_eq!(registry.base.starts_with("http://"), local, "{reference}");
        }
    }

    #[tokio::test]
    async fn a_counted_body_hands_over_every_byte_once() {
        use http_body_util::BodyExt;
        let data: Vec<u8> = (0..UPLOAD_CHUNK * 2 + 17).map(|i| (i % 251) as u8).collect();
        let (body, sent) = counted_body(bytes::Bytes::from(data.clone()));
        assert_eq!(sent.load(Ordering::Relaxed), 0, "nothing counts before the connection takes it");
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(collected.as_ref(), data.as_slice());
        assert_eq!(sent.load(Ordering::Relaxed), data.len() as u64);
    }

    #[test]
    fn challenges_say_how_to_log_in() {
        assert_eq!(
            parse_challenge(r#"Bearer realm="https://auth.example/token",service="registry.example",scope="x""#),
            Challenge::Bearer { realm: "https://auth.example/token".into(), service: Some("registry.example".into()) }
        );
        assert_eq!(parse_challenge(r#"Basic realm="https://123.dkr.ecr.us-east-1.amazonaws.com/""#), Challenge::Basic);
    }

    #[test]
    fn the_registry_s_own_words_are_kept() {
        let body = r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#;
        assert_eq!(registry_errors(body).as_deref(), Some("DENIED requested access to the resource is denied"));
        assert_eq!(registry_errors("<html>"), None);
        assert_eq!(short("sha256:0123456789abcdef0123"), "sha256:0123456789ab");
        assert_eq!(human_size(3 * 1024 * 1024 + 1), "3.0 MiB");
    }

    #[test]
    fn a_login_never_prints_its_password() {
        let login = Login { username: "AWS".into(), password: "very-secret-3".into() };
        assert!(!format!("{login:?}").contains("very-secret-3"));
    }
}
