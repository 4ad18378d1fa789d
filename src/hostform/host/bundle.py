"""The Bundle: everything one VM will get, with where each piece came from.

:func:`hostform.pipeline.build` makes it, from a ``hostform.yaml`` (render,
then Butane) or from a plain Butane project (a directory with ``main.bu`` and
its local files, translated unchanged); the checks and every command read it.

The files and units are read back from the final Ignition config (data URLs
decoded, gzip included), so the checks see exactly what the machine will see,
and each one is mapped to the file a user edits (``source``, ``line``, ``col``,
relative to the project directory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hostform.diagnostics import Report

if TYPE_CHECKING:
    from hostform.host.model import Host
    from hostform.host.render import Rendered
    from hostform.terraform.model import Target

__all__ = ["Bundle", "BundleFile", "BundleUnit", "butane_sources", "decode_data_url", "files_and_units"]


@dataclass(frozen=True)
class BundleFile:
    """One file the VM will have, and the place in the user's files it comes from."""

    vm_path: str
    text: str
    mode: int | None = None
    source: str = ""
    line: int = 1
    col: int = 1
    generated: bool = False  # written by hostform from the host file (not the user's own text)


@dataclass(frozen=True)
class BundleUnit:
    """One ``systemd.units`` entry, with its drop-ins as ``(name, text)``."""

    name: str
    text: str | None = None
    enabled: bool | None = None
    dropins: tuple[tuple[str, str], ...] = ()
    source: str = ""
    line: int = 1
    col: int = 1


@dataclass(frozen=True)
class Bundle:
    """What the pipeline made of one project, stage by stage; a stage that failed leaves its fields empty."""

    dir: Path
    name: str
    kind: Literal["host", "butane", "none"]  # a host file, a plain Butane project, or neither
    report: Report = field(default_factory=Report)  # every finding, in pipeline order
    host: Host | None = None  # the loaded host file (kind "host")
    podman_version: str = ""  # the target podman (major.minor) the checks emulate
    rendered: Rendered | None = None  # quadlets, Caddyfile, Butane (kind "host")
    butane_text: str | None = None  # the Butane translated: the generated main.bu, or the user's
    ignition: dict[str, Any] | None = None
    ignition_text: str | None = None
    files: tuple[BundleFile, ...] = ()
    units: tuple[BundleUnit, ...] = ()
    target: Target | None = None  # where it runs: the host file's `target:`, or target.json
    target_where: tuple[str, int, int] | None = None  # (file, line, col) of that target
    terraform: dict[str, Any] | None = None  # main.tf.json, when there is a target and it rendered

    def file(self, vm_path: str) -> BundleFile | None:
        for f in self.files:
            if f.vm_path == vm_path:
                return f
        return None

    def unit(self, name: str) -> BundleUnit | None:
        for u in self.units:
            if u.name == name:
                return u
        return None


def decode_data_url(source: str, compression: str | None = None) -> bytes | None:
    """The bytes of a ``data:`` URL (RFC 2397), gunzipped when asked; None otherwise."""
    if not source.startswith("data:"):
        return None
    head, sep, payload = source[5:].partition(",")
    if not sep:
        return None
    from urllib.parse import unquote_to_bytes

    if head.endswith(";base64"):
        import base64

        try:
            raw = base64.b64decode(unquote_to_bytes(payload), validate=False)
        except ValueError:
            return None
    else:
        raw = unquote_to_bytes(payload)
    if compression == "gzip":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            return None
    return raw


def _text(b: bytes | None) -> str:
    return "" if b is None else b.decode("utf-8", "surrogateescape")


def files_and_units(ign: dict[str, Any]) -> tuple[list[BundleFile], list[BundleUnit]]:
    """Files and units of an Ignition config (no sources yet)."""
    files: list[BundleFile] = []
    for f in (ign.get("storage") or {}).get("files") or []:
        contents = f.get("contents") or {}
        src = contents.get("source")
        data = decode_data_url(src, contents.get("compression")) if isinstance(src, str) else b""
        for app in f.get("append") or []:
            s = app.get("source")
            if isinstance(s, str):
                data = (data or b"") + (decode_data_url(s, app.get("compression")) or b"")
        files.append(BundleFile(vm_path=f.get("path", ""), text=_text(data), mode=f.get("mode")))
    units: list[BundleUnit] = []
    for u in (ign.get("systemd") or {}).get("units") or []:
        drops = tuple((d.get("name", ""), d.get("contents") or "") for d in u.get("dropins") or [])
        units.append(BundleUnit(name=u.get("name", ""), text=u.get("contents"), enabled=u.get("enabled"), dropins=drops))
    return files, units


def _get(node: Any, key: str) -> Any:
    if node is None or node.kind != "mapping":
        return None
    for k, v in node.items:
        if k.kind == "scalar" and k.value == key:
            return v
    return None


def butane_sources(root: Any, main: str) -> tuple[dict[str, tuple[str, int, int]], dict[str, tuple[str, int, int]]]:
    """vm path -> (source, line, col) and unit name -> (source, line, col), from main.bu's tree."""
    fsrc: dict[str, tuple[str, int, int]] = {}
    usrc: dict[str, tuple[str, int, int]] = {}
    files = _get(_get(root, "storage"), "files")
    for item in files.items if files is not None and files.kind == "sequence" else []:
        p = _get(item, "path")
        if p is None or p.kind != "scalar":
            continue
        contents = _get(item, "contents")
        local = _get(contents, "local")
        inline = _get(contents, "inline")
        if local is not None and local.kind == "scalar":
            fsrc[p.value] = (local.value, 1, 1)
        elif inline is not None:
            # a block scalar's content starts on the next line
            line = inline.line + 1 if inline.style in ("|", ">", "literal", "folded") else inline.line
            fsrc[p.value] = (main, line, inline.column)
        else:
            fsrc[p.value] = (main, item.line, item.column)
    units = _get(_get(root, "systemd"), "units")
    for item in units.items if units is not None and units.kind == "sequence" else []:
        n = _get(item, "name")
        if n is None or n.kind != "scalar":
            continue
        local = _get(item, "contents_local")
        inline = _get(item, "contents")
        if local is not None and local.kind == "scalar":
            usrc[n.value] = (local.value, 1, 1)
        elif inline is not None:
            line = inline.line + 1 if inline.style in ("|", ">", "literal", "folded") else inline.line
            usrc[n.value] = (main, line, inline.column)
        else:
            usrc[n.value] = (main, item.line, item.column)
    return fsrc, usrc
