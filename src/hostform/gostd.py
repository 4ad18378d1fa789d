"""The Go standard library behaviours that hostform's emulations of Go tools rely on.

Butane, Ignition, podman's quadlet generator and go-yaml are Go programs;
where hostform reproduces their messages or paths byte for byte it needs the
exact behaviour of a few Go library functions. They live here, once:

* :func:`quote` and :func:`quote_rune`: ``strconv.Quote`` and
  ``strconv.QuoteRune`` (what ``%q`` and ``%#v`` print), with Go's
  ``strconv.IsPrint`` (:func:`is_print`);
* :func:`time_quote`: the ``time`` package's own quoting in its errors
  (every byte outside printable ASCII as ``\\xNN``);
* :data:`SPACE` and :func:`trim_space`: ``unicode.IsSpace`` and
  ``strings.TrimSpace``;
* :func:`clean`, :func:`join`, :func:`ext`: ``path.Clean``, ``path.Join``,
  ``path.Ext`` (and ``filepath``'s on Unix);
* :func:`url_parse` and :class:`URL`: as much of ``net/url`` as Ignition's
  validation needs (whether ``url.Parse`` fails, the scheme, the opaque part
  and the query).

**Go strings are bytes.** A Python string here stands for the Go string of
its UTF-8 encoding, except that a lone surrogate U+DC80..U+DCFF is the raw
byte 0x80..0xFF that Python's ``surrogateescape`` put there (file names,
argv, unit files read as bytes): :func:`go_bytes` gives those bytes. So a
byte that is not valid UTF-8 quotes as ``\\xNN``, as in Go. Any other lone
surrogate stands for U+FFFD, which is what Go's decoders (encoding/json)
make of one.

**Unicode version.** Go's tables are Unicode 15.0.0 (Go 1.21 and later, the
Go that built the tools hostform follows); Python 3.11's are 14.0.0.
:func:`is_print` adds the characters assigned in 15.0 (all printable), so
that it agrees with Go on every code point under Python 3.11 and 3.12; the
white space set has not changed since. tests/test_gostd.py compares every
function here with the Go library itself (tests/go/gostd).

Cheap to import (it is on the start-up path of ``hostform butane`` and
``hostform quadlet``): no ``re``, ``typing`` or other imports.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

__all__ = [
    "SPACE",
    "URL",
    "clean",
    "ext",
    "go_bytes",
    "is_print",
    "join",
    "quote",
    "quote_rune",
    "sort_slice",
    "time_quote",
    "trim_space",
    "url_parse",
]

# ---------------------------------------------------------------- strings

# unicode.IsSpace: the Latin-1 spaces, then the other White_Space characters.
SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def trim_space(s: str) -> str:
    """strings.TrimSpace: ``s`` without leading and trailing :data:`SPACE`."""
    return s.strip(SPACE)


def go_bytes(s: str) -> bytes:
    """The bytes of the Go string that ``s`` stands for (see the module's docstring)."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF and not 0xDC80 <= ord(c) <= 0xDCFF else c for c in s).encode(
            "utf-8", "surrogateescape"
        )


def _runes(s: str) -> str:
    """``s`` as Go's ``for range`` decodes it: valid UTF-8 as characters, each
    byte that does not start a valid sequence as one surrogate U+DC80..U+DCFF.

    (Escaped bytes next to each other may make a valid sequence, which Go
    reads as one character: decoding the bytes again does the same. Python's
    strict UTF-8 decoder and Go's agree on what is valid, surrogates and
    overlong forms included.)
    """
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return go_bytes(s).decode("utf-8", "surrogateescape")


# Code points that Unicode 15.0 assigned after 14.0, every one printable
# (strconv.IsPrint) in Go; str.isprintable() of Python 3.11 (Unicode 14.0)
# calls them unassigned. Inclusive ranges, ascending.
_NEW_IN_15 = (
    (0x0CF3, 0x0CF3),
    (0x0ECE, 0x0ECE),
    (0x10EFD, 0x10EFF),
    (0x1123F, 0x11241),
    (0x11B00, 0x11B09),
    (0x11F00, 0x11F10),
    (0x11F12, 0x11F3A),
    (0x11F3E, 0x11F59),
    (0x1342F, 0x1342F),
    (0x13440, 0x13455),
    (0x1B132, 0x1B132),
    (0x1B155, 0x1B155),
    (0x1D2C0, 0x1D2D3),
    (0x1DF25, 0x1DF2A),
    (0x1E030, 0x1E06D),
    (0x1E08F, 0x1E08F),
    (0x1E4D0, 0x1E4F9),
    (0x1F6DC, 0x1F6DC),
    (0x1F774, 0x1F776),
    (0x1F77B, 0x1F77F),
    (0x1F7D9, 0x1F7D9),
    (0x1FA75, 0x1FA77),
    (0x1FA87, 0x1FA88),
    (0x1FAAD, 0x1FAAF),
    (0x1FABB, 0x1FABD),
    (0x1FABF, 0x1FABF),
    (0x1FACE, 0x1FACF),
    (0x1FADA, 0x1FADB),
    (0x1FAE8, 0x1FAE8),
    (0x1FAF7, 0x1FAF8),
    (0x2B739, 0x2B739),
    (0x31350, 0x323AF),
)


