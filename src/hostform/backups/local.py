"""``hostform backups list`` and ``check``: the host's restic repository, read from the user's machine with the
user's own restic.

The VM's backups (:mod:`hostform.backups`) tag each snapshot :data:`~hostform.backups.TAG` and give the host's
name as restic's ``--host``; this module runs the same restic commands a person would, with what the host file
says: the repository, the password (a hostform secret, decrypted with the user's age identity), ``backups.env``,
and for sftp: the private key and the server's host keys. Three steps, each its own function:

* :func:`find_restic`: restic on PATH, or ``$HOSTFORM_RESTIC``; else how to install it;
* :func:`access`: what restic needs from the host file, as values (:class:`Access`), or the findings saying why
  it cannot be had (an unset secret, one that does not decrypt). A secret that lives only on the VM (declared
  under top-level ``secrets`` without a file) cannot be read here: the user's own environment stands in for it
  (``RESTIC_PASSWORD``, ``RESTIC_PASSWORD_FILE`` or ``RESTIC_PASSWORD_COMMAND``; the variable of ``env``; ssh's
  own keys for ``ssh_key``);
* :func:`run`: restic with that environment, its output passed through; for sftp the key and known_hosts are
  files in a private temporary directory for as long as restic runs (ssh is told to use them through restic's
  ``sftp.command``), and removed afterwards, whatever happens.

No secret is ever on a command line: restic reads the password and the storage's credentials from its
environment, ssh the key from a file (0600).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import BinaryIO

from hostform.diagnostics import Diagnostic, Report
from hostform.host import model as m

__all__ = ["ENV_RESTIC", "INSTALL_HINT", "Access", "Outcome", "access", "find_restic", "restic_argv", "run", "why"]

ENV_RESTIC = "HOSTFORM_RESTIC"
INSTALL_HINT = ("install restic (apt install restic, dnf install restic, brew install restic, or a release from "
                "https://restic.net), or set $HOSTFORM_RESTIC to its path")
# restic's own ways to give the password, used when the password secret is only on the VM
PASSWORD_VARIABLES = ("RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND")
# variables of the user's environment that would make restic read another repository or password than ours
OVERRIDDEN = ("RESTIC_REPOSITORY_FILE", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND")
# restic's exit codes (0.17 and later); older releases exit 1 and say it (see :func:`why`)
NO_REPOSITORY, LOCKED, WRONG_PASSWORD = 10, 11, 12
# what restic prints on stderr that :func:`why` needs: its last bytes are kept
STDERR_TAIL = 64 * 1024
# characters restic's sftp.command splitting (on spaces and quotes) keeps in a path
_SAFE_PATH = re.compile(r"[A-Za-z0-9._/+,=@-]+")


def find_restic(env: Mapping[str, str]) -> str | None:
    """The restic to run: ``$HOSTFORM_RESTIC`` (a path, or a name looked up on PATH), else ``restic`` on PATH;
    None when there is none (or ``$HOSTFORM_RESTIC`` names no program)."""
    given = env.get(ENV_RESTIC)
    if given:
        if os.sep in given:
            return given if os.path.isfile(given) and os.access(given, os.X_OK) else None
        return shutil.which(given, path=env.get("PATH"))
    return shutil.which("restic", path=env.get("PATH"))


@dataclass(frozen=True)
class Access:
    """What restic needs to read the host's repository: variables for its environment (``env``; ``keep``:
    the user's own variables that stand in for a secret only on the VM, left as they are), the sftp key
    (None: ssh's own keys) and host keys, and notes for the user (which of their variables stands in)."""

    host: str
    repository: str
    env: Mapping[str, bytes]
    ssh_key: bytes | None = None
    known_hosts: str = ""
    sftp: bool = False
    keep: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def access(project: Path, host: m.Host, where: Callable[[tuple[str | int, ...]], tuple[int, int]], identity: str | None,
           environ: Mapping[str, str], file: str = "hostform.yaml") -> Access | list[Diagnostic]:
    """What restic needs for ``host``'s backups (``host.backups`` is set), the secrets decrypted with the user's
    identity (``identity``, else see :func:`hostform.secrets.load_identities`); else the findings saying why not:
    HF013 for a secret with no value (at the host file's key), HF030 for one that cannot be decrypted (at its
    file), HF010 for one only on the VM when the user's environment has nothing to stand in for it."""
    from hostform.pipeline import Options, secret_values

    bk = host.backups
    assert bk is not None
    by_name = {s.name: s for s in host.secrets}
    wanted: list[tuple[str, tuple[str | int, ...], str]] = [  # (secret, its key in the host file, what uses it)
        (bk.password_secret, ("backups", "password", "secret"), "RESTIC_PASSWORD"),
        *((e.secret, ("backups", "env", e.name, "secret"), e.name) for e in bk.env if e.secret),
    ]
    if bk.ssh_key_secret:
        wanted.append((bk.ssh_key_secret, ("backups", "ssh_key", "secret"), "ssh_key"))
    found: list[Diagnostic] = []

    def finding(code: str, msg: str, at: tuple[str | int, ...]) -> None:
        line, col = where(at)
        found.append(Diagnostic("error", code, msg, at, file, line, col))

    for name, at, _ in wanted:
        if name not in by_name:
            finding("HF013", f"secret {name!r} has no value: `hostform secret set {name}` keeps it encrypted in "
                    f"secrets/{name}.age", at)
    if found:
        return found
    report = Report()
    values = secret_values(project, host, [n for n, _, _ in wanted], Options(identity=identity), report) or {}
    if report.is_fatal():
        return list(report.errors)
    env: dict[str, bytes] = {"RESTIC_REPOSITORY": bk.repository.encode()}
    keep: list[str] = []
    notes: list[str] = []
    for e in bk.env:
        if e.value is not None:
            env[e.name] = e.value.encode("utf-8", "surrogateescape")
    ssh_key: bytes | None = None
    for name, at, what in wanted:
        if name in values:
            value = values[name][0]
            if what == "ssh_key":
                ssh_key = value if value.endswith(b"\n") else value + b"\n"  # ssh refuses a key without its last newline
            elif b"\0" in value:
                finding("HF011", f"secret {name!r} holds a NUL byte: it cannot be the value of {what}", at)
            else:
                env[what] = value
            continue
        only = f"secret {name!r} is only on the VM (declared under `secrets` without a file): it cannot be read here"
        if what == "ssh_key":
            notes.append(f"backups.ssh_key: {only}; ssh logs in with your own keys (~/.ssh, ssh-agent)")
        elif what == "RESTIC_PASSWORD":
            have = [v for v in PASSWORD_VARIABLES if environ.get(v)]
            if not have:
                finding("HF010", f"backups.password: {only}; set RESTIC_PASSWORD (or RESTIC_PASSWORD_FILE, "
                        "RESTIC_PASSWORD_COMMAND) in your environment to the repository's password", at)
            else:
                keep += have
                notes.append(f"backups.password: {only}; using ${have[0]} from your environment")
        elif environ.get(what) is not None:
            keep.append(what)
            notes.append(f"backups.env.{what}: {only}; using ${what} from your environment")
        else:
            finding("HF010", f"backups.env.{what}: {only}; set {what} in your environment to its value", at)
    if found:
        return found
    return Access(host.name, bk.repository, env, ssh_key, "".join(x + "\n" for x in bk.known_hosts),
                  bk.repository.startswith("sftp:"), tuple(keep), tuple(notes))


def sftp_command(repository: str, key: str | None, known_hosts: str) -> str:
    """restic's ``sftp.command`` for an sftp: ``repository``: ssh to its host with this key only (or the user's own,
    ``key`` None), these host keys only, never a question (the options of the VM's script). ``sftp.command``
    rather than ``sftp.args``: restic has it since 0.9, ``sftp.args`` only since 0.15 (Debian 12 has 0.14).
    restic splits the value on spaces and quotes: the paths have none (:func:`_private_dir`), nor have the
    user and host (the schema's characters)."""
    user, host, port = sftp_destination(repository)
    argv = ["ssh"] + (["-p", port] if port else []) + (["-l", user] if user else [])
    if key:
        argv += ["-i", key, "-o", "IdentitiesOnly=yes"]
    argv += ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
             "-s", "--", host, "sftp"]  # after --, a host that starts with - is not an option of ssh's
    return " ".join(argv)


