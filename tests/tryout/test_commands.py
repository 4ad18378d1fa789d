"""The try harness's command lines and parsers (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostform.tryout import commands as C


def test_names_fit_interface_limit() -> None:
    n = C.Names("a1b2c3")
    assert len(n.outer_if) <= 15 and len(n.guest_if) <= 15
    assert n.guest_ns.startswith("hf-") and n.outer_ns.startswith("hf-")


def test_missing_tools_and_install_hint() -> None:
    have = {"ip", "nsenter", "apt-get", "dpkg"}
    missing = C.missing_tools(C.TOOLS, lambda t: t if t in have else None)
    assert [t for t, _ in missing] == ["systemd-nspawn", "debootstrap", "socat"]
    hint = C.install_hint(missing)
    assert "apt-get install -y --no-install-recommends debootstrap socat systemd-container" in hint


def test_debootstrap_argv() -> None:
    argv = C.debootstrap_argv(Path("/c/r"), Path("/c/d"), "http://m/debian")
    assert argv[:2] == ["debootstrap", "--variant=minbase"]
    assert argv[-3:] == ["trixie", "/c/r", "http://m/debian"]
    assert "podman" in argv[3] and "catatonit" in argv[3]


def test_ignition_stages() -> None:
    (a, env_a), (b, env_b) = C.ignition_argvs(Path("/ign"), Path("/x.ign"), Path("/r"), Path("/run"))
    assert a[a.index("-stage") + 1] == "fetch-offline" and b[b.index("-stage") + 1] == "files"
    assert a[a.index("-platform") + 1] == "file" and a[a.index("-root") + 1] == "/r"
    assert env_a["IGNITION_CONFIG_FILE"] == "/x.ign"
    assert env_b["PATH"].startswith("/run/shim:")  # the setfiles shim comes first


def test_ignition_version() -> None:
    assert C.ignition_version({"ignition": {"version": "3.3.0"}}) == (3, 3, 0)
    assert C.ignition_version({"ignition": {"version": "3.4.0-experimental"}}) == (3, 4, 0)
    assert C.ignition_version({}) is None


def test_netns_setup_keeps_everything_in_our_namespaces() -> None:
    n = C.Names("abc123")
    cmds = C.netns_setup_argvs(n)
    assert cmds[0] == ["ip", "netns", "add", n.guest_ns] and cmds[1] == ["ip", "netns", "add", n.outer_ns]
    # every link/address command runs inside one of our namespaces, never on the host
    assert all(c[1] == "-n" for c in cmds[2:])
    assert C.netns_teardown_argvs(n) == [["ip", "netns", "del", n.guest_ns], ["ip", "netns", "del", n.outer_ns]]


def test_bridges_listen_on_loopback_or_in_namespace() -> None:
    n = C.Names("abc123")
    host = C.host_bridge_argv(Path("/w/reg.sock"), 5555)
    assert host[1].startswith("UNIX-LISTEN:/w/reg.sock") and host[2] == "TCP:127.0.0.1:5555"
    outer = C.outer_bridge_argv(n, Path("/w/reg.sock"))
    assert outer[:4] == ["ip", "netns", "exec", n.outer_ns] and f"bind={C.OUTER_ADDR}" in outer[5]
    inner, pub = C.publish_argvs(n, 8443, 443, Path("/w/p.sock"))
    assert inner[:4] == ["ip", "netns", "exec", n.outer_ns] and inner[6] == f"TCP:{C.GUEST_ADDR}:443"
    assert inner[5].startswith("UNIX-LISTEN:/w/p.sock,")
    assert "bind=127.0.0.1" in pub[1] and pub[2] == "UNIX-CONNECT:/w/p.sock"
    # socat splits addresses at ':' and ',': no address may carry another one inside
    assert all(arg.count(":") <= 2 for arg in inner[4:] + pub[1:])


def test_state_mounts_and_remaps() -> None:
    assert C.mount_unit_name("/var/mnt/state") == "var-mnt-state.mount"
    assert C.mount_unit_name("/srv/a-b") == "srv-a\\x2db.mount"
    assert C.mount_unit_name("/var/.hidden") == "var-.hidden.mount"  # systemd-escape --path: the dot is escaped only first
    doc = {"storage": {"filesystems": [{"device": "/dev/vdb", "path": "/var/mnt/state"}, {"device": "/dev/vdc"}]}}
    assert C.state_paths(doc) == ["/var/mnt/state"]
    unit = "[Mount]\nWhat=/dev/vdb\nWhere=/var/mnt/state2\nType=ext4\n"
    doc["systemd"] = {"units": [{"name": "var-mnt-state2.mount", "contents": unit}, {"name": "x.mount", "contents": "[Mount]\nWhat=tmpfs\nWhere=/x\n"}]}
    assert C.state_paths(doc) == ["/var/mnt/state", "/var/mnt/state2"]
    assert C.state_disks(doc) == {"/var/mnt/state": "/dev/vdb", "/var/mnt/state2": "/dev/vdb"}
    files = C.guest_adaptations(C.Names("abc123"), "10.77.0.1:5000", {"docker.io/library/caddy": "10.77.0.1:5000/caddy"},
                                {"/var/mnt/state": "/var/lib/hostform-try/disk0"})
    unit = files["etc/systemd/system/var-mnt-state.mount"]
    assert "What=/var/lib/hostform-try/disk0\n" in unit and "Options=bind" in unit and "Requires" not in unit
    conf = files["etc/containers/registries.conf.d/99-hostform-try.conf"]
    assert 'prefix = "docker.io/library/caddy"\nlocation = "10.77.0.1:5000/caddy"\ninsecure = true' in conf


def test_copy_tree_refuses_the_root() -> None:
    for bad in ("/", "", "/.."):
        with pytest.raises(ValueError):
            C.copy_tree_argv(Path(bad), Path("/tmp/x"))


def test_nspawn_argv() -> None:
    argv = C.nspawn_argv(C.Names("abc123"), Path("/m/root"), [(Path("/s"), "/var/lib/x")])
    for flag in ("--keep-unit", "--register=no", "--capability=all", "--system-call-filter=@keyring bpf",
                 "--network-namespace-path=/run/netns/hf-abc123-g", "--bind=/s:/var/lib/x"):
        assert flag in argv
    assert argv[-1] == "-b" and argv[argv.index("-D") + 1] == "/m/root"
    assert C.NSPAWN_ENV["SYSTEMD_NSPAWN_UNIFIED_HIERARCHY"] == "1"


def test_guest_adaptations() -> None:
    files = C.guest_adaptations(C.Names("abc123"), "10.77.0.1:5000")
    assert "Name=hfabc123g" in files["etc/systemd/network/10-hfabc123g.network"]
    assert 'location = "10.77.0.1:5000"' in files["etc/containers/registries.conf.d/99-hostform-try.conf"]


def test_parse_ss() -> None:
    out = (
        "tcp LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:*\n"
        "tcp LISTEN 0 4096 [::]:443 [::]:*\n"
        "udp UNCONN 0 0 127.0.0.54:53 0.0.0.0:*\n"
        "garbage\n"
    )
    assert C.parse_ss(out) == [
        C.Listener("tcp", "0.0.0.0", 8080), C.Listener("tcp", "::", 443), C.Listener("udp", "127.0.0.54", 53),
    ]


def test_parse_auto_update_and_curl_and_pids() -> None:
    assert C.parse_auto_update("site.service true\ncaddy.service rolled back\n") == {
        "site.service": "true", "caddy.service": "rolled back"}
    assert C.parse_curl("hello\n\n200") == (200, "hello\n")
    assert C.parse_curl("") == (0, "")
    assert C.parse_pids(" 123\n 456\n") == [123, 456]


def test_debian_mirror() -> None:
    text = "URIs: http://deb.debian.org/debian-security\n# x http://a/debian\nURIs: http://deb.debian.org/debian/\n"
    assert C.debian_mirror([text]) == "http://deb.debian.org/debian"
    assert C.debian_mirror(["nothing"]) is None


def test_registry_config_on_loopback() -> None:
    assert "addr: 127.0.0.1:5001" in C.registry_config(Path("/r"), 5001)
    assert "auth" not in C.registry_config(Path("/r"), 5001)
    assert "auth:\n  htpasswd:\n    realm: hostform-test\n    path: /r/htpasswd\n" in C.registry_config(Path("/r"), 5001, Path("/r/htpasswd"))


def test_loop_and_blkid_commands() -> None:
    assert C.losetup_attach_argv(Path("/w/disk.img")) == ["losetup", "--find", "--show", "/w/disk.img"]
    assert C.losetup_detach_argv("/dev/loop12") == ["losetup", "--detach", "/dev/loop12"]
    for bad in ("/dev/vdb", "/dev/loop", "loop0", "/dev/loop1 /dev/sda"):
        with pytest.raises(ValueError):
            C.losetup_detach_argv(bad)
    assert C.blkid_argv("/dev/loop0") == ["blkid", "-p", "-o", "export", "/dev/loop0"]
    assert C.parse_blkid("DEVNAME=/dev/loop0\nPTUUID=1a2b\nPTTYPE=dos\n") == {"DEVNAME": "/dev/loop0", "PTUUID": "1a2b", "PTTYPE": "dos"}
    assert C.parse_blkid("") == {}


def test_state_disk_adaptations_drop_only_the_device_dependency() -> None:
    prepare = (
        "[Unit]\nDescription=prepare\nRequires=dev-vdb.device\nAfter=dev-vdb.device network.target\nBefore=var-mnt-state.mount\n\n"
        "[Service]\nExecStart=/bin/sh -c 'blkid -p /dev/vdb'\n"
    )
    assert C.without_device_deps(prepare, "/dev/vdb") == (
        "[Unit]\nDescription=prepare\nAfter=network.target\nBefore=var-mnt-state.mount\n\n[Service]\nExecStart=/bin/sh -c 'blkid -p /dev/vdb'\n"
    )
    assert C.without_device_deps("[Unit]\nRequires=dev-vdbx.device\n", "/dev/vdb") == "[Unit]\nRequires=dev-vdbx.device\n"
    config = {"systemd": {"units": [{"name": "p.service", "contents": prepare}, {"name": "o.service", "contents": "[Unit]\n"}, {"name": "m.service", "mask": True}]}}
    files = C.state_disk_adaptations(config, "/dev/vdb")
    assert list(files) == ["etc/systemd/system/p.service"]
    assert files["etc/systemd/system/p.service"].startswith("# hostform try: ") and "dev-vdb.device" not in files["etc/systemd/system/p.service"].split("\n", 1)[1]
