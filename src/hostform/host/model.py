"""The normalized host: immutable values with every default filled in. No I/O.

Built by :mod:`hostform.host.load` from the host file; read by
:mod:`hostform.host.render`.  Every value carries its host-file path
(``source``) so that findings about generated artifacts can point back at
the line a user edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION
from hostform.terraform.model import Target

__all__ = [
    "ENV_DIR",
    "Access",
    "Backups",
    "BackupEnv",
    "Health",
    "Host",
    "Job",
    "KeyPath",
    "Observability",
    "OtlpHeader",
    "Secret",
    "SecretUse",
    "Service",
    "ServiceBackup",
    "SiteSpec",
    "State",
    "Tls",
    "Updates",
    "parse_publish",
    "sites_network_name",
]


# A place in the host file: mapping keys and list indices from the root, e.g.
# ("services", "live", "env_files", 0). Every finding and translation carries one.
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Health:
    http: str | None = None
    cmd: tuple[str, ...] = ()
    interval: str = "30s"
    timeout: str = "5s"
    retries: int = 3
    start_period: str = "10s"


@dataclass(frozen=True)
class SecretUse:
    name: str
    env: str | None = None
    target: str | None = None


_PUBLISH = re.compile(r"(?:([0-9]{1,3}(?:\.[0-9]{1,3}){3}):)?([0-9]{1,5}):([0-9]{1,5})(?:/(tcp|udp))?")


def parse_publish(value: str) -> tuple[str, int, int, str] | None:
    """``[IP:]HOST:CONTAINER[/tcp|udp]`` -> (ip or "", host port, container port, protocol); None if malformed."""
    mt = _PUBLISH.fullmatch(value)
    if mt is None:
        return None
    return mt.group(1) or "", int(mt.group(2)), int(mt.group(3)), mt.group(4) or "tcp"


# Where a service's embedded env files go on the VM: ENV_DIR/SERVICE/BASENAME.
ENV_DIR = "/etc/hostform/env"

# What Caddy serves: HTTP, HTTPS and HTTP/3.
CADDY_PORTS = (("http", "tcp", 80), ("https", "tcp", 443), ("http3", "udp", 443))
SSH_PORT = ("ssh", "tcp", 22)


@dataclass(frozen=True)
class ServiceBackup:
    """``services.NAME.backup``: what the backup does with the service before its snapshot: a command run inside
    its container (``before``: a dump into a volume), and whether it is stopped for the snapshot (``stop``)."""

    before: tuple[str, ...] = ()  # argv; one item is a shell command line (run by the image's /bin/sh -c)
    stop: bool = False


@dataclass(frozen=True)
class Service:
    name: str
    image: str
    command: tuple[str, ...] = ()
    entrypoint: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    env_files: tuple[str, ...] = ()
    secrets: tuple[SecretUse, ...] = ()
    volumes: tuple[tuple[str, str], ...] = ()
    port: int | None = None
    publish: tuple[str, ...] = ()
    health: Health | None = None
    depends_on: tuple[str, ...] = ()  # services whose units this one Requires= and is After=
    memory: str | None = None
    cpus: str | None = None
    user: str | None = None
    restart: str = "on-failure"
    auto_update: bool = True
    pod: str | None = None
    read_only: bool = False
    init: bool = False  # RunInit=: catatonit as the container's PID 1
    labels: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    backup: ServiceBackup | None = None
    source: KeyPath = ()


@dataclass(frozen=True)
class Job:
    """A container run to completion on a timer: the parts it shares with a service, and its schedule."""

    name: str
    image: str
    schedule: str  # OnCalendar=
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    volumes: tuple[tuple[str, str], ...] = ()
    user: str | None = None
    secrets: tuple[SecretUse, ...] = ()
    pull: bool = True  # pull a newer image of the tag before each run (Pull=newer): updates.enabled
    timeout: str = "1h"  # TimeoutStartSec= of its service: how long a run may take
    source: KeyPath = ()


@dataclass(frozen=True)
class SiteSpec:
    address: str
    service: str
    port: int
    aliases: tuple[str, ...] = ()
    encode: tuple[str, ...] = ()
    redirect_from: tuple[str, ...] = ()  # names answering with a permanent redirect to ``address``
    headers: tuple[tuple[str, str], ...] = ()  # response headers (name, value), in the host file's order
    basic_auth: tuple[tuple[str, str], ...] = ()  # (user, bcrypt hash), sorted by user
    # (user, secret): users whose password is a secret; the pipeline hashes it into ``basic_auth``
    basic_auth_secrets: tuple[tuple[str, str], ...] = ()
    caddy: str | None = None  # a raw Caddyfile snippet for the site block
    source: KeyPath = ()


@dataclass(frozen=True)
class Tls:
    email: str | None = None
    ca: str = "production"


@dataclass(frozen=True)
class Updates:
    schedule: str = "hourly"
    randomized_delay: str = "0"
    enabled: bool = True


@dataclass(frozen=True)
class State:
    size: str = "10GiB"
    device: str = "/dev/vdb"  # resolved: state.device, else target.state_volume.device, else the provider's
    path: str = "/var/mnt/state"
    format: str = "ext4"
    volume: bool = True  # False: no separate disk (target.state_volume: false); path is on the root disk


@dataclass(frozen=True)
class Secret:
    """A podman secret of the host: its value in ``file`` of the project (``sealed``: encrypted there,
    ``secrets/NAME.age``; else plain, written in clear only with ``embed``), or None: already on the VM."""

    name: str
    file: str | None = None
    embed: bool = False
    source: KeyPath = ()
    sealed: bool = False
    hashed_only: bool = False  # encrypted, and only a basic_auth password: its bcrypt hash is all the VM gets

    @property
    def shipped(self) -> bool:
        """Does the build send its value to the VM?"""
        return (self.sealed and not self.hashed_only) or (self.file is not None and self.embed)


@dataclass(frozen=True)
class Registry:
    """Credentials for a registry (``registries``): the password is the value of secret ``password_secret``."""

    host: str
    username: str
    password_secret: str
    source: KeyPath = ()


@dataclass(frozen=True)
class Status:
    """``status``: the endpoints of ``hostform status``, ``logs`` and ``update``, on ``site`` under /.hostform/,
    behind the token in secret ``token_secret``; ``token_hash`` is its bcrypt hash (the pipeline makes it)."""

    site: str
    token_secret: str
    token_hash: str | None = None
    source: KeyPath = ("status",)


@dataclass(frozen=True)
class Access:
    ssh_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class OtlpHeader:
    """A header of the OTLP exports: its value written in the host file, or the name of the secret holding it."""

    name: str
    value: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Observability:
    """``observability``: the OpenTelemetry Collector's destination, its image and how often it collects metrics."""

    endpoint: str
    image: str
    headers: tuple[OtlpHeader, ...] = ()
    interval: str = "60s"
    source: KeyPath = ("observability",)


