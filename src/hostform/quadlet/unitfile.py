"""systemd unit files: parse (keeping line numbers), query, edit and write.

The syntax is the one podman's quadlet parser accepts (itself modelled on
systemd's): ``[Group]`` headers, ``Key=Value`` lines, ``#``/``;`` comments,
a trailing backslash continues a line (comment lines inside a continuation
are skipped), repeated groups are merged, and an empty assignment ``Key=``
clears the values collected so far for list lookups.  Writing reproduces
podman's output byte for byte (one blank line between groups, comments kept
before their group or line).

Besides the parser this module has systemd's word splitting
(:func:`split_words`, systemd's ``extract_first_word``), C unescaping and the
escaping used for ``Exec*`` command lines (:func:`escape_words`).

Errors while parsing raise :class:`UnitParseError`, carrying podman's exact
message and the line number; use :func:`parse` with a ``Report`` to collect
them as diagnostics instead.

Cheap to import: no ``re``, ``dataclasses`` or ``typing``.
"""

from __future__ import annotations

from hostform.gostd import SPACE as GO_SPACE  # Go's unicode.IsSpace set (strings.TrimSpace)
from hostform.gostd import ext as file_ext  # Go's filepath.Ext

WHITESPACE_SEPARATORS = " \t\n\r"

# split flags (systemd's EXTRACT_* values, podman's Split* names)
SPLIT_RELAX = 1
SPLIT_CUNESCAPE = 2
SPLIT_UNESCAPE_RELAX = 4
SPLIT_UNESCAPE_SEPARATORS = 8
SPLIT_KEEP_QUOTE = 16
SPLIT_UNQUOTE = 32
SPLIT_DONT_COALESCE_SEPARATORS = 64
SPLIT_RETAIN_ESCAPE = 128
SPLIT_RETAIN_SEPARATORS = 256

EXEC_FLAGS = SPLIT_RELAX | SPLIT_UNQUOTE | SPLIT_CUNESCAPE
STRV_FLAGS = SPLIT_RETAIN_ESCAPE | SPLIT_UNQUOTE


