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

import os
import random
from pathlib import Path

import pytest

from hostform.quadlet import versions
from tests.require import no_shared

from .exact import differences, our_outcome, real_outcome
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
    assert outcome.tree or outcome.log  # not vacuous
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
