"""What the `try` harness runs, and how it reads what came back: pure functions only.

Every command line the harness executes is built here, so unit tests can check
them without root, network or a machine. Output parsers (``parse_*``) take the
text a command printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SUITE = "trixie"
# What the guest needs beyond debootstrap's minbase: systemd as init, podman and its
# network stack, catatonit for pods, the tools the tests look with; and what Fedora CoreOS
# has that the host's units rely on: sshd (enabled: hostform's masking is what keeps port
# 22 closed) and mkfs.ext4 (the state volume's prepare unit).
ROOTFS_PACKAGES = (
    "systemd-sysv", "udev", "dbus", "podman", "crun", "netavark", "aardvark-dns",
    "iproute2", "iptables", "nftables", "catatonit", "zstd", "openssh-server", "e2fsprogs",
)  # fmt: skip
# The QEMU variant ("vm") adds a kernel, an initramfs (MODULES=most: virtio and ext4 for the
# root disk) and QEMU's guest agent (how the harness runs commands in the VM).
VM_PACKAGES = ("linux-image-amd64", "initramfs-tools", "qemu-guest-agent")
# "podman-sid": podman from Debian sid (5.8, Fedora CoreOS stable's), the rest trixie's. A package
# named "NAME/SUITE" is installed after debootstrap with apt, from that suite (and what it needs
# from there: sid's podman 5.8.6 brings sid's glibc, shadow's passwd and libsubid, gpgme).
ROOTFS_VARIANTS: dict[str, tuple[str, ...]] = {
    "": ROOTFS_PACKAGES,
    "vm": ROOTFS_PACKAGES + VM_PACKAGES,
    "podman-sid": ROOTFS_PACKAGES + ("podman/sid",),
}
IGNITION_BIN = "usr/lib/dracut/modules.d/30ignition/ignition"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

# tool -> the Debian package that installs it
TOOLS: dict[str, str] = {
    "systemd-nspawn": "systemd-container",
    "debootstrap": "debootstrap",
    "socat": "socat",
    "ip": "iproute2",
    "nsenter": "util-linux",
    "apt-get": "apt",
    "dpkg": "dpkg",
}
QEMU_TOOLS: dict[str, str] = {"qemu-system-x86_64": "qemu-system-x86", "mke2fs": "e2fsprogs", "socat": "socat", "du": "coreutils"}
REGISTRY_TOOLS: dict[str, str] = {"docker-registry": "docker-registry"}
# What Fedora CoreOS has that the root filesystem lacks and the status endpoints run (jq, skopeo,
# openssl: hostform.status.vm): Debian's packages, unpacked into a machine whose host has `status:`
STATUS_DEBS = ("jq", "libjq1", "libonig5", "skopeo", "openssl")
DISK_TOOLS: dict[str, str] = {"losetup": "mount", "blkid": "util-linux"}


def missing_tools(tools: dict[str, str], which: Callable[[str], str | None]) -> list[tuple[str, str]]:
    return [(t, pkg) for t, pkg in tools.items() if which(t) is None]


def install_hint(missing: Sequence[tuple[str, str]]) -> str:
    tools = ", ".join(t for t, _ in missing)
    pkgs = " ".join(sorted({p for _, p in missing}))
    return f"missing: {tools}; install with: apt-get install -y --no-install-recommends {pkgs}"


# ---------------------------------------------------------------- names


@dataclass(frozen=True)
class Names:
    """Per-machine names. ``ident`` is short: interface names have 15 characters at most."""

    ident: str

    @property
    def machine(self) -> str:
        return f"hf-{self.ident}"

    @property
    def guest_ns(self) -> str:
        return f"hf-{self.ident}-g"

    @property
    def outer_ns(self) -> str:
        return f"hf-{self.ident}-o"

    @property
    def outer_if(self) -> str:
        return f"hf{self.ident}o"

    @property
    def guest_if(self) -> str:
        return f"hf{self.ident}g"


OUTER_ADDR = "10.77.0.1"
GUEST_ADDR = "10.77.0.2"
REGISTRY_PORT_IN_NS = 5000


def registry_name_in_guest() -> str:
    """How the guest names the registry: the outer namespace's address, forwarded to the host's loopback."""
    return f"{OUTER_ADDR}:{REGISTRY_PORT_IN_NS}"


# ---------------------------------------------------------------- root filesystem and packages


def debootstrap_argv(target: Path, cache_dir: Path, mirror: str, packages: Sequence[str] = ROOTFS_PACKAGES) -> list[str]:
    """debootstrap of the suite's packages (a ``NAME/SUITE`` one comes later: :func:`other_suite_argvs`)."""
    return [
        "debootstrap", "--variant=minbase", f"--cache-dir={cache_dir}",
        f"--include={','.join(p for p in packages if '/' not in p)}", SUITE, str(target), mirror,
    ]  # fmt: skip


