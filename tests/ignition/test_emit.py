"""ignition.emit: Butane's byte-exact JSON (Go struct order, omitempty, HTML-safe escaping)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform import ignition
from tests.require import shared, shared_params

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BUTANE_CASES = SHARED / "conformance" / "butane" / "cases"
FIELD_ORDER = SHARED / "conformance" / "butane" / "reference"


def test_versions():
    assert ignition.VERSIONS == ("3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0", "3.7.0-experimental")


def test_minimal():
    assert ignition.emit({"ignition": {"version": "3.6.0"}}, "3.6.0") == '{"ignition":{"version":"3.6.0"}}\n'


def test_pretty():
    out = ignition.emit({"ignition": {"version": "3.6.0"}, "storage": {"files": [{"path": "/a"}]}}, "3.6.0", pretty=True)
    assert out == '{\n  "ignition": {\n    "version": "3.6.0"\n  },\n  "storage": {\n    "files": [\n      {\n        "path": "/a"\n      }\n    ]\n  }\n}\n'


def test_go_struct_order_and_embedded_flattening():
    cfg = {"storage": {"files": [{"mode": 420, "contents": {"source": "data:,x"}, "path": "/a", "overwrite": False}]}, "ignition": {"version": "3.6.0"}}
    assert ignition.emit(cfg, "3.6.0") == (
        '{"ignition":{"version":"3.6.0"},"storage":{"files":[{"overwrite":false,"path":"/a",'
        '"contents":{"source":"data:,x"},"mode":420}]}}\n'
    )


def test_omitempty_rules():
    cfg = {
        "ignition": {"version": "3.6.0", "config": {}, "security": {"tls": {"certificateAuthorities": []}}},
        "storage": {"files": [{"path": "/a", "contents": {}, "append": []}], "disks": [{"device": "/dev/x", "wipeTable": False}]},
        "systemd": {"units": [{"name": "a.service", "enabled": False, "contents": ""}]},
    }
    assert ignition.emit(cfg, "3.6.0") == (
        '{"ignition":{"version":"3.6.0"},"storage":{"disks":[{"device":"/dev/x","wipeTable":false}],'
        '"files":[{"path":"/a"}]},"systemd":{"units":[{"contents":"","enabled":false,"name":"a.service"}]}}\n'
    )


def test_non_omitempty_fields_always_written():
    # Node.path, Disk.device and Unit.name have no omitempty
    assert ignition.emit({"ignition": {"version": "3.6.0"}, "storage": {"files": [{"mode": 420}]}}, "3.6.0") == (
        '{"ignition":{"version":"3.6.0"},"storage":{"files":[{"path":"","mode":420}]}}\n'
    )
    assert ignition.emit({}, "3.6.0") == '{"ignition":{"version":""}}\n'


def test_html_escaping_like_go():
    cfg = {"ignition": {"version": "3.6.0"}, "storage": {"files": [{"path": "/a<b>&\u2028\u2029é\n\"\\"}]}}
    out = ignition.emit(cfg, "3.6.0")
    assert '"/a\\u003cb\\u003e\\u0026\\u2028\\u2029é\\n\\"\\\\"' in out


def test_nil_list_without_omitempty_is_null():
    # spec 3.0: Raid.devices has no omitempty
    cfg = {"ignition": {"version": "3.0.0"}, "storage": {"raid": [{"name": "r", "level": "raid1"}]}}
    assert '"raid":[{"devices":null,"level":"raid1","name":"r"}]' in ignition.emit(cfg, "3.0.0")


@pytest.mark.parametrize("version", ["3.6.0", "3.7.0-experimental"])
def test_field_order_reference(version):
    name = "ignition-v%s-json-field-order.json" % version.replace(".0", "").replace(".", "_").replace("-", "_")
    ref = json.loads(shared(FIELD_ORDER / name).read_text())
    sp = ignition.spec(version)
    for type_name, fields in ref.items():
        own = [("<embedded:%s>" % f[2]) if f[1] is None else f[1] for f in sp.structs[type_name]]
        assert own == fields, type_name


def _ign_cases():
    if not BUTANE_CASES.is_dir():
        return []
    return sorted(d.name for d in BUTANE_CASES.iterdir() if (d / "expected.ign").exists())


@pytest.mark.parametrize("case", shared_params(_ign_cases(), BUTANE_CASES))
def test_reemit_butane_outputs(case):
    raw = (BUTANE_CASES / case / "expected.ign").read_text()
    obj = json.loads(raw)
    assert ignition.emit(obj, obj["ignition"]["version"], pretty=raw.count("\n") > 1) == raw
