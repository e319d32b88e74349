"""Session fixtures for the Switchboard Python client compatibility suite.

Starts two real processes for the whole test session:

1. ``fake-upstreams`` -- fake OpenAI + fake Bedrock Runtime servers
   (``$SWITCHBOARD_BIN_DIR/fake-upstreams``; exits when its stdin closes; its
   first stdout line is JSON ``{"openai": ".../v1", "bedrock": "..."}``).
2. ``switchboard serve`` -- the gateway under test, configured (LiteLLM
   config.yaml format) to route chat, embedding and text completion aliases to the fakes.

Tests then talk to the gateway with real clients (openai SDK, litellm SDK,
strands-agents, raw httpx) and inspect what the gateway sent upstream through
the fakes' ``/_fake/requests`` log.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

# --- Environment hygiene, applied before any test module imports litellm/strands. ---
# No internet here: litellm must use its bundled price map instead of trying to
# download one; no stray .env loading; no OpenTelemetry export attempts.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
os.environ.setdefault("LITELLM_TELEMETRY", "False")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("OTEL_TRACES_EXPORTER", "none")
os.environ.setdefault("OTEL_METRICS_EXPORTER", "none")
os.environ.setdefault("OTEL_LOGS_EXPORTER", "none")
# Loopback traffic must never go through an HTTP proxy configured in the environment.
_no_proxy = [p for p in os.environ.get("NO_PROXY", "").split(",") if p]
for _h in ("127.0.0.1", "localhost"):
    if _h not in _no_proxy:
        _no_proxy.append(_h)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(_no_proxy)
# Make sure the litellm SDK never silently falls back to env-configured proxies.
for _var in ("LITELLM_PROXY_API_BASE", "LITELLM_PROXY_API_KEY", "USE_LITELLM_PROXY"):
    os.environ.pop(_var, None)

BIN_DIR = Path(os.environ.get("SWITCHBOARD_BIN_DIR", "/var/tmp/switchboard-target/debug"))
MASTER_KEY = "sk-switchboard-test-master"
UPSTREAM_KEY = "sk-upstream-test"

ALIASES = [
    "claude-haiku",
    "claude-sonnet",
    "gpt-4o-mini",
    "openai-throttled",
    "bedrock-throttled",
    "embed-small",
    "titan-embed",
    "instruct",
    "claude-direct",
]
HAIKU_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

# alias -> name the fake uses in its greeting
FAKE_NAME = {
    "claude-haiku": "fake-bedrock",
    "claude-sonnet": "fake-bedrock",
    "gpt-4o-mini": "fake-openai",
    "instruct": "fake-openai",
    "claude-direct": "fake-anthropic",
}

STARTUP_TIMEOUT_S = 30.0
CLIENT_TIMEOUT_S = 30.0

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "Name of the city"}},
            "required": ["city"],
        },
    },
}


def expected_greeting(alias: str, user_text: str) -> str:
    return f"Hello from {FAKE_NAME[alias]}! You said: {user_text}"


def word_count(*texts: str) -> int:
    return sum(len(t.split()) for t in texts)


_U64 = (1 << 64) - 1


def fake_embedding(text: str, dimensions: int) -> list[float]:
    """The vector the fakes return for ``text`` (tests/fakes/src/vectors.rs, ported)."""
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & _U64
    out = []
    for i in range(dimensions):
        mixed = ((h ^ ((i * 0x9E3779B97F4A7C15) & _U64)) * 0xFF51AFD7ED558CCD) & _U64
        out.append(((mixed >> 33) % 2048) / 1024.0 - 1.0)
    return out


def make_png(width: int = 1, height: int = 1) -> bytes:
    """A tiny, valid RGB PNG (red pixels)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


TINY_PNG = make_png()
TINY_PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, limit: int = 8000) -> str:
    try:
        data = path.read_text(errors="replace")
    except OSError as e:  # pragma: no cover - diagnostics only
        return f"<could not read {path}: {e}>"
    return data[-limit:] if len(data) > limit else data


def _stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------------------
# fake upstreams
# --------------------------------------------------------------------------------------


@dataclass
class FakeRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def unquoted_path(self) -> str:
        return urllib.parse.unquote(self.path)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def json(self) -> Any:
        return self.body


def _parse_fake_request(raw: dict) -> FakeRequest:
    headers_raw = raw.get("headers") or {}
    headers: dict[str, str] = {}
    if isinstance(headers_raw, dict):
        items = headers_raw.items()
    else:  # list of [name, value] pairs
        items = [(h[0], h[1]) for h in headers_raw]
    for k, v in items:
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        headers[str(k).lower()] = str(v)
    body = raw.get("body")
    if isinstance(body, str):
        try:
            body = json.loads(body) if body else None
        except json.JSONDecodeError:
            pass
    return FakeRequest(method=str(raw.get("method", "")).upper(), path=str(raw.get("path", "")), headers=headers, body=body)


