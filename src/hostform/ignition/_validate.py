"""Ignition v2.26.0's validation of a config, as vcontext walks it.

Entries come in vcontext's order: first every type's own ``Validate`` in a
struct-field-order walk (a struct is checked before its fields), then the
duplicate-key walk (``ValidateDups``), then, when the raw JSON is known, the
unused-key walk.  Version differences between spec 3.0 and 3.7 are checks
on ``sp.minor``.
"""

from __future__ import annotations

from hostform import gostd as g
from hostform.diagnostics import ERROR, WARNING, Diagnostic, Report
from hostform.ignition._gosystemd import parse_unit
from hostform.ignition.spec import spec as _spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hostform.ignition.spec import Spec

    Obj = dict[str, Any]  # a decoded struct: JSON name -> value
    # a path in the config: keys, indices and, last, ("key", name) for a key itself
    Path = tuple[str | int | tuple[str, str], ...]
    Entry = tuple[str, str, Path, bool]  # (severity, message, path, is_key)
    Visit = Callable[["_Ctx", str, Obj, Path], None]
    ScalarVisit = Callable[["_Ctx", str, Any, Path], None]

_DIGIT = "0123456789"
_HEX = "0123456789abcdefABCDEF"

CODE_ERROR = "HF200"
CODE_WARNING = "HF201"

# messages (Ignition's config/shared/errors/errors.go)
E_INVALID_VERSION = "invalid config version (couldn't parse)"
E_UNKNOWN_VERSION = "unsupported config version"
E_DUPLICATE = "duplicate entry defined"
E_COMPRESSION = "invalid compression method"
E_FILE_SYMLINK = "file path includes link in config"
E_DIR_SYMLINK = "directory path includes link in config"
E_LINK_SYMLINK = "link path includes link in config"
E_LINK_TARGET = "link target is required"
E_HARDLINK_DIR = "hard link target is a directory"
E_HARDLINK_OWNER = "user/group ignored for hard link"
E_DISK_DEVICE = "disk device is required"
E_PART_NUMBERS = "partition numbers collide"
E_PART_OVERLAP = "partitions overlap"
E_OVERWRITE_NIL = "overwrite must be false if source is unspecified"
E_VERIFICATION_NIL = "source must be specified if verification is specified"
E_FS_FORMAT = "invalid filesystem format"
E_LABEL_FORMAT = "filesystem must specify format if label is specified"
E_FORMAT_NIL = "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified"
E_LABEL_LEN = {
    "ext4": (16, "filesystem labels cannot be longer than 16 characters when using ext4"),
    "btrfs": (256, "filesystem labels cannot be longer than 256 characters when using btrfs"),
    "xfs": (12, "filesystem labels cannot be longer than 12 characters when using xfs"),
    "swap": (15, "filesystem labels cannot be longer than 15 characters when using swap"),
    "vfat": (11, "filesystem labels cannot be longer than 11 characters when using vfat"),
}
E_LUKS_LABEL = "luks device labels cannot be longer than 47 characters"
E_LUKS_SLASH = "device names cannot contain slashes"
E_LUKS_KEYFILE = "invalid key-file source"
E_CLEVIS_PIN = "missing required custom clevis pin"
E_CLEVIS_UNKNOWN_PIN = "unsupported clevis pin"
E_CLEVIS_CONFIG = "missing required custom clevis config"
E_CLEVIS_CUSTOM_OTHERS = "cannot use custom clevis config with tpm2, tang, or threshold"
E_TANG_THUMBPRINT = "thumbprint is required"
E_TANG_ADV = "advertisement is not valid JSON"
E_MODE = "illegal file mode"
E_MODE_SPECIAL = "setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0"
E_ID_AND_NAME = "cannot set both id and name"
E_PART_LABEL_LEN = "partition labels may not exceed 36 characters"
E_GUID = 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"'
E_PART_LABEL_COLON = "partition label will be truncated to text before the colon"
E_NO_PATH = "path not specified"
E_PATH_RELATIVE = "path not absolute"
E_DIRTY_PATH = "path is not fully simplified"
E_PARTITIONS_OVERWRITTEN = "filesystem overwrites partitioned device"
E_IMPLICIT_WIPE = "device matches disk with wipeTable enabled; filesystem will be wiped"
E_RAID_LEVEL = "raid level is required"
E_RAID_SPARES = "spares unsupported for linear and raid0 arrays"
E_RAID_UNKNOWN = "unrecognized raid level"
E_RAID_DEVICES = "raid devices required"
E_SHOULD_NOT_EXIST = "shouldExist specified false with other options also specified"
E_LABEL_OR_NUMBER = "a partition number >= 1 or a label must be specified"
E_DUP_LABELS = "cannot use the same partition label twice"
E_PROXY = "proxies must be http(s)"
E_INSECURE_PROXY = "insecure plaintext HTTP proxy specified for HTTPS resources"
E_SYSTEMD_CONFLICT = "path conflicts with systemd unit or dropin"
E_CEX_CLEVIS = "cannot use cex with clevis"
E_CEX_KEYFILE = "cannot use key file with cex"
E_SYSTEMD_EXT = "invalid systemd unit extension"
E_DROPIN_EXT = "invalid systemd drop-in extension"
E_SOURCE_REQUIRED = "source is required"
E_SCHEME = "invalid url scheme"
E_URL = "unable to parse url"
E_HEADER = "unable to parse HTTP header"
E_HEADER_NAME = "HTTP header name can't be empty"
E_HEADER_SCHEME = "cannot use HTTP headers with this source scheme"
E_HASH_MALFORMED = "malformed hash specifier"
E_HASH_SIZE = "incorrect size for hash sum"
E_HASH_UNKNOWN = "unrecognized hash function"
E_S3_ARN = "invalid S3 ARN format"
E_S3_VERSION = "invalid S3 object VersionId"
E_ZEROES_SHOULD_NOT_EXIST = "shouldExist is false for a partition and other partition(s) has start or size 0"

