"""File names in the generator's messages are quoted as podman's %q quotes them.

podman's quadlet generator is Go: a unit file name is bytes, and its errors
print it with strconv.Quote. A name holding BEL, U+2028, a C1 control and a
byte that is not UTF-8 is where hand-written quoting used to go wrong.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from hostform.cli import quadlet as cli

NAMES = [
    b"a\x07\xe2\x80\xa8\xff\xc2\x85b.container",  # BEL, U+2028, a raw byte, U+0085
    b"tab\there\x1b\x7f.container",
    b"quote\"back\\slash\xef\xbb\xbf.container",  # and U+FEFF
    b"\xf0\x9f\x98\x80\xf4\x90\x80\x80.container",  # an emoji, then bytes past U+10FFFF
]


def _errors(stderr: bytes) -> list[str]:
    lines = stderr.decode("utf-8", "surrogateescape").splitlines()
    return sorted(line.split("]: ", 1)[-1] for line in lines if "error loading" in line)


def test_unreadable_unit_names_are_quoted_as_podman_quotes_them(real_quadlet_61: Path, tmp_path: Path) -> None:
    qdir = tmp_path / "units"
    qdir.mkdir()
    for name in NAMES:
        with open(bytes(qdir) + b"/" + name, "wb") as f:
            f.write(b"not a unit line\n")
    env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": "/usr/bin/podman"}
    real = subprocess.run([str(real_quadlet_61), "-dryrun"], env=env, capture_output=True, timeout=30)
    err = io.StringIO()
    code = cli.main(["-dryrun"], env=env, stdout=io.StringIO(), stderr=err, prog=str(real_quadlet_61))
    want = _errors(real.stderr)
    assert len(want) == len(NAMES)
    assert code == real.returncode
    assert _errors(err.getvalue().encode("utf-8", "surrogateescape")) == want
