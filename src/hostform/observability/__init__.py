"""``observability:``: an OpenTelemetry Collector container shipping what the host does to an OTLP/HTTP endpoint.

What it collects, and how each part reaches the collector's container (``otelcol.container``):

* **the journal** of every unit (the journald receiver runs ``journalctl``, so the image must have
  it): the host's ``/var/log/journal`` (and ``/etc/machine-id``) mounted read-only; each entry's unit
  and container are copied into the attributes ``systemd.unit``, ``container.name``,
  ``container.id`` and ``container.image.name``, its priority into the severity;
* **host metrics** (cpu, memory, load, network, file systems) read from the host's ``/proc`` and
  ``/sys``, mounted under ``/hostfs`` (the receiver's ``root_path``); the container is on the host's
  network (``Network=host``), or the network metrics would be its own namespace's. The state disk is
  seen through its ``logs`` directory only, mounted where the disk is mounted (``/hostfs`` + the
  state path), so its file-system metric is the state disk's and no volume's data is visible;
* **Caddy's access log**, which Caddy writes (with sites) as JSON to ``/var/log/caddy/access.log``,
  the state disk's ``logs/caddy``; read by the filelog receiver;
* **Caddy's metrics**, served by a Caddyfile site on :data:`CADDY_METRICS_PORT`, published on the
  host's loopback only, scraped by the prometheus receiver;
* **the services' container metrics** (CPU time, memory, restarts, health; label ``container_name``),
  served as Prometheus text on the host's loopback by the status endpoints' script
  (:mod:`hostform.status.vm`, ``hostform-metrics.socket``), scraped by the prometheus receiver.

Where the collector has read the journal and the access log up to is kept on the state disk
(``otelcol``, the file_storage extension), so a restart neither loses nor repeats entries.

A header's value from a hostform secret reaches the container as an environment variable
(``Secret=NAME,type=env``), which the configuration names (``${env:VAR}``): the value is never in
the configuration, the quadlet or main.bu. Every other string is written with ``$`` doubled, so the
collector reads no variable the user did not mean.
"""

from __future__ import annotations

from typing import Any

from hostform.host import model as m

__all__ = [
    "ACCESS_LOG",
    "CADDY_LOG_DIR",
    "CADDY_METRICS_PORT",
    "CONFIG_PATH",
    "QUADLET_NAME",
    "collector_config",
    "collector_config_text",
    "header_env",
    "state_dirs",
]

QUADLET_NAME = "otelcol.container"
CONTAINER = "otelcol"
# the configuration on the VM, and where the container reads it
CONFIG_PATH = "/etc/hostform/otelcol/config.yaml"
CONFIG_IN_CONTAINER = "/etc/otelcol/config.yaml"
JOURNAL = "/var/log/journal"
HOSTFS = "/hostfs"
STORAGE_IN_CONTAINER = "/var/lib/otelcol"
# Caddy's access log: the directory in Caddy's container, and the file
CADDY_LOG_DIR = "/var/log/caddy"
ACCESS_LOG = f"{CADDY_LOG_DIR}/access.log"
# Caddy serves its metrics here (in its container; published on the host's 127.0.0.1)
CADDY_METRICS_PORT = 2020


def header_env(i: int) -> str:
    """The environment variable holding the value of the ``i``-th header (from 0) when a secret holds it."""
    return f"HOSTFORM_OTLP_HEADER_{i + 1}"


def state_dirs(host: m.Host) -> list[str]:
    """The state disk's directories the collector (and Caddy's access log) need."""
    st = host.state.path
    out = [f"{st}/logs", f"{st}/otelcol"]
    if host.sites:
        out.append(f"{st}/logs/caddy")
    return out


def _conf(s: str) -> str:
    """A string as the collector's configuration reads it back: ``$`` doubled (``$$`` is a ``$``), so
    nothing the user wrote names a variable."""
    return s.replace("$", "$$")