UNIT_EXTS = (".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target", ".path", ".timer", ".snapshot", ".slice", ".scope")


class _Ctx:
    """Collects (severity, message, path, is_key) in order."""

    __slots__ = ("sp", "m", "entries")

    def __init__(self, sp: Spec) -> None:
        self.sp = sp
        self.m = sp.minor
        self.entries: list[Entry] = []

    def err(self, path: Path, msg: str | None) -> None:
        if msg:
            self.entries.append((ERROR, msg, path, False))

    def warn(self, path: Path, msg: str | None) -> None:
        if msg:
            self.entries.append((WARNING, msg, path, False))


def _nonempty(v: object) -> bool:
    return v is not None and v != ""


# ---------------------------------------------------------------- shared checks

def _path(p: str) -> str | None:
    if not p:
        return E_NO_PATH
    if not p.startswith("/"):
        return E_PATH_RELATIVE
    if g.clean(p) != p:
        return E_DIRTY_PATH
    return None


def _path_nil_ok(p: str | None) -> str | None:
    return None if not p else _path(p)


def _mode(m: int | None) -> str | None:
    if m is not None and (m < 0 or m > 0o7777):
        return E_MODE
    return None


def _arn_error(full: str) -> str | None:
    if not (full.startswith("arn:") and full.count(":") >= 5):
        return E_S3_ARN
    sec = full.split(":", 5)
    if len(sec) != 6:
        return "arn: not enough sections"
    if not sec[1]:
        return "arn: invalid partition"
    if not sec[2]:
        return "arn: invalid service"
    if not sec[5]:
        return "arn: invalid resource"
    if sec[2] != "s3":
        return E_S3_ARN
    n = len(full.split("/"))
    if sec[5].startswith("accesspoint/") and n < 3:
        return E_S3_ARN
    if n < 2:
        return E_S3_ARN
    return None


def _url(ctx: _Ctx, s: str) -> str | None:
    u = g.url_parse(s)
    if u is None:
        return E_URL
    sch = u.scheme
    m = ctx.m
    if sch in ("http", "https", "tftp") or (sch == "gs" and m >= 2):
        return None
    if sch == "s3":
        if m >= 4:
            q = u.query()
            if "versionId" in q and (not q["versionId"] or q["versionId"][0] == ""):
                return E_S3_VERSION
        return None
    if sch == "arn" and m >= 4:
        e = _arn_error("arn:" + u.opaque)
        if e:
            return e
        q = u.query()
        if "versionId" in q and (not q["versionId"] or q["versionId"][0] == ""):
            return E_S3_VERSION
        return None
    if sch == "data":
        from hostform.ignition._dataurl import error

        return error(s)
    return E_SCHEME


def _url_nil_ok(ctx: _Ctx, s: str | None) -> str | None:
    return None if not s else _url(ctx, s)


