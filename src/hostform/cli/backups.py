"""``hostform backups list|check [DIR]``: the host's restic repository, read from your machine with your restic.

The work is :mod:`hostform.backups.local`; this module is the command line: options, the host file, messages,
exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys

PROG = "hostform backups"

DESCRIPTION = """\
Look at the host's backups from your machine, with your own restic: the same repository, password and
credentials the VM's backups use, all taken from hostform.yaml's `backups:`.

  list    the host's snapshots: `restic snapshots --host NAME --tag hostform` (NAME: the host file's `name`);
          restic's table, or its JSON with --json
  check   `restic check`: the repository's structure is sound (with --read-data-subset, that part of the
          data is read back and verified too)
"""

EPILOG = """\
where the values come from:
  the repository         backups.repository, as RESTIC_REPOSITORY
  the password           the secret backups.password names (secrets/NAME.age), decrypted with your age
                         identity (--identity FILE, $HOSTFORM_AGE_KEY, $HOSTFORM_AGE_KEY_FILE, else
                         ~/.config/hostform/age.key), as RESTIC_PASSWORD
  credentials, settings  backups.env: each value as written, or its secret decrypted
  sftp                   the key of backups.ssh_key and the host keys of backups.known_hosts, in files of a
                         private temporary directory (0600) while restic runs, removed afterwards
  restic                 `restic` on PATH, or $HOSTFORM_RESTIC (install: apt install restic, dnf install
                         restic, brew install restic, or https://restic.net)

A secret that is only on the VM (declared under `secrets:` without a file) cannot be read here: then
your own RESTIC_PASSWORD (or RESTIC_PASSWORD_FILE, RESTIC_PASSWORD_COMMAND) is used for the password, your
variable of the same name for an env entry, and ssh's own keys for ssh_key. No secret is ever put on a
command line: restic reads them from its environment.

exit codes:
  0  restic succeeded
  1  restic failed, or the repository cannot be read (the last line says why: no repository there,
     locked by another restic, wrong password)
  2  bad usage, a problem with hostform.yaml or a secret (printed as file:line:col findings), or
     restic is not installed
"""


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    ls = sub.add_parser("list", help="the host's snapshots (restic snapshots)", description="The host's snapshots: "
                        "`restic snapshots --host NAME --tag hostform` on the repository of hostform.yaml's `backups:`.",
                        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ls.add_argument("--json", action="store_true", help="restic's JSON instead of its table")
    ck = sub.add_parser("check", help="check the repository (restic check)", description="`restic check` on the "
                        "repository of hostform.yaml's `backups:`.", epilog=EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ck.add_argument("--read-data-subset", metavar="SUBSET", type=_subset,
                    help="also read and verify this part of the data: N/T (part N of T), P%% (a random P percent) or "
                    "a size (500M); passed to restic")
    for s in (ls, ck):
        s.add_argument("dir", nargs="?", default=".", help="the project directory (default: .)")
        s.add_argument("--identity", metavar="FILE", help="the age identity that decrypts the secrets (default: "
                       "$HOSTFORM_AGE_KEY, $HOSTFORM_AGE_KEY_FILE, else ~/.config/hostform/age.key)")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    if args.action is None:
        p.print_help(sys.stderr)
        return 2
    return _run(f"{PROG} {args.action}", args)


def _subset(text: str) -> str:
    """restic's --read-data-subset: N/T, P% (P up to 100, decimals allowed) or a size (digits, one of kKmMgGtT)."""
    import re

    if re.fullmatch(r"[1-9][0-9]{0,8}/[1-9][0-9]{0,8}|(?:[0-9]{1,3}(?:\.[0-9]{1,6})?%)|[1-9][0-9]{0,15}[kKmMgGtT]?", text):
        if "/" in text:
            n, t = (int(x) for x in text.split("/"))
            if n <= t:
                return text
        elif not text.endswith("%") or 0 < float(text[:-1]) <= 100:
            return text
    raise argparse.ArgumentTypeError(f"{text!r}: give N/T (1 <= N <= T), a percentage (0 < P <= 100, e.g. 2.5%) or a size (500M)")


def _run(prog: str, args: argparse.Namespace) -> int:
    from hostform.backups import local
    from hostform.cli._common import directory

    restic = local.find_restic(os.environ)
    if restic is None:
        given = os.environ.get(local.ENV_RESTIC)
        what = f"${local.ENV_RESTIC} ({given}) is not a program" if given else "restic is not installed (not on PATH)"
        sys.stderr.write(f"{prog}: {what}: {local.INSTALL_HINT}\n")
        return 2
    d = directory(prog, args.dir)
    if d is None:
        return 2
    from hostform.cli._common import sorted_findings
    from hostform.cli._findings import write_findings
    from hostform.host.load import load_file
    from hostform.pipeline import HOST_FILE

    if not os.path.lexists(d / HOST_FILE):
        sys.stderr.write(f"{prog}: {d / HOST_FILE}: no host file here\n")
        return 2
    loaded = load_file(d / HOST_FILE, unset_ok=True)  # another secret not set yet does not matter here
    host = loaded.host
    if host is None:
        write_findings(sorted_findings(loaded.report.errors), sys.stderr, d)
        sys.stderr.write(f"{prog}: fix {HOST_FILE} first (`hostform check {args.dir}`)\n")
        return 2
    if host.backups is None:
        sys.stderr.write(f"{prog}: {d / HOST_FILE} has no `backups:`: there is no repository to look at "
                         "(docs/backups.md)\n")
        return 2
    got = local.access(d, host, loaded.where, args.identity, os.environ, HOST_FILE)
    if isinstance(got, list):
        write_findings(sorted_findings(got), sys.stderr, d)
        return 2
    for note in got.notes:
        sys.stderr.write(f"{prog}: {note}\n")
    sys.stdout.flush()
    try:
        out = local.run(restic, got, args.action, os.environ, json=getattr(args, "json", False),
                        read_data_subset=getattr(args, "read_data_subset", None))
    except OSError as e:  # restic cannot be started (not a program for this machine), or no temporary directory
        where = f"{e.filename}: " if e.filename else ""
        sys.stderr.write(f"{prog}: {where}{e.strerror or e}\n")
        return 2
    if out.code == 0:
        return 0
    sys.stderr.write(f"{prog}: {local.why(out.code, out.stderr, got.repository)}\n")
    return 1
