"""`observability:` (issue 14, item 1): an OpenTelemetry Collector quadlet, its configuration, and Caddy's log and metrics.

Checked the way a user meets them, on what `hostform build` makes of a host file:
- the collector's configuration is accepted by the real collector (`otelcol validate` of tests/go/otelcol, a
  collector built from its Go modules at one release), through `hostform check` with HOSTFORM_OTELCOL: no
  finding for the configuration hostform writes, HF420 at the `observability` key for one the collector refuses,
  HF421 without a collector;
- a header's secret reaches the container as the environment variable the configuration names (the real quadlet
  generator's `--secret`), and its value is in main.ign only, never in the configuration, the quadlets or main.bu;
- the container reads the journal, /proc and /sys read-only, is on the host's network, and sees only the state
  disk's `logs` directory;
- the Caddyfile (checked by the real Caddy) logs every site's requests to the file the collector reads and serves
  Caddy's metrics on the port the collector scrapes, published on the host's loopback only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hostform.host.bundle import files_and_units
from hostform.quadlet.realgen import run_real
from hostform.quadlet.unitfile import parse_text
from tests.quadlet.conftest import _real as real_generator
from tests.require import go_helper
from tests.systemd_exec import exec_argv

TOKEN = "Bearer s3cr3t-otlp-t0ken"

HOST = """\
name: watched
podman: "5.8"
recipients: [{recipient}]
services:
  web:
    image: registry.example.org/web:1
    port: 8080
    health: {{http: /}}
sites:
  example.org: {{service: web}}
tls: {{ca: internal}}
observability:
  endpoint: https://otlp.example.org/otlp
  headers:
    Authorization: {{secret: otlp-auth}}
    X-Scope-OrgID: tenant-$1
  image: registry.example.org/otelcol:0.160.0
  interval: 15s
