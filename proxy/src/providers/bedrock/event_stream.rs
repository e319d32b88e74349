//! AWS event-stream frames (`application/vnd.amazon.eventstream`), cut from a body as it
//! arrives: a 12-byte prelude (total length, headers length, the prelude's CRC32), the headers,
//! the payload, and the CRC32 of all that. Each frame's checksums are computed once over its
//! bytes, and a frame is kept as one slice of the body, its headers read in place (the SDK's
//! decoder feeds its checksum a few bytes at a time and copies every header).

use bytes::{Buf, Bytes, BytesMut};

use crate::providers::{MAX_EVENT_BYTES, ProviderError};

const PRELUDE: usize = 12;
const TRAILER: usize = 4;
/// The value type of a string header.
const STRING: u8 = 7;

/// One frame: its headers and payload, slices of the body.
pub struct Frame {
    headers: Bytes,
    payload: Bytes,
}

impl Frame {
    /// The value of a string header.
    pub fn header(&self, name: &str) -> Option<&str> {
        Headers(&self.headers).find_map(|h| match h {
            Ok((n, STRING, value)) if n == name.as_bytes() => std::str::from_utf8(value).ok(),
            _ => None,
        })
    }

    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// The body read so far that no whole frame has come out of yet.
#[derive(Default)]
pub struct FrameReader {
    buffer: BytesMut,
}

impl FrameReader {
    /// Whether nothing of a next frame has come.
    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.buffer.extend_from_slice(chunk);
    }

    /// The next whole frame, `None` until the body has brought one.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ProviderError> {
        let Some(prelude) = self.buffer.get(..PRELUDE) else { return Ok(None) };
        let word =
            |at: usize| prelude.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
        let (total, headers_len, prelude_crc) = (word(0).unwrap_or(0) as usize, word(4).unwrap_or(0) as usize, word(8));
        if Some(crc32(prelude.get(..8).unwrap_or_default())) != prelude_crc {
            return Err(malformed("a frame's prelude does not match its checksum"));
        }
        if total < PRELUDE + TRAILER || headers_len > total - PRELUDE - TRAILER {
            return Err(malformed("a frame's lengths do not add up"));
        }
        if total > MAX_EVENT_BYTES {
            return Err(ProviderError::Protocol(format!(
                "an event of the stream is larger than {} MB",
                MAX_EVENT_BYTES / (1024 * 1024)
            )));
        }
        if self.buffer.len() < total {
            return Ok(None);
        }
        let mut frame = self.buffer.split_to(total).freeze();
        let checked = frame.get(..total - TRAILER).map(crc32);
        let sent = frame.get(total - TRAILER..).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
        if checked != sent {
            return Err(malformed("a frame does not match its checksum"));
        }
        frame.truncate(total - TRAILER);
        frame.advance(PRELUDE);
        let payload = frame.split_off(headers_len);
        if Headers(&frame).any(|h| h.is_err()) {
            return Err(malformed("a frame's headers are malformed"));
        }
        Ok(Some(Frame { headers: frame, payload }))
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytes);
    hasher.finalize()
}

fn malformed(why: &str) -> ProviderError {
    ProviderError::Protocol(format!("the event stream is malformed ({why})"))
}

/// The headers of a header block: name, value type, value (for the fixed-size types, their
/// bytes; for strings and byte arrays, without the length).
struct Headers<'a>(&'a [u8]);

