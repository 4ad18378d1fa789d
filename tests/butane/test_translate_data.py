"""translate_data (the host build's hand-off: the rendered dict, no second
parse) must give what translate_bytes gives on the rendered text: the same
Ignition bytes, error, findings and positions."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from hostform import pipeline
from hostform.butane.report import correlate
from hostform.butane.translate import Options, translate_bytes, translate_data
from hostform.host.render import GENERATED_HEADER, to_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tinkerbell"


def _outcome(res, text: str) -> tuple:
    data = text.encode("utf-8", "surrogateescape")
    located = correlate(res.report.entries, res.root, data, "main.bu") if res.report.entries else []
    return res.output, res.error, [(d.severity, d.code, d.message, tuple(d.path or ()), d.line, d.col) for d in located]


def _both(bu: dict, files_dir: str = "") -> tuple:
    text = GENERATED_HEADER.format(src="hostform.yaml") + to_yaml(bu)
    fast = translate_data(bu, text, Options(files_dir=files_dir))
    took_dict = fast._text is not None
    slow = translate_bytes(text.encode("utf-8", "surrogateescape"), Options(files_dir=files_dir))
    assert _outcome(fast, text) == _outcome(slow, text)
    return took_dict, fast


def _host(tmp_path: Path, n: int) -> Path:
    lines = ["name: bench", "services:"]
    for i in range(n):
        lines += [f"  svc{i}:", f"    image: ghcr.io/example/svc{i}:latest", f"    port: {8000 + i}", f'    env: {{INDEX: "{i}"}}']
        if i % 2 == 0:
            lines.append("    health: {http: /healthz}")
        if i % 3 == 0:
            lines.append(f"    volumes: {{data{i}: /var/lib/svc}}")
    lines += ["sites:", "  s0.example.org: svc0", "tls: {email: ops@example.org}"]
    (tmp_path / "hostform.yaml").write_text("\n".join(lines) + "\n")
    return tmp_path


def _rendered(d: Path) -> dict:
    b = pipeline.build(d, pipeline.Options(checks=False))
    assert b.ignition is not None, b.report.format()
    return b.rendered.butane


def test_example_takes_the_dict_path():
    took, res = _both(_rendered(EXAMPLE), str(EXAMPLE))
    assert took and res.error is None


def test_generated_hosts_take_the_dict_path(tmp_path):
    d = _host(tmp_path, 12)
    took, res = _both(_rendered(d), str(d))
    assert took and res.error is None


def _base() -> dict:
    return _rendered(EXAMPLE)


BASE = None


def _mutated(path: tuple, value: object) -> dict:
    global BASE
    if BASE is None:
        BASE = _base()
    bu = copy.deepcopy(BASE)
    node = bu
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return bu


@pytest.mark.parametrize(
    "path, value",
    [
        (("storage", "files", 0, "mode"), -5),
        (("storage", "files", 0, "mode"), "0644"),
        (("storage", "files", 0, "mode"), True),
        (("storage", "files", 0, "mode"), 1 << 70),
        (("storage", "files", 0, "mode"), None),
        (("storage", "files", 0, "mode"), 0o7777 + 1),
        (("storage", "files", 0, "path"), "relative/path"),
        (("storage", "files", 0, "path"), 17),
        (("storage", "files", 0, "path"), "/a\x85b"),
        (("storage", "files", 0, "path"), "/a\u2028b"),
        (("storage", "files", 0, "path"), "/\x7f"),
        (("storage", "files", 0, "path"), "/\u00e9t\u00e9"),
        (("storage", "files", 0, "contents"), {"inline": "a\nb\n\n", "unknown_thing": [1, {"x y": 2}]}),
        (("storage", "files", 0, "contents"), []),
        (("storage", "files", 0, "contents"), "text"),
        (("storage", "files", 0, "overwrite"), "yes"),
        (("storage", "files", 0, "bogus"), {"k": None}),
        (("storage", "files"), {}),
        (("storage", "files"), [None, {}]),
        (("storage", "bogus"), 1.5),
        (("systemd", "units", 0, "enabled"), 1),
        (("systemd", "units", 0, "name"), "x.service"),
        (("systemd", "units", 0, "contents"), "[Unit]\n  indented\n\ttab\n"),
        (("systemd", "units", 0, "contents"), "\n  x"),
        (("systemd", "units", 0, "contents"), "\n  x\n"),
        (("systemd", "units", 0, "contents"), "\n"),
        (("systemd", "units", 0, "contents"), "\n\n"),
        (("systemd", "units", 0, "contents"), "\n\n  x"),
        (("systemd", "units", 0, "contents"), " a\nb"),
        (("systemd", "units", 0, "contents"), "a\n  b\n\n"),
        (("systemd", "units", 0, "contents"), "a \nb"),
        (("systemd", "units", 0, "contents"), "a\n\n\n"),
        (("systemd", "units", 0, "contents"), "a\n#b\n---\n"),
        (("systemd",), None),
        (("systemd",), "nope"),
        (("version",), "1.4.0"),
        (("version",), "9.9.9"),
        (("version",), 1),
        (("variant",), "flatcar"),
        (("<<",), {"a": 1}),
    ],
)
def test_same_as_translating_the_text(path, value):
    _both(_mutated(path, value))


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LEAF = (
    st.text(alphabet="ab /:#'\"\\\n\t -0123456789\u00e9\x85\u2028\x7f", max_size=12)
    | st.text(alphabet="a \n\t#", max_size=8)
    | st.sampled_from(["<<", "*a", "&a x", "&a", "!!int abc", "!!binary x", "{<<: *a}", "<<: 1"])
    | st.integers(min_value=-(1 << 65), max_value=1 << 65)
    | st.booleans()
    | st.none()
)
_VALUE = st.recursive(_LEAF, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["path", "mode", "inline", "name", "x y", "enabled", "k", "<<", "*a", "&a"]), c, max_size=3), max_leaves=6)
_PATHS = st.sampled_from(
    [
        ("storage", "files", 0, "mode"),
        ("storage", "files", 0, "path"),
        ("storage", "files", 0, "contents"),
        ("storage", "files", 1),
        ("storage", "directories"),
        ("systemd", "units", 0, "enabled"),
        ("systemd", "units", 0, "dropins"),
        ("passwd",),
        ("extra",),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=_PATHS, value=_VALUE)
def test_same_as_translating_the_text_fuzz(path, value):
    _both(_mutated(path, value))
