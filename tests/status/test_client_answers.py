"""`hostform status`, `logs` and `update` run as a user runs them against a fake host: a TLS server on loopback (its
own certificate for site.test, trusted with --cacert) that answers what a broken, hostile or impostor host might.
Each bad answer is one line on stderr and exit 1, never a traceback; the token never follows a redirect; a slow or
endless answer ends at the deadline or the size cap; the host's text cannot drive the terminal."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hostform.cli.main import main as cli
from hostform.status import client

SITE = "site.test"
TOKEN = "t0ken-of-the-test"


def _reply(status: str, body: bytes, ctype: str = "application/json", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n").encode() + body


@dataclass
class Fake:
    """A TLS server answering each connection with ``self.answer(sock)``; records each request's head."""

    port: int
    ca: Path
    answer: Callable[[ssl.SSLSocket], None] = lambda s: None
    requests: list[bytes] = field(default_factory=list)

    def argv(self, command: str, *more: str) -> list[str]:
        return [command, *more, "--url", f"https://{SITE}:{self.port}", "--connect", "127.0.0.1", "--cacert", str(self.ca),
                "--token-file", str(self.ca.parent / "token")]


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("fakecert")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", f"/CN={SITE}", "-addext", f"subjectAltName=DNS:{SITE}", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    (d / "token").write_text(TOKEN + "\n")
    return d / "cert.pem", d / "key.pem"


@pytest.fixture
def fake(cert: tuple[Path, Path]) -> Iterator[Fake]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    srv = socket.create_server(("127.0.0.1", 0))
    f = Fake(srv.getsockname()[1], cert[0])
    stop = threading.Event()

    def one(raw: socket.socket) -> None:
        try:
            with ctx.wrap_socket(raw, server_side=True) as s:
                head = b""
                while b"\r\n\r\n" not in head and (got := s.recv(65536)):
                    head += got
                f.requests.append(head)
                f.answer(s)
        except OSError:
            pass

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                raw, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=one, args=(raw,), daemon=True).start()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    yield f
    stop.set()
    th.join(5)
    srv.close()


def _run(f: Fake, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> None:
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "\x1b" not in err, err


# ------------------------------------------------------------------ redirects


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "303 See Other", "307 Temporary Redirect", "308 Permanent Redirect"])
@pytest.mark.parametrize("command", [("status",), ("logs", "web"), ("update",)])
def test_a_redirect_is_not_followed_and_the_token_goes_nowhere_else(fake: Fake, capsys: pytest.CaptureFixture[str], status: str,
                                                                    command: tuple[str, ...]) -> None:
    thief = socket.create_server(("127.0.0.1", 0))
    thief.settimeout(0.3)  # the command has returned by now: a redirect followed would have connected already
    where = f"http://127.0.0.1:{thief.getsockname()[1]}/steal"
    fake.answer = lambda s: s.sendall(_reply(status, b"", extra=f"Location: {where}\r\n"))
    code, _, err = _run(fake, fake.argv(*command), capsys)
    assert code == 1
    _one_line(err)
    assert "redirect" in err and where in err
    assert len(fake.requests) == 1  # asked once, and the token went to the fake only
    with pytest.raises(TimeoutError):
        thief.accept()
    thief.close()


# ------------------------------------------------------------------ bad answers

