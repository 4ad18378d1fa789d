"""A small YAML loader with go-yaml v3 semantics, positions and error texts.

hostform's Butane front end must accept exactly what the Go Butane accepts
(it parses with gopkg.in/yaml.v3 v3.0.1) and print the very same error
messages.  This module is an independent Python implementation of the same
algorithm: a token scanner with one-line simple keys, a recursive-descent
parser over the token stream (with the same three-token look-ahead, so that
scanner errors win over parser errors in the same order), a node tree with
1-based line/column positions, and yaml.v3's scalar resolution and decoding
rules.  No third-party code, and nothing heavy is imported at start-up.

Public API:

``load(text) -> Node | None``
    Parse the first document (like ``yaml.Unmarshal``: later documents are
    ignored, only the scanner look-ahead peeks into them).  ``None`` when the
    stream holds no document at all.  Raises :class:`YAMLError`.

``resolve(node)``
    The plain Python value yaml.v3 produces when decoding into
    ``interface{}``: dict/list/str/int/float/bool/None (plus ``datetime`` for
    timestamps and ``bytes`` for ``!!binary``), merge keys applied.

``decode_scalar(node, kind)``
    What yaml.v3 stores when decoding ``node`` into a Go field of type
    ``kind`` ("string", "int", "int64", "uint", "bool", "float64", ...).
    Returns ``None`` for null nodes (the Go field is left alone).  Raises
    :class:`YAMLTypeError` (message like ``line 6: cannot unmarshal !!str
    `rw-r--r--` into int``) or :class:`YAMLError` (hard failures).

``struct_items(node, errors)``
    The ``(name, key, value)`` entries of a mapping with ``<<`` merge keys
    expanded the way yaml.v3 decodes into a struct: explicit keys first
    (document order), then keys of merged maps that are not set yet, in merge
    order; lazily, with yaml.v3's errors (duplicate keys, keys that are not
    strings) collected into ``errors``.

``type_error(node, go_type)``, ``format_type_errors(entries)``,
``duplicate_key_errors(node)``: building blocks for yaml.v3's
``yaml: unmarshal errors:`` report.

Nodes: ``Node`` is :class:`ScalarNode` | :class:`SequenceNode` |
:class:`MappingNode`, told apart by ``kind`` (``"scalar"``, ``"sequence"``,
``"mapping"``; the type checker narrows a ``Node`` by it).  A sequence's
``items`` are its nodes, a mapping's its (key, value) node pairs, a scalar's
the empty tuple.

Aliases: an alias occurrence becomes its own node, of the anchored node's
class, whose ``tag``, ``value``, ``style`` and ``items`` (the same list
object) are those of the anchored node, whose ``line``/``column`` are the
alias's own, and whose ``alias`` attribute points at the anchored node
(``alias_name`` holds the name).  A self-referencing anchor therefore yields
a cyclic tree; ``resolve`` reports it the way yaml.v3 does.
"""

from __future__ import annotations

from hostform.gostd import quote as _go_quote

# typing-only imports: this module is on the start-up path of `hostform butane`
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from collections.abc import Iterable, Iterator
    from typing import Literal, Protocol, Self, TypeAlias

    Mark: TypeAlias = tuple[int, int, int]
    """A scanner mark: (index in the text, 0-based line, 0-based column)."""
    Token: TypeAlias = tuple[int, Mark, Mark, str, str]
    """(T_* kind, start mark, end mark, first value, second value); the values
    are "" when the kind has none: a scalar's (text, style), an anchor's or
    alias's (name, ""), a tag's (handle, suffix), a %TAG directive's (handle,
    prefix), a %YAML directive's ("major.minor", "")."""
    SimpleKey: TypeAlias = tuple[bool, bool, int, Mark]
    """A possible simple key: (possible, required, token number, mark)."""
    ScalarValue: TypeAlias = bool | int | float | str | bytes | datetime.datetime | None
    """What a scalar resolves to (``!!binary``: bytes; ``!!timestamp``: datetime)."""

    class TypeErrorSink(Protocol):
        """Where :func:`struct_items` puts yaml.v3's type errors (a list of them, or of them and strings)."""

        def extend(self, errors: Iterable[YAMLTypeError], /) -> None: ...


__all__ = [
    "MappingNode",
    "Node",
    "ScalarNode",
    "SequenceNode",
    "YAMLError",
    "YAMLTypeError",
    "decode_scalar",
    "duplicate_key_errors",
    "excessive_aliasing",
    "format_type_errors",
    "load",
    "resolve",
    "struct_items",
    "type_error",
]


class YAMLError(Exception):
    """A go-yaml failure; ``message`` is go-yaml's exact text and ``line`` the
    line it names (go-yaml's choice: often the context mark's line, and one
    too small for parser errors), or None.

    Syntax errors raised by :func:`load` also say where the scanner, parser or
    reader actually failed, for messages of one's own (``hostform build``);
    decoding errors (:func:`resolve`, :func:`decode_scalar`,
    :func:`struct_items`, :func:`type_error`, :func:`duplicate_key_errors`)
    say which node they are about:

    ``kind``
        ``"scanner"``, ``"parser"``, ``"reader"`` (invalid UTF-8 or a
        character YAML refuses), ``"depth"`` (exceeded max depth),
        ``"anchor"`` (an alias of an undefined anchor) or ``"decode"`` (a
        node that does not decode); ``""`` otherwise.
    ``problem``
        go-yaml's problem text without ``yaml: line N:``
        (``"did not find expected key"``).
    ``problem_line``, ``problem_column``
        1-based position of the problem mark: the character where the
        scanner stopped, or the first character of the token the parser
        could not use, or the character the reader refused.  Columns count
        characters (code points) from the start of the line, as go-yaml's
        marks do: a tab is one column, and so is a multi-byte UTF-8
        character; a byte order mark at the start of the text is not
        counted.  Lines end at LF, CR LF, CR, NEL, U+2028 and U+2029, as in
        YAML.
    ``context``, ``context_line``, ``context_column``
        go-yaml's context text (``"while parsing a block mapping"``) and the
        1-based position of the context mark (where the open construct
        started), or ``""`` and None.  A decoding error has no context text;
        its context position is that of an earlier node it conflicts with
        (a duplicate key's first definition, the anchor an alias repeats).

    A decoding error's problem position is the node's; the position
    attributes are None when unknown.
    """

    kind = ""
    problem = ""
    problem_line: int | None = None
    problem_column: int | None = None
    context = ""
    context_line: int | None = None
    context_column: int | None = None

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def _at(self, kind: str, problem: str, mark: Mark | None, context: str = "", cmark: Mark | None = None) -> Self:
        # marks are the scanner's (index, 0-based line, 0-based column)
        self.kind = kind
        self.problem = problem
        if mark is not None:
            self.problem_line = mark[1] + 1
            self.problem_column = mark[2] + 1
        self.context = context
        if cmark is not None:
            self.context_line = cmark[1] + 1
            self.context_column = cmark[2] + 1
        return self

    def _at_node(self, node: Node, first: Node | None = None) -> Self:
        # a decoding error: at the node it is about (``first``: an earlier
        # node it conflicts with, such as a key's first definition)
        self.kind = "decode"
        msg = self.message[6:] if self.message.startswith("yaml: ") else self.message
        if msg.startswith("line "):
            msg = msg.partition(": ")[2]
        self.problem = msg
        self.problem_line, self.problem_column = node.line, node.column
        if first is not None:
            self.context_line, self.context_column = first.line, first.column
        return self

    def _at_error(self, other: YAMLError) -> Self:
        self.kind, self.problem = other.kind, other.problem
        self.problem_line, self.problem_column = other.problem_line, other.problem_column
        self.context_line, self.context_column = other.context_line, other.context_column
        return self


class YAMLTypeError(YAMLError):
    """One entry of yaml.v3's ``TypeError`` list (``line N: cannot unmarshal ...``)."""


class _Node:
    """What every node has; a node is one of the three classes below (``Node``)."""

    __slots__ = ("kind", "tag", "value", "style", "line", "column", "anchor", "alias", "alias_name")
    kind: Literal["scalar", "sequence", "mapping"]
    items: tuple[()] | list[Node] | list[tuple[Node, Node]]
    alias: Self | None

    def __init__(self, tag: str, value: str, style: str, line: int, column: int) -> None:
        # a scalar's (ScalarNode has no __init__ of its own: most nodes are
        # scalars, and a call costs); the collections set their own kind after it
        self.kind = "scalar"
        self.tag = tag
        self.value = value
        self.style = style
        self.line = line
        self.column = column
        self.anchor = ""
        self.alias = None
        self.alias_name = ""

    def _aliased(self, name: str, line: int, column: int) -> Self:
        """A node for the alias ``*name`` of this one, at (line, column)."""
        n = type(self)(self.tag, self.value, self.style, line, column)
        n.alias = self
        n.alias_name = name
        return n

    def __repr__(self) -> str:
        if self.kind == "scalar":
            return f"Node(scalar {self.tag} {self.value!r} @{self.line}:{self.column})"
        return f"Node({self.kind} {self.tag} n={len(self.items)} @{self.line}:{self.column})"


class ScalarNode(_Node):
    """A scalar: ``value`` is its text, ``style`` "" (plain), ``'``, ``"``, ``|`` or ``>``."""

    __slots__ = ()
    kind: Literal["scalar"]
    items: tuple[()] = ()


class _Collection(_Node):
    """A sequence or a mapping: ``items`` is a list, which an alias of it shares."""

    __slots__ = ("items",)
    items: list[Node] | list[tuple[Node, Node]]

    def _aliased(self, name: str, line: int, column: int) -> Self:
        n = _Node._aliased(self, name, line, column)
        n.items = self.items
        return n


class SequenceNode(_Collection):
    """A sequence: ``items`` are its nodes; ``style`` is "[" (flow) or "" (block)."""

    __slots__ = ()
    kind: Literal["sequence"]
    items: list[Node]

    def __init__(self, tag: str, value: str, style: str, line: int, column: int) -> None:
        _Node.__init__(self, tag, value, style, line, column)
        self.kind = "sequence"
        self.items = []


