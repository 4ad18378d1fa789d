"""The fcos variant's own sugar and checks (Butane ``config/fcos/v1_x``).

Two entry points, called by the Butane pipeline:

* :func:`validate_fcos` -- the fcos-level source checks: partitions reused by
  label, mount points of generated mount units, ``boot_device`` (layout,
  mirror devices, LUKS device and methods, CEX) and ``grub.users``.
* :func:`translate_fcos` -- runs after the base translation: desugars
  ``boot_device`` into disks, RAID arrays, a LUKS volume and filesystems,
  ``grub.users`` into ``/boot/grub2/user.cfg``, and adds the warnings about
  the root partition and reserved partition labels.

Butane builds the generated part as a separate Ignition config and merges
the user's (translated) config into it with Ignition's merge rules, carrying
the translation set through the merge transcript.  :func:`merge_translated`
does the same on plain dicts, driven by the Ignition struct tables in
``hostform.ignition._types_v3_*``; the base translation's mount units
(``butane.base.add_mount_units``) are merged with it too, as in Butane.

Paths are tuples of keys and indices.  Validation paths are on the Butane
input (snake_case); the generated config's paths are on the Ignition output
(camelCase).
"""

from __future__ import annotations

from hostform.butane.translate import map_path
from hostform.diagnostics import Report
from hostform.translations import TranslationSet

__all__ = ["validate_fcos", "translate_fcos", "merge_translated", "ignition_types"]

ERR = "HF100"
WARN = "HF101"

# Butane's messages (config/common/errors.go and Ignition's shared errors).
MSG_REUSE_BY_LABEL = (
    "partitions cannot be reused by label; number must be specified except on boot disk "
    "(/dev/disk/by-id/coreos-boot-disk) or when wipe_table is true"
)
MSG_MOUNT_POINT_FORBIDDEN = "path must be under /etc or /var if with_mount_unit is true"
MSG_UNKNOWN_LAYOUT = "layout must be one of: aarch64, ppc64le, s390x-eckd, s390x-virt, s390x-zfcp, x86_64"
MSG_UNKNOWN_LAYOUT_LEGACY = "layout must be one of: aarch64, ppc64le, x86_64"
MSG_TOO_FEW_MIRROR_DEVICES = "mirroring requires at least two devices"
MSG_MIRROR_REQUIRES_LAYOUT = "boot_device.layout should be specified when boot_device.mirror is specified"
MSG_NO_LUKS_BOOT_DEVICE = "device is required for layouts: s390x-eckd, s390x-zfcp"
MSG_MIRROR_NOT_SUPPORTED = "mirroring not supported on layouts: s390x-eckd, s390x-zfcp, s390x-virt"
MSG_LUKS_BOOT_DEVICE_BAD_NAME = (
    "device name must start with /dev/dasd on s390x-eckd layout or /dev/sd on s390x-zfcp layout"
)
MSG_CEX_ARCH_MISMATCH = "when using cex the targeted architecture must match s390x"
MSG_CEX_WITH_CLEVIS = "cannot use cex with clevis"
MSG_NO_LUKS_METHOD = "no method specified for luks"
MSG_WRONG_PARTITION_NUMBER = "incorrect partition number; a new partition will be created using reserved label"
MSG_ROOT_TOO_SMALL = "root should have 8GiB of space assigned"
MSG_ROOT_CONSTRAINED = (
    "root partition cannot expand; it is set to fill available space but is followed by an "
    "auto-positioned partition"
)
MSG_GRUB_USER_NAME = 'field "name" is required'
MSG_GRUB_PASSWORD = 'field "password_hash" is required'

BOOT_DISK = "/dev/disk/by-id/coreos-boot-disk"

# (no `re` here: it is not imported on hostform's start-up path)


def _allowed_mountpoint(path: str) -> bool:
    """Butane's ``^/(etc|var)(/|$)``."""
    return path in ("/etc", "/var") or path.startswith(("/etc/", "/var/"))


