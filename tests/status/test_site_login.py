"""Turning on `status:` keeps the site's own login (its `basic_auth`) on every path of the site, its `caddy:` snippet's
included; only /.hostform/ takes the status token instead. Served by the real Caddy from the Caddyfile `hostform build`
wrote (see test_served.py), a host whose site has a login and a snippet with `handle`, `handle_path` and `respond`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import HOST, TOKEN, build_host, make_vm
from .test_served import Served, _request, serving

PASSWORD = "alice-pw-1"
SNIPPET = """respond /healthz "ok" 200
handle /admin/* {
  reverse_proxy web:8080 {
  }
}
handle_path /files/* {
  reverse_proxy web:8080 {
  }
}
"""
SITE = {"site.test": {"service": "web", "basic_auth": {"alice": {"password": {"secret": "alice-pw"}}}, "caddy": SNIPPET}}
# paths of the site (the snippet's among them), and ways of writing them that start with /.hostform/
PATHS = ["/", "/a", "/admin/x", "/files/x", "/healthz", "/.hostform", "/.hostformx/admin/x", "/.hostform/../admin/x",
         "/.hostform/%2e%2e/admin/x", "/.hostform/..%2fadmin/x", "//.hostform/../admin/x", "/.HOSTFORM/../admin/x",
         "/.hostform/./../files/x", "/x/../.hostform/../admin/x"]


@pytest.fixture(scope="module", params=["with status", "without status"])
def site(request: pytest.FixtureRequest, caddy_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Served]]:
    tmp = tmp_path_factory.mktemp("login")
    data = {**HOST, "sites": SITE}
    built = build_host(tmp / "a", data, {"alice-pw": PASSWORD})
    (tmp / "vm").mkdir()
    machine = make_vm(built, tmp / "vm")  # the endpoints' script, whose calls are recorded (none is expected here)
    if request.param == "without status":
        built = build_host(tmp / "b", {k: v for k, v in data.items() if k != "status"}, {"alice-pw": PASSWORD})
    with serving(caddy_bin, built, machine, tmp, endpoints=request.param == "with status") as served:
        yield request.param, served


def test_the_sites_login_guards_every_path_but_the_endpoints(site: tuple[str, Served]) -> None:
    _, s = site
    for path in PATHS:
        for cred in (None, ("alice", "wrong"), (s_user := "hostform", TOKEN)):
            status, _, body = _request(s.port, s.root, "GET", path, cred and cred[1], user=cred[0] if cred else s_user)
            assert status == 401, (path, cred, status, body[:100])
        status, _, body = _request(s.port, s.root, "GET", path, PASSWORD, user="alice")
        assert status in (200, 404), (path, status)  # past the login: the upstream (or Caddy's 404 of a path it cleaned away)
    assert s.machine.calls() == []


def test_the_snippet_still_answers_past_the_login(site: tuple[str, Served]) -> None:
    _, s = site
    assert _request(s.port, s.root, "GET", "/healthz", PASSWORD, user="alice")[2] == b"ok"
    assert _request(s.port, s.root, "GET", "/files/x", PASSWORD, user="alice")[2] == b"upstream /x"  # handle_path strips /files
    assert _request(s.port, s.root, "GET", "/admin/x", PASSWORD, user="alice")[2] == b"upstream /admin/x"


def test_the_endpoints_take_the_token_not_the_sites_login(site: tuple[str, Served]) -> None:
    which, s = site
    got = _request(s.port, s.root, "GET", "/.hostform/status", TOKEN)
    if which == "without status":
        assert got[0] == 401  # the site's login, and the upstream behind it
        return
    assert got[0] == 200 and b'"services"' in got[2]
    assert _request(s.port, s.root, "GET", "/.hostform/status", PASSWORD, user="alice")[0] == 401
    assert _request(s.port, s.root, "GET", "/.hostform/nothing", TOKEN)[0] == 404
    assert _request(s.port, s.root, "GET", "/.hostform/../admin/x", TOKEN)[0] == 401  # the token is not the site's login
