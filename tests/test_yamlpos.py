"""Tests for hostform.yamlpos: go-yaml v3 semantics, positions and messages."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hostform import yamlpos
from hostform._yamlfast import fast_load
from hostform.yamlpos import YAMLError, YAMLTypeError, decode_scalar, load, resolve, struct_items
from tests.require import shared, shared_params

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CASES = SHARED / "conformance" / "butane" / "cases"


def r(text: str) -> object:
    return resolve(load(text))


def err(text: str | bytes) -> str:
    with pytest.raises(YAMLError) as ei:
        resolve(load(text))
    return ei.value.message


# --- scalars and resolution ------------------------------------------------


@pytest.mark.parametrize(
    "src, want",
    [
        ("0644", 420),
        ("0o644", 420),
        ("0x1A4", 420),
        ("0b1", 1),
        ("-0b101", -5),
        ("1_000", 1000),
        ("+1", 1),
        ("-17", -17),
        ("08", 8.0),  # not octal: falls through to the float pattern
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("1e400", "1e400"),  # ParseFloat overflow: stays a string
        ("18446744073709551615", 18446744073709551615),
        ("18446744073709551616", 1.8446744073709552e19),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("true", True),
        ("True", True),
        ("FALSE", False),
        ("yes", "yes"),
        ("on", "on"),
        ("y", "y"),
        ("'0644'", "0644"),
        ('"true"', "true"),
        ("!!str 12", "12"),
        ("!!float 1", 1.0),
        ("!foo 12", "12"),
        ("0x", "0x"),
        ("+", "+"),
        ("-", None),  # '- ' is a sequence entry
    ],
)
def test_scalar_resolution(src: str, want: object) -> None:
    got = r("v: " + src + "\n")["v"] if src != "-" else None
    if src == "-":
        assert r("-\n") == [None]
        return
    if isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == want and type(got) is type(want)


def test_nan_and_timestamp() -> None:
    assert math.isnan(r("v: .NaN")["v"])
    import datetime as dt

    ts = r("a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: '2001-12-14'")
    assert ts["a"] == dt.datetime(2001, 12, 14, tzinfo=dt.timezone.utc)
    assert ts["b"].utcoffset() == dt.timedelta(hours=-5)
    assert ts["c"] == "2001-12-14"
    assert load("2001-12-14").tag == "!!timestamp"
    assert load("2001-13-14").tag == "!!str"


@pytest.mark.parametrize("zone", ["+\u00b2\u00b2:00", "+\u0660\u0665:00", "-0\u0665:00"])
def test_timestamp_zone_takes_ascii_digits_only(zone: str, tmp_path: Path) -> None:
    """As Go's time.Parse (yaml.v3's parseTimestamp): a zone written with other digits (str.isdigit()
    takes '²' and '٥') makes the value no timestamp but a string, which go-yaml v3.0.1 gives too
    (`!!str`).  '²' made `hostform butane` fail with a traceback (int('²²'))."""
    v = "2001-12-14T21:59:43" + zone
    text = f"a: {v}\n"
    assert r(text) == {"a": v}
    assert load(text).items[0][1].tag == "!!str"  # the fast path
    assert _full_tree(text).items[0][1].tag == "!!str"  # the full parser
    assert r("a: 2001-12-14T21:59:43+05:00\n")["a"].utcoffset().total_seconds() == 5 * 3600
    import subprocess
    import sys

    bu = tmp_path / "ts.bu"
    bu.write_text(f"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        inline: {v}\n")
    proc = subprocess.run([sys.executable, "-m", "hostform", "butane", str(bu)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('{"ignition":{"version":"3.4.0"}') and proc.stderr == ""


def test_explicit_tag_mismatch() -> None:
    assert err("!!int abc") == "yaml: cannot decode !!str `abc` as a !!int"
    assert r("!!binary aGVsbG8=") == b"hello"
    assert err("!!binary '!!'") == "yaml: !!binary value contains invalid base64 data"


def test_tags_on_nodes() -> None:
    n = load("a: !!str 1\nb: !custom x\nc: !<tag:yaml.org,2002:int> 3\n<<: {}\n'<<': 1\n")
    tags = [(k.value, v.tag) for k, v in n.items]
    assert tags == [("a", "!!str"), ("b", "!custom"), ("c", "!!int"), ("<<", "!!map"), ("<<", "!!int")]
    assert n.items[3][0].tag == "!!merge" and n.items[4][0].tag == "!!str"


# --- scalar styles -------------------------------------------------------------


def test_quoted_scalars() -> None:
    assert r(r'''"a\tb\n\x41\u00e9\U0001F600\\\"\/"''' if False else '"a\\tb\\n\\x41\\u00e9\\U0001F600\\\\\\""') == 'a\tb\nA\u00e9\U0001F600\\"'
    assert r("'it''s'") == "it's"
    assert r('"a\n  b\n\n  c"') == "a b\nc"
    assert r('"a \\\n  b"') == "a b"
    assert r("'a\n\n\n b'") == "a\n\nb"
    assert err('"\\q"') == "yaml: found unknown escape character"
    assert err('a: "x') == "yaml: found unexpected end of stream"


def test_block_scalars() -> None:
    assert r("a: |\n  x\n  y\n\n") == {"a": "x\ny\n"}
    assert r("a: |-\n  x\n\n") == {"a": "x"}
    assert r("a: |+\n  x\n\n") == {"a": "x\n\n"}
    assert r("a: >\n  x\n  y\n\n  z\n") == {"a": "x y\nz\n"}
    assert r("a: >\n  x\n    more\n  y\n") == {"a": "x\n  more\ny\n"}
    assert r("a: |2\n    x\n") == {"a": "  x\n"}
    assert r("- |1\n  x\n") == [" x\n"]
    assert r("a: |\n") == {"a": ""}
    assert err("a: |0\n x") == "yaml: found an indentation indicator equal to 0"  # line 0: no line
    assert err("a:\n b: |0\n") == "yaml: line 2: found an indentation indicator equal to 0"


def test_plain_multiline_and_comments() -> None:
    assert r("a: b\n  c\n\n  d # e\n# f\ng: h#i") == {"a": "b c\nd", "g": "h#i"}
    assert r("key:   # comment\n  value") == {"key": "value"}
    assert r("key:\t# comment with tab before\n  v: 1") == {"key": {"v": 1}}


def test_flow_collections() -> None:
    assert r("{a: 1, b: [x, y, {c: d}], e: , ? f}") == {"a": 1, "b": ["x", "y", {"c": "d"}], "e": None, "f": None}
    assert r("[a: 1, b]") == [{"a": 1}, "b"]
    assert r("[a, b, ]") == ["a", "b"]
    assert r("{a:b}") == {"a:b": None}
    assert err("[a, b") == "yaml: line 1: did not find expected ',' or ']'"
    assert err("{a: 1\nb: 2") == "yaml: line 1: did not find expected ',' or '}'"


def test_crlf_bom_and_empty() -> None:
    assert r("a: 1\r\nb:\r\n  - x\r\n") == {"a": 1, "b": ["x"]}
    assert r(b"\xef\xbb\xbfa: 1\n") == {"a": 1}
    assert r("\ufeffa: 1") == {"a": 1}
    assert load("") is None
    assert load("# only a comment\n") is None
    assert load(b"") is None
    n = load("---\n")
    assert n is not None and n.tag == "!!null"


def test_documents_and_directives() -> None:
    assert r("a: 1\n---\nb: 2\n") == {"a": 1}
    assert r("%YAML 1.1\n---\na: 1\n...\n") == {"a": 1}
    assert err("%YAML 1.2\n---\na: 1") == "yaml: found incompatible YAML document"
    assert r("%TAG !e! tag:example.com,2000:\n---\n!e!foo 1") == "1"
    assert load("%TAG !e! tag:example.com,2000:\n---\n!e!foo 1").tag == "tag:example.com,2000:foo"
    assert err("!e!foo 1") == "yaml: found undefined tag handle"
    # a syntax error in a later document is not seen (beyond the look-ahead)
    assert r("a: 1\n---\nb: [\n  c: d\n ]: x\n") == {"a": 1}


# --- anchors, aliases, merge keys --------------------------------------------


def test_anchors_and_aliases() -> None:
    n = load("a: &x [1, 2]\nb: *x\n")
    a, b = n.items[0][1], n.items[1][1]
    assert a.anchor == "x" and b.alias is a and b.alias_name == "x"
    assert (b.line, b.column) == (2, 4)
    assert b.kind == "sequence" and b.items is a.items
    assert resolve(n) == {"a": [1, 2], "b": [1, 2]}
    assert err("a: *nope") == "yaml: unknown anchor 'nope' referenced"
    assert err("a: &a [*a]") == "yaml: anchor 'a' value contains itself"


def test_merge_keys() -> None:
    src = "d: &d {a: 1, b: 2}\ne: &e {b: 3, c: 4}\nx:\n  <<: [*d, *e]\n  a: 9\n"
    assert r(src)["x"] == {"a": 9, "b": 2, "c": 4}
    n = load(src).items[2][1]
    assert [(k.value, v.value) for _, k, v in struct_items(n, None)] == [("a", "9"), ("b", "2"), ("c", "4")]
    assert err("a: {<<: 1}") == "yaml: map merge requires map or sequence of maps as the value"


def test_duplicate_keys() -> None:
    n = load("a: 1\nb: 2\na: 3\n")
    errs = yamlpos.duplicate_key_errors(n)
    assert [e.message for e in errs] == ['line 3: mapping key "a" already defined at line 1']
    assert err("x:\n  a: 1\n  a: 2\n") == 'yaml: unmarshal errors:\n  line 3: mapping key "a" already defined at line 2'


# --- decoding into Go types ------------------------------------------------------


def test_decode_scalar() -> None:
    n = load("a: yes\nb: On\nc: 12345\nd: true\ne: rw-r--r--\nf: 0644\ng: 1.7\nh: ~\ni: '0644'\nj: [1]\nk: abcdefghijkl\n")
    v = {k.value: val for k, val in n.items}
    assert decode_scalar(v["a"], "bool") is True
    assert decode_scalar(v["b"], "bool") is True
    assert decode_scalar(v["c"], "string") == "12345"
    assert decode_scalar(v["d"], "string") == "true"
    assert decode_scalar(v["f"], "int") == 420
    assert decode_scalar(v["g"], "int") == 1
    assert decode_scalar(v["g"], "float64") == 1.7
    assert decode_scalar(v["h"], "int") is None
    with pytest.raises(YAMLTypeError) as ei:
        decode_scalar(v["e"], "int")
    assert ei.value.message == "line 5: cannot unmarshal !!str `rw-r--r--` into int"
    with pytest.raises(YAMLTypeError) as ei:
        decode_scalar(v["i"], "int")
    assert ei.value.message == "line 9: cannot unmarshal !!str `0644` into int"
    with pytest.raises(YAMLTypeError) as ei:
        decode_scalar(v["j"], "string")
    assert ei.value.message == "line 10: cannot unmarshal !!seq into string"
    with pytest.raises(YAMLTypeError) as ei:
        decode_scalar(v["k"], "int")
    assert ei.value.message == "line 11: cannot unmarshal !!str `abcdefg...` into int"
    with pytest.raises(YAMLTypeError) as ei:
        decode_scalar(v["c"], "bool")
    assert ei.value.message == "line 3: cannot unmarshal !!int `12345` into bool"
    with pytest.raises(YAMLTypeError):
        decode_scalar(load("-1"), "uint")


def test_type_error_helpers() -> None:
    n = load("storage:\n  files:\n    path: /etc/a\n")
    files = n.items[0][1].items[0][1]
    e = yamlpos.type_error(files, "[]v0_7.File")
    assert e.message == "line 3: cannot unmarshal !!map into []v0_7.File"
    assert yamlpos.format_type_errors([e]) == "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!map into []v0_7.File"


# --- errors: messages and line numbers ----------------------------------------


@pytest.mark.parametrize(
    "src, msg",
    [
        ("a:\n\tb: 1\n", "yaml: line 2: found character that cannot start any token"),
        ("- a\n- b\nc: d\n", "yaml: line 2: did not find expected '-' indicator"),
        ("a: b: c\n", "yaml: mapping values are not allowed in this context"),
        ("a: 1\n b: 2\n", "yaml: line 2: mapping values are not allowed in this context"),
        ("a: 'b\n---\n", "yaml: line 2: found unexpected document indicator"),
        ("a:\n  - b\n  c: d\n", "yaml: line 1: did not find expected '-' indicator"),
        ("x:\n  a: 1\n b: 2\n", "yaml: line 2: did not find expected key"),
        ("a: [1, 2\nb: 3\n", "yaml: line 1: did not find expected ',' or ']'"),
        ("key: @x\n", "yaml: found character that cannot start any token"),
        ("a: &\n", "yaml: did not find expected alphabetic or numeric character"),
        ("a: !<x\n", "yaml: did not find the expected '>'"),
        ("a:\n  b\n c: d\n", "yaml: line 3: mapping values are not allowed in this context"),
        ("a:\n  b\nc\n", "yaml: line 3: could not find expected ':'"),
        ("a: 1\n\t\n", "yaml: line 2: found a tab character that violates indentation"),
        ("a: \x01\n", "yaml: control characters are not allowed"),
        (b"a: \xff\n", "yaml: invalid leading UTF-8 octet"),
        ("%FOO\n", "yaml: found unknown directive name"),
        ("[", "yaml: line 1: did not find expected node content"),
    ],
)
def test_error_messages(src: str | bytes, msg: str) -> None:
    assert err(src) == msg


def test_error_line_attribute() -> None:
    with pytest.raises(YAMLError) as ei:
        load("a: 1\nb:\n\tc: 1\n")
    assert ei.value.line == 3


# --- positions ---------------------------------------------------------------------


def test_positions() -> None:
    n = load("a:\n  - 'q'\n  - &x !!str v\n  - {k: v}\n  -\nb: |\n  t\n")
    seq = n.items[0][1]
    assert (n.line, n.column) == (1, 1)
    assert (seq.line, seq.column) == (2, 3)
    assert [(i.line, i.column) for i in seq.items] == [(2, 5), (3, 5), (4, 5), (5, 4)]
    assert seq.items[0].style == "'" and seq.items[2].style == "{"
    assert (n.items[1][1].line, n.items[1][1].column, n.items[1][1].style) == (6, 4, "|")


# --- the Butane corpus -------------------------------------------------------------


def _corpus_inputs() -> list:
    if not CASES.is_dir():
        return []
    return sorted(p for p in CASES.glob("*/input.bu"))


@pytest.mark.parametrize("path", shared_params(_corpus_inputs(), CASES), ids=lambda p: p.parent.name if p else None)
def test_corpus(path: Path) -> None:
    exp = json.loads((path.parent / "expected.json").read_text())
    stderr = exp.get("stderr", "")
    marker = "Error unmarshaling yaml: "
    data = path.read_bytes()
    if marker in stderr:
        want = stderr.split(marker, 1)[1].rstrip("\n")
        with pytest.raises(YAMLError) as ei:
            load(data)
        assert ei.value.message == want
    else:
        resolve(load(data))  # must parse


def test_corpus_values() -> None:
    shared(CASES)
    v = r((CASES / "hw-mode-notations" / "input.bu").read_text())
    assert [f["mode"] for f in v["storage"]["files"]] == [420, 384, 420, 493]
    v = r((CASES / "hw-yaml-multi-document" / "input.bu").read_text())
    assert v["storage"]["files"] == [{"path": "/etc/first"}]
    v = r((CASES / "hw-yaml-anchors-merge-keys" / "input.bu").read_text())
    assert v["storage"]["files"][1] == {"path": "/etc/b", "contents": {"inline": "b"}, "mode": 420, "user": {"name": "core"}}
    n = load((CASES / "hw-yaml-anchors-merge-keys" / "input.bu").read_text())
    files = dict((k.value, v) for k, v in n.items)["storage"].items[0][1]
    first = files.items[0]
    assert [(k.value, k.line, k.column) for k, _ in first.items][0] == ("<<", 9, 7)
    n = load((CASES / "hw-yaml-null-values" / "input.bu").read_text())
    f0 = n.items[2][1].items[0][1].items[0]
    contents = dict((k.value, v) for k, v in f0.items)["contents"]
    assert (contents.line, contents.column, contents.tag) == (8, 17, "!!null")
    n = load((CASES / "hw-yaml-bool-and-scalar-coercion" / "input.bu").read_text())
    units = n.items[2][1].items[0][1].items
    assert [decode_scalar(u.items[1][1], "bool") for u in units] == [True, True, True]
    v = r((CASES / "hw-err-yaml-type-mismatch" / "input.bu").read_text())
    mode = load((CASES / "hw-err-yaml-type-mismatch" / "input.bu").read_text()).items[2][1].items[0][1].items[0].items[1][1]
    with pytest.raises(YAMLTypeError) as ei:
        decode_scalar(mode, "int")
    assert ei.value.message == "line 6: cannot unmarshal !!str `rw-r--r--` into int"
    assert v["storage"]["files"][0]["mode"] == "rw-r--r--"


def test_reference_main_bu() -> None:
    p = shared(SHARED / "reference" / "tinkerbell" / "main.bu")
    v = r(p.read_text())
    assert v["variant"] == "fcos" and v["systemd"]["units"][0]["enabled"] is True


# --- property tests ------------------------------------------------------------------

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(alphabet="abcxyz ABC-_/.,:#'\"\\\n\t\u00e9\u4e2d!%@`|>{}[]*&?", max_size=30)
_SCALARS = (
    _TEXT
    | st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False, allow_infinity=True)
)
_DATA = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TEXT, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=_DATA,
    flow=st.sampled_from([None, True, False]),
    width=st.sampled_from([8, 20, 80]),
    style=st.sampled_from([None, "'", '"', "|", ">"]),
)
def test_matches_pyyaml(data: object, flow: object, width: int, style: object) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, width=width, allow_unicode=True, default_style=style)
    expected = yaml.safe_load(text)
    assert resolve(load(text)) == expected


_FUZZ = st.text(alphabet="- :?{}[],#&*!|>'\"%@`\t\n\r abc01.~\\<=xX\u2028\x85\ufeff\x00", max_size=60)


@settings(max_examples=1500, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(src=_FUZZ | st.binary(max_size=40))
def test_fuzz_only_yamlerror(src: str | bytes) -> None:
    try:
        n = load(src)
        resolve(n)
        if n is not None and n.kind == "mapping":
            list(struct_items(n, None))
    except YAMLError:
        pass


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert r("[" * 200 + "]" * 200) is not None
    with pytest.raises(YAMLError) as ei:
        load("[" * 10001)
    assert ei.value.message == "yaml: exceeded max depth of 10000"


def test_speed_small_file() -> None:
    import time

    text = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n" + "".join(
        f"    - path: /etc/f{i}\n      mode: 0644\n      contents:\n        inline: hello {i}\n" for i in range(24)
    )
    load(text)
    t = time.perf_counter()
    for _ in range(20):
        load(text)
    assert (time.perf_counter() - t) / 20 < 0.02


# --- the fast path (yamlpos._Fast) against the full scanner and parser ----------


def _full_tree(text: str) -> object:
    return yamlpos._Parser(yamlpos._Scanner(text, len(text), None)).parse_first_document()


def _shape(n: object) -> object:
    if n is None:
        return None
    assert isinstance(n, yamlpos.Node)
    head = (n.kind, n.tag, n.value, n.style, n.line, n.column, n.anchor)
    if n.kind == "mapping":
        return head + tuple((_shape(k), _shape(v)) for k, v in n.items)
    return head + tuple(_shape(x) for x in n.items)


def _same_as_full(text: str) -> bool:
    """True when the fast path read ``text``; then its tree must be the full parser's."""
    fast = fast_load(text)
    if fast is None:
        return False
    assert _shape(fast) == _shape(_full_tree(text)), text
    return True


