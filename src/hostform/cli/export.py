"""``hostform export kubernetes [DIR] [-o OUT] [--helm]``: the host as Kubernetes manifests or a Helm chart.

Reads DIR/hostform.yaml with the pipeline's loader (:func:`hostform.pipeline.load_host`: the errors
``hostform build`` reports on the host file, at the same positions; exit 1), makes the objects
(:mod:`hostform.kubernetes`) and writes, only inside OUT and never through a symlink
(:func:`hostform.emit.write_tree`):

- plain (OUT default DIR/kubernetes): ``manifests.yaml``, one multi-document file;
- ``--helm`` (OUT default DIR/kubernetes/chart): Chart.yaml, values.yaml, .helmignore, templates/;

and in both ``export-report.txt``: the notes, also printed on stderr as
``hostform.yaml:LINE:COL: warning[HF7xx]: services.web.extra.ShmSize: ...``: every key Kubernetes
cannot carry, or carries differently, and what to create by hand (Secrets, the ClusterIssuer).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESCRIPTION = """\
Write the host of DIR/hostform.yaml as Kubernetes objects: for each service a Deployment (a
StatefulSet when it has volumes; --workload deployment: Deployments only, for `podman kube play`),
with probes from `health`, a Service when it has a port, its env as a ConfigMap and its secrets as
references to Secrets (never their values); a PersistentVolumeClaim per volume; a CronJob per job;
an Ingress per site (certificates by cert-manager)."""

EPILOG = """\
output:
  plain   OUT/manifests.yaml (OUT default DIR/kubernetes): `kubectl apply -f OUT/manifests.yaml`,
          `podman kube play OUT/manifests.yaml`
  --helm  a chart in OUT (default DIR/kubernetes/chart): `helm install NAME OUT`; values.yaml holds
          each image and tag, the replicas, the sites' host names, the volumes' sizes
  both    OUT/export-report.txt: the notes (also on stderr): what Kubernetes cannot carry or carries
          differently (redirects, headers, basic_auth, backups, ...), and what to create by hand:
          the Secrets (`kubectl create secret generic NAME --from-file=value=FILE`) and the
          cert-manager ClusterIssuer

Names with '_' or '.' become DNS-1123 names ('-'; notes HF702). Errors in hostform.yaml are printed
as `hostform build` prints them (exit 1); the notes do not fail the export (exit 0). The same host
file gives byte-identical files. See docs/kubernetes.md.

examples:
  hostform export kubernetes examples/shop
  hostform export kubernetes . -o k8s --workload deployment
  hostform export kubernetes . --helm -o charts/shop"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(
            "usage: hostform export kubernetes [DIR] [-o OUT] [--helm] [--workload auto|deployment]\n\n"
            "Write the host as something else runs it. Formats:\n"
            "  kubernetes  Kubernetes manifests (or, --helm, a Helm chart)\n\n"
            "Run `hostform export kubernetes --help` for its options.\n"
        )
        return 0 if argv else 2
    if argv[0] != "kubernetes":
        sys.stderr.write(f"hostform export: unknown format {argv[0]!r}: the format is kubernetes\n")
        return 2
    return _kubernetes(argv[1:])


def _kubernetes(argv: list[str]) -> int:
    prog = "hostform export kubernetes"
    p = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", nargs="?", default=".", help="the project directory, with hostform.yaml (default: .)")
    p.add_argument("-o", "--output", metavar="OUT", help="output directory (default: DIR/kubernetes, with --helm DIR/kubernetes/chart)")
    p.add_argument("--helm", action="store_true", help="write a Helm chart instead of plain manifests")
    p.add_argument("--workload", choices=("auto", "deployment"), default="auto",
                   help="auto: a StatefulSet for a service with volumes, else a Deployment; deployment: Deployments "
                   "only (strategy Recreate with volumes), which `podman kube play` runs (it skips StatefulSets)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print the notes (they are still in export-report.txt)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)
    d = Path(args.dir)
    if not d.is_dir():
        sys.stderr.write(f"{prog}: {args.dir}: not a directory\n")
        return 2

    from hostform import __version__, pipeline
    from hostform.cli._common import sorted_findings
    from hostform.cli._findings import write_findings
    from hostform.kubernetes import export, manifests
    from hostform.kubernetes.chart import chart_files

    loaded = pipeline.load_host(d)
    host = loaded.host
    if host is None or loaded.report.is_fatal():
        write_findings(sorted_findings(loaded.report.errors), sys.stderr, d)
        n = len(loaded.report.errors)
        sys.stderr.write(f"{prog}: failed ({n} error{'s' * (n != 1)}); nothing written\n")
        return 1
    def where(path: tuple[str | int, ...]) -> tuple[int, int]:  # a note is about a key: at the key, when it has one
        return loaded.key_positions.get(path) or loaded.where(path)

    exported = export(host, where, pipeline.HOST_FILE, args.workload, loaded.positions.keys())
    notes = list(exported.notes)
    report = "".join(n.format() + "\n" for n in notes)
    if args.helm:
        out = Path(args.output) if args.output else d / "kubernetes" / "chart"
        texts = chart_files(host.name, exported, __version__)
    else:
        out = Path(args.output) if args.output else d / "kubernetes"
        texts = [("manifests.yaml", manifests(exported))]
    texts.append(("export-report.txt", report or "nothing to report: every key of hostform.yaml is carried\n"))

    from hostform.emit import OutputError, current_umask, write_tree

    mode = 0o666 & ~current_umask()
    try:
        write_tree(out, [(rel, text.encode("utf-8"), mode) for rel, text in texts], manifest_mode=mode)
    except OutputError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return 1
    except OSError as e:
        which = f" {e.filename}" if e.filename else ""
        sys.stderr.write(f"{prog}: cannot write {out}{which}: {e.strerror or e}\n")
        return 1
    if not args.quiet:
        write_findings(notes, sys.stderr, d)
        kinds: dict[str, int] = {}
        for obj in exported.objects:
            kinds[obj["kind"]] = kinds.get(obj["kind"], 0) + 1
        what = ", ".join(f"{n} {k}{('es' if k.endswith('s') else 's') * (n != 1)}" for k, n in kinds.items()) or "no objects"
        dest = f"a Helm chart in {out}/" if args.helm else f"{out}/manifests.yaml"
        sys.stdout.write(f"exported {host.name} to {dest}: {what}; {len(notes)} note{'s' * (len(notes) != 1)} in {out}/export-report.txt\n")
    return 0
