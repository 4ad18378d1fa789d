"""``hostform backups list|check``: a real restic on a real repository behind a real sshd (see conftest.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.backups.conftest import Sftp

HOST = "tinkerbell"
PASSWORD = "correct horse battery staple"
S3_SECRET = "s3-secret-4f9c2a"


def hostform(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hostform", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@dataclass
class World:
    """A project whose backups go to ``repo`` (sftp through sshd), the user's environment, restic."""

    project: Path
    repo: Path
    env: dict[str, str]
    restic: str
    capture: Path

    def restic_local(self, *args: str, password: str = PASSWORD, host: str = HOST, cwd: Path | None = None) -> str:
        """restic on the repository's directory itself (what the VM's backups would have written)."""
        env = {**os.environ, "RESTIC_PASSWORD": password, "RESTIC_REPOSITORY": str(self.repo),
               "RESTIC_CACHE_DIR": str(self.capture.parent / "cache")}
        r = subprocess.run([self.restic, *args], env=env, capture_output=True, text=True, cwd=cwd, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return hostform("backups", *args, str(self.project), cwd=self.project.parent, env=env or self.env)


def _host_file(public: str, repository: str, known_hosts: str, extra: str = "") -> str:
    return (f"name: {HOST}\nrecipients: [{public}]\n"
            "services:\n  app:\n    image: docker.io/library/nginx:1.27\n    volumes: {data: /data}\n"
            f"backups:\n  repository: {repository}\n  password: {{secret: restic-password}}\n"
            "  env:\n    AWS_SECRET_ACCESS_KEY: {secret: s3-key}\n    RESTIC_COMPRESSION: auto\n"
            f"  ssh_key: {{secret: backup-key}}\n  known_hosts: [\"{known_hosts}\"]\n{extra}")


def make_world(tmp: Path, sftp: Sftp, restic: str, password: str = PASSWORD) -> World:
    from hostform.secrets import encrypt, generate_identity

    project = tmp / "project"
    (project / "secrets").mkdir(parents=True)
    key, public = generate_identity()
    (tmp / "age.key").write_text(key)
    repo = tmp / "repo"
    for name, value in {"restic-password": password.encode(), "s3-key": S3_SECRET.encode(),
                        "backup-key": sftp.client_key}.items():
        (project / "secrets" / f"{name}.age").write_bytes(encrypt(value, [public]))
    (project / "hostform.yaml").write_text(_host_file(public, sftp.repository(repo), sftp.known_hosts))
    capture = tmp / "capture"
    capture.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTFORM_", "RESTIC_"))}
    env.update(HOSTFORM_AGE_KEY_FILE=str(tmp / "age.key"), XDG_CONFIG_HOME=str(tmp / "config"),
               XDG_CACHE_HOME=str(tmp / "cache"), TMPDIR=str(tmp / "tmp"), HOSTFORM_RESTIC=restic)
    env.pop("XDG_RUNTIME_DIR", None)
    (tmp / "tmp").mkdir()
    return World(project, repo, env, restic, capture)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, sftp: Sftp, restic_bin: str) -> Path:
    """A repository as the VM's backups leave it: this host's snapshot tagged hostform, and two that `list` must
    not show (another host's, one without the tag); each test gets a copy."""
    tmp = tmp_path_factory.mktemp("filled")
    w = make_world(tmp, sftp, restic_bin)
    w.restic_local("init")
    data = tmp / "state"
    (data / "volumes" / "app-data").mkdir(parents=True)
    (data / "volumes" / "app-data" / "hello.txt").write_text("hello\n")
    w.restic_local("backup", "--host", HOST, "--tag", "hostform", "volumes", cwd=data)
    w.restic_local("backup", "--host", "other-host", "--tag", "hostform", "volumes", cwd=data)
    w.restic_local("backup", "--host", HOST, "--tag", "by-hand", "volumes", cwd=data)
    return w.repo


@pytest.fixture
def world(tmp_path: Path, sftp: Sftp, restic_bin: str, filled: Path) -> World:
    w = make_world(tmp_path, sftp, restic_bin)
    shutil.copytree(filled, w.repo)
    return w


