"""The generator API, the drop-in CLI (flags, messages, files written) and a fuzz test."""

from __future__ import annotations

import io
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostform.cli import quadlet as cli
from hostform.quadlet import tables
from hostform.quadlet.generator import PODMAN_VERSION, GenerateResult, convert_units, generate
from hostform.quadlet.unitfile import parse_text
from tests.require import shared

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CASES = SHARED / "conformance" / "quadlet" / "cases"
PROG = "/usr/libexec/podman/quadlet"


def run(argv: list[str], unit_dir: str | Path, **env: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    full_env = {"QUADLET_UNIT_DIRS": str(unit_dir), "PODMAN": "/usr/bin/podman", **env}
    code = cli.main(argv, env=full_env, stdout=out, stderr=err, prog=PROG)
    return code, out.getvalue(), err.getvalue()


def lines_of(stderr: str) -> list[str]:
    return [ln.split("]: ", 1)[1] for ln in stderr.splitlines() if ln.startswith("quadlet-generator[")]


# -- API ------------------------------------------------------------------------


def test_generate_api(tmp_path: Path) -> None:
    (tmp_path / "web.container").write_text("[Container]\nImage=docker.io/library/nginx\nNetwork=app.network\n")
    (tmp_path / "app.network").write_text("[Network]\n")
    result = generate([tmp_path])
    assert result.exit_code == 0 and not result.report
    assert sorted(result.units) == ["app-network.service", "web.service"]
    web = result.units["web.service"]
    assert "Requires=app-network.service\nAfter=app-network.service\n" in web
    assert "--network systemd-app" in web


def test_generate_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a.container").write_text(
        "[Container]\nImage=quay.io/x/y\nTimezone=UTC\nPidsLimit=10\nWorkingDir=/w\nDNS=1.1.1.1\nEnvironment=B=2 A=1\nLabel=x=y\n"
    )
    first = generate([tmp_path]).units
    for _ in range(5):
        assert generate([tmp_path]).units == first


def test_report_has_positions(tmp_path: Path) -> None:
    f = tmp_path / "bad.container"
    f.write_text("[Container]\nImage=quay.io/x\nBogus=1\nAlsoBogus=2\n")
    result = generate([tmp_path])
    assert result.exit_code == 1
    assert [(d.code, d.line) for d in result.report] == [("HF301", 3), ("HF301", 4)]
    assert result.report.entries[0].format() == f"{f}:3: error[HF301]: unsupported key 'Bogus' in group 'Container'"
    # podman's message names only the first key
    assert result.log == [f"converting \"bad.container\": unsupported key 'Bogus' in group 'Container' in {f}"]


def test_report_conversion_error_line(tmp_path: Path) -> None:
    (tmp_path / "p.container").write_text("[Container]\nImage=quay.io/x\n\nPod=other\n")
    result = generate([tmp_path])
    (d,) = result.report.entries
    assert (d.code, d.line, d.message) == ("HF302", 4, "pod other is not Quadlet based")


def test_dropins_and_precedence(tmp_path: Path) -> None:
    (tmp_path / "foo-bar.container").write_text("[Container]\nImage=quay.io/x\n")
    for d, body in (
        ("container.d", "[Container]\nLabel=from=top\n"),
        ("foo-.container.d", "[Container]\nLabel=from=prefix\n"),
        ("foo-bar.container.d", "[Container]\nLabel=from=exact\n"),
    ):
        (tmp_path / d).mkdir()
        (tmp_path / d / "10-label.conf").write_text(body)
    (tmp_path / "container.d" / "20-env.conf").write_text("[Container]\nEnvironment=X=1\n")
    unit = generate([tmp_path]).units["foo-bar.service"]
    assert "--label from=exact" in unit and "from=top" not in unit and "--env X=1" in unit


# Files that exercise every output of a run: services, [Install] symlinks, podman's
# warnings, a conversion error, hostform's deprecation warning, references
# between units, and a unit type podman 5.4 does not read (.artifact, 5.7).
MIXED = {
    "app.network": "[Network]\nSubnet=10.1.0.0/24\n",
    "web.pod": "[Pod]\nPublishPort=8080:80\n[Install]\nWantedBy=multi-user.target\n",
    "web.container": (
        "[Container]\nImage=nginx\nPod=web.pod\nNetwork=app.network\nRemapUsers=auto\n"
        "[Service]\nUser=nobody\n[Install]\nWantedBy=default.target\nAlias=www.service\n"
    ),
    "broken.container": "[Container]\nImage=quay.io/x/y:1\nNetwork=missing.network\n",
    "data.volume": "[Volume]\nUser=10\n",
    "blob.artifact": "[Artifact]\nArtifact=quay.io/x/blob:1\n",
}


