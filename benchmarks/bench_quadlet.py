"""Whole-process `hostform quadlet -dryrun` against podman's real generator.

Input: a temporary copy of shared/reference/tinkerbell/files/*.container and
web.pod (QUADLET_UNIT_DIRS points at it). Each tool runs RUNS times after one
warm-up run; the script prints both medians and their ratio (goal: hostform
at most 3x the real generator) and exits 1 when the ratio is above --max-ratio.
It also times a bare ``python -c pass``: the interpreter's start-up is a floor
that no Python drop-in can go below.

    .venv/bin/python benchmarks/bench_quadlet.py [--runs 15] [--max-ratio 3]

The real generator comes from hostform.quadlet.realgen.find_real_quadlet()
(fetch it with `.ci/get-podman`); without one the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hostform.quadlet.realgen import FETCH_COMMAND, find_real_quadlet

ROOT = Path(__file__).resolve().parents[1]
TINKERBELL = ROOT.parent / "shared" / "reference" / "tinkerbell" / "files"


def hostform_command() -> list[str]:
    script = Path(sys.executable).with_name("hostform")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "hostform"]


def time_runs(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], str]:
    first = subprocess.run(argv, env=env, capture_output=True, text=True)
    if first.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {first.returncode}:\n{first.stderr}")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return times, first.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--max-ratio", type=float, default=3.0)
    ap.add_argument("--version", default="5.4", help="which real generator to compare with (default 5.4)")
    args = ap.parse_args(argv)
    # Time start-up, not the compiler: a regular install compiles bytecode, an
    # editable one does not, and PYTHONDONTWRITEBYTECODE stops lazy writes.
    import compileall

    import hostform

    compileall.compile_dir(str(Path(hostform.__file__).parent), quiet=1)

    real = find_real_quadlet(args.version)
    if real is None:
        print(f"bench_quadlet: no real podman {args.version} generator; run `{FETCH_COMMAND.get(args.version)}`")
        return 0
    sources = sorted(TINKERBELL.glob("*.container")) + [TINKERBELL / "web.pod"]
    if not all(p.is_file() for p in sources):
        print(f"bench_quadlet: {TINKERBELL} not found")
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-quadlet-") as tmp:
        for p in sources:
            shutil.copyfile(p, Path(tmp) / p.name)
        env = {"QUADLET_UNIT_DIRS": tmp, "PODMAN": "/usr/bin/podman", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        ours, ours_out = time_runs([*hostform_command(), "quadlet", "-dryrun"], env, args.runs)
        theirs, theirs_out = time_runs([str(real), "-dryrun"], env, args.runs)
        bare, _ = time_runs([sys.executable, "-c", "pass"], env, args.runs)

    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    ratio = m_ours / m_theirs
    units = lambda out: sorted(ln for ln in out.splitlines() if ln.startswith("---"))  # noqa: E731
    print(f"input: {len(sources)} files ({', '.join(p.name for p in sources)})")
    print(f"hostform quadlet -dryrun : median {m_ours * 1000:7.1f} ms over {args.runs} runs (min {min(ours) * 1000:.1f})")
    print(f"podman {args.version} quadlet -dryrun: median {m_theirs * 1000:7.1f} ms over {args.runs} runs (min {min(theirs) * 1000:.1f})")
    print(f"python -c pass (floor)   : median {statistics.median(bare) * 1000:7.1f} ms")
    print(f"ratio hostform/podman: {ratio:.2f}x (goal <= {args.max_ratio:g}x)")
    if units(ours_out) != units(theirs_out):
        print(f"note: the unit sets differ: hostform {units(ours_out)} vs podman {units(theirs_out)}")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
