"""Which quadlet unit types and keys each podman release accepts.

One row per key: the podman release (major.minor) whose generator first
accepted it in its section. No key was ever removed from a section (podman
4.4 to 6.1); deprecated keys stay accepted and are listed in ``DEPRECATED``.

How the table was made (the extraction script is not part of the project):
``pkg/systemd/quadlet/quadlet.go`` of containers/podman at each release tag
v4.4.0 ... v5.8.0, reading the per-section ``supported*Keys`` maps (later the
``SupportedKeys`` of ``groupsInfo``) and resolving the ``Key*`` constants; the
unit types from the extensions ``cmd/quadlet/main.go`` and quadlet.go know.
The repository snapshot has no 6.x tag: its main branch (commit c6580b4a5219,
2026-05-19, the source of shared/conformance/quadlet/supported_keys.json) adds
Volume ``UID``/``GID``, which podman 6.0's release notes announce; 6.1 is that
same set. The 5.4, 5.8 and 6.1 rows are checked against Debian's real
generators (5.4.2, 5.8.6, 6.1.1) by tests/quadlet/test_versions.py.

Only the sections quadlet itself checks are here ([Container], [Volume], ...,
and [Quadlet]); [Unit], [Service] and [Install] are passed through to systemd
and accept any key (since 5.6 quadlet warns about ``User``, ``Group`` and
``DynamicUser`` in [Service]: ``SERVICE_KEYS_WARNED``).
"""

from __future__ import annotations

from hostform.gates import Changes

# typing-only imports: this module is on the start-up path of `hostform quadlet`
TYPE_CHECKING = False
if TYPE_CHECKING:
    from hostform.gates import Gate

__all__ = [
    "CHANGES",
    "DEFAULT_PODMAN_VERSION",
    "DEPRECATED",
    "PASSTHROUGH_SECTIONS",
    "SECTION_OF_UNIT_TYPE",
    "SERVICE_KEYS_WARNED",
    "SERVICE_KEYS_WARNED_SINCE",
    "UNIT_TYPE_SINCE",
    "VERSIONS",
    "gate",
    "keys",
    "normalize_version",
    "sections",
    "since",
    "supported",
    "unit_types",
]

VERSIONS: tuple[str, ...] = (
    "4.4", "4.5", "4.6", "4.7", "4.8", "4.9",
    "5.0", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7", "5.8",
    "6.0", "6.1",
)  # fmt: skip
"""Every podman release (major.minor) the table describes, oldest first."""

# Which podman Fedora CoreOS's stable stream ships. Looked up 2026-11-23; no
# FCOS stable package list could be read from here, so this is an inference:
# - Fedora 44 was released 2026-04-28 and FCOS stable follows the current Fedora;
# - Fedora's "Podman6" change (F44) said podman 5.8 would first reach every
#   active Fedora, with 6.0 after it; podman 6.0.0-rc1 is dated 2026-06-12;
# - FCOS pinned podman in March 2026 while a new podman soaked in `next`
#   (coreos/fedora-coreos-config PRs 4041 and 4050, 2026-03-04/08).
# 5.8 is the newest release certain to have reached FCOS stable; a unit valid
# for 5.8 is valid for 6.x too (keys are only ever added), so it is the safe
# default. Bump it when FCOS stable's package list shows podman 6.
DEFAULT_PODMAN_VERSION = "5.8"

UNIT_TYPE_SINCE: dict[str, str] = {
    "container": "4.4",
    "volume": "4.4",
    "network": "4.4",
    "kube": "4.4",
    "image": "4.8",
    "pod": "5.0",
    "build": "5.2",
    "artifact": "5.7",
}
"""File extension (without the dot) -> the first release whose generator converts it."""

SECTION_OF_UNIT_TYPE: dict[str, str] = {t: t.capitalize() for t in UNIT_TYPE_SINCE}

PASSTHROUGH_SECTIONS = frozenset({"Unit", "Service", "Install"})

SERVICE_KEYS_WARNED = ("User", "Group", "DynamicUser")
SERVICE_KEYS_WARNED_SINCE = "5.6"

DEPRECATED = frozenset(
    {
        ("Container", "RemapGid"), ("Container", "RemapUid"), ("Container", "RemapUidSize"),
        ("Container", "RemapUsers"), ("Container", "VolatileTmp"),
        ("Kube", "RemapGid"), ("Kube", "RemapUid"), ("Kube", "RemapUidSize"), ("Kube", "RemapUsers"),
        ("Pod", "RemapGid"), ("Pod", "RemapUid"), ("Pod", "RemapUidSize"), ("Pod", "RemapUsers"),
    }
)  # fmt: skip
"""(section, key) pairs podman documents as deprecated; all are still accepted in 6.1."""

