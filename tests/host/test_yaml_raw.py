"""Issue 9: hostform.yaml means what an editor shows, and is one YAML document.

* A raw NEL (U+0085), LINE SEPARATOR (U+2028) or PARAGRAPH SEPARATOR (U+2029)
  is a line break to YAML and to no editor (``env: {A: x<NEL>y}`` built
  ``A=x y``); the other C1 control characters are invisible too.  The file is
  refused before it is parsed (HF011), at the character, lines counted as an
  editor counts them (LF, CR LF, a lone CR), with the caret under it.
  ``hostform butane`` keeps go-yaml's reading (tests/test_butane_conformance.py).
* go-yaml reads the first YAML document and silently ignores the rest of the
  stream: a second document is refused (HF001) where it starts.  What counts
  as a second one is compared with go-yaml itself (tests/go/yamldocs).
* Findings point at the right character whatever the line endings, and the
  excerpt under a finding keeps the caret under it (tests/test_findings.py
  tests the excerpt itself).

Everything runs as a user runs it: ``hostform build DIR``.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path

import pytest

from hostform import yamlpos
from hostform.cli.main import main
from hostform.host import yamlerror

from ..require import go_helper

IMAGE = "docker.io/library/nginx:1"
WEB = f"name: h\nservices:\n  web:\n    image: {IMAGE}\n"
FINDING = re.compile(r"^hostform\.yaml:(\d+):(\d+): (error|warning|info)\[(HF\d{3})\]: (.*)$", re.M)


def build(tmp_path: Path, text: str, capsys) -> tuple[int, list[tuple[int, int, str, str, str]], str]:
    """``hostform build DIR`` of a project whose hostform.yaml is ``text`` (written as is, UTF-8)."""
    d = tmp_path / "p"
    d.mkdir(exist_ok=True)
    (d / "hostform.yaml").write_bytes(text.encode("utf-8"))
    code = main(["build", str(d), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.replace(f"{d}/", "")
    assert "Traceback" not in err and code in (0, 1), err
    return code, [(int(a), int(b), c, e, m) for a, b, c, e, m in FINDING.findall(err)], err


# ------------------------------------------------------------------ raw line breaks

NEL, LS, PS = "\x85", "\u2028", "\u2029"


@pytest.mark.parametrize(
    "text,yaml_reads,line,col,name,excerpt",
    [
        # the review's reproductions: what YAML made of them, and where the file is refused now
        (WEB + f"    env: {{A: x{NEL}y}}\n", {"A": "x y"}, 5, 15, "NEL character (U+0085)",
         "    env: {A: x?y}\n              ^"),
        (WEB + f'    command: "a{NEL}b"\n', "a b", 5, 16, "NEL character (U+0085)",
         '    command: "a?b"\n               ^'),
        (WEB + f"    env:\n      A: x{NEL}      B: y\n", {"A": "x", "B": "y"}, 6, 11, "NEL character (U+0085)",
         "      A: x?      B: y\n          ^"),
        # in a comment: what follows it is YAML
        (f"name: h  # old: {LS}name: evil\n", None, 1, 17, "LINE SEPARATOR character (U+2028)",
         "name: h  # old: ?name: evil\n                ^"),
        (f"name: h\n# café{PS}x-a: 1\n", None, 2, 7, "PARAGRAPH SEPARATOR character (U+2029)",
         "# café?x-a: 1\n      ^"),
        # go-yaml refuses the other C1 characters; they are invisible too
        ('name: "h\x9b"\n', None, 1, 9, "control character (U+009B)", 'name: "h?"\n        ^'),
        ("name: h\n# \x80\n", None, 2, 3, "control character (U+0080)", "# ?\n  ^"),
        # lines as an editor counts them: CR LF, a lone CR; a byte order mark is no column
        (WEB.replace("\n", "\r\n") + f"    env: {{A: x{NEL}y}}\r\n", {"A": "x y"}, 5, 15, "NEL", "    env: {A: x?y}\n              ^"),
        (WEB.replace("\n", "\r") + f"    env: {{A: x{NEL}y}}\r", {"A": "x y"}, 5, 15, "NEL", "    env: {A: x?y}\n              ^"),
        (f"\ufeffname: h{NEL}x-a: 1\n", None, 1, 8, "NEL", "name: h?x-a: 1\n       ^"),
        # the first one is reported; columns count characters, the caret terminal columns (漢 takes two)
        (f"name: h\nx-a: 漢{LS}b{NEL}\n", None, 2, 7, "LINE SEPARATOR", "x-a: 漢?b?\n       ^"),
    ],
)
def test_a_raw_line_break_is_refused_where_an_editor_shows_it(tmp_path, capsys, text, yaml_reads, line, col, name, excerpt):
    if yaml_reads is not None:  # what YAML made of it before: not what an editor shows
        got = yamlpos.resolve(yamlpos.load(text))["services"]["web"]
        assert (got.get("command") or got.get("env")) == yaml_reads
    rc, found, err = build(tmp_path, text, capsys)
    assert rc == 1
    assert [f[:4] for f in found] == [(line, col, "error", "HF011")], err
    assert found[0][4].startswith(f"a raw {name}"), found
    assert "\n" + "".join(f"    {x}\n" for x in excerpt.split("\n")) in err, err  # the line, and the caret under the character


def test_the_message_says_what_yaml_does(tmp_path, capsys):
    _, found, _ = build(tmp_path, f"name: h{NEL}\n", capsys)
    assert found[0][4] == (
        "a raw NEL character (U+0085): YAML reads it as a line break that editors do not show "
        "(in a value, as a space or a new line); delete it, or use a real line break"
    )


def test_written_as_an_escape_it_is_a_control_character_of_the_value(tmp_path, capsys):
    # what the message does not suggest: "\u0085" in quotes is the character itself, which no value may hold
    line = '    env: {A: "x\\u0085y"}'
    rc, found, err = build(tmp_path, WEB + line + "\n", capsys)
    assert rc == 1 and [f[:4] for f in found] == [(5, 16, "error", "HF011")], err
    assert found[0][4].startswith("services.web.env.A: the control character U+0085 is not allowed")


def test_butane_keeps_go_yaml_reading(tmp_path, capsys):
    """``hostform butane`` reads a raw NEL as go-yaml does (folded into a space in a quoted value)."""
    outputs = []
    for sep in (NEL, " "):
        bu = tmp_path / f"{len(outputs)}.bu"
        bu.write_bytes(f'variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      contents: {{inline: "a{sep}b"}}\n'.encode())
        assert main(["butane", str(bu)]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and "a%20b" in outputs[0]


# ------------------------------------------------------------------ one document


@pytest.mark.parametrize(
    "text,line,col,how",
    [
        ("name: h\n---\nname: g\n", 2, 1, "this '---' starts a second one"),
        ("name: h\n--- \n", 2, 1, "this '---' starts a second one"),  # even an empty one
        ("---\n---\nname: h\n", 2, 1, "this '---' starts a second one"),
        ("name: h\n...\nname: g\n", 3, 1, "the '...' on line 2 ends the first one, and a second one starts here"),
        ("name: h\n...\n# c\n\n...\n  services: {}\n", 6, 3, "the '...' on line 2 ends the first one"),
        ("name: h\n...\n---\nname: g\n", 3, 1, "the '...' on line 2 ends the first one"),
        ("name: h\n...\n%YAML 1.1\n---\nname: g\n", 3, 1, "the '...' on line 2 ends the first one"),
        ("name: h\n%YAML 1.1\n---\nservices: {}\n", 2, 1, "this directive starts a second one"),
        # no marker at all: the root value ends before the text does
        ("{name: h}\nservices: {}\n", 2, 1, "the first one is the value at 1:1, and it ends before this line"),
        ("  name: h\nservices: {}\n", 2, 1, "the first one is the value at 1:3"),
        ("{\nname: h}\nservices: {}\n", 3, 1, "the first one is the value at 1:1"),
        # the lines as an editor counts them
        ("name: h\r---\rname: g\r", 2, 1, "this '---' starts a second one"),
        ("name: h\r\n...\r\n\r\n  x: 1\r\n", 4, 3, "the '...' on line 2 ends the first one"),
    ],
)
def test_a_second_document_is_refused_where_it_starts(tmp_path, capsys, text, line, col, how):
    rc, found, err = build(tmp_path, text, capsys)
    assert rc == 1 and [f[:4] for f in found] == [(line, col, "error", "HF001")], err
    assert found[0][4].startswith(f"hostform.yaml holds more than one YAML document: {how}"), found


@pytest.mark.parametrize(
    "text",
    [
        "---\nname: h\n",
        "--- # the host\nname: h\n",
        "%YAML 1.1\n---\nname: h\n",
        "# a comment\n\n---\nname: h\n...\n",
        "name: h\n...\n# the end\n\n...\n",
        "\ufeff---\r\nname: h\r\n...\r\n",
        "--- {name: h}\n...\n",
        "name: h\nx-note: |\n  ---\n  ...\n  %\n",
        'name: h\nx-note: "a\n  --- b"\n',
    ],
)
def test_one_document_with_markers_is_fine(tmp_path, capsys, text):
    rc, found, err = build(tmp_path, text, capsys)
    assert rc == 0 and not [f for f in found if f[2] == "error"], err


STREAM_LINES = [
    "---", "--- # c", "...", "... # c", "...\t", "# c", "", "a: 1", "  b: 2", "f: 2", "- x", "- - y", "k: |", "  lit", "  ---",
    "  ...", "k: >", "---x", " ---", "...#", "%YAML 1.1", "%TAG ! !x", "%", "a: %", "--- |", "--- a", "--- &x a", "*x", "--- !!map",
    "k: 'q", "  r'", 'd: "a', '  b"', "c: [1,", "  2]", "--- [a,", "  b]", "x:", "  y", "{a: 1}", "[1]", "'s'", "? k", ": v",
    "&a", "!!map", "\t# c", "  # c", "g: {h: 1}", "{", "}",
]


def _streams(n: int, seed: int) -> list[tuple[str, object]]:
    """``n`` generated texts that yamlpos reads without an error, with their roots."""
    rng = random.Random(seed)
    out: list[tuple[str, object]] = []
    while len(out) < n:
        eol = rng.choice(["\n", "\n", "\r\n", "\r"])
        text = eol.join(rng.choice(STREAM_LINES) for _ in range(rng.randint(1, 7))) + rng.choice(["", eol])
        try:
            out.append((text, yamlpos.load(text)))
        except (yamlpos.YAMLError, RecursionError):
            pass
    return out


def test_the_quick_check_agrees_with_the_parser():
    """The cheap test that passes the usual host file (a root mapping at column 1, no
    marker or directive line after its first key) never hides a second document."""
    seen = set()
    for text, root in _streams(4000, 9):
        quick = yamlerror.second_document(text, root)
        slow = yamlerror._after_first_document(text.removeprefix("\ufeff"), "hostform.yaml")
        assert quick == slow, text
        seen.add((quick is None, yamlerror._one_document(text, root)))
    assert seen == {(True, True), (True, False), (False, False)}  # both ways taken, and a second document found


@pytest.fixture(scope="module")
def yamldocs() -> str:
    return go_helper("yamldocs")


def test_a_second_document_is_what_go_yaml_ignores(yamldocs):
    """go-yaml's Unmarshal reads the first document and ignores what follows; its Decoder
    says whether something follows and where a second document starts: hostform refuses
    exactly those, at that place."""
    cases = [(t, yamlpos.load(t)) for t in (
        "name: h\n---\nname: g\n", "{name: h}\nservices: {}\n", "  name: h\nservices: {}\n", "name: h\n...\n# c\n...\n",
        "---\nname: h\n...\n", "name: h\n%YAML 1.1\n---\nb: 1\n", "name: h\n...\n---\nb: 1\n", "{\nname: h}\nservices: {}\n",
    )]
    # (yamlpos skips a byte order mark at the start of any line, go-yaml only at the start of the text)
    cases += [c for c in _streams(3000, 4) if "\ufeff" not in c[0]]
    # go-yaml takes a lone CR for a line break as yamlpos does; its Decoder's marks are easier to read with LF
    texts = [t.replace("\r\n", "\n").replace("\r", "\n") for t, _ in cases]
    proc = subprocess.run([yamldocs], input=json.dumps(texts), capture_output=True, text=True, check=True, timeout=120)
    said = proc.stdout.splitlines()
    assert len(said) == len(cases)
    kinds = set()
    for (text, root), go in zip(cases, said, strict=True):
        assert not go.startswith("unmarshal error"), (text, go)  # yamlpos read it, and so does go-yaml
        ours = yamlerror.second_document(text, root)
        if go == "one":
            assert ours is None, (text, ours)
        else:
            assert ours is not None, (text, go)
            if go.startswith("second at "):  # a document go-yaml's Decoder reads: it starts where we say
                assert go == f"second at {ours[0]}:{ours[1]}", (text, ours)
        kinds.add(go.split(" ")[0] + (" " + go.split(" ")[1] if go.startswith("second") else ""))
    assert kinds == {"one", "second at", "second error"}


# ------------------------------------------------------------------ positions with any line ending


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_findings_have_their_excerpt_whatever_the_line_endings(tmp_path, capsys, eol):
    # a quoted value (walked character by character) and a literal block (its indentation read from the text)
    text = eol.join([*WEB.splitlines(), '    env: {A: "x\\ny"}', "  db:", "    image: |", "      docker.io/library/postgres:16", "      more", ""])
    rc, found, err = build(tmp_path, text, capsys)
    assert rc == 1 and [f[:4] for f in found] == [(5, 16, "error", "HF011"), (8, 36, "error", "HF011")], err
    assert '\n        env: {A: "x\\ny"}\n' + " " * 19 + "^\n" in err
    assert "\n          docker.io/library/postgres:16\n" + " " * 39 + "^\n" in err


def test_a_byte_order_mark_is_no_column(tmp_path, capsys):
    rc, found, err = build(tmp_path, '\ufeffname: "\\x41\\nx"\n', capsys)
    assert rc == 1 and [f[:4] for f in found] == [(1, 12, "error", "HF011")], err
    assert '\n    name: "\\x41\\nx"\n' + " " * 15 + "^\n" in err


def test_a_long_line_is_shown_around_the_caret(tmp_path, capsys):
    line = '    env: {A: "' + "a" * 300_000 + "\\n" + "b" * 300_000 + '"}'
    rc, found, err = build(tmp_path, WEB + line + "\n", capsys)
    assert rc == 1 and [f[:4] for f in found] == [(5, 300_015, "error", "HF011")], found
    assert "\n    ..." + "a" * 50 + "\\n" + "b" * 48 + "...\n    " + " " * 53 + "^\n" in err
    assert len(err) < 1000


@pytest.mark.parametrize(
    "value,col,spaces",
    [
        ("漢字", 17, 18),  # East Asian Wide: two terminal columns each
        ("ｆｕｌｌ", 19, 22),  # Fullwidth
        ("😀", 16, 16),  # an emoji is wide
        ("e\u0301te\u0301", 20, 17),  # combining accents: no column of their own
        ("a\tb", 18, 17),  # a tab is shown as one space
    ],
)
def test_the_caret_is_under_the_character_after_wide_ones(tmp_path, capsys, value, col, spaces):
    line = f'    env: {{A: "{value}\\n"}}'
    rc, found, err = build(tmp_path, WEB + line + "\n", capsys)
    assert rc == 1 and [f[:4] for f in found] == [(5, col, "error", "HF011")], found
    assert f"\n    {line.replace(chr(9), ' ')}\n    {' ' * spaces}^\n" in err