class MappingNode(_Collection):
    """A mapping: ``items`` are its (key, value) node pairs, in document order; ``style`` is "{" (flow) or "" (block)."""

    __slots__ = ()
    kind: Literal["mapping"]
    items: list[tuple[Node, Node]]

    def __init__(self, tag: str, value: str, style: str, line: int, column: int) -> None:
        _Node.__init__(self, tag, value, style, line, column)
        self.kind = "mapping"
        self.items = []


Node = ScalarNode | SequenceNode | MappingNode


# ---------------------------------------------------------------------------
# Token kinds

T_STREAM_START = 1
T_STREAM_END = 2
T_VERSION = 3
T_TAGDIR = 4
T_DOC_START = 5
T_DOC_END = 6
T_BSEQ_START = 7
T_BMAP_START = 8
T_BLOCK_END = 9
T_FSEQ_START = 10
T_FSEQ_END = 11
T_FMAP_START = 12
T_FMAP_END = 13
T_BLOCK_ENTRY = 14
T_FLOW_ENTRY = 15
T_KEY = 16
T_VALUE = 17
T_ALIAS = 18
T_ANCHOR = 19
T_TAG = 20
T_SCALAR = 21

_BREAKS = frozenset("\n\u2028\u2029")
_BLANKZ = frozenset(" \t\n\u2028\u2029\0")
_BLANK_OR_BREAK = frozenset(" \t\n\u2028\u2029")
_ALPHA = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")
_HEX = frozenset("0123456789ABCDEFabcdef")
_URI = _ALPHA | frozenset(";/?:@&=+$,.!~*'()[]%")
_PLAIN_STOP_BLOCK = _BLANKZ | frozenset(":")
_PLAIN_STOP_FLOW = _BLANKZ | frozenset(":,?[]{}")
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`") | _BLANKZ
_ANCHOR_END = _BLANKZ | frozenset("?:,]}%@`")
_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b",
    "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "'": "'", "\\": "\\",
    "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_CODE_LEN = {"x": 2, "u": 4, "U": 8}
_MAX_DEPTH = 10000


class _Stop(Exception):
    """Internal: a libyaml-style error (scanner or parser) to be formatted.

    ``context_mark`` and ``problem_mark`` are scanner marks (index, 0-based
    line, 0-based column); ``context_mark`` is None when there is none."""

    def __init__(self, scanner: bool, context: str, context_mark: Mark | None, problem_mark: Mark, problem: str) -> None:
        self.scanner = scanner
        self.context = context
        self.context_mark = context_mark
        self.problem_mark = problem_mark
        self.problem = problem


class _ReaderStop(Exception):
    pass


# the context of a tag handle/URI error: in a tag, or in a %TAG directive
_TAG_CONTEXT = ("while parsing a tag", "while parsing a %TAG directive")


def _fail_text(e: _Stop) -> YAMLError:
    # yaml.v3 parser.fail(): the context mark wins, but only when its (0-based)
    # line is not 0; scanner errors add one, parser errors do not.
    line = 0
    cm = e.context_mark
    if cm is not None and cm[1] != 0:
        line = cm[1] + (1 if e.scanner else 0)
    elif e.problem_mark[1] != 0:
        line = e.problem_mark[1] + (1 if e.scanner else 0)
    msg = e.problem or "unknown problem parsing YAML content"
    if line:
        err = YAMLError(f"yaml: line {line}: {msg}", line)
    else:
        err = YAMLError("yaml: " + msg)
    return err._at("scanner" if e.scanner else "parser", msg, e.problem_mark, e.context, cm)


def _mark_at(s: str, i: int) -> Mark:
    """The scanner mark of index ``i`` of the (break-normalized) text ``s``."""
    ls = max(s.rfind("\n", 0, i), s.rfind("\u2028", 0, i), s.rfind("\u2029", 0, i)) + 1
    line = s.count("\n", 0, i) + s.count("\u2028", 0, i) + s.count("\u2029", 0, i)
    return (i, line, i - ls)


# ---------------------------------------------------------------------------
# Scanner


