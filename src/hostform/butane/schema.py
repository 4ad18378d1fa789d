"""Butane's config types per spec version, as data.

One table covers every base version: each field carries the range of base
versions (1 = ``v0_1`` ... 8 = ``v0_8_exp``) that have it, and the Go type it
has there (the Go type text shows up in go-yaml's type errors, such as
``cannot unmarshal !!map into []v0_7.File``).  The fcos variant adds
``boot_device`` and ``grub`` on top.

A type is a Go type text: ``string``/``int``/``bool`` (value), ``*string``
... (pointer), ``[]X`` (slice), or a struct name from ``TYPES``; named
string types are in ``NAMED``.

Behaviour that changed between spec versions (rather than fields) is in
``BASE_CHANGES`` and ``FCOS_CHANGES``: named changes, each with the first
Butane package that has it; code asks ``sch.changes.has("mount-unit-swap")``
(base) or the fcos spec version's gate of ``FCOS_CHANGES`` (``butane.fcos``).

To add a spec version: add its row to ``FCOS_VERSIONS``, its packages to the
two change tables, and bump the upper bounds of the fields it keeps.
"""

from __future__ import annotations

from hostform.gates import Changes

# fcos version -> (base index, base package, fcos package, Ignition version)
FCOS_VERSIONS: dict[str, tuple[int, str, str, str]] = {
    "1.0.0": (1, "v0_1", "v1_0", "3.0.0"),
    "1.1.0": (2, "v0_2", "v1_1", "3.1.0"),
    "1.2.0": (3, "v0_3", "v1_2", "3.2.0"),
    "1.3.0": (3, "v0_3", "v1_3", "3.2.0"),
    "1.4.0": (4, "v0_4", "v1_4", "3.3.0"),
    "1.5.0": (5, "v0_5", "v1_5", "3.4.0"),
    "1.6.0": (6, "v0_6", "v1_6", "3.5.0"),
    "1.7.0": (7, "v0_7", "v1_7", "3.6.0"),
    "1.8.0-experimental": (8, "v0_8_exp", "v1_8_exp", "3.7.0-experimental"),
}

# Butane's behaviour changes in base/v0_N (translate.go, validate.go), each
# with the first base package that has it.
BASE_CHANGES = Changes(
    "butane base",
    ("v0_1", "v0_2", "v0_3", "v0_4", "v0_5", "v0_6", "v0_7", "v0_8_exp"),
    {
        # inline/local contents become the shortest data URL (percent-escaped,
        # base64 or gzip+base64); v0_1 only percent-escapes inline contents
        "resource-auto-encoding": "v0_2",
        # with_mount_unit adds a systemd mount unit for the filesystem
        "mount-units": "v0_2",
        # a filesystem on a Tang-bound LUKS volume: Options=..._netdev, RequiredBy=remote-fs.target
        "mount-unit-remote": "v0_3",
        # with_mount_unit on format: swap adds a .swap unit, and such a filesystem needs no path
        "mount-unit-swap": "v0_4",
        # units and drop-ins take contents_local; contents and contents_local exclude each other
        "unit-contents-local": "v0_5",
        # trees take user, group, file_mode and dir_mode (and then create their directories)
        "tree-mode-ownership": "v0_7",
        # systemd.quadlets become files and template links under /etc/containers/systemd
        "quadlets": "v0_8_exp",
    },
)

# The fcos variant's behaviour changes in config/fcos/v1_N, each with the
# first fcos package that has it.
FCOS_CHANGES = Changes(
    "butane fcos",
    ("v1_0", "v1_1", "v1_2", "v1_3", "v1_4", "v1_5", "v1_6", "v1_7", "v1_8_exp"),
    {
        # boot_device: mirrored and/or LUKS-encrypted boot disk sugar, and its checks
        "boot-device": "v1_3",
        # warnings on a root partition that is too small or cannot expand
        "root-partition-warnings": "v1_3",
        # grub.users becomes /boot/grub2/user.cfg; each user needs a name and a password hash
        "grub-users": "v1_5",
        # boot_device.luks.discard is carried to the root LUKS volume
        "boot-luks-discard": "v1_5",
        # the s390x-eckd, s390x-virt and s390x-zfcp layouts (and their LUKS device checks)
        "s390x-layouts": "v1_6",
        # boot_device.luks.cex (IBM crypto express) instead of Clevis
        "boot-luks-cex": "v1_6",
        # a partition reused by label without a number is warned about
        "reuse-by-label-warning": "v1_6",
        # with_mount_unit only for paths under /etc or /var
        "mount-point-etc-var": "v1_6",
        # boot_device.mirror without a layout is an error (a warning before)
        "mirror-layout-required": "v1_7",
        # boot_device.luks.device needs a method (tang, tpm2 or cex)
        "boot-luks-method-required": "v1_7",
    },
)

