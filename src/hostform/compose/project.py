"""Compose files -> one Compose project, as compose-go's loader makes it (positions kept).

For each file, in order (compose-go ``loadYamlFile``): parse, interpolate every string value (the process
environment first, then ``.env``), apply ``extends`` (same file or ``file:``, recursively, cycles refused),
then merge it over what the earlier files made, with Compose's override rules (``override.Merge``: mappings
merged, lists appended, ``command``/``entrypoint``/``healthcheck.test`` replaced, ``environment``/``labels``
merged by key, ``ports``/``volumes``/``secrets`` unique by target, ``depends_on`` merged as a mapping, the
``!reset`` and ``!override`` tags). Finally the profiles: a service whose ``profiles`` are none of the enabled
ones is left out (:attr:`Project.disabled`).

Nothing here raises on bad input: what Compose would refuse becomes a :class:`Finding`; only a file that cannot
be read as Compose at all (missing, not YAML, top level not a mapping) stops the load (``fatal``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hostform.compose.text import DotenvError, InvalidTemplate, MissingRequired, parse_dotenv, substitute
from hostform.compose.tree import TooMuch, V, Where, from_yaml

__all__ = ["DEFAULT_FILES", "Finding", "Project", "compose_file_paths", "find_default_files", "load_project"]

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_OVERRIDES = {
    "compose.yaml": ("compose.override.yaml", "compose.override.yml"),
    "compose.yml": ("compose.override.yml", "compose.override.yaml"),
    "docker-compose.yaml": ("docker-compose.override.yaml", "docker-compose.override.yml"),
    "docker-compose.yml": ("docker-compose.override.yml", "docker-compose.override.yaml"),
}
FILE_CAP = 4 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """One thing the importer reports: where (in a file the user wrote), the Compose key path, the code, the text."""

    at: Where
    path: str
    code: str
    message: str
    severity: str = "warning"


@dataclass
class Project:
    name: str
    services: dict[str, V]
    top: dict[str, V]  # the other top-level keys: volumes, secrets, configs, networks, x-..., ...
    disabled: dict[str, V] = field(default_factory=dict)  # services left out by profiles
    environ: dict[str, str] = field(default_factory=dict)  # the project environment: process env over .env
    first_dir: Path = Path(".")
    # where each value is written -> its key path in that file (the first, when an alias repeats it): a report
    # line names what its file has at its line, not the merged project's path (an override's list index)
    local_paths: dict[Where, str] = field(default_factory=dict)


def compose_file_paths(environ: dict[str, str], dotenv_file: Path) -> list[str] | None:
    """The files COMPOSE_FILE names (compose-go cli WithConfigFileEnv): from the environment, else from
    ``dotenv_file`` (.env of the current directory, or --env-file), split at COMPOSE_PATH_SEPARATOR (default
    ':'); None when it is not set. An env file that cannot be read counts as empty here (the load reports it)."""
    env = dict(environ)
    if "COMPOSE_FILE" not in env and dotenv_file.is_file():
        from hostform._inputs import InputError, read_input

        data = read_input(None, str(dotenv_file), FILE_CAP, "an env file")
        if not isinstance(data, InputError):
            try:
                dotenv, _ = parse_dotenv(data.decode("utf-8", "replace"), lambda k: environ.get(k))
            except DotenvError:
                dotenv = {}
            env = {**dotenv, **environ}
    if "COMPOSE_FILE" not in env:
        return None
    return env["COMPOSE_FILE"].split(env.get("COMPOSE_PATH_SEPARATOR") or os.pathsep)


def find_default_files(d: Path) -> list[Path]:
    """The files ``docker compose`` reads in ``d`` when none is named: the first default file and its override."""
    for name in DEFAULT_FILES:
        p = d / name
        if p.is_file():
            out = [p]
            for o in _OVERRIDES[name]:
                if (d / o).is_file():
                    out.append(d / o)
                    break
            return out
    return []


class _Loader:
    def __init__(self, lookup_env: dict[str, str], findings: list[Finding]) -> None:
        self.env = lookup_env
        self.findings = findings
        self.fatal: Finding | None = None
        self.local: dict[Where, str] = {}

    def lookup(self, name: str) -> str | None:
        return self.env.get(name)

    def note(self, at: Where, path: str, code: str, msg: str, severity: str = "warning") -> None:
        self.findings.append(Finding(at, path, code, msg, severity))

    # -- reading one file
    def read(self, path: Path, display: str, at: Where | None = None) -> V | None:
        """The interpolated document of ``path``; None (``fatal`` set, or a finding at ``at``) when it cannot be read."""
        from hostform import yamlpos
        from hostform._inputs import InputError, read_input

        data = read_input(None, str(path), FILE_CAP, "a Compose file")
        if isinstance(data, InputError):
            self.fail(at, display, f"{display} {data}")
            return None
        text = data.decode("utf-8", "replace")
        try:
            root = yamlpos.load(text)
        except (yamlpos.YAMLError, RecursionError) as e:
            line, col = 1, 1
            msg = "not YAML"
            if isinstance(e, yamlpos.YAMLError):
                line, col = e.problem_line or e.line or 1, e.problem_column or 1
                msg = e.problem or str(e)
            self.fail(at, display, f"{display} is not valid YAML: {msg}", Where(display, line, col))
            return None
        if root is None or root.kind != "mapping":
            where = Where(display, root.line if root else 1, root.column if root else 1)
            self.fail(at, display, f"{display}: the top level of a Compose file is a mapping (services: ...)", where)
            return None
        try:
            doc = from_yaml(root, display)
        except TooMuch as e:
            self.fail(at, display, f"{display}: {e}", e.at)
            return None
        self.notes(doc, "")
        self.interpolate(doc, "")
        return doc

    def fail(self, at: Where | None, display: str, msg: str, where: Where | None = None) -> None:
        if at is None:
            if self.fatal is None:
                self.fatal = Finding(where or Where(display, 0, 0), "", "HF600", msg, "error")
        else:
            self.note(at, "", "HF617", msg)

    def notes(self, v: V, path: str) -> None:
        self.local.setdefault(v.at, path)
        for n in v.notes:
            line, _, rest = n.partition(":")
            col, _, msg = rest.partition(": ")
            self.note(Where(v.at.file, int(line), int(col)), path, "HF601", msg)
        if isinstance(v.value, dict):
            for k, x in v.value.items():
                self.notes(x, _join(path, k))
        elif isinstance(v.value, list):
            for i, x in enumerate(v.value):
                self.notes(x, f"{path}[{i}]")

    def interpolate(self, v: V, path: str) -> None:
        if isinstance(v.value, dict):
            for k, x in v.value.items():
                self.interpolate(x, _join(path, k))
        elif isinstance(v.value, list):
            for i, x in enumerate(v.value):
                self.interpolate(x, f"{path}[{i}]")
        elif isinstance(v.value, str) and "$" in v.value:
            unset: list[str] = []
            missing: list[MissingRequired] = []
            try:
                v.value = substitute(v.value, self.lookup, unset, missing)
            except InvalidTemplate:
                self.note(v.at, path, "HF602", "invalid interpolation (a '$' not followed by a variable name: write '$$' for a "
                          "dollar sign): the value is kept as written")
                return
            for e in missing:
                why = f" ({e.reason})" if e.reason else ""
                self.note(v.at, path, "HF602", f"required variable {e.variable} is missing a value{why}: set it in the "
                          "environment or .env and import again; an empty string is used")
            for name in dict.fromkeys(unset):
                self.note(v.at, path, "HF602", f"variable {name} is not set (environment or .env): an empty string is used")

    # -- extends
    def extends(self, doc: V, file: Path, display: str, stack: list[tuple[str, str]]) -> None:
        services = doc.get("services")
        if services is None or not services.is_map:
            return
        for name in list(services.map()):
            self.extend_one(services.map(), name, file, display, stack)

    def extend_one(self, services: dict[str, V], name: str, file: Path, display: str, stack: list[tuple[str, str]]) -> V | None:
        s = services.get(name)
        if s is None or not s.is_map:
            return s
        ext = s.get("extends")
        if ext is None:
            return s
        path = f"services.{name}.extends"
        ref: str | None = None
        other: str | None = None
        if ext.is_map:
            sv = ext.get("service")
            ref = sv.text() if sv is not None else None
            fv = ext.get("file")
            other = fv.text() if fv is not None else None
        else:
            ref = ext.text()
        del s.map()["extends"]
        if not ref:
            self.note(ext.at, path, "HF617", "extends needs the service to extend: nothing was inherited")
            return s
        key = (os.path.abspath(file), name)
        base_services = services
        base_file, base_display = file, display
        if other is not None:
            base_file = (file.parent / other) if not os.path.isabs(other) else Path(other)
            base_display = _display(base_file, display, other)
            bdoc = self.read(base_file, base_display, ext.at)
            if bdoc is None:
                return s
            bs = bdoc.get("services")
            if bs is None or not bs.is_map or ref not in bs.map():
                self.note(ext.at, path, "HF617", f"service {ref!r} is not in {other}: nothing was inherited")
                return s
            base_services = bs.map()
        elif ref not in services:
            self.note(ext.at, path, "HF617", f"service {ref!r} is not in this file: nothing was inherited")
            return s
        if (os.path.abspath(base_file), ref) in (*stack, key):
            # the service being extended is on the way here: its own extends is taken already, so look, don't recurse
            self.note(ext.at, path, "HF617", f"extends {ref!r} is a cycle (Compose refuses it): nothing was inherited")
            return s
        base = self.extend_one(base_services, ref, base_file, base_display, [*stack, key])
        if base is None or not base.is_map:
            return s
        merged = merge(base.copy(), s, "services.x")
        services[name] = merged
        return merged


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _display(p: Path, parent_display: str, written: str) -> str:
    """How to name a file the user named inside another one: relative to where the first was named."""
    if os.path.isabs(written):
        return written
    base = os.path.dirname(parent_display)
    return os.path.normpath(os.path.join(base, written)) if base else os.path.normpath(written)


# ---------------------------------------------------------------- merging (compose-go override.Merge)

_REPLACE = ("services.*.command", "services.*.entrypoint", "services.*.healthcheck.test")
_KEYED = ("services.*.environment", "services.*.labels", "services.*.sysctls", "services.*.annotations",
          "services.*.build.args", "services.*.build.labels", "services.*.deploy.labels", "volumes.*.labels", "networks.*.labels")
_SEQ_UNIQUE = ("services.*.env_file", "services.*.dns", "services.*.dns_search", "services.*.dns_opt", "services.*.tmpfs",
               "services.*.extra_hosts", "services.*.cap_add", "services.*.cap_drop", "services.*.profiles",
               "services.*.label_file", "services.*.expose", "services.*.ports", "services.*.volumes", "services.*.devices",
               "services.*.secrets", "services.*.configs", "services.*.links")
_AS_MAP = ("services.*.depends_on", "services.*.networks")


def _match(path: str, pattern: str) -> bool:
    a, b = path.split("."), pattern.split(".")
    return len(a) == len(b) and all(y == "*" or x == y for x, y in zip(a, b, strict=True))


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(_match(path, p) for p in patterns)


def keyed(v: V) -> dict[str, V]:
    """``environment``/``labels``/... as a mapping: a list of ``K=V`` (or ``K``) items becomes {K: V};
    a mapping stays one. A value of None (``K`` alone, or ``K:``) means: take it from the environment."""
    if v.is_map:
        return dict(v.map())
    out: dict[str, V] = {}
    if v.is_list:
        for item in v.list():
            t = item.text()
            if t is None:
                continue
            k, eq, val = t.partition("=")
            out[k] = V(val if eq else None, item.at)
    elif v.text():
        t = v.text() or ""
        k, eq, val = t.partition("=")
        out[k] = V(val if eq else None, v.at)
    return out


def as_map(v: V, default_condition: bool) -> dict[str, V]:
    """``depends_on`` / ``networks`` as a mapping (a list of names becomes {name: {...}})."""
    if v.is_map:
        return dict(v.map())
    out: dict[str, V] = {}
    for item in v.list() if v.is_list else [v]:
        t = item.text()
        if t is None:
            continue
        if default_condition:
            out[t] = V({"condition": V("service_started", item.at), "required": V(True, item.at)}, item.at)
        else:
            out[t] = V(None, item.at)
    return out


def _unique_key(path: str, item: V) -> str:
    """compose-go's EnforceUnicity indexers: the key that makes two list items the same."""
    last = path.rsplit(".", 1)[-1]
    t = item.text()
    if last in ("volumes", "devices"):
        if item.is_map:
            tv = item.get("target")
            return (tv.text() or "") if tv is not None else ""
        parts = (t or "").split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    if last in ("secrets", "configs"):
        base = "/run/secrets" if last == "secrets" else ""
        if item.is_map:  # the target, else where the short syntax puts the source (mountIndexer)
            tv = item.get("target")
            if tv is not None:
                return tv.text() or ""
            sv = item.get("source")
            return f"{base}/{(sv.text() or '') if sv is not None else ''}"
        return f"{base}/{t}"
    if last == "ports" and item.is_map:
        def g(k: str, d: str) -> str:
            x = item.get(k)
            return (x.text() or d) if x is not None else d
        return f"{g('host_ip', '0.0.0.0')}:{g('published', '')}:{g('target', '')}/{g('protocol', 'tcp')}"
    if last in ("cap_add", "cap_drop", "profiles", "dns", "dns_opt", "dns_search", "tmpfs", "links"):
        return (t or "").split("=", 1)[0]
    if last == "env_file" and item.is_map:
        pv = item.get("path")
        return (pv.text() or "") if pv is not None else ""
    return t if t is not None else repr(id(item))


