"""The endpoints' script (main.ign's) answers good requests, and nothing but a 4xx to any other.

Run by bash for real (see conftest.py): the request on stdin, stand-ins of the commands recording their
argv. A bad method, path or query never runs a command; a hostile value never reaches one but as the one
argument the endpoint means (fuzzed with hypothesis: shell syntax, quotes, encodings, a canary file a
command substitution would create)."""

from __future__ import annotations

import json
import re
import string
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostform.status import vm

from .conftest import Vm, analyze_verify

DIGEST_RUNNING = "sha256:" + "a" * 64
DIGEST_REMOTE = "sha256:" + "b" * 64


def _journal(*entries: tuple[int, str, str]) -> str:
    return "".join(json.dumps({"__REALTIME_TIMESTAMP": str(t * 1_000_000), "MESSAGE": msg, "__CURSOR": cur, "PRIORITY": "6",
                               "SYSLOG_IDENTIFIER": "web"}) + "\n" for t, msg, cur in entries)


def test_the_units_are_sockets_with_one_service_per_connection(machine: Vm) -> None:
    for name, (method, _) in vm.ENDPOINTS.items():
        sock = machine.units[f"hostform-api-{name}.socket"]
        assert f"{method} /.hostform/{name}" in sock and f"ListenStream=/run/hostform/api/{name}.sock\n" in sock and "Accept=yes\n" in sock and "SocketMode=0600\n" in sock
        svc = machine.units[f"hostform-api-{name}@.service"]
        assert f"ExecStart=/usr/bin/bash {vm.SCRIPT_PATH} {name}\n" in svc and "StandardInput=socket\n" in svc


def test_systemd_analyze_verifies_the_sockets_and_their_services(machine: Vm, tmp_path: Path) -> None:
    analyze_verify(machine.units, [f"hostform-api-{n}.socket" for n in vm.ENDPOINTS], tmp_path)


def test_update_starts_podman_auto_update_and_nothing_else(machine: Vm) -> None:
    status, fields, body = machine.get("update", method="POST")
    assert status == 202 and json.loads(body) == {"started": "podman-auto-update.service"}
    assert fields["content-type"] == "application/json"
    assert machine.calls() == [["systemctl", "start", "--no-block", "podman-auto-update.service"]]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD", "get", "POST\t"])
def test_update_takes_post_only(machine: Vm, method: str) -> None:
    status, _, _ = machine.request("update", f"{method} /.hostform/update HTTP/1.1\r\n\r\n".encode())
    assert status in (400, 405)
    assert machine.calls() == []


@pytest.mark.parametrize("mode", ["status", "logs"])
def test_the_read_side_takes_get_only(machine: Vm, mode: str) -> None:
    assert machine.get(mode, "unit=web" if mode == "logs" else "", method="POST")[0] == 405
    assert machine.calls() == []


@pytest.mark.parametrize("target", ["/.hostform/logs", "/.hostform/update/", "/.hostform/status/x", "/", "*", "/.hostform/%73tatus"])
def test_another_path_is_404(machine: Vm, target: str) -> None:
    assert machine.request("status", f"GET {target} HTTP/1.1\r\n\r\n".encode())[0] in (400, 404)
    assert machine.calls() == []


def test_logs_serves_the_units_journal_bounded(machine: Vm) -> None:
    machine.out("journalctl", _journal((1_700_000_000, "listening on :8080", "c1"), (1_700_000_001, "GET / 200", "c2")))
    status, _, body = machine.get("logs", "unit=web&lines=50&since=3600")
    assert status == 200
    got = json.loads(body)
    assert got["unit"] == "web" and got["cursor"] == "c2"
    assert [e["message"] for e in got["entries"]] == ["listening on :8080", "GET / 200"]
    assert got["entries"][0]["time"] == 1_700_000_000
    assert machine.calls() == [["journalctl", "--no-pager", "-q", "-u", "web.service", "-n", "50", "-o", "json", "--since=-3600s"]]


def test_logs_caps_the_line_count_and_serves_text(machine: Vm) -> None:
    machine.out("journalctl", _journal((0, "hello", "c1")))
    status, fields, body = machine.get("logs", "unit=caddy&lines=9999&format=text")
    assert status == 200 and fields["content-type"].startswith("text/plain")
    assert body == b"1970-01-01T00:00:00Z web: hello\n"
    assert machine.calls()[0][5:7] == ["-n", "5000"]


