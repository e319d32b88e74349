"""Shared paths for the deploy suite. The binaries come from the build `make test` made
($SWITCHBOARD_BIN_DIR, default /var/tmp/switchboard-target/debug); a missing one fails the test
that needs it with the command that builds it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN_DIR = Path(os.environ.get("SWITCHBOARD_BIN_DIR", "/var/tmp/switchboard-target/debug"))
VENV_BIN = Path(sys.executable).parent


def binary(name: str) -> Path:
    path = BIN_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} not found: build it with `cargo build -p switchboard -p switchboard-deploy --bins` "
                    f"(or set SWITCHBOARD_BIN_DIR)")
    return path


def tool(name: str) -> str:
    path = VENV_BIN / name
    if path.is_file():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: install tests/deploy/requirements.txt into the venv")
    return found
