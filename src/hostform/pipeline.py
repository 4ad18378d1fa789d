"""The pipeline: a project directory in, a :class:`~hostform.host.bundle.Bundle` out.

Every command that builds a host (``build``, ``check``, ``units``, ``try``,
``plan``/``apply``/``destroy``) calls :func:`build` and only formats its result,
so that they all see the same host and report the same findings::

    load      hostform.yaml -> Host                  (host.load; or main.bu as it is)
    render    Host -> quadlets, Caddyfile, Butane    (host.render)
    translate Butane -> Ignition                     (butane.translate, with Ignition's validation)
    bundle    Ignition read back: the VM's files and units, each mapped to the file the user edits
    target    target: (or target.json) -> main.tf.json   (terraform.render)
    checks    every cross-file check                 (host.checks)

A stage that reports an error stops the pipeline; the Bundle then carries what
was made so far and the report says why.  Every finding points into a file the
user wrote (hostform.yaml, their quadlets, their Butane, target.json), relative
to the project directory; never into a generated file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hostform.diagnostics import Diagnostic, Report
from hostform.host.bundle import Bundle, ButaneSources, files_and_units

if TYPE_CHECKING:
    from hostform.host.load import Loaded
    from hostform.host.render import Rendered
    from hostform.terraform.model import Target
    from hostform.yamlpos import Node

__all__ = ["HOST_FILE", "TARGET_FILE", "Options", "build", "load_host", "secret_values"]

HOST_FILE = "hostform.yaml"
TARGET_FILE = "target.json"  # a plain Butane project's target (JSON; the host file's `target:` contract)

CaddyMode = Literal["off", "auto", "require"]

# instance resource type -> provider, to guess a plain Butane project's provider from its *.tf files
TF_PROVIDERS = {
    "aws_instance": "aws",
    "hcloud_server": "hetzner",
    "digitalocean_droplet": "digitalocean",
    "vultr_instance": "vultr",
}


@dataclass(frozen=True)
class Options:
    """What a command may change about the build; the defaults are what ``hostform build`` does."""

    podman: str | None = None
    """Target podman (``"5.4"``): overrides the host file's ``podman:`` for the rendering and the checks."""
    butane_version: str | None = None
    """Butane spec to translate at instead of the project's (``hostform try``: what Debian's Ignition reads)."""
    provider: str | None = None
    """Cloud provider whose user_data limit is checked (default: the target's, else guessed from ``*.tf``)."""
    caddy: CaddyMode = "auto"
    """Run the real Caddy on the Caddyfile: ``auto`` when installed, ``require`` or ``off``."""
    main: str = "main.bu"
    """The Butane file of a plain Butane project."""
    checks: bool = True
    """Run the cross-file checks (``hostform.host.checks``) when the build succeeded."""
    decrypt: bool = True
    """Decrypt the encrypted secrets (``secrets/NAME.age``) into the Ignition config: what a command that
    writes or boots it needs. False (``check``, ``units``): no identity needed; each value is a stand-in of
    its exact length."""
    identity: str | None = None
    """The age identity file to decrypt with (``--identity``); else see :func:`hostform.secrets.load_identities`."""

    def __post_init__(self) -> None:
        from hostform.quadlet.versions import normalize_version

        if self.podman is not None and normalize_version(self.podman) != self.podman:  # ValueError for an unknown one
            raise ValueError(f"podman {self.podman!r}: give the release as major.minor ({normalize_version(self.podman)})")


