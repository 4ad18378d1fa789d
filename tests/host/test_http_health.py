"""`health.http` is probed from the host, as a user meets it: `hostform build`, then the real consumers.

* The built quadlets go through podman's real generators (5.4, 5.8, 6.1): a service with an http check
  runs no podman health check (an image without curl or wget passes) and is not `--sdnotify=healthy`;
  its unit's first `ExecStartPost=` is the host's probe (`gate`), with the host file's port and path
  as systemd will pass them, and only then does it join Caddy's network; it upholds NAME-health.service.
  `health.cmd` is still podman's (`--health-cmd`, `--sdnotify=healthy`).
* That unit and NAME-health.service (main.ign) pass `systemd-analyze verify`.
* The probe script (main.ign's file) runs for real against a loopback HTTP server, with the
  arguments of the generated units and a stand-in for podman's inspect: it passes a 2xx/3xx answer,
  fails a 500, a refused connection and an answer slower than `timeout` within the time the host
  file gives, stops at once when the container is not running, finds a pod member's address through
  its pod, and `watch` kills the container after `retries` failures in a row.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hostform.host.bundle import files_and_units
from hostform.host.health import PROBE_PATH
from hostform.quadlet.realgen import run_real
from hostform.quadlet.unitfile import parse_text
from tests.quadlet.conftest import _real as real_generator
from tests.systemd_exec import exec_argv

VERSIONS = ("5.4", "5.8", "6.1")
# every character the schema lets into a path that a unit file or a shell would read as its own
PATH = "/health?q=%20$x&a='b'(c);d=*"
HOST = """\
name: h
podman: "{podman}"
services:
  web:
    image: ghcr.io/example/web:1
    port: {port}
    health: {{http: "{path}", interval: 1s, timeout: 1s, retries: 2, start_period: "0"}}
  db:
    image: ghcr.io/example/db:1
    port: {port}
    pod: back
    health: {{http: /ready, interval: 500ms, timeout: 1s, retries: 3}}
  worker: {{image: ghcr.io/example/worker:1, health: {{cmd: pg_isready}}}}
sites:
  example.org: web
tls: {{email: me@example.org}}
"""


def _build(tmp: Path, podman: str = "5.8", port: int = 8080) -> Path:
    project = tmp / "project"
    project.mkdir(parents=True)
    text = HOST.format(podman=podman, port=port, path=PATH)
    if podman < "5":  # no .pod units before podman 5.0
        text = text.replace("    pod: back\n", "")
    (project / "hostform.yaml").write_text(text)
    built = subprocess.run([sys.executable, "-m", "hostform", "build", "."], cwd=project, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    return project / "build"


def _ignition(build: Path) -> tuple[dict[str, tuple[str, int | None]], dict[str, str]]:
    """main.ign's files (path -> (text, mode)) and units (name -> text), decoded as Ignition writes them."""
    files, units = files_and_units(json.loads((build / "main.ign").read_text()))
    return {f.vm_path: (f.text, f.mode) for f in files}, {u.name: u.text or "" for u in units}


def _generated(build: Path, version: str) -> dict[str, str]:
    quadlets = build / "quadlets"
    code, units, stderr = run_real(quadlets, binary=real_generator(version), version=version)
    assert code == 0 and "error" not in stderr.lower(), stderr
    return units


def _values(text: str, section: str, key: str) -> list[str]:
    return parse_text(text, "x.service").lookup_all_raw(section, key)


def _run_argv(unit: str) -> list[str]:
    (run,) = [v for v in _values(unit, "Service", "ExecStart") if " run " in v]
    return exec_argv(run)


def _gate_argv(port: int, path: str, name: str = "web", timing: tuple[str, ...] = ("1000", "1000", "2", "0")) -> list[str]:
    return ["/usr/bin/bash", PROBE_PATH, "gate", name, "hostform", str(port), path, *timing]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_real_units_probe_http_from_the_host(tmp_path: Path, version: str) -> None:
    build = _build(tmp_path, version)
    units = _generated(build, version)
    web = units["web.service"]
    argv = _run_argv(web)
    assert not [a for a in argv if a.startswith("--health")], "no podman health check: the image needs nothing"
    assert "--sdnotify=conmon" in argv, argv  # started when the container runs; the probe holds the unit's start
    posts = [exec_argv(v) for v in _values(web, "Service", "ExecStartPost")]
    assert posts == [_gate_argv(8080, PATH), ["/usr/bin/podman", "network", "connect", "hostform-sites", "web"]]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--network"] == ["hostform"], "on Caddy's network only once the probe passed"
    assert "web-health.service" in _values(web, "Unit", "Upholds")
    assert int(_values(web, "Service", "TimeoutStartSec")[-1]) >= 900 + 2 * 2  # the pull, then the whole gate
    # a pod member: probed too (through its pod's address), joins no network itself
    db = units["db.service"]
    assert [exec_argv(v) for v in _values(db, "Service", "ExecStartPost")] == [
        _gate_argv(8080, "/ready", "db", ("500", "1000", "3", "10000"))]
    assert not [a for a in _run_argv(db) if a.startswith("--health")]
    # health.cmd: podman's own check, in the container, as before
    worker = _run_argv(units["worker.service"])
    assert "--health-cmd" in worker and ("--sdnotify=healthy" in worker or "healthy" in worker)
    assert not _values(units["worker.service"], "Service", "ExecStartPost")

    files, ign_units = _ignition(build)
    script, mode = files[PROBE_PATH]
    assert mode == 0o755 and script.startswith("#!/usr/bin/bash\n")
    watch = ign_units["web-health.service"]
    assert _values(watch, "Unit", "BindsTo") == ["web.service"] and _values(watch, "Unit", "After") == ["web.service"]
    assert exec_argv(_values(watch, "Service", "ExecStart")[0]) == [
        "/usr/bin/bash", PROBE_PATH, "watch", "web", "hostform", "8080", PATH, "1000", "1000", "2"]
    assert "db-health.service" in ign_units and "worker-health.service" not in ign_units


