//! The OpenAI Embeddings API (`POST /v1/embeddings`), as clients send it and as Switchboard
//! answers it for providers that do not speak it natively.

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use super::Usage;

/// OpenAI's limit on the inputs of one request.
pub const MAX_INPUTS: usize = 2048;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EmbeddingRequest {
    /// Not serialized: upstreams are sent their own model id (see [`UpstreamEmbedding`]).
    #[serde(skip_serializing)]
    pub model: String,
    pub input: EmbeddingInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<EncodingFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "positive")]
    pub dimensions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EmbeddingRequest {
    pub fn encoding(&self) -> EncodingFormat {
        self.encoding_format.unwrap_or(EncodingFormat::Float)
    }

    pub fn upstream<'a>(&'a self, model: &'a str) -> UpstreamEmbedding<'a> {
        UpstreamEmbedding { model, request: self }
    }
}

/// A request as an OpenAI-compatible upstream receives it: the client's fields, borrowed, with
/// the upstream's model id.
#[derive(Debug, Serialize)]
pub struct UpstreamEmbedding<'a> {
    pub model: &'a str,
    #[serde(flatten)]
    pub request: &'a EmbeddingRequest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    Float,
    /// Little-endian f32s, base64-encoded: what the openai SDKs ask for by default (a quarter of
    /// the JSON size) and decode themselves.
    Base64,
}

/// Texts, or token ids, in any of the four shapes OpenAI takes (`prompt` of legacy completions
/// has the same four).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TextOrTokens {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

impl TextOrTokens {
    /// Reads one of the four shapes from `value`; the error says what `field` must be.
    pub fn from_value(value: Value, field: &str, allow_empty_text: bool) -> Result<Self, String> {
        let shapes = "a string, an array of strings, an array of integers, or an array of integer arrays";
        let token = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
        let parsed = match value {
            Value::String(s) if s.is_empty() && !allow_empty_text => return Err(format!("{field} must not be empty")),
            Value::String(s) => TextOrTokens::Text(s),
            Value::Array(items) if items.is_empty() => return Err(format!("{field} must not be an empty array")),
            Value::Array(items) if items.iter().all(Value::is_string) => {
                let texts: Vec<String> = items.into_iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
                if !allow_empty_text && let Some(i) = texts.iter().position(String::is_empty) {
                    return Err(format!("{field}[{i}] must not be empty"));
                }
                TextOrTokens::Texts(texts)
            }
            Value::Array(items) if items.iter().all(Value::is_number) => {
                let tokens: Option<Vec<u32>> = items.iter().map(token).collect();
                TextOrTokens::Tokens(tokens.ok_or_else(|| format!("{field}: token ids must be integers from 0"))?)
            }
            Value::Array(items) if items.iter().all(Value::is_array) => {
                let mut lists = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let list = item.as_array().map(Vec::as_slice).unwrap_or_default();
                    if list.is_empty() {
                        return Err(format!("{field}[{i}] must not be an empty array"));
                    }
                    let tokens: Option<Vec<u32>> = list.iter().map(token).collect();
                    lists.push(tokens.ok_or_else(|| format!("{field}[{i}]: token ids must be integers from 0"))?);
                }
                TextOrTokens::TokenLists(lists)
            }
            _ => return Err(format!("{field} must be {shapes}")),
        };
        if parsed.len() > MAX_INPUTS {
            return Err(format!("{field} holds {} items; at most {MAX_INPUTS} are allowed", parsed.len()));
        }
        Ok(parsed)
    }

    /// How many separate inputs (embeddings to make, prompts to complete) this is.
    pub fn len(&self) -> usize {
        match self {
            TextOrTokens::Text(_) | TextOrTokens::Tokens(_) => 1,
            TextOrTokens::Texts(t) => t.len(),
            TextOrTokens::TokenLists(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The texts, or `None` when the input is token ids.
    pub fn texts(&self) -> Option<Vec<&str>> {
        match self {
            TextOrTokens::Text(t) => Some(vec![t.as_str()]),
            TextOrTokens::Texts(t) => Some(t.iter().map(String::as_str).collect()),
            TextOrTokens::Tokens(_) | TextOrTokens::TokenLists(_) => None,
        }
    }
}

/// `input`: the texts (or token ids) to embed; never empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct EmbeddingInput(pub TextOrTokens);

impl<'de> Deserialize<'de> for EmbeddingInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        TextOrTokens::from_value(value, "input", false).map(EmbeddingInput).map_err(serde::de::Error::custom)
    }
}