def sftp_destination(repository: str) -> tuple[str, str, str]:
    """(user, host, port) of an sftp repository, as restic reads them: ``sftp:[USER@]HOST:PATH`` or
    ``sftp://[USER@]HOST[:PORT]/PATH``; "" for what it does not say."""
    rest = repository[len("sftp:"):]
    if rest.startswith("//"):
        authority = rest[2:].split("/", 1)[0]
        port = ""
        if authority.rsplit("]", 1)[-1].count(":") == 1:
            authority, port = authority.rsplit(":", 1)
    else:
        if "]" in rest:  # [::1]:path
            authority = rest[: rest.index("]") + 1]
        else:
            authority = rest.split(":", 1)[0]
        port = ""
    user, _, host = authority.rpartition("@")
    return user, host.removeprefix("[").removesuffix("]"), port


def restic_argv(restic: str, host: str, action: str, *, json: bool = False, read_data_subset: str | None = None,
                sftp_cmd: str | None = None) -> list[str]:
    """restic's command line: ``snapshots`` of this host's hostform snapshots (``list``), or ``check``. Options
    only: the repository and every credential are in its environment."""
    from hostform.backups import TAG

    argv = [restic]
    if sftp_cmd is not None:
        argv += ["-o", f"sftp.command={sftp_cmd}"]
    if action == "list":
        argv += ["snapshots", "--host", host, "--tag", TAG] + (["--json"] if json else [])
    else:
        argv += ["check"] + (["--read-data-subset", read_data_subset] if read_data_subset else [])
    return argv


