"""The official ``openai`` Python SDK's ``embeddings.create`` and ``completions.create``
against the gateway: an OpenAI-compatible upstream (pass-through), Bedrock Titan through
InvokeModel (vectors encoded by the gateway), and Bedrock Claude answering legacy completions
through Converse.
"""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI

from conftest import CLIENT_TIMEOUT_S, MASTER_KEY, expected_greeting, fake_embedding, word_count

# alias -> the fakes' default vector length for it
EMBEDDING_ALIASES = {"embed-small": 8, "titan-embed": 1024}
COMPLETION_ALIASES = ["instruct", "claude-haiku"]
FAKE_NAME = {"instruct": "fake-openai", "claude-haiku": "fake-bedrock"}


@pytest.fixture(scope="module")
def client(base_url: str) -> OpenAI:
    return OpenAI(base_url=base_url, api_key=MASTER_KEY, max_retries=0, timeout=CLIENT_TIMEOUT_S)


@pytest.mark.parametrize("alias", EMBEDDING_ALIASES)
def test_embeddings_default_base64_decode_to_the_right_floats(client: OpenAI, fakes, alias: str) -> None:
    texts = ["hello world", "a second text"]
    response = client.embeddings.create(model=alias, input=texts)
    assert response.model == alias
    assert [d.index for d in response.data] == [0, 1]
    for d, text in zip(response.data, texts):
        assert d.embedding == fake_embedding(text, EMBEDDING_ALIASES[alias])
    assert response.usage.prompt_tokens == word_count(*texts)
    assert response.usage.total_tokens == response.usage.prompt_tokens
    if alias == "embed-small":
        sent = [r for r in fakes.openai_requests() if r.path.endswith("/embeddings")]
        assert sent[-1].json["encoding_format"] == "base64", "the SDK asks for base64 unless told otherwise"
        assert sent[-1].json["model"] == "text-embedding-3-small"


@pytest.mark.parametrize("alias", EMBEDDING_ALIASES)
def test_embeddings_float_with_dimensions(client: OpenAI, alias: str) -> None:
    dimensions = 256 if alias == "titan-embed" else 4
    response = client.embeddings.create(model=alias, input="just one", encoding_format="float", dimensions=dimensions)
    assert len(response.data) == 1
    assert response.data[0].embedding == fake_embedding("just one", dimensions)


def test_embeddings_on_a_chat_model_is_a_clear_400(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="claude-haiku", input="hi")
    assert "claude-haiku" in str(caught.value)
    assert "embedding" in str(caught.value)


def test_embeddings_with_empty_input_names_the_field(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="embed-small", input=[])
    assert caught.value.body["param"] == "input"


@pytest.mark.parametrize("alias", COMPLETION_ALIASES)
def test_completions(client: OpenAI, alias: str) -> None:
    response = client.completions.create(model=alias, prompt="Say hi", max_tokens=30)
    assert response.object == "text_completion"
    assert response.model == alias
    assert response.choices[0].text == f"Hello from {FAKE_NAME[alias]}! You said: Say hi"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.prompt_tokens == 2
    assert response.usage.total_tokens > response.usage.prompt_tokens


@pytest.mark.parametrize("alias", COMPLETION_ALIASES)
def test_completions_stream(client: OpenAI, alias: str) -> None:
    stream = client.completions.create(
        model=alias, prompt="Stream this", stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == f"Hello from {FAKE_NAME[alias]}! You said: Stream this"
    assert all(c.model == alias for c in chunks)
    assert any(c.choices and c.choices[0].finish_reason == "stop" for c in chunks)
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 2


def test_completions_greeting_matches_chat(client: OpenAI) -> None:
    # The same fake answers chat and text completions alike.
    response = client.completions.create(model="instruct", prompt="hello there")
    assert response.choices[0].text == expected_greeting("instruct", "hello there")
