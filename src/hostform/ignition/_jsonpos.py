"""A JSON reader with byte offsets and Go's encoding/json syntax errors.

``load(data)`` returns the root :class:`Node`, or ``(message, offset)`` of the syntax error.
Nodes are :class:`Node`: ``kind`` is object/array/string/number/bool/null;
``start`` is where vcontext (go-json) puts the node (one past ``{``/``[``
for containers, the first byte for literals); ``end`` is one past a literal;
``key_start`` is the offset of the member's key.  Numbers keep their text.
Nesting is read without recursion, up to Go's limit (``MAX_DEPTH``).
"""

from __future__ import annotations

from hostform.gostd import quote as _quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

_SPACE = b" \t\r\n"

# Go's encoding/json scanner (and coreos/go-json, vcontext's copy of it) refuses the
# container that would open a 10,001st level: "invalid character '[' exceeded max depth".
MAX_DEPTH = 10000


class Node:
    __slots__ = ("kind", "value", "start", "end", "key_start")

    def __init__(self, kind: str, value: Any, start: int, end: int = -1) -> None:
        # dict[str, Node] (object), list[Node] (array), str (string, and a number's text),
        # bool or None
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end
        self.key_start = -1

    def __repr__(self) -> str:
        return f"Node({self.kind}, {self.value!r}, {self.start})"


class SyntaxErr(Exception):
    def __init__(self, msg: str, offset: int) -> None:
        self.msg = msg
        self.offset = offset


def _qc(c: int) -> str:
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    s = _quote(chr(c))
    return "'" + s[1:-1] + "'"


class _Frame:
    """An open container while reading: the node and, for an object, the key being
    read and the offset of that key."""

    __slots__ = ("node", "key", "key_start")

    def __init__(self, node: Node) -> None:
        self.node = node
        self.key = ""
        self.key_start = -1


