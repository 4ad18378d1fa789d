"""YAML syntax errors in hostform.yaml (HF001): at the offending character, in plain words.

Each broken host file below carries a caret ``‸`` just before the character
`hostform build` must point at (removed before the file is written); the test
runs the CLI in-process and checks ``hostform.yaml:LINE:COL: error[HF001]``,
that the message says what it should (a short fragment) and that it is not
go-yaml's raw text.  Columns count characters: a tab or a multi-byte UTF-8
character is one column.

`hostform butane` keeps go-yaml's exact text (tests/test_butane_conformance.py);
the positions and texts yamlpos.YAMLError carries for this are checked here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostform import yamlpos
from hostform.cli.main import main
from hostform.host import yamlerror
from hostform.host.load import load_text
from tests.require import shared

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tinkerbell" / "hostform.yaml"
CORPUS = ROOT.parent / "shared" / "conformance" / "butane" / "cases"
CARET = "\u2038"

HEAD = "name: h\nservices:\n  web:\n    image: docker.io/library/nginx:1\n"

# (id, host file with a caret before the offending character, fragment of the message)
CASES = [
    # brackets and braces
    ("stray-brace", HEAD + "    port: 80\n    env:\n      A: {b: 1}‸}\n", "unexpected '}': nothing is open here to close"),
    ("stray-bracket", HEAD + "    command: [a, b]‸]\n", "unexpected ']': nothing is open here to close"),
    ("stray-brace-own-line", "name: h\n‸}\n", "unexpected '}'"),
    ("unclosed-brace", HEAD + "    env: {A: 1, B: 2\n    port‸: 80\n", "unclosed '{' opened at 5:10"),
    ("unclosed-bracket-at-end", HEAD + "    command: [a, b‸\n", "unclosed '[' opened at 5:14: the file ends before its ']'"),
    ("missing-comma", HEAD + "    command: ['a' ‸'b']\n", "missing ',' or ']'"),
    ("wrong-closer", HEAD + "    command: [a, b‸}\n", "'}' does not close the '[' opened at 5:14"),
    ("two-commas", HEAD + "    command: [a, ‸, b]\n", "two commas in a row"),
    # quotes
    ("unclosed-double-quote", HEAD + '    env:\n      A: "abc\n      B: x‸\n', "unclosed quote: the string that starts at 6:10 never ends"),
    ("unclosed-single-quote", HEAD + "    env: {A: 'abc}‸\n", "unclosed quote: the string that starts at 5:14 never ends"),
    ("quote-into-document-marker", HEAD + '    env: {A: "abc\n‸---\n', "runs into the document marker '---'"),
    (
        "quote-missing-its-partner",  # the next quote ends the string; the error comes lines later
        'name: h\nservices:\n  web:\n    image: ‸"docker.io/library/nginx:1\n    port: 80\n    command: ["a"]\n',
        "unclosed quote? this string runs on to 6:15 over lines that look like YAML",
    ),
    (
        "quote-missing-its-partner-at-end",
        'name: h\nservices:\n  web:\n    image: ‸"docker.io/library/nginx:1\n    port: 80\n    env: {A: "x"}\nsites: {a.example: web}\n',
        "unclosed quote? this string runs on to 6:14",
    ),
    ("text-after-quoted-value", HEAD + '    image: "docker.io/x/y:1" ‸latest\n', "after the quoted value"),
    # tabs
    ("tab-indents-a-key", HEAD + "    env:\n‸\tA: 1\n", "a tab character cannot indent YAML; use spaces"),
    ("tab-indents-a-continuation", HEAD + "‸\tport: 80\n", "a tab character cannot indent YAML; use spaces"),
    ("tab-in-block-scalar", "name: h\nfiles:\n  - path: /x\n    text: |\n      a\n ‸\tb\n", "cannot indent the text of the block scalar"),
    # indentation and keys
    (
        "indented-more",
        HEAD + "    port: 80\n      ‸env: x\n",
        "this line is indented more than the key above: is a ':' missing, or a space too many?",
    ),
    (
        "indented-between",
        HEAD + "    port: 80\n   ‸env: x\n",
        "bad indentation: this line starts at column 4, but the keys of this mapping are at column 3",
    ),
    ("second-colon", HEAD + "    port: 80‸: 90\n", "a second ': ' on this line"),
    ("key-without-colon", HEAD + "    ‸port 80\n    env: {}\n", "missing ':' after 'port 80'"),
    ("colon-without-space", HEAD + "    ‸port:80\n    env: {}\n", "missing space after ':' in 'port:80'"),
    ("list-item-in-mapping", HEAD + "    port: 80\n    ‸- x\n", "a list item ('- ') cannot appear here"),
    ("key-in-list", "name: h\nquadlets:\n  - a.container\n  ‸b: c\n", "this line is not a list item"),
    ("list-item-after-value", "name: h\nquadlets: [a.container] ‸- b\n", "a list item ('- ') cannot start after a value"),
    ("colon-without-key", "name: h\n‸: x\n", "':' without a key"),
    # anchors, aliases, tags
    ("undefined-alias", HEAD + "    env: ‸*defaults\n", "'*defaults' refers to an anchor '&defaults' that is not defined"),
    ("wildcard-site-unquoted", "name: h\nsites:\n  ‸*.example.net: web\n", "put a value that starts with '*' in quotes"),
    ("empty-anchor", HEAD + "    env: ‸& {A: 1}\n", "'&' starts an anchor"),
    ("bad-tag", HEAD + "    port: ‸!<int 80\n", "is not a valid YAML tag"),
    ("undefined-tag-handle", HEAD + "    port: ‸!x!int 80\n", "unknown tag handle"),
    # escapes in double quotes
    ("windows-path", HEAD + '    env: {A: "C:‸\\Users"}\n', "'\\U' needs 8 hexadecimal digits"),
    ("unknown-escape-q", HEAD + '    env: {A: "a‸\\qb"}\n', "unknown escape '\\q' in a double-quoted string"),
    ("short-hex-escape", HEAD + '    env: {A: "a‸\\xZZ"}\n', "'\\x' needs 2 hexadecimal digits"),
    ("surrogate-escape", HEAD + '    env: {A: "a‸\\uD800"}\n', "'\\uD800' is not a Unicode character"),
    # characters the reader refuses
    ("invalid-utf8", HEAD + "    env: {A: caf‸\udce9}\n", "not valid UTF-8: byte 0xE9"),
    ("control-character", HEAD + "    env: {A: a‸\x01b}\n", "control character U+0001 is not allowed"),
    ("nul", HEAD + "    port: 8‸\x000\n", "control character U+0000"),
    ("noncharacter", HEAD + "    env: {A: ‸\ufffe}\n", "character U+FFFE is not allowed"),
    # documents and directives
    ("unknown-directive", "‸%include base.yaml\nname: h\n", "unknown directive '%include'"),
    ("yaml-1.2", "‸%YAML 1.2\n---\nname: h\n", "only '%YAML 1.1' is accepted"),
    ("directive-without-document-start", "%YAML 1.1\nname‸: h\n", "must be followed by a '---' line"),
    ("reserved-at-sign", HEAD + "    env: {A: ‸@home}\n", "'@' cannot start a plain value"),
    ("percent-value", HEAD + "    memory: ‸%50\n", "'%' cannot start a plain value"),
    # block scalars
    ("block-scalar-header", "name: h\nfiles:\n  - path: /x\n    text: | ‸keep\n      a\n", "unexpected 'keep' after '|'"),
    ("block-scalar-indent-0", "name: h\nfiles:\n  - path: /x\n    text: |‸0\n      a\n", "must be 1 to 9, not 0"),
    # positions count characters: multi-byte characters, CR LF, a byte order mark
    ("multibyte-before", HEAD + "    env: {É: 'é', Ü: {x: 1}}‸}\n", "unexpected '}'"),
    ("crlf", (HEAD + "    env:\n      A: {b: 1}‸}\n").replace("\n", "\r\n"), "unexpected '}'"),
    ("bom", "\ufeffname: {a: 1}‸}\n", "unexpected '}'"),
    # nesting
    ("too-deep", "name: h\nx: " + "[" * 10000 + "‸[" + "]" * 10001 + "\n", "nests more than 10000 levels deep"),
]


def _split(marked: str) -> tuple[str, int, int]:
    """(text without the caret, line, column of the caret)."""
    i = marked.index(CARET)
    before = marked[:i]
    if before.startswith("\ufeff"):
        before = before[1:]  # not a column, as in an editor
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return marked[:i] + marked[i + 1 :], line, col


def _yaml_error(text: str) -> yamlpos.YAMLError:
    with pytest.raises(yamlpos.YAMLError) as ei:
        yamlpos.load(text)
    return ei.value


@pytest.mark.parametrize("name, marked, fragment", CASES, ids=[c[0] for c in CASES])
def test_build_points_at_the_offending_character(tmp_path, capsys, name, marked, fragment):
    text, line, col = _split(marked)
    (tmp_path / "hostform.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
    assert main(["build", str(tmp_path), "-o", str(tmp_path / "out"), "-q"]) == 1
    err = capsys.readouterr().err
    diags = [ln for ln in err.splitlines() if "error[" in ln]
    assert len(diags) == 1, err
    want = f"{tmp_path / 'hostform.yaml'}:{line}:{col}: error[HF001]: "
    assert diags[0].startswith(want), (diags[0], want)
    msg = diags[0][len(want) :]
    assert fragment in msg, msg
    raw = _yaml_error(text.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape"))
    assert raw.problem not in msg and raw.message not in msg  # not go-yaml's words
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_issue_example():
    # on main this was `hostform.yaml:6:1: error[HF001]: did not find expected key`
    text = HEAD + "    port: 80\n    env:\n      A: {b: 1}}\n"
    e = _yaml_error(text)
    assert e.message == "yaml: line 6: did not find expected key"  # go-yaml's text is kept
    ld = load_text(text)
    [d] = list(ld.report)
    assert d.format() == "hostform.yaml:7:16: error[HF001]: unexpected '}': nothing is open here to close"


# --- the table covers every problem yamlpos can raise --------------------------------


def _yamlpos_problems() -> set[str]:
    """Every problem text in yamlpos's source: the literal arguments of serr()
    and perr(), the reader's problems, and the f-strings' constant heads."""
    src = (ROOT / "src" / "hostform" / "yamlpos.py").read_text()
    out: set[str] = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("serr", "perr"):
            arg = node.args[2]
            if isinstance(arg, ast.Constant):
                out.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                out.add(arg.values[0].value + "…")
    for fn in ("_utf8_problem", "_check_chars", "_decode"):
        body = re.search(rf"\ndef {fn}\(.*?(?=\ndef )", src, re.S).group(0)
        out.update(m for m in re.findall(r'"([a-z][a-zA-Z0-9 -]+)"', body) if " " in m and "utf-" not in m)
    return out


def test_every_yamlpos_problem_has_an_entry():
    problems = _yamlpos_problems()
    assert len(problems) >= 45, sorted(problems)
    assert "invalid leading UTF-8 octet" in problems and "control characters are not allowed" in problems
    for p in problems:
        if p.endswith("…"):
            assert any(p[:-1].startswith(pre) for pre, _ in yamlerror.PREFIXES), p
        else:
            assert p in yamlerror.PROBLEMS, p
    # and the texts of load()'s own raise sites
    assert yamlerror._handler("unknown anchor 'x' referenced") is not None
    assert yamlerror._handler("exceeded max depth of 10000") is not None


# --- what YAMLError carries ------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, problem, context, at, ctx_at",
    [
        ("a: [b, c}\n", "parser", "did not find expected ',' or ']'", "while parsing a flow sequence", (1, 9), (1, 4)),
        ("a:\n  b: 'x\n", "scanner", "found unexpected end of stream", "while scanning a quoted scalar", (3, 1), (2, 6)),
        ("a: 1\nb\nc: 2\n", "scanner", "could not find expected ':'", "while scanning a simple key", (3, 1), (2, 1)),
        ("a:\n\tb: 1\n", "scanner", "found character that cannot start any token", "while scanning for the next token", (2, 1), (2, 1)),
        ('k: {é: "\\q"}\n', "scanner", "found unknown escape character", "while parsing a quoted scalar", (1, 9), (1, 8)),
        ("a:\tb: \x01\n", "reader", "control characters are not allowed", "", (1, 7), None),
        ("a: 1\r\nb: 2\r\n\x02\n", "reader", "control characters are not allowed", "", (3, 1), None),
        ("\ufeffa: *x\n", "anchor", "unknown anchor 'x' referenced", "", (1, 4), None),
        ("a: " + "[" * 10001, "scanner", "exceeded max depth of 10000", "while increasing flow level", (1, 10004), (1, 10004)),
        ("- a\nb: 1\n", "parser", "did not find expected '-' indicator", "while parsing a block collection", (2, 1), (1, 1)),
    ],
)
def test_yamlerror_positions(text, kind, problem, context, at, ctx_at):
    e = _yaml_error(text)
    assert (e.kind, e.problem, e.context) == (kind, problem, context)
    assert (e.problem_line, e.problem_column) == at
    assert (e.context_line, e.context_column) == (ctx_at or (None, None))


def test_invalid_utf8_bytes_are_located():
    e = _yaml_error(b"a: 1\nb: caf\xff\n")
    assert (e.kind, e.problem, e.problem_line, e.problem_column) == ("reader", "invalid leading UTF-8 octet", 2, 7)
    assert e.message == "yaml: invalid leading UTF-8 octet"


def test_decode_errors_are_located():
    with pytest.raises(yamlpos.YAMLError) as ei:
        yamlpos.resolve(yamlpos.load("a: 1\nb: 2\na: 3\n"))
    e = ei.value
    assert (e.kind, e.problem_line, e.problem_column, e.context_line, e.context_column) == ("decode", 3, 1, 1, 1)
    assert e.problem == 'mapping key "a" already defined at line 1'


def _corpus_errors():
    for case in sorted(CORPUS.glob("*/input.bu")) if CORPUS.is_dir() else []:
        data = case.read_bytes()
        try:
            yamlpos.load(data)
        except yamlpos.YAMLError as e:
            yield case.parent.name, data, e


def test_corpus_syntax_errors_carry_a_real_position():
    shared(CORPUS)
    found = list(_corpus_errors())
    assert found
    for name, data, e in found:
        assert e.kind in ("scanner", "parser", "reader", "anchor", "depth"), name
        text = data.decode("utf-8", "surrogateescape")
        lines = yamlerror._Src(text).lines
        assert 1 <= e.problem_line <= len(lines), name
        assert 1 <= e.problem_column <= len(lines[e.problem_line - 1]) + 1, name
        line, col, msg = yamlerror._describe(e, text)
        assert msg != e.problem, name


def test_describe_falls_back_to_go_yaml_text():
    e = yamlpos.YAMLError("yaml: line 3: something new", 3)
    assert yamlerror.describe(e, "a: 1\nb: 2\nc: 3\n") == (3, 1, "something new")

    class Broken(yamlpos.YAMLError):
        problem = "did not find expected key"
        problem_line = "not a number"

    assert yamlerror.describe(Broken("yaml: did not find expected key"), "a: 1\n") == (1, 1, "did not find expected key")


# --- random mutations of the example -------------------------------------------


def _lines(text: str) -> list[str]:
    """The text's lines as YAML counts them (LF, CR LF, CR, NEL, LS, PS; a leading BOM is no column)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return re.split("\r\n|[\r\n\x85\u2028\u2029]", text)


