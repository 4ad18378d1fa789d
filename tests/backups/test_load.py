"""`backups:` and `services.NAME.backup` in the host file: what is refused, where, and why."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostform import backups
from hostform.host.load import load_text
from tests.require import need

BASE = """\
name: h
services:
  db: {{image: registry.test/db:17, volumes: {{db: /data}}{db}}}
  app: {{image: registry.test/app:1, depends_on: [db]{app}}}
backups:
  repository: {repo}
  password: {{secret: pw}}
{extra}"""


def _findings(db: str = "", app: str = "", repo: str = "rest:https://b.test/h", extra: str = "") -> list[tuple[str, str, int, int]]:
    ld = load_text(BASE.format(db=db, app=app, repo=repo, extra=extra), sealed=["pw", "key"])
    return [(d.code, d.message, d.line, d.col) for d in ld.report]


@pytest.mark.parametrize("kw,code,line,words", [
    ({"app": ", backup: {stop: true}"}, "HF011", 4, "depends on 'db', which keeps it running"),
    ({"db": ", backup: {}"}, "HF010", 3, "give `before`"),
    ({"extra": "  env: {AWS_SECRET_ACCESS_KEY: abc}\n"}, "HF015", 8, "is a credential"),
    ({"extra": "  env: {RESTIC_REPOSITORY: x}\n"}, "HF011", 8, "hostform's to set"),
    ({"extra": "  env: {RESTIC_REST_PASSWORD: {secret: pw}}\n", "repo": "rest:http://b.test/h"}, "HF029", 6, "in clear"),
    ({"repo": "rest:https://u:p@b.test/h"}, "HF011", 6, "RESTIC_REST_USERNAME"),
    ({"repo": "s3:https://AKIA:x@s3.test/b"}, "HF011", 6, "credential"),
    ({"repo": "/srv/restic"}, "HF011", 6, "a restic repository: rest:, s3:"),
    ({"repo": "local:/srv/restic"}, "HF011", 6, "restic's backends"),
    ({"repo": "sftp:u@b.test:/srv"}, "HF010", 6, "needs `ssh_key`"),
    ({"extra": "  keep: {daily: 0, weekly: 0, monthly: 0}\n"}, "HF011", 8, "every count is 0"),
    ({"extra": "  password2: x\n"}, "HF023", 8, "password2"),
])
def test_refused_at_the_line(kw: dict, code: str, line: int, words: str) -> None:
    found = [f for f in _findings(**kw) if f[0] == code]
    assert found and found[0][2] == line and words in found[0][1], _findings(**kw)


def test_an_append_only_server_keeps_everything() -> None:
    assert not [f for f in _findings(extra="  prune: false\n  keep: {daily: 0, weekly: 0, monthly: 0}\n") if f[0] != "HF010"]


def test_stop_on_the_dependency_is_the_way() -> None:
    ld = load_text(BASE.format(db=", backup: {stop: true}", app="", repo="rest:https://b.test/h", extra=""), sealed=["pw"])
    assert not ld.report.errors and ld.host.service("db").backup.stop


def test_a_password_only_on_the_vm_needs_no_secrets_unit(tmp_path: Path) -> None:
    """The password a podman secret already on the VM, nothing shipped: the units need no hostform-secrets.service
    (which is then not written) and pass systemd-analyze verify."""
    from hostform import pipeline
    from hostform.host.bundle import files_and_units

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        need("systemd-analyze (Debian's systemd package) checks the units")
    (tmp_path / "hostform.yaml").write_text(
        "name: h\nservices:\n  db: {image: registry.test/db:17, volumes: {db: /data}}\nsecrets:\n  pw: {}\n"
        "backups: {repository: 'rest:https://b.test/h', password: {secret: pw}, restore: on-blank}\n")
    b = pipeline.build(tmp_path, pipeline.Options(caddy="off"))
    assert not b.report.errors, b.report.format()
    _, units = files_and_units(b.ignition)
    texts = {u.name: u.text for u in units if u.text}
    assert "hostform-secrets.service" not in texts
    out = tmp_path / "units"
    out.mkdir()
    for name, text in texts.items():
        (out / name).write_text(text)
    proc = subprocess.run([analyze, "verify", "--man=no", *(str(out / n) for n in backups.unit_names(b.host) if n in texts)],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr
