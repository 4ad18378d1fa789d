"""``hostform butane``: a drop-in for the ``butane`` command (v0.29, variant fcos).

Same flags (parsed the way Go's pflag does), same output bytes, same
messages and exit codes: 0, 1 on an error (or a warning under --strict),
2 on bad usage.
"""

from __future__ import annotations

import sys

# (long name, short name, takes a value, usage, hidden, NoOptDefVal)
_FLAGS = (
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


def _bool_value(flag: str, v: str) -> bool:
    if v in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if v in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise _UsageError(f'invalid argument "{v}" for "{flag}" flag: strconv.ParseBool: parsing "{v}": invalid syntax')


def parse_args(argv: list[str]) -> tuple[dict, list[str]]:
    by_long = {f[0]: f for f in _FLAGS}
    by_short = {f[1]: f for f in _FLAGS if f[1]}
    opts: dict = {}
    args: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            args.extend(argv[i:])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, val = a[2:].partition("=")
            f = by_long.get(name)
            if f is None:
                raise _UsageError(f"unknown flag: --{name}")
            if f[2]:
                if not eq:
                    if f[5] is not None:
                        val = f[5]
                    elif i < len(argv):
                        val = argv[i]
                        i += 1
                    else:
                        raise _UsageError(f"flag needs an argument: --{name}")
                opts[name] = val
            else:
                opts[name] = _bool_value(f"--{name}", val) if eq else True
            continue
        if a.startswith("-") and len(a) > 1:
            s = a[1:]
            while s:
                c, s = s[0], s[1:]
                f = by_short.get(c)
                if f is None:
                    raise _UsageError(f"unknown shorthand flag: '{c}' in {a}")
                if f[2]:
                    if s.startswith("="):
                        val = s[1:]
                    elif s:
                        val = s
                    elif f[5] is not None:
                        val = f[5]
                    elif i < len(argv):
                        val = argv[i]
                        i += 1
                    else:
                        raise _UsageError(f"flag needs an argument: '{c}' in {a}")
                    opts[f[0]] = val
                    s = ""
                else:
                    if s.startswith("="):
                        opts[f[0]] = _bool_value(f"-{c}, --{f[0]}", s[1:])
                        s = ""
                    else:
                        opts[f[0]] = True
            continue
        args.append(a)
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
        sys.stderr.write(f"{e}\n{usage()}")
        return 2
    inp = opts.get("input", "")
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

        sys.stdout.write(f"Butane {__version__}\n")
        return 0

    filename = "<stdin>"
    try:
        if inp:
            filename = inp
            with open(inp, "rb") as f:
                data = f.read()
        else:
            data = sys.stdin.buffer.read()
    except OSError as e:
        from hostform.butane.base import os_error

        sys.stderr.write(f"failed to open {inp}: {os_error('open', inp, e)}\n")
        return 1

    from hostform.butane.report import colorize_for, correlate, format_entries
    from hostform.butane.translate import Options, translate_bytes

    color = opts.get("color", opts.get("colour", "auto"))
    res = translate_bytes(data, Options(opts.get("files-dir", ""), bool(opts.get("pretty"))))
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
        out = res.output if res.output.endswith("\n") else res.output + "\n"
        outp = opts.get("output", "")
        if outp:
            try:
                with open(outp, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(out)
            except OSError as e:
                from hostform.butane.base import os_error

                _write_err(f"failed to open {outp}: {os_error('open', outp, e)}\n")
                return 1
        else:
            _write_out(out)
    return 0


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
