//! Anthropic's Messages API (`/v1/messages`) over the chat path: the request becomes a chat
//! request, goes through the gateway like any chat call (keys, access, budgets, limits, the
//! router, spend, the request log), and the answer is told back as a message or as Anthropic's
//! stream events. This is how LiteLLM serves `/v1/messages` for models that do not speak
//! Messages themselves; every provider gets it without code of its own.

mod request;
mod response;
mod stream;
mod tokens;

use futures::StreamExt;

use crate::gateway::{ChatReply, GatewayError, ReplyBody};

pub use request::{MessagesRequest, to_chat};
pub use response::message_id;
pub use tokens::estimate_prompt_tokens;

/// Retells a chat reply as Anthropic's: `model` is the name the client asked for.
pub fn reply(mut reply: ChatReply, model: &str) -> Result<ChatReply, GatewayError> {
    if reply.native {
        // The upstream speaks Messages: its answer went through as it was.
        return Ok(reply);
    }
    reply.body = match reply.body {
        ReplyBody::Json(body) => {
            let message = response::from_completion(&body, reply.call_id, model).map_err(|e| {
                GatewayError::Internal(format!("the model's answer could not be told as a message: {e}"))
            })?;
            ReplyBody::Json(message.into())
        }
        ReplyBody::Stream(events) => {
            let translator = stream::Translator::new(message_id(reply.call_id), model.to_string());
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
                            Some(Err(e)) => return Some((Err(e), (events, translator, true))),
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
