"""`hostform ignition validate FILE`: a drop-in for Ignition's ``ignition-validate``."""

from __future__ import annotations

import sys

HELP = """Usage:
  hostform ignition validate [flags] config.ign

Validate an Ignition config (spec 3.0.0 to 3.7.0-experimental) with the rules
of Ignition v2.26.0, printing what `ignition-validate` prints. `-` or no file
reads standard input. Exit status 1 when the config is invalid.

  -version
    \tprint the version of ignition-validate
"""


def validate_main(argv: list[str]) -> int:
    files = []
    for a in argv:
        if a in ("-h", "--help", "-help"):
            sys.stderr.write(HELP)
            return 0
        if a in ("-version", "--version"):
            sys.stdout.write("Ignition v2.26.0 (hostform)\n")
            return 0
        if a.startswith("-") and a != "-":
            sys.stderr.write(f"flag provided but not defined: {a}\n{HELP}")
            return 2
        files.append(a)
    if len(files) > 1:
        sys.stderr.write(HELP)
        return 1
    name = files[0] if files else "-"
    try:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as fh:
                data = fh.read()
    except IsADirectoryError:
        sys.stderr.write(f"couldn't read config: read {name}: is a directory\n")
        return 1
    except OSError as e:
        why = (e.strerror or str(e)).lower()
        sys.stderr.write(f"couldn't read config: open {name}: {why}\n")
        return 1
    from hostform.ignition._parse import CODE_PARSE, format_entry, parse

    _, report = parse(data)
    shown = [d for d in report.entries if d.code != CODE_PARSE]
    final = [d for d in report.entries if d.code == CODE_PARSE]
    if shown:
        sys.stdout.write("".join(format_entry(d) + "\n" for d in shown))
    if any(d.severity == "error" for d in shown):
        return 1
    if final:
        sys.stderr.write(f"couldn't parse config: {final[0].message}\n")
        return 1
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(HELP)
        return 0 if argv else 2
    if argv[0] == "validate":
        return validate_main(argv[1:])
    sys.stderr.write(f"hostform ignition: unknown subcommand {argv[0]!r}\n{HELP}")
    return 2