BAD = {
    "html 200": _reply("200 OK", b"<html>\n<body>\n<h1>Welcome</h1>\n</body></html>\n", "text/html"),
    "html 500 with escapes": _reply("500 Internal Server Error", b"<html>\n<body>\n\x1b]0;TITLE\x07\x1b[2J<h1>Oops</h1>\n</body></html>\n", "text/html"),
    "broken json": _reply("200 OK", b'{"host": "h", "services": [1,2'),
    "a list": _reply("200 OK", b"[1,2]"),
    "deep json": _reply("200 OK", b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"),
    "not http": b"SSH-2.0-OpenSSH_9\r\n\r\n",
    "truncated": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"a\":1}",
    "a long header line": b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n{}",
    "bad chunks": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "nothing": b"",
    "empty 200": _reply("200 OK", b""),
    "error json": _reply("503 Service Unavailable", b'{"error": "podman did not answer\\n\\u001b[31mred"}'),
}
GOOD_STATUS = {"host": "h", "time": 1, "services": [{"name": "web", "last_change": {"updated": "true", "time": 2}}],
               "sites": [{"site": "a.test", "certificate_expires": 3}], "disks": [{"mount": "/", "size": 4, "used": 2, "available": 2}],
               "last_update_run": {"started": None, "result": "success"}}
STATUS_SHAPES = [
    {"services": [1]}, {"services": [1, "x", {"last_change": "x"}], "sites": 5}, {"services": {"a": 1}}, {"time": 1e400},
    {"time": "x"}, {"sites": [{"certificate_expires": "soon"}]}, {"disks": [{"used": 5, "size": 0}], "last_update_run": []},
    {"services": [{"name": ["x"]}]}, {"services": [{"last_change": {"updated": 1}}]}, {"host": {"a": 1}}, {"host": None},
    {"services": None}, {"last_update_run": None}, {"disks": [{"size": float("nan")}]}, {"last_update_run": {"started": 1e400}},
    # backups: absent (or null) without `backups:`; else the result as the host read it, the next run
    {"backups": []}, {"backups": "daily"}, {"backups": {"next_run": "soon"}}, {"backups": {"next_run": 1e400}},
    {"backups": {"next_run": True}}, {"backups": {"schedule": 5}}, {"backups": {"error": ["x"]}}, {"backups": {"last_run": "x"}},
    {"backups": {"last_run": {}}}, {"backups": {"last_run": {"ok": "yes"}}}, {"backups": {"last_run": {"ok": 1}}},
    {"backups": {"last_run": {"ok": False, "message": ["a"]}}}, {"backups": {"last_run": {"ok": True, "end": 5}}},
    {"backups": {"last_success": []}}, {"backups": {"last_success": {"time": 1796677203}}},
    {"backups": {"last_success": {"time": "x", "snapshot": {"id": 1}}}},
]
LOGS_SHAPES = [{"entries": [{"time": 1e400, "message": "x"}]}, {"entries": [1]}, {"entries": "x"}, {"entries": [{"message": ["a"]}]},
               {"entries": [{"time": "now"}]}, {"cursor": 5}, {"entries": [{"time": True}]}]


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.parametrize("command", [("status",), ("logs", "web"), ("update",)])
def test_a_bad_answer_is_one_line_and_exit_1(fake: Fake, capsys: pytest.CaptureFixture[str], name: str, command: tuple[str, ...]) -> None:
    fake.answer = lambda s: s.sendall(BAD[name])
    code, out, err = _run(fake, fake.argv(*command), capsys)
    assert code == 1 and out == "", (name, out)
    _one_line(err)
    if name == "error json":
        assert "podman did not answer" in err and "\\x1b[31mred" in err


@pytest.mark.parametrize("body", STATUS_SHAPES, ids=str)
def test_a_status_of_another_shape_is_one_line_and_exit_1(fake: Fake, capsys: pytest.CaptureFixture[str], body: dict) -> None:
    fake.answer = lambda s: s.sendall(_reply("200 OK", json.dumps(GOOD_STATUS).encode()))
    assert _run(fake, fake.argv("status"), capsys)[0] == 0
    fake.answer = lambda s: s.sendall(_reply("200 OK", json.dumps({**GOOD_STATUS, **body}).encode()))
    for fmt in ("table", "json"):
        code, out, err = _run(fake, fake.argv("status", "--format", fmt), capsys)
        assert code == 1 and out == "", out
        _one_line(err)


BACKUPS = {"schedule": "daily", "next_run": 1796695200,
           "last_run": {"start": "2026-12-07T22:00:00Z", "end": "2026-12-07T22:00:05Z", "ok": False, "snapshot": None,
                        "message": "the repository's password is wrong (backups.password): restic cannot open rest:https://b.test/h"},
           "last_success": {"time": "2026-12-07T21:00:03Z", "snapshot": "1a2b3c4d"}, "error": None}


def test_status_shows_the_backups_and_json_passes_them_through(fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    status = {**GOOD_STATUS, "time": 1796688003, "backups": BACKUPS}  # the host's time: 2026-12-08 00:00:03 UTC
    fake.answer = lambda s: s.sendall(_reply("200 OK", json.dumps(status).encode()))
    code, out, err = _run(fake, fake.argv("status"), capsys)
    assert code == 0, err
    assert out.endswith("backups: last success 2026-12-07 21:00:03 UTC, 3 h ago (snapshot 1a2b3c4d); last run FAILED 2026-12-07 22:00:05 UTC: "
                        "the repository's password is wrong (backups.password): restic cannot open rest:https://b.test/h; "
                        "next 2026-12-08 02:00:00 UTC (daily)\n"), out
    code, out, _ = _run(fake, fake.argv("status", "--format", "json"), capsys)
    assert code == 0 and json.loads(out)["backups"] == BACKUPS
    for without in ({}, {"backups": None}):  # a host without backups: no line
        fake.answer = lambda s, w=without: s.sendall(_reply("200 OK", json.dumps({**GOOD_STATUS, **w}).encode()))
        code, out, _ = _run(fake, fake.argv("status"), capsys)
        assert code == 0 and "\nbackups:" not in out


@pytest.mark.parametrize("body", LOGS_SHAPES, ids=str)
def test_logs_of_another_shape_is_one_line_and_exit_1(fake: Fake, capsys: pytest.CaptureFixture[str], body: dict) -> None:
    fake.answer = lambda s: s.sendall(_reply("200 OK", json.dumps({"unit": "web", "entries": [], "cursor": None, **body}).encode()))
    code, out, err = _run(fake, fake.argv("logs", "web"), capsys)
    assert code == 1 and out == "", out
    _one_line(err)


# ------------------------------------------------------------------ time and size


def test_a_dripping_answer_ends_at_the_deadline(fake: Fake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "TIMEOUT", 3.0)

    def drip(s: ssl.SSLSocket) -> None:
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        for _ in range(60):  # a header line a second: each read gets something, the whole never ends
            s.sendall(b"X: y\r\n")
            time.sleep(1)

    def drip_body(s: ssl.SSLSocket) -> None:
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(60):  # a byte of the body each half second
            s.sendall(b" ")
            time.sleep(0.5)

    for answer in (drip, drip_body):
        fake.answer = answer
        t0 = time.monotonic()
        code, _, err = _run(fake, fake.argv("status"), capsys)
        assert code == 1 and time.monotonic() - t0 < 6
        _one_line(err)
        assert "within 3 s" in err


def test_an_endless_answer_stops_at_the_size_cap(fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    def endless(s: ssl.SSLSocket) -> None:
        s.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"x":"')
        for _ in range(200):  # 200 MiB, if it were all read
            s.sendall(b"a" * 2**20)

    fake.answer = endless
    code, _, err = _run(fake, fake.argv("status"), capsys)
    assert code == 1
    _one_line(err)
    assert "larger than 16 MiB" in err


def test_follow_gives_each_long_poll_its_own_deadline(fake: Fake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "FOLLOW_TIMEOUT", 2.0)
    monkeypatch.setattr("hostform.cli.logs.FOLLOW_TIMEOUT", 2.0, raising=False)
    entry = {"time": 1_700_000_000, "identifier": "web", "message": "one", "cursor": "c1"}

    def answer(s: ssl.SSLSocket) -> None:
        if len(fake.requests) == 1:
            s.sendall(_reply("200 OK", json.dumps({"unit": "web", "entries": [entry], "cursor": "c1"}).encode()))
        else:
            time.sleep(30)  # the long poll that never answers

    fake.answer = answer
    t0 = time.monotonic()
    code, out, err = _run(fake, fake.argv("logs", "web", "--follow"), capsys)
    assert code == 1 and time.monotonic() - t0 < 6
    assert out == "2023-11-14T22:13:20Z web: one\n"
    assert b"wait=25" in fake.requests[1] and "within 2 s" in err


# ------------------------------------------------------------------ the terminal


def test_the_hosts_text_cannot_drive_the_terminal(fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "h\x1b]0;owned\x07i\x1b[2J\r\x9b31m\x7fthere\tok\nnext"
    entries = [{"time": 1_700_000_000, "identifier": "w\x1b[1meb", "message": hostile, "cursor": "c1"}]
    fake.answer = lambda s: s.sendall(_reply("200 OK", json.dumps({"unit": "web", "entries": entries, "cursor": "c1"}).encode()))
    code, out, _ = _run(fake, fake.argv("logs", "web"), capsys)
    assert code == 0
    assert out == "2023-11-14T22:13:20Z w\\x1b[1meb: h\\x1b]0;owned\\x07i\\x1b[2J\\x0d\\x9b31m\\x7fthere\tok\\x0anext\n"
    code, out, _ = _run(fake, fake.argv("logs", "web", "--format", "json"), capsys)
    assert code == 0 and json.loads(out)["message"] == hostile and "\x1b" not in out
    status = {"host": "h\x1b[2J", "time": 1, "services": [{"name": "web", "state": "run\x1bning", "image": "i\x07"}],
              "sites": [{"site": "s\x1b]0;t\x07", "certificate_expires": None}], "disks": [], "last_update_run": {"started": None, "result": "x\x1b"}}
    fake.answer = lambda s: s.sendall(_reply("200 OK", json.dumps(status).encode()))
    code, out, _ = _run(fake, fake.argv("status"), capsys)
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "run\\x1bning" in out


def test_the_request_carries_the_token_and_nothing_else_of_the_user(fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    fake.answer = lambda s: s.sendall(_reply("202 Accepted", b'{"started":"podman-auto-update.service"}'))
    code, out, _ = _run(fake, fake.argv("update"), capsys)
    assert code == 0 and "started" in out
    head = fake.requests[0].decode()
    assert head.startswith("POST /.hostform/update HTTP/1.1\r\n") and f"Host: {SITE}:{fake.port}\r\n" in head
    assert "Basic " + base64.b64encode(f"hostform:{TOKEN}".encode()).decode() in head


@pytest.mark.parametrize(("args", "unit"), [(["web"], "web"), (["caddy"], "caddy"), (["./web", "caddy"], "caddy"), ([], "podman-auto-update"),
                                             (["proj"], "podman-auto-update"), (["proj", "web"], "web")])
def test_a_folder_named_like_the_service_is_not_taken_for_the_project(fake: Fake, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch, args: list[str], unit: str) -> None:
    (tmp_path / "web").mkdir()  # a folder of the user's, as `web/` of a checkout
    (tmp_path / "caddy").mkdir()
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "hostform.yaml").write_text("name: h\n")  # a project: DIR
    monkeypatch.chdir(tmp_path)
    fake.answer = lambda s: s.sendall(_reply("200 OK", b'{"unit": "x", "entries": [], "cursor": null}'))
    code, _, err = _run(fake, fake.argv("logs", *args), capsys)
    assert code == 0, err
    assert f"unit={unit}&".encode() in fake.requests[0]