def _ends_with_device(dev: str, prefix: str) -> bool:
    """Butane's unanchored ``(<prefix>[a-z]$)``: ``dev`` ends with ``prefix``
    and one lowercase letter."""
    n = len(prefix)
    return len(dev) > n and dev[-n - 1 : -1] == prefix and "a" <= dev[-1] <= "z"

RESERVED_TYPE_GUID = "8DA63339-0007-60C0-C436-083AC8230908"
BIOS_TYPE_GUID = "21686148-6449-6E6F-744E-656564454649"
PREP_TYPE_GUID = "9E1A2D38-C612-4316-AA26-8B49521E5A8B"
ESP_TYPE_GUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
RESERVED_SIZE_MIB = 1
BIOS_SIZE_MIB = 1
PREP_SIZE_MIB = 4
ESP_SIZE_MIB = 127
BOOT_SIZE_MIB = 384

# fcos spec version -> Ignition types module
_IGNITION_TYPES = {
    "1.0.0": "v3_0",
    "1.1.0": "v3_1",
    "1.2.0": "v3_2",
    "1.3.0": "v3_2",
    "1.4.0": "v3_3",
    "1.5.0": "v3_4",
    "1.6.0": "v3_5",
    "1.7.0": "v3_6",
    "1.8.0-experimental": "v3_7_experimental",
}


def _minor(version: str) -> int:
    """The minor number of an fcos spec version ("1.6.0" -> 6)."""
    try:
        return int(version.split(".")[1])
    except (IndexError, ValueError):
        return 0


def _is_true(v: object) -> bool:
    return v is True


def _nil_or_empty(v: object) -> bool:
    return v is None or v == ""


# ---------------------------------------------------------------------------
# validation


def validate_fcos(cfg: dict, version: str, report: Report, stage: str = "all") -> None:
    """Butane's fcos-level source validation, in Butane's order.

    Butane walks the config struct: the fcos ``Config.Validate`` (``stage="top"``:
    partition reuse by label, mount points) runs *before* the base fields are
    walked; ``boot_device`` and ``grub`` (``stage="fields"``) come after them.
    ``stage="all"`` runs both, top first.
    """
    minor = _minor(version)
    if stage in ("all", "top"):
        _validate_top(cfg, minor, report)
    if stage in ("all", "fields"):
        _validate_fields(cfg, minor, report)


def _validate_top(cfg: dict, minor: int, report: Report) -> None:
    if minor < 6:
        return
    boot = _dict(cfg.get("boot_device"))
    mirror_devices = set(_list(_dict(boot.get("mirror")).get("devices")))
    storage = _dict(cfg.get("storage"))
    for i, disk in enumerate(_list(storage.get("disks"))):
        disk = _dict(disk)
        device = disk.get("device", "")
        if device != BOOT_DISK and not _is_true(disk.get("wipe_table")) and device not in mirror_devices:
            for p, part in enumerate(_list(disk.get("partitions"))):
                part = _dict(part)
                if not part.get("number") and part.get("label") is not None:
                    report.warn(WARN, MSG_REUSE_BY_LABEL, ("storage", "disks", i, "partitions", p, "number"))
    for i, fs in enumerate(_list(storage.get("filesystems"))):
        fs = _dict(fs)
        path = fs.get("path")
        if path is not None and not _allowed_mountpoint(path) and _is_true(fs.get("with_mount_unit")):
            report.error(ERR, MSG_MOUNT_POINT_FORBIDDEN, ("storage", "filesystems", i, "path"))


def _validate_fields(cfg: dict, minor: int, report: Report) -> None:
    if minor >= 3 and "boot_device" in cfg:
        _validate_boot_device(_dict(cfg.get("boot_device")), minor, report)
    if minor >= 5 and "grub" in cfg:
        for i, user in enumerate(_list(_dict(cfg.get("grub")).get("users"))):
            user = _dict(user)
            base = ("grub", "users", i)
            if user.get("name", "") == "":
                report.error(ERR, MSG_GRUB_USER_NAME, base + ("name",))
            if _nil_or_empty(user.get("password_hash")):
                report.error(ERR, MSG_GRUB_PASSWORD, base + ("password_hash",))


