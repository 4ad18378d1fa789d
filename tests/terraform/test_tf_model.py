from hostform.diagnostics import CODES
from hostform.terraform.model import parse_target


def codes(rep):
    return [d.code for d in rep]


def test_minimal_vultr_warns_stale_image():
    t, rep = parse_target({"provider": "vultr", "region": "cdg", "size": "vc2-1c-1gb"})
    assert t is not None and t.os_id == 391
    assert codes(rep) == ["HF501"]


def test_vultr_with_image_url_is_clean():
    t, rep = parse_target({"provider": "vultr", "region": "cdg", "plan": "vc2-1c-1gb", "image_url": "https://example.org/fcos.raw.xz"})
    assert not rep and t.size == "vc2-1c-1gb" and t.os_id is None
    assert t.device("x") == "/dev/vdb"


def test_defaults():
    t, _ = parse_target({"provider": "aws", "region": "eu-west-3", "size": "t3.micro"})
    assert t.reserved_ip and t.state_volume.size_gb == 10 and t.zone == "eu-west-3a" and t.dns is None
    assert t.device("web-state") == "/dev/nvme1n1"


def test_digitalocean_device_names_the_volume():
    t, _ = parse_target({"provider": "digitalocean", "region": "fra1", "size": "s-1vcpu-1gb", "image": "123"})
    assert t.device("web-state") == "/dev/disk/by-id/scsi-0DO_Volume_web-state"


def test_errors():
    assert codes(parse_target({"provider": "gcp"})[1]) == ["HF500"]
    assert parse_target("vultr")[0] is None
    t, rep = parse_target({"provider": "hetzner", "region": "fsn1", "size": "cx22"})
    assert t is None and "HF500" in codes(rep)  # no FCOS image on hetzner
    t, rep = parse_target({"provider": "aws"})
    assert t is None and codes(rep).count("HF500") == 2  # region, size
    t, rep = parse_target({"provider": "local", "bogus": 1})
    assert t is not None and codes(rep) == ["HF003"]


def test_dns_and_state_volume():
    t, rep = parse_target(
        {
            "provider": "vultr", "region": "cdg", "size": "s", "image": "snap",
            "dns": {"domain": "example.org", "records": ["", {"name": "staging", "ttl": 60}]},
            "state_volume": {"device": "/dev/vdc"},
        },
        state_size_gb=25,
    )
    assert not rep
    assert [(r.name, r.ttl) for r in t.dns.records] == [("", 300), ("staging", 60)]
    assert t.state_volume.size_gb == 25 and t.device("x") == "/dev/vdc"
    t, rep = parse_target({"provider": "local", "state_volume": False})
    assert t.state_volume is None and t.device("x") is None
    t, _ = parse_target({"provider": "local"})
    assert t.state_volume is None  # the local target attaches no volume unless asked
    t, _ = parse_target({"provider": "local", "state_volume": {"enabled": True}})
    assert t.state_volume is not None and t.device("x") == "/dev/vdb"
    t, _ = parse_target({"provider": "aws", "region": "r", "size": "s", "state_volume": {"enabled": False}})
    assert t.state_volume is None
    _, rep = parse_target({"provider": "aws", "region": "r", "size": "s", "state_volume": {"size_gb": 5}})
    assert codes(rep) == ["HF500"]  # the size is the host's state.size
    _, rep = parse_target({"provider": "vultr", "region": "r", "size": "s", "image": "i", "dns": {"domain": "x.org", "records": ["a", "a"]}})
    assert codes(rep) == ["HF500"]
    _, rep = parse_target({"provider": "vultr", "region": "r", "size": "s", "image": "i", "dns": {"domain": "x.org", "records": [{"name": "a", "type": "MX"}]}})
    assert codes(rep) == ["HF500"]


def test_codes_have_help():
    hf5 = {code: v for code, v in CODES.items() if code.startswith("HF5")}
    assert sorted(hf5) == ["HF500", "HF501", "HF502", "HF503", "HF504"]
    for name, text in hf5.values():
        assert name and text.endswith(".")


def test_size_to_gb():
    from hostform.terraform.model import size_to_gb

    assert [size_to_gb(x) for x in ("10GiB", "10G", "1B", "1536MiB", "1TiB", "x", "10GB")] == [10, 10, 1, 2, 1024, None, None]


def test_host_schema_lists_the_target_keys():
    from hostform.host.schema import TARGET
    from hostform.terraform.model import _KEYS

    assert tuple(f.name for f in TARGET.fields) == _KEYS
