"""Ignition JSON output, byte-identical to Butane's.

Butane marshals Ignition's Go structs with github.com/clarketm/json: keys in
Go struct order, ``omitempty`` drops nil pointers, zero scalars, empty lists
and structs whose fields are all empty; Go's HTML-safe string escaping.
"""

from __future__ import annotations

from _json import encode_basestring as _enc_str

from hostform.ignition.spec import spec as _spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hostform.ignition.spec import Field, Spec

_HTML = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def _str(s: str) -> str:
    out = _enc_str(s)
    for a, b in _HTML:
        if a in out:
            out = out.replace(a, b)
    return out


def _is_empty_struct(sp: Spec, type_name: str, obj: dict[str, Any] | None) -> bool:
    if not obj:
        return True
    for f in sp.fields(type_name):
        if not _is_empty(sp, f, obj.get(f.name)):
            return False
    return True


def _is_empty(sp: Spec, f: Field, v: Any) -> bool:
    if v is None:
        return True
    if f.ptr:
        return False
    k = f.kind
    if k == "struct":
        return _is_empty_struct(sp, f.type, v)
    if k == "list":
        return len(v) == 0
    return not v  # "", 0, False


def _scalar(kind: str, v: Any) -> str:
    if kind == "string":
        return _str(v)
    if kind == "bool":
        return "true" if v else "false"
    return str(int(v))


def _zero(kind: str) -> str | bool | int:
    return "" if kind == "string" else (False if kind == "bool" else 0)


def _value(sp: Spec, kind: str, type_name: str, v: Any, indent: str | None, level: int) -> str:
    if kind == "struct":
        return _struct(sp, type_name, v or {}, indent, level)
    if kind == "list":
        if v is None:
            return "null"
        if not v:
            return "[]"
        ek = sp.kind_of(type_name)[0]
        items = [_value(sp, ek, type_name, e, indent, level + 1) for e in v]
        if indent is None:
            return "[" + ",".join(items) + "]"
        pad = "\n" + indent * (level + 1)
        return "[" + pad + ("," + pad).join(items) + "\n" + indent * level + "]"
    if v is None:
        return "null"
    return _scalar(kind, v)


def _struct(sp: Spec, type_name: str, obj: dict[str, Any], indent: str | None, level: int) -> str:
    parts = []
    sep = ":" if indent is None else ": "
    for f in sp.fields(type_name):
        v = obj.get(f.name)
        if f.omitempty and _is_empty(sp, f, v):
            continue
        if v is None and not f.ptr and f.kind not in ("list", "struct"):
            v = _zero(f.kind)
        if f.ptr and v is None:
            parts.append(_str(f.name) + sep + "null")
            continue
        parts.append(_str(f.name) + sep + _value(sp, f.kind, f.type, v, indent, level + 1))
    if not parts:
        return "{}"
    if indent is None:
        return "{" + ",".join(parts) + "}"
    pad = "\n" + indent * (level + 1)
    return "{" + pad + ("," + pad).join(parts) + "\n" + indent * level + "}"


def emit(cfg: dict[str, Any], version: str, pretty: bool = False) -> str:
    """Serialize an Ignition config dict as Butane does, with a final newline."""
    sp = _spec(version)
    return _struct(sp, "Config", cfg, "  " if pretty else None, 0) + "\n"
