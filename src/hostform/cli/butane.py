"""``hostform butane``: a drop-in for the ``butane`` command (v0.29, variant fcos).

Same flags (parsed the way Go's pflag does), same output bytes, same
messages and exit codes: 0, 1 on an error (or a warning under --strict),
2 on bad usage.
"""

from __future__ import annotations

import sys

from hostform.gostd import go_bytes, quote_rune

TYPE_CHECKING = False  # typing-only imports: this module is on the start-up path of `hostform butane`
if TYPE_CHECKING:
    # (long name, short name, takes a value, usage, hidden, NoOptDefVal)
    Flag = tuple[str, str, bool, str, bool, str | None]
    # flag name -> True/False for a bool flag, the text for a value flag
    Opts = dict[str, bool | str]

# (long name, short name, takes a value, usage, hidden, NoOptDefVal)
_FLAGS: tuple[Flag, ...] = (
    ("help", "h", False, "show usage and exit", False, None),
    ("version", "V", False, "print the version and exit", False, None),
    ("debug", "D", False, "log translations", True, None),
    ("check", "c", False, "check config without producing output", False, None),
    ("strict", "s", False, "fail on any warning", False, None),
    ("pretty", "p", False, "output formatted json", False, None),
    ("raw", "r", False, "never wrap in a MachineConfig; force Ignition output", False, None),
    ("raw-errors", "", False, "show raw errors, rather than pretty printing them", False, None),
    ("color", "", True, 'control color output: "auto", "always", or "never"', False, "always"),
    ("colour", "", True, 'control color output: "auto", "always", or "never"', True, "always"),
    ("input", "", True, "read from input file instead of stdin", True, None),
    ("output", "o", True, "write to output file instead of stdout", False, None),
    ("files-dir", "d", True, "allow embedding local files from this directory", False, None),
)
_DEFAULTS = {"color": "auto", "colour": "auto"}

PROG = "hostform butane"
# The Butane release whose behaviour (flags, output, messages) this follows.
BUTANE_VERSION = "0.29.0"


class _UsageError(Exception):
    pass


def usage() -> str:
    rows = []
    for name, short, value, text, hidden, noopt in sorted(_FLAGS, key=lambda f: f[0]):
        if hidden:
            continue
        line = f"  -{short}, --{name}" if short else f"      --{name}"
        if value:
            line += " string"
            if noopt:
                line += f'[="{noopt}"]'
        rows.append((line, text + (f' (default "{_DEFAULTS[name]}")' if name in _DEFAULTS else "")))
    width = max(len(r[0]) for r in rows) + 1
    out = [f"Usage: {PROG} [options] [input-file]\n", "Options:\n"]
    for line, text in rows:
        out.append(f"{line} {' ' * (width - len(line))} {text}\n")
    return "".join(out)


_DEPRECATED = {"input": "specify filename directly on command line"}


def _go_quote_rune(ch: str) -> str:
    """Go's %q of ``s[0]`` where s holds one byte of a UTF-8 argument: pflag
    quotes the byte as a rune, so a non-ASCII character shows as the Latin-1
    character of its first UTF-8 byte."""
    return quote_rune(go_bytes(ch)[0])


def _set(opts: Opts, flag: Flag, value: str) -> None:
    """pflag's FlagSet.Set: parse the value, note a deprecated flag."""
    name = flag[0]
    if not flag[2]:
        if value in ("1", "t", "T", "true", "TRUE", "True"):
            v = True
        elif value in ("0", "f", "F", "false", "FALSE", "False"):
            v = False
        else:
            from hostform.gostd import quote

            shown = f"-{flag[1]}, --{name}" if flag[1] else f"--{name}"
            raise _UsageError(
                f"invalid argument {quote(value)} for {quote(shown)} flag: "
                f"strconv.ParseBool: parsing {quote(value)}: invalid syntax"
            )
        opts[name] = v
    else:
        # --color and --colour share one variable: the last one set wins
        opts["color" if name == "colour" else name] = value
    if name in _DEPRECATED:
        sys.stderr.write(f"Flag --{name} has been deprecated, {_DEPRECATED[name]}\n")


def parse_args(argv: list[str]) -> tuple[Opts, list[str]]:
    """Parse flags as spf13/pflag v1.0.10 does (interspersed arguments,
    ``--`` ends the flags, bools take ``=value`` only, ``--color`` alone
    means "always").  Raises _UsageError with pflag's message."""
    by_long = {f[0]: f for f in _FLAGS}
    by_short = {f[1]: f for f in _FLAGS if f[1]}
    opts: Opts = {}
    args: list[str] = []
    i = 0
    n = len(argv)
    while i < n:
        a = argv[i]
        i += 1
        if len(a) < 2 or a[0] != "-":
            args.append(a)
            continue
        if a[1] == "-":
            if len(a) == 2:
                args.extend(argv[i:])
                break
            name = a[2:]
            if name[0] in "-=":
                raise _UsageError(f"bad flag syntax: {a}")
            name, eq, val = name.partition("=")
            f = by_long.get(name)
            if f is None:
                raise _UsageError(f"unknown flag: --{name}")
            if not eq:
                if not f[2]:
                    val = "true"
                elif f[5] is not None:
                    val = f[5]
                elif i < n:
                    val = argv[i]
                    i += 1
                else:
                    raise _UsageError(f"flag needs an argument: --{name}")
            _set(opts, f, val)
            continue
        shorts = a[1:]
        while shorts:
            if shorts.startswith("test."):  # go test's flags pass silently
                break
            c = shorts[0]
            f = by_short.get(c)
            if f is None:
                raise _UsageError(f"unknown shorthand flag: {_go_quote_rune(c)} in -{shorts}")
            rest = shorts[1:]
            if len(shorts) > 2 and shorts[1] == "=":
                val, rest = shorts[2:], ""
            elif not f[2]:
                val = "true"
            elif f[5] is not None:
                val = f[5]
            elif len(shorts) > 1:
                val, rest = shorts[1:], ""
            elif i < n:
                val = argv[i]
                i += 1
            else:
                raise _UsageError(f"flag needs an argument: {_go_quote_rune(c)} in -{shorts}")
            _set(opts, f, val)
            shorts = rest
    return opts, args


