"""What ``hostform try`` changes in a built host to boot it here, offline: pure functions.

    quadlet_containers(doc)        the .container files of an Ignition config: name, image, ports
    stand_in_plan(containers, ..)  one stand-in image per distinct image reference, pushed to the
                                   local registry under ``stand-in/<registry host>/<path>:<tag>``;
                                   each registry host remapped there (registries.conf, in the guest)
    internal_ca(caddyfile)         Caddy on its internal CA (``local_certs``) instead of ACME
    site_names(caddyfile)          the site addresses, to tell the user which host name to use

Only the try machine's copy of the Ignition changes; the build output stays as it is.
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass, field
from typing import Any

from hostform.host.bundle import decode_data_url

QUADLET_DIR = "/etc/containers/systemd/"
CADDYFILE = "/etc/caddy/Caddyfile"
CADDY_IMAGE_PREFIX = "docker.io/library/caddy"


# ---------------------------------------------------------------- Ignition files


def _files(doc: dict[str, Any]) -> list[dict[str, Any]]:
    storage = doc.get("storage")
    files = storage.get("files") if isinstance(storage, dict) else None
    return [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []


def file_text(doc: dict[str, Any], path: str) -> str | None:
    for f in _files(doc):
        if f.get("path") == path:
            contents = f.get("contents") or {}
            raw = decode_data_url(str(contents.get("source") or ""), contents.get("compression"))
            return raw.decode(errors="replace") if raw is not None else None
    return None


def set_file_text(doc: dict[str, Any], path: str, text: str) -> None:
    for f in _files(doc):
        if f.get("path") == path:
            f["contents"] = {"source": "data:;base64," + base64.b64encode(text.encode()).decode()}
            return
    raise KeyError(path)


# ---------------------------------------------------------------- quadlets


@dataclass
class Container:
    file: str  # e.g. live.container
    name: str  # the container / service name
    image: str
    ports: list[int] = field(default_factory=list)  # ports it listens on inside


def _keys(text: str, section: str) -> list[tuple[str, str]]:
    out, current = [], ""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            current = s[1:-1]
        elif current == section and "=" in s and not s.startswith(("#", ";")):
            k, _, v = s.partition("=")
            out.append((k.strip(), v.strip()))
    return out


def quadlet_containers(doc: dict[str, Any]) -> list[Container]:
    found = []
    for f in _files(doc):
        path = str(f.get("path", ""))
        if not (path.startswith(QUADLET_DIR) and path.endswith(".container")):
            continue
        text = file_text(doc, path) or ""
        keys = _keys(text, "Container")
        image = next((v for k, v in keys if k == "Image"), "")
        base = path.rsplit("/", 1)[-1]
        name = next((v for k, v in keys if k == "ContainerName"), base.removesuffix(".container"))
        ports = []
        for k, v in keys:
            if k == "ExposeHostPort":
                ports += [int(p) for p in re.findall(r"\d+", v.split("-")[0])[:1]]
            elif k == "PublishPort":
                inner = v.split("/")[0].rsplit(":", 1)[-1]
                if inner.isdigit():
                    ports.append(int(inner))
        found.append(Container(base, name, image, sorted(set(ports))))
    return found


def drop_exec(text: str) -> str:
    """A stand-in runs its own page server: the service's Exec=/Entrypoint= would not exist in it."""
    return "".join(line for line in text.splitlines(keepends=True) if not re.match(r"\s*(Exec|Entrypoint)\s*=", line))


# ---------------------------------------------------------------- stand-ins


@dataclass
class StandIn:
    image: str  # the reference the host uses
    repo: str  # where it is pushed in the local registry
    tag: str
    services: list[str]
    ports: list[int]
    caddy: bool = False


