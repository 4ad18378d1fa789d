"""The host file's `status:` key, as `hostform check` and the commands meet it: where it is wrong, said at its line;
what the commands do without a host to ask (one line, exit 1 or 2, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform.cli.main import main as cli
from hostform.host.load import load_text

BASE = """\
name: h
services:
  web: {image: registry.test/web:1, port: 8080}
"""


def _codes(text: str, sealed: tuple[str, ...] = ("tok",)) -> list[tuple[str, int]]:
    ld = load_text(text, sealed=sealed)
    return [(d.code, d.line) for d in ld.report.errors]


def test_status_on_the_first_site_by_default() -> None:
    ld = load_text(BASE + "sites: {b.test: web, a.test: web}\nstatus: {token: {secret: tok}}\n", sealed=("tok",))
    assert ld.host is not None and ld.host.status is not None
    assert (ld.host.status.site, ld.host.status.token_secret) == ("a.test", "tok")


@pytest.mark.parametrize("text,code,line", [
    (BASE + "status: {token: {secret: tok}}\n", "HF010", 4),  # no site to serve it
    (BASE + "sites: {a.test: web}\nstatus: {token: {secret: tok}, site: b.test}\n", "HF011", 5),  # not one of the sites
    (BASE + "sites: {a.test: web}\nstatus: {token: {secret: other}}\n", "HF013", 5),  # no value
    (BASE + "sites: {a.test: web}\nstatus: {site: a.test}\n", "HF010", 5),  # no token
    (BASE + "sites: {a.test: web}\nstatus: {token: tok}\n", "HF002", 5),  # not {secret: NAME}
])
def test_a_wrong_status_is_said_at_its_line(text: str, code: str, line: int) -> None:
    got = _codes(text)
    assert got and got[0][0] == code and got[0][1] == line, got


def test_without_a_host_to_ask_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "hostform.yaml").write_text(BASE + "sites: {a.test: web}\n")
    for argv in (["status", str(tmp_path)], ["logs", str(tmp_path), "web"], ["update", str(tmp_path)],
                 ["status", str(tmp_path / "nothing")],
                 ["status", str(tmp_path), "--url", "https://127.0.0.1:1", "--token-file", "/dev/null"],
                 ["status", str(tmp_path), "--token-file", str(tmp_path / "missing")]):
        assert cli(argv) == 1, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)


def test_a_bad_since_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["logs", str(tmp_path), "web", "--since", "yesterday"]) == 2
    assert "--since" in capsys.readouterr().err
    assert cli(["logs", str(tmp_path), "web", "-n", "0"]) == 2


@pytest.mark.parametrize("option", [
    ["--url", "http://a.test"], ["--url", "https://a:b:c"], ["--url", "https://[::1"], ["--url", "https://[zz]"],
    ["--url", "https://a.test:99999"], ["--url", "https://:443"], ["--url", "https://a.test:0"],
    ["--cacert", "/nonexistent/ca.pem"], ["--cacert", "/etc/passwd"], ["--cacert", "/"],
])
@pytest.mark.parametrize("command", ["status", "update", "logs"])
def test_a_bad_option_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, option: list[str]) -> None:
    (tmp_path / "tok").write_text("t\n")
    argv = [command, str(tmp_path), *option, "--token-file", str(tmp_path / "tok")]
    assert cli(argv if option[0] == "--url" else [*argv, "--url", "https://a.test"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and option[0] in err, err


@pytest.mark.parametrize("since", ["0001-01-01", "999999999d", "1000-01-01T00:00+14:00", "36501d"])
def test_a_since_too_far_back_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], since: str) -> None:
    assert cli(["logs", str(tmp_path), "web", "--since", since, "--url", "https://a.test", "--token-file", "/dev/null"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--since" in err and "years back" in err, err


def test_since_in_words_and_times() -> None:
    from hostform.status.client import parse_since

    assert [parse_since(x, 1_000_000) for x in ("90", "30s", "10m", "2h", "1d")] == [90, 30, 600, 7200, 86400]
    assert parse_since("1970-01-12T13:46:40", 1_000_000 + 60) == 60
    assert parse_since("1970-01-12T14:46:40+01:00", 1_000_000) == 0


def test_try_says_how_the_commands_reach_its_machine(tmp_path: Path) -> None:
    from hostform.cli.try_ import status_line

    (tmp_path / "hostform.yaml").write_text(BASE + "sites: {a.test: web}\nstatus: {token: {secret: tok}}\n")
    line = status_line(tmp_path, 4443, tmp_path / "root.crt")
    assert line is not None
    assert f"hostform status {tmp_path} --url https://a.test:4443 --connect 127.0.0.1 --cacert {tmp_path / 'root.crt'}" in line
    (tmp_path / "hostform.yaml").write_text(BASE + "sites: {a.test: web}\n")
    assert status_line(tmp_path, 4443, None) is None
    assert status_line(tmp_path / "main.ign", 4443, None) is None


def test_a_journal_line_is_one_printed_line() -> None:
    """A container's line reaches the journal with its newline (seen on a booted machine): printed once."""
    from hostform.cli.logs import _line

    assert _line({"time": 0, "identifier": "site", "message": "site v1 starting\n"}, "text") == "1970-01-01T00:00:00Z site: site v1 starting\n"
    # a newline inside is a control character like the others: shown, so that it cannot start a line of its own
    assert _line({"time": 0, "identifier": None, "message": "a\nb"}, "text") == "1970-01-01T00:00:00Z -: a\\x0ab\n"