def _validate_boot_device(d: dict, minor: int, report: Report) -> None:
    c = ("boot_device",)
    layout = d.get("layout")
    luks = _dict(d.get("luks"))
    devices = _list(_dict(d.get("mirror")).get("devices"))
    cex_enabled = _is_true(_dict(luks.get("cex")).get("enabled"))

    # BootDevice.Validate
    if devices and layout is None:
        if minor >= 7:
            report.error(ERR, MSG_MIRROR_REQUIRES_LAYOUT, c + ("mirror",))
        else:
            report.warn(WARN, MSG_MIRROR_REQUIRES_LAYOUT, c + ("mirror",))
    if layout is not None:
        if minor < 6:
            if layout not in ("aarch64", "ppc64le", "x86_64"):
                report.error(ERR, MSG_UNKNOWN_LAYOUT_LEGACY, c + ("layout",))
        else:
            if layout in ("aarch64", "ppc64le", "x86_64", "s390x-virt"):
                pass
            elif layout in ("s390x-eckd", "s390x-zfcp"):
                dev = luks.get("device")
                prefix = "/dev/dasd" if layout == "s390x-eckd" else "/dev/sd"
                if _nil_or_empty(dev):
                    report.error(ERR, MSG_NO_LUKS_BOOT_DEVICE, c + ("layout",))
                elif not _ends_with_device(str(dev), prefix):
                    report.error(ERR, MSG_LUKS_BOOT_DEVICE_BAD_NAME, c + ("layout",))
            else:
                report.error(ERR, MSG_UNKNOWN_LAYOUT, c + ("layout",))
            if layout.startswith("s390x") and devices:
                report.error(ERR, MSG_MIRROR_NOT_SUPPORTED, c + ("layout",))
    if minor >= 6 and cex_enabled:
        if layout is None:
            report.error(ERR, MSG_CEX_ARCH_MISMATCH, c + ("luks", "cex"))
        elif not layout.startswith("s390x"):
            report.error(ERR, MSG_CEX_ARCH_MISMATCH, c + ("layout",))
        if _list(luks.get("tang")) or _is_true(luks.get("tpm2")):
            report.error(ERR, MSG_CEX_WITH_CLEVIS, c + ("luks",))
    _validate_mirror(devices, report)

    # the struct walk then visits boot_device.luks (BootDeviceLuks.Validate,
    # which appends "luks" to its own path) and boot_device.mirror again
    if minor >= 7 and not _nil_or_empty(luks.get("device")):
        valid = any(_tang_set(t) for t in _list(luks.get("tang")))
        if _is_true(luks.get("tpm2")) or cex_enabled:
            valid = True
        if not valid:
            report.error(ERR, MSG_NO_LUKS_METHOD, c + ("luks", "luks"))
    _validate_mirror(devices, report)


def _validate_mirror(devices: list, report: Report) -> None:
    if len(devices) == 1:
        report.error(ERR, MSG_TOO_FEW_MIRROR_DEVICES, ("boot_device", "mirror", "devices"))


def _tang_set(t: object) -> bool:
    t = _dict(t)
    return t.get("thumbprint") is not None or t.get("url", "") != "" or t.get("advertisement") is not None


def _dict(v: object) -> dict:
    return v if isinstance(v, dict) else {}


def _list(v: object) -> list:
    return v if isinstance(v, list) else []


# ---------------------------------------------------------------------------
# Ignition merge (config/merge/merge.go) on dicts, with a transcript


class _Types:
    """Ignition struct tables of one spec, with the merge metadata Ignition
    keeps in code (``Key()``, ``IgnoreDuplicates()``, ``MergedKeys()``)."""

    def __init__(self, structs: dict, named: dict) -> None:
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

    def fields(self, t: str):
        return self.structs[self.resolve(t)]

    def all_json_fields(self, t: str) -> list[str]:
        out = []
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

_types_cache: dict[str, _Types] = {}


