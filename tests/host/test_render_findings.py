"""Findings the host renderer itself raises: one test that triggers each, one that does not."""

from __future__ import annotations

from pathlib import Path

from hostform import pipeline

BASE = "name: h\n{podman}services:\n  web: {{image: ghcr.io/x/web:1, port: 80, health: {{cmd: /bin/true}}}}\n{access}"  # cmd: podman runs it (http is probed from the host)


def _codes(tmp_path: Path, podman: str = "", access: str = "") -> list[tuple[str, int]]:
    (tmp_path / "hostform.yaml").write_text(BASE.format(podman=podman, access=access))
    b = pipeline.build(tmp_path, pipeline.Options(checks=False))
    return [(d.code, d.line) for d in b.report]


def test_hf019_health_check_on_a_podman_without_notify_healthy(tmp_path):
    found = _codes(tmp_path, podman='podman: "4.9"\n')
    assert ("HF019", 4) in found


def test_hf019_quiet_when_podman_has_notify_healthy(tmp_path):
    assert not [c for c, _ in _codes(tmp_path, podman='podman: "5.4"\n') if c == "HF019"]


def test_hf020_break_glass_ssh_key_is_reported(tmp_path):
    found = _codes(tmp_path, access="access: {ssh_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f me@laptop']}\n")
    assert [c for c, _ in found if c == "HF020"] == ["HF020"]
    assert not _sshd_masked(pipeline.build(tmp_path, pipeline.Options(checks=False)))


def test_hf020_quiet_and_sshd_masked_by_default(tmp_path):
    assert not [c for c, _ in _codes(tmp_path) if c == "HF020"]
    assert _sshd_masked(pipeline.build(tmp_path, pipeline.Options(checks=False)))


def _sshd_masked(bundle) -> bool:
    units = {u["name"]: u for u in bundle.ignition.get("systemd", {}).get("units", [])}
    return units.get("sshd.service", {}).get("mask") is True
