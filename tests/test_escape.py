"""hostform.escape.systemd_path and systemd_name give what the real systemd-escape prints."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostform.escape import systemd_name, systemd_path
from tests.require import need

# name -> component of 255 bytes (the most a file name may have), or 256
C255, C256 = "c" * 255, "c" * 256
LONG = "/" + "/".join(["e" * 200] * 25)  # 5025 bytes: cut to the length wanted

HARD = [
    ("/var/mnt/state", "var-mnt-state"),
    ("/a/.b", "a-.b"),  # a dot starting a later component stays
    ("/.a/.b", "\\x2ea-.b"),  # only the name's first character may not be a dot
    ("/...", "\\x2e.."),
    ("/..a", "\\x2e.a"),
    ("/a.", "a."),
    ("/a.b.c/.d", "a.b.c-.d"),
    ("/a-b", "a\\x2db"),
    ("/-a", "\\x2da"),
    ("/a b", "a\\x20b"),
    ("/a\\b", "a\\x5cb"),
    ("/a:b_c", "a:b_c"),
    ("/a/~b%$", "a-\\x7eb\\x25\\x24"),
    ("/a\tb\nc\x01", "a\\x09b\\x0ac\\x01"),
    ("/ä/ü", "\\xc3\\xa4-\\xc3\\xbc"),
    ("/\u00a0😀", "\\xc2\\xa0\\xf0\\x9f\\x98\\x80"),
    ("/a/\udcff", "a-\\xff"),  # an undecodable byte of the input is that byte
    ("/a//b", "a-b"),
    ("///a///", "a"),
    ("/a/b/", "a-b"),
    ("/a/./b", "a-b"),
    ("/./a", "a"),
    ("/a/.", "a"),
    ("/.", "-"),
    ("//", "-"),
    ("/", "-"),
    ("", "-"),
    ("a/b", "a-b"),  # relative: escaped all the same (systemd-escape warns)
    (".a", "\\x2ea"),
    ("./a", "a"),
    ("/" + C255, C255),
    ("/" + C255 + "/", C255),
    (LONG[:4095], LONG[1:4095].replace("/", "-")),  # 4095 bytes: a path's most
    ("//" + LONG[:4095] + "/.", LONG[1:4095].replace("/", "-")),  # as simplified
]

REFUSED = ["/a/../b", "/..", "/a/..", "../a", ".", "./", "./.", "/" + C256, "/a/" + "." * 256, LONG[:4096], "/" + "ä" * 128]


def _systemd_escape(*argv: str) -> subprocess.CompletedProcess[bytes]:
    if shutil.which("systemd-escape") is None:
        need("systemd-escape is not installed (apt-get install systemd)")
    args = [a.encode("utf-8", "surrogateescape") for a in argv]
    return subprocess.run([b"systemd-escape", *args], capture_output=True, check=False)


@pytest.mark.parametrize("path, name", HARD, ids=[repr(p[:24]) for p, _ in HARD])
def test_systemd_path_is_systemd_escape_path(path: str, name: str) -> None:
    assert systemd_path(path) == name
    real = _systemd_escape("--path", "--", path)
    assert real.returncode == 0 and real.stdout.decode() == name + "\n"


@pytest.mark.parametrize("path", REFUSED, ids=[repr(p[:24]) for p in REFUSED])
def test_what_systemd_escape_refuses_is_a_value_error(path: str) -> None:
    assert _systemd_escape("--path", "--", path).returncode == 1
    with pytest.raises(ValueError, match="file system path"):
        systemd_path(path)


def test_systemd_name_is_systemd_escape() -> None:
    values = ["a/.b", ".a/b", "-", "a b/c", "é", "x:y_z.0"]
    assert _systemd_escape("--", *values).stdout.decode() == " ".join(systemd_name(v) for v in values) + "\n"
    assert systemd_name("") == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["/", "/", ".", ".", "-", "a", "Z", "0", ":", "_", " ", "\\", "ä", "\t", "~"]), max_size=12))
def test_any_path_as_systemd_escape_path_has_it(path: str) -> None:
    real = _systemd_escape("--path", "--", path)
    try:
        ours = systemd_path(path)
    except ValueError:
        assert real.returncode == 1, real.stdout
        return
    assert real.returncode == 0 and real.stdout.decode() == ours + "\n"
