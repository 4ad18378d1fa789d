"""Checks across a whole :class:`~hostform.host.bundle.Bundle`: one function per HF code.

:func:`check_bundle` runs every check in :data:`CHECKS` over a bundle (the
files and units one VM gets) and returns a :class:`Report`.  Nothing is
written; the quadlet generator runs in memory on the parsed units (in a
temporary directory when a scope has drop-ins or subdirectories).

Every finding points at the file the user edits: a quadlet file's line
``n`` becomes ``source:line`` through the bundle file's ``source``/``line``
(a local file, or the block of a Butane file that embeds it, shifted by its
``indent``); files generated from ``hostform.yaml`` (``generated``) point at
the place in the host file they came from.

The checks (see ``docs/checks.md`` and ``hostform explain``):

========  ====================================================================
HF3xx     the quadlet generator itself (unknown keys, broken references ...)
HF050     a quadlet key or unit type newer than the target podman
HF051     ``PodName=`` in a ``.container`` (``Pod=`` was meant)
HF052     ``quadlet-reload.service`` (not needed)
HF053     Caddy's ``/data`` on the root disk
HF054     auto-update of a pod member restarts the whole pod
HF055     ``Restart=always`` without readiness: auto-update never rolls back
HF056     auto-update of an image that is not fully qualified
HF057     auto-update used but ``podman-auto-update.timer`` not enabled
HF058     ``Network=``/``Volume=``/``Pod=``/``Image=`` names a missing quadlet file
HF059     a bind-mount source that nothing creates
HF060     two services publish one host port
HF061     a Caddy site proxies to a service or port that is not declared
HF062     the Ignition config is larger than the provider's ``user_data`` limit
HF411     HTTP/3: 443/tcp published without 443/udp (Caddy)
HF4xx     the Caddyfile's own checks
========  ====================================================================
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from hostform.quadlet.generator import GenerateResult
    from hostform.quadlet.unitfile import Line, UnitFile

from hostform.diagnostics import ERROR, WARNING, Diagnostic, Report
from hostform.host.bundle import Bundle, BundleFile, BundleUnit
from hostform.terraform.limits import USER_DATA_LIMITS

__all__ = [
    "CHECKS",
    "Context",
    "Quadlet",
    "check_bundle",
    "generate_units",
    "quadlet_scope",
]

QUADLET_EXTS = ("container", "volume", "network", "kube", "image", "build", "pod", "artifact")
SYSTEM_DIRS = ("/etc/containers/systemd", "/usr/share/containers/systemd", "/run/containers/systemd")
USERS_DIRS = ("/etc/containers/systemd/users", "/usr/share/containers/systemd/users")
AUTO_UPDATE_LABEL = "io.containers.autoupdate"

PROVIDER_NAMES = {"aws": "AWS", "hetzner": "Hetzner", "digitalocean": "DigitalOcean", "vultr": "Vultr"}


# --- the quadlet files of a bundle ---------------------------------------------------


def quadlet_scope(vm_path: str) -> tuple[str, str, bool] | None:
    """(scope, path relative to the scope's directory, rootless) of a quadlet path, or None.

    Rootful quadlets live under ``/etc/containers/systemd/`` (and the
    ``/usr/share`` and ``/run`` equivalents), rootless ones under
    ``/etc/containers/systemd/users/[UID/]`` or ``~/.config/containers/systemd/``.
    Subdirectories count (the generator searches them), drop-in directories too.
    """
    p = posixpath.normpath(vm_path)
    for d in USERS_DIRS:
        if p.startswith(d + "/"):
            rest = p[len(d) + 1 :]
            head, _, tail = rest.partition("/")
            if tail and head.isdigit():
                return (f"user:{head}", tail, True)
            return ("user:*", rest, True)
    for d in SYSTEM_DIRS:
        if p.startswith(d + "/"):
            return ("system", p[len(d) + 1 :], False)
    marker = "/.config/containers/systemd/"
    i = p.find(marker)
    if i > 0:
        return (f"user:{p[:i]}", p[i + len(marker) :], True)
    return None


class Where(TypedDict):
    """Where a finding points: a file the user edits (relative to the project), line and column."""

    file: str
    line: int
    col: int


def _kind(rel: str) -> tuple[str, str | None]:
    """(extension, the unit it is a drop-in of or None) of a file in a quadlet directory."""
    name = posixpath.basename(rel)
    parent = posixpath.basename(posixpath.dirname(rel))
    dropin_of = parent[:-2] if parent.endswith(".d") and name.endswith(".conf") else None
    return (name.rsplit(".", 1)[-1] if "." in name else ""), dropin_of


class Quadlet:
    """One quadlet file (or drop-in) of the bundle, parsed."""

    __slots__ = ("file", "scope", "rel", "user", "name", "ext", "unit", "parsed", "dropin_of")

    def __init__(self, file: BundleFile, scope: str, rel: str, user: bool, unit: UnitFile, parsed: bool) -> None:
        self.file = file
        self.scope = scope
        self.rel = rel
        self.user = user
        self.name = posixpath.basename(rel)
        self.ext, self.dropin_of = _kind(rel)
        self.unit: UnitFile = unit  # empty when the file does not parse (``parsed`` False)
        self.parsed = parsed

    @property
    def is_unit(self) -> bool:
        return self.dropin_of is None and self.ext in QUADLET_EXTS

    @property
    def group(self) -> str:
        return self.ext.capitalize()


class Context:
    """What every check gets: the bundle, the parsed quadlets, the report and helpers."""

    def __init__(self, bundle: Bundle, *, provider: str | None = None, caddy: str = "off") -> None:
        from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION, normalize_version

        self.bundle = bundle
        self.report = Report()
        self.provider = provider
        self.caddy = caddy
        version = bundle.podman_version or DEFAULT_PODMAN_VERSION
        try:
            self.version = normalize_version(version)
        except ValueError:
            self.version = DEFAULT_PODMAN_VERSION
        self.quadlets: list[Quadlet] = []
        self._parse_quadlets()

    # -- loading ---------------------------------------------------------------------
    def _parse_quadlets(self) -> None:
        from hostform.quadlet.unitfile import UnitParseError, parse_text

        for f in self.bundle.files:
            where = quadlet_scope(f.vm_path)
            if where is None:
                continue
            scope, rel, user = where
            name = posixpath.basename(rel)
            ext, dropin_of = _kind(rel)
            if dropin_of is None and ext not in QUADLET_EXTS:
                continue  # neither a quadlet nor a drop-in of one
            try:
                unit, parsed = parse_text(f.text, name, f.vm_path), True
            except UnitParseError:
                unit, parsed = parse_text("", name, f.vm_path), False  # the generator reports it (HF300)
            self.quadlets.append(Quadlet(f, scope, rel, user, unit, parsed))

    def units(self, ext: str | None = None) -> list[Quadlet]:
        return [q for q in self.quadlets if q.is_unit and q.parsed and (ext is None or q.ext == ext)]

    def find(self, scope: str, name: str) -> Quadlet | None:
        for q in self.quadlets:
            if q.is_unit and q.name == name and (q.scope == scope or (q.scope == "user:*" and scope.startswith("user:"))):
                return q
        return None

    # -- positions -------------------------------------------------------------------
    def where(self, f: BundleFile, line: int = 0, col: int = 1) -> Where:
        """file/line/col of line ``line`` (1-based) of bundle file ``f`` in its source."""
        if f.generated and 0 < line <= len(f.line_map):
            at_line, at_col = f.line_map[line - 1]
            return {"file": f.source or f.vm_path, "line": at_line, "col": at_col}
        if f.generated or not line:
            return {"file": f.source or f.vm_path, "line": f.line if f.generated or not line else 0, "col": f.col if f.generated else 0}
        return {"file": f.source or f.vm_path, "line": f.line + line - 1, "col": f.indent + col}

    def at_key(self, q: Quadlet, group: str, key: str, last: bool = True) -> Where:
        lines = q.unit.key_lines(group, key) if q.parsed else []
        if not lines:
            ln = q.unit.line_of(group) if q.parsed and q.unit.has_group(group) else 1
            return self.where(q.file, ln or 1)
        return self.where(q.file, (lines[-1] if last else lines[0]).lineno)

    def at_unit(self, unit: BundleUnit) -> Where:
        """Where a systemd unit is declared: its ``name:`` in a Butane config, its ``contents_local`` file, or the host file."""
        return {"file": unit.source or unit.name, "line": unit.line, "col": unit.col}

    def warn(self, code: str, message: str, where: Where) -> None:
        self.report.add(Diagnostic(WARNING, code, message, None, where["file"], where["line"], where["col"]))

    def error(self, code: str, message: str, where: Where) -> None:
        self.report.add(Diagnostic(ERROR, code, message, None, where["file"], where["line"], where["col"]))


# --- small helpers on quadlet units --------------------------------------------------


def _lines(q: Quadlet, group: str, key: str) -> list[Line]:
    return [ln for ln in q.unit.key_lines(group, key)] if q.parsed else []


def auto_update_policy(q: Quadlet) -> tuple[str | None, str | None]:
    """(policy, key) of a container: ``AutoUpdate=`` or the ``io.containers.autoupdate`` label."""
    u = q.unit
    if not q.parsed or q.ext not in ("container", "kube"):
        return None, None
    group = q.group
    v = u.lookup(group, "AutoUpdate")
    if v:
        return v.strip(), "AutoUpdate"
    if q.ext == "container":
        labels, _ = u.lookup_all_key_val("Container", "Label")
        if labels.get(AUTO_UPDATE_LABEL):
            return labels[AUTO_UPDATE_LABEL], "Label"
    return None, None


def _label_line(ctx: Context, q: Quadlet) -> Where:
    for ln in _lines(q, "Container", "Label"):
        if AUTO_UPDATE_LABEL in ln.value:
            return ctx.where(q.file, ln.lineno)
    return ctx.at_key(q, "Container", "AutoUpdate")


def _au_where(ctx: Context, q: Quadlet, key: str | None) -> Where:
    return _label_line(ctx, q) if key == "Label" else ctx.at_key(q, q.group, "AutoUpdate")


def is_caddy(q: Quadlet) -> bool:
    if not q.parsed or q.ext != "container":
        return False
    image = (q.unit.lookup("Container", "Image") or "").lower()
    repo = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image.split("@")[0]
    name = (q.unit.lookup("Container", "ContainerName") or q.name).lower()
    return repo.rsplit("/", 1)[-1] == "caddy" or name == "caddy.container" or name == "caddy"


def parse_publish(value: str) -> tuple[str, str, str, str] | None:
    """(host ip, host port, container port, protocol) of a ``PublishPort=`` value."""
    value = value.strip()
    if not value:
        return None
    proto = "tcp"
    if "/" in value:
        value, proto = value.rsplit("/", 1)
    if value.startswith("["):  # [IPv6]:HOST:CONTAINER, [IPv6]::CONTAINER
        end = value.find("]")
        if end < 0 or value[end + 1 : end + 2] != ":":
            return None
        ip, rest = value[1:end], value[end + 2 :].split(":")
        return (ip, rest[0], rest[1], proto.lower()) if len(rest) == 2 else None
    parts = value.split(":")
    if len(parts) == 1:
        return ("", "", parts[0], proto.lower())
    if len(parts) == 2:
        return ("", parts[0], parts[1], proto.lower())
    return (":".join(parts[:-2]), parts[-2], parts[-1], proto.lower())


def pod_of(ctx: Context, q: Quadlet) -> Quadlet | None:
    v = q.unit.lookup("Container", "Pod") if q.parsed and q.ext == "container" else None
    return ctx.find(q.scope, v) if v else None


def published(ctx: Context, q: Quadlet) -> list[tuple[tuple[str, str, str, str], Where]]:
    """The ports a container publishes: its own ``PublishPort=`` and its pod's."""
    out = []
    for holder in (q, pod_of(ctx, q)):
        if holder is None or not holder.parsed:
            continue
        for ln in _lines(holder, holder.group, "PublishPort"):
            p = parse_publish(ln.value)
            if p is not None:
                out.append((p, ctx.where(holder.file, ln.lineno)))
    return out


# --- the checks: one function per code ----------------------------------------------


def check_generator(ctx: Context) -> None:
    """HF300-HF304: run hostform's quadlet generator on each scope; map findings to sources."""
    generated_services(ctx)


def check_version(ctx: Context) -> None:
    """HF050: keys and unit types the target podman's generator does not know yet."""
    from hostform.quadlet.versions import PASSTHROUGH_SECTIONS, UNIT_TYPE_SINCE, since, supported, unit_types

    types = unit_types(ctx.version)
    known: dict[tuple[str, str], bool] = {}  # (group, key) -> known everywhere or supported by the target
    for q in ctx.quadlets:
        if not q.parsed:
            continue
        if q.is_unit and q.ext not in types:
            ctx.error(
                "HF050",
                f"quadlet .{q.ext} files need podman >= {UNIT_TYPE_SINCE[q.ext]}; podman {ctx.version} ignores {q.name}",
                ctx.where(q.file, 1),
            )
            continue
        for group in q.unit.list_groups():
            if group in PASSTHROUGH_SECTIONS or group.startswith("X-") or not group:
                continue
            for key in q.unit.list_keys(group):
                ok = known.get((group, key))
                if ok is None:
                    ok = known[(group, key)] = since(group, key) is None or supported(ctx.version, group, key)
                if ok:
                    continue  # supported, or unknown everywhere (the generator's HF301)
                first = since(group, key)
                for ln in q.unit.key_lines(group, key):
                    ctx.error(
                        "HF050",
                        f"unsupported key '{key}' in [{group}] (podman >= {first}; the target is podman {ctx.version})",
                        ctx.where(q.file, ln.lineno),
                    )


def check_pod_name(ctx: Context) -> None:
    """HF051: ``PodName=`` in a .container, where ``Pod=NAME.pod`` is needed."""
    for q in ctx.units("container"):
        for ln in _lines(q, "Container", "PodName"):
            pods = [p.name for p in ctx.units("pod") if p.scope == q.scope]
            hint = f"Pod={pods[0]}" if len(pods) == 1 else "Pod=NAME.pod"
            ctx.error(
                "HF051",
                f"PodName= is a [Pod] key; a .container joins a pod with {hint} (the generator refuses {q.name})",
                ctx.where(q.file, ln.lineno),
            )


def check_quadlet_reload(ctx: Context) -> None:
    """HF052: a unit that runs ``systemctl daemon-reload`` to pick up quadlets."""
    for u in ctx.bundle.units:
        text = u.text or ""
        reloads = "daemon-reload" in text and "systemctl" in text
        if u.name == "quadlet-reload.service" or (reloads and "ExecStart" in text):
            ctx.warn(
                "HF052",
                f"{u.name} is not needed: Ignition writes the quadlet files before systemd runs its generators, "
                "so the first boot already has their services",
                ctx.at_unit(u),
            )


def _persistent_mounts(ctx: Context) -> list[str]:
    """Mount points of filesystems that outlive a replacement of the root disk."""
    out: list[str] = []
    ign = ctx.bundle.ignition or {}
    for fs in (ign.get("storage") or {}).get("filesystems") or []:
        path = fs.get("path")
        dev = str(fs.get("device") or "")
        if not path or fs.get("wipeFilesystem"):
            continue
        if "by-partlabel/" in dev or "by-label/root" in dev:
            continue  # a partition of the boot disk dies with it
        out.append(posixpath.normpath(path))
    from hostform.quadlet.unitfile import UnitParseError, parse_text

    for u in ctx.bundle.units:
        if u.name.endswith(".mount") and u.text:
            try:
                where = parse_text(u.text, u.name).lookup("Mount", "Where")
            except UnitParseError:
                continue
            if where:
                out.append(posixpath.normpath(where))
    host = ctx.bundle.host
    if host is not None and host.state.volume:
        out.append(posixpath.normpath(host.state.path))
    return out


def _under(path: str, mounts: list[str]) -> bool:
    path = posixpath.normpath(path)
    for m in mounts:
        if path == m or path.startswith(m.rstrip("/") + "/"):
            return True
    return False


def _volume_host_path(ctx: Context, q: Quadlet, source: str) -> str:
    """Where on the host a ``Volume=`` source lives."""
    if source.startswith("/"):
        return source
    storage = "/var/lib/containers/storage/volumes" if not q.user else "/home/*/.local/share/containers/storage/volumes"
    if source.endswith(".volume"):
        vq = ctx.find(q.scope, source)
        if vq is not None and vq.parsed:
            dev: str | None = vq.unit.lookup("Volume", "Device")
            if dev and dev.startswith("/"):
                return dev
            name = vq.unit.lookup("Volume", "VolumeName") or "systemd-" + source[: -len(".volume")]
            return f"{storage}/{name}"
    return f"{storage}/{source}"


def check_caddy_data(ctx: Context) -> None:
    """HF053: Caddy's /data (certificates, ACME account) not on a persistent volume."""
    mounts = _persistent_mounts(ctx)
    for q in ctx.units("container"):
        if not is_caddy(q):
            continue
        found = None
        for ln in _lines(q, "Container", "Volume"):
            parts = ln.value.split(":")
            if len(parts) >= 2 and posixpath.normpath(parts[1]) == "/data":
                found = (parts[0], ln)
        if found is None:
            ctx.warn(
                "HF053",
                f"Caddy's /data (its certificates and ACME account) is not a volume in {q.name}: "
                "every new container starts without certificates; mount a directory of the state volume on /data",
                ctx.at_key(q, "Container", "Image"),
            )
            continue
        source, ln = found
        host_path = _volume_host_path(ctx, q, source)
        if not _under(host_path, mounts):
            ctx.warn(
                "HF053",
                f"Caddy's /data is {source!r}, stored at {host_path} on the root disk: its certificates are lost "
                "with every replacement of the VM (and Let's Encrypt rate-limits reissuing); put it on the state volume",
                ctx.where(q.file, ln.lineno),
            )


def _from_host_file(ctx: Context, q: Quadlet) -> bool:
    """Was ``q`` generated from hostform.yaml?  Then the renderer already said it at the host-file line.

    The renderer's HF016 (pod) and HF017 (restart: always without a health
    check) sit on the line the user edits; the artifact-level HF054/HF055 would
    say the same again.  Quadlets the user wrote (``quadlets:``, plain Butane)
    are still checked.
    """
    return ctx.bundle.host is not None and q.file.generated and q.file.source == "hostform.yaml"


def check_pod_auto_update(ctx: Context) -> None:
    """HF054: auto-updating a pod member restarts every container of the pod."""
    for q in ctx.units("container"):
        if _from_host_file(ctx, q):
            continue  # HF016
        policy, key = auto_update_policy(q)
        pod = pod_of(ctx, q)
        if not policy or pod is None:
            continue
        others = [
            (m.unit.lookup("Container", "ContainerName") or m.name.rsplit(".", 1)[0])
            for m in ctx.units("container")
            if m is not q and pod_of(ctx, m) is pod
        ]
        if not others:
            continue
        ctx.warn(
            "HF054",
            f"auto-update of {q.name} restarts the whole pod {pod.name}, and with it {', '.join(others)}; "
            "give each service its own container on a shared network instead of a pod",
            _au_where(ctx, q, key),
        )


def _has_readiness(q: Quadlet) -> bool:
    u = q.unit
    notify = (u.lookup("Container", "Notify") or "").lower()
    health = u.lookup("Container", "HealthCmd")
    return (notify == "healthy" and bool(health)) or notify in ("true", "yes", "1", "on")


def check_readiness(ctx: Context) -> None:
    """HF055: auto-updated container with Restart=always and no readiness: rollback never fires."""
    for q in ctx.units("container"):
        if _from_host_file(ctx, q):
            continue  # HF017
        policy, key = auto_update_policy(q)
        if not policy or _has_readiness(q):
            continue
        restart = (q.unit.lookup("Service", "Restart") or "").strip()
        notify = (q.unit.lookup("Container", "Notify") or "").lower()
        if notify == "healthy":
            ctx.warn(
                "HF055",
                f"Notify=healthy without HealthCmd= in {q.name}: the container never becomes healthy; add a HealthCmd=",
                ctx.at_key(q, "Container", "Notify"),
            )
            continue
        if restart != "always":
            continue
        ctx.warn(
            "HF055",
            f"Restart=always without a readiness signal in {q.name}: the unit counts as started as soon as the "
            "container runs, so podman auto-update never rolls back a broken image; add HealthCmd=, Notify=healthy and "
            "HealthOnFailure=kill",
            ctx.at_key(q, "Service", "Restart"),
        )


def _fully_qualified(image: str) -> bool:
    """Does the reference start with a registry (a domain with a dot or port, or localhost)?"""
    first, sep, _ = image.partition("/")
    return bool(sep) and ("." in first or ":" in first or first == "localhost")


def check_auto_update_image(ctx: Context) -> None:
    """HF056: AutoUpdate=registry needs a fully qualified image reference."""
    for q in ctx.units("container"):
        policy, key = auto_update_policy(q)
        if policy != "registry":
            continue
        image = q.unit.lookup("Container", "Image") or ""
        if not image or image.endswith((".image", ".build")):
            if image.endswith(".image"):
                iq = ctx.find(q.scope, image)
                ref = iq.unit.lookup("Image", "Image") if iq is not None and iq.parsed else None
                if iq is not None and ref and not _fully_qualified(ref):
                    ctx.error(
                        "HF056",
                        f"{image} pulls {ref!r}, which is not fully qualified: podman auto-update refuses "
                        "registry updates for it; write registry/namespace/name:tag (docker.io/library/...)",
                        ctx.at_key(iq, "Image", "Image"),
                    )
            continue
        if not _fully_qualified(image):
            ctx.error(
                "HF056",
                f"AutoUpdate=registry needs a fully qualified image, not {image!r}: podman auto-update refuses it; "
                "write registry/namespace/name:tag (docker.io/library/...)",
                ctx.at_key(q, "Container", "Image"),
            )


def check_auto_update_timer(ctx: Context) -> None:
    """HF057: AutoUpdate used, but nothing enables podman-auto-update.timer."""
    users = [(q, k) for q in ctx.units() for (p, k) in [auto_update_policy(q)] if p]
    if not users:
        return
    timer = None
    for u in ctx.bundle.units:
        if u.name == "podman-auto-update.timer":
            timer = u
    if timer is not None and timer.enabled:
        return
    for f in ctx.bundle.files:
        if f.vm_path.endswith(".wants/podman-auto-update.timer"):
            return
    q, key = users[0]
    where = ctx.at_unit(timer) if timer is not None else _au_where(ctx, q, key)
    ctx.warn(
        "HF057",
        f"{q.name} asks for auto-updates but podman-auto-update.timer is not enabled, so no update ever runs; "
        "add systemd unit podman-auto-update.timer with enabled: true",
        where,
    )


_REF_KEYS = (
    ("Container", "Network", ".network"),
    ("Container", "Volume", ".volume"),
    ("Container", "Mount", ".volume"),
    ("Container", "Pod", ".pod"),
    ("Container", "Image", ".image"),
    ("Container", "Image", ".build"),
    ("Pod", "Network", ".network"),
    ("Pod", "Volume", ".volume"),
    ("Kube", "Network", ".network"),
    ("Volume", "Image", ".image"),
    ("Build", "Network", ".network"),
    ("Build", "Volume", ".volume"),
)


def _referenced(key: str, value: str, ext: str) -> str | None:
    if key == "Network":
        name = value.split(":", 1)[0]
    elif key == "Volume":
        name = value.split(":", 1)[0] if ":" in value else ""
    elif key == "Mount":
        name = ""
        for part in value.split(","):
            k, _, v = part.partition("=")
            if k in ("source", "src"):
                name = v
    else:
        name = value.strip()
    return name if name.endswith(ext) and len(name) > len(ext) else None


def check_references(ctx: Context) -> None:
    """HF058: a quadlet reference (``x.network``, ``x.volume``, ``x.pod``, ``x.image``) names no file."""
    for q in ctx.units():
        for group, key, ext in _REF_KEYS:
            if q.group != group:
                continue
            for ln in _lines(q, group, key):
                name = _referenced(key, ln.value, ext)
                if name is None or ctx.find(q.scope, name) is not None:
                    continue
                dirs = "~/.config/containers/systemd/" if q.user else "/etc/containers/systemd/"
                ctx.error(
                    "HF058",
                    f"{key}={ln.value} names {name}, but the config writes no {name} under {dirs}: "
                    f"the generator skips {q.name}",
                    ctx.where(q.file, ln.lineno),
                )


# Paths the OS has. /var/log/journal: Fedora CoreOS keeps the journal there (persistent); /etc/machine-id:
# systemd writes it at the first boot. The collector of `observability` reads both.
_OS_PATHS = ("/etc/localtime", "/etc/hosts", "/etc/resolv.conf", "/etc/pki", "/etc/ssl", "/etc/machine-id", "/run", "/var/run",
             "/dev", "/sys", "/proc", "/usr", "/tmp", "/var/tmp", "/var/log/journal")


def _tmpfiles_dirs(ctx: Context) -> list[str]:
    """Directories that tmpfiles.d files of the config create (``d``/``D``/``v``/``q``/``Q`` lines)."""
    out: list[str] = []
    for f in ctx.bundle.files:
        if not (f.vm_path.startswith(("/etc/tmpfiles.d/", "/usr/lib/tmpfiles.d/")) and f.vm_path.endswith(".conf")):
            continue
        for line in (f.text or "").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].rstrip("!-+=~^") in ("d", "D", "v", "q", "Q") and parts[1].startswith("/"):
                out.append(parts[1])
    return out


