"""What `hostform import compose` must keep: compose-go's view of a project against what the import wrote.

The oracle is tests/go/composeconfig: compose-go (the loader of `docker compose` itself) loads the project
with the options docker compose gives it and prints the normalized project. :func:`missing` compares that
with the import's output directory: every service, port, volume, dependency and environment variable of the
normalized project is either in the written hostform.yaml (or a quadlet under quadlets/) or named in
import-report.txt by its Compose key path (``FILE:LINE:COL: warning[HF6xx]: services.web.ports[1]: ...``).
It returns one line per thing that is in neither: the test asserts that list is empty.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CORPUS",
    "Entry",
    "Output",
    "RawFiles",
    "ReportLine",
    "clean_env",
    "compose_config",
    "corpus_entries",
    "misplaced",
    "missing",
    "node_lines",
    "parse_report",
    "port_reported",
    "publish_entries",
    "run_import",
]

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
REPO = HERE.parents[1]

REPORT_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>warning|error|notice|info)"
    r"\[(?P<code>HF6\d\d)\]: (?P<path>[^\s:][^\s]*?): (?P<message>.+)$"
)
KEY_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Entry:
    """One corpus directory and how it is imported: the files named (none: found as docker compose finds them)."""

    name: str
    files: tuple[str, ...]

    @property
    def path(self) -> Path:
        return CORPUS / self.name


def _table(text: str, heading: str) -> list[list[str]]:
    """The rows of the markdown table under HEADING in SOURCES.md, as cells."""
    rows: list[list[str]] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip() == heading
            continue
        if inside and line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header row


def sources_files() -> list[list[str]]:
    """SOURCES.md's file table: entry, file, repository, path, commit, license."""
    return _table((CORPUS / "SOURCES.md").read_text(), "Files")


def corpus_entries() -> list[Entry]:
    rows = _table((CORPUS / "SOURCES.md").read_text(), "How each entry is imported")
    return [Entry(row[0], tuple(row[1].split())) for row in rows]


# ---------------------------------------------------------------- running things


def clean_env(cwd: Path, home: Path) -> dict[str, str]:
    """The environment both the oracle and the import run with (Compose interpolates from it)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PWD": str(cwd),
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    for name in ("HOSTFORM_CACHE", "XDG_CACHE_HOME"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def compose_config(oracle: str, cwd: Path, files: tuple[str, ...], env: dict[str, str],
                   profiles: tuple[str, ...] = (), env_file: str | None = None) -> dict[str, Any]:
    """compose-go's normalized project (tests/go/composeconfig), loaded in CWD as docker compose would."""
    argv = [oracle]
    for f in files:
        argv += ["-f", f]
    for p in profiles:
        argv += ["--profile", p]
    if env_file is not None:
        argv += ["--env-file", env_file]
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"compose-go refused the project in {cwd}: {proc.stderr.strip()}")
    project: dict[str, Any] = json.loads(proc.stdout)
    return project


