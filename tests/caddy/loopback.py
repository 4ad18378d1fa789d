"""A Caddyfile `hostform build` wrote, served by the real Caddy on loopback.

Only what a machine without containers cannot have is changed in the served copy: the ports, the
address it binds, where it keeps its certificates (its own local CA), no admin endpoint, and the
upstream's address (a container name on the VM). Caddy runs under `timeout`, so it stops by itself
even if the test dies."""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hostform.tryout.harness import free_port

__all__ = ["serve"]


@contextlib.contextmanager
def serve(caddy_bin: Path, text: str, tmp: Path, upstream: str, upstream_port: int,
          ready: Callable[[int, Path], object], seconds: int = 120) -> Iterator[tuple[int, Path]]:
    """Serve ``text`` with ``reverse_proxy UPSTREAM {`` sent to 127.0.0.1:``upstream_port``; yields (https port, the
    local CA's root) once ``ready(port, root)`` returned without an error."""
    http_port, https_port = free_port(), free_port()
    store = tmp / "store"
    assert "\tstorage file_system /data/caddy\n" in text and f"reverse_proxy {upstream} {{" in text
    text = text.replace("\tstorage file_system /data/caddy\n", f"\tstorage file_system {store}\n\tadmin off\n"
                        f"\thttp_port {http_port}\n\thttps_port {https_port}\n\tdefault_bind 127.0.0.1\n")
    text = text.replace(f"reverse_proxy {upstream} {{", f"reverse_proxy 127.0.0.1:{upstream_port} {{")
    (tmp / "Caddyfile").write_text(text)
    env = {"HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(["timeout", str(seconds), str(caddy_bin), "run", "--config", str(tmp / "Caddyfile"), "--adapter", "caddyfile"],
                            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        root = store / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 60
        while True:
            try:
                ready(https_port, root)
                break
            except (OSError, ssl.SSLError, IndexError, ValueError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"Caddy did not serve the site: {proc.communicate()[1].decode()[-3000:]}")
                time.sleep(0.2)
        yield https_port, root
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
