"""``hostform quadlet``: drop-in for podman's systemd generator (/usr/libexec/podman/quadlet).

Same flags (Go ``flag`` syntax: ``-dryrun``, ``--dryrun``, ``-v=true``), same
arguments (``normal-dir [early-dir] [late-dir]`` as systemd passes them; only
the first is used), same messages and exit codes.  hostform's additions
(listed after podman's usage by ``--help``; ``-h``/``-help`` print podman's
usage alone, on stderr, as podman does):

* ``-check [FILE|DIR...]`` prints hostform's diagnostics (``file:line:
  error[HFxxx]: ...``) instead of podman's messages and writes nothing;
  without arguments it checks the standard search path. It targets
  ``versions.DEFAULT_PODMAN_VERSION`` (what Fedora CoreOS stable ships):
  unit types and keys that release does not know are errors (HF050),
  deprecated keys warnings (HF305).
* ``-podman-version X.Y`` emulates that podman release's generator (for
  ``-check``, and for generation, which otherwise behaves as podman 6.1).

Kept lean for start-up time: the generator is imported only once flags are
parsed, and nothing here imports ``re``, ``argparse`` or ``dataclasses``.
"""

from __future__ import annotations

import os
import sys

# typing-only imports: this module is on the start-up path of `hostform quadlet`
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import IO, TextIO

    from hostform.quadlet.generator import GenerateResult

# name -> usage, in Go's (sorted) order
FLAGS = {
    "dryrun": "Run in dryrun mode printing debug information",
    "no-kmsg-log": "Don't log to kmsg",
    "user": "Run as systemd user",
    "v": "Print debug information",
    "version": "Print version information and exit",
}
_HOSTFORM_BOOLS = ("check",)  # hostform's boolean flags (default false)
_HOSTFORM_STRINGS = ("podman-version",)  # hostform's string flags (default "")
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def usage(prog: str) -> str:
    out = [f"Usage of {prog}:\n"]
    for name, text in FLAGS.items():
        out.append(f"  -{name}\t{text}\n" if len(name) == 1 else f"  -{name}\n    \t{text}\n")
    return "".join(out)


def help_text(prog: str) -> str:
    """``--help``: podman's usage, then hostform's additions."""
    from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION, VERSIONS

    return usage(prog) + (
        "\nhostform additions:\n"
        "  -check [FILE|DIR...]\n"
        "    \tprint hostform's diagnostics (file:line: error[HFxxx]: ...) for the quadlet\n"
        "    \tfiles (default: the standard search path) and write nothing; exit 1 on errors.\n"
        "    \tReports what the target podman would skip or warn about: unknown unit types,\n"
        "    \tkeys newer than it, conversion errors and warnings, deprecated keys\n"
        "  -podman-version X.Y\n"
        f"    \tthe podman release to emulate ({VERSIONS[0]} to {VERSIONS[-1]}); default for -check:\n"
        f"    \t{DEFAULT_PODMAN_VERSION} (Fedora CoreOS stable), for generation: {VERSIONS[-1]}\n"
        "  -h, -help   podman's usage alone (on stderr, as podman prints it)\n"
    )


def _check_version(value: str) -> str | None:
    """Error text for a --podman-version value the table does not know."""
    from hostform.quadlet.versions import VERSIONS, normalize_version

    try:
        normalize_version(value)
    except ValueError as e:
        return f'invalid value "{value}" for flag -podman-version: {e}; known versions: {" ".join(VERSIONS)}\n'
    return None


