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

from tests.require import shared_params

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "butane" / "cases"
NAMES = shared_params(sorted(p.name for p in CASES.iterdir()) if CASES.is_dir() else [], CASES)


_PREPARED: dict[str, Path] = {}

# Symlinks of error cases (no expected.ign to read them from), as Butane's
# own test (base/v0_7/translate_test.go, TestTranslateTree) creates them.
_LOST_SYMLINKS = {
    "go-base07-TranslateTree-3": {
        f"files-dir/{p}": "file"
        for p in (
            "tree7/file", "tree8/directory", "tree9/link", "tree10/file-partial",
            "tree11/link-partial", "tree13/tree-link", "tree14/tree-link",
        )
    },
}


def _case_dir(case: str) -> Path:
    """The case directory; when the shared copy lost the symlinks of a tree
    (they became regular files holding the link target), a temporary copy
    with the symlinks put back, as ``expected.ign`` shows them."""
    d = CASES / case
    ign = d / "expected.ign"
    fd = d / "files-dir"
    if not fd.is_dir():
        return d
    fix = [(Path(rel), target) for rel, target in _LOST_SYMLINKS.get(case, {}).items()]
    if not ign.exists() and not fix:
        return d
    links = [] if not ign.exists() else None
    if links is None:
        links = (json.loads(ign.read_text()).get("storage") or {}).get("links") or []
    wanted = {(link["path"].rsplit("/", 1)[-1], link.get("target")) for link in links if link.get("target")}
    for p in fd.rglob("*"):
        if p.is_file() and not p.is_symlink() and p.stat().st_size < 256:
            try:
                text = p.read_text()
            except (OSError, UnicodeDecodeError):
                continue
            if (p.name, text) in wanted:
                fix.append((p.relative_to(d), text))
    if not fix:
        return d
    if case not in _PREPARED:
        import shutil
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="butane-case-")) / case
        shutil.copytree(d, tmp)
        for rel, target in fix:
            q = tmp / rel
            q.parent.chmod(0o755)
            q.chmod(0o644)
            q.unlink()
            q.symlink_to(target)
        _PREPARED[case] = tmp
    return _PREPARED[case]


def run(case: str, *flags: str) -> tuple[int, str, str]:
    from hostform.cli import butane

    d = _case_dir(case)
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
