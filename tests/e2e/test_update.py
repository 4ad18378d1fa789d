"""Scenarios b and c: pushing an image is the only deployment step, and a bad image is rolled back
with the site up.

A host built by `hostform build` (one service with a health check behind Caddy, internal CA, a
short `updates.schedule`) boots with a local registry. A visitor in a thread requests the site
over HTTPS through Caddy the whole time, each request a new TLS connection whose chain is verified
against the machine's Caddy root for the name site.test. Nothing is run on the machine by hand:
the test pushes an image under the same tag and podman-auto-update.timer does the rest.

b  a new version is served within 60 s of the push, and every answer during the swap (at least
   200) is a 200 from the old or the new version; the timer keeps its schedule to the second.
c  an image that starts and listens but fails its health check (500 on the health path), and one
   that cannot start at all: podman rolls back to the previous image (the journal says so) and
   every answer during the episode is a 200 from the old version.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from hostform import oci
from hostform.tryout import commands as C
from hostform.tryout.harness import Answer, Machine, Registry, SitePoller, free_port, https_get, status_and_body, version_image
from tests.e2e._site import PODMANS, boot_site

pytestmark = pytest.mark.e2e

SITE = "site.test"
PERIOD = 10  # seconds: the schedule below
HOST = """\
name: updhost
podman: "{podman}"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    health: {{http: /cgi-bin/health{health}}}
sites:
  site.test: site
tls: {{email: me@example.org, ca: internal}}
updates: {{schedule: "*:*:0/10", randomized_delay: "0"}}
"""
# (c): a bad image fails its check within start_period + retries x interval, well inside Caddy's hold
QUICK_CHECK = ", interval: 1s, retries: 2, start_period: 2s, timeout: 2s"
UNHEALTHY = "500 Internal Server Error"
VISITORS = 3  # at once, each one request after another


def page(marker: str) -> str:
    return f"hello from {marker}\n"


def boot(
    runner, cache, busybox, caddy_image, registry, machines, build_host, tmp: Path, variant: str, podman: str, health: str = ""
) -> tuple[Machine, int, Path]:
    """v1 pushed, the host built and booted, serving v1 over verified HTTPS: (machine, published port, root CA)."""
    t0 = time.monotonic()
    oci.push(version_image(busybox, "v1"), registry.address, "site")
    oci.push(caddy_image, registry.address, "caddy", "2")
    ign = build_host(tmp / "host", HOST.format(registry=C.registry_name_in_guest(), health=health, podman=podman))
    m = boot_site(runner, cache, registry, machines, ign, tmp / "m", state=tmp / "state", variant=variant)
    assert m.exec(["podman", "--version"]).stdout.split()[-1].startswith(podman + "."), "the machine's podman is the target's"
    port = free_port()
    m.publish(port, 443)
    cafile = m.caddy_root(tmp / "root.crt")
    end = time.monotonic() + 60
    while (got := _get(port, cafile)) != (200, page("v1")):
        assert time.monotonic() < end, got
        time.sleep(0.5)
    print(f"\nboot: {m.timings}; v1 served over HTTPS {time.monotonic() - t0:.1f}s after the first push")
    return m, port, cafile


def _get(port: int, cafile: Path) -> tuple[int, str]:
    try:
        return status_and_body(https_get(port, SITE, cafile)[1])
    except OSError as e:
        return 0, str(e)


def journal(m: Machine, *args: str) -> list[tuple[float, str]]:
    """(wall-clock time, message) of the machine's journal lines (this boot)."""
    out = m.exec(["journalctl", "-b", "--no-pager", "-o", "short-unix", *args], check=False).stdout
    lines = []
    for line in out.splitlines():
        stamp, _, rest = line.partition(" ")
        try:
            lines.append((float(stamp), rest.split(": ", 1)[-1]))
        except ValueError:
            continue
    return lines


def auto_update_starts(m: Machine) -> list[float]:
    return [t for t, msg in journal(m, "-u", "podman-auto-update.service") if msg.startswith("Starting podman-auto-update.service")]


# podman auto-update's table, as podman-auto-update.service logs it: UNIT CONTAINER IMAGE POLICY UPDATED
ROLLED_BACK = re.compile(r"^\s*site\.service\s+[0-9a-f]{12} \(site\)\s+\S+\s+registry\s+rolled back\s*$")


def rollbacks(m: Machine, since: float) -> list[float]:
    return [t for t, msg in journal(m, "-u", "podman-auto-update.service") if t >= since and ROLLED_BACK.match(msg)]


