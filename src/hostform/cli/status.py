"""``hostform status [DIR] [--format json]``: what runs on the host, asked over HTTPS with the status token.

Per service: its state and health, the image, the digest running and the digest the registry has now
(and whether podman auto-update would pull it), its last update or rollback and when; per site the
certificate's expiry; the disks' use; the last run of podman-auto-update; with ``backups:``, the last
successful backup, the last run when it failed, and the next. ``--format json`` prints the host's answer
as it is."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def main(argv: list[str]) -> int:
    from hostform.cli._remote import add_target_options, ask, get_target

    p = argparse.ArgumentParser(prog="hostform status", description="What runs on the host: services, digests, updates, certificates, disks, backups.",
                                epilog="Exit 0 when the host answered, 1 when it cannot be asked, refused or answered something else, "
                                "2 when an option is wrong. Text from the host is printed with its control characters "
                                "(but tab) as \\xNN.")
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or the host's JSON")
    add_target_options(p)
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    t = get_target("hostform status", args.dir, args)
    if isinstance(t, int):
        return t
    data = ask("hostform status", t, "GET", "status")
    if data is None:
        return 1
    wrong = shape_problem(data)
    if wrong:
        sys.stderr.write(f"hostform status: the host's answer is not a status: {wrong}\n")
        return 1
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render_table(data))
    return 0


_TEXT = (str, type(None))
_NUMBER = (int, float, type(None))
# what each part of the answer may be: (its type, the types of an item's fields)
_SHAPE: dict[str, tuple[type, dict[str, tuple[type, ...]]]] = {
    "services": (list, {"name": _TEXT, "image": _TEXT, "unit": _TEXT, "state": _TEXT, "started": _TEXT, "health": _TEXT,
                        "running_digest": _TEXT, "registry_digest": _TEXT, "registry_error": _TEXT, "auto_update": _TEXT,
                        "last_change": (dict, type(None))}),
    "sites": (list, {"site": _TEXT, "certificate_expires": _NUMBER}),
    "disks": (list, {"mount": _TEXT, "size": _NUMBER, "used": _NUMBER, "available": _NUMBER}),
}


def shape_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a status answer (None: nothing); only known fields are looked at."""
    if not isinstance(data.get("host"), str) or not _number(data.get("time")):
        return "host or time"
    for key, (kind, fields) in _SHAPE.items():
        items = data.get(key)
        if not isinstance(items, kind) or not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            return f"{key} is not a list of objects"
        for x in items:
            for name, types in fields.items():
                v = x.get(name)
                if not isinstance(v, types) or (types is _NUMBER and v is not None and not _number(v)):
                    return f"{key}: {name} is a {type(v).__name__}"
            change = x.get("last_change")
            if isinstance(change, dict) and not (isinstance(change.get("updated"), _TEXT) and (change.get("time") is None or _number(change.get("time")))):
                return f"{key}: last_change"
    run = data.get("last_update_run")
    if not isinstance(run, dict) or not (run.get("started") is None or _number(run.get("started"))) or not isinstance(run.get("result"), _TEXT):
        return "last_update_run"
    return _backups_problem(data.get("backups"))


_OBJECT = (dict, type(None))
# backups (absent without `backups:`): the backup script's result file as the host read it, the timer's next run
_BACKUPS: dict[str, tuple[type, ...]] = {"schedule": _TEXT, "next_run": _NUMBER, "last_run": _OBJECT, "last_success": _OBJECT,
                                         "error": _TEXT}
_BACKUP_RUN: dict[str, tuple[type, ...]] = {"start": _TEXT, "end": _TEXT, "ok": (bool,), "message": _TEXT, "snapshot": _TEXT}
_BACKUP_SUCCESS: dict[str, tuple[type, ...]] = {"time": _TEXT, "snapshot": _TEXT}


def _backups_problem(b: object) -> str | None:
    if b is None:
        return None
    if not isinstance(b, dict):
        return "backups is not an object"
    for fields, x, where in ((_BACKUPS, b, "backups"), (_BACKUP_RUN, b.get("last_run"), "backups.last_run"),
                             (_BACKUP_SUCCESS, b.get("last_success"), "backups.last_success")):
        if x is None:
            continue
        for name, types in fields.items():
            v = x.get(name)
            if not isinstance(v, types) or (types is _NUMBER and v is not None and not _number(v)):
                return f"{where}: {name} is a {type(v).__name__}"
    return None


def _number(v: object) -> bool:
    """A finite number (a time, a size), not a bool."""
    import math

    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _when(t: object, now: float | None = None) -> str:
    if not isinstance(t, (int, float)) or isinstance(t, bool):
        return "-"
    try:
        out = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))
    except (OverflowError, OSError, ValueError):  # nan, inf, 1e300: not a time
        return "-"
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
    from hostform.status.client import clean

    return clean(str(v)) if v not in (None, "") else "-"


