"""YAML syntax errors in the host file, in words a person understands (HF001).

:func:`hostform.yamlpos.load` fails with go-yaml's exact text, which
``hostform butane`` must keep byte for byte.  That text names go-yaml's line
(the *context* mark's, often lines before the mistake, and one too small for
parser errors) and says what the parser expected, not what the user wrote.
:func:`describe` turns the same error into ``(line, col, message)`` for
``hostform build``: the position of the character where reading actually
failed (the *problem* mark, or the key, line or escape that caused it) and a
message that names what was found, what to do, and where the open construct
(bracket, quote, block scalar) started.

Positions are 1-based; columns count characters (code points), so a tab is
one column and so is a multi-byte UTF-8 character, as go-yaml's marks and
the rest of hostform's diagnostics count them; a byte order mark at the very
start is not counted.  Lines end at LF, CR LF, CR, NEL, U+2028 and U+2029, as
in YAML.  A position at the end of the text is moved back to the end of its
last line with content, where the missing quote or bracket belongs.

The table :data:`PROBLEMS` has one entry per problem text of yamlpos's
scanner, parser and reader (``tests/host/test_yaml_errors.py`` checks it
covers every one) and of its decoder; the problems whose text has a value in
it (max depth, an unknown anchor, duplicate keys...) are matched by their
prefix in :data:`PREFIXES`.  An unknown problem falls back to go-yaml's own text at the
problem position.

Two checks read the text before and after parsing, for ``hostform build``
only (``hostform butane`` keeps go-yaml's behaviour): :func:`hidden_break`
finds a raw NEL, U+2028, U+2029 or other C1 control character, which YAML
reads as a line break (or refuses) where an editor shows none, so that the
file would not mean what it shows; :func:`second_document` finds a second
YAML document, which go-yaml would silently ignore.  Both count lines as an
editor does (LF, CR LF and a lone CR); once :func:`hidden_break` has passed,
that is also how yamlpos counts them.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    from hostform.yamlpos import Node, Token, YAMLError

    Found: TypeAlias = tuple[int, int, str]
    """(line, column, message): where the problem is, 1-based, and what to say about it."""
    Handler: TypeAlias = Callable[["_Err"], Found]
    """What :data:`PROBLEMS` and :data:`PREFIXES` give for a problem."""

__all__ = ["PREFIXES", "PROBLEMS", "describe", "editor_lines", "hidden_break", "second_document"]


class _Src:
    """The text as yamlpos counts lines and columns, with character access."""

    def __init__(self, text: str | bytes) -> None:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", "surrogateescape")
        if text[:1] == "\ufeff":
            text = text[1:]
        t = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n")
        if "\u2028" in t or "\u2029" in t:
            t = t.replace("\u2028", "\n").replace("\u2029", "\n")
        self.lines = t.split("\n")

    def line(self, line: int) -> str:
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else ""

    def char(self, line: int, col: int) -> str:
        """The character at (line, col); "\\n" at the end of a line, "" at the end of the text."""
        if not 1 <= line <= len(self.lines):
            return ""
        s = self.lines[line - 1]
        if 1 <= col <= len(s):
            return s[col - 1]
        if line == len(self.lines):
            return ""
        return "\n"

    def at_end(self, line: int, col: int) -> bool:
        """Whether only blanks and line breaks follow (line, col)."""
        if self.line(line)[col - 1 :].strip(" \t"):
            return False
        return all(not s.strip(" \t") for s in self.lines[line:])

    def clamp(self, line: int, col: int) -> tuple[int, int]:
        """A real position of the text; the end of the text moves back to the
        end of its last line with content."""
        n = len(self.lines)
        line = min(max(line, 1), n)
        col = min(max(col, 1), len(self.lines[line - 1]) + 1)
        if self.at_end(line, col):
            k = line
            while k > 1 and not self.lines[k - 1].strip(" \t"):
                k -= 1
            if k < line or col > len(self.lines[k - 1].rstrip(" \t")):
                line, col = k, len(self.lines[k - 1].rstrip(" \t")) + 1
        return line, col

    def indent(self, line: int) -> int:
        """1-based column of the first character of ``line`` that is not a space."""
        s = self.line(line)
        return len(s) - len(s.lstrip(" ")) + 1

    def prev_content_line(self, line: int) -> int:
        """The nearest line before ``line`` that is not blank or a comment (0: none)."""
        k = line - 1
        while k >= 1:
            st = self.line(k).strip(" \t")
            if st and st[0] != "#":
                return k
            k -= 1
        return 0

    def word(self, line: int, col: int, stop: str = " \t,[]{}") -> str:
        """The text from (line, col) up to a blank or a flow indicator."""
        s = self.line(line)[col - 1 :]
        i = 0
        while i < len(s) and s[i] not in stop:
            i += 1
        return s[:i]


def _char_name(c: str) -> str:
    if c == "":
        return "the end of the file"
    if c == "\n":
        return "the end of the line"
    if c == "\t":
        return "a tab"
    if c == " ":
        return "a space"
    if c == "\ufeff":
        return "an invisible byte order mark (U+FEFF)"
    if not c.isprintable():
        return f"character U+{ord(c):04X}"
    return _q(c)


def _q(s: str, limit: int = 40) -> str:
    """``s`` in single quotes (double quotes if it has a single one), shortened,
    with unprintable characters escaped."""
    if len(s) > limit:
        s = s[: limit - 3] + "..."
    out = []
    for ch in s:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    t = "".join(out)
    return f'"{t}"' if "'" in t and '"' not in t else f"'{t}'"


class _Err:
    """What a table entry sees: the error's marks and the text around them."""

    def __init__(self, err: YAMLError, src: _Src) -> None:
        self.src = src
        self.problem = err.problem
        self.context = err.context
        pl, pc = err.problem_line, err.problem_column
        if pl is None:
            pl, pc = err.line or 1, 1
        self.line, self.col = pl, pc or 1
        self.cline, self.ccol = err.context_line, err.context_column
        self.found = src.char(self.line, self.col)

    @property
    def start(self) -> str:
        """The context mark as ``line:col``."""
        return f"{self.cline}:{self.ccol}"

    @property
    def opener(self) -> str:
        """The character at the context mark."""
        return self.src.char(self.cline or 0, self.ccol or 0)

    def at(self, msg: str) -> Found:
        return (self.line, self.col, msg)

    def at_context(self, msg: str) -> Found:
        if self.cline is None or self.ccol is None:
            return self.at(msg)
        return (self.cline, self.ccol, msg)

    def found_text(self) -> str:
        """What is at the problem mark: a word, a character or the end."""
        c = self.found
        if c in ("", "\n", "\t", " ") or not c.isprintable():
            return _char_name(c)
        w = self.src.word(self.line, self.col)
        if len(w) > 1 and (w[0].isalnum() or w[0] in "_./"):
            return _q(w)
        return _q(c)


