"""YAML node tree -> Butane config as plain dicts, with go-yaml's semantics.

:func:`decode` does what ``yaml.Decoder.Decode`` into Butane's Go structs
does: it keeps the keys the schema knows (snake_case, only those present and
not null), decodes scalars with go-yaml's rules, and collects go-yaml's type
errors (``line 5: cannot unmarshal !!map into []v0_7.File``) in document
order.  :func:`unused_keys` is Ignition's ``ValidateUnusedKeys`` run over the
same structs: it looks keys up on the raw node tree (merge keys are not
expanded there, as in vcontext's tree) and warns about keys that no field
uses.
"""

from __future__ import annotations

from hostform.butane.report import Key
from hostform.butane.schema import SLICE_NAMED

TYPE_CHECKING = False  # typing-only imports: this module is on the start-up path of `hostform butane`
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol

    from hostform.diagnostics import DataPath
    from hostform.yamlpos import Node, YAMLError

    class Structs(Protocol):
        """What decoding needs of a schema (``schema.Schema``, or the two common fields alone)."""

        @property
        def structs(self) -> Mapping[str, list[tuple[str, str]]]: ...

        def go_name(self, t: str) -> str: ...

_PRIMS = {"string": "string", "int": "int", "bool": "bool"}


def _terror(node: Node, go_type: str) -> str:
    from hostform import yamlpos

    return yamlpos.type_error(node, go_type).message


def _is_null(node: Node) -> bool:
    return node.kind == "scalar" and node.tag == "!!null"


class Decoder:
    """go-yaml's decoder into the schema's structs.  ``errors`` collects its
    type errors (strings or YAMLTypeError); a hard failure (a bad merge
    value, an anchor containing itself, a value contradicting its tag)
    raises YAMLError, and go-yaml then reports that alone."""

    def __init__(self, sch: Structs) -> None:
        self.sch = sch
        self.errors: list[str | YAMLError] = []
        self.fields: dict[str, dict[str, str]] = {}

    def value(self, t: str, node: Node) -> Any:
        """Decode ``node`` as Go type ``t``; None means unset (nil / null)."""
        if t.startswith("*"):
            t = t[1:]
        n = node.alias if node.alias is not None else node
        if t in _PRIMS or (t not in self.sch.structs and t not in SLICE_NAMED and not t.startswith("[]")):
            kind = _PRIMS.get(t, "string")  # named string types decode as strings
            if n.kind != "scalar":
                if n.tag == "!!null":
                    return None
                self._mismatch(n, t)
                return None
            from hostform import yamlpos

            try:
                return yamlpos.decode_scalar(n, kind)
            except yamlpos.YAMLTypeError as e:  # go-yaml's type error
                msg = e.message
                self.errors.append(msg if msg.startswith("line ") else f"line {n.line}: {msg}")
                return None
        if n.kind == "scalar":
            from hostform import yamlpos

            if yamlpos._scalar_value(n)[1] is None:  # also go-yaml's hard errors
                return None
        elif n.tag == "!!null":
            return None
        if t in SLICE_NAMED:
            return self._list(SLICE_NAMED[t][2:], n, t)
        if t.startswith("[]"):
            return self._list(t[2:], n, t)
        return self._struct(t, n)

    def _mismatch(self, n: Node, t: str) -> None:
        # go-yaml checks a mapping's keys for duplicates before its target type
        if n.kind == "mapping":
            from hostform import yamlpos

            dup = yamlpos.duplicate_key_errors(n)
            if dup:
                self.errors.extend(dup)
                return
        self.errors.append(_terror(n, self.sch.go_name(t)))

    def _list(self, elem: str, node: Node, t: str) -> list[Any] | None:
        if node.kind != "sequence":
            self._mismatch(node, t)
            return None
        out: list[Any] = []
        for child in node.items:
            v = self.value(elem, child)
            if v is None:
                # go-yaml keeps the zero value in the slice
                v = _zero(elem, self.sch)
            out.append(v)
        return out

    def _struct(self, t: str, node: Node) -> dict[str, Any] | None:
        if node.kind != "mapping":
            self._mismatch(node, t)
            return None
        from hostform import yamlpos

        fields = self.fields.get(t)
        if fields is None:
            fields = self.fields[t] = dict(self.sch.structs[t])
        out: dict[str, Any] = {}
        for key, _k, v in yamlpos.struct_items(node, self.errors):
            ft = fields.get(key)
            if ft is None:
                continue
            dv = self.value(ft, v)
            if dv is None:
                out.pop(key, None)
            else:
                out[key] = dv
        return out