def check_bind_sources(ctx: Context) -> None:
    """HF059: ``Volume=/host/path:...`` where nothing in the config creates /host/path."""
    ign = ctx.bundle.ignition or {}
    storage = ign.get("storage") or {}
    made = [f.vm_path for f in ctx.bundle.files]
    made += [d.get("path", "") for d in storage.get("directories") or []]
    made += [lk.get("path", "") for lk in storage.get("links") or []]
    made += _persistent_mounts(ctx)
    made += _tmpfiles_dirs(ctx)
    # every created path and its parents: a source is fine when it is one of them
    made_or_parent: set[str] = set()
    for m in made:
        m = posixpath.normpath(m) if m else ""
        while m and m not in made_or_parent:
            made_or_parent.add(m)
            m = posixpath.dirname(m)
    for q in ctx.units():
        if q.group not in ("Container", "Pod"):
            continue
        for ln in _lines(q, q.group, "Volume"):
            src = ln.value.split(":", 1)[0]
            if not src.startswith("/") or "%" in src:
                continue
            src = posixpath.normpath(src)
            if _under(src, list(_OS_PATHS)) or src in made_or_parent:
                continue
            ctx.warn(
                "HF059",
                f"nothing in the config creates {src}, so the container fails to start "
                "(\"no such file or directory\"); add it to storage.files or storage.directories (or a tmpfiles.d file)",
                ctx.where(q.file, ln.lineno),
            )


