"""Scenario e: port 22 for real. The test root filesystem has openssh-server enabled under Fedora
CoreOS's unit names, so on a host built without `access.ssh_keys` only hostform's masking keeps port
22 closed (a client outside the machine is refused); with `access.ssh_keys` it answers with an SSH
banner."""

from __future__ import annotations

import base64
import os
import struct
import sys
from pathlib import Path

import pytest

from hostform._runner import wait_until
from hostform.tryout.harness import Machine

pytestmark = pytest.mark.e2e

HOST = """\
name: sshhost
podman: "5.4"
butane_version: 1.4.0
"""

# What a client outside the machine sees on HOST:PORT: "refused", "open <first line>", or "error ...".
PROBE = """\
import socket, sys
s = socket.socket()
s.settimeout(5)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except ConnectionRefusedError:
    print("refused")
    sys.exit(0)
except OSError as e:
    print("error", e)
    sys.exit(0)
data = b""
try:
    while b"\\n" not in data:
        chunk = s.recv(256)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
print("open", data.decode(errors="replace").splitlines()[0] if data else "")
"""


def probe(m: Machine, port: int) -> str:
    """Connect to the machine's address from the outer namespace (where the world is)."""
    return m.outside([sys.executable, "-c", PROBE, m.address, str(port)], check=True, timeout=20).stdout.strip()


def ed25519_key() -> str:
    """A well-formed OpenSSH public key line (random: nobody holds its private key)."""
    kind = b"ssh-ed25519"
    blob = struct.pack(">I", len(kind)) + kind + struct.pack(">I", 32) + os.urandom(32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} e2e@hostform"


def boot(runner, cache, machines, build_host, directory: Path, host_yaml: str) -> Machine:
    ign = build_host(directory / "host", host_yaml)
    m = Machine(ign, directory / "m", cache, runner)
    machines.append(m)
    m.provision()
    m.boot()
    # multi-user.target is ordered after every unit it wants: sshd, if enabled, has started by then
    journal = ["journalctl", "-b", "--no-pager", "-n", "60"]
    assert m.wait_active("multi-user.target", 180), m.exec(journal, check=False).stdout
    return m


def test_port_22_is_closed_without_ssh_keys(runner, cache, machines, build_host, tmp_path: Path) -> None:
    m = boot(runner, cache, machines, build_host, tmp_path, HOST)
    assert probe(m, 22) == "refused"
    assert 22 not in {x.port for x in m.listeners() if x.proto == "tcp"}
    show = m.exec(["systemctl", "show", "-p", "LoadState", "--value", "sshd.service", "sshd.socket"]).stdout.split()
    assert show == ["masked", "masked"]
    # the control: the machine's own sshd answers once the masking is lifted, so the masking was what kept 22 closed
    m.exec(["systemctl", "unmask", "sshd.service", "sshd.socket"])
    m.exec(["systemctl", "start", "sshd.service"])
    assert probe(m, 22).startswith("open SSH-2.0-")


def test_port_22_answers_with_ssh_keys(runner, cache, machines, build_host, tmp_path: Path) -> None:
    key = ed25519_key()
    m = boot(runner, cache, machines, build_host, tmp_path, HOST + f"access:\n  ssh_keys: [{key!r}]\n")
    assert m.is_active("sshd.service") == "active"
    assert wait_until(lambda: probe(m, 22).startswith("open SSH-2.0-"), 30, 1), probe(m, 22)
    # Ignition wrote the key where Fedora CoreOS's sshd finds it (ssh-key-dir reads authorized_keys.d)
    assert key in m.exec(["cat", "/home/core/.ssh/authorized_keys.d/ignition"]).stdout
