"""`hostform try --qemu`: the QEMU command line, QMP and guest-agent messages (pure), and the
QemuMachine's sequence against a FakeRunner and a fake agent (no QEMU, no root)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from hostform._runner import CommandFailed, FakeRunner, Result
from hostform.tryout import commands as C
from hostform.tryout import harness as H


def test_boot_files_pick_the_newest_kernel_with_an_initrd() -> None:
    names = ["config-6.1.0-9-amd64", "vmlinuz-6.1.0-9-amd64", "initrd.img-6.1.0-9-amd64",
             "vmlinuz-6.12.117+deb13-amd64", "initrd.img-6.12.117+deb13-amd64", "vmlinuz-6.13.0-1-amd64"]  # fmt: skip
    assert C.boot_files(names) == ("vmlinuz-6.12.117+deb13-amd64", "initrd.img-6.12.117+deb13-amd64")
    assert C.boot_files(["vmlinuz-6.1.0-9-amd64"]) is None


def test_mke2fs_images_a_tree_and_refuses_the_host_root() -> None:
    argv = C.mke2fs_argv(Path("/c/root"), Path("/w/root.img"), 3000, "hf-root")
    assert argv[0] == "mke2fs" and argv[-2:] == ["/w/root.img", "3000M"]
    assert argv[argv.index("-d") + 1] == "/c/root" and argv[argv.index("-L") + 1] == "hf-root"
    with pytest.raises(ValueError):
        C.mke2fs_argv(Path("/"), Path("/w/x.img"), 10, "x")
    assert C.disk_size_mib(800 << 20) == 1000 + 2048
    assert C.parse_du("838860800\t/c/root\n") == 800 << 20


def test_qemu_argv_tcg_loopback_only_and_the_registry_forwarded() -> None:
    argv = C.qemu_argv(
        name="hf-abc123", kernel=Path("/w/vmlinuz"), initrd=Path("/w/initrd.img"), root_image=Path("/w/root.img"),
        state_images=[Path("/w/state0.img")], serial_log=Path("/w/console.log"), qmp=Path("/w/qmp.sock"),
        qga=Path("/w/qga.sock"), registry_port=5555,
    )  # fmt: skip
    opt = {argv[i]: argv[i + 1] for i in range(1, len(argv) - 1) if argv[i].startswith("-")}
    assert argv[0] == "qemu-system-x86_64" and opt["-accel"].startswith("tcg")  # /dev/kvm may be kvm_pvm
    assert "root=LABEL=hf-root" in opt["-append"] and "console=ttyS0" in opt["-append"]
    netdev = opt["-netdev"]
    assert "restrict=on" in netdev  # the guest reaches nothing but the registry
    assert "guestfwd=tcp:10.0.2.100:5000-cmd:socat STDIO TCP:127.0.0.1:5555" in netdev
    assert "hostfwd" not in netdev  # ports are published later, on 127.0.0.1 (hostfwd_add)
    assert "virtio-blk-pci,drive=state0,serial=hfstate0" in argv
    assert "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0" in argv
    assert opt["-qmp"] == "unix:/w/qmp.sock,server=on,wait=off" and opt["-serial"] == "file:/w/console.log"
    assert "-no-reboot" in argv
    no_reg = C.qemu_argv(name="x", kernel=Path("k"), initrd=Path("i"), root_image=Path("r"), serial_log=Path("s"),
                         qmp=Path("q"), qga=Path("g"))  # fmt: skip
    assert "guestfwd" not in " ".join(no_reg)


def test_hostfwd_binds_loopback() -> None:
    caps, cmd = C.hostfwd_add(40443, 443)
    assert caps == {"execute": "qmp_capabilities"}
    assert cmd == {"execute": "human-monitor-command",
                   "arguments": {"command-line": "hostfwd_add n0 tcp:127.0.0.1:40443-:443"}}  # fmt: skip
    assert C.qmp_error({"return": ""}) is None
    assert C.qmp_error({"return": "Could not set up host forwarding rule 'tcp:...'\r\n"}).startswith("Could not")
    assert C.qmp_error({"error": {"class": "GenericError", "desc": "nope"}}) == "nope"


def test_vm_adaptations() -> None:
    files = C.vm_guest_adaptations("10.0.2.100:5000", {"docker.io/library/caddy": "10.0.2.100:5000/caddy"}, ["/var/srv"])
    assert files["etc/fstab"].startswith("LABEL=hf-root / ext4")
    assert "DHCP=ipv4" in files["etc/systemd/network/10-hostform-try.network"]
    reg = files["etc/containers/registries.conf.d/99-hostform-try.conf"]
    assert 'location = "10.0.2.100:5000"' in reg and 'prefix = "docker.io/library/caddy"' in reg
    unit = files["etc/systemd/system/var-srv.mount"]
    assert "What=/dev/disk/by-id/virtio-hfstate0" in unit and "Where=/var/srv" in unit and "Type=ext4" in unit


def test_guest_agent_messages() -> None:
    assert C.qga_exec(["systemctl", "is-active", "x"]) == {
        "execute": "guest-exec",
        "arguments": {"path": "/usr/bin/env", "arg": ["systemctl", "is-active", "x"], "capture-output": True},
    }
    assert C.parse_qga_pid({"return": {"pid": 42}}) == 42
    with pytest.raises(ValueError, match="no such file"):
        C.parse_qga_pid({"error": {"desc": "no such file"}})
    assert C.parse_qga_status({"return": {"exited": False}}) is None
    out = base64.b64encode(b"active\n").decode()
    assert C.parse_qga_status({"return": {"exited": True, "exitcode": 3, "out-data": out}}) == (3, "active\n", "")
    assert C.parse_qga_status({"return": {"exited": True, "signal": 9}}) == (137, "", "")


# ---------------------------------------------------------------- QemuMachine with fakes


@pytest.fixture
def vm_cache(tmp_path: Path) -> H.Cache:
    c = H.Cache(tmp_path / "cache", FakeRunner())
    vm = c.variant_dir("vm")
    (vm / "boot").mkdir(parents=True)
    (vm / ".hostform-rootfs").write_text(json.dumps(C.rootfs_stamp(C.ROOTFS_VARIANTS["vm"])))
    for f in ("vmlinuz-6.12.1-amd64", "initrd.img-6.12.1-amd64"):
        (vm / "boot" / f).write_text(f)
    ign = c.root / "deb-trixie-ignition"
    (ign / C.IGNITION_BIN).parent.mkdir(parents=True)
    (ign / C.IGNITION_BIN).write_text("")
    (ign / ".done").write_text("")
    return c


class FakeAgent:
    """Stands for QEMU's guest agent and QMP: records requests, runs guest commands from a table."""

    def __init__(self, outputs: dict[str, tuple[int, str]]) -> None:
        self.outputs = outputs
        self.ran: list[list[str]] = []
        self.qmp: list[dict[str, object]] = []

    def qga(self, path: Path, request: dict[str, object], *, timeout: float) -> dict[str, object]:
        args = request.get("arguments", {})
        assert isinstance(args, dict)
        if request["execute"] == "guest-exec":
            self.ran.append(list(args["arg"]))
            return {"return": {"pid": len(self.ran)}}
        code, out = self.outputs.get(" ".join(self.ran[args["pid"] - 1]), (0, ""))
        return {"return": {"exited": True, "exitcode": code, "out-data": base64.b64encode(out.encode()).decode()}}

    def session(self, path: Path, requests: list[dict[str, object]], *, timeout: float, greeting: bool) -> list[dict[str, object]]:
        assert greeting and requests[0] == {"execute": "qmp_capabilities"}
        self.qmp.extend(requests[1:])
        return [{"return": {}} for _ in requests[:-1]] + [{"return": ""}]


