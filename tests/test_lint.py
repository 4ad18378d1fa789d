"""The linters are clean: `ruff check src tests benchmarks tools` ([tool.ruff]) and `mypy` strict on src/hostform ([tool.mypy])."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from tests.require import need

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check() -> None:
    if importlib.util.find_spec("ruff") is None:
        need("ruff is not installed (pip install -e '.[test]')")
    cmd = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "src", "tests", "benchmarks", "tools"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict() -> None:
    """`mypy` (strict, configured in pyproject.toml [tool.mypy]) finds nothing in src/hostform."""
    if importlib.util.find_spec("mypy") is None:
        need("mypy is not installed (pip install -e '.[test]')")
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<rest>.*)$")


def test_type_ignores_say_why() -> None:
    """Every `# type: ignore` names its error code and says why on the same line."""
    bad = []
    for path in sorted((ROOT / "src" / "hostform").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = _IGNORE.search(line)
            if m is None:
                continue
            rest = m.group("rest")
            if not re.match(r"\[[a-z-]+(, *[a-z-]+)*\]\s*(\(|#|:|--)\s*\S", rest.strip()):
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bad, "a `# type: ignore[code]` needs its reason on the line, e.g. `# type: ignore[attr-defined]  # set by ...`:\n" + "\n".join(bad)
