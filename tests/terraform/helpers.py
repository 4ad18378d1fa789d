"""Shared by the Terraform tests: where terraform and the provider plugins are, and one target per provider."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Where a filesystem mirror of provider plugins may be (the hashicorp/aws plugin on CI's machine).
PLUGIN_MIRROR = Path(os.environ.get("HOSTFORM_TF_PLUGIN_MIRROR", "/opt/tf-plugins"))


def terraform_binary() -> str | None:
    return os.environ.get("HOSTFORM_TERRAFORM") or shutil.which("terraform") or (
        "/usr/local/bin/terraform" if os.path.isfile("/usr/local/bin/terraform") else None
    )


def mirrored(source: str) -> bool:
    """Whether the plugin mirror holds ``source`` (e.g. hashicorp/aws)."""
    return (PLUGIN_MIRROR / "registry.terraform.io" / source).is_dir()


# A valid ``target:`` of each provider, with DNS records where the provider has DNS.
TARGETS = {
    "vultr": {"provider": "vultr", "region": "cdg", "size": "vc2-1c-1gb", "image_url": "https://example.org/fcos-vultr.raw.xz",
              "dns": {"domain": "example.org", "records": ["", "staging"]}},
    "hetzner": {"provider": "hetzner", "region": "fsn1", "size": "cx22", "image": "123456", "ssh_keys": ["me"],
                "dns": {"domain": "example.org", "records": [""]}},
    "digitalocean": {"provider": "digitalocean", "region": "fra1", "size": "s-1vcpu-1gb",
                     "image_url": "https://example.org/fcos-do.qcow2.gz", "dns": {"domain": "example.org", "records": ["www"]}},
    "aws": {"provider": "aws", "region": "eu-west-3", "size": "t3.micro", "dns": {"domain": "example.org", "records": ["", "www"]}},
    "local": {"provider": "local"},
}