OTHER_SUITES_LIST = "etc/apt/sources.list.d/hostform-other-suites.list"


def other_suite_argvs(root: Path, packages: Sequence[str]) -> list[list[str]]:
    """apt in a chroot of ``root``: the ``NAME/SUITE`` packages, from their suite (sources added by
    :func:`other_suite_sources`). A frozen mirror's sid Release may be past its Valid-Until date."""
    wanted = [p for p in packages if "/" in p]
    if not wanted:
        return []
    apt = ["chroot", str(root), "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q", "-y", "-o", "Acquire::Check-Valid-Until=false"]
    return [[*apt, "update"], [*apt, "install", "--no-install-recommends", *wanted], [*apt, "clean"]]


def other_suite_sources(mirror: str, packages: Sequence[str]) -> str:
    """The sources.list lines for the suites of the ``NAME/SUITE`` packages (apt prefers the base suite)."""
    suites = sorted({p.split("/", 1)[1] for p in packages if "/" in p})
    return "".join(f"deb {mirror} {suite} main\n" for suite in suites)


def enable_networkd_argv(root: Path) -> list[str]:
    return ["systemctl", f"--root={root}", "enable", "systemd-networkd.service"]


# The finishing step's revision: bump it when finish_rootfs changes what it makes, so that
# cached root filesystems made by the previous step are made again (as a package change does).
ROOTFS_REVISION = 2


def rootfs_stamp(packages: Sequence[str]) -> dict[str, object]:
    """What a cached root filesystem was made from (its ``.hostform-rootfs``): reused only when equal."""
    return {"suite": SUITE, "packages": list(packages), "revision": ROOTFS_REVISION}


def stamp_matches(text: str, packages: Sequence[str]) -> bool:
    import json

    try:
        return bool(json.loads(text) == rootfs_stamp(packages))
    except ValueError:
        return False


# Debian calls OpenSSH's units ssh.service (with the alias sshd.service) and ssh.socket; Fedora
# CoreOS calls them sshd.service and sshd.socket, the names hostform masks. Masking an alias
# masks nothing (the enabled ssh.service still starts), so the root filesystem gets Fedora's names.
SSH_UNIT_NAMES = {"ssh.service": "sshd.service", "ssh.socket": "sshd.socket"}
SSH_UNITS_DIR = "usr/lib/systemd/system"


def fcos_ssh_unit(text: str) -> str:
    """A unit text with Debian's OpenSSH unit names replaced by Fedora CoreOS's (no alias line)."""
    lines = [line for line in text.splitlines(keepends=True) if line.strip() != "Alias=sshd.service"]
    return re.sub(r"(?<![\w@.-])ssh\.(service|socket)\b", r"sshd.\1", "".join(lines))


SSH_KEYGEN = "sshd-keygen.service"  # wanted by the ssh units: enabled under their old names by the package


def ssh_disable_argv(root: Path) -> list[str]:
    """Before the rename: drop the enablement symlinks (and the alias) made under Debian's names."""
    return ["systemctl", f"--root={root}", "disable", *SSH_UNIT_NAMES, SSH_KEYGEN]


def ssh_enable_argv(root: Path) -> list[str]:
    """After the rename: sshd.service enabled, sshd.socket not, as on Fedora CoreOS."""
    return ["systemctl", f"--root={root}", "enable", "sshd.service", SSH_KEYGEN]


def copy_tree_argv(src: Path, dst: Path) -> list[str]:
    if str(src) in ("", ".", "/") or Path(src).resolve() == Path("/"):
        raise ValueError(f"refusing to copy {str(src)!r}: not a root filesystem of ours")
    return ["cp", "-a", "--reflink=auto", str(src), str(dst)]