@dataclass
class Fakes:
    proc: subprocess.Popen
    openai_url: str  # ends with /v1
    bedrock_url: str
    stderr_path: Path
    anthropic_url: str = ""
    # The AgentCore fake: control plane and data plane (InvokeHarness).
    agentcore_control_url: str = ""
    agentcore_runtime_url: str = ""
    stdout_lines: list[str] = field(default_factory=list)

    @property
    def openai_base(self) -> str:
        u = self.openai_url.rstrip("/")
        return u[: -len("/v1")] if u.endswith("/v1") else u

    @property
    def bedrock_base(self) -> str:
        return self.bedrock_url.rstrip("/")

    def _log_url(self, which: str) -> str:
        base = {
            "openai": self.openai_base,
            "anthropic": self.anthropic_url,
            "agentcore_runtime": self.agentcore_runtime_url,
        }.get(which, self.bedrock_base)
        return f"{base}/_fake/requests"

    def requests(self, which: str) -> list[FakeRequest]:
        r = httpx.get(self._log_url(which), timeout=10)
        r.raise_for_status()
        return [_parse_fake_request(x) for x in r.json()]

    def openai_requests(self) -> list[FakeRequest]:
        return self.requests("openai")

    def anthropic_requests(self) -> list[FakeRequest]:
        return self.requests("anthropic")

    def bedrock_requests(self) -> list[FakeRequest]:
        return self.requests("bedrock")

    def openai_chat_requests(self) -> list[FakeRequest]:
        return [r for r in self.openai_requests() if r.method == "POST" and r.path.rstrip("/").endswith("/chat/completions")]

    def bedrock_converse_requests(self) -> list[FakeRequest]:
        return [r for r in self.bedrock_requests() if r.method == "POST" and "/converse" in r.path]

    def clear(self) -> None:
        for which in ("openai", "bedrock"):
            r = httpx.delete(self._log_url(which), timeout=10)
            r.raise_for_status()


