"""Benchmark: whole-process `hostform butane -d . main.bu` against a bare Python start.

Runs, in the reference deployment's directory (../shared/reference/tinkerbell),

    hostform butane -d . main.bu        (the installed launcher, as a user runs it)
    python -c pass                      (the same interpreter, doing nothing)

interleaved, and prints both medians and their ratio. Goal (issue 2): at most
2.0, since the Go binary takes about as long as a bare Python start. If a
`butane` binary is on PATH it is timed too, for reference.

Usage: python benchmarks/bench_butane.py [--runs N] [--max-ratio R]
Exit status 1 when the ratio is above --max-ratio (default 2.0).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "tinkerbell"


def hostform_cmd() -> list[str]:
    launcher = Path(sys.executable).with_name("hostform")
    if launcher.exists():
        return [str(launcher)]
    found = shutil.which("hostform")
    if found:
        return [found]
    return [sys.executable, "-m", "hostform"]


def time_once(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--max-ratio", type=float, default=2.0)
    args = ap.parse_args()

    commands = {
        "hostform butane": hostform_cmd() + ["butane", "-d", ".", "main.bu"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    go = shutil.which("butane")
    if go:
        commands["butane (Go)"] = [go, "-d", ".", "main.bu"]
    env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    # A regular `pip install` compiles bytecode; an editable install does not,
    # and PYTHONDONTWRITEBYTECODE (set on some machines) stops Python writing
    # it lazily. Compile it once, as an install would, so that we time
    # start-up and not the compiler.
    import compileall

    import hostform

    compileall.compile_dir(str(Path(hostform.__file__).parent), quiet=1)
    for cmd in commands.values():  # warm caches, compile bytecode
        for _ in range(3):
            time_once(cmd, REFERENCE)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(time_once(cmd, REFERENCE))
    med = {name: statistics.median(s) for name, s in samples.items()}
    print(f"butane start-up benchmark ({args.runs} runs each, {env_note}), cwd {REFERENCE}")
    for name, m in med.items():
        print(f"  {name:<18} median {m * 1000:7.2f} ms  (min {min(samples[name]) * 1000:.2f} ms)")
    ratio = med["hostform butane"] / med["python -c pass"]
    verdict = "ok" if ratio <= args.max_ratio else "TOO SLOW"
    print(f"ratio hostform butane / python -c pass: {ratio:.2f} (goal <= {args.max_ratio}): {verdict}")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
