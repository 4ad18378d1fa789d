"""Compose YAML as positioned values: every value remembers the file, line and column it was written at.

:func:`from_yaml` turns a :mod:`hostform.yamlpos` node tree into :class:`V` values, following aliases and
applying ``<<`` merge keys the way go-yaml decodes them (what compose-go reads with), so that a value reached
through an anchor, a merge key, an ``extends`` or an override file still points at the place where it was
written. Merging and ``extends`` (:mod:`hostform.compose.project`) move :class:`V` values around without
touching their positions; interpolation replaces a scalar's value and keeps its position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from hostform.yamlpos import Node

__all__ = ["Scalar", "TooMuch", "V", "Where", "from_yaml", "key_path", "plain"]

Scalar = Union[str, int, float, bool, None]


@dataclass(frozen=True)
class Where:
    """A position in a file the user wrote (1-based line and column)."""

    file: str
    line: int
    col: int


@dataclass(eq=False)
class V:
    """A Compose value: a mapping (``dict[str, V]``, in document order), a list of :class:`V`, or a scalar.

    ``at``: where the value is written; for a mapping entry, where its key is (what a reader looks for).
    ``tag``: ``!reset`` or ``!override`` when the file says so (override files), else ``""``."""

    value: dict[str, V] | list[V] | Scalar
    at: Where
    tag: str = ""
    notes: list[str] = field(default_factory=list)  # what reading it found (duplicate keys), reported by the importer

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def map(self) -> dict[str, V]:
        return self.value if isinstance(self.value, dict) else {}

    def list(self) -> list[V]:
        return self.value if isinstance(self.value, list) else []

    def text(self) -> str | None:
        """The scalar as Compose reads it into a string (Go's ``fmt.Sprint``: ``1.0`` is "1", ``0x1F`` "31"), None for
        null or a collection."""
        v = self.value
        if v is None or isinstance(v, (dict, list)):
            return None
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return go_float_text(v)
        return str(v)

    def get(self, key: str) -> V | None:
        return self.map().get(key)

    def copy(self) -> V:
        """A deep copy (positions kept)."""
        v = self.value
        if isinstance(v, dict):
            return V({k: x.copy() for k, x in v.items()}, self.at, self.tag, list(self.notes))
        if isinstance(v, list):
            return V([x.copy() for x in v], self.at, self.tag, list(self.notes))
        return V(v, self.at, self.tag, list(self.notes))


def go_float_text(f: float) -> str:
    """``fmt.Sprint`` of a Go float64 (``%v``: the shortest digits, an exponent below 1e-4 and from 1e6 on)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, f) < 0 else ""
    if f == 0:
        return sign + "0"
    _, digits, exp = Decimal(repr(abs(f))).normalize().as_tuple()
    assert isinstance(exp, int)
    d = "".join(map(str, digits))
    point = len(d) + exp  # the decimal point is after this many digits
    x = point - 1
    if x < -4 or x >= 6:
        return f"{sign}{d[0]}{'.' + d[1:] if len(d) > 1 else ''}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{d}"
    if point >= len(d):
        return sign + d + "0" * (point - len(d))
    return f"{sign}{d[:point]}.{d[point:]}"


def plain(v: V | None) -> object:
    """The plain Python value (dicts, lists, scalars)."""
    if v is None:
        return None
    if isinstance(v.value, dict):
        return {k: plain(x) for k, x in v.value.items()}
    if isinstance(v.value, list):
        return [plain(x) for x in v.value]
    return v.value


class TooMuch(Exception):
    """The document expands to more values through aliases than go-yaml allows (or an anchor contains itself)."""

    def __init__(self, message: str, at: Where) -> None:
        super().__init__(message)
        self.at = at