def test_list_shows_this_hosts_hostform_snapshots(world: World) -> None:
    r = world.run("list", "--json")
    assert r.returncode == 0, r.stderr
    snaps = json.loads(r.stdout)
    assert len(snaps) == 1, snaps  # not the other host's, not the one without the tag
    assert snaps[0]["hostname"] == HOST and "hostform" in snaps[0]["tags"]
    assert snaps[0]["paths"][0].endswith("/volumes")
    table = world.run("list")
    assert table.returncode == 0, table.stderr
    assert snaps[0]["short_id"] in table.stdout and HOST in table.stdout and "other-host" not in table.stdout


def test_check_passes_on_a_sound_repository_and_reads_the_data_with_a_subset(world: World) -> None:
    r = world.run("check", "--read-data-subset", "1/1")
    assert r.returncode == 0, r.stderr
    assert "no errors were found" in r.stdout
    # one byte of a pack of file data flipped: the pack is still there with its size, so only reading the data finds it
    packs = [p for i in world.restic_local("list", "index").split()
             for p in json.loads(world.restic_local("cat", "index", i))["packs"]
             if all(b["type"] == "data" for b in p["blobs"])]
    victim = next((world.repo / "data").rglob(packs[0]["id"]))
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    r = world.run("check")
    assert r.returncode == 0, r.stderr
    r = world.run("check", "--read-data-subset", "1/1")
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1].startswith("hostform backups check: restic failed (exit ")


def test_a_wrong_password_is_exit_1_with_one_clear_line(tmp_path: Path, sftp: Sftp, restic_bin: str) -> None:
    w = make_world(tmp_path, sftp, restic_bin, password="not the password")
    w.restic_local("init", password=PASSWORD)
    r = w.run("list")
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == (f"hostform backups list: the repository's password is wrong (backups.password): "
                                         f"restic cannot open {Sftp.repository(sftp, w.repo)}")


def test_no_repository_is_exit_1_with_one_clear_line(tmp_path: Path, sftp: Sftp, restic_bin: str) -> None:
    w = make_world(tmp_path, sftp, restic_bin)
    r = w.run("list")
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1].startswith("hostform backups list: there is no repository at sftp://")