def restic_env(a: Access, environ: Mapping[str, str]) -> dict[bytes, bytes]:
    """restic's environment: the user's (their proxy, HOME, PATH for ssh), less what would point restic at another
    repository or password, plus ``a.env``."""
    out = {k.encode("utf-8", "surrogateescape"): v.encode("utf-8", "surrogateescape") for k, v in environ.items()
           if k not in OVERRIDDEN or k in a.keep}
    if "RESTIC_PASSWORD" not in a.env and "RESTIC_PASSWORD" not in a.keep:
        out.pop(b"RESTIC_PASSWORD", None)
    out.update({k.encode(): v for k, v in a.env.items()})
    return out


def why(code: int, stderr: str, repository: str) -> str:
    """Why restic failed (exit ``code``), in one line: from its exit code (0.17 and later) or, from older
    releases, what it said."""
    if code == WRONG_PASSWORD or "wrong password" in stderr:
        return (f"the repository's password is wrong (backups.password): restic cannot open {repository}")
    if code == NO_REPOSITORY or "repository does not exist" in stderr or "Is there a repository at the following location?" in stderr:
        return f"there is no repository at {repository} (the VM makes it at its first backup)"
    if code == LOCKED or "repository is already locked" in stderr:
        return ("the repository is locked by another restic (a backup or prune still running, or a stale lock: "
                "`restic unlock` with the same repository and password)")
    if "unable to start the sftp session" in stderr or "ssh command exited" in stderr:
        return ("ssh did not get an sftp session: check the server's address and user (backups.repository), its host "
                "key (backups.known_hosts: `ssh-keyscan HOST`) and the key of backups.ssh_key")
    if code < 0:
        return f"restic was stopped by signal {-code}"
    return f"restic failed (exit {code}); what it said is above"


