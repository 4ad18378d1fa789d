"""The deployment target: where the host runs, parsed from a plain dict.

This is the ``target:`` section of ``hostform.yaml`` once the YAML is read.
Parsing never raises for a user's mistake: it returns ``(Target | None,
Report)``; the Target is None when the report has errors.  Paths in the report
start at ``("target",)`` so the host-file loader can put positions on them.

Keys (all optional except ``provider``; clouds also need ``region`` and
``size``):

==================  =========================================================
provider            vultr | hetzner | digitalocean | aws | local
region              the provider's region or location (``cdg``, ``fsn1``,
                    ``fra1``, ``eu-west-3``)
zone                AWS only: the availability zone (default: region + "a")
size                the plan / server type / droplet size / instance type
                    (``plan`` is accepted as another name for it)
image               a provider image id: a Vultr snapshot id, a Hetzner
                    snapshot id, a DigitalOcean image id, an AWS AMI
image_url           a Fedora CoreOS disk image to import (Vultr: a snapshot
                    from URL; DigitalOcean: a custom image)
os_id               Vultr only: a stock OS id (warns: the stock Fedora CoreOS
                    image is stale, and the first boot runs an old Ignition)
arch                AWS only: x86_64 (default) or aarch64, for the AMI lookup
ssh_keys            provider SSH key ids (the host is SSH-less by default)
reserved_ip         true (default): an address that survives replacements
state_volume        true (default; false for local), false, or {enabled, device:
                    PATH}; the size is the host's ``state.size``
dns                 {domain: example.org, records: ["", "staging"] or
                    [{name, type: A, ttl: 300}]}; the zone must exist
user_data_url       where you will upload the full Ignition config when it
                    is too large for the provider's user data, even compressed
provider_version    a version constraint for the provider plugin
local               {up: COMMAND, down: COMMAND}: the commands the local
                    target's provisioners run; ``{dir}`` and ``{name}`` are
                    replaced (shell-quoted)
==================  =========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hostform.diagnostics import Report

if TYPE_CHECKING:
    from hostform.diagnostics import DataPath

__all__ = [
    "DEFAULT_DEVICES",
    "PROVIDERS",
    "Dns",
    "DnsRecord",
    "LocalCommands",
    "StateVolume",
    "Target",
    "local_command_problem",
    "parse_target",
    "size_to_gb",
]

PROVIDERS = ("vultr", "hetzner", "digitalocean", "aws", "local")

# The device the state volume shows up as on the VM, when not given.
DEFAULT_DEVICES = {
    "vultr": "/dev/vdb",
    "hetzner": "/dev/sdb",
    "digitalocean": "/dev/disk/by-id/scsi-0DO_Volume_{volume}",
    "aws": "/dev/nvme1n1",
    "local": "/dev/vdb",
}

_KEYS = (
    "provider", "region", "zone", "size", "plan", "image", "image_url", "os_id", "arch", "ssh_keys",
    "reserved_ip", "state_volume", "dns", "user_data_url", "provider_version", "local",
)


@dataclass(frozen=True)
class DnsRecord:
    name: str  # "" is the zone apex
    type: str = "A"
    ttl: int = 300


@dataclass(frozen=True)
class Dns:
    domain: str
    records: tuple[DnsRecord, ...] = ()


@dataclass(frozen=True)
class StateVolume:
    size_gb: int = 10
    device: str | None = None  # None: DEFAULT_DEVICES[provider]


@dataclass(frozen=True)
class LocalCommands:
    up: str = "hostform try --detach {dir}"
    down: str = "hostform try --stop {name}"


@dataclass(frozen=True)
class Target:
    provider: str
    region: str = ""
    zone: str = ""
    size: str = ""
    image: str = ""
    image_url: str = ""
    os_id: int | None = None
    arch: str = "x86_64"
    ssh_keys: tuple[str, ...] = ()
    reserved_ip: bool = True
    state_volume: StateVolume | None = field(default_factory=StateVolume)
    dns: Dns | None = None
    user_data_url: str = ""
    provider_version: str = ""
    local: LocalCommands = field(default_factory=LocalCommands)

    def device(self, volume_name: str) -> str | None:
        """The state volume's device path on the VM (None: no state volume)."""
        if self.state_volume is None:
            return None
        dev = self.state_volume.device or DEFAULT_DEVICES[self.provider]
        return dev.replace("{volume}", volume_name)


def _str(rep: Report, data: dict[str, Any], key: str, path: DataPath) -> str:
    v = data.get(key)
    if v is None:
        return ""
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        rep.error("HF002", f"target.{key} must be a string", path + (key,))
        return ""
    return str(v)


def _bool(rep: Report, data: dict[str, Any], key: str, path: DataPath, default: bool) -> bool:
    v = data.get(key, default)
    if not isinstance(v, bool):
        rep.error("HF002", f"target.{key} must be true or false", path + (key,))
        return default
    return v


