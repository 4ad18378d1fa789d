"""What makes an update safe for a visitor, as rendered and as podman's real generators turn it into units.

* A service with an http check is probed from the host: its first ``ExecStartPost=`` (the probe's
  ``gate``) holds the start until the check passes and fails it after ``retries`` failures, so a new
  image that starts but never becomes healthy fails its start and ``podman auto-update`` rolls it
  back in ``start_period + retries x interval`` instead of ``TimeoutStartSec``, at every podman
  version. A ``cmd`` check is podman's: killed when it fails (``HealthOnFailure=kill``) and
  ``Notify=healthy``, from podman 5.0.
* Caddy is on its own network (``NETWORK-sites``); a service behind a site joins it only once its
  check passed (the next ``ExecStartPost=``, which systemd runs after the probe, or after
  ``Notify=healthy``'s READY), so Caddy never proxies to a container that has not passed it.
  Without a check, with a ``cmd`` check before podman 5.0, or in a pod, the service joins at start.
* The update timer keeps a short schedule to the second (``AccuracySec=1s``).

The end-to-end proof of each is tests/e2e/test_update.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform import pipeline
from hostform.host.build import outputs
from hostform.quadlet.realgen import FETCH_COMMAND, find_real_quadlet, run_real
from tests.require import need
from tests.systemd_exec import exec_argv

HOST = """\
name: h
podman: "{podman}"
services:
  web: {{image: ghcr.io/example/web:1, port: 8080, health: {{http: /health}}}}
  plain: {{image: ghcr.io/example/plain:1, port: 8081}}
  worker: {{image: ghcr.io/example/worker:1, health: {{cmd: pg_isready}}}}
sites:
  example.org: web
  plain.example.org: plain
tls: {{email: me@example.org}}
updates: {{schedule: "*:*:0/10"}}
"""


def _build(tmp: Path, text: str) -> pipeline.Bundle:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "hostform.yaml").write_text(text)
    return pipeline.build(tmp, pipeline.Options(checks=False))


def _quadlets(b: pipeline.Bundle) -> dict[str, str]:
    return {rel.split("/", 1)[1]: text.decode() for rel, text, *_ in outputs(b) if rel.startswith("quadlets/")}


def _lines(text: str, key: str) -> list[str]:
    return [ln.split("=", 1)[1] for ln in text.splitlines() if ln.startswith(key + "=")]


def _podman_run(unit: str) -> list[str]:
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart=") and " run " in x)
    return exec_argv(line[len("ExecStart=") :])


def _networks(argv: list[str]) -> list[str]:
    """The values of every --network option of a podman command line."""
    out = []
    for i, a in enumerate(argv):
        if a == "--network":
            out.append(argv[i + 1])
        elif a.startswith("--network="):
            out.append(a.split("=", 1)[1])
    return out


@pytest.mark.parametrize("version", ["5.4", "5.8", "6.1"])
def test_a_service_joins_caddys_network_once_healthy_in_the_real_units(tmp_path, version):
    binary = find_real_quadlet(version)
    if binary is None:
        need(f"podman {version}'s real quadlet generator (`{FETCH_COMMAND[version]}`)")
    b = _build(tmp_path / "p", HOST.format(podman=version))
    assert not b.report.errors, b.report.format()
    q = tmp_path / "q"
    q.mkdir()
    for name, text in _quadlets(b).items():
        (q / name).write_text(text)
    code, units, stderr = run_real(q, binary=binary, version=version)
    assert code == 0 and "error" not in stderr.lower(), stderr

    web = units["web.service"]
    argv = _podman_run(web)
    assert _networks(argv) == ["hostform"], "not on Caddy's network before the check passed"
    assert not [a for a in argv if a.startswith("--health")], "http: probed from the host, not by podman"
    assert _lines(web, "Type") == ["notify"]  # the unit is started once every ExecStartPost= passed
    posts = [exec_argv(v) for v in _lines(web, "ExecStartPost")]
    assert posts[0][:4] == ["/usr/bin/bash", "/usr/local/libexec/hostform/http-health", "gate", "web"]
    assert posts[1:] == [["/usr/bin/podman", "network", "connect", "hostform-sites", "web"]]  # after the probe
    assert "hostform-sites-network.service" in _lines(web, "Requires") and "hostform-sites-network.service" in _lines(web, "After")

    # no health check: on both networks from the start (Caddy can reach it, nothing to wait for)
    plain = units["plain.service"]
    assert sorted(_networks(_podman_run(plain))) == ["hostform", "hostform-sites"] and not _lines(plain, "ExecStartPost")
    # not behind a site: never on Caddy's network
    worker = units["worker.service"]
    assert _networks(_podman_run(worker)) == ["hostform"] and not _lines(worker, "ExecStartPost")
    assert "--health-on-failure" in _podman_run(worker)  # cmd: podman's check, as before
    assert "--sdnotify=healthy" in _podman_run(worker) or "healthy" in _podman_run(worker)
    # Caddy is on its own network only
    assert _networks(_podman_run(units["caddy.service"])) == ["hostform-sites"]
    created = [exec_argv(v) for v in _lines(units["hostform-sites-network.service"], "ExecStart")]
    assert created and created[0][-1] == "hostform-sites"


def test_before_podman_5_a_cmd_check_joins_at_start(tmp_path):
    """No Notify=healthy (HF019): nothing would wait for a cmd check, so nothing is gated either; an http
    check is the host's probe, which needs no podman feature: gated as at 5.0 and later."""
    b = _build(tmp_path / "cmd", HOST.format(podman="4.9").replace("{http: /health}", "{cmd: /bin/true}"))
    web = _quadlets(b)["web.container"]
    assert _lines(web, "Network") == ["hostform.network", "hostform-sites.network"]
    assert not _lines(web, "ExecStartPost") and not _lines(web, "HealthOnFailure") and not _lines(web, "Notify")
    assert "HF019" in {d.code for d in b.report.warnings}
    b = _build(tmp_path / "http", HOST.format(podman="4.9"))
    web = _quadlets(b)["web.container"]
    assert _lines(web, "Network") == ["hostform.network"] and len(_lines(web, "ExecStartPost")) == 2
    assert not [d for d in b.report.warnings if d.code == "HF019" and "'web'" in d.message]