def _journald_operators() -> list[dict[str, Any]]:
    copies = [("_SYSTEMD_UNIT", "systemd.unit"), ("CONTAINER_NAME", "container.name"),
              ("CONTAINER_ID_FULL", "container.id"), ("IMAGE_NAME", "container.image.name")]
    ops: list[dict[str, Any]] = [
        {"type": "copy", "from": f"body.{field}", "to": f'attributes["{attr}"]', "if": f"body.{field} != nil"}
        for field, attr in copies
    ]
    ops.append({"type": "severity_parser", "parse_from": "body.PRIORITY", "if": "body.PRIORITY != nil",
                "mapping": {"fatal": ["0", "1", "2"], "error": "3", "warn": "4", "info": ["5", "6"], "debug": "7"}})
    return ops


def collector_config(host: m.Host) -> dict[str, Any]:
    """The collector's configuration as data, in a fixed order."""
    ob = host.observability
    assert ob is not None
    st = host.state.path
    receivers: dict[str, Any] = {
        "journald": {"directory": JOURNAL, "priority": "info", "start_at": "beginning", "storage": "file_storage",
                     "operators": _journald_operators()},
        "hostmetrics": {
            "root_path": HOSTFS,
            "collection_interval": ob.interval,
            "scrapers": {
                "cpu": {}, "memory": {}, "load": {}, "network": {},
                # include_virtual_filesystems: else a bind mount (rootDir not "/", as /var on Fedora CoreOS) and an
                # overlay (its "/", composefs) are left out; the mount points named are all there is
                "filesystem": {"include_virtual_filesystems": True,
                               "include_mount_points": {"mount_points": ["/", _conf(st)], "match_type": "strict"}},
            },
        },
    }
    from hostform.status import vm

    receivers["prometheus/containers"] = {"config": {"scrape_configs": [{
        "job_name": "containers", "scrape_interval": ob.interval, "metrics_path": vm.METRICS_PATH,
        "static_configs": [{"targets": [vm.METRICS_LISTEN]}],
    }]}}
    logs = ["journald"]
    metrics = ["hostmetrics", "prometheus/containers"]
    if host.sites:
        receivers["filelog/caddy"] = {
            "include": [_conf(f"{HOSTFS}{st}/caddy/access.log")], "start_at": "beginning", "storage": "file_storage",
            "resource": {"service.name": "caddy"}, "operators": [{"type": "json_parser"}],
        }
        receivers["prometheus/caddy"] = {"config": {"scrape_configs": [{
            "job_name": "caddy", "scrape_interval": ob.interval,
            "static_configs": [{"targets": [f"127.0.0.1:{CADDY_METRICS_PORT}"]}],
        }]}}
        logs.append("filelog/caddy")
        metrics.append("prometheus/caddy")
    headers = {h.name: "${env:" + header_env(i) + "}" if h.secret else _conf(h.value or "") for i, h in enumerate(ob.headers)}
    exporter: dict[str, Any] = {"endpoint": _conf(ob.endpoint)}
    if headers:
        exporter["headers"] = headers
    processors = ["resource", "batch"]
    return {
        # create_directory: the mount is there in the container; not where the configuration is validated
        "extensions": {"file_storage": {"directory": STORAGE_IN_CONTAINER, "create_directory": True}},
        "receivers": receivers,
        "processors": {
            "resource": {"attributes": [{"key": "host.name", "value": host.name, "action": "upsert"}]},
            "batch": {},
        },
        "exporters": {"otlphttp": exporter},
        "service": {
            "extensions": ["file_storage"],
            "pipelines": {
                "logs": {"receivers": logs, "processors": processors, "exporters": ["otlphttp"]},
                "metrics": {"receivers": metrics, "processors": processors, "exporters": ["otlphttp"]},
            },
            # on the host's network: the collector's own metrics would listen on its port 8888
            "telemetry": {"metrics": {"level": "none"}},
        },
    }


def collector_config_text(host: m.Host, header: str) -> str:
    """The configuration file: ``header`` (a comment) and the YAML of :func:`collector_config`."""
    from hostform.host.render import to_yaml

    return header + to_yaml(collector_config(host))
