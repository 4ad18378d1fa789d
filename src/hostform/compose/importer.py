"""Compose files in, a host file (plus plain quadlets) and a report out: the pipeline of ``hostform import compose``.

    read      the Compose files, merged and interpolated            (compose.project)
    convert   services -> the host file's data, findings             (compose.convert)
    check     the host file's own loader on the text written; a value it refuses is taken out and reported at the
              Compose value it came from, until the loader accepts the file (so ``hostform build`` does)
    write     commented YAML                                         (compose.write)

Pure: nothing is written here (the CLI writes :class:`Imported`); the same input gives the same text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hostform.compose.convert import Out, convert
from hostform.compose.project import Finding, load_project
from hostform.compose.tree import Where
from hostform.compose.write import to_yaml

__all__ = ["Imported", "import_compose", "report_text"]


@dataclass(frozen=True)
class Imported:
    """The host file's text (None when nothing could be read as Compose), the quadlet files (relative path ->
    text), and the findings in file order (an ``error`` only when nothing was written)."""

    host_text: str | None
    quadlets: dict[str, str]
    findings: list[Finding]


def _header(files: list[str]) -> str:
    return (f"# hostform.yaml, imported from {', '.join(files)} by `hostform import compose`.\n"
            "# What was not carried (or was carried differently) is in import-report.txt, with the line of your\n"
            "# Compose file. `hostform build` turns this file into the VM's configuration; `hostform schema` lists every key.\n\n")


def import_compose(
    files: list[tuple[Path, str]],
    out_dir: Path,
    environ: dict[str, str],
    env_file: Path | None = None,
    profiles: list[str] | None = None,
) -> Imported:
    """Import ``files`` ((path, name as the user wrote it), merged in order) for a host file in ``out_dir``."""
    findings: list[Finding] = []
    project = load_project(files, environ, env_file, list(profiles or ()), findings)
    if project is None:
        return Imported(None, {}, [f for f in findings if f.severity == "error"][-1:])
    out = convert(project, out_dir, findings)
    from hostform.secrets import sealed_names

    sealed = set(sealed_names(out_dir))
    if "secrets" in out.host:
        for name in [n for n, v in out.host["secrets"].items() if v == {} and n in sealed]:
            del out.host["secrets"][name]  # its value is set already (secrets/NAME.age)
        if not out.host["secrets"]:
            del out.host["secrets"]
    header = _header([d for _, d in files])
    text = _checked(out, header, sorted(sealed), findings)
    findings[:] = [_in_file_terms(f, project.local_paths) for f in findings]
    order = {d: i for i, (_, d) in enumerate(files)}
    findings.sort(key=lambda f: (order.get(f.at.file, len(order)), f.at.file, f.at.line, f.at.col, f.path))
    return Imported(text, out.quadlets, _dedup(findings))


def _in_file_terms(f: Finding, local: dict[Where, str]) -> Finding:
    """``f`` with the key path its file has at its position; the merged project's path, when it differs (a
    service's value written in the service it extends, an item of an override file's list), goes in the message.
    A value written under an ``x-`` field and reached through an alias is named by the service's path."""
    here = local.get(f.at)
    if here is None or here == f.path or not f.path or not here.startswith("services."):
        return f  # (a value reached through an alias of an `x-` field keeps the service's path)
    return Finding(f.at, here, f.code, f"{f.message} (as {f.path} in the merged project)", f.severity)


def _dedup(findings: list[Finding]) -> list[Finding]:
    seen: set[Finding] = set()
    out = []
    for f in findings:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def _checked(out: Out, header: str, sealed: list[str], findings: list[Finding]) -> str:
    """The host file's text once its loader accepts it: each value it refuses is taken out and reported."""
    from hostform.host.load import load_text

    for _ in range(200):
        text = to_yaml(out.host, out.comments, header)
        loaded = load_text(text, "hostform.yaml", None, sealed)
        errors = [d for d in loaded.report.errors if d.path is not None]
        if not errors and not loaded.report.errors:
            return text
        if not errors:
            break
        # One load finds every refused value: take them all out at once (a large project has dozens),
        # the last list item first so that the earlier ones keep their indexes. Taking a service out
        # changes other services' lists (their depends_on), so that one goes alone, and the file is
        # loaded again.
        whole = [d for d in errors if _takes_service(tuple(d.path or ()))]
        batch = whole[:1] or sorted(errors, key=lambda d: _path_key(tuple(d.path or ())), reverse=True)
        done: set[tuple[Any, ...]] = set()
        for d in batch:
            path = tuple(d.path or ())
            if path in done:
                continue
            done.add(path)
            at, cpath = _origin(out, path)
            removed = _remove(out, path, d.code)
            findings.append(Finding(at, cpath, "HF614", f"not carried: hostform refuses it ({d.code}: {d.message})"
                                    + (f"; {removed}" if removed else "")))
    # what the loop could not fix: keep the file loadable with nothing but the name
    findings.append(Finding(Where("hostform.yaml", 1, 1), "", "HF614", "the imported host file did not pass hostform's checks: "
                            "only its name was kept (please report this as a bug in hostform)"))
    out.host = {"name": out.host.get("name", "host")}
    return to_yaml(out.host, {}, header)


