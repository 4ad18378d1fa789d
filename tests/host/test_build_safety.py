"""`hostform build` reads the project's files safely: regular files only, inside the project,
up to a cap. A FIFO or /dev/zero named anywhere is an HF004 error at once, never a hang.

Each build runs as a user runs it, in a subprocess with a timeout: a regression that
blocks on a FIFO or reads /dev/zero fails the test instead of hanging the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.require import need

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds; a build of these takes well under one

HOST = """\
name: h
services:
  app:
    image: ghcr.io/example/app:1.2
    env_files: [{{file: {env}, embed: true}}]
quadlets: [{quadlet}]
butane: [{bu}]
"""


def _project(d: Path, env: str = "app.env", quadlet: str = "extra.container", bu: str = "extra.bu", extra_bu: str | None = None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "app.env").write_text("X=1\n")
    (d / "extra.container").write_text("[Container]\nImage=docker.io/library/redis:7\n")
    (d / "motd").write_text("hi\n")
    (d / "extra.bu").write_text(
        extra_bu or "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents: {local: motd}\n"
    )
    (d / "hostform.yaml").write_text(HOST.format(env=env, quadlet=quadlet, bu=bu))
    return d


def _hostform(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        return subprocess.run([sys.executable, "-m", "hostform", *args], capture_output=True, text=True, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hostform {' '.join(args)} did not finish in {TIMEOUT}s (blocked on a FIFO, or reading a device?)")


def _build(d: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return _hostform("build", str(d), "-o", str(tmp_path / "out"), "-q")


def _fails_with(p: subprocess.CompletedProcess, pattern: str) -> None:
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert re.search(pattern, p.stderr), p.stderr


def test_the_project_builds(tmp_path):
    """The baseline every test below changes one thing of."""
    p = _build(_project(tmp_path / "p"), tmp_path)
    assert p.returncode == 0, p.stderr
    assert b"hi" in (tmp_path / "out" / "main.ign").read_bytes() or "aGkK" in (tmp_path / "out" / "main.ign").read_text()


# ------------------------------------------------------------- FIFOs and devices


@pytest.mark.parametrize("field", ["env", "quadlet", "bu"])
def test_fifo_named_by_the_host_file(tmp_path, field):
    d = _project(tmp_path / "p", **{field: "pipe.container" if field == "quadlet" else "pipe"})
    os.mkfifo(d / ("pipe.container" if field == "quadlet" else "pipe"))
    label = {"env": r"services\.app\.env_files\[0\] pipe", "quadlet": r"quadlets\[0\] pipe\.container", "bu": r"butane\[0\] pipe"}[field]
    line = {"env": 5, "quadlet": 6, "bu": 7}[field]
    _fails_with(_build(d, tmp_path), rf"hostform\.yaml:{line}:\d+: error\[HF004\]: {label} is a FIFO, not a regular file")


@pytest.mark.parametrize("field", ["env", "quadlet", "bu"])
def test_symlink_to_dev_zero_named_by_the_host_file(tmp_path, field):
    name = "zero.container" if field == "quadlet" else "zero"
    d = _project(tmp_path / "p", **{field: name})
    (d / name).symlink_to("/dev/zero")
    _fails_with(_build(d, tmp_path), rf"error\[HF004\]: .*{re.escape(name)} is outside the project directory \(symlinks followed\)")


def test_fifo_as_host_file(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    os.mkfifo(d / "hostform.yaml")
    _fails_with(_build(d, tmp_path), r"hostform\.yaml: error\[HF004\]: hostform\.yaml is a FIFO, not a regular file")


def test_host_file_symlinked_to_dev_zero(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "hostform.yaml").symlink_to("/dev/zero")
    _fails_with(_build(d, tmp_path), r"error\[HF004\]: hostform\.yaml is a character device, not a regular file")


def test_fifo_as_plain_main_bu(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    os.mkfifo(d / "main.bu")
    _fails_with(_build(d, tmp_path), r"error\[HF004\]: main\.bu is a FIFO, not a regular file")


@pytest.mark.parametrize(
    "extra",
    [
        "storage:\n  files:\n    - path: /etc/motd\n      contents: {local: PIPE}\n",
        "systemd:\n  units:\n    - name: x.service\n      contents_local: PIPE\n",
        "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys_local: [PIPE]\n",
    ],
    ids=["local", "contents_local", "ssh_authorized_keys_local"],
)
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_butane_local_files_in_a_build(tmp_path, extra, kind):
    """Files Butane reads from the files-dir during a build: extra Butane of a host file, a plain main.bu."""
    name = "pipe" if kind == "fifo" else "zero"
    bu = "variant: fcos\nversion: 1.5.0\n" + extra.replace("PIPE", name)
    why = "is a FIFO, not a regular file" if kind == "fifo" else r"is outside the project directory \(symlinks followed\)"
    for plain in (False, True):
        d = tmp_path / ("plain" if plain else "host")
        _project(d, extra_bu=bu)
        if plain:
            (d / "hostform.yaml").unlink()
            (d / "extra.bu").rename(d / "main.bu")
        if kind == "fifo":
            os.mkfifo(d / name)
        else:
            (d / name).symlink_to("/dev/zero")
        # the finding points at the local key in the user's own file: never into a generated main.bu
        src = "main" if plain else "extra"
        _fails_with(_build(d, tmp_path), rf"(?m)^{tmp_path}/{d.name}/{src}\.bu:[3-6]:\d+: error\[HF004\]: local file {name} {why}")


def test_butane_tree_with_a_symlinked_root_outside(tmp_path):
    d = _project(tmp_path / "p", extra_bu="variant: fcos\nversion: 1.5.0\nstorage:\n  trees:\n    - local: t\n      path: /srv\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private").write_text("not yours\n")
    (d / "t").symlink_to(outside)
    p = _build(d, tmp_path)
    _fails_with(p, r"error\[HF004\]: local tree t is outside the project directory")


def test_butane_drop_in_keeps_butane_reading(tmp_path):
    """`hostform butane` is Butane: a local file may be a symlink leading out of the files-dir (Butane
    checks the path as written only); the build refuses the same (above)."""
    d = tmp_path / "p"
    d.mkdir()
    (tmp_path / "outside.txt").write_text("from outside\n")
    (d / "f").symlink_to(tmp_path / "outside.txt")
    (d / "main.bu").write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/f\n      contents: {local: f}\n")
    p = _hostform("butane", "-d", str(d), str(d / "main.bu"))
    assert p.returncode == 0, p.stderr
    assert "data:,from%20outside%0A" in p.stdout
    _fails_with(_build(d, tmp_path), r"local file f is outside the project directory")


# ------------------------------------------------------------- caps


def _sparse(p: Path, size: int) -> None:
    with open(p, "wb") as f:
        f.truncate(size)


def test_local_file_over_the_cap(tmp_path):
    d = _project(tmp_path / "p", env="big.env")
    _sparse(d / "big.env", 16 * 1024 * 1024 + 1)
    _fails_with(_build(d, tmp_path), r"error\[HF004\]: services\.app\.env_files\[0\] big\.env is 16777217 bytes, more than the 16 MiB a local file may have")
    _sparse(d / "big.env", 20 * 1024 * 1024)
    _fails_with(_build(d, tmp_path), r"big\.env is 20 MiB, more than the 16 MiB a local file may have")


def test_local_file_at_the_cap_is_read(tmp_path):
    from hostform._inputs import LOCAL_FILE_CAP, read_input

    _sparse(tmp_path / "f", LOCAL_FILE_CAP)
    assert read_input(tmp_path, "f", LOCAL_FILE_CAP) == bytes(LOCAL_FILE_CAP)


def test_butane_local_file_over_the_cap(tmp_path):
    d = _project(tmp_path / "p")
    _sparse(d / "motd", 17 * 1024 * 1024)
    _fails_with(_build(d, tmp_path), r"/p/extra\.bu:6:25: error\[HF004\]: local file motd is 17 MiB, more than the 16 MiB a local file may have")


def test_host_file_over_the_cap(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    with open(d / "hostform.yaml", "w") as f:
        f.write("name: h\n")
        f.write("#" * (1024 * 1024) + "\n")
    _fails_with(_build(d, tmp_path), r"error\[HF004\]: hostform\.yaml is 1048585 bytes, more than the 1 MiB a host file may have")


def test_a_file_bigger_than_its_size_says_is_cut_at_the_cap():
    """At most cap + 1 bytes are read even when fstat said less: /proc files say 0 bytes."""
    from hostform._inputs import read_input

    status = Path("/proc/self/status")
    if not status.is_file():
        need("no /proc/self/status here (Linux's procfs)")
    assert status.stat().st_size == 0
    assert str(read_input(None, str(status), 50)) == "grew while it was read, to more than the 50 bytes a local file may have"
    assert read_input(None, str(status), 1 << 20).startswith(b"Name:")


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_no_more_than_cap_plus_one_bytes_are_read():
    """A file whose size says 0 (/proc/self/smaps, over 10 KiB) is read up to the cap, not to its end
    (the kernel's count of bytes this process read, /proc/self/io, says how much was read)."""
    from hostform._inputs import read_input

    smaps = Path("/proc/self/smaps")
    if not Path("/proc/self/io").is_file() or len(smaps.read_bytes()) < 10240:
        need("no /proc/self/io or /proc/self/smaps here (Linux's procfs)")
    before = _bytes_read()
    got = read_input(None, str(smaps), 50)
    read = _bytes_read() - before
    assert "grew while it was read" in str(got)
    assert read < 2048, read  # 51 bytes, and /proc/self/io itself

