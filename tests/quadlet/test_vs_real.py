"""podman's suite laid out as its runner lays it out (used by test_exact.py), and the output directory.

The exact comparisons with the real generators (podman's suite, random units, each release) are in
test_exact.py; here: where the output directory is does not change what is written there.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from hostform.cli import quadlet as cli

from .test_realgen import normalize

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONF = SHARED / "conformance" / "quadlet"
MANIFEST = json.loads((CONF / "manifest.json").read_text()) if (CONF / "manifest.json").exists() else []


def _layout(tmp_path: Path, entry: dict) -> Path:
    qdir = tmp_path / "podman-e2e-1" / "subtest-1" / "quadlet"
    qdir.mkdir(parents=True)
    name = entry["file"]
    for f in [*entry["dependencies"], name]:
        shutil.copy(CONF / "cases" / f, qdir / f)
    ext = Path(name).suffix
    base = name[: -len(ext)]
    snippets = [name + ".d"]
    if "@" in base and base.split("@", 1)[1]:
        snippets.append(base.split("@", 1)[0] + "@" + ext + ".d")
    for snip in snippets:
        if (CONF / "cases" / snip).is_dir():
            shutil.copytree(CONF / "cases" / snip, qdir / snip)
    return qdir


_REAL_FIXTURE = {"5.4": "real_quadlet", "5.8": "real_quadlet_58", "6.1": "real_quadlet_61"}
_PLACED = {
    "web.pod": "[Pod]\nPublishPort=8080:80\n[Install]\nWantedBy=multi-user.target\n",
    "app.container": (
        "[Container]\nImage=quay.io/x/app:1\nPod=web.pod\nVolume=data.volume:/d\n"
        "[Install]\nWantedBy=multi-user.target default.target\nAlias=www.service\n"
    ),
    "data.volume": "[Volume]\n",
}


def _placed(out: Path, stderr: str) -> tuple[dict[str, object], list[str]]:
    """What a run wrote into ``out`` (files as test_realgen.normalize reads them, symlinks as their
    targets) and its log lines in their order, ``out`` spelt OUT."""
    tree: dict[str, object] = {}
    for p in sorted(out.rglob("*")):
        rel = str(p.relative_to(out))
        if p.is_symlink():
            tree[rel] = "-> " + str(p.readlink())
        elif p.is_file():
            tree[rel] = normalize(p.read_text())
    return tree, [ln.split("]: ", 1)[-1].replace(str(out), "OUT") for ln in stderr.splitlines()]


@pytest.mark.parametrize("version", sorted(_REAL_FIXTURE))
@pytest.mark.parametrize("where", ["deep/er/OUT", "/ABS/gen"])
def test_the_output_directory_only_places_what_is_generated(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, where: str
) -> None:
    """Written into any output directory (relative or absolute, nested), the units, [Install] symlinks and
    -v lines equal the real generator's: the directory only names where files go, in the lines that say so."""
    from hostform.quadlet.realgen import run_real

    real = request.getfixturevalue(_REAL_FIXTURE[version])
    qdir = tmp_path / "q"
    qdir.mkdir()
    for name, text in _PLACED.items():
        (qdir / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    runs = {}
    for who in ("real", "ours"):
        out = Path(where.replace("/ABS", str(tmp_path)).replace("OUT", who))
        if who == "real":
            _, _, stderr = run_real(qdir, binary=real, output_dir=out, extra_args=["-v"])
        else:
            err = io.StringIO()
            env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": "/usr/bin/podman"}
            cli.main(["-podman-version", version, "-v", "-no-kmsg-log", str(out)], env=env, stdout=io.StringIO(), stderr=err, prog=str(real))
            stderr = err.getvalue()
        runs[who] = _placed(out, stderr)
    tree, log = runs["real"]
    assert "multi-user.target.wants/app.service" in tree and "www.service" in tree and any("OUT" in ln for ln in log)
    assert runs["ours"] == runs["real"]
