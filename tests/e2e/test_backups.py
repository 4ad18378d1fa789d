"""`backups:` on booted machines (issue 15, "Done when"): restic backs a service's volume and Caddy's data up
to a real REST server on the test host, and a replacement with a new, blank state disk gets them back before
anything starts.

Real components: restic v0.18.1 and rest-server v0.14.0, each built from its Go module at that release
(tests/go/restic, tests/go/rest-server); restic's image is busybox with that restic at /usr/bin/restic,
pushed to the local registry. The REST server runs on the test host (``--no-auth``, its repositories under
the test's directory), so the repository outlives every machine; each machine reaches it at the outer
namespace's address (Machine.forwards), forwarded from before it boots. The project is made as a user makes
it: `hostform secret keygen`, `secret set`, `build`; `hostform status` reads the machine through Caddy.

The service writes a random marker into its volume at its first start when there is none, and serves the
volume; Caddy serves it over HTTPS (internal CA). Each machine has its own state disk (a loop device):
a. disk 1, blank, no repository yet: nothing to restore; the timer (every 20 s) backs up the marker and
   Caddy's data (the snapshot holds both: listed with the real restic);
b. a replacement with disk 2, new and blank: the latest snapshot is restored, and restored before the
   service and Caddy started (their units' timestamps); the marker is served, through Caddy with the same
   internal root certificate;
c. the data changed on disk 2 after its last backup, and the restore's marker on it removed (a disk as it was
   before `backups:`, never looked at): a replacement on it restores nothing ("holds data"), the changed
   data is served;
d. a build with a wrong repository password, on disk 2: the backup fails with the reason in the journal at
   priority err, in result.json and in `hostform status`; every snapshot is still in the repository (the real
   restic, with the right password), the data on the disk is served as it was;
e. the same build on disk 3, new and blank: the restore fails with the reason at priority err and in
   `hostform status`; the service does not start, no backup runs (it would make the blank disk the latest
   snapshot), the volumes stay empty, the repository as it was (its files untouched since d began);
f. the right build on disk 3 (Caddy wrote its files there in e): the restore it still owes is done, and the
   latest snapshot is served.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostform import backups, oci
from hostform._runner import wait_until
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine, free_port
from tests.e2e._site import CADDY_REMAP
from tests.e2e.conftest import HOSTFORM
from tests.require import go_helper

pytestmark = pytest.mark.e2e

NAME = "keeper"
SITE = "keeper.test"
REST_PORT = 8000  # where the guest reaches the REST server: C.OUTER_ADDR, forwarded to the test host's
PERIOD = 20  # seconds between backups: the schedule below
STATE = "/var/mnt/state"
ROOT_CA = f"caddy/data/caddy/{C.CADDY_ROOT_CA}"  # under the state disk
MARKER = "volumes/data/index.html"

HOST = """\
name: keeper
podman: "5.4"
butane_version: 1.4.0
recipients: [{recipient}]
services:
  notes:
    image: {registry}/notes:1
    command: [sh, -c, 'test -s /data/index.html || cat /proc/sys/kernel/random/uuid > /data/index.html; exec httpd -f -p 8080 -h /data']
    port: 8080
    volumes: {{data: /data}}
sites:
  keeper.test: notes
tls: {{ca: internal}}
status:
  token: {{secret: status-token}}
backups:
  repository: rest:http://{rest}/keeper
  password: {{secret: restic-pw}}
  schedule: "*:*:0/20"
  restore: on-blank
  image: {registry}/restic:test
