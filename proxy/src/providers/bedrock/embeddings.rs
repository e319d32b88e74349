//! Embeddings through Bedrock's `InvokeModel`, which speaks each model family's own body:
//! Amazon Titan Text Embeddings (one text per call) and Cohere Embed (up to 96 texts per call).
//! Converse has no embeddings, so this is the one place Switchboard writes model-specific bodies.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::Blob;
use aws_smithy_types::config_bag::ConfigBag;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{BedrockProvider, sdk_error, strip_api_prefix};
use crate::providers::{CallOptions, ChatOutput, ProviderError};
use crate::schema::Usage;
use crate::schema::embeddings::{EmbeddingRequest, embedding_list};

/// Cohere Embed's limit on the texts of one call.
const COHERE_BATCH: usize = 96;

/// Titan calls in flight at once for one request (one call per text): a long list finishes in
/// a fraction of the time without flooding the account's quota.
const TITAN_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `amazon.titan-embed-text-v2:0`: `dimensions` and `normalize`.
    TitanV2,
    /// `amazon.titan-embed-text-v1`, `amazon.titan-embed-g1-text-02`: `inputText` only.
    TitanV1,
    Cohere,
}

/// The family of a model id, which may carry a region prefix or be an ARN.
fn family(model_id: &str) -> Option<Family> {
    if model_id.contains("amazon.titan-embed-text-v2") {
        Some(Family::TitanV2)
    } else if model_id.contains("amazon.titan-embed") {
        Some(Family::TitanV1)
    } else if model_id.contains("cohere.embed") {
        Some(Family::Cohere)
    } else {
        None
    }
}

fn invalid(message: String) -> ProviderError {
    ProviderError::InvalidRequest(message)
}

#[derive(Serialize)]
struct TitanBody<'a> {
    #[serde(rename = "inputText")]
    input_text: &'a str,
    /// Titan v2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
    /// Titan v2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
}

#[derive(Serialize)]
struct CohereBody<'a> {
    texts: &'a [&'a str],
    input_type: &'a str,
    embedding_types: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    truncate: Option<&'a Value>,
}

#[derive(Deserialize)]
struct TitanAnswer {
    embedding: Vec<f32>,
    #[serde(rename = "inputTextTokenCount")]
    input_tokens: Option<u64>,
}

/// Cohere answers `{"embeddings": [[...]]}`, or by type when `embedding_types` was sent.
#[derive(Deserialize)]
struct CohereAnswer {
    embeddings: CohereEmbeddings,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CohereEmbeddings {
    Plain(Vec<Vec<f32>>),
    ByType { float: Vec<Vec<f32>> },
}

impl BedrockProvider {
    pub(super) async fn embed_impl(
        &self,
        request: &EmbeddingRequest,
        options: CallOptions,
    ) -> Result<ChatOutput, ProviderError> {
        let model_id = match options.upstream_model.as_deref() {
            Some(m) => strip_api_prefix(m),
            None => &self.model_id,
        };
        let alias = &options.alias;
        let family = family(model_id).ok_or_else(|| {
            invalid(format!(
                "model={alias} (bedrock/{model_id}) is not an embedding model; Bedrock embeddings are served for \
                 Amazon Titan Text Embeddings (amazon.titan-embed-text-*) and Cohere Embed (cohere.embed-*)"
            ))
        })?;
        let texts = request.input.0.texts().ok_or_else(|| {
            invalid(format!("input: model={alias} takes texts; token ids can only be sent to OpenAI models"))
        })?;
        let (vectors, tokens) = match family {
            Family::TitanV2 | Family::TitanV1 => self.titan(model_id, family, request, &texts).await?,
            Family::Cohere => self.cohere(model_id, request, &texts).await?,
        };
        let usage = Usage::new(tokens, 0);
        let body = embedding_list(alias, &vectors, request.encoding(), usage);
        let body = serde_json::to_vec(&body).map_err(|e| ProviderError::Protocol(e.to_string()))?;
        Ok(ChatOutput::Complete { body: body.into(), usage, response_id: None, native: false })
    }

