//! Chat completion chunks → the Responses API's typed stream events (`response.created`,
//! `response.output_item.added`, `response.output_text.delta`, ..., `response.completed`), each
//! with its `type` and `sequence_number`, under an `event:` line as OpenAI sends them.
//!
//! One output item is open at a time: reasoning, then the message text, then each function
//! call, as chat chunks deliver them. The finished response (what `response.completed` carries)
//! is handed to `on_done` before its event is written, so that it is stored before the client
//! can ask for it.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Map, Value, json};

use super::request::Item;
use super::response::{ChatUsage, ResponseObject, item_id, message_item, reasoning_item};
use crate::gateway::GatewayError;
use crate::schema::chunk_in::{ChunkIn, ToolCallDeltaIn};

/// The output item being streamed.
enum Open {
    Reasoning { id: String, text: String },
    Text { id: String, text: String },
    Tool { chat_index: u32, id: String, call_id: String, name: String, arguments: String },
}

pub type OnDone = Box<dyn FnOnce(&ResponseObject) + Send>;

pub struct Translator {
    response: ResponseObject,
    pending: BytesMut,
    sequence: u64,
    started: bool,
    finished: bool,
    open: Option<Open>,
    output: Vec<Item>,
    calls: usize,
    finish_reason: Option<String>,
    usage: ChatUsage,
    on_done: Option<OnDone>,
}

impl Translator {
    pub fn new(response: ResponseObject, on_done: Option<OnDone>) -> Self {
        Translator {
            response,
            pending: BytesMut::new(),
            sequence: 0,
            started: false,
            finished: false,
            open: None,
            output: Vec::new(),
            calls: 0,
            finish_reason: None,
            usage: ChatUsage::default(),
            on_done,
        }
    }

    /// Feeds bytes of the chunk stream; returns the events they complete (possibly none).
    pub fn push(&mut self, bytes: &[u8]) -> Bytes {
        let mut out = BytesMut::new();
        self.start(&mut out);
        self.pending.extend_from_slice(bytes);
        while let Some(end) = memchr::memmem::find(&self.pending, b"\n\n") {
            let frame = self.pending.split_to(end + 2);
            for line in frame[..].split(|b| *b == b'\n') {
                if let Some(data) = line.strip_prefix(b"data:") {
                    self.data(data.trim_ascii(), &mut out);
                }
            }
        }
        out.freeze()
    }

    /// Completes the response if the chunk stream ended without `[DONE]`.
    pub fn finish(&mut self) -> Bytes {
        let mut out = BytesMut::new();
        self.start(&mut out);
        self.end(&mut out);
        out.freeze()
    }

    /// The `error` event that ends a stream the upstream broke off.
    pub fn fail(&mut self, error: &GatewayError) -> Bytes {
        let mut out = BytesMut::new();
        self.finished = true;
        let (status, _, param) = error.classify();
        let mut data = Map::new();
        data.insert("code".into(), Value::String(status.to_string()));
        data.insert("message".into(), Value::String(error.to_string()));
        data.insert("param".into(), param.map(|p| Value::String(p.to_string())).unwrap_or(Value::Null));
        self.emit(&mut out, "error", data);
        out.freeze()
    }

    fn start(&mut self, out: &mut BytesMut) {
        if self.started {
            return;
        }
        self.started = true;
        let response = serde_json::to_value(&self.response).unwrap_or(Value::Null);
        self.emit(out, "response.created", obj([("response", response.clone())]));
        self.emit(out, "response.in_progress", obj([("response", response)]));
    }

    fn emit(&mut self, out: &mut BytesMut, kind: &str, mut data: Map<String, Value>) {
        data.insert("type".into(), Value::String(kind.to_string()));
        data.insert("sequence_number".into(), self.sequence.into());
        self.sequence += 1;
        out.put_slice(b"event: ");
        out.put_slice(kind.as_bytes());
        out.put_slice(b"\ndata: ");
        // A map of plain values always serializes.
        out.put_slice(&serde_json::to_vec(&data).unwrap_or_default());
        out.put_slice(b"\n\n");
    }