CONTAINER_START = re.compile(r" container start ([0-9a-f]{64}) ")


def running_image(m: Machine) -> str:
    return "sha256:" + m.exec(["podman", "inspect", "site", "--format", "{{.Image}}"]).stdout.strip()


def image_id(img: oci.Image) -> str:
    """What podman calls the image's ID: the digest of its config."""
    return oci.digest(img.config_bytes())


def bad_answers(answers: list[Answer], *bodies: str) -> list[Answer]:
    return [a for a in answers if a.status != 200 or a.body not in bodies]


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_a_pushed_image_is_served_with_nothing_run_by_hand(
    runner, cache, busybox, caddy_image, registry, machines, build_host, tmp_path, variant: str, podman: str
):
    t_test = time.monotonic()
    m, port, cafile = boot(runner, cache, busybox, caddy_image, registry, machines, build_host, tmp_path, variant, podman)
    booted = time.time()
    with SitePoller(port, SITE, cafile, visitors=VISITORS) as visitors:
        time.sleep(2)
        pushed = time.time()
        oci.push(version_image(busybox, "v2"), registry.address, "site")
        end = time.monotonic() + 75
        while (first := visitors.first(page("v2"), since=pushed)) is None and time.monotonic() < end:
            time.sleep(0.2)
        assert first is not None, f"v2 never served; the last answers: {visitors.answers()[-3:]}"
        served_at = first.sent + first.took
        time.sleep(5)  # v2 keeps answering
    served = served_at - pushed
    swap = visitors.answers(since=pushed, until=served_at + 5)
    started = [t for t in auto_update_starts(m) if t > pushed]
    print(f"b: push -> v2 served {served:.1f}s (the timer started podman-auto-update {started[0] - pushed:.1f}s after the push); "
          f"{len(swap)} requests during the swap, {len(bad_answers(swap, page('v1'), page('v2')))} failed, "
          f"longest {max(a.took for a in swap):.2f}s; whole test {time.monotonic() - t_test:.0f}s")

    assert served <= 60, f"v2 served {served:.1f}s after the push"
    assert len(swap) >= 200, f"only {len(swap)} requests during the swap"
    assert not bad_answers(swap, page("v1"), page("v2")), bad_answers(swap, page("v1"), page("v2"))[:5]
    late_v1 = [a for a in swap if a.body == page("v1") and a.sent + a.took > served_at]
    assert not late_v1, f"v1 answered after v2 had: {late_v1[:3]}"
    assert running_image(m) == image_id(version_image(busybox, "v2"))
    # nothing ran by hand: the timer started every podman-auto-update run, on its schedule
    runs = [t for t in auto_update_starts(m) if t > booted]
    late = [round(t % PERIOD, 1) for t in runs]
    assert started and len(runs) >= 2 and max(late) < 3, f"runs {late} s after their {PERIOD}-s mark"


def rollback_episode(
    m: Machine, port: int, cafile: Path, registry: Registry, bad: oci.Image, good: oci.Image
) -> tuple[float, float, float, list[Answer]]:
    """Push ``bad`` under the site's tag; once podman-auto-update has pulled it, ``good`` goes back
    under the tag (so that the next runs of the timer leave the site alone: one episode). Returns
    the times of the push, of the bad image's pull and of the rollback, and the visitors' answers
    from the push until 3 s after the rollback."""
    with SitePoller(port, SITE, cafile, visitors=VISITORS) as visitors:
        time.sleep(2)
        pushed = time.time()
        oci.push(bad, registry.address, "site")
        pulled = wait_journal(m, f"image pull {image_id(bad).removeprefix('sha256:')} ", pushed)
        oci.push(good, registry.address, "site")
        end = time.monotonic() + 90
        while not (done := rollbacks(m, pushed)) and time.monotonic() < end:
            time.sleep(0.5)
        if not done:
            print("\n".join(f"{t - pushed:7.2f} {msg[:220]}" for t, msg in journal(m) if t > pushed - 1))
        assert done, "no rollback in the journal"
        time.sleep(3)
    episode = visitors.answers(since=pushed)
    print(f"push -> bad image pulled {pulled - pushed:.1f}s -> rolled back {done[0] - pushed:.1f}s; {len(episode)} requests, "
          f"{len(bad_answers(episode, page('v1')))} not v1, longest {max(a.took for a in episode):.2f}s")
    return pushed, pulled, done[0], episode