def _view(r: GenerateResult) -> tuple[object, ...]:
    report = [(d.severity, d.code, d.message, d.file, d.line, d.col) for d in r.report]
    return (r.units, r.outputs, r.symlinks, r.log, report, r.exit_code, r.sources)


def test_convert_units_is_generate_without_the_reading(tmp_path: Path) -> None:
    """The in-memory entry, given the files' names and texts, says exactly what generate says of the files."""
    for name, text in MIXED.items():
        (tmp_path / name).write_text(text)
    for version in (None, "5.4", "5.8"):
        on_disk = generate([str(tmp_path)], podman_version=version, env={})
        units = [parse_text(MIXED[n], n, f"{tmp_path}/{n}") for n in sorted(MIXED)]
        in_memory = convert_units(units, podman_version=version, env={})
        assert _view(in_memory) == _view(on_disk), version
        assert on_disk.exit_code == 1 and on_disk.symlinks and on_disk.log  # the comparison compares something
    codes_54 = {d.code for d in convert_units([parse_text(MIXED["blob.artifact"], "blob.artifact", "/q/blob.artifact")], podman_version="5.4").report}
    assert codes_54 == {"HF050"}


def test_convert_units_takes_podman_from_env() -> None:
    unit = parse_text("[Container]\nImage=quay.io/x/y:1\n", "a.container", "/q/a.container")
    text = convert_units([unit], env={"PODMAN": "/opt/bin/podman"}).units["a.service"]
    assert "\nExecStart=/opt/bin/podman run " in text
    assert "\nExecStart=/usr/bin/podman run " in convert_units([unit], env={}).units["a.service"]


# -- CLI ------------------------------------------------------------------------


def test_version() -> None:
    out = io.StringIO()
    assert cli.main(["-version"], env={}, stdout=out, stderr=io.StringIO(), prog=PROG) == 0
    assert out.getvalue() == PODMAN_VERSION + "\n"


def test_unknown_flag_prints_go_usage() -> None:
    err = io.StringIO()
    assert cli.main(["-bogus"], env={}, stdout=io.StringIO(), stderr=err, prog=PROG) == 2
    assert err.getvalue().startswith("flag provided but not defined: -bogus\nUsage of /usr/libexec/podman/quadlet:\n  -dryrun\n")
    assert "  -v\tPrint debug information\n" in err.getvalue()


def test_bool_flag_values(tmp_path: Path) -> None:
    code, _, err = run(["-dryrun=maybe"], tmp_path)
    assert code == 2 and err.startswith('invalid boolean value "maybe" for -dryrun: parse error\n')


def test_missing_output_dir(tmp_path: Path) -> None:
    code, _, err = run(["-no-kmsg-log"], tmp_path)
    assert code == 1
    assert lines_of(err) == ["missing output directory argument", "processing encountered some errors"]


def test_dryrun_no_files() -> None:
    code, out, err = run(["-dryrun"], "/something")
    assert code == 0 and out == ""
    assert "No files parsed from [/something]" in lines_of(err)


def test_dryrun_basic_kube_exact(tmp_path: Path) -> None:
    qdir = tmp_path / "quadlet"
    qdir.mkdir()
    data = shared(CASES / "basic.kube").read_text()
    (qdir / "basic.kube").write_text(data)
    code, out, err = run(["-dryrun"], qdir)
    assert code == 0 and "Loading source unit file " in err
    comments = [ln for ln in data.splitlines() if ln.startswith("##")]
    expected = (
        ["---basic.service---"]
        + comments
        + [
            "[X-Kube]",
            "Yaml=deployment.yml",
            "[Unit]",
            "Wants=network-online.target",
            "After=network-online.target",
            f"SourcePath={qdir}/basic.kube",
            "RequiresMountsFor=%t/containers",
            "[Service]",
            "KillMode=mixed",
            "Environment=PODMAN_SYSTEMD_UNIT=%n",
            "Type=notify",
            "NotifyAccess=all",
            "SyslogIdentifier=%N",
            f"ExecStart=/usr/bin/podman kube play --replace --service-container=true {qdir}/deployment.yml",
            f"ExecStopPost=/usr/bin/podman kube down {qdir}/deployment.yml",
        ]
    )
    assert [ln for ln in out.splitlines() if ln.strip()] == expected


