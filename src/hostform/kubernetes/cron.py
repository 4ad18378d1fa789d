"""systemd ``OnCalendar=`` -> a cron schedule (a Kubernetes CronJob's ``schedule`` and ``timeZone``).

The value is first read as systemd reads it (:func:`hostform.timespec.parse_calendar`), and its
normalized form (``systemd-analyze calendar``'s) is translated field by field. A cron schedule
cannot say everything a calendar event can; then :func:`to_cron` says why instead:

- seconds other than 0 (cron has minutes), a year other than ``*``, the last days of a month (``~``);
- a weekday *and* a day of the month: systemd runs when both match, cron when either does;
- a repetition (``/N``) of weekdays.

Shorthands: ``minutely`` ``* * * * *``, ``hourly`` ``0 * * * *``, ``daily`` ``0 0 * * *``, ``weekly``
``0 0 * * 1`` (systemd's weeks start on Monday), ``monthly`` ``0 0 1 * *``; ``Mon..Fri *-*-* 04:00`` is
``0 4 * * 1-5``; ``*:0/15`` is ``0-59/15 * * * *``. A time zone at the end becomes ``timeZone``; without
one, systemd uses the VM's local time (UTC on Fedora CoreOS) and the CronJob the controller's (UTC
unless the cluster says otherwise), so nothing is written.
"""

from __future__ import annotations

import re

from hostform.timespec import Invalid, parse_calendar

__all__ = ["Cron", "to_cron"]

_DAYS = {"Mon": 1, "Tue": 2, "Wed": 3, "Thu": 4, "Fri": 5, "Sat": 6, "Sun": 0}
_ORDER = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NORMAL = re.compile(r"(?:(?P<wd>[A-Za-z.,]+) )?(?P<y>[^- ]+)-(?P<mo>[^-~ ]+)(?P<sep>[-~])(?P<d>\S+) (?P<h>[^:]+):(?P<mi>[^:]+):(?P<s>\S+)(?: (?P<tz>\S+))?")
_ITEM = re.compile(r"(?P<a>\d+)(?:\.\.(?P<b>\d+))?(?:/(?P<r>\d+))?")


class Cron:
    """A translated schedule: ``schedule`` (five cron fields) and ``time_zone`` (None: the controller's)."""

    __slots__ = ("schedule", "time_zone")

    def __init__(self, schedule: str, time_zone: str | None) -> None:
        self.schedule = schedule
        self.time_zone = time_zone

    def __repr__(self) -> str:
        return f"Cron({self.schedule!r}, {self.time_zone!r})"


def _field(text: str, hi: int) -> str | None:
    """A normalized calendar component (``*``, ``03``, ``01..05``, ``00/15``, lists) as a cron field."""
    if text == "*":
        return "*"
    out = []
    for item in text.split(","):
        m = _ITEM.fullmatch(item)
        if m is None:  # fractions of a second, or anything cron has no words for
            return None
        a = int(m.group("a"))
        b = int(m.group("b")) if m.group("b") else None
        r = int(m.group("r")) if m.group("r") else None
        if r is not None:
            out.append(f"{a}-{b if b is not None else hi}/{r}")
        elif b is not None:
            out.append(f"{a}-{b}")
        else:
            out.append(str(a))
    return ",".join(out)


def _weekdays(text: str) -> str | None:
    days: set[int] = set()
    for item in text.split(","):
        lo, sep, hi = item.partition("..")
        if lo not in _DAYS or (sep and hi not in _DAYS):
            return None
        i, j = _ORDER.index(lo), _ORDER.index(hi) if sep else _ORDER.index(lo)
        days.update(_DAYS[_ORDER[k]] for k in range(i, j + 1))
    if len(days) == 7:
        return "*"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for d in ordered:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)


def to_cron(value: str) -> Cron | str:
    """``value`` (an ``OnCalendar=`` value) as a cron schedule, or why it cannot be one."""
    cal = parse_calendar(value)
    if isinstance(cal, Invalid):
        return f"systemd does not read it: {cal.message}"
    m = _NORMAL.fullmatch(cal.normalized)
    if m is None:
        return f"its normalized form {cal.normalized!r} has no cron equivalent"
    if m.group("s") != "00":
        return f"it runs at second {m.group('s')} ({cal.normalized}); cron runs at whole minutes"
    if m.group("y") != "*":
        return f"it names years ({m.group('y')}); cron has no year"
    if m.group("sep") == "~":
        return "it counts days from the end of the month (~); cron cannot"
    wd = m.group("wd")
    if wd and m.group("d") != "*":
        return "it names weekdays and days of the month: systemd runs when both match, cron when either does"
    minute, hour = _field(m.group("mi"), 59), _field(m.group("h"), 23)
    day, month = _field(m.group("d"), 31), _field(m.group("mo"), 12)
    week = _weekdays(wd) if wd else "*"
    if None in (minute, hour, day, month, week):
        return f"{cal.normalized!r} has a part cron cannot say"
    return Cron(f"{minute} {hour} {day} {month} {week}", m.group("tz"))
