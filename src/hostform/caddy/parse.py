"""Caddyfile reader with positions: tokens, then blocks and directives.

This follows the Caddyfile's rules as Caddy 2 applies them (read from its
lexer and parser, rewritten here):

* tokens are separated by whitespace; ``"..."`` and `` `...` `` quote (a
  quoted token may span lines; in ``"..."`` only ``\\"`` is an escape),
  ``<<MARKER`` starts a heredoc that ends at a line holding ``MARKER``;
* ``#`` starts a comment only at the start of a token;
* a backslash before a newline joins the next line to this one;
* a directive is the tokens of one line; a ``{`` ending the line opens its
  block, which a ``}`` closes; ``{`` or ``}`` inside a token (``{host}``,
  ``{$DOMAIN}``) are placeholders, not braces;
* the first block may be the global options block (a line holding only
  ``{``); then come site blocks (addresses, then ``{``; the ``{`` may also
  start the next line), snippets ``(name) {`` and named routes ``&(name) {``;
  a single site may leave out its braces, and then holds the rest of the file.

Problems of structure are reported with code HF400 at the token concerned.
The parser recovers where it can so that later checks still run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hostform.diagnostics import Report

__all__ = ["Block", "Caddyfile", "Directive", "Token", "parse", "tokenize"]

_HEREDOC_MARKER = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Token:
    text: str
    line: int
    """1-based physical line where the token starts."""
    col: int
    """1-based column (in characters) where the token starts, quote included."""
    logical: int
    """Logical line: like ``line``, but lines joined by ``\\`` count as one."""
    quote: str = ""
    """``"``, `` ` ``, ``<`` (heredoc) or empty when the token was not quoted."""
    length: int = 0
    """Characters the token covers on its first line."""

    @property
    def is_open(self) -> bool:
        return self.text == "{" and not self.quote

    @property
    def is_close(self) -> bool:
        return self.text == "}" and not self.quote


@dataclass
class Directive:
    """A directive (or subdirective, or global option): its name, arguments and block."""

    name: Token
    args: list[Token] = field(default_factory=list)
    block: list["Directive"] | None = None
    open: Token | None = None
    close: Token | None = None


@dataclass
class Block:
    """A top-level block: ``kind`` is ``global``, ``site``, ``snippet`` or ``route``."""

    kind: str
    keys: list[Token]
    body: list[Directive]
    braces: bool
    open: Token | None = None
    close: Token | None = None


@dataclass
class Caddyfile:
    blocks: list[Block]

    @property
    def global_options(self) -> Block | None:
        return self.blocks[0] if self.blocks and self.blocks[0].kind == "global" else None

    @property
    def sites(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "site"]


def _err(report: Report, file: str | None, message: str, tok_or_pos: Token | tuple[int, int], length: int = 1) -> None:
    if isinstance(tok_or_pos, Token):
        line, col, length = tok_or_pos.line, tok_or_pos.col, max(tok_or_pos.length, 1)
    else:
        line, col = tok_or_pos
    report.error("HF400", message, file=file, line=line, col=col, length=length)