def main(argv: list[str]) -> int:
    # A run allocates few cycles and ends soon: the cyclic collector's passes
    # over the freshly imported modules cost more (about 1 ms of start-up)
    # than they could free.
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if enabled:
            gc.enable()


def _main(argv: list[str]) -> int:
    try:
        opts, args = parse_args(argv)
    except _UsageError as e:
        # pflag prints the usage, then the error
        sys.stderr.write(f"{usage()}{e}\n")
        return 2
    inp = _text(opts, "input")
    if len(args) == 1 and not inp:
        inp = args[0]
    elif args:
        sys.stderr.write(usage())
        return 2
    if opts.get("help"):
        sys.stdout.write(usage())
        return 0
    if opts.get("version"):
        from hostform import __version__

        # "Butane <version>" first, as Butane prints it (packaged builds
        # without the "v" of a git tag), so that scripts reading the second
        # field get the Butane version whose behaviour this follows; then
        # which implementation it is, for bug reports.
        sys.stdout.write(f"Butane {BUTANE_VERSION} (hostform {__version__})\n")
        return 0

    filename = "<stdin>"
    if inp:
        filename = inp
        try:
            # os.Open succeeds on a directory; reading it then fails
            f = open(inp, "rb") if not _is_dir(inp) else None
        except (OSError, ValueError) as e:
            sys.stderr.write(f"failed to open {inp}: {_os_error('open', inp, e)}\n")
            return 1
        if f is None:
            sys.stderr.write(f"failed to read {inp}: read {inp}: is a directory\n")
            return 1
        try:
            with f:
                data = f.read()
        except OSError as e:
            from hostform.butane.base import os_error

            sys.stderr.write(f"failed to read {inp}: {os_error('read', inp, e)}\n")
            return 1
    else:
        try:
            data = sys.stdin.buffer.read()
        except OSError as e:
            from hostform.butane.base import os_error

            sys.stderr.write(f"failed to read /dev/stdin: {os_error('read', '/dev/stdin', e)}\n")
            return 1

    from hostform.butane.report import colorize_for, correlate, format_entries
    from hostform.butane.translate import Options, translate_bytes

    color = _text(opts, "color", "auto")
    res = translate_bytes(data, Options(_text(opts, "files-dir"), bool(opts.get("pretty"))))
    diags = correlate(res.report.entries, res.root, data, filename)
    text = format_entries(diags, data, filename, raw=bool(opts.get("raw-errors")), colorize=colorize_for(color))
    _write_err(text)
    if res.error is not None:
        _write_err(f"Error translating config: {res.error}\n")
        return 1
    if opts.get("strict") and len(res.report.entries) > 0:
        _write_err("Config produced warnings and --strict was specified\n")
        return 1
    if not opts.get("check"):
        output = res.output or ""  # a str when there is no error
        out = output if output.endswith("\n") else output + "\n"
        outp = _text(opts, "output")
        if outp:
            import os

            try:
                # as Go's os.OpenFile(O_WRONLY|O_CREATE|O_TRUNC, 0644)
                fd = os.open(outp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            except (OSError, ValueError) as e:
                _write_err(f"failed to open {outp}: {_os_error('open', outp, e)}\n")
                return 1
            try:
                with open(fd, "wb") as w:
                    w.write(out.encode("utf-8", "surrogateescape"))
            except OSError as e:
                from hostform.butane.base import os_error

                _write_err(f"Failed to write config to {outp}: {os_error('write', outp, e)}\n")
                return 1
        else:
            _write_out(out)
    return 0


def _text(opts: Opts, name: str, default: str = "") -> str:
    """A value flag's text (``default`` when it is not given)."""
    v = opts.get(name, default)
    return v if isinstance(v, str) else default


def _os_error(op: str, path: str, e: OSError | ValueError) -> str:
    """Go's *PathError text; a NUL in the path is EINVAL there."""
    if isinstance(e, ValueError):
        return f"{op} {path}: invalid argument"
    from hostform.butane.base import os_error

    return os_error(op, path, e)


def _is_dir(path: str) -> bool:
    import os

    try:
        return os.path.isdir(path)
    except ValueError:
        return False


def _write_err(text: str) -> None:
    if not text:
        return
    try:
        sys.stderr.write(text)
    except UnicodeEncodeError:
        sys.stderr.flush()
        sys.stderr.buffer.write(text.encode("utf-8", "surrogateescape"))


def _write_out(text: str) -> None:
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