M = 99  # "still present"

NAMED = {"Device", "Group", "KernelArgument", "SSHAuthorizedKey", "FilesystemOption", "RaidOption", "LuksOption"}

# Fields not copied by the automatic translation (Butane's own sugar).
SKIP = {
    ("Resource", "inline"), ("Resource", "local"),
    ("FileContents", "inline"),
    ("Storage", "trees"), ("Systemd", "quadlets"),
    ("Filesystem", "with_mount_unit"),
    ("PasswdUser", "ssh_authorized_keys_local"),
    ("Unit", "contents_local"), ("Dropin", "contents_local"),
    ("Config", "version"), ("Config", "variant"),
    ("Config", "boot_device"), ("Config", "grub"),
}

# struct -> fields: (yaml key, Go type, first base version, last base version)
TYPES: dict[str, list[tuple[str, str, int, int]]] = {
    "Config": [
        ("version", "string", 1, M), ("variant", "string", 1, M),
        ("ignition", "Ignition", 1, M), ("kernel_arguments", "KernelArguments", 4, M),
        ("passwd", "Passwd", 1, M), ("storage", "Storage", 1, M), ("systemd", "Systemd", 1, M),
    ],
    "Ignition": [
        ("config", "IgnitionConfig", 1, M), ("proxy", "Proxy", 2, M),
        ("security", "Security", 1, M), ("timeouts", "Timeouts", 1, M),
    ],
    "IgnitionConfig": [
        ("merge", "[]ConfigReference", 1, 1), ("merge", "[]Resource", 2, M),
        ("replace", "ConfigReference", 1, 1), ("replace", "Resource", 2, M),
    ],
    "ConfigReference": [("source", "*string", 1, 1), ("verification", "Verification", 1, 1)],
    "CaReference": [("source", "string", 1, 1), ("verification", "Verification", 1, 1)],
    "Proxy": [("http_proxy", "*string", 2, M), ("https_proxy", "*string", 2, M), ("no_proxy", "[]string", 2, M)],
    "Security": [("tls", "TLS", 1, M)],
    "TLS": [("certificate_authorities", "[]CaReference", 1, 1), ("certificate_authorities", "[]Resource", 2, M)],
    "Timeouts": [("http_response_headers", "*int", 1, M), ("http_total", "*int", 1, M)],
    "KernelArguments": [("should_exist", "[]KernelArgument", 4, M), ("should_not_exist", "[]KernelArgument", 4, M)],
    "Passwd": [("groups", "[]PasswdGroup", 1, M), ("users", "[]PasswdUser", 1, M)],
    "PasswdGroup": [
        ("gid", "*int", 1, M), ("name", "string", 1, M), ("password_hash", "*string", 1, M),
        ("should_exist", "*bool", 3, M), ("system", "*bool", 1, M),
    ],
    "PasswdUser": [
        ("gecos", "*string", 1, M), ("groups", "[]Group", 1, M), ("home_dir", "*string", 1, M),
        ("name", "string", 1, M), ("no_create_home", "*bool", 1, M), ("no_log_init", "*bool", 1, M),
        ("no_user_group", "*bool", 1, M), ("password_hash", "*string", 1, M),
        ("primary_group", "*string", 1, M), ("should_exist", "*bool", 3, M),
        ("ssh_authorized_keys", "[]SSHAuthorizedKey", 1, M), ("ssh_authorized_keys_local", "[]string", 5, M),
        ("shell", "*string", 1, M), ("system", "*bool", 1, M), ("uid", "*int", 1, M),
    ],
    "Storage": [
        ("directories", "[]Directory", 1, M), ("disks", "[]Disk", 1, M), ("files", "[]File", 1, M),
        ("filesystems", "[]Filesystem", 1, M), ("links", "[]Link", 1, M), ("luks", "[]Luks", 3, M),
        ("raid", "[]Raid", 1, M), ("trees", "[]Tree", 2, M),
    ],
    "Directory": [
        ("group", "NodeGroup", 1, M), ("overwrite", "*bool", 1, M), ("path", "string", 1, M),
        ("user", "NodeUser", 1, M), ("mode", "*int", 1, M),
    ],
    "Disk": [("device", "string", 1, M), ("partitions", "[]Partition", 1, M), ("wipe_table", "*bool", 1, M)],
    "File": [
        ("group", "NodeGroup", 1, M), ("overwrite", "*bool", 1, M), ("path", "string", 1, M),
        ("user", "NodeUser", 1, M),
        ("append", "[]FileContents", 1, 1), ("append", "[]Resource", 2, M),
        ("contents", "FileContents", 1, 1), ("contents", "Resource", 2, M),
        ("mode", "*int", 1, M),
    ],
    "FileContents": [
        ("compression", "*string", 1, 1), ("source", "*string", 1, 1), ("inline", "*string", 1, 1),
        ("verification", "Verification", 1, 1),
    ],
    "Resource": [
        ("compression", "*string", 2, M), ("http_headers", "HTTPHeaders", 2, M), ("source", "*string", 2, M),
        ("inline", "*string", 2, M), ("local", "*string", 2, M), ("verification", "Verification", 2, M),
    ],
    "HTTPHeader": [("name", "string", 2, M), ("value", "*string", 2, M)],
    "Verification": [("hash", "*string", 1, M)],
    "Filesystem": [
        ("device", "string", 1, M), ("format", "*string", 1, M), ("label", "*string", 1, M),
        ("mount_options", "[]string", 2, M),
        ("options", "[]FilesystemOption", 1, 4), ("options", "[]string", 5, M),
        ("path", "*string", 1, M), ("uuid", "*string", 1, M), ("wipe_filesystem", "*bool", 1, M),
        ("with_mount_unit", "*bool", 2, M),
    ],
    "Link": [
        ("group", "NodeGroup", 1, M), ("overwrite", "*bool", 1, M), ("path", "string", 1, M),
        ("user", "NodeUser", 1, M), ("hard", "*bool", 1, M),
        ("target", "string", 1, 3), ("target", "*string", 4, M),
    ],
    "NodeGroup": [("id", "*int", 1, M), ("name", "*string", 1, M)],
    "NodeUser": [("id", "*int", 1, M), ("name", "*string", 1, M)],
    "Partition": [
        ("guid", "*string", 1, M), ("label", "*string", 1, M), ("number", "int", 1, M),
        ("resize", "*bool", 3, M), ("should_exist", "*bool", 1, M), ("size_mib", "*int", 1, M),
        ("start_mib", "*int", 1, M), ("type_guid", "*string", 1, M), ("wipe_partition_entry", "*bool", 1, M),
    ],
    "Raid": [
        ("devices", "[]Device", 1, M), ("level", "string", 1, 3), ("level", "*string", 4, M),
        ("name", "string", 1, M), ("options", "[]RaidOption", 1, 4), ("options", "[]string", 5, M),
        ("spares", "*int", 1, M),
    ],
    "Luks": [
        ("cex", "Cex", 6, M),
        ("clevis", "*Clevis", 3, 3), ("clevis", "Clevis", 4, M),
        ("device", "*string", 3, M), ("discard", "*bool", 5, M), ("key_file", "Resource", 3, M),
        ("label", "*string", 3, M), ("name", "string", 3, M), ("open_options", "[]string", 5, M),
        ("options", "[]LuksOption", 3, 4), ("options", "[]string", 5, M),
        ("uuid", "*string", 3, M), ("wipe_volume", "*bool", 3, M),
    ],
    "Cex": [("enabled", "*bool", 6, M)],
    "Clevis": [
        ("custom", "*Custom", 3, 3), ("custom", "ClevisCustom", 4, M),
        ("tang", "[]Tang", 3, M), ("threshold", "*int", 3, M), ("tpm2", "*bool", 3, M),
    ],
    "Custom": [("config", "string", 3, 3), ("needs_network", "*bool", 3, 3), ("pin", "string", 3, 3)],
    "ClevisCustom": [("config", "*string", 4, M), ("needs_network", "*bool", 4, M), ("pin", "*string", 4, M)],
    "Tang": [("thumbprint", "*string", 3, M), ("url", "string", 3, M), ("advertisement", "*string", 5, M)],
    "Tree": [
        ("group", "NodeGroup", 7, M), ("local", "string", 2, M), ("path", "*string", 2, M),
        ("user", "NodeUser", 7, M), ("file_mode", "*int", 7, M), ("dir_mode", "*int", 7, M),
    ],
    "Systemd": [("units", "[]Unit", 1, M), ("quadlets", "[]Quadlet", 8, M)],
    "Unit": [
        ("contents", "*string", 1, M), ("contents_local", "*string", 5, M), ("dropins", "[]Dropin", 1, M),
        ("enabled", "*bool", 1, M), ("mask", "*bool", 1, M), ("name", "string", 1, M),
    ],
    "Dropin": [("contents", "*string", 1, M), ("contents_local", "*string", 5, M), ("name", "string", 1, M)],
    "Quadlet": [
        ("contents", "*string", 8, M), ("contents_local", "*string", 8, M), ("name", "string", 8, M),
        ("rootful", "bool", 8, M), ("dropins", "[]Dropin", 8, M),
    ],
}

