"""Kubernetes names for hostform names.

hostform's service, job and volume names allow ``_`` and ``.`` (and secret names upper-case letters),
which a Kubernetes object name or a pod's volume name (a DNS-1123 label: lower-case letters, digits and
``-``, at most 63, starting and ending with a letter or digit) does not. :class:`Names` maps each name
deterministically: lower-cased, every other character ``-``, ``-`` at either end dropped; when two
names of one kind would then be equal, each name that had to change gets ``-`` and the first 6 hex
digits of its SHA-256 (cut to fit 63). A name that is already a label is kept as it is. A name with a
``limit`` is cut to it first: a CronJob's or a StatefulSet's name is at most 52 characters (Kubernetes
adds 11 to it for the names and labels of what they make), and one cut gets the hash too. With
``letter`` (a service's name, which names its Service: a DNS-1035 label) a name that does not start with
a letter gets ``hf-`` in front (``1web`` is ``hf-1web``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection

__all__ = ["LABEL", "Names", "headless", "subdomain", "to_label"]

LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def to_label(name: str, limit: int = 63, letter: bool = False) -> str:
    """``name`` as a DNS-1123 label (with ``letter``: a DNS-1035 label, starting with a letter; see the
    module docstring); never empty."""
    out = re.sub(r"[^a-z0-9-]", "-", name.lower())[:limit].strip("-")
    if letter and not out[:1].isalpha():
        out = ("hf-" + out)[:limit].rstrip("-")
    return out or "x"


def _suffixed(name: str, limit: int = 63, letter: bool = False) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
    return to_label(name, limit - 7, letter) + "-" + digest


class Names:
    """The Kubernetes names of one kind of hostform names (``names`` in any order; the result does not
    depend on the order)."""

    def __init__(self, names: list[str] | tuple[str, ...], limits: dict[str, int] | None = None,
                 letter: Collection[str] = ()) -> None:
        self.mapped: dict[str, str] = {}
        limit = {n: (limits or {}).get(n, 63) for n in names}
        first = {n: to_label(n, limit[n], n in letter) for n in sorted(set(names))}
        counts: dict[str, int] = {}
        for v in first.values():
            counts[v] = counts.get(v, 0) + 1
        for n, v in first.items():
            cut = len(n) > limit[n]
            self.mapped[n] = v if (counts[v] == 1 and not cut) or v == n else _suffixed(n, limit[n], n in letter)

    def __getitem__(self, name: str) -> str:
        return self.mapped[name]

    def changed(self) -> list[tuple[str, str]]:
        """(hostform name, Kubernetes name) for each name that had to change, sorted."""
        return sorted((n, v) for n, v in self.mapped.items() if n != v)


def headless(name: str, taken: Collection[str]) -> str:
    """The headless Service of the StatefulSet ``name`` (at most 52, see above): ``NAME-headless`` (at most
    61), unless another Service is already called so: then ``NAME`` cut to 47, ``-``, 6 hex digits of the
    SHA-256 of ``name`` and ``-headless`` (63). A DNS-1035 label when ``name`` is one."""
    plain = f"{name}-headless"
    if plain not in taken and len(plain) <= 63:
        return plain
    digest = hashlib.sha256(f"{name}-headless".encode("utf-8")).hexdigest()[:6]
    return f"{name[:47].rstrip('-')}-{digest}-headless"


def subdomain(name: str, suffix: str, limit: int = 253) -> str:
    """``name`` + ``suffix`` as a DNS-1123 subdomain of at most ``limit`` characters: when longer, ``name``
    is cut (at the end, ``-`` and ``.`` dropped) and gets ``-`` and 6 hex digits of its SHA-256 before
    the suffix."""
    if len(name) + len(suffix) <= limit:
        return name + suffix
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
    return name[: limit - len(suffix) - 7].rstrip("-.") + "-" + digest + suffix
