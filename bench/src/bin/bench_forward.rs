//! `bench-forward`: the least a proxy can do, as a floor for the gateway's figures.
//!
//! It forwards every request to the fake upstream unchanged and streams the answer back: hyper's
//! server in front, hyper's pooled client behind, on the gateway's kind of runtime (tokio's
//! multi-threaded one; pinned to one core it runs one worker, as the gateway does). No JSON, no
//! key, no spend row. What it costs a request beside the fake is what any proxy of this shape
//! pays on this machine before doing anything of its own: two sockets, two reads, two writes and
//! two wake-ups a call where the fake has one of each.
//!
//! Prints `listening on <addr>` on stdout once it accepts connections; answers
//! `GET /health/liveliness` itself.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use switchboard_bench::serve;

#[derive(Parser)]
#[command(name = "bench-forward", about = "A bare forwarding proxy: the floor of a proxy's cost in the benchmark")]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// 0 picks a free port (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where the fake upstream listens (on 127.0.0.1).
    #[arg(long)]
    upstream_port: u16,
}

type Answer = Response<UnsyncBoxBody<Bytes, hyper::Error>>;

fn plain(status: StatusCode, text: &'static str) -> Answer {
    let body = Full::new(Bytes::from_static(text.as_bytes())).map_err(|never: Infallible| match never {});
    let mut response = Response::new(UnsyncBoxBody::new(body));
    *response.status_mut() = status;
    response
}

async fn forward(
    client: &Client<HttpConnector, Incoming>,
    upstream: &str,
    mut request: Request<Incoming>,
) -> Result<Answer, Infallible> {
    if request.uri().path() == "/health/liveliness" {
        return Ok(plain(StatusCode::OK, "\"I'm alive!\""));
    }
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let Ok(uri) = format!("{upstream}{path}").parse::<Uri>() else {
        return Ok(plain(StatusCode::BAD_REQUEST, "bad path"));
    };
    *request.uri_mut() = uri;
    match client.request(request).await {
        Ok(response) => Ok(response.map(UnsyncBoxBody::new)),
        Err(_) => Ok(plain(StatusCode::BAD_GATEWAY, "upstream unreachable")),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let upstream: &'static str = Box::leak(format!("http://127.0.0.1:{}", args.upstream_port).into_boxed_str());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client: &'static Client<HttpConnector, Incoming> = Box::leak(Box::new(
            Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(90)).build(connector),
        ));
        let listener = serve::listen(SocketAddr::new(args.host, args.port)).await?;
        serve::accept_each(listener, |stream| {
            tokio::spawn(async move {
                let service = service_fn(move |request| forward(client, upstream, request));
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        })
        .await
    })
}