# -- scanner problems ----------------------------------------------------------

_NOTHING_OPEN = "unexpected {c}: nothing is open here to close"
_TAB = "a tab character cannot indent YAML; use spaces"


def _cannot_start(e: _Err) -> Found:
    c = e.found
    if c == "\t":
        if not e.src.line(e.line)[: e.col - 1].strip(" "):
            return e.at(_TAB)
        return e.at("a tab character is not allowed here; use spaces")
    if c and c in "@`":
        return e.at(f"{_q(c)} cannot start a plain value (YAML reserves it): put the value in quotes")
    if c == "%":
        return e.at("'%' cannot start a plain value: put the value in quotes")
    return e.at(f"{_char_name(c)} cannot start a value here: put the value in quotes")


def _no_colon(e: _Err) -> Found:
    # a line at a mapping's indentation that is not "key: value": the key is
    # at the context mark, the scanner noticed on a later line
    s = e.src.line(e.cline or e.line)[(e.ccol or 1) - 1 :]
    if " #" in s:
        s = s[: s.index(" #")]
    s = s.rstrip(" \t")
    if len(s) > 1024 and ": " in s:
        return e.at_context("this key is longer than 1024 characters, the most YAML allows for a key on one line")
    if s[:1] in ("[", "{", "'", '"') and not _closed(s):
        return e.at_context(f"{_q(s[0])} is not closed on this line: as a key, it must be, and be followed by ':'")
    k = s.find(":")
    if 0 < k < len(s) - 1 and s[k + 1] not in " \t":
        return e.at_context(f"missing space after ':' in {_q(s)}: a mapping entry is 'key: value'")
    return e.at_context(f"missing ':' after {_q(s)}: each line here is a 'key: value' entry")


def _closed(s: str) -> bool:
    """Whether the bracket or quote that starts ``s`` is closed in it (roughly)."""
    if s[0] in "[{":
        return ("]" if s[0] == "[" else "}") in s
    return s.count(s[0]) >= 2


