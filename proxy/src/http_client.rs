//! The gateway's one HTTP client for upstreams (the providers, the trace exporter): hyper's
//! pooled HTTP/1.1 client over rustls, with the platform's certificate roots, and nothing per
//! call beyond the call itself.
//!
//! reqwest, which this replaced on the request path, runs every call through a redirect layer
//! that prints the URI and parses it back into a URL twice (IDNA included), and a retry layer
//! that clones the request: about 30,000 instructions a call, a seventh of the gateway's own.
//! Redirects are still followed, as LiteLLM's clients follow them, but a URL is only parsed when
//! an upstream actually redirects.
//!
//! Behind a proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, with `NO_PROXY`, read at start as
//! httpx reads them for LiteLLM), calls go through reqwest, which speaks to proxies (CONNECT
//! tunnels, forward requests, their credentials); the per-call cost matters less than reaching
//! the upstream at all there.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, IntoHeaderName, LOCATION};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use http_body_util::{BodyDataStream, BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_platform_verifier::BuilderVerifierExt;

use reqwest::Url;

/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

type Connector = Timed<HttpsConnector<HttpConnector>>;

#[derive(Clone)]
pub struct HttpClient {
    inner: Inner,
}

// One value per process, cloned at boot: a box would only add a hop to every call.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Inner {
    Direct(Client<Connector, Full<Bytes>>),
    Proxied(reqwest::Client),
}

/// The variables that send calls through a proxy (curl's and httpx's names).
const PROXY_VARIABLES: &[&str] = &["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

fn proxy_configured() -> bool {
    PROXY_VARIABLES.iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

impl HttpClient {
    /// `connect_timeout`: a host that never answers the handshake fails after it; the
    /// deployment's `timeout` bounds the rest of the call.
    pub fn new(connect_timeout: Duration) -> Result<Self, String> {
        if proxy_configured() {
            let proxied = reqwest::Client::builder()
                .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                .connect_timeout(connect_timeout)
                .tcp_nodelay(true)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            return Ok(Self { inner: Inner::Proxied(proxied) });
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_platform_verifier())
            .map_err(|e| format!("cannot set up TLS for the upstreams: {e}"))?
            .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        // Answers are often one small write: Nagle's algorithm would hold the request's.
        tcp.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .build(Timed { inner: https, limit: connect_timeout });
        Ok(Self { inner: Inner::Direct(inner) })
    }

    pub fn post(&self, uri: Uri) -> UpstreamRequest<'_> {
        self.request(Method::POST, uri)
    }

    pub fn request(&self, method: Method, uri: Uri) -> UpstreamRequest<'_> {
        UpstreamRequest { client: self, method, uri, headers: HeaderMap::new(), body: Bytes::new() }
    }
}

/// A connector that gives up after `limit`: the TCP connection and the TLS handshake together.
#[derive(Clone)]
struct Timed<C> {
    inner: C,
    limit: Duration,
}

impl<C> tower_service::Service<Uri> for Timed<C>
where
    C: tower_service::Service<Uri> + Send,
    C::Future: Send + 'static,
    C::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Response = C::Response;
    type Error = Box<dyn StdError + Send + Sync>;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<C::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match tokio::time::timeout(limit, connecting).await {
                Ok(connected) => connected.map_err(Into::into),
                Err(_) => Err(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no connection within {} s", limit.as_secs()),
                )) as Box<dyn StdError + Send + Sync>),
            }
        })
    }
}

/// A URL the configuration gave, as the client takes it. The error leaves the URL out: it may
/// reach a caller, and the upstream's address is not theirs to see.
pub fn uri_of(url: &Url) -> Result<Uri, String> {
    Uri::try_from(url.as_str()).map_err(|e| format!("not a URL an HTTP client can call ({e})"))
}

