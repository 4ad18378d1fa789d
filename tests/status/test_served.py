"""The status endpoints as a user meets them: the Caddyfile `hostform build` wrote, served by the real Caddy on
loopback (its own CA, high ports), its /.hostform/ paths proxied to unix sockets this test serves the way
systemd's Accept=yes sockets do (each connection is stdin and stdout of the real script from main.ign, with
stand-ins of the commands); then the `hostform status`, `logs` and `update` commands against it.

Only what a machine without containers cannot have is changed in the served copy: the ports, the bind
address, where Caddy keeps its certificates, no admin endpoint, the upstream's address and the sockets'
directory."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hostform.cli.main import main as cli
from hostform.status import vm
from tests.caddy.loopback import serve

from .conftest import TOKEN, Vm

SITE = "site.test"


class _Upstream(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = f"upstream {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Sockets:
    """One unix socket per endpoint; each connection runs the script with the connection as stdin and stdout."""

    def __init__(self, machine: Vm, directory: Path) -> None:
        self.servers = []
        for name in vm.ENDPOINTS:
            handler = self._handler(machine, name)
            srv = socketserver.ThreadingUnixStreamServer(str(directory / f"{name}.sock"), handler)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.servers.append(srv)

    @staticmethod
    def _handler(machine: Vm, name: str) -> type[socketserver.BaseRequestHandler]:
        class H(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                env = {"PATH": f"{machine.tmp / 'bin'}:/usr/bin:/bin", "STUB_LOG": str(machine.log), "STUB_OUT": str(machine.tmp / "out"),
                       "HOSTFORM_API_CONFIG": str(machine.config)}
                fd = self.request.fileno()
                subprocess.run(["bash", str(machine.script), name], stdin=fd, stdout=fd, env=env, timeout=60, check=False)

        return H

    def close(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()


@dataclass
class Served:
    port: int
    root: Path
    machine: Vm
    project: Path


def _request(port: int, root: Path, method: str, path: str, token: str | None = None, user: str = vm.USER) -> tuple[int, dict[str, str], bytes]:
    ctx = ssl.create_default_context(cafile=str(root))
    auth = f"Authorization: Basic {base64.b64encode(f'{user}:{token}'.encode()).decode()}\r\n" if token is not None else ""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, ctx.wrap_socket(raw, server_hostname=SITE) as s:
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: {SITE}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split(" ")[1]), fields, body


@pytest.fixture
def served(caddy_bin: Path, built: Path, machine: Vm, tmp_path: Path) -> Iterator[Served]:
    with serving(caddy_bin, built, machine, tmp_path) as s:
        yield s


@contextlib.contextmanager
def serving(caddy_bin: Path, built: Path, machine: Vm, tmp_path: Path, endpoints: bool = True) -> Iterator[Served]:
    """``built``'s Caddyfile served by the real Caddy, its endpoints' sockets answered by ``machine``."""
    text = (built / "Caddyfile").read_text()
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    sockdir = Path(tempfile.mkdtemp(prefix="hf-api-"))  # short: a unix socket's path has at most 107 bytes
    sockets = _Sockets(machine, sockdir)
    assert (f"unix/{vm.SOCKET_DIR}/" in text) == endpoints
    text = text.replace(f"unix/{vm.SOCKET_DIR}/", f"unix/{sockdir}/")
    try:
        with serve(caddy_bin, text, tmp_path, "web:8080", upstream.server_address[1],
                   lambda port, root: _request(port, root, "GET", "/"), seconds=180) as (port, root):
            yield Served(port, root, machine, built.parent)
    finally:
        upstream.shutdown()
        upstream.server_close()
        sockets.close()
        shutil.rmtree(sockdir, ignore_errors=True)


REQUESTS = [("GET", "/.hostform/status"), ("GET", "/.hostform/logs?unit=web"), ("POST", "/.hostform/update"),
            ("GET", "/.hostform/nothing"), ("GET", "/.hostform/"), ("GET", "/.hostform/status?x=$(id)")]


def test_without_the_token_401_and_nothing_runs(served: Served) -> None:
    for method, path in REQUESTS:
        for token in (None, "", "wrong", TOKEN + "x", TOKEN[:-1], TOKEN.upper()):
            status, fields, body = _request(served.port, served.root, method, path, token)
            assert (status, body) == (401, b""), (method, path, token)
            assert "www-authenticate" in fields
    assert served.machine.calls() == []


def test_with_the_token_the_endpoints_answer(served: Served) -> None:
    served.machine.out("podman.container", json.dumps([{"State": {"Status": "running"}, "ImageDigest": "sha256:" + "c" * 64}]))
    status, _, body = _request(served.port, served.root, "GET", "/.hostform/status", TOKEN)
    assert status == 200 and json.loads(body)["services"][0]["running_digest"] == "sha256:" + "c" * 64
    assert _request(served.port, served.root, "GET", "/.hostform/update", TOKEN)[0] == 405
    assert not any(c[:2] == ["systemctl", "start"] for c in served.machine.calls())
    assert _request(served.port, served.root, "POST", "/.hostform/update", TOKEN)[0] == 202
    assert ["systemctl", "start", "--no-block", "podman-auto-update.service"] in served.machine.calls()
    assert _request(served.port, served.root, "GET", "/.hostform/nothing", TOKEN)[0] == 404
    assert _request(served.port, served.root, "GET", "/.hostform/logs?unit=web;id", TOKEN)[0] == 400


def test_the_rest_of_the_site_is_unchanged(served: Served) -> None:
    status, _, body = _request(served.port, served.root, "GET", "/a?b=1")
    assert (status, body) == (200, b"upstream /a?b=1")
    assert _request(served.port, served.root, "GET", "/.hostform")[2] == b"upstream /.hostform"


@pytest.fixture
def resolve_site(served: Served, monkeypatch: pytest.MonkeyPatch) -> str:
    """SITE resolves to loopback for the commands (as DNS would to the VM); their URL."""
    real = socket.getaddrinfo

    def fake(host: object, *a: object, **kw: object) -> object:
        return real("127.0.0.1" if host == SITE else host, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setenv("HOSTFORM_AGE_KEY_FILE", str(served.project.parent / "age.key"))
    return f"https://{SITE}:{served.port}"


def test_the_commands_find_the_token_and_ask_the_host(served: Served, resolve_site: str, capsys: pytest.CaptureFixture[str]) -> None:
    m = served.machine
    m.out("podman.container", json.dumps([{"State": {"Status": "running", "Health": {"Status": "healthy"}}, "ImageDigest": "sha256:" + "d" * 64}]))
    m.out("skopeo", "sha256:" + "d" * 64 + "\n")
    m.out("journalctl", json.dumps({"__REALTIME_TIMESTAMP": "1700000000000000", "MESSAGE": "hello from web", "__CURSOR": "c1",
                                    "SYSLOG_IDENTIFIER": "web"}) + "\n")
    common = ["--url", resolve_site, "--cacert", str(served.root)]
    assert cli(["status", str(served.project), "--format", "json", *common]) == 0
    got = json.loads(capsys.readouterr().out)
    assert {s["name"]: s["running_digest"] == s["registry_digest"] for s in got["services"]} == {"web": True, "db": True}
    assert cli(["status", str(served.project), *common]) == 0
    table = capsys.readouterr().out
    assert "SERVICE" in table and "healthy" in table and "dddddddddddd" in table
    assert cli(["logs", str(served.project), "web", "--since", "10m", *common]) == 0
    assert capsys.readouterr().out == "2023-11-14T22:13:20Z web: hello from web\n"
    assert ["journalctl", "--no-pager", "-q", "-u", "web.service", "-n", "200", "-o", "json", "--since=-600s"] in m.calls()
    assert cli(["update", str(served.project), *common]) == 0
    assert ["systemctl", "start", "--no-block", "podman-auto-update.service"] in m.calls()


def test_a_wrong_token_is_one_clear_line(served: Served, resolve_site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "tok").write_text("wrong\n")
    assert cli(["status", str(served.project), "--url", resolve_site, "--cacert", str(served.root), "--token-file", str(tmp_path / "tok")]) == 1
    err = capsys.readouterr().err
    assert "refused (401)" in err and len(err.strip().splitlines()) == 1


def test_connect_reaches_the_site_at_another_address(served: Served, tmp_path: Path) -> None:
    """`--connect 127.0.0.1` (a machine of `hostform try`): the site's name is not resolved, and is still what the
    certificate is checked for; the command runs as a user runs it."""
    import os
    import sys

    env = {**os.environ, "HOSTFORM_AGE_KEY_FILE": str(served.project.parent / "age.key")}
    argv = [sys.executable, "-m", "hostform", "status", str(served.project), "--url", f"https://{SITE}:{served.port}",
            "--connect", "127.0.0.1", "--cacert", str(served.root), "--format", "json"]
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["host"] == "h"
    # another name than the certificate's: refused, one line
    p = subprocess.run([*argv[:6], f"https://other.test:{served.port}", *argv[7:]], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1, p.stderr