def build(dir: Path | str, options: Options | None = None) -> Bundle:
    """Build the project in ``dir``: a host file, or a plain Butane project. Whatever the project
    holds, the answer is a Bundle whose report says what is wrong (never an exception)."""
    opts = options or Options()
    d = Path(dir)
    # whatever is there (a FIFO, a device, a dangling symlink) is read, and refused, as the file
    if os.path.lexists(d / HOST_FILE):
        bundle = _from_host(d, opts)
        if os.path.lexists(d / opts.main):
            bundle.report.warn(
                "HF026",
                f"{opts.main} is not read: this directory has a {HOST_FILE}, which is built instead "
                f"(Butane of your own goes in its `butane:` list)",
                file=opts.main,
                line=1,
                col=1,
            )
    elif os.path.lexists(d / opts.main):
        bundle = _from_butane(d, opts)
    else:
        report = Report()
        if d.is_dir():
            report.error("HF004", f"{d}: no {HOST_FILE} and no {opts.main} here (`hostform init {d}` writes a host file)")
        else:
            report.error("HF004", f"{d}: no such directory")
        return Bundle(dir=d, name=_dir_name(d), kind="none", report=report)
    if bundle.ignition is None or bundle.report.is_fatal() or not opts.checks:
        return bundle
    from hostform.host.checks import check_bundle

    report = Report(list(bundle.report))
    report.merge(check_bundle(bundle, provider=_provider(bundle, opts), caddy=opts.caddy))
    return replace(bundle, report=report)


def _dir_name(d: Path) -> str:
    return d.resolve().name or "host"


def _provider(bundle: Bundle, opts: Options) -> str | None:
    """The provider whose user_data limit applies: the option, the target's, else the first instance in ``*.tf``."""
    if opts.provider:
        return opts.provider
    if bundle.target is not None:
        return str(bundle.target.provider)
    if bundle.kind != "butane":
        return None
    try:
        names = sorted(n for n in os.listdir(bundle.dir) if n.endswith(".tf"))
    except OSError:
        return None
    from hostform._inputs import HOST_FILE_CAP, read_input

    for n in names:
        data = read_input(bundle.dir, n, HOST_FILE_CAP)  # a regular file of the project, capped: a FIFO must not hang
        if isinstance(data, bytes):
            for resource, provider in TF_PROVIDERS.items():
                if f'"{resource}"'.encode() in data:
                    return provider
    return None


def _podman_version(version: str) -> str:
    from hostform.quadlet.versions import normalize_version

    try:
        return normalize_version(version)
    except ValueError:
        return version


# ---------------------------------------------------------------- a host file


def _reader(d: Path) -> Any:
    """``read(rel)``: a local file's text, or an :class:`~hostform._inputs.InputError` saying why not
    (see :func:`hostform._inputs.read_input`: inside the project, a regular file, at most 16 MiB; and
    UTF-8 text, since it is written into a unit file or Butane as text)."""
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input

    def read(rel: str) -> str | InputError:
        got = read_input(d, rel, LOCAL_FILE_CAP)
        if isinstance(got, InputError):
            return got
        try:
            return got.decode("utf-8")
        except UnicodeDecodeError as e:
            return InputError(f"is not UTF-8 text (byte {e.start})")

    return read


def load_host(dir: Path | str, podman: str | None = None) -> Loaded:
    """The pipeline's first stage alone: ``dir``'s host file loaded (the model, or the findings that stop
    a build, at the same positions). For a command that needs the host but not the VM's files
    (``hostform export kubernetes``): a project without a host file is HF004, as for :func:`build`."""
    from hostform.host.load import Loaded, load_file

    d = Path(dir)
    if not os.path.lexists(d / HOST_FILE):
        report = Report()
        what = f"{d}: no {HOST_FILE} here (`hostform init {d}` writes one)" if d.is_dir() else f"{d}: no such directory"
        report.error("HF004", what)
        return Loaded(None, report)
    return load_file(d / HOST_FILE, podman=podman)


