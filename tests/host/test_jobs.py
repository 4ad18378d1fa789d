"""`jobs:`: containers run to completion on a systemd timer, as a user meets them.

A host file with jobs is built with `hostform build`. The job's quadlet file, laid out as on the VM,
goes through the real quadlet generators of podman 5.4, 5.8 and 6.1: it must give a `Type=oneshot`
service (podman runs attached, no `-d`, no `--sdnotify`: the unit lasts as long as the container and
its output is the unit's, in the journal) with no [Install], running the image with the command,
environment, volumes (the services' state directories, owned by `user:`) and user as written, on the
services' network, and bounded by its `timeout` (TimeoutStartSec=, 1h by default; a oneshot has none of
its own); `hostform units` prints the same. The timer (main.ign) is accepted by the real
`systemd-analyze verify` beside that service, runs it on the schedule, and is enabled. Every schedule
hostform accepts is one the real `systemd-analyze calendar` accepts; the forms the schema refuses are
refused, at their line. A job's name that another unit hostform writes has is refused at its line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from hostform.host.bundle import files_and_units
from hostform.host.load import load_text
from hostform.host.schema import json_schema
from hostform.quadlet.realgen import run_real
from hostform.quadlet.unitfile import parse_text
from tests.host.test_consumers import SCHEDULE
from tests.host.test_units_real import _units
from tests.quadlet.conftest import _real as real_generator
from tests.quadlet.exact import canonical
from tests.require import need
from tests.systemd_exec import exec_argv

VERSIONS = ("5.4", "5.8", "6.1")

HOST = """\
name: shop
podman: "{version}"
services:
  db:
    image: docker.io/library/postgres:17
    volumes: {{backup: /var/backup}}
jobs:
  dump:
    image: registry.example.org/tools/pgdump:1
    command: [sh, -c, "pg_dump -h db > /backup/db.sql"]
    schedule: daily
    volumes: {{backup: /backup}}
    env: {{PGHOST: db, PGPASSWORD: "p%h $x"}}
    user: "1000"
    timeout: 1h 30min
  cleanup:
    image: docker.io/library/busybox:1
    command: find /scratch -mtime +7 -delete
    schedule: Mon..Fri *-*-* 03:30
    volumes: {{scratch: /scratch}}
