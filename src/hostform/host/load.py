"""Host file text -> :class:`~hostform.host.model.Host`, with located errors.

Two passes, as Butane does:

1. *shape*: walk the YAML tree with the schema table (:mod:`.schema`):
   types, unknown keys, required keys, enums, patterns and ranges. The result
   is plain data plus ``positions``, a map from a data path
   (``("services", "live", "port")``) to the ``(line, col)`` of its value.
2. *meaning*: build the model and check what spans keys (a site naming a
   service that does not exist, a secret written in clear, ...). These
   checks report paths; positions are attached from ``positions`` at the end.

Nothing here raises on bad input: every problem becomes a diagnostic in the
returned report (``HF001``: YAML syntax, ``HF002``: type, ``HF003``: unknown
key, ``HF01x``: host-file rules; see ``hostform explain``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hostform.diagnostics import Diagnostic, Report
from hostform.host import model as m
from hostform.host.schema import HOST, Key

__all__ = ["Loaded", "load_text", "load_file", "qualified_image", "NOTIFY_HEALTHY_SINCE"]

_BAD = object()

# `Notify=healthy` (podman run --sdnotify=healthy) reached quadlet in podman 5.0
# (the `Notify` key itself exists since 4.4 with true/false only).
NOTIFY_HEALTHY_SINCE = "5.0"

# Names the renderer takes for itself.
RESERVED_NAMES = ("caddy",)


@dataclass
class Loaded:
    host: m.Host | None
    report: Report
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    file: str = "hostform.yaml"
    key_positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)  # path -> its key's position

    def where(self, path: tuple) -> tuple[int, int]:
        """The position of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (1, 1))


