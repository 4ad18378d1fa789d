"""Secrets kept encrypted beside the host file, with age.

A project's secret NAME is the file ``secrets/NAME.age``: its value encrypted
(ASCII-armored age) to the public keys the host file lists under ``recipients``,
so the directory can go into git. ``hostform secret set`` writes it; the build
decrypts it with the user's identity (:func:`load_identities`) and the value
reaches only ``main.ign`` (0600). Commands that write nothing (``check``,
``units``) need no identity: they use a stand-in of the value's exact length,
read from the file's header (:func:`plaintext_length`).

age itself is `pyrage <https://pypi.org/project/pyrage/>`_ (the Rust ``rage``),
imported only when a secret is touched. Its files are read and written by the
``age`` tool too (``age -d -i KEY secrets/db.age`` works).

Identities are looked for, in this order: ``--identity FILE``; the environment
variable ``HOSTFORM_AGE_KEY`` (the key itself, for CI); ``HOSTFORM_AGE_KEY_FILE``;
``$XDG_CONFIG_HOME/hostform/age.key`` (``~/.config/hostform/age.key``, which
``hostform secret keygen`` writes). A file holds age keys
(``AGE-SECRET-KEY-1...``, one per line, ``#`` comments) or one unencrypted
OpenSSH private key (ed25519 or RSA).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DIR",
    "ENV_KEY",
    "ENV_KEY_FILE",
    "SUFFIX",
    "SecretError",
    "decrypt",
    "default_identity_path",
    "encrypt",
    "generate_identity",
    "load_identities",
    "parse_recipient",
    "plaintext_length",
    "sealed_names",
]

DIR = "secrets"
SUFFIX = ".age"
ENV_KEY = "HOSTFORM_AGE_KEY"
ENV_KEY_FILE = "HOSTFORM_AGE_KEY_FILE"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}")  # the schema's secret name
_ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
_ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
_MAGIC = b"age-encryption.org/v1\n"
_CHUNK = 64 * 1024
_TAG = 16
_NONCE = 16
MAX_FILE = 1 << 20  # a secret's file: 1 MiB is plenty (Ignition user data is far smaller)


class SecretError(Exception):
    """A secret cannot be read, written or decrypted; the message says why, in the user's words."""


@dataclass(frozen=True)
class Identities:
    """What decrypts: the identities and where they came from (for messages)."""

    keys: tuple[Any, ...]
    origin: str


def sealed_names(project: Path) -> list[str]:
    """The names of the project's encrypted secrets (``secrets/NAME.age``), sorted; files whose
    name is not a secret name are not secrets (and are left alone)."""
    try:
        entries = os.listdir(project / DIR)
    except OSError:
        return []
    names = []
    for e in entries:
        if e.endswith(SUFFIX) and NAME_RE.fullmatch(e[: -len(SUFFIX)]):
            names.append(e[: -len(SUFFIX)])
    return sorted(names)


def sealed_path(name: str) -> str:
    """``secrets/NAME.age``: where secret NAME's value is kept, relative to the project."""
    return f"{DIR}/{name}{SUFFIX}"


def parse_recipient(text: str) -> Any:
    """An age recipient from its text: ``age1...`` or an OpenSSH public key (ssh-ed25519, ssh-rsa).
    Raises SecretError saying what is wrong."""
    import pyrage

    try:
        if text.startswith("ssh-"):
            return pyrage.ssh.Recipient.from_str(text)
        return pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError as e:
        raise SecretError(f"not an age recipient ({e})") from None


def encrypt(value: bytes, recipients: list[str]) -> bytes:
    """``value`` encrypted to every recipient, ASCII-armored (diffs and reviews show a text file)."""
    import pyrage

    if not recipients:
        raise SecretError("no recipients to encrypt to")
    parsed = [parse_recipient(r) for r in recipients]
    try:
        out: bytes = pyrage.encrypt(value, parsed, armored=True)
    except pyrage.EncryptError as e:
        raise SecretError(f"cannot encrypt: {e}") from None
    return out if out.endswith(b"\n") else out + b"\n"


