"""`hostform quadlet --podman-version V` against the real generator of V, exactly (tests/quadlet/exact.py).

Two bodies of input, each run normal and ``-user`` through podman 5.4.2, 5.8.6 and 6.1.1 and
through hostform targeting the same release:
- podman's own quadlet test suite (shared/conformance/quadlet, laid out as podman's runner does);
- random unit sets built from each release's own supported-key table (a property test: the keys a
  release accepts, some it does not, values that exercise quoting, references and errors).
Every file, line, symlink, exit code and log line must be equal; only the argument runs the real
generator emits from Go maps are compared as sets of chunks. What is still different is listed in
``LEFT`` with the reason, and a listed entry must still differ (so the list stays true).
"""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
from pathlib import Path

import pytest

from hostform.cli import quadlet as cli
from hostform.quadlet import versions
from hostform.quadlet.realgen import parse_dryrun
from tests.require import no_shared

from .exact import canonical, differences, our_outcome, real_outcome
from .test_vs_real import MANIFEST, _layout

VERSIONS = ("5.4", "5.8", "6.1")
_FIXTURE = {"5.4": "real_quadlet", "5.8": "real_quadlet_58", "6.1": "real_quadlet_61"}

LEFT: dict[str, dict[str, str]] = {
    "5.4": {},
    "5.8": {},
    "6.1": {},
}
"""version -> {test-suite file: why hostform's output still differs from that release's}."""


def _real(request: pytest.FixtureRequest, version: str) -> Path:
    path: Path = request.getfixturevalue(_FIXTURE[version])
    return path


def _check(name: str, version: str, diffs: list[str]) -> None:
    if name in LEFT[version]:
        assert diffs, f"{name} is now identical to podman {version}: take it out of LEFT"
    else:
        assert not diffs, "\n".join(diffs)


_IDS = [e["file"] for e in MANIFEST]


@pytest.mark.skipif(not MANIFEST, reason=no_shared(Path("../shared/conformance/quadlet/manifest.json")))
@pytest.mark.parametrize("user", [False, True], ids=["system", "user"])
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("entry", MANIFEST, ids=_IDS)
def test_podmans_suite(request: pytest.FixtureRequest, tmp_path: Path, entry: dict, version: str, user: bool) -> None:
    real = _real(request, version)
    qdir = _layout(tmp_path, entry)
    _check(entry["file"], version, differences(real_outcome(real, qdir, version, user), our_outcome(qdir, version, user)))


def test_the_comparison_sees_a_difference(real_quadlet_61: Path, tmp_path: Path) -> None:
    """Not vacuous: a unit that only the real generator converts, and a wrong target version, both differ."""
    (tmp_path / "a.container").write_text("[Container]\nImage=localhost/a\nEnvironment=A=1 B=2\nLabel=x=1\nMemory=1g\n")
    real = real_outcome(real_quadlet_61, tmp_path, "6.1")
    assert real.code == 0 and "a.service" in real.tree
    assert not differences(real, our_outcome(tmp_path, "6.1"))
    assert differences(real, our_outcome(tmp_path, "5.4"))  # Memory= is 5.5's


# --- crafted sets: what the generator does the same in every release, where hostform once differed --