def check_port_conflicts(ctx: Context) -> None:
    """HF060: two services publish the same host port (the second one cannot start)."""
    seen: dict[tuple[str, str, str], tuple[Quadlet, Where]] = {}
    for q in ctx.units():
        if q.group not in ("Container", "Pod", "Kube"):
            continue
        for ln in _lines(q, q.group, "PublishPort"):
            p = parse_publish(ln.value)
            if p is None or not p[1]:
                continue
            ip, host, _, proto = p
            key = (ip, host, proto)  # host ports are shared by every scope
            w = ctx.where(q.file, ln.lineno)
            if key in seen and seen[key][0] is not q:
                other = seen[key][0]
                ctx.error(
                    "HF060",
                    f"host port {host}/{proto} is already published by {other.name}; {q.name} cannot bind it",
                    w,
                )
            else:
                seen.setdefault(key, (q, w))


def _caddyfiles(ctx: Context) -> list[tuple[BundleFile, Quadlet | None]]:
    """Bundle files that Caddy reads as its Caddyfile, with the Caddy container (if found)."""
    out: list[tuple[BundleFile, Quadlet | None]] = []
    seen: set[str] = set()
    for q in ctx.units("container"):
        if not is_caddy(q):
            continue
        for ln in _lines(q, "Container", "Volume"):
            parts = ln.value.split(":")
            if len(parts) >= 2 and parts[1].endswith("Caddyfile"):
                f = ctx.bundle.file(posixpath.normpath(parts[0]))
                if f is not None and f.vm_path not in seen:
                    seen.add(f.vm_path)
                    out.append((f, q))
    for f in ctx.bundle.files:
        if posixpath.basename(f.vm_path) == "Caddyfile" and f.vm_path not in seen:
            seen.add(f.vm_path)
            out.append((f, None))
    return out


