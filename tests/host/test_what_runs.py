"""What you declare is exactly what runs: host files through podman's real generators and systemd's rules.

Hypothesis writes host files whose strings are drawn from a hostile alphabet
(``%``, ``$``, quotes, backslashes, braces, ``;``, ``#``, tabs, non-ASCII
spaces, and now and then a line break, NUL or other control character). Each
is built as ``hostform build`` builds it, for podman 5.4, 5.8 and 6.1 in turn:

* refused: every error is an HFxxx located in hostform.yaml;
* accepted: the quadlet files go through that version's real generator
  (``.ci/get-podman``), and the ``podman run`` command line is read from the
  generated unit as systemd reads ``ExecStart=`` (tests/systemd_exec.py:
  specifiers, quotes, C escapes, variables). Every env value, label, argument,
  entrypoint, health command, user, volume, published port and extra key must
  reach podman byte for byte, exactly once, and nothing may be expanded: the
  options of ``podman run`` are exactly those the host file implies (and the
  generator's own), and the command after the image is the declared one.
  Each service requires and starts after exactly the services of its
  ``depends_on``, by their service names (a cycle, a name listed twice or
  one that is no service is refused, located).
  Each job is a oneshot service whose ``podman run`` is exactly its image,
  command, env, volumes and user, and its timer's ``OnCalendar=`` is its
  schedule.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from hostform import pipeline
from hostform.host.build import outputs
from hostform.host.render import to_yaml
from hostform.quadlet.realgen import FETCH_COMMAND, find_real_quadlet, run_real
from hostform.quadlet.tables import ROWS
from tests.require import need
from tests.systemd_exec import SPECIFIER, Expanded, exec_argv

VERSIONS = ("5.4", "5.8", "6.1")

# What a host file may try: the characters every layer between it and podman treats specially.
_SPECIAL = st.sampled_from(list("%$\"'\\{};#=:,/ \t*?&|<>`~!@()[]") + ["%%", "$$", "${", "%{", "\\n", "\\x20", "%h", "$HOME"])
_PLAIN = st.sampled_from(["a", "B", "0", "é", "中", "\xa0", "\u3000", "😀", "\ufeff"])
_CONTROL = st.sampled_from(["\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\u2028"])
# mostly values a host file may hold (so that most examples are built), sometimes one it may not
SAFE = st.lists(st.one_of(_SPECIAL, _PLAIN), min_size=1, max_size=8).map("".join)
_WITH_CONTROL = st.lists(st.one_of(_SPECIAL, _PLAIN, _CONTROL), max_size=8).map("".join)
HOSTILE = st.builds(lambda safe, other, k: other if k == 39 else safe, SAFE, _WITH_CONTROL, st.sampled_from(range(40)))
WORDS = st.lists(HOSTILE, min_size=1, max_size=4)
ENV_NAMES = st.builds(lambda ok, other, k: other if k == 19 else ok, st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True), HOSTILE, st.sampled_from(range(20)))


def _mostly(valid, k: int = 10):
    """``valid`` nine times in ten, else a hostile string."""
    return st.builds(lambda ok, other, i: other if i == k - 1 else ok, valid, HOSTILE, st.sampled_from(range(k)))


URL_PATHS = _mostly(st.text(alphabet="abc/%?&=+$'()*,;:@!~._-", max_size=10))
SINGLE_VALUE_EXTRA = ("WorkingDir", "HostName", "StopSignal", "ShmSize", "Timezone")
LIST_VALUE_EXTRA = ("DNSSearch", "AddHost")


SECRET_NAMES = _mostly(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,6}", fullmatch=True), 20)
TARGETS = _mostly(st.sampled_from(["/run/secrets/x", "db", "/etc/app/a@b+c.conf", "sub/dir/f"]))


def _secret_uses(draw) -> list:
    """``secrets`` of a service or job: a bare name (a file), a name to an environment variable, or to a path."""
    uses = []
    for name in draw(st.lists(SECRET_NAMES, max_size=2)):
        how = draw(st.sampled_from(["bare", "env", "target"]))
        uses.append(name if how == "bare" else {"name": name, "env": draw(ENV_NAMES)} if how == "env" else {"name": name, "target": draw(TARGETS)})
    return uses


@st.composite
def services(draw):
    s: dict = {"image": draw(st.sampled_from(["ghcr.io/example/app:1", "docker.io/library/nginx:1.27", "localhost:5000/x/y@sha256:" + "a" * 64]))}
    if draw(st.booleans()):
        s["env"] = draw(st.dictionaries(ENV_NAMES, HOSTILE, max_size=3))
    if draw(st.booleans()):
        s["command"] = draw(WORDS)
    if draw(st.booleans()):
        s["entrypoint"] = draw(HOSTILE)
    if draw(st.booleans()):
        s["labels"] = draw(st.dictionaries(st.from_regex(r"[a-z][a-z0-9.]{0,8}", fullmatch=True), HOSTILE, max_size=2))
    if draw(st.booleans()):
        s["port"] = 8080
        s["health"] = draw(st.one_of(st.builds(lambda w: {"cmd": w}, WORDS), st.builds(lambda p: {"http": "/" + p}, URL_PATHS)))
    if draw(st.booleans()):
        s["user"] = draw(_mostly(st.sampled_from(["1000", "1000:1000", "app:app", "www-data"])))
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(SINGLE_VALUE_EXTRA + LIST_VALUE_EXTRA), max_size=2, unique=True))
        s["extra"] = {k: draw(HOSTILE) for k in keys}
    if draw(st.booleans()):
        s["volumes"] = {"data": "/var/lib/" + draw(st.sampled_from(["app", "app/x.y", "a_b@c+d", "a:b"]))}
    if draw(st.booleans()):
        s["secrets"] = _secret_uses(draw)
    return s


@st.composite
def hosts(draw):
    """A host file: one or two services, each perhaps with ``depends_on`` (mostly on the other
    services; now and then on itself, twice on one, or on no service)."""
    svcs = draw(st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True), services(), min_size=1, max_size=2))
    names = sorted(svcs)
    for name, s in svcs.items():
        if not draw(st.booleans()):
            continue
        others = [n for n in names if n != name]
        if draw(st.sampled_from(range(10))) == 9:
            deps = draw(st.lists(st.sampled_from([*names, "nosuch"]), min_size=1, max_size=2))
        elif others:
            deps = draw(st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True))
        else:
            continue
        s["depends_on"] = deps[0] if len(deps) == 1 and draw(st.booleans()) else deps
    return {"name": draw(st.sampled_from(["h", "web-1"])), "services": svcs}


SCHEDULES = _mostly(st.sampled_from(["daily", "hourly", "Mon..Fri *-*-* 03:30", "*:0/15", "Sun 02:00 Europe/Berlin"]))


@st.composite
def jobs(draw):
    """A job: the parts it shares with a service (image, command, env, volumes, user) and a schedule."""
    j: dict = {"image": draw(st.sampled_from(["ghcr.io/example/dump:1", "localhost:5000/x/y@sha256:" + "a" * 64])),
               "schedule": draw(SCHEDULES)}
    if draw(st.booleans()):
        j["command"] = draw(WORDS)
    if draw(st.booleans()):
        j["env"] = draw(st.dictionaries(ENV_NAMES, HOSTILE, max_size=3))
    if draw(st.booleans()):
        j["user"] = draw(_mostly(st.sampled_from(["1000", "1000:1000", "app:app"])))
    if draw(st.booleans()):
        j["volumes"] = {"data": "/backup/" + draw(st.sampled_from(["x", "a_b@c+d", "a:b"]))}
    if draw(st.booleans()):
        j["secrets"] = _secret_uses(draw)
    return j


@st.composite
def hosts_with_jobs(draw):
    """A host file as :func:`hosts` draws it, half the time with a job or two (a job named like a service
    now and then: refused)."""
    data = draw(hosts())
    if draw(st.booleans()):
        data["jobs"] = draw(st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True), jobs(), min_size=1, max_size=2))
    used = [u if isinstance(u, str) else u["name"] for c in [*data["services"].values(), *data.get("jobs", {}).values()]
            for u in c.get("secrets", [])]
    if used and draw(st.sampled_from(range(10))) != 9:  # declared (podman secrets on the VM); now and then not: refused
        data["secrets"] = {n: {} for n in used}
    return data


HOSTS = hosts_with_jobs()


def _generators() -> dict[str, Path]:
    found = {v: find_real_quadlet(v) for v in VERSIONS}
    missing = [v for v, p in found.items() if p is None]
    if missing:
        need("podman's real quadlet generator " + ", ".join(f"{v} (`{FETCH_COMMAND[v]}`)" for v in missing) + " not found")
    return {v: p for v, p in found.items() if p is not None}


def _flag(key: str) -> tuple[str, str]:
    row = next(r for r in ROWS["Container"] if r[0] == key)
    return row[2], row[1]


_NO_VALUE = frozenset(["--replace", "--rm", "-d", "--read-only"])


def _options(argv: list[str]) -> list[tuple[str, str | None]]:
    """The options of a ``podman run`` command line, ``--opt value`` and ``--opt=value`` alike."""
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        assert a.startswith("-"), f"{a!r} is not an option: an argument was split ({argv})"
        if "=" in a:
            k, _, v = a.partition("=")
            out.append((k, v))
        elif a in _NO_VALUE:
            out.append((a, None))
        else:
            out.append((a, argv[i + 1]))
            i += 1
        i += 1
    return out


def _expected(name: str, s: dict, state: str, version: str) -> list[tuple[str, str | None]]:
    """Every option the host file implies for the service, with the generator's own."""
    health = "cmd" in s.get("health", {})  # podman's check; an http check is probed from the host
    out: list[tuple[str, str | None]] = [
        ("--name", name), ("--replace", None), ("--rm", None), ("--cgroups", "split"), ("--network", "hostform"),
        ("--sdnotify", "healthy" if health else "conmon"), ("-d", None), ("--label", "io.containers.autoupdate=registry"),
    ]
    if version == "5.4":
        out.append(("--cidfile", f"{SPECIFIER}t/{SPECIFIER}N.cid"))
    out += [("--env", f"{k}={v}") for k, v in s.get("env", {}).items()]
    out += [("--label", f"{k}={v}") for k, v in s.get("labels", {}).items()]
    out += _secret_options(s)
    owned = ",U" if "user" in s else ""  # a service with a user owns its volumes
    out += [("-v", f"{state}/volumes/{n}:{t}:z{owned}") for n, t in s.get("volumes", {}).items()]
    out += [(_flag(k)[0], v) for k, v in s.get("extra", {}).items()]
    if "entrypoint" in s:
        out.append(("--entrypoint", s["entrypoint"]))
    if "user" in s:
        out.append(("--user", s["user"]))
    if "port" in s:
        out.append(("--expose", str(s["port"])))
    if health:
        out += [("--health-cmd", "<checked apart>"), ("--health-interval", "30s"), ("--health-timeout", "5s"),
                ("--health-retries", "3"), ("--health-start-period", "10s"), ("--health-on-failure", "kill")]
    return out


