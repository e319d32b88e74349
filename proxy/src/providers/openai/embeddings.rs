//! `/embeddings` of OpenAI-compatible upstreams: the request forwarded with the deployment's
//! model id, the answer passed on with the alias as `model` (vectors untouched, in whichever
//! encoding the client asked for).

use super::{OpenAiProvider, Operation, complete_answer};
use crate::providers::{CallOptions, ChatOutput, ProviderError};
use crate::schema::embeddings::EmbeddingRequest;

impl OpenAiProvider {
    pub(super) async fn embed_impl(
        &self,
        request: &EmbeddingRequest,
        options: CallOptions,
    ) -> Result<ChatOutput, ProviderError> {
        let (model, url) = self.target(&options, Operation::Embeddings)?;
        let response = self.send(url, &request.upstream(model)).await?;
        complete_answer(response, &options.alias, "embeddings list").await
    }
}
