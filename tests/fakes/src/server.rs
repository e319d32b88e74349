//! Plumbing shared by both fakes: the accept loop, request recording, the
//! `/_fake/*` admin routes, streaming bodies and the active-stream counter.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::RecordedRequest;

/// Largest request body a fake accepts (images in data URLs can be big).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// State shared by a fake's handlers and its owning struct.
pub(crate) struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    active_streams: AtomicUsize,
    /// Only used by the OpenAI fake.
    expected_api_key: Mutex<Option<String>>,
    /// OpenAI fake: answer every call with this id (as some test servers and proxies do).
    fixed_response_id: Mutex<Option<String>>,
    /// Bedrock fake: the prompt prefixes cached so far (a hash of the text up to a cache point).
    cached_prefixes: Mutex<std::collections::HashSet<u64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these values inconsistent.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(expected_api_key: Option<String>) -> Arc<Shared> {
        Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            active_streams: AtomicUsize::new(0),
            expected_api_key: Mutex::new(expected_api_key),
            fixed_response_id: Mutex::new(None),
            cached_prefixes: Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// Whether `prefix` was cached before; caches it if not (as a prompt cache does).
    pub(crate) fn cache_hit(&self, prefix: u64) -> bool {
        !lock(&self.cached_prefixes).insert(prefix)
    }

    pub(crate) fn set_fixed_response_id(&self, id: Option<String>) {
        *lock(&self.fixed_response_id) = id;
    }

    pub(crate) fn fixed_response_id(&self) -> Option<String> {
        lock(&self.fixed_response_id).clone()
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub(crate) fn clear(&self) {
        lock(&self.requests).clear();
    }

    pub(crate) fn active_streams(&self) -> usize {
        self.active_streams.load(Ordering::SeqCst)
    }

    pub(crate) fn expected_api_key(&self) -> Option<String> {
        lock(&self.expected_api_key).clone()
    }

    pub(crate) fn set_expected_api_key(&self, key: Option<String>) {
        *lock(&self.expected_api_key) = key;
    }

    fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }
}

/// Counts a streaming body as active for as long as it lives.
pub(crate) struct StreamGuard {
    shared: Arc<Shared>,
}

impl StreamGuard {
    fn new(shared: Arc<Shared>) -> StreamGuard {
        shared.active_streams.fetch_add(1, Ordering::SeqCst);
        StreamGuard { shared }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.shared.active_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One step of a scripted streaming body.
pub(crate) enum Step {
    /// Send these bytes as one body chunk.
    Data(Bytes),
    /// Send nothing for this long.
    Sleep(Duration),
    /// Fail the body stream, which makes hyper abort the response mid-body.
    Fail(&'static str),
}

/// A response body that plays `steps` and counts as an active stream until it
/// finishes or is dropped (for example because the client went away).
pub(crate) fn scripted_body(shared: Arc<Shared>, steps: Vec<Step>) -> Body {
    let guard = StreamGuard::new(shared);
    let stream = futures::stream::unfold((steps.into_iter(), guard), |(mut steps, guard)| async move {
        loop {
            match steps.next()? {
                Step::Data(bytes) => return Some((Ok(bytes), (steps, guard))),
                Step::Sleep(duration) => tokio::time::sleep(duration).await,
                Step::Fail(message) => {
                    // Nothing may follow a failure.
                    let rest = Vec::new().into_iter();
                    return Some((Err(std::io::Error::other(message)), (rest, guard)));
                }
            }
        }
    });
    Body::from_stream(stream)
}

/// A fake's running server. Dropping it stops the accept loop and every
/// connection it spawned.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Binds `addr` and serves `app` (which must already carry its state) plus
    /// the admin routes, recording requests into `shared`.
    pub(crate) async fn start(addr: SocketAddr, shared: Arc<Shared>, app: Router) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let admin = Router::new()
            .route("/_fake/requests", get(admin_requests).delete(admin_clear))
            .route("/_fake/active_streams", get(admin_active_streams))
            .with_state(shared.clone());
        let router = app.merge(admin).layer(middleware::from_fn_with_state(shared.clone(), record));
        let task = tokio::spawn(accept_loop(listener, router));
        Ok(Server { addr, shared, task })
    }
}

async fn accept_loop(listener: TcpListener, router: Router) {
    // Owning the connections here means aborting this task closes them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(err) => {
                        tracing::warn!("fake upstream: accept failed: {err}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                connections.spawn(async move {
                    let result = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    if let Err(err) = result {
                        tracing::debug!("fake upstream: connection ended: {err}");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Middleware: buffer the body, record the request, pass it on.
async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_fake/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, format!("could not read the request body: {err}")).into_response();
        }
    };
    let mut path = percent_decode(parts.uri.path());
    if let Some(query) = parts.uri.query() {
        path.push('?');
        path.push_str(query);
    }
    shared.record(RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path,
        headers: header_map(&parts.headers),
        body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    });
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_ascii_lowercase())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    map
}

async fn admin_requests(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &serde_json::json!(shared.requests()))
}

async fn admin_clear(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.clear();
    StatusCode::NO_CONTENT
}

async fn admin_active_streams(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &serde_json::json!({ "active_streams": shared.active_streams() }))
}

/// A JSON response with the given status.
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are). The result is
/// interpreted as UTF-8, lossily.
pub(crate) fn percent_decode(input: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(
            percent_decode("/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse"),
            "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/converse"
        );
        assert_eq!(percent_decode("a%2Fb%2fc"), "a/b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