def _secret_options(c: dict) -> list[tuple[str, str | None]]:
    """``--secret`` for each secret a service or job uses, as podman reads it: NAME[,type=env|mount,target=T]."""
    out: list[tuple[str, str | None]] = []
    for u in c.get("secrets", []):
        if isinstance(u, str):
            out.append(("--secret", u))
        elif "env" in u:
            out.append(("--secret", f"{u['name']},type=env,target={u['env']}"))
        else:
            out.append(("--secret", f"{u['name']},type=mount,target={u['target']}"))
    return out


def _check_service(name: str, s: dict, argv: list[str], state: str, version: str) -> None:
    assert argv[:2] == ["/usr/bin/podman", "run"], argv
    image = argv.index(s["image"])
    assert argv[image + 1 :] == s.get("command", []), "the command reaches podman as written"
    options = _options(argv[2:image])
    health = dict(options).get("--health-cmd")
    if "health" in s and "cmd" in s["health"]:
        cmd = s["health"]["cmd"]
        assert (json.loads(health) if len(cmd) > 1 else shlex.split(health)) == cmd
    else:
        assert health is None, "an http check is not podman's"
    got = sorted((k, "<checked apart>" if k == "--health-cmd" else v or "") for k, v in options)
    want = sorted((k, v or "") for k, v in _expected(name, s, state, version))
    assert got == want, "the podman command line is exactly what the host file says"


