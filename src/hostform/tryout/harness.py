"""Boot an Ignition config for real on this machine: ``hostform try`` and the e2e tests.

    Cache          ${HOSTFORM_CACHE:-~/.cache/hostform}: the debootstrapped trixie root
                   filesystem, Debian's Ignition and static busybox (downloaded, not installed)
    Registry       Debian's docker-registry on 127.0.0.1:<free port>
    Machine        a copy of the root filesystem, provisioned by the real Ignition binary
                   (fetch-offline + files stages), booted with systemd-nspawn in its own
                   network namespace; an outer namespace joined by a veth stands for the
                   world and forwards the registry address to the host's loopback through
                   a UNIX socket, so nothing listens outside loopback and our namespaces.
                   The host's state disk is a directory of ours bound in (``state_dir``),
                   or a block device (``state_disk``, a :class:`LoopDisk`) that the host's
                   own units format and mount; image prefixes can be remapped to the local
                   registry (``remaps``).
    LoopDisk       a sparse file on a loop device: a state disk that outlives machines

Everything started is recorded in ``LIVE`` and torn down by :func:`cleanup_all`
(registered with atexit), whatever happens. Commands come from
:mod:`hostform.tryout.commands`; processes run through a :class:`~hostform._runner.Runner`.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from hostform._cache import cache_root
from hostform._runner import CommandFailed, Process, Result, Runner, SubprocessRunner, wait_until
from hostform.tryout import commands as C


class TryError(Exception):
    """The local machine cannot do what was asked (a missing tool, a failed boot)."""


def check_tools(tools: dict[str, str], which: Callable[[str], str | None] | None = None) -> None:
    missing = C.missing_tools(tools, which or shutil.which)
    if missing:
        raise TryError(C.install_hint(missing))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- cleanup registry


@dataclass
class _Live:
    processes: list[Process] = field(default_factory=list)
    netns: list[str] = field(default_factory=list)
    leaders: list[int] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)  # loop devices (LoopDisk)


LIVE = _Live()


def cleanup_all(runner: Runner | None = None) -> None:
    """Kill every process and delete every namespace this process started (idempotent)."""
    r = runner or SubprocessRunner()
    for pid in LIVE.leaders:
        try:
            os.kill(pid, signal.SIGKILL)  # the init of a pid namespace: takes the whole machine down
        except (ProcessLookupError, PermissionError):
            pass
    LIVE.leaders.clear()
    for p in reversed(LIVE.processes):
        p.terminate(timeout=5)
    LIVE.processes.clear()
    for ns in LIVE.netns:
        r.run(["ip", "netns", "del", ns], check=False)
    LIVE.netns.clear()
    for dev in LIVE.loops:  # after the machines: the kernel detaches a busy one once it is free
        r.run(C.losetup_detach_argv(dev), check=False)
    LIVE.loops.clear()


atexit.register(cleanup_all)


# ---------------------------------------------------------------- cache: root filesystem and downloaded packages


@dataclass
class Cache:
    root: Path
    runner: Runner

    @property
    def rootfs(self) -> Path:
        return self.variant_dir("")

    def variant_dir(self, variant: str) -> Path:
        """``rootfs-trixie`` (systemd-nspawn) or ``rootfs-trixie-vm`` (QEMU: with a kernel)."""
        return self.root / f"rootfs-{C.SUITE}{'-' + variant if variant else ''}"

    def mirror(self) -> str:
        texts = []
        for p in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
            if p.is_file():
                try:
                    texts.append(p.read_text())
                except OSError:
                    pass
        m = C.debian_mirror(texts)
        if m is None:
            raise TryError("no Debian mirror found in /etc/apt/sources.list*; set one up so debootstrap can fetch trixie")
        return m

    def ensure_rootfs(self, log: Callable[[str], None] = lambda s: None, variant: str = "") -> Path:
        """The cached root filesystem of ``variant``, made once: again only when its stamp (suite,
        packages, the finishing step's revision) differs from what this version of hostform makes."""
        final = self.variant_dir(variant)
        packages = C.ROOTFS_VARIANTS[variant]
        stamp = final / ".hostform-rootfs"
        if stamp.is_file() and C.stamp_matches(stamp.read_text(), packages):
            return final
        check_tools({"debootstrap": "debootstrap"})
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f".lock-rootfs-{variant or 'nspawn'}", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be making it: wait for it
            if stamp.is_file() and C.stamp_matches(stamp.read_text(), packages):
                return final
            tmp = final.with_name(final.name + ".tmp")
            done = tmp / ".debootstrap-done"
            if not (done.is_file() and C.stamp_matches(done.read_text(), packages)):
                if tmp.exists():
                    shutil.rmtree(tmp)
                (self.root / "debootstrap-cache").mkdir(exist_ok=True)
                kind = {"": "", "vm": " for QEMU (with a kernel)"}.get(variant, f" ({variant})")
                what = f"the {C.SUITE} root filesystem{kind}"
                again = " again: its packages or finishing step changed" if final.exists() else " (once; about 90 s)"
                log(f"creating {what} with debootstrap{again}")
                argv = C.debootstrap_argv(tmp, self.root / "debootstrap-cache", self.mirror(), packages)
                self.runner.run(argv, timeout=1800)
                self.other_suites(tmp, packages)
                done.write_text(json.dumps(C.rootfs_stamp(packages)) + "\n")
            self.finish_rootfs(tmp, packages)
            old = final.with_name(final.name + ".old")
            if old.exists():
                shutil.rmtree(old)
            if final.exists():
                final.rename(old)  # a rename, then the removal: the cached name is never half-deleted
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        return final

    def other_suites(self, root: Path, packages: Sequence[str]) -> None:
        """The ``NAME/SUITE`` packages, with apt in a chroot; the extra sources go again after."""
        argvs = C.other_suite_argvs(root, packages)
        if not argvs:
            return
        sources = root / C.OTHER_SUITES_LIST
        sources.parent.mkdir(parents=True, exist_ok=True)
        sources.write_text(C.other_suite_sources(self.mirror(), packages))
        try:
            for argv in argvs:
                self.runner.run(argv, timeout=1800)
        finally:
            sources.unlink(missing_ok=True)
            for suite in {p.split("/", 1)[1] for p in packages if "/" in p}:
                for lst in (root / "var/lib/apt/lists").glob(f"*_dists_{suite}_*"):
                    lst.unlink()

    def finish_rootfs(self, root: Path, packages: Sequence[str] = C.ROOTFS_PACKAGES) -> None:
        self.runner.run(C.enable_networkd_argv(root))
        self.fcos_ssh(root)
        # no apt caches in every copy
        shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
        (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
        (root / ".hostform-rootfs").write_text(json.dumps(C.rootfs_stamp(packages)) + "\n")

    def fcos_ssh(self, root: Path) -> None:
        """OpenSSH's units under Fedora CoreOS's names, sshd.service enabled (see C.SSH_UNIT_NAMES)."""
        units = root / C.SSH_UNITS_DIR
        if (units / "ssh.service").is_file():
            self.runner.run(C.ssh_disable_argv(root))
            for p in sorted(units.iterdir()):
                if p.is_file() and not p.is_symlink():
                    text = p.read_text()
                    new = C.fcos_ssh_unit(text)
                    if new != text:
                        p.write_text(new)
            for debian, fcos in C.SSH_UNIT_NAMES.items():
                (units / debian).rename(units / fcos)
        if (units / "sshd.service").is_file():
            self.runner.run(C.ssh_enable_argv(root))

    def deb(self, package: str, suite: str = C.SUITE) -> Path:
        """Download (not install) a Debian package and unpack it under the cache; returns the tree."""
        dest = self.root / f"deb-{suite}-{package}"
        if (dest / ".done").is_file():
            return dest
        work = self.root / f".apt-{suite}-{package}"
        shutil.rmtree(work, ignore_errors=True)
        (work / "lists" / "partial").mkdir(parents=True)
        (work / "cache" / "archives" / "partial").mkdir(parents=True)
        (work / "sources.list").write_text(C.apt_sources_line(self.mirror(), suite, Path(C.KEYRING).is_file()))
        (work / "status").write_text("")
        opts = C.apt_private_opts(work)
        self.runner.run(["apt-get", *opts, "update"], timeout=600)
        self.runner.run(["sh", "-c", f'cd "{work}" && exec apt-get "$@" download {package}', "sh", *opts], timeout=600)
        debs = sorted(work.glob(f"{package}_*.deb"))
        if not debs:
            raise TryError(f"apt-get download {package} ({suite}) gave no .deb")
        shutil.rmtree(dest, ignore_errors=True)
        self.runner.run(["dpkg", "-x", str(debs[0]), str(dest)])
        (dest / ".done").write_text(debs[0].name + "\n")
        shutil.rmtree(work, ignore_errors=True)
        return dest

    def ignition(self) -> Path:
        return self.deb("ignition") / C.IGNITION_BIN

    def busybox(self) -> Path:
        tree = self.deb("busybox-static")
        return next(p for p in (tree / "usr/bin/busybox", tree / "bin/busybox") if p.exists())


# ---------------------------------------------------------------- registry


@dataclass
class Registry:
    work: Path
    runner: Runner
    port: int = 0
    proc: Process | None = None
    htpasswd: Path | None = None  # basic authentication: every request needs a user of this file

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> Registry:
        check_tools(C.REGISTRY_TOOLS)
        self.port = self.port or free_port()
        self.work.mkdir(parents=True, exist_ok=True)
        cfg = self.work / "registry.yml"
        cfg.write_text(C.registry_config(self.work / "data", self.port, self.htpasswd))
        self.proc = self.runner.spawn(C.registry_argv(cfg), log=self.work / "registry.log")
        LIVE.processes.append(self.proc)

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"http://{self.address}/v2/", timeout=1):  # noqa: S310
                    return True
            except urllib.error.HTTPError as e:
                return e.code == 401 and self.htpasswd is not None  # it answers: asking who we are
            except OSError:
                return False

        if not wait_until(ready, timeout, 0.1):
            raise TryError(f"the registry did not answer on {self.address}: see {self.work / 'registry.log'}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            if self.proc in LIVE.processes:
                LIVE.processes.remove(self.proc)
            self.proc = None


# ---------------------------------------------------------------- a block device for a state disk


@dataclass
class LoopDisk:
    """A sparse file attached to a loop device: a blank disk (until something writes to it) that
    outlives the machines it is given to (``Machine.state_disk``), as a cloud volume does."""

    image: Path
    runner: Runner
    size_mib: int = 512
    device: str = ""

    def attach(self) -> LoopDisk:
        check_tools(C.DISK_TOOLS)
        if not self.image.exists():
            self.image.parent.mkdir(parents=True, exist_ok=True)
            with open(self.image, "wb") as f:
                f.truncate(self.size_mib << 20)
        self.device = self.runner.run(C.losetup_attach_argv(self.image)).stdout.strip()
        LIVE.loops.append(self.device)
        return self

    def probe(self) -> dict[str, str]:
        """What ``blkid -p`` finds on the device: ``{}`` when it is blank."""
        res = self.runner.run(C.blkid_argv(self.device), check=False)
        if res.returncode not in (0, 2):
            raise TryError(f"blkid -p {self.device} failed: {res.stderr.strip()}")
        return C.parse_blkid(res.stdout)

    def attached(self) -> list[str]:
        """The loop devices the image is attached to now (none once detached)."""
        return self.runner.run(C.losetup_list_argv(self.image), check=False).stdout.split()

    def detach(self) -> None:
        if self.device:
            self.runner.run(C.losetup_detach_argv(self.device), check=False)
            if self.device in LIVE.loops:
                LIVE.loops.remove(self.device)
            self.device = ""


# ---------------------------------------------------------------- machine


@dataclass
class Machine:
    """One nspawn machine booted from ``config`` (an Ignition file, spec <= 3.3.0)."""

    config: Path
    work: Path
    cache: Cache
    runner: Runner
    registry_port: int | None = None  # host loopback port of the registry to forward
    ident: str = field(default_factory=lambda: secrets.token_hex(3))
    root: Path | None = None  # reuse an existing provisioned root (replacement tests give a fresh one)
    binds: Sequence[tuple[Path, str]] = ()
    # the directory standing for the host's state disk (storage.filesystems[].path): it
    # outlives the machine; give the same one to a fresh machine to test a replacement
    state_dir: Path | None = None
    # or a block device standing for the state disk (a LoopDisk's device): bound in at the device
    # the host's units name (state.device, /dev/vdb by default); they format and mount it, as on the VM
    state_disk: str | None = None
    remaps: dict[str, str] = field(default_factory=dict)  # image prefix -> local registry location
    # more servers of the host the guest reaches, as it reaches the registry: {port at C.OUTER_ADDR: port on
    # the host's 127.0.0.1}, forwarded from before the machine boots until it stops (nspawn machines only)
    forwards: dict[int, int] = field(default_factory=dict)
    log: Callable[[str], None] = lambda s: None
    leader: int = 0
    nspawn: Process | None = None
    _procs: list[Process] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> C.Names:
        return C.Names(self.ident)

    @property
    def address(self) -> str:
        return C.GUEST_ADDR

    # -- provisioning

    def check_config(self) -> None:
        try:
            doc = json.loads(self.config.read_text())
        except (OSError, ValueError) as e:
            raise TryError(f"{self.config}: not a readable Ignition config: {e}") from e
        v = C.ignition_version(doc) if isinstance(doc, dict) else None
        if v is None:
            raise TryError(f"{self.config}: no ignition.version")
        if v > C.MAX_IGNITION_SPEC:
            raise TryError(
                f"{self.config}: Ignition spec {'.'.join(map(str, v))}; Debian's Ignition 2.14 reads 3.3.0 at most"
                " (write the Butane with variant fcos, version 1.4.0)"
            )
        for where in C.state_paths(doc):
            try:
                C.mount_unit_name(where)
            except ValueError as e:  # the machine binds a directory there with a mount unit of that name
                raise TryError(f"{self.config}: the machine cannot mount a state disk on {where}: {e}") from e
        if self.state_disk is not None:
            self.state_device()

    def provision(self) -> Path:
        self.check_config()
        t0 = time.monotonic()
        base = self.cache.ensure_rootfs(self.log, variant=self.variant)
        ignition = self.cache.ignition()
        self.work.mkdir(parents=True, exist_ok=True)
        root = self.work / "root"
        if root.exists():
            shutil.rmtree(root)
        self.runner.run(C.copy_tree_argv(base, root), timeout=600)
        self.timings["copy"] = time.monotonic() - t0
        t1 = time.monotonic()
        self.apply_ignition(ignition, root)
        self.timings["ignition"] = time.monotonic() - t1
        mounts = self.state_mounts() if self.state_disk is None else {}  # a block device: the host's units mount it
        for where, (host_dir, _) in mounts.items():
            self._seed_state(root / where.lstrip("/"), host_dir)
        for rel, text in self._adaptations(root, mounts).items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        self.root = root
        return root

    variant = ""  # which cached root filesystem (Cache.variant_dir)

    @property
    def registry_in_guest(self) -> str:
        return C.registry_name_in_guest()

    def netns(self) -> list[str]:
        return [self.names.guest_ns, self.names.outer_ns]

    def _adaptations(self, root: Path, mounts: dict[str, tuple[Path, str]]) -> dict[str, str]:
        for _, what in mounts.values():
            (root / what.lstrip("/")).mkdir(parents=True, exist_ok=True)
        state = {where: what for where, (_, what) in mounts.items()}
        files = C.guest_adaptations(self.names, self.registry_in_guest, self.remaps, state)
        if self.state_disk is not None:
            files.update(C.state_disk_adaptations(json.loads(self.config.read_text()), self.state_device()))
        return files

    def state_mounts(self) -> dict[str, tuple[Path, str]]:
        """Mount point -> (host directory, where it is bound in the guest), one per declared filesystem."""
        doc = json.loads(self.config.read_text())
        out: dict[str, tuple[Path, str]] = {}
        for i, where in enumerate(C.state_paths(doc)):
            base = self.state_dir if self.state_dir is not None else self.work / "state"
            host = base if i == 0 else base.with_name(f"{base.name}-{i}")
            out[where] = (host, f"{C.STATE_BIND_BASE}{i}")
        return out

    def state_device(self) -> str:
        """Where the host's units expect the state disk (``state_disk`` is bound there)."""
        disks = C.state_disks(json.loads(self.config.read_text()))
        if self.state_dir is not None or len(disks) != 1 or not next(iter(disks.values())).startswith("/dev/"):
            raise TryError(
                f"{self.config}: a state_disk is for a host with one state disk on a /dev/ device (it has {disks or 'none'}),"
                " and replaces state_dir"
            )
        return next(iter(disks.values()))

    def _state_binds(self) -> list[tuple[Path, str]]:
        if self.state_disk is not None:
            return [(Path(self.state_disk), self.state_device())]
        return [(host, what) for host, what in self.state_mounts().values()]

    def _seed_state(self, provisioned: Path, host_dir: Path) -> None:
        """What Ignition made under the mount point goes onto the "disk", never over what is there."""
        host_dir.mkdir(parents=True, exist_ok=True)
        src = str(provisioned)
        if not provisioned.is_dir() or src in ("", "/") or provisioned.resolve() == Path("/"):
            return
        self.runner.run(["cp", "-a", "-n", f"{src}/.", f"{host_dir}/"])

    def apply_ignition(self, ignition: Path, root: Path) -> None:
        run = self.work / "ignition"
        shutil.rmtree(run, ignore_errors=True)
        (run / "shim").mkdir(parents=True)
        shim = run / "shim" / "setfiles"
        shim.write_text(C.SETFILES_SHIM)
        shim.chmod(0o755)
        (root / "etc/selinux").mkdir(parents=True, exist_ok=True)
        (root / "etc/selinux/config").write_text(C.SELINUX_CONFIG)
        for rel in C.NOT_ON_FCOS:  # files debootstrap made that a fresh Fedora CoreOS does not have
            (root / rel).unlink(missing_ok=True)
        logtext = []
        # Ignition writes a user's SSH keys as that user, who must be able to walk down to the root:
        # the root is bound (in a private mount namespace) on a directory anyone can reach, since
        # the work directory may sit under one only root can enter (pytest's, ~root, try's 0700 one)
        at = Path(tempfile.mkdtemp(prefix="hostform-root-", dir="/tmp"))
        try:
            at.chmod(0o755)
            for argv, env in C.ignition_argvs(ignition, self.config.resolve(), at, run):
                res = self.runner.run(C.bound_root_argv(root.resolve(), at, argv), env=env, check=False, timeout=300)
                logtext.append(res.stdout + res.stderr)
                if not res.ok:
                    (self.work / "ignition.log").write_text("".join(logtext))
                    raise TryError(f"Ignition failed on {self.config}:\n{(res.stdout + res.stderr).strip()[-3000:]}")
        finally:
            at.rmdir()
        (self.work / "ignition.log").write_text("".join(logtext))
        (root / "etc/machine-id").unlink(missing_ok=True)  # first boot: systemd applies Ignition's presets

    # -- boot and stop

    def _spawn(self, argv: list[str], log: str, env: dict[str, str] | None = None) -> Process:
        p = self.runner.spawn(argv, env=env, log=self.work / log)
        LIVE.processes.append(p)
        self._procs.append(p)
        return p

    def _netns(self) -> None:
        n = self.names
        for ns in (n.guest_ns, n.outer_ns):
            LIVE.netns.append(ns)
        for argv in C.netns_setup_argvs(n):
            self.runner.run(argv)

    def _bridge(self, name: str, port: int, host_port: int, log: str) -> None:
        """C.OUTER_ADDR:port in the outer namespace forwarded to 127.0.0.1:host_port (through a UNIX socket)."""
        sock = self.work / f"{name}.sock"
        self._spawn(C.host_bridge_argv(sock, host_port), f"{log}-host.log")
        wait_until(sock.exists, 5, 0.05)
        self._spawn(C.outer_bridge_argv(self.names, sock, port), f"{log}-outer.log")

    def boot(self, timeout: float = 60) -> Machine:
        check_tools(C.TOOLS)
        if self.root is None:
            self.provision()
        assert self.root is not None
        self._netns()
        if self.registry_port:
            self._bridge("registry", C.REGISTRY_PORT_IN_NS, self.registry_port, "bridge")
        for port, host_port in sorted(self.forwards.items()):
            self._bridge(f"forward-{port}", port, host_port, f"forward-{port}")
        t0 = time.monotonic()
        binds = [*self.binds, *self._state_binds()]
        self.nspawn = self._spawn(C.nspawn_argv(self.names, self.root, binds), "console.log", env=C.NSPAWN_ENV)

        def leader() -> bool:
            assert self.nspawn is not None
            if not self.nspawn.alive():
                raise TryError(f"systemd-nspawn exited: see {self.work / 'console.log'}")
            # nspawn's first child is a short-lived helper; the machine's init is the child that is pid 1 inside
            for pid in C.parse_pids(self.runner.run(C.children_argv(self.nspawn.pid), check=False).stdout):
                if C.is_namespace_init(self.runner.run(C.status_argv(pid), check=False).stdout):
                    self.leader = pid
                    LIVE.leaders.append(self.leader)
                    return True
            return False

        if not wait_until(leader, timeout, 0.1):
            raise TryError(f"systemd-nspawn started no machine: see {self.work / 'console.log'}")
        # systemd answers once it has set up its bus
        if not wait_until(
            lambda: self.exec(["systemctl", "is-system-running"], check=False).stdout.strip() not in ("", "offline"),
            timeout,
            0.25,
        ):
            raise TryError(f"systemd in the machine did not answer in {timeout:.0f}s: see {self.work / 'console.log'}")
        self.timings["boot"] = time.monotonic() - t0
        return self

    def stop(self, timeout: float = 30) -> None:
        """Orderly shutdown (SIGTERM to nspawn: poweroff in the guest), then kill, then remove namespaces."""
        if self.nspawn is not None:
            self.nspawn.terminate(timeout=timeout)
        if self.leader:
            try:
                os.kill(self.leader, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.leader in LIVE.leaders:
                LIVE.leaders.remove(self.leader)
            self.leader = 0
        for p in reversed(self._procs):
            p.terminate(timeout=5)
            if p in LIVE.processes:
                LIVE.processes.remove(p)
        self._procs.clear()
        self.nspawn = None
        for argv in C.netns_teardown_argvs(self.names):
            self.runner.run(argv, check=False)
            if argv[-1] in LIVE.netns:
                LIVE.netns.remove(argv[-1])

    def __enter__(self) -> Machine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- looking at the machine

    def exec(self, argv: Sequence[str], *, check: bool = True, timeout: float = 120) -> Result:
        if not self.leader:
            raise TryError("the machine is not running")
        return self.runner.run(C.nsenter_argv(self.leader, argv), check=check, timeout=timeout)

    def is_active(self, unit: str) -> str:
        return self.exec(C.is_active_argv(unit), check=False).stdout.strip()

    def wait_active(self, unit: str, timeout: float = 120) -> bool:
        return wait_until(lambda: self.is_active(unit) == "active", timeout, 0.25)

    def outside(self, argv: Sequence[str], *, check: bool = False, timeout: float = 30) -> Result:
        """Run a command in the outer namespace (where a client of the machine would be)."""
        return self.runner.run(C.in_netns(self.names.outer_ns, argv), check=check, timeout=timeout)

    def get(
        self, url: str, *, resolve: str | None = None, insecure: bool = False, timeout: float = 5, cacert: Path | None = None
    ) -> tuple[int, str]:
        argv = C.curl_argv(url, resolve=resolve, insecure=insecure, timeout=timeout, cacert=cacert)
        res = self.outside(argv, timeout=timeout + 5)
        return C.parse_curl(res.stdout) if res.ok else (0, res.stderr)

    def listeners(self) -> list[C.Listener]:
        return C.parse_ss(self.exec(C.listening_argv()).stdout)

    def auto_update(self) -> dict[str, str]:
        return C.parse_auto_update(self.exec(C.auto_update_argv(), check=False, timeout=300).stdout)

    def publish(self, host_port: int, guest_port: int) -> str:
        sock = self.work / f"publish-{guest_port}.sock"
        inner, outer = C.publish_argvs(self.names, host_port, guest_port, sock)
        self._spawn(inner, f"publish-{guest_port}-ns.log")
        wait_until(sock.exists, 5, 0.05)
        self._spawn(outer, f"publish-{guest_port}.log")
        return f"127.0.0.1:{host_port}"

    def caddy_root(self, dest: Path, timeout: float = 60) -> Path:
        """Caddy's internal root certificate (``tls.ca: internal``), read on the machine from its
        state disk into ``dest`` once Caddy has made it."""
        where = list(self.state_mounts()) or ["/var"]
        end = time.monotonic() + timeout
        while not (found := self.exec(["find", *where, "-path", f"*/{C.CADDY_ROOT_CA}"], check=False).stdout.split()):
            if time.monotonic() > end:
                raise TryError(f"no Caddy root certificate ({C.CADDY_ROOT_CA}) under {', '.join(where)} after {timeout:.0f}s")
            time.sleep(0.5)
        dest.write_text(self.exec(["cat", sorted(found)[0]]).stdout)
        return dest


# ---------------------------------------------------------------- QEMU machine (`hostform try --qemu`)


def jsonl_session(path: Path, requests: Sequence[dict[str, object]], *, timeout: float, greeting: bool) -> list[dict[str, object]]:
    """One connection to a QMP socket: (the greeting,) then one reply per request; events skipped."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        f = s.makefile("rwb")
        if greeting:
            f.readline()
        replies: list[dict[str, object]] = []
        for req in requests:
            f.write(json.dumps(req).encode() + b"\n")
            f.flush()
            while True:
                line = f.readline()
                if not line:
                    raise OSError(f"{path}: closed")
                msg = json.loads(line)
                if "event" not in msg:
                    replies.append(msg)
                    break
        return replies


def qga_call(path: Path, request: dict[str, object], *, timeout: float) -> dict[str, object]:
    """One request to QEMU's guest agent, after a guest-sync that drops anything stale on the channel."""
    ident = secrets.randbelow(1 << 30)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        f = s.makefile("rwb")
        f.write(json.dumps(C.qga_sync(ident)).encode() + b"\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                raise OSError(f"{path}: closed")
            try:
                if json.loads(line.strip(b"\xff")).get("return") == ident:
                    break
            except ValueError:
                continue
        f.write(json.dumps(request).encode() + b"\n")
        f.flush()
        line = f.readline()
        if not line:
            raise OSError(f"{path}: closed")
        reply: dict[str, object] = json.loads(line)
        return reply


@dataclass
class QemuMachine(Machine):
    """The same provisioned root as :class:`Machine`, booted as a full VM under QEMU (TCG).

    The root becomes an ext4 image (``mke2fs -d``), each state file system a second virtio
    disk; the kernel and initramfs come from the cached ``vm`` root filesystem. Commands run
    through QEMU's guest agent; ports are published with hostfwd on 127.0.0.1 (QMP).
    """

    qemu: Process | None = None
    images: list[Path] = field(default_factory=list)
    cpus: int = 2
    memory_mib: int = 2048

    variant = "vm"

    @property
    def address(self) -> str:
        return C.QEMU_GUEST_ADDR

    @property
    def registry_in_guest(self) -> str:
        return C.qemu_registry_name_in_guest()

    def netns(self) -> list[str]:
        return []

    def _adaptations(self, root: Path, mounts: dict[str, tuple[Path, str]]) -> dict[str, str]:
        return C.vm_guest_adaptations(self.registry_in_guest, self.remaps, list(mounts))

    @property
    def qmp_sock(self) -> Path:
        return self.work / "qmp.sock"

    @property
    def qga_sock(self) -> Path:
        return self.work / "qga.sock"

    def _image(self, tree: Path, image: Path, label: str, headroom_mib: int) -> Path:
        used = C.parse_du(self.runner.run(C.du_argv(tree)).stdout)
        image.unlink(missing_ok=True)
        self.images.append(image)
        self.runner.run(C.mke2fs_argv(tree, image, C.disk_size_mib(used, headroom_mib), label), timeout=600)
        return image

    def make_images(self) -> tuple[Path, Path, Path, list[Path]]:
        """Kernel, initramfs, root image, state images; the root tree is removed once imaged."""
        if self.root is None:
            self.provision()
        assert self.root is not None
        t0 = time.monotonic()
        found = C.boot_files(os.listdir(self.root / "boot")) if (self.root / "boot").is_dir() else None
        if found is None:
            raise TryError(f"no kernel with an initramfs in {self.root / 'boot'} (the cached vm root filesystem)")
        kernel, initrd = self.work / "vmlinuz", self.work / "initrd.img"
        shutil.copyfile(self.root / "boot" / found[0], kernel)
        shutil.copyfile(self.root / "boot" / found[1], initrd)
        root_img = self._image(self.root, self.work / "root.img", C.ROOT_LABEL, 2048)
        states = [
            self._image(host_dir, self.work / f"state{i}.img", C.state_disk_serial(i), 1024)
            for i, (host_dir, _) in enumerate(self.state_mounts().values())
        ]
        shutil.rmtree(self.root, ignore_errors=True)  # the image holds it now (~1 GB less on disk)
        self.root = None
        self.timings["image"] = time.monotonic() - t0
        return kernel, initrd, root_img, states

    def boot(self, timeout: float = 300) -> QemuMachine:
        check_tools(C.QEMU_TOOLS)
        if self.forwards:
            raise TryError("forwards are for nspawn machines: a QEMU machine reaches only the registry (guestfwd)")
        kernel, initrd, root_img, states = self.make_images()
        for sock in (self.qmp_sock, self.qga_sock):
            sock.unlink(missing_ok=True)
        argv = C.qemu_argv(
            name=self.names.machine, kernel=kernel, initrd=initrd, root_image=root_img, state_images=states,
            serial_log=self.work / "console.log", qmp=self.qmp_sock, qga=self.qga_sock,
            registry_port=self.registry_port, cpus=self.cpus, memory_mib=self.memory_mib,
        )  # fmt: skip
        t0 = time.monotonic()
        self.qemu = self._spawn(argv, "qemu.log")

        def answers() -> bool:
            assert self.qemu is not None
            if not self.qemu.alive():
                raise TryError(f"QEMU exited:\n{self._log_tails()}")
            try:  # no socket yet, or no agent behind it yet: OSError
                return self.exec(["systemctl", "is-system-running"], check=False, timeout=10).stdout.strip() not in ("", "offline")
            except (OSError, ValueError):
                return False

        if not wait_until(answers, timeout, 1):
            raise TryError(f"the VM's guest agent did not answer in {timeout:.0f}s:\n{self._log_tails()}")
        self.timings["boot"] = time.monotonic() - t0
        return self

    def _log_tails(self, lines: int = 15) -> str:
        out = []
        for name in ("qemu.log", "console.log"):
            try:
                text = (self.work / name).read_text(errors="replace")
            except OSError:
                continue
            out.append(f"--- {name} (last lines)\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(out)

    def _qmp(self, requests: list[dict[str, object]], timeout: float = 10) -> dict[str, object]:
        return jsonl_session(self.qmp_sock, requests, timeout=timeout, greeting=True)[-1]

    def stop(self, timeout: float = 10) -> None:
        """ACPI power-off (QMP) for ``timeout`` seconds, then the process group is killed; images removed."""
        if self.qemu is not None and self.qemu.alive() and timeout > 0:
            try:
                self._qmp(C.qmp_requests("system_powerdown"))
                wait_until(lambda: not (self.qemu and self.qemu.alive()), timeout, 0.25)
            except (OSError, ValueError):
                pass
        for p in reversed(self._procs):
            p.terminate(timeout=5)
            if p in LIVE.processes:
                LIVE.processes.remove(p)
        self._procs.clear()
        self.qemu = None
        for img in self.images:
            img.unlink(missing_ok=True)
        self.images.clear()

    def exec(self, argv: Sequence[str], *, check: bool = True, timeout: float = 120) -> Result:
        if self.qemu is None:
            raise TryError("the machine is not running")
        pid = C.parse_qga_pid(qga_call(self.qga_sock, C.qga_exec(argv), timeout=min(timeout, 10)))
        end = time.monotonic() + timeout
        while True:
            st = C.parse_qga_status(qga_call(self.qga_sock, C.qga_exec_status(pid), timeout=10))
            if st is not None:
                res = Result(tuple(argv), *st)
                break
            if time.monotonic() > end:
                res = Result(tuple(argv), 124, "", f"timed out after {timeout}s")
                break
            time.sleep(0.1)
        if check and not res.ok:
            raise CommandFailed(res)
        return res

    def outside(self, argv: Sequence[str], *, check: bool = False, timeout: float = 30) -> Result:
        """Clients of the VM are on the host (its ports are published on 127.0.0.1)."""
        return self.runner.run(argv, check=check, timeout=timeout)

    def publish(self, host_port: int, guest_port: int) -> str:
        err = C.qmp_error(self._qmp(C.hostfwd_add(host_port, guest_port)))
        if err:
            raise TryError(f"could not publish guest port {guest_port} on 127.0.0.1:{host_port}: {err}")
        return f"127.0.0.1:{host_port}"

    def read_file(self, path: str) -> str:
        return self.exec(["cat", path]).stdout


# ---------------------------------------------------------------- detached machines (`hostform try --detach` / `--stop`)


def machines_dir() -> Path:
    return cache_root() / "machines"


def _starttime(pid: int) -> int | None:
    """None when the process is gone (or a zombie nobody reaps: a detached process's parent is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if stat.rpartition(")")[2].split()[:1] == ["Z"]:
        return None
    return C.parse_starttime(stat)


def _gone(pid: int) -> bool:
    return _starttime(pid) is None


def detach(machine: Machine, registry: Registry | None, work: Path) -> Path:
    """Leave the machine running after this process exits: record what to stop in work/machine.json."""
    procs = [*((registry.proc,) if registry and registry.proc else ()), *machine._procs]
    netns = machine.netns()
    record = {
        "name": machine.names.machine,
        "work": str(work),
        "nspawn": machine.nspawn.pid if machine.nspawn else 0,
        "leader": machine.leader,
        "processes": [[p.pid, _starttime(p.pid)] for p in procs],
        "netns": netns,
    }
    path = work / "machine.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    # nothing of it is ours to clean up at exit any more
    for p in procs:
        if p in LIVE.processes:
            LIVE.processes.remove(p)
    if machine.leader in LIVE.leaders:
        LIVE.leaders.remove(machine.leader)
    for ns in netns:
        if ns in LIVE.netns:
            LIVE.netns.remove(ns)
    return path


def detached_names() -> list[str]:
    d = machines_dir()
    return sorted(p.parent.name for p in d.glob("*/machine.json")) if d.is_dir() else []


def stop_detached(name: str, runner: Runner, timeout: float = 30) -> None:
    """Stop a machine left by ``detach``: orderly poweroff, then kill; namespaces and files removed."""
    if not re.fullmatch(r"hf-[0-9a-f]{6}", name):
        raise TryError(f"{name!r} is not a machine name (hf-xxxxxx); running: {', '.join(detached_names()) or 'none'}")
    work = machines_dir() / name
    try:
        record = json.loads((work / "machine.json").read_text())
    except (OSError, ValueError) as e:
        raise TryError(f"no detached machine {name} ({e}); running: {', '.join(detached_names()) or 'none'}") from e
    procs = {int(pid): st for pid, st in record.get("processes", [])}

    def ours(pid: int) -> bool:  # the same process we started, not a reused pid
        return pid > 0 and pid in procs and procs[pid] is not None and _starttime(pid) == procs[pid]

    nspawn = int(record.get("nspawn", 0))
    if ours(nspawn):
        os.killpg(nspawn, signal.SIGTERM)  # nspawn powers the machine off
        wait_until(lambda: _starttime(nspawn) is None, timeout, 0.2)
    leader = int(record.get("leader", 0))
    if leader > 0 and _starttime(leader) is not None and C.is_namespace_init(Path(f"/proc/{leader}/status").read_text()):
        try:
            os.kill(leader, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in reversed(list(procs)):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if ours(pid):
                try:
                    os.killpg(pid, sig)
                except ProcessLookupError:
                    pass
                wait_until(partial(_gone, pid), 5, 0.1)
    for ns in record.get("netns", []):
        if str(ns).startswith("hf-"):
            runner.run(["ip", "netns", "del", str(ns)], check=False)
    resolved = work.resolve()
    if resolved.parent == machines_dir().resolve() and resolved.name == name:
        shutil.rmtree(resolved, ignore_errors=True)


# ---------------------------------------------------------------- a visitor of a booted host's sites (e2e tests, bench_update)


def https_get(port: int, host: str, cafile: Path, path: str = "/", *, timeout: float = 10) -> tuple[bytes, str]:
    """GET over TLS to 127.0.0.1:port, verifying the chain against ``cafile`` and the name ``host``;
    returns (the served leaf certificate, DER; the response text)."""
    import ssl

    ctx = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw, ctx.wrap_socket(raw, server_hostname=host) as s:
        der = s.getpeercert(binary_form=True)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    if der is None:
        raise OSError(f"127.0.0.1:{port} showed no certificate")
    return der, b"".join(chunks).decode(errors="replace")


def status_and_body(text: str) -> tuple[int, str]:
    """(status, body) of an HTTP/1.x response read to its end (``Connection: close``); (0, text) if it is none."""
    head, sep, body = text.partition("\r\n\r\n")
    words = head.split("\r\n", 1)[0].split(" ")
    if not sep or len(words) < 2 or not words[0].startswith("HTTP/1.") or not words[1].isdigit():
        return 0, text
    return int(words[1]), body


@dataclass(frozen=True)
class Answer:
    """One request of a :class:`SitePoller`."""

    sent: float  # wall clock (time.time()), comparable with the machine's journal
    took: float  # seconds until the answer, or the error
    status: int  # 0: no HTTP answer (the error is in ``body``)
    body: str


class SitePoller:
    """Visitors in threads: each GETs ``https://host/path`` through ``127.0.0.1:port`` again and again,
    a new TLS connection each time with the chain verified against ``cafile`` for ``host``, and
    records every answer (a refused connection, a bad certificate or a timeout too), until stopped."""

    def __init__(
        self, port: int, host: str, cafile: Path, path: str = "/", *, visitors: int = 1, pause: float = 0.02, timeout: float = 90
    ) -> None:
        import threading

        self.port, self.host, self.cafile, self.path = port, host, cafile, path
        self.pause, self.timeout = pause, timeout
        self._answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"visitor-{i}-{host}", daemon=True) for i in range(visitors)]

    def _run(self) -> None:
        while not self._stop.is_set():
            sent, t0 = time.time(), time.monotonic()
            try:
                status, body = status_and_body(https_get(self.port, self.host, self.cafile, self.path, timeout=self.timeout)[1])
            except OSError as e:  # ssl.SSLError and timeouts are OSErrors
                status, body = 0, f"{type(e).__name__}: {e}"
            self._answers.append(Answer(sent, time.monotonic() - t0, status, body))
            self._stop.wait(self.pause)

    def start(self) -> SitePoller:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        """Stops after the requests in flight (which may wait as long as Caddy holds them)."""
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 10)

    def __enter__(self) -> SitePoller:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answers(self, since: float = 0.0, until: float = float("inf")) -> list[Answer]:
        """The answers to the requests sent in [since, until) (wall clock), in the order they were sent."""
        return sorted((a for a in list(self._answers) if since <= a.sent < until), key=lambda a: a.sent)

    def first(self, body: str, since: float = 0.0) -> Answer | None:
        """The first answer (by the time it came) that is a 200 with ``body``, to a request sent from ``since`` on."""
        hits = [a for a in self.answers(since) if a.status == 200 and a.body == body]
        return min(hits, key=lambda a: a.sent + a.took, default=None)


TYPE_CHECKING = False
if TYPE_CHECKING:
    from hostform import oci


def version_image(busybox: bytes, marker: str, health: str = "200 OK") -> oci.Image:
    """A site's image, one version of it: busybox httpd on 8080 answering ``/`` with "hello from
    MARKER" and ``/cgi-bin/health`` (a CGI script) with the HTTP status ``health`` ("500 Internal
    Server Error": an image that starts and listens but fails its health check). A shell in front
    stops it at once on SIGTERM, as an application does (busybox as pid 1 would ignore it)."""
    from hostform import oci

    cgi = f"#!/bin/sh\necho 'Status: {health}'\necho 'Content-Type: text/plain'\necho\necho '{marker}'\n"
    page = oci.layer_from_entries([
        oci.Entry.file("www/index.html", f"hello from {marker}\n"),
        oci.Entry.file("www/cgi-bin/health", cgi, 0o755),
    ])  # fmt: skip
    base = oci.busybox_image(busybox).layers[0]  # the same layer (digest) for every version
    cmd = ["/bin/sh", "-c", 'httpd -f -p 8080 -h /www & trap "kill $!; exit 0" TERM; wait']
    return oci.Image([base, page], cmd=cmd, labels={"marker": marker})


__all__ = [
    "Cache",
    "CommandFailed",
    "LoopDisk",
    "Machine",
    "QemuMachine",
    "Registry",
    "TryError",
    "cache_root",
    "check_tools",
    "cleanup_all",
    "free_port",
]