def run_import(cwd: Path, files: tuple[str, ...], env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """`hostform import compose FILE...` as a user runs it, in CWD."""
    import sys

    return subprocess.run(
        [sys.executable, "-m", "hostform", "import", "compose", *files, *extra],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class ReportLine:
    file: str
    line: int
    col: int
    code: str
    path: str
    message: str

    def keys(self) -> list[str | int]:
        return [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in KEY_TOKEN.finditer(self.path)]


def parse_report(text: str) -> tuple[list[ReportLine], list[str]]:
    """The report's lines, and the lines that are not of the contract's form."""
    lines: list[ReportLine] = []
    bad: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        m = REPORT_LINE.match(raw)
        if m is None:
            bad.append(raw)
            continue
        lines.append(ReportLine(m["file"], int(m["line"]), int(m["col"]), m["code"], m["path"], m["message"]))
    return lines, bad


# ---------------------------------------------------------------- the output


@dataclass
class Output:
    """What the import wrote into DIR: the host file, its quadlets, the report."""

    dir: Path
    host: dict[str, Any]
    quadlets: dict[str, dict[str, list[str]]]  # service name -> key -> values ([Unit] and [Container] keys)
    report: list[ReportLine]

    @classmethod
    def read(cls, dir: Path) -> Output:
        host = yaml.safe_load((dir / "hostform.yaml").read_text()) or {}
        quadlets: dict[str, dict[str, list[str]]] = {}
        for unit in sorted((dir / "quadlets").glob("*.container")) if (dir / "quadlets").is_dir() else []:
            keys: dict[str, list[str]] = {}
            for line in unit.read_text().splitlines():
                if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
                    k, _, v = line.partition("=")
                    keys.setdefault(k.strip(), []).append(v.strip())
            quadlets[unit.stem] = keys
        report, _ = parse_report((dir / "import-report.txt").read_text())
        return cls(dir, host, quadlets, report)

    def service(self, name: str) -> dict[str, Any] | None:
        for section in ("services", "jobs"):
            found = (self.host.get(section) or {}).get(name)
            if isinstance(found, dict):
                return found
        return None

    def carried(self, name: str) -> bool:
        return self.service(name) is not None or name in self.quadlets

    def reported(self, prefix: str) -> list[ReportLine]:
        return [r for r in self.report
                if r.path == prefix or r.path.startswith(prefix + ".") or r.path.startswith(prefix + "[")]


# ---------------------------------------------------------------- raw Compose, for the report's key paths


class RawFiles:
    """The Compose files as YAML (anchors and merge keys resolved), to see what a report line's key path names."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self._cache: dict[str, Any] = {}

    def load(self, file: str) -> Any:
        if file not in self._cache:
            path = Path(file) if Path(file).is_absolute() else self.cwd / file
            try:
                self._cache[file] = yaml.safe_load(path.read_text())
            except (OSError, yaml.YAMLError):
                self._cache[file] = None
        return self._cache[file]

    def at(self, line: ReportLine) -> Any:
        node = self.load(line.file)
        for key in line.keys():
            if isinstance(key, int) and isinstance(node, list) and key < len(node):
                node = node[key]
            elif isinstance(key, str) and isinstance(node, dict) and key in node:
                node = node[key]
            else:
                return None
        return node


def _merged_pairs(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """A mapping's (key, value) nodes, its own first, then those of its YAML merge keys (`<<: *anchor`)."""
    own = [(k, v) for k, v in node.value if k.value != "<<"]
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    for k, v in node.value:
        if k.value == "<<":
            for m in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                if isinstance(m, yaml.MappingNode):
                    merged += _merged_pairs(m)
    return own + merged


def _span(node: yaml.Node, first: int) -> set[int]:
    """The lines (1-based) from FIRST to NODE's last line (just FIRST for an alias, whose node is the anchor's, elsewhere)."""
    end = node.end_mark.line + (0 if node.end_mark.column == 0 else 1)
    return set(range(first, max(end, first) + 1))


def node_lines(path: Path, keys: list[str | int]) -> set[int] | None:
    """The lines (1-based) the node at KEYS spans in the YAML file PATH, from its mapping key on; None
    when KEYS names nothing there. A mapping key may hold dots (`discovery.type`): the longest run of the
    remaining names that is a key wins."""
    try:
        node: yaml.Node | None = yaml.compose(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    lines = _span(node, 1) if node is not None else set()
    i = 0
    while i < len(keys):
        key = keys[i]
        if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            lines = _span(node, node.start_mark.line + 1)
            i += 1
            continue
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            pairs = {str(k.value): (k, v) for k, v in reversed(_merged_pairs(node))}
            for j in range(len(keys), i, -1):
                if all(isinstance(x, str) for x in keys[i:j]) and ".".join(str(x) for x in keys[i:j]) in pairs:
                    k, node = pairs[".".join(str(x) for x in keys[i:j])]
                    lines = _span(node, k.start_mark.line + 1)
                    i = j
                    break
            else:
                return None
            continue
        return None
    return lines


def misplaced(cwd: Path, lines: list[ReportLine]) -> list[str]:
    """Report lines whose key path does not name what their FILE has at their LINE (the contract: the Compose
    key path of the file named, in that file's own terms: `[i]` the index of the item in that file's list).
    The line may be anywhere in the node the path names (a line about one key of `environment` may name
    `environment`)."""
    wrong = []
    for line in lines:
        at = node_lines(cwd / line.file, line.keys())
        if at is None or line.line not in at:
            wrong.append(f"{line.file}:{line.line}:{line.col}: {line.path}: "
                         + ("no such key path in that file" if at is None else f"that key path is at lines {min(at)}-{max(at)}"))
    return wrong


def _bases(raw: RawFiles, files: list[str], service: str) -> set[str]:
    """SERVICE and the services it extends (by name, in any of the files), transitively."""
    names = {service}
    todo = [service]
    while todo:
        name = todo.pop()
        for f in files:
            doc = raw.load(f)
            svc = ((doc or {}).get("services") or {}).get(name) if isinstance(doc, dict) else None
            ext = svc.get("extends") if isinstance(svc, dict) else None
            base = ext if isinstance(ext, str) else ext.get("service") if isinstance(ext, dict) else None
            if isinstance(base, str) and base not in names:
                names.add(base)
                todo.append(base)
    return names


# ---------------------------------------------------------------- matching one item


def _port_range(text: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", text.strip())
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2) or m.group(1))


def _raw_port_matches(item: Any, target: int) -> bool:
    """Whether a port item as written (short or long syntax) is the one whose container port is TARGET."""
    if isinstance(item, dict):
        value = str(item.get("target", ""))
        return "$" in value or value == str(target)
    text = str(item)
    if "$" in text:
        return True
    container = text.split("/")[0].rsplit(":", 1)[-1]
    bounds = _port_range(container)
    return bounds is not None and bounds[0] <= target <= bounds[1]


def _raw_volume_matches(item: Any, target: str) -> bool:
    if isinstance(item, dict):
        value = str(item.get("target", ""))
    else:
        parts = str(item).split(":")
        value = parts[1] if len(parts) > 1 else parts[0]
    return "$" in value or value.rstrip("/") == target.rstrip("/")


def publish_entries(svc: dict[str, Any] | None, quadlet: dict[str, list[str]] | None = None) -> list[tuple[str, str, str, str]]:
    """(ip, host port, container port, protocol) of each port the output publishes for a service: its
    `publish` ([IP:]HOST:CONTAINER[/PROTO]), a PublishPort of its `extra`, or of its quadlet."""
    items: list[str] = []
    if svc:
        publish = svc.get("publish") or []
        items += [str(p) for p in (publish if isinstance(publish, list) else [publish])]
        extra = svc.get("extra") or {}
        if isinstance(extra, dict) and extra.get("PublishPort"):
            items += str(extra["PublishPort"]).split()
    if quadlet:
        items += quadlet.get("PublishPort", [])
    out = []
    for item in items:
        spec, _, proto = item.partition("/")
        parts = spec.rsplit(":", 2)
        ip = parts[0] if len(parts) == 3 else ""
        host = parts[-2] if len(parts) >= 2 else ""
        out.append((ip, host, parts[-1], proto or "tcp"))
    return out


def _mount_targets(svc: dict[str, Any] | None, quadlet: dict[str, list[str]] | None) -> dict[str, str]:
    """Container path -> volume name (or source) of each mount the output gives a service."""
    out: dict[str, str] = {}
    if svc:
        vols = svc.get("volumes") or {}
        if isinstance(vols, dict):
            for name, path in vols.items():
                out[str(path).rstrip("/")] = str(name)
        extra = svc.get("extra") or {}
        if isinstance(extra, dict) and extra.get("Volume"):
            for v in str(extra["Volume"]).split():
                parts = v.split(":")
                if len(parts) > 1:
                    out[parts[1].rstrip("/")] = parts[0]
    if quadlet:
        for v in quadlet.get("Volume", []):
            parts = v.split(":")
            if len(parts) > 1:
                out[parts[1].rstrip("/")] = parts[0]
    return out


def _depends(svc: dict[str, Any] | None, quadlet: dict[str, list[str]] | None) -> set[str]:
    out: set[str] = set()
    if svc:
        deps = svc.get("depends_on") or []
        out |= {str(d) for d in (deps if isinstance(deps, list) else [deps])}
    if quadlet:
        for key in ("Requires", "After", "Wants", "BindsTo"):
            for value in quadlet.get(key, []):
                for word in value.split():
                    out.add(re.sub(r"\.(service|container)$", "", word))
    return out


def _sites_for(host: dict[str, Any], service: str, default_port: Any) -> set[int]:
    """The container ports of SERVICE that sites proxy to."""
    ports: set[int] = set()
    for site in (host.get("sites") or {}).values():
        if site == service:
            ports.add(int(default_port)) if default_port else None
        elif isinstance(site, dict) and site.get("service") == service:
            port = site.get("port", default_port)
            if port:
                ports.add(int(port))
    return ports


# ---------------------------------------------------------------- the check


def _services(project: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("services", "disabled_services"):
        for name, svc in sorted((project.get(section) or {}).items()):
            yield name, svc


def is_reported(out: Output, raw: RawFiles, files: list[str], service: str, key: str, matches: Any) -> bool:
    """A report line names an item of SERVICE's KEY: the list as a whole, or an item that MATCHES (a function of the
    report line and the item as written; None: any item); lines about a service it extends count."""
    for base in _bases(raw, files, service):
        for line in out.reported(f"services.{base}.{key}"):
            if line.path == f"services.{base}.{key}":
                return True
            if matches is None or matches(line, raw.at(line)):
                return True
    return False


def port_reported(out: Output, raw: RawFiles, files: list[str], service: str, target: int) -> bool:
    """The import's report names the port of SERVICE whose container port is TARGET."""
    return is_reported(out, raw, files, service, "ports", lambda line, item: _raw_port_matches(item, target))


def missing(project: dict[str, Any], out_dir: Path, cwd: Path) -> list[str]:
    """Everything of compose-go's PROJECT that the import in OUT_DIR neither wrote nor reported."""
    out = Output.read(out_dir)
    raw = RawFiles(cwd)
    files = [str(f) for f in project.get("compose_files") or []]
    lost: list[str] = []

    def reported_item(service: str, key: str, matches: Any) -> bool:
        return is_reported(out, raw, files, service, key, matches)

    used_volumes: dict[str, list[bool]] = {}
    for name, svc in _services(project):
        if not out.carried(name):
            if any(line.path == f"services.{name}" for line in out.report):
                # the whole service is reported: so are its volumes (the volumes only it uses need no line of their own)
                for vol in svc.get("volumes") or []:
                    if vol.get("type") == "volume" and vol.get("source"):
                        used_volumes.setdefault(str(vol["source"]), []).append(True)
            else:
                where = "disabled by its profiles" if name in (project.get("disabled_services") or {}) else "active"
                lost.append(f"service {name} ({where}): not in hostform.yaml, not under quadlets/, and no report line at services.{name}")
            continue
        hsvc = out.service(name)
        quadlet = out.quadlets.get(name)
        # ports
        published = publish_entries(hsvc, quadlet)
        sited = _sites_for(out.host, name, (hsvc or {}).get("port"))
        for i, port in enumerate(svc.get("ports") or []):
            target = int(port["target"])
            host_port = str(port.get("published") or "")
            proto = port.get("protocol") or "tcp"
            in_output = any(c == str(target) and p == proto and (not host_port or h == host_port) for _, h, c, p in published)
            in_output = in_output or target in sited
            in_output = in_output or (not host_port and hsvc is not None and hsvc.get("port") == target)
            if not in_output and not reported_item(name, "ports", lambda line, item, t=target: _raw_port_matches(item, t)):
                lost.append(f"services.{name}.ports: {host_port or '-'}:{target}/{proto} (compose-go's port {i}) neither published, served by a site, nor reported")
        # volumes
        mounts = _mount_targets(hsvc, quadlet)
        for i, vol in enumerate(svc.get("volumes") or []):
            target = str(vol.get("target", "")).rstrip("/")
            carried = target in mounts
            ok = carried or reported_item(name, "volumes", lambda line, item, t=target: _raw_volume_matches(item, t))
            if not ok:
                lost.append(f"services.{name}.volumes: {vol.get('type')} {vol.get('source', '')} at {vol.get('target')} (compose-go's volume {i}) neither mounted nor reported")
            if vol.get("type") == "volume" and vol.get("source"):
                used_volumes.setdefault(str(vol["source"]), []).append(ok)
        # dependencies
        deps = _depends(hsvc, quadlet)
        for dep, spec in sorted((svc.get("depends_on") or {}).items()):
            if dep in deps:
                if (spec or {}).get("condition") == "service_healthy":
                    dsvc = out.service(dep)
                    has_health = bool(dsvc and dsvc.get("health")) or bool(out.quadlets.get(dep, {}).get("HealthCmd"))
                    if not has_health and not (out.reported(f"services.{dep}.healthcheck") or reported_item(name, "depends_on", None)):
                        lost.append(f"services.{name}.depends_on.{dep}: condition service_healthy, but {dep} has no health check in the output and no report line says why")
                continue
            implicit = any(out.reported(f"services.{base}.{key}")
                           for base in _bases(raw, files, name)
                           for key in ("links", "network_mode", "volumes_from", "ipc", "pid", "uts", "cgroup"))
            if not implicit and not reported_item(name, "depends_on", lambda line, item, d=dep: item == d or line.keys()[-1] == d):
                lost.append(f"services.{name}.depends_on: {dep} neither in the output's depends_on nor reported")
        # environment
        lost += _environment(out, name, svc, hsvc, reported_item)
    # top-level volumes
    written = set()
    for section in ("services", "jobs"):
        for hsvc in (out.host.get(section) or {}).values():
            if isinstance(hsvc, dict) and isinstance(hsvc.get("volumes"), dict):
                written |= {str(v) for v in hsvc["volumes"]}
    for q in out.quadlets.values():
        written |= {v.split(":")[0] for v in q.get("Volume", [])}
    for key in sorted(project.get("volumes") or {}):
        if key in written or out.reported(f"volumes.{key}"):
            continue
        uses = used_volumes.get(key, [])
        if uses and all(uses):
            continue  # every mount of it carried (under another name) or reported
        lost.append(f"volumes.{key}: no service in the output uses a volume of that name, and no report line at volumes.{key}")
    return lost


def _env_file_keys(out_dir: Path, hsvc: dict[str, Any] | None) -> set[str]:
    keys: set[str] = set()
    for item in (hsvc or {}).get("env_files") or []:
        file = item.get("file") if isinstance(item, dict) else item
        path = out_dir / str(file)
        if file and not str(file).startswith("/") and path.is_file():
            for line in path.read_text().splitlines():
                if "=" in line and not line.lstrip().startswith("#"):
                    keys.add(line.split("=", 1)[0].strip())
    return keys


def _environment(out: Output, name: str, svc: dict[str, Any], hsvc: dict[str, Any] | None, reported_item: Any) -> list[str]:
    """Each variable hostform writes has compose-go's value; each of compose-go's is written or reported."""
    lost: list[str] = []
    theirs = {k: v for k, v in (svc.get("environment") or {}).items() if v is not None}
    ours = (hsvc or {}).get("env") or {}
    if hsvc is None:  # a quadlet: its Environment= lines are systemd-quoted; presence only
        ours_keys = {v.split("=", 1)[0].strip('"') for v in out.quadlets.get(name, {}).get("Environment", [])}
    else:
        ours_keys = set(ours)
        for key, value in ours.items():
            if key in theirs and str(value) != str(theirs[key]):
                lost.append(f"services.{name}.environment.{key}: hostform writes {str(value)!r}, compose-go has {theirs[key]!r}")
            elif key not in theirs:
                lost.append(f"services.{name}.env.{key}: hostform writes {str(value)!r}, but compose-go's service has no such variable")
    secret_env = {s.get("env") for s in (hsvc or {}).get("secrets") or [] if isinstance(s, dict)}
    from_files = _env_file_keys(out.dir, hsvc)
    for key in sorted(theirs):
        if key in ours_keys or key in secret_env or key in from_files:
            continue
        if reported_item(name, "environment", lambda line, item, k=key: line.path.endswith(f".environment.{k}")
                         or (isinstance(item, str) and item.split("=", 1)[0] == k)) \
                or reported_item(name, "env_file", None):
            continue
        lost.append(f"services.{name}.environment.{key}: neither written (env, env_files, secrets) nor reported")
    return lost