def split_reference(image: str) -> tuple[str, str, str] | None:
    """``host/path:tag`` -> (host, path, tag); None for digests or references without a registry host."""
    if "@" in image:
        return None
    host, _, rest = image.partition("/")
    if not rest or not ("." in host or ":" in host or host == "localhost"):
        return None
    path, _, tag = rest.rpartition(":") if ":" in rest else (rest, "", "latest")
    return host, path, tag or "latest"


def stand_in_plan(containers: list[Container]) -> tuple[list[StandIn], list[str]]:
    """Stand-ins by image reference, and the references that cannot have one (digests, short names)."""
    by_image: dict[str, StandIn] = {}
    skipped = []
    for c in containers:
        ref = split_reference(c.image)
        if ref is None:
            skipped.append(c.image)
            continue
        host, path, tag = ref
        s = by_image.setdefault(
            c.image, StandIn(c.image, f"stand-in/{host}/{path}".lower(), tag, [], [], c.image.startswith(CADDY_IMAGE_PREFIX + ":"))
        )
        s.services.append(c.name)
        s.ports = sorted(set(s.ports) | set(c.ports))
    return list(by_image.values()), skipped


def remaps(stand_ins: list[StandIn], registry_in_guest: str) -> dict[str, str]:
    """Registry host -> the local registry's stand-in namespace for it."""
    out = {}
    for s in stand_ins:
        host = s.image.split("/", 1)[0]
        out[host] = f"{registry_in_guest}/stand-in/{host.lower()}"
    return out


def page(s: StandIn) -> str:
    return (
        f"<!doctype html><title>stand-in: {', '.join(s.services)}</title>\n"
        f"<h1>hostform try: stand-in for {', '.join(s.services)}</h1>\n"
        f"<p>This machine runs a busybox page in place of <code>{s.image}</code> (not reachable offline).</p>\n"
    )


def page_cmd(ports: list[int]) -> list[str]:
    """busybox httpd on every port (port 80 when the service declares none)."""
    ports = ports or [80]
    background = "".join(f"httpd -p {p} -h /www; " for p in ports[:-1])
    return ["/bin/sh", "-c", f"{background}exec httpd -f -p {ports[-1]} -h /www"]


# ---------------------------------------------------------------- Caddy


def internal_ca(caddyfile: str) -> str:
    """The Caddyfile with Caddy's internal CA for every site (``local_certs``), no ACME."""
    if re.search(r"^\s*local_certs\s*$", caddyfile, re.M):
        return caddyfile
    lines = caddyfile.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), None)
    if first is not None and lines[first].strip() == "{":
        return "".join(lines[: first + 1] + ["\tlocal_certs\n", "\tskip_install_trust\n"] + lines[first + 1 :])
    return "{\n\tlocal_certs\n\tskip_install_trust\n}\n\n" + caddyfile


def site_names(caddyfile: str) -> list[str]:
    """Addresses of the top-level site blocks (``soap.coffee {`` / ``a.example, b.example {``)."""
    names = []
    for line in caddyfile.splitlines():
        if not line or line[0].isspace() or line.startswith(("{", "(", "#", "}")):
            continue
        head = line.rstrip().removesuffix("{").strip()
        for addr in re.split(r"[,\s]+", head):
            addr = re.sub(r"^https?://", "", addr).split("/")[0]
            if addr:
                names.append(addr)
    return names


def prepare(doc: dict[str, Any], stand_ins: list[StandIn] | None) -> dict[str, Any]:
    """A copy of the config for the try machine: Caddy on the internal CA; stand-in'd quadlets without Exec=."""
    doc = copy.deepcopy(doc)
    caddyfile = file_text(doc, CADDYFILE)
    if caddyfile is not None:
        set_file_text(doc, CADDYFILE, internal_ca(caddyfile))
    if stand_ins:
        images = {s.image for s in stand_ins if not s.caddy}
        for c in quadlet_containers(doc):
            if c.image in images:
                path = QUADLET_DIR + c.file
                set_file_text(doc, path, drop_exec(file_text(doc, path) or ""))
    return doc
