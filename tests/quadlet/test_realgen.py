"""Podman's real quadlet generator: the conformance harness, and hostform against it.

Part 1 is a Python evaluator for the ``##`` assertion language of podman's
quadlet test files (documented in shared/conformance/quadlet/ASSERTIONS.md),
run over every entry of shared/conformance/quadlet/manifest.json with the
real generators. Podman 6.1 passes all entries, so any failure there is a
bug in this harness; podman 5.4 fails a known set of entries, which are the
6.1-only behaviours (``REAL_54_FAILURES``).

Part 2 compares hostform's generator with podman 5.4's on the project's own
inputs (see the bottom of this file).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hostform.quadlet.realgen import find_real_quadlet, run_real

# ---------------------------------------------------------------------------
# Tokenizer of `##` lines: go-shellwords v1.0.13, ParseEnv and ParseBacktick off.


class ShellwordsError(ValueError):
    pass


def shellwords(line: str) -> list[str]:
    args: list[str] = []
    buf = ""
    escaped = dq = sq = bq = dollar = False
    got = 0  # 0: no word, 1: unquoted word, 2: quoted word
    for r in line:
        if escaped:
            buf += {"t": "\t", "n": "\n"}.get(r, r)
            escaped = False
            got = 1
            continue
        if r == "\\":
            if sq:
                buf += r
            else:
                escaped = True
            continue
        if r in " \t\r\n":
            if sq or dq or bq or dollar:
                buf += r
            elif got:
                args.append(buf)
                buf, got = "", 0
            continue
        if r == "`":
            if not sq and not dq and not dollar:
                bq = not bq
        elif r == ")":
            if not sq and not dq and not bq:
                if not dollar:
                    raise ShellwordsError("invalid command line string")
                buf += r
                dollar = False
                got = 1
                continue
        elif r == "(":
            if not sq and not dq and not bq:
                if not dollar and buf.endswith("$"):
                    dollar = True
                    buf += "("
                    continue
                raise ShellwordsError("invalid command line string")
        elif r == '"':
            if not sq and not dollar:
                if dq:
                    got = 2
                dq = not dq
                continue
        elif r == "'":
            if not dq and not dollar:
                if sq:
                    got = 2
                sq = not sq
                continue
        elif r in ";&|<>":
            if not (sq or dq or bq or dollar):
                if r == ">" and buf and buf[0].isdigit() and buf[0].isascii():
                    got = 0
                break
        got = 1
        buf += r
    if got:
        args.append(buf)
    if escaped or sq or dq or bq or dollar:
        raise ShellwordsError("invalid command line string")
    return args


# ---------------------------------------------------------------------------
# systemd Exec-line splitting: podman's splitString(v, WhitespaceSeparators,
# SplitRelax|SplitUnquote|SplitCUnescape).

_SEPS = " \t\n\r"
_HEX = "0123456789abcdefABCDEF"


class EscapeError(ValueError):
    pass


def _c_unescape_one(p: str) -> tuple[int, str]:
    """(characters consumed, decoded character) for the text after a backslash."""
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"', "'": "'", "s": " "}
    if not p:
        raise EscapeError
    c = p[0]
    if c in simple:
        return 1, simple[c]
    if c in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[c]
        digits = p[1 : 1 + n]
        if len(digits) < n or any(d not in _HEX for d in digits):
            raise EscapeError
        v = int(digits, 16)
        if v == 0 or v > 0x10FFFF:
            raise EscapeError
        return n + 1, chr(v)
    if c in "01234567":
        digits = p[:3]
        if len(digits) < 3 or any(d not in "01234567" for d in digits):
            raise EscapeError
        v = int(digits, 8)
        if v == 0 or v > 255:
            raise EscapeError
        return 3, chr(v)
    raise EscapeError


def _extract_first_word(s: str) -> tuple[str, str] | None:
    n = len(s)
    p = 0

    def ch() -> str:
        return s[p] if p < n else "\0"

    if n == 0:
        return None
    c = s[0]
    while c != "\0" and c in _SEPS:
        p += 1
        c = ch()
    out: list[str] = []
    quote = ""
    backslash = False
    terminated = False
    while not terminated:
        if c == "\0" and not backslash and not quote:
            terminated = True
            break
        if backslash:
            if c == "\0":
                terminated = True
                break
            used, u = _c_unescape_one(s[p:])
            p += used - 1
            out.append(u)
            backslash = False
        elif quote:
            while True:
                if c == "\0":
                    terminated = True
                    break
                if c == quote:
                    quote = ""
                    break
                if c == "\\":
                    backslash = True
                    break
                out.append(c)
                p += 1
                c = ch()
            if terminated:
                break
        else:
            while True:
                if c == "\0":
                    terminated = True
                    break
                if c in "'\"":
                    quote = c
                    break
                if c == "\\":
                    backslash = True
                    break
                if c in _SEPS:
                    while True:
                        if c == "\0":
                            terminated = True
                            break
                        if c not in _SEPS:
                            break
                        p += 1
                        c = ch()
                    if not terminated:
                        return ("".join(out), s[p:]) if out else None
                    break
                out.append(c)
                p += 1
                c = ch()
            if terminated:
                break
        p += 1
        c = ch()
    if not out:
        return None
    return "".join(out), ""


def split_exec(value: str) -> list[str] | None:
    """Words of an Exec line; None when an escape is invalid (podman then gets nil args)."""
    words: list[str] = []
    try:
        while True:
            r = _extract_first_word(value)
            if r is None:
                return words
            words.append(r[0])
            value = r[1]
    except EscapeError:
        return None


# ---------------------------------------------------------------------------
# The generated unit, read as podman's parser.UnitFile reads it (only what the asserts use).


class Unit:
    def __init__(self, text: str) -> None:
        self.groups: dict[str, list[tuple[str, str]]] = {}
        current: list[tuple[str, str]] | None = None
        lines = text.removesuffix("\n").split("\n")
        remaining = ""
        for nr, raw in enumerate(lines):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.endswith("\\"):
                line = line[:-1]
                if nr != len(lines) - 1:
                    remaining += line
                    continue
            if remaining:
                line, remaining = remaining + line, ""
            if line.startswith("[") and "]" in line:
                current = self.groups.setdefault(line[1 : line.index("]")], [])
            elif "=" in line and current is not None:
                key, _, value = line.partition("=")
                current.append((key.rstrip(), value.lstrip()))
            else:
                raise ValueError(f"bad unit line {nr + 1}: {line!r}")

    def lookup_all(self, group: str, key: str) -> list[str]:
        values: list[str] = []
        for k, v in self.groups.get(group, []):
            if k == key:
                values = [] if v == "" else [*values, v]
        return values

    def lookup_last(self, group: str, key: str) -> str | None:
        for k, v in reversed(self.groups.get(group, [])):
            if k == key:
                return v
        return None

    def last_args(self, key: str) -> list[str]:
        v = self.lookup_last("Service", key)
        if v is None:
            return []
        return split_exec(v) or []


# ---------------------------------------------------------------------------
# The assertions.


def _find(full: list[str], sub: list[str]) -> int:
    if not sub or len(sub) > len(full):
        return -1
    for i in range(len(full) - len(sub) + 1):
        if full[i : i + len(sub)] == sub:
            return i
    return -1


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _find_regex(full: list[str], sub: list[str]) -> int:
    if not sub or len(sub) > len(full):
        return -1
    for i in range(len(full) - len(sub) + 1):
        if all(_search(r, a) for r, a in zip(sub, full[i : i + len(sub)])):
            return i
    return -1


def _kv_map(text: str, sep: str) -> dict[str, str] | None:
    try:
        rows = list(csv.reader([text], delimiter=sep[0], strict=True))
    except csv.Error:
        return None
    result: dict[str, str] = {}
    for field in rows[0] if rows else []:
        k, _, v = field.partition("=")
        result[k] = v
    return result


def _kv_match(argv: list[str], args: list[str], regex: bool) -> bool:
    flag, sep, expected_text = args[0], args[1], args[2]
    expected = _kv_map(expected_text, sep)
    if expected is None:
        return False
    for i, a in enumerate(argv[:-1]):
        if a != flag:
            continue
        actual = _kv_map(argv[i + 1], sep)
        if actual is None:
            return False
        if regex:
            if len(expected) == len(actual) and all(k in actual and _search(v, actual[k]) for k, v in expected.items()):
                return True
        elif expected == actual:
            return True
    return False


def _global(argv: list[str], subcmd: str) -> list[str] | None:
    return argv[: argv.index(subcmd)] if subcmd in argv else None


_FAMILIES = {
    "assert-podman-pre-": "ExecStartPre",
    "assert-podman-stop-post-": "ExecStopPost",
    "assert-podman-stop-": "ExecStop",
    "assert-podman-reload-": "ExecReload",
    "assert-podman-": "ExecStart",
}


class HarnessError(Exception):
    """An assertion that podman's runner would abort on (bad arity, unknown op, missing symlink)."""


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise HarnessError(what)