def check_caddyfile(ctx: Context) -> None:
    """HF4xx: the Caddyfile's structure and directives (hostform's offline checks; the real Caddy on request)."""
    from hostform.caddy import check_caddyfile as check_one

    for f, _ in _caddyfiles(ctx):
        rep = check_one(f.text, f.source or f.vm_path, real=ctx.caddy)
        for d in rep:
            if f.generated:
                w = ctx.where(f, d.line or 0)
            elif d.line:
                w = ctx.where(f, d.line, d.col or 1)
            else:
                w = ctx.where(f, 0)
            ctx.report.add(Diagnostic(d.severity, d.code, d.message, None, w["file"], w["line"], w["col"] if d.col or f.generated else 0))


def check_otelcol(ctx: Context) -> None:
    """HF420/HF421: the OpenTelemetry Collector's configuration (``observability``), checked by the real
    collector's ``validate`` when one is installed (and the real-tool checks are on: not ``--caddy off``)."""
    from hostform.observability import CONFIG_PATH
    from hostform.observability.validate import OTELCOL_INSTALL_HINT, find_otelcol, validate_config

    f = ctx.bundle.file(CONFIG_PATH)
    if f is None or ctx.caddy == "off":
        return
    w = ctx.where(f, 0)
    otelcol = find_otelcol()
    if otelcol is None:
        ctx.report.add(Diagnostic("info", "HF421", f"the collector's configuration was not checked with the real collector: "
                                  f"{OTELCOL_INSTALL_HINT}", None, w["file"], w["line"], w["col"]))
        return
    for msg in validate_config(f.text, otelcol):
        ctx.report.add(Diagnostic("error", "HF420", f"otelcol validate refused the collector's configuration: {msg}", None,
                                  w["file"], w["line"], w["col"]))


