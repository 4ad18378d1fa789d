"""hostform.ignition.merge: Ignition's config merge (config/merge/merge.go) with Butane's transcript."""

from __future__ import annotations

import pytest

from hostform.ignition import VERSIONS
from hostform.ignition.merge import Types, add_from_common_source, all_paths, merge_translated, struct_types
from hostform.translations import leaf_paths

T = struct_types("v3_6")


def merge(parent: dict, child: dict, pts: dict | None = None, cts: dict | None = None) -> tuple[dict, dict]:
    return merge_translated(parent, pts or {}, child, cts or {}, T)


# --- the struct tables -----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_struct_types_of_every_spec(version: str) -> None:
    module = "v" + version.split("-")[0].rsplit(".", 1)[0].replace(".", "_") + ("_experimental" if "-" in version else "")
    t = struct_types(module)
    assert isinstance(t, Types)
    assert struct_types(module) is t  # cached
    assert t.kind("Config") == "struct"
    assert "version" in t.all_json_fields("Ignition")


def test_types_kinds_and_named_types() -> None:
    assert T.kind("string") == "prim"
    assert T.kind("*string") == "ptr"
    assert T.kind("[]Unit") == "slice"
    assert T.kind("Unit") == "struct"
    assert T.resolve("HTTPHeaders") == "[]HTTPHeader"
    assert T.kind("HTTPHeaders") == "slice"
    assert T.kind("Device") == "prim"  # a named string


def test_embedded_struct_fields_are_inlined() -> None:
    fields = T.all_json_fields("File")
    assert {"path", "overwrite", "user", "group", "append", "contents", "mode"} <= set(fields)


# --- merge_translated: values ------------------------------------------------------------


def test_empty_configs() -> None:
    assert merge({}, {}) == ({}, {})


def test_child_primitive_wins_and_parent_survives_where_child_is_silent() -> None:
    parent = {"ignition": {"version": "3.5.0"}, "systemd": {"units": [{"name": "a.service", "enabled": True}]}}
    child = {"ignition": {"version": "3.6.0"}}
    result, _ = merge(parent, child)
    assert result == {"ignition": {"version": "3.6.0"}, "systemd": {"units": [{"name": "a.service", "enabled": True}]}}


def test_keyed_list_entries_merge_field_by_field() -> None:
    parent = {"systemd": {"units": [{"name": "a.service", "enabled": True, "contents": "P"}, {"name": "b.service"}]}}
    child = {"systemd": {"units": [{"name": "c.service"}, {"name": "a.service", "contents": "C"}]}}
    result, _ = merge(parent, child)
    # parent order first, merged in place; then the child's new entries
    assert result["systemd"]["units"] == [
        {"contents": "C", "enabled": True, "name": "a.service"},
        {"name": "b.service"},
        {"name": "c.service"},
    ]


def test_ignore_duplicate_lists_are_appended_and_keyed_lists_keep_order() -> None:
    parent = {"storage": {"raid": [{"devices": ["/a", "/b"], "name": "md", "options": ["x"]}]}}
    child = {"storage": {"raid": [{"devices": ["/b", "/c"], "name": "md", "options": ["x", "y"]}]}}
    result, _ = merge(parent, child)
    raid = result["storage"]["raid"][0]
    assert raid["options"] == ["x", "x", "y"]  # IgnoreDuplicates: appended
    assert raid["devices"] == ["/a", "/b", "/c"]  # keyed: parent order, then new child items


def test_partitions_are_keyed_by_number_then_label() -> None:
    parent = {"storage": {"disks": [{"device": "/d", "partitions": [{"number": 1, "label": "a"}, {"label": "b", "sizeMiB": 5}]}]}}
    child = {"storage": {"disks": [{"device": "/d", "partitions": [{"number": 1, "label": "z"}, {"label": "b", "sizeMiB": 9}]}]}}
    result, _ = merge(parent, child)
    assert result["storage"]["disks"][0]["partitions"] == [{"number": 1, "label": "z"}, {"label": "b", "sizeMiB": 9}]


def test_node_handle_drops_parent_entry_of_other_kind() -> None:
    parent = {"storage": {"files": [{"path": "/a"}, {"path": "/b"}]}}
    child = {"storage": {"links": [{"path": "/a", "target": "/x"}]}}
    pts = {("storage", "files", 1, "path"): ("p",)}
    cts = {("storage", "links", 0, "target"): ("t",), ("storage", "links", 0, "path"): ("c",)}
    result, ts = merge(parent, child, pts, cts)
    assert result["storage"]["files"] == [{"path": "/b"}]
    assert result["storage"]["links"] == [{"path": "/a", "target": "/x"}]
    assert ts == {
        ("storage", "files", 0, "path"): ("p",),
        ("storage", "links", 0, "path"): ("c",),
        ("storage", "links", 0, "target"): ("t",),
    }


