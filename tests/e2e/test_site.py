"""Scenarios a and d: a host file built by `hostform build` boots; the site answers through Caddy
over HTTPS (internal CA), its service running as a non-root user that writes to its own volume. Its state volume is a real block device (a loop device at /dev/vdb, the
host's default state.device) that starts blank: the host's own units format it on the first boot;
a replacement (fresh root filesystem, same device) keeps Caddy's certificates and the services'
data, and does not format it again. A device with a foreign signature is never formatted."""

from __future__ import annotations

import os
import shutil
import ssl
import struct
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform._runner import wait_until
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine, free_port, https_get
from tests.e2e._site import PODMANS, boot_site

pytestmark = pytest.mark.e2e

HOST = """\
name: tryhost
podman: "{podman}"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    user: "1000"
    volumes: {{data: /data}}
    health: {{http: /}}
sites:
  site.test: site
tls: {{email: me@example.org, ca: internal}}
"""

STATE = "/var/mnt/state"  # state.path's default
DEVICE = "/dev/vdb"  # state.device's default: where the machine gets its state disk
PREPARE = "hostform-state-prepare.service"
MOUNT = "var-mnt-state.mount"
ROOT_CA = "caddy/data/caddy/pki/authorities/local/root.crt"  # under the state directory
LEAF = "caddy/data/caddy/certificates/local/site.test/site.test.crt"


def serial(der: bytes) -> int:
    """The serial number of a DER certificate (tbsCertificate's first INTEGER after the version)."""

    def tlv(b: bytes, i: int) -> tuple[int, int, int]:  # tag, start of value, end of value
        tag, n = b[i], b[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[i : i + k], "big")
            i += k
        return tag, i, i + n

    _, cert, _ = tlv(der, 0)
    _, tbs, _ = tlv(der, cert)
    tag, v, end = tlv(der, tbs)
    if tag == 0xA0:  # [0] version
        tag, v, end = tlv(der, end)
    assert tag == 0x02
    return int.from_bytes(der[v:end], "big")


def prepare_log(m: Machine) -> str:
    """What hostform-state-prepare said on this boot of the machine."""
    return m.exec(["journalctl", "-b", "-u", PREPARE, "--no-pager", "-o", "cat"]).stdout


def read_state(m: Machine, rel: str) -> str:
    return m.exec(["cat", f"{STATE}/{rel}"]).stdout


def wait_https(m: Machine, body: str, timeout: float = 60) -> tuple[int, str]:
    end = time.monotonic() + timeout
    got: tuple[int, str] = (0, "")
    while time.monotonic() < end:
        got = m.get("https://site.test/", resolve=f"site.test:443:{m.address}", insecure=True)
        if got == (200, body):
            break
        time.sleep(0.5)
    return got


