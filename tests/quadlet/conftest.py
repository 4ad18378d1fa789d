"""Fixtures for the quadlet tests: shared data and podman's real generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform.quadlet.realgen import FETCH_COMMAND, find_real_quadlet, real_version
from tests.require import need, shared

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED = PROJECT_ROOT.parent / "shared"
QUADLET_CONFORMANCE = SHARED / "conformance" / "quadlet"


def _real(version: str) -> Path:
    path = find_real_quadlet(version)
    if path is None:
        need(f"podman {version}'s real quadlet generator not found (set HOSTFORM_REAL_QUADLET or run `{FETCH_COMMAND[version]}`)")
    reported = real_version(path)
    if reported is None or not reported.startswith(version + "."):
        need(f"{path} reports version {reported!r}, expected {version}.x")
    return path


@pytest.fixture(scope="session")
def real_quadlet() -> Path:
    """Path of podman 5.4's real quadlet generator (`.ci/get-podman --suite trixie`)."""
    return _real("5.4")


@pytest.fixture(scope="session")
def real_quadlet_58() -> Path:
    """Path of podman 5.8's real quadlet generator (`.ci/get-podman --suite sid`)."""
    return _real("5.8")


@pytest.fixture(scope="session")
def real_quadlet_61() -> Path:
    """Path of podman 6.1's real quadlet generator (`.ci/get-podman --suite experimental`)."""
    return _real("6.1")


@pytest.fixture(scope="session")
def quadlet_conformance() -> Path:
    shared(QUADLET_CONFORMANCE / "manifest.json")
    return QUADLET_CONFORMANCE
