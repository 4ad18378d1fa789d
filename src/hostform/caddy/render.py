"""Caddyfile writer: a small model of what hostform proxies, and its text.

The host file says which site address goes to which service; this module
turns that into a Caddyfile whose formatting is stable: tabs for indenting
and one blank line between blocks, exactly as ``caddy fmt`` writes it, so
``caddy fmt`` leaves our output unchanged (a test runs the real binary).
Sites are written sorted by address, so the output does not depend on the
order of the input.

What the generated Caddyfile relies on
--------------------------------------

* **HTTPS is automatic.** Every site address is a domain name, so Caddy
  obtains a certificate for it and redirects HTTP to HTTPS. That needs
  ports 80/tcp (HTTP-01 challenge, redirects) and 443/tcp (TLS-ALPN-01,
  HTTPS) published.
* **HTTP/3 is on by default** in Caddy 2 (``servers { protocols h1 h2 h3 }``
  is the default): Caddy listens on 443/udp and advertises it with an
  ``Alt-Svc`` header. Nothing in the Caddyfile turns it on, but the container
  must publish ``443:443/udp`` too, or browsers try QUIC, time out and fall
  back to TCP. The reference deployment publishes only ``443:443``.
* **Certificates live in** ``/data/caddy`` inside the container (the
  ``storage`` global option; it is also where the official image's
  ``XDG_DATA_HOME=/data`` puts them by default). ``/data`` must be mounted
  from the state volume, or every VM replacement asks the CA for new
  certificates, and Let's Encrypt's rate limits (5 duplicate certificates per
  week) bite quickly. ``/config`` holds only Caddy's autosaved JSON config.
* **Upstreams are container names** on one podman network (not a pod, so
  not ``127.0.0.1``): podman's DNS resolves ``live`` to the container's
  address while it runs and not at all while it restarts.

The container that runs it is described by :data:`CADDY_CONTAINER`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

from hostform.escape import caddy_token
from hostform.translations import TranslationSet

if TYPE_CHECKING:
    from hostform.diagnostics import DataPath

__all__ = [
    "CA_INTERNAL",
    "CA_PRODUCTION",
    "CA_STAGING",
    "CAS",
    "CADDY_CONTAINER",
    "CADDY_IMAGE",
    "CaddyContainer",
    "DEFAULT_LB_TRY_DURATION",
    "DEFAULT_LB_TRY_INTERVAL",
    "DEFAULT_STORAGE",
    "Endpoints",
    "GlobalOptions",
    "LETSENCRYPT_STAGING",
    "Mount",
    "PublishedPort",
    "RenderedCaddyfile",
    "Site",
    "render_caddyfile",
    "render_caddyfile_traced",
]

CA_PRODUCTION = "production"
"""Caddy's default issuers: Let's Encrypt, with ZeroSSL as fallback."""
CA_STAGING = "staging"
"""Let's Encrypt's staging CA: untrusted certificates, generous rate limits; for iterating."""
CA_INTERNAL = "internal"
"""Caddy's own local CA (``local_certs``): no network needed; for local tests."""
CAS = (CA_PRODUCTION, CA_STAGING, CA_INTERNAL)

LETSENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"

# Why these retry values.
#
# With `lb_try_duration` set, Caddy retries a request whose upstream could not
# be reached instead of answering 502 at once. Caddy only retries when it is
# safe: always after a *dial* error (no connection was made, so the upstream
# never saw the request; this is what a restarting container gives: its name
# no longer resolves, or the port refuses), and for GET requests after other
# errors. The clock starts when the request reaches the proxy.
#
# 30s: a `podman auto-update` restart (stop with its grace period, start,
# app boot) takes a few seconds, and a slow application start up to 10 to 20
# seconds; 30s waits that out with margin, while staying under the 60s or
# more that browsers and most HTTP clients wait for a response. When a service
# is really down, clients get their 502 after 30s instead of hanging forever.
#
# 250ms (Caddy's own default, written out so that the pair reads as one
# policy): a request is let through at most a quarter second after the
# container is back, and a waiting request costs four DNS lookups and
# connection attempts a second on the local bridge: nothing.
#
# No passive health checks (`fail_duration`): with one upstream, marking it
# "down" after a failure would make requests wait for `fail_duration` to end
# even when the container is already back.
#
# dial_timeout 1s (Caddy's default is 3s): the upstream is a container on the
# host's own bridge, which accepts a connection in well under a millisecond. A
# request dialled in the moment an updated container goes away (its name still
# resolves to the old address, which no longer answers) hangs until the dial
# times out, and only then is retried: on a booted machine the new version was
# served 3.8 s after `hostform update` with 3s, 1.3 s with 500ms (the unit was
# started after 1 s). A dial that times out is retried like any dial error.
DEFAULT_LB_TRY_DURATION = "30s"
DEFAULT_LB_TRY_INTERVAL = "250ms"
DIAL_TIMEOUT = "1s"

