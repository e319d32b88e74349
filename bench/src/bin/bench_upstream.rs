//! `bench-upstream`: the benchmark's fake OpenAI-compatible and Bedrock Runtime upstream.
//!
//! Lean on purpose: a single-threaded runtime, plain hyper, answers built once at start (per
//! request only a copy that stamps a unique id into OpenAI answers), no request recording, no
//! JSON parsing. Any `Authorization` is accepted (the gateway signs
//! Bedrock calls with SigV4; the signature is not checked).
//!
//! Prints `listening on <addr>` on stdout once it accepts connections.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use switchboard_bench::fake::{Answer, Responses, Route, route, wants_stream};
use switchboard_bench::serve;

#[derive(Parser)]
#[command(name = "bench-upstream", about = "A fast fake OpenAI-compatible and Bedrock Runtime upstream for benchmarks")]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// 0 picks a free port (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Content chunks in a streamed answer (plus a finish chunk and a usage chunk).
    #[arg(long, default_value_t = 10)]
    chunks: usize,
    /// Wait this long before answering.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

/// A response body: one buffer, or the frames of one buffer sent one by one (chunked transfer
/// encoding, as a streaming upstream does).
enum FakeBody {
    Full(Option<Bytes>),
    Frames { bytes: Bytes, ends: &'static [usize], next: usize },
}

impl Body for FakeBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let frame = match &mut *self {
            FakeBody::Full(bytes) => bytes.take(),
            FakeBody::Frames { bytes, ends, next } => ends.get(*next).map(|&end| {
                let start = if *next == 0 { 0 } else { ends[*next - 1] };
                *next += 1;
                bytes.slice(start..end)
            }),
        };
        Poll::Ready(frame.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            FakeBody::Full(bytes) => bytes.is_none(),
            FakeBody::Frames { ends, next, .. } => *next >= ends.len(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            FakeBody::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            FakeBody::Full(None) => SizeHint::with_exact(0),
            FakeBody::Frames { .. } => SizeHint::default(),
        }
    }
}

fn frames(answer: &'static Answer, n: u64) -> FakeBody {
    FakeBody::Frames { bytes: answer.render(n), ends: answer.frame_ends(), next: 0 }
}

/// Numbers the answers (their ids must differ, see `fake::ID_PREFIX`).
static ANSWERS: AtomicU64 = AtomicU64::new(0);

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const SSE: HeaderValue = HeaderValue::from_static("text/event-stream");
const EVENT_STREAM: HeaderValue = HeaderValue::from_static("application/vnd.amazon.eventstream");

fn respond(status: StatusCode, content_type: HeaderValue, body: FakeBody) -> Response<FakeBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

async fn handle(
    responses: &'static Responses,
    delay: Option<Duration>,
    request: Request<Incoming>,
) -> Result<Response<FakeBody>, Infallible> {
    let route = route(request.method() == Method::POST, request.uri().path());
    // Read the whole body (keeps the connection reusable, and it is needed for the stream flag).
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(respond(StatusCode::BAD_REQUEST, JSON, FakeBody::Full(None))),
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let n = ANSWERS.fetch_add(1, Ordering::Relaxed);
    let response = match route {
        Route::ChatCompletions if wants_stream(&body) => respond(StatusCode::OK, SSE, frames(&responses.openai_sse, n)),
        Route::ChatCompletions => respond(StatusCode::OK, JSON, FakeBody::Full(Some(responses.openai_json.render(n)))),
        Route::Converse => respond(StatusCode::OK, JSON, FakeBody::Full(Some(responses.bedrock_json.render(n)))),
        Route::ConverseStream => respond(StatusCode::OK, EVENT_STREAM, frames(&responses.bedrock_frames, n)),
        Route::Health => respond(StatusCode::OK, JSON, FakeBody::Full(Some(Bytes::from_static(b"{\"ok\":true}")))),
        Route::NotFound => respond(
            StatusCode::NOT_FOUND,
            JSON,
            FakeBody::Full(Some(Bytes::from_static(b"{\"error\":{\"message\":\"no such route in bench-upstream\"}}"))),
        ),
    };
    Ok(response)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let responses: &'static Responses = Box::leak(Box::new(Responses::new(args.chunks)));
    let delay = (args.delay_ms > 0).then(|| Duration::from_millis(args.delay_ms));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = serve::listen(SocketAddr::new(args.host, args.port)).await?;
        serve::accept_each(listener, |stream| {
            tokio::spawn(async move {
                let service = service_fn(move |request| handle(responses, delay, request));
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        })
        .await
    })
}
