"""`hostform destroy [DIR]`: see :mod:`hostform.cli.deploy`."""

from __future__ import annotations

from hostform.cli.deploy import run


def main(argv: list[str]) -> int:
    return run("destroy", argv)