def test_logs_follow_is_a_bounded_long_poll_after_a_cursor(machine: Vm) -> None:
    t0 = time.monotonic()
    status, _, body = machine.get("logs", "unit=web&after=s=1;i=2&wait=2")
    assert status == 200 and json.loads(body) == {"unit": "web", "entries": [], "cursor": None}
    assert 2 <= time.monotonic() - t0 < 10
    calls = machine.calls()
    assert len(calls) == 3 and all(c[-1] == "--after-cursor=s=1;i=2" for c in calls)
    assert machine.get("logs", "unit=web&wait=26")[0] == 400  # at most 25 s


@pytest.mark.parametrize("unit", ["sshd", "systemd-journald", "web.service", "web@x", "..", "WEB"])
def test_logs_of_a_unit_this_host_has_not_is_refused(machine: Vm, unit: str) -> None:
    assert machine.get("logs", f"unit={unit}")[0] in (400, 404)
    assert machine.calls() == []


def test_status_reports_digests_health_updates_certificates_and_disks(machine: Vm) -> None:
    web = [{"State": {"Status": "running", "StartedAt": "2026-12-07T10:00:00Z", "Health": {"Status": "healthy"}},
            "ImageDigest": DIGEST_RUNNING, "ImageName": "registry.test/web:1"}]
    machine.out("podman.container", json.dumps(web))
    machine.out("podman.auto-update", json.dumps([{"Unit": "web.service", "ContainerName": "web", "Updated": "pending"}]))
    machine.out("skopeo", DIGEST_REMOTE + "\n")
    machine.out("systemctl", "active\n")
    machine.out("journalctl", _journal(
        # as podman 5.8 writes its table into the journal (seen on a booted machine): each row indented
        (1_700_000_000, "            UNIT         CONTAINER            IMAGE                POLICY      UPDATED", "c1"),
        (1_700_000_000, "            web.service  0123456789ab (web)  registry.test/web:1  registry    true", "c2"),
        (1_700_000_100, "            web.service  0123456789ab (web)  registry.test/web:1  registry    rolled back", "c3"),
        (1_700_000_200, "            web.service  0123456789ab (web)  registry.test/web:1  registry    false", "c4"),
        (1_700_000_200, "db.service   0123456789ab (db)   registry.test/db:17  registry    false", "c5"),
    ))
    machine.out("openssl", "notAfter=Mar  7 12:00:00 2027 GMT\n")
    crt = machine.tmp / "state" / "caddy" / "data" / "caddy" / "certificates" / "local" / "site.test" / "site.test.crt"
    crt.parent.mkdir(parents=True)
    crt.write_text("-----BEGIN CERTIFICATE-----\n")
    status, _, body = machine.get("status")
    assert status == 200
    got = json.loads(body)
    assert got["host"] == "h"
    services = {s["name"]: s for s in got["services"]}
    assert set(services) == {"web", "db"}
    w = services["web"]
    assert (w["image"], w["running_digest"], w["registry_digest"], w["health"], w["state"], w["auto_update"]) == (
        "registry.test/web:1", DIGEST_RUNNING, DIGEST_REMOTE, "healthy", "running", "pending")
    assert w["last_change"] == {"time": 1_700_000_100, "updated": "rolled back"}
    assert services["db"]["last_change"] is None
    sites = {s["site"]: s["certificate_expires"] for s in got["sites"]}
    assert sites == {"site.test": 1804420800, "b.test": None}
    assert got["disks"][0]["mount"] == str(machine.tmp / "state") and got["disks"][0]["size"] > 0
    # the registry is asked for exactly the image of the host file; podman for exactly the container
    calls = machine.calls()
    assert ["skopeo", "inspect", "--no-tags", "--format", "{{.Digest}}", "docker://registry.test/web:1"] in calls
    assert ["podman", "container", "inspect", "--format", "json", "web"] in calls
    assert ["podman", "auto-update", "--dry-run", "--format", "json"] in calls
    assert not any(c[0] == "systemctl" and c[1] != "show" for c in calls)  # read-only: no start, stop, restart


def test_status_survives_broken_command_output(machine: Vm) -> None:
    for name in ("podman.container", "podman.auto-update", "skopeo", "journalctl", "systemctl", "openssl"):
        machine.out(name, '{"not": [json\n"; $(touch x)', rc=1)
    status, _, body = machine.get("status")
    assert status == 200
    got = json.loads(body)
    assert {s["name"]: s["state"] for s in got["services"]} == {"web": "absent", "db": "absent"}
    assert not (machine.tmp / "x").exists()


# ------------------------------------------------------------------ fuzzing

