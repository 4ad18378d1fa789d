"""The containers kept from the cloud's metadata service, on a host whose Ignition config holds secrets.

On a cloud the instance's user data (the Ignition config hostform writes, with every secret it
embeds) is served by the metadata service at 169.254.169.254 (and fd00:ec2::254 on AWS over IPv6)
to any process that asks, a container's included (fedora-coreos-docs#306). A host with secrets
gets an nftables table of its own (:func:`ruleset`) that drops packets to those addresses coming
in from anywhere but the host itself, loaded by a oneshot unit (:func:`unit_text`) before any
container starts.

Why the prerouting hook: a container's packets come in through its network's bridge and pass
prerouting whether the address is remote (a real cloud: they are forwarded) or local (a test
machine serving it on a dummy interface: they go to input), while the host's own packets to a
remote address never pass it (output, postrouting) and those to a local address come in through
``lo``, which is let through. At priority ``raw`` the rule sees the address the container asked
for, before any DNAT, and a drop in any base chain is final: netavark's own chains (nftables or
iptables, with their accepts) cannot undo it. A container in a pod or with ``publish`` is on the
same bridges. What is not: a container on the host's own network (``--network=host`` in
``extra``, or a quadlet of your own) or behind pasta/slirp4netns is, for the firewall, the host.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hostform.host import model as m
from hostform.host.model import KeyPath

__all__ = ["METADATA_ADDRESSES", "RULESET_PATH", "TABLE", "UNIT", "blocks_metadata", "quadlet_services", "ruleset", "unit_text"]

METADATA_ADDRESSES = ("169.254.169.254", "fd00:ec2::254")  # IPv4 (every cloud), IPv6 (AWS)
TABLE = "hostform_metadata"
RULESET_PATH = "/etc/hostform/metadata-block.nft"
UNIT = "hostform-metadata-block.service"
NFT = "/usr/sbin/nft"


def blocks_metadata(host: m.Host) -> KeyPath | None:
    """Why ``host``'s containers are kept from the metadata service: the host-file path of what
    its Ignition config holds that they must not read; None: nothing, and no rule is written.
    Today: any secret (embedded or not: the host file says the host has secrets) and any env
    file of the project (embedded in clear like a secret's file)."""
    if host.secrets:
        return ("secrets",)
    for s in host.services:
        for i, f in enumerate(s.env_files):
            if not f.startswith("/"):
                return s.source + ("env_files", i)
    return None


def ruleset(header: str) -> str:
    """The nftables file: its own table, replaced whole at each load (declared, deleted, declared
    again: loading it twice leaves one copy, and the first load finds a table to delete)."""
    v4, v6 = METADATA_ADDRESSES
    return header + "".join(line + "\n" for line in [
        "# The containers may not reach the cloud's metadata service, which serves the instance's",
        "# user data (the Ignition config, with its secrets); the host itself may.",
        f"table inet {TABLE}",
        f"delete table inet {TABLE}",
        f"table inet {TABLE} {{",
        "\tchain prerouting {",
        "\t\ttype filter hook prerouting priority raw; policy accept;",
        '\t\tiifname "lo" accept',
        f"\t\tip daddr {v4} counter drop",
        f"\t\tip6 daddr {v6} counter drop",
        "\t}",
        "}",
    ])  # fmt: skip


def quadlet_services(quadlets: Sequence[tuple[str, str]]) -> list[str]:
    """The service each quadlet file (name, text) becomes, as podman's generator names it."""
    from hostform.quadlet.generator import service_name
    from hostform.quadlet.unitfile import UnitParseError, parse_text

    out = []
    for name, text in quadlets:
        try:
            out.append(service_name(parse_text(text, name)))
        except (UnitParseError, KeyError):
            continue  # the generator check reports it
    return [n + ".service" for n in out]


# a unit name systemd reads in a list of Before= names as it is written (no quoting, no specifier)
_PLAIN_UNIT = re.compile(r"[A-Za-z0-9:_.\\-]+\.service")


def unit_text(container_units: Sequence[str], header: str) -> str:
    """The unit loading :func:`ruleset`: before the network is set up (``network-pre.target``,
    as nftables.service does) and before each unit of ``container_units`` (the quadlets'
    services: no container starts before the rule is there), which also require it (enabled:
    ``RequiredBy=``), so that if it cannot be loaded no container starts. No ``ExecStop=``:
    stopping it leaves the rule in place."""
    names = [n for n in dict.fromkeys(container_units) if _PLAIN_UNIT.fullmatch(n) and "@" not in n]
    deps = " ".join(names)
    return header + "".join(line + "\n" for line in [
        "[Unit]",
        "Description=Keep the containers from the cloud metadata service, which serves the secrets (hostform)",
        "Wants=network-pre.target",
        "Before=network-pre.target" + (f" {deps}" if deps else ""),
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        f"ExecStart={NFT} -f {RULESET_PATH}",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        *([f"RequiredBy={deps}"] if deps else []),
    ])  # fmt: skip
