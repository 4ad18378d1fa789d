"""Build the Go helper programs under tests/go/ once, into the hostform cache.

``helper_binary("gotime")`` builds tests/go/gotime into
``cache_root()/bin/gotime-<hash>``, the hash taken over its main.go and go.mod,
and reuses that binary as long as the source is unchanged. ``.ci/run`` calls
``python -m tests.go.build gotime`` before the tests; the tests call
``helper_binary`` themselves too (a no-op when it is built).

A helper without a main.go is a released command of another module, built as its
authors ship it: its go.mod names that command on a ``tool`` line (``go get -tool
github.com/restic/restic/cmd/restic@v0.18.1``) and requires the module at that
release; the build is ``go build -o OUT PACKAGE``, and the hash is taken over the
go.mod and go.sum that pin it (tests/go/restic, tests/go/rest-server, tests/go/helm).
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
SOURCES = ("go.mod", "main.go")  # a helper of its own
TOOL_SOURCES = ("go.mod", "go.sum")  # another module's command (see the module's docstring)
# Seconds a build may take: the collector (tests/go/otelcol) compiles a few thousand packages, over
# ten minutes on two cores the first time; restic (its cloud backends) about a minute; the others take seconds.
BUILD_TIMEOUT = {"otelcol": 3600, "restic": 1800}


class GoUnavailable(Exception):
    """There is no Go toolchain to build the helper with."""


def find_go() -> str | None:
    """``go`` on PATH, else Go's default install location."""
    found = shutil.which("go")
    if found:
        return found
    default = Path("/usr/local/go/bin/go")
    return str(default) if os.access(default, os.X_OK) else None


def tool_package(name: str) -> str | None:
    """The command tests/go/<name> builds when it has no main.go: the one ``tool`` line of its go.mod."""
    if (HERE / name / "main.go").exists():
        return None
    tools = [line.split()[1] for line in (HERE / name / "go.mod").read_text().splitlines()
             if line.startswith("tool ") and len(line.split()) == 2]
    if len(tools) != 1:
        raise ValueError(f"tests/go/{name}: no main.go, and not one `tool` line in its go.mod: {tools}")
    return tools[0]


def binary_path(name: str) -> Path:
    digest = hashlib.sha256()
    for source in SOURCES if tool_package(name) is None else TOOL_SOURCES:
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
            [go, "build", "-trimpath", "-o", str(tmp), tool_package(name) or "."],
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