"""
STATE = "/var/mnt/state"


def _hostform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        need("systemd-analyze is not installed (Debian's systemd package)")
    assert found is not None
    return found


def _built(tmp: Path, version: str) -> Path:
    project = tmp / "project"
    project.mkdir()
    (project / "hostform.yaml").write_text(HOST.format(version=version))
    built = _hostform("build", ".", cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    return project


def _generated(project: Path, version: str) -> dict[str, str]:
    """The real generator's services from the build's quadlet files (/etc/containers/systemd on the VM)."""
    quadlets = project / "build" / "quadlets"
    code, units, stderr = run_real(quadlets, binary=real_generator(version), version=version)
    assert code == 0 and "error" not in stderr.lower(), stderr
    return {name: text.replace(str(quadlets), "/etc/containers/systemd") for name, text in units.items()}


def _run_argv(unit: str) -> list[str]:
    run = [u for u in parse_text(unit, "x.service").lookup_all_raw("Service", "ExecStart") if " run " in u]
    assert len(run) == 1, unit
    return exec_argv(run[0])


def _timer(project: Path, name: str) -> dict:
    ign = json.loads((project / "build" / "main.ign").read_text())
    found = [u for u in ign["systemd"]["units"] if u["name"] == f"{name}.timer"]
    assert len(found) == 1, [u["name"] for u in ign["systemd"]["units"]]
    return found[0]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_job_is_a_oneshot_service_running_its_container_as_written(tmp_path: Path, version: str) -> None:
    project = _built(tmp_path, version)
    units = _generated(project, version)
    assert {"dump.service", "cleanup.service", "db.service"} <= set(units)
    for name, image, command in (
        ("dump", "registry.example.org/tools/pgdump:1", ["sh", "-c", "pg_dump -h db > /backup/db.sql"]),
        ("cleanup", "docker.io/library/busybox:1", ["find", "/scratch", "-mtime", "+7", "-delete"]),
    ):
        unit = parse_text(units[f"{name}.service"], f"{name}.service")
        assert unit.lookup_last("Service", "Type") == "oneshot", units[f"{name}.service"]
        assert unit.lookup_last("Service", "NotifyAccess") is None
        assert not unit.has_group("Install"), "a job is started by its timer, never at boot"
        argv = _run_argv(units[f"{name}.service"])
        assert argv[:2] == ["/usr/bin/podman", "run"]
        at = argv.index(image)
        assert argv[at + 1 :] == command, "the command reaches podman as written"
        options = argv[2:at]
        # run attached (the unit lasts as long as the container; its output is the unit's) and removed after
        assert "-d" not in options and not [o for o in options if o.startswith("--sdnotify")], options
        assert "--rm" in options
        assert [options[i + 1] for i, o in enumerate(options) if o == "--network"] == ["hostform"]
        assert [options[i + 1] for i, o in enumerate(options) if o == "--pull"] == ["newer"]
        assert not [o for o in options if "autoupdate" in o], "podman auto-update would restart a job mid-run"
        if name == "dump":
            assert [options[i + 1] for i, o in enumerate(options) if o == "--env"] == ["PGHOST=db", "PGPASSWORD=p%h $x"]
            assert [options[i + 1] for i, o in enumerate(options) if o == "-v"] == [f"{STATE}/volumes/backup:/backup:z,U"]
            assert [options[i + 1] for i, o in enumerate(options) if o == "--user"] == ["1000"]
            # the same directory as the service's volume of that name, after the state disk is mounted
            db = _run_argv(units["db.service"])
            assert f"{STATE}/volumes/backup:/var/backup:z" in db
            assert f"RequiresMountsFor={STATE}" in units["dump.service"].splitlines()
        else:  # no user: the volume stays root's
            assert [options[i + 1] for i, o in enumerate(options) if o == "-v"] == [f"{STATE}/volumes/scratch:/scratch:z"]
            assert not {"--env", "--user"} & set(options), options
    # `hostform units` prints what the real generator writes
    ours = _units(project, version)
    for name in ("dump.service", "cleanup.service"):
        assert canonical(ours[name], version) == canonical(units[name], version), name


def test_the_timer_is_verified_by_systemd_and_runs_the_job_on_its_schedule(tmp_path: Path) -> None:
    """main.ign's dump.timer beside the real generator's dump.service (podman's path swapped for a stub:
    podman is not installed here) through `systemd-analyze verify`: no finding at all."""
    analyze = _analyze()
    project = _built(tmp_path, "5.8")
    units = _generated(project, "5.8")
    for name, schedule in (("dump", "daily"), ("cleanup", "Mon..Fri *-*-* 03:30")):
        timer = _timer(project, name)
        assert timer["enabled"] is True
        t = parse_text(timer["contents"], f"{name}.timer")
        assert t.lookup_all_raw("Timer", "OnCalendar") == [schedule]
        assert t.lookup_last("Timer", "Persistent") == "true" and t.lookup_last("Timer", "Unit") is None  # NAME.service
        assert t.lookup_last("Install", "WantedBy") == "timers.target"
        d = tmp_path / f"verify-{name}"
        d.mkdir()
        stub = d / "podman"
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
        (d / f"{name}.timer").write_text(timer["contents"])
        (d / f"{name}.service").write_text(units[f"{name}.service"].replace("/usr/bin/podman", str(stub)))
        proc = subprocess.run([analyze, "verify", "--man=no", str(d / f"{name}.timer")], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
        assert proc.returncode == 0 and not proc.stderr.strip() and not proc.stdout.strip(), proc.stdout + proc.stderr
        cal = subprocess.run([analyze, "calendar", "--", schedule], capture_output=True, text=True, timeout=30)
        assert cal.returncode == 0, cal.stderr


def test_the_volumes_of_jobs_are_made_on_the_state_disk(tmp_path: Path) -> None:
    """A job's volume is a directory of the state disk like a service's: made there once it is mounted (one
    directory for the volume a service and a job share, one for the job's own), before the job runs."""
    project = _built(tmp_path, "5.8")
    files, _ = files_and_units(json.loads((project / "build" / "main.ign").read_text()))  # decoded, as Ignition writes them
    text = next(f.text for f in files if f.vm_path == "/etc/tmpfiles.d/hostform-state.conf")
    made = [line.split()[1] for line in text.splitlines() if line.startswith("d ")]
    assert made.count(f"{STATE}/volumes/backup") == 1 and made.count(f"{STATE}/volumes/scratch") == 1, text
    unit = _generated(project, "5.8")["cleanup.service"].splitlines()
    assert "Requires=hostform-state-dirs.service" in unit and "After=hostform-state-dirs.service" in unit


# ------------------------------------------------------------------ schedules

ACCEPTED = ["minutely", "hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "Daily",
            "*-*-* 03:30", "Mon..Fri *-*-* 04:00", "Sat,Sun 02:00", "*:0/15", "*-*-01 00:00:00", "*-02~1",
            "Sun 02:00 Europe/Berlin", "Mon *-*-* 04:00 UTC", "Fri 2026-*-* 9..17:00", "*-*-* 00:00:00.5", "*:*:0/30",
            "Mon..Wed 1:2:3", "*-*-* 04:00 America/Port_of_Spain", "*-*-* 04:00 Etc/GMT+1"]
# the alphabet the schema refuses (the JSON Schema's pattern), then what only the calendar check refuses
REFUSED_BY_ALPHABET = ["daily; rm -rf /", "%H:00", "$(date)", "*-*-* 04:00 \"UTC\"", "daily ", " daily", "daily  x",
                       "@1700000000", "Mon\t04:00", "04:00 Europe\\Berlin", "täglich"]
REFUSED_BY_CHECK = ["every hour", "Mon..Fri 25:00", "daily hourly", "dailyx", "*-*-* 04:00 Mars/Olympus"]


def _schedule_pattern() -> re.Pattern[str]:
    schema = json_schema()
    job = schema["properties"]["jobs"]["additionalProperties"]
    return re.compile(job["properties"]["schedule"]["pattern"])


def _load_schedule(schedule: str):
    return load_text(f"name: h\njobs:\n  j:\n    image: ghcr.io/example/j:1\n    schedule: {json.dumps(schedule)}\n")


def test_every_accepted_schedule_is_one_systemd_reads() -> None:
    analyze = _analyze()
    pattern = _schedule_pattern()
    job = json_schema()["properties"]["jobs"]["additionalProperties"]
    examples = job["properties"]["schedule"]["examples"]
    for schedule in [*ACCEPTED, *examples]:
        ld = _load_schedule(schedule)
        assert not ld.report.errors, ld.report.format()
        assert pattern.search(schedule), schedule
        cal = subprocess.run([analyze, "calendar", "--", schedule], capture_output=True, text=True, timeout=30, env={**os.environ, "TZ": "UTC"})
        assert cal.returncode == 0, f"systemd refuses {schedule!r}: {cal.stderr}"


@pytest.mark.parametrize("schedule", REFUSED_BY_ALPHABET + REFUSED_BY_CHECK)
def test_a_refused_schedule_is_refused_at_its_line(schedule: str) -> None:
    ld = _load_schedule(schedule)
    assert [(d.code, d.path, d.line) for d in ld.report.errors] == [("HF011", ("jobs", "j", "schedule"), 5)], ld.report.format()
    # the alphabet is the published schema's: an editor refuses these too
    assert (_schedule_pattern().search(schedule) is None) == (schedule in REFUSED_BY_ALPHABET), schedule


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEDULE)
def test_a_schedule_hostform_accepts_is_one_systemd_reads(schedule: str) -> None:
    """Random schedules (near-valid and garbage): whatever hostform accepts, the real systemd-analyze reads."""
    ld = _load_schedule(schedule)
    if ld.report.errors:
        assert all(d.code in ("HF011", "HF001", "HF002") and d.line > 0 for d in ld.report.errors), ld.report.format()
        return
    cal = subprocess.run([_analyze(), "calendar", "--", schedule], capture_output=True, text=True, timeout=30, env={**os.environ, "TZ": "UTC"})
    assert cal.returncode == 0, f"hostform accepts {schedule!r}, systemd does not: {cal.stderr}"