class _Walker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.report = Report()
        self.positions: dict[tuple, tuple[int, int]] = {}
        self.key_positions: dict[tuple, tuple[int, int]] = {}

    def err(self, code: str, msg: str, node: Any, path: tuple, severity: str = "error") -> None:
        line = getattr(node, "line", 1) or 1
        col = getattr(node, "column", 1) or 1
        self.report.add(Diagnostic(severity, code, msg, path, self.file, line, col))

    def where(self, path: tuple) -> str:
        return ".".join(str(p) for p in path) or "the host file"

    # -- scalars
    def scalar_text(self, node: Any, key: Key, path: tuple, allow_bool: bool) -> Any:
        if node.kind != "scalar":
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found a {node.kind}", node, path)
            return _BAD
        if node.tag == "!!bool" and not allow_bool:
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found the boolean {node.value} (quote it)", node, path)
            return _BAD
        if node.tag not in ("!!str", "!!int", "!!float", "!!bool"):
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found {node.tag}", node, path)
            return _BAD
        return node.value

    @staticmethod
    def _expect(key: Key) -> str:
        return {
            "str": "a string",
            "int": "an integer",
            "bool": "true or false",
            "num": "a number",
            "scalar": "a string",
            "strmap": "a mapping of names to values",
            "strlist": "a list of strings",
            "command": "a command (a string or a list of strings)",
            "obj": "a mapping",
            "objmap": "a mapping of names",
            "objlist": "a list",
        }.get(key.kind, key.kind)

    def value(self, node: Any, key: Key, path: tuple) -> Any:
        if node is None or (node.kind == "scalar" and node.tag == "!!null"):
            return None
        self.positions[path] = (node.line, node.column)
        k = key.kind
        if k == "str":
            v = self.scalar_text(node, key, path, False)
            if v is _BAD:
                return v
            if key.enum and v not in key.enum:
                self.err("HF011", f"{self.where(path)}: {v!r} is not one of {', '.join(key.enum)}", node, path)
                return _BAD
            if key.pattern and not re.search(key.pattern, v):
                self.err("HF011", f"{self.where(path)}: {v!r} is not valid ({key.doc.split('.')[0].lower()})", node, path)
                return _BAD
            return v
        if k == "scalar":
            return self.scalar_text(node, key, path, True)
        if k == "num":
            v = self.scalar_text(node, key, path, False)
            if v is _BAD:
                return v
            try:
                if float(v) <= 0:
                    raise ValueError
            except ValueError:
                self.err("HF011", f"{self.where(path)}: {v!r} is not a positive number", node, path)
                return _BAD
            return v
        if k == "int":
            if node.kind != "scalar" or node.tag != "!!int":
                self.err("HF002", f"{self.where(path)}: expected an integer, found {_found(node)}", node, path)
                return _BAD
            from hostform import yamlpos

            try:
                iv = yamlpos.decode_scalar(node, "int64")
            except yamlpos.YAMLError:
                iv = None
            if not isinstance(iv, int):
                self.err("HF002", f"{self.where(path)}: {node.value!r} is not an integer", node, path)
                return _BAD
            if (key.minimum is not None and iv < key.minimum) or (key.maximum is not None and iv > key.maximum):
                self.err("HF011", f"{self.where(path)}: {iv} is not in {key.minimum}-{key.maximum if key.maximum is not None else '...'}", node, path)
                return _BAD
            return iv
        if k == "bool":
            if node.kind != "scalar" or node.tag != "!!bool":
                self.err("HF002", f"{self.where(path)}: expected true or false, found {_found(node)}", node, path)
                return _BAD
            return node.value.lower() == "true"
        if k in ("strlist", "command"):
            if node.kind == "scalar":
                v = self.scalar_text(node, key, path, False)
                if v is _BAD:
                    return v
                return v.split() if k == "command" else [v]
            if node.kind != "sequence":
                self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found a {node.kind}", node, path)
                return _BAD
            out = []
            for i, item in enumerate(node.items):
                v = self.value(item, Key(key.name, "str", key.doc), path + (i,))
                if v is None:
                    self.err("HF002", f"{self.where(path + (i,))}: empty list item", item, path + (i,))
                    v = _BAD
                out.append(v)
            return _BAD if _BAD in out else out
        if k == "strmap":
            pairs = self.mapping(node, key, path)
            if pairs is _BAD:
                return _BAD
            out2: dict[str, Any] = {}
            for name, _kn, vn in pairs:
                v = self.value(vn, Key(name, "scalar", key.doc), path + (name,))
                if v is None:
                    v = ""
                out2[name] = v
            return _BAD if _BAD in out2.values() else out2
        if k in ("obj", "objmap", "objlist"):
            if k == "objmap":
                pairs = self.mapping(node, key, path)
                if pairs is _BAD:
                    return _BAD
                out3: dict[str, Any] = {}
                for name, _kn, vn in pairs:
                    out3[name] = self.obj(vn, key, path + (name,))
                return out3
            if k == "objlist":
                if node.kind != "sequence":
                    self.err("HF002", f"{self.where(path)}: expected a list, found a {node.kind}", node, path)
                    return _BAD
                return [self.obj(item, key, path + (i,)) for i, item in enumerate(node.items)]
            return self.obj(node, key, path)
        raise AssertionError(k)  # pragma: no cover

    def mapping(self, node: Any, key: Key, path: tuple) -> Any:
        if node.kind != "mapping":
            self.err("HF002", f"{self.where(path)}: expected {self._expect(key)}, found {_found(node)}", node, path)
            return _BAD
        seen: set[str] = set()
        out = []
        for kn, vn in node.items:
            if kn.kind != "scalar" or kn.tag == "!!null" or kn.value == "<<":
                self.err("HF002", f"{self.where(path)}: keys must be plain names", kn, path)
                continue
            name = kn.value
            if name in seen:
                self.err("HF011", f"{self.where(path)}: key {name!r} is given twice", kn, path + (name,))
                continue
            seen.add(name)
            self.key_positions[path + (name,)] = (kn.line, kn.column)
            out.append((name, kn, vn))
        return out

    def obj(self, node: Any, key: Key, path: tuple) -> Any:
        if node is None or (node.kind == "scalar" and node.tag == "!!null"):
            if any(f.required for f in key.fields):
                req = next(f.name for f in key.fields if f.required)
                self.err("HF010", f"{self.where(path)}: missing required key {req!r}", node, path)
                return _BAD
            return {}
        self.positions[path] = (node.line, node.column)
        if node.kind == "scalar" and key.short:
            f = key.field(key.short)
            assert f is not None
            v = self.value(node, f, path + (key.short,))
            return _BAD if v is _BAD else {key.short: v}
        pairs = self.mapping(node, key, path)
        if pairs is _BAD:
            return _BAD
        out: dict[str, Any] = {}
        bad = False
        for name, kn, vn in pairs:
            f = key.field(name)
            if f is None:
                hint = _close(name, [x.name for x in key.fields])
                self.err("HF003", f"{self.where(path)}: unknown key {name!r}" + (f" (did you mean {hint!r}?)" if hint else ""), kn, path + (name,), "warning")
                continue
            if vn is not None:
                self.positions.setdefault(path + (name,), (vn.line, vn.column))
            v = self.value(vn, f, path + (name,))
            if v is _BAD or (isinstance(v, dict) and _BAD in v.values()) or (isinstance(v, list) and _BAD in v):
                bad = True
                continue
            if v is not None:
                out[name] = v
        for f in key.fields:
            if f.required and f.name not in out and not bad:
                self.err("HF010", f"{self.where(path)}: missing required key {f.name!r}", node, path)
                bad = True
        return _BAD if bad else out