def _seq(v: V) -> list[V]:
    if v.is_list:
        return list(v.list())
    if v.value is None:
        return []
    return [v]


# the lists compose-go's EnforceUnicity dedups after reading each file (override/uncity.go), within a file too
_UNIQUE_IN_FILE = ("cap_add", "cap_drop", "configs", "devices", "dns", "dns_opt", "dns_search", "env_file", "expose",
                   "links", "ports", "profiles", "secrets", "tmpfs", "volumes")


def _enforce_unicity(doc: V) -> None:
    """Each service's lists of :data:`_UNIQUE_IN_FILE` with the later of two same-key items only (in place)."""
    sv = doc.get("services") if doc.is_map else None
    if sv is None or not sv.is_map:
        return
    for name, s in sv.map().items():
        if not s.is_map:
            continue
        d = s.map()
        for key in _UNIQUE_IN_FILE:
            x = d.get(key)
            if x is not None and x.is_list:
                d[key] = V(unique(f"services.{name}.{key}", x.list()), x.at, x.tag, x.notes)


def unique(path: str, items: list[V]) -> list[V]:
    """Later items replace earlier ones with the same key, in the earlier one's place (EnforceUnicity)."""
    out: list[V] = []
    at: dict[str, int] = {}
    for item in items:
        k = _unique_key(path, item)
        if k in at:
            out[at[k]] = item
        else:
            at[k] = len(out)
            out.append(item)
    return out


