"""Podman's own quadlet test cases, run against ``hostform quadlet`` in-process.

The runner and the ``##`` assertion evaluator are ``podman_assertions.py``
(shared with test_realgen.py, which runs the same entries through podman's
real generators): the case file and its ``.d`` snippets go into
``<tmp>/podman-e2e-*/subtest-*/quadlet``, the generator runs with
``QUADLET_UNIT_DIRS`` pointing there and ``--no-kmsg-log <generated>``, then
the assertions are checked against the written unit.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hostform.cli import quadlet as cli
from tests.require import no_shared

from .podman_assertions import run_case

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONF = SHARED / "conformance" / "quadlet"
CASES = CONF / "cases"
PODMAN = "/usr/bin/podman"

MANIFEST = json.loads((CONF / "manifest.json").read_text()) if (CONF / "manifest.json").exists() else []


def hostform_generate(podman_version: str | None = None):
    """``generate(unit_dir, out_dir) -> (exit code, stderr)`` running ``hostform quadlet`` in-process."""

    def generate(qdir: Path, gdir: Path) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": PODMAN}
        argv = ["--no-kmsg-log", str(gdir)]
        if podman_version is not None:
            argv = ["--podman-version", podman_version] + argv
        code = cli.main(argv, env=env, stdout=out, stderr=err, prog="/usr/libexec/podman/quadlet")
        return code, err.getvalue()

    return generate


def _entry_id(e: dict) -> str:
    return f"{e['kind']}:{e['file']}:{e.get('service_name') or ''}"


@pytest.mark.skipif(not MANIFEST, reason=no_shared(CONF / "manifest.json"))
@pytest.mark.parametrize("entry", MANIFEST, ids=[_entry_id(e) for e in MANIFEST])
def test_conformance(entry: dict) -> None:
    result = run_case(CASES, entry, hostform_generate())
    assert result.passed, result.why
