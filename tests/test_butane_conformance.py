"""Butane conformance: every case of ../shared/conformance/butane/cases.

Each case runs in-process (``hostform.cli.butane.main`` with the case
directory as cwd) the way the corpus ran the real Butane v0.29.0:
``butane [--files-dir files-dir] input.bu``.  ``test_output`` checks the
exit code and stdout (gzip data URLs compared by their decoded bytes),
``test_stderr`` the default stderr, ``test_raw_errors`` the --raw-errors
stderr, ``test_strict`` the --strict exit code and stderr.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import urllib.parse
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "butane" / "cases"
NAMES = sorted(p.name for p in CASES.iterdir()) if CASES.is_dir() else []


def run(case: str, *flags: str) -> tuple[int, str, str]:
    from hostform.cli import butane

    d = CASES / case
    argv = list(flags)
    if "--files-dir files-dir" in _expected(case).get("command", ""):
        argv += ["--files-dir", "files-dir"]
    argv.append("input.bu")
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(d)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = butane.main(argv)
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue()


def _decode_url(src: str, compression: str | None):
    if not src.startswith("data:"):
        return src
    head, _, data = src[5:].partition(",")
    raw = base64.b64decode(data) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(data)
    if compression == "gzip":
        raw = gzip.decompress(raw)
    return ("decoded", raw)


def normalize(obj):
    """Replace data URLs (and their compression) by their decoded bytes."""
    if isinstance(obj, dict):
        out = {k: normalize(v) for k, v in obj.items()}
        if isinstance(obj.get("source"), str) and obj["source"].startswith("data:"):
            try:
                out["source"] = _decode_url(obj["source"], obj.get("compression"))
                out.pop("compression", None)
            except Exception:
                pass
        return out
    if isinstance(obj, list):
        return [normalize(v) for v in obj]
    return obj


def _expected(case: str) -> dict:
    return json.loads((CASES / case / "expected.json").read_text())


def _same_stderr(got: str, want: str, stable: bool) -> bool:
    if got == want or stable:
        return got == want
    return sorted(got.split("\n\n")) == sorted(want.split("\n\n"))


@pytest.mark.parametrize("case", NAMES)
def test_output(case: str) -> None:
    exp = _expected(case)
    rc, out, _ = run(case)
    assert rc == exp["exit_code"]
    ign = CASES / case / "expected.ign"
    if ign.exists() and exp["exit_code"] == 0:
        want = ign.read_text()
        if out != want:
            assert normalize(json.loads(out)) == normalize(json.loads(want))
            # same bytes apart from data-URL encodings: key order must match too
            assert list(json.loads(out)) == list(json.loads(want))
    else:
        assert out == ""


@pytest.mark.parametrize("case", NAMES)
def test_stderr(case: str) -> None:
    exp = _expected(case)
    _, _, err = run(case)
    assert _same_stderr(err, exp["stderr"], exp.get("stderr_order_stable", True))


@pytest.mark.parametrize("case", NAMES)
def test_raw_errors(case: str) -> None:
    exp = _expected(case)
    _, _, err = run(case, "--raw-errors")
    want = exp["stderr_raw_errors"]
    if exp.get("stderr_order_stable", True):
        assert err == want
    else:
        assert sorted(err.splitlines()) == sorted(want.splitlines())


@pytest.mark.parametrize("case", NAMES)
def test_strict(case: str) -> None:
    exp = _expected(case)["strict"]
    rc, _, err = run(case, "--strict")
    assert rc == exp["exit_code"]
    assert _same_stderr(err, exp["stderr"], _expected(case).get("stderr_order_stable", True))
