"""The backups' VM script (`hostform.backups.SCRIPT`) as the VM runs it: taken, with its configuration, from the
main.ign `hostform build` wrote, run by bash (with the real jq) against stand-ins of podman and systemctl that
record their argv. The stand-in podman answers each restic subcommand (cat, init, backup, forget, snapshots,
restore) as a scenario says: these tests prove the script's decisions (what runs, in which order, what is recorded,
what is said); tests/e2e/test_backups.py proves them with the real restic, REST server and machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostform import backups
from hostform.host.bundle import files_and_units
from tests.require import need

# records its argv (one line, arguments separated by US); `podman run ... IMAGE ... SUB` answers from $STUB_OUT/restic.SUB
# (stdout), .err (stderr), .rc (exit code); `podman exec NAME ...` from $STUB_OUT/exec.NAME
STUB = r"""#!/usr/bin/bash
name=${0##*/}
{ printf '%s' "$name"; printf '\x1f%s' "$@"; printf '\n'; } >>"$STUB_LOG"
key=
if [ "$name" = podman ] && [ "${1:-}" = run ]; then
  for a in "$@"; do case $a in cat|init|backup|forget|snapshots|restore) key=restic.$a; break ;; esac; done
elif [ "$name" = podman ] && [ "${1:-}" = exec ]; then key=exec.$2
elif [ "$name" = systemctl ]; then key=systemctl.$1
fi
f=$STUB_OUT/$key
[ -n "$key" ] && [ -f "$f.err" ] && cat "$f.err" >&2
[ -n "$key" ] && [ -f "$f" ] && cat "$f"
exit "$(cat "$f.rc" 2>/dev/null || echo 0)"
"""

HOST = {
    "name": "h",
    "services": {
        "db": {"image": "registry.test/db:17", "volumes": {"db": "/data"}, "secrets": ["pw"],
               "backup": {"before": "pg_dump -f /data/dump.sql"}},
        "app": {"image": "registry.test/app:1", "port": 8080, "volumes": {"files": "/files"}, "backup": {"stop": True}},
    },
    "sites": {"app.test": "app"},
    "tls": {"ca": "internal"},
    "backups": {"repository": "rest:https://backups.test/h", "password": {"secret": "restic-pw"},
                "env": {"RESTIC_REST_USERNAME": "h", "RESTIC_REST_PASSWORD": {"secret": "rest-pw"}},
                "keep": {"daily": 3, "weekly": 0, "monthly": 2}, "restore": "on-blank"},
}

SUMMARY = json.dumps({"message_type": "summary", "total_files_processed": 3, "total_bytes_processed": 42,
                      "snapshot_id": "0123456789abcdef" * 4})


def build(tmp: Path, data: dict = HOST) -> dict[str, str]:
    """`hostform build` of ``data`` (its secrets set with the test identity): path -> text of the VM's files."""
    from hostform import pipeline
    from hostform.host.render import to_yaml
    from hostform.secrets import encrypt, generate_identity

    d = tmp / "host"
    (d / "secrets").mkdir(parents=True)
    key, public = generate_identity()
    (tmp / "age.key").write_text(key)
    for name in ("pw", "restic-pw", "rest-pw"):
        (d / "secrets" / f"{name}.age").write_bytes(encrypt(f"value of {name}".encode(), [public]))
    (d / "hostform.yaml").write_text(to_yaml({**data, "recipients": [public]}))
    b = pipeline.build(d, pipeline.Options(caddy="off", identity=str(tmp / "age.key")))
    assert not b.report.errors, b.report.format()
    files, _ = files_and_units(b.ignition)
    return {f.vm_path: f.text for f in files}


