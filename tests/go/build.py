"""Build the Go helper programs under tests/go/ once, into the hostform cache.

``helper_binary("gotime")`` builds tests/go/gotime into
``cache_root()/bin/gotime-<hash>``, the hash taken over its main.go and go.mod,
and reuses that binary as long as the source is unchanged. ``.ci/run`` calls
``python -m tests.go.build gotime`` before the tests; the tests call
``helper_binary`` themselves too (a no-op when it is built).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hostform._cache import cache_root

HERE = Path(__file__).resolve().parent
SOURCES = ("go.mod", "main.go")
# Seconds a build may take: the collector (tests/go/otelcol) compiles a few thousand packages, over
# ten minutes on two cores the first time; the others take seconds.
BUILD_TIMEOUT = {"otelcol": 3600}


class GoUnavailable(Exception):
    """There is no Go toolchain to build the helper with."""


def find_go() -> str | None:
    """``go`` on PATH, else Go's default install location."""
    found = shutil.which("go")
    if found:
        return found
    default = Path("/usr/local/go/bin/go")
    return str(default) if os.access(default, os.X_OK) else None


def binary_path(name: str) -> Path:
    digest = hashlib.sha256()
    for source in SOURCES:
        data = (HERE / name / source).read_bytes()
        digest.update(f"{source} {len(data)}\n".encode() + data)
    return cache_root() / "bin" / f"{name}-{digest.hexdigest()[:16]}"


def helper_binary(name: str) -> Path:
    """The built helper tests/go/<name>; builds it when it is not in the cache yet.

    Raises GoUnavailable without a Go toolchain, subprocess.CalledProcessError
    when the build fails.
    """
    out = binary_path(name)
    if out.is_file() and os.access(out, os.X_OK):
        return out
    go = find_go()
    if go is None:
        raise GoUnavailable("the Go toolchain (go) is not installed; see https://go.dev/doc/install")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    env = dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-mod=mod")
    try:
        subprocess.run(
            [go, "build", "-trimpath", "-o", str(tmp), "."],
            cwd=HERE / name,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT.get(name, 600),
        )
        os.replace(tmp, out)  # atomic: a concurrent build of the same source is harmless
    finally:
        tmp.unlink(missing_ok=True)
    return out


def main(argv: list[str]) -> int:
    status = 0
    for name in argv or ["gotime"]:
        try:
            print(helper_binary(name))
        except GoUnavailable as e:
            print(f"tests/go/{name}: {e}", file=sys.stderr)
            status = 1
        except subprocess.CalledProcessError as e:
            print(f"tests/go/{name}: go build failed:\n{e.stderr}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