def _podman_variant(variant: str, argv: list[str], a: list[str]) -> bool:
    if variant == "args":
        return _find(argv, a) != -1
    if variant == "args-regex":
        return _find_regex(argv, a) != -1
    if variant in ("global-args", "global-args-regex"):
        prefix = _global(argv, a[0])
        if prefix is None:
            return False
        return (_find_regex if variant.endswith("regex") else _find)(prefix, a[1:]) != -1
    if variant == "final-args":
        return len(a) <= len(argv) and argv[len(argv) - len(a) :] == a
    if variant == "final-args-regex":
        return len(a) <= len(argv) and all(_search(r, x) for r, x in zip(a, argv[len(argv) - len(a) :]))
    if variant in ("args-key-val", "args-key-val-regex"):
        return _kv_match(argv, a, variant.endswith("regex"))
    if variant in ("global-args-key-val", "global-args-key-val-regex"):
        prefix = _global(argv, a[0])
        return prefix is not None and _kv_match(prefix, a[1:], variant.endswith("regex"))
    raise HarnessError(f"Unsupported assertion {variant}")


def evaluate(check: list[str], unit: Unit | None, stderr: str, out_dir: Path, service: str) -> bool:
    op, args = check[0], [a.replace("\\n", "\n").replace("\\t", "\t") for a in check[1:]]
    invert = op.startswith("!")
    if invert:
        op = op[1:]
    result = _evaluate(op, args, unit, stderr, out_dir, service)
    return result != invert


