"""ignition.validate / ignition.parse: Ignition v2.26.0's rules, one area at a time."""

from __future__ import annotations

import pytest

from hostform import ignition
from hostform.ignition import _gosystemd
from hostform.ignition._parse import format_entry
from hostform.ignition._validate import semver


def V(cfg: dict, version: str = "3.6.0") -> list[tuple]:
    cfg = {"ignition": {"version": version}, **cfg}
    return [(d.severity, ".".join(map(str, d.path)), d.message) for d in ignition.validate(cfg, version)]


def P(text: str) -> list[str]:
    _, r = ignition.parse(text.encode())
    return [format_entry(d) if d.code != "HF202" else "FATAL " + d.message for d in r]


def test_valid_minimal_every_version():
    for v in ignition.VERSIONS:
        assert V({}, v) == []


def test_version_field():
    assert ignition.validate({"ignition": {"version": "3.5.0"}}, "3.6.0").entries[0].message == "unsupported config version"
    assert ignition.validate({"ignition": {"version": "x"}}, "3.6.0").entries[0].message == "invalid config version (couldn't parse)"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("3.4.0", (3, 4, 0, "", "")),
        ("3.7.0-experimental", (3, 7, 0, "experimental", "")),
        ("3.4.0-rc.1+build.5", (3, 4, 0, "rc.1", "build.5")),
        ("3.4.0-a-b+c-d", (3, 4, 0, "a-b", "c-d")),  # "-" inside identifiers is fine
        ("3.4.0+a-b", (3, 4, 0, "", "a-b")),  # metadata is split off first
        ("3.4.0-", (3, 4, 0, "", "")),  # an empty pre-release or metadata passes validateIdentifier
        ("3.4.0+", (3, 4, 0, "", "")),
        ("03.4.00", (3, 4, 0, "", "")),  # strconv.ParseInt allows leading zeros
        ("3.4.0-a..b", None),  # an empty identifier between dots
        ("3.4.0-.a", None),
        ("3.4.0-a.", None),
        ("3.4.0-a_b", None),  # outside [0-9A-Za-z-]
        ("3.4.0-\u00e9", None),
        ("3.4.0+x y", None),
        ("3.4.0+a..b", None),
        ("3.4", None),
        ("3.4.0.1", None),
        ("3..0", None),
        ("3.4.x", None),
        ("3.4.\u0663", None),  # a non-ASCII digit
        ("9223372036854775808.0.0", None),  # past int64
        ("", None),
    ],
)
def test_semver_is_go_semver(text, parsed):
    text = text.encode().decode("unicode_escape")
    assert semver(text) == parsed


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("3.4.0", None),
        ("03.4.0", None),  # Ignition compares Version structs, so these are 3.4.0
        ("3.4.0-", None),
        ("3.4.0+", None),
        ("3.4.0-rc.1", "unsupported config version"),
        ("3.4.0+build", "unsupported config version"),
        ("3.4.0-a..b", "invalid config version (couldn't parse)"),
        ("3.4.0-a_b", "invalid config version (couldn't parse)"),
        ("3.4.0+a..b", "invalid config version (couldn't parse)"),
    ],
)
def test_version_field_pre_release_and_metadata(version, message):
    entries = ignition.validate({"ignition": {"version": version}}, "3.4.0").entries
    assert [d.message for d in entries] == ([message] if message else [])


def test_parse_version_pre_release():
    assert P('{"ignition":{"version":"3.4.0-a..b"}}') == ["FATAL invalid config version (couldn't parse)"]
    assert P('{"ignition":{"version":"3.4.0-rc"}}') == ["FATAL unsupported config version"]
    assert P('{"ignition":{"version":"03.4.0-"}}') == []


def test_paths():
    got = V({"storage": {"files": [{"path": "rel"}, {"path": "/a/../b"}, {"path": ""}], "directories": [{"path": "/ok"}]}})
    assert got == [
        ("error", "storage.files.0.path", "path not absolute"),
        ("error", "storage.files.1.path", "path is not fully simplified"),
        ("error", "storage.files.2.path", "path not specified"),
    ]


def test_modes_and_special_bits_by_version():
    cfg = {"storage": {"files": [{"path": "/a", "mode": 0o4755}], "directories": [{"path": "/d", "mode": 0o10000}]}}
    assert V(cfg) == [("error", "storage.directories.0.mode", "illegal file mode")]
    assert V(cfg, "3.5.0") == [
        ("error", "storage.directories.0.mode", "illegal file mode"),
        ("warning", "storage.files.0.mode", "setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0"),
    ]