def _found(node: Any) -> str:
    if node.kind == "scalar":
        return f"{node.value!r}"
    return f"a {node.kind}"


def _close(word: str, choices: list[str]) -> str | None:
    import difflib

    got = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return got[0] if got else None


_QUALIFIED = re.compile(r"^[a-z0-9.-]+(\:[0-9]+)?/[a-z0-9._/-]+(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$")


def qualified_image(image: str) -> bool:
    """True for ``registry.host[:port]/path[:tag][@digest]`` (the registry has a dot or port, or is localhost)."""
    if not _QUALIFIED.match(image):
        return False
    reg = image.split("/", 1)[0]
    return "." in reg or ":" in reg or reg == "localhost"


# ------------------------------------------------------------------ model


def _check_publish(services: list[m.Service], add) -> None:
    """HF021: a published port outside 1-65535, or one host port published twice."""
    taken: dict[tuple[int, str], list[tuple[str, str, str]]] = {}  # (host port, proto) -> (ip, service, value)
    for s in services:
        for i, p in enumerate(s.publish):
            parsed = m.parse_publish(p)
            if parsed is None:
                continue  # HF011 already
            ip, host, cont, proto = parsed
            path = s.source + ("publish", i)
            bad = [x for x in (host, cont) if not 1 <= x <= 65535]
            if bad:
                add("HF021", f"publish {p!r}: port {bad[0]} is not in 1-65535", path)
                continue
            wild = ip in ("", "0.0.0.0")
            for oip, other, ov in taken.get((host, proto), []):
                if wild or oip in ("", "0.0.0.0") or oip == ip:
                    add("HF021", f"publish {p!r}: host port {host}/{proto} is already published by service {other!r} ({ov!r}); the second container cannot start", path)
                    break
            taken.setdefault((host, proto), []).append((ip, s.name, p))


def _check_volume_names(services: list[m.Service], add) -> None:
    """HF022: volume names that differ only in '-', '_' or '.' (two directories where one was meant?)."""
    first: dict[str, tuple[str, str]] = {}  # squashed name -> (name, service)
    for s in services:
        for vname, _ in s.volumes:
            key = re.sub(r"[-_.]", "", vname)
            seen = first.setdefault(key, (vname, s.name))
            if seen[0] != vname:
                add(
                    "HF022",
                    f"volume {vname!r} of service {s.name!r} and volume {seen[0]!r} of service {seen[1]!r} differ only in "
                    "'-', '_' or '.': they are two different directories; spell one name to share the data",
                    s.source + ("volumes", vname),
                    "warning",
                )


