"""The ``##`` assertion language of podman's quadlet test files, and a case runner.

One evaluator for both conformance suites: ``test_conformance.py`` (hostform
in-process) and ``test_realgen.py`` (podman's real generators). The language
is documented in shared/conformance/quadlet/ASSERTIONS.md; the runner
re-implements podman's ``runQuadletTestCaseWithServiceName``
(``test/e2e/quadlet_test.go``): the case file, its dependencies and ``.d``
snippets go into ``<tmp>/podman-e2e-*/subtest-*/quadlet``, the generator runs
on that directory, then every ``##`` line is checked against the written unit.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CaseResult",
    "HarnessError",
    "ShellwordsError",
    "Unit",
    "evaluate",
    "load_checks",
    "run_case",
    "service_name",
    "shellwords",
    "split_exec",
]

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
        if all(_search(r, a) for r, a in zip(sub, full[i : i + len(sub)], strict=True)):
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
        return len(a) <= len(argv) and all(_search(r, x) for r, x in zip(a, argv[len(argv) - len(a) :], strict=True))
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
        return all(_search(r, v) for r, v in zip(a[2:], real, strict=True))
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
