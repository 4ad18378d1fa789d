"""Host file text -> :class:`~hostform.host.model.Host`, with located errors.

Two passes, as Butane does:

1. *shape*: :class:`_Walker` applies the schema table (:mod:`.schema`) to the
   YAML tree, the one place where keys and values are checked: types, unknown
   keys (``x-`` keys are the user's own), required keys, enums, full-match
   patterns, ranges, lengths, control characters and the named checks of
   :mod:`.values`; it fills in defaults and counts alias expansions as go-yaml
   does. The result is plain data plus ``positions``, a map from a data path
   (``("services", "live", "port")``) to the ``(line, col)`` of its value.
2. *meaning*: build the model and check only what spans keys (a site naming a
   service that does not exist, a secret written in clear, two services on one
   host port, ...). These checks report paths; positions are attached from
   ``positions`` at the end.

Nothing here raises on bad input: every problem becomes a diagnostic in the
returned report (``HF001``: YAML syntax, ``HF002``: type, ``HF023``: unknown
key, ``HF01x``/``HF02x``: host-file rules; see ``hostform explain``).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hostform.diagnostics import Diagnostic, Report
from hostform.escape import forbidden_char
from hostform.host import model as m
from hostform.host.model import KeyPath
from hostform.host.schema import EXTENSION_PREFIX, HOST, Key
from hostform.host.values import BOOL_KINDS, CHECKS, ONE_VALUE_KINDS, WORD_KINDS, extra_kind
from hostform.quadlet.versions import CHANGES, DEFAULT_PODMAN_VERSION, VERSIONS, gate, supported
from hostform.secrets import sealed_path
from hostform.terraform.model import Target
from hostform.yamlpos import Node, excessive_aliasing

__all__ = ["Loaded", "load_text", "load_file", "load_target_text"]

_BAD = object()

# Names the renderer takes for itself.
RESERVED_NAMES = ("caddy",)
# the checked mapping's entry for the names of the project's encrypted secrets (secrets/NAME.age):
# not a key a host file can have (the walker keeps only the schema's keys)
SEALED = "\0sealed"


@dataclass(frozen=True)
class Loaded:
    """A loaded host file: the model (None when the file has errors), the findings, and where
    in ``file`` (line, column) each value (``positions``) and each mapping key (``key_positions``) is."""

    host: m.Host | None
    report: Report
    positions: Mapping[KeyPath, tuple[int, int]] = field(default_factory=dict)
    file: str = "hostform.yaml"
    key_positions: Mapping[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: KeyPath) -> tuple[int, int]:
        """The position of ``path``, or of its nearest ancestor that has one."""
        return _position(self.positions, path)


def _position(positions: Mapping[KeyPath, tuple[int, int]], path: KeyPath) -> tuple[int, int]:
    p = tuple(path)
    while p:
        if p in positions:
            return positions[p]
        p = p[:-1]
    return positions.get((), (1, 1))


class _Add(Protocol):
    """Reports a finding of the model's rules at a host-file path (located once the walk is done)."""

    def __call__(self, code: str, msg: str, path: KeyPath, severity: str = "error") -> None: ...