pub struct UpstreamRequest<'a> {
    client: &'a HttpClient,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl UpstreamRequest<'_> {
    pub fn header(mut self, name: impl IntoHeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request, following redirects as the OpenAI and Anthropic SDKs (httpx) do:
    /// 307 and 308 repeat the request at the new place; 301, 302 and 303 turn a `POST` into a
    /// `GET` without a body. The credentials do not follow a redirect to another origin.
    pub async fn send(self) -> Result<UpstreamResponse, TransportError> {
        let Self { client, mut method, mut uri, mut headers, mut body } = self;
        let client = match &client.inner {
            Inner::Direct(client) => client,
            // reqwest follows redirects the same way (its default policy).
            Inner::Proxied(client) => {
                let response = client
                    .request(method, uri.to_string())
                    .headers(headers)
                    .body(body)
                    .send()
                    .await
                    .map_err(TransportError::from_reqwest)?;
                return Ok(UpstreamResponse { inner: Answer::Proxied(response) });
            }
        };
        for _ in 0..=MAX_REDIRECTS {
            let mut request = http::Request::new(Full::new(body.clone()));
            *request.method_mut() = method.clone();
            *request.uri_mut() = uri.clone();
            // The headers are kept for a redirect; a clone of a few shared values.
            *request.headers_mut() = headers.clone();
            let response = client.request(request).await.map_err(|e| {
                let connect = e.is_connect();
                TransportError::new(Box::new(e), connect)
            })?;
            let status = response.status();
            let Some(next) = redirect_target(&uri, status, response.headers()) else {
                return Ok(UpstreamResponse { inner: Answer::Direct(response) });
            };
            let next = next.map_err(|e| TransportError::new(e.into(), false))?;
            if !same_origin(&uri, &next) {
                headers.remove(AUTHORIZATION);
                let secret: Vec<HeaderName> =
                    headers.iter().filter(|(_, v)| v.is_sensitive()).map(|(name, _)| name.clone()).collect();
                for name in secret {
                    headers.remove(name);
                }
            }
            if matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND | StatusCode::SEE_OTHER)
                && method != Method::HEAD
            {
                method = Method::GET;
                body = Bytes::new();
                headers.remove(CONTENT_TYPE);
                headers.remove(CONTENT_LENGTH);
            }
            uri = next;
        }
        Err(TransportError::new(format!("more than {MAX_REDIRECTS} redirects").into(), false))
    }
}

/// Redirects followed at most, as httpx and reqwest.
const MAX_REDIRECTS: usize = 10;

/// Where a redirect answer sends the request: `None` when it is not one (or names no place).
fn redirect_target(from: &Uri, status: StatusCode, headers: &HeaderMap) -> Option<Result<Uri, String>> {
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = headers.get(LOCATION)?.to_str().ok()?;
    let base = match Url::parse(&from.to_string()) {
        Ok(base) => base,
        Err(e) => return Some(Err(e.to_string())),
    };
    Some(base.join(location).map_err(|e| format!("the upstream redirected to an invalid place ({e})")).and_then(
        |next| match next.scheme() {
            "http" | "https" => uri_of(&next),
            other => Err(format!("the upstream redirected to a URL of another scheme ({other}:)")),
        },
    ))
}

fn same_origin(a: &Uri, b: &Uri) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_u16() == b.port_u16()
}

pub struct UpstreamResponse {
    inner: Answer,
}

enum Answer {
    Direct(http::Response<Incoming>),
    Proxied(reqwest::Response),
}

impl UpstreamResponse {
    pub fn status(&self) -> StatusCode {
        match &self.inner {
            Answer::Direct(r) => r.status(),
            Answer::Proxied(r) => r.status(),
        }
    }

    pub fn headers(&self) -> &HeaderMap {
        match &self.inner {
            Answer::Direct(r) => r.headers(),
            Answer::Proxied(r) => r.headers(),
        }
    }

    /// The body's length when the upstream announced it.
    pub fn content_length(&self) -> Option<u64> {
        match &self.inner {
            Answer::Direct(r) => hyper::body::Body::size_hint(r.body()).exact(),
            Answer::Proxied(r) => r.content_length(),
        }
    }

    /// The body's next piece; `None` at its end (trailers are skipped).
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        let response = match &mut self.inner {
            Answer::Direct(response) => response,
            Answer::Proxied(response) => return response.chunk().await.map_err(TransportError::from_reqwest),
        };
        loop {
            match response.body_mut().frame().await {
                None => return Ok(None),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
                Some(Err(e)) => return Err(TransportError::new(Box::new(e), false)),
            }
        }
    }

    /// The body as it arrives.
    pub fn bytes_stream(self) -> impl Stream<Item = Result<Bytes, TransportError>> + Send + 'static {
        use futures::StreamExt;
        match self.inner {
            Answer::Direct(r) => BodyDataStream::new(r.into_body())
                .map(|r| r.map_err(|e| TransportError::new(Box::new(e), false)))
                .left_stream(),
            Answer::Proxied(r) => r.bytes_stream().map(|r| r.map_err(TransportError::from_reqwest)).right_stream(),
        }
    }
}

