"""``hostform secret set|list|rm|rekey|keygen``: secrets kept encrypted beside the host file.

A secret NAME is the file ``DIR/secrets/NAME.age``: its value encrypted with age to
the host file's ``recipients`` (see :mod:`hostform.secrets`), so the directory can go
into git. Services, jobs and registries name it (``secrets: [NAME]``,
``password: {secret: NAME}``); ``hostform build`` decrypts it into ``main.ign``
only. No command prints a value.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROG = "hostform secret"

EPILOG = """\
examples:
  hostform secret keygen                      make your age identity (~/.config/hostform/age.key);
                                              put the public key it prints under `recipients:`
  printf %s "$PW" | hostform secret set db    encrypt stdin to the recipients: secrets/db.age
  hostform secret set tls-key --from-file key.pem
  hostform secret list                        each secret and what uses it
  hostform secret rekey                       re-encrypt all after `recipients` changed
  hostform secret rm db

A value read from stdin loses one trailing newline (so that `echo pw |` gives `pw`); --from-file
keeps the file's bytes exactly. On a terminal, set asks for the value without echoing it.
The build decrypts with --identity FILE, $HOSTFORM_AGE_KEY (the key), $HOSTFORM_AGE_KEY_FILE, or
~/.config/hostform/age.key. The files are age's own format: `age -d -i KEY secrets/db.age` reads one.
"""


class _Fail(Exception):
    pass


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Keep secrets encrypted beside the host file (secrets/NAME.age, encrypted with age to the "
        "host file's `recipients`), so the project can go into git.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("set", help="encrypt a value (stdin, or --from-file) into secrets/NAME.age")
    s.add_argument("name", help="the secret's name (letters, digits, '-', '_', '.')")
    s.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    s.add_argument("--from-file", metavar="FILE", help="read the value from FILE, byte for byte")
    ls = sub.add_parser("list", help="list the secrets and what uses each (never their values)")
    ls.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    rm = sub.add_parser("rm", help="remove secrets/NAME.age")
    rm.add_argument("name")
    rm.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    rk = sub.add_parser("rekey", help="re-encrypt every secret to the current `recipients` (needs your identity)")
    rk.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    rk.add_argument("--identity", metavar="FILE", help="the age identity to decrypt with")
    kg = sub.add_parser("keygen", help="make an age identity and print its public key")
    kg.add_argument("-o", "--output", metavar="FILE", help="where to write it (default: ~/.config/hostform/age.key)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    if args.action is None:
        p.print_help(sys.stderr)
        return 2
    from hostform.secrets import SecretError

    try:
        if args.action == "keygen":
            return _keygen(args.output)
        d = Path(args.dir)
        if not d.is_dir():
            sys.stderr.write(f"{PROG} {args.action}: {args.dir}: not a directory\n")
            return 2
        if args.action == "set":
            return _set(d, args.name, args.from_file)
        if args.action == "list":
            return _list(d)
        if args.action == "rm":
            return _rm(d, args.name)
        return _rekey(d, args.identity)
    except (_Fail, SecretError) as e:
        sys.stderr.write(f"{PROG} {args.action}: {e}\n")
        return 1
    except OSError as e:  # a directory where the file goes, a name too long, no permission...
        where = f"{e.filename}: " if e.filename else ""
        sys.stderr.write(f"{PROG} {args.action}: {where}{e.strerror or e}; nothing written\n")
        return 1


def _host(d: Path) -> object:
    """The project's checked host file (its errors printed, then _Fail)."""
    from hostform.cli._findings import write_findings
    from hostform.host.load import load_file
    from hostform.pipeline import HOST_FILE

    if not (d / HOST_FILE).exists():
        raise _Fail(f"{d / HOST_FILE}: no host file here (secrets belong to a host: `hostform init {d}`)")
    loaded = load_file(d / HOST_FILE, unset_ok=True)  # a secret it uses may not be set yet: that is what we are here for
    if loaded.host is None:
        write_findings([x for x in loaded.report if x.severity == "error"], sys.stderr, d)
        raise _Fail(f"fix {HOST_FILE} first")
    return loaded.host


def _recipients(d: Path) -> list[str]:
    from hostform.host.model import Host

    host = _host(d)
    assert isinstance(host, Host)
    if not host.recipients:
        raise _Fail("the host file lists no `recipients` to encrypt to: add your age public key "
                    "(`hostform secret keygen` prints one) under `recipients:`")
    return list(host.recipients)


def _check_name(name: str) -> None:
    from hostform.secrets import NAME_RE

    if not NAME_RE.fullmatch(name):
        raise _Fail(f"{name!r} is not a secret name: letters, digits, '-', '_' and '.', starting with a letter or digit")


