"""The metrics endpoint (observability): the services' container metrics as Prometheus text, for the collector.

The script and its configuration are main.ign's (a host with `observability:` and no `status:`), run by bash
for real against stand-ins of systemctl, podman and the http probe (one value per service), the way systemd's
Accept=yes socket runs it: once with the request on stdin, and once behind a real listening socket
(systemd-socket-activate, as hostform-metrics.socket does) asked by an HTTP client. The answer is parsed as the
Prometheus text format (strictly: every sample of a family its TYPE announced, labels and values well formed).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from hostform.status import vm

from .conftest import STUB, Vm, analyze_verify, build_host, make_vm, parse_response

HOST = {
    "name": "h",
    "services": {
        "web": {"image": "registry.test/web:1", "port": 8080, "health": {"cmd": ["app", "ping"]}},
        "api": {"image": "registry.test/api:1", "port": 9000, "health": {"http": "/healthz", "timeout": "3s"}},
        "db": {"image": "registry.test/db:17"},
    },
    "observability": {"endpoint": "https://otlp.example.org", "image": "registry.example.org/otelcol:1", "interval": "15s"},
}

# systemctl: prints the file named after its last argument (the unit), so each service has its own values
SYSTEMCTL = r"""#!/usr/bin/bash
{ printf 'systemctl'; printf '\x1f%s' "$@"; printf '\n'; } >>"$STUB_LOG"
cat "$STUB_OUT/systemctl.${@: -1}" 2>/dev/null
exit 0
"""

# the Prometheus text format (0.0.4), as a scraper reads it
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf'({_NAME})(?:\{{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\}})? (\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')


def parse_prometheus(text: str) -> dict[str, tuple[str, dict[str, float]]]:
    """name -> (type, {container_name: value}) ("" for a sample without labels: the host's own, as the backups');
    fails on anything the format does not allow."""
    assert text == "" or text.endswith("\n"), text
    families: dict[str, tuple[str, dict[str, float]]] = {}
    typed: str | None = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert re.fullmatch(_NAME, name) and kind in ("counter", "gauge") and name not in families, line
            families[name] = (kind, {})
            typed = name
            continue
        m = _SAMPLE.fullmatch(line)
        assert m is not None, line
        name, labels, value = m.groups()
        assert name == typed, f"{line!r}: not in the family its TYPE announced ({typed})"
        got = dict(_LABEL.findall(labels or ""))
        assert labels is None or set(got) == {"container_name"}, line  # a container's, or none (no empty braces)
        number = float(value)
        assert math.isfinite(number) and number >= 0, line
        key = got.get("container_name", "")
        assert key not in families[name][1], f"{line!r}: twice"
        families[name][1][key] = number
    return families


@pytest.fixture(scope="session")
def built_metrics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_host(tmp_path_factory.mktemp("metrics-build"), HOST)


@pytest.fixture
def machine(built_metrics: Path, tmp_path: Path) -> Vm:
    vmx = make_vm(built_metrics, tmp_path)
    cfg = json.loads(vmx.config.read_text())
    cfg["probe"] = str(tmp_path / "bin" / "http-health")  # the probe's stand-in
    vmx.config.write_text(json.dumps(cfg))
    (tmp_path / "bin" / "http-health").write_text(STUB)
    os.chmod(tmp_path / "bin" / "http-health", 0o755)
    (tmp_path / "bin" / "systemctl").write_text(SYSTEMCTL)
    return vmx


def _show(machine: Vm, unit: str, **props: str) -> None:
    (machine.tmp / "out" / f"systemctl.{unit}").write_text("".join(f"{k}={v}\n" for k, v in props.items()))


def _running(machine: Vm, web_health: str = "healthy", api_probe_rc: int = 0) -> None:
    _show(machine, "web.service", ActiveState="active", CPUUsageNSec="12345678901", MemoryCurrent="52428800", NRestarts="2")
    _show(machine, "api.service", ActiveState="active", CPUUsageNSec="7", MemoryCurrent="1048576", NRestarts="0")
    # db: systemd has no accounting for it (as before its first start): those values are left out
    _show(machine, "db.service", ActiveState="failed", CPUUsageNSec="[not set]", MemoryCurrent="18446744073709551615", NRestarts="5")
    machine.out("podman.container", json.dumps([{"State": {"Status": "running", "Health": {"Status": web_health}}}]))
    machine.out("http-health.once", "", rc=api_probe_rc)


def test_the_build_writes_a_loopback_socket_and_the_script_for_observability_alone(machine: Vm) -> None:
    assert not any(n.startswith("hostform-api-") for n in machine.units)  # no status: no status endpoints
    sock = machine.units["hostform-metrics.socket"]
    for line in ("ListenStream=127.0.0.1:2021", "Accept=yes", "MaxConnections=4"):
        assert f"\n{line}\n" in sock, sock
    svc = machine.units["hostform-metrics@.service"]
    for line in (f"ExecStart=/usr/bin/bash {vm.SCRIPT_PATH} metrics", "StandardInput=socket", "StandardOutput=socket", "RuntimeMaxSec=30"):
        assert f"\n{line}\n" in svc, svc
    cfg = json.loads(machine.config.read_text())
    assert cfg["health"] == {"web": "cmd", "api": "http", "db": "none"}
    # the probe's one check: the container on the services' network, its port and path, the check's timeout
    assert cfg["probes"] == {"api": ["once", "api", "hostform", "9000", "/healthz", "3000"]}


def test_systemd_analyze_verifies_the_socket_and_its_service(machine: Vm, tmp_path: Path) -> None:
    analyze_verify(machine.units, ["hostform-metrics.socket"], tmp_path)


def test_metrics_per_service_as_prometheus_text(machine: Vm) -> None:
    _running(machine)
    status, fields, body = machine.get("metrics")
    assert status == 200 and fields["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    got = parse_prometheus(body.decode())
    assert got["container_cpu_time_seconds_total"] == ("counter", {"web": 12.345678901, "api": 7e-9})
    assert got["container_memory_usage_bytes"] == ("gauge", {"web": 52428800, "api": 1048576})
    assert got["container_restarts_total"] == ("counter", {"web": 2, "api": 0, "db": 5})
    assert got["container_up"] == ("gauge", {"web": 1, "api": 1, "db": 0})
    # health: podman's for web (cmd), the probe's one check for api (http), none for db (no check: absent)
    assert got["container_healthy"] == ("gauge", {"web": 1, "api": 1})
    calls = machine.calls()
    assert ["systemctl", "show", "-p", "ActiveState", "-p", "CPUUsageNSec", "-p", "MemoryCurrent", "-p", "NRestarts", "--",
            "web.service"] in calls
    assert ["http-health", "once", "api", "hostform", "9000", "/healthz", "3000"] in calls
    assert [c for c in calls if c[0] == "podman"] == [["podman", "container", "inspect", "--format", "json", "web"]]
    assert not any(c[0] == "systemctl" and c[1] != "show" for c in calls)  # read-only


@pytest.mark.parametrize("web_health, probe_rc, want", [
    ("unhealthy", 1, {"web": 0, "api": 0}),
    ("starting", 2, None),  # podman still starting, the probe's container not running: unknown, left out
])
def test_a_failing_or_unknown_health(machine: Vm, web_health: str, probe_rc: int, want: dict[str, int] | None) -> None:
    _running(machine, web_health, probe_rc)
    got = parse_prometheus(machine.get("metrics")[2].decode())
    assert got.get("container_healthy", ("gauge", None))[1] == want


def test_metrics_survive_broken_command_output(machine: Vm) -> None:
    for unit in ("web.service", "api.service", "db.service"):
        (machine.tmp / "out" / f"systemctl.{unit}").write_text('CPUUsageNSec=1e9; $(touch x)\nMemoryCurrent=-1\nNRestarts=\nActiveState="\n')
    machine.out("podman.container", '{"not": [json', rc=1)
    machine.out("http-health.once", "", rc=3)
    status, _, body = machine.get("metrics")
    assert status == 200 and parse_prometheus(body.decode()) == {}
    assert not (machine.tmp / "x").exists()


@pytest.mark.parametrize("raw", [b"POST /.hostform/metrics HTTP/1.1\r\n\r\n", b"GET /metrics HTTP/1.1\r\n\r\n",
                                 b"GET /.hostform/metrics?x=1 HTTP/1.1\r\n\r\n", b"GET /.hostform/status HTTP/1.1\r\n\r\n", b"\x00\xff"])
def test_anything_but_a_get_of_the_path_is_4xx_and_runs_nothing(machine: Vm, raw: bytes) -> None:
    assert 400 <= machine.request("metrics", raw)[0] < 500
    assert machine.calls() == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_served_on_a_socket_as_systemd_does_and_read_by_an_http_client(machine: Vm) -> None:
    activate = shutil.which("systemd-socket-activate")
    if activate is None:
        pytest.skip("systemd-socket-activate is not installed (Debian's systemd package)")
    _running(machine)
    port = _free_port()
    env = {"PATH": f"{machine.tmp / 'bin'}:/usr/bin:/bin", "STUB_LOG": str(machine.log), "STUB_OUT": str(machine.tmp / "out"),
           "HOSTFORM_API_CONFIG": str(machine.config), "HOME": str(machine.tmp)}
    # --inetd: each connection is the command's stdin and stdout (Accept=yes with StandardInput=socket)
    proc = subprocess.Popen([activate, "-l", f"127.0.0.1:{port}", "--inetd", "-a", "-E", "PATH", "-E", "STUB_LOG", "-E", "STUB_OUT",
                             "-E", "HOSTFORM_API_CONFIG", "/usr/bin/bash", str(machine.script), "metrics"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # as Prometheus asks (its Accept header is long: the script reads and drops it)
        request = (f"GET {vm.METRICS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: Prometheus/3\r\n"
                   "Accept: " + "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," * 20 + "*/*;q=0.1\r\n"
                   "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n").encode()
        end = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                    conn.sendall(request)
                    raw = b""
                    while chunk := conn.recv(65536):
                        raw += chunk
                break
            except OSError:
                assert time.monotonic() < end
                time.sleep(0.2)
        status, fields, body = parse_response(raw)  # strict: CRLF lines, a body of exactly Content-Length bytes
        assert status == 200 and fields["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        # and an HTTP client reads the same
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{vm.METRICS_PATH}", timeout=10) as r:
            assert r.status == 200 and r.read() == body
        got = parse_prometheus(body.decode())
        assert got["container_cpu_time_seconds_total"][1]["web"] == 12.345678901
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_refused_request_is_said_in_the_journal_quoted(machine: Vm) -> None:
    """The unit's stderr goes to the journal: the mode, the status, why, and the request line quoted (%q)."""
    p = subprocess.run(["bash", str(machine.script), "metrics"], input=b"GET /x\x01$(id) HTTP/1.1\r\n\r\n", capture_output=True,
                       env={"PATH": f"{machine.tmp / 'bin'}:/usr/bin:/bin", "HOSTFORM_API_CONFIG": str(machine.config)}, timeout=30)
    assert p.stderr.decode() == "api metrics: 404 no such endpoint: $'GET /x\\001$(id) HTTP/1.1'\n"
