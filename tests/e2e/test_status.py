"""Issue 14: `hostform status`, `logs` and `update` against a booted machine, over HTTPS through its Caddy,
on podman 5.4 (Debian trixie's) and 5.8 (Fedora CoreOS stable's).

The project is made as a user makes it (`hostform secret keygen`, `secret set status-token`, `build`); the
machine boots it; the commands run with the token decrypted from the secret, at the machine's published port
(`--url https://site.test:PORT --connect 127.0.0.1`, as for a machine of `hostform try`). The machines' Debian root
file system lacks jq, skopeo and openssl, which Fedora CoreOS ships: they are unpacked into it from Debian's
packages before the boot. The site is busybox httpd, which says it starts and logs each request's path (`init:
true`: as PID 1 it would ignore SIGTERM, and each stop would wait podman's 10 s).
Checked: status shows the running digest equal to the registry's (the pushed manifest's); `hostform logs site`
shows the service's own lines (one for a request just made), one per line; `hostform logs site --follow` (a
process of its own) prints a line the service writes after it started; 320 hostile or random query values
(40 for each parameter of logs, 40 each for status and update, which take none) sent as raw requests through
Caddy with the token: 4xx, or 200 for the valid ones, never 5xx, none slower than 35 s; a push under the same
tag, then `hostform update` (the timer is far off): the new version is served within 10 s (the steps on the
machine are printed), and status shows the new digest and the update; `hostform logs podman-auto-update` shows
the run; a broken image pushed and updated is rolled back, which status and logs show, and v2 is still
served; a wrong token: 401, exit 1, nothing shown.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import random
import re
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform.cli.main import main as cli
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine, free_port
from tests.e2e._site import CADDY_REMAP, PODMANS
from tests.e2e.conftest import HOSTFORM

pytestmark = pytest.mark.e2e

SITE = "site.test"
HOST = """\
name: statushost
podman: "{podman}"
butane_version: 1.4.0
recipients: [{recipient}]
services:
  site:
    image: {registry}/site:latest
    port: 8080
    health: {{http: /}}
    init: true
sites:
  {site}: site
tls: {{email: me@example.org, ca: internal}}
updates: {{schedule: "Mon *-*-* 03:00:00"}}
status:
  token: {{secret: status-token}}
