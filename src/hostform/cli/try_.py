"""``hostform try [DIR|FILE.ign]``: build the host, then boot it locally in a systemd-nspawn machine.

The Ignition is applied by Debian's real Ignition (2.14: config spec 3.3.0 at most)
to a copy of a cached Debian trixie root filesystem. A local registry answers on
127.0.0.1 (the guest sees it as 10.77.0.1:5000). Every TCP port the machine listens
on is published on the host's loopback; ^C (or --for SECONDS) stops everything.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hostform try", description="Build a host and boot it locally (systemd-nspawn).")
    p.add_argument("target", nargs="?", default=".", help="project directory, or an Ignition file (default: .)")
    p.add_argument("--qemu", action="store_true", help="boot a full VM with QEMU instead (not yet available)")
    p.add_argument("--for", dest="seconds", type=float, help="stop after this many seconds instead of waiting for ^C")
    p.add_argument("--settle", type=float, default=20, help="seconds to wait for the machine's units (default 20)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)

    from hostform._runner import CommandFailed, SubprocessRunner
    from hostform.tryout import commands as C
    from hostform.tryout.harness import Cache, Machine, Registry, TryError, cache_root, check_tools, cleanup_all, free_port

    def say(msg: str) -> None:
        sys.stderr.write(f"hostform try: {msg}\n")

    if args.qemu:
        say("--qemu is not available yet; use the default systemd-nspawn machine")
        return 1
    runner = SubprocessRunner()
    work = Path(tempfile.mkdtemp(prefix="hostform-try-"))
    target = Path(args.target)
    try:
        check_tools({**C.TOOLS, **C.REGISTRY_TOOLS})
        if target.is_dir():
            from hostform.cli import build

            if build.main([str(target), "-o", str(work / "build"), "-q"]) != 0:
                return 1
            ign = work / "build" / "main.ign"
        else:
            ign = target
        registry = Registry(work / "registry", runner).start()
        say(f"registry on {registry.address} (the machine sees it as {C.registry_name_in_guest()})")
        m = Machine(ign, work / "machine", Cache(cache_root(), runner), runner, registry_port=registry.port, log=say)
        m.provision()
        m.boot()
        say(f"machine {m.names.machine} booted in {m.timings.get('boot', 0):.1f}s; waiting up to {args.settle:.0f}s for its units")
        end = time.monotonic() + args.settle
        while time.monotonic() < end:
            state = m.exec(["systemctl", "is-system-running"], check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)
        failed = m.exec(["systemctl", "--failed", "--no-legend", "--plain"], check=False).stdout.strip()
        if failed:
            say("failed units:\n" + failed)
        for lst in sorted({x.port for x in m.listeners() if x.proto == "tcp" and not x.addr.startswith("127.")}):
            host = m.publish(free_port(), lst)
            scheme = "https" if lst in (443, 8443) else "http"
            sys.stdout.write(f"port {lst} answers at {scheme}://{host}/\n")
        sys.stdout.flush()
        say("stop with ^C" if args.seconds is None else f"stopping in {args.seconds:.0f}s")
        try:
            time.sleep(args.seconds if args.seconds is not None else 10**9)
        except KeyboardInterrupt:
            pass
        say("stopping")
        m.stop()
        registry.stop()
        return 0
    except (TryError, CommandFailed) as e:
        say(str(e))
        return 1
    finally:
        cleanup_all(runner)
        import shutil

        shutil.rmtree(work, ignore_errors=True)
