"""``hostform logs [DIR] [SERVICE] [--since T] [--follow] [-n LINES]``: a unit's journal on the host, asked over
HTTPS with the status token. SERVICE is a service, a job, ``caddy``, ``podman-auto-update`` (the default: what
the updates did) or, with ``backups:``, ``hostform-backup`` (and ``hostform-restore``). ``--follow`` asks again and again (a long poll of up to 25 s each) for what came after."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

WAIT = "25"


def main(argv: list[str]) -> int:
    from hostform.cli._remote import add_target_options, ask, get_target

    p = argparse.ArgumentParser(prog="hostform logs", description="A unit's journal on the host (over HTTPS, with the status token).",
                                epilog="A single argument is DIR when it has a / (./web), is . or .., or is a directory holding "
                                "hostform.yaml; otherwise it is SERVICE. Messages are printed with their control characters "
                                "(but tab) as \\xNN, so that the host's text cannot drive the terminal (--format json escapes them "
                                "as JSON does). Exit 0 when the host answered, 1 when it cannot be asked, refused or answered "
                                "something else, 2 when an option is wrong.")
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("service", nargs="?", help="a service, a job, caddy, podman-auto-update (default), hostform-backup")
    p.add_argument("--since", help="from this long ago (30s, 10m, 2h, 1d) or this time (2026-12-07T10:00, UTC)")
    p.add_argument("-n", "--lines", type=int, default=200, help="at most this many lines (default 200, at most 5000)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines (^C stops)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or one JSON object per line")
    add_target_options(p)
    try:
        args = p.parse_intermixed_args(argv)  # SERVICE may come after the options
    except SystemExit as e:
        return int(e.code or 0)
    if args.service is None and not _is_project(args.dir):
        args.dir, args.service = ".", args.dir
    unit = args.service or "podman-auto-update"
    if not 1 <= args.lines <= 5000:
        sys.stderr.write("hostform logs: --lines: give 1 to 5000\n")
        return 2
    from hostform.status.client import FOLLOW_TIMEOUT, ClientError, parse_since

    query = {"unit": unit, "lines": str(args.lines), "format": "json"}
    try:
        if args.since:
            query["since"] = str(parse_since(args.since, time.time()))
    except ClientError as e:
        sys.stderr.write(f"hostform logs: {e}\n")
        return 2
    t = get_target("hostform logs", args.dir, args)
    if isinstance(t, int):
        return t
    while True:
        data = ask("hostform logs", t, "GET", "logs", query, timeout=FOLLOW_TIMEOUT if "wait" in query else None)
        if data is None:
            return 1
        wrong = shape_problem(data)
        if wrong:
            sys.stderr.write(f"hostform logs: the host's answer is not a journal: {wrong}\n")
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


def _is_project(arg: str) -> bool:
    """Whether the one argument given is DIR (else it is SERVICE: a unit name has no /)."""
    from hostform.pipeline import HOST_FILE

    return "/" in arg or arg in (".", "..") or (Path(arg) / HOST_FILE).is_file()


def shape_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a logs answer (None: nothing)."""
    entries = data.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return "entries is not a list of objects"
    if not isinstance(data.get("cursor"), (str, type(None))):
        return "cursor"
    for e in entries:
        if not isinstance(e.get("message"), (str, type(None))) or not isinstance(e.get("identifier"), (str, type(None))):
            return "an entry's message or identifier is not text"
        t = e.get("time")
        if t is not None and not (isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t)):
            return "an entry's time is not a number"
    return None


def _line(e: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(e, sort_keys=True) + "\n"
    from hostform.status.client import clean

    t = e.get("time")
    when = "-"
    if isinstance(t, (int, float)) and math.isfinite(t):
        try:
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        except (OverflowError, OSError, ValueError):
            pass
    message = e.get("message") or ""
    message = message.removesuffix("\n")  # a container's line reaches the journal with its newline
    return f"{when} {clean(e.get('identifier') or '-')}: {clean(message)}\n"
