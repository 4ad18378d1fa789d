"""The Caddyfile writer: golden outputs, order, tracing, refusals, container needs."""

from __future__ import annotations

import pytest

from hostform.caddy.render import (
    CA_INTERNAL,
    CA_STAGING,
    CADDY_CONTAINER,
    LETSENCRYPT_STAGING,
    GlobalOptions,
    Site,
    render_caddyfile,
    render_caddyfile_traced,
)

LIVE = Site("soap.coffee", "live", 8081, source=("sites", "soap.coffee"))
STAGING = Site("staging.soap.coffee", "staging", 8080, source=("sites", "staging.soap.coffee"))

GOLDEN_DEFAULT = """\
{
\tstorage file_system /data/caddy
}

soap.coffee {
\treverse_proxy live:8081 {
\t\tlb_try_duration 30s
\t\tlb_try_interval 250ms
\t\ttransport http {
\t\t\tdial_timeout 1s
\t\t}
\t}
}

staging.soap.coffee {
\treverse_proxy staging:8080 {
\t\tlb_try_duration 30s
\t\tlb_try_interval 250ms
\t\ttransport http {
\t\t\tdial_timeout 1s
\t\t}
\t}
}
"""

GOLDEN_STAGING = """\
{
\temail ops@soap.coffee
\tacme_ca https://acme-staging-v02.api.letsencrypt.org/directory
\tstorage file_system /data/caddy
}

soap.coffee, www.soap.coffee {
\tencode zstd gzip
\treverse_proxy live:8081 {
\t\tlb_try_duration 30s
\t\tlb_try_interval 250ms
\t\ttransport http {
\t\t\tdial_timeout 1s
\t\t}
\t}
}
"""

GOLDEN_INTERNAL_NO_STORAGE = """\
{
\tlocal_certs
\tskip_install_trust
}

app.test {
\treverse_proxy app:3000 {
\t\tlb_try_duration 5s
\t\tlb_try_interval 100ms
\t\ttransport http {
\t\t\tdial_timeout 1s
\t\t}
\t}
}
"""


def test_default_options_production_ca() -> None:
    assert render_caddyfile([STAGING, LIVE]) == GOLDEN_DEFAULT


def test_order_does_not_depend_on_input_order() -> None:
    assert render_caddyfile([LIVE, STAGING]) == render_caddyfile([STAGING, LIVE])


def test_staging_ca_email_aliases_encode() -> None:
    site = Site("soap.coffee", "live", 8081, aliases=("www.soap.coffee",), encode=("zstd", "gzip"))
    text = render_caddyfile([site], GlobalOptions(email="ops@soap.coffee", ca=CA_STAGING))
    assert text == GOLDEN_STAGING
    assert LETSENCRYPT_STAGING in text


def test_internal_ca_custom_retry_no_storage() -> None:
    site = Site("app.test", "app", 3000, lb_try_duration="5s", lb_try_interval="100ms")
    text = render_caddyfile([site], GlobalOptions(ca=CA_INTERNAL, storage=None))
    assert text == GOLDEN_INTERNAL_NO_STORAGE


def test_no_global_block_when_nothing_to_say() -> None:
    text = render_caddyfile([LIVE], GlobalOptions(storage=None))
    assert text.startswith("soap.coffee {\n")


def test_no_sites_gives_only_the_global_block() -> None:
    assert render_caddyfile([], GlobalOptions(storage=None)) == ""
    assert render_caddyfile([]) == "{\n\tstorage file_system /data/caddy\n}\n"


def test_traced_lines_map_back_to_sites() -> None:
    rendered = render_caddyfile_traced([STAGING, LIVE], GlobalOptions(email="a@b.c"))
    lines = rendered.text.splitlines()
    first_live = lines.index("soap.coffee {") + 1
    first_staging = lines.index("staging.soap.coffee {") + 1
    assert rendered.source_of_line(first_live) == ("sites", "soap.coffee")
    assert rendered.source_of_line(first_live + 2) == ("sites", "soap.coffee")
    assert rendered.source_of_line(first_staging + 1) == ("sites", "staging.soap.coffee")
    assert rendered.source_of_line(2) == ("tls",)  # email line
    assert rendered.source_of_line(1) is None  # "{"


@pytest.mark.parametrize(
    "site",
    [
        Site("soap coffee", "live", 80),
        Site("soap.coffee", "live", 0),
        Site("soap.coffee", "live", 70000),
        Site("soap.coffee", "live_", 80),
        Site("soap.coffee", "live", 80, encode=("brotli",)),
        Site("soap.coffee", "live", 80, encode=("gzip", "gzip")),
        Site("soap.coffee", "live", 80, lb_try_duration="30"),
        Site("soap.coffee", "live", 80, lb_try_interval="soon"),
        Site("soap.coffee {", "live", 80),
    ],
)
def test_invalid_site_is_refused(site: Site) -> None:
    assert site.problems()
    with pytest.raises(ValueError):
        render_caddyfile([site])


def test_duplicate_address_is_refused() -> None:
    with pytest.raises(ValueError, match="used twice"):
        render_caddyfile([LIVE, Site("www.soap.coffee", "x", 1, aliases=("soap.coffee",))])


@pytest.mark.parametrize(
    "options",
    [GlobalOptions(ca="letsencrypt"), GlobalOptions(email="nobody"), GlobalOptions(storage="data")],
)
def test_invalid_options_are_refused(options: GlobalOptions) -> None:
    with pytest.raises(ValueError):
        render_caddyfile([LIVE], options)


def test_container_needs() -> None:
    c = CADDY_CONTAINER
    assert c.image == "docker.io/library/caddy:2"
    assert c.publish_ports() == ["80:80", "443:443", "443:443/udp"]
    sources = {"/etc/caddy/Caddyfile": "/etc/caddy/Caddyfile", "/data": "/var/lib/state/caddy/data", "/config": "/var/lib/state/caddy/config"}
    assert c.volumes(sources) == [
        "/etc/caddy/Caddyfile:/etc/caddy/Caddyfile:ro",
        "/var/lib/state/caddy/data:/data",
        "/var/lib/state/caddy/config:/config",
    ]
    persistent = {m.target for m in c.mounts if m.persistent}
    assert "/data" in persistent
    with pytest.raises(KeyError):
        c.volumes({})
