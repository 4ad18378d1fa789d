"""Benchmark `hostform build`: generated hosts of 10, 100 and 1000 services.

Each host has N services (half with a health check, every fourth with a
volume) and a site for every other service. Prints the best of a few runs of
the whole in-memory build (load, render, Butane, Ignition, checks when
present), wall-clock and CPU time (the CPU figure is steadier on a shared
machine), then the time per service, which should stay flat (linear): the
last line compares the per-service time of the largest host with that of the
middle one (1000 vs 100: within 1.5x).  Target: 1000 services under 2 s.

    python benchmarks/bench_build.py [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def host_text(n: int) -> str:
    lines = ["name: bench", "services:"]
    for i in range(n):
        lines.append(f"  svc{i}:")
        lines.append(f"    image: ghcr.io/example/svc{i}:latest")
        lines.append(f"    port: {8000 + i % 1000}")
        lines.append(f"    env: {{INDEX: \"{i}\", MODE: production}}")
        if i % 2 == 0:
            lines.append("    health: {http: /healthz}")
        if i % 4 == 0:
            lines.append(f"    volumes: {{data{i}: /var/lib/svc}}")
    lines.append("sites:")
    for i in range(0, n, 2):
        lines.append(f"  s{i}.example.org: svc{i}")
    lines.append("tls: {email: ops@example.org}")
    return "\n".join(lines) + "\n"


def build_once(d: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one build of ``d``."""
    from hostform import pipeline
    from hostform.host.build import outputs

    t, c = time.perf_counter(), time.process_time()
    b = pipeline.build(d, pipeline.Options(caddy="off"))
    if b.ignition is None:
        sys.exit("build failed:\n" + b.report.format())
    outputs(b)
    return time.perf_counter() - t, time.process_time() - c


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="10,100,1000")
    args = ap.parse_args()
    print(f"{'services':>8}  {'best wall (s)':>13}  {'best CPU (s)':>12}  {'per service (ms)':>16}")
    per: dict[int, float] = {}
    for n in (int(x) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            (d / "hostform.yaml").write_text(host_text(n))
            build_once(d)  # warm: imports, caches
            runs = [build_once(d) for _ in range(args.repeat)]
        wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        per[n] = wall / n
        print(f"{n:>8}  {wall:>13.3f}  {cpu:>12.3f}  {wall / n * 1000:>16.3f}")
    sizes = sorted(per)
    if len(sizes) >= 2:
        big, mid = sizes[-1], sizes[-2]
        ratio = per[big] / per[mid]
        verdict = "linear" if ratio <= 1.5 else "NOT linear"
        print(f"per-service time {big} vs {mid}: {ratio:.2f}x ({verdict}; goal <= 1.5x)")
        print(f"{big} services: {per[big] * big:.3f} s ({'under' if per[big] * big < 2 else 'OVER'} the 2 s goal)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
