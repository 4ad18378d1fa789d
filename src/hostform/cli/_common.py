"""What the commands that build a host share: the pipeline's options on the command line,
and the usual way of printing what it found."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hostform.diagnostics import Diagnostic
    from hostform.pipeline import Options

__all__ = ["add_pipeline_options", "directory", "pipeline_options", "sorted_findings"]

PROVIDERS = ("aws", "hetzner", "digitalocean", "vultr")


def add_pipeline_options(p: argparse.ArgumentParser) -> None:
    """The options that change what the pipeline builds or checks (the same for every command)."""
    p.add_argument("--podman", metavar="VERSION", help="target podman version, e.g. 5.4 (default: the host file's podman:, else 5.8)")
    p.add_argument("--provider", choices=PROVIDERS, help="check the user_data limit of this provider (default: the target's, or from *.tf)")
    p.add_argument(
        "--caddy", choices=("auto", "off", "require"), default="auto", help="run the real Caddy on the Caddyfile (auto: when it is installed)"
    )
    p.add_argument("--main", default="main.bu", help="the Butane file of a plain Butane project (default: main.bu)")
    p.add_argument("--identity", metavar="FILE", help="the age identity that decrypts secrets/*.age (default: $HOSTFORM_AGE_KEY, "
                   "$HOSTFORM_AGE_KEY_FILE, else ~/.config/hostform/age.key)")


def pipeline_options(prog: str, args: argparse.Namespace, decrypt: bool = True) -> Options | None:
    """The pipeline's options from ``args``; None (after saying why on stderr) when one is wrong.
    ``decrypt``: the command needs the secrets' values (it writes or boots the Ignition config)."""
    from hostform.pipeline import Options

    podman = args.podman
    if podman:
        from hostform.quadlet.versions import normalize_version

        try:
            podman = normalize_version(podman)
        except ValueError as e:
            sys.stderr.write(f"{prog}: --podman: {e}\n")
            return None
    return Options(podman=podman, provider=args.provider, caddy=args.caddy, main=args.main, decrypt=decrypt, identity=args.identity)


def directory(prog: str, arg: str) -> Path | None:
    """``arg`` as the project directory; None (after saying why) when it is not a directory."""
    d = Path(arg)
    if not d.is_dir():
        sys.stderr.write(f"{prog}: {arg}: not a directory\n")
        return None
    return d


def sorted_findings(entries: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Findings in file, line, column order (stable for equal positions)."""
    return sorted(entries, key=lambda d: (d.file or "", d.line, d.col))
