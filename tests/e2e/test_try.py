"""`hostform try` on the bundled example, offline: stand-in images, Caddy on the internal CA,
--detach then --stop (what the Terraform local target runs)."""

from __future__ import annotations

import json
import os
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


STATUS_HOST = """\
name: tryhost
butane_version: 1.4.0
recipients: [{recipient}]
services:
  web: {{image: registry.example.org/web:1, port: 8080}}
sites:
  web.test: web
tls: {{email: me@example.org, ca: internal}}
status:
  token: {{secret: status-token}}
"""


def test_try_prints_how_status_reaches_its_machine_and_it_does(runner, cache, tmp_path: Path) -> None:
    """A host with `status:` (issue 14): what `hostform try` prints for `hostform status`, run as printed with the
    user's identity, answers (exit 0) with the machine's service; so do `logs` and `update` with the same options."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    d = tmp_path / "host"
    d.mkdir()
    key = subprocess.run([*HOSTFORM, "secret", "keygen"], env=env, capture_output=True, text=True, timeout=60)
    assert key.returncode == 0, key.stderr
    (d / "hostform.yaml").write_text(STATUS_HOST.format(recipient=key.stdout.strip()))
    s = subprocess.run([*HOSTFORM, "secret", "set", "status-token", str(d)], env=env, input="tok-try-0123456789abcdef",
                       capture_output=True, text=True, timeout=60)
    assert s.returncode == 0, s.stderr
    res = subprocess.run([*HOSTFORM, "try", str(d), "--stand-in", "--detach"], env=env, capture_output=True, text=True, timeout=600)
    name = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    try:
        assert res.returncode == 0, res.stdout + res.stderr
        m = re.search(r"^status, logs and update: hostform status (.*) \(the same options", res.stdout, re.M)
        assert m, res.stdout
        argv = m.group(1).split()
        assert argv[0] == str(d) and "--cacert" in argv, argv
        for cmd, extra in (("status", ["--format", "json"]), ("logs", ["web"]), ("update", [])):
            got = subprocess.run([*HOSTFORM, cmd, *argv, *extra], env=env, capture_output=True, text=True, timeout=120)
            assert got.returncode == 0, (cmd, got.stdout, got.stderr)
            if cmd == "status":
                assert [x["name"] for x in json.loads(got.stdout)["services"]] == ["web"], got.stdout
                assert json.loads(got.stdout)["services"][0]["state"] == "running", got.stdout
    finally:
        if name:
            stop = subprocess.run([*HOSTFORM, "try", "--stop", name], capture_output=True, text=True, timeout=120)
            assert stop.returncode == 0, stop.stderr