/// A call that failed below HTTP: no connection, a reset, a body cut short.
#[derive(Debug)]
pub struct TransportError {
    source: Box<dyn StdError + Send + Sync>,
    connect: bool,
    timeout: bool,
}

impl TransportError {
    fn new(source: Box<dyn StdError + Send + Sync>, connect: bool) -> Self {
        let timeout = timed_out(source.as_ref());
        Self { source, connect, timeout }
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        let (connect, timeout) = (e.is_connect(), e.is_timeout());
        // Without the URL: the message may reach a caller.
        Self { source: Box::new(e.without_url()), connect, timeout }
    }

    /// The connection could not be made (refused, unresolved, TLS handshake).
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    /// Something in the chain timed out (the connect timeout).
    pub fn is_timeout(&self) -> bool {
        self.timeout
    }
}

fn timed_out(error: &(dyn StdError + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut) {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The error with its causes: the useful part ("Connection refused") is the innermost.
impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        let mut cause = self.source.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

impl StdError for TransportError {}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn uri(text: &str) -> Uri {
        Uri::try_from(text).unwrap()
    }

    #[tokio::test]
    async fn a_refused_connection_says_so_without_the_address() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let error =
            client.post(uri(&format!("http://127.0.0.1:{port}/v1/chat/completions"))).send().await.err().unwrap();
        assert!(error.is_connect() && !error.is_timeout(), "{error}");
        let text = error.to_string();
        assert!(text.contains("Connection refused"), "{text}");
        assert!(!text.contains(&port.to_string()), "the upstream's address stays out of the message: {text}");
    }

    /// A server that takes the connection and never answers the TLS handshake: the limit covers
    /// the handshake, not only the TCP connection.
    #[tokio::test]
    async fn a_silent_handshake_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(socket);
        });
        let client = HttpClient::new(Duration::from_millis(300)).unwrap();
        let started = std::time::Instant::now();
        let error = client.post(uri(&format!("https://127.0.0.1:{port}/"))).send().await.err().unwrap();
        assert!(error.is_timeout(), "{error}");
        assert!(started.elapsed() < Duration::from_secs(10), "the call gave up at the limit, not later");
        held.abort();
    }

    async fn one_answer(answer: &'static [u8]) -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 4096];
            let mut read = 0;
            while !request[..read].windows(4).any(|w| w == b"\r\n\r\n") || !request[..read].ends_with(b"{}") {
                let n = socket.read(&mut request[read..]).await.unwrap();
                if n == 0 {
                    break;
                }
                read += n;
            }
            socket.write_all(answer).await.unwrap();
            socket.shutdown().await.unwrap();
            request.truncate(read);
            request
        });
        (port, served)
    }

    #[tokio::test]
    async fn the_request_goes_out_as_built_and_the_answer_comes_back_whole() {
        let (port, served) =
            one_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\nx-answer: yes\r\n\r\nhello world").await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let mut response = client
            .post(uri(&format!("http://127.0.0.1:{port}/v1/chat/completions?a=b")))
            .header(http::header::AUTHORIZATION, HeaderValue::from_static("Bearer sk-up"))
            .body(b"{}".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-answer"], "yes");
        assert_eq!(response.content_length(), Some(11));
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.unwrap() {
            body.extend_from_slice(&chunk);
        }
        assert_eq!(body, b"hello world");
        let request = String::from_utf8(served.await.unwrap()).unwrap();
        assert!(request.starts_with("POST /v1/chat/completions?a=b HTTP/1.1\r\n"), "{request}");
        assert!(request.contains(&format!("host: 127.0.0.1:{port}\r\n")), "{request}");
        assert!(request.contains("authorization: Bearer sk-up\r\n"), "{request}");
        assert!(request.contains("content-length: 2\r\n"), "{request}");
    }

    #[tokio::test]
    async fn a_body_cut_short_is_an_error_of_the_body_not_of_the_connection() {
        let (port, _served) = one_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this").await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let mut response =
            client.post(uri(&format!("http://127.0.0.1:{port}/"))).body(b"{}".to_vec()).send().await.unwrap();
        let mut outcome = Ok(Some(Bytes::new()));
        while let Ok(Some(_)) = outcome {
            outcome = response.chunk().await;
        }
        let error = outcome.expect_err("the cut is reported, not taken for the end");
        assert!(!error.is_connect() && !error.is_timeout(), "{error}");
    }
}