def _check_job(name: str, j: dict, unit: str, argv: list[str], state: str, version: str) -> None:
    """A job's service: oneshot (run attached: no -d, no --sdnotify), its image, command, env, volumes and
    user exactly as written, on the services' network, pulling a newer image first; nothing else."""
    assert "\nType=oneshot\n" in unit and "\n[Install]" not in unit, unit
    assert argv[:2] == ["/usr/bin/podman", "run"], argv
    image = argv.index(j["image"])
    assert argv[image + 1 :] == j.get("command", []), "the command reaches podman as written"
    want: list[tuple[str, str | None]] = [("--name", name), ("--replace", None), ("--rm", None), ("--cgroups", "split"),
                                          ("--network", "hostform"), ("--pull", "newer")]
    if version == "5.4":
        want.append(("--cidfile", f"{SPECIFIER}t/{SPECIFIER}N.cid"))
    want += [("--env", f"{k}={v}") for k, v in j.get("env", {}).items()]
    want += _secret_options(j)
    owned = ",U" if "user" in j else ""
    want += [("-v", f"{state}/volumes/{n}:{t}:z{owned}") for n, t in j.get("volumes", {}).items()]
    if "user" in j:
        want.append(("--user", j["user"]))
    got = sorted((k, v or "") for k, v in _options(argv[2:image]))
    assert got == sorted((k, v or "") for k, v in want), "the job's podman command line is exactly what the host file says"


