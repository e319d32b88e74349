"""Claude Code (the npm package's native binary) pointed at the gateway, as its docs say to use an
LLM gateway: ``ANTHROPIC_BASE_URL`` at the gateway, a virtual key as ``ANTHROPIC_AUTH_TOKEN``, the
model an alias routed to Claude on Bedrock.

The prompt needs one real tool call: Claude Code runs ``cat`` in a scratch directory and answers
with what the file holds, so the tool result has to travel back through the gateway intact.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import MASTER_KEY

CLAUDE = Path(
    os.environ.get(
        "CLAUDE_CODE_BIN",
        Path(__file__).parent / "node_modules/@anthropic-ai/claude-code-linux-x64/claude",
    )
)
SECRET = "marmalade-" + uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def key(http) -> str:
    r = http.post("/key/generate", json={"key_alias": "claude-code", "models": ["claude-haiku"]},
                  headers={"Authorization": f"Bearer {MASTER_KEY}"})
    assert r.status_code == 200, r.text
    return r.json()["key"]


def run_claude(gateway, key: str, workdir: Path, prompt: str, *args: str) -> subprocess.CompletedProcess:
    if not CLAUDE.is_file():
        pytest.fail(f"Claude Code is not installed at {CLAUDE}; `make test-clients` installs it (npm ci in tests/clients)",
                    pytrace=False)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": gateway.url,
        "ANTHROPIC_AUTH_TOKEN": key,
        "ANTHROPIC_MODEL": "claude-haiku",
        "ANTHROPIC_SMALL_FAST_MODEL": "claude-haiku",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku",
        # No internet here: no update checks, telemetry or error reporting.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [str(CLAUDE), "-p", prompt, "--output-format", "json", *args],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )


def test_claude_code_completes_a_prompt_that_needs_a_tool(gateway, fakes, key, tmp_path, http):
    (tmp_path / "notes.txt").write_text(f"the secret word is {SECRET}\n")
    done = run_claude(
        gateway, key, tmp_path,
        "Please use the Bash tool to run `cat notes.txt` and tell me the secret word.",
        "--allowedTools", "Bash(cat:*)",
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}\ngateway:\n{gateway.log_tail()}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["is_error"] is False, result
    assert SECRET in result["result"], result
    assert result["num_turns"] >= 2, "one turn for the tool call, one for the answer"

    # Claude Code ran the tool itself and sent its output back through the gateway to Bedrock.
    tool_results = [
        block["toolResult"]
        for request in fakes.bedrock_converse_requests()
        for message in request.json["messages"]
        for block in message["content"]
        if "toolResult" in block
    ]
    assert any(SECRET in json.dumps(r["content"]) for r in tool_results), tool_results

    logs: list = []
    for _ in range(50):  # spend rows are written in batches
        logs = http.get("/spend/logs", params={"api_key": key}, headers={"Authorization": f"Bearer {MASTER_KEY}"}).json()
        if len(logs) >= 2:
            break
        time.sleep(0.1)
    assert len(logs) >= 2 and all(row["call_type"] == "anthropic_messages" for row in logs), logs


def test_claude_code_with_a_key_that_may_not_call_the_model(gateway, http, tmp_path):
    r = http.post("/key/generate", json={"models": ["gpt-4o-mini"]}, headers={"Authorization": f"Bearer {MASTER_KEY}"})
    narrow = r.json()["key"]
    done = run_claude(gateway, narrow, tmp_path, "hello")
    output = done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["is_error"] is True, output
    # The gateway's reason reaches the user as Claude Code shows API errors.
    assert "403" in result["result"] and "not allowed to access model" in result["result"], output
