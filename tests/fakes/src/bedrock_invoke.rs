//! The Bedrock fake's `InvokeModel` (`POST /model/{modelId}/invoke`) for the embedding models:
//! Amazon Titan Text Embeddings (v1 and v2) and Cohere Embed v3. Bodies are checked as
//! Bedrock checks them (a malformed body is a 400 `ValidationException`, "Malformed input
//! request"), vectors come from [`crate::vectors`], and input tokens are reported in the
//! `X-Amzn-Bedrock-Input-Token-Count` header (and Titan's `inputTextTokenCount`).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::bedrock::{aws_error, validation_error, with_request_id};
use crate::script::word_count;
use crate::server::json_response;
use crate::vectors;

/// Cohere Embed's limit on texts per call.
const COHERE_MAX_TEXTS: usize = 96;

pub(crate) fn invoke(model_id: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return validation_error(&format!("The provided content type '{content_type}' is not supported."));
    }
    if model_id == "fake-throttle" {
        return aws_error(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        );
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return validation_error(
            "Malformed input request: expected a JSON object, please reformat your input and try again.",
        );
    };
    let answer = if model_id.contains("amazon.titan-embed-text-v2") {
        titan(&request, true)
    } else if model_id.contains("amazon.titan-embed") {
        titan(&request, false)
    } else if model_id.contains("cohere.embed") {
        cohere(&request)
    } else {
        return validation_error(&format!(
            "The fake serves InvokeModel for embedding models only (Titan, Cohere), not {model_id}."
        ));
    };
    match answer {
        Ok((body, tokens)) => {
            let mut response = with_request_id(json_response(StatusCode::OK, &body));
            let headers = response.headers_mut();
            headers.insert("x-amzn-bedrock-input-token-count", HeaderValue::from(tokens));
            headers.insert("x-amzn-bedrock-invocation-latency", HeaderValue::from_static("12"));
            response
        }
        Err(message) => {
            validation_error(&format!("Malformed input request: {message}, please reformat your input and try again."))
        }
    }
}

fn extraneous(request: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match request.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("#: extraneous key [{k}] is not permitted")),
        None => Ok(()),
    }
}

fn titan(request: &Map<String, Value>, v2: bool) -> Result<(Value, u64), String> {
    let allowed: &[&str] =
        if v2 { &["inputText", "dimensions", "normalize", "embeddingTypes"] } else { &["inputText"] };
    extraneous(request, allowed)?;
    let text = match request.get("inputText") {
        Some(Value::String(t)) if !t.is_empty() => t,
        Some(Value::String(_)) => return Err("#/inputText: expected minLength: 1, actual: 0".into()),
        Some(_) => return Err("#/inputText: expected type: String".into()),
        None => return Err("#: required key [inputText] not found".into()),
    };
    let dimensions = match request.get("dimensions") {
        None => {
            if v2 {
                1024
            } else {
                1536
            }
        }
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(256 | 512 | 1024)) => n.as_u64().unwrap_or(1024) as usize,
        Some(other) => return Err(format!("#/dimensions: {other} is not a valid enum value")),
    };
    if let Some(n) = request.get("normalize").filter(|n| !n.is_boolean()) {
        return Err(format!("#/normalize: expected type: Boolean, found: {n}"));
    }
    let tokens = word_count(text).max(1) as u64;
    let embedding = vectors::embedding(text, dimensions);
    let mut body = json!({"embedding": embedding, "inputTextTokenCount": tokens});
    if v2 {
        body["embeddingsByType"] = json!({"float": embedding});
    }
    Ok((body, tokens))
}

fn cohere(request: &Map<String, Value>) -> Result<(Value, u64), String> {
    extraneous(request, &["texts", "images", "input_type", "truncate", "embedding_types"])?;
    let texts = match request.get("texts") {
        Some(Value::Array(t)) if t.is_empty() => return Err("#/texts: expected minimum item count: 1".into()),
        Some(Value::Array(t)) if t.len() > COHERE_MAX_TEXTS => {
            return Err(format!("#/texts: expected maximum item count: {COHERE_MAX_TEXTS}, found: {}", t.len()));
        }
        Some(Value::Array(t)) => {
            let texts: Vec<&str> = t.iter().filter_map(Value::as_str).collect();
            if texts.len() != t.len() || texts.iter().any(|s| s.is_empty()) {
                return Err("#/texts: every text must be a non-empty string".into());
            }
            texts
        }
        Some(_) => return Err("#/texts: expected type: JSONArray".into()),
        None => return Err("#: required key [texts] not found".into()),
    };
    match request.get("input_type").and_then(Value::as_str) {
        Some("search_document" | "search_query" | "classification" | "clustering") => {}
        Some(other) => return Err(format!("#/input_type: {other} is not a valid enum value")),
        None => return Err("#: required key [input_type] not found".into()),
    }
    if let Some(t) = request.get("truncate").filter(|t| !matches!(t.as_str(), Some("NONE" | "START" | "END"))) {
        return Err(format!("#/truncate: {t} is not a valid enum value"));
    }
    let by_type = match request.get("embedding_types") {
        None => false,
        Some(Value::Array(types)) if types == &[json!("float")] => true,
        Some(other) => return Err(format!("#/embedding_types: the fake serves [\"float\"] only, got {other}")),
    };
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| vectors::embedding(t, 1024)).collect();
    let tokens = texts.iter().map(|t| word_count(t).max(1) as u64).sum();
    let id = uuid::Uuid::new_v4().to_string();
    let body = if by_type {
        json!({"id": id, "embeddings": {"float": vectors}, "response_type": "embeddings_by_type", "texts": texts})
    } else {
        json!({"id": id, "embeddings": vectors, "response_type": "embeddings_floats", "texts": texts})
    };
    Ok((body, tokens))
}
