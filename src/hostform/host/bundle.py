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
    from hostform.yamlpos import Node

__all__ = ["Bundle", "BundleFile", "BundleUnit", "ButaneSources", "decode_data_url", "files_and_units"]


@dataclass(frozen=True)
class BundleFile:
    """One file the VM will have, and the place in the user's files it comes from."""

    vm_path: str
    text: str
    mode: int | None = None
    source: str = ""
    line: int = 1
    col: int = 1
    indent: int = 0  # columns each line of ``text`` is indented by in ``source`` (text embedded in a Butane config)
    generated: bool = False  # written by hostform from the host file (not the user's own text)
    # generated only: (line, col) in ``source`` of each line of ``text`` (the Caddyfile: its site, or the
    # line of a site's `caddy` snippet it is); empty: every finding is at ``line``/``col``
    line_map: tuple[tuple[int, int], ...] = ()


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
    main: str = "main.bu"  # the Butane file of a plain project (kind "butane")
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
    # of main.ign without the secrets' values, and of their encrypted files (hostform.pipeline.fingerprint):
    # changes whenever main.ign does, yet holds no hash of a value (the local target's Terraform keeps it)
    fingerprint: str | None = None
    sealed_digest: str = ""  # SHA-256 over the secrets' files in the project (part of ``fingerprint``)

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


def _get(node: Node | None, key: str) -> tuple[Node, Node] | None:
    """(key node, value node) of ``key`` in a mapping node, or None."""
    if node is None or node.kind != "mapping":
        return None
    for k, v in node.items:
        if k.kind == "scalar" and k.value == key:
            return k, v
    return None


def _value(node: Node | None, key: str) -> Node | None:
    got = _get(node, key)
    return got[1] if got is not None else None


def _items(node: Node | None) -> list[Node]:
    return list(node.items) if node is not None and node.kind == "sequence" else []


def _scalar(node: Node | None) -> str | None:
    return node.value if node is not None and node.kind == "scalar" else None


class ButaneSources:
    """Where the files and units of a Butane config come from, read from its YAML tree: for a file,
    ``(source, line, col, indent)`` (``indent``: the columns each of its lines is indented by in
    ``source``, for text embedded in the config); for a unit, where its ``name:`` key is (or its
    ``contents_local`` file). Sources are relative to the files directory (the project)."""

    def __init__(self, root: Node | None, name: str, text: str) -> None:
        self.name = name
        self.files: dict[str, tuple[str, int, int, int]] = {}
        self.units: dict[str, tuple[str, int, int]] = {}
        self.trees: list[tuple[str, str]] = []  # (path on the VM, local directory)
        lines = text.split("\n")
        storage = _value(root, "storage")
        for item in _items(_value(storage, "files")):
            path = _scalar(_value(item, "path"))
            if path is None:
                continue
            contents = _value(item, "contents")
            local, inline = _scalar(_value(contents, "local")), _value(contents, "inline")
            if local is not None:
                self.files[path] = (local, 1, 1, 0)
            elif inline is not None and inline.kind == "scalar" and inline.style in ("|", ">"):
                # a block scalar's text starts on the next line, indented as its first non-blank line
                self.files[path] = (name, inline.line + 1, 1, _block_indent(lines, inline.line))
            elif inline is not None:
                self.files[path] = (name, inline.line, inline.column, inline.column - 1)
            else:
                self.files[path] = (name, item.line, item.column, 0)
        for item in _items(_value(storage, "trees")):
            local = _scalar(_value(item, "local"))
            if local is not None:
                self.trees.append((_scalar(_value(item, "path")) or "/", local))
        for item in _items(_value(_value(root, "systemd"), "units")):
            got = _get(item, "name")
            unit = _scalar(got[1]) if got is not None else None
            if got is None or unit is None:
                continue
            local = _scalar(_value(item, "contents_local"))
            self.units[unit] = (local, 1, 1) if local is not None else (name, got[0].line, got[0].column)

    def file(self, vm_path: str) -> tuple[str, int, int, int] | None:
        """Where the file at ``vm_path`` comes from: a ``storage.files`` entry, else a tree."""
        found = self.files.get(vm_path)
        if found is not None:
            return found
        from hostform import gostd

        for path, local in self.trees:
            top = gostd.clean(path)
            if vm_path.startswith(top.rstrip("/") + "/"):
                return (gostd.join(local, vm_path[len(top.rstrip("/")) + 1 :]), 1, 1, 0)
        return None

    def unit(self, name: str) -> tuple[str, int, int] | None:
        return self.units.get(name)


def _block_indent(lines: list[str], header: int) -> int:
    """The indentation of a block scalar's text: that of its first non-blank line after line ``header``."""
    for s in lines[header:]:
        if s.strip():
            return len(s) - len(s.lstrip(" "))
    return 0