def test_a_locked_repository_is_exit_1_with_one_clear_line(world: World) -> None:
    env = {**os.environ, "RESTIC_PASSWORD": PASSWORD, "RESTIC_REPOSITORY": str(world.repo),
           "RESTIC_CACHE_DIR": str(world.capture / "cache")}
    backup = subprocess.Popen([world.restic, "backup", "--stdin", "--stdin-filename", "dump.sql", "--host", HOST],
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # a backup reading its stdin holds its lock until the stdin ends; check wants the repository to itself
        deadline = time.monotonic() + 30
        while not any((world.repo / "locks").iterdir()):
            assert backup.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        r = world.run("check")
        assert r.returncode == 1
        assert r.stderr.splitlines()[-1].startswith("hostform backups check: the repository is locked by another restic")
    finally:
        assert backup.stdin is not None
        backup.stdin.close()
        backup.wait(60)


def test_restic_missing_is_exit_2_with_how_to_install_it(world: World) -> None:
    env = {k: v for k, v in world.env.items() if k != "HOSTFORM_RESTIC"}
    env["PATH"] = str(world.capture)  # no restic there
    r = world.run("list", env=env)
    assert r.returncode == 2
    assert "restic is not installed" in r.stderr and "apt install restic" in r.stderr and "https://restic.net" in r.stderr
    assert "Traceback" not in r.stderr
    r = world.run("list", env={**world.env, "HOSTFORM_RESTIC": str(world.capture / "nowhere")})
    assert r.returncode == 2 and "HOSTFORM_RESTIC" in r.stderr and "brew install restic" in r.stderr
    not_a_program = world.capture / "restic"
    not_a_program.write_text("no shebang, not an ELF file\n")
    not_a_program.chmod(0o755)
    r = world.run("list", env={**world.env, "HOSTFORM_RESTIC": str(not_a_program)})
    assert r.returncode == 2 and "Exec format error" in r.stderr and "Traceback" not in r.stderr


def _spies(world: World, ssh_sleep: float = 0) -> dict[str, str]:
    """restic through a wrapper that records its command line and environment, ssh through one that records its
    command line and the key file it is given (mode, bytes), both then running the real program."""
    bin_dir = world.capture / "bin"
    bin_dir.mkdir(exist_ok=True)
    c = world.capture
    (bin_dir / "restic").write_text(f"#!/bin/bash\nprintf '%s\\0' \"$@\" >{c}/restic-argv\n"
                                    f"cat /proc/self/environ >{c}/restic-environ\nexec {world.restic} \"$@\"\n")
    (bin_dir / "ssh").write_text(
        "#!/bin/bash\n"
        f"printf '%s\\0' \"$@\" >{c}/ssh-argv\n"
        "prev=\nfor a in \"$@\"; do\n"
        f"  if [ \"$prev\" = -i ]; then printf '%s' \"$a\" >{c}/key-path; stat -c %a \"$a\" >{c}/key-mode; cp \"$a\" {c}/key-copy; fi\n"
        "  prev=$a\ndone\n"
        f"sleep {ssh_sleep}\n"
        f"exec {shutil_which('ssh')} \"$@\"\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    return {**world.env, "HOSTFORM_RESTIC": str(bin_dir / "restic"), "PATH": f"{bin_dir}:{world.env['PATH']}"}


def shutil_which(name: str) -> str:
    found = shutil.which(name)
    assert found
    return found


def test_no_secret_is_on_a_command_line_and_the_key_file_is_private_and_gone_after(world: World, sftp: Sftp) -> None:
    env = _spies(world)
    r = world.run("list", env=env)
    assert r.returncode == 0, r.stderr
    c = world.capture
    argv = (c / "restic-argv").read_bytes() + (c / "ssh-argv").read_bytes()
    environ = dict(x.split(b"=", 1) for x in (c / "restic-environ").read_bytes().split(b"\0") if b"=" in x)
    assert environ[b"RESTIC_PASSWORD"] == PASSWORD.encode() and environ[b"AWS_SECRET_ACCESS_KEY"] == S3_SECRET.encode()
    assert environ[b"RESTIC_COMPRESSION"] == b"auto"
    for secret in (PASSWORD.encode(), S3_SECRET.encode(), b"PRIVATE KEY", sftp.client_key.split(b"\n")[1]):
        assert secret not in argv
    assert (c / "key-mode").read_text().strip() == "600"
    assert (c / "key-copy").read_bytes() == sftp.client_key
    key = Path((c / "key-path").read_text())
    assert key.is_relative_to(Path(world.env["TMPDIR"]))
    assert not key.exists() and not key.parent.exists()
    assert b"StrictHostKeyChecking=yes" in argv and b"BatchMode=yes" in argv


def test_the_key_file_is_gone_after_a_failure(world: World) -> None:
    text = (world.project / "hostform.yaml").read_text()
    other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
    (world.project / "hostform.yaml").write_text(re.sub(r"ssh-ed25519 [A-Za-z0-9+/=]+", other, text))  # not the server's
    env = _spies(world)
    r = world.run("list", env=env)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[-1].startswith("hostform backups list: ssh did not get an sftp session: check")
    key = Path((world.capture / "key-path").read_text())
    assert not key.exists() and not key.parent.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_key_file_is_gone_after_an_interruption(world: World, sig: signal.Signals) -> None:
    env = _spies(world, ssh_sleep=60)
    p = subprocess.Popen([sys.executable, "-m", "hostform", "backups", "list", str(world.project)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (world.capture / "key-path").exists():
        assert p.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    key = Path((world.capture / "key-path").read_text())
    assert key.exists()
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Traceback" not in err
    assert not key.exists() and not key.parent.exists()


def _edit(world: World, old: str, new: str) -> None:
    f = world.project / "hostform.yaml"
    text = f.read_text()
    assert old in text
    f.write_text(text.replace(old, new, 1))


def test_a_password_only_on_the_vm_is_taken_from_the_environment(world: World) -> None:
    _edit(world, "recipients:", "secrets:\n  vm-password: {}\nrecipients:")
    _edit(world, "password: {secret: restic-password}", "password: {secret: vm-password}")
    r = world.run("list")
    assert r.returncode == 2
    line = next(x for x in r.stderr.splitlines() if "HF010" in x)
    at = next(n for n, x in enumerate((world.project / "hostform.yaml").read_text().splitlines(), 1) if "vm-password}" in x)
    assert line.startswith(f"{world.project / 'hostform.yaml'}:{at}:") and "only on the VM" in line and "RESTIC_PASSWORD" in line
    r = world.run("list", "--json", env={**world.env, "RESTIC_PASSWORD": PASSWORD})
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 1
    assert "using $RESTIC_PASSWORD from your environment" in r.stderr


def test_the_users_own_restic_password_does_not_win_over_the_host_files(world: World) -> None:
    r = world.run("list", "--json", env={**world.env, "RESTIC_PASSWORD": "something else", "RESTIC_PASSWORD_FILE": "/nonexistent"})
    assert r.returncode == 0, r.stderr


def test_host_file_and_secret_problems_are_findings_and_exit_2(world: World) -> None:
    no_identity = {k: v for k, v in world.env.items() if k != "HOSTFORM_AGE_KEY_FILE"}
    r = world.run("list", env=no_identity)
    assert r.returncode == 2 and "HF030" in r.stderr and "no age identity" in r.stderr and "Traceback" not in r.stderr
    (world.project / "secrets" / "s3-key.age").unlink()
    r = world.run("check")
    assert r.returncode == 2
    assert f"{world.project / 'hostform.yaml'}:" in r.stderr and "error[HF013]" in r.stderr and "s3-key" in r.stderr
    _edit(world, "RESTIC_COMPRESSION: auto", "RESTIC_PASSWORD: x")
    r = world.run("list")
    assert r.returncode == 2 and "error[HF011]" in r.stderr and "Traceback" not in r.stderr
    f = world.project / "hostform.yaml"
    f.write_text(f.read_text().split("backups:")[0])
    r = world.run("list")
    assert r.returncode == 2 and "has no `backups:`" in r.stderr
    r = world.run("check", "--read-data-subset", "2/1")
    assert r.returncode == 2 and "--read-data-subset" in r.stderr
    r = hostform("backups", "list", str(world.project / "nowhere"), cwd=world.project, env=world.env)
    assert r.returncode == 2 and "not a directory" in r.stderr


def test_why_reads_the_exit_codes_of_restic_0_17_and_later() -> None:
    """restic 0.17 and later say why by exit code (10, 11, 12), whatever their words; the tests above run
    the restic this machine has, which may be older (they then read its words)."""
    from hostform.backups.local import why

    repo = "rest:https://backups.example.org/x"
    assert why(12, "", repo).startswith("the repository's password is wrong")
    assert why(10, "", repo).startswith("there is no repository at rest:https://backups.example.org/x")
    assert why(11, "", repo).startswith("the repository is locked")
    assert why(1, "", repo) == "restic failed (exit 1); what it said is above"


@pytest.mark.parametrize("repository, expected", [
    ("sftp:backup@backups.example.org:/srv/restic", ("backup", "backups.example.org", "")),
    ("sftp:backups.example.org:restic", ("", "backups.example.org", "")),
    ("sftp://backup@backups.example.org:2222//srv/restic", ("backup", "backups.example.org", "2222")),
    ("sftp://backups.example.org/restic", ("", "backups.example.org", "")),
    ("sftp:u@[2001:db8::1]:/srv/restic", ("u", "2001:db8::1", "")),
    ("sftp://u@[2001:db8::1]:22//srv", ("u", "2001:db8::1", "22")),
])
def test_the_sftp_destination_is_read_as_restic_reads_it(repository: str, expected: tuple[str, str, str]) -> None:
    from hostform.backups.local import sftp_destination

    assert sftp_destination(repository) == expected
