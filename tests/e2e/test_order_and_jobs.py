"""Order between services and scheduled jobs, on a booted machine (issue 13, items 4 and 8).

A host built by `hostform build`: `site` depends on `db` (both with an http health check), and a job
appends the time to its volume every 10 seconds. On podman 5.4 and 5.8:
- `site` starts only once `db` is healthy (its unit started: the host's probe of its http check passed);
- stopping `db` stops `site` (Requires=), and starting `db` again brings `site` back by itself
  (db's Upholds=): nobody is there to start it;
- the job's timer runs it, it writes to its own volume on the state directory, and its service
  ends (a oneshot run to completion, not a daemon).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform import oci
from hostform._runner import wait_until
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine
from tests.e2e._site import PODMANS, boot_site

pytestmark = pytest.mark.e2e

HOST = """\
name: tryhost
podman: "{podman}"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    health: {{http: /}}
    depends_on: [db]
  db:
    image: {registry}/db:latest
    port: 8080
    health: {{http: /}}
jobs:
  tick:
    image: {registry}/tick:latest
    command: [sh, -c, "date +%s >> /out/ticks"]
    schedule: "*:*:0/10"
    volumes: {{ticks: /out}}
sites:
  site.test: site
tls: {{email: me@example.org, ca: internal}}
"""


def _monotonic(m: Machine, unit: str, prop: str) -> int:
    return int(m.exec(["systemctl", "show", "-P", prop, unit]).stdout.strip() or 0)


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_order_and_a_job_on_schedule(
    runner, cache, busybox, caddy_image, registry, machines, build_host, variant: str, podman: str, tmp_path: Path
) -> None:
    oci.push(oci.page_image(busybox, 8080, "site\n"), registry.address, "site")
    oci.push(oci.page_image(busybox, 8080, "db\n"), registry.address, "db")
    oci.push(oci.busybox_image(busybox), registry.address, "tick")
    oci.push(caddy_image, registry.address, "caddy", "2")
    ign = build_host(tmp_path / "host", HOST.format(registry=C.registry_name_in_guest(), podman=podman))
    state = tmp_path / "state"
    m = boot_site(runner, cache, registry, machines, ign, tmp_path / "m", state=state, variant=variant)

    # site started after db was started, and db counts as started only once healthy
    db_up = _monotonic(m, "db.service", "ActiveEnterTimestampMonotonic")
    site_start = _monotonic(m, "site.service", "ExecMainStartTimestampMonotonic")
    assert 0 < db_up <= site_start, (db_up, site_start)
    db_log = m.exec(["journalctl", "-b", "--no-pager", "-u", "db.service"], check=False).stdout
    assert "db is healthy" in db_log, db_log  # its check passed (probed from the host) before it counted as started

    # stopping db stops site; starting db alone brings site back (Upholds=)
    m.exec(["systemctl", "stop", "db.service"])
    assert wait_until(lambda: m.is_active("site.service") in ("inactive", "failed"), 60, 0.5), m.is_active("site.service")
    m.exec(["systemctl", "start", "--no-block", "db.service"])
    assert m.wait_active("site.service", 120), m.exec(["journalctl", "-b", "--no-pager", "-n", "60"], check=False).stdout

    # the job runs on its timer, writes to its volume and ends
    ticks = state / "volumes" / "ticks" / "ticks"
    assert wait_until(lambda: ticks.is_file() and len(ticks.read_text().split()) >= 2, 90, 1), (
        m.exec(["journalctl", "-b", "--no-pager", "-u", "tick.service", "-u", "tick.timer"], check=False).stdout
    )
    assert m.is_active("tick.timer") == "active"
    assert m.is_active("tick.service") in ("inactive", "activating")
    stamps = [int(x) for x in ticks.read_text().split()]
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] >= 5
