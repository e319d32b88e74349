"""The official ``openai`` Python SDK against the Switchboard gateway.

Every chat behaviour is exercised for both a Bedrock-backed alias
(``claude-haiku``: OpenAI -> Bedrock Converse translation) and an
OpenAI-backed alias (``gpt-4o-mini``: pass-through).
"""

from __future__ import annotations

import base64
import copy
import json
import uuid

import httpx
import openai
import pytest
from openai import OpenAI

from conftest import (
    ALIASES,
    CLIENT_TIMEOUT_S,
    HAIKU_ID,
    MASTER_KEY,
    SONNET_ID,
    TINY_PNG,
    TINY_PNG_DATA_URL,
    UPSTREAM_KEY,
    WEATHER_TOOL,
    expected_greeting,
    word_count,
)

CHAT_ALIASES = ["claude-haiku", "gpt-4o-mini"]
TOOL_OUTPUT = "Sunny, 22 degrees Celsius"


def make_client(base: str, key: str = MASTER_KEY, max_retries: int = 0) -> OpenAI:
    return OpenAI(base_url=base, api_key=key, max_retries=max_retries, timeout=CLIENT_TIMEOUT_S)


@pytest.fixture(scope="module")
def client(gateway):
    c = make_client(gateway.v1)
    yield c
    c.close()


def upstream_chat_requests(fakes, alias):
    """What the gateway sent upstream for ``alias`` (converse calls or OpenAI chat calls)."""
    if alias in ("claude-haiku", "claude-sonnet"):
        return fakes.bedrock_converse_requests()
    return fakes.openai_chat_requests()


def assert_upstream_target(req, alias, *, stream: bool):
    """The upstream request went to the right upstream model with the right credentials."""
    if alias in ("claude-haiku", "claude-sonnet"):
        model_id = HAIKU_ID if alias == "claude-haiku" else SONNET_ID
        op = "converse-stream" if stream else "converse"
        assert req.unquoted_path == f"/model/{model_id}/{op}", req.path
        auth = req.header("authorization") or ""
        assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/"), auth
        assert "/us-east-1/bedrock/aws4_request" in auth, auth
    else:
        assert req.body["model"] == "gpt-4o-mini"
        assert req.header("authorization") == f"Bearer {UPSTREAM_KEY}"
        assert bool(req.body.get("stream")) is stream
        if stream:
            # LiteLLM always asks the upstream for usage on streams (needed for cost tracking)
            assert (req.body.get("stream_options") or {}).get("include_usage") is True, req.body


def bedrock_blocks(message: dict, kind: str) -> list[dict]:
    return [b[kind] for b in message.get("content", []) if isinstance(b, dict) and kind in b]


def collect_stream(stream):
    """Consume an SDK stream; return (chunks, joined text, finish reasons, tool calls by index)."""
    chunks = list(stream)
    text = []
    finish = []
    calls: dict[int, dict] = {}
    for ch in chunks:
        for choice in ch.choices:
            d = choice.delta
            if d is not None and d.content:
                text.append(d.content)
            if d is not None and d.tool_calls:
                for tc in d.tool_calls:
                    slot = calls.setdefault(tc.index, {"id": None, "type": None, "name": "", "arguments": ""})
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.type:
                        slot["type"] = tc.type
                    if tc.function is not None:
                        if tc.function.name:
                            slot["name"] += tc.function.name
                        if tc.function.arguments:
                            slot["arguments"] += tc.function.arguments
            if choice.finish_reason:
                finish.append(choice.finish_reason)
    return chunks, "".join(text), finish, calls


# --------------------------------------------------------------------------------------
# non-streaming
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_chat_non_streaming(client, fakes, alias):
    user_text = "hi there friend"
    raw = client.chat.completions.with_raw_response.create(
        model=alias, messages=[{"role": "user", "content": user_text}]
    )
    assert raw.status_code == 200
    call_id = raw.headers.get("x-litellm-call-id")
    assert call_id, dict(raw.headers)
    uuid.UUID(call_id)  # LiteLLM call ids are UUIDs
    assert raw.headers.get("x-litellm-model-id"), dict(raw.headers)

    resp = raw.parse()
    assert resp.object == "chat.completion"
    assert resp.model == alias
    assert resp.id
    assert len(resp.choices) == 1
    choice = resp.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    expected = expected_greeting(alias, user_text)
    assert choice.message.content == expected
    assert not choice.message.tool_calls

    assert resp.usage is not None
    assert resp.usage.prompt_tokens == word_count(user_text)
    assert resp.usage.completion_tokens == word_count(expected)
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens

    reqs = upstream_chat_requests(fakes, alias)
    assert len(reqs) == 1, [r.path for r in reqs]
    assert_upstream_target(reqs[0], alias, stream=False)


