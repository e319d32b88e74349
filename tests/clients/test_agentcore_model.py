"""The ``openai`` SDK talking to an AgentCore harness through the gateway.

A harness is wired to the gateway (``/agentcore/wire``: its LiteLLM model source calls the
gateway's ``claude-haiku`` with a key its credential provider holds), then served as the model
``desk-harness`` with LiteLLM's route ``bedrock/agentcore/<harness ARN>``. A conversation keeps
one runtime session across turns, streamed or not.
"""

from __future__ import annotations

import time

import httpx
import pytest
from openai import OpenAI

from conftest import CLIENT_TIMEOUT_S, MASTER_KEY, expected_greeting

ROLE = "arn:aws:iam::123456789012:role/AgentCoreHarnessRole"
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"


@pytest.fixture(scope="module")
def harness_key(gateway, fakes):
    """A key for ``desk-harness``, a model served by a freshly wired harness; both are removed
    afterwards, for the other modules' model and key lists."""
    admin = {"Authorization": f"Bearer {MASTER_KEY}"}
    with httpx.Client(base_url=gateway.url, headers=admin, timeout=CLIENT_TIMEOUT_S) as c:
        wired = c.post(
            "/agentcore/wire",
            json={"harness_name": "sdk_harness", "execution_role_arn": ROLE, "model": "claude-haiku", "force": True},
        ).json()
        assert wired["ok"], wired
        arn = wired["harness"]["arn"]
        added = c.post(
            "/model/new",
            json={
                "model_name": "desk-harness",
                "litellm_params": {
                    "model": f"bedrock/agentcore/{arn}",
                    "aws_bedrock_runtime_endpoint": fakes.agentcore_runtime_url,
                    "input_cost_per_token": 0.000001,
                    "output_cost_per_token": 0.000002,
                },
            },
        )
        assert added.status_code == 200, added.text
        key = c.post("/key/generate", json={"models": ["desk-harness"], "key_alias": "sdk-harness-caller"})
        assert key.status_code == 200, key.text
        yield key.json()["key"]
        assert c.post("/key/delete", json={"keys": [key.json()["key"]]}).status_code == 200
        assert c.post("/model/delete", json={"id": added.json()["model_id"]}).status_code == 200


def invocations(fakes) -> list[tuple[str, list[str]]]:
    """InvokeHarness calls the fake received: (session id, texts of the messages sent)."""
    out = []
    for r in fakes.requests("agentcore_runtime"):
        if r.method == "POST" and r.path.startswith("/harnesses/invoke"):
            texts = [m["content"][0]["text"] for m in r.json["messages"]]
            out.append((r.header(SESSION_HEADER), texts))
    return out


def test_openai_sdk_keeps_a_harness_conversation_in_one_session(gateway, fakes, harness_key):
    client = OpenAI(base_url=gateway.v1, api_key=harness_key, max_retries=0, timeout=CLIENT_TIMEOUT_S)
    before = len(invocations(fakes))

    first = client.chat.completions.create(
        model="desk-harness", messages=[{"role": "user", "content": "My name is Ada"}]
    )
    said = first.choices[0].message.content
    assert said == expected_greeting("claude-haiku", "My name is Ada")
    assert first.model == "desk-harness"
    assert first.choices[0].finish_reason == "stop"
    assert first.usage.prompt_tokens > 0 and first.usage.completion_tokens > 0

    stream = client.chat.completions.create(
        model="desk-harness",
        messages=[
            {"role": "user", "content": "My name is Ada"},
            {"role": "assistant", "content": said},
            {"role": "user", "content": "What is my name?"},
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected_greeting("claude-haiku", "What is my name?")
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0

    calls = invocations(fakes)[before:]
    assert len(calls) == 2, calls
    (first_session, first_sent), (second_session, second_sent) = calls
    assert first_session == second_session, "the conversation stays in one runtime session"
    assert first_sent == ["My name is Ada"]
    assert second_sent == ["What is my name?"], "the session already holds the first turn"

    # A new conversation starts a new session.
    client.chat.completions.create(model="desk-harness", messages=[{"role": "user", "content": "Hi again"}])
    assert invocations(fakes)[-1][0] != first_session


def test_harness_turns_are_charged_to_the_calling_key(gateway, harness_key):
    client = OpenAI(base_url=gateway.v1, api_key=harness_key, max_retries=0, timeout=CLIENT_TIMEOUT_S)
    answer = client.chat.completions.create(model="desk-harness", messages=[{"role": "user", "content": "Count me"}])
    expected = answer.usage.prompt_tokens * 0.000001 + answer.usage.completion_tokens * 0.000002
    admin = {"Authorization": f"Bearer {MASTER_KEY}"}
    deadline = time.monotonic() + 10
    row = None
    while time.monotonic() < deadline and row is None:
        logs = httpx.get(f"{gateway.url}/spend/logs", params={"request_id": answer.id}, headers=admin).json()
        row = logs[0] if len(logs) == 1 else None
        if row is None:
            time.sleep(0.05)
    assert row is not None, f"no spend row for {answer.id}"
    assert row["model_group"] == "desk-harness"
    assert row["key_alias"] == "sdk-harness-caller"
    assert abs(row["spend"] - expected) < 1e-12, (row["spend"], expected)
