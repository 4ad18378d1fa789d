"""Butane's base config: source validation and translation to Ignition.

This is ``base/v0_x`` of Butane, all versions in one place: the differences
between versions are the fields of ``butane.schema.TYPES`` and the named
changes of ``butane.schema.BASE_CHANGES`` (``sch.changes.has(...)``).

* :func:`validate` is vcontext's walk over the decoded config calling each
  type's ``Validate`` (depth first, in struct field order).
* :func:`translate` is ``ToIgn3_xUnvalidated``: the automatic field copy
  (snake_case to camelCase) with the custom translators for resources,
  users, units and drop-ins, then mount units, trees and quadlets.  It fills
  a TranslationSet (output path -> input path) as it goes.

Paths are tuples; Ignition paths use Ignition's JSON names.
"""

from __future__ import annotations

import os

from hostform.butane.schema import SKIP, SLICE_NAMED, Schema
from hostform.diagnostics import Report
from hostform.gostd import clean as go_clean
from hostform.gostd import join as go_join
from hostform.translations import TranslationSet

TYPE_CHECKING = False  # typing-only imports: this module is on the start-up path of `hostform butane`
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from hostform.diagnostics import DataPath

    # a decoded Butane value (a struct is a dict keyed by snake_case field names)
    Value = Any
    # a custom translator: (context, input struct, output struct, input path, output path)
    Translator = Callable[["Ctx", dict[str, Any], dict[str, Any], DataPath, DataPath], None]

E_TOO_MANY_RESOURCE_SOURCES = "only one of the following can be set: inline, local, source"
E_FILES_DIR_ESCAPE = "local file path traverses outside the files directory"
E_FILE_TYPE = "trees may only contain files, directories, and symlinks"
E_NODE_EXISTS = "matching filesystem node has existing contents or different type"
E_NO_FILES_DIR = "local file paths are relative to a files directory that must be specified with -d/--files-dir"
E_TREE_NOT_DIR = "root of tree must be a directory"
E_TREE_NO_LOCAL = "local is required"
E_DECIMAL_MODE = "unreasonable mode would be reasonable if specified in octal; remember to add a leading zero"
E_TOO_MANY_SYSTEMD_SOURCES = "only one of the following can be set: contents, contents_local"
E_QUADLET_EXT = "unsupported file extension for quadlet: must be one of .container, .volume, .network, .kube, .image, .build, .pod, or .artifact"
E_TEMPLATE_CONTENTS = "template instances cannot have contents or contents_local"
E_MOUNT_NO_PATH = "path is required if with_mount_unit is true and format is not swap"
E_MOUNT_NO_FORMAT = "format is required if with_mount_unit is true"
E_UNKNOWN_IGN_VERSION = "skipping validation for the merge/replace ignition config due to an unkown version"

CODE_ERR = "HF100"
CODE_WARN = "HF101"


class LocalFileError(Exception):
    code = CODE_ERR  # HF004 for a file refused by the safe reading (Ctx.safe)


def camel(key: str) -> str:
    """Butane's ``Camel``: ``size_mib`` -> ``sizeMiB``, ``http_headers`` -> ``httpHeaders``."""
    if key.endswith("_mib"):
        key = key[:-4] + "MiB"
    parts = key.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


# ------------------------------------------------------------ local files


def _abs(p: str) -> str:
    """filepath.Abs."""
    return go_clean(p) if p.startswith("/") else go_join(os.getcwd(), p)


def ensure_within(path: str, files_dir: str) -> None:
    base = _abs(files_dir)
    ap = _abs(path)
    if ap != base and not ap.startswith(base + os.sep):
        raise LocalFileError(E_FILES_DIR_ESCAPE)


def os_error(op: str, path: str, e: OSError) -> str:
    import errno

    texts: dict[int | None, str] = {
        errno.ENOENT: "no such file or directory",
        errno.EISDIR: "is a directory",
        errno.EACCES: "permission denied",
        errno.ENOTDIR: "not a directory",
    }
    return f"{op} {path}: {texts.get(e.errno, (e.strerror or str(e)).lower())}"


