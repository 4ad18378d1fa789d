"""The fast path of :mod:`hostform.yamlpos`: common block YAML, line by line.

Most documents (Butane configs, host files) are block mappings and sequences
of one-line scalars, small one-line flow collections, literal block scalars
and comments.  :class:`_Fast` reads exactly that subset straight into the
node tree, with the positions and tags the full scanner and parser give, and
raises :class:`_Bail` at the first thing outside it (tabs, anchors, tags,
aliases, multi-line plain or flow scalars, directives, document markers after
the first line, anything the full parser might refuse...).  ``yamlpos.load``
then starts again with the full scanner and parser, which own every error
message.  Quoted scalars with escapes and the other block scalars are read by
the full scanner's own routines, positioned on the line.

tests/test_yamlpos.py compares the two on the conformance inputs and on
generated documents.
"""

from __future__ import annotations

from hostform.yamlpos import _NOT_PLAIN_START, MappingNode, ScalarNode, SequenceNode, _resolve_tag, _Scanner, _Stop

# typing-only imports: this module is on the start-up path of `hostform butane`
TYPE_CHECKING = False
if TYPE_CHECKING:
    from hostform.yamlpos import Node

__all__ = ["fast_load"]


class _Bail(Exception):
    pass


_FLOW_PLAIN_STOP = frozenset(",?[]{}:\n")
_FLOW_AFTER_BLANKS = frozenset(",?[]{}:#\n")
# first characters of plain scalars that may resolve to something else than
# a string (see _resolve_tag), and "<" for the merge key "<<"
_TAG_HINT = frozenset("0123456789+-.<yYnNtTfFoO~")


def _plain_tag(v: str) -> str:
    if v == "<<":
        return "!!merge"
    return _resolve_tag(v)


def _plain(value: str, line: int, col: int) -> ScalarNode:
    return ScalarNode(_plain_tag(value) if value[0] in _TAG_HINT else "!!str", value, "", line, col)


