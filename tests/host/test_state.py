"""The state volume: mounted by units after boot (never by Ignition), formatted only when blank, holding Caddy's data and the volumes."""

from __future__ import annotations

import json
from pathlib import Path

from hostform import ignition, pipeline
from hostform.host.build import outputs
from hostform.terraform.state_unit import DIRS_SERVICE, PREPARE_SERVICE, TMPFILES_PATH

HOST = """\
name: web
services:
  app:
    image: ghcr.io/example/app:1
    port: 8080
    volumes: {data: /var/lib/app}
    health: {http: /}
  side:
    image: ghcr.io/example/side:1
sites:
  web.example.org: app
"""


def _bundle(tmp_path: Path, extra: str = ""):
    (tmp_path / "hostform.yaml").write_text(HOST + extra)
    b = pipeline.build(tmp_path, pipeline.Options(checks=False))
    assert not b.report.is_fatal(), b.report.format()
    return b


def _units(b) -> dict[str, dict]:
    return {u["name"]: u for u in b.ignition["systemd"]["units"]}


def _quadlet(b, name: str) -> str:
    return next(f.text for f in b.files if f.vm_path.endswith("/" + name))


def test_ignition_never_touches_the_state_disk(tmp_path):
    b = _bundle(tmp_path, "target: {provider: hetzner, region: fsn1, size: cx22, image: '1'}\n")
    storage = b.ignition.get("storage", {})
    assert "filesystems" not in storage and "disks" not in storage
    # directories under the mount point are made on the mounted volume, not on the root disk
    assert not [d for d in storage.get("directories", []) if d["path"].startswith("/var/mnt/state")]
    units = _units(b)
    assert {"dev-sdb.device", PREPARE_SERVICE, "var-mnt-state.mount", DIRS_SERVICE} <= set(units)
    assert "What=/dev/sdb" in units["var-mnt-state.mount"]["contents"]
    assert "nofail" in units["var-mnt-state.mount"]["contents"]
    prepare = units[PREPARE_SERVICE]["contents"]
    assert "blkid -p /dev/sdb" in prepare and "wipefs" not in prepare and " -F" not in prepare and " -f " not in prepare
    tmpfiles = next(f.text for f in b.files if f.vm_path == TMPFILES_PATH)
    assert "d /var/mnt/state/caddy/data " in tmpfiles and "d /var/mnt/state/volumes/data " in tmpfiles
    assert not ignition.validate(b.ignition, b.ignition["ignition"]["version"]).is_fatal()


def test_caddy_and_volumes_wait_for_the_mount(tmp_path):
    b = _bundle(tmp_path)
    for name in ("caddy.container", "app.container"):
        text = _quadlet(b, name)
        assert "RequiresMountsFor=/var/mnt/state\n" in text, name
        assert f"Requires={DIRS_SERVICE}\n" in text and f"After={DIRS_SERVICE}\n" in text, name
    assert "RequiresMountsFor" not in _quadlet(b, "side.container")  # no data on the volume: no wait


def test_no_state_volume_keeps_the_directories_on_the_root_disk(tmp_path):
    b = _bundle(tmp_path, "target: {provider: local}\n")
    units = _units(b)
    assert not [n for n in units if n.endswith((".mount", ".device")) or n == PREPARE_SERVICE]
    assert DIRS_SERVICE in units  # tmpfiles still makes them, at boot
    assert not b.report.is_fatal()


def test_build_writes_terraform_json(tmp_path):
    b = _bundle(tmp_path, "state: {size: 25GiB}\ntarget: {provider: vultr, region: ams, size: vc2-1c-1gb, image: snap}\n")
    files = {rel: data for rel, data, _ in outputs(b)}
    tf = json.loads(files["terraform/main.tf.json"])
    assert tf["resource"]["vultr_block_storage"]["state"]["size_gb"] == 25
    # the user data is read from main.ign (beside terraform/), not copied
    assert tf["resource"]["vultr_instance"]["host"]["user_data"] == '${file("${path.module}/../main.ign")}'
    assert files["main.ign"].decode() == b.ignition_text
    b = _bundle(tmp_path, "")
    assert "terraform/main.tf.json" not in [rel for rel, _, _ in outputs(b)]


def test_target_findings_point_into_the_host_file(tmp_path):
    (tmp_path / "hostform.yaml").write_text(HOST + "target:\n  provider: vultr\n  region: ams\n  size: s\n")
    b = pipeline.build(tmp_path, pipeline.Options(checks=False))
    [d] = [d for d in b.report if d.code == "HF501"]
    assert (d.file, d.line) == ("hostform.yaml", 13)  # the target mapping
