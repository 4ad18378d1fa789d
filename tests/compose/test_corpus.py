"""`hostform import compose` on real Compose files (tests/compose/corpus, see its SOURCES.md).

For every entry, as a user runs it: the import exits 0, its hostform.yaml builds (`hostform build` exits 0),
the same input gives the same bytes, the report is of the contract's form, and every service, port, volume,
dependency and environment variable that compose-go (the loader of docker compose, tests/go/composeconfig)
sees in the project is in the output or named in import-report.txt by its Compose key path
(tests/compose/coverage.py says exactly what counts).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compose.coverage import (
    CORPUS,
    Entry,
    clean_env,
    compose_config,
    corpus_entries,
    misplaced,
    missing,
    parse_report,
    run_import,
    sources_files,
)
from tests.require import go_helper

ENTRIES = corpus_entries()


def test_sources_name_every_file_of_the_corpus():
    """SOURCES.md says where each file comes from: repository, path, commit and license, for every file."""
    rows = sources_files()
    listed = {(row[0], row[1]) for row in rows}
    on_disk = {(p.relative_to(CORPUS).parts[0], str(Path(*p.relative_to(CORPUS).parts[1:])))
               for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert on_disk - listed == set(), "files of the corpus that SOURCES.md does not name"
    assert listed - on_disk == set(), "files SOURCES.md names that are not in the corpus"
    for entry, file, repo, path, commit, license_ in rows:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", repo), (entry, file, repo)
        assert path and re.fullmatch(r"[0-9a-f]{40}", commit), (entry, file, commit)
        assert license_, (entry, file)
    assert {row[0] for row in rows} == {e.name for e in ENTRIES}, "every entry has files and an import line"
    assert len(ENTRIES) >= 35
    assert len({row[2] for row in rows}) >= 20, "from many projects"


@pytest.fixture(scope="module")
def oracle() -> str:
    return go_helper("composeconfig")


def _copy(entry: Entry, tmp_path: Path) -> Path:
    work = tmp_path / entry.name
    shutil.copytree(entry.path, work)
    return work


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_import_keeps_or_reports_everything(entry: Entry, oracle: str, tmp_path: Path):
    work = _copy(entry, tmp_path)
    env = clean_env(work, tmp_path / "home")
    project = compose_config(oracle, work, entry.files, env)

    proc = run_import(work, entry.files, env)
    assert proc.returncode == 0, f"import exited {proc.returncode}:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    host = work / "hostform.yaml"
    report_file = work / "import-report.txt"
    assert host.is_file() and report_file.is_file()
    report_text = report_file.read_text()
    lines, bad = parse_report(report_text)
    assert bad == [], "report lines not of the form FILE:LINE:COL: warning[HF6xx]: KEY.PATH: message"
    for line in report_text.splitlines():
        assert line in proc.stderr, f"a report line not printed on stderr: {line}"
    for line in lines:
        assert (work / line.file).is_file(), f"the report names {line.file!r}, not a file the user gave"
    wrong = misplaced(work, lines)
    assert wrong == [], "report lines whose key path is not what the file has at that line:\n" + "\n".join(wrong)

    lost = missing(project, work, work)
    assert lost == [], "\n".join(lost)

    # the same input, the same bytes (a second run, --force over the first)
    first = {p.relative_to(work): p.read_bytes() for p in _outputs(work)}
    again = run_import(work, entry.files, env, "--force")
    assert again.returncode == 0, again.stderr
    assert {p.relative_to(work): p.read_bytes() for p in _outputs(work)} == first

    build = subprocess.run([sys.executable, "-m", "hostform", "build", str(work), "-o", str(tmp_path / "build")],
                           cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, f"hostform build of the imported host exited {build.returncode}:\n{build.stderr}"


def _outputs(work: Path) -> list[Path]:
    out = [work / "hostform.yaml", work / "import-report.txt"]
    if (work / "quadlets").is_dir():
        out += sorted((work / "quadlets").rglob("*"))
    return [p for p in out if p.is_file()]


def test_existing_host_file_is_not_overwritten(tmp_path: Path):
    """Contract: an existing hostform.yaml is kept without --force (exit 1, a message)."""
    entry = next(e for e in ENTRIES if e.name == "awesome-wordpress-mysql")
    work = _copy(entry, tmp_path)
    (work / "hostform.yaml").write_text("name: mine\n")
    proc = run_import(work, entry.files, clean_env(work, tmp_path / "home"))
    assert proc.returncode == 1
    assert "hostform.yaml" in proc.stderr and "--force" in proc.stderr
    assert (work / "hostform.yaml").read_text() == "name: mine\n"
