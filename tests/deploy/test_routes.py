"""The panel's deploy API (`/deploy/*` of the gateway) against moto, over HTTP, as the panel
uses it: validate, up (server-sent events), status, connection, down. The gateway is the binary
`make test` built; AWS_ENDPOINT_URL sends its CloudFormation, Secrets Manager and STS calls to
moto (tests/deploy/moto_server.py). moto cannot model secrets, RDS or Redis inside a stack, so
the deploy uses an existing master key secret, RDS off and an existing VPC (moto cannot delete
a new VPC's NAT gateway); deploy/tests/moto.rs covers the rest of the flow."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import httpx
import pytest

from conftest import ROOT, binary

MASTER_KEY = "sk-deploy-routes-test"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0"
NETWORK = """
Resources:
  V: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.9.0.0/16}}
  A: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.0.0/24, AvailabilityZone: us-east-1a}}
  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.1.0/24, AvailabilityZone: us-east-1b}}
  C: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.2.0/24, AvailabilityZone: us-east-1a}}
  D: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref V, CidrBlock: 10.9.3.0/24, AvailabilityZone: us-east-1b}}
Outputs:
  Vpc: {Value: !Ref V}
  Public: {Value: !Join [",", [!Ref A, !Ref B]]}
  Private: {Value: !Join [",", [!Ref C, !Ref D]]}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on {port}:\n{log.read_text()}")


AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {**os.environ, "SWITCHBOARD_MOTO_EVENT_DELAY": "0.01"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests/deploy/moto_server.py"), "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_port(port, proc, log)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def gateway(moto, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gateway")
    port = free_port()
    log = tmp / "gateway.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LITELLM_", "DATABASE_URL"))}
    env.update(AWS_ENV)
    env.update({
        "AWS_ENDPOINT_URL": moto,
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
        "LITELLM_MASTER_KEY": MASTER_KEY,
        "SWITCHBOARD_DEPLOY_POLL_SECONDS": "0.1",
        "SWITCHBOARD_DEPLOY_HEALTH_ATTEMPTS": "1",
        "XDG_DATA_HOME": str(tmp),
    })
    proc = subprocess.Popen([str(binary("switchboard")), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--db", str(tmp / "gw.db")], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_port(port, proc, log)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                      timeout=120) as client:
        yield client
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def aws(moto):
    kw = dict(region_name="us-east-1", endpoint_url=moto, aws_access_key_id="testing", aws_secret_access_key="testing")
    return {"cfn": boto3.client("cloudformation", **kw), "sm": boto3.client("secretsmanager", **kw)}


def events(client: httpx.Client, method: str, path: str, **kw) -> list[dict]:
    """The server-sent events of one call, parsed."""
    items = []
    with client.stream(method, path, **kw) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                items.append(json.loads(line[6:]))
    assert items and items[-1]["type"] == "done", items[-3:]
    assert sum(1 for i in items if i["type"] == "done") == 1
    return items


def form(**over) -> dict:
    return {"region": "us-east-1", "name_prefix": "gw-routes", "image_uri": IMAGE, **over}


def test_options_and_validate(gateway):
    o = gateway.get("/deploy/options").json()
    assert o["defaults"]["cpu"] == 512 and o["defaults"]["enable_rds"] is True
    assert {"cpu": 256, "memory": [512, 1024, 2048]} in o["fargate_sizes"]

    v = gateway.post("/deploy/validate", json=form()).json()
    assert v["ok"] is True and v["errors"] == []
    assert v["stack_name"] == "gw-routes"
    assert any(r["resource_type"] == "AWS::RDS::DBInstance" for r in v["resources"])
    assert v["parameters"]["EnableRds"] == "true"
    assert v["estimate"]["total_monthly_usd"] > 0
    assert [w["field"] for w in v["warnings"]] == ["certificate_arn"]

    bad = gateway.post("/deploy/validate", json=form(cpu=512, memory=512, name_prefix="X")).json()
    assert bad["ok"] is False and bad["resources"] == []
    assert {e["field"] for e in bad["errors"]} == {"name_prefix", "memory"}

    r = gateway.post("/deploy/validate", json={**form(), "colour": "blue"})
    assert r.status_code == 400 and "colour" in r.json()["error"]["message"]

    who = gateway.post("/deploy/validate?whoami=true", json=form()).json()
    assert who["identity"]["account"] == "123456789012"


def test_admin_only(gateway):
    r = httpx.post(str(gateway.base_url) + "/deploy/validate", json=form())
    assert r.status_code == 401
    r = httpx.get(str(gateway.base_url) + "/deploy/connection", params={"region": "us-east-1"})
    assert r.status_code == 401


def test_invalid_form_is_refused_before_anything(gateway):
    r = gateway.post("/deploy/up", json=form(image_uri="not an image", desired_count=50))
    assert r.status_code == 400
    body = r.json()
    assert body["error"]["type"] == "invalid_request_error"
    assert {e["field"] for e in body["validation"]["errors"]} == {"image_uri", "desired_count"}
    # Without an image the gateway builds its own, from its x86-64 binary: not for an ARM64 stack,
    # and not to a repository that names no registry.
    build = gateway.get("/deploy/options").json()["image_build"]
    assert build["available"] and build["cpu_architecture"] == "X86_64" and build["binary"].endswith("/switchboard")
    r = gateway.post("/deploy/up", json=form(image_uri="", cpu_architecture="ARM64", image_repository="gw-routes"))
    assert r.status_code == 400
    errors = {e["field"]: e["message"] for e in r.json()["validation"]["errors"]}
    assert set(errors) == {"cpu_architecture", "image_repository"}
    assert "builds x86_64 images" in errors["cpu_architecture"]
    assert "names no registry" in errors["image_repository"]
    s = gateway.get("/deploy/status", params={"stack": "gw-routes", "region": "us-east-1"}).json()
    assert s["exists"] is False


def test_deploy_manage_destroy(gateway, aws):
    arn = aws["sm"].create_secret(Name="gw-routes/master-key", SecretString="sk-routes-master")["ARN"]
    aws["cfn"].create_stack(StackName="routes-network", TemplateBody=NETWORK)
    out = {o["OutputKey"]: o["OutputValue"]
           for o in aws["cfn"].describe_stacks(StackName="routes-network")["Stacks"][0]["Outputs"]}
    f = form(enable_rds=False, master_key_secret_arn=arn, network={
        "mode": "existing", "vpc_id": out["Vpc"],
        "public_subnet_ids": out["Public"].split(","), "private_subnet_ids": out["Private"].split(",")})

    items = events(gateway, "POST", "/deploy/up", json=f)
    plan = items[0]
    assert plan["type"] == "plan" and plan["operation"] == "create" and plan["total"] > 10
    progress = [i["progress"] for i in items if i["type"] == "event"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    ev = [i for i in items if i["type"] == "event"]
    assert {"logical_id", "physical_id", "resource_type", "status", "reason", "timestamp"} <= set(ev[0])
    assert any(e["logical_id"] == "Service" and e["status"] == "CREATE_COMPLETE" for e in ev)
    done = items[-1]
    assert done["outcome"] == "succeeded", done
    url = done["outputs"]["ServiceUrl"]
    assert url.startswith("http://") and done["outputs"]["MasterKeySecretArn"] == arn
    assert done["health"]["url"] == url + "/health/liveliness" and done["health"]["ok"] is False

    q = {"stack": "gw-routes", "region": "us-east-1"}
    s = gateway.get("/deploy/status", params={**q, "health": "true"}).json()
    assert s["exists"] and s["status"] == "CREATE_COMPLETE" and not s["in_progress"]
    assert s["outputs"]["ServiceUrl"] == url and "health" in s

    c = gateway.get("/deploy/connection", params=q)
    assert c.status_code == 200 and c.headers["cache-control"] == "no-store"
    assert c.json()["url"] == url and c.json()["master_key"] == "sk-routes-master"

    followed = events(gateway, "GET", "/deploy/follow", params=q)
    assert followed[-1]["outcome"] == "succeeded"

    r = gateway.post("/deploy/down", json={**q, "confirm": "gw"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "confirm"
    items = events(gateway, "POST", "/deploy/down", json={**q, "confirm": "gw-routes"})
    assert items[0]["type"] == "plan" and items[0]["operation"] == "delete"
    assert items[-1]["outcome"] == "deleted", items[-1]
    assert gateway.get("/deploy/status", params=q).json()["exists"] is False
    r = gateway.get("/deploy/connection", params=q)
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"

    # The audit log has the stack's creation (with the form) and deletion (with the stack as it
    # was), by the master key; the deployed gateway's master key is not in it.
    log = gateway.get("/audit", params={"table_name": "Switchboard_DeployStack", "object_id": "gw-routes"}).json()
    assert [e["action"] for e in log["audit_logs"]] == ["deleted", "created"], log
    deleted, created = log["audit_logs"]
    assert created["changed_by"] == "master" and created["before_value"] is None
    assert created["updated_values"]["master_key_secret_arn"] == arn and created["updated_values"]["name_prefix"] == "gw-routes"
    assert deleted["before_value"]["status"] == "CREATE_COMPLETE" and deleted["updated_values"] is None
    assert "sk-routes-master" not in json.dumps(log)
