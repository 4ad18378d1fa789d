"""Quadlet generator: quadlet files -> systemd service units (podman 6.1 behaviour).

:func:`generate` loads quadlet files from search directories (or explicit
files), applies drop-ins, converts every unit and returns a
:class:`GenerateResult`: the unit texts per service file name, the
``[Install]`` symlinks, podman's exact log messages, a hostform
:class:`~hostform.diagnostics.Report` with line numbers, and the exit code.
The converting half is :func:`convert_units`, the generator's in-memory
entry: ``generate`` calls it once the files are read, and hostform's checks
call it on the units of a bundle.

Each unit type has a short converter: a prologue (what podman does before
the main command), then a loop over its rows in :mod:`tables` with a few
named handlers (:data:`HANDLERS`), then an epilogue.
"""

from __future__ import annotations

import os

from hostform.diagnostics import Report
from hostform.gostd import clean as _clean
from hostform.gostd import ext as file_ext
from hostform.gostd import quote as go_quote
from hostform.gostd import sort_slice, trim_space
from hostform.quadlet import tables, versions
from hostform.quadlet.unitfile import (
    SplitError,
    UnitFile,
    UnitParseError,
    read_unit_file,
)

# typing-only imports: this module is on the start-up path of `hostform quadlet`
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from hostform.gates import Gate
    from hostform.quadlet.tables import Row

    Log = Callable[[str], None]
    Handler = Callable[["Ctx", list[str]], None]

PODMAN_VERSION = "6.1.1"
RELEASES = {"5.4": "5.4.2", "5.8": "5.8.6", "6.1": PODMAN_VERSION}
"""The release of each emulated major.minor that hostform is measured against (what ``-version`` prints)."""
AUTO_UPDATE_LABEL = "io.containers.autoupdate"
UNIT_DIR_TEMP = "/run/containers/systemd"
UNIT_DIR_ADMIN = "/etc/containers/systemd"
UNIT_DIR_DISTRO = "/usr/share/containers/systemd"

# hostform codes (see diagnostics.CODES)
HF_SYNTAX = "HF300"
HF_UNKNOWN_KEY = "HF301"
HF_INVALID = "HF302"
HF_WARNING = "HF303"
HF_IO = "HF304"
HF_DEPRECATED = "HF305"
HF_TOO_NEW = "HF050"


class Target:
    """The podman release being emulated: its unit types, keys and output behaviours.

    Everything version-dependent goes through here, read from the tables of
    :mod:`versions` (``unit_types``, ``keys``, ``CHANGES``) and
    :data:`tables.ROWS_BEFORE` / :data:`tables.MOVED_BEFORE`; converters ask ``ctx.target.has(change)``.
    """

    __slots__ = ("version", "types", "gate", "sections", "_keys", "_rows")

    def __init__(self, version: str) -> None:
        self.version = versions.normalize_version(version)
        self.types = frozenset("." + t for t in versions.unit_types(self.version))
        self.gate: Gate = versions.CHANGES.at(self.version)
        self.sections = frozenset(versions.sections(self.version))
        self._keys: dict[str, frozenset[str]] = {}
        self._rows: dict[str, tuple[Row, ...]] = {}

    def has(self, change: str) -> bool:
        """Does this release behave as :data:`versions.CHANGES` ``change`` says? KeyError for a name it does not list."""
        return self.gate.has(change)

    def keys(self, group: str) -> frozenset[str]:
        ks = self._keys.get(group)
        if ks is None:
            ks = self._keys[group] = versions.keys(self.version, group)
        return ks

    def rows(self, group: str) -> tuple[Row, ...]:
        rows = self._rows.get(group)
        if rows is None:
            old = {row[0]: row for change, (g, row) in tables.ROWS_BEFORE.items() if g == group and not self.has(change)}
            listed = [old.get(r[0], r) for r in tables.ROWS[group]]
            for change, (g, key, before) in tables.MOVED_BEFORE.items():
                if g == group and not self.has(change):
                    row = next(r for r in listed if r[0] == key)
                    listed.remove(row)
                    listed.insert(next(i for i, r in enumerate(listed) if r[0] == before), row)
            rows = self._rows[group] = tuple(listed)
        return rows


_TARGETS: dict[str, Target] = {}


def target(version: str | None = None) -> Target:
    """The (cached) :class:`Target` of ``version``; None means the newest release (podman 6.1)."""
    key = versions.VERSIONS[-1] if version is None else versions.normalize_version(version)
    t = _TARGETS.get(key)
    if t is None:
        t = _TARGETS[key] = Target(key)
    return t


class GeneratorCrash(Exception):
    """Where an old release's generator crashes (a Go panic, exit 2) instead of reporting an error.

    ``message``: the panic's first line, as Go prints it; ``explanation``: hostform's words for it.
    """

    def __init__(self, message: str, explanation: str, key: str, group: str) -> None:
        super().__init__(message)
        self.message = message
        self.explanation = explanation
        self.key = key
        self.group = group


