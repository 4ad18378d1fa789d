"""``hostform check [DIR]``: every check of a host, without writing anything.

DIR (default ``.``) holds either a ``hostform.yaml`` or a plain Butane
project (``main.bu`` and its local files).  It runs the same pipeline as
``hostform build`` (:func:`hostform.pipeline.build`), so the findings are the
same: the host file's, Butane and Ignition validation, and
:func:`hostform.host.checks.check_bundle`: the quadlet generator for the
target podman, cross-references, the provider's user_data limit, Caddy and
the known deployment mistakes.  Each is printed as
``file:line:col: severity[HFxxx]: message``; ``hostform explain HFxxx`` says
why it matters.  Exit status 1 when there are errors (with ``--strict``,
warnings too), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

from hostform.diagnostics import Diagnostic


def build_parser(prog: str = "hostform check") -> argparse.ArgumentParser:
    from hostform.cli._common import add_pipeline_options

    p = argparse.ArgumentParser(prog=prog, description="Run every check on a host directory; write nothing.")
    p.add_argument("dir", nargs="?", default=".", help="directory with hostform.yaml or main.bu (default: .)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--strict", action="store_true", help="warnings fail the check too")
    add_pipeline_options(p)
    return p


def to_json(entries: Iterable[Diagnostic]) -> str:
    """The findings as a JSON array (files relative to the project directory)."""
    rows = [
        {"code": d.code, "severity": d.severity, "message": d.message, "file": d.file, "line": d.line, "col": d.col}
        for d in entries
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    from hostform.cli._common import directory, pipeline_options, sorted_findings

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)
    d = directory("hostform check", args.dir)
    opts = pipeline_options("hostform check", args, decrypt=False)
    if d is None or opts is None:
        return 2
    from hostform import pipeline

    bundle = pipeline.build(d, opts)
    entries = sorted_findings(bundle.report)
    if args.format == "json":
        sys.stdout.write(to_json(entries))
    else:
        from hostform.cli._findings import write_findings

        write_findings(entries, sys.stdout, d)
        ne, nw = len(bundle.report.errors), len(bundle.report.warnings)
        if ne or nw:
            sys.stderr.write(f"{ne} error{'s' * (ne != 1)}, {nw} warning{'s' * (nw != 1)}\n")
    return 1 if bundle.report.is_fatal(args.strict) else 0