MAX_DEPTH = 100  # levels of mappings and lists; Compose files use about 6 (the functions below recurse)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.decoded = 0
        self.aliased = 0
        self.alias_depth = 0
        self.active: list[Node] = []
        self.depth = 0

    def where(self, n: Node) -> Where:
        return Where(self.file, n.line or 1, n.column or 1)

    def value(self, n: Node, at: Where | None = None) -> V:
        from hostform.yamlpos import excessive_aliasing

        self.decoded += 1
        if self.alias_depth:
            self.aliased += 1
        if self.aliased > 100 and excessive_aliasing(self.decoded, self.aliased):
            raise TooMuch("the document expands to too many values through aliases (as YAML readers limit it)", self.where(n))
        if n.alias is not None:
            t = n.alias
            if any(a is t for a in self.active):
                raise TooMuch(f"the anchor '{n.alias_name}' contains itself", self.where(n))
            self.active.append(t)
            self.alias_depth += 1
            try:
                return self.value(t, at)
            finally:
                self.alias_depth -= 1
                self.active.pop()
        pos = at or self.where(n)
        tag = n.tag if n.tag in ("!reset", "!override") else ""
        if n.kind == "scalar":
            return V(self.scalar(n), pos, tag)
        if self.depth >= MAX_DEPTH:
            return V(None, pos, "", [f"{pos.line}:{pos.col}: a value nested more than {MAX_DEPTH} levels deep is ignored"])
        self.depth += 1
        try:
            if n.kind == "sequence":
                return V([self.value(x) for x in n.items], pos, tag)
            out: dict[str, V] = {}
            notes: list[str] = []
            self.fill(n, out, notes, None)
            return V(out, pos, tag, notes)
        finally:
            self.depth -= 1

    def fill(self, n: Node, out: dict[str, V], notes: list[str], merged: set[str] | None) -> None:
        """A mapping's entries into ``out``: explicit keys first, then those of ``<<`` merges not set (go-yaml)."""
        if n.kind != "mapping":
            return
        if any(a is n for a in self.active) and merged is not None:
            raise TooMuch(f"the anchor '{n.anchor}' contains itself", self.where(n))
        merge: Node | None = None
        for k, v in n.items:
            kk = k.alias if k.alias is not None else k
            if kk.kind == "scalar" and kk.value == "<<" and kk.tag == "!!merge":
                merge = v
                continue
            if kk.kind != "scalar" or (kk.tag == "!!null"):
                notes.append(f"{k.line}:{k.column}: a key that is not a string is ignored")
                continue
            key = kk.value
            if merged is not None:
                if key in merged or key in out:
                    continue
            elif key in out:
                notes.append(f"{k.line}:{k.column}: key {key!r} is given twice: the first is kept")
                continue
            out[key] = self.value(v, self.where(k))
        if merge is None:
            return
        m = merge.alias if merge.alias is not None else merge
        sources = [m] if m.kind == "mapping" else [x.alias if x.alias is not None else x for x in m.items] if m.kind == "sequence" else []
        seen = merged if merged is not None else set(out)
        self.alias_depth += 1 if merge.alias is not None else 0
        self.active.append(n)
        try:
            for src in sources:
                if src.kind != "mapping":
                    notes.append(f"{src.line}:{src.column}: a merge key (<<) takes a mapping or a list of mappings")
                    continue
                self.fill(src, out, notes, seen)
        finally:
            self.active.pop()
            self.alias_depth -= 1 if merge.alias is not None else 0

    @staticmethod
    def scalar(n: Node) -> Scalar:
        if n.tag in ("!!str", "!reset", "!override"):
            return n.value if n.tag == "!!str" or n.value not in ("", "null", "~") else None
        from hostform.yamlpos import YAMLError, resolve

        try:
            v = resolve(n)
        except YAMLError:
            return n.value
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        return n.value  # a timestamp or !!binary: the text as written (Compose reads it into a string)


def from_yaml(root: Node, file: str) -> V:
    """The positioned value of a parsed document; raises :class:`TooMuch`."""
    return _Reader(file).value(root)


_PLAIN_KEY = __import__("re").compile(r"[^.\[\]\s:]+")


def key_path(path: str, key: str) -> str:
    """``path.key``, or ``path`` alone when the key cannot be a segment of a dotted path (it holds '.', '[', ']',
    ':' or white space): the report's message names it then."""
    if not _PLAIN_KEY.fullmatch(key):
        return path
    return f"{path}.{key}" if path else key
