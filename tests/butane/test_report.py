"""Butane's report printing (hostform.butane.report) against the conformance corpus.

For every case whose expected stderr has located entries, the entries are
parsed out of the expected text (header, position, message), rebuilt as
Diagnostics with the path from the header, correlated with the case's YAML
tree and printed again; the result must equal the expected text byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostform import yamlpos
from hostform.butane import report as R
from hostform.diagnostics import Diagnostic
from tests.require import shared, shared_params

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "butane" / "cases"


# ----------------------------------------------------------- YAML trees


class _Node:
    """The shape of yamlpos's Node, built from PyYAML events (test only)."""

    def __init__(self, kind, tag, value, style, line, column, items=None, alias=None, alias_name=""):
        self.kind = kind
        self.tag = tag
        self.value = value
        self.style = style
        self.line = line
        self.column = column
        self.items = items if items is not None else []
        self.alias = alias
        self.alias_name = alias_name


def pyyaml_tree(text: str):
    """The first document's node tree, aliases kept as leaves at the ``*``."""
    import yaml

    anchors: dict = {}
    stack: list = []
    root = None

    def add(node):
        nonlocal root
        if not stack:
            root = node
            return
        parent, pending = stack[-1]
        if parent.kind == "sequence":
            parent.items.append(node)
        elif pending[0] is None:
            pending[0] = node
        else:
            parent.items.append((pending[0], node))
            pending[0] = None

    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        line, col = ev.start_mark.line + 1, ev.start_mark.column + 1
        if isinstance(ev, yaml.ScalarEvent):
            style = {None: "", "'": "'", '"': '"', "|": "|", ">": ">"}[ev.style]
            node = _Node("scalar", ev.tag, ev.value, style, line, col)
            if ev.anchor:
                anchors[ev.anchor] = node
            add(node)
        elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            kind = "mapping" if isinstance(ev, yaml.MappingStartEvent) else "sequence"
            style = ("{" if kind == "mapping" else "[") if ev.flow_style else ""
            node = _Node(kind, ev.tag, None, style, line, col)
            if ev.anchor:
                anchors[ev.anchor] = node
            add(node)
            stack.append((node, [None]))
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
        elif isinstance(ev, yaml.AliasEvent):
            target = anchors[ev.anchor]
            add(_Node(target.kind, target.tag, target.value, target.style, line, col, target.items, target, ev.anchor))
        elif isinstance(ev, yaml.DocumentEndEvent):
            break
    return root


LOADERS = [pytest.param(pyyaml_tree, id="pyyaml"), pytest.param(yamlpos.load, id="yamlpos")]


# ------------------------------------------------------- corpus parsing

_HEADER = re.compile(r"^(error|warning|info)(?:\[(.*)\])?:$")
_ARROW = re.compile(r"^  --> (.*):(\d+):(\d+)$")
_TRAILERS = ("Error translating config:", "Config produced warnings and --strict was specified")


def _path_of(text: str | None, message: str) -> tuple:
    if not text:
        return ()
    assert text.startswith("$.")
    parts: list = [int(p) if p.isdigit() else p for p in text[2:].split(".")]
    if message.startswith("unused key "):
        parts[-1] = R.Key(parts[-1])
    return tuple(parts)


def parse_pretty(stderr: str):
    """(entries, trailer): each entry is (text, severity, path, line, col, message)."""
    lines = stderr.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    trailer = []
    while lines and lines[-1].startswith(_TRAILERS):
        trailer.insert(0, lines.pop())
    entries = []
    i = 0
    while i < len(lines):
        if entries:
            assert lines[i] == "", lines[i]
            i += 1
        m = _HEADER.match(lines[i])
        assert m, lines[i]
        start = i
        a = _ARROW.match(lines[i + 1])
        assert a, lines[i + 1]
        line, col = int(a.group(2)), int(a.group(3))
        # the snippet ends with the second bare gutter line
        j = i + 3
        message = None
        while not re.match(r"^ +\|$", lines[j]):
            if re.match(rf"^ +{line} \| ", lines[j]):
                caret = lines[j + 1]
                body = caret.split("| ", 1)[1][col - 1 :]
                message = body.lstrip("^")[1:]
                j += 1
            j += 1
        text = "\n".join(lines[start : j + 1]) + "\n"
        path = _path_of(m.group(2), message)
        entries.append((text, m.group(1), path, line, col, message))
        i = j + 1
    return entries, trailer


