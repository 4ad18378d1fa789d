"""Run podman's real quadlet generator, for tests and benchmarks only.

hostform never needs podman at run time; this module finds a real
``/usr/libexec/podman/quadlet`` binary so that tests can compare hostform's
generator with it. ``.ci/get-podman`` fetches one (Debian's podman package,
unpacked into a cache directory, nothing installed).

Where a binary is looked for, in order:

1. ``$HOSTFORM_REAL_QUADLET`` (for the default version) or
   ``$HOSTFORM_REAL_QUADLET_<MAJOR>_<MINOR>`` (e.g. ``..._5_8``);
2. ``${HOSTFORM_CACHE:-~/.cache/hostform}/podman-<major.minor>/usr/libexec/podman/quadlet``.

The generator is run exactly as podman's own test-suite runs it: with an
environment of only ``QUADLET_UNIT_DIRS=<unit dir>`` and ``PODMAN=<path>``,
through :mod:`hostform._runner` (the one subprocess boundary).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import NamedTuple

from hostform._cache import cache_root
from hostform._runner import Runner, SubprocessRunner

__all__ = [
    "DEFAULT_REAL_VERSION",
    "FETCH_COMMAND",
    "RealResult",
    "cache_root",
    "find_real_quadlet",
    "parse_dryrun",
    "real_version",
    "run_real",
]

DEFAULT_REAL_VERSION = "5.4"
"""The podman release whose generator ``.ci/get-podman`` fetches by default (Debian trixie)."""

FETCH_COMMAND = {
    "5.4": ".ci/get-podman",
    "5.8": ".ci/get-podman --suite sid",
    "6.1": ".ci/get-podman --suite experimental",
}
"""How to fetch each version's generator (run from the project root)."""

QUADLET_REL = Path("usr/libexec/podman/quadlet")
DEFAULT_PODMAN_PATH = "/usr/bin/podman"


class RealResult(NamedTuple):
    """What one run of the generator did: unpacks as ``(code, units, stderr)``."""

    exit_code: int
    units: dict[str, str]
    """Generated unit name (e.g. ``web-pod.service``) -> unit text."""
    stderr: str


def find_real_quadlet(version: str = DEFAULT_REAL_VERSION) -> Path | None:
    """Path of a runnable real generator of podman ``version`` (major.minor), or None."""
    names = [f"HOSTFORM_REAL_QUADLET_{version.replace('.', '_')}"]
    if version == DEFAULT_REAL_VERSION:
        names.insert(0, "HOSTFORM_REAL_QUADLET")
    for name in names:
        value = os.environ.get(name)
        if value:
            path = Path(value)
            return path if path.is_file() and os.access(path, os.X_OK) else None
    path = cache_root() / f"podman-{version}" / QUADLET_REL
    if path.is_file() and os.access(path, os.X_OK):
        return path
    return None


def real_version(binary: Path | str, runner: Runner | None = None) -> str | None:
    """The full version the binary reports with ``-version`` (e.g. ``5.4.2``); None if it reports none."""
    runner = SubprocessRunner() if runner is None else runner
    try:
        out = runner.run([str(binary), "-version"], check=False, timeout=30)
    except OSError:  # not executable (a missing program is exit 127, no output)
        return None
    text = out.stdout.strip()
    return text or None


_HEADER = re.compile(r"^---(.+)---$")


def parse_dryrun(stdout: str) -> dict[str, str]:
    """Split ``quadlet -dryrun`` output (``---name---`` headers) into ``{name: text}``.

    The generator prints each unit followed by one empty line; that line is removed,
    so the text equals what the generator writes to its output directory.
    """
    units: dict[str, str] = {}
    name: str | None = None
    chunk: list[str] = []
    for line in stdout.splitlines(keepends=True):
        m = _HEADER.match(line.rstrip("\n"))
        if m:
            if name is not None:
                units[name] = _strip_one_newline("".join(chunk))
            name, chunk = m.group(1), []
        elif name is not None:
            chunk.append(line)
    if name is not None:
        units[name] = _strip_one_newline("".join(chunk))
    return units


def _strip_one_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n\n") else text


def run_real(
    unit_dir: Path | str,
    user: bool = False,
    *,
    binary: Path | str | None = None,
    version: str = DEFAULT_REAL_VERSION,
    output_dir: Path | str | None = None,
    dryrun: bool | None = None,
    podman: str = DEFAULT_PODMAN_PATH,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    timeout: float = 60,
    runner: Runner | None = None,
) -> RealResult:
    """Run the real generator over ``unit_dir``.

    With ``dryrun`` (the default when no ``output_dir`` is given) the generator
    runs with ``-dryrun`` and the units are read from its stdout. Otherwise it
    writes into ``output_dir`` (a temporary directory if None and dryrun is
    False), invoked as podman's tests do: ``quadlet [-user] -no-kmsg-log DIR``;
    the returned units are the regular files written there (paths relative to
    it, so ``x.target.wants/...`` symlinks are not included; look in
    ``output_dir`` for those). Files written to a directory start with an
    ``# Automatically generated by <argv[0]>`` comment that ``-dryrun`` omits.
    ``dryrun`` with an ``output_dir`` is a ValueError (the generator writes nothing).

    The generator runs through ``runner`` (default: real processes): output that
    is not UTF-8 is read with U+FFFD in its place; a run that takes longer than
    ``timeout`` seconds is killed and returns exit code 124.
    Raises FileNotFoundError when no binary is found.
    """
    if binary is None:
        binary = find_real_quadlet(version)
        if binary is None:
            raise FileNotFoundError(
                f"no real podman {version} quadlet generator; fetch it with `{FETCH_COMMAND.get(version, '.ci/get-podman')}`"
            )
    if dryrun is None:
        dryrun = output_dir is None
    elif dryrun and output_dir is not None:
        raise ValueError("run_real: -dryrun writes no files, so an output_dir would be left empty")
    runner = SubprocessRunner() if runner is None else runner
    env = {"QUADLET_UNIT_DIRS": str(unit_dir), "PODMAN": podman}
    if extra_env:
        env.update(extra_env)
    argv = [str(binary)]
    if user:
        argv.append("-user")
    argv.extend(extra_args or [])
    if dryrun:
        argv.append("-dryrun")
        proc = runner.run(argv, env=env, inherit_env=False, check=False, timeout=timeout)
        return RealResult(proc.returncode, parse_dryrun(proc.stdout), proc.stderr)
    if output_dir is None:
        with tempfile.TemporaryDirectory(prefix="hostform-realgen-") as tmp:
            return _run_into(runner, argv, env, Path(tmp), timeout)
    return _run_into(runner, argv, env, Path(output_dir), timeout)


def _run_into(runner: Runner, argv: list[str], env: dict[str, str], out: Path, timeout: float) -> RealResult:
    out.mkdir(parents=True, exist_ok=True)
    proc = runner.run([*argv, "-no-kmsg-log", str(out)], env=env, inherit_env=False, check=False, timeout=timeout)
    units: dict[str, str] = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and not path.is_symlink():
            units[str(path.relative_to(out))] = path.read_text()
    return RealResult(proc.returncode, units, proc.stderr)