def apt_private_opts(work: Path) -> list[str]:
    return [
        "-o", f"Dir::Etc::SourceList={work / 'sources.list'}",
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={work / 'lists'}",
        "-o", f"Dir::State::status={work / 'status'}",
        "-o", f"Dir::Cache={work / 'cache'}",
        "-o", "APT::Sandbox::User=root",
        "-o", "Debug::NoLocking=1",
        "-q",
    ]  # fmt: skip


def apt_sources_line(mirror: str, suite: str = SUITE, keyring_exists: bool = True) -> str:
    signed = f"[signed-by={KEYRING}] " if keyring_exists else ""
    return f"deb {signed}{mirror} {suite} main\n"


def debian_mirror(texts: Sequence[str]) -> str | None:
    """The first ``.../debian`` URI (not debian-security) in apt source texts."""
    for text in texts:
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("#"):
                continue
            urls: list[str] = re.findall(r"(https?://\S+)", line)
            for url in urls:
                url = url.rstrip("/")
                if url.endswith("/debian"):
                    return url
    return None


# ---------------------------------------------------------------- Ignition


def ignition_argvs(ignition: Path, config: Path, root: Path, run: Path) -> list[tuple[list[str], dict[str, str]]]:
    """Debian's Ignition on a directory: platform ``file``, stages fetch-offline then files."""
    common = [
        "-platform", "file", "-root", str(root), "-config-cache", str(run / "ignition.json"),
        "-state-file", str(run / "state"), "-log-to-stdout",
    ]  # fmt: skip
    env = {"IGNITION_CONFIG_FILE": str(config)}
    files_env = dict(env, PATH=f"{run / 'shim'}:/usr/sbin:/usr/bin:/sbin:/bin")
    return [
        ([str(ignition), *common, "-stage", "fetch-offline", "-neednet", str(run / "neednet")], env),
        ([str(ignition), *common, "-stage", "files"], files_env),
    ]


def bound_root_argv(root: Path, at: Path, argv: Sequence[str]) -> list[str]:
    """``argv`` in a private mount namespace where ``root`` is also bound on ``at`` (gone with it)."""
    script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(root), str(at), *argv]


SETFILES_SHIM = "#!/bin/sh\n# Ignition relabels at the end of its files stage; this root has no SELinux policy.\ncat >/dev/null\nexit 0\n"
SELINUX_CONFIG = "SELINUX=disabled\nSELINUXTYPE=targeted\n"

MAX_IGNITION_SPEC = (3, 3, 0)
# Ignition writes these on Fedora CoreOS without `overwrite: true` (it has none at first boot)
NOT_ON_FCOS = ("etc/hostname",)


def ignition_version(config: dict[str, object]) -> tuple[int, int, int] | None:
    ign = config.get("ignition")
    v = ign.get("version") if isinstance(ign, dict) else None
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(-experimental)?", v) if isinstance(v, str) else None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


# ---------------------------------------------------------------- guest adaptations (the test bench, not the host)


def guest_adaptations(
    names: Names, registry: str, remaps: dict[str, str] | None = None, state_mounts: dict[str, str] | None = None
) -> dict[str, str]:
    """Files written into the guest after Ignition: what nspawn on this machine needs.

    ``remaps``: image reference prefix -> where to pull it from instead (the local registry),
    so a host's images can be stand-ins without touching its Ignition.
    ``state_mounts``: mount point of a state filesystem -> the bound directory standing for
    its disk (the mount unit Ignition wrote for the disk is replaced by a bind mount).
    """
    files = {
        f"etc/systemd/network/10-{names.guest_if}.network": f"[Match]\nName={names.guest_if}\n[Network]\nAddress={GUEST_ADDR}/24\n",
        "etc/containers/containers.conf.d/99-hostform-try.conf": "[containers]\npids_limit = 0\n",
        "etc/containers/registries.conf.d/99-hostform-try.conf": registries_conf(registry, remaps or {}),
    }
    for where, what in (state_mounts or {}).items():
        files[f"etc/systemd/system/{mount_unit_name(where)}"] = state_mount_unit(where, what)
    return files


def registries_conf(registry: str, remaps: dict[str, str]) -> str:
    """The local registry is insecure (plain HTTP, test bench only); remapped prefixes pull from it."""
    out = [f'[[registry]]\nlocation = "{registry}"\ninsecure = true\n']
    for prefix, location in sorted(remaps.items()):
        out.append(f'\n[[registry]]\nprefix = "{prefix}"\nlocation = "{location}"\ninsecure = true\n')
    return "".join(out)


