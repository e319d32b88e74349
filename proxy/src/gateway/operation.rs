//! The kinds of call the router runs (chat, embeddings, text completions): what its attempt
//! loop needs to know about each, so that routing, access, limits, retries, fallbacks and
//! accounting are written once for all of them.

use std::time::Duration;

use futures::future::BoxFuture;

use super::controls::Controls;
use super::{CallKind, Deployment, GatewayError, mock};
use crate::providers::{CallOptions, ChatOutput};
use crate::schema::ChatRequest;
use crate::schema::completions::CompletionRequest;
use crate::schema::embeddings::EmbeddingRequest;

pub(super) trait Operation: Sync {
    /// LiteLLM's name for the call in spend rows.
    fn call_type(&self) -> &'static str;
    /// The route, as errors name it.
    fn route(&self) -> &'static str;
    /// The GenAI semantic conventions' `gen_ai.operation.name`.
    fn operation_name(&self) -> &'static str;
    fn model(&self) -> &str;
    fn stream(&self) -> bool;
    fn wants_stream_usage(&self) -> bool;
    /// The body's `user`, which names the customer when no header does.
    fn user(&self) -> Option<&str>;
    /// One attempt on `deployment` (the caller bounds it by `limit`).
    fn call<'a>(
        &'a self,
        deployment: &'a Deployment,
        controls: &'a Controls,
        options: CallOptions,
        limit: Duration,
    ) -> BoxFuture<'a, Result<ChatOutput, GatewayError>>;
}

/// A chat call, from `/chat/completions` or (translated) from Anthropic's `/v1/messages`.
pub(super) struct ChatCall {
    pub request: ChatRequest,
    pub kind: CallKind,
}

impl Operation for ChatCall {
    fn operation_name(&self) -> &'static str {
        "chat"
    }

    fn call_type(&self) -> &'static str {
        self.kind.call_type()
    }

    fn route(&self) -> &'static str {
        self.kind.route()
    }

    fn model(&self) -> &str {
        &self.request.model
    }

    fn stream(&self) -> bool {
        self.request.is_stream()
    }

    fn wants_stream_usage(&self) -> bool {
        self.request.wants_stream_usage()
    }

    fn user(&self) -> Option<&str> {
        self.request.extra.get("user").and_then(|u| u.as_str())
    }

    fn call<'a>(
        &'a self,
        deployment: &'a Deployment,
        controls: &'a Controls,
        mut options: CallOptions,
        limit: Duration,
    ) -> BoxFuture<'a, Result<ChatOutput, GatewayError>> {
        Box::pin(async move {
            let defaulted;
            let request = if deployment.entry.params.default_request_params.is_empty() {
                &self.request
            } else {
                let mut copy = self.request.clone();
                copy.apply_defaults(&deployment.entry.params.default_request_params).map_err(|e| {
                    GatewayError::invalid(format!("litellm_params defaults do not fit the request: {e}"), None)
                })?;
                defaulted = copy;
                &defaulted
            };
            options.include_usage = request.wants_stream_usage();
            let output = match &controls.mock {
                Some(m) => mock::answer(m, request, &options, limit).await,
                None => deployment.provider.chat(request, options).await,
            };
            output.map_err(|e| deployment.upstream_error(e))
        })
    }
}

pub(super) struct EmbeddingCall(pub EmbeddingRequest);

impl Operation for EmbeddingCall {
    fn operation_name(&self) -> &'static str {
        "embeddings"
    }

    fn call_type(&self) -> &'static str {
        "aembedding"
    }

    fn route(&self) -> &'static str {
        "/embeddings"
    }

    fn model(&self) -> &str {
        &self.0.model
    }

    fn stream(&self) -> bool {
        false
    }

    fn wants_stream_usage(&self) -> bool {
        false
    }

    fn user(&self) -> Option<&str> {
        self.0.user.as_deref()
    }

    /// `litellm_params` request defaults are chat parameters (`temperature`, `max_tokens`...) that
    /// the Embeddings API does not take: they are not applied here.
    fn call<'a>(
        &'a self,
        deployment: &'a Deployment,
        _controls: &'a Controls,
        options: CallOptions,
        _limit: Duration,
    ) -> BoxFuture<'a, Result<ChatOutput, GatewayError>> {
        Box::pin(
            async move { deployment.provider.embed(&self.0, options).await.map_err(|e| deployment.upstream_error(e)) },
        )
    }
}

pub(super) struct CompletionCall(pub CompletionRequest);

impl Operation for CompletionCall {
    fn operation_name(&self) -> &'static str {
        "text_completion"
    }

    fn call_type(&self) -> &'static str {
        "atext_completion"
    }

    fn route(&self) -> &'static str {
        "/completions"
    }

    fn model(&self) -> &str {
        &self.0.model
    }

    fn stream(&self) -> bool {
        self.0.is_stream()
    }

    fn wants_stream_usage(&self) -> bool {
        self.0.wants_stream_usage()
    }

    fn user(&self) -> Option<&str> {
        self.0.extra.get("user").and_then(|u| u.as_str())
    }

    fn call<'a>(
        &'a self,
        deployment: &'a Deployment,
        _controls: &'a Controls,
        options: CallOptions,
        _limit: Duration,
    ) -> BoxFuture<'a, Result<ChatOutput, GatewayError>> {
        Box::pin(async move {
            let defaults = &deployment.entry.params.default_request_params;
            let defaulted;
            let request = if defaults.is_empty() {
                &self.0
            } else {
                let mut copy = self.0.clone();
                copy.apply_defaults(defaults).map_err(|e| {
                    GatewayError::invalid(format!("litellm_params defaults do not fit the request: {e}"), None)
                })?;
                defaulted = copy;
                &defaulted
            };
            deployment.provider.complete(request, options).await.map_err(|e| deployment.upstream_error(e))
        })
    }
}
