"""Compose's text rules, ported from the Go code Compose runs, so that a value reads as ``docker compose`` reads it.

* :func:`substitute`: variable interpolation, compose-go ``template.Substitute`` (``$VAR ${VAR} ${VAR:-d}
  ${VAR-d} ${VAR:?e} ${VAR?e} ${VAR:+a} ${VAR+a}``, ``$$``, nested defaults);
* :func:`parse_dotenv`: ``.env`` and ``env_file`` files, compose-go ``dotenv`` (quotes, escapes, ``export``,
  comments, inherited keys, interpolation of earlier keys);
* :func:`shell_words`: a command given as one string, mattn/go-shellwords ``Parse`` (v1.0.12, what compose-go
  uses): quotes and backslashes group words, nothing is expanded, and the line ends at an unquoted
  ``; & | < >`` (what follows is dropped: :class:`Words` says where).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Lookup", "MissingRequired", "InvalidTemplate", "Substituted", "Words", "parse_dotenv", "shell_words", "substitute"]

Lookup = Callable[[str], "str | None"]


class InvalidTemplate(Exception):
    """``${`` without a valid variable name: Compose refuses the whole value."""


class MissingRequired(Exception):
    """``${VAR:?message}`` (or ``?``) with VAR unset (or empty)."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(variable, reason)
        self.variable = variable
        self.reason = reason


@dataclass
class Substituted:
    """An interpolated value and what it met: variables that were not set (and became ""), a required one missing."""

    value: str
    unset: list[str]


_PATTERN = re.compile(
    r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)\}|(?P<invalid>)))"
)


def _first_closing_brace(s: str) -> int:
    depth = 0
    i = 0
    while i < len(s):
        if s[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        if s[i] == "{":
            depth += 1
            i += 1
        i += 1
    return -1


_OPS = (":?", "?", ":-", "-", ":+", "+")


def _op_for(template: str) -> str:
    """compose-go's getSubstitutionFunctionForTemplate: the operator found first in the whole match (stable sort)."""
    found = [(template.find(op), i, op) for i, op in enumerate(_OPS)]
    present = sorted((idx, i, op) for idx, i, op in found if idx >= 0)
    return present[0][2] if present else _OPS[0]


def substitute(template: str, lookup: Lookup, unset: list[str] | None = None, missing: list[MissingRequired] | None = None) -> str:
    """``template`` with its variables replaced (compose-go ``template.Substitute``).

    Raises :class:`InvalidTemplate` or :class:`MissingRequired` as Compose would fail; names of variables that
    are not set (and became "") are appended to ``unset``. With ``missing`` a list, a required variable that is
    missing becomes "" and goes there instead of failing the whole value."""
    unset_names = unset if unset is not None else []
    error: list[Exception] = []

    def repl(m: re.Match[str]) -> str:
        try:
            return _replace(m.group(0), lookup, unset_names)
        except (InvalidTemplate, MissingRequired) as e:
            if isinstance(e, MissingRequired) and missing is not None:
                missing.append(e)
                return ""
            if not error:
                error.append(e)
            return ""

    out = _PATTERN.sub(repl, template)
    if error:
        raise error[0]
    return out


def _replace(substring: str, lookup: Lookup, unset: list[str]) -> str:
    op = _op_for(substring)
    close = _first_closing_brace(substring)
    rest = ""
    if close > -1:
        rest = substring[close + 1:]
        substring = substring[: close + 1]
    m = _PATTERN.fullmatch(substring) or _PATTERN.match(substring)
    if m is None:
        raise InvalidTemplate(substring)
    if m.group("escaped"):
        return "$"
    name = m.group("named")
    braced = False
    if not name:
        name = m.group("braced")
        braced = True
    if not name:
        raise InvalidTemplate(substring)
    if braced:
        applied = _apply(op, name, lookup, unset)
        if applied is not None:
            return applied + substitute(rest, lookup, unset)
    value = lookup(name)
    if value is None:
        unset.append(name)
        return ""
    return value


def _partition(s: str, sep: str) -> tuple[str, str]:
    a, _, b = s.partition(sep)
    return a, b


def _apply(op: str, substitution: str, lookup: Lookup, unset: list[str]) -> str | None:
    """The value of ``${substitution}`` with the operator ``op``; None when ``op`` is not in it (a plain name)."""
    if op not in substitution:
        return None
    name, arg = _partition(substitution, op)
    value = lookup(name)
    if op in (":?", "?"):
        if value is None or (op == ":?" and value == ""):
            raise MissingRequired(name, substitute(arg, lookup, unset))
        return value
    if op in (":-", "-"):
        if value is None or (op == ":-" and value == ""):
            return substitute(arg, lookup, unset)
        return value
    # ":+" / "+"
    if value is not None and (op == "+" or value != ""):
        return substitute(arg, lookup, unset)
    return value if value is not None else ""


# ---------------------------------------------------------------- dotenv

_ESCAPES = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-7]{0,3})")
_SIMPLE = {"a": "\a", "b": "\b", "c": "\\c", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}
_DOTENV_SPACE = "\t\v\f\r \x85\xa0"


class DotenvError(Exception):
    pass


