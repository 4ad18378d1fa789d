"""Printing findings: ``file:line:col: severity[HFxxx]: message``, and where a finding
points at one character (``length``), the line of the user's file with a caret under it.

Paths are shown as the user would type them, relative to the current directory
(``DIR/hostform.yaml``), so an editor or terminal can jump to them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from hostform.diagnostics import Diagnostic

__all__ = ["excerpt", "write_findings"]


# at most this many terminal columns of the line around the caret (a 1 MB line must not flood the terminal)
WINDOW = 100
_CUT = "..."


def _shown(c: str) -> tuple[str, int]:
    """How ``c`` is shown in an excerpt, and how many terminal columns that takes."""
    if c == "\t":
        return " ", 1
    o = ord(c)
    if o < 0x7F:
        return (c, 1) if o >= 0x20 else ("?", 1)
    cat = unicodedata.category(c)
    if cat[0] == "C" or cat in ("Zl", "Zp"):
        # control and format characters (bidi overrides too), undecodable bytes, unassigned code
        # points, line separators: a terminal would act on them, or show them at a width one cannot know
        return "?", 1
    if cat in ("Mn", "Me"):
        return c, 0  # a combining mark: drawn over the character before it
    return c, 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def excerpt(line: str, col: int, window: int = WINDOW) -> str:
    """The source ``line`` and a caret under column ``col`` (1-based, in characters), indented.

    Tabs are shown as one space, and characters a terminal would act on as
    ``?``; a wide (East Asian Wide or Fullwidth) character takes two terminal
    columns and a combining one none, so that the caret stays under the
    character it points at.  Of a line wider than ``window`` columns, only
    ``window`` columns around the caret are shown, with ``...`` where the line
    is cut.
    """
    at = max(col, 1) - 1  # index of the character under the caret (the end of the line or past it, for some)
    n = len(line)
    start = end = min(at, n)
    used = max(at - n + 1, 0)  # the caret's columns after the end of the line

    def room(i: int, budget: int) -> bool:
        nonlocal used
        w = _shown(line[i])[1]
        if used + w > budget:
            return False
        used += w
        return True

    # up to half the window before the caret, the rest after it, then what is left over before it;
    # combining marks take no room, so at most ``window`` characters on either side
    while start > max(0, at - window) and room(start - 1, window // 2):
        start -= 1
    while end < min(n, at + window + 1) and room(end, window):
        end += 1
    while start > max(0, at - window) and room(start - 1, window):
        start -= 1
    while 0 < start < min(at, n) and not _shown(line[start])[1]:
        start += 1  # do not start with a combining mark without its character
    head = _CUT if start > 0 else ""
    tail = _CUT if end < n else ""
    shown = [_shown(c) for c in line[start:end]]
    pad = len(head) + sum(w for _, w in shown[: at - start]) + max(at - n, 0)
    return f"    {head}{''.join(c for c, _ in shown)}{tail}\n    {' ' * pad}^\n"


def shown_path(project: Path, file: str) -> str:
    """``file`` (relative to the project directory ``project``, or absolute) as the user would type
    it: the project as they named it (relative to the current directory, or absolute), then the file."""
    import os

    return os.path.normpath(os.path.join(project, file))


def write_findings(entries: Iterable[Diagnostic], stream: TextIO, project: Path) -> None:
    """Write ``entries``, their files shown relative to the current directory (``DIR/hostform.yaml``)."""
    from hostform._inputs import HOST_FILE_CAP, read_input

    lines: dict[str, list[str] | None] = {}
    for d in entries:
        f = d.file
        stream.write((d.located(shown_path(project, f), d.line, d.col, d.length) if f else d).format() + "\n")
        if not (d.length and f and d.line):
            continue
        if f not in lines:
            data = read_input(project, f, HOST_FILE_CAP, "a findings' file")
            if isinstance(data, bytes):
                from hostform.host.yamlerror import editor_lines

                # lines and columns as hostform counts them (an undecodable byte is one column)
                lines[f] = editor_lines(data.decode("utf-8", "surrogateescape"))
            else:
                lines[f] = None
        text = lines[f]
        if text is not None and d.line <= len(text):
            stream.write(excerpt(text[d.line - 1], d.col))