def _required_source(ctx: _Ctx, res: Obj) -> str | None:
    src = res.get("source")
    if not src:
        return E_SOURCE_REQUIRED
    return _url(ctx, src)


# ---------------------------------------------------------------- per-type Validate

def v_config(ctx: _Ctx, o: Obj, c: Path) -> None:
    units = (o.get("systemd") or {}).get("units") or ()
    paths: set[str] = set()
    for u in units:
        name = u.get("name") or ""
        if _nonempty(u.get("contents")):
            paths.add("/etc/systemd/system/" + name)
        for d in u.get("dropins") or ():
            if _nonempty(d.get("contents")):
                paths.add("/etc/systemd/system/" + name + ".d/" + (d.get("name") or ""))
    st = o.get("storage") or {}
    for kind in ("files", "directories", "links"):
        for i, n in enumerate(st.get(kind) or ()):
            if (n.get("path") or "") in paths:
                ctx.err(c + ("storage", kind, i, "path"), E_SYSTEMD_CONFLICT)


def _semver_ident_ok(ident: str) -> bool:
    """go-semver's validateIdentifier: empty, or dot-separated non-empty runs of [0-9A-Za-z-]."""
    return not ident or all(seg and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in seg) for seg in ident.split("."))


def semver(v: str) -> tuple[int, int, int, str, str] | None:
    """coreos/go-semver NewVersion: (major, minor, patch, pre, meta) or None.

    The metadata is split off at the first "+", then the pre-release at the
    first "-"; both may be empty.  Each of the three numbers is a
    strconv.ParseInt(s, 10, 64), so leading zeros are fine ("03" is 3).
    """
    v, _, meta = v.partition("+")
    v, _, pre = v.partition("-")
    parts = v.split(".", 2)
    if len(parts) != 3 or not _semver_ident_ok(pre) or not _semver_ident_ok(meta):
        return None
    nums = []
    for p in parts:
        if not p or any(ch not in _DIGIT for ch in p) or int(p) >= 2**63:
            return None
        nums.append(int(p))
    return (nums[0], nums[1], nums[2], pre, meta)


def v_ignition(ctx: _Ctx, o: Obj, c: Path) -> None:
    """Ignition.Validate: the version must parse, and equal MaxVersion as a Version struct."""
    sv = semver(o.get("version") or "")
    c = c + ("version",)
    if sv is None:
        ctx.err(c, E_INVALID_VERSION)
    elif sv != semver(ctx.sp.version):
        ctx.err(c, E_UNKNOWN_VERSION)


def v_ignition_config(ctx: _Ctx, o: Obj, c: Path) -> None:
    if ctx.m >= 1:
        for i, res in enumerate(o.get("merge") or ()):
            ctx.err(c + ("merge", i), _required_source(ctx, res or {}))


def v_config_reference(ctx: _Ctx, o: Obj, c: Path) -> None:  # 3.0
    ctx.err(c + ("source",), _url_nil_ok(ctx, o.get("source")))


def v_ca_reference(ctx: _Ctx, o: Obj, c: Path) -> None:  # 3.0
    ctx.err(c + ("source",), _url(ctx, o.get("source") or ""))


def v_tls(ctx: _Ctx, o: Obj, c: Path) -> None:
    for i, res in enumerate(o.get("certificateAuthorities") or ()):
        ctx.err(c + ("certificateAuthorities", i), _required_source(ctx, res or {}))


def _proxy_url(ctx: _Ctx, s: str | None, c: Path, http_ok: bool) -> None:
    if s is None:
        return
    u = g.url_parse(s)
    if u is None:
        ctx.err(c, E_URL)
        return
    if u.scheme not in ("http", "https"):
        ctx.err(c, E_PROXY)
        return
    if u.scheme == "http" and not http_ok:
        ctx.warn(c, E_INSECURE_PROXY)


def v_proxy(ctx: _Ctx, o: Obj, c: Path) -> None:
    _proxy_url(ctx, o.get("httpProxy"), c + ("httpProxy",), True)
    _proxy_url(ctx, o.get("httpsProxy"), c + ("httpsProxy",), False)