def _proxy_upstreams(text: str) -> list[tuple[str, int, int]]:
    """(upstream, line, col) of every ``reverse_proxy`` argument of a Caddyfile."""
    from hostform.caddy.parse import tokenize

    out = []
    toks = tokenize(text)
    for i, t in enumerate(toks):
        if t.text != "reverse_proxy":
            continue
        j = i + 1
        while j < len(toks) and toks[j].line == t.line and toks[j].text != "{":
            if not toks[j].text.startswith(("/", "*", "@")):
                out.append((toks[j].text, toks[j].line, toks[j].col or 1))
            j += 1
    return out


def check_sites(ctx: Context) -> None:
    """HF061: a site's upstream is not a declared container, or not one of its ports."""
    files = _caddyfiles(ctx)
    if not files:
        return
    containers = ctx.units("container")
    names: dict[str, Quadlet] = {}
    for q in containers:
        names[q.unit.lookup("Container", "ContainerName") or "systemd-" + q.name.rsplit(".", 1)[0]] = q
        for ln in _lines(q, "Container", "NetworkAlias"):
            for alias in ln.value.split():
                names[alias] = q
    for f, caddy in files:
        pod = pod_of(ctx, caddy) if caddy is not None else None
        for up, line, col in _proxy_upstreams(f.text):  # a broken Caddyfile: HF400 says so
            if up.startswith("unix/"):  # a socket of the host: in a directory mounted into Caddy's container
                sock = posixpath.normpath(up[len("unix/"):])
                mounted = [v.value.split(":")[1] for v in (_lines(caddy, "Container", "Volume") if caddy is not None else ())
                           if v.value.count(":") >= 1]
                if not any(sock.startswith(t.rstrip("/") + "/") for t in mounted):
                    ctx.error("HF061", f"{up}: no directory of Caddy's container holds this socket (a Volume= of the host's directory)",
                              ctx.where(f) if f.generated else ctx.where(f, line, col))
                continue
            hostport = up.split("://", 1)[-1]
            if "{" in hostport:
                continue
            host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
            host = host.strip("[]")
            w = ctx.where(f) if f.generated else ctx.where(f, line, col)
            if host in ("127.0.0.1", "localhost", "::1"):
                if pod is None:
                    continue  # HF405 covers loopback outside a pod
                members = [m for m in containers if pod_of(ctx, m) is pod and m is not caddy]
                if port and not any(_listens(m, port) for m in members) and members:
                    ctx.error(
                        "HF061",
                        f"{up}: no container of pod {pod.name} is declared to listen on port {port}",
                        w,
                    )
                continue
            if host not in names:
                ctx.error(
                    "HF061",
                    f"{up}: {host!r} is not the name of a declared container (ContainerName= or NetworkAlias=)",
                    w,
                )
            elif port and not _listens(names[host], port, strict=False):
                ctx.error("HF061", f"{up}: container {host!r} is not declared to listen on port {port}", w)


