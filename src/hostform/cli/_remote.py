"""What ``hostform status``, ``logs`` and ``update`` share: finding the host (URL and token) from the options."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hostform.status.client import Target

__all__ = ["add_target_options", "ask", "get_target"]


def add_target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the site to ask (default: https:// and the host file's status.site)")
    p.add_argument("--token-file", metavar="FILE", help="a file holding the token (default: the host file's status.token secret, decrypted)")
    p.add_argument("--connect", metavar="ADDRESS", help="connect to this address instead of the site's name (a machine of `hostform try`)")
    p.add_argument("--cacert", metavar="FILE", help="trust this CA for the site's certificate (tls.ca: internal, or a test)")
    p.add_argument("--identity", metavar="FILE", help="the age identity that decrypts the token (default: $HOSTFORM_AGE_KEY, "
                   "$HOSTFORM_AGE_KEY_FILE, else ~/.config/hostform/age.key)")


def get_target(prog: str, project: str, args: argparse.Namespace) -> Target | int:
    """The host to ask; else the exit code (2: an option is wrong, 1: the host cannot be asked), after saying why
    on stderr."""
    from pathlib import Path

    from hostform.status.client import ClientError, target

    try:
        return target(Path(project), args.url, args.token_file, args.identity, args.cacert, args.connect)
    except ClientError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return 2 if e.usage else 1


def ask(prog: str, t: Target, method: str, endpoint: str, query: dict[str, str] | None = None, expect: int = 200,
        timeout: float | None = None) -> dict[str, Any] | None:
    """The host's JSON answer; None (after saying why on stderr, on one line)."""
    from hostform.status.client import TIMEOUT, ClientError, call_json

    try:
        return call_json(t, method, endpoint, query, expect, TIMEOUT if timeout is None else timeout)
    except ClientError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return None