# section -> release -> the keys that release added (space-separated). The
# [Quadlet] section is accepted in every unit type.
_ADDED: dict[str, dict[str, str]] = {
    "Container": {
        "4.4": (
            "AddCapability AddDevice Annotation ContainerName DropCapability Environment "
            "EnvironmentFile EnvironmentHost Exec ExposeHostPort Group Image Label Network "
            "NoNewPrivileges Notify PodmanArgs PublishPort ReadOnly RemapGid RemapUid "
            "RemapUidSize RemapUsers RunInit SeccompProfile Timezone User VolatileTmp Volume"
        ),
        "4.5": (
            "HealthCmd HealthInterval HealthOnFailure HealthRetries HealthStartPeriod "
            "HealthStartupCmd HealthStartupInterval HealthStartupRetries HealthStartupSuccess "
            "HealthStartupTimeout HealthTimeout IP IP6 LogDriver Mount Rootfs Secret "
            "SecurityLabelDisable SecurityLabelFileType SecurityLabelLevel SecurityLabelType "
            "Tmpfs UserNS"
        ),
        "4.6": "AutoUpdate HostName Mask Pull SecurityLabelNested Sysctl Unmask WorkingDir",
        "4.7": "DNS DNSOption DNSSearch PidsLimit ShmSize Ulimit",
        "4.8": "ContainersConfModule GIDMap GlobalArgs ReadOnlyTmpfs SubGIDMap SubUIDMap UIDMap",
        "5.0": "Entrypoint Pod StopTimeout",
        "5.1": "GroupAdd",
        "5.2": "LogOpt NetworkAlias StopSignal",
        "5.3": (
            "AddHost CgroupsMode HealthLogDestination HealthMaxLogCount HealthMaxLogSize "
            "ServiceName StartWithPod"
        ),
        "5.5": "Memory ReloadCmd ReloadSignal Retry RetryDelay",
        "5.7": "HttpProxy",
        "5.8": "AppArmor",
    },
    "Volume": {
        "4.4": "Copy Device Group Label Options Type User",
        "4.6": "PodmanArgs",
        "4.7": "VolumeName",
        "4.8": "ContainersConfModule Driver GlobalArgs Image",
        "5.3": "ServiceName",
        "6.0": "GID UID",
    },
    "Network": {
        "4.4": "DisableDNS Driver Gateway IPAMDriver IPRange IPv6 Internal Label Options Subnet",
        "4.6": "PodmanArgs",
        "4.7": "DNS NetworkName",
        "4.8": "ContainersConfModule GlobalArgs",
        "5.3": "ServiceName",
        "5.5": "NetworkDeleteOnStop",
        "5.6": "InterfaceName",
    },
    "Kube": {
        "4.4": "ConfigMap Network PublishPort RemapGid RemapUid RemapUidSize RemapUsers Yaml",
        "4.5": "LogDriver UserNS",
        "4.6": "ExitCodePropagation PodmanArgs",
        "4.7": "AutoUpdate SetWorkingDirectory",
        "4.8": "ContainersConfModule GlobalArgs KubeDownForce",
        "5.2": "LogOpt",
        "5.3": "ServiceName",
    },
    "Image": {
        "4.8": (
            "AllTags Arch AuthFile CertDir ContainersConfModule Creds DecryptionKey GlobalArgs "
            "Image ImageTag OS PodmanArgs TLSVerify Variant"
        ),
        "5.3": "ServiceName",
        "5.5": "Retry RetryDelay",
        "5.6": "Policy",
    },
    "Pod": {
        "5.0": "ContainersConfModule GlobalArgs Network PodName PodmanArgs PublishPort Volume",
        "5.2": "NetworkAlias",
        "5.3": (
            "AddHost DNS DNSOption DNSSearch GIDMap IP IP6 RemapGid RemapUid RemapUidSize "
            "RemapUsers ServiceName SubGIDMap SubUIDMap UIDMap UserNS"
        ),
        "5.4": "ShmSize",
        "5.5": "HostName",
        "5.6": "ExitPolicy Label",
        "5.7": "StopTimeout",
    },
    "Build": {
        "5.2": (
            "Annotation Arch AuthFile ContainersConfModule DNS DNSOption DNSSearch Environment "
            "File ForceRM GlobalArgs GroupAdd ImageTag Label Network PodmanArgs Pull Secret "
            "SetWorkingDirectory TLSVerify Target Variant Volume"
        ),
        "5.3": "ServiceName",
        "5.5": "Retry RetryDelay",
        "5.7": "BuildArg IgnoreFile",
    },
    "Artifact": {
        "5.7": (
            "Artifact AuthFile CertDir ContainersConfModule Creds DecryptionKey GlobalArgs "
            "PodmanArgs Quiet Retry RetryDelay ServiceName TLSVerify"
        ),
    },
    "Quadlet": {
        "5.3": "DefaultDependencies",
    },

}


