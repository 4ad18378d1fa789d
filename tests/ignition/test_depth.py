"""Deeply nested JSON in `hostform ignition validate FILE`, run as a user runs it.

Go's encoding/json scanner (and coreos/go-json, the copy vcontext reads with)
accepts 10,000 levels of nesting and refuses the bracket that would open the
10,001st: ``invalid character '[' exceeded max depth`` (scanner.go,
``maxNestingDepth = 10000``, ``pushParseState``).  Every expected output below
is what the real ``ignition-validate`` v2.26.0 printed for the same file (built
with ``go install github.com/coreos/ignition/v2/validate@v2.26.0``, Go 1.26).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostform import ignition

HEAD = '{"ignition":{"version":"3.4.0"}'
HEAD_30 = '{"ignition":{"version":"3.0.0"}'


def arrays(n: int) -> str:
    return "[" * n + "]" * n


def objects(n: int) -> str:
    return '{"a":' * n + "1" + "}" * n


def run(tmp_path: Path, text: str) -> tuple[int, str, str]:
    """`hostform ignition validate config.ign` through the installed launcher."""
    f = tmp_path / "config.ign"
    f.write_text(text)
    exe = os.path.join(os.path.dirname(sys.executable), "hostform")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "hostform"]
    p = subprocess.run([*cmd, "ignition", "validate", str(f)], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


UNUSED_FOO = (0, "warning at $.foo, line 1 col 33: unused key foo\n", "")

# (name, config text, (exit status, stdout, stderr)); a top-level object is level 1.
CASES = [
    # 10,000 levels in all, under an unknown key: accepted, just the unused key
    ("unknown key, arrays, 10000", HEAD + ',"foo":' + arrays(9999) + "}", UNUSED_FOO),
    ("unknown key, objects, 10000", HEAD + ',"foo":' + objects(9999) + "}", UNUSED_FOO),
    ("unknown key, mixed, 10000", HEAD + ',"foo":' + '[{"a":' * 4999 + "[1]" + "}]" * 4999 + "}", UNUSED_FOO),
    ("unknown key, empty object at 10000", HEAD + ',"foo":' + "[" * 9998 + "{}" + "]" * 9998 + "}", UNUSED_FOO),
    ("spec 3.0.0, 10000", HEAD_30 + ',"foo":' + arrays(9999) + "}", UNUSED_FOO),
    (
        "unknown key inside a known struct, 10000",
        HEAD + ',"storage":{"foo":' + objects(9998) + "}}",
        (0, "warning at $.storage.foo, line 1 col 44: unused key foo\n", ""),
    ),
    # 10,001 levels: Go's syntax error at the bracket that opens the 10,001st
    (
        "unknown key, arrays, 10001",
        HEAD + ',"foo":' + arrays(10000) + "}",
        (1, "error at line 1 col 10039: invalid character '[' exceeded max depth\n", ""),
    ),
    (
        "unknown key, objects, 10001",
        HEAD + ',"foo":' + objects(10000) + "}",
        (1, "error at line 1 col 50035: invalid character '{' exceeded max depth\n", ""),
    ),
    (
        "unknown key, mixed, 10001",
        HEAD + ',"foo":' + '[{"a":' * 5000 + "[1]" + "}]" * 5000 + "}",
        (1, "error at line 1 col 30035: invalid character '{' exceeded max depth\n", ""),
    ),
    (
        "an empty object opening the 10001st level",
        HEAD + ',"foo":' + "[" * 9999 + "{}" + "]" * 9999 + "}",
        (1, "error at line 1 col 10039: invalid character '{' exceeded max depth\n", ""),
    ),
    (
        "spec 3.0.0, 10001",
        HEAD_30 + ',"foo":' + arrays(10000) + "}",
        (1, "error at line 1 col 10039: invalid character '[' exceeded max depth\n", ""),
    ),
    (
        "one per line, 10001",
        HEAD + ',\n"foo":\n' + "[\n" * 10000 + "]\n" * 10000 + "}\n",
        (1, "error at line 10002 col 2: invalid character '[' exceeded max depth\n", ""),
    ),
    (
        "top-level array, 10000",
        arrays(10000),
        (1, "error at line 1 col 2: json: cannot unmarshal array into Go value of type util.versionStub\n", ""),
    ),
    ("top-level array, 10001", arrays(10001), (1, "error at line 1 col 10002: invalid character '[' exceeded max depth\n", "")),
    # the scanner sees the depth before the end of the input, and an earlier syntax error first
    ("cut short at 10000", "[" * 10000, (1, "error at line 0 col 0: unexpected end of JSON input\n", "")),
    ("cut short at 10001", "[" * 10001, (1, "error at line 0 col 0: invalid character '[' exceeded max depth\n", "")),
    (
        "a syntax error before the depth",
        HEAD + ',"foo":[1 2,' + arrays(10001) + "]}",
        (1, "error at line 1 col 43: invalid character '2' after array element\n", ""),
    ),
    (
        "a syntax error after the depth",
        HEAD + ',"foo":' + arrays(10001) + ",,}",
        (1, "error at line 1 col 10039: invalid character '[' exceeded max depth\n", ""),
    ),
    # deep values of known fields: Go's type errors up to 10,000
    (
        "file contents, 10000",
        HEAD + ',"storage":{"files":[{"path":"/a","contents":' + arrays(9996) + "}]}}",
        (
            1,
            "error at line 1 col 78: json: cannot unmarshal array into Go struct field File.storage.files.FileEmbedded1.contents of type types.Resource\n",
            "",
        ),
    ),
    (
        "file contents, 10001",
        HEAD + ',"storage":{"files":[{"path":"/a","contents":' + arrays(9997) + "}]}}",
        (1, "error at line 1 col 10074: invalid character '[' exceeded max depth\n", ""),
    ),
    (
        "file mode, 10000",
        HEAD + ',"storage":{"files":[{"path":"/a","mode":' + objects(9995) + "}]}}",
        (
            1,
            "error at line 1 col 74: json: cannot unmarshal object into Go struct field File.storage.files.FileEmbedded1.mode of type int\n",
            "",
        ),
    ),
    (
        "ignition.version, 10000",
        '{"ignition":{"version":' + arrays(9998) + "}}",
        (1, "error at line 1 col 25: json: cannot unmarshal array into Go struct field .Ignition.Version of type string\n", ""),
    ),
    (
        "an unused key beside a validation error",
        HEAD + ',"storage":{"files":[{"path":"rel"}]},"foo":' + arrays(9999) + "}",
        (1, "error at $.storage.files.0.path, line 1 col 61: path not absolute\nwarning at $.foo, line 1 col 70: unused key foo\n", ""),
    ),
]


def _tang(adv: str) -> str:
    luks = {"name": "x", "device": "/dev/sda", "clevis": {"tang": [{"url": "http://t", "thumbprint": "t", "advertisement": adv}]}}
    return json.dumps({"ignition": {"version": "3.4.0"}, "storage": {"luks": [luks]}})


# A Tang advertisement is a JSON string that Ignition json.Unmarshals on its own.
CASES += [
    ("tang advertisement, 10000", _tang(arrays(10000)), (0, "", "")),
    (
        "tang advertisement, 10001",
        _tang(arrays(10001)),
        (1, "error at $.storage.luks.0.clevis.tang.0.advertisement, line 1 col 169: advertisement is not valid JSON\n", ""),
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_depth_like_ignition_validate(tmp_path: Path, text: str, expected: tuple[int, str, str]) -> None:
    assert run(tmp_path, text) == expected


def test_ten_thousand_levels_take_well_under_a_second() -> None:
    """Linear, not quadratic: each whole parse (decode, unused keys, validation) of a
    10,000-level config, and of one refused at 10,001, in well under a second of CPU
    time (about 0.02 s here; a quadratic reader takes seconds)."""
    for text in (
        HEAD + ',"foo":' + objects(9999) + "}",
        HEAD + ',"foo":' + arrays(9999) + "," + arrays(9999) + "}",
        HEAD + ',"foo":' + objects(10000) + "}",
    ):
        data = text.encode()
        spent = []
        for _ in range(3):
            t = time.process_time()
            ignition.parse(data)
            spent.append(time.process_time() - t)
        assert min(spent) < 0.3, spent