def _mapping_value(e: _Err) -> Found:
    # a ': ' that the scanner cannot take as a key's: the text before it on
    # this line is not a key (a second ': ', or the continuation of a plain
    # value that started on a line above)
    s = e.src
    before = s.line(e.line)[: e.col - 1]
    last = before.rstrip(" \t")[-1:]
    if last in ("]", "}"):
        return e.at(f"unexpected ':' after {_q(last)}: a flow collection closed here cannot be a key")
    if ": " in before or ":\t" in before:
        return e.at("a second ': ' on this line: put the value in quotes if it contains ': ', or start the next key on its own line")
    prev = s.prev_content_line(e.line)
    if prev and s.line(prev).lstrip(" ")[:1] == "%":
        return e.at("a %YAML or %TAG directive must be followed by a '---' line before the content")
    ind = s.indent(e.line)
    if prev and ind > s.indent(prev):
        return (e.line, ind, "this line is indented more than the key above: is a ':' missing, or a space too many?")
    where = f" (line {prev})" if prev else ""
    return e.at(f"unexpected ':': the line above{where} is not a 'key: value' entry, so this line continues its text")


def _not_here(what: str) -> Handler:
    def f(e: _Err) -> Found:
        return e.at(f"{what} cannot start after a value on the same line: put it on a line of its own, or quote the value")

    return f


def _tab_indent(e: _Err) -> Found:
    return e.at(_TAB)


def _block_tab(e: _Err) -> Found:
    return e.at(f"a tab character cannot indent the text of the block scalar that starts at {e.start}; use spaces")


def _unclosed_quote(e: _Err) -> Found:
    q = e.opener if e.opener in ("'", '"') else "quote"
    close = f"a closing {q}" if q != "quote" else "the closing quote"
    if e.problem == "found unexpected document indicator":
        marker = e.src.line(e.line)[e.col - 1 : e.col + 2]
        return e.at(f"unclosed quote: the string that starts at {e.start} runs into the document marker {_q(marker)} ({close} is missing)")
    span = _swallowing_string(e.src, e.cline or e.line, e.ccol or e.col)
    if span is not None:
        # quotes paired up wrongly: an earlier string with a missing closing
        # quote ran on over lines of YAML, and its end made this one start
        (sl, sc), (el, ec) = span
        return (
            sl,
            sc,
            f"unclosed quote? this string runs on to {el}:{ec} over lines that look like YAML "
            f"(then the file ends inside the string that starts at {e.start})",
        )
    line, col = e.src.clamp(e.line, e.col)
    return (line, col, f"unclosed quote: the string that starts at {e.start} never ends ({close} is missing)")


def _looks_like_yaml(line: str) -> bool:
    """A line that reads as a mapping key or a list item."""
    st = line.strip(" ")
    if st.startswith("- "):
        return True
    k = st.find(":")
    return k > 0 and (k == len(st) - 1 or st[k + 1] == " ") and " " not in st[:k].strip("\"'")


