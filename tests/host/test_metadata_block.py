"""A host with secrets keeps its containers from the cloud's metadata service (issue 13, item 2).

On a cloud the Ignition config (with the secrets it embeds) is the instance's user data, served by
the metadata service to any process, a container's included. A host file with `secrets` (or an env
file of the project) is built with `hostform build`; main.ign must hold an nftables ruleset that the
real `nft` accepts and loads (twice: a reload replaces it), whose table drops packets to
169.254.169.254 and fd00:ec2::254 on the prerouting hook, early (priority raw), except those coming
in through `lo` (the host's own); and an enabled unit loading it that the real `systemd-analyze
verify` accepts beside the real generator's services (podman 5.8), ordered before every one of
them and required by each (no container starts without the rule). report.txt says so. A host
without secrets gets neither. Whether packets are really dropped is tests/e2e/test_metadata_block.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostform.host.bundle import files_and_units
from hostform.quadlet.realgen import run_real
from hostform.quadlet.unitfile import parse_text
from tests.quadlet.conftest import _real as real_generator
from tests.require import need

RULESET = "/etc/hostform/metadata-block.nft"
UNIT = "hostform-metadata-block.service"

HOST = """\
name: vault
podman: "5.8"
services:
  app:
    image: ghcr.io/example/app:1
    port: 8080
    secrets: [token]
    publish: ["127.0.0.1:9000:9000"]
  db:
    image: docker.io/library/postgres:17
    pod: data
  cache:
    image: docker.io/library/redis:7
    pod: data
jobs:
  dump:
    image: ghcr.io/example/dump:1
    schedule: daily
sites:
  vault.example.org: app
tls: {email: me@example.org}
"""
WITH_SECRET = HOST + "secrets:\n  token: {file: token.txt, embed: true}\n"


def _build(tmp: Path, text: str, files: dict[str, str] | None = None) -> Path:
    project = tmp / "project"
    project.mkdir()
    (project / "hostform.yaml").write_text(text)
    for name, content in (files or {}).items():
        (project / name).write_text(content)
    proc = subprocess.run([sys.executable, "-m", "hostform", "build", "."], cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return project / "build"


def _ignition(build: Path) -> tuple[dict[str, str], dict[str, tuple[str | None, bool | None]]]:
    files, units = files_and_units(json.loads((build / "main.ign").read_text()))
    return {f.vm_path: f.text for f in files}, {u.name: (u.text, u.enabled) for u in units}


def _nft() -> str:
    found = shutil.which("nft") or shutil.which("nft", path="/usr/sbin:/sbin")
    if found is None:
        need("nft is not installed (apt-get install nftables)")
    assert found is not None
    return found


def _in_own_netns(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``argv`` in a new user and network namespace: the machine's own firewall is never touched."""
    if shutil.which("unshare") is None:
        need("unshare is not installed (util-linux)")
    return subprocess.run(["unshare", "-rn", *argv], capture_output=True, text=True, timeout=60)


def test_a_host_with_secrets_gets_a_ruleset_nft_loads_dropping_the_metadata_service(tmp_path: Path) -> None:
    files, units = _ignition(_build(tmp_path, WITH_SECRET, {"token.txt": "s3cret\n"}))
    assert RULESET in files and UNIT in units
    rules = tmp_path / "metadata-block.nft"
    rules.write_text(files[RULESET])
    nft = _nft()
    checked = _in_own_netns([nft, "-c", "-f", str(rules)])
    if checked.returncode != 0 and "Operation not permitted" in checked.stderr:
        need("nftables needs a network namespace of its own here (unshare -rn)")
    assert checked.returncode == 0, checked.stderr
    # loaded twice (a restart of the unit), then listed: one table, as written
    listed = _in_own_netns(["sh", "-c", '"$0" -f "$1" && "$0" -f "$1" && "$0" -j list ruleset', nft, str(rules)])
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)["nftables"]
    tables = [i["table"] for i in items if "table" in i]
    assert [(t["family"], t["name"]) for t in tables] == [("inet", "hostform_metadata")]
    chains = [i["chain"] for i in items if "chain" in i]
    assert [(c["hook"], c["prio"], c["type"], c["policy"]) for c in chains] == [("prerouting", -300, "filter", "accept")]
    rules_json = [i["rule"] for i in items if "rule" in i]

    def said(rule: dict) -> tuple[object, ...]:
        match = next(e["match"] for e in rule["expr"] if "match" in e)
        verdict = next(k for e in rule["expr"] for k in e if k in ("accept", "drop"))
        return (match["left"]["meta"]["key"] if "meta" in match["left"] else match["left"]["payload"]["field"],
                match["right"], verdict)

    assert [said(r) for r in rules_json] == [("iifname", "lo", "accept"), ("daddr", "169.254.169.254", "drop"),
                                             ("daddr", "fd00:ec2::254", "drop")]
    assert [r["expr"][0]["match"]["left"]["payload"]["protocol"] for r in rules_json[1:]] == ["ip", "ip6"]


