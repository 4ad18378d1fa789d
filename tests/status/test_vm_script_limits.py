"""The endpoints' script (main.ign's, run by bash against stand-ins: see conftest.py) where the reviewer found it
failing: a large journal, a leading zero, a registry that does not answer, a message journald keeps as bytes, a
command that fails. The answer is then a good one or a 5xx with a JSON error: never an empty 200, never another
endpoint's answer."""

from __future__ import annotations

import json
import os
import time

import pytest

from hostform.status import vm

from .conftest import STUB, Vm

DIGEST = "sha256:" + "a" * 64


def _row(t: int, cursor: int, text: str) -> str:
    return json.dumps({"__REALTIME_TIMESTAMP": str(t * 1_000_000), "MESSAGE": text, "__CURSOR": f"s=0123456789abcdef;i={cursor:x};b=0123",
                       "PRIORITY": "6", "SYSLOG_IDENTIFIER": "podman", "_SYSTEMD_UNIT": "podman-auto-update.service",
                       "_HOSTNAME": "h", "_BOOT_ID": "0123456789abcdef0123456789abcdef"}) + "\n"


def test_status_reads_a_long_journal_of_podman_auto_update(machine: Vm) -> None:
    """2000 entries (what the script asks for), about 400 KiB: runs of the timer over weeks, podman's table indented."""
    out, t, i = [], 1_790_000_000, 0
    while len(out) < 2000:
        for text in ["Starting podman-auto-update.service - Podman auto-update service...",
                     "            UNIT         CONTAINER            IMAGE                            POLICY      UPDATED",
                     "            web.service  0123456789ab (web)  registry.test/web:1              registry    "
                     + ("true" if i == 1000 else "false"),
                     "            db.service   0123456789ab (db)   registry.test/db:17              registry    false",
                     "podman-auto-update.service: Deactivated successfully."]:
            out.append(_row(t, i, text))
            i += 1
        t += 3600
    journal = "".join(out)
    assert len(journal) > 128 * 1024  # more than one argument of a command may hold
    machine.out("journalctl", journal)
    status, fields, body = machine.get("status")
    assert status == 200 and int(fields["content-length"]) > 0, body[:300]
    got = {s["name"]: s for s in json.loads(body)["services"]}
    assert got["web"]["last_change"] == {"time": 1_790_000_000 + 200 * 3600, "updated": "true"}
    assert got["db"]["last_change"] is None


def test_a_large_container_inspect_is_read(machine: Vm) -> None:
    web = [{"State": {"Status": "running"}, "ImageDigest": DIGEST, "Config": {"Env": [f"V{i}=" + "x" * 100 for i in range(3000)]}}]
    machine.out("podman.container", json.dumps(web))
    status, _, body = machine.get("status")
    assert status == 200
    assert {s["name"]: s["running_digest"] for s in json.loads(body)["services"]}["web"] == DIGEST


def test_a_command_that_fails_is_a_500_with_a_json_error(machine: Vm) -> None:
    machine.config.write_text('{"host": "h", "services": [')  # what the script reads about its host, broken
    for mode in ("status", "logs"):
        status, fields, body = machine.get(mode, "unit=web" if mode == "logs" else "")
        assert status >= 400 and fields["content-type"] == "application/json" and json.loads(body)["error"], (status, body)
    assert not any(c[0] in ("podman", "skopeo") for c in machine.calls())


def test_a_failing_last_step_is_a_500_not_an_empty_200(machine: Vm) -> None:
    """A fault where the answer is put together (as the reviewer's "Argument list too long" was): a 500 and why."""
    text = machine.script.read_text()
    assert "'{host: $cfg[0].host, time: $now," in text
    machine.script.write_text(text.replace("'{host: $cfg[0].host, time: $now,", "'{host: error(\"x\"), time: $now,"))
    status, _, body = machine.get("status")
    assert status == 500 and json.loads(body) == {"error": "could not write the status"}


@pytest.mark.parametrize("wait", ["08", "09", "010", "00", "1e1", "+1", "-1"])
def test_a_wait_with_a_leading_zero_or_sign_is_400(machine: Vm, wait: str) -> None:
    assert machine.get("logs", f"unit=web&wait={wait}")[0] == 400
    assert machine.calls() == []


