"""`health.http` on an image with nothing in it but its program (issue 13, item 6).

The image is scratch: one static Go binary (tests/go/healthsrv), no shell, no curl, no wget. A host
built by `hostform build` runs it behind Caddy with `health: {http: /health}`; the check is probed
from the host. On podman 5.4 and 5.8:
- it passes its check (the unit starts, once the probe passed) and is served through Caddy over HTTPS;
- once running, a container whose check starts failing is killed by NAME-health.service after
  `retries` failures and started again by its unit's Restart= (a fresh container passes again);
- a new image under the same tag that answers 500 on /health, and then one that exits at once, are
  each rolled back by `podman auto-update` (the journal says so) while every visitor gets the old
  version.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hostform import oci
from hostform._runner import wait_until
from hostform.tryout import commands as C
from hostform.tryout.harness import free_port
from tests.e2e._site import PODMANS, boot_site
from tests.e2e.test_update import _get, bad_answers, image_id, journal, page, rollback_episode, running_image, uncovered
from tests.go.build import GoUnavailable, helper_binary
from tests.require import need

pytestmark = pytest.mark.e2e

SITE = "site.test"
HOST = """\
name: scratchhost
podman: "{podman}"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    health: {{http: /health, interval: 1s, retries: 2, start_period: 2s, timeout: 2s}}
sites:
  site.test: site
tls: {{email: me@example.org, ca: internal}}
updates: {{schedule: "*:*:0/10", randomized_delay: "0"}}
"""
BINARY = "/healthsrv"


@pytest.fixture(scope="module")
def healthsrv() -> bytes:
    try:
        return helper_binary("healthsrv").read_bytes()
    except GoUnavailable as e:
        need(str(e))
        raise


def scratch_image(binary: bytes, *args: str) -> oci.Image:
    """The binary alone in one layer (the same layer for every version), run with ``args``."""
    layer = oci.layer_from_entries([oci.Entry.file(BINARY.lstrip("/"), binary, 0o755)])
    return oci.Image([layer], entrypoint=[BINARY], cmd=list(args), env=())


def unit_log(m, unit: str, since: float) -> list[str]:
    return [msg for t, msg in journal(m, "-u", unit) if t >= since]


def container_id(m) -> str:
    return m.exec(["podman", "inspect", "site", "--format", "{{.Id}}"], check=False).stdout.strip()


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_a_scratch_image_is_checked_from_the_host_and_rolled_back_when_bad(
    runner, cache, healthsrv, caddy_image, registry, machines, build_host, tmp_path: Path, variant: str, podman: str
) -> None:
    v1 = scratch_image(healthsrv, "-body", page("v1"))
    answers_500 = scratch_image(healthsrv, "-body", page("bad"), "-health", "500")
    exits = scratch_image(healthsrv, "-body", page("gone"), "-exit")
    oci.push(v1, registry.address, "site")
    oci.push(caddy_image, registry.address, "caddy", "2")
    t0 = time.time()
    ign = build_host(tmp_path / "host", HOST.format(registry=C.registry_name_in_guest(), podman=podman))
    m = boot_site(runner, cache, registry, machines, ign, tmp_path / "m", state=tmp_path / "state", variant=variant)
    port = free_port()
    m.publish(port, 443)
    cafile = m.caddy_root(tmp_path / "root.crt")
    assert wait_until(lambda: _get(port, cafile) == (200, page("v1")), 60, 0.5), _get(port, cafile)

    # nothing to run a check with in the image, and podman runs none: the host's probe started the unit
    assert m.exec(["podman", "exec", "site", "/bin/sh", "-c", "true"], check=False).returncode != 0
    assert m.exec(["podman", "inspect", "site", "--format", "{{.Config.Healthcheck}}"]).stdout.strip() in ("<nil>", "")
    assert any("site is healthy" in msg for msg in unit_log(m, "site.service", t0)), unit_log(m, "site.service", t0)
    assert m.is_active("site-health.service") == "active"

    # running, then failing its check: killed after `retries` failures, started again (Restart=on-failure; first,
    # before the updates' restarts count toward systemd's start limit of 5 in 10 s)
    before, since = container_id(m), time.time()
    assert m.exec(["podman", "exec", "site", BINARY, "-get", "http://127.0.0.1:8080/sick"]).returncode == 0
    assert wait_until(lambda: container_id(m) not in ("", before) and m.is_active("site.service") == "active", 60, 0.5), (
        "\n".join(unit_log(m, "site-health.service", since) + unit_log(m, "site.service", since))
    )
    assert any("killing it" in msg for msg in unit_log(m, "site-health.service", since))
    assert wait_until(lambda: _get(port, cafile) == (200, page("v1")), 60, 0.5), _get(port, cafile)
    assert wait_until(lambda: m.is_active("site-health.service") == "active", 30, 0.5)

    # a new image failing its check (500), then one that cannot start: each rolled back, the old one serving
    for bad, why in ((answers_500, "is unhealthy"), (exits, "not running")):
        time.sleep(10)  # the restarts before fall out of systemd's start-limit window (5 starts in 10 s)
        pushed, pulled, rolled_back, episode = rollback_episode(m, port, cafile, registry, bad, v1)
        assert not bad_answers(episode, page("v1")), bad_answers(episode, page("v1"))[:5]
        assert uncovered(episode, pulled, rolled_back) < 1.0, f"visitors paused {uncovered(episode, pulled, rolled_back):.1f}s"
        log = unit_log(m, "site.service", pushed)
        assert any(why in msg for msg in log), log[-20:]
        assert running_image(m) == image_id(v1) and m.is_active("site.service") == "active"