def _dns(rep: Report, v: Any, path: DataPath) -> Dns | None:
    if v is None:
        return None
    if not isinstance(v, dict):
        rep.error("HF002", "target.dns must be a mapping with domain and records", path)
        return None
    for k in v:
        if k not in ("domain", "records"):
            rep.warn("HF003", f"unknown key target.dns.{k}", path + (k,))
    domain = v.get("domain")
    if not isinstance(domain, str) or not domain or domain.endswith("."):
        rep.error("HF500", "target.dns.domain must be a domain name such as example.org (no final dot)", path + ("domain",))
        return None
    raw = v.get("records", [""])
    if not isinstance(raw, list):
        rep.error("HF002", "target.dns.records must be a list", path + ("records",))
        return None
    records: list[DnsRecord] = []
    for i, r in enumerate(raw):
        rp = path + ("records", i)
        if r is None:
            r = ""
        if isinstance(r, str):
            records.append(DnsRecord("" if r == "@" else r))  # @ is the apex, as "" is
            continue
        if not isinstance(r, dict):
            rep.error("HF002", "a DNS record is a name or a mapping {name, type, ttl}", rp)
            continue
        name = r.get("name", "")
        name = "" if name == "@" else name
        rtype = str(r.get("type", "A")).upper()
        ttl = r.get("ttl", 300)
        if not isinstance(name, str):
            rep.error("HF002", "a DNS record's name must be a string", rp + ("name",))
            continue
        if rtype != "A":
            rep.error("HF500", f"DNS record type {rtype} is not supported: only A records (to the host's address)", rp + ("type",))
            continue
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 30:
            rep.error("HF500", "a DNS record's ttl must be a whole number of seconds (30 or more)", rp + ("ttl",))
            continue
        records.append(DnsRecord(name, rtype, ttl))
    names = [r.name for r in records]
    for n in sorted({n for n in names if names.count(n) > 1}):
        rep.error("HF500", f"DNS record {n or '@'!r} is given twice", path + ("records",))
    return Dns(domain, tuple(records))


def _state(rep: Report, v: Any, path: DataPath, default: bool, size_gb: int) -> StateVolume | None:
    """``true``, ``false`` or ``{enabled, device}`` (the host file's walker gives the mapping form)."""
    if v is None:
        return StateVolume(size_gb) if default else None
    if isinstance(v, bool):
        return StateVolume(size_gb) if v else None
    if not isinstance(v, dict):
        rep.error("HF002", "target.state_volume must be true, false or {enabled, device}", path)
        return StateVolume(size_gb)
    for k in v:
        if k == "size_gb":
            rep.error("HF500", "the state volume's size is the host's state.size (for example `state: {size: 20GiB}`), not target.state_volume.size_gb", path + (k,))
        elif k not in ("enabled", "device"):
            rep.warn("HF003", f"unknown key target.state_volume.{k}", path + (k,))
    enabled = v.get("enabled", True)
    if not isinstance(enabled, bool):
        rep.error("HF002", "target.state_volume.enabled must be true or false", path + ("enabled",))
        enabled = True
    dev = v.get("device")
    if dev is not None and (not isinstance(dev, str) or not dev.startswith("/dev/")):
        rep.error("HF500", "target.state_volume.device must be a path under /dev/", path + ("device",))
        dev = None
    return StateVolume(size_gb, dev) if enabled else None