def test_duplicates_and_merged_lists():
    cfg = {
        "storage": {"files": [{"path": "/a"}], "links": [{"path": "/a", "target": "/x"}], "filesystems": [{"device": "/dev/a", "format": "ext4", "options": ["x", "x"]}]},
        "kernelArguments": {"shouldExist": ["a"], "shouldNotExist": ["a"]},
        "systemd": {"units": [{"name": "a.service", "dropins": [{"name": "x.conf"}, {"name": "x.conf"}]}]},
    }
    assert V(cfg) == [
        ("error", "kernelArguments.shouldNotExist.0", "duplicate entry defined"),
        ("error", "storage.links.0", "duplicate entry defined"),
        ("error", "systemd.units.0.dropins.1", "duplicate entry defined"),
    ]


def test_link_conflicts_and_hard_links():
    cfg = {"storage": {"directories": [{"path": "/d"}], "links": [{"path": "/h", "target": "/d", "hard": True, "group": {"id": 1}}, {"path": "/l"}]}}
    assert V(cfg) == [
        ("error", "storage.links.0", "hard link target is a directory"),
        ("warning", "storage.links.0.group.id", "user/group ignored for hard link"),
        ("error", "storage.links.1.target", "link target is required"),
    ]
    # before 3.3 the target is a plain string and not required
    assert V({"storage": {"links": [{"path": "/l"}]}}, "3.2.0") == []


def test_systemd_path_conflict():
    cfg = {"systemd": {"units": [{"name": "a.service", "contents": "[Unit]\n"}]}, "storage": {"links": [{"path": "/etc/systemd/system/a.service", "target": "/x"}]}}
    assert V(cfg) == [("error", "storage.links.0.path", "path conflicts with systemd unit or dropin")]


def test_units():
    cfg = {"systemd": {"units": [
        {"name": "a.service", "enabled": True, "contents": "[Service]\nExecStart=/bin/true\n"},
        {"name": "b.service", "contents": "[Service\n"},
        {"name": "c.service", "contents": "[Service] x\n"},
        {"name": "d.service", "contents": "[Service]\nNoEquals"},
        {"name": "e.service", "contents": "[Service]\nBad\n"},
        {"name": "f", "dropins": [{"name": "x", "contents": "[A]\n"}]},
    ]}}
    assert V(cfg) == [
        ("warning", "systemd.units.0.contents", 'unit "a.service" is enabled, but has no install section so enable does nothing'),
        ("error", "systemd.units.1.contents", "invalid unit content: unable to find end of section"),
        ("error", "systemd.units.2.contents", 'invalid unit content: found garbage after section name : "x"'),
        ("error", "systemd.units.3.contents", "invalid unit content: EOF"),
        ("error", "systemd.units.4.contents", "invalid unit content: unexpected newline encountered while parsing option name"),
        ("error", "systemd.units.5.name", "invalid systemd unit extension"),
        ("error", "systemd.units.5.dropins.0.name", "invalid systemd drop-in extension"),
    ]


def test_unit_parser():
    opts, err = _gosystemd.parse_unit("# c\n[Unit]\nA = b \\\n c\n;x\n[Install]\nWantedBy=x\n")
    assert err is None
    assert opts == [("Unit", "A", "b \\\n c"), ("Install", "WantedBy", "x")]


def test_resources_and_urls():
    cfg = {"storage": {"files": [
        {"path": "/a", "contents": {"source": "gs://b/o"}},
        {"path": "/b", "contents": {"source": "s3://b/o?versionId=1"}},
        {"path": "/c", "contents": {"source": "arn:aws:s3:::bucket/key"}},
        {"path": "/d", "contents": {"source": "http://[::1"}},
        {"path": "/e", "contents": {"source": "https://x", "verification": {"hash": "sha256-" + "0" * 64}}},
        {"path": "/f", "contents": {"source": "https://x", "verification": {"hash": "md5"}}},
        {"path": "/g", "contents": {"source": "https://jos\u00e9@x/y"}},  # url.Parse: only ASCII in userinfo
    ]}}
    assert V(cfg) == [
        ("error", "storage.files.3.contents.source", "unable to parse url"),
        ("error", "storage.files.5.contents.verification.hash", "malformed hash specifier"),
        ("error", "storage.files.6.contents.source", "unable to parse url"),
    ]
    # gs:// came in 3.2, sha256 in 3.1, arn in 3.4
    assert ("error", "storage.files.0.contents.source", "invalid url scheme") in V(cfg, "3.1.0")
    assert ("error", "storage.files.2.contents.source", "invalid url scheme") in V(cfg, "3.3.0")
    assert ("error", "storage.files.4.contents.verification.hash", "unrecognized hash function") in V(cfg, "3.0.0")


