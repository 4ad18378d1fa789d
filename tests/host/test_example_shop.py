"""examples/shop, the README's first command: it builds offline with the test identity shipped beside it.

- `HOSTFORM_AGE_KEY_FILE=examples/shop/example-age.key hostform build examples/shop` exits 0 with no
  finding, the shipped secrets decrypt into main.ign only (0600), and podman's real generator makes
  the units the example's comments promise (api after db; the secrets from podman's store);
- the README's first code line is that command (after the install), and it runs as written;
- without an identity the build stops with HF030 at the secret's file and writes nothing.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from hostform.host.bundle import files_and_units
from hostform.quadlet.realgen import run_real
from hostform.quadlet.unitfile import parse_text
from tests.quadlet.conftest import _real as real_generator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "shop"
KEY = EXAMPLE / "example-age.key"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user with no identity of their own (an empty config directory, nothing in the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return {**env, **extra}


def _build(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "out"
    return subprocess.run([sys.executable, "-m", "hostform", "build", str(EXAMPLE), "-o", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_example_builds_with_the_shipped_test_identity(tmp_path: Path) -> None:
    assert "PUBLISHED TEST KEY" in KEY.read_text()
    r = _build(tmp_path, _env(tmp_path, HOSTFORM_AGE_KEY_FILE=str(KEY)))
    assert r.returncode == 0 and "error" not in r.stdout + r.stderr, r.stdout + r.stderr
    out = tmp_path / "out"
    assert "findings: 0 error(s), 0 warning(s)" in (out / "report.txt").read_text()
    assert (out / "main.ign").stat().st_mode & 0o777 == 0o600
    files, _ = files_and_units(json.loads((out / "main.ign").read_text()))
    by_path = {f.vm_path: f for f in files}
    values = {name: by_path[f"/var/lib/hostform/secrets/{name}"].text for name in ("db-password", "registry-token")}
    assert all(v and "\n" not in v for v in values.values())
    for p in out.rglob("*"):
        if p.is_file() and p.name != "main.ign":
            assert not [v for v in values.values() if v in p.read_text()], p
    assert "registry.example.org:5000" in json.loads(by_path["/var/lib/hostform/registries/auth.json"].text)["auths"]
    caddyfile = (out / "Caddyfile").read_text()
    assert "www.shop.example.org {\n\tredir https://shop.example.org{uri} permanent\n}" in caddyfile

    code, units, err = run_real(out / "quadlets", binary=real_generator("5.8"), version="5.8")
    assert code == 0, err
    api = parse_text(units["api.service"], "api.service")
    assert "db.service" in api.lookup_all_raw("Unit", "Requires") and "db.service" in api.lookup_all_raw("Unit", "After")
    for name in ("api.service", "db.service", "backup.service"):
        assert "--secret db-password,type=env,target=DB_PASSWORD" in units[name], name
    assert "backup.timer" not in units  # the timer is hostform's own unit, in main.ign
    assert any(u["name"] == "backup.timer" and u.get("enabled") for u in json.loads((out / "main.ign").read_text())["systemd"]["units"])


def test_the_readme_first_line_builds_it(tmp_path: Path) -> None:
    lines = (ROOT / "README.md").read_text().split("```sh\n", 1)[1].splitlines()
    first = lines[0].split(" && ")
    assert first[:2] == ["python3 -m venv .venv", ".venv/bin/pip install -e ."], first
    build = shlex.split(first[2])
    assert build[0].startswith("HOSTFORM_AGE_KEY_FILE=") and build[1:3] == [".venv/bin/hostform", "build"]
    assert build[0].split("=", 1)[1] == "examples/shop/example-age.key" and build[3:] == ["examples/shop"]
    assert lines[1] == ".venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    r = _build(tmp_path, _env(tmp_path, HOSTFORM_AGE_KEY_FILE=build[0].split("=", 1)[1]))  # relative to the checkout, as there
    assert r.returncode == 0, r.stderr


def test_without_an_identity_it_fails_with_hf030(tmp_path: Path) -> None:
    r = _build(tmp_path, _env(tmp_path))
    assert r.returncode == 1 and "secrets/db-password.age:1:1: error[HF030]" in r.stderr, r.stderr
    assert not (tmp_path / "out" / "main.ign").exists()