CRAFTED: dict[str, dict[str, bytes]] = {
    # [Install] links in podman's order, repeats made twice, the ones it cannot make logged in place
    "install-links": {
        "a.container": b"[Container]\nImage=localhost/a\n[Install]\nWantedBy=x.target x.target\n"
        b"Alias=b.service b.service ../up.service /abs.service\nRequiredBy=a/b\n",
        # a service name with a slash: the link's directory is cleaned before podman gives up on it
        "c.container": b"[Container]\nImage=localhost/a\nServiceName=/srv/d\n[Install]\nWantedBy=default.target\n",
    },
    # ServiceName= with a slash: joined as Go's path.Join (inside the output directory), a missing
    # directory is a write error (6.1: of its atomic writer), and the output directory is made anyway
    "service-name-paths": {
        "a.volume": b"[Volume]\nServiceName=/abs\n",
        "b.volume": b"[Volume]\nServiceName=sub/dir/b\n",
        "c.container": b"[Container]\n",
    },
    # more than 12 units of one kind: Go's sort.Slice (not stable) decides their order, and with it the
    # log and the pod's Wants=
    "many-pod-members": {
        "p.pod": b"[Pod]\n",
        **{f"m{i:02}.container": b"[Container]\nImage=localhost/m\nPod=p.pod\n" for i in range(14)},
        "n.volume": b"[Volume]\n",
    },
    # a Mount= without type= (5.4: an error; since 5.6 a volume mount) and with an empty source
    "mount-without-type": {"a.container": b"[Container]\nImage=localhost/a\nMount=c.pod\n", "b.container": b"[Container]\nImage=localhost/a\nMount=dst=/x,src=v.volume\n", "v.volume": b"[Volume]\n"},
    # an empty argument (ExitPolicy=) beside a random run: podman writes it as nothing between two spaces
    "empty-argument": {"p.pod": b"[Pod]\nExitPolicy=\nIP=10.0.0.2\nIP6=fd00::2\nShmSize=1m\n"},
    # file names that are not UTF-8
    "undecodable-names": {"a\xff.container": b"[Container]\nImage=localhost/a\n", "b\xfe.container": b"[Container]\n"},
}


@pytest.mark.parametrize("user", [False, True], ids=["system", "user"])
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted(request: pytest.FixtureRequest, tmp_path: Path, case: str, version: str, user: bool) -> None:
    real = _real(request, version)
    qdir = tmp_path / "q"
    qdir.mkdir()
    for name, data in CRAFTED[case].items():
        (qdir / os.fsdecode(name.encode("latin-1"))).write_bytes(data)
    outcome = real_outcome(real, qdir, version, user)
    assert outcome.tree or outcome.code != 0  # not vacuous: the real generator wrote something, or refused
    assert not differences(outcome, our_outcome(qdir, version, user))


# --- property test: random units from each release's own key table -------------------------------

_TYPES = {"4.4": ("container", "volume", "network", "kube")}
_PASS = {
    "Unit": ("After", "Requires", "Wants", "Before", "BindsTo", "Description", "DefaultDependencies"),
    "Service": ("Type", "KillMode", "Restart", "User", "TimeoutStartSec", "ExecStartPre", "Environment"),
    "Install": ("WantedBy", "RequiredBy", "Alias", "UpheldBy", "DefaultInstance"),
}
_VALUES = [*"ab:/.=,\\\"' %-@x0\t", *("a.network", "b.volume", "c.pod", "d.image", "e.build", "f.container",
    "g.artifact", "\\x", "\\q", "yes", "no", "true", "manual", "auto", "keep-id", "1000", "type=bind", "src=",
    "source=./x", "image", "healthy", "oneshot", "yaml", "file", "unit", "/abs", "rel", "-5", "0x10", "010",
    "localhost/img", "registry", "host", "none", "K=V", "%h", "%i", "\\\n", "always")]  # fmt: skip


_TIDY = [
    "yes", "no", "true", "1000", "1000:1000", "x", "a=b", "K=V A=\"b c\"", "/abs/path", "10s", "localhost/img",
    "8080:80", "data.volume:/data", "net.network", "p.pod", "CAP_NET_ADMIN", "keep-id", "auto", "type=bind,src=/s,dst=/d",
    "%h/x", "journald", "registry", "--flag value", "sh -c 'echo hi'", "SIGTERM", "64m", "::1", "10.0.0.2", "",
]  # fmt: skip
_NEEDED: dict[str, dict[str, list[str]]] = {
    "Container": {"Image": ["localhost/img", "d.image", "e.build", "docker.io/library/x:1", "img"]},
    "Kube": {"Yaml": ["a.yml", "/abs/k.yaml", "sub/k.yml"]},
    "Build": {"ImageTag": ["localhost/b"], "SetWorkingDirectory": ["/srv", "unit", "file", "https://example.org/x.git"]},
    "Image": {"Image": ["localhost/i", "quay.io/x/y:2"]},
    "Artifact": {"Artifact": ["localhost/a:1"]},
}


