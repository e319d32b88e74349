use super::*;

fn req(body: serde_json::Value) -> ChatRequest {
    serde_json::from_value(body).unwrap()
}

fn roles(input: &ConverseInput) -> Vec<&str> {
    input.messages.iter().map(|m| m.role().as_str()).collect()
}

#[test]
fn system_prompts_parts_and_parameters() {
    let input = translate(&req(serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "developer", "content": [{"type": "text", "text": "and kind"}]},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "  "}]}
        ],
        "max_tokens": 100, "temperature": 0.2, "top_p": 0.9, "stop": "END"
    })))
    .unwrap();
    assert_eq!(input.system.len(), 2);
    assert_eq!(roles(&input), ["user"]);
    assert_eq!(input.messages[0].content().len(), 1, "blank text parts are dropped");
    let inf = input.inference.unwrap();
    assert_eq!(inf.max_tokens(), Some(100));
    assert_eq!(inf.stop_sequences(), ["END"]);
    assert!(input.tool_config.is_none());
}

#[test]
fn tool_round_trip_strands_style() {
    let input = translate(&req(serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "weather in Paris?"}]},
            {"role": "assistant", "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "c2", "type": "function", "function": {"name": "get_time", "arguments": ""}}
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "c2", "content": ""},
            {"role": "user", "content": "thanks"}
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
                  {"type": "function", "function": {"name": "get_time"}}],
        "tool_choice": "required"
    })))
    .unwrap();
    assert_eq!(roles(&input), ["user", "assistant", "user"]);
    let uses = input.messages[1].content();
    let ContentBlock::ToolUse(first) = &uses[0] else { panic!("{uses:?}") };
    assert_eq!(first.tool_use_id(), "c1");
    assert_eq!(document::to_json(first.input()), serde_json::json!({"city": "Paris"}));
    let ContentBlock::ToolUse(second) = &uses[1] else { panic!() };
    assert_eq!(document::to_json(second.input()), serde_json::json!({}));
    let results = input.messages[2].content();
    assert_eq!(results.len(), 3, "both results and the follow-up text share one user turn");
    assert!(matches!(&results[0], ContentBlock::ToolResult(r) if r.tool_use_id() == "c1"));
    assert!(matches!(&results[1], ContentBlock::ToolResult(r) if r.tool_use_id() == "c2"
        && matches!(&r.content()[0], ToolResultContentBlock::Text(t) if t == "(no output)")));
    assert!(matches!(&results[2], ContentBlock::Text(t) if t == "thanks"));
    let tc = input.tool_config.unwrap();
    assert_eq!(tc.tools().len(), 2);
    let Tool::ToolSpec(spec) = &tc.tools()[0] else { panic!() };
    assert_eq!(spec.description(), None, "empty descriptions are not sent (Bedrock rejects them)");
    assert!(matches!(tc.tool_choice(), Some(BedrockToolChoice::Any(_))));
}

#[test]
fn tool_history_without_tools_still_declares_them() {
    let input = translate(&req(serde_json::json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "not json"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "r"}
        ]
    })))
    .unwrap();
    let tc = input.tool_config.expect("toolConfig is required when tool blocks are present");
    let Tool::ToolSpec(spec) = &tc.tools()[0] else { panic!() };
    assert_eq!(spec.name(), "lookup");
    let ContentBlock::ToolUse(u) = &input.messages[1].content()[0] else { panic!() };
    assert_eq!(document::to_json(u.input()), serde_json::json!({"arguments": "not json"}));
}

#[test]
fn conversation_opening_with_assistant_gets_a_user_turn() {
    let input = translate(&req(serde_json::json!({
        "model": "m",
        "messages": [{"role": "assistant", "content": "Hi! How can I help?"}, {"role": "user", "content": "hello"}]
    })))
    .unwrap();
    assert_eq!(roles(&input), ["user", "assistant", "user"]);
}

#[test]
fn images_from_data_urls_and_clear_errors_otherwise() {
    let png = base64::engine::general_purpose::STANDARD.encode([0x89, b'P', b'N', b'G']);
    let input = translate(&req(serde_json::json!({
        "model": "m",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png}")}}
        ]}]
    })))
    .unwrap();
    let ContentBlock::Image(img) = &input.messages[0].content()[1] else { panic!() };
    assert_eq!(img.format(), &ImageFormat::Png);

    let err = translate(&req(serde_json::json!({
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("messages[0].content[0].image_url: Bedrock takes images inline"), "{err}");
}

#[test]
fn bad_tool_names_and_missing_ids_are_rejected_before_sending() {
    let err = translate(&req(serde_json::json!({
        "model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "has space"}}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("tools[0].function.name"), "{err}");
    let err = translate(&req(serde_json::json!({
        "model": "m", "messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("messages[1]: a tool message needs the tool_call_id"), "{err}");
    let err = translate(&req(serde_json::json!({"model": "m", "messages": [{"role": "system", "content": "s"}]})))
        .err()
        .unwrap();
    assert!(err.to_string().contains("at least one user message"), "{err}");
}

#[test]
fn tool_choice_none_without_history_sends_no_tools() {
    let input = translate(&req(serde_json::json!({
        "model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "t"}}], "tool_choice": "none"
    })))
    .unwrap();
    assert!(input.tool_config.is_none());
}
