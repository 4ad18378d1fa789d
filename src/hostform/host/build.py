"""What ``hostform build`` writes for a :class:`~hostform.host.bundle.Bundle` (made by
:func:`hostform.pipeline.build`).

Outputs (:func:`outputs`), in this order: ``main.bu`` (host builds only),
``main.ign``, ``quadlets/*``, ``Caddyfile``, ``terraform/main.tf.json`` (when
the host file has a ``target:``; rendered offline, no account needed),
``report.txt``.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from hostform.host.bundle import Bundle
from hostform.host.health import from_host, gates_start

if TYPE_CHECKING:
    from hostform.host.render import Artifact

__all__ = ["has_env_line", "outputs", "report_text"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# a unit line that sets environment variables: their values may be secrets
_ENV_LINE = re.compile(r"^[ \t]*Environment[ \t]*=", re.M)


def has_env_line(text: str) -> bool:
    """Whether a unit file sets environment variables (an ``Environment=`` line): its values may be secrets, so
    the file is written 0600."""
    return _ENV_LINE.search(text) is not None


def _mode(a: Artifact, plain: int, env: bool) -> int:
    """0600 for a file the VM keeps from others (the renderer's mode decides), or (``env``) with an Environment= line."""
    if not a.mode & 0o004 or (env and has_env_line(a.text)):
        return 0o600
    return plain


def outputs(bundle: Bundle, umask: int | None = None) -> list[tuple[str, bytes, int]]:
    """The files ``hostform build`` writes, relative to OUT, in the order written, with their modes.

    main.bu, main.ign and terraform/main.tf.json embed every env file, secret and
    env value: 0600. A quadlet or the Caddyfile: 0600 when the VM keeps it from
    others (the renderer's ``Artifact.mode``) or it has an ``Environment=`` line.
    Everything else: ``0o666 & ~umask`` (``umask`` read from the process when not given).
    """
    if umask is None:
        from hostform.emit import current_umask

        umask = current_umask()
    plain = 0o666 & ~umask
    secret = 0o600
    out: list[tuple[str, bytes, int]] = []
    enc = "utf-8"
    r = bundle.rendered
    if bundle.host is not None and bundle.butane_text is not None:
        out.append(("main.bu", bundle.butane_text.encode(enc, "surrogateescape"), secret))
    if bundle.ignition_text is not None:
        out.append(("main.ign", bundle.ignition_text.encode(enc, "surrogateescape"), secret))
    if r is not None:
        for a in r.quadlets:
            out.append(("quadlets/" + a.vm_path.rsplit("/", 1)[1], a.text.encode(enc, "surrogateescape"), _mode(a, plain, env=True)))
        if r.caddyfile is not None:
            out.append(("Caddyfile", r.caddyfile.text.encode(enc, "surrogateescape"), _mode(r.caddyfile, plain, env=False)))
    tf = bundle.terraform
    if tf is not None:
        from hostform.terraform.render import TF_PATH, to_json

        out.append((TF_PATH, to_json(tf).encode(enc), secret))
    out.append(("report.txt", report_text(bundle, out).encode(enc, "surrogateescape"), plain))
    return out


def report_text(bundle: Bundle, written: list[tuple[str, bytes, int]]) -> str:
    """A short, deterministic summary: what the host runs, the outputs, the findings."""
    lines = [f"hostform build report: {bundle.name}", ""]
    host = bundle.host
    if host is not None:
        lines.append(f"target: podman {bundle.podman_version}, Butane fcos {host.butane_version}")
        for s in host.services:
            how = f"pod {s.pod}" if s.pod else f"network {host.network}"
            if s.health is None:
                rb = "no health check"
            elif not gates_start(host, s):
                rb = f"health check; no rollback: podman {host.podman} has no Notify=healthy"
            else:
                rb = "rollback on unhealthy image" + ("; http probed from the host" if from_host(s) else "")
            up = f"auto-update ({rb})" if s.auto_update else "no auto-update"
            lines.append(f"service {s.name}: {s.image} ({how}; {up})")
        for j in host.jobs:
            lines.append(f"job {j.name}: {j.image} (on {j.schedule}; {j.name}.timer starts {j.name}.service)")
        for sp in host.sites:
            lines.append(f"site {sp.address} -> {sp.service}:{sp.port}")
        if host.sites:
            disk = "state disk" if host.state.volume else "root disk: no state volume, lost with the VM"
            lines.append(f"tls: {host.tls.ca} CA; certificates on the {disk} ({host.state.path}/caddy/data)")
        shipped = [s for s in host.secrets if s.shipped]
        if shipped:  # names and where each value comes from, never a value
            how = ", ".join(f"{s.name} ({s.file}{'' if s.sealed else ', in clear'})" for s in shipped)
            lines.append(f"secrets: {how}: in main.ign only, as root-only files that become podman secrets at the first boot")
        for reg in host.registries:
            lines.append(f"registry {reg.host}: user {reg.username}, password from secret {reg.password_secret}")
        lines.append(f"updates: {host.updates.schedule if host.updates.enabled else 'off'}")
        lines.append("access: " + ("break-glass SSH keys" if host.access.ssh_keys else "none (sshd masked)"))
        from hostform.host.firewall import METADATA_ADDRESSES, UNIT, blocks_metadata

        if blocks_metadata(host) is not None:
            lines.append(f"metadata service: containers blocked from {' and '.join(METADATA_ADDRESSES)} ({UNIT}; the host keeps it): "
                         "the Ignition config it serves holds secrets")
        st = host.state
        lines.append(f"state: {st.device} on {st.path} ({st.format}, {st.size})" if st.volume else f"state: {st.path} on the root disk (no state volume)")
        t = host.target
        if t is not None:
            where = "local (hostform try)" if t.provider == "local" else f"{t.provider} {t.region} {t.size}"
            lines.append(f"deploy: {where}; terraform/main.tf.json")
    else:
        lines.append(f"plain Butane project ({bundle.main}), translated unchanged")
        lines.append(f"files: {len(bundle.files)}, units: {len(bundle.units)}")
    lines.append("")
    lines.append("outputs:")
    for rel, data, _m in written:
        lines.append(f"  {rel}  sha256:{_sha(data)[:16]}  {len(data)} bytes")
    lines.append("")
    errs = len(bundle.report.errors)
    warns = len(bundle.report.warnings)
    lines.append(f"findings: {errs} error(s), {warns} warning(s)")
    for d in bundle.report:
        lines.append("  " + d.format())
    return "\n".join(lines) + "\n"