def _random_set(r: random.Random, version: str) -> dict[str, str]:
    types = versions.unit_types(version)
    sections = [s for s in versions.sections(version) if s != "Quadlet"]
    others = [s for s in versions.sections(VERSIONS[-1]) if s not in sections and s != "Quadlet"]
    files: dict[str, str] = {}
    # now and then more than 12 units: podman's (unstable) sort then decides the order they convert in
    big = r.random() < 0.15
    for i in range(r.randint(13, 30) if big else r.randint(1, 4)):
        ext = r.choice(types) if r.random() < 0.95 else r.choice(versions.unit_types(VERSIONS[-1]))
        name = r.choice(["u", "a-b", "t@", "t@i", "x.y", "a", "b", "c", "d", "e", "f", "g"]) + (str(i) if big else "") + "." + ext
        own = ext.capitalize()
        lines = [f"[{own}]"]
        if r.random() < 0.8:  # most units carry what their type needs, so that they convert
            lines += [f"{k}={r.choice(v)}" for k, v in _NEEDED.get(own, {}).items()]
        if r.random() < 0.5:  # a tidy unit: its own keys, plausible values (more of them convert)
            pool = sorted(versions.keys(version, own))
            lines += [f"{r.choice(pool)}={r.choice(_TIDY)}" for _ in range(r.randint(0, 8)) if pool]
            files[name] = "\n".join(lines) + "\n"
            continue
        for _ in range(r.randint(0, 9)):
            c = r.random()
            if c < 0.08:
                lines.append("[" + r.choice([*_PASS, "Quadlet", own, *others[:2]]) + "]")
                continue
            if c < 0.12:
                lines.append(r.choice(["", "# c", "\\", "[", "]x", "=v", "K", " [A] "]))
                continue
            section = lines[0][1:-1] if c < 0.8 else r.choice([*_PASS, own])
            pool = sorted(versions.keys(version, section)) if section not in _PASS else list(_PASS[section])
            if not pool or r.random() < 0.05:  # a key of a later release, or of no release
                pool = sorted(versions.keys(VERSIONS[-1], own) or {"Nope"}) + ["Nope"]
            value = "".join(r.choice(_VALUES) for _ in range(r.randint(0, 4)))
            lines.append(f"{r.choice(pool)}={value}")
        files[name] = "\n".join(lines) + r.choice(["", "\n"])
    return files


_SEEDS = int(os.environ.get("HOSTFORM_SEEDS", "80"))


@pytest.mark.slow
@pytest.mark.parametrize("user", [False, True], ids=["system", "user"])
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("seed", range(_SEEDS))
def test_random_units(request: pytest.FixtureRequest, tmp_path: Path, seed: int, version: str, user: bool) -> None:
    real = _real(request, version)
    r = random.Random(f"{seed}-{version}")
    qdir = tmp_path / "q"
    qdir.mkdir()
    for name, text in _random_set(r, version).items():
        (qdir / name).write_text(text)
    diffs = differences(real_outcome(real, qdir, version, user), our_outcome(qdir, version, user))
    assert not diffs, "\n".join(diffs) + "\n\n" + "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(qdir.iterdir()))


# --- the run itself: flags, -dryrun, where the log goes, the output directory ----------------------


