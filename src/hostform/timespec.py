"""Time values exactly as their consumers on the VM parse them.

Three parsers, each a faithful port of the consumer's own code, so that a value
hostform accepts is a value the VM accepts, with the same meaning:

- :func:`parse_calendar` -- systemd's ``calendar_spec_from_string()``
  (src/shared/calendarspec.c), used for ``OnCalendar=`` (``updates.schedule``).
  It also returns the normalized form, as ``systemd-analyze calendar`` prints it.
- :func:`parse_timespan` -- systemd's ``parse_sec()`` (``parse_time()`` in
  src/basic/time-util.c), used for ``RandomizedDelaySec=`` and every other
  ``...Sec=`` setting. Microseconds.
- :func:`parse_go_duration` -- Go's ``time.ParseDuration``, which podman uses for
  ``--health-interval``, ``--health-timeout`` and ``--health-start-period``.
  Nanoseconds, with Go's own error text.

Each returns its value or an :class:`Invalid` (a message a person understands);
none raises, whatever the string (NUL, line breaks, 100 KB of digits) or other
value (not a string: Invalid), and each runs in time linear in the length of
its input.

Ported from systemd 252, the version the tests compare with (``systemd-analyze``
here); the parsing code is the same in 256 and in a copy of recent main (with
v257+ helpers), so Fedora CoreOS's systemd reads these values the same way,
except for which zone names its tzdata has. The Go side follows Go 1.26, whose
ParseDuration has not changed in behaviour for many releases. Two deliberate limits:
a NUL character is refused outright (C would silently cut the string there),
and the VM's local time zone is taken to be UTC, as on Fedora CoreOS (with
another local zone systemd would also accept that zone's abbreviations, such
as ``CET``, at the end of a calendar specification).
"""

from __future__ import annotations

import os
import re
import stat

from hostform.gostd import time_quote as _go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "USEC_INFINITY",
    "Calendar",
    "Invalid",
    "parse_calendar",
    "parse_go_duration",
    "parse_timespan",
    "zoneinfo_exists",
]

USEC_INFINITY = (1 << 64) - 1
"""What :func:`parse_timespan` returns for ``infinity`` (systemd's ``USEC_INFINITY``)."""

ZONEINFO = "/usr/share/zoneinfo"


class _Value:
    """A small immutable value (dataclasses would cost ~10 ms of import time)."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._fields() == self._fields()

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._fields()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self.__slots__)})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


class Invalid(_Value):
    """A refused value: ``message`` says why, in words a person understands."""

    __slots__ = ("message",)
    message: str

    def __init__(self, message: str) -> None:
        object.__setattr__(self, "message", message)

    def __str__(self) -> str:
        return self.message


class Calendar(_Value):
    """An accepted calendar specification.

    ``normalized`` is systemd's normalized form (``systemd-analyze calendar``'s
    "Normalized form:"); ``timezone`` is ``"UTC"``, an IANA zone name as given,
    or ``None`` for the VM's local time.
    """

    __slots__ = ("normalized", "timezone")
    normalized: str
    timezone: str | None

    def __init__(self, normalized: str, timezone: str | None) -> None:
        object.__setattr__(self, "normalized", normalized)
        object.__setattr__(self, "timezone", timezone)


_NOT_DIGIT = re.compile(r"[^0-9]")
_C_SPACE = " \t\n\v\f\r"  # isspace() in the C locale: what strtol()/strtoul() skip
_WHITESPACE = " \t\n\r"  # systemd's WHITESPACE
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_U64 = 1 << 64
_INT_MAX = (1 << 31) - 1
_USEC_PER_SEC = 1_000_000


def _lower(s: str) -> str:
    """ASCII-only lower case, as strncasecmp() in the C locale (no 'K' for the Kelvin sign)."""
    return s.translate(_ASCII_LOWER)


def _digits_end(s: str, i: int) -> int:
    """The index after the run of ASCII digits at ``s[i]`` (``i`` when there is none)."""
    m = _NOT_DIGIT.search(s, i)
    return len(s) if m is None else m.start()


def _snippet(s: str, i: int) -> str:
    rest = s[i:].rstrip("\0")
    return repr(rest if len(rest) <= 24 else rest[:24] + "...")


def _skip(s: str, i: int, chars: str) -> int:
    while s[i] in chars and s[i] != "\0":
        i += 1
    return i


def _digits_value(digits: str, limit: int) -> int | None:
    """The value of a run of ASCII digits, or None when it exceeds ``limit`` (no huge ints)."""
    d = digits.lstrip("0")
    if len(d) > len(str(limit)):
        return None
    v = int(d) if d else 0
    return None if v > limit else v


def _strtoul(s: str, i: int) -> tuple[int, int] | str:
    """C's strtoul(s + i, &end, 10) on a NUL-terminated string: (value, end) or "EINVAL"/"ERANGE"."""
    j = _skip(s, i, _C_SPACE)
    neg = s[j] == "-"
    if s[j] in "+-":
        j += 1
    e = _digits_end(s, j)
    if e == j:
        return "EINVAL"
    mag = _digits_value(s[j:e], _U64 - 1)
    if mag is None:
        return "ERANGE"
    return ((_U64 - mag) % _U64 if neg else mag), e


