"""``hostform build [DIR] [-o OUT]``: a host file (or a plain Butane project) to Ignition.

Writes OUT (default DIR/build/): main.bu, main.ign, quadlets/, Caddyfile and
report.txt, atomically and in that order, only inside OUT and never through a
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


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hostform build", description="Build a host: hostform.yaml (or main.bu) to quadlets, Caddyfile, Butane and Ignition.")
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("-o", "--output", help="output directory (default: DIR/build)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--check", action="store_true", help="check only; write nothing")
    p.add_argument("-q", "--quiet", action="store_true", help="print only findings")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)

    from hostform.emit import MANIFEST, OutputError, current_umask, write_tree
    from hostform.host.build import build_bundle, outputs, run_checks

    d = Path(args.dir)
    bundle = build_bundle(d)
    if not bundle.report.is_fatal() and bundle.ignition is not None:
        bundle.report.merge(run_checks(bundle))
    from hostform.cli._findings import write_findings

    write_findings(bundle.report, sys.stderr, d)
    if bundle.report.is_fatal(args.strict) or bundle.ignition_text is None:
        n = len(bundle.report.errors)
        sys.stderr.write(f"hostform build: failed ({n} error(s)); nothing written\n")
        return 1
    if args.check:
        return 0
    out = Path(args.output) if args.output else d / "build"
    umask = current_umask()
    files = outputs(bundle, umask)
    try:
        done = write_tree(out, files, legacy=("quadlets",), manifest_mode=0o666 & ~umask)
    except OutputError as e:
        sys.stderr.write(f"hostform build: {e}\n")
        return 1
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        sys.stderr.write(f"hostform build: cannot write {out}{where}: {e.strerror or e}\n")
        return 1
    if done.unlisted:
        sys.stderr.write(
            f"hostform build: note: {out} had no {MANIFEST} (an older build): left "
            + ", ".join(done.unlisted)
            + " in place; delete by hand what is stale (from now on the build deletes only what it wrote)\n"
        )
    if not args.quiet:
        sys.stdout.write(f"built {bundle.name} into {out}/: " + ", ".join(rel for rel, _, _ in files) + "\n")
    return 0