def test_a_pod_behind_a_site_joins_both_networks_at_start(tmp_path):
    text = HOST.format(podman="5.8").replace("port: 8080, health", "pod: front, port: 8080, health")
    q = _quadlets(_build(tmp_path, text))
    assert _lines(q["front.pod"], "Network") == ["hostform.network", "hostform-sites.network"]
    assert not _lines(q["web.container"], "Network")
    (probe,) = _lines(q["web.container"], "ExecStartPost")  # its check still holds its start; no network connect
    assert " gate web " in probe


def test_without_sites_there_is_no_second_network(tmp_path):
    text = "name: h\nservices:\n  worker: {image: ghcr.io/example/worker:1, health: {cmd: pg_isready}}\n"
    q = _quadlets(_build(tmp_path, text))
    assert sorted(q) == ["hostform.network", "worker.container"]
    assert _lines(q["worker.container"], "Network") == ["hostform.network"]


def test_a_quadlet_of_the_project_cannot_replace_caddys_network(tmp_path):
    (tmp_path / "hostform-sites.network").write_text("[Network]\n")
    b = _build(tmp_path, HOST.format(podman="5.8") + "quadlets: [hostform-sites.network]\n")
    assert any(e.code == "HF011" and "hostform-sites.network" in e.message for e in b.report.errors), b.report.format()


def test_the_update_timer_keeps_a_short_schedule_to_the_second(tmp_path):
    b = _build(tmp_path, HOST.format(podman="5.8"))
    (dropin,) = b.unit("podman-auto-update.timer").dropins
    assert dropin[1].splitlines() == ["[Timer]", "OnCalendar=", "OnCalendar=*:*:0/10", "RandomizedDelaySec=0", "AccuracySec=1s"]


def _caddy_waits(b: pipeline.Bundle) -> dict[str, str]:
    """Site address -> its lb_try_duration, read from the Caddyfile."""
    rendered = b.rendered
    assert rendered is not None and rendered.caddyfile is not None
    waits, site = {}, ""
    for line in rendered.caddyfile.text.splitlines():
        if line.endswith("{") and not line.startswith("\t"):
            site = line[:-1].strip()
        elif line.strip().startswith("lb_try_duration "):
            waits[site] = line.split()[1]
    return waits


def test_caddy_holds_requests_until_the_next_check_of_a_gated_service(tmp_path):
    """The new container is reached only after a passing check: at worst start_period + interval +
    timeout after its start (here 10s + 30s + 5s, and 5 s for the connect), longer than Caddy's 30 s."""
    b = _build(tmp_path / "a", HOST.format(podman="5.8"))
    assert _caddy_waits(b) == {"example.org": "50s", "plain.example.org": "30s"}
    short = HOST.format(podman="5.8").replace("health: {http: /health}", "health: {http: /health, interval: 2s, timeout: 1s, start_period: 1s}")
    assert _caddy_waits(_build(tmp_path / "b", short)) == {"example.org": "30s", "plain.example.org": "30s"}
    longer = HOST.format(podman="5.8").replace("health: {http: /health}", "health: {http: /health, interval: 1m, timeout: 1500ms, start_period: 0s}")
    assert _caddy_waits(_build(tmp_path / "c", longer))["example.org"] == "67s"
    assert _caddy_waits(_build(tmp_path / "d", HOST.format(podman="4.9")))["example.org"] == "50s"  # http: gated at 4.9 too
    cmd = HOST.format(podman="4.9").replace("{http: /health}", "{cmd: /bin/true}")
    assert _caddy_waits(_build(tmp_path / "e", cmd))["example.org"] == "30s"  # a cmd check before 5.0: not gated
