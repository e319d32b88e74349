//! Pass-through of an upstream's Chat Completions stream.
//!
//! Frames are forwarded as they arrive, touching only what the client must see differently:
//! `model` becomes the alias (a byte splice, no JSON parse), and the usage chunk, which is
//! always requested upstream, is parsed once to record usage and dropped unless the client
//! asked for it.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use memchr::memmem;
use serde_json::Value;

use crate::providers::{DONE_EVENT, MAX_EVENT_BYTES, ProviderError, TokenPrices, UsageSlot};
use crate::schema::Usage;

pub struct Rewriter {
    alias_json: Vec<u8>,
    include_usage: bool,
    usage: Arc<UsageSlot>,
    pending: BytesMut,
    /// How much of `pending` is known to hold no event end (so a long event is scanned once).
    scanned: usize,
    saw_done: bool,
    saw_id: bool,
    alias: Arc<str>,
    prices: Option<TokenPrices>,
}

impl Rewriter {
    pub fn new(alias: Arc<str>, include_usage: bool, usage: Arc<UsageSlot>, prices: Option<TokenPrices>) -> Self {
        let alias_json = serde_json::to_vec(&*alias).unwrap_or_else(|_| b"\"\"".to_vec());
        Self {
            alias_json,
            include_usage,
            usage,
            pending: BytesMut::new(),
            scanned: 0,
            saw_done: false,
            saw_id: false,
            alias,
            prices,
        }
    }

    /// Rewrites an upstream byte stream into the client's; one output chunk per upstream read.
    pub fn rewrite<S>(self, upstream: S) -> impl Stream<Item = Result<Bytes, ProviderError>> + Send + 'static
    where
        S: Stream<Item = Result<Bytes, ProviderError>> + Send + 'static,
    {
        struct State<S> {
            rewriter: Rewriter,
            upstream: std::pin::Pin<Box<S>>,
            ready: VecDeque<Bytes>,
            ended: bool,
        }
        let state = State { rewriter: self, upstream: Box::pin(upstream), ready: VecDeque::new(), ended: false };
        futures::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(b) = st.ready.pop_front() {
                    return Some((Ok(b), st));
                }
                if st.ended {
                    return None;
                }
                match st.upstream.next().await {
                    Some(Ok(chunk)) => match st.rewriter.push(&chunk) {
                        Ok(out) if out.is_empty() => {}
                        Ok(out) => st.ready.push_back(out),
                        Err(e) => {
                            st.ended = true;
                            return Some((Err(e), st));
                        }
                    },
                    Some(Err(e)) => {
                        st.ended = true;
                        return Some((Err(e), st));
                    }
                    None => {
                        st.ended = true;
                        let out = st.rewriter.finish();
                        if !out.is_empty() {
                            st.ready.push_back(out);
                        }
                    }
                }
            }
        })
    }

    /// Takes one upstream read; returns the bytes to send for every event it completed. An
    /// event that grows past `MAX_EVENT_BYTES` without ending is an error, not a memory sink.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Bytes, ProviderError> {
        self.pending.extend_from_slice(chunk);
        let mut out = BytesMut::with_capacity(chunk.len() + 64);
        // A delimiter may straddle the previous read: look back 3 bytes.
        let mut from = self.scanned.saturating_sub(3);
        while let Some((end, delimiter)) = find_event_end(self.pending.get(from..).unwrap_or_default()) {
            let end = from + end;
            let event = self.pending.split_to(end + delimiter).freeze();
            self.process_event(event.get(..end).unwrap_or_default(), &mut out);
            from = 0;
        }
        self.scanned = self.pending.len();
        if self.pending.len() > MAX_EVENT_BYTES {
            return Err(ProviderError::Protocol(format!(
                "a stream event longer than {} MB",
                MAX_EVENT_BYTES / (1024 * 1024)
            )));
        }
        Ok(out.freeze())
    }

    /// The upstream ended: flush a last unterminated event, and make sure `[DONE]` is sent.
    pub fn finish(&mut self) -> Bytes {
        let mut out = BytesMut::new();
        if !self.pending.iter().all(u8::is_ascii_whitespace) {
            self.scanned = 0;
            let event = std::mem::take(&mut self.pending).freeze();
            self.process_event(&event, &mut out);
        }
        if !self.saw_done {
            self.saw_done = true;
            out.extend_from_slice(DONE_EVENT);
        }
        out.freeze()
    }

    fn process_event(&mut self, event: &[u8], out: &mut BytesMut) {
        let mut forwarded_any = false;
        for line in event.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(payload) = line.strip_prefix(b"data:") else {
                continue;
            };
            let payload = payload.strip_prefix(b" ").unwrap_or(payload);
            forwarded_any = true;
            if payload == b"[DONE]" {
                if !self.saw_done {
                    self.saw_done = true;
                    out.extend_from_slice(DONE_EVENT);
                }
            } else if has_usage_object(payload) {
                self.usage_chunk(payload, out);
            } else {
                if !self.saw_id
                    && let Some(id) = string_member_span(payload, b"\"id\"").and_then(|(s, e)| payload.get(s..e))
                {
                    self.saw_id = true;
                    if let Ok(id) = serde_json::from_slice::<String>(id) {
                        self.usage.set_response_id(id);
                    }
                }
                out.extend_from_slice(b"data: ");
                splice_model(payload, &self.alias_json, out);
                out.extend_from_slice(b"\n\n");
            }
        }
        if !forwarded_any && !event.is_empty() {
            // Comments and other fields (keep-alives): pass them on untouched.
            out.extend_from_slice(event);
            out.extend_from_slice(b"\n\n");
        }
    }

    fn usage_chunk(&mut self, payload: &[u8], out: &mut BytesMut) {
        let Ok(mut chunk) = serde_json::from_slice::<Value>(payload) else {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(payload);
            out.extend_from_slice(b"\n\n");
            return;
        };
        let Some(fields) = chunk.as_object_mut() else {
            return;
        };
        if let Some(usage) = fields.get("usage").and_then(|u| serde_json::from_value::<Usage>(u.clone()).ok()) {
            self.usage.set(usage);
            if let (Some(prices), Some(Value::Object(u))) = (self.prices, fields.get_mut("usage")) {
                u.entry("cost").or_insert_with(|| Value::from(prices.cost(&usage)));
            }
        }
        fields.insert("model".into(), Value::String(self.alias.to_string()));
        if !self.include_usage {
            let has_choices = fields.get("choices").and_then(Value::as_array).is_some_and(|c| !c.is_empty());
            if !has_choices {
                return;
            }
            fields.remove("usage");
        }
        out.extend_from_slice(b"data: ");
        if serde_json::to_writer((&mut *out).writer(), &chunk).is_err() {
            out.extend_from_slice(payload);
        }
        out.extend_from_slice(b"\n\n");
    }
}

