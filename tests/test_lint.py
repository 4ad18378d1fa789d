"""`ruff check src tests` is clean, with the rule set in pyproject.toml ([tool.ruff])."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Files with findings that are being rewritten elsewhere; drop each one from
# this list once `ruff check` passes on it:
#   src/hostform/host/render.py   B905 zip() without strict= (performance work)
#   tests/e2e/test_skip.py        I001 import order (issue 5, `hostform try`)
NOT_YET = ["src/hostform/host/render.py", "tests/e2e/test_skip.py"]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed (pip install -e '.[test]')")
def test_ruff_check() -> None:
    cmd = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise"]
    if NOT_YET:
        cmd += ["--extend-exclude", ",".join(NOT_YET)]
    proc = subprocess.run(cmd + ["src", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
