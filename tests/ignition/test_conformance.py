"""hostform ignition validate against what the real ignition-validate (v2.26.0 rules) printed."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from hostform.cli import ignition as cli
from tests.require import shared_params

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
IGN_CASES = SHARED / "conformance" / "ignition" / "cases"
BUTANE_CASES = SHARED / "conformance" / "butane" / "cases"


def _run(path: Path, monkeypatch) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = cli.main(["validate", str(path)])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", shared_params(sorted(p.name for p in IGN_CASES.iterdir()) if IGN_CASES.is_dir() else [], IGN_CASES))
def test_ignition_case(case, monkeypatch):
    d = IGN_CASES / case
    exp = json.loads((d / "expected.json").read_text())
    assert _run(d / "config.ign", monkeypatch) == (exp["exit_code"], exp["stdout"], exp["stderr"])


def _butane_cases():
    if not BUTANE_CASES.is_dir():
        return []
    out = []
    for d in sorted(BUTANE_CASES.iterdir()):
        f = d / "expected.json"
        if f.exists() and (d / "expected.ign").exists():
            iv = json.loads(f.read_text()).get("ignition_validate")
            if iv is not None:
                out.append(d.name)
    return out


@pytest.mark.parametrize("case", shared_params(_butane_cases(), BUTANE_CASES))
def test_butane_output_verdict(case, monkeypatch):
    """The validator's verdict on each expected.ign of the Butane corpus."""
    d = BUTANE_CASES / case
    iv = json.loads((d / "expected.json").read_text())["ignition_validate"]
    code, out, err = _run(d / "expected.ign", monkeypatch)
    assert (code, out + err) == (iv["exit_code"], iv["output"])
