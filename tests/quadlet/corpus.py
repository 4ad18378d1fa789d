"""A corpus of real-world quadlet sets, with what podman 5.4, 5.8 and 6.1 really generate from each.

The corpus is gathered from public repositories (self-hosters' pods, Nextcloud, Immich, Paperless,
Authentik, Gitea, ...) with the search tools of the development machines, and is NOT part of the
project: its files are other people's, and the project commits no text from elsewhere. It lives
beside the checkout, like ../shared, in ``../corpus/quadlet`` (or ``$HOSTFORM_QUADLET_CORPUS``):

    sets/OWNER__REPO__DIR/   one set: the quadlet files of one directory of one repository, byte for
                             byte, drop-in directories included
        SOURCE.json          {"repo", "commit", "dir", "files": {name: path in the repository}, "found_by"}
        real.json            what the real generators did (written by ``record``, below)

``real.json`` holds, per release and mode (``system``, ``user``), the exact outcome of a run
(tests/quadlet/exact.py: exit code, every file and symlink of the output directory, the ``-v`` log),
with the unit directory spelt QDIR and the generator's path QUADLET, and the versions the binaries
reported. tests/quadlet/test_corpus.py compares hostform with it; no real generator is needed then.

    python -m tests.quadlet.corpus record     # run the real generators (.ci/get-podman) over every set
    python -m tests.quadlet.corpus measure    # hostform against the records: figures and differences
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .exact import Outcome, differences, our_outcome, real_outcome

VERSIONS = ("5.4", "5.8", "6.1")
MODES = ("system", "user")
ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    env = os.environ.get("HOSTFORM_QUADLET_CORPUS")
    return Path(env) if env else ROOT.parent / "corpus" / "quadlet"


def sets(corpus: Path | None = None) -> list[Path]:
    """Every set directory of the corpus, by name."""
    base = (corpus or corpus_dir()) / "sets"
    return sorted(p for p in base.iterdir() if (p / "SOURCE.json").is_file()) if base.is_dir() else []


@contextmanager
def unit_dir(set_dir: Path) -> Iterator[Path]:
    """A copy of the set's quadlet files (and drop-in directories) alone, as a generator's unit directory."""
    with tempfile.TemporaryDirectory(prefix="hf-corpus-") as tmp:
        q = Path(tmp) / "q"
        shutil.copytree(set_dir, q, symlinks=True, ignore=lambda d, names: [n for n in names if n in ("SOURCE.json", "real.json")])
        yield q


def compare_all(set_dir: Path) -> dict[tuple[str, str], list[str]] | None:
    """hostform against every record of one set: (version, mode) -> differences (None: not recorded)."""
    rec = recorded(set_dir)
    if rec is None:
        return None
    with unit_dir(set_dir) as q:
        return {(v, m): differences(rec[v][m], our_outcome(q, v, m == "user")) for v in rec for m in MODES}


def _outcome_json(o: Outcome) -> dict[str, object]:
    return {"code": o.code, "tree": o.tree, "log": o.log}


def recorded(set_dir: Path) -> dict[str, dict[str, Outcome]] | None:
    """version -> mode -> the real generator's outcome, from ``real.json``; None when not recorded."""
    path = set_dir / "real.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return {v: {m: Outcome(r["code"], r["tree"], r["log"], v) for m, r in data["runs"][v].items()} for v in data["runs"]}


def record(corpus: Path, binaries: dict[str, Path], full_versions: dict[str, str]) -> int:
    n = 0
    for s in sets(corpus):
        runs: dict[str, dict[str, object]] = {}
        with unit_dir(s) as q:
            for v, binary in binaries.items():
                runs[v] = {m: _outcome_json(real_outcome(binary, q, v, m == "user")) for m in MODES}
        data = {"generators": full_versions, "runs": runs}
        (s / "real.json").write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.quadlet.corpus", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=("record", "measure"))
    ap.add_argument("--corpus", type=Path, default=None, help="the corpus directory (default: ../corpus/quadlet)")
    ap.add_argument("--version", action="append", choices=VERSIONS, help="only these releases (repeatable)")
    ap.add_argument("--show", type=int, default=3, help="difference lines shown per differing set (measure)")
    args = ap.parse_args(argv)
    corpus = args.corpus or corpus_dir()
    chosen = args.version or list(VERSIONS)
    if not sets(corpus):
        print(f"no corpus at {corpus} (see the docstring of tests/quadlet/corpus.py)", file=sys.stderr)
        return 1
    if args.action == "record":
        from hostform.quadlet.realgen import FETCH_COMMAND, find_real_quadlet, real_version

        binaries: dict[str, Path] = {}
        full: dict[str, str] = {}
        for v in chosen:
            b = find_real_quadlet(v)
            if b is None:
                print(f"no real podman {v} generator: run {FETCH_COMMAND[v]}", file=sys.stderr)
                return 1
            binaries[v], full[v] = b, real_version(b) or "?"
        print(f"recorded {record(corpus, binaries, full)} sets with {', '.join(full.values())}")
        return 0
    all_sets = sets(corpus)
    repos = {json.loads((s / "SOURCE.json").read_text())["repo"] for s in all_sets}
    print(f"{len(all_sets)} sets from {len(repos)} repositories")
    results = {s.name: compare_all(s) or {} for s in all_sets}
    for v in chosen:
        for m in MODES:
            same, differ = 0, []
            for name, got in results.items():
                d = got.get((v, m))
                if d is None:
                    continue
                if d:
                    differ.append((name, d))
                else:
                    same += 1
            total = same + len(differ)
            pct = 100.0 * same / total if total else 0.0
            print(f"podman {v} {m}: {same}/{total} identical ({pct:.1f}%)")
            for name, d in differ:
                print(f"  {name}")
                for line in d[: args.show]:
                    print(f"    {line[:300]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
