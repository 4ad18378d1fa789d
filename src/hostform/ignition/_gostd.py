"""Small re-implementations of the Go library behaviour Ignition's validation relies on.

Go's net/url parsing (just enough to know when url.Parse fails, the scheme,
the opaque part and the query), path.Clean, strconv.Quote, strings.TrimSpace,
and go-systemd's unit file lexer (its exact error strings).  No ``re``.
"""

from __future__ import annotations

_WS = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_HEX = "0123456789abcdefABCDEF"
_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGIT = "0123456789"


def trim_space(s: str) -> str:
    return s.strip(_WS)


def quote(s: str) -> str:
    """Go's strconv.Quote (``%q`` of a string)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\ufffd" or (ch.isprintable() and o != 0x7F):
            out.append(ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[ch])
        elif o < 0x80:
            out.append("\\x%02x" % o)
        elif o < 0x10000:
            out.append("\\u%04x" % o)
        else:
            out.append("\\U%08x" % o)
    out.append('"')
    return "".join(out)


# ---------------------------------------------------------------- path

def clean(p: str) -> str:
    """Go's path.Clean."""
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
    """Go's path.Join (and filepath.Join on Unix): join non-empty parts, then Clean."""
    nonempty = [p for p in parts if p]
    if not nonempty:
        return ""
    return clean("/".join(nonempty))


def ext(p: str) -> str:
    """Go's path.Ext."""
    i = len(p) - 1
    while i >= 0 and p[i] != "/":
        if p[i] == ".":
            return p[i:]
        i -= 1
    return ""


# ---------------------------------------------------------------- net/url

class URL:
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
            k = _query_unescape(k)
            v = _query_unescape(v)
            if k is None or v is None:
                continue
            m.setdefault(k, []).append(v)
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
    """Go's url.Parse: None where it returns an error."""
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
            if any(c not in _USERINFO_OK for c in authority[:j] if ord(c) < 0x80):
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


# ---------------------------------------------------------------- go-systemd unit lexer

LINE_MAX = 2048


def parse_unit(content: str):
    """go-systemd's unit.Deserialize: ([(section, name, value)], None) or (None, error text)."""
    s = content
    n = len(s)
    i = 0
    opts: list[tuple[str, str, str]] = []

    def to_eol(i: int):
        j = s.find("\n", i)
        if j < 0:
            line = s[i:]
            if line.endswith("\r"):
                line = line[:-1]
            return line, True, n
        line = s[i:j]  # the "\r" of "\r\n" survives, as in go-systemd
        return line, False, j + 1

    state = "section"
    section = ""
    while True:
        if n - i >= LINE_MAX:
            chunk = s[i : i + LINE_MAX]
            if "\r" not in chunk and "\n" not in chunk:
                return None, "line too long (max %d bytes)" % LINE_MAX
        if state == "section" or state == "sec_or_opt":
            if i >= n:
                return opts, None
            r = s[i]
            i += 1
            if r == "[":
                j = s.find("]", i)
                if j < 0:
                    return None, "unable to find end of section"
                section = s[i:j]
                i = j + 1
                garbage, _, i = to_eol(i)
                garbage = trim_space(garbage)
                if garbage:
                    return None, "found garbage after section name : " + quote(garbage)
                state = "sec_or_opt"
                continue
            if r == "#" or r == ";":
                while True:
                    line, _, i = to_eol(i)
                    if line.endswith(" "):
                        line = line[:-1]
                    if not line.endswith("\\") or i >= n:
                        break
                continue
            if state == "section" or r in _WS:
                continue
            i -= 1
            j = i
            while True:
                if j >= n:
                    return None, "EOF"
                c = s[j]
                if c == "\n" or c == "\r":
                    return None, "unexpected newline encountered while parsing option name"
                if c == "=":
                    break
                j += 1
            name = trim_space(s[i:j])
            i = j + 1
            partial = ""
            while True:
                line, eof, i = to_eol(i)
                if trim_space(line):
                    partial += line
                    if line.endswith("\\"):
                        if not eof:
                            partial += "\n"
                        if i < n or not eof:
                            continue
                break
            if partial.endswith("\n"):
                val = trim_space(partial) + "\n"
            else:
                val = trim_space(partial)
            opts.append((section, name, val))
            continue
