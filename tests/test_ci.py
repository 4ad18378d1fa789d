"""CI cannot go green by skipping: .ci/run, .ci/e2e-setup and .ci/skips, run for real.

.ci/run is run in a copy of .ci with stand-ins for what it calls (the venv's python and
pip, get-podman, e2e-setup), so each decision it makes is seen from its exit code and
output; .ci/skips reads reports written by a real pytest run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostform.terraform.render import PROVIDER_SOURCES
from tests.require import need

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / ".ci"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return {**env, **extra}


# --- .ci/skips ------------------------------------------------------------------------------------

SAMPLE = '''
import pytest

def test_ok():
    pass

@pytest.mark.skipif(True, reason="an allowed reason 7")
def test_allowed():
    pass

def test_other():
    pytest.skip("something else")

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False
'''


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A junit report of a real pytest run: one pass, two skips, one xfail."""
    d = tmp_path_factory.mktemp("skips")
    (d / "test_sample.py").write_text(SAMPLE)
    out = d / "report.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={out}", "test_sample.py"],
        cwd=d, capture_output=True, text=True, timeout=120, env=_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _skips(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CI / "skips"), *map(str, args)], capture_output=True, text=True, timeout=60)


def test_skips_lists_every_skip_and_refuses_unlisted_ones(report: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.write_text("# why this one may skip\nan allowed reason \\d\n")
    res = _skips("quick suite", report, "--allowed", allowed)
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.splitlines()[0] == "quick suite: 4 tests, 0 failed or in error, 3 skipped"
    assert f"  1 skipped (allowed by {allowed}:2): an allowed reason 7" in res.stdout
    assert "  1 skipped (NOT ALLOWED): something else\n      test_sample::test_other\n" in res.stdout
    assert "  1 skipped (NOT ALLOWED): xfail: known" in res.stdout
    assert res.stdout.endswith(f"quick suite: 2 skip(s) not allowed by {allowed}\n")


def test_skips_passes_when_every_skip_is_allowed(report: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.write_text("# one\nan allowed reason 7\n\n# two\nsomething else\n\n# an expected failure proves nothing,\n# but may be listed\nxfail: known\n")
    res = _skips("quick suite", report, "--allowed", allowed)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "NOT ALLOWED" not in res.stdout


def test_skips_without_a_list_allows_none(report: Path) -> None:
    res = _skips("e2e suite", report)
    assert res.returncode == 1 and res.stdout.endswith("e2e suite: 3 skip(s) not allowed (no skip is)\n")


def test_skips_refuses_a_pattern_without_its_reason(report: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.write_text("# a reason\nfirst\n\nsecond\n")
    res = _skips("quick suite", report, "--allowed", allowed)
    assert res.returncode == 1 and f"{allowed}:4: an allowed skip needs a comment above it saying why" in res.stderr


def test_skips_fails_when_no_test_ran(tmp_path: Path) -> None:
    (tmp_path / "empty.xml").write_text('<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="0"/></testsuites>')
    res = _skips("e2e suite", tmp_path / "empty.xml")
    assert res.returncode == 1 and "e2e suite: no test ran" in res.stdout


def test_allowed_skips_list_only_the_offline_terraform_providers_and_the_corpus() -> None:
    """Today's list: the three provider plugins CI's machine cannot have, and the real-world quadlet corpus
    that is never committed (the reasons are in the file)."""
    patterns = [ln for ln in (CI / "allowed-skips").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(patterns) == 2
    from tests.quadlet.test_corpus import _NO_CORPUS

    assert re.fullmatch(patterns[1], _NO_CORPUS) and not re.fullmatch(patterns[1], "no ../shared beside the project")
    reasons = [f"the {PROVIDER_SOURCES[p][1]} provider is not installed offline; terraform validate needs it" for p in ("vultr", "hetzner", "digitalocean")]
    assert all(re.fullmatch(patterns[0], r) for r in reasons)
    assert not re.fullmatch(patterns[0], reasons[0].replace("vultr/vultr", "hashicorp/aws"))
    # the reason as tests/terraform/test_tf_terraform.py gives it
    assert 'f"the {source} provider is not installed offline; terraform validate needs it"' in (ROOT / "tests/terraform/test_tf_terraform.py").read_text()


# --- .ci/e2e-setup -------------------------------------------------------------------------------


@pytest.fixture
def e2e_setup() -> Iterator[Path]:
    """A copy of .ci/e2e-setup that any user may run (the checkout may be root's only)."""
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        (Path(d) / ".ci").mkdir(mode=0o755)
        copy = Path(d) / ".ci" / "e2e-setup"
        shutil.copy2(CI / "e2e-setup", copy)
        copy.chmod(0o755)
        yield copy


def _check_refusal(res: subprocess.CompletedProcess[str], why: str, ci: bool) -> None:
    if ci:
        assert (res.returncode, res.stdout, res.stderr) == (1, "", f"e2e-setup: {why} (CI=true: failing)\n")
    else:
        assert (res.returncode, res.stdout, res.stderr) == (0, f"e2e-setup: {why}; the e2e tests will skip\n", "")


@pytest.mark.parametrize("ci", [True, False])
def test_e2e_setup_not_root(ci: bool, e2e_setup: Path) -> None:
    cmd = ["bash", str(e2e_setup)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            need("setpriv is not installed (util-linux): it runs .ci/e2e-setup as the user nobody")
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
    res = subprocess.run(cmd, capture_output=True, text=True, env=_env(**({"CI": "true"} if ci else {})), timeout=60)
    _check_refusal(res, "not root", ci)


@pytest.mark.parametrize("ci", [True, False])
def test_e2e_setup_not_debian_like(ci: bool, e2e_setup: Path, tmp_path: Path) -> None:
    """Without apt-get (a PATH with only what the script runs before it looks), as root (and as another user)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("dirname", "id"):
        found = shutil.which(tool)
        assert found, tool
        (bin_ / tool).symlink_to(found)
    env = _env(PATH=str(bin_), **({"CI": "true"} if ci else {}))
    res = subprocess.run([shutil.which("bash") or "/bin/bash", str(e2e_setup)], capture_output=True, text=True, env=env, timeout=60)
    _check_refusal(res, "not a Debian-like machine (no apt-get)" if os.geteuid() == 0 else "not root", ci)


# --- .ci/run --------------------------------------------------------------------------------------

PASSED = '<testcase classname="t" name="{0}"/>'
SKIPPED = '<testcase classname="t" name="{0}"><skipped type="pytest.skip" message="{1}">x</skipped></testcase>'


def _junit(*cases: str) -> str:
    return f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{"".join(cases)}</testsuite></testsuites>'


FAKE_PYTHON = """#!/usr/bin/env bash
# .venv/bin/python's stand-in: `-m pytest` writes the report given in the environment; the rest succeeds.
echo "python $*" >> "$FAKE_LOG"
[ "$1 $2" = "-m pytest" ] || exit 0
suite=quick
for a in "$@"; do [ "$a" = e2e ] && suite=e2e; done
for a in "$@"; do case "$a" in --junitxml=*) report="${a#--junitxml=}";; esac; done
if [ "$suite" = e2e ]; then printf '%s' "$FAKE_E2E" > "$report"; exit "${FAKE_E2E_RC:-0}"; fi
printf '%s' "$FAKE_QUICK" > "$report"; exit "${FAKE_QUICK_RC:-0}"
"""


def _fake_checkout(tmp: Path, *, podman_ok: bool, setup_ok: bool) -> Path:
    """A checkout with the real .ci/run, skips and allowed-skips, and stand-ins for what they call."""
    root = tmp / "checkout"
    (root / ".ci").mkdir(parents=True)
    for name in ("run", "skips", "allowed-skips"):
        shutil.copy2(CI / name, root / ".ci" / name)
    (root / ".ci" / "get-podman").write_text(f"import sys\nsys.exit({0 if podman_ok else 1})\n")
    (root / ".ci" / "e2e-setup").write_text(f'#!/usr/bin/env bash\necho "e2e-setup $*" >> "$FAKE_LOG"\nexit {0 if setup_ok else 1}\n')
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").write_text(FAKE_PYTHON)
    (root / ".venv" / "bin" / "pip").write_text("#!/bin/sh\nexit 0\n")
    for p in (root / ".ci" / "e2e-setup", root / ".venv" / "bin" / "python", root / ".venv" / "bin" / "pip"):
        p.chmod(0o755)
    return root


def _ci_run(tmp: Path, *, ci: bool, podman_ok: bool = True, setup_ok: bool = True,
            quick: str = "", e2e: str = "", quick_rc: int = 0) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    root = _fake_checkout(tmp, podman_ok=podman_ok, setup_ok=setup_ok)
    log = tmp / "log"
    log.write_text("")
    env = _env(FAKE_LOG=str(log), FAKE_QUICK=quick or _junit(PASSED.format("a")), FAKE_E2E=e2e or _junit(PASSED.format("b")),
               FAKE_QUICK_RC=str(quick_rc), **({"CI": "true"} if ci else {}))
    res = subprocess.run(["bash", str(root / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=120)
    return res, log.read_text().splitlines()


def _ran_suites(log: list[str]) -> list[str]:
    return ["e2e" if " -m e2e " in f" {line} " else "quick" for line in log if line.startswith("python -m pytest")]


def test_run_green_when_nothing_skips(tmp_path: Path) -> None:
    res, log = _ci_run(tmp_path, ci=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _ran_suites(log) == ["quick", "e2e"]
    assert "quick suite: 1 tests, 0 failed or in error, 0 skipped" in res.stdout
    assert "e2e suite: 1 tests, 0 failed or in error, 0 skipped" in res.stdout


# a failed prerequisite step: what it says, and the suites run before CI=true stops the run
STEPS = {
    "get-podman": ({"podman_ok": False}, "get-podman: podman from trixie unavailable; its tests will skip", []),
    "e2e-setup": ({"setup_ok": False}, "e2e-setup failed; the e2e tests will skip", ["quick"]),
}


@pytest.mark.parametrize("ci", [True, False])
@pytest.mark.parametrize("step", sorted(STEPS))
def test_run_prerequisite_failure(step: str, ci: bool, tmp_path: Path) -> None:
    failure, msg, before = STEPS[step]
    res, log = _ci_run(tmp_path, ci=ci, **failure)
    if ci:
        assert res.returncode == 1 and f"{msg} (CI=true: failing)" in res.stderr
        assert _ran_suites(log) == before
    else:
        assert res.returncode == 0 and msg in res.stdout
        assert _ran_suites(log) == ["quick", "e2e"]


@pytest.mark.parametrize("ci", [True, False])
def test_run_fails_on_an_e2e_skip(ci: bool, tmp_path: Path) -> None:
    e2e = _junit(PASSED.format("b"), SKIPPED.format("c", "no registry"))
    res, _ = _ci_run(tmp_path, ci=ci, e2e=e2e)
    assert res.returncode == 1
    assert "e2e suite: 2 tests, 0 failed or in error, 1 skipped\n  1 skipped (NOT ALLOWED): no registry\n      t::c\n" in res.stdout
    assert ".ci/run: failing on the skips above" in res.stderr


def test_run_fails_on_an_unlisted_quick_skip_and_still_runs_the_e2e(tmp_path: Path) -> None:
    quick = _junit(PASSED.format("a"), SKIPPED.format("d", "the real Caddy is not installed"))
    res, log = _ci_run(tmp_path, ci=True, quick=quick)
    assert res.returncode == 1 and "1 skipped (NOT ALLOWED): the real Caddy is not installed" in res.stdout
    assert _ran_suites(log) == ["quick", "e2e"]


def test_run_allows_the_listed_quick_skips(tmp_path: Path) -> None:
    reason = f"the {PROVIDER_SOURCES['vultr'][1]} provider is not installed offline; terraform validate needs it"
    res, _ = _ci_run(tmp_path, ci=True, quick=_junit(PASSED.format("a"), SKIPPED.format("v", reason)))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 skipped (allowed by .ci/allowed-skips:" in res.stdout


def test_run_stops_when_the_quick_suite_fails(tmp_path: Path) -> None:
    res, log = _ci_run(tmp_path, ci=True, quick_rc=1)
    assert res.returncode == 1 and _ran_suites(log) == ["quick"]
    assert "quick suite: 1 tests" in res.stdout  # its skips are said all the same
