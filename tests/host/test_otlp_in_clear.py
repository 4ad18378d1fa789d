"""`observability.endpoint: http://...` with a header from a secret: `hostform check` warns (HF028) at the endpoint's
line, since the credential would travel in clear with every batch; https://, or http:// without a secret, is quiet.
`hostform explain HF028` knows the code. Run as a user runs the commands (see test_observability.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_observability import HOST, _project, hostform, user  # noqa: F401 - the fixture, shared


@pytest.mark.parametrize("endpoint, headers, warned", [
    ("http://otlp.example.org:4318", "Authorization: {{secret: otlp-auth}}", True),
    ("http://10.0.0.5:4318/otlp", "X-Scope-OrgID: t\n    Authorization: {{secret: otlp-auth}}", True),
    ("https://otlp.example.org", "Authorization: {{secret: otlp-auth}}", False),
    ("http://10.0.0.5:4318", "X-Scope-OrgID: tenant", False),
])
def test_a_secret_header_to_an_http_endpoint_is_warned_at_the_endpoint(tmp_path: Path, user: dict[str, str],  # noqa: F811
                                                                       endpoint: str, headers: str, warned: bool) -> None:
    host = HOST.split("observability:")[0] + (
        f"observability:\n  image: registry.example.org/otelcol:1\n  endpoint: {endpoint}\n  headers:\n    {headers}\n")
    project = _project(tmp_path, user, host)
    r = hostform("check", ".", cwd=project, env=user)
    found = [ln for ln in (r.stdout + r.stderr).splitlines() if "[HF028]" in ln]
    assert bool(found) == warned, r.stdout + r.stderr
    if warned:
        assert "warning" in found[0] and "in clear" in found[0]
        text = (project / "hostform.yaml").read_text().splitlines()
        assert text[int(found[0].split(":")[1]) - 1].startswith("  endpoint:"), (found, text)
        assert r.returncode == 0  # a warning: the build goes on
        assert hostform("check", ".", "--strict", cwd=project, env=user).returncode != 0


def test_explain_knows_hf028(tmp_path: Path, user: dict[str, str]) -> None:  # noqa: F811
    r = hostform("explain", "HF028", cwd=tmp_path, env=user)
    assert r.returncode == 0 and "otlp-credential-in-clear" in r.stdout and "https://" in r.stdout
