"""Raw Ignition JSON -> config, as Ignition's ``config.Parse`` (what ``ignition-validate`` runs).

Steps: empty check; the version stub decode; semver; the typed decode with
Go's ``encoding/json`` rules and error texts; validation with the raw JSON
(unused keys, line/column of every entry).
"""

from __future__ import annotations

from hostform.diagnostics import ERROR, WARNING, Diagnostic, Report
from hostform.ignition import _jsonpos
from hostform.ignition._validate import CODE_ERROR, CODE_WARNING, semver, validate_entries
from hostform.ignition.spec import VERSIONS
from hostform.ignition.spec import spec as _spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hostform.ignition._jsonpos import Node
    from hostform.ignition._validate import Obj, Path, _Ctx
    from hostform.ignition.spec import Field, Spec

CODE_PARSE = "HF202"

ERR_EMPTY = "not a config (empty)"
ERR_INVALID_VERSION = "invalid config version (couldn't parse)"
ERR_UNKNOWN_VERSION = "unsupported config version"
ERR_INVALID = "config is not valid"


class _Decoder:
    """Go encoding/json into the spec's structs; remembers the first type error."""

    def __init__(self, sp: Spec) -> None:
        self.sp = sp
        self.error: tuple[str, int] | None = None

    def fail(self, value: str, gotype: str, offset: int, struct: str | None, stack: list[str]) -> None:
        if self.error is not None:
            return
        if struct is None and not stack:
            msg = "json: cannot unmarshal %s into Go value of type %s" % (value, gotype)
        else:
            msg = "json: cannot unmarshal %s into Go struct field %s.%s of type %s" % (value, struct or "", ".".join(stack), gotype)
        self.error = (msg, offset)

    def struct(self, node: Node, type_name: str, into: Obj | None, struct: str | None, stack: list[str]) -> Obj | None:
        if node.kind == "null":
            return into
        if node.kind != "object":
            self.fail(self._off_kind(node), "types." + type_name, self._offset(node), struct, stack)
            return into
        out = into if into is not None else {}
        fields = self.sp.fields(type_name)
        exact = {f.name: f for f in fields}
        folded: dict[str, Field] = {}
        for f in fields:
            folded.setdefault(f.name.lower(), f)
        for key, child in node.value.items():
            fld = exact.get(key) or folded.get(key.lower())
            if fld is None:
                continue
            sub = stack + list(fld.embedded_in) + [fld.name]
            self.field(child, fld, out, type_name, sub)
        return out

    def field(self, node: Node, f: Field, out: Obj, struct: str, stack: list[str]) -> None:
        if node.kind == "null":
            if f.ptr or f.kind == "list":
                out.pop(f.name, None)
            return
        if f.kind == "struct":
            out[f.name] = self.struct(node, f.type, out.get(f.name), struct, stack)
            if out[f.name] is None:
                del out[f.name]
            return
        if f.kind == "list":
            if node.kind != "array":
                self.fail(self._off_kind(node), self.list_type(f.type), self._offset(node), struct, stack)
                return
            ek = self.sp.kind_of(f.type)[0]
            items: list[Any] = []
            for el in node.value:
                if ek == "struct":
                    obj = self.struct(el, f.type, None, struct, stack)
                    items.append(obj if obj is not None else {})
                else:
                    v = self.scalar(el, ek, self.elem_type(f.type, ek), struct, stack)
                    items.append(v if v is not None else _zero(ek))
            out[f.name] = items
            return
        tn = ("types." + f.type) if f.type else f.kind
        v = self.scalar(node, f.kind, tn, struct, stack)
        if v is not None:
            out[f.name] = v

    def elem_type(self, type_name: str, kind: str) -> str:
        if type_name in self.sp.named:
            return "types." + type_name
        return kind

    def list_type(self, type_name: str) -> str:
        if type_name in self.sp.structs or type_name in self.sp.named:
            return "[]types." + type_name
        return "[]" + type_name

    def scalar(self, node: Node, kind: str, gotype: str, struct: str | None, stack: list[str]) -> str | bool | int | None:
        k = node.kind
        if k == "null":
            return None
        if kind == "string":
            if k == "string":
                text: str = node.value
                return text
        elif kind == "bool":
            if k == "bool":
                flag: bool = node.value
                return flag
        elif kind == "int":
            if k == "number":
                txt: str = node.value
                n: int | None
                try:
                    n = int(txt)
                except ValueError:
                    n = None
                if n is None or not -(2**63) <= n < 2**63:
                    self.fail("number " + txt, gotype, node.end, struct, stack)
                    return None
                return n
        self.fail(self._off_kind(node), gotype, self._offset(node), struct, stack)
        return None

    @staticmethod
    def _off_kind(node: Node) -> str:
        return node.kind

    @staticmethod
    def _offset(node: Node) -> int:
        return node.start if node.kind in ("object", "array") else node.end


def _zero(kind: str) -> str | bool | int:
    return "" if kind == "string" else (False if kind == "bool" else 0)