    async fn titan(
        &self,
        model_id: &str,
        family: Family,
        request: &EmbeddingRequest,
        texts: &[&str],
    ) -> Result<(Vec<Vec<f32>>, u64), ProviderError> {
        if family == Family::TitanV1 && request.dimensions.is_some() {
            return Err(invalid(format!("dimensions: {model_id} makes vectors of one size; only Titan v2 takes it")));
        }
        let normalize = match request.extra.get("normalize") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("normalize: must be true or false".into())),
        };
        let v2 = family == Family::TitanV2;
        // Serialized up front: the calls in flight then own their bodies.
        let bodies = texts
            .iter()
            .map(|text| {
                serde_json::to_vec(&TitanBody {
                    input_text: text,
                    dimensions: request.dimensions.filter(|_| v2),
                    normalize: v2.then_some(normalize),
                })
                .map_err(|e| ProviderError::InvalidRequest(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let answers: Vec<(Vec<f32>, u64)> = futures::stream::iter(bodies)
            .map(|body| self.titan_one(model_id, body))
            .buffered(TITAN_CONCURRENCY)
            .try_collect()
            .await?;
        let tokens = answers.iter().map(|(_, t)| t).sum();
        Ok((answers.into_iter().map(|(v, _)| v).collect(), tokens))
    }

    async fn titan_one(&self, model_id: &str, body: Vec<u8>) -> Result<(Vec<f32>, u64), ProviderError> {
        let (bytes, header_tokens) = self.invoke(model_id, body).await?;
        let answer: TitanAnswer = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Protocol(format!("not a Titan embeddings answer ({e})")))?;
        Ok((answer.embedding, answer.input_tokens.or(header_tokens).unwrap_or(0)))
    }

    async fn cohere(
        &self,
        model_id: &str,
        request: &EmbeddingRequest,
        texts: &[&str],
    ) -> Result<(Vec<Vec<f32>>, u64), ProviderError> {
        if request.dimensions.is_some() {
            return Err(invalid(format!("dimensions: {model_id} makes vectors of one size")));
        }
        // Cohere needs to know what the vectors are for; LiteLLM passes `input_type` through and
        // defaults to documents, as here.
        let input_type = match request.extra.get("input_type") {
            None => "search_document",
            Some(Value::String(t)) => t.as_str(),
            Some(_) => return Err(invalid("input_type: must be a string".into())),
        };
        let mut vectors = Vec::with_capacity(texts.len());
        let mut tokens = 0;
        for batch in texts.chunks(COHERE_BATCH) {
            let body = CohereBody {
                texts: batch,
                input_type,
                embedding_types: ["float"],
                truncate: request.extra.get("truncate"),
            };
            let body = serde_json::to_vec(&body).map_err(|e| ProviderError::InvalidRequest(e.to_string()))?;
            let (bytes, header_tokens) = self.invoke(model_id, body).await?;
            let answer: CohereAnswer = serde_json::from_slice(&bytes)
                .map_err(|e| ProviderError::Protocol(format!("not a Cohere embeddings answer ({e})")))?;
            let batch_vectors = match answer.embeddings {
                CohereEmbeddings::Plain(v) | CohereEmbeddings::ByType { float: v } => v,
            };
            if batch_vectors.len() != batch.len() {
                return Err(ProviderError::Protocol(format!(
                    "Cohere answered {} embeddings for {} texts",
                    batch_vectors.len(),
                    batch.len()
                )));
            }
            vectors.extend(batch_vectors);
            tokens += header_tokens.unwrap_or(0);
        }
        Ok((vectors, tokens))
    }

    /// One `InvokeModel` call: the answer's body, and the input tokens Bedrock counted (a
    /// response header the SDK does not model, read on the way in).
    async fn invoke(&self, model_id: &str, body: Vec<u8>) -> Result<(Vec<u8>, Option<u64>), ProviderError> {
        let tokens = Arc::new(AtomicU64::new(u64::MAX));
        let output = self
            .client
            .invoke_model()
            .model_id(model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(Blob::new(body))
            .customize()
            .interceptor(InputTokenCount(tokens.clone()))
            .send()
            .await
            .map_err(|e| sdk_error(e, |raw| Some(raw.status().as_u16())))?;
        let counted = tokens.load(Ordering::Relaxed);
        Ok((output.body.into_inner(), (counted != u64::MAX).then_some(counted)))
    }
}

/// Reads `X-Amzn-Bedrock-Input-Token-Count` from the raw response.
#[derive(Debug)]
struct InputTokenCount(Arc<AtomicU64>);

impl Intercept for InputTokenCount {
    fn name(&self) -> &'static str {
        "InputTokenCount"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let count = context.response().headers().get("x-amzn-bedrock-input-token-count");
        if let Some(n) = count.and_then(|v| v.trim().parse::<u64>().ok()) {
            self.0.store(n, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_by_model_id() {
        assert_eq!(family("amazon.titan-embed-text-v2:0"), Some(Family::TitanV2));
        assert_eq!(family("amazon.titan-embed-text-v1"), Some(Family::TitanV1));
        assert_eq!(family("cohere.embed-multilingual-v3"), Some(Family::Cohere));
        assert_eq!(family("us.cohere.embed-english-v3"), Some(Family::Cohere));
        assert_eq!(family("us.anthropic.claude-haiku-4-5-20251001-v1:0"), None);
    }

    #[test]
    fn cohere_answers_in_both_shapes() {
        let plain: CohereAnswer = serde_json::from_str(r#"{"embeddings": [[0.5, 1]], "id": "x"}"#).unwrap();
        let typed: CohereAnswer = serde_json::from_str(r#"{"embeddings": {"float": [[0.5, 1]]}}"#).unwrap();
        for a in [plain, typed] {
            let (CohereEmbeddings::Plain(v) | CohereEmbeddings::ByType { float: v }) = a.embeddings;
            assert_eq!(v, vec![vec![0.5, 1.0]]);
        }
    }
}
