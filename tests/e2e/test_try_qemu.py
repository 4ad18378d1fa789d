"""`hostform try --qemu` on the bundled example: the same stand-in host as test_try, booted as a
full VM under QEMU's software emulation (TCG), served over HTTPS through Caddy in the VM;
--stop leaves no QEMU process, image or work directory."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostform.tryout import commands as C
from hostform.tryout.harness import TryError, check_tools, machines_dir
from tests.require import need

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HOSTFORM = [sys.executable, "-m", "hostform"]


@pytest.fixture(scope="module")
def vm_cache(cache):  # noqa: ANN001, ANN201
    try:
        check_tools(C.QEMU_TOOLS)
    except TryError as e:
        need(f"{e} (or run .ci/e2e-setup)")
    cache.ensure_rootfs(variant="vm")
    return cache


def test_try_qemu_serves_the_example_over_https(vm_cache) -> None:  # noqa: ANN001
    t0 = time.monotonic()
    res = subprocess.run([*HOSTFORM, "try", "--qemu", str(ROOT / "examples/tinkerbell"), "--stand-in", "--detach"],
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    name = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    served = 0.0
    try:
        assert res.returncode == 0, res.stdout + res.stderr
        assert re.fullmatch(r"hf-[0-9a-f]{6}", name), res.stdout
        record = (machines_dir() / name / "machine.json").read_text()
        assert '"netns": []' in record  # a VM: no namespaces of ours
        curls = dict(re.findall(r"^  (\S+): (curl .*)$", res.stdout, re.M))
        assert set(curls) == {"soap.coffee", "staging.soap.coffee"}, res.stdout
        for site, service in (("soap.coffee", "live"), ("staging.soap.coffee", "staging")):
            argv = curls[site].split()  # --resolve NAME:PORT:127.0.0.1 --cacert ROOT.crt https://NAME:PORT/
            assert "--cacert" in argv, "the internal root CA was read from the VM's state disk"
            got = subprocess.run([*argv, "-sS", "--max-time", "20"], capture_output=True, text=True)
            assert got.returncode == 0 and f"stand-in for {service}</h1>" in got.stdout, got.stderr
        served = time.monotonic() - t0
    finally:
        if name:
            stop = subprocess.run([*HOSTFORM, "try", "--stop", name], capture_output=True, text=True, timeout=120)
            assert stop.returncode == 0, stop.stderr
    print(f"\nhostform try --qemu: served over HTTPS {served:.0f}s after the command started\n{res.stderr}")
    assert not (machines_dir() / name).exists()
    left = subprocess.run(["pgrep", "-af", f"machines/{name}"], capture_output=True, text=True).stdout
    assert not left.strip(), left