def test_partitions_and_filesystems():
    cfg = {"storage": {
        "disks": [{"device": "/dev/a", "partitions": [{"label": "x:y"}, {"number": 2, "shouldExist": False, "sizeMiB": 1}, {"label": "l" * 37}]}],
        "filesystems": [{"device": "/dev/b", "format": "none"}, {"device": "/dev/c", "label": "x"}],
    }}
    assert V(cfg) == [
        ("error", "storage.disks.0.partitions", "shouldExist is false for a partition and other partition(s) has start or size 0"),
        ("error", "storage.disks.0.partitions.0.label", "partition label will be truncated to text before the colon"),
        ("error", "storage.disks.0.partitions.1", "shouldExist specified false with other options also specified"),
        ("error", "storage.disks.0.partitions.2.label", "partition labels may not exceed 36 characters"),
        ("error", "storage.filesystems.1.format", "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified"),
        ("error", "storage.filesystems.1.label", "filesystem must specify format if label is specified"),
    ]
    assert ("error", "storage.filesystems.0.format", "invalid filesystem format") in V(cfg, "3.2.0")


def test_luks_clevis_by_version():
    cfg = {"storage": {"luks": [{"name": "a", "device": "/dev/a", "clevis": {"custom": {"pin": "foo", "config": "{}"}}, "keyFile": {"source": "ftp://x"}}]}}
    assert V(cfg) == [
        ("error", "storage.luks.0.keys", "invalid key-file source"),
        ("error", "storage.luks.0.keyFile.source", "invalid url scheme"),
    ]
    assert V(cfg, "3.5.0") == [
        ("error", "storage.luks.0.keys", "invalid key-file source"),
        ("error", "storage.luks.0.clevis.custom.pin", "unsupported clevis pin"),
        ("error", "storage.luks.0.keyFile.source", "invalid url scheme"),
    ]
    assert V({"storage": {"luks": [{"name": "a", "device": "/dev/a", "clevis": {"custom": {"needsNetwork": True}}}]}}) == [
        ("error", "storage.luks.0.clevis.custom.pin", "missing required custom clevis pin"),
        ("error", "storage.luks.0.clevis.custom.config", "missing required custom clevis config"),
    ]


def test_raid_level_before_3_3():
    assert V({"storage": {"raid": [{"name": "r", "devices": ["/dev/a"]}]}}, "3.2.0") == [("error", "storage.raid.0.level", "unrecognized raid level")]


# ---------------------------------------------------------------- parse (raw JSON)

def test_parse_fatal_errors():
    assert P("") == ["FATAL not a config (empty)"]
    assert P('{"ignition":{"version":"3.6"}}') == ["FATAL invalid config version (couldn't parse)"]
    assert P('{"ignition":{"version":"3.9.0"}}') == ["FATAL unsupported config version"]
    assert P("{") == ["error at line 0 col 0: unexpected end of JSON input", "FATAL config is not valid"]


def test_parse_type_errors_go_wording():
    assert P('{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":1}]}}')[0] == (
        "error at line 1 col 62: json: cannot unmarshal number into Go struct field File.storage.files.Node.path of type string"
    )
    assert P('{"ignition":{"version":"3.6.0"},"passwd":{"users":[{"name":"a","sshAuthorizedKeys":"k"}]}}')[0] == (
        "error at line 1 col 87: json: cannot unmarshal string into Go struct field PasswdUser.passwd.users.sshAuthorizedKeys of type []types.SSHAuthorizedKey"
    )
    assert P("[]")[0] == "error at line 1 col 2: json: cannot unmarshal array into Go value of type util.versionStub"
    assert P('{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"/a","mode":1.5}]}}')[0].endswith(
        "cannot unmarshal number 1.5 into Go struct field File.storage.files.FileEmbedded1.mode of type int"
    )


def test_parse_unused_keys_and_context_mismatch():
    assert P('{"ignition":{"version":"3.6.0"},"passwd":null,"x":1}') == [
        "warning at $.x, line 1 col 47: unused key x",
        "warning at $.passwd, line 1 col 42: context tree does not match content tree at $.passwd. Line and column reporting may be inconsistent. Unused keys may not be reported",
    ]


def test_parse_older_version_uses_its_rules():
    assert P('{"ignition":{"version":"3.2.0"},"storage":{"filesystems":[{"device":"/dev/a","format":"none"}]}}') == [
        "error at $.storage.filesystems.0.format, line 1 col 87: invalid filesystem format",
        "FATAL config is not valid",
    ]
