"""The excerpt under a finding (cli/_findings.py): the line of the user's file and a caret
under the character, which stays under it whatever the line holds, and a window of the
line when it is long.  tests/host/test_yaml_raw.py shows the same through ``hostform build``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hostform.cli._findings import WINDOW, excerpt, write_findings
from hostform.diagnostics import Diagnostic


def shown(line: str, col: int, window: int = WINDOW) -> tuple[str, int]:
    """(the line as shown, the terminal column of the caret, 0-based from the line's start)."""
    first, caret, rest = excerpt(line, col, window).split("\n")
    assert first.startswith("    ") and caret.startswith("    ") and caret.endswith("^") and caret.strip() == "^" and rest == ""
    return first[4:], len(caret) - 5


@pytest.mark.parametrize(
    "line,col,text,caret",
    [
        ("name: h", 7, "name: h", 6),
        ("name: h", 8, "name: h", 7),  # just after the end of the line
        ("a\tb: c", 3, "a b: c", 2),  # a tab is one space
        ("a\x1b[2Jb", 3, "a?[2Jb", 2),  # escape sequences are not acted on
        ("x\x85y\u2028z\u2029", 4, "x?y?z?", 3),  # nor line breaks of any kind
        ("a\u202eb", 3, "a?b", 2),  # a bidi override would reorder the line
        ("a\u200bb", 3, "a?b", 2),  # an invisible character is made visible, one column
        ("漢字: x", 5, "漢字: x", 6),  # wide characters take two columns
        ("ｆｕｌｌ", 3, "ｆｕｌｌ", 4),  # and fullwidth ones
        ("😀😀x", 3, "😀😀x", 4),
        ("e\u0301e\u0301x", 5, "e\u0301e\u0301x", 2),  # combining marks take none
        ("é\udcffx", 3, "é?x", 2),  # a byte that is not UTF-8 (read with surrogateescape) is one column
    ],
)
def test_the_caret_stays_under_the_character(line, col, text, caret):
    assert shown(line, col) == (text, caret)


def test_a_short_line_is_shown_whole():
    line = "x" * WINDOW
    assert shown(line, 1) == (line, 0)
    assert shown(line, WINDOW) == (line, WINDOW - 1)


def test_a_long_line_is_cut_around_the_caret():
    line = "".join(chr(ord("a") + i % 26) for i in range(1_000_000))
    text, caret = shown(line, 500_001)
    assert text == "..." + line[500_000 - 50 : 500_000 + 50] + "..."
    assert text[caret] == line[500_000]
    # near the start, near the end: the window is filled from the other side
    text, caret = shown(line, 10)
    assert text == line[:WINDOW] + "..." and caret == 9
    text, caret = shown(line, len(line))
    assert text == "..." + line[-WINDOW:] and text[caret] == line[-1]
    text, caret = shown(line, len(line) + 1)  # just after the end: the caret's column is one of the window's
    assert text == "..." + line[-(WINDOW - 1) :] and caret == len(text)


def test_the_window_counts_terminal_columns():
    line = "漢" * 1000 + "x" + "漢" * 1000
    text, caret = shown(line, 1001)
    assert text == "..." + "漢" * 25 + "x" + "漢" * 24 + "..."
    assert caret == 3 + 50  # under the x


def test_combining_marks_do_not_flood_the_window():
    # they take no room, but at most a window's worth of characters is read on either side,
    # and the line shown does not start with a mark whose character is cut off
    line = "a" + "\u0301" * 500_000 + "b"
    assert shown(line, len(line)) == ("...b", 3)
    assert shown("xa\u0301b", 4, window=2) == ("...a\u0301b", 4)
    assert shown("xa\u0301b", 4, window=1) == ("...b", 3)


def test_the_file_is_read_as_hostform_reads_it(tmp_path, monkeypatch):
    """Lines end at LF, CR LF and a lone CR (not at a NEL), an undecodable byte is one
    column (the host file is read with surrogateescape), a byte order mark is none."""
    (tmp_path / "f.yaml").write_bytes(b"\xef\xbb\xbfa\rb\r\nc\xc2\x85d\n\xe2\x82x: \xff y\n")
    out = io.StringIO()
    monkeypatch.chdir(tmp_path)
    write_findings([Diagnostic("error", "HF011", "m", None, "f.yaml", 4, 7, 1), Diagnostic("error", "HF011", "m", None, "f.yaml", 3, 3, 1),
                    Diagnostic("error", "HF011", "m", None, "f.yaml", 1, 1, 1)], out, Path("."))
    assert out.getvalue() == (
        "f.yaml:4:7: error[HF011]: m\n    ??x: ? y\n          ^\n"
        "f.yaml:3:3: error[HF011]: m\n    c?d\n      ^\n"
        "f.yaml:1:1: error[HF011]: m\n    a\n    ^\n"
    )