def _from_host(d: Path, opts: Options) -> Bundle:
    from hostform.host.render import render

    loaded = load_host(d, opts.podman)
    report = Report(list(loaded.report))
    host = loaded.host
    if host is None:
        return Bundle(dir=d, name=_dir_name(d), kind="host", report=report)
    if opts.butane_version:
        host = replace(host, butane_version=opts.butane_version)
    base = Bundle(dir=d, name=host.name, kind="host", report=report, host=host, podman_version=_podman_version(host.podman), target=host.target)
    if host.target is not None:
        line, col = loaded.key_positions.get(("target",), (1, 1))
        base = replace(base, target_where=(HOST_FILE, line, col))
    read = _reader(d)
    # the secrets' values: for the files made of them (below), and basic_auth passwords (hashed for the Caddyfile)
    auth_names = [name for sp in host.sites for _, name in sp.basic_auth_secrets] + ([host.status.token_secret] if host.status else [])
    names = [s.name for s in host.secrets if s.sealed] + [reg.password_secret for reg in host.registries] + auth_names
    values: dict[str, tuple[bytes, bytes]] = {}
    if names:
        got = secret_values(d, host, names, opts, report)
        if got is None:
            return base
        values = got
        if auth_names:
            host = _hash_basic_auth(host, values, report, loaded.where)
            base = replace(base, host=host)
            if report.is_fatal():
                return base
    r = render(host, read, loaded.where, HOST_FILE)
    report.merge(r.report)
    base = replace(base, rendered=r, butane_text=r.butane_text)
    if r.report.is_fatal():
        return base

    from hostform.butane.translate import Options as ButaneOptions
    from hostform.butane.translate import translate_data

    butane, butane_text = r.butane, r.butane_text
    if r.sealed:  # the secrets' files go into the Ignition config only, never into main.bu
        from hostform.host.render import to_yaml

        contents = _sealed_contents(r, host, values)
        butane = {**butane, "storage": {**butane.get("storage", {})}}
        butane["storage"]["files"] = [*butane["storage"].get("files", []), *contents]
        butane_text = to_yaml(butane)
    # the renderer's dict spares parsing main.bu again; local files of extra Butane are read as
    # the host's own: regular files in the project, capped
    res = translate_data(butane, butane_text, ButaneOptions(files_dir=str(d), safe_inputs=True))
    located = _Locator(d, loaded, r)
    for entry in res.report.entries:
        report.add(located.butane_finding(entry))
    if res.error is not None:
        if not res.report.is_fatal():  # otherwise its findings say why
            report.error("HF100", f"the Butane hostform wrote from this file was refused: {res.error}", file=HOST_FILE, line=1, col=1)
        return base
    out = res.output or ""
    text = out if out.endswith("\n") else out + "\n"
    ign = json.loads(out)
    files, units = files_and_units(ign)
    by_path = {a.vm_path: a for a in r.all_files()}
    sealed = {sf.vm_path: sf for sf in r.sealed}
    placed_files = []
    for f in files:
        a = by_path.get(f.vm_path)
        sf = sealed.get(f.vm_path)
        if sf is not None:
            if sf.local is not None:
                placed_files.append(replace(f, source=sf.local, line=1, col=1, generated=True))
            else:
                line, col = loaded.where(sf.source)
                placed_files.append(replace(f, source=HOST_FILE, line=line, col=col, generated=True))
        elif a is None:  # from the user's extra Butane: where that file says so
            src, line, col, indent = located.extra_file(f.vm_path)
            placed_files.append(replace(f, source=src, line=line, col=col, indent=indent, generated=False))
        elif a.local is not None:
            placed_files.append(replace(f, source=a.local, line=1, col=1, generated=a.generated))
        else:
            line, col = loaded.where(a.source)
            line_map: tuple[tuple[int, int], ...] = ()
            if a is r.caddyfile:  # each line at the host-file path it came from (a snippet's own lines)
                paths = (r.translations.map_path(("file", a.vm_path, "line", n)) for n in range(1, a.text.count("\n") + 1))
                line_map = tuple(loaded.where(p) if p is not None else (line, col) for p in paths)
            placed_files.append(replace(f, source=HOST_FILE, line=line, col=col, generated=True, line_map=line_map))
    placed_units = []
    for u in units:
        usrc = r.unit_sources.get(u.name)
        if usrc is None:
            src, line, col = located.extra_unit(u.name)
        else:
            src = HOST_FILE
            line, col = loaded.where(usrc)
        placed_units.append(replace(u, source=src, line=line, col=col))
    digest = _sealed_digest(values)
    fp = fingerprint(text, {sf.vm_path for sf in r.sealed}, digest)
    base = replace(base, ignition=ign, ignition_text=text, files=tuple(placed_files), units=tuple(placed_units), fingerprint=fp,
                   sealed_digest=digest)
    if host.target is not None:
        from hostform.terraform.render import render as render_tf

        tr = render_tf(host.target, text, host.name, str(d.resolve()), host.open_ports, fp)
        assert base.target_where is not None
        for diag in tr.report:
            # at the key it names when the file has it, else on the `target:` line (as HF062 is)
            line, col = loaded.positions.get(tuple(diag.path), base.target_where[1:]) if diag.path else base.target_where[1:]
            report.add(diag.located(HOST_FILE, line, col))
        if not tr.report.is_fatal():
            base = replace(base, terraform=tr.tf)
            if tr.how == "compressed":  # main.tf.json reads main.ign: it holds the config as the VM gets it
                base = replace(base, ignition_text=tr.user_data)
    return base