def _zero(t: str, sch: Structs) -> Any:
    if t.startswith("*") or t.startswith("[]") or t in SLICE_NAMED:
        return None
    if t in sch.structs:
        return {}
    if t == "int":
        return 0
    if t == "bool":
        return False
    return ""


def decode(root: Node | None, sch: Structs) -> tuple[dict[str, Any], list[str]]:
    """The config as dicts and go-yaml's type errors (``line N: ...``)."""
    d = Decoder(sch)
    if root is None or _is_null(root):
        return {}, []
    cfg: dict[str, Any] | None = d.value("Config", root)
    return (cfg if cfg is not None else {}), [e if isinstance(e, str) else e.message for e in d.errors]


def _raw_get(node: Node | None, key: str) -> Node | None:
    if node is None or node.kind != "mapping":
        return None
    found = None
    for k, v in node.items:
        if k.kind == "scalar" and k.value == key:
            found = v
    return found


def unused_keys(root: Node | None, cfg: dict[str, Any], sch: Structs) -> list[tuple[DataPath, str]]:
    """(path, message) warnings of Ignition's ValidateUnusedKeys."""
    out: list[tuple[DataPath, str]] = []

    def walk_struct(t: str, value: dict[str, Any], tnode: Any, path: DataPath, found: bool) -> None:
        if found:
            if tnode.kind != "mapping":
                out.append((path, f"context tree does not match content tree at {_path_str(path)}. Line and column reporting may be inconsistent. Unused keys may not be reported"))
            else:
                names = {k for k, _ in sch.structs[t]}
                for k, _v in tnode.items:
                    kv = k.value if k.kind == "scalar" else ""
                    if kv not in names:
                        out.append((path + (Key(kv),), f"unused key {kv}"))
        for k, ft in sch.structs[t]:
            sub = value.get(k) if value else None
            child = _raw_get(tnode, k) if found and tnode.kind == "mapping" else None
            walk(ft, sub, child, path + (k,), child is not None)

    def walk(t: str, value: Any, tnode: Any, path: DataPath, found: bool) -> None:
        if t.startswith("*"):
            if value is None:
                return
            t = t[1:]
        if t in SLICE_NAMED:
            t = SLICE_NAMED[t]
        if t.startswith("[]"):
            if not value:
                return
            elem = t[2:]
            seq = tnode if found and tnode.kind == "sequence" else None
            for i, v in enumerate(value):
                child = seq.items[i] if seq is not None and i < len(seq.items) else None
                walk(elem, v, child, path + (i,), child is not None)
            return
        if t in sch.structs:
            walk_struct(t, value if isinstance(value, dict) else {}, tnode, path, found)

    walk_struct("Config", cfg, root, (), root is not None)
    return out


def _path_str(path: DataPath) -> str:
    s = "$"
    for p in path:
        s += "." + str(p)
    return s


# ---------------------------------------------------------------- plain data
#
# The same two steps on the plain value that hostform's renderer writes as
# YAML (``hostform.host.render.to_yaml``), to skip parsing that text again.
# They cover the cases where decoding the value gives what decoding its text
# gives: keys that are plain words, strings (to_yaml writes them so that they
# read back unchanged), ints (decimal, or octal under ``mode``) and
# bools in fields of their own type.  Anything else raises NotPlain, and the
# caller decodes the text instead (which also reports go-yaml's errors).


class NotPlain(Exception):
    """The value is outside what decode_data covers."""


_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_INT64 = (-(1 << 63), (1 << 63) - 1)


def _plain_key(k: object) -> str:
    # written bare as ``k:``; a key compares by its text, whatever it resolves to
    if type(k) is not str or not k or not _WORD.issuperset(k):
        raise NotPlain
    return k


def _plain_str(v: str) -> str:
    # to_yaml writes every string so that it reads back as written, except
    # lone surrogates (bytes that were not UTF-8): the text path reports them
    if not v.isascii() and any(0xD800 <= ord(ch) <= 0xDFFF for ch in v):
        raise NotPlain
    return v