class _Scanner:
    def __init__(self, text: str, limit: int, reader_problem: str | None) -> None:
        # ``limit``: number of characters the Go reader manages to decode
        # before it meets the invalid character (``reader_problem``).
        self.n = limit
        self.s = text[:limit] + "\0\0\0\0\0\0\0\0"
        self.reader_problem = reader_problem
        self.lsps = "\u2028" in self.s or "\u2029" in self.s
        self.pos = 0
        self.line = 0
        self.lstart = 0
        self.tokens: list[Token] = []
        self.thead = 0
        self.parsed = 0
        self.indent = -1
        self.indents: list[int] = []
        self.flow_level = 0
        self.simple_keys: list[SimpleKey] = []
        self.skbt: dict[int, int] = {}  # token number of a possible simple key -> its index in simple_keys
        self.sk_allowed = False
        self.started = False
        self._available = False  # the token at thead is ready (no more fetching needed before peek returns it)

    # -- marks and errors -------------------------------------------------
    def mark(self) -> Mark:
        return (self.pos, self.line, self.pos - self.lstart)

    def _reader_check(self, ahead: int) -> None:
        if self.reader_problem is not None and self.pos + ahead > self.n:
            raise _ReaderStop(self.reader_problem)

    def serr(self, context: str, context_mark: Mark | None, problem: str) -> _Stop:
        # libyaml's scanner error: the problem mark is where the scanner is
        self._reader_check(4)
        return _Stop(True, context, context_mark, self.mark(), problem)

    def _newline(self, p: int) -> None:
        self.line += 1
        self.lstart = p + 1

    def _skip_span(self, a: int, b: int) -> None:
        """Account for line breaks in s[a:b] (pos is set by the caller)."""
        s = self.s
        c = s.count("\n", a, b)
        if self.lsps:
            c += s.count("\u2028", a, b) + s.count("\u2029", a, b)
        if c:
            self.line += c
            last = max(s.rfind("\n", a, b), s.rfind("\u2028", a, b), s.rfind("\u2029", a, b))
            self.lstart = last + 1

    def _eol(self, p: int) -> int:
        s = self.s
        j = s.find("\n", p, self.n)
        if j < 0:
            j = self.n
        if self.lsps:
            for ch in "\u2028\u2029":
                k = s.find(ch, p, j)
                if k >= 0:
                    j = k
        return j

    # -- token queue ------------------------------------------------------
    def insert(self, number: int, tok: Token) -> None:
        if number < 0:
            self.tokens.append(tok)
        else:
            self.tokens.insert(self.thead + number, tok)

    def peek(self) -> Token:
        if not self._available:
            self.fetch_more()
        return self.tokens[self.thead]

    def skip_token(self) -> None:
        self._available = False
        self.parsed += 1
        self.thead += 1
        if self.thead > 512 and self.thead * 2 > len(self.tokens):
            del self.tokens[: self.thead]
            self.thead = 0

    def fetch_more(self) -> None:
        tokens = self.tokens
        while True:
            if self.thead < len(tokens) - 2:
                idx = self.skbt.get(self.parsed)
                if idx is None:
                    break
                if not self.sk_valid(idx):
                    break
            self.fetch_next()
        self._available = True

    def sk_valid(self, i: int) -> bool:
        """Whether simple key ``i`` is still possible (one that went stale is no longer, or fails if required)."""
        sk = self.simple_keys[i]
        if not sk[0]:
            return False
        m = sk[3]
        if m[1] < self.line or m[0] + 1024 < self.pos:
            if sk[1]:
                raise self.serr("while scanning a simple key", m, "could not find expected ':'")
            self.simple_keys[i] = (False, sk[1], sk[2], m)
            return False
        return True

    def save_simple_key(self) -> None:
        if self.sk_allowed:
            col = self.pos - self.lstart
            required = self.flow_level == 0 and self.indent == col
            sk = (True, required, self.parsed + len(self.tokens) - self.thead, self.mark())
            self.remove_simple_key()
            self.simple_keys[-1] = sk
            self.skbt[sk[2]] = len(self.simple_keys) - 1

    def remove_simple_key(self) -> None:
        sk = self.simple_keys[-1]
        if sk[0]:
            if sk[1]:
                raise self.serr("while scanning a simple key", sk[3], "could not find expected ':'")
            self.simple_keys[-1] = (False, sk[1], sk[2], sk[3])
            self.skbt.pop(sk[2], None)

    def increase_flow_level(self) -> None:
        self.simple_keys.append((False, False, self.parsed + len(self.tokens) - self.thead, self.mark()))
        self.flow_level += 1
        if self.flow_level > _MAX_DEPTH:
            raise self.serr("while increasing flow level", self.simple_keys[-1][3], f"exceeded max depth of {_MAX_DEPTH}")

    def decrease_flow_level(self) -> None:
        if self.flow_level > 0:
            self.flow_level -= 1
            last = self.simple_keys.pop()
            self.skbt.pop(last[2], None)

    def roll_indent(self, column: int, number: int, typ: int, mark: Mark) -> None:
        if self.flow_level > 0:
            return
        if self.indent < column:
            self.indents.append(self.indent)
            self.indent = column
            if len(self.indents) > _MAX_DEPTH:
                raise self.serr("while increasing indent level", self.simple_keys[-1][3], f"exceeded max depth of {_MAX_DEPTH}")
            if number > -1:
                number -= self.parsed
            self.insert(number, (typ, mark, mark, "", ""))

    def unroll_indent(self, column: int, mark: Mark) -> None:
        if self.flow_level > 0:
            return
        while self.indent > column:
            self.tokens.append((T_BLOCK_END, mark, mark, "", ""))
            self.indent = self.indents.pop()

    # -- dispatcher ---------------------------------------------------------
    def fetch_next(self) -> None:
        s = self.s
        if not self.started:
            self._reader_check(1)
            self.started = True
            self.indent = -1
            self.simple_keys.append((False, False, 0, (0, 0, 0)))
            self.sk_allowed = True
            m = self.mark()
            self.tokens.append((T_STREAM_START, m, m, "", ""))
            return
        scan_mark = self.mark()
        self.scan_to_next_token()
        self.unroll_indent(self.pos - self.lstart, scan_mark)
        self._reader_check(4)
        pos = self.pos
        c = s[pos]
        if c == "\0" and pos >= self.n:
            return self.fetch_stream_end()
        col0 = pos == self.lstart
        if col0:
            if c == "%":
                return self.fetch_directive()
            if c == "-" and s[pos + 1] == "-" and s[pos + 2] == "-" and s[pos + 3] in _BLANKZ:
                return self.fetch_document_indicator(T_DOC_START)
            if c == "." and s[pos + 1] == "." and s[pos + 2] == "." and s[pos + 3] in _BLANKZ:
                return self.fetch_document_indicator(T_DOC_END)
        self.fetch_token(c)
        # Go's deferred line-comment scan: a comment after the token on the
        # same line is eaten here (this also eats tabs in front of it).
        if self.tokens[-1][0] != T_BLOCK_ENTRY:
            self.scan_line_comment()

    def fetch_token(self, c: str) -> None:
        s = self.s
        pos = self.pos
        fl = self.flow_level
        if c == "[":
            return self.fetch_flow_start(T_FSEQ_START)
        if c == "{":
            return self.fetch_flow_start(T_FMAP_START)
        if c == "]":
            return self.fetch_flow_end(T_FSEQ_END)
        if c == "}":
            return self.fetch_flow_end(T_FMAP_END)
        if c == ",":
            return self.fetch_flow_entry()
        nxt = s[pos + 1]
        if c == "-" and nxt in _BLANKZ:
            return self.fetch_block_entry()
        if c == "?" and (fl or nxt in _BLANKZ):
            return self.fetch_key()
        if c == ":" and (fl or nxt in _BLANKZ):
            return self.fetch_value()
        if c == "*":
            return self.fetch_anchor(T_ALIAS)
        if c == "&":
            return self.fetch_anchor(T_ANCHOR)
        if c == "!":
            return self.fetch_tag()
        if c == "|" and not fl:
            return self.fetch_block_scalar(True)
        if c == ">" and not fl:
            return self.fetch_block_scalar(False)
        if c == "'":
            return self.fetch_flow_scalar(True)
        if c == '"':
            return self.fetch_flow_scalar(False)
        if (
            c not in _NOT_PLAIN_START
            or (c == "-" and nxt not in " \t")
            or (not fl and (c == "?" or c == ":") and nxt not in _BLANKZ)
        ):
            return self.fetch_plain_scalar()
        raise self.serr("while scanning for the next token", self.mark(), "found character that cannot start any token")

    def scan_line_comment(self) -> None:
        s = self.s
        # Go skips this when a line break was consumed after the token's
        # last non-blank character.
        j = self.pos
        while j > 0 and s[j - 1] in " \t":
            j -= 1
        if j > 0 and s[j - 1] in _BREAKS:
            return
        p = self.pos
        k = 0
        while k < 512 and s[p + k] in " \t":
            k += 1
        if k < 512 and s[p + k] == "#":
            self.pos = self._eol(p + k)

    def scan_to_next_token(self) -> None:
        s = self.s
        while True:
            pos = self.pos
            if pos == self.lstart and s[pos] == "\ufeff":
                pos += 1
            if self.flow_level > 0 or not self.sk_allowed:
                while s[pos] in " \t":
                    pos += 1
            else:
                while s[pos] == " ":
                    pos += 1
            self.pos = pos
            c = s[pos]
            if c == "#":
                self.scan_comments()
                c = s[self.pos]
            if c in _BREAKS:
                self._newline(self.pos)
                self.pos += 1
                if self.flow_level == 0:
                    self.sk_allowed = True
            else:
                return

    def scan_comments(self) -> None:
        # Eat the comment and the comment lines that follow it (only blank
        # lines in between), as yaml.v3's comment collector does.
        s = self.s
        p = self._eol(self.pos)
        while True:
            k = 1
            while k < 512:
                c = s[p + k]
                if c in " \t" or (c in _BREAKS):
                    k += 1
                    continue
                break
            if k < 512 and s[p + k] == "#":
                self._skip_span(p, p + k)
                p = self._eol(p + k)
                continue
            break
        self.pos = p

    # -- simple fetchers -------------------------------------------------
    def fetch_stream_end(self) -> None:
        if self.pos != self.lstart:
            self.line += 1
            self.lstart = self.pos
        m = self.mark()
        self.unroll_indent(-1, m)
        self.remove_simple_key()
        self.sk_allowed = False
        self.tokens.append((T_STREAM_END, m, m, "", ""))

    def fetch_document_indicator(self, typ: int) -> None:
        self.unroll_indent(-1, self.mark())
        self.remove_simple_key()
        self.sk_allowed = False
        start = self.mark()
        self.pos += 3
        self.tokens.append((typ, start, self.mark(), "", ""))

    def fetch_flow_start(self, typ: int) -> None:
        self.save_simple_key()
        self.increase_flow_level()
        self.sk_allowed = True
        start = self.mark()
        self.pos += 1
        self.tokens.append((typ, start, self.mark(), "", ""))

    def fetch_flow_end(self, typ: int) -> None:
        self.remove_simple_key()
        self.decrease_flow_level()
        self.sk_allowed = False
        start = self.mark()
        self.pos += 1
        self.tokens.append((typ, start, self.mark(), "", ""))

    def fetch_flow_entry(self) -> None:
        self.remove_simple_key()
        self.sk_allowed = True
        start = self.mark()
        self.pos += 1
        self.tokens.append((T_FLOW_ENTRY, start, self.mark(), "", ""))

    def fetch_block_entry(self) -> None:
        if self.flow_level == 0:
            if not self.sk_allowed:
                raise self.serr("", self.mark(), "block sequence entries are not allowed in this context")
            m = self.mark()
            self.roll_indent(m[2], -1, T_BSEQ_START, m)
        self.remove_simple_key()
        self.sk_allowed = True
        start = self.mark()
        self.pos += 1
        self.tokens.append((T_BLOCK_ENTRY, start, self.mark(), "", ""))

    def fetch_key(self) -> None:
        if self.flow_level == 0:
            if not self.sk_allowed:
                raise self.serr("", self.mark(), "mapping keys are not allowed in this context")
            m = self.mark()
            self.roll_indent(m[2], -1, T_BMAP_START, m)
        self.remove_simple_key()
        self.sk_allowed = self.flow_level == 0
        start = self.mark()
        self.pos += 1
        self.tokens.append((T_KEY, start, self.mark(), "", ""))

    def fetch_value(self) -> None:
        if self.sk_valid(-1):
            sk = self.simple_keys[-1]
            m = sk[3]
            self.insert(sk[2] - self.parsed, (T_KEY, m, m, "", ""))
            self.roll_indent(m[2], sk[2], T_BMAP_START, m)
            self.simple_keys[-1] = (False, sk[1], sk[2], m)
            self.skbt.pop(sk[2], None)
            self.sk_allowed = False
        else:
            if self.flow_level == 0:
                if not self.sk_allowed:
                    raise self.serr("", self.mark(), "mapping values are not allowed in this context")
                m = self.mark()
                self.roll_indent(m[2], -1, T_BMAP_START, m)
            self.sk_allowed = self.flow_level == 0
        start = self.mark()
        self.pos += 1
        self.tokens.append((T_VALUE, start, self.mark(), "", ""))

    # -- directives ---------------------------------------------------------
    def fetch_directive(self) -> None:
        self.unroll_indent(-1, self.mark())
        self.remove_simple_key()
        self.sk_allowed = False
        s = self.s
        start = self.mark()
        self.pos += 1
        p = self.pos
        while s[p] in _ALPHA:
            p += 1
        name = s[self.pos : p]
        self.pos = p
        if not name:
            raise self.serr("while scanning a directive", start, "could not find expected directive name")
        if s[p] not in _BLANKZ:
            raise self.serr("while scanning a directive", start, "found unexpected non-alphabetical character")
        if name == "YAML":
            self.skip_blanks()
            major = self.scan_version_number(start)
            if s[self.pos] != ".":
                raise self.serr("while scanning a %YAML directive", start, "did not find expected digit or '.' character")
            self.pos += 1
            minor = self.scan_version_number(start)
            tok = (T_VERSION, start, self.mark(), f"{major}.{minor}", "")
        elif name == "TAG":
            self.skip_blanks()
            handle = self.scan_tag_handle(True, start)
            if s[self.pos] not in " \t":
                raise self.serr("while scanning a %TAG directive", start, "did not find expected whitespace")
            self.skip_blanks()
            prefix = self.scan_tag_uri(True, "", start)
            if s[self.pos] not in _BLANKZ:
                raise self.serr("while scanning a %TAG directive", start, "did not find expected whitespace or line break")
            tok = (T_TAGDIR, start, self.mark(), handle, prefix)
        else:
            raise self.serr("while scanning a directive", start, "found unknown directive name")
        self.skip_blanks()
        if s[self.pos] == "#":
            self.pos = self._eol(self.pos)
        c = s[self.pos]
        if c not in _BREAKS and not (c == "\0" and self.pos >= self.n):
            raise self.serr("while scanning a directive", start, "did not find expected comment or line break")
        if c in _BREAKS:
            self._newline(self.pos)
            self.pos += 1
        self.tokens.append(tok)

    def skip_blanks(self) -> None:
        s = self.s
        p = self.pos
        while s[p] in " \t":
            p += 1
        self.pos = p

    def scan_version_number(self, start: Mark) -> int:
        s = self.s
        value = 0
        length = 0
        while s[self.pos] in _DIGITS:
            length += 1
            if length > 2:
                raise self.serr("while scanning a %YAML directive", start, "found extremely long version number")
            value = value * 10 + int(s[self.pos])
            self.pos += 1
        if length == 0:
            raise self.serr("while scanning a %YAML directive", start, "did not find expected version number")
        return value

    # -- anchors and tags ---------------------------------------------------
    def fetch_anchor(self, typ: int) -> None:
        self.save_simple_key()
        self.sk_allowed = False
        s = self.s
        start = self.mark()
        p = self.pos + 1
        q = p
        while s[q] in _ALPHA:
            q += 1
        self.pos = q
        if q == p or s[q] not in _ANCHOR_END:
            raise self.serr(
                "while scanning an alias" if typ == T_ALIAS else "while scanning an anchor",
                start,
                "did not find expected alphabetic or numeric character",
            )
        self.tokens.append((typ, start, self.mark(), s[p:q], ""))

    def fetch_tag(self) -> None:
        self.save_simple_key()
        self.sk_allowed = False
        s = self.s
        start = self.mark()
        if s[self.pos + 1] == "<":
            self.pos += 2
            handle = ""
            suffix = self.scan_tag_uri(False, "", start)
            if s[self.pos] != ">":
                raise self.serr("while scanning a tag", start, "did not find the expected '>'")
            self.pos += 1
        else:
            handle = self.scan_tag_handle(False, start)
            if handle[0] == "!" and len(handle) > 1 and handle[-1] == "!":
                suffix = self.scan_tag_uri(False, "", start)
            else:
                suffix = self.scan_tag_uri(False, handle, start)
                handle = "!"
                if not suffix:
                    handle, suffix = suffix, handle
        if s[self.pos] not in _BLANKZ:
            raise self.serr("while scanning a tag", start, "did not find expected whitespace or line break")
        self.tokens.append((T_TAG, start, self.mark(), handle, suffix))

    def scan_tag_handle(self, directive: bool, start: Mark) -> str:
        s = self.s
        if s[self.pos] != "!":
            raise self.serr(_TAG_CONTEXT[directive], start, "did not find expected '!'")
        p = self.pos + 1
        while s[p] in _ALPHA:
            p += 1
        if s[p] == "!":
            p += 1
        elif directive and p - self.pos != 1:
            self.pos = p
            raise self.serr(_TAG_CONTEXT[directive], start, "did not find expected '!'")
        h = s[self.pos : p]
        self.pos = p
        return h

    def scan_tag_uri(self, directive: bool, head: str, start: Mark) -> str:
        s = self.s
        out = [head[1:]] if len(head) > 1 else []
        has = len(head) > 0
        while s[self.pos] in _URI:
            if s[self.pos] == "%":
                out.append(self.scan_uri_escapes(directive, start))
            else:
                p = self.pos
                while s[p] in _URI and s[p] != "%":
                    p += 1
                out.append(s[self.pos : p])
                self.pos = p
            has = True
        if not has:
            raise self.serr(_TAG_CONTEXT[directive], start, "did not find expected tag URI")
        return "".join(out)

    def scan_uri_escapes(self, directive: bool, start: Mark) -> str:
        s = self.s
        data = bytearray()
        w = 1024
        while w > 0:
            p = self.pos
            if not (s[p] == "%" and s[p + 1] in _HEX and s[p + 2] in _HEX):
                raise self.serr(_TAG_CONTEXT[directive], start, "did not find URI escaped octet")
            octet = int(s[p + 1 : p + 3], 16)
            if w == 1024:
                w = _utf8_width(octet)
                if w == 0:
                    raise self.serr(_TAG_CONTEXT[directive], start, "found an incorrect leading UTF-8 octet")
            elif octet & 0xC0 != 0x80:
                raise self.serr(_TAG_CONTEXT[directive], start, "found an incorrect trailing UTF-8 octet")
            data.append(octet)
            self.pos += 3
            w -= 1
        return data.decode("utf-8", "replace")

    # -- scalars ------------------------------------------------------------
    def fetch_block_scalar(self, literal: bool) -> None:
        self.remove_simple_key()
        self.sk_allowed = True
        self.tokens.append(self.scan_block_scalar(literal))

    def fetch_flow_scalar(self, single: bool) -> None:
        self.save_simple_key()
        self.sk_allowed = False
        self.tokens.append(self.scan_flow_scalar(single))

    def fetch_plain_scalar(self) -> None:
        self.save_simple_key()
        self.sk_allowed = False
        self.tokens.append(self.scan_plain_scalar())

    def scan_block_scalar(self, literal: bool) -> Token:
        s = self.s
        start = self.mark()
        self.pos += 1
        chomping = 0
        increment = 0
        c = s[self.pos]
        if c in "+-":
            chomping = 1 if c == "+" else -1
            self.pos += 1
            c = s[self.pos]
            if c in "0123456789":
                if c == "0":
                    raise self.serr("while scanning a block scalar", start, "found an indentation indicator equal to 0")
                increment = int(c)
                self.pos += 1
        elif c in "0123456789":
            if c == "0":
                raise self.serr("while scanning a block scalar", start, "found an indentation indicator equal to 0")
            increment = int(c)
            self.pos += 1
            c = s[self.pos]
            if c in "+-":
                chomping = 1 if c == "+" else -1
                self.pos += 1
        self.skip_blanks()
        if s[self.pos] == "#":
            self.pos = self._eol(self.pos)
        c = s[self.pos]
        if c not in _BREAKS and not (c == "\0" and self.pos >= self.n):
            raise self.serr("while scanning a block scalar", start, "did not find expected comment or line break")
        if c in _BREAKS:
            self._newline(self.pos)
            self.pos += 1
        end_mark = self.mark()
        indent = 0
        if increment > 0:
            indent = self.indent + increment if self.indent >= 0 else increment
        out: list[str] = []
        leading_break = ""
        trailing: list[str] = []
        indent, end_mark = self.block_scalar_breaks(indent, trailing, start, end_mark)
        leading_blank = False
        n = self.n
        while self.pos - self.lstart == indent and self.pos < n:
            trailing_blank = s[self.pos] in " \t"
            if not literal and not leading_blank and not trailing_blank and leading_break[:1] == "\n":
                if not trailing:
                    out.append(" ")
            else:
                out.append(leading_break)
            leading_break = ""
            out.extend(trailing)
            trailing.clear()
            leading_blank = s[self.pos] in " \t"
            e = self._eol(self.pos)
            out.append(s[self.pos : e])
            self.pos = e
            if s[e] in _BREAKS:
                leading_break = s[e]
                self._newline(e)
                self.pos = e + 1
            indent, end_mark = self.block_scalar_breaks(indent, trailing, start, end_mark)
        if chomping != -1:
            out.append(leading_break)
        if chomping == 1:
            out.extend(trailing)
        return (T_SCALAR, start, end_mark, "".join(out), "|" if literal else ">")

    def block_scalar_breaks(self, indent: int, breaks: list[str], start: Mark, end_mark: Mark) -> tuple[int, Mark]:
        s = self.s
        end_mark = self.mark()
        max_indent = 0
        while True:
            p = self.pos
            ls = self.lstart
            while (indent == 0 or p - ls < indent) and s[p] == " ":
                p += 1
            self.pos = p
            if p - ls > max_indent:
                max_indent = p - ls
            if (indent == 0 or p - ls < indent) and s[p] == "\t":
                raise self.serr("while scanning a block scalar", start, "found a tab character where an indentation space is expected")
            c = s[p]
            if c not in _BREAKS:
                break
            breaks.append(c)
            self._newline(p)
            self.pos = p + 1
            end_mark = self.mark()
        if indent == 0:
            indent = max_indent
            if indent < self.indent + 1:
                indent = self.indent + 1
            if indent < 1:
                indent = 1
        return indent, end_mark

    def scan_flow_scalar(self, single: bool) -> Token:
        s = self.s
        n = self.n
        start = self.mark()
        self.pos += 1
        out: list[str] = []
        stop = _BLANKZ | (frozenset("'") if single else frozenset('"\\'))
        while True:
            p = self.pos
            if (
                p == self.lstart
                and (s.startswith("---", p) or s.startswith("...", p))
                and s[p + 3] in _BLANKZ
            ):
                raise self.serr("while scanning a quoted scalar", start, "found unexpected document indicator")
            if s[p] == "\0" and p >= n:
                raise self.serr("while scanning a quoted scalar", start, "found unexpected end of stream")
            leading_blanks = False
            while True:
                q = p
                while s[q] not in stop:
                    q += 1
                if q > p:
                    out.append(s[p:q])
                    p = q
                c = s[p]
                if c in _BLANKZ:
                    if c == "\0" and p < n:
                        out.append(c)
                        p += 1
                        continue
                    break
                if single:
                    if s[p + 1] == "'":
                        out.append("'")
                        p += 2
                        continue
                    break
                if c == '"':
                    break
                # backslash
                nx = s[p + 1]
                if nx in _BREAKS:
                    self._newline(p + 1)
                    p += 2
                    leading_blanks = True
                    break
                esc = _ESCAPES.get(nx)
                if esc is not None:
                    out.append(esc)
                    p += 2
                    continue
                length = _CODE_LEN.get(nx)
                if length is None:
                    self.pos = p
                    raise self.serr("while parsing a quoted scalar", start, "found unknown escape character")
                p += 2
                value = 0
                for k in range(length):
                    h = s[p + k]
                    if h not in _HEX:
                        self.pos = p
                        raise self.serr("while parsing a quoted scalar", start, "did not find expected hexdecimal number")
                    value = (value << 4) + int(h, 16)
                if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
                    self.pos = p
                    raise self.serr("while parsing a quoted scalar", start, "found invalid Unicode character escape code")
                out.append(chr(value))
                p += length
            self.pos = p
            c = s[p]
            if c == ("'" if single else '"'):
                break
            whitespaces = ""
            leading_break = ""
            trailing = ""
            while True:
                c = s[p]
                if c == " " or c == "\t":
                    if not leading_blanks:
                        whitespaces += c
                    p += 1
                elif c in _BREAKS:
                    if not leading_blanks:
                        whitespaces = ""
                        leading_break = c
                        leading_blanks = True
                    else:
                        trailing += c
                    self._newline(p)
                    p += 1
                else:
                    break
            self.pos = p
            if leading_blanks:
                if leading_break[:1] == "\n":
                    out.append(trailing if trailing else " ")
                else:
                    out.append(leading_break)
                    out.append(trailing)
            else:
                out.append(whitespaces)
        self.pos += 1
        return (T_SCALAR, start, self.mark(), "".join(out), "'" if single else '"')

    def scan_plain_scalar(self) -> Token:
        s = self.s
        n = self.n
        indent = self.indent + 1
        start = self.mark()
        end_mark = start
        out: list[str] = []
        leading_blanks = False
        leading_break = ""
        trailing = ""
        whitespaces = ""
        stop = _PLAIN_STOP_FLOW if self.flow_level else _PLAIN_STOP_BLOCK
        flow = self.flow_level > 0
        p = self.pos
        while True:
            if (
                p == self.lstart
                and (s.startswith("---", p) or s.startswith("...", p))
                and s[p + 3] in _BLANKZ
            ):
                break
            if s[p] == "#":
                break
            q = p
            while True:
                c = s[q]
                if c in stop:
                    if c == ":":
                        if s[q + 1] in _BLANKZ:
                            break
                        q += 1
                        continue
                    if c == "\0" and q < n:
                        q += 1
                        continue
                    if flow and c in ",?[]{}":
                        break
                    if c in _BLANKZ:
                        break
                q += 1
            if q > p:
                if leading_blanks:
                    if leading_break == "\n":
                        out.append(trailing if trailing else " ")
                    else:
                        out.append(leading_break)
                        out.append(trailing)
                    trailing = ""
                    leading_break = ""
                    leading_blanks = False
                elif whitespaces:
                    out.append(whitespaces)
                    whitespaces = ""
                out.append(s[p:q])
                p = q
                end_mark = (p, self.line, p - self.lstart)
            c = s[p]
            if c not in _BLANK_OR_BREAK:
                break
            while True:
                c = s[p]
                if c == " " or c == "\t":
                    if leading_blanks and p - self.lstart < indent and c == "\t":
                        self.pos = p
                        raise self.serr("while scanning a plain scalar", start, "found a tab character that violates indentation")
                    if not leading_blanks:
                        whitespaces += c
                    p += 1
                elif c in _BREAKS:
                    if not leading_blanks:
                        whitespaces = ""
                        leading_break = c
                        leading_blanks = True
                    else:
                        trailing += c
                    self._newline(p)
                    p += 1
                else:
                    break
            if not flow and p - self.lstart < indent:
                break
        self.pos = p
        if leading_blanks:
            self.sk_allowed = True
        return (T_SCALAR, start, end_mark, "".join(out), "")