def ignition_types(version: str) -> _Types:
    """The Ignition struct tables for an fcos spec version (or an Ignition
    types module suffix such as ``"v3_6"``)."""
    mod = _IGNITION_TYPES.get(version, version)
    t = _types_cache.get(mod)
    if t is None:
        m = __import__(f"hostform.ignition._types_{mod}", fromlist=["STRUCTS"])
        t = _types_cache[mod] = _Types(m.STRUCTS, m.NAMED)
    return t


def _is_zero_prim(v: object) -> bool:
    return v is None or v == "" or v is False or (v == 0 and not isinstance(v, bool))


class _Merger:
    def __init__(self, types: _Types) -> None:
        self.t = types
        self.transcript: list[tuple[str, tuple, tuple]] = []

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

    def struct_is_zero(self, d: dict, t: str) -> bool:
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

    def one(self, tag: str, frm: tuple, to: tuple) -> None:
        self.transcript.append((tag, frm, to))

    def transcribe(self, tag: str, frm: tuple, to: tuple, value: object, t: str, anonymous: bool = False) -> bool:
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

    def merge_struct(self, parent: dict, pp: tuple, child: dict, cp: tuple, rp: tuple, t: str, out: dict) -> None:
        """Merge ``parent`` and ``child`` (both of struct type ``t``) into ``out``."""
        rt = self.t.resolve(t)
        ignore = _IGNORE_DUPS.get(rt, set())
        merged_keys = _MERGED_KEYS.get(rt, {})
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
                    sub: dict = {}
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

    def _copy_embedded(self, src: dict, out: dict, t: str) -> None:
        for name in self.t.all_json_fields(t):
            if name in src:
                out[name] = src[name]

    def _merge_slice(self, parent, child, js, ft, pf, cf, rf, ignore, merged_keys, child_keys, out) -> None:
        elem = self.t.resolve(ft)[2:]
        plist, clist = _list(parent.get(js)), _list(child.get(js))
        if js in ignore:
            if not plist and not clist:
                return
            res = []
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
        res: list = []
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
                    sub: dict = {}
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
    parent: dict, parent_ts: dict, child: dict, child_ts: dict, types: _Types, root: str = "Config"
) -> tuple[dict, dict]:
    """Butane's ``MergeTranslatedConfigs``: merge ``child`` into ``parent``
    with Ignition's rules and map both translation sets (output path ->
    input path dicts) through the merge transcript.  Only output paths the
    transcript names survive; where parent and child both produced a path,
    the child's source wins."""
    m = _Merger(types)
    result: dict = {}
    m.merge_struct(parent, (), child, (), (), root, result)
    ts: dict = {}
    for tag, frm, to in m.transcript:
        left = parent_ts if tag == "parent" else child_ts
        src = left.get(frm)
        if src is None:
            continue
        if to in ts and tag != "child":
            continue
        ts[to] = src
    return result, ts


# ---------------------------------------------------------------------------
# translation


