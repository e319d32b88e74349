"""Virtual keys from the admin API, used by real clients — the seed article's recipe.

A team for claude-sonnet and claude-haiku, a key for that team; the key calls its models with the
openai and litellm SDKs, and a LiteLLM user's error types come back for everything else.
"""

from __future__ import annotations

import uuid

import litellm
import openai
import pytest
from openai import OpenAI

from conftest import MASTER_KEY

HELLO = [{"role": "user", "content": "hello from a virtual key"}]


def admin(http, path: str, body: dict) -> dict:
    r = http.post(path, json=body, headers={"Authorization": f"Bearer {MASTER_KEY}"})
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
    return r.json()


@pytest.fixture(scope="module")
def team_key(gateway):
    import httpx

    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        team = admin(http, "/team/new", {"team_alias": f"agentcore-harness-{uuid.uuid4().hex[:8]}",
                                         "models": ["claude-sonnet", "claude-haiku"]})
        key = admin(http, "/key/generate", {"team_id": team["team_id"], "key_alias": f"harness-key-{uuid.uuid4().hex[:8]}"})
    assert key["key"].startswith("sk-")
    return key["key"]


def client(gateway, key: str) -> OpenAI:
    return OpenAI(base_url=gateway.url, api_key=key, max_retries=0, timeout=30)


def test_openai_sdk_with_team_key_calls_team_models(gateway, team_key):
    for alias in ("claude-haiku", "claude-sonnet"):
        raw = client(gateway, team_key).chat.completions.with_raw_response.create(model=alias, messages=HELLO)
        completion = raw.parse()
        assert completion.model == alias
        assert completion.choices[0].message.content.startswith("Hello from fake-bedrock!")
        assert float(raw.headers["x-litellm-response-cost"]) > 0


def test_openai_sdk_forbidden_alias_is_permission_denied(gateway, team_key):
    with pytest.raises(openai.PermissionDeniedError) as e:
        client(gateway, team_key).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert e.value.status_code == 403
    assert e.value.body["type"] == "team_model_access_denied"


def test_models_list_shows_only_what_the_key_may_call(gateway, team_key):
    ids = sorted(m.id for m in client(gateway, team_key).models.list())
    assert ids == ["claude-haiku", "claude-sonnet"]


def test_litellm_sdk_with_team_key(gateway, team_key):
    response = litellm.completion(model="litellm_proxy/claude-haiku", api_base=gateway.url, api_key=team_key, messages=HELLO)
    assert response.choices[0].message.content.startswith("Hello from fake-bedrock!")
    with pytest.raises(litellm.exceptions.APIError) as e:
        litellm.completion(model="litellm_proxy/gpt-4o-mini", api_base=gateway.url, api_key=team_key,
                           messages=HELLO, num_retries=0)
    assert getattr(e.value, "status_code", None) == 403


def test_budget_and_rate_limits_map_to_sdk_errors(gateway, http):
    spent = admin(http, "/key/generate", {"max_budget": 0})["key"]
    with pytest.raises(openai.BadRequestError) as e:
        client(gateway, spent).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert e.value.body["type"] == "budget_exceeded"
    assert "Budget has been exceeded!" in e.value.body["message"]

    limited = admin(http, "/key/generate", {"rpm_limit": 1})["key"]
    client(gateway, limited).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    with pytest.raises(openai.RateLimitError) as e:
        client(gateway, limited).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert int(e.value.response.headers["retry-after"]) <= 60


def test_blocked_key_is_refused_on_its_next_call(gateway, http):
    key = admin(http, "/key/generate", {})["key"]
    client(gateway, key).chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    admin(http, "/key/block", {"key": key})
    with pytest.raises(openai.AuthenticationError):
        client(gateway, key).chat.completions.create(model="gpt-4o-mini", messages=HELLO)


def test_gateway_log_never_shows_a_clear_key(gateway, team_key):
    client(gateway, team_key).chat.completions.create(model="claude-haiku", messages=HELLO)
    log = gateway.log_path.read_text(errors="replace")
    assert "chat completion" in log
    assert team_key not in log