class _TooMuch(Exception):
    """The host file expands (through aliases) to more values than it may; ``node``: the alias followed last."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.node = node


class _Walker:
    """Applies the schema (:mod:`.schema`) to the YAML tree: the one place keys and values are checked."""

    def __init__(self, file: str, text: str = "", context: dict[str, Any] | None = None) -> None:
        self.file = file
        self.lines = (text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")) if text else []  # as yamlpos counts them
        self.context = context or {}
        self.report = Report()
        self.positions: dict[KeyPath, tuple[int, int]] = {}
        self.key_positions: dict[KeyPath, tuple[int, int]] = {}
        # go-yaml's limits on aliases (yamlpos.excessive_aliasing), counted as the walk expands them
        self.decoded = 0
        self.aliased = 0
        self.alias_depth = 0
        self.active: list[Node] = []  # the anchored nodes being expanded
        self.following: list[Node] = []  # the alias occurrences that led there

    def err(self, code: str, msg: str, node: Node | None, path: KeyPath, severity: str = "error", at: tuple[int, int] | None = None) -> None:
        line, col = at if at is not None else (node.line or 1, node.column or 1) if node is not None else (1, 1)
        self.report.add(Diagnostic(severity, code, msg, path, self.file, line, col, 1 if at is not None else 0))

    def where(self, path: KeyPath) -> str:
        return ".".join(str(p) for p in path) or "the host file"

    # -- aliases: every node the walk reaches counts, as in go-yaml's decoder
    def enter(self, node: Node) -> None:
        self.decoded += 1
        if self.alias_depth:
            self.aliased += 1
        if self.aliased > 100 and excessive_aliasing(self.decoded, self.aliased):  # the count first: every node comes here
            raise _TooMuch(self.following[-1] if self.following else node)

    def follow(self, node: Node, key: Key, path: KeyPath, fn: Callable[[Node, Key, KeyPath], Any]) -> Any:
        """``fn(node, key, path)``, through an alias when ``node`` is one."""
        if node.alias is None:
            return fn(node, key, path)
        target = node.alias
        if any(a is target for a in self.active):
            self.err("HF001", f"{self.where(path)}: the anchor '{node.alias_name}' contains itself", node, path)
            return _BAD
        self.active.append(target)
        self.following.append(node)
        self.alias_depth += 1
        try:
            return fn(node, key, path)
        finally:
            self.alias_depth -= 1
            self.active.pop()
            self.following.pop()

    # -- where a character of a scalar is in the text (for the caret)
    def char_at(self, node: Node, index: int) -> tuple[int, int]:
        line, col = node.line, node.column
        value = node.value
        style = node.style
        if style == "" and "\n" not in value[:index]:
            return line, col + index
        src = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if style in ("'", '"') and col - 1 < len(src):
            # walk the source after the opening quote, one decoded character at a time
            i, n = col, 0  # i: 0-based source index of the next character
            while i < len(src) and n < index:
                if style == '"' and src[i] == "\\":
                    i += {"x": 4, "u": 6, "U": 10}.get(src[i + 1 : i + 2], 2)
                elif style == "'" and src.startswith("''", i):
                    i += 2
                else:
                    i += 1
                n += 1
            if n == index and i <= len(src):
                return line, i + 1
            return line, col
        if style == "|":
            k = value.count("\n", 0, index)
            first = line + 1
            # the block's indentation: that of its first line with content
            indent = 0
            for text in self.lines[first - 1 :]:
                if text.strip():
                    indent = len(text) - len(text.lstrip(" "))
                    break
            start = value.rfind("\n", 0, index) + 1
            return first + k, indent + (index - start) + 1
        return line, col

    # -- scalars
    def scalar_text(self, node: Node, key: Key, path: KeyPath, allow_bool: bool) -> Any:
        if node.kind != "scalar":
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found a {node.kind}", node, path)
            return _BAD
        if node.tag == "!!bool" and not allow_bool:
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found the boolean {node.value} (quote it)", node, path)
            return _BAD
        if node.tag not in ("!!str", "!!int", "!!float", "!!bool"):
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found {_TAG_WORDS.get(node.tag, node.tag)} (quote it)", node, path)
            return _BAD
        return node.value

    @staticmethod
    def _expect(key: Key) -> str:
        return {
            "str": "a string",
            "int": "an integer",
            "bool": "true or false",
            "num": "a number",
            "scalar": "a string",
            "strmap": "a mapping of names to values",
            "strlist": "a list of strings",
            "command": "a command (a string or a list of strings)",
            "obj": "a mapping",
            "objmap": "a mapping of names",
            "objlist": "a list",
        }.get(key.kind, key.kind)

    def text(self, v: str, node: Node, key: Key, path: KeyPath, what: str | None = None, noun: str = "this key") -> bool:
        """The checks every string of the host file passes: characters, length, enum, pattern, named check."""
        what = what or self.where(path)
        i = forbidden_char(v.replace("\n", " ") if key.lines else v, allow_tab=key.text)
        if i >= 0:
            self.err("HF011", f"{what}: {_char_name(v[i])} is not allowed; {noun} accepts {_accepts(key)}", node, path, at=self.char_at(node, i))
            return False
        if len(v) > key.max_len:
            self.err("HF011", f"{what}: {_shown(v)} is {len(v)} characters long; at most {key.max_len}", node, path, at=self.char_at(node, key.max_len))
            return False
        if key.enum:
            if v not in key.enum:
                hint = _close(v, list(key.enum))
                self.err("HF011", f"{what}: {_shown(v)} is not one of {', '.join(key.enum)}" + (f" (did you mean {hint!r}?)" if hint else ""), node, path)
                return False
            return True
        if key.pattern and not re.fullmatch(key.pattern, v):
            bad = next((j for j, c in enumerate(v) if c not in key.chars), None) if key.chars else None
            at = self.char_at(node, bad) if bad is not None else None
            self.err("HF011", f"{what}: {_shown(v)} is not valid: {_accepts(key)}", node, path, at=at)
            return False
        if key.check:
            p = CHECKS[key.check](v, self.context)
            if p is not None:
                joined = " " if p.message.startswith(("is ", "has ", "must ")) else ": "
                at = self.char_at(node, p.index) if p.index is not None else None
                self.err(p.code, f"{what}: {_shown(v)}{joined}{p.message}", node, path, at=at)
                return False
        return True

    def nonempty(self, v: object, node: Node, path: KeyPath) -> bool:
        if v:
            return True
        self.err("HF011", f"{self.where(path)}: the command is empty", node, path)
        return False

    def value(self, node: Node | None, key: Key, path: KeyPath) -> Any:
        if node is None or (node.kind == "scalar" and node.tag == "!!null"):
            return None
        return self.follow(node, key, path, self._value)

    def _value(self, node: Node, key: Key, path: KeyPath) -> Any:
        self.enter(node)
        self.positions[path] = (node.line, node.column)
        k = key.kind
        if k == "str":
            v = self.scalar_text(node, key, path, False)
            if v is _BAD or not self.text(v, node, key, path):
                return _BAD
            if key.lines:  # where each line of the text is: findings about line i are placed at PATH + (i,)
                start = 0
                for i, text in enumerate(v.split("\n")):
                    self.positions[path + (i,)] = self.char_at(node, start)
                    start += len(text) + 1
            return v
        if k == "scalar":
            v = self.scalar_text(node, key, path, True)
            if v is _BAD or not self.text(v, node, key, path):
                return _BAD
            return v
        if k == "num":
            v = self.scalar_text(node, key, path, False)
            if v is _BAD or not self.text(v, node, key, path):
                return _BAD
            return v
        if k == "int":
            if node.kind != "scalar" or node.tag != "!!int":
                self.err("HF002", f"{self.where(path)}: expected an integer, found {_found(node)}", node, path)
                return _BAD
            from hostform import yamlpos

            try:
                iv = yamlpos.decode_scalar(node, "int64")
            except yamlpos.YAMLError:
                iv = None
            if not isinstance(iv, int):
                self.err("HF002", f"{self.where(path)}: {_shown(node.value)} is not an integer", node, path)
                return _BAD
            if (key.minimum is not None and iv < key.minimum) or (key.maximum is not None and iv > key.maximum):
                self.err("HF011", f"{self.where(path)}: {iv} is not in {key.minimum}-{key.maximum if key.maximum is not None else '...'}", node, path)
                return _BAD
            return iv
        if k == "bool":
            if node.kind != "scalar" or node.tag != "!!bool":
                self.err("HF002", f"{self.where(path)}: expected true or false, found {_found(node)}", node, path)
                return _BAD
            return node.value.lower() == "true"
        if k in ("strlist", "command"):
            assert key.item is not None
            if node.kind == "scalar":
                v = self.scalar_text(node, key, path, False)
                if v is _BAD:
                    return v
                if k == "strlist":
                    return [v] if self.text(v, node, key.item, path) else _BAD
                if key.shell:  # one string: a shell command line, run as written
                    if not self.text(v, node, key.item, path) or not self.nonempty(v.strip(), node, path):
                        return _BAD
                    return ["/bin/sh", "-c", v]
                words = _sh_words(v)
                if isinstance(words, tuple):
                    msg, i = words
                    self.err("HF011", f"{self.where(path)}: {_shown(v)}: {msg}", node, path, at=self.char_at(node, i))
                    return _BAD
                ok = all(self.text(w, node, key.item, path, f"{self.where(path)}: the argument {_shown(w)} of") for w in words)
                return words if ok and self.nonempty(words, node, path) else _BAD
            if node.kind != "sequence":
                self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found a {node.kind}", node, path)
                return _BAD
            out = []
            for i, item in enumerate(node.items):
                v = self.value(item, key.item, path + (i,))
                if v is None:
                    self.err("HF002", f"{self.where(path + (i,))}: empty list item", item, path + (i,))
                    v = _BAD
                out.append(v)
            if k == "command" and not self.nonempty(out, node, path):
                return _BAD
            return _BAD if _BAD in out else out
        if k == "strmap":
            assert key.item is not None
            pairs, ok = self.mapping(node, key, path, key.names)
            if not ok:
                return _BAD
            out2: dict[str, Any] = {}
            for name, _kn, vn in pairs:
                v = self.value(vn, key.item, path + (name,))
                if v is None:
                    v = ""
                out2[name] = v
            return _BAD if _BAD in out2.values() else out2
        if k == "objmap":
            pairs, ok = self.mapping(node, key, path, key.names)
            out3: dict[str, Any] = {}
            for name, _kn, vn in pairs:
                out3[name] = self.obj(vn, key, path + (name,))
            return out3 if ok else _BAD
        if k == "objlist":
            if node.kind != "sequence":
                if node.kind == "scalar" and key.short:
                    return [self.obj(node, key, path + (0,))]
                self.err("HF002", f"{self.where(path)}: expected a list, found a {node.kind}", node, path)
                return _BAD
            return [self.obj(item, key, path + (i,)) for i, item in enumerate(node.items)]
        if k == "obj":
            return self._obj(node, key, path)
        raise AssertionError(k)  # pragma: no cover

    def mapping(self, node: Node, key: Key, path: KeyPath, names: Key | None = None) -> tuple[list[tuple[str, Node, Node | None]], bool]:
        """(name, key node, value node) of a mapping and whether all its keys were fine.

        ``<<`` merge keys are expanded as go-yaml does (explicit keys first, then
        merged ones not already set). With ``names`` (the keys of an objmap or
        strmap are names the user chose) each is checked with it, and names
        starting with ``x-`` are the user's own and skipped.
        """
        from hostform import yamlpos

        if node.kind != "mapping":
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found {_found(node)}", node, path)
            return [], False
        items = [(kn, vn) for kn, vn in node.items]
        if any(kn.kind == "scalar" and kn.tag == "!!merge" for kn, _ in items):
            try:
                items = [(kn, vn) for _, kn, vn in yamlpos.struct_items(node, None)]
            except yamlpos.YAMLError as e:
                self.err("HF002", f"{self.where(path)}: `<<` merges a mapping, a list of mappings or an alias of one ({e.problem or e.message})", node, path)
                return [], False
        seen: set[str] = set()
        out: list[tuple[str, Node, Node | None]] = []
        ok = True
        for kn, vn in items:
            if kn.kind != "scalar" or kn.tag == "!!null":
                self.err("HF002", f"{self.where(path)}: a key here is a plain name, not {_found(kn)}", kn, path)
                ok = False
                continue
            name = kn.value
            if name in seen:
                self.err("HF011", f"{self.where(path)}: key {_shown(name)} is given twice", kn, path + (name,))
                ok = False
                continue
            seen.add(name)
            if names is not None and key.own_names and name.startswith(EXTENSION_PREFIX):
                continue  # the user's own (an anchor to alias, a note)
            self.key_positions[path + (name,)] = (kn.line, kn.column)
            if names is not None:
                self.enter(kn)
                self.positions.setdefault(path + (name,), (kn.line, kn.column))
                if not self.text(name, kn, names, path + (name,), self.where(path), noun=f"a name in {key.name}"):
                    ok = False
                    continue
            out.append((name, kn, vn))
        return out, ok

    def obj(self, node: Node | None, key: Key, path: KeyPath) -> Any:
        if node is None or (node.kind == "scalar" and node.tag == "!!null"):
            return self._obj(None, key, path)
        return self.follow(node, key, path, self._obj)

    def _obj(self, node: Node | None, key: Key, path: KeyPath) -> Any:
        if node is None or (node.kind == "scalar" and node.tag == "!!null"):
            if any(f.required for f in key.fields):
                req = next(f.name for f in key.fields if f.required)
                self.err("HF010", f"{self.where(path)}: missing required key {req!r}", node, path)
                return _BAD
            return self.defaults(key, {})
        self.enter(node)
        self.positions[path] = (node.line, node.column)
        if node.kind == "scalar" and key.short:
            f = key.field(key.short)
            assert f is not None
            v = self.value(node, f, path + (key.short,))
            if v is _BAD:
                return _BAD
            return self.defaults(key, {key.short: v})
        pairs, ok = self.mapping(node, key, path)
        out: dict[str, Any] = {}
        bad = not ok
        for name, kn, vn in pairs:
            f = key.field(name)
            if f is None:
                if name.startswith(EXTENSION_PREFIX):
                    continue  # the user's own
                where = f"{self.where(path)}: unknown key" if path else "unknown top-level key"
                self.err("HF023", f"{where} {_shown(name)}{_unknown_hint(name, key)}", kn, path + (name,))
                bad = True
                continue
            if vn is not None:
                self.positions.setdefault(path + (name,), (vn.line, vn.column))
            v = self.value(vn, f, path + (name,)) if f.kind not in ("obj",) else self.obj(vn, f, path + (name,))
            if v is _BAD or (isinstance(v, dict) and _BAD in v.values()) or (isinstance(v, list) and _BAD in v):
                bad = True
                continue
            if v is not None:
                out[name] = v
        for f in key.fields:
            if f.required and f.name not in out and not bad:
                self.err("HF010", f"{self.where(path)}: missing required key {f.name!r}", node, path)
                bad = True
        return _BAD if bad else self.defaults(key, out)

    @staticmethod
    def defaults(key: Key, out: dict[str, Any]) -> dict[str, Any]:
        """``out`` with every missing field that has a default filled in (objects: their own defaults)."""
        for f in key.fields:
            if f.name in out:
                continue
            if f.default is not None:
                out[f.name] = f.default
            elif f.implied:
                out[f.name] = _Walker.defaults(f, {})
        return out


def _shown(v: str) -> str:
    """A value as messages quote it: repr, shortened when long."""
    return repr(v) if len(v) <= 60 else repr(v[:40]) + f"... ({len(v)} characters)"


_CHAR_NAMES = {"\n": "a line break", "\r": "a carriage return", "\x00": "a NUL character", "\t": "a tab",
               "\u2028": "a line separator (U+2028)", "\u2029": "a paragraph separator (U+2029)", "\x7f": "a DEL character"}


def _char_name(c: str) -> str:
    if c in _CHAR_NAMES:
        return _CHAR_NAMES[c]
    if "\ud800" <= c <= "\udfff":
        return "a byte that is not UTF-8"
    return f"the control character U+{ord(c):04X}"


def _accepts(key: Key) -> str:
    if key.enum:
        return "one of " + ", ".join(key.enum)
    return key.accepts or "text on one line"


def _key_parents() -> dict[str, list[str]]:
    from hostform.host.schema import all_keys

    out: dict[str, list[str]] = {}
    for shown, k in all_keys():
        parent = shown.rsplit(".", 1)[0] if "." in shown else ""
        out.setdefault(k.name, []).append(parent or "the top level")
    return out


# What Compose calls the keys a hostform service has under another name.
COMPOSE_NAMES = {"ports": "publish", "environment": "env", "env_file": "env_files", "healthcheck": "health",
                 "deploy": "resources", "container_name": "the service's name", "labels": "labels", "restart": "restart"}


def _unknown_hint(name: str, key: Key) -> str:
    if name in COMPOSE_NAMES and key.field(COMPOSE_NAMES[name].split(" ")[0]) is not None or (
        name == "container_name" and key.name == "services"
    ):
        said = COMPOSE_NAMES[name]
        return f" (in Compose terms: {said} is the container name)" if name == "container_name" else f" (Compose's `{name}` is `{said}` here)"
    hint = _close(name, [x.name for x in key.fields])
    if hint:
        return f" (did you mean {hint!r}?)"
    parents = _key_parents()
    near = name if name in parents else _close(name, list(parents))
    if near:
        where = " and ".join(sorted(set(parents[near]))[:3])
        return f" (`{near}` is a key of {where}); keys of your own start with 'x-'"
    return "; keys of your own start with 'x-'"


_SH_SPECIAL = "|&;<>()$`*?["


def _sh_words(s: str) -> list[str] | tuple[str, int]:
    """The words a POSIX ``sh`` makes of ``s``, when it would expand nothing.

    Single quotes keep everything; double quotes keep all but ``\\`` before
    ``$ ` " \\``; a backslash outside quotes keeps the next character. What sh
    would read as syntax or expand (an unquoted ``| & ; < > ( ) * ? [ $``, a
    backtick, ``$`` or a backtick in double quotes, ``#`` or ``~`` starting a
    word) gives ``(message, index)`` instead: the string would not mean the same
    to sh and to hostform.
    """
    words: list[str] = []
    cur: list[str] | None = None
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in " \t":
            if cur is not None:
                words.append("".join(cur))
                cur = None
            i += 1
            continue
        if cur is None:
            cur = []
            if c in "#~":
                return (f"{c!r} starting a word is shell syntax (a comment, a home directory): quote it, "
                        "or give the command as a list of arguments", i)
        if c == "'":
            j = s.find("'", i + 1)
            if j < 0:
                return "a single quote is not closed", i
            cur.append(s[i + 1 : j])
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and s[j] != '"':
                if s[j] == "\\" and j + 1 < n and s[j + 1] in '$`"\\':
                    cur.append(s[j + 1])
                    j += 2
                    continue
                if s[j] in "$`":
                    return (f"{s[j]!r} in double quotes is expanded by a shell: write \\{s[j]} or use single quotes, "
                            "or run a shell: [sh, -c, '...']", j)
                cur.append(s[j])
                j += 1
            if j >= n:
                return "a double quote is not closed", i
            i = j + 1
        elif c == "\\":
            if i + 1 >= n:
                return "a backslash at the end escapes nothing", i
            cur.append(s[i + 1])
            i += 2
        elif c in _SH_SPECIAL:
            return (f"{c!r} is shell syntax, and a command string is not run by a shell: quote it, or run a shell: "
                    "[sh, -c, '...']", i)
        else:
            cur.append(c)
            i += 1
    if cur is not None:
        words.append("".join(cur))
    return words


