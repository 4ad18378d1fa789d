"""A Compose project -> the host file's data, the quadlets it cannot say, and what was not carried.

One small handler per Compose service key (:data:`_HANDLERS`); a key without one is reported. Every value put
into the host file remembers the Compose value it came from (:class:`Out` ``origin``), so that when the host
file's own loader refuses a value (:func:`hostform.compose.importer` checks the result with it) the report
points at the user's Compose file, not at the generated text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostform.compose.project import Finding, Project, as_map, keyed, unique
from hostform.compose.text import DotenvError, parse_dotenv, shell_words
from hostform.compose.tree import V, Where, key_path

__all__ = ["Out", "convert", "qualify_image"]

# A host-file path: ("services", "web", "env", "KEY")
OutPath = tuple[Any, ...]


@dataclass
class Out:
    """What the conversion made: the host file's data (plain, in the order it is written), where each value
    came from, the comments to write above some keys, extra quadlet files, and the findings."""

    host: dict[str, Any] = field(default_factory=dict)
    origin: dict[OutPath, tuple[Where, str]] = field(default_factory=dict)
    comments: dict[OutPath, str] = field(default_factory=dict)
    quadlets: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


_NAME = re.compile(r"[a-z0-9]+(?:[_-]+[a-z0-9]+|\.[a-z0-9]+)*")
_HOST_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LABEL_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_SECRET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}")
_REL_PATH = re.compile(r"[A-Za-z0-9._@+/-]+")
_ABS_PATH = re.compile(r"/[A-Za-z0-9._@+/-]*")
_SITE_PORTS = (80, 443)
# hostform's own units and names (a service would replace them), besides Fedora CoreOS's (render.SYSTEM_UNITS)
_OWN_PREFIXES = ("hostform", "caddy", "otelcol")


def qualify_image(ref: str) -> str:
    """A short image name as docker reads it: docker.io/library/NAME, docker.io/USER/NAME, and :latest without a tag."""
    name, digest = ref, ""
    if "@" in ref:
        name, digest = ref.split("@", 1)
        digest = "@" + digest
    first, slash, rest = name.partition("/")
    if not slash:
        name = f"docker.io/library/{name}"
    elif not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    return name + digest


def _dns_label(s: str, fallback: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:63].strip("-")
    return s or fallback


# ---------------------------------------------------------------- small parsers


def _go_units_bytes(s: str) -> int | None:
    """docker/go-units RAMInBytes: 512m, 1.5g, 1024, 2GiB (binary multiples)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?", s.strip())
    if m is None:
        return None
    try:
        n = float(m.group(1))
    except ValueError:
        return None
    mult = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}[(m.group(2) or "").lower()]
    return int(n * mult)


def _memory_text(n: int) -> str:
    for unit, mult in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if n % mult == 0:
            return f"{n // mult}{unit}"
    return str(n)


_DURATION = re.compile(r"(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+")


def _duration_seconds(s: str) -> float | None:
    """A Go duration (Compose's) in seconds."""
    if not _DURATION.fullmatch(s):
        return None
    mult = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * mult[u] for n, u in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", s))


def _split_port(spec: str) -> tuple[str, str, str, str] | None:
    """``[IP:][HOST:]CONTAINER[/PROTO]`` -> (ip, host, container, proto), ports may be ranges: the syntax of podman's
    PublishPort= (:func:`hostform.host.checks.parse_publish`); an IPv6 address must be in brackets."""
    from hostform.host.checks import parse_publish

    if spec.count(":") > 2 and not spec.startswith("[") or (spec.startswith("[") and "]:" not in spec):
        return None
    return parse_publish(spec)


def _loopback(ip: str) -> bool:
    """A host address of the machine itself (127.0.0.0/8, [::1]): a port bound there is not for the world."""
    import ipaddress

    try:
        return ipaddress.ip_address(ip.strip("[]")).is_loopback
    except ValueError:
        return False


