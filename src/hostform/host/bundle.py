"""The Bundle: everything one VM will get, with where each piece came from.

A Bundle is what the build produces and what the checks read.  It is built
two ways:

* :func:`bundle_from_host`: from a ``hostform.yaml`` (render, then Butane);
* :func:`bundle_from_butane`: from a plain Butane project (a directory with
  ``main.bu`` and its local files), translated unchanged.

In both cases the files and units are read back from the final Ignition
config (data URLs decoded, gzip included), so the checks see exactly what the
machine will see, and each one is mapped to the file a user edits
(``source``, ``line``, ``col``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostform.diagnostics import Report

__all__ = ["Bundle", "BundleFile", "BundleUnit", "bundle_from_butane", "bundle_from_host", "decode_data_url"]


@dataclass
class BundleFile:
    """One file the VM will have."""

    vm_path: str
    text: str
    mode: int | None = None
    source: str = ""
    line: int = 1
    col: int = 1
    generated: bool = False


@dataclass
class BundleUnit:
    """One ``systemd.units`` entry, with its drop-ins as ``(name, text)``."""

    name: str
    text: str | None = None
    enabled: bool | None = None
    dropins: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""
    line: int = 1
    col: int = 1


@dataclass
class Bundle:
    name: str
    files: list[BundleFile] = field(default_factory=list)
    units: list[BundleUnit] = field(default_factory=list)
    ignition: dict | None = None
    ignition_text: str | None = None
    butane_text: str | None = None
    podman_version: str = ""
    host: Any = None
    report: Report = field(default_factory=Report)

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


def files_and_units(ign: dict) -> tuple[list[BundleFile], list[BundleUnit]]:
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
        drops = [(d.get("name", ""), d.get("contents") or "") for d in u.get("dropins") or []]
        units.append(BundleUnit(name=u.get("name", ""), text=u.get("contents"), enabled=u.get("enabled"), dropins=drops))
    return files, units


def _get(node: Any, key: str) -> Any:
    if node is None or node.kind != "mapping":
        return None
    for k, v in node.items:
        if k.kind == "scalar" and k.value == key:
            return v
    return None


def _butane_sources(root: Any, main: str) -> tuple[dict[str, tuple[str, int, int]], dict[str, tuple[str, int, int]]]:
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


def bundle_from_butane(dir: Path, main: str = "main.bu") -> Bundle:
    """A plain Butane project: translate ``dir/main`` with ``dir`` as files-dir, read the result back."""
    from hostform.butane.report import correlate
    from hostform.butane.translate import Options, translate_bytes

    dir = Path(dir)
    bundle = Bundle(name=dir.resolve().name)
    from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION

    bundle.podman_version = DEFAULT_PODMAN_VERSION
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input

    # a regular file (a FIFO or /dev/zero must not hang the build) of at most 16 MiB: it
    # may inline local files, which have that cap too
    data = read_input(None, str(dir / main), LOCAL_FILE_CAP, "a Butane config")
    if isinstance(data, InputError):
        bundle.report.error("HF004", f"{main} {data}", file=str(main))
        return bundle
    bundle.butane_text = data.decode("utf-8", "surrogateescape")
    res = translate_bytes(data, Options(files_dir=str(dir), pretty=False, safe_inputs=True))
    for d in correlate(res.report.entries, res.root, data, main):
        if d.code in ("HF003",):
            # an unused key in Butane is a Butane warning (as `butane` prints it)
            bundle.report.add(d)
        else:
            bundle.report.add(d)
    if res.error is not None:
        code = "HF001" if res.error.startswith(("Error unmarshaling yaml", "yaml:")) else "HF100"
        if "No translator exists" in res.error:
            code = "HF102"
        if not res.report.is_fatal() or code != "HF100":
            bundle.report.error(code, res.error, file=main, line=1, col=1)
        return bundle
    out = res.output or ""
    bundle.ignition_text = out if out.endswith("\n") else out + "\n"
    import json

    bundle.ignition = json.loads(out)
    files, units = files_and_units(bundle.ignition)
    fsrc, usrc = _butane_sources(res.root, main)
    for f in files:
        f.source, f.line, f.col = fsrc.get(f.vm_path, (main, 1, 1))
    for u in units:
        u.source, u.line, u.col = usrc.get(u.name, (main, 1, 1))
    bundle.files, bundle.units = files, units
    return bundle


def bundle_from_host(dir: Path) -> Bundle:
    """A host built from ``dir/hostform.yaml`` (see :mod:`hostform.host.build`)."""
    from hostform.host.build import build_bundle

    return build_bundle(Path(dir))
