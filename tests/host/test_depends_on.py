"""`services.NAME.depends_on`: order between services, as a user meets it.

A host file is built with `hostform build`; its quadlet files, laid out as on the VM, go through
the real quadlet generators of podman 5.4, 5.8 and 6.1. The dependent's service must require and
be ordered after the dependency's service (by its service name: 5.4's quadlet does not translate
`db.container` in [Unit], 5.5 and later do), and a dependency with a health check is a
`Type=notify` service whose container reports ready only once healthy (`--sdnotify=healthy`) or,
for an http check, whose start holds until the host's probe passed (`ExecStartPost=`), so `After=`
makes the dependent wait for that. `hostform units` prints the same units.
Mistakes are reported by `hostform check` at their line in hostform.yaml.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostform.quadlet.realgen import run_real
from tests.host.test_units_real import _units
from tests.quadlet.conftest import _real as real_generator
from tests.quadlet.exact import canonical

VERSIONS = ("5.4", "5.8", "6.1")

HOST = """\
name: shop
podman: "{version}"
services:
  worker:
    image: ghcr.io/example/worker:1
    depends_on: [db, api]
  api:
    image: ghcr.io/example/api:1
    port: 8080
    health: {{http: /healthz}}
    depends_on: db
  db:
    image: docker.io/library/postgres:17
    health: {{cmd: [pg_isready, -U, postgres]}}
  cache:
    image: docker.io/library/valkey:8
"""


def _hostform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _section(unit: str, name: str) -> list[str]:
    """The lines of ``[name]`` in a unit's text."""
    out: list[str] = []
    current = None
    for line in unit.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current == name and line and not line.startswith("#"):
            out.append(line)
    return out


