"""The host file (``hostform.yaml``) as written: every key, its type, default and doc.

This table is the one source of truth: :mod:`hostform.host.load` walks the
YAML tree with it (types, unknown keys, required keys, enums), the published
JSON Schema is generated from it (:func:`json_schema`), and so is the key
reference in ``docs/host-file.md``.

Kinds of value:

``str``, ``int``, ``bool``
    a scalar; ``int`` also accepts nothing but an integer.
``scalar``
    a string, number or boolean, kept as the text written (environment values).
``num``
    a number or a string (``cpus: 0.5``).
``strmap``
    a mapping of names to ``scalar`` values.
``strlist``
    a list of strings; a single string is accepted as a one-item list.
``command``
    a string (split like a shell would not: one argument per word) or a list.
``obj``
    a mapping with the fields listed in ``fields``; ``short`` names the field
    a bare scalar fills (``live`` for ``{service: live}``).
``objmap``
    a mapping of names to ``obj`` values.
``objlist``
    a list of ``obj`` values (each may be a bare scalar if ``short`` is set).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hostform.terraform.model import PROVIDERS

__all__ = ["HOST", "SCHEMA_ID", "TARGET", "Key", "json_schema", "json_schema_text", "key_reference"]

SCHEMA_ID = "https://hostform.dev/schema/hostform.schema.json"


@dataclass(frozen=True)
class Key:
    name: str
    kind: str
    doc: str
    default: Any = None
    required: bool = False
    enum: tuple[str, ...] = ()
    fields: tuple["Key", ...] = ()
    short: str | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    example: Any = None

    def field(self, name: str) -> "Key | None":
        for f in self.fields:
            if f.name == name:
                return f
        return None


_DURATION = r"^[0-9]+(ms|s|m|h)?$"

HEALTH = Key(
    "health",
    "obj",
    "How podman decides the service is healthy. With a health check the unit "
    "uses `Notify=healthy`: systemd considers the service started only once the "
    "check passes, which is what lets `podman auto-update` roll a bad image back.",
    fields=(
        Key("http", "str", "Path to GET on the service's `port` from inside the container "
            "(uses curl, or wget when curl is missing: the image needs one of them).", pattern=r"^/", example="/"),
        Key("cmd", "command", "A command run inside the container; exit 0 means healthy. Instead of `http`."),
        Key("interval", "str", "Time between checks.", default="30s", pattern=_DURATION),
        Key("timeout", "str", "Time a check may take.", default="5s", pattern=_DURATION),
        Key("retries", "int", "Consecutive failures before the container is unhealthy.", default=3, minimum=1),
        Key("start_period", "str", "Grace time after start during which failures do not count.", default="10s", pattern=_DURATION),
    ),
)

SERVICE_SECRET = Key(
    "secrets",
    "objlist",
    "Podman secrets given to the container (declared under the top-level `secrets`). "
    "A bare name is mounted as the file /run/secrets/NAME.",
    short="name",
    fields=(
        Key("name", "str", "The secret's name (a key of the top-level `secrets`).", required=True),
        Key("env", "str", "Expose it as this environment variable instead of a file.", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
        Key("target", "str", "File path (or name under /run/secrets) for the file form."),
    ),
)

SERVICE = Key(
    "services",
    "objmap",
    "The containers to run, by name. The name is the container name, the "
    "quadlet file name (NAME.container, unit NAME.service) and the host name "
    "other containers (Caddy) reach it by on the network.",
    fields=(
        Key("image", "str", "Fully qualified image reference (registry/name:tag): "
            "auto-update needs the registry spelled out.", required=True,
            example="ghcr.io/example/app:latest"),
        Key("command", "command", "Command and arguments, replacing the image's (`Exec=`)."),
        Key("entrypoint", "str", "Replace the image's entrypoint."),
        Key("env", "strmap", "Environment variables (`Environment=`), written in the Ignition in clear: use `secrets` for secret values."),
        Key("env_files", "strlist", "Environment files: an absolute path is a file already on the VM; a relative "
            "path is a file of this directory, embedded in the Ignition (mode 0600)."),
        SERVICE_SECRET,
        Key("volumes", "strmap", "Named volumes: NAME: /path/in/container. NAME is a directory of the state "
            "disk (state.path/volumes/NAME), so the data survives a VM replacement."),
        Key("port", "int", "The port the service listens on inside the container; sites proxy to it.", minimum=1, maximum=65535),
        Key("publish", "strlist", "Ports published on the VM (`PublishPort=`), as HOST:CONTAINER[/udp]. "
            "Not needed for sites: Caddy reaches services over the network."),
        HEALTH,
        Key("resources", "obj", "Resource limits.", fields=(
            Key("memory", "str", "Memory limit, like 512m or 2g.", pattern=r"^[0-9]+[bkmgBKMG]?$"),
            Key("cpus", "num", "CPU limit, in CPUs (0.5 is half a CPU)."),
        )),
        Key("user", "str", "Run as this user (UID or UID:GID, or a name the image knows).", example="1000:1000"),
        Key("restart", "str", "systemd restart policy.", default="on-failure", enum=("on-failure", "always", "no")),
        Key("auto_update", "bool", "Update the image from its registry on the update schedule (`AutoUpdate=registry`).", default=True),
        Key("pod", "str", "Put the service in this pod (see the warning HF016): all members of a pod restart together."),
        Key("read_only", "bool", "Mount the container's root filesystem read-only.", default=False),
        Key("extra", "strmap", "More [Container] keys written as they are (KEY: value)."),
    ),
)

SITE = Key(
    "sites",
    "objmap",
    "Web sites Caddy serves, by domain name, each proxied to a service. "
    "A bare service name is short for {service: NAME}.",
    short="service",
    fields=(
        Key("service", "str", "The service to proxy to.", required=True),
        Key("port", "int", "The service port (default: the service's `port`).", minimum=1, maximum=65535),
        Key("aliases", "strlist", "More domain names served the same way."),
        Key("encode", "strlist", "Response compressions, in order of preference (zstd, gzip)."),
    ),
)

TARGET = Key(
    "target",
    "obj",
    "Where the host runs, for `hostform plan | apply | destroy` (Terraform). With a target, "
    "`hostform build` also writes build/terraform/main.tf.json. No credential goes here: the "
    "provider reads its token from the environment (VULTR_API_KEY, HCLOUD_TOKEN, DIGITALOCEAN_TOKEN, AWS_*).",
    fields=(
        Key("provider", "str", "The cloud, or `local` (Terraform's terraform_data running `hostform try`: offline).",
            required=True, enum=PROVIDERS),
        Key("region", "str", "The provider's region or location (required for a cloud).", example="ams"),
        Key("zone", "str", "AWS only: the availability zone (default: the region with `a`)."),
        Key("size", "str", "The plan, server type, droplet size or instance type (required for a cloud).",
            example="vc2-1c-1gb"),
        Key("plan", "str", "Another name for `size`."),
        Key("image", "str", "A provider image id: a Vultr or Hetzner snapshot id, a DigitalOcean image id, an AWS AMI."),
        Key("image_url", "str", "Vultr and DigitalOcean: a current Fedora CoreOS disk image to import "
            "(a snapshot from this URL; a custom image).", pattern=r"^https?://"),
        Key("os_id", "int", "Vultr only: a stock OS id. The stock Fedora CoreOS (391, the default without "
            "`image` or `image_url`) is stale: warning HF501.", minimum=1),
        Key("arch", "str", "AWS only: the architecture of the Fedora CoreOS AMI looked up.", default="x86_64",
            enum=("x86_64", "aarch64")),
        Key("ssh_keys", "strlist", "Provider SSH key ids (the host has no SSH without `access.ssh_keys` anyway)."),
        Key("reserved_ip", "bool", "An address that survives VM replacements (and the DNS records point to).",
            default=True),
        Key("state_volume", "obj", "The block volume behind `state` (its size is `state.size`), attached after "
            "the VM boots and kept when the VM is replaced. `false`: none (the state directory is on the root "
            "disk). Default: true for a cloud, false for `local`.", short="enabled", fields=(
            Key("enabled", "bool", "Whether there is a state volume."),
            Key("device", "str", "Its device on the VM (default: the provider's: /dev/vdb on Vultr, /dev/sdb on "
                "Hetzner, /dev/disk/by-id/scsi-0DO_Volume_NAME on DigitalOcean, /dev/nvme1n1 on AWS). "
                "The same as `state.device`: give one of them.", pattern=r"^/dev/"),
        )),
        Key("dns", "obj", "A records for the host's address in a DNS zone the provider hosts (it must exist).", fields=(
            Key("domain", "str", "The zone.", required=True, example="example.org"),
            Key("records", "objlist", "The records (default: the apex only). A bare name is short for "
                "{name: NAME}; \"\" is the apex.", short="name", fields=(
                Key("name", "str", "The name in the zone (\"\" for the apex)."),
                Key("type", "str", "The record type.", default="A", enum=("A",)),
                Key("ttl", "int", "Time to live, in seconds.", default=300, minimum=30),
            )),
        )),
        Key("user_data_url", "str", "Where you will upload the full Ignition config when it is too large for the "
            "provider's user data even compressed: the VM gets a small config that fetches it (HF502)."),
        Key("provider_version", "str", "A version constraint for the provider plugin (default: hostform's)."),
        Key("local", "obj", "The local target's commands; {dir} and {name} are replaced, shell-quoted.", fields=(
            Key("up", "str", "Starts the machine.", default="hostform try --detach {dir}"),
            Key("down", "str", "Stops it.", default="hostform try --stop {name}"),
        )),
    ),
)

HOST = Key(
    "hostform.yaml",
    "obj",
    "One container host: a VM with its services, web sites, TLS and updates.",
    fields=(
        Key("name", "str", "The host's name (also its hostname).", required=True,
            pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", example="tinkerbell"),
        Key("podman", "str", "The podman version of the target OS (major.minor): decides which quadlet keys are used.",
            default="5.8", pattern=r"^[0-9]+\.[0-9]+$"),
        Key("butane_version", "str", "The Butane (fcos variant) spec version written in main.bu.", default="1.5.0",
            enum=("1.3.0", "1.4.0", "1.5.0", "1.6.0", "1.7.0")),
        SERVICE,
        SITE,
        Key("tls", "obj", "Certificates for the sites.", fields=(
            Key("email", "str", "ACME account e-mail (expiry notices)."),
            Key("ca", "str", "Which CA: production (Let's Encrypt), staging (untrusted, for trying) or "
                "internal (Caddy's own CA, no network).", default="production", enum=("production", "staging", "internal")),
        )),
        Key("updates", "obj", "Automatic image updates (podman-auto-update.timer).", fields=(
            Key("schedule", "str", "systemd OnCalendar expression.", default="hourly"),
            Key("randomized_delay", "str", "RandomizedDelaySec: spread the updates (0: none).", default="0", pattern=_DURATION),
            Key("enabled", "bool", "Run the timer at all.", default=True),
        )),
        Key("state", "obj", "The state disk: a block device that outlives the VM, for volumes and Caddy's certificates. "
            "It is attached after boot: a unit waits for it, makes a filesystem only when it is blank (never "
            "wipes it) and mounts it; Caddy and services with volumes wait for that mount.", fields=(
            Key("size", "str", "Its size: the size of the block volume `target` creates (rounded up to whole GiB).",
                default="10GiB", pattern=r"^[0-9]+(B|KiB|MiB|GiB|TiB|K|M|G|T)$"),
            Key("device", "str", "The block device on the VM (default: the target provider's, else /dev/vdb).",
                pattern=r"^/dev/"),
            Key("path", "str", "Where it is mounted.", default="/var/mnt/state", pattern=r"^/var/mnt/[a-z0-9][a-z0-9/_-]*$"),
            Key("format", "str", "Filesystem type.", default="ext4", enum=("ext4", "xfs")),
        )),
        Key("secrets", "objmap", "Podman secrets by name. Without `file` the secret must already exist on the VM. "
            "With `file`, its content goes into the Ignition config, which is readable by anyone who can "
            "read the instance's user data: hostform refuses unless `embed: true` says so.", fields=(
            Key("file", "str", "A file of this directory holding the secret."),
            Key("embed", "bool", "Accept writing the secret in clear into the Ignition config.", default=False),
        )),
        Key("access", "obj", "How a human gets in. By default nobody: sshd is masked.", fields=(
            Key("ssh_keys", "strlist", "Break-glass SSH public keys for the user `core`; sshd stays enabled."),
        )),
        Key("network", "str", "The podman network all services (and Caddy) join.", default="hostform",
            pattern=r"^[a-z0-9][a-z0-9_-]*$"),
        Key("quadlets", "strlist", "More quadlet files of this directory, installed as they are "
            "in /etc/containers/systemd/."),
        Key("butane", "strlist", "Plain Butane files of this directory merged in as they are (lists are "
            "appended; their local: paths are relative to this directory)."),
        TARGET,
    ),
)


# --------------------------------------------------------------- JSON Schema


def _js(key: Key) -> dict:
    k = key.kind
    out: dict[str, Any]
    if k == "str":
        out = {"type": "string"}
        if key.enum:
            out["enum"] = list(key.enum)
        if key.pattern:
            out["pattern"] = key.pattern
    elif k == "int":
        out = {"type": "integer"}
        if key.minimum is not None:
            out["minimum"] = key.minimum
        if key.maximum is not None:
            out["maximum"] = key.maximum
    elif k == "bool":
        out = {"type": "boolean"}
    elif k == "num":
        out = {"type": ["number", "string"]}
    elif k == "scalar":
        out = {"type": ["string", "number", "boolean"]}
    elif k == "strmap":
        out = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
    elif k == "strlist":
        out = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    elif k == "command":
        out = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    elif k in ("obj", "objmap", "objlist"):
        props = {f.name: _js(f) for f in key.fields}
        obj: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        req = [f.name for f in key.fields if f.required]
        if req:
            obj["required"] = req
        if key.short:
            short = key.field(key.short)
            jtype = {"bool": "boolean", "int": "integer"}.get(short.kind if short else "str", "string")
            obj = {"oneOf": [{"type": jtype, "description": f"Short for {{{key.short}: VALUE}}."}, obj]}
        if k == "objmap":
            out = {"type": "object", "additionalProperties": obj}
        elif k == "objlist":
            out = {"type": "array", "items": obj}
        else:
            out = obj
    else:  # pragma: no cover - a bug in the table
        raise ValueError(f"unknown kind {k!r}")
    if key.default is not None:
        out["default"] = key.default
    out = {"description": key.doc, **out}
    if key.example is not None:
        out["examples"] = [key.example]
    return out


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the host file."""
    body = _js(HOST)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "hostform host file",
        **body,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------- docs


def key_reference() -> str:
    """The Markdown reference of every key (the body of docs/host-file.md)."""
    lines: list[str] = []

    def walk(key: Key, prefix: str) -> None:
        for f in key.fields:
            path = f"{prefix}{f.name}"
            if f.kind == "objmap":
                shown = f"{path}.NAME"
            elif f.kind == "objlist":
                shown = f"{path}[]"
            else:
                shown = path
            bits = [f"`{f.kind}`"]
            if f.required:
                bits.append("required")
            if f.default is not None:
                bits.append(f"default `{json.dumps(f.default)}`")
            if f.enum:
                bits.append("one of " + ", ".join(f"`{e}`" for e in f.enum))
            lines.append(f"- **`{shown}`** ({'; '.join(bits)}): {f.doc}")
            if f.fields:
                walk(f, shown + ".")

    walk(HOST, "")
    return "\n".join(lines) + "\n"
