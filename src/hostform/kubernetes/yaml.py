"""The manifests' YAML: block style, keys in the order built, strings quoted unless plainly strings.

One writer for both outputs: plain manifests (:func:`dump` with ``helm=False``) and the chart's
templates (``helm=True``), where a :class:`Hole` is the template expression reading values.yaml and a
string holding ``{{`` is written through the template engine (so Helm does not read it as an action).
A string is written plain only when no YAML reader could take it for anything else (it starts with a
letter, ``/`` or ``_``, holds only letters, digits and ``._/-``, and is not a YAML 1.1 boolean or
null); any other string is a JSON string (valid YAML, read back byte for byte).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["Hole", "dump", "scalar"]

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


class Hole:
    """A value the chart reads from values.yaml: ``expr`` (a Go template expression) there, ``default``
    (also written into values.yaml) in the plain manifests."""

    __slots__ = ("default", "expr")

    def __init__(self, default: Any, expr: str) -> None:
        self.default = default
        self.expr = expr

    def __repr__(self) -> str:
        return f"Hole({self.default!r}, {self.expr!r})"


def scalar(v: Any, helm: bool = False) -> str:
    if isinstance(v, Hole):
        return f"{{{{ {v.expr} | toJson }}}}" if helm else scalar(v.default)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if v is None:
        return "null"
    s = str(v)
    if _PLAIN.fullmatch(s) and s.lower() not in _SPECIAL:
        return s
    quoted = json.dumps(s, ensure_ascii=False)
    if helm and "{{" in s:  # a Go string literal is a JSON string without surrogate escapes (none here)
        return f"{{{{ {quoted} | toJson }}}}"
    return quoted


def _emit(v: Any, ind: str, out: list[str], helm: bool) -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            key = scalar(k, helm)
            if isinstance(x, Hole) and not helm:  # a list or map default is written as one
                x = x.default
            if isinstance(x, (dict, list)) and x:
                out.append(f"{ind}{key}:\n")
                _emit(x, ind + "  ", out, helm)
            else:
                out.append(f"{ind}{key}: {_leaf(x, helm)}\n")
    else:
        for x in v:
            if isinstance(x, Hole) and not helm:
                x = x.default
            if isinstance(x, dict) and x:
                sub: list[str] = []
                _emit(x, ind + "  ", sub, helm)
                sub[0] = ind + "- " + sub[0][len(ind) + 2 :]
                out.extend(sub)
            elif isinstance(x, list) and x:
                sub = []
                _emit(x, ind + "  ", sub, helm)
                sub[0] = ind + "- " + sub[0][len(ind) + 2 :]
                out.extend(sub)
            else:
                out.append(f"{ind}- {_leaf(x, helm)}\n")


def _leaf(x: Any, helm: bool) -> str:
    if isinstance(x, dict):
        return "{}"
    if isinstance(x, list):
        return "[]"
    return scalar(x, helm)


def dump(doc: Any, helm: bool = False) -> str:
    """One YAML document (no ``---``)."""
    out: list[str] = []
    _emit(doc, "", out, helm)
    return "".join(out)
