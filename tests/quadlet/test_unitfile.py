"""The unit-file parser/writer and systemd word splitting."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform.quadlet.generator import generate
from hostform.quadlet.unitfile import (
    EXEC_FLAGS,
    SplitError,
    UnitParseError,
    escape_words,
    parse_text,
    split_words,
)

SAMPLE = """# leading comment

[Unit]
Description=demo  
After=a.service \\
  b.service
; semicolon comment
[Service]
Environment=A=1
Environment=
Environment=B=2
ExecStart=/bin/echo "hello world" 'x y' \\x41
[Unit]
Wants=c.service
"""


def test_parse_groups_keys_and_line_numbers() -> None:
    u = parse_text(SAMPLE, "demo.service", "/x/demo.service")
    assert u.list_groups() == ["Unit", "Service"]  # repeated [Unit] merged
    assert u.lookup("Unit", "Description") == "demo"  # trailing space trimmed by lookup
    assert u.lookup_last("Unit", "Description") == "demo"  # lines are stripped as podman does
    assert u.lookup("Unit", "After") == "a.service b.service"  # continuation joined
    assert u.lookup("Unit", "Wants") == "c.service"
    after = u.key_lines("Unit", "After")[0]
    assert after.lineno == 5 and after.file == "/x/demo.service"
    assert u.key_lines("Unit", "Wants")[0].lineno == 14
    assert u.by_name["Service"].lineno == 8


def test_empty_assignment_resets_list() -> None:
    u = parse_text(SAMPLE)
    assert u.lookup_all("Service", "Environment") == ["B=2"]


def test_exec_split_unquotes_and_unescapes() -> None:
    u = parse_text(SAMPLE)
    assert u.lookup_last_args("Service", "ExecStart") == ["/bin/echo", "hello world", "x y", "A"]


def test_comment_inside_continuation_is_skipped() -> None:
    u = parse_text("[A]\nK=a \\\n# c\n b\n")
    assert u.lookup("A", "K") == "a b"


def test_round_trip_writes_podman_layout() -> None:
    text = "# c1\n\n[A]\nK=v\n# inner\nL=w\n\n[B]\nM=x\n"
    assert parse_text(text).to_string() == text


def test_writer_adds_blank_line_between_groups() -> None:
    u = parse_text("[A]\nK=v\n[B]\nM=x\n")
    assert u.to_string() == "[A]\nK=v\n\n[B]\nM=x\n"


def test_booleans_and_quotes() -> None:
    u = parse_text('[A]\nX=Yes\nY=off\nZ="quoted value"\nW="half\n')
    assert u.lookup_boolean("A", "X") is True
    assert u.lookup_boolean("A", "Y") is False
    assert u.lookup_boolean("A", "missing") is None
    assert u.lookup("A", "Z") == "quoted value"
    assert u.lookup("A", "W") == '"half'


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("K=v\n", "key file does not start with a group", 1),
        ("[A]\nnot a pair\n", "file contains line 2: \u201cnot a pair\u201d which is not a key-value pair, group, or comment", 2),
        ("[A]\n=v\n", "file contains line 2: \u201c=v\u201d which is not a key-value pair, group, or comment", 2),
        ("[A\x01]\n", "invalid group name: A\x01", 1),
    ],
)
def test_errors_have_podman_message_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    with pytest.raises(UnitParseError) as exc:
        parse_text(text)
    assert exc.value.message == message and exc.value.line == line
    path = tmp_path / "f.container"
    path.write_text(text)
    (d,) = generate([str(path)]).report.entries
    assert d.code == "HF300" and d.line == line and d.format().startswith(f"{path}:{line}: error[HF300]")


def test_split_words_strv_keeps_escapes() -> None:
    u = parse_text('[A]\nK=a "b c" d\\e\n')
    assert u.lookup_all_strv("A", "K") == ["a", "b c", "d\\e"]


def test_split_invalid_escape() -> None:
    with pytest.raises(SplitError, match="unsupported escape char"):
        split_words("a \\q", flags=EXEC_FLAGS)
    u = parse_text("[A]\nEnvironment=X=\\q Y=1\nEnvironment=Z=2\n")
    keys, warnings = u.lookup_all_key_val("A", "Environment")
    assert keys == {"Z": "2"} and warnings == ["unsupported escape char"]


def test_split_stops_at_empty_word() -> None:
    assert split_words('a "" b') == ["a"]


def test_escape_words_round_trip() -> None:
    words = ["/usr/bin/podman", "a b", 'q"uote', "tab\there", "back\\slash", "plain"]
    line = escape_words(words)
    assert line == '/usr/bin/podman "a\\x20b" "q\\"uote" "tab\\there" "back\\\\slash" plain'
    assert split_words(line) == words


def test_dropin_paths_order() -> None:
    u = parse_text("", "foo-bar@inst.container")
    assert u.dropin_paths() == [
        "foo-bar@inst.container.d",
        "foo-bar@.container.d",
        "foo-@.container.d",
        "foo-.container.d",
        "container.d",
    ]


def test_edit_operations() -> None:
    u = parse_text("[A]\nK=1\nK=2\n")
    u.set("A", "K", "3")
    assert u.lookup_all("A", "K") == ["1", "3"]
    u.unset("A", "K")
    assert not u.has_key("A", "K")
    u.prepend_line("A", "First", "x")
    u.add_cmdline("A", "Exec", ["a b"])
    u.rename_group("A", "X-A")
    assert u.to_string() == '[X-A]\nFirst=x\nExec="a\\x20b"\n'
