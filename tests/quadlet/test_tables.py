"""The key table: complete, well-formed, and the source of the supported keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostform.quadlet import generator, tables
from tests.require import no_shared

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
KEYS_JSON = SHARED / "conformance" / "quadlet" / "supported_keys.json"
KINDS = {"string", "string=", "present", "present=", "strings", "strv", "strv-lower", "args", "bool", "true-flag", "keyvals", "handler", "meta"}


@pytest.mark.skipif(not KEYS_JSON.exists(), reason=no_shared(KEYS_JSON))
def test_supported_keys_match_podman() -> None:
    data = json.loads(KEYS_JSON.read_text())
    for group, info in data["groups"].items():
        assert tables.supported_keys(group) == frozenset(info["keys"]), group
        if group != "Quadlet":
            assert tables.X_GROUP[group] == info["x_group"]
    assert list(tables.UNSUPPORTED_SERVICE_KEYS) == data["unsupported_service_keys_warning"]
    assert sorted(tables.DEPRECATED_KEYS) == sorted(data["deprecated"])


@pytest.mark.parametrize("group", sorted(tables.ROWS))
def test_rows_well_formed(group: str) -> None:
    seen = set()
    for row in tables.ROWS[group]:
        assert len(row) == 4
        key, kind, flag, extra = row
        assert key not in seen, f"{group}.{key} twice"
        seen.add(key)
        assert kind in KINDS, row
        if kind == "handler":
            assert extra in generator.HANDLERS, row
        elif kind not in ("meta", "args"):
            assert flag and flag.startswith("-"), row
        if extra and "%" in extra:
            assert extra.count("%s") == 1


def test_every_handler_used() -> None:
    used = {r[3] for rows in tables.ROWS.values() for r in rows if r[1] == "handler"}
    assert used == set(generator.HANDLERS)


def test_unit_types() -> None:
    assert set(tables.UNIT_TYPES) == {".container", ".volume", ".network", ".kube", ".image", ".build", ".pod", ".artifact"}
    assert {info[0] for info in tables.UNIT_TYPES.values()} == set(tables.ROWS)


def test_tables_module_has_no_imports() -> None:
    src = Path(tables.__file__).read_text()
    assert [ln for ln in src.splitlines() if ln.startswith(("import ", "from ")) and "__future__" not in ln] == []
