"""Scenarios b and c: podman-auto-update picks up a new image under the same tag; a broken one is rolled back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine

pytestmark = pytest.mark.e2e

BUTANE = """\
variant: fcos
version: 1.4.0
storage:
  files:
    - path: /etc/containers/systemd/site.container
      mode: 0644
      contents:
        inline: |
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
"""


class Poller:
    """Requests the site in a steady loop from outside the machine; counts answers by body."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.log: list[tuple[float, int, str]] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            code, body = self.m.get(f"http://{self.m.address}:8080/index.html", timeout=1)
            self.log.append((time.monotonic(), code, body))
            time.sleep(0.05)

    def __enter__(self) -> "Poller":
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join(10)

    def failures(self) -> int:
        return sum(1 for _, code, _ in self.log if code != 200)

    def first(self, body: str) -> float | None:
        return next((t for t, code, b in self.log if code == 200 and b == body), None)


def _boot(runner, cache, busybox, registry, machines, build_ignition, site_image, tmp_path: Path) -> Machine:
    oci.push(site_image(busybox, "v1"), registry.address, "site")
    ign = build_ignition(tmp_path, BUTANE.format(registry=C.registry_name_in_guest()))
    m = Machine(ign, tmp_path / "m", cache, runner, registry_port=registry.port)
    machines.append(m)
    m.boot()
    assert m.wait_active("site.service", 120)
    assert wait_body(m, "hello from v1\n", 30)
    return m


def wait_body(m: Machine, body: str, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if m.get(f"http://{m.address}:8080/index.html", timeout=2) == (200, body):
            return True
        time.sleep(0.2)
    return False


def test_auto_update_serves_new_image(runner, cache, busybox, registry, machines, build_ignition, site_image, tmp_path):
    m = _boot(runner, cache, busybox, registry, machines, build_ignition, site_image, tmp_path)
    with Poller(m) as poll:
        time.sleep(0.5)
        t_push = time.monotonic()
        oci.push(site_image(busybox, "v2"), registry.address, "site")
        m.exec(["systemctl", "start", "podman-auto-update.service"], timeout=300)
        t_unit = time.monotonic()
        assert wait_body(m, "hello from v2\n", 60)
        t_seen = time.monotonic()
        time.sleep(3)
    print(f"podman-auto-update.service done {t_unit - t_push:.1f}s after the push, v2 seen {t_seen - t_push:.1f}s")
    served = poll.first("hello from v2\n")
    assert served is not None
    print(f"push-to-served {served - t_push:.1f}s; {poll.failures()} failed of {len(poll.log)} requests during the swap")
    journal = m.exec(["journalctl", "-u", "podman-auto-update.service", "--no-pager"], check=False).stdout
    assert "site.service" in journal or m.is_active("site.service") == "active"


def test_broken_image_is_rolled_back(runner, cache, busybox, registry, machines, build_ignition, site_image, tmp_path):
    m = _boot(runner, cache, busybox, registry, machines, build_ignition, site_image, tmp_path)
    oci.push(site_image(busybox, "v3", broken=True), registry.address, "site")
    verdict = m.auto_update()
    assert verdict.get("site.service") == "rolled back", verdict
    assert m.wait_active("site.service", 60)
    assert wait_body(m, "hello from v1\n", 30)