class _Fast:
    def __init__(self, s: str) -> None:
        self.s = s
        self.lines = s.split("\n")
        self.nlines = len(self.lines)
        self.tabs = "\t" in s
        self.i = 0
        self.sc: _Scanner | None = None
        self.offs: list[int] = []  # offsets of the lines in s, once scanner_at needs them

    def document(self) -> Node:
        lines = self.lines
        i = self.next_sig(0)
        if i < self.nlines and lines[i].rstrip(" ") == "---":
            i = self.next_sig(i + 1)
        if i >= self.nlines:
            raise _Bail
        line = lines[i]
        k = len(line) - len(line.lstrip(" "))
        node = self.node(i, k, -1, True)
        if self.next_sig(self.i) < self.nlines or node.kind == "scalar":
            raise _Bail
        return node

    def next_sig(self, i: int) -> int:
        """The next line from ``i`` that is neither blank nor a comment."""
        lines = self.lines
        n = self.nlines
        while i < n:
            st = lines[i].lstrip(" ")
            if st and st[0] != "#":
                return i
            i += 1
        return n

    def check_line(self, line: str, k: int) -> None:
        if self.tabs and "\t" in line:
            raise _Bail
        if k == 0 and line[:3] in ("---", "...") and line[3:4] in ("", " "):
            raise _Bail

    # -- block nodes ------------------------------------------------------
    def node(self, i: int, k: int, ind: int, coll: bool) -> Node:
        """The node starting at line ``i``, column ``k``; ``ind`` is the
        column of the innermost block collection (the scanner's indent);
        ``coll``: a block collection may start here."""
        line = self.lines[i]
        self.check_line(line, k)
        c = line[k]
        L = len(line)
        if c == "-" and (k + 1 == L or line[k + 1] == " "):
            if not coll:
                raise _Bail
            return self.block_sequence(i, k, False)
        if c == "|" or c == ">":
            return self.block_scalar(i, k, ind, c == "|")
        if c == "[" or c == "{":
            if L - k > 1000:
                raise _Bail  # a flow key past go-yaml's 1024-character simple-key limit
            ln = line + "\n"
            flow, p = self.flow(i, ln, k, 0)
            self.end_of_line(line, p)
            self.i = i + 1
            return flow
        scalar, p, key = self.scalar(i, line, k)
        if key:
            if not coll:
                raise _Bail
            return self.block_mapping(i, k, scalar, p)
        self.i = i + 1
        return scalar

    def scalar(self, i: int, line: str, k: int) -> tuple[ScalarNode, int, bool]:
        """(node, position after it, is it a key) for a one-line scalar."""
        c = line[k]
        L = len(line)
        if c == "'" or c == '"':
            node, p = self.quoted(i, line, k)
            q = p
            while q < L and line[q] == " ":
                q += 1
            if q < L and line[q] == ":" and (q + 1 == L or line[q + 1] == " "):
                if q - k > 1000:
                    raise _Bail
                return node, q + 1, True
            if q < L and not (line[q] == "#" and q > p):
                raise _Bail
            return node, L, False
        if c in _NOT_PLAIN_START and not (c in "-?:" and k + 1 < L and line[k + 1] != " "):
            raise _Bail
        e = L
        key = False
        j = line.find(": ", k)
        if j >= 0:
            e = j
            key = True
        j = line.find(" #", k, e)
        if j >= 0:
            e = j
            key = False
        elif not key and line[-1] == ":" and L - 1 > k:
            e = L - 1
            key = True
        if key and e - k > 1000:
            raise _Bail
        return _plain(line[k:e].rstrip(" "), i + 1, k + 1), e + 1 if key else L, key

    def end_of_line(self, line: str, p: int) -> None:
        q = p
        L = len(line)
        while q < L and line[q] == " ":
            q += 1
        if q < L and not (line[q] == "#" and q > p):
            raise _Bail

    def block_mapping(self, i: int, c: int, key: ScalarNode, after: int) -> MappingNode:
        lines = self.lines
        n = self.nlines
        tabs = self.tabs
        node = MappingNode("!!map", "", "", i + 1, c + 1)
        append = node.items.append
        while True:
            line = lines[i]
            L = len(line)
            p = after
            while p < L and line[p] == " ":
                p += 1
            if p == L or line[p] == "#":
                j = self.next_sig(i + 1)
                value: Node | None = None
                if j < n:
                    lj = lines[j]
                    kj = len(lj) - len(lj.lstrip(" "))
                    if kj > c:
                        value = self.node(j, kj, c, True)
                    elif kj == c and lj[c] == "-" and (c + 1 == len(lj) or lj[c + 1] == " "):
                        self.check_line(lj, kj)
                        value = self.block_sequence(j, c, True)
                if value is None:
                    value = ScalarNode("!!null", "", "", i + 1, after + 1)
                    self.i = j
                append((key, value))
                j = self.i
            else:
                if line[p] not in _NOT_PLAIN_START:
                    # the common "key: plain value [# comment]"
                    e = line.find(" #", p)
                    if e < 0:
                        e = L
                    if line.find(": ", p, e + 1) >= 0 or (e == L and line[-1] == ":"):
                        raise _Bail
                    v = line[p:e].rstrip(" ")
                    append((key, ScalarNode(_plain_tag(v) if v[0] in _TAG_HINT else "!!str", v, "", i + 1, p + 1)))
                    j = i + 1
                else:
                    append((key, self.node(i, p, c, False)))
                    j = self.i
            # the next entry: a line at column c
            while j < n:
                line = lines[j]
                st = line.lstrip(" ")
                if st and st[0] != "#":
                    break
                j += 1
            else:
                self.i = j
                return node
            kj = len(line) - len(st)
            if kj != c:
                if kj < c:
                    self.i = j
                    return node
                raise _Bail
            if tabs and "\t" in line:
                raise _Bail
            if st[0] not in _NOT_PLAIN_START:
                e = line.find(": ", c)
                h = line.find(" #", c, len(line) if e < 0 else e)
                if h >= 0:
                    raise _Bail
                if e < 0:
                    if line[-1] != ":":
                        raise _Bail
                    e = len(line) - 1
                if e - c > 1000 or (c == 0 and line[:3] in ("---", "...") and line[3:4] in ("", " ")):
                    raise _Bail
                v = line[c:e].rstrip(" ")
                key = ScalarNode(_plain_tag(v) if v[0] in _TAG_HINT else "!!str", v, "", j + 1, c + 1)
                after = e + 1
            else:
                if st[0] == "-" and (len(st) == 1 or st[1] == " "):
                    raise _Bail
                self.check_line(line, kj)
                key, after, is_key = self.scalar(j, line, c)
                if not is_key:
                    raise _Bail
            i = j

    def block_sequence(self, i: int, c: int, indentless: bool) -> SequenceNode:
        lines = self.lines
        n = self.nlines
        tabs = self.tabs
        node = SequenceNode("!!seq", "", "", i + 1, c + 1)
        append = node.items.append
        while True:
            line = lines[i]
            L = len(line)
            p = c + 1
            while p < L and line[p] == " ":
                p += 1
            if p == L or line[p] == "#":
                j = self.next_sig(i + 1)
                item: Node | None = None
                if j < n:
                    lj = lines[j]
                    kj = len(lj) - len(lj.lstrip(" "))
                    if kj > c:
                        item = self.node(j, kj, c, True)
                if item is None:
                    item = ScalarNode("!!null", "", "", i + 1, c + 2)
                    self.i = j
            else:
                item = self.node(i, p, c, True)
            append(item)
            j = self.i
            while j < n:
                line = lines[j]
                st = line.lstrip(" ")
                if st and st[0] != "#":
                    break
                j += 1
            else:
                self.i = j
                return node
            kj = len(line) - len(st)
            if kj != c:
                if kj < c:
                    self.i = j
                    return node
                raise _Bail
            if tabs and "\t" in line:
                raise _Bail
            if not (st[0] == "-" and (len(st) == 1 or st[1] == " ")):
                if indentless:
                    self.i = j
                    return node
                raise _Bail
            i = j

    # -- scalars read by the full scanner -------------------------------------
    def scanner_at(self, i: int, k: int) -> _Scanner:
        sc = self.sc
        if sc is None:
            sc = self.sc = _Scanner(self.s, len(self.s), None)
            offs = [0]
            total = 0
            for ln in self.lines:
                total += len(ln) + 1
                offs.append(total)
            self.offs = offs
        start = self.offs[i]
        sc.pos = start + k
        sc.line = i
        sc.lstart = start
        return sc

    def block_scalar(self, i: int, k: int, ind: int, literal: bool) -> ScalarNode:
        if literal:
            node = self.literal(i, k, ind)
            if node is not None:
                return node
        sc = self.scanner_at(i, k)
        sc.indent = ind
        try:
            tok = sc.scan_block_scalar(literal)
        except _Stop:
            raise _Bail from None
        self.i = sc.line if sc.pos < sc.n else self.nlines
        return ScalarNode("!!str", tok[3], tok[4], i + 1, k + 1)

    def literal(self, i: int, k: int, ind: int) -> ScalarNode | None:
        """The common literal block scalar (``|``, ``|-``, ``|+``; no
        indentation indicator, no leading empty lines, ended by a less
        indented line), or None to let the scanner read it."""
        lines = self.lines
        line = lines[i]
        chomp = line[k + 1 : k + 2]
        p = k + 2 if chomp in ("-", "+") else k + 1
        q = p
        L = len(line)
        while q < L and line[q] == " ":
            q += 1
        if q < L and not (line[q] == "#" and q > p):
            return None
        n = self.nlines
        j = i + 1
        if j >= n:
            return None
        first = lines[j]
        st = first.lstrip(" ")
        indent = len(first) - len(st)
        if not st or indent <= ind or indent < 1 or st[0] == "\t":
            return None
        body: list[str] = []
        empties = 0
        pad = " " * indent
        while True:
            ln = lines[j]
            if len(ln) > indent and ln.startswith(pad):
                if empties:
                    body.extend([""] * empties)
                    empties = 0
                body.append(ln[indent:])
            elif not ln.strip(" "):
                empties += 1
            elif self.tabs and "\t" in ln:
                return None
            else:
                break
            j += 1
            if j >= n:
                return None
        value = "\n".join(body)
        if chomp == "+":
            value += "\n" * (empties + 1)
        elif chomp != "-":
            value += "\n"
        self.i = j
        return ScalarNode("!!str", value, "|", i + 1, k + 1)

    def quoted(self, i: int, line: str, k: int) -> tuple[ScalarNode, int]:
        q = line[k]
        j = line.find(q, k + 1)
        if j > 0:
            if q == "'":
                if line[j + 1 : j + 2] != "'":
                    return ScalarNode("!!str", line[k + 1 : j], q, i + 1, k + 1), j + 1
            elif line.find("\\", k + 1, j) < 0:
                return ScalarNode("!!str", line[k + 1 : j], q, i + 1, k + 1), j + 1
        sc = self.scanner_at(i, k)
        try:
            tok = sc.scan_flow_scalar(q == "'")
        except _Stop:
            raise _Bail from None
        if sc.line != i:
            raise _Bail
        return ScalarNode("!!str", tok[3], q, i + 1, k + 1), sc.pos - sc.lstart

    # -- one-line flow collections ----------------------------------------------
    def flow(self, i: int, ln: str, k: int, depth: int) -> tuple[SequenceNode | MappingNode, int]:
        """(node, position after it) of the flow collection at ``ln[k]``
        (``ln`` is the line plus a final "\\n")."""
        if depth > 100:
            raise _Bail
        mapping = ln[k] == "{"
        close = "}" if mapping else "]"
        pairs: list[tuple[Node, Node]] = []  # a mapping's items
        items: list[Node] = []  # a sequence's
        p = k + 1
        while ln[p] == " ":
            p += 1
        if ln[p] == close:
            return _flow_node(mapping, pairs, items, i, k), p + 1
        while True:
            item, p = self.flow_item(i, ln, p, depth)
            while ln[p] == " ":
                p += 1
            if mapping:
                if ln[p] != ":" or ln[p + 1] != " ":
                    raise _Bail
                p += 2
                while ln[p] == " ":
                    p += 1
                value, p = self.flow_item(i, ln, p, depth)
                pairs.append((item, value))
                while ln[p] == " ":
                    p += 1
            else:
                items.append(item)
            c = ln[p]
            if c == ",":
                p += 1
                while ln[p] == " ":
                    p += 1
                if ln[p] == close:
                    raise _Bail
                continue
            if c == close:
                return _flow_node(mapping, pairs, items, i, k), p + 1
            raise _Bail

    def flow_item(self, i: int, ln: str, p: int, depth: int) -> tuple[Node, int]:
        c = ln[p]
        if c == "[" or c == "{":
            return self.flow(i, ln, p, depth + 1)
        if c == "'" or c == '"':
            return self.quoted(i, ln, p)
        if c in _NOT_PLAIN_START and not (c == "-" and ln[p + 1] not in " \n"):
            raise _Bail
        q = p + 1
        while True:
            ch = ln[q]
            if ch in _FLOW_PLAIN_STOP:
                break
            if ch == " ":
                r = q + 1
                while ln[r] == " ":
                    r += 1
                if ln[r] in _FLOW_AFTER_BLANKS:
                    break
                q = r
                continue
            q += 1
        ch = ln[q]
        if ch == "?" or (ch == ":" and ln[q + 1] != " "):
            raise _Bail
        return _plain(ln[p:q], i + 1, p + 1), q


def _flow_node(mapping: bool, pairs: list[tuple[Node, Node]], items: list[Node], i: int, k: int) -> SequenceNode | MappingNode:
    """The flow collection that starts at line ``i``, column ``k`` (0-based), with its items."""
    if mapping:
        m = MappingNode("!!map", "", "{", i + 1, k + 1)
        m.items = pairs
        return m
    s = SequenceNode("!!seq", "", "[", i + 1, k + 1)
    s.items = items
    return s


def fast_load(s: str) -> Node | None:
    """The fast path's node tree for ``s``, or None when it is out of scope."""
    if "\ufeff" in s or "\u2028" in s or "\u2029" in s:
        return None
    try:
        return _Fast(s).document()
    except (_Bail, IndexError, RecursionError):
        return None