def mount_unit_name(path: str) -> str:
    """``systemd-escape --path --suffix=mount PATH``; ValueError where systemd refuses the path (``..``)."""
    from hostform.escape import systemd_path

    return systemd_path(path) + ".mount"


def state_mount_unit(where: str, what: str) -> str:
    return (
        "# hostform try: the state disk is a directory of the host, bound into the machine\n"
        "[Unit]\nDescription=state filesystem (hostform try: bind mount)\n\n"
        f"[Mount]\nWhat={what}\nWhere={where}\nType=none\nOptions=bind\n\n"
        "[Install]\nRequiredBy=local-fs.target\n"
    )


def state_paths(config: dict[str, object]) -> list[str]:
    """Mount points of the disks an Ignition config mounts (see :func:`state_disks`)."""
    return list(state_disks(config))


def state_disks(config: dict[str, object]) -> dict[str, str]:
    """Mount point -> device of the disks an Ignition config mounts: ``storage.filesystems[]``
    (``path``, ``device``), and the ``Where=``/``What=`` of its ``.mount`` units whose ``What=``
    is a device (the machine has no such disk)."""
    out: dict[str, str] = {}

    def add(path: str, device: str) -> None:
        path = path.rstrip("/") or "/"
        if path.startswith("/") and path != "/" and path not in out:
            out[path] = device

    storage = config.get("storage")
    fss = storage.get("filesystems") if isinstance(storage, dict) else None
    for fs in fss if isinstance(fss, list) else []:
        if isinstance(fs, dict) and isinstance(fs.get("path"), str):
            device = fs.get("device")
            add(fs["path"], device if isinstance(device, str) else "")
    systemd = config.get("systemd")
    units = systemd.get("units") if isinstance(systemd, dict) else None
    for unit in units if isinstance(units, list) else []:
        if not (isinstance(unit, dict) and str(unit.get("name", "")).endswith(".mount")):
            continue
        keys = dict(line.strip().split("=", 1) for line in str(unit.get("contents") or "").splitlines() if "=" in line)
        if keys.get("What", "").startswith("/dev/") and keys.get("Where"):
            add(keys["Where"], keys["What"])
    return out


# systemd dependency keys that name other units (a unit's [Unit] section)
_DEPENDENCY_KEYS = frozenset({"Requires", "Requisite", "BindsTo", "Wants", "Upholds", "PartOf", "After", "Before"})


def without_device_deps(text: str, device: str) -> str:
    """A unit's text without its dependencies on ``device``'s device unit, everything else as written.

    An nspawn machine has no udev: systemd does not support device units there, so a job on one
    fails at once and a unit that requires it fails with it (on a VM, udev starts the device unit
    when the disk appears)."""
    from hostform.escape import systemd_path

    unit = systemd_path(device) + ".device"
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        key, eq, value = line.partition("=")
        names = value.split()
        if eq and key.strip() in _DEPENDENCY_KEYS and unit in names:
            rest = [n for n in names if n != unit]
            if not rest:
                continue
            line = f"{key.strip()}={' '.join(rest)}\n"
        out.append(line)
    return "".join(out)


def state_disk_adaptations(config: dict[str, object], device: str) -> dict[str, str]:
    """For a machine whose state disk is a block device: the config's units that depend on the
    device's unit, without that dependency (:func:`without_device_deps`), at the path Ignition
    wrote them to. What they run (blkid, mkfs, the mount) is the host's, unchanged."""
    files: dict[str, str] = {}
    systemd = config.get("systemd")
    units = systemd.get("units") if isinstance(systemd, dict) else None
    for unit in units if isinstance(units, list) else []:
        if not isinstance(unit, dict) or not isinstance(unit.get("contents"), str):
            continue
        text = unit["contents"]
        new = without_device_deps(text, device)
        if new != text:
            note = f"# hostform try: without the dependency on {device}'s device unit (no udev in an nspawn machine)\n"
            files[f"etc/systemd/system/{unit['name']}"] = note + new
    return files


STATE_BIND_BASE = "/var/lib/hostform-try/disk"
CADDY_ROOT_CA = "pki/authorities/local/root.crt"  # Caddy's internal CA, under its data directory