def _write(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file renamed over it), never through a symlink."""
    path.parent.mkdir(exist_ok=True)
    if path.parent.is_symlink() or path.is_symlink():
        raise _Fail(f"{path} is a symlink: not writing through it")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_value(from_file: str | None) -> bytes:
    from hostform.secrets import MAX_FILE

    if from_file is not None:
        try:
            with open(from_file, "rb") as f:
                data = f.read(MAX_FILE + 1)
        except OSError as e:
            raise _Fail(f"{from_file}: cannot read: {e.strerror or e}") from None
    elif sys.stdin.isatty():
        import getpass

        first = getpass.getpass("value (not shown): ")
        if getpass.getpass("again: ") != first:
            raise _Fail("the two values differ: nothing written")
        data = first.encode()
    else:
        data = sys.stdin.buffer.read(MAX_FILE + 1)
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
    if len(data) > MAX_FILE:
        raise _Fail(f"the value is over {MAX_FILE} bytes: a secret this large does not belong in the Ignition config")
    if not data:
        raise _Fail("the value is empty: nothing written")
    return data


def _set(d: Path, name: str, from_file: str | None) -> int:
    from hostform.secrets import encrypt, sealed_path

    _check_name(name)
    recipients = _recipients(d)
    value = _read_value(from_file)
    rel = sealed_path(name)
    existed = (d / rel).exists()
    _write(d / rel, encrypt(value, recipients))
    n = len(recipients)
    sys.stdout.write(f"{'updated' if existed else 'wrote'} {rel} ({len(value)} bytes, encrypted to {n} recipient{'s' * (n != 1)})\n")
    return 0


def _uses(host: object) -> dict[str, list[str]]:
    """secret name -> what uses it, in words."""
    from hostform.host.model import Host

    assert isinstance(host, Host)
    out: dict[str, list[str]] = {}
    for kind, group in (("services", host.services), ("jobs", host.jobs)):
        for c in group:
            for u in c.secrets:
                how = f"env {u.env}" if u.env else f"file {u.target or '/run/secrets/' + u.name}"
                out.setdefault(u.name, []).append(f"{kind}.{c.name} ({how})")
    for r in host.registries:
        out.setdefault(r.password_secret, []).append(f"registries.{r.host} (password)")
    for sp in host.sites:
        for user, name in sp.basic_auth_secrets:
            out.setdefault(name, []).append(f"sites.{sp.address} (basic_auth {user})")
    return out


def _read_sealed(d: Path, rel: str) -> bytes | str:
    """The bytes of ``d/rel`` as the build reads them (a regular file inside the project, capped), or why not."""
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input

    got = read_input(d, rel, LOCAL_FILE_CAP)
    return f"{rel} {got}" if isinstance(got, InputError) else got


def _list(d: Path) -> int:
    from hostform.secrets import plaintext_length, sealed_names, sealed_path

    host = _host(d)
    uses = _uses(host)
    names = sealed_names(d)
    if not names:
        sys.stdout.write(f"no secrets in {d / 'secrets'} (`hostform secret set NAME` adds one)\n")
        return 0
    width = max(len(n) for n in names)
    for name in names:
        data = _read_sealed(d, sealed_path(name))
        size = plaintext_length(data) if isinstance(data, bytes) else None
        what = f"NOT read: {data}" if isinstance(data, str) else f"{size} bytes" if size is not None else "NOT an age file"
        used = ", ".join(uses.get(name, [])) or "unused"
        sys.stdout.write(f"{name:<{width}}  {what}; {used}\n")
    return 0


def _rm(d: Path, name: str) -> int:
    from hostform.secrets import sealed_path

    _check_name(name)
    rel = sealed_path(name)
    path = d / rel
    if not path.exists() and not path.is_symlink():
        raise _Fail(f"{rel}: no such secret")
    path.unlink()
    sys.stdout.write(f"removed {rel}\n")
    from hostform.host.load import load_file
    from hostform.pipeline import HOST_FILE

    loaded = load_file(d / HOST_FILE) if (d / HOST_FILE).exists() else None
    if loaded is not None:
        still = [x for x in loaded.report if x.code == "HF013" and repr(name) in x.message]
        if still:
            sys.stderr.write(f"{PROG} rm: note: {name!r} is still used ({len(still)} place{'s' * (len(still) != 1)}); "
                             "the build fails until it is set again or no longer used\n")
    return 0


def _rekey(d: Path, identity: str | None) -> int:
    from hostform.secrets import SecretError, decrypt, encrypt, load_identities, sealed_names, sealed_path

    recipients = _recipients(d)
    names = sealed_names(d)
    ids = load_identities(identity, os.environ)
    plain = {}
    for name in names:  # all or nothing: every file is decrypted, and found writable, before any is rewritten
        rel = sealed_path(name)
        data = _read_sealed(d, rel)
        if isinstance(data, str):
            raise _Fail(f"{data}; nothing rewritten")
        if (d / rel).is_symlink() or (d / rel).parent.is_symlink():
            raise _Fail(f"{rel} is a symlink: not writing through it; nothing rewritten")
        try:
            plain[name] = decrypt(data, ids)
        except SecretError as e:
            raise _Fail(f"{rel} {e}; nothing rewritten") from None
    for name in names:
        _write(d / sealed_path(name), encrypt(plain[name], recipients))
    n = len(recipients)
    sys.stdout.write(f"re-encrypted {len(names)} secret{'s' * (len(names) != 1)} to {n} recipient{'s' * (n != 1)}\n")
    return 0


def _keygen(output: str | None) -> int:
    from hostform.secrets import default_identity_path, generate_identity

    path = Path(output) if output else default_identity_path(os.environ)
    if path.exists() or path.is_symlink():
        raise _Fail(f"{path} exists: not overwriting an identity (its secrets would be lost); give -o FILE")
    text, public = generate_identity()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    sys.stderr.write(f"wrote {path} (keep it private; the build decrypts with it). Its public key, for `recipients:`:\n")
    sys.stdout.write(public + "\n")
    return 0
