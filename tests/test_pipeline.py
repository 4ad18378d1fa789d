"""One pipeline: `hostform build` and `hostform check` report the same findings, pointing into the user's files.

Run as a user runs them (the CLI, in a subprocess, from the repository root) on the example, the
reference deployment and every project of tests/projects.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostform import pipeline

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "tinkerbell"
PROJECTS = sorted(p for p in (ROOT / "tests" / "projects").iterdir() if p.is_dir())
ALL = [ROOT / "examples" / "tinkerbell", REFERENCE, *PROJECTS]


def _id(p: Path) -> str:
    return "reference" if p == REFERENCE else p.name if p.parent.name == "projects" else "example"


def _hostform(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def _need(project: Path) -> None:
    from tests.require import shared

    shared(project)  # only the reference (../shared) may be absent


def _rel(project: Path) -> str:
    return os.path.relpath(project, ROOT)


def _full(tmp_path: Path) -> Path:
    from tests.host.test_build import _full_project

    return _full_project(tmp_path / "full")


@pytest.mark.parametrize("project", [*ALL, "full"], ids=lambda p: "full" if p == "full" else _id(p))
def test_build_and_check_report_the_same_findings(project: Path | str, tmp_path: Path) -> None:
    """On every project the tests keep (and the host of tests/host/test_build.py that uses every key)."""
    project = _full(tmp_path) if project == "full" else Path(project)
    _need(project)
    rel = os.path.relpath(project, ROOT)
    built = _hostform("build", "--check", rel)
    checked = _hostform("check", rel)
    assert "Traceback" not in built.stderr + checked.stderr
    findings = [ln for ln in built.stderr.splitlines(keepends=True) if not ln.startswith("hostform build: failed")]
    assert "".join(findings) == checked.stdout
    assert (built.returncode == 0) == (checked.returncode == 0)
    # the findings are the pipeline's own, printed in one order
    b = pipeline.build(project)
    shown = re.findall(r"^\S.*?(?:error|warning|info)\[(HF\d{3})\]", checked.stdout, re.M)
    assert sorted(shown) == sorted(d.code for d in b.report)


@pytest.mark.parametrize("project", PROJECTS, ids=_id)
def test_findings_point_into_the_users_own_files(project: Path) -> None:
    """Each project draws the codes its first comment names, and every finding is in a file of the
    project, shown as the user named it (here: relative to the current directory), never main.bu of
    a host build (a file hostform generates)."""
    host = (project / "hostform.yaml").is_file()
    source = (project / ("hostform.yaml" if host else "main.bu")).read_text()
    header = "".join(ln for ln in source.splitlines(keepends=True)[:3] if ln.startswith("#"))
    expected = set(re.findall(r"HF\d{3}", header))
    checked = _hostform("check", "--format", "json", _rel(project))
    rows = json.loads(checked.stdout)
    assert expected <= {r["code"] for r in rows}, checked.stdout
    for r in rows:
        assert r["file"] and (project / r["file"]).is_file(), r
        assert not (host and r["file"] == "main.bu"), r
        lines = (project / r["file"]).read_text().split("\n")
        assert 1 <= r["line"] <= len(lines) and 1 <= r["col"] <= len(lines[r["line"] - 1]) + 1, r
    text = _hostform("check", _rel(project)).stdout
    for ln in re.findall(r"^(\S+?):\d+:\d+: (?:error|warning)", text, re.M):
        assert ln.startswith(_rel(project) + "/"), ln


def test_a_butane_error_in_extra_butane_points_into_that_file() -> None:
    """The generated main.bu merges the user's extra.bu; Butane's finding is mapped back through the
    renderer's TranslationSet to the line and column in extra.bu."""
    project = ROOT / "tests" / "projects" / "bad-extra-butane"
    out = _hostform("check", _rel(project)).stdout
    assert out.startswith(f"{_rel(project)}/extra.bu:7:13: error[HF200]: path not absolute\n        - path: relative/path\n                ^\n")


