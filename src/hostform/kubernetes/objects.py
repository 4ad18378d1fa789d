"""The host as Kubernetes objects: :func:`export` (a loaded host in, the objects and the notes out).

One object list serves both outputs: the plain manifests write each :class:`~.yaml.Hole` as its
default, the chart as the expression reading values.yaml (:mod:`.chart`). Every key of the host file
that Kubernetes cannot say, or says differently, is a note (a :class:`~hostform.diagnostics.Diagnostic`
at the key's place in the host file, its path first in the message), never dropped silently.

What becomes what (docs/kubernetes.md says why):

- a service: a Deployment (a StatefulSet when it has volumes, unless ``workload="deployment"``),
  one replica; a Service when it has a ``port`` or a site proxies to it; its ``env`` a ConfigMap
  (``envFrom``); a secret as ``env`` a ``secretKeyRef``, as a file a Secret volume (key ``value``);
  ``health`` a startup, readiness and liveness probe; ``publish`` a ``hostPort``;
- a volume: one PersistentVolumeClaim, mounted by every service and job that names it;
- a job: a CronJob (``concurrencyPolicy: Forbid``), its schedule in cron (:mod:`.cron`);
- a site: an Ingress (its address and aliases, path ``/``), TLS by cert-manager.
"""

from __future__ import annotations

import json
import math
import posixpath
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from hostform.diagnostics import Diagnostic, Report
from hostform.host import model as m
from hostform.host.model import KeyPath
from hostform.kubernetes.cron import to_cron
from hostform.kubernetes.names import Names, headless, subdomain, to_label
from hostform.kubernetes.yaml import Hole
from hostform.timespec import USEC_INFINITY, Invalid, parse_go_duration, parse_timespan

__all__ = ["DEFAULT_VOLUME_SIZE", "ISSUERS", "Exported", "Workload", "export", "split_image"]

Workload = Literal["auto", "deployment"]
Where = Callable[[KeyPath], tuple[int, int]]

DEFAULT_VOLUME_SIZE = "1Gi"
# tls.ca -> the cert-manager ClusterIssuer the Ingresses name (the cluster's to create)
ISSUERS = {"production": "letsencrypt-prod", "staging": "letsencrypt-staging", "internal": "hostform-internal-ca"}
SECRET_KEY = "value"  # the key of each Secret the pods read: `kubectl create secret generic NAME --from-file=value=FILE`
NAME_LABEL = "app.kubernetes.io/name"
PART_OF = "app.kubernetes.io/part-of"
MANAGED_BY = "app.kubernetes.io/managed-by"
MAX_ID = 2**31 - 1  # the largest runAsUser and runAsGroup the API server takes
# podman's --read-only mounts a tmpfs on these (--read-only-tmpfs, on by default); a pod gets an emptyDir each
READ_ONLY_TMPFS = ("/run", "/tmp", "/var/tmp")
ANNOTATION_PREFIX = "hostform"  # hostform/depends-on, hostform/name


@dataclass(frozen=True)
class Exported:
    """What :func:`export` made: the objects in output order, the notes, and the chart's default values."""

    objects: tuple[dict[str, Any], ...]
    notes: Report
    values: dict[str, Any] = field(default_factory=dict)


def split_image(image: str) -> tuple[str, str, str]:
    """``registry/name:tag@digest`` -> (repository, tag, digest); the tag or digest may be ""."""
    ref, _, digest = image.partition("@")
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :], digest
    return ref, "", digest


def _go(s: str) -> str:
    """A Go template string literal."""
    return json.dumps(s, ensure_ascii=False)


def _seconds(go_duration: str) -> int:
    ns = parse_go_duration(go_duration)
    return 1 if isinstance(ns, Invalid) else max(1, math.ceil(ns / 1_000_000_000))


