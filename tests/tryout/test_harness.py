"""The harness's sequence of commands, run against a FakeRunner (no root, no machine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform._runner import FakeRunner, Result
from hostform.tryout import commands as C
from hostform.tryout import harness as H


@pytest.fixture
def cache(tmp_path: Path) -> H.Cache:
    c = H.Cache(tmp_path / "cache", FakeRunner())
    (c.rootfs).mkdir(parents=True)
    (c.rootfs / ".hostform-rootfs").write_text(json.dumps(C.rootfs_stamp(C.ROOTFS_PACKAGES)))
    ign = c.root / "deb-trixie-ignition"
    (ign / C.IGNITION_BIN).parent.mkdir(parents=True)
    (ign / C.IGNITION_BIN).write_text("")
    (ign / ".done").write_text("")
    return c


def _config(tmp: Path, version: str = "3.3.0") -> Path:
    p = tmp / "host.ign"
    p.write_text(json.dumps({"ignition": {"version": version}}))
    return p


def test_newer_spec_is_refused_with_advice(tmp_path: Path, cache: H.Cache) -> None:
    m = H.Machine(_config(tmp_path, "3.4.0"), tmp_path / "m", cache, FakeRunner())
    with pytest.raises(H.TryError, match="3.3.0 at most"):
        m.provision()


def test_a_state_disk_path_systemd_refuses_is_refused(tmp_path: Path, cache: H.Cache) -> None:
    """A mount unit of its own for a `..` path: systemd would refuse its name; the try says so, before Ignition runs."""
    config = tmp_path / "host.ign"
    fs = {"device": "/dev/vdb", "path": "/var/../srv", "format": "ext4"}
    config.write_text(json.dumps({"ignition": {"version": "3.3.0"}, "storage": {"filesystems": [fs]}}))
    fake = FakeRunner()
    m = H.Machine(config, tmp_path / "m", cache, fake)
    with pytest.raises(H.TryError, match=r"cannot mount a state disk on /var/\.\./srv: '/var/\.\./srv' is not a normalized file system path"):
        m.provision()
    assert fake.calls == []


def test_missing_tools_name_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: None)
    with pytest.raises(H.TryError, match="apt-get install -y --no-install-recommends .*systemd-container"):
        H.check_tools(C.TOOLS)


def test_provision_boot_stop_sequence(tmp_path: Path, cache: H.Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    fake = FakeRunner()
    fake.responses[("ps", "--ppid")] = Result((), 0, " 4241\n 4242\n")
    fake.responses[("cat", "/proc/4241/status")] = Result((), 0, "Name:\tsystemd-nspawn\nNSpid:\t4241\n")
    fake.responses[("cat", "/proc/4242/status")] = Result((), 0, "Name:\tsystemd\nNSpid:\t4242\t1\n")
    fake.responses[("nsenter",)] = lambda argv: Result(argv, 0, "running\n" if "is-system-running" in argv else "")

    def copy(argv: tuple[str, ...]) -> Result:
        Path(argv[-1]).mkdir(parents=True)  # what cp -a would make
        return Result(argv, 0)

    fake.responses[("cp",)] = copy
    monkeypatch.setattr(H.os, "kill", lambda pid, sig: None)
    m = H.Machine(_config(tmp_path), tmp_path / "m", cache, fake, registry_port=5555, ident="abc123", forwards={8000: 8123})
    m.provision()
    for sock in ("registry.sock", "forward-8000.sock"):  # the socat would create them
        (m.work / sock).write_text("")
    m.boot(timeout=2)
    assert m.leader == 4242
    kinds = [c[0] if c[0] != "ip" else " ".join(c[:3]) for c in fake.calls]
    assert kinds[0] == "cp"
    ign = [c for c in fake.calls if any(a.endswith("/ignition") for a in c)]
    assert [c[c.index("-stage") + 1] for c in ign] == ["fetch-offline", "files"]
    # on the root bound at a directory anyone can enter (Ignition writes SSH keys as their user)
    assert all(c[:2] == ("unshare", "--mount") and c[8] == str(m.root.resolve()) for c in ign)
    at = ign[0][9]
    assert ign[0][ign[0].index("-root") + 1] == at and not Path(at).exists()
    assert C.nspawn_argv(m.names, m.root) in [list(c) for c in fake.calls]
    assert any(c[0] == "socat" and "TCP:127.0.0.1:5555" in c for c in fake.calls)
    # a forwarded port: the outer namespace's address, to the host's loopback, as the registry's
    sock = m.work / "forward-8000.sock"
    assert C.host_bridge_argv(sock, 8123) in [list(c) for c in fake.calls]
    assert C.outer_bridge_argv(m.names, sock, 8000) in [list(c) for c in fake.calls]
    assert f"TCP-LISTEN:8000,bind={C.OUTER_ADDR},fork,reuseaddr" in C.outer_bridge_argv(m.names, sock, 8000)
    # adaptations written, machine-id removed for a first boot
    assert (m.root / "etc/containers/containers.conf.d/99-hostform-try.conf").is_file()
    assert not (m.root / "etc/machine-id").exists()
    assert len(H.LIVE.processes) == 5 and "hf-abc123-g" in H.LIVE.netns
    m.stop()
    assert fake.calls[-2:] == [("ip", "netns", "del", "hf-abc123-g"), ("ip", "netns", "del", "hf-abc123-o")]
    assert not H.LIVE.processes and not H.LIVE.netns and not H.LIVE.leaders
    assert all(not p.alive() for p in fake.spawned)


def test_stop_detached_ends_the_recorded_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process recorded in machine.json (a real one, in its own group) is ended; the work directory goes."""
    from hostform._runner import SubprocessRunner

    monkeypatch.setenv("HOSTFORM_CACHE", str(tmp_path))
    proc = SubprocessRunner().spawn(["sleep", "60"])
    try:
        work = H.machines_dir() / "hf-0a1b2c"
        work.mkdir(parents=True)
        started = H._starttime(proc.pid)
        assert started is not None
        record = {"name": "hf-0a1b2c", "work": str(work), "nspawn": 0, "leader": 0, "processes": [[proc.pid, started]], "netns": []}
        (work / "machine.json").write_text(json.dumps(record))
        H.stop_detached("hf-0a1b2c", FakeRunner(), timeout=1)
        assert not proc.alive()
        assert not work.exists()
    finally:
        proc.terminate(1)


