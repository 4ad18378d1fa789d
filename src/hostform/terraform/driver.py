"""Driving terraform (or tofu): what to run, and what it printed, as pure functions.

Command builders return argv lists (``terraform -chdir=DIR ...``); parsers
take terraform's output text.  :class:`Terraform` runs them through a
``hostform._runner.Runner`` (tests pass a ``FakeRunner``, or the real one).

Credentials are never handled here: the environment is passed through as it is,
plus ``TF_IN_AUTOMATION=1`` and ``TF_INPUT=0``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hostform._runner import Result, Runner, SubprocessRunner
from hostform.diagnostics import Diagnostic, Report

__all__ = [
    "CREDENTIAL_ENV",
    "PLAN_FILE",
    "ROLES",
    "Change",
    "Terraform",
    "apply_argv",
    "explain_init_failure",
    "explain_plan",
    "find_terraform",
    "init_argv",
    "missing_credentials",
    "parse_plan",
    "parse_validate",
    "plan_argv",
    "show_argv",
    "terraform_env",
    "validate_argv",
]

PLAN_FILE = "hostform.tfplan"

# resource type -> the words for it.
ROLES: dict[str, str] = {
    "vultr_instance": "the VM",
    "hcloud_server": "the VM",
    "digitalocean_droplet": "the VM",
    "aws_instance": "the VM",
    "terraform_data": "the local VM",
    "vultr_block_storage": "the state volume",
    "hcloud_volume": "the state volume",
    "digitalocean_volume": "the state volume",
    "aws_ebs_volume": "the state volume",
    "vultr_reserved_ip": "the reserved IP",
    "hcloud_primary_ip": "the reserved IP",
    "digitalocean_reserved_ip": "the reserved IP",
    "aws_eip": "the reserved IP",
    "hcloud_volume_attachment": "the volume attachment",
    "digitalocean_volume_attachment": "the volume attachment",
    "aws_volume_attachment": "the volume attachment",
    "digitalocean_reserved_ip_assignment": "the IP assignment",
    "aws_eip_association": "the IP assignment",
    "vultr_firewall_group": "the firewall",
    "vultr_firewall_rule": "a firewall rule",
    "hcloud_firewall": "the firewall",
    "digitalocean_firewall": "the firewall",
    "aws_security_group": "the firewall",
    "aws_vpc_security_group_ingress_rule": "a firewall rule",
    "aws_vpc_security_group_egress_rule": "a firewall rule",
    "vultr_dns_record": "a DNS record",
    "hcloud_zone_rrset": "a DNS record",
    "digitalocean_record": "a DNS record",
    "aws_route53_record": "a DNS record",
    "vultr_snapshot_from_url": "the Fedora CoreOS image",
    "digitalocean_custom_image": "the Fedora CoreOS image",
}
_IGNITION_ATTRS = {"user_data", "triggers_replace"}
# Always named when they are kept.
_KEPT_ROLES = ("the state volume", "the reserved IP")
# Re-made with the VM: not worth a word when the VM is replaced.
_FOLLOWERS = ("the volume attachment", "the IP assignment")
_VMS = ("the VM", "the local VM")


# Where each provider reads its token (hostform never writes one). AWS has many
# sources (profiles, SSO, instance roles): not checked.
CREDENTIAL_ENV: dict[str, tuple[str, ...]] = {
    "vultr": ("VULTR_API_KEY",),
    "hetzner": ("HCLOUD_TOKEN",),
    "digitalocean": ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"),
    "aws": (),
    "local": (),
}


def missing_credentials(provider: str, env: Mapping[str, str]) -> str | None:
    """The variable to set when ``provider``'s token is not in ``env`` (None: present, or not checkable)."""
    names = CREDENTIAL_ENV.get(provider, ())
    if not names or any(env.get(n) for n in names):
        return None
    return " or ".join(names)


