"""`hostform butane` flags, arguments and I/O errors, as Butane v0.29's
internal/main.go and spf13/pflag v1.0.10 behave."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hostform.cli import butane

OK = "variant: fcos\nversion: 1.5.0\n"
WARN = OK + "storage:\n  file: []\n"  # unused key: a warning
IGN = '{"ignition":{"version":"3.4.0"}}\n'
PRETTY = '{\n  "ignition": {\n    "version": "3.4.0"\n  }\n}\n'


def cli(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    o, e = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            rc = butane.main(argv)
    finally:
        sys.stdin = old
    return rc, o.getvalue(), e.getvalue()


@pytest.fixture
def bu(tmp_path):
    p = tmp_path / "in.bu"
    p.write_text(OK)
    return p


def test_input_file_and_stdin(bu) -> None:
    assert cli([str(bu)]) == (0, IGN, "")
    assert cli([], OK.encode()) == (0, IGN, "")
    assert cli(["-"], OK.encode())[0] == 1  # "-" is a file name, as in Butane


def test_stdin_errors_name_stdin() -> None:
    rc, out, err = cli([], b"variant: fcos\nversion: 1.5.0\nbogus: 1\n")
    assert rc == 0 and out == IGN and "--> <stdin>:3:1" in err


def test_pretty(bu) -> None:
    assert cli(["-p", str(bu)]) == (0, PRETTY, "")
    assert cli(["--pretty", str(bu)]) == (0, PRETTY, "")
    assert cli(["--pretty=false", str(bu)]) == (0, IGN, "")


def test_strict(tmp_path) -> None:
    p = tmp_path / "w.bu"
    p.write_text(WARN)
    rc, out, err = cli([str(p)])
    assert rc == 0 and out == IGN and err.startswith("warning[$.storage.file]")
    rc, out, err = cli(["--strict", str(p)])
    assert rc == 1 and out == "" and err.endswith("Config produced warnings and --strict was specified\n")
    assert cli(["-s", str(p)])[0] == 1


def test_check_validates_only(tmp_path, bu) -> None:
    # --check: translate and report, write nothing (not even to -o)
    outp = tmp_path / "o.ign"
    assert cli(["--check", "-o", str(outp), str(bu)]) == (0, "", "")
    assert not outp.exists()
    bad = tmp_path / "bad.bu"
    bad.write_text(OK + "storage:\n  files:\n    - path: rel\n")
    rc, out, err = cli(["-c", str(bad)])
    assert rc == 1 and out == "" and err.endswith("Error translating config: config generated was invalid\n")
    w = tmp_path / "w.bu"
    w.write_text(WARN)
    rc, out, err = cli(["--check", str(w)])
    assert rc == 0 and out == "" and "warning" in err
    assert cli(["--check", "--strict", str(w)])[0] == 1


def test_raw_errors(tmp_path) -> None:
    w = tmp_path / "w.bu"
    w.write_text(WARN)
    rc, _, err = cli(["--raw-errors", str(w)])
    assert rc == 0 and err == "warning at $.storage.file, line 4 col 3: unused key file\n"


def test_files_dir(tmp_path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("hi")
    p = tmp_path / "in.bu"
    p.write_text(OK + "storage:\n  files:\n    - path: /f\n      contents:\n        local: f.txt\n")
    for argv in (["-d", str(tmp_path / "d")], [f"--files-dir={tmp_path / 'd'}"], ["-d" + str(tmp_path / "d")]):
        rc, out, err = cli(argv + [str(p)])
        assert rc == 0 and '"source":"data:,hi"' in out, (argv, err)
    rc, out, err = cli([str(p)])
    assert rc == 1 and "local file paths are relative to a files directory that must be specified with -d/--files-dir" in err


def test_output_file(tmp_path, bu) -> None:
    outp = tmp_path / "o.ign"
    outp.write_text("x" * 1000)  # truncated, as O_TRUNC
    assert cli(["-o", str(outp), str(bu)]) == (0, "", "")
    assert outp.read_text() == IGN
    assert cli([f"--output={outp}", "-p", str(bu)]) == (0, "", "")
    assert outp.read_text() == PRETTY


def test_output_mode_is_0644(tmp_path, bu) -> None:
    outp = tmp_path / "new.ign"
    old = os.umask(0o002)
    try:
        assert cli(["-o", str(outp), str(bu)])[0] == 0
    finally:
        os.umask(old)
    assert outp.stat().st_mode & 0o777 == 0o644


def test_output_in_missing_directory(tmp_path, bu) -> None:
    outp = tmp_path / "missing" / "o.ign"
    rc, out, err = cli(["-o", str(outp), str(bu)])
    assert (rc, out) == (1, "")
    assert err == f"failed to open {outp}: open {outp}: no such file or directory\n"


def test_output_is_a_directory(tmp_path, bu) -> None:
    rc, _, err = cli(["-o", str(tmp_path), str(bu)])
    assert rc == 1 and err == f"failed to open {tmp_path}: open {tmp_path}: is a directory\n"


def test_missing_input(tmp_path) -> None:
    p = tmp_path / "nope.bu"
    assert cli([str(p)]) == (1, "", f"failed to open {p}: open {p}: no such file or directory\n")


def test_input_is_a_directory(tmp_path) -> None:
    # os.Open succeeds on a directory; io.ReadAll fails
    assert cli([str(tmp_path)]) == (1, "", f"failed to read {tmp_path}: read {tmp_path}: is a directory\n")


def _as_nobody(argv: list[str]) -> tuple[int, str, str]:
    """cli(argv) in a child process that runs as the user nobody: root reads any file (CI runs as root)."""
    import json
    import pwd

    nobody = pwd.getpwnam("nobody")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, run, write the result, and exit without pytest's teardown
        code = 1
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.write(w, json.dumps(cli(argv)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    rc, out, err = json.loads(data)
    return rc, out, err


def test_unreadable_input() -> None:
    # in a directory everyone may enter (pytest's tmp_path is its owner's only), a file nobody may read
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o711)
        p = Path(d) / "secret.bu"
        p.write_text(OK)
        p.chmod(0)
        run = _as_nobody if os.geteuid() == 0 else cli
        assert run([str(p)]) == (1, "", f"failed to open {p}: open {p}: permission denied\n")


def test_nul_in_path() -> None:
    assert cli(["a\0b"]) == (1, "", "failed to open a\0b: open a\0b: invalid argument\n")


def test_deprecated_input_flag(bu) -> None:
    rc, out, err = cli(["--input", str(bu)])
    assert (rc, out) == (0, IGN)
    assert err == "Flag --input has been deprecated, specify filename directly on command line\n"
    # --input and a positional file: usage, exit 2
    rc, out, err = cli(["--input", str(bu), str(bu)])
    assert rc == 2 and out == "" and err.endswith(butane.usage())


def test_help_goes_to_stdout() -> None:
    for flag in ("-h", "--help", "--help=true"):
        rc, out, err = cli([flag])
        assert (rc, err) == (0, "") and out == butane.usage()
    assert cli(["--help=false"], OK.encode()) == (0, IGN, "")


def test_usage_text() -> None:
    u = butane.usage().splitlines()
    assert u[0] == "Usage: hostform butane [options] [input-file]" and u[1] == "Options:"
    names = [line.split("--")[1].split()[0].split("[")[0] for line in u[2:]]
    assert names == sorted(names) == ["check", "color", "files-dir", "help", "output", "pretty", "raw", "raw-errors", "strict", "version"]
    # pflag pads every usage text to one column, two spaces past the longest flag
    cols = {line.index(text) for line, text in zip(u[2:], ("check config", "control color", "allow embedding", "show usage", "write to output", "output formatted", "never wrap", "show raw", "fail on any", "print the version"), strict=True)}
    assert len(cols) == 1
    assert '      --color string[="always"]   control color output: "auto", "always", or "never" (default "auto")' in u


def test_version() -> None:
    rc, out, err = cli(["--version"])
    assert (rc, err) == (0, "")
    from hostform import __version__

    assert out == f"Butane {butane.BUTANE_VERSION} (hostform {__version__})\n"
    assert out.split()[:2] == ["Butane", "0.29.0"]
    assert cli(["-V"])[1] == out
    # --help wins over --version, as Butane checks it first
    assert cli(["-V", "-h"])[1] == butane.usage()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "unknown flag: --bogus"),
        (["--bogus=1"], "unknown flag: --bogus"),
        (["-x"], "unknown shorthand flag: 'x' in -x"),
        (["-sx"], "unknown shorthand flag: 'x' in -x"),  # the rest of the group
        (["-\u00e9"], "unknown shorthand flag: '\u00c3' in -\u00e9"),  # Go takes the first byte
        (["-s="], "unknown shorthand flag: '=' in -="),
        (["---x"], "bad flag syntax: ---x"),
        (["--=x"], "bad flag syntax: --=x"),
        (["-o"], "flag needs an argument: 'o' in -o"),
        (["-so"], "flag needs an argument: 'o' in -o"),
        (["--output"], "flag needs an argument: --output"),
        (["--files-dir"], "flag needs an argument: --files-dir"),
        (["--strict=maybe"], 'invalid argument "maybe" for "-s, --strict" flag: strconv.ParseBool: parsing "maybe": invalid syntax'),
        (["-p=2"], 'invalid argument "2" for "-p, --pretty" flag: strconv.ParseBool: parsing "2": invalid syntax'),
        (["--raw-errors=yes"], 'invalid argument "yes" for "--raw-errors" flag: strconv.ParseBool: parsing "yes": invalid syntax'),
    ],
)
def test_bad_flags(argv: list[str], message: str) -> None:
    # pflag (ExitOnError): the usage, then the error, on stderr; exit 2
    assert cli(argv) == (2, "", butane.usage() + message + "\n")


def test_extra_arguments(bu) -> None:
    # Butane: the usage alone, on stderr, exit 2
    assert cli([str(bu), str(bu)]) == (2, "", butane.usage())


def test_flag_forms(tmp_path, bu) -> None:
    opts, args = butane.parse_args(["-pd", "dir", "--strict", "in.bu", "--output=o.ign", "--", "-p"])
    assert opts == {"pretty": True, "files-dir": "dir", "strict": True, "output": "o.ign"} and args == ["in.bu", "-p"]
    assert butane.parse_args(["-o="]) == ({"output": "="}, [])  # pflag: "-o=" is the value "="
    assert butane.parse_args(["-o=x"]) == ({"output": "x"}, [])
    assert butane.parse_args(["-ox"]) == ({"output": "x"}, [])
    assert butane.parse_args(["-test.v", "a"]) == ({}, ["a"])  # go test flags pass
    assert butane.parse_args(["-", ""]) == ({}, ["-", ""])
    assert butane.parse_args(["-s=false", "-p=1"]) == ({"strict": False, "pretty": True}, [])


def test_color(tmp_path) -> None:
    w = tmp_path / "w.bu"
    w.write_text(WARN)
    plain = cli([str(w)])[2]
    assert "\x1b[" not in plain
    for argv in (["--color"], ["--color=always"], ["--color=yes"], ["--colour"], ["--color=never", "--colour=always"]):
        assert "\x1b[" in cli(argv + [str(w)])[2], argv
    for argv in (["--color=never"], ["--color=no"], ["--color=bogus"], ["--colour=always", "--color=never"]):
        assert cli(argv + [str(w)])[2] == plain, argv
    # --color takes no separate value: "never" is the input file
    rc, _, err = cli(["--color", "never"])
    assert rc == 1 and err == "failed to open never: open never: no such file or directory\n"


def test_launcher_process(tmp_path, bu) -> None:
    """The installed launcher, as a user runs it: exit codes and flushed
    output survive its fast exit."""
    exe = os.path.join(os.path.dirname(sys.executable), "hostform")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "hostform"]
    p = subprocess.run(cmd + ["butane", str(bu)], capture_output=True)
    assert (p.returncode, p.stdout, p.stderr) == (0, IGN.encode(), b"")
    p = subprocess.run(cmd + ["butane"], input=OK.encode(), capture_output=True)
    assert (p.returncode, p.stdout) == (0, IGN.encode())
    outp = tmp_path / "o.ign"
    p = subprocess.run(cmd + ["butane", "-p", "-o", str(outp), str(bu)], capture_output=True)
    assert (p.returncode, p.stdout, outp.read_text()) == (0, b"", PRETTY)
    p = subprocess.run(cmd + ["butane", "--bogus"], capture_output=True)
    assert p.returncode == 2 and p.stderr.endswith(b"unknown flag: --bogus\n") and p.stdout == b""
    p = subprocess.run(cmd + ["butane", str(tmp_path / "none.bu")], capture_output=True)
    assert p.returncode == 1 and p.stderr.startswith(b"failed to open ")
