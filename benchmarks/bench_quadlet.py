"""Whole-process `hostform quadlet -dryrun` against podman's real generator.

Input: a temporary copy of shared/reference/tinkerbell/files/*.container and
web.pod (QUADLET_UNIT_DIRS points at it). Each tool runs RUNS times after one
warm-up run, the three commands taking turns (so that a busy machine weighs on
each alike). It prints the medians and two ratios: hostform against the real
generator (goal: at most 3x, --max-ratio) and against a bare ``python -c pass``
in the same venv (goal: at most 1.5x, --max-startup-ratio; the interpreter's
start-up is a floor no Python drop-in can go below), and exits 1 when either is
above its goal.

    .venv/bin/python benchmarks/bench_quadlet.py [--runs 15] [--max-ratio 3] [--max-startup-ratio 1.5]

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


def time_runs(argvs: list[list[str]], env: dict[str, str], runs: int) -> tuple[list[list[float]], list[str]]:
    """Each command once (its output kept), then ``runs`` rounds of every command in turn: their times."""
    outs = []
    for argv in argvs:
        first = subprocess.run(argv, env=env, capture_output=True, text=True)
        if first.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {first.returncode}:\n{first.stderr}")
        outs.append(first.stdout)
    times: list[list[float]] = [[] for _ in argvs]
    for _ in range(runs):
        for i, argv in enumerate(argvs):
            t0 = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[i].append(time.perf_counter() - t0)
    return times, outs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--max-ratio", type=float, default=3.0)
    ap.add_argument("--max-startup-ratio", type=float, default=1.5)
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
        argvs = [[*hostform_command(), "quadlet", "-dryrun"], [str(real), "-dryrun"], [sys.executable, "-c", "pass"]]
        (ours, theirs, bare), (ours_out, theirs_out, _) = time_runs(argvs, env, args.runs)

    m_ours, m_theirs, m_bare = statistics.median(ours), statistics.median(theirs), statistics.median(bare)
    ratio = m_ours / m_theirs
    startup = m_ours / m_bare
    units = lambda out: sorted(ln for ln in out.splitlines() if ln.startswith("---"))  # noqa: E731
    print(f"input: {len(sources)} files ({', '.join(p.name for p in sources)})")
    print(f"hostform quadlet -dryrun : median {m_ours * 1000:7.1f} ms over {args.runs} runs (min {min(ours) * 1000:.1f})")
    print(f"podman {args.version} quadlet -dryrun: median {m_theirs * 1000:7.1f} ms over {args.runs} runs (min {min(theirs) * 1000:.1f})")
    print(f"python -c pass (floor)   : median {m_bare * 1000:7.1f} ms")
    print(f"ratio hostform/podman: {ratio:.2f}x (goal <= {args.max_ratio:g}x)")
    print(f"ratio hostform/python -c pass: {startup:.2f}x (goal <= {args.max_startup_ratio:g}x)")
    if units(ours_out) != units(theirs_out):
        print(f"note: the unit sets differ: hostform {units(ours_out)} vs podman {units(theirs_out)}")
    return 0 if ratio <= args.max_ratio and startup <= args.max_startup_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