"""


def restic_image(busybox: bytes) -> oci.Image:
    """busybox, and the restic of tests/go/restic at /usr/bin/restic (where hostform runs it from)."""
    restic = Path(go_helper("restic")).read_bytes()
    base = oci.busybox_image(busybox).layers[0]
    return oci.Image([base, oci.layer_from_entries([oci.Entry.dir("usr"), oci.Entry.dir("usr/bin"), oci.Entry.file("usr/bin/restic", restic, 0o755)])],
                     entrypoint=["/usr/bin/restic"], cmd=["version"], env=("PATH=/usr/bin:/bin",))


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def rest_server(runner, tmp_path: Path) -> Iterator[int]:
    """restic's REST server on the test host's loopback (no authentication, the repositories under the test's
    directory): its port. Stopped at the end."""
    binary = go_helper("rest-server")
    port = free_port()
    data = tmp_path / "repositories"
    data.mkdir()
    proc = runner.spawn([binary, "--no-auth", "--path", str(data), "--listen", f"127.0.0.1:{port}",
                         "--log", str(tmp_path / "rest-access.log")], log=tmp_path / "rest-server.log")
    try:
        assert wait_until(lambda: _answers(port), 20, 0.1), (tmp_path / "rest-server.log").read_text()
        yield port
    finally:
        proc.terminate()
        assert not proc.alive()


def hostform(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSTFORM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)


class Repo:
    """The repository as the user's own restic sees it (the real restic on the test host, the right password)."""

    def __init__(self, port: int, password: str, tmp: Path) -> None:
        self.env = {**os.environ, "RESTIC_REPOSITORY": f"rest:http://127.0.0.1:{port}/{NAME}", "RESTIC_PASSWORD": password,
                    "RESTIC_CACHE_DIR": str(tmp / "restic-cache")}
        self.restic = go_helper("restic")

    def run(self, *args: str) -> str:
        # while a machine's forget --prune holds the repository (exclusively), wait for it
        res = subprocess.run([self.restic, "--retry-lock=2m", *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return res.stdout

    def snapshots(self) -> list[dict]:
        return json.loads(self.run("snapshots", "--json"))

    def files(self, snapshot: str) -> set[str]:
        return {json.loads(line).get("path", "") for line in self.run("ls", "--json", snapshot).splitlines() if line.strip()}


class Scene:
    """What every machine of the test shares: the fixtures, the built hosts, the REST server's port."""

    def __init__(self, runner, cache, registry, machines, tmp: Path, rest_port: int) -> None:
        self.runner, self.cache, self.registry, self.machines, self.tmp, self.rest_port = runner, cache, registry, machines, tmp, rest_port

    def boot(self, ign: Path, name: str, device: str) -> Machine:
        m = Machine(ign, self.tmp / name, self.cache, self.runner, registry_port=self.registry.port, state_disk=device,
                    remaps=CADDY_REMAP, forwards={REST_PORT: self.rest_port})
        self.machines.append(m)
        root = m.provision()
        for pkg in C.STATUS_DEBS:  # jq (the backups' script), skopeo, openssl: Fedora CoreOS has them, Debian's root lacks them
            self.runner.run(["cp", "-a", "--", f"{self.cache.deb(pkg)}/.", str(root)])
        m.boot()
        return m

    @staticmethod
    def retire(m: Machine, *, backups_ok: bool = True) -> None:
        """The machine is gone (its state disk stays): stopped, its root file system removed (~400 MB).
        ``backups_ok``: no run of the backup or of the restore said anything at priority err."""
        if backups_ok:
            for unit in (backups.BACKUP_SERVICE, backups.RESTORE_SERVICE):
                assert not journal(m, unit, "-p", "err"), journal(m, unit)
        m.stop()
        if m.root is not None:
            shutil.rmtree(m.root, ignore_errors=True)


def journal(m: Machine, unit: str, *args: str) -> str:
    return m.exec(["journalctl", "-b", "--no-pager", "-o", "cat", "-u", unit, *args], check=False).stdout


def prop(m: Machine, unit: str, name: str) -> int:
    return int(m.exec(["systemctl", "show", "-P", name, unit]).stdout.strip() or 0)


def result(m: Machine) -> dict:
    res = m.exec(["cat", backups.RESULT_PATH], check=False)
    return json.loads(res.stdout) if res.ok and res.stdout.strip() else {}


def served(m: Machine, cafile: Path | None = None) -> tuple[int, str]:
    """The site's page over HTTPS through Caddy (verified against ``cafile`` when given)."""
    return m.get(f"https://{SITE}/", resolve=f"{SITE}:443:{m.address}", insecure=cafile is None, cacert=cafile)


def wait_served(m: Machine, cafile: Path | None = None, timeout: float = 90) -> str:
    for unit in ("notes.service", "caddy.service"):
        assert m.wait_active(unit, 240), f"{unit}: {m.is_active(unit)}\n" + journal(m, backups.RESTORE_SERVICE) + \
            m.exec(["journalctl", "-b", "--no-pager", "-n", "80"], check=False).stdout
    assert wait_until(lambda: served(m, cafile)[0] == 200, timeout, 0.5), served(m, cafile)
    return served(m, cafile)[1]


def volume_files(m: Machine) -> list[str]:
    """The files (not directories) under the state disk's volumes/."""
    return sorted(m.exec(["find", f"{STATE}/volumes", "!", "-type", "d"], check=False).stdout.split())


def no_more_backups(m: Machine) -> None:
    """The timer stopped, and the run it may have started (or queued) over: no backup after this."""
    m.exec(["systemctl", "stop", backups.BACKUP_TIMER])

    def idle() -> bool:
        jobs = m.exec(["systemctl", "list-jobs", "--no-legend", backups.BACKUP_SERVICE]).stdout.strip()
        return not jobs and m.is_active(backups.BACKUP_SERVICE) != "activating"

    assert wait_until(idle, 120, 0.5), journal(m, backups.BACKUP_SERVICE)


def repository_files(tmp: Path) -> dict[str, tuple[int, int]]:
    """The REST server's files of the repository: path -> (size, modification time in ns)."""
    root = tmp / "repositories" / NAME
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_backup_restore_on_a_blank_disk_never_over_data_and_a_wrong_password(
    runner, cache, busybox, caddy_image, registry, machines, loop_disks, rest_server: int, tmp_path: Path
) -> None:
    t_all = time.monotonic()
    oci.push(oci.busybox_image(busybox), registry.address, "notes", "1")
    oci.push(restic_image(busybox), registry.address, "restic", "test")
    oci.push(caddy_image, registry.address, "caddy", "2")

    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    project = tmp_path / NAME
    project.mkdir()
    r = hostform("secret", "keygen", env=env)
    assert r.returncode == 0, r.stderr
    (project / "hostform.yaml").write_text(HOST.format(recipient=r.stdout.strip(), registry=C.registry_name_in_guest(),
                                                       rest=f"{C.OUTER_ADDR}:{REST_PORT}"))
    r = hostform("secret", "set", "status-token", str(project), env=env, stdin="tok-" + secrets.token_hex(16))
    assert r.returncode == 0, r.stderr

    def build(password: str, out: Path) -> Path:
        r = hostform("secret", "set", "restic-pw", str(project), env=env, stdin=password)
        assert r.returncode == 0, r.stderr
        r = hostform("build", str(project), "-o", str(out), env=env)
        assert r.returncode == 0 and "error" not in r.stdout + r.stderr, r.stdout + r.stderr
        return out / "main.ign"

    password = "restic-" + secrets.token_hex(12)
    ign = build(password, tmp_path / "build")
    wrong_ign = build("not-" + password, tmp_path / "build-wrong")
    repo = Repo(rest_server, password, tmp_path)
    scene = Scene(runner, cache, registry, machines, tmp_path, rest_server)
    disk1, disk2, disk3 = loop_disks("disk1"), loop_disks("disk2"), loop_disks("disk3")
    cafile = tmp_path / "root.crt"

    def status(m: Machine, ca: Path = cafile) -> tuple[dict, str]:
        """`hostform status` of the machine, through its Caddy (the JSON, and the table)."""
        port = free_port()
        m.publish(port, 443)
        common = [str(project), "--url", f"https://{SITE}:{port}", "--connect", "127.0.0.1", "--cacert", str(ca)]
        r = hostform("status", *common, "--format", "json", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        table = hostform("status", *common, env=env)
        assert table.returncode == 0, table.stdout + table.stderr
        return json.loads(r.stdout), table.stdout

    # a. a new host on a blank disk, no repository yet: nothing restored; the service writes its marker
    m1 = scene.boot(ign, "m1", disk1.device)
    booted = time.monotonic()
    marker = wait_served(m1)
    assert len(marker.strip()) == 36, marker
    restored = journal(m1, backups.RESTORE_SERVICE)
    assert "the state disk is blank, and there is no repository" in restored, restored
    assert wait_until(lambda: m1.exec(["test", "-s", f"{STATE}/{ROOT_CA}"], check=False).ok, 60, 0.5)
    cafile.write_text(m1.exec(["cat", f"{STATE}/{ROOT_CA}"]).stdout)
    assert served(m1, cafile) == (200, marker)
    ready = time.time()
    # the timer's first successful run, then one that started after the marker and Caddy's root were there
    assert wait_until(lambda: (result(m1).get("last_success") or None) is not None, 120, 1), \
        (result(m1), journal(m1, backups.BACKUP_SERVICE))
    first_backup = time.monotonic() - booted

    def covered() -> bool:
        run = result(m1).get("last_run", {})
        return bool(run.get("ok")) and run.get("start", "") >= utc(ready)

    assert wait_until(covered, 3 * PERIOD + 60, 1), (result(m1), journal(m1, backups.BACKUP_SERVICE))
    done = result(m1)
    assert done["last_success"]["snapshot"] == done["last_run"]["snapshot"], done
    said = journal(m1, backups.BACKUP_SERVICE)
    assert f"backup: snapshot {done['last_run']['snapshot']} saved" in said, said
    # the snapshot, as the user's restic sees it: this host's, tagged, with the marker and Caddy's root
    latest = next(s for s in repo.snapshots() if s["short_id"] == done["last_run"]["snapshot"])
    assert latest["hostname"] == NAME and latest["tags"] == [backups.TAG], latest
    assert {f"/state/{MARKER}", f"/state/{ROOT_CA}"} <= repo.files(latest["short_id"]), repo.files(latest["short_id"])
    assert repo.run("dump", latest["short_id"], f"/state/{MARKER}") == marker
    # and as `hostform status` shows it
    got, table = status(m1)
    assert got["backups"]["last_success"] is not None and got["backups"]["last_run"]["ok"] is True, got["backups"]
    assert "backups: last success " in table, table
    no_more_backups(m1)
    backed_up = repo.snapshots()[-1]["short_id"]  # the latest, which a restore takes
    scene.retire(m1)

    # b. a replacement on a new, blank disk: the snapshot is back before the service and Caddy start
    t_b = time.monotonic()
    m2 = scene.boot(ign, "m2", disk2.device)
    assert wait_served(m2, cafile) == marker, "the marker was not restored (or not before the service wrote a new one)"
    served_b = time.monotonic() - t_b
    restored = journal(m2, backups.RESTORE_SERVICE)
    assert f"restore: the state disk is blank: restoring snapshot {backed_up}" in restored, restored
    assert f"restore: snapshot {backed_up} restored into {STATE}" in restored, restored
    began = prop(m2, backups.RESTORE_SERVICE, "InactiveExitTimestampMonotonic")
    finished = prop(m2, backups.RESTORE_SERVICE, "ActiveEnterTimestampMonotonic")
    notes_start = prop(m2, "notes.service", "ExecMainStartTimestampMonotonic")
    caddy_start = prop(m2, "caddy.service", "ExecMainStartTimestampMonotonic")
    assert 0 < began < finished <= min(notes_start, caddy_start), (began, finished, notes_start, caddy_start)
    restore_took = (finished - began) / 1e6
    # the service's data and Caddy's (the same root certificate verified the page above)
    assert m2.exec(["cat", f"{STATE}/{ROOT_CA}"]).stdout == cafile.read_text()

    # c. the data changed on disk 2 after its last backup, the restore's marker removed (a disk from before
    # `backups:`, never looked at): a replacement on that disk restores nothing
    no_more_backups(m2)
    changed = f"changed {secrets.token_hex(6)}\n"
    m2.exec(["podman", "exec", "notes", "sh", "-c", f"printf '{changed.strip()}\\n' > /data/index.html"])
    assert served(m2, cafile) == (200, changed)
    m2.exec(["rm", f"{STATE}/{backups.MARKER}"])
    before_c = {s["id"] for s in repo.snapshots()}
    assert repo.run("dump", "latest", f"/state/{MARKER}") == marker  # the latest snapshot: before the change
    scene.retire(m2)
    m3 = scene.boot(ign, "m3", disk2.device)
    assert wait_served(m3, cafile) == changed
    restored = journal(m3, backups.RESTORE_SERVICE)
    assert f"restore: the state disk holds data ({STATE}/" in restored and "restoring" not in restored, restored
    no_more_backups(m3)
    kept = {s["id"] for s in repo.snapshots()}
    assert before_c <= kept, "a snapshot went away"
    scene.retire(m3)

    # d. a wrong repository password, on disk 2: every backup fails, saying why; nothing is lost
    files_before = repository_files(tmp_path)
    m4 = scene.boot(wrong_ign, "m4", disk2.device)
    t_d = time.monotonic()
    assert wait_served(m4, cafile) == changed
    restored = journal(m4, backups.RESTORE_SERVICE)
    assert "nothing to restore" in restored and "restoring" not in restored, restored  # the disk's marker: looked at
    assert wait_until(lambda: result(m4).get("last_run", {}).get("ok") is False, 2 * PERIOD + 60, 1), \
        (result(m4), journal(m4, backups.BACKUP_SERVICE))
    failed_after = time.monotonic() - t_d
    # what the user reads: hostform's reason, and restic's own words (no podman output in between)
    why = (f"the repository's password is wrong (backups.password): restic cannot open rest:http://{C.OUTER_ADDR}:{REST_PORT}/{NAME}: "
           "Fatal: wrong password or no key found")
    errors = journal(m4, backups.BACKUP_SERVICE, "-p", "err")
    assert f"backup failed: {why}; nothing was changed\n" in errors, journal(m4, backups.BACKUP_SERVICE)
    got = result(m4)
    assert got["last_run"]["message"] == why and got["last_run"]["ok"] is False and got["last_success"] is None, got
    got, table = status(m4)
    assert got["backups"]["last_run"]["ok"] is False and got["backups"]["last_run"]["message"] == why, got["backups"]
    assert "backups: no successful backup yet; last run FAILED " in table and why in table, table
    assert {s["id"] for s in repo.snapshots()} == kept, "the repository changed"
    assert served(m4, cafile) == (200, changed)
    scene.retire(m4, backups_ok=False)

    # e. the wrong password on disk 3, new and blank: the restore fails; the service does not start, no backup runs
    m5 = scene.boot(wrong_ign, "m5", disk3.device)
    assert wait_until(lambda: m5.is_active(backups.RESTORE_SERVICE) == "failed", 120, 0.5), journal(m5, backups.RESTORE_SERVICE)
    restore_why = why.split(": Fatal")[0]
    errors = journal(m5, backups.RESTORE_SERVICE, "-p", "err")
    assert f"restore failed: {restore_why}; the blank state disk was left as it is" in errors, journal(m5, backups.RESTORE_SERVICE)
    assert m5.exec(["cat", f"{STATE}/{backups.MARKER}"]).stdout == "pending\n"  # a restore is owed to this disk
    # Caddy starts without the restore (status and logs are served through it; its internal CA a new one, on the
    # blank disk), and status says why
    assert m5.wait_active("caddy.service", 120), journal(m5, "caddy.service")
    got, table = status(m5, m5.caddy_root(tmp_path / "root-m5.crt"))
    assert got["backups"]["last_run"]["ok"] is False and got["backups"]["last_run"]["message"] == f"restore failed: {restore_why}", \
        got["backups"]
    assert "last run FAILED " in table and f"restore failed: {restore_why}" in table, table
    time.sleep(PERIOD + 5)  # a timer's tick: the backup must not run on the blank disk
    assert m5.is_active("notes.service") != "active", journal(m5, "notes.service")
    # the timer went off, and hostform-backup.service never ran its script
    fired = m5.exec(["systemctl", "show", "-P", "LastTriggerUSec", backups.BACKUP_TIMER]).stdout.strip()
    assert fired not in ("", "n/a"), fired
    assert prop(m5, backups.BACKUP_SERVICE, "ExecMainStartTimestampMonotonic") == 0, journal(m5, backups.BACKUP_SERVICE)
    assert volume_files(m5) == [], volume_files(m5)
    assert {s["id"] for s in repo.snapshots()} == kept, "the repository changed"
    assert repository_files(tmp_path) == files_before, "a run with the wrong password wrote to the repository"
    scene.retire(m5, backups_ok=False)

    # f. the right password on disk 3: the restore it owes is done (Caddy's files there are not data of its own)
    m6 = scene.boot(ign, "m6", disk3.device)
    expected = repo.run("dump", "latest", f"/state/{MARKER}")
    assert wait_served(m6, cafile) == expected
    restored = journal(m6, backups.RESTORE_SERVICE)
    assert "restore: a restore onto this state disk is owed" in restored and "restored into" in restored, restored
    assert m6.exec(["cat", f"{STATE}/{backups.MARKER}"]).stdout == "done\n"
    no_more_backups(m6)
    scene.retire(m6)

    print(f"\nbackups: first successful backup {first_backup:.0f}s after boot (schedule every {PERIOD}s); "
          f"replacement on a blank disk served the restored marker {served_b:.0f}s after provisioning started, "
          f"the restore (image pull included) took {restore_took:.1f}s and finished "
          f"{(min(notes_start, caddy_start) - finished) / 1e6:.2f}s before the first container started; "
          f"the wrong password's failed backup {failed_after:.0f}s after boot; snapshots: {len(repo.snapshots())}; "
          f"whole test {time.monotonic() - t_all:.0f}s; boot timings of the last machine {m6.timings}")