# scenario g: the same with podman 5.8 (Fedora CoreOS stable's, hostform's default target) from Debian sid
@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_site_through_caddy_https_and_replacement(
    runner, cache, busybox, caddy_image, registry, machines, loop_disks, build_host, variant: str, podman: str, tmp_path: Path
) -> None:
    oci.push(oci.page_image(busybox, 8080, "hello from the site\n"), registry.address, "site")
    oci.push(caddy_image, registry.address, "caddy", "2")
    ign = build_host(tmp_path / "host", HOST.format(registry=C.registry_name_in_guest(), podman=podman))
    disk = loop_disks()
    assert disk.probe() == {}, "the state disk must start blank"

    # scenario a: built host -> boot -> HTTPS through Caddy with the right content
    t0 = time.monotonic()
    m1 = boot_site(runner, cache, registry, machines, ign, tmp_path / "m1", disk=disk.device, variant=variant)
    assert m1.exec(["podman", "--version"]).stdout.startswith(f"podman version {podman}.")
    assert wait_https(m1, "hello from the site\n") == (200, "hello from the site\n")
    print(f"a: served over HTTPS {time.monotonic() - t0:.1f}s after provisioning started; {m1.timings}")
    # the state volume is the block device, formatted by the host's own unit on this first boot
    assert m1.exec(["findmnt", "-n", "-o", "SOURCE,FSTYPE", STATE]).stdout.split() == [DEVICE, "ext4"]
    first = prepare_log(m1)
    assert f"{DEVICE} is blank: making an ext4 file system" in first, first
    # the chain verifies against Caddy's internal root (on the state volume) for the name
    root_ca = tmp_path / "root.crt"
    root_ca.write_text(read_state(m1, ROOT_CA))
    assert m1.get("https://site.test/", resolve=f"site.test:443:{m1.address}", cacert=root_ca) == (200, "hello from the site\n")
    port1 = free_port()
    m1.publish(port1, 443)
    der1 = _wait_tls(port1, root_ca)
    leaf1 = read_state(m1, LEAF)
    assert ssl.DER_cert_to_PEM_cert(der1).strip() in leaf1
    ports = {(x.proto, x.port) for x in m1.listeners() if not x.addr.startswith("127.")}
    assert ("tcp", 22) not in ports and {("tcp", 80), ("tcp", 443)} <= ports
    # a service's data on its volume, written by the service's own (non-root) user: the volume is its
    m1.exec(["podman", "exec", "site", "sh", "-c", "echo kept > /data/note"])
    assert m1.exec(["podman", "exec", "site", "id", "-u"]).stdout == "1000\n"
    assert m1.exec(["stat", "-c", "%u", f"{STATE}/volumes/data"]).stdout == "1000\n"

    # scenario d: a replacement boots a fresh root filesystem with the same device
    m1.stop()
    assert m1.root is not None
    shutil.rmtree(m1.root)
    made = disk.probe()
    assert (made["TYPE"], made["LABEL"]) == ("ext4", "hostform-state"), made
    t1 = time.monotonic()
    m2 = boot_site(runner, cache, registry, machines, ign, tmp_path / "m2", disk=disk.device, variant=variant)
    assert m2.root != m1.root
    assert wait_https(m2, "hello from the site\n") == (200, "hello from the site\n")
    print(f"d: replacement served over HTTPS {time.monotonic() - t1:.1f}s after provisioning started")
    again = prepare_log(m2)
    assert f"{DEVICE} already has a file system: keeping it" in again, again
    assert "making" not in again, again
    assert disk.probe()["UUID"] == made["UUID"], "the state disk was formatted again"
    port2 = free_port()
    m2.publish(port2, 443)
    der2 = _wait_tls(port2, root_ca)  # the same internal root still verifies the chain
    assert read_state(m2, LEAF) == leaf1, "Caddy's certificate file changed"
    assert serial(der2) == serial(der1), "Caddy served a new certificate after the replacement"
    assert der2 == der1
    assert m2.exec(["podman", "exec", "site", "cat", "/data/note"]).stdout == "kept\n"


def _mbr(size_mib: int) -> bytes:
    """A DOS partition table with one Linux partition over the disk (no file system in it)."""
    entry = bytes([0, 0, 0, 0, 0x83, 0, 0, 0]) + struct.pack("<II", 2048, (size_mib << 11) - 2048)
    return bytes(446) + entry + bytes(48) + b"\x55\xaa"


@pytest.mark.parametrize("signature", ["swap", "partition table"])
def test_a_foreign_signature_is_never_formatted(runner, cache, machines, loop_disks, build_host, signature: str, tmp_path: Path) -> None:
    """The host's prepare unit keeps what blkid finds (swap space, a partition table) and never runs mkfs
    on it: the mount fails (not ext4), and the signature is still there after the machine is gone."""
    disk = loop_disks(size_mib=64)
    if signature == "swap":
        runner.run(["mkswap", disk.device])
    else:
        with open(disk.device, "r+b") as dev:
            dev.write(_mbr(64))
            dev.flush()
            os.fsync(dev.fileno())
    before = disk.probe()
    assert before.get("TYPE") == "swap" if signature == "swap" else before.get("PTTYPE") == "dos", before
    ign = build_host(tmp_path / "host", HOST.format(registry=C.registry_name_in_guest(), podman="5.4"))
    m = Machine(ign, tmp_path / "m", cache, runner, state_disk=disk.device)
    machines.append(m)
    m.provision()
    m.boot()
    journal = ["journalctl", "-b", "--no-pager", "-n", "60"]
    assert wait_until(lambda: m.is_active(MOUNT) == "failed", 120, 0.5), m.exec(journal, check=False).stdout
    log = prepare_log(m)
    assert m.is_active(PREPARE) == "active"
    assert f"{DEVICE} already has a file system: keeping it" in log and "making" not in log, log
    assert m.is_active("site.service") != "active"  # its data would be on the root disk
    m.stop()
    assert disk.probe() == before


def _wait_tls(port: int, cafile: Path, timeout: float = 30) -> bytes:
    end = time.monotonic() + timeout
    while True:
        try:
            der, text = https_get(port, "site.test", cafile)
            assert text.startswith("HTTP/1.1 200") and text.endswith("hello from the site\n"), text
            return der
        except (OSError, ssl.SSLError):
            if time.monotonic() > end:
                raise
            time.sleep(0.5)
