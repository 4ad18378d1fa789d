"""Property: whatever Compose document comes in, the import does not crash, and what it writes is a host file
the host file's own loader accepts (so `hostform build` reads it), byte-identical on a second run."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostform.compose import import_compose
from hostform.host.load import load_text

names = st.sampled_from(["web", "db", "My_App", "caddy", "sshd", "x-y", "a.b", "worker", "podman-x", "A", "hostform"])
words = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12)
scalars = st.one_of(words, st.integers(-5, 70000), st.booleans(), st.none(), st.sampled_from(
    ["80:80", "127.0.0.1:8080:80", "443", "53:53/udp", "[::1]:9000:9000", "1000-1002:1000-1002", "./data:/data:ro",
     "vol:/var/lib/x", "/etc/localtime:/etc/localtime", "${A:-x}", "$$", "${B:?nope}", "nginx", "ghcr.io/a/b:1",
     "CMD-SHELL", "unless-stopped", "on-failure:3", "512m", "0.5", "service_healthy", "host", "none", "service:web"]))


def values(depth: int = 2) -> st.SearchStrategy[object]:
    if depth == 0:
        return scalars
    return st.one_of(scalars, st.lists(values(depth - 1), max_size=3),
                     st.dictionaries(st.one_of(words, names, st.sampled_from(["condition", "test", "target", "source", "published"])),
                                     values(depth - 1), max_size=3))


service_keys = st.sampled_from(["image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose",
                                "volumes", "depends_on", "healthcheck", "restart", "deploy", "mem_limit", "cpus", "user",
                                "labels", "read_only", "init", "secrets", "configs", "networks", "network_mode", "privileged",
                                "cap_add", "sysctls", "ulimits", "tmpfs", "shm_size", "hostname", "profiles", "extends",
                                "container_name", "x-note", "logging", "stop_grace_period"])
services = st.dictionaries(names, st.dictionaries(service_keys, values(), max_size=6), max_size=4)
documents = st.fixed_dictionaries({"services": services}, optional={
    "volumes": st.dictionaries(names, st.one_of(st.none(), values(1)), max_size=2),
    "secrets": st.dictionaries(names, st.fixed_dictionaries({"file": st.just("./s.txt")}), max_size=2),
    "name": words, "x-anchors": values(1),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents)
def test_any_compose_document_imports_to_a_host_file_that_loads(tmp_path: Path, doc: dict[str, object]) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True))
    first = import_compose([(f, "compose.yaml")], tmp_path, {"A": "1"})
    assert first.host_text is not None
    loaded = load_text(first.host_text, "hostform.yaml")
    assert not loaded.report.is_fatal(), loaded.report.format() + first.host_text
    assert all(f.code.startswith("HF6") and f.at.file for f in first.findings)
    again = import_compose([(f, "compose.yaml")], tmp_path, {"A": "1"})
    assert again == first