def translate_fcos(
    cfg: dict, ign: dict, ts: TranslationSet, report: Report, version: str, options: object
) -> None:
    """The fcos translation that follows the base one (``ToIgn3_xUnvalidated``
    of ``config/fcos/v1_x``): ``boot_device`` and ``grub`` sugar, merged with
    the user's config, and the partition warnings.  ``ign`` and ``ts.set``
    are replaced in place.  Warnings are reported on input paths: Butane's
    output paths are mapped back through the final translation set (exact
    entry, else the camelCase path snake_cased)."""
    minor = _minor(version)
    types = ignition_types(version)
    out: list[tuple[str, str, tuple]] = []  # (severity, message, output path)

    if minor >= 3:
        _process_boot_device(cfg, ign, ts, types, minor)

    for i, disk in enumerate(_list(_dict(ign.get("storage")).get("disks"))):
        disk = _dict(disk)
        parts = _list(disk.get("partitions"))
        for p, part in enumerate(parts):
            part = _dict(part)
            label = part.get("label")
            if label is None:
                continue
            base = ("storage", "disks", i, "partitions", p)
            if minor >= 3 and label == "root":
                size = part.get("sizeMiB")
                if not size:
                    for idx, other in enumerate(parts):
                        if idx != p and not _dict(other).get("startMiB"):
                            out.append(("warning", MSG_ROOT_CONSTRAINED, base + ("label",)))
                            break
                elif size < 8192:
                    out.append(("warning", MSG_ROOT_TOO_SMALL, base + ("size_mib",)))
            if not _is_true(disk.get("wipeTable")):
                num = part.get("number") or 0
                if (
                    (label == "BIOS-BOOT" and num != 1)
                    or (label == "PowerPC-PReP-boot" and num != 1)
                    or (label == "EFI-SYSTEM" and num != 2)
                    or (label == "boot" and num != 3)
                    or (label == "root" and num != 4)
                ):
                    out.append(("warning", MSG_WRONG_PARTITION_NUMBER, base + ("label",)))

    if minor >= 5:
        grub, grub_ts = _grub_config(cfg, options, types)
        result, new_ts = merge_translated(grub, grub_ts, ign, ts.set, types)
        ign.clear()
        ign.update(result)
        ts.set = new_ts

    for severity, message, path in out:
        src = map_path(ts, path)
        if severity == "warning":
            report.warn(WARN, message, src)
        else:
            report.error(ERR, message, src)


def _common(rts: dict, src: tuple, prefix: tuple, value: object, types: _Types, t: str) -> None:
    """``AddFromCommonSource``: ``prefix`` and every path of type ``t`` below
    it (zero fields included) map to ``src``."""
    for p in _all_paths(value, types, t):
        rts[prefix + p] = src
    rts[prefix] = src


def _all_paths(value: object, types: _Types, t: str) -> list[tuple]:
    k = types.kind(t)
    if k == "prim":
        return []
    if k == "ptr":
        if value is None:
            return []
        return _all_paths(value, types, types.resolve(t)[1:])
    if k == "slice":
        elem = types.resolve(t)[2:]
        out = []
        for i, item in enumerate(_list(value)):
            out.extend((i,) + p for p in _all_paths(item, types, elem))
            out.append((i,))
        return out
    d = _dict(value)
    out = []
    for _go, js, ft, _oe in types.fields(t):
        if js is None:
            out.extend(_all_paths(d, types, ft))
        else:
            out.extend((js,) + p for p in _all_paths(d.get(js), types, ft))
            out.append((js,))
    return out