def merge(base: V, over: V, path: str) -> V:
    """``over`` merged onto ``base`` (compose-go MergeYaml at ``path``); positions are those of the values kept."""
    if over.tag == "!reset":
        return V(None, over.at, "!reset")
    if over.tag == "!override":
        return V(over.value, over.at)
    if _matches(path, _REPLACE):
        return over
    if _matches(path, _KEYED):
        d = keyed(base)
        d.update(keyed(over))
        return V(d, base.at)
    if _matches(path, _AS_MAP):
        dep = path.endswith("depends_on")
        d = as_map(base, dep)
        for k, x in as_map(over, dep).items():
            d[k] = merge(d[k], x, f"{path}.{k}") if k in d and d[k].is_map and x.is_map else x
        return V(d, base.at)
    if _matches(path, _SEQ_UNIQUE):
        return V(unique(path, _seq(base) + _seq(over)), base.at)
    if _match(path, "services.*.build"):
        b = base if base.is_map else V({"context": base}, base.at)
        o = over if over.is_map else V({"context": over}, over.at)
        return _merge_maps(b, o, path)
    if _match(path, "services.*.ulimits.*"):
        return over
    if _match(path, "services.*.logging") and base.is_map and over.is_map:
        bd, od = base.get("driver"), over.get("driver")
        if bd is not None and od is not None and bd.text() != od.text():
            return over
        return _merge_maps(base, over, path)
    if over.value is None:
        return base
    if base.is_map and over.is_map:
        return _merge_maps(base, over, path)
    if base.is_list and over.is_list:
        return V(base.list() + over.list(), base.at)
    return over


