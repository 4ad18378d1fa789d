"""The error of ``dataurl.DecodeString`` (github.com/vincent-petithory/dataurl
v1.0.0), which Ignition's URL validation returns verbatim for ``data:`` URLs.

``error(s)`` gives that library's message, or None when the URL decodes.
The library lexes the URL with a state machine and hands each token to a
parser as it is made, so the first failure wins in input order: a lexer
error, a parameter value that does not unescape (or unquote), then the data
that does not decode.  The header (before the data comma) is lexed character
by character here; the data, which may be long, is checked with whole-string
operations that give the same answers (Go's ``base64.StdEncoding`` offsets
included).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

# RFC 2045 token characters: printable ASCII without the tspecials.
_TSPECIALS = '()<>@,;:\\"/[]?='
_TOKEN = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset(_TSPECIALS)
# isURLCharRune: ASCII, not control, not a delimiter or "unwise" character.
_URL_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - frozenset(' <>#"{}|\\^[]`')
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_CHARS = frozenset(_B64_ALPHABET + "=\n")
_HEX = frozenset("0123456789abcdefABCDEF")

_DISCRETE = ("text", "image", "audio", "video", "application", "message", "multipart")


class _Fail(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error(s: str) -> str | None:
    """dataurl.DecodeString(s)'s error text, or None if it succeeds."""
    try:
        _decode(s)
    except _Fail as e:
        return e.message
    return None


def _unescape(s: str) -> None:
    """rfc2396.Unescape's errors (the input is ASCII here)."""
    i = s.find("%")
    n = len(s)
    while i >= 0:
        # the library prints the rune it holds, always the '%'
        for k in (i + 1, i + 2):
            if k >= n:
                raise _Fail("rfc2396: unexpected end of unescape sequence")
            if s[k] not in _HEX:
                raise _Fail("rfc2396: invalid char 0x25 in unescape sequence")
        i = s.find("%", i + 3)


def _unquote_ok(val: str) -> bool:
    """Whether strconv.Unquote accepts '"' + val + '"' (val is ASCII and
    has no unescaped '"', as the lexer leaves it)."""
    if "\\" not in val and "\n" not in val:
        return True
    i, n = 0, len(val)
    while i < n:
        c = val[i]
        if c == "\n" or c == '"':
            return False
        if c != "\\":
            i += 1
            continue
        if i + 1 >= n:
            return False
        e = val[i + 1]
        i += 2
        if e in "abfnrtv\\\"":
            continue
        if e in "xuU":
            w = 2 if e == "x" else 4 if e == "u" else 8
            digits = val[i : i + w]
            if len(digits) < w or any(d not in _HEX for d in digits):
                return False
            v = int(digits, 16)
            if e != "x" and (v > 0x10FFFF or 0xD800 <= v <= 0xDFFF):
                return False
            i += w
            continue
        if "0" <= e <= "7":
            digits = val[i : i + 2]
            if len(digits) < 2 or any(not "0" <= d <= "7" for d in digits):
                return False
            if int(e + digits, 8) > 255:
                return False
            i += 2
            continue
        return False
    return True


def _base64_error(data: str) -> str | None:
    """Go's base64.StdEncoding.DecodeString error for data made only of the
    alphabet, '=' and '\\n' (what the lexer lets through)."""
    n = len(data)
    p = data.find("=")
    if p < 0:
        j = (n - data.count("\n")) % 4
        return None if j == 0 else "illegal base64 data at input byte %d" % (n - j)
    j = (p - data.count("\n", 0, p)) % 4
    if j < 2:
        return "illegal base64 data at input byte %d" % p
    si = p + 1
    if j == 2:
        while si < n and data[si] == "\n":
            si += 1
        if si == n:
            return "illegal base64 data at input byte %d" % n
        if data[si] != "=":
            return "illegal base64 data at input byte %d" % (si - 1)
        si += 1
    while si < n and data[si] == "\n":
        si += 1
    if si < n:
        return "illegal base64 data at input byte %d" % si
    return None