#[cfg(test)]
mod redirect_tests {
    use super::*;
    use axum::Router;
    use axum::extract::Request;
    use axum::response::IntoResponse;
    use axum::routing::any;
    use std::sync::Mutex as StdMutex;

    /// What a test server saw: method, path, the authorization and x-api-key headers, the body.
    type Seen = Arc<StdMutex<Vec<(String, String, Option<String>, Option<String>, String)>>>;

    async fn server(answer: fn(&str) -> axum::response::Response) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let app = Router::new().fallback(any(move |request: Request| {
            let log = log.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
                let header = |name: &str| parts.headers.get(name).map(|v| v.to_str().unwrap().to_string());
                log.lock().unwrap().push((
                    parts.method.to_string(),
                    parts.uri.to_string(),
                    header("authorization"),
                    header("x-api-key"),
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                answer(parts.uri.path())
            }
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (base, seen)
    }

    fn redirect(status: u16, to: &str) -> axum::response::Response {
        (StatusCode::from_u16(status).unwrap(), [(LOCATION, to.to_string())]).into_response()
    }

    fn secret(value: &'static str) -> HeaderValue {
        let mut v = HeaderValue::from_static(value);
        v.set_sensitive(true);
        v
    }

    async fn call(client: &HttpClient, url: String) -> Result<UpstreamResponse, TransportError> {
        client
            .post(Uri::try_from(url).unwrap())
            .header(AUTHORIZATION, secret("Bearer sk-up"))
            .header("x-api-key", secret("sk-anthropic"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(&b"{\"model\":\"m\"}"[..])
            .send()
            .await
    }

    #[tokio::test]
    async fn a_307_and_a_308_repeat_the_post_with_its_body_and_credentials() {
        let (base, seen) = server(|path| match path {
            "/v1/chat/completions" => redirect(307, "/v2/chat/completions"),
            "/v2/chat/completions" => redirect(308, "../../v3/chat/completions?x=1"),
            _ => "done".into_response(),
        })
        .await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let response = call(&client, format!("{base}/v1/chat/completions")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let seen = seen.lock().unwrap().clone();
        let paths: Vec<&str> = seen.iter().map(|s| s.1.as_str()).collect();
        assert_eq!(paths, ["/v1/chat/completions", "/v2/chat/completions", "/v3/chat/completions?x=1"]);
        for (method, _, authorization, key, body) in &seen {
            assert_eq!(method, "POST");
            assert_eq!(authorization.as_deref(), Some("Bearer sk-up"));
            assert_eq!(key.as_deref(), Some("sk-anthropic"));
            assert_eq!(body, "{\"model\":\"m\"}");
        }
    }

    #[tokio::test]
    async fn a_302_turns_the_post_into_a_get_without_a_body() {
        let (base, seen) = server(|path| match path {
            "/old" => redirect(302, "/new"),
            _ => "done".into_response(),
        })
        .await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        call(&client, format!("{base}/old")).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!((seen[1].0.as_str(), seen[1].1.as_str(), seen[1].4.as_str()), ("GET", "/new", ""));
    }

    #[tokio::test]
    async fn credentials_stay_behind_when_the_redirect_leaves_the_origin() {
        let (elsewhere, seen_elsewhere) = server(|_| "done".into_response()).await;
        // The first server sends the call to the second (another port: another origin).
        static TARGET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        TARGET.set(format!("{elsewhere}/v1/chat/completions")).unwrap();
        let (base, _) = server(|_| redirect(307, TARGET.get().unwrap())).await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let response = call(&client, format!("{base}/v1/chat/completions")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let seen = seen_elsewhere.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        let (method, _, authorization, key, body) = &seen[0];
        assert_eq!((method.as_str(), body.as_str()), ("POST", "{\"model\":\"m\"}"));
        assert_eq!((authorization, key), (&None, &None), "no key follows the call to another origin");
    }

    #[tokio::test]
    async fn a_redirect_loop_ends_in_an_error() {
        let (base, seen) = server(|_| redirect(307, "/again")).await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let error = call(&client, format!("{base}/start")).await.err().unwrap();
        assert!(error.to_string().contains("more than 10 redirects"), "{error}");
        assert!(!error.is_connect());
        assert_eq!(seen.lock().unwrap().len(), 11);
    }

    #[tokio::test]
    async fn a_redirect_to_another_scheme_is_refused() {
        let (base, _) = server(|_| redirect(307, "file:///etc/passwd")).await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        let error = call(&client, format!("{base}/start")).await.err().unwrap();
        assert!(error.to_string().contains("file:"), "{error}");
    }
}
