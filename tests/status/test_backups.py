"""`backups:` in the status and metrics endpoints: the last run's result, the last success, the timer's next run.

The endpoints' script and configuration are main.ign's (a host with `status:`, `observability:` and `backups:`), run
by bash as systemd's Accept=yes socket runs it (see conftest.py). The result file they read is written the way the
VM writes it: by main.ign's own backup script (hostform.backups), run with a stand-in of restic's container that
succeeds or says the password is wrong; a missing file, and files no backup script writes (corrupt, another shape),
are read too: the status and the metrics still answer, and say what they could not read. The client's table line
is :func:`hostform.cli.status.render_table` of these answers.
"""

from __future__ import annotations

import calendar
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from hostform import backups
from hostform.cli.status import render_table, shape_problem
from hostform.host.bundle import files_and_units
from tests.backups.test_script import STUB as BACKUP_STUB

from .conftest import HOST, Vm, build_host, make_vm
from .test_metrics import parse_prometheus

SCHEDULE = "*-*-* 00/2:00"
BACKUP_HOST = {
    **HOST,
    "backups": {"repository": "rest:https://backups.test/h", "password": {"secret": "restic-pw"}, "schedule": SCHEDULE},
    "observability": {"endpoint": "https://otlp.example.org", "image": "registry.example.org/otelcol:1"},
}
SNAPSHOT = "1a2b3c4d5e6f" + "0" * 52
NEXT = calendar.timegm((2026, 12, 8, 2, 0, 0))
SUCCESS = "hostform_backup_last_success_timestamp_seconds"
OK = "hostform_backup_last_run_ok"

# systemctl: prints the file named after its last argument (the unit), and notes the TZ it ran with
SYSTEMCTL = r"""#!/usr/bin/bash
{ printf 'systemctl'; printf '\x1f%s' "$@"; printf '\n'; } >>"$STUB_LOG"
printf '%s\n' "${TZ-(unset)}" >>"$STUB_OUT/systemctl.tz"
cat "$STUB_OUT/systemctl.${@: -1}" 2>/dev/null
exit 0
"""

@pytest.fixture(scope="session")
def built_backups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_host(tmp_path_factory.mktemp("backups-build"), BACKUP_HOST, secrets={"restic-pw": "pw"})


class BackupVm:
    """main.ign's endpoints (``vm``) and its backup script, both on the test's state dir; the result file where
    the endpoints' configuration (moved into the test's dir) says it is."""

    def __init__(self, built: Path, tmp: Path) -> None:
        self.vm = make_vm(built, tmp)
        (tmp / "bin" / "systemctl").write_text(SYSTEMCTL)
        (tmp / "out" / "systemctl.web.service").write_text("ActiveState=active\n")  # a container's metric beside the backups'
        cfg = json.loads(self.vm.config.read_text())
        self.result = tmp / "lib" / "backups" / "result.json"
        cfg["backups"]["result"] = str(self.result)
        self.vm.config.write_text(json.dumps(cfg))
        files, _ = files_and_units(json.loads((built / "main.ign").read_text()))
        by_path = {f.vm_path: f.text for f in files}
        self.script = tmp / "backups"
        self.script.write_text(by_path[backups.SCRIPT_PATH])
        conf = json.loads(by_path[backups.CONFIG_PATH])
        conf["state"] = str(tmp / "state")
        self.conf = tmp / "backups.json"
        self.conf.write_text(json.dumps(conf))
        (tmp / "state" / "caddy" / "data").mkdir(parents=True)
        (tmp / "state" / "caddy" / "data" / "a-certificate").write_text("x")
        for d in ("backup-bin", "backup-out"):
            (tmp / d).mkdir()
        for name in ("podman", "systemctl"):  # the backups tests' stand-ins: restic's subcommands answer from backup-out
            (tmp / "backup-bin" / name).write_text(BACKUP_STUB)
            os.chmod(tmp / "backup-bin" / name, 0o755)

    def next_run(self, text: str) -> None:
        (self.vm.tmp / "out" / f"systemctl.{backups.BACKUP_TIMER}").write_text(f"{text}\n")

    def restic(self, cmd: str, out: str = "", err: str = "", rc: int = 0) -> None:
        d = self.vm.tmp / "backup-out"
        (d / f"restic.{cmd}").write_text(out)
        (d / f"restic.{cmd}.err").write_text(err)
        (d / f"restic.{cmd}.rc").write_text(str(rc))

    def backup(self) -> subprocess.CompletedProcess[str]:
        """One run of main.ign's backup script (as hostform-backup.service runs it)."""
        env = {"PATH": f"{self.vm.tmp / 'backup-bin'}:/usr/bin:/bin", "STUB_OUT": str(self.vm.tmp / "backup-out"),
               "STUB_LOG": str(self.vm.tmp / "backup-calls"), "HOSTFORM_BACKUPS_CONFIG": str(self.conf),
               "HOSTFORM_BACKUPS_RESULT": str(self.result), "HOSTFORM_BACKUPS_CACHE": str(self.vm.tmp / "cache")}
        return subprocess.run(["bash", str(self.script), "backup"], capture_output=True, text=True, env=env, timeout=60)

    def status(self) -> dict:
        code, _, body = self.vm.get("status")
        assert code == 200, body
        got = json.loads(body)
        assert shape_problem(got) is None, shape_problem(got)  # what the client takes
        return got

    def metrics(self) -> dict[str, tuple[str, dict[str, float]]]:
        code, _, body = self.vm.get("metrics")
        assert code == 200, body
        return parse_prometheus(body.decode())


