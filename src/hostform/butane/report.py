"""How Butane (v0.29) turns its report into text on stderr.

Butane keeps findings as (severity, message, path) entries while it works and
only at the very end *correlates* each path with the YAML node tree to get a
line and column (vcontext's ``report.Correlate``), then prints them in one of
two forms.  This module does both steps, byte for byte.

Correlation (:func:`locate`)
----------------------------
The node tree is the document's root node; a mapping is looked up by the text
of its keys, a sequence by an ``int`` index.  The marker is the *start* of the
node the path names (go-yaml's ``Line``/``Column``, 1-based, the column counted
in characters):

* a scalar: its first character, the opening quote of a quoted scalar, the
  ``|``/``>`` indicator of a block scalar;
* a mapping: its first key (block style) or its ``{`` (flow style);
* a sequence: its first ``-`` (block style) or its ``[`` (flow style);
* an alias (``*name``) is a leaf at the ``*``: a path never goes through it,
  so fields that come from an anchor (or a ``<<`` merge) are marked at the
  nearest node written at that place;
* a path element that is a :class:`Key` names the *key* of a mapping entry
  instead of its value (Butane uses this for ``unused key`` warnings only).

A path that goes past the tree (a missing key, an index past the end, a
generated field, an ``int`` into a mapping, anything into a scalar) falls back
to the deepest node that exists: the longest prefix of the path that
resolves.  At worst that is the root mapping, ``1:1`` for a block mapping.
Duplicate keys: the last one wins (vcontext keeps Go maps).

The marker has no length of its own.  The underline that Butane draws starts
at the column and runs to the next white space in the *source line* (or the
end of the line), whatever the node is: ``"a b"`` underlines ``"a``, a flow
mapping ``{}`` underlines ``{}``, a block mapping ``path: /x`` underlines
``path:``, a block scalar underlines ``|``.  Butane slices the line by *bytes*
at ``column - 1`` and counts the underline in bytes, so a line with non-ASCII
text before the marker is underlined off by the extra bytes; we do the same.

Printing (:func:`format_entries`)
---------------------------------
Entries come out in report order, never sorted: Butane's validation order
(struct field order, depth first), then translation, then the checks on the
generated Ignition config.  Entries that come from Go map iteration (the
``unused key`` warnings of one mapping) have no reliable order.

Raw form (``--raw-errors``), one line per entry::

    error at $.storage.files.0.path, line 5 col 13: path not absolute

``kind at PATH, line L col C: msg``; without a path (an empty path):
``kind at line L col C: msg``; without a position: ``kind at PATH: msg``;
with neither: ``kind: msg``.

Pretty form (the default)::

    error[$.storage.files.0.path]:
      --> input.bu:5:13
       |
     3 | storage:
     4 |   files:
     5 |     - path: etc/relative
       |             ^^^^^^^^^^^^ path not absolute
     6 |
       |

The header is ``kind[PATH]:`` (just ``kind:`` for an empty path); the
``-->`` line names the input file as given on the command line (``<stdin>``
when the config is read from stdin).  The path
is ``$`` followed by ``.element`` for each element, printed as is: no quoting,
so a key with a dot in it is ambiguous.  The snippet shows two lines of
context either side of the marker's line, clipped to the file, where the file's
lines are its text split at ``\\n`` (so a file ending with a newline has one
more, empty, last line, printed as ``" N | "``; ``\\r`` and tabs are printed
untouched).  The gutter is as wide as the last line number shown.  The message
is printed after the underline as is, even when it spans lines.  Entries are
separated by one empty line; the last entry ends with its closing ``   |``
line, with no empty line after it.

An entry whose marker is missing or points outside the text (line past the
end, column past the line's length in bytes) is printed in the raw form, even
in pretty mode.

What comes after the entries (printed by the CLI, not here): when the
translation failed, ``Error translating config: <error>`` (``source config is
invalid``, ``config generated was invalid``, a YAML error, ...); otherwise,
with ``--strict`` and at least one entry, ``Config produced warnings and
--strict was specified``.  Both go to stderr with a newline and exit 1.

Colour: with ``--color=always`` (or ``yes``, or a bare ``--color``), or with
``auto`` (the default) when stderr is a character device (a terminal; also
``/dev/null``) and ``NO_COLOR`` is not set at all (an empty value counts as
set), the pretty form colours the kind (bold red error, bold yellow warning,
bold cyan info), the ``-->``, each line number (with its padding) and the
underline (bold blue).  The raw form and the fallback lines are never
coloured.  See :func:`colorize_for`.
"""

from __future__ import annotations

from hostform.gostd import SPACE

TYPE_CHECKING = False  # typing-only imports: this module is on the start-up path of `hostform butane`
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from hostform.diagnostics import DataPath, Diagnostic
    from hostform.yamlpos import Node

    # a context path as callers hold it: a tuple, or a list (JSON paths)
    PathArg = DataPath | list[Any] | None

