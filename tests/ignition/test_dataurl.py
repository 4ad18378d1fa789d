"""Data-URL errors as github.com/vincent-petithory/dataurl v1.0.0 reports
them (Ignition returns its DecodeString error verbatim)."""

import pytest

from hostform.ignition._dataurl import error

B64 = "illegal base64 data at input byte %d"

CASES = [
    # prefix and media type
    ("data:,hello", None),
    ("data:,", None),
    ("DATA:,x", "missing data prefix"),
    ("data:", "missing comma before data"),
    ("data:(,x", "invalid character after data prefix"),
    ("data:text", "missing media type slash"),
    ("data:foo/bar,x", "invalid media type"),
    ("data:textual/bar,x", None),  # the library only checks a prefix
    ("data:x-foo/bar,x", None),
    ("data:x/plain,x", "invalid character for media type"),  # 'x' eats the '/'
    ("data:te xt/plain,x", "invalid character for media type"),
    ("data:text/plain", "incomplete media type"),
    ("data:text/pl ain,x", "invalid character for media subtype"),
    # parameters
    ("data:;,x", "unterminated parameter sequence"),
    ("data:;=x,y", "unterminated parameter sequence"),
    ("data:;a", "unterminated parameter sequence"),
    ("data:;a b,x", "invalid character for parameter attribute"),
    ("data:;base64;a=b,x", "invalid character for parameter attribute"),
    ("data:;foo,x", "expected base64, got foo"),
    ("data:;a=", "missing comma before data"),
    ("data:;a=b", "missing comma before data"),
    ("data:;a=(,x", "invalid character for parameter value"),
    ('data:;a="x', "unclosed quoted string"),
    ('data:;a="x\\', "unclosed quoted string"),
    ('data:;a="x\\\u00e9"', "invalid escaped character"),
    ('data:;a="\u00e9",z', "invalid character for parameter value"),
    ('data:;a="x"y,z', "expected semicolon or comma"),
    ('data:;a="\\q",z', "invalid syntax"),
    ('data:;a="\\\'",z', "invalid syntax"),
    ('data:;a="\\ud800",z', "invalid syntax"),
    ('data:;a="\\400",z', "invalid syntax"),
    ('data:;a="x\ny",z', "invalid syntax"),
    ('data:;a="\\u00e9\\x41\\101\\"q\\"",z', None),
    ("data:;a=%4,x", "rfc2396: unexpected end of unescape sequence"),
    ("data:;a=%zz,x", "rfc2396: invalid char 0x25 in unescape sequence"),
    ('data:;a="";b=%zz,x', None),  # a pending unquote swallows the next value
    ("data:text/plain;charset=utf-8;base64,SGk=", None),
    # plain data
    ("data:,a b", "invalid data character"),
    ("data:,\u00e9", "invalid data character"),
    ("data:,a#b", "invalid data character"),
    ("data:,a%2", "rfc2396: unexpected end of unescape sequence"),
    ("data:,a%g0", "rfc2396: invalid char 0x25 in unescape sequence"),
    ("data:,a%20b%7e", None),
    # base64 data (Go's base64.StdEncoding offsets)
    ("data:;base64,!!!notbase64", "invalid data character"),
    ("data:;base64,%41", "invalid data character"),
    ("data:;base64,", None),
    ("data:;base64,YWJj", None),
    ("data:;base64,YW\nJj\n", None),
    ("data:;base64,YQ==", None),
    ("data:;base64,YQ=\n=", None),
    ("data:;base64,YQ", B64 % 0),
    ("data:;base64,YWJjZ", B64 % 4),
    ("data:;base64,YWJjZA\n", B64 % 5),
    ("data:;base64,YQ=", B64 % 3),
    ("data:;base64,YQ=x", B64 % 2),
    ("data:;base64,Y===", B64 % 1),
    ("data:;base64,=", B64 % 0),
    ("data:;base64,YQ==YQ==", B64 % 4),
    ("data:;base64,YWI=\n\nx", B64 % 6),
]


@pytest.mark.parametrize(("url", "message"), CASES)
def test_dataurl_error(url: str, message: str | None) -> None:
    assert error(url) == message


def test_validator_reports_dataurl_text() -> None:
    from hostform.ignition import _validate  # noqa: F401
    from hostform.ignition._validate import _url

    class Ctx:
        m = 6

    assert _url(Ctx(), "data:;base64,!!!") == "invalid data character"
    assert _url(Ctx(), "data:,ok") is None


def _go_base64_oracle(src: str) -> int | None:
    """Go's base64.StdEncoding.Decode quantum by quantum (the offset of its
    CorruptInputError, or None), for inputs of the alphabet, '=' and '\\n'."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    si, n = 0, len(src)
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return si - j
            c = src[si]
            si += 1
            if c in alphabet:
                j += 1
                continue
            if c == "\n":
                continue
            # c == '='
            if j < 2:
                return si - 1
            if j == 2:
                while si < n and src[si] == "\n":
                    si += 1
                if si == n:
                    return n
                if src[si] != "=":
                    return si - 1
                si += 1
            while si < n and src[si] == "\n":
                si += 1
            return si if si < n else None
    return None


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="QUJD=\n", max_size=24))
def test_base64_offsets_match_go_decoder(data: str) -> None:
    from hostform.ignition._dataurl import _base64_error

    off = _go_base64_oracle(data)
    assert _base64_error(data) == (None if off is None else B64 % off)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='data:;,=/"\\%xtextbase64\n \u00e9-A', max_size=30))
def test_never_crashes(s: str) -> None:
    r = error("data:" + s)
    assert r is None or isinstance(r, str)
    r = error(s)
    assert r is None or isinstance(r, str)
