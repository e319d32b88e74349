//! Anthropic's routes: `POST /v1/messages` and `/v1/messages/count_tokens`, for the Anthropic
//! SDKs and Claude Code (`ANTHROPIC_BASE_URL` at the gateway, a virtual key in `x-api-key` or
//! `Authorization`). Errors answer in Anthropic's shape.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde::Serialize;

use super::error::{AnthropicError, anthropic_error_event};
use super::openai::{body_bytes, call_hints, parse_body};
use super::{AppState, Caller, reply};
use crate::gateway::{CallKind, GatewayError};
use crate::messages::{self, MessagesRequest};
use crate::schema::NativeRequest;

pub async fn messages(
    State(state): State<AppState>,
    caller: Result<Caller, GatewayError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AnthropicError> {
    let Caller(principal) = caller?;
    let body = body_bytes(&state, body)?;
    let request: MessagesRequest = parse_body(&body)?;
    if request.max_tokens.is_none() {
        return Err(GatewayError::invalid("max_tokens: Field required", Some("max_tokens")).into());
    }
    let model = request.model.clone();
    let mut chat = messages::to_chat(request)?;
    chat.native = Some(native(body, &headers));
    let mut hints = call_hints(&headers)?;
    hints.kind = CallKind::AnthropicMessages;
    let answer = state.gateway.chat(&principal, chat, hints).await?;
    let answer = messages::reply(answer, &model)?;
    Ok(reply::response(answer, anthropic_error_event))
}

/// The request as it came, for a provider that speaks Messages (an `anthropic/` model).
fn native(body: Bytes, headers: &HeaderMap) -> NativeRequest {
    let beta = headers.get("anthropic-beta").and_then(|v| v.to_str().ok()).map(str::to_string);
    NativeRequest { body, beta }
}

#[derive(Serialize)]
pub struct TokenCount {
    input_tokens: u64,
}

/// Counted by the model's provider when it can (Bedrock's `CountTokens`), else estimated.
pub async fn count_tokens(
    State(state): State<AppState>,
    caller: Result<Caller, GatewayError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TokenCount>, AnthropicError> {
    let Caller(principal) = caller?;
    let body = body_bytes(&state, body)?;
    let request: MessagesRequest = parse_body(&body)?;
    let mut chat = messages::to_chat(request)?;
    chat.native = Some(native(body, &headers));
    let counted = state.gateway.count_tokens(&principal, &chat, "/v1/messages/count_tokens").await?;
    let input_tokens = counted.unwrap_or_else(|| messages::estimate_prompt_tokens(&chat));
    Ok(Json(TokenCount { input_tokens }))
}
