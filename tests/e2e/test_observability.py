"""`observability:` on a booted machine (issue 14, item 1): a real OpenTelemetry Collector ships the
journal and host metrics to an OTLP/HTTP endpoint with a header held by a hostform secret.

The collector is the one of tests/go/otelcol (built from the collector's Go modules at one release, v0.160.0,
with the machine's Go), packed with `hostform.oci` into an image with `journalctl` and the libraries it
loads (those it links, and the compression libraries libsystemd-shared opens when it reads compressed
journal files), taken from the machine's own root filesystem (Debian trixie), so its journalctl reads the
machine's journal files. The project is made as a user makes it: `hostform secret keygen`, `secret set`,
`build`. The test OTLP/HTTP receiver (tests/e2e/_otlp.py, decoding with `opentelemetry-proto`) listens
where the guest reaches the test host and answers 401 to any other Authorization header.

Checked within 60 s of the collector's start: a line a service writes (with its unit and container as
attributes and the host's name on the resource), a metric of the state disk's file system, and the service's
container CPU time (label container_name; from hostform-metrics.socket on the host's loopback, whose script
needs jq: the machine's Debian root file system lacks it, Fedora CoreOS has it, so it is unpacked from Debian's
packages); then, after a request through Caddy (HTTPS, internal CA), its access-log line (read from the state
disk by the filelog receiver) and a metric Caddy serves (scraped by the prometheus receiver on the host's
loopback); then, after a new image is pushed under the service's tag and podman-auto-update.service is started,
the update's result: podman-auto-update's journal line for the service (`true`).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform._runner import Runner, wait_until
from hostform.tryout import commands as C
from hostform.tryout.harness import Cache, Machine, Registry, free_port, https_get
from tests.e2e._site import CADDY_REMAP
from tests.e2e.conftest import HOSTFORM
from tests.require import go_helper

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LIBDIR = "usr/lib/x86_64-linux-gnu"
OTLP_PORT = 4318  # where the receiver listens in the outer namespace, at the address the guest reaches
# libsystemd-shared opens these (dlopen) to read compressed journal files: `ld.so --list` does not show them
DLOPENED = ("libzstd.so.1", "liblz4.so.1", "liblzma.so.5")
VARIANT = "podman-sid"
TOOLS_DEBS = ("jq", "libjq1", "libonig5")  # the metrics endpoint's script uses jq (Fedora CoreOS has it)

HOST = """\
name: watched
podman: "5.8"
butane_version: 1.4.0
recipients: [{recipient}]
services:
  talker:
    image: {registry}/talker:1
    command: [sh, -c, 'mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www && while :; do echo "talker says {marker}"; sleep 2; done']
    port: 8080
sites:
  watched.test: {{service: talker}}
tls: {{ca: internal}}
observability:
  endpoint: http://{endpoint}
  headers: {{Authorization: {{secret: otlp-auth}}}}
  image: {registry}/otelcol:0.160.0
  interval: 5s
"""


def collector_image(busybox: bytes, cache: Cache, runner: Runner) -> oci.Image:
    """busybox, the collector at /otelcol (its entrypoint), and the machine's journalctl with its libraries."""
    otelcol = Path(go_helper("otelcol"))
    rootfs = cache.ensure_rootfs(variant=VARIANT)
    loader = rootfs / "usr/lib64/ld-linux-x86-64.so.2"
    libpath = ":".join(str(rootfs / d) for d in (LIBDIR, f"{LIBDIR}/systemd"))
    journalctl = rootfs / "usr/bin/journalctl"
    listed = runner.run([str(loader), "--library-path", libpath, "--list", str(journalctl)]).stdout
    libs: dict[str, Path] = {}
    for line in listed.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if arrow and not name.startswith("/"):
            libs[name] = Path(rest.rsplit(" (", 1)[0])
    assert any(n.startswith("libsystemd-shared") for n in libs), libs
    for name in DLOPENED:
        libs[name] = rootfs / LIBDIR / name
    entries = [
        oci.Entry.file("otelcol", otelcol.read_bytes(), 0o755),
        oci.Entry.file("usr/bin/journalctl", journalctl.read_bytes(), 0o755),
        oci.Entry.file("usr/lib64/ld-linux-x86-64.so.2", loader.resolve().read_bytes(), 0o755),
        oci.Entry.symlink("lib64", "usr/lib64"),
    ]
    for name, path in sorted(libs.items()):
        real = path.resolve()
        # at the path it has in the root filesystem (libsystemd-shared: the RUNPATH's systemd/ directory)
        rel = path.relative_to(rootfs).parent if path.is_relative_to(rootfs) else Path(LIBDIR)
        entries.append(oci.Entry.file(f"{rel}/{name}", real.read_bytes(), 0o755))
    base = oci.busybox_image(busybox).layers[0]
    return oci.Image([base, oci.layer_from_entries(entries)], entrypoint=["/otelcol"], cmd=["--help"],
                     env=("PATH=/usr/bin:/bin",))