def _timer_schedule(b, name: str) -> str:
    """The OnCalendar= of the job's timer in main.ign, as systemd reads the line (one, no specifier left)."""
    timer = next(u for u in b.ignition["systemd"]["units"] if u["name"] == f"{name}.timer")
    values = [line.split("=", 1)[1] for line in timer["contents"].splitlines() if line.startswith("OnCalendar=")]
    assert len(values) == 1 and timer["enabled"] is True, timer
    return values[0].replace("%%", "%")


def _accepted(tmp: Path, data: dict, gens: dict[str, Path]) -> None:
    for version, binary in gens.items():
        d = tmp / version
        d.mkdir()
        (d / "hostform.yaml").write_text(to_yaml({**data, "podman": version}), encoding="utf-8", errors="surrogatepass")
        b = pipeline.build(d, pipeline.Options(checks=False))
        if b.report.errors:
            # the only version-dependent refusals: an extra key this podman lacks, quotes its quadlet drops
            assert all(e.code == "HF011" and "podman" in e.message for e in b.report.errors), b.report.format()
            continue
        q = d / "q"
        q.mkdir()
        for rel, text, *_ in outputs(b):
            if rel.startswith("quadlets/"):
                (q / rel.split("/", 1)[1]).write_bytes(text)
        code, units, stderr = run_real(q, binary=binary, version=version)
        assert code == 0 and "error" not in stderr.lower(), stderr
        for name, s in data["services"].items():
            line = next(x for x in units[f"{name}.service"].splitlines() if x.startswith("ExecStart=") and " run " in x)
            try:
                argv = exec_argv(line[len("ExecStart=") :])
            except Expanded as e:
                pytest.fail(f"podman {version}: {e}")
            _check_service(name, s, argv, b.host.state.path, version)
            _check_order(name, s, units, set(data["services"]))
            if "http" in s.get("health", {}):
                _check_probe(name, s, units[f"{name}.service"], version)
        for name, j in data.get("jobs", {}).items():
            unit = units[f"{name}.service"]
            line = next(x for x in unit.splitlines() if x.startswith("ExecStart=") and " run " in x)
            try:
                argv = exec_argv(line[len("ExecStart=") :])
            except Expanded as e:
                pytest.fail(f"podman {version}: {e}")
            _check_job(name, j, unit, argv, b.host.state.path, version)
            assert _timer_schedule(b, name) == j["schedule"]


