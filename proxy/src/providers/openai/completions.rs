//! `/completions` (legacy text completions) of OpenAI-compatible upstreams, forwarded natively:
//! streams pass through frame by frame with the alias as `model`, as chat streams do.

use super::{OpenAiProvider, Operation, complete_answer};
use crate::providers::{CallOptions, ChatOutput, ProviderError};
use crate::schema::completions::CompletionRequest;

impl OpenAiProvider {
    pub(super) async fn complete_impl(
        &self,
        request: &CompletionRequest,
        options: CallOptions,
    ) -> Result<ChatOutput, ProviderError> {
        let (model, url) = self.target(&options, Operation::Completions)?;
        let response = self.send(url, &request.upstream(model)).await?;
        if request.is_stream() {
            return Ok(self.pass_stream(response, &options));
        }
        complete_answer(response, &options.alias, "text completion").await
    }
}
