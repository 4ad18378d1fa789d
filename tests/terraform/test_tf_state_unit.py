import shutil
import subprocess

import pytest

from hostform.terraform.state_unit import PREPARE_SERVICE, device_unit_name, mount_unit_name, state_units
from tests.systemd_exec import exec_argv


@pytest.mark.parametrize(
    "path, expected",
    [("/var/mnt/state", "var-mnt-state"), ("/dev/vdb", "dev-vdb"), ("/dev/disk/by-id/scsi-0DO_Volume_web-state", "dev-disk-by\\x2did-scsi\\x2d0DO_Volume_web\\x2dstate"), ("/", "-")],
)
def test_escape(path, expected):
    """The unit names systemd gives these paths (hostform.escape.systemd_path; tests/test_escape.py has the hard ones)."""
    assert mount_unit_name(path) == expected + ".mount" and device_unit_name(path) == expected + ".device"
    if shutil.which("systemd-escape"):
        assert subprocess.run(["systemd-escape", "--path", "--suffix=mount", path], capture_output=True, text=True).stdout.strip() == expected + ".mount"


def test_units():
    wait, prepare, mount = state_units("/dev/vdb", "/var/mnt/state", "ext4")
    assert wait.name == "dev-vdb.device" and wait.contents is None
    assert "JobRunningTimeoutSec=infinity" in wait.dropins[0][1]
    assert prepare.name == PREPARE_SERVICE
    text = prepare.contents
    assert "Requires=dev-vdb.device" in text and "After=dev-vdb.device" in text and "Before=var-mnt-state.mount" in text
    # formats only when blkid finds nothing (exit 2); never a forced mkfs, never wipefs/dd
    assert "blkid -p /dev/vdb" in text and "-ne 2" in text
    for bad in (" -F", " -f ", "wipefs", "dd ", "sgdisk", "--force"):
        assert bad not in text
    assert "$$rc" in text  # systemd would expand a single $
    assert mount.name == mount_unit_name("/var/mnt/state") == "var-mnt-state.mount"
    assert "What=/dev/vdb" in mount.contents and "Where=/var/mnt/state" in mount.contents and "Type=ext4" in mount.contents
    assert "nofail" in mount.contents and "WantedBy=multi-user.target" in mount.contents and mount.enabled


def test_prepare_script_behaviour(tmp_path):
    """Run the ExecStart script with fake blkid/mkfs: formats a blank device only."""
    _, prepare, _ = state_units("/dev/vdb", fs="xfs")
    line = next(x for x in prepare.contents.splitlines() if x.startswith("ExecStart="))
    argv = exec_argv(line[len("ExecStart=") :])  # as systemd reads it
    assert argv[:2] == ["/bin/sh", "-c"] and len(argv) == 3
    script = argv[2]
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "log"
    (bin_ / "mkfs.xfs").write_text(f'#!/bin/sh\necho "mkfs $*" >> {log}\n')
    for rc, formatted, ok in ((2, True, True), (0, False, True), (4, False, False)):
        (bin_ / "blkid").write_text(f"#!/bin/sh\nexit {rc}\n")
        for f in bin_.iterdir():
            f.chmod(0o755)
        log.write_text("")
        p = subprocess.run(["/bin/sh", "-c", script], env={"PATH": f"{bin_}:/usr/bin:/bin"}, capture_output=True, text=True)
        assert (p.returncode == 0) == ok
        assert (log.read_text() == "mkfs -q -L hostform-state /dev/vdb\n") == formatted


@pytest.mark.parametrize("device", ["/dev/disk/by-id/scsi-0DO_Volume_web-state", "/dev/disk/by-path/pci-0000:00:05.0", "/dev/vd@b+1"])
def test_prepare_script_names_the_device_as_one_word(tmp_path, device):
    """Whatever the device path (from the host file), blkid and mkfs get it as one argument, as written."""
    _, prepare, _ = state_units(device)
    line = next(x for x in prepare.contents.splitlines() if x.startswith("ExecStart="))
    script = exec_argv(line[len("ExecStart=") :])[2]
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "log"
    for tool, rc in (("blkid", 2), ("mkfs.ext4", 0)):
        (bin_ / tool).write_text(f'#!/bin/sh\nprintf "%s|" {tool} "$@" >> {log}; echo >> {log}; exit {rc}\n')
        (bin_ / tool).chmod(0o755)
    p = subprocess.run(["/bin/sh", "-c", script], env={"PATH": f"{bin_}:/usr/bin:/bin"}, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert log.read_text().splitlines() == [f"blkid|-p|{device}|", f"mkfs.ext4|-q|-L|hostform-state|{device}|"]


def test_rejects_unsafe_paths():
    with pytest.raises(ValueError):
        state_units("/dev/vdb; rm -rf /")
    with pytest.raises(ValueError):
        state_units("/dev/vdb", fs="btrfs")