def _port_range(s: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", s.strip())
    if m is None:
        return None
    a = int(m.group(1))
    b = int(m.group(2)) if m.group(2) else a
    return (a, b) if a <= b else None


# ---------------------------------------------------------------- words for quadlet keys


def quadlet_word(w: str) -> str:
    """One word of a quadlet key that is split into words (PodmanArgs, AddCapability...): quoted when it must be."""
    if w and not any(c in w for c in " \t\"'\\"):
        return w
    return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _words_ok(words: list[str]) -> str | None:
    """The words as one value quadlet splits back into exactly them; None when it cannot."""
    from hostform.quadlet.unitfile import SplitError, split_words

    text = " ".join(quadlet_word(w) for w in words)
    try:
        back = split_words(text)
    except SplitError:
        return None
    if back != words or ";" in words or not text or text != text.strip() or text.endswith("\\"):
        return None
    return text


# ---------------------------------------------------------------- the converter


@dataclass
class _Svc:
    """One service being converted."""

    name: str  # the Compose name
    new: str  # the host file's name
    v: V
    out: dict[str, Any] = field(default_factory=dict)
    podman_args: list[tuple[list[str], Where, str]] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    quadlet: str = ""  # why this service goes to a quadlet file of its own ("" : it is a host-file service)
    site_port: tuple[int, Where, str] | None = None
    health: dict[str, Any] | None = None


class _Converter:
    def __init__(self, project: Project, out_dir: Path, findings: list[Finding]) -> None:
        self.p = project
        self.out_dir = out_dir
        self.o = Out()
        self.findings = findings
        self.secrets: dict[str, dict[str, Any]] = {}
        self.secret_origin: dict[str, tuple[Where, str]] = {}
        self.volume_names: dict[str, str] = {}
        self.published: dict[tuple[str, int, str], str] = {}
        self.svcs: dict[str, _Svc] = {}

    # -- findings
    def note(self, v: V | Where, path: str, code: str, msg: str) -> None:
        at = v.at if isinstance(v, V) else v
        self.findings.append(Finding(at, path, code, msg))

    def set(self, s: _Svc, key: OutPath, value: Any, v: V, path: str) -> None:
        """Put ``value`` at services.NEW.KEY... and remember where it came from."""
        d = s.out
        for k in key[:-1]:
            d = d.setdefault(k, {})
        d[key[-1]] = value
        self.o.origin[("services", s.new, *key)] = (v.at, path)

    # -- names
    def rename_all(self) -> None:
        """Service names hostform accepts, chosen once (depends_on and sites follow)."""
        from hostform.host.render import SYSTEM_UNITS

        have_sites = any(s.site_port is not None for s in self.svcs.values())
        taken: set[str] = set()
        for s in self.svcs.values():
            name = s.name
            ok = (_NAME.fullmatch(name) is not None and len(name) <= 63 and not name.startswith("x-")
                  and not (s.site_port is not None and _HOST_LABEL.fullmatch(name) is None)
                  and not name.startswith(SYSTEM_UNITS) and not (name.startswith(_OWN_PREFIXES) and (have_sites or name.startswith("hostform"))))
            new = name
            why = ""
            if not ok:
                new = _dns_label(name, "service")
                if new.startswith("x-"):
                    new = ("app-" + new)[:63].strip("-")
                    why = "in hostform.yaml a name starting with 'x-' is a key of your own, which hostform ignores"
                elif new.startswith(SYSTEM_UNITS) or new.startswith(_OWN_PREFIXES):
                    new = ("app-" + new)[:63].strip("-")
                    why = "it is the name of a unit of the host (Fedora CoreOS's or hostform's)"
                elif s.site_port is not None and _NAME.fullmatch(name.lower()) is not None:
                    why = "a site reaches its service by name, which must be a host name (no '_' or '.')"
                else:
                    why = "hostform names are lower-case letters, digits, '-', '_' and '.'"
            base, i = new, 2
            while new in taken:
                new = f"{base[:60]}-{i}"
                i += 1
            taken.add(new)
            s.new = new
            if new != name:
                self.note(s.v, f"services.{name}", "HF609", f"service {name!r} is named {new!r} in hostform.yaml ({why}); "
                          "depends_on and sites follow")

    def volume_name(self, name: str, v: V, path: str) -> str:
        if name in self.volume_names:
            return self.volume_names[name]
        new = name
        if _NAME.fullmatch(name) is None or len(name) > 63 or name.startswith("x-"):
            new = _dns_label(name, "data")
            if new.startswith("x-"):
                new = "v-" + new
        base, i = new, 2
        while new in self.volume_names.values():
            new = f"{base[:60]}-{i}"
            i += 1
        self.volume_names[name] = new
        if new != name:
            self.note(v, path, "HF609", f"volume {name!r} is named {new!r} in hostform.yaml (hostform names are lower-case "
                      "letters, digits, '-', '_' and '.')")
        return new

    # -- the whole project
    def run(self) -> Out:
        p = self.p
        for name, v in p.disabled.items():
            pv = v.get("profiles")
            prof = ", ".join(x.text() or "" for x in (pv.list() if pv is not None and pv.is_list else []))
            self.note(v, f"services.{name}", "HF603", f"service {name!r} is in the profiles {prof}, none of them enabled: not carried "
                      "(import with --profile NAME to carry it)")
        self.top_level()
        for name, v in p.services.items():
            self.svcs[name] = _Svc(name, name, v)
        for s in self.svcs.values():
            self.ports_first(s)
        self.rename_all()
        for s in self.svcs.values():
            self.service(s)
        for s in self.svcs.values():
            self.depends_on(s)
        top = self.p.top.get("volumes")
        for name, vol in (top.map() if top is not None else {}).items():
            if name not in self.volume_names:
                self.note(vol, key_path("volumes", name), "HF605", f"volume {name!r}: no service that is carried mounts it: not carried")
        return self.finish()

    def top_level(self) -> None:
        for key, v in self.p.top.items():
            if key.startswith("x-") or key in ("name", "version", "services"):
                continue
            if key == "volumes":
                for name, vol in v.map().items():
                    for k, x in vol.map().items():
                        if k == "name":
                            continue
                        if k == "external" and x.value in (False, "false"):
                            continue
                        what = {"external": "an external volume is one of the host's: on the VM it is a directory of the "
                                "state disk, made empty", "driver": "the volume is a directory of the state disk",
                                "driver_opts": "the volume is a directory of the state disk"}.get(k, "not carried")
                        if not k.startswith("x-"):
                            self.note(x, key_path(key_path("volumes", name), k), "HF601", f"{k}: {what}")
            elif key in ("secrets", "configs"):
                continue  # with the services that use them
            elif key == "networks":
                for name, net in v.map().items():
                    if net.value is None or (net.is_map and not [k for k in net.map() if not k.startswith("x-")]):
                        continue
                    self.note(net, key_path("networks", name), "HF601", "networks are not carried: every service joins one podman "
                              "network (`network`, default hostform) and reaches the others by name")
            elif key == "include":
                self.note(v, "include", "HF601", "include is not carried: import the included files with this one "
                          "(hostform import compose FILE FILE...)")
            else:
                self.note(v, key, "HF601", f"{key} is not a top-level key hostform knows (or Compose): not carried")

    # -- ports decide sites before names (a site's service must be a host name)
    def ports_first(self, s: _Svc) -> None:
        pv = s.v.get("ports")
        if pv is None:
            return
        for i, item in enumerate(_seq(pv)):
            for ip, host, cont, proto, at in self.port_specs(s, item, f"services.{s.name}.ports[{i}]"):
                if proto == "tcp" and (cont in _SITE_PORTS or host in _SITE_PORTS) and s.site_port is None and not _loopback(ip):
                    s.site_port = (cont, at, f"services.{s.name}.ports[{i}]")

    def port_specs(self, s: _Svc, item: V, path: str, report: bool = False) -> list[tuple[str, int | None, int, str, Where]]:
        """(ip, host port or None, container port, protocol, where) of one ``ports`` item."""
        out: list[tuple[str, int | None, int, str, Where]] = []
        if item.is_map:
            t = item.get("target")
            pub = item.get("published")
            ipv = item.get("host_ip")
            prv = item.get("protocol")
            spec_ip = (ipv.text() or "") if ipv is not None else ""
            cont_s = (t.text() or "") if t is not None else ""
            host_s = (pub.text() or "") if pub is not None else ""
            proto = ((prv.text() or "tcp") if prv is not None else "tcp").lower()
            if report:
                for k, x in item.map().items():
                    if k in ("mode", "name", "app_protocol") or k.startswith("x-"):
                        if k == "mode" and x.text() == "ingress":
                            continue
                        if not k.startswith("x-"):
                            self.note(x, f"{path}.{k}", "HF601", f"ports {k}: not carried")
        else:
            spec = item.text()
            parsed = _split_port(spec) if spec else None
            if parsed is None:
                if report:
                    self.note(item, path, "HF601", f"ports: {spec!r} is not [IP:][HOST:]CONTAINER[/PROTOCOL]: not carried")
                return out
            spec_ip, host_s, cont_s, proto = parsed
            proto = proto.lower()
        cr = _port_range(cont_s)
        hr = _port_range(host_s) if host_s else None
        if cr is None or (host_s and hr is None) or proto not in ("tcp", "udp"):
            if report:
                self.note(item, path, "HF601", f"ports: {item.text() or cont_s!r} is not a port (or a range) of tcp or udp: not carried")
            return out
        if hr == (0, 0):
            hr, host_s = None, ""  # host port 0: docker picks a free one, as with no host port
        bad = [(which, n) for which, r in (("host", hr), ("container", cr)) if r is not None for n in r if not 1 <= n <= 65535]
        if bad:
            if report:
                self.note(item, path, "HF607", f"ports: the {bad[0][0]} port {bad[0][1]} is not in 1-65535: not carried")
            return out
        if spec_ip in ("0.0.0.0", "::"):
            spec_ip = ""
        conts = list(range(cr[0], cr[1] + 1))
        if len(conts) > 1000:
            if report:
                self.note(item, path, "HF601", "ports: a range of more than 1000 ports: not carried")
            return out
        if hr is None:
            hosts: list[int | None] = [None] * len(conts)
        else:
            hs = list(range(hr[0], hr[1] + 1))
            if len(hs) == len(conts):
                hosts = list(hs)
            elif len(conts) == 1:
                hosts = [hs[0]]
                if report:
                    self.note(item, path, "HF601", f"ports: docker picks a free host port of {host_s}; hostform publishes the first, {hs[0]}")
            else:
                if report:
                    self.note(item, path, "HF601", "ports: the host and container ranges differ in length: not carried")
                return out
        return [(spec_ip, h, c, proto, item.at) for h, c in zip(hosts, conts, strict=True)]

    # -- one service
    def service(self, s: _Svc) -> None:
        v = s.v
        path = f"services.{s.name}"
        if "image" not in v.map() and "build" not in v.map():
            self.note(v, path, "HF604", f"service {s.name!r} has neither image nor build: not carried")
            s.quadlet = "-"
            return
        nm = v.get("network_mode")
        mode = nm.text() if nm is not None else None
        if mode and mode not in ("bridge", "default") and mode != "host":
            s.quadlet = f"network_mode: {mode}"
        for key, x in v.map().items():
            kp = f"{path}.{key}"
            h = _HANDLERS.get(key)
            if key.startswith("x-") or key in ("profiles", "extends"):
                continue
            if h is None:
                why = _NOT_CARRIED.get(key)
                if why is None:
                    self.note(x, kp, "HF601", f"{key} is not a Compose service key: not carried")
                else:
                    self.note(x, kp, "HF601", f"{key}: not carried ({why})")
                continue
            if x.value is None and key not in ("environment",):
                continue
            h(self, s, x, kp)
        if s.quadlet:
            return
        if s.podman_args:
            words = [w for ws, _, _ in s.podman_args for w in ws]
            text = _words_ok(words)
            if text is None:
                for _, at, p in s.podman_args:
                    self.note(at, p, "HF611", "not carried: its podman arguments do not fit one PodmanArgs line")
            else:
                s.extra["PodmanArgs"] = text
                at, p = s.podman_args[0][1], s.podman_args[0][2]
                self.o.origin[("services", s.new, "extra", "PodmanArgs")] = (at, p)
        if s.extra:
            s.out["extra"] = dict(s.extra)

    # -- after every service: depends_on (needs every service's health and name)
    def depends_on(self, s: _Svc) -> None:
        dv = s.v.get("depends_on")
        if dv is None or s.quadlet:
            return
        path = f"services.{s.name}.depends_on"
        deps: list[str] = []
        for dep, spec in as_map(dv, True).items():
            dp = key_path(path, dep) if dv.is_map else f"{path}[{list(as_map(dv, True)).index(dep)}]"
            cond = spec.get("condition") if spec.is_map else None
            condition = (cond.text() if cond is not None else None) or "service_started"
            req = spec.get("required") if spec.is_map else None
            other = self.svcs.get(dep)
            if other is None or other.quadlet:
                why = ("left out by its profiles" if dep in self.p.disabled else "not carried" if other is not None
                       else "not a service")
                self.note(spec, dp, "HF616", f"depends_on {dep!r}: {why}, so this dependency is not carried")
                continue
            if condition == "service_completed_successfully":
                self.note(cond or spec, dp, "HF616", f"depends_on {dep!r}: service_completed_successfully (a one-off run before "
                          "this one) is not carried: hostform keeps a dependency running; run it as a job or drop it")
                continue
            if req is not None and req.value in (False, "false"):
                self.note(req, f"{dp}.required", "HF616", f"depends_on {dep!r}: required: false is not carried: in hostform "
                          f"a dependency is required ({s.new} does not start without {other.new})")
            if condition == "service_healthy" and other.health is None:
                self.note(cond or spec, dp, "HF616", f"depends_on {dep!r}: service_healthy, but {dep!r} has no health check "
                          f"that hostform carries: {s.new} starts once {other.new}'s container runs")
            if other.new not in deps:
                deps.append(other.new)
                self.o.origin[("services", s.new, "depends_on", len(deps) - 1)] = (spec.at, dp)
        if deps:
            s.out["depends_on"] = deps
            self.o.origin[("services", s.new, "depends_on")] = (dv.at, path)

    # -- the host file
    def finish(self) -> Out:
        o = self.o
        o.host["name"] = _dns_label(self.p.name, "host")
        services: dict[str, Any] = {}
        sites: dict[str, Any] = {}
        quadlets: list[str] = []
        for s in self.svcs.values():
            if s.quadlet == "-":
                continue
            if s.quadlet:
                rel = f"quadlets/{s.new}.container"
                o.quadlets[rel] = self.quadlet_text(s)
                quadlets.append(rel)
                o.origin[("quadlets", len(quadlets) - 1)] = (s.v.at, f"services.{s.name}")
                self.note(s.v, f"services.{s.name}", "HF611", f"service {s.name!r} has {s.quadlet}, which hostform.yaml cannot "
                          f"say: written as {rel} (a plain quadlet, listed under `quadlets`)")
                continue
            services[s.new] = _ordered(s.out)
            o.origin.setdefault(("services", s.new), (s.v.at, f"services.{s.name}"))
            o.comments[("services", s.new)] = f"from {s.v.at.file}:{s.v.at.line}"
            if s.site_port is not None:
                port, at, path = s.site_port
                domain = f"{s.new}.example.org"
                sites[domain] = {"service": s.new, "port": port}
                o.origin[("sites", domain)] = (at, path)
                o.comments[("sites", domain)] = f"from {at.file}:{at.line}: put the real domain name here"
        if services:
            o.host["services"] = services
        if sites:
            o.host["sites"] = sites
        if self.secrets:
            o.host["secrets"] = {k: self.secrets[k] for k in sorted(self.secrets)}
            for k, orig in self.secret_origin.items():
                o.origin[("secrets", k)] = orig
        if quadlets:
            o.host["quadlets"] = quadlets
        return o

    def quadlet_text(self, s: _Svc) -> str:
        from hostform.escape import unit_string, unit_text, unit_word, unit_words

        lines = [f"# imported from {s.v.at.file}:{s.v.at.line} (services.{s.name}) by `hostform import compose`",
                 "[Unit]", f"Description={unit_text(s.new + ' (imported from Compose)', exec_line=False)}", "",
                 "[Container]"]

        def add(key: str, write: Callable[[Any], str], value: Any, what: str) -> None:
            try:
                lines.append(f"{key}={write(value)}")
            except ValueError:  # a control character, a trailing backslash: no unit file can hold it
                x = s.v.get(what)
                self.note(x or s.v, f"services.{s.name}.{what}" if x is not None else f"services.{s.name}", "HF611",
                          f"{what}: cannot be written into {s.new}.container (a character a unit file cannot hold): not carried")

        def text(v: str) -> str:
            return unit_text(v, exec_line=False)

        def word(v: str) -> str:
            return unit_word(v, exec_line=False)

        add("Image", text, str(s.out.get("image", "")), "image")
        lines.append(f"ContainerName={s.new}")
        nm = s.v.get("network_mode")
        mode = (nm.text() if nm is not None else None) or "none"
        if mode.startswith("service:"):
            other = self.svcs.get(mode.split(":", 1)[1])
            mode = f"container:{other.new if other is not None else mode.split(':', 1)[1]}"
        add("Network", text, mode, "network_mode")
        if s.out.get("auto_update", True) and not str(s.out.get("image", "")).startswith("localhost/"):
            lines.append("AutoUpdate=registry")
        cmd = s.out.get("command")
        if isinstance(cmd, list) and cmd:
            add("Exec", unit_words, [str(c) for c in cmd], "command")
        for k, val in sorted(s.out.get("env", {}).items()):
            add("Environment", word, f"{k}={val}", "environment")
        for k, val in sorted(s.out.get("labels", {}).items()):
            add("Label", word, f"{k}={val}", "labels")
        for p in s.out.get("publish", []):
            lines.append(f"PublishPort={p}")
        if s.out.get("user"):
            add("User", lambda v: unit_string(v, exec_line=False), str(s.out["user"]), "user")
        for k, val in s.extra.items():
            if k != "PodmanArgs":
                add(k, text, val, k)
        if s.podman_args:
            args = _words_ok([w for ws, _, _ in s.podman_args for w in ws])
            if args is not None:
                add("PodmanArgs", text, args, "PodmanArgs")
        restart = s.out.get("restart", "on-failure")
        lines += ["", "[Service]", f"Restart={restart}", "", "[Install]", "WantedBy=multi-user.target default.target", ""]
        for key in ("volumes", "secrets", "health", "depends_on", "resources", "port", "entrypoint", "read_only", "init"):
            if key in s.out:
                self.note(s.v, f"services.{s.name}.{key}" if key in s.v.map() else f"services.{s.name}",
                          "HF611", f"{key}: not carried into {s.new}.container (a plain quadlet): add it there by hand")
        return "\n".join(lines)


_ORDER = ("image", "auto_update", "command", "entrypoint", "user", "env", "secrets", "volumes", "port", "publish", "health",
          "depends_on", "resources", "restart", "read_only", "init", "labels", "extra")


def _ordered(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in _ORDER if k in d}


def _seq(v: V) -> list[V]:
    if v.is_list:
        return v.list()
    if v.value is None:
        return []
    return [v]


# ---------------------------------------------------------------- handlers, one per Compose key

Handler = Callable[[_Converter, _Svc, V, str], None]


def _image(c: _Converter, s: _Svc, v: V, path: str) -> None:
    t = v.text()
    if not t:
        c.note(v, path, "HF604", "image is empty: not carried")
        return
    q = qualify_image(t)
    c.set(s, ("image",), q, v, path)
    if q != t:
        c.o.comments[("services", s.new, "image")] = f"compose: {t}"


def _build(c: _Converter, s: _Svc, v: V, path: str) -> None:
    if "image" in s.v.map():
        img = s.v.map()["image"].text() or ""
        c.note(v, path, "HF604", f"build is not carried: hostform deploys images from a registry; push the image you build "
               f"as {qualify_image(img)} (the image this service names)")
        return
    proj = _dns_label(c.p.name, "compose")
    image = f"localhost/{proj}-{_dns_label(s.name, 'service')}:latest"
    c.set(s, ("image",), image, v, path)
    c.set(s, ("auto_update",), False, v, path)
    c.o.comments[("services", s.new, "image")] = "built by Compose: push it to a registry and put its name here"
    c.note(v, path, "HF604", f"build is not carried: hostform deploys images from a registry; build and push the image, "
           f"then replace {image} with its name in hostform.yaml (and drop auto_update: false)")


def _command(c: _Converter, s: _Svc, v: V, path: str) -> None:
    words = _command_words(c, v, path, "command")
    if words is None:
        return
    if not words:
        c.note(v, path, "HF601", "command is empty: not carried (the image's command runs)")
        return
    bad = [w for w in words if w == "" or w == ";"]
    if bad:
        c.note(v, path, "HF601", f"command has an argument systemd cannot pass ({bad[0]!r}): not carried")
        return
    c.set(s, ("command",), words, v, path)


def _command_words(c: _Converter, v: V, path: str, what: str) -> list[str] | None:
    if v.is_list:
        out = []
        for i, x in enumerate(v.list()):
            t = x.text()
            if t is None:
                c.note(x, f"{path}[{i}]", "HF601", f"{what}: an item that is not a string: {what} not carried")
                return None
            out.append(t)
        return out
    t = v.text()
    if t is None:
        return None
    w = shell_words(t)
    if w.error:
        c.note(v, path, "HF601", f"{what}: Compose cannot split {t!r} into words (an open quote or a '('): not carried")
        return None
    if w.stop >= 0:
        c.note(v, path, "HF601", f"{what}: Compose drops everything from the unquoted {t[w.stop]!r} on ({t[w.stop:]!r}); "
               "carried as Compose runs it; to run a shell line write [sh, -c, '...']")
    return w.words


def _entrypoint(c: _Converter, s: _Svc, v: V, path: str) -> None:
    words = _command_words(c, v, path, "entrypoint")
    if words is None:
        return
    c.set(s, ("entrypoint",), json.dumps(words, ensure_ascii=False) if words else "", v, path)


def _environment(c: _Converter, s: _Svc, v: V, path: str) -> None:
    env = s.out.setdefault("env", {})
    index = _item_index(v)
    for k, x in keyed(v).items():
        kp = key_path(path, k) if v.is_map else f"{path}[{index.get(k, 0)}]"
        val = x.text() if not (x.is_map or x.is_list) else None
        if x.value is None:
            looked = c.p.environ.get(k)
            if looked is None:
                c.note(x, kp, "HF601", f"environment {k}: no value here and none in the environment or .env: not carried")
                continue
            val = looked
            c.note(x, kp, "HF610", f"environment {k}: its value is taken from the environment at import and is now written in "
                   "hostform.yaml")
        if val is None:
            c.note(x, kp, "HF601", f"environment {k}: a value that is not a string: not carried")
            continue
        if not _ENV_NAME.fullmatch(k):
            c.note(x, kp, "HF601", f"environment {k!r}: hostform's env names are letters, digits and '_': not carried")
            continue
        env[k] = val
        c.o.origin[("services", s.new, "env", k)] = (x.at, kp)
    if not env:
        s.out.pop("env", None)


def _item_index(v: V) -> dict[str, int]:
    """KEY -> the index of the list item ``KEY=VALUE`` that sets it last (environment, labels in list form)."""
    out: dict[str, int] = {}
    for i, item in enumerate(v.list()):
        t = item.text()
        if t is not None:
            out[t.partition("=")[0]] = i
    return out


def _env_file(c: _Converter, s: _Svc, v: V, path: str) -> None:
    merged: dict[str, tuple[str, Where, str]] = {}
    for i, item in enumerate(_seq(v)):
        ip = f"{path}[{i}]" if v.is_list else path
        required = True
        fmt = ""
        if item.is_map:
            pv = item.get("path")
            rel = pv.text() if pv is not None else None
            rq = item.get("required")
            required = not (rq is not None and rq.value in (False, "false"))
            fv = item.get("format")
            fmt = (fv.text() or "") if fv is not None else ""
        else:
            rel = item.text()
        if not rel:
            continue
        full = _resolve_file(c, item.at.file, rel)
        from hostform._inputs import InputError, read_input

        data = read_input(None, str(full), 1024 * 1024, "an env file")
        if isinstance(data, InputError):
            if required:
                c.note(item, ip, "HF610", f"env_file {rel}: {data}: its variables are not carried")
            continue
        text = data.decode("utf-8", "replace")
        try:
            if fmt == "raw":
                vals = {}
                for ln in text.splitlines():
                    if ln.strip() and not ln.lstrip().startswith("#"):
                        k, _, val = ln.partition("=")
                        vals[k.strip()] = val
            else:
                vals, _ = parse_dotenv(text, lambda k: c.p.environ.get(k))
        except DotenvError as e:
            c.note(item, ip, "HF610", f"env_file {rel}: Compose cannot read it ({e}): not carried")
            continue
        for k, val in vals.items():
            merged[k] = (val, item.at, ip)
        c.note(item, ip, "HF610", f"env_file {rel}: its {len(vals)} variable{'s' * (len(vals) != 1)} are now written in "
               "hostform.yaml (env, in clear in the Ignition config): move secret values to `secrets`")
    env = s.out.setdefault("env", {})
    ev = s.v.get("environment")
    explicit = set(keyed(ev)) if ev is not None else set()
    added = {}
    for k, (val, at, ip) in merged.items():
        if k in explicit:
            continue
        if not _ENV_NAME.fullmatch(k):
            c.note(at, ip, "HF601", f"env_file variable {k!r}: hostform's env names are letters, digits and '_': not carried")
            continue
        added[k] = val
        c.o.origin[("services", s.new, "env", k)] = (at, ip)
    # the files' variables come first, as Compose reads them (environment wins)
    s.out["env"] = {**added, **env}
    if not s.out["env"]:
        s.out.pop("env")


def _resolve_file(c: _Converter, written_in: str, rel: str) -> Path:
    """A path written in a Compose file, relative to that file's directory (as the user named it, from the cwd)."""
    if os.path.isabs(rel):
        return Path(rel)
    if rel.startswith("~/"):
        return Path(os.path.expanduser(rel))
    return Path(os.path.dirname(written_in) or ".") / rel


def _ports(c: _Converter, s: _Svc, v: V, path: str) -> None:
    publish: list[str] = []
    for i, item in enumerate(_seq(v)):
        ip_ = f"{path}[{i}]"
        random: list[int] = []  # a range is one report line, not one per port
        everywhere: list[int] = []
        for ip, host, cont, proto, at in c.port_specs(s, item, ip_, report=True):
            if s.site_port is not None and s.site_port[2] == ip_ and cont == s.site_port[0]:
                c.note(at, ip_, "HF606", f"port {cont}: proposed as the site {s.new}.example.org (Caddy, with TLS), proxied to "
                       f"port {cont}; put the real domain name in hostform.yaml")
                s.out["port"] = cont
                c.o.origin[("services", s.new, "port")] = (at, ip_)
                continue
            if proto == "tcp" and (host in _SITE_PORTS or cont in _SITE_PORTS) and not _loopback(ip):
                c.note(at, ip_, "HF606", f"port {cont}: not carried: Caddy serves ports 80 and 443 for the sites "
                       + (f"(this service's site proxies to port {s.site_port[0]})" if s.site_port else ""))
                continue
            if host is None:
                random.append(cont)
                continue
            if ":" in ip:
                c.note(at, ip_, "HF607", f"port {host}: bound to the IPv6 address {ip}: hostform publishes on IPv4 addresses; not carried")
                continue
            key = (ip, host, proto)
            if key in c.published or ("", host, proto) in c.published or (ip == "" and any(k[1:] == (host, proto) for k in c.published)):
                other = c.published.get(key) or next(n for k, n in c.published.items() if k[1:] == (host, proto))
                c.note(at, ip_, "HF607", f"port {host}/{proto} is already published by {other!r}: not carried")
                continue
            c.published[key] = s.new
            text = (f"{ip}:" if ip else "") + f"{host}:{cont}" + ("/udp" if proto == "udp" else "")
            c.o.origin[("services", s.new, "publish", len(publish))] = (at, ip_)
            publish.append(text)
            if not ip:
                everywhere.append(host)
        if random:
            c.note(item.at, ip_, "HF607", f"{_ports_text(random)}: docker would publish {_it(random)} on "
                   + ("a random host port" if len(random) == 1 else "random host ports") + ": not "
                   f"published (the services reach {_it(random)} on the network by name)")
        if everywhere:
            c.note(item.at, ip_, "HF607", f"{_ports_text(everywhere)}: published on every address of the VM, so the target's "
                   "firewall opens " + _it(everywhere) + " (warning HF024 at build); bind " + _it(everywhere)
                   + " to 127.0.0.1 to keep " + _it(everywhere) + " on the VM"
                   + ("; one publish entry per port, as hostform's publish takes one port an entry" if len(everywhere) > 1 else ""))
    if publish:
        s.out["publish"] = publish
        c.o.origin[("services", s.new, "publish")] = (v.at, path)


def _ports_text(ports: list[int]) -> str:
    """``port 80``, or ``ports 8000-8010`` for a range."""
    return f"port {ports[0]}" if len(ports) == 1 else f"ports {ports[0]}-{ports[-1]}"


def _it(ports: list[int]) -> str:
    return "it" if len(ports) == 1 else "them"


def _expose(c: _Converter, s: _Svc, v: V, path: str) -> None:
    c.note(v, path, "HF601", "expose is not carried: the services reach each other's ports on the network without it")


def _volumes(c: _Converter, s: _Svc, v: V, path: str) -> None:
    vols: dict[str, str] = s.out.setdefault("volumes", {})
    top = c.p.top.get("volumes")
    for i, item in enumerate(unique(f"services.{s.name}.volumes", _seq(v))):
        ip = f"{path}[{i}]"
        ro = False
        if item.is_map:
            tv, sv, typ = item.get("type"), item.get("source"), item.get("target")
            kind = (tv.text() or "volume") if tv is not None else "volume"
            src = (sv.text() or "") if sv is not None else ""
            target = (typ.text() or "") if typ is not None else ""
            rov = item.get("read_only")
            ro = rov is not None and rov.value in (True, "true")
            for k, x in item.map().items():
                if k in ("bind", "volume", "tmpfs", "image", "consistency") and x.value is not None:
                    c.note(x, f"{ip}.{k}", "HF601", f"volumes {k} options are not carried")
        else:
            t = item.text() or ""
            src, target, mode = _parse_volume(t)
            kind = "bind" if src[:1] in (".", "/", "~") else "volume"
            opts = mode.split(",") if mode else []
            ro = "ro" in opts
            other = [o for o in opts if o not in ("ro", "rw", "")]
            if other:
                c.note(item, ip, "HF601", f"volumes: the options {','.join(other)} are not carried")
        if kind == "tmpfs":
            s.podman_args.append(([f"--tmpfs={target}"], item.at, ip))
            continue
        if kind not in ("volume", "bind"):
            c.note(item, ip, "HF605", f"volumes: a {kind} mount is not carried")
            continue
        if not target or not _ABS_PATH.fullmatch(target) or "//" in target or "/../" in target + "/":
            c.note(item, ip, "HF605", f"volumes: the target {target!r} is not a path hostform can mount (letters, digits, "
                   "'.', '_', '-', '@', '+' and '/'): not carried")
            continue
        name: str | None = None
        if kind == "bind":
            name = _bind(c, s, item, ip, src, target)
            if name is None:
                continue
        if ro:
            c.note(item, ip, "HF605", "volumes: read-only is not carried: hostform mounts volumes read-write")
        if kind == "bind":
            pass
        elif not src:
            name = c.volume_name(f"{s.name}-{target.strip('/').replace('/', '-')}" or s.name, item, ip)
            c.note(item, ip, "HF605", f"volumes: the anonymous volume at {target} is the named volume {name!r} (on the state disk, "
                   "kept across restarts, where docker would make a new one for a new container)")
        else:
            decl = top.get(src) if top is not None else None
            if top is not None and decl is None and src not in top.map():
                c.note(item, ip, "HF605", f"volumes: {src!r} is not declared under the top-level volumes (Compose refuses that); "
                       "carried as a named volume")
            name = c.volume_name(src, item, ip)
        assert name is not None
        if name in vols:
            c.note(item, ip, "HF605", f"volumes: {name!r} is mounted at {vols[name]} already; hostform mounts a volume once per "
                   "service: not carried")
            continue
        if target in vols.values():
            c.note(item, ip, "HF605", f"volumes: {target} has a volume already: not carried")
            continue
        vols[name] = target
        c.o.origin[("services", s.new, "volumes", name)] = (item.at, ip)
    if not vols:
        s.out.pop("volumes")


_SYSTEM_PATHS = ("/etc/localtime", "/etc/timezone", "/var/run/docker.sock", "/run/docker.sock", "/var/run/podman",
                 "/run/podman", "/sys", "/proc", "/dev", "/lib/modules", "/var/lib/docker", "/etc/hostname", "/etc/hosts",
                 "/etc/resolv.conf", "/run/user", "/var/run/dbus", "/run/dbus", "/tmp/.X11-unix")


def _bind(c: _Converter, s: _Svc, item: V, ip: str, src: str, target: str) -> str | None:
    if src.startswith("/") and any(src == p or src.startswith(p + "/") for p in _SYSTEM_PATHS):
        c.note(item, ip, "HF605", f"volumes: the bind mount of the host's {src} is not carried (a path of the Docker host; "
               "on the VM add it in a quadlet or `extra` if it really is needed)")
        return None
    local = _resolve_file(c, item.at.file, src)
    rel = os.path.relpath(os.path.abspath(local), os.path.abspath(c.out_dir))
    if not src.startswith("/") and local.is_file():
        sname = _dns_label(os.path.basename(src), "file")
        base, i = sname, 2
        while sname in c.secrets and c.secrets[sname].get("file") != rel:
            sname = f"{base}-{i}"
            i += 1
        if _REL_PATH.fullmatch(rel) and not rel.startswith("../") and ".." not in rel.split("/"):
            c.secrets[sname] = {"file": rel, "embed": True}
            c.secret_origin[sname] = (item.at, ip)
            uses = s.out.setdefault("secrets", [])
            uses.append({"name": sname, "target": target})
            c.o.origin[("services", s.new, "secrets", len(uses) - 1)] = (item.at, ip)
            c.note(item, ip, "HF605", f"volumes: {src} is a file of the project: carried as the secret {sname!r} (file: {rel}, "
                   f"embed: true: its content goes into the Ignition config in clear), mounted read-only at {target}")
            return None
        c.note(item, ip, "HF605", f"volumes: {src} is a file outside the output directory: not carried (put it in the image, "
               f"or `hostform secret set NAME < {src}` and list NAME with target {target} under the service's secrets)")
        return None
    name = c.volume_name(_dns_label(os.path.basename(src.rstrip("/")) or s.name, "data"), item, ip)
    c.note(item, ip, "HF605", f"volumes: the bind mount of {src} is the named volume {name!r} (a directory of the state disk): "
           "the VM has no such path, so it starts empty; copy the data in")
    return name


def _parse_volume(spec: str) -> tuple[str, str, str]:
    """compose-go format.ParseVolume: (source, target, mode)."""
    if len(spec) <= 2:
        return "", spec, ""
    parts: list[str] = []
    buf = ""
    depth = 0
    for i, ch in enumerate(spec):
        if ch == "$" and spec[i + 1 : i + 2] == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        elif ch == ":" and depth == 0 and not (len(buf) == 1 and buf.isalpha() and not parts):
            parts.append(buf)
            buf = ""
            continue
        buf += ch
    parts.append(buf)
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return parts[0], parts[1], ""
    return parts[0], parts[1], ",".join(parts[2:])


def _depends_on(c: _Converter, s: _Svc, v: V, path: str) -> None:
    pass  # after every service (_Converter.depends_on)


def _healthcheck(c: _Converter, s: _Svc, v: V, path: str) -> None:
    h: dict[str, Any] = {}
    dis = v.get("disable")
    test = v.get("test")
    off: tuple[V, str] | None = None
    if dis is not None and dis.value in (True, "true"):
        off = (dis, f"{path}.disable")
    elif test is not None and test.is_list and test.list() and test.list()[0].text() == "NONE":
        off = (test, f"{path}.test")
    if off is not None:
        c.note(off[0], off[1], "HF615", "healthcheck: turning off the image's own HEALTHCHECK is not carried: podman runs "
               "it (hostform sets no health for this service)")
        return
    if test is None:
        c.note(v, path, "HF615", "healthcheck without test (the image's HEALTHCHECK with other timings) is not carried: "
               "hostform needs the command")
        return
    if test.is_list:
        items = [x.text() or "" for x in test.list()]
        if not items or items[0] == "NONE":
            return
        if items[0] == "CMD":
            cmd: Any = items[1:]
            if len(cmd) == 1:
                c.note(test, f"{path}.test", "HF615", "healthcheck: a one-word CMD runs through /bin/sh -c in hostform: the image "
                       "needs a shell")
        elif items[0] == "CMD-SHELL":
            cmd = " ".join(items[1:])
        else:
            c.note(test, f"{path}.test", "HF615", f"healthcheck test starts with {items[0]!r}, not CMD, CMD-SHELL or NONE: not carried")
            return
    else:
        cmd = test.text() or ""
    if not cmd:
        c.note(test, f"{path}.test", "HF615", "healthcheck test is empty: not carried")
        return
    h["cmd"] = cmd
    c.o.origin[("services", s.new, "health", "cmd")] = (test.at, f"{path}.test")
    for k in ("interval", "timeout", "start_period"):
        x = v.get(k)
        if x is None or x.value is None:
            continue
        t = x.text() or ""
        if _duration_seconds(t) is None:
            c.note(x, f"{path}.{k}", "HF615", f"healthcheck {k}: {t!r} is not a duration: not carried")
            continue
        if _duration_seconds(t) == 0:
            continue
        h[k] = t
        c.o.origin[("services", s.new, "health", k)] = (x.at, f"{path}.{k}")
    r = v.get("retries")
    if r is not None and r.value is not None:
        try:
            n = int(r.text() or "")
        except ValueError:
            n = -1
        if 1 <= n <= 1000:
            h["retries"] = n
            c.o.origin[("services", s.new, "health", "retries")] = (r.at, f"{path}.retries")
        else:
            c.note(r, f"{path}.retries", "HF615", f"healthcheck retries: {r.text()!r} is not 1 to 1000: hostform's default (3) applies")
    for k, x in v.map().items():
        if k not in ("test", "interval", "timeout", "start_period", "retries", "disable") and not k.startswith("x-"):
            c.note(x, f"{path}.{k}", "HF615", f"healthcheck {k}: not carried")
    s.out["health"] = h
    s.health = h
    c.o.origin[("services", s.new, "health")] = (v.at, path)


def _restart(c: _Converter, s: _Svc, v: V, path: str) -> None:
    t = (v.text() or "").strip()
    base, _, n = t.partition(":")
    if t in ("no", "false"):
        c.set(s, ("restart",), "no", v, path)
    elif t == "always":
        c.set(s, ("restart",), "always", v, path)
    elif base == "on-failure":
        c.set(s, ("restart",), "on-failure", v, path)
        if n:
            c.note(v, path, "HF613", f"restart: the limit of {n} retries is not carried (systemd's restart rate limit applies)")
    elif t == "unless-stopped":
        c.set(s, ("restart",), "always", v, path)
        c.note(v, path, "HF613", "restart: unless-stopped is carried as always (a service the host file declares runs; stop it "
               "by removing it)")
    else:
        c.note(v, path, "HF613", f"restart: {t!r} is not a Compose restart policy: not carried")


def _resources_mem(c: _Converter, s: _Svc, v: V, path: str, what: str) -> None:
    t = v.text() or ""
    n = _go_units_bytes(t)
    if n is None:
        c.note(v, path, "HF618", f"{what}: {t!r} is not a size: not carried")
        return
    if n < 6 * 1024 * 1024:
        c.note(v, path, "HF618", f"{what}: {t} is below podman's minimum of 6m: not carried")
        return
    c.set(s, ("resources", "memory"), _memory_text(n), v, path)


def _resources_cpus(c: _Converter, s: _Svc, v: V, path: str, what: str) -> None:
    try:
        f = float(v.text() or "")
    except ValueError:
        c.note(v, path, "HF618", f"{what}: {v.text()!r} is not a number of CPUs: not carried")
        return
    r = round(f, 3)
    if not 0 < r <= 1024:
        if f != 0:
            c.note(v, path, "HF618", f"{what}: {v.text()} is not 0.001 to 1024 CPUs: not carried")
        return
    if r != f:
        c.note(v, path, "HF618", f"{what}: {v.text()} is carried as {r} (hostform takes 3 decimals)")
    c.set(s, ("resources", "cpus"), int(r) if r == int(r) else r, v, path)


def _mem_limit(c: _Converter, s: _Svc, v: V, path: str) -> None:
    if _deploy_limit(s, "memory") is not None:
        c.note(v, path, "HF618", "mem_limit: deploy.resources.limits.memory is used instead")
        return
    _resources_mem(c, s, v, path, "mem_limit")


def _cpus(c: _Converter, s: _Svc, v: V, path: str) -> None:
    if _deploy_limit(s, "cpus") is not None:
        c.note(v, path, "HF618", "cpus: deploy.resources.limits.cpus is used instead")
        return
    _resources_cpus(c, s, v, path, "cpus")


def _deploy_limit(s: _Svc, key: str) -> V | None:
    d = s.v.get("deploy")
    r = d.get("resources") if d is not None else None
    lim = r.get("limits") if r is not None else None
    return lim.get(key) if lim is not None else None


def _deploy(c: _Converter, s: _Svc, v: V, path: str) -> None:
    for k, x in v.map().items():
        kp = f"{path}.{k}"
        if k.startswith("x-") or x.value is None:
            continue
        if k == "resources":
            for rk, rx in x.map().items():
                rp = f"{kp}.{rk}"
                if rk == "limits":
                    for lk, lx in rx.map().items():
                        lp = f"{rp}.{lk}"
                        if lk == "memory":
                            _resources_mem(c, s, lx, lp, "deploy.resources.limits.memory")
                        elif lk == "cpus":
                            _resources_cpus(c, s, lx, lp, "deploy.resources.limits.cpus")
                        elif lk == "pids":
                            s.extra["PidsLimit"] = lx.text() or ""
                            c.o.origin[("services", s.new, "extra", "PidsLimit")] = (lx.at, lp)
                        elif not lk.startswith("x-"):
                            c.note(lx, lp, "HF618", f"deploy.resources.limits.{lk}: not carried")
                elif not rk.startswith("x-"):
                    c.note(rx, rp, "HF618", f"deploy.resources.{rk}: not carried (hostform sets limits only)")
        elif k == "replicas":
            if (x.text() or "1") not in ("1",):
                c.note(x, kp, "HF618", f"deploy.replicas: {x.text()} replicas are not carried: hostform runs one container per "
                       "service (one machine)")
        elif k == "restart_policy":
            if "restart" in s.v.map():
                c.note(x, kp, "HF613", "deploy.restart_policy: restart is used instead")
                continue
            cond = x.get("condition")
            t = (cond.text() if cond is not None else None) or "any"
            pol = {"none": "no", "on-failure": "on-failure", "any": "always"}.get(t)
            if pol is None:
                c.note(x, kp, "HF613", f"deploy.restart_policy: condition {t!r} is not carried")
            else:
                c.set(s, ("restart",), pol, cond or x, f"{kp}.condition")
            for rk, rx in x.map().items():
                if rk != "condition" and not rk.startswith("x-"):
                    c.note(rx, f"{kp}.{rk}", "HF613", f"deploy.restart_policy.{rk}: not carried")
        elif k == "mode" and x.text() in ("replicated", "global"):
            continue
        else:
            c.note(x, kp, "HF618", f"deploy.{k}: not carried (a Swarm setting; hostform runs one machine)")


def _user(c: _Converter, s: _Svc, v: V, path: str) -> None:
    c.set(s, ("user",), v.text() or "", v, path)


def _labels(c: _Converter, s: _Svc, v: V, path: str) -> None:
    labels = s.out.setdefault("labels", {})
    index = _item_index(v)
    for k, x in keyed(v).items():
        kp = key_path(path, k) if v.is_map else f"{path}[{index.get(k, 0)}]"
        if not _LABEL_KEY.fullmatch(k):
            c.note(x, kp, "HF601", f"labels {k!r}: hostform's label names are letters, digits, '.', '_', '-' and '/': not carried")
            continue
        labels[k] = x.text() or ""
        c.o.origin[("services", s.new, "labels", k)] = (x.at, kp)
    if not labels:
        s.out.pop("labels")


def _bool_key(key: str) -> Handler:
    def h(c: _Converter, s: _Svc, v: V, path: str) -> None:
        if v.value in (True, "true"):
            c.set(s, (key,), True, v, path)
    return h


def _secrets(c: _Converter, s: _Svc, v: V, path: str, configs: bool = False) -> None:
    kind = "configs" if configs else "secrets"
    top = c.p.top.get(kind)
    uses = s.out.setdefault("secrets", [])
    for i, item in enumerate(_seq(v)):
        ip = f"{path}[{i}]"
        target = ""
        if item.is_map:
            sv = item.get("source")
            src = (sv.text() or "") if sv is not None else ""
            tv = item.get("target")
            target = (tv.text() or "") if tv is not None else ""
            for k in ("uid", "gid", "mode"):
                if k in item.map():
                    c.note(item.map()[k], f"{ip}.{k}", "HF608", f"{kind} {k}: not carried (podman's default: root, 0444)")
        else:
            src = item.text() or ""
        if configs and not target:
            target = "/" + src
        decl = top.get(src) if top is not None else None
        declared = c.p.top.get("secrets")
        name = src if not configs or declared is None or src not in declared.map() else f"config-{src}"
        if not _SECRET_NAME.fullmatch(name):
            c.note(item, ip, "HF608", f"{kind} {src!r}: hostform's secret names are letters, digits, '-', '_' and '.': not carried")
            continue
        if decl is None:
            c.note(item, ip, "HF608", f"{kind} {src!r} is not declared under the top-level {kind} (Compose refuses that): not carried")
            continue
        if target and not re.fullmatch(r"[A-Za-z0-9._@+/-]+", target):
            c.note(item, ip, "HF608", f"{kind} target {target!r}: not a path hostform can mount: not carried")
            continue
        if name not in c.secrets and not _declare_secret(c, name, src, decl, kind):
            continue
        use: dict[str, Any] = {"name": name}
        if target and target not in (src, f"/run/secrets/{src}"):
            use["target"] = target
        uses.append(use if len(use) > 1 else name)
        c.o.origin[("services", s.new, "secrets", len(uses) - 1)] = (item.at, ip)
    if not uses:
        s.out.pop("secrets")


def _declare_secret(c: _Converter, name: str, src: str, decl: V, kind: str) -> bool:
    """The top-level ``secrets`` entry of a Compose secret or config (reported once)."""
    path = f"{kind}.{src}"
    fv = decl.get("file")
    if kind == "configs" and fv is not None:
        local = _resolve_file(c, fv.at.file, fv.text() or "")
        rel = os.path.relpath(os.path.abspath(local), os.path.abspath(c.out_dir))
        if local.is_file() and _REL_PATH.fullmatch(rel) and ".." not in rel.split("/"):
            c.secrets[name] = {"file": rel, "embed": True}
            c.secret_origin[name] = (fv.at, f"{path}.file")
            c.note(fv, f"{path}.file", "HF608", f"config {src!r} is carried as the secret {name!r} (file: {rel}, embed: true: its "
                   "content goes into the Ignition config in clear)")
            return True
    if kind == "configs" and fv is None:
        c.note(decl, path, "HF608", f"config {src!r} is not a file of the project: not carried")
        return False
    how = ""
    if fv is not None:
        how = f"`hostform secret set {name} < {fv.text()}`"
    else:
        ev = decl.get("environment")
        if ev is not None:
            how = f"`printenv {ev.text()} | hostform secret set {name}`"
        else:
            how = f"`hostform secret set {name}`"
    c.secrets[name] = {}
    c.secret_origin[name] = (decl.at, path)
    c.o.comments[("secrets", name)] = f"a secret already on the VM; or {how}, then delete this entry"
    c.note(decl, path, "HF608", f"secret {src!r}: set its value with {how} (kept encrypted in secrets/{name}.age), then delete "
           f"secrets.{name} from hostform.yaml; until then it names a podman secret that must exist on the VM")
    return True


def _configs(c: _Converter, s: _Svc, v: V, path: str) -> None:
    _secrets(c, s, v, path, configs=True)


def _networks(c: _Converter, s: _Svc, v: V, path: str) -> None:
    for k, x in as_map(v, False).items():
        if x.value is None or (x.is_map and not x.map()):
            continue
        c.note(x, key_path(path, k), "HF601", f"networks {k}: aliases, addresses and priorities are not carried (the service is "
               f"reached by its name, {s.new})")
    names = list(as_map(v, False))
    if [n for n in names if n != "default"]:
        c.note(v, path, "HF601", f"networks {', '.join(names)}: every service joins one network, where all reach each other")


def _network_mode(c: _Converter, s: _Svc, v: V, path: str) -> None:
    t = v.text() or ""
    if t == "host":
        s.podman_args.append((["--network=host"], v.at, path))
        c.note(v, path, "HF611", "network_mode: host is carried as extra PodmanArgs --network=host (the container shares the "
               "VM's network; the firewall treats it as the host)")


def _podman_flag(flag: str, what: str = "") -> Handler:
    """A Compose key carried as a PodmanArgs flag: a boolean (the flag alone), or one value per item (--flag=VALUE)."""

    def h(c: _Converter, s: _Svc, v: V, path: str) -> None:
        if isinstance(v.value, bool) or v.text() in ("true", "false") and not v.is_list:
            if v.value in (True, "true"):
                s.podman_args.append(([flag], v.at, path))
            return
        items: list[str] = []
        if v.is_map:
            for k, x in v.map().items():
                if x.is_map:  # ulimits: {nofile: {soft, hard}}
                    soft, hard = x.get("soft"), x.get("hard")
                    items.append(f"{k}={soft.text() if soft else ''}:{hard.text() if hard else ''}")
                else:
                    items.append(f"{k}={x.text()}" if x.value is not None else k)
        else:
            for i, x in enumerate(_seq(v)):
                t = _device(x) if flag == "--device" and x.is_map else x.text()
                if t is None:
                    c.note(x, f"{path}[{i}]" if v.is_list else path, "HF601", f"{path.rsplit('.', 1)[-1]}: "
                           + ("a device without source" if flag == "--device" else "an item that is not a string")
                           + ": not carried")
                items.append(t or "")
        words = [f"{flag}={i}" for i in items if i]
        if words:
            s.podman_args.append((words, v.at, path))
    return h


def _device(x: V) -> str | None:
    """A long-syntax device ({source, target, permissions}) as podman's --device takes it: SOURCE[:TARGET[:PERMISSIONS]]."""
    parts = [(y.text() or "") if (y := x.get(k)) is not None else "" for k in ("source", "target", "permissions")]
    if not parts[0]:
        return None
    if parts[2] and not parts[1]:
        parts[1] = parts[0]
    return ":".join(p for p in parts if p)


def _one_value(key: str, convert: Callable[[str], str | None] | None = None) -> Handler:
    """A Compose key carried as an ``extra`` quadlet key that takes one value."""

    def h(c: _Converter, s: _Svc, v: V, path: str) -> None:
        t = v.text()
        val = convert(t) if convert is not None and t is not None else t
        if not val or val != val.strip() or "\n" in val:
            c.note(v, path, "HF611", f"{path.rsplit('.', 1)[-1]}: {t!r} cannot be carried as {key}=: not carried")
            return
        s.extra[key] = val
        c.o.origin[("services", s.new, "extra", key)] = (v.at, path)
    return h


def _words_key(key: str) -> Handler:
    """A Compose list carried as an ``extra`` quadlet key that takes words (AddCapability=...)."""

    def h(c: _Converter, s: _Svc, v: V, path: str) -> None:
        if v.is_map:
            words = [f"{k}={x.text()}" for k, x in v.map().items()]
        else:
            words = [x.text() or "" for x in _seq(v)]
        words = [w for w in words if w]
        text = _words_ok(words)
        if text is None:
            c.note(v, path, "HF611", f"{path.rsplit('.', 1)[-1]}: cannot be written as {key}=: not carried")
            return
        s.extra[key] = text
        c.o.origin[("services", s.new, "extra", key)] = (v.at, path)
    return h


def _stop_timeout(t: str) -> str | None:
    sec = _duration_seconds(t)
    return str(int(sec + 0.999)) if sec is not None else None


def _shm(t: str) -> str | None:
    n = _go_units_bytes(t)
    return _memory_text(n) if n else None


def _container_name(c: _Converter, s: _Svc, v: V, path: str) -> None:
    c.note(v, path, "HF601", f"container_name is not carried: the container is named after the service, {s.new}")


def _links(c: _Converter, s: _Svc, v: V, path: str) -> None:
    for i, x in enumerate(_seq(v)):
        t = x.text() or ""
        if ":" in t:
            c.note(x, f"{path}[{i}]", "HF601", f"links: the alias in {t!r} is not carried: the service is reached by its name")


_HANDLERS: dict[str, Handler] = {
    "image": _image,
    "build": _build,
    "command": _command,
    "entrypoint": _entrypoint,
    "environment": _environment,
    "env_file": _env_file,
    "ports": _ports,
    "expose": _expose,
    "volumes": _volumes,
    "depends_on": _depends_on,
    "healthcheck": _healthcheck,
    "restart": _restart,
    "deploy": _deploy,
    "mem_limit": _mem_limit,
    "cpus": _cpus,
    "user": _user,
    "labels": _labels,
    "read_only": _bool_key("read_only"),
    "init": _bool_key("init"),
    "secrets": _secrets,
    "configs": _configs,
    "networks": _networks,
    "network_mode": _network_mode,
    "container_name": _container_name,
    "links": _links,
    "hostname": _one_value("HostName"),
    "working_dir": _one_value("WorkingDir"),
    "stop_signal": _one_value("StopSignal"),
    "stop_grace_period": _one_value("StopTimeout", _stop_timeout),
    "shm_size": _one_value("ShmSize", _shm),
    "pids_limit": _one_value("PidsLimit"),
    "userns_mode": _one_value("UserNS"),
    "cap_add": _words_key("AddCapability"),
    "cap_drop": _words_key("DropCapability"),
    "sysctls": _words_key("Sysctl"),
    "annotations": _words_key("Annotation"),
    "privileged": _podman_flag("--privileged"),
    "tty": _podman_flag("--tty"),
    "stdin_open": _podman_flag("--interactive"),
    "devices": _podman_flag("--device"),
    "ulimits": _podman_flag("--ulimit"),
    "tmpfs": _podman_flag("--tmpfs"),
    "extra_hosts": _podman_flag("--add-host"),
    "dns": _podman_flag("--dns"),
    "dns_search": _podman_flag("--dns-search"),
    "dns_opt": _podman_flag("--dns-option"),
    "security_opt": _podman_flag("--security-opt"),
    "group_add": _podman_flag("--group-add"),
    "pid": _podman_flag("--pid"),
    "ipc": _podman_flag("--ipc"),
    "domainname": _podman_flag("--domainname"),
    "mac_address": _podman_flag("--mac-address"),
    "oom_score_adj": _podman_flag("--oom-score-adj"),
    "cpu_shares": _podman_flag("--cpu-shares"),
    "mem_reservation": _podman_flag("--memory-reservation"),
    "memswap_limit": _podman_flag("--memory-swap"),
    "cgroup": _podman_flag("--cgroupns"),
}

# Compose keys not carried, with why.
_NOT_CARRIED: dict[str, str] = {
    "logging": "the container's output goes to the journal",
    "platform": "the VM's architecture decides",
    "pull_policy": "hostform pulls at the first start and auto-update follows the tag",
    "scale": "hostform runs one container per service",
    "volumes_from": "name the volumes themselves",
    "external_links": "the services reach each other by name",
    "runtime": "podman's default runtime runs",
    "isolation": "a Windows setting",
    "cgroup_parent": "systemd places the container",
    "storage_opt": "podman's storage settings apply",
    "blkio_config": "no block I/O limits in hostform",
    "cpu_count": "a Windows setting", "cpu_percent": "a Windows setting",
    "cpu_period": "use cpus", "cpu_quota": "use cpus", "cpu_rt_period": "no real-time scheduling",
    "cpu_rt_runtime": "no real-time scheduling", "cpuset": "systemd places the container",
    "mem_swappiness": "the VM's setting applies", "oom_kill_disable": "not carried",
    "credential_spec": "a Windows setting", "device_cgroup_rules": "not carried",
    "gpus": "no GPUs on the VM", "develop": "a development setting", "post_start": "lifecycle hooks are not carried",
    "pre_stop": "lifecycle hooks are not carried", "attach": "the output goes to the journal", "models": "not carried",
    "provider": "not carried", "label_file": "not carried", "use_api_socket": "no Docker API on the VM",
    "stop_grace_period": "", "uts": "not carried", "userns": "not carried",
}


def convert(project: Project, out_dir: Path, findings: list[Finding]) -> Out:
    """The host file's data for ``project``; what is not carried goes to ``findings``."""
    return _Converter(project, out_dir, findings).run()
