"""Ignition configs: spec tables, Butane-identical JSON output, validation.

Public API::

    VERSIONS                                  # ("3.0.0", ..., "3.7.0-experimental")
    spec(version) -> Spec                     # Go struct layout of a spec version
    emit(cfg, version, pretty=False) -> str   # JSON exactly as Butane writes it
    validate(cfg, version) -> Report          # Ignition v2.26.0's validation rules
    parse(data) -> (dict | None, Report)      # what `ignition-validate` does with a file

Configs are plain dicts in Ignition's JSON shape: a key that is absent is
nil/unset; a key present with "", 0 or False is set explicitly.
"""

from __future__ import annotations

from hostform.ignition.emit import emit
from hostform.ignition.spec import VERSIONS, Spec, spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hostform.diagnostics import Report

__all__ = ["VERSIONS", "Spec", "emit", "parse", "spec", "validate"]


def validate(cfg: dict[str, Any], version: str) -> Report:
    """Ignition's validation of ``cfg`` (a dict) as spec ``version``; returns a Report."""
    from hostform.ignition._validate import validate as _validate

    return _validate(cfg, version)


def parse(data: bytes) -> tuple[dict[str, Any] | None, Report]:
    """Parse and validate raw Ignition JSON like ``ignition-validate``: (config or None, Report)."""
    from hostform.ignition._parse import parse as _parse

    return _parse(data)
