"""Unit tests of the fcos variant's sugar and checks (hostform.butane.fcos).

The functions are driven with plain dicts; inputs and expected outputs come
from the shared Butane conformance corpus (../shared/conformance/butane/cases),
read at run time.  The base translation is stood in for by a plain
snake_case -> camelCase rename of the few storage fields these cases use.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import urllib.parse
from pathlib import Path

import pytest
import yaml

from hostform.butane import fcos, translate
from hostform.diagnostics import Report
from hostform.translations import TranslationSet, leaf_paths
from tests.require import no_shared

CASES = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "butane" / "cases"
CASES = CASES.resolve()

if not CASES.is_dir():  # pragma: no cover
    pytest.skip(no_shared(CASES), allow_module_level=True)

IGN_VERSION = {
    "1.0.0": "3.0.0",
    "1.1.0": "3.1.0",
    "1.2.0": "3.2.0",
    "1.3.0": "3.2.0",
    "1.4.0": "3.3.0",
    "1.5.0": "3.4.0",
    "1.6.0": "3.5.0",
    "1.7.0": "3.6.0",
    "1.8.0-experimental": "3.7.0-experimental",
}

FCOS_MESSAGES = {
    v for k, v in vars(fcos).items() if k.startswith("MSG_") and isinstance(v, str)
}

# input keys whose subtree the stand-in base translation can rename 1:1
SIMPLE_TOP = {"variant", "version", "boot_device", "grub", "storage", "kernel_arguments"}
SIMPLE_STORAGE = {"disks", "filesystems"}


def _case_names(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return sorted(p.name for p in CASES.iterdir() if rx.search(p.name))


def _load(name: str) -> tuple[dict, dict, dict | None]:
    d = CASES / name
    cfg = yaml.safe_load((d / "input.bu").read_text())
    meta = json.loads((d / "expected.json").read_text())
    ign_file = d / "expected.ign"
    ign = json.loads(ign_file.read_text()) if ign_file.exists() else None
    return cfg, meta, ign


def _camel(s: str) -> str:
    parts = s.split("_")
    out = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return out.replace("Mib", "MiB").replace("Guid", "Guid").replace("Uuid", "UUID")


def _rename(v: object) -> object:
    if isinstance(v, dict):
        return {_camel(k): _rename(x) for k, x in v.items() if k != "with_mount_unit"}
    if isinstance(v, list):
        return [_rename(x) for x in v]
    return v


def _snake_path(p: tuple) -> tuple:
    return tuple(
        re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", e).lower() if isinstance(e, str) else e for e in p
    )


def _simple(cfg: dict) -> bool:
    if set(cfg) - SIMPLE_TOP:
        return False
    storage = cfg.get("storage") or {}
    if set(storage) - SIMPLE_STORAGE:
        return False
    return True


def _fake_base(cfg: dict, expected: dict | None) -> tuple[dict, TranslationSet]:
    """A stand-in for the base translation: ignition.version, storage and
    kernel_arguments renamed; systemd (mount units) taken from expected."""
    ign: dict = {"ignition": {"version": IGN_VERSION[cfg["version"]]}}
    if "kernel_arguments" in cfg:
        ign["kernelArguments"] = _rename(cfg["kernel_arguments"])
    if "storage" in cfg:
        ign["storage"] = _rename(cfg["storage"])
    if expected and "systemd" in expected:
        ign["systemd"] = expected["systemd"]
    ts = TranslationSet()
    for p in leaf_paths(ign):
        if p and p[0] != "systemd":
            ts.add(_snake_path(p), p)
        elif p:
            ts.add(("storage", "filesystems"), p)
    return ign, ts


def _decode_data_urls(v: object) -> object:
    """Replace data URLs by their decoded bytes (gzip undone), so output
    compares equal whatever deflate implementation produced it."""
    if isinstance(v, dict):
        out = {k: _decode_data_urls(x) for k, x in v.items()}
        src = out.get("source")
        if isinstance(src, str) and src.startswith("data:"):
            head, _, data = src[5:].partition(",")
            raw = base64.b64decode(data) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(data)
            if out.get("compression") == "gzip":
                raw = gzip.decompress(raw)
                out["compression"] = ""
            out["source"] = raw
        return out
    if isinstance(v, list):
        return [_decode_data_urls(x) for x in v]
    return v


def _parse_stderr(stderr: str) -> list[tuple[str, str, tuple]]:
    """(severity, message, path) of each entry in Butane's stderr."""
    out = []
    sev = path = None
    for line in stderr.splitlines():
        m = re.match(r"^(error|warning)\[\$(.*)\]:$", line)
        if m:
            sev = m.group(1)
            path = tuple(int(e) if e.isdigit() else e for e in m.group(2).split(".") if e)
            continue
        m = re.match(r"^\s*\|\s*\^+ (.*)$", line)
        if m and sev is not None:
            out.append((sev, m.group(1), path))
            sev = path = None
    return out


