"""OpenAI's Responses API through the gateway: the ``openai`` SDK's ``client.responses`` (create,
stream, a function tool round trip, ``previous_response_id``, retrieve, delete) and the OpenAI
Agents SDK running an agent with one tool, on a Bedrock alias (Claude through Converse) and on an
OpenAI-compatible alias (translated to chat completions).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from conftest import CLIENT_TIMEOUT_S, MASTER_KEY, expected_greeting

ALIASES = ["claude-haiku", "gpt-4o-mini"]
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.fixture(scope="module")
def key(gateway, http) -> str:
    r = http.post(
        "/key/generate",
        json={"key_alias": f"responses-{uuid.uuid4().hex[:8]}"},
        headers={"Authorization": f"Bearer {MASTER_KEY}"},
    )
    assert r.status_code == 200, r.text
    return r.json()["key"]


def client(gateway, key: str) -> OpenAI:
    return OpenAI(base_url=gateway.v1, api_key=key, max_retries=0, timeout=CLIENT_TIMEOUT_S)


@pytest.mark.parametrize("alias", ALIASES)
def test_responses_create(gateway, key, alias):
    response = client(gateway, key).responses.create(model=alias, input="hello responses", instructions="Be brief.")
    assert response.object == "response"
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.model == alias
    assert response.output_text == expected_greeting(alias, "hello responses")
    message = response.output[0]
    assert message.type == "message" and message.role == "assistant" and message.id.startswith("msg_")
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.instructions == "Be brief."


@pytest.mark.parametrize("alias", ALIASES)
def test_responses_stream(gateway, key, alias):
    with client(gateway, key).responses.stream(model=alias, input="stream these words") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == expected_greeting(alias, "stream these words")
    assert final.output_text == "".join(deltas)
    assert final.status == "completed"
    assert final.usage.output_tokens > 0

    # The raw events too, as `stream=True` gives them: typed and numbered.
    events = list(client(gateway, key).responses.create(model=alias, input="raw events", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.output_text == expected_greeting(alias, "raw events")


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("stream", [False, True])
def test_function_tool_round_trip(gateway, fakes, key, alias, stream):
    sdk = client(gateway, key)
    question = {"role": "user", "content": "Please use the get_weather tool to run `Lisbon`"}

    def ask(input_items):
        if stream:
            with sdk.responses.stream(model=alias, input=input_items, tools=[WEATHER], store=False) as s:
                for _ in s:
                    pass
                return s.get_final_response()
        return sdk.responses.create(model=alias, input=input_items, tools=[WEATHER], store=False)

    first = ask([question])
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1, first.output
    call = calls[0]
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Lisbon"}

    second = ask(
        [question, *first.output, {"type": "function_call_output", "call_id": call.call_id, "output": "rainy, 14C"}]
    )
    assert second.output_text == "The tool said: rainy, 14C"


@pytest.mark.parametrize("alias", ALIASES)
def test_previous_response_id(gateway, fakes, key, alias):
    sdk = client(gateway, key)
    first = sdk.responses.create(model=alias, input="remember the word tangerine")
    second = sdk.responses.create(model=alias, input="what was the word?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert second.output_text == expected_greeting(alias, "what was the word?")
    # The upstream saw the whole conversation.
    if alias == "gpt-4o-mini":
        sent = fakes.openai_chat_requests()[-1].json["messages"]
        assert [m["role"] for m in sent] == ["user", "assistant", "user"]
        assert sent[1]["content"] == first.output_text
    else:
        sent = fakes.bedrock_converse_requests()[-1].json["messages"]
        assert [m["role"] for m in sent] == ["user", "assistant", "user"]
        assert sent[1]["content"][0]["text"] == first.output_text


def test_retrieve_and_delete(gateway, http, key):
    sdk = client(gateway, key)
    created = sdk.responses.create(model="gpt-4o-mini", input="keep this one")
    got = sdk.responses.retrieve(created.id)
    assert got.id == created.id and got.output_text == created.output_text
    items = sdk.responses.input_items.list(created.id)
    assert [i.content[0].text for i in items.data] == ["keep this one"]

    # Another key cannot see it.
    other = http.post("/key/generate", json={}, headers={"Authorization": f"Bearer {MASTER_KEY}"}).json()["key"]
    with pytest.raises(openai.NotFoundError):
        client(gateway, other).responses.retrieve(created.id)

    sdk.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError) as raised:
        sdk.responses.retrieve(created.id)
    assert created.id in str(raised.value)


def test_built_in_tools_are_refused(gateway, key):
    with pytest.raises(openai.BadRequestError) as raised:
        client(gateway, key).responses.create(model="gpt-4o-mini", input="search", tools=[{"type": "web_search"}])
    assert "tools[0].type" in str(raised.value)


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("streamed", [False, True])
def test_agents_sdk_runs_an_agent_with_one_tool(gateway, fakes, key, alias, streamed):
    from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

    # No internet: traces would go to OpenAI.
    set_tracing_disabled(True)
    ran: list[str] = []

    @function_tool
    def lookup_order(order_id: str) -> str:
        """Looks up the status of an order."""
        ran.append(order_id)
        return f"order {order_id} shipped on Monday"

    sdk = AsyncOpenAI(base_url=gateway.v1, api_key=key, max_retries=0, timeout=CLIENT_TIMEOUT_S)
    agent = Agent(
        name="Support",
        instructions="Answer questions about orders using the tool.",
        tools=[lookup_order],
        model=OpenAIResponsesModel(model=alias, openai_client=sdk),
    )
    prompt = "Please use the lookup_order tool to run `A-17`"
    if streamed:

        async def run():
            streaming = Runner.run_streamed(agent, prompt)
            async for _ in streaming.stream_events():
                pass
            return streaming

        result = asyncio.run(run())
    else:
        result = Runner.run_sync(agent, prompt)
    assert ran == ["A-17"]
    assert "order A-17 shipped on Monday" in result.final_output


def test_agents_sdk_continues_by_previous_response_id(gateway, fakes, key):
    from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

    set_tracing_disabled(True)

    @function_tool
    def lookup_order(order_id: str) -> str:
        """Looks up the status of an order."""
        return f"order {order_id} shipped on Monday"

    sdk = AsyncOpenAI(base_url=gateway.v1, api_key=key, max_retries=0, timeout=CLIENT_TIMEOUT_S)
    agent = Agent(
        name="Support",
        tools=[lookup_order],
        model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=sdk),
    )
    first = Runner.run_sync(agent, "Please use the lookup_order tool to run `B-2`")
    assert first.last_response_id and first.last_response_id.startswith("resp_")
    fakes.clear()
    # The next turn sends only the new input; the gateway rebuilds the rest from its store.
    Runner.run_sync(agent, "Please use the lookup_order tool to run `C-3`", previous_response_id=first.last_response_id)
    sent = fakes.openai_chat_requests()[0].json["messages"]
    texts = json.dumps(sent)
    assert "B-2" in texts and "order B-2 shipped on Monday" in texts and "C-3" in texts
