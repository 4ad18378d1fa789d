"""The rendered main.tf.json, checked against the providers' documented arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform.terraform.model import parse_target
from hostform.terraform.render import USER_DATA_FILE, render, resource_name

from .helpers import TARGETS

DOCS = json.loads((Path(__file__).parent / "fixtures" / "provider_arguments.json").read_text())
IGN = '{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/x","contents":{"source":"data:,${HOME}%{if}"}}]}}\n'


def rendered(provider: str, ign: str = IGN, **extra):
    t, rep = parse_target({**TARGETS[provider], **extra})
    assert t is not None, rep.format()
    return render(t, ign, "Web 1", "/srv/web")


def blocks_of(tf: dict):
    for rtype, by_name in tf.get("resource", {}).items():
        for name, body in by_name.items():
            yield rtype, name, body
    for rtype, by_name in tf.get("data", {}).items():
        for name, body in by_name.items():
            yield "data." + rtype, name, body


def check_arguments(spec: dict, body: dict, where: str) -> None:
    allowed = set(spec["required"]) | set(spec["optional"]) | set(spec["blocks"]) | {"lifecycle", "depends_on", "provisioner"}
    for key in body:
        assert key in allowed, f"{where}: {key!r} is not a documented argument"
    for key in spec["required"]:
        assert key in body, f"{where}: required argument {key!r} missing"
    for bname, bspec in spec["blocks"].items():
        if bname not in body or bname == "provisioner":
            continue
        items = body[bname] if isinstance(body[bname], list) else [body[bname]]
        for i, item in enumerate(items):
            check_arguments({**bspec, "blocks": {}}, item, f"{where}.{bname}[{i}]")


@pytest.mark.parametrize("provider", sorted(TARGETS))
def test_documented_arguments_only(provider):
    r = rendered(provider)
    docs = DOCS[provider]
    seen = set()
    for rtype, name, body in blocks_of(r.tf):
        assert rtype in docs, f"{rtype} has no documented arguments in the fixture"
        check_arguments(docs[rtype], body, f"{rtype}.{name}")
        seen.add(rtype)
    assert seen  # something was rendered


@pytest.mark.parametrize("provider", sorted(TARGETS))
def test_deterministic(provider):
    a = json.dumps(rendered(provider).tf, sort_keys=False)
    b = json.dumps(rendered(provider).tf, sort_keys=False)
    assert a == b


@pytest.mark.parametrize("provider", ["vultr", "hetzner", "digitalocean", "aws"])
def test_shape_of_cloud_targets(provider):
    tf = rendered(provider).tf
    res = tf["resource"]
    vm = {"vultr": "vultr_instance", "hetzner": "hcloud_server", "digitalocean": "digitalocean_droplet", "aws": "aws_instance"}[provider]
    # read from main.ign beside terraform/ (the config holds the secrets' values: main.tf.json does not)
    assert res[vm]["host"]["user_data"] == USER_DATA_FILE
    assert rendered(provider).user_data == IGN
    vol = {"vultr": "vultr_block_storage", "hetzner": "hcloud_volume", "digitalocean": "digitalocean_volume", "aws": "aws_ebs_volume"}[provider]
    assert vol in res and "state" in res[vol]
    ip = {"vultr": "vultr_reserved_ip", "hetzner": "hcloud_primary_ip", "digitalocean": "digitalocean_reserved_ip", "aws": "aws_eip"}[provider]
    assert ip in res
    # the provider block holds no credential
    assert all(set(v) <= {"region"} for v in tf["provider"].values())


def inbound_ports(provider: str, tf: dict) -> set[tuple[str, str]]:
    res = tf["resource"]
    if provider == "vultr":
        return {(r["port"], r["protocol"]) for r in res["vultr_firewall_rule"].values()}
    if provider == "hetzner":
        return {(r["port"], r["protocol"]) for r in res["hcloud_firewall"]["host"]["rule"] if r["direction"] == "in"}
    if provider == "digitalocean":
        return {(r["port_range"], r["protocol"]) for r in res["digitalocean_firewall"]["host"]["inbound_rule"]}
    return {(str(r["from_port"]), r["ip_protocol"]) for r in res["aws_vpc_security_group_ingress_rule"].values()}


@pytest.mark.parametrize("provider", ["vultr", "hetzner", "digitalocean", "aws"])
def test_firewall_lets_in_80_443_and_443_udp_only(provider):
    assert inbound_ports(provider, rendered(provider).tf) == {("80", "tcp"), ("443", "tcp"), ("443", "udp")}


def test_vultr_details():
    r = rendered("vultr")
    res = r.tf["resource"]
    inst = res["vultr_instance"]["host"]
    assert inst["snapshot_id"] == "${vultr_snapshot_from_url.fcos.id}" and "os_id" not in inst
    assert inst["reserved_ip_id"] == "${vultr_reserved_ip.host.id}"
    bs = res["vultr_block_storage"]["state"]
    assert bs["live"] is True and bs["attached_to_instance"] == "${vultr_instance.host.id}"
    assert [d["name"] for d in res["vultr_dns_record"].values()] == ["", "staging"]
    assert r.tf["terraform"]["required_providers"]["vultr"]["source"] == "vultr/vultr"
    stale = rendered("vultr", image_url=None)
    assert stale.tf["resource"]["vultr_instance"]["host"]["os_id"] == 391


def test_aws_details():
    tf = rendered("aws").tf
    inst = tf["resource"]["aws_instance"]["host"]
    assert inst["user_data_replace_on_change"] is True
    assert inst["ami"] == "${data.aws_ami.fcos.id}"
    assert tf["data"]["aws_ami"]["fcos"]["owners"] == ["125523088429"]
    assert tf["provider"]["aws"] == {"region": "eu-west-3"}


def test_digitalocean_firewall_allows_egress():
    fw = rendered("digitalocean").tf["resource"]["digitalocean_firewall"]["host"]
    assert {r["protocol"] for r in fw["outbound_rule"]} == {"tcp", "udp", "icmp"}


def test_local_target():
    tf = rendered("local").tf
    data = tf["resource"]["terraform_data"]["host"]
    import hashlib

    assert data["triggers_replace"] == hashlib.sha256(IGN.encode()).hexdigest()
    assert data["provisioner"][0]["local-exec"]["command"] == "hostform try --detach /srv/web"
    assert data["provisioner"][1]["local-exec"] == {"when": "destroy", "command": "${self.input.down}"}
    assert data["input"]["down"] == "hostform try --stop web-1"
    assert "provider" not in tf and "required_providers" not in tf["terraform"]


def test_large_ignition_is_compressed_for_aws():
    big = json.dumps({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:," + "a" * 40000}}]}})
    r = rendered("aws", ign=big)
    assert r.how == "compressed" and len(r.user_data) < 16384 and '"compression":"gzip"' in r.user_data
    assert r.tf["resource"]["aws_instance"]["host"]["user_data"] == USER_DATA_FILE  # the pipeline writes r.user_data as main.ign


def test_resource_name():
    assert resource_name("Web 1") == "web-1" and resource_name("1x") == "h-1x" and resource_name("___") == "h"


def _host_tf(tmp_path: Path, provider: str, service: dict | None = None, **extra) -> dict:
    import yaml

    from hostform import pipeline

    host = {
        "name": "web",
        "services": {"app": {"image": "ghcr.io/example/app:1", "port": 8080, **(service or {})}},
        "sites": {"example.org": "app"},
        "target": {k: v for k, v in TARGETS[provider].items() if k != "dns"},
        **extra,
    }
    (tmp_path / "hostform.yaml").write_text(yaml.safe_dump(host))
    b = pipeline.build(tmp_path, pipeline.Options(checks=False))
    assert not b.report.is_fatal(), b.report.format()
    return b.terraform


CADDY = {("80", "tcp"), ("443", "tcp"), ("443", "udp")}


@pytest.mark.parametrize("provider", ["vultr", "hetzner", "digitalocean", "aws"])
def test_firewall_follows_the_host(provider, tmp_path):
    assert inbound_ports(provider, _host_tf(tmp_path, provider)) == CADDY
    published = {"publish": ["2222:22", "127.0.0.1:9000:9000", "5353:53/udp"]}  # not the loopback one
    assert inbound_ports(provider, _host_tf(tmp_path, provider, published)) == CADDY | {("2222", "tcp"), ("5353", "udp")}
    access = {"ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostformTestKeyOnly me@example"]}
    assert inbound_ports(provider, _host_tf(tmp_path, provider, access=access)) == CADDY | {("22", "tcp")}