def uncovered(answers: list[Answer], start: float, end: float) -> float:
    """The longest stretch of [start, end] during which no visitor had a request out: visitors who
    keep asking through the whole episode leave only the moments between one answer and the next."""
    longest, at = 0.0, start
    for a in sorted(answers, key=lambda a: a.sent):
        if a.sent > at:
            longest = max(longest, min(a.sent, end) - at)
        at = max(at, a.sent + a.took)
        if at >= end:
            break
    return max(longest, end - at)


def wait_journal(m: Machine, text: str, since: float, timeout: float = 60) -> float:
    """When a line with ``text`` was logged (after ``since``), waiting for it."""
    end = time.monotonic() + timeout
    while not (hits := [t for t, msg in journal(m, "-t", "podman") if t >= since and text in msg]):
        assert time.monotonic() < end, f"no {text!r} in the journal after {timeout:.0f}s"
        time.sleep(0.25)
    return hits[0]


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_an_unhealthy_image_is_rolled_back_with_the_site_up(
    runner, cache, busybox, caddy_image, registry, machines, build_host, tmp_path, variant: str, podman: str
):
    t_test = time.monotonic()
    m, port, cafile = boot(runner, cache, busybox, caddy_image, registry, machines, build_host, tmp_path, variant, podman, QUICK_CHECK)
    v1, bad = version_image(busybox, "v1"), version_image(busybox, "bad", UNHEALTHY)
    # the bad image starts and listens: / answers, the health path answers 500 (run apart, on the machine)
    oci.push(bad, registry.address, "site", "unhealthy")
    probe = ("httpd -p 8080 -h /www; sleep 0.5; wget -q -O - http://127.0.0.1:8080/;"
             " wget -S -O /dev/null http://127.0.0.1:8080/cgi-bin/health 2>&1; echo health-exit=$?")
    out = m.exec(["podman", "run", "--rm", "--network", "none", f"{C.registry_name_in_guest()}/site:unhealthy", "sh", "-c", probe]).stdout
    assert page("bad") in out and re.search(rf"HTTP/1\.[01] {UNHEALTHY}", out) and "health-exit=1" in out, out

    pushed, pulled, rolled_back, episode = rollback_episode(m, port, cafile, registry, bad, v1)
    print(f"c (unhealthy): whole test {time.monotonic() - t_test:.0f}s")

    # every answer from the push until after the rollback is the old version's, and the visitors asked
    # all the time (never more than a second without a request out)
    assert not bad_answers(episode, page("v1")), bad_answers(episode, page("v1"))[:5]
    assert uncovered(episode, pulled, rolled_back) < 1.0, f"visitors paused {uncovered(episode, pulled, rolled_back):.1f}s"
    # the bad image ran and failed its check (probed from the host: the unit's start failed), and
    # visitors were waiting for an answer while it ran: the first container started after the push
    events = journal(m, "-t", "podman")
    started = {hit[1]: t for t, msg in events if t > pushed and (hit := CONTAINER_START.search(msg))}
    log = [msg for t, msg in journal(m, "-u", "site.service") if t > pushed]
    assert any("site is unhealthy" in msg for msg in log), log[-20:]
    cid = min(started, key=lambda c: started[c])
    removed = next(t for t, msg in events if f"container remove {cid}" in msg)
    assert any(a.sent <= removed and a.sent + a.took >= started[cid] for a in episode), "no request while the bad container ran"
    assert running_image(m) == image_id(v1) and m.is_active("site.service") == "active"


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_an_image_that_cannot_start_is_rolled_back_with_the_site_up(
    runner, cache, busybox, caddy_image, registry, machines, build_host, site_image, tmp_path, variant: str, podman: str
):
    t_test = time.monotonic()
    m, port, cafile = boot(runner, cache, busybox, caddy_image, registry, machines, build_host, tmp_path, variant, podman, QUICK_CHECK)
    v1, broken = version_image(busybox, "v1"), site_image(busybox, "broken", broken=True)  # no busybox in it: nothing can run
    _, pulled, rolled_back, episode = rollback_episode(m, port, cafile, registry, broken, v1)
    print(f"c (cannot start): whole test {time.monotonic() - t_test:.0f}s")

    assert not bad_answers(episode, page("v1")), bad_answers(episode, page("v1"))[:5]
    assert uncovered(episode, pulled, rolled_back) < 1.0, f"visitors paused {uncovered(episode, pulled, rolled_back):.1f}s"
    assert running_image(m) == image_id(v1) and m.is_active("site.service") == "active"
