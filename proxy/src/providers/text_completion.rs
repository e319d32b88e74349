//! Chat answers reshaped as legacy text completions, for providers that only chat: the
//! assistant's text becomes `choices[].text` and `object` becomes `text_completion`, in whole
//! answers and stream chunks alike.

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use memchr::memmem;
use serde_json::{Map, Value, json};

use super::{ChatOutput, ChatStream, DONE_EVENT, MAX_EVENT_BYTES, ProviderError};

pub fn from_chat(output: ChatOutput, echo: Option<String>) -> Result<ChatOutput, ProviderError> {
    match output {
        ChatOutput::Complete { body, usage, response_id, .. } => {
            let chat: Value = serde_json::from_slice(&body)
                .map_err(|e| ProviderError::Protocol(format!("the answer is not a chat completion ({e})")))?;
            let body = serde_json::to_vec(&completion(&chat, echo.as_deref()))
                .map_err(|e| ProviderError::Protocol(e.to_string()))?;
            Ok(ChatOutput::Complete { body: body.into(), usage, response_id, native: false })
        }
        ChatOutput::Stream(ChatStream { events, usage, .. }) => {
            let state = (events, Reshaper { pending: BytesMut::new(), echo }, false);
            let events = futures::stream::unfold(state, |(mut events, mut reshaper, ended)| async move {
                if ended {
                    return None;
                }
                loop {
                    match events.next().await {
                        Some(Ok(bytes)) => match reshaper.push(&bytes) {
                            Ok(out) if out.is_empty() => continue,
                            Ok(out) => return Some((Ok(out), (events, reshaper, false))),
                            Err(e) => return Some((Err(e), (events, reshaper, true))),
                        },
                        Some(Err(e)) => return Some((Err(e), (events, reshaper, true))),
                        None => return None,
                    }
                }
            });
            Ok(ChatOutput::Stream(ChatStream { events: Box::pin(events), usage, native: false }))
        }
    }
}

/// The member at `path` of a JSON value, or null: chat answers are read leniently, as the
/// fields a client needs are copied over whatever else a provider sent.
fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    static NULL: Value = Value::Null;
    path.iter().try_fold(value, |v, key| v.get(key)).unwrap_or(&NULL)
}

/// A whole chat completion as a text completion.
fn completion(chat: &Value, echo: Option<&str>) -> Value {
    let choices: Vec<Value> = at(chat, &["choices"])
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let text = at(c, &["message", "content"]).as_str().unwrap_or_default();
            let text = match echo {
                Some(prompt) => format!("{prompt}{text}"),
                None => text.to_string(),
            };
            json!({"text": text, "index": at(c, &["index"]), "logprobs": null, "finish_reason": at(c, &["finish_reason"])})
        })
        .collect();
    let mut out = Map::new();
    out.insert("id".into(), completion_id(at(chat, &["id"])));
    out.insert("object".into(), "text_completion".into());
    out.insert("created".into(), at(chat, &["created"]).clone());
    out.insert("model".into(), at(chat, &["model"]).clone());
    out.insert("choices".into(), Value::Array(choices));
    if let Some(usage) = chat.get("usage") {
        out.insert("usage".into(), usage.clone());
    }
    Value::Object(out)
}

/// OpenAI's completion ids start with `cmpl-`; a translated chat id keeps its unique part.
fn completion_id(id: &Value) -> Value {
    match id.as_str() {
        Some(id) => format!("cmpl-{}", id.strip_prefix("chatcmpl-").unwrap_or(id)).into(),
        None => Value::Null,
    }
}

/// Turns chat chunk events into text completion chunk events, whatever the framing of the
/// bytes it is given.
struct Reshaper {
    pending: BytesMut,
    /// The prompt, sent before the first text when the client asked for `echo`.
    echo: Option<String>,
}

impl Reshaper {
    fn push(&mut self, bytes: &[u8]) -> Result<Bytes, ProviderError> {
        self.pending.extend_from_slice(bytes);
        let mut out = BytesMut::new();
        while let Some(end) = memmem::find(&self.pending, b"\n\n") {
            let event = self.pending.split_to(end + 2);
            self.event(event.get(..end).unwrap_or_default(), &mut out);
        }
        if self.pending.len() > MAX_EVENT_BYTES {
            return Err(ProviderError::Protocol("a stream event is too long".into()));
        }
        Ok(out.freeze())
    }

    fn event(&mut self, event: &[u8], out: &mut BytesMut) {
        let Some(payload) = event.split(|&b| b == b'\n').find_map(|l| l.strip_prefix(b"data:")) else {
            return;
        };
        let payload = payload.strip_prefix(b" ").unwrap_or(payload);
        if payload == b"[DONE]" {
            out.extend_from_slice(DONE_EVENT);
            return;
        }
        let Ok(chunk) = serde_json::from_slice::<Value>(payload) else {
            return;
        };
        let mut choices = Vec::new();
        for c in at(&chunk, &["choices"]).as_array().map(Vec::as_slice).unwrap_or_default() {
            let mut text = at(c, &["delta", "content"]).as_str().unwrap_or_default().to_string();
            if at(c, &["finish_reason"]).is_null() && text.is_empty() {
                // Role-only and reasoning deltas have no text to show.
                continue;
            }
            if let Some(prompt) = self.echo.take() {
                text.insert_str(0, &prompt);
            }
            choices.push(
                json!({"text": text, "index": at(c, &["index"]), "logprobs": null, "finish_reason": at(c, &["finish_reason"])}),
            );
        }
        let usage = chunk.get("usage").filter(|u| !u.is_null());
        if choices.is_empty() && usage.is_none() {
            return;
        }
        let mut reshaped = Map::new();
        reshaped.insert("id".into(), completion_id(at(&chunk, &["id"])));
        reshaped.insert("object".into(), "text_completion".into());
        reshaped.insert("created".into(), at(&chunk, &["created"]).clone());
        reshaped.insert("model".into(), at(&chunk, &["model"]).clone());
        reshaped.insert("choices".into(), Value::Array(choices));
        if let Some(usage) = usage {
            reshaped.insert("usage".into(), usage.clone());
        }
        if let Ok(json) = serde_json::to_vec(&reshaped) {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(&json);
            out.extend_from_slice(b"\n\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_answers_and_chunks_are_reshaped() {
        let chat = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 5, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "there"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}});
        let text = completion(&chat, Some("Hi "));
        assert_eq!(text["object"], "text_completion");
        assert_eq!(text["id"], "cmpl-1");
        assert_eq!(text["choices"][0]["text"], "Hi there");
        assert_eq!(text["usage"]["total_tokens"], 2);

        let mut r = Reshaper { pending: BytesMut::new(), echo: None };
        let first = br#"data: {"id":"chatcmpl-1","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#;
        assert!(r.push(first).unwrap().is_empty());
        let out = r.push(b"\n\ndata: {\"id\":\"chatcmpl-1\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: [DO").unwrap();
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(text.starts_with("data: {") && text.contains(r#""text":"Hel""#), "{text}");
        assert!(text.contains(r#""object":"text_completion""#), "{text}");
        assert_eq!(r.push(b"NE]\n\n").unwrap().as_ref(), DONE_EVENT);
    }
}