# ------------------------------------------------------------------ names, at their line


def _check(tmp: Path, text: str) -> tuple[int, list[str]]:
    (tmp / "hostform.yaml").write_text(text)
    proc = _hostform("check", ".", cwd=tmp)
    return proc.returncode, [line for line in proc.stdout.splitlines() if re.match(r"hostform\.yaml:\d+:\d+: (error|warning)", line)]


JOB = "    image: ghcr.io/example/j:1\n    schedule: daily\n"


@pytest.mark.parametrize("text,want", [
    (f"name: h\nservices:\n  db:\n    image: ghcr.io/example/db:1\njobs:\n  db:\n{JOB}",
     "hostform.yaml:7:5: error[HF011]: job name 'db' is taken by the service 'db' (both would be db.service): choose another name"),
    (f"name: h\nservices:\n  web:\n    image: ghcr.io/example/w:1\n    port: 80\nsites:\n  example.org: web\njobs:\n  caddy:\n{JOB}",
     "hostform.yaml:10:5: error[HF011]: job name 'caddy' is taken by the Caddy container hostform adds for the sites: choose another name"),
    (f"name: h\njobs:\n  hostform-network:\n{JOB}",
     "hostform.yaml:4:5: error[HF011]: job name 'hostform-network' is taken by the network 'hostform' (its unit "
     "hostform-network.service): choose another name"),
    (f"name: h\nservices:\n  web:\n    image: ghcr.io/example/w:1\n    port: 80\nsites:\n  example.org: web\njobs:\n  hostform-sites-network:\n{JOB}",
     "hostform.yaml:10:5: error[HF011]: job name 'hostform-sites-network' is taken by the network 'hostform-sites' (its unit "
     "hostform-sites-network.service): choose another name"),
    (f"name: h\nservices:\n  a:\n    image: ghcr.io/example/a:1\n    pod: grp\njobs:\n  grp-pod:\n{JOB}",
     "hostform.yaml:8:5: error[HF011]: job name 'grp-pod' is taken by the pod 'grp' of service 'a' (its unit grp-pod.service): "
     "choose another name"),
    (f"name: h\njobs:\n  podman-auto-update:\n{JOB}",
     "hostform.yaml:4:5: error[HF011]: podman-auto-update.container would be podman-auto-update.service, which is hostform's: choose another name"),
    ("name: h\njobs:\n  j:\n    image: ghcr.io/example/j:1\n",
     "hostform.yaml:4:5: error[HF010]: jobs.j: missing required key 'schedule'"),
    (f"name: h\njobs:\n  j:\n{JOB}    volumes: {{a: /d, b: /d}}\n",
     "hostform.yaml:6:25: error[HF011]: volumes 'a' and 'b' are both mounted at /d: podman refuses two mounts on one path"),
    (f"name: h\njobs:\n  j:\n{JOB}    restart: always\n",
     "hostform.yaml:6:5: error[HF023]: jobs.j: unknown key 'restart' (`restart` is a key of services.NAME); keys of your own start with 'x-'"),
    (f"name: h\njobs:\n  j:\n{JOB}quadlets: [j.container]\n",
     "hostform.yaml:6:12: error[HF011]: quadlets: 'j.container' would replace the j.container hostform writes for this host file"),
    ("name: h\njobs:\n  j:\n    image: ghcr.io/example/j:1\n    schedule: Mon 25:00\n",
     None),
])
def test_mistakes_are_reported_at_their_line(tmp_path: Path, text: str, want: str | None) -> None:
    code, lines = _check(tmp_path, text)
    assert code == 1, lines
    if want is None:  # the calendar check's own words: at the value
        assert len(lines) == 1 and lines[0].startswith("hostform.yaml:5:15: error[HF011]: jobs.j.schedule: 'Mon 25:00' is not a calendar event systemd reads"), lines
    else:
        assert lines == [want]


