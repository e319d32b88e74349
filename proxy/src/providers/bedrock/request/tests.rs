use serde_json::json;

use super::*;

fn req(body: Value) -> ChatRequest {
    serde_json::from_value(body).unwrap()
}

/// The request as it goes on the wire.
fn wire(request: &ChatRequest) -> Value {
    serde_json::to_value(translate(request).unwrap()).unwrap()
}

fn roles(wire: &Value) -> Vec<&str> {
    wire["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect()
}

#[test]
fn system_prompts_parts_and_parameters() {
    let request = req(json!({
        "model": "m",
        "messages": [
            {"role": "system", "content": "be brief", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
            {"role": "developer", "content": [{"type": "text", "text": "and kind"}]},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "  "}]}
        ],
        "max_tokens": 100, "temperature": 0.2, "top_p": 0.9, "stop": "END", "top_k": 5
    }));
    assert_eq!(
        wire(&request),
        json!({
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "system": [{"text": "be brief"}, {"cachePoint": {"type": "default", "ttl": "1h"}}, {"text": "and kind"}],
            "inferenceConfig": {"maxTokens": 100, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]},
            "additionalModelRequestFields": {"top_k": 5}
        }),
        "blank text parts are dropped; no toolConfig without tools"
    );
}

#[test]
fn tool_round_trip_strands_style() {
    let request = req(json!({
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
                  {"type": "function", "function": {"name": "get_time"}, "cache_control": {"type": "ephemeral"}}],
        "tool_choice": "required"
    }));
    let wire = wire(&request);
    assert_eq!(roles(&wire), ["user", "assistant", "user"]);
    assert_eq!(
        wire["messages"][1]["content"],
        json!([
            {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "c2", "name": "get_time", "input": {}}}
        ])
    );
    assert_eq!(
        wire["messages"][2]["content"],
        json!([
            {"toolResult": {"toolUseId": "c1", "content": [{"text": "sunny"}], "status": "success"}},
            {"toolResult": {"toolUseId": "c2", "content": [{"text": "(no output)"}], "status": "success"}},
            {"text": "thanks"}
        ]),
        "both results and the follow-up text share one user turn"
    );
    assert_eq!(
        wire["toolConfig"],
        json!({
            "tools": [
                // Empty descriptions are not sent (Bedrock rejects them).
                {"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}},
                {"toolSpec": {"name": "get_time", "inputSchema": {"json": {"type": "object", "properties": {}}}}},
                {"cachePoint": {"type": "default"}}
            ],
            "toolChoice": {"any": {}}
        })
    );
}

#[test]
fn tool_history_without_tools_still_declares_them() {
    let request = req(json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "not json"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "r1"}, {"type": "text", "text": "r2"}]}
        ],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}}
    }));
    let wire = wire(&request);
    assert_eq!(
        wire["toolConfig"],
        json!({"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}], "toolChoice": {"tool": {"name": "lookup"}}}),
        "toolConfig is required when tool blocks are present"
    );
    assert_eq!(wire["messages"][1]["content"][0]["toolUse"]["input"], json!({"arguments": "not json"}));
    assert_eq!(wire["messages"][2]["content"][0]["toolResult"]["content"], json!([{"text": "r1\nr2"}]));
}

#[test]
fn conversation_opening_with_assistant_gets_a_user_turn() {
    let request = req(json!({
        "model": "m",
        "messages": [{"role": "assistant", "content": "Hi! How can I help?"}, {"role": "user", "content": "hello"}]
    }));
    let wire = wire(&request);
    assert_eq!(roles(&wire), ["user", "assistant", "user"]);
    assert_eq!(wire["messages"][0]["content"], json!([{"text": "."}]));
}

#[test]
fn earlier_reasoning_goes_back_with_its_signature() {
    let request = req(json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a", "thinking_blocks": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "redacted_thinking", "data": "AAEC"}
            ]},
            {"role": "user", "content": "more"}
        ],
        "thinking": {"type": "enabled", "budget_tokens": 1024}
    }));
    let wire = wire(&request);
    assert_eq!(
        wire["messages"][1]["content"],
        json!([
            {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}},
            {"reasoningContent": {"redactedContent": "AAEC"}},
            {"text": "a"}
        ])
    );
    assert_eq!(wire["additionalModelRequestFields"], json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}));
    let bad = req(json!({
        "model": "m",
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "thinking_blocks": [{"type": "redacted_thinking", "data": "%%"}]}]
    }));
    let err = translate(&bad).err().unwrap();
    assert!(err.to_string().contains("messages[1].thinking_blocks[0].data: invalid base64"), "{err}");
}

#[test]
fn images_from_data_urls_and_clear_errors_otherwise() {
    let png = base64::engine::general_purpose::STANDARD.encode([0x89, b'P', b'N', b'G']);
    let request = req(json!({
        "model": "m",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png}")}, "cache_control": {"type": "ephemeral"}}
        ]}]
    }));
    assert_eq!(
        wire(&request)["messages"][0]["content"],
        json!([
            {"text": "what is this?"},
            {"image": {"format": "png", "source": {"bytes": png}}},
            {"cachePoint": {"type": "default"}}
        ]),
        "the data URL's base64 is sent as it came"
    );

    let err = translate(&req(json!({
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("messages[0].content[0].image_url: Bedrock takes images inline"), "{err}");
    let err = translate(&req(json!({
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,not base64!"}}]}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("messages[0].content[0].image_url: invalid base64"), "{err}");
}

#[test]
fn bad_tool_names_and_missing_ids_are_rejected_before_sending() {
    let err = translate(&req(json!({
        "model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "has space"}}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("tools[0].function.name"), "{err}");
    let err = translate(&req(json!({
        "model": "m", "messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("messages[1]: a tool message needs the tool_call_id"), "{err}");
    let err = translate(&req(json!({"model": "m", "messages": [{"role": "system", "content": "s"}]}))).err().unwrap();
    assert!(err.to_string().contains("at least one user message"), "{err}");
    let err = translate(&req(json!({
        "model": "m", "messages": [{"role": "user", "content": "x", "cache_control": {"type": "ephemeral", "ttl": "2d"}}]
    })))
    .err()
    .unwrap();
    assert!(err.to_string().contains("messages[0].cache_control.ttl: '2d' is not 5m or 1h"), "{err}");
}

#[test]
fn tool_choice_none_without_history_sends_no_tools() {
    let request = req(json!({
        "model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "t"}}], "tool_choice": "none"
    }));
    assert!(wire(&request).get("toolConfig").is_none());
}

#[test]
fn count_tokens_wraps_the_prompt_without_inference_settings() {
    let request = req(json!({
        "model": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "x"}],
        "max_tokens": 10, "top_k": 3
    }));
    let converse = translate(&request).unwrap();
    assert_eq!(
        serde_json::to_value(super::super::wire::CountTokensRequest::of(&converse)).unwrap(),
        json!({"input": {"converse": {
            "messages": [{"role": "user", "content": [{"text": "x"}]}],
            "system": [{"text": "s"}],
            "additionalModelRequestFields": {"top_k": 3}
        }}})
    );
}
