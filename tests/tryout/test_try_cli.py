"""`hostform try` without a machine: flags, errors, and the missing-tool advice."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform.cli import try_
from hostform.tryout import harness as H


def test_qemu_missing_gives_the_install_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: None if t == "qemu-system-x86_64" else "/usr/bin/" + t)
    monkeypatch.setattr(try_.tempfile, "mkdtemp", lambda prefix: str(tmp_path / "w"))
    (tmp_path / "w").mkdir()
    assert try_.main([str(tmp_path), "--qemu", "--for", "0"]) == 1
    err = capsys.readouterr().err
    assert "missing: qemu-system-x86_64; install with: apt-get install -y --no-install-recommends qemu-system-x86" in err


def test_stop_refuses_what_is_not_a_machine_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTFORM_CACHE", str(tmp_path))
    assert try_.main(["--stop", "../../etc"]) == 1
    assert "not a machine name" in capsys.readouterr().err
    assert try_.main(["--stop", "hf-abcdef"]) == 1
    assert "no detached machine hf-abcdef" in capsys.readouterr().err


def test_missing_tools_give_the_install_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: None)
    monkeypatch.setattr(try_.tempfile, "mkdtemp", lambda prefix: str(tmp_path / "w"))
    (tmp_path / "w").mkdir()
    assert try_.main([str(tmp_path), "--for", "0"]) == 1
    err = capsys.readouterr().err
    assert "apt-get install -y --no-install-recommends" in err and "systemd-container" in err
    assert not (tmp_path / "w").exists()  # the work directory is removed


def test_deeply_nested_ignition_file_is_refused_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's json gives up near 1,000 levels (Ignition reads 10,000): a clear refusal, exit 1."""
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    monkeypatch.setattr(try_.tempfile, "mkdtemp", lambda prefix: str(tmp_path / "w"))
    (tmp_path / "w").mkdir()
    ign = tmp_path / "deep.ign"
    ign.write_text('{"ignition":{"version":"3.3.0"},"foo":' + "[" * 5000 + "]" * 5000 + "}")
    assert try_.main([str(ign), "--for", "0"]) == 1
    err = capsys.readouterr().err
    assert err == f"hostform try: {ign}: not a readable Ignition config: maximum recursion depth exceeded while decoding a JSON array from a unicode string\n"


@pytest.mark.parametrize(
    "file, text",
    [
        ("hostform.yaml", "name: web\nbutane_version: '{}'\nservices:\n  app: {{image: ghcr.io/x/app:1, port: 80, health: {{http: /}}}}\n"),
        ("main.bu", "variant: fcos\nversion: {}\nstorage:\n  files: [{{path: /etc/motd, contents: {{inline: hi}}}}]\n"),
    ],
)
def test_build_translates_for_debians_ignition_only_when_needed(file: str, text: str, tmp_path: Path) -> None:
    """Butane 1.5.0 (Ignition 3.4.0) is translated again at 1.4.0 (3.3.0, what Ignition 2.14 reads); 1.4.0 is used as built.
    No machine: the Ignition _build hands to the machine is looked at."""
    said: list[str] = []
    for version, ignition, retranslated in [("1.5.0", "3.3.0", True), ("1.4.0", "3.3.0", False)]:
        (tmp_path / file).write_text(text.format(version))
        said.clear()
        doc = try_._build(tmp_path, said.append)
        assert doc["ignition"]["version"] == ignition
        assert said == (["Ignition 3.4.0 is newer than Debian's Ignition 2.14 reads: translating at Butane spec 1.4.0 (Ignition 3.3.0) for this machine"] if retranslated else [])
        assert any(f["path"] == ("/etc/motd" if file == "main.bu" else "/etc/hostname") for f in doc["storage"]["files"])


def test_an_ignition_file_that_is_not_an_object_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    monkeypatch.setattr(try_.tempfile, "mkdtemp", lambda prefix: str(tmp_path / "w"))
    (tmp_path / "w").mkdir()
    ign = tmp_path / "list.ign"
    ign.write_text("[]")
    assert try_.main([str(ign), "--for", "0"]) == 1
    assert capsys.readouterr().err == f"hostform try: {ign}: not an Ignition config (a JSON object)\n"
