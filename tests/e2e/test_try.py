"""`hostform try` on the bundled example, offline: stand-in images, Caddy on the internal CA,
--detach then --stop (what the Terraform local target runs)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostform.tryout.harness import machines_dir

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HOSTFORM = [sys.executable, "-m", "hostform"]


def test_try_detach_serves_the_example_and_stop_removes_it(runner, cache) -> None:
    res = subprocess.run([*HOSTFORM, "try", str(ROOT / "examples/tinkerbell"), "--stand-in", "--detach"],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    name = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    try:
        assert res.returncode == 0, res.stdout + res.stderr
        assert re.fullmatch(r"hf-[0-9a-f]{6}", name), res.stdout
        assert "STAND-IN IMAGES" in res.stdout
        assert (machines_dir() / name / "machine.json").is_file()
        assert (machines_dir() / name).stat().st_mode & 0o777 == 0o700  # the build in it holds env values and secrets
        curls = dict(re.findall(r"^  (\S+): (curl .*)$", res.stdout, re.M))
        assert set(curls) == {"soap.coffee", "staging.soap.coffee"}, res.stdout
        for site, service in (("soap.coffee", "live"), ("staging.soap.coffee", "staging")):
            argv = curls[site].split()  # --resolve NAME:PORT:127.0.0.1 --cacert ROOT.crt https://NAME:PORT/
            assert "--cacert" in argv, "the internal root CA is in the state directory"
            got = subprocess.run([*argv, "-sS", "--max-time", "10"], capture_output=True, text=True)
            assert got.returncode == 0 and f"stand-in for {service}</h1>" in got.stdout, got.stderr
    finally:
        if name:
            stop = subprocess.run([*HOSTFORM, "try", "--stop", name], capture_output=True, text=True, timeout=120)
            assert stop.returncode == 0, stop.stderr
    assert not (machines_dir() / name).exists()
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert name not in netns
    left = subprocess.run(["pgrep", "-af", f"hf-{name[3:]}|machines/{name}"], capture_output=True, text=True).stdout
    assert not left.strip(), left
