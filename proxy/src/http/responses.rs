//! OpenAI's Responses routes: `POST /v1/responses`, `GET`/`DELETE /v1/responses/{id}` and
//! `GET /v1/responses/{id}/input_items`, for the `openai` SDK's `client.responses` and the
//! OpenAI Agents SDK. Errors answer in OpenAI's shape (LiteLLM's, which is the same).

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde::Serialize;

use super::error::responses_error_event;
use super::openai::{body_bytes, call_hints, parse_body};
use super::{AppState, Caller, reply};
use crate::gateway::GatewayError;
use crate::responses::{self, Item, ResponseObject, ResponsesRequest};

pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    let request: ResponsesRequest = parse_body(&body_bytes(&state, body)?)?;
    let hints = call_hints(&headers)?;
    let answer = responses::create(&state.gateway, &state.responses, &principal, request, hints).await?;
    Ok(reply::response(answer, responses_error_event))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Json<ResponseObject>, GatewayError> {
    let saved = responses::find(&state.responses, &principal, &id, "response_id").await?;
    Ok(Json(saved.response.clone()))
}

#[derive(Serialize)]
pub struct Deleted {
    id: String,
    object: &'static str,
    deleted: bool,
}

pub async fn delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, GatewayError> {
    responses::delete(&state.responses, &principal, &id).await?;
    Ok(Json(Deleted { id, object: "response", deleted: true }))
}

#[derive(Serialize)]
pub struct ItemList {
    object: &'static str,
    data: Vec<Item>,
    first_id: Option<String>,
    last_id: Option<String>,
    has_more: bool,
}

/// The response's input items, newest first unless `order=asc`, `limit` (1-100, 20) at a time
/// after the item `after`, as OpenAI lists them.
pub async fn input_items(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<ItemList>, GatewayError> {
    let saved = responses::find(&state.responses, &principal, &id, "response_id").await?;
    let limit = match query.get("limit") {
        None => 20,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| GatewayError::invalid("limit: must be an integer from 1 to 100", Some("limit")))?,
    };
    let mut items = saved.input.clone();
    match query.get("order").map(String::as_str) {
        None | Some("desc") => items.reverse(),
        Some("asc") => {}
        Some(_) => return Err(GatewayError::invalid("order: must be 'asc' or 'desc'", Some("order"))),
    }
    if let Some(after) = query.get("after") {
        let at = items.iter().position(|i| item_id(i) == after).map(|p| p + 1).unwrap_or(items.len());
        items.drain(..at);
    }
    let has_more = items.len() > limit;
    items.truncate(limit);
    let first_id = items.first().map(|i| item_id(i).to_string());
    let last_id = items.last().map(|i| item_id(i).to_string());
    Ok(Json(ItemList { object: "list", data: items, first_id, last_id, has_more }))
}

fn item_id(item: &Item) -> &str {
    match item {
        Item::Message { id, .. }
        | Item::FunctionCall { id, .. }
        | Item::FunctionCallOutput { id, .. }
        | Item::Reasoning { id, .. } => id,
    }
}
