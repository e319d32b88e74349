//! The OpenAI fake's `POST /v1/embeddings`: strict validation (unknown parameters are refused,
//! as OpenAI does), deterministic vectors from [`crate::vectors`], `float` or `base64`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::openai::{ApiError, check_auth, with_request_id};
use crate::script::word_count;
use crate::server::{Shared, json_response};
use crate::vectors::{self, DEFAULT_DIMENSIONS};

const PARAMETERS: &[&str] = &["model", "input", "encoding_format", "dimensions", "user"];

/// OpenAI's limit on the inputs of one request.
const MAX_INPUTS: usize = 2048;

pub(crate) async fn embeddings(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(err) = check_auth(&shared, &headers) {
        return err.into_response();
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return ApiError { param: None, ..ApiError::invalid("We could not parse the JSON body of your request.", "") }
            .into_response();
    };
    match answer(&request) {
        Ok(body) => with_request_id(json_response(StatusCode::OK, &body)),
        Err(err) => err.into_response(),
    }
}

fn answer(request: &Map<String, Value>) -> Result<Value, ApiError> {
    if let Some(unknown) = request.keys().find(|k| !PARAMETERS.contains(&k.as_str())) {
        return Err(ApiError::invalid(format!("Unrecognized request argument supplied: {unknown}"), unknown.clone()));
    }
    let model = match request.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(other) if !other.is_null() => return Err(ApiError::wrong_type("model", "a string", other)),
        _ => return Err(ApiError::missing("model")),
    };
    match model.as_str() {
        "fake-429" => {
            return Err(ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: "Rate limit reached for requests".into(),
                kind: "requests",
                param: None,
                code: Some("rate_limit_exceeded"),
            });
        }
        "fake-500" => {
            return Err(ApiError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "The server had an error while processing your request.".into(),
                kind: "server_error",
                param: None,
                code: None,
            });
        }
        _ => {}
    }
    let texts = inputs(request.get("input").filter(|v| !v.is_null()).ok_or_else(|| ApiError::missing("input"))?)?;
    let base64 = match request.get("encoding_format") {
        None | Some(Value::Null) => false,
        Some(Value::String(f)) if f == "float" => false,
        Some(Value::String(f)) if f == "base64" => true,
        Some(other) => {
            return Err(ApiError::invalid(
                format!("Invalid value: {other}. Supported values are: 'float' and 'base64'."),
                "encoding_format",
            ));
        }
    };
    let dimensions = match request.get("dimensions") {
        None | Some(Value::Null) => DEFAULT_DIMENSIONS,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|d| (1..=3072).contains(&d)) => {
            n.as_u64().unwrap_or_default() as usize
        }
        Some(other) => {
            return Err(ApiError::invalid(
                format!("Invalid value for 'dimensions': {other}. It must be an integer from 1 to 3072."),
                "dimensions",
            ));
        }
    };
    if let Some(user) = request.get("user").filter(|u| !u.is_null() && !u.is_string()) {
        return Err(ApiError::wrong_type("user", "a string", user));
    }
    let mut tokens = 0;
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(index, (text, count))| {
            tokens += count;
            let vector = vectors::embedding(text, dimensions);
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    Ok(json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
}

/// The texts to embed with their token counts (words, or token ids for token input).
fn inputs(input: &Value) -> Result<Vec<(String, u64)>, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
            "input",
        )
    };
    let text = |s: &str| (s.to_string(), word_count(s).max(1) as u64);
    let tokens = |list: &[Value]| -> Option<(String, u64)> {
        let ids: Option<Vec<u64>> = list.iter().map(Value::as_u64).collect();
        let ids = ids.filter(|ids| !ids.is_empty())?;
        Some((vectors::tokens_text(&ids), ids.len() as u64))
    };
    match input {
        Value::String(s) if !s.is_empty() => Ok(vec![text(s)]),
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_INPUTS => {
            if items.iter().all(|i| i.as_str().is_some_and(|s| !s.is_empty())) {
                Ok(items.iter().filter_map(Value::as_str).map(text).collect())
            } else if items.iter().all(Value::is_number) {
                Ok(vec![tokens(items).ok_or_else(invalid)?])
            } else if items.iter().all(Value::is_array) {
                items.iter().map(|i| i.as_array().and_then(|l| tokens(l)).ok_or_else(invalid)).collect()
            } else {
                Err(invalid())
            }
        }
        _ => Err(invalid()),
    }
}
