"""``hostform export kubernetes``: the host as Kubernetes manifests, or as a Helm chart.

:func:`export` (in :mod:`.objects`) makes the objects and the notes from a loaded host;
:func:`manifests` writes them as one multi-document YAML file; :func:`~.chart.chart_files` as a chart.
See docs/kubernetes.md.
"""

from __future__ import annotations

from hostform.kubernetes.objects import Exported, Workload, export
from hostform.kubernetes.yaml import dump

__all__ = ["Exported", "Workload", "export", "manifests"]


def manifests(exported: Exported) -> str:
    """The objects as one YAML stream (``kubectl apply -f``, ``podman kube play``)."""
    return "".join("---\n" + dump(obj) for obj in exported.objects)