def tokenize(text: str, file: str | None = None, report: Report | None = None) -> list[Token]:
    """Split ``text`` into tokens; lexical problems (an unclosed quote) go to ``report``."""
    report = report if report is not None else Report()
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r", "")
    tokens: list[Token] = []
    lines = text.split("\n")
    line_no = 0
    logical = 0
    n = len(lines)
    while line_no < n:
        src = lines[line_no]
        i = 0
        joined = False
        while i < len(src):
            ch = src[i]
            if ch in " \t\f\v":
                i += 1
                continue
            if ch == "#":
                break
            if ch == "\\" and i == len(src) - 1:
                joined = True
                break
            start_line, start_col = line_no + 1, i + 1
            if ch in "\"`":
                # quoted token, possibly over several lines
                buf: list[str] = []
                j = i + 1
                cur = line_no
                closed = False
                while True:
                    line_text = lines[cur]
                    while j < len(line_text):
                        c = line_text[j]
                        if ch == '"' and c == "\\" and j + 1 < len(line_text) and line_text[j + 1] == '"':
                            buf.append('"')
                            j += 2
                            continue
                        if c == ch:
                            closed = True
                            break
                        buf.append(c)
                        j += 1
                    if closed or cur + 1 >= n:
                        break
                    buf.append("\n")
                    cur += 1
                    j = 0
                if not closed:
                    _err(report, file, f"unclosed quote {ch}: the token started here never ends", (start_line, start_col))
                    return tokens
                length = (j + 1 - i) if cur == line_no else len(src) - i
                tokens.append(Token("".join(buf), start_line, start_col, logical, ch, length))
                if cur != line_no:
                    line_no = cur
                    src = lines[cur]
                i = j + 1
                continue
            # bare word
            j = i
            while j < len(src) and src[j] not in " \t\f\v":
                j += 1
            word = src[i:j]
            if word.startswith("<<") and j == len(src) and len(word) > 2 and not word.startswith("<<<"):
                marker = word[2:]
                if not _HEREDOC_MARKER.match(marker):
                    _err(report, file, f"heredoc marker {marker!r} may hold only letters, digits, '-' and '_'", (start_line, start_col), len(word))
                    return tokens
                body: list[str] = []
                cur = line_no + 1
                while cur < n and not lines[cur].lstrip().startswith(marker):
                    body.append(lines[cur])
                    cur += 1
                if cur >= n:
                    _err(report, file, f"heredoc <<{marker} is never closed by a line starting with {marker}", (start_line, start_col), len(word))
                    return tokens
                pad = lines[cur][: len(lines[cur]) - len(lines[cur].lstrip())]
                for k, b in enumerate(body):
                    if b and not b.startswith(pad):
                        _err(report, file, f"heredoc line is not indented like its closing marker {marker}", (line_no + 2 + k, 1))
                tokens.append(Token("\n".join(b[len(pad):] for b in body), start_line, start_col, logical, "<", len(word)))
                line_no = cur
                src = lines[cur]
                i = len(pad) + len(marker)
                continue
            tokens.append(Token(word, start_line, start_col, logical, "", len(word)))
            i = j
        line_no += 1
        if not joined:
            logical += 1
    # logical line numbers: count from 1 like physical ones (only their equality matters)
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token], file: str | None, report: Report) -> None:
        self.t = tokens
        self.i = 0
        self.file = file
        self.report = report

    def peek(self) -> Token | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def line_tokens(self) -> list[Token]:
        """Consume and return the rest of the current logical line."""
        start = self.i
        logical = self.t[start].logical
        while self.i < len(self.t) and self.t[self.i].logical == logical:
            self.i += 1
        return self.t[start : self.i]

    def parse(self) -> Caddyfile:
        blocks: list[Block] = []
        while self.peek() is not None:
            tok = self.peek()
            assert tok is not None
            if tok.is_close:
                _err(self.report, self.file, "'}' has no matching '{'", tok)
                self.i += 1
                continue
            if tok.is_open:
                line = self.line_tokens()
                if blocks:
                    _err(self.report, self.file, "a block without addresses: only the first block may be the global options block", tok)
                if len(line) > 1:
                    _err(self.report, self.file, "unexpected token after '{' on the same line", line[1])
                body, close = self.body(tok)
                blocks.append(Block("global", [], body, True, tok, close))
                continue
            blocks.append(self.server_block())
        return Caddyfile(blocks)

    def server_block(self) -> Block:
        keys: list[Token] = []
        expecting = True
        open_tok: Token | None = None
        while True:
            tok = self.peek()
            if tok is None:
                break
            if keys and not expecting and tok.logical != keys[-1].logical and not tok.is_open:
                break
            self.i += 1
            if tok.is_open:
                open_tok = tok
                if keys and expecting and keys[-1].text.endswith(","):
                    _err(self.report, self.file, "expected another address after the ',' before '{'", tok)
                break
            if tok.text.endswith("{") and not tok.quote:
                _err(self.report, self.file, f"site address {tok.text!r} ends with '{{': put a space before the brace", tok)
                open_tok = tok
                break
            if tok.text.startswith("@"):
                _err(self.report, self.file, f"matcher {tok.text} defined outside a site block", tok)
            keys.append(tok)
            expecting = tok.text.endswith(",")
        if open_tok is not None:
            after = self.peek()
            if after is not None and after.logical == open_tok.logical:
                _err(self.report, self.file, "unexpected token after '{' on the same line", after)
        kind = "site"
        if len(keys) == 1 and keys[0].text.startswith("(") and keys[0].text.endswith(")"):
            kind = "snippet"
        elif len(keys) == 1 and keys[0].text.startswith("&(") and keys[0].text.endswith(")"):
            kind = "route"
        if open_tok is None:
            if kind != "site":
                _err(self.report, self.file, f"{keys[0].text} needs a block in braces", keys[0])
            body, _ = self.body(None)
            return Block(kind, keys, body, False)
        body, close = self.body(open_tok)
        return Block(kind, keys, body, True, open_tok, close)

    def body(self, open_tok: Token | None) -> tuple[list[Directive], Token | None]:
        """Directives until the '}' matching ``open_tok`` (or EOF when it is None)."""
        out: list[Directive] = []
        while True:
            tok = self.peek()
            if tok is None:
                if open_tok is not None:
                    _err(self.report, self.file, "'{' is never closed", open_tok)
                return out, None
            if tok.is_close:
                if open_tok is None:
                    _err(self.report, self.file, "'}' has no matching '{'", tok)
                    self.i += 1
                    continue
                self.i += 1
                return out, tok
            line = self.line_tokens()
            if line[0].is_open:
                _err(self.report, self.file, "'{' on a line of its own: put it at the end of the previous line", line[0])
                d = Directive(line[0])
            else:
                d = Directive(line[0], list(line[1:]))
            # a '}' later on the line closes the enclosing block, as in `foo }`
            for k, arg in enumerate(d.args):
                if arg.is_close:
                    _err(self.report, self.file, "'}' must start its line", arg)
                    d.args = d.args[:k]
                    break
            for k, arg in enumerate(d.args):
                if arg.is_open:
                    if k != len(d.args) - 1:
                        _err(self.report, self.file, "unexpected token after '{' on the same line", d.args[k + 1])
                    d.args = d.args[:k]
                    d.open = arg
                    d.block, d.close = self.body(arg)
                    break
                if arg.text == "{}" and not arg.quote and k == len(d.args) - 1:
                    _err(self.report, self.file, "'{}' at the end of a line: write an empty block as '{' and '}' on two lines, or leave it out", arg)
            if line[0].is_open and open_tok is not None:
                d.open = line[0]
                d.block, d.close = self.body(line[0])
            out.append(d)


def parse(text: str, file: str | None = None, report: Report | None = None) -> tuple[Caddyfile, Report]:
    """Tokenize and parse; returns the tree and the report (HF400 entries) it filled."""
    report = report if report is not None else Report()
    tokens = tokenize(text, file, report)
    return _Parser(tokens, file, report).parse(), report
