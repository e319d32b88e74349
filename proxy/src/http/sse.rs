//! Server-sent events of the admin feeds (axum's `Sse`): each item a `data: <json>` event, and a
//! comment when the feed is quiet so that proxies keep the connection. The chat path splices
//! upstream bytes itself (see `openai`); these feeds are the gateway's own values.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use serde::Serialize;

/// How often a quiet feed sends a comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A feed of values, one event each; `quiet` is the comment sent after [`KEEP_ALIVE`] of silence.
pub fn feed<S, T>(items: S, quiet: &'static str) -> Response
where
    S: Stream<Item = T> + Send + 'static,
    T: Serialize,
{
    let events = items.map(|item| Ok::<_, Infallible>(event(&item)));
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text(quiet)).into_response()
}

/// A feed of ready events (values and comments).
pub fn events<S>(events: S, quiet: &'static str) -> Response
where
    S: Stream<Item = Event> + Send + 'static,
{
    Sse::new(events.map(Ok::<_, Infallible>))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text(quiet))
        .into_response()
}

/// `data: <json>` of a value (an empty event if it cannot be written, which a Serialize of
/// plain data never does).
pub fn event<T: Serialize>(item: &T) -> Event {
    Event::default().json_data(item).unwrap_or_default()
}