def _listens(q: Quadlet, port: str, strict: bool = True) -> bool:
    """Does a container declare ``port`` (ExposeHostPort=, PublishPort=, or an env value)?

    Without any declaration at all the answer is ``not strict`` (unknown).
    """
    u = q.unit
    declared = False
    for ln in _lines(q, "Container", "ExposeHostPort"):
        declared = True
        if port in ln.value.replace("/", " ").replace("-", " ").split():
            return True
    for ln in _lines(q, "Container", "PublishPort"):
        declared = True
        p = parse_publish(ln.value)
        if p and p[2] == port:
            return True
    env, _ = u.lookup_all_key_val("Container", "Environment")
    for k, v in env.items():
        if "PORT" in k.upper():
            declared = True
            if v == port:
                return True
    return not declared and not strict


def check_http3(ctx: Context) -> None:
    """HF411: Caddy publishes 443/tcp but not 443/udp (HTTP/3)."""
    for q in ctx.units("container"):
        if not is_caddy(q):
            continue
        ports = published(ctx, q)
        tcp = [w for (p, w) in ports if p[2] == "443" and p[3] == "tcp"]
        udp = [w for (p, w) in ports if p[2] == "443" and p[3] == "udp"]
        if tcp and not udp:
            ctx.warn(
                "HF411",
                "443/tcp is published but 443/udp is not: Caddy advertises HTTP/3, browsers try QUIC and time out; "
                "add PublishPort=443:443/udp",
                tcp[0],
            )


