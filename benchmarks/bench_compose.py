"""Side by side with podlet: `hostform import compose` and `podlet compose` on the Compose corpus.

For every entry of the corpus (tests/compose/corpus/, one directory per project; its SOURCES.md says which
files each is imported from), or for each FILE given, in one run:

    podlet --file OUT compose FILE        (podlet's plain default: a .container per service)
    hostform import compose [FILE ...] -o OUT   (the installed launcher; the entry's files as the corpus
                                                 test imports them: none named = compose.yaml and its override)

each in the entry's directory with the same clean environment as the corpus test (PATH, HOME, LANG, PWD,
PYTHONPATH; NO_COLOR=1), writing into a fresh empty temporary directory, never into the corpus. podlet
reads one file: it gets the entry's main file (the one `docker compose` would find, else the first named);
where hostform reads more (an override, several -f files) the row is marked `+` and the totals are also
given over the entries where both read exactly the same file. It counts, per entry and in total:

converted
    the tool exited 0 and wrote its output (podlet: at least one file in OUT; hostform: OUT/hostform.yaml);
services
    the services carried: podlet's OUT/*.container; hostform's services in OUT/hostform.yaml plus its plain
    quadlets OUT/quadlets/*.container; 0 when the tool aborted. "in" is the service names under `services:`
    in the files hostform reads, as plain YAML (profiles and extends not applied);
time
    the median wall time of --runs runs of each command, subprocess start included, the two tools taking
    turns (``python -c pass`` beside them: the floor of any Python tool's start); and, for reference, hostform's conversion in-process (``hostform.compose.import_compose``:
    no interpreter start, nothing written).

It prints a table per entry, each tool's error for what it aborted on (podlet's cause chain on one line,
its generic first cause left out), the totals and the verdict: the goal (issue 16) is that hostform
converts more files and carries more services than podlet. Exit status 1 when it does not.

    python benchmarks/bench_compose.py [--runs 5] [--podlet PATH] [FILE ...]

podlet comes from crates.io (`cargo install podlet`): on PATH, else ~/.cargo/bin/podlet. Without it, or
without the corpus, the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.compose.coverage: the corpus's entries and the test's environment

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TOOLS = ("podlet", "hostform")


@dataclass(frozen=True)
class Case:
    """One row: a directory, the files hostform is given (none: found as docker compose finds them), podlet's file."""

    name: str
    cwd: Path
    files: tuple[str, ...]
    podlet_file: str

    def read_by_hostform(self) -> list[Path]:
        from hostform.compose.project import find_default_files

        return [self.cwd / f for f in self.files] if self.files else find_default_files(self.cwd)

    @property
    def same_input(self) -> bool:
        """Both tools read exactly one and the same file."""
        return [p.name for p in self.read_by_hostform()] == [Path(self.podlet_file).name]


@dataclass(frozen=True)
class Outcome:
    """What one tool made of one case: converted or not, services carried, why it aborted."""

    converted: bool
    services: int
    error: str = ""


def skip(why: str) -> int:
    print(f"bench_compose: skipped: {why}")
    return 0


def find_podlet(given: str | None) -> Path | None:
    if given:
        return Path(given)
    found = shutil.which("podlet")
    if found:
        return Path(found)
    cargo = Path.home() / ".cargo" / "bin" / "podlet"
    return cargo if cargo.is_file() else None


def hostform_command() -> list[str]:
    script = Path(sys.executable).with_name("hostform")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "hostform"]


def corpus_cases() -> list[Case]:
    """The corpus's entries, imported as tests/compose/test_corpus.py imports them."""
    from hostform.compose.project import DEFAULT_FILES
    from tests.compose.coverage import corpus_entries

    cases = []
    for e in corpus_entries():
        main = next((f for f in e.files if f in DEFAULT_FILES), e.files[0]) if e.files else \
            next(n for n in DEFAULT_FILES if (e.path / n).is_file())
        cases.append(Case(e.name, e.path, e.files, main))
    return cases


def file_cases(files: list[Path]) -> list[Case]:
    return [Case(str(f), f.resolve().parent, (f.name,), f.name) for f in files]


# -- what to run -------------------------------------------------------------


def podlet_argv(podlet: Path, case: Case, out: Path) -> list[str]:
    return [str(podlet), "--file", str(out), "compose", case.podlet_file]


def hostform_argv(case: Case, out: Path) -> list[str]:
    return [*hostform_command(), "import", "compose", *case.files, "-o", str(out)]


# -- what it printed, what it wrote ------------------------------------------


def podlet_error(stderr: str) -> str:
    """podlet's cause chain ("0: error converting compose file", "1: ...") on one line, generic first cause left out."""
    text = ANSI.sub("", stderr)
    causes = []
    for line in text.splitlines():
        m = re.match(r"\s*\d+: (.*)", line)
        if m:
            causes.append(m.group(1).strip())
        elif causes:
            break
    if causes[:1] == ["error converting compose file"] and len(causes) > 1:
        causes = causes[1:]
    if causes:
        return ": ".join(causes)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else ""