def parse_flags(argv: list[str], prog: str) -> tuple[dict[str, bool], dict[str, str], list[str], str | None, int]:
    """Go flag.Parse: (boolean flags, string flags, positional args, error text, exit code).

    An error text with exit code 0 is help: ``--help`` goes to stdout (it
    starts with podman's "Usage of"), ``-h``/``-help`` to stderr.
    """
    flags = {name: False for name in (*FLAGS, *_HOSTFORM_BOOLS)}
    strings = {name: "" for name in _HOSTFORM_STRINGS}
    # podman: the binary name decides the default of -user (quadlet-user-generator)
    flags["user"] = "user" in prog.rsplit("/", 1)[-1]
    i = 0
    while i < len(argv):
        a = argv[i]
        if len(a) < 2 or a[0] != "-":
            break
        if a == "--":
            i += 1
            break
        name = a[2:] if a[1] == "-" else a[1:]
        if not name or name[0] == "-" or name[0] == "=":
            return flags, strings, [], f"bad flag syntax: {a}\n" + usage(prog), 2
        value = None
        if "=" in name:
            name, value = name.split("=", 1)
        if name in ("h", "help") and name not in flags and name not in strings:
            return flags, strings, [], (help_text(prog) if a == "--help" else usage(prog)), 0
        if name not in flags and name not in strings:
            return flags, strings, [], f"flag provided but not defined: -{name}\n" + usage(prog), 2
        if name in strings:  # a string flag: -name=value or -name value
            if value is None:
                if i + 1 >= len(argv):
                    return flags, strings, [], f"flag needs an argument: -{name}\n" + usage(prog), 2
                i += 1
                value = argv[i]
            bad = _check_version(value) if name == "podman-version" else None
            if bad is not None:
                return flags, strings, [], bad + usage(prog), 2
            strings[name] = value
        elif value is None:
            flags[name] = True
        elif value in _TRUE:
            flags[name] = True
        elif value in _FALSE:
            flags[name] = False
        else:
            return flags, strings, [], f'invalid boolean value "{value}" for -{name}: parse error\n' + usage(prog), 2
        i += 1
    return flags, strings, argv[i:], None, 0


class _Logger:
    """quadlet's Logf: /dev/kmsg when possible, else stderr."""

    def __init__(self, stderr: TextIO, use_kmsg: bool, force_stderr: bool) -> None:
        self.stderr = stderr
        self.kmsg: IO[str] | None = None
        self.no_kmsg = not use_kmsg
        self.force_stderr = force_stderr
        self.prefix = f"quadlet-generator[{os.getpid()}]: "

    def _to_kmsg(self, line: str) -> bool:
        if self.no_kmsg:
            return False
        if self.kmsg is None:
            try:
                self.kmsg = open("/dev/kmsg", "w")  # noqa: SIM115
            except OSError:
                self.no_kmsg = True
                return False
        try:
            self.kmsg.write(line)
            self.kmsg.flush()
        except OSError:
            self.kmsg = None
            return False
        return True

    def __call__(self, msg: str) -> None:
        line = self.prefix + msg
        if not self._to_kmsg(line) or self.force_stderr:
            self.stderr.write(line + "\n")
            self.stderr.flush()


