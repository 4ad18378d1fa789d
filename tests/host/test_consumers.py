"""Host files through the real consumers of what the build writes: `caddy adapt` and `systemd-analyze`.

* Sites: the Caddyfile `hostform build` writes, adapted by the real Caddy,
  serves exactly the declared names (addresses and aliases), each proxied to
  the declared service and port with exactly its response headers and
  basic-auth accounts, each `redirect_from` name with a 301 to the same URI
  on its site, and nothing else (a site's raw snippet may add routes inside
  its own site only).
* Update schedules: whatever `updates.schedule` and `updates.randomized_delay`
  the build accepts, systemd accepts as written into the timer's drop-in (and
  reads as the same event); what the build refuses, systemd refuses too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hostform import pipeline
from hostform.caddy.check import CADDY_INSTALL_HINT, find_caddy
from hostform.host.build import outputs
from hostform.host.render import to_yaml
from hostform.terraform.render import USER_DATA_FILE
from tests.require import need

IMAGE = "docker.io/library/nginx:1"


def _tool(path, why: str):
    if path is None:
        need(why)
    return path


def _build(tmp: Path, data: dict):
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "hostform.yaml").write_text(to_yaml(data), encoding="utf-8", errors="surrogatepass")
    return pipeline.build(tmp, pipeline.Options(checks=False))


# ------------------------------------------------------------------ Caddy

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
DOMAIN = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(LABEL, min_size=1, max_size=3), st.sampled_from(["org", "net", "coffee", "xn--p1ai"]))


# RFC 7230 token characters, not starting with Caddy's '+'/'-' prefixes; '`' is refused (no Caddyfile token carries it)
HEADER_NAME = st.from_regex(r"[A-Za-z0-9!#$%&'*.^_|~][A-Za-z0-9!#$%&'*.^_|~+-]{0,10}", fullmatch=True)
# one line of visible characters, quotes, '#', '$', spaces and tabs inside, and non-ASCII (no '{', '}', '\\', '`')
HEADER_VALUE = st.lists(st.sampled_from(list("aZ09\"'#$%;=,:/()<>?@[]!*|~") + [" ", "\t", "é", "中", "default-src 'self'"]),
                        min_size=1, max_size=8).map("".join).filter(lambda v: v == v.strip(" \t"))
BCRYPT = st.builds(lambda v, cost, salt: f"${v}${cost:02d}${salt}", st.sampled_from(["2a", "2b", "2y"]), st.integers(4, 31),
                   st.from_regex(r"[./A-Za-z0-9]{53}", fullmatch=True))
SNIPPETS = ["respond /ping 200\n", "@api path /api/*\nhandle @api {\n\trespond \"api\" 200\n}\n",
            "log {\n  output stderr\n}\nrequest_body {\n\tmax_size 10MB\n}", "respond /t `a \"quoted\"\nbody` 200\n"]


@st.composite
def sites_host(draw):
    names = draw(st.lists(DOMAIN, min_size=1, max_size=6, unique=True))
    services = {f"svc{i}": {"image": IMAGE, "port": draw(st.integers(1, 65535))} for i in range(draw(st.integers(1, 3)))}
    sites: dict = {}
    rest = list(names)
    while rest:
        addr = rest.pop(0)
        n = draw(st.integers(0, min(2, len(rest))))
        aliases, rest = rest[:n], rest[n:]
        site: dict = {"service": draw(st.sampled_from(sorted(services)))}
        if aliases:
            site["aliases"] = aliases
        if draw(st.booleans()):
            site["port"] = draw(st.integers(1, 65535))
        if draw(st.booleans()):
            site["encode"] = draw(st.lists(st.sampled_from(["zstd", "gzip"]), min_size=1, max_size=2, unique=True))
        n = draw(st.integers(0, min(2, len(rest))))
        if n:
            site["redirect_from"], rest = rest[:n], rest[n:]
        if draw(st.booleans()):
            site["headers"] = draw(st.dictionaries(HEADER_NAME, HEADER_VALUE, min_size=1, max_size=3).filter(
                lambda h: len({k.lower() for k in h}) == len(h)))
        if draw(st.booleans()):
            site["basic_auth"] = draw(st.dictionaries(st.from_regex(r"[A-Za-z0-9._@+-]{1,8}", fullmatch=True),
                                                      st.one_of(BCRYPT, BCRYPT.map(lambda h: {"hash": h})), min_size=1, max_size=2))
        if draw(st.booleans()):
            site["caddy"] = draw(st.sampled_from(SNIPPETS))
        sites[addr] = site
    tls = {"ca": draw(st.sampled_from(["production", "staging", "internal"]))}
    if draw(st.booleans()):
        tls["email"] = draw(st.builds(lambda u, d: f"{u}@{d}", st.from_regex(r"[a-z0-9._%+-]{1,8}", fullmatch=True), DOMAIN))
    return {"name": "h", "services": services, "sites": sites, "tls": tls}


def _canonical(name: str) -> str:
    """A header name as Go's textproto.CanonicalMIMEHeaderKey writes it (Caddy's config holds it so)."""
    out, upper = [], True
    for c in name:
        out.append(c.upper() if upper and "a" <= c <= "z" else c.lower() if not upper and "A" <= c <= "Z" else c)
        upper = c == "-"
    return "".join(out)


def _handlers(value, kind: str) -> list[dict]:
    """Every handler of ``kind`` in a piece of Caddy's JSON config, in order."""
    if isinstance(value, dict):
        own = [value] if value.get("handler") == kind else []
        return own + [h for v in value.values() for h in _handlers(v, kind)]
    if isinstance(value, list):
        return [h for v in value for h in _handlers(v, kind)]
    return []