def test_the_unit_loads_it_before_any_container_and_systemd_accepts_it(tmp_path: Path) -> None:
    build = _build(tmp_path, WITH_SECRET, {"token.txt": "s3cret\n"})
    _, units = _ignition(build)
    text, enabled = units[UNIT]
    assert enabled is True and text is not None
    unit = parse_text(text, UNIT)
    assert unit.lookup_last("Service", "Type") == "oneshot" and unit.lookup_last("Service", "RemainAfterExit") == "yes"
    assert unit.lookup_all_raw("Service", "ExecStart") == [f"/usr/sbin/nft -f {RULESET}"]
    # every service the real generator makes of the quadlets: ordered after the rule, and requiring it
    quadlets = build / "quadlets"
    code, generated, stderr = run_real(quadlets, binary=real_generator("5.8"), version="5.8")
    assert code == 0, stderr
    services = {n for n in generated if n.endswith(".service")}
    assert services >= {"app.service", "db.service", "cache.service", "data-pod.service", "dump.service", "caddy.service",
                        "hostform-network.service", "hostform-sites-network.service"}, services
    before = " ".join(unit.lookup_all_raw("Unit", "Before")).split()
    assert set(before) == services | {"network-pre.target"}
    assert set(" ".join(unit.lookup_all_raw("Install", "RequiredBy")).split()) == services
    assert unit.lookup_all_raw("Install", "WantedBy") == ["multi-user.target"]
    # systemd-analyze verify: the unit beside those services (podman and nft stubbed: neither need be here)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        need("systemd-analyze is not installed (apt-get install systemd)")
    assert analyze is not None
    d = tmp_path / "verify"
    d.mkdir()
    stub = d / "stub"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    # with main.ign's other units (what the services require: the secrets, the state disk)
    every = {**{n: t for n, (t, _) in units.items() if t is not None}, **{n: generated[n] for n in services}}
    for name, body in every.items():
        for exe in ("/usr/sbin/nft", "/usr/bin/podman"):
            body = body.replace(exe, str(stub))
        (d / name).write_text(body.replace(str(quadlets), "/etc/containers/systemd"))
    proc = subprocess.run([analyze, "verify", "--man=no", *(str(d / n) for n in sorted(every))],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
    noise = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert proc.returncode == 0 and not noise, proc.stdout + proc.stderr


def test_report_txt_says_so(tmp_path: Path) -> None:
    report = (_build(tmp_path, WITH_SECRET, {"token.txt": "s3cret\n"}) / "report.txt").read_text()
    assert re.search(r"^metadata service: containers blocked from 169\.254\.169\.254 and fd00:ec2::254 \(hostform-metadata-block\.service",
                     report, re.M), report


@pytest.mark.parametrize("extra", [
    "secrets:\n  token: {}\n",  # a secret already on the VM: the host has secrets all the same
])
def test_any_secret_gets_the_block(tmp_path: Path, extra: str) -> None:
    files, units = _ignition(_build(tmp_path, HOST.replace("    secrets: [token]\n", "") + extra))
    assert RULESET in files and UNIT in units


def test_an_env_file_of_the_project_gets_the_block(tmp_path: Path) -> None:
    text = HOST.replace("    secrets: [token]\n", "    env_files: [{file: app.env, embed: true}]\n")
    files, units = _ignition(_build(tmp_path, text, {"app.env": "KEY=v\n"}))
    assert RULESET in files and UNIT in units


def test_no_secrets_no_rule(tmp_path: Path) -> None:
    build = _build(tmp_path, HOST.replace("    secrets: [token]\n", "    env: {MODE: prod}\n"))
    files, units = _ignition(build)
    assert RULESET not in files and UNIT not in units
    assert not [p for p in files if "metadata" in p] and not [u for u in units if "metadata" in u]
    assert "metadata" not in (build / "report.txt").read_text()


def test_a_quadlet_may_not_take_the_units_name(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "hostform.yaml").write_text("name: h\njobs:\n  hostform-metadata-block:\n    image: ghcr.io/x/j:1\n    schedule: daily\n")
    proc = subprocess.run([sys.executable, "-m", "hostform", "check", "."], cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "hostform-metadata-block.container would be hostform-metadata-block.service, which is hostform's" in proc.stdout, proc.stdout