def _process_boot_device(cfg: dict, ign: dict, ts: TranslationSet, types: _Types, minor: int) -> None:
    bd = _dict(cfg.get("boot_device"))
    luks = _dict(bd.get("luks"))
    devices = _list(_dict(bd.get("mirror")).get("devices"))
    cex = minor >= 6 and _is_true(_dict(luks.get("cex")).get("enabled"))
    want_luks = _is_true(luks.get("tpm2")) or bool(_list(luks.get("tang"))) or cex
    want_mirror = bool(devices)
    if not want_luks and not want_mirror:
        return

    layout = bd.get("layout")
    want_bios = want_efi = want_prep = False
    if layout is None or layout == "x86_64":
        want_bios = want_efi = True
    elif layout == "aarch64":
        want_efi = True
    elif layout == "ppc64le":
        want_prep = True
    elif minor >= 6 and layout in ("s390x-eckd", "s390x-virt", "s390x-zfcp"):
        pass
    else:
        raise AssertionError(f"unknown boot_device layout {layout!r} passed validation")

    disks: list = []
    filesystems: list = []
    storage: dict = {}
    rts: dict = {}
    bdp = ("boot_device",)

    if want_mirror:
        for i, device in enumerate(devices):
            n = len(disks) + 1
            parts = []
            if want_bios:
                parts.append({"label": f"bios-{n}", "sizeMiB": BIOS_SIZE_MIB, "typeGuid": BIOS_TYPE_GUID})
            elif want_prep:
                parts.append({"label": f"prep-{n}", "sizeMiB": PREP_SIZE_MIB, "typeGuid": PREP_TYPE_GUID})
            else:
                parts.append({"label": f"reserved-{n}", "sizeMiB": RESERVED_SIZE_MIB, "typeGuid": RESERVED_TYPE_GUID})
            if want_efi:
                parts.append({"label": f"esp-{n}", "sizeMiB": ESP_SIZE_MIB, "typeGuid": ESP_TYPE_GUID})
            else:
                parts.append({"label": f"reserved-{n}", "sizeMiB": RESERVED_SIZE_MIB, "typeGuid": RESERVED_TYPE_GUID})
            parts.append({"label": f"boot-{n}", "sizeMiB": BOOT_SIZE_MIB})
            parts.append({"label": f"root-{n}"})
            disk = {"device": device, "partitions": parts, "wipeTable": True}
            src = bdp + ("mirror", "devices", i)
            _common(rts, src, ("storage", "disks", len(disks)), disk, types, "Disk")
            disks.append(disk)
            if want_efi:
                esp = {
                    "device": f"/dev/disk/by-partlabel/esp-{n}",
                    "format": "vfat",
                    "label": f"esp-{n}",
                    "wipeFilesystem": True,
                }
                _common(rts, src, ("storage", "filesystems", len(filesystems)), esp, types, "Filesystem")
                filesystems.append(esp)
        rts[("storage", "disks")] = bdp + ("mirror", "devices")

        count = len(disks)
        raid = [
            {
                "devices": [f"/dev/disk/by-partlabel/boot-{k + 1}" for k in range(count)],
                "level": "raid1",
                "name": "md-boot",
                # superblock at the end, so BIOS GRUB can read the members
                "options": ["--metadata=1.0"],
            },
            {
                "devices": [f"/dev/disk/by-partlabel/root-{k + 1}" for k in range(count)],
                "level": "raid1",
                "name": "md-root",
            },
        ]
        _common(rts, bdp + ("mirror",), ("storage", "raid"), raid, types, "[]Raid")
        storage["raid"] = raid

        boot_fs = {"device": "/dev/md/md-boot", "format": "ext4", "label": "boot", "wipeFilesystem": True}
        _common(rts, bdp + ("mirror",), ("storage", "filesystems", len(filesystems)), boot_fs, types, "Filesystem")
        filesystems.append(boot_fs)

    if want_luks:
        if minor >= 6 and layout == "s390x-eckd":
            luks_device = str(luks.get("device")) + "2"
        elif minor >= 6 and layout == "s390x-zfcp":
            luks_device = str(luks.get("device")) + "4"
        elif want_mirror:
            luks_device = "/dev/md/md-root"
        else:
            luks_device = "/dev/disk/by-partlabel/root"
        lpath = bdp + ("luks",)
        rpath = ("storage", "luks", 0)
        entry: dict = {}
        if cex:
            entry["cex"] = {"enabled": True}
            rts[rpath + ("cex",)] = lpath
            # Butane prefixes the cex translations with boot_device.luks,
            # not boot_device.luks.cex
            rts[rpath + ("cex", "enabled")] = lpath + ("enabled",)
        else:
            clevis: dict = {}
            tangs = _list(luks.get("tang"))
            if "tang" in luks and luks["tang"] is not None:
                out_tangs = []
                for j, t in enumerate(tangs):
                    t = _dict(t)
                    ot: dict = {}
                    for key in ("advertisement", "thumbprint", "url"):
                        if key in t and t[key] is not None:
                            ot[key] = t[key]
                            rts[rpath + ("clevis", "tang", j, key)] = lpath + ("tang", j, key)
                    if "url" not in ot:
                        ot["url"] = ""
                        rts[rpath + ("clevis", "tang", j, "url")] = lpath + ("tang", j, "url")
                    if t:
                        rts[rpath + ("clevis", "tang", j)] = lpath + ("tang", j)
                    out_tangs.append(ot)
                clevis["tang"] = out_tangs
                rts[rpath + ("clevis", "tang")] = lpath + ("tang",)
            for key in ("threshold", "tpm2"):
                if luks.get(key) is not None:
                    clevis[key] = luks[key]
                    rts[rpath + ("clevis", key)] = lpath + (key,)
            rts[rpath + ("clevis",)] = lpath
            entry["clevis"] = clevis
        entry["device"] = luks_device
        if minor >= 5 and luks.get("discard") is not None:
            entry["discard"] = luks["discard"]
        if minor >= 5:
            rts[rpath + ("discard",)] = lpath + ("discard",)
        entry["label"] = "luks-root"
        entry["name"] = "root"
        entry["wipeVolume"] = True
        for f in ("device", "label", "name", "wipeVolume"):
            rts[rpath + (f,)] = lpath
        rts[rpath] = lpath
        rts[("storage", "luks")] = lpath
        storage["luks"] = [entry]

    root_fs = {
        "device": "/dev/mapper/root" if want_luks else "/dev/md/md-root",
        "format": "xfs",
        "label": "root",
        "wipeFilesystem": True,
    }
    _common(rts, bdp, ("storage", "filesystems", len(filesystems)), root_fs, types, "Filesystem")
    rts[("storage", "filesystems")] = bdp
    filesystems.append(root_fs)

    if disks:
        storage["disks"] = disks
    storage["filesystems"] = filesystems
    rts[("storage",)] = bdp
    rendered = _ordered({"storage": storage}, types, "Config")

    result, new_ts = merge_translated(rendered, rts, ign, ts.set, types)
    ign.clear()
    ign.update(result)
    ts.set = new_ts


