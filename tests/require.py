"""What a test needs from the machine: skip without it, fail without it under CI=true.

A user's clone without a real tool skips the tests that need it, with the reason;
CI (``CI=true``) must have every prerequisite, so there a missing one fails.
"""

from __future__ import annotations

import os
import subprocess

import pytest

__all__ = ["go_helper", "need"]


def need(reason: str) -> None:
    """Skip for want of a prerequisite; under CI=true that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: prerequisites must be present)")
    pytest.skip(reason)


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