def _evaluate(op: str, a: list[str], unit: Unit | None, stderr: str, out_dir: Path, service: str) -> bool:
    if op == "assert-failed":
        return True
    if op == "assert-stderr-contains":
        return a[0] in stderr
    if unit is None:
        raise HarnessError(f"{op} on a unit that was not generated")
    if op == "assert-symlink":
        _need(len(a) == 2, op)
        link = out_dir / Path(service).parent / a[0]
        _need(link.is_symlink(), f"missing symlink {a[0]}")
        return os.readlink(link) == a[1]
    if op in ("assert-key-is", "assert-key-is-regex"):
        _need(len(a) >= 3, op)
        real = unit.lookup_all(a[0], a[1])
        if len(real) != len(a) - 2:
            return False
        if op == "assert-key-is":
            return real == a[2:]
        return all(_search(r, v) for r, v in zip(a[2:], real))
    if op == "assert-has-key":
        _need(len(a) == 3, op)
        return a[2] in unit.lookup_all(a[0], a[1])
    if op == "assert-key-is-empty":
        _need(len(a) == 2, op)
        return not unit.lookup_all(a[0], a[1])
    if op in ("assert-key-contains", "assert-key-not-contains"):
        found = any(a[2] in v for v in unit.lookup_all(a[0], a[1]))
        return found if op == "assert-key-contains" else not found
    if op in ("assert-last-key-contains", "assert-last-key-not-contains"):
        last = unit.lookup_last(a[0], a[1])
        found = last is not None and a[2] in last
        return found if op == "assert-last-key-contains" else not found
    if op == "assert-last-key-is-regex":
        _need(len(a) >= 3, op)
        last = unit.lookup_last(a[0], a[1])
        return last is not None and _search(a[2], last)
    for prefix, key in _FAMILIES.items():
        if op.startswith(prefix):
            return _podman_variant(op[len(prefix) :], unit.last_args(key), a)
    raise HarnessError(f"Unsupported assertion {op}")


# ---------------------------------------------------------------------------
# Running one manifest entry like podman's runQuadletTestCaseWithServiceName.

_SUFFIX = {".volume": "-volume", ".network": "-network", ".image": "-image", ".build": "-build",
           ".artifact": "-artifact", ".pod": "-pod"}


def service_name(file: str, override: str = "") -> str:
    if override:
        return override + ".service"
    stem, ext = os.path.splitext(file)
    return stem + _SUFFIX.get(ext, "") + ".service"


@dataclass
class CaseResult:
    passed: bool
    why: str = ""


def load_checks(text: str) -> list[list[str]]:
    return [shellwords(line[2:]) for line in text.split("\n") if line.startswith("##")]