def _check_probe(name: str, s: dict, unit: str, version: str) -> None:
    """An http check: the unit's first ExecStartPost= is the host's probe of the port and path as written."""
    line = next(x for x in unit.splitlines() if x.startswith("ExecStartPost="))
    try:
        argv = exec_argv(line[len("ExecStartPost=") :])
    except Expanded as e:
        pytest.fail(f"podman {version}: {e}")
    assert argv[:7] == ["/usr/bin/bash", "/usr/local/libexec/hostform/http-health", "gate", name, "hostform", str(s["port"]),
                        s["health"]["http"]], argv


def _check_order(name: str, s: dict, units: dict[str, str], services: set[str]) -> None:
    """The service requires and starts after exactly the host file's services it depends on, by their service names."""
    deps = s.get("depends_on", [])
    want = sorted({f"{d}.service" for d in ([deps] if isinstance(deps, str) else deps)})
    section, got = "", {"Requires": set(), "After": set()}
    for line in units[f"{name}.service"].splitlines():
        key, _, value = line.partition("=")
        if line.startswith("["):
            section = line
        elif section == "[Unit]" and key in got:
            got[key].update(value.split())
    for key, values in got.items():
        # any unit named after a service of the host file (db.service, db.container, ...)
        ours = sorted(v for v in values if v.rsplit(".", 1)[0] in services)
        assert ours == want, (name, key, sorted(values))


@settings(max_examples=int(os.environ.get("HOSTFORM_WHAT_RUNS_EXAMPLES", "100")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(HOSTS)
@example({"name": "h", "services": {"web": {
    "image": "ghcr.io/example/app:1",
    "env": {"PASSWORD": "a$HOME%h", "Q": 'say "hi" \\ there', "T": "tab\there", "B": "${x}", "S": ";", "E": ""},
    "command": ["sh", "-c", "echo $HOME %h; exit 1", "a b", "\\", "#x", "'"],
    "entrypoint": "/bin/$SHELL",
    "labels": {"x": "%{y}"},
    "port": 8080,
    "health": {"cmd": ["pg_isready", "-U", "$USER"]},
    "user": "1000:1000",
    "extra": {"WorkingDir": '/srv/"x" $y', "DNSSearch": "a%b"},
}}})
@example({"name": "h", "services": {"api": {"image": "ghcr.io/example/app:1", "depends_on": ["db"]},
                                     "db": {"image": "ghcr.io/example/db:1", "port": 8080, "health": {"cmd": ["pg_isready"]}}}})
@example({"name": "h", "services": {"db": {"image": "ghcr.io/example/db:1", "volumes": {"data": "/var/lib/db"}}},
          "jobs": {"dump": {"image": "ghcr.io/example/dump:1", "schedule": "Mon..Fri *-*-* 03:30", "user": "1000:1000",
                            "command": ["sh", "-c", "pg_dump > /backup/$(date +%F).sql", "%h"], "env": {"P": "a$HOME%h"},
                            "volumes": {"data": "/backup"}}}})
@example({"name": "h", "services": {"web": {"image": "ghcr.io/example/app:1", "port": 8080, "health": {"cmd": ["it's ok"]}}}})
@example({"name": "h", "services": {"web": {"image": "ghcr.io/example/app:1", "port": 8080, "health": {"http": "/h?a=1&b='$x'"}}}})
def test_values_reach_podman_byte_for_byte(data):
    gens = _generators()
    with tempfile.TemporaryDirectory(prefix="hostform-what-runs-") as tmp:
        d = Path(tmp) / "check"
        d.mkdir()
        (d / "hostform.yaml").write_text(to_yaml(data), encoding="utf-8", errors="surrogatepass")
        b = pipeline.build(d, pipeline.Options(checks=False))
        errors = b.report.errors
        if errors:
            for e in errors:
                assert e.code.startswith("HF") and e.file == "hostform.yaml" and e.line > 0 and e.col > 0, e.format()
            event("refused")
            return
        event("built")
        if any("depends_on" in s for s in data["services"].values()):
            event("built, with depends_on")
        if data.get("jobs"):
            event("built, with jobs")
        if data.get("secrets"):
            event("built, with secrets")
        _accepted(Path(tmp), data, gens)