def _swallowing_string(src: _Src, line: int, col: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Start and closing quote (1-based) of the last quoted string that ends
    before (line, col) and spans lines of which one looks like a key or a list
    item, as yamlpos's scanner reads the text; None when there is none."""
    from hostform import yamlpos

    text = "\n".join(src.lines)
    sc = yamlpos._Scanner(text, len(text), None)
    found: tuple[tuple[int, int], tuple[int, int]] | None = None

    def see(tok: Token) -> None:
        nonlocal found
        (_, l0, c0), (_, l1, c1) = tok[1], tok[2]
        if tok[0] == yamlpos.T_SCALAR and tok[4] in ("'", '"') and l1 > l0 and (l1 + 1, c1 + 1) <= (line, col):
            inner = src.lines[l0 + 1 : l1] + [src.lines[l1][:c1]]
            if any(_looks_like_yaml(x) for x in inner):
                found = ((l0 + 1, c0 + 1), (l1 + 1, c1))

    try:
        while True:
            tok = sc.peek()
            if tok[0] == yamlpos.T_STREAM_END or (tok[1][1] + 1, tok[1][2] + 1) >= (line, col):
                break
            see(tok)
            sc.skip_token()
    except yamlpos._Stop:  # the scanner stops at the error being described
        for tok in sc.tokens[sc.thead :]:  # what it had read ahead
            see(tok)
    return found


def _mispaired(e: _Err) -> Found | None:
    """A string that ends just before the problem on its line after running
    over lines of YAML: its closing quote is likely missing, and the next
    quote ended it."""
    span = _swallowing_string(e.src, e.line, e.col)
    if span is None or span[1][0] != e.line:
        return None
    (sl, sc), (el, ec) = span
    return (sl, sc, f"unclosed quote? this string runs on to {el}:{ec} over lines that look like YAML")


def _escape_at(e: _Err) -> tuple[int, int, str, str, int]:
    """(line, col, text, letter, digits) of the backslash escape whose digits start at the
    problem mark (letter "" and digits 0 when there is none there)."""
    s = e.src.line(e.line)
    b = e.col - 3  # 0-based index of the backslash
    if b >= 0 and s[b : b + 1] == "\\":
        letter = s[b + 1 : b + 2]
        n = {"x": 2, "u": 4, "U": 8}.get(letter, 0)
        return e.line, b + 1, s[b : b + 2 + n], letter, n
    return e.line, e.col, s[e.col - 1 : e.col + 1], "", 0


def _unknown_escape(e: _Err) -> Found:
    s = e.src.line(e.line)
    esc = s[e.col - 1 : e.col + 1]
    return e.at(f"unknown escape {_q(esc)} in a double-quoted string: write '\\\\' for a backslash, or use single quotes")


def _bad_hex(e: _Err) -> Found:
    line, col, esc, letter, n = _escape_at(e)
    if n:
        example = {"x": "\\x41", "u": "\\u00e9", "U": "\\U0001F600"}[letter]
        return (line, col, f"{_q(esc)}: '\\{letter}' needs {n} hexadecimal digits, as in {example}")
    return e.at("a '\\x', '\\u' or '\\U' escape needs hexadecimal digits")


def _bad_code(e: _Err) -> Found:
    line, col, esc, _, _ = _escape_at(e)
    return (line, col, f"{_q(esc)} is not a Unicode character (a surrogate, or above U+10FFFF)")


def _bad_anchor(e: _Err) -> Found:
    w = e.src.word(e.cline or e.line, e.ccol or e.col, " \t").rstrip(":")
    what = f"{_q(w)}: " if len(w) > 1 else ""
    if e.opener == "*":
        return e.at_context(
            f"{what}'*' starts an alias (a reference to an '&anchor', by letters, digits, '-' and '_'); "
            "put a value that starts with '*' in quotes, as in \"*.example.net\""
        )
    return e.at_context(
        f"{what}'&' starts an anchor (a name of letters, digits, '-' and '_' for '*' to refer to); "
        "put a value that starts with '&' in quotes"
    )


def _bad_tag(e: _Err) -> Found:
    if e.context == "while parsing a %TAG directive":
        return _bad_directive(e)
    w = e.src.word(e.cline or e.line, e.ccol or e.col, " \t")
    return e.at_context(f"{_q(w)} is not a valid YAML tag ('!' starts one): put a value that starts with '!' in quotes")


def _undefined_tag(e: _Err) -> Found:
    w = e.src.word(e.line, e.col, " \t")
    return e.at(f"{_q(w)}: unknown tag handle (no %TAG directive defines it): put a value that starts with '!' in quotes")


def _block_indicator_0(e: _Err) -> Found:
    return e.at("the indentation indicator of a block scalar ('|2', '>1'...) must be 1 to 9, not 0")


def _after_indicator(e: _Err) -> Found:
    if e.context == "while scanning a block scalar":
        ind = e.src.line(e.cline or e.line)[(e.ccol or 1) - 1 : (e.ccol or 1)]
        return e.at(
            f"unexpected {e.found_text()} after {_q(ind)}: only '+', '-', an indentation digit and a comment may follow it; "
            "the text starts on the next line"
        )
    return e.at(f"unexpected {e.found_text()} after the directive: only a comment may follow it on its line")


def _bad_directive(e: _Err) -> Found:
    if "%YAML" in e.context:
        return e.at_context("malformed %YAML directive: write '%YAML 1.1' (or leave the line out)")
    if "%TAG" in e.context:
        return e.at_context("malformed %TAG directive: write '%TAG !handle! prefix'")
    w = e.src.word(e.cline or e.line, e.ccol or e.col, " \t")
    return e.at_context(
        f"unknown directive {_q(w)}: a line that starts with '%' is a YAML directive; put a value that starts with '%' in quotes"
    )


def _depth(e: _Err) -> Found:
    return e.at("the YAML nests more than 10000 levels deep")


# -- parser problems ---------------------------------------------------------


def _closer(e: _Err) -> Found | None:
    if e.found in ("}", "]"):
        return e.at(_NOTHING_OPEN.format(c=_q(e.found)))
    return None


def _expected_key(e: _Err) -> Found:
    s = e.src
    r = _closer(e)
    if r is not None:
        return r
    if e.found == "-" and s.char(e.line, e.col + 1) in (" ", "\t", "\n", ""):
        return e.at(
            f"a list item ('- ') cannot appear here: the lines at this indentation are 'key: value' entries "
            f"(the mapping starts at {e.start}); is the item indented under its key?"
        )
    if e.found == "" or s.at_end(e.line, e.col):
        return e.at("unexpected end of the file")
    if s.indent(e.line) == e.col:
        if e.ccol is not None and e.col != e.ccol:
            return e.at(
                f"bad indentation: this line starts at column {e.col}, but the keys of this mapping are at column {e.ccol} "
                f"(as at {e.start}): line it up with the keys above it"
            )
        if e.found == ":":
            return e.at("':' without a key before it")
        return e.at(f"unexpected {e.found_text()}: expected a 'key: value' entry")
    before = s.line(e.line)[: e.col - 1]
    if "\ufeff" in before and not before.strip(" \t\ufeff"):
        return (e.line, before.index("\ufeff") + 1, "an invisible byte order mark (U+FEFF) breaks the indentation here: delete it")
    before = before.rstrip(" \t")
    last = before[-1:]
    if last in ("'", '"'):
        return e.at(f"unexpected {e.found_text()} after the quoted value: put the whole value in the quotes")
    if last in ("]", "}"):
        return e.at(f"unexpected {e.found_text()} after the closing {_q(last)}")
    return e.at(f"unexpected {e.found_text()} after the value on this line")


def _expected_dash(e: _Err) -> Found:
    r = _closer(e)
    if r is not None:
        return r
    if e.src.at_end(e.line, e.col):
        return e.at("unexpected end of the file")
    if e.src.indent(e.line) == e.col:
        return e.at(
            f"this line is not a list item: the lines at this indentation are '- ' items (the list starts at {e.start}); "
            "add '- ', or indent it under an item"
        )
    return e.at(f"unexpected {e.found_text()}: expected a '- ' list item (the list starts at {e.start})")


def _flow(close: str) -> Handler:
    def f(e: _Err) -> Found:
        other = "}" if close == "]" else "]"
        opener = "[" if close == "]" else "{"
        if e.found == other:
            return e.at(f"{_q(other)} does not close the {_q(opener)} opened at {e.start}: use {_q(close)}")
        if e.src.at_end(e.line, e.col):
            line, col = e.src.clamp(e.line, e.col)
            return (line, col, f"unclosed {_q(opener)} opened at {e.start}: the file ends before its {_q(close)}")
        rest = "\n".join([e.src.line(e.line)[e.col - 1 :], *e.src.lines[e.line :]])
        if close not in rest or (e.cline is not None and e.line > e.cline):
            return e.at(f"unclosed {_q(opener)} opened at {e.start}: expected ',' or {_q(close)} before {e.found_text()}")
        return e.at(f"missing ',' or {_q(close)} before {e.found_text()} (in the {_q(opener)} opened at {e.start})")

    return f


def _node_content(e: _Err) -> Found:
    r = _closer(e)
    if r is not None and e.context == "while parsing a block node":
        return r
    if e.found == ",":
        return e.at("a ',' with no value before it: two commas in a row, or a ',' just after an opening bracket")
    if e.src.at_end(e.line, e.col):
        line, col = e.src.clamp(e.line, e.col)
        return (line, col, "the file ends where a value is expected")
    return e.at(f"expected a value here, found {e.found_text()}")


def _doc_start(e: _Err) -> Found:
    return e.at("a %YAML or %TAG directive must be followed by a '---' line before the content")


# -- reader problems ---------------------------------------------------------


def _bad_char(e: _Err) -> Found:
    c = e.found
    if c and 0xDC80 <= ord(c) <= 0xDCFF:
        # a byte that is not UTF-8 (the host file is read with surrogateescape)
        return e.at(f"the file is not valid UTF-8: byte 0x{ord(c) - 0xDC00:02X} here is not part of a UTF-8 character; save it as UTF-8")
    if c in ("", "\n"):
        return e.at("the file is not valid UTF-8 here; save it as UTF-8")
    o = ord(c)
    if 0xD800 <= o <= 0xDFFF:
        return e.at(f"character U+{o:04X} (a lone surrogate) is not allowed in YAML")
    if o < 0x20 or 0x7F <= o <= 0x9F:
        return e.at(f'control character U+{o:04X} is not allowed in YAML: write it as an escape in double quotes ("\\x{o:02x}")')
    return e.at(f'character U+{o:04X} is not allowed in YAML: write it as an escape in double quotes ("\\u{o:04x}")')


def _not_utf8(e: _Err) -> Found:
    return e.at("the file is not valid UTF-8 here; save it as UTF-8")


# -- problems of the decoder (yamlpos.resolve and friends) ---------------------------


def _unknown_anchor(e: _Err) -> Found:
    name = e.problem.split("'")[1] if e.problem.count("'") >= 2 else ""
    return e.at(f"'*{name}' refers to an anchor '&{name}' that is not defined before it (to write a value that starts with '*', quote it)")


def _contains_itself(e: _Err) -> Found:
    return e.at("this anchor's value contains an alias of itself")


def _aliasing(e: _Err) -> Found:
    return e.at("the aliases here expand to too much data")


def _dup_key(e: _Err) -> Found:
    first = f" (first at {e.start})" if e.cline is not None else ""
    key = e.problem.split(" already defined")[0].removeprefix("mapping key ")
    return e.at(f"duplicate key {key}{first}")


def _merge(e: _Err) -> Found:
    return e.at("'<<' merges a mapping, or a list of mappings, into this one: this value is neither")


def _map_key(e: _Err) -> Found:
    return e.at("a list or mapping cannot be a key")


def _cannot_decode(e: _Err) -> Found:
    return e.at(f"the value does not fit its explicit tag ({e.problem})")


def _binary(e: _Err) -> Found:
    return e.at("the !!binary value is not valid base64")


PROBLEMS: dict[str, Handler] = {
    # scanner
    "found character that cannot start any token": _cannot_start,
    "could not find expected ':'": _no_colon,
    "mapping values are not allowed in this context": _mapping_value,
    "block sequence entries are not allowed in this context": _not_here("a list item ('- ')"),
    "mapping keys are not allowed in this context": _not_here("a complex key ('? ')"),
    "found a tab character that violates indentation": _tab_indent,
    "found a tab character where an indentation space is expected": _block_tab,
    "found unexpected end of stream": _unclosed_quote,
    "found unexpected document indicator": _unclosed_quote,
    "found unknown escape character": _unknown_escape,
    "did not find expected hexdecimal number": _bad_hex,
    "found invalid Unicode character escape code": _bad_code,
    "did not find expected alphabetic or numeric character": _bad_anchor,
    "did not find the expected '>'": _bad_tag,
    "did not find expected whitespace or line break": _bad_tag,  # a tag, or a %TAG directive
    "did not find expected '!'": _bad_tag,
    "did not find expected tag URI": _bad_tag,
    "did not find URI escaped octet": _bad_tag,
    "found an incorrect leading UTF-8 octet": _bad_tag,
    "found an incorrect trailing UTF-8 octet": _bad_tag,
    "found an indentation indicator equal to 0": _block_indicator_0,
    "did not find expected comment or line break": _after_indicator,  # a block scalar header, or a directive
    "found unknown directive name": _bad_directive,
    "could not find expected directive name": _bad_directive,
    "found unexpected non-alphabetical character": _bad_directive,
    "did not find expected digit or '.' character": _bad_directive,
    "found extremely long version number": _bad_directive,
    "did not find expected version number": _bad_directive,
    "did not find expected whitespace": _bad_directive,
    # parser
    "did not find expected <stream-start>": lambda e: e.at("the YAML stream does not start"),
    "did not find expected <document start>": _doc_start,
    "found duplicate %YAML directive": lambda e: e.at("a second %YAML directive: give it once"),
    "found incompatible YAML document": lambda e: e.at("only '%YAML 1.1' is accepted here (or no %YAML line at all)"),
    "found duplicate %TAG directive": lambda e: e.at("a second %TAG directive for the same handle"),
    "found undefined tag handle": _undefined_tag,
    "did not find expected node content": _node_content,
    "did not find expected '-' indicator": _expected_dash,
    "did not find expected key": _expected_key,
    "did not find expected ',' or ']'": _flow("]"),
    "did not find expected ',' or '}'": _flow("}"),
    # reader
    "control characters are not allowed": _bad_char,
    "invalid Unicode character": _bad_char,
    "invalid leading UTF-8 octet": _not_utf8,
    "incomplete UTF-8 octet sequence": _not_utf8,
    "invalid trailing UTF-8 octet": _not_utf8,
    "invalid length of a UTF-8 sequence": _not_utf8,
    "incomplete UTF-16 character": lambda e: e.at("the file ends in the middle of a UTF-16 character; save it as UTF-8"),
    # decoder
    "document contains excessive aliasing": _aliasing,
    "!!binary value contains invalid base64 data": _binary,
    "map merge requires map or sequence of maps as the value": _merge,
}

# problems that a string with a missing closing quote can cause further on
_MISPAIRED = frozenset(
    (
        "mapping values are not allowed in this context",
        "did not find expected node content",
        "did not find expected '-' indicator",
        "did not find expected key",
        "did not find expected ',' or ']'",
        "did not find expected ',' or '}'",
    )
)

# problems with a value in their text, by prefix
PREFIXES: tuple[tuple[str, Handler], ...] = (
    ("exceeded max depth of ", _depth),
    ("unknown anchor '", _unknown_anchor),
    ("anchor '", _contains_itself),
    ("mapping key ", _dup_key),
    ("invalid map key: ", _map_key),
    ("cannot decode ", _cannot_decode),
)


def _handler(problem: str) -> Handler | None:
    h = PROBLEMS.get(problem)
    if h is None:
        for prefix, f in PREFIXES:
            if problem.startswith(prefix):
                return f
    return h


def _describe(err: YAMLError, text: str | bytes) -> Found:
    """:func:`describe` without its safety net (tests call this one)."""
    src = _Src(text)
    e = _Err(err, src)
    h = _handler(e.problem)
    r = _mispaired(e) if e.problem in _MISPAIRED else None
    if r is not None:
        line, col, msg = r
    elif h is None:
        line, col, msg = e.at(_raw(err))
    else:
        line, col, msg = h(e)
    line, col = _clamp(src, line, col)
    return line, col, msg


def _raw(err: YAMLError) -> str:
    msg = err.problem or err.message or str(err)
    if msg.startswith("yaml: "):
        msg = msg[6:]
    if msg.startswith("line "):
        msg = msg.partition(": ")[2] or msg
    return msg


def _clamp(src: _Src, line: int, col: int) -> tuple[int, int]:
    n = len(src.lines)
    line = min(max(line, 1), n)
    col = min(max(col, 1), len(src.lines[line - 1]) + 1)
    return line, col


def describe(err: YAMLError, text: str | bytes) -> Found:
    """``(line, col, message)`` of a :class:`hostform.yamlpos.YAMLError` raised
    while loading ``text``: the position of the offending character and a
    plain-language message.  Never raises: a problem it does not know, or a
    failure of its own, gives go-yaml's problem text at the problem position."""
    try:
        return _describe(err, text)
    except Exception:  # a diagnostic must never become a traceback
        line = err.problem_line or err.line or 1
        col = err.problem_column or 1
        try:
            line, col = _clamp(_Src(text), line, col)
        except Exception:
            line, col = 1, 1
        return line, col, _raw(err)


# -- what YAML reads differently from how an editor shows it -------------------

_HIDDEN_NAMES = {
    "\x85": "a raw NEL character (U+0085)",
    "\u2028": "a raw LINE SEPARATOR character (U+2028)",
    "\u2029": "a raw PARAGRAPH SEPARATOR character (U+2029)",
}


def editor_lines(text: str) -> list[str]:
    """``text`` split into lines as an editor splits them: at LF, CR LF and a lone CR
    (a byte order mark at the very start is not part of line 1)."""
    if text[:1] == "\ufeff":
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _editor_position(text: str, i: int) -> tuple[int, int]:
    """1-based (line, col) of ``text[i]``, lines as :func:`editor_lines` splits them,
    columns in characters."""
    start = 1 if text[:1] == "\ufeff" else 0
    before = text[start:i]
    if "\r" in before:
        before = before.replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def hidden_break(text: str) -> Found | None:
    """``(line, col, message)`` of the first raw NEL (U+0085), LINE SEPARATOR (U+2028),
    PARAGRAPH SEPARATOR (U+2029) or other C1 control character (U+0080-U+009F) of
    ``text``, or None.

    YAML reads the first three as line breaks (inside a value, as a space or a
    new line), which no editor shows: ``A: x<NEL>B: y`` on one line of the
    editor defines a second key, and every position after one is off.  go-yaml
    refuses the other C1 characters; they are just as invisible.  The position
    is the character's, lines counted as an editor counts them.
    """
    if text.isascii():
        return None
    import re

    m = re.search("[\x80-\x9f\u2028\u2029]", text)
    if m is None:
        return None
    c = m.group()
    line, col = _editor_position(text, m.start())
    if c in _HIDDEN_NAMES:
        msg = (
            f"{_HIDDEN_NAMES[c]}: YAML reads it as a line break that editors do not show "
            "(in a value, as a space or a new line); delete it, or use a real line break"
        )
    else:
        msg = f"a raw control character (U+{ord(c):04X}), invisible in most editors: YAML does not allow it in a file; delete it"
    return line, col, msg


def second_document(text: str, root: Node | None, file: str = "hostform.yaml") -> Found | None:
    """``(line, col, message)`` where a second YAML document starts in ``text``, or None.

    Call it on text that :func:`hidden_break` passed and that
    :func:`hostform.yamlpos.load` read without an error, into ``root``.  go-yaml
    reads the first document and ignores the rest of the stream: what follows
    a ``---`` or ``...`` line, a ``%`` directive, or anything after a root
    value that ends before the text does (a ``{...}`` root followed by
    ``key: value`` lines; root keys indented, then a key at column 1).  The
    first document may start with one ``---`` and end with ``...`` lines, with
    comments and blank lines after them.

    The usual host file is checked cheaply: a root mapping whose keys are at
    column 1 can only be ended by a line that starts with ``---``, ``...`` or
    ``%``.  Otherwise yamlpos's scanner and parser read the first document
    again and say what comes after it.
    """
    if text[:1] == "\ufeff":
        text = text[1:]
    if _one_document(text, root):
        return None
    return _after_first_document(text, file)


def _one_document(text: str, root: Node | None) -> bool:
    """True when nothing can follow the first document: its root is a block mapping
    whose keys are at column 1 (the scanner's indentation 0, which only a document
    marker, a directive or the end of the text ends), and no line after its first key
    starts with ``---`` or ``...`` and a blank, or with ``%``."""
    if root is None or root.kind != "mapping" or root.style != "" or not root.items or root.items[0][0].column != 1:
        return False
    items = root.items
    if "---" not in text and "..." not in text and "%" not in text:
        return True
    import re

    first = items[0][0].line
    # (a line that starts the text is line 1, never after the first key)
    for m in re.finditer(r"[\r\n](?:(?:---|\.\.\.)(?=[ \t\r\n]|\Z)|%)", text):
        if _editor_position(text, m.start() + 1)[0] > first:
            return False
    return True


def _after_first_document(text: str, file: str) -> Found | None:
    import sys

    from hostform import yamlpos

    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # as yamlpos.load reads it

    class NotingScanner(yamlpos._Scanner):
        """The scanner, noting the line of each '...' document end marker the parser takes."""

        def __init__(self, s: str) -> None:
            super().__init__(s, len(s), None)
            self.ends: list[int] = []

        def skip_token(self) -> None:
            tok = self.tokens[self.thead]
            if tok[0] == yamlpos.T_DOC_END:
                self.ends.append(tok[1][1] + 1)
            super().skip_token()

    sc = NotingScanner(text)
    old = sys.getrecursionlimit()
    try:
        if old < 40000:
            sys.setrecursionlimit(40000)  # as yamlpos.load does
        root = yamlpos._Parser(sc).parse_first_document()
        kind: int | None
        try:
            tok = sc.peek()
            while tok[0] == yamlpos.T_DOC_END:  # more '...' lines end no document
                sc.skip_token()
                tok = sc.peek()
            kind, mark = tok[0], tok[1]
        except yamlpos._Stop as e:  # what follows is not even YAML: it starts at the next token read
            if sc.thead < len(sc.tokens):
                kind, mark = sc.tokens[sc.thead][0], sc.tokens[sc.thead][1]
            else:
                kind, mark = None, e.problem_mark
    except (yamlpos._Stop, yamlpos.YAMLError, RecursionError):  # not after a successful load
        return None
    finally:
        if old < 40000:
            sys.setrecursionlimit(old)
    if kind == yamlpos.T_STREAM_END:
        return None
    at = mark[1] + 1, mark[2] + 1
    head = f"{file} holds more than one YAML document"
    if sc.ends:
        how = (
            f"the '...' on line {sc.ends[0]} ends the first one, and a second one starts here; "
            "a host file is one document: delete the '...' line, or what follows it"
        )
    elif kind == yamlpos.T_DOC_START:
        how = "this '---' starts a second one; a host file is one document: delete this line, or the document it starts"
    elif kind in (yamlpos.T_VERSION, yamlpos.T_TAGDIR):
        how = "this directive starts a second one; a host file is one document: delete this line, or the document it starts"
    else:
        where = f"{root.line}:{root.column}" if root is not None else "1:1"
        how = (
            f"the first one is the value at {where}, and it ends before this line, so YAML reads what follows "
            "as a second one; a host file is one mapping: write each of its keys at column 1, as 'key: value'"
        )
    return at[0], at[1], f"{head}: {how}"
