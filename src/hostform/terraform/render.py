"""Target + Ignition -> ``main.tf.json`` (Terraform's JSON syntax), deterministic.

Every cloud target gets the same shape, under fixed resource names so that the
plan can be put into words (see ``driver.ROLES``):

* the VM (``*.host``) with the Ignition as its user data: a change of the
  Ignition replaces the VM;
* a reserved address (``*.host``) that is kept when the VM is replaced;
* a firewall that lets in only the ports it is given: 80/tcp, 443/tcp and
  443/udp (HTTP/3) for Caddy, plus what the host adds (``Host.open_ports``:
  22/tcp with a break-glass key, the services' published ports);
* the state volume (``*.state``), attached to the VM after it boots;
* optional DNS A records (``*.dns_<n>``) for the reserved address.

The ``local`` target uses only Terraform's built-in ``terraform_data``,
replaced when the Ignition's SHA-256 changes, whose provisioners start and stop
``hostform try``: the whole Terraform workflow, offline.

No credential is ever rendered: each provider block is empty and the provider
reads its token from the environment (``VULTR_API_KEY``, ``HCLOUD_TOKEN``,
``DIGITALOCEAN_TOKEN``, ``AWS_*``).  The renderers build the document from plain
strings, which are literal text, and :class:`Expr` values, which are the only
Terraform expressions; :func:`render` then escapes every plain string for
Terraform's template syntax (``${`` and ``%{``, :func:`hostform.escape.terraform_string`),
so no value from the host file (the Ignition included) is ever read as a template.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from hostform.diagnostics import Report
from hostform.escape import shell_word, terraform_string
from hostform.terraform.limits import fit_user_data
from hostform.terraform.model import Target

__all__ = ["PROVIDER_SOURCES", "TF_PATH", "Expr", "Rendered", "render", "resource_name", "to_json", "volume_name"]

PROVIDER_SOURCES = {
    "vultr": ("vultr", "vultr/vultr", "~> 2.28"),
    "hetzner": ("hcloud", "hetznercloud/hcloud", "~> 1.54"),
    "digitalocean": ("digitalocean", "digitalocean/digitalocean", "~> 2.50"),
    "aws": ("aws", "hashicorp/aws", ">= 5.50"),
}

# (label, protocol, port) let in without a host to say more: Caddy's HTTP, HTTPS and HTTP/3.
# (label, protocol, port) each, as Host.open_ports gives them
Ports = tuple[tuple[str, str, int], ...]
PORTS: Ports = (("http", "tcp", 80), ("https", "tcp", 443), ("http3", "udp", 443))
ANY_V4 = "0.0.0.0/0"
ANY_V6 = "::/0"
FCOS_AWS_OWNER = "125523088429"  # the Fedora Project's AWS account
TF_PATH = "terraform/main.tf.json"  # under the build directory


@dataclass(frozen=True)
class Rendered:
    tf: dict[str, Any]
    report: Report
    user_data: str  # what the VM gets ("" for local)
    how: str  # plain | compressed | replace | too-large | local


def to_json(tf: dict[str, Any]) -> str:
    """The text of ``main.tf.json`` (stable: insertion order, two-space indent)."""
    import json

    return json.dumps(tf, indent=2, ensure_ascii=False) + "\n"


class Expr(str):
    """A Terraform expression (``${...}``) written by hostform: the only strings not escaped."""


# the Ignition config, as main.tf.json (in OUT/terraform/) reads it from OUT/main.ign
USER_DATA_FILE = Expr('${file("${path.module}/../main.ign")}')


def _escaped(value: Any) -> Any:
    """``value`` with every plain string (and key) made literal for Terraform; :class:`Expr` kept as is."""
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, str):
        return terraform_string(value)
    if isinstance(value, dict):
        return {terraform_string(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def resource_name(name: str) -> str:
    """A provider-friendly label from the host name: lowercase letters, digits and '-'."""
    s = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    if not s or not s[0].isalpha():
        s = "h-" + s
    return s[:48].rstrip("-")


def volume_name(host_name: str) -> str:
    """The state volume's name at the provider (DigitalOcean's device path includes it)."""
    return f"{resource_name(host_name)}-state"


def _ref(expr: str) -> Expr:
    return Expr("${" + expr + "}")


def _terraform_block(target: Target) -> dict[str, Any]:
    local, source, version = PROVIDER_SOURCES[target.provider]
    return {"required_providers": {local: {"source": source, "version": target.provider_version or version}}}


def _vultr(t: Target, name: str, user_data: str, ports: Ports) -> dict[str, Any]:
    res: dict[str, Any] = {}
    inst: dict[str, Any] = {
        "region": t.region,
        "plan": t.size,
        "label": name,
        "hostname": name,
        "user_data": user_data,
        "enable_ipv6": True,
        "activation_email": False,
        "firewall_group_id": _ref("vultr_firewall_group.host.id"),
    }
    if t.image_url:
        res["vultr_snapshot_from_url"] = {"fcos": {"url": t.image_url}}
        inst["snapshot_id"] = _ref("vultr_snapshot_from_url.fcos.id")
    elif t.image:
        inst["snapshot_id"] = t.image
    else:
        inst["os_id"] = t.os_id
    if t.ssh_keys:
        inst["ssh_key_ids"] = list(t.ssh_keys)
    if t.reserved_ip:
        res["vultr_reserved_ip"] = {"host": {"region": t.region, "ip_type": "v4", "label": name}}
        inst["reserved_ip_id"] = _ref("vultr_reserved_ip.host.id")
    res["vultr_firewall_group"] = {"host": {"description": name}}
    rules: dict[str, Any] = {}
    for label, proto, port in ports:
        for ipv, subnet in (("v4", "0.0.0.0"), ("v6", "::")):
            rules[f"{label}_{ipv}"] = {
                "firewall_group_id": _ref("vultr_firewall_group.host.id"),
                "protocol": proto,
                "ip_type": ipv,
                "subnet": subnet,
                "subnet_size": 0,
                "port": str(port),
                "notes": f"{label} {port}/{proto}",
            }
    res["vultr_firewall_rule"] = rules
    res["vultr_instance"] = {"host": inst}
    if t.state_volume is not None:
        res["vultr_block_storage"] = {
            "state": {
                "region": t.region,
                "size_gb": t.state_volume.size_gb,
                "label": volume_name(name),
                "block_type": "high_perf",
                "attached_to_instance": _ref("vultr_instance.host.id"),
                "live": True,
            }
        }
    address = "vultr_reserved_ip.host.subnet" if t.reserved_ip else "vultr_instance.host.main_ip"
    if t.dns is not None:
        res["vultr_dns_record"] = {
            f"dns_{i}": {"domain": t.dns.domain, "name": r.name, "type": r.type, "data": _ref(address), "ttl": r.ttl}
            for i, r in enumerate(t.dns.records)
        }
    return {"resource": res, "output": {"ipv4": {"value": _ref(address)}}}


def _hetzner(t: Target, name: str, user_data: str, ports: Ports) -> dict[str, Any]:
    res: dict[str, Any] = {}
    server: dict[str, Any] = {
        "name": name,
        "server_type": t.size,
        "image": t.image,
        "location": t.region,
        "user_data": user_data,
        "firewall_ids": [_ref("hcloud_firewall.host.id")],
    }
    if t.ssh_keys:
        server["ssh_keys"] = list(t.ssh_keys)
    if t.reserved_ip:
        res["hcloud_primary_ip"] = {
            "host": {"name": name, "type": "ipv4", "location": t.region, "assignee_type": "server", "auto_delete": False}
        }
        server["public_net"] = {"ipv4_enabled": True, "ipv4": _ref("hcloud_primary_ip.host.id"), "ipv6_enabled": True}
    res["hcloud_firewall"] = {
        "host": {
            "name": name,
            "rule": [
                {"direction": "in", "protocol": proto, "port": str(port), "source_ips": [ANY_V4, ANY_V6], "description": label}
                for label, proto, port in ports
            ],
        }
    }
    res["hcloud_server"] = {"host": server}
    if t.state_volume is not None:
        res["hcloud_volume"] = {"state": {"name": volume_name(name), "size": t.state_volume.size_gb, "location": t.region}}
        res["hcloud_volume_attachment"] = {
            "state": {"volume_id": _ref("hcloud_volume.state.id"), "server_id": _ref("hcloud_server.host.id"), "automount": False}
        }
    address = "hcloud_primary_ip.host.ip_address" if t.reserved_ip else "hcloud_server.host.ipv4_address"
    if t.dns is not None:
        res["hcloud_zone_rrset"] = {
            f"dns_{i}": {"zone": t.dns.domain, "name": r.name or "@", "type": r.type, "ttl": r.ttl, "records": [{"value": _ref(address)}]}
            for i, r in enumerate(t.dns.records)
        }
    return {"resource": res, "output": {"ipv4": {"value": _ref(address)}}}


def _digitalocean(t: Target, name: str, user_data: str, ports: Ports) -> dict[str, Any]:
    res: dict[str, Any] = {}
    droplet: dict[str, Any] = {
        "name": name,
        "region": t.region,
        "size": t.size,
        "user_data": user_data,
        "ipv6": True,
    }
    if t.image_url:
        res["digitalocean_custom_image"] = {
            "fcos": {"name": f"{name}-fedora-coreos", "url": t.image_url, "regions": [t.region], "distribution": "Fedora"}
        }
        droplet["image"] = _ref("digitalocean_custom_image.fcos.id")
    else:
        droplet["image"] = t.image
    if t.ssh_keys:
        droplet["ssh_keys"] = list(t.ssh_keys)
    res["digitalocean_droplet"] = {"host": droplet}
    if t.reserved_ip:
        res["digitalocean_reserved_ip"] = {"host": {"region": t.region}}
        res["digitalocean_reserved_ip_assignment"] = {
            "host": {"ip_address": _ref("digitalocean_reserved_ip.host.ip_address"), "droplet_id": _ref("digitalocean_droplet.host.id")}
        }
    everywhere = [ANY_V4, ANY_V6]
    res["digitalocean_firewall"] = {
        "host": {
            "name": name,
            "droplet_ids": [_ref("digitalocean_droplet.host.id")],
            "inbound_rule": [
                {"protocol": proto, "port_range": str(port), "source_addresses": everywhere} for _, proto, port in ports
            ],
            # A DigitalOcean firewall drops all outgoing traffic that no rule allows.
            "outbound_rule": [
                {"protocol": "tcp", "port_range": "1-65535", "destination_addresses": everywhere},
                {"protocol": "udp", "port_range": "1-65535", "destination_addresses": everywhere},
                {"protocol": "icmp", "destination_addresses": everywhere},
            ],
        }
    }
    if t.state_volume is not None:
        res["digitalocean_volume"] = {"state": {"region": t.region, "name": volume_name(name), "size": t.state_volume.size_gb}}
        res["digitalocean_volume_attachment"] = {
            "state": {"droplet_id": _ref("digitalocean_droplet.host.id"), "volume_id": _ref("digitalocean_volume.state.id")}
        }
    address = "digitalocean_reserved_ip.host.ip_address" if t.reserved_ip else "digitalocean_droplet.host.ipv4_address"
    if t.dns is not None:
        res["digitalocean_record"] = {
            f"dns_{i}": {"domain": t.dns.domain, "type": r.type, "name": r.name or "@", "value": _ref(address), "ttl": r.ttl}
            for i, r in enumerate(t.dns.records)
        }
    return {"resource": res, "output": {"ipv4": {"value": _ref(address)}}}


def _aws(t: Target, name: str, user_data: str, ports: Ports) -> dict[str, Any]:
    res: dict[str, Any] = {}
    data: dict[str, Any] = {}
    tags = {"Name": name}
    inst: dict[str, Any] = {
        "instance_type": t.size,
        "availability_zone": t.zone,
        "user_data": user_data,
        "user_data_replace_on_change": True,
        "vpc_security_group_ids": [_ref("aws_security_group.host.id")],
        "tags": tags,
    }
    if t.image:
        inst["ami"] = t.image
    else:
        data["aws_ami"] = {
            "fcos": {
                "most_recent": True,
                "owners": [FCOS_AWS_OWNER],
                "filter": [
                    {"name": "name", "values": ["fedora-coreos-*"]},
                    {"name": "description", "values": ["Fedora CoreOS stable *"]},
                    {"name": "architecture", "values": ["arm64" if t.arch == "aarch64" else "x86_64"]},
                ],
            }
        }
        inst["ami"] = _ref("data.aws_ami.fcos.id")
    if t.ssh_keys:
        inst["key_name"] = t.ssh_keys[0]
    res["aws_security_group"] = {"host": {"name": name, "description": f"{name}: HTTP, HTTPS and HTTP/3 in", "tags": tags}}
    ingress: dict[str, Any] = {}
    for label, proto, port in ports:
        for ipv, key, cidr in (("v4", "cidr_ipv4", ANY_V4), ("v6", "cidr_ipv6", ANY_V6)):
            ingress[f"{label}_{ipv}"] = {
                "security_group_id": _ref("aws_security_group.host.id"),
                "ip_protocol": proto,
                "from_port": port,
                "to_port": port,
                key: cidr,
            }
    res["aws_vpc_security_group_ingress_rule"] = ingress
    res["aws_vpc_security_group_egress_rule"] = {
        f"all_{ipv}": {"security_group_id": _ref("aws_security_group.host.id"), "ip_protocol": "-1", key: cidr}
        for ipv, key, cidr in (("v4", "cidr_ipv4", ANY_V4), ("v6", "cidr_ipv6", ANY_V6))
    }
    res["aws_instance"] = {"host": inst}
    if t.reserved_ip:
        res["aws_eip"] = {"host": {"domain": "vpc", "tags": tags}}
        res["aws_eip_association"] = {"host": {"allocation_id": _ref("aws_eip.host.id"), "instance_id": _ref("aws_instance.host.id")}}
    if t.state_volume is not None:
        res["aws_ebs_volume"] = {
            "state": {"availability_zone": t.zone, "size": t.state_volume.size_gb, "type": "gp3", "tags": {"Name": volume_name(name)}}
        }
        res["aws_volume_attachment"] = {
            "state": {"device_name": "/dev/sdf", "volume_id": _ref("aws_ebs_volume.state.id"), "instance_id": _ref("aws_instance.host.id")}
        }
    address = "aws_eip.host.public_ip" if t.reserved_ip else "aws_instance.host.public_ip"
    if t.dns is not None:
        data["aws_route53_zone"] = {"dns": {"name": t.dns.domain}}
        res["aws_route53_record"] = {
            f"dns_{i}": {
                "zone_id": _ref("data.aws_route53_zone.dns.zone_id"),
                "name": f"{r.name}.{t.dns.domain}" if r.name else t.dns.domain,
                "type": r.type,
                "ttl": r.ttl,
                "records": [_ref(address)],
            }
            for i, r in enumerate(t.dns.records)
        }
    out: dict[str, Any] = {"resource": res, "output": {"ipv4": {"value": _ref(address)}}}
    if data:
        out["data"] = data
    return out


def _local(t: Target, name: str, fingerprint: str, project_dir: str) -> dict[str, Any]:
    values = {"dir": shell_word(project_dir), "name": shell_word(name)}
    up = t.local.up.format_map(values)
    down = t.local.down.format_map(values)
    return {
        "resource": {
            "terraform_data": {
                "host": {
                    "triggers_replace": fingerprint,
                    "input": {"name": name, "down": down},
                    "provisioner": [
                        {"local-exec": {"command": up}},
                        {"local-exec": {"when": "destroy", "command": Expr("${self.input.down}")}},
                    ],
                }
            }
        },
        "output": {"name": {"value": Expr("${terraform_data.host.output.name}")}},
    }


_RENDERERS = {"vultr": _vultr, "hetzner": _hetzner, "digitalocean": _digitalocean, "aws": _aws}


def render(target: Target, ignition_text: str, name: str, project_dir: str = ".", ports: Ports = PORTS, fingerprint: str | None = None) -> Rendered:
    """The ``main.tf.json`` object for ``target`` (``tf`` is ``{}`` when the report is fatal).

    ``project_dir`` is only used by the local target (its ``{dir}``);
    ``ports``: (label, protocol, port) the firewall lets in (``Host.open_ports``);
    ``fingerprint``: what the local target is replaced on (see :attr:`hostform.host.bundle.Bundle.fingerprint`).
    """
    label = resource_name(name)
    if target.provider == "local":
        tf: dict[str, Any] = {"//": f"hostform: {name} on the local target", "terraform": {"required_version": ">= 1.4"}}
        # what replaces the local machine when it changes: ``fingerprint`` (the pipeline's: of the config without
        # the secrets' values, so the state holds no hash an offline guess of a value could be checked against),
        # else the config's SHA-256
        tf.update(_local(target, label, fingerprint or hashlib.sha256(ignition_text.encode("utf-8")).hexdigest(), project_dir))
        return Rendered(_escaped(tf), Report(), "", "local")
    fitted = fit_user_data(ignition_text, target.provider, target.user_data_url)
    if fitted.report.is_fatal():
        return Rendered({}, fitted.report, "", fitted.how)
    # The user data is read from main.ign (0600) beside terraform/, not copied into main.tf.json: the
    # config holds the secrets' values, and main.ign is the one file of the build that may. A config
    # compressed to fit is what main.ign then holds (the pipeline writes it so); a replace stub holds
    # no value (only where to fetch main.ign from, and its hash).
    user_data = Expr(USER_DATA_FILE) if fitted.how in ("plain", "compressed") else fitted.user_data
    body = _RENDERERS[target.provider](target, label, user_data, ports)
    tf = {"//": f"hostform: {name} on {target.provider}", "terraform": _terraform_block(target)}
    local, _, _ = PROVIDER_SOURCES[target.provider]
    # Empty on purpose: the provider reads its credentials from the environment.
    tf["provider"] = {local: {"region": target.region} if target.provider == "aws" else {}}
    tf.update(body)
    return Rendered(_escaped(tf), fitted.report, fitted.user_data, fitted.how)