@dataclass(frozen=True)
class BackupEnv:
    """A variable of restic's environment (the storage's credentials and settings): its value written in the host
    file, or the name of the secret holding it."""

    name: str
    value: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Backups:
    """``backups``: restic on a timer, the state disk's data to ``repository``; ``restore`` "on-blank": a blank state
    disk gets the latest snapshot back before anything that keeps data there starts."""

    repository: str
    password_secret: str
    image: str
    schedule: str = "*-*-* 02:45"
    keep: tuple[tuple[str, int], ...] = (("daily", 7), ("weekly", 4), ("monthly", 6))  # restic forget --keep-NAME N
    env: tuple[BackupEnv, ...] = ()
    ssh_key_secret: str | None = None  # sftp: the private key
    known_hosts: tuple[str, ...] = ()  # sftp: the server's host keys (known_hosts lines)
    restore: str = "never"  # "never" | "on-blank"
    prune: bool = True  # forget --prune after each backup (False: an append-only server)
    timeout: str = "6h"
    source: KeyPath = ("backups",)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret the backups use: the password, the environment's, the SSH key."""
        out = [self.password_secret, *(e.secret for e in self.env if e.secret)]
        if self.ssh_key_secret:
            out.append(self.ssh_key_secret)
        return tuple(dict.fromkeys(out))

    @property
    def restores(self) -> bool:
        return self.restore == "on-blank"


def sites_network_name(network: str) -> str:
    """The podman network Caddy is on, beside the services' ``network``: a service behind a
    site joins it once its health check passes, so Caddy never proxies to a container that
    has not passed it (a bad image being rolled back is never served)."""
    return f"{network}-sites"


@dataclass(frozen=True)
class Host:
    name: str
    podman: str = DEFAULT_PODMAN_VERSION
    butane_version: str = "1.5.0"
    services: tuple[Service, ...] = ()
    jobs: tuple[Job, ...] = ()
    sites: tuple[SiteSpec, ...] = ()
    tls: Tls = field(default_factory=Tls)
    updates: Updates = field(default_factory=Updates)
    state: State = field(default_factory=State)
    secrets: tuple[Secret, ...] = ()
    registries: tuple[Registry, ...] = ()
    recipients: tuple[str, ...] = ()
    access: Access = field(default_factory=Access)
    network: str = "hostform"
    quadlets: tuple[str, ...] = ()
    butane: tuple[str, ...] = ()
    target: Target | None = None  # where it runs (hostform plan/apply/destroy); None: not said
    observability: Observability | None = None  # the OpenTelemetry Collector; None: none
    status: Status | None = None  # the status/logs/update endpoints; None: none
    backups: Backups | None = None  # restic to a repository, on a timer; None: none

    @property
    def sites_network(self) -> str:
        """The network Caddy is on; see :func:`sites_network_name`."""
        return sites_network_name(self.network)

    def service(self, name: str) -> Service | None:
        for s in self.services:
            if s.name == name:
                return s
        return None

    @property
    def pods(self) -> tuple[str, ...]:
        return tuple(sorted({s.pod for s in self.services if s.pod}))

    @property
    def open_ports(self) -> tuple[tuple[str, str, int], ...]:
        """(label, protocol, port) the firewall lets in: Caddy's, 22/tcp when
        ``access`` has a break-glass key, and each published host port (not
        those bound to a loopback address), each once."""
        out = list(CADDY_PORTS)
        if self.access.ssh_keys:
            out.append(SSH_PORT)
        seen = {(proto, port) for _, proto, port in out}
        for s in self.services:
            for p in s.publish:
                pp = parse_publish(p)
                if pp is None or pp[0].startswith("127.") or (pp[3], pp[1]) in seen:
                    continue
                seen.add((pp[3], pp[1]))
                out.append((f"publish_{pp[1]}_{pp[3]}", pp[3], pp[1]))
        return tuple(out)

    @property
    def uses_caddy(self) -> bool:
        return bool(self.sites)
