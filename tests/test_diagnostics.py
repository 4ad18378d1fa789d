from __future__ import annotations

from hostform.diagnostics import CODES, Diagnostic, Report, explain


def test_format_with_full_position():
    d = Diagnostic("error", "HF003", "unused key file", file="main.bu", line=5, col=3)
    assert d.format() == "main.bu:5:3: error[HF003]: unused key file"


def test_format_without_position_parts():
    assert Diagnostic("warning", "HF101", "m", file="a").format() == "a: warning[HF101]: m"
    assert Diagnostic("warning", "HF101", "m").format() == "warning[HF101]: m"


def test_report_fatal_and_strict():
    r = Report()
    r.warn("HF003", "unused key x", ("x",))
    assert not r.is_fatal()
    assert r.is_fatal(strict=True)
    r.error("HF100", "bad", ("y",))
    assert r.is_fatal()
    assert [d.code for d in r.errors] == ["HF100"]
    assert [d.code for d in r.warnings] == ["HF003"]


def test_located_copy_keeps_identity_fields():
    d = Diagnostic("error", "HF100", "m", ("a", 0))
    e = d.located("f.bu", 3, 4, 2)
    assert (e.path, e.line, e.col, e.length, e.file) == (("a", 0), 3, 4, 2, "f.bu")
    assert d.line == 0


def test_codes_are_well_formed_and_explained():
    for code, (name, text) in CODES.items():
        assert code.startswith("HF") and len(code) == 5 and code[2:].isdigit()
        assert name and text.strip()
        assert explain(code).startswith(code)


def test_code_names_are_unique():
    names = [name for name, _ in CODES.values()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