def hostform(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSTFORM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)


def records(out: Path) -> list[dict]:
    if not out.is_file():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def test_the_collector_ships_a_service_line_a_state_disk_metric_and_caddys_log_and_metrics(
    runner, cache, busybox, caddy_image, registry: Registry, machines, tmp_path: Path
) -> None:
    token = "Bearer otlp-" + secrets.token_hex(12)
    marker = "m-" + secrets.token_hex(6)
    oci.push(oci.busybox_image(busybox), registry.address, "talker", "1")
    oci.push(collector_image(busybox, cache, runner), registry.address, "otelcol", "0.160.0")
    oci.push(caddy_image, registry.address, "caddy", "2")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTFORM_AGE", "HOSTFORM_OTELCOL"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["HOSTFORM_OTELCOL"] = go_helper("otelcol")  # the build checks the configuration with the real collector
    d = tmp_path / "watched"
    d.mkdir()
    r = hostform("secret", "keygen", env=env)
    assert r.returncode == 0, r.stderr
    (d / "hostform.yaml").write_text(HOST.format(recipient=r.stdout.strip(), registry=C.registry_name_in_guest(),
                                                 endpoint=f"{C.OUTER_ADDR}:{OTLP_PORT}", marker=marker))
    r = hostform("secret", "set", "otlp-auth", str(d), env=env, stdin=token)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "build"
    r = hostform("build", str(d), "-o", str(out), env=env)
    assert r.returncode == 0 and "HF42" not in r.stdout + r.stderr, r.stdout + r.stderr

    m = Machine(out / "main.ign", tmp_path / "m", cache, runner, registry_port=registry.port, state_dir=tmp_path / "state",
                remaps=CADDY_REMAP)
    m.variant = VARIANT
    machines.append(m)
    root = m.provision()
    for pkg in TOOLS_DEBS:
        runner.run(["cp", "-a", "--", f"{cache.deb(pkg)}/.", str(root)])
    m.boot()
    received = tmp_path / "otlp.jsonl"
    receiver = runner.spawn(C.in_netns(m.names.outer_ns, [sys.executable, "-m", "tests.e2e._otlp", C.OUTER_ADDR, str(OTLP_PORT),
                                                           str(received)]),
                            env={"OTLP_TOKEN": token, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"}, log=tmp_path / "otlp.log")
    try:
        assert m.wait_active("otelcol.service", 240), m.exec(["journalctl", "-b", "--no-pager", "-n", "100"], check=False).stdout
        started = time.monotonic()

        def service_line() -> dict | None:
            for rec in records(received):
                body = rec.get("body")
                if rec["signal"] == "log" and isinstance(body, dict) and marker in str(body.get("MESSAGE", "")):
                    return rec
            return None

        def state_metric() -> dict | None:
            for rec in records(received):
                if rec["signal"] == "metric" and rec["name"].startswith("system.filesystem.") and \
                        rec["attributes"].get("mountpoint") == "/var/mnt/state":
                    return rec
            return None

        def journal() -> str:
            return m.exec(["journalctl", "-b", "--no-pager", "-u", "otelcol.service", "-n", "60"], check=False).stdout

        assert wait_until(lambda: service_line() is not None, 60, 1), journal() + (tmp_path / "otlp.log").read_text()
        line = service_line()
        assert line is not None
        assert line["attributes"].get("systemd.unit") == "talker.service", line
        assert line["attributes"].get("container.name") == "talker", line
        assert line["resource"].get("host.name") == "watched", line
        def mounts() -> str:  # what the file-system scraper reads: the host's mount table, through /hostfs
            return m.exec(["podman", "exec", "otelcol", "cat", "/hostfs/proc/1/mountinfo"], check=False).stdout

        assert wait_until(lambda: state_metric() is not None, 60, 1), journal() + mounts()
        metric = state_metric()
        assert metric is not None and metric["resource"].get("host.name") == "watched", metric

        def cpu_metric() -> dict | None:  # the service's container CPU time, from hostform-metrics.socket
            for rec in records(received):
                if rec["signal"] == "metric" and rec["name"] == "container_cpu_time_seconds_total" and \
                        rec["attributes"].get("container_name") == "talker":
                    return rec
            return None

        def scrape() -> str:  # as the collector asks (its request, seen on a socket)
            request = ("GET /.hostform/metrics HTTP/1.1\\r\\nHost: 127.0.0.1:2021\\r\\nUser-Agent: otelcol/0.160.0-hostform\\r\\n"
                       "Accept: text/plain;version=0.0.4;q=0.3,*/*;q=0.2\\r\\nAccept-Encoding: gzip\\r\\n"
                       "X-Prometheus-Scrape-Timeout-Seconds: 5\\r\\n\\r\\n")
            return m.exec(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/2021; printf '{request}' >&3; cat <&3"], check=False).stdout + \
                m.exec(["journalctl", "-b", "--no-pager", "-u", "hostform-metrics*", "-n", "30"], check=False).stdout

        assert wait_until(lambda: cpu_metric() is not None, max(1.0, 60 - (time.monotonic() - started)), 1), journal() + scrape()
        cpu = cpu_metric()
        assert cpu is not None and cpu["value"] > 0 and cpu["resource"].get("host.name") == "watched", cpu
        took = time.monotonic() - started

        # a request through Caddy: its access-log line, and Caddy's metrics
        assert m.wait_active("caddy.service", 120), m.exec(["journalctl", "-b", "--no-pager", "-u", "caddy.service"], check=False).stdout
        port = free_port()
        m.publish(port, 443)
        cafile = m.caddy_root(tmp_path / "root.crt")
        assert wait_until(lambda: "hello" in https_get(port, "watched.test", cafile, "/?from=" + marker)[1], 60, 0.5)

        def access_line() -> dict | None:
            for rec in records(received):
                if rec["signal"] == "log" and rec["resource"].get("service.name") == "caddy" and marker in json.dumps(rec):
                    return rec
            return None

        def caddy_metric() -> dict | None:
            for rec in records(received):
                if rec["signal"] == "metric" and rec["name"].startswith("caddy_"):
                    return rec
            return None

        assert wait_until(lambda: access_line() is not None, 60, 1), journal()
        assert wait_until(lambda: caddy_metric() is not None, 60, 1), journal()
        # a new image under the service's tag, and the update now: its result reaches the receiver
        oci.push(oci.busybox_image(busybox, files={"version": "2\n"}), registry.address, "talker", "1")
        m.exec(["systemctl", "start", "--no-block", "podman-auto-update.service"])
        t0 = time.monotonic()

        def update_line() -> dict | None:
            for rec in records(received):
                body = rec.get("body")
                message = str(body.get("MESSAGE", "")) if isinstance(body, dict) else ""
                if rec["signal"] == "log" and rec["attributes"].get("systemd.unit") == "podman-auto-update.service" and \
                        "talker.service" in message and message.split()[-1:] == ["true"]:
                    return rec
            return None

        assert wait_until(lambda: update_line() is not None, 120, 1), journal() + m.exec(
            ["journalctl", "-b", "--no-pager", "-u", "podman-auto-update.service", "-n", "30"], check=False).stdout
        updated = time.monotonic() - t0
        # the header came from the secret: the receiver refuses any other (and nothing else was recorded)
        assert "401" not in (tmp_path / "otlp.log").read_text()
        names = sorted({rec["name"] for rec in records(received) if rec["signal"] == "metric"})
        controllers = m.exec(["cat", "/sys/fs/cgroup/cgroup.controllers"], check=False).stdout.strip()
        print(f"\nthe machine's cgroup controllers: {controllers}; talker.service: "
              + m.exec(["systemctl", "show", "-p", "MemoryCurrent", "-p", "CPUUsageNSec", "talker.service"], check=False).stdout)
        print(f"\nobservability: a service line, a state-disk metric and the service's CPU time {took:.0f}s after the collector "
              f"started; the update's result {updated:.0f}s after podman-auto-update was started: {update_line()}; metrics: {names}")
    finally:
        receiver.terminate()
