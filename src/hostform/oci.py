"""Build deterministic OCI images in Python and push them over the registry HTTP API.

No container engine and no third-party packages: a layer is a tar built from
:class:`Entry` values (all times 0, owner root, sorted), gzip with mtime 0, so
the same inputs always give the same digests. :func:`push` speaks the OCI
distribution API (``HEAD``/``POST``/``PUT`` blobs, ``PUT`` manifest) with
``urllib``; a plain-HTTP registry on loopback is what the end-to-end tests use.

    img = Image([layer_from_entries([Entry.file("/etc/x", b"hi")])], cmd=["/bin/sh"])
    digest = push(img, "127.0.0.1:5000", "site", "latest")
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
EPOCH = "1970-01-01T00:00:00Z"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One tar member: a regular file, a directory or a symlink."""

    path: str
    kind: str = "file"  # file | dir | symlink
    data: bytes = b""
    mode: int = 0o644
    target: str = ""

    @classmethod
    def file(cls, path: str, data: bytes | str, mode: int = 0o644) -> Entry:
        return cls(path, "file", data.encode() if isinstance(data, str) else data, mode)

    @classmethod
    def dir(cls, path: str, mode: int = 0o755) -> Entry:
        return cls(path, "dir", mode=mode)

    @classmethod
    def symlink(cls, path: str, target: str) -> Entry:
        return cls(path, "symlink", mode=0o777, target=target)


@dataclass(frozen=True)
class Layer:
    diff: bytes  # the uncompressed tar
    blob: bytes  # gzip of diff

    @property
    def diff_id(self) -> str:
        return digest(self.diff)

    @property
    def digest(self) -> str:
        return digest(self.blob)


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def tar_from_entries(entries: Iterable[Entry]) -> bytes:
    """A deterministic tar: members sorted by path, parent directories added, times 0."""
    by_path: dict[str, Entry] = {}
    for e in entries:
        by_path[e.path.strip("/")] = e
    for p in list(by_path):
        for parent in _parents(p):
            by_path.setdefault(parent, Entry.dir(parent))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name in sorted(by_path):
            e = by_path[name]
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            ti.mode = e.mode
            if e.kind == "file":
                ti.size = len(e.data)
                tf.addfile(ti, io.BytesIO(e.data))
            elif e.kind == "dir":
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            elif e.kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = e.target
                tf.addfile(ti)
            else:
                raise ValueError(f"unknown entry kind {e.kind!r}")
    return raw.getvalue()


def layer_from_tar(diff: bytes) -> Layer:
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, compresslevel=6) as g:
        g.write(diff)
    return Layer(diff, gz.getvalue())


def layer_from_entries(entries: Iterable[Entry]) -> Layer:
    return layer_from_tar(tar_from_entries(entries))


def entries_from_dir(src: Path, dest: str = "/") -> list[Entry]:
    """Entries for a host directory tree (modes kept, owners and times dropped)."""
    out: list[Entry] = []
    base = dest.strip("/")
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src).as_posix()
        name = f"{base}/{rel}" if base else rel
        mode = p.lstat().st_mode & 0o7777
        if p.is_symlink():
            out.append(Entry.symlink(name, str(p.readlink())))
        elif p.is_dir():
            out.append(Entry.dir(name, mode))
        else:
            out.append(Entry.file(name, p.read_bytes(), mode))
    return out