def explain_init_failure(output: str, source: str) -> str | None:
    """What a failed ``terraform init`` lacked, in words, when it was the provider plugin (None: something else).

    ``source`` is the provider's registry address (``vultr/vultr``).
    """
    text = " ".join(output.split())
    plugin = any(
        m in text
        for m in (
            "Failed to query available provider packages",
            "Failed to install provider",
            "Could not retrieve the list of available versions",
            "Failed to resolve provider packages",
            "provider registry registry.terraform.io does not have",
        )
    )
    if not plugin:
        return None
    if any(m in text for m in ("could not connect", "no such host", "dial tcp", "i/o timeout", "connection refused", "network is unreachable")):
        why = "it is not installed here and the registry cannot be reached (no network?)"
    elif "filesystem_mirror" in text or "mirror" in text:
        why = "the configured plugin mirror does not have it"
    else:
        why = "it could not be installed"
    return (
        f"terraform init needs the {source} provider plugin: {why}. Connect to the network, or put the plugin in a "
        "filesystem mirror (provider_installation in the terraform CLI config, TF_CLI_CONFIG_FILE)"
    )


def find_terraform(explicit: str | None = None, path: str | None = None) -> str | None:
    """``explicit`` if given (a name on PATH or a path), else terraform, else tofu, on PATH."""
    if explicit:
        return shutil.which(explicit, path=path) or (explicit if os.path.isfile(explicit) else None)
    for name in ("terraform", "tofu"):
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def terraform_env(base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    return env


def init_argv(tf: str, workdir: str) -> list[str]:
    return [tf, f"-chdir={workdir}", "init", "-input=false", "-no-color"]


def validate_argv(tf: str, workdir: str) -> list[str]:
    return [tf, f"-chdir={workdir}", "validate", "-json", "-no-color"]


def plan_argv(tf: str, workdir: str, out: str = PLAN_FILE, destroy: bool = False) -> list[str]:
    argv = [tf, f"-chdir={workdir}", "plan", "-input=false", "-no-color", f"-out={out}"]
    if destroy:
        argv.append("-destroy")
    return argv


def show_argv(tf: str, workdir: str, planfile: str = PLAN_FILE) -> list[str]:
    return [tf, f"-chdir={workdir}", "show", "-json", "-no-color", planfile]


def apply_argv(tf: str, workdir: str, planfile: str = PLAN_FILE) -> list[str]:
    return [tf, f"-chdir={workdir}", "apply", "-input=false", "-no-color", "-auto-approve", planfile]


@dataclass(frozen=True)
class Change:
    address: str
    type: str
    name: str
    action: str  # create | delete | replace | update | no-op | read
    because: tuple[str, ...] = ()  # attributes that force a replacement

    @property
    def role(self) -> str:
        return ROLES.get(self.type, self.address)


def _action(actions: list[str]) -> str:
    if sorted(actions) == ["create", "delete"]:
        return "replace"
    if len(actions) == 1:
        return actions[0]
    return "+".join(actions)


def parse_plan(show_json: str) -> list[Change]:
    """The managed resources' planned actions from ``terraform show -json PLAN``."""
    doc = json.loads(show_json)
    out = []
    for rc in doc.get("resource_changes") or []:
        if rc.get("mode", "managed") != "managed":
            continue
        change = rc.get("change") or {}
        because = tuple(sorted({str(p[0]) for p in change.get("replace_paths") or [] if p}))
        out.append(Change(rc["address"], rc["type"], rc["name"], _action(list(change.get("actions") or ["no-op"])), because))
    return out


def parse_validate(validate_json: str, file: str = "main.tf.json") -> Report:
    """``terraform validate -json`` as a Report (HF504 for each of its diagnostics)."""
    rep = Report()
    doc = json.loads(validate_json)
    for d in doc.get("diagnostics") or []:
        sev = "error" if d.get("severity") == "error" else "warning"
        msg = d.get("summary", "")
        if d.get("detail"):
            msg += ": " + " ".join(d["detail"].split())
        rng = d.get("range") or {}
        start = rng.get("start") or {}
        rep.add(Diagnostic(sev, "HF504", msg, None, rng.get("filename", file), start.get("line", 0), start.get("column", 0)))
    return rep


def _join(words: list[str]) -> str:
    words = list(dict.fromkeys(words))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _role_words(changes: list[Change]) -> list[str]:
    """Roles in order, a repeated 'a firewall rule' counted ('3 firewall rules')."""
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.role] = counts.get(c.role, 0) + 1
    words = []
    for role, n in counts.items():
        if n > 1 and role.startswith("a "):
            words.append(f"{n} {role[2:]}s")
        else:
            words.append(role)
    return words