# Output changes between releases: behaviour name -> the first release with the
# new behaviour (the generator emulates the old one for older targets). Read
# from quadlet.go at the release tags; the "6.0" rows are changes between
# v5.8.0 and the 6.x main branch (no 6.0 tag in the snapshot; podman 5.8.6
# still has the old behaviour, 6.1.1 the new one).
_CHANGED_IN: dict[str, str] = {
    # [Unit] After=/Requires=/... naming quadlet files are translated to their services
    "unit-dependencies": "5.5",
    # each error is logged when it occurs and the run ends with "processing encountered some
    # errors"; before: errors are held back and logged once at exit, as one message (one line
    # each), with no closing line (containers/podman 02658bc4)
    "errors-logged-as-they-occur": "5.5",
    # Environment=/Label=/... words that fail to split (a bad escape, an open quote) draw a
    # warning; before: skipped silently (02658bc4)
    "keyval-warnings": "5.5",
    # [Install] UpheldBy= makes NAME.upholds/ symlinks; before: ignored (a0cae65c)
    "upheld-by": "5.5",
    # a word without "=" in Environment=/Label=/... is passed as a bare key (`--env KEY`);
    # before: dropped (5.5 with a "separator was not found" warning) (2b6c4778)
    "keyval-bare-key": "5.6",
    # Exec=/ReloadCmd= that fail to split draw a warning; before: read as absent, silently (cd807f8f)
    "args-parse-warning": "5.6",
    # a space inside a quoted Exec*= word is written `\x20`; before: a literal space ("a b") (8e6ecb97)
    "space-escaped-x20": "5.6",
    # every type starts its service alike: unknown keys checked first, RequiresMountsFor=%t/containers
    # right after SourcePath=; before: a .container's came after the image's Requires=/After=, a
    # .build's before SourcePath=, and a .build without ImageTag= failed on that before the unknown
    # keys check (3f56de01)
    "service-init-shared": "5.6",
    # a .pod's PODMAN_SYSTEMD_UNIT=%n is added to [Service]; before: set, replacing the .pod's own
    # last Environment= line (f1a1948b)
    "pod-environment-added": "5.6",
    # a .build's Environment=/Label=/Annotation= are one Go map (random order); before: fixed,
    # --annotation first, then --env, then --label (633f727f)
    "build-keyvals-one-map": "5.6",
    # a .volume with Type=bind and a Device= path gets RequiresMountsFor=that path; before: none (18ecd204)
    "bind-volume-requires-mounts": "5.6",
    # drop-in directories are searched drop-in name first, then unit dir; before: unit dir first (022bac25)
    "dropin-dirs-by-name": "5.6",
    # a .kube takes every Yaml= (kube play a.yml b.yml; SetWorkingDirectory=yaml wants one);
    # before: only the last Yaml= (8e013c00)
    "multiple-yaml": "5.7",
    # a Mount= without a source is an error message; before: the generator crashes
    # (Go panic "index out of range", exit 2) (163bdf2d)
    "mount-source-checked": "5.7",
    # a .build's File= starting with a systemd specifier (%h/...) counts as absolute; before:
    # relative, so it needs SetWorkingDirectory= (936a01e0)
    "build-file-specifier-absolute": "5.7",
    # RequiresMountsFor= of a host path is escaped as Exec words are; before: written as is (8b839052)
    "requires-mounts-for-escaped": "5.8",
    # quadlet's Lookup strips one pair of surrounding double quotes (podman #28409); before: every
    # '"' at either end (strings.Trim). The emulated 5.8 is 5.8.6, which has the fix (it came in
    # 5.8.2, 9c262736); the host file's checks read the same gate
    "lookup-strips-one-quote-pair": "5.8",
    "notify-healthy": "5.0",  # [Container] Notify=healthy is --sdnotify=healthy; before: a boolean ("healthy" reads as false). Gates the host renderer; the emulation reads it at every version
    # a template .volume/.network/... (name@.ext) becomes name-suffix@.service with
    # resource name systemd-name-%i; before: name@-suffix.service and systemd-name@
    "template-names": "5.7",
    # containers and pods are addressed by name (`rm -v -f -i NAME`, `--pod NAME`,
    # `pod start NAME`); before: `--cidfile=%t/%N.cid` and `--pod-id-file=%t/%N.pod-id`
    "track-by-name": "5.6",
    # `pod create` takes `--exit-policy X` from ExitPolicy= (default stop);
    # before: a fixed `--exit-policy=stop` right after `--pod-id-file`
    "exit-policy-key": "5.6",
    # `--entrypoint=VALUE`, an empty value kept (clears the image's entrypoint);
    # before: `--entrypoint VALUE`, only when not empty (real 5.8.6 has it)
    "entrypoint-equals": "5.8",
    # a .pod's own [Service] Restart= is kept, written after PIDFile=; before: always
    # Restart=on-failure, between Type= and PIDFile=
    "pod-restart-kept": "6.0",
    # a Mount= of type volume may have no source (an anonymous volume) and a missing source of
    # another type is "source parameter is required for mount type T"; before: every Mount=
    # without a source is "source cannot be empty"
    "mount-source-optional": "6.0",
    # a .volume's Options= apply without Device= too; before: "key Options can't be used without Device"
    "volume-options-without-device": "6.0",
    # a template container (name@.container) in a pod is not among the pod's Wants=/Before=;
    # before: it was, as name@.service
    "pod-skips-template-members": "6.0",
    # a unit is written to a temporary file beside it (`.tmp-NAME<digits>`) then renamed; a write
    # that cannot start says "unable to create atomic writer for service file P: open TMP: ...";
    # before: written in place, "open P: ..." (seen in real 6.1.1; the main branch of 2026-05-19
    # does not have it yet, so it is placed at 6.1)
    "atomic-unit-write": "6.1",
    # a Mount= without `type=` is a volume mount; before: "incorrect mount format: ..." (podman's
    # specgenutilexternal.FindMountType)
    "mount-type-defaults-volume": "5.6",
    # each log line goes to stderr as well as to /dev/kmsg; before: /dev/kmsg only when it can be opened
    # (seen in real 6.1.1; placed at 6.1 as atomic-unit-write)
    "log-to-stderr-too": "6.1",
    # [Service] User=/Group=/DynamicUser= draw a "not supported" warning
    "service-keys-warned": SERVICE_KEYS_WARNED_SINCE,
}
CHANGES = Changes("podman", VERSIONS, _CHANGED_IN)
"""podman's quadlet generator by named change: ``gate("5.8").has("track-by-name")`` (KeyError for an unknown name)."""