fn positive<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    match Option::<u32>::deserialize(deserializer)? {
        Some(0) => Err(serde::de::Error::custom("must be at least 1")),
        other => Ok(other),
    }
}

/// An embeddings answer made by the gateway (for providers that do not speak OpenAI's API).
pub fn embedding_list(alias: &str, vectors: &[Vec<f32>], format: EncodingFormat, usage: Usage) -> Value {
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(index, vector)| {
            let embedding = match format {
                EncodingFormat::Float => json!(vector),
                EncodingFormat::Base64 => Value::String(base64_floats(vector)),
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": alias,
        "usage": {"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.total_tokens},
    })
}

/// OpenAI's base64 encoding of a vector.
pub fn base64_floats(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Value) -> Result<EmbeddingRequest, serde_json::Error> {
        serde_json::from_value(body)
    }

    #[test]
    fn the_four_input_shapes() {
        let r = parse(json!({"model": "m", "input": "hi"})).unwrap();
        assert_eq!(r.input.0, TextOrTokens::Text("hi".into()));
        let r = parse(json!({"model": "m", "input": ["a", "b"], "encoding_format": "base64"})).unwrap();
        assert_eq!(r.input.0.len(), 2);
        assert_eq!(r.encoding(), EncodingFormat::Base64);
        let r = parse(json!({"model": "m", "input": [1, 2, 3]})).unwrap();
        assert_eq!(r.input.0, TextOrTokens::Tokens(vec![1, 2, 3]));
        let r = parse(json!({"model": "m", "input": [[1], [2, 3]]})).unwrap();
        assert_eq!(r.input.0.len(), 2);
        assert!(r.input.0.texts().is_none());
    }

    #[test]
    fn bad_inputs_are_named() {
        for (body, words) in [
            (json!({"model": "m"}), "missing field `input`"),
            (json!({"model": "m", "input": ""}), "input must not be empty"),
            (json!({"model": "m", "input": []}), "input must not be an empty array"),
            (json!({"model": "m", "input": ["a", ""]}), "input[1] must not be empty"),
            (json!({"model": "m", "input": 3}), "input must be a string"),
            (json!({"model": "m", "input": ["a", 1]}), "input must be a string"),
            (json!({"model": "m", "input": [-1]}), "token ids"),
            (json!({"model": "m", "input": [[]]}), "input[0] must not be an empty array"),
            (json!({"model": "m", "input": "x", "encoding_format": "int8"}), "unknown variant"),
            (json!({"model": "m", "input": "x", "dimensions": 0}), "at least 1"),
        ] {
            let err = parse(body.clone()).unwrap_err().to_string();
            assert!(err.contains(words), "{body}: {err}");
        }
    }

    #[test]
    fn base64_is_little_endian_f32() {
        assert_eq!(base64_floats(&[1.0]), "AACAPw==");
        let list = embedding_list("e", &[vec![0.5, -2.0]], EncodingFormat::Float, Usage::default());
        assert_eq!(list["data"][0]["embedding"], json!([0.5, -2.0]));
        assert_eq!(list["model"], "e");
    }

    #[test]
    fn upstream_view_carries_the_upstream_model() {
        let r = parse(json!({"model": "alias", "input": ["a"], "dimensions": 8, "custom": 1})).unwrap();
        let sent = serde_json::to_value(r.upstream("text-embedding-3-small")).unwrap();
        assert_eq!(sent, json!({"model": "text-embedding-3-small", "input": ["a"], "dimensions": 8, "custom": 1}));
    }
}
