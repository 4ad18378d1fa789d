"""The build: a directory in, a Bundle and the output files out.

``DIR/hostform.yaml`` present: load -> render -> Butane -> Ignition -> checks.
Otherwise ``DIR/main.bu``: a plain Butane project, translated unchanged (the
same Ignition bytes as ``hostform butane -d DIR main.bu``).

Outputs (:func:`outputs`), in this order: ``main.bu`` (host builds only),
``main.ign``, ``quadlets/*``, ``Caddyfile``, ``terraform/main.tf.json`` (when
the host file has a ``target:``; rendered offline, no account needed),
``report.txt``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from hostform.diagnostics import Report
from hostform.host.bundle import Bundle, bundle_from_butane, files_and_units

__all__ = ["HOST_FILE", "build_bundle", "outputs", "run_checks"]

HOST_FILE = "hostform.yaml"


def _reader(dir: Path):
    """``read(rel)``: a local file's text, or an :class:`~hostform._inputs.InputError` saying why not
    (see :func:`hostform._inputs.read_input`: inside the project, a regular file, at most 16 MiB; and
    UTF-8 text, since it is written into a unit file or Butane as text)."""
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input

    def read(rel: str) -> str | InputError:
        got = read_input(dir, rel, LOCAL_FILE_CAP)
        if isinstance(got, InputError):
            return got
        try:
            return got.decode("utf-8")
        except UnicodeDecodeError as e:
            return InputError(f"is not UTF-8 text (byte {e.start})")

    return read


def build_bundle(dir: Path) -> Bundle:
    """Build ``dir`` (with a host file or a plain main.bu) into a Bundle, checks not yet run."""
    dir = Path(dir)
    # whatever is there (a FIFO, a device, a dangling symlink) is read, and refused, as the file
    if not os.path.lexists(dir / HOST_FILE):
        if os.path.lexists(dir / "main.bu"):
            return bundle_from_butane(dir)
        b = Bundle(name=dir.resolve().name)
        b.report.error("HF004", f"{dir}: no {HOST_FILE} and no main.bu here (`hostform init {dir}` writes a host file)", file=str(dir))
        return b
    from hostform.host.load import load_file
    from hostform.host.render import render

    loaded = load_file(dir / HOST_FILE)
    b = Bundle(name=dir.resolve().name)
    b.report.merge(loaded.report)
    host = loaded.host
    if host is None:
        return b
    b.name = host.name
    b.host = host
    from hostform.quadlet.versions import normalize_version

    try:
        b.podman_version = normalize_version(host.podman)
    except (KeyError, ValueError):
        b.podman_version = host.podman
    read = _reader(dir)
    r = render(host, read, loaded.where, HOST_FILE)
    b.report.merge(r.report)
    b.butane_text = r.butane_text
    b.rendered = r  # type: ignore[attr-defined]
    if r.report.is_fatal():
        return b

    from hostform.butane.report import correlate
    from hostform.butane.translate import Options, translate_data

    # the renderer's dict spares parsing main.bu again; positions (and
    # anything unusual) still come from the text
    # local files of extra Butane are read as the host's own: regular files in the project, capped
    res = translate_data(r.butane, r.butane_text, Options(files_dir=str(dir), safe_inputs=True))
    if res.report.entries:
        data = r.butane_text.encode("utf-8", "surrogateescape")
        for d in correlate(res.report.entries, res.root, data, "main.bu"):
            b.report.add(d)
    if res.error is not None:
        b.report.error("HF100", f"the generated Butane was refused: {res.error}", file="main.bu", line=1, col=1)
        return b
    out = res.output or ""
    b.ignition_text = out if out.endswith("\n") else out + "\n"
    b.ignition = json.loads(out)
    files, units = files_and_units(b.ignition)
    by_path = {a.vm_path: a for a in r.all_files()}
    for f in files:
        a = by_path.get(f.vm_path)
        if a is None:  # from merged plain Butane
            f.source, f.line, f.col, f.generated = "main.bu", 1, 1, False
        elif a.local is not None and not a.generated:
            f.source, f.line, f.col, f.generated = a.local, 1, 1, False
        elif a.local is not None:
            f.source, f.line, f.col, f.generated = a.local, 1, 1, True
        else:
            line, col = loaded.where(a.source)
            f.source, f.line, f.col, f.generated = HOST_FILE, line, col, True
    for u in units:
        src = r.unit_sources.get(u.name)
        if src is None:
            u.source, u.line, u.col = "main.bu", 1, 1
        else:
            u.source = HOST_FILE
            u.line, u.col = loaded.where(src)
    b.files, b.units = files, units
    if host.target is not None:
        from hostform.terraform.render import render as render_tf

        b.target_where = loaded.key_positions.get(("target",), (1, 1))  # type: ignore[attr-defined]
        tr = render_tf(host.target, b.ignition_text, host.name, str(dir.resolve()), host.open_ports)
        for d in tr.report:
            line, col = loaded.where(d.path or ("target",))
            b.report.add(d.located(HOST_FILE, line, col))
        if not tr.report.is_fatal():
            b.terraform = tr.tf  # type: ignore[attr-defined]
    return b


def run_checks(bundle: Bundle) -> Report:
    """The cross-artifact checks (``hostform.host.checks``) when that module exists."""
    try:
        from hostform.host.checks import check_bundle  # type: ignore[import-not-found]
    except ImportError:
        return Report()
    return check_bundle(bundle)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# a unit line that sets environment variables: their values may be secrets
_ENV_LINE = re.compile(r"^[ \t]*Environment[ \t]*=", re.M)


def _mode(a, plain: int, env: bool) -> int:  # noqa: ANN001 (an Artifact)
    """0600 for a file the VM keeps from others (the renderer's mode decides), or (``env``) with an Environment= line."""
    if not a.mode & 0o004 or (env and _ENV_LINE.search(a.text)):
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
    r = getattr(bundle, "rendered", None)
    if bundle.host is not None and bundle.butane_text is not None:
        out.append(("main.bu", bundle.butane_text.encode(enc, "surrogateescape"), secret))
    if bundle.ignition_text is not None:
        out.append(("main.ign", bundle.ignition_text.encode(enc, "surrogateescape"), secret))
    if r is not None:
        for a in r.quadlets:
            out.append(("quadlets/" + a.vm_path.rsplit("/", 1)[1], a.text.encode(enc, "surrogateescape"), _mode(a, plain, env=True)))
        if r.caddyfile is not None:
            out.append(("Caddyfile", r.caddyfile.text.encode(enc, "surrogateescape"), _mode(r.caddyfile, plain, env=False)))
    tf = getattr(bundle, "terraform", None)
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
            rb = "rollback on unhealthy image" if s.health else "no health check"
            up = f"auto-update ({rb})" if s.auto_update else "no auto-update"
            lines.append(f"service {s.name}: {s.image} ({how}; {up})")
        for sp in host.sites:
            lines.append(f"site {sp.address} -> {sp.service}:{sp.port}")
        if host.sites:
            disk = "state disk" if host.state.volume else "root disk: no state volume, lost with the VM"
            lines.append(f"tls: {host.tls.ca} CA; certificates on the {disk} ({host.state.path}/caddy/data)")
        lines.append(f"updates: {host.updates.schedule if host.updates.enabled else 'off'}")
        lines.append("access: " + ("break-glass SSH keys" if host.access.ssh_keys else "none (sshd masked)"))
        st = host.state
        lines.append(f"state: {st.device} on {st.path} ({st.format}, {st.size})" if st.volume else f"state: {st.path} on the root disk (no state volume)")
        t = host.target
        if t is not None:
            where = "local (hostform try)" if t.provider == "local" else f"{t.provider} {t.region} {t.size}"
            lines.append(f"deploy: {where}; terraform/main.tf.json")
    else:
        lines.append("plain Butane project (main.bu), translated unchanged")
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

