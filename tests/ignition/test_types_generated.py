"""The per-version Ignition tables are what tools/gen_ignition_types.py makes of Ignition's
JSON schemas (../shared/conformance/ignition/schemas), byte for byte."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hostform.ignition import VERSIONS

from ..require import shared

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "gen_ignition_types.py"
SCHEMAS = ROOT.parent / "shared" / "conformance" / "ignition" / "schemas"


def _tool() -> ModuleType:
    loaded = importlib.util.spec_from_file_location("gen_ignition_types", TOOL)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def schemas() -> Path:
    shared(SCHEMAS / "ignition-v3_0.json")
    return SCHEMAS


@pytest.mark.parametrize("version", VERSIONS)
def test_regenerating_gives_the_same_bytes(schemas: Path, version: str) -> None:
    tool = _tool()
    suffix = tool.VERSIONS[version]
    text = tool.render(json.loads((schemas / f"ignition-{suffix}.json").read_text()), version, suffix)
    assert (ROOT / "src" / "hostform" / "ignition" / f"_types_{suffix}.py").read_text() == text


def test_check_mode_writes_nothing_and_says_so(schemas: Path) -> None:
    proc = subprocess.run([sys.executable, str(TOOL), str(schemas), "--check"], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