_TAG_WORDS = {"!!timestamp": "a date or time", "!!binary": "binary data (!!binary)", "!!null": "nothing",
              "!!map": "a mapping", "!!seq": "a list", "!!merge": "a merge key (<<)"}


def _found(node: Node) -> str:
    if node.kind == "scalar":
        return _shown(node.value)
    return f"a {node.kind}"


def _close(word: str, choices: list[str]) -> str | None:
    """The choice ``word`` is most likely a misspelling of: one or two edits away
    (a letter added, dropped, changed, or two swapped), or close by difflib's measure."""
    near = [c for c in choices if _edits(word.lower(), c.lower()) <= (1 if len(c) <= 4 else 2)]
    if near:
        return min(near, key=lambda c: (_edits(word.lower(), c.lower()), c))
    import difflib

    got = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return got[0] if got else None


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


# ------------------------------------------------------------------ model


def _check_publish(services: list[m.Service], sites: bool, add: _Add, observed: bool = False) -> None:
    """HF021: a published port outside 1-65535, or one host port published twice;
    80 and 443 are Caddy's when there are sites; with observability, the loopback's ports the collector
    scrapes (Caddy's metrics, the container metrics) are taken; HF024: a port opened to the internet."""
    from hostform.observability import CADDY_METRICS_PORT
    from hostform.status.vm import METRICS_PORT

    scraped = ({METRICS_PORT} | ({CADDY_METRICS_PORT} if sites else set())) if observed else set()
    taken: dict[tuple[int, str], list[tuple[str, str, str]]] = {}  # (host port, proto) -> (ip, service, value)
    for s in services:
        for i, p in enumerate(s.publish):
            parsed = m.parse_publish(p)
            if parsed is None:
                continue  # HF011 already
            ip, host, cont, proto = parsed
            path = s.source + ("publish", i)
            bad = [x for x in (host, cont) if not 1 <= x <= 65535]
            if bad:
                add("HF021", f"publish {p!r}: port {bad[0]} is not in 1-65535", path)
                continue
            if host in (80, 443) and sites:
                add("HF011", f"publish {p!r}: ports 80 and 443 are Caddy's (the sites)", path)
                continue
            wild = ip in ("", "0.0.0.0")
            if host in scraped and proto == "tcp" and (wild or ip == "127.0.0.1"):
                add("HF011", f"publish {p!r}: port {host} of the host's loopback is observability's (the collector "
                    "scrapes metrics there)", path)
                continue
            clash = False
            for oip, other, ov in taken.get((host, proto), []):
                if wild or oip in ("", "0.0.0.0") or oip == ip:
                    add("HF021", f"publish {p!r}: host port {host}/{proto} is already published by service {other!r} ({ov!r}); the second container cannot start", path)
                    clash = True
                    break
            taken.setdefault((host, proto), []).append((ip, s.name, p))
            if not clash and wild and host not in (80, 443):
                add("HF024", f"publish {p!r}: service {s.name!r} is reachable from the internet on {host}/{proto} "
                    f"(the target's firewall rule publish_{host}_{proto} opens it); bind it to 127.0.0.1:{host}:{cont} "
                    "to keep it on the VM", path, "warning")


