"""The official ``anthropic`` Python SDK against the gateway's ``/v1/messages``.

A virtual key in ``x-api-key`` (what ``Anthropic(api_key=...)`` sends), on a Bedrock alias (Claude
through Converse, as the seed runs it), on an OpenAI-compatible alias (translated to chat
completions) and on an ``anthropic/`` alias (forwarded as sent).
"""

from __future__ import annotations

import uuid

import anthropic
import pytest

from conftest import MASTER_KEY, expected_greeting, word_count

ALIASES = ["claude-haiku", "gpt-4o-mini", "claude-direct"]
BASH = {
    "name": "Bash",
    "description": "Runs a shell command.",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
}


def admin(http, path: str, body: dict) -> dict:
    r = http.post(path, json=body, headers={"Authorization": f"Bearer {MASTER_KEY}"})
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
    return r.json()


@pytest.fixture(scope="module")
def key(gateway, http) -> str:
    return admin(http, "/key/generate", {"key_alias": f"anthropic-sdk-{uuid.uuid4().hex[:8]}"})["key"]


def client(gateway, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0, timeout=30)


@pytest.mark.parametrize("alias", ALIASES)
def test_messages_create(gateway, key, alias):
    message = client(gateway, key).messages.create(
        model=alias, max_tokens=100, system="Be brief.", messages=[{"role": "user", "content": "hello sdk"}]
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.model == alias
    assert message.id.startswith("msg_")
    assert message.content[0].type == "text"
    assert message.content[0].text == expected_greeting(alias, "hello sdk")
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens == word_count(message.content[0].text)


@pytest.mark.parametrize("alias", ALIASES)
def test_messages_stream(gateway, key, alias):
    with client(gateway, key).messages.stream(
        model=alias, max_tokens=100, messages=[{"role": "user", "content": "stream please"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == expected_greeting(alias, "stream please")
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == word_count(text)


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("stream", [False, True])
def test_tool_round_trip(gateway, fakes, key, alias, stream):
    sdk = client(gateway, key)
    question = {"role": "user", "content": "Please use the Bash tool to run `ls -la` for me."}

    def ask(messages):
        if stream:
            with sdk.messages.stream(model=alias, max_tokens=200, tools=[BASH], messages=messages) as s:
                return s.get_final_message()
        return sdk.messages.create(model=alias, max_tokens=200, tools=[BASH], messages=messages)

    first = ask([question])
    assert first.stop_reason == "tool_use"
    tool_use = next(block for block in first.content if block.type == "tool_use")
    assert tool_use.name == "Bash"
    assert tool_use.input == {"command": "ls -la"}

    result = {"type": "tool_result", "tool_use_id": tool_use.id, "content": "README.md src"}
    second = ask([question, {"role": "assistant", "content": first.content}, {"role": "user", "content": [result]}])
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "The tool said: README.md src"
    if alias == "claude-haiku":
        converse = fakes.bedrock_converse_requests()[-1].json
        assert converse["messages"][-1]["content"][0]["toolResult"]["toolUseId"] == tool_use.id
    elif alias == "claude-direct":
        sent = fakes.anthropic_requests()[-1].json
        assert sent["model"] == "claude-haiku-4-5"
        assert sent["messages"][-1]["content"] == [result], "the SDK's blocks reach Anthropic as sent"
    else:
        chat = fakes.openai_chat_requests()[-1].json
        assert chat["messages"][-1] == {"role": "tool", "tool_call_id": tool_use.id, "content": "README.md src"}


def test_thinking_with_prompt_caching_on_bedrock(gateway, key):
    sdk = client(gateway, key)
    system = [{"type": "text", "text": "You are a helpful assistant who reads repositories closely and carefully.",
               "cache_control": {"type": "ephemeral"}}]
    kwargs = dict(model="claude-haiku", max_tokens=2048, system=system, thinking={"type": "enabled", "budget_tokens": 1024},
                  messages=[{"role": "user", "content": "think first"}])
    first = sdk.messages.create(**kwargs)
    assert first.content[0].type == "thinking"
    assert first.content[0].thinking == "Thinking about: think first"
    assert first.content[0].signature
    assert first.usage.cache_creation_input_tokens > 0
    again = sdk.messages.create(**kwargs)
    assert again.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens


def test_count_tokens(gateway, key):
    sdk = client(gateway, key)
    counted = sdk.messages.count_tokens(model="claude-haiku", system="one two", messages=[{"role": "user", "content": "three four five"}])
    assert counted.input_tokens == 5
    estimated = sdk.messages.count_tokens(model="gpt-4o-mini", messages=[{"role": "user", "content": "three four five"}])
    assert estimated.input_tokens > 0
    upstream = sdk.messages.count_tokens(model="claude-direct", system="one two", messages=[{"role": "user", "content": "three four five"}])
    assert upstream.input_tokens == 5, "counted by Anthropic's count_tokens"


def test_errors_are_the_sdks_exceptions(gateway, http):
    with pytest.raises(anthropic.AuthenticationError):
        client(gateway, "sk-not-a-key").messages.create(
            model="claude-haiku", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    spent = admin(http, "/key/generate", {"max_budget": 0})["key"]
    with pytest.raises(anthropic.BadRequestError) as refused:
        client(gateway, spent).messages.create(model="claude-haiku", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert "budget" in str(refused.value).lower()
    limited = admin(http, "/key/generate", {"rpm_limit": 1})["key"]
    client(gateway, limited).messages.create(model="claude-haiku", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.RateLimitError):
        client(gateway, limited).messages.create(model="claude-haiku", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.BadRequestError) as unknown:
        client(gateway, MASTER_KEY).messages.create(model="no-such-model", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert "Invalid model name" in str(unknown.value)
