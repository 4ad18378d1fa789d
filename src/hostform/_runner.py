"""The one subprocess boundary of hostform.

Code that runs programs takes a :class:`Runner`; what to run is built by pure
functions elsewhere (``hostform.tryout.commands``), so unit tests give a
:class:`FakeRunner` and assert on the recorded command lines.

    Runner (protocol)
    ├── SubprocessRunner   real processes (subprocess.run / Popen)
    └── FakeRunner         records calls, answers from a script of canned results
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandFailed(Exception):
    """A command that had to succeed did not (an environment failure, not a user mistake)."""

    def __init__(self, result: Result) -> None:
        self.result = result
        tail = (result.stderr or result.stdout).strip()[-2000:]
        super().__init__(f"command failed (exit {result.returncode}): {' '.join(result.argv)}\n{tail}")


class Process(Protocol):
    """A background process started by :meth:`Runner.spawn`."""

    @property
    def pid(self) -> int: ...

    def alive(self) -> bool: ...

    def terminate(self, timeout: float = 10.0) -> int | None: ...


class Runner(Protocol):
    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        check: bool = True,
        timeout: float | None = None,
        cwd: str | os.PathLike[str] | None = None,
        inherit_env: bool = True,
    ) -> Result:
        """Run ``argv`` to its end and capture its output (text, undecodable bytes replaced).

        ``env`` is laid over this process's environment, or is the whole environment
        when ``inherit_env`` is false; ``input`` goes to stdin (else /dev/null); ``cwd``
        is the working directory. A program that cannot be found exits 127, a timeout
        124; with ``check`` a nonzero exit raises :class:`CommandFailed`.
        """
        ...

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
    ) -> Process: ...


def _merged_env(env: Mapping[str, str] | None, inherit: bool = True) -> dict[str, str] | None:
    """The child's environment: ours with ``env`` on top, or (``inherit`` false) ``env`` alone."""
    if env is None:
        return None if inherit else {}
    merged = dict(os.environ) if inherit else {}
    merged.update(env)
    return merged


class _Popen:
    """A real background process in its own process group (killed as a group)."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._p = popen

    @property
    def pid(self) -> int:
        return self._p.pid

    def alive(self) -> bool:
        return self._p.poll() is None

    def terminate(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the group, then SIGKILL after ``timeout`` seconds; returns the exit code."""
        if self._p.poll() is not None:
            return self._p.returncode
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self._p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                return self._p.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        return self._p.poll()


class SubprocessRunner:
    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        check: bool = True,
        timeout: float | None = None,
        cwd: str | os.PathLike[str] | None = None,
        inherit_env: bool = True,
    ) -> Result:
        try:
            p = subprocess.run(
                list(argv),
                env=_merged_env(env, inherit_env),
                cwd=cwd,
                input=input,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
            res = Result(tuple(argv), p.returncode, p.stdout, p.stderr)
        except subprocess.TimeoutExpired as e:
            partial: object = e.stdout  # bytes on POSIX (run() stops before decoding), or None
            out = partial.decode(errors="replace") if isinstance(partial, bytes) else partial if isinstance(partial, str) else ""
            res = Result(tuple(argv), 124, out, f"timed out after {timeout}s")
        except FileNotFoundError as e:
            res = Result(tuple(argv), 127, "", str(e))
        if check and not res.ok:
            raise CommandFailed(res)
        return res

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
    ) -> Process:
        out = open(log, "ab") if log is not None else None  # noqa: SIM115
        try:
            p = subprocess.Popen(
                list(argv),
                env=_merged_env(env),
                stdin=subprocess.DEVNULL,
                stdout=out if out is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if out is not None:
                out.close()
        return _Popen(p)


# ---------------------------------------------------------------- fake


@dataclass
class FakeProcess:
    argv: tuple[str, ...]
    pid: int
    running: bool = True

    def alive(self) -> bool:
        return self.running

    def terminate(self, timeout: float = 10.0) -> int | None:
        self.running = False
        return 0


Responder = Callable[[tuple[str, ...]], Result | None]


@dataclass
class FakeRunner:
    """Records every command; answers from ``responses`` (argv prefix -> Result or callable).

    The first matching prefix wins (longest prefixes first); unmatched commands succeed
    with empty output. ``calls`` holds the argv of every run and spawn, in order.
    """

    responses: dict[tuple[str, ...], Result | Responder] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    envs: list[Mapping[str, str] | None] = field(default_factory=list)
    spawned: list[FakeProcess] = field(default_factory=list)
    _next_pid: int = 1000

    def on(self, *prefix: str, stdout: str = "", returncode: int = 0, stderr: str = "") -> None:
        self.responses[tuple(prefix)] = Result(tuple(prefix), returncode, stdout, stderr)

    def _answer(self, argv: tuple[str, ...]) -> Result:
        for prefix in sorted(self.responses, key=len, reverse=True):
            if argv[: len(prefix)] == prefix:
                r = self.responses[prefix]
                got = r(argv) if callable(r) else r
                if got is not None:
                    return Result(argv, got.returncode, got.stdout, got.stderr)
        return Result(argv, 0)

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        check: bool = True,
        timeout: float | None = None,
        cwd: str | os.PathLike[str] | None = None,
        inherit_env: bool = True,
    ) -> Result:
        a = tuple(argv)
        self.calls.append(a)
        self.envs.append(env)
        res = self._answer(a)
        if check and not res.ok:
            raise CommandFailed(res)
        return res

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
    ) -> Process:
        a = tuple(argv)
        self.calls.append(a)
        self.envs.append(env)
        self._next_pid += 1
        p = FakeProcess(a, self._next_pid)
        self.spawned.append(p)
        return p


def wait_until(pred: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``pred`` until it is true or ``timeout`` seconds have passed."""
    end = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval)