"""


def _hostform(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSTFORM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)


def _steps(m: Machine, since: float) -> str:
    """When each step of the update happened on the machine (seconds after ``since``)."""
    res = m.exec(["journalctl", "-b", "--no-pager", "-o", "json", f"--since=@{int(since)}", "-u", "podman-auto-update", "-u", "site"],
                 check=False)
    out = res.stdout
    if not out.strip():
        return f"  (journalctl: {res.stderr.strip()})"
    steps = ("Starting podman-auto-update", "Writing manifest", "Stopping site.service", "Stopped site.service", "Starting site.service",
             "container start", "is healthy", "Started site.service", "Finished podman-auto-update")
    got = []
    for line in out.splitlines():
        e = json.loads(line)
        msg = e.get("MESSAGE") if isinstance(e.get("MESSAGE"), str) else ""
        for step in steps:
            if step in msg:
                got.append(f"  {int(e['__REALTIME_TIMESTAMP']) / 1e6 - since:6.2f}s {step}")
    return "\n".join(got)


def _logs(cli, capsys: pytest.CaptureFixture[str], common: list[str], *args: str) -> str:
    capsys.readouterr()
    assert cli(["logs", *common, *args]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def _follow(m: Machine, env: dict[str, str], common: list[str]) -> None:
    """`hostform logs site --follow` in a process of its own: it prints a line the service writes after it started."""
    p = subprocess.Popen([*HOSTFORM, "logs", *common, "site", "--follow"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in p.stdout or ()], daemon=True).start()
    try:
        got = [lines.get(timeout=30)]  # the last lines: it has asked once, and now waits for more
        mark = "/follow-" + os.urandom(4).hex()
        assert m.get(f"https://{SITE}{mark}", resolve=f"{SITE}:443:{m.address}", insecure=True)[0] == 404
        end = time.monotonic() + 30
        while not any(f"url:{mark}" in x for x in got):
            assert time.monotonic() < end and p.poll() is None, "".join(got)
            try:
                got.append(lines.get(timeout=1))
            except queue.Empty:
                pass
    finally:
        p.terminate()
        p.wait(10)
    assert p.stderr is not None and p.stderr.read() == ""


# a parameter of logs -> the other parameters sent with it (so that only this one is in question); status and update take none
FUZZED = {"unit": "", "lines": "unit=site", "since": "unit=site", "after": "unit=site", "wait": "unit=site", "format": "unit=site"}
HOSTILE = ["", "..", "../../etc/passwd", "site;reboot", "$(reboot)", "`id`", "site\x00", "%00", "%0d%0aX-Injected:%201", "site%20caddy",
           "-n", "--help", "--since=0", "site.service", "*", "'", '"', "\\", "a" * 5000, "9" * 20, "-1", "0", "00", "1e3", "0x10", "+1",
           "26", "99", "json ", "JSON", "text\r\nX: y", "\u00fc", "\u202e", "{}", "site&unit=caddy", "=", "&", "?", "#", "%", "site#x"]


def _valid(name: str, value: str) -> bool:
    from hostform.status.client import _QUERY

    if not re.fullmatch(_QUERY[name], value):
        return False
    return (name != "unit" or value in ("site", "caddy", "podman-auto-update")) and (name != "wait" or int(value) <= 25)


def _values(rng: random.Random, name: str) -> list[str]:
    """40 values: the hostile ones, then random ones (some valid)."""
    out = list(HOSTILE[:20]) + rng.sample(HOSTILE[20:], 8)
    printable = "".join(chr(c) for c in range(33, 127))
    while len(out) < 40:
        k = rng.randrange(3)
        if k == 0:  # random printable text
            out.append("".join(rng.choice(printable) for _ in range(rng.randrange(1, 30))))
        elif k == 1:  # in the parameter's alphabet (valid or not for another reason)
            alphabet = {"unit": "abcsitez-.@_0", "lines": "0123456789", "since": "0123456789", "after": "Aa0=;s",
                        "wait": "0123456789", "format": "jsontxe"}.get(name, "abc")
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 6))))
        else:  # a valid one
            out.append(rng.choice({"unit": ["site", "caddy", "podman-auto-update"], "lines": ["1", "50", "5000", "9999"],
                                   "since": ["0", "60", "9999999999"], "after": ["s=abc;i=1", "x"], "wait": ["0", "1", "2"],
                                   "format": ["json", "text"]}.get(name, ["x"])))
    return out


def _raw(port: int, cacert: Path, token: str, method: str, target: bytes, timeout: float = 40) -> int:
    """One request as bytes, through Caddy at 127.0.0.1:PORT: the status code (0: no answer)."""
    ctx = ssl.create_default_context(cafile=str(cacert))
    auth = base64.b64encode(f"hostform:{token}".encode()).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw, ctx.wrap_socket(raw, server_hostname=SITE) as s:
        s.sendall(method.encode() + b" " + target + b" HTTP/1.1\r\nHost: " + SITE.encode() + b"\r\nAuthorization: Basic " + auth.encode()
                  + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    m = re.match(rb"HTTP/1\.[01] ([0-9]{3})", data)
    return int(m.group(1)) if m else 0


def _fuzz(port: int, cacert: Path, token: str) -> list[int]:
    rng = random.Random(14)
    seen: list[tuple[str, str, int]] = []
    for name, base in FUZZED.items():
        for v in _values(rng, name):
            target = "/.hostform/logs?" + (base + "&" if base else "") + f"{name}={v}"
            t0 = time.monotonic()
            code = _raw(port, cacert, token, "GET", target.encode())
            assert time.monotonic() - t0 < 35, (target, "took", time.monotonic() - t0)
            if _valid(name, v):
                assert code == 200, (target, code)
            else:
                assert 400 <= code < 500, (target, code)
            seen.append((name, v, code))
    for endpoint, method in (("status", "GET"), ("update", "POST")):  # they take no parameter: any is refused before anything runs
        for v in _values(rng, "x"):
            k = rng.choice(["x", "unit", "lines", "a" * 300, "", "%00", "$(id)"])
            code = _raw(port, cacert, token, method, f"/.hostform/{endpoint}?{k}={v}".encode())
            assert 400 <= code < 500, (endpoint, k, v, code)
            seen.append((endpoint, v, code))
    assert len(seen) == 6 * 40 + 2 * 40 and sum(c == 200 for *_, c in seen) >= 20, seen
    return [c for *_, c in seen]


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_status_update_and_logs_on_a_booted_machine(variant: str, podman: str, runner, cache, busybox, caddy_image, registry, machines, site_image, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    d = tmp_path / "host"
    d.mkdir()
    r = _hostform("secret", "keygen", env=env)
    assert r.returncode == 0, r.stderr
    (d / "hostform.yaml").write_text(HOST.format(podman=podman, recipient=r.stdout.strip(), registry=C.registry_name_in_guest(), site=SITE))
    token = "tok-" + os.urandom(16).hex()
    assert _hostform("secret", "set", "status-token", str(d), env=env, stdin=token).returncode == 0
    r = _hostform("build", str(d), "-o", str(tmp_path / "build"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr

    first = oci.push(site_image(busybox, "v1", talks=True), registry.address, "site")
    oci.push(caddy_image, registry.address, "caddy", "2")
    m = Machine(tmp_path / "build" / "main.ign", tmp_path / "m", cache, runner, registry_port=registry.port,
                state_dir=tmp_path / "state", remaps=CADDY_REMAP)
    m.variant = variant
    machines.append(m)
    root = m.provision()
    for pkg in C.STATUS_DEBS:  # what Fedora CoreOS has that the test machines' Debian root file system lacks
        runner.run(["cp", "-a", "--", f"{cache.deb(pkg)}/.", str(root)])
    m.boot()
    for unit in ("site.service", "caddy.service"):
        assert m.wait_active(unit, 180), m.exec(["journalctl", "-b", "--no-pager", "-n", "80"], check=False).stdout
    port = free_port()
    m.publish(port, 443)
    cacert = m.caddy_root(tmp_path / "root.crt")

    monkeypatch.setenv("HOSTFORM_AGE_KEY_FILE", str(tmp_path / "config" / "hostform" / "age.key"))
    common = [str(d), "--url", f"https://{SITE}:{port}", "--connect", "127.0.0.1", "--cacert", str(cacert)]

    def status() -> dict:
        capsys.readouterr()
        assert cli(["status", *common, "--format", "json"]) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)

    got = status()
    site = {s["name"]: s for s in got["services"]}["site"]
    assert (site["running_digest"], site["registry_digest"], site["state"]) == (first, first, "running"), got
    assert got["sites"][0]["site"] == SITE and got["sites"][0]["certificate_expires"] > time.time(), got
    assert cli(["status", *common]) == 0 and "site" in capsys.readouterr().out

    # the service's own lines (busybox httpd -v logs each request's path); --follow receives one written after it started
    mark = "/hello-" + os.urandom(4).hex()
    assert m.get(f"https://{SITE}{mark}", resolve=f"{SITE}:443:{m.address}", insecure=True)[0] == 404
    end = time.monotonic() + 20
    while f"url:{mark}" not in (out := _logs(cli, capsys, common, "site")) and time.monotonic() < end:
        time.sleep(1)
    assert f"url:{mark}" in out and "site v1 starting" in out and "\n\n" not in out, out
    _follow(m, env | {"HOSTFORM_AGE_KEY_FILE": str(tmp_path / "config" / "hostform" / "age.key")}, common)
    # hostile query values through the real Caddy, with the token: 4xx, or 200 for a valid one; never 5xx, never a hang
    t1 = time.monotonic()
    codes = _fuzz(port, cacert, token)
    with capsys.disabled():
        print(f"\nfuzzed {len(codes)} requests in {time.monotonic() - t1:.0f}s: " + ", ".join(f"{c}: {codes.count(c)}" for c in sorted(set(codes))))

    # a push, then update now: served within 10 s, and status says so
    second = oci.push(site_image(busybox, "v2", talks=True), registry.address, "site")
    t0, w0 = time.monotonic(), time.time()
    capsys.readouterr()
    assert cli(["update", *common]) == 0, capsys.readouterr().err
    answered = time.monotonic() - t0
    while m.get(f"https://{SITE}/", resolve=f"{SITE}:443:{m.address}", insecure=True) != (200, "hello from v2\n"):
        assert time.monotonic() - t0 < 10, _steps(m, w0)
        time.sleep(0.2)
    with capsys.disabled():
        print(f"\nserved v2 {time.monotonic() - t0:.1f}s after `hostform update` (answered in {answered:.2f}s); on the machine:\n{_steps(m, w0)}")
    end = time.monotonic() + 60
    while (site := {s["name"]: s for s in status()["services"]}["site"])["last_change"] is None and time.monotonic() < end:
        time.sleep(2)
    assert (site["running_digest"], site["registry_digest"]) == (second, second), site
    if (site["last_change"] or {}).get("updated") != "true":
        pytest.fail(f"{site}\n" + m.exec(["journalctl", "-b", "--no-pager", "-u", "podman-auto-update.service", "-o", "export",
                                          "-n", "12"], check=False).stdout)

    capsys.readouterr()
    assert cli(["logs", *common, "podman-auto-update"]) == 0
    assert "site.service" in capsys.readouterr().out

    # a broken image: update, the rollback shows in status and in the logs; v2 is still served
    oci.push(site_image(busybox, "v3", broken=True), registry.address, "site")
    capsys.readouterr()
    assert cli(["update", *common]) == 0, capsys.readouterr().err
    t0 = time.monotonic()
    while (site := {s["name"]: s for s in status()["services"]}["site"])["last_change"]["updated"] != "rolled back":
        assert time.monotonic() - t0 < 180, site
        time.sleep(3)
    assert site["running_digest"] == second, site
    with capsys.disabled():
        print(f"rollback in status {time.monotonic() - t0:.1f}s after `hostform update`")
    capsys.readouterr()
    assert cli(["logs", *common, "podman-auto-update", "--since", "10m"]) == 0
    assert "rolled back" in capsys.readouterr().out
    assert m.get(f"https://{SITE}/", resolve=f"{SITE}:443:{m.address}", insecure=True) == (200, "hello from v2\n")

    # a wrong token: 401, exit 1, nothing shown
    (tmp_path / "wrong").write_text("wrong\n")
    capsys.readouterr()
    assert cli(["status", *common, "--token-file", str(tmp_path / "wrong")]) == 1
    out = capsys.readouterr()
    assert out.out == "" and "401" in out.err
