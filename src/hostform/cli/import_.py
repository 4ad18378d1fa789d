"""``hostform import compose [FILE ...] [-o DIR]``: a Compose project to a hostform.yaml and a report.

Reads the Compose files as ``docker compose`` does (merge, interpolation, extends, profiles: see
:mod:`hostform.compose`), writes DIR/hostform.yaml (checked by the host file's own loader, so that ``hostform
build`` accepts it), DIR/quadlets/NAME.container for a service the host file cannot say, and
DIR/import-report.txt: one line per Compose key that was not carried, or was carried differently, at its line
in the Compose file. The report goes to stderr too. Exit 0 when hostform.yaml was written, 1 when nothing
could be read as Compose (or hostform.yaml exists and --force is not given), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DESCRIPTION = """\
Write a hostform.yaml from a Compose project.

The Compose files are read as `docker compose` reads them: several files are merged (the override rules,
!reset and !override), ${VAR:-default} is interpolated from the environment and then .env, `extends`
(same file or `file:`), YAML anchors and merge keys, `x-` fields, and profiles (a service whose profiles
are not enabled is left out, and the report says so).

What is carried: image (made fully qualified: nginx is docker.io/library/nginx:latest), command and
entrypoint, environment and env_file (the files' values are written into hostform.yaml), ports (80 and 443
become a site, SERVICE.example.org: put the real domain there; other ports are published), named volumes
(on the state disk; a bind mount of a directory becomes a named volume that starts empty, a bind mount of
a file of the project a secret with embed: true), depends_on (condition: service_healthy with the
dependency's healthcheck as its `health`), healthcheck, secrets (set their values with `hostform secret
set NAME`), restart (unless-stopped is always), deploy.resources.limits, mem_limit, cpus, user, labels,
read_only, init, and as `extra` quadlet keys: cap_add, privileged, devices, sysctls, ulimits, tmpfs,
shm_size, hostname, working_dir, network_mode: host, ... A service with network_mode none, service:X
or container:X becomes a quadlet file of its own (DIR/quadlets/NAME.container, listed under `quadlets`).

Everything else is in the report (DIR/import-report.txt and stderr), one line per key, at its line in
your Compose file: FILE:LINE:COL: warning[HF6xx]: services.web.ports[1]: what was done instead.
`hostform explain HF605` says more about a code. Then: `hostform build DIR`.
"""

EPILOG = """\
examples:
  hostform import compose                       # ./compose.yaml (+ compose.override.yaml) into ./hostform.yaml
  hostform import compose docker-compose.yml docker-compose.prod.yml -o host/
  hostform import compose --profile worker --env-file prod.env

exit status: 0 hostform.yaml written (warnings in the report), 1 nothing could be read as Compose or
hostform.yaml exists (use --force), 2 bad usage.
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write("usage: hostform import compose [FILE ...] [-o DIR] [--profile NAME]... [--env-file FILE] [--force]\n\n"
                         "Import a project of another tool as a hostform.yaml.\n\nformats:\n"
                         "  compose   a Compose project (compose.yaml, docker-compose.yml): `hostform import compose --help`\n")
        return 0 if argv else 2
    if argv[0] != "compose":
        sys.stderr.write(f"hostform import: unknown format {argv[0]!r} (known: compose)\n")
        return 2
    p = argparse.ArgumentParser(prog="hostform import compose", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="Compose files, merged in order (default: those $COMPOSE_FILE names, else compose.yaml, compose.yml, "
                   "docker-compose.yaml or docker-compose.yml here, with its override file)")
    p.add_argument("-o", "--output", metavar="DIR", help="where to write hostform.yaml (default: the first file's directory)")
    p.add_argument("--profile", action="append", default=[], metavar="NAME",
                   help="enable a profile (repeatable; default: $COMPOSE_PROFILES; '*' enables all)")
    p.add_argument("--env-file", metavar="FILE", help="the variables to interpolate (default: .env beside the first file)")
    p.add_argument("--force", action="store_true", help="overwrite an existing hostform.yaml")
    try:
        args = p.parse_args(argv[1:])
    except SystemExit as e:
        return int(e.code or 0)

    from hostform.compose.importer import default_files, import_compose, report_text

    cwd = Path.cwd()
    if args.files:
        files = [(Path(f), f) for f in args.files]
    else:
        files = default_files(cwd, dict(os.environ), Path(args.env_file) if args.env_file else None)
        if not files:
            sys.stderr.write("hostform import compose: no compose.yaml, compose.yml, docker-compose.yaml or "
                             "docker-compose.yml here: name the file\n")
            return 1
    out = Path(args.output) if args.output else (files[0][0].parent if str(files[0][0].parent) else Path("."))
    target = out / "hostform.yaml"
    if target.exists() and not args.force:
        sys.stderr.write(f"hostform import compose: {target} exists (use --force to overwrite)\n")
        return 1
    result = import_compose(files, out, dict(os.environ), Path(args.env_file) if args.env_file else None, args.profile)
    report = report_text(result.findings)
    sys.stderr.write(report)
    if result.host_text is None:
        return 1
    from hostform.emit import OutputError, write_tree
    from hostform.host.build import has_env_line

    # inside DIR only, never through a symlink (DIR itself, quadlets/, each file): as `hostform build` writes
    plain = 0o644
    outputs = [(rel, text.encode(), 0o600 if has_env_line(text) else plain) for rel, text in sorted(result.quadlets.items())]
    outputs.append(("import-report.txt", report.encode(), plain))
    outputs.append(("hostform.yaml", result.host_text.encode(), 0o600 if "env:" in result.host_text else plain))
    try:
        write_tree(out, outputs, manifest=False)
    except OutputError as e:
        sys.stderr.write(f"hostform import compose: {e}\n")
        return 1
    except OSError as e:
        sys.stderr.write(f"hostform import compose: cannot write into {out}: {e.strerror or e}\n")
        return 1
    n = len(result.findings)
    sys.stdout.write(f"wrote {target} ({n} report line{'s' * (n != 1)} in {out / 'import-report.txt'}); "
                     f"next: hostform build {out}\n")
    return 0