def _grub_config(cfg: dict, options: object, types: _Types) -> tuple[dict, dict]:
    users = _list(_dict(cfg.get("grub")).get("users"))
    if not users:
        return {}, {}
    names = []
    cmds = []
    for u in users:
        u = _dict(u)
        names.append(str(u.get("name", "")))
        cmds.append(f"password_pbkdf2 {u.get('name', '')} {u.get('password_hash')}")
    text = "# Generated by Butane\n\n" + 'set superusers="' + " ".join(names) + '"\n' + "\n".join(cmds) + "\n"
    if isinstance(options, dict):
        no_compress = options.get("no_resource_auto_compression", False)
    else:
        no_compress = getattr(options, "no_resource_auto_compression", False)
    allow_gzip = not no_compress
    source, compression = make_data_url(text.encode(), None, allow_gzip)
    resource: dict = {}
    if compression is not None:
        resource["compression"] = compression
    resource["source"] = source
    storage = {
        "files": [{"path": "/boot/grub2/user.cfg", "append": [resource]}],
        "filesystems": [{"device": "/dev/disk/by-label/boot", "format": "ext4", "path": "/boot"}],
    }
    src = ("grub", "users")
    rts: dict = {}
    # AddFromCommonSource(grub.users, storage, rendered.Storage)
    for p in _all_paths(storage, types, "Storage"):
        rts[("storage",) + p] = src
    rts[("storage",)] = src
    return _ordered({"storage": storage}, types, "Config"), rts


def _ordered(value: object, types: _Types, t: str) -> object:
    """``value`` with dict keys in Go struct order (unknown keys last)."""
    k = types.kind(t)
    if k == "ptr":
        return _ordered(value, types, types.resolve(t)[1:])
    if k == "slice":
        elem = types.resolve(t)[2:]
        return [_ordered(v, types, elem) for v in _list(value)]
    if k != "struct" or not isinstance(value, dict):
        return value
    out = {}
    for _go, js, ft, _oe in types.fields(t):
        if js is None:
            out.update(_ordered({n: value[n] for n in types.all_json_fields(ft) if n in value}, types, ft))
        elif js in value:
            out[js] = _ordered(value[js], types, ft)
    for key, v in value.items():
        out.setdefault(key, v)
    return out


def make_data_url(contents: bytes, current_compression: str | None, allow_compression: bool) -> tuple[str, str | None]:
    """Butane's ``MakeDataURL`` (see ``base.make_data_url``): returns (url,
    compression) where compression is "" or "gzip" when the config did not
    set one, else None."""
    from hostform.butane.base import make_data_url as make

    return make(contents, current_compression, allow_compression)
