"""Quadlet keys as data: one row per (group, key), in output order.

``ROWS[group]`` is a tuple of ``(key, kind, flag, extra)`` rows.  The
converter for a group walks its rows in order and emits podman arguments;
so the table order is the argument order (where podman iterates Go maps and
emits a random order, hostform emits this fixed one).  Key names are spelled
exactly as podman spells them.

Kinds (``flag`` is the podman option; ``extra`` as noted):

=============  ============================================================
``string``     last value (``Lookup``), if non-empty: ``flag VALUE``;
               ``extra`` is an optional format for VALUE (``"label=type:%s"``)
``string=``    last value, if non-empty: ``flag=VALUE`` (one argument)
``present``    last value, if the key is set at all (even empty): ``flag VALUE``
``present=``   same, one argument ``flag=VALUE``
``strings``    every value (``LookupAll``): ``flag VALUE`` each
``strv``       every value split into words (``LookupAllStrv``): ``flag WORD`` each
``strv-lower`` same, lower-cased (capabilities)
``args``       every value split exec-style (``LookupAllArgs``): ``flag WORD``
               each; ``extra`` formats WORD; with no flag the words are added bare
``bool``       last value as a boolean: ``flag`` or ``flag=false``
``true-flag``  boolean (default false); when true add ``flag`` (and ``extra``)
``keyvals``    ``K=V`` words of every value, sorted by key: ``flag K=V`` each
``handler``    a named handler in ``generator.HANDLERS`` (``extra``) does it;
               several keys may share one handler, which runs at its first row
``meta``       read elsewhere (names, dependencies, base command): no argument
=============  ============================================================

This module is pure data (no imports); ``versions.py`` builds per-podman-version
tables on top of it.
"""

from __future__ import annotations

# extension -> (group, X- group, service-name suffix, processing order)
UNIT_TYPES: dict[str, tuple[str, str, str, int]] = {
    ".artifact": ("Artifact", "X-Artifact", "-artifact", 1),
    ".container": ("Container", "X-Container", "", 4),
    ".volume": ("Volume", "X-Volume", "-volume", 2),
    ".kube": ("Kube", "X-Kube", "", 4),
    ".network": ("Network", "X-Network", "-network", 2),
    ".image": ("Image", "X-Image", "-image", 1),
    ".build": ("Build", "X-Build", "-build", 3),
    ".pod": ("Pod", "X-Pod", "-pod", 5),
}

QUADLET_GROUP = "Quadlet"
X_QUADLET_GROUP = "X-Quadlet"
QUADLET_KEYS = ("DefaultDependencies",)

# Service keys that draw a warning (not an error).
UNSUPPORTED_SERVICE_KEYS = ("User", "Group", "DynamicUser")
DEPRECATED_KEYS = ("RemapGid", "RemapUid", "RemapUidSize", "RemapUsers", "VolatileTmp")

# Unit keys whose values may name quadlet files (translated to service names).
UNIT_DEPENDENCY_KEYS = (
    "After", "Before", "BindsTo", "Conflicts", "OnFailure", "OnSuccess", "PartOf",
    "PropagatesReloadTo", "PropagatesStopTo", "ReloadPropagatedFrom", "Requires",
    "Requisite", "StopPropagatedFrom", "Upholds", "Wants",
)

_USERNS = (
    ("UserNS", "handler", None, "user_mappings"),
    ("UIDMap", "handler", None, "user_mappings"),
    ("GIDMap", "handler", None, "user_mappings"),
    ("SubUIDMap", "handler", None, "user_mappings"),
    ("SubGIDMap", "handler", None, "user_mappings"),
    ("RemapUsers", "handler", None, "user_mappings"),
    ("RemapUid", "handler", None, "user_mappings"),
    ("RemapGid", "handler", None, "user_mappings"),
    ("RemapUidSize", "handler", None, "user_mappings"),
)

_BASE = (
    ("ContainersConfModule", "meta", "--module", "base command"),
    ("GlobalArgs", "meta", None, "base command"),
    ("ServiceName", "meta", None, "service name"),
)

Row = tuple[str, str, str | None, str | None]
"""One row: (key, kind, flag, extra)."""