def normalize_version(version: str) -> str:
    """``"5.4.2"``, ``"v5.4"`` or ``"5.4"`` -> ``"5.4"``; ValueError for a release not in VERSIONS."""
    text = version.strip().lstrip("vV")
    parts = text.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].split("-")[0].isdigit():
        raise ValueError(f"not a podman version: {version!r}")
    short = f"{int(parts[0])}.{int(parts[1].split('-')[0])}"
    if short not in VERSIONS:
        raise ValueError(f"podman {short} is not in the quadlet version table ({VERSIONS[0]} to {VERSIONS[-1]})")
    return short


def _index(version: str) -> int:
    return VERSIONS.index(normalize_version(version))


_SINCE: dict[tuple[str, str], str] = {}


def _since_table() -> dict[tuple[str, str], str]:
    # built once, by hand: functools costs ~3 ms of start-up (hostform quadlet imports this module)
    table = _SINCE
    if table:
        return table
    for section, by_version in _ADDED.items():
        for version, names in by_version.items():
            for key in names.split():
                table[(section, key)] = version
    return table


def since(section: str, key: str) -> str | None:
    """The first release whose generator accepts ``key`` in ``[section]``; None if none does.

    For the pass-through sections ([Unit], [Service], [Install]) every key is
    accepted and the answer is the oldest release in the table.
    """
    if section in PASSTHROUGH_SECTIONS:
        return VERSIONS[0]
    return _since_table().get((section, key))


def supported(version: str, section: str, key: str) -> bool:
    """Does podman ``version``'s generator accept ``key`` in ``[section]``?"""
    first = since(section, key)
    return first is not None and VERSIONS.index(first) <= _index(version)


def keys(version: str, section: str) -> frozenset[str]:
    """Every key podman ``version`` accepts in ``[section]`` (empty for pass-through sections)."""
    i = _index(version)
    by_version = _ADDED.get(section, {})
    return frozenset(k for v, names in by_version.items() if VERSIONS.index(v) <= i for k in names.split())


def sections(version: str) -> tuple[str, ...]:
    """The quadlet-checked sections podman ``version`` knows (the [Quadlet] one included)."""
    i = _index(version)
    return tuple(s for s, by_version in _ADDED.items() if by_version and VERSIONS.index(min(by_version, key=VERSIONS.index)) <= i)


def unit_types(version: str) -> tuple[str, ...]:
    """File extensions (``"container"``, ``"pod"``, ...) podman ``version``'s generator converts."""
    i = _index(version)
    return tuple(t for t, first in UNIT_TYPE_SINCE.items() if VERSIONS.index(first) <= i)


def gate(version: str) -> Gate:
    """The named changes of :data:`CHANGES` that podman ``version``'s generator has (``"5.8.1"``, ``"v5.8"`` or ``"5.8"``).

    ``gate(v).has(name)`` raises KeyError for a name :data:`CHANGES` does not list;
    ValueError for a release not in VERSIONS.
    """
    return CHANGES.at(normalize_version(version))