def _served(adapted: dict) -> dict[str, object]:
    """host name -> what it does, from Caddy's JSON config: the upstream it is proxied to with the
    response headers set and the basic-auth accounts, or (status, Location) of a redirect."""
    out: dict[str, object] = {}
    for server in adapted["apps"]["http"]["servers"].values():
        for route in server.get("routes", []):
            hosts = [h for m in route.get("match", []) for h in m.get("host", [])]
            dials = re.findall(r'"dial":\s*"([^"]+)"', json.dumps(route))
            headers = [h["response"] for h in _handlers(route, "headers")]
            accounts = sorted((a["username"], a["password"]) for h in _handlers(route, "authentication")
                              for a in h["providers"]["http_basic"]["accounts"])
            statics = [(h.get("status_code"), h.get("headers", {}).get("Location")) for h in _handlers(route, "static_response")]
            for h in hosts:
                assert h not in out, f"{h} is served twice"
                if dials:
                    out[h] = (dials[0], headers, accounts)
                else:
                    out[h] = statics[0] if len(statics) == 1 else statics
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sites_host())
@example({"name": "h", "services": {"web": {"image": IMAGE, "port": 8080}},
          "sites": {"example.org": {"service": "web", "aliases": ["www.example.org"], "encode": ["zstd", "gzip"]}},
          "tls": {"ca": "staging", "email": "me+x@example.org"}})
@example({"name": "h", "services": {"web": {"image": IMAGE, "port": 8080}}, "sites": {"x-0.org": {"service": "web"}}, "tls": {"ca": "internal"}})  # once dropped as an x- key
@example({"name": "h", "services": {"web": {"image": IMAGE, "port": 8080}}, "tls": {"ca": "internal"},
          "sites": {"example.org": {"service": "web", "redirect_from": ["www.example.org"], "headers": {"X-A": 'a "b" #c\td', "x-b": "$HOME %h"},
                                    "basic_auth": {"alice": "$2a$14$Atsajokvadqecioi1JmsRuQTZr8lu0EbFvV07RKQ7Fdu3She2n1eG"}, "caddy": SNIPPETS[3]}}})