def _run(cfg: dict, expected: dict | None) -> tuple[dict, TranslationSet, Report]:
    report = Report()
    fcos.validate_fcos(cfg, cfg["version"], report)
    ign, ts = _fake_base(cfg, expected)
    if not report.is_fatal():
        fcos.translate_fcos(cfg, ign, ts, report, cfg["version"])
    return ign, ts, report


def _simple_cases(names: list[str]) -> list[str]:
    """The cases the stand-in base translation can take; the others need the real one, and
    tests/test_butane_conformance.py runs every case through it (hostform butane, end to end)."""
    return [n for n in names if _simple(_load(n)[0])]


TRANSLATE_CASES = _simple_cases([
    n
    for n in _case_names(r"boot-device|mirror|luks|grub|TranslateBootDevice|TranslateGrub|RootPartition|ValidateConfig|ValidateBootDevice")
    if (CASES / n / "expected.ign").exists()
])


@pytest.mark.parametrize("name", TRANSLATE_CASES)
def test_translate_matches_butane(name: str) -> None:
    cfg, meta, expected = _load(name)
    ign, ts, report = _run(cfg, expected)
    assert not report.is_fatal(), report.entries
    assert _decode_data_urls(ign) == _decode_data_urls(expected)
    # list order is part of the output: compare it exactly
    assert json.dumps(_decode_data_urls(ign), default=repr, sort_keys=True) == json.dumps(
        _decode_data_urls(expected), default=repr, sort_keys=True
    )
    # every output path traces back to an input path
    missing = [p for p in leaf_paths(ign) if p and p not in ts.set]
    assert missing == []


DIAG_CASES = _simple_cases(_case_names(
    r"^go-fcos17-(Validate|RootPartition|TranslateBootDevice|TranslateGrub)|^hw-err-(boot-device|grub)|boot-device|grub|mirror"
))


@pytest.mark.parametrize("name", DIAG_CASES)
def test_diagnostics_match_butane(name: str) -> None:
    cfg, meta, expected = _load(name)
    _ign, _ts, report = _run(cfg, expected)
    want = [e for e in _parse_stderr(meta["stderr"]) if e[1] in FCOS_MESSAGES]
    got = [(d.severity, d.message, d.path) for d in report.entries]
    assert got == want


# --- focused checks ---------------------------------------------------------


def _diags(cfg: dict, version: str = "1.7.0") -> list[tuple[str, str, tuple]]:
    r = Report()
    fcos.validate_fcos(cfg, version, r)
    return [(d.severity, d.message, d.path) for d in r.entries]


def test_mirror_needs_layout_warns_before_1_7() -> None:
    cfg = {"boot_device": {"mirror": {"devices": ["/dev/vda", "/dev/vdb"]}}}
    assert _diags(cfg, "1.6.0") == [("warning", fcos.MSG_MIRROR_REQUIRES_LAYOUT, ("boot_device", "mirror"))]
    assert _diags(cfg, "1.7.0") == [("error", fcos.MSG_MIRROR_REQUIRES_LAYOUT, ("boot_device", "mirror"))]


