"""hostform's generator against what podman 5.4, 5.8 and 6.1 really did with real-world quadlet sets.

The corpus (tests/quadlet/corpus.py says what it is, where it lives and why it is not committed) is
gathered from public repositories, and each set's ``real.json`` was recorded from the real
generators. Each set is run through ``hostform quadlet -podman-version V`` (normal and ``-user``)
and compared exactly with the record (tests/quadlet/exact.py). A clone without the corpus skips,
saying so. Sets still different from a release are listed in ``LEFT`` with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform.quadlet.realgen import find_real_quadlet
from tests.require import need

from .corpus import MODES, VERSIONS, compare_all, corpus_dir, recorded, sets, unit_dir
from .exact import differences, real_outcome

_SETS = sets()
_NO_CORPUS = (
    f"no real-world quadlet corpus at {corpus_dir()} (other people's files, kept beside the checkout and never "
    "committed: see tests/quadlet/corpus.py)"
)

LEFT: dict[str, dict[str, str]] = {
    "5.4": {},
    "5.8": {},
    "6.1": {},
}
"""version -> {set name: why hostform still differs from that release there}."""


def _params() -> list[object]:
    if not _SETS:
        return [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(reason=_NO_CORPUS))]
    return [pytest.param(s, id=s.name) for s in _SETS]


@pytest.mark.parametrize("set_dir", _params())
def test_set_as_the_real_generators(set_dir: Path) -> None:
    """One set through hostform as 5.4, 5.8 and 6.1, normal and -user, against the records."""
    got = compare_all(set_dir)
    assert got is not None, f"{set_dir.name} has no records: run `python -m tests.quadlet.corpus record`"
    assert {v for v, _ in got} == set(VERSIONS)
    problems = []
    for (version, mode), diffs in sorted(got.items()):
        if set_dir.name in LEFT[version]:
            if not diffs:
                problems.append(f"{set_dir.name} is now identical to podman {version} ({mode}): take it out of LEFT")
        elif diffs:
            problems.append(f"podman {version} {mode}:\n" + "\n".join(diffs))
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not _SETS, reason=_NO_CORPUS)
def test_the_corpus_is_what_the_issue_asks() -> None:
    """At least 150 sets from at least 50 repositories, each saying where it came from."""
    repos = set()
    for s in _SETS:
        src = json.loads((s / "SOURCE.json").read_text())
        assert len(src["commit"]) == 40 and src["repo"].count("/") == 1, s.name
        assert all((s / name).is_file() for name in src["files"]), s.name
        repos.add(src["repo"])
    assert len(_SETS) >= 150 and len(repos) >= 50


@pytest.mark.skipif(not _SETS, reason=_NO_CORPUS)
@pytest.mark.parametrize("version", VERSIONS)
def test_the_records_are_the_real_generators(version: str) -> None:
    """The records are what the real generators do now (a sample of sets, where the binaries are here):
    the recording is checked by the generator itself, not by the code that wrote it."""
    binary = find_real_quadlet(version)
    if binary is None:
        need(f"no real podman {version} generator to check the records against")
    for s in _SETS[:: max(1, len(_SETS) // 25)]:
        rec = recorded(s)
        assert rec is not None
        with unit_dir(s) as q:
            for mode in MODES:
                assert not differences(rec[version][mode], real_outcome(binary, q, version, mode == "user")), s.name
