"""Plain-HTTP checks (httpx): key headers, /v1/models, health, error envelope."""

from __future__ import annotations

import pytest

from conftest import ALIASES, MASTER_KEY

GOOD_KEY_HEADERS = {
    "authorization-bearer": {"Authorization": f"Bearer {MASTER_KEY}"},
    "authorization-bearer-lowercase-scheme": {"Authorization": f"bearer {MASTER_KEY}"},
    "x-litellm-api-key-bare": {"x-litellm-api-key": MASTER_KEY},
    "x-litellm-api-key-bearer": {"x-litellm-api-key": f"Bearer {MASTER_KEY}"},
    "api-key": {"api-key": MASTER_KEY},
    "x-api-key": {"x-api-key": MASTER_KEY},
    "x-api-key-mixed-case-name": {"X-Api-Key": MASTER_KEY},
}


@pytest.mark.parametrize("path", ["/v1/models", "/models"])
@pytest.mark.parametrize("headers", list(GOOD_KEY_HEADERS.values()), ids=list(GOOD_KEY_HEADERS))
def test_key_headers_accepted(http, path, headers):
    r = http.get(path, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "list"
    assert sorted(m["id"] for m in body["data"]) == sorted(ALIASES)


def test_models_list_shape(http):
    r = http.get("/v1/models", headers={"Authorization": f"Bearer {MASTER_KEY}"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    data = r.json()["data"]
    assert len(data) == len(ALIASES)  # one entry per model group, no duplicates
    for m in data:
        assert m["object"] == "model"
        assert isinstance(m["created"], int)
        assert isinstance(m["owned_by"], str)


def _assert_auth_error(r):
    assert r.status_code == 401, r.text
    err = r.json()["error"]
    assert err["type"] == "auth_error", err
    assert err["code"] == "401", err  # LiteLLM sends the status as a string
    assert isinstance(err["message"], str) and err["message"]
    return err


def test_no_key_is_401(http):
    err = _assert_auth_error(http.get("/v1/models"))
    assert "No api key passed in" in err["message"], err


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer sk-wrong-key-0000000000"},
        {"x-litellm-api-key": "sk-wrong-key-0000000000"},
        {"api-key": "sk-wrong-key-0000000000"},
        {"x-api-key": "sk-wrong-key-0000000000"},
    ],
    ids=["authorization", "x-litellm-api-key", "api-key", "x-api-key"],
)
def test_wrong_key_is_401(http, headers):
    _assert_auth_error(http.get("/v1/models", headers=headers))


def test_authorization_without_bearer_is_401(http):
    err = _assert_auth_error(http.get("/v1/models", headers={"Authorization": MASTER_KEY}))
    assert "Bearer" in err["message"], err


def test_chat_without_key_is_401(http):
    r = http.post("/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]})
    _assert_auth_error(r)


@pytest.mark.parametrize("path", ["/health/liveliness", "/health/liveness"])
def test_liveliness_needs_no_key(http, path):
    r = http.get(path)
    assert r.status_code == 200
    assert r.json() == "I'm alive!"


def test_malformed_json_is_400(http):
    r = http.post(
        "/v1/chat/completions",
        content=b"{not json",
        headers={"Authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "400"
    assert isinstance(err["message"], str)