def read_local(config_path: str, files_dir: str, safe: bool = False) -> bytes:
    if not files_dir:
        raise LocalFileError(E_NO_FILES_DIR)
    fp = go_join(files_dir, config_path)
    ensure_within(fp, files_dir)
    if safe:
        return _read_safe(config_path, fp, files_dir)
    try:
        with open(fp, "rb") as f:
            return f.read()
    except IsADirectoryError as e:
        raise LocalFileError(f"read {fp}: is a directory") from e
    except OSError as e:
        raise LocalFileError(os_error("open", fp, e)) from e


def _read_safe(shown: str, fp: str, files_dir: str) -> bytes:
    """``hostform build``'s reading (hostform._inputs): symlinks may not lead out of
    the files-dir; regular files only, opened without blocking; 16 MiB at most."""
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input

    got = read_input(files_dir, os.path.relpath(fp, files_dir), LOCAL_FILE_CAP)
    if isinstance(got, InputError):
        e = LocalFileError(f"local file {shown} {got}")
        e.code = "HF004"
        raise e
    return got


# ------------------------------------------------------------ data URLs

_UNRESERVED_BYTES = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()"


def make_data_url(contents: bytes, compression: str | None, allow_compression: bool = True) -> tuple[str, str | None]:
    """Butane's MakeDataURL: the shortest of percent-escaped, base64 and
    gzip+base64.  Returns (url, compression to set or None).  Lengths are
    worked out first, and only the winner is encoded."""
    comp: str | None = "" if not compression else None
    n = len(contents)
    escaped_len = 1 + n + 2 * len(contents.translate(None, _UNRESERVED_BYTES))
    b64_len = 8 + (n + 2) // 3 * 4  # ";base64," + padded base64
    best, best_len = contents, escaped_len
    encoding = "escaped"
    if b64_len < escaped_len:
        encoding, best_len = "base64", b64_len
    if not compression and allow_compression:
        gz = gzip_bytes(contents)
        if 8 + (len(gz) + 2) // 3 * 4 + 4 < best_len:
            encoding, best = "base64", gz
            comp = "gzip"
    if encoding == "escaped":
        return _escape_only(contents), comp
    from binascii import b2a_base64

    return "data:;base64," + b2a_base64(best, newline=False).decode("ascii"), comp


def gzip_bytes(data: bytes) -> bytes:
    """Gzip at level 9 with a zero mtime, as ``gzip.compress(data, 9,
    mtime=0)`` does, without importing gzip (and struct, io, os)."""
    import zlib

    return zlib.compress(data, 9, 31)


_ESCAPES: tuple[str, ...] | None = None


def _escape_only(contents: bytes) -> str:
    """A percent-escaped data URL (dataurl.Escape)."""
    global _ESCAPES
    if not contents.translate(None, _UNRESERVED_BYTES):
        return "data:," + contents.decode("ascii")
    if _ESCAPES is None:
        _ESCAPES = tuple(chr(b) if b in _UNRESERVED_BYTES else "%%%02X" % b for b in range(256))
    return "data:," + "".join(map(_ESCAPES.__getitem__, contents))


# ------------------------------------------------------------ validation


