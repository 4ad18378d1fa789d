"""Every diagnostic code hostform can emit is explained: `hostform explain` knows it, docs/checks.md lists it.

The codes are found the way a reader would find them: every ``HFxxx`` in a string
literal anywhere under ``src/`` (a ``report.error("HF404", ...)``, a constant such as
``CODE_PARSE = "HF202"``, a docstring naming a code), plus the table of codes
itself (``hostform.diagnostics.CODES``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hostform.cli.main import main
from hostform.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
CHECKS_MD = ROOT / "docs" / "checks.md"
CODE_RE = re.compile(r"\bHF\d{3}\b")


def _codes_in_source() -> dict[str, list[str]]:
    """code -> every ``file:line`` whose string literal names it."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for code in CODE_RE.findall(node.value):
                    found.setdefault(code, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


IN_SOURCE = _codes_in_source()
ALL_CODES = sorted(set(IN_SOURCE) | set(CODES))


def test_the_scan_finds_the_codes_where_they_are_emitted() -> None:
    # the scan reads literals outside the table too: a constant in the Ignition parser,
    # a code passed straight to report.error in the Caddy checks
    assert any(w.startswith("src/hostform/ignition/_parse.py:") for w in IN_SOURCE["HF202"])
    assert any(w.startswith("src/hostform/caddy/check.py:") for w in IN_SOURCE["HF404"])
    assert len(ALL_CODES) >= 60


@pytest.mark.parametrize("code", ALL_CODES)
def test_hostform_explain_knows_the_code(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    where = ", ".join(IN_SOURCE.get(code, ["hostform.diagnostics.CODES"]))
    assert main(["explain", code]) == 0, f"{code} (named at {where}) has no `hostform explain` entry"
    out = capsys.readouterr().out
    header, _, text = out.partition("\n\n")
    assert header.startswith(f"{code} ("), out
    assert len(text.strip()) > 20, out


def _checks_md_lines() -> list[str]:
    return CHECKS_MD.read_text("utf-8").splitlines()


@pytest.mark.parametrize("code", ALL_CODES)
def test_docs_checks_md_has_a_line_for_the_code(code: str) -> None:
    """A heading (``## HF050 quadlet-too-new``) or a list item (``- HF001 yaml-syntax: ...``)."""
    name = CODES[code][0] if code in CODES else None
    assert name is not None, f"{code} is not in hostform.diagnostics.CODES"
    line = re.compile(r"^(?:#+ |- )`?" + code + r"`? " + re.escape(name) + r"\b")
    assert any(line.match(text) for text in _checks_md_lines()), (
        f"docs/checks.md has no line starting `- {code} {name}` or `## {code} {name}`"
    )


def test_unknown_code_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "HF999"]) == 2
    assert "unknown code 'HF999'" in capsys.readouterr().err