def _cases():
    out = []
    if not CASES.is_dir():
        return out
    for d in sorted(CASES.iterdir()):
        exp = json.loads((d / "expected.json").read_text())
        if "\n  --> " in exp["stderr"]:
            out.append(d.name)
    return out


CASE_NAMES = shared_params(_cases(), CASES)


def _rebuild(case: str, loader):
    d = CASES / case
    exp = json.loads((d / "expected.json").read_text())
    source = (d / "input.bu").read_bytes().decode("utf-8")
    entries, trailer = parse_pretty(exp["stderr"])
    diags = [Diagnostic(sev, "HF100", msg, path) for (_t, sev, path, _l, _c, msg) in entries]
    root = loader(source)
    located = R.correlate(diags, root, source, "input.bu")
    return exp, source, entries, trailer, located


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("case", CASE_NAMES)
def test_corpus_pretty(case, loader):
    exp, source, entries, trailer, located = _rebuild(case, loader)
    for (text, _sev, _path, line, col, _msg), d in zip(entries, located, strict=True):
        assert (d.line, d.col) == (line, col)
        assert R.format_entries([d], source, "input.bu") == text
    whole = R.format_entries(located, source, "input.bu")
    assert whole + "".join(t + "\n" for t in trailer) == exp["stderr"]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("case", CASE_NAMES)
def test_corpus_raw(case, loader):
    exp, source, entries, trailer, located = _rebuild(case, loader)
    raw = R.format_entries(located, source, "input.bu", raw=True)
    assert raw + "".join(t + "\n" for t in trailer) == exp["stderr_raw_errors"]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_corpus_strict(case):
    exp, source, entries, trailer, located = _rebuild(case, LOADERS[-1].values[0])
    strict = exp["strict"]["stderr"]
    tail = "Error translating config:" if trailer else "Config produced warnings and --strict was specified"
    assert strict.startswith(R.format_entries(located, source, "input.bu"))
    assert strict.split("\n")[-2].startswith(tail)


def test_corpus_is_there():
    shared(CASES)
    assert len(CASE_NAMES) >= 100


# ------------------------------------------------------------ unit tests


def D(sev, msg, path, line=0, col=0):
    return Diagnostic(sev, "HF100", msg, path, "f.bu", line, col)


SRC = "variant: fcos\nversion: 1.7.0\nstorage:\n  files:\n    - path: /a b\n      mode: 0644\n"


def test_path_string():
    assert R.path_string(()) == "$"
    assert R.path_string(None) == "$"
    assert R.path_string(("storage", "files", 0, "path")) == "$.storage.files.0.path"
    assert R.path_string(("a.b", R.Key("c d"))) == "$.a.b.c d"


@pytest.mark.parametrize("load", LOADERS)
def test_locate_value_key_and_fallbacks(load):
    root = load(SRC)
    assert R.locate(root, ("storage", "files", 0, "path"), SRC) == (5, 13, 2)
    assert R.locate(root, ("storage", "files", 0, R.Key("path")), SRC) == (5, 7, 5)
    assert R.locate(root, ("storage", "files", 0), SRC) == (5, 7, 5)
    assert R.locate(root, ("storage", "files"), SRC) == (5, 5, 1)
    # missing key, index past the end, int into a mapping, into a scalar
    assert R.locate(root, ("storage", "files", 0, "user", "id"), SRC)[:2] == (5, 7)
    assert R.locate(root, ("storage", "files", 3, "path"), SRC)[:2] == (5, 5)
    assert R.locate(root, ("storage", 0), SRC)[:2] == (4, 3)
    assert R.locate(root, ("storage", "files", 0, "path", "x"), SRC)[:2] == (5, 13)
    assert R.locate(root, ("nope",), SRC)[:2] == (1, 1)
    assert R.locate(root, (), SRC)[:2] == (1, 1)
    # a key leaf has nothing below it
    assert R.locate(root, (R.Key("storage"), "files"), SRC)[:2] == (3, 1)
    assert R.locate(None, ("a",)) is None


@pytest.mark.parametrize("load", LOADERS)
def test_locate_flow_block_scalars_and_aliases(load):
    src = (
        "a: {b: [x, 'y z'], c: []}\n"
        "d: |\n  text\n"
        "e: &anc\n  f: 1\n"
        "g: *anc\n"
        "h:\n"
    )
    root = load(src)
    assert R.locate(root, ("a",), src) == (1, 4, 3)  # "{b:": up to the next space
    assert R.locate(root, ("a", "b"), src) == (1, 8, 3)
    assert R.locate(root, ("a", "b", 1), src) == (1, 12, 2)
    assert R.locate(root, ("a", "c", 0), src) == (1, 23, 3)
    assert R.locate(root, ("d",), src) == (2, 4, 1)
    assert R.locate(root, ("e", "f"), src) == (5, 6, 1)
    # an alias is a leaf at the '*'
    assert R.locate(root, ("g", "f"), src) == (6, 4, 4)


@pytest.mark.parametrize("load", LOADERS)
def test_merge_keys_and_alias_keys(load):
    # '<<' is an ordinary key of the tree; merged fields are not in it
    src = "d: &d {mode: 1}\nf:\n  <<: *d\n  path: /x\n&k k: 1\n*k : 2\n"
    root = load(src)
    assert R.locate(root, ("f", R.Key("<<")), src) == (3, 3, 3)
    assert R.locate(root, ("f", "<<", "mode"), src) == (3, 7, 2)
    assert R.locate(root, ("f", "mode"), src) == (3, 3, 3)
    # an alias used as a key is looked up by its name
    assert R.locate(root, ("k",), src)[:2] == (6, 6)


@pytest.mark.parametrize("load", LOADERS)
def test_empty_value_is_marked_after_the_colon_and_printed_raw(load):
    # go-yaml (and PyYAML) put an empty value just after its ':'; that column
    # is past the line's end, so Butane prints the entry in the raw form
    src = "a:\nb: 1\n"
    root = load(src)
    assert R.locate(root, ("a",), src) == (1, 3, -1)
    located = R.correlate([D("error", "m", ("a",))], root, src, "f")
    assert R.format_entries(located, src, "f") == "error at $.a, line 1 col 3: m\n"


@pytest.mark.parametrize("load", LOADERS)
def test_get_node_is_exact(load):
    root = load(SRC)
    assert R.get_node(root, ("storage", "files", 0)).kind == "mapping"
    assert R.get_node(root, ("storage", "files", 0, "user")) is None
    assert R.get_node(root, ("storage", R.Key("files"))).value == "files"
    assert R.get_node(root, ("storage", R.Key("files"), 0)) is None
    assert R.get_node(root, ()) is root


def test_underline_length_bytes_and_spaces():
    assert R.underline_length("  a: xyz", 6) == 3
    assert R.underline_length("  a: xyz", 9) == -1
    assert R.underline_length("  a: xyz", 8) == 1
    assert R.underline_length("  a: x\ty", 6) == 1
    assert R.underline_length("  a: x\u00a0y", 6) == 1
    assert R.underline_length("  a: x\x1cy", 6) == 3  # \x1c is not a Go space
    assert R.underline_length("a: é", 4) == 2  # bytes, not characters
    # go-yaml counts columns in characters, Butane slices bytes: the 'b' at
    # column 4 is byte 5, so Butane starts at the space before it: no carets
    assert R.underline_length("é: b", 4) == 0
    assert R.underline_length("a: x\r", 4) == 1


def test_pretty_entry_shape_and_gutter():
    lines = [f"k{i}: v" for i in range(1, 12)]
    src = "\n".join(lines) + "\n"
    out = R.format_entries([D("warning", "bad", ("k9",), 9, 5)], src, "in.bu")
    assert out == (
        "warning[$.k9]:\n"
        "  --> in.bu:9:5\n"
        "    |\n"
        "  7 | k7: v\n"
        "  8 | k8: v\n"
        "  9 | k9: v\n"
        "    |     ^ bad\n"
        " 10 | k10: v\n"
        " 11 | k11: v\n"
        "    |\n"
    )
    out = R.format_entries([D("error", "top", (), 1, 1)], "a: 1", "in.bu")
    assert out == "error:\n  --> in.bu:1:1\n   |\n 1 | a: 1\n   | ^^ top\n   |\n"


