"""The host file (``hostform.yaml``) as written: every key, what it accepts, its default and doc.

This table is the one contract: :mod:`hostform.host.load` walks the YAML tree
with it (one walker: types, unknown keys, required keys, enums, full-match
patterns, ranges, lengths, control characters and the named value checks of
:mod:`hostform.host.values`), the published JSON Schema is generated from it
(:func:`json_schema`), and so is the key reference in ``docs/host-file.md``.
``load.py`` keeps only the rules that span several keys.

Kinds of value:

``str``, ``int``, ``bool``
    a scalar; ``int`` also accepts nothing but an integer.
``scalar``
    a string, number or boolean, kept as the text written (environment values).
``num``
    a number or a string (``cpus: 0.5``).
``strmap``
    a mapping of names (``names``) to ``scalar`` values (``item``).
``strlist``
    a list of strings (``item``); a single string is accepted as a one-item list.
``command``
    a list of arguments (``item``), or one string split into words as a POSIX
    shell would, refused where a shell would expand or interpret something;
    with ``shell``, one string is a shell command line run by ``/bin/sh -c``.
``obj``
    a mapping with the fields listed in ``fields``; ``short`` names the field
    a bare scalar fills (``live`` for ``{service: live}``). Keys starting with
    ``x-`` are the user's own and are ignored.
``objmap``
    a mapping of names (``names``) to ``obj`` values.
``objlist``
    a list of ``obj`` values (each may be a bare scalar if ``short`` is set).

Every string is checked for characters no destination can carry: control
characters (C0 but tab, where ``text`` allows it; DEL; C1) and U+2028/U+2029
are refused wherever they are (HF011), and so is a string longer than
``max_len``. A ``str`` key always says what it accepts: an ``enum``, a
``pattern`` (matched against the whole value), a ``check`` or ``text``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hostform.quadlet.versions import DEFAULT_PODMAN_VERSION, VERSIONS
from hostform.terraform.model import PROVIDERS

__all__ = ["HOST", "JOB", "SCHEMA_ID", "TARGET", "Key", "all_keys", "json_schema", "json_schema_text", "key_reference"]

SCHEMA_ID = "https://hostform.dev/schema/hostform.schema.json"

# Longest string any key takes unless it says otherwise: a unit-file line and an
# argument of the podman command line (Linux: 128 KiB each) hold it with room.
TEXT_MAX = 32768
EXTENSION_PREFIX = "x-"


@dataclass(frozen=True)
class Key:
    name: str
    kind: str
    doc: str
    default: Any = None
    required: bool = False
    enum: tuple[str, ...] = ()
    fields: tuple["Key", ...] = ()
    short: str | None = None
    pattern: str | None = None  # a regular expression the whole value must match
    accepts: str = ""  # what the value may be, in words (errors and docs)
    check: str | None = None  # a named check of hostform.host.values, after the pattern
    text: bool = False  # free text: any printable character, and tab
    lines: bool = False  # str: text on several lines (newlines allowed); each line's position is recorded at PATH + (i,)
    max_len: int = TEXT_MAX
    minimum: int | None = None
    maximum: int | None = None
    item: "Key | None" = None  # strlist / command items, strmap values
    names: "Key | None" = None  # strmap / objmap keys
    own_names: bool = True  # strmap / objmap: a name starting with x- is the user's own (ignored); False where it is data
    implied: bool = False  # obj: when absent, it is there with its defaults (tls, updates, state)
    shell: bool = False  # command: one string is a shell command line (run by /bin/sh -c), not words
    chars: str = ""  # the characters ``pattern`` allows: an error points at the first other one
    example: Any = None

    def field(self, name: str) -> "Key | None":
        for f in self.fields:
            if f.name == name:
                return f
        return None


def _str(name: str, doc: str, **kw: Any) -> Key:
    return Key(name, "str", doc, **kw)


# ---------------------------------------------------------------- alphabets
# Each is matched against the whole value (re.fullmatch), so no anchors here.

_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = _LOWER + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NAME = dict(pattern=r"[a-z0-9]+(?:[_-]+[a-z0-9]+|\.[a-z0-9]+)*", max_len=63, chars=_LOWER + "_.-",
            accepts="1 to 63 lower-case letters, digits, '-', '_' and '.', starting and ending with a letter or digit, no '..'")
DNS_LABEL = dict(pattern=r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", max_len=63, chars=_LOWER + "-",
                 accepts="a DNS label: 1 to 63 lower-case letters, digits and '-', not at either end")
ENV_NAME = dict(pattern=r"[A-Za-z_][A-Za-z0-9_]*", max_len=255, chars=_ALNUM + "_",
                accepts="an environment variable name: letters, digits and '_', not starting with a digit")
SECRET_NAME = dict(pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}", max_len=253, chars=_ALNUM + "_.-",
                   accepts="letters, digits, '-', '_' and '.', starting with a letter or digit")
_PATH_CHARS = _ALNUM + "._@+/-"
REL_PATH = dict(pattern=r"[A-Za-z0-9._@+/-]+", check="rel_path", max_len=4096, chars=_PATH_CHARS,
                accepts="a relative path inside this directory: letters, digits, '.', '_', '-', '@', '+' and '/', no '..'")
ABS_PATH = dict(pattern=r"/[A-Za-z0-9._@+/-]*", check="abs_path", max_len=4096, chars=_PATH_CHARS,
                accepts="an absolute path: '/' then letters, digits, '.', '_', '-', '@', '+' and '/', no '..' or '//'")
DEVICE = dict(pattern=r"/dev/[A-Za-z0-9._:@+/-]+", check="abs_path", max_len=4096, chars=_PATH_CHARS + ":",
              accepts="a block device path under /dev/: letters, digits, '.', '_', '-', ':', '@', '+' and '/'")
DOMAIN = dict(check="domain", max_len=253,
              accepts="a domain name in lower case (example.org); no wildcard, no IP address")
GO_DURATION = dict(check="go_duration", max_len=64,
                   accepts="a duration with a unit, as podman reads it: 30s, 1m30s, 500ms, 2h")
TIMESPAN = dict(check="timespan", max_len=256,
                accepts="a time span as systemd reads it: 0, 30s, 5min, 1h 30min")
PROVIDER_ID = dict(pattern=r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}", max_len=255, chars=_ALNUM + "._:/-",
                   accepts="a provider identifier: letters, digits, '.', '_', '-', ':' and '/'")
URL = dict(pattern=r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+", max_len=4096, check="url",
           accepts="an http:// or https:// URL with no spaces ('%' only as %XX)")
# RFC 7230 token characters (tchar), less '`' (no Caddyfile token carries it), not starting with '+' or '-'
# (Caddy's `header` reads them as add and delete).
# ... and not `defer`, `match` or `import` (in any case): Caddy's `header` and the Caddyfile read those
# words as its own, not as a header name.
HEADER_NAME = dict(pattern=r"(?![Dd][Ee][Ff][Ee][Rr]$|[Mm][Aa][Tt][Cc][Hh]$|[Ii][Mm][Pp][Oo][Rr][Tt]$)"
                   r"[A-Za-z0-9!#$%&'*.^_|~][A-Za-z0-9!#$%&'*.^_|~+-]{0,127}", max_len=128, chars=_ALNUM + "!#$%&'*.^_|~+-",
                   accepts="an HTTP header name (RFC 7230 token): letters, digits and !#$%&'*.^_|~+-, not starting with '+' or '-', "
                   "no '`', and not one of Caddy's own words defer, match, import")
# RFC 7230 field-value on one line: visible characters with single spaces or tabs between, none at either end;
# not '{', '}', '\\' or '`' (Caddy's placeholders and escapes: no Caddyfile token carries them as they are).
HEADER_VALUE = dict(pattern=r"[^\s{}\\`](?:[^\n\r{}\\`]*[^\s{}\\`])?", max_len=8192, text=True,
                    accepts="one line of text, not empty, no white space at either end, no '{', '}', '\\' or '`'")
BASIC_USER = dict(pattern=r"(?![Ii][Mm][Pp][Oo][Rr][Tt]$)[A-Za-z0-9._@+-]{1,64}", max_len=64, chars=_ALNUM + "._@+-",
                  accepts="1 to 64 letters, digits, '.', '_', '@', '+' and '-', not the Caddyfile's word import")
BCRYPT = dict(pattern=r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}", max_len=60,
              accepts="a bcrypt hash: $2a$, $2b$ or $2y$, a cost 04 to 31, '$' and 53 characters of [./A-Za-z0-9]")
HEALTH = Key(
    "health",
    "obj",
    "How the service is known to be healthy. systemd considers the service started only once the "
    "check passes, which is what lets `podman auto-update` roll a bad image back, and a container "
    "whose check fails `retries` times in a row later is killed (its `restart` policy applies). "
    "`http` is probed from the host, so the image needs nothing for it; `cmd` runs inside the "
    "container (podman's `HealthCmd=` with `Notify=healthy`, podman 5.0 and later).",
    fields=(
        _str("http", "Path (and query) to GET on the service's `port`, from the host, at the container's "
             "address on the services' network (a pod member's: its pod's); a 2xx or 3xx answer is healthy. "
             "The image needs no curl, wget or shell (a distroless or scratch image works). Instead of `cmd`.",
             pattern=r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*", max_len=2048,
             accepts="a URL path starting with '/' (RFC 3986 characters, no spaces)", example="/"),
        Key("cmd", "command", "A command run inside the container; exit 0 means healthy. Instead of `http`. "
            "A list is the exact command and its arguments (a one-item list is run through /bin/sh -c, quoted); "
            "one string is a shell command line, run by the image's /bin/sh -c as written.", shell=True,
            item=_str("cmd", "An argument.", text=True, check="argument", accepts="any text on one line (tab allowed)")),
        _str("interval", "Time between checks.", default="30s", **GO_DURATION),
        _str("timeout", "Time a check may take.", default="5s", **GO_DURATION),
        Key("retries", "int", "Consecutive failures before the container is unhealthy.", default=3, minimum=1, maximum=1000),
        _str("start_period", "Grace time after start during which failures do not count.", default="10s",
             **{**GO_DURATION, "check": "go_duration_or_zero"}),
    ),
)

SERVICE_SECRET = Key(
    "secrets",
    "objlist",
    "Podman secrets given to the container: a secret kept encrypted in secrets/NAME.age "
    "(`hostform secret set NAME`) or declared under the top-level `secrets`. A bare name is mounted as "
    "the file /run/secrets/NAME.",
    short="name",
    fields=(
        _str("name", "The secret's name.", required=True, **SECRET_NAME),
        _str("env", "Expose it as this environment variable instead of a file.", **ENV_NAME),
        _str("target", "File path (or name under /run/secrets) for the file form.",
             pattern=r"[A-Za-z0-9._@+/-]+", check="target_path", max_len=4096,
             accepts="a path in the container, or a file name under /run/secrets: letters, digits, '.', '_', '-', '@', '+' and '/'"),
    ),
)

ENV_FILE = Key(
    "env_files",
    "objlist",
    "Environment files: an absolute path is a file already on the VM; a relative path is a file of "
    "this directory, whose content goes into the Ignition config in clear (like a secret's `file`): "
    "refused unless `embed: true` says so. A bare path is short for {file: PATH}.",
    short="file",
    fields=(
        _str("file", "The file: absolute (on the VM) or relative (in this directory, embedded, mode 0600).",
             required=True, pattern=r"[A-Za-z0-9._@+/-]+", check="env_file", max_len=4096,
             accepts="an absolute path on the VM or a relative path in this directory: letters, digits, '.', '_', '-', '@', '+' and '/'"),
        Key("embed", "bool", "Accept writing the file's content in clear into the Ignition config.", default=False),
    ),
)

# ------------------------------------------------ what services and jobs share
# One definition each: a job runs its container the way a service does.

IMAGE = dict(required=True, check="image", max_len=4096, accepts="registry/name:tag or registry/name@sha256:DIGEST",
             example="ghcr.io/example/app:latest")
COMMAND = Key("command", "command", "Command and arguments, replacing the image's (`Exec=`).",
              item=_str("command", "An argument.", text=True, check="argument", accepts="any text on one line (tab allowed)"))
ENV = Key("env", "strmap", "Environment variables (`Environment=`), written in the Ignition in clear: use `secrets` for secret values.",
          names=_str("env", "A variable name.", **ENV_NAME),
          item=Key("env", "scalar", "A value.", text=True, accepts="any text on one line (tab allowed)"))
VOLUMES = Key("volumes", "strmap", "Named volumes: NAME: /path/in/container. NAME is a directory of the state "
              "disk (state.path/volumes/NAME), so the data survives a VM replacement; the services and jobs "
              "that name the same volume share it.",
              names=_str("volumes", "A volume name.", **NAME),
              item=_str("volumes", "The path in the container.", **ABS_PATH))
USER = _str("user", "Run as this user (UID or UID:GID, or a name the image knows). Its volumes "
            "are then owned by that user (the `U` volume option: podman hands them over as the container starts).",
            pattern=r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})?", max_len=65, chars=_ALNUM + "_.-:",
            accepts="USER or USER:GROUP, each a name or number (letters, digits, '_', '.', '-')", example="1000:1000")

SERVICE = Key(
    "services",
    "objmap",
    "The containers to run, by name. The name is the container name, the "
    "quadlet file name (NAME.container, unit NAME.service) and the host name "
    "other containers (Caddy) reach it by on the network.",
    names=_str("name", "A service name.", **NAME),
    fields=(
        _str("image", "Fully qualified image reference with a tag or digest (registry/name:tag): "
             "auto-update needs the registry spelled out and follows the tag.", **IMAGE),
        COMMAND,
        _str("entrypoint", "Replace the image's entrypoint (\"\" clears it).", text=True, max_len=4096, check="lone_semicolon",
             accepts="a path or a JSON array (any text on one line)"),
        ENV,
        ENV_FILE,
        SERVICE_SECRET,
        VOLUMES,
        Key("port", "int", "The port the service listens on inside the container; sites proxy to it.", minimum=1, maximum=65535),
        Key("publish", "strlist", "Ports published on the VM (`PublishPort=`), as [IP:]HOST:CONTAINER[/tcp|/udp]. "
            "Not needed for sites: Caddy reaches services over the network. A port published on all "
            "addresses is opened in the target's firewall (warning HF024); bind it to 127.0.0.1 to keep it on the VM.",
            item=_str("publish", "A published port.", check="publish", max_len=64,
                      accepts="[IP:]HOST:CONTAINER[/tcp|/udp], ports 1-65535")),
        HEALTH,
        Key("depends_on", "strlist", "Services this one needs and starts after: its unit gets `Requires=` and "
            "`After=` on theirs. A dependency with a `health` check counts as started only once the check "
            "passes (`http`: the host's probe; `cmd`: `Notify=healthy`, podman 5.0 and later), so this service "
            "starts once it is healthy; without "
            "one, once its container runs. A dependency that fails to start keeps this service from starting, "
            "and stopping or restarting it (an auto-update restarts it) stops or restarts this service too. "
            "A cycle is refused (HF027).",
            item=_str("depends_on", "A service name (a key of `services`).", **NAME)),
        Key("resources", "obj", "Resource limits.", fields=(
            _str("memory", "Memory limit, like 512m or 2g.", pattern=r"[1-9][0-9]{0,15}[bkmgBKMG]?", max_len=17, check="memory",
                 accepts="a whole number of bytes with an optional unit b, k, m or g, at least 6m (podman's minimum)"),
            Key("cpus", "num", "CPU limit, in CPUs (0.5 is half a CPU).", check="cpus",
                accepts="a positive decimal number of CPUs up to 1024, at most 3 decimals (0.5, 2)"),
        )),
        USER,
        _str("restart", "systemd restart policy.", default="on-failure", enum=("on-failure", "always", "no")),
        Key("auto_update", "bool", "Update the image from its registry on the update schedule (`AutoUpdate=registry`).", default=True),
        _str("pod", "Put the service in this pod (see the warning HF016): all members of a pod restart together.", **NAME),
        Key("read_only", "bool", "Mount the container's root filesystem read-only.", default=False),
        Key("init", "bool", "Run a small init (podman's catatonit, `RunInit=`) as the container's PID 1: it passes "
            "signals on and reaps zombies. For a process that does not handle SIGTERM itself (busybox httpd, a shell "
            "script, node without a handler): as PID 1 it ignores SIGTERM, so podman kills it only after 10 s, and "
            "every stop, restart and update waits that long. Not for an image whose own init must be PID 1 (s6-overlay, systemd).",
            default=False),
        Key("backup", "obj", "What `backups` does with this service before each snapshot, so that its data is "
            "consistent: `before` runs a command in its container (a dump into one of its volumes: `pg_dump`), or "
            "`stop` stops it for the snapshot (and starts it again). See docs/backups.md.", fields=(
            Key("before", "command", "A command run inside the running container before the snapshot (`podman exec`); "
                "if it fails, no snapshot is taken and the run fails. A list is the exact command; one string is a "
                "shell command line, run by the image's /bin/sh -c.", shell=True,
                item=_str("before", "An argument (it reaches `podman exec` as it is: no unit file or shell reads it).", text=True,
                          accepts="any text on one line (tab allowed)")),
            Key("stop", "bool", "Stop the service for the snapshot, and start it again after (it is down for the "
                "snapshot's time).", default=False),
        )),
        Key("labels", "strmap", "Container labels (`Label=`).", own_names=False,
            names=_str("labels", "A label name.", pattern=r"[A-Za-z0-9][A-Za-z0-9._/-]{0,252}", max_len=253,
                       accepts="letters, digits, '.', '_', '-' and '/', starting with a letter or digit"),
            item=Key("labels", "scalar", "A value.", text=True, accepts="any text on one line (tab allowed)")),
        Key("extra", "strmap", "More [Container] keys the target podman supports (not the keys hostform writes "
            "itself). A key that takes one value (ShmSize, WorkingDir, HostName, ...) receives the value exactly "
            "as written; a key that takes words (PodmanArgs, AddCapability, Mask, ...) splits it into words as "
            "quadlet does (quotes group words). `%` and `$` have no special meaning.",
            names=_str("extra", "A quadlet key.", pattern=r"[A-Z][A-Za-z0-9]*", max_len=64, check="extra_key",
                       accepts="a [Container] key of the target podman's quadlet, like ShmSize"),
            item=Key("extra", "scalar", "The value.", text=True, check="unit_value",
                     accepts="one line of text (tab allowed), not empty, no white space at either end, not ending in a backslash")),
    ),
)


# A calendar event's alphabet: weekday and month names, shorthands and time zone names (letters, '_', '+',
# '-', '/'), numbers, and systemd's '*', ':', '.', ',', '~', '/' and single spaces between words. Nothing a
# unit file or a shell would read specially ('%', '$', backslashes, quotes, ';'), no white space at an end.
_CAL_CHARS = _ALNUM + "*:/.,~_+-"
CALENDAR = dict(pattern=r"[A-Za-z0-9*:/.,~_+-]+(?: [A-Za-z0-9*:/.,~_+-]+)*", chars=_CAL_CHARS + " ", check="calendar", max_len=256,
                accepts="a systemd calendar event (`OnCalendar=`): a shorthand (minutely, hourly, daily, weekly, monthly, "
                "quarterly, semiannually, yearly) or an expression of letters, digits, single spaces and *:/.,~_+- "
                "(Mon..Fri *-*-* 04:00, *-*-* 03:30, Sun 02:00 Europe/Berlin)")

JOB = Key(
    "jobs",
    "objmap",
    "Containers run to completion on a schedule (a dump, a cleanup), by name: NAME.container is the "
    "service NAME.service (`Type=oneshot`), started by the timer NAME.timer; its output goes to the "
    "journal. A job joins the services' network, so it reaches them by name. The name must not be a "
    "service's.",
    names=_str("name", "A job name.", **NAME),
    fields=(
        _str("image", "Fully qualified image reference with a tag or digest (registry/name:tag). With "
             "`updates.enabled`, each run first pulls a newer image of the tag when the registry has one "
             "(`Pull=newer`; the image already there when the registry cannot be reached).", **IMAGE),
        COMMAND,
        _str("schedule", "When to run it (`OnCalendar=` of NAME.timer). A run missed while the VM was off "
             "runs at the next boot (`Persistent=true`).", required=True, example="daily", **CALENDAR),
        _str("timeout", "How long a run may take (`TimeoutStartSec=` of NAME.service, the image pull included): a run "
             "still going then is stopped (SIGTERM, passed on to the container; what still runs 90 s later is "
             "killed) and fails, and the next one starts on schedule. `infinity`: no limit (a hung run holds up every later one).",
             default="1h", **{**TIMESPAN, "check": "run_timeout",
                              "accepts": "a time span as systemd reads it, longer than 0 (30s, 5min, 1h 30min), or infinity"}),
        ENV,
        VOLUMES,
        USER,
        SERVICE_SECRET,
    ),
)

SITE = Key(
    "sites",
    "objmap",
    "Web sites Caddy serves, by domain name, each proxied to a service. "
    "A bare service name is short for {service: NAME}.",
    short="service",
    names=_str("sites", "A domain name.", **DOMAIN),
    own_names=False,  # x-ray.example.org is a domain name
    fields=(
        _str("service", "The service to proxy to.", required=True, **NAME),
        Key("port", "int", "The service port (default: the service's `port`).", minimum=1, maximum=65535),
        Key("aliases", "strlist", "More domain names served the same way.", item=_str("aliases", "A domain name.", **DOMAIN)),
        Key("encode", "strlist", "Response compressions, in order of preference.",
            item=_str("encode", "A compression.", enum=("zstd", "gzip"))),
        Key("redirect_from", "strlist", "More domain names that answer with a permanent redirect (301, Caddy's "
            "`redir ... permanent`) to the same path and query on this site's address; each gets its own certificate.",
            item=_str("redirect_from", "A domain name.", **DOMAIN)),
        Key("headers", "strmap", "Response headers set on every response of the site (Caddy's `header`, deferred: "
            "they replace a header of the same name the service sends).", own_names=False,
            names=_str("headers", "A header name.", **HEADER_NAME),
            item=_str("headers", "The value.", **HEADER_VALUE)),
        Key("basic_auth", "objmap", "HTTP basic authentication on the whole site, by user name: the password "
            "as a hostform secret ({password: {secret: NAME}}: the build writes its bcrypt hash into the "
            "Caddyfile), or its bcrypt hash (`caddy hash-password`). A bare hash is short for {hash: HASH}.",
            short="hash", own_names=False,
            names=_str("basic_auth", "A user name.", **BASIC_USER),
            fields=(
                _str("hash", "The password's bcrypt hash. Instead of `password`.", **BCRYPT),
                Key("password", "obj", "The password: a hostform secret (`hostform secret set NAME`). Instead of `hash`.",
                    fields=(_str("secret", "The secret holding it.", required=True, **SECRET_NAME),)),
            )),
        _str("caddy", "A raw Caddyfile snippet placed inside the site block, after hostform's own directives: "
             "the escape hatch. The real Caddy checks it (`caddy adapt`) and its errors point at its lines here.",
             text=True, lines=True, check="caddy_snippet", max_len=65536,
             accepts="Caddyfile directives, as in a site block; braces balanced"),
    ),
)

TARGET = Key(
    "target",
    "obj",
    "Where the host runs, for `hostform plan | apply | destroy` (Terraform). With a target, "
    "`hostform build` also writes build/terraform/main.tf.json. No credential goes here: the "
    "provider reads its token from the environment (VULTR_API_KEY, HCLOUD_TOKEN, DIGITALOCEAN_TOKEN, AWS_*).",
    fields=(
        _str("provider", "The cloud, or `local` (Terraform's terraform_data running `hostform try`: offline).",
             required=True, enum=PROVIDERS),
        _str("region", "The provider's region or location (required for a cloud).", example="ams", **{**PROVIDER_ID, "max_len": 64}),
        _str("zone", "AWS only: the availability zone (default: the region with `a`).", **{**PROVIDER_ID, "max_len": 64}),
        _str("size", "The plan, server type, droplet size or instance type (required for a cloud).",
             example="vc2-1c-1gb", **{**PROVIDER_ID, "max_len": 64}),
        _str("plan", "Another name for `size`.", **{**PROVIDER_ID, "max_len": 64}),
        _str("image", "A provider image id: a Vultr or Hetzner snapshot id, a DigitalOcean image id, an AWS AMI.", **PROVIDER_ID),
        _str("image_url", "Vultr and DigitalOcean: a current Fedora CoreOS disk image to import "
             "(a snapshot from this URL; a custom image).", **URL),
        Key("os_id", "int", "Vultr only: a stock OS id. The stock Fedora CoreOS (391, the default without "
            "`image` or `image_url`) is stale: warning HF501.", minimum=1, maximum=2**31 - 1),
        _str("arch", "AWS only: the architecture of the Fedora CoreOS AMI looked up.", default="x86_64",
             enum=("x86_64", "aarch64")),
        Key("ssh_keys", "strlist", "Provider SSH key ids (the host has no SSH without `access.ssh_keys` anyway).",
            item=_str("ssh_keys", "A provider SSH key id or name.", pattern=r"[A-Za-z0-9][A-Za-z0-9 ._:@/+=-]{0,254}", max_len=255,
                      accepts="a key id or name: letters, digits, spaces and '._:@/+=-'")),
        Key("reserved_ip", "bool", "An address that survives VM replacements (and the DNS records point to).",
            default=True),
        Key("state_volume", "obj", "The block volume behind `state` (its size is `state.size`), attached after "
            "the VM boots and kept when the VM is replaced. `false`: none (the state directory is on the root "
            "disk). Default: true for a cloud, false for `local`.", short="enabled", fields=(
            Key("enabled", "bool", "Whether there is a state volume."),
            _str("device", "Its device on the VM (default: the provider's: /dev/vdb on Vultr, /dev/sdb on "
                 "Hetzner, /dev/disk/by-id/scsi-0DO_Volume_NAME on DigitalOcean, /dev/nvme1n1 on AWS). "
                 "The same as `state.device`: give one of them.", **DEVICE),
        )),
        Key("dns", "obj", "A records for the host's address in a DNS zone the provider hosts (it must exist).", fields=(
            _str("domain", "The zone.", required=True, example="example.org", **DOMAIN),
            Key("records", "objlist", "The records (default: the apex only). A bare name is short for "
                "{name: NAME}; \"\" is the apex.", short="name", fields=(
                _str("name", "The name in the zone (\"\" for the apex).", check="record_name", max_len=253,
                     accepts="\"\" or @ for the apex, or DNS labels in lower case separated by '.', the first may be '*'"),
                _str("type", "The record type.", default="A", enum=("A",)),
                Key("ttl", "int", "Time to live, in seconds.", default=300, minimum=30, maximum=2**31 - 1),
            )),
        )),
        _str("user_data_url", "Where you will upload the full Ignition config when it is too large for the "
             "provider's user data even compressed: the VM gets a small config that fetches it (HF502).",
             pattern=r"(https?|s3|gs|tftp)://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+", max_len=4096, check="url",
             accepts="an https://, http://, s3://, gs:// or tftp:// URL with no spaces ('%' only as %XX)"),
        _str("provider_version", "A version constraint for the provider plugin (default: hostform's).",
             check="version_constraint", max_len=256,
             accepts="a Terraform version constraint, like '~> 2.28' or '>= 5.50, < 6'"),
        Key("local", "obj", "The local target's commands; {dir} and {name} are replaced, shell-quoted.", fields=(
            _str("up", "Starts the machine.", default="hostform try --detach {dir}", text=False, check="local_command",
                 max_len=4096, accepts="a shell command on one line; {dir} and {name} are the only placeholders ({{ and }} for braces)"),
            _str("down", "Stops it.", default="hostform try --stop {name}", text=False, check="local_command",
                 max_len=4096, accepts="a shell command on one line; {dir} and {name} are the only placeholders ({{ and }} for braces)"),
        )),
    ),
)

OBSERVABILITY = Key(
    "observability",
    "obj",
    "Ship what the host does to an OpenTelemetry backend: an OpenTelemetry Collector runs as the container "
    "`otelcol` and sends, over OTLP/HTTP, the journal of every unit (services, Caddy, podman-auto-update, the "
    "quadlet generator; with the unit and container as attributes), host metrics (CPU, memory, load, network, "
    "the root and state file systems) and, with sites, Caddy's access log and metrics. See docs/observability.md.",
    fields=(
        _str("endpoint", "The OTLP/HTTP endpoint's base URL: the collector posts to ENDPOINT/v1/logs and "
             "ENDPOINT/v1/metrics.", required=True, example="https://otlp.example.org", **URL),
        Key("headers", "objmap", "HTTP headers sent with every export, by name (an API key, `Authorization`). "
            "A value is text written in the host file, or `{secret: NAME}`: a hostform secret "
            "(`hostform secret set NAME`), given to the collector's container as an environment variable, "
            "never written into its configuration. A bare value is short for {value: VALUE}.",
            names=_str("headers", "A header name.", **HEADER_NAME),
            own_names=False,
            short="value",
            fields=(
                _str("value", "The header's value, in clear (in the collector's configuration). Instead of `secret`.",
                     **HEADER_VALUE),
                _str("secret", "The secret holding the header's whole value (for a bearer token: `Bearer TOKEN`). "
                     "Instead of `value`.", **SECRET_NAME),
            )),
        _str("image", "The collector's image: an OpenTelemetry Collector with the journald, hostmetrics, filelog and "
             "prometheus receivers, the resource and batch processors, the file_storage extension and the otlphttp "
             "exporter, whose entrypoint is the collector, and which has `journalctl` (the stock contrib image lacks "
             "it). Pin it by digest. See docs/observability.md.", **IMAGE),
        _str("interval", "How often metrics are collected.", default="60s", **GO_DURATION),
    ),
)

BACKUPS = Key(
    "backups",
    "obj",
    "Backups of the state disk's data (every volume, and Caddy's certificates) with restic, on a timer, to a "
    "repository: a restic REST server, S3-compatible storage, SFTP, ... The repository's password and the storage's "
    "credentials are hostform secrets. Each run's result is in the journal (unit hostform-backup.service) and in "
    "`hostform status`; `hostform backups list` and `check` look at the repository from your machine. See docs/backups.md.",
    fields=(
        _str("repository", "Where the snapshots go, as restic names it: rest:https://HOST/PATH, s3:https://HOST/BUCKET/PATH, "
             "sftp:USER@HOST:/PATH, b2:BUCKET:PATH, ... (made at the first run when it does not exist). No credential "
             "in it: those go in `env`.", required=True, pattern=r"[a-z0-9]+:[A-Za-z0-9._~:/@%+=-]+", max_len=2048,
             chars=_ALNUM + "._~:/@%+=-", check="restic_repository", example="rest:https://backups.example.org/tinkerbell",
             accepts="a restic repository: rest:, s3:, sftp:, b2:, azure:, gs: or swift: and a location of letters, digits "
             "and ._~:/@%+=- (no credential)"),
        Key("password", "obj", "The repository's password: a hostform secret (`hostform secret set NAME`). Keep a copy "
            "elsewhere: without it the snapshots cannot be read.", required=True, fields=(
                _str("secret", "The secret holding it.", required=True, **SECRET_NAME),
            )),
        Key("env", "objmap", "restic's environment, by variable: the storage's credentials and settings "
            "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, RESTIC_REST_USERNAME, RESTIC_REST_PASSWORD, "
            "B2_ACCOUNT_ID, ...). A value is text written in the host file, or `{secret: NAME}`: a hostform secret, given "
            "to restic's container as the variable, never written in a file. A bare value is short for {value: VALUE}.",
            names=_str("env", "A variable name.", **ENV_NAME), own_names=False, short="value",
            fields=(
                _str("value", "The value, in clear (in the backups' configuration). Instead of `secret`.", text=True,
                     accepts="any text on one line (tab allowed)"),
                _str("secret", "The secret holding the value. Instead of `value`.", **SECRET_NAME),
            )),
        _str("schedule", "When to back up (`OnCalendar=` of hostform-backup.timer). A run missed while the VM was off "
             "runs at the next boot. The default is away from the update timer's full hours (a backup waits for a running "
             "update).", default="*-*-* 02:45", **CALENDAR),
        Key("keep", "obj", "Which snapshots to keep (restic `forget --prune` after each backup): the last snapshot of "
            "each of the last N days, weeks and months. The latest snapshot is always kept.", implied=True, fields=(
                Key("daily", "int", "Days.", default=7, minimum=0, maximum=100000),
                Key("weekly", "int", "Weeks.", default=4, minimum=0, maximum=100000),
                Key("monthly", "int", "Months.", default=6, minimum=0, maximum=100000),
                Key("yearly", "int", "Years.", default=0, minimum=0, maximum=100000),
            )),
        Key("prune", "bool", "Forget the snapshots `keep` does not keep (`restic forget --prune`) after each backup. "
            "`false` for an append-only server, which refuses it (prune there with its owner's credentials).", default=True),
        _str("restore", "`on-blank`: at boot, when the state disk holds no data (a new, blank volume), the latest "
             "snapshot is restored before any service, job or Caddy starts, so recovering from a lost volume is a "
             "replacement with a fresh one. It never restores over data. If the repository cannot be read, nothing "
             "starts (the reason is in the journal). `never`: no restore.", default="never", enum=("never", "on-blank")),
        Key("ssh_key", "obj", "sftp: the private key restic's ssh logs in with: a hostform secret.", fields=(
            _str("secret", "The secret holding it (an OpenSSH private key, no passphrase).", required=True, **SECRET_NAME),
        )),
        Key("known_hosts", "strlist", "sftp: the server's host keys, as lines of ssh's known_hosts "
            "(`ssh-keyscan HOST`); ssh refuses any other key.", item=_str("known_hosts", "A known_hosts line.",
                                                                         text=False, pattern=r"[!-~]+(?: [!-~]+)+", max_len=16384,
                                                                         accepts="HOSTS KEYTYPE BASE64 [COMMENT] on one line")),
        _str("image", "restic's image, with restic at /usr/bin/restic (Fedora CoreOS has no restic). Default: the "
             "official image, pinned by digest.", default="docker.io/restic/restic:0.18.1@sha256:"
             "39d9072fb5651c80d75c7a811612eb60b4c06b32ffe87c2e9f3c7222e1797e76", **{**IMAGE, "required": False}),
        _str("timeout", "How long a backup (or a restore) may take.", default="6h",
             **{**TIMESPAN, "check": "run_timeout", "accepts": "a time span as systemd reads it, longer than 0, or infinity"}),
    ),
)

HOST = Key(
    "hostform.yaml",
    "obj",
    "One container host: a VM with its services, web sites, TLS and updates.",
    fields=(
        _str("name", "The host's name (also its hostname).", required=True, example="tinkerbell", **DNS_LABEL),
        _str("podman", "The podman version of the target OS (major.minor): decides which quadlet keys are used.",
             default=DEFAULT_PODMAN_VERSION, enum=VERSIONS),
        _str("butane_version", "The Butane (fcos) spec version written in main.bu.", default="1.5.0",
             enum=("1.3.0", "1.4.0", "1.5.0", "1.6.0", "1.7.0")),
        SERVICE,
        JOB,
        SITE,
        Key("tls", "obj", implied=True, doc= "Certificates for the sites.", fields=(
            _str("email", "ACME account e-mail (expiry notices).", check="email", max_len=254,
                 accepts="an e-mail address: letters, digits and '._%+-' before the '@', a domain name after it"),
            _str("ca", "Which CA: production (Let's Encrypt), staging (untrusted, for trying) or "
                 "internal (Caddy's own CA, no network).", default="production", enum=("production", "staging", "internal")),
        )),
        Key("updates", "obj", implied=True, doc= "Automatic image updates (podman-auto-update.timer).", fields=(
            _str("schedule", "When to look for new images: a systemd calendar event (`OnCalendar=`).",
                 default="hourly", check="calendar", max_len=1024,
                 accepts="a systemd calendar event as `systemd-analyze calendar` reads it: hourly, daily, "
                 "Mon..Fri *-*-* 04:00:00, *:0/15"),
            _str("randomized_delay", "Spread the updates by a random delay up to this (`RandomizedDelaySec=`; 0: none).",
                 default="0", **{**TIMESPAN, "check": "finite_timespan"}),
            Key("enabled", "bool", "Run the timer at all. `false`: no service is updated (no `AutoUpdate=`).", default=True),
        )),
        Key("state", "obj", implied=True, doc= "The state disk: a block device that outlives the VM, for volumes and Caddy's certificates. "
            "It is attached after boot: a unit waits for it, makes a filesystem only when it is blank (never "
            "wipes it) and mounts it; Caddy and services with volumes wait for that mount.", fields=(
            _str("size", "Its size: the size of the block volume `target` creates (rounded up to whole GiB).",
                 default="10GiB", pattern=r"[1-9][0-9]{0,6}(B|KiB|MiB|GiB|TiB|K|M|G|T)", max_len=10,
                 accepts="a positive whole number and a unit: B, K, KiB, M, MiB, G, GiB, T, TiB"),
            _str("device", "The block device on the VM (default: the target provider's, else /dev/vdb).", **DEVICE),
            _str("path", "Where it is mounted.", default="/var/mnt/state",
                 pattern=r"/var/mnt/[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*", max_len=1024, chars=_LOWER + "_-/",
                 accepts="a path under /var/mnt/: lower-case letters, digits, '_', '-' and single '/'"),
            _str("format", "Filesystem type.", default="ext4", enum=("ext4", "xfs")),
        )),
        Key("secrets", "objmap", "Podman secrets by name, besides the encrypted ones: a secret whose value is kept "
            "encrypted in `secrets/NAME.age` (`hostform secret set NAME`) needs no entry here. An entry with `file` "
            "takes the value from a plain file of this directory, which goes into the Ignition config (and main.bu) in clear: "
            "hostform refuses unless `embed: true` says so. An entry with neither names a secret that must already "
            "exist on the VM.",
            names=_str("secrets", "A secret name.", **SECRET_NAME),
            fields=(
                _str("file", "A file of this directory holding the secret.", **REL_PATH),
                Key("embed", "bool", "Accept writing the secret in clear into the Ignition config.", default=False),
            )),
        Key("recipients", "strlist", "Who can decrypt the secrets kept in `secrets/NAME.age`: `hostform secret set` "
            "encrypts to every recipient listed here, and the build decrypts with the identity of one of them. "
            "After changing the list, `hostform secret rekey` re-encrypts every secret.",
            item=_str("recipients", "An age recipient.", check="age_recipient", max_len=16384,
                      accepts="an age public key (age1..., from `hostform secret keygen` or age-keygen) or an "
                      "ssh-ed25519 / ssh-rsa public key line")),
        Key("registries", "objmap", "Credentials for private registries, by registry host (with its port, and a "
            "namespace path to scope them). They are written to /var/lib/hostform/registries/auth.json (0600) on the VM, "
            "which every pull reads (the first start, `Pull=`, `podman auto-update`): systemd gives its path to every "
            "unit as REGISTRY_AUTH_FILE.",
            names=_str("registries", "A registry.", pattern=r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9._-]+){0,16}",
                       max_len=1024, chars=_LOWER + ".-:/_",
                       accepts="a registry host in lower case, an optional :port and an optional /namespace path (ghcr.io, "
                       "registry.example.org:5000, ghcr.io/my-org)"),
            own_names=False,
            fields=(
                _str("username", "The user name (or the token's name: `oauth2accesstoken`, `_json_key`, ...).", required=True,
                     pattern=r"[!-9;-~]{1,255}", max_len=255, chars="".join(chr(c) for c in range(33, 127) if c != 58),
                     accepts="1 to 255 printable ASCII characters, no space and no ':'"),
                Key("password", "obj", "The password or token: a hostform secret (never written in the host file).",
                    required=True, fields=(
                        _str("secret", "The secret holding it (`hostform secret set NAME`).", required=True, **SECRET_NAME),
                    )),
            )),
        OBSERVABILITY,
        BACKUPS,
        Key("status", "obj", "`hostform status`, `logs` and `update` from your machine: over HTTPS through Caddy, on "
            "`site` under /.hostform/, with a token kept as a hostform secret (the build writes its bcrypt hash into "
            "the Caddyfile; requests without it get 401). No port is opened. See docs/observability.md.", fields=(
            Key("token", "obj", "The token: a hostform secret (`hostform secret set NAME`; a long random value).",
                required=True, fields=(
                    _str("secret", "The secret holding it.", required=True, **SECRET_NAME),
                )),
            _str("site", "The site that serves /.hostform/ (default: the first site, by name).", **DOMAIN),
        )),
        Key("access", "obj", "How a human gets in. By default nobody: sshd is masked.", fields=(
            Key("ssh_keys", "strlist", "Break-glass SSH public keys for the user `core`; sshd stays enabled.",
                item=_str("ssh_keys", "An SSH public key.", check="ssh_key", max_len=16384,
                          accepts="one OpenSSH public key line: TYPE BASE64 [COMMENT], no options")),
        )),
        _str("network", "The podman network the services join; Caddy is on NETWORK-sites, which a service behind a site joins once its health check passes.", default="hostform",
             **{**NAME, "check": "network_name"}),
        Key("quadlets", "strlist", "More quadlet files of this directory, installed as they are "
            "in /etc/containers/systemd/.", item=_str("quadlets", "A quadlet file.", **{**REL_PATH, "check": "quadlet_file"})),
        Key("butane", "strlist", "Plain Butane files of this directory merged in as they are (lists are "
            "appended; their local: paths are relative to this directory).", item=_str("butane", "A Butane file.", **REL_PATH)),
        TARGET,
    ),
)


def all_keys(key: Key = HOST, prefix: str = "") -> list[tuple[str, Key]]:
    """Every key below ``key`` with its dotted path (``services.NAME.image``), depth first."""
    out: list[tuple[str, Key]] = []
    for f in key.fields:
        path = f"{prefix}{f.name}"
        shown = f"{path}.NAME" if f.kind == "objmap" else f"{path}[]" if f.kind == "objlist" else path
        out.append((shown, f))
        out.extend(all_keys(f, shown + "."))
    return out


# --------------------------------------------------------------- JSON Schema


def _js_str(key: Key) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string"}
    if key.enum:
        out["enum"] = list(key.enum)
    if key.pattern:
        out["pattern"] = f"^(?:{key.pattern})$"
    if not key.enum:
        out["maxLength"] = key.max_len
    return out


def _js(key: Key) -> dict[str, Any]:
    k = key.kind
    out: dict[str, Any]
    if k == "str":
        out = _js_str(key)
    elif k == "int":
        out = {"type": "integer"}
        if key.minimum is not None:
            out["minimum"] = key.minimum
        if key.maximum is not None:
            out["maximum"] = key.maximum
    elif k == "bool":
        out = {"type": "boolean"}
    elif k == "num":
        out = {"type": ["number", "string"]}
    elif k == "scalar":
        out = {"type": ["string", "number", "boolean"]}
    elif k == "strmap":
        assert key.item is not None and key.names is not None
        out = {"type": "object", "propertyNames": _js_str(key.names), "additionalProperties": _js(key.item)}
    elif k in ("strlist", "command"):
        assert key.item is not None
        item = _js_str(key.item)
        out = {"oneOf": [{"type": "string"} if k == "command" else item, {"type": "array", "items": item}]}
    elif k in ("obj", "objmap", "objlist"):
        props = {f.name: _js(f) for f in key.fields}
        obj: dict[str, Any] = {
            "type": "object",
            "properties": props,
            "patternProperties": {f"^{EXTENSION_PREFIX}": {}},
            "additionalProperties": False,
        }
        req = [f.name for f in key.fields if f.required]
        if req:
            obj["required"] = req
        if key.short:
            short = key.field(key.short)
            assert short is not None
            obj = {"oneOf": [{**_js(short), "description": f"Short for {{{key.short}: VALUE}}."}, obj]}
        if k == "objmap":
            assert key.names is not None
            out = {"type": "object", "propertyNames": _js_str(key.names), "additionalProperties": obj}
        elif k == "objlist":
            out = {"type": "array", "items": obj}
        else:
            out = obj
    else:  # pragma: no cover - a bug in the table
        raise ValueError(f"unknown kind {k!r}")
    if key.default is not None:
        out["default"] = key.default
    out = {"description": key.doc, **out}
    if key.example is not None:
        out["examples"] = [key.example]
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the host file."""
    body = _js(HOST)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "hostform host file",
        **body,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------- docs


