"""What the scenarios share that boot a host built by `hostform build` and look at it as a visitor
does: the machine, with Caddy's image from the local registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform.tryout import commands as C
from hostform.tryout.harness import Machine

# (g): every scenario on Debian's podman 5.4 and on 5.8, Fedora CoreOS stable's (sid's, in the podman-sid root filesystem)
PODMANS = [pytest.param("", "5.4", id="podman-5.4"), pytest.param("podman-sid", "5.8", id="podman-5.8")]

# hostform writes Caddy's image as docker.io/library/caddy:2; the machines pull it from the local registry
CADDY_REMAP = {"docker.io/library/caddy": f"{C.registry_name_in_guest()}/caddy"}


def boot_site(
    runner, cache, registry, machines, ign: Path, work: Path, *, state: Path | None = None, disk: str | None = None, variant: str = ""
) -> Machine:
    """Boot the built host ``ign`` until its site and Caddy are active. Its state volume is ``disk``
    (a block device, as on a VM) or the directory ``state`` bound in; ``variant`` names the root
    filesystem (``podman-sid`` has podman 5.8: C.ROOTFS_VARIANTS)."""
    m = Machine(ign, work, cache, runner, registry_port=registry.port, state_dir=state, state_disk=disk, remaps=CADDY_REMAP)
    m.variant = variant
    machines.append(m)
    m.provision()
    m.boot()
    for unit in ("site.service", "caddy.service"):
        assert m.wait_active(unit, 180), m.exec(["journalctl", "-b", "--no-pager", "-n", "80"], check=False).stdout
    return m