def _utf8_width(b: int) -> int:
    if b & 0x80 == 0:
        return 1
    if b & 0xE0 == 0xC0:
        return 2
    if b & 0xF0 == 0xE0:
        return 3
    if b & 0xF8 == 0xF0:
        return 4
    return 0


# ---------------------------------------------------------------------------
# Parser: libyaml's state machine written as recursive descent, building the
# node tree the way yaml.v3's decode.go parser does.

_DEFAULT_TAGS = (("!", "!"), ("!!", "tag:yaml.org,2002:"))


class _Parser:
    def __init__(self, sc: _Scanner) -> None:
        self.sc = sc
        self.tag_directives: list[tuple[str, str]] = []  # (handle, prefix)
        self.anchors: dict[str, Node] = {}

    def perr(self, context: str, context_mark: Mark | None, problem: str, problem_mark: Mark) -> _Stop:
        return _Stop(False, context, context_mark, problem_mark, problem)

    # -- documents ------------------------------------------------------------
    def parse_first_document(self) -> Node | None:
        sc = self.sc
        tok = sc.peek()
        if tok[0] != T_STREAM_START:
            raise self.perr("", None, "did not find expected <stream-start>", tok[1])
        sc.skip_token()
        tok = sc.peek()
        if tok[0] not in (T_VERSION, T_TAGDIR, T_DOC_START, T_STREAM_END):
            self.process_directives()
            node = self.parse_node(True, False)
        elif tok[0] != T_STREAM_END:
            self.process_directives()
            tok = sc.peek()
            if tok[0] != T_DOC_START:
                raise self.perr("", None, "did not find expected <document start>", tok[1])
            sc.skip_token()
            tok = sc.peek()
            if tok[0] in (T_VERSION, T_TAGDIR, T_DOC_START, T_DOC_END, T_STREAM_END):
                node = self.empty(tok[1])
            else:
                node = self.parse_node(True, False)
        else:
            return None
        # DOCUMENT-END event: yaml.v3 still asks for it (look-ahead happens).
        tok = sc.peek()
        if tok[0] == T_DOC_END:
            sc.skip_token()
        return node

    def process_directives(self) -> None:
        sc = self.sc
        version = None
        tok = sc.peek()
        while tok[0] in (T_VERSION, T_TAGDIR):
            if tok[0] == T_VERSION:
                if version is not None:
                    raise self.perr("", None, "found duplicate %YAML directive", tok[1])
                if tok[3] != "1.1":
                    raise self.perr("", None, "found incompatible YAML document", tok[1])
                version = tok[3]
            else:
                for h, _ in self.tag_directives:
                    if h == tok[3]:
                        raise self.perr("", None, "found duplicate %TAG directive", tok[1])
                self.tag_directives.append((tok[3], tok[4]))
            sc.skip_token()
            tok = sc.peek()
        for h, pfx in _DEFAULT_TAGS:
            if all(h != h2 for h2, _ in self.tag_directives):
                self.tag_directives.append((h, pfx))

    # -- nodes ------------------------------------------------------------------
    def empty(self, mark: Mark) -> ScalarNode:
        return ScalarNode("!!null", "", "", mark[1] + 1, mark[2] + 1)

    def parse_node(self, block: bool, indentless: bool) -> Node:
        sc = self.sc
        tok = sc.peek()
        typ = tok[0]
        if typ == T_ALIAS:
            sc.skip_token()
            name = tok[3]
            target = self.anchors.get(name)
            if target is None:
                msg = f"unknown anchor '{name}' referenced"
                raise YAMLError("yaml: " + msg)._at("anchor", msg, tok[1])
            return target._aliased(name, tok[1][1] + 1, tok[1][2] + 1)
        start = tok[1]
        anchor = ""
        tag: str | None = None
        tag_mark = start
        handle: str | None = None
        suffix = ""
        if typ == T_ANCHOR:
            anchor = tok[3]
            sc.skip_token()
            tok = sc.peek()
            if tok[0] == T_TAG:
                handle, suffix, tag_mark = tok[3], tok[4], tok[1]
                sc.skip_token()
                tok = sc.peek()
        elif typ == T_TAG:
            handle, suffix, tag_mark = tok[3], tok[4], tok[1]
            sc.skip_token()
            tok = sc.peek()
            if tok[0] == T_ANCHOR:
                anchor = tok[3]
                sc.skip_token()
                tok = sc.peek()
        if handle is not None:
            if not handle:
                tag = suffix
            else:
                for h, pfx in self.tag_directives:
                    if h == handle:
                        tag = pfx + suffix
                        break
                if not tag:
                    raise self.perr("while parsing a node", start, "found undefined tag handle", tag_mark)
        typ = tok[0]
        line = start[1] + 1
        col = start[2] + 1
        explicit = tag if tag is not None and tag != "" and tag != "!" else None
        if indentless and typ == T_BLOCK_ENTRY:
            seq = self._sequence(explicit, "", line, col, anchor)
            self.indentless_sequence(seq)
            return seq
        if typ == T_SCALAR:
            sc.skip_token()
            style = tok[4]
            value = tok[3]
            if explicit is not None:
                t = _short_tag(explicit)
            elif style:
                t = "!!str"
            elif value == "<<":
                t = "!!merge"
            else:
                t = _resolve_tag(value)
            n = ScalarNode(t, value, style, line, col)
            if anchor:
                self._anchor(n, anchor)
            return n
        if typ == T_FSEQ_START:
            seq = self._sequence(explicit, "[", line, col, anchor)
            self.flow_sequence(seq)
            return seq
        if typ == T_FMAP_START:
            mapping = self._mapping(explicit, "{", line, col, anchor)
            self.flow_mapping(mapping)
            return mapping
        if block and typ == T_BSEQ_START:
            seq = self._sequence(explicit, "", line, col, anchor)
            self.block_sequence(seq)
            return seq
        if block and typ == T_BMAP_START:
            mapping = self._mapping(explicit, "", line, col, anchor)
            self.block_mapping(mapping)
            return mapping
        if anchor or tag:
            t = _short_tag(explicit) if explicit is not None else "!!null"
            n = ScalarNode(t, "", "", line, col)
            if anchor:
                self._anchor(n, anchor)
            return n
        raise self.perr(
            "while parsing a block node" if block else "while parsing a flow node", start, "did not find expected node content", tok[1]
        )

    def _anchor(self, n: Node, anchor: str) -> None:
        """Register ``n`` under ``anchor`` for later aliases."""
        n.anchor = anchor
        self.anchors[anchor] = n

    def _sequence(self, tag: str | None, style: str, line: int, col: int, anchor: str) -> SequenceNode:
        n = SequenceNode(_short_tag(tag) if tag is not None else "!!seq", "", style, line, col)
        if anchor:
            self._anchor(n, anchor)
        return n

    def _mapping(self, tag: str | None, style: str, line: int, col: int, anchor: str) -> MappingNode:
        n = MappingNode(_short_tag(tag) if tag is not None else "!!map", "", style, line, col)
        if anchor:
            self._anchor(n, anchor)
        return n

    def block_sequence(self, n: SequenceNode) -> None:
        sc = self.sc
        items = n.items
        cmark = sc.peek()[1]
        sc.skip_token()
        while True:
            tok = sc.peek()
            if tok[0] == T_BLOCK_ENTRY:
                mark = tok[2]
                sc.skip_token()
                tok = sc.peek()
                if tok[0] != T_BLOCK_ENTRY and tok[0] != T_BLOCK_END:
                    items.append(self.parse_node(True, False))
                else:
                    items.append(self.empty(mark))
            elif tok[0] == T_BLOCK_END:
                sc.skip_token()
                return
            else:
                raise self.perr("while parsing a block collection", cmark, "did not find expected '-' indicator", tok[1])

    def indentless_sequence(self, n: SequenceNode) -> None:
        sc = self.sc
        items = n.items
        while True:
            tok = sc.peek()
            if tok[0] != T_BLOCK_ENTRY:
                return
            mark = tok[2]
            sc.skip_token()
            tok = sc.peek()
            if tok[0] not in (T_BLOCK_ENTRY, T_KEY, T_VALUE, T_BLOCK_END):
                items.append(self.parse_node(True, False))
            else:
                items.append(self.empty(mark))

    def block_mapping(self, n: MappingNode) -> None:
        sc = self.sc
        items = n.items
        cmark = sc.peek()[1]
        sc.skip_token()
        while True:
            tok = sc.peek()
            if tok[0] == T_KEY:
                mark = tok[2]
                sc.skip_token()
                tok = sc.peek()
                if tok[0] not in (T_KEY, T_VALUE, T_BLOCK_END):
                    key = self.parse_node(True, True)
                else:
                    key = self.empty(mark)
            elif tok[0] == T_BLOCK_END:
                sc.skip_token()
                return
            else:
                raise self.perr("while parsing a block mapping", cmark, "did not find expected key", tok[1])
            tok = sc.peek()
            if tok[0] == T_VALUE:
                mark = tok[2]
                sc.skip_token()
                tok = sc.peek()
                if tok[0] not in (T_KEY, T_VALUE, T_BLOCK_END):
                    value = self.parse_node(True, True)
                else:
                    value = self.empty(mark)
            else:
                value = self.empty(tok[1])
            items.append((key, value))

    def flow_sequence(self, n: SequenceNode) -> None:
        sc = self.sc
        items = n.items
        cmark = sc.peek()[1]
        sc.skip_token()
        first = True
        while True:
            tok = sc.peek()
            if tok[0] == T_FSEQ_END:
                sc.skip_token()
                return
            if not first:
                if tok[0] == T_FLOW_ENTRY:
                    sc.skip_token()
                    tok = sc.peek()
                else:
                    raise self.perr("while parsing a flow sequence", cmark, "did not find expected ',' or ']'", tok[1])
            first = False
            if tok[0] == T_KEY:
                m = MappingNode("!!map", "", "{", tok[1][1] + 1, tok[1][2] + 1)
                sc.skip_token()
                tok = sc.peek()
                if tok[0] not in (T_VALUE, T_FLOW_ENTRY, T_FSEQ_END):
                    key = self.parse_node(False, False)
                else:
                    mark = tok[2]
                    sc.skip_token()
                    key = self.empty(mark)
                tok = sc.peek()
                if tok[0] == T_VALUE:
                    sc.skip_token()
                    tok2 = sc.peek()
                    if tok2[0] not in (T_FLOW_ENTRY, T_FSEQ_END):
                        value = self.parse_node(False, False)
                    else:
                        value = self.empty(tok[1])
                else:
                    value = self.empty(tok[1])
                sc.peek()
                m.items.append((key, value))
                items.append(m)
            elif tok[0] != T_FSEQ_END:
                items.append(self.parse_node(False, False))

    def flow_mapping(self, n: MappingNode) -> None:
        sc = self.sc
        items = n.items
        cmark = sc.peek()[1]
        sc.skip_token()
        first = True
        while True:
            tok = sc.peek()
            if tok[0] == T_FMAP_END:
                sc.skip_token()
                return
            if not first:
                if tok[0] == T_FLOW_ENTRY:
                    sc.skip_token()
                    tok = sc.peek()
                else:
                    raise self.perr("while parsing a flow mapping", cmark, "did not find expected ',' or '}'", tok[1])
            first = False
            if tok[0] == T_KEY:
                sc.skip_token()
                tok = sc.peek()
                if tok[0] not in (T_VALUE, T_FLOW_ENTRY, T_FMAP_END):
                    key = self.parse_node(False, False)
                else:
                    key = self.empty(tok[1])
            elif tok[0] != T_FMAP_END:
                key = self.parse_node(False, False)
                items.append((key, self.empty(sc.peek()[1])))
                continue
            else:
                continue
            tok = sc.peek()
            if tok[0] == T_VALUE:
                sc.skip_token()
                tok = sc.peek()
                if tok[0] not in (T_FLOW_ENTRY, T_FMAP_END):
                    value = self.parse_node(False, False)
                else:
                    value = self.empty(tok[1])
            else:
                value = self.empty(tok[1])
            items.append((key, value))


