"""``hostform units [DIR]``: the systemd services the VM will run, as its generator writes them.

Runs hostform's quadlet generator over the bundle's quadlet files (rootful
and each rootless scope) and prints every generated ``.service`` after a
header line naming where systemd finds it and the file it comes from
(``hostform.yaml:LINE`` for the ones generated from the host file): what
one would otherwise dig out of ``/run/systemd/generator`` on the VM.
Generator errors go to stderr (``file:line:col: error[HFxxx]: ...``) and
make the exit status 1.
"""

from __future__ import annotations

import argparse
import sys


def output_dir(scope: str) -> str:
    """Where the generator of ``scope`` writes its units on the VM."""
    if scope == "system":
        return "/run/systemd/generator"
    who = scope.split(":", 1)[1]
    return f"/run/user/{who if who.isdigit() else '$UID'}/systemd/generator"


def main(argv: list[str]) -> int:
    from hostform.cli._common import directory, pipeline_options

    p = argparse.ArgumentParser(prog="hostform units", description="Print the services the VM's quadlet generator will write.")
    p.add_argument("dir", nargs="?", default=".", help="directory with hostform.yaml or main.bu (default: .)")
    p.add_argument("--podman", metavar="VERSION", help="target podman version (default: the host file's podman:, else 5.8)")
    p.add_argument("--main", default="main.bu", help="the Butane file of a plain Butane project")
    p.set_defaults(provider=None, caddy="off", identity=None)  # no cross-file checks here (`hostform check` runs them)
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)
    d = directory("hostform units", args.dir)
    opts = pipeline_options("hostform units", args, decrypt=False)
    if d is None or opts is None:
        return 2
    from dataclasses import replace

    from hostform import pipeline
    from hostform.cli._common import sorted_findings
    from hostform.cli._findings import shown_path, write_findings
    from hostform.host.checks import Context, generated_services

    # the generator's own findings come from the run that makes the services
    bundle = pipeline.build(d, replace(opts, checks=False))
    ctx = Context(bundle)
    out = []
    for scope, name, text, q in generated_services(ctx):
        if q is None:
            src = ""
        elif q.file.generated and q.file.source:  # from hostform.yaml: the line of the service (network, sites)
            src = f" (from {shown_path(d, q.file.source)}:{q.file.line})"
        else:
            src = f" (from {shown_path(d, q.file.source or q.file.vm_path)})"
        out.append(f"# {output_dir(scope)}/{name}{src}\n{text}")
    sys.stdout.write("\n".join(out))
    problems = sorted_findings(x for x in [*bundle.report, *ctx.report] if x.is_error)
    write_findings(problems, sys.stderr, d)
    return 1 if problems else 0
