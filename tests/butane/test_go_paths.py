"""Paths that Butane builds with Go's path functions come out as Go builds them.

Butane joins a quadlet's name to its directory with path.Join
(buildQuadletPath) and compares local files with the files directory after
filepath.Abs; both clean "//" and never let an absolute name replace the
directory, as Python's posixpath.join/normpath would. The expected paths are
what Go's path.Join printed (tests/go/gostd).
"""

from __future__ import annotations

import json
import os
import subprocess

from ..require import go_helper
from .test_cli_flags import cli

NAMES = ["x.container", "/abs/x.container", "//z.container", "../y.container", "a/../b.container", "./c//d.container", "e/./f.pod"]


def test_quadlet_paths_are_path_join(tmp_path) -> None:
    quadlets = "".join(
        f"    - name: {json.dumps(name)}\n      rootful: {json.dumps(rootful)}\n      contents: \"[Container]\\nImage=x\\n\"\n"
        for rootful in (True, False)
        for name in NAMES
    )
    src = tmp_path / "in.bu"
    src.write_text("variant: fcos\nversion: 1.8.0-experimental\nsystemd:\n  quadlets:\n" + quadlets)
    lines = [
        f"join {base.encode().hex()} {name.encode().hex()}"
        for base in ("/etc/containers/systemd", "/etc/containers/systemd/users")
        for name in NAMES
    ]
    proc = subprocess.run([go_helper("gostd")], input="".join(x + "\n" for x in lines).encode(), capture_output=True, check=True)
    want = [bytes.fromhex(h).decode() for h in proc.stdout.decode().split()]
    code, out, err = cli([str(src)])
    assert (code, err) == (0, "")
    assert [f["path"] for f in json.loads(out)["storage"]["files"]] == want


def test_files_dir_with_a_double_slash(tmp_path) -> None:
    """-d //abs/dir is the directory /abs/dir to filepath.Abs: its files are inside it."""
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "motd").write_text("hi\n")
    src = tmp_path / "in.bu"
    src.write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        local: motd\n")
    files_dir = "/" + os.fspath(tmp_path / "files")
    assert files_dir.startswith("//")
    plain = cli(["-d", os.fspath(tmp_path / "files"), str(src)])
    assert plain[0] == 0
    assert cli(["-d", files_dir, str(src)]) == plain
