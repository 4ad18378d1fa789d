"""hostform.gostd against Go's own standard library (tests/go/gostd, built with the local Go).

Every value on the Go side is what Go printed: strconv.Quote, strconv.QuoteRune,
strconv.IsPrint (all code points), unicode.IsSpace (all code points),
strings.TrimSpace, path.Clean/Join/Ext, time's quote and whether url.Parse
fails. Inputs are bytes, as Go strings are; the Python side gets the string
that stands for them (undecodable bytes as surrogateescape'd surrogates).
"""

from __future__ import annotations

import random
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostform import gostd
from hostform.cli import butane
from hostform.timespec import Invalid, parse_go_duration
from hostform.yamlpos import YAMLError, load, resolve

from .butane.test_cli_flags import cli
from .require import go_helper


@pytest.fixture(scope="module")
def go() -> str:
    return go_helper("gostd")


def run(binary: str, lines: list[str]) -> list[str]:
    """One line of Go's answer per input line (tables end with an empty line)."""
    proc = subprocess.run([binary], input="".join(line + "\n" for line in lines).encode(), capture_output=True, timeout=120, check=True)
    out = proc.stdout.decode().split("\n")
    assert out[-1] == ""
    return out[:-1]


def go_strings(binary: str, op: str, args: list[bytes]) -> list[bytes]:
    return [bytes.fromhex(h) for h in run(binary, [f"{op} {a.hex()}" for a in args])]


def py(b: bytes) -> str:
    """The Python string that stands for the Go string ``b``."""
    return b.decode("utf-8", "surrogateescape")