DEFAULT_STORAGE = "/data/caddy"
"""Certificate storage in the container; under the ``/data`` mount (state volume)."""

CADDY_IMAGE = "docker.io/library/caddy:2"
"""The official image, fully qualified (no short-name resolution on the host)."""

_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_ENCODINGS = ("zstd", "gzip")
_EMAIL = re.compile(r"^[^\s@{}\"]+@[^\s@{}\"]+$")
_PATH = re.compile(r"^/[^\s{}\"#]*$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*.^_|~][A-Za-z0-9!#$%&'*.^_|~+-]*$")
# the named matcher of every path of a site but its endpoints' (the site's own basic_auth takes it)
ENDPOINTS_MATCHER = "@hostform_site"
_BCRYPT = re.compile(r"^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$")


@dataclass(frozen=True)
class Endpoints:
    """Paths of a site answered by a unix socket each (``hostform status``, ``logs``, ``update``), behind
    their own basic-auth user: ``routes`` are (path, socket path); every other path under ``prefix``
    gets 404. The site's own ``basic_auth`` does not guard them (a request carries one credential), and
    they bypass its upstream."""

    prefix: str
    routes: tuple[tuple[str, str], ...]
    user: str
    hash: str
    source: DataPath | None = None

    def problems(self) -> list[str]:
        out = []
        if not _PATH.match(self.prefix) or not self.prefix.endswith("/"):
            out.append(f"endpoints prefix {self.prefix!r} is not an absolute path ending in /")
        for path, sock in self.routes:
            if not _PATH.match(path) or not path.startswith(self.prefix) or not _PATH.match(sock):
                out.append(f"endpoint {path!r} -> {sock!r}: not a path under the prefix and a socket path")
        if not _BCRYPT.match(self.hash):
            out.append(f"endpoints user {self.user!r}: the hash is not a bcrypt hash")
        if not re.fullmatch(r"[A-Za-z0-9._@+-]{1,64}", self.user):
            out.append(f"endpoints user {self.user!r} is not a user name")
        return out


@dataclass(frozen=True)
class Site:
    """One site block: requests for ``address`` go to ``upstream_host:upstream_port``.

    ``address`` is a domain name (``soap.coffee``; ``*.example.com`` also
    works with a DNS challenge, not set up here); ``aliases`` are more names
    served the same way. ``upstream_host`` is the container name on the
    podman network. ``encode`` lists response compressions (``zstd``,
    ``gzip``), in order of preference; empty means no ``encode`` directive.
    ``redirect_from`` are names that answer with a permanent redirect
    (``redir ... permanent``: 301) to the same URI on ``address``, each in a
    site block of its own, so each gets its certificate. ``headers`` are
    response headers set (deferred: they replace what the upstream sends);
    ``basic_auth`` is (user, bcrypt hash) pairs guarding the whole site;
    ``snippet`` is raw Caddyfile text put last in the site block (the host
    file's escape hatch), line for line.
    ``source`` is the input path the site came from (for example
    ``("sites", "soap.coffee")``), recorded in the translation set; the
    lines of the parts above are recorded at their own paths below it
    (``redirect_from``/i, ``headers``/NAME, ``basic_auth``/USER, ``caddy``/i
    for the snippet's line i, from 0).
    """

    address: str
    upstream_host: str
    upstream_port: int
    aliases: tuple[str, ...] = ()
    encode: tuple[str, ...] = ()
    lb_try_duration: str = DEFAULT_LB_TRY_DURATION
    lb_try_interval: str = DEFAULT_LB_TRY_INTERVAL
    source: DataPath | None = None
    redirect_from: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    basic_auth: tuple[tuple[str, str], ...] = ()
    snippet: str | None = None
    endpoints: Endpoints | None = None

    def problems(self) -> list[str]:
        """What makes this site unrenderable (empty when it is fine)."""
        out = self.endpoints.problems() if self.endpoints is not None else []
        for name in (self.address, *self.aliases, *self.redirect_from):
            if not _HOSTNAME.match(name):
                out.append(f"site address {name!r} is not a domain name")
        for hname, _ in self.headers:
            if not _HEADER_NAME.match(hname):
                out.append(f"header name {hname!r} is not an HTTP token (or starts with '+' or '-')")
        for user, hashed in self.basic_auth:
            if not _BCRYPT.match(hashed):
                out.append(f"basic_auth {user!r}: the hash is not a bcrypt hash")
        if not _HOSTNAME.match(self.upstream_host) or self.upstream_host.startswith("*"):
            out.append(f"upstream host {self.upstream_host!r} is not a host name")
        port: object = self.upstream_port  # a caller without a type checker may give anything
        if not (isinstance(port, int) and 1 <= port <= 65535):
            out.append(f"upstream port {self.upstream_port!r} is not in 1-65535")
        for enc in self.encode:
            if enc not in _ENCODINGS:
                out.append(f"encoding {enc!r} is not one of {', '.join(_ENCODINGS)}")
        if len(set(self.encode)) != len(self.encode):
            out.append("an encoding is listed twice")
        for name, value in (("lb_try_duration", self.lb_try_duration), ("lb_try_interval", self.lb_try_interval)):
            if not _DURATION.match(value):
                out.append(f"{name} {value!r} is not a duration like 30s or 250ms")
        return out