def test_qemu_machine_images_boots_execs_publishes_and_stops(tmp_path: Path, vm_cache: H.Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    agent = FakeAgent({"systemctl is-system-running": (0, "running\n"), "false": (1, "")})
    monkeypatch.setattr(H, "qga_call", agent.qga)
    monkeypatch.setattr(H, "jsonl_session", agent.session)
    fake = FakeRunner()

    def copy(argv: tuple[str, ...]) -> Result:
        import shutil

        shutil.copytree(argv[-2], argv[-1])  # what cp -a would make
        return Result(argv, 0)

    fake.responses[("cp", "-a", "--reflink=auto")] = copy
    fake.on("du", stdout="1048576\t/x\n")
    config = tmp_path / "host.ign"
    config.write_text(
        json.dumps({"ignition": {"version": "3.3.0"}, "storage": {"filesystems": [{"path": "/var/srv", "device": "/dev/vdb"}]}})
    )
    m = H.QemuMachine(config, tmp_path / "m", vm_cache, fake, registry_port=5555, ident="abc123")
    m.provision()
    assert m.root is not None and (m.root / "etc/fstab").read_text().startswith("LABEL=hf-root")
    m.boot(timeout=5)
    mke2fs = [c for c in fake.calls if c[0] == "mke2fs"]
    assert [c[c.index("-L") + 1] for c in mke2fs] == ["hf-root", "hfstate0"]
    assert m.root is None and not (m.work / "root").exists()  # imaged, then removed
    assert (m.work / "vmlinuz").read_text() == "vmlinuz-6.12.1-amd64"
    qemu = next(c for c in fake.calls if c[0] == "qemu-system-x86_64")
    assert "guestfwd=tcp:10.0.2.100:5000-cmd:socat STDIO TCP:127.0.0.1:5555" in " ".join(qemu)
    assert m.qemu in H.LIVE.processes and m.netns() == []
    assert m.exec(["systemctl", "is-system-running"]).stdout == "running\n"
    with pytest.raises(CommandFailed):
        m.exec(["false"])
    assert m.publish(40443, 443) == "127.0.0.1:40443"
    assert agent.qmp[-1]["arguments"] == {"command-line": "hostfwd_add n0 tcp:127.0.0.1:40443-:443"}
    images = list(m.images)
    m.stop(timeout=0)
    assert not H.LIVE.processes and all(not p.alive() for p in fake.spawned)
    assert images and not any(p.exists() for p in images)
    with pytest.raises(H.TryError, match="not running"):
        m.exec(["true"])


def test_a_qemu_machine_refuses_forwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forwarded ports are the nspawn machine's (its outer namespace): a QEMU machine says so before it images anything."""
    monkeypatch.setattr(H.shutil, "which", lambda t: "/usr/bin/" + t)
    fake = FakeRunner()
    m = H.QemuMachine(tmp_path / "host.ign", tmp_path / "m", H.Cache(tmp_path / "cache", fake), fake, forwards={8000: 8123})
    with pytest.raises(H.TryError, match="forwards are for nspawn machines"):
        m.boot(timeout=1)
    assert fake.calls == []