def v_resource(ctx: _Ctx, o: Obj, c: Path) -> None:
    comp = o.get("compression")
    if comp is not None and comp not in ("", "gzip"):
        ctx.err(c + ("compression",), E_COMPRESSION)
    if (o.get("verification") or {}).get("hash") is not None and o.get("source") is None:
        ctx.err(c + ("verification", "hash"), E_VERIFICATION_NIL)
    ctx.err(c + ("source",), _url_nil_ok(ctx, o.get("source")))
    if ctx.m >= 1 and o.get("httpHeaders"):
        src = o.get("source")
        if not src:
            ctx.err(c + ("httpHeaders",), E_URL)
        else:
            u = g.url_parse(src)
            if u is None:
                ctx.err(c + ("httpHeaders",), E_URL)
            elif u.scheme not in ("http", "https"):
                ctx.err(c + ("httpHeaders",), E_HEADER_SCHEME)


def v_verification(ctx: _Ctx, o: Obj, c: Path) -> None:
    h = o.get("hash")
    c = c + ("hash",)
    if h is None:
        return
    fn, dash, s = h.partition("-")
    if not dash:
        ctx.err(c, E_HASH_MALFORMED)
        return
    if fn == "sha512":
        size = 64
    elif fn == "sha256" and ctx.m >= 1:
        size = 32
    else:
        ctx.err(c, E_HASH_UNKNOWN)
        return
    if len(s.encode("utf-8")) != size * 2:
        ctx.err(c, E_HASH_SIZE)


def v_http_header(ctx: _Ctx, o: Obj, c: Path) -> None:
    if (o.get("name") or "") == "":
        ctx.err(c + ("name",), E_HEADER_NAME)
    if o.get("value") is not None and o.get("value") == "":
        ctx.err(c + ("value",), E_HEADER)


def _id_or_name(ctx: _Ctx, o: Obj, c: Path) -> None:
    if o.get("id") is not None and _nonempty(o.get("name")):
        ctx.err(c, E_ID_AND_NAME)


def _special_bits(ctx: _Ctx, o: Obj, c: Path) -> None:
    m = o.get("mode")
    if ctx.m < 6 and m is not None and (m & 0xFFFFFFFF) & 0o7000:
        ctx.warn(c + ("mode",), E_MODE_SPECIAL)


def v_file(ctx: _Ctx, o: Obj, c: Path) -> None:
    ctx.err(c + ("path",), _path(o.get("path") or ""))
    ctx.err(c + ("mode",), _mode(o.get("mode")))
    _special_bits(ctx, o, c)
    if o.get("overwrite") is True and (o.get("contents") or {}).get("source") is None:
        ctx.err(c + ("overwrite",), E_OVERWRITE_NIL)


def v_directory(ctx: _Ctx, o: Obj, c: Path) -> None:
    ctx.err(c + ("path",), _path(o.get("path") or ""))
    ctx.err(c + ("mode",), _mode(o.get("mode")))
    _special_bits(ctx, o, c)


def v_node(ctx: _Ctx, o: Obj, c: Path) -> None:
    ctx.err(c + ("path",), _path(o.get("path") or ""))


def _pend(p: Obj) -> int:
    start: int = p["startMiB"]
    size: int = p["sizeMiB"]
    if size == 0:
        return start
    return start + size - 1


def v_disk(ctx: _Ctx, o: Obj, c: Path) -> None:
    dev = o.get("device") or ""
    if not dev:
        ctx.err(c + ("device",), E_DISK_DEVICE)
        return
    ctx.err(c + ("device",), _path(dev))
    parts = [p or {} for p in (o.get("partitions") or ())]
    # numbers collide: Go iterates a map; the first colliding number in input order is the usual answer
    seen: dict[int, list[int]] = {}
    for i, p in enumerate(parts):
        n = p.get("number") or 0
        if n != 0:
            seen.setdefault(n, []).append(i)
    for idx in seen.values():
        if len(idx) > 1:
            ctx.err(c + ("partitions", idx[1]), E_PART_NUMBERS)
            break
    hit = None
    for p in parts:
        if p.get("startMiB") is None or p.get("sizeMiB") is None or p["startMiB"] == 0:
            continue
        for i, q in enumerate(parts):
            if q.get("startMiB") is None or q.get("sizeMiB") is None or _same_partition(p, q) or q["startMiB"] == 0:
                continue
            ps, pe, qs, qe = p["startMiB"], _pend(p), q["startMiB"], _pend(q)
            if (qs <= ps <= qe) or (qs <= pe <= qe) or (ps < qs and pe > qe):
                hit = i
                break
        if hit is not None:
            break
    if hit is not None:
        ctx.err(c + ("partitions", hit), E_PART_OVERLAP)
    has_zero = any((p.get("number") or 0) == 0 for p in parts)
    has_sne = any(p.get("shouldExist") is False for p in parts)
    if has_zero and has_sne:
        ctx.err(c + ("partitions",), E_ZEROES_SHOULD_NOT_EXIST)
    labels: set[str] = set()
    for i, p in enumerate(parts):
        lab = p.get("label")
        if lab is not None:
            if lab in labels:
                ctx.err(c + ("partitions", i), E_DUP_LABELS)
                break
            labels.add(lab)