# ---------------------------------------------------------------------------
# Reader: decoding and the characters yaml.v3 refuses.


def _bad_char_index(text: str) -> int:
    """Index of the first character the Go reader refuses, or -1."""
    if text.isascii():
        data = text.encode("ascii")
        bad = data.translate(None, _ASCII_OK)
        if not bad:
            return -1
        return min(data.find(bytes([b])) for b in set(bad))
    best = -1
    for i, ch in enumerate(text):
        o = ord(ch)
        if o < 0x20:
            if ch in "\t\n\r":
                continue
        elif o < 0x7F or o == 0x85 or 0xA0 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000:
            continue
        best = i
        break
    return best


_ASCII_OK = bytes([9, 10, 13]) + bytes(range(0x20, 0x7F))


def _decode(text: str | bytes) -> tuple[str, int, str | None]:
    """Return (text, limit, reader_problem)."""
    problem = None
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            enc = "utf-16-le" if raw[:2] == b"\xff\xfe" else "utf-16-be"
            try:
                s = raw[2:].decode(enc)
            except UnicodeDecodeError as e:
                return raw[2:][: e.start].decode(enc), e.start // 2, "incomplete UTF-16 character"
            return _check_chars(s, None)
        if raw[:3] == b"\xef\xbb\xbf":
            raw = raw[3:]
        try:
            s = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            problem = _utf8_problem(raw, e.start)
            good = raw[: e.start].decode("utf-8")
            t, lim, prob = _check_chars(good, raw)
            if prob is not None:
                return t, lim, prob
            return good, _limit_for(raw, e.start, good), problem
        return _check_chars(s, raw)
    s = text
    if s[:1] == "\ufeff":
        s = s[1:]
    return _check_chars(s, None)