@dataclass(frozen=True)
class GlobalOptions:
    """The global options block.

    ``ca`` is one of :data:`CA_PRODUCTION` (Caddy's defaults),
    :data:`CA_STAGING` (``acme_ca`` set to Let's Encrypt's staging directory)
    or :data:`CA_INTERNAL` (``local_certs``: Caddy's own CA, no ACME at all;
    ``skip_install_trust`` because a container has no trust store worth
    changing). ``email`` is the ACME account address (expiry notices).
    ``storage`` is the certificate directory in the container, or None to
    leave Caddy's default. ``access_log``: every site logs its requests
    (JSON) to this file in the container. ``metrics_port``: Caddy collects
    its HTTP metrics (the global ``metrics``) and serves them, in Prometheus
    format, at ``/metrics`` of a plain-HTTP site on this port.
    """

    email: str | None = None
    ca: str = CA_PRODUCTION
    storage: str | None = DEFAULT_STORAGE
    access_log: str | None = None
    metrics_port: int | None = None

    def problems(self) -> list[str]:
        out = []
        if self.ca not in CAS:
            out.append(f"ca {self.ca!r} is not one of {', '.join(CAS)}")
        if self.email is not None and not _EMAIL.match(self.email):
            out.append(f"email {self.email!r} is not an e-mail address")
        if self.storage is not None and not _PATH.match(self.storage):
            out.append(f"storage {self.storage!r} is not an absolute path")
        if self.access_log is not None and not _PATH.match(self.access_log):
            out.append(f"access_log {self.access_log!r} is not an absolute path")
        port: object = self.metrics_port
        if port is not None and not (isinstance(port, int) and 1 <= port <= 65535):
            out.append(f"metrics_port {port!r} is not in 1-65535")
        return out


@dataclass(frozen=True)
class RenderedCaddyfile:
    """The Caddyfile text and, per output line (``("line", n)``, 1-based), its input path."""

    text: str
    translations: TranslationSet = field(compare=False)

    def source_of_line(self, line: int) -> DataPath | None:
        return self.translations.map_path(("line", line))


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ts = TranslationSet("host", "caddyfile")

    def line(self, depth: int, text: str, source: DataPath | None) -> None:
        self.lines.append("\t" * depth + text if text else "")
        if source is not None:
            self.ts.add(source, ("line", len(self.lines)))


