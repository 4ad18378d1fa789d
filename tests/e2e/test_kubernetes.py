"""`hostform export kubernetes` played by podman on a booted machine (issue 16): `podman kube play` of the
exported manifests serves the site, with the Deployments, the PersistentVolumeClaim, the ConfigMaps and the
Secrets each used.

The project is made as a user makes it: an age identity, the two secrets' values set with `hostform secret
set`, then `hostform export kubernetes --workload deployment` (podman runs no StatefulSet). On a machine
booted from a host with no service of its own, the user makes the two Secrets as `kubectl create secret
generic NAME --from-file=value=...` writes them (the key is `value`: docs/kubernetes.md), plays them, then
plays manifests.yaml as exported, with `--publish-all` (each pod's containerPort on the machine's own port).
- notes (a volume, a secret as an environment variable, env): keeps a random id in its volume and serves
  "notes TITLE id ID key SHA" (TITLE from its ConfigMap, SHA the start of sha256 of the secret);
- site (depends on notes, an http health check, a secret as a file, env): fetches notes' page by the name
  `notes` (as the Service would answer it in a cluster), and serves GREETING, the banner and that page.
Checked: the page a visitor gets through the machine's published port, each part from where it must come
(the id is the file in the podman volume named after the claim); what podman left out (the Service, the
Ingress, the CronJob: its own "not supported" lines); the probe podman runs for the health check (`podman
inspect`: the command, its interval, timeout and retries, restart on failure), healthy, and a failing check
restarting the container.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from hostform import oci
from hostform._runner import wait_until
from hostform.tryout import commands as C
from hostform.tryout.harness import Machine, free_port
from tests.e2e._site import PODMANS
from tests.e2e.conftest import HOSTFORM
from tests.require import need

pytestmark = pytest.mark.e2e

LIBDIR = "usr/lib/x86_64-linux-gnu"
LOADER = Path("/lib64/ld-linux-x86-64.so.2")
SECRET_KEY = "value"  # the key of each Secret the exported pods read (docs/kubernetes.md)
GREETING = "hello from the site's ConfigMap"
TITLE = "kept notes"

HOST = """\
name: kubehost
podman: "{podman}"
butane_version: 1.4.0
recipients: [{recipient}]
services:
  site:
    image: {registry}/web:1
    command:
      - sh
      - -c
      - >-
        mkdir -p /www;
        until wget -q -O /www/notes.txt http://notes:8081/; do sleep 1; done;
        {{ echo "$GREETING"; cat /run/secrets/site-banner; echo; cat /www/notes.txt; }} > /www/index.html;
        echo ok > /www/healthz;
        exec httpd -f -p 8080 -h /www
    port: 8080
    env: {{GREETING: "{greeting}"}}
    secrets: [site-banner]
    depends_on: [notes]
    health: {{http: /healthz, interval: 2s, timeout: 3s, retries: 2, start_period: 1s}}
  notes:
    image: {registry}/web:1
    command:
      - sh
      - -c
      - >-
        test -s /data/id || cat /proc/sys/kernel/random/uuid > /data/id;
        mkdir -p /www;
        echo "notes $TITLE id $(cat /data/id) key $(printf %s "$NOTES_KEY" | busybox sha256sum | busybox cut -c1-16)" > /www/index.html;
        exec httpd -f -p 8081 -h /www
    port: 8081
    env: {{TITLE: "{title}"}}
    secrets: [{{name: notes-key, env: NOTES_KEY}}]
    volumes: {{notes-data: /data}}
jobs:
  tick:
    image: {registry}/web:1
    command: [/bin/true]
    schedule: hourly
sites:
  kube.test: site
