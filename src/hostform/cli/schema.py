"""``hostform schema``: print the JSON Schema of the host file (docs/hostform.schema.json)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hostform schema", description="Print the JSON Schema (draft 2020-12) of hostform.yaml.")
    p.add_argument("--markdown", action="store_true", help="print the key reference (Markdown) instead")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)
    from hostform.host.schema import json_schema_text, key_reference

    sys.stdout.write(key_reference() if args.markdown else json_schema_text())
    return 0
