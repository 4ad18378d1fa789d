"""The build-time check of the collector's configuration with the real collector: ``otelcol validate``.

Finding the binary (:func:`find_otelcol`): ``$HOSTFORM_OTELCOL``, then ``otelcol`` on ``PATH``. It
must have the components the configuration names (see the ``image`` key); one built from the
collector's Go modules, as ``tests/go/otelcol`` is, does.

``validate`` reads the configuration, builds every component (a receiver's operators, a processor's
settings) and starts nothing. The variables the configuration names (a header held by a secret) are
given stand-in values: no secret's value is needed or read. The hostmetrics receiver's ``root_path``
(the host's file system as the container sees it, which the collector checks exists) is given an
empty directory of this machine instead (``--set``). Its complaint (one line, or the lines
after ``Error:``) is the finding, HF420; no collector found is HF421 (information).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from hostform._runner import Runner, SubprocessRunner

__all__ = ["OTELCOL_INSTALL_HINT", "find_otelcol", "validate_config"]

OTELCOL_INSTALL_HINT = "set HOSTFORM_OTELCOL to an OpenTelemetry Collector binary, or put `otelcol` on PATH"
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_HOSTMETRICS = re.compile(r"^  hostmetrics:$", re.M)


def find_otelcol() -> Path | None:
    """The collector binary to validate with, or None: ``$HOSTFORM_OTELCOL``, then ``otelcol`` on ``PATH``."""
    env = os.environ.get("HOSTFORM_OTELCOL")
    if env:
        return Path(env)
    found = shutil.which("otelcol")
    return Path(found) if found else None


def validate_config(text: str, otelcol: Path, *, runner: Runner | None = None, timeout: float = 60) -> list[str]:
    """What ``otelcol validate`` says is wrong with the configuration ``text``: an empty list when it accepts it."""
    run = (runner or SubprocessRunner()).run
    with tempfile.TemporaryDirectory(prefix="hostform-otelcol-") as tmp:
        cfg = Path(tmp) / "config.yaml"
        cfg.write_text(text, encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp}
        env.update({name: "stand-in" for name in _ENV_REF.findall(text)})
        argv = [str(otelcol), "validate", f"--config=file:{cfg}"]
        if _HOSTMETRICS.search(text):  # its root_path is the host's file system mounted in the container: not here
            hostfs = Path(tmp) / "hostfs"
            hostfs.mkdir()
            argv.append(f"--set=receivers::hostmetrics::root_path={hostfs}")
        res = run(argv, check=False, env=env, inherit_env=False, cwd=tmp, timeout=timeout)
    if res.returncode == 0:
        return []
    out = (res.stderr or res.stdout).replace(str(cfg), "config.yaml")
    if res.returncode == 127:
        return [f"{otelcol} cannot be run"]
    return [_message(out) or f"otelcol validate failed with exit code {res.returncode}"]


_LOG_LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", re.M)


def _message(out: str) -> str:
    """The collector's complaint on one line: what follows cobra's ``Error: `` up to the same text logged again
    (a timestamped line), its lines joined; an expression's caret drawing left out. Else the last line."""
    at = out.find("Error: ")
    if at < 0:
        lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
        return lines[-1] if lines else ""
    body = out[at + len("Error: "):]
    end = _LOG_LINE.search(body)
    if end is not None:
        body = body[: end.start()]
    lines = [ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("|")]
    return " ".join(lines)
