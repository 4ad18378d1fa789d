"""bcrypt hashes for Caddy's ``basic_auth``, made at build time from a password kept as a secret.

The hashing is pyca's `bcrypt <https://pypi.org/project/bcrypt/>`_ (imported only when a site
has such a user). The salt is given, not drawn: a build must give the same bytes as the last
one for the same input, so the caller passes bytes that change when the password is set again
(the secret's encrypted file, whose age header is random per encryption). Only 16 bytes of
SHA-256 of them are used: a salt is public, and these bytes are public already.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["COST", "MAX_PASSWORD", "hash_password"]

MAX_PASSWORD = 72  # bcrypt ignores what follows; Go's bcrypt (Caddy's) refuses a longer password
COST = 12  # bcrypt's work factor: about 0.2 s per user and build; Caddy checks each request at this cost
_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCRYPT = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def hash_password(password: bytes, salt_source: bytes, cost: int = COST) -> str:
    """``$2b$COST$`` + 22 salt characters + 31 hash characters (what Caddy's ``basic_auth`` takes)."""
    import bcrypt

    raw = hashlib.sha256(b"hostform basic_auth salt\0" + salt_source).digest()[:16]
    salt = base64.b64encode(raw)[:22].translate(bytes.maketrans(_STD, _BCRYPT))
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"bcrypt reads at most {MAX_PASSWORD} bytes of a password (this one has {len(password)})")
    hashed: bytes = bcrypt.hashpw(password, b"$2b$%02d$" % cost + salt)
    return hashed.decode("ascii")
