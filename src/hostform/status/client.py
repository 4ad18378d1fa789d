"""The user's side of ``hostform status``, ``logs`` and ``update``: where the host answers and with which token.

The URL is ``https://SITE/.hostform/ENDPOINT`` of the host file's ``status.site``; the token is the value of
its secret, decrypted with the user's identity as ``hostform build`` does. Each is overridable (``--url``,
``--token-file``: tests, ``hostform try``). Requests go with urllib (no dependency), the token as the password
of basic authentication (user :data:`hostform.status.vm.USER`); query values are checked here against the
alphabets the VM's script accepts, so a request it would refuse is not sent.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostform.status.vm import PREFIX, USER

__all__ = ["Answer", "ClientError", "Target", "call", "call_json", "parse_since", "target"]

TIMEOUT = 90.0  # seconds: status asks the registry per service; the long poll of logs waits up to 25 s
_QUERY = {"unit": r"[a-z0-9][a-z0-9_.@-]{0,127}", "lines": r"[1-9][0-9]{0,3}", "since": r"[0-9]{1,10}",
          "after": r"[A-Za-z0-9=;]{1,512}", "wait": r"[0-9]{1,2}", "format": r"json|text"}


class ClientError(Exception):
    """The host cannot be asked, or refused: the message says why, in the user's words."""


@dataclass(frozen=True)
class Target:
    base: str  # https://SITE (no path)
    token: bytes
    cafile: str | None = None
    connect: str | None = None  # an address to connect to instead of the site's name (its certificate is still checked for the name)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def target(project: Path, url: str | None = None, token_file: str | None = None, identity: str | None = None,
           cafile: str | None = None, connect: str | None = None) -> Target:
    """Where ``project``'s host answers and its token; ClientError saying why not."""
    token: bytes | None = None
    if token_file is not None:
        try:
            token = Path(token_file).read_bytes().rstrip(b"\r\n")
        except OSError as e:
            raise ClientError(f"--token-file {token_file}: {e.strerror or e}") from None
    if url is not None and token is not None:
        return Target(_base(url), token, cafile, connect)
    from hostform.host.load import load_file
    from hostform.pipeline import HOST_FILE

    if not (project / HOST_FILE).is_file():
        raise ClientError(f"{project}: no {HOST_FILE} here (or give --url and --token-file)")
    loaded = load_file(project / HOST_FILE, unset_ok=True)
    host = loaded.host
    if host is None:
        first = next(iter(loaded.report.errors), None)
        raise ClientError(f"{project / HOST_FILE} has errors (`hostform check`)" + (f": {first.message}" if first else ""))
    if host.status is None:
        raise ClientError(f"{HOST_FILE} has no `status:`: add `status: {{token: {{secret: NAME}}}}`, then build and apply")
    if token is None:
        token = _decrypt(project, host.status.token_secret, identity)
    return Target(_base(url) if url else f"https://{host.status.site}", token, cafile, connect)


def _base(url: str) -> str:
    if not re.fullmatch(r"https://[A-Za-z0-9.:\[\]-]+/?", url):  # never http: the token would travel in clear
        raise ClientError(f"--url {url!r}: give https://, the site's host and its port only (https://example.org)")
    return url.rstrip("/")


def _decrypt(project: Path, name: str, identity: str | None) -> bytes:
    from hostform import secrets

    path = project / secrets.DIR / f"{name}{secrets.SUFFIX}"
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ClientError(f"{path}: {e.strerror or e} (`hostform secret set {name}`)") from None
    try:
        return secrets.decrypt(data, secrets.load_identities(identity, os.environ))
    except secrets.SecretError as e:
        raise ClientError(f"secret {name!r}: {e}") from None


class _Https(urllib.request.HTTPSHandler):
    """HTTPS that connects to ``address`` when given (``--connect``: a machine of `hostform try`, a test) instead of
    the URL's host, keeping that host for the TLS name check and the Host header."""

    def __init__(self, context: ssl.SSLContext, address: str | None) -> None:
        super().__init__(context=context)
        self._ctx, self._address = context, address

    def https_open(self, req: urllib.request.Request) -> Any:
        address, ctx = self._address, self._ctx
        if address is None:
            return super().https_open(req)

        class Conn(http.client.HTTPSConnection):
            def connect(self) -> None:
                raw = socket.create_connection((address, self.port or 443), self.timeout)
                self.sock = ctx.wrap_socket(raw, server_hostname=self.host)

        return self.do_open(Conn, req, context=ctx)


def call(t: Target, method: str, endpoint: str, query: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Answer:
    """One request; the answer whatever its status but 401 (ClientError: the token was refused)."""
    parts = []
    for k, v in (query or {}).items():
        if k not in _QUERY or not re.fullmatch(_QUERY[k], v):
            raise ClientError(f"{k}={v!r} is not something the host takes")
        parts.append(f"{k}={v}")
    url = f"{t.base}{PREFIX}{endpoint}" + ("?" + "&".join(parts) if parts else "")
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    req.add_header("Authorization", "Basic " + base64.b64encode(USER.encode() + b":" + t.token).decode("ascii"))
    ctx = ssl.create_default_context(cafile=t.cafile)
    opener = urllib.request.build_opener(_Https(ctx, t.connect))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return Answer(resp.status, resp.read())
    except urllib.error.HTTPError as e:
        if e.code == 401:
            raise ClientError(f"{t.base}: the token was refused (401): is the host built with this token, and applied?") from None
        return Answer(e.code, e.read())
    except urllib.error.URLError as e:
        raise ClientError(f"{t.base}: cannot connect: {e.reason}") from None
    except (OSError, ValueError) as e:
        raise ClientError(f"{t.base}: {e}") from None


def call_json(t: Target, method: str, endpoint: str, query: dict[str, str] | None = None, expect: int = 200) -> dict[str, Any]:
    """:func:`call`, and the answer's JSON object; ClientError when the status is not ``expect`` or the body no object."""
    got = call(t, method, endpoint, query)
    try:
        data = got.json() if got.status == expect else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ClientError(f"the host answered {got.status}: {got.body[:500].decode('utf-8', 'replace')}")
    return data


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: float) -> int:
    """``--since``: seconds ago, from ``90`` (seconds), ``30s``, ``10m``, ``2h``, ``1d``, or a time
    (``2026-12-07``, ``2026-12-07T10:00``, ``2026-12-07 10:00:00``; UTC unless it says its offset)."""
    m = re.fullmatch(r"([0-9]{1,9})([smhd]?)", text.strip())
    if m:
        return int(m.group(1)) * _UNITS.get(m.group(2) or "s", 1)
    from datetime import UTC, datetime

    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClientError(f"--since {text!r}: give 30s, 10m, 2h, 1d or a time like 2026-12-07T10:00") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return max(0, int(now - t.timestamp()))
