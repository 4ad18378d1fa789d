"""Printing findings: ``file:line:col: severity[HFxxx]: message``, and where a finding
points at one character (``length``), the line of the user's file with a caret under it.

Paths are shown as the user named the project (``DIR/hostform.yaml``), so an
editor or terminal can jump to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from hostform.diagnostics import Diagnostic

__all__ = ["excerpt", "write_findings"]


def excerpt(line: str, col: int) -> str:
    """The source ``line`` and a caret under column ``col`` (1-based, in characters), indented.

    Tabs are shown as one space, and characters a terminal would act on as
    ``?``, so that the caret stays under the character it points at.
    """
    shown = "".join(" " if c == "\t" else "?" if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) else c for c in line)
    return f"    {shown}\n    {' ' * (max(col, 1) - 1)}^\n"


def write_findings(entries: Iterable[Diagnostic], stream: TextIO, project: Path, show_dir: bool = True) -> None:
    """Write ``entries``; with ``show_dir`` their files are shown where the user named ``project``
    (``DIR/hostform.yaml``), else relative to it."""
    from hostform._inputs import HOST_FILE_CAP, read_input

    prefix = "" if str(project) in (".", "") or not show_dir else str(project).rstrip("/") + "/"
    lines: dict[str, list[str] | None] = {}
    for d in entries:
        f = d.file
        shown = d.located(prefix + f, d.line, d.col, d.length) if f and not f.startswith("/") and not f.startswith(prefix) else d
        stream.write(shown.format() + "\n")
        if not (d.length and f and d.line):
            continue
        if f not in lines:
            data = read_input(project, f, HOST_FILE_CAP, "a findings' file")
            lines[f] = data.decode("utf-8", "replace").split("\n") if isinstance(data, bytes) else None
        text = lines[f]
        if text is not None and d.line <= len(text):
            stream.write(excerpt(text[d.line - 1].rstrip("\r"), d.col))
