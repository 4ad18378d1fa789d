"""``hostform build [DIR] [-o OUT]``: a host file (or a plain Butane project) to Ignition.

Runs the pipeline (:func:`hostform.pipeline.build`: the same findings as
``hostform check``), then writes OUT (default DIR/build/): main.bu, main.ign,
quadlets/, Caddyfile, terraform/main.tf.json (with a target) and report.txt, atomically and in that order, only inside OUT and never through a
symlink (see :mod:`hostform.emit`); files with secrets are 0600. OUT/.hostform-manifest
lists what was written: the next build deletes those files it no longer writes,
and nothing else. Findings go to stderr as
``file:line:col: severity[HFxxx]: message``. Exit 1 when there are errors
(or warnings with --strict), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hostform.host.bundle import Bundle


def main(argv: list[str]) -> int:
    from hostform.cli._common import add_pipeline_options, directory, pipeline_options, sorted_findings

    p = argparse.ArgumentParser(
        prog="hostform build",
        description="Build a host: hostform.yaml (or main.bu) to quadlets, Caddyfile, Butane and Ignition.",
        epilog="Writes OUT/main.bu, main.ign, quadlets/, Caddyfile, terraform/main.tf.json (with a target) and "
        "report.txt; files holding secrets are 0600. Findings (the same as `hostform check`) go to stderr as "
        "file:line:col: severity[HFxxx]: message; `hostform explain HFxxx` says more. Exit 1 on errors "
        "(--strict: warnings too), 2 on bad usage.",
    )
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("-o", "--output", help="output directory (default: DIR/build)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--check", action="store_true", help="check only; write nothing (as `hostform check`)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only findings")
    add_pipeline_options(p)
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)
    d = directory("hostform build", args.dir)
    opts = pipeline_options("hostform build", args, decrypt=not args.check)
    if d is None or opts is None:
        return 2

    from hostform import pipeline
    from hostform.cli._findings import write_findings

    bundle = pipeline.build(d, opts)
    write_findings(sorted_findings(bundle.report), sys.stderr, d)
    if bundle.report.is_fatal(args.strict) or bundle.ignition_text is None:
        ne, nw = len(bundle.report.errors), len(bundle.report.warnings)
        why = f"{ne} error{'s' * (ne != 1)}" if ne or not args.strict else f"{nw} warning{'s' * (nw != 1)} with --strict"
        sys.stderr.write(f"hostform build: failed ({why}); nothing written\n")
        return 1
    if args.check:
        return 0
    out = Path(args.output) if args.output else d / "build"
    files = write_outputs("hostform build", bundle, out)
    if files is None:
        return 1
    if not args.quiet:
        sys.stdout.write(f"built {bundle.name} into {out}/: " + ", ".join(files) + "\n")
    return 0


def write_outputs(prog: str, bundle: Bundle, out: Path) -> list[str] | None:
    """Write what ``hostform build`` writes for ``bundle`` into ``out``: the names written, or None
    (after saying why on stderr)."""
    from hostform.emit import MANIFEST, OutputError, current_umask, write_tree
    from hostform.host.build import outputs

    umask = current_umask()
    files = outputs(bundle, umask)
    try:
        done = write_tree(out, files, legacy=("quadlets",), manifest_mode=0o666 & ~umask)
    except OutputError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return None
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        sys.stderr.write(f"{prog}: cannot write {out}{where}: {e.strerror or e}\n")
        return None
    if done.unlisted:
        sys.stderr.write(
            f"{prog}: note: {out} had no {MANIFEST} (an older build): left "
            + ", ".join(done.unlisted)
            + " in place; delete by hand what is stale (from now on the build deletes only what it wrote)\n"
        )
    return [rel for rel, _, _ in files]
