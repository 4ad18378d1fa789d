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
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostform.status.vm import PREFIX, USER

__all__ = ["Answer", "ClientError", "Target", "call", "call_json", "clean", "one_line", "parse_since", "target"]

TIMEOUT = 90.0  # seconds for a whole request and its answer: status asks the registries (in parallel, 15 s each at most)
FOLLOW_TIMEOUT = 40.0  # seconds for one long poll of `logs --follow`: the host waits up to 25 s for a new line
CONNECT_TIMEOUT = 20.0
MAX_ANSWER = 16 * 2**20  # bytes: the largest answer read (5000 journal lines of a few KiB each fit)
_QUERY = {"unit": r"[a-z0-9][a-z0-9_.@-]{0,127}", "lines": r"[1-9][0-9]{0,3}", "since": r"0|[1-9][0-9]{0,9}",
          "after": r"[A-Za-z0-9=;]{1,512}", "wait": r"0|[1-9][0-9]?", "format": r"json|text"}
MAX_SINCE = 100 * 365 * 86400  # seconds: `--since` reaches back at most this far


class ClientError(Exception):
    """The host cannot be asked, or refused, or an option is wrong (``usage``: exit 2): the message says why,
    in the user's words, on one line."""

    def __init__(self, message: str, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def clean(text: str) -> str:
    """``text`` safe to print: each control character but tab (ESC, CR, BEL, C1, DEL, and newline) as ``\\xNN``,
    so that text from the host cannot move the cursor, set the title or clear the screen."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def one_line(text: str, limit: int = 200) -> str:
    """``text`` (an error the host sent: JSON, HTML, anything) as one short printable line."""
    flat = " ".join(text.split())
    flat = clean(flat)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


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
    if cafile is not None:
        _context(cafile)  # an option's mistake, said before anything else
    if url is not None:
        url = _base(url)
    if url is not None and token is not None:
        return Target(url, token, cafile, connect)
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
    return Target(url or f"https://{host.status.site}", token, cafile, connect)


def _base(url: str) -> str:
    from urllib.parse import urlsplit

    bad = ClientError(f"--url {url!r}: give https://, the site's host and its port only (https://example.org)", usage=True)
    if not re.fullmatch(r"https://[A-Za-z0-9.:\[\]-]+/?", url):  # never http: the token would travel in clear
        raise bad
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad from None
    if not parts.hostname or port == 0:
        raise bad
    return url.rstrip("/")


def _split(base: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    return parts.hostname or "", parts.port or 443


def _context(cafile: str | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=cafile)
    except ssl.SSLError as e:
        raise ClientError(f"--cacert {cafile}: no certificate in it ({e.reason or e})", usage=True) from None
    except OSError as e:
        raise ClientError(f"--cacert {cafile}: {e.strerror or e}", usage=True) from None


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


class _Deadline:
    """Ends a request at its deadline, whatever the host sends meanwhile (a byte every few seconds keeps each read
    alive): shuts the connection down, so that the read waiting on it returns."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._fd = -1
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._fd = sock.fileno()
            if self.fired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._fd < 0:
            return
        try:  # a second descriptor of the same connection: shutting it down ends the reads on the first
            with socket.socket(fileno=os.dup(self._fd)) as dup:
                dup.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stop(self) -> None:
        """Before the connection is closed (its descriptor may then be another file's)."""
        self._timer.cancel()
        with self._lock:
            self._fd = -1


def call(t: Target, method: str, endpoint: str, query: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Answer:
    """One request, within ``timeout`` seconds and :data:`MAX_ANSWER` bytes; the answer whatever its status but 401
    (ClientError: the token was refused) and a redirect (ClientError: never followed, the token would go along)."""
    parts = []
    for k, v in (query or {}).items():
        if k not in _QUERY or not re.fullmatch(_QUERY[k], v):
            raise ClientError(f"{k}={v!r} is not something the host takes")
        parts.append(f"{k}={v}")
    path = f"{PREFIX}{endpoint}" + ("?" + "&".join(parts) if parts else "")
    host, port = _split(t.base)
    ctx = _context(t.cafile)
    deadline = _Deadline(timeout)
    address = t.connect

    class Conn(http.client.HTTPSConnection):
        def connect(self) -> None:  # to ``address`` when given (`--connect`), the certificate checked for the site's name
            raw = socket.create_connection((address or host, port), min(CONNECT_TIMEOUT, timeout))
            deadline.watch(raw)
            self.sock = ctx.wrap_socket(raw, server_hostname=host)

    conn = Conn(host, port, timeout=min(CONNECT_TIMEOUT, timeout), context=ctx)
    auth = "Basic " + base64.b64encode(USER.encode() + b":" + t.token).decode("ascii")
    try:
        conn.request(method, path, body=b"" if method == "POST" else None, headers={"Authorization": auth, "Accept": "application/json"})
        resp = conn.getresponse()
        body = bytearray()
        while chunk := resp.read(65536):
            body += chunk
            if len(body) > MAX_ANSWER:
                raise ClientError(f"{t.base}: the answer is larger than {MAX_ANSWER // 2**20} MiB: not read further")
        if deadline.fired:  # the end of the headers or of the body may be the deadline's shutdown
            raise ClientError(f"{t.base}: no complete answer within {timeout:.0f} s")
        if resp.length:  # the connection ended before the length it announced
            raise http.client.IncompleteRead(bytes(body), resp.length)
        status, location = resp.status, resp.getheader("Location")
    except (OSError, http.client.HTTPException, ValueError) as e:
        if deadline.fired:
            raise ClientError(f"{t.base}: no complete answer within {timeout:.0f} s") from None
        if isinstance(e, ssl.SSLCertVerificationError):
            raise ClientError(f"{t.base}: the certificate is not trusted: {e.verify_message}") from None
        if isinstance(e, OSError) and not isinstance(e, ssl.SSLError):
            raise ClientError(f"{t.base}: cannot connect: {e.strerror or e}") from None
        raise ClientError(f"{t.base}: not an HTTP answer ({type(e).__name__}: {one_line(str(e), 100)})") from None
    finally:
        deadline.stop()
        conn.close()
    if status == 401:
        raise ClientError(f"{t.base}: the token was refused (401): is the host built with this token, and applied?")
    if 300 <= status < 400:
        raise ClientError(f"{t.base}: the host answered {status}, a redirect to {one_line(location or '(nowhere)', 100)}, which is "
                          "not followed (the token would go along): is the host built with `status:` and applied?")
    return Answer(status, bytes(body))


def call_json(t: Target, method: str, endpoint: str, query: dict[str, str] | None = None, expect: int = 200,
              timeout: float = TIMEOUT) -> dict[str, Any]:
    """:func:`call`, and the answer's JSON object; ClientError when the status is not ``expect`` or the body no object."""
    got = call(t, method, endpoint, query, timeout)
    try:
        data = got.json()
    except (ValueError, RecursionError):
        data = None
    if got.status != expect:
        error = data.get("error") if isinstance(data, dict) else None
        said = error if isinstance(error, str) else got.body[:1000].decode("utf-8", "replace")
        raise ClientError(f"the host answered {got.status}" + (f": {one_line(said)}" if said.strip() else ""))
    if not isinstance(data, dict):
        raise ClientError(f"the host answered {got.status} but not with a JSON object: {one_line(got.body[:1000].decode('utf-8', 'replace')) or '(empty)'}")
    return data


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: float) -> int:
    """``--since``: seconds ago, from ``90`` (seconds), ``30s``, ``10m``, ``2h``, ``1d``, or a time
    (``2026-12-07``, ``2026-12-07T10:00``, ``2026-12-07 10:00:00``; UTC unless it says its offset)."""
    m = re.fullmatch(r"([0-9]{1,9})([smhd]?)", text.strip())
    if m:
        ago = int(m.group(1)) * _UNITS.get(m.group(2) or "s", 1)
    else:
        from datetime import UTC, datetime

        try:
            t = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ClientError(f"--since {text!r}: give 30s, 10m, 2h, 1d or a time like 2026-12-07T10:00", usage=True) from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        try:
            ago = max(0, int(now - t.timestamp()))
        except (OverflowError, ValueError, OSError):
            ago = MAX_SINCE + 1
    if ago > MAX_SINCE:
        raise ClientError(f"--since {text!r}: at most {MAX_SINCE // (365 * 86400)} years back ({MAX_SINCE // 86400}d)", usage=True)
    return ago