# ---------------------------------------------------------------- block devices (a state disk for a machine)


def losetup_attach_argv(image: Path) -> list[str]:
    """Attach a file to the first free loop device; prints the device's path."""
    return ["losetup", "--find", "--show", str(image)]


def losetup_detach_argv(device: str) -> list[str]:
    """Detach a loop device (deferred by the kernel until its last user closes it)."""
    if not re.fullmatch(r"/dev/loop\d+", device):
        raise ValueError(f"refusing to detach {device!r}: not a loop device")
    return ["losetup", "--detach", device]


def losetup_list_argv(image: Path) -> list[str]:
    """The loop devices attached to ``image``, one path a line."""
    return ["losetup", "--list", "--noheadings", "--output", "NAME", "--associated", str(image)]


def blkid_argv(device: str) -> list[str]:
    """What is on a device, read from the device itself (no cache): exit 2 when nothing is."""
    return ["blkid", "-p", "-o", "export", device]


def parse_blkid(out: str) -> dict[str, str]:
    """``blkid -o export`` lines (``TYPE=swap``) -> {key: value}; empty for a blank device."""
    found: dict[str, str] = {}
    for line in out.splitlines():
        key, eq, value = line.partition("=")
        if eq and key.strip():
            found[key.strip()] = value.strip()
    return found


# ---------------------------------------------------------------- network namespaces


def netns_setup_argvs(n: Names) -> list[list[str]]:
    """Two namespaces joined by a veth: the guest's, and an outer one standing for the world."""
    return [
        ["ip", "netns", "add", n.guest_ns],
        ["ip", "netns", "add", n.outer_ns],
        ["ip", "-n", n.outer_ns, "link", "add", n.outer_if, "type", "veth", "peer", "name", n.guest_if, "netns", n.guest_ns],
        ["ip", "-n", n.outer_ns, "addr", "add", f"{OUTER_ADDR}/24", "dev", n.outer_if],
        ["ip", "-n", n.outer_ns, "link", "set", n.outer_if, "up"],
        ["ip", "-n", n.outer_ns, "link", "set", "lo", "up"],
        ["ip", "-n", n.guest_ns, "link", "set", "lo", "up"],
    ]


def netns_teardown_argvs(n: Names) -> list[list[str]]:
    return [["ip", "netns", "del", n.guest_ns], ["ip", "netns", "del", n.outer_ns]]


def in_netns(ns: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv]


def host_bridge_argv(sock: Path, host_port: int) -> list[str]:
    """Host side of the registry's path (or another forwarded one): a UNIX socket forwarded to 127.0.0.1:port."""
    return ["socat", f"UNIX-LISTEN:{sock},fork,unlink-early,mode=600", f"TCP:127.0.0.1:{host_port}"]


def outer_bridge_argv(n: Names, sock: Path, port: int = REGISTRY_PORT_IN_NS) -> list[str]:
    """Outer-namespace side: the registry's address the guest uses (or another port there), forwarded to the UNIX socket."""
    return in_netns(n.outer_ns, ["socat", f"TCP-LISTEN:{port},bind={OUTER_ADDR},fork,reuseaddr", f"UNIX-CONNECT:{sock}"])


def publish_argvs(n: Names, host_port: int, guest_port: int, sock: Path) -> list[list[str]]:
    """Make a guest port answer on the host's loopback (for `hostform try`): the outer namespace
    forwards a UNIX socket to the guest's port; the host forwards 127.0.0.1:host_port to the socket."""
    return [
        in_netns(n.outer_ns, ["socat", f"UNIX-LISTEN:{sock},fork,unlink-early,mode=600", f"TCP:{GUEST_ADDR}:{guest_port}"]),
        ["socat", f"TCP-LISTEN:{host_port},bind=127.0.0.1,fork,reuseaddr", f"UNIX-CONNECT:{sock}"],
    ]


# ---------------------------------------------------------------- the machine

NSPAWN_ENV = {
    # netavark writes sysctls; crun wants a pure cgroup2 tree (this host may be hybrid)
    "SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network",
    "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1",
}