@dataclass(frozen=True)
class Image:
    layers: Sequence[Layer]
    cmd: Sequence[str] | None = None
    entrypoint: Sequence[str] | None = None
    env: Sequence[str] = ("PATH=/usr/local/bin:/usr/bin:/bin",)
    labels: Mapping[str, str] = field(default_factory=dict)
    exposed_ports: Sequence[str] = ()
    workdir: str = ""
    architecture: str = "amd64"

    def config_bytes(self) -> bytes:
        cfg: dict[str, object] = {"Env": list(self.env)}
        if self.cmd is not None:
            cfg["Cmd"] = list(self.cmd)
        if self.entrypoint is not None:
            cfg["Entrypoint"] = list(self.entrypoint)
        if self.labels:
            cfg["Labels"] = dict(self.labels)
        if self.exposed_ports:
            cfg["ExposedPorts"] = {p: {} for p in self.exposed_ports}
        if self.workdir:
            cfg["WorkingDir"] = self.workdir
        doc = {
            "architecture": self.architecture,
            "os": "linux",
            "created": EPOCH,
            "config": cfg,
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in self.layers]},
            "history": [{"created": EPOCH, "created_by": "hostform.oci"} for _ in self.layers],
        }
        return _canonical(doc)

    def manifest_bytes(self) -> bytes:
        config = self.config_bytes()
        doc = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "digest": digest(config), "size": len(config)},
            "layers": [{"mediaType": LAYER_TYPE, "digest": x.digest, "size": len(x.blob)} for x in self.layers],
        }
        return _canonical(doc)

    @property
    def digest(self) -> str:
        """The manifest digest: what a registry reports as Docker-Content-Digest."""
        return digest(self.manifest_bytes())


def _canonical(doc: object) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


# ---------------------------------------------------------------- registry API


class RegistryError(Exception):
    pass


Auth = tuple[str, str]  # (user, password): HTTP basic authentication, for a registry that asks for it


def _auth_headers(auth: Auth | None) -> dict[str, str]:
    if auth is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()}


def _request(
    method: str, url: str, data: bytes | None = None, headers: Mapping[str, str] | None = None, timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http to a given registry)
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def push_blob(base: str, repo: str, blob: bytes, auth: Auth | None = None) -> str:
    dg = digest(blob)
    who = _auth_headers(auth)
    st, _, _ = _request("HEAD", f"{base}/v2/{repo}/blobs/{dg}", headers=who)
    if st == 200:
        return dg
    st, h, body = _request("POST", f"{base}/v2/{repo}/blobs/uploads/", headers=who)
    if st != 202 or "Location" not in h:
        raise RegistryError(f"starting an upload to {repo}: HTTP {st} {body[:300]!r}")
    loc = h["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    st, h, body = _request(
        "PUT",
        f"{loc}{sep}digest={urllib.parse.quote(dg)}",
        data=blob,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(blob)), **who},
    )
    if st != 201:
        raise RegistryError(f"uploading blob {dg} to {repo}: HTTP {st} {body[:300]!r}")
    return dg


def push(image: Image, registry: str, repo: str, tag: str = "latest", auth: Auth | None = None) -> str:
    """Push ``image`` as ``registry/repo:tag`` (plain HTTP; ``auth``: basic authentication);
    returns the manifest digest."""
    base = registry if "://" in registry else f"http://{registry}"
    for layer in image.layers:
        push_blob(base, repo, layer.blob, auth)
    push_blob(base, repo, image.config_bytes(), auth)
    manifest = image.manifest_bytes()
    st, h, body = _request(
        "PUT", f"{base}/v2/{repo}/manifests/{tag}", data=manifest, headers={"Content-Type": MANIFEST_TYPE, **_auth_headers(auth)}
    )
    if st != 201:
        raise RegistryError(f"pushing manifest {repo}:{tag}: HTTP {st} {body[:300]!r}")
    got = h.get("Docker-Content-Digest", digest(manifest))
    return got


