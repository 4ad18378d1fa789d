"""How systemd reads an ``ExecStart=`` value: the oracle of the escaping tests.

Written from systemd's documentation and sources (``config_parse_exec`` in
src/core/load-fragment.c, ``extract_first_word`` in src/basic/extract-word.c,
``cunescape_one`` in src/basic/escape.c, ``replace_env_argv`` in
src/basic/env-util.c), independently of hostform's own quadlet code, so that a
test built on it checks hostform's escaping against systemd, not against itself:

1. specifiers: the whole value is expanded first; ``%%`` is ``%``. Any other
   specifier is replaced by something of the machine: here by
   ``SPECIFIER + letter`` (a private-use character), so that a test can tell
   the generator's own ``%t/%N.cid`` from a value that was expanded.
2. words: split at blanks; double and single quotes group (and are removed);
   a backslash escapes the next character C-style (``\\n``, ``\\t``, ``\\"``,
   ``\\\\``, ``\\xNN``, ``\\uNNNN``, ``\\NNN``, ``\\s``), inside quotes too.
3. variables, at start: ``$$`` is ``$``; ``${NAME}`` anywhere in a word and
   ``$NAME`` as a whole word are replaced (here: :class:`Expanded`, since the
   test wants none).
4. a lone ``;`` word separates two commands (:class:`Expanded`).
"""

from __future__ import annotations

import re

__all__ = ["SPECIFIER", "Expanded", "exec_argv", "specifiers"]

WHITESPACE = " \t\n\r"
SPECIFIER = "\ue000"  # stands for what systemd puts in place of a specifier


class Expanded(Exception):
    """systemd would replace part of the value with something the host file did not say."""


def specifiers(value: str) -> str:
    out = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "%":
            nxt = value[i + 1 : i + 2]
            if nxt == "%":
                out.append("%")
            elif nxt.isalpha():
                out.append(SPECIFIER + nxt)
            else:
                raise ValueError(f"%{nxt} is not a specifier systemd knows ({value!r})")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'", "s": " "}


def _cunescape(s: str, i: int) -> tuple[str, int]:
    """The character escaped at ``s[i]`` (just after the backslash) and the index after it."""
    c = s[i : i + 1]
    if c in _SIMPLE:
        return _SIMPLE[c], i + 1
    m = re.match(r"x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3})", s[i:])
    if m is None:
        raise ValueError(f"bad escape at {i} in {s!r}")
    digits = next(g for g in m.groups() if g is not None)
    code = int(digits, 8 if m.group(4) else 16)
    if code == 0:
        raise ValueError("\\0 in a unit file")
    return chr(code), i + m.end()


def _words(value: str) -> list[str]:
    words: list[str] = []
    i, n = 0, len(value)
    while True:
        while i < n and value[i] in WHITESPACE:
            i += 1
        if i >= n:
            return words
        word: list[str] = []
        quote = ""
        while i < n:
            c = value[i]
            if c == "\\":
                ch, i = _cunescape(value, i + 1)
                word.append(ch)
                continue
            if quote:
                if c == quote:
                    quote = ""
                else:
                    word.append(c)
                i += 1
                continue
            if c in "'\"":
                quote = c
                i += 1
                continue
            if c in WHITESPACE:
                break
            word.append(c)
            i += 1
        if quote:
            raise ValueError(f"unbalanced quotes in {value!r}")
        words.append("".join(word))


def _variables(word: str) -> str:
    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
        raise Expanded(f"variable {word}")
    out = []
    i = 0
    while i < len(word):
        if word.startswith("$$", i):
            out.append("$")
            i += 2
        elif word.startswith("${", i) and "}" in word[i:]:
            raise Expanded(f"variable in {word!r}")
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


def exec_argv(value: str) -> list[str]:
    """The argv systemd runs for ``ExecStart=value`` (the first word included)."""
    words = _words(specifiers(value))
    if ";" in words:
        raise Expanded("a lone ';' starts a second command")
    return [_variables(w) for w in words]