def test_systemd_analyze_verifies_the_service_and_its_watch(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package)")
    build = _build(tmp_path)
    units = _generated(build, "5.8")
    _, ign_units = _ignition(build)
    d = tmp_path / "verify"
    d.mkdir()
    stub = d / "podman"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    for name, text in units.items():  # the service beside the networks' units it requires
        (d / name).write_text(text.replace("/usr/bin/podman", str(stub)))
    (d / "web-health.service").write_text(ign_units["web-health.service"])
    proc = subprocess.run([analyze, "verify", "--man=no", str(d / "web.service"), str(d / "web-health.service")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr


def test_before_podman_5_an_http_check_still_gates_the_start(tmp_path: Path) -> None:
    """No Notify=healthy before podman 5.0: the host's probe does not need it (no HF019 for http)."""
    build = _build(tmp_path, "4.9")
    web = (build / "quadlets" / "web.container").read_text()
    assert "ExecStartPost=/usr/bin/bash " in web and "Network=hostform-sites.network" not in web
    report = (build / "report.txt").read_text()
    assert "HF019" in report and "'worker'" in report.split("HF019", 1)[1].splitlines()[0], report
    assert "'web'" not in "".join(ln for ln in report.splitlines() if "HF019" in ln)


def test_a_unit_name_taken_by_a_health_watch_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "hostform.yaml").write_text(
        "name: h\nservices:\n  web: {image: ghcr.io/example/web:1, port: 80, health: {http: /}}\n"
        "  web-health: {image: ghcr.io/example/other:1}\n")
    proc = subprocess.run([sys.executable, "-m", "hostform", "build", "."], cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "HF011" in proc.stdout + proc.stderr and "web-health.service" in proc.stdout + proc.stderr


# ------------------------------------------------------------------ the probe, for real


class _Server:
    """A loopback HTTP server whose /health answers ``status`` after ``delay`` seconds; it records the paths asked."""

    def __init__(self) -> None:
        self.status, self.delay, self.paths = 200, 0.0, []  # type: tuple[int, float, list[str]]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                time.sleep(outer.delay)
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


class _Probe:
    """The probe script of a build, run with a generated unit's arguments; podman is a stand-in that answers
    the inspect queries from files of ``state`` and logs every call."""

    def __init__(self, tmp: Path, port: int) -> None:
        build = _build(tmp, port=port)
        files, self.units = _ignition(build)
        self.script = tmp / "http-health"
        self.script.write_text(files[PROBE_PATH][0])
        self.state = tmp / "podman-state"
        self.state.mkdir()
        self.podman = tmp / "podman"
        self.podman.write_text(
            "#!/bin/bash\n"
            'echo "$*" >>"$STATE/calls"\n'
            'case "$1 $2" in\n'
            '"container inspect") case $4 in\n'
            '  *State.Running*) cat "$STATE/running-$5" 2>/dev/null || echo false ;;\n'
            '  *NetworkSettings*) cat "$STATE/networks-$5" 2>/dev/null ;;\n'
            '  *.Pod*) cat "$STATE/pod-$5" 2>/dev/null ;;\n'
            '  esac ;;\n'
            '"pod inspect") cat "$STATE/infra-$5" ;;\n'
            'kill*) echo kill >"$STATE/killed-$2" ;;\n'
            "esac\n")
        self.podman.chmod(0o755)
        self.generated = _generated(build, "5.8")

    def container(self, name: str, running: bool = True, networks: str = "hostform 127.0.0.1\n", pod: str = "") -> None:
        (self.state / f"running-{name}").write_text("true\n" if running else "false\n")
        (self.state / f"networks-{name}").write_text(networks)
        (self.state / f"pod-{name}").write_text(pod + "\n")

    def run(self, argv: list[str], timeout: float = 30) -> tuple[int, float, str]:
        """Run a unit's command line (the script's path swapped for this copy): (exit code, seconds, output)."""
        assert argv[:2] == ["/usr/bin/bash", PROBE_PATH]
        env = {"PATH": os.environ["PATH"], "HOSTFORM_PODMAN": str(self.podman), "STATE": str(self.state)}
        t0 = time.monotonic()
        p = subprocess.run(["bash", str(self.script), *argv[2:]], env=env, capture_output=True, text=True, timeout=timeout)
        return p.returncode, time.monotonic() - t0, p.stdout + p.stderr

    def gate(self, name: str = "web") -> list[str]:
        posts = _values(self.generated[f"{name}.service"], "Service", "ExecStartPost")
        return exec_argv(posts[0])

    def watch(self, name: str = "web") -> list[str]:
        return exec_argv(_values(self.units[f"{name}-health.service"], "Service", "ExecStart")[0])


@pytest.fixture
def probe(tmp_path: Path, server: _Server) -> _Probe:
    return _Probe(tmp_path, server.port)


def test_the_gate_passes_a_healthy_answer_with_the_path_as_written(probe: _Probe, server: _Server) -> None:
    probe.container("web")
    for status in (200, 204, 302):
        server.status = status
        code, took, out = probe.run(probe.gate())
        assert code == 0 and took < 2, (status, out)
    assert server.paths[-1] == PATH, "the host file's path reaches the server as written"
    assert "web is healthy" in out


@pytest.mark.parametrize("failure", ["500", "refused", "slow"])
def test_the_gate_fails_an_unhealthy_container_in_the_time_the_host_file_gives(probe: _Probe, server: _Server, failure: str) -> None:
    """retries: 2, interval: 1s, timeout: 1s, start_period 0: two checks a second apart, each at most 1s (+1s kill)."""
    probe.container("web")
    if failure == "500":
        server.status = 500
    elif failure == "slow":
        server.delay = 3
    else:
        server.close()
    code, took, out = probe.run(probe.gate())
    assert code == 1, out
    assert 1 <= took < (6 if failure == "slow" else 3), (took, out)
    assert "web is unhealthy" in out and "failed 2 times in a row" in out, out
    if failure == "500":
        assert "HTTP/1.0 500" in out


def test_failures_in_the_start_period_do_not_count(probe: _Probe, server: _Server) -> None:
    """db: interval 500ms, retries 3, start_period 10s (the default): a server that turns healthy after 2.5 s
    (5 failures, more than retries) still passes."""
    probe.container("db", networks="", pod="back")
    probe.container("back-infra")
    (probe.state / "infra-back").write_text("back-infra\n")
    server.status = 503
    threading.Timer(2.5, lambda: setattr(server, "status", 200)).start()
    code, took, out = probe.run(probe.gate("db"))
    assert code == 0 and 2.4 < took < 5, (took, out)
    assert server.paths and set(server.paths) == {"/ready"}
    # the member has no address of its own: its pod's was asked for
    assert "pod inspect --format {{.InfraContainerID}} back" in (probe.state / "calls").read_text()


def test_within_the_start_period_the_gate_asks_again_quickly(probe: _Probe, server: _Server) -> None:
    """The defaults (interval 30s, start_period 10s): a service that answers 1.5 s after its start is started
    (and during an update, served) about then, not a whole interval later."""
    probe.container("web")
    server.status = 503
    threading.Timer(1.5, lambda: setattr(server, "status", 200)).start()
    code, took, out = probe.run(_gate_argv(server.port, "/", timing=("30000", "5000", "3", "10000")), timeout=40)
    assert code == 0 and 1.4 < took < 3, (took, out)
    assert 3 <= len(server.paths) <= 6, server.paths  # every half second: not a busy loop either


def test_the_gate_stops_at_once_when_the_container_is_not_running(probe: _Probe, server: _Server) -> None:
    probe.container("web", running=False)
    code, took, out = probe.run(probe.gate())
    assert code == 1 and took < 1 and not server.paths and "not running" in out, out


def test_the_watch_kills_the_container_after_retries_failures_in_a_row(probe: _Probe, server: _Server) -> None:
    probe.container("web")
    timer = threading.Timer(2.2, lambda: setattr(server, "status", 500))  # two good checks, then failures
    timer.start()
    code, took, out = probe.run(probe.watch())
    assert code == 0 and (probe.state / "killed-web").is_file(), out
    assert 3.5 < took < 7, took  # checks at 1, 2 (good), 3, 4 (bad): killed after the second failure
    assert "killing it" in out
    # a container that went away: the watch ends without killing anything
    (probe.state / "killed-web").unlink()
    probe.container("web", running=False)
    code, _, out = probe.run(probe.watch())
    assert code == 0 and not (probe.state / "killed-web").exists(), out


def test_once_is_one_check_for_the_metrics_endpoint(probe: _Probe, server: _Server) -> None:
    """`http-health once` (hostform.status.vm's metrics): one GET, no retry: 0 passed, 1 failed, 2 not running."""
    gate = probe.gate()  # bash PROBE gate CONTAINER NETWORK PORT PATH INTERVAL TIMEOUT RETRIES START
    once = [*gate[:2], "once", *gate[3:7], gate[8]]
    probe.container("web")
    assert probe.run(once)[0] == 0 and server.paths == [PATH]
    server.status = 500
    code, took, out = probe.run(once)
    assert code == 1 and took < 2 and server.paths == [PATH, PATH], out
    probe.container("web", running=False)
    assert probe.run(once)[0] == 2 and len(server.paths) == 2