def render_caddyfile_traced(sites: Iterable[Site], options: GlobalOptions | None = None) -> RenderedCaddyfile:
    """Render, and record which input path each output line came from.

    Raises ``ValueError`` for values the host model should have refused
    (an invalid address, two sites with the same address): a bug upstream.
    """
    options = options or GlobalOptions()
    ordered = sorted(sites, key=lambda s: s.address)
    problems = options.problems()
    seen: dict[str, Site] = {}
    for site in ordered:
        problems += site.problems()
        for name in (site.address, *site.aliases, *site.redirect_from):
            if name in seen:
                problems.append(f"site address {name!r} is used twice")
            seen[name] = site
    if problems:
        raise ValueError("; ".join(problems))

    w = _Writer()
    glob = _global_lines(options)
    if glob:
        w.line(0, "{", None)
        for text in glob:
            w.line(1, text, ("tls",))
        w.line(0, "}", None)
    for site in ordered:
        if w.lines:
            w.line(0, "", None)
        src = site.source
        w.line(0, ", ".join(caddy_token(a) for a in (site.address, *site.aliases)) + " {", src)
        if options.access_log is not None:
            w.line(1, "log {", ("observability",))
            w.line(2, f"output file {caddy_token(options.access_log)}", ("observability",))
            w.line(1, "}", ("observability",))
        if site.encode:
            w.line(1, "encode " + " ".join(caddy_token(e) for e in site.encode), src)
        if site.headers:
            w.line(1, "header {", _below(src, "headers"))
            for hname, value in site.headers:
                w.line(2, f"{caddy_token(hname)} {caddy_token(value)}", _below(src, "headers", hname))
            w.line(2, "defer", _below(src, "headers"))
            w.line(1, "}", _below(src, "headers"))
        ep = site.endpoints
        if site.basic_auth:
            # with endpoints, the site's login guards every path but theirs (a request carries one credential):
            # the very matcher that exempts them sends them into their own `handle`, which always answers
            if ep is not None:
                w.line(1, f"{ENDPOINTS_MATCHER} not path {caddy_token(ep.prefix + '*')}", ep.source)
            w.line(1, "basic_auth" + (f" {ENDPOINTS_MATCHER}" if ep is not None else "") + " {", _below(src, "basic_auth"))
            for user, hashed in site.basic_auth:
                w.line(2, f"{caddy_token(user)} {caddy_token(hashed)}", _below(src, "basic_auth", user))
            w.line(1, "}", _below(src, "basic_auth"))
        if ep is not None:  # Caddy runs `handle` before the site's reverse_proxy and the snippet's respond, route, ...
            _endpoints(w, ep)
        w.line(1, f"reverse_proxy {caddy_token(f'{site.upstream_host}:{site.upstream_port}')} {{", src)
        w.line(2, f"lb_try_duration {caddy_token(site.lb_try_duration)}", src)
        w.line(2, f"lb_try_interval {caddy_token(site.lb_try_interval)}", src)
        w.line(2, "transport http {", src)
        w.line(3, f"dial_timeout {DIAL_TIMEOUT}", src)
        w.line(2, "}", src)
        w.line(1, "}", src)
        if site.snippet is not None:
            _snippet(w, site.snippet, _below(src, "caddy"))
        w.line(0, "}", src)
        for i, name in enumerate(site.redirect_from):
            at = _below(src, "redirect_from", i)
            w.line(0, "", None)
            w.line(0, caddy_token(name) + " {", at)
            # the address is a host name (problems() says so): nothing in it needs quoting next to {uri}
            w.line(1, f"redir https://{caddy_token(site.address)}{{uri}} permanent", at)
            w.line(0, "}", at)
    if options.metrics_port is not None:
        if w.lines:
            w.line(0, "", None)
        w.line(0, f"http://:{options.metrics_port} {{", ("observability",))
        w.line(1, "metrics /metrics", ("observability",))
        w.line(0, "}", ("observability",))
    text = "\n".join(w.lines) + "\n" if w.lines else ""
    return RenderedCaddyfile(text, w.ts)


def _endpoints(w: _Writer, ep: Endpoints) -> None:
    """``handle PREFIX*``: the user and its hash (``basic_auth``: 401 without them, before anything else
    runs), then each path to its socket, and 404 for any other path under the prefix; a ``route``
    keeps that order."""
    src = ep.source
    w.line(1, f"handle {caddy_token(ep.prefix + '*')} {{", src)
    w.line(2, "route {", src)  # in the order written (Caddy's own order would put `respond` first)
    w.line(3, "basic_auth {", src)
    w.line(4, f"{caddy_token(ep.user)} {caddy_token(ep.hash)}", src)
    w.line(3, "}", src)
    for path, sock in ep.routes:
        w.line(3, f"reverse_proxy {caddy_token(path)} {caddy_token('unix/' + sock)}", src)
    w.line(3, "respond 404", src)
    w.line(2, "}", src)
    w.line(1, "}", src)