def test_fast_path_on_conformance_inputs() -> None:
    read = 0
    for p in sorted(shared(CASES).glob("*/input.bu")):
        text, _, problem = yamlpos._decode(p.read_bytes())
        if problem is None and "\r" not in text:
            read += _same_as_full(text)
    assert read >= 200


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb:\n  - x\n  -\n  - y: 2\n    z: |\n      t\n\n      u\n\n    w: '3'\nc:\n- p\n- q\nd: end\n",
        "---\nk: v # c\n#c\nl: {a: 1, b: [x, \"y\"], c: {}}\nm: []\n",
        "a:\n  b:\n    c: |+\n      x\n\n\nd: |-\n  y\ne: >\n  f\n  g\n",
        "- - a\n  - b\n- c:\n  - d\n  e: f\n-   g: h\n    i: j\n",
        "'q': 1\n\"r\": 'it''s'\ns: \"a\\tb\\u00e9\"\n<<: x\nt: -1\nu: :x\nv: a#b\nw: http://x:80/\n",
        "a: 1\n  b: 2\n",  # out of scope: continuation
        "a: b: c\n",
        "k: a: # c\n",
        "a:\n\tb: 1\n",
        "a: &x 1\nb: *x\n",
        "a: |2\n   x\n",
        "a: |\n  x\n \ty\n",
        "a: |\n\n  x\n",
        "- |\n x\n-\n",
        "a: 'x\n  y'\n",
        "a: [1,\n  2]\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "x" * 1100 + ": 1\n",
        "a: {" + "k" * 1100 + ": v}\n",
        "- ['" + "k" * 1100 + "': v]\n",
    ],
)
def test_fast_path_matches_full_parser(text: str) -> None:
    _same_as_full(text)
    try:
        want = resolve(_full_tree(text))
    except (YAMLError, yamlpos._Stop):
        with pytest.raises(YAMLError):
            resolve(load(text))
        return
    assert resolve(load(text)) == want