def test_call_ids_are_unique_and_model_ids_distinguish_deployments(client):
    a = client.chat.completions.with_raw_response.create(model="claude-haiku", messages=[{"role": "user", "content": "one"}])
    b = client.chat.completions.with_raw_response.create(model="claude-haiku", messages=[{"role": "user", "content": "two"}])
    c = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "three"}])
    assert a.headers["x-litellm-call-id"] != b.headers["x-litellm-call-id"]
    assert a.headers["x-litellm-model-id"] == b.headers["x-litellm-model-id"]
    assert a.headers["x-litellm-model-id"] != c.headers["x-litellm-model-id"]


# --------------------------------------------------------------------------------------
# streaming
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_chat_streaming_without_usage(client, fakes, alias):
    user_text = "stream me something nice"
    stream = client.chat.completions.create(
        model=alias, messages=[{"role": "user", "content": user_text}], stream=True
    )
    chunks, text, finish, calls = collect_stream(stream)
    assert chunks, "no chunks"
    assert text == expected_greeting(alias, user_text)
    assert finish == ["stop"]
    assert not calls
    for ch in chunks:
        assert ch.object == "chat.completion.chunk"
        assert ch.model == alias
    # The client did not ask for usage: no chunk may carry it.
    assert all(ch.usage is None for ch in chunks), [ch.usage for ch in chunks if ch.usage]

    reqs = upstream_chat_requests(fakes, alias)
    assert len(reqs) == 1
    assert_upstream_target(reqs[0], alias, stream=True)


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_chat_streaming_with_usage(client, fakes, alias):
    user_text = "count my words please"
    stream = client.chat.completions.create(
        model=alias,
        messages=[{"role": "user", "content": user_text}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks, text, finish, calls = collect_stream(stream)
    expected = expected_greeting(alias, user_text)
    assert text == expected
    assert finish == ["stop"]
    usage_chunks = [i for i, ch in enumerate(chunks) if ch.usage is not None]
    assert len(usage_chunks) == 1, f"expected exactly one usage chunk, got {len(usage_chunks)}"
    idx = usage_chunks[0]
    finish_idx = max(i for i, ch in enumerate(chunks) if any(c.finish_reason for c in ch.choices))
    assert idx >= finish_idx, "usage chunk must come after the finish_reason chunk"
    usage = chunks[idx].usage
    assert usage.prompt_tokens == word_count(user_text)
    assert usage.completion_tokens == word_count(expected)
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    # the usage chunk carries no text
    assert all(not (c.delta and c.delta.content) for c in chunks[idx].choices)

    reqs = upstream_chat_requests(fakes, alias)
    assert len(reqs) == 1
    assert_upstream_target(reqs[0], alias, stream=True)


@pytest.mark.parametrize("alias", CHAT_ALIASES)
@pytest.mark.parametrize("include_usage", [False, True], ids=["no-usage", "usage"])
def test_raw_sse_wire_format(gateway, alias, include_usage):
    """The raw SSE stream: data: frames, each a JSON chunk, terminated by data: [DONE]."""
    body = {"model": alias, "messages": [{"role": "user", "content": "raw wire check"}], "stream": True}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    with httpx.Client(timeout=CLIENT_TIMEOUT_S) as h:
        with h.stream(
            "POST",
            f"{gateway.url}/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
        ) as r:
            assert r.status_code == 200, r.read()
            assert r.headers["content-type"].startswith("text/event-stream"), r.headers
            payload = r.read().decode()
    data_lines = [ln[len("data:"):].strip() for ln in payload.splitlines() if ln.startswith("data:")]
    other = [ln for ln in payload.splitlines() if ln.strip() and not ln.startswith("data:") and not ln.startswith(":")]
    assert not other, f"unexpected non-data SSE lines: {other[:5]}"
    assert data_lines, payload
    assert data_lines[-1] == "[DONE]", data_lines[-3:]
    assert data_lines.count("[DONE]") == 1
    chunks = [json.loads(d) for d in data_lines[:-1]]
    assert chunks
    for ch in chunks:
        assert ch["object"] == "chat.completion.chunk"
        assert ch["model"] == alias
        assert ch["id"]
    assert any(c.get("finish_reason") == "stop" for ch in chunks for c in ch.get("choices", []))
    with_usage = [ch for ch in chunks if ch.get("usage")]
    assert len(with_usage) == (1 if include_usage else 0)
    text = "".join((c.get("delta") or {}).get("content") or "" for ch in chunks for c in ch.get("choices", []))
    assert text == expected_greeting(alias, "raw wire check")


# --------------------------------------------------------------------------------------
# tools
# --------------------------------------------------------------------------------------


def _tool_turns(user_text, call_id, arguments):
    return [
        {"role": "user", "content": user_text},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": TOOL_OUTPUT},
    ]


def assert_upstream_tool_round_trip(fakes, alias, call_id, *, stream: bool):
    reqs = upstream_chat_requests(fakes, alias)
    assert len(reqs) == 2, [r.path for r in reqs]
    first, second = reqs[0].body, reqs[1].body
    for r in reqs:
        assert_upstream_target(r, alias, stream=stream)
    if alias in ("claude-haiku", "claude-sonnet"):
        # step 1: the tool definition became a Bedrock toolConfig
        specs = [t["toolSpec"] for t in first["toolConfig"]["tools"]]
        assert [s["name"] for s in specs] == ["get_weather"]
        schema = specs[0]["inputSchema"]["json"]
        assert schema["properties"]["city"]["type"] == "string"
        # step 2: toolConfig is still present (Bedrock requires it when toolUse blocks are in history)
        assert second.get("toolConfig"), "second Bedrock request lost toolConfig"
        msgs = second["messages"]
        assert [m["role"] for m in msgs] == ["user", "assistant", "user"], msgs
        uses = bedrock_blocks(msgs[1], "toolUse")
        assert len(uses) == 1, msgs[1]
        assert uses[0]["name"] == "get_weather"
        assert uses[0]["input"] == {"city": "Paris"}
        results = bedrock_blocks(msgs[2], "toolResult")
        assert len(results) == 1, msgs[2]
        assert results[0]["toolUseId"] == uses[0]["toolUseId"]
        result_texts = [c.get("text") for c in results[0]["content"]]
        assert result_texts == [TOOL_OUTPUT], results[0]
    else:
        assert [t["function"]["name"] for t in first["tools"]] == ["get_weather"]
        msgs = second["messages"]
        assert [m["role"] for m in msgs] == ["user", "assistant", "tool"], msgs
        assert msgs[1]["tool_calls"][0]["id"] == call_id
        assert msgs[1]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert json.loads(msgs[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
        assert msgs[2]["tool_call_id"] == call_id
        assert msgs[2]["content"] == TOOL_OUTPUT


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_tool_round_trip(client, fakes, alias):
    user_text = "What is the weather in Paris?"
    step1 = client.chat.completions.create(
        model=alias, messages=[{"role": "user", "content": user_text}], tools=[WEATHER_TOOL]
    )
    assert step1.model == alias
    choice = step1.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.role == "assistant"
    calls = choice.message.tool_calls
    assert calls and len(calls) == 1, choice.message
    call = calls[0]
    assert call.id
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}

    step2 = client.chat.completions.create(
        model=alias, messages=_tool_turns(user_text, call.id, call.function.arguments), tools=[WEATHER_TOOL]
    )
    assert step2.model == alias
    assert step2.choices[0].finish_reason == "stop"
    assert step2.choices[0].message.content == f"The tool said: {TOOL_OUTPUT}"
    assert not step2.choices[0].message.tool_calls

    assert_upstream_tool_round_trip(fakes, alias, call.id, stream=False)


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_tool_round_trip_streaming(client, fakes, alias):
    user_text = "What is the weather in Paris?"
    stream = client.chat.completions.create(
        model=alias,
        messages=[{"role": "user", "content": user_text}],
        tools=[WEATHER_TOOL],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks, text, finish, calls = collect_stream(stream)
    assert finish == ["tool_calls"]
    assert list(calls) == [0], calls
    call = calls[0]
    assert call["id"], call
    assert call["type"] == "function"
    assert call["name"] == "get_weather"
    assert json.loads(call["arguments"]) == {"city": "Paris"}
    assert sum(1 for ch in chunks if ch.usage is not None) == 1

    stream2 = client.chat.completions.create(
        model=alias,
        messages=_tool_turns(user_text, call["id"], call["arguments"]),
        tools=[WEATHER_TOOL],
        stream=True,
    )
    _, text2, finish2, calls2 = collect_stream(stream2)
    assert text2 == f"The tool said: {TOOL_OUTPUT}"
    assert finish2 == ["stop"]
    assert not calls2

    assert_upstream_tool_round_trip(fakes, alias, call["id"], stream=True)


# --------------------------------------------------------------------------------------
# message shapes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_system_prompt_and_content_part_array(client, fakes, alias):
    system = "You are a terse assistant."
    part = "tell me a joke"
    resp = client.chat.completions.create(
        model=alias,
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": [{"type": "text", "text": part}]},
        ],
    )
    assert resp.choices[0].message.content == expected_greeting(alias, part)
    reqs = upstream_chat_requests(fakes, alias)
    assert len(reqs) == 1
    body = reqs[0].body
    if alias.startswith("claude"):
        assert body["system"] == [{"text": system}]
        assert [m["role"] for m in body["messages"]] == ["user"]
        assert bedrock_blocks(body["messages"][0], "text") == [part]
    else:
        assert body["messages"][0] == {"role": "system", "content": system}
        assert body["messages"][1]["role"] == "user"


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_multi_part_user_message(client, fakes, alias):
    resp = client.chat.completions.create(
        model=alias,
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "first part"}, {"type": "text", "text": "second part"}],
            }
        ],
    )
    content = resp.choices[0].message.content
    assert content.startswith(f"Hello from {'fake-bedrock' if alias.startswith('claude') else 'fake-openai'}! You said: ")
    assert "first part" in content and "second part" in content
    if alias.startswith("claude"):
        body = upstream_chat_requests(fakes, alias)[0].body
        assert bedrock_blocks(body["messages"][0], "text") == ["first part", "second part"]