def test_dryrun_bad_key(tmp_path: Path) -> None:
    f = tmp_path / "bogus.container"
    f.write_text("[Container]\nImage=quay.io/alpine\nBOGUS=foo\n")
    code, _, err = run(["-dryrun"], tmp_path)
    assert code == 1
    assert f"converting \"bogus.container\": unsupported key 'BOGUS' in group 'Container' in {f}" in err


def test_subdirectories_user_mode(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(shared(CASES / "test_subdir"), tmp_path / "q")
    code, out, _ = run(["-dryrun", "-user"], tmp_path / "q")
    assert code == 0
    for name in ("mysleep", "mysleep_1", "mysleep_2"):
        assert f"---{name}.service---" in out.splitlines()


def test_writes_units_and_symlinks(tmp_path: Path) -> None:
    src, out_dir = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "web.container").write_text(
        "[Container]\nImage=quay.io/x\n[Install]\nWantedBy=multi-user.target default.target\nAlias=w.service\n"
    )
    code, _, err = run(["-no-kmsg-log", str(out_dir), str(tmp_path / "early"), str(tmp_path / "late")], src)
    assert code == 0, err
    text = (out_dir / "web.service").read_text()
    assert text.startswith(f"# Automatically generated by {PROG}\n# \n")
    assert os.readlink(out_dir / "multi-user.target.wants" / "web.service") == "../web.service"
    assert os.readlink(out_dir / "default.target.wants" / "web.service") == "../web.service"
    assert os.readlink(out_dir / "w.service") == "web.service"
    assert not (tmp_path / "early").exists()


def test_template_install_needs_default_instance(tmp_path: Path) -> None:
    (tmp_path / "t@.container").write_text("[Container]\nImage=quay.io/x\n[Install]\nWantedBy=a.target\n")
    (tmp_path / "d@.container").write_text("[Container]\nImage=quay.io/x\n[Install]\nWantedBy=a.target\nDefaultInstance=x\n")
    result = generate([tmp_path])
    assert result.symlinks == {"a.target.wants/d@x.service": "../d@.service"}


def test_check_mode(tmp_path: Path) -> None:
    (tmp_path / "x.container").write_text("[Container]\nImage=nginx\n")
    code, out, _ = run(["-check"], tmp_path)
    assert code == 0
    assert out.startswith(f"{tmp_path}/x.container:2: warning[HF303]: Warning: x.container specifies the image \"nginx\"")