/// End of the first complete event in `buf`: (index of the blank line, its length).
fn find_event_end(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = memmem::find(buf, b"\n\n").map(|i| (i, 2));
    let crlf = memmem::find(buf, b"\r\n\r\n").map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// Whether a chunk carries a usage object (as opposed to `"usage": null` or none).
fn has_usage_object(payload: &[u8]) -> bool {
    memmem::find_iter(payload, b"\"usage\"").any(|i| {
        let rest = skip_ws(payload.get(i + 7..).unwrap_or_default());
        rest.first() == Some(&b':') && skip_ws(rest.get(1..).unwrap_or_default()).first() == Some(&b'{')
    })
}

fn skip_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    b.get(n..).unwrap_or_default()
}

/// Copies `payload` to `out` with the value of its first `"model"` string member replaced by
/// `alias_json`. Chunks put `model` before `choices`, so the first match is the top-level one;
/// a `"model"` inside message text would appear escaped (`\"model\"`) and cannot match.
pub(super) fn splice_model(payload: &[u8], alias_json: &[u8], out: &mut BytesMut) {
    let span = string_member_span(payload, b"\"model\"");
    match span.and_then(|(start, end)| Some((payload.get(..start)?, payload.get(end..)?))) {
        Some((before, after)) => {
            out.extend_from_slice(before);
            out.extend_from_slice(alias_json);
            out.extend_from_slice(after);
        }
        None => out.extend_from_slice(payload),
    }
}