def nspawn_argv(n: Names, root: Path, binds: Sequence[tuple[Path, str]] = ()) -> list[str]:
    argv = [
        "systemd-nspawn", "--keep-unit", "--register=no", "--console=passive", "--capability=all",
        "--system-call-filter=@keyring bpf", f"--network-namespace-path=/run/netns/{n.guest_ns}",
        f"--machine={n.machine}", "-D", str(root),
    ]  # fmt: skip
    argv += [f"--bind={src}:{dst}" for src, dst in binds]
    argv.append("-b")
    return argv


def children_argv(pid: int) -> list[str]:
    return ["ps", "--ppid", str(pid), "-o", "pid="]


def status_argv(pid: int) -> list[str]:
    return ["cat", f"/proc/{pid}/status"]


def is_namespace_init(status: str) -> bool:
    """``/proc/PID/status`` of a process that is pid 1 of a nested pid namespace (``NSpid: 4242 1``)."""
    for line in status.splitlines():
        if line.startswith("NSpid:"):
            ids = line.split()[1:]
            return len(ids) >= 2 and ids[-1] == "1"
    return False


def parse_starttime(stat: str) -> int | None:
    """Field 22 of ``/proc/PID/stat`` (start time in clock ticks): with the pid, names one process."""
    fields = stat.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def parse_pids(out: str) -> list[int]:
    return [int(x) for x in out.split() if x.isdigit()]


def nsenter_argv(leader: int, argv: Sequence[str]) -> list[str]:
    return ["nsenter", "-t", str(leader), "-a", *argv]


def is_active_argv(unit: str) -> list[str]:
    return ["systemctl", "is-active", unit]


def listening_argv() -> list[str]:
    return ["ss", "-H", "-l", "-n", "-t", "-u"]


@dataclass(frozen=True)
class Listener:
    proto: str
    addr: str
    port: int


def parse_ss(out: str) -> list[Listener]:
    """``ss -Hlntu`` lines: ``tcp LISTEN 0 4096 0.0.0.0:443 0.0.0.0:*``."""
    found: list[Listener] = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        local = f[4]
        addr, _, port = local.rpartition(":")
        if not port.isdigit():
            continue
        found.append(Listener(f[0], addr.strip("[]"), int(port)))
    return found


def auto_update_argv() -> list[str]:
    return ["podman", "auto-update", "--format", "{{.Unit}} {{.Updated}}"]


def parse_auto_update(out: str) -> dict[str, str]:
    """``hello.service true`` / ``rolled back`` / ``false`` / ``pending`` lines -> {unit: verdict}."""
    res: dict[str, str] = {}
    for line in out.splitlines():
        unit, _, verdict = line.strip().partition(" ")
        if unit:
            res[unit] = verdict.strip()
    return res


def curl_argv(url: str, *, resolve: str | None = None, insecure: bool = False, timeout: float = 5, cacert: Path | None = None) -> list[str]:
    argv = ["curl", "-sS", "--max-time", str(timeout), "-o", "-", "-w", "\n%{http_code}"]
    if insecure:
        argv.append("-k")
    if cacert is not None:
        argv += ["--cacert", str(cacert)]
    if resolve:
        argv += ["--resolve", resolve]
    argv.append(url)
    return argv


def parse_curl(out: str) -> tuple[int, str]:
    body, _, code = out.rpartition("\n")
    return (int(code) if code.isdigit() else 0), body


REGISTRY_CONFIG = """version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


# docker-registry's basic authentication: bcrypt entries (USER:$2y$...), one per line, as `htpasswd -B` writes
REGISTRY_HTPASSWD = """auth:
  htpasswd:
    realm: hostform-test
    path: {path}
"""


def registry_config(root: Path, port: int, htpasswd: Path | None = None) -> str:
    """The registry's configuration; with ``htpasswd`` every request needs one of its users (HTTP 401 without)."""
    text = REGISTRY_CONFIG.format(root=root, port=port)
    return text + (REGISTRY_HTPASSWD.format(path=htpasswd) if htpasswd is not None else "")


def registry_argv(config: Path) -> list[str]:
    return ["docker-registry", "serve", str(config)]


# ---------------------------------------------------------------- QEMU (`hostform try --qemu`): software emulation
#
# /dev/kvm may exist and still be unusable (a kvm_pvm host only runs PVM guests), so the VM
# always runs under TCG. User-mode networking: the guest is 10.0.2.15 and reaches nothing
# (restrict=on) but the registry, forwarded from 10.0.2.100:5000 to the host's 127.0.0.1;
# guest ports are published on the host's loopback with hostfwd (added at run time by QMP).

