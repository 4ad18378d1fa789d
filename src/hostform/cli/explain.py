"""`hostform explain HFxxx`: why a diagnostic matters and how to fix it."""

from __future__ import annotations

import sys

HELP = """usage: hostform explain CODE

Print what the diagnostic CODE (for example HF003) means and how to fix it.
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(HELP)
        return 0 if argv else 2
    from hostform.diagnostics import explain

    text = explain(argv[0])
    if text is None:
        sys.stderr.write(f"hostform explain: unknown code {argv[0]!r}\n")
        return 2
    sys.stdout.write(text)
    return 0