def test_reading_errors_come_first_and_fail_the_run(tmp_path: Path) -> None:
    """As podman 6.1 prints it: what reading said, then what converting said; a file that cannot be read fails the run."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "bad.container").write_text("[Container\nImage=x\n")
    (b / "good.container").write_text("[Container]\nImage=quay.io/x/y:1\n")
    code, out, err = run(["-dryrun"], f"{a}:{b}")
    assert code == 1 and out.startswith("---good.service---\n"), err
    (b / "wrong.container").write_text("[Container]\nImage=quay.io/x/y:1\nPod=nope\n")
    code, out, err = run(["-dryrun"], f"{a}:{b}")
    assert code == 1 and lines_of(err) == [
        f"Loading source unit file {a}/bad.container",
        f'error loading "{a}/bad.container", file contains line 1: \u201c[Container\u201d which is not a key-value pair, group, or comment',
        f"Loading source unit file {b}/good.container",
        f"Loading source unit file {b}/wrong.container",
        'converting "wrong.container": pod nope is not Quadlet based',
        "processing encountered some errors",
    ]
    code, out, _ = run(["-check", str(a), str(b)], tmp_path)
    assert code == 1 and [ln.split(": ", 2)[1] for ln in out.splitlines()] == ["error[HF300]", "error[HF302]"], out


def test_check_a_file_that_is_no_quadlet(tmp_path: Path) -> None:
    """-check with a file of another type says so (it used to end in a KeyError traceback)."""
    (tmp_path / "notes.txt").write_text("[Container]\nImage=quay.io/x/y:1\n")
    (tmp_path / "ok.container").write_text("[Container]\nImage=quay.io/x/y:1\n")
    code, out, _ = run(["-check", str(tmp_path / "notes.txt"), str(tmp_path / "ok.container")], tmp_path)
    assert (code, out) == (1, f'{tmp_path}/notes.txt: error[HF302]: unsupported file type "notes.txt"\n')


def test_search_paths_rootless(tmp_path: Path) -> None:
    from hostform.quadlet.generator import unit_dirs

    (tmp_path / "cfg" / "containers" / "systemd" / "sub").mkdir(parents=True)
    (tmp_path / "cfg" / "containers" / "systemd" / "x.container.d").mkdir()
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    dirs = unit_dirs(True, env)
    assert dirs[0] == str(tmp_path / "run" / "containers/systemd")
    assert dirs[1:3] == [str(tmp_path / "cfg" / "containers/systemd"), str(tmp_path / "cfg" / "containers/systemd/sub")]
    assert "/etc/containers/systemd/users" in dirs
    assert unit_dirs(False, {})[:3] == ["/run/containers/systemd", "/etc/containers/systemd", "/usr/share/containers/systemd"]


# -- fuzz -----------------------------------------------------------------------

_KEYS = sorted({k for rows in tables.ROWS.values() for k, *_ in rows})
_line = st.one_of(
    st.sampled_from(["[Container]", "[Volume]", "[Network]", "[Pod]", "[Kube]", "[Build]", "[Image]", "[Artifact]",
                     "[Service]", "[Unit]", "[Install]", "[Quadlet]", "", "# c", "\\", "[", "]x", "=v"]),
    st.builds(
        lambda k, v: f"{k}={''.join(v)}",
        st.sampled_from(_KEYS + ["Type", "KillMode", "WantedBy", "Alias", "After", "User"]),
        st.lists(st.sampled_from(list("ab:/.=,\\\"' %-@x0\t") + ["a.network", "b.volume", "c.pod", "d.image",
                                                                 "e.build", "f.container", "\\x", "\\q", "yes"]), max_size=8),
    ),
    st.text(max_size=20),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ext=st.sampled_from(sorted(tables.UNIT_TYPES)),
    name=st.sampled_from(["u", "a-b", "t@", "t@i", "x.y"]),
    body=st.lists(_line, max_size=15),
    other=st.lists(_line, max_size=6),
)
def test_random_units_never_crash(tmp_path_factory, ext: str, name: str, body: list[str], other: list[str]) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    (d / (name + ext)).write_text("\n".join(body), errors="surrogateescape")
    (d / "a.network").write_text("\n".join(["[Network]"] + other), errors="surrogateescape")
    code, out, err = run(["-dryrun"], d)
    assert code in (0, 1)
    if code == 1:
        assert "processing encountered some errors" in err
        assert any(m.startswith(("converting ", "error loading ")) for m in lines_of(err)), err
    result = generate([d])
    assert result.exit_code == code
    assert result.report.is_fatal() == (code == 1)


def test_warnings_logged_before_error(tmp_path: Path) -> None:
    (tmp_path / "w.container").write_text("[Container]\nImage=quay.io/x\nLabel=a=\\q\nPod=nope\n")
    result = generate([tmp_path])
    assert result.log == ["unsupported escape char", 'converting "w.container": pod nope is not Quadlet based']
    assert [d.code for d in result.report] == ["HF303", "HF302"]


def test_user_default_from_program_name(tmp_path: Path) -> None:
    (tmp_path / "a.container").write_text("[Container]\nImage=quay.io/x\n")
    out = io.StringIO()
    env = {"QUADLET_UNIT_DIRS": str(tmp_path)}
    prog = "/usr/lib/systemd/user-generators/podman-user-generator"
    assert cli.main(["-dryrun"], env=env, stdout=out, stderr=io.StringIO(), prog=prog) == 0
    assert "podman-user-wait-network-online.service" in out.getvalue()
    out = io.StringIO()
    assert cli.main(["-dryrun", "-user=false"], env=env, stdout=out, stderr=io.StringIO(), prog=prog) == 0
    assert "After=network-online.target" in out.getvalue()
