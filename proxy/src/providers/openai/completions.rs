//! `/completions` (legacy text completions) of OpenAI-compatible upstreams, forwarded natively:
//! streams pass through frame by frame with the alias as `model`, as chat streams do.

use super::{OpenAiProvider, complete_answer};
use crate::providers::{CallOptions, ChatOutput, ProviderError};
use crate::schema::completions::CompletionRequest;

impl OpenAiProvider {
    pub(super) async fn complete_impl(
        &self,
        request: &CompletionRequest,
        options: CallOptions,
    ) -> Result<ChatOutput, ProviderError> {
        let model = options.upstream_model.as_deref().unwrap_or(&self.upstream_model);
        let response = self.send(&self.text_completions_url, &request.upstream(model)).await?;
        if request.is_stream() {
            return Ok(self.pass_stream(response, &options));
        }
        complete_answer(response, &options.alias, "text completion").await
    }
}