class VM:
    """The script and its configuration from a build, a state directory, stand-ins; ``run(mode)`` runs it."""

    def __init__(self, tmp: Path, data: dict = HOST) -> None:
        if shutil.which("jq") is None:
            need("jq (Debian's jq) runs the backups' script, as on Fedora CoreOS")
        files = build(tmp, data)
        self.tmp = tmp
        self.script = tmp / "backups.sh"
        self.script.write_text(files[backups.SCRIPT_PATH])
        self.conf = json.loads(files[backups.CONFIG_PATH])
        self.state = tmp / "state"
        for p in self.conf["paths"]:
            (self.state / p).mkdir(parents=True)
        # a disk in use: its restore done (or found with data), a file in a volume
        (self.state / backups.MARKER).write_text("done\n")
        (self.state / "volumes" / "db").mkdir()
        (self.state / "volumes" / "db" / "PG_VERSION").write_text("17\n")
        self.conf.update(state=str(self.state), restore_wait=0)
        self.conf_path = tmp / "config.json"
        self.conf_path.write_text(json.dumps(self.conf))
        self.result = tmp / "var" / "result.json"
        self.out = tmp / "out"
        self.out.mkdir()
        bin_ = tmp / "bin"
        bin_.mkdir()
        for name in ("podman", "systemctl"):
            (bin_ / name).write_text(STUB)
            (bin_ / name).chmod(0o755)
        self.log = tmp / "calls.log"
        self.env = {**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}", "STUB_LOG": str(self.log), "STUB_OUT": str(self.out),
                    "HOSTFORM_BACKUPS_CONFIG": str(self.conf_path), "HOSTFORM_BACKUPS_RESULT": str(self.result),
                    "HOSTFORM_BACKUPS_CACHE": str(tmp / "cache")}

    def answer(self, key: str, out: str = "", rc: int = 0, err: str = "") -> None:
        (self.out / key).write_text(out)
        (self.out / f"{key}.rc").write_text(str(rc))
        (self.out / f"{key}.err").write_text(err)

    def run(self, mode: str) -> subprocess.CompletedProcess[str]:
        self.log.unlink(missing_ok=True)
        return subprocess.run(["bash", str(self.script), mode], env=self.env, capture_output=True, text=True, timeout=60)

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [line.split("\x1f") for line in self.log.read_text().splitlines()]

    def restic_calls(self) -> list[str]:
        """The restic subcommand of each `podman run`, in order."""
        subs = ("cat", "init", "backup", "forget", "snapshots", "restore")
        return [next(a for a in c if a in subs) for c in self.calls() if c[:2] == ["podman", "run"]]


def _steps(vm: VM) -> list[str]:
    """What the script did, in order: execs, stops, starts and restic subcommands."""
    out = []
    subs = ("cat", "init", "backup", "forget", "snapshots", "restore")
    for c in vm.calls():
        if c[:2] == ["podman", "exec"]:
            out.append(f"exec {c[2]}")
        elif c[:2] == ["podman", "run"]:
            out.append(next(a for a in c if a in subs))
        elif c[0] == "systemctl" and c[1] in ("stop", "start"):
            out.append(f"{c[1]} {c[-1]}")
    return out


