"""`hostform build DIR -o OUT` writes only inside OUT, never through a symlink, prunes only
what it wrote (OUT/.hostform-manifest), and gives files with secrets mode 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hostform.cli.main import main
from hostform.emit import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tinkerbell"

HOST = """\
name: h
services:
  app:
    image: ghcr.io/example/app:1.2
    env: {PASSWORD: hunter2}
    env_files: [{file: app.env, embed: true}]
  web:
    image: ghcr.io/example/web:1
    port: 8080
sites:
  web.example.org: web
quadlets: [extra.container]
"""


def _project(d: Path, host: str = HOST) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "app.env").write_text("TOKEN=s3cret\n")
    (d / "extra.container").write_text("[Container]\nImage=docker.io/library/redis:7\n")
    (d / "hostform.yaml").write_text(host)
    return d


def _build(d: Path, out: Path, capsys) -> tuple[int, str]:
    rc = main(["build", str(d), "-o", str(out), "-q"])
    return rc, capsys.readouterr().err


def _tree(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file() and not p.is_symlink()}


# ------------------------------------------------------------------ symlinks


def test_symlinked_quadlets_dir_is_refused_and_its_target_untouched(tmp_path, capsys):
    d = _project(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "quadlets").symlink_to(elsewhere)
    rc, err = _build(d, out, capsys)
    assert rc == 1
    assert f"hostform build: {out}/quadlets (-> {elsewhere}) is a symlink" in err and "Traceback" not in err
    assert _tree(elsewhere) == {"precious.txt": b"keep me\n"}
    assert sorted(os.listdir(out)) == ["quadlets"]  # refused before anything was written


def test_symlinked_out_is_refused(tmp_path, capsys):
    d = _project(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").symlink_to(elsewhere)
    rc, err = _build(d, tmp_path / "out", capsys)
    assert rc == 1
    assert f"hostform build: {tmp_path / 'out'} is a symlink" in err and "Traceback" not in err
    assert os.listdir(elsewhere) == []


def test_symlinked_output_file_is_not_followed(tmp_path, capsys):
    d = _project(tmp_path / "p")
    out = tmp_path / "out"
    assert _build(d, out, capsys)[0] == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    (out / "main.ign").unlink()
    (out / "main.ign").symlink_to(victim)
    before = _tree(out)
    rc, err = _build(d, out, capsys)
    assert rc == 1
    assert f"{out}/main.ign (-> {victim}) is a symlink" in err
    assert victim.read_text() == "mine\n" and (out / "main.ign").is_symlink()
    assert _tree(out) == before


def test_fifo_where_an_output_goes_is_refused(tmp_path, capsys):
    d = _project(tmp_path / "p")
    out = tmp_path / "out"
    (out / "quadlets").mkdir(parents=True)
    os.mkfifo(out / "quadlets" / "app.container")
    rc, err = _build(d, out, capsys)
    assert rc == 1 and f"{out}/quadlets/app.container is a FIFO, not a regular file" in err


def test_file_where_a_directory_goes_is_refused(tmp_path, capsys):
    d = _project(tmp_path / "p")
    out = tmp_path / "out"
    out.mkdir()
    (out / "quadlets").write_text("x")
    rc, err = _build(d, out, capsys)
    assert rc == 1 and f"{out}/quadlets is a regular file, not a directory" in err


# ------------------------------------------------------------------ pruning


def test_hand_written_quadlet_survives_a_rebuild(tmp_path, capsys):
    d = _project(tmp_path / "p")
    out = tmp_path / "out"
    assert _build(d, out, capsys)[0] == 0
    mine = out / "quadlets" / "mine.container"
    mine.write_text("[Container]\nImage=docker.io/library/busybox:1\n")
    assert _build(d, out, capsys)[0] == 0
    assert mine.read_text().startswith("[Container]")
    assert "quadlets/mine.container" not in (out / MANIFEST).read_text()


def test_quadlet_removed_from_the_host_file_is_removed_from_out(tmp_path, capsys):
    d = _project(tmp_path / "p")
    out = tmp_path / "out"
    assert _build(d, out, capsys)[0] == 0
    assert (out / "quadlets" / "extra.container").is_file() and (out / "Caddyfile").is_file()
    _project(d, HOST.replace("quadlets: [extra.container]\n", "").replace("sites:\n  web.example.org: web\n", ""))
    assert _build(d, out, capsys)[0] == 0
    assert not (out / "quadlets" / "extra.container").exists()
    assert not (out / "quadlets" / "caddy.container").exists() and not (out / "Caddyfile").exists()
    assert (out / "quadlets" / "app.container").is_file()
    listed = (out / MANIFEST).read_text().splitlines()
    assert "quadlets/app.container" in listed and "quadlets/extra.container" not in listed and "Caddyfile" not in listed


def test_tampered_manifest_deletes_nothing_outside_out(tmp_path, capsys):
    d = _project(tmp_path / "p")
    out = tmp_path / "work" / "out"
    assert _build(d, out, capsys)[0] == 0
    victims = [tmp_path / "work" / "victim", tmp_path / "victim", tmp_path / "outside" / "victim"]
    for v in victims:
        v.parent.mkdir(exist_ok=True)
        v.write_text("do not delete\n")
    (out / "via").symlink_to(tmp_path / "outside")  # a directory symlink in OUT, listed as if built
    (out / "link").symlink_to(tmp_path / "victim")
    names = [
        "../victim",
        "../../victim",
        "quadlets/../../victim",
        str(tmp_path / "victim"),
        "via/victim",
        "link",
        "./../victim",
        "quadlets//../../victim",
    ]
    with open(out / MANIFEST, "a") as f:
        f.write("".join(n + "\n" for n in names))
    assert _build(d, out, capsys)[0] == 0
    for v in victims:
        assert v.read_text() == "do not delete\n", v
    assert (out / "link").is_symlink() and (out / "via").is_symlink()


def test_old_out_without_manifest_deletes_nothing_and_says_so(tmp_path, capsys):
    d = _project(tmp_path / "p")
    out = tmp_path / "out"
    (out / "quadlets").mkdir(parents=True)
    (out / "quadlets" / "stale.container").write_text("[Container]\n")
    rc, err = _build(d, out, capsys)
    assert rc == 0
    assert (out / "quadlets" / "stale.container").is_file()
    assert f"{out} had no {MANIFEST} (an older build): left quadlets/stale.container in place" in err
    assert "quadlets/stale.container" not in (out / MANIFEST).read_text()
    rc, err = _build(d, out, capsys)  # from now on: a manifest, no note, and the stale file is the user's
    assert rc == 0 and "had no" not in err and (out / "quadlets" / "stale.container").is_file()


def test_manifest_lists_what_was_written(tmp_path, capsys):
    out = tmp_path / "out"
    assert _build(EXAMPLE, out, capsys)[0] == 0
    lines = (out / MANIFEST).read_text().splitlines()
    assert lines[0].startswith("#")
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    assert sorted(lines[1:]) == written


# ------------------------------------------------------------------ modes


def _build_umask(d: Path, out: Path, umask: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "hostform", "build", str(d), "-o", str(out), "-q"], capture_output=True, text=True, umask=umask, env=env, timeout=120
    )


def _modes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002, 0o000])
def test_modes(tmp_path, umask):
    d = _project(tmp_path / "p")
    d_tf = EXAMPLE
    out, out_tf = tmp_path / "out", tmp_path / "out-tf"
    # a pre-existing world-readable main.ign is replaced, not kept with its mode
    out.mkdir()
    (out / "main.ign").write_text("{}")
    (out / "main.ign").chmod(0o644)
    for src, o in ((d, out), (d_tf, out_tf)):
        p = _build_umask(src, o, umask)
        assert p.returncode == 0, p.stderr
    plain = 0o666 & ~umask
    got = _modes(out)
    assert got == {
        "main.bu": 0o600,
        "main.ign": 0o600,
        "quadlets/hostform.network": plain,
        "quadlets/hostform-sites.network": plain,
        "quadlets/app.container": 0o600,  # Environment=PASSWORD=...
        "quadlets/web.container": plain,
        "quadlets/caddy.container": plain,
        "quadlets/extra.container": plain,
        "Caddyfile": plain,
        "report.txt": plain,
        MANIFEST: plain,
    }
    assert _modes(out_tf)["terraform/main.tf.json"] == 0o600
    assert _modes(out_tf)["quadlets/live.container"] == 0o600  # env: SOAP_COFFEE_PORT
    for sub in (out / "quadlets", out_tf / "terraform"):
        assert stat.S_IMODE(sub.stat().st_mode) == 0o777 & ~umask


def test_a_quadlet_the_vm_keeps_private_is_0600(tmp_path):
    """The renderer's Artifact.mode decides: a 0600 quadlet without Environment= is 0600 in OUT too."""
    import dataclasses

    from hostform import pipeline
    from hostform.host.build import outputs

    b = pipeline.build(EXAMPLE, pipeline.Options(checks=False))
    r = b.rendered
    assert r is not None
    net = r.quadlets[0]
    assert net.vm_path.endswith(".network") and "Environment" not in net.text
    assert dict((rel, m) for rel, _, m in outputs(b, 0o022))["quadlets/hostform.network"] == 0o644
    b = dataclasses.replace(b, rendered=dataclasses.replace(r, quadlets=(dataclasses.replace(net, mode=0o600), *r.quadlets[1:])))
    assert dict((rel, m) for rel, _, m in outputs(b, 0o022))["quadlets/hostform.network"] == 0o600


def test_deploy_writes_main_tf_json_0600_and_not_through_a_symlink(tmp_path):
    from hostform.cli.deploy import write_tf
    from hostform.emit import OutputError

    build = tmp_path / "build"
    out = write_tf(build, {"x": 1})
    assert out == build / "terraform" / "main.tf.json" and stat.S_IMODE(out.stat().st_mode) == 0o600
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (build / "terraform" / "main.tf.json").unlink()
    (build / "terraform").rmdir()
    (build / "terraform").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="is a symlink"):
        write_tf(build, {"x": 2})
    assert os.listdir(elsewhere) == []