def is_print(ch: str) -> bool:
    """strconv.IsPrint of one character: letters, marks, numbers, punctuation,
    symbols and the ASCII space (Unicode 15.0). A surrogate is not printable."""
    if ch.isprintable():
        return True
    o = ord(ch)
    if o < 0x0CF3:
        return False
    for lo, hi in _NEW_IN_15:
        if o <= hi:
            return o >= lo
    return False


_NAMED = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _escaped(ch: str, q: str) -> str:
    """strconv's appendEscapedRune for one character of :func:`_runes`; ``q`` is the quote."""
    if ch == q or ch == "\\":
        return "\\" + ch
    if is_print(ch):
        return ch
    named = _NAMED.get(ch)
    if named is not None:
        return named
    o = ord(ch)
    if o < 0x20 or o == 0x7F:
        return "\\x%02x" % o
    if 0xDC80 <= o <= 0xDCFF:  # a byte that is not valid UTF-8
        return "\\x%02x" % (o - 0xDC00)
    if o < 0x10000:
        return "\\u%04x" % o
    return "\\U%08x" % o


def quote(s: str) -> str:
    """strconv.Quote: ``s`` in double quotes, with Go's escapes for what is not printable
    (so BEL is ``\\a``, U+2028 ``\\u2028`` and the raw byte 0xFF ``\\xff``)."""
    if s.isascii() and s.isprintable():
        if '"' in s or "\\" in s:
            s = s.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + s + '"'
    return '"' + "".join([_escaped(ch, '"') for ch in _runes(s)]) + '"'


def quote_rune(r: int) -> str:
    """strconv.QuoteRune: the rune ``r`` in single quotes (an invalid rune is U+FFFD)."""
    if not (0 <= r <= 0x10FFFF) or 0xD800 <= r <= 0xDFFF:
        r = 0xFFFD
    return "'" + _escaped(chr(r), "'") + "'"


def time_quote(s: str) -> str:
    """The time package's quote (in ParseDuration's errors): printable ASCII as
    is, with ``\\"`` and ``\\\\``, and every other byte as ``\\xNN``."""
    out = ['"']
    for b in go_bytes(s):
        if 0x20 <= b < 0x80:
            if b == 0x22 or b == 0x5C:
                out.append("\\")
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    out.append('"')
    return "".join(out)


# ---------------------------------------------------------------- path