class _P:
    def __init__(self, data: bytes) -> None:
        self.d = data
        self.n = len(data)
        self.i = 0

    def bad(self, i: int, ctx: str) -> NoReturn:
        if i >= self.n:
            raise SyntaxErr("unexpected end of JSON input", self.n)
        raise SyntaxErr("invalid character " + _qc(self.d[i]) + " " + ctx, i + 1)

    def ws(self) -> None:
        d, n, i = self.d, self.n, self.i
        while i < n and d[i] in _SPACE:
            i += 1
        self.i = i

    def closed(self, close: int, where: str) -> bool:
        """After an object member or array element: a comma (False) or the closing bracket (True)."""
        self.ws()
        if self.i >= self.n:
            self.bad(self.i, "")
        c = self.d[self.i]
        self.i += 1
        if c == 0x2C:
            return False
        if c != close:
            self.bad(self.i - 1, where)
        return True

    def value(self) -> Node:
        """The value at ``self.i``, read without recursion: ``stack`` holds the open containers
        (node, and for an object the key being read and its offset), so depth costs no C stack."""
        d, n = self.d, self.n
        stack: list[_Frame] = []
        while True:
            self.ws()
            i = self.i
            if i >= n:
                self.bad(i, "")
            c = d[i]
            if c == 0x7B or c == 0x5B:
                if len(stack) >= MAX_DEPTH:
                    self.bad(i, "exceeded max depth")
                node = Node("object", {}, i + 1) if c == 0x7B else Node("array", [], i + 1)
                self.i = i + 1
                self.ws()
                if self.i < n and d[self.i] == c + 2:  # "}" or "]"
                    self.i += 1
                else:
                    frame = _Frame(node)
                    stack.append(frame)
                    if c == 0x7B:
                        self.key(frame)
                    continue
            else:
                node = self.scalar(i, c)
            while stack:
                frame = stack[-1]
                parent = frame.node
                if parent.kind == "object":
                    node.key_start = frame.key_start
                    parent.value[frame.key] = node
                    if not self.closed(0x7D, "after object key:value pair"):
                        self.key(frame)
                        break
                else:
                    parent.value.append(node)
                    if not self.closed(0x5D, "after array element"):
                        break
                stack.pop()
                node = parent
            else:
                return node

    def key(self, frame: _Frame) -> None:
        """An object member's key and its colon; the key and its offset go into ``frame``."""
        self.ws()
        ks = self.i
        if ks >= self.n or self.d[ks] != 0x22:
            self.bad(ks, "looking for beginning of object key string")
        key, j = self.string(ks)
        self.i = j
        self.ws()
        if self.i >= self.n or self.d[self.i] != 0x3A:
            self.bad(self.i, "after object key")
        self.i += 1
        frame.key = key
        frame.key_start = ks

    def scalar(self, i: int, c: int) -> Node:
        if c == 0x22:
            s, j = self.string(i)
            self.i = j
            return Node("string", s, i, j)
        if c == 0x2D or 0x30 <= c <= 0x39:
            return self.number()
        for word, val in ((b"true", True), (b"false", False), (b"null", None)):
            if c == word[0]:
                for k in range(1, len(word)):
                    if i + k >= self.n:
                        self.bad(i + k, "")
                    if self.d[i + k] != word[k]:
                        self.bad(i + k, "in literal %s (expecting %s)" % (word.decode(), _qc(word[k])))
                self.i = i + len(word)
                return Node("null" if val is None else "bool", val, i, self.i)
        self.bad(i, "looking for beginning of value")

    def number(self) -> Node:
        d, n = self.d, self.n
        s = i = self.i
        if d[i] == 0x2D:
            i += 1
            if i >= n:
                self.bad(i, "")
            if not 0x30 <= d[i] <= 0x39:
                self.bad(i, "in numeric literal")
        if d[i] == 0x30:
            i += 1
        else:
            while i < n and 0x30 <= d[i] <= 0x39:
                i += 1
        if i < n and d[i] == 0x2E:
            i += 1
            if i >= n:
                self.bad(i, "")
            if not 0x30 <= d[i] <= 0x39:
                self.bad(i, "after decimal point in numeric literal")
            while i < n and 0x30 <= d[i] <= 0x39:
                i += 1
        if i < n and d[i] in b"eE":
            i += 1
            if i < n and d[i] in b"+-":
                i += 1
            if i >= n:
                self.bad(i, "")
            if not 0x30 <= d[i] <= 0x39:
                self.bad(i, "in exponent of numeric literal")
            while i < n and 0x30 <= d[i] <= 0x39:
                i += 1
        self.i = i
        return Node("number", d[s:i].decode("ascii"), s, i)

    def string(self, i: int) -> tuple[str, int]:
        """Decode the string starting at the quote at ``i``: (text, offset past the closing quote)."""
        d, n = self.d, self.n
        j = i + 1
        out: list[str] = []
        run = j
        while True:
            if j >= n:
                self.bad(j, "")
            c = d[j]
            if c == 0x22:
                out.append(d[run:j].decode("utf-8", "replace"))
                return "".join(out), j + 1
            if c < 0x20:
                self.bad(j, "in string literal")
            if c == 0x5C:
                out.append(d[run:j].decode("utf-8", "replace"))
                j += 1
                if j >= n:
                    self.bad(j, "")
                e = d[j]
                simple = {0x22: '"', 0x5C: "\\", 0x2F: "/", 0x62: "\b", 0x66: "\f", 0x6E: "\n", 0x72: "\r", 0x74: "\t"}
                if e in simple:
                    out.append(simple[e])
                    j += 1
                elif e == 0x75:
                    cp = self.hex4(j + 1)
                    j += 5
                    if 0xD800 <= cp < 0xDC00:
                        if d[j : j + 2] == b"\\u":
                            lo = self.hex4(j + 2)
                            if 0xDC00 <= lo < 0xE000:
                                out.append(chr(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)))
                                j += 6
                            else:
                                out.append("\ufffd")
                        else:
                            out.append("\ufffd")
                    elif 0xDC00 <= cp < 0xE000:
                        out.append("\ufffd")
                    else:
                        out.append(chr(cp))
                else:
                    self.bad(j, "in string escape code")
                run = j
                continue
            j += 1

    def hex4(self, j: int) -> int:
        for k in range(j, j + 4):
            if k >= self.n:
                self.bad(k, "")
            if self.d[k] not in b"0123456789abcdefABCDEF":
                self.bad(k, "in \\u hexadecimal character escape")
        return int(self.d[j : j + 4], 16)


def load(data: bytes) -> Node | tuple[str, int]:
    """The root Node, or (message, offset) of the syntax error."""
    p = _P(data)
    try:
        root = p.value()
        p.ws()
        if p.i < p.n:
            p.bad(p.i, "after top-level value")
    except SyntaxErr as e:
        return e.msg, e.offset
    return root


def syntax_error(data: bytes) -> tuple[str, int] | None:
    """Go's json.Unmarshal syntax check: None if valid, else (message, offset)."""
    got = load(data)
    return got if isinstance(got, tuple) else None


def line_col(data: bytes, index: int) -> tuple[int, int]:
    """vcontext's line/column (1-based, counting bytes) of a byte offset; (0, 0) at or past the end."""
    if index < 0 or index >= len(data):
        return 0, 0
    line = data.count(b"\n", 0, index) + 1
    nl = data.rfind(b"\n", 0, index)
    return line, index - nl