def render_table(data: dict[str, Any]) -> str:
    """The host's answer as tables: services, sites, disks, then the last update run."""
    now = data.get("time") if isinstance(data.get("time"), (int, float)) else time.time()
    out = [f"host {_text(data.get('host'))}, at {_when(data.get('time'))}\n\n"]
    rows = [["SERVICE", "STATE", "HEALTH", "IMAGE", "RUNNING", "REGISTRY", "UPDATE", "LAST CHANGE"]]
    for s in data.get("services") or []:
        change = s.get("last_change") or {}
        same = s.get("running_digest") and s.get("running_digest") == s.get("registry_digest")
        rows.append([_text(s.get("name")), _text(s.get("state")), _text(s.get("health")), _text(s.get("image")),
                     _short(s.get("running_digest")), "=" if same else "?" if s.get("registry_error") else _short(s.get("registry_digest")),
                     _text(s.get("auto_update")), f"{_text(change['updated'])} {_when(change.get('time'))}" if change.get("updated") else "-"])
    out.append(_table(rows))
    for s in data.get("services") or []:
        if s.get("registry_error"):
            out.append(f"? {_text(s.get('name'))}: the registry's digest is not known: {_text(s.get('registry_error'))}\n")
    sites = data.get("sites") or []
    if sites:
        out.append("\n" + _table([["SITE", "CERTIFICATE EXPIRES"]] + [[_text(x.get("site")), _when(x.get("certificate_expires"), now)] for x in sites]))
    disks = data.get("disks") or []
    if disks:
        def gib(n: object) -> str:
            return f"{n / 2**30:.1f} GiB" if isinstance(n, (int, float)) else "-"

        out.append("\n" + _table([["DISK", "SIZE", "USED", "AVAILABLE", "USE"]] + [
            [_text(d.get("mount")), gib(d.get("size")), gib(d.get("used")), gib(d.get("available")),
             f"{100 * d['used'] / d['size']:.0f}%" if isinstance(d.get("used"), int) and isinstance(d.get("size"), int) and d["size"] > 0 else "-"]
            for d in disks]))
    run = data.get("last_update_run") or {}
    out.append(f"\nlast podman-auto-update run: {_when(run.get('started'))}, result {_text(run.get('result'))}\n")
    if isinstance(data.get("backups"), dict):
        t = data.get("time")
        out.append(f"backups: {_backups_line(data['backups'], float(t) if isinstance(t, (int, float)) else time.time())}\n")
    return "".join(out)


def _seconds(text: object) -> float | None:
    """A time of the backup result (``2026-12-07T21:00:03Z``, as its script writes it) in seconds; None if not one."""
    from datetime import UTC, datetime

    if not isinstance(text, str):
        return None
    try:
        t = datetime.fromisoformat(text)
        return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _stamp(text: object) -> str:
    """A time of the backup result as the table shows times; what is not a time, as sent (escaped)."""
    t = _seconds(text)
    return _when(t) if t is not None else _text(text)


def _ago(then: float | None, now: float) -> str:
    if then is None or then > now:
        return ""
    s = now - then
    return f", {s:.0f} s ago" if s < 120 else f", {s / 60:.0f} min ago" if s < 7200 else f", {s / 3600:.0f} h ago" if s < 172800 else f", {s / 86400:.0f} days ago"


def _backups_line(b: dict[str, Any], now: float) -> str:
    """One line: the last success (when, how long ago, its snapshot), the last run when it failed (when, why),
    the next run and the schedule; a result the host could not read, said."""
    from hostform.status.client import one_line

    parts = []
    if isinstance(b.get("error"), str):
        parts.append(f"the last result cannot be read: {one_line(b['error'])}")
    run, success = b.get("last_run"), b.get("last_success")
    if isinstance(success, dict):
        snap = f" (snapshot {_text(success.get('snapshot'))})" if success.get("snapshot") else ""
        said = ""  # the last run, when it is this success: what it said (files, bytes; a prune that failed)
        if isinstance(run, dict) and run.get("ok") is True and run.get("end") == success.get("time") and run.get("message"):
            said = f": {one_line(str(run['message']))}"
        parts.append(f"last success {_stamp(success.get('time'))}{_ago(_seconds(success.get('time')), now)}{snap}{said}")
    elif b.get("error") is None:
        parts.append("no successful backup yet" if isinstance(run, dict) else "no run yet")
    if isinstance(run, dict) and (run.get("ok") is not True or not isinstance(success, dict) or run.get("end") != success.get("time")):
        when = _stamp(run.get("end") or run.get("start"))
        parts.append(f"last run {'ok' if run.get('ok') is True else 'FAILED'} {when}" + (f": {one_line(str(run['message']))}" if run.get("message") else ""))
    schedule = f" ({_text(b.get('schedule'))})" if b.get("schedule") else ""
    parts.append(f"next {_when(b['next_run'])}{schedule}" if _number(b.get("next_run")) else f"next run not known{schedule}")
    return "; ".join(parts)