def clean(p: str) -> str:
    """path.Clean: the shortest path naming the same file, by lexical processing only."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for part in p.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    s = "/".join(out)
    if rooted:
        return "/" + s
    return s or "."


def join(*parts: str) -> str:
    """path.Join (and filepath.Join on Unix): the non-empty parts joined by "/", cleaned;
    "" when every part is empty."""
    nonempty = [p for p in parts if p]
    if not nonempty:
        return ""
    return clean("/".join(nonempty))


def ext(p: str) -> str:
    """path.Ext: from the last "." of the last element on, or ""."""
    i = len(p) - 1
    while i >= 0 and p[i] != "/":
        if p[i] == ".":
            return p[i:]
        i -= 1
    return ""


# ---------------------------------------------------------------- net/url

_HEX = "0123456789abcdefABCDEF"
_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGIT = "0123456789"


class URL:
    """What Ignition reads of a parsed url.URL."""

    __slots__ = ("scheme", "opaque", "raw_query")

    def __init__(self, scheme: str, opaque: str, raw_query: str) -> None:
        self.scheme = scheme
        self.opaque = opaque
        self.raw_query = raw_query

    def query(self) -> dict[str, list[str]]:
        """url.Values from the raw query (pairs that fail to parse are skipped)."""
        m: dict[str, list[str]] = {}
        for kv in self.raw_query.split("&"):
            if kv == "" or ";" in kv:
                continue
            k, _, v = kv.partition("=")
            key = _query_unescape(k)
            value = _query_unescape(v)
            if key is None or value is None:
                continue
            m.setdefault(key, []).append(value)
        return m


def _query_unescape(s: str) -> str | None:
    out = bytearray()
    b = s.encode("utf-8", "surrogatepass")
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x25:
            if i + 2 >= len(b):
                return None
            h = b[i + 1 : i + 3].decode("latin-1")
            if len(h) < 2 or h[0] not in _HEX or h[1] not in _HEX:
                return None
            out.append(int(h, 16))
            i += 3
            continue
        out.append(0x20 if c == 0x2B else c)
        i += 1
    return out.decode("utf-8", "replace")


def _bad_escapes(s: str, host: bool = False) -> bool:
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "%":
            if i + 2 >= n:
                return True
            if s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return True
            if host and int(s[i + 1], 16) < 8 and s[i : i + 3] != "%25":
                return True
            i += 3
            continue
        if host and ord(c) < 0x80 and not (c in _ALPHA or c in _DIGIT or c in "-_.~!$&'()*+,;=:[]<>\""):
            return True
        i += 1
    return False


_USERINFO_OK = _ALPHA + _DIGIT + "-._:~!$&'()*+,;=%@"


def _parse_host(host: str) -> bool:
    if host.startswith("["):
        i = host.rfind("]")
        if i < 0:
            return False
        colon_port = host[i + 1 :]
        if colon_port and not (colon_port[0] == ":" and all(c in _DIGIT for c in colon_port[1:])):
            return False
        return not _bad_escapes(host[1:i].partition("%25")[0], True)
    i = host.rfind(":")
    if i >= 0:
        port = host[i + 1 :]
        if not all(c in _DIGIT for c in port):
            return False
    return not _bad_escapes(host, True)


def url_parse(raw: str) -> URL | None:
    """url.Parse: None where it returns an error."""
    u, _, frag = raw.partition("#")
    # (isascii and isprintable: no control characters, without a Python loop
    # over what may be a long data URL)
    if not (u.isascii() and u.isprintable()) and any(ord(c) < 0x20 or ord(c) == 0x7F for c in u):
        return None
    scheme = ""
    rest = u
    for i, c in enumerate(u):
        if c in _ALPHA:
            continue
        if c in _DIGIT or c in "+-.":
            if i == 0:
                break
            continue
        if c == ":":
            if i == 0:
                return None
            scheme, rest = u[:i].lower(), u[i + 1 :]
        break
    raw_query = ""
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest, _, raw_query = rest.partition("?")
    if not rest.startswith("/"):
        if scheme:
            if frag and _bad_escapes(frag):
                return None
            return URL(scheme, rest, raw_query)
        if ":" in rest.partition("/")[0]:
            return None
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, rest = rest[2:], ""
        i = authority.find("/")
        if i >= 0:
            authority, rest = authority[:i], authority[i:]
        j = authority.rfind("@")
        if j >= 0:
            if any(c not in _USERINFO_OK for c in authority[:j]):  # (non-ASCII too)
                return None
            if _bad_escapes(authority[:j]):
                return None
            authority = authority[j + 1 :]
        if not _parse_host(authority):
            return None
    if _bad_escapes(rest):
        return None
    if frag and _bad_escapes(frag):
        return None
    return URL(scheme, "", raw_query)


# -- sort.Slice -------------------------------------------------------------------------------------
# Go's sort.Slice is not stable: it is pattern-defeating quicksort (pdqsort, Go 1.19 on), fully
# deterministic for a given input. podman's quadlet generator orders its units with it, so the order
# in which units of one kind are converted (and what follows from it: log lines, a pod's Wants=)
# is the order this reproduces. Checked against Go itself by tests/test_gostd.py.

_INSERTION_MAX = 12  # sort ranges this short by insertion (stable)
_NINTHER_MIN = 50  # ranges this long take the pivot as a median of medians
_MAX_SWAPS = 12  # the pivot search's swaps when the range is in reverse order
_PARTIAL_STEPS = 5
_PARTIAL_SHIFT_MIN = 50


def sort_slice(items: list[T], less: Callable[[T, T], bool]) -> None:
    """Sort ``items`` in place exactly as Go's ``sort.Slice(items, less)`` orders them (not stable)."""
    n = len(items)
    _Pdq(items, less).sort(0, n, n.bit_length())


