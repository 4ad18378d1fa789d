"""``hostform status [DIR] [--format json]``: what runs on the host, asked over HTTPS with the status token.

Per service: its state and health, the image, the digest running and the digest the registry has now
(and whether podman auto-update would pull it), its last update or rollback and when; per site the
certificate's expiry; the disks' use; the last run of podman-auto-update. ``--format json`` prints the
host's answer as it is."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def main(argv: list[str]) -> int:
    from hostform.cli._remote import add_target_options, ask, get_target

    p = argparse.ArgumentParser(prog="hostform status", description="What runs on the host: services, digests, updates, certificates, disks.",
                                epilog="Exit 0 when the host answered, 1 when it cannot be asked or refused.")
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or the host's JSON")
    add_target_options(p)
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    t = get_target("hostform status", args.dir, args)
    if t is None:
        return 1
    data = ask("hostform status", t, "GET", "status")
    if data is None:
        return 1
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_table(data))
    return 0


def _when(t: object, now: float | None = None) -> str:
    if not isinstance(t, (int, float)):
        return "-"
    out = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))
    if now is not None:
        days = (t - now) / 86400
        out += f" (in {days:.0f} days)" if days >= 0 else f" (EXPIRED {-days:.0f} days ago)"
    return out


def _short(digest: object) -> str:
    return digest[7:19] if isinstance(digest, str) and digest.startswith("sha256:") else "-"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n" for r in rows)


def _text(v: object) -> str:
    return str(v) if v not in (None, "") else "-"


def render_table(data: dict[str, Any]) -> str:
    """The host's answer as tables: services, sites, disks, then the last update run."""
    now = data.get("time") if isinstance(data.get("time"), (int, float)) else time.time()
    out = [f"host {_text(data.get('host'))}, at {_when(data.get('time'))}\n\n"]
    rows = [["SERVICE", "STATE", "HEALTH", "IMAGE", "RUNNING", "REGISTRY", "UPDATE", "LAST CHANGE"]]
    for s in data.get("services") or []:
        change = s.get("last_change") or {}
        same = s.get("running_digest") and s.get("running_digest") == s.get("registry_digest")
        rows.append([_text(s.get("name")), _text(s.get("state")), _text(s.get("health")), _text(s.get("image")),
                     _short(s.get("running_digest")), "=" if same else _short(s.get("registry_digest")), _text(s.get("auto_update")),
                     f"{change['updated']} {_when(change.get('time'))}" if change.get("updated") else "-"])
    out.append(_table(rows))
    sites = data.get("sites") or []
    if sites:
        out.append("\n" + _table([["SITE", "CERTIFICATE EXPIRES"]] + [[_text(x.get("site")), _when(x.get("certificate_expires"), now)] for x in sites]))
    disks = data.get("disks") or []
    if disks:
        def gib(n: object) -> str:
            return f"{n / 2**30:.1f} GiB" if isinstance(n, (int, float)) else "-"

        out.append("\n" + _table([["DISK", "SIZE", "USED", "AVAILABLE", "USE"]] + [
            [_text(d.get("mount")), gib(d.get("size")), gib(d.get("used")), gib(d.get("available")),
             f"{100 * d['used'] / d['size']:.0f}%" if isinstance(d.get("used"), int) and d.get("size") else "-"] for d in disks]))
    run = data.get("last_update_run") or {}
    out.append(f"\nlast podman-auto-update run: {_when(run.get('started'))}, result {_text(run.get('result'))}\n")
    return "".join(out)