def test_image_data_url_to_bedrock(client, fakes):
    resp = client.chat.completions.create(
        model="claude-haiku",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": TINY_PNG_DATA_URL}},
                ],
            }
        ],
    )
    content = resp.choices[0].message.content
    assert f"[image: png, {len(TINY_PNG)} bytes]" in content, content
    reqs = fakes.bedrock_converse_requests()
    assert len(reqs) == 1
    images = bedrock_blocks(reqs[0].body["messages"][0], "image")
    assert len(images) == 1, reqs[0].body
    assert images[0]["format"] == "png"
    assert base64.b64decode(images[0]["source"]["bytes"]) == TINY_PNG


def test_model_switch_within_conversation(client, fakes):
    messages = [{"role": "user", "content": "hello haiku"}]
    r1 = client.chat.completions.with_raw_response.create(model="claude-haiku", messages=messages)
    first = r1.parse()
    assert first.model == "claude-haiku"
    assert first.choices[0].message.content == "Hello from fake-bedrock! You said: hello haiku"
    messages += [
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "now sonnet please"},
    ]
    r2 = client.chat.completions.with_raw_response.create(model="claude-sonnet", messages=copy.deepcopy(messages))
    second = r2.parse()
    assert second.model == "claude-sonnet"
    assert second.choices[0].message.content == "Hello from fake-bedrock! You said: now sonnet please"
    assert r1.headers["x-litellm-model-id"] != r2.headers["x-litellm-model-id"]

    reqs = fakes.bedrock_converse_requests()
    assert len(reqs) == 2
    assert_upstream_target(reqs[0], "claude-haiku", stream=False)
    assert_upstream_target(reqs[1], "claude-sonnet", stream=False)
    assert [m["role"] for m in reqs[1].body["messages"]] == ["user", "assistant", "user"]