_FAST_PIECES = st.sampled_from(
    ["a", "b c", "k:", "k: v", "- ", "-", "- x", "- k: v", "'q'", "'i''t'", '"d"', '"e\\n"', "|", "|-", "|+", ">",
     "# c", " #c", "#", "[a, b]", "{a: 1}", "{}", "[]", "[a", "{a: [b, {c: d}]}", "<<", "~", "0644", "-1", ":x", "?x",
     "? x", "&a", "*a", "!t", "a#b", "a: b: c", "---", "...", "%Y", "\t", " ", "x:y", "k:  ", ", ", "\u00e9", "1e3"]
)
_FAST_LINES = st.lists(
    st.tuples(st.integers(min_value=0, max_value=6), st.lists(_FAST_PIECES, min_size=0, max_size=3)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_FAST_LINES, final_newline=st.booleans())
def test_fast_path_fuzz(lines: list, final_newline: bool) -> None:
    _same_as_full("\n".join(" " * ind + " ".join(parts) for ind, parts in lines) + ("\n" if final_newline else ""))


_PLAIN_TEXTS = ["a", "b c", "0644", "-1", ":x", "?x", "a#b", "x:y", "<<", "~", "null", "True", "1e3", "0x1F", ".5",
                "\u00e9t\u00e9", "a  b", "http://x:1/", "-", "a #b", "a: b", "a:", "--x", "[x", "x]", "2001-12-14", "y"]
_QUOTED_TEXTS = ["'a'", "'it''s'", "'a: b'", "''", '"x"', '"a\\nb"', '""', '"\\u00e9"', '"#"', "'x\n  y'"]
_BLOCK_BODIES = [["x"], ["x", "", "y"], ["x", "  y"], ["x", "", ""], ["  x"], [""], ["x", "\ty"], ["# c", "x  "]]


@st.composite
def _block_doc(draw: st.DrawFn) -> str:
    step = draw(st.integers(min_value=1, max_value=4))
    lines: list = []

    def junk() -> None:
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            lines.append(draw(st.sampled_from(["", "# c", "   ", "  # c", "\t", "---", "..."])))

    def scalar() -> str:
        kind = draw(st.integers(min_value=0, max_value=4))
        if kind == 0:
            return draw(st.sampled_from(_QUOTED_TEXTS))
        if kind == 1:
            return draw(st.sampled_from(["[a, b]", "{a: 1, b: [x, 'y']}", "{}", "[]", "[a, ]", "{a}", "{a: {b: c}}"]))
        return draw(st.sampled_from(_PLAIN_TEXTS))

    def value(prefix: str, ind: int, depth: int) -> None:
        kind = draw(st.integers(min_value=0, max_value=5 if depth < 3 else 2))
        tail = draw(st.sampled_from(["", "", " # c", "  "]))
        if kind <= 1:
            lines.append(prefix + " " + scalar() + tail)
        elif kind == 2:
            head = draw(st.sampled_from(["|", "|-", "|+", ">", "|2", "| # c"]))
            lines.append(prefix + " " + head)
            extra = draw(st.integers(min_value=-1, max_value=2))
            for b in draw(st.sampled_from(_BLOCK_BODIES)):
                lines.append(" " * (ind + step + extra) + b if b else "")
        elif kind == 3:
            lines.append(prefix + tail)
            junk()
        elif kind == 4:
            lines.append(prefix + tail)
            junk()
            inner = ind if draw(st.booleans()) and prefix.rstrip().endswith(":") else ind + step
            collection(inner, depth + 1)
        else:
            lines.append(prefix)
            collection(ind + step, depth + 1)

    def collection(ind: int, depth: int) -> None:
        seq = draw(st.booleans())
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            junk()
            pad = " " * (ind + draw(st.sampled_from([0, 0, 0, 0, 1, -1])) if ind else ind)
            if seq:
                if draw(st.integers(min_value=0, max_value=3)) == 0:
                    lines.append(pad + "- " + draw(st.sampled_from(["k:", "'k':", "k : v", "k: v"])))
                    if lines[-1].endswith(":"):
                        collection(ind + 2 + step, depth + 1)
                    continue
                value(pad + "-", ind, depth)
            else:
                value(pad + draw(st.sampled_from(["k:", "k2:", "<<:", "'q k':", '"d":', "a b:", "k :", "-k:"])), ind, depth)

    junk()
    collection(draw(st.sampled_from([0, 0, 0, 2])), 0)
    junk()
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


# (run with max_examples=30000 when changing hostform._yamlfast)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_block_doc())
def test_fast_path_structured_fuzz(text: str) -> None:
    _same_as_full(text)