@pytest.fixture
def bvm(built_backups: Path, tmp_path: Path) -> BackupVm:
    return BackupVm(built_backups, tmp_path)


def _epoch(iso: str) -> int:
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def _line(status: dict) -> str:
    lines = [ln for ln in render_table(status).splitlines() if ln.startswith("backups:")]
    assert len(lines) == 1, render_table(status)
    return lines[0]


def test_the_endpoints_read_where_the_backup_script_writes(built_backups: Path, built: Path) -> None:
    files, units = files_and_units(json.loads((built_backups / "main.ign").read_text()))
    by_path = {f.vm_path: f.text for f in files}
    from hostform.status import vm

    cfg = json.loads(by_path[vm.CONFIG_PATH])
    assert cfg["backups"] == {"result": backups.RESULT_PATH, "timer": backups.BACKUP_TIMER, "schedule": SCHEDULE}
    # the backup script of the same main.ign writes its result there, and the timer is one of its units
    assert f"RESULT=${{HOSTFORM_BACKUPS_RESULT:-{backups.RESULT_PATH}}}\n" in by_path[backups.SCRIPT_PATH]
    assert backups.BACKUP_TIMER in {u.name for u in units}
    assert backups.RESULT_PATH not in by_path[vm.SCRIPT_PATH]  # the endpoints' script takes it from the configuration
    # a host without backups: null, and no backups in the status
    files, _ = files_and_units(json.loads((built / "main.ign").read_text()))
    assert json.loads({f.vm_path: f.text for f in files}[vm.CONFIG_PATH])["backups"] is None


def test_a_host_without_backups_has_none_in_its_status(machine: Vm) -> None:
    code, _, body = machine.get("status")
    assert code == 200 and "backups" not in json.loads(body)
    assert not any(ln.startswith("backups") for ln in render_table(json.loads(body)).splitlines())


def test_before_the_first_run_nothing_but_the_schedule_and_the_next_run(bvm: BackupVm) -> None:
    bvm.next_run("Tue 2026-12-08 02:00:00 UTC")
    got = bvm.status()
    assert got["backups"] == {"schedule": SCHEDULE, "next_run": NEXT, "last_run": None, "last_success": None, "error": None}
    assert ["systemctl", "show", "-P", "NextElapseUSecRealtime", "--", backups.BACKUP_TIMER] in bvm.vm.calls()
    # systemctl prints times in its local time zone: asked in UTC, whatever the VM's is
    assert (bvm.vm.tmp / "out" / "systemctl.tz").read_text().splitlines()[-1] == "UTC"
    assert _line(got) == f"backups: no run yet; next 2026-12-08 02:00:00 UTC ({SCHEDULE})"
    got = bvm.metrics()
    assert SUCCESS not in got and OK not in got
    assert got["container_up"][1]  # the containers' metrics as before


@pytest.mark.parametrize("shown, want", [
    ("Tue 2026-12-08 02:00:00 UTC", NEXT),
    (f"@{NEXT}", NEXT),
    ("", None),  # the timer not loaded
    ("n/a", None),
    ("Tue 2026-12-08 02:00:00 CET", None),  # not asked in UTC: not guessed
    ("$(touch pwned) 2026", None),
    ("tomorrow", None),
])
def test_the_next_run_is_the_timers(bvm: BackupVm, shown: str, want: int | None) -> None:
    bvm.next_run(shown)
    assert bvm.status()["backups"]["next_run"] == want
    assert not (bvm.vm.tmp / "pwned").exists()


SUCCESS_AT = "2026-12-07T21:00:03Z"
FAILED_AT = "2026-12-07T22:00:05Z"
WRONG_PASSWORD = ("the repository's password is wrong (backups.password): restic cannot open rest:https://backups.test/h: "
                  "Fatal: wrong password or no key found")


def _write(bvm: BackupVm, last_run: dict | None, last_success: dict | None) -> None:
    """A result file as the backup script writes it (hostform.backups, record)."""
    bvm.result.parent.mkdir(parents=True, exist_ok=True)
    bvm.result.write_text(json.dumps({"last_run": last_run, "last_success": last_success}, indent=2) + "\n")