def _build(raw: dict, rep: Report, add) -> m.Host:  # noqa: C901 - one pass over the keys, in schema order
    services: list[m.Service] = []
    for name in sorted(raw.get("services", {})):
        s = raw["services"][name]
        path = ("services", name)
        if s is _BAD:
            continue
        if not re.match(r"^[a-z0-9][a-z0-9_.-]*$", name):
            add("HF011", f"service name {name!r} is not valid: use lower-case letters, digits, '-', '_' and '.'", path)
            continue
        if name in RESERVED_NAMES and raw.get("sites"):
            add("HF011", f"service name {name!r} is taken by the Caddy container hostform adds for the sites", path)
        image = s["image"]
        if not qualified_image(image):
            add("HF012", f"image {image!r} is not fully qualified (registry/name:tag): auto-update and pulls need the registry spelled out (docker.io/library/{image})" if "/" not in image else f"image {image!r} is not fully qualified: the first part must be a registry host (with a dot or a port)", path + ("image",))
        h = s.get("health")
        health = None
        if h is not None:
            if "http" in h and "cmd" in h:
                add("HF011", "health: give `http` or `cmd`, not both", path + ("health",))
            elif "http" not in h and "cmd" not in h:
                add("HF010", "health: give `http` (a path) or `cmd` (a command)", path + ("health",))
            elif "http" in h and s.get("port") is None:
                add("HF010", "health.http needs the service's `port`", path + ("health", "http"))
            health = m.Health(
                http=h.get("http"),
                cmd=tuple(h.get("cmd", ())),
                interval=h.get("interval", "30s"),
                timeout=h.get("timeout", "5s"),
                retries=h.get("retries", 3),
                start_period=h.get("start_period", "10s"),
            )
        uses = []
        for i, u in enumerate(s.get("secrets", [])):
            if u is _BAD:
                continue
            if "env" in u and "target" in u:
                add("HF011", "a secret goes to an environment variable (env) or a file (target), not both", path + ("secrets", i))
            if u["name"] not in raw.get("secrets", {}):
                add("HF013", f"secret {u['name']!r} is not declared under the top-level `secrets`", path + ("secrets", i, "name"))
            uses.append(m.SecretUse(u["name"], u.get("env"), u.get("target")))
        vols = []
        for vname, target in sorted(s.get("volumes", {}).items()):
            if not re.match(r"^[a-z0-9][a-z0-9_.-]*$", vname):
                add("HF011", f"volume name {vname!r} is not valid: use lower-case letters, digits, '-', '_' and '.'", path + ("volumes", vname))
            if not str(target).startswith("/"):
                add("HF011", f"volume {vname!r}: the container path {target!r} must be absolute", path + ("volumes", vname))
            vols.append((vname, str(target)))
        for i, p in enumerate(s.get("publish", [])):
            if not re.match(r"^([0-9.]+:)?[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp))?$", p):
                add("HF011", f"publish {p!r} is not HOST:CONTAINER[/tcp|/udp]", path + ("publish", i))
            elif p.split("/")[0].split(":")[-2] in ("80", "443") and raw.get("sites"):
                add("HF011", f"publish {p!r}: ports 80 and 443 are Caddy's (the sites)", path + ("publish", i))
        for k in s.get("extra", {}):
            if not re.match(r"^[A-Z][A-Za-z0-9]*$", k):
                add("HF011", f"extra key {k!r} is not a quadlet key name", path + ("extra", k))
        res = s.get("resources", {})
        services.append(
            m.Service(
                name=name,
                image=image,
                command=tuple(s.get("command", ())),
                entrypoint=s.get("entrypoint"),
                env=tuple(sorted(s.get("env", {}).items())),
                env_files=tuple(s.get("env_files", ())),
                secrets=tuple(uses),
                volumes=tuple(vols),
                port=s.get("port"),
                publish=tuple(s.get("publish", ())),
                health=health,
                memory=res.get("memory"),
                cpus=res.get("cpus"),
                user=s.get("user"),
                restart=s.get("restart", "on-failure"),
                auto_update=s.get("auto_update", True),
                pod=s.get("pod"),
                read_only=s.get("read_only", False),
                extra=tuple(s.get("extra", {}).items()),
                source=path,
            )
        )
    _check_publish(services, add)
    _check_volume_names(services, add)
    by_name = {s.name: s for s in services}
    known = set(raw.get("services", {}))
    sites = []
    from hostform.caddy.render import _HOSTNAME  # the same rule Caddy's writer applies

    seen_addr: dict[str, str] = {}
    for addr in sorted(raw.get("sites", {})):
        v = raw["sites"][addr]
        path = ("sites", addr)
        if v is _BAD:
            continue
        for a in (addr, *v.get("aliases", ())):
            if not _HOSTNAME.match(a):
                add("HF011", f"site address {a!r} is not a domain name", path)
            elif a in seen_addr:
                add("HF011", f"site address {a!r} is already served by the site {seen_addr[a]!r}", path)
            seen_addr.setdefault(a, addr)
        for e in v.get("encode", ()):
            if e not in ("zstd", "gzip"):
                add("HF011", f"encoding {e!r} is not one of zstd, gzip", path + ("encode",))
        svc_name = v["service"]
        svc = by_name.get(svc_name)
        if svc is None:
            if svc_name not in known:
                hint = _close(svc_name, sorted(known))
                add("HF013", f"site {addr!r} proxies to {svc_name!r}, which is not a service" + (f" (did you mean {hint!r}?)" if hint else ""), path + ("service",))
            continue
        port = v.get("port", svc.port)
        if port is None:
            add("HF014", f"site {addr!r}: service {svc_name!r} has no `port` to proxy to", path)
            continue
        sites.append(m.SiteSpec(addr, svc_name, port, tuple(v.get("aliases", ())), tuple(v.get("encode", ())), path))
    secrets = []
    for name in sorted(raw.get("secrets", {})):
        v = raw["secrets"][name]
        if v is _BAD:
            continue
        path = ("secrets", name)
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", name):
            add("HF011", f"secret name {name!r} is not valid", path)
        if v.get("file") and not v.get("embed", False):
            add("HF015", f"secret {name!r} would be written in clear into the Ignition config (readable as instance user data); set `embed: true` to accept that, or create the secret on the VM and drop `file`", path + ("file",))
        if v.get("embed") and not v.get("file"):
            add("HF010", f"secret {name!r}: `embed` needs a `file`", path + ("embed",))
        secrets.append(m.Secret(name, v.get("file"), bool(v.get("embed", False)), path))
    tls = raw.get("tls", {})
    up = raw.get("updates", {})
    st = raw.get("state", {})
    acc = raw.get("access", {})
    target, state = _target_and_state(raw, st, rep, add)
    return m.Host(
        name=raw["name"],
        podman=raw.get("podman", "5.8"),
        butane_version=raw.get("butane_version", "1.5.0"),
        services=tuple(services),
        sites=tuple(sites),
        tls=m.Tls(tls.get("email"), tls.get("ca", "production")),
        updates=m.Updates(up.get("schedule", "hourly"), up.get("randomized_delay", "0"), up.get("enabled", True)),
        state=state,
        secrets=tuple(secrets),
        access=m.Access(tuple(acc.get("ssh_keys", ()))),
        network=raw.get("network", "hostform"),
        quadlets=tuple(raw.get("quadlets", ())),
        butane=tuple(raw.get("butane", ())),
        target=target,
    )


