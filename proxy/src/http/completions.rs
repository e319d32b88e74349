//! `POST /v1/completions`: legacy text completions (and the Azure-style
//! `/openai/deployments/{model}/completions`).

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;

use super::openai::{body_bytes, call_hints, reply_response};
use super::{AppState, Caller, request_body};
use crate::gateway::GatewayError;
use crate::schema::completions::CompletionRequest;

pub async fn completions(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    let request: CompletionRequest = request_body::parse(&body_bytes(&state, body)?, None)?;
    let reply = state.gateway.complete(&principal, request, call_hints(&headers)?).await?;
    Ok(reply_response(reply))
}

pub async fn azure_completions(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    let request: CompletionRequest = request_body::parse(&body_bytes(&state, body)?, Some(model))?;
    let reply = state.gateway.complete(&principal, request, call_hints(&headers)?).await?;
    Ok(reply_response(reply))
}
