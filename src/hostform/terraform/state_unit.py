"""The systemd units that mount the state volume, as texts for the host renderer.

The state volume is attached after the VM boots (Terraform attaches it to the
new VM, live), so nothing may wait for it during boot, and nothing may ever
wipe it.  Three pieces:

* a drop-in for the device unit (``dev-vdb.device``) that lifts systemd's
  90-second device timeout: the volume can arrive minutes after boot;
* ``hostform-state-prepare.service``: runs once the device exists; makes a
  file system only when ``blkid -p`` finds nothing on the device (exit 2), keeps
  whatever it finds (exit 0), and fails without touching the device on any other
  answer.  That check is the only guard: run without a terminal, ``mkfs.ext4``
  overwrites an existing file system even without its force flag (the e2e suite
  shows a swap signature and a partition table kept, and that mkfs run first
  would destroy them);
* the ``.mount`` unit for the state directory, ``nofail`` so that
  ``local-fs.target`` (and the boot) does not wait for it.  Services that keep
  data there (Caddy, declared volumes) add ``RequiresMountsFor=<path>``.

The directories hostform keeps on the volume (Caddy's data, the declared
volumes) must be made on the mounted file system, not by Ignition on the root
disk under the mount point: :func:`state_dirs` gives a tmpfiles.d file listing
them and ``hostform-state-dirs.service``, which applies it once the path is
mounted.  Services order themselves after that service.

Use :func:`state_units`; each entry is shaped like a Butane/Ignition
``systemd.units`` item: a name, contents (None for a drop-in-only entry),
``enabled``, and drop-ins.
"""

from __future__ import annotations

from dataclasses import dataclass

from hostform.escape import shell_word, systemd_path, unit_word

__all__ = [
    "DIRS_SERVICE",
    "PREPARE_SERVICE",
    "TMPFILES_PATH",
    "StateUnit",
    "mount_unit_name",
    "state_dirs",
    "state_units",
]

PREPARE_SERVICE = "hostform-state-prepare.service"
DIRS_SERVICE = "hostform-state-dirs.service"
TMPFILES_PATH = "/etc/tmpfiles.d/hostform-state.conf"
_FS = ("ext4", "xfs")


@dataclass(frozen=True)
class StateUnit:
    name: str
    contents: str | None
    enabled: bool | None = None
    dropins: tuple[tuple[str, str], ...] = ()


def mount_unit_name(path: str) -> str:
    """The mount unit of ``path``: ``systemd-escape --path --suffix=mount``."""
    return systemd_path(path) + ".mount"


def device_unit_name(device: str) -> str:
    """The device unit of ``device``: ``systemd-escape --path --suffix=device``."""
    return systemd_path(device) + ".device"


def _prepare_script(device: str, fs: str, label: str) -> str:
    """The shell script of the prepare unit; every value in it is a :func:`~hostform.escape.shell_word`."""
    dev = shell_word(device)
    keep = shell_word(f"{device} already has a file system: keeping it")
    fail = shell_word(f"blkid -p {device} failed (exit ") + '"$rc"' + shell_word("): not touching it")
    make = shell_word(f"{device} is blank: making an {fs} file system")
    return (
        f"blkid -p {dev} >/dev/null 2>&1; rc=$?; "
        f"if [ $rc -eq 0 ]; then echo {keep}; exit 0; fi; "
        f"if [ $rc -ne 2 ]; then echo {fail} >&2; exit 1; fi; "
        f"echo {make}; exec mkfs.{fs} -q -L {shell_word(label)} {dev}"
    )


def state_units(device: str, path: str = "/var/mnt/state", fs: str = "ext4", label: str = "hostform-state") -> list[StateUnit]:
    """The units that prepare and mount ``device`` on ``path`` (see the module docstring)."""
    if fs not in _FS:
        raise ValueError(f"unsupported file system {fs!r}; one of {_FS}")
    if not device.startswith("/dev/") or any(c.isspace() or c in "'\"\\;$`%" for c in device + path):
        raise ValueError("device must be a /dev/ path, and neither it nor the mount path may hold spaces, quotes, '%', '$' or ';'")
    dev_unit = device_unit_name(device)
    mount = mount_unit_name(path)
    wait = StateUnit(
        dev_unit,
        None,
        None,
        (("hostform-wait.conf", "# The state volume is attached after boot: wait for it as long as it takes.\n[Unit]\nJobRunningTimeoutSec=infinity\n"),),
    )
    prepare = StateUnit(
        PREPARE_SERVICE,
        "[Unit]\n"
        f"Description=Make a file system on the state volume {device}, only if it is blank\n"
        f"Requires={dev_unit}\n"
        f"After={dev_unit}\n"
        f"Before={mount}\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        "TimeoutStartSec=infinity\n"
        f"ExecStart=/bin/sh -c {unit_word(_prepare_script(device, fs, label))}\n",
        None,
    )
    mount_unit = StateUnit(
        mount,
        "[Unit]\n"
        "Description=The hostform state volume (kept across VM replacements)\n"
        f"Requires={PREPARE_SERVICE}\n"
        f"After={PREPARE_SERVICE}\n"
        "\n"
        "[Mount]\n"
        f"What={device}\n"
        f"Where={path}\n"
        f"Type={fs}\n"
        "Options=defaults,nofail\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n",
        True,
    )
    return [wait, prepare, mount_unit]


def state_dirs(path: str, dirs: list[str], mode: str = "0755") -> tuple[str, StateUnit]:
    """The tmpfiles.d text (for :data:`TMPFILES_PATH`) making ``dirs``, and the unit applying it after ``path`` is mounted."""
    if any(c.isspace() for c in path + "".join(dirs)):
        raise ValueError("state directories may not hold spaces")
    conf = "# hostform: directories on the state volume (made once it is mounted)\n" + "".join(f"d {d} {mode} root root -\n" for d in dirs)
    unit = StateUnit(
        DIRS_SERVICE,
        "[Unit]\n"
        "Description=Make hostform's directories on the state volume\n"
        f"RequiresMountsFor={path}\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        f"ExecStart=/usr/bin/systemd-tmpfiles --create {TMPFILES_PATH}\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n",
        True,
    )
    return conf, unit