class _Pdq:
    __slots__ = ("a", "lt")

    def __init__(self, items: list[Any], less: Callable[[Any, Any], bool]) -> None:
        self.a = items
        self.lt = less

    def less(self, i: int, j: int) -> bool:
        return self.lt(self.a[i], self.a[j])

    def swap(self, i: int, j: int) -> None:
        a = self.a
        a[i], a[j] = a[j], a[i]

    def insertion(self, lo: int, hi: int) -> None:
        for i in range(lo + 1, hi):
            j = i
            while j > lo and self.less(j, j - 1):
                self.swap(j, j - 1)
                j -= 1

    def sift_down(self, root: int, hi: int, first: int) -> None:
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and self.less(first + child, first + child + 1):
                child += 1
            if not self.less(first + root, first + child):
                return
            self.swap(first + root, first + child)
            root = child

    def heap(self, lo: int, hi: int) -> None:
        n = hi - lo
        for i in range((n - 1) // 2, -1, -1):
            self.sift_down(i, n, lo)
        for i in range(n - 1, -1, -1):
            self.swap(lo, lo + i)
            self.sift_down(0, i, lo)

    def sort(self, lo: int, hi: int, limit: int) -> None:
        balanced = partitioned = True
        while True:
            n = hi - lo
            if n <= _INSERTION_MAX:
                self.insertion(lo, hi)
                return
            if limit == 0:
                self.heap(lo, hi)
                return
            if not balanced:
                self.break_patterns(lo, hi)
                limit -= 1
            pivot, hint = self.choose_pivot(lo, hi)
            if hint < 0:  # the range looked reversed: reverse it
                i, j = lo, hi - 1
                while i < j:
                    self.swap(i, j)
                    i += 1
                    j -= 1
                pivot = (hi - 1) - (pivot - lo)
                hint = 1
            if balanced and partitioned and hint > 0 and self.partial_insertion(lo, hi):
                return
            if lo > 0 and not self.less(lo - 1, pivot):
                lo = self.partition_equal(lo, hi, pivot)
                continue
            mid, partitioned = self.partition(lo, hi, pivot)
            left, right = mid - lo, hi - mid
            if left < right:
                balanced = left >= n // 8
                self.sort(lo, mid, limit)
                lo = mid + 1
            else:
                balanced = right >= n // 8
                self.sort(mid + 1, hi, limit)
                hi = mid

    def partition(self, lo: int, hi: int, pivot: int) -> tuple[int, bool]:
        self.swap(lo, pivot)
        i, j = lo + 1, hi - 1
        while i <= j and self.less(i, lo):
            i += 1
        while i <= j and not self.less(j, lo):
            j -= 1
        if i > j:
            self.swap(j, lo)
            return j, True
        self.swap(i, j)
        i += 1
        j -= 1
        while True:
            while i <= j and self.less(i, lo):
                i += 1
            while i <= j and not self.less(j, lo):
                j -= 1
            if i > j:
                break
            self.swap(i, j)
            i += 1
            j -= 1
        self.swap(j, lo)
        return j, False

    def partition_equal(self, lo: int, hi: int, pivot: int) -> int:
        self.swap(lo, pivot)
        i, j = lo + 1, hi - 1
        while True:
            while i <= j and not self.less(lo, i):
                i += 1
            while i <= j and self.less(lo, j):
                j -= 1
            if i > j:
                return i
            self.swap(i, j)
            i += 1
            j -= 1

    def partial_insertion(self, lo: int, hi: int) -> bool:
        i = lo + 1
        for _ in range(_PARTIAL_STEPS):
            while i < hi and not self.less(i, i - 1):
                i += 1
            if i == hi:
                return True
            if hi - lo < _PARTIAL_SHIFT_MIN:
                return False
            self.swap(i, i - 1)
            if i - lo >= 2:  # shift the smaller one left
                j = i - 1
                while j >= 1 and self.less(j, j - 1):
                    self.swap(j, j - 1)
                    j -= 1
            if hi - i >= 2:  # shift the greater one right
                j = i + 1
                while j < hi and self.less(j, j - 1):
                    self.swap(j, j - 1)
                    j += 1
        return False

    def break_patterns(self, lo: int, hi: int) -> None:
        n = hi - lo
        if n < 8:
            return
        r = n  # xorshift64, seeded with the length
        mask = (1 << n.bit_length()) - 1
        idx = lo + (n // 4) * 2 - 1
        for k in range(3):
            r ^= (r << 13) & 0xFFFFFFFFFFFFFFFF
            r ^= r >> 7
            r ^= (r << 17) & 0xFFFFFFFFFFFFFFFF
            other = r & mask
            if other >= n:
                other -= n
            self.swap(idx + k, lo + other)

    def choose_pivot(self, lo: int, hi: int) -> tuple[int, int]:
        """(pivot, hint): hint 1 the range looked sorted, -1 reversed, 0 neither."""
        n = hi - lo
        swaps = [0]
        i, j, k = lo + n // 4, lo + n // 4 * 2, lo + n // 4 * 3
        if n >= 8:
            if n >= _NINTHER_MIN:
                i = self.median(i - 1, i, i + 1, swaps)
                j = self.median(j - 1, j, j + 1, swaps)
                k = self.median(k - 1, k, k + 1, swaps)
            j = self.median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, 1
        if swaps[0] == _MAX_SWAPS:
            return j, -1
        return j, 0

    def median(self, a: int, b: int, c: int, swaps: list[int]) -> int:
        if self.less(b, a):
            swaps[0] += 1
            a, b = b, a
        if self.less(c, b):
            swaps[0] += 1
            b, c = c, b
        if self.less(b, a):
            swaps[0] += 1
            a, b = b, a
        return b