def _expand_escapes(s: str) -> str:
    def one(m: re.Match[str]) -> str:
        t = m.group(0)
        if t == "\\$":
            return "$$"
        if t.startswith("\\0"):
            digits = t[2:]
            if not digits:
                return "\0"
            if len(digits) != 3:
                return t  # Go's UnquoteChar wants exactly three octal digits
            n = int(digits, 8)
            return chr(n) if n <= 255 else t
        c = t[1]
        if c == "c":
            return t  # not an escape Go knows: kept as written
        return _SIMPLE[c]

    return _ESCAPES.sub(one, s)


def parse_dotenv(text: str, lookup: Lookup) -> tuple[dict[str, str], list[str]]:
    """The variables of an env file (compose-go dotenv) and the names of variables its values used but nobody set.

    Raises :class:`DotenvError` (``line N: ...``) where Compose stops."""
    if text.startswith("\ufeff"):
        text = text[1:]
    out: dict[str, str] = {}
    unset: list[str] = []
    line = 1

    def look(k: str) -> str | None:
        v = lookup(k)
        if v is not None:
            return v
        return out.get(k)

    def expand(v: str) -> str:
        try:
            return substitute(v, look, unset)
        except (InvalidTemplate, MissingRequired):
            return v

    src = text
    while True:
        # statement start: skip white space and comment lines
        while True:
            i = 0
            while i < len(src) and src[i].isspace():
                if src[i] == "\n":
                    line += 1
                i += 1
            src = src[i:]
            if not src:
                return out, unset
            if src[0] != "#":
                break
            nl = src.find("\n")
            if nl < 0:
                return out, unset
            src = src[nl:]
        if re.match(r"export\s", src):
            src = src[len("export"):].lstrip(_DOTENV_SPACE)
        key = ""
        offset = -1
        inherited = False
        for i, c in enumerate(src):
            if c in _DOTENV_SPACE:
                continue
            if c in "=:\n":
                key = src[:i]
                offset = i + 1
                inherited = c == "\n"
                break
            if c in "_.-[]" or c.isalpha() or c.isnumeric():
                continue
            first = src.split("\n", 1)[0]
            raise DotenvError(f"line {line}: unexpected character {c!r} in variable name {first!r}")
        if offset < 0:
            # the last line, a name without '=' (Go: the loop ends without a key)
            key, offset, inherited = src, len(src), True
        if inherited and " " not in key:
            line += 1
        key = key.rstrip()
        rest = src[offset:].lstrip(_DOTENV_SPACE)
        if " " in key:
            raise DotenvError(f"line {line}: key cannot contain a space")
        if inherited:
            v = lookup(key)
            if v is not None:
                out[key] = v
            src = rest
            continue
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            chars: list[str] = []
            esc = False
            end = -1
            for i in range(1, len(rest)):
                c = rest[i]
                if c == "\n":
                    line += 1
                if c != quote:
                    if not esc and c == "\\":
                        esc = True
                        continue
                    if esc:
                        esc = False
                        chars.append("\\")
                    chars.append(c)
                    continue
                if esc:
                    esc = False
                    chars.append(c)
                    continue
                end = i
                break
            if end < 0:
                first = rest.split("\n", 1)[0]
                raise DotenvError(f"line {line}: unterminated quoted value {first}")
            value = "".join(chars)
            if quote == '"':
                value = expand(_expand_escapes(value))
            out[key] = value
            src = rest[end + 1:]
            continue
        value, _, src = rest.partition("\n")
        line += 1
        value = value.split(" #", 1)[0].rstrip()
        out[key] = expand(value)


# ---------------------------------------------------------------- shell words


@dataclass
class Words:
    """A command line split into words; ``stop``: the index of the character where go-shellwords stopped
    (an unquoted ; & | < >: the rest is dropped), or -1. ``error``: the line does not split (an open quote)."""

    words: list[str]
    stop: int = -1
    error: bool = False


def shell_words(line: str) -> Words:
    """mattn/go-shellwords ``Parse`` without environment or backtick expansion (compose-go's ``ShellCommand``)."""
    args: list[str] = []
    buf = ""
    escaped = double = single = back = dollar = False
    got = 0  # 0: no argument, 1: a word, 2: a quoted word
    pos = -1
    i = -1
    for r in line:
        i += 1
        if escaped:
            buf += r  # the character itself: go-shellwords knows no \t or \n
            escaped = False
            got = 1
            continue
        if r == "\\":
            if single:
                buf += r
            else:
                escaped = True
            continue
        if r in " \t\r\n":
            if single or double or back or dollar:
                buf += r
            elif got:
                args.append(buf)
                buf = ""
                got = 0
            continue
        if r == "`":
            if not single and not double and not dollar:
                back = not back
        elif r == ")":
            if not single and not double and not back:
                dollar = not dollar  # v1.0.12: a bare ')' opens a $( ) region too (the line then fails)
        elif r == "(":
            if not single and not double and not back:
                if not dollar and buf.endswith("$"):
                    dollar = True
                    buf += "("
                    continue
                return Words([], -1, True)
        elif r == '"':
            if not single and not dollar:
                if double:
                    got = 2
                double = not double
                continue
        elif r == "'":
            if not double and not dollar:
                if single:
                    got = 2
                single = not single
                continue
        elif r in ";&|<>":
            if not (single or double or back or dollar):
                if r == ">" and buf and buf[0] in "0123456789":
                    i -= 1
                    got = 0
                pos = i
                break
        got = 1
        buf += r
    if got:
        args.append(buf)
    if escaped or single or double or back or dollar:
        return Words([], -1, True)
    return Words(args, pos)
