"""Scenarios a and d: a host file built by `hostform build` boots; the site answers through Caddy
over HTTPS (internal CA); a replacement (fresh root filesystem, same state directory) keeps
Caddy's certificates and the services' data."""

from __future__ import annotations

import shutil
import ssl
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine, free_port, https_get
from tests.e2e._site import boot_site

pytestmark = pytest.mark.e2e

HOST = """\
name: tryhost
podman: "5.4"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    volumes: {{data: /data}}
    health: {{http: /}}
sites:
  site.test: site
tls: {{email: me@example.org, ca: internal}}
"""

STATE = "/var/mnt/state"  # state.path's default
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


def wait_https(m: Machine, body: str, timeout: float = 60) -> tuple[int, str]:
    end = time.monotonic() + timeout
    got: tuple[int, str] = (0, "")
    while time.monotonic() < end:
        got = m.get("https://site.test/", resolve=f"site.test:443:{m.address}", insecure=True)
        if got == (200, body):
            break
        time.sleep(0.5)
    return got


def test_site_through_caddy_https_and_replacement(
    runner, cache, busybox, caddy_image, registry, machines, build_host, tmp_path: Path
) -> None:
    oci.push(oci.page_image(busybox, 8080, "hello from the site\n"), registry.address, "site")
    oci.push(caddy_image, registry.address, "caddy", "2")
    ign = build_host(tmp_path / "host", HOST.format(registry=C.registry_name_in_guest()))
    state = tmp_path / "state"

    # scenario a: built host -> boot -> HTTPS through Caddy with the right content
    t0 = time.monotonic()
    m1 = boot_site(runner, cache, registry, machines, ign, tmp_path / "m1", state)
    assert wait_https(m1, "hello from the site\n") == (200, "hello from the site\n")
    print(f"a: served over HTTPS {time.monotonic() - t0:.1f}s after provisioning started; {m1.timings}")
    # the chain verifies against Caddy's internal root (read from the state directory) for the name
    assert m1.get("https://site.test/", resolve=f"site.test:443:{m1.address}", cacert=state / ROOT_CA) == (
        200,
        "hello from the site\n",
    )
    port1 = free_port()
    m1.publish(port1, 443)
    der1 = _wait_tls(port1, state / ROOT_CA)
    leaf1 = (state / LEAF).read_bytes()
    assert ssl.DER_cert_to_PEM_cert(der1).strip() in leaf1.decode()
    ports = {(x.proto, x.port) for x in m1.listeners() if not x.addr.startswith("127.")}
    assert ("tcp", 22) not in ports and {("tcp", 80), ("tcp", 443)} <= ports
    # a service's data on its volume
    m1.exec(["podman", "exec", "site", "sh", "-c", "echo kept > /data/note"])

    # scenario d: a replacement boots a fresh root filesystem with the same state directory
    m1.stop()
    assert m1.root is not None
    shutil.rmtree(m1.root)
    t1 = time.monotonic()
    m2 = boot_site(runner, cache, registry, machines, ign, tmp_path / "m2", state)
    assert m2.root != m1.root
    assert wait_https(m2, "hello from the site\n") == (200, "hello from the site\n")
    print(f"d: replacement served over HTTPS {time.monotonic() - t1:.1f}s after provisioning started")
    port2 = free_port()
    m2.publish(port2, 443)
    der2 = _wait_tls(port2, state / ROOT_CA)
    assert (state / LEAF).read_bytes() == leaf1, "Caddy's certificate file changed"
    assert serial(der2) == serial(der1), "Caddy served a new certificate after the replacement"
    assert der2 == der1
    assert m2.exec(["podman", "exec", "site", "cat", "/data/note"]).stdout == "kept\n"


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