def run_case(
    cases: Path,
    entry: dict,
    generate: Callable[[Path, Path], tuple[int, str]],
) -> CaseResult:
    """Run one manifest entry. ``generate(unit_dir, out_dir) -> (exit code, stderr)``."""
    name = entry["file"]
    text = (cases / name).read_text()
    checks = load_checks(text)
    for dep in entry["dependencies"]:
        load_checks((cases / dep).read_text())  # must tokenize, as in podman
    with tempfile.TemporaryDirectory(prefix="podman-e2e-") as top:
        tmp = Path(tempfile.mkdtemp(prefix="subtest-", dir=top))
        qdir, gdir = tmp / "quadlet", tmp / "generated"
        qdir.mkdir()
        gdir.mkdir()
        for dep in entry["dependencies"]:
            shutil.copyfile(cases / dep, qdir / dep)
        (qdir / name).write_text(text)
        dropins = [name + ".d"]
        stem, ext = os.path.splitext(name)
        if "@" in stem and stem.split("@", 1)[1]:
            dropins.append(stem.split("@", 1)[0] + "@" + ext + ".d")
        for d in dropins:
            if (cases / d).is_dir():
                shutil.copytree(cases / d, qdir / d)
        code, stderr = generate(qdir, gdir)
        if code != entry["exit_code"]:
            return CaseResult(False, f"exit code {code}, expected {entry['exit_code']}: {stderr.strip()[-300:]}")
        if entry["stderr_contains"] not in stderr:
            return CaseResult(False, f"stderr lacks {entry['stderr_contains']!r}: {stderr.strip()[-300:]}")
        service = service_name(name, entry["service_name"])
        unit_path = gdir / service
        expect_fail = any(c and c[0] == "assert-failed" for c in checks)
        if expect_fail == unit_path.exists():
            return CaseResult(False, f"{service} {'exists' if unit_path.exists() else 'missing'}")
        unit = None if expect_fail else Unit(unit_path.read_text())
        for check in checks:
            try:
                ok = evaluate(check, unit, stderr, gdir, service)
            except (HarnessError, IndexError) as e:
                return CaseResult(False, f"harness error on {' '.join(check)}: {e}")
            if not ok:
                return CaseResult(False, "failed: " + " ".join(check))
    return CaseResult(True)


def real_generate(binary: Path) -> Callable[[Path, Path], tuple[int, str]]:
    def generate(qdir: Path, gdir: Path) -> tuple[int, str]:
        code, _, stderr = run_real(qdir, binary=binary, output_dir=gdir)
        return code, stderr

    return generate


# ---------------------------------------------------------------------------
# Tests of the harness itself (no binary needed).


def test_shellwords() -> None:
    assert shellwords(' assert-key-is "Unit" "A" "x y" ""') == ["assert-key-is", "Unit", "A", "x y", ""]
    assert shellwords(r" a 'b\c' \"d\" \\n") == ["a", "b\\c", '"d"', "\\n"]
    assert shellwords(" a b; c d") == ["a", "b"]
    assert shellwords(" a $(x y) ${V}") == ["a", "$(x y)", "${V}"]
    with pytest.raises(ShellwordsError):
        shellwords(" a (b)")
    with pytest.raises(ShellwordsError):
        shellwords(' a "b')


def test_split_exec() -> None:
    assert split_exec('/usr/bin/podman run --env "A=b c" \'x\'"y"') == ["/usr/bin/podman", "run", "--env", "A=b c", "xy"]
    assert split_exec(r"a\x41\sb \101 \u00e9") == ["aA b", "A", "é"]
    assert split_exec(r"a \q") is None
    assert split_exec('a "unbalanced') == ["a", "unbalanced"]
    assert split_exec("  ") == []


def test_unit_lookup() -> None:
    u = Unit("[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\nExecStart=/bin/x \\\n  -a\n#c\n[Unit]\nX = y \n")
    assert u.lookup_all("Service", "Environment") == ["B=2"]
    assert u.last_args("ExecStart") == ["/bin/x", "-a"]
    assert u.lookup_last("Unit", "X") == "y"


def test_assertions_are_not_vacuous() -> None:
    u = Unit('[Service]\nExecStart=/usr/bin/podman --module=m run --name x --mount type=bind,src=/a,\\"dst=/b,c\\" img cmd\n')
    ok = lambda *c: evaluate(list(c), u, "warn: boom", Path("/nonexistent"), "x.service")  # noqa: E731
    assert ok("assert-podman-args", "--name", "x")
    assert not ok("assert-podman-args", "--name", "y")
    assert ok("!assert-podman-args", "--name", "y")
    assert ok("assert-podman-global-args", "run", "--module=m")
    assert not ok("assert-podman-global-args", "run", "--name")
    assert ok("assert-podman-final-args", "img", "cmd")
    assert ok("assert-podman-final-args-regex", "i.g", "^cmd$")
    assert ok("assert-podman-args-key-val", "--mount", ",", 'type=bind,"dst=/b,c",src=/a')
    assert not ok("assert-podman-args-key-val", "--mount", ",", "type=bind,src=/a")
    assert ok("assert-stderr-contains", "boom")
    assert ok("assert-key-is-empty", "Service", "Nope")


# ---------------------------------------------------------------------------
# The manifest through the real generators.

QUADLET_SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "quadlet"


def _manifest() -> list[dict]:
    path = QUADLET_SHARED / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else []


def _entry_id(e: dict) -> str:
    return f"{e['kind']}:{e['file']}" + (f":{e['service_name']}" if e["service_name"] else "")


MANIFEST = _manifest()