def test_single_mirror_device_reported_twice_like_butane() -> None:
    cfg = {"boot_device": {"layout": "x86_64", "mirror": {"devices": ["/dev/vda"]}}}
    want = ("error", fcos.MSG_TOO_FEW_MIRROR_DEVICES, ("boot_device", "mirror", "devices"))
    assert _diags(cfg) == [want, want]


def test_legacy_layout_message_before_1_6() -> None:
    cfg = {"boot_device": {"layout": "s390x-eckd"}}
    assert _diags(cfg, "1.5.0") == [("error", fcos.MSG_UNKNOWN_LAYOUT_LEGACY, ("boot_device", "layout"))]


def test_luks_device_without_method() -> None:
    cfg = {"boot_device": {"layout": "s390x-virt", "luks": {"device": "/dev/vda"}}}
    assert _diags(cfg) == [("error", fcos.MSG_NO_LUKS_METHOD, ("boot_device", "luks", "luks"))]
    assert _diags(cfg, "1.6.0") == []


def test_cex_without_layout() -> None:
    cfg = {"boot_device": {"luks": {"cex": {"enabled": True}, "tpm2": True}}}
    assert _diags(cfg) == [
        ("error", fcos.MSG_CEX_ARCH_MISMATCH, ("boot_device", "luks", "cex")),
        ("error", fcos.MSG_CEX_WITH_CLEVIS, ("boot_device", "luks")),
    ]


def test_validate_stages_split() -> None:
    cfg = {
        "storage": {"filesystems": [{"path": "/", "with_mount_unit": True}]},
        "grub": {"users": [{"name": "x"}]},
    }
    top, fields = Report(), Report()
    fcos.validate_fcos(cfg, "1.7.0", top, stage="top")
    fcos.validate_fcos(cfg, "1.7.0", fields, stage="fields")
    assert [d.message for d in top] == [fcos.MSG_MOUNT_POINT_FORBIDDEN]
    assert [d.message for d in fields] == [fcos.MSG_GRUB_PASSWORD]


def test_s390x_zfcp_luks_device_and_cex_translation_paths() -> None:
    cfg = {
        "variant": "fcos",
        "version": "1.7.0",
        "boot_device": {"layout": "s390x-zfcp", "luks": {"device": "/dev/sdb", "cex": {"enabled": True}}},
    }
    ign, ts, report = _run(cfg, None)
    assert report.entries == []
    luks = ign["storage"]["luks"][0]
    assert luks == {"cex": {"enabled": True}, "device": "/dev/sdb4", "label": "luks-root", "name": "root", "wipeVolume": True}
    assert ts.set[("storage", "luks", 0, "cex", "enabled")] == ("boot_device", "luks", "enabled")
    assert ts.set[("storage", "luks", 0, "device")] == ("boot_device", "luks")
    assert ts.set[("storage", "filesystems", 0, "device")] == ("boot_device",)


def test_user_filesystem_merges_into_generated_root() -> None:
    cfg = {
        "variant": "fcos",
        "version": "1.7.0",
        "boot_device": {"luks": {"tpm2": True}},
        "storage": {
            "filesystems": [
                {"device": "/dev/vdb", "format": "ext4"},
                {"device": "/dev/mapper/root", "format": "ext4", "options": ["-m", "0"]},
            ]
        },
    }
    ign, ts, _ = _run(cfg, None)
    fss = ign["storage"]["filesystems"]
    # the generated entry keeps its place; the user's fields win; the user's
    # other filesystems follow
    assert [f["device"] for f in fss] == ["/dev/mapper/root", "/dev/vdb"]
    assert fss[0] == {
        "device": "/dev/mapper/root",
        "format": "ext4",
        "label": "root",
        "options": ["-m", "0"],
        "wipeFilesystem": True,
    }
    assert ts.set[("storage", "filesystems", 0, "format")] == ("storage", "filesystems", 1, "format")
    assert ts.set[("storage", "filesystems", 0, "label")] == ("boot_device",)
    assert ts.set[("storage", "filesystems", 1, "device")] == ("storage", "filesystems", 0, "device")


