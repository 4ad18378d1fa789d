"""``hostform logs [DIR] [SERVICE] [--since T] [--follow] [-n LINES]``: a unit's journal on the host, asked over
HTTPS with the status token. SERVICE is a service, a job, ``caddy`` or ``podman-auto-update`` (the default: what
the updates did). ``--follow`` asks again and again (a long poll of up to 25 s each) for what came after."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

WAIT = "25"


def main(argv: list[str]) -> int:
    from hostform.cli._remote import add_target_options, ask, get_target

    p = argparse.ArgumentParser(prog="hostform logs", description="A unit's journal on the host (over HTTPS, with the status token).",
                                epilog="A single argument that is a directory is DIR; otherwise it is SERVICE. "
                                "Exit 0 when the host answered, 1 when it cannot be asked or refused.")
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("service", nargs="?", help="a service, a job, caddy or podman-auto-update (default)")
    p.add_argument("--since", help="from this long ago (30s, 10m, 2h, 1d) or this time (2026-12-07T10:00, UTC)")
    p.add_argument("-n", "--lines", type=int, default=200, help="at most this many lines (default 200, at most 5000)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines (^C stops)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or one JSON object per line")
    add_target_options(p)
    try:
        args = p.parse_intermixed_args(argv)  # SERVICE may come after the options
    except SystemExit as e:
        return int(e.code or 0)
    if args.service is None and not os.path.isdir(args.dir):
        args.dir, args.service = ".", args.dir
    unit = args.service or "podman-auto-update"
    if not 1 <= args.lines <= 5000:
        sys.stderr.write("hostform logs: --lines: give 1 to 5000\n")
        return 2
    from hostform.status.client import ClientError, parse_since

    query = {"unit": unit, "lines": str(args.lines), "format": "json"}
    try:
        if args.since:
            query["since"] = str(parse_since(args.since, time.time()))
    except ClientError as e:
        sys.stderr.write(f"hostform logs: {e}\n")
        return 2
    t = get_target("hostform logs", args.dir, args)
    if t is None:
        return 1
    while True:
        data = ask("hostform logs", t, "GET", "logs", query)
        if data is None:
            return 1
        for entry in data.get("entries") or []:
            sys.stdout.write(_line(entry, args.format))
        sys.stdout.flush()
        if not args.follow:
            return 0
        if data.get("cursor"):
            query = {"unit": unit, "lines": "5000", "format": "json", "after": str(data["cursor"]), "wait": WAIT}
        else:
            query = {**query, "wait": WAIT}


def _line(e: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(e, sort_keys=True) + "\n"
    t = e.get("time")
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if isinstance(t, (int, float)) else "-"
    message = e.get("message")
    if isinstance(message, str):  # a container's line reaches the journal with its newline
        message = message.removesuffix("\n")
    return f"{when} {e.get('identifier') or '-'}: {message}\n"