def main(
    argv: list[str], env: Mapping[str, str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None, prog: str | None = None
) -> int:
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    env = os.environ if env is None else env
    if prog is None:
        prog = sys.argv[0] if sys.argv and sys.argv[0] else "quadlet"
    flags, strings, args, err, code = parse_flags(argv, prog)
    if err is not None:
        (stdout if code == 0 and "hostform additions:" in err else stderr).write(err)
        return code
    from hostform.quadlet.generator import RELEASES, target

    tgt = target(strings["podman-version"] or None)
    if flags["version"]:
        stdout.write(RELEASES.get(tgt.version, tgt.version) + "\n")
        return 0
    is_user = flags["user"]
    dryrun = flags["dryrun"]
    verbose = flags["v"] or dryrun
    to_kmsg = not (flags["no-kmsg-log"] or dryrun or flags["check"])
    log = _Logger(stderr, to_kmsg, dryrun or flags["check"] or tgt.has("log-to-stderr-too"))
    if not dryrun and not flags["check"] and not args:
        log("missing output directory argument")
        if tgt.has("errors-logged-as-they-occur"):
            log("processing encountered some errors")
        return 1
    output = "" if dryrun or flags["check"] else args[0]
    if verbose and not dryrun and not flags["check"]:
        log(f"Starting quadlet-generator, output to: {output}")

    from hostform.quadlet.generator import generate

    version = strings["podman-version"] or None
    if flags["check"] and version is None:
        from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION

        version = DEFAULT_PODMAN_VERSION
    sources = args if flags["check"] and args else None
    result = generate(sources, is_user, env=env, verbose=verbose, podman_version=version)
    if flags["check"]:
        stdout.write(result.report.format())
        return 1 if result.report.is_fatal() else 0
    return _emit(result, output, dryrun, verbose, prog, stdout, stderr, log, tgt.has("atomic-unit-write"))


def _emit(
    result: GenerateResult,
    output: str,
    dryrun: bool,
    verbose: bool,
    prog: str,
    stdout: TextIO,
    stderr: TextIO,
    log: Callable[[str], None],
    atomic: bool,
) -> int:
    """Carry out the run's steps in podman's order: its messages, then (once some unit was read) the
    output directory, then each unit written and linked right after it converted. Before podman 5.5
    (``result.held`` not None) errors are held back and logged at exit as one message."""
    from hostform.gostd import join as gojoin

    held: list[str] | None = None if result.held is None else []
    failed = result.exit_code != 0

    def error(msg: str) -> None:
        if held is None:
            log(msg)
        else:
            held.append(msg)

    for kind, a, b in result.steps:
        if kind == "log":
            log(a)
        elif kind == "held":
            error(a)
        elif kind == "link-error":  # podman makes links (and says what it cannot link) only when writing
            if not dryrun:
                log(a)
        elif kind == "start":
            if dryrun:
                continue
            problem = _mkdir_all(output)
            if problem is not None:
                error(problem)
                log("\n".join(held) if held is not None else "processing encountered some errors")
                return 1
        elif kind == "write":
            path = gojoin(output, a)  # Go's path.Join, as podman: a ServiceName=/x unit lands in the directory
            if dryrun:
                stdout.write(f"---{path}---\n{b}\n")
            else:
                msg = _write_unit(path, b, prog, verbose, log, atomic)
                if msg is not None:
                    error(msg)
                    failed = True
        elif not dryrun:
            _link(gojoin(output, a), b, verbose, log)
    if result.crash is not None:  # a Go panic: its first lines, then the goroutine's stack
        stderr.write(f"{result.crash}\n\ngoroutine 1 [running]:\n{_CRASH_NOTE}\n")
        return 2
    if held is not None:
        if held:
            log("\n".join(held))
        return 1 if held or failed else 0
    if failed:
        log("processing encountered some errors")
        return 1
    return 0


_CRASH_NOTE = "\t(hostform: the real generator prints its Go stack trace here; hostform does not reproduce it)"


def _write_unit(path: str, text: str, prog: str, verbose: bool, log: Callable[[str], None], atomic: bool) -> str | None:
    """Write one unit as the target's generator does: in place, or (podman 6.1) through a temporary
    file beside it that is then renamed over it. The error message when it cannot, else None."""
    if verbose:
        from hostform.gostd import quote

        log(f"writing {quote(path)}")
    data = f"# Automatically generated by {prog}\n# \n{text}"
    if not atomic:
        try:
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(data)
        except OSError as e:
            return f"generating service file {path}: open {path}: {_os_error(e)}"
        return None
    d, base = os.path.split(path)
    tmp = os.path.join(d, f".tmp-{base}{int.from_bytes(os.urandom(4)) >> 1}")  # like Go's os.CreateTemp
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        return f"generating service file {path}: unable to create atomic writer for service file {path}: open {tmp}: {_os_error(e)}"
    try:
        with open(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), 0o644)  # whatever the umask, as podman's atomic writer
        if os.path.isdir(path) and not os.path.islink(path):  # Go's os.Rename refuses a directory as the target
            raise FileExistsError(17, "File exists")
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return f"generating service file {path}: unable to commit atomic writer for service file {path}: rename {tmp} {path}: {_os_error(e)}"
    return None


def _mkdir_all(path: str) -> str | None:
    """Go's os.MkdirAll: None, or its error as podman logs it (the first component that fails is named)."""
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None:
        import stat

        return None if stat.S_ISDIR(st.st_mode) else f"mkdir {path}: not a directory"
    parent = path.rstrip("/").rsplit("/", 1)[0] if "/" in path.rstrip("/") else ""
    if parent:
        problem = _mkdir_all(parent)
        if problem is not None:
            return problem
    try:
        os.mkdir(path)
    except FileExistsError:
        return None if os.path.isdir(path) else f"mkdir {path}: file exists"
    except OSError as e:
        return f"mkdir {path}: {_os_error(e)}"
    return None


def _os_error(e: OSError) -> str:
    return (e.strerror or str(e)).lower()


def _link(path: str, target: str, verbose: bool, log: Callable[[str], None]) -> None:
    d = os.path.dirname(path)
    try:
        os.makedirs(d, exist_ok=True)
    except OSError as e:
        log(f"Can't create dir {d}: {e}")
        return
    if verbose:
        log(f"Creating symlink {path} -> {target}")
    try:
        os.remove(path)
    except OSError:
        pass
    try:
        os.symlink(target, path)
    except OSError as e:
        log(f"Failed creating symlink {path}: {e}")