def _generated(tmp: Path, version: str) -> tuple[Path, dict[str, str]]:
    """Builds HOST for ``version`` with `hostform build`; the real generator's services from its quadlets."""
    project = tmp / "project"
    project.mkdir()
    (project / "hostform.yaml").write_text(HOST.format(version=version))
    built = _hostform("build", ".", cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    quadlets = project / "build" / "quadlets"  # /etc/containers/systemd on the VM
    code, units, stderr = run_real(quadlets, binary=real_generator(version), version=version)
    assert code == 0 and "error" not in stderr.lower(), stderr
    return project, {name: text.replace(str(quadlets), "/etc/containers/systemd") for name, text in units.items()}


@pytest.mark.parametrize("version", VERSIONS)
def test_dependents_require_and_start_after_their_dependencies(tmp_path: Path, version: str) -> None:
    project, units = _generated(tmp_path, version)
    assert {"worker.service", "api.service", "db.service", "cache.service"} <= set(units)
    for name, deps in {"worker": ["db", "api"], "api": ["db"], "db": [], "cache": []}.items():
        unit = _section(units[f"{name}.service"], "Unit")
        requires = [v for line in unit if line.startswith("Requires=") for v in line[len("Requires=") :].split()]
        after = [v for line in unit if line.startswith("After=") for v in line[len("After=") :].split()]
        for dep in deps:
            assert f"{dep}.service" in requires, (name, unit)
            assert f"{dep}.service" in after, (name, unit)
        others = {"worker", "api", "db", "cache"} - set(deps)
        assert not {f"{o}.{ext}" for o in others for ext in ("service", "container")} & set(requires + after), (name, unit)
    # each dependency upholds its dependents: back up after a failed update's rollback, or a retried
    # first start, it starts them again (Requires= alone would leave them down); api also upholds the
    # watch of its http check (api-health.service)
    for name, dependents in {"db": ["worker", "api"], "api": ["worker", "api-health"], "worker": [], "cache": []}.items():
        unit = _section(units[f"{name}.service"], "Unit")
        upholds = sorted(v for line in unit if line.startswith("Upholds=") for v in line[len("Upholds=") :].split())
        assert upholds == sorted(f"{d}.service" for d in dependents), (name, unit)
    # hostform units prints what the real generator writes
    ours = _units(project, version)
    for name in ("worker.service", "api.service", "db.service"):
        assert canonical(ours[name], version) == canonical(units[name], version), name


@pytest.mark.parametrize("version", VERSIONS)
def test_a_healthy_dependency_is_started_only_once_healthy(tmp_path: Path, version: str) -> None:
    """db has a health check: its service is Type=notify and its container notifies only when healthy
    (--sdnotify=healthy), so systemd counts it started then; api is After= it: it starts after that."""
    _, units = _generated(tmp_path, version)
    db = _section(units["db.service"], "Service")
    assert "Type=notify" in db and "NotifyAccess=all" in db, db
    run = next(line for line in db if line.startswith("ExecStart=") and " run " in line)
    assert re.search(r" --sdnotify[= ]healthy ", run), run
    assert "After=db.service" in _section(units["api.service"], "Unit")
    # an http check (api) is the host's probe: ExecStartPost= holds the start until it passes, so worker
    # (After=api.service) waits for that
    api = _section(units["api.service"], "Service")
    posts = [line for line in api if line.startswith("ExecStartPost=")]
    assert posts and " /usr/local/libexec/hostform/http-health gate api " in posts[0], api
    assert "After=api.service" in _section(units["worker.service"], "Unit")
    # without a health check the dependency counts as started once its container runs
    cache = next(line for line in _section(units["cache.service"], "Service") if line.startswith("ExecStart=") and " run " in line)
    assert re.search(r" --sdnotify[= ]conmon ", cache), cache


def _check(tmp: Path, text: str) -> tuple[int, list[str]]:
    (tmp / "hostform.yaml").write_text(text)
    proc = _hostform("check", ".", cwd=tmp)
    return proc.returncode, [line for line in proc.stdout.splitlines() if re.match(r"hostform\.yaml:\d+:\d+: ", line)]


def test_an_unknown_service_is_named_with_the_one_probably_meant(tmp_path: Path) -> None:
    code, lines = _check(tmp_path, """\
name: shop
services:
  api:
    image: ghcr.io/example/api:1
    depends_on: [postgress]
  postgres:
    image: docker.io/library/postgres:17
""")
    assert code == 1
    assert lines == [
        "hostform.yaml:5:18: error[HF013]: service 'api' depends on 'postgress', which is not a service (did you mean 'postgres'?)"
    ]


def test_a_service_depending_on_itself(tmp_path: Path) -> None:
    code, lines = _check(tmp_path, """\
name: shop
services:
  api:
    image: ghcr.io/example/api:1
    depends_on: api
""")
    assert code == 1
    assert lines == ["hostform.yaml:5:17: error[HF027]: service 'api' depends on itself"]


def test_a_cycle_is_named_once_at_its_first_service_in_file_order(tmp_path: Path) -> None:
    # file order worker, api, db (not the sorted order); api -> db -> worker -> api and
    # worker -> api -> worker are two cycles through the same services: one error
    code, lines = _check(tmp_path, """\
name: shop
services:
  worker:
    image: ghcr.io/example/worker:1
    depends_on: [api]
  api:
    image: ghcr.io/example/api:1
    depends_on: [db, worker]
  db:
    image: docker.io/library/postgres:17
    depends_on:
      - worker
  lone:
    image: ghcr.io/example/lone:1
    depends_on: [db]
  b:
    image: ghcr.io/example/b:1
    depends_on: [lone, a]
  a:
    image: ghcr.io/example/a:1
    depends_on: [b]
""")
    assert code == 1
    assert lines == [
        "hostform.yaml:5:18: error[HF027]: depends_on cycle: worker -> api -> worker",
        "hostform.yaml:18:24: error[HF027]: depends_on cycle: b -> a -> b",
    ]


def test_a_dependency_listed_twice(tmp_path: Path) -> None:
    code, lines = _check(tmp_path, """\
name: shop
services:
  api:
    image: ghcr.io/example/api:1
    depends_on: [db, db]
  db:
    image: docker.io/library/postgres:17
""")
    assert code == 1
    assert lines == ["hostform.yaml:5:22: error[HF011]: depends_on: 'db' is listed twice"]


def test_a_cycle_through_thousands_of_services(tmp_path: Path) -> None:
    """Found without a recursion limit, named whole, once."""
    n = 3000
    body = "".join(f"  s{i}:\n    image: ghcr.io/example/s:1\n    depends_on: [s{i + 1}]\n" for i in range(n))
    code, lines = _check(tmp_path, f"name: shop\nservices:\n{body}  s{n}:\n    image: ghcr.io/example/s:1\n    depends_on: [s0]\n")
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("hostform.yaml:5:18: error[HF027]: depends_on cycle: s0 -> s1 -> s2 -> "), lines
    assert lines[0].endswith(f" -> s{n} -> s0")