# HTTPHeaders is a named slice type.
SLICE_NAMED = {"HTTPHeaders": "[]HTTPHeader"}

# fcos variant types: (yaml key, Go type, first fcos minor, last fcos minor)
FCOS_TYPES: dict[str, list[tuple[str, str, int, int]]] = {
    "Config": [("boot_device", "BootDevice", 3, M), ("grub", "Grub", 5, M)],
    "BootDevice": [("layout", "*string", 3, M), ("luks", "BootDeviceLuks", 3, M), ("mirror", "BootDeviceMirror", 3, M)],
    "BootDeviceLuks": [
        ("cex", "Cex", 6, M), ("discard", "*bool", 5, M), ("device", "*string", 6, M),
        ("tang", "[]Tang", 3, M), ("threshold", "*int", 3, M), ("tpm2", "*bool", 3, M),
    ],
    "BootDeviceMirror": [("devices", "[]string", 3, M)],
    "Grub": [("users", "[]GrubUser", 5, M)],
    "GrubUser": [("name", "string", 5, M), ("password_hash", "*string", 5, M)],
}


class Schema:
    """The struct tables of one fcos spec version."""

    __slots__ = ("version", "base_pkg", "fcos_pkg", "ign_version", "changes", "structs", "pkg_of")

    def __init__(self, version: str) -> None:
        base, base_pkg, fcos_pkg, ign = FCOS_VERSIONS[version]
        self.version = version
        self.base_pkg = base_pkg
        self.fcos_pkg = fcos_pkg
        self.ign_version = ign
        self.changes = BASE_CHANGES.at(base_pkg)  # the fcos variant's: fcos.py asks FCOS_CHANGES
        minor = int(version.split(".")[1])
        structs: dict[str, list[tuple[str, str]]] = {}
        pkg_of: dict[str, str] = {}
        for name, fields in TYPES.items():
            fs = [(k, t) for k, t, lo, hi in fields if lo <= base <= hi]
            if fs:
                structs[name] = fs
                pkg_of[name] = base_pkg
        for name, fields in FCOS_TYPES.items():
            fs = [(k, t) for k, t, lo, hi in fields if lo <= minor <= hi]
            if name == "Config":
                structs["Config"] = structs["Config"] + fs
                pkg_of["Config"] = fcos_pkg
            elif fs:
                structs[name] = fs
                pkg_of[name] = fcos_pkg
        self.structs = structs
        self.pkg_of = pkg_of

    def go_name(self, t: str) -> str:
        """Go's spelling of type ``t`` in error text (``[]v0_7.File``, ``string``)."""
        if t.startswith("*"):
            return self.go_name(t[1:])
        if t.startswith("[]"):
            return "[]" + self.go_name(t[2:])
        if t in ("string", "int", "bool"):
            return t
        if t in NAMED or t in SLICE_NAMED:
            return f"{self.base_pkg}.{t}"
        return f"{self.pkg_of.get(t, self.base_pkg)}.{t}"


_cache: dict[str, Schema] = {}


def schema(version: str) -> Schema:
    s = _cache.get(version)
    if s is None:
        s = _cache[version] = Schema(version)
    return s
