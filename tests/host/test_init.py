"""`services.NAME.init`: catatonit as the container's PID 1 (`RunInit=true`), as podman's real generators run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hostform.quadlet.realgen import run_real
from hostform.quadlet.unitfile import parse_text
from tests.quadlet.conftest import _real as real_generator
from tests.systemd_exec import exec_argv

HOST = """\
name: h
podman: "{podman}"
services:
  web: {{image: ghcr.io/example/web:1, port: 8080, init: true}}
  db: {{image: ghcr.io/example/db:1}}
"""


@pytest.mark.parametrize("version", ["5.4", "5.8"])
def test_init_runs_the_container_with_podmans_init(tmp_path: Path, version: str) -> None:
    (tmp_path / "hostform.yaml").write_text(HOST.format(podman=version))
    built = subprocess.run([sys.executable, "-m", "hostform", "build", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    code, units, stderr = run_real(tmp_path / "build" / "quadlets", binary=real_generator(version), version=version)
    assert code == 0, stderr
    runs = {}
    for name in ("web", "db"):
        (run,) = [v for v in parse_text(units[f"{name}.service"], "x.service").lookup_all_raw("Service", "ExecStart") if " run " in v]
        runs[name] = exec_argv(run)
    assert "--init" in runs["web"] and "--init" not in runs["db"], runs