def _same_partition(p: Obj, q: Obj) -> bool:
    # Go compares the Partition structs by value (pointers by address): equal only when it is the same entry
    return p is q


def _guid(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    groups = v.split("-")
    if [len(x) for x in groups] != [8, 4, 4, 4, 12] or any(ch not in _HEX for x in groups for ch in x):
        return E_GUID
    return None


def v_partition(ctx: _Ctx, o: Obj, c: Path) -> None:
    if o.get("shouldExist") is False and (
        o.get("label") is not None
        or _nonempty(o.get("typeGuid"))
        or _nonempty(o.get("guid"))
        or o.get("startMiB") is not None
        or o.get("sizeMiB") is not None
    ):
        ctx.err(c, E_SHOULD_NOT_EXIST)
    if (o.get("number") or 0) == 0 and o.get("label") is None:
        ctx.err(c, E_LABEL_OR_NUMBER)
    lab = o.get("label")
    if lab is not None:
        if len(lab.encode("utf-8")) > 36:
            ctx.err(c + ("label",), E_PART_LABEL_LEN)
        elif ":" in lab:
            ctx.err(c + ("label",), E_PART_LABEL_COLON)
    ctx.err(c + ("guid",), _guid(o.get("guid")))
    ctx.err(c + ("typeGuid",), _guid(o.get("typeGuid")))


def v_filesystem(ctx: _Ctx, o: Obj, c: Path) -> None:
    ctx.err(c + ("path",), _path_nil_ok(o.get("path")))
    ctx.err(c + ("device",), _path(o.get("device") or ""))
    fmt = o.get("format")
    err = None
    if not fmt:
        if (
            _nonempty(o.get("path"))
            or _nonempty(o.get("label"))
            or _nonempty(o.get("uuid"))
            or o.get("wipeFilesystem") is True
            or (ctx.m >= 1 and o.get("mountOptions"))
            or o.get("options")
        ):
            err = E_FORMAT_NIL
    else:
        formats = ("ext4", "btrfs", "xfs", "swap", "vfat", "none") if ctx.m >= 3 else ("ext4", "btrfs", "xfs", "swap", "vfat")
        if fmt not in formats:
            err = E_FS_FORMAT
    ctx.err(c + ("format",), err)
    lab = o.get("label")
    err = None
    if lab:
        if not fmt:
            err = E_LABEL_FORMAT
        elif fmt in E_LABEL_LEN:
            limit, msg = E_LABEL_LEN[fmt]
            if len(lab.encode("utf-8")) > limit:
                err = msg
    ctx.err(c + ("label",), err)


def _clevis_present(cl: Obj) -> bool:
    return (
        _nonempty((cl.get("custom") or {}).get("pin"))
        or bool(cl.get("tang"))
        or cl.get("tpm2") is True
        or (cl.get("threshold") or 0) != 0
    )


def v_luks(ctx: _Ctx, o: Obj, c: Path) -> None:
    if "/" in (o.get("name") or ""):
        ctx.err(c + ("name",), E_LUKS_SLASH)
    lab = o.get("label")
    if lab and len(lab.encode("utf-8")) > 47:
        ctx.err(c + ("label",), E_LUKS_LABEL)
    dev = o.get("device")
    if not dev:
        ctx.err(c + ("device",), E_DISK_DEVICE)
    else:
        ctx.err(c + ("device",), _path(dev))
    cl = o.get("clevis")
    if ctx.m >= 3:
        cl = cl or {}
        if _nonempty((cl.get("custom") or {}).get("pin")) and (
            cl.get("tang") or cl.get("tpm2") is True or (cl.get("threshold") or 0) != 0
        ):
            ctx.err(c + ("clevis",), E_CLEVIS_CUSTOM_OTHERS)
    elif cl is not None:
        if cl.get("custom") is not None and (cl.get("tang") or cl.get("tpm2") is True or (cl.get("threshold") or 0) != 0):
            ctx.err(c + ("clevis",), E_CLEVIS_CUSTOM_OTHERS)
    if _url_nil_ok(ctx, (o.get("keyFile") or {}).get("source")):
        ctx.err(c + ("keys",), E_LUKS_KEYFILE)
    if ctx.m >= 5:
        cex = (o.get("cex") or {}).get("enabled") is True
        if cex and _clevis_present(cl or {}):
            ctx.err(c + ("cex",), E_CEX_CLEVIS)
        if cex and _nonempty((o.get("keyFile") or {}).get("source")):
            ctx.err(c + ("cex",), E_CEX_KEYFILE)


def v_clevis_custom(ctx: _Ctx, o: Obj, c: Path) -> None:
    pin, conf = o.get("pin"), o.get("config")
    if not pin and not conf and o.get("needsNetwork") is not True:
        return
    if ctx.m >= 6:
        if not pin:
            ctx.err(c + ("pin",), E_CLEVIS_PIN)
    elif pin:
        if pin not in ("tpm2", "tang", "sss"):
            ctx.err(c + ("pin",), E_CLEVIS_UNKNOWN_PIN)
    else:
        ctx.err(c + ("pin",), E_CLEVIS_PIN)
    if not conf:
        ctx.err(c + ("config",), E_CLEVIS_CONFIG)


def v_custom(ctx: _Ctx, o: Obj, c: Path) -> None:  # 3.2
    pin, conf = o.get("pin") or "", o.get("config") or ""
    if pin == "" and conf == "":
        return
    if pin not in ("tpm2", "tang", "sss"):
        ctx.err(c + ("pin",), E_CLEVIS_UNKNOWN_PIN)
    if conf == "":
        ctx.err(c + ("config",), E_CLEVIS_CONFIG)


def v_tang(ctx: _Ctx, o: Obj, c: Path) -> None:
    u = g.url_parse(o.get("url") or "")
    if u is None:
        ctx.err(c + ("url",), E_URL)
    elif u.scheme not in ("http", "https"):
        ctx.err(c + ("url",), E_SCHEME)
    if not o.get("thumbprint"):
        ctx.err(c + ("thumbprint",), E_TANG_THUMBPRINT)
    if ctx.m >= 4 and o.get("advertisement"):
        from hostform.ignition import _jsonpos

        if _jsonpos.syntax_error(o["advertisement"].encode("utf-8")) is not None:
            ctx.err(c + ("advertisement",), E_TANG_ADV)


def v_raid(ctx: _Ctx, o: Obj, c: Path) -> None:
    lvl = o.get("level")
    err = None
    if ctx.m >= 3 and not lvl:
        err = E_RAID_LEVEL
    else:
        lvl = lvl or ""
        if lvl in ("linear", "raid0", "0", "stripe"):
            if (o.get("spares") or 0) != 0:
                err = E_RAID_SPARES
        elif lvl not in ("raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10"):
            err = E_RAID_UNKNOWN
    ctx.err(c + ("level",), err)
    if not o.get("devices"):
        ctx.err(c + ("devices",), E_RAID_DEVICES)


def v_device(ctx: _Ctx, v: str | None, c: Path) -> None:
    ctx.err(c, _path(v or ""))


def v_storage(ctx: _Ctx, o: Obj, c: Path) -> None:
    links = [x or {} for x in (o.get("links") or ())]
    dirs = [x or {} for x in (o.get("directories") or ())]
    for kind, msg in (("directories", E_DIR_SYMLINK), ("files", E_FILE_SYMLINK)):
        for i, d in enumerate(o.get(kind) or ()):
            p = (d or {}).get("path") or ""
            for link in links:
                if p.startswith((link.get("path") or "") + "/"):
                    ctx.err(c + (kind, i), msg)
    for i, l1 in enumerate(links):
        p1 = l1.get("path") or ""
        for l2 in links:
            if p1.startswith((l2.get("path") or "") + "/"):
                ctx.err(c + ("links", i), E_LINK_SYMLINK)
        tgt = l1.get("target")
        if ctx.m >= 3:
            if not tgt:
                ctx.err(c + ("links", i, "target"), E_LINK_TARGET)
                continue
        tgt = tgt or ""
        if l1.get("hard") is not True:
            continue
        target = g.clean(tgt)
        if not target.startswith("/"):
            target = g.join(p1, tgt)
        for d in dirs:
            if target == (d.get("path") or ""):
                ctx.err(c + ("links", i), E_HARDLINK_DIR)
        u, gr = l1.get("user") or {}, l1.get("group") or {}
        for who, key, obj in (("user", "id", u), ("user", "name", u), ("group", "id", gr), ("group", "name", gr)):
            if obj.get(key) is not None:
                ctx.warn(c + ("links", i, who, key), E_HARDLINK_OWNER)
    disks: dict[str, Obj] = {}
    for d in o.get("disks") or ():
        d = d or {}
        disks[d.get("device") or ""] = d
    for i, f in enumerate(o.get("filesystems") or ()):
        f = f or {}
        disk = disks.get(f.get("device") or "")
        if disk is not None:
            if disk.get("partitions"):
                ctx.warn(c + ("filesystems", i, "device"), E_PARTITIONS_OVERWRITTEN)
            elif f.get("wipeFilesystem") is not True and disk.get("wipeTable") is True:
                ctx.warn(c + ("filesystems", i, "device"), E_IMPLICIT_WIPE)


def _instance(name: str) -> str | None:
    """`^(.+?)@(.+?)\\.service$` -> the template prefix, or None."""
    if not name.endswith(".service"):
        return None
    body = name[: -len(".service")]
    at = body.find("@")
    if at < 1 or at == len(body) - 1 or "\n" in name:
        return None
    return body[:at]


def _has_install(opts: list[tuple[str, str, str]]) -> bool:
    return any(sec == "Install" for sec, _, _ in opts)


def v_systemd(ctx: _Ctx, o: Obj, c: Path) -> None:
    units: dict[str, Obj] = {}
    for u in o.get("units") or ():
        u = u or {}
        units[u.get("name") or ""] = u
    for i, u in enumerate(o.get("units") or ()):
        u = u or {}
        name = u.get("name") or ""
        pre = _instance(name)
        if pre is None or u.get("enabled") is not True:
            continue
        tmpl = pre + "@.service"
        t = units.get(tmpl)
        if t is not None and _nonempty(t.get("contents")):
            opts, err = parse_unit(t["contents"])
            if err is not None or opts is None:
                continue
            if not _has_install(opts):
                ctx.warn(c + ("units", i, "contents"), "template unit %s for %s doesn't have Install section" % (g.quote(tmpl), g.quote(name)))


def v_unit(ctx: _Ctx, o: Obj, c: Path) -> None:
    name = o.get("name") or ""
    if g.ext(name) not in UNIT_EXTS:
        ctx.err(c + ("name",), E_SYSTEMD_EXT)
    c = c + ("contents",)
    contents = o.get("contents")
    opts: list[tuple[str, str, str]] | None = []
    if contents is not None:
        opts, err = parse_unit(contents)
        if err is not None:
            ctx.err(c, "invalid unit content: " + err)
    if o.get("enabled") is True and contents and opts is not None and not _has_install(opts):
        ctx.warn(c, "unit %s is enabled, but has no install section so enable does nothing" % g.quote(name))


def v_dropin(ctx: _Ctx, o: Obj, c: Path) -> None:
    contents = o.get("contents")
    if contents is not None:
        _, err = parse_unit(contents)
        if err is not None:
            ctx.err(c + ("contents",), "invalid unit content: " + err)
    if g.ext(o.get("name") or "") != ".conf":
        ctx.err(c + ("name",), E_DROPIN_EXT)


def v_node_owner(ctx: _Ctx, o: Obj, c: Path) -> None:
    _id_or_name(ctx, o, c)


VALIDATORS = {
    "Config": v_config,
    "Ignition": v_ignition,
    "IgnitionConfig": v_ignition_config,
    "ConfigReference": v_config_reference,
    "CaReference": v_ca_reference,
    "TLS": v_tls,
    "Proxy": v_proxy,
    "Resource": v_resource,
    "FileContents": v_resource,
    "Verification": v_verification,
    "HTTPHeader": v_http_header,
    "NodeUser": v_node_owner,
    "NodeGroup": v_node_owner,
    "File": v_file,
    "Directory": v_directory,
    "Link": v_node,
    "Disk": v_disk,
    "Partition": v_partition,
    "Filesystem": v_filesystem,
    "Luks": v_luks,
    "ClevisCustom": v_clevis_custom,
    "Custom": v_custom,
    "Tang": v_tang,
    "Raid": v_raid,
    "Storage": v_storage,
    "Systemd": v_systemd,
    "Unit": v_unit,
    "Dropin": v_dropin,
}
SCALAR_VALIDATORS = {"Device": v_device}

# ValidateDups: Key() per type, ignored slices, merged lists
def _key(type_name: str, o: object) -> object:
    """Key() of a list entry, compared for equality (a string in Go; a named string type's
    entry is itself)."""
    if not isinstance(o, dict):
        return o if o is not None else ""
    if type_name in ("Disk", "Filesystem"):
        return o.get("device") or ""
    if type_name in ("File", "Directory", "Link"):
        return o.get("path") or ""
    if type_name == "Partition":
        n = o.get("number") or 0
        if n != 0:
            return "number:%d" % n
        if o.get("label") is not None:
            return "label:" + o["label"]
        return ""
    if type_name == "Tang":
        return o.get("url") or ""
    if type_name in ("Resource", "ConfigReference", "CaReference", "FileContents"):
        return o.get("source") or ""
    return o.get("name") or ""


IGNORE_DUPS = {"File": ("append",), "Filesystem": ("options", "mountOptions"), "Luks": ("options",), "Raid": ("options",)}
MERGED = {"Storage": {"directories": "Node", "files": "Node", "links": "Node"},
          "KernelArguments": {"shouldExist": "KernelArgument", "shouldNotExist": "KernelArgument"}}


def _dups(ctx: _Ctx, type_name: str, o: Obj, c: Path) -> None:
    lists: dict[str, set[object]] = {}
    ignore = IGNORE_DUPS.get(type_name, ())
    merged = MERGED.get(type_name, {})
    for f in ctx.sp.fields(type_name):
        if f.kind != "list" or f.name in ignore:
            continue
        seen = lists.setdefault(merged.get(f.name, f.name), set())
        for i, e in enumerate(o.get(f.name) or ()):
            k = _key(f.type, e)
            if k in seen:
                ctx.err(c + (f.name, i), E_DUPLICATE)
            seen.add(k)


# ---------------------------------------------------------------- the walk

def _walk(ctx: _Ctx, type_name: str, o: Obj, c: Path, visit: Visit, scalar_visit: ScalarVisit | None) -> None:
    visit(ctx, type_name, o, c)
    for f in ctx.sp.fields(type_name):
        v = o.get(f.name)
        p = c + (f.name,)
        if f.kind == "struct":
            if f.ptr and v is None:
                continue
            _walk(ctx, f.type, v or {}, p, visit, scalar_visit)
        elif f.kind == "list":
            if not v:
                continue
            if f.elem_kind == "struct":
                for i, e in enumerate(v):
                    _walk(ctx, f.type, e or {}, p + (i,), visit, scalar_visit)
            elif scalar_visit is not None and f.type in SCALAR_VALIDATORS:
                for i, e in enumerate(v):
                    scalar_visit(ctx, f.type, e, p + (i,))


def _visit_validate(ctx: _Ctx, type_name: str, o: Obj, c: Path) -> None:
    fn = VALIDATORS.get(type_name)
    if fn is not None:
        fn(ctx, o, c)


def _visit_scalar(ctx: _Ctx, type_name: str, v: Any, c: Path) -> None:
    SCALAR_VALIDATORS[type_name](ctx, v, c)


def _visit_dups(ctx: _Ctx, type_name: str, o: Obj, c: Path) -> None:
    _dups(ctx, type_name, o, c)


def validate_entries(cfg: Obj, version: str, unused: Visit | None = None) -> list[Entry]:
    """(severity, message, path, is_key) entries in Ignition's order.

    ``unused``, when given, is called as ``unused(ctx, type_name, obj, path)``
    for the unused-key walk (it needs the raw JSON tree).
    """
    sp = _spec(version)
    ctx = _Ctx(sp)
    _walk(ctx, "Config", cfg, (), _visit_validate, _visit_scalar)
    _walk(ctx, "Config", cfg, (), _visit_dups, None)
    if unused is not None:
        _walk(ctx, "Config", cfg, (), unused, None)
    return ctx.entries


def to_report(entries: list[Entry]) -> Report:
    r = Report()
    for sev, msg, path, _ in entries:
        r.add(Diagnostic(sev, CODE_ERROR if sev == ERROR else CODE_WARNING, msg, path))
    return r


def validate(cfg: Obj, version: str) -> Report:
    """Ignition's validation of a config dict as spec ``version``."""
    return to_report(validate_entries(cfg, version))