class UnitParseError(Exception):
    """A unit file that cannot be parsed: podman's message plus the 1-based line."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class SplitError(Exception):
    """An invalid escape or unbalanced quote met while splitting words."""


class Line:
    """One logical line: a comment (``key`` is None) or ``key=value``."""

    __slots__ = ("key", "value", "lineno", "file")

    def __init__(self, key: str | None, value: str, lineno: int = 0, file: str | None = None) -> None:
        self.key = key
        self.value = value
        self.lineno = lineno
        self.file = file

    @property
    def is_comment(self) -> bool:
        return self.key is None

    def dup(self) -> "Line":
        return Line(self.key, self.value, self.lineno, self.file)

    def __repr__(self) -> str:
        return f"Line({self.key!r}, {self.value!r}, line={self.lineno})"


class Group:
    __slots__ = ("name", "comments", "lines", "lineno")

    def __init__(self, name: str, lineno: int = 0) -> None:
        self.name = name
        self.comments: list[Line] = []
        self.lines: list[Line] = []
        self.lineno = lineno

    def find_last(self, key: str) -> Line | None:
        for line in reversed(self.lines):
            if line.key == key:
                return line
        return None

    def set(self, key: str, value: str) -> None:
        line = self.find_last(key)
        if line is not None:
            line.value = value
        else:
            self.lines.append(Line(key, value))

    def unset(self, key: str) -> None:
        self.lines = [ln for ln in self.lines if ln.key != key]

    def merge(self, source: "Group") -> None:
        self.comments.extend(ln.dup() for ln in source.comments)
        self.lines.extend(ln.dup() for ln in source.lines)


def _is_control(c: str) -> bool:
    o = ord(c)
    return o < 0x20 or 0x7F <= o <= 0x9F


class UnitFile:
    """A parsed unit file. ``filename`` is the base name, ``path`` the full path ('' if none).

    Two readings changed between podman releases; a unit carries the one of the generator it is
    read for (``dup`` keeps them): ``trim_quotes`` (before podman 5.8) makes :meth:`lookup`
    strip every double quote at either end, not one pair; ``literal_spaces`` (before 5.6) makes
    :meth:`add_cmdline` keep a space inside a quoted word as a space, not ``\\x20``.
    """

    __slots__ = ("groups", "by_name", "filename", "path", "trim_quotes", "literal_spaces")

    def __init__(self, filename: str = "", path: str = "") -> None:
        self.groups: list[Group] = []
        self.by_name: dict[str, Group] = {}
        self.filename = filename
        self.path = path
        self.trim_quotes = False
        self.literal_spaces = False

    # -- building -------------------------------------------------------
    def ensure_group(self, name: str, lineno: int = 0) -> Group:
        g = self.by_name.get(name)
        if g is None:
            g = Group(name, lineno)
            self.groups.append(g)
            self.by_name[name] = g
        return g

    def merge(self, source: "UnitFile") -> None:
        for g in source.groups:
            self.ensure_group(g.name, g.lineno).merge(g)

    def dup(self) -> "UnitFile":
        copy = UnitFile(self.filename)
        copy.merge(self)
        copy.trim_quotes = self.trim_quotes
        copy.literal_spaces = self.literal_spaces
        return copy

    def has_group(self, name: str) -> bool:
        return name in self.by_name

    def remove_group(self, name: str) -> None:
        g = self.by_name.pop(name, None)
        if g is not None:
            self.groups = [x for x in self.groups if x is not g]

    def rename_group(self, name: str, new_name: str) -> None:
        g = self.by_name.get(name)
        if g is None:
            return
        other = self.by_name.get(new_name)
        if other is None:
            del self.by_name[name]
            g.name = new_name
            self.by_name[new_name] = g
        elif other is not g:
            other.merge(g)
            self.remove_group(name)

    def list_groups(self) -> list[str]:
        return [g.name for g in self.groups]

    def list_keys(self, group: str) -> list[str]:
        g = self.by_name.get(group)
        if g is None:
            return []
        seen: dict[str, None] = {}
        for ln in g.lines:
            if ln.key is not None and ln.key not in seen:
                seen[ln.key] = None
        return list(seen)

    def key_lines(self, group: str, key: str) -> list[Line]:
        """Every ``key=`` line of ``group`` (with positions), in file order."""
        g = self.by_name.get(group)
        return [ln for ln in g.lines if ln.key == key] if g else []

    def line_of(self, group: str, key: str | None = None) -> int:
        """Line number of the last ``key`` in ``group`` (or of the group), 0 if unknown."""
        g = self.by_name.get(group)
        if g is None:
            return 0
        if key is not None:
            ln = g.find_last(key)
            if ln is not None:
                return ln.lineno
        return g.lineno

    def set(self, group: str, key: str, value: str) -> None:
        self.ensure_group(group).set(key, value)

    def setv(self, group: str, *kv: str) -> None:
        g = self.ensure_group(group)
        for i in range(0, len(kv) - 1, 2):
            g.set(kv[i], kv[i + 1])

    def add(self, group: str, key: str, value: str) -> None:
        self.ensure_group(group).lines.append(Line(key, value))

    def add_escaped(self, group: str, key: str, value: str) -> None:
        if word_needs_escape(value):
            value = '"' + escape_string(value, literal_space=self.literal_spaces) + '"'
        self.add(group, key, value)

    def add_cmdline(self, group: str, key: str, args: list[str]) -> None:
        self.add(group, key, escape_words(args, self.literal_spaces))

    def unset(self, group: str, key: str) -> None:
        g = self.by_name.get(group)
        if g is not None:
            g.unset(key)

    def _first_or(self, group: str) -> Group:
        if group == "" and self.groups:
            return self.groups[0]
        return self.ensure_group(group)

    def add_comment(self, group: str, *comments: str) -> None:
        g = self._first_or(group)
        g.comments.extend(Line(None, "# " + c) for c in comments)

    def prepend_comment(self, group: str, *comments: str) -> None:
        g = self._first_or(group)
        g.comments[0:0] = [Line(None, "# " + c) for c in comments]

    def prepend_line(self, group: str, key: str, value: str) -> None:
        self._first_or(group).lines.insert(0, Line(key, value))

    # -- lookups (podman's semantics) ------------------------------------
    def lookup_last_raw(self, group: str, key: str) -> str | None:
        g = self.by_name.get(group)
        if g is None:
            return None
        ln = g.find_last(key)
        return None if ln is None else ln.value

    def has_key(self, group: str, key: str) -> bool:
        return self.lookup_last_raw(group, key) is not None

    def lookup_last(self, group: str, key: str) -> str | None:
        v = self.lookup_last_raw(group, key)
        return None if v is None else apply_line_continuation(v)

    def lookup(self, group: str, key: str) -> str | None:
        """Last value, trailing space removed and one pair of surrounding double quotes stripped."""
        v = self.lookup_last(group, key)
        if v is None:
            return None
        v = v.rstrip(GO_SPACE)
        if self.trim_quotes:
            return v.strip('"')
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        return v

    def lookup_boolean(self, group: str, key: str) -> bool | None:
        v = self.lookup(group, key)
        if v is None:
            return None
        return v.lower() in ("1", "yes", "true", "on")

    def lookup_boolean_default(self, group: str, key: str, default: bool) -> bool:
        v = self.lookup_boolean(group, key)
        return default if v is None else v

    def lookup_int(self, group: str, key: str, default: int) -> int:
        v = self.lookup(group, key)
        if v is None:
            return default
        n = convert_number(v)
        return default if n is None else n

    def lookup_uint32(self, group: str, key: str, default: int) -> int:
        v = self.lookup_int(group, key, default)
        return default if v < 0 or v > 0xFFFFFFFF else v

    def lookup_all_raw(self, group: str, key: str) -> list[str]:
        g = self.by_name.get(group)
        if g is None:
            return []
        values: list[str] = []
        for ln in g.lines:
            if ln.key == key:
                if ln.value == "":
                    values = []
                else:
                    values.append(ln.value)
        return values

    def lookup_all(self, group: str, key: str) -> list[str]:
        return [apply_line_continuation(v) for v in self.lookup_all_raw(group, key)]

    def lookup_all_strv(self, group: str, key: str) -> list[str]:
        res: list[str] = []
        for v in self.lookup_all(group, key):
            try:
                res.extend(split_words(v, WHITESPACE_SEPARATORS, STRV_FLAGS))
            except SplitError:
                pass
        return res

    def lookup_all_args(self, group: str, key: str) -> list[str]:
        res: list[str] = []
        for v in self.lookup_all(group, key):
            try:
                res.extend(split_words(v, WHITESPACE_SEPARATORS, EXEC_FLAGS))
            except SplitError:
                pass
        return res

    def lookup_last_args(self, group: str, key: str) -> list[str] | None:
        """Exec-style split of the last value; None if absent. Raises SplitError."""
        v = self.lookup_last(group, key)
        if v is None:
            return None
        return split_words(v, WHITESPACE_SEPARATORS, EXEC_FLAGS)

    def lookup_all_key_val(self, group: str, key: str, bare_keys: bool = True) -> tuple[dict[str, str | None], list[str]]:
        """``Environment``-style ``K=V`` words; returns (map, warnings).

        A word without ``=`` maps to None (``bare_keys``, podman >= 5.6) or is left out with a
        warning (podman 5.5).
        """
        res: dict[str, str | None] = {}
        warnings: list[str] = []
        for v in self.lookup_all(group, key):
            try:
                words = split_words(v, WHITESPACE_SEPARATORS, EXEC_FLAGS)
            except SplitError as e:
                warnings.append(str(e))
                continue
            for w in words:
                k, sep, val = w.partition("=")
                if sep or bare_keys:
                    res[k] = val if sep else None
                else:
                    warnings.append(f"separator was not found for {w}")
        return res, warnings

    # -- names ------------------------------------------------------------
    def template_parts(self) -> tuple[str, str, bool]:
        ext = file_ext(self.filename)
        base = self.filename[: len(self.filename) - len(ext)]
        unit, at, instance = base.partition("@")
        return unit, instance, bool(at)

    def dropin_paths(self) -> list[str]:
        """Drop-in directory names to search, most specific first."""
        unit, instance, is_template = self.template_parts()
        ext = file_ext(self.filename)
        dext = ext + ".d"
        paths = [dext[1:] if dext.startswith(".") else dext]
        parts = unit.split("-")
        if len(parts) > 1:
            for i in range(len(parts) - 1):
                trunc = "-".join(parts[: i + 1]) + "-"
                paths.append(trunc + dext)
                if is_template:
                    paths.append(trunc + "@" + dext)
        if instance:
            paths.append(unit + "@" + dext)
        paths.append(self.filename + ".d")
        paths.reverse()
        return paths

    # -- writing ----------------------------------------------------------
    def to_string(self) -> str:
        out: list[str] = []
        for i, g in enumerate(self.groups):
            if i:
                out.append("\n")
            for c in g.comments:
                out.append(c.value + "\n")
            if g.name == "":
                continue
            out.append(f"[{g.name}]\n")
            for ln in g.lines:
                out.append(ln.value + "\n" if ln.key is None else f"{ln.key}={ln.value}\n")
        return "".join(out)


def apply_line_continuation(raw: str) -> str:
    return raw.replace("\\\n", "") if "\\\n" in raw else raw


def convert_number(v: str) -> int | None:
    """strtol-like parse (podman's convertNumber, including its -11 multiplier)."""
    mult = 1
    if v.startswith("+"):
        v = v[1:]
    elif v.startswith("-"):
        v = v[1:]
        mult = -11
    try:
        if v[:2] in ("0x", "0X"):
            n = _go_parse_int(v[2:], 16)
        elif v.startswith("0"):
            n = _go_parse_int(v, 8)
        else:
            n = _go_parse_int(v, 10)
    except ValueError:
        return None
    return n * mult


def _go_parse_int(s: str, base: int) -> int:
    t = s[1:] if s[:1] in "+-" else s
    digits = "0123456789abcdef"[:base]
    if not t or any(ch.lower() not in digits for ch in t):
        raise ValueError(s)
    n = int(s, base)
    if n > 0x7FFFFFFFFFFFFFFF or n < -0x8000000000000000:
        raise ValueError(s)
    return n


# -- parsing ------------------------------------------------------------------


def _is_comment(line: str) -> bool:
    return not line or line[0] in "#;"


def _is_group(line: str) -> bool:
    if not line or line[0] != "[":
        return False
    end = line.find("]")
    if end == -1:
        return False
    return all(c in " \t" for c in line[end + 1 :])


def parse_text(data: str, filename: str = "", path: str = "") -> UnitFile:
    """Parse unit-file text; raises :class:`UnitParseError` with podman's message."""
    f = UnitFile(filename, path)
    current: Group | None = None
    pending: list[Line] | None = None
    if data.endswith("\n"):
        data = data[:-1]
    lines = data.split("\n")
    last = len(lines) - 1
    remaining = ""
    start = 0
    for nr, raw in enumerate(lines):
        line = raw.strip(GO_SPACE)
        if _is_comment(line):
            if remaining:
                continue
            start = nr + 1
        else:
            if not remaining:
                start = nr + 1
            if line.endswith("\\"):
                line = line[:-1]
                if nr != last:
                    remaining += line
                    continue
            if remaining:
                line = remaining + line
                remaining = ""
        lineno = nr + 1
        if _is_comment(line):
            (pending if pending is not None else (pending := [])).append(Line(None, line, start, path))
        elif _is_group(line):
            name = line[1 : line.index("]")]
            if not name or any(c in "[]" or _is_control(c) for c in name):
                raise UnitParseError(f"invalid group name: {name}", lineno)
            current = f.ensure_group(name, start)
            if pending:
                if pending[0].value == "":
                    pending = pending[1:]
                current.comments.extend(pending)
            pending = None
        elif "=" in line and line[0] != "=":
            if current is None:
                raise UnitParseError("key file does not start with a group", lineno)
            eq = line.index("=")
            ke = eq
            while ke > 0 and line[ke - 1] in GO_SPACE:
                ke -= 1
            key = line[:ke]
            if not key or key[0] == " " or key[-1] == " ":
                raise UnitParseError(f"invalid key name: {key}", lineno)
            vs = eq + 1
            while vs < len(line) and line[vs] in GO_SPACE:
                vs += 1
            if pending:
                current.lines.extend(pending)
            pending = None
            current.lines.append(Line(key, line[vs:], start, path))
        else:
            raise UnitParseError(
                f"file contains line {lineno}: \u201c{line}\u201d which is not a key-value pair, group, or comment", lineno
            )
    if current is None:
        current = f.ensure_group("")
    if pending:
        current.lines.extend(pending)
    return f


def read_unit_file(path: str) -> UnitFile:
    """Read and parse ``path``. Raises OSError or UnitParseError."""
    with open(path, "rb") as fh:
        data = fh.read().decode("utf-8", "surrogateescape")
    return parse_text(data, path.rsplit("/", 1)[-1], path)


# -- word splitting (systemd's extract_first_word) ------------------------------

_SIMPLE_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'", "s": " "}
_HEX = "0123456789abcdefABCDEF"


def c_unescape_one(p: str) -> tuple[int, str]:
    """Decode one C escape at the start of ``p`` (after the backslash): (count, char); count -1 on error."""
    if not p:
        return -1, ""
    c = p[0]
    r = _SIMPLE_ESC.get(c)
    if r is not None:
        return 1, r
    if c == "x":
        if len(p) < 3 or p[1] not in _HEX or p[2] not in _HEX:
            return -1, ""
        v = int(p[1:3], 16)
        return (-1, "") if v == 0 else (3, chr(v))
    if c in "uU":
        n = 4 if c == "u" else 8
        if len(p) < n + 1 or any(ch not in _HEX for ch in p[1 : n + 1]):
            return -1, ""
        v = int(p[1 : n + 1], 16)
        if v == 0 or v > 0x10FFFF:
            return -1, ""
        if 0xD800 <= v <= 0xDFFF:
            return n + 1, "\ufffd"
        return n + 1, chr(v)
    if c in "01234567":
        if len(p) < 3 or p[1] not in "01234567" or p[2] not in "01234567":
            return -1, ""
        v = int(p[:3], 8)
        if v == 0 or v > 255:
            return -1, ""
        return 3, chr(v)
    return -1, ""


def extract_first_word(s: str, seps: str, flags: int) -> tuple[str | None, str]:
    """One word and the rest; word is None when there are no more words. Raises SplitError."""
    n = len(s)
    if n == 0:
        return None, ""
    p = 0
    # skip leading separators
    while True:
        if p >= n:
            return None, ""
        c = s[p]
        if c in seps:
            if flags & SPLIT_DONT_COALESCE_SEPARATORS:
                if not flags & SPLIT_RETAIN_SEPARATORS:
                    p += 1
                return "", s[p:]
            p += 1
            continue
        break
    out: list[str] = []
    quote = ""
    while True:
        c = s[p] if p < n else ""
        if c == "\\" and not (flags & SPLIT_RETAIN_ESCAPE):
            # backslash: look at the next char
            p += 1
            c = s[p] if p < n else ""
            if c == "":
                if flags & SPLIT_UNESCAPE_RELAX and (not quote or flags & SPLIT_RELAX):
                    out.append("\\")
                    break
                if flags & SPLIT_RELAX:
                    break
                raise SplitError("unbalanced escape")
            if flags & (SPLIT_CUNESCAPE | SPLIT_UNESCAPE_SEPARATORS):
                r = -1
                u = ""
                if flags & SPLIT_CUNESCAPE:
                    r, u = c_unescape_one(s[p:])
                if r > 0:
                    p += r - 1
                    out.append(u)
                elif flags & SPLIT_UNESCAPE_SEPARATORS and (c in seps or c == "\\"):
                    out.append(c)
                elif flags & SPLIT_UNESCAPE_RELAX:
                    out.append("\\" + c)
                else:
                    raise SplitError("unsupported escape char")
            else:
                out.append(c)
            p += 1
            continue
        if quote:
            if c == "":
                if flags & SPLIT_RELAX:
                    break
                raise SplitError("unbalanced quotes")
            if c == quote:
                quote = ""
                p += 1
                if not flags & SPLIT_UNQUOTE:
                    out.append(c)
                continue
            out.append(c)
            p += 1
            continue
        if c == "":
            break
        if c in "'\"" and flags & (SPLIT_KEEP_QUOTE | SPLIT_UNQUOTE):
            quote = c
            p += 1
            if not flags & SPLIT_UNQUOTE:
                out.append(c)
            continue
        if c in seps:
            if flags & SPLIT_DONT_COALESCE_SEPARATORS:
                if not flags & SPLIT_RETAIN_SEPARATORS:
                    p += 1
                return "".join(out), s[p:]
            if not flags & SPLIT_RETAIN_SEPARATORS:
                while p < n and s[p] in seps:
                    p += 1
                if p >= n:
                    p = n
            word = "".join(out)
            return (word if word else None), s[p:]
        out.append(c)
        p += 1
    word = "".join(out)
    return (word if word else None), ""


def split_words(s: str, seps: str = WHITESPACE_SEPARATORS, flags: int = EXEC_FLAGS) -> list[str]:
    """Split like systemd (``Exec*`` lines by default). Raises SplitError."""
    words: list[str] = []
    if "\x00" in s:  # Go's port stops at a NUL byte
        s = s[: s.index("\x00")]
    while True:
        word, s = extract_first_word(s, seps, flags)
        if word is None:
            return words
        words.append(word)


# -- escaping -------------------------------------------------------------------

_ESC_OUT = {"\a": "\\a", "\b": "\\b", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\f": "\\f", "\\": "\\\\", " ": "\\x20", '"': '\\"', "'": "'"}


def _needs_escape(c: str, is_path: bool) -> bool:
    o = ord(c)
    if o > 128:
        return False
    return c in " \t\n\v\f\r\"'\\" or o < 0x20 or o >= 0x7F or (is_path and c in "-/")


def word_needs_escape(word: str) -> bool:
    return any(_needs_escape(c, False) for c in word)


def escape_string(word: str, is_path: bool = False, literal_space: bool = False) -> str:
    """podman's escapeString; ``literal_space``: a space stays a space (podman < 5.6), not ``\\x20``."""
    out: list[str] = []
    for i, c in enumerate(word):
        if not _needs_escape(c, is_path) or (literal_space and c == " "):
            out.append(c)
        elif c in _ESC_OUT:
            out.append(_ESC_OUT[c])
        elif c == "/":
            if is_path and i != 0:
                out.append("-")
        else:
            out.append("\\x%.2x" % ord(c))
    return "".join(out)


def escape_words(words: list[str], literal_space: bool = False) -> str:
    return " ".join('"' + escape_string(w, literal_space=literal_space) + '"' if word_needs_escape(w) else w for w in words)
