"""Exact comparison of hostform's quadlet generator with a real one: every file, line, symlink and message.

Both generators write into an output directory (as systemd runs them, not ``-dryrun``), normal or
``-user``; what they leave there is read as a tree (regular files byte for byte, symlinks as their
targets, directories that hold nothing), with the exit code and the log lines.

The one freedom allowed: the real generator emits some ``podman`` arguments by iterating Go maps,
so their order is random from run to run. Each such map is a call site in podman's quadlet.go
(``lookupAndAddString``, ``lookupAndAddAllStrings``, ``lookupAndAddBoolean``,
``lookupAndAddKeyVals``): the arguments it emits form one
contiguous run of chunks, one chunk per key, in random key order. :func:`canonical` sorts each such
run by flag (a stable sort: the order of one key's own values is kept, as podman keeps it). Nothing
else is reordered. ``RANDOM_RUNS`` lists those maps per version, read from pkg/systemd/quadlet/quadlet.go
at v5.4.2, v5.8.2 and the main branch of 2026-05-19 (6.x).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# (the podman sub-command the run appears in, its flags, words per chunk)
_Run = tuple[tuple[str, ...], frozenset[str], int]


def _runs(*rows: tuple[tuple[str, ...], str, int]) -> tuple[_Run, ...]:
    return tuple((cmd, frozenset(flags.split()), width) for cmd, flags, width in rows)


_RUN = ("run",)
_NET = ("network", "create")
_VOL = ("volume", "create")
_IMG = ("image", "pull")
_BUILD = ("build",)
_POD = ("pod", "create")
_ART = ("artifact", "pull")

_COMMON_54 = (
    (_NET, "--disable-dns --internal --ipv6", 1),
    (_IMG, "--all-tags --tls-verify", 1),
    (_BUILD, "--tls-verify --force-rm", 1),
    (_BUILD, "--dns --dns-option --dns-search --group-add --tag", 2),
)
_COMMON_58 = (
    (_RUN, "--network-alias --ulimit --dns --dns-option --dns-search --group-add --add-host --tmpfs", 2),
    (_RUN, "--init --env-host --http-proxy --read-only-tmpfs", 1),
    (_RUN, "--env --label --annotation", 2),
    (_NET, "--disable-dns --internal --ipv6", 1),
    (_NET, "--driver --ipam-driver --interface-name", 2),
    (_NET, "--opt --label", 2),
    (_IMG, "--arch --authfile --cert-dir --creds --decryption-key --os --policy --variant --retry --retry-delay", 2),
    (_IMG, "--all-tags --tls-verify", 1),
    (_BUILD, "--arch --authfile --ignorefile --target --variant --retry --retry-delay", 2),
    (_BUILD, "--tls-verify --force-rm", 1),
    (_BUILD, "--dns --dns-option --dns-search --group-add --tag", 2),
    (_BUILD, "--build-arg --env --label --annotation", 2),
    (_POD, "--ip --ip6 --shm-size", 2),
    (_POD, "--network-alias --dns --dns-option --dns-search --add-host --hostname", 2),
    (_ART, "--authfile --cert-dir --creds --decryption-key --retry --retry-delay", 2),
    (_ART, "--quiet --tls-verify", 1),
)
RANDOM_RUNS: dict[str, tuple[_Run, ...]] = {
    "5.4": _runs(
        (_RUN, "--tz --pids-limit --shm-size --entrypoint --workdir --ip --ip6 --hostname --stop-signal --stop-timeout --pull", 2),
        (_RUN, "--network-alias --ulimit --dns --dns-option --dns-search --group-add --add-host --tmpfs", 2),
        (_RUN, "--init --env-host --read-only-tmpfs", 1),
        (_NET, "--driver --ipam-driver", 2),
        (_NET, "--dns", 2),
        (_IMG, "--arch --authfile --cert-dir --creds --decryption-key --os --variant", 2),
        (_BUILD, "--arch --authfile --target --variant", 2),
        (_POD, "--ip --ip6 --shm-size", 2),
        (_POD, "--network-alias --dns --dns-option --dns-search --add-host", 2),
        *_COMMON_54,
    ),
    "5.8": _runs(
        (_RUN, "--tz --pids-limit --shm-size --workdir --ip --ip6 --hostname --stop-signal --stop-timeout --pull --memory --retry --retry-delay", 2),
        (_NET, "--dns", 2),
        *_COMMON_58,
    ),
}
RANDOM_RUNS["6.1"] = RANDOM_RUNS["5.8"]


def _command(words: list[str]) -> tuple[tuple[str, ...] | None, int]:
    """The podman sub-command of an Exec line of podman's and the index of the word after it (the
    first sub-command after the binary and its global arguments); (None, len) for another program."""
    if not words or os.path.basename(words[0].lstrip("-@!+:")) != "podman":
        return None, len(words)
    for i in range(1, len(words)):
        for cmd in (_NET, _VOL, _IMG, _POD, _ART, _RUN, _BUILD):
            if tuple(words[i : i + len(cmd)]) == cmd:
                return cmd, i + len(cmd)
    return None, len(words)


def _flag(word: str) -> str:
    return word.split("=", 1)[0] if word.endswith("=false") else word


def canonical_words(words: list[str], version: str, auto_update: bool = False) -> list[str]:
    """``words`` of one Exec line with every random run sorted by flag (stable). A run is only
    reordered when each flag's chunks are together in it, as podman writes them (one map key's
    values are emitted in one go). ``auto_update``: the unit has ``AutoUpdate=``, whose
    ``--label io.containers.autoupdate=...`` podman writes on its own, right before the ports and
    the map of ``--env``/``--label``/``--annotation``: it stays in place."""
    cmd, start = _command(words)
    runs = [(flags, width) for c, flags, width in RANDOM_RUNS[version] if c == cmd]
    out: list[str] = words[:start]
    i = start
    while i < len(words):
        group = next(((flags, width) for flags, width in runs if _flag(words[i]) in flags), None)
        if group is None:
            out.append(words[i])
            i += 1
            continue
        flags, width = group
        chunks: list[list[str]] = []
        while i < len(words) and _flag(words[i]) in flags and i + width <= len(words):
            chunks.append(words[i : i + width])
            i += width
        if auto_update and chunks and width == 2 and chunks[0][0] == "--label" and chunks[0][1].startswith(_AUTO_UPDATE):
            out.extend(chunks.pop(0))
            auto_update = False
        order = [_flag(c[0]) for c in chunks]
        together = all(order.index(f) == k or order[k - 1] == f for k, f in enumerate(order))
        for chunk in sorted(chunks, key=lambda c: _flag(c[0])) if together else chunks:
            out.extend(chunk)
    return out


_AUTO_UPDATE = "io.containers.autoupdate="
_AUTO_UPDATE_KEY = re.compile(r"^\[X-Container\]\n(?:(?!\[).*\n)*?AutoUpdate=\S", re.M)


def canonical(text: str, version: str) -> str:
    """A unit's text with the random runs of its Exec lines in a fixed order (other lines untouched).

    The words are moved as written (quotes and escapes kept), so a difference in how a word is
    quoted is still a difference."""
    lines = []
    auto_update = _AUTO_UPDATE_KEY.search(text) is not None
    for line in text.split("\n"):
        key, eq, value = line.partition("=")
        if eq and key.startswith("Exec") and key.isalnum():
            words = raw_words(value)
            if words is not None:
                canon = canonical_words(words, version, auto_update)
                if canon != words:
                    line = key + "=" + " ".join(canon)
        lines.append(line)
    return "\n".join(lines)


def raw_words(value: str) -> list[str] | None:
    """``value`` split at unquoted spaces, each word as written (an empty one where two spaces
    meet); None if it is not one line of words (then it is compared as it is)."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    escaped = False
    for c in value:
        if escaped:
            word.append(c)
            escaped = False
        elif c == "\\":
            word.append(c)
            escaped = True
        elif quote:
            word.append(c)
            if c == quote:
                quote = ""
        elif c in "\"'" and not word:
            word.append(c)
            quote = c
        elif c == " ":  # one space between words; two around an empty one (podman writes "" as nothing)
            words.append("".join(word))
            word = []
        elif c in "\t\n":
            return None
        else:
            word.append(c)
    if quote or escaped:
        return None
    words.append("".join(word))
    return words