class _DataDecoder:
    def __init__(self, sch: Structs) -> None:
        self.sch = sch
        self.fields: dict[str, dict[str, str]] = {}

    def value(self, t: str, v: Any, key: str | None) -> Any:
        if v is None:
            return None
        if t.startswith("*"):
            t = t[1:]
        if t in SLICE_NAMED:
            return self._list(SLICE_NAMED[t][2:], v)
        if t.startswith("[]"):
            return self._list(t[2:], v)
        if t in self.sch.structs:
            return self._struct(t, v)
        kind = _PRIMS.get(t, "string")
        tv = type(v)
        if kind == "string":
            if tv is str:
                return _plain_str(v)
        elif kind == "int":
            if tv is int and _INT64[0] <= v <= _INT64[1] and (key != "mode" or v >= 0):
                return v
        elif tv is bool:
            return v
        raise NotPlain

    def _list(self, elem: str, v: Any) -> list[Any]:
        if type(v) is not list:
            raise NotPlain
        out: list[Any] = []
        for child in v:
            x = self.value(elem, child, None)
            if x is None:
                x = _zero(elem, self.sch)
            out.append(x)
        return out

    def _struct(self, t: str, v: Any) -> dict[str, Any]:
        if type(v) is not dict:
            raise NotPlain
        fields = self.fields.get(t)
        if fields is None:
            fields = self.fields[t] = dict(self.sch.structs[t])
        out: dict[str, Any] = {}
        for k, x in v.items():
            ft = fields.get(_plain_key(k))
            if ft is None:
                _check_plain(x)
                continue
            dv = self.value(ft, x, k)
            if dv is not None:
                out[k] = dv
        return out


def _check_plain(v: Any) -> None:
    """An unknown key's value: only its keys matter (unused-key warnings)."""
    tv = type(v)
    if tv is dict:
        for k, x in v.items():
            _plain_key(k)
            _check_plain(x)
    elif tv is list:
        for x in v:
            _check_plain(x)
    elif tv is str:
        _plain_str(v)
    elif v is not None and tv is not int and tv is not bool:
        raise NotPlain


def decode_data(data: dict[str, Any], sch: Structs) -> dict[str, Any]:
    """:func:`decode` of the YAML ``to_yaml(data)``, without the YAML; raises NotPlain."""
    if type(data) is not dict or not data:
        raise NotPlain
    cfg: dict[str, Any] = _DataDecoder(sch).value("Config", data, None)
    return cfg


def unused_keys_data(data: dict[str, Any], cfg: dict[str, Any], sch: Structs) -> list[tuple[DataPath, str]]:
    """:func:`unused_keys` of the YAML ``to_yaml(data)`` (keys checked by decode_data)."""
    out: list[tuple[DataPath, str]] = []
    names_of: dict[str, set[str]] = {}

    def walk_struct(t: str, value: dict[str, Any], tv: Any, path: DataPath, found: bool) -> None:
        if found:
            if type(tv) is not dict:
                out.append((path, f"context tree does not match content tree at {_path_str(path)}. Line and column reporting may be inconsistent. Unused keys may not be reported"))
            else:
                names = names_of.get(t)
                if names is None:
                    names = names_of[t] = {k for k, _ in sch.structs[t]}
                for kv in tv:
                    if kv not in names:
                        out.append((path + (Key(kv),), f"unused key {kv}"))
        mapping = found and type(tv) is dict
        for k, ft in sch.structs[t]:
            sub = value.get(k) if value else None
            here = mapping and k in tv
            if sub is None and not here:
                continue  # nothing below: no value and no node
            walk(ft, sub, tv[k] if here else None, path + (k,), here)

    def walk(t: str, value: Any, tv: Any, path: DataPath, found: bool) -> None:
        if t.startswith("*"):
            if value is None:
                return
            t = t[1:]
        if t in SLICE_NAMED:
            t = SLICE_NAMED[t]
        if t.startswith("[]"):
            if not value:
                return
            elem = t[2:]
            seq: list[Any] = tv if found and type(tv) is list else []
            for i, v in enumerate(value):
                here = i < len(seq)
                walk(elem, v, seq[i] if here else None, path + (i,), here)
            return
        if t in sch.structs:
            walk_struct(t, value if isinstance(value, dict) else {}, tv, path, found)

    walk_struct("Config", cfg, data, (), True)
    return out
