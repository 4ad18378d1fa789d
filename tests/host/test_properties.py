"""Malformed host files give located diagnostics, never a traceback."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostform.host.load import load_text
from hostform.host.render import render

LOCATED = re.compile(r"^hostform\.yaml:\d+:\d+: (error|warning|info)\[HF\d{3}\]: ")

KEYS = ["name", "services", "sites", "tls", "updates", "state", "secrets", "access", "network", "podman",
        "image", "port", "env", "health", "http", "volumes", "publish", "pod", "restart", "ca", "depends_on", "bogus",
        "service", "redirect_from", "headers", "basic_auth", "hash", "caddy", "jobs", "schedule", "command", "user"]
scalars = st.one_of(st.sampled_from(["", "~", "yes", "80", "-1", "0x10", "1.5", "a b", "docker.io/x/y:1", "/", "[", "{", ":", "'",
                                     "daily", "Mon..Fri 04:00", "%h"]), st.text(max_size=8))
yaml_like = st.recursive(
    scalars.map(lambda s: {"s": s}),
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4).map(lambda d: {"m": d}),
        st.lists(inner, max_size=3).map(lambda xs: {"l": xs}),
    ),
    max_leaves=12,
)


def dump(node, indent=0) -> str:
    pad = "  " * indent
    if "s" in node:
        return " " + node["s"] + "\n"
    if "m" in node:
        if not node["m"]:
            return " {}\n"
        return "\n" + "".join(f"{pad}{k}:{dump(v, indent + 1)}" for k, v in node["m"].items())
    if not node["l"]:
        return " []\n"
    return "\n" + "".join(f"{pad}-{dump(v, indent + 1)}" for v in node["l"])


def check(text: str) -> None:
    ld = load_text(text, "hostform.yaml")
    for d in ld.report:
        assert LOCATED.match(d.format()), d.format()
    if ld.host is not None:
        r = render(ld.host, lambda rel: None, ld.where)
        for d in r.report:
            assert LOCATED.match(d.format()), d.format()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_like)
def test_structured_garbage(node):
    check("name: h" + dump(node) if "m" not in node else "name: h\n" + dump(node)[1:])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text):
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.text(max_size=5))
def test_mutated_example(pos, insert):
    from pathlib import Path

    base = (Path(__file__).resolve().parents[2] / "examples" / "tinkerbell" / "hostform.yaml").read_text()
    pos = pos % (len(base) + 1)
    check(base[:pos] + insert + base[pos:])


_LINEY = st.text(alphabet=st.sampled_from(["\n", " ", "\t", "a", "#", "-", ":", "'", '"', "\\", "\x85", "\u2028", "\x7f", "\x9f", "\ufeff", "é"]), max_size=12)


@settings(max_examples=400, deadline=None)
@given(s=st.one_of(_LINEY, st.text(max_size=20)), key=st.sampled_from(["k", "contents", "mode"]))
def test_to_yaml_strings_read_back_unchanged(s, key):
    from hostform import yamlpos
    from hostform.host.render import to_yaml

    value = {key: s, "l": [s, {key: s}], "n": {"m": {key: s}}}
    assert yamlpos.resolve(yamlpos.load(to_yaml(value))) == value