    fn data(&mut self, data: &[u8], out: &mut BytesMut) {
        if self.finished {
            return;
        }
        if data == b"[DONE]" {
            self.end(out);
            return;
        }
        let Ok(chunk) = serde_json::from_slice::<ChunkIn<'_, ChatUsage>>(data) else {
            // Not a chunk (an upstream's comment or keep-alive): nothing to tell.
            return;
        };
        if let Some(usage) = chunk.usage {
            self.usage = usage;
        }
        for choice in chunk.choices {
            if let Some(text) = choice.delta.reasoning_content.filter(|t| !t.is_empty()) {
                self.reasoning(&text, out);
            }
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.text(&text, out);
            }
            for call in choice.delta.tool_calls.into_iter().flatten() {
                self.tool_call(call, out);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason.into_owned());
            }
        }
    }

    fn output_index(&self) -> usize {
        self.output.len()
    }

    fn reasoning(&mut self, delta: &str, out: &mut BytesMut) {
        if !matches!(self.open, Some(Open::Reasoning { .. })) {
            self.close(out);
            let id = item_id("rs", &self.response.id, self.output_index());
            let item = json!({"type": "reasoning", "id": id, "summary": [], "content": []});
            let index = self.output_index();
            self.emit(out, "response.output_item.added", obj([("output_index", index.into()), ("item", item)]));
            self.open = Some(Open::Reasoning { id, text: String::new() });
        }
        let index = self.output_index();
        if let Some(Open::Reasoning { id, text }) = &mut self.open {
            text.push_str(delta);
            let data = obj([
                ("item_id", Value::String(id.clone())),
                ("output_index", index.into()),
                ("content_index", 0.into()),
                ("delta", delta.into()),
            ]);
            self.emit(out, "response.reasoning_text.delta", data);
        }
    }

    fn text(&mut self, delta: &str, out: &mut BytesMut) {
        let index = self.output_index();
        if !matches!(self.open, Some(Open::Text { .. })) {
            self.close(out);
            let id = item_id("msg", &self.response.id, index);
            let item =
                json!({"type": "message", "id": id, "role": "assistant", "status": "in_progress", "content": []});
            self.emit(out, "response.output_item.added", obj([("output_index", index.into()), ("item", item)]));
            let part = json!({"type": "output_text", "text": "", "annotations": []});
            let data = obj([
                ("item_id", Value::String(id.clone())),
                ("output_index", index.into()),
                ("content_index", 0.into()),
                ("part", part),
            ]);
            self.emit(out, "response.content_part.added", data);
            self.open = Some(Open::Text { id, text: String::new() });
        }
        if let Some(Open::Text { id, text }) = &mut self.open {
            text.push_str(delta);
            let data = obj([
                ("item_id", Value::String(id.clone())),
                ("output_index", index.into()),
                ("content_index", 0.into()),
                ("delta", delta.into()),
                ("logprobs", Value::Array(Vec::new())),
            ]);
            self.emit(out, "response.output_text.delta", data);
        }
    }

    fn tool_call(&mut self, call: ToolCallDeltaIn<'_>, out: &mut BytesMut) {
        let same = matches!(&self.open, Some(Open::Tool { chat_index, .. }) if *chat_index == call.index);
        let function = call.function.unwrap_or_default();
        if !same {
            self.close(out);
            let index = self.output_index();
            let id = item_id("fc", &self.response.id, self.calls);
            self.calls += 1;
            let call_id =
                call.id.map(Cow::into_owned).unwrap_or_else(|| format!("call_{}", uuid::Uuid::now_v7().simple()));
            let name = function.name.clone().map(Cow::into_owned).unwrap_or_default();
            let item = json!({"type": "function_call", "id": id, "call_id": call_id, "name": name, "arguments": "", "status": "in_progress"});
            self.emit(out, "response.output_item.added", obj([("output_index", index.into()), ("item", item)]));
            self.open = Some(Open::Tool { chat_index: call.index, id, call_id, name, arguments: String::new() });
        }
        let index = self.output_index();
        let Some(delta) = function.arguments.filter(|a| !a.is_empty()) else { return };
        if let Some(Open::Tool { id, arguments, .. }) = &mut self.open {
            arguments.push_str(&delta);
            let data =
                obj([("item_id", Value::String(id.clone())), ("output_index", index.into()), ("delta", delta.into())]);
            self.emit(out, "response.function_call_arguments.delta", data);
        }
    }

    /// Ends the open item: its `.done` events, and the item joins the output.
    fn close(&mut self, out: &mut BytesMut) {
        let Some(open) = self.open.take() else { return };
        let index = self.output_index();
        let item = match open {
            Open::Reasoning { id, text } => {
                let data = obj([
                    ("item_id", Value::String(id.clone())),
                    ("output_index", index.into()),
                    ("content_index", 0.into()),
                    ("text", Value::String(text.clone())),
                ]);
                self.emit(out, "response.reasoning_text.done", data);
                reasoning_item(id, text)
            }
            Open::Text { id, text } => {
                let base = || {
                    obj([
                        ("item_id", Value::String(id.clone())),
                        ("output_index", index.into()),
                        ("content_index", 0.into()),
                    ])
                };
                let mut done = base();
                done.insert("text".into(), Value::String(text.clone()));
                done.insert("logprobs".into(), Value::Array(Vec::new()));
                self.emit(out, "response.output_text.done", done);
                let mut part = base();
                part.insert("part".into(), json!({"type": "output_text", "text": text, "annotations": []}));
                self.emit(out, "response.content_part.done", part);
                message_item(id, text, "completed")
            }
            Open::Tool { id, call_id, name, arguments, .. } => {
                let data = obj([
                    ("item_id", Value::String(id.clone())),
                    ("output_index", index.into()),
                    ("name", Value::String(name.clone())),
                    ("arguments", Value::String(arguments.clone())),
                ]);
                self.emit(out, "response.function_call_arguments.done", data);
                Item::FunctionCall { id, call_id, name, arguments, status: "completed".into() }
            }
        };
        let value = serde_json::to_value(&item).unwrap_or(Value::Null);
        self.emit(out, "response.output_item.done", obj([("output_index", index.into()), ("item", value)]));
        self.output.push(item);
    }

    fn end(&mut self, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        self.close(out);
        self.finished = true;
        let usage = std::mem::take(&mut self.usage).into();
        let output = std::mem::take(&mut self.output);
        self.response.finish(self.finish_reason.as_deref(), output, usage);
        if let Some(on_done) = self.on_done.take() {
            on_done(&self.response);
        }
        let kind = if self.response.status == "incomplete" { "response.incomplete" } else { "response.completed" };
        let response = serde_json::to_value(&self.response).unwrap_or(Value::Null);
        self.emit(out, kind, obj([("response", response)]));
    }
}