# Manifest entries that podman 5.4.2's generator fails (measured with this harness:
# 54 of 237, so 5.4 passes 77%). They are the behaviour added after 5.4: new keys
# (AppArmor, HttpProxy, Memory, ReloadCmd, BuildArg, Retry, ...), .artifact units,
# `rm -v` in ExecStopPost, Requires= on dependencies, Service User/Group/DynamicUser
# warnings, ... 5.4 even panics (exit 2) on mount.container and mount-source-missing.
REAL_54_FAILURES: frozenset[str] = frozenset(
    {
        "dependencies:artifact-mount.container",
        "dependencies:dependent.build",
        "dependencies:dependent.container",
        "dependencies:dependent.image",
        "dependencies:dependent.kube",
        "dependencies:dependent.network",
        "dependencies:dependent.pod",
        "dependencies:dependent.volume",
        "dependencies:mount.container",
        "dependencies:startwithpod.pod",
        "dependencies:template-dependency@.container",
        "error:dependent.error.container",
        "error:mount-source-missing.container",
        "error:multiple-yaml-set-working-dir-yaml.kube",
        "error:reloadboth.container",
        "success:apparmor.container",
        "success:basepodman.container",
        "success:basic.artifact",
        "success:basic.container",
        "success:basic.pod",
        "success:buildarg.build",
        "success:delete.network",
        "success:device-bind.volume",
        "success:entrypoint-empty.container",
        "success:entrypoint.container",
        "success:env.container",
        "success:health-cmd-shell-quotes.container",
        "success:httpproxy-false.container",
        "success:httpproxy-true.container",
        "success:ignorefile.build",
        "success:install.container",
        "success:interface-name.network",
        "success:label.pod",
        "success:memory.container",
        "success:mount-options.volume",
        "success:multiple-yaml.kube",
        "success:options.artifact",
        "success:policy.image",
        "success:reloadcmd.container",
        "success:reloadsignal.container",
        "success:restart.pod",
        "success:retry.build",
        "success:retry.image",
        "success:stoptimeout.pod",
        "warning:label-unsupported-escape.container",
        "warning:reloadcmd-unsupported-escape.container",
        "warning:service-dynamicuser.build",
        "warning:service-dynamicuser.container",
        "warning:service-dynamicuser.image",
        "warning:service-dynamicuser.kube",
        "warning:service-dynamicuser.network",
        "warning:service-dynamicuser.pod",
        "warning:service-group.container",
        "warning:service-user.container",
    }
)

# Podman 5.8.6 fails these 5 (6.1-only behaviour).
REAL_58_FAILURES: frozenset[str] = frozenset(
    {
        "dependencies:mount.container",
        "dependencies:startwithpod.pod",
        "error:mount-source-missing.container",
        "success:mount-options.volume",
        "success:restart.pod",
    }
)


def _run_manifest(binary: Path) -> dict[str, CaseResult]:
    gen = real_generate(binary)
    return {_entry_id(e): run_case(QUADLET_SHARED / "cases", e, gen) for e in MANIFEST}


@pytest.mark.skipif(not MANIFEST, reason="shared/conformance/quadlet/manifest.json not found")
def test_manifest_real_61_all_pass(real_quadlet_61: Path) -> None:
    """Podman 6.1 passes every entry: a failure here is a bug in this harness."""
    results = _run_manifest(real_quadlet_61)
    failed = {k: r.why for k, r in results.items() if not r.passed}
    assert not failed


@pytest.mark.skipif(not MANIFEST, reason="shared/conformance/quadlet/manifest.json not found")
def test_manifest_real_54_known_failures(real_quadlet: Path) -> None:
    """Podman 5.4 fails exactly the entries of REAL_54_FAILURES (the 6.1-only behaviour)."""
    results = _run_manifest(real_quadlet)
    failed = {k for k, r in results.items() if not r.passed}
    assert sorted(failed - REAL_54_FAILURES) == []
    assert sorted(REAL_54_FAILURES - failed) == []


@pytest.mark.skipif(not MANIFEST, reason="shared/conformance/quadlet/manifest.json not found")
def test_manifest_real_58_known_failures(real_quadlet_58: Path) -> None:
    results = _run_manifest(real_quadlet_58)
    failed = {k for k, r in results.items() if not r.passed}
    assert sorted(failed ^ REAL_58_FAILURES) == []


# ---------------------------------------------------------------------------
# Part 2: hostform's generator against the real one, on the project's own inputs.
#
# hostform emulates podman 6.1 by default. On each input the real 5.4 and the
# real 6.1 generators run too: where they agree (up to argument order) the
# behaviour is shared and hostform must produce the same; where they differ,
# hostform must match 6.1 (and, once it has `--podman-version 5.4`, match 5.4
# in that mode: see _hostform_54 below).

TINKERBELL = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "tinkerbell" / "files"