@pytest.fixture(scope="session")
def fakes(tmp_path_factory) -> Fakes:
    exe = BIN_DIR / "fake-upstreams"
    if not exe.is_file():
        pytest.fail(
            f"fake-upstreams binary not found at {exe}. Build it with "
            "`CARGO_TARGET_DIR=/var/tmp/switchboard-target cargo build -p switchboard-fakes --bins` "
            "or set SWITCHBOARD_BIN_DIR.",
            pytrace=False,
        )
    logdir = tmp_path_factory.mktemp("fakes")
    stderr_path = logdir / "fake-upstreams.stderr.log"
    stderr_f = open(stderr_path, "wb")
    proc = subprocess.Popen(
        [str(exe)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr_f,
        text=True,
        bufsize=1,
    )
    stderr_f.close()

    lines: queue.Queue[str] = queue.Queue()
    stdout_lines: list[str] = []

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            stdout_lines.append(line)
            lines.put(line)
        lines.put("")  # EOF marker

    threading.Thread(target=reader, name="fake-upstreams-stdout", daemon=True).start()

    try:
        first = lines.get(timeout=STARTUP_TIMEOUT_S)
    except queue.Empty:
        _stop(proc)
        pytest.fail(
            f"fake-upstreams printed nothing on stdout within {STARTUP_TIMEOUT_S}s.\n"
            f"stderr:\n{_tail(stderr_path)}",
            pytrace=False,
        )
    try:
        urls = json.loads(first)
        openai_url, bedrock_url, anthropic_url = urls["openai"], urls["bedrock"], urls["anthropic"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        _stop(proc)
        pytest.fail(
            f"fake-upstreams' first stdout line is not the expected JSON ({e}): {first!r}\n"
            f"exit code: {proc.poll()}\nstderr:\n{_tail(stderr_path)}",
            pytrace=False,
        )

    f = Fakes(proc=proc, openai_url=openai_url, bedrock_url=bedrock_url, stderr_path=stderr_path,
              stdout_lines=stdout_lines, anthropic_url=anthropic_url,
              agentcore_control_url=urls["agentcore_control"], agentcore_runtime_url=urls["agentcore_runtime"])
    try:
        yield f
    finally:
        # It exits when its stdin closes; SIGTERM as a backstop.
        try:
            if proc.stdin:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            _stop(proc)


# --------------------------------------------------------------------------------------
# gateway
# --------------------------------------------------------------------------------------

CONFIG_TEMPLATE = """\
model_list:
  - model_name: claude-haiku
    litellm_params:
      model: bedrock/{haiku}
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: {bedrock}
  - model_name: claude-sonnet
    litellm_params:
      model: bedrock/{sonnet}
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: {bedrock}
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: {openai}
      api_key: os.environ/UPSTREAM_KEY
  - model_name: openai-throttled
    litellm_params:
      model: openai/fake-429
      api_base: {openai}
      api_key: os.environ/UPSTREAM_KEY
      max_retries: 0
  - model_name: bedrock-throttled
    litellm_params:
      model: bedrock/fake-throttle
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: {bedrock}
      max_retries: 0
  - model_name: embed-small
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: {openai}
      api_key: os.environ/UPSTREAM_KEY
    model_info:
      mode: embedding
  - model_name: titan-embed
    litellm_params:
      model: bedrock/amazon.titan-embed-text-v2:0
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: {bedrock}
  - model_name: instruct
    litellm_params:
      model: text-completion-openai/gpt-3.5-turbo-instruct
      api_base: {openai}
      api_key: os.environ/UPSTREAM_KEY
  - model_name: claude-direct
    litellm_params:
      model: anthropic/claude-haiku-4-5
      api_base: {anthropic}
      api_key: sk-ant-fake-upstream
general_settings:
  master_key: {master}
  agentcore:
    aws_region_name: us-east-1
    control_endpoint_url: {agentcore_control}
    runtime_endpoint_url: {agentcore_runtime}
"""


@dataclass
class Gateway:
    proc: subprocess.Popen
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    config_path: Path
    log_path: Path
    master_key: str = MASTER_KEY

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def log_tail(self, limit: int = 8000) -> str:
        return _tail(self.log_path, limit)


_ACTIVE_GATEWAY: Gateway | None = None


@pytest.fixture(scope="session")
def gateway(fakes: Fakes, tmp_path_factory) -> Gateway:
    global _ACTIVE_GATEWAY
    exe = BIN_DIR / "switchboard"
    if not exe.is_file():
        pytest.fail(
            f"switchboard binary not found at {exe}. Build it with "
            "`CARGO_TARGET_DIR=/var/tmp/switchboard-target cargo build -p switchboard --bins` "
            "or set SWITCHBOARD_BIN_DIR.",
            pytrace=False,
        )
    workdir = tmp_path_factory.mktemp("gateway")
    config_path = workdir / "config.yaml"
    config_path.write_text(
        CONFIG_TEMPLATE.format(
            haiku=HAIKU_ID,
            sonnet=SONNET_ID,
            bedrock=fakes.bedrock_url,
            openai=fakes.openai_url,
            anthropic=fakes.anthropic_url,
            master=MASTER_KEY,
            agentcore_control=fakes.agentcore_control_url,
            agentcore_runtime=fakes.agentcore_runtime_url,
        )
    )
    port = _free_port()
    env = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        env.pop(var, None)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "AKIDTEST",
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "UPSTREAM_KEY": UPSTREAM_KEY,
        }
    )
    log_path = workdir / "switchboard.log"
    log_f = open(log_path, "wb")
    proc = subprocess.Popen(
        [
            str(exe), "serve", "--config", str(config_path), "--host", "127.0.0.1", "--port", str(port),
            "--db", str(workdir / "switchboard.db"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=log_f,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=workdir,
    )
    log_f.close()
    gw = Gateway(proc=proc, url=f"http://127.0.0.1:{port}", config_path=config_path, log_path=log_path)

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_err = "no attempt"
    ready = False
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"switchboard exited with code {proc.returncode} during startup.\n"
                f"command: {proc.args}\nconfig:\n{config_path.read_text()}\noutput:\n{gw.log_tail()}",
                pytrace=False,
            )
        try:
            r = httpx.get(f"{gw.url}/health/liveliness", timeout=2)
            if r.status_code == 200:
                ready = True
                break
            last_err = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx.HTTPError as e:
            last_err = repr(e)
        time.sleep(0.1)
    if not ready:
        _stop(proc)
        pytest.fail(
            f"switchboard did not answer 200 on /health/liveliness within {STARTUP_TIMEOUT_S}s "
            f"(last: {last_err}).\ncommand: {proc.args}\noutput:\n{gw.log_tail()}",
            pytrace=False,
        )

    _ACTIVE_GATEWAY = gw
    try:
        yield gw
    finally:
        _ACTIVE_GATEWAY = None
        _stop(proc)


@pytest.fixture(autouse=True)
def _clean_fake_logs(request):
    """Clear the fakes' request logs before every test that uses the gateway."""
    if "gateway" in request.fixturenames or "fakes" in request.fixturenames:
        request.getfixturevalue("fakes").clear()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and _ACTIVE_GATEWAY is not None:
        report.sections.append(("switchboard output (tail)", _ACTIVE_GATEWAY.log_tail(4000)))


# --------------------------------------------------------------------------------------
# convenience fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def base_url(gateway: Gateway) -> str:
    """Gateway base URL with /v1 (the OpenAI-SDK-typical form)."""
    return gateway.v1


@pytest.fixture(scope="session")
def http(gateway: Gateway):
    with httpx.Client(base_url=gateway.url, timeout=CLIENT_TIMEOUT_S) as c:
        yield c
