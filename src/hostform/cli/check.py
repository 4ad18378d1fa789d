"""``hostform check [DIR]``: every check of a host, without writing anything.

DIR (default ``.``) holds either a ``hostform.yaml`` or a plain Butane
project (``main.bu`` and its local files).  The findings come from Butane
and Ignition validation (the bundle's own report) and from
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
import os
import sys
from pathlib import Path
from typing import Any

TF_PROVIDERS = {
    "aws_instance": "aws",
    "hcloud_server": "hetzner",
    "digitalocean_droplet": "digitalocean",
    "vultr_instance": "vultr",
}


def build_parser(prog: str = "hostform check") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Run every check on a host directory; write nothing.")
    p.add_argument("dir", nargs="?", default=".", help="directory with hostform.yaml or main.bu (default: .)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--strict", action="store_true", help="warnings fail the check too")
    p.add_argument("--provider", choices=("aws", "hetzner", "digitalocean", "vultr"), help="the cloud provider (default: from the host file or *.tf)")
    p.add_argument("--podman", metavar="VERSION", help="target podman version (default: the host's, else hostform's default)")
    p.add_argument("--caddy", choices=("auto", "off", "require"), default="auto", help="run the real Caddy on the Caddyfile (auto: when installed)")
    p.add_argument("--main", default="main.bu", help="the Butane file of a plain Butane project (default: main.bu)")
    return p


def load_bundle(dir: Path, main: str = "main.bu") -> Any:
    """The bundle of ``dir``: from hostform.yaml if there is one, else from the Butane file."""
    from hostform.host import bundle as b

    if (dir / "hostform.yaml").is_file():
        return b.bundle_from_host(dir)
    return b.bundle_from_butane(dir, main)


def provider_from_terraform(dir: Path) -> str | None:
    """The provider of the first known instance resource in ``dir/*.tf`` (plain Butane projects)."""
    try:
        names = sorted(n for n in os.listdir(dir) if n.endswith(".tf"))
    except OSError:
        return None
    for n in names:
        try:
            text = (dir / n).read_text(errors="replace")
        except OSError:
            continue
        for resource, provider in TF_PROVIDERS.items():
            if f'"{resource}"' in text:
                return provider
    return None


def _sorted(entries: list) -> list:
    return sorted(entries, key=lambda d: (d.file or "", d.line, d.col))


def to_json(entries: list) -> str:
    rows = [
        {"code": d.code, "severity": d.severity, "message": d.message, "file": d.file, "line": d.line, "col": d.col}
        for d in entries
    ]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def run(dir: Path, *, provider: str | None = None, podman: str | None = None, caddy: str = "auto", main: str = "main.bu"):
    """(bundle, all findings): the bundle's own report, then every check."""
    from hostform.diagnostics import Report
    from hostform.host.checks import check_bundle

    bundle = load_bundle(dir, main)
    if podman:
        bundle.podman_version = podman
    if provider is None and getattr(bundle, "host", None) is None:
        provider = provider_from_terraform(dir)
    report = Report()
    report.merge(bundle.report)
    if bundle.ignition is not None or bundle.files:
        report.merge(check_bundle(bundle, provider=provider, caddy=caddy))
    return bundle, report


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)
    dir = Path(args.dir)
    if not dir.is_dir():
        sys.stderr.write(f"hostform check: {args.dir}: not a directory\n")
        return 2
    if args.podman:
        from hostform.quadlet.versions import normalize_version

        try:
            normalize_version(args.podman)
        except ValueError as e:
            sys.stderr.write(f"hostform check: --podman: {e}\n")
            return 2
    _, report = run(dir, provider=args.provider, podman=args.podman, caddy=args.caddy, main=args.main)
    entries = _sorted(report.entries)
    if args.format == "json":
        sys.stdout.write(to_json(entries))
    else:
        from hostform.cli._findings import write_findings

        write_findings(entries, sys.stdout, dir, show_dir=False)
        ne, nw = len(report.errors), len(report.warnings)
        if ne or nw:
            sys.stderr.write(f"{ne} error{'s' * (ne != 1)}, {nw} warning{'s' * (nw != 1)}\n")
    return 1 if report.is_fatal(args.strict) else 0
