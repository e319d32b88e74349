//! Counting every request to an LLM route once. Calls the gateway takes on are counted when they
//! end, with who made them and for which model; a request that never reaches it (no key, a body
//! that is not JSON) is counted here, by its route and status alone. A task-local flag tells
//! the two apart without threading a handle through every handler.

use std::cell::Cell;
use std::future::Future;

use super::{CallLabels, Metrics};

tokio::task_local! {
    static SEEN_BY_GATEWAY: Cell<bool>;
}

/// Runs one request's handler; counts it here unless the gateway took it on.
pub async fn track_request<F, R>(metrics: &Metrics, route: &str, status_of: impl FnOnce(&R) -> u16, handler: F) -> R
where
    F: Future<Output = R>,
{
    let (response, seen) = SEEN_BY_GATEWAY
        .scope(Cell::new(false), async {
            let response = handler.await;
            (response, SEEN_BY_GATEWAY.with(Cell::get))
        })
        .await;
    if !seen {
        metrics.proxy_request(&CallLabels::default(), route, status_of(&response));
    }
    response
}

/// The gateway took this request on and will count it (outside a tracked request: nothing).
pub fn mark_seen_by_gateway() {
    let _ = SEEN_BY_GATEWAY.try_with(|seen| seen.set(true));
}