def explain_plan(changes: list[Change], destroy: bool = False) -> str:
    """What the plan does, in one or two sentences."""
    vm_replaced = any(c.action == "replace" and c.role in _VMS for c in changes)
    by: dict[str, list[Change]] = {}
    for c in changes:
        action = c.action
        if vm_replaced and action in ("update", "replace") and (c.role in _FOLLOWERS or (action == "update" and c.role in _KEPT_ROLES)):
            action = "no-op"  # re-attached to the new VM
        by.setdefault(action, []).append(c)
    if not any(a in by for a in ("create", "delete", "replace", "update")):
        return "no changes: what runs matches the build."
    parts = []
    if "replace" in by:
        reps = []
        for role in dict.fromkeys(c.role for c in by["replace"]):
            cs = [c for c in by["replace"] if c.role == role]
            attrs = sorted({a for c in cs for a in c.because})
            if attrs and set(attrs) <= _IGNITION_ATTRS:
                reps.append(f"{role} (the Ignition changed)")
            elif attrs:
                reps.append(f"{role} (because {', '.join(attrs)} changed)")
            else:
                reps.append(role)
        parts.append("replaces " + _join(reps))
    if "create" in by:
        parts.append("creates " + _join(_role_words(by["create"])))
    if "update" in by:
        parts.append("updates " + _join(_role_words(by["update"])) + " in place")
    if "delete" in by:
        deleted = _role_words(by["delete"])
        deleted = [w + " (its data is lost)" if w == "the state volume" else w for w in deleted]
        parts.append(("destroys " if destroy else "deletes ") + _join(deleted))
    text = "this change " + "; ".join(parts)
    touched = {c.role for a in ("replace", "delete") for c in by.get(a, [])}
    kept = [r for r in _KEPT_ROLES if r not in touched and any(c.role == r for c in by.get("no-op", []) + by.get("update", []))]
    if kept:
        text += "; " + _join(kept) + (" is kept" if len(kept) == 1 else " are kept")
    return text + "."


class Terraform:
    """terraform (or tofu) in one working directory, through a replaceable runner."""

    def __init__(self, binary: str, workdir: str, env: Mapping[str, str], runner: Runner | None = None) -> None:
        self.binary = binary
        self.workdir = workdir
        self.env = terraform_env(env)
        self.runner: Runner = runner if runner is not None else SubprocessRunner()

    def run(self, argv: Sequence[str]) -> Result:
        return self.runner.run(argv, env=self.env, check=False)

    def init(self) -> Result:
        return self.run(init_argv(self.binary, self.workdir))

    def validate(self) -> tuple[Result, Report]:
        r = self.run(validate_argv(self.binary, self.workdir))
        try:
            return r, parse_validate(r.stdout)
        except ValueError:
            rep = Report()
            rep.error("HF504", (r.stderr or r.stdout).strip() or "terraform validate failed")
            return r, rep

    def plan(self, destroy: bool = False) -> tuple[Result, list[Change] | None]:
        """Plan into PLAN_FILE, then read its actions (None when the plan failed)."""
        r = self.run(plan_argv(self.binary, self.workdir, PLAN_FILE, destroy))
        if not r.ok:
            return r, None
        s = self.run(show_argv(self.binary, self.workdir, PLAN_FILE))
        if not s.ok:
            return s, None
        return r, parse_plan(s.stdout)

    def apply(self) -> Result:
        return self.run(apply_argv(self.binary, self.workdir, PLAN_FILE))