def _accepts(key: Key) -> str:
    """What ``key``'s value may be, in words."""
    if key.kind == "str" or key.kind == "scalar":
        if key.enum:
            return "one of " + ", ".join(f"`{e}`" for e in key.enum)
        return key.accepts
    if key.kind == "int":
        lo = key.minimum if key.minimum is not None else "..."
        hi = key.maximum if key.maximum is not None else "..."
        return f"a whole number, {lo} to {hi}"
    if key.kind == "num":
        return key.accepts
    if key.kind == "bool":
        return "`true` or `false`"
    if key.kind == "command" and key.item is not None:
        return (f"a list of arguments, each {_accepts(key.item)} (not empty, not a lone ';'), or one string split "
                "into arguments as a POSIX shell would (quotes group words, nothing is expanded)")
    if key.kind == "strlist" and key.item is not None:
        return f"a list (or one item), each item {_accepts(key.item)}"
    if key.kind == "strmap" and key.item is not None and key.names is not None:
        return f"a mapping; keys: {_accepts(key.names)}; values: {_accepts(key.item)}"
    if key.kind == "objmap" and key.names is not None:
        return f"a mapping; keys: {_accepts(key.names)}"
    return ""


def key_reference() -> str:
    """The Markdown reference of every key (the body of docs/host-file.md)."""
    lines: list[str] = []
    for shown, f in all_keys():
        bits = [f"`{f.kind}`"]
        if f.required:
            bits.append("required")
        if f.default is not None:
            bits.append(f"default `{json.dumps(f.default)}`")
        what = _accepts(f)
        line = f"- **`{shown}`** ({'; '.join(bits)}): {f.doc}"
        if what:
            line += f" Accepts: {what}."
        lines.append(line)
    return "\n".join(lines) + "\n"