def hostform_error(stderr: str) -> str:
    """The first error line of hostform's stderr (the report's warnings come before it)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() or "traceback" in ln.lower()]
    return (errors or lines or [""])[0]


def podlet_outcome(code: int, stderr: str, out: Path) -> Outcome:
    written = sorted(out.iterdir()) if out.is_dir() else []
    if code != 0:
        return Outcome(False, 0, f"exit {code}: {podlet_error(stderr)}")
    if not written:
        return Outcome(False, 0, "exit 0 but nothing written")
    return Outcome(True, sum(1 for p in written if p.suffix == ".container"))


def services_in(yaml_file: Path) -> list[str]:
    """The names under `services:` of a YAML file (a hostform.yaml or a Compose file), read as plain YAML."""
    from hostform import yamlpos

    data = yamlpos.resolve(yamlpos.load(yaml_file.read_bytes()))
    services = data.get("services") if isinstance(data, dict) else None
    return [str(k) for k in services] if isinstance(services, dict) else []


def hostform_outcome(code: int, stderr: str, out: Path) -> Outcome:
    host = out / "hostform.yaml"
    if code != 0:
        return Outcome(False, 0, f"exit {code}: {hostform_error(stderr)}")
    if not host.is_file():
        return Outcome(False, 0, "exit 0 but no hostform.yaml")
    quadlets = out / "quadlets"
    plain = sum(1 for _ in quadlets.glob("*.container")) if quadlets.is_dir() else 0
    return Outcome(True, len(services_in(host)) + plain)


def input_services(case: Case) -> int | None:
    """The service names under `services:` in the files hostform reads; None when one is not YAML."""
    from hostform import yamlpos

    names: set[str] = set()
    try:
        for f in case.read_by_hostform():
            names.update(services_in(f))
    except (yamlpos.YAMLError, OSError, UnicodeDecodeError):
        return None
    return len(names)


def report_lines(out: Path) -> int | None:
    """The lines of hostform's import-report.txt (keys not carried, or carried differently)."""
    report = out / "import-report.txt"
    return len(report.read_text().splitlines()) if report.is_file() else None


# -- running -----------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    argv: Callable[[Case, Path], list[str]]
    outcome: Callable[[int, str, Path], Outcome]


@dataclass(frozen=True)
class Result:
    case: Case
    inputs: int | None
    outcomes: dict[str, Outcome]
    medians: dict[str, float]
    reported: int | None


def run_env(cwd: Path, home: Path) -> dict[str, str]:
    """The corpus test's environment (Compose interpolates from it), uncoloured."""
    from tests.compose.coverage import clean_env

    return {**clean_env(cwd, home), "NO_COLOR": "1"}


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def in_process_once(case: Case, out: Path, env: dict[str, str]) -> float:
    """One conversion through hostform.compose.import_compose, in this process (nothing written)."""
    from hostform.compose import import_compose

    files = [(p, os.path.relpath(p, case.cwd)) for p in case.read_by_hostform()]
    old = Path.cwd()
    os.chdir(case.cwd)
    try:
        t0 = time.perf_counter()
        import_compose(files, out, env)
        return time.perf_counter() - t0
    finally:
        os.chdir(old)


def bench_case(case: Case, tools: list[Tool], runs: int, tmp: Path, in_process: bool) -> Result:
    env = run_env(case.cwd, tmp)

    def fresh() -> Path:
        return Path(tempfile.mkdtemp(dir=tmp, prefix="out-"))

    outcomes: dict[str, Outcome] = {}
    kept: dict[str, Path] = {}
    for tool in tools:  # the first run (a warm-up too): its output is what is counted
        out = fresh()
        _, proc = run_once(tool.argv(case, out), case.cwd, env)
        outcomes[tool.name] = tool.outcome(proc.returncode, proc.stderr, out)
        kept[tool.name] = out
    times: dict[str, list[float]] = {tool.name: [] for tool in tools}
    times["python -c pass"] = []
    for _ in range(runs):
        for tool in tools:
            out = fresh()
            elapsed, _ = run_once(tool.argv(case, out), case.cwd, env)
            times[tool.name].append(elapsed)
            shutil.rmtree(out)
        times["python -c pass"].append(run_once([sys.executable, "-c", "pass"], case.cwd, env)[0])
    medians = {name: statistics.median(t) for name, t in times.items()}
    if in_process:
        out = fresh()
        in_process_once(case, out, env)  # warm: imports
        medians["in-process"] = statistics.median(in_process_once(case, out, env) for _ in range(runs))
    result = Result(case, input_services(case), outcomes, medians, report_lines(kept["hostform"]))
    for out in kept.values():
        shutil.rmtree(out)
    return result


# -- printing ----------------------------------------------------------------


def cell(o: Outcome) -> str:
    return str(o.services) if o.converted else "ABORT"