def check_user_data_size(ctx: Context) -> None:
    """HF062: the Ignition config exceeds the provider's ``user_data`` limit.

    The target's own provider is the Terraform renderer's to check (HF502,
    HF503, as it fits the config). With another known provider (``--provider``,
    or one guessed from a plain project's ``*.tf``) the config is fitted as the deploy will (``terraform.limits.fit_user_data``):
    fitting plain or compressed is fine; not fitting is an error, unless the
    target has ``user_data_url``, where the VM gets a pointer config instead
    (a warning: build/main.ign must be uploaded there).  Without a provider,
    a warning names the providers whose limit the config exceeds.  Findings
    sit on the host file's ``target:`` line, else on line 1 of the host file
    or main.bu."""
    text = ctx.bundle.ignition_text
    if text is None:
        return
    size = len(text.encode("utf-8", "surrogateescape"))
    target = ctx.bundle.target
    if ctx.bundle.target_where is not None:
        file, line, col = ctx.bundle.target_where
        where: Where = {"file": file, "line": line, "col": col}
    else:
        where = {"file": "hostform.yaml" if ctx.bundle.host is not None else ctx.bundle.main, "line": 1, "col": 1}
    provider = (ctx.provider or (target.provider if target is not None else "") or "").lower()
    if target is not None and provider == target.provider:
        return  # the Terraform renderer fits the config to this target and says how (HF502, HF503)
    if provider in USER_DATA_LIMITS:
        limit = USER_DATA_LIMITS[provider]
        if limit is None or size <= limit:
            return
        from hostform.terraform.limits import fit_user_data

        url = (target.user_data_url if target is not None else "") or ""
        how = fit_user_data(text, provider, url).how
        name = PROVIDER_NAMES.get(provider, provider)
        if how == "replace":
            ctx.warn(
                "HF062",
                f"the Ignition config is {size} bytes, over {name}'s {limit}-byte user_data limit even compressed: "
                f"the VM gets a small config that fetches it from {url}; upload build/main.ign there before applying",
                where,
            )
        elif how == "too-large":
            ctx.error("HF062", f"the Ignition config is {size} bytes; {name} accepts at most {limit} bytes of user_data, even with its files compressed", where)
        return
    over = [f"{PROVIDER_NAMES.get(p, p)} ({lim // 1024} KiB)" for p, lim in USER_DATA_LIMITS.items() if lim is not None and size > lim]
    if over:
        ctx.warn("HF062", f"the Ignition config is {size} bytes, more than the user_data limit of {', '.join(over)}", where)


Check = Callable[[Context], None]

# code(s) -> check; the order is the order of the findings.
CHECKS: list[tuple[str, Check]] = [
    ("HF300-HF304", check_generator),
    ("HF050", check_version),
    ("HF051", check_pod_name),
    ("HF058", check_references),
    ("HF060", check_port_conflicts),
    ("HF059", check_bind_sources),
    ("HF052", check_quadlet_reload),
    ("HF053", check_caddy_data),
    ("HF054", check_pod_auto_update),
    ("HF055", check_readiness),
    ("HF056", check_auto_update_image),
    ("HF057", check_auto_update_timer),
    ("HF411", check_http3),
    ("HF400-HF411", check_caddyfile),
    ("HF420-HF421", check_otelcol),
    ("HF061", check_sites),
    ("HF062", check_user_data_size),
]