def _stub_version(root: Node) -> tuple[str, tuple[str, int] | None]:
    """Decode into util.versionStub{Ignition struct{Version string}}: (version, type error)."""
    if root.kind == "null":
        return "", None
    if root.kind != "object":
        off = root.start if root.kind in ("object", "array") else root.end
        return "", ("json: cannot unmarshal %s into Go value of type util.versionStub" % root.kind, off)
    version = ""
    err: tuple[str, int] | None = None
    for key, ign in root.value.items():
        if key.lower() != "ignition":
            continue
        if ign.kind == "null":
            continue
        if ign.kind != "object":
            off = ign.start if ign.kind == "array" else ign.end
            err = err or ("json: cannot unmarshal %s into Go struct field versionStub.Ignition of type struct { Version string }" % ign.kind, off)
            continue
        for k2, v in ign.value.items():
            if k2.lower() != "version" or v.kind == "null":
                continue
            if v.kind != "string":
                off = v.start if v.kind in ("object", "array") else v.end
                err = err or ("json: cannot unmarshal %s into Go struct field .Ignition.Version of type string" % v.kind, off)
                continue
            version = v.value
    return version, err


def config_version(data: bytes) -> str | None:
    """``ignition.version`` as Go's json.Unmarshal reads it (keys match case-insensitively,
    JSON nested up to Go's depth limit); None if the JSON does not decode into a config."""
    root = _jsonpos.load(data)
    if isinstance(root, tuple):
        return None
    version, terr = _stub_version(root)
    return None if terr is not None else version


def _get(root: Node, path: Path) -> Node | tuple[str, int] | None:
    """vcontext tree Get: the node at path, or None.  A trailing ("key", name) element means the key."""
    node = root
    for el in path:
        if isinstance(el, tuple):
            if node.kind != "object" or el[1] not in node.value:
                return None
            child = node.value[el[1]]
            return ("key", child.key_start)
        if isinstance(el, int):
            if node.kind != "array" or el >= len(node.value):
                return None
            node = node.value[el]
        else:
            if node.kind != "object" or el not in node.value:
                return None
            node = node.value[el]
    return node


def _marker(root: Node, path: Path) -> int:
    p = path
    while True:
        got = _get(root, p)
        if got is not None:
            if isinstance(got, tuple):
                return got[1]
            return got.start
        if not p:
            return root.start
        p = p[:-1]


def _diag(sev: str, msg: str, path: Path, data: bytes, index: int) -> Diagnostic:
    line, col = _jsonpos.line_col(data, index)
    code = CODE_ERROR if sev == ERROR else CODE_WARNING
    return Diagnostic(sev, code, msg, path, None, line, col, 1)


def _fatal(msg: str) -> Report:
    return Report([Diagnostic(ERROR, CODE_PARSE, msg, None)])


def _context_string(path: Path) -> str:
    return ".".join(["$"] + [str(p) for p in path])


def parse(data: bytes) -> tuple[Obj | None, Report]:
    """Parse like Ignition's config.Parse.

    Returns (config dict or None, Report).  Entries with a ``path`` are the
    validation report (``length`` is 1 when line/col are known, even 0/0 at
    end of input); an entry with code HF202 and no path is the final parse
    error that ``ignition-validate`` prints as ``couldn't parse config: ...``.
    """
    if len(data) == 0:
        return None, _fatal(ERR_EMPTY)
    root = _jsonpos.load(data)
    if isinstance(root, tuple):
        r = Report([_diag(ERROR, root[0], (), data, root[1])])
        r.add(Diagnostic(ERROR, CODE_PARSE, ERR_INVALID, None))
        return None, r
    version, terr = _stub_version(root)
    if terr is not None:
        r = Report([_diag(ERROR, terr[0], (), data, terr[1])])
        r.add(Diagnostic(ERROR, CODE_PARSE, ERR_INVALID, None))
        return None, r
    sv = semver(version)
    if sv is None:
        return None, _fatal(ERR_INVALID_VERSION)
    target = None
    for v in VERSIONS:
        if semver(v) == sv:
            target = v
    if target is None:
        return None, _fatal(ERR_UNKNOWN_VERSION)
    sp = _spec(target)
    dec = _Decoder(sp)
    cfg = dec.struct(root, "Config", None, None, [])
    if dec.error is not None:
        r = Report([_diag(ERROR, dec.error[0], (), data, dec.error[1])])
        r.add(Diagnostic(ERROR, CODE_PARSE, ERR_INVALID, None))
        return None, r
    if cfg is None:
        cfg = {}

    def unused(ctx: _Ctx, type_name: str, obj: Obj, path: Path) -> None:
        node = _get(root, path)
        if node is None or isinstance(node, tuple):
            return
        if node.kind != "object":
            ctx.entries.append((WARNING, "context tree does not match content tree at %s. Line and column reporting may be inconsistent. Unused keys may not be reported" % _context_string(path), path, False))
            return
        names = {f.name for f in sp.fields(type_name)}
        for key in node.value:
            if key not in names:
                ctx.entries.append((WARNING, "unused key " + key, path + (("key", key),), True))

    entries = validate_entries(cfg, target, unused)
    r = Report()
    for sev, msg, path, is_key in entries:
        idx = _marker(root, path)
        key = path[-1] if is_key else None  # ("key", name)
        shown = path[:-1] + (key[1],) if isinstance(key, tuple) else path
        r.add(_diag(sev, msg, shown, data, idx))
    if r.is_fatal():
        r.add(Diagnostic(ERROR, CODE_PARSE, ERR_INVALID, None))
        return None, r
    return cfg, r


def format_entry(d: Diagnostic) -> str:
    """One line as vcontext's report prints it."""
    at = ""
    has_pos = d.length == 1
    if has_pos and d.path:
        at = " at %s, line %d col %d" % (_context_string(d.path), d.line, d.col)
    elif has_pos:
        at = " at line %d col %d" % (d.line, d.col)
    elif d.path:
        at = " at " + _context_string(d.path)
    return "%s%s: %s" % (d.severity, at, d.message)