def fingerprint(ignition_text: str, sealed_paths: Collection[str], sealed_digest: str) -> str:
    """:attr:`Bundle.fingerprint` of an Ignition config (main.ign): SHA-256 of it with the content of each
    file made of secret values (``sealed_paths``) left out, and of ``sealed_digest`` (the secrets' files as
    kept in the project: :func:`_sealed_digest`). Changes whenever the config does; holds no hash of a value."""
    import hashlib

    try:
        config = json.loads(ignition_text)
        for f in (config.get("storage") or {}).get("files") or []:
            if isinstance(f, dict) and f.get("path") in sealed_paths:
                f["contents"] = {}
        text = json.dumps(config, sort_keys=True, ensure_ascii=False)
    except (ValueError, AttributeError):
        text = ignition_text
    return hashlib.sha256(f"{text}\0{sealed_digest}".encode("utf-8", "surrogateescape")).hexdigest()


def _sealed_digest(values: Mapping[str, tuple[bytes, bytes]]) -> str:
    """SHA-256 over the secrets' files (an encrypted one's ciphertext: public; it changes when the value is set again)."""
    import hashlib

    h = hashlib.sha256()
    for name, (_, data) in sorted(values.items()):
        h.update(b"%s\0%d\0" % (name.encode(), len(data)) + data)
    return h.hexdigest()


def secret_values(d: Path, host: Any, names: list[str], opts: Options, report: Report) -> dict[str, tuple[bytes, bytes]] | None:
    """name -> (value, its file's bytes) for each secret of ``names`` that has a file: decrypted (or,
    without ``opts.decrypt``, a stand-in of the value's length) or read as it is (a plain file).
    None when a value cannot be had; the report says why, at the secret's file (HF030)."""
    from hostform import secrets
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input

    by_name = {s.name: s for s in host.secrets}
    ids: secrets.Identities | None = None
    values: dict[str, tuple[bytes, bytes]] = {}
    for name in sorted(set(names)):
        sec = by_name.get(name)
        if sec is None or sec.file is None:  # refused by the loader
            continue
        data = read_input(d, sec.file, LOCAL_FILE_CAP)
        if isinstance(data, InputError):
            report.error("HF030", f"secret {name!r}: {sec.file} {data}", sec.source, file=sec.file, line=1, col=1)
            continue
        if not sec.sealed:
            values[name] = (data, data)
            continue
        size = secrets.plaintext_length(data)
        if size is None:
            report.error("HF030", f"secret {name!r}: {sec.file} is not an age-encrypted file (write it with "
                         f"`hostform secret set {name}`)", sec.source, file=sec.file, line=1, col=1)
            continue
        if not opts.decrypt:
            values[name] = (b"x" * size, data)
            continue
        if ids is None:
            try:
                ids = secrets.load_identities(opts.identity, os.environ)
            except secrets.SecretError as e:
                report.error("HF030", f"cannot decrypt the secrets: {e}", sec.source, file=sec.file, line=1, col=1)
                return None
        try:
            values[name] = (secrets.decrypt(data, ids), data)
        except secrets.SecretError as e:
            report.error("HF030", f"secret {name!r}: {sec.file} {e}", sec.source, file=sec.file, line=1, col=1)
    return None if report.is_fatal() else values


