"""The user documentation stays true: commands, diagnostic codes and links it mentions exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hostform.cli.main import COMMANDS
from hostform.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
IDS = [str(p.relative_to(ROOT)) for p in DOCS]

# `hostform <word>` as code: at the start of an inline code span, or after a shell prompt
COMMAND_RE = re.compile(r"(?:`|^\$ )hostform ([a-z][a-z_-]*)\b", re.MULTILINE)
CODE_RE = re.compile(r"\bHF\d{3}\b")
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def _text(path: Path) -> str:
    return path.read_text("utf-8")


def test_the_docs_are_there() -> None:
    names = {p.name for p in DOCS}
    assert {"README.md", "butane.md", "quadlet.md", "deploy.md", "host-file.md", "checks.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=IDS)
def test_every_hostform_command_mentioned_exists(path: Path) -> None:
    text = _text(path)
    unknown = set()
    for m in COMMAND_RE.finditer(text):
        word = m.group(1)
        if word not in COMMANDS:
            unknown.add(word)
    assert not unknown, f"{path.name} mentions hostform commands that do not exist: {sorted(unknown)}"


@pytest.mark.parametrize("path", DOCS, ids=IDS)
def test_every_diagnostic_code_mentioned_exists(path: Path) -> None:
    unknown = sorted({c for c in CODE_RE.findall(_text(path)) if c not in CODES})
    assert not unknown, f"{path.name} mentions codes missing from hostform.diagnostics.CODES: {unknown}"


def _anchors(path: Path) -> set[str]:
    """GitHub-style anchors of a Markdown file's headings."""
    out = set()
    for line in _text(path).splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"[^\w\- ]", "", title)
            out.add(title.replace(" ", "-"))
    return out


@pytest.mark.parametrize("path", DOCS, ids=IDS)
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for target in LINK_RE.findall(_text(path)):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(target)
    assert not broken, f"{path.name} has broken links: {broken}"


def test_the_index_lists_every_doc() -> None:
    index = _text(ROOT / "docs" / "README.md")
    for p in (ROOT / "docs").iterdir():
        if p.name != "README.md" and p.suffix in (".md", ".json"):
            assert f"({p.name})" in index, f"docs/README.md does not list {p.name}"
