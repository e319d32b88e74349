//! The seed's health check of a deployed gateway, against a local server.

// Test code: a failed expectation should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use switchboard_deploy::health::check;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn alive_after_the_target_registers() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    // The first answer is the ALB's 503 before the task is registered.
    let app = Router::new().route(
        "/health/liveliness",
        get(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    (StatusCode::SERVICE_UNAVAILABLE, "\"no target\"")
                } else {
                    (StatusCode::OK, "\"I'm alive!\"")
                }
            }
        }),
    );
    let base = serve(app).await;
    let h = check(&format!("{base}/"), 3, Duration::from_millis(10)).await;
    assert!(h.ok, "{h:?}");
    assert_eq!((h.status, h.body.as_deref(), h.attempts), (Some(200), Some("\"I'm alive!\""), 2));
    assert_eq!(h.url, format!("{base}/health/liveliness"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unreachable_and_unhealthy_are_reported() {
    let base = serve(Router::new().route("/health/liveliness", get(|| async { StatusCode::BAD_GATEWAY }))).await;
    let h = check(&base, 2, Duration::ZERO).await;
    assert!(!h.ok);
    assert_eq!((h.status, h.attempts), (Some(502), 2));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let h = check(&format!("http://127.0.0.1:{port}"), 1, Duration::ZERO).await;
    assert!(!h.ok && h.status.is_none());
    assert!(h.error.as_deref().is_some_and(|e| !e.is_empty()), "{h:?}");
}