def _memory(value: str) -> str:
    """podman's memory (binary units b, k, m, g) as a Kubernetes quantity."""
    unit = value[-1].lower()
    if unit.isdigit():
        return value
    n = value[:-1]
    return {"b": n, "k": n + "Ki", "m": n + "Mi", "g": n + "Gi"}[unit]


def _cpus(value: str) -> str:
    milli = round(float(value) * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def _label_ok(key: str, value: str) -> tuple[bool, bool]:
    """(is ``key`` a valid label/annotation key, is ``value`` a valid label value)."""
    import re

    name_re = r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]"
    prefix, sep, name = key.rpartition("/")
    key_ok = re.fullmatch(name_re, name) is not None and (
        not sep or (len(prefix) <= 253 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", prefix) is not None)
    )
    value_ok = value == "" or re.fullmatch(name_re, value) is not None
    return key_ok, value_ok


class _Exporter:
    def __init__(self, host: m.Host, where: Where, file: str, workload: Workload, written: Collection[KeyPath]) -> None:
        self.host = host
        self.written = written
        self.where = where
        self.file = file
        self.workload = workload
        self.notes = Report()
        # a CronJob's and a StatefulSet's names are at most 52 characters (see names.py)
        short = {j.name: 52 for j in host.jobs} | {s.name: 52 for s in host.services if s.volumes}
        # a service's name is its Service's too: a DNS-1035 label, starting with a letter
        self.workloads = Names([s.name for s in host.services] + [j.name for j in host.jobs], short, {s.name for s in host.services})
        # each StatefulSet's headless Service, named apart from every service's own Service
        stateful = sorted(s.name for s in host.services if s.volumes and workload == "auto")
        taken = {self.workloads[s.name] for s in host.services}
        self.headless = {n: headless(self.workloads[n], taken) for n in stateful}
        self.containers: tuple[m.Service | m.Job, ...] = (*host.services, *host.jobs)
        vols = sorted({v for c in self.containers for v, _ in c.volumes})
        self.volumes = Names(vols)
        used = sorted({u.name for c in self.containers for u in c.secrets})
        self.secrets = Names(used)
        self.values: dict[str, Any] = {"services": {}, "jobs": {}, "volumes": {}, "sites": {}, "ingress": {}}

    # -- notes
    def note(self, code: str, path: KeyPath, msg: str, severity: str = "warning", at: KeyPath | None = None) -> None:
        line, col = self.where(at if at is not None else path)
        shown = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[") or "hostform.yaml"
        self.notes.add(Diagnostic(severity, code, f"{shown}: {msg}", path, self.file, line, col))

    # -- shared pieces
    def labels(self, name: str) -> dict[str, str]:
        return {NAME_LABEL: name, PART_OF: self.host.name, MANAGED_BY: "hostform"}

    def selector(self, name: str) -> dict[str, str]:
        return {NAME_LABEL: name, PART_OF: self.host.name}

    def meta(self, name: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "labels": self.labels(name)}
        if extra:
            out["annotations"] = extra
        return out

    def image(self, kind: str, c: m.Service | m.Job) -> Hole:
        repo, tag, digest = split_image(c.image)
        self.values[kind].setdefault(c.name, {})["image"] = {"repository": repo, "tag": tag, "digest": digest}
        return Hole(c.image, f'include "hostform.image" (index .Values.{kind} {_go(c.name)}).image')

    def pull_secrets(self, image: str) -> list[dict[str, str]]:
        out = []
        for reg in self.host.registries:
            if image == reg.host or image.startswith(reg.host + "/") or image.startswith(reg.host + ":"):
                out.append({"name": self.registry_secret(reg)})
        return out

    def registry_secret(self, reg: m.Registry) -> str:
        return to_label("registry-" + reg.host)

    def env_config(self, kind: str, c: m.Service | m.Job, name: str) -> dict[str, Any] | None:
        if not c.env:
            return None
        # labelled as its workload: NAME-env may be longer than a label value (63)
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-env", "labels": self.labels(name)},
                "data": dict(c.env)}

    def secret_env_and_mounts(self, c: m.Service | m.Job, taken: set[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """(env entries, volumes, volumeMounts) of the container's secrets."""
        env, vols, mounts = [], [], []
        for u in c.secrets:
            kname = self.secrets[u.name]
            if u.env is not None:
                env.append({"name": u.env, "valueFrom": {"secretKeyRef": {"name": kname, "key": SECRET_KEY}}})
                continue
            target = u.target or u.name
            path = target if target.startswith("/") else posixpath.join("/run/secrets", target)
            vname = to_label("secret-" + kname)
            n = 2
            while vname in taken:
                vname = to_label(f"secret-{kname}", 60) + f"-{n}"
                n += 1
            taken.add(vname)
            vols.append({"name": vname, "secret": {"secretName": kname}})
            mounts.append({"name": vname, "mountPath": path, "subPath": SECRET_KEY, "readOnly": True})
        return env, vols, mounts

    def volume_mounts(self, c: m.Service | m.Job) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[str]]:
        vols: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        for vname, target in c.volumes:
            k = self.volumes[vname]
            vols.append({"name": k, "persistentVolumeClaim": {"claimName": k}})
            mounts.append({"name": k, "mountPath": target})
        return vols, mounts, {v["name"] for v in vols}

    def user(self, c: m.Service | m.Job) -> dict[str, Any]:
        if c.user is None:
            return {}
        uid, _, gid = c.user.partition(":")
        if all(x.isdigit() and int(x) <= MAX_ID for x in (uid, *([gid] if gid else []))):
            out: dict[str, Any] = {"runAsUser": int(uid)}
            if gid:
                out["runAsGroup"] = int(gid)
            return out
        if all(x.isdigit() for x in c.user.split(":")):
            self.note("HF700", c.source + ("user",), f"{c.user!r}: Kubernetes takes a user and group up to {MAX_ID} "
                      "only (runAsUser, runAsGroup); the container runs as its image's user")
            return {}
        self.note("HF700", c.source + ("user",), f"{c.user!r} is a name: Kubernetes runs as a numeric user only "
                  "(runAsUser); the container runs as its image's user. Give the UID (and GID) to carry it")
        return {}

    def container(self, kind: str, c: m.Service | m.Job, name: str, pull: bool, cm: dict[str, Any] | None,
                  command: list[str], args: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """(the container up to its environment, the pod's volumes, the container's volume mounts)."""
        container: dict[str, Any] = {"name": name, "image": self.image(kind, c), "imagePullPolicy": "Always" if pull else "IfNotPresent"}
        if command:
            container["command"] = command
        if args:
            container["args"] = args
        if cm is not None:
            container["envFrom"] = [{"configMapRef": {"name": cm["metadata"]["name"]}}]
        vols, mounts, taken = self.volume_mounts(c)
        senv, svols, smounts = self.secret_env_and_mounts(c, taken)
        if senv:
            container["env"] = senv
        return container, vols + svols, mounts + smounts

    def read_only_tmpfs(self, volumes: list[dict[str, Any]], mounts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The emptyDir volumes (in memory, as podman's tmpfs) and mounts a read-only root filesystem gets at
        /run, /tmp and /var/tmp where no other volume is mounted (the writable places podman gives it)."""
        taken = {v["name"] for v in volumes}
        used = {mt["mountPath"] for mt in mounts}
        vols, out = [], []
        for path in READ_ONLY_TMPFS:
            if path in used:
                continue
            vname, n = to_label("tmpfs" + path), 2
            while vname in taken:
                vname, n = to_label("tmpfs" + path, 60) + f"-{n}", n + 1
            taken.add(vname)
            vols.append({"name": vname, "emptyDir": {"medium": "Memory"}})
            out.append({"name": vname, "mountPath": path})
        return vols, out

    def finish(self, container: dict[str, Any], c: m.Service | m.Job, mounts: list[dict[str, Any]], security: dict[str, Any]) -> None:
        """The container's last keys: its security context (the user, and ``security``) and its volume mounts."""
        sc = {**self.user(c), **security}
        if sc:
            container["securityContext"] = sc
        if mounts:
            container["volumeMounts"] = mounts

    def pod_spec(self, first: dict[str, Any], container: dict[str, Any], image: str, volumes: list[dict[str, Any]]) -> dict[str, Any]:
        spec: dict[str, Any] = {**first, "enableServiceLinks": False, "containers": [container]}
        pulls = self.pull_secrets(image)
        if pulls:
            spec["imagePullSecrets"] = pulls
        if volumes:
            spec["volumes"] = volumes
        return spec

    # -- services
    def service_objects(self, s: m.Service) -> list[dict[str, Any]]:
        name = self.workloads[s.name]
        src = s.source
        out: list[dict[str, Any]] = []
        cm = self.env_config("services", s, name)
        if cm is not None:
            out.append(cm)
        # entrypoint (podman --entrypoint: a JSON array or one word) = Kubernetes command; command = args
        command: list[str] = []
        args = list(s.command)
        if s.entrypoint is not None:
            try:
                ep = json.loads(s.entrypoint)
            except ValueError:
                ep = None
            words = list(ep) if isinstance(ep, list) and all(isinstance(w, str) for w in ep) else [s.entrypoint]
            if words and words != [""]:
                command = words
            elif s.command:  # the image's entrypoint cleared: the command is what runs
                command, args = args, []
            else:
                self.note("HF700", src + ("entrypoint",), "an empty entrypoint without a command runs nothing; Kubernetes "
                          "cannot clear the image's entrypoint alone: the image's entrypoint is kept")
        container, pod_volumes, mounts = self.container("services", s, name, s.auto_update, cm, command, args)
        if s.read_only:
            tmp_vols, tmp_mounts = self.read_only_tmpfs(pod_volumes, mounts)
            pod_volumes, mounts = tmp_vols + pod_volumes, tmp_mounts + mounts
        ports: list[dict[str, Any]] = []
        service_ports = sorted({*([s.port] if s.port else []), *(sp.port for sp in self.host.sites if sp.service == s.name)})
        for p in service_ports:
            ports.append({"containerPort": p, "protocol": "TCP"})
        for i, pub in enumerate(s.publish):
            parsed = m.parse_publish(pub)
            if parsed is None:
                continue
            ip, host_port, cport, proto = parsed
            entry: dict[str, Any] = {"containerPort": cport, "hostPort": host_port, "protocol": proto.upper()}
            if ip:
                entry["hostIP"] = ip
            same = [x for x in ports if (x["containerPort"], x["protocol"]) == (cport, proto.upper()) and "hostPort" not in x]
            if same:  # the service's port, published: one entry
                same[0].clear()
                same[0].update(entry)
            else:
                ports.append(entry)
            self.note("HF704", src + ("publish", i), f"{pub}: a hostPort on the node the pod runs on (as podman's "
                      "PublishPort on the VM); for a stable address across nodes use a Service of type NodePort or "
                      "LoadBalancer instead", "info")
        if ports:
            container["ports"] = ports
        if s.health is not None:
            container.update(self.probes(s))
        res: dict[str, str] = {}
        if s.memory:
            res["memory"] = _memory(s.memory)
        if s.cpus:
            res["cpu"] = _cpus(s.cpus)
        if res:
            container["resources"] = {"limits": res}
        self.finish(container, s, mounts, {"readOnlyRootFilesystem": True} if s.read_only else {})
        pod_labels = dict(self.selector(name))
        annotations: dict[str, str] = {}
        for k, v in s.labels:
            key_ok, value_ok = _label_ok(k, v)
            if k in pod_labels or k == MANAGED_BY:
                self.note("HF700", src + ("labels", k), "hostform sets this label itself (the selector): not carried")
            elif key_ok and value_ok:
                pod_labels[k] = v
            elif key_ok:
                annotations[k] = v
                self.note("HF704", src + ("labels", k), "not a valid label value (at most 63 letters, digits, '-', '_' "
                          "and '.'): carried as a pod annotation", "info")
            else:
                self.note("HF700", src + ("labels", k), "not a valid Kubernetes label or annotation key: not carried")
        if s.depends_on:
            annotations[f"{ANNOTATION_PREFIX}/depends-on"] = ",".join(self.workloads[d] for d in s.depends_on)
            self.note("HF704", src + ("depends_on",), "Kubernetes starts every pod at once: a pod whose dependency is "
                      "not ready yet fails and is restarted until it is (its readiness probe keeps traffic away meanwhile); "
                      f"recorded as the annotation {ANNOTATION_PREFIX}/depends-on, no init container is added", "info")
        pod_spec = self.pod_spec({}, container, s.image, pod_volumes)
        template: dict[str, Any] = {"metadata": {"labels": pod_labels}, "spec": pod_spec}
        if annotations:
            template["metadata"]["annotations"] = dict(sorted(annotations.items()))
        self.values["services"].setdefault(s.name, {})["replicas"] = 1
        held = f"(index .Values.services {_go(s.name)}).replicas"
        claims = ", ".join(self.volumes[v] for v, _ in s.volumes)
        replicas = Hole(1, f'include "hostform.replicas" (dict "service" {_go(s.name)} "replicas" {held} "claims" {_go(claims)}) | int')
        stateful = bool(s.volumes) and self.workload == "auto"
        spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": self.selector(name)}}
        if stateful:  # the StatefulSet's governing Service: headless, its pods' DNS names (pod-0.NAME-headless)
            spec["serviceName"] = self.headless[s.name]
            spec["template"] = template
            out.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": self.meta(name), "spec": spec})
        else:
            if s.volumes:  # a ReadWriteOnce claim: the old pod lets go of it before the new one starts
                spec["strategy"] = {"type": "Recreate"}
            spec["template"] = template
            out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": self.meta(name), "spec": spec})
        sports = [{"name": f"port-{p}", "port": p, "targetPort": p, "protocol": "TCP"} for p in service_ports]
        if sports:
            out.append({"apiVersion": "v1", "kind": "Service", "metadata": self.meta(name), "spec": {
                "selector": self.selector(name), "ports": sports}})
        if stateful:  # labelled as its workload, as the ConfigMap is
            headless: dict[str, Any] = {"clusterIP": "None", "selector": self.selector(name)}
            if sports:
                headless["ports"] = [dict(p) for p in sports]
            out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": self.headless[s.name], "labels": self.labels(name)},
                        "spec": headless})
        self.service_notes(s)
        return out

    def probes(self, s: m.Service) -> dict[str, Any]:
        h = s.health
        assert h is not None
        handler: dict[str, Any]
        if h.http is not None:
            handler = {"httpGet": {"path": h.http, "port": s.port}}
        else:
            cmd = list(h.cmd) if len(h.cmd) > 1 else ["/bin/sh", "-c", h.cmd[0]]
            handler = {"exec": {"command": cmd}}
        period, timeout = _seconds(h.interval), _seconds(h.timeout)
        start = parse_go_duration(h.start_period)
        start_s = 0 if isinstance(start, Invalid) else math.ceil(start / 1_000_000_000)
        common = {**handler, "periodSeconds": period, "timeoutSeconds": timeout}
        return {
            # failures within start_period do not count: the startup probe allows for them, then `retries`
            "startupProbe": {**common, "failureThreshold": math.ceil(start_s / period) + h.retries},
            "readinessProbe": {**common, "failureThreshold": h.retries},
            "livenessProbe": {**common, "failureThreshold": h.retries},
        }

    def service_notes(self, s: m.Service) -> None:
        src = s.source
        if s.restart == "no":
            self.note("HF704", src + ("restart",), "a Deployment's pod is always restarted (restartPolicy: Always): "
                      "`no` is not carried")
        if s.pod:
            self.note("HF704", src + ("pod",), "each service is its own pod in Kubernetes (a pod shares one network "
                      "namespace): not carried; the services reach each other by their Service names", "info")
        if s.init:
            self.note("HF700", src + ("init",), "Kubernetes has no per-container init (podman's catatonit): not carried; "
                      "use an image with its own init (tini) or handle SIGTERM")
        for i, ef in enumerate(s.env_files):
            self.note("HF700", src + ("env_files", i), f"{ef}: not carried: make a ConfigMap of it (`kubectl create "
                      f"configmap {self.workloads[s.name]}-env-file-{i} --from-env-file={ef}`) and add it to the container's envFrom")
        for k, _ in s.extra:
            self.note("HF700", src + ("extra", k), f"a quadlet key ({k}=): not carried")
        if s.backup is not None:
            self.note("HF700", src + ("backup",), "backups are the host's restic timer: not carried (back up the "
                      "PersistentVolumeClaims with the cluster's own tools)")

    # -- jobs
    def job_objects(self, j: m.Job) -> list[dict[str, Any]]:
        name = self.workloads[j.name]
        src = j.source
        cron = to_cron(j.schedule)
        if isinstance(cron, str):
            self.note("HF701", src + ("schedule",), f"{j.schedule!r}: {cron}: no CronJob is written for this job; "
                      "give a schedule cron can say (daily, Mon..Fri *-*-* 04:00, *:0/15, ...)")
            return []
        out: list[dict[str, Any]] = []
        cm = self.env_config("jobs", j, name)
        if cm is not None:
            out.append(cm)
        container, pod_volumes, mounts = self.container("jobs", j, name, j.pull, cm, [], list(j.command))
        self.finish(container, j, mounts, {})
        pod_spec = self.pod_spec({"restartPolicy": "Never"}, container, j.image, pod_volumes)
        job_spec: dict[str, Any] = {"backoffLimit": 0}
        limit = parse_timespan(j.timeout)
        if isinstance(limit, int) and limit != USEC_INFINITY:
            job_spec["activeDeadlineSeconds"] = max(1, math.ceil(limit / 1_000_000))
        job_spec["template"] = {"metadata": {"labels": self.selector(name)}, "spec": pod_spec}
        spec: dict[str, Any] = {"schedule": cron.schedule}
        if cron.time_zone is not None:
            spec["timeZone"] = cron.time_zone
        spec["concurrencyPolicy"] = "Forbid"
        spec["jobTemplate"] = {"metadata": {"labels": self.selector(name)}, "spec": job_spec}
        out.append({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": self.meta(name), "spec": spec})
        return out

    # -- volumes
    def volume_objects(self) -> list[dict[str, Any]]:
        users: dict[str, list[str]] = {}
        first: dict[str, KeyPath] = {}
        for c in self.containers:
            for v, _ in c.volumes:
                users.setdefault(v, []).append(c.name)
                first.setdefault(v, c.source + ("volumes", v))
        out = []
        for v in sorted(users):
            k = self.volumes[v]
            self.values["volumes"][v] = {"size": DEFAULT_VOLUME_SIZE}
            size = Hole(DEFAULT_VOLUME_SIZE, f"(index .Values.volumes {_go(v)}).size")
            out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": self.meta(k),
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}})
            if len(users[v]) > 1:
                self.note("HF704", first[v], f"volume {v!r} is shared by {', '.join(users[v])}: one claim mounted by "
                          "each; ReadWriteOnce lets them share it only on one node (use a ReadWriteMany storage class "
                          "across nodes)", "info")
        return out

    # -- sites
    def ingress(self, sp: m.SiteSpec) -> dict[str, Any]:
        hosts = [sp.address, *sp.aliases]
        self.values["sites"][sp.address] = {"hosts": hosts}
        held = f"(index .Values.sites {_go(sp.address)}).hosts"
        backend = {"service": {"name": self.workloads[sp.service], "port": {"number": sp.port}}}
        rule = {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
        # the chart: a rule per host name of values, however many (range in hostform.rules)
        rules = Hole([{"host": h, **rule} for h in hosts], f'include "hostform.rules" (dict "site" {_go(sp.address)} '
                     f'"hosts" {held} "rule" ({_go(json.dumps(rule))} | fromJson)) | fromJsonArray')
        issuer = Hole(ISSUERS[self.host.tls.ca], ".Values.ingress.clusterIssuer")
        name = sp.address  # a domain name is a DNS-1123 subdomain
        src = sp.source
        if sp.redirect_from:
            self.note("HF700", src + ("redirect_from",), "a redirect to the site's address has no portable Ingress "
                      "form (it is the ingress controller's own annotation): not carried")
        if sp.headers:
            self.note("HF700", src + ("headers",), "response headers have no portable Ingress form (the ingress "
                      "controller's own annotation or configuration): not carried")
        if sp.basic_auth or sp.basic_auth_secrets:
            self.note("HF700", src + ("basic_auth",), "basic authentication has no portable Ingress form (the ingress "
                      "controller's own annotations and a Secret of htpasswd lines): not carried: the site is open")
        if sp.caddy is not None:
            self.note("HF700", src + ("caddy",), "a Caddyfile snippet: not carried (no Caddy in front of the cluster)")
        if sp.encode:
            self.note("HF700", src + ("encode",), "compression is the ingress controller's setting: not carried")
        return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": name, "labels": self.labels(to_label(name)),
                             "annotations": {"cert-manager.io/cluster-issuer": issuer}},
                "spec": {"tls": [{"hosts": Hole(hosts, held), "secretName": subdomain(name, "-tls")}], "rules": rules}}

    # -- the host's own keys
    def host_notes(self) -> None:
        h = self.host
        if any(s.auto_update for s in h.services):
            self.note("HF704", ("updates",), "Kubernetes does not look for new images: each pod pulls its tag when it "
                      "starts (imagePullPolicy: Always); roll out a new image with `kubectl rollout restart` or an image "
                      "updater (Flux, Argo CD Image Updater, Keel)", "info")
        for key, why in (("network", "the services' podman network: in Kubernetes they share the namespace and reach "
                          "each other by Service name (a service without a port has no Service)"),
                         ("podman", "the VM's podman version: not carried"), ("butane_version", "the VM's Butane spec: not carried"),
                         ("recipients", "who decrypts secrets/*.age: not carried (no secret value is exported)")):
            if (key,) in self.written:
                self.note("HF700" if key != "network" else "HF704", (key,), why, "warning" if key != "network" else "info")
        if h.backups is not None:
            self.note("HF700", ("backups",), "restic backups of the state disk: not carried (back up the "
                      "PersistentVolumeClaims with the cluster's own tools: Velero, volume snapshots)")
        if h.observability is not None:
            self.note("HF700", ("observability",), "the host's OpenTelemetry Collector: not carried (run the "
                      "collector's Helm chart or operator in the cluster)")
        if h.status is not None:
            self.note("HF700", ("status",), "the status endpoints of `hostform status`: not carried (kubectl get, "
                      "kubectl logs)")
        if h.target is not None:
            self.note("HF700", ("target",), "where the VM runs: not carried (the manifests go to a cluster)")
        if h.access.ssh_keys:
            self.note("HF700", ("access",), "SSH to the VM: not carried")
        for i, q in enumerate(h.quadlets):
            self.note("HF700", ("quadlets", i), f"{q}: a quadlet file of your own: not carried")
        for i, b in enumerate(h.butane):
            self.note("HF700", ("butane", i), f"{b}: Butane of your own: not carried")
        if any(c.volumes for c in self.containers):
            self.note("HF704", ("state",), f"the VM's one state disk ({h.state.size}) holds every volume; here each "
                      f"volume is a PersistentVolumeClaim of {DEFAULT_VOLUME_SIZE} (the chart's values volumes.NAME.size)", "info")
        if h.sites:
            issuer = ISSUERS[h.tls.ca]
            email = f", ACME e-mail {h.tls.email}" if h.tls.email else ""
            self.note("HF703", ("tls",), f"the Ingresses get their certificates from cert-manager's ClusterIssuer "
                      f"{issuer!r} (create it{email}; the chart's values ingress.clusterIssuer)", "info")
        for s in h.secrets:
            if s.name not in self.secrets.mapped:
                continue  # only a basic_auth password, a registry's, the backups': no pod reads it
            k = self.secrets[s.name]
            uses = [c.source + ("secrets", i, "name") for c in self.containers for i, u in enumerate(c.secrets) if u.name == s.name]
            self.note("HF703", s.source if s.source != ("secrets",) else uses[0], f"secret {s.name!r}: create the "
                      f"Secret {k!r} (its values are never exported): `kubectl create secret generic {k} "
                      f"--from-file={SECRET_KEY}=FILE`", "info")
        for reg in h.registries:
            k = self.registry_secret(reg)
            self.note("HF703", reg.source, f"create the image pull Secret {k!r}: `kubectl create secret docker-registry "
                      f"{k} --docker-server={reg.host.split('/')[0]} --docker-username={reg.username} --docker-password=...`", "info")
        for kind, names, paths in (("service or job", self.workloads, {**{s.name: s.source for s in h.services}, **{j.name: j.source for j in h.jobs}}),
                                   ("volume", self.volumes, {v: c.source + ("volumes", v) for c in reversed(self.containers) for v, _ in c.volumes}),
                                   ("secret", self.secrets, {u.name: c.source + ("secrets", i, "name") for c in reversed(self.containers)
                                                             for i, u in reversed(list(enumerate(c.secrets)))})):
            for orig, new in names.changed():
                at = paths.get(orig, ())
                self.note("HF702", at, f"{kind} {orig!r} is named {new!r} in Kubernetes (a DNS-1123 label: lower-case "
                          "letters, digits and '-'; a service's starts with a letter, as its Service's name must)", "info")

    def run(self) -> Exported:
        objects: list[dict[str, Any]] = []
        for s in self.host.services:
            objects.extend(self.service_objects(s))
        for j in self.host.jobs:
            objects.extend(self.job_objects(j))
        objects.extend(self.volume_objects())
        self.values["ingress"] = {"clusterIssuer": ISSUERS[self.host.tls.ca]}
        for sp in self.host.sites:
            objects.append(self.ingress(sp))
        self.host_notes()
        order = {"ConfigMap": 0, "PersistentVolumeClaim": 1, "Service": 2, "Deployment": 3, "StatefulSet": 3, "CronJob": 4, "Ingress": 5}
        objects.sort(key=lambda o: (order[o["kind"]], o["metadata"]["name"]))
        notes = Report(sorted(self.notes, key=lambda d: (d.line, d.col, d.code, d.message)))
        return Exported(tuple(objects), notes, self.values)


def export(host: m.Host, where: Where, file: str = "hostform.yaml", workload: Workload = "auto",
           written: Collection[KeyPath] = ()) -> Exported:
    """The host's Kubernetes objects and the notes on what they do not carry (``where``: a host-file path's
    (line, column), :meth:`hostform.host.load.Loaded.where`; ``written``: the paths the file has, its
    ``positions``, so that a key written with its default value is noted too)."""
    return _Exporter(host, where, file, workload, written).run()