def _check_volume_names(containers: list[m.Service | m.Job], add: _Add) -> None:
    """HF022: volume names that differ only in '-', '_' or '.' (two directories where one was meant?)."""
    first: dict[str, tuple[str, str]] = {}  # squashed name -> (name, "service NAME" or "job NAME")
    for s in containers:
        who = f"{'job' if isinstance(s, m.Job) else 'service'} {s.name!r}"
        for vname, _ in s.volumes:
            key = re.sub(r"[-_.]", "", vname)
            seen = first.setdefault(key, (vname, who))
            if seen[0] != vname:
                add(
                    "HF022",
                    f"volume {vname!r} of {who} and volume {seen[0]!r} of {seen[1]} differ only in "
                    "'-', '_' or '.': they are two different directories; spell one name to share the data",
                    s.source + ("volumes", vname),
                    "warning",
                )


def _check_depends_on(services: Mapping[str, dict[str, Any]], add: _Add) -> None:
    """``depends_on``: each name a service (HF013, with the name probably meant), listed once (HF011),
    not the service itself (HF027); then every cycle (HF027), once per set of services that all
    depend on each other, at the first of them in file order, naming one cycle through it."""
    order = list(services)  # file order
    known = set(order)
    edges: dict[str, list[str]] = {}  # name -> its known dependencies, in listed order
    first_item: dict[tuple[str, str], int] = {}  # (service, dependency) -> index of the item naming it
    for name in order:
        path = ("services", name, "depends_on")
        edges[name] = []
        for i, dep in enumerate(services[name].get("depends_on", ())):
            if (name, dep) in first_item:
                add("HF011", f"depends_on: {dep!r} is listed twice", path + (i,))
                continue
            first_item[(name, dep)] = i
            if dep == name:
                add("HF027", f"service {name!r} depends on itself", path + (i,))
            elif dep not in known:
                hint = _close(dep, sorted(known - {name}))
                add("HF013", f"service {name!r} depends on {dep!r}, which is not a service"
                    + (f" (did you mean {hint!r}?)" if hint else ""), path + (i,))
            else:
                edges[name].append(dep)
    at = {name: i for i, name in enumerate(order)}
    for comp in _cycles(order, edges):
        start = min(comp, key=at.__getitem__)
        # the shortest way from start back to it, through the component (breadth first, listed order)
        back: dict[str, str] = {}  # a service -> the one the search reached it from
        queue = [start]
        for node in queue:
            for dep in edges[node]:
                if dep in comp and dep not in back:
                    back[dep] = node
                    queue.append(dep)
            if start in back:
                break
        ring: list[str] = []  # the services after start, walked backwards
        node = back[start]
        while node != start:
            ring.append(node)
            node = back[node]
        ring.reverse()
        add("HF027", "depends_on cycle: " + " -> ".join([start, *ring, start]),
            ("services", start, "depends_on", first_item[(start, ring[0])]))