def _strtoll(s: str, i: int) -> tuple[int, int] | None:
    """C's strtoll(s + i, &end, 10): (value, end), end == i when there are no digits; None on ERANGE."""
    j = _skip(s, i, _C_SPACE)
    neg = s[j] == "-"
    if s[j] in "+-":
        j += 1
    e = _digits_end(s, j)
    if e == j:
        return 0, i
    mag = _digits_value(s[j:e], (1 << 63) if neg else (1 << 63) - 1)
    if mag is None:
        return None
    return (-mag if neg else mag), e


# ---------------------------------------------------------------------------
# Calendar specifications (OnCalendar=)


class _Fail(Exception):
    """Internal: a refusal, turned into an Invalid by parse_calendar (never escapes)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_SHORTHANDS_HINT = "minutely, hourly, daily, weekly, monthly, quarterly, semiannually, yearly"

_WEEKDAYS = (
    ("monday", 0),
    ("mon", 0),
    ("tuesday", 1),
    ("tue", 1),
    ("wednesday", 2),
    ("wed", 2),
    ("thursday", 3),
    ("thu", 3),
    ("friday", 4),
    ("fri", 4),
    ("saturday", 5),
    ("sat", 5),
    ("sunday", 6),
    ("sun", 6),
)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# A component: (start, stop, repeat); stop -1 when there is no range. A chain
# is a list of them; None stands for "*" (except for seconds, see _parse_chain).
_Chain = list[tuple[int, int, int]]

_CHAIN_MAX = 240  # CALENDARSPEC_COMPONENTS_MAX


def _const(*values: int) -> _Chain:
    return [(v, -1, 0) for v in values]


_SHORTHANDS: dict[str, tuple[int, dict[str, _Chain]]] = {
    # name: (weekday bits, chains); absent chains are "*"
    "minutely": (0, {"second": _const(0)}),
    "hourly": (0, {"minute": _const(0), "second": _const(0)}),
    "daily": (0, {"hour": _const(0), "minute": _const(0), "second": _const(0)}),
    "monthly": (0, {"day": _const(1), "hour": _const(0), "minute": _const(0), "second": _const(0)}),
    "weekly": (1, {"hour": _const(0), "minute": _const(0), "second": _const(0)}),
    "quarterly": (0, {"month": _const(1, 4, 7, 10), "day": _const(1), "hour": _const(0), "minute": _const(0), "second": _const(0)}),
}
for _name in ("annually", "yearly", "anually"):
    _SHORTHANDS[_name] = (0, {"month": _const(1), "day": _const(1), "hour": _const(0), "minute": _const(0), "second": _const(0)})
for _name in ("biannually", "bi-annually", "semiannually", "semi-annually"):
    _SHORTHANDS[_name] = (0, {"month": _const(1, 7), "day": _const(1), "hour": _const(0), "minute": _const(0), "second": _const(0)})
del _name

_NOT_CALENDAR = {"now", "today", "tomorrow", "yesterday"}


class _Spec:
    __slots__ = ("weekdays", "eom", "utc", "timezone", "year", "month", "day", "hour", "minute", "second")

    def __init__(self) -> None:
        self.weekdays = 0
        self.eom = False
        self.utc = False
        self.timezone: str | None = None
        self.year: _Chain | None = None
        self.month: _Chain | None = None
        self.day: _Chain | None = None
        self.hour: _Chain | None = None
        self.minute: _Chain | None = None
        self.second: _Chain | None = None


def _parse_weekdays(s: str, i: int, spec: _Spec) -> int:
    """parse_weekdays(): the index after the weekday part (unchanged when there is none)."""
    last = -1
    first = True
    while True:
        head = _lower(s[i : i + 9])
        found = next(((name, nr) for name, nr in _WEEKDAYS if head.startswith(name)), None)
        if found is None:
            if first:
                return i
            raise _Fail(f"expected a weekday (Mon..Sun) at {_snippet(s, i)}")
        name, nr = found
        after = s[i + len(name)]
        if after not in "\0-., ":
            raise _Fail(f"a weekday must be followed by ',', '..', a space or the end, at {_snippet(s, i)}")
        spec.weekdays |= 1 << nr
        if last >= 0:
            if last > nr:
                raise _Fail(f"the weekday range ending at {_snippet(s, i)} runs backwards (write Mon..Fri, not Fri..Mon)")
            for j in range(last + 1, nr):
                spec.weekdays |= 1 << j
        i += len(name)
        c = s[i]
        if c == "\0":
            return i
        if c == " ":
            return _skip(s, i, " ")
        if c == ".":
            if last >= 0:
                raise _Fail(f"a weekday range cannot continue with another range, at {_snippet(s, i)}")
            if s[i + 1] != ".":
                raise _Fail(f"a weekday range is written '..', at {_snippet(s, i)}")
            last = nr
            i += 2
        elif c == "-":
            if last >= 0:
                raise _Fail(f"a weekday range cannot continue with another range, at {_snippet(s, i)}")
            last = nr
            i += 1
        else:  # ","
            last = -1
            i += 1
        if s[i] in "\0 ":
            if last >= 0:
                raise _Fail(f"the weekday range before {_snippet(s, i)} has no end")
            return _skip(s, i, " ")
        first = False


def _fraction6(s: str, i: int) -> tuple[int, int]:
    """parse_fractional_part_u(&p, 6, ...): microseconds from the digits at i (at least one), rounded."""
    e = _digits_end(s, i)
    if e == i:
        raise _Fail(f"expected digits after the decimal point at {_snippet(s, i)}")
    digits = s[i:e]
    val = int((digits[:6]).ljust(6, "0"))
    if len(digits) > 6 and digits[6] >= "5":
        val += 1
    return val, e


def _component_decimal(s: str, i: int, usec: bool) -> tuple[int, int]:
    """parse_component_decimal(): (value, end); seconds in microseconds when ``usec``."""
    if not ("0" <= s[i] <= "9"):
        raise _Fail(f"expected a number or '*' at {_snippet(s, i)}")
    r = _strtoul(s, i)
    if isinstance(r, str):
        raise _Fail(f"the number at {_snippet(s, i)} is too large")
    value, e = r
    if usec:
        if value * _USEC_PER_SEC >= _U64:
            raise _Fail(f"the number at {_snippet(s, i)} is too large")
        value *= _USEC_PER_SEC
        if s[e] == "." and s[e + 1] != ".":
            add, e = _fraction6(s, e + 1)
            value += add
    if value > _INT_MAX:
        raise _Fail(f"the number at {_snippet(s, i)} is too large")
    return value, e


def _prepend_components(s: str, i: int, usec: bool) -> tuple[_Chain, int]:
    """prepend_component(): a comma-separated list of N, N..M, N/R, N..M/R."""
    chain: _Chain = []
    nesting = 0
    while True:
        if nesting > _CHAIN_MAX:
            raise _Fail(f"a list may have at most {_CHAIN_MAX + 1} values")
        at = i
        start, e = _component_decimal(s, i, usec)
        stop, repeat = -1, 0
        if s[e] == "." and s[e + 1] == ".":
            stop, e = _component_decimal(s, e + 2, usec)
            repeat = _USEC_PER_SEC if usec else 1
        if s[e] == "/":
            repeat, e = _component_decimal(s, e + 1, usec)
            if repeat == 0:
                raise _Fail(f"a repetition cannot be /0, at {_snippet(s, at)}")
        else:
            if start > _INT_MAX - repeat:
                raise _Fail(f"the number at {_snippet(s, at)} is too large")
            if usec and stop >= 0 and start + repeat > stop:
                raise _Fail(f"a range of seconds shorter than 1s needs a repetition (like /0.5), at {_snippet(s, at)}")
        if s[e] not in "\0 ,-~:":
            raise _Fail(f"unexpected {s[e]!r} at {_snippet(s, e)}")
        chain.append((start, stop, repeat))
        if s[e] != ",":
            return chain, e
        i = e + 1
        nesting += 1


def _parse_chain(s: str, i: int, usec: bool) -> tuple[_Chain | None, int]:
    if s[i] == "*":
        return ([(0, -1, _USEC_PER_SEC)] if usec else None), i + 1
    return _prepend_components(s, i, usec)


def _from_epoch(spec: _Spec, value: int, at: str) -> None:
    """calendarspec_from_time_t(): '@SECONDS' as a fixed UTC time."""
    t = value - _U64 if value >= 1 << 63 else value  # time_t is signed
    # Only 1970..2199 passes chain_valid() later; refuse the rest here, with the reason.
    if t < 0 or t >= 7258118400:  # 2200-01-01T00:00:00Z
        raise _Fail(f"the time {at} is not within the years 1970..2199")
    days, rem = divmod(t, 86400)
    # days since 1970-01-01 -> civil date (proleptic Gregorian)
    z = days + 719468
    era, doe = divmod(z, 146097)
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    spec.utc = True
    spec.year, spec.month, spec.day = _const(year), _const(month), _const(day)
    spec.hour, spec.minute = _const(rem // 3600), _const(rem % 3600 // 60)
    spec.second = _const(rem % 60 * _USEC_PER_SEC)


def _parse_date(s: str, i: int, spec: _Spec) -> tuple[bool, int]:
    """parse_date(): (done, index); done after '@SECONDS', which has no time part."""
    if s[i] == "\0":
        return False, i
    if s[i] == "@":
        r = _strtoul(s, i + 1)
        if r == "ERANGE":
            raise _Fail(f"the number in {_snippet(s, i)} is too large")
        if isinstance(r, str):
            raise _Fail(f"expected seconds since 1970 after '@', at {_snippet(s, i)}")
        value, e = r
        _from_epoch(spec, value, repr(s[i:e]))
        return True, e
    first, t = _parse_chain(s, i, False)
    if s[t] in "\0:":
        return False, i  # a time, not a date
    if s[t] == "~":
        spec.eom = True
    elif s[t] != "-":
        raise _Fail(f"expected '-' or '~' between the parts of a date, at {_snippet(s, t)}")
    second, t = _parse_chain(s, t + 1, False)
    if s[t] in "\0 ":
        spec.month, spec.day = first, second
        return False, _skip(s, t, " ")
    if spec.eom:
        raise _Fail(f"'~' (days from the end of the month) goes between month and day, at {_snippet(s, t)}")
    if s[t] == "~":
        spec.eom = True
    elif s[t] != "-":
        raise _Fail(f"expected '-' or '~' between the parts of a date, at {_snippet(s, t)}")
    third, t = _parse_chain(s, t + 1, False)
    if s[t] not in "\0 ":
        raise _Fail(f"expected a space after the date, at {_snippet(s, t)}")
    spec.year, spec.month, spec.day = first, second, third
    return False, _skip(s, t, " ")


def _parse_time(s: str, i: int, spec: _Spec) -> int:
    """parse_calendar_time(): HH:MM[:SS[.ffffff]]; nothing at all means 00:00:00."""
    if s[i] == "\0":
        spec.hour, spec.minute, spec.second = _const(0), _const(0), _const(0)
        return i
    hour, t = _parse_chain(s, i, False)
    if s[t] != ":":
        raise _Fail(f"expected ':' after the hour, at {_snippet(s, t)}")
    minute, t = _parse_chain(s, t + 1, False)
    if s[t] == "\0":
        second: _Chain | None = _const(0)
    elif s[t] != ":":
        raise _Fail(f"expected ':' or the end after the minute, at {_snippet(s, t)}")
    else:
        second, t = _parse_chain(s, t + 1, True)
        if s[t] != "\0":
            raise _Fail(f"unexpected text after the time, at {_snippet(s, t)}")
    spec.hour, spec.minute, spec.second = hour, minute, second
    return t


def _normalize_chain(chain: _Chain | None) -> _Chain | None:
    if chain is None:
        return None
    out: _Chain = []
    for start, stop, repeat in chain:
        if stop > start and repeat > 0:
            stop -= (stop - start) % repeat
        if (stop > start and repeat > 0 and start + repeat > stop) or start == stop:
            repeat, stop = 0, -1
        out.append((start, stop, repeat))
    if len(out) <= 1:
        return out
    return sorted(set(out))


def _check_chain(chain: _Chain | None, lo: int, hi: int, eom: bool, what: str) -> None:
    """chain_valid(), with the reason when it fails."""
    if chain is None:
        return
    for start, stop, repeat in chain:
        if eom:
            # No more than 28 days from the end of the month -- and systemd's
            # recursion passes the lowered bound on, so each further value of
            # the (sorted) list gets 3 days less: '*~26' and '*~1' are valid,
            # '*~1,26' is not (the 26 is checked against 25).
            hi -= 3
        show = str(start)
        if what == "second":
            show = str(start // _USEC_PER_SEC) + (f".{start % _USEC_PER_SEC:06d}".rstrip("0") if start % _USEC_PER_SEC else "")
        if start < lo or start > hi:
            rng = f"{lo}..{hi // _USEC_PER_SEC}" if what == "second" else f"{lo}..{hi}"
            if what == "day" and eom:
                raise _Fail(
                    f"day {show} before the end of the month is out of range {lo}..{hi} (systemd allows 28, 3 fewer for each further value in a list)"
                )
            raise _Fail(f"{what} {show} is out of range {rng}")
        if repeat > hi - lo:
            raise _Fail(f"the {what} repetition is longer than the whole range")
        if stop >= 0:
            if stop < lo or stop > hi:
                raise _Fail(f"the {what} range ends out of range")
            if start + repeat > stop:
                raise _Fail(f"the {what} range starting at {show} ends before it starts or before its first repetition")
        elif eom and start - repeat < lo:
            raise _Fail(f"the {what} repetition never fires within the month")
        elif not eom and start + repeat > hi:
            raise _Fail(f"the {what} repetition starting at {show} never fires a second time")


def _format_chain(chain: _Chain | None, width: int, usec: bool) -> str:
    d = _USEC_PER_SEC if usec else 1
    if chain is None or (usec and any(st == 0 and sp < 0 and rp == _USEC_PER_SEC for st, sp, rp in chain)):
        return "*"
    parts = []
    for start, stop, repeat in chain:
        p = f"{start // d:0{width}d}"
        if start % d:
            p += f".{start % d:06d}"
        if stop > 0:
            p += f"..{stop // d:0{width}d}"
            if stop % d:
                p += f".{stop % d:06d}"
        if repeat > 0 and not (stop > 0 and repeat == d):
            p += f"/{repeat // d}"
        if repeat % d:
            p += f".{repeat % d:06d}"
        parts.append(p)
    return ",".join(parts)


def _format_weekdays(bits: int) -> str:
    """format_weekdays(): runs of two days as 'Mon,Tue', of three or more as 'Mon..Wed'."""
    out: list[str] = []
    last = -1
    for x in range(8):
        if x < 7 and bits & (1 << x):
            if last < 0:
                out.append(("," if out else "") + _DAY_NAMES[x])
                last = x
        elif last >= 0:
            if x > last + 1:
                out.append((".." if x > last + 2 else ",") + _DAY_NAMES[x - 1])
            last = -1
    return "".join(out)


def _fix_year(chain: _Chain | None) -> _Chain | None:
    """Two-digit years: 0..69 are 2000..2069, 70..99 are 1970..1999."""
    if chain is None:
        return None

    def fix(v: int) -> int:
        if 0 <= v < 70:
            return v + 2000
        if 70 <= v < 100:
            return v + 1900
        return v

    return [(fix(st), fix(sp), rp) for st, sp, rp in chain]


def zoneinfo_exists(name: object, zoneinfo: str = ZONEINFO) -> bool:
    """systemd's ``timezone_is_valid()``: a tzfile named ``name`` under ``zoneinfo``.

    ``UTC`` always; else only letters, digits, ``-_+`` and single inner ``/``,
    naming a regular file that starts with the TZif magic (not a string: False).
    """
    if not isinstance(name, str) or not name:
        return False
    if name == "UTC":
        return True
    if name[0] == "/" or name[-1] == "/" or "//" in name or len(name.encode("utf-8", "surrogatepass")) >= 4096:
        return False
    if not all(c.isascii() and (c.isalnum() or c in "-_+/") for c in name):
        return False
    try:
        # O_NONBLOCK: a FIFO in the way must not hang us (systemd would block)
        fd = os.open(os.path.join(zoneinfo, name), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return os.read(fd, 4) == b"TZif"
    except OSError:
        return False
    finally:
        os.close(fd)


def parse_calendar(text: object, *, zone_exists: Callable[[str], bool] | None = None) -> Calendar | Invalid:
    """``text`` as systemd's ``OnCalendar=`` reads it: a :class:`Calendar`, or :class:`Invalid`.

    ``zone_exists(name)`` says whether a trailing word is a time zone the VM
    knows; by default :func:`zoneinfo_exists` (this machine's tzdata, as
    systemd-analyze here sees it). The unit-file reader strips whitespace
    around a value before systemd parses it; this function does not.

    >>> parse_calendar("Mon..Fri 4:00 Europe/Berlin").normalized
    'Mon..Fri *-*-* 04:00:00 Europe/Berlin'
    """
    if not isinstance(text, str):
        return Invalid(f"expected a calendar specification (text), got {type(text).__name__}")
    if "\0" in text:
        return Invalid("a calendar specification cannot contain a NUL character")
    try:
        return _parse_calendar(text, zone_exists or zoneinfo_exists)
    except _Fail as e:
        return Invalid(f"not a systemd calendar specification ({text!r}): {e.reason}")


def _parse_calendar(text: str, zone_exists: Callable[[str], bool]) -> Calendar:
    spec = _Spec()
    p = text
    if len(p) >= 4 and _lower(p[-4:]) == " utc":
        spec.utc = True
        p = p[:-4]
    else:
        # systemd next tries the local zone's abbreviations (tzname[]); on a VM
        # whose local zone is UTC those are "UTC", already handled above.
        last_space = p.rfind(" ")
        if last_space >= 0 and zone_exists(p[last_space + 1 :]):
            spec.timezone = p[last_space + 1 :]
            p = p[:last_space]
    if not p:
        raise _Fail("it is empty")

    shorthand = _SHORTHANDS.get(_lower(p))
    if shorthand is not None:
        spec.weekdays, chains = shorthand
        for field, chain in chains.items():
            setattr(spec, field, list(chain))
    else:
        s = p + "\0"
        i = _parse_weekdays(s, 0, spec)
        try:
            done, i = _parse_date(s, i, spec)
            if not done:
                i = _parse_time(s, i, spec)
        except _Fail as e:
            if i == 0 and s[0].isascii() and s[0].isalpha():
                word = p.split(" ", 1)[0]
                if _lower(word) in _NOT_CALENDAR:
                    raise _Fail(
                        f"{word!r} is a timestamp, not a repeating calendar event; use one of {_SHORTHANDS_HINT}, or a time like *-*-* 04:00"
                    ) from None
                raise _Fail(
                    f"{e.reason}; a calendar specification is a weekday, a date and a time (Mon *-*-* 04:00), or one of {_SHORTHANDS_HINT}"
                ) from None
            raise
        if s[i] != "\0":
            raise _Fail(f"unexpected text at {_snippet(s, i)}")

    # calendar_spec_normalize()
    if spec.timezone == "UTC":
        spec.utc, spec.timezone = True, None
    if spec.weekdays <= 0 or spec.weekdays >= 127:
        spec.weekdays = -1
    if spec.eom and spec.day is None:
        spec.eom = False
    spec.year = _normalize_chain(_fix_year(spec.year))
    spec.month = _normalize_chain(spec.month)
    spec.day = _normalize_chain(spec.day)
    spec.hour = _normalize_chain(spec.hour)
    spec.minute = _normalize_chain(spec.minute)
    spec.second = _normalize_chain(spec.second)

    # calendar_spec_valid()
    _check_chain(spec.year, 1970, 2199, False, "year")
    _check_chain(spec.month, 1, 12, False, "month")
    _check_chain(spec.day, 1, 31, spec.eom, "day")
    _check_chain(spec.hour, 0, 23, False, "hour")
    _check_chain(spec.minute, 0, 59, False, "minute")
    _check_chain(spec.second, 0, 60 * _USEC_PER_SEC - 1, False, "second")

    # calendar_spec_to_string()
    out = ""
    if 0 < spec.weekdays <= 127:
        out = _format_weekdays(spec.weekdays) + " "
    out += _format_chain(spec.year, 4, False) + "-" + _format_chain(spec.month, 2, False)
    out += ("~" if spec.eom else "-") + _format_chain(spec.day, 2, False) + " "
    out += _format_chain(spec.hour, 2, False) + ":" + _format_chain(spec.minute, 2, False) + ":"
    out += _format_chain(spec.second, 2, True)
    zone = "UTC" if spec.utc else spec.timezone
    if zone:
        out += " " + zone
    return Calendar(normalized=out, timezone=zone)


# ---------------------------------------------------------------------------
# systemd time spans (RandomizedDelaySec= and the other ...Sec= settings)

_USEC_UNITS = (  # extract_multiplier(): the first prefix in this order wins
    ("seconds", 1_000_000),
    ("second", 1_000_000),
    ("sec", 1_000_000),
    ("s", 1_000_000),
    ("minutes", 60_000_000),
    ("minute", 60_000_000),
    ("min", 60_000_000),
    ("months", 2_629_800_000_000),
    ("month", 2_629_800_000_000),
    ("M", 2_629_800_000_000),
    ("msec", 1_000),
    ("ms", 1_000),
    ("m", 60_000_000),
    ("hours", 3_600_000_000),
    ("hour", 3_600_000_000),
    ("hr", 3_600_000_000),
    ("h", 3_600_000_000),
    ("days", 86_400_000_000),
    ("day", 86_400_000_000),
    ("d", 86_400_000_000),
    ("weeks", 604_800_000_000),
    ("week", 604_800_000_000),
    ("w", 604_800_000_000),
    ("years", 31_557_600_000_000),
    ("year", 31_557_600_000_000),
    ("y", 31_557_600_000_000),
    ("usec", 1),
    ("us", 1),
    ("\u03bcs", 1),  # GREEK SMALL LETTER MU
    ("\u00b5s", 1),  # MICRO SIGN
)
_UNITS_HINT = "us, ms, s, min, h, d, w, M (months), y"


class _SpanFail(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_timespan(text: object) -> int | Invalid:
    """``text`` as systemd's ``parse_sec()`` reads it: microseconds, or :class:`Invalid`.

    A bare number is seconds; ``infinity`` is :data:`USEC_INFINITY`.

    >>> parse_timespan("1h 30min")
    5400000000
    """
    if not isinstance(text, str):
        return Invalid(f"expected a time span (text), got {type(text).__name__}")
    if "\0" in text:
        return Invalid("a time span cannot contain a NUL character")
    try:
        return _parse_timespan(text + "\0")
    except _SpanFail as e:
        return Invalid(f"not a systemd time span ({text!r}): {e.reason}")


def _parse_timespan(s: str) -> int:
    inf = USEC_INFINITY
    p = _skip(s, 0, _WHITESPACE)
    if s.startswith("infinity", p):
        if s[_skip(s, p + 8, _WHITESPACE)] != "\0":
            raise _SpanFail("nothing may follow 'infinity'")
        return inf
    total = 0
    something = False
    while True:
        p = _skip(s, p, _WHITESPACE)
        if s[p] == "\0":
            if not something:
                raise _SpanFail("it is empty")
            return total
        if s[p] == "-":
            raise _SpanFail("a time span cannot be negative")
        r = _strtoll(s, p)
        if r is None:
            raise _SpanFail(f"the number at {_snippet(s, p)} is too large")
        value, e = r
        if value < 0:
            raise _SpanFail("a time span cannot be negative")
        if s[e] == ".":
            q = _digits_end(s, e + 1)
        elif e == p:
            raise _SpanFail(f"expected a number at {_snippet(s, p)}")
        else:
            q = e
        u = _skip(s, q, _WHITESPACE)
        mult = 1_000_000
        for suffix, m in _USEC_UNITS:
            if s.startswith(suffix, u):
                mult = m
                u += len(suffix)
                break
        if u == q and s[u] != "\0":
            raise _SpanFail(f"unknown unit at {_snippet(s, q)} (units: {_UNITS_HINT})")
        if value >= inf // mult:
            raise _SpanFail("it is too large")
        k = value * mult
        if k >= inf - total:
            raise _SpanFail("it is too large")
        total += k
        something = True
        if s[e] == ".":
            if q == e + 1:
                raise _SpanFail(f"expected digits after the decimal point at {_snippet(s, e)}")
            m = mult // 10
            for c in s[e + 1 : q]:
                if m == 0:
                    break  # further digits add nothing
                k = (ord(c) - 48) * m
                if k >= inf - total:
                    raise _SpanFail("it is too large")
                total += k
                m //= 10
        p = u


# ---------------------------------------------------------------------------
# Go's time.ParseDuration (podman's --health-* options)

_GO_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # MICRO SIGN
    "\u03bcs": 1_000,  # GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_GO_UNIT_STOP = re.compile(r"[.0-9]")


def parse_go_duration(text: object) -> int | Invalid:
    """``text`` as Go's ``time.ParseDuration`` reads it: nanoseconds, or :class:`Invalid`
    whose message is Go's own error text.

    >>> parse_go_duration("1m30s")
    90000000000
    >>> parse_go_duration("30").message
    'time: missing unit in duration "30"'
    """
    if not isinstance(text, str):
        return Invalid(f"expected a duration (text), got {type(text).__name__}")
    s = text
    n = len(s)

    def bad(what: str = "invalid duration") -> Invalid:
        return Invalid(f"time: {what} {_go_quote(text)}")

    neg = False
    i = 0
    if n and s[0] in "+-":
        neg = s[0] == "-"
        i = 1
    if s[i:] == "0":
        return 0
    if i == n:
        return bad()
    limit = 1 << 63
    d = 0
    while i < n:
        c = s[i]
        if not (c == "." or "0" <= c <= "9"):
            return bad()
        # leadingInt: [0-9]*, overflowing past 1<<63
        e = _digits_end(s, i)
        pre = e != i
        digits = s[i:e].lstrip("0")
        if len(digits) > 19:
            return bad()
        v = int(digits) if digits else 0
        if v > limit:
            return bad()
        i = e
        # leadingFraction: (\.[0-9]*)?, keeping what fits
        post = False
        f, scale = 0, 1.0
        if i < n and s[i] == ".":
            e = _digits_end(s, i + 1)
            post = e != i + 1
            overflow = False
            for ch in s[i + 1 : e]:
                if overflow or scale == float("inf"):
                    break  # nothing further changes the result
                if f > (limit - 1) // 10:
                    overflow = True
                    continue
                y = f * 10 + ord(ch) - 48
                if y > limit:
                    overflow = True
                    continue
                f = y
                scale *= 10
            i = e
        if not pre and not post:
            return bad()
        stop = _GO_UNIT_STOP.search(s, i)  # the unit: [^.0-9]*
        u_end = n if stop is None else stop.start()
        if u_end == i:
            return bad("missing unit in duration")
        unit_text = s[i:u_end]
        i = u_end
        unit = _GO_UNITS.get(unit_text)
        if unit is None:
            return bad(f"unknown unit {_go_quote(unit_text)} in duration")
        if v > limit // unit:
            return bad()
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > limit:
                return bad()
        d = (d + v) % _U64  # uint64 arithmetic
        if d > limit:
            return bad()
    if neg:
        return -d
    if d > limit - 1:
        return bad()
    return d