def _dedupe(report: Report) -> Report:
    """Drop generator findings that a more precise hostform check states on the same line."""
    precise = {(d.file, d.line) for d in report if d.code in ("HF051", "HF058")}
    out = Report()
    seen: set[Diagnostic] = set()
    for d in report:
        if d.code in ("HF301", "HF302") and (d.file, d.line) in precise:
            continue
        if d in seen:
            continue
        seen.add(d)
        out.add(d)
    return out


def check_bundle(bundle: Bundle, *, provider: str | None = None, caddy: str = "off") -> Report:
    """Every check of :data:`CHECKS` over ``bundle`` (not ``bundle.report``: the caller merges it).

    ``provider`` (aws, hetzner, digitalocean, vultr) selects the user_data
    limit (default: the host file's provider); ``caddy`` is passed to
    :func:`hostform.caddy.check_caddyfile` (``off``, ``auto``, ``require``).
    """
    ctx = Context(bundle, provider=provider, caddy=caddy)
    for _, check in CHECKS:
        check(ctx)
    return _dedupe(ctx.report)


# --- the generator over a bundle -----------------------------------------------------


def _run_generator(ctx: Context, *, in_memory: bool = True) -> list[tuple[str, GenerateResult, dict[str, Quadlet], str]]:
    """Run the quadlet generator once per scope: (scope, GenerateResult, path -> Quadlet, root).

    The simple case (every file of the scope parsed, at the top of its
    directory, no drop-ins) runs in memory on the units :class:`Context`
    already parsed, named by their VM paths; anything else is written to a
    temporary directory and read by the generator as on the VM.  Both give
    the same findings and services (``tests/host/test_checks.py``).
    """
    import tempfile

    from hostform.quadlet.generator import generate

    scopes: dict[str, list[Quadlet]] = {}
    for q in ctx.quadlets:
        scopes.setdefault(q.scope, []).append(q)
    shared = scopes.get("user:*", [])
    out = []
    for scope, qs in scopes.items():
        if scope == "user:*" and len(scopes) > 1 and any(s.startswith("user:") and s != "user:*" for s in scopes):
            continue  # checked with each user's own files
        members = qs + ([q for q in shared if q not in qs] if scope.startswith("user:") else [])
        user = scope.startswith("user:")
        fast = _generate_in_memory(ctx, members, user) if in_memory else None
        if fast is not None:
            out.append((scope, fast, {q.file.vm_path: q for q in members}, _vm_root(members[0])))
            continue
        with tempfile.TemporaryDirectory(prefix="hostform-quadlet-") as tmp:
            paths: dict[str, Quadlet] = {}
            for q in members:
                dest = os.path.join(tmp, *q.rel.split("/"))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "w", encoding="utf-8", errors="surrogateescape") as fh:
                    fh.write(q.file.text)
                paths[dest] = q
            result = generate(None, user, env={"QUADLET_UNIT_DIRS": tmp}, podman_version=ctx.version)
            out.append((scope, result, paths, tmp))
    return out


def _generate_in_memory(ctx: Context, members: list[Quadlet], user: bool) -> GenerateResult | None:
    """:func:`hostform.quadlet.generator.convert_units` over the parsed units, or None when the generator must read files.

    It can when the scope is one directory of top-level files, all parsed,
    without drop-ins: the units go in name order (as ``generate`` reads a
    directory) with no environment (no ``$PODMAN``), as the run over files has.
    """
    if not members or any(not q.parsed or q.dropin_of is not None or "/" in q.rel for q in members):
        return None
    roots = {_vm_root(q) for q in members}
    names = [q.name for q in members]
    if len(roots) != 1 or len(set(names)) != len(names):
        return None
    from hostform.quadlet.generator import convert_units

    units = [q.unit for q in sorted(members, key=lambda q: q.name)]
    return convert_units(units, user=user, podman_version=ctx.version, env={})


def _vm_root(q: Quadlet) -> str:
    """The VM directory a quadlet's scope is rooted at (its path without ``rel``)."""
    p = posixpath.normpath(q.file.vm_path)
    return p[: len(p) - len(q.rel)].rstrip("/") or "/"


def _vm_text(text: str, tmp: str, paths: dict[str, Quadlet]) -> str:
    """Temporary paths in generator output -> the paths on the VM."""
    for path, q in paths.items():
        text = text.replace(path, q.file.vm_path)
    if paths:
        text = text.replace(tmp, _vm_root(next(iter(paths.values()))))
    return text


def generate_units(bundle: Bundle) -> list[tuple[str, str, str, Quadlet | None]]:
    """The services the VM's generator writes: (scope, service file name, text, source Quadlet or None)."""
    return generated_services(Context(bundle))


def generated_services(ctx: Context) -> list[tuple[str, str, str, Quadlet | None]]:
    """One run of the generator over each scope: the services it writes (scope, service file name,
    text, source Quadlet or None), and its findings added to ``ctx.report``, mapped to sources."""
    units = []
    for scope, result, paths, tmp in _run_generator(ctx):
        by_name = {posixpath.basename(p): q for p, q in paths.items()}
        for name, text in result.outputs:
            src = result.sources.get(name, "")
            units.append((scope, name, _vm_text(text, tmp, paths), paths.get(src) or by_name.get(posixpath.basename(src))))
        for d in result.report:
            q = paths.get(d.file or "")
            if q is None:
                ctx.report.add(d.located(d.file, d.line, d.col))
                continue
            w = ctx.where(q.file, d.line)
            ctx.report.add(Diagnostic(d.severity, d.code, _vm_text(d.message, tmp, paths), None, w["file"], w["line"], w["col"]))
    return units