def _decode(s: str) -> None:
    if not s.startswith("data:"):
        raise _Fail("missing data prefix")
    pos = start = 5
    base64 = False
    unquote_next = False  # the parser's unquoteParamVal flag

    def fail(msg: str) -> NoReturn:
        raise _Fail(msg)

    # Each step reads one character ("" at the end, as Go's eof) and a state
    # may step back over it, exactly as the Go lexer does.
    state = "after_prefix"
    while True:
        r = s[pos : pos + 1]
        width = len(r)
        pos += width
        if state == "after_prefix" or state == "after_value":
            if r == ";":
                pos -= width
                state = "semicolon"
            elif r == ",":
                pos -= width
                state = "comma"
            elif r == "":
                fail("missing comma before data")
            elif state == "after_value":
                fail("expected semicolon or comma")
            elif r in "xX":
                r2 = s[pos : pos + 1]
                pos += len(r2)
                state = "x_type" if r2 == "-" else "type"
            elif r in _TOKEN:
                state = "type"
            else:
                fail("invalid character after data prefix")
        elif state == "x_type" or state == "type":
            if r == "/":
                pos -= width
                if state == "type" and not s[start:pos].startswith(_DISCRETE):
                    fail("invalid media type")
                # itemMediaType, then itemMediaSep
                pos += 1
                start = pos
                state = "subtype"
            elif r == "":
                fail("missing media type slash")
            elif r not in _TOKEN:
                fail("invalid character for media type")
        elif state == "subtype":
            if r == ";" or r == ",":
                pos -= width
                start = pos
                state = "after_value"
            elif r == "":
                fail("incomplete media type")
            elif r not in _TOKEN:
                fail("invalid character for media subtype")
        elif state == "semicolon":
            # r is the ';'
            start = pos
            state = "after_semicolon"
        elif state == "after_semicolon":
            if r == "" or r == "=" or r == ",":
                fail("unterminated parameter sequence")
            elif r in _TOKEN:
                pos -= width
                state = "attr"
            else:
                fail("invalid character for parameter attribute")
        elif state == "attr":
            if r == "=":
                # itemParamAttr, then itemParamEqual (r is the '=')
                start = pos
                state = "after_equal"
            elif r == ",":
                pos -= width
                v = s[start:pos]
                if v != "base64":
                    fail("expected base64, got " + v)
                base64 = True
                start = pos
                state = "comma"
            elif r == "":
                fail("unterminated parameter sequence")
            elif r not in _TOKEN:
                fail("invalid character for parameter attribute")
        elif state == "after_equal":
            if r == '"':
                start = pos
                unquote_next = True
                state = "quoted"
            elif r == "":
                fail("missing comma before data")
            elif r in _TOKEN:
                state = "value"
            else:
                fail("invalid character for parameter value")
        elif state == "quoted":
            if r == "":
                fail("unclosed quoted string")
            elif r == "\\":
                state = "escaped"
            elif r == '"':
                pos -= width
                if pos > start:
                    # itemParamVal under a pending left quote
                    unquote_next = False
                    if not _unquote_ok(s[start:pos]):
                        fail("invalid syntax")
                pos += 1  # itemRightStringQuote
                start = pos
                state = "after_value"
            elif ord(r) > 0x7F:
                fail("invalid character for parameter value")
        elif state == "escaped":
            # Go's eof (-1) counts as ASCII here: back to the quoted string
            if r != "" and ord(r) > 0x7F:
                fail("invalid escaped character")
            state = "quoted"
        elif state == "value":
            if r == ";" or r == ",":
                pos -= width
                v = s[start:pos]
                if unquote_next:
                    # token characters always unquote
                    unquote_next = False
                else:
                    _unescape(v)
                start = pos
                state = "after_value"
            elif r == "":
                fail("missing comma before data")
            elif r not in _TOKEN:
                fail("invalid character for parameter value")
        else:  # "comma": r is the ',' before the data
            break

    data = s[pos:]
    if not data:
        return
    if base64:
        if not _B64_CHARS.issuperset(data):
            fail("invalid data character")
        e = _base64_error(data)
        if e:
            fail(e)
    else:
        if not _URL_CHARS.issuperset(data):
            fail("invalid data character")
        _unescape(data)