def _check_chars(s: str, raw: bytes | None) -> tuple[str, int, str | None]:
    i = _bad_char_index(s)
    if i < 0:
        return s, len(s), None
    o = ord(s[i])
    problem = "control characters are not allowed"
    if 0xD800 <= o <= 0xDFFF:
        problem = "invalid Unicode character"
    if raw is None:
        raw = s.encode("utf-8", "surrogatepass")
    off = len(s[:i].encode("utf-8", "surrogatepass"))
    return s, _limit_for(raw, off, s), problem


def _limit_for(raw: bytes, off: int, s: str) -> int:
    """Characters the Go reader decodes before the 512-byte chunk holding ``off``."""
    start = 0
    n = len(raw)
    while True:
        end = start + 512
        if end >= n or off < end:
            break
        nxt = end
        while nxt > start and (raw[nxt] & 0xC0) == 0x80:
            nxt -= 1
        if off < nxt:
            break
        start = nxt
    return len(raw[:start].decode("utf-8", "replace"))


def _utf8_problem(raw: bytes, i: int) -> str:
    b = raw[i]
    w = _utf8_width(b)
    if w == 0:
        return "invalid leading UTF-8 octet"
    if i + w > len(raw):
        return "incomplete UTF-8 octet sequence"
    for k in range(1, w):
        if raw[i + k] & 0xC0 != 0x80:
            return "invalid trailing UTF-8 octet"
    return "invalid length of a UTF-8 sequence" if _overlong(raw[i : i + w]) else "invalid Unicode character"


def _overlong(seq: bytes) -> bool:
    w = len(seq)
    v = seq[0] & (0x7F >> w)
    for b in seq[1:]:
        v = (v << 6) | (b & 0x3F)
    return (w == 2 and v < 0x80) or (w == 3 and v < 0x800) or (w == 4 and v < 0x10000)


# ---------------------------------------------------------------------------
# load