def _target_and_state(raw: dict, st: dict, rep: Report, add) -> tuple[Any, m.State]:
    """The target (``terraform.model.parse_target``, its findings located here) and the state disk.

    One source of truth each: the volume's size is ``state.size``; its device
    is ``state.device`` or ``target.state_volume.device`` (not both), else the
    provider's default, else /dev/vdb.
    """
    from hostform.terraform.model import parse_target, size_to_gb
    from hostform.terraform.render import volume_name

    size = st.get("size", "10GiB")
    device = st.get("device")
    if "target" not in raw:
        return None, m.State(size, device or "/dev/vdb", st.get("path", "/var/mnt/state"), st.get("format", "ext4"))
    data = dict(raw["target"])
    sv = data.get("state_volume")  # the walker gives {enabled, device} (a bare boolean is {enabled: ...})
    if device is not None:
        given = sv.get("device") if isinstance(sv, dict) else None
        if given not in (None, device):
            add("HF011", f"the state device is given twice: state.device {device!r} and target.state_volume.device {given!r}; keep one", ("target", "state_volume", "device"))
        if isinstance(sv, dict):
            data["state_volume"] = dict(sv, device=device)
        elif sv is None and data.get("provider") != "local":
            data["state_volume"] = {"device": device}
    target, trep = parse_target(data, ("target",), size_to_gb(size) or 10)
    for d in trep:
        add(d.code, d.message, d.path or ("target",), d.severity)
    if target is None:
        return None, m.State(size, device or "/dev/vdb", st.get("path", "/var/mnt/state"), st.get("format", "ext4"))
    dev = target.device(volume_name(raw["name"]))
    return target, m.State(size, dev or device or "/dev/vdb", st.get("path", "/var/mnt/state"), st.get("format", "ext4"), dev is not None)