def test_paths_as_the_user_named_the_project(tmp_path: Path) -> None:
    project = ROOT / "tests" / "projects" / "unknown-quadlet-key"
    here = _hostform("check", ".", cwd=project).stdout
    assert here.startswith("extra.container:3:1: error[HF301]")
    absolute = _hostform("check", str(project), cwd=tmp_path).stdout
    assert absolute.startswith(f"{project}/extra.container:3:1: error[HF301]")
    built = _hostform("build", "--check", str(project), cwd=tmp_path).stderr
    assert built.startswith(f"{project}/extra.container:3:1: error[HF301]")


def test_no_project_here(tmp_path: Path) -> None:
    for args in (["check", "."], ["build", "."]):
        p = _hostform(*args, cwd=tmp_path)
        assert p.returncode == 1 and "Traceback" not in p.stderr
        assert "error[HF004]: .: no hostform.yaml and no main.bu here (`hostform init .` writes a host file)" in p.stdout + p.stderr
    p = _hostform("check", "missing", cwd=tmp_path)
    assert p.returncode == 2 and p.stderr == "hostform check: missing: not a directory\n"


def test_butane_version_option_translates_at_that_spec(tmp_path: Path) -> None:
    """`hostform try` asks for Butane 1.4.0 (Ignition 3.3.0, what Debian's Ignition reads): a host file
    and a plain project are translated at that spec, with the positions of the user's file kept."""
    at = pipeline.Options(butane_version="1.4.0", checks=False)
    host = pipeline.build(ROOT / "examples" / "tinkerbell", at)
    assert host.ignition is not None and host.ignition["ignition"]["version"] == "3.3.0"
    assert pipeline.build(ROOT / "examples" / "tinkerbell").ignition["ignition"]["version"] == "3.4.0"  # type: ignore[index]
    plain = ROOT / "tests" / "projects" / "caddy-mistake"
    b = pipeline.build(plain, at)
    assert b.ignition is not None and b.ignition["ignition"]["version"] == "3.3.0"
    assert b.files == pipeline.build(plain, pipeline.Options(checks=False)).files  # same files, same places
    # a Butane 1.5 key is unknown at 1.4.0: said at the user's line
    (tmp_path / "main.bu").write_text('variant: fcos\nversion: "1.5.0"\nstorage:\n  luks:\n    - name: x\n      device: /dev/vdb\n      discard: true\n')
    b = pipeline.build(tmp_path, at)
    assert [(d.file, d.line, d.col) for d in b.report.warnings] == [("main.bu", 7, 7)]
    (tmp_path / "main.bu").write_text("variant: fcos\nversion: !!str 1.5.0\n")
    (d,) = pipeline.build(tmp_path, at).report.errors
    assert (d.code, d.file, d.line) == ("HF100", "main.bu", 2) and "not a one-line string" in d.message


def test_podman_option_is_the_host_files_podman_for_every_rule(tmp_path: Path) -> None:
    """`--podman` acts as if the file said `podman:`: the loader's version-dependent rules follow it too."""
    entry = "'\"/bin/run\"'"  # podman before 5.8.2 strips the quotes of a one-value key
    (tmp_path / "hostform.yaml").write_text(f'name: h\npodman: "6.1"\nservices:\n  app: {{image: ghcr.io/x/app:1, entrypoint: {entry}, port: 80}}\n')
    assert _hostform("check", ".", cwd=tmp_path).returncode == 0
    old = _hostform("check", ".", "--podman", "5.4", cwd=tmp_path)
    assert old.returncode == 1 and old.stdout.startswith("hostform.yaml:4:45: error[HF011]: entrypoint: podman 5.4's quadlet drops")
    (tmp_path / "hostform.yaml").write_text((tmp_path / "hostform.yaml").read_text().replace('"6.1"', '"5.4"'))
    assert _hostform("check", ".", cwd=tmp_path).returncode == 1
    assert _hostform("check", ".", "--podman", "6.1", cwd=tmp_path).returncode == 0