ERROR_COLOR = "\033[1;31m"
WARN_COLOR = "\033[1;33m"
INFO_COLOR = "\033[1;36m"
BLUE = "\033[1;34m"
RESET = "\033[0m"

_KINDS = {"error": ERROR_COLOR, "warning": WARN_COLOR, "info": INFO_COLOR}

# Go's unicode.IsSpace: Latin-1 spaces plus the White_Space property.
_SPACES = frozenset(SPACE)


class Key(str):
    """A path element naming a mapping's *key* rather than its value.

    vcontext's ``tree.Key``: ``("storage", Key("file"))`` marks the ``file:``
    key itself (Butane's unused-key warnings); ``("storage", "file")`` marks
    the value under it.  It prints like the plain string.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Key({str.__repr__(self)})"


# ---------------------------------------------------------------- paths


def _element(e: object) -> str:
    if e is True:
        return "true"
    if e is False:
        return "false"
    if e is None:
        return "<nil>"
    return str(e)


def path_string(path: PathArg) -> str:
    """``$.a.0.b``: how vcontext prints a context path (``$`` when empty)."""
    if not path:
        return "$"
    return "$." + ".".join(_element(e) for e in path)


# ---------------------------------------------------------- correlation


def _key_text(key: Node) -> str:
    # go-yaml's Node.Value: the text of a scalar, the name of an alias, ""
    # for a collection used as a key
    if _alias_of(key):
        return key.alias_name
    return key.value if key.kind == "scalar" else ""


def _alias_of(node: Node) -> bool:
    # yamlpos keeps each alias occurrence as its own node (at the '*') whose
    # ``alias`` attribute is the anchored node
    return node.alias is not None


def _is_leaf(node: Node) -> bool:
    # an alias is a leaf at its own position, whatever it points at
    return node.kind not in ("mapping", "sequence") or _alias_of(node)


def _walk(root: Node, path: PathArg) -> tuple[Node, bool]:
    """(deepest node reached, whether the whole path resolved)."""
    node = root
    if not path:
        return node, True
    for i, el in enumerate(path):
        if _is_leaf(node):
            return node, False
        if node.kind == "mapping":
            if not isinstance(el, str):
                return node, False
            found = None
            for k, v in node.items:
                if _key_text(k) == el:
                    found = k if isinstance(el, Key) else v
            if found is None:
                return node, False
            if isinstance(el, Key):
                # a key is a leaf: nothing below it
                return found, i == len(path) - 1
            node = found
        else:
            if not isinstance(el, int) or isinstance(el, bool):
                return node, False
            items = node.items
            if el < 0 or el >= len(items):
                return node, False
            node = items[el]
    return node, True


def find_node(root: Node | None, path: PathArg) -> Node | None:
    """The deepest node of ``root`` that ``path`` reaches (see module doc)."""
    return None if root is None else _walk(root, path)[0]


def get_node(root: Node | None, path: PathArg) -> Node | None:
    """The node at exactly ``path`` (vcontext's ``Node.Get``), or None.

    Butane's unused-key check uses this: a struct whose node is missing is
    skipped; one whose node is not a mapping (a scalar such as ``~``, an
    alias) gets the "context tree does not match content tree" warning.
    """
    if root is None:
        return None
    node, whole = _walk(root, path)
    return node if whole else None


def _split_lines(source: str | bytes) -> list[str]:
    if isinstance(source, bytes):
        source = source.decode("utf-8", "surrogateescape")
    return source.split("\n")


def _rune_len(b: bytes, i: int) -> tuple[str | None, int]:
    """Decode one UTF-8 rune at ``b[i]`` as Go does: (char or None, width)."""
    c = b[i]
    if c < 0x80:
        return chr(c), 1
    if 0xC2 <= c <= 0xDF:
        n = 2
    elif 0xE0 <= c <= 0xEF:
        n = 3
    elif 0xF0 <= c <= 0xF4:
        n = 4
    else:
        return None, 1
    try:
        return b[i : i + n].decode("utf-8"), n
    except UnicodeDecodeError:
        return None, 1


def underline_length(line: str, col: int) -> int:
    """Bytes from byte ``col - 1`` of ``line`` to the next white space or its end.

    ``-1`` when Butane would not draw the snippet (column outside the line).
    """
    b = line.encode("utf-8", "surrogateescape")
    if col < 1 or col > len(b):
        return -1
    start = col - 1
    i = start
    while i < len(b):
        ch, w = _rune_len(b, i)
        if ch is not None and ch in _SPACES:
            break
        i += w
    return i - start


def locate(root: Node | None, path: PathArg, source: str | bytes | None = None) -> tuple[int, int, int] | None:
    """``(line, col, length)`` of the marker Butane shows for ``path``.

    ``root`` is the YAML root node (yamlpos's ``Node``) or None (no marker).
    ``length`` is the underline Butane draws (see :func:`underline_length`),
    computed when ``source`` is given, else 0; -1 when the marker is outside
    the text (Butane then prints the entry in the raw form).
    """
    if root is None:
        return None
    return _marker(_walk(root, path)[0], source)


def _marker(node: Node, source: str | bytes | None) -> tuple[int, int, int]:
    """:func:`locate`'s ``(line, col, length)`` of ``node``."""
    line, col = node.line, node.column
    length = 0
    if source is not None:
        lines = _split_lines(source)
        length = underline_length(lines[line - 1], col) if 1 <= line <= len(lines) else -1
    return line, col, length


def correlate(
    diags: Iterable[Diagnostic], root: Node | None, source: str | bytes | None = None, filename: str | None = None
) -> list[Diagnostic]:
    """Copies of ``diags`` with the position :func:`locate` finds for each path.

    Like vcontext's ``Report.Correlate``, every entry gets a marker (the root
    at worst), whatever position it had; with no tree (``root`` None) the
    entries are returned unchanged.
    """
    if root is None:
        return list(diags)
    out = []
    for d in diags:
        line, col, length = _marker(_walk(root, d.path or ())[0], source)
        out.append(d.located(filename if filename is not None else d.file, line, col, max(length, 0)))
    return out


# ------------------------------------------------------------- printing


def _kind(severity: str) -> str:
    return severity if severity in _KINDS else "unknown severity"


def entry_string(d: Diagnostic) -> str:
    """vcontext's ``Entry.String()``: the raw form of one entry, no newline."""
    path, line, col = d.path, d.line, d.col
    at = ""
    if line and path:
        at = f" at {path_string(path)}, line {line} col {col}"
    elif line:
        at = f" at line {line} col {col}"
    elif path:
        at = f" at {path_string(path)}"
    return f"{_kind(d.severity)}{at}: {d.message}"


def _paint(text: str, code: str, colorize: bool) -> str:
    return code + text + RESET if colorize else text


def format_entry(d: Diagnostic, filename: str, lines: list[str], colorize: bool = False) -> str:
    """One entry in Butane's pretty form, ending with a newline."""
    line, col = d.line, d.col
    if not line:
        return entry_string(d) + "\n"
    if line < 1 or line > len(lines):
        return entry_string(d) + "\n"
    width = underline_length(lines[line - 1], col)
    if width < 0:
        return entry_string(d) + "\n"

    severity = d.severity
    kind = _paint(_kind(severity), _KINDS.get(severity, RESET), colorize)
    path = d.path
    header = f"[{path_string(path)}]" if path else ""
    out = [f"{kind}{header}:\n", f"  {_paint('-->', BLUE, colorize)} {filename}:{line}:{col}\n"]

    first = max(1, line - 2)
    last = min(len(lines), line + 2)
    gutter = len(str(last))
    blank = " " * gutter
    out.append(f" {blank} |\n")
    for n in range(first, last + 1):
        num = _paint(str(n).rjust(gutter), BLUE, colorize)
        out.append(f" {num} | {lines[n - 1]}\n")
        if n == line:
            carets = _paint("^" * width, BLUE, colorize)
            out.append(f" {blank} | {' ' * (col - 1)}{carets} {d.message}\n")
    out.append(f" {blank} |\n")
    return "".join(out)


def format_entries(
    diags: Iterable[Diagnostic],
    source_text: str | bytes,
    filename: str,
    raw: bool = False,
    colorize: bool = False,
) -> str:
    """All entries as Butane prints them to stderr (``""`` when there are none).

    ``diags`` are Diagnostics already located (see :func:`correlate`), in
    report order.  ``raw`` is ``--raw-errors``; ``colorize`` comes from
    :func:`colorize_for`.  ``source_text`` should be the input as read (not
    newline-translated); bytes are decoded as UTF-8 with ``surrogateescape``,
    so write the result with that error handler too.
    """
    if raw:
        return "".join(entry_string(d) + "\n" for d in diags)
    lines = _split_lines(source_text)
    return "\n".join(format_entry(d, filename, lines, colorize) for d in diags)


def colorize_for(flag: str = "auto", fd: int = 2, environ: Mapping[str, str] | None = None) -> bool:
    """Butane's ``--color`` decision.

    ``always``/``yes`` colour, ``never``/``no`` do not, ``auto`` colours when
    ``NO_COLOR`` is absent from the environment and ``fd`` (stderr) is a
    character device; any other value does not colour.
    """
    if flag in ("always", "yes"):
        return True
    if flag != "auto":
        return False
    import os
    import stat

    env = os.environ if environ is None else environ
    if "NO_COLOR" in env:
        return False
    try:
        return stat.S_ISCHR(os.fstat(fd).st_mode)
    except OSError:
        return False