def load_text(text: str | bytes, file: str = "hostform.yaml") -> Loaded:
    """Parse and check a host file; ``host`` is None when it has errors."""
    from hostform import yamlpos

    rep = Report()
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogateescape")
    try:
        root = yamlpos.load(text)
    except (yamlpos.YAMLError, RecursionError) as e:
        from hostform.host.yamlerror import describe

        if isinstance(e, RecursionError):
            e = yamlpos.YAMLError("yaml: exceeded max depth of 10000")
        line, col, msg = describe(e, text)
        rep.add(Diagnostic("error", "HF001", msg, None, file, line, col))
        return Loaded(None, rep, {}, file)
    if root is None or (root.kind == "scalar" and root.tag == "!!null"):
        rep.add(Diagnostic("error", "HF010", "the host file is empty: it needs at least `name`", (), file, 1, 1))
        return Loaded(None, rep, {}, file)
    w = _Walker(file)
    raw = w.obj(root, HOST, ())
    rep.merge(w.report)
    loaded = Loaded(None, rep, w.positions, file, w.key_positions)
    if raw is _BAD or rep.is_fatal():
        return loaded

    def add(code: str, msg: str, path: tuple, severity: str = "error") -> None:
        line, col = loaded.where(path)
        rep.add(Diagnostic(severity, code, msg, path, file, line, col))

    host = _build(raw, rep, add)
    if not rep.is_fatal():
        loaded.host = host
    return loaded


def load_file(path: Any, display: str | None = None) -> Loaded:
    from pathlib import Path

    from hostform._inputs import HOST_FILE_CAP, InputError, read_input

    p = Path(path)
    name = display or p.name
    # a regular file of at most 1 MiB (a FIFO or /dev/zero must not hang the build); the
    # file the user named is read wherever a symlink leads, unlike the files it names
    data = read_input(None, str(p), HOST_FILE_CAP, "a host file")
    if isinstance(data, InputError):
        rep = Report()
        rep.add(Diagnostic("error", "HF004", f"{name} {data}", None, name, 0, 0))
        return Loaded(None, rep, {}, name)
    return load_text(data, name)
