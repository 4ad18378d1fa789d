"""The quadlet version table: consistency, and agreement with podman's real generators."""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from pathlib import Path

import pytest

from hostform.quadlet import versions as V
from hostform.quadlet.realgen import run_real
from tests.require import shared

SUPPORTED_KEYS_JSON = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "quadlet" / "supported_keys.json"


def _json() -> dict:
    return json.loads(shared(SUPPORTED_KEYS_JSON).read_text())


def test_versions_are_ordered_and_known() -> None:
    nums = [tuple(map(int, v.split("."))) for v in V.VERSIONS]
    assert nums == sorted(nums) and len(set(nums)) == len(nums)
    assert V.DEFAULT_PODMAN_VERSION in V.VERSIONS
    for section in V.sections(V.VERSIONS[-1]):
        for key in V.keys(V.VERSIONS[-1], section):
            assert V.since(section, key) in V.VERSIONS
    assert set(V.UNIT_TYPE_SINCE.values()) <= set(V.VERSIONS)


def test_every_61_key_is_in_the_table() -> None:
    data = _json()
    for section, info in data["groups"].items():
        for key in info["keys"]:
            first = V.since(section, key)
            assert first is not None, (section, key)
            assert V.supported("6.1", section, key)
        assert V.keys("6.1", section) == frozenset(info["keys"]), section
    assert set(V.sections("6.1")) == set(data["groups"])
    assert set(V.SERVICE_KEYS_WARNED) == set(data["unsupported_service_keys_warning"])
    assert {k for _, k in V.DEPRECATED} == set(data["deprecated"])


def test_keys_only_grow() -> None:
    for older, newer in itertools.pairwise(V.VERSIONS):
        assert set(V.unit_types(older)) <= set(V.unit_types(newer))
        for section in V.sections(older):
            assert V.keys(older, section) <= V.keys(newer, section), (older, newer, section)


def test_api_examples() -> None:
    assert V.unit_types("4.4") == ("container", "volume", "network", "kube")
    assert "pod" in V.unit_types("5.0") and "pod" not in V.unit_types("4.9")
    assert V.since("Container", "Image") == "4.4"
    assert V.since("Container", "AppArmor") == "5.8"
    assert V.since("Container", "NoSuchKey") is None
    assert V.supported("5.4.2", "Pod", "ShmSize") and not V.supported("5.3", "Pod", "ShmSize")
    assert V.supported("v6.1", "Volume", "UID") and not V.supported("5.8", "Volume", "UID")
    assert V.supported("4.4", "Service", "Restart")  # pass-through section
    assert not V.supported("4.4", "Quadlet", "DefaultDependencies")
    assert V.normalize_version("5.4.2") == "5.4"
    with pytest.raises(ValueError):
        V.normalize_version("3.4")
    with pytest.raises(ValueError):
        V.normalize_version("banana")


# ---------------------------------------------------------------------------
# The real generators: one tiny unit per (section, key), one generator run per version.

BOGUS_KEY = "HostformNoSuchKey"
_UNSUPPORTED = re.compile(r"unsupported key '([^']*)' in group '([^']*)' in (\S+)")


# Keys some generators check before unknown keys (5.4's .build wants ImageTag first).
_REQUIRED = {
    "Container": "Image=localhost/x\n",
    "Image": "Image=localhost/x\n",
    "Build": "ImageTag=localhost/x\nFile=/dev/null\n",
    "Kube": "Yaml=/dev/null\n",
    "Artifact": "Artifact=localhost/x\n",
}


def _all_keys() -> dict[str, set[str]]:
    latest = V.VERSIONS[-1]
    return {s: set(V.keys(latest, s)) | {BOGUS_KEY} for s in V.sections(latest)}


def probe(binary: Path, unit_types: tuple[str, ...]) -> tuple[dict[str, set[str]], set[str]]:
    """(section -> keys the generator accepted, unit types it converted) for every key in the table."""
    files: dict[str, tuple[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="hostform-probe-") as tmp:
        d = Path(tmp)
        for section, names in _all_keys().items():
            for i, key in enumerate(sorted(names)):
                if section == "Quadlet":
                    unit_type, text = "container", f"[Container]\nImage=localhost/x\n[Quadlet]\n{key}=1\n"
                else:
                    unit_type = section.lower()
                    text = f"[{section}]\n{_REQUIRED.get(section, '')}{key}=1\n"
                name = f"p-{section.lower()}-{i}.{unit_type}"
                (d / name).write_text(text)
                files[name] = (section, key)
        code, units, stderr = run_real(d, binary=binary, timeout=120)
    rejected = {(m.group(2), m.group(1)) for m in _UNSUPPORTED.finditer(stderr)}
    # -dryrun logs every file it loads: the unit types this generator knows.
    converted = {m.rsplit(".", 1)[1] for m in re.findall(r"Loading source unit file \S*/(p-\S+)", stderr)}
    accepted: dict[str, set[str]] = {}
    for name, (section, key) in files.items():
        if name.rsplit(".", 1)[1] in unit_types and (section, key) not in rejected:
            accepted.setdefault(section, set()).add(key)
    return accepted, converted


@pytest.mark.parametrize(
    ("version", "fixture"),
    [("5.4", "real_quadlet"), ("5.8", "real_quadlet_58"), ("6.1", "real_quadlet_61")],
)
def test_table_matches_real_generator(version: str, fixture: str, request: pytest.FixtureRequest) -> None:
    binary: Path = request.getfixturevalue(fixture)
    types = V.unit_types(version)
    accepted, converted = probe(binary, types)
    # Unit types: the generator looks only at the extensions it knows.
    assert converted == set(types)
    for section in V.sections(V.VERSIONS[-1]):
        expected = set(V.keys(version, section)) if section in V.sections(version) else set()
        if section.lower() not in types and section != "Quadlet":
            continue
        got = accepted.get(section, set())
        assert BOGUS_KEY not in got, f"{section}: the probe did not reach the unknown-key check"
        assert got == expected, f"{section}: real-only {sorted(got - expected)}, table-only {sorted(expected - got)}"