class QuadletError(Exception):
    """A user mistake in one unit: podman's message plus the offending key."""

    def __init__(self, message: str, key: str | None = None, group: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.group = group
        self.warnings: list[str] = []  # found before the error; podman logs them first


class UnitInfo:
    __slots__ = ("service_name", "resource_name", "containers_to_start")

    def __init__(self, service_name: str, resource_name: str = "", containers: list[str] | None = None) -> None:
        self.service_name = service_name
        self.resource_name = resource_name
        self.containers_to_start = containers

    @property
    def service_file_name(self) -> str:
        return self.service_name + ".service"


class GenerateResult:
    """What a generator run produced.

    ``units``: service file name -> unit text (without the "Automatically
    generated" header; when two quadlet files map to one service name the
    later one wins, as on disk); ``outputs``: every (service file name, text)
    in generation order, duplicates included (what ``-dryrun`` prints); ``symlinks``: path relative to the output dir ->
    link target; ``log``: podman's messages (without the
    ``quadlet-generator[pid]: `` prefix); ``report``: hostform diagnostics;
    ``exit_code``: 0 or 1 as podman's generator (2 when it crashes).

    ``steps`` is the same in the order podman's generator does it, for a caller that writes the
    units: ``("log", message, "")``, ``("held", error, "")`` (an error a release before 5.5 logs
    only at exit), ``("write", name, text)``, ``("link", path, target)``, ``("link-error", message,
    "")`` (a link podman cannot make, said only when it writes), and ``("start", "", "")``
    where the reading is over and the generator makes its output directory (only when it read some
    unit). Each unit is written and linked right after it converts.

    Before podman 5.5 the generator holds its errors back and logs them at exit
    as one message: then ``held`` lists them and ``log`` ends with that one
    message; otherwise ``held`` is None. ``crash``: what a generator that crashes
    (a Go panic, exit 2) prints first; the held errors are then never logged.
    """

    __slots__ = ("units", "outputs", "symlinks", "log", "steps", "report", "exit_code", "sources", "held", "crash")

    def __init__(self, hold_errors: bool = False) -> None:
        self.units: dict[str, str] = {}
        self.outputs: list[tuple[str, str]] = []
        self.symlinks: dict[str, str] = {}
        self.log: list[str] = []
        self.steps: list[tuple[str, str, str]] = []
        self.report = Report()
        self.exit_code = 0
        self.sources: dict[str, str] = {}
        self.held: list[str] | None = [] if hold_errors else None
        self.crash: str | None = None

    def error(self, msg: str) -> None:
        """podman's reportError: logged now, or held back to exit (before 5.5)."""
        if self.held is None:
            self.say(msg)
        else:
            self.held.append(msg)
            self.steps.append(("held", msg, ""))

    def _finish(self) -> GenerateResult:
        if self.held and self.crash is None:
            self.log.append("\n".join(self.held))
        return self

    def say(self, message: str) -> None:
        """Log ``message``, in its place among the steps."""
        self.log.append(message)
        self.steps.append(("log", message, ""))


# -- names ---------------------------------------------------------------------------


def remove_extension(name: str, prefix: str = "", suffix: str = "") -> str:
    dot = name.rfind(".")
    base = name[:dot] if dot > 0 else name
    return prefix + base + suffix


def unit_group(unit: UnitFile) -> str | None:
    info = tables.UNIT_TYPES.get(file_ext(unit.filename))
    return info[0] if info else None


def service_name(unit: UnitFile, tgt: Target | None = None) -> str:
    info = tables.UNIT_TYPES[file_ext(unit.filename)]
    name = unit.lookup(info[0], "ServiceName")
    if name is not None:
        return name
    base = remove_extension(unit.filename)
    suffix = info[2]
    if base.endswith("@") and (tgt is None or tgt.has("template-names")):
        base = base[:-1]
        suffix += "@"
    return base + suffix


def container_name(unit: UnitFile) -> str:
    name = unit.lookup("Container", "ContainerName")
    if not name:
        name = "systemd-%p_%i" if "@" in unit.filename else "systemd-%N"
    return name


def resource_name(unit: UnitFile, group: str, key: str, tgt: Target | None = None) -> str:
    name = unit.lookup(group, key)
    if not name:
        name = remove_extension(unit.filename, "systemd-")
        if "@" in unit.filename and (tgt is None or tgt.has("template-names")):
            name = name[:-1] + "-%i"
    return name


def pod_resource_name(unit: UnitFile) -> str:
    return unit.lookup("Pod", "PodName") or remove_extension(unit.filename, "systemd-")


def container_resource_name(unit: UnitFile) -> str:
    name = container_name(unit).replace("%N", service_name(unit))
    return "" if "%" in name else name


def is_template_unit(unit: UnitFile) -> bool:
    return remove_extension(unit.filename).endswith("@") if "." in unit.filename else unit.filename.endswith("@")


def starts_with_specifier(path: str) -> bool:
    return path[:1] == "%" and path[1:2] != "%"


def absolute_path(unit: UnitFile, path: str) -> str:
    if not starts_with_specifier(path) and not path.startswith("/"):
        if unit.path:
            path = _clean(os.path.dirname(unit.path) + "/" + path)
        else:
            path = _clean(os.getcwd() + "/" + path)
    return path


def _is_url_exact(s: str) -> bool:
    import re

    return re.search(r"^((https?)|(git)://)|(github\.com/).+$", s) is not None


# -- command lines -------------------------------------------------------------------


class Ctx:
    """One conversion: the quadlet unit, the service being built, the group, shared unit infos.

    The converters' prologues leave values for the handlers: ``image``/``rootfs``
    (a container's, or the image an .image unit pulls), ``artifact``, ``yaml``
    (a .kube's files), ``pod`` (a .pod's name); ``context``, ``wd`` and ``file``
    come from the build-context handler for the .build epilogue.
    """

    __slots__ = (
        "unit", "service", "group", "infos", "is_user", "podman", "warnings", "done", "target",
        "image", "rootfs", "artifact", "yaml", "pod", "context", "wd", "file",
    )  # fmt: skip

    def __init__(
        self, unit: UnitFile, service: UnitFile, group: str, infos: dict[str, UnitInfo], is_user: bool, podman: str, tgt: Target | None = None
    ) -> None:
        self.target = target() if tgt is None else tgt
        self.unit = unit
        self.service = service
        self.group = group
        self.infos = infos
        self.is_user = is_user
        self.podman = podman
        self.warnings: list[str] = []
        self.done: set[str] = set()
        self.image = ""
        self.rootfs = ""
        self.artifact = ""
        self.yaml: list[str] = []
        self.pod = ""
        self.context = ""
        self.wd = ""
        self.file = ""

    def base_command(self) -> list[str]:
        cmd = [self.podman]
        for m in self.unit.lookup_all(self.group, "ContainersConfModule"):
            cmd.append("--module=" + m)
        cmd.extend(self.unit.lookup_all_args(self.group, "GlobalArgs"))
        return cmd

    def lookup(self, key: str) -> str | None:
        return self.unit.lookup(self.group, key)


def add_keys(cmd: list[str], flag: str, keys: dict[str, str | None]) -> None:
    for k in sorted(keys, key=lambda s: s.encode("utf-8", "surrogateescape")):
        v = keys[k]
        cmd.extend((flag, k if v is None else f"{k}={v}"))


def add_bool(cmd: list[str], flag: str, val: bool) -> None:
    cmd.append(flag if val else flag + "=false")


def emit_rows(ctx: Ctx, cmd: list[str]) -> None:
    """The table-driven part of every converter."""
    unit, group = ctx.unit, ctx.group
    for key, kind, flag, extra in ctx.target.rows(group):
        if kind == "meta":
            continue
        if kind == "handler":
            name = extra or ""  # a handler row names its handler (tests/quadlet/test_tables.py)
            if name not in ctx.done:
                ctx.done.add(name)
                HANDLERS[name](ctx, cmd)
            continue
        if kind in ("strv", "strv-lower", "args"):  # an "args" row without a flag adds bare words
            vals = unit.lookup_all_args(group, key) if kind == "args" else unit.lookup_all_strv(group, key)
            for val in vals:
                if kind == "strv-lower":
                    val = val.lower()
                if extra:
                    val = extra % val
                if flag:
                    cmd.append(flag)
                cmd.append(val)
            continue
        if flag is None:  # pragma: no cover - a bad table row is a bug
            raise AssertionError(f"no flag for {group}.{key} ({kind})")
        if kind in ("string", "string=", "present", "present="):
            one = unit.lookup(group, key)
            if one is None or (not one and kind[0] == "s"):
                continue
            if extra:
                one = extra % one if "%s" in extra else extra
            if kind[-1] == "=":
                cmd.append(f"{flag}={one}")
            else:
                cmd.extend((flag, one))
        elif kind == "strings":
            for one in unit.lookup_all(group, key):
                cmd.extend((flag, one))
        elif kind == "bool":
            b = unit.lookup_boolean(group, key)
            if b is not None:
                add_bool(cmd, flag, b)
        elif kind == "true-flag":
            if unit.lookup_boolean_default(group, key, False):
                cmd.append(flag)
                if extra:
                    cmd.append(extra)
        elif kind == "keyvals":
            keys, warns = unit.lookup_all_key_val(group, key, ctx.target.has("keyval-bare-key"))
            if ctx.target.has("keyval-warnings"):
                ctx.warnings.extend(warns)
            add_keys(cmd, flag, keys)
        else:  # pragma: no cover - a bad table row is a bug
            raise AssertionError(f"unknown kind {kind!r} for {group}.{key}")


# -- handlers ------------------------------------------------------------------------


def h_cgroups(ctx: Ctx, cmd: list[str]) -> None:
    mode = ctx.lookup("CgroupsMode")
    cmd.extend(("--cgroups", mode) if mode else ("--cgroups=split",))


def h_networks(ctx: Ctx, cmd: list[str]) -> None:
    for network in ctx.unit.lookup_all(ctx.group, "Network"):
        if not network:
            continue
        name, sep, options = network.partition(":")
        is_net = name.endswith(".network")
        is_ctr = name.endswith(".container")
        if is_net or is_ctr:
            info = ctx.infos.get(name)
            if info is None:
                raise QuadletError(f"requested Quadlet unit {name} was not found", "Network")
            if not info.resource_name:
                raise QuadletError(f"cannot get the resource name of {name}", "Network")
            ctx.service.add("Unit", "Requires", info.service_file_name)
            ctx.service.add("Unit", "After", info.service_file_name)
            if sep:
                if is_ctr:
                    raise QuadletError("extra options are not supported when joining another container's network", "Network")
                network = f"{info.resource_name}:{options}"
            else:
                network = ("container:" + info.resource_name) if is_ctr else info.resource_name
        cmd.extend(("--network", network))


def h_notify(ctx: Ctx, cmd: list[str]) -> None:
    stype = ctx.service.lookup("Service", "Type")
    if stype is not None and stype not in ("notify", "oneshot"):
        raise QuadletError(f"invalid service Type '{stype}'", "Type", "Service")
    if stype != "oneshot":
        notify = ctx.lookup("Notify")
        if notify is not None and notify.lower() == "healthy":
            cmd.append("--sdnotify=healthy")
        elif ctx.unit.lookup_boolean_default(ctx.group, "Notify", False):
            cmd.append("--sdnotify=container")
        else:
            cmd.append("--sdnotify=conmon")
        ctx.service.setv("Service", "Type", "notify", "NotifyAccess", "all")
        cmd.append("-d")
    if not ctx.unit.has_key("Service", "SyslogIdentifier"):
        ctx.service.set("Service", "SyslogIdentifier", "%N")


def h_devices(ctx: Ctx, cmd: list[str]) -> None:
    for device in ctx.unit.lookup_all_strv(ctx.group, "AddDevice"):
        if device[0] == "-":
            device = device[1:]
            if not os.path.exists(device.split(":")[0]):
                continue
        cmd.extend(("--device", device))


def h_read_only(ctx: Ctx, cmd: list[str]) -> None:
    ro = ctx.unit.lookup_boolean(ctx.group, "ReadOnly")
    if ro is not None:
        add_bool(cmd, "--read-only", ro)
    if ctx.unit.lookup_boolean_default(ctx.group, "VolatileTmp", False) and not ro:
        cmd.extend(("--tmpfs", "/tmp:rw,size=512M,mode=1777"))


def h_user(ctx: Ctx, cmd: list[str]) -> None:
    user = ctx.lookup("User")
    group = ctx.lookup("Group")
    if not user:
        if group:
            raise QuadletError("invalid Group set without User", "Group")
        return
    cmd.extend(("--user", f"{user}:{group}" if group else user))


def _user_mappings(ctx: Ctx, cmd: list[str], support_manual: bool) -> None:
    u, g = ctx.unit, ctx.group
    defined = False
    userns = u.lookup(g, "UserNS")
    if userns:
        cmd.extend(("--userns", userns))
        defined = True
    for key, flag in (("UIDMap", "--uidmap"), ("GIDMap", "--gidmap")):
        maps = u.lookup_all_strv(g, key)
        defined = defined or bool(maps)
        for m in maps:
            cmd.extend((flag, m))
    for key, flag in (("SubUIDMap", "--subuidname"), ("SubGIDMap", "--subgidname")):
        v = u.lookup(g, key)
        if v:
            cmd.extend((flag, v))
            defined = True
    if defined:
        if u.has_key(g, "RemapUid") or u.has_key(g, "RemapGid") or u.has_key(g, "RemapUsers"):
            raise QuadletError("deprecated Remap keys are set along with explicit mapping keys", "RemapUsers")
        return
    uid_maps = u.lookup_all_strv(g, "RemapUid")
    gid_maps = u.lookup_all_strv(g, "RemapGid")
    remap = u.lookup_last(g, "RemapUsers") or ""
    if remap == "":
        if uid_maps:
            raise QuadletError("UidMap set without RemapUsers", "RemapUid")
        if gid_maps:
            raise QuadletError("GidMap set without RemapUsers", "RemapGid")
    elif remap == "manual":
        if not support_manual:
            raise QuadletError("RemapUsers=manual is not supported", "RemapUsers")
        for m in uid_maps:
            cmd.extend(("--uidmap", m))
        for m in gid_maps:
            cmd.extend(("--gidmap", m))
    elif remap == "auto":
        opts = ["uidmapping=" + m for m in uid_maps] + ["gidmapping=" + m for m in gid_maps]
        size = u.lookup_uint32(g, "RemapUidSize", 0)
        if size > 0:
            opts.append(f"size={size}")
        cmd.extend(("--userns", "auto" + (":" + ",".join(opts) if opts else "")))
    elif remap == "keep-id":
        opts = []
        if uid_maps:
            if len(uid_maps) > 1:
                raise QuadletError("RemapUsers=keep-id supports only a single value for UID mapping", "RemapUid")
            opts.append("uid=" + uid_maps[0])
        if gid_maps:
            if len(gid_maps) > 1:
                raise QuadletError("RemapUsers=keep-id supports only a single value for GID mapping", "RemapGid")
            opts.append("gid=" + gid_maps[0])
        cmd.extend(("--userns", "keep-id" + (":" + ",".join(opts) if opts else "")))
    else:
        raise QuadletError(f"unsupported RemapUsers option '{remap}'", "RemapUsers")


def h_user_mappings(ctx: Ctx, cmd: list[str]) -> None:
    _user_mappings(ctx, cmd, True)


def h_kube_user_mappings(ctx: Ctx, cmd: list[str]) -> None:
    _user_mappings(ctx, cmd, False)


def storage_source(ctx: Ctx, source: str, check_image: bool, key: str) -> str:
    if source == "":
        if not ctx.target.has("mount-source-checked"):
            raise GeneratorCrash(
                "panic: runtime error: index out of range [0] with length 0",
                f"{key}= without a source crashes podman {ctx.target.version}'s generator (exit 2; fixed in podman 5.7)",
                key,
                ctx.group,
            )
        raise QuadletError("source cannot be empty", key)
    if source[0] == ".":
        source = absolute_path(ctx.unit, source)
    if source[0] == "/":
        _requires_mounts_for(ctx, source)
    elif source.endswith(".volume") or (check_image and source.endswith(".image")) or (source.endswith(".artifact") and ".artifact" in ctx.target.types):
        info = ctx.infos.get(source)
        if info is None:
            raise QuadletError(f"requested Quadlet source {source} was not found", key)
        ctx.service.add("Unit", "Requires", info.service_file_name)
        ctx.service.add("Unit", "After", info.service_file_name)
        source = info.resource_name
    return source


def _requires_mounts_for(ctx: Ctx, path: str) -> None:
    if ctx.target.has("requires-mounts-for-escaped"):
        ctx.service.add_escaped("Unit", "RequiresMountsFor", path)
    else:
        ctx.service.add("Unit", "RequiresMountsFor", path)


def h_volumes(ctx: Ctx, cmd: list[str]) -> None:
    for volume in ctx.unit.lookup_all(ctx.group, "Volume"):
        parts = volume.split(":", 2)
        source = ""
        options = ""
        if len(parts) >= 2:
            source, dest = parts[0], parts[1]
        else:
            dest = parts[0]
        if len(parts) >= 3:
            options = ":" + parts[2]
        if source:
            source = storage_source(ctx, source, False, "Volume")
        cmd.append("-v")
        cmd.append(dest if not source else f"{source}:{dest}{options}")


def _is_port_range(port: str) -> bool:
    # Go: `\d+(-\d+)?(/udp|/tcp)?$` searched unanchored at the start
    import re

    return re.search(r"\d+(-\d+)?(/udp|/tcp)?$", port) is not None


def h_expose(ctx: Ctx, cmd: list[str]) -> None:
    for port in ctx.unit.lookup_all(ctx.group, "ExposeHostPort"):
        port = trim_space(port)
        if not _is_port_range(port):
            raise QuadletError(f"invalid port format '{port}'", "ExposeHostPort")
        cmd.extend(("--expose", port))


def h_env_files(ctx: Ctx, cmd: list[str]) -> None:
    for f in ctx.unit.lookup_all_args(ctx.group, "EnvironmentFile"):
        cmd.extend(("--env-file", absolute_path(ctx.unit, f)))


def h_mounts(ctx: Ctx, cmd: list[str]) -> None:
    for mount in ctx.unit.lookup_all_args(ctx.group, "Mount"):
        cmd.extend(("--mount", _resolve_mount(ctx, mount)))


def _resolve_mount(ctx: Ctx, mount: str) -> str:
    from hostform.quadlet import gocsv

    try:
        records = gocsv.read_all(mount)
    except gocsv.CSVError as e:
        raise QuadletError(str(e), "Mount") from None
    bad_format = "incorrect mount format: should be --mount type=<bind|glob|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]"
    if len(records) != 1:
        raise QuadletError(bad_format, "Mount")
    mtype = ""
    found = False
    tokens: list[str] = []
    for s in records[0]:
        kv = s.split("=")
        if found or len(kv) != 2 or kv[0] != "type":
            tokens.append(s)
            continue
        mtype = kv[1]
        found = True
    if not found:
        if not ctx.target.has("mount-type-defaults-volume"):
            raise QuadletError(bad_format, "Mount")
        mtype = "volume"
    if mtype not in ("volume", "bind", "glob", "image", "artifact") or (mtype == "artifact" and ".artifact" not in ctx.target.types):
        return mount
    index = -1
    original = ""
    for i, tok in enumerate(tokens):
        k, sep, v = tok.partition("=")
        if k in ("source", "src"):
            if not sep:
                raise QuadletError("source parameter does not include a value", "Mount")
            index = i
            original = v
    if original or not ctx.target.has("mount-source-optional"):
        tokens[index] = "source=" + storage_source(ctx, original, True, "Mount")
    elif mtype != "volume":
        raise QuadletError(f"source parameter is required for mount type {mtype}", "Mount")
    return gocsv.write_record(["type=" + mtype] + tokens)


def h_pod(ctx: Ctx, cmd: list[str]) -> None:
    pod = ctx.lookup("Pod")
    if not pod:
        return
    if not pod.endswith(".pod"):
        raise QuadletError(f"pod {pod} is not Quadlet based", "Pod")
    info = ctx.infos.get(pod)
    if info is None:
        raise QuadletError(f"quadlet pod unit {pod} does not exist", "Pod")
    if ctx.target.has("track-by-name"):
        cmd.extend(("--pod", info.resource_name))
    else:
        cmd.extend(("--pod-id-file", f"%t/{info.service_name}.pod-id"))
    ctx.service.add("Unit", "BindsTo", info.service_file_name)
    ctx.service.add("Unit", "After", info.service_file_name)
    skip_template = is_template_unit(ctx.unit) and ctx.target.has("pod-skips-template-members")
    if not skip_template and ctx.unit.lookup_boolean_default(ctx.group, "StartWithPod", True):
        if info.containers_to_start is not None:
            info.containers_to_start.append(ctx.service.filename)


def h_image(ctx: Ctx, cmd: list[str]) -> None:
    if ctx.image:
        cmd.append(ctx.image)
    else:
        cmd.extend(("--rootfs", ctx.rootfs))


def h_exec(ctx: Ctx, cmd: list[str]) -> None:
    try:
        args = ctx.unit.lookup_last_args(ctx.group, "Exec")
    except SplitError as e:
        if ctx.target.has("args-parse-warning"):
            ctx.warnings.append(str(e))
        return
    if args is not None:
        cmd.extend(args)


def h_volume_opts(ctx: Ctx, cmd: list[str]) -> None:
    u, g = ctx.unit, ctx.group
    driver = u.lookup(g, "Driver")
    opts = []
    if driver == "image":
        image = u.lookup(g, "Image")
        if image is None:
            raise QuadletError("the key Image is mandatory when using the image driver", "Driver")
        opts.append(image_source(ctx, image))
        prefix = "image="
    else:
        prefix = "o="
        if u.has_key(g, "User"):
            opts.append("uid=%d" % u.lookup_uint32(g, "User", 0))
        if u.has_key(g, "Group"):
            opts.append("gid=%d" % u.lookup_uint32(g, "Group", 0))
        copy = u.lookup_boolean(g, "Copy")
        if copy is not None:
            cmd.extend(("--opt", "copy" if copy else "nocopy"))
        dev = u.lookup(g, "Device")
        if dev:
            cmd.extend(("--opt", f"device={dev}"))
        dev_type = u.lookup(g, "Type")
        if dev_type:
            if not dev:
                raise QuadletError("key Type can't be used without Device", "Type")
            cmd.extend(("--opt", f"type={dev_type}"))
            if dev_type == "bind" and ctx.target.has("bind-volume-requires-mounts"):
                _requires_mounts_for(ctx, dev)
        mount_opts = u.lookup(g, "Options")
        if mount_opts:
            if not dev and not ctx.target.has("volume-options-without-device"):
                raise QuadletError("key Options can't be used without Device", "Options")
            opts.append(mount_opts)
    if prefix == "image=":
        cmd.extend(("--opt", prefix + opts[0]))
    elif opts:
        cmd.extend(("--opt", prefix + ",".join(opts)))


def h_subnets(ctx: Ctx, cmd: list[str]) -> None:
    u, g = ctx.unit, ctx.group
    subnets = u.lookup_all(g, "Subnet")
    gateways = u.lookup_all(g, "Gateway")
    ranges = u.lookup_all(g, "IPRange")
    if subnets:
        if len(gateways) > len(subnets):
            raise QuadletError("cannot set more gateways than subnets", "Gateway")
        if len(ranges) > len(subnets):
            raise QuadletError("cannot set more ranges than subnets", "IPRange")
        for i, subnet in enumerate(subnets):
            cmd.extend(("--subnet", subnet))
            if i < len(gateways):
                cmd.extend(("--gateway", gateways[i]))
            if i < len(ranges):
                cmd.extend(("--ip-range", ranges[i]))
    elif ranges or gateways:
        raise QuadletError("cannot set gateway or range without subnet", "IPRange" if ranges else "Gateway")


def h_kube_auto_update(ctx: Ctx, cmd: list[str]) -> None:
    for update in ctx.unit.lookup_all_strv(ctx.group, "AutoUpdate"):
        annotation = "--annotation=" + AUTO_UPDATE_LABEL
        value, slash, typ = update.partition("/")
        if slash:
            annotation += "/" + value
            update = typ
        cmd.append(f"{annotation}={update}")


def h_config_maps(ctx: Ctx, cmd: list[str]) -> None:
    for cm in ctx.unit.lookup_all_strv(ctx.group, "ConfigMap"):
        cmd.extend(("--configmap", absolute_path(ctx.unit, cm)))


def h_yaml(ctx: Ctx, cmd: list[str]) -> None:
    cmd.extend(ctx.yaml)


def h_pull_image(ctx: Ctx, cmd: list[str]) -> None:
    cmd.append(ctx.image)


def h_artifact(ctx: Ctx, cmd: list[str]) -> None:
    cmd.append(ctx.artifact)


def h_exit_policy(ctx: Ctx, cmd: list[str]) -> None:
    if not ctx.target.has("exit-policy-key"):
        return  # a fixed --exit-policy=stop at the start (convert_pod)
    policy = ctx.lookup("ExitPolicy")
    cmd.extend(("--exit-policy", "stop" if policy is None else policy))


def h_pod_names(ctx: Ctx, cmd: list[str]) -> None:
    name = ctx.pod
    cmd.extend(("--infra-name", f"{name}-infra", "--name", name))


def h_build_context(ctx: Ctx, cmd: list[str]) -> None:
    context = set_working_directory(ctx)
    wd = ctx.service.lookup("Service", "WorkingDirectory")
    file_path = ctx.lookup("File")
    if not wd and not file_path and not context:
        raise QuadletError("neither SetWorkingDirectory, nor File key specified", "File")
    if file_path:
        cmd.extend(("--file", file_path))
    ctx.context = context
    ctx.wd = wd or ""
    ctx.file = file_path or ""


HANDLERS: dict[str, Handler] = {
    "cgroups": h_cgroups,
    "networks": h_networks,
    "notify": h_notify,
    "devices": h_devices,
    "read_only": h_read_only,
    "user": h_user,
    "user_mappings": h_user_mappings,
    "kube_user_mappings": h_kube_user_mappings,
    "volumes": h_volumes,
    "expose": h_expose,
    "env_files": h_env_files,
    "mounts": h_mounts,
    "pod": h_pod,
    "image": h_image,
    "exec": h_exec,
    "volume_opts": h_volume_opts,
    "subnets": h_subnets,
    "kube_auto_update": h_kube_auto_update,
    "config_maps": h_config_maps,
    "yaml": h_yaml,
    "pull_image": h_pull_image,
    "artifact": h_artifact,
    "exit_policy": h_exit_policy,
    "pod_names": h_pod_names,
    "build_context": h_build_context,
}


# -- shared steps --------------------------------------------------------------------


def image_source(ctx: Ctx, image: str) -> str:
    for suffix in (".build", ".image"):
        if image.endswith(suffix):
            info = ctx.infos.get(image)
            if info is None:
                raise QuadletError(f"requested Quadlet image {image} was not found", "Image")
            ctx.service.add("Unit", "Requires", info.service_file_name)
            ctx.service.add("Unit", "After", info.service_file_name)
            image = info.resource_name
    return image


def set_working_directory(ctx: Ctx) -> str:
    u, g = ctx.unit, ctx.group
    swd = u.lookup(g, "SetWorkingDirectory")
    if not swd:
        return ""
    context = ""
    relative_to = ""
    low = swd.lower()
    if low == "yaml":
        if g != "Kube":
            raise QuadletError(f"SetWorkingDirectory={swd} is only supported in .kube files", "SetWorkingDirectory")
        if not ctx.target.has("multiple-yaml"):
            last = u.lookup("Kube", "Yaml")
            if last is None:
                raise QuadletError("no Yaml key specified", "Yaml")
            relative_to = last
        else:
            yamls = u.lookup_all_strv("Kube", "Yaml")
            if not yamls:
                raise QuadletError("no Yaml key specified", "Yaml")
            if len(yamls) != 1:
                raise QuadletError("SetWorkingDirectory=yaml is only supported when a single Yaml key is provided", "SetWorkingDirectory")
            relative_to = yamls[0]
    elif low == "file":
        if g != "Build":
            raise QuadletError(f"SetWorkingDirectory={swd} is only supported in .build files", "SetWorkingDirectory")
        f = u.lookup(g, "File")
        if f is None:
            raise QuadletError("no File key specified", "File")
        relative_to = f
    elif low == "unit":
        relative_to = u.path
    else:
        if g != "Build":
            raise QuadletError(f"unsupported value for WorkingDirectory: {swd} ", "SetWorkingDirectory")
        context = swd
        if not context.startswith("/"):
            relative_to = u.path
    if relative_to and not _is_url_exact(context):
        wd = u.lookup("Service", "WorkingDirectory")
        if wd:
            return ""
        ctx.service.add("Service", "WorkingDirectory", _dir(absolute_path(u, relative_to)))
    return context


def _dir(path: str) -> str:
    i = path.rfind("/")
    return _clean(path[: i + 1])


def default_oneshot(service: UnitFile, remain: bool) -> None:
    if service.lookup("Service", "SyslogIdentifier") is None:
        service.set("Service", "SyslogIdentifier", "%N")
    if service.lookup("Service", "Type") is None:
        service.set("Service", "Type", "oneshot")
    if remain and service.lookup("Service", "RemainAfterExit") is None:
        service.set("Service", "RemainAfterExit", "yes")


def check_kill_mode(service: UnitFile) -> None:
    kill = service.lookup("Service", "KillMode")
    if kill not in ("mixed", "control-group"):
        if kill is not None:
            raise QuadletError(f"invalid KillMode '{kill}'", "KillMode", "Service")
        service.set("Service", "KillMode", "mixed")


def unknown_keys(unit: UnitFile, group: str | None, tgt: Target | None = None) -> list[tuple[str, str]]:
    """Every (group, key) the target release does not support, the type group first then [Quadlet]."""
    tgt = target() if tgt is None else tgt
    out: list[tuple[str, str]] = []
    for g in (group, tables.QUADLET_GROUP):
        if g is None or g not in tgt.sections:
            continue  # before 5.3 quadlet does not look at [Quadlet]
        ok = tgt.keys(g)
        out.extend((g, k) for k in unit.list_keys(g) if k not in ok)
    return out


def translate_dependencies(service: UnitFile, infos: dict[str, UnitInfo]) -> None:
    for key in tables.UNIT_DEPENDENCY_KEYS:
        deps = service.lookup_all_strv("Unit", key)
        if not deps:
            continue
        out = []
        translated = False
        for dep in deps:
            if file_ext(dep) in tables.UNIT_TYPES:
                info = infos.get(dep)
                if info is None:
                    raise QuadletError(f"unable to translate dependency for {dep}", key, "Unit")
                out.append(info.service_file_name)
                translated = True
            else:
                out.append(dep)
        if translated:
            service.unset("Unit", key)
            service.add("Unit", key, " ".join(out))


def init_service(ctx_unit: UnitFile, group: str, infos: dict[str, UnitInfo], is_user: bool, podman: str, tgt: Target | None = None) -> Ctx:
    tgt = target() if tgt is None else tgt
    info = infos.get(ctx_unit.filename)
    if info is None:
        raise QuadletError(f"internal error while processing container {ctx_unit.filename}")
    shared = tgt.has("service-init-shared")
    if not shared and group == "Build" and not info.resource_name:
        raise QuadletError("no ImageTag key specified")
    bad = unknown_keys(ctx_unit, group, tgt)
    if bad:
        g, k = bad[0]
        raise QuadletError(f"unsupported key '{k}' in group '{g}' in {ctx_unit.path}", k, g)
    service = ctx_unit.dup()
    service.filename = info.service_file_name
    if tgt.has("unit-dependencies"):
        translate_dependencies(service, infos)
    if service.lookup_boolean_default(tables.QUADLET_GROUP, "DefaultDependencies", True):
        net = "podman-user-wait-network-online.service" if is_user else "network-online.target"
        service.prepend_line("Unit", "After", net)
        service.prepend_line("Unit", "Wants", net)
    if not shared and group == "Build":
        service.add("Unit", "RequiresMountsFor", "%t/containers")
    if ctx_unit.path:
        service.add("Unit", "SourcePath", ctx_unit.path)
    if shared or group not in ("Container", "Build"):  # before 5.6 a .container's comes after its image's Requires=
        service.add("Unit", "RequiresMountsFor", "%t/containers")
    service.rename_group(group, tables.X_GROUP[group])
    service.rename_group(tables.QUADLET_GROUP, tables.X_QUADLET_GROUP)
    return Ctx(ctx_unit, service, group, infos, is_user, podman, tgt)


# -- converters ----------------------------------------------------------------------


def convert_container(ctx: Ctx) -> None:
    u, service = ctx.unit, ctx.service
    image = ctx.lookup("Image")
    rootfs = ctx.lookup("Rootfs")
    if not image and not rootfs:
        raise QuadletError("no Image or Rootfs key specified")
    if image and rootfs:
        raise QuadletError("the Image And Rootfs keys conflict can not be specified together", "Rootfs")
    if image:
        image = image_source(ctx, image)
    if not ctx.target.has("service-init-shared"):
        service.add("Unit", "RequiresMountsFor", "%t/containers")
    ctx.image = image or ""
    ctx.rootfs = rootfs or ""
    name = container_name(u)
    service.add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
    check_kill_mode(service)
    by_name = ctx.target.has("track-by-name")
    stop = ctx.base_command() + ["rm", "-v", "-f", "-i", name if by_name else "--cidfile=%t/%N.cid"]
    service.add_cmdline("Service", "ExecStop", stop)
    stop[0] = "-" + stop[0]
    service.add_cmdline("Service", "ExecStopPost", stop)
    exec_reload(ctx, name)
    cmd = ctx.base_command() + ["run", "--name", name] + ([] if by_name else ["--cidfile=%t/%N.cid"]) + ["--replace", "--rm"]
    service.add("Service", "Delegate", "yes")
    emit_rows(ctx, cmd)
    service.add_cmdline("Service", "ExecStart", cmd)


def exec_reload(ctx: Ctx, name: str) -> None:
    signal = ctx.lookup("ReloadSignal")
    try:
        reload_cmd = ctx.unit.lookup_last_args(ctx.group, "ReloadCmd")
    except SplitError as e:
        if ctx.target.has("args-parse-warning"):
            ctx.warnings.append(str(e))
        reload_cmd = None
    if not reload_cmd and not signal:
        return
    if reload_cmd and signal:
        raise QuadletError("ReloadCmd and ReloadSignal are mutually exclusive but both are set", "ReloadSignal")
    cmd = ctx.base_command()
    if reload_cmd:
        cmd += ["exec", name] + reload_cmd
    elif signal:  # always, here: one of the two is set
        cmd += ["kill", "--signal", signal, name]
    ctx.service.add_cmdline("Service", "ExecReload", cmd)


def _create_resource(ctx: Ctx, noun: str, name: str) -> None:
    """ExecStart=podman <noun> create --ignore <the group's flags> <name>, as a oneshot."""
    cmd = ctx.base_command() + [noun, "create", "--ignore"]
    emit_rows(ctx, cmd)
    cmd.append(name)
    ctx.service.add_cmdline("Service", "ExecStart", cmd)
    default_oneshot(ctx.service, True)
    ctx.infos[ctx.unit.filename].resource_name = name


def convert_network(ctx: Ctx) -> None:
    name = resource_name(ctx.unit, "Network", "NetworkName", ctx.target)
    if ctx.unit.lookup_boolean_default("Network", "NetworkDeleteOnStop", False):
        ctx.service.add_cmdline("Service", "ExecStopPost", ctx.base_command() + ["network", "rm", name])
    _create_resource(ctx, "network", name)


def convert_volume(ctx: Ctx) -> None:
    _create_resource(ctx, "volume", resource_name(ctx.unit, "Volume", "VolumeName", ctx.target))


def convert_kube(ctx: Ctx) -> None:
    u, service = ctx.unit, ctx.service
    if ctx.target.has("multiple-yaml"):
        yamls = u.lookup_all_strv("Kube", "Yaml")
    else:
        last = u.lookup("Kube", "Yaml")
        yamls = [last] if last else []
    if not yamls:
        raise QuadletError("no Yaml key specified")
    yamls = [absolute_path(u, y) for y in yamls]
    ctx.yaml = yamls
    check_kill_mode(service)
    service.add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
    stype = service.lookup("Service", "Type")
    if stype is not None and stype not in ("notify", "oneshot"):
        raise QuadletError(f"invalid service Type '{stype}'", "Type", "Service")
    if stype != "oneshot":
        service.setv("Service", "Type", "notify", "NotifyAccess", "all")
    if not u.has_key("Service", "SyslogIdentifier"):
        service.set("Service", "SyslogIdentifier", "%N")
    cmd = ctx.base_command() + ["kube", "play", "--replace", "--service-container=true"]
    emit_rows(ctx, cmd)
    service.add_cmdline("Service", "ExecStart", cmd)
    stop = ctx.base_command() + ["kube", "down"]
    force = u.lookup_boolean("Kube", "KubeDownForce")
    if force is not None:
        add_bool(stop, "--force", force)
    service.add_cmdline("Service", "ExecStopPost", stop + yamls)
    set_working_directory(ctx)


def _pull(ctx: Ctx, key: str, noun: str) -> str:
    """ExecStart=podman <noun> pull <the group's flags>, as a oneshot; returns the required ``key``."""
    value = ctx.lookup(key)
    if not value:
        raise QuadletError(f"no {key} key specified")
    if noun == "image":
        ctx.image = value
    else:
        ctx.artifact = value
    cmd = ctx.base_command() + [noun, "pull"]
    emit_rows(ctx, cmd)
    ctx.service.add_cmdline("Service", "ExecStart", cmd)
    default_oneshot(ctx.service, True)
    return value


def convert_image(ctx: Ctx) -> None:
    image = _pull(ctx, "Image", "image")
    ctx.infos[ctx.unit.filename].resource_name = ctx.lookup("ImageTag") or image


def convert_build(ctx: Ctx) -> None:
    if not ctx.infos[ctx.unit.filename].resource_name:
        raise QuadletError("no ImageTag key specified")
    cmd = ctx.base_command() + ["build"]
    emit_rows(ctx, cmd)
    file_path = ctx.file
    if ctx.context:
        cmd.append(ctx.context)
    elif (
        not (starts_with_specifier(file_path) and ctx.target.has("build-file-specifier-absolute"))
        and not file_path.startswith("/")
        and not _is_url_exact(file_path)
    ):
        if not ctx.wd:
            raise QuadletError("relative path in File key requires SetWorkingDirectory key to be set", "File")
        cmd.append(ctx.wd)
    ctx.service.add_cmdline("Service", "ExecStart", cmd)
    default_oneshot(ctx.service, False)


def convert_artifact(ctx: Ctx) -> None:
    ctx.infos[ctx.unit.filename].resource_name = _pull(ctx, "Artifact", "artifact")


def convert_pod(ctx: Ctx) -> None:
    u, service = ctx.unit, ctx.service
    info = ctx.infos[u.filename]
    name = pod_resource_name(u)
    ctx.pod = name
    for svc in info.containers_to_start or ():
        service.add("Unit", "Wants", svc)
        service.add("Unit", "Before", svc)
    if not u.has_key("Service", "SyslogIdentifier"):
        service.set("Service", "SyslogIdentifier", "%N")
    by_name = ctx.target.has("track-by-name")
    pod_id = "--pod-id-file=%t/%N.pod-id"
    timeout = ctx.lookup("StopTimeout")
    stop = ["--ignore", f"--time={'10' if timeout is None else timeout}"]
    rm = ["--ignore", "--force"]
    if by_name:
        start, stop, rm = [name], stop + [name], rm + [name]
    else:
        start, stop, rm = [pod_id], [pod_id] + stop, [pod_id] + rm
    service.add_cmdline("Service", "ExecStart", ctx.base_command() + ["pod", "start"] + start)
    service.add_cmdline("Service", "ExecStop", ctx.base_command() + ["pod", "stop"] + stop)
    service.add_cmdline("Service", "ExecStopPost", ctx.base_command() + ["pod", "rm"] + rm)
    cmd = ctx.base_command() + ["pod", "create", "--infra-conmon-pidfile=%t/%N.pid"]
    if not by_name:
        cmd.append(pod_id)
    if not ctx.target.has("exit-policy-key"):
        cmd.append("--exit-policy=stop")
    cmd.append("--replace")
    emit_rows(ctx, cmd)
    service.add_cmdline("Service", "ExecStartPre", cmd)
    if ctx.target.has("pod-environment-added"):
        service.add("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
    else:
        service.set("Service", "Environment", "PODMAN_SYSTEMD_UNIT=%n")
    if not ctx.target.has("pod-restart-kept"):
        service.setv("Service", "Type", "forking", "Restart", "on-failure", "PIDFile", "%t/%N.pid")
    else:
        service.setv("Service", "Type", "forking", "PIDFile", "%t/%N.pid")
        if not u.has_key("Service", "Restart"):
            service.set("Service", "Restart", "on-failure")


CONVERTERS = {
    "Container": convert_container,
    "Volume": convert_volume,
    "Network": convert_network,
    "Kube": convert_kube,
    "Image": convert_image,
    "Build": convert_build,
    "Artifact": convert_artifact,
    "Pod": convert_pod,
}


def convert(unit: UnitFile, infos: dict[str, UnitInfo], is_user: bool, podman: str = "/usr/bin/podman", tgt: Target | None = None) -> tuple[UnitFile, list[str]]:
    """Convert one quadlet unit: (service unit, warnings). Raises QuadletError."""
    tgt = target() if tgt is None else tgt
    group = unit_group(unit)
    if group is None or file_ext(unit.filename) not in tgt.types:
        raise QuadletError(f"unsupported file type {go_quote(unit.filename)}")
    ctx = init_service(unit, group, infos, is_user, podman, tgt)
    try:
        CONVERTERS[group](ctx)
    except QuadletError as e:
        e.warnings = ctx.warnings
        raise
    return ctx.service, ctx.warnings


# -- warnings (cmd/quadlet) ----------------------------------------------------------


def _is_image_id(name: str) -> bool:
    if name.startswith("sha256:"):
        return True
    return len(name) == 64 and all(c in "0123456789abcdefABCDEF" for c in name)


def is_unambiguous_name(name: str) -> bool:
    if _is_image_id(name):
        return True
    domain, slash, _ = name.partition("/")
    if not slash:
        return False
    return "." in domain or ":" in domain or domain == "localhost"


# -- loading -------------------------------------------------------------------------


def _go_err(e: OSError, path: str) -> str:
    msg = (e.strerror or str(e)).lower() if e.strerror else str(e)
    if isinstance(e, IsADirectoryError):
        return f"read {path}: is a directory"
    return f"open {path}: {msg}"


def eval_symlinks(path: str) -> str | None:
    """filepath.EvalSymlinks: the resolved path, or None if it does not exist."""
    if not os.path.lexists(path):
        return None
    real = os.path.realpath(path)
    if not os.path.exists(real):
        return None
    return real if path.startswith("/") else os.path.relpath(real)


class _SearchPaths:
    __slots__ = ("paths", "visited")

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.visited: set[str] = set()

    def add(self, path: str) -> None:
        self.paths.append(path)
        self.visited.add(path)

    def append_sub_paths(self, path: str, is_user: bool, filt: Callable[[str, bool], bool] | None) -> None:
        resolved = eval_symlinks(path)
        if resolved is None:
            self.add(path)
            return
        if resolved in self.visited or resolved.endswith(".d"):
            return
        if filt is not None and not filt(resolved, is_user):
            return
        if not os.path.isdir(resolved):
            return
        self.add(resolved)
        try:
            names = sorted(os.listdir(resolved))
        except OSError:
            return
        for name in names:
            self.append_sub_paths(os.path.join(resolved, name), is_user, filt)


def unit_dirs(is_user: bool, env: Mapping[str, str] | None = None, log: Log | None = None) -> list[str]:
    """The directories quadlet reads, in precedence order (podman's GetUnitDirs)."""
    env = os.environ if env is None else env
    sp = _SearchPaths()
    from_env = env.get("QUADLET_UNIT_DIRS", "")
    if from_env:
        for d in from_env.split(":"):
            if not d.startswith("/"):
                if log is not None:
                    log(f"{d} not a valid file path")
                break
            sp.append_sub_paths(d, False, None)
        return sp.paths
    users = os.path.join(UNIT_DIR_ADMIN, "users")
    admin_user = eval_symlinks(users) or users

    def user_level(path: str, user_flag: bool) -> bool:
        return not path.startswith(admin_user) or user_flag

    if is_user:
        level = len(admin_user.split("/"))

        def non_numeric(path: str, _u: bool) -> bool:
            if not path.startswith(admin_user):
                return True
            parts = path.split("/")
            if len(parts) == level:
                return True
            return len(parts) > level and not parts[level].isdigit() and parts[level] != ""

        runtime = env.get("XDG_RUNTIME_DIR")
        if runtime is not None:
            sp.append_sub_paths(os.path.join(runtime, "containers/systemd"), False, None)
        config = env.get("XDG_CONFIG_HOME") or ""
        if not config:
            home = env.get("HOME", "")
            if not home:
                if log is not None:
                    log("Warning: neither $XDG_CONFIG_HOME nor $HOME are defined")
                return sp.paths
            config = home + "/.config"
        elif not config.startswith("/"):
            if log is not None:
                log("Warning: path in $XDG_CONFIG_HOME is relative")
            return sp.paths
        sp.append_sub_paths(os.path.join(config, "containers/systemd"), False, None)
        uid = str(os.getuid())
        for base in (UNIT_DIR_ADMIN, UNIT_DIR_DISTRO):
            sp.append_sub_paths(os.path.join(base, "users"), True, non_numeric)
            sp.append_sub_paths(os.path.join(base, "users", uid), True, user_level)
    else:
        for base in (UNIT_DIR_TEMP, UNIT_DIR_ADMIN, UNIT_DIR_DISTRO):
            sp.append_sub_paths(base, False, user_level)
    return sp.paths


def _known_type(report: Report, tgt: Target, path: str) -> bool:
    """Does the target release read quadlet files of this type? If not (it skips them without a word), HF050."""
    ext = file_ext(path)
    if ext in tgt.types:
        return True
    msg = f"podman {tgt.version} does not know {ext} units (podman >= {versions.UNIT_TYPE_SINCE[ext[1:]]}): {os.path.basename(path)} will be ignored"
    report.error(HF_TOO_NEW, msg, file=path, line=1)
    return False


class _Loader:
    """The generator's reading step: files and drop-ins from disk, with podman's messages."""

    def __init__(self, result: GenerateResult, debug: Log, tgt: Target) -> None:
        self.result = result
        self.debug = debug
        self.errors = False
        self.target = tgt

    def known_type(self, path: str) -> bool:
        return _known_type(self.result.report, self.target, path)

    def error(self, msg: str, code: str, file: str | None = None, line: int = 0) -> None:
        self.result.error(msg)
        self.result.report.error(code, msg, file=file, line=line)
        self.errors = True

    def load_file(self, path: str) -> UnitFile | str:
        """The parsed file, or podman's message saying why it could not be loaded."""
        try:
            return read_unit_file(path)
        except UnitParseError as e:
            self.result.report.error(HF_SYNTAX, e.message, file=path, line=e.line)
            return f"error loading {go_quote(path)}, {e.message}"
        except OSError as e:
            self.result.report.error(HF_IO, _go_err(e, path), file=path)
            return f"error loading {go_quote(path)}, {_go_err(e, path)}"

    def load_dir(self, d: str, seen: set[str]) -> list[UnitFile]:
        try:
            names = sorted(os.listdir(d))
        except FileNotFoundError:
            return []
        except OSError as e:
            self.error(_go_err(e, d), HF_IO, d)
            return []
        units: list[UnitFile] = []
        errs: list[str] = []
        for name in names:
            if name in seen or file_ext(name) not in tables.UNIT_TYPES:
                continue
            path = d.rstrip("/") + "/" + name if d != "/" else "/" + name
            if not self.known_type(path):
                continue
            self.debug(f"Loading source unit file {path}")
            unit = self.load_file(path)
            if isinstance(unit, str):
                errs.append(unit)
            else:
                seen.add(name)
                units.append(unit)
        if errs:
            # podman drops every unit of a directory in which one file fails to parse
            self.result.error("\n".join(errs))
            self.errors = True
            return []
        return units

    def load_dropins(self, unit: UnitFile, dirs: list[str]) -> None:
        found: dict[str, str] = {}
        errs: list[str] = []
        subs = unit.dropin_paths()
        if self.target.has("dropin-dirs-by-name"):
            where = [(d, sub) for sub in subs for d in dirs]
        else:
            where = [(d, sub) for d in dirs for sub in subs]
        for d, sub in where:
            dd = _clean(d + "/" + sub)
            try:
                names = sorted(os.listdir(dd))
            except FileNotFoundError:
                continue
            except OSError as e:
                if isinstance(e, NotADirectoryError):
                    errs.append(f"error reading directory {go_quote(dd)}, open {dd}: not a directory")
                else:
                    errs.append(f"error reading directory {go_quote(dd)}, {_go_err(e, dd)}")
                continue
            for name in names:
                if file_ext(name) == ".conf" and name not in found:
                    found[name] = dd + "/" + name
        for name in sorted(found, key=lambda s: s.encode("utf-8", "surrogateescape")):
            path = found[name]
            self.debug(f"Loading source drop-in file {path}")
            dropin = self.load_file(path)
            if isinstance(dropin, str):
                errs.append(dropin)
            else:
                unit.merge(dropin)
        if errs:
            self.result.error("\n".join(errs))
            self.errors = True


def build_infos(units: Iterable[UnitFile], tgt: Target | None = None) -> dict[str, UnitInfo]:
    """What converting one unit needs to know of the others: file name -> service and resource names."""
    infos: dict[str, UnitInfo] = {}
    for unit in units:
        ext = file_ext(unit.filename)
        if ext not in tables.UNIT_TYPES:
            continue  # a file named on the command line (-check) that is no quadlet: convert() says so
        resource = ""
        containers: list[str] | None = None
        if ext == ".container":
            resource = container_resource_name(unit)
        elif ext == ".build":
            tags = unit.lookup_all("Build", "ImageTag")
            resource = tags[0] if tags else ""
        elif ext == ".pod":
            containers = []
            resource = pod_resource_name(unit)
        infos[unit.filename] = UnitInfo(service_name(unit, tgt), resource, containers)
    return infos


def _go_rel(base: str, target: str) -> str | None:
    """filepath.Rel for relative paths; None where Go fails."""
    b = _clean(base)
    t = _clean(target)
    if b.startswith("/") != t.startswith("/"):
        return None
    bp = [] if b == "." else b.split("/")
    tp = [] if t == "." else t.split("/")
    i = 0
    while i < len(bp) and i < len(tp) and bp[i] == tp[i]:
        i += 1
    rest = bp[i:]
    if ".." in rest:
        return None
    parts = [".."] * len(rest) + tp[i:]
    return "/".join(parts) if parts else "."


def install_symlinks(service: UnitFile, upheld_by: bool = True) -> list[tuple[str, str | None, str]]:
    """[Install] Alias=/WantedBy=/RequiredBy=/UpheldBy= -> (link path, target, "") in podman's order,
    repeats kept, or (link path, None, message) where podman cannot make the link (UpheldBy= since
    podman 5.5: ``upheld_by``)."""
    links = [_clean(a) for a in service.lookup_all_strv("Install", "Alias")]
    fname = service.filename
    base, instance, is_template = service.template_parts()
    if is_template and not instance:
        default = service.lookup("Install", "DefaultInstance")
        fname = f"{base}@{default}{file_ext(fname)}" if default is not None else ""
    if fname:
        for key, sub in (("WantedBy", "wants"), ("RequiredBy", "requires"), ("UpheldBy", "upholds"))[: 3 if upheld_by else 2]:
            for target in service.lookup_all_strv("Install", key):
                if "/" not in target:
                    links.append(f"{target}.{sub}/{fname}")
    out: list[tuple[str, str | None, str]] = []
    for link in links:
        i = link.rfind("/")
        d = _clean(link[:i]) if i > 0 else ("/" if i == 0 else ".")  # filepath.Dir
        rel = _go_rel(d, service.filename)
        if rel is None:
            out.append((link, None, f"Can't create symlink {link}: Rel: can't make {service.filename} relative to {d}"))
        else:
            out.append((link, rel, ""))
    return out


def generate(
    sources: Iterable[str | os.PathLike[str]] | None = None,
    user: bool = False,
    *,
    env: Mapping[str, str] | None = None,
    podman: str | None = None,
    verbose: bool = False,
    podman_version: str | None = None,
) -> GenerateResult:
    """Run the generator: read the quadlet files, then :func:`convert_units`. Nothing is written.

    ``sources``: a list of directories and/or quadlet files; None means the
    standard search path (``QUADLET_UNIT_DIRS`` from ``env`` first; ``env``
    None is this process's environment). ``user``: the user generator.
    ``podman``: the podman binary in the commands (default ``$PODMAN``, else
    /usr/bin/podman). ``verbose``: podman's debug lines in ``log``.
    ``podman_version`` (``"5.4"``, ...): emulate that release's generator
    (its unit types, keys and output; see :class:`Target`); None: podman 6.1.
    Raises ValueError for a release not in :data:`versions.VERSIONS`.
    Where the units go is the caller's business (the output directory of
    :mod:`hostform.cli.quadlet`, the drop-in): nothing generated depends on it.
    """
    tgt = target(podman_version)
    env = os.environ if env is None else env
    if podman is None:
        podman = env.get("PODMAN") or "/usr/bin/podman"
    loaded = GenerateResult(not tgt.has("errors-logged-as-they-occur"))

    def debug(msg: str) -> None:
        if verbose:
            loaded.say(msg)

    loader = _Loader(loaded, debug, tgt)
    seen: set[str] = set()
    units: list[UnitFile] = []
    dirs: list[str] = []
    if sources is None:
        dirs = unit_dirs(user, env, loaded.say)
        for d in dirs:
            units.extend(loader.load_dir(d, seen))
    else:
        for source in sources:
            s = str(source)
            if os.path.isdir(s):
                dirs.append(s)
                units.extend(loader.load_dir(s, seen))
            else:
                d = os.path.dirname(os.path.abspath(s))
                if d not in dirs:
                    dirs.append(d)
                name = os.path.basename(s)
                if name in seen or (file_ext(name) in tables.UNIT_TYPES and not loader.known_type(s)):
                    continue
                unit = loader.load_file(s)
                if isinstance(unit, str):
                    loader.errors = True
                    loaded.error(unit)
                else:
                    seen.add(name)
                    units.append(unit)
    if not units:
        debug("No files parsed from [" + " ".join(dirs) + "]")
        loaded.exit_code = 1 if loader.errors else 0
        return loaded._finish()
    for unit in units:
        loader.load_dropins(unit, dirs)
    loaded.steps.append(("start", "", ""))
    _convert_all(units, user, podman, loaded, tgt)  # what reading said comes first
    if loader.errors and loaded.crash is None:
        loaded.exit_code = 1
    return loaded._finish()


def convert_units(
    units: Iterable[UnitFile],
    *,
    user: bool = False,
    podman_version: str | None = None,
    env: Mapping[str, str] | None = None,
    podman: str | None = None,
) -> GenerateResult:
    """The generator in memory: quadlet units in; services, symlinks and findings out.

    ``units``: the quadlet files as the generator has read them, in its reading
    order (directory by directory, each in name order), drop-ins merged in.
    :func:`~hostform.quadlet.unitfile.parse_text` ``(text, name, path)`` makes
    one from a file's name and text; ``path`` is what ``SourcePath=`` and the
    findings name, and what relative paths in the unit resolve against. A unit
    whose type the target release does not convert is reported (HF050) and left
    out, as the generator's reading leaves such files out.

    ``user``: the user generator (``quadlet -user``); ``podman_version``: as
    for :func:`generate`; ``podman``: the podman binary in the commands
    (default ``$PODMAN`` from ``env``, None meaning this process's environment,
    else /usr/bin/podman). :func:`generate` calls this once it has read the
    files; so do hostform's checks, on units they have parsed from a bundle.
    ``exit_code`` is 1 when a unit failed to convert.
    """
    tgt = target(podman_version)
    if podman is None:
        podman = (os.environ if env is None else env).get("PODMAN") or "/usr/bin/podman"
    result = GenerateResult(not tgt.has("errors-logged-as-they-occur"))
    _convert_all(units, user, podman, result, tgt)
    return result._finish()


def _convert_all(units: Iterable[UnitFile], user: bool, podman: str, result: GenerateResult, tgt: Target) -> None:
    todo = [_as_read_by(u, tgt) for u in units if file_ext(u.filename) not in tables.UNIT_TYPES or _known_type(result.report, tgt, u.path or u.filename)]
    # podman orders them with Go's sort.Slice, which is not stable: a set of more than 12 units
    # converts in the order that algorithm leaves them (and a pod's Wants= follow that order)
    sort_slice(todo, lambda a, b: _processing_order(a) < _processing_order(b))
    infos = build_infos(todo, tgt)
    for unit in todo:
        try:
            ok = _convert_one(unit, infos, user, podman, result, tgt)
        except GeneratorCrash as e:
            result.crash = e.message
            result.exit_code = 2
            ln = unit.key_lines(e.group, e.key)
            at = ln[-1] if ln else None
            result.report.error(HF_INVALID, e.explanation, file=(at.file if at else None) or unit.path or unit.filename, line=at.lineno if at else 0)
            return  # the process is gone: nothing after it is converted, nothing held is logged
        if not ok:
            result.exit_code = 1


def _as_read_by(unit: UnitFile, tgt: Target) -> UnitFile:
    """``unit`` as ``tgt``'s parser reads it and its writer writes it (a copy for releases before 5.8)."""
    trim = not tgt.has("lookup-strips-one-quote-pair")
    literal = not tgt.has("space-escaped-x20")
    if trim == unit.trim_quotes and literal == unit.literal_spaces:
        return unit
    copy = unit.dup()
    copy.path = unit.path
    copy.trim_quotes = trim
    copy.literal_spaces = literal
    return copy


def _processing_order(unit: UnitFile) -> int:
    """Units that others name (images, volumes, networks) convert first, pods last; 0 for a file that is no quadlet."""
    info = tables.UNIT_TYPES.get(file_ext(unit.filename))
    return info[3] if info else 0


def _convert_one(unit: UnitFile, infos: dict[str, UnitInfo], user: bool, podman: str, result: GenerateResult, tgt: Target) -> bool:
    """Convert ``unit`` into ``result`` with podman's warnings; False when it failed to convert."""
    rep = result.report
    for key in tables.UNSUPPORTED_SERVICE_KEYS if tgt.has("service-keys-warned") else ():
        if unit.lookup("Service", key) is not None:
            msg = f"Warning: using key {key} in the Service group is not supported - use at your own risk"
            result.say(msg)
            ln = unit.key_lines("Service", key)[-1]
            rep.warn(HF_WARNING, msg, file=ln.file, line=ln.lineno)
    group = unit_group(unit)
    for g in (group, tables.QUADLET_GROUP):
        if not g:
            continue
        for k in unit.list_keys(g):
            if (g, k) in versions.DEPRECATED:
                for ln in unit.key_lines(g, k):  # podman is silent; only hostform's report says it
                    rep.warn(HF_DEPRECATED, f"key '{k}' in [{g}] is deprecated", file=ln.file or unit.path, line=ln.lineno)
    if group in ("Container", "Volume", "Image", "Artifact"):
        image = unit.lookup(group, "Image")
        if image is not None and not image.endswith((".build", ".image")) and not is_unambiguous_name(image):
            msg = (
                f'Warning: {unit.filename} specifies the image "{image}" which not a fully qualified image name. '
                "This is not ideal for performance and security reasons. See the podman-pull manpage discussion "
                "of short-name-aliases.conf for details."
            )
            result.say(msg)
            ln = unit.key_lines(group, "Image")[-1]
            rep.warn(HF_WARNING, msg, file=ln.file, line=ln.lineno)
    try:
        service, warnings = convert(unit, infos, user, podman, tgt)
    except QuadletError as e:
        if e.warnings:
            _log_warnings(result, unit, e.warnings)
        msg = f"converting {go_quote(unit.filename)}: {e.message}"
        result.error(msg)
        _report_error(rep, unit, group, e, tgt)
        return False
    if warnings:
        _log_warnings(result, unit, warnings)
    name = service.filename
    text = service.to_string()
    result.units[name] = text
    result.outputs.append((name, text))
    result.steps.append(("write", name, text))
    result.sources[name] = unit.path
    for link, dest, problem in install_symlinks(service, tgt.has("upheld-by")):
        if dest is None:
            result.steps.append(("link-error", problem, ""))
        else:
            result.symlinks[link] = dest
            result.steps.append(("link", link, dest))
    return True


def _log_warnings(result: GenerateResult, unit: UnitFile, warnings: list[str]) -> None:
    result.say("\n".join(warnings))
    for w in warnings:
        result.report.warn(HF_WARNING, f"{unit.filename}: {w}", file=unit.path or unit.filename)


def _report_error(rep: Report, unit: UnitFile, group: str | None, e: QuadletError, tgt: Target) -> None:
    if e.message.startswith("unsupported key "):
        for g, k in unknown_keys(unit, group, tgt):
            first = versions.since(g, k)
            for ln in unit.key_lines(g, k):
                at = ln.file or unit.path
                if first is None:
                    rep.error(HF_UNKNOWN_KEY, f"unsupported key '{k}' in group '{g}'", file=at, line=ln.lineno)
                else:
                    msg = f"unsupported key '{k}' in [{g}] (podman >= {first}; the target is podman {tgt.version})"
                    rep.error(HF_TOO_NEW, msg, file=at, line=ln.lineno)
        return
    where = e.group or group
    file, line = unit.path or unit.filename, 0
    if e.key and where:
        lines = unit.key_lines(where, e.key)
        if lines:
            file, line = lines[-1].file or file, lines[-1].lineno
    if not line and where:
        line = unit.line_of(where)
    rep.error(HF_INVALID, e.message, file=file, line=line)