def test_no_sugar_before_1_3_but_partition_number_warning() -> None:
    cfg = {
        "variant": "fcos",
        "version": "1.2.0",
        "storage": {"disks": [{"device": "/dev/vda", "partitions": [{"label": "root", "size_mib": 100}]}]},
    }
    _ign, _ts, report = _run(cfg, None)
    assert [(d.message, d.path) for d in report.entries] == [
        (fcos.MSG_WRONG_PARTITION_NUMBER, ("storage", "disks", 0, "partitions", 0, "label"))
    ]


def test_make_data_url_plain_and_gzip() -> None:
    assert fcos.make_data_url(b"a b", None, True) == ("data:,a%20b", "")
    url, comp = fcos.make_data_url(b"x" * 500, None, True)
    assert comp == "gzip" and url.startswith("data:;base64,")
    url, comp = fcos.make_data_url(b"x" * 500, None, False)
    assert comp == "" and not url.startswith("data:;base64,H4s")


# --- Ignition merge semantics -------------------------------------------------


def test_merge_user_disk_matching_a_mirror_device() -> None:
    cfg = {
        "variant": "fcos",
        "version": "1.7.0",
        "boot_device": {"layout": "aarch64", "mirror": {"devices": ["/dev/vda", "/dev/vdb"]}},
        "storage": {"disks": [{"device": "/dev/vdb", "partitions": [{"label": "var", "size_mib": 0}]}]},
    }
    ign, ts, report = _run(cfg, None)
    assert report.entries == []
    disks = ign["storage"]["disks"]
    assert [d["device"] for d in disks] == ["/dev/vda", "/dev/vdb"]
    assert [p["label"] for p in disks[1]["partitions"]] == ["reserved-2", "esp-2", "boot-2", "root-2", "var"]
    assert disks[1]["wipeTable"] is True
    assert ts.set[("storage", "disks", 1, "partitions", 4, "label")] == ("storage", "disks", 0, "partitions", 0, "label")
    assert ts.set[("storage", "disks", 1, "partitions", 0, "label")] == ("boot_device", "mirror", "devices", 1)
    # the user's entry is the child: its source wins for the shared device
    assert ts.set[("storage", "disks", 1, "device")] == ("storage", "disks", 0, "device")
    assert [f["device"] for f in ign["storage"]["filesystems"]] == [
        "/dev/disk/by-partlabel/esp-1",
        "/dev/disk/by-partlabel/esp-2",
        "/dev/md/md-boot",
        "/dev/md/md-root",
    ]


def test_root_too_small_warning_path_falls_back_to_snake_case() -> None:
    cfg = {
        "variant": "fcos",
        "version": "1.7.0",
        "storage": {"disks": [{"device": "/dev/vda", "partitions": [{"label": "root", "number": 4, "size_mib": 10}]}]},
    }
    report = Report()
    ign, ts = _fake_base(cfg, None)
    del ts.set[("storage", "disks", 0, "partitions", 0, "sizeMiB")]
    fcos.translate_fcos(cfg, ign, ts, report, "1.7.0")
    assert [(d.message, d.path) for d in report] == [
        (fcos.MSG_ROOT_TOO_SMALL, ("storage", "disks", 0, "partitions", 0, "size_mib"))
    ]
    assert translate._snake("sizeMiB") == "size_mib" and translate._snake("wipeTable") == "wipe_table"


def test_grub_without_compression_option() -> None:
    cfg = {
        "variant": "fcos",
        "version": "1.5.0",
        "grub": {"users": [{"name": "a", "password_hash": "h" * 300}, {"name": "b", "password_hash": "h" * 300}]},
    }
    ign, ts, _ = _run(cfg, None)
    res = ign["storage"]["files"][0]["append"][0]
    assert res["compression"] == "gzip"
    ign2, _ts = _fake_base(cfg, None)
    fcos.translate_fcos(cfg, ign2, TranslationSet(), Report(), "1.5.0", no_resource_auto_compression=True)
    assert ign2["storage"]["files"][0]["append"][0]["compression"] == ""
    assert ts.set[("storage", "files", 0, "append", 0, "source")] == ("grub", "users")