def _cycles(order: list[str], edges: Mapping[str, list[str]]) -> list[set[str]]:
    """The strongly connected components of more than one service (Tarjan's algorithm, iterative),
    in the file order of their first service."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in order:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            deps = edges[node]
            if i > 0:
                low[node] = min(low[node], low[deps[i - 1]])
            while i < len(deps) and deps[i] in index:
                if deps[i] in on_stack:
                    low[node] = min(low[node], index[deps[i]])
                i += 1
            if i < len(deps):
                work.append((node, i + 1))
                work.append((deps[i], 0))
                continue
            if low[node] == index[node]:
                comp: set[str] = set()
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.add(x)
                    if x == node:
                        break
                if len(comp) > 1:
                    found.append(comp)
    at = {name: i for i, name in enumerate(order)}
    return sorted(found, key=lambda c: min(at[x] for x in c))


def _service(name: str, s: dict[str, Any], raw: dict[str, Any], add: _Add) -> m.Service:
    """One service from its checked mapping; cross-key rules of the service reported through ``add``."""
    path = ("services", name)
    if name in RESERVED_NAMES and raw.get("sites"):
        add("HF011", f"service name {name!r} is taken by the Caddy container hostform adds for the sites", path)
    h = s.get("health")
    health = None
    if h is not None:
        if "http" in h and "cmd" in h:
            add("HF011", "health: give `http` or `cmd`, not both", path + ("health",))
        elif "http" not in h and "cmd" not in h:
            add("HF010", "health: give `http` (a path) or `cmd` (a command)", path + ("health",))
        elif "http" in h and s.get("port") is None:
            add("HF010", "health.http needs the service's `port`", path + ("health", "http"))
        elif "cmd" in h and h["cmd"][0].upper() in ("CMD", "CMD-SHELL", "NONE"):
            add("HF011", f"health.cmd is the command itself: drop Compose's {h['cmd'][0]!r} (a list runs as it is, "
                "`[sh, -c, '...']` runs a shell)", path + ("health", "cmd", 0))
        health = m.Health(h.get("http"), tuple(h.get("cmd", ())), h["interval"], h["timeout"], h["retries"], h["start_period"])
    env_files = []
    basenames: dict[str, str] = {}
    for i, ef in enumerate(s.get("env_files", [])):
        f = ef["file"]
        where = path + ("env_files", i)
        if f.startswith("/"):
            if ef["embed"]:
                add("HF011", f"env_files: {f!r} is a file on the VM: there is nothing to embed", where + ("embed",))
        else:
            if not ef["embed"]:
                add("HF015", f"env file {f!r} would be written in clear into the Ignition config (readable as instance user data); "
                    f"write {{file: {f}, embed: true}} to accept that, or name a file that is on the VM (an absolute path)", where)
            base = posixpath.basename(f)
            if base in basenames:
                add("HF011", f"env files {basenames[base]!r} and {f!r} would both be {m.ENV_DIR}/{name}/{base} on the VM", where)
            basenames[base] = f
        env_files.append(f)
    for k, v in s.get("extra", {}).items():
        _check_extra(k, v, path + ("extra", k), add)
    if not gate(raw["podman"]).has("lookup-strips-one-quote-pair"):
        singles = [("entrypoint",), *[("extra", k) for k in s.get("extra", {}) if extra_kind(k) in ONE_VALUE_KINDS]]
        for p in singles:
            v = s.get(p[0]) if len(p) == 1 else s["extra"][p[1]]
            if isinstance(v, str) and (v.startswith('"') or v.endswith('"')):
                add("HF011", f"{'.'.join(p)}: podman {raw['podman']}'s quadlet drops the double quotes at either end of "
                    f"this value ({v[:40]!r}); podman {CHANGES.since('lookup-strips-one-quote-pair')} (5.8.2) keeps them", path + p)
    run = _run(s, path, raw, add)
    res = s.get("resources", {})
    bk = s.get("backup")
    backup = None
    if bk is not None:
        if raw.get("backups") is None:
            add("HF010", "backup says what to do before a snapshot, but this host has no `backups`", path + ("backup",))
        elif not bk.get("before") and not bk["stop"]:
            add("HF010", "backup: give `before` (a command run in the container) or `stop: true`", path + ("backup",))
        elif bk["stop"] and s.get("depends_on"):
            dep = s["depends_on"][0]
            add("HF011", f"backup.stop: {name!r} depends on {dep!r}, which keeps it running (systemd's Upholds=): it "
                f"would be started again at once; set `stop: true` on {dep!r} instead (its dependents stop and start with it)",
                path + ("backup", "stop"))
        backup = m.ServiceBackup(tuple(bk.get("before", ())), bk["stop"])
    return m.Service(
        name=name,
        image=run.image,
        command=run.command,
        entrypoint=s.get("entrypoint"),
        env=run.env,
        env_files=tuple(env_files),
        secrets=run.secrets,
        volumes=run.volumes,
        port=s.get("port"),
        publish=tuple(s.get("publish", ())),
        health=health,
        depends_on=tuple(dict.fromkeys(s.get("depends_on", ()))),
        memory=res.get("memory"),
        cpus=res.get("cpus"),
        user=run.user,
        restart=s["restart"],
        auto_update=s["auto_update"] and raw["updates"]["enabled"],
        pod=s.get("pod"),
        read_only=s["read_only"],
        init=s["init"],
        labels=tuple(sorted(s.get("labels", {}).items())),
        extra=tuple(s.get("extra", {}).items()),
        backup=backup,
        source=path,
    )


@dataclass(frozen=True)
class _Run:
    """What a service and a job both say about running their container (schema.IMAGE, COMMAND, ENV, VOLUMES, USER)."""

    image: str
    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    volumes: tuple[tuple[str, str], ...]
    user: str | None
    secrets: tuple[m.SecretUse, ...]


def _secret_uses(s: dict[str, Any], path: KeyPath, raw: dict[str, Any], add: _Add) -> tuple[m.SecretUse, ...]:
    """A service's or a job's ``secrets``; each must be a secret of the host: encrypted in secrets/NAME.age
    or declared under the top-level ``secrets`` (HF013)."""
    uses = []
    for i, u in enumerate(s.get("secrets", [])):
        if "env" in u and "target" in u:
            add("HF011", "a secret goes to an environment variable (env) or a file (target), not both", path + ("secrets", i))
        if u["name"] not in raw.get("secrets", {}) and u["name"] not in raw[SEALED]:
            add("HF013", f"secret {u['name']!r} has no value: `hostform secret set {u['name']}` keeps it encrypted in "
                f"secrets/{u['name']}.age (or declare it under the top-level `secrets`)", path + ("secrets", i, "name"))
        uses.append(m.SecretUse(u["name"], u.get("env"), u.get("target")))
    return tuple(uses)


def _basic_auth_secrets(users: dict[str, Any], raw: dict[str, Any], path: KeyPath, add: _Add) -> tuple[tuple[str, str], ...]:
    """A site's basic_auth users whose password is a secret (HF010/HF011: a hash or a password, one of them;
    HF013: a secret with no value)."""
    out = []
    for user, a in sorted(users.items()):
        at = path + ("basic_auth", user)
        if "hash" in a and "password" in a:
            add("HF011", f"basic_auth {user!r}: give `hash` or `password`, not both", at)
        elif "hash" not in a and "password" not in a:
            add("HF010", f"basic_auth {user!r}: give the password (`password: {{secret: NAME}}`) or its bcrypt `hash`", at)
        elif "password" in a:
            name = a["password"]["secret"]
            declared = raw.get("secrets", {}).get(name)
            if name not in raw[SEALED] and not (isinstance(declared, dict) and declared.get("file")):
                add("HF013", f"basic_auth {user!r}: secret {name!r} has no value: `hostform secret set {name}` keeps it "
                    f"encrypted in secrets/{name}.age", at + ("password", "secret"))
            out.append((user, name))
    return tuple(out)


def _status_secret(raw: dict[str, Any]) -> set[str]:
    """The status token's secret name (when `status` is well formed): only hashed into the Caddyfile."""
    st = raw.get("status")
    return {st["token"]["secret"]} if isinstance(st, dict) and isinstance(st.get("token"), dict) else set()


def _status(raw: dict[str, Any], sites: list[m.SiteSpec], add: _Add) -> m.Status | None:
    """``status``: its site (named, else the first by name) and the token's secret (HF010: no site to serve it;
    HF013: a secret without a value)."""
    st = raw.get("status")
    if not isinstance(st, dict) or not isinstance(st.get("token"), dict):
        return None
    name = st["token"]["secret"]
    if name not in raw[SEALED]:
        add("HF013", f"status: secret {name!r} has no value: `hostform secret set {name}` keeps it encrypted in "
            f"secrets/{name}.age (a long random value: `head -c 32 /dev/urandom | base64 | hostform secret set {name}`)",
            ("status", "token", "secret"))
        return None
    addresses = sorted(sp.address for sp in sites)
    site = st.get("site")
    if site is _BAD:
        return None
    if site is None:
        if not addresses:
            add("HF010", "status needs a site to be served on (Caddy, under /.hostform/): add one under `sites`", ("status",))
            return None
        site = addresses[0]
    elif site not in addresses:
        add("HF011", f"status: site {site!r} is not one of the sites ({', '.join(addresses) or 'none'})", ("status", "site"))
        return None
    return m.Status(site, name)


def _run(s: dict[str, Any], path: KeyPath, raw: dict[str, Any], add: _Add) -> _Run:
    """The container's image, command, environment (sorted), volumes (sorted), user and secrets from a service's
    or a job's checked mapping; two volumes on one path are refused (HF011)."""
    targets: dict[str, str] = {}
    for vname, target in sorted(s.get("volumes", {}).items()):
        if target in targets:
            add("HF011", f"volumes {targets[target]!r} and {vname!r} are both mounted at {target}: podman refuses two mounts "
                "on one path", path + ("volumes", vname))
        targets.setdefault(target, vname)
    return _Run(
        image=s["image"],
        command=tuple(s.get("command", ())),
        env=tuple(sorted(s.get("env", {}).items())),
        volumes=tuple((vname, str(target)) for vname, target in sorted(s.get("volumes", {}).items())),
        user=s.get("user"),
        secrets=_secret_uses(s, path, raw, add),
    )


def _job(name: str, j: dict[str, Any], raw: dict[str, Any], services: Mapping[str, Any], add: _Add) -> m.Job:
    """One job from its checked mapping. Its unit is NAME.service, so its name must not be taken by
    another unit hostform writes: a service's, Caddy's, a network's or a pod's (HF011)."""
    path = ("jobs", name)
    taken = None
    if name in services:
        taken = f"the service {name!r} (both would be {name}.service)"
    elif name in RESERVED_NAMES and raw.get("sites"):
        taken = "the Caddy container hostform adds for the sites"
    else:
        units = {f"{raw['network']}-network": f"the network {raw['network']!r} (its unit {raw['network']}-network.service)"}
        if raw.get("sites"):
            sites = m.sites_network_name(raw["network"])
            units[f"{sites}-network"] = f"the network {sites!r} (its unit {sites}-network.service)"
        for sname, sv in services.items():
            if isinstance(sv, dict) and sv.get("pod"):
                units.setdefault(f"{sv['pod']}-pod", f"the pod {sv['pod']!r} of service {sname!r} (its unit {sv['pod']}-pod.service)")
        taken = units.get(name)
    if taken is not None:
        add("HF011", f"job name {name!r} is taken by {taken}: choose another name", path)
    run = _run(j, path, raw, add)
    return m.Job(name=name, image=run.image, schedule=j["schedule"], command=run.command, env=run.env, volumes=run.volumes,
                 user=run.user, secrets=run.secrets, pull=raw["updates"]["enabled"], timeout=j["timeout"], source=path)


