"""User-data size budgets, and fitting an Ignition config into one.

:func:`fit_user_data` returns what goes into the provider's ``user_data``:
the Ignition as built when it fits; otherwise the same config with every
inline file gzip-compressed (Ignition decompresses ``compression: gzip``
contents); otherwise, when the user gave ``user_data_url``, a small config
whose ``ignition.config.replace`` fetches the full one from that URL and
checks its SHA-512; otherwise an HF502 error.  Deterministic: gzip is written
with mtime 0.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from hostform.diagnostics import INFO, Diagnostic, Report

__all__ = ["USER_DATA_LIMITS", "Fitted", "compress_files", "fit_user_data", "replace_stub"]

# Bytes of user data each provider accepts (before its own base64 encoding).
USER_DATA_LIMITS: dict[str, int | None] = {
    "aws": 16 * 1024,  # EC2: 16 KiB of raw user data
    "hetzner": 32 * 1024,  # hcloud: 32 KiB
    "digitalocean": 64 * 1024,  # droplets: 64 KiB
    "vultr": 64 * 1024,  # not documented by Vultr: the common cloud limit is assumed
    "local": None,  # the Ignition is read from a file: no limit
}


@dataclass(frozen=True)
class Fitted:
    user_data: str
    how: str  # "plain" | "compressed" | "replace" | "too-large"
    size: int
    limit: int | None
    report: Report


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _data_url_bytes(source: str) -> bytes | None:
    if not source.startswith("data:") or "," not in source:
        return None
    head, _, payload = source[5:].partition(",")
    if head.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=False)
        except ValueError:
            return None
    return urllib.parse.unquote_to_bytes(payload)


def compress_files(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` whose uncompressed inline files are gzipped, where that is smaller."""
    out: dict[str, Any] = json.loads(json.dumps(config))
    files = (out.get("storage") or {}).get("files") or []
    for f in files:
        for contents in [f.get("contents")] + list(f.get("append") or []):
            if not isinstance(contents, dict) or contents.get("compression"):
                continue
            source = contents.get("source")
            if not isinstance(source, str):
                continue
            raw = _data_url_bytes(source)
            if raw is None:
                continue
            packed = "data:;base64," + base64.b64encode(gzip.compress(raw, 9, mtime=0)).decode("ascii")
            if len(packed) < len(source):
                contents["source"] = packed
                contents["compression"] = "gzip"
    return out


def replace_stub(config: dict[str, Any], full_text: str, url: str) -> str:
    """A config that replaces itself with ``full_text`` fetched from ``url``."""
    version = (config.get("ignition") or {}).get("version") or "3.4.0"
    digest = hashlib.sha512(full_text.encode("utf-8")).hexdigest()
    stub = {"ignition": {"version": version, "config": {"replace": {"source": url, "verification": {"hash": f"sha512-{digest}"}}}}}
    return _dumps(stub) + "\n"


def fit_user_data(ignition_text: str, provider: str, user_data_url: str = "") -> Fitted:
    """What to put in ``user_data`` for ``provider`` (see the module docstring)."""
    rep = Report()
    limit = USER_DATA_LIMITS.get(provider)
    size = _size(ignition_text)
    if limit is None or size <= limit:
        return Fitted(ignition_text, "plain", size, limit, rep)
    try:
        config = json.loads(ignition_text)
    except ValueError:
        config = None
    if isinstance(config, dict):
        packed = _dumps(compress_files(config)) + "\n"
        if _size(packed) <= limit:
            rep.add(_info(f"the Ignition config ({size} bytes) is over {provider}'s {limit}-byte user data limit: its files were gzip-compressed ({_size(packed)} bytes)"))
            return Fitted(packed, "compressed", _size(packed), limit, rep)
    if user_data_url and isinstance(config, dict):
        stub = replace_stub(config, ignition_text, user_data_url)
        rep.add(
            _info(
                f"the Ignition config ({size} bytes) does not fit {provider}'s {limit}-byte user data even compressed: "
                f"the VM fetches it from {user_data_url}; upload build/main.ign there before applying"
            )
        )
        return Fitted(stub, "replace", _size(stub), limit, rep)
    rep.error(
        "HF502",
        f"the Ignition config ({size} bytes) does not fit {provider}'s {limit}-byte user data, even with its files "
        "compressed; give target.user_data_url (an https URL where you will upload build/main.ign)",
        ("target", "user_data_url"),
    )
    return Fitted("", "too-large", size, limit, rep)


def _info(message: str) -> Diagnostic:
    return Diagnostic(INFO, "HF503", message, None)
