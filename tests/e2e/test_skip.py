"""Scenario f: a unit the target's quadlet generator skips is reported by `hostform check` before
boot; booted anyway (on podman 5.4), the skip shows on the machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hostform import oci
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine

HOSTFORM = [sys.executable, "-m", "hostform"]

pytestmark = pytest.mark.e2e

# The host file says podman 5.8 (where Memory= exists); the machine has podman 5.4.
HOST = """\
name: skiphost
podman: "5.8"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    publish: ["8080:8080"]
    health: {{http: /}}
quadlets: [extra.container]
"""
EXTRA = """\
[Container]
Image={registry}/site:latest
ContainerName=extra
Memory=64m

[Install]
WantedBy=multi-user.target
"""


def test_skipped_unit_is_reported_before_boot_and_missing_on_the_machine(
    runner, cache, busybox, registry, machines, build_host, tmp_path: Path
) -> None:
    reg = C.registry_name_in_guest()
    oci.push(oci.page_image(busybox, 8080, "site\n"), registry.address, "site")
    ign = build_host(tmp_path / "host", HOST.format(registry=reg), {"extra.container": EXTRA.format(registry=reg)})

    # before boot: the check for the machine's podman names the file, the line and the key
    chk = subprocess.run([*HOSTFORM, "check", str(tmp_path / "host"), "--podman", "5.4"], capture_output=True, text=True)
    assert chk.returncode == 1, chk.stdout + chk.stderr
    assert "extra.container:4:1: error[HF050]: unsupported key 'Memory'" in chk.stdout + chk.stderr

    m = Machine(ign, tmp_path / "m", cache, runner, registry_port=registry.port)
    machines.append(m)
    m.boot()
    assert m.exec(["podman", "--version"]).stdout.split()[-1].startswith("5.4")
    assert m.wait_active("site.service", 120)
    # on the machine: the generator skipped the unit; systemd does not know it
    status = m.exec(["systemctl", "status", "extra.service"], check=False)
    assert status.returncode == 4 and "could not be found" in status.stderr, status
    assert m.exec(["test", "-e", "/run/systemd/generator/extra.service"], check=False).returncode == 1
    # the generator says why (its boot-time message goes to the kernel log, which a container has not)
    dry = m.exec(["/usr/lib/systemd/system-generators/podman-system-generator", "--dryrun"], check=False)
    assert "unsupported key 'Memory' in group 'Container'" in dry.stderr, dry
    assert "extra.container" in dry.stderr
