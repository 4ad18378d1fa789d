"""`hostform units --podman V` says exactly what podman V's real generator writes on the VM.

For the example, the reference deployment and every project fixture, built for podman 5.4, 5.8 and
6.1: the bundle's quadlet files (as Ignition would write them under /etc/containers/systemd) are laid
out in a directory and given to the real generator of that release; every service it writes must be
printed by `hostform units`, with the same text (the argument runs podman emits from Go maps compared
as such, tests/quadlet/exact.py), and nothing else.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostform import pipeline
from hostform.host.checks import Context
from hostform.quadlet.realgen import parse_dryrun
from tests.quadlet.conftest import _real as real_generator
from tests.quadlet.exact import canonical
from tests.require import SHARED

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = [ROOT / "examples" / "tinkerbell", *sorted(p for p in (ROOT / "tests" / "projects").iterdir() if p.is_dir())]
TINKERBELL = SHARED / "reference" / "tinkerbell"
VERSIONS = ("5.4", "5.8", "6.1")
_HEAD = re.compile(r"^# /run/systemd/generator/(\S+)(?: \(from .*\))?$", re.M)


def _units(d: Path, version: str) -> dict[str, str]:
    """What `hostform units DIR --podman VERSION` prints: service name -> text (system scope)."""
    proc = subprocess.run(
        [sys.executable, "-m", "hostform", "units", str(d), "--podman", version], capture_output=True, text=True, timeout=120
    )
    parts = _HEAD.split(proc.stdout)  # [before, name, "\n" text ("\n" between units), name, ...]
    last = len(parts) - 2
    return {parts[i]: parts[i + 1][1:] if i == last else parts[i + 1][1:-1] for i in range(1, len(parts), 2)}


def _real(binary: Path, d: Path, version: str, tmp: Path) -> dict[str, str]:
    """The real generator over the bundle's system-scope quadlet files, laid out as on the VM."""
    ctx = Context(pipeline.build(d, pipeline.Options(podman=version, caddy="off", checks=False)))
    root = tmp / "etc-containers-systemd"
    root.mkdir()
    for q in ctx.quadlets:
        if q.scope == "system":
            dest = root / q.rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(q.file.text)
    env = {"QUADLET_UNIT_DIRS": str(root), "PODMAN": "/usr/bin/podman"}
    proc = subprocess.run([str(binary), "-dryrun"], env=env, capture_output=True, text=True, timeout=60)
    return {name: text.replace(str(root), "/etc/containers/systemd") for name, text in parse_dryrun(proc.stdout).items()}


def _projects() -> list[object]:
    params: list[object] = [pytest.param(p, id=p.name) for p in PROJECTS]
    if TINKERBELL.is_dir():
        params.append(pytest.param(TINKERBELL, id="shared-reference"))
    return params


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("project", _projects())
def test_units_are_the_real_generators(tmp_path: Path, project: Path, version: str) -> None:
    binary = real_generator(version)
    real = _real(binary, project, version, tmp_path)
    ours = _units(project, version)
    if not real:
        assert not ours
        return
    assert sorted(ours) == sorted(real)
    for name, text in real.items():
        assert canonical(ours[name], version) == canonical(text, version), name


def test_the_comparison_is_not_empty(tmp_path: Path) -> None:
    """Not vacuous: from the example the real generator writes its services, Caddy's among them."""
    real = _real(real_generator("6.1"), PROJECTS[0], "6.1", tmp_path)
    assert "caddy.service" in real and len(real) >= 3
