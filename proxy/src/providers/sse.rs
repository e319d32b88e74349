//! Server-sent events shared by providers: the framing of the OpenAI streams they build, the
//! cutting of an upstream's events, and the loop that turns an upstream's events into chunks.

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Serialize;

use std::sync::Arc;

use super::{MAX_EVENT_BYTES, ProviderError, TokenPrices, UsageSlot};
use crate::schema::{ChatChunk, ChunkChoice, ChunkUsage, Delta, Usage};

/// The frame that ends every OpenAI stream.
pub const DONE_EVENT: &[u8] = b"data: [DONE]\n\n";

/// Frames a value as `data: <json>\n\n`.
pub fn data_event<T: Serialize>(value: &T) -> Result<Bytes, serde_json::Error> {
    let mut buf = BytesMut::with_capacity(256).writer();
    std::io::Write::write_all(&mut buf, b"data: ").map_err(serde_json::Error::io)?;
    serde_json::to_writer(&mut buf, value)?;
    std::io::Write::write_all(&mut buf, b"\n\n").map_err(serde_json::Error::io)?;
    Ok(buf.into_inner().freeze())
}

/// Cuts a byte stream into whole events, each with its blank line; Google ends events with
/// `\r\n\r\n`, others with `\n\n`.
#[derive(Default)]
pub struct EventSplitter {
    pending: BytesMut,
}

impl EventSplitter {
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Bytes>, ProviderError> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            let lf = memchr::memmem::find(&self.pending, b"\n\n").map(|at| (at, 2));
            let crlf = memchr::memmem::find(&self.pending, b"\r\n\r\n").map(|at| (at, 4));
            let Some((at, len)) = [lf, crlf].into_iter().flatten().min_by_key(|(at, _)| *at) else { break };
            out.push(self.pending.split_to(at + len).freeze());
        }
        if self.pending.len() > MAX_EVENT_BYTES {
            return Err(ProviderError::Protocol("an event of the stream is too large".into()));
        }
        Ok(out)
    }

    /// What is left when the upstream ends (a last event without its blank line).
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.pending).freeze()
    }
}

/// Writes the OpenAI chunks of one translated stream: its id, `created` and alias on every chunk,
/// and the usage chunk and `[DONE]` that end it.
pub struct ChunkWriter {
    id: String,
    created: u64,
    alias: Arc<str>,
    include_usage: bool,
    slot: Arc<UsageSlot>,
    prices: Option<TokenPrices>,
    ended: bool,
}

impl ChunkWriter {
    pub fn new(
        id: String,
        created: u64,
        alias: Arc<str>,
        include_usage: bool,
        slot: Arc<UsageSlot>,
        prices: Option<TokenPrices>,
    ) -> Self {
        ChunkWriter { id, created, alias, include_usage, slot, prices, ended: false }
    }

    /// Where the stream's usage and response id are kept for the gateway.
    pub fn slot(&self) -> &UsageSlot {
        &self.slot
    }

    /// One chunk for choice `index`.
    pub fn delta(
        &self,
        index: u32,
        delta: Delta<'_>,
        finish_reason: Option<&'static str>,
        out: &mut Vec<Bytes>,
    ) -> Result<(), ProviderError> {
        let chunk = ChatChunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.alias,
            choices: vec![ChunkChoice { index, delta, finish_reason }],
            usage: None,
        };
        out.push(data_event(&chunk).map_err(|e| ProviderError::Protocol(e.to_string()))?);
        Ok(())
    }

    /// Records the answer's usage, then the usage chunk (when the client asked for it, with
    /// LiteLLM's `cost`) and `[DONE]`; once.
    pub fn end(&mut self, usage: Usage, out: &mut Vec<Bytes>) -> Result<(), ProviderError> {
        if self.ended {
            return Ok(());
        }
        self.ended = true;
        self.slot.set(usage);
        if self.include_usage {
            let chunk = ChatChunk {
                id: &self.id,
                object: "chat.completion.chunk",
                created: self.created,
                model: &self.alias,
                choices: Vec::new(),
                usage: Some(ChunkUsage { tokens: usage, cost: self.prices.map(|p| p.cost(&usage)) }),
            };
            out.push(data_event(&chunk).map_err(|e| ProviderError::Protocol(e.to_string()))?);
        }
        out.push(Bytes::from_static(DONE_EVENT));
        Ok(())
    }
}

/// Turns one upstream's events into OpenAI chunks.
pub trait ToChunks: Send + 'static {
    /// The chunks for one event (possibly none).
    fn chunks(&mut self, event: &[u8], out: &mut Vec<Bytes>) -> Result<(), ProviderError>;
    /// The last chunks (usage, `[DONE]`) when the upstream ends; called once.
    fn finish(&mut self, out: &mut Vec<Bytes>) -> Result<(), ProviderError>;
}

/// An upstream's event stream as the client's chunk stream: one body chunk per upstream read
/// that completed an event; the end of the upstream's stream is the end of the answer (a last
/// event without its blank line is still read).
pub fn translated<T: ToChunks>(
    upstream: BoxStream<'static, Result<Bytes, ProviderError>>,
    translator: T,
) -> BoxStream<'static, Result<Bytes, ProviderError>> {
    let state = (upstream, EventSplitter::default(), translator, false);
    let events = futures::stream::unfold(state, |(mut upstream, mut splitter, mut chunks, ended)| async move {
        if ended {
            return None;
        }
        loop {
            let mut out = Vec::new();
            let (result, ends) = match upstream.next().await {
                Some(Ok(bytes)) => (
                    splitter
                        .push(&bytes)
                        .and_then(|events| events.iter().try_for_each(|event| chunks.chunks(event, &mut out))),
                    false,
                ),
                Some(Err(e)) => (Err(e), true),
                None => {
                    let rest = splitter.rest();
                    (chunks.chunks(&rest, &mut out).and_then(|()| chunks.finish(&mut out)), true)
                }
            };
            match result {
                Err(e) => return Some((Err(e), (upstream, splitter, chunks, true))),
                Ok(()) if out.is_empty() && !ends => continue,
                Ok(()) if out.is_empty() => return None,
                Ok(()) => return Some((Ok(joined(out)), (upstream, splitter, chunks, ends))),
            }
        }
    });
    Box::pin(events)
}

/// Frames as one body chunk.
pub fn joined(frames: Vec<Bytes>) -> Bytes {
    if frames.len() == 1 {
        return frames.into_iter().next().unwrap_or_default();
    }
    let mut out = BytesMut::with_capacity(frames.iter().map(Bytes::len).sum());
    for frame in frames {
        out.extend_from_slice(&frame);
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    #[test]
    fn frames_json() {
        let b = super::data_event(&serde_json::json!({"a": 1})).unwrap();
        assert_eq!(&b[..], b"data: {\"a\":1}\n\n");
    }

    #[test]
    fn events_are_cut_at_either_blank_line() {
        let mut s = super::EventSplitter::default();
        let out = s.push(b"data: 1\n\ndata: 2\r\n\r\ndata: 3").unwrap();
        assert_eq!(out, [&b"data: 1\n\n"[..], &b"data: 2\r\n\r\n"[..]]);
        assert_eq!(&s.rest()[..], b"data: 3");
    }
}