def _run(real: Path, version: str, argv: list[str], qdir: Path, ours: bool, umask: int | None = None) -> tuple[int, str, list[str]]:
    """(exit code, stdout, log lines) of the real generator or of hostform (``ours``) run with ``argv``."""
    env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": "/usr/bin/podman"}
    old = os.umask(umask) if umask is not None else None
    try:
        if ours:
            out, err = io.StringIO(), io.StringIO()
            code = cli.main(["-podman-version", version, *argv], env=env, stdout=out, stderr=err, prog=str(real))
            got = (code, out.getvalue(), err.getvalue())
        else:
            proc = subprocess.run([str(real), *argv], env=env, capture_output=True, text=True, timeout=60)
            got = (proc.returncode, proc.stdout, proc.stderr)
    finally:
        if old is not None:
            os.umask(old)
    return got[0], got[1], [_TMP_DIGITS.sub(".service", ln.split("]: ", 1)[-1]) for ln in got[2].splitlines()]


def _both(real: Path, version: str, argv: list[str], qdir: Path) -> tuple[tuple[int, str, list[str]], ...]:
    return _run(real, version, argv, qdir, False), _run(real, version, argv, qdir, True)


_TMP_DIGITS = re.compile(r"\.service[0-9]+(?= |$)")


@pytest.mark.parametrize("version", VERSIONS)
def test_version_flag(request: pytest.FixtureRequest, tmp_path: Path, version: str) -> None:
    """`-version` says the release hostform writes as (the one it is measured against)."""
    real, ours = _both(_real(request, version), version, ["-version"], tmp_path)
    assert real == ours and real[1].startswith(version + ".")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", ["install-links", "service-name-paths", "many-pod-members"])
def test_dryrun(request: pytest.FixtureRequest, tmp_path: Path, case: str, version: str) -> None:
    """-dryrun prints the units (links are not made, so nothing is said about them) and logs alike."""
    for name, data in CRAFTED[case].items():
        (tmp_path / name).write_bytes(data)
    real, ours = _both(_real(request, version), version, ["-dryrun"], tmp_path)
    assert (real[0], real[2]) == (ours[0], ours[2])
    real_units, our_units = parse_dryrun(real[1]), parse_dryrun(ours[1])
    assert list(real_units) == list(our_units) != []
    assert all(canonical(real_units[n], version) == canonical(our_units[n], version) for n in real_units)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_log_goes_where_the_real_ones_goes(request: pytest.FixtureRequest, tmp_path: Path, version: str) -> None:
    """Without -no-kmsg-log: /dev/kmsg when it can be written (5.4 and 5.8 only there; 6.1 also to stderr)."""
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "a.container").write_text("[Container]\n")
    real, ours = _both(_real(request, version), version, [str(tmp_path / "out")], tmp_path / "q")
    assert real == ours and real[0] == 1


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("where", ["file", "under-a-file", "unit-is-a-directory", "umask-077", "empty"])
def test_output_directory(request: pytest.FixtureRequest, tmp_path: Path, version: str, where: str) -> None:
    """What is said, and what is left, when the output directory is odd: a file, under a file, a unit's
    name taken by a directory, a strict umask (6.1 writes 0644 anyway), an empty argument."""
    q = tmp_path / "q"
    q.mkdir()
    (q / "a.container").write_text("[Container]\nImage=localhost/a\n")
    (q / "b.volume").write_text("[Volume]\n")
    results = []
    for who in ("real", "ours"):
        base = tmp_path / who
        base.mkdir()
        out = base / "out"
        umask = None
        if where == "file":
            out.write_text("")
        elif where == "under-a-file":
            (base / "f").write_text("")
            out = base / "f" / "out"
        elif where == "unit-is-a-directory":
            (out / "a.service" / "x").mkdir(parents=True)
        elif where == "umask-077":
            umask = 0o077
        argv = ["-no-kmsg-log", "-v", "" if where == "empty" else str(out)]
        code, _, log = _run(_real(request, version), version, argv, q, who == "ours", umask)
        files = sorted((str(p.relative_to(base)), oct(p.stat().st_mode & 0o7777)) for p in base.rglob("*"))
        results.append((code, [ln.replace(str(base), "BASE") for ln in log], files))
    assert results[0] == results[1]
