"""Differential tests: hostform's generator against podman 6.1's real one (skipped when absent).

Both run with ``-dryrun`` on the same directory; the outputs must be equal
except for the order of arguments inside ``ExecStart``/``ExecStartPre``
(podman's order is random there: Go maps), and the messages must be equal.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from hostform.cli import quadlet as cli
from hostform.quadlet import tables
from hostform.quadlet.unitfile import SplitError, split_words
from tests.require import no_shared

from .test_realgen import normalize

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONF = SHARED / "conformance" / "quadlet"
MANIFEST = json.loads((CONF / "manifest.json").read_text()) if (CONF / "manifest.json").exists() else []


def _norm(text: str) -> list:
    out: list = []
    for line in text.split("\n"):
        if line.startswith(("ExecStart=", "ExecStartPre=")):
            key, value = line.split("=", 1)
            try:
                out.append((key, tuple(sorted(split_words(value)))))
            except SplitError:
                out.append(line)
        else:
            out.append(line)
    return out


def _messages(stderr: str) -> list[str]:
    return sorted(ln.split("]: ", 1)[-1] for ln in stderr.splitlines() if "Loading source" not in ln)


def _compare(real: Path, qdir: Path) -> None:
    env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": "/usr/bin/podman"}
    proc = subprocess.run([str(real), "-dryrun"], env=env, capture_output=True, text=True, timeout=30)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["-dryrun"], env=env, stdout=out, stderr=err, prog=str(real))
    assert code == proc.returncode
    assert _messages(err.getvalue()) == _messages(proc.stderr)
    assert _norm(out.getvalue()) == _norm(proc.stdout)


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


@pytest.mark.slow
@pytest.mark.skipif(not MANIFEST, reason=no_shared(CONF / "manifest.json"))
@pytest.mark.parametrize("entry", MANIFEST, ids=[f"{e['file']}:{e.get('service_name') or ''}" for e in MANIFEST])
def test_cases_match_real_generator(real_quadlet_61: Path, tmp_path: Path, entry: dict) -> None:
    _compare(real_quadlet_61, _layout(tmp_path, entry))


_KEYS = sorted({k for rows in tables.ROWS.values() for k, *_ in rows}) + [
    "Type", "KillMode", "WantedBy", "Alias", "After", "User", "Requires", "DefaultDependencies", "RequiredBy", "DefaultInstance",
]
_GROUPS = ["[Container]", "[Volume]", "[Network]", "[Pod]", "[Kube]", "[Build]", "[Image]", "[Artifact]", "[Service]", "[Unit]", "[Install]", "[Quadlet]"]
_VALUES = list("ab:/.=,\\\"' %-@x0\t") + [
    "a.network", "b.volume", "c.pod", "d.image", "e.build", "f.container", "\\x", "\\q", "yes", "no", "manual", "auto",
    "keep-id", "1000", "type=bind", "src=", "source=./x", "image", "healthy", "oneshot", "yaml", "file", "unit", "/abs",
    "rel", "-5", "0x10", "010",
]


def _random_unit(r: random.Random) -> str:
    lines = [r.choice(_GROUPS)]
    for _ in range(r.randint(0, 10)):
        c = r.random()
        if c < 0.1:
            lines.append(r.choice(_GROUPS))
        elif c < 0.15:
            lines.append(r.choice(["", "# c", "\\", "[", "]x", "=v", "K", " [A] "]))
        else:
            lines.append(r.choice(_KEYS) + "=" + "".join(r.choice(_VALUES) for _ in range(r.randint(0, 5))))
    return "\n".join(lines) + r.choice(["", "\n"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(60))
def test_random_units_match_real_generator(real_quadlet_61: Path, tmp_path: Path, seed: int) -> None:
    r = random.Random(seed)
    qdir = tmp_path / "q"
    qdir.mkdir()
    for _ in range(r.randint(1, 3)):
        name = r.choice(["u", "a-b", "t@", "t@i", "x.y"]) + r.choice(sorted(tables.UNIT_TYPES))
        (qdir / name).write_text(_random_unit(r))
    if r.random() < 0.5:
        (qdir / "a.network").write_text("[Network]\n" + _random_unit(r))
    _compare(real_quadlet_61, qdir)


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
    targets) and its log lines, ``out`` spelt OUT. The lines are sorted: hostform writes every unit,
    then makes every symlink, where podman makes a unit's symlinks right after writing it."""
    tree: dict[str, object] = {}
    for p in sorted(out.rglob("*")):
        rel = str(p.relative_to(out))
        if p.is_symlink():
            tree[rel] = "-> " + str(p.readlink())
        elif p.is_file():
            tree[rel] = normalize(p.read_text())
    return tree, sorted(ln.split("]: ", 1)[-1].replace(str(out), "OUT") for ln in stderr.splitlines())


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