"""


def hostform(*args: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, env=env, input=stdin, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTFORM_AGE", "HOSTFORM_OTELCOL"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


def _project(tmp_path: Path, env: dict[str, str], host: str = HOST) -> Path:
    project = tmp_path / "watched"
    project.mkdir()
    r = hostform("secret", "keygen", cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    recipient = r.stdout.strip()
    (project / "hostform.yaml").write_text(HOST.format(recipient=recipient))
    r = hostform("secret", "set", "otlp-auth", cwd=project, env=env, stdin=TOKEN)
    assert r.returncode == 0, r.stderr
    (project / "hostform.yaml").write_text(host.format(recipient=recipient))
    return project


def _ignition_files(project: Path) -> dict[str, str]:
    files, _ = files_and_units(json.loads((project / "build" / "main.ign").read_text()))
    return {f.vm_path: f.text for f in files}


def test_the_collector_accepts_the_configuration_and_refuses_a_broken_one(tmp_path: Path, user: dict[str, str]) -> None:
    otelcol = go_helper("otelcol")
    project = _project(tmp_path, user)
    r = hostform("check", ".", cwd=project, env=user)
    assert r.returncode == 0 and "HF421" in r.stdout + r.stderr, r.stdout + r.stderr  # no collector: not checked, said
    env = {**user, "HOSTFORM_OTELCOL": otelcol}
    r = hostform("build", ".", cwd=project, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "HF420" not in r.stdout + r.stderr and "HF421" not in r.stdout + r.stderr

    # the configuration, as the VM gets it
    config = yaml.safe_load(_ignition_files(project)["/etc/hostform/otelcol/config.yaml"])
    exporter = config["exporters"]["otlphttp"]
    assert exporter == {"endpoint": "https://otlp.example.org/otlp",
                        "headers": {"Authorization": "${env:HOSTFORM_OTLP_HEADER_1}", "X-Scope-OrgID": "tenant-$$1"}}
    pipelines = config["service"]["pipelines"]
    assert pipelines["logs"]["receivers"] == ["journald", "filelog/caddy"]
    assert pipelines["metrics"]["receivers"] == ["hostmetrics", "prometheus/containers", "prometheus/caddy"]
    # the services' container metrics: scraped from the metrics endpoint on the loopback, every interval
    (job,) = config["receivers"]["prometheus/containers"]["config"]["scrape_configs"]
    assert (job["metrics_path"], job["static_configs"], job["scrape_interval"]) == (
        "/.hostform/metrics", [{"targets": ["127.0.0.1:2021"]}], "15s")
    assert config["receivers"]["hostmetrics"]["collection_interval"] == "15s"

    # the same configuration with a receiver the collector does not know: HF420 at the observability key
    from hostform.observability.validate import validate_config

    text = _ignition_files(project)["/etc/hostform/otelcol/config.yaml"]
    assert validate_config(text, Path(otelcol)) == []
    broken = text.replace("type: \"severity_parser\"", "type: \"no_such_operator\"")
    assert broken != text
    found = validate_config(broken, Path(otelcol))
    assert found and "no_such_operator" in found[0], found


def test_hostform_check_places_the_collectors_refusal_at_the_observability_key(tmp_path: Path, user: dict[str, str]) -> None:
    otelcol = go_helper("otelcol")
    # the real collector, given one more setting that the journald receiver does not have
    fake = tmp_path / "otelcol-one-more-setting"
    fake.write_text(f"#!/bin/sh\nexec {otelcol} \"$@\" --set=receivers::journald::no_such_key=1\n")
    fake.chmod(0o755)
    project = _project(tmp_path, user)
    r = hostform("check", ".", cwd=project, env={**user, "HOSTFORM_OTELCOL": str(fake)})
    assert r.returncode != 0
    line = next(ln for ln in r.stdout.splitlines() + r.stderr.splitlines() if "HF420" in ln)
    text = (project / "hostform.yaml").read_text().splitlines()
    at = int(line.split(":")[1])
    assert text[at - 2] == "observability:" and text[at - 1].startswith("  endpoint:"), line  # the key's mapping
    assert "no_such_key" in line


def test_the_secret_reaches_the_collector_as_the_variable_its_configuration_names(tmp_path: Path, user: dict[str, str]) -> None:
    project = _project(tmp_path, user)
    r = hostform("build", ".", "--caddy", "require", cwd=project, env=user)
    assert r.returncode == 0, r.stdout + r.stderr
    out = project / "build"
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.name != "main.ign":
            assert TOKEN not in path.read_text(errors="replace"), path
    files = _ignition_files(project)
    assert files["/var/lib/hostform/secrets/otlp-auth"] == TOKEN
    assert TOKEN not in files["/etc/hostform/otelcol/config.yaml"]

    code, units, err = run_real(out / "quadlets", binary=real_generator("5.8"), version="5.8")
    assert code == 0, err
    u = parse_text(units["otelcol.service"], "otelcol.service")
    run = next(exec_argv(x) for x in u.lookup_all_raw("Service", "ExecStart") if " run " in x)
    flag = lambda f: [run[i + 1] for i, a in enumerate(run) if a == f]  # noqa: E731
    assert flag("--secret") == ["otlp-auth,type=env,target=HOSTFORM_OTLP_HEADER_1"]
    assert flag("--network") == ["host"]
    assert flag("--user") == ["0"]
    assert sorted(flag("-v")) == sorted([
        "/etc/hostform/otelcol/config.yaml:/etc/otelcol/config.yaml:ro", "/var/log/journal:/var/log/journal:ro",
        "/etc/machine-id:/etc/machine-id:ro", "/proc:/hostfs/proc:ro", "/sys:/hostfs/sys:ro",
        "/var/mnt/state/logs:/hostfs/var/mnt/state:ro", "/var/mnt/state/otelcol:/var/lib/otelcol"])
    assert run[-1] == "--config=/etc/otelcol/config.yaml"
    assert "hostform-secrets.service" in u.lookup_all_raw("Unit", "Requires")
    ign = json.loads((out / "main.ign").read_text())
    secrets_unit = next(x for x in ign["systemd"]["units"] if x["name"] == "hostform-secrets.service")
    assert "otelcol.service" in parse_text(secrets_unit["contents"], "s.service").lookup_last("Unit", "Before").split()

    # Caddy: its access log where the collector reads it, its metrics on the host's loopback only
    caddy = parse_text(units["caddy.service"], "caddy.service")
    crun = next(exec_argv(x) for x in caddy.lookup_all_raw("Service", "ExecStart") if " run " in x)
    assert "/var/mnt/state/logs/caddy:/var/log/caddy:Z" in [crun[i + 1] for i, a in enumerate(crun) if a == "-v"]
    assert "127.0.0.1:2020:2020" in [crun[i + 1] for i, a in enumerate(crun) if a == "--publish"]
    caddyfile = (out / "Caddyfile").read_text()
    assert "\tlog {\n\t\toutput file /var/log/caddy/access.log\n\t}\n" in caddyfile
    assert "http://:2020 {\n\tmetrics /metrics\n}\n" in caddyfile
    tmpfiles = files["/etc/tmpfiles.d/hostform-state.conf"] if "/etc/tmpfiles.d/hostform-state.conf" in files else "\n".join(
        t for p, t in files.items() if p.startswith("/etc/tmpfiles.d/"))
    for d in ("/var/mnt/state/logs", "/var/mnt/state/logs/caddy", "/var/mnt/state/otelcol"):
        assert f" {d} " in tmpfiles, tmpfiles


@pytest.mark.parametrize("headers, code, line", [
    ("Authorization: {value: a, secret: otlp-auth}", "HF010", "    Authorization"),
    ("Authorization: {secret: nowhere}", "HF013", "    Authorization"),
    ("Authorization: a\n    authorization: b", "HF011", "    authorization"),
])
def test_header_mistakes_are_refused_at_their_line(tmp_path: Path, user: dict[str, str], headers: str, code: str, line: str) -> None:
    block = headers.replace("{", "{{").replace("}", "}}")
    host = HOST.split("observability:")[0] + (
        "observability:\n  endpoint: https://otlp.example.org\n  image: registry.example.org/otelcol:1\n  headers:\n"
        f"    {block}\n")
    project = _project(tmp_path, user, host)
    r = hostform("check", ".", cwd=project, env=user)
    assert r.returncode != 0
    found = [ln for ln in r.stdout.splitlines() + r.stderr.splitlines() if f"[{code}]" in ln]
    assert found, r.stdout + r.stderr
    text = (project / "hostform.yaml").read_text().splitlines()
    assert text[int(found[0].split(":")[1]) - 1].startswith(line), (found, text)


@pytest.mark.parametrize("publish, refused", [
    ("127.0.0.1:2021:80", True), ("2021:80", True), ("127.0.0.1:2020:80", True),  # the scraped ports of the loopback
    ("127.0.0.2:2021:80", False), ("127.0.0.1:2021:80/udp", False), ("127.0.0.1:2022:80", False),
])
def test_a_service_cannot_publish_the_ports_the_collector_scrapes(tmp_path: Path, user: dict[str, str], publish: str, refused: bool) -> None:
    host = HOST.replace("    health: {{http: /}}\n", f"    health: {{{{http: /}}}}\n    publish: ['{publish}']\n")
    assert host != HOST
    project = _project(tmp_path, user, host)
    r = hostform("check", ".", cwd=project, env=user)
    found = [ln for ln in r.stdout.splitlines() + r.stderr.splitlines() if "[HF011]" in ln]
    if not refused:
        assert not found, r.stdout + r.stderr
        return
    assert r.returncode != 0 and found, r.stdout + r.stderr
    text = (project / "hostform.yaml").read_text().splitlines()
    assert "publish:" in text[int(found[0].split(":")[1]) - 1], (found, text)
    # without observability the port is the service's to publish
    (project / "hostform.yaml").write_text("\n".join(text[:text.index("observability:")]) + "\n")
    r = hostform("check", ".", cwd=project, env=user)
    assert "HF011" not in r.stdout + r.stderr, r.stdout + r.stderr
