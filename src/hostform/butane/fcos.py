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
the translation set through the merge transcript.  The merge is
``hostform.ignition.merge.merge_translated``, on plain dicts, driven by the
Ignition struct tables of :func:`ignition_types`; the base translation's
mount units (``butane.base.add_mount_units``) are merged with it too, as in
Butane.

Paths are tuples of keys and indices.  Validation paths are on the Butane
input (snake_case); the generated config's paths are on the Ignition output
(camelCase).
"""

from __future__ import annotations

from hostform.butane.translate import map_path
from hostform.diagnostics import Report
from hostform.translations import TranslationSet

TYPE_CHECKING = False  # not typing's: `import typing` is not paid at start-up
if TYPE_CHECKING:
    from typing import Any

    from hostform.diagnostics import DataPath
    from hostform.gates import Gate
    from hostform.ignition.merge import Types

__all__ = ["validate_fcos", "translate_fcos", "ignition_types"]

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


def _changes(version: str) -> Gate:
    """The named changes (``schema.FCOS_CHANGES``) of an fcos spec version ("1.6.0")."""
    from hostform.butane.schema import FCOS_CHANGES, FCOS_VERSIONS

    return FCOS_CHANGES.at(FCOS_VERSIONS[version][2])


def _is_true(v: object) -> bool:
    return v is True


def _nil_or_empty(v: object) -> bool:
    return v is None or v == ""


# ---------------------------------------------------------------------------
# validation


def validate_fcos(cfg: dict[str, Any], version: str, report: Report, stage: str = "all") -> None:
    """Butane's fcos-level source validation, in Butane's order.

    Butane walks the config struct: the fcos ``Config.Validate`` (``stage="top"``:
    partition reuse by label, mount points) runs *before* the base fields are
    walked; ``boot_device`` and ``grub`` (``stage="fields"``) come after them.
    ``stage="all"`` runs both, top first.
    """
    gate = _changes(version)
    if stage in ("all", "top"):
        _validate_top(cfg, gate, report)
    if stage in ("all", "fields"):
        _validate_fields(cfg, gate, report)


def _validate_top(cfg: dict[str, Any], gate: Gate, report: Report) -> None:
    """fcos ``Config.Validate``: partitions reused by label, mount points."""
    reuse_warning = gate.has("reuse-by-label-warning")
    mount_points = gate.has("mount-point-etc-var")
    if not reuse_warning and not mount_points:
        return
    boot = _dict(cfg.get("boot_device"))
    mirror_devices = set(_list(_dict(boot.get("mirror")).get("devices")))
    storage = _dict(cfg.get("storage"))
    for i, disk in enumerate(_list(storage.get("disks")) if reuse_warning else ()):
        disk = _dict(disk)
        device = disk.get("device", "")
        if device != BOOT_DISK and not _is_true(disk.get("wipe_table")) and device not in mirror_devices:
            for p, part in enumerate(_list(disk.get("partitions"))):
                part = _dict(part)
                if not part.get("number") and part.get("label") is not None:
                    report.warn(WARN, MSG_REUSE_BY_LABEL, ("storage", "disks", i, "partitions", p, "number"))
    for i, fs in enumerate(_list(storage.get("filesystems")) if mount_points else ()):
        fs = _dict(fs)
        path = fs.get("path")
        if path is not None and not _allowed_mountpoint(path) and _is_true(fs.get("with_mount_unit")):
            report.error(ERR, MSG_MOUNT_POINT_FORBIDDEN, ("storage", "filesystems", i, "path"))


def _validate_fields(cfg: dict[str, Any], gate: Gate, report: Report) -> None:
    if gate.has("boot-device") and "boot_device" in cfg:
        _validate_boot_device(_dict(cfg.get("boot_device")), gate, report)
    if gate.has("grub-users") and "grub" in cfg:
        for i, user in enumerate(_list(_dict(cfg.get("grub")).get("users"))):
            user = _dict(user)
            base = ("grub", "users", i)
            if user.get("name", "") == "":
                report.error(ERR, MSG_GRUB_USER_NAME, base + ("name",))
            if _nil_or_empty(user.get("password_hash")):
                report.error(ERR, MSG_GRUB_PASSWORD, base + ("password_hash",))


def _validate_boot_device(d: dict[str, Any], gate: Gate, report: Report) -> None:
    c = ("boot_device",)
    layout = d.get("layout")
    luks = _dict(d.get("luks"))
    devices = _list(_dict(d.get("mirror")).get("devices"))
    cex_enabled = _is_true(_dict(luks.get("cex")).get("enabled"))

    # BootDevice.Validate
    if devices and layout is None:
        if gate.has("mirror-layout-required"):
            report.error(ERR, MSG_MIRROR_REQUIRES_LAYOUT, c + ("mirror",))
        else:
            report.warn(WARN, MSG_MIRROR_REQUIRES_LAYOUT, c + ("mirror",))
    if layout is not None:
        if not gate.has("s390x-layouts"):
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
    if gate.has("boot-luks-cex") and cex_enabled:
        if layout is None:
            report.error(ERR, MSG_CEX_ARCH_MISMATCH, c + ("luks", "cex"))
        elif not layout.startswith("s390x"):
            report.error(ERR, MSG_CEX_ARCH_MISMATCH, c + ("layout",))
        if _list(luks.get("tang")) or _is_true(luks.get("tpm2")):
            report.error(ERR, MSG_CEX_WITH_CLEVIS, c + ("luks",))
    _validate_mirror(devices, report)

    # the struct walk then visits boot_device.luks (BootDeviceLuks.Validate,
    # which appends "luks" to its own path) and boot_device.mirror again
    if gate.has("boot-luks-method-required") and not _nil_or_empty(luks.get("device")):
        valid = any(_tang_set(t) for t in _list(luks.get("tang")))
        if _is_true(luks.get("tpm2")) or cex_enabled:
            valid = True
        if not valid:
            report.error(ERR, MSG_NO_LUKS_METHOD, c + ("luks", "luks"))
    _validate_mirror(devices, report)


def _validate_mirror(devices: list[Any], report: Report) -> None:
    if len(devices) == 1:
        report.error(ERR, MSG_TOO_FEW_MIRROR_DEVICES, ("boot_device", "mirror", "devices"))


def _tang_set(t: object) -> bool:
    t = _dict(t)
    return t.get("thumbprint") is not None or t.get("url", "") != "" or t.get("advertisement") is not None


def _dict(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: object) -> list[Any]:
    return v if isinstance(v, list) else []


# ---------------------------------------------------------------------------
# Ignition types (the merge itself is hostform.ignition.merge, imported when used)


def ignition_types(version: str) -> Types:
    """The Ignition struct tables for an fcos spec version (or an Ignition
    types module suffix such as ``"v3_6"``)."""
    from hostform.ignition.merge import struct_types

    return struct_types(_IGNITION_TYPES.get(version, version))


# ---------------------------------------------------------------------------
# translation


def translate_fcos(
    cfg: dict[str, Any], ign: dict[str, Any], ts: TranslationSet, report: Report, version: str, *, no_resource_auto_compression: bool = False
) -> None:
    """The fcos translation that follows the base one (``ToIgn3_xUnvalidated``
    of ``config/fcos/v1_x``): ``boot_device`` and ``grub`` sugar, merged with
    the user's config, and the partition warnings.  ``ign`` and ``ts.set``
    are replaced in place.  Warnings are reported on input paths: Butane's
    output paths are mapped back through the final translation set (exact
    entry, else the camelCase path snake_cased)."""
    gate = _changes(version)
    types = ignition_types(version)
    out: list[tuple[str, str, DataPath]] = []  # (severity, message, output path)

    if gate.has("boot-device"):
        _process_boot_device(cfg, ign, ts, types, gate)
    root_warnings = gate.has("root-partition-warnings")

    for i, disk in enumerate(_list(_dict(ign.get("storage")).get("disks"))):
        disk = _dict(disk)
        parts = _list(disk.get("partitions"))
        for p, part in enumerate(parts):
            part = _dict(part)
            label = part.get("label")
            if label is None:
                continue
            base = ("storage", "disks", i, "partitions", p)
            if root_warnings and label == "root":
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

    if gate.has("grub-users"):
        grub, grub_ts = _grub_config(cfg, no_resource_auto_compression, types)
        from hostform.ignition.merge import merge_translated

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


def _process_boot_device(cfg: dict[str, Any], ign: dict[str, Any], ts: TranslationSet, types: Types, gate: Gate) -> None:
    from hostform.ignition.merge import add_from_common_source, merge_translated

    bd = _dict(cfg.get("boot_device"))
    luks = _dict(bd.get("luks"))
    devices = _list(_dict(bd.get("mirror")).get("devices"))
    s390x = gate.has("s390x-layouts")
    cex = gate.has("boot-luks-cex") and _is_true(_dict(luks.get("cex")).get("enabled"))
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
    elif s390x and layout in ("s390x-eckd", "s390x-virt", "s390x-zfcp"):
        pass
    else:
        raise AssertionError(f"unknown boot_device layout {layout!r} passed validation")

    disks: list[dict[str, Any]] = []
    filesystems: list[dict[str, Any]] = []
    storage: dict[str, Any] = {}
    rts: dict[DataPath, DataPath] = {}
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
            add_from_common_source(rts, src, ("storage", "disks", len(disks)), disk, types, "Disk")
            disks.append(disk)
            if want_efi:
                esp = {
                    "device": f"/dev/disk/by-partlabel/esp-{n}",
                    "format": "vfat",
                    "label": f"esp-{n}",
                    "wipeFilesystem": True,
                }
                add_from_common_source(rts, src, ("storage", "filesystems", len(filesystems)), esp, types, "Filesystem")
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
        add_from_common_source(rts, bdp + ("mirror",), ("storage", "raid"), raid, types, "[]Raid")
        storage["raid"] = raid

        boot_fs = {"device": "/dev/md/md-boot", "format": "ext4", "label": "boot", "wipeFilesystem": True}
        add_from_common_source(rts, bdp + ("mirror",), ("storage", "filesystems", len(filesystems)), boot_fs, types, "Filesystem")
        filesystems.append(boot_fs)

    if want_luks:
        if s390x and layout == "s390x-eckd":
            luks_device = str(luks.get("device")) + "2"
        elif s390x and layout == "s390x-zfcp":
            luks_device = str(luks.get("device")) + "4"
        elif want_mirror:
            luks_device = "/dev/md/md-root"
        else:
            luks_device = "/dev/disk/by-partlabel/root"
        lpath = bdp + ("luks",)
        rpath = ("storage", "luks", 0)
        entry: dict[str, Any] = {}
        if cex:
            entry["cex"] = {"enabled": True}
            rts[rpath + ("cex",)] = lpath
            # Butane prefixes the cex translations with boot_device.luks,
            # not boot_device.luks.cex
            rts[rpath + ("cex", "enabled")] = lpath + ("enabled",)
        else:
            clevis: dict[str, Any] = {}
            tangs = _list(luks.get("tang"))
            if "tang" in luks and luks["tang"] is not None:
                out_tangs = []
                for j, t in enumerate(tangs):
                    t = _dict(t)
                    ot: dict[str, Any] = {}
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
        if gate.has("boot-luks-discard"):
            if luks.get("discard") is not None:
                entry["discard"] = luks["discard"]
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
    add_from_common_source(rts, bdp, ("storage", "filesystems", len(filesystems)), root_fs, types, "Filesystem")
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


def _grub_config(cfg: dict[str, Any], no_compress: bool, types: Types) -> tuple[dict[str, Any], dict[DataPath, DataPath]]:
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
    allow_gzip = not no_compress
    source, compression = make_data_url(text.encode(), None, allow_gzip)
    resource: dict[str, Any] = {}
    if compression is not None:
        resource["compression"] = compression
    resource["source"] = source
    storage = {
        "files": [{"path": "/boot/grub2/user.cfg", "append": [resource]}],
        "filesystems": [{"device": "/dev/disk/by-label/boot", "format": "ext4", "path": "/boot"}],
    }
    src = ("grub", "users")
    rts: dict[DataPath, DataPath] = {}
    from hostform.ignition.merge import add_from_common_source

    # AddFromCommonSource(grub.users, storage, rendered.Storage)
    add_from_common_source(rts, src, ("storage",), storage, types, "Storage")
    return _ordered({"storage": storage}, types, "Config"), rts


def _ordered(value: Any, types: Types, t: str) -> Any:
    """``value`` with dict keys in Go struct order (unknown keys last)."""
    k = types.kind(t)
    if k == "ptr":
        return _ordered(value, types, types.resolve(t)[1:])
    if k == "slice":
        elem = types.resolve(t)[2:]
        return [_ordered(v, types, elem) for v in _list(value)]
    if k != "struct" or not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
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
