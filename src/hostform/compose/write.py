"""The host file's data -> commented, readable YAML (block style; short lists and mappings in flow style).

Deterministic: the data's order is the output's order. A string is written plain only when YAML reads it back as
that very string; otherwise double-quoted (JSON escapes, which YAML reads the same way).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["to_yaml"]

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+=-]*(?::[A-Za-z0-9_./@+=-]+)*")
_NOT_PLAIN = frozenset(["y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
                        "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "<<", "_"])


def scalar(v: object) -> str:
    """A string plain when YAML reads it back as that string, else as the host file's writer quotes it."""
    from hostform.host.render import yaml_scalar

    if isinstance(v, str) and _PLAIN.fullmatch(v) and v not in _NOT_PLAIN:
        return v
    return yaml_scalar(v)


def _flow(v: object) -> str | None:
    """A short list or mapping of scalars on one line, else None."""
    if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
        text = "[" + ", ".join(scalar(x) for x in v) + "]"
    elif isinstance(v, dict) and all(not isinstance(x, (dict, list)) for x in v.values()):
        text = "{" + ", ".join(f"{scalar(k)}: {scalar(x)}" for k, x in v.items()) + "}"
    else:
        return None
    return text if len(text) <= 72 else None


def to_yaml(data: Mapping[str, Any], comments: Mapping[tuple[Any, ...], str], header: str = "") -> str:
    """``data`` as YAML; ``comments[path]`` is written as ``# ...`` on the line of that key (or above a list)."""
    out: list[str] = [header] if header else []

    def line(text: str, path: tuple[Any, ...]) -> None:
        c = comments.get(path)
        out.append(f"{text}  # {c}\n" if c else f"{text}\n")

    def emit_map(d: Mapping[Any, Any], ind: str, path: tuple[Any, ...]) -> None:
        for k, x in d.items():
            p = (*path, k)
            key = scalar(k)
            if isinstance(x, (dict, list)) and x:
                f = _flow(x) if (isinstance(x, list) or len(path) >= 2) else None
                if f is not None:
                    line(f"{ind}{key}: {f}", p)
                elif isinstance(x, dict):
                    line(f"{ind}{key}:", p)
                    emit_map(x, ind + "  ", p)
                else:
                    line(f"{ind}{key}:", p)
                    emit_list(x, ind + "  ", p)
            else:
                line(f"{ind}{key}: {'{}' if x == {} else '[]' if x == [] else scalar(x)}", p)
            if not path:
                out.append("\n")

    def emit_list(items: list[Any], ind: str, path: tuple[Any, ...]) -> None:
        for i, x in enumerate(items):
            p = (*path, i)
            if isinstance(x, dict) and x:
                f = _flow(x)
                if f is not None:
                    line(f"{ind}- {f}", p)
                else:
                    first = True
                    for k, y in x.items():
                        lead = f"{ind}- " if first else f"{ind}  "
                        first = False
                        f2 = _flow(y) if isinstance(y, (dict, list)) and y else None
                        line(f"{lead}{scalar(k)}: {f2 if f2 is not None else scalar(y)}", (*p, k))
            elif isinstance(x, list) and x:
                f = _flow(x)
                line(f"{ind}- {f if f is not None else json.dumps(x, ensure_ascii=False)}", p)
            else:
                line(f"{ind}- {scalar(x)}", p)

    emit_map(data, "", ())
    text = "".join(out)
    return text.rstrip("\n") + "\n"
