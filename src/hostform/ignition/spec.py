"""Ignition spec versions and their Go struct layout, as data.

Each spec version has a generated module ``_types_v3_x`` holding Ignition's
``config/v3_x/types/schema.go`` as a table (``STRUCTS``: type -> fields in Go
struct order; ``NAMED``: named string/slice types), made from Ignition's JSON
schema by ``tools/gen_ignition_types.py``.  :func:`spec` turns one into a
:class:`Spec` with embedded structs flattened, the way both Go's
``encoding/json`` and vcontext's validation walk see them.

To add a spec version: add one line to ``_MODULES``, run the tool on a
directory holding its schema (and, if Ignition changed rules, add a version
check in ``validate``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    # a struct's fields: (Go name, JSON name or None for an embedded struct, Go type, omitempty)
    StructTable = dict[str, tuple[tuple[str, str | None, str, bool], ...]]

# version -> module suffix; order is oldest first.  The last one is experimental.
_MODULES = {
    "3.0.0": "v3_0",
    "3.1.0": "v3_1",
    "3.2.0": "v3_2",
    "3.3.0": "v3_3",
    "3.4.0": "v3_4",
    "3.5.0": "v3_5",
    "3.6.0": "v3_6",
    "3.7.0-experimental": "v3_7_experimental",
}

VERSIONS = tuple(_MODULES)

_SCALARS = {"string": "string", "int": "int", "bool": "bool"}


class Field:
    """One JSON-visible field of a Go struct (after flattening embedded structs)."""

    __slots__ = ("go_name", "name", "go_type", "kind", "type", "ptr", "omitempty", "embedded_in", "elem_kind")

    def __init__(
        self,
        go_name: str,
        name: str,
        go_type: str,
        kind: str,
        type_: str,
        ptr: bool,
        omitempty: bool,
        embedded_in: tuple[str, ...],
        elem_kind: str | None,
    ) -> None:
        self.go_name = go_name  # Go field name ("Path")
        self.name = name  # JSON name ("path")
        self.go_type = go_type  # Go type text as in schema.go ("*string", "[]File", "Resource")
        self.kind = kind  # "string" | "int" | "bool" | "struct" | "list"
        self.type = type_  # struct type (kind struct), element type (list), named scalar type or ""
        self.ptr = ptr  # a Go pointer: absent (nil) differs from the zero value
        self.omitempty = omitempty
        self.embedded_in = embedded_in  # tuple of embedded struct type names on the way to this field
        self.elem_kind = elem_kind  # for lists: kind of the elements

    def __repr__(self) -> str:
        return f"Field({self.name!r}, {self.go_type!r}, omitempty={self.omitempty})"


class Spec:
    """The type tables of one Ignition spec version."""

    def __init__(self, version: str, structs: StructTable, named: dict[str, str]) -> None:
        self.version = version
        self.structs = structs
        self.named = named
        parts = version.split("-")[0].split(".")
        self.minor = int(parts[1])  # 3.x: the only axis rules change on
        self.experimental = "-" in version
        self._fields: dict[str, list[Field]] = {}

    def is_struct(self, name: str) -> bool:
        return name in self.structs

    def kind_of(self, go_type: str) -> tuple[str, str]:
        """(kind, type name) of a Go type text without a leading ``*``; the type name is ""
        for a plain string, int or bool."""
        if go_type.startswith("[]"):
            return "list", go_type[2:]
        if go_type in _SCALARS:
            return _SCALARS[go_type], ""
        if go_type in self.structs:
            return "struct", go_type
        under = self.named.get(go_type)
        if under is None:
            raise KeyError(go_type)
        if under.startswith("[]"):
            return "list", under[2:]
        return _SCALARS[under], go_type

    def fields(self, type_name: str) -> list[Field]:
        """The fields of struct ``type_name`` in Go order, embedded structs flattened."""
        got = self._fields.get(type_name)
        if got is None:
            got = self._fields[type_name] = self._flatten(type_name, ())
        return got

    def _flatten(self, type_name: str, via: tuple[str, ...]) -> list[Field]:
        out: list[Field] = []
        for go_name, name, go_type, omitempty in self.structs[type_name]:
            if name is None:
                out.extend(self._flatten(go_type, via + (go_type,)))
                continue
            ptr = go_type.startswith("*")
            base = go_type[1:] if ptr else go_type
            kind, typ = self.kind_of(base)
            elem_kind = None
            if kind == "list":
                elem_kind = self.kind_of(typ)[0]
            out.append(Field(go_name, name, go_type, kind, typ, ptr, omitempty, via, elem_kind))
        return out

    def field_map(self, type_name: str) -> dict[str, Field]:
        return {f.name: f for f in self.fields(type_name)}

    def __repr__(self) -> str:
        return f"Spec({self.version!r})"


_cache: dict[str, Spec] = {}


def spec(version: str) -> Spec:
    """The :class:`Spec` for an Ignition spec version such as ``"3.4.0"``."""
    got = _cache.get(version)
    if got is None:
        suffix = _MODULES.get(version)
        if suffix is None:
            raise KeyError(f"unknown Ignition spec version {version!r}")
        mod = __import__(f"hostform.ignition._types_{suffix}", fromlist=["STRUCTS"])
        got = _cache[version] = Spec(version, mod.STRUCTS, mod.NAMED)
    return got