def _check_extra(key: str, value: str, path: KeyPath, add: _Add) -> None:
    """An ``extra`` value as quadlet will read it for that key: true/false for a boolean key;
    for a key that takes words, words systemd can run (no lone ';')."""
    kind = extra_kind(key)
    if kind in BOOL_KINDS and value.lower() not in ("1", "yes", "true", "on", "0", "no", "false", "off"):
        add("HF011", f"extra.{key}: {_shown(value)} is not true or false (quadlet reads anything else as false)", path)
    elif kind in WORD_KINDS:
        from hostform.quadlet.unitfile import SplitError, split_words

        try:
            words = split_words(value)
        except SplitError as e:
            add("HF011", f"extra.{key}: quadlet cannot split {_shown(value)} into words: {e}", path)
            return
        if ";" in words:
            add("HF011", f"extra.{key}: a lone ';' word separates commands in systemd's ExecStart: quote it inside a word", path)


def _build(raw: dict[str, Any], add: _Add) -> m.Host:
    """The model from the checked, default-filled mapping: the rules that span keys."""
    services = [_service(name, raw["services"][name], raw, add) for name in sorted(raw.get("services", {})) if raw["services"][name] is not _BAD]
    raw_services = raw.get("services", {})
    jobs = [_job(name, raw["jobs"][name], raw, raw_services, add) for name in sorted(raw.get("jobs", {})) if raw["jobs"][name] is not _BAD]
    _check_publish(services, bool(raw.get("sites")), add, observed=raw.get("observability") is not None)
    _check_volume_names([*services, *jobs], add)
    _check_depends_on(raw.get("services", {}), add)
    by_name = {s.name: s for s in services}
    known = set(raw.get("services", {}))
    sites = []
    seen_addr: dict[str, str] = {}
    for addr in sorted(raw.get("sites", {})):
        v = raw["sites"][addr]
        path = ("sites", addr)
        if v is _BAD:
            continue
        for a in (addr, *v.get("aliases", ())):
            if a in seen_addr:
                add("HF011", f"site address {a!r} is already served by the site {seen_addr[a]!r}", path)
            seen_addr.setdefault(a, addr)
        for i, a in enumerate(v.get("redirect_from", ())):
            if a in seen_addr:
                add("HF011", f"redirect_from: {a!r} is already served by the site {seen_addr[a]!r}", path + ("redirect_from", i))
            seen_addr.setdefault(a, addr)
        lower: dict[str, str] = {}
        for h in v.get("headers", {}):
            if h.lower() in lower:
                add("HF011", f"headers: {h!r} and {lower[h.lower()]!r} are the same header (names are case-insensitive)", path + ("headers", h))
            lower.setdefault(h.lower(), h)
        enc = v.get("encode", ())
        for e in sorted({e for e in enc if list(enc).count(e) > 1}):
            add("HF011", f"encoding {e!r} is listed twice", path + ("encode",))
        svc_name = v["service"]
        svc = by_name.get(svc_name)
        if svc is None:
            if svc_name not in known:
                hint = _close(svc_name, sorted(known))
                add("HF013", f"site {addr!r} proxies to {svc_name!r}, which is not a service" + (f" (did you mean {hint!r}?)" if hint else ""), path + ("service",))
            continue
        port = v.get("port", svc.port)
        if port is None:
            add("HF014", f"site {addr!r}: service {svc_name!r} has no `port` to proxy to", path)
            continue
        reached = svc.pod if svc.pod and not supported(raw["podman"], "Pod", "NetworkAlias") else svc_name
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", reached):
            what = "service" if reached == svc_name else f"pod (podman {raw['podman']} reaches a pod member by the pod's name)"
            add("HF011", f"site {addr!r}: Caddy reaches the {what} {reached!r} by that name, which must be a host name "
                "(lower-case letters, digits and '-'): rename it", path + ("service",))
            continue
        sites.append(m.SiteSpec(
            addr, svc_name, port, tuple(v.get("aliases", ())), tuple(enc),
            redirect_from=tuple(v.get("redirect_from", ())),
            headers=tuple(v.get("headers", {}).items()),
            basic_auth=tuple(sorted((u, a["hash"]) for u, a in v.get("basic_auth", {}).items() if "hash" in a)),
            basic_auth_secrets=_basic_auth_secrets(v.get("basic_auth", {}), raw, path, add),
            caddy=v.get("caddy"),
            source=path,
        ))
    secrets = []
    for name in sorted(raw.get("secrets", {})):
        v = raw["secrets"][name]
        if v is _BAD:
            continue
        path = ("secrets", name)
        if name in set(raw[SEALED]):  # the files there (not "any": see _AnySecret)
            add("HF011", f"secret {name!r} has its value in secrets/{name}.age already: remove this entry (or the file, "
                f"`hostform secret rm {name}`)", path)
        if v.get("file") and not v["embed"]:
            add("HF015", f"secret {name!r} would be written in clear into the Ignition config (readable as instance user data); set `embed: true` to accept that, or create the secret on the VM and drop `file`", path + ("file",))
        if v["embed"] and not v.get("file"):
            add("HF010", f"secret {name!r}: `embed` needs a `file`", path + ("embed",))
        secrets.append(m.Secret(name, v.get("file"), v["embed"], path))
    # a secret only hashed into the Caddyfile (a basic_auth password) is not sent to the VM
    observability = _observability(raw, add)
    otlp_secrets = {h.secret for h in observability.headers if h.secret} if observability is not None else set()
    backups = _backups(raw, add)
    backup_secrets = set(backups.secrets) if backups is not None else set()
    hashed_only = (({name for sp in sites for _, name in sp.basic_auth_secrets} | _status_secret(raw))
                   - {u.name for c in services for u in c.secrets} - {u.name for j in jobs for u in j.secrets}
                   - {v["password"]["secret"] for v in raw.get("registries", {}).values() if v is not _BAD} - otlp_secrets
                   - backup_secrets)
    for name in raw[SEALED]:
        if name not in raw.get("secrets", {}):
            secrets.append(m.Secret(name, sealed_path(name), source=("secrets",), sealed=True, hashed_only=name in hashed_only))
    secrets.sort(key=lambda x: x.name)
    registries = []
    for reg in sorted(raw.get("registries", {})):
        v = raw["registries"][reg]
        if v is _BAD:
            continue
        path = ("registries", reg)
        pw = v["password"]["secret"]
        if pw not in raw.get("secrets", {}) and pw not in raw[SEALED]:
            add("HF013", f"registry {reg!r}: secret {pw!r} has no value: `hostform secret set {pw}` keeps it encrypted in "
                f"secrets/{pw}.age", path + ("password", "secret"))
        elif pw in raw.get("secrets", {}) and not raw["secrets"][pw].get("file"):
            add("HF011", f"registry {reg!r}: secret {pw!r} exists only on the VM, so hostform cannot write the registry "
                f"credentials: keep it encrypted (`hostform secret set {pw}`)", path + ("password", "secret"))
        registries.append(m.Registry(reg, v["username"], pw, path))
    status = _status(raw, sites, add)
    containers: list[m.Service | m.Job] = [*services, *jobs]
    sealed_used = ({u.name for c in containers for u in c.secrets} | {r.password_secret for r in registries}
                   | {name for sp in sites for _, name in sp.basic_auth_secrets} | otlp_secrets | backup_secrets
                   | ({status.token_secret} if status else set()))
    if any(sec.sealed for sec in secrets if sec.name in sealed_used) and not raw.get("recipients"):
        add("HF010", "this host has encrypted secrets (secrets/*.age) but no `recipients`: list the age public keys "
            "that may decrypt them, so `hostform secret set` and `rekey` know whom to encrypt to", (), "warning")
    quadlet_names: dict[str, int] = {}
    generated = ({f"{raw['network']}.network"} | {f"{s.name}.container" for s in services} | {f"{s.pod}.pod" for s in services if s.pod}
                 | {f"{j.name}.container" for j in jobs})
    if raw.get("sites"):
        generated |= {"caddy.container", f"{m.sites_network_name(raw['network'])}.network"}
    if observability is not None:
        from hostform.observability import QUADLET_NAME

        generated.add(QUADLET_NAME)
    for i, rel in enumerate(raw.get("quadlets", ())):
        base = posixpath.basename(rel)
        if base in generated:
            add("HF011", f"quadlets: {rel!r} would replace the {base} hostform writes for this host file", ("quadlets", i))
        elif base in quadlet_names:
            add("HF011", f"quadlets: {rel!r} and {raw['quadlets'][quadlet_names[base]]!r} are both {base} on the VM", ("quadlets", i))
        quadlet_names.setdefault(base, i)
    tls = raw["tls"]
    up = raw["updates"]
    acc = raw.get("access", {})
    target, state = _target_and_state(raw, raw["state"], add)
    host = m.Host(
        name=raw["name"],
        podman=raw["podman"],
        butane_version=raw["butane_version"],
        services=tuple(services),
        jobs=tuple(jobs),
        sites=tuple(sites),
        tls=m.Tls(tls.get("email"), tls["ca"]),
        updates=m.Updates(up["schedule"], up["randomized_delay"], up["enabled"]),
        state=state,
        secrets=tuple(secrets),
        registries=tuple(registries),
        recipients=tuple(raw.get("recipients", ())),
        access=m.Access(tuple(acc.get("ssh_keys", ()))),
        network=raw["network"],
        quadlets=tuple(raw.get("quadlets", ())),
        butane=tuple(raw.get("butane", ())),
        target=target,
        observability=observability,
        status=status,
        backups=backups,
    )
    kept = [x for x in ("sites" if host.sites else "", "volumes" if any(s.volumes for s in services) or any(j.volumes for j in jobs) else "") if x]
    if kept and not state.volume and target is not None and target.provider != "local":
        what = " and ".join({"sites": "Caddy's certificates", "volumes": "the volumes"}[x] for x in kept)
        add("HF025", f"there is no state volume (target.state_volume: false): {what} live on the root disk and are lost "
            "each time the VM is replaced", ("target", "state_volume"), "warning")
    return host