def test_a_backup_dumps_stops_snapshots_starts_again_then_forgets(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    vm.answer("restic.cat", rc=10, err="Fatal: repository does not exist\n")
    vm.answer("restic.backup", out='{"message_type":"status"}\n' + SUMMARY + "\n")
    r = vm.run("backup")
    assert r.returncode == 0, r.stdout + r.stderr
    # the dump first, the stopped service back before forget --prune (which may take long)
    # the repository first, then the dump, the stopped service back before forget --prune (which may take long)
    assert _steps(vm) == ["cat", "init", "exec db", "stop app.service", "backup", "start app.service", "forget"]
    run = next(c for c in vm.calls() if c[:2] == ["podman", "run"] and "backup" in c)
    assert "--secret" in run and "restic-pw,type=env,target=RESTIC_PASSWORD" in run
    assert "rest-pw,type=env,target=RESTIC_REST_PASSWORD" in run and "RESTIC_REST_USERNAME=h" in run
    assert "RESTIC_REPOSITORY=rest:https://backups.test/h" in run and f"{vm.state}:/state:ro" in run
    assert run[-2:] == ["/state/volumes", "/state/caddy/data"]
    # podman says nothing of its pull (restic's errors alone are the message); restic waits for another's lock
    image = next(i for i, a in enumerate(run) if a.startswith("docker.io/restic/restic:"))  # backups.image's default
    assert "--quiet" in run[:image] and run[image + 1] == "--retry-lock=2m"
    assert not any("value of" in a for c in vm.calls() for a in c)  # no secret value on any command line
    exec_ = next(c for c in vm.calls() if c[:2] == ["podman", "exec"])
    assert exec_[2:] == ["db", "/bin/sh", "-c", "pg_dump -f /data/dump.sql"]
    forget = next(c for c in vm.calls() if "forget" in c)
    assert {"--keep-daily=3", "--keep-monthly=2", "--prune"} <= set(forget) and "--keep-weekly=0" not in forget
    assert forget[forget.index("--group-by") + 1] == "host,tags" and {"--host", "--tag"} <= set(forget)
    res = json.loads(vm.result.read_text())
    assert res["last_run"]["ok"] is True and res["last_run"]["snapshot"] == "01234567"
    assert res["last_success"]["snapshot"] == "01234567" and "3 files, 42 bytes" in res["last_run"]["message"]
    assert "snapshot 01234567 saved" in r.stdout and "<3>" not in r.stdout


def test_a_failing_dump_takes_no_snapshot_and_is_an_error(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    vm.result.parent.mkdir(parents=True)
    vm.result.write_text(json.dumps({"last_run": {"ok": True}, "last_success": {"time": "2026-12-01T03:00:00Z", "snapshot": "aaaa"}}))
    vm.answer("exec.db", out="pg_dump: connection refused\n", rc=1)
    r = vm.run("backup")
    assert r.returncode == 1
    assert _steps(vm) == ["cat", "exec db"]  # nothing stopped, no snapshot, nothing forgotten
    line = next(x for x in r.stdout.splitlines() if x.startswith("<3>"))  # priority err in the journal
    assert "db's before command failed (exit 1): pg_dump: connection refused" in line and "no snapshot was taken" in line
    res = json.loads(vm.result.read_text())
    assert res["last_run"]["ok"] is False and "connection refused" in res["last_run"]["message"]
    assert res["last_success"] == {"time": "2026-12-01T03:00:00Z", "snapshot": "aaaa"}  # the last success is kept


def test_a_wrong_password_is_said_before_anything_is_dumped_or_stopped(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    vm.answer("restic.cat", rc=12, err="Fatal: wrong password or no key found\n")
    r = vm.run("backup")
    assert r.returncode == 1
    assert _steps(vm) == ["cat"]  # no dump, no service stopped for nothing
    line = next(x for x in r.stdout.splitlines() if x.startswith("<3>"))
    assert "the repository's password is wrong (backups.password)" in line and "nothing was changed" in line
    assert "wrong password" in json.loads(vm.result.read_text())["last_run"]["message"]


def test_a_failed_snapshot_is_an_error_and_nothing_is_forgotten(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    vm.answer("restic.backup", rc=1, err='{"message_type":"exit_error","code":1,"message":"Fatal: unable to save snapshot: connection reset"}\n')
    r = vm.run("backup")
    assert r.returncode == 1 and "forget" not in vm.restic_calls()
    assert "restic failed (exit 1): Fatal: unable to save snapshot: connection reset" in r.stdout  # the JSON's message
    assert "connection reset" in next(x for x in r.stdout.splitlines() if x.startswith("<3>"))
    assert ["stop app.service", "start app.service"] == [s for s in _steps(vm) if s.endswith("app.service")]


def blank(vm: VM) -> None:
    """A new state disk: no marker, the volumes' directories (made at every boot) and nothing in them."""
    (vm.state / backups.MARKER).unlink()
    (vm.state / "volumes" / "db" / "PG_VERSION").unlink()
    (vm.state / "volumes" / "db" / "base").mkdir()


def test_restore_never_touches_a_disk_with_data(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    blank(vm)
    (vm.state / "volumes" / "db" / "base" / "1").write_text("")  # any file is data, even an empty one
    r = vm.run("restore")
    assert r.returncode == 0 and vm.calls() == []
    assert "holds data" in r.stdout and "nothing restored" in r.stdout
    assert (vm.state / backups.MARKER).read_text() == "done\n"  # and it is never looked at again


def test_a_disk_once_looked_at_is_never_restored_onto(tmp_path: Path) -> None:
    """A routine reboot with volumes that hold no file (a drained spool) restores nothing: the disk was seen before."""
    vm = VM(tmp_path)
    (vm.state / "volumes" / "db" / "PG_VERSION").unlink()
    r = vm.run("restore")
    assert r.returncode == 0 and vm.calls() == [] and "nothing to restore" in r.stdout


LATEST = json.dumps([{"id": "feedbeef" * 8, "short_id": "feedbeef", "time": "2026-12-07T03:00:00.123Z",
                      "paths": ["/state/caddy/data", "/state/volumes"]}])


def test_restore_on_a_blank_disk_takes_the_latest_snapshot(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    blank(vm)  # directories (tmpfiles makes them at boot) are no data
    vm.answer("restic.snapshots", out=LATEST)
    r = vm.run("restore")
    assert r.returncode == 0, r.stdout + r.stderr
    assert vm.restic_calls() == ["snapshots", "restore"]
    snap, rest = [c for c in vm.calls() if c[:2] == ["podman", "run"]]
    # restic's own `latest` (real times, all sets of paths: not --latest 1, the latest of each set)
    assert {"--host", "h", "--tag", "hostform"} <= set(snap) and snap[-1] == "latest" and f"{vm.state}:/state:ro" in snap
    assert f"{vm.state}:/state:rw" in rest and rest[-5:] == ["feedbeef" * 8, "--target", "/", "--exclude-xattr", "security.selinux"]
    assert "restoring snapshot feedbeef of 2026-12-07T03:00:00.123Z" in r.stdout
    assert (vm.state / backups.MARKER).read_text() == "done\n"
    assert json.loads(vm.result.read_text())["last_success"] is None  # a restore is no backup


def test_a_restore_that_did_not_finish_is_done_again_at_the_next_boot(tmp_path: Path) -> None:
    """Half-written files of an interrupted restore are not data: the marker says a restore is still owed."""
    vm = VM(tmp_path)
    blank(vm)
    vm.answer("restic.snapshots", out=LATEST)
    vm.answer("restic.restore", rc=1, err="Fatal: connection reset\n")
    assert vm.run("restore").returncode == 1
    assert (vm.state / backups.MARKER).read_text() == "pending\n"
    (vm.state / "volumes" / "db" / "base" / "1").write_text("half")  # what the first restore wrote
    vm.answer("restic.restore")
    r = vm.run("restore")
    assert r.returncode == 0 and vm.restic_calls() == ["snapshots", "restore"] and "owed" in r.stdout
    assert (vm.state / backups.MARKER).read_text() == "done\n"


def test_no_backup_while_a_restore_is_owed(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    (vm.state / backups.MARKER).write_text("pending\n")
    r = vm.run("backup")
    assert r.returncode == 1 and vm.calls() == [] and "<3>backup refused" in r.stdout


def test_a_blank_disk_is_never_backed_up_over_the_hosts_snapshots(tmp_path: Path) -> None:
    """Without restore (or before it is set): a lost volume's empty directories must not become the latest snapshot."""
    vm = VM(tmp_path)
    (vm.state / "volumes" / "db" / "PG_VERSION").unlink()
    vm.answer("restic.snapshots", out=LATEST)
    r = vm.run("backup")
    assert r.returncode == 1 and vm.restic_calls() == ["cat", "snapshots"] and "refused" in r.stdout
    vm.answer("restic.snapshots", out="[]")  # a new host: nothing to back up yet, nothing refused
    r = vm.run("backup")
    assert r.returncode == 0 and vm.restic_calls() == ["cat", "snapshots"] and "nothing to back up" in r.stdout


@pytest.mark.parametrize("answer,said", [
    ({"rc": 10, "err": "Fatal: repository does not exist\n"}, "no repository"),
    ({"out": "[]"}, "no snapshot of h yet"),
])
def test_restore_with_nothing_to_restore_lets_the_host_start(tmp_path: Path, answer: dict, said: str) -> None:
    vm = VM(tmp_path)
    blank(vm)
    vm.answer("restic.snapshots", **answer)
    r = vm.run("restore")
    assert r.returncode == 0 and vm.restic_calls() == ["snapshots"] and said in r.stdout
    assert (vm.state / backups.MARKER).read_text() == "done\n"


def test_restore_with_a_wrong_password_fails_at_once(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    blank(vm)
    vm.answer("restic.snapshots", rc=12, err="Fatal: wrong password or no key found\n")
    r = vm.run("restore")
    assert r.returncode == 1 and vm.restic_calls() == ["snapshots"]  # no retry: it cannot get better
    assert "password is wrong" in r.stdout and "nothing that keeps data there starts" in r.stdout
    run = json.loads(vm.result.read_text())["last_run"]  # hostform status says it
    assert run["ok"] is False and "restore failed: the repository's password is wrong" in run["message"]


def test_restore_waits_for_a_repository_that_does_not_answer_then_fails(tmp_path: Path) -> None:
    vm = VM(tmp_path)
    blank(vm)
    vm.conf["restore_tries"] = 3
    vm.conf_path.write_text(json.dumps(vm.conf))
    vm.answer("restic.snapshots", rc=1, err="Fatal: unable to open repository: dial tcp: connection refused\n")
    r = vm.run("restore")
    assert r.returncode == 1 and vm.restic_calls() == ["snapshots"] * 3
    assert r.stdout.count("trying again") == 2 and "after 3 tries" in r.stdout and "connection refused" in r.stdout


def test_the_units_are_valid_and_order_the_restore_before_every_unit_keeping_data(tmp_path: Path) -> None:
    """systemd-analyze verify of the backup's service and timer and the restore's service as main.ign has them (with
    the units they need); every container keeping data on the state disk (and Caddy) waits for the restore."""
    from hostform import pipeline
    from hostform.host.render import to_yaml
    from hostform.secrets import encrypt, generate_identity

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        need("systemd-analyze (Debian's systemd package) checks the units")
    d = tmp_path / "host"
    (d / "secrets").mkdir(parents=True)
    key, public = generate_identity()
    (tmp_path / "age.key").write_text(key)
    for name in ("pw", "restic-pw", "rest-pw"):
        (d / "secrets" / f"{name}.age").write_bytes(encrypt(b"v", [public]))
    (d / "hostform.yaml").write_text(to_yaml({**HOST, "recipients": [public]}))
    b = pipeline.build(d, pipeline.Options(caddy="off", identity=str(tmp_path / "age.key")))
    _, units = files_and_units(b.ignition)
    texts = {u.name: u.text for u in units if u.text}
    out = tmp_path / "units"
    out.mkdir()
    for name, text in texts.items():  # every unit of the host: those the backup's need are among them
        (out / name).write_text(text)
    proc = subprocess.run([analyze, "verify", "--man=no", *(str(out / n) for n in (backups.BACKUP_SERVICE, backups.BACKUP_TIMER,
                                                                                  backups.RESTORE_SERVICE))],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr
    for q in ("db.container", "app.container"):
        quadlet = next(f.text for f in files_and_units(b.ignition)[0] if f.vm_path.endswith("/" + q))
        assert f"Requires={backups.RESTORE_SERVICE}\nAfter={backups.RESTORE_SERVICE}\n" in quadlet, q
    # Caddy starts after the restore, failed or not: status and logs (through it) say why
    caddy = next(f.text for f in files_and_units(b.ignition)[0] if f.vm_path.endswith("/caddy.container"))
    assert f"After={backups.RESTORE_SERVICE}" in caddy and f"Requires={backups.RESTORE_SERVICE}" not in caddy
    assert f"Requisite={backups.RESTORE_SERVICE}" in texts[backups.BACKUP_SERVICE]
    assert "OnCalendar=*-*-* 02:45" in texts[backups.BACKUP_TIMER] and "Persistent=true" in texts[backups.BACKUP_TIMER]


# one line of anything a shell, jq or a unit file could read specially (the schema allows it in `before` and `env`)
WORD = st.lists(st.sampled_from(list("aZ09 \t$`'\"\\;&|*?~#%{}()<>!=-") + ["$(id)", "${HOME}", "\\n", "é", "中", "-e", "--", "\u00a0"]),
                min_size=1, max_size=8).map("".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(before=st.lists(WORD, min_size=2, max_size=4), value=WORD)
def test_before_commands_and_env_values_reach_podman_exactly_as_written(tmp_path_factory, before, value) -> None:
    """Whatever arguments `backup.before` has and whatever an `env` value is, podman gets exactly them: the values go
    through the configuration's JSON, jq and bash arrays, never through a shell's parsing."""
    tmp = tmp_path_factory.mktemp("words")
    data = {**HOST, "services": {**HOST["services"], "db": {**HOST["services"]["db"], "backup": {"before": before}}},
            "backups": {**HOST["backups"], "env": {"AWS_DEFAULT_REGION": {"value": value}}}}
    vm = VM(tmp, data)
    vm.answer("restic.backup", out=SUMMARY + "\n")
    r = vm.run("backup")
    assert r.returncode == 0, r.stdout + r.stderr
    exec_ = next(c for c in vm.calls() if c[:2] == ["podman", "exec"])
    assert exec_[2:] == ["db", *before]
    run = next(c for c in vm.calls() if c[:2] == ["podman", "run"])
    assert f"AWS_DEFAULT_REGION={value}" in run


def test_an_sftp_repository_logs_in_with_the_key_secret_and_only_the_known_host_keys(tmp_path: Path) -> None:
    """sftp: the key reaches restic's container as a podman secret file (never a file of the VM), ssh is told to use
    only it and to accept only the host keys of `known_hosts`, which the build writes beside the configuration."""
    known = "backups.test ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
    data = {**HOST, "backups": {"repository": "sftp:restic@backups.test:/srv/h", "password": {"secret": "restic-pw"},
                                "ssh_key": {"secret": "rest-pw"}, "known_hosts": [known]}}
    files = build(tmp_path / "b", data)
    assert files[backups.KNOWN_HOSTS_PATH] == known + "\n"
    vm = VM(tmp_path, data)
    vm.answer("restic.backup", out=SUMMARY + "\n")
    assert vm.run("backup").returncode == 0
    run = next(c for c in vm.calls() if c[:2] == ["podman", "run"] and "backup" in c)
    assert "rest-pw,type=mount,target=/run/secrets/hostform-ssh-key,mode=0400" in run
    assert f"{backups.KNOWN_HOSTS_PATH}:/etc/hostform-known_hosts:ro" in run
    opt = run[run.index("-o") + 1]
    assert opt.startswith("sftp.args=-i /run/secrets/hostform-ssh-key ") and "-o StrictHostKeyChecking=yes" in opt
    assert "-o UserKnownHostsFile=/etc/hostform-known_hosts" in opt and "-o IdentitiesOnly=yes" in opt


def test_an_ssh_key_set_without_its_last_line_break_gets_it_back(tmp_path: Path) -> None:
    """`hostform secret set` from a terminal strips the final newline, which OpenSSH needs in a private key: the
    value the VM gets for backups.ssh_key ends with one (and another secret's value is left as it is)."""
    data = {**HOST, "backups": {"repository": "sftp:restic@backups.test:/srv/h", "password": {"secret": "restic-pw"},
                                "ssh_key": {"secret": "rest-pw"}, "known_hosts": ["backups.test ssh-ed25519 AAAA"]}}
    files = build(tmp_path, data)  # each secret's value is "value of NAME", without a line break
    assert files["/var/lib/hostform/secrets/rest-pw"] == "value of rest-pw\n"
    assert files["/var/lib/hostform/secrets/restic-pw"] == "value of restic-pw"