fn obj<const N: usize>(fields: [(&str, Value); N]) -> Map<String, Value> {
    fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses::request::ResponsesRequest;
    use crate::responses::response::Echo;

    fn events(bytes: &[u8]) -> Vec<(String, Value)> {
        std::str::from_utf8(bytes)
            .unwrap()
            .split("\n\n")
            .filter(|f| !f.is_empty())
            .map(|f| {
                let name = f.lines().find_map(|l| l.strip_prefix("event: ")).unwrap().to_string();
                let data = f.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
                (name, serde_json::from_str(data).unwrap())
            })
            .collect()
    }

    #[test]
    fn text_then_a_tool_call_stream_as_typed_events() {
        let request: ResponsesRequest = serde_json::from_value(json!({"model": "m", "input": "x"})).unwrap();
        let response = ResponseObject::started("resp_1".into(), "m".into(), 1, Echo::of(&request, Vec::new()));
        let stored = std::sync::Arc::new(std::sync::Mutex::new(None));
        let keep = stored.clone();
        let mut t = Translator::new(response, Some(Box::new(move |r| *keep.lock().unwrap() = Some(r.clone()))));
        let mut bytes = Vec::new();
        for chunk in [
            json!({"choices": [{"delta": {"role": "assistant", "content": "Hel"}}]}),
            json!({"choices": [{"delta": {"content": "lo"}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "call_9", "function": {"name": "ls", "arguments": ""}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\":1}"}}]}}]}),
            json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}),
        ] {
            bytes.extend_from_slice(&t.push(format!("data: {chunk}\n\n").as_bytes()));
        }
        bytes.extend_from_slice(&t.push(b"data: [DONE]\n\n"));
        let evs = events(&bytes);
        let names: Vec<&str> = evs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.completed"
            ]
        );
        for (i, (name, data)) in evs.iter().enumerate() {
            assert_eq!(data["type"], name.as_str());
            assert_eq!(data["sequence_number"], i);
        }
        let done = &evs[13].1["response"];
        assert_eq!(done["output"][0]["content"][0]["text"], "Hello");
        assert_eq!(done["output"][1]["arguments"], "{\"a\":1}");
        assert_eq!(done["output"][1]["call_id"], "call_9");
        assert_eq!(done["usage"]["total_tokens"], 5);
        assert_eq!(stored.lock().unwrap().as_ref().unwrap().status, "completed");
    }
}