tls: {{ca: internal}}
"""
BARE_HOST = 'name: kubehost\npodman: "{podman}"\nbutane_version: 1.4.0\n'  # the machine's own host: no service


def curl_layer() -> oci.Layer:
    """The test host's curl, with every library it loads and the loader, at the paths Debian puts them:
    podman runs an httpGet probe as `curl -f` inside the container (a cluster's kubelet needs no curl)."""
    curl = shutil.which("curl")
    if curl is None or not LOADER.is_file():
        need(f"no curl or no {LOADER} on this machine (the image's curl is the test host's)")
    listed = subprocess.run([str(LOADER), "--list", curl], capture_output=True, text=True, check=True).stdout
    entries = [
        oci.Entry.file("usr/bin/curl", Path(curl).read_bytes(), 0o755),
        oci.Entry.file(f"usr/lib64/{LOADER.name}", LOADER.resolve().read_bytes(), 0o755),
        oci.Entry.symlink("lib64", "usr/lib64"),
    ]
    for line in listed.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if arrow and not name.startswith("/"):
            entries.append(oci.Entry.file(f"{LIBDIR}/{name}", Path(rest.rsplit(" (", 1)[0]).resolve().read_bytes(), 0o755))
    return oci.layer_from_entries(entries)


def hostform(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HOSTFORM, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300)


def export(tmp: Path, podman: str, values: dict[str, str]) -> Path:
    """A fresh identity, the host file naming it, the secrets set, `hostform export kubernetes`: manifests.yaml."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTFORM_AGE")}
    env["XDG_CONFIG_HOME"] = str(tmp / "config")
    d = tmp / "project"
    d.mkdir(parents=True)
    r = hostform("secret", "keygen", env=env)
    assert r.returncode == 0, r.stderr
    host = HOST.format(podman=podman, recipient=r.stdout.strip(), registry=C.registry_name_in_guest(), greeting=GREETING, title=TITLE)
    (d / "hostform.yaml").write_text(host)
    for name, value in values.items():
        r = hostform("secret", "set", name, str(d), env=env, stdin=value)
        assert r.returncode == 0, r.stderr
    out = tmp / "k8s"
    r = hostform("export", "kubernetes", str(d), "-o", str(out), "--workload", "deployment", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return out / "manifests.yaml"


def secret_manifest(name: str, value: str) -> dict[str, Any]:
    """What `kubectl create secret generic NAME --from-file=value=FILE --dry-run=client -o yaml` writes."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque",
            "data": {SECRET_KEY: base64.b64encode(value.encode()).decode()}}


def inspect(m: Machine, name: str) -> dict[str, Any]:
    doc: list[dict[str, Any]] = json.loads(m.exec(["podman", "inspect", name]).stdout)
    return doc[0]