def test_a_state_disk_is_bound_at_the_hosts_device_and_left_to_its_units(
    tmp_path: Path, cache: H.Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """state_disk: the block device goes in at state.device's path (nspawn --bind); no bind-mount unit
    replaces the host's own, and nothing is seeded onto it: the host's units format and mount it."""
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    fake = FakeRunner()
    fake.responses[("ps", "--ppid")] = Result((), 0, " 4242\n")
    fake.responses[("cat", "/proc/4242/status")] = Result((), 0, "NSpid:\t4242\t1\n")
    fake.responses[("nsenter",)] = lambda argv: Result(argv, 0, "running\n")
    fake.responses[("cp",)] = lambda argv: (Path(argv[-1]).mkdir(parents=True), Result(argv, 0))[1]
    monkeypatch.setattr(H.os, "kill", lambda pid, sig: None)
    mount = "[Mount]\nWhat=/dev/vdb\nWhere=/var/mnt/state\nType=ext4\n"
    config = tmp_path / "host.ign"
    config.write_text(json.dumps({"ignition": {"version": "3.3.0"}, "systemd": {"units": [{"name": "var-mnt-state.mount", "contents": mount}]}}))
    m = H.Machine(config, tmp_path / "m", cache, fake, ident="abc123", state_disk="/dev/loop7")
    m.provision()
    assert m.root is not None
    assert not (m.root / "etc/systemd/system/var-mnt-state.mount").exists()  # Ignition (faked here) writes the host's
    assert not any(c[:3] == ("cp", "-a", "-n") for c in fake.calls)
    m.boot(timeout=2)
    assert C.nspawn_argv(m.names, m.root, [(Path("/dev/loop7"), "/dev/vdb")]) in [list(c) for c in fake.calls]
    m.stop()
    with pytest.raises(H.TryError, match="one state disk on a /dev/ device"):
        H.Machine(_config(tmp_path), tmp_path / "m2", cache, fake, state_disk="/dev/loop7").provision()


def test_loop_disk_attach_probe_detach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    fake = FakeRunner()
    fake.on("losetup", "--find", stdout="/dev/loop3\n")
    fake.on("blkid", stdout="UUID=1234\nTYPE=swap\nUSAGE=other\n")
    disk = H.LoopDisk(tmp_path / "disk.img", fake, size_mib=8).attach()
    assert disk.device == "/dev/loop3" and "/dev/loop3" in H.LIVE.loops
    assert (tmp_path / "disk.img").stat().st_size == 8 << 20 and (tmp_path / "disk.img").stat().st_blocks == 0  # sparse
    assert disk.probe() == {"UUID": "1234", "TYPE": "swap", "USAGE": "other"}
    fake.on("blkid", returncode=2)
    assert disk.probe() == {}
    disk.detach()
    assert fake.calls[-1] == ("losetup", "--detach", "/dev/loop3") and not H.LIVE.loops and disk.device == ""


def _fake_debootstrap(with_ssh: bool):
    def run(argv: tuple[str, ...]) -> Result:
        root = Path(argv[-2])
        units = root / C.SSH_UNITS_DIR
        units.mkdir(parents=True)
        if with_ssh:
            (units / "ssh.service").write_text("[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n")
            (units / "ssh.socket").write_text("[Socket]\nListenStream=22\n")
            (units / "sshd-keygen.service").write_text("[Unit]\nBefore=ssh.service sshd.service sshd@.service\n")
        return Result(argv, 0)

    return run


def test_rootfs_is_made_again_only_when_its_packages_or_finishing_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    fake = FakeRunner()
    fake.responses[("debootstrap",)] = _fake_debootstrap(True)
    c = H.Cache(tmp_path / "cache", fake)
    monkeypatch.setattr(H.Cache, "mirror", lambda self: "http://deb.example/debian")
    old = c.rootfs
    old.mkdir(parents=True)
    (old / ".hostform-rootfs").write_text(json.dumps({"suite": "trixie", "packages": ["systemd-sysv"]}))  # an older hostform's
    (old / "old-file").write_text("")
    assert c.ensure_rootfs() == old
    assert [call[0] for call in fake.calls].count("debootstrap") == 1
    debootstrap = next(call for call in fake.calls if call[0] == "debootstrap")
    assert any(a.startswith("--include=") and "openssh-server" in a and "e2fsprogs" in a for a in debootstrap)
    assert not (old / "old-file").exists() and not old.with_name(old.name + ".tmp").exists() and not old.with_name(old.name + ".old").exists()
    assert C.stamp_matches((old / ".hostform-rootfs").read_text(), C.ROOTFS_PACKAGES)
    # sshd under Fedora CoreOS's names: disabled under Debian's first, enabled under Fedora's after
    units = old / C.SSH_UNITS_DIR
    assert sorted(p.name for p in units.iterdir()) == ["sshd-keygen.service", "sshd.service", "sshd.socket"]
    assert "Alias" not in (units / "sshd.service").read_text()
    assert (units / "sshd-keygen.service").read_text() == "[Unit]\nBefore=sshd.service sshd.service sshd@.service\n"
    systemctl = [call[2:] for call in fake.calls if call[0] == "systemctl"]
    assert systemctl == [("enable", "systemd-networkd.service"), ("disable", "ssh.service", "ssh.socket", C.SSH_KEYGEN),
                         ("enable", "sshd.service", C.SSH_KEYGEN)]  # fmt: skip
    # the same stamp: nothing is run again
    fake.calls.clear()
    assert c.ensure_rootfs() == old and fake.calls == []


def test_fcos_ssh_unit_names() -> None:
    text = "[Unit]\nBefore=ssh.service sshd.service sshd@.service\nAfter=openssh.service x-ssh.socket\n[Install]\nWantedBy=ssh.socket\nAlias=sshd.service\n"
    assert C.fcos_ssh_unit(text) == (
        "[Unit]\nBefore=sshd.service sshd.service sshd@.service\nAfter=openssh.service x-ssh.socket\n[Install]\nWantedBy=sshd.socket\n"
    )
    assert not C.stamp_matches("{}", C.ROOTFS_PACKAGES) and not C.stamp_matches("not json", C.ROOTFS_PACKAGES)
    assert C.stamp_matches(json.dumps(C.rootfs_stamp(C.ROOTFS_PACKAGES)), C.ROOTFS_PACKAGES)


def test_a_package_of_another_suite_is_installed_after_debootstrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """podman-sid: debootstrap of trixie without podman/sid, then apt in a chroot from sid; sid's sources and lists go again."""
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    monkeypatch.setattr(H.Cache, "mirror", lambda self: "http://deb.example/debian")
    fake = FakeRunner()
    fake.responses[("debootstrap",)] = _fake_debootstrap(False)
    seen: list[str] = []

    def apt(argv: tuple[str, ...]) -> Result:
        root = Path(argv[1])
        seen.append((root / C.OTHER_SUITES_LIST).read_text())
        (root / "var/lib/apt/lists").mkdir(parents=True, exist_ok=True)
        (root / "var/lib/apt/lists/deb.example_debian_dists_sid_InRelease").write_text("")
        return Result(argv, 0)

    fake.responses[("chroot",)] = apt
    c = H.Cache(tmp_path / "cache", fake)
    final = c.ensure_rootfs(variant="podman-sid")
    assert final.name == "rootfs-trixie-podman-sid"
    debootstrap = next(call for call in fake.calls if call[0] == "debootstrap")
    include = next(a for a in debootstrap if a.startswith("--include="))
    assert "podman," in include and "/" not in include
    chroot = [call[call.index("apt-get") + 1 :] for call in fake.calls if call[0] == "chroot"]
    assert [a[-1] for a in chroot] == ["update", "podman/sid", "clean"]
    assert all("Acquire::Check-Valid-Until=false" in a for a in chroot)
    assert seen[0] == "deb http://deb.example/debian sid main\n"
    assert not (final / C.OTHER_SUITES_LIST).exists() and not list((final / "var/lib/apt/lists").iterdir())
    assert C.stamp_matches((final / ".hostform-rootfs").read_text(), C.ROOTFS_VARIANTS["podman-sid"])
