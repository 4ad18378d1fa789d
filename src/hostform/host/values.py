"""Named value checks of the host-file schema: what a pattern alone cannot say.

:data:`CHECKS` maps a check name (``Key.check`` in :mod:`hostform.host.schema`)
to a function of the value (a ``str``) returning ``None`` when the value is
fine, or a :class:`Problem`: a message that says what is wrong with this
value, where in it (an index, for the caret), and the code when it is not
HF011.  Checks that depend on other keys (the podman version for ``extra``)
get them from the ``context`` argument.

Each check reads a value the way its consumer will: image references as
podman's reference parser, domains as Caddy and ACME will, durations as Go's
``time.ParseDuration`` (podman's health flags), calendar events and time
spans as systemd (:mod:`hostform.timespec`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["CHECKS", "HOST_WRITTEN_KEYS", "Problem"]


@dataclass(frozen=True)
class Problem:
    message: str
    index: int | None = None  # where in the value, for the caret
    code: str = "HF011"


Check = Callable[[str, dict[str, Any]], "Problem | None"]


def _segments(value: str) -> Problem | None:
    """No empty, '.' or '..' segment (a path means one file, the one it names)."""
    parts = value.split("/")
    start = 1 if value.startswith("/") else 0
    pos = start
    for part in parts[start:]:
        if part in ("", ".", ".."):
            if part == "" and pos == len(value) and pos > 1:
                return Problem("a path must not end with '/'", pos - 1)
            if part == "":
                return Problem("'//' in a path", max(pos - 1, 0))
            return Problem(f"a path segment may not be {part!r}", pos)
        pos += len(part) + 1
    return None


def rel_path(value: str, ctx: dict[str, Any]) -> Problem | None:
    if value.startswith("/"):
        return Problem("must be a path relative to this directory, not an absolute path", 0)
    return _segments(value)


def abs_path(value: str, ctx: dict[str, Any]) -> Problem | None:
    if not value.startswith("/"):
        return Problem("must be an absolute path", 0)
    if value == "/":
        return None
    return _segments(value)


def env_file(value: str, ctx: dict[str, Any]) -> Problem | None:
    return abs_path(value, ctx) if value.startswith("/") else rel_path(value, ctx)


def target_path(value: str, ctx: dict[str, Any]) -> Problem | None:
    return env_file(value, ctx)


_QUADLET_EXTS = (".container", ".volume", ".network", ".kube", ".image", ".build", ".pod", ".artifact")


def quadlet_file(value: str, ctx: dict[str, Any]) -> Problem | None:
    p = rel_path(value, ctx)
    if p is not None:
        return p
    base = value.rsplit("/", 1)[-1]
    if not base.endswith(_QUADLET_EXTS) or base.startswith("."):
        return Problem(f"{base!r} is not a quadlet file name: NAME{'|NAME'.join(_QUADLET_EXTS)}")
    return None


# --------------------------------------------------------------- domains

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_LABEL_ANY_CASE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _labels(value: str) -> Problem | None:
    """Dot-separated DNS labels in lower case (the checks every domain-like value shares)."""
    if len(value) > 253:
        return Problem("a domain name has at most 253 characters", 253)
    if value.endswith("."):
        return Problem("write the name without the final dot", len(value) - 1)
    pos = 0
    for label in value.split("."):
        if not _LABEL.fullmatch(label):
            if _LABEL_ANY_CASE.fullmatch(label):
                return Problem(f"write domain names in lower case: {value.lower()!r}",
                               pos + next(i for i, c in enumerate(label) if c.isupper()))
            bad = next((i for i, c in enumerate(label) if not (c.isascii() and (c.isalnum() or c == "-"))), None)
            if not label:
                return Problem("an empty label ('..' or a leading '.')", max(pos - 1, 0))
            if bad is not None and not label[bad].isascii():
                return Problem("a domain name with other letters than a-z must be written in its ASCII "
                               "(punycode, xn--...) form", pos + bad)
            if bad is not None:
                return Problem(f"{label[bad]!r} cannot be in a domain name (letters, digits, '-' and '.')", pos + bad)
            return Problem("a label has 1 to 63 characters and neither starts nor ends with '-'", pos)
        pos += len(label) + 1
    return None


def domain(value: str, ctx: dict[str, Any]) -> Problem | None:
    """A host name Caddy gets a certificate for by HTTP-01 / TLS-ALPN-01."""
    if value.startswith("*"):
        return Problem("a wildcard name needs the ACME DNS-01 challenge, which hostform does not set up yet: "
                       "list each name (aliases: [a.example.org, b.example.org])", 0)
    p = _labels(value)
    if p is not None:
        return p
    if value.rsplit(".", 1)[-1].isdigit():
        return Problem("an IP address is not a site name: certificates are issued for domain names")
    if "." not in value:
        return Problem("is not a domain name with a dot (example.org): a public CA certifies only such names")
    return None


def record_name(value: str, ctx: dict[str, Any]) -> Problem | None:
    """A name in a DNS zone: "" (or "@") for the apex, else labels, the first of which may be '*'."""
    if value in ("", "@", "*"):
        return None
    rest = value[2:] if value.startswith("*.") else value
    p = _labels(rest)
    if p is None:
        return None
    shift = len(value) - len(rest)
    return Problem(p.message, None if p.index is None else p.index + shift)


# --------------------------------------------------------------- images

# distribution/reference's grammar: [domain[:port]/]path[:tag][@digest]
_REF = re.compile(
    r"(?P<domain>(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>(?P<alg>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):(?P<hex>[0-9a-fA-F]{32,})))?",
    re.ASCII,  # Go's \w: ASCII only
)
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}


def image(value: str, ctx: dict[str, Any]) -> Problem | None:
    m = _REF.fullmatch(value)
    if m is None:
        return Problem("is not an image reference (registry/name:tag, lower-case name)")
    reg = (m.group("domain") or "").rstrip("/")
    if not reg or not ("." in reg or ":" in reg or reg == "localhost"):
        if "/" not in value:
            return Problem(f"is not fully qualified (registry/name:tag): auto-update and pulls need the registry "
                           f"spelled out (docker.io/library/{value})", 0, "HF012")
        return Problem("is not fully qualified: the first part must be a registry host (with a dot or a port)", 0, "HF012")
    want = _DIGEST_HEX.get(m.group("alg") or "")
    if want is not None and len(m.group("hex")) != want:
        return Problem(f"the {m.group('alg')} digest has {len(m.group('hex'))} hex digits; it has {want}", m.start("hex"))
    if m.group("tag") is None and m.group("digest") is None:
        return Problem("has no tag: name the tag to run, which auto-update follows (':latest' if that is really what "
                       "you mean), or pin a digest", len(value), "HF012")
    return None


# --------------------------------------------------------------- ports

def publish(value: str, ctx: dict[str, Any]) -> Problem | None:
    from hostform.host.model import parse_publish

    parsed = parse_publish(value)
    if parsed is None:
        return Problem("is not [IP:]HOST:CONTAINER[/tcp|/udp]")
    ip = parsed[0]
    if ip and any(int(x) > 255 for x in ip.split(".")):
        return Problem(f"{ip!r} is not an IPv4 address", 0)
    return None  # the port range is HF021's (with the other services' ports)


# --------------------------------------------------------------- numbers, text


def cpus(value: str, ctx: dict[str, Any]) -> Problem | None:
    if not re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,3})?", value) or not 0 < float(value) <= 1024:
        return Problem("is not a number of CPUs from 0.001 to 1024 (like 0.5 or 2)")
    return None


def argument(value: str, ctx: dict[str, Any]) -> Problem | None:
    if value == "":
        return Problem("an empty argument cannot pass through the unit file (systemd drops it)")
    if value == ";":
        return Problem("a lone ';' separates commands in systemd's ExecStart: it cannot be an argument")
    return None


def unit_value(value: str, ctx: dict[str, Any]) -> Problem | None:
    if value.endswith("\\"):
        return Problem("a unit-file value cannot end with a backslash (it would join the next line)", len(value) - 1)
    if value != value.strip():
        return Problem("a unit-file value cannot start or end with white space (the unit file drops it)",
                       0 if value[:1].isspace() else len(value) - 1)
    if value == "":
        return Problem("is empty: leave the key out instead")
    return lone_semicolon(value, ctx)


def lone_semicolon(value: str, ctx: dict[str, Any]) -> Problem | None:
    """A value podman's quadlet may write as a word of its own in ExecStart= (``--workdir VALUE``)."""
    if value == ";":
        return Problem("a lone ';' separates commands in systemd's ExecStart: it cannot be a value here")
    return None


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@(?P<domain>.+)")