def head(registry: str, repo: str, tag: str = "latest", auth: Auth | None = None) -> str | None:
    """The digest ``registry/repo:tag`` points at, or None if absent."""
    base = registry if "://" in registry else f"http://{registry}"
    st, h, _ = _request("HEAD", f"{base}/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE, **_auth_headers(auth)})
    return h.get("Docker-Content-Digest") if st == 200 else None


# ---------------------------------------------------------------- image recipes used by `try` and the tests

BUSYBOX_APPLETS = ("sh", "cat", "echo", "httpd", "ls", "sleep", "wget", "env", "id", "true", "false", "mkdir")


def busybox_image(busybox: bytes, files: Mapping[str, bytes | str] | None = None, cmd: Sequence[str] | None = None,
                  labels: Mapping[str, str] | None = None) -> Image:
    """A one-layer image: static busybox with applet links, minimal passwd/group, plus ``files``."""
    entries = [Entry.dir(d) for d in ("bin", "etc", "proc", "sys", "dev", "run", "var")]
    entries += [Entry.dir("tmp", 0o1777), Entry.dir("var/tmp", 0o1777)]
    entries.append(Entry.file("bin/busybox", busybox, 0o755))
    entries += [Entry.symlink(f"bin/{a}", "busybox") for a in BUSYBOX_APPLETS]
    entries.append(Entry.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"))
    entries.append(Entry.file("etc/group", "root:x:0:\nnogroup:x:65534:\n"))
    for path, data in (files or {}).items():
        entries.append(Entry.file(path, data))
    return Image([layer_from_entries(entries)], cmd=list(cmd) if cmd else ["/bin/sh"], labels=dict(labels or {}))


def single_binary_image(path: str, binary: bytes, files: Mapping[str, bytes | str] | None = None,
                        entrypoint: Sequence[str] | None = None, cmd: Sequence[str] | None = None,
                        env: Sequence[str] = ("PATH=/usr/bin:/bin",)) -> Image:
    """An image holding one static binary (e.g. Caddy) plus a few files."""
    entries = [Entry.dir(d) for d in ("etc", "proc", "sys", "dev", "run", "var")]
    entries += [Entry.dir("tmp", 0o1777)]
    entries.append(Entry.file(path, binary, 0o755))
    entries.append(Entry.file("etc/passwd", "root:x:0:0:root:/root:/bin/false\n"))
    entries.append(Entry.file("etc/group", "root:x:0:\n"))
    for p, data in (files or {}).items():
        entries.append(Entry.file(p, data))
    return Image([layer_from_entries(entries)], entrypoint=entrypoint, cmd=cmd, env=env)


CADDY_CMD = ("/usr/bin/caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile")


def caddy_image(caddy: bytes, busybox: bytes | None = None, labels: Mapping[str, str] | None = None) -> Image:
    """Caddy laid out like the official image (XDG dirs /data and /config, Caddyfile in /etc/caddy).

    With ``busybox``, its ``wget`` is there too: the health check hostform writes for Caddy uses it.
    """
    entries = [Entry.dir(d) for d in ("bin", "etc", "etc/caddy", "proc", "sys", "dev", "run", "var", "data", "config")]
    entries += [Entry.dir("tmp", 0o1777), Entry.file("usr/bin/caddy", caddy, 0o755)]
    entries.append(Entry.file("etc/passwd", "root:x:0:0:root:/root:/bin/false\n"))
    entries.append(Entry.file("etc/group", "root:x:0:\n"))
    if busybox is not None:
        entries.append(Entry.file("bin/busybox", busybox, 0o755))
        entries += [Entry.symlink(f"bin/{a}", "busybox") for a in ("sh", "wget", "cat", "ls")]
    env = ("PATH=/usr/bin:/bin", "XDG_CONFIG_HOME=/config", "XDG_DATA_HOME=/data")
    return Image([layer_from_entries(entries)], cmd=list(CADDY_CMD), env=env, labels=dict(labels or {}),
                 exposed_ports=("80/tcp", "443/tcp", "443/udp"))


def page_image(busybox: bytes, port: int, page: str, labels: Mapping[str, str] | None = None) -> Image:
    """A busybox httpd answering on ``port`` with ``page`` at / (stand-ins, test sites)."""
    return busybox_image(busybox, {"www/index.html": page}, cmd=["/bin/httpd", "-f", "-p", str(port), "-h", "/www"],
                         labels=labels)