def fetch(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as res:  # noqa: S310
            return res.status, res.read().decode()
    except (OSError, urllib.error.URLError) as e:
        return 0, str(e)


@pytest.mark.parametrize(("variant", "podman"), PODMANS)
def test_podman_kube_play_of_the_export_serves_the_site(
    runner, cache, busybox, registry, machines, build_host, variant: str, podman: str, tmp_path: Path
) -> None:
    t0 = time.monotonic()
    values = {"notes-key": "key-" + secrets.token_hex(8), "site-banner": "banner-" + secrets.token_hex(8)}
    oci.push(oci.Image([oci.busybox_image(busybox).layers[0], curl_layer()], cmd=["/bin/sh"]), registry.address, "web", "1")
    manifests = export(tmp_path, podman, values)
    text = manifests.read_text()
    for value in values.values():  # references by name, never the values
        assert value not in text and base64.b64encode(value.encode()).decode() not in text
    kinds = [d["kind"] for d in yaml.safe_load_all(text) if d]
    assert {"Deployment", "PersistentVolumeClaim", "ConfigMap", "Service", "Ingress", "CronJob"} <= set(kinds), kinds
    assert "StatefulSet" not in kinds, kinds

    m = Machine(build_host(tmp_path / "bare", BARE_HOST.format(podman=podman)), tmp_path / "m", cache, runner, registry_port=registry.port)
    m.variant = variant
    machines.append(m)
    m.provision()
    m.boot()
    # until the boot is done: systemd-tmpfiles empties /var/tmp, where podman builds its pause image on the first play
    assert m.exec(["systemctl", "is-system-running", "--wait"], check=False, timeout=180).stdout.strip() in ("running", "degraded")
    assert m.root is not None
    work = m.root / "root/k8s"
    work.mkdir(parents=True)
    (work / "manifests.yaml").write_text(text)
    (work / "secrets.yaml").write_text(yaml.safe_dump_all([secret_manifest(n, v) for n, v in sorted(values.items())]))
    assert m.exec(["podman", "--version"]).stdout.startswith(f"podman version {podman}.")

    secrets_played = m.exec(["podman", "kube", "play", "/root/k8s/secrets.yaml"], check=False)
    assert secrets_played.ok, secrets_played.stdout + secrets_played.stderr
    played = m.exec(["podman", "--log-level=info", "kube", "play", "--publish-all", "/root/k8s/manifests.yaml"], check=False, timeout=300)
    assert played.ok, played.stdout + played.stderr
    # what podman left out, in its own words: it runs no Service, Ingress or CronJob
    skipped = sorted(set(re.findall(r"Kube kind (\w+) not supported", played.stderr)))
    assert skipped == ["CronJob", "Ingress", "Service"], played.stderr

    # the site through the machine's port 8080 (the site pod's containerPort, published)
    port = free_port()
    m.publish(port, 8080)
    assert wait_until(lambda: fetch(port)[0] == 200, 90, 0.5), (fetch(port), m.exec(["podman", "ps", "-a"]).stdout,
                                                                m.exec(["podman", "logs", "site-pod-site"], check=False).stderr)
    status, body = fetch(port)
    print(f"\nserved ({podman}) {time.monotonic() - t0:.0f}s after the test began: {body!r}")
    # the id notes keeps is the file in the podman volume named after the claim
    volume = m.exec(["podman", "volume", "inspect", "notes-data", "--format", "{{.Mountpoint}}"]).stdout.strip()
    ident = m.exec(["cat", f"{volume}/id"]).stdout.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", ident), ident
    key = hashlib.sha256(values["notes-key"].encode()).hexdigest()[:16]
    assert (status, body) == (200, f"{GREETING}\n{values['site-banner']}\nnotes {TITLE} id {ident} key {key}\n")
    notes = inspect(m, "notes-pod-notes")
    assert {"Type": "volume", "Name": "notes-data", "Destination": "/data"}.items() <= notes["Mounts"][0].items(), notes["Mounts"]

    # the health check: podman runs the exported probe as its own health check, restarting on failure
    site = inspect(m, "site-pod-site")
    check = site["Config"]["Healthcheck"]
    assert check["Test"] == ["CMD-SHELL", "curl", "-f", "http://localhost:8080/healthz", "||", "exit", "1"], check
    assert (check["Interval"], check["Timeout"], check["Retries"]) == (2_000_000_000, 3_000_000_000, 2), check
    assert site["Config"]["HealthcheckOnFailureAction"] == "restart"
    startup = site["Config"]["StartupHealthCheck"]  # the startupProbe: the same request until it first passes
    assert (startup["Test"], startup["Interval"]) == (check["Test"], check["Interval"]), startup
    assert wait_until(lambda: inspect(m, "site-pod-site")["State"]["Health"]["Status"] == "healthy", 30, 0.5)
    runs = inspect(m, "site-pod-site")["State"]["Health"]["Log"]
    assert runs[-1]["ExitCode"] == 0 and "ok" in runs[-1]["Output"], runs  # curl got /healthz's body
    # a failing check (no /healthz): unhealthy after 2 runs, and podman restarts the container
    assert site["RestartCount"] == 0
    m.exec(["podman", "exec", "site-pod-site", "busybox", "rm", "/www/healthz"])
    assert wait_until(lambda: inspect(m, "site-pod-site")["RestartCount"] >= 1, 60, 0.5), inspect(m, "site-pod-site")["State"]
    assert wait_until(lambda: fetch(port) == (200, body), 60, 0.5), fetch(port)  # the restarted site serves again
    print(f"checked ({podman}) in {time.monotonic() - t0:.0f}s; boot {m.timings}")