def test_file_replaced_by_directory_of_same_path() -> None:
    result, _ = merge({"storage": {"files": [{"path": "/a"}]}}, {"storage": {"directories": [{"path": "/a"}]}})
    assert result == {"storage": {"directories": [{"path": "/a"}], "files": []}}


def test_http_header_without_value_in_child_removes_parent_header() -> None:
    def cfg(headers: list) -> dict:
        return {"ignition": {"config": {"replace": {"source": "http://x", "httpHeaders": headers}}}}

    parent = cfg([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    child = cfg([{"name": "A"}, {"name": "B", "value": "3"}])
    result, _ = merge(parent, child)
    assert result["ignition"]["config"]["replace"]["httpHeaders"] == [{"name": "B", "value": "3"}]


def test_pointer_fields_child_wins_unless_nil() -> None:
    parent = {"storage": {"files": [{"path": "/f", "mode": 0o644, "overwrite": True}]}}
    child = {"storage": {"files": [{"path": "/f", "mode": 0o600, "overwrite": None}]}}
    result, _ = merge(parent, child)
    assert result["storage"]["files"] == [{"mode": 0o600, "overwrite": True, "path": "/f"}]


def test_zero_child_struct_keeps_parent_struct() -> None:
    parent = {"ignition": {"version": "3.6.0", "timeouts": {"httpTotal": 5}}}
    child = {"ignition": {"version": "3.6.0", "timeouts": {}}}
    result, _ = merge(parent, child)
    assert result["ignition"]["timeouts"] == {"httpTotal": 5}


def test_inputs_are_not_modified() -> None:
    parent = {"systemd": {"units": [{"name": "a.service", "enabled": True}]}}
    child = {"systemd": {"units": [{"name": "a.service", "enabled": False}]}}
    before = (repr(parent), repr(child))
    merge(parent, child)
    assert (repr(parent), repr(child)) == before


# --- merge_translated: the translation set ------------------------------------------------


def test_keeps_only_populated_paths() -> None:
    child = {"ignition": {"version": "3.6.0"}, "storage": {"disks": [{"device": "/d", "partitions": [{"number": 0, "label": "x"}]}]}}
    cts = {p: ("in",) + p for p in leaf_paths(child) if p}
    cts[("storage", "disks", 0, "wipeTable")] = ("unset",)
    _result, ts = merge({}, child, {}, cts)
    assert ("storage", "disks", 0, "wipeTable") not in ts  # absent in the output
    assert ("storage", "disks", 0, "partitions", 0, "number") not in ts  # zero int: not transcribed
    assert ts[("storage", "disks", 0, "partitions", 0, "label")] == ("in", "storage", "disks", 0, "partitions", 0, "label")


def test_child_source_wins_where_both_contribute() -> None:
    parent = {"systemd": {"units": [{"name": "a.service", "enabled": True}]}}
    child = {"systemd": {"units": [{"name": "a.service", "contents": "C"}]}}
    pts = {p: ("parent",) + p for p in leaf_paths(parent) if p}
    cts = {p: ("child",) + p for p in leaf_paths(child) if p}
    _result, ts = merge(parent, child, pts, cts)
    unit = ("systemd", "units", 0)
    assert ts[unit + ("enabled",)] == ("parent",) + unit + ("enabled",)
    assert ts[unit + ("contents",)] == ("child",) + unit + ("contents",)
    assert ts[unit + ("name",)] == ("child",) + unit + ("name",)
    assert ts[unit] == ("child",) + unit


def test_moved_entries_carry_their_sources_to_the_new_index() -> None:
    parent = {"systemd": {"units": [{"name": "p.service"}]}}
    child = {"systemd": {"units": [{"name": "c.service"}]}}
    cts = {("systemd", "units", 0, "name"): ("src",)}
    result, ts = merge(parent, child, {}, cts)
    assert [u["name"] for u in result["systemd"]["units"]] == ["p.service", "c.service"]
    assert ts == {("systemd", "units", 1, "name"): ("src",)}


# --- AddFromCommonSource ---------------------------------------------------------------------


def test_all_paths_lists_zero_fields_too() -> None:
    paths = all_paths({"name": "a.service"}, T, "Unit")
    assert set(paths) == {("contents",), ("dropins",), ("enabled",), ("mask",), ("name",)}
    assert all_paths(None, T, "*string") == []
    assert all_paths([{"name": "x"}], T, "[]Dropin") == [(0, "contents"), (0, "name"), (0,)]


def test_add_from_common_source_maps_prefix_and_all_below() -> None:
    rts: dict = {}
    add_from_common_source(rts, ("src",), ("systemd", "units", 3), {"name": "a.service", "dropins": [{"name": "d.conf"}]}, T, "Unit")
    unit = ("systemd", "units", 3)
    assert rts[unit] == ("src",)
    assert rts[unit + ("dropins", 0, "name")] == ("src",)
    assert rts[unit + ("mask",)] == ("src",)
    assert set(rts.values()) == {("src",)}
