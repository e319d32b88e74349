//! A chat completion chunk as the gateway reads it back, to tell a stream in another API's
//! shape (Anthropic's events, the Responses API's). Strings are borrowed from the chunk's bytes
//! unless they hold escapes; `U` is the usage shape the reader needs.

use std::borrow::Cow;

use serde::Deserialize;

use super::{ThinkingBlock, Usage};

#[derive(Debug, Deserialize)]
pub struct ChunkIn<'a, U = Usage> {
    #[serde(default, borrow)]
    pub choices: Vec<ChoiceIn<'a>>,
    #[serde(default = "Option::default")]
    pub usage: Option<U>,
}

#[derive(Debug, Deserialize)]
pub struct ChoiceIn<'a> {
    #[serde(default, borrow)]
    pub delta: DeltaIn<'a>,
    #[serde(default, borrow)]
    pub finish_reason: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DeltaIn<'a> {
    #[serde(default, borrow)]
    pub content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub reasoning_content: Option<Cow<'a, str>>,
    #[serde(default)]
    pub thinking_blocks: Option<Vec<ThinkingBlock>>,
    #[serde(default, borrow)]
    pub tool_calls: Option<Vec<ToolCallDeltaIn<'a>>>,
}

#[derive(Debug, Deserialize)]
pub struct ToolCallDeltaIn<'a> {
    #[serde(default)]
    pub index: u32,
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub function: Option<FunctionDeltaIn<'a>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FunctionDeltaIn<'a> {
    #[serde(default, borrow)]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub arguments: Option<Cow<'a, str>>,
}
