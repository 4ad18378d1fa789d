"""``hostform plan | apply | destroy [DIR]``: Terraform for the host's target.

The three commands are the modules ``plan``, ``apply`` and ``destroy`` of this
package, each a one-line call of :func:`run`.

Builds DIR first, as ``hostform build`` does (the same pipeline, findings and
outputs; ``DIR/build/terraform/main.tf.json`` comes from the host file's
``target:`` section, or a plain project's ``target.json``; with --no-build, from DIR/build/main.ign as it
is, the project only read for its target), then runs terraform (or tofu: found on PATH, or
named with --terraform) in that directory: init, plan into a plan file, and
says in words what the plan does before ``apply`` or ``destroy`` carries it
out.  Credentials come from the environment (VULTR_API_KEY, HCLOUD_TOKEN,
DIGITALOCEAN_TOKEN, AWS_*) and are never written to a file.  When init cannot
get the provider plugin (offline), or the token is not set, it says which,
and exits 1.

Exit status: 0 done (or nothing to do), 1 an error (the build, the target,
terraform), 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hostform.diagnostics import Diagnostic
    from hostform.host.bundle import Bundle
    from hostform.terraform.model import Target

__all__ = ["run", "write_tf"]


def write_tf(build: Path, tf: dict[str, Any]) -> Path:
    """build/terraform/main.tf.json, 0600 (it holds the Ignition config with every secret),
    only inside ``build`` (see hostform.emit; raises OutputError or OSError)."""
    from hostform.emit import write_tree
    from hostform.terraform.render import TF_PATH, to_json

    write_tree(build, [(TF_PATH, to_json(tf).encode("utf-8"), 0o600)], manifest=False)
    return build / TF_PATH


_DESCRIPTIONS = {
    "plan": "Build, render build/terraform/main.tf.json from the target: section, and say what terraform would change.",
    "apply": "Build, render build/terraform/main.tf.json, say what will change, then make the change with terraform.",
    "destroy": "Say what will be destroyed (the VM, and the state volume with its data), then destroy it with terraform.",
}


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    sys.stderr.write(question + " [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _fail(prog: str, r: Any) -> int:
    tail = (r.stderr or r.stdout).strip()
    sys.stderr.write(f"{prog}: terraform failed (exit {r.returncode}):\n{tail}\n")
    return 1


def run(command: str, argv: list[str]) -> int:
    """``hostform COMMAND ARGV...`` for COMMAND in plan, apply, destroy."""
    prog = f"hostform {command}"
    p = argparse.ArgumentParser(prog=prog, description=_DESCRIPTIONS[command])
    p.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
    p.add_argument("--terraform", metavar="PROGRAM", help="terraform or tofu to run (default: terraform, else tofu, on PATH)")
    p.add_argument("--no-build", action="store_true", help="use DIR/build/main.ign as it is")
    if command != "plan":
        p.add_argument("-y", "--yes", action="store_true", help="do not ask before changing anything")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2): return, do not exit
        return int(e.code or 0)

    from hostform.cli._common import directory
    from hostform.terraform import driver
    from hostform.terraform.render import PROVIDER_SOURCES

    d = directory(prog, args.dir)
    if d is None:
        return 2
    build = d.resolve() / "build"
    tf_bin = driver.find_terraform(args.terraform)
    if tf_bin is None:
        sys.stderr.write(f"{prog}: {args.terraform or 'terraform (or tofu)'} not found; install it or name it with --terraform\n")
        return 1
    built = _unbuilt(prog, d, build) if args.no_build else _built(prog, d, build)
    if built is None:
        return 1
    target, out = built
    tf = driver.Terraform(tf_bin, str(out.parent), os.environ)
    missing = driver.missing_credentials(target.provider, os.environ)
    r = tf.init()
    if not r.ok:
        source = PROVIDER_SOURCES[target.provider][1] if target.provider in PROVIDER_SOURCES else ""
        why = driver.explain_init_failure(r.stdout + "\n" + r.stderr, source) if source else None
        if why is None:
            return _fail(prog, r)
        sys.stderr.write(f"{prog}: {why}" + (f"; and set {missing} (the {target.provider} API token) for plan and apply" if missing else "") + ".\n")
        return 1
    if missing:
        sys.stderr.write(f"{prog}: set {missing} in the environment: the {target.provider} provider reads its API token there (hostform never writes it to a file).\n")
        return 1
    r, changes = tf.plan(destroy=command == "destroy")
    if changes is None:
        return _fail(prog, r)
    words = driver.explain_plan(changes, destroy=command == "destroy")
    sys.stdout.write(f"{words}\n")
    if command == "plan" or words.startswith("no changes"):
        return 0
    if not args.yes and not _confirm(f"{command} {target.provider}: go ahead?"):
        sys.stderr.write(f"{prog}: not confirmed; nothing changed (use --yes when not at a terminal)\n")
        return 1
    r = tf.apply()
    if not r.ok:
        return _fail(prog, r)
    sys.stdout.write(f"{command}: done\n")
    return 0


def _no_target(bundle: Bundle) -> Diagnostic:
    """HF500 for a project that says nothing of where it runs, at line 1 of its host file or Butane file."""
    from hostform.diagnostics import Diagnostic
    from hostform.pipeline import HOST_FILE, TARGET_FILE

    why = "where the host runs: provider, region, size..."
    if bundle.kind == "host":
        return Diagnostic("error", "HF500", f"no `target:` section ({why}); see docs/host-file.md", None, HOST_FILE, 1, 1)
    return Diagnostic("error", "HF500", f"no {TARGET_FILE} beside {bundle.main} ({why}: the host file's `target:` in JSON)", None, bundle.main, 1, 1)


def _built(prog: str, dir: Path, build: Path) -> tuple[Target, Path] | None:
    """Build ``dir`` as ``hostform build`` does (findings printed, outputs written into ``build``,
    main.tf.json with them): the target and the main.tf.json written, or None (after saying why)."""
    from hostform import pipeline
    from hostform.cli._common import sorted_findings
    from hostform.cli._findings import write_findings
    from hostform.cli.build import write_outputs
    from hostform.terraform.render import TF_PATH

    bundle = pipeline.build(dir)
    write_findings(sorted_findings(bundle.report), sys.stderr, dir)
    if bundle.report.is_fatal() or bundle.ignition_text is None:
        sys.stderr.write(f"{prog}: the build failed ({len(bundle.report.errors)} error(s)); nothing changed\n")
        return None
    if bundle.target is None:
        write_findings([_no_target(bundle)], sys.stderr, dir)
        return None
    if bundle.terraform is None or write_outputs(prog, bundle, build) is None:
        return None
    return bundle.target, build / TF_PATH


# what the pipeline's own Terraform says of the Ignition it made (the user data fitted to the provider's
# limit): --no-build deploys build/main.ign instead, and fits that
_FITTED = ("HF502", "HF503")


def _unbuilt(prog: str, dir: Path, build: Path) -> tuple[Target, Path] | None:
    """``--no-build``: main.tf.json written for ``build/main.ign`` as it is, for the target of ``dir``.

    The project is read by the pipeline as ``hostform build --check`` reads it
    (without the cross-file checks): its findings are printed and an error
    stops here. Terraform is then rendered from build/main.ign, its findings
    placed on the target (the host file's ``target:``, or target.json)."""
    from hostform import pipeline
    from hostform._inputs import LOCAL_FILE_CAP, InputError, read_input
    from hostform.cli._common import sorted_findings
    from hostform.cli._findings import shown_path, write_findings
    from hostform.diagnostics import Report
    from hostform.terraform.render import PORTS, render

    shown = shown_path(dir, "build/main.ign")
    data = read_input(None, str(build / "main.ign"), LOCAL_FILE_CAP, "an Ignition config")
    if isinstance(data, InputError):
        hint = ": run `hostform build` first" if str(data).startswith("does not exist") else ""
        sys.stderr.write(f"{prog}: {shown} {data}{hint}\n")
        return None
    try:
        ignition_text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        sys.stderr.write(f"{prog}: {shown} is not UTF-8 text (byte {e.start})\n")
        return None
    bundle = pipeline.build(dir, pipeline.Options(checks=False, decrypt=False))  # the secrets are in main.ign already
    report = Report([d for d in bundle.report if d.code not in _FITTED])
    target = bundle.target
    tf = None
    if target is None:
        if not report.is_fatal():
            report.add(_no_target(bundle))
    elif not report.is_fatal():
        ports = bundle.host.open_ports if bundle.host is not None else PORTS
        sealed = {sf.vm_path for sf in bundle.rendered.sealed} if bundle.rendered is not None else set()
        fp = pipeline.fingerprint(ignition_text, sealed, bundle.sealed_digest) if bundle.kind == "host" else None
        rendered = render(target, ignition_text, bundle.name, str(dir.resolve()), ports, fp)
        file, line, col = bundle.target_where or (pipeline.TARGET_FILE, 1, 1)
        for d in rendered.report:
            report.add(d if d.file else d.located(file, line, col))
        tf = rendered.tf
    write_findings(sorted_findings(report), sys.stderr, dir)
    if target is None or tf is None or report.is_fatal():
        return None
    from hostform.emit import OutputError

    try:
        return target, write_tf(build, tf)
    except (OutputError, OSError) as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return None