def _below(src: DataPath | None, *more: str | int) -> DataPath | None:
    return None if src is None else (*src, *more)


def _snippet(w: _Writer, text: str, src: DataPath | None) -> None:
    """The snippet's lines, one tab in (inside the site block), each traced to its own line of the input;
    a line that continues a quoted token is written as it is (an indent would change the token)."""
    from hostform.caddy.parse import tokenize

    inside: set[int] = set()
    for t in tokenize(text):
        if t.quote in ('"', "`"):
            first = t.line
            inside.update(range(first + 1, first + t.text.count("\n") + 1))
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    for i, line in enumerate(lines):
        at = _below(src, i)
        if i + 1 in inside:
            w.lines.append(line)
            if at is not None:
                w.ts.add(at, ("line", len(w.lines)))
        else:
            w.line(1 if line.strip() else 0, line if line.strip() else "", at)


def render_caddyfile(sites: Iterable[Site], options: GlobalOptions | None = None) -> str:
    """The Caddyfile for ``sites`` under ``options``; see :func:`render_caddyfile_traced`."""
    return render_caddyfile_traced(sites, options).text


def _global_lines(options: GlobalOptions) -> list[str]:
    out = []
    if options.email:
        out.append(f"email {caddy_token(options.email)}")
    if options.ca == CA_STAGING:
        out.append(f"acme_ca {caddy_token(LETSENCRYPT_STAGING)}")
    elif options.ca == CA_INTERNAL:
        out.append("local_certs")
        out.append("skip_install_trust")
    if options.storage:
        out.append(f"storage file_system {caddy_token(options.storage)}")
    if options.metrics_port is not None:
        out.append("metrics")
    return out


# --- the container that runs Caddy -------------------------------------------------


@dataclass(frozen=True)
class PublishedPort:
    """``host:container/protocol``; :meth:`quadlet` gives the ``PublishPort=`` value."""

    host: int
    container: int
    protocol: str = "tcp"
    why: str = ""

    def quadlet(self) -> str:
        value = f"{self.host}:{self.container}"
        return value if self.protocol == "tcp" else f"{value}/{self.protocol}"


@dataclass(frozen=True)
class Mount:
    """A path in the Caddy container and what must back it.

    ``persistent`` mounts must come from the state volume (they must survive
    a VM replacement); the others may live on the root disk.
    """

    target: str
    why: str
    persistent: bool
    read_only: bool = False

    def quadlet(self, source: str) -> str:
        """The ``Volume=`` value mounting ``source`` (host path or volume name) here."""
        value = f"{source}:{self.target}"
        return value + ":ro" if self.read_only else value


@dataclass(frozen=True)
class CaddyContainer:
    """What the host renderer needs to run Caddy: image, ports, mounts."""

    image: str
    ports: tuple[PublishedPort, ...]
    mounts: tuple[Mount, ...]
    caddyfile: str
    """Where the Caddyfile is mounted (the image's command reads it there)."""

    def publish_ports(self) -> list[str]:
        """``PublishPort=`` values, in a fixed order."""
        return [p.quadlet() for p in self.ports]

    def volumes(self, sources: Mapping[str, str]) -> list[str]:
        """``Volume=`` values; ``sources`` maps each mount target to its host source.

        Raises ``KeyError`` naming a target that has no source.
        """
        return [m.quadlet(sources[m.target]) for m in self.mounts]


CADDY_CONTAINER = CaddyContainer(
    image=CADDY_IMAGE,
    ports=(
        PublishedPort(80, 80, "tcp", "HTTP: ACME HTTP-01 challenges and redirects to HTTPS"),
        PublishedPort(443, 443, "tcp", "HTTPS over TCP (HTTP/1.1, HTTP/2), TLS-ALPN-01 challenges"),
        PublishedPort(443, 443, "udp", "HTTP/3 (QUIC), on by default in Caddy 2"),
    ),
    mounts=(
        Mount("/etc/caddy/Caddyfile", "the generated Caddyfile", persistent=False, read_only=True),
        Mount("/data", "certificates, ACME account keys, local CA (storage)", persistent=True),
        Mount("/config", "Caddy's autosaved JSON config", persistent=True),
    ),
    caddyfile="/etc/caddy/Caddyfile",
)
"""The Caddy container's needs. ``/config`` is cheap to keep, so it goes on the
state volume too; only ``/data`` is essential."""