def _observability(raw: dict[str, Any], add: _Add) -> m.Observability | None:
    """``observability``: each header has a value or a secret (one of them), and a secret has a value."""
    ob = raw.get("observability")
    if ob is None or ob is _BAD:
        return None
    path: KeyPath = ("observability",)
    headers = []
    for name, h in ob.get("headers", {}).items():
        if h is _BAD:
            continue
        at = path + ("headers", name)
        if ("value" in h) == ("secret" in h):
            add("HF010", f"header {name!r}: give its `value` or the `secret` holding it (one of them)", at)
            continue
        sec = h.get("secret")
        if sec is not None and sec not in raw.get("secrets", {}) and sec not in raw[SEALED]:
            add("HF013", f"header {name!r}: secret {sec!r} has no value: `hostform secret set {sec}` keeps it encrypted in "
                f"secrets/{sec}.age", at + ("secret",))
        headers.append(m.OtlpHeader(name, h.get("value"), sec))
    lower: dict[str, str] = {}
    for h in headers:
        if h.name.lower() in lower:
            add("HF011", f"headers: {h.name!r} and {lower[h.name.lower()]!r} are the same header (names are case-insensitive)",
                path + ("headers", h.name))
        lower.setdefault(h.name.lower(), h.name)
    secret = next((h.name for h in headers if h.secret is not None), None)
    if secret is not None and isinstance(ob.get("endpoint"), str) and ob["endpoint"].startswith("http://"):
        add("HF028", f"endpoint {ob['endpoint']!r} is http://: header {secret!r}, a secret, would travel in clear with every "
            "batch; use https://", path + ("endpoint",), "warning")
    return m.Observability(ob["endpoint"], ob["image"], tuple(headers), ob["interval"], path)


# restic's environment variables that are credentials: refused as a value written in the host file (HF015)
CREDENTIAL_VARIABLES = frozenset({
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "RESTIC_REST_PASSWORD", "B2_ACCOUNT_KEY", "AZURE_ACCOUNT_KEY",
    "AZURE_ACCOUNT_SAS", "AZURE_CLIENT_SECRET", "GOOGLE_ACCESS_TOKEN", "OS_PASSWORD", "OS_APPLICATION_CREDENTIAL_SECRET",
    "ST_KEY", "OS_AUTH_TOKEN", "RCLONE_CONFIG_PASS"})


def _backups(raw: dict[str, Any], add: _Add) -> m.Backups | None:
    """``backups``: every secret it names has a value hostform ships (HF013); sftp needs the key and the host keys (HF010)."""
    bk = raw.get("backups")
    if bk is None or bk is _BAD:
        return None
    path: KeyPath = ("backups",)

    def shipped(name: str, at: KeyPath, what: str) -> None:
        """A podman secret restic's container is given: kept encrypted, or declared (a file, or already on the VM)."""
        if name not in raw[SEALED] and name not in raw.get("secrets", {}):
            add("HF013", f"{what}: secret {name!r} has no value: `hostform secret set {name}` keeps it encrypted in "
                f"secrets/{name}.age", at)

    password = bk["password"]["secret"]
    shipped(password, path + ("password", "secret"), "backups.password")
    env = []
    for name, e in bk.get("env", {}).items():
        if e is _BAD:
            continue
        at = path + ("env", name)
        if ("value" in e) == ("secret" in e):
            add("HF010", f"env {name!r}: give its `value` or the `secret` holding it (one of them)", at)
            continue
        if name.upper().startswith("RESTIC_") and name.upper() not in ("RESTIC_REST_USERNAME", "RESTIC_REST_PASSWORD",
                                                                       "RESTIC_COMPRESSION", "RESTIC_PACK_SIZE"):
            add("HF011", f"env {name!r} is hostform's to set (the repository, its password, the host, the cache): "
                "use the keys of `backups` for them", at)
            continue
        if "secret" in e:
            shipped(e["secret"], at + ("secret",), f"backups.env.{name}")
        elif name.upper() in CREDENTIAL_VARIABLES:
            add("HF015", f"env {name!r} is a credential: written here it is in clear in this file and on the VM; "
                f"keep it as a secret ({{secret: NAME}}, `hostform secret set NAME`)", at + ("value",))
        env.append(m.BackupEnv(name, e.get("value"), e.get("secret")))
    key = bk.get("ssh_key", {}).get("secret") if isinstance(bk.get("ssh_key"), dict) else None
    if key is not None:
        shipped(key, path + ("ssh_key", "secret"), "backups.ssh_key")
    repo = bk["repository"]
    known = tuple(bk.get("known_hosts", ()))
    if isinstance(repo, str) and repo.startswith("sftp:"):
        if key is None:
            add("HF010", "an sftp: repository needs `ssh_key` (the secret holding restic's private key)", path + ("repository",))
        if not known:
            add("HF010", "an sftp: repository needs `known_hosts` (`ssh-keyscan HOST`): ssh accepts no unknown host key",
                path + ("repository",))
    elif key is not None or known:
        add("HF011", "ssh_key and known_hosts are for an sftp: repository", path + ("ssh_key" if key is not None else "known_hosts",))
    kp = bk["keep"]
    keep = tuple((k, kp[k]) for k in ("daily", "weekly", "monthly", "yearly") if kp[k])
    if not keep and bk["prune"]:
        add("HF011", "keep: every count is 0: each backup would forget every snapshot but the latest", path + ("keep",))
    if isinstance(repo, str) and repo.startswith("rest:http://") and any(e.name == "RESTIC_REST_PASSWORD" for e in env):
        add("HF029", f"repository {repo!r} is http://: the REST server's password would travel in clear with every request "
            "(the snapshots are encrypted by restic either way); use https://", path + ("repository",), "warning")
    return m.Backups(repository=repo, password_secret=password, image=bk["image"], schedule=bk["schedule"], keep=keep,
                     env=tuple(env), ssh_key_secret=key, known_hosts=known, restore=bk["restore"], timeout=bk["timeout"],
                     prune=bk["prune"])