# --------------------------------------------------------------------------------------
# base URLs and models
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/v1"], ids=["root", "v1"])
@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_both_base_urls(gateway, alias, suffix):
    c = make_client(gateway.url + suffix)
    try:
        resp = c.chat.completions.create(model=alias, messages=[{"role": "user", "content": "base url check"}])
        assert resp.choices[0].message.content == expected_greeting(alias, "base url check")
        stream = c.chat.completions.create(
            model=alias, messages=[{"role": "user", "content": "base url stream"}], stream=True
        )
        _, text, finish, _ = collect_stream(stream)
        assert text == expected_greeting(alias, "base url stream")
        assert finish == ["stop"]
    finally:
        c.close()


@pytest.mark.parametrize("suffix", ["", "/v1"], ids=["root", "v1"])
def test_models_list(gateway, suffix):
    c = make_client(gateway.url + suffix)
    try:
        models = list(c.models.list())
    finally:
        c.close()
    assert sorted(m.id for m in models) == sorted(ALIASES)
    for m in models:
        assert m.object == "model"


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("alias", CHAT_ALIASES)
def test_wrong_key_is_authentication_error(gateway, alias):
    c = make_client(gateway.v1, key="sk-this-is-not-the-master-key")
    with pytest.raises(openai.AuthenticationError) as ei:
        c.chat.completions.create(model=alias, messages=[{"role": "user", "content": "hi"}])
    assert ei.value.status_code == 401
    assert ei.value.type == "auth_error", ei.value.body
    assert ei.value.code == "401"


