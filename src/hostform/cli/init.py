"""``hostform init [DIR]``: write a commented hostform.yaml to start from."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TEMPLATE = """\
# hostform.yaml: one container host. `hostform build` turns it into quadlets,
# a Caddyfile, Butane and Ignition; `hostform schema` prints every key.
name: {name}

# The podman of the target OS (decides which quadlet keys are used).
# podman: "5.8"

services:
  web:
    # Fully qualified: auto-update needs the registry spelled out.
    image: docker.io/library/nginx:1
    port: 80                      # where the service listens in the container
    health: {{http: /}}             # lets auto-update roll back a bad image
    # env: {{GREETING: hello}}
    # env_files: [{{file: web.env, embed: true}}]   # embed: written in clear into the Ignition
    # secrets: [db-password]      # see `secrets` below
    # volumes: {{data: /var/lib/web}}   # on the state disk, survives the VM
    # publish: ["2222:22"]
    # resources: {{memory: 512m, cpus: 0.5}}
    # user: "1000:1000"

sites:
  example.org: web                # Caddy proxies this domain to the service

tls:
  email: admin@example.org        # ACME account (expiry notices)
  ca: staging                     # production | staging | internal

updates:
  schedule: hourly                # podman-auto-update.timer's OnCalendar

state:
  size: 10GiB                     # the disk that keeps volumes and certificates

# secrets:
#   db-password: {{file: secrets/db-password, embed: true}}   # embed: written in clear into the Ignition
# backups:                        # restic: the state disk's data to a repository (docs/backups.md)
#   repository: rest:https://backups.example.org/{name}
#   password: {{secret: restic-password}}                     # hostform secret set restic-password
#   restore: on-blank             # a new, blank state disk gets the latest snapshot back
# access:
#   ssh_keys: ["ssh-ed25519 AAAA... me@laptop"]              # break-glass; no SSH at all without it
"""


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hostform init", description="Write a commented hostform.yaml.")
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("--force", action="store_true", help="overwrite an existing hostform.yaml")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)
    d = Path(args.dir)
    target = d / "hostform.yaml"
    if target.exists() and not args.force:
        sys.stderr.write(f"hostform init: {target} exists (use --force to overwrite)\n")
        return 1
    import re

    name = re.sub(r"[^a-z0-9-]+", "-", d.resolve().name.lower()).strip("-")[:63] or "host"
    from hostform.emit import write_atomic

    try:
        write_atomic(target, TEMPLATE.format(name=name).encode())
    except OSError as e:
        sys.stderr.write(f"hostform init: cannot write {target}: {e.strerror or e}\n")
        return 1
    sys.stdout.write(f"wrote {target}; next: hostform build {args.dir}\n")
    return 0
