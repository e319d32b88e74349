//! Counting every request to an LLM route once. Calls the gateway takes on are counted when they
//! end, with who made them and for which model; a request that never reaches it (no key, a body
//! that is not JSON) is counted by the HTTP layer, by its route and status alone. A task-local
//! flag tells the two apart without threading a handle through every handler.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    static SEEN_BY_GATEWAY: Cell<bool>;
}

/// A request's handler, run where the gateway can say it took the request on.
pub type Tracked<F> = TaskLocalFuture<Cell<bool>, F>;

pub fn track<F: Future>(handler: F) -> Tracked<F> {
    SEEN_BY_GATEWAY.scope(Cell::new(false), handler)
}

/// Whether the gateway took on the request of this finished handler (and counted it).
pub fn seen_by_gateway<F: Future>(finished: Pin<&mut Tracked<F>>) -> bool {
    finished.take_value().is_some_and(|seen| seen.get())
}

/// The gateway took this request on and will count it (outside a tracked request: nothing).
pub fn mark_seen_by_gateway() {
    let _ = SEEN_BY_GATEWAY.try_with(|seen| seen.set(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn finish<F: Future>(handler: F) -> (F::Output, bool) {
        let mut tracked = std::pin::pin!(track(handler));
        let output = (&mut tracked).await;
        (output, seen_by_gateway(tracked))
    }

    #[tokio::test]
    async fn a_handler_that_reaches_the_gateway_is_told_apart_from_one_that_does_not() {
        let (_, seen) = finish(async {
            tokio::task::yield_now().await;
            mark_seen_by_gateway();
        })
        .await;
        assert!(seen);
        let (_, seen) = finish(async { tokio::task::yield_now().await }).await;
        assert!(!seen);
        // Outside any tracked request the mark is a no-op, not a panic.
        mark_seen_by_gateway();
    }
}