def _sealed_contents(r: Rendered, host: Any, values: dict[str, tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """The Butane entries of the files made of secret values (``r.sealed``), each a base64 data URL (a
    value may be any bytes)."""
    import base64

    from hostform.host.render import auth_json

    plain = {name: v for name, (v, _) in values.items()}
    out = []
    for sf in r.sealed:
        value = plain[sf.secrets[0]] if sf.kind == "value" else auth_json(host.registries, plain)
        bk = host.backups
        if sf.kind == "value" and bk is not None and sf.secrets[0] == bk.ssh_key_secret and not value.endswith(b"\n"):
            value += b"\n"  # OpenSSH refuses a private key without its last line break (`secret set` strips it)
        out.append({"path": sf.vm_path, "mode": sf.mode, "contents": {"source": "data:;base64," + base64.b64encode(value).decode("ascii")}})
    return out


def _hash_basic_auth(host: Any, values: dict[str, tuple[bytes, bytes]], report: Report, where: Any) -> Any:
    """``host`` with each site's basic_auth passwords (secrets) hashed into its ``basic_auth``: bcrypt, with
    a salt taken from the secret's file (random when `hostform secret set` wrote it, public like any salt),
    so that a build is byte-identical to the last until the value is set again. A plain file is the password
    itself, so its salt is made of the host's and the secret's names instead (a salt made of the password
    would let anyone test guesses against it at SHA-256's speed)."""
    from hostform.caddy.bcrypt import hash_password

    sealed = {s.name for s in host.secrets if s.sealed}
    sites = []
    for sp in host.sites:
        hashed = []
        for user, name in sp.basic_auth_secrets:
            if name not in values:
                continue
            value, data = values[name]
            salt_source = data if name in sealed else f"{host.name}\0{name}\0".encode()
            try:
                hashed.append((user, hash_password(value, salt_source + user.encode())))
            except ValueError as e:
                path = sp.source + ("basic_auth", user, "password", "secret")
                line, col = where(path)
                report.error("HF011", f"basic_auth {user!r}: the password in secret {name!r}: {e}", path, file=HOST_FILE, line=line, col=col)
        sites.append(replace(sp, basic_auth=tuple(sorted((*sp.basic_auth, *hashed)))) if hashed else sp)
    status = host.status
    if status is not None and status.token_secret in values:  # the token: the password of the status endpoints' one user
        value, data = values[status.token_secret]
        try:
            status = replace(status, token_hash=hash_password(value, data + b"\0status"))
        except ValueError as e:
            path = ("status", "token", "secret")
            line, col = where(path)
            report.error("HF011", f"status: the token in secret {status.token_secret!r}: {e}", path, file=HOST_FILE, line=line, col=col)
    return replace(host, sites=tuple(sites), status=status)


class _Locator:
    """Positions of the generated Butane's paths in the user's files: the host file, or the extra
    Butane file a path came from (through the renderer's TranslationSet)."""

    def __init__(self, d: Path, loaded: Loaded, rendered: Rendered) -> None:
        self.dir = d
        self.loaded = loaded
        self.rendered = rendered
        self._extras: dict[int, tuple[str, Node | None, str] | None] = {}

    def _extra(self, i: int) -> tuple[str, Node | None, str] | None:
        """(name, YAML tree, text) of the host's ``butane[i]`` file."""
        if i not in self._extras:
            self._extras[i] = None
            host = self.loaded.host
            if host is not None and i < len(host.butane):
                rel = host.butane[i]
                got = _reader(self.dir)(rel)
                if isinstance(got, str):
                    from hostform import yamlpos

                    try:
                        self._extras[i] = (rel, yamlpos.load(got), got)
                    except yamlpos.YAMLError:
                        pass
        return self._extras[i]

    def _sources(self) -> list[ButaneSources]:
        host = self.loaded.host
        out = []
        for i in range(len(host.butane) if host is not None else 0):
            extra = self._extra(i)
            if extra is not None:
                out.append(ButaneSources(extra[1], extra[0], extra[2]))
        return out

    def _butane_key(self) -> tuple[str, int, int]:
        line, col = self.loaded.where(("butane",))
        return (HOST_FILE, line, col)

    def extra_file(self, vm_path: str) -> tuple[str, int, int, int]:
        """(file, line, col, indent) of a file the user's extra Butane gives the VM."""
        for src in self._sources():
            found = src.file(vm_path)
            if found is not None:
                return found
        return (*self._butane_key(), 0)

    def extra_unit(self, name: str) -> tuple[str, int, int]:
        """(file, line, col) of a unit the user's extra Butane declares."""
        for src in self._sources():
            found = src.unit(name)
            if found is not None:
                return found
        return self._butane_key()

    def _locate(self, path: tuple[Any, ...]) -> tuple[str, int, int, int]:
        hp = self.rendered.butane_translations.map_path(tuple(path))
        if hp is None:
            return (HOST_FILE, 1, 1, 0)
        if len(hp) >= 2 and hp[0] == "butane" and isinstance(hp[1], int):
            extra = self._extra(hp[1])
            if extra is not None:
                from hostform.butane.report import locate

                rel, root, text = extra
                got = locate(root, tuple(hp[2:]), text)
                if got is not None:
                    line, col, n = got
                    return (rel, line, col, max(n, 0))
                return (rel, 1, 1, 0)
        line, col = self.loaded.where(hp)
        return (HOST_FILE, line, col, 0)

    def butane_finding(self, d: Diagnostic) -> Diagnostic:
        """A Butane or Ignition finding on the generated Butane, placed in the user's file."""
        file, line, col, n = self._locate(tuple(d.path or ()))
        return d.located(file, line, col, n if file != HOST_FILE else 0)


# ---------------------------------------------------------------- a plain Butane project


def _from_butane(d: Path, opts: Options) -> Bundle:
    """A plain Butane project: ``d/main`` translated with ``d`` as files-dir, unchanged, read back."""
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input
    from hostform.butane.report import correlate
    from hostform.butane.translate import E_INVALID_SOURCE, translate_bytes
    from hostform.butane.translate import Options as ButaneOptions
    from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION

    main = opts.main
    report = Report()
    base = Bundle(dir=d, name=_dir_name(d), kind="butane", main=main, report=report, podman_version=_podman_version(opts.podman or DEFAULT_PODMAN_VERSION))
    target, target_where = _plain_target(d, report)
    base = replace(base, target=target, target_where=target_where)
    # a regular file (a FIFO or /dev/zero must not hang the build) of at most 16 MiB: it
    # may inline local files, which have that cap too
    data = read_input(None, str(d / main), LOCAL_FILE_CAP, "a Butane config")
    if isinstance(data, InputError):
        report.error("HF004", f"{main} {data}", file=main)
        return base
    if opts.butane_version:
        retargeted = _retarget(data, opts.butane_version)
        if isinstance(retargeted, Diagnostic):
            report.add(retargeted.located(main, retargeted.line, retargeted.col))
            return base
        data = retargeted
    text = data.decode("utf-8", "surrogateescape")
    base = replace(base, butane_text=text)
    res = translate_bytes(data, ButaneOptions(files_dir=str(d), pretty=False, safe_inputs=True))
    for diag in correlate(res.report.entries, res.root, data, main):
        report.add(diag)
    if res.error is not None:
        if not (res.report.is_fatal() and res.error == E_INVALID_SOURCE):  # else its findings say why
            report.add(_translation_error(res.error, res.root, text, main))
        return base
    out = res.output or ""
    ign = json.loads(out)
    files, units = files_and_units(ign)
    sources = ButaneSources(res.root, main, text)
    placed_files = tuple(
        replace(f, source=s, line=ln, col=c, indent=i) for f in files for s, ln, c, i in [sources.file(f.vm_path) or (main, 1, 1, 0)]
    )
    placed_units = tuple(replace(u, source=s, line=ln, col=c) for u in units for s, ln, c in [sources.unit(u.name) or (main, 1, 1)])
    base = replace(base, ignition=ign, ignition_text=out if out.endswith("\n") else out + "\n", files=placed_files, units=placed_units)
    if target is not None:
        from hostform.terraform.render import PORTS
        from hostform.terraform.render import render as render_tf

        assert base.ignition_text is not None
        tr = render_tf(target, base.ignition_text, base.name, str(d.resolve()), PORTS)
        for diag in tr.report:
            report.add(diag.located(TARGET_FILE, 1, 1) if not diag.file else diag)
        if not tr.report.is_fatal():
            base = replace(base, terraform=tr.tf)
    return base


def _translation_error(error: str, root: Node | None, text: str, main: str) -> Diagnostic:
    """Butane's refusal of a whole config, placed where it is in ``main``: the YAML problem, or the
    ``variant:``/``version:`` value that has no translator (HF001, HF102, else HF100)."""
    from hostform import yamlpos
    from hostform.butane.translate import E_NO_VARIANT

    if root is None:  # the YAML itself: where and what, as for the host file
        from hostform.host.yamlerror import describe

        try:
            yamlpos.load(text)
        except yamlpos.YAMLError as e:
            line, col, msg = describe(e, text)
            return Diagnostic("error", "HF001", msg, None, main, line, col)
        return Diagnostic("error", "HF001", error, None, main, 1, 1)
    key = "variant" if error == E_NO_VARIANT else "version"
    node = root
    if root.kind == "mapping":
        for k, v in root.items:
            if k.kind == "scalar" and k.value == key:
                node = v
    code = "HF001" if error.startswith("Error unmarshaling yaml") else "HF102" if error.startswith("No translator exists") else "HF100"
    return Diagnostic("error", code, error, None, main, node.line, node.column)


def _plain_target(d: Path, report: Report) -> tuple[Target | None, tuple[str, int, int] | None]:
    """The target of a plain project's ``target.json``, when it has one."""
    if not os.path.lexists(d / TARGET_FILE):
        return None, None
    from hostform._inputs import HOST_FILE_CAP, InputError, read_input
    from hostform.host.load import load_target_text

    data = read_input(None, str(d / TARGET_FILE), HOST_FILE_CAP, "a target file")
    if isinstance(data, InputError):
        report.error("HF004", f"{TARGET_FILE} {data}", file=TARGET_FILE)
        return None, None
    target, trep = load_target_text(data, TARGET_FILE)
    report.merge(trep)
    return target, (TARGET_FILE, 1, 1)


def _retarget(data: bytes, version: str) -> bytes | Diagnostic:
    """``data`` with its top-level ``version:`` value replaced by ``version`` (lines and
    columns elsewhere unchanged), or a finding saying why that cannot be done."""
    from hostform import yamlpos

    text = data.decode("utf-8", "surrogateescape")
    why = f"cannot translate this config at Butane spec {version}"
    try:
        root = yamlpos.load(text)
    except yamlpos.YAMLError:
        return data  # the translation reports it, with its position
    node = None
    if root is not None and root.kind == "mapping":
        for k, v in root.items:
            if k.kind == "scalar" and k.value == "version":
                node = v
    if node is None or node.kind != "scalar" or node.style not in ("", "plain", '"', "'", "double", "single"):
        return Diagnostic("error", "HF100", f"{why}: its `version:` is not a one-line string", None, None, node.line if node is not None else 1, 1)
    lines = text.split("\n")
    line = lines[node.line - 1]
    start = node.column - 1
    quoted = line[start : start + 1] in ("'", '"')
    end = start + len(node.value) + (2 if quoted else 0)
    if line[start + (1 if quoted else 0) : end - (1 if quoted else 0)] != node.value:
        return Diagnostic("error", "HF100", f"{why}: its `version:` is not a one-line string", None, None, node.line, node.column)
    lines[node.line - 1] = line[:start] + json.dumps(version) + line[end:]
    return "\n".join(lines).encode("utf-8", "surrogateescape")

