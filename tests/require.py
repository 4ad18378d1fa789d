"""What a test needs from the machine: skip without it, fail without it under CI=true.

A user's clone without a real tool skips the tests that need it, with the reason;
CI (``CI=true``) must have every prerequisite, so there a missing one fails.

Test data from ``../shared`` (beside the checkout) is not a tool: a user's clone
has none, so the tests that read it skip saying so (:func:`shared`,
:func:`shared_params`), with or without CI. CI has ``../shared``: ``.ci/run``
fails on any quick-suite skip not listed in ``.ci/allowed-skips``, and these
are not listed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

__all__ = ["SHARED", "go_helper", "need", "no_shared", "shared", "shared_params"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def need(reason: str) -> NoReturn:
    """Skip for want of a prerequisite; under CI=true that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: prerequisites must be present)")
    pytest.skip(reason)


def no_shared(path: Path) -> str:
    """The reason a test of data in ../shared skips when that data is not here."""
    return f"no ../shared beside the project (the shared test data): {path} not found"


def shared(path: Path) -> Path:
    """PATH, a file or directory of ../shared, when it is here; otherwise the test skips with the reason."""
    if not path.exists():
        pytest.skip(no_shared(path))
    return path


def shared_params(values: list[Any], path: Path) -> list[Any]:
    """Parameters read from PATH in ../shared, or, when PATH is not here, one skipped parameter saying so
    (instead of pytest's reasonless "got empty parameter set")."""
    if values or path.exists():
        return values
    return [pytest.param(None, id="no-shared", marks=pytest.mark.skip(reason=no_shared(path)))]


def go_helper(name: str) -> str:
    """The path of the Go test helper tests/go/NAME, built once (see tests/go/build.py)."""
    from tests.go.build import GoUnavailable, helper_binary

    try:
        return str(helper_binary(name))
    except GoUnavailable as e:
        need(str(e))
    except subprocess.CalledProcessError as e:
        pytest.fail(f"go build of tests/go/{name} failed:\n{e.stderr}")
    raise AssertionError("unreachable")
