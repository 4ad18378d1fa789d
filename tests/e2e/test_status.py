"""Issue 14: `hostform status`, `logs` and `update` against a booted machine, over HTTPS through its Caddy.

The project is made as a user makes it (`hostform secret keygen`, `secret set status-token`, `build`); the
machine boots it; the commands run with the token decrypted from the secret, at the machine's published port
(`--url https://site.test:PORT --connect 127.0.0.1`, as for a machine of `hostform try`). The machines' Debian root
file system lacks jq, skopeo and openssl, which Fedora CoreOS ships: they are unpacked into it from Debian's
packages before the boot.
Checked: status shows the running digest equal to the registry's (the pushed manifest's); a push under the
same tag, then `hostform update` (the timer is far off): the new version is served within 30 s, and status
shows the new digest and the update; `hostform logs podman-auto-update` shows the run; a broken image pushed
and updated is rolled back, which status and logs show, and v2 is still served; a wrong token: 401, exit 1,
nothing shown.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform.cli.main import main as cli
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine, free_port
from tests.e2e._site import CADDY_REMAP
from tests.e2e.conftest import HOSTFORM

pytestmark = pytest.mark.e2e

SITE = "site.test"
HOST = """\
name: statushost
podman: "5.8"
butane_version: 1.4.0
recipients: [{recipient}]
services:
  site:
    image: {registry}/site:latest
    port: 8080
    health: {{http: /}}
sites:
  {site}: site
tls: {{email: me@example.org, ca: internal}}
updates: {{schedule: "Mon *-*-* 03:00:00"}}
status:
  token: {{secret: status-token}}
"""
# what Fedora CoreOS has that the test machines' Debian root file system lacks (the script's tools)
TOOLS_DEBS = ("jq", "libjq1", "libonig5", "skopeo", "openssl")


def _hostform(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSTFORM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)


def test_status_update_and_logs_on_a_booted_machine(runner, cache, busybox, caddy_image, registry, machines, site_image, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    d = tmp_path / "host"
    d.mkdir()
    r = _hostform("secret", "keygen", env=env)
    assert r.returncode == 0, r.stderr
    (d / "hostform.yaml").write_text(HOST.format(recipient=r.stdout.strip(), registry=C.registry_name_in_guest(), site=SITE))
    assert _hostform("secret", "set", "status-token", str(d), env=env, stdin="tok-" + os.urandom(16).hex()).returncode == 0
    r = _hostform("build", str(d), "-o", str(tmp_path / "build"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr

    first = oci.push(site_image(busybox, "v1"), registry.address, "site")
    oci.push(caddy_image, registry.address, "caddy", "2")
    m = Machine(tmp_path / "build" / "main.ign", tmp_path / "m", cache, runner, registry_port=registry.port,
                state_dir=tmp_path / "state", remaps=CADDY_REMAP)
    m.variant = "podman-sid"
    machines.append(m)
    root = m.provision()
    for pkg in TOOLS_DEBS:
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

    # a push, then update now: served within 30 s, and status says so
    second = oci.push(site_image(busybox, "v2"), registry.address, "site")
    t0 = time.monotonic()
    capsys.readouterr()
    assert cli(["update", *common]) == 0, capsys.readouterr().err
    while m.get(f"https://{SITE}/", resolve=f"{SITE}:443:{m.address}", insecure=True) != (200, "hello from v2\n"):
        assert time.monotonic() - t0 < 30, m.exec(["journalctl", "-b", "--no-pager", "-u", "podman-auto-update", "-n", "40"], check=False).stdout
        time.sleep(0.5)
    with capsys.disabled():
        print(f"\nserved v2 {time.monotonic() - t0:.1f}s after `hostform update`")
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
