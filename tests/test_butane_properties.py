"""Property-based tests: no Butane input makes `hostform butane` crash.

Every run must end in valid output (exit 0, an Ignition config on stdout that
our validator accepts) or a clean error (exit 1, a message on stderr, nothing
on stdout) -- never a traceback (exit 3) and never a hang.

Inputs come from three generators: random text, random structured documents
built from Butane's own vocabulary, and mutations of the conformance corpus's
real inputs (which reach deep into the translator).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import yaml as pyyaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hostform.cli.main import main as hostform_main
from tests.require import no_shared

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "butane" / "cases"
CORPUS = sorted((p / "input.bu").read_text(encoding="utf-8") for p in CASES.iterdir() if (p / "input.bu").exists()) if CASES.is_dir() else []

VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "1.6.0", "1.7.0", "1.8.0-experimental", "1.9.0", "2", ""]
KEYS = [
    "storage", "files", "directories", "links", "trees", "path", "mode", "contents", "inline", "local",
    "source", "compression", "verification", "hash", "append", "overwrite", "user", "group", "name", "id",
    "target", "hard", "systemd", "units", "dropins", "enabled", "mask", "contents_local", "passwd", "users",
    "groups", "ssh_authorized_keys", "ssh_authorized_keys_local", "password_hash", "ignition", "config",
    "merge", "replace", "security", "tls", "certificate_authorities", "proxy", "http_proxy", "no_proxy",
    "kernel_arguments", "should_exist", "should_not_exist", "disks", "device", "partitions", "wipe_table",
    "label", "number", "size_mib", "start_mib", "type_guid", "raid", "level", "devices", "spares",
    "filesystems", "format", "wipe_filesystem", "with_mount_unit", "mount_options", "luks", "clevis",
    "tang", "url", "thumbprint", "tpm2", "threshold", "boot_device", "layout", "mirror", "grub", "quadlets",
    "http_headers", "value", "timeouts", "http_total", "variant", "version",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from(["/etc/x", "/var/lib/a", "relative", "/", "a.service", "foo.container", "0644", "data:,x",
                     "https://example.com/x", "sha512-00", "x86_64", "aarch64", "raid1", "ext4", "xfs", "", "~"]),
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=25,
)


def run_butane(text: str, tmp_path: Path, extra: list[str] | None = None) -> tuple[int, str, str]:
    src = tmp_path / "input.bu"
    src.write_text(text, encoding="utf-8", errors="surrogatepass")
    out_b, err_b = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_b, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(err_b, encoding="utf-8", write_through=True)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = hostform_main(["butane", *(extra or ["-d", str(tmp_path)]), str(src)])
    finally:
        sys.stdout, sys.stderr = saved
    out.flush()
    err.flush()
    return code, out_b.getvalue().decode("utf-8", "replace"), err_b.getvalue().decode("utf-8", "replace")


def assert_clean(code: int, out: str, err: str) -> None:
    assert "Traceback" not in err, err
    assert code in (0, 1), (code, err)
    if code == 0:
        cfg = json.loads(out)
        assert cfg["ignition"]["version"].startswith("3.")
    else:
        assert err.strip(), "an error exit must say why"


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text(text, tmp_path):
    assert_clean(*run_butane(text, tmp_path))


@SETTINGS
@given(version=st.sampled_from(VERSIONS), body=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_random_structured_documents(version, body, tmp_path):
    doc = {"variant": "fcos", "version": version, **body}
    assert_clean(*run_butane(pyyaml.safe_dump(doc, allow_unicode=True), tmp_path))


# YAML text with merge keys, anchors, aliases and tags (yaml.safe_dump
# writes none of these: it quotes "<<"), in flow style so any node can carry them.
class _Map(list):
    """A flow mapping: (key, value) pairs."""


_TAGS = ["!!str ", "!!int ", "!!null ", "!!map ", "!!seq ", "!!binary ", "!!bool ", "!!float "]
_RAW = st.sampled_from(["''", "1", "0644", "/etc/x", "abc", "~", "true", "x y", "[]", "{}", "-1", "0x1f", "'<<'", "{path: /a}"])
_FLOW = st.recursive(
    st.one_of(_RAW, st.builds(lambda i: ("alias", i), st.integers(0, 3))),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from([*KEYS, "<<", "<<", ("alias", 0), ("alias", 1)]), inner, max_size=4).map(lambda d: _Map(d.items())),
        st.tuples(st.just("anchor"), st.integers(0, 3), inner),
        st.tuples(st.just("tag"), st.sampled_from(_TAGS), inner),
    ),
    max_leaves=14,
)


def _emit(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, tuple):
        if v[0] == "alias":
            return f"*a{v[1]} "  # a space: ':' may follow
        if v[0] == "anchor":
            return f"&a{v[1]} {_emit(v[2])}"
        return v[1] + _emit(v[2])
    if isinstance(v, _Map):
        return "{" + ", ".join(f"{_emit(k)}: {_emit(x)}" for k, x in v) + "}"
    return "[" + ", ".join(_emit(x) for x in v) + "]"


@SETTINGS
@given(version=st.sampled_from(VERSIONS[:8]), body=st.lists(st.tuples(st.sampled_from([*KEYS, "<<", "x"]), _FLOW), max_size=6))
@example(version="1.5.0", body=[("<<", "''")])  # once a traceback
@example(version="1.5.0", body=[("storage", _Map([("<<", ("alias", 0)), ("files", ("anchor", 0, _Map([("<<", ("alias", 0))])))]))])
def test_merge_keys_anchors_and_aliases(version, body, tmp_path):
    text = f"variant: fcos\nversion: {version}\n" + "".join(f"{k}: {_emit(v)}\n" for k, v in body)
    assert_clean(*run_butane(text, tmp_path))


@pytest.mark.skipif(not CORPUS, reason=no_shared(CASES))
@SETTINGS
@given(data=st.data())
def test_mutated_corpus_inputs(data, tmp_path):
    text = data.draw(st.sampled_from(CORPUS))
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        op = data.draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "scalar", "char", "swap"]))
        line = lines[i]
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "indent":
            lines[i] = "  " + line
        elif op == "dedent":
            lines[i] = line[2:] if line.startswith("  ") else line
        elif op == "scalar" and ":" in line:
            key = line.split(":", 1)[0]
            lines[i] = key + ": " + data.draw(st.sampled_from(["", "[]", "{}", "0", "-1", "true", "yes", "'x'", "/", "a b", "0777777", "null", "[1, 2]"])) + "\n"
        elif op == "char":
            j = data.draw(st.integers(min_value=0, max_value=len(line)))
            lines[i] = line[:j] + data.draw(st.sampled_from(["\t", "'", '"', "{", "[", ":", "-", "#", "&a", "*a", "!!int ", "\\", "<<: *a\n", "&a ", "*a ", "<<: "])) + line[j:]
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
    assert_clean(*run_butane("".join(lines), tmp_path))
