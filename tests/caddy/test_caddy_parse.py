"""The Caddyfile tokenizer and parser: positions and structure."""

from __future__ import annotations

from hostform.caddy.parse import parse, tokenize
from hostform.diagnostics import Report


def toks(text: str) -> list[tuple[str, int, int, str]]:
    return [(t.text, t.line, t.col, t.quote) for t in tokenize(text)]


def test_words_positions_and_comments() -> None:
    assert toks("a.com {\n\treverse_proxy x:80 # comment\n}\n") == [
        ("a.com", 1, 1, ""),
        ("{", 1, 7, ""),
        ("reverse_proxy", 2, 2, ""),
        ("x:80", 2, 16, ""),
        ("}", 3, 1, ""),
    ]


def test_hash_inside_a_token_is_not_a_comment() -> None:
    assert [t[0] for t in toks("respond a#b\n")] == ["respond", "a#b"]


def test_quotes_escapes_backticks_and_multiline() -> None:
    got = toks('respond "say \\"hi\\"" `raw "x"` "two\nlines" end\n')
    assert got == [
        ("respond", 1, 1, ""),
        ('say "hi"', 1, 9, '"'),
        ('raw "x"', 1, 22, "`"),
        ("two\nlines", 1, 32, '"'),
        ("end", 2, 8, ""),
    ]
    tokens = tokenize('respond "two\nlines" end\nnext\n')
    assert tokens[0].logical == tokens[2].logical != tokens[3].logical


def test_backslash_newline_joins_lines() -> None:
    tokens = tokenize("reverse_proxy a:1 \\\n\tb:2\nrespond\n")
    assert [t.text for t in tokens] == ["reverse_proxy", "a:1", "b:2", "respond"]
    assert tokens[2].line == 2 and tokens[2].logical == tokens[0].logical
    assert tokens[3].logical != tokens[0].logical


def test_heredoc() -> None:
    tokens = tokenize("respond <<EOF\n\t\thello\n\t\tworld\n\tEOF 200\nnext\n")
    assert tokens[1].quote == "<" and tokens[1].text == "\thello\n\tworld"
    assert tokens[-1].text == "next"


def test_unclosed_quote_and_heredoc_are_located() -> None:
    r = Report()
    tokenize('a.com {\n\trespond "oops\n}\n', "F", r)
    assert [(d.code, d.line, d.col) for d in r] == [("HF400", 2, 10)]
    r = Report()
    tokenize("a.com {\n\trespond <<END\nx\n}\n", "F", r)
    assert [(d.code, d.line, d.col) for d in r] == [("HF400", 2, 10)]


def test_bom_and_crlf() -> None:
    assert [t[:3] for t in toks("\ufeffa.com {\r\n}\r\n")] == [("a.com", 1, 1), ("{", 1, 7), ("}", 2, 1)]


def test_structure_global_sites_snippets() -> None:
    text = (
        "{\n\temail a@b.c\n}\n\n(common) {\n\tencode gzip\n}\n\n"
        "a.com, b.com {\n\timport common\n\treverse_proxy x:80 {\n\t\tlb_try_duration 1s\n\t}\n}\n"
    )
    cf, report = parse(text)
    assert not report
    assert [b.kind for b in cf.blocks] == ["global", "snippet", "site"]
    assert cf.global_options is not None and cf.global_options.body[0].name.text == "email"
    site = cf.sites[0]
    assert [k.text for k in site.keys] == ["a.com,", "b.com"]
    rp = site.body[1]
    assert rp.name.text == "reverse_proxy" and [a.text for a in rp.args] == ["x:80"]
    assert rp.block is not None and rp.block[0].name.text == "lb_try_duration"
    assert rp.close is not None and rp.close.line == 13


def test_placeholders_are_not_braces() -> None:
    cf, report = parse("{$DOMAIN} {\n\trespond {host}\n}\n")
    assert not report
    assert cf.sites[0].keys[0].text == "{$DOMAIN}"


def test_site_without_braces() -> None:
    cf, report = parse("a.com\nreverse_proxy x:80\n")
    assert not report
    assert not cf.sites[0].braces and cf.sites[0].body[0].name.text == "reverse_proxy"


def test_brace_on_next_line_after_addresses_is_accepted() -> None:
    # Caddy accepts this for site blocks (not for directives)
    _, report = parse("a.com\n{\n\trespond hi\n}\n")
    assert not report


def test_close_then_next_site_on_the_same_line() -> None:
    cf, report = parse("a.com {\n\trespond a\n} b.com {\n\trespond b\n}\n")
    assert not report
    assert [b.keys[0].text for b in cf.sites] == ["a.com", "b.com"]


def located(text: str) -> list[tuple[int, int]]:
    _, report = parse(text, "F")
    assert all(d.code == "HF400" for d in report)
    return [(d.line, d.col) for d in report]


def test_structure_errors_are_located() -> None:
    assert located("a.com {\n\trespond hi\n") == [(1, 7)]  # never closed
    assert located("a.com {\n\trespond hi\n}\n}\n") == [(4, 1)]  # extra }
    assert located("a.com { respond hi\n}\n") == [(1, 9)]  # token after {
    assert located("a.com {\n\treverse_proxy x:80\n\t{\n\t}\n}\n") == [(3, 2)]  # { on its own line
    assert located("a.com {\n\trespond {}\n}\n") == [(2, 10)]
    assert located("a.com{\n}\n") == [(1, 1)]
    assert located("a.com, {\n}\n") == [(1, 8)]
    assert located("{\n}\n{\n}\n") == [(3, 1)]  # second global block
    assert located("@m path /x\na.com {\n}\n") == [(1, 1)]
