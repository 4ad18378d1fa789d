"""One escaping function per destination: no host-file value reaches one any other way.

hostform writes values from ``hostform.yaml`` into five languages. Each has
its own function here, and the renderers call nothing else to put a value
into that language:

=====================  ====================================================
:func:`unit_string`    a unit-file value that podman's quadlet reads whole
                       (``Image=``, ``HealthCmd=``, ``Entrypoint=``, extra keys)
:func:`unit_word`      one word of a unit-file value that is split into words
                       (``Exec=``, ``Environment=``, ``Label=``, ``ExecStart=``)
:func:`unit_text`      a value written in the key's own syntax (``extra`` keys):
                       only specifiers and variables are made literal
:func:`shell_word`     one word of a POSIX shell command line
:func:`caddy_token`    one token of a Caddyfile
:func:`terraform_string`  a literal string in Terraform's JSON syntax
:func:`systemd_path`   a path as a systemd unit name (``systemd-escape --path``),
                       :func:`systemd_name` any string (``systemd-escape``)
=====================  ====================================================

What survives where:

* systemd expands ``%`` specifiers in every unit-file value and ``$VAR`` /
  ``${VAR}`` in ``Exec*=`` lines; quadlet copies ``[Container]`` values into
  ``ExecStart=``, so both are doubled (``%%``, ``$$``: systemd's escapes).
* A line break, NUL or other control character cannot be written into a unit
  file faithfully (a line break ends the directive and starts a new one):
  the schema refuses them before rendering (HF011), and these functions
  raise ``ValueError`` if one reaches them anyway, a bug, not a silent write.
* Terraform treats ``${`` and ``%{`` in any string as a template; ``$${`` and
  ``%%{`` are its escapes.

This module is pure and cheap to import.
"""

from __future__ import annotations

from hostform.gostd import SPACE

__all__ = [
    "FORBIDDEN",
    "caddy_token",
    "forbidden_char",
    "shell_word",
    "systemd_name",
    "systemd_path",
    "terraform_string",
    "unit_string",
    "unit_text",
    "unit_word",
    "unit_words",
]

# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
# Tab is not in this set: where a value may hold a tab, callers allow it.
FORBIDDEN = frozenset([chr(c) for c in range(0x20) if c != 9] + [chr(c) for c in range(0x7F, 0xA0)] + ["\u2028", "\u2029"])

# What systemd and quadlet's unit parser trim around a value (Go's unicode.IsSpace).
_TRIMMED = frozenset(SPACE)


def forbidden_char(value: str, allow_tab: bool = True) -> int:
    """Index of the first character no destination can carry (see :data:`FORBIDDEN`), or -1.

    Lone surrogates (undecodable bytes of the input) and Unicode noncharacters
    (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF), which systemd refuses as "not UTF-8
    clean" and drops the whole assignment, count as forbidden too.
    """
    for i, c in enumerate(value):
        if c in FORBIDDEN or (c == "\t" and not allow_tab):
            return i
        o = ord(c)
        if o >= 0xD800 and (o <= 0xDFFF or 0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE):
            return i
    return -1


def _refuse(value: str, where: str) -> None:
    i = forbidden_char(value)
    if i >= 0:
        raise ValueError(f"{where}: control character U+{ord(value[i]):04X} at {i} in {value!r}")


def _systemd(value: str, exec_line: bool) -> str:
    value = value.replace("%", "%%")
    return value.replace("$", "$$") if exec_line else value


def unit_string(value: str, exec_line: bool = True) -> str:
    """A unit-file value read whole (quadlet's ``Lookup``): what the key receives is ``value``.

    The unit parser trims white space around a value, joins a line ending in a
    backslash with the next one, and quadlet strips one pair of surrounding
    double quotes: such values are wrapped in one pair of quotes.
    ``exec_line``: the value ends up in an ``Exec*=`` line (every
    ``[Container]`` key does), so ``$`` is doubled too.
    """
    _refuse(value, "unit value")
    v = _systemd(value, exec_line)
    if v == "" or v[0] in _TRIMMED or v[-1] in _TRIMMED or v[-1] == "\\" or (len(v) >= 2 and v[0] == '"' and v[-1] == '"'):
        v = '"' + v + '"'
    return v


def unit_text(value: str, exec_line: bool = True) -> str:
    """A value already in the key's own syntax (quotes and words are the writer's): ``%`` and ``$`` made literal.

    A trailing backslash would join the next line: refused like a control character.
    """
    _refuse(value, "unit value")
    if value.endswith("\\"):
        raise ValueError(f"unit value: {value!r} ends with a backslash")
    return _systemd(value, exec_line)


