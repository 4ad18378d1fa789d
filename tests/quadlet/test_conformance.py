"""Podman's own quadlet test cases, run against ``hostform quadlet`` in-process.

The runner re-implements podman's ``test/e2e/quadlet_test.go`` (see
``shared/conformance/quadlet/ASSERTIONS.md``): the case file and its ``.d``
snippets go into ``<tmp>/podman-e2e-*/subtest-*/quadlet``, the generator runs
with ``QUADLET_UNIT_DIRS`` pointing there and ``--no-kmsg-log <generated>``,
then the ``##`` assertions are checked against the written unit.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from hostform.cli import quadlet as cli
from hostform.quadlet.unitfile import EXEC_FLAGS, SplitError, read_unit_file, split_words

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONF = SHARED / "conformance" / "quadlet"
CASES = CONF / "cases"
PODMAN = "/usr/bin/podman"

MANIFEST = json.loads((CONF / "manifest.json").read_text()) if (CONF / "manifest.json").exists() else []


# -- go-shellwords (ParseEnv=false, ParseBacktick=false) --------------------------


class ShellwordsError(Exception):
    pass


def shellwords(line: str) -> list[str]:
    args: list[str] = []
    buf = ""
    escaped = dq = sq = bq = dollar = False
    got = 0  # 0 no arg, 1 single, 2 quoted
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
                buf = ""
                got = 0
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
                if r == ">" and buf and "0" <= buf[0] <= "9":
                    got = 0
                break
        got = 1
        buf += r
    if got:
        args.append(buf)
    if escaped or sq or dq or bq or dollar:
        raise ShellwordsError("invalid command line string")
    return args


def load_checks(text: str) -> list[list[str]]:
    return [shellwords(line[2:]) for line in text.split("\n") if line.startswith("##")]


def calc_service_name(name: str) -> str:
    ext = os.path.splitext(name)[1]
    base = name[: len(name) - len(ext)]
    suffix = {".volume": "-volume", ".network": "-network", ".image": "-image", ".build": "-build", ".artifact": "-artifact", ".pod": "-pod"}
    return base + suffix.get(ext, "")


# -- assertions -------------------------------------------------------------------


def go_re(pattern: str, s: str) -> bool:
    try:
        return re.search(pattern, s) is not None
    except re.error:
        return False


def find_sublist(full: list[str], sub: list[str], regex: bool = False) -> int:
    if not sub or len(sub) > len(full):
        return -1
    for i in range(len(full) - len(sub) + 1):
        if match_at(full, i, sub, regex):
            return i
    return -1


def match_at(full: list[str], pos: int, sub: list[str], regex: bool = False) -> bool:
    if pos < 0 or pos + len(sub) > len(full):
        return False
    for a, b in zip(full[pos : pos + len(sub)], sub):
        if regex:
            if not go_re(b, a):
                return False
        elif a != b:
            return False
    return True


def parse_kv(text: str, sep: str) -> dict[str, str] | None:
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error:
        return None
    if len(rows) != 1:
        return None
    out = {}
    for item in rows[0]:
        k, _, v = item.partition("=")
        out[k] = v
    return out


def key_val(argv: list[str], flag: str, sep: str, expected: str, regex: bool) -> bool:
    want = parse_kv(expected, sep)
    if want is None:
        return False
    for i, a in enumerate(argv[:-1]):
        if a != flag:
            continue
        got = parse_kv(argv[i + 1], sep)
        if got is None:
            continue
        if regex:
            if len(got) == len(want) and all(k in got and go_re(v, got[k]) for k, v in want.items()):
                return True
        elif got == want:
            return True
    return False


FAMILIES = {
    "assert-podman-pre-": "ExecStartPre",
    "assert-podman-stop-post-": "ExecStopPost",
    "assert-podman-stop-": "ExecStop",
    "assert-podman-reload-": "ExecReload",
    "assert-podman-": "ExecStart",
}


def last_args(unit, key: str) -> list[str]:
    v = unit.lookup_last("Service", key)
    if v is None:
        return []
    try:
        return split_words(v, " \t\n\r", EXEC_FLAGS)
    except SplitError:
        return []


def podman_assert(variant: str, argv: list[str], args: list[str]) -> bool:
    regex = variant.endswith("-regex")
    base = variant[: -len("-regex")] if regex else variant
    if base == "args":
        return find_sublist(argv, args, regex) != -1
    if base == "final-args":
        return match_at(argv, len(argv) - len(args), args, regex)
    if base == "args-key-val":
        assert len(args) == 3
        return key_val(argv, args[0], args[1], args[2], regex)
    if base.startswith("global-args"):
        sub = args[0]
        if sub not in argv:
            return False
        prefix = argv[: argv.index(sub)]
        if base == "global-args":
            return find_sublist(prefix, args[1:], regex) != -1
        if base == "global-args-key-val":
            return key_val(prefix, args[1], args[2], args[3], regex)
    raise AssertionError(f"Unsupported assertion variant {variant}")


def do_assert(op: str, args: list[str], unit, stderr: str, gen_dir: Path) -> bool:
    if op == "assert-failed":
        return True
    if op == "assert-stderr-contains":
        return args[0] in stderr
    if op == "assert-symlink":
        assert len(args) == 2
        return os.readlink(gen_dir / args[0]) == args[1]
    if op.startswith("assert-podman-"):
        for prefix, key in FAMILIES.items():
            if op.startswith(prefix):
                variant = op[len(prefix) :]
                if variant in ("args", "args-regex", "final-args", "final-args-regex", "global-args", "global-args-regex",
                               "args-key-val", "args-key-val-regex", "global-args-key-val", "global-args-key-val-regex"):
                    return podman_assert(variant, last_args(unit, key), args)
        raise AssertionError(f"Unsupported assertion {op}")
    group, key = args[0], args[1]
    if op == "assert-key-is":
        assert len(args) >= 3
        return unit.lookup_all(group, key) == args[2:]
    if op == "assert-key-is-regex":
        vals = unit.lookup_all(group, key)
        return len(vals) == len(args) - 2 and all(go_re(r, v) for r, v in zip(args[2:], vals))
    if op == "assert-has-key":
        assert len(args) == 3
        return args[2] in unit.lookup_all(group, key)
    if op == "assert-key-is-empty":
        assert len(args) == 2
        return not unit.lookup_all(group, key)
    if op in ("assert-key-contains", "assert-key-not-contains"):
        found = any(args[2] in v for v in unit.lookup_all(group, key))
        return found if op == "assert-key-contains" else not found
    if op in ("assert-last-key-contains", "assert-last-key-not-contains"):
        v = unit.lookup_last(group, key)
        found = v is not None and args[2] in v
        return found if op == "assert-last-key-contains" else not found
    if op == "assert-last-key-is-regex":
        v = unit.lookup_last(group, key)
        return v is not None and go_re(args[2], v)
    raise AssertionError(f"Unsupported assertion {op}")


# -- runner -----------------------------------------------------------------------


def generic_template(name: str) -> str | None:
    ext = os.path.splitext(name)[1]
    base = name[: len(name) - len(ext)]
    parts = base.split("@", 1)
    if len(parts) == 2 and parts[1]:
        return parts[0] + "@" + ext
    return None


def run_case(tmp_path: Path, entry: dict) -> None:
    root = tmp_path / "podman-e2e-1" / "subtest-1"
    qdir = root / "quadlet"
    gen = root / "generated"
    qdir.mkdir(parents=True)
    gen.mkdir()
    name = entry["file"]
    for dep in entry.get("dependencies") or []:
        data = (CASES / dep).read_bytes()
        load_checks(data.decode())  # dependency checks must tokenize
        (qdir / dep).write_bytes(data)
    data = (CASES / name).read_bytes()
    checks = load_checks(data.decode())
    (qdir / name).write_bytes(data)
    snippets = [name + ".d"]
    generic = generic_template(name)
    if generic:
        snippets.append(generic + ".d")
    for snip in snippets:
        if (CASES / snip).is_dir():
            shutil.copytree(CASES / snip, qdir / snip)
    out, err = io.StringIO(), io.StringIO()
    env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": PODMAN}
    code = cli.main(["--no-kmsg-log", str(gen)], env=env, stdout=out, stderr=err, prog="/usr/libexec/podman/quadlet")
    stderr = err.getvalue()
    assert code == entry["exit_code"], stderr
    assert entry["stderr_contains"] in stderr, stderr
    service = (entry.get("service_name") or calc_service_name(name)) + ".service"
    expect_fail = any(c[0] == "assert-failed" for c in checks)
    path = gen / service
    if expect_fail:
        assert not path.exists()
        unit = None
    else:
        assert path.exists(), f"{service} not generated; stderr:\n{stderr}"
        unit = read_unit_file(str(path))
    for check in checks:
        op = check[0]
        args = [a.replace("\\n", "\n").replace("\\t", "\t") for a in check[1:]]
        invert = op.startswith("!")
        if invert:
            op = op[1:]
        ok = do_assert(op, args, unit, stderr, gen)
        if invert:
            ok = not ok
        assert ok, f"Failed assertion for {service}: {' '.join(check)}\n\n{unit.to_string() if unit else '(nil)'}\nstderr: {stderr}"


@pytest.mark.skipif(not MANIFEST, reason="shared conformance data not available")
@pytest.mark.parametrize("entry", MANIFEST, ids=[f"{e['kind']}:{e['file']}:{e.get('service_name') or ''}" for e in MANIFEST])
def test_conformance(tmp_path: Path, entry: dict) -> None:
    run_case(tmp_path, entry)


def test_shellwords() -> None:
    assert shellwords(' assert-podman-args "--a" \'b c\' d\\ e') == ["assert-podman-args", "--a", "b c", "d e"]
    assert shellwords("a b; c") == ["a", "b"]
    assert shellwords('x "" y') == ["x", "", "y"]
    with pytest.raises(ShellwordsError):
        shellwords("a (b")
