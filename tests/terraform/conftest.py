"""Fixtures for the Terraform tests: the real terraform, offline, in temp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.require import need

from .helpers import PLUGIN_MIRROR, terraform_binary


@pytest.fixture
def terraform() -> str:
    tf = terraform_binary()
    if tf is None:
        need("terraform is not installed (set HOSTFORM_TERRAFORM or put it on PATH)")
    return tf


@pytest.fixture
def tf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An offline terraform environment: its own data dir and CLI config (mirror only, no registry)."""
    cfg = tmp_path / "terraformrc"
    mirror = f'  filesystem_mirror {{\n    path = "{PLUGIN_MIRROR}"\n  }}\n' if PLUGIN_MIRROR.is_dir() else ""
    # The mirror doubles as the plugin cache, so init links the (700 MB) aws plugin instead of copying it.
    cache = f'plugin_cache_dir = "{PLUGIN_MIRROR}"\nplugin_cache_may_break_dependency_lock_file = true\n' if mirror else ""
    cfg.write_text(f"{cache}provider_installation {{\n{mirror}}}\n")
    env = {
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_CLI_CONFIG_FILE": str(cfg),
        "TF_DATA_DIR": str(tmp_path / "tfdata"),
        "CHECKPOINT_DISABLE": "1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[Path, Path]:
    """A real script that appends its arguments to a log file: (script, log)."""
    log = tmp_path / "provisioner.log"
    script = tmp_path / "record.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n')
    script.chmod(0o755)
    return script, log