def test_files_from_extra_butane_point_into_their_own_files() -> None:
    """A quadlet given inline in extra.bu, as its local file, or in a tree: each finding at its line and column."""
    project = ROOT / "tests" / "projects" / "extras-everywhere"
    rel = _rel(project)
    out = _hostform("check", rel).stdout
    found = re.findall(r"^(\S+?):(\d+):(\d+): error\[HF301\]: unsupported key '(Bogus)'", out, re.M)
    assert sorted(found) == sorted([
        (f"{rel}/extra.bu", "10", "11", "Bogus"),
        (f"{rel}/local.container", "4", "1", "Bogus"),
        (f"{rel}/tree/etc/containers/systemd/tree.container", "3", "1", "Bogus"),
    ]), out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("variant: fcos\nversion: 1.5.0\nstorage:\n  files: [a\n", "main.bu:4:12: error[HF001]: unclosed '['"),
        ("variant: fcos\nversion: 9.9.0\n", "main.bu:2:10: error[HF102]: No translator exists for variant fcos with version 9.9.0"),
        ("version: 1.5.0\n", "main.bu:1:1: error[HF100]: error parsing variant; must be specified"),
        ("variant: fcos\nversion: [1]\n", "main.bu:2:10: error[HF001]: Error unmarshaling yaml"),
    ],
    ids=["yaml", "version", "variant", "type"],
)
def test_a_refused_butane_config_is_placed_where_the_problem_is(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "main.bu").write_text(text)
    p = _hostform("check", ".", cwd=tmp_path)
    assert p.returncode == 1 and p.stdout.startswith(expected), p.stdout


def test_a_yaml_error_in_extra_butane_is_placed_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "hostform.yaml").write_text("name: h\nservices:\n  app: {image: ghcr.io/x/app:1, port: 80}\nbutane: [extra.bu]\n")
    (tmp_path / "extra.bu").write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files: [a\n")
    p = _hostform("build", "--check", ".", cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.startswith("extra.bu:4:12: error[HF001]: unclosed '['"), p.stderr


def test_the_plain_projects_main_file_is_named_as_given(tmp_path: Path) -> None:
    """`--main other.bu`: findings that sit on the Butane file name it (HF062 on line 1)."""
    import secrets

    noise = secrets.token_hex(30000)
    (tmp_path / "other.bu").write_text(f"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/big\n      contents:\n        inline: {noise}\n")
    p = _hostform("check", ".", "--main", "other.bu", "--provider", "aws", "--caddy", "off", cwd=tmp_path)
    assert p.stdout.startswith("other.bu:1:1: error[HF062]"), p.stdout


def test_a_fifo_among_the_terraform_files_does_not_hang(tmp_path: Path) -> None:
    """The provider of a plain project is read from its *.tf files: as regular files only."""
    (tmp_path / "main.bu").write_text("variant: fcos\nversion: 1.5.0\n")
    os.mkfifo(tmp_path / "hang.tf")
    (tmp_path / "zero.tf").symlink_to("/dev/zero")
    p = _hostform("check", ".", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == "", p.stdout + p.stderr


def test_options_are_checked_when_made() -> None:
    with pytest.raises(ValueError):
        pipeline.Options(podman="9.9")
    with pytest.raises(ValueError):
        pipeline.Options(podman="5.8.2")
    assert pipeline.Options(podman="5.4").podman == "5.4"


def test_a_butane_file_beside_a_host_file_is_said_to_be_unread(tmp_path: Path) -> None:
    (tmp_path / "hostform.yaml").write_text("name: h\nservices:\n  app: {image: ghcr.io/x/app:1, port: 80, health: {http: /}}\n")
    (tmp_path / "main.bu").write_text("variant: fcos\nversion: 1.5.0\n")
    p = _hostform("build", ".", cwd=tmp_path)
    assert p.returncode == 0 and p.stderr.startswith("main.bu:1:1: warning[HF026]: main.bu is not read"), p.stderr
    assert _hostform("check", ".", "--main", "other.bu", cwd=tmp_path).stdout == ""  # no other.bu here: nothing to say