def test_a_job_volume_named_almost_like_a_service_volume_is_warned(tmp_path: Path) -> None:
    code, lines = _check(tmp_path, f"name: h\nservices:\n  db:\n    image: ghcr.io/example/db:1\n    volumes: {{db-backup: /b}}\njobs:\n  j:\n{JOB}    volumes: {{db_backup: /b}}\n")
    assert code == 0
    assert [line for line in lines if "HF022" in line] == ["hostform.yaml:10:26: warning[HF022]: volume 'db_backup' of job 'j' and volume 'db-backup' of service 'db' differ "
                     "only in '-', '_' or '.': they are two different directories; spell one name to share the data"]


# ------------------------------------------------------------------ timeout


def test_a_run_is_bounded_by_the_jobs_timeout(tmp_path: Path) -> None:
    """TimeoutStartSec= of the real generator's service: the job's `timeout`, or 1h; systemd reads both as written."""
    analyze = _analyze()
    units = _generated(_built(tmp_path, "5.8"), "5.8")
    for name, want, usec in (("dump", "1h 30min", 5_400_000_000), ("cleanup", "1h", 3_600_000_000)):
        unit = parse_text(units[f"{name}.service"], f"{name}.service")
        assert unit.lookup_all_raw("Service", "TimeoutStartSec") == [want], units[f"{name}.service"]
        span = subprocess.run([analyze, "timespan", want], capture_output=True, text=True, timeout=30)
        assert span.returncode == 0 and f"μs: {usec}" in span.stdout, span.stdout + span.stderr


@pytest.mark.parametrize("value,accepted", [("5s", True), ("2h", True), ("infinity", True), ("1min 30s", True),
                                            ("0", False), ("0s", False), ("-1s", False), ("soon", False), ("5 s ", False)])
def test_a_timeout_is_a_time_span_longer_than_0(value: str, accepted: bool) -> None:
    ld = load_text(f"name: h\njobs:\n  j:\n    image: ghcr.io/example/j:1\n    schedule: daily\n    timeout: {json.dumps(value)}\n")
    if accepted:
        assert not ld.report.errors, ld.report.format()
        span = subprocess.run([_analyze(), "timespan", value], capture_output=True, text=True, timeout=30)
        assert span.returncode == 0, f"systemd refuses {value!r}: {span.stderr}"
    else:
        assert [(d.code, d.path, d.line) for d in ld.report.errors] == [("HF011", ("jobs", "j", "timeout"), 6)], ld.report.format()
