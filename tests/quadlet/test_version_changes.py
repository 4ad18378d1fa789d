"""Each named output change of quadlet.versions.CHANGES that podman's own suite does not show, met on
both sides: crafted quadlet files give hostform, as 5.4, 5.8 and 6.1, the output of the real generator
of that version, whole (every file, line, symlink, exit code and log line; tests/quadlet/exact.py).

Each case says which change(s) it pins; real 5.4 and real 5.8 differ on every case, so a change
emulated at the wrong release fails one side.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hostform.quadlet import versions

from .exact import differences as exact_differences
from .exact import our_outcome, real_outcome

_REAL = {"5.4": "real_quadlet", "5.8": "real_quadlet_58", "6.1": "real_quadlet_61"}

# case -> (the changes it pins, files relative to the unit directory)
CASES: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "exec-bad-escape": (("args-parse-warning",), {"a.container": '[Container]\nImage=localhost/a\nExec=/bin/sh -c "a\\qb"\n'}),
    "keyval-bad-escape-and-bare-key": (
        ("keyval-warnings", "keyval-bare-key"),
        {"a.container": '[Container]\nImage=localhost/a\nEnvironment=A=1 B="x\\qy"\nLabel=k=v bare\n'},
    ),
    "pod-own-environment": (("pod-environment-added",), {"p.pod": "[Pod]\n[Service]\nEnvironment=FOO=bar\nEnvironment=BAZ=1\n"}),
    "build-keyvals-and-layout": (
        ("build-keyvals-one-map", "service-init-shared"),
        {"b.build": "[Build]\nImageTag=localhost/b\nSetWorkingDirectory=/srv\nLabel=l=1\nEnvironment=e=2\nAnnotation=a=3\n"},
    ),
    "build-no-tag-and-unknown-key": (("service-init-shared",), {"b.build": "[Build]\nBogus=1\nFile=/x/Containerfile\n"}),
    "dropin-search-order": (
        ("dropin-dirs-by-name",),
        {
            "a.container": "[Container]\nImage=localhost/a\n",
            "container.d/x.conf": "[Container]\nLabel=from=typedir\n",
            "sub/a.container.d/x.conf": "[Container]\nLabel=from=subdir\n",
        },
    ),
    "build-file-with-specifier": (("build-file-specifier-absolute",), {"b.build": "[Build]\nImageTag=localhost/b\nFile=%h/Containerfile\n"}),
    "volume-path-with-space": (
        ("requires-mounts-for-escaped", "space-escaped-x20"),
        {"a.container": "[Container]\nImage=localhost/a\nVolume=/srv/my data:/data\nExec=/bin/echo 'a b'\n"},
    ),
    "bind-volume-device-with-space": (("bind-volume-requires-mounts",), {"v.volume": "[Volume]\nDevice=/srv/my data\nType=bind\n"}),
    "unmatched-quotes": (
        ("lookup-strips-one-quote-pair",),
        {"a.container": '[Container]\nImage="localhost/a\nContainerName=""name""\nHealthCmd="/bin/true"\n'},
    ),
    "two-errors-and-a-warning": (
        ("errors-logged-as-they-occur",),
        {"a.container": "[Container]\nImage=localhost/a\nBogus=1\n", "b.container": "[Container]\nImage=shortname\n", "c.container": "[Container]\n"},
    ),
    "kube-two-yamls-working-dir": (("multiple-yaml",), {"k.kube": "[Kube]\nYaml=a.yml\nYaml=sub/b.yml\nSetWorkingDirectory=yaml\n"}),
    "install-upheld-by": (("upheld-by",), {"a.container": "[Container]\nImage=localhost/a\n[Install]\nUpheldBy=x.service\nWantedBy=y.target\n"}),
    "artifact-sources-before-artifacts": (
        (),
        {"a.container": "[Container]\nImage=localhost/a\nMount=type=artifact,source=x.artifact,target=/x\nVolume=y.artifact:/y\n"},
    ),
}

# Mount= without a source: 5.4's generator crashes (a Go panic) after writing the units converted
# before; the stack trace it prints (with run-dependent addresses) is not reproduced.
CRASH = {
    "a.container": "[Container]\nImage=localhost/a\n",
    "b.container": "[Container]\nImage=localhost/b\nBogus=1\n",
    "c.container": "[Container]\nImage=localhost/c\nMount=type=bind,target=/x\n",
    "d.container": "[Container]\nImage=localhost/d\n",
}


def _unit_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    q = tmp_path / "q"
    for rel, text in files.items():
        p = q / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return q


def test_every_change_of_the_cases_is_named() -> None:
    named = {c for changes, _ in CASES.values() for c in changes}
    assert named <= set(versions.CHANGES.table)


@pytest.mark.parametrize("case", sorted(CASES))
def test_real_54_and_58_differ_on_the_case(request: pytest.FixtureRequest, tmp_path: Path, case: str) -> None:
    """Each case tells 5.4 from 5.8, so a change emulated at the wrong release fails one side."""
    qdir = _unit_dir(tmp_path, CASES[case][1])
    run54 = real_outcome(request.getfixturevalue(_REAL["5.4"]), qdir, "5.4")
    run58 = real_outcome(request.getfixturevalue(_REAL["5.8"]), qdir, "5.8")
    assert exact_differences(run54, run58)


@pytest.mark.parametrize("version", sorted(_REAL))
@pytest.mark.parametrize("case", sorted(CASES))
def test_case_as_the_real_generator(request: pytest.FixtureRequest, tmp_path: Path, case: str, version: str) -> None:
    binary = request.getfixturevalue(_REAL[version])
    qdir = _unit_dir(tmp_path, CASES[case][1])
    for user in (False, True):
        real, ours = real_outcome(binary, qdir, version, user), our_outcome(qdir, version, user)
        assert exact_differences(real, ours) == []


@pytest.mark.parametrize("version", sorted(_REAL))
def test_mount_without_source(request: pytest.FixtureRequest, tmp_path: Path, version: str) -> None:
    binary = request.getfixturevalue(_REAL[version])
    qdir = _unit_dir(tmp_path, CRASH)
    real, ours = real_outcome(binary, qdir, version), our_outcome(qdir, version)
    assert exact_differences(real, ours) == []  # (the comparison stops at a panic's stack trace)
    if version == "5.4":  # the units before it written, the panic's first lines, nothing held back
        assert (ours.code, list(ours.tree)) == (2, ["a.service"])
        assert ours.log[-3:] == ["panic: runtime error: index out of range [0] with length 0", "", "goroutine 1 [running]:"]


@pytest.mark.parametrize("version", sorted(_REAL))
def test_no_output_directory(request: pytest.FixtureRequest, tmp_path: Path, version: str) -> None:
    """Without an output directory: 5.4 logs the error alone, 5.8 and 6.1 add their closing line."""
    from .test_podman_version import run

    binary = request.getfixturevalue(_REAL[version])
    env = {"QUADLET_UNIT_DIRS": str(tmp_path)}
    proc = subprocess.run([str(binary), "-no-kmsg-log"], env=env, capture_output=True, text=True, timeout=60)
    code, _, err = run(["-podman-version", version, "-no-kmsg-log"], env)
    assert code == proc.returncode == 1
    assert [ln.split("]: ", 1)[1] for ln in err.splitlines()] == [ln.split("]: ", 1)[1] for ln in proc.stderr.splitlines()]