def _merge_maps(base: V, over: V, path: str) -> V:
    out = dict(base.map())
    for k, x in over.map().items():
        if x.tag == "!reset":
            out.pop(k, None)
            continue
        if k in out:
            out[k] = merge(out[k], x, _join(path, k))
        else:
            out[k] = V(x.value, x.at) if x.tag == "!override" else x
    return V(out, base.at, "", base.notes)


def _drop_resets(v: V) -> None:
    if isinstance(v.value, dict):
        for k in [k for k, x in v.value.items() if x.tag == "!reset"]:
            del v.value[k]
        for x in v.value.values():
            _drop_resets(x)
    elif isinstance(v.value, list):
        v.value[:] = [x for x in v.value if x.tag != "!reset"]
        for x in v.value:
            _drop_resets(x)


# ---------------------------------------------------------------- the whole project


def _normalize_project_name(s: str) -> str:
    import re

    s = "".join(re.findall(r"[a-z0-9_-]", s.lower()))
    return s.lstrip("_-")


def load_project(
    files: list[tuple[Path, str]],
    environ: dict[str, str],
    env_file: Path | None,
    profiles: list[str],
    findings: list[Finding],
) -> Project | None:
    """The project of ``files`` ((path, name as the user named it), in order); None when one cannot be read
    as Compose (the error is the last of ``findings``, severity "error")."""
    first_dir = files[0][0].parent
    dotenv: dict[str, str] = {}
    ef = env_file if env_file is not None else first_dir / ".env"
    if ef.is_file() or env_file is not None:
        from hostform._inputs import InputError, read_input

        data = read_input(None, str(ef), FILE_CAP, "an env file")
        shown = str(env_file) if env_file is not None else _display(ef, files[0][1], ".env")
        if isinstance(data, InputError):
            findings.append(Finding(Where(shown, 0, 0), "", "HF600", f"{shown} {data}", "error"))
            return None
        try:
            dotenv, _ = parse_dotenv(data.decode("utf-8", "replace"), lambda k: environ.get(k))
        except DotenvError as e:
            line = int(str(e).split(":", 1)[0].split()[-1]) if str(e).startswith("line ") else 1
            findings.append(Finding(Where(shown, line, 1), "", "HF602", f"{shown} does not read as Compose reads it ({e}): "
                                    "its variables are not used"))
    env = dict(dotenv)
    env.update(environ)  # the process environment wins over .env
    ld = _Loader(env, findings)
    merged: V | None = None
    for path, display in files:
        doc = ld.read(path, display)
        if doc is None:
            assert ld.fatal is not None
            findings.append(ld.fatal)
            return None
        ld.extends(doc, path, display, [])
        _enforce_unicity(doc)
        merged = doc if merged is None else merge(merged, doc, "")
    assert merged is not None
    _drop_resets(merged)
    top = dict(merged.map())
    sv = top.pop("services", None)
    services: dict[str, V] = {}
    if sv is not None and sv.is_map:
        for name, s in sv.map().items():
            services[name] = s if s.is_map else V({}, s.at)
    elif sv is not None and sv.value is not None:
        findings.append(Finding(sv.at, "services", "HF601", "services is not a mapping: no service was read"))
    # the project name (compose-go cli withNamePrecedenceLoad): COMPOSE_PROJECT_NAME (environment, then .env), else
    # `name:`, else the first file's directory as named (a symlink's name, not its target's)
    nv = top.get("name")
    name = _normalize_project_name(env.get("COMPOSE_PROJECT_NAME", "") or (nv.text() if nv is not None else None)
                                   or Path(os.path.abspath(first_dir)).name)
    # profiles: --profile, else COMPOSE_PROFILES
    enabled = set(profiles) if profiles else {p for p in env.get("COMPOSE_PROFILES", "").split(",") if p}
    kept: dict[str, V] = {}
    disabled: dict[str, V] = {}
    for sname, s in services.items():
        pv = s.get("profiles")
        ps = [x.text() or "" for x in _seq(pv)] if pv is not None else []
        if ps and "*" not in enabled and not (set(ps) & enabled):
            disabled[sname] = s
        else:
            kept[sname] = s
    return Project(name or "compose", kept, top, disabled, env, first_dir, ld.local)