def _decimal_mode_to_octal(mode: int) -> int | None:
    if mode < 0 or mode > 7777:
        return None
    ret = 0
    for divisor in (1000, 100, 10, 1):
        digit = (mode // divisor) % 10
        if digit > 7:
            return None
        ret = (ret << 3) | digit
    return ret


def _typical_mode(mode: int, directory: bool) -> bool:
    if mode == 0:
        return True
    perms = [mode & 0o7, (mode & 0o70) >> 3, (mode & 0o700) >> 6]
    had_r = had_w = had_x = False
    for perm in perms:
        r = perm & 4 != 0
        w = perm & 2 != 0
        x = perm & 1 != 0
        if (not r and had_r) or (not w and had_w) or (not x and had_x):
            return False
        if x and had_r and not had_x:
            return False
        if (w or x) and not r:
            return False
        had_r = had_r or r
        had_w = had_w or w
        had_x = had_x or x
    if not had_r:
        return False
    if directory:
        if not had_x:
            return False
        if mode & 0o4000:
            return False
        if mode & 0o3000 and not had_w:
            return False
    else:
        if mode & 0o6000:
            if not had_x:
                return False
            if mode & 2:
                return False
        if mode & 0o1000:
            return False
    return True


def decimal_mode(mode: int, directory: bool) -> bool:
    corrected = _decimal_mode_to_octal(mode)
    if corrected is None:
        return False
    return not _typical_mode(mode, directory) and _typical_mode(corrected, directory)


QUADLET_EXTS = (".container", ".volume", ".network", ".kube", ".image", ".build", ".pod", ".artifact")


def template_instance(name: str) -> str | None:
    i = name.find("@")
    if i == -1:
        return None
    j = name.rfind(".")
    if j == -1 or i + 1 == j:
        return None
    return f"{name[:i]}@.{name[j + 1:]}"


def validate(cfg: dict[str, Any], sch: Schema, report: Report) -> None:
    """Butane's base ``Validate`` methods over the decoded config."""
    swap_units = sch.changes.has("mount-unit-swap")
    unit_contents_local = sch.changes.has("unit-contents-local")

    def v_resource(t: str, val: dict[str, Any], path: DataPath) -> None:
        if t == "FileContents":
            if val.get("inline") is not None and val.get("source") is not None:
                report.error(CODE_ERR, E_TOO_MANY_RESOURCE_SOURCES, path + ("inline",))
            return
        field = None
        n = 0
        for f in ("local", "inline", "source"):
            if val.get(f) is not None:
                n += 1
                field = f
        if n > 1:
            report.error(CODE_ERR, E_TOO_MANY_RESOURCE_SOURCES, path + (field,))
            return
        if path[:2] == ("ignition", "config") and field == "inline":
            validate_ignition_config(path, val["inline"].encode("utf-8", "surrogateescape"), report, path + (field,), sch.ign_version)

    def v_filesystem(val: dict[str, Any], path: DataPath) -> None:
        if not val.get("with_mount_unit"):
            return
        fmt = val.get("format")
        if not swap_units:
            if not val.get("path"):
                report.error(CODE_ERR, E_MOUNT_NO_PATH, path + ("path",))
            if not fmt:
                report.error(CODE_ERR, E_MOUNT_NO_FORMAT, path + ("format",))
            return
        if not fmt:
            report.error(CODE_ERR, E_MOUNT_NO_FORMAT, path + ("format",))
        elif fmt != "swap" and not val.get("path"):
            report.error(CODE_ERR, E_MOUNT_NO_PATH, path + ("path",))

    def v_mode(val: dict[str, Any], path: DataPath, directory: bool) -> None:
        m = val.get("mode")
        if m is not None and decimal_mode(m, directory):
            report.warn(CODE_WARN, E_DECIMAL_MODE, path + ("mode",))

    def v_sources(val: dict[str, Any], path: DataPath) -> None:
        if val.get("contents_local") is not None and val.get("contents") is not None:
            report.error(CODE_ERR, E_TOO_MANY_SYSTEMD_SOURCES, path + ("contents_local",))

    def v_quadlet(val: dict[str, Any], path: DataPath) -> None:
        name = val.get("name", "")
        if not name.endswith(QUADLET_EXTS):
            report.error(CODE_ERR, E_QUADLET_EXT, path + ("name",))
            return
        if template_instance(name):
            if val.get("contents") is not None:
                report.error(CODE_ERR, E_TEMPLATE_CONTENTS, path + ("contents",))
            if val.get("contents_local") is not None:
                report.error(CODE_ERR, E_TEMPLATE_CONTENTS, path + ("contents_local",))
        else:
            v_sources(val, path)

    def walk(t: str, val: Value, path: DataPath) -> None:
        if val is None:
            return
        if t.startswith("*"):
            t = t[1:]
        if t in SLICE_NAMED:
            t = SLICE_NAMED[t]
        if t.startswith("[]"):
            for i, v in enumerate(val):
                walk(t[2:], v, path + (i,))
            return
        fields = sch.structs.get(t)
        if fields is None or not isinstance(val, dict):
            return
        if t in ("Resource", "FileContents"):
            v_resource(t, val, path)
        elif t == "Filesystem":
            v_filesystem(val, path)
        elif t == "Directory":
            v_mode(val, path, True)
        elif t == "File":
            v_mode(val, path, False)
        elif t == "Tree":
            if not val.get("local"):
                report.error(CODE_ERR, E_TREE_NO_LOCAL, path)
        elif t in ("Unit", "Dropin") and unit_contents_local:
            v_sources(val, path)
        elif t == "Quadlet":
            v_quadlet(val, path)
        for k, ft in fields:
            walk(ft, val.get(k), path + (k,))

    walk("Config", cfg, ())


def validate_ignition_config(path: DataPath, raw: bytes, report: Report, field_path: DataPath, ign_version: str) -> None:
    """Butane's ValidateIgnitionConfig on an inline merge/replace config: a
    parse error is reported (and fails the resource); a version other than the
    target spec's only warns; otherwise Ignition's report on the config, with
    its own (JSON) paths."""
    from hostform import ignition
    from hostform.diagnostics import Diagnostic

    cfg, rep = ignition.parse(raw)
    entries = [d for d in rep if d.path is not None]
    parse_failed = cfg is None and any(d.code == "HF202" for d in rep) and not any(d.path for d in entries)
    if parse_failed and entries:
        for d in entries:
            report.add(Diagnostic(d.severity, CODE_ERR, d.message, ()))
        report.error(CODE_ERR, "config is not valid", field_path)
        return
    from hostform.ignition._parse import config_version

    version = config_version(raw)
    if version is not None:
        from hostform.butane.translate import parse_semver

        sv = parse_semver(version)
        if sv is not None and sv != parse_semver(ign_version):
            report.warn(CODE_WARN, E_UNKNOWN_IGN_VERSION, path + ("version",))
            return
    for d in entries:
        code = CODE_ERR if d.severity == "error" else CODE_WARN
        report.add(Diagnostic(d.severity, code, d.message, tuple(d.path or ())))


# ------------------------------------------------------------ translation


class Ctx:
    def __init__(self, sch: Schema, files_dir: str, report: Report, ts: TranslationSet, safe: bool = False) -> None:
        self.sch = sch
        self.files_dir = files_dir
        self.report = report
        self.ts = ts
        self.safe = safe  # local files read as hostform build does (see read_local)


def _is_zero(val: Value) -> bool:
    if val is None:
        return True
    if isinstance(val, dict):
        return all(_is_zero(v) for v in val.values())
    if isinstance(val, list):
        return False  # a non-nil slice
    return not val


_ZEROS: dict[str, str | int | bool] = {"string": "", "int": 0, "bool": False}


def _zero_of(t: str) -> str | int | bool:
    return _ZEROS.get(t, "")


def tr_value(cx: Ctx, t: str, val: Value, frm: DataPath, to: DataPath) -> Value:
    """Translate ``val`` of Butane type ``t``; returns the output value."""
    if t.startswith("*"):
        if val is None:
            return None
        t = t[1:]
    if t in SLICE_NAMED:
        t = SLICE_NAMED[t]
    if t.startswith("[]"):
        if val is None:
            return None
        out = [tr_value(cx, t[2:], v, frm + (i,), to + (i,)) for i, v in enumerate(val)]
        cx.ts.add(frm, to)
        return out
    if t in cx.sch.structs:
        return tr_struct(cx, t, val or {}, frm, to)
    v = val if val is not None else _zero_of(t)
    cx.ts.add(frm, to)
    return v


def tr_struct(cx: Ctx, t: str, val: dict[str, Any], frm: DataPath, to: DataPath) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, ft in cx.sch.structs[t]:
        if (t, k) in SKIP:
            continue
        jk = camel(k)
        r = tr_value(cx, ft, val.get(k), frm + (k,), to + (jk,))
        if r is not None:
            out[jk] = r
    custom = _CUSTOM.get(t)
    if custom is not None:
        custom(cx, val, out, frm, to)
    if not _is_zero(val):
        cx.ts.add(frm, to)
    return out


def _tr_resource(cx: Ctx, val: dict[str, Any], out: dict[str, Any], frm: DataPath, to: DataPath) -> None:
    if not cx.sch.changes.has("resource-auto-encoding"):
        if val.get("inline") is not None:
            out["source"] = _escape_only(val["inline"].encode("utf-8", "surrogateescape"))
            cx.ts.add(frm + ("inline",), to + ("source",))
        return
    for field in ("local", "inline"):
        if val.get(field) is None:
            continue
        if field == "local":
            try:
                data = read_local(val["local"], cx.files_dir, cx.safe)
            except LocalFileError as e:
                cx.report.error(e.code, str(e), frm + ("local",))
                return
        else:
            data = val["inline"].encode("utf-8", "surrogateescape")
        url, comp = make_data_url(data, out.get("compression"))
        out["source"] = url
        cx.ts.add(frm + (field,), to + ("source",))
        if comp is not None:
            out["compression"] = comp
            cx.ts.add(frm + (field,), to + ("compression",))


def _tr_user(cx: Ctx, val: dict[str, Any], out: dict[str, Any], frm: DataPath, to: DataPath) -> None:
    locs = val.get("ssh_authorized_keys_local")
    if not locs:
        return
    c = frm + ("ssh_authorized_keys_local",)
    cx.ts.add(c, to + ("sshAuthorizedKeys",))
    if not cx.files_dir:
        cx.report.error(CODE_ERR, E_NO_FILES_DIR, c)
        return
    keys = out.setdefault("sshAuthorizedKeys", [])
    for i, f in enumerate(locs):
        try:
            data = read_local(f, cx.files_dir, cx.safe)
        except LocalFileError as e:
            cx.report.error(e.code, str(e), c + (i,))
            continue
        text = data.decode("utf-8", "surrogateescape")
        for line in text.split("\n"):
            if line.endswith("\r"):
                line = line[:-1]
            if line == "":
                continue
            cx.ts.add(c + (i,), to + ("sshAuthorizedKeys", len(keys)))
            keys.append(line)


def _tr_unit(cx: Ctx, val: dict[str, Any], out: dict[str, Any], frm: DataPath, to: DataPath) -> None:
    loc = val.get("contents_local")
    if not loc:
        return
    try:
        data = read_local(loc, cx.files_dir, cx.safe)
    except LocalFileError as e:
        cx.report.error(e.code, str(e), frm + ("contents_local",))
        return
    cx.ts.add(frm + ("contents_local",), to + ("contents",))
    out["contents"] = data.decode("utf-8", "surrogateescape")


_CUSTOM: dict[str, Translator] = {
    "Resource": _tr_resource,
    "FileContents": _tr_resource,
    "PasswdUser": _tr_user,
    "Unit": _tr_unit,
    "Dropin": _tr_unit,
}


def translate(cfg: dict[str, Any], sch: Schema, files_dir: str, report: Report, safe: bool = False) -> tuple[dict[str, Any], TranslationSet]:
    ts = TranslationSet()
    cx = Ctx(sch, files_dir, report, ts, safe)
    out: dict[str, Any] = {}
    ign = tr_struct(cx, "Ignition", cfg.get("ignition") or {}, ("ignition",), ("ignition",))
    ign["version"] = sch.ign_version
    out["ignition"] = ign
    ts.add(("version",), ("ignition", "version"))
    ts.add(("ignition",), ("ignition",))
    for k, ft in sch.structs["Config"]:
        if ("Config", k) in SKIP or k == "ignition":
            continue
        jk = camel(k)
        r = tr_value(cx, ft, cfg.get(k), (k,), (jk,))
        if r:
            out[jk] = r
    add_mount_units(cx, cfg, out)
    process_trees(cx, cfg, out)
    if sch.changes.has("quadlets"):
        process_quadlets(cx, cfg, out)
    return out, ts


# ------------------------------------------------------------ mount units


def unit_name_path_escape(p: str) -> str:
    """go-systemd's UnitNamePathEscape, as Butane names mount and swap units: systemd's unit-name
    escaping of a path, but a byte as ``\\x%x`` (``\\x9`` for a tab, where ``systemd-escape``
    and :func:`hostform.escape.systemd_path` write ``\\x09``). Ignition refuses a path that is
    not clean, so the cleaning here changes no name of a valid config."""

    if p == "/" or p == "":
        return "-"
    p = go_clean(p).strip("/")
    out = []
    for i, ch in enumerate(p.encode()):
        c = chr(ch)
        if c == "/":
            out.append("-")
        elif (c == "." and i == 0) or not (c.isascii() and (c.isalnum() or c in ":_.")):
            out.append("\\x%x" % ch)
        else:
            out.append(c)
    return "".join(out)


def mount_unit(sch: Schema, fs: dict[str, Any], remote: bool) -> dict[str, Any]:
    device = fs.get("device", "")
    fmt = fs.get("format") or ""
    opts = list(fs.get("mount_options") or [])
    swap = fmt == "swap" and sch.changes.has("mount-unit-swap")
    remote = remote and sch.changes.has("mount-unit-remote")
    options = ""
    if opts or remote:
        options = "\nOptions=" + ",".join(opts)
        if remote:
            options += ("," if opts else "") + "_netdev"
    esc = unit_name_path_escape(device)
    if swap:
        text = f"# Generated by Butane\n[Swap]\nWhat={device}{options}\n\n[Install]\nRequiredBy=swap.target"
        name = esc + ".swap"
    else:
        path = fs.get("path") or ""
        target = "remote-fs.target" if remote else "local-fs.target"
        text = (
            "# Generated by Butane\n[Unit]\n"
            f"Requires=systemd-fsck@{esc}.service\nAfter=systemd-fsck@{esc}.service\n\n"
            f"[Mount]\nWhere={path}\nWhat={device}\nType={fmt}{options}\n\n[Install]\nRequiredBy={target}"
        )
        name = unit_name_path_escape(path) + ".mount"
    return {"contents": text, "enabled": True, "name": name}


def add_mount_units(cx: Ctx, cfg: dict[str, Any], out: dict[str, Any]) -> None:
    if not cx.sch.changes.has("mount-units"):
        return
    storage = cfg.get("storage") or {}
    filesystems = storage.get("filesystems") or []
    if not filesystems:
        return
    from hostform.butane.fcos import ignition_types
    from hostform.ignition.merge import add_from_common_source, merge_translated

    types = ignition_types(cx.sch.version)
    units: list[dict[str, Any]] = []
    rts: dict[DataPath, DataPath] = {("systemd",): ("storage", "filesystems"), ("systemd", "units"): ("storage", "filesystems")}
    for i, fs in enumerate(filesystems):
        if not fs.get("with_mount_unit"):
            continue
        remote = False
        dev = fs.get("device", "")
        if dev.startswith("/dev/mapper/") or dev.startswith("/dev/disk/by-id/dm-name-"):
            for luks in storage.get("luks") or []:
                name = luks.get("name", "")
                if dev in (f"/dev/mapper/{name}", f"/dev/disk/by-id/dm-name-{name}"):
                    if (luks.get("clevis") or {}).get("tang"):
                        remote = True
                        break
        unit = mount_unit(cx.sch, fs, remote)
        add_from_common_source(rts, ("storage", "filesystems", i, "with_mount_unit"), ("systemd", "units", len(units)), unit, types, "Unit")
        units.append(unit)
    parent = {"systemd": {"units": units}} if units else {}
    result, new_ts = merge_translated(parent, rts, out, cx.ts.set, types)
    out.clear()
    out.update(result)
    cx.ts.set = new_ts


# ------------------------------------------------------------ node tracker, trees, quadlets


class NodeTracker:
    """Butane's nodeTracker: the files, directories and links of the output config by path."""

    def __init__(self, out: dict[str, Any]) -> None:
        st: dict[str, Any] = out.setdefault("storage", {})
        self.st = st
        self.maps: dict[str, dict[str, int]] = {}
        for kind in ("files", "directories", "links"):
            self.maps[kind] = {n.get("path", ""): i for i, n in enumerate(st.get(kind) or [])}

    def exists(self, path: str) -> bool:
        return any(path in m for m in self.maps.values())

    def get(self, kind: str, path: str) -> tuple[int, dict[str, Any] | None]:
        i = self.maps[kind].get(path)
        if i is None:
            return 0, None
        node: dict[str, Any] = self.st[kind][i]
        return i, node

    def add(self, kind: str, node: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        lst: list[dict[str, Any]] = self.st.setdefault(kind, [])
        i = len(lst)
        lst.append(node)
        self.maps[kind][node["path"]] = i
        return i, node


def _create_node(path: str, user: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
    n: dict[str, Any] = {"path": path}
    if user:
        n["user"] = dict(user)
    if group:
        n["group"] = dict(group)
    return n


def _common(ts: TranslationSet, frm: DataPath, to: DataPath, node: dict[str, Any]) -> None:
    ts.add_from_common_source(frm, to, node)
    # Go's getAllPaths includes zero fields too
    for k in ("overwrite", "user", "group", "mode", "contents", "hard", "target"):
        ts.set.setdefault(to + (k,), frm)


def process_trees(cx: Ctx, cfg: dict[str, Any], out: dict[str, Any]) -> None:
    trees = (cfg.get("storage") or {}).get("trees") or []
    if not trees:
        return
    t = NodeTracker(out)
    r = cx.report
    mode_ownership = cx.sch.changes.has("tree-mode-ownership")
    for i, tree in enumerate(trees):
        ypath = ("storage", "trees", i)
        if not cx.files_dir:
            r.error(CODE_ERR, E_NO_FILES_DIR, ypath)
            return
        src_base = go_join(cx.files_dir, tree.get("local", ""))
        try:
            ensure_within(src_base, cx.files_dir)
        except LocalFileError as e:
            r.error(CODE_ERR, str(e), ypath)
            continue
        if cx.safe:
            from hostform._inputs import inside

            if not inside(cx.files_dir, src_base):
                r.error("HF004", f"local tree {tree.get('local', '')} is outside the project directory (symlinks followed)", ypath)
                continue
        try:
            st = os.stat(src_base)
        except OSError as e:
            r.error(CODE_ERR, os_error("stat", src_base, e), ypath)
            continue
        import stat as _stat

        if not _stat.S_ISDIR(st.st_mode):
            r.error(CODE_ERR, E_TREE_NOT_DIR, ypath)
            continue
        dest_base = tree.get("path") or "/"
        user: dict[str, Any] = {}
        group: dict[str, Any] = {}
        file_mode: int | None = None
        dir_mode: int | None = None
        if mode_ownership:
            user, group = tree.get("user") or {}, tree.get("group") or {}
            file_mode, dir_mode = tree.get("file_mode"), tree.get("dir_mode")
        _walk_tree(cx, t, ypath, src_base, dest_base, user, group, file_mode, dir_mode)


def _walk_paths(root: str) -> Iterator[tuple[str, os.stat_result | OSError]]:
    """filepath.Walk order: the root, then entries sorted by name, depth first
    (no symlink following); each path with its lstat, or the error met there."""
    import stat as _stat

    def rec(p: str) -> Iterator[tuple[str, os.stat_result | OSError]]:
        try:
            st = os.lstat(p)
        except OSError as e:
            yield p, e
            return
        yield p, st
        if _stat.S_ISDIR(st.st_mode):
            try:
                names = sorted(os.listdir(p))
            except OSError as e:
                yield p, e
                return
            for n in names:
                yield from rec(os.path.join(p, n))

    yield from rec(root)


def _walk_tree(
    cx: Ctx,
    t: NodeTracker,
    ypath: DataPath,
    src_base: str,
    dest_base: str,
    user: dict[str, Any],
    group: dict[str, Any],
    file_mode: int | None,
    dir_mode: int | None,
) -> None:
    import stat as _stat

    ts = cx.ts
    r = cx.report
    for src, st in _walk_paths(src_base):
        if isinstance(st, OSError):
            r.error(CODE_ERR, os_error("lstat", src, st), ypath)
            continue
        rel = os.path.relpath(src, src_base)
        dest = go_join(dest_base, rel)
        mode = st.st_mode
        if _stat.S_ISDIR(mode):
            if dir_mode is None and not user and not group:
                continue  # nothing to set: no directory node
            if t.exists(dest):
                r.error(CODE_ERR, E_NODE_EXISTS, ypath)
                continue
            d = _create_node(dest, user, group)
            d["mode"] = dir_mode if dir_mode is not None else 0o755
            i, d = t.add("directories", d)
            _common(ts, ypath, ("storage", "directories", i), d)
            if i == 0:
                ts.add(ypath, ("storage", "directories"))
        elif _stat.S_ISREG(mode):
            i, f = t.get("files", dest)
            if f is not None:
                if (f.get("contents") or {}).get("source"):
                    r.error(CODE_ERR, E_NODE_EXISTS, ypath)
                    continue
            else:
                if t.exists(dest):
                    r.error(CODE_ERR, E_NODE_EXISTS, ypath)
                    continue
                i, f = t.add("files", _create_node(dest, user, group))
                _common(ts, ypath, ("storage", "files", i), f)
                if i == 0:
                    ts.add(ypath, ("storage", "files"))
            if cx.safe:  # a file swapped for a FIFO since the lstat must not block
                try:
                    data = _read_safe(os.path.relpath(src, cx.files_dir), src, cx.files_dir)
                except LocalFileError as e:
                    r.error(e.code, str(e), ypath)
                    continue
            else:
                try:
                    with open(src, "rb") as fh:
                        data = fh.read()
                except OSError as e:
                    r.error(CODE_ERR, os_error("open", src, e), ypath)
                    continue
            contents = f.setdefault("contents", {})
            url, comp = make_data_url(data, contents.get("compression"))
            contents["source"] = url
            fp = ("storage", "files", i)
            ts.add(ypath, fp + ("contents", "source"))
            if comp is not None:
                contents["compression"] = comp
                ts.add(ypath, fp + ("contents", "compression"))
            ts.add(ypath, fp + ("contents",))
            if f.get("mode") is None:
                m = 0o755 if mode & 0o111 else 0o644
                if file_mode is not None:
                    m = file_mode
                f["mode"] = m
                ts.add(ypath, fp + ("mode",))
        elif _stat.S_ISLNK(mode):
            i, link = t.get("links", dest)
            if link is not None:
                if link.get("target"):
                    r.error(CODE_ERR, E_NODE_EXISTS, ypath)
                    continue
            else:
                if t.exists(dest):
                    r.error(CODE_ERR, E_NODE_EXISTS, ypath)
                    continue
                i, link = t.add("links", _create_node(dest, user, group))
                _common(ts, ypath, ("storage", "links", i), link)
                if i == 0:
                    ts.add(ypath, ("storage", "links"))
            link["target"] = os.readlink(src)
            ts.add(ypath, ("storage", "links", i, "target"))
        else:
            r.error(CODE_ERR, E_FILE_TYPE, ypath)


def _quadlet_path(rootful: bool, name: str) -> str:
    base = "/etc/containers/systemd" if rootful else "/etc/containers/systemd/users"
    return go_join(base, name)


def _add_file_with_contents(cx: Ctx, t: NodeTracker, local: str | None, inline: str | None, dest: str, cpath: DataPath) -> None:
    ts = cx.ts
    r = cx.report
    _, f = t.get("files", dest)
    if (f is not None and (f.get("contents") or {}).get("source")) or t.exists(dest):
        r.error(CODE_ERR, E_NODE_EXISTS, cpath)
        return
    i, f = t.add("files", {"path": dest})
    fp = ("storage", "files", i)
    if i == 0:
        ts.add(cpath, ("storage", "files"))
    _common(ts, cpath, fp, f)
    ts.add(cpath + ("name",), fp + ("path",))
    data = b""
    cp = cpath
    if local:
        cp = cpath + ("contents_local",)
        try:
            data = read_local(local, cx.files_dir, cx.safe)
        except LocalFileError as e:
            r.error(e.code, str(e), cp)
            return
    if inline:
        cp = cpath + ("contents",)
        data = inline.encode("utf-8", "surrogateescape")
    contents = f.setdefault("contents", {})
    url, comp = make_data_url(data, contents.get("compression"))
    contents["source"] = url
    ts.add(cp, fp + ("contents", "source"))
    if comp is not None:
        contents["compression"] = comp
        ts.add(cpath, fp + ("contents", "compression"))
    ts.add(cp, fp + ("contents",))
    if f.get("mode") is None:
        f["mode"] = 0o644
        ts.add(cpath, fp + ("mode",))


def process_quadlets(cx: Ctx, cfg: dict[str, Any], out: dict[str, Any]) -> None:
    quadlets = (cfg.get("systemd") or {}).get("quadlets") or []
    if not quadlets:
        return
    t = NodeTracker(out)
    ts = cx.ts
    qp = ("systemd", "quadlets")
    ts.add(qp, ("storage",))
    for n, q in enumerate(quadlets):
        path = qp + (n,)
        name = q.get("name", "")
        rootful = bool(q.get("rootful"))
        tmpl = template_instance(name)
        dest = _quadlet_path(rootful, name)
        if tmpl:
            _, link = t.get("links", dest)
            if link is not None or t.exists(dest):
                cx.report.error(CODE_ERR, E_NODE_EXISTS, path)
            else:
                i, link = t.add("links", {"path": dest, "target": tmpl})
                lp = ("storage", "links", i)
                if i == 0:
                    ts.add(path, ("storage", "links"))
                _common(ts, path, lp, link)
                ts.add(path + ("name",), lp + ("path",))
                ts.add(path, lp + ("target",))
        else:
            _add_file_with_contents(cx, t, q.get("contents_local"), q.get("contents"), dest, path)
        for j, d in enumerate(q.get("dropins") or []):
            dp = path + ("dropins", j)
            ddest = dest + ".d/" + d.get("name", "")
            _add_file_with_contents(cx, t, d.get("contents_local"), d.get("contents"), ddest, dp)
