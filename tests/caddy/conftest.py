"""Fixtures for the Caddy tests: shared reference data and the real caddy binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform.caddy.check import CADDY_INSTALL_HINT, find_caddy
from tests.require import need, shared

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED = PROJECT_ROOT.parent / "shared"
TINKERBELL = SHARED / "reference" / "tinkerbell"


@pytest.fixture(scope="session")
def caddy_bin() -> Path:
    """Path of the real caddy binary; without one the test skips (fails under CI=true)."""
    path = find_caddy()
    if path is None:
        need(f"the real Caddy is not installed: {CADDY_INSTALL_HINT}")
    return path


@pytest.fixture(scope="session")
def reference_caddyfile() -> tuple[str, str]:
    """(text, name) of the reference deployment's files/Caddyfile."""
    return shared(TINKERBELL / "files" / "Caddyfile").read_text(), "files/Caddyfile"
