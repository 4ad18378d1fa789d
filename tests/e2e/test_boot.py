"""Scenario a (plain HTTP part): a plain Butane project, built by `hostform build` as a user's own
main.bu is, boots in nspawn with the real Ignition and serves."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine
from tests.e2e.conftest import HOSTFORM

pytestmark = pytest.mark.e2e

BUTANE = """\
variant: fcos
version: 1.4.0
passwd:
  users:
    - name: core
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      overwrite: true
      contents:
        inline: tryhost
    - path: /etc/containers/systemd/site.container
      mode: 0644
      contents:
        inline: |
          [Unit]
          Description=the site
          [Container]
          Image={registry}/site:latest
          ContainerName=site
          PublishPort=8080:8080
          AutoUpdate=registry
          StopTimeout=2
          [Service]
          Restart=on-failure
          TimeoutStartSec=300
          [Install]
          WantedBy=multi-user.target
systemd:
  units:
    - name: podman-auto-update.timer
      enabled: true
"""


def test_butane_host_boots_and_serves(runner, cache, busybox, registry, machines, site_image, tmp_path: Path) -> None:
    oci.push(site_image(busybox, "v1"), registry.address, "site")
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.bu").write_text(BUTANE.format(registry=C.registry_name_in_guest()))
    built = subprocess.run([*HOSTFORM, "build", str(project), "-o", str(tmp_path / "out"), "-q"], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    ign = tmp_path / "out" / "main.ign"
    m = Machine(ign, tmp_path / "m", cache, runner, registry_port=registry.port)
    machines.append(m)
    m.provision()
    t0 = time.monotonic()
    m.boot()
    assert m.wait_active("site.service", 120), m.exec(["journalctl", "-u", "site.service", "--no-pager"], check=False).stdout
    served = time.monotonic() - t0
    assert m.exec(["hostname"]).stdout.strip() == "tryhost"
    assert m.exec(["id", "-u", "core"]).ok
    code, body = m.get(f"http://{m.address}:8080/index.html")
    assert (code, body) == (200, "hello from v1\n")
    print(f"timings: {m.timings} site served {served:.1f}s after nspawn start")

    # this hand-written Butane masks nothing: sshd listens, as on Fedora CoreOS (hostform's masking: test_ssh.py)
    ports = {(x.proto, x.port) for x in m.listeners()}
    assert ("tcp", 22) in ports
    assert ("tcp", 8080) in ports