impl<'a> Iterator for Headers<'a> {
    type Item = Result<(&'a [u8], u8, &'a [u8]), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&name_len, rest) = self.0.split_first()?;
        let header = (|| {
            let name = rest.get(..name_len as usize).ok_or(())?;
            let rest = rest.get(name_len as usize..).ok_or(())?;
            let (&kind, rest) = rest.split_first().ok_or(())?;
            let (value, rest) = match kind {
                0 | 1 => rest.split_at_checked(0).ok_or(())?,
                2 => rest.split_at_checked(1).ok_or(())?,
                3 => rest.split_at_checked(2).ok_or(())?,
                4 => rest.split_at_checked(4).ok_or(())?,
                5 | 8 => rest.split_at_checked(8).ok_or(())?,
                9 => rest.split_at_checked(16).ok_or(())?,
                6 | 7 => {
                    let (len, rest) = rest.split_at_checked(2).ok_or(())?;
                    let len = u16::from_be_bytes(len.try_into().map_err(drop)?) as usize;
                    rest.split_at_checked(len).ok_or(())?
                }
                _ => return Err(()),
            };
            Ok(((name, kind, value), rest))
        })();
        match header {
            Ok((header, rest)) => {
                self.0 = rest;
                Some(Ok(header))
            }
            Err(()) => {
                self.0 = &[];
                Some(Err(()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};

    use super::*;

    /// A frame as the SDK writes it, with headers of every type.
    fn frame(payload: &str) -> Vec<u8> {
        let message = Message::new(payload.as_bytes().to_vec())
            .add_header(Header::new(":flag", HeaderValue::Bool(true)))
            .add_header(Header::new(":n", HeaderValue::Int64(-7)))
            .add_header(Header::new(":bytes", HeaderValue::ByteArray(Bytes::from_static(b"\x00\x01"))))
            .add_header(Header::new(":message-type", HeaderValue::String("event".into())))
            .add_header(Header::new(":event-type", HeaderValue::String("contentBlockDelta".into())))
            .add_header(Header::new(":when", HeaderValue::Timestamp(aws_smithy_types::DateTime::from_secs(1))));
        let mut out = Vec::new();
        aws_smithy_eventstream::frame::write_message_to(&message, &mut out).unwrap();
        out
    }

    #[test]
    fn frames_come_out_whole_however_the_body_is_cut() {
        let body = [frame(r#"{"a":1}"#), frame(""), frame(r#"{"b":2}"#)].concat();
        for piece in [1, 5, 13, body.len()] {
            let mut reader = FrameReader::default();
            let mut frames = Vec::new();
            for chunk in body.chunks(piece) {
                reader.push(chunk);
                while let Some(frame) = reader.next_frame().unwrap() {
                    frames.push(frame);
                }
            }
            assert_eq!(frames.len(), 3, "piece {piece}");
            assert_eq!(frames[0].payload(), br#"{"a":1}"#);
            assert_eq!(frames[1].payload(), b"");
            assert_eq!(frames[2].header(":event-type"), Some("contentBlockDelta"));
            assert_eq!(frames[2].header(":message-type"), Some("event"));
            assert_eq!(frames[2].header(":n"), None, "not a string");
            assert_eq!(frames[2].header(":absent"), None);
        }
    }

    #[test]
    fn damaged_or_oversized_frames_are_refused() {
        let good = frame(r#"{"a":1}"#);
        let mut payload_flipped = good.clone();
        let at = payload_flipped.len() - 6;
        payload_flipped[at] ^= 1;
        let mut prelude_flipped = good.clone();
        prelude_flipped[3] ^= 1;
        for (bytes, why) in [(payload_flipped, "does not match its checksum"), (prelude_flipped, "prelude")] {
            let mut reader = FrameReader::default();
            reader.push(&bytes);
            let err = reader.next_frame().err().unwrap();
            assert!(err.to_string().contains(why), "{err}");
        }
        // A prelude that claims 64 MB is refused at once, not waited for.
        let mut huge = Vec::new();
        huge.extend_from_slice(&(64u32 << 20).to_be_bytes());
        huge.extend_from_slice(&0u32.to_be_bytes());
        huge.extend_from_slice(&crc32(&huge).to_be_bytes());
        let mut reader = FrameReader::default();
        reader.push(&huge);
        assert!(reader.next_frame().err().unwrap().to_string().contains("larger than"));
        // Lengths that do not add up.
        let mut short = Vec::new();
        short.extend_from_slice(&20u32.to_be_bytes());
        short.extend_from_slice(&8u32.to_be_bytes());
        short.extend_from_slice(&crc32(&short).to_be_bytes());
        let mut reader = FrameReader::default();
        reader.push(&short);
        assert!(reader.next_frame().err().unwrap().to_string().contains("lengths do not add up"));
    }

    #[test]
    fn truncated_headers_are_malformed() {
        // A header block of one byte: a name length with no name after it.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&17u32.to_be_bytes());
        bytes.extend_from_slice(&1u32.to_be_bytes());
        bytes.extend_from_slice(&crc32(&bytes).to_be_bytes());
        bytes.push(9);
        let crc = crc32(&bytes);
        bytes.extend_from_slice(&crc.to_be_bytes());
        let mut reader = FrameReader::default();
        reader.push(&bytes);
        assert!(reader.next_frame().err().unwrap().to_string().contains("headers are malformed"));
    }
}
