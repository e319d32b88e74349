//! Gemini's `GenerateContentResponse` → an OpenAI chat completion, and its `usageMetadata` →
//! the gateway's usage.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use super::request::call_id;
use crate::providers::ProviderError;
use crate::schema::{AssistantMessage, ChatCompletion, Choice, FunctionCall, ToolCall, Usage};

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    #[serde(default)]
    pub prompt_token_count: u64,
    #[serde(default)]
    pub candidates_token_count: u64,
    #[serde(default)]
    pub thoughts_token_count: u64,
    #[serde(default)]
    pub cached_content_token_count: u64,
    #[serde(default)]
    pub tool_use_prompt_token_count: u64,
    #[serde(default)]
    pub total_token_count: Option<u64>,
}

impl UsageMetadata {
    /// As LiteLLM counts it: thinking is completion (and billed as output), the prompt
    /// includes the cached part (priced apart as cache reads) and the tool-use prompt.
    pub fn usage(&self) -> Usage {
        let prompt = self.prompt_token_count + self.tool_use_prompt_token_count;
        let completion = self.candidates_token_count + self.thoughts_token_count;
        Usage {
            total_tokens: self.total_token_count.unwrap_or(prompt + completion).max(prompt + completion),
            cache_read_input_tokens: self.cached_content_token_count,
            ..Usage::new(prompt, completion)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub prompt_feedback: Option<Value>,
    #[serde(default)]
    pub response_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub index: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Content {
    #[serde(default)]
    pub parts: Vec<Part>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thought: Option<bool>,
    #[serde(default)]
    pub function_call: Option<GeminiCall>,
    #[serde(default)]
    pub thought_signature: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct GeminiCall {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub args: Option<Value>,
}

impl GenerateContentResponse {
    /// A prompt Gemini refused outright comes back without candidates, with a block reason.
    pub fn blocked(&self) -> bool {
        self.candidates.is_empty()
            && self.prompt_feedback.as_ref().and_then(|f| f.get("blockReason")).is_some_and(|r| !r.is_null())
    }
}

/// OpenAI's `finish_reason` for Gemini's `finishReason` (LiteLLM's mapping; reasons OpenAI has
/// no word for are `stop`).
pub fn finish_reason(reason: &str, made_calls: bool) -> &'static str {
    match reason {
        "MAX_TOKENS" => "length",
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => "content_filter",
        _ if made_calls => "tool_calls",
        _ => "stop",
    }
}

/// A function call as the client's tool call: Gemini's args object as a JSON string.
pub fn tool_call(call: &GeminiCall, id: String) -> ToolCall {
    ToolCall {
        id,
        kind: "function".into(),
        function: FunctionCall {
            name: call.name.clone(),
            arguments: call.args.as_ref().map(Value::to_string).unwrap_or_else(|| "{}".into()),
        },
    }
}

pub fn completion(
    body: &[u8],
    id: &str,
    call: &uuid::Uuid,
    created: u64,
    alias: &str,
) -> Result<(Bytes, Usage), ProviderError> {
    let answer: GenerateContentResponse = serde_json::from_slice(body)
        .map_err(|e| ProviderError::Protocol(format!("the answer is not a GenerateContentResponse ({e})")))?;
    let mut choices = Vec::with_capacity(answer.candidates.len().max(1));
    let mut calls_made = 0;
    for (n, candidate) in answer.candidates.iter().enumerate() {
        let mut text = String::new();
        let mut reasoning = String::new();
        let mut tool_calls = Vec::new();
        for part in candidate.content.iter().flat_map(|c| &c.parts) {
            if let Some(f) = &part.function_call {
                tool_calls.push(tool_call(f, call_id(call, calls_made, part.thought_signature.as_deref())));
                calls_made += 1;
            } else if let Some(t) = &part.text {
                if part.thought == Some(true) { reasoning.push_str(t) } else { text.push_str(t) }
            }
        }
        let reason = finish_reason(candidate.finish_reason.as_deref().unwrap_or("STOP"), !tool_calls.is_empty());
        choices.push(Choice {
            index: candidate.index.unwrap_or(n as u32),
            message: AssistantMessage {
                role: "assistant",
                content: (!text.is_empty() || tool_calls.is_empty()).then_some(text),
                tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
                thinking_blocks: None,
            },
            finish_reason: reason,
        });
    }
    if answer.candidates.is_empty() {
        // A blocked prompt: an empty answer, filtered, as LiteLLM reports it.
        choices.push(Choice {
            index: 0,
            message: AssistantMessage {
                role: "assistant",
                content: Some(String::new()),
                tool_calls: None,
                reasoning_content: None,
                thinking_blocks: None,
            },
            finish_reason: if answer.blocked() { "content_filter" } else { "stop" },
        });
    }
    let usage = answer.usage_metadata.unwrap_or_default().usage();
    let body = ChatCompletion { id, object: "chat.completion", created, model: alias, choices, usage };
    let bytes = serde_json::to_vec(&body).map_err(|e| ProviderError::Protocol(e.to_string()))?;
    Ok((Bytes::from(bytes), usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_become_a_chat_completion() {
        let body = serde_json::json!({"candidates": [{"content": {"role": "model", "parts": [
                {"text": "hmm", "thought": true}, {"text": "Checking."},
                {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "sig"}]},
            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 3,
                              "cachedContentTokenCount": 4, "totalTokenCount": 18},
            "modelVersion": "gemini-2.5-flash", "responseId": "r1"});
        let (bytes, usage) =
            completion(body.to_string().as_bytes(), "chatcmpl-x", &uuid::Uuid::nil(), 7, "alias").unwrap();
        let out: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(out["model"], "alias");
        assert_eq!(out["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(out["choices"][0]["message"]["content"], "Checking.");
        assert_eq!(out["choices"][0]["message"]["reasoning_content"], "hmm");
        let call = &out["choices"][0]["message"]["tool_calls"][0];
        assert_eq!(call["function"]["arguments"], "{\"a\":1}");
        assert!(call["id"].as_str().unwrap().ends_with("__thought__sig"), "{call}");
        assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.total_tokens), (10, 8, 18));
        assert_eq!(usage.cache_read_input_tokens, 4);

        let blocked =
            serde_json::json!({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 3}});
        let (bytes, _) = completion(blocked.to_string().as_bytes(), "c", &uuid::Uuid::nil(), 7, "a").unwrap();
        let out: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(out["choices"][0]["finish_reason"], "content_filter");
        assert_eq!(finish_reason("MAX_TOKENS", true), "length");
    }
}
