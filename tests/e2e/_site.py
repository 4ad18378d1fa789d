"""What the scenarios share that boot a host built by `hostform build` and look at it as a visitor
does: the machine with Caddy from the local registry, and Caddy's internal root read from it."""

from __future__ import annotations

import time
from pathlib import Path

from hostform.tryout import commands as C
from hostform.tryout.harness import Machine

# hostform writes Caddy's image as docker.io/library/caddy:2; the machines pull it from the local registry
CADDY_REMAP = {"docker.io/library/caddy": f"{C.registry_name_in_guest()}/caddy"}

STATE = "/var/mnt/state"  # state.path's default
ROOT_CA_IN_GUEST = f"{STATE}/caddy/data/caddy/{C.CADDY_ROOT_CA}"  # Caddy's internal CA


def boot_site(runner, cache, registry, machines, ign: Path, work: Path, state: Path) -> Machine:
    m = Machine(ign, work, cache, runner, registry_port=registry.port, state_dir=state, remaps=CADDY_REMAP)
    machines.append(m)
    m.provision()
    m.boot()
    for unit in ("site.service", "caddy.service"):
        assert m.wait_active(unit, 180), m.exec(["journalctl", "-b", "--no-pager", "-n", "80"], check=False).stdout
    return m


def caddy_root(m: Machine, dest: Path, timeout: float = 60) -> Path:
    """Caddy's internal root certificate, read on the machine (once Caddy has made it) into ``dest``."""
    end = time.monotonic() + timeout
    while (res := m.exec(["cat", ROOT_CA_IN_GUEST], check=False)).returncode != 0:
        assert time.monotonic() < end, f"no {ROOT_CA_IN_GUEST} after {timeout:.0f}s: {res.stderr}"
        time.sleep(0.5)
    dest.write_text(res.stdout)
    return dest