def gob(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------- hard cases

C0 = [bytes([c]) for c in range(0x20)]
DEL_C1 = [b"\x7f"] + [chr(c).encode() for c in range(0x80, 0xA0)]
SPECIAL = [
    "\u00a0", "\u00ad", "\u0085", "\u034f", "\u061c", "\u1680", "\u180e", "\u200b", "\u200d", "\u200e",
    "\u2028", "\u2029", "\u202e", "\u2060", "\u2066", "\u3000", "\ufeff", "\ufff9", "\ufffc", "\ufffd",
    "\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010fffe", "\U0010ffff",  # noncharacters
    "\ue000", "\U000f0000", "\U00100000",  # private use
    "\U00010000", "\U0001f600", "\U0001f468\u200d\U0001f469", "\U000e0001", "\U000e0020", "\U000e0100",
    "\u0cf3", "\U0001e030", "\U00031350", "\U000323af", "\U000323b0",  # assigned in Unicode 15.0 / not
    "\u0378", "\U0002fffd",  # unassigned
    "é", "e\u0301", "\u4e2d", "'", '"', "\\", "`", " ", "~",
]
INVALID_UTF8 = [
    b"\x80", b"\xbf", b"\xc0", b"\xc0\x80", b"\xc1\xbf", b"\xc2", b"\xc3\x28", b"\xe0\x80\x80", b"\xe0\x9f\xbf",
    b"\xe2\x82", b"\xe2\x82a", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xef\xbf", b"\xf0\x8f\xbf\xbf",
    b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xfe", b"\xff", b"\xff\xfe",
    b"a\xffb", b"\xe2\x82\xac\xff", b"\xef\xbf\xbd\xff",
]
QUOTE_CASES = (
    [b""]
    + C0
    + [b"a" + c + b"z" for c in C0]
    + DEL_C1
    + [s.encode() for s in SPECIAL]
    + [b"x" + s.encode() + b"y" for s in SPECIAL]
    + INVALID_UTF8
    + [bytes(range(256)), "".join(map(chr, range(0x100, 0x800, 7))).encode()]
)
PATHS = [
    "", ".", "..", "/", "//", "///", "/.", "/..", "/../..", "./", "../", "a", "a/", "a//", "/a", "//a", "///a",
    "a/b", "a//b", "a/./b", "a/../b", "a/b/..", "a/b/../..", "a/b/../../..", "../a", "../../a/b", "/../a",
    "/a/../../b", "a/.", "./a", "./.", "a/..", "a/../..", ".../a", "a/...", "..a/b..", "a./.b", "/a/b/./c/../d/",
    "a/b.c.d", "a.b/c", "a/.b", ".b", "a.", "a\\..\\b", "\u2028/..", "é/../x",
]


def test_is_print_is_strconv_is_print_everywhere(go: str) -> None:
    """All 1,114,112 code points: Go's strconv.IsPrint ranges against gostd.is_print."""
    out = run(go, ["isprint"])
    assert out[-1] == ""
    ranges = [tuple(map(int, line.split())) for line in out[:-1]]
    ours: list[tuple[int, int]] = []
    start = -1
    for r in range(0x110001):
        if r <= 0x10FFFF and gostd.is_print(chr(r)):
            if start < 0:
                start = r
        elif start >= 0:
            ours.append((start, r - 1))
            start = -1
    assert ours == ranges


def test_space_is_unicode_is_space(go: str) -> None:
    out = run(go, ["isspace"])
    assert out[-1] == ""
    assert [ord(c) for c in gostd.SPACE] == [int(line) for line in out[:-1]]


def test_quote_hard_cases(go: str) -> None:
    want = go_strings(go, "quote", QUOTE_CASES)
    assert [gostd.quote(py(b)).encode() for b in QUOTE_CASES] == want


def test_quote_of_the_disagreeing_three() -> None:
    """BEL, U+2028 and a raw byte: the three on which the copies used to differ."""
    assert gostd.quote("\x07") == '"\\a"'
    assert gostd.quote("\u2028") == '"\\u2028"'
    assert gostd.quote(py(b"\xff")) == '"\\xff"'


def test_escaped_bytes_are_read_as_go_reads_them(go: str) -> None:
    """Escaped bytes that together are valid UTF-8 are one character to Go; a
    lone surrogate that is not an escaped byte stands for U+FFFD."""
    euro = "\udce2\udc82\udcac"  # b"\xe2\x82\xac" escaped byte by byte
    assert gostd.go_bytes(euro) == "€".encode()
    assert gostd.quote(euro).encode() == go_strings(go, "quote", ["€".encode()])[0]
    assert gostd.quote("a\ud800b\udfff") == gostd.quote("a\ufffdb\ufffd")
    assert gostd.go_bytes("a\ud800") == "a\ufffd".encode()


def test_quote_rune(go: str) -> None:
    runes = [*range(0x300), 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDCFF, 0xDFFF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFE,
             0xFFFF, 0x10000, 0x1F600, 0xE0001, 0x10FFFF, 0x110000, 0x7FFFFFFF, -1, -0x80000000]
    runes += [ord(s) for s in SPECIAL if len(s) == 1]
    want = [bytes.fromhex(h).decode() for h in run(go, [f"quoterune {r}" for r in runes])]
    assert [gostd.quote_rune(r) for r in runes] == want


def test_time_quote(go: str) -> None:
    cases = [*QUOTE_CASES, "\ufffd".encode() * 2, b"\xef\xbf\xbd\xbd"]
    want = go_strings(go, "timequote", cases)
    assert [gostd.time_quote(py(b)).encode() for b in cases] == want


def test_trim_space(go: str) -> None:
    cases = [b"", b" ", b"a", *INVALID_UTF8]
    for s in [*gostd.SPACE, "\u180e", "\u200b", "\ufeff", "\x1c", "\x00", "\xa0\xa0"]:
        cases += [s.encode(), f"{s}a{s}".encode(), f"{s} a b \t{s}".encode(), b"\xff" + s.encode(), s.encode() + b"\x80"]
    want = go_strings(go, "trimspace", cases)
    assert [gob(gostd.trim_space(py(b))) for b in cases] == want


def test_clean_join_ext(go: str) -> None:
    cases = [p.encode() for p in PATHS] + [b"/a/\xff/../b", b"\xff/..", b"a.\xff"]
    assert [gob(gostd.clean(py(b))) for b in cases] == go_strings(go, "clean", cases)
    assert [gob(gostd.ext(py(b))) for b in cases] == go_strings(go, "ext", cases)
    pairs = [(a, b) for a in ["", "/", "a", "/a/", "..", "//x"] for b in ["", "/", "b", "/b", "../..", "./c/", "//d"]]
    want = [bytes.fromhex(h) for h in run(go, [f"join {a.encode().hex()} {b.encode().hex()}" for a, b in pairs])]
    assert [gob(gostd.join(a, b)) for a, b in pairs] == want
    assert gostd.join() == "" and run(go, ["join"]) == [""]
    assert gostd.join("a", "", "b", "") == "a/b"


# ---------------------------------------------------------------- generated inputs

# Bytes as they come, and text from the whole of Unicode (surrogates included:
# a Python string may carry any of them).
some_bytes = st.binary(max_size=12)
some_text = st.text(st.characters(blacklist_categories=()), max_size=12)
path_bytes = st.lists(st.sampled_from([b"/", b".", b"..", b"a", b"b.c", b"\xff", b"\xc3\xa9", b""]), max_size=8).map(b"".join)
HYPO = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPO
@given(st.lists(some_bytes, min_size=50, max_size=50), st.lists(some_text, min_size=50, max_size=50))
def test_quote_generated(go: str, raw: list[bytes], text: list[str]) -> None:
    cases = raw + [gostd.go_bytes(t) for t in text]
    strings = [py(b) for b in raw] + text
    assert [gostd.quote(s).encode() for s in strings] == go_strings(go, "quote", cases)
    assert [gostd.time_quote(s).encode() for s in strings] == go_strings(go, "timequote", cases)
    assert [gostd.go_bytes(gostd.trim_space(s)) for s in strings] == go_strings(go, "trimspace", cases)


@HYPO
@given(st.lists(st.integers(-2, 0x110001) | st.integers(0, 0x3000), min_size=100, max_size=100))
def test_quote_rune_generated(go: str, runes: list[int]) -> None:
    want = [bytes.fromhex(h).decode() for h in run(go, [f"quoterune {r}" for r in runes])]
    assert [gostd.quote_rune(r) for r in runes] == want


@HYPO
@given(st.lists(path_bytes, min_size=60, max_size=60))
def test_paths_generated(go: str, paths: list[bytes]) -> None:
    assert [gob(gostd.clean(py(b))) for b in paths] == go_strings(go, "clean", paths)
    assert [gob(gostd.ext(py(b))) for b in paths] == go_strings(go, "ext", paths)
    lines = [f"join {a.hex()} {b.hex()}" for a, b in zip(paths[::2], paths[1::2], strict=True)]
    want = [bytes.fromhex(h) for h in run(go, lines)]
    assert [gob(gostd.join(py(a), py(b))) for a, b in zip(paths[::2], paths[1::2], strict=True)] == want


# ---------------------------------------------------------------- net/url

URLS = [
    "", "http://x/", "http://x:80/a?b=c#d", "http://[::1]:80/", "http://[::1", "http://[::1]x/", "http://a b/", "http://x:port/",
    "s3://bucket/key?versionId=1", "data:,hello", "data:text/plain;base64,aGk=", "gs://b/o", "tftp://h/f", "arn:aws:s3:::b/k",
    "%zz", "http://x/%zz", "http://x/%2", "http://%41/", "http://x#%zz", "mailto:a@b", ":foo", "a:b", "1a:b", "/a:b", "a/b:c",
    "http://u:p@h/", "http://u p@h/", "http://u%zz@h/", "http://h%25/", "http://[fe80::1%25en0]/", "http://[fe80::1%en0]/",
    "http://x/\x7f", "http://x/\x01", "http://x/é", "http://é/", "http://x?", "http://x??", "?a=1", "//h/p", "///p", "http:///p",
    "http://h:80:80/", "HTTP://X/", "hé://x", "http://x/#a#b", "http://x/?a=%zz&b=1;c", "http://é@h/", "s3://ü:p@b/k",
]


def go_url(binary: str, urls: list[str]) -> list[str]:
    return run(binary, [f"urlparse {gostd.go_bytes(u).hex()}" for u in urls])


def our_url(u: str) -> str:
    r = gostd.url_parse(u)
    return "err" if r is None else " ".join(gostd.go_bytes(x).hex() for x in (r.scheme, r.opaque, r.raw_query))


def test_url_parse(go: str) -> None:
    assert [our_url(u) for u in URLS] == go_url(go, URLS)


# Without "[" and "]": Go's rules for brackets in a host changed between releases (the Go
# here refuses "//a[" and reads IP literals with netip); url_parse keeps the older rules of
# the Go that Ignition v2.26.0 was built with, which the Go installed here cannot check.
url_text = st.lists(
    st.sampled_from(["http", "s3", "data", ":", "/", "//", "?", "#", "@", "%", "%2", "%25", "%41", "a", "é", " ", "\x01", "=", "&", ";", "1"]),
    max_size=10,
).map("".join)


@HYPO
@given(st.lists(url_text, min_size=100, max_size=100))
def test_url_parse_generated(go: str, urls: list[str]) -> None:
    assert [our_url(u) for u in urls] == go_url(go, urls)


# ---------------------------------------------------------------- callers


def _butane_usage_error(argv: list[str]) -> str:
    code, out, err = cli(argv)
    assert (code, out) == (2, "") and err.startswith(butane.usage())
    return err[len(butane.usage()) :]


def test_butane_flag_errors_quote_as_pflag(go: str) -> None:
    """pflag quotes an unknown shorthand's first byte with %q (QuoteRune) and a bad
    bool value with strconv.Quote: raw bytes come as surrogateescape'd argv."""
    firsts = [*range(1, 0x20), *range(0x7F, 0x100)]
    args = [py(bytes([b])) for b in firsts]
    runes = [bytes.fromhex(h).decode() for h in run(go, [f"quoterune {b}" for b in firsts])]
    assert [_butane_usage_error(["-" + a]) for a in args] == [f"unknown shorthand flag: {r} in -{a}\n" for r, a in zip(runes, args, strict=True)]
    values = [b"\x07", "\u2028".encode(), b"\xff", "\x85".encode(), b'"\\']
    quoted = go_strings(go, "quote", values)
    for v, q in zip(values, quoted, strict=True):
        assert _butane_usage_error([f"--strict={py(v)}"]) == (
            f'invalid argument {q.decode()} for "-s, --strict" flag: strconv.ParseBool: parsing {q.decode()}: invalid syntax\n'
        )


def test_go_duration_errors_quote_bytes_as_time_does() -> None:
    """timespec.parse_go_duration's errors quote the text as Go's time package does,
    a raw byte (a unit file is read as bytes) included."""
    gotime = go_helper("gotime")
    cases = [b"1\xff", b"\xff", b"1\xc3\xa9", b"1\xe2\x80\xa8s", b"5\x07", b"1\xef\xbf\xbd\xbd", b"\xed\xa0\x80"]
    proc = subprocess.run([gotime], input="".join(b.hex() + "\n" for b in cases).encode(), capture_output=True, timeout=60, check=True)
    want = [line.removeprefix("err ") for line in proc.stdout.decode().splitlines()]
    got = [parse_go_duration(py(b)) for b in cases]
    assert [g.message if isinstance(g, Invalid) else g for g in got] == want


def test_yaml_duplicate_key_errors_quote_as_go_yaml(go: str) -> None:
    """go-yaml prints a twice-given key with %#v (strconv.Quote): escapes in a
    double-quoted key make any character, one of Unicode 15.0 (U+1E030) included."""
    keys = ["\x07", "\u2028", "\x85", "\ufeff", "\U0001e030", "\U000e0001", "\ufffe", 'q"\\']
    quoted = [q.decode() for q in go_strings(go, "quote", [k.encode() for k in keys])]
    for key, q in zip(keys, quoted, strict=True):
        escaped = "".join(f"\\U{ord(c):08x}" for c in key)
        with pytest.raises(YAMLError) as e:
            resolve(load(f'"{escaped}": 1\n"{escaped}": 2\n'))
        assert e.value.message == f"yaml: unmarshal errors:\n  line 2: mapping key {q} already defined at line 1"


def test_sort_slice_is_gos(go: str) -> None:
    """sort.Slice is not stable and its order is the algorithm's own: every length 0..200 and many
    key patterns (sorted, reversed, few distinct, random, organ pipe) come out in Go's very order."""
    r = random.Random(7)
    cases: list[list[int]] = []
    for n in [*range(0, 60), 61, 64, 99, 100, 127, 128, 129, 150, 200, 500, 1000]:
        cases += [
            [r.randrange(3) for _ in range(n)],
            [r.randrange(1000) for _ in range(n)],
            list(range(n)),
            list(range(n, 0, -1)),
            [min(i, n - i) for i in range(n)],
            [5] * n,
            [i % 7 for i in range(n)],
            [int(i > n // 2) for i in range(n)],
        ]
    want = run(go, ["sortslice " + " ".join(map(str, keys)) if keys else "sortslice" for keys in cases])
    got = [" ".join(map(str, _go_sorted(keys))) for keys in cases]
    assert got == want
    assert any(g != " ".join(map(str, sorted(range(len(k)), key=k.__getitem__))) for g, k in zip(got, cases, strict=True))


def _go_sorted(keys: list[int]) -> list[int]:
    pos = list(range(len(keys)))
    gostd.sort_slice(pos, lambda a, b: keys[a] < keys[b])
    return pos