_WORD_SPECIAL = frozenset(" \t\"'\\")


def unit_word(value: str, exec_line: bool = True) -> str:
    """One word of a value that systemd (or quadlet) splits into words, unquoting and C-unescaping.

    Quoted (double quotes, ``\\`` and ``"`` escaped) only when it has to be,
    so plain words read as they are written.
    """
    _refuse(value, "unit word")
    v = _systemd(value, exec_line)
    if v == "" or any(c in _WORD_SPECIAL or c in _TRIMMED for c in v):
        v = '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'
    return v


def unit_words(values: tuple[str, ...] | list[str], exec_line: bool = True) -> str:
    """Several words, each through :func:`unit_word`."""
    return " ".join(unit_word(v, exec_line) for v in values)


_SHELL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@%+=:,./-_")


def shell_word(value: str) -> str:
    """One word of a POSIX ``sh`` command line, as written (single quotes when needed)."""
    _refuse(value, "shell word")
    if value and all(c in _SHELL_SAFE for c in value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


_CADDY_QUOTE = frozenset(' \t"#')
_CADDY_NEVER = frozenset("{}\\`")


def caddy_token(value: str) -> str:
    """One Caddyfile token that reads back as ``value``.

    Caddy's lexer splits on white space and starts a comment at ``#``; a
    double-quoted token keeps both, with ``\\"`` for a quote. Braces are
    Caddy's blocks, ``{$ENV}`` substitution and ``{placeholder}`` syntax, a
    backslash escapes the next quote or brace, and a backtick starts a
    backtick-quoted token: no token can carry them literally everywhere, so
    they are refused (``ValueError``): the schema keeps them out of every
    value that reaches a Caddyfile. A token starting ``<<`` would open a
    heredoc: it is quoted.
    """
    _refuse(value, "Caddyfile token")
    bad = next((c for c in value if c in _CADDY_NEVER), None)
    if bad is not None or value == "":
        raise ValueError(f"Caddyfile token: {value!r} cannot be written as a Caddyfile token")
    if any(c in _CADDY_QUOTE for c in value) or value.startswith("<<"):  # "<<" starts a heredoc
        return '"' + value.replace('"', '\\"') + '"'
    return value


def terraform_string(value: str) -> str:
    """``value`` as a literal in a Terraform JSON string: template sequences escaped."""
    return value.replace("${", "$${").replace("%{", "%%{")


# what systemd keeps as it is in a unit name (unit_name_escape: its VALID_CHARS, less '-' and '\\')
_UNIT_NAME_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.")
_NAME_MAX = 255  # bytes of one path component (Linux's NAME_MAX)
_PATH_MAX = 4096  # bytes of a path with its final NUL (Linux's PATH_MAX)


def systemd_name(value: str) -> str:
    """``systemd-escape VALUE``: ``/`` becomes ``-``; a ``.`` at the start, and every byte that is
    not an ASCII letter, a digit, ``:``, ``_`` or ``.``, becomes ``\\xNN`` (each byte of a
    character's UTF-8; an undecodable input byte as that byte)."""
    out = []
    for i, b in enumerate(value.encode("utf-8", "surrogateescape")):
        if b == 0x2F:
            out.append("-")
        elif b in _UNIT_NAME_SAFE and not (b == 0x2E and i == 0):
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def systemd_path(path: str) -> str:
    """``systemd-escape --path PATH``: the unit name of a path (``/var/mnt/state`` -> ``var-mnt-state``,
    a mount unit's name with ``.mount``).

    The path is simplified first (repeated and trailing ``/`` and ``.``
    components dropped), ``/`` alone (or nothing) is ``-``, and the rest is
    escaped by :func:`systemd_name`.  Raises ``ValueError`` where systemd
    refuses: a ``..`` component, a component over 255 bytes, a simplified
    path of 4096 bytes or more, a NUL, or a relative path that is nothing but ``.``.
    """
    raw = path.encode("utf-8", "surrogateescape")
    parts = [p for p in raw.split(b"/") if p not in (b"", b".")]
    absolute = raw.startswith(b"/")
    if b"\0" in raw or b".." in parts or any(len(p) > _NAME_MAX for p in parts):
        raise ValueError(f"{path!r} is not a normalized file system path")
    if absolute + len(b"/".join(parts)) >= _PATH_MAX:
        raise ValueError(f"{path!r} is longer than a file system path may be")
    if not parts:
        if raw and not absolute:
            raise ValueError(f"{path!r} is not a normalized file system path")
        return "-"
    return systemd_name(b"/".join(parts).decode("utf-8", "surrogateescape"))
