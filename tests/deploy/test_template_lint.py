"""cfn-lint on deploy/template.yaml: as written (the defaults), and with the parameters the
deploy form renders for every combination of its switches (RDS x Redis x HTTPS x existing VPC).
The parameters come from the real renderer (`switchboard-deploy render`), so what is linted is
what a deploy sends."""

from __future__ import annotations

import itertools
import json
import subprocess

import pytest

from conftest import DEPLOY, binary, tool

TEMPLATE = DEPLOY / "template.yaml"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/master-key-AbCdEf"
# The template's list parameters: CloudFormation takes "a,b"; cfn-lint's parameter files want a list.
LIST_PARAMETERS = {"PublicSubnetIds", "PrivateSubnetIds"}

COMBINATIONS = list(itertools.product([True, False], repeat=4))


def form(rds: bool, redis: bool, https: bool, existing_vpc: bool) -> dict:
    f = {
        "region": "us-east-1",
        "name_prefix": "switchboard",
        "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0",
        "enable_rds": rds,
        "enable_redis": redis,
    }
    if https:
        f["certificate_arn"] = CERT
        f["domain_name"] = "llm.example.com"
    if existing_vpc:
        f["network"] = {
            "mode": "existing",
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            "private_subnet_ids": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
        }
    if not rds and not redis:
        # One combination also lints a supplied master key secret and a models config.
        f["master_key_secret_arn"] = SECRET
        f["models_config"] = "model_list:\n  - model_name: gpt\n    litellm_params: {model: openai/gpt-4o-mini}\n"
    return f


def render(tmp_path, name: str, f: dict) -> list[dict]:
    path = tmp_path / f"{name}.form.json"
    path.write_text(json.dumps(f))
    out = subprocess.run([str(binary("switchboard-deploy")), "render", "--form", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def cfn_lint(*args: str) -> subprocess.CompletedProcess:
    # Informational I3011 (explicit deletion policies on stateful resources) is checked too.
    return subprocess.run([tool("cfn-lint"), str(TEMPLATE), "--include-checks", "I3011", *args],
                          capture_output=True, text=True, timeout=300)


def test_template_as_written():
    out = cfn_lint()
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def test_every_combination_of_the_switches(tmp_path):
    files = []
    for rds, redis, https, existing in COMBINATIONS:
        name = f"rds-{rds}_redis-{redis}_https-{https}_vpc-{'existing' if existing else 'new'}"
        params = render(tmp_path, name, form(rds, redis, https, existing))
        keys = {p["ParameterKey"] for p in params}
        assert {"EnableRds", "EnableRedis", "CertificateArn", "VpcId", "ImageUri"} <= keys
        for p in params:
            if p["ParameterKey"] in LIST_PARAMETERS:
                p["ParameterValue"] = [s for s in p["ParameterValue"].split(",") if s]
        path = tmp_path / f"{name}.parameters.json"
        path.write_text(json.dumps(params))
        files.append(str(path))
    # One cfn-lint run checks the template once per parameter file.
    out = cfn_lint("--parameter-files", *files)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def test_cfn_lint_sees_a_bad_parameter_set(tmp_path):
    """The per-combination run does look at each file's values: a Cpu outside AllowedValues in
    one of several files is reported."""
    good = tmp_path / "good.parameters.json"
    good.write_text(json.dumps([p for p in render(tmp_path, "good", form(True, False, False, False))
                                if p["ParameterKey"] not in LIST_PARAMETERS]))
    params = render(tmp_path, "bad", form(True, False, False, False))
    for p in params:
        if p["ParameterKey"] == "Cpu":
            p["ParameterValue"] = "384"
        if p["ParameterKey"] in LIST_PARAMETERS:
            p["ParameterValue"] = [s for s in p["ParameterValue"].split(",") if s]
    path = tmp_path / "bad.parameters.json"
    path.write_text(json.dumps(params))
    out = cfn_lint("--parameter-files", str(good), str(path), str(good))
    assert out.returncode != 0 and "'384' is not one of" in out.stdout, out.stdout + out.stderr
    assert out.stdout.count("E2900") == 1, out.stdout


@pytest.mark.parametrize("field,value", [("cpu", 384), ("name_prefix", "Bad_Name"), ("image_uri", "")])
def test_render_refuses_an_invalid_form(tmp_path, field, value):
    f = form(True, False, False, False)
    f[field] = value
    path = tmp_path / "form.json"
    path.write_text(json.dumps(f))
    out = subprocess.run([str(binary("switchboard-deploy")), "render", "--form", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and field in out.stderr, out.stderr
