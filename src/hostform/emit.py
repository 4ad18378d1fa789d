"""Writing outputs: atomically (temporary file, then rename), in a fixed order.

A reader never sees a half-written file: each file goes to a temporary name in
its directory and is renamed over the target. Files are written in the order
given, so two builds of the same input touch the same files the same way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "write_tree"]


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_tree(root: Path, files: list[tuple[str, bytes]], prune: tuple[str, ...] = ()) -> list[Path]:
    """Write ``files`` (paths relative to ``root``) in order; then delete files under
    the ``prune`` subdirectories that were not written (stale outputs). Returns the paths written."""
    written = []
    for rel, data in files:
        p = root / rel
        write_atomic(p, data)
        written.append(p)
    keep = {p.resolve() for p in written}
    for sub in prune:
        d = root / sub
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file() and p.resolve() not in keep:
                    p.unlink()
    return written