def _dearmor(data: bytes) -> bytes | None:
    """The binary age file (None when ``data`` is armored but broken)."""
    text = data.strip()
    if not text.startswith(_ARMOR_BEGIN):
        return data
    if not text.endswith(_ARMOR_END):
        return None
    body = text[len(_ARMOR_BEGIN) : -len(_ARMOR_END)]
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except ValueError:
        return None


def plaintext_length(data: bytes) -> int | None:
    """The length of the value ``data`` (an age file, armored or not) holds, read from its framing
    without decrypting; None when it is not an age file."""
    raw = _dearmor(data)
    if raw is None or not raw.startswith(_MAGIC):
        return None
    end = raw.find(b"\n--- ")
    if end < 0:
        return None
    end = raw.find(b"\n", end + 1)
    if end < 0:
        return None
    body = len(raw) - end - 1 - _NONCE
    if body < _TAG:
        return None
    chunks = max(1, -(-body // (_CHUNK + _TAG)))
    return body - chunks * _TAG


def decrypt(data: bytes, ids: Identities) -> bytes:
    """The value ``data`` holds; SecretError when no identity opens it or it is not an age file."""
    import pyrage

    if plaintext_length(data) is None:
        raise SecretError("is not an age-encrypted file (write it with `hostform secret set`)")
    try:
        out: bytes = pyrage.decrypt(data, list(ids.keys))
    except pyrage.DecryptError as e:
        why = (str(e).strip().splitlines() or ["no reason given"])[0]  # rage may add "Have you tried upgrading...?"
        if "No matching keys" in why:
            raise SecretError(
                f"none of your identities ({ids.origin}) can decrypt it: it was encrypted to other recipients "
                "(someone who can should run `hostform secret rekey` after adding your public key to `recipients`)"
            ) from None
        raise SecretError(f"cannot be decrypted: {why}") from None
    return out


def default_identity_path(env: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/hostform/age.key`` (``~/.config/hostform/age.key``)."""
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return Path(base) / "hostform" / "age.key"


def _parse_identities(text: bytes, origin: str) -> Identities:
    import pyrage

    if text.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
        try:
            return Identities((pyrage.ssh.Identity.from_buffer(text),), origin)
        except pyrage.IdentityError as e:
            raise SecretError(f"{origin}: not a usable OpenSSH private key ({e}; a passphrase-protected key cannot be used)") from None
    keys = []
    for n, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise SecretError(f"{origin}: line {n} is not an age identity (AGE-SECRET-KEY-1...)") from None
    if not keys:
        raise SecretError(f"{origin}: holds no age identity (AGE-SECRET-KEY-1...)")
    return Identities(tuple(keys), origin)


def load_identities(explicit: str | None, env: Mapping[str, str]) -> Identities:
    """The user's identities (see the module docstring for where they are looked for).
    Raises SecretError saying where it looked when there is none."""
    if explicit:
        return _parse_identities(_read_key_file(Path(explicit), f"--identity {explicit}"), f"--identity {explicit}")
    if env.get(ENV_KEY):
        return _parse_identities(env[ENV_KEY].encode(), f"${ENV_KEY}")
    if env.get(ENV_KEY_FILE):
        p = env[ENV_KEY_FILE]
        return _parse_identities(_read_key_file(Path(p), f"${ENV_KEY_FILE} ({p})"), f"${ENV_KEY_FILE} ({p})")
    default = default_identity_path(env)
    if default.exists():
        return _parse_identities(_read_key_file(default, str(default)), str(default))
    raise SecretError(
        f"no age identity: give --identity FILE, or set ${ENV_KEY} (the key) or "
        f"${ENV_KEY_FILE} (its file), or put it in {default} (`hostform secret keygen` makes one)"
    )


def _read_key_file(path: Path, origin: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_FILE)
    except OSError as e:
        raise SecretError(f"{origin}: cannot read: {e.strerror or e}") from None


def generate_identity() -> tuple[str, str]:
    """A new age identity: (the key file's text, its public key)."""
    import pyrage

    key = pyrage.x25519.Identity.generate()
    public = str(key.to_public())
    text = f"# hostform secret keygen: an age identity; keep this file private\n# public key: {public}\n{key}\n"
    return text, public
