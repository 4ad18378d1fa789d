"""Where hostform keeps what it downloads or builds once (real tools, root filesystems)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$HOSTFORM_CACHE``, else ``$XDG_CACHE_HOME/hostform``, else ``~/.cache/hostform``.

    ``.ci/get-podman`` computes the same path on its own: it runs before
    hostform is installed.
    """
    env = os.environ.get("HOSTFORM_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "hostform"
