"""The pieces of the export: OnCalendar -> cron, names -> DNS-1123 labels, the YAML writer."""

from __future__ import annotations

import pytest
import yaml

from hostform.kubernetes.cron import Cron, to_cron
from hostform.kubernetes.names import LABEL, Names, to_label
from hostform.kubernetes.objects import split_image
from hostform.kubernetes.yaml import Hole, dump


@pytest.mark.parametrize("calendar,cron,zone", [
    ("minutely", "* * * * *", None),
    ("hourly", "0 * * * *", None),
    ("daily", "0 0 * * *", None),
    ("weekly", "0 0 * * 1", None),
    ("monthly", "0 0 1 * *", None),
    ("quarterly", "0 0 1 1,4,7,10 *", None),
    ("yearly", "0 0 1 1 *", None),
    ("*-*-* 03:30", "30 3 * * *", None),
    ("*-*-* 02:45:00", "45 2 * * *", None),
    ("Mon..Fri *-*-* 04:00", "0 4 * * 1-5", None),
    ("Mon,Wed 02:00", "0 2 * * 1,3", None),
    ("Sat,Sun *-*-* 1,13:05", "5 1,13 * * 0,6", None),
    ("Mon..Sun 01:00", "0 1 * * *", None),
    ("*:0/15", "0-59/15 * * * *", None),
    ("*-*-* 00/2:00", "0 0-23/2 * * *", None),
    ("*-*-* 1..5:00", "0 1-5 * * *", None),
    ("*-*-01 00:00", "0 0 1 * *", None),
    ("Sun 02:00 Europe/Berlin", "0 2 * * 0", "Europe/Berlin"),
    ("*-*-* 02:45 UTC", "45 2 * * *", "UTC"),
])
def test_calendar_to_cron(calendar: str, cron: str, zone: str | None) -> None:
    got = to_cron(calendar)
    assert isinstance(got, Cron), got
    assert (got.schedule, got.time_zone) == (cron, zone)


@pytest.mark.parametrize("calendar,why", [
    ("*-*-* 03:30:15", "second 15"),
    ("2030-*-* 00:00", "years"),
    ("*-*~01 00:00", "end of the month"),
    ("Mon *-*-01 00:00", "both match"),
    ("*-*-* 03:30:00.5", "second"),
    ("not a calendar", "systemd does not read it"),
])
def test_calendar_without_cron(calendar: str, why: str) -> None:
    got = to_cron(calendar)
    assert isinstance(got, str) and why in got, got


def test_names() -> None:
    n = Names(["web", "db_data", "a.b", "a-b", "x" * 60, "y" * 52], {"x" * 60: 52, "y" * 52: 52})
    assert n["web"] == "web" and n["db_data"] == "db-data" and n["a-b"] == "a-b"
    assert n["a.b"].startswith("a-b-") and len(n["a.b"]) == 10  # two names would be a-b: the changed one gets a hash
    assert len(n["x" * 60]) == 52 and n["x" * 60] != "x" * 52 and n["y" * 52] == "y" * 52
    assert n.changed() == sorted((k, v) for k, v in n.mapped.items() if k != v)
    assert Names(list(reversed(list(n.mapped)))).mapped == Names(list(n.mapped)).mapped
    d = Names(["1web", "hf-1web", "2job", "9"], letter={"1web", "hf-1web", "9"})  # a service's name starts with a letter
    assert d["1web"].startswith("hf-1web-") and d["hf-1web"] == "hf-1web" and d["2job"] == "2job" and d["9"] == "hf-9"
    assert to_label("1" * 70, 52, letter=True) == "hf-" + "1" * 49
    for name in ["A_B", "-x-", "Session.Key_2", "_"]:
        assert LABEL.fullmatch(to_label(name)), name


@pytest.mark.parametrize("image,parts", [
    ("docker.io/library/nginx:1.27", ("docker.io/library/nginx", "1.27", "")),
    ("registry.example.org:5000/shop/web:1", ("registry.example.org:5000/shop/web", "1", "")),
    ("registry.example.org:5000/shop/web@sha256:ab", ("registry.example.org:5000/shop/web", "", "sha256:ab")),
    ("ghcr.io/o/a:v1@sha256:ab", ("ghcr.io/o/a", "v1", "sha256:ab")),
])
def test_split_image(image: str, parts: tuple[str, str, str]) -> None:
    assert split_image(image) == parts


@pytest.mark.parametrize("value", ["yes", "no", "on", "Off", "y", "N", "true", "null", "~", "1:20", "0123", "1e3", "0x1f",
                                   "a: b", "- x", "#c", "{{ x }}", "", " lead", "tail ", "é", "a'b", 'a"b', "\\", "*x", "&a", "!t",
                                   "%x", "@x", "`x", "? x", "|", ">", "1Gi", ".inf", "-.5"])
def test_strings_read_back(value: str) -> None:
    doc = {"k": value, "l": [value], value or "e": 1}
    assert yaml.safe_load(dump(doc)) == doc


def test_holes() -> None:
    doc = {"replicas": Hole(1, ".Values.r"), "image": Hole("a:1", "include \"x\" .Values.i")}
    assert dump(doc) == 'replicas: 1\nimage: "a:1"\n'
    assert dump(doc, helm=True) == 'replicas: {{ .Values.r | toJson }}\nimage: {{ include "x" .Values.i | toJson }}\n'
    assert dump({"a": "{{ x }}"}, helm=True) == 'a: {{ "{{ x }}" | toJson }}\n'


def test_hole_with_a_list_default() -> None:
    doc = {"hosts": Hole(["a.example", "b.example"], ".Values.h"), "l": [Hole({"k": 1}, ".Values.m")]}
    assert yaml.safe_load(dump(doc)) == {"hosts": ["a.example", "b.example"], "l": [{"k": 1}]}
    assert dump(doc, helm=True) == "hosts: {{ .Values.h | toJson }}\nl:\n  - {{ .Values.m | toJson }}\n"
