"""Strands Agents (``LiteLLMModel`` -> litellm SDK -> gateway -> fake Bedrock)."""

from __future__ import annotations

import pytest

strands = pytest.importorskip("strands")  # requirements.txt installs it; skip only if it was dropped

from strands import Agent, tool  # noqa: E402
from strands.models.litellm import LiteLLMModel  # noqa: E402

from conftest import MASTER_KEY  # noqa: E402

TOOL_CALLS: list[str] = []


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: Name of the city.
    """
    TOOL_CALLS.append(city)
    return f"Sunny and 22 degrees in {city}"


@pytest.mark.parametrize("suffix", ["", "/v1"], ids=["root", "v1"])
def test_agent_tool_loop_through_bedrock_alias(gateway, fakes, suffix):
    TOOL_CALLS.clear()
    model = LiteLLMModel(
        client_args={"api_key": MASTER_KEY, "api_base": gateway.url + suffix},
        model_id="litellm_proxy/claude-haiku",
        params={"max_tokens": 256, "temperature": 0},
    )
    agent = Agent(model=model, tools=[get_weather], callback_handler=None)
    result = agent("What is the weather in Paris?")
    text = str(result)

    assert TOOL_CALLS == ["Paris"]
    assert "The tool said:" in text, text
    assert "Sunny and 22 degrees in Paris" in text, text
    assert result.stop_reason == "end_turn"

    reqs = fakes.bedrock_converse_requests()
    assert len(reqs) == 2, [r.path for r in reqs]
    # Strands always streams
    assert all(r.unquoted_path.endswith("/converse-stream") for r in reqs), [r.path for r in reqs]
    first, second = reqs[0].body, reqs[1].body
    assert [t["toolSpec"]["name"] for t in first["toolConfig"]["tools"]] == ["get_weather"]
    assert first["inferenceConfig"]["maxTokens"] == 256
    tool_results = [
        block["toolResult"]
        for msg in second["messages"]
        if msg["role"] == "user"
        for block in msg["content"]
        if "toolResult" in block
    ]
    assert len(tool_results) == 1, second["messages"]
    assert [c.get("text") for c in tool_results[0]["content"]] == ["Sunny and 22 degrees in Paris"]
    tool_uses = [
        block["toolUse"]
        for msg in second["messages"]
        if msg["role"] == "assistant"
        for block in msg["content"]
        if "toolUse" in block
    ]
    assert len(tool_uses) == 1
    assert tool_uses[0]["toolUseId"] == tool_results[0]["toolUseId"]
    assert tool_uses[0]["input"] == {"city": "Paris"}
    # usage from the final stream chunk reached the agent's metrics
    usage = result.metrics.accumulated_usage
    assert usage["inputTokens"] > 0 and usage["outputTokens"] > 0, usage