CANARY = "pwned"
# pieces a hostile query is made of: shell syntax, quoting, encodings, separators, the parameters' own names
PIECES = ["unit", "lines", "since", "after", "wait", "format", "=", "&", "web", "caddy", "json", "text", "1", "25", "0", "08", "09",
          "$(touch " + CANARY + ")", "`touch " + CANARY + "`", ";touch " + CANARY, "|touch " + CANARY, "'", '"', "\\", "%0a",
          "%00", "%20", " ", "\t", "*", "?", "[", "]", "{a,b}", "~", "-", "--", "-f", "--output=x", "..", "/", "\x7f", "é",
          "\r", "=;", "a" * 600, "q[$(id)]", "${IFS}", "$PATH"]
ALLOWED = {"unit": re.compile(r"web|db|caddy|backup|podman-auto-update"), "lines": re.compile(r"[1-9][0-9]{0,3}"),
           "since": re.compile(r"0|[1-9][0-9]{0,9}"), "after": re.compile(r"[A-Za-z0-9=;]{1,512}"),
           "wait": re.compile(r"[0-9]|1[0-9]|2[0-5]"), "format": re.compile(r"json|text")}


GOOD = {"unit": ["web", "caddy", "podman-auto-update"], "lines": ["1", "200", "5000"], "since": ["0", "600"],
        "after": ["s=1;i=2", "abc"], "wait": ["0", "1"], "format": ["json", "text"]}
_HOSTILE = st.lists(st.sampled_from(PIECES) | st.text(string.printable.replace("\n", ""), max_size=5), max_size=6).map("".join)
# a value: a good one, a hostile one, or a good one with something hostile before or after it
_VALUE = st.one_of(st.sampled_from([v for vs in GOOD.values() for v in vs]), _HOSTILE,
                   st.tuples(st.sampled_from([v for vs in GOOD.values() for v in vs]), _HOSTILE, st.booleans())
                   .map(lambda t: t[0] + t[1] if t[2] else t[1] + t[0]))
_PAIR = st.tuples(st.sampled_from([*GOOD, "x", "unit ", "Unit", "q[$(id)]"]), st.sampled_from(["=", "==", "", "%3D"]), _VALUE).map("".join)
# mostly one good unit and hostile others, so that each parameter's own check is reached
QUERIES = st.one_of(
    st.tuples(st.sampled_from([k for k in GOOD if k != "unit"]), _VALUE).map(lambda t: f"unit=web&{t[0]}={t[1]}"),
    st.builds(lambda v: f"unit={v}", _VALUE),
    st.tuples(st.just("unit=web"), st.lists(_PAIR, max_size=3)).map(lambda t: "&".join([t[0], *t[1]])),
    st.lists(_PAIR, max_size=4).map("&".join),
    _HOSTILE,
)


def _valid(query: str) -> bool:
    if not query:
        return False  # logs needs a unit
    seen = {}
    for pair in query.split("&"):
        k, eq, v = pair.partition("=")
        if not eq or k not in ALLOWED or k in seen or not ALLOWED[k].fullmatch(v):
            return False
        seen[k] = v
    return "unit" in seen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES)
def test_a_hostile_query_gets_4xx_and_never_reaches_a_command(machine: Vm, query: str) -> None:
    log = machine.log
    log.unlink(missing_ok=True)
    raw = f"GET /.hostform/logs?{query} HTTP/1.1\r\n\r\n".encode()
    query_seen = query.split(" ")[0] if " " in query else query  # a space ends the request target
    status, _, _ = machine.request("logs", raw)
    assert not (machine.tmp / CANARY).exists() and not (Path.cwd() / CANARY).exists()
    calls = machine.calls()
    if status != 200:
        assert 400 <= status < 500, status
        assert calls == []
        return
    # a good request: exactly the arguments the endpoint means, each value one word
    assert " " not in query and _valid(query_seen), query
    q = dict(p.split("=", 1) for p in query_seen.split("&"))
    for c in calls:
        assert c[:5] == ["journalctl", "--no-pager", "-q", "-u", f"{q['unit']}.service"]
        assert c[5] == "-n" and c[7:9] == ["-o", "json"]
        assert set(c[9:]) <= {f"--since=-{q.get('since')}s", f"--after-cursor={q.get('after')}"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_on_the_socket_get_a_4xx_or_a_good_answer(machine: Vm, raw: bytes) -> None:
    machine.log.unlink(missing_ok=True)
    status, _, _ = machine.request("update", raw)
    assert 400 <= status < 500
    assert machine.calls() == []