@dataclass
class Outcome:
    """What one generator run left behind."""

    code: int
    tree: dict[str, str] = field(default_factory=dict)
    """path relative to the output directory -> file text, ``-> target`` of a symlink, or ``<dir>``."""
    log: list[str] = field(default_factory=list)
    """the log lines, the output directory spelt OUT, the process prefix removed."""
    version: str = "6.1"
    """the release that ran (or is emulated): what :func:`canonical` reads the Exec lines for."""


def _read_tree(out: Path) -> dict[str, str]:
    """The output directory as written (files byte for byte as text, symlinks as targets, empty directories)."""
    tree: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(out):
        base = Path(dirpath)
        for name in sorted(dirnames + filenames):
            p = base / name
            rel = str(p.relative_to(out))
            if p.is_symlink():
                tree[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                tree[rel] = p.read_bytes().decode("utf-8", "surrogateescape")
            elif p.is_dir() and not any(p.iterdir()):
                tree[rel] = "<dir>"
    return dict(sorted(tree.items()))


_TMP_NAME = re.compile(r"(/\.tmp-[^/]*?\.service)[0-9]+\b")


def _log(stderr: str, out: Path) -> list[str]:
    """The log lines, the output directory spelt OUT, and the random digits of podman 6.1's
    temporary file names (``.tmp-NAME.service<digits>``) spelt N. A Go panic's stack trace (podman
    5.4 crashes on some units) ends the log at its ``goroutine 1 [running]:`` line: its addresses
    change from run to run, and hostform does not reproduce it."""
    lines = [_TMP_NAME.sub(r"\1N", ln.split("]: ", 1)[-1].replace(str(out), "OUT")) for ln in stderr.splitlines()]
    if "goroutine 1 [running]:" in lines:
        lines = lines[: lines.index("goroutine 1 [running]:") + 1]
    return lines


QDIR, PROG = "QDIR", "QUADLET"
"""How the unit directory and the generator's own path are spelt in an outcome, so that outcomes of
runs in different places (and recorded ones) compare."""


def _mask(outcome: Outcome, qdir: Path, binary: str) -> Outcome:
    def m(text: str) -> str:  # (a relative path may climb out of the unit directory)
        return text.replace(binary, PROG).replace(str(qdir), QDIR).replace(str(qdir.parent), QDIR + "/..")

    return Outcome(outcome.code, {m(k): m(v) for k, v in outcome.tree.items()}, [m(ln) for ln in outcome.log], outcome.version)


def real_outcome(binary: Path, qdir: Path, version: str, user: bool = False) -> Outcome:
    """Run the real generator of ``version`` (at ``binary``) over ``qdir`` into a fresh output directory, with ``-v``."""
    with tempfile.TemporaryDirectory(prefix="hf-real-") as tmp:
        out = Path(tmp) / "out"
        argv = [str(binary), *(["-user"] if user else []), "-v", "-no-kmsg-log", str(out)]
        env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": "/usr/bin/podman"}
        proc = subprocess.run(argv, env=env, capture_output=True, timeout=60)
        stderr = proc.stderr.decode("utf-8", "surrogateescape")
        got = Outcome(proc.returncode, _read_tree(out) if out.exists() else {}, _log(stderr, out), version)
        return _mask(got, qdir, str(binary))


def our_outcome(qdir: Path, version: str, user: bool = False) -> Outcome:
    """The same run of ``hostform quadlet -podman-version VERSION``."""
    from hostform.cli import quadlet as cli

    with tempfile.TemporaryDirectory(prefix="hf-ours-") as tmp:
        out = Path(tmp) / "out"
        err = io.StringIO()
        env = {"QUADLET_UNIT_DIRS": str(qdir), "PODMAN": "/usr/bin/podman"}
        argv = ["-podman-version", version, *(["-user"] if user else []), "-v", "-no-kmsg-log", str(out)]
        code = cli.main(argv, env=env, stdout=io.StringIO(), stderr=err, prog=PROG)
        got = Outcome(code, _read_tree(out) if out.exists() else {}, _log(err.getvalue(), out), version)
        return _mask(got, qdir, PROG)


def differences(real: Outcome, ours: Outcome) -> list[str]:
    """What differs, one line each (empty: identical); units compared through :func:`canonical`
    for the release that really ran."""
    diffs = []
    if real.code != ours.code:
        diffs.append(f"exit code: real {real.code}, hostform {ours.code}")
    for path in sorted(set(real.tree) | set(ours.tree)):
        a, b = real.tree.get(path), ours.tree.get(path)
        if a is not None and b is not None and not b.startswith("-> "):
            a, b = canonical(a, real.version), canonical(b, real.version)
        if a == b:
            continue
        if a is None or b is None:
            diffs.append(f"{path}: only {'hostform' if a is None else 'real'} has it")
            continue
        al, bl = a.split("\n"), b.split("\n")
        for n in range(max(len(al), len(bl))):
            x = al[n] if n < len(al) else "<none>"
            y = bl[n] if n < len(bl) else "<none>"
            if x != y:
                diffs.append(f"{path}:{n + 1}: real {x!r}, hostform {y!r}")
                break
    if real.log != ours.log:
        n = next((i for i, (a, b) in enumerate(zip(real.log, ours.log, strict=False)) if a != b), min(len(real.log), len(ours.log)))
        x = real.log[n] if n < len(real.log) else "<end>"
        y = ours.log[n] if n < len(ours.log) else "<end>"
        diffs.append(f"log line {n + 1}: real {x!r}, hostform {y!r}")
    return diffs