def test_caddy_serves_exactly_the_declared_sites(tmp_path_factory, data):
    caddy = _tool(find_caddy(), f"the real Caddy is not installed: {CADDY_INSTALL_HINT}")
    tmp = tmp_path_factory.mktemp("caddy")
    b = _build(tmp, data)
    assert not b.report.errors, b.report.format()
    caddyfile = next(text for rel, text, *_ in outputs(b) if rel == "Caddyfile")
    (tmp / "Caddyfile").write_bytes(caddyfile)
    p = subprocess.run([str(caddy), "adapt", "--config", str(tmp / "Caddyfile"), "--adapter", "caddyfile"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    want: dict[str, object] = {}
    for addr, site in data["sites"].items():
        port = site.get("port", data["services"][site["service"]]["port"])
        headers = [{"deferred": True, "set": {_canonical(k): [v] for k, v in site["headers"].items()}}] if "headers" in site else []
        accounts = sorted((u, h["hash"] if isinstance(h, dict) else h) for u, h in site.get("basic_auth", {}).items())
        for name in (addr, *site.get("aliases", ())):
            want[name] = (f"{site['service']}:{port}", headers, accounts)
        for name in site.get("redirect_from", ()):
            want[name] = (301, [f"https://{addr}{{http.request.uri}}"])  # the same path and query, on the site
    assert _served(json.loads(p.stdout)) == want
    if "email" in data["tls"] and data["tls"]["ca"] != "internal":  # the ACME account's address
        assert data["tls"]["email"] in p.stdout


# ------------------------------------------------------------------ systemd

SCHEDULE = st.one_of(
    st.sampled_from(["hourly", "daily", "weekly", "minutely", "quarterly", "semiannually", "yearly", "annually", "monthly",
                     "*:0/15", "Mon..Fri 04:00", "Sat,Sun *-*-* 03:30:00", "*-*-01 00:00", "*-02~1", "2026-12-24 18:00 UTC",
                     "Mon *-*-* 04:00 Europe/Berlin", "every hour", "Mon..Fri 25:00", "daily ", "hourly\t", "@0", "*:*:0/30",
                     "Monday..Wednesday 1:2:3", "*-*-* 00:00:00.5", "13-01-01", "Fri 2026-*-* 9..17:00"]),
    st.lists(st.sampled_from(list("0123456789*-:/.,~ ") + ["Mon", "Fri", "..", "UTC", "hourly"]), max_size=12).map("".join),
)
SPAN = st.one_of(st.sampled_from(["0", "5min", "1h 30min", "30", "2h30m", "1.5h", "infinity", "5 minutes", "x", "5minutez", "-1"]),
                 st.lists(st.sampled_from(list("0123456789. ") + ["s", "min", "h", "ms", "us", "d", "w", "M", "y"]), max_size=8).map("".join))


def _analyze(kind: str, value: str) -> subprocess.CompletedProcess:
    exe = _tool(shutil.which("systemd-analyze"), "systemd-analyze is not installed (Debian's systemd package)")
    return subprocess.run([exe, kind, "--", value], capture_output=True, text=True, timeout=30, env={**os.environ, "TZ": "UTC", "LC_ALL": "C"})


def _dropin_value(b, key: str) -> str:
    ign = b.ignition
    timer = next(u for u in ign["systemd"]["units"] if u["name"] == "podman-auto-update.timer")
    text = timer["dropins"][0]["contents"]
    values = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]
    return values[-1].replace("%%", "%")  # systemd's specifier expansion; no other % can be there


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(SCHEDULE, SPAN)
def test_systemd_reads_the_schedule_as_the_build_does(tmp_path_factory, schedule, delay):
    tmp = tmp_path_factory.mktemp("timer")
    b = _build(tmp, {"name": "h", "updates": {"schedule": schedule, "randomized_delay": delay}})
    refused = {e.path[-1] for e in b.report.errors if e.path}
    assert refused <= {"schedule", "randomized_delay"}, b.report.format()
    cal = _analyze("calendar", schedule)
    if "schedule" in refused:
        assert cal.returncode != 0 or schedule != schedule.strip(), f"systemd reads {schedule!r}:\n{cal.stdout}"
    elif not refused:
        written = _dropin_value(b, "OnCalendar")
        assert written == schedule
        cal = _analyze("calendar", written)
        assert cal.returncode == 0 and "Normalized form:" in cal.stdout, cal.stderr
    span = _analyze("timespan", delay)
    if "randomized_delay" in refused:  # infinity: systemd reads it, and would never update (refused on purpose)
        assert span.returncode != 0 or delay != delay.strip() or delay == "infinity", f"systemd reads {delay!r}:\n{span.stdout}"
    elif not refused:
        assert _dropin_value(b, "RandomizedDelaySec") == delay and span.returncode == 0, span.stderr


# ------------------------------------------------------------------ Terraform



def _templates(s: str) -> list[int]:
    """Where Terraform's template scanner starts an interpolation or directive in ``s``
    (left to right: ``$${`` and ``%%{`` are escapes for a literal ``${`` / ``%{``)."""
    out, i = [], 0
    while i < len(s):
        if s.startswith(("$${", "%%{"), i):
            i += 3
        elif s.startswith(("${", "%{"), i):
            out.append(i)
            i += 2
        else:
            i += 1
    return out


_OURS = re.compile(r"\$\{(?:vultr|hcloud|digitalocean|aws|data|self|terraform_data)[a-z0-9_.]*\}")
KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
TEXT = st.lists(st.sampled_from(["${", "%{", "}", "$", "%", "$${", "%%{", "file(\"/etc/passwd\")", "a", " ", "\\", '"']), max_size=10).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(env=st.dictionaries(st.from_regex(r"[A-Z]{1,4}", fullmatch=True), TEXT, max_size=3), comment=TEXT,
       provider=st.sampled_from(["vultr", "hetzner", "digitalocean", "aws", "local"]))
def test_no_template_from_the_host_file_survives_in_main_tf_json(tmp_path_factory, env, comment, provider):
    """Whatever text the host file holds, every ${ and %{ left in main.tf.json is one of hostform's own references."""
    target = {"provider": provider, "region": "r1", "size": "s1", "image": "img-1"} if provider != "local" else {"provider": "local"}
    data = {"name": "h", "services": {"app": {"image": IMAGE, "env": env}}, "target": target,
            "access": {"ssh_keys": [f"ssh-ed25519 {KEY} {comment}".rstrip()]}}
    b = _build(tmp_path_factory.mktemp("tf"), data)
    if b.report.errors:
        assert all(e.file == "hostform.yaml" for e in b.report.errors), b.report.format()
        return
    text = next(t for rel, t, *_ in outputs(b) if rel.endswith("main.tf.json")).decode()
    for value in re.findall(r'"((?:[^"\\]|\\.)*)"', text):
        s = json.loads(f'"{value}"')
        left = _OURS.sub("", s.replace(USER_DATA_FILE, ""))
        assert not _templates(left), f"a template survives in {s[:200]!r}"