OWN_UNITS: dict[str, str] = {
    "basic.container": """\
[Container]
Image=localhost/app:1
ContainerName=app
PublishPort=8080:80
PublishPort=127.0.0.1:8443:443/tcp
Environment=A=1 "B=two words"
Environment=C=3
Label=org.example.role=web
Volume=/srv/app:/app:ro,Z
Exec=serve --port 80

[Service]
Restart=always
TimeoutStartSec=900

[Install]
WantedBy=multi-user.target default.target
""",
    "full.container": """\
# a comment kept at the top
[Unit]
Description=every common key
After=network-online.target

[Container]
Image=docker.io/library/nginx:latest
AddCapability=NET_ADMIN SYS_TIME
DropCapability=ALL
Annotation=a=b "c=d e"
AutoUpdate=registry
HealthCmd=/bin/true
HealthInterval=30s
HealthRetries=3
HealthOnFailure=kill
LogDriver=journald
NoNewPrivileges=true
ReadOnly=true
RunInit=true
Timezone=UTC
User=1000
Group=1000
WorkingDir=/work
Tmpfs=/tmp:rw,size=64m
Ulimit=nofile=1024:2048
PidsLimit=100
ShmSize=64m
Secret=token,type=env,target=TOKEN
Sysctl=net.ipv4.ip_forward=1
DNS=9.9.9.9
DNSSearch=example.org
HostName=web1
Pull=never
StopTimeout=20
Entrypoint=/bin/sh
GroupAdd=wheel
LogOpt=tag=web
NetworkAlias=web
StopSignal=SIGTERM
Mount=type=tmpfs,destination=/cache
Notify=true
PodmanArgs=--memory 512m
SecurityLabelDisable=true
UserNS=keep-id
ExposeHostPort=9000
AddHost=db.local:10.0.0.5
CgroupsMode=split
Mask=/proc/kcore
Unmask=ALL
ReadOnlyTmpfs=false
EnvironmentHost=false

[Service]
Restart=on-failure
""",
    "vol.volume": """\
[Volume]
VolumeName=data
Label=backup=yes
Device=/dev/sdb1
Type=ext4
Options=noatime
User=1000
Group=1000
Copy=false
Driver=local
""",
    "net.network": """\
[Network]
NetworkName=appnet
Subnet=10.89.1.0/24
Gateway=10.89.1.1
IPRange=10.89.1.128/25
Label=env=prod
Internal=true
IPv6=false
DNS=10.89.1.1
Driver=bridge
Options=isolate=true
""",
    "app.kube": """\
[Kube]
Yaml=/etc/containers/app.yaml
Network=host
PublishPort=8000:8000
ConfigMap=/etc/containers/cm.yaml
AutoUpdate=registry
LogDriver=journald
UserNS=auto
SetWorkingDirectory=yaml
ExitCodePropagation=all
KubeDownForce=true
PodmanArgs=--annotation x=y
""",
    "img.image": """\
[Image]
Image=quay.io/example/tool:2
AllTags=false
Arch=amd64
OS=linux
TLSVerify=true
AuthFile=/etc/auth.json
ImageTag=quay.io/example/tool:local
""",
    "grp.pod": """\
[Pod]
PodName=grp
PublishPort=9090:9090
Network=net.network
Volume=vol.volume:/data
AddHost=h.local:10.1.1.1
DNS=1.1.1.1
ShmSize=32m
PodmanArgs=--infra-name grp-infra

[Install]
WantedBy=multi-user.target
""",
    "member.container": """\
[Container]
Image=img.image
Pod=grp.pod
Volume=vol.volume:/data
Network=net.network
""",
    "tool.build": """\
[Build]
ImageTag=localhost/tool:built
File=Containerfile
SetWorkingDirectory=/srv/build
Label=stage=1
Environment=X=1
Pull=always
Target=final
Arch=arm64
Network=host
""",
    "fromdeps.container": """\
[Container]
Image=tool.build
Network=net.network
""",
    "template@.container": """\
[Container]
Image=localhost/t:%i
ContainerName=t-%i
Environment=INSTANCE=%i
""",
}


def _hostform_generate():
    try:
        from hostform.quadlet.generator import generate
    except ImportError as e:  # pragma: no cover - depends on the other half of issue 3
        pytest.skip(f"hostform's quadlet generator does not import yet: {e}")
    return generate


