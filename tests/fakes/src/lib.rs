//! In-process fakes of the upstream services the Switchboard gateway talks to.
//!
//! * [`openai::FakeOpenAi`] speaks the OpenAI Chat Completions wire format
//!   (JSON and server-sent events), and the Embeddings and legacy Completions APIs.
//! * [`bedrock::FakeBedrock`] speaks the Bedrock Runtime restJson1 protocol
//!   (`Converse` and `ConverseStream`, the latter as AWS event-stream frames, and
//!   `InvokeModel` for Titan Text Embeddings and Cohere Embed).
//! * [`anthropic::FakeAnthropic`] speaks Anthropic's Messages API (JSON and its stream events).
//! * [`gemini::FakeGemini`] speaks Google AI Studio's Gemini API (generateContent, its SSE stream,
//!   countTokens, batchEmbedContents).
//! * [`azure::FakeAzure`] speaks Azure OpenAI (deployments, `api-version`, `api-key`, Azure's errors).
//! * [`agentcore::FakeAgentCore`] speaks AgentCore Control (credential providers, harnesses)
//!   and the data plane's `InvokeHarness`, whose harness calls its LiteLLM API base for real.
//!
//! Embeddings are deterministic: [`vectors::embedding`] gives the vector any fake returns for
//! a text.
//!
//! The model fakes validate requests strictly (like the real services do), record every
//! request they receive (see [`RecordedRequest`]; also `GET`/`DELETE
//! /_fake/requests` and `GET /_fake/active_streams` for tests in other
//! languages), and answer from a small script driven by the model id and the
//! conversation:
//!
//! * tools offered and the last turn is a plain user message: one call to the
//!   first tool, with arguments built from its JSON schema (`"Paris"`, `1`,
//!   `true`, `null`);
//! * the last turn is tool results: `The tool said: <results joined by " | ">`;
//! * otherwise `Hello from fake-openai! You said: <last user text>` (or
//!   `fake-bedrock`), plus `[image: png, N bytes]` / `[image: url]` notes;
//! * a max-tokens setting cuts the reply to that many words (finish `length` /
//!   `max_tokens`); usage counts whitespace-separated words.
//!
//! Special model ids: `fake-429` / `fake-throttle`, `fake-500` /
//! `fake-server-error`, `fake-access-denied` and `invalid*` (Bedrock),
//! `fake-slow` (3 s delay), `fake-midstream-error` (the stream breaks after two
//! content chunks) and `fake-hang-stream` (the stream stalls for 60 s after the
//! first content chunk).
//!
//! Streamed text is sent one word per chunk (each word with the whitespace that
//! follows it), so the pieces concatenate to exactly the non-streamed text.

pub mod agentcore;
pub mod anthropic;
pub mod azure;
pub mod bedrock;
mod bedrock_invoke;
pub mod gemini;
pub mod openai;
mod openai_completions;
mod openai_embeddings;
pub mod vectors;

mod script;
mod server;
pub mod sigv4;

use std::collections::BTreeMap;

use serde::Serialize;

/// One HTTP request received by a fake (requests to `/_fake/*` are not recorded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// HTTP method, upper case (`POST`).
    pub method: String,
    /// Percent-decoded path, followed by `?` and the raw query string if there was one.
    pub path: String,
    /// Request headers with lower-case names; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON, or `Null` when it was empty or not JSON.
    pub body: serde_json::Value,
}
