//! A successful call as an HTTP response: LiteLLM's `x-litellm-*` headers, then the JSON body or
//! the event stream. Each API route gives the frame that ends a stream on an error in its own
//! shape.

use std::convert::Infallible;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderName, HeaderValue};

use crate::gateway::{ChatReply, GatewayError, ReplyBody};

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("invalid"))
}

pub fn response(reply: ChatReply, error_frame: fn(&GatewayError) -> Bytes) -> Response {
    // The headers go straight into the response: a map merged into it afterwards would hash
    // each of them twice.
    let (mut response, streamed) = match reply.body {
        ReplyBody::Json(body) => (Response::new(Body::from(body)), false),
        ReplyBody::Stream(events) => {
            // A panic inside the stream (after the handler returned, out of the panic layer's
            // reach) ends it with an error event instead of a cut connection.
            let events = std::panic::AssertUnwindSafe(events).catch_unwind().map(|item| match item {
                Ok(item) => item,
                Err(_) => {
                    tracing::error!("a response stream panicked");
                    Err(GatewayError::Internal("Internal Server Error: the gateway hit a bug in this stream".into()))
                }
            });
            let body = events.scan(false, move |failed, item| {
                let frame = match item {
                    _ if *failed => None,
                    Ok(bytes) => Some(bytes),
                    Err(e) => {
                        *failed = true;
                        Some(error_frame(&e))
                    }
                };
                futures::future::ready(frame.map(Ok::<_, Infallible>))
            });
            (Response::new(Body::from_stream(body)), true)
        }
    };
    let headers = response.headers_mut();
    headers.reserve(12);
    let mut call_id = uuid::Uuid::encode_buffer();
    headers.insert(
        HeaderName::from_static("x-litellm-call-id"),
        header(reply.call_id.hyphenated().encode_lower(&mut call_id)),
    );
    headers.insert(HeaderName::from_static("x-litellm-model-id"), header(&reply.deployment.entry.id));
    headers.insert(HeaderName::from_static("x-litellm-model-group"), header(&reply.model_group));
    headers.insert(HeaderName::from_static("x-litellm-attempted-retries"), HeaderValue::from(reply.attempted_retries));
    headers.insert(HeaderName::from_static("x-litellm-max-retries"), HeaderValue::from(reply.max_retries));
    headers
        .insert(HeaderName::from_static("x-litellm-attempted-fallbacks"), HeaderValue::from(reply.attempted_fallbacks));
    headers.insert(HeaderName::from_static("x-litellm-timeout"), header(&reply.timeout.as_secs_f64().to_string()));
    headers.insert(
        HeaderName::from_static("x-litellm-overhead-duration-ms"),
        header(&format!("{:.3}", reply.overhead.as_secs_f64() * 1000.0)),
    );
    if streamed {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
    } else {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let ms = reply.started.elapsed().as_millis();
        headers.insert(HeaderName::from_static("x-litellm-response-duration-ms"), HeaderValue::from(ms as u64));
        if let Some(cost) = reply.cost {
            headers.insert(HeaderName::from_static("x-litellm-response-cost"), header(&cost.to_string()));
        }
    }
    response
}