def _normalize_breaks(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n")


def load(text: str | bytes) -> Node | None:
    """Parse the first YAML document of ``text`` (yaml.v3 Unmarshal semantics)."""
    import gc
    import sys

    s, limit, problem = _decode(text)
    if limit == 0 and problem is None:
        s, limit = "\n", 1  # yaml.v3 feeds "\n" for empty input
    if "\r" in s or "\x85" in s:
        # CR LF, CR and NEL are all read as one "\n" line break by yaml.v3.
        limit = len(_normalize_breaks(s[:limit]))
        s = _normalize_breaks(s)
    # Building the tree makes many small objects and no garbage: the cyclic
    # collector would only walk them again and again.
    gc_on = gc.isenabled()
    gc.disable()
    old = sys.getrecursionlimit()
    sc = None
    try:
        if problem is None:
            # the common block-style document, read line by line; None when
            # the text needs the full scanner and parser below (which own
            # every error message).  Imported here, not at the top: _yamlfast
            # imports this module.
            from hostform._yamlfast import fast_load

            node = fast_load(s)
            if node is not None:
                return node
        if old < 40000:
            sys.setrecursionlimit(40000)
        sc = _Scanner(s, limit, problem)
        return _Parser(sc).parse_first_document()
    except _Stop as e:
        raise _fail_text(e) from None
    except _ReaderStop as e:
        # the refused character: the first one the reader refuses, or the
        # one where decoding stopped (the text ends there)
        i = _bad_char_index(s)
        raise YAMLError("yaml: " + str(e))._at("reader", str(e), _mark_at(s, len(s) if i < 0 else i)) from None
    except RecursionError:
        msg = f"exceeded max depth of {_MAX_DEPTH}"
        raise YAMLError("yaml: " + msg)._at("depth", msg, sc.mark() if sc is not None else None) from None
    finally:
        if old < 40000:
            sys.setrecursionlimit(old)
        if gc_on:
            gc.enable()


# ---------------------------------------------------------------------------
# Scalar resolution (yaml.v3 resolve.go semantics)

_LONG_PREFIX = "tag:yaml.org,2002:"
_INF = float("inf")
_RESOLVE_MAP: dict[str, tuple[str, ScalarValue]] = {}
for _v, _t, _words in (
    (True, "!!bool", ("true", "True", "TRUE")),
    (False, "!!bool", ("false", "False", "FALSE")),
    (None, "!!null", ("", "~", "null", "Null", "NULL")),
    (float("nan"), "!!float", (".nan", ".NaN", ".NAN")),
    (_INF, "!!float", (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
    (-_INF, "!!float", ("-.inf", "-.Inf", "-.INF")),
    ("<<", "!!merge", ("<<",)),
):
    for _w in _words:
        _RESOLVE_MAP[_w] = (_t, _v)
del _v, _t, _words, _w
_HINT_M = frozenset("yYnNtTfFoO~")
_DIGITS = frozenset("0123456789")
_RESOLVABLE = frozenset(("", "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp"))
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_UINT64_MAX = (1 << 64) - 1
_BASE_DIGITS = {2: frozenset("01"), 8: frozenset("01234567"), 10: _DIGITS, 16: _HEX}


def _short_tag(tag: str) -> str:
    if tag.startswith(_LONG_PREFIX):
        return "!!" + tag[len(_LONG_PREFIX) :]
    return tag


def _go_parse_int(s: str, signed: bool) -> int | None:
    """strconv.ParseInt/ParseUint(s, 0, 64) on an underscore-free string."""
    neg = False
    t = s
    if signed and t[:1] in ("+", "-"):
        neg = t[0] == "-"
        t = t[1:]
    if not t:
        return None
    base = 10
    if t[0] == "0" and len(t) > 1:
        p = t[1]
        if p in "xX":
            base, t = 16, t[2:]
        elif p in "oO":
            base, t = 8, t[2:]
        elif p in "bB":
            base, t = 2, t[2:]
        else:
            base, t = 8, t[1:]
        if not t:
            return None
    ok = _BASE_DIGITS[base]
    for ch in t:
        if ch not in ok:
            return None
    v = int(t, base)
    if neg:
        v = -v
    if signed:
        return v if _INT64_MIN <= v <= _INT64_MAX else None
    return v if v <= _UINT64_MAX else None


def _yaml_style_float(s: str) -> bool:
    # ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    i = 0
    n = len(s)
    if i < n and s[i] in "+-":
        i += 1
    if i < n and s[i] == ".":
        i += 1
        j = i
        while i < n and s[i] in _DIGITS:
            i += 1
        if i == j:
            return False
    else:
        j = i
        while i < n and s[i] in _DIGITS:
            i += 1
        if i == j:
            return False
        if i < n and s[i] == ".":
            i += 1
            while i < n and s[i] in _DIGITS:
                i += 1
    if i < n and s[i] in "eE":
        i += 1
        if i < n and s[i] in "+-":
            i += 1
        j = i
        while i < n and s[i] in _DIGITS:
            i += 1
        if i == j:
            return False
    return i == n


def _go_float(s: str) -> float | None:
    v = float(s)
    if v in (_INF, -_INF):
        return None  # strconv.ParseFloat reports ErrRange
    return v


def _getnum(s: str, i: int) -> tuple[int | None, int]:
    if i >= len(s) or s[i] not in _DIGITS:
        return None, i
    if i + 1 < len(s) and s[i + 1] in _DIGITS:
        return int(s[i : i + 2]), i + 2
    return int(s[i]), i + 1


def _parse_timestamp(s: str) -> datetime.datetime | str | None:
    """yaml.v3 parseTimestamp: returns a datetime, the string (when Python
    cannot represent the date), or None when it is not a timestamp."""
    if len(s) < 5 or not (s[:4].isdigit() and s[:4].isascii()) or s[4] != "-":
        return None
    year = int(s[:4])
    month, i = _getnum(s, 5)
    if month is None or not 1 <= month <= 12 or i >= len(s) or s[i] != "-":
        return None
    day, i = _getnum(s, i + 1)
    if day is None:
        return None
    hour = minute = second = micro = 0
    tz = None
    n = len(s)
    if i < n:
        sep = s[i]
        if sep not in "Tt ":
            return None
        h, i = _getnum(s, i + 1)
        if h is None or h > 23 or i >= n or s[i] != ":":
            return None
        m, i = _getnum(s, i + 1)
        if m is None or m > 59 or i >= n or s[i] != ":":
            return None
        sec, i = _getnum(s, i + 1)
        if sec is None or sec > 59:
            return None
        hour, minute, second = h, m, sec
        if i + 1 < n and s[i] in ".," and s[i + 1] in _DIGITS:
            j = i + 1
            while j < n and s[j] in _DIGITS:
                j += 1
            frac = s[i + 1 : j][:6]
            micro = int(frac.ljust(6, "0"))
            i = j
        if i < n:
            if sep == " ":
                return None
            if s[i] == "Z" and i + 1 == n:
                tz = 0
            elif n - i == 6 and s[i] in "+-" and s[i + 3] == ":" and all(c in _DIGITS for c in s[i + 1 : i + 3] + s[i + 4 :]):
                # ASCII digits only, as Go's time.Parse: str.isdigit() also takes '²' (int() then fails) or '٥'
                hh = int(s[i + 1 : i + 3])
                mm = int(s[i + 4 :])
                if hh > 24 or mm > 60:
                    return None
                tz = (hh * 60 + mm) * (1 if s[i] == "+" else -1)
            else:
                return None
        elif sep != " ":
            return None  # T/t layouts need a zone
    dim = (31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if day < 1 or day > dim[month - 1]:
        return None
    import datetime as _dt

    zone = _dt.timezone.utc if not tz else _dt.timezone(_dt.timedelta(minutes=tz))
    try:
        return _dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError:
        return s


def _resolve(tag: str, value: str) -> tuple[str, ScalarValue]:
    """yaml.v3 resolve(): (resolved short tag, Python value); YAMLError on a
    value that contradicts an explicit tag."""
    tag = _short_tag(tag)
    if tag not in _RESOLVABLE:
        return tag, value
    rtag, out = _resolve_core(tag, value)
    if tag in ("", rtag, "!!str", "!!binary"):
        return rtag, out
    if tag == "!!float" and rtag == "!!int" and isinstance(out, int):
        return "!!float", float(out)
    raise YAMLError(f"yaml: cannot decode {rtag} `{value}` as a {tag}")


def _resolve_tag(value: str) -> str:
    if not value:
        return "!!null"
    c = value[0]
    if c in _DIGITS or c in "+-." or c in _HINT_M:
        return _resolve_core("", value)[0]
    return "!!str"


def _resolve_core(tag: str, value: str) -> tuple[str, ScalarValue]:
    c = value[0] if value else ""
    if tag == "!!str" or tag == "!!binary":
        return "!!str", value
    if c == "":
        return "!!null", None
    hint_d = c in _DIGITS or c in "+-"
    if not (hint_d or c == "." or c in _HINT_M):
        return "!!str", value
    item = _RESOLVE_MAP.get(value)
    if item is not None:
        return item
    if c == ".":
        if _yaml_style_float(value):
            f = _go_float(value)
            if f is not None:
                return "!!float", f
        return "!!str", value
    if not hint_d:
        return "!!str", value
    if tag == "" or tag == "!!timestamp":
        t = _parse_timestamp(value)
        if t is not None:
            return "!!timestamp", t
    plain = value.replace("_", "")
    v = _go_parse_int(plain, True)
    if v is None:
        v = _go_parse_int(plain, False)
    if v is not None:
        return "!!int", v
    if _yaml_style_float(plain):
        f = _go_float(plain)
        if f is not None:
            return "!!float", f
    return "!!str", value


def _decode_binary(value: str) -> bytes:
    import base64
    import binascii

    try:
        return base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        raise YAMLError("yaml: !!binary value contains invalid base64 data") from None


def _scalar_value(n: ScalarNode) -> tuple[str, ScalarValue]:
    """(tag, value) as decoder.scalar() sees it."""
    if n.tag == "!!str":
        return "!!str", n.value
    tag, out = _resolve(n.tag, n.value)
    if tag == "!!binary":  # a tag _resolve leaves alone: decode the text
        return tag, _decode_binary(n.value)
    return tag, out


def _scalar_value_at(n: ScalarNode) -> tuple[str, ScalarValue]:
    """_scalar_value() whose errors say where ``n`` is."""
    try:
        return _scalar_value(n)
    except YAMLError as e:
        raise e._at_node(n) from None


def _locate_scalar_error(root: Node, e: YAMLError) -> None:
    """Give ``e``, raised by a scalar somewhere under ``root`` that could not
    be decoded, the position of the first such scalar (document order)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if n.kind == "scalar":
            try:
                _scalar_value(n)
            except YAMLError as e2:
                if e2.message == e.message:
                    e._at_node(n)
                    return
            continue
        if id(n.items) in seen:
            continue
        seen.add(id(n.items))
        for it in reversed(n.items):
            if isinstance(it, tuple):
                stack.extend((it[1], it[0]))
            else:
                stack.append(it)


# ---------------------------------------------------------------------------
# Decoding helpers (yaml.v3 decode.go semantics)


def type_error(node: Node, go_type: str, tag: str | None = None) -> YAMLTypeError:
    """yaml.v3's ``line N: cannot unmarshal <tag>[ `value`] into <go_type>``.

    Errors on an alias are reported at the anchored node, as yaml.v3 does."""
    n = node.alias if node.alias is not None else node
    t = n.tag or (tag or "")
    value = ""
    if t not in ("!!seq", "!!map"):
        raw = n.value.encode("utf-8")
        if len(raw) > 10:
            value = " `" + raw[:7].decode("utf-8", "replace") + "...`"
        else:
            value = " `" + n.value + "`"
    return YAMLTypeError(f"line {n.line}: cannot unmarshal {t}{value} into {go_type}", n.line)._at_node(n)


def format_type_errors(entries: Iterable[YAMLError | str]) -> str:
    """Join type-error entries (strings or YAMLTypeError) like yaml.TypeError.Error()."""
    texts = [e.message if isinstance(e, YAMLError) else str(e) for e in entries]
    return "yaml: unmarshal errors:\n  " + "\n  ".join(texts)


def duplicate_key_errors(node: MappingNode) -> list[YAMLTypeError]:
    """yaml.v3's duplicate-key check, run when a mapping is decoded into a
    struct or map.  Returns the entries (``line N: mapping key "x" already
    defined at line M``); when non-empty yaml.v3 decodes nothing of the
    mapping.  Keys compare by node kind and text (an alias by its name)."""
    out: list[YAMLTypeError] = []
    items = node.items
    keys: list[tuple[str, str, int]] = []
    for k, _ in items:
        if k.alias is not None:
            keys.append(("alias", k.alias_name, k.line))
        else:
            keys.append((k.kind, k.value, k.line))
    if len({(k[0], k[1]) for k in keys}) == len(keys):
        return out  # no duplicates: skip the quadratic scan below
    for i in range(len(keys)):
        ki = keys[i]
        for j in range(i + 1, len(keys)):
            kj = keys[j]
            if ki[0] == kj[0] and ki[1] == kj[1]:
                e = YAMLTypeError(f"line {kj[2]}: mapping key {_go_quote(kj[1])} already defined at line {ki[2]}", kj[2])
                out.append(e._at_node(items[j][0], items[i][0]))
    return out


_INT_RANGES = {
    "int": (_INT64_MIN, _INT64_MAX), "int64": (_INT64_MIN, _INT64_MAX),
    "int32": (-(1 << 31), (1 << 31) - 1), "int16": (-(1 << 15), (1 << 15) - 1), "int8": (-128, 127),
}
_UINT_RANGES = {"uint": _UINT64_MAX, "uint64": _UINT64_MAX, "uint32": (1 << 32) - 1, "uint16": 0xFFFF, "uint8": 0xFF}
_BOOL_WORDS = {
    "y": True, "Y": True, "yes": True, "Yes": True, "YES": True, "on": True, "On": True, "ON": True,
    "n": False, "N": False, "no": False, "No": False, "NO": False, "off": False, "Off": False, "OFF": False,
}


def _is_merge(k: Node) -> bool:
    return k.kind == "scalar" and k.value == "<<" and k.tag == "!!merge"


def decode_scalar(node: Node, kind: str) -> str | bool | int | float | None:
    """Decode ``node`` into a Go value of type ``kind`` (yaml.v3 rules).

    ``kind``: "string", "int", "int64", "int32", ..., "uint", "uint64", ...,
    "bool", "float64", "float32".  Returns None for a null node.  A mapping or
    sequence, or a scalar of the wrong type, raises YAMLTypeError."""
    n = node.alias if node.alias is not None else node
    if n.kind != "scalar":
        if n.tag == "!!null":
            return None
        raise type_error(n, kind)
    tag, v = _scalar_value_at(n)
    if v is None:
        return None
    if kind == "string":
        if isinstance(v, bytes):  # !!binary
            return v.decode("utf-8", "replace")
        return n.value
    if isinstance(v, bool):  # (!!bool: only bools resolve to it)
        if kind == "bool":
            return v
        raise type_error(n, kind, tag)
    if kind == "bool":
        if isinstance(v, str) and v in _BOOL_WORDS:
            return _BOOL_WORDS[v]
        raise type_error(n, kind, tag)
    if kind in _INT_RANGES:
        lo, hi = _INT_RANGES[kind]
        if isinstance(v, int):
            if lo <= v <= hi:
                return v
        elif isinstance(v, float):
            if v == v and v <= 9.223372036854775807e18:
                iv = int(v) if v != -_INF else _INT64_MIN
                if iv > _INT64_MAX or iv < _INT64_MIN:
                    iv = _INT64_MIN
                if lo <= iv <= hi:
                    return iv
        raise type_error(n, kind, tag)
    if kind in _UINT_RANGES:
        hi = _UINT_RANGES[kind]
        if isinstance(v, int):
            if 0 <= v <= hi:
                return v
        elif isinstance(v, float):
            if v == v and v <= 1.8446744073709552e19 and v > -1.0 and int(v) <= hi:
                return int(v)
        raise type_error(n, kind, tag)
    if kind in ("float64", "float32", "float"):
        if isinstance(v, (int, float)):
            return float(v)
        raise type_error(n, kind, tag)
    raise ValueError(f"unsupported Go kind {kind!r}")


def _merge_sources(value: Node) -> Iterator[MappingNode]:
    """The mappings a ``<<`` value contributes, in order (yaml.v3 rules); a
    wrong source fails when it is reached, as in yaml.v3's merge()."""
    if value.kind == "mapping":
        yield value
        return
    if value.kind == "sequence" and value.alias is None:
        for it in value.items:
            if it.kind != "mapping":
                raise YAMLError("yaml: map merge requires map or sequence of maps as the value")._at_node(it)
            yield it
        return
    raise YAMLError("yaml: map merge requires map or sequence of maps as the value")._at_node(value)


def struct_items(node: MappingNode, errors: TypeErrorSink | None) -> Iterator[tuple[str, Node, Node]]:
    """Yield ``(name, key node, value node)`` in the order yaml.v3's
    mappingStruct() decodes them, ``<<`` expanded.  Lazy, so that a caller
    decoding each value as it comes meets go-yaml's errors in go-yaml's
    order.  With ``errors`` a list, yaml.v3's type errors go into it: the
    duplicate keys of a mapping (which then yields nothing), and keys that
    are not strings (skipped); hard failures (a bad merge value, an anchor
    that contains itself, a key contradicting its tag) raise YAMLError."""
    n = node.alias if node.alias is not None else node
    return _struct_items(n, errors, None, [])


def _struct_items(
    n: MappingNode, errors: TypeErrorSink | None, merged: set[str] | None, stack: list[MappingNode]
) -> Iterator[tuple[str, Node, Node]]:
    if any(n is s for s in stack):
        raise YAMLError(f"yaml: anchor '{n.anchor}' value contains itself")._at_node(n)
    if errors is not None:
        dup = duplicate_key_errors(n)
        if dup:
            errors.extend(dup)
            return
    stack.append(n)
    merge = None
    for k, v in n.items:
        if _is_merge(k):
            merge = v
            continue
        key = _struct_key(k, errors)
        if key is None:
            continue
        if merged is not None:
            if key in merged:
                continue
            merged.add(key)
        yield key, k, v
    if merge is not None:
        if merged is None:
            merged = {k.value for k, _ in n.items if k.kind == "scalar"}
        for src in _merge_sources(merge):
            yield from _struct_items(src.alias if src.alias is not None else src, errors, merged, stack)
    stack.pop()


def _struct_key(k: Node, errors: TypeErrorSink | None) -> str | None:
    """A mapping key decoded into a Go string (None: skipped)."""
    if k.tag == "!!str" and k.alias is None:
        return k.value
    n = k.alias if k.alias is not None else k
    if n.kind != "scalar":
        if errors is not None:
            dup = duplicate_key_errors(n) if n.kind == "mapping" else []
            errors.extend(dup or [type_error(n, "string")])
        return None
    _, v = _scalar_value_at(n)
    if v is None:
        return None  # a null key sets nothing
    if isinstance(v, bytes):  # !!binary
        return v.decode("utf-8", "replace")
    return n.value


class _Resolver:
    def __init__(self) -> None:
        self.active: list[Node] = []
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0

    def value(self, n: Node) -> object:
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
        if self.alias_count > 100 and excessive_aliasing(self.decode_count, self.alias_count):  # the test first: a hot path
            raise YAMLError("yaml: document contains excessive aliasing")._at_node(n)
        if n.alias is not None:
            t = n.alias
            for a in self.active:
                if a is t:
                    raise YAMLError(f"yaml: anchor '{n.alias_name}' value contains itself")._at_node(n, t)
            self.active.append(t)
            self.alias_depth += 1
            try:
                return self.value(t)
            finally:
                self.alias_depth -= 1
                self.active.pop()
        if n.kind == "scalar":
            return _scalar_value(n)[1]
        if n.kind == "sequence":
            return [self.value(x) for x in n.items]
        errs = duplicate_key_errors(n)
        if errs:
            raise YAMLError(format_type_errors(errs), errs[0].line)._at_error(errs[0])
        d: dict[object, object] = {}
        self.fill(n, d, None)
        return d

    def fill(self, n: MappingNode, d: dict[object, object], merged: set[object] | None) -> None:
        merge = None
        for k, v in n.items:
            if _is_merge(k):
                merge = v
                continue
            key = self.value(k)
            if isinstance(key, (dict, list)):
                raise YAMLError(f"yaml: invalid map key: {key!r}")._at_node(k)
            if merged is not None:
                if key in merged:
                    continue
                merged.add(key)
            d[key] = self.value(v)
        if merge is not None:
            if merged is None:
                merged = set()
                for k, _ in n.items:
                    kv = self.value(k)
                    if not isinstance(kv, (dict, list)):
                        merged.add(kv)
            for src in _merge_sources(merge):
                target = src.alias if src.alias is not None else src
                errs = duplicate_key_errors(target)
                if errs:
                    raise YAMLError(format_type_errors(errs), errs[0].line)._at_error(errs[0])
                self.fill(target, d, merged)


def excessive_aliasing(decoded: int, aliased: int) -> bool:
    """go-yaml's rule: ``aliased`` of ``decoded`` values came through aliases, too many for the document's size."""
    return aliased > 100 and decoded > 1000 and aliased / decoded > _alias_ratio(decoded)


def _alias_ratio(count: int) -> float:
    if count <= 400000:
        return 0.99
    if count >= 4000000:
        return 0.10
    return 0.99 - 0.89 * ((count - 400000) / 3600000)


def resolve(node: Node | None) -> object:
    """The Python value of ``node`` as yaml.v3 decodes it into interface{}."""
    if node is None:
        return None
    import gc
    import sys

    old = sys.getrecursionlimit()
    if old < 40000:
        sys.setrecursionlimit(40000)
    gc_on = gc.isenabled()
    gc.disable()  # as in load()
    try:
        return _Resolver().value(node)
    except YAMLError as e:
        if e.problem_line is None:  # a scalar that does not decode: find it (the success path stays as it was)
            _locate_scalar_error(node, e)
        raise
    except RecursionError:
        raise YAMLError("yaml: document contains excessive aliasing") from None
    finally:
        if old < 40000:
            sys.setrecursionlimit(old)
        if gc_on:
            gc.enable()
