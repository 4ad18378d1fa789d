"""``hostform update [DIR]``: start podman-auto-update on the host now ("deploy now", for CI), instead of
waiting for its timer. The host answers 202 once the update has started; ``hostform status`` shows what it did."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str]) -> int:
    from hostform.cli._remote import add_target_options, ask, get_target

    p = argparse.ArgumentParser(prog="hostform update", description="Start podman-auto-update on the host now (over HTTPS, with the status token).",
                                epilog="Exit 0 when the update started, 1 when the host cannot be asked or refused, 2 when an option is wrong.")
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    add_target_options(p)
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    t = get_target("hostform update", args.dir, args)
    if isinstance(t, int):
        return t
    if ask("hostform update", t, "POST", "update", expect=202) is None:
        return 1
    sys.stdout.write("started podman-auto-update.service on the host: `hostform status` shows what it did\n")
    return 0
