"""deploy/Dockerfile: linted (hadolint), parsed (dockerfile-parse) for what the deployment
relies on, and its entry point run as the image runs it, with the gateway binary `make test`
built in place of the one the image would build. (There is no Docker daemon here: the image
itself is not built; see deploy/README.md.)"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from conftest import DEPLOY, ROOT, binary, tool

MASTER_KEY = "sk-deploy-entrypoint-test"


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    assert parser.structure, "the Dockerfile parses"
    return parser


def instructions(parser: DockerfileParser, name: str, stage: int | None = None) -> list[str]:
    """The values of one instruction, in the final stage (default) or the given one."""
    stages, current = [], -1
    for ins in parser.structure:
        if ins["instruction"] == "FROM":
            current += 1
        stages.append((current, ins))
    last = current if stage is None else stage
    return [ins["value"] for s, ins in stages if s == last and ins["instruction"] == name]


def test_hadolint():
    out = subprocess.run([tool("hadolint"), str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_multi_stage_small_non_root(dockerfile):
    froms = [ins["value"] for ins in dockerfile.structure if ins["instruction"] == "FROM"]
    assert len(froms) == 3, froms
    assert froms[1].startswith("rust:") and froms[1].endswith(" AS build")
    assert dockerfile.baseimage == "debian:bookworm-slim"
    builds = " ".join(instructions(dockerfile, "RUN", stage=1))
    assert "cargo build --release --locked -p switchboard --bin switchboard" in builds
    # The runtime stage takes only the binary and the entry point.
    copies = instructions(dockerfile, "COPY")
    assert copies == ["--from=build /out/switchboard /usr/local/bin/switchboard",
                      "deploy/entrypoint.sh /usr/local/bin/switchboard-entrypoint"], copies
    (user,) = instructions(dockerfile, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) > 0, "runs as a numeric non-root user"
    assert instructions(dockerfile, "EXPOSE") == ["4000"]
    assert dockerfile.envs["XDG_DATA_HOME"] == "/var/lib/switchboard"
    (entrypoint,) = instructions(dockerfile, "ENTRYPOINT")
    assert json.loads(entrypoint) == ["switchboard-entrypoint"], "exec form"


def test_template_runs_the_image_port_and_user_it_expects(dockerfile):
    text = (DEPLOY / "template.yaml").read_text()
    assert "ContainerPort: 4000" in text and "Port: 4000" in text
    assert "HealthCheckPath: /health/liveliness" in text
    assert "SWITCHBOARD_CONFIG_B64" in text and "SWITCHBOARD_CONFIG_B64" in (DEPLOY / "entrypoint.sh").read_text()


def default_config(region: str) -> str:
    """The config.yaml the template hands a task when the form has none: its Fn::Sub text with
    the stack's region."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: {
        suffix: loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else loader.construct_scalar(node)})
    template = yaml.load((DEPLOY / "template.yaml").read_text(), Loader=Loader)
    env = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Environment"]
    value = next(e for e in env if isinstance(e, dict) and e.get("Name") == "SWITCHBOARD_CONFIG_B64")["Value"]
    sub = value["If"][2]["Fn::Base64"]["Sub"]
    return sub.replace("${AWS::Region}", region)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Container:
    """The image's ENTRYPOINT run locally: PATH has `switchboard-entrypoint` (deploy/entrypoint.sh)
    and `switchboard` (the binary make test built), the environment has the Dockerfile's ENV."""

    def __init__(self, tmp_path: Path, dockerfile: DockerfileParser, env: dict[str, str]):
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "switchboard").symlink_to(binary("switchboard"))
        entry = bin_dir / "switchboard-entrypoint"
        entry.symlink_to(DEPLOY / "entrypoint.sh")
        self.port = free_port()
        data = tmp_path / "data"
        data.mkdir()
        image_env = dict(dockerfile.envs)
        image_env["XDG_DATA_HOME"] = str(data)
        image_env["PORT"] = str(self.port)
        full = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM_", "DATABASE_URL", "CONFIG_FILE_PATH"))}
        full.update(image_env)
        full.update(env)
        full["PATH"] = f"{bin_dir}:{full.get('PATH', '')}"
        full["TMPDIR"] = str(tmp_path)
        (entrypoint,) = instructions(dockerfile, "ENTRYPOINT")
        self.log = tmp_path / "gateway.log"
        self.proc = subprocess.Popen(json.loads(entrypoint), env=full, cwd=str(tmp_path),
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the entry point exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/health/liveliness", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        pytest.fail(f"no answer on {self.base}:\n{self.log.read_text()}")

    def log_matching(self, pattern: str, timeout: float = 10.0) -> str:
        """The log once it holds `pattern` (the gateway may answer before its start line is
        written: it accepts as soon as it listens), or as it is after `timeout`."""
        deadline = time.time() + timeout
        while not re.search(pattern, text := self.log.read_text()) and time.time() < deadline:
            time.sleep(0.1)
        return text

    def get(self, path: str, key: str | None = None) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {key}"} if key else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_entrypoint_serves_the_template_config_on_all_interfaces(tmp_path, dockerfile):
    config = default_config("eu-west-1")
    c = Container(tmp_path, dockerfile, {
        "SWITCHBOARD_CONFIG_B64": base64.b64encode(config.encode()).decode(),
        "LITELLM_MASTER_KEY": MASTER_KEY,
    })
    try:
        c.wait()
        status, body = c.get("/health/liveliness")
        assert (status, json.loads(body)) == (200, "I'm alive!")
        status, body = c.get("/v1/models", MASTER_KEY)
        assert status == 200, body
        assert sorted(m["id"] for m in json.loads(body)["data"]) == ["claude-haiku", "claude-sonnet"]
        status, body = c.get("/model/info", MASTER_KEY)
        regions = {d["litellm_params"].get("aws_region_name") for d in json.loads(body)["data"]}
        assert regions == {"eu-west-1"}, body
        assert c.get("/v1/models")[0] == 401, "the master key protects the API"
        # It listens on every interface, as in a task behind the load balancer.
        listening = r"0\.0\.0\.0:%d" % c.port
        log = c.log_matching(listening)
        assert re.search(listening, log), log
        # The decoded config is private to the gateway's user.
        (written,) = list(tmp_path.glob("switchboard-config.*"))
        assert oct(written.stat().st_mode & 0o777) == "0o600"
        assert written.read_text() == config
    finally:
        c.stop()
    assert c.proc.returncode == 0, "SIGTERM (what ECS sends) stops the gateway cleanly:\n" + c.log.read_text()


def test_entrypoint_without_config_starts_with_no_models(tmp_path, dockerfile):
    c = Container(tmp_path, dockerfile, {"LITELLM_MASTER_KEY": MASTER_KEY})
    try:
        c.wait()
        status, body = c.get("/v1/models", MASTER_KEY)
        assert status == 200 and json.loads(body)["data"] == [], body
        # Keys work on the SQLite file under the image's XDG_DATA_HOME (no DATABASE_URL).
        assert (tmp_path / "data" / "switchboard").is_dir()
    finally:
        c.stop()


def test_entrypoint_refuses_all_interfaces_without_a_master_key(tmp_path, dockerfile):
    c = Container(tmp_path, dockerfile, {})
    try:
        code = c.proc.wait(timeout=30)
    finally:
        c.stop()
    assert code != 0
    assert "no master key" in c.log.read_text(), c.log.read_text()