QEMU_GUEST_ADDR = "10.0.2.15"
QEMU_REGISTRY_ADDR = "10.0.2.100"
QEMU_NETDEV = "n0"
ROOT_LABEL = "hf-root"  # not /dev/vda: with a state disk the order of the virtio disks is not fixed
QGA_PORT = "org.qemu.guest_agent.0"
KERNEL_CMDLINE = f"root=LABEL={ROOT_LABEL} rw console=ttyS0,115200 net.ifnames=0 panic=-1"


def qemu_registry_name_in_guest() -> str:
    return f"{QEMU_REGISTRY_ADDR}:{REGISTRY_PORT_IN_NS}"


def boot_files(names: Sequence[str]) -> tuple[str, str] | None:
    """The newest ``vmlinuz-V`` with an ``initrd.img-V`` beside it, from a ``/boot`` listing."""

    def key(v: str) -> list[tuple[int, str]]:
        return [(int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.+~-]", v)]

    versions = [n[len("vmlinuz-") :] for n in names if n.startswith("vmlinuz-")]
    with_initrd = [v for v in versions if f"initrd.img-{v}" in names]
    if not with_initrd:
        return None
    v = max(with_initrd, key=key)
    return f"vmlinuz-{v}", f"initrd.img-{v}"


def disk_size_mib(used_bytes: int, headroom_mib: int = 2048) -> int:
    """An ext4 image for a tree of ``used_bytes``: the tree, ext4's overhead, room for images to pull."""
    return (used_bytes * 5 // 4) // (1 << 20) + headroom_mib


def mke2fs_argv(tree: Path, image: Path, size_mib: int, label: str) -> list[str]:
    """An ext4 file system image filled from a directory: no loop mount, no root needed for the copy."""
    if str(tree) in ("", ".", "/") or Path(tree).resolve() == Path("/"):
        raise ValueError(f"refusing to image {str(tree)!r}: not a tree of ours")
    return ["mke2fs", "-q", "-F", "-t", "ext4", "-L", label, "-E", "root_owner=0:0", "-d", str(tree), str(image), f"{size_mib}M"]


def state_disk_serial(i: int) -> str:
    return f"hfstate{i}"


def qemu_argv(
    *,
    name: str,
    kernel: Path,
    initrd: Path,
    root_image: Path,
    state_images: Sequence[Path] = (),
    serial_log: Path,
    qmp: Path,
    qga: Path,
    registry_port: int | None = None,
    cpus: int = 2,
    memory_mib: int = 2048,
) -> list[str]:
    netdev = f"user,id={QEMU_NETDEV},restrict=on"
    if registry_port:
        # a fresh socat per guest connection; QEMU's process group, so it goes with the VM
        netdev += f",guestfwd=tcp:{QEMU_REGISTRY_ADDR}:{REGISTRY_PORT_IN_NS}-cmd:socat STDIO TCP:127.0.0.1:{registry_port}"
    argv = [
        "qemu-system-x86_64", "-name", name, "-accel", "tcg,thread=multi", "-cpu", "max", "-M", "q35",
        "-smp", str(cpus), "-m", str(memory_mib),
        "-kernel", str(kernel), "-initrd", str(initrd), "-append", KERNEL_CMDLINE,
        "-drive", f"file={root_image},format=raw,if=virtio,cache=unsafe",
    ]  # fmt: skip
    for i, img in enumerate(state_images):
        argv += [
            "-drive", f"file={img},format=raw,if=none,id=state{i},cache=writeback",
            "-device", f"virtio-blk-pci,drive=state{i},serial={state_disk_serial(i)}",
        ]  # fmt: skip
    argv += [
        "-netdev", netdev, "-device", f"virtio-net-pci,netdev={QEMU_NETDEV}",
        "-chardev", f"socket,id=qga0,path={qga},server=on,wait=off",
        "-device", "virtio-serial-pci", "-device", f"virtserialport,chardev=qga0,name={QGA_PORT}",
        "-qmp", f"unix:{qmp},server=on,wait=off",
        "-display", "none", "-monitor", "none", "-serial", f"file:{serial_log}", "-no-reboot",
    ]  # fmt: skip
    return argv


def vm_guest_adaptations(registry: str, remaps: dict[str, str] | None = None, state_mounts: Sequence[str] = ()) -> dict[str, str]:
    """Files written into the VM's root after Ignition: its root disk, DHCP on the user-mode
    network, the local registry; each state file system is a second virtio disk."""
    files = {
        "etc/fstab": f"LABEL={ROOT_LABEL} / ext4 rw,errors=remount-ro 0 1\n",
        "etc/systemd/network/10-hostform-try.network": "[Match]\nName=eth0\n[Network]\nDHCP=ipv4\n",
        "etc/containers/registries.conf.d/99-hostform-try.conf": registries_conf(registry, remaps or {}),
    }
    for i, where in enumerate(state_mounts):
        files[f"etc/systemd/system/{mount_unit_name(where)}"] = (
            "# hostform try --qemu: the state disk is a second virtio disk\n"
            "[Unit]\nDescription=state filesystem (hostform try: virtio disk)\n\n"
            f"[Mount]\nWhat=/dev/disk/by-id/virtio-{state_disk_serial(i)}\nWhere={where}\nType=ext4\n\n"
            "[Install]\nRequiredBy=local-fs.target\n"
        )
    return files


# QMP (the VM's control socket) and QEMU's guest agent speak one JSON object per line.


def qmp_requests(command: str, arguments: dict[str, object] | None = None) -> list[dict[str, object]]:
    """QMP wants ``qmp_capabilities`` first on every connection."""
    req: dict[str, object] = {"execute": command}
    if arguments:
        req["arguments"] = arguments
    return [{"execute": "qmp_capabilities"}, req]


def hostfwd_add(host_port: int, guest_port: int) -> list[dict[str, object]]:
    """Publish a guest port on 127.0.0.1 only (user-mode networking's hostfwd, at run time)."""
    line = f"hostfwd_add {QEMU_NETDEV} tcp:127.0.0.1:{host_port}-:{guest_port}"
    return qmp_requests("human-monitor-command", {"command-line": line})


def qga_sync(ident: int) -> dict[str, object]:
    return {"execute": "guest-sync", "arguments": {"id": ident}}


def qga_exec(argv: Sequence[str]) -> dict[str, object]:
    """``guest-exec`` through env: PATH lookup in the guest, output captured."""
    return {"execute": "guest-exec", "arguments": {"path": "/usr/bin/env", "arg": list(argv), "capture-output": True}}


def qga_exec_status(pid: int) -> dict[str, object]:
    return {"execute": "guest-exec-status", "arguments": {"pid": pid}}


def parse_qga_pid(reply: dict[str, object]) -> int:
    ret = reply.get("return")
    if not (isinstance(ret, dict) and isinstance(ret.get("pid"), int)):
        raise ValueError(f"guest-exec: {reply.get('error', reply)}")
    return int(ret["pid"])


def parse_qga_status(reply: dict[str, object]) -> tuple[int, str, str] | None:
    """``guest-exec-status`` -> (exit code, stdout, stderr), or None while the command runs."""
    import base64

    ret = reply.get("return")
    if not isinstance(ret, dict):
        raise ValueError(f"guest-exec-status: {reply.get('error', reply)}")
    if not ret.get("exited"):
        return None

    def text(key: str) -> str:
        data = ret.get(key)
        return base64.b64decode(data).decode(errors="replace") if isinstance(data, str) else ""

    code = ret.get("exitcode")
    if not isinstance(code, int):
        code = 128 + int(ret.get("signal", 0) or 0)
    return code, text("out-data"), text("err-data")


def qmp_error(reply: dict[str, object]) -> str | None:
    """The error of a QMP reply: ``{"error": {...}}``, or human-monitor-command's text output."""
    err = reply.get("error")
    if isinstance(err, dict):
        return str(err.get("desc", err))
    ret = reply.get("return")
    if isinstance(ret, str) and ret.strip():
        return ret.strip()
    return None


def du_argv(tree: Path) -> list[str]:
    return ["du", "-s", "-x", "--block-size=1", str(tree)]


def parse_du(out: str) -> int:
    """``du -s --block-size=1``: ``123456\t/path``."""
    first = out.split()[:1]
    if not first or not first[0].isdigit():
        raise ValueError(f"du printed {out!r}")
    return int(first[0])