def size_to_gb(size: str) -> int | None:
    """``10GiB`` (the host's ``state.size``) as whole GiB, rounded up; None when it is not a size."""
    units = {"B": 1, "K": 1024, "KiB": 1024, "M": 1024**2, "MiB": 1024**2, "G": 1024**3, "GiB": 1024**3, "T": 1024**4, "TiB": 1024**4}
    num = size
    while num and not num[-1].isdigit():
        num = num[:-1]
    unit = size[len(num):]
    if not num.isdigit() or unit not in units:
        return None
    n = int(num) * units[unit]
    return max(1, -(-n // 1024**3))


def local_command_problem(command: str) -> tuple[str, int | None] | None:
    """Why ``command`` cannot be a local target's command (its placeholders), with where; None if it can."""
    import string

    try:
        for _, name, spec, conv in string.Formatter().parse(command):
            if name is not None and (name not in ("dir", "name") or spec or conv):
                return (f"{{{name}}} is not a placeholder: only {{dir}} and {{name}} are (write {{{{ and }}}} for braces)",
                        command.find("{" + name))
    except ValueError as e:
        return f"braces do not pair: {e} (write {{{{ and }}}} for braces)", None
    return None


def _local(rep: Report, v: Any, path: DataPath) -> LocalCommands:
    if v is None:
        return LocalCommands()
    if not isinstance(v, dict):
        rep.error("HF002", "target.local must be a mapping {up, down}", path)
        return LocalCommands()
    out = {}
    for k, val in v.items():
        if k not in ("up", "down"):
            rep.warn("HF003", f"unknown key target.local.{k}", path + (k,))
        elif not isinstance(val, str) or not val.strip():
            rep.error("HF002", f"target.local.{k} must be a command line", path + (k,))
        elif (problem := local_command_problem(val)) is not None:
            rep.error("HF500", f"target.local.{k}: {problem[0]}", path + (k,))
        else:
            out[k] = val
    return LocalCommands(**out)


def parse_target(data: Any, path: DataPath = ("target",), state_size_gb: int = 10) -> tuple[Target | None, Report]:
    """The Target described by ``data`` (the host file's ``target:`` value).

    ``state_size_gb`` is the state volume's size: the host's ``state.size``
    (one source of truth; ``target.state_volume`` only says whether there is
    a volume, and its device).
    """
    rep = Report()
    if not isinstance(data, dict):
        rep.error("HF002", "target must be a mapping with at least `provider`", path)
        return None, rep
    for k in data:
        if k not in _KEYS:
            rep.warn("HF003", f"unknown key target.{k}", path + (k,))
    provider = data.get("provider")
    if provider not in PROVIDERS:
        rep.error("HF500", f"target.provider must be one of {', '.join(PROVIDERS)}", path + ("provider",))
        return None, rep
    region = _str(rep, data, "region", path)
    size = _str(rep, data, "size", path) or _str(rep, data, "plan", path)
    if "size" in data and "plan" in data:
        rep.error("HF500", "give target.size or target.plan, not both", path + ("plan",))
    if provider != "local":
        if not region:
            rep.error("HF500", f"target.region is required for {provider}", path)
        if not size:
            rep.error("HF500", f"target.size is required for {provider} (the plan, server type or instance type)", path)
    image = _str(rep, data, "image", path)
    image_url = _str(rep, data, "image_url", path)
    if image and image_url:
        rep.error("HF500", "give target.image or target.image_url, not both", path + ("image_url",))
    if image_url and provider not in ("vultr", "digitalocean"):
        rep.error("HF500", f"target.image_url is not supported for {provider}: give an image id as target.image", path + ("image_url",))
    os_id = data.get("os_id")
    if os_id is not None:
        if provider != "vultr" or isinstance(os_id, bool) or not isinstance(os_id, int):
            rep.error("HF500", "target.os_id is a whole number, for vultr only", path + ("os_id",))
            os_id = None
        elif image or image_url:
            rep.error("HF500", "give one of target.os_id, target.image, target.image_url", path + ("os_id",))
    if provider == "hetzner" and not image:
        rep.error(
            "HF500",
            "hetzner has no Fedora CoreOS image: upload one as a snapshot and give its id as target.image",
            path + ("image",),
        )
    if provider == "digitalocean" and not (image or image_url):
        rep.error(
            "HF500",
            "digitalocean has no Fedora CoreOS image: give target.image_url (a DigitalOcean .qcow2.gz of Fedora CoreOS) or target.image",
            path,
        )
    if provider == "vultr" and not (image or image_url):
        rep.warn(
            "HF501",
            "vultr's stock Fedora CoreOS image (os_id 391) is stale; give target.image_url (a current Fedora CoreOS "
            "vultr image) or target.image (a snapshot id)",
            path,
        )
        if os_id is None:
            os_id = 391
    arch = _str(rep, data, "arch", path) or "x86_64"
    if arch not in ("x86_64", "aarch64"):
        rep.error("HF500", "target.arch must be x86_64 or aarch64", path + ("arch",))
    keys = data.get("ssh_keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
        rep.error("HF002", "target.ssh_keys must be a list of provider key ids", path + ("ssh_keys",))
        keys = []
    if provider == "aws" and len(keys) > 1:
        rep.error("HF500", "an AWS instance takes one key pair: give one name in target.ssh_keys", path + ("ssh_keys",))
    url = _str(rep, data, "user_data_url", path)
    if url and not url.startswith(("https://", "http://", "s3://", "gs://", "tftp://")):
        rep.error("HF500", "target.user_data_url must be an https://, http://, s3://, gs:// or tftp:// URL", path + ("user_data_url",))
    zone = _str(rep, data, "zone", path)
    if zone and provider != "aws":
        rep.error("HF500", "target.zone is for aws only", path + ("zone",))
    target = Target(
        provider=provider,
        region=region,
        zone=zone or (f"{region}a" if provider == "aws" and region else ""),
        size=size,
        image=image,
        image_url=image_url,
        os_id=os_id,
        arch=arch,
        ssh_keys=tuple(str(k) for k in keys),
        reserved_ip=_bool(rep, data, "reserved_ip", path, True),
        # The local target attaches no volume: off unless asked for.
        state_volume=_state(rep, data.get("state_volume"), path + ("state_volume",), provider != "local", state_size_gb),
        dns=_dns(rep, data.get("dns"), path + ("dns",)),
        user_data_url=url,
        provider_version=_str(rep, data, "provider_version", path),
        local=_local(rep, data.get("local"), path + ("local",)),
    )
    if provider == "local" and target.dns is not None:
        rep.error("HF500", "the local target has no DNS", path + ("dns",))
    if target.dns is not None and not target.reserved_ip:
        rep.warn("HF500", "DNS records point at the VM's own address, which changes when it is replaced; keep reserved_ip", path + ("dns",))
    return (None if rep.is_fatal() else target), rep