ROWS: dict[str, tuple[Row, ...]] = {
    "Container": _BASE + (
        ("ContainerName", "meta", "--name", "container name"),
        ("ReloadCmd", "meta", None, "ExecReload"),
        ("ReloadSignal", "meta", None, "ExecReload"),
        ("LogDriver", "present", "--log-driver", None),
        ("LogOpt", "strv", "--log-opt", None),
        ("CgroupsMode", "handler", "--cgroups", "cgroups"),
        ("Entrypoint", "present=", "--entrypoint", None),
        ("Timezone", "string", "--tz", None),
        ("PidsLimit", "string", "--pids-limit", None),
        ("ShmSize", "string", "--shm-size", None),
        ("WorkingDir", "string", "--workdir", None),
        ("IP", "string", "--ip", None),
        ("IP6", "string", "--ip6", None),
        ("HostName", "string", "--hostname", None),
        ("StopSignal", "string", "--stop-signal", None),
        ("StopTimeout", "string", "--stop-timeout", None),
        ("Pull", "string", "--pull", None),
        ("Memory", "string", "--memory", None),
        ("Retry", "string", "--retry", None),
        ("RetryDelay", "string", "--retry-delay", None),
        ("NetworkAlias", "strings", "--network-alias", None),
        ("Ulimit", "strings", "--ulimit", None),
        ("DNS", "strings", "--dns", None),
        ("DNSOption", "strings", "--dns-option", None),
        ("DNSSearch", "strings", "--dns-search", None),
        ("GroupAdd", "strings", "--group-add", None),
        ("AddHost", "strings", "--add-host", None),
        ("Tmpfs", "strings", "--tmpfs", None),
        ("RunInit", "bool", "--init", None),
        ("EnvironmentHost", "bool", "--env-host", None),
        ("HttpProxy", "bool", "--http-proxy", None),
        ("ReadOnlyTmpfs", "bool", "--read-only-tmpfs", None),
        ("Network", "handler", "--network", "networks"),
        ("Notify", "handler", "--sdnotify", "notify"),
        ("NoNewPrivileges", "true-flag", "--security-opt=no-new-privileges", None),
        ("SecurityLabelDisable", "true-flag", "--security-opt", "label=disable"),
        ("SecurityLabelNested", "true-flag", "--security-opt", "label=nested"),
        ("SecurityLabelType", "string", "--security-opt", "label=type:%s"),
        ("SecurityLabelFileType", "string", "--security-opt", "label=filetype:%s"),
        ("SecurityLabelLevel", "string", "--security-opt", "label=level:%s"),
        ("AppArmor", "string", "--security-opt", "apparmor=%s"),
        ("AddDevice", "handler", "--device", "devices"),
        ("SeccompProfile", "present", "--security-opt", "seccomp=%s"),
        ("DropCapability", "strv-lower", "--cap-drop", None),
        ("AddCapability", "strv-lower", "--cap-add", None),
        ("Sysctl", "strv", "--sysctl", None),
        ("ReadOnly", "handler", "--read-only", "read_only"),
        ("VolatileTmp", "handler", "--tmpfs", "read_only"),
        ("User", "handler", "--user", "user"),
        ("Group", "handler", "--user", "user"),
    ) + _USERNS + (
        ("Volume", "handler", "-v", "volumes"),
        ("AutoUpdate", "string", "--label", "io.containers.autoupdate=%s"),
        ("ExposeHostPort", "handler", "--expose", "expose"),
        ("PublishPort", "strings", "--publish", None),
        ("Environment", "keyvals", "--env", None),
        ("Label", "keyvals", "--label", None),
        ("Annotation", "keyvals", "--annotation", None),
        ("Mask", "args", "--security-opt", "mask=%s"),
        ("Unmask", "args", "--security-opt", "unmask=%s"),
        ("EnvironmentFile", "handler", "--env-file", "env_files"),
        ("Secret", "args", "--secret", None),
        ("Mount", "handler", "--mount", "mounts"),
        ("HealthCmd", "string", "--health-cmd", None),
        ("HealthInterval", "string", "--health-interval", None),
        ("HealthOnFailure", "string", "--health-on-failure", None),
        ("HealthLogDestination", "string", "--health-log-destination", None),
        ("HealthMaxLogCount", "string", "--health-max-log-count", None),
        ("HealthMaxLogSize", "string", "--health-max-log-size", None),
        ("HealthRetries", "string", "--health-retries", None),
        ("HealthStartPeriod", "string", "--health-start-period", None),
        ("HealthTimeout", "string", "--health-timeout", None),
        ("HealthStartupCmd", "string", "--health-startup-cmd", None),
        ("HealthStartupInterval", "string", "--health-startup-interval", None),
        ("HealthStartupRetries", "string", "--health-startup-retries", None),
        ("HealthStartupSuccess", "string", "--health-startup-success", None),
        ("HealthStartupTimeout", "string", "--health-startup-timeout", None),
        ("Pod", "handler", "--pod", "pod"),
        ("StartWithPod", "meta", None, "pod"),
        ("PodmanArgs", "args", None, None),
        ("Image", "handler", None, "image"),
        ("Rootfs", "handler", "--rootfs", "image"),
        ("Exec", "handler", None, "exec"),
    ),
    "Volume": _BASE + (
        ("VolumeName", "meta", None, "volume name"),
        ("UID", "present", "--uid", None),
        ("GID", "present", "--gid", None),
        ("Driver", "present", "--driver", None),
        ("Image", "handler", "--opt", "volume_opts"),
        ("User", "handler", "--opt", "volume_opts"),
        ("Group", "handler", "--opt", "volume_opts"),
        ("Copy", "handler", "--opt", "volume_opts"),
        ("Device", "handler", "--opt", "volume_opts"),
        ("Type", "handler", "--opt", "volume_opts"),
        ("Options", "handler", "--opt", "volume_opts"),
        ("Label", "keyvals", "--label", None),
        ("PodmanArgs", "args", None, None),
    ),
    "Network": _BASE + (
        ("NetworkName", "meta", None, "network name"),
        ("NetworkDeleteOnStop", "meta", None, "ExecStopPost"),
        ("DisableDNS", "bool", "--disable-dns", None),
        ("Internal", "bool", "--internal", None),
        ("IPv6", "bool", "--ipv6", None),
        ("Driver", "string", "--driver", None),
        ("IPAMDriver", "string", "--ipam-driver", None),
        ("InterfaceName", "string", "--interface-name", None),
        ("DNS", "strings", "--dns", None),
        ("Subnet", "handler", "--subnet", "subnets"),
        ("Gateway", "handler", "--gateway", "subnets"),
        ("IPRange", "handler", "--ip-range", "subnets"),
        ("Options", "keyvals", "--opt", None),
        ("Label", "keyvals", "--label", None),
        ("PodmanArgs", "args", None, None),
    ),
    "Kube": _BASE + (
        ("ExitCodePropagation", "string=", "--service-exit-code-propagation", None),
        ("LogDriver", "present", "--log-driver", None),
        ("LogOpt", "strv", "--log-opt", None),
        ("UserNS", "handler", None, "kube_user_mappings"),
        ("RemapUsers", "handler", None, "kube_user_mappings"),
        ("RemapUid", "handler", None, "kube_user_mappings"),
        ("RemapGid", "handler", None, "kube_user_mappings"),
        ("RemapUidSize", "handler", None, "kube_user_mappings"),
        ("Network", "handler", "--network", "networks"),
        ("AutoUpdate", "handler", "--annotation", "kube_auto_update"),
        ("ConfigMap", "handler", "--configmap", "config_maps"),
        ("PublishPort", "strings", "--publish", None),
        ("PodmanArgs", "args", None, None),
        ("Yaml", "handler", None, "yaml"),
        ("KubeDownForce", "meta", "--force", "ExecStopPost"),
        ("SetWorkingDirectory", "meta", None, "WorkingDirectory"),
    ),
    "Image": _BASE + (
        ("Arch", "string", "--arch", None),
        ("AuthFile", "string", "--authfile", None),
        ("CertDir", "string", "--cert-dir", None),
        ("Creds", "string", "--creds", None),
        ("DecryptionKey", "string", "--decryption-key", None),
        ("OS", "string", "--os", None),
        ("Policy", "string", "--policy", None),
        ("Variant", "string", "--variant", None),
        ("Retry", "string", "--retry", None),
        ("RetryDelay", "string", "--retry-delay", None),
        ("AllTags", "bool", "--all-tags", None),
        ("TLSVerify", "bool", "--tls-verify", None),
        ("PodmanArgs", "args", None, None),
        ("Image", "handler", None, "pull_image"),
        ("ImageTag", "meta", None, "image name"),
    ),
    "Build": _BASE + (
        ("Pull", "string=", "--pull", None),
        ("Arch", "string", "--arch", None),
        ("AuthFile", "string", "--authfile", None),
        ("IgnoreFile", "string", "--ignorefile", None),
        ("Target", "string", "--target", None),
        ("Variant", "string", "--variant", None),
        ("Retry", "string", "--retry", None),
        ("RetryDelay", "string", "--retry-delay", None),
        ("TLSVerify", "bool", "--tls-verify", None),
        ("ForceRM", "bool", "--force-rm", None),
        ("DNS", "strings", "--dns", None),
        ("DNSOption", "strings", "--dns-option", None),
        ("DNSSearch", "strings", "--dns-search", None),
        ("GroupAdd", "strings", "--group-add", None),
        ("ImageTag", "strings", "--tag", None),
        ("BuildArg", "keyvals", "--build-arg", None),
        ("Environment", "keyvals", "--env", None),
        ("Label", "keyvals", "--label", None),
        ("Annotation", "keyvals", "--annotation", None),
        ("Network", "handler", "--network", "networks"),
        ("Secret", "args", "--secret", None),
        ("Volume", "handler", "-v", "volumes"),
        ("SetWorkingDirectory", "handler", None, "build_context"),
        ("File", "handler", "--file", "build_context"),
        ("PodmanArgs", "args", None, None),
    ),
    "Artifact": _BASE + (
        ("AuthFile", "string", "--authfile", None),
        ("CertDir", "string", "--cert-dir", None),
        ("Creds", "string", "--creds", None),
        ("DecryptionKey", "string", "--decryption-key", None),
        ("Retry", "string", "--retry", None),
        ("RetryDelay", "string", "--retry-delay", None),
        ("Quiet", "bool", "--quiet", None),
        ("TLSVerify", "bool", "--tls-verify", None),
        ("PodmanArgs", "args", None, None),
        ("Artifact", "handler", None, "artifact"),
    ),
    "Pod": _BASE + (
        ("StopTimeout", "meta", "--time", "ExecStop"),
        ("ExitPolicy", "handler", "--exit-policy", "exit_policy"),
    ) + _USERNS + (
        ("PublishPort", "strings", "--publish", None),
        ("Label", "keyvals", "--label", None),
        ("Network", "handler", "--network", "networks"),
        ("IP", "string", "--ip", None),
        ("IP6", "string", "--ip6", None),
        ("ShmSize", "string", "--shm-size", None),
        ("NetworkAlias", "strings", "--network-alias", None),
        ("DNS", "strings", "--dns", None),
        ("DNSOption", "strings", "--dns-option", None),
        ("DNSSearch", "strings", "--dns-search", None),
        ("AddHost", "strings", "--add-host", None),
        ("HostName", "strings", "--hostname", None),
        ("Volume", "handler", "-v", "volumes"),
        ("PodName", "handler", "--name", "pod_names"),
        ("PodmanArgs", "args", None, None),
    ),
}

# The Kube group only supports the RemapUsers family, never explicit maps; keep
# the key set as podman has it.
# Rows as they were before a change of versions.CHANGES (for older --podman-version
# targets): change -> (group, the row that replaces the current one of that key).
ROWS_BEFORE: dict[str, tuple[str, Row]] = {
    "entrypoint-equals": ("Container", ("Entrypoint", "string", "--entrypoint", None)),
}

# Rows that came elsewhere before a change of versions.CHANGES: change -> (group, the key
# whose row moves, the key whose row it came right before).
MOVED_BEFORE: dict[str, tuple[str, str, str]] = {
    "build-keyvals-one-map": ("Build", "Annotation", "Environment"),
}

SUPPORTED_KEYS: dict[str, frozenset[str]] = {g: frozenset(r[0] for r in rows) for g, rows in ROWS.items()}
SUPPORTED_KEYS[QUADLET_GROUP] = frozenset(QUADLET_KEYS)

X_GROUP: dict[str, str] = {info[0]: info[1] for info in UNIT_TYPES.values()}


def supported_keys(group: str) -> frozenset[str]:
    """The keys podman accepts in ``group`` (``Container``, ..., ``Quadlet``)."""
    return SUPPORTED_KEYS.get(group, frozenset())