def _takes_service(path: tuple[Any, ...]) -> bool:
    """Whether refusing the value at ``path`` takes its whole service out (see ``_remove``)."""
    return len(path) >= 2 and path[0] == "services" and (len(path) == 2 or path[2] == "image")


def _path_key(path: tuple[Any, ...]) -> tuple[tuple[int, int, str], ...]:
    """A sort key for mixed key paths: list indexes by number, names by text."""
    return tuple((0, k, "") if isinstance(k, int) else (1, 0, str(k)) for k in path)


def _origin(out: Out, path: tuple[Any, ...]) -> tuple[Where, str]:
    p = path
    while p:
        if p in out.origin:
            return out.origin[p]
        p = p[:-1]
    return Where("hostform.yaml", 1, 1), ".".join(str(x) for x in path)


def _remove(out: Out, path: tuple[Any, ...], code: str) -> str:
    """Take the refused value at ``path`` out of ``out.host``; what else went with it, in words."""
    h = out.host
    if _takes_service(path):
        return _remove_service(out, str(path[1]))
    if len(path) >= 2 and path[0] == "sites":
        h.get("sites", {}).pop(path[1], None)
        if not h.get("sites"):
            h.pop("sites", None)
        return "the site is left out"
    # walk to the parent of the refused value (a list item, a mapping entry)
    parent: Any = h
    for k in path[:-1]:
        if isinstance(parent, dict) and k in parent:
            parent = parent[k]
        elif isinstance(parent, list) and isinstance(k, int) and k < len(parent):
            parent = parent[k]
        else:
            return _remove(out, path[:-1], code) if len(path) > 1 else ""
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        del parent[last]
        _shift(out, path[:-1], last)
    elif len(path) > 1:
        return _remove(out, path[:-1], code)
    # empty containers go too (a service's env with no entry left)
    for n in range(len(path) - 1, 2, -1):
        _prune(h, path[:n])
    return ""


def _prune(h: dict[str, Any], path: tuple[Any, ...]) -> None:
    parent: Any = h
    for k in path[:-1]:
        try:
            parent = parent[k]
        except (KeyError, IndexError, TypeError):
            return
    try:
        v = parent[path[-1]]
    except (KeyError, IndexError, TypeError):
        return
    if v in ({}, []) and isinstance(parent, dict):
        del parent[path[-1]]


def _shift(out: Out, lst: tuple[Any, ...], gone: int) -> None:
    n = len(lst)
    moved = {}
    for p in list(out.origin):
        if len(p) > n and p[:n] == lst and isinstance(p[n], int) and p[n] >= gone:
            orig = out.origin.pop(p)
            if p[n] > gone:
                moved[(*lst, p[n] - 1, *p[n + 1:])] = orig
    out.origin.update(moved)


def _remove_service(out: Out, name: str) -> str:
    h = out.host
    h.get("services", {}).pop(name, None)
    also = []
    for other, s in h.get("services", {}).items():
        if name in s.get("depends_on", []):
            s["depends_on"] = [d for d in s["depends_on"] if d != name]
            if not s["depends_on"]:
                del s["depends_on"]
            also.append(f"{other}'s depends_on")
    for addr in [a for a, site in h.get("sites", {}).items() if site.get("service") == name]:
        del h["sites"][addr]
        also.append(f"the site {addr}")
    for k in ("services", "sites"):
        if k in h and not h[k]:
            del h[k]
    return f"the service {name!r} is left out" + (f" (and {', '.join(also)})" if also else "")


def report_text(findings: list[Finding]) -> str:
    """``FILE:LINE:COL: warning[HF6xx]: PATH: message`` lines."""
    lines = []
    for f in findings:
        where = f.at.file + (f":{f.at.line}:{f.at.col}" if f.at.line else "")
        lines.append(f"{where}: {f.severity}[{f.code}]: {f.path + ': ' if f.path else ''}{f.message}\n")
    return "".join(lines)


def default_files(cwd: Path, environ: dict[str, str], env_file: Path | None) -> list[tuple[Path, str]]:
    """The files to read when none is named: those COMPOSE_FILE names (environment, then ``env_file`` or
    .env here), else the default file here and its override."""
    from hostform.compose.project import compose_file_paths, find_default_files

    named = compose_file_paths(environ, env_file if env_file is not None else cwd / ".env")
    if named is not None:
        return [(cwd / f, f) for f in named]
    return [(p, os.path.relpath(p, cwd)) for p in find_default_files(cwd)]