def test_wrong_key_streaming_is_authentication_error(gateway):
    c = make_client(gateway.v1, key="sk-this-is-not-the-master-key")
    with pytest.raises(openai.AuthenticationError) as ei:
        c.chat.completions.create(model="claude-haiku", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert ei.value.status_code == 401
    assert ei.value.type == "auth_error"


def test_wrong_key_models_list_is_authentication_error(gateway):
    c = make_client(gateway.v1, key="sk-this-is-not-the-master-key")
    with pytest.raises(openai.AuthenticationError) as ei:
        list(c.models.list())
    assert ei.value.status_code == 401
    assert ei.value.type == "auth_error"


def test_missing_model_is_bad_request(client):
    with pytest.raises(openai.BadRequestError) as ei:
        client.post(
            "/chat/completions",
            cast_to=dict,
            body={"messages": [{"role": "user", "content": "no model here"}]},
        )
    assert ei.value.status_code == 400
    assert isinstance(ei.value.body, dict) and ei.value.body.get("message"), ei.value.body


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_unknown_model_is_bad_request_listing_aliases(client, fakes, stream):
    with pytest.raises(openai.BadRequestError) as ei:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "hi"}], stream=stream
        )
    assert ei.value.status_code == 400
    body = ei.value.body
    assert isinstance(body, dict), body
    message = body["message"]
    assert "Invalid model name passed in model=no-such-model" in message, message
    missing = [a for a in ALIASES if a not in message]
    assert not missing, f"aliases not listed in the error message: {missing}; message: {message}"
    assert ei.value.code == "400"
    # nothing reached an upstream
    assert fakes.openai_chat_requests() == []
    assert fakes.bedrock_converse_requests() == []


@pytest.mark.parametrize("alias", ["openai-throttled", "bedrock-throttled"])
@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_upstream_throttling_is_rate_limit_error(gateway, alias, stream):
    c = make_client(gateway.v1, max_retries=0)
    try:
        with pytest.raises(openai.RateLimitError) as ei:
            resp = c.chat.completions.create(
                model=alias, messages=[{"role": "user", "content": "please throttle"}], stream=stream
            )
            if stream:  # an error must not arrive as a 200 stream; drain in case it did
                list(resp)
    finally:
        c.close()
    assert ei.value.status_code == 429


@pytest.mark.parametrize("alias", ["openai-throttled", "bedrock-throttled"])
def test_upstream_throttling_error_type_matches_litellm(gateway, alias):
    """LiteLLM 1.108.7 reports upstream 429s with type ``throttling_error`` and code "429"."""
    c = make_client(gateway.v1, max_retries=0)
    try:
        with pytest.raises(openai.RateLimitError) as ei:
            c.chat.completions.create(model=alias, messages=[{"role": "user", "content": "please throttle"}])
    finally:
        c.close()
    assert ei.value.type == "throttling_error", ei.value.body
    assert ei.value.code == "429"


# --------------------------------------------------------------------------------------
# LiteLLM's request parameters, sent the way SDK users send them (``extra_body``)
# --------------------------------------------------------------------------------------


def test_mock_response_through_extra_body_answers_without_the_upstream(client, fakes):
    before = len(fakes.openai_chat_requests())
    resp = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "anything"}],
        extra_body={"mock_response": "mocked by the gateway", "metadata": {"suite": "clients"}},
    )
    assert resp.choices[0].message.content == "mocked by the gateway"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (10, 20)
    assert len(fakes.openai_chat_requests()) == before, "a mock never reaches the upstream"


def test_request_fallbacks_through_extra_body(client, fakes):
    """A throttled group hands the call to the request's fallback; nothing LiteLLM-only goes upstream."""
    raw = client.chat.completions.with_raw_response.create(
        model="openai-throttled",
        messages=[{"role": "user", "content": "fall back please"}],
        extra_body={"fallbacks": ["gpt-4o-mini"], "num_retries": 0, "tags": ["clients"]},
    )
    resp = raw.parse()
    assert resp.model == "gpt-4o-mini"
    assert raw.headers["x-litellm-attempted-fallbacks"] == "1"
    sent = [r.body for r in fakes.openai_chat_requests()[-2:]]
    assert [b["model"] for b in sent] == ["fake-429", "gpt-4o-mini"]
    for body in sent:
        assert not {"fallbacks", "num_retries", "tags"} & set(body), body
