"""A site's redirect_from, headers, basic_auth and caddy snippet, as a visitor meets them.

The host file is built as `hostform build` builds it; the Caddyfile it writes is
served by the real Caddy on loopback (its own local CA, high ports, the upstream
a small HTTP server of this test), and requests go over real HTTPS. Only what a
machine without containers cannot have is changed in the served copy: the
ports, the address it binds, where it keeps its certificates, no admin
endpoint, and the upstream's address (a container name on the VM). Caddy runs
under `timeout`, so it stops by itself even if this test dies.

A snippet Caddy refuses is an error at the snippet's own line in hostform.yaml.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostform import pipeline
from hostform.host.build import outputs
from hostform.host.render import to_yaml
from tests.caddy.loopback import serve

SITE = "site.test"


def _hash(caddy: Path, password: str) -> str:
    """A bcrypt hash made by Caddy itself (no Python bcrypt needed)."""
    p = subprocess.run([str(caddy), "hash-password", "--plaintext", password], capture_output=True, text=True, timeout=60, check=True)
    return p.stdout.strip()


def _host(site: dict) -> dict:
    return {"name": "h", "services": {"web": {"image": "docker.io/library/nginx:1", "port": 8080}},
            "sites": {SITE: {"service": "web", **site}}, "tls": {"ca": "internal"}}


def _build(d: Path, data: dict, caddy: str = "off", secrets: dict[str, str] | None = None) -> pipeline.Bundle:
    """Build ``data`` as `hostform build` does; ``secrets`` (name -> value) are set first, encrypted to a
    fresh identity as `hostform secret set` does, and the build decrypts them with it."""
    from hostform.secrets import encrypt, generate_identity

    d.mkdir(parents=True, exist_ok=True)
    identity = None
    if secrets:
        key, public = generate_identity()
        identity = d.parent / "age.key"
        identity.write_text(key)
        data = {**data, "recipients": [public]}
        (d / "secrets").mkdir(exist_ok=True)
        for name, value in secrets.items():
            (d / "secrets" / f"{name}.age").write_bytes(encrypt(value.encode(), [public]))
    (d / "hostform.yaml").write_text(to_yaml(data), encoding="utf-8")
    return pipeline.build(d, pipeline.Options(caddy=caddy, identity=str(identity) if identity else None))  # type: ignore[arg-type]


class _Upstream(http.server.BaseHTTPRequestHandler):
    """The service: says which path it got; sends its own X-Frame-Options, which the site's header replaces."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = f"upstream {self.path}".encode()
        self.send_response(200)
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _request(port: int, host: str, cafile: Path, path: str, headers: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str]], str]:
    """(status, headers, body) of one HTTPS GET to 127.0.0.1:port for ``host``, the chain checked against ``cafile``."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname=host) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).decode("utf-8", "replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    fields = [(k.strip().lower(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines[1:])]
    return int(lines[0].split(" ")[1]), fields, body


def _values(fields: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in fields if k == name.lower()]


@pytest.fixture
def served(caddy_bin: Path, tmp_path: Path) -> Iterator[tuple[int, Path, str]]:
    """The site built with every new key, served: (https port, the local CA's root, alice's password)."""
    password = "correct horse"
    data = _host({
        "redirect_from": ["www.site.test", "old.site.test"],
        "headers": {"X-Frame-Options": "DENY", "X-Note": 'a "quoted" # value\twith a tab', "Strict-Transport-Security": "max-age=60"},
        # alice by the hash Caddy made; bob by his password kept as a hostform secret (hashed by the build)
        "basic_auth": {"alice": _hash(caddy_bin, password), "bob": {"password": {"secret": "bob-pw"}}},
        "caddy": "respond /ping \"pong\" 200\n",
    })
    b = _build(tmp_path / "host", data, caddy="require", secrets={"bob-pw": BOB})
    assert not b.report.errors, b.report.format()
    text = next(raw for rel, raw, _ in outputs(b) if rel == "Caddyfile").decode()

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with serve(caddy_bin, text, tmp_path, "web:8080", upstream.server_address[1], lambda port, root: _request(port, SITE, root, "/")) as (port, root):
            yield port, root, password
    finally:
        upstream.shutdown()
        upstream.server_close()


BOB = "b0b's pa55 \u00e9"


def _auth(password: str, user: str = "alice") -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_redirect_from_answers_a_permanent_redirect_to_the_same_uri(served: tuple[int, Path, str]) -> None:
    port, root, _ = served
    for name in ("www.site.test", "old.site.test"):  # each with a certificate of its own (the TLS handshake checks it)
        status, fields, _ = _request(port, name, root, "/a/b.html?x=1&y=%20")
        assert status == 301, (name, status)  # `redir ... permanent` is Caddy's 301
        assert _values(fields, "Location") == ["https://site.test/a/b.html?x=1&y=%20"]


def test_basic_auth_guards_the_whole_site(served: tuple[int, Path, str]) -> None:
    port, root, password = served
    for path in ("/", "/ping", "/x"):
        status, fields, _ = _request(port, SITE, root, path)
        assert status == 401, path
        assert _values(fields, "WWW-Authenticate") == ['Basic realm="restricted"']
    assert _request(port, SITE, root, "/", _auth("wrong"))[0] == 401
    status, _, body = _request(port, SITE, root, "/x?q=1", _auth(password))
    assert (status, body) == (200, "upstream /x?q=1")
    # bob's password is a secret: the build's hash of it lets him in, and nothing else does
    assert _request(port, SITE, root, "/", _auth(BOB, "bob"))[0] == 200
    assert _request(port, SITE, root, "/", _auth(BOB + "x", "bob"))[0] == 401
    assert _request(port, SITE, root, "/", _auth(password, "bob"))[0] == 401


def test_headers_are_set_on_the_responses(served: tuple[int, Path, str]) -> None:
    port, root, password = served
    status, fields, _ = _request(port, SITE, root, "/", _auth(password))
    assert status == 200
    assert _values(fields, "X-Frame-Options") == ["DENY"]  # replaces the upstream's SAMEORIGIN
    assert _values(fields, "X-Note") == ['a "quoted" # value\twith a tab']  # written as one Caddyfile token, read back as is
    assert _values(fields, "Strict-Transport-Security") == ["max-age=60"]


def test_the_snippet_is_in_the_site_block(served: tuple[int, Path, str]) -> None:
    port, root, password = served
    status, fields, body = _request(port, SITE, root, "/ping", _auth(password))
    assert (status, body) == (200, "pong")
    assert _values(fields, "X-Frame-Options") == ["DENY"]


# ------------------------------------------------------------------ a broken snippet


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if fragment in line)


def test_a_snippet_caddy_refuses_is_an_error_at_its_line(caddy_bin: Path, tmp_path: Path) -> None:
    # what only the real Caddy knows (hostform's own checks pass it): the name of an encoder module
    snippet = "respond /ping 200\nencode gzip brotlix\nheader X-A b\n"
    b = _build(tmp_path / "real", _host({"aliases": ["a.site.test"], "caddy": snippet}), caddy="require")
    host_file = (tmp_path / "real" / "hostform.yaml").read_text()
    [err] = b.report.errors
    assert err.code == "HF408" and "brotlix" in err.message, b.report.format()
    want = _line_of(host_file, "encode gzip brotlix")
    assert (err.file, err.line, err.col) == ("hostform.yaml", want, host_file.split("\n")[want - 1].index("encode") + 1), b.report.format()
    # hostform's own check of the Caddyfile, the same way
    b = _build(tmp_path / "own", _host({"caddy": "respond /ping 200\nbogus_directive x\n"}), caddy="require")
    host_file = (tmp_path / "own" / "hostform.yaml").read_text()
    [err] = b.report.errors
    assert err.code == "HF402" and (err.file, err.line) == ("hostform.yaml", _line_of(host_file, "bogus_directive x")), b.report.format()


def test_a_snippet_that_leaves_its_site_block_is_refused_at_its_line(tmp_path: Path) -> None:
    b = _build(tmp_path, _host({"caddy": "respond 200\n}\n\nevil.test {\n\trespond 200\n"}))
    host_file = (tmp_path / "hostform.yaml").read_text()
    [err] = b.report.errors
    assert err.code == "HF011" and "closes a block it did not open" in err.message, b.report.format()
    assert (err.file, err.line) == ("hostform.yaml", _line_of(host_file, "}")), b.report.format()
    b = _build(tmp_path, _host({"caddy": "handle /x {\n\trespond 200\n"}))
    assert [e.code for e in b.report.errors] == ["HF011"] and "leaves a block open" in b.report.errors[0].message


@pytest.mark.parametrize("site,fragment", [
    ({"aliases": ["www.site.test"], "redirect_from": ["www.site.test"]}, "redirect_from: 'www.site.test' is already served"),
    ({"redirect_from": ["site.test"]}, "redirect_from: 'site.test' is already served"),
    ({"headers": {"X-A": "1", "x-a": "2"}}, "are the same header"),
    ({"headers": {"-X-A": "1"}}, "HTTP header name"),
    ({"headers": {"X-A": "{$HOME}"}}, "no '{', '}'"),
    ({"headers": {"X-A": "a\nb"}}, "a line break is not allowed"),
    ({"headers": {"X-A": " a"}}, "no white space at either end"),
    ({"basic_auth": {"alice": "$1$salt$hash"}}, "a bcrypt hash"),
    ({"basic_auth": {"al:ice": "$2a$14$Atsajokvadqecioi1JmsRuQTZr8lu0EbFvV07RKQ7Fdu3She2n1eG"}}, "letters, digits"),
])
def test_site_keys_refused_at_their_line(tmp_path: Path, site: dict, fragment: str) -> None:
    b = _build(tmp_path, _host(site))
    errors = b.report.errors
    assert len(errors) == 1 and errors[0].code == "HF011" and fragment in errors[0].message, b.report.format()
    assert errors[0].file == "hostform.yaml" and errors[0].line > 5, b.report.format()  # below the site's own line
