"""The ``hostform`` command: a thin dispatcher and the single error boundary.

Each subcommand lives in its own module ``hostform.cli.<module>`` with a
``main(argv: list[str]) -> int`` function, imported only when it runs, so that
``hostform butane`` pays for nothing but Butane.

Exit codes: 0 success, 1 the input has errors (or warnings under --strict),
2 bad usage, 3 a bug in hostform (a traceback is printed, asking for a
report), 130 interrupted.
"""

from __future__ import annotations

import sys

# name -> (module under hostform.cli, one-line summary); the order is the help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("build", "build a host: hostform.yaml (or main.bu) to quadlets, Caddyfile, Butane and Ignition"),
    "init": ("init", "write a commented hostform.yaml to start from"),
    "import": ("import_", "write a hostform.yaml from a Compose project: `hostform import compose [FILE ...]`"),
    "secret": ("secret", "keep secrets encrypted beside the host file (age): set, list, rm, rekey, keygen"),
    "schema": ("schema", "print the JSON Schema of hostform.yaml"),
    "butane": ("butane", "translate a Butane config to Ignition (drop-in for the butane CLI)"),
    "ignition": ("ignition", "work with Ignition configs: `hostform ignition validate FILE`"),
    "quadlet": ("quadlet", "generate systemd units from quadlet files (drop-in for podman's generator)"),
    "check": ("check", "run every check on a host (Butane, Ignition, quadlet, Caddy, deployment quirks); write nothing"),
    "units": ("units", "print the systemd services the VM's quadlet generator will write"),
    "plan": ("deploy.plan", "say what `apply` would change on the target (terraform or tofu plan)"),
    "apply": ("deploy.apply", "build, then create or replace the VM on the target with terraform or tofu"),
    "destroy": ("deploy.destroy", "destroy what `apply` made on the target (the state volume too)"),
    "explain": ("explain", "explain a diagnostic code: `hostform explain HF003`"),
    "status": ("status", "what runs on the host: services and their digests, updates, certificates, disks (over HTTPS, with the status token)"),
    "logs": ("logs", "a unit's journal on the host (over HTTPS, with the status token)"),
    "update": ("update", "start podman-auto-update on the host now (over HTTPS, with the status token)"),
    "backups": ("backups", "the host's restic repository from your machine, with your restic: list the snapshots, check it"),
    "export": ("export", "write the host as Kubernetes manifests or a Helm chart: `hostform export kubernetes [DIR]`"),
    "try": ("try_", "build a host and boot it locally in a systemd-nspawn machine (real Ignition, local registry)"),
}

USAGE = "usage: hostform [--version] [--help] <command> [<args>]\n"


def _help() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = [USAGE, "\nhostform makes a cheap cloud VM into an immutable, SSH-less container host.\n\ncommands:\n"]
    for name, (_, summary) in COMMANDS.items():
        lines.append(f"  {name:<{width}}  {summary}\n")
    lines.append("\nRun `hostform <command> --help` for a command's options.\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(_help())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version", "version"):
        from hostform import __version__

        sys.stdout.write(f"hostform {__version__}\n")
        return 0
    name = argv[0]
    entry = COMMANDS.get(name)
    if entry is None:
        sys.stderr.write(f"hostform: unknown command {name!r}\n{USAGE}Run `hostform --help` for the list of commands.\n")
        return 2
    try:
        module = __import__(f"hostform.cli.{entry[0]}", fromlist=["main"])
        return int(module.main(argv[1:]) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    except Exception:  # the one place that catches everything: a bug in hostform
        import traceback

        traceback.print_exc()
        sys.stderr.write("hostform: internal error (a bug in hostform); please report it with the input that caused it\n")
        return 3