def _target_and_state(raw: dict[str, Any], st: dict[str, Any], add: _Add) -> tuple[Target | None, m.State]:
    """The target (``terraform.model.parse_target``, its findings located here) and the state disk.

    One source of truth each: the volume's size is ``state.size``; its device
    is ``state.device`` or ``target.state_volume.device`` (not both), else the
    provider's default, else /dev/vdb.
    """
    from hostform.terraform.model import parse_target, size_to_gb
    from hostform.terraform.render import volume_name

    size = st.get("size", "10GiB")
    device = st.get("device")
    if "target" not in raw:
        return None, m.State(size, device or "/dev/vdb", st.get("path", "/var/mnt/state"), st.get("format", "ext4"))
    data = dict(raw["target"])
    sv = data.get("state_volume")  # the walker gives {enabled, device} (a bare boolean is {enabled: ...})
    if device is not None:
        given = sv.get("device") if isinstance(sv, dict) else None
        if given not in (None, device):
            add("HF011", f"the state device is given twice: state.device {device!r} and target.state_volume.device {given!r}; keep one", ("target", "state_volume", "device"))
        if isinstance(sv, dict):
            data["state_volume"] = dict(sv, device=device)
        elif sv is None and data.get("provider") != "local":
            data["state_volume"] = {"device": device}
    target, trep = parse_target(data, ("target",), size_to_gb(size) or 10)
    for d in trep:
        add(d.code, d.message, d.path or ("target",), d.severity)
    if target is None:
        return None, m.State(size, device or "/dev/vdb", st.get("path", "/var/mnt/state"), st.get("format", "ext4"))
    dev = target.device(volume_name(raw["name"]))
    return target, m.State(size, dev or device or "/dev/vdb", st.get("path", "/var/mnt/state"), st.get("format", "ext4"), dev is not None)


def _podman_of(root: Node) -> str:
    """The host file's ``podman`` value, read ahead: some checks of other keys depend on it."""
    if root.kind == "mapping":
        for k, v in root.items:
            if k.kind == "scalar" and k.value == "podman" and v.kind == "scalar" and v.value in VERSIONS:
                return str(v.value)
    return DEFAULT_PODMAN_VERSION


class _AnySecret(tuple[str, ...]):
    """The encrypted secrets' names, where a secret not set yet counts as set (``hostform secret``)."""

    def __contains__(self, name: object) -> bool:
        return True


def load_text(
    text: str | bytes, file: str = "hostform.yaml", podman: str | None = None, sealed: Collection[str] = (), unset_ok: bool = False
) -> Loaded:
    """Parse and check a host file; ``host`` is None when it has errors.

    ``podman`` (a release of the quadlet version table) overrides the file's ``podman:``
    for every rule that depends on it, as if the file said so (``--podman``). ``sealed``: the names
    of the project's encrypted secrets (:func:`hostform.secrets.sealed_names`); with ``unset_ok`` a
    secret that is used but has no value yet is no error (``hostform secret``, which sets them)."""
    from hostform import yamlpos

    rep = Report()
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    from hostform.host.yamlerror import hidden_break, second_document

    hidden = hidden_break(text)  # a line break YAML reads where an editor shows none
    if hidden is not None:
        rep.add(Diagnostic("error", "HF011", hidden[2], None, file, hidden[0], hidden[1], 1))
        return Loaded(None, rep, {}, file)
    try:
        root = yamlpos.load(text)
    except (yamlpos.YAMLError, RecursionError) as e:
        from hostform.host.yamlerror import describe

        if isinstance(e, RecursionError):
            e = yamlpos.YAMLError("yaml: exceeded max depth of 10000")
        line, col, msg = describe(e, text)
        rep.add(Diagnostic("error", "HF001", msg, None, file, line, col))
        return Loaded(None, rep, {}, file)
    second = second_document(text, root, file)  # go-yaml would ignore it
    if second is not None:
        rep.add(Diagnostic("error", "HF001", second[2], None, file, second[0], second[1]))
        return Loaded(None, rep, {}, file)
    if root is None or (root.kind == "scalar" and root.tag == "!!null"):
        rep.add(Diagnostic("error", "HF010", "the host file is empty: it needs at least `name`", (), file, 1, 1))
        return Loaded(None, rep, {}, file)
    w = _Walker(file, text, {"podman": podman or _podman_of(root)})
    try:
        raw = w.obj(root, HOST, ())
    except _TooMuch as e:
        at = e.node
        name = f"*{at.alias_name}" if at.alias_name else "its aliases"
        rep.add(Diagnostic("error", "HF001", f"the host file expands to too many values through {name} (as YAML readers "
                           "limit it): use the anchor fewer times", None, file, at.line, at.column))
        return Loaded(None, rep, {}, file)
    rep.merge(w.report)
    if raw is _BAD or rep.is_fatal():
        return Loaded(None, rep, w.positions, file, w.key_positions)
    if podman:
        raw["podman"] = podman
    raw[SEALED] = _AnySecret(sorted(sealed)) if unset_ok else tuple(sorted(sealed))

    def add(code: str, msg: str, path: KeyPath, severity: str = "error") -> None:
        line, col = _position(w.positions, path)
        rep.add(Diagnostic(severity, code, msg, path, file, line, col))

    host = _build(raw, add)
    return Loaded(None if rep.is_fatal() else host, rep, w.positions, file, w.key_positions)


def load_target_text(text: str | bytes, file: str = "target.json") -> tuple[Target | None, Report]:
    """A plain project's ``target.json`` (JSON is YAML): the host file's ``target:`` contract, walked
    by the same walker, then :func:`hostform.terraform.model.parse_target`; findings located in ``file``."""
    from hostform import yamlpos
    from hostform.host.schema import TARGET
    from hostform.host.yamlerror import describe
    from hostform.terraform.model import parse_target

    rep = Report()
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    try:
        root = yamlpos.load(text)
    except yamlpos.YAMLError as e:
        line, col, msg = describe(e, text)
        rep.add(Diagnostic("error", "HF001", msg, None, file, line, col))
        return None, rep
    if root is None or (root.kind == "scalar" and root.tag == "!!null"):
        rep.add(Diagnostic("error", "HF010", f"{file} is empty: it needs at least `provider`", (), file, 1, 1))
        return None, rep
    w = _Walker(file, text)
    try:
        raw = w.obj(root, TARGET, ())
    except _TooMuch as e:
        rep.add(Diagnostic("error", "HF001", "too many values through aliases", None, file, e.node.line, e.node.column))
        return None, rep
    rep.merge(w.report)
    if raw is _BAD or rep.is_fatal():
        return None, rep
    target, trep = parse_target(raw, ())
    for d in trep:
        line, col = w.positions.get(tuple(d.path or ()), (1, 1))
        rep.add(d.located(file, line, col))
    return target, rep


def load_file(path: str | os.PathLike[str], display: str | None = None, podman: str | None = None, unset_ok: bool = False) -> Loaded:
    """:func:`load_text` of the host file at ``path``, whose directory is the project (its encrypted secrets)."""
    from pathlib import Path

    from hostform._inputs import HOST_FILE_CAP, InputError, read_input
    from hostform.secrets import sealed_names

    p = Path(path)
    name = display or p.name
    # a regular file of at most 1 MiB (a FIFO or /dev/zero must not hang the build); the
    # file the user named is read wherever a symlink leads, unlike the files it names
    data = read_input(None, str(p), HOST_FILE_CAP, "a host file")
    if isinstance(data, InputError):
        rep = Report()
        rep.add(Diagnostic("error", "HF004", f"{name} {data}", None, name, 0, 0))
        return Loaded(None, rep, {}, name)
    return load_text(data, name, podman, sealed_names(p.parent), unset_ok)
