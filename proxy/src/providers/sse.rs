//! Server-sent event framing shared by providers that build OpenAI streams.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

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

#[cfg(test)]
mod tests {
    #[test]
    fn frames_json() {
        let b = super::data_event(&serde_json::json!({"a": 1})).unwrap();
        assert_eq!(&b[..], b"data: {\"a\":1}\n\n");
    }
}