/// Byte span of the string value (quotes included) of the first member named `key` (given
/// with its quotes).
fn string_member_span(payload: &[u8], key: &[u8]) -> Option<(usize, usize)> {
    let at = memmem::find(payload, key)?;
    if at > 0 && payload.get(at - 1) == Some(&b'\\') {
        return None;
    }
    let after_key = at + key.len();
    let rest = payload.get(after_key..)?;
    let colon = rest.iter().position(|c| !c.is_ascii_whitespace())?;
    if rest.get(colon) != Some(&b':') {
        return None;
    }
    let value_rel = colon + 1 + rest.get(colon + 1..)?.iter().position(|c| !c.is_ascii_whitespace())?;
    if rest.get(value_rel) != Some(&b'"') {
        return None;
    }
    let start = after_key + value_rel;
    let mut i = start + 1;
    while let Some(c) = payload.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return Some((start, i + 1)),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewriter(include_usage: bool) -> (Rewriter, Arc<UsageSlot>) {
        let slot = Arc::new(UsageSlot::default());
        (Rewriter::new("claude-haiku".into(), include_usage, slot.clone(), Some(TokenPrices::new(0.1, 1.0))), slot)
    }

    const CHUNK: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024","choices":[{"index":0,"delta":{"content":"say \"model\": \"x\""}}]}"#;
    const USAGE: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#;

    #[test]
    fn rewrites_model_and_keeps_content_even_when_split_across_reads() {
        let (mut r, _) = rewriter(false);
        let whole = format!("data: {CHUNK}\n\n");
        let (a, b) = whole.as_bytes().split_at(20);
        assert!(r.push(a).unwrap().is_empty());
        let out = r.push(b).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        let json: Value = serde_json::from_str(text.strip_prefix("data: ").unwrap().trim()).unwrap();
        assert_eq!(json["model"], "claude-haiku");
        assert_eq!(json["choices"][0]["delta"]["content"], "say \"model\": \"x\"");
    }

    #[test]
    fn usage_chunk_is_recorded_and_hidden_unless_asked() {
        let (mut r, slot) = rewriter(false);
        let out = r.push(format!("data: {USAGE}\n\ndata: [DONE]\n\n").as_bytes()).unwrap();
        assert_eq!(&out[..], DONE_EVENT);
        assert_eq!(slot.get().unwrap().total_tokens, 5);

        let (mut r, slot) = rewriter(true);
        let out = r.push(format!("data: {USAGE}\r\n\r\n").as_bytes()).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains("\"model\":\"claude-haiku\"") && text.contains("\"total_tokens\":5"), "{text}");
        assert!(text.contains("\"cost\":2.3"), "3 × 0.1 + 2 × 1.0: {text}");
        assert_eq!(slot.get().unwrap().prompt_tokens, 3);
        assert_eq!(&r.finish()[..], DONE_EVENT, "[DONE] is added when the upstream forgot it");
    }

    #[test]
    fn null_usage_is_a_plain_chunk() {
        assert!(!has_usage_object(br#"{"usage":null}"#));
        assert!(has_usage_object(br#"{"usage" : {"a":1}}"#));
    }

    #[test]
    fn comments_pass_through() {
        let (mut r, _) = rewriter(false);
        assert_eq!(&r.push(b": keep-alive\n\n").unwrap()[..], b": keep-alive\n\n");
    }

    #[test]
    fn an_endless_event_is_an_error_not_a_memory_sink() {
        let (mut r, _) = rewriter(false);
        let piece = vec![b'x'; 1024 * 1024];
        let mut failed = false;
        for _ in 0..20 {
            if r.push(&piece).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "an unterminated event past the limit ends the stream");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn chunk(id: &str, model: &str, content: &str) -> String {
            serde_json::json!({"id": id, "object": "chat.completion.chunk", "created": 1, "model": model,
                "choices": [{"index": 0, "delta": {"content": content}}]})
            .to_string()
        }

        proptest! {
            /// Whatever the upstream's model name and the text hold, the alias replaces the
            /// model and the text arrives unchanged.
            #[test]
            fn splice_keeps_everything_but_the_model(model in "\\PC*", content in "\\PC*", alias in "\\PC{1,20}") {
                let payload = chunk("c1", &model, &content);
                let alias_json = serde_json::to_vec(&alias).unwrap();
                let mut out = BytesMut::new();
                splice_model(payload.as_bytes(), &alias_json, &mut out);
                let v: Value = serde_json::from_slice(&out).unwrap();
                prop_assert_eq!(v["model"].as_str(), Some(alias.as_str()));
                prop_assert_eq!(v["choices"][0]["delta"]["content"].as_str(), Some(content.as_str()));
            }

            /// Arbitrary bytes never panic the splicer or the event parser.
            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let mut out = BytesMut::new();
                splice_model(&bytes, b"\"a\"", &mut out);
                let (mut r, _) = rewriter(true);
                let _ = r.push(&bytes);
                let _ = r.finish();
            }

            /// However the upstream's bytes are cut into reads, the client gets the same bytes.
            #[test]
            fn reads_cut_anywhere_give_the_same_stream(
                contents in proptest::collection::vec("\\PC{0,30}", 1..6),
                cuts in proptest::collection::vec(0usize..400, 0..8),
                crlf in any::<bool>(),
            ) {
                let sep = if crlf { "\r\n\r\n" } else { "\n\n" };
                let mut whole = String::new();
                for c in &contents {
                    whole.push_str(&format!("data: {}{sep}", chunk("c1", "gpt-x", c)));
                }
                whole.push_str(&format!("data: {USAGE}{sep}data: [DONE]{sep}"));
                let bytes = whole.as_bytes();

                let (mut one, _) = rewriter(true);
                let mut expected = one.push(bytes).unwrap().to_vec();
                expected.extend_from_slice(&one.finish());

                let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
                points.sort_unstable();
                let (mut pieces, slot) = rewriter(true);
                let mut got = Vec::new();
                let mut from = 0;
                for p in points.into_iter().chain([bytes.len()]) {
                    got.extend_from_slice(&pieces.push(&bytes[from..p]).unwrap());
                    from = p;
                }
                got.extend_from_slice(&pieces.finish());
                prop_assert_eq!(got, expected);
                prop_assert_eq!(slot.get().map(|u| u.total_tokens), Some(5));
                prop_assert_eq!(slot.response_id(), Some("c1".to_string()));
            }
        }
    }
}
