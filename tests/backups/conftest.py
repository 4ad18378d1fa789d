"""A real restic and a real SFTP server for ``hostform backups list|check``.

restic: tests/go/restic (built from its Go module) when the tree has it, else ``restic`` on PATH (Debian's:
``apt-get install restic``). The repository is reached the way a host's is: ``sftp:`` through Debian's
openssh-server (``sshd``), run by the test on a free loopback port as the current user, with its own host
key and one authorized key. hostform.yaml's schema takes no local path as a repository (the VM could not
reach it), and sftp is the scheme that makes hostform write files (the key, known_hosts), so it is the one
tested here; the repository is made and filled by restic directly on the directory sshd serves.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.require import go_helper, need

ROOT = Path(__file__).resolve().parents[2]
SSHD = "/usr/sbin/sshd"


@pytest.fixture(scope="session")
def restic_bin() -> str:
    if (ROOT / "tests" / "go" / "restic").is_dir():
        return go_helper("restic")
    found = shutil.which("restic")
    if found is None:
        need("restic is not installed (apt-get install restic)")
    assert found is not None
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Sftp:
    """A running sshd: the user it lets in, its port, the client's private key, known_hosts' line."""

    user: str
    port: int
    client_key: bytes
    known_hosts: str
    log: Path

    def repository(self, path: Path) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}/{path}"


@pytest.fixture(scope="session")
def sftp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sftp]:
    if not os.access(SSHD, os.X_OK) or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        need("Debian's openssh-server and openssh-client are not installed (apt-get install openssh-server)")
    import pwd

    d = tmp_path_factory.mktemp("sshd")
    user = pwd.getpwuid(os.getuid()).pw_name
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(d / name)], check=True)
    (d / "authorized_keys").write_text((d / "client.pub").read_text())
    if os.getuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    port = _free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nAllowUsers {user}\n"
        "Subsystem sftp internal-sftp\n")
    log = d / "sshd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd_config")], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start:\n{log.read_text()}")
                time.sleep(0.05)
        host_key = " ".join((d / "host.pub").read_text().split()[:2])
        yield Sftp(user, port, (d / "client").read_bytes(), f"[127.0.0.1]:{port} {host_key}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
