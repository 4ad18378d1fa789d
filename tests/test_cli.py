"""The dispatcher: every command is reachable, help and errors exit as documented."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hostform.cli import main as climain


@pytest.mark.parametrize("name", sorted(climain.COMMANDS))
def test_every_command_module_imports_and_has_main(name):
    module = __import__(f"hostform.cli.{climain.COMMANDS[name][0]}", fromlist=["main"])
    assert callable(module.main)


@pytest.mark.parametrize("name", sorted(climain.COMMANDS))
def test_every_command_has_help(name, capsys):
    assert climain.main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage" in out.lower()


def test_top_level_help_lists_every_command(capsys):
    assert climain.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in climain.COMMANDS:
        assert f"  {name} " in out


def test_no_arguments_is_usage_error(capsys):
    assert climain.main([]) == 2


def test_unknown_command(capsys):
    assert climain.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_explain_known_and_unknown_code(capsys):
    assert climain.main(["explain", "hf003"]) == 0
    assert capsys.readouterr().out.startswith("HF003 (unused-key)")
    assert climain.main(["explain", "HF999"]) == 2


def test_version_via_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "hostform", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.startswith("hostform ")