def test_a_run_that_saved_a_snapshot(bvm: BackupVm) -> None:
    bvm.next_run("Tue 2026-12-08 02:00:00 UTC")
    run = {"start": "2026-12-07T21:00:00Z", "end": SUCCESS_AT, "ok": True, "message": "snapshot saved (12 files, 3456 bytes)",
           "snapshot": "1a2b3c4d"}
    _write(bvm, run, {"time": SUCCESS_AT, "snapshot": "1a2b3c4d"})
    got = bvm.status()
    assert got["backups"] == {"schedule": SCHEDULE, "next_run": NEXT, "last_run": run, "last_success": {"time": SUCCESS_AT, "snapshot": "1a2b3c4d"},
                              "error": None}
    assert bvm.metrics()[SUCCESS] == ("gauge", {"": _epoch(SUCCESS_AT)}) and bvm.metrics()[OK] == ("gauge", {"": 1})
    got["time"] = _epoch("2026-12-08T00:00:03Z")  # the host's time: the last success 3 h before
    assert _line(got) == ("backups: last success 2026-12-07 21:00:03 UTC, 3 h ago (snapshot 1a2b3c4d): snapshot saved (12 files, 3456 bytes); "
                          f"next 2026-12-08 02:00:00 UTC ({SCHEDULE})")


def test_a_failed_run_after_a_success(bvm: BackupVm) -> None:
    bvm.next_run("Tue 2026-12-08 02:00:00 UTC")
    _write(bvm, {"start": "2026-12-07T22:00:00Z", "end": FAILED_AT, "ok": False, "message": WRONG_PASSWORD},
           {"time": SUCCESS_AT, "snapshot": "1a2b3c4d"})
    got = bvm.status()
    b = got["backups"]
    assert b["last_run"] == {"start": "2026-12-07T22:00:00Z", "end": FAILED_AT, "ok": False, "message": WRONG_PASSWORD, "snapshot": None}
    assert b["last_success"] == {"time": SUCCESS_AT, "snapshot": "1a2b3c4d"}
    metrics = bvm.metrics()
    assert metrics[SUCCESS] == ("gauge", {"": _epoch(SUCCESS_AT)}) and metrics[OK] == ("gauge", {"": 0})
    got["time"] = _epoch("2026-12-08T00:00:03Z")
    assert _line(got) == ("backups: last success 2026-12-07 21:00:03 UTC, 3 h ago (snapshot 1a2b3c4d); "
                          f"last run FAILED 2026-12-07 22:00:05 UTC: {WRONG_PASSWORD}; next 2026-12-08 02:00:00 UTC ({SCHEDULE})")


def test_a_failure_before_any_success(bvm: BackupVm) -> None:
    _write(bvm, {"start": "2026-12-07T22:00:00Z", "end": FAILED_AT, "ok": False,
                 "message": "restic failed (exit 1): Fatal: unable to open config file: Stat: 503 Service Unavailable"}, None)
    got = bvm.status()
    assert got["backups"]["last_success"] is None and got["backups"]["last_run"]["ok"] is False
    assert bvm.metrics()[OK] == ("gauge", {"": 0}) and SUCCESS not in bvm.metrics()
    assert _line(got) == ("backups: no successful backup yet; last run FAILED 2026-12-07 22:00:05 UTC: restic failed (exit 1): Fatal: "
                          f"unable to open config file: Stat: 503 Service Unavailable; next run not known ({SCHEDULE})")


def test_what_the_backup_script_writes_is_what_status_reads(bvm: BackupVm) -> None:
    """main.ign's backup script, run as its service runs it, writes the file the endpoints read: a run that
    saved a snapshot, then one that could not open the repository (a wrong password)."""
    summary = {"message_type": "summary", "snapshot_id": SNAPSHOT, "total_files_processed": 12, "total_bytes_processed": 3456}
    bvm.restic("backup", json.dumps(summary) + "\n")
    run = bvm.backup()
    assert run.returncode == 0, run.stdout + run.stderr
    b = bvm.status()["backups"]
    assert b["error"] is None and b["last_run"]["ok"] is True and b["last_run"]["snapshot"] == "1a2b3c4d"
    assert b["last_success"] == {"time": b["last_run"]["end"], "snapshot": "1a2b3c4d"}
    success = _epoch(b["last_success"]["time"])
    assert bvm.metrics()[SUCCESS] == ("gauge", {"": success}) and bvm.metrics()[OK] == ("gauge", {"": 1})
    assert "(snapshot 1a2b3c4d): snapshot saved (12 files, 3456 bytes); next" in _line(bvm.status())

    bvm.restic("cat", err="Fatal: wrong password or no key found\n", rc=12)
    run = bvm.backup()
    assert run.returncode == 1 and "<3>backup failed: the repository's password is wrong" in run.stdout
    b = bvm.status()["backups"]
    assert b["last_run"]["ok"] is False and "the repository's password is wrong" in b["last_run"]["message"]
    assert b["last_success"]["snapshot"] == "1a2b3c4d" and _epoch(b["last_success"]["time"]) == success
    got = bvm.metrics()
    assert got[SUCCESS] == ("gauge", {"": success}) and got[OK] == ("gauge", {"": 0})
    line = _line(bvm.status())
    assert "(snapshot 1a2b3c4d); last run FAILED " in line and "the repository's password is wrong (backups.password)" in line


CORRUPT = {
    "not json": (b'{"last_run": {"ok": tr', "is not JSON"),
    "empty": (b"", "is empty"),
    "two values": (b"{} {}", "holds more than one JSON value"),
    "a list": (b"[1, 2]", "is not a JSON object"),
    "last_run a string": (b'{"last_run": "yesterday", "last_success": null}', "has a last_run that is not an object"),
    "last_success a list": (b'{"last_run": null, "last_success": []}', "has a last_success that is not an object"),
    "ok not a boolean": (b'{"last_run": {"ok": "yes"}, "last_success": null}', "has a last_run whose ok is not true or false"),
    "too large": (b'{"last_run": null, "x": "' + b"a" * (1 << 20) + b'"}', "is larger than 1048576 bytes"),
    "binary": (b"\xff\xfe{", "is not JSON"),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_a_result_file_no_backup_wrote_is_said_and_the_rest_answers(bvm: BackupVm, name: str) -> None:
    raw, why = CORRUPT[name]
    bvm.result.parent.mkdir(parents=True)
    bvm.result.write_bytes(raw)
    got = bvm.status()
    assert {s["name"] for s in got["services"]} == {"web", "db"}  # the rest of the status as always
    b = got["backups"]
    assert (b["last_run"], b["last_success"], b["error"]) == (None, None, f"{bvm.result} {why}")
    assert _line(got).startswith(f"backups: the last result cannot be read: {bvm.result} {why}; next run not known")
    metrics = bvm.metrics()
    assert SUCCESS not in metrics and OK not in metrics and "container_up" in metrics


def test_a_directory_where_the_result_should_be(bvm: BackupVm) -> None:
    bvm.result.mkdir(parents=True)
    assert bvm.status()["backups"]["error"] == f"{bvm.result} is not a file that can be read"
    assert OK not in bvm.metrics()


def test_fields_of_another_type_are_unknown_not_an_error(bvm: BackupVm) -> None:
    bvm.result.parent.mkdir(parents=True)
    bvm.result.write_text(json.dumps({"last_run": {"ok": False, "message": 5, "start": ["x"], "end": "2026-12-07T22:00:01Z", "extra": 1},
                                      "last_success": {"time": 7, "snapshot": {"id": 1}}, "more": True}))
    b = bvm.status()["backups"]
    assert b["last_run"] == {"start": None, "end": "2026-12-07T22:00:01Z", "ok": False, "message": None, "snapshot": None}
    assert b["last_success"] == {"time": None, "snapshot": None} and b["error"] is None
    got = bvm.metrics()
    assert got[OK] == ("gauge", {"": 0}) and SUCCESS not in got  # no time, no gauge


def test_the_message_cannot_drive_the_terminal(bvm: BackupVm) -> None:
    bvm.result.parent.mkdir(parents=True)
    bvm.result.write_text(json.dumps({"last_run": {"ok": False, "start": "2026-12-07T22:00:00Z", "end": "2026-12-07T22:00:01Z",
                                                   "message": "restic said \x1b]0;owned\x07\x1b[2J\nnext line"},
                                      "last_success": {"time": "\x1b[31m", "snapshot": "ab\x9bcd"}}))
    line = _line(bvm.status())
    assert "\x1b" not in line and "\x07" not in line and "\x9b" not in line
    assert "restic said \\x1b]0;owned\\x07\\x1b[2J next line" in line and "last success \\x1b[31m (snapshot ab\\x9bcd)" in line


def test_logs_serves_the_backups_journal(bvm: BackupVm, built: Path, tmp_path: Path) -> None:
    """`hostform logs hostform-backup`: the backup's journal on a host with backups (docs/backups.md), and no
    restore's without `restore: on-blank`, nor either on a host without backups."""
    assert bvm.vm.get("logs", "unit=hostform-backup")[0] == 200
    assert bvm.vm.calls()[-1][:5] == ["journalctl", "--no-pager", "-q", "-u", "hostform-backup.service"]
    assert bvm.vm.get("logs", "unit=hostform-restore")[0] == 404
    (tmp_path / "plain").mkdir()
    assert make_vm(built, tmp_path / "plain").get("logs", "unit=hostform-backup")[0] == 404