def email(value: str, ctx: dict[str, Any]) -> Problem | None:
    m = _EMAIL.fullmatch(value)
    if m is None:
        bad = next((i for i, c in enumerate(value) if not (c.isascii() and (c.isalnum() or c in "._%+-@"))), None)
        return Problem("is not an e-mail address", bad)
    d = m.group("domain")
    p = domain(d.lower(), ctx)
    if p is not None or "." not in d:
        return Problem("is not an e-mail address: the part after '@' must be a domain name", m.start("domain"))
    return None


_SSH_TYPES = (
    "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)
_SSH_KEY = re.compile(r"(?P<type>\S+) (?P<b64>[A-Za-z0-9+/]+={0,3})(?: (?P<comment>.*))?")


def ssh_key(value: str, ctx: dict[str, Any]) -> Problem | None:
    m = _SSH_KEY.fullmatch(value)
    if m is None or m.group("type") not in _SSH_TYPES:
        return Problem(f"is not an OpenSSH public key line ({', '.join(_SSH_TYPES[:3])}, ... then the base64 key)")
    import base64
    import binascii

    try:
        blob = base64.b64decode(m.group("b64"), validate=True)
    except (binascii.Error, ValueError):
        return Problem("the key's base64 part does not decode", m.start("b64"))
    n = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if blob[4 : 4 + n].decode("ascii", "replace") != m.group("type"):
        return Problem("the key's base64 part is not a key of the type it names", m.start("b64"))
    return None


def age_recipient(value: str, ctx: dict[str, Any]) -> Problem | None:
    """An age public key (``age1...``) or an OpenSSH public key age encrypts to (ssh-ed25519, ssh-rsa)."""
    if value.startswith("ssh-"):
        if not value.startswith(("ssh-ed25519 ", "ssh-rsa ")):
            return Problem("age encrypts to ssh-ed25519 and ssh-rsa keys only")
        found = ssh_key(value, ctx)
        if found is not None:
            return found
    elif not value.startswith("age1"):
        return Problem("is not an age recipient: an age public key (age1...) or an ssh-ed25519 / ssh-rsa public key")
    from hostform.secrets import SecretError, parse_recipient

    try:
        parse_recipient(value)
    except SecretError as e:
        return Problem(f"is {e}")
    return None


_CONSTRAINT = re.compile(r"\s*(=|!=|>|>=|<|<=|~>)?\s*[0-9]+(\.[0-9]+){0,2}(-[0-9A-Za-z.-]+)?\s*", re.ASCII)


def version_constraint(value: str, ctx: dict[str, Any]) -> Problem | None:
    if not all(_CONSTRAINT.fullmatch(part) for part in value.split(",")):
        return Problem("is not a version constraint like '~> 2.28' or '>= 5.50, < 6'")
    return None


def local_command(value: str, ctx: dict[str, Any]) -> Problem | None:
    from hostform.terraform.model import local_command_problem

    p = local_command_problem(value)
    return None if p is None else Problem(*p)


def url(value: str, ctx: dict[str, Any]) -> Problem | None:
    """Every '%' starts a %XX escape (Ignition and the providers refuse the URL otherwise)."""
    for m in re.finditer("%", value):
        if not re.fullmatch(r"%[0-9A-Fa-f]{2}", value[m.start() : m.start() + 3]):
            return Problem("'%' in a URL starts an escape of two hex digits (%20)", m.start())
    return None


# restic's repository schemes hostform writes the credentials of (backups.env, backups.ssh_key)
RESTIC_SCHEMES = ("rest", "s3", "sftp", "b2", "azure", "gs", "swift")


def restic_repository(value: str, ctx: dict[str, Any]) -> Problem | None:
    """A restic repository location: a scheme restic knows, no credential in it (they are secrets: backups.env)."""
    scheme, sep, rest = value.partition(":")
    if not sep or scheme not in RESTIC_SCHEMES:
        return Problem(f"starts with one of restic's backends: {', '.join(s + ':' for s in RESTIC_SCHEMES)} "
                       "(rest:https://HOST/PATH, s3:https://HOST/BUCKET/PATH, sftp:USER@HOST:/PATH)", 0)
    if scheme == "rest":
        if not rest.startswith(("http://", "https://")):
            return Problem("a REST server's location is rest:https://HOST[:PORT]/PATH", len(scheme) + 1)
        authority = rest.split("://", 1)[1].split("/", 1)[0]
        if "@" in authority:
            return Problem("holds a user name or password: give them as secrets in backups.env "
                           "(RESTIC_REST_USERNAME, RESTIC_REST_PASSWORD), never in the location", value.index("@"))
    elif scheme != "sftp" and "@" in rest:
        return Problem("holds a credential ('@'): give it as a secret in backups.env", value.index("@"))
    return url(value, ctx)


_MEMORY_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def memory(value: str, ctx: dict[str, Any]) -> Problem | None:
    n = int(value.rstrip("bkmgBKMG")) * _MEMORY_UNITS[value[-1].lower() if not value[-1].isdigit() else ""]
    return Problem("is less than 6m, the least memory podman lets a container have") if n < 6 << 20 else None


# podman refuses to create a network with the name of a network mode, and `podman` is its default one (no DNS)
RESERVED_NETWORKS = ("bridge", "container", "default", "host", "none", "ns", "pasta", "podman", "private", "slirp4netns")


def network_name(value: str, ctx: dict[str, Any]) -> Problem | None:
    if value in RESERVED_NETWORKS:
        return Problem(f"is a name podman keeps for itself ({', '.join(RESERVED_NETWORKS)}): choose another")
    return None


def finite_timespan(value: str, ctx: dict[str, Any]) -> Problem | None:
    p = timespan(value, ctx)
    if p is None and value.strip() == "infinity":
        return Problem("would delay every update for ever: give a time span")
    return p


def run_timeout(value: str, ctx: dict[str, Any]) -> Problem | None:
    """A job's TimeoutStartSec=: a time span longer than 0 (systemd reads 0 as no limit), or infinity."""
    p = timespan(value, ctx)
    if p is not None:
        return p
    from hostform.timespec import parse_timespan

    if parse_timespan(value) == 0:
        return Problem("would turn the limit off: say `infinity` for that, or give a time span longer than 0")
    return None


def go_duration(value: str, ctx: dict[str, Any]) -> Problem | None:
    """A duration podman's health flags take (Go's time.ParseDuration), longer than 0."""
    ns = _go_duration(value)
    if isinstance(ns, Problem):
        return ns
    return Problem("must be longer than 0 (podman reads 0 as: no health checks)") if ns <= 0 else None


def go_duration_or_zero(value: str, ctx: dict[str, Any]) -> Problem | None:
    """The same, 0 allowed (a start period)."""
    ns = _go_duration(value)
    if isinstance(ns, Problem):
        return ns
    return Problem("must not be negative") if ns < 0 else None


def _go_duration(value: str) -> int | Problem:
    from hostform.timespec import Invalid, parse_go_duration

    ns = parse_go_duration(value)
    return Problem(f"is not a duration podman reads: {ns}") if isinstance(ns, Invalid) else ns


def timespan(value: str, ctx: dict[str, Any]) -> Problem | None:
    if value != value.strip():
        return Problem("has white space at an end, which the unit file drops: leave it out", 0 if value[:1].isspace() else len(value) - 1)
    from hostform.timespec import Invalid, parse_timespan

    usec = parse_timespan(value)
    if isinstance(usec, Invalid):
        return Problem(f"is not a time span systemd reads: {usec}")
    return None


def calendar(value: str, ctx: dict[str, Any]) -> Problem | None:
    if value != value.strip():
        return Problem("has white space at an end, which the unit file drops: leave it out", 0 if value[:1].isspace() else len(value) - 1)
    from hostform.timespec import Invalid, parse_calendar

    spec = parse_calendar(value)
    if isinstance(spec, Invalid):
        return Problem(f"is not a calendar event systemd reads: {spec}")
    return None


# Quadlet keys hostform writes itself, with the host-file key that says it.
HOST_WRITTEN_KEYS = {
    "ContainerName": "the service's name",
    "ServiceName": "the service's name",
    "Image": "image",
    "AutoUpdate": "auto_update",
    "Pod": "pod",
    "Network": "network (every service joins it)",
    "Entrypoint": "entrypoint",
    "Exec": "command",
    "Environment": "env",
    "EnvironmentFile": "env_files",
    "Secret": "secrets",
    "Volume": "volumes",
    "ExposeHostPort": "port",
    "PublishPort": "publish",
    "User": "user",
    "Group": "user (USER:GROUP)",
    "ReadOnly": "read_only",
    "RunInit": "init",
    "HealthCmd": "health.cmd or health.http",
    "HealthInterval": "health.interval",
    "HealthTimeout": "health.timeout",
    "HealthRetries": "health.retries",
    "HealthStartPeriod": "health.start_period",
    "Notify": "health (Notify=healthy)",
    "Memory": "resources.memory",
    "Label": "labels",
}


def extra_kind(key: str) -> str:
    """How quadlet reads the [Container] key ``key`` (quadlet.tables kinds): ``string``, ``args``, ``bool``..."""
    from hostform.quadlet.tables import ROWS

    return next((row[1] for row in ROWS["Container"] if row[0] == key), "")


ONE_VALUE_KINDS = ("string", "string=", "present", "present=")
WORD_KINDS = ("args", "strv", "strv-lower", "keyvals", "meta", "handler")
BOOL_KINDS = ("bool", "true-flag")


def extra_key(value: str, ctx: dict[str, Any]) -> Problem | None:
    if value in HOST_WRITTEN_KEYS:
        return Problem(f"hostform writes {value}= itself: use {HOST_WRITTEN_KEYS[value]}")
    from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION, keys

    version = ctx.get("podman") or DEFAULT_PODMAN_VERSION  # the loader reads it ahead (one of VERSIONS)
    known = keys(version, "Container")
    if value not in known:
        import difflib

        close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return Problem(f"is not a [Container] key of podman {version}'s quadlet{hint}")
    return None


def caddy_snippet(value: str, ctx: dict[str, Any]) -> Problem | None:
    """A site's raw Caddyfile snippet: tokens Caddy can read, and braces that stay inside the site block
    (a snippet that closed it could add sites or global options). The real Caddy judges the rest."""
    from hostform.caddy.parse import tokenize
    from hostform.diagnostics import Report

    def index(line: int, col: int) -> int:
        starts = [0] + [i + 1 for i, c in enumerate(value) if c == "\n"]
        return min(starts[min(line, len(starts)) - 1] + col - 1, len(value))

    report = Report()
    tokens = tokenize(value, None, report)
    for d in report:
        return Problem(f"is not a Caddyfile snippet Caddy can read: {d.message}", index(d.line or 1, d.col or 1))
    depth = 0
    for t in tokens:
        if t.quote == "<" or (not t.quote and t.text.startswith("<<")):
            # Caddy ends a heredoc where hostform's reader cannot follow it (mid-line), so a heredoc
            # could hide a '}' that closes the site block
            return Problem("has a heredoc (<<): write the text as a quoted token instead", index(t.line, t.col))
        if t.is_open:
            depth += 1
        elif t.is_close:
            depth -= 1
            if depth < 0:
                return Problem("closes a block it did not open: the snippet must stay inside its site block", index(t.line, t.col))
    if depth:
        return Problem("leaves a block open: every '{' needs its '}'", len(value))
    return None


CHECKS: dict[str, Check] = {
    "rel_path": rel_path,
    "abs_path": abs_path,
    "env_file": env_file,
    "target_path": target_path,
    "quadlet_file": quadlet_file,
    "domain": domain,
    "record_name": record_name,
    "image": image,
    "publish": publish,
    "cpus": cpus,
    "argument": argument,
    "unit_value": unit_value,
    "lone_semicolon": lone_semicolon,
    "email": email,
    "ssh_key": ssh_key,
    "age_recipient": age_recipient,
    "version_constraint": version_constraint,
    "local_command": local_command,
    "url": url,
    "restic_repository": restic_repository,
    "memory": memory,
    "network_name": network_name,
    "finite_timespan": finite_timespan,
    "run_timeout": run_timeout,
    "go_duration": go_duration,
    "go_duration_or_zero": go_duration_or_zero,
    "timespan": timespan,
    "calendar": calendar,
    "extra_key": extra_key,
    "caddy_snippet": caddy_snippet,
}
