"""`hostform quadlet --check` / `--podman-version`: version-aware checks and emulation of older generators."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hostform.cli import quadlet as cli
from hostform.quadlet import generator, tables, versions
from hostform.quadlet.generator import generate
from tests.require import no_shared

from .podman_assertions import run_case
from .test_conformance import CASES, MANIFEST, hostform_generate
from .test_realgen import REAL_54_FAILURES, _entry_id


def run(argv: list[str], env: dict | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, env=env or {}, stdout=out, stderr=err, prog="/usr/libexec/podman/quadlet")
    return code, out.getvalue(), err.getvalue()


def write(d: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (d / name).write_text(text)
    return d


# -- flags and help ----------------------------------------------------------------


def test_help_is_podmans_usage_then_hostform_additions() -> None:
    code, out, err = run(["--help"])
    assert code == 0 and err == ""
    assert out.startswith(cli.usage("/usr/libexec/podman/quadlet"))
    tail = out[len(cli.usage("/usr/libexec/podman/quadlet")) :]
    assert "hostform additions:" in tail and "-check" in tail and "-podman-version" in tail
    assert versions.DEFAULT_PODMAN_VERSION in tail


@pytest.mark.parametrize("flag", ["-h", "-help"])
def test_short_help_is_podmans_exact_usage_on_stderr(flag: str) -> None:
    assert run([flag]) == (0, "", cli.usage("/usr/libexec/podman/quadlet"))


@pytest.mark.parametrize("value", ["3.4", "banana", "7.0"])
def test_unknown_podman_version_is_a_usage_error_listing_the_known_ones(value: str) -> None:
    code, out, err = run(["--check", "--podman-version", value])
    assert code == 2 and out == ""
    assert f'invalid value "{value}" for flag -podman-version' in err
    assert " ".join(versions.VERSIONS) in err
    assert "Usage of" in err


def test_podman_version_needs_a_value() -> None:
    code, _, err = run(["-check", "-podman-version"])
    assert code == 2 and "flag needs an argument: -podman-version" in err


@pytest.mark.parametrize(
    "argv",
    [["--check", "--podman-version", "5.4"], ["-check", "-podman-version=5.4"], ["-check=true", "--podman-version=5.4.2"]],
)
def test_flag_spellings(tmp_path: Path, argv: list[str]) -> None:
    write(tmp_path, {"a.container": "[Container]\nImage=localhost/a\nMemory=1g\n"})
    code, out, _ = run(argv + [str(tmp_path)])
    assert code == 1
    assert f"{tmp_path}/a.container:3: error[HF050]: unsupported key 'Memory' in [Container] (podman >= 5.5; the target is podman 5.4)" in out


# -- --check --------------------------------------------------------------------------


def test_check_targets_fcos_stable_by_default(tmp_path: Path) -> None:
    assert versions.DEFAULT_PODMAN_VERSION == "5.8"
    write(tmp_path, {"v.volume": "[Volume]\nUID=1000\n", "ok.container": "[Container]\nImage=localhost/a\nAppArmor=x\n"})
    code, out, _ = run(["--check", str(tmp_path)])
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path}/v.volume:2: error[HF050]: unsupported key 'UID' in [Volume] (podman >= 6.0; the target is podman 5.8)"
    ]
    # the same files are fine for podman 6.1
    assert run(["--check", "--podman-version", "6.1", str(tmp_path)])[:2] == (0, "")


def test_check_reports_unit_types_the_target_ignores_silently(tmp_path: Path) -> None:
    write(tmp_path, {"x.artifact": "[Artifact]\nArtifact=quay.io/a/b:1\n", "p.pod": "[Pod]\n"})
    code, out, _ = run(["--check", "--podman-version", "4.9", str(tmp_path)])
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path}/p.pod:1: error[HF050]: podman 4.9 does not know .pod units (podman >= 5.0): p.pod will be ignored",
        f"{tmp_path}/x.artifact:1: error[HF050]: podman 4.9 does not know .artifact units (podman >= 5.7): x.artifact will be ignored",
    ]
    # explicit files too
    code, out, _ = run(["-check", "-podman-version", "5.4", str(tmp_path / "x.artifact")])
    assert code == 1 and "podman 5.4 does not know .artifact units (podman >= 5.7)" in out


def test_check_reports_every_unsupported_key_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, {"a.container": "[Container]\nImage=localhost/a\nPull=never\nNoSuch=1\nReloadSignal=SIGHUP\n"})
    code, out, _ = run(["--check", "--podman-version", "4.5", str(tmp_path)])
    assert code == 1
    f = f"{tmp_path}/a.container"
    assert out.splitlines() == [
        f"{f}:3: error[HF050]: unsupported key 'Pull' in [Container] (podman >= 4.6; the target is podman 4.5)",
        f"{f}:4: error[HF301]: unsupported key 'NoSuch' in group 'Container'",
        f"{f}:5: error[HF050]: unsupported key 'ReloadSignal' in [Container] (podman >= 5.5; the target is podman 4.5)",
    ]


def test_check_deprecated_keys_warn(tmp_path: Path) -> None:
    write(tmp_path, {"a.container": "[Container]\nImage=localhost/a\nRemapUsers=auto\nVolatileTmp=true\n"})
    code, out, _ = run(["--check", str(tmp_path)])
    assert code == 0
    f = f"{tmp_path}/a.container"
    assert out.splitlines() == [
        f"{f}:3: warning[HF305]: key 'RemapUsers' in [Container] is deprecated",
        f"{f}:4: warning[HF305]: key 'VolatileTmp' in [Container] is deprecated",
    ]


def test_check_service_key_warnings_follow_the_target(tmp_path: Path) -> None:
    write(tmp_path, {"a.container": "[Container]\nImage=localhost/a\n[Service]\nUser=app\n"})
    code, out, _ = run(["--check", str(tmp_path)])  # 5.8 warns (since 5.6)
    assert code == 0 and f"{tmp_path}/a.container:4: warning[HF303]: Warning: using key User" in out
    assert run(["--check", "--podman-version", "5.4", str(tmp_path)])[:2] == (0, "")


def test_check_conversion_errors_keep_their_line(tmp_path: Path) -> None:
    write(tmp_path, {"a.container": "[Container]\nImage=localhost/a\nPod=nope.pod\n"})
    code, out, _ = run(["--check", str(tmp_path)])
    assert code == 1 and out.startswith(f"{tmp_path}/a.container:3: error[HF302]: quadlet pod unit nope.pod does not exist")


def test_check_search_path_without_arguments(tmp_path: Path) -> None:
    write(tmp_path, {"a.container": "[Container]\nImage=localhost/a\nHttpProxy=false\n"})
    code, out, _ = run(["--check", "--podman-version", "5.6"], env={"QUADLET_UNIT_DIRS": str(tmp_path)})
    assert code == 1 and "unsupported key 'HttpProxy' in [Container] (podman >= 5.7; the target is podman 5.6)" in out


# -- emulation of an older generator ------------------------------------------------

POD = "[Pod]\nPodName=grp\n[Service]\nRestart=always\n"
MEMBER = "[Container]\nImage=localhost/a\nPod=grp.pod\nEntrypoint=/bin/sh\n"


def _units(tmp_path: Path, version: str | None) -> dict[str, str]:
    write(tmp_path, {"grp.pod": POD, "m.container": MEMBER})
    r = generate([str(tmp_path)], podman_version=version, env={"PODMAN": "/usr/bin/podman"})
    assert r.exit_code == 0, r.log
    return r.units


def test_54_tracks_containers_and_pods_by_id_file(tmp_path: Path) -> None:
    u = _units(tmp_path, "5.4")
    m, p = u["m.service"], u["grp-pod.service"]
    assert "ExecStop=/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid\n" in m
    assert "run --name systemd-%N --cidfile=%t/%N.cid --replace --rm" in m
    assert "--pod-id-file %t/grp-pod.pod-id" in m and "--pod grp" not in m
    assert "--entrypoint /bin/sh" in m
    assert "ExecStart=/usr/bin/podman pod start --pod-id-file=%t/%N.pod-id\n" in p
    assert "pod create --infra-conmon-pidfile=%t/%N.pid --pod-id-file=%t/%N.pod-id --exit-policy=stop --replace" in p
    assert "Restart=on-failure" in p  # 5.4 overrides the unit's own Restart=


def test_61_default_tracks_by_name(tmp_path: Path) -> None:
    u = _units(tmp_path, None)
    m, p = u["m.service"], u["grp-pod.service"]
    assert "rm -v -f -i systemd-%N\n" in m and "--cidfile" not in m
    assert "--pod grp" in m and "--entrypoint=/bin/sh" in m
    assert "ExecStart=/usr/bin/podman pod start grp\n" in p and "--exit-policy stop" in p
    assert "Restart=always" in p and "Restart=on-failure" not in p


def test_58_is_between(tmp_path: Path) -> None:
    u = _units(tmp_path, "5.8")
    assert "--pod grp" in u["m.service"] and "--entrypoint=/bin/sh" in u["m.service"]  # as real 5.8.6
    assert "Restart=on-failure" in u["grp-pod.service"]


def test_54_unsupported_key_is_podmans_message(tmp_path: Path) -> None:
    write(tmp_path, {"a.container": "[Container]\nImage=localhost/a\nMemory=1g\n"})
    r = generate([str(tmp_path)], podman_version="5.4")
    assert r.exit_code == 1 and not r.units
    assert r.log == [f"converting \"a.container\": unsupported key 'Memory' in group 'Container' in {tmp_path}/a.container"]


def test_unknown_version_raises() -> None:
    with pytest.raises(ValueError):
        generate([], podman_version="3.0")


def test_changes_table() -> None:
    assert set(versions.CHANGES.table.values()) <= set(versions.VERSIONS)
    assert versions.gate("6.1").names == frozenset(versions.CHANGES.table)
    assert versions.gate("5.4").names == frozenset({"notify-healthy"})
    assert versions.gate("5.8.6").names == frozenset(n for n, v in versions.CHANGES.table.items() if v not in ("6.0", "6.1"))
    assert set(tables.ROWS_BEFORE) <= set(versions.CHANGES.table)


def test_an_unknown_change_name_is_a_key_error() -> None:
    """A misspelt change name fails at once, where a set lookup would read it as "not yet"."""
    with pytest.raises(KeyError):
        generator.target("5.4").has("track-by-nmae")
    with pytest.raises(KeyError):
        versions.gate("6.1").has("track-by-nmae")
    assert generator.target("5.8").has("track-by-name") and not generator.target("5.4").has("track-by-name")


def test_the_host_renderer_asks_the_same_gates() -> None:
    from hostform.host.load import load_text
    from hostform.host.render import _has_change

    host = load_text("name: h\npodman: '5.8'\nservices:\n  a: {image: quay.io/x/y:1}\n").host
    assert host is not None
    assert _has_change(host, "track-by-name") and not _has_change(host, "pod-restart-kept")
    with pytest.raises(KeyError):
        _has_change(host, "entrypoint-equal")


@pytest.mark.skipif(not MANIFEST, reason=no_shared(CASES.parent / "manifest.json"))
def test_manifest_as_podman_54() -> None:
    """hostform as 5.4 fails exactly the entries real 5.4 fails (without a binary: REAL_54_FAILURES): every
    5.4 behaviour the suite asserts is emulated (tests/quadlet/exact.py compares whole outputs)."""
    failed = {_entry_id(e) for e in MANIFEST if not run_case(CASES, e, hostform_generate("5.4")).passed}
    assert failed == REAL_54_FAILURES
