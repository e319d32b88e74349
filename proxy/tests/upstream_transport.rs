//! How calls reach upstreams. Over HTTPS, the gateway checks certificates against the
//! platform's roots (`SSL_CERT_FILE` here, as an operator with a private CA would set it) and
//! refuses one it cannot trust with LiteLLM's connection error; the certificates are made by
//! `openssl` for the test, the upstream is a TLS server of the test's own. Behind a proxy
//! (`HTTP_PROXY`), calls go through it, as LiteLLM's do.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::*;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};

/// Runs `openssl` with `args` (split on spaces) in `dir`.
fn openssl(dir: &Path, args: &str) {
    let out = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .output()
        .expect("these tests make their certificates with the openssl command (Debian: openssl)");
    assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A certificate authority `{name}.pem` and, when `server` is set, a certificate it signed for
/// 127.0.0.1 (`server.pem`, `server.key`).
fn make_ca(dir: &Path, name: &str, server: bool) {
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    openssl(
        dir,
        &format!(
            "req -x509 {ec} -keyout {name}.key -out {name}.pem -days 2 -subj /CN=switchboard-test-{name} \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
    );
    if server {
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(dir, &format!("req {ec} -keyout server.key -out server.csr -subj /CN=127.0.0.1"));
        openssl(
            dir,
            &format!(
                "x509 -req -in server.csr -CA {name}.pem -CAkey {name}.key -CAcreateserial -out server.pem -days 2 \
                 -extfile server.ext"
            ),
        );
    }
}

/// What the HTTPS upstream saw: each request's path and `Authorization`.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// An OpenAI-compatible upstream on https://127.0.0.1:{port}/v1 with the certificate in `dir`.
async fn https_upstream(dir: &Path) -> (String, Seen) {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("server.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://127.0.0.1:{}/v1", listener.local_addr().unwrap().port());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let authorization = request.headers().get("authorization").map(|v| v.to_str().unwrap().to_string());
                    log.lock().push((request.uri().path().to_string(), authorization));
                    let answer = json!({
                        "id": "chatcmpl-tls", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "over TLS"}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
                    });
                    async move {
                        let mut response = hyper::Response::new(Full::new(Bytes::from(answer.to_string())));
                        response.headers_mut().insert("content-type", "application/json".parse().unwrap());
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    (base, seen)
}

async fn chat(gateway: &Gateway) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", gateway.url))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A gateway in front of `upstream` that trusts only the authority in `dir/<trusted>.pem`.
async fn gateway_trusting(dir: &Path, upstream: &str, trusted: &str) -> Gateway {
    let config = config(dir, upstream, &format!("  master_key: {MASTER_KEY}\n"));
    let (ca, data) = (dir.join(format!("{trusted}.pem")), dir.join("data"));
    let env = [("SSL_CERT_FILE", ca.to_str().unwrap()), ("XDG_DATA_HOME", data.to_str().unwrap())];
    Gateway::start(&config, &dir.join("gateway.log"), &env).await
}

#[tokio::test]
async fn an_upstream_signed_by_a_trusted_authority_answers_over_tls() {
    let dir = TempDir::new("tls-trusted");
    make_ca(dir.path(), "ca", true);
    let (upstream, seen) = https_upstream(dir.path()).await;
    let gateway = gateway_trusting(dir.path(), &upstream, "ca").await;

    let (status, body) = chat(&gateway).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "over TLS");
    assert_eq!(*seen.lock(), [("/v1/chat/completions".to_string(), Some("Bearer sk-upstream-test".to_string()))]);
    assert!(gateway.stop().success());
}

#[tokio::test]
async fn an_upstream_the_gateway_cannot_trust_is_a_connection_error() {
    let dir = TempDir::new("tls-untrusted");
    make_ca(dir.path(), "ca", true);
    // The gateway trusts another authority only.
    make_ca(dir.path(), "other", false);
    let (upstream, seen) = https_upstream(dir.path()).await;
    let gateway = gateway_trusting(dir.path(), &upstream, "other").await;

    let (status, body) = chat(&gateway).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["type"], "api_connection_error", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains("certificate"), "the message says what failed: {body}");
    assert!(seen.lock().is_empty(), "no request reached an upstream the gateway does not trust");
    assert!(gateway.stop().success());
}

/// A forward proxy that answers every call itself, and keeps each request's head.
async fn forward_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let heads: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let log = log.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as much body as it announced.
                loop {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            log.lock().push(text[..end].to_string());
                            break;
                        }
                    }
                }
                let answer = json!({
                    "id": "chatcmpl-proxy", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "through the proxy"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
                })
                .to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, heads)
}

#[tokio::test]
async fn calls_go_through_the_proxy_the_environment_names() {
    let dir = TempDir::new("upstream-proxy");
    let (proxy, heads) = forward_proxy().await;
    // A host only the proxy could reach.
    let config = config(dir.path(), "http://upstream.invalid/v1", &format!("  master_key: {MASTER_KEY}\n"));
    let data = dir.path().join("data");
    let env = [("HTTP_PROXY", proxy.as_str()), ("NO_PROXY", "localhost"), ("XDG_DATA_HOME", data.to_str().unwrap())];
    let gateway = Gateway::start(&config, &dir.path().join("gateway.log"), &env).await;

    let (status, body) = chat(&gateway).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "through the proxy");
    let heads = heads.lock().clone();
    assert_eq!(heads.len(), 1, "{heads:?}");
    let head = heads[0].to_ascii_lowercase();
    assert!(head.starts_with("post http://upstream.invalid/v1/chat/completions http/1.1"), "{head}");
    assert!(head.contains("authorization: bearer sk-upstream-test"), "{head}");
    assert!(gateway.stop().success());
}