EXAMPLE_TEXT = EXAMPLE.read_text() if EXAMPLE.is_file() else ""
CHARS = st.one_of(
    st.sampled_from(list(":{}[],'\"-#&*!|>%@`?\\ \t\n\r") + ["\x00", "\x01", "\x7f", "\x85", "\u2028", "\ufeff", "\udcff", "é", "---\n"]),
    st.characters(),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_mutations_of_the_example(data):
    """Insert or delete one character (or a document marker) anywhere in the
    example.  When the result is not YAML: exactly one HF001, at a real
    position of the text (a line of it, a column of that line or just after
    its end), on or after the line of the change (the text before it is the
    example's, which reads fine), in the table's words; and for a character
    the reader refuses, exactly at that character."""
    assert EXAMPLE_TEXT, EXAMPLE
    orig = EXAMPLE_TEXT
    i = data.draw(st.integers(0, len(orig) - 1), label="at")
    if data.draw(st.booleans(), label="insert"):
        c = data.draw(CHARS, label="char")
        text = orig[:i] + c + orig[i:]
    else:
        c = ""
        text = orig[:i] + orig[i + 1 :]
    try:
        yamlpos.load(text)
        return  # still YAML: nothing to say here
    except yamlpos.YAMLError as e:
        err = e
    ld = load_text(text.encode("utf-8", "surrogateescape") if "\udcff" in text else text)
    diags = list(ld.report)
    if yamlerror.hidden_break(text) is not None:  # a NEL, U+2028 or other C1 character: refused before parsing (test_yaml_raw.py)
        assert [d.code for d in diags] == ["HF011"], [d.format() for d in diags]
        return
    assert [d.code for d in diags] == ["HF001"], [d.format() for d in diags]
    d = diags[0]
    lines = _lines(text)
    assert 1 <= d.line <= len(lines)
    assert 1 <= d.col <= len(lines[d.line - 1]) + 1
    changed_line = len(_lines(text[:i]))
    assert d.line >= changed_line, (d.format(), changed_line)
    # every problem is in the table (the safety net of describe() is not used)
    assert yamlerror._describe(err, text) == (d.line, d.col, d.message)
    assert d.message != err.problem
    if err.kind == "reader":  # the example has no such character: it is the inserted one
        before = _lines(text[:i])
        assert (d.line, d.col) == (len(before), len(before[-1]) + 1)