def test_two_entries_are_separated_by_one_blank_line():
    src = "a: 1\nb: 2\n"
    out = R.format_entries([D("error", "x", ("a",), 1, 4), D("info", "y", ("b",), 2, 4)], src, "f")
    first, second = out.split("\n\n")
    assert first.endswith("   |") and second.startswith("info[$.b]:\n")
    assert out.endswith("   |\n")


def test_tabs_crlf_and_multiline_messages_are_printed_as_is():
    src = "a:\tb\r\nc: d\r\n"
    out = R.format_entries([D("error", "one\ntwo", ("a",), 1, 4)], src, "f")
    assert " 1 | a:\tb\r\n" in out
    assert "   |    ^ one\ntwo\n" in out


def test_fallback_to_raw_form():
    src = "a: 1\n"
    # column past the end of the line, line past the end, no position
    assert R.format_entries([D("error", "m", ("a",), 1, 9)], src, "f") == "error at $.a, line 1 col 9: m\n"
    assert R.format_entries([D("error", "m", ("a",), 7, 1)], src, "f") == "error at $.a, line 7 col 1: m\n"
    assert R.format_entries([D("warning", "m", ("a",))], src, "f") == "warning at $.a: m\n"
    assert R.format_entries([D("warning", "m", ())], src, "f") == "warning: m\n"


def test_raw_form():
    ds = [D("error", "m", ("a", 0), 3, 4), D("warning", "n", (), 1, 1), D("info", "o", ("b",))]
    assert R.format_entries(ds, "", "f", raw=True) == (
        "error at $.a.0, line 3 col 4: m\nwarning at line 1 col 1: n\ninfo at $.b: o\n"
    )
    assert R.format_entries([], "", "f", raw=True) == ""
    assert R.format_entries([], "", "f") == ""


def test_colour():
    out = R.format_entries([D("warning", "bad", ("a",), 1, 4)], "a: xy\n", "f", colorize=True)
    assert out == (
        "\033[1;33mwarning\033[0m[$.a]:\n"
        "  \033[1;34m-->\033[0m f:1:4\n"
        "   |\n"
        " \033[1;34m1\033[0m | a: xy\n"
        "   |    \033[1;34m^^\033[0m bad\n"
        " \033[1;34m2\033[0m | \n"
        "   |\n"
    )
    assert R.format_entries([D("error", "m", ("a",))], "", "f", colorize=True) == "error at $.a: m\n"


def test_colorize_for():
    assert R.colorize_for("always") and R.colorize_for("yes")
    assert not R.colorize_for("never") and not R.colorize_for("no") and not R.colorize_for("bogus")
    r, w = os.pipe()
    try:
        assert not R.colorize_for("auto", fd=w, environ={})
    finally:
        os.close(r)
        os.close(w)
    fd = os.open(os.devnull, os.O_WRONLY)  # a character device, like a terminal
    try:
        assert R.colorize_for("auto", fd=fd, environ={})
        assert not R.colorize_for("auto", fd=fd, environ={"NO_COLOR": ""})
    finally:
        os.close(fd)


@pytest.mark.parametrize("load", LOADERS)
def test_correlate_keeps_order_and_sets_position(load):
    root = load(SRC)
    ds = [D("warning", "w", ("storage", "files", 0, "mode")), D("error", "e", ("storage", R.Key("files")))]
    out = R.correlate(ds, root, SRC, "input.bu")
    assert [(d.message, d.line, d.col, d.length, d.file) for d in out] == [
        ("w", 6, 13, 4, "input.bu"),
        ("e", 4, 3, 6, "input.bu"),
    ]
    assert R.correlate(ds, None) == ds


def test_import_is_cheap():
    code = (
        "import sys; before = set(sys.modules); import hostform.butane.report; "
        "new = set(sys.modules) - before; "
        "print(sorted(m for m in new if m.split('.')[0] in "
        "('re', 'typing', 'dataclasses', 'enum', 'json', 'yaml')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