def normalize(text: str) -> dict[str, list[tuple[str, object]]]:
    """A unit as {section: [(key, value), ...]}, blind to the orders that do not matter.

    Exec* values become sorted argument lists (the real generator randomizes
    argument order: Go map iteration); lines are sorted by key, keeping the
    relative order of Exec* values only (podman 5.4 and 6.1 place e.g.
    SourcePath differently, and a pod's Wants= follow map order; systemd does
    not care); repeated sections merge.
    """
    sections: dict[str, list[tuple[str, object]]] = {}
    current = sections.setdefault("", [])
    for line in text.split("\n"):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        v: object = value
        if key.startswith("Exec"):
            words = split_exec(value)
            v = sorted(words) if words is not None else value
        current.append((key, v))
    return {name: sorted(lines, key=_line_order) for name, lines in sections.items() if lines or name}


def _line_order(kv: tuple[str, object]) -> tuple[str, str]:
    # Exec* lines keep their relative order (several ExecStartPre= run in turn);
    # other repeated keys (Wants=, Before=, ...) are order-free lists.
    return (kv[0], "" if kv[0].startswith("Exec") else str(kv[1]))


def _units_of(units: dict[str, str]) -> dict[str, object]:
    return {name: normalize(text) for name, text in units.items()}


def _write(d: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (d / name).write_text(text)


def _hostform_run(d: Path, version: str | None = None) -> tuple[int, dict[str, str]]:
    generate = _hostform_generate()
    env = {"QUADLET_UNIT_DIRS": str(d), "PODMAN": "/usr/bin/podman"}
    if version is None:
        r = generate(None, False, env=env)
    else:
        try:
            r = generate(None, False, env=env, podman_version=version)  # type: ignore[call-arg]
        except TypeError:
            pytest.skip("hostform's generate() has no podman_version= yet (for `--podman-version 5.4`)")
    return r.exit_code, dict(r.units)


def compare_on(files: dict[str, str], real54: Path, real61: Path | None) -> list[str]:
    """Differences between hostform and the real generators on one set of files (empty: all agree).

    With podman 6.1 at hand hostform must equal it on every unit, and equal 5.4
    on every unit that 5.4 and 6.1 generate alike. Without 6.1, only units
    whose type has no known 5.4/6.1 difference are compared with 5.4.
    """
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hostform-cmp-") as tmp:
        d = Path(tmp)
        _write(d, files)
        code54, units54, err54 = run_real(d, binary=real54)
        ours_code, ours = _hostform_run(d)
        n54, nours = _units_of(units54), _units_of(ours)
        if real61 is not None:
            code61, units61, _ = run_real(d, binary=real61)
            n61 = _units_of(units61)
            if ours_code != code61:
                problems.append(f"exit code: hostform {ours_code}, podman 6.1 {code61}")
            for name in sorted(set(n61) | set(nours)):
                if n61.get(name) != nours.get(name):
                    problems.append(f"{name}: hostform differs from podman 6.1\n{ours.get(name)}\n--- 6.1:\n{units61.get(name)}")
            shared = {n for n in set(n54) & set(n61) if n54[n] == n61[n]}
        else:
            shared = {n for n in n54 if n.endswith(("-volume.service", "-network.service", "-image.service"))}
        for name in sorted(shared):
            if n54[name] != nours.get(name):
                problems.append(f"{name}: hostform differs from podman 5.4 on shared behaviour\n{ours.get(name)}\n--- 5.4:\n{units54[name]}")
    return problems


# Our own units that podman 5.4 and 6.1 generate differently (beyond argument and
# line order): 5.4 tracks containers by --cidfile and pods by --pod-id-file,
# 6.1 by name (`rm -v -f -i NAME`, `pod start NAME`, `--pod NAME`); .build
# units differ only in argument order after normalization and are not here.
OWN_UNITS_54_61_DIFFER = frozenset(
    {"basic.service", "full.service", "member.service", "fromdeps.service", "template@.service", "grp-pod.service"}
)


def test_own_units_vs_real(real_quadlet: Path) -> None:
    _hostform_generate()
    real61 = find_real_quadlet("6.1")
    files = dict(OWN_UNITS)
    if TINKERBELL.is_dir():
        for p in sorted(TINKERBELL.glob("*.container")) + [TINKERBELL / "web.pod"]:
            files[p.name] = p.read_text()
    problems = compare_on(files, real_quadlet, real61)
    assert not problems, "\n\n".join(problems)


def test_own_units_real_54_vs_61_differences(real_quadlet: Path, real_quadlet_61: Path) -> None:
    """Which of our own units podman 5.4 and 6.1 turn into different services (up to argument order).

    This pins what `--podman-version 5.4` has to change relative to 6.1 on
    ordinary input: only these units, for the reasons noted.
    """
    with tempfile.TemporaryDirectory(prefix="hostform-cmp-") as tmp:
        d = Path(tmp)
        _write(d, OWN_UNITS)
        _, u54, _ = run_real(d, binary=real_quadlet)
        _, u61, _ = run_real(d, binary=real_quadlet_61)
    assert set(u54) == set(u61)
    differ = {n for n in u54 if normalize(u54[n]) != normalize(u61[n])}
    assert differ == OWN_UNITS_54_61_DIFFER


def test_own_units_podman_version_54(real_quadlet: Path) -> None:
    """`--podman-version 5.4` (generate(..., podman_version="5.4")) must reproduce podman 5.4 exactly."""
    _hostform_generate()
    with tempfile.TemporaryDirectory(prefix="hostform-cmp-") as tmp:
        d = Path(tmp)
        _write(d, OWN_UNITS)
        _, u54, _ = run_real(d, binary=real_quadlet)
        _, ours = _hostform_run(d, "5.4")
    assert _units_of(ours) == _units_of(u54)


# Generated inputs: keys that podman 5.4 and 6.1 both accept, with ordinary values.
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hostform.quadlet import versions as _versions  # noqa: E402

_VALUES: dict[str, dict[str, list[str]]] = {
    "Container": {
        "PublishPort": ["8080:80", "127.0.0.1:53:53/udp", "9000"],
        "Environment": ["A=1", '"B=x y"', "C=%i D=2"],
        "Label": ["a=b", '"k=v w"'],
        "Volume": ["/srv/a:/a", "named:/data:ro", "/b:/b:Z"],
        "Exec": ["run --x", "/bin/sh -c 'echo hi'"],
        "ContainerName": ["c1", "web-%i"],
        "Network": ["host", "none", "bridge"],
        "User": ["1000", "app"],
        "Group": ["1000"],
        "ReadOnly": ["true", "false"],
        "NoNewPrivileges": ["true", "false"],
        "RunInit": ["true", "false"],
        "Timezone": ["UTC", "local"],
        "AddCapability": ["NET_ADMIN", "CHOWN SETUID"],
        "DropCapability": ["ALL", "MKNOD"],
        "Annotation": ["x=y"],
        "HostName": ["h1"],
        "PodmanArgs": ["--memory 1g", "--cpus=2"],
        "Tmpfs": ["/tmp", "/run:size=1m"],
        "PidsLimit": ["10"],
        "WorkingDir": ["/w"],
        "Pull": ["never", "always", "missing"],
        "LogDriver": ["journald", "none"],
        "AutoUpdate": ["registry", "local"],
        "HealthCmd": ["/bin/true", "curl -f http://localhost/"],
        "Notify": ["true", "false"],
        "ExposeHostPort": ["80", "8000-8010"],
        "SecurityLabelDisable": ["true"],
        "ShmSize": ["64m"],
        "StopTimeout": ["5"],
    },
    "Volume": {
        "Label": ["a=b"],
        "User": ["1000"],
        "Group": ["1000"],
        "Copy": ["true", "false"],
        "Driver": ["local"],
        "VolumeName": ["data", "v-%i"],
    },
    "Network": {
        "Subnet": ["10.90.0.0/24", "fd00::/64"],
        "Label": ["a=b"],
        "Internal": ["true", "false"],
        "IPv6": ["true", "false"],
        "DNS": ["9.9.9.9"],
        "Driver": ["bridge", "macvlan"],
        "NetworkName": ["n1"],
        "DisableDNS": ["true", "false"],
    },
    "Pod": {
        "PodName": ["p1"],
        "PublishPort": ["80:80", "443:443/udp"],
        "Volume": ["named:/data"],
        "Network": ["host", "bridge"],
        "PodmanArgs": ["--cpus=1"],
    },
}


@st.composite
def _quadlet_file(draw: st.DrawFn) -> tuple[str, str]:
    section = draw(st.sampled_from(sorted(_VALUES)))
    table = _VALUES[section]
    keys = draw(st.lists(st.sampled_from(sorted(table)), max_size=6, unique=True))
    lines = [f"[{section}]"]
    if section == "Container":
        lines.append("Image=localhost/app:1")
    for key in keys:
        for value in draw(st.lists(st.sampled_from(table[key]), min_size=1, max_size=2)):
            lines.append(f"{key}={value}")
    if draw(st.booleans()):
        lines += ["[Service]", "Restart=always", "[Install]", "WantedBy=default.target"]
    name = draw(st.sampled_from(["gen", "gen@"]))
    return f"{name}.{section.lower()}", "\n".join(lines) + "\n"


def test_generated_values_use_shared_keys() -> None:
    for section, table in _VALUES.items():
        for key in table:
            assert _versions.supported("5.4", section, key), (section, key)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_quadlet_file())
def test_generated_units_vs_real(real_quadlet: Path, real_quadlet_61: Path, unit: tuple[str, str]) -> None:
    _hostform_generate()
    name, text = unit
    problems = compare_on({name: text}, real_quadlet, real_quadlet_61)
    assert not problems, f"{name}:\n{text}\n" + "\n\n".join(problems)
