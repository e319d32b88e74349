"""The ``litellm`` Python SDK (``litellm_proxy/<alias>`` provider) against the gateway.

conftest.py sets LITELLM_LOCAL_MODEL_COST_MAP=True (and friends) before this
module imports litellm, so nothing tries to reach the internet.
"""

from __future__ import annotations

import asyncio
import json

import pytest

import litellm  # noqa: E402  (env prepared in conftest)

from conftest import CLIENT_TIMEOUT_S, HAIKU_ID, MASTER_KEY, WEATHER_TOOL, expected_greeting, word_count

litellm.telemetry = False
litellm.suppress_debug_info = True
litellm.drop_params = False

TOOL_OUTPUT = "Cloudy with light rain"


def call_kwargs(gateway, base_suffix="/v1", key=MASTER_KEY):
    return {"api_base": gateway.url + base_suffix, "api_key": key, "timeout": CLIENT_TIMEOUT_S, "num_retries": 0}


@pytest.mark.parametrize("suffix", ["", "/v1"], ids=["root", "v1"])
def test_completion_haiku(gateway, fakes, suffix):
    user_text = "hello from the litellm sdk"
    resp = litellm.completion(
        model="litellm_proxy/claude-haiku",
        messages=[{"role": "user", "content": user_text}],
        **call_kwargs(gateway, suffix),
    )
    expected = expected_greeting("claude-haiku", user_text)
    assert resp.choices[0].message.content == expected
    assert resp.choices[0].finish_reason == "stop"
    assert "claude-haiku" in resp.model
    assert resp.usage.prompt_tokens == word_count(user_text)
    assert resp.usage.completion_tokens == word_count(expected)

    reqs = fakes.bedrock_converse_requests()
    assert len(reqs) == 1
    assert reqs[0].unquoted_path == f"/model/{HAIKU_ID}/converse"


def test_completion_stream_haiku(gateway, fakes):
    user_text = "stream through litellm"
    stream = litellm.completion(
        model="litellm_proxy/claude-haiku",
        messages=[{"role": "user", "content": user_text}],
        stream=True,
        **call_kwargs(gateway),
    )
    parts, finish = [], []
    for chunk in stream:
        for ch in chunk.choices:
            if ch.delta and ch.delta.content:
                parts.append(ch.delta.content)
            if ch.finish_reason:
                finish.append(ch.finish_reason)
    assert "".join(parts) == expected_greeting("claude-haiku", user_text)
    assert finish and finish[-1] == "stop"
    reqs = fakes.bedrock_converse_requests()
    assert len(reqs) == 1
    assert reqs[0].unquoted_path == f"/model/{HAIKU_ID}/converse-stream"


def test_completion_stream_with_usage(gateway):
    user_text = "usage through litellm"
    stream = litellm.completion(
        model="litellm_proxy/claude-haiku",
        messages=[{"role": "user", "content": user_text}],
        stream=True,
        stream_options={"include_usage": True},
        **call_kwargs(gateway),
    )
    chunks = list(stream)
    usages = [getattr(c, "usage", None) for c in chunks]
    usages = [u for u in usages if u is not None and u.total_tokens]
    assert usages, "no usage chunk reached the litellm SDK"
    assert usages[-1].prompt_tokens == word_count(user_text)
    assert usages[-1].completion_tokens == word_count(expected_greeting("claude-haiku", user_text))


@pytest.mark.parametrize("alias", ["claude-haiku", "gpt-4o-mini"])
def test_tool_round_trip(gateway, fakes, alias):
    user_text = "What is the weather in Paris?"
    messages = [{"role": "user", "content": user_text}]
    step1 = litellm.completion(
        model=f"litellm_proxy/{alias}", messages=messages, tools=[WEATHER_TOOL], **call_kwargs(gateway)
    )
    choice = step1.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls and len(calls) == 1
    assert calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments) == {"city": "Paris"}

    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": calls[0].id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": calls[0].function.arguments},
                }
            ],
        }
    )
    messages.append({"role": "tool", "tool_call_id": calls[0].id, "content": TOOL_OUTPUT})
    step2 = litellm.completion(
        model=f"litellm_proxy/{alias}", messages=messages, tools=[WEATHER_TOOL], **call_kwargs(gateway)
    )
    assert step2.choices[0].message.content == f"The tool said: {TOOL_OUTPUT}"
    assert step2.choices[0].finish_reason == "stop"

    if alias == "claude-haiku":
        reqs = fakes.bedrock_converse_requests()
        assert len(reqs) == 2
        assert reqs[0].body.get("toolConfig")
        last_user = reqs[1].body["messages"][-1]
        results = [b["toolResult"] for b in last_user["content"] if "toolResult" in b]
        assert len(results) == 1
        assert [c.get("text") for c in results[0]["content"]] == [TOOL_OUTPUT]
    else:
        reqs = fakes.openai_chat_requests()
        assert len(reqs) == 2
        assert reqs[1].body["messages"][-1] == {"role": "tool", "tool_call_id": calls[0].id, "content": TOOL_OUTPUT}


def test_completion_gpt_4o_mini(gateway, fakes):
    user_text = "pass me through"
    resp = litellm.completion(
        model="litellm_proxy/gpt-4o-mini",
        messages=[{"role": "user", "content": user_text}],
        **call_kwargs(gateway),
    )
    assert resp.choices[0].message.content == expected_greeting("gpt-4o-mini", user_text)
    reqs = fakes.openai_chat_requests()
    assert len(reqs) == 1
    assert reqs[0].body["model"] == "gpt-4o-mini"
    assert reqs[0].body["messages"] == [{"role": "user", "content": user_text}]


def test_acompletion(gateway):
    user_text = "async hello"

    async def go():
        return await litellm.acompletion(
            model="litellm_proxy/claude-haiku",
            messages=[{"role": "user", "content": user_text}],
            **call_kwargs(gateway),
        )

    resp = asyncio.run(go())
    assert resp.choices[0].message.content == expected_greeting("claude-haiku", user_text)


def test_acompletion_stream(gateway):
    user_text = "async streaming hello"

    async def go():
        stream = await litellm.acompletion(
            model="litellm_proxy/gpt-4o-mini",
            messages=[{"role": "user", "content": user_text}],
            stream=True,
            **call_kwargs(gateway),
        )
        out = []
        async for chunk in stream:
            for ch in chunk.choices:
                if ch.delta and ch.delta.content:
                    out.append(ch.delta.content)
        return "".join(out)

    assert asyncio.run(go()) == expected_greeting("gpt-4o-mini", user_text)


def test_bad_key_is_authentication_error(gateway):
    with pytest.raises(litellm.AuthenticationError) as ei:
        litellm.completion(
            model="litellm_proxy/claude-haiku",
            messages=[{"role": "user", "content": "hi"}],
            **call_kwargs(gateway, key="sk-definitely-wrong-key"),
        )
    assert ei.value.status_code == 401


def test_unknown_model_is_bad_request(gateway):
    with pytest.raises(litellm.BadRequestError) as ei:
        litellm.completion(
            model="litellm_proxy/no-such-model",
            messages=[{"role": "user", "content": "hi"}],
            **call_kwargs(gateway),
        )
    assert ei.value.status_code == 400
    assert "Invalid model name passed in model=no-such-model" in str(ei.value)


def test_throttling_is_rate_limit_error(gateway):
    with pytest.raises(litellm.RateLimitError) as ei:
        litellm.completion(
            model="litellm_proxy/openai-throttled",
            messages=[{"role": "user", "content": "hi"}],
            max_retries=0,
            **call_kwargs(gateway),
        )
    assert ei.value.status_code == 429
