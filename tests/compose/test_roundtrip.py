"""Compose -> hostform.yaml -> Kubernetes keeps every service and every port, for the whole corpus.

Each corpus entry is imported (`hostform import compose`) and exported (`hostform export kubernetes`) as a user
runs them. Then, for every service compose-go (tests/go/composeconfig) sees in the Compose project, unless the
import's report names it as not carried: a workload (Deployment or StatefulSet; a CronJob for a job) of that
name. For every port of such a service, unless the import's report names it: its container port is a
containerPort of the workload; a published port keeps its host port (hostPort); a port the host file serves
(`port`, or a site) is a port of the Service of that name; and each site of the service is an Ingress rule for
its domain to that Service and port.

Kubernetes names are DNS-1123: a name with '_' or '.' becomes '-' (the export notes it, HF702).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compose.coverage import (
    Entry,
    Output,
    RawFiles,
    clean_env,
    compose_config,
    corpus_entries,
    port_reported,
    publish_entries,
    run_import,
)
from tests.require import go_helper

ENTRIES = corpus_entries()
WORKLOADS = ("Deployment", "StatefulSet")


@pytest.fixture(scope="module")
def oracle() -> str:
    return go_helper("composeconfig")


def k8s_name(name: str) -> str:
    """The DNS-1123 label the export gives a hostform name."""
    return re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")


def _objects(manifests: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in yaml.safe_load_all(manifests.read_text()):
        if doc:
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in out, f"two objects {key}"
            out[key] = doc
    return out


def _container_ports(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]
    pod = spec["jobTemplate"]["spec"]["template"]["spec"] if workload["kind"] == "CronJob" else spec["template"]["spec"]
    return [p for c in pod["containers"] for p in c.get("ports") or []]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_compose_to_kubernetes_keeps_every_service_and_port(entry: Entry, oracle: str, tmp_path: Path):
    work = tmp_path / entry.name
    shutil.copytree(entry.path, work)
    env = clean_env(work, tmp_path / "home")
    project = compose_config(oracle, work, entry.files, env)
    imported = run_import(work, entry.files, env)
    assert imported.returncode == 0, imported.stderr
    out_dir = tmp_path / "k8s"
    exported = subprocess.run([sys.executable, "-m", "hostform", "export", "kubernetes", str(work), "-o", str(out_dir)],
                              cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert exported.returncode == 0, exported.stderr
    objects = _objects(out_dir / "manifests.yaml")
    export_notes, bad = parse_export_report(out_dir / "export-report.txt")
    assert bad == []

    out = Output.read(work)
    raw = RawFiles(work)
    files = [str(f) for f in project.get("compose_files") or []]
    sites = {domain: (site if isinstance(site, dict) else {"service": site}) for domain, site in (out.host.get("sites") or {}).items()}
    lost: list[str] = []
    for name, svc in sorted({**project["disabled_services"], **project["services"]}.items()):
        if any(line.path == f"services.{name}" for line in out.report):
            continue  # not carried, and the import said so
        hsvc = (out.host.get("services") or {}).get(name)
        if hsvc is None:
            if name in (out.host.get("jobs") or {}):
                if ("CronJob", k8s_name(name)) not in objects:
                    lost.append(f"job {name}: no CronJob {k8s_name(name)}")
            elif name in out.quadlets:
                if not any(path.startswith("quadlets") for path in export_notes):
                    lost.append(f"service {name}: a quadlet of the import, neither exported nor noted by the export")
            continue
        k = k8s_name(name)
        if k != name and f"services.{name}" not in export_notes:
            lost.append(f"service {name}: named {k} in Kubernetes without a note at services.{name}")
        workload = next((objects[(kind, k)] for kind in WORKLOADS if (kind, k) in objects), None)
        if workload is None:
            lost.append(f"service {name}: no Deployment or StatefulSet {k}")
            continue
        cports = _container_ports(workload)
        service = objects.get(("Service", k))
        service_targets = {p.get("targetPort", p["port"]) for p in (service or {}).get("spec", {}).get("ports", [])}
        served = {*([hsvc["port"]] if hsvc.get("port") else []),
                  *(site.get("port", hsvc.get("port")) for site in sites.values() if site.get("service") == name)}
        published_here = publish_entries(hsvc)
        for port in svc.get("ports") or []:
            target = int(port["target"])
            published = str(port.get("published") or "")
            proto = (port.get("protocol") or "tcp").upper()
            as_published = any(c == str(target) and pr.upper() == proto and (not published or h == published) for _, h, c, pr in published_here)
            as_served = target in served
            if not as_published and not as_served:
                if not port_reported(out, raw, files, name, target):
                    lost.append(f"services.{name}: port {published or '-'}:{target}/{proto}: not carried by the import, and not in its report")
                continue
            if not any(p["containerPort"] == target and p.get("protocol", "TCP") == proto for p in cports):
                lost.append(f"services.{name}: port {published or '-'}:{target}/{proto}: no containerPort {target} in {workload['kind']} {k}")
            elif as_published and published and not any(
                    p["containerPort"] == target and str(p.get("hostPort")) == published and p.get("protocol", "TCP") == proto for p in cports):
                lost.append(f"services.{name}: port {published}:{target}/{proto}: the workload's containerPort {target} has no hostPort {published}")
            if as_served and target not in service_targets:
                lost.append(f"services.{name}: port {target} is served (port or site), but the Service {k} has no port for it")
        for domain, site in sorted(sites.items()):
            if site.get("service") != name:
                continue
            ingress = objects.get(("Ingress", domain))
            want = {"name": k, "port": {"number": site.get("port", hsvc.get("port"))}}
            rules = (ingress or {}).get("spec", {}).get("rules", [])
            if not any(r.get("host") == domain and any(p["backend"]["service"] == want for p in r["http"]["paths"]) for r in rules):
                lost.append(f"sites.{domain}: no Ingress rule for {domain} to the Service {k} port {want['port']['number']}")
    assert lost == [], "\n".join(lost)


def parse_export_report(path: Path) -> tuple[set[str], list[str]]:
    """The key paths of hostform.yaml that export-report.txt names (FILE:LINE:COL: severity[HF7xx]: PATH: ...)."""
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("nothing to report")]
    paths: set[str] = set()
    bad: list[str] = []
    for line in lines:
        m = re.match(r"^.+?:\d+:\d+: \w+\[HF7\d\d\]: (?P<path>[^\s:][^\s]*?): ", line)
        if m is None:
            bad.append(line)
        else:
            paths.add(m["path"])
    return paths, bad

