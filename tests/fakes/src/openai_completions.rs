//! The OpenAI fake's `POST /v1/completions` (legacy text completions): one choice per prompt,
//! `Hello from fake-openai! You said: <prompt>` (cut to `max_tokens` words), `echo`, and
//! streams of `text_completion` chunks with the usage chunk when asked for.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::openai::{ApiError, check_auth, with_request_id};
use crate::script::{self, word_count};
use crate::server::{Shared, Step, json_response, scripted_body};

const PARAMETERS: &[&str] = &[
    "model",
    "prompt",
    "suffix",
    "max_tokens",
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "logprobs",
    "echo",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "best_of",
    "logit_bias",
    "user",
    "seed",
];

struct Choice {
    text: String,
    finish: &'static str,
}

pub(crate) async fn completions(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(err) = check_auth(&shared, &headers) {
        return err.into_response();
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return ApiError { param: None, ..ApiError::invalid("We could not parse the JSON body of your request.", "") }
            .into_response();
    };
    let checked = match validate(&request) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if checked.model == "fake-429" {
        return ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "Rate limit reached for requests".into(),
            kind: "requests",
            param: None,
            code: Some("rate_limit_exceeded"),
        }
        .into_response();
    }
    let id = format!("cmpl-{}", uuid::Uuid::new_v4().simple());
    let created = script::unix_now();
    let mut prompt_tokens = 0u64;
    let mut completion_tokens = 0u64;
    let choices: Vec<Choice> = checked
        .prompts
        .iter()
        .map(|prompt| {
            prompt_tokens += word_count(prompt).max(1) as u64;
            let full = format!("Hello from fake-openai! You said: {prompt}");
            let words: Vec<&str> = full.split_inclusive(' ').collect();
            let (text, finish) = match checked.max_tokens {
                Some(n) if (n as usize) < words.len() => {
                    (words[..n as usize].concat().trim_end().to_string(), "length")
                }
                _ => (full.clone(), "stop"),
            };
            completion_tokens += word_count(&text) as u64;
            let text = if checked.echo { format!("{prompt}{text}") } else { text };
            Choice { text, finish }
        })
        .collect();
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    });
    if !checked.stream {
        let choices: Vec<Value> = choices
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"text": c.text, "index": i, "logprobs": null, "finish_reason": c.finish}))
            .collect();
        let body = json!({"id": id, "object": "text_completion", "created": created, "model": checked.model,
            "choices": choices, "usage": usage});
        return with_request_id(json_response(StatusCode::OK, &body));
    }
    let chunk = |choices: Value, usage: Option<&Value>| -> Step {
        let mut object = Map::new();
        object.insert("id".into(), id.clone().into());
        object.insert("object".into(), "text_completion".into());
        object.insert("created".into(), created.into());
        object.insert("model".into(), checked.model.clone().into());
        object.insert("choices".into(), choices);
        if let Some(u) = usage {
            object.insert("usage".into(), u.clone());
        }
        Step::Data(Bytes::from(format!("data: {}\n\n", Value::Object(object))))
    };
    let mut steps = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        for piece in script::stream_pieces(&c.text) {
            steps.push(chunk(json!([{"text": piece, "index": i, "logprobs": null, "finish_reason": null}]), None));
        }
        steps.push(chunk(json!([{"text": "", "index": i, "logprobs": null, "finish_reason": c.finish}]), None));
    }
    if checked.include_usage {
        steps.push(chunk(json!([]), Some(&usage)));
    }
    steps.push(Step::Data(Bytes::from_static(b"data: [DONE]\n\n")));
    let mut response = Response::new(scripted_body(shared, steps));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_request_id(response)
}

struct Checked {
    model: String,
    prompts: Vec<String>,
    stream: bool,
    include_usage: bool,
    echo: bool,
    max_tokens: Option<u64>,
}

fn validate(request: &Map<String, Value>) -> Result<Checked, ApiError> {
    if let Some(unknown) = request.keys().find(|k| !PARAMETERS.contains(&k.as_str())) {
        return Err(ApiError::invalid(format!("Unrecognized request argument supplied: {unknown}"), unknown.clone()));
    }
    let present = |name: &str| request.get(name).filter(|v| !v.is_null());
    let model = match present("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(other) => return Err(ApiError::wrong_type("model", "a string", other)),
        None => return Err(ApiError::missing("model")),
    };
    let invalid_prompt =
        || ApiError::invalid("Invalid prompt: must be a string, an array of strings or tokens.", "prompt");
    let prompts = match present("prompt").ok_or_else(|| ApiError::missing("prompt"))? {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_u64) => {
            vec![crate::vectors::tokens_text(&items.iter().filter_map(Value::as_u64).collect::<Vec<_>>())]
        }
        _ => return Err(invalid_prompt()),
    };
    let stream = match present("stream") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(ApiError::wrong_type("stream", "a boolean", other)),
    };
    let include_usage = match present("stream_options") {
        None => false,
        Some(_) if !stream => {
            return Err(ApiError::invalid(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                "stream_options",
            ));
        }
        Some(Value::Object(o)) => o.get("include_usage") == Some(&Value::Bool(true)),
        Some(other) => return Err(ApiError::wrong_type("stream_options", "an object", other)),
    };
    let echo = match present("echo") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(ApiError::wrong_type("echo", "a boolean", other)),
    };
    let max_tokens = match present("max_tokens") {
        None => None,
        Some(v) => Some(v.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::invalid(format!("Invalid 'max_tokens': {v}. Expected a value >= 1."), "max_tokens")
        })?),
    };
    Ok(Checked { model, prompts, stream, include_usage, echo, max_tokens })
}
