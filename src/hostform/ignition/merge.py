"""Ignition's config merge (``config/merge/merge.go``) on plain dicts, with a transcript.

Configs are dicts in Ignition's JSON shape; the Go struct layout that drives
the merge comes from the tables in ``hostform.ignition._types_v3_*``
(:func:`struct_types`).  :func:`merge_translated` is Butane's
``MergeTranslatedConfigs``: the child config is merged into the parent, and
the merge transcript (which output path came from which parent or child
path) carries both translation sets (output path -> input path dicts) over
to the result.  :func:`add_from_common_source` and :func:`all_paths` build
the translation set of a generated struct (Butane's ``AddFromCommonSource``).

Paths are tuples of keys and indices on the Ignition JSON (camelCase).
"""

from __future__ import annotations

__all__ = ["Types", "add_from_common_source", "all_paths", "merge_translated", "struct_types"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hostform.ignition.spec import StructTable

    Path = tuple[str | int, ...]
    # a translation set: output path -> input path
    Translations = dict[Path, Path]


def _dict(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: object) -> list[Any]:
    return v if isinstance(v, list) else []


class Types:
    """Ignition struct tables of one spec, with the merge metadata Ignition
    keeps in code (``Key()``, ``IgnoreDuplicates()``, ``MergedKeys()``)."""

    def __init__(self, structs: StructTable, named: dict[str, str]) -> None:
        self.structs = structs
        self.named = named

    def resolve(self, t: str) -> str:
        while t in self.named:
            t = self.named[t]
        return t

    def kind(self, t: str) -> str:
        """'prim', 'ptr', 'slice' or 'struct' for a Go type string."""
        t = self.resolve(t)
        if t.startswith("*"):
            return "ptr"
        if t.startswith("[]"):
            return "slice"
        if t in self.structs:
            return "struct"
        return "prim"

    def fields(self, t: str) -> tuple[tuple[str, str | None, str, bool], ...]:
        return self.structs[self.resolve(t)]

    def all_json_fields(self, t: str) -> list[str]:
        out: list[str] = []
        for _go, js, ft, _oe in self.fields(t):
            if js is None:
                out.extend(self.all_json_fields(ft))
            else:
                out.append(js)
        return out


_IGNORE_DUPS = {
    "FileEmbedded1": {"append"},
    "File": {"append"},
    "Filesystem": {"options", "mountOptions"},
    "Luks": {"options"},
    "Raid": {"options"},
}
_MERGED_KEYS = {
    "Storage": {"directories": "Node", "files": "Node", "links": "Node"},
    "KernelArguments": {"shouldExist": "KernelArgument", "shouldNotExist": "KernelArgument"},
}
_KEY_FIELD = {
    "Disk": "device",
    "Filesystem": "device",
    "Luks": "name",
    "Raid": "name",
    "File": "path",
    "Directory": "path",
    "Link": "path",
    "Node": "path",
    "Unit": "name",
    "Dropin": "name",
    "PasswdUser": "name",
    "PasswdGroup": "name",
    "HTTPHeader": "name",
    "Tang": "url",
}

_types_cache: dict[str, Types] = {}


def struct_types(module: str) -> Types:
    """The struct tables of one ``hostform.ignition._types_<module>`` (``"v3_6"``)."""
    t = _types_cache.get(module)
    if t is None:
        m = __import__(f"hostform.ignition._types_{module}", fromlist=["STRUCTS"])
        t = _types_cache[module] = Types(m.STRUCTS, m.NAMED)
    return t


def _is_zero_prim(v: object) -> bool:
    return v is None or v == "" or v is False or (v == 0 and not isinstance(v, bool))


class _Merger:
    def __init__(self, types: Types) -> None:
        self.t = types
        self.transcript: list[tuple[str, Path, Path]] = []

    # Key() of a list item
    def key(self, item: object, elem_type: str) -> str:
        rt = self.t.resolve(elem_type)
        if self.t.kind(rt) == "prim":
            return "" if item is None else str(item)
        item = _dict(item)
        if rt == "Partition":
            num = item.get("number") or 0
            if num:
                return f"number:{num}"
            if item.get("label") is not None:
                return f"label:{item['label']}"
            return ""
        field = _KEY_FIELD.get(rt)
        if field is None:
            for f in ("source", "name", "path", "device"):
                if f in self.t.all_json_fields(rt):
                    field = f
                    break
        v = item.get(field) if field else None
        return "" if v is None else str(v)

    def struct_is_zero(self, d: dict[str, Any], t: str) -> bool:
        for _go, js, ft, _oe in self.t.fields(t):
            if js is None:
                if not self.struct_is_zero(d, ft):
                    return False
                continue
            if js not in d:
                continue
            v = d[js]
            k = self.t.kind(ft)
            if k == "prim":
                if not _is_zero_prim(v):
                    return False
            elif k == "ptr":
                if v is not None:
                    return False
            elif k == "slice":
                if v:
                    return False
            else:
                if v is not None and not self.struct_is_zero(_dict(v), ft):
                    return False
        return True

    def one(self, tag: str, frm: Path, to: Path) -> None:
        self.transcript.append((tag, frm, to))

    def transcribe(self, tag: str, frm: Path, to: Path, value: object, t: str, anonymous: bool = False) -> bool:
        k = self.t.kind(t)
        if k == "prim":
            if _is_zero_prim(value):
                return False
            self.one(tag, frm, to)
            return True
        if k == "ptr":
            if value is None:
                return False
            elem = self.t.resolve(t)[1:]
            if self.t.kind(elem) == "struct":
                return self.transcribe(tag, frm, to, value, elem, anonymous)
            self.one(tag, frm, to)
            return True
        if k == "struct":
            d = _dict(value)
            done = False
            for _go, js, ft, _oe in self.t.fields(t):
                if js is None:
                    done = self.transcribe(tag, frm, to, d, ft, True) or done
                elif js in d:
                    done = self.transcribe(tag, frm + (js,), to + (js,), d[js], ft) or done
            if done and not anonymous:
                self.one(tag, frm, to)
            return done
        # slice
        elem = self.t.resolve(t)[2:]
        done = False
        for i, item in enumerate(_list(value)):
            done = self.transcribe(tag, frm + (i,), to + (i,), item, elem) or done
        if done:
            self.one(tag, frm, to)
        return done

    def merge_struct(
        self, parent: dict[str, Any], pp: Path, child: dict[str, Any], cp: Path, rp: Path, t: str, out: dict[str, Any]
    ) -> None:
        """Merge ``parent`` and ``child`` (both of struct type ``t``) into ``out``."""
        rt = self.t.resolve(t)
        ignore = _IGNORE_DUPS.get(rt, set())
        merged_keys: dict[str, str] = _MERGED_KEYS.get(rt, {})
        # child's list entries by (handle, key), over its direct slice fields
        child_keys: dict[tuple[str, str], tuple[object, str, int]] = {}
        for _go, js, ft, _oe in self.t.fields(t):
            if js is None or self.t.kind(ft) != "slice" or js in ignore:
                continue
            handle = merged_keys.get(js, js)
            elem = self.t.resolve(ft)[2:]
            for j, item in enumerate(_list(child.get(js))):
                child_keys[(handle, self.key(item, elem))] = (item, js, j)

        for _go, js, ft, _oe in self.t.fields(t):
            if js is None:
                # embedded struct: same dict, same paths
                pz = self.struct_is_zero(parent, ft)
                cz = self.struct_is_zero(child, ft)
                if cz:
                    self._copy_embedded(parent, out, ft)
                    self.transcribe("parent", pp, rp, parent, ft, True)
                elif pz:
                    self._copy_embedded(child, out, ft)
                    self.transcribe("child", cp, rp, child, ft, True)
                else:
                    self.merge_struct(parent, pp, child, cp, rp, ft, out)
                continue
            k = self.t.kind(ft)
            pv = parent.get(js)
            cv = child.get(js)
            pf, cf, rf = pp + (js,), cp + (js,), rp + (js,)
            if k == "prim":
                if js in child:
                    out[js] = cv
                self.transcribe("child", cf, rf, cv, ft)
            elif k == "ptr":
                elem = self.t.resolve(ft)[1:]
                if pv is not None and cv is not None and self.t.kind(elem) == "struct":
                    sub: dict[str, Any] = {}
                    self.merge_struct(pv, pf, cv, cf, rf, elem, sub)
                    out[js] = sub
                    self.one("parent", pf, rf)
                    self.one("child", cf, rf)
                elif cv is None:
                    if js in parent:
                        out[js] = pv
                    self.transcribe("parent", pf, rf, pv, ft)
                else:
                    out[js] = cv
                    self.transcribe("child", cf, rf, cv, ft)
            elif k == "struct":
                pd, cd = _dict(pv), _dict(cv)
                if self.struct_is_zero(cd, ft):
                    if js in parent:
                        out[js] = pv
                    self.transcribe("parent", pf, rf, pv, ft)
                elif self.struct_is_zero(pd, ft):
                    out[js] = cv
                    self.transcribe("child", cf, rf, cv, ft)
                else:
                    sub = {}
                    self.merge_struct(pd, pf, cd, cf, rf, ft, sub)
                    out[js] = sub
                    self.one("parent", pf, rf)
                    self.one("child", cf, rf)
            else:
                self._merge_slice(parent, child, js, ft, pf, cf, rf, ignore, merged_keys, child_keys, out)

    def _copy_embedded(self, src: dict[str, Any], out: dict[str, Any], t: str) -> None:
        for name in self.t.all_json_fields(t):
            if name in src:
                out[name] = src[name]

    def _merge_slice(
        self,
        parent: dict[str, Any],
        child: dict[str, Any],
        js: str,
        ft: str,
        pf: Path,
        cf: Path,
        rf: Path,
        ignore: set[str],
        merged_keys: dict[str, str],
        child_keys: dict[tuple[str, str], tuple[object, str, int]],
        out: dict[str, Any],
    ) -> None:
        elem = self.t.resolve(ft)[2:]
        plist, clist = _list(parent.get(js)), _list(child.get(js))
        if js in ignore:
            if not plist and not clist:
                return
            res: list[Any] = []
            for i, item in enumerate(plist):
                res.append(item)
                self.transcribe("parent", pf + (i,), rf + (i,), item, elem)
            for i, item in enumerate(clist):
                res.append(item)
                self.transcribe("child", cf + (i,), rf + (len(plist) + i,), item, elem)
            if plist:
                self.one("parent", pf, rf)
            if clist:
                self.one("child", cf, rf)
            out[js] = res
            return
        if not plist and not clist:
            return
        handle = merged_keys.get(js, js)
        res = []
        parent_keys = {self.key(item, elem) for item in plist}
        from_parent = from_child = False
        ekind = self.t.kind(elem)
        for i, pitem in enumerate(plist):
            pip = pf + (i,)
            rip = rf + (len(res),)
            hit = child_keys.get((handle, self.key(pitem, elem)))
            if hit is not None:
                citem, clist_name, cidx = hit
                if clist_name != js:
                    continue  # the child's entry in another list wins
                cip = cf + (cidx,)
                from_parent = from_child = True
                if ekind == "struct":
                    if self.t.resolve(elem) == "HTTPHeader" and _dict(citem).get("value") is None:
                        continue
                    sub: dict[str, Any] = {}
                    self.merge_struct(_dict(pitem), pip, _dict(citem), cip, rip, elem, sub)
                    res.append(sub)
                    self.one("parent", pip, rip)
                    self.one("child", cip, rip)
                else:
                    res.append(citem)
                    self.transcribe("child", cip, rip, citem, elem)
            else:
                res.append(pitem)
                self.transcribe("parent", pip, rip, pitem, elem)
                from_parent = True
        for i, citem in enumerate(clist):
            if self.key(citem, elem) in parent_keys:
                continue
            rip = rf + (len(res),)
            res.append(citem)
            self.transcribe("child", cf + (i,), rip, citem, elem)
            from_child = True
        if from_parent:
            self.one("parent", pf, rf)
        if from_child:
            self.one("child", cf, rf)
        out[js] = res


def merge_translated(
    parent: dict[str, Any],
    parent_ts: Translations,
    child: dict[str, Any],
    child_ts: Translations,
    types: Types,
    root: str = "Config",
) -> tuple[dict[str, Any], Translations]:
    """Butane's ``MergeTranslatedConfigs``: merge ``child`` into ``parent``
    with Ignition's rules and map both translation sets (output path ->
    input path dicts) through the merge transcript.  Only output paths the
    transcript names survive; where parent and child both produced a path,
    the child's source wins."""
    m = _Merger(types)
    result: dict[str, Any] = {}
    m.merge_struct(parent, (), child, (), (), root, result)
    ts: Translations = {}
    for tag, frm, to in m.transcript:
        left = parent_ts if tag == "parent" else child_ts
        src = left.get(frm)
        if src is None:
            continue
        if to in ts and tag != "child":
            continue
        ts[to] = src
    return result, ts


def add_from_common_source(rts: Translations, src: Path, prefix: Path, value: object, types: Types, t: str) -> None:
    """``AddFromCommonSource``: ``prefix`` and every path of type ``t`` below
    it (zero fields included) map to ``src``."""
    for p in all_paths(value, types, t):
        rts[prefix + p] = src
    rts[prefix] = src


def all_paths(value: object, types: Types, t: str) -> list[Path]:
    """Every path below ``value`` (of Go type ``t``), relative to it, deepest first."""
    k = types.kind(t)
    if k == "prim":
        return []
    if k == "ptr":
        if value is None:
            return []
        return all_paths(value, types, types.resolve(t)[1:])
    if k == "slice":
        elem = types.resolve(t)[2:]
        out: list[Path] = []
        for i, item in enumerate(_list(value)):
            out.extend((i,) + p for p in all_paths(item, types, elem))
            out.append((i,))
        return out
    d = _dict(value)
    out = []
    for _go, js, ft, _oe in types.fields(t):
        if js is None:
            out.extend(all_paths(d, types, ft))
        else:
            out.extend((js,) + p for p in all_paths(d.get(js), types, ft))
            out.append((js,))
    return out
