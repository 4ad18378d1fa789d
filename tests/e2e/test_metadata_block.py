"""On a booted machine: a host with secrets keeps its containers from the metadata service, and a job
that runs past its `timeout` is stopped (issue 13, items 2 and 8).

A host built by `hostform build` with an embedded secret, a service and a job. The test machine
stands in for a cloud's metadata service in its own network namespace only: 169.254.169.254 and
fd00:ec2::254 as addresses of its loopback interface (local addresses, as a dummy interface would
give, with no kernel module to load), and busybox httpd serving the secret as user data there.
On podman 5.4 and 5.8:
- the host reads it (IPv4 and IPv6), the service's container cannot (its own network, IPv4), and
  neither can a container on a network with IPv6 (`podman network create --ipv6`, both addresses);
- control: with hostform's table deleted the same containers do read it (so the test can fail), and
  loading the file again blocks them again;
- the rule was loaded before the service started, and the service requires it;
- the job, which hangs, is stopped after its `timeout` (5 s): its unit fails with Result=timeout,
  the rest of its run never happens, and the next run starts on schedule.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hostform import oci
from hostform._runner import wait_until
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine
from tests.e2e._site import PODMANS

pytestmark = pytest.mark.e2e

SECRET = "user-data: the token is s3cret-7f2c"
HOST = """\
name: tryhost
podman: "{podman}"
butane_version: 1.4.0
services:
  app:
    image: {registry}/app:latest
    port: 8080
    secrets: [token]
jobs:
  hang:
    image: {registry}/app:latest
    command: [sh, -c, "trap 'exit 143' TERM; echo start >> /out/runs; sleep 600 & wait; echo done >> /out/runs"]
    schedule: "*:*:0/15"
    timeout: 5s
    volumes: {{runs: /out}}
secrets:
  token: {{file: token.txt, embed: true}}
"""
BUSYBOX = "/usr/local/bin/busybox"  # copied into the machine: its root filesystem has no HTTP server or client
V4, V6 = "169.254.169.254", "fd00:ec2::254"
URLS = {V4: f"http://{V4}/latest/user-data", V6: f"http://[{V6}]/latest/user-data"}


def _fake_metadata_service(m: Machine) -> None:
    """The metadata service, inside the machine's own network namespace (nothing listens outside it)."""
    for argv in (
        ["ip", "addr", "add", f"{V4}/32", "dev", "lo"],
        ["ip", "-6", "addr", "add", f"{V6}/128", "dev", "lo"],
        ["mkdir", "-p", "/srv/meta/latest"],
        # the user data as the cloud would serve it: holding the secret (its file on the VM is gone by now:
        # hostform-secrets.service gave it to podman)
        ["sh", "-c", f"printf %s '{SECRET}' > /srv/meta/latest/user-data"],
        ["systemd-run", "--unit=fake-metadata", BUSYBOX, "httpd", "-f", "-p", "80", "-h", "/srv/meta"],
    ):
        m.exec(argv)


def _host_reads(m: Machine, addr: str) -> str:
    res = m.exec([BUSYBOX, "wget", "-q", "-O", "-", "-T", "5", URLS[addr]], check=False, timeout=30)
    return res.stdout if res.ok else f"failed: {res.stderr}"


def _container_reads(m: Machine, how: list[str], addr: str) -> str | None:
    """What a container (``podman exec app`` or a ``podman run`` on a network) reads there; None: nothing."""
    res = m.exec(["podman", *how, "wget", "-q", "-O", "-", "-T", "5", URLS[addr]], check=False, timeout=60)
    return res.stdout if res.ok else None


def _monotonic(m: Machine, unit: str, prop: str) -> int:
    return int(m.exec(["systemctl", "show", "-P", prop, unit]).stdout.strip() or 0)


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_containers_cannot_reach_the_metadata_service_and_a_hung_job_is_stopped(
    runner, cache, busybox, registry, machines, build_host, variant: str, podman: str, tmp_path: Path
) -> None:
    oci.push(oci.page_image(busybox, 8080, "app\n"), registry.address, "app")
    registry_in_guest = C.registry_name_in_guest()
    ign = build_host(tmp_path / "host", HOST.format(registry=registry_in_guest, podman=podman), {"token.txt": SECRET + "\n"})
    state = tmp_path / "state"
    m = Machine(ign, tmp_path / "m", cache, runner, registry_port=registry.port, state_dir=state)
    m.variant = variant
    machines.append(m)
    root = m.provision()
    shutil.copy(cache.busybox(), root / BUSYBOX.lstrip("/"))
    m.boot()
    assert m.wait_active("app.service", 180), m.exec(["journalctl", "-b", "--no-pager", "-n", "80"], check=False).stdout

    # loaded before the service started, which requires it (the unit's RequiredBy=, enabled by Ignition)
    unit = "hostform-metadata-block.service"
    assert m.is_active(unit) == "active"
    assert 0 < _monotonic(m, unit, "ActiveEnterTimestampMonotonic") <= _monotonic(m, "app.service", "ExecMainStartTimestampMonotonic")
    assert unit in m.exec(["systemctl", "show", "-P", "Requires", "app.service"]).stdout.split()

    _fake_metadata_service(m)
    assert wait_until(lambda: _host_reads(m, V4).strip() == SECRET, 20, 0.5), _host_reads(m, V4)
    assert _host_reads(m, V6).strip() == SECRET
    m.exec(["podman", "network", "create", "--ipv6", "hfv6"])
    in_app = ["exec", "app"]
    on_v6 = ["run", "--rm", "--network", "hfv6", f"{registry_in_guest}/app:latest"]
    tries = [(in_app, V4), (on_v6, V4), (on_v6, V6)]

    def blocked() -> list[str | None]:
        return [_container_reads(m, how, addr) for how, addr in tries]

    assert blocked() == [None, None, None]
    # control: without hostform's table the same containers read the user data
    m.exec(["nft", "delete", "table", "inet", "hostform_metadata"])
    assert [(x or "").strip() for x in blocked()] == [SECRET] * 3
    # loading the file again (twice: it replaces its own table) blocks them again
    for _ in range(2):
        m.exec(["nft", "-f", "/etc/hostform/metadata-block.nft"])
    assert blocked() == [None, None, None]
    assert _host_reads(m, V4).strip() == SECRET

    # the hung job: stopped after 5 s, failed for its timeout, and run again on schedule
    runs = state / "volumes" / "runs" / "runs"
    assert wait_until(lambda: runs.is_file() and runs.read_text().split().count("start") >= 2, 90, 1), (
        m.exec(["journalctl", "-b", "--no-pager", "-u", "hang.service", "-u", "hang.timer"], check=False).stdout
    )
    assert wait_until(lambda: m.is_active("hang.service") == "failed", 30, 0.5), m.is_active("hang.service")
    assert m.exec(["systemctl", "show", "-P", "Result", "hang.service"]).stdout.strip() == "timeout"
    assert "done" not in runs.read_text().split()
    took = _monotonic(m, "hang.service", "InactiveEnterTimestampMonotonic") - _monotonic(m, "hang.service", "ExecMainStartTimestampMonotonic")
    assert 5_000_000 <= took < 30_000_000, took