def totals(label: str, results: list[Result]) -> tuple[bool, bool]:
    """Print the counts over RESULTS; whether hostform is ahead on files converted and on services carried."""
    n = len(results)
    conv = {t: sum(r.outcomes[t].converted for r in results) for t in TOOLS}
    svc = {t: sum(r.outcomes[t].services for r in results) for t in TOOLS}
    inputs = sum(r.inputs or 0 for r in results)
    print(f"{label} ({n} entries):")
    print(f"  converted without aborting: podlet {conv['podlet']}/{n}, hostform {conv['hostform']}/{n}")
    print(f"  services carried:           podlet {svc['podlet']}, hostform {svc['hostform']} (of {inputs} under `services:`)")
    return conv["hostform"] > conv["podlet"], svc["hostform"] > svc["podlet"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="compose files, each a case of its own (default: the corpus)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each command per entry (default 5)")
    ap.add_argument("--podlet", help="the podlet binary (default: podlet on PATH, then ~/.cargo/bin/podlet)")
    ap.add_argument("--no-in-process", action="store_true", help="do not time hostform's conversion in-process")
    args = ap.parse_args(argv)

    podlet = find_podlet(args.podlet)
    if podlet is None or not podlet.is_file():
        return skip("no podlet on PATH nor in ~/.cargo/bin; install it with `cargo install podlet`")
    from tests.compose.coverage import CORPUS

    if args.files:
        cases = file_cases(args.files)
    elif (CORPUS / "SOURCES.md").is_file():
        cases = corpus_cases()
    else:
        return skip(f"no corpus at {CORPUS}")
    # Time start-up, not the compiler: a regular install compiles bytecode, an
    # editable one does not, and PYTHONDONTWRITEBYTECODE stops lazy writes.
    import compileall

    import hostform

    compileall.compile_dir(str(Path(hostform.__file__).parent), quiet=1)
    version = subprocess.run([str(podlet), "--version"], capture_output=True, text=True).stdout.strip()

    tools = [
        Tool("podlet", lambda c, o: podlet_argv(podlet, c, o), podlet_outcome),
        Tool("hostform", hostform_argv, hostform_outcome),
    ]
    in_process = not args.no_in_process
    with tempfile.TemporaryDirectory(prefix="bench-compose-") as tmp:
        results = []
        for i, c in enumerate(cases, 1):
            print(f"bench_compose: [{i}/{len(cases)}] {c.name}", file=sys.stderr)
            results.append(bench_case(c, tools, args.runs, Path(tmp), in_process))

    print(f"{version} vs hostform {hostform.__version__} (python {sys.version.split()[0]}, {os.cpu_count()} CPUs),"
          f" median of {args.runs} runs per entry")
    print("podlet, hostform: services carried (ABORT: no output); in: names under the input's `services:`;"
          " rep: lines of hostform's import-report.txt; +: hostform reads more files than podlet's one")
    width = max(len("entry"), *(len(r.case.name) + 2 for r in results))
    head = f"{'entry':<{width}} {'in':>3} {'podlet':>6} {'hostform':>8} {'rep':>4}  {'podlet ms':>9} {'hostform ms':>11}"
    print(head + (f" {'in-process ms':>13}" if in_process else ""))
    for r in results:
        name = r.case.name + ("" if r.case.same_input else " +")
        row = (f"{name:<{width}} {'-' if r.inputs is None else r.inputs:>3} {cell(r.outcomes['podlet']):>6}"
               f" {cell(r.outcomes['hostform']):>8} {'-' if r.reported is None else r.reported:>4}"
               f"  {r.medians['podlet'] * 1000:>9.1f} {r.medians['hostform'] * 1000:>11.1f}")
        print(row + (f" {r.medians['in-process'] * 1000:>13.1f}" if in_process else ""))

    for tool in TOOLS:
        aborted = [r for r in results if not r.outcomes[tool].converted]
        if aborted:
            print(f"\n{tool} aborted on {len(aborted)} of {len(results)}:")
            for r in aborted:
                print(f"  {r.case.name}: {r.outcomes[tool].error}")

    print()
    files_ahead, services_ahead = totals("totals", results)
    same = [r for r in results if r.case.same_input]
    if len(same) != len(results):
        same_files, same_services = totals("where both read the same one file", same)
        files_ahead, services_ahead = files_ahead and same_files, services_ahead and same_services
    keys = [*TOOLS, *(["in-process"] if in_process else []), "python -c pass"]
    labels = {"in-process": "hostform in-process:", "python -c pass": "python -c pass:"}
    print("time per entry:")
    for k in keys:
        per = [r.medians[k] for r in results]
        print(f"  {labels.get(k, k + ':'):<20} median {statistics.median(per) * 1000:7.1f} ms, sum {sum(per) * 1000:8.1f} ms")
    ratio = statistics.median(r.medians["hostform"] for r in results) / statistics.median(r.medians["podlet"] for r in results)
    print(f"  hostform/podlet (medians): {ratio:.1f}x")
    word = {True: "ahead", False: "NOT ahead"}
    ok = files_ahead and services_ahead
    print(f"verdict: hostform is {word[files_ahead]} on files converted and {word[services_ahead]} on services carried"
          f" (goal: ahead on both{', in both totals' if len(same) != len(results) else ''}): {'ok' if ok else 'GOAL MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
