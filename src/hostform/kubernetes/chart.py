"""The Helm chart of an export: Chart.yaml, values.yaml, templates/ (one file per object).

The templates are the plain manifests' objects written with :func:`~.yaml.dump` in Helm mode: each
value a user may want to change per release (a service's or job's image and a service's replicas, a
site's host names, a volume's size, the ClusterIssuer) is read from values.yaml, whose defaults are
the host file's, so that ``helm template`` with the default values renders the plain manifests.
"""

from __future__ import annotations

from typing import Any

from hostform.kubernetes.objects import Exported
from hostform.kubernetes.yaml import dump

__all__ = ["chart_files"]

HELPERS = """{{/* An image reference from values: repository, then :tag and @digest when given. */}}
{{- define "hostform.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end -}}

{{/* A service's replicas from values, as a number; more than one is refused when its pods mount a claim
     (.claims: the claims' names): each is ReadWriteOnce, and every replica would mount the same one. */}}
{{- define "hostform.replicas" -}}
{{- $n := int .replicas -}}
{{- if and .claims (gt $n 1) -}}
{{- fail (printf "services.%s.replicas is %d: the service mounts the ReadWriteOnce claim(s) %s, which every replica would share (one volume, one writer): keep 1 replica, or give the service no volumes" .service $n .claims) -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/* A site's Ingress rules as JSON: .rule (the rule without its host) for each host name of .hosts, in
     order; an empty list is refused (an Ingress without rules or a default backend is invalid). */}}
{{- define "hostform.rules" -}}
{{- if not .hosts -}}
{{- fail (printf "sites.%s.hosts is empty: give the site at least one host name (its address)" .site) -}}
{{- end -}}
{{- $rules := list -}}
{{- range .hosts -}}
{{- $rules = append $rules (merge (dict "host" .) $.rule) -}}
{{- end -}}
{{- toJson $rules -}}
{{- end -}}
"""

VALUES_HEAD = """# Values of the chart `hostform export kubernetes --helm` wrote from hostform.yaml; the defaults render
# the same objects as the plain export (kubernetes/manifests.yaml).
#   services.NAME.image: repository, tag, digest (tag or digest may be ""); services.NAME.replicas
#     (a number; a service with volumes takes at most 1: its ReadWriteOnce claim would be mounted by every
#     replica, so the chart refuses more)
#   jobs.NAME.image; volumes.NAME.size (each volume's PersistentVolumeClaim)
#   sites.ADDRESS.hosts: the Ingress's host names (the address, then its aliases): a rule and a TLS
#     name each, as many as listed; an empty list is refused
#   ingress.clusterIssuer: the cert-manager ClusterIssuer that signs the sites' certificates
"""

HELMIGNORE = """# written by hostform: not part of the chart
.hostform-manifest
export-report.txt
"""


def chart_files(host_name: str, exported: Exported, version: str) -> list[tuple[str, str]]:
    """(path in the chart, text) of every file, in a fixed order."""
    chart: dict[str, Any] = {
        "apiVersion": "v2",
        "name": host_name,
        "description": f"The host {host_name}, exported from its hostform.yaml by hostform {version}",
        "type": "application",
        "version": "0.1.0",
    }
    out = [("Chart.yaml", dump(chart)), ("values.yaml", VALUES_HEAD + dump(exported.values)), (".helmignore", HELMIGNORE),
           ("templates/_helpers.tpl", HELPERS)]
    for obj in exported.objects:
        out.append((f"templates/{obj['kind'].lower()}-{obj['metadata']['name']}.yaml", dump(obj, helm=True)))
    return out