def test_an_endpoint_that_stops_answers_500_and_never_runs_another(machine: Vm) -> None:
    """A fault in the logs endpoint (an arithmetic error, which bash does not survive) ends in a 500: the script
    does not fall through into the status endpoint."""
    text = machine.script.read_text()
    assert "\twait=$((10#${q[wait]:-0}))\n" in text
    machine.script.write_text(text.replace("\twait=$((10#${q[wait]:-0}))\n", "\twait=$((08))\n"))
    status, _, body = machine.get("logs", "unit=web&wait=1")
    assert status == 500 and json.loads(body) == {"error": "the logs endpoint stopped without an answer"}
    assert not any(c[0] in ("podman", "skopeo", "systemctl", "openssl") for c in machine.calls())


def test_a_registry_that_does_not_answer_leaves_the_rest_of_the_status(machine: Vm) -> None:
    """skopeo and podman's dry run hang (a registry that accepts and never answers): the registry is asked for every
    image at once, each bounded in time, so status answers well within the command's 90 s, with a reason."""
    hang = STUB.replace("for f in", 'case "$0:${1:-}" in *skopeo:* | *podman:auto-update) exec sleep 300 ;; esac\nfor f in', 1)
    for name in ("skopeo", "podman"):
        (machine.tmp / "bin" / name).write_text(hang)
        os.chmod(machine.tmp / "bin" / name, 0o755)
    machine.out("podman.container", json.dumps([{"State": {"Status": "running"}, "ImageDigest": DIGEST}]))
    t0 = time.monotonic()
    status, _, body = machine.get("status", timeout=60)
    took = time.monotonic() - t0
    assert status == 200
    from hostform.status.client import TIMEOUT

    assert took < 25 < TIMEOUT / 2, took
    for s in json.loads(body)["services"]:
        assert (s["state"], s["running_digest"], s["registry_digest"], s["auto_update"]) == ("running", DIGEST, None, None)
        assert s["registry_error"] == "no answer from the registry within 15 s"
    assert sum(c[0] == "skopeo" for c in machine.calls()) == 2


def test_a_registry_that_refuses_is_said_per_service(machine: Vm) -> None:
    machine.out("skopeo", "", rc=1)
    status, _, body = machine.get("status")
    assert status == 200
    assert {s["registry_error"] for s in json.loads(body)["services"]} == {"skopeo inspect failed (exit 1): the registry refused or cannot be reached"}


def _bytes_entry(raw: bytes, cursor: str = "c1") -> str:
    return json.dumps({"__REALTIME_TIMESTAMP": "1700000000000000", "MESSAGE": list(raw), "__CURSOR": cursor, "SYSLOG_IDENTIFIER": "web"}) + "\n"


def test_a_message_journald_keeps_as_bytes_is_decoded_as_utf8(machine: Vm) -> None:
    colored = "\x1b[32mcolored héllo ✓ 𝄞\x1b[0m".encode()
    machine.out("journalctl", _bytes_entry(colored) + _bytes_entry(b"bad \xff\xfe end \xc3", "c2") + _bytes_entry(b"", "c3")
                + _bytes_entry(b"ab", "c4") + _bytes_entry(b"abcd", "c5"))
    status, _, body = machine.get("logs", "unit=web")
    assert status == 200
    got = [e["message"] for e in json.loads(body)["entries"]]
    assert got == [colored.decode(), "bad \ufffd\ufffd end \ufffd", "", "ab", "abcd"]
    status, _, body = machine.get("logs", "unit=web&format=text")
    assert status == 200 and body.decode().splitlines()[0] == "2023-11-14T22:13:20Z web: " + colored.decode()


def test_the_tools_timeouts_fit_the_units_and_the_client() -> None:
    from hostform.status.client import TIMEOUT

    assert "REGISTRY_TIMEOUT=15\n" in vm.SCRIPT and "DRY_RUN_TIMEOUT=20\n" in vm.SCRIPT
    assert 20 + 2 + 10 < TIMEOUT < vm.ENDPOINTS["status"][1]  # the dry run (and its kill), the rest; the client; the unit
