//! OpenAI's Responses API (`/v1/responses`) over the chat path: the request's items become a
//! chat request, go through the gateway like any chat call (keys, access, budgets, limits, the
//! router, spend, the request log), and the answer is told back as a Response object or as the
//! Responses stream events. Every provider gets it without code of its own, as with
//! `/v1/messages`; built-in tools (web search, file search, ...) run on OpenAI's servers and are
//! refused.
//!
//! Responses are kept (unless `store: false`) so that `previous_response_id` can continue a
//! conversation: see `saved` for how without the request path waiting on the database.

mod request;
mod response;
mod saved;
mod stream;

use std::sync::Arc;

use futures::StreamExt;

use crate::auth::Principal;
use crate::gateway::{CallHints, CallKind, ChatReply, Gateway, GatewayError, ReplyBody};

pub use request::{Item, ResponsesRequest};
pub use response::ResponseObject;
pub use saved::{Saved, SavedResponses};

fn store_failed(e: crate::store::StoreError) -> GatewayError {
    GatewayError::Internal(format!("stored responses could not be read: {e}"))
}

/// OpenAI's answer for an id it does not know (or the caller may not see).
pub fn not_found(id: &str, param: &str) -> GatewayError {
    let what = if param == "previous_response_id" { "Previous response" } else { "Response" };
    GatewayError::NotFound { message: format!("{what} with id '{id}' not found."), param: Some(param.to_string()) }
}

/// A stored response the caller may see.
pub async fn find(
    saved: &SavedResponses,
    principal: &Principal,
    id: &str,
    param: &str,
) -> Result<Arc<Saved>, GatewayError> {
    match saved.get(id).await.map_err(store_failed)? {
        Some(s) if s.visible_to(principal) => Ok(s),
        _ => Err(not_found(id, param)),
    }
}

/// Deletes a stored response the caller may see.
pub async fn delete(saved: &SavedResponses, principal: &Principal, id: &str) -> Result<(), GatewayError> {
    find(saved, principal, id, "response_id").await?;
    saved.delete(id).await.map_err(store_failed)?;
    Ok(())
}

/// One `POST /v1/responses`: the conversation (stored turns first), the call, the answer told
/// as a response, and the response kept when asked to.
pub async fn create(
    gateway: &Gateway,
    saved: &Arc<SavedResponses>,
    principal: &Principal,
    mut request: ResponsesRequest,
    mut hints: CallHints,
) -> Result<ChatReply, GatewayError> {
    if request.model.is_empty() {
        return Err(GatewayError::invalid("model: Field required", Some("model")));
    }
    let input = request::input_items(request.input.take())?;
    let history = match request.previous_response_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => find(saved, principal, id, "previous_response_id").await?.conversation(),
        None => Vec::new(),
    };
    let tools = request::tools(request.tools.take())?;
    let mut items = history.clone();
    items.extend(input.iter().cloned());
    let chat = request::to_chat(&mut request, &items, &tools)?;
    let echo = response::Echo::of(&request, tools);
    let model = request.model.clone();
    let stores = request.stores();

    hints.kind = CallKind::Responses;
    let mut reply = gateway.chat(principal, chat, hints).await?;
    let id = format!("resp_{}", reply.call_id.simple());
    let created_at = chrono::Utc::now().timestamp();
    let mut object = ResponseObject::started(id, model, created_at, echo);
    let keep = stores.then(|| {
        let saved = saved.clone();
        let (owner, team_id) = (Saved::owner_of(principal), principal.key().and_then(|k| k.record.team_id.clone()));
        move |response: &ResponseObject| {
            saved.keep(Saved { response: response.clone(), input, history, owner, team_id });
        }
    });
    reply.body = match reply.body {
        ReplyBody::Json(body) => {
            response::from_completion(&body, &mut object).map_err(|e| {
                GatewayError::Internal(format!("the model's answer could not be told as a response: {e}"))
            })?;
            if let Some(keep) = keep {
                keep(&object);
            }
            let body = serde_json::to_vec(&object)
                .map_err(|e| GatewayError::Internal(format!("the response could not be written: {e}")))?;
            ReplyBody::Json(body.into())
        }
        ReplyBody::Stream(events) => {
            let on_done = keep.map(|k| Box::new(k) as stream::OnDone);
            let translator = stream::Translator::new(object, on_done);
            let translated = futures::stream::unfold(
                (events, translator, false),
                |(mut events, mut translator, ended)| async move {
                    if ended {
                        return None;
                    }
                    loop {
                        match events.next().await {
                            Some(Ok(bytes)) => {
                                let out = translator.push(&bytes);
                                if !out.is_empty() {
                                    return Some((Ok(out), (events, translator, false)));
                                }
                            }
                            // The error event in the Responses shape, numbered in sequence.
                            Some(Err(e)) => return Some((Ok(translator.fail(&e)), (events, translator, true))),
                            None => {
                                let out = translator.finish();
                                return (!out.is_empty()).then_some((Ok(out), (events, translator, true)));
                            }
                        }
                    }
                },
            );
            ReplyBody::Stream(Box::pin(translated))
        }
    };
    Ok(reply)
}