@dataclass(frozen=True)
class Outcome:
    """restic's exit code, the tail of what it wrote on stderr, and its command line (no secret is on it)."""

    code: int
    stderr: str = ""
    argv: tuple[str, ...] = field(default=(), repr=False)


_STOPPING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP while restic runs: handled like ^C (the temporary files removed, exit 130)."""


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`_Stopped` while restic runs, so that ``finally`` blocks run."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stopped(signal.Signals(signum).name)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _private_dir(environ: Mapping[str, str]) -> str:
    """A new directory only the user can enter (0700), whose path restic's sftp.command can carry: under
    $XDG_RUNTIME_DIR (memory, the user's own) when it is usable, else the temporary directory, else /tmp."""
    for base in (environ.get("XDG_RUNTIME_DIR"), tempfile.gettempdir(), "/tmp"):
        if base and os.path.isdir(base) and _SAFE_PATH.fullmatch(base):
            try:
                return tempfile.mkdtemp(prefix="hostform-restic-", dir=base)
            except OSError:
                continue
    raise OSError("no temporary directory whose path has no space or quote (set TMPDIR to one)")


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _tee(fd: int, out: BinaryIO) -> str:
    """Copy what comes from ``fd`` to ``out`` as it comes; the last :data:`STDERR_TAIL` bytes, as text."""
    tail = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out.write(chunk)
        out.flush()
        tail = (tail + chunk)[-STDERR_TAIL:]
    return tail.decode("utf-8", "replace")


def run(restic: str, a: Access, action: str, environ: Mapping[str, str], *, json: bool = False,
        read_data_subset: str | None = None, stdout: BinaryIO | None = None, stderr: BinaryIO | None = None) -> Outcome:
    """Run restic for ``action`` (``list`` or ``check``) on ``a``'s repository: its stdout is ours, its stderr is
    copied to ours as it comes (and its tail kept for :func:`why`). For sftp, the key and known_hosts are files
    in a private temporary directory, removed when restic has ended, on an error, ^C, SIGTERM or SIGHUP too."""
    err = stderr if stderr is not None else sys.stderr.buffer
    tmp: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    with _stop_on_signals():  # SIGTERM and SIGHUP too end in the ``finally``
        try:
            sftp = None
            if a.sftp:
                tmp = _private_dir(environ)
                key = None
                if a.ssh_key is not None:
                    key = os.path.join(tmp, "ssh-key")
                    _write_private(key, a.ssh_key)
                known = os.path.join(tmp, "known_hosts")
                _write_private(known, a.known_hosts.encode())
                sftp = sftp_command(a.repository, key, known)
            argv = restic_argv(restic, a.host, action, json=json, read_data_subset=read_data_subset, sftp_cmd=sftp)
            proc = subprocess.Popen(argv, env=restic_env(a, environ), stdin=subprocess.DEVNULL,
                                    stdout=stdout if stdout is not None else None, stderr=subprocess.PIPE)
            assert proc.stderr is not None
            tail = _tee(proc.stderr.fileno(), err)
            code = proc.wait()
            return Outcome(code, tail, tuple(argv))
        finally:
            # another ^C or signal now waits until the files are gone and restic has ended (at most 17 s)
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
            try:
                if tmp is not None:
                    shutil.rmtree(tmp, ignore_errors=True)
                if proc is not None and proc.poll() is None:
                    _end(proc)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _end(proc: subprocess.Popen[bytes]) -> None:
    """restic, still running after ^C or a signal: a moment to end by itself (a ^C at the terminal reached it
    too), then asked to stop (SIGINT: it removes its lock), then killed."""
    for sig, wait in ((None, 2.0), (signal.SIGINT, 10.0), (signal.SIGKILL, 5.0)):
        try:
            if sig is not None:
                proc.send_signal(sig)
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return
