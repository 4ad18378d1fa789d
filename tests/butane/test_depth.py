"""Deeply nested JSON in an inline `ignition.config.merge`/`replace` config, through
`hostform butane FILE` as a user runs it.

Butane validates an inline config with Ignition's util.HandleParseErrors (Go's
encoding/json: 10,000 levels of nesting at most, then ``invalid character '['
exceeded max depth``) and vcontext's go-json, whose scanner has the same limit.
Every expected stderr and exit status below is what the real Butane v0.29.0
printed for the same file (built from github.com/coreos/butane v0.29.0, Go 1.26).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

HEAD = '{"ignition":{"version":"3.4.0"}'
HEAD_31 = '{"ignition":{"version":"3.1.0"}'
SKIP = "skipping validation for the merge/replace ignition config due to an unkown version"


def arrays(n: int) -> str:
    return "[" * n + "]" * n


def butane_file(ign: str, replace: bool = False) -> str:
    """Butane 1.5.0 (Ignition 3.4.0) with ``ign`` inline, as line 6."""
    if replace:
        return "variant: fcos\nversion: 1.5.0\nignition:\n  config:\n    replace:\n      inline: %s\n" % json.dumps(ign)
    return "variant: fcos\nversion: 1.5.0\nignition:\n  config:\n    merge:\n      - inline: %s\n" % json.dumps(ign)


def run(tmp_path: Path, bu: str, *flags: str) -> tuple[int, str, str]:
    (tmp_path / "in.bu").write_text(bu)
    exe = os.path.join(os.path.dirname(sys.executable), "hostform")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "hostform"]
    p = subprocess.run([*cmd, "butane", *flags, "in.bu"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def at_top(sev: str, path: str, msg: str) -> str:
    """An entry of the inline config's own report: Butane points it at line 1."""
    head = f"{sev}[{path}]:" if path else f"{sev}:"
    return f"{head}\n  --> in.bu:1:1\n   |\n 1 | variant: fcos\n   | ^^^^^^^^ {msg}\n 2 | version: 1.5.0\n 3 | ignition:\n   |\n"


def at_line6(sev: str, path: str, bu: str, col: int, width: int, msg: str) -> str:
    line5, line6 = bu.splitlines()[4:6]
    return (
        f"{sev}[{path}]:\n  --> in.bu:6:{col}\n   |\n 4 |   config:\n 5 | {line5}\n 6 | {line6}\n"
        f"   | {' ' * (col - 1)}{'^' * width} {msg}\n 7 | \n   |\n"
    )


def inline_invalid(bu: str, path: str, col: int) -> str:
    return at_line6("error", path, bu, col, len(bu.splitlines()[5]) - (col - 1), "config is not valid")


def merged_source(out: str, replace: bool = False) -> bytes:
    cfg = json.loads(out)["ignition"]["config"]
    res = cfg["replace"] if replace else cfg["merge"][0]
    head, data = res["source"].split(",", 1)
    raw = base64.b64decode(data) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(data)
    return gzip.decompress(raw) if res.get("compression") == "gzip" else raw


def test_inline_merge_10000_levels_is_an_unused_key(tmp_path: Path) -> None:
    ign = HEAD + ',"foo":' + arrays(9999) + "}"
    rc, out, err = run(tmp_path, butane_file(ign))
    assert (rc, err) == (0, at_top("warning", "$.foo", "unused key foo"))
    assert merged_source(out) == ign.encode()
    assert run(tmp_path, butane_file(ign), "--strict") == (1, "", err + "Config produced warnings and --strict was specified\n")


def test_inline_merge_10001_levels_is_gos_depth_error(tmp_path: Path) -> None:
    bu = butane_file(HEAD + ',"foo":' + arrays(10000) + "}")
    expected = (
        at_top("error", "", "invalid character '[' exceeded max depth")
        + "\n"
        + inline_invalid(bu, "$.ignition.config.merge.0.inline", 17)
        + "Error translating config: source config is invalid\n"
    )
    assert run(tmp_path, bu) == (1, "", expected)


def test_inline_replace_deep_known_field(tmp_path: Path) -> None:
    """A 10,000-level value of a known field is Go's type error; 10,001 levels its depth error."""
    for n, msg in (
        (9996, "json: cannot unmarshal array into Go struct field File.storage.files.FileEmbedded1.contents of type types.Resource"),
        (9997, "invalid character '[' exceeded max depth"),
    ):
        bu = butane_file(HEAD + ',"storage":{"files":[{"path":"/a","contents":' + arrays(n) + "}]}}", replace=True)
        expected = (
            at_top("error", "", msg)
            + "\n"
            + inline_invalid(bu, "$.ignition.config.replace.inline", 15)
            + "Error translating config: source config is invalid\n"
        )
        assert run(tmp_path, bu) == (1, "", expected), n


def test_inline_version_is_read_at_any_depth(tmp_path: Path) -> None:
    """Another spec version only warns and skips the inline config's validation, however
    deep the rest of it is (the version was lost past Python's json recursion limit)."""
    for ign in (
        HEAD_31 + ',"foo":' + arrays(2000) + "}",
        HEAD_31 + ',"foo":' + arrays(9999) + "}",
        HEAD_31 + ',"storage":{"files":[{"path":"rel"}]},"foo":' + arrays(2000) + "}",
    ):
        bu = butane_file(ign)
        rc, out, err = run(tmp_path, bu)
        assert (rc, err) == (0, at_line6("warning", "$.ignition.config.merge.0.version", bu, 9, 7, SKIP))
        assert merged_source(out) == ign.encode()


def test_inline_version_keys_match_case_insensitively(tmp_path: Path) -> None:
    """Go's json.Unmarshal matches "Ignition"/"Version" to the fields ignition/version."""
    bu = butane_file('{"Ignition":{"Version":"3.1.0"},"foo":1}')
    assert run(tmp_path, bu)[::2] == (0, at_line6("warning", "$.ignition.config.merge.0.version", bu, 9, 7, SKIP))
