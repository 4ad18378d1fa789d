"""``health.http``: probed from the host, so the image needs nothing (no curl, no wget, no shell).

A service whose health check is ``http`` gets no podman ``HealthCmd=`` (podman runs that inside the
container: a distroless or scratch image has nothing to run it with). The host probes the container
instead, over the services' network, with one script hostform installs (:data:`PROBE_PATH`, run by
bash: Fedora CoreOS has it, and ``/dev/tcp`` is its HTTP client):

* the start: ``ExecStartPost=`` of the service (``gate``) GETs the path once at start and then every
  ``interval`` (within ``start_period`` every half second at most: the unit, and during an update the
  site, waits for it) until it answers 2xx or 3xx; failures within ``start_period`` do not count and
  ``retries`` failures in a row after it fail the start. systemd counts the unit as started only
  once ``ExecStartPost=`` passed, so its dependents (``After=``) and Caddy (the sites network is
  joined by the next ``ExecStartPost=``) wait for the check, and a new image that fails it fails the
  restart ``podman auto-update`` waits for: it rolls back, as with ``Notify=healthy``;
* after the start: ``NAME-health.service`` (upheld by the service, bound to it) GETs the path every
  ``interval`` and kills the container after ``retries`` failures in a row, as podman's
  ``HealthOnFailure=kill`` does: the service's ``Restart=`` applies.

``health.cmd`` is unchanged: a command run inside the container by podman (``HealthCmd=``).
"""

from __future__ import annotations

from hostform.escape import unit_words
from hostform.host import model as m

__all__ = ["PROBE_PATH", "PROBE_SCRIPT", "from_host", "gate_line", "gates_start", "once_args", "start_timeout", "watch_unit", "watch_unit_name"]

PROBE_PATH = "/usr/local/libexec/hostform/http-health"
# run by bash (not executed as a file): no exec permission or SELinux exec label of /usr/local matters
BASH = "/usr/bin/bash"

# Arguments: every one is written by hostform: names and numbers, and the path (the schema's RFC 3986
# alphabet: no white space, no quote reaches the request line). Times are in milliseconds.
PROBE_SCRIPT = r"""#!/usr/bin/bash
# Written by hostform: the http health check of a service, probed from the host over the
# container's network (the image needs no curl, wget or shell).
#
#   http-health gate  CONTAINER NETWORK PORT PATH INTERVAL_MS TIMEOUT_MS RETRIES START_PERIOD_MS
#     (ExecStartPost= of the service) GET at once, then every INTERVAL, until an answer is 2xx or
#     3xx: exit 0, the unit is started. Within START_PERIOD the next GET comes after QUICK_MS at
#     most (the unit waits for this check, and during an update the site with it: a service ready
#     a second after its start must not wait a whole INTERVAL). Exit 1 (the start fails; podman
#     auto-update rolls back) after RETRIES failures in a row past START_PERIOD, or when the
#     container stopped.
#   http-health watch CONTAINER NETWORK PORT PATH INTERVAL_MS TIMEOUT_MS RETRIES
#     (NAME-health.service) GET every INTERVAL; after RETRIES failures in a row, kill the
#     container (podman's HealthOnFailure=kill): the service's Restart= applies.
#   http-health get ADDRESS PORT PATH
#     one GET; exit 0 when the status is 2xx or 3xx.
#   http-health once CONTAINER NETWORK PORT PATH TIMEOUT_MS
#     (the metrics endpoint, hostform.status.vm) one check: exit 0 passed, 1 failed, 2 the
#     container is not running.
set -u
podman=${HOSTFORM_PODMAN:-/usr/bin/podman} # the tests give a stand-in
QUICK_MS=500 # the gate's wait between tries within the start period, when INTERVAL is longer

get() {
	if ! exec 3<>"/dev/tcp/$1/$2"; then
		return 1
	fi
	printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: hostform-health\r\nConnection: close\r\n\r\n' "$3" "$1" "$2" >&3 || return 1
	local status=
	IFS= read -r status <&3
	status=${status%$'\r'}
	case $status in
	HTTP/1.[01]\ [23][0-9][0-9] | HTTP/1.[01]\ [23][0-9][0-9]\ *) return 0 ;;
	esac
	echo "answered: ${status:-nothing}" >&2
	return 1
}

# The container's address on NETWORK; a member of a pod has its pod's (its infra container's).
address_of() {
	$podman container inspect --format '{{range $n, $s := .NetworkSettings.Networks}}{{$n}} {{$s.IPAddress}}{{println}}{{end}}' "$1" 2>/dev/null |
		while read -r net ip; do
			if [ "$net" = "$network" ] && [ -n "$ip" ]; then
				echo "$ip"
				break
			fi
		done
}

address() {
	[ "$($podman container inspect --format '{{.State.Running}}' "$container" 2>/dev/null)" = true ] || return 1
	local ip pod infra
	ip=$(address_of "$container")
	if [ -z "$ip" ]; then
		pod=$($podman container inspect --format '{{.Pod}}' "$container" 2>/dev/null)
		if [ -n "$pod" ]; then
			infra=$($podman pod inspect --format '{{.InfraContainerID}}' "$pod" 2>/dev/null)
			[ -n "$infra" ] && ip=$(address_of "$infra")
		fi
	fi
	echo "$ip"
}

seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

uptime_ms() {
	local up rest
	read -r up rest </proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

# One check: 0 passed, 1 failed, 2 the container is not running.
check() {
	local ip rc
	ip=$(address) || { echo "$container is not running" >&2; return 2; }
	[ -n "$ip" ] || { echo "$container has no address on $network" >&2; return 1; }
	timeout -k 1 "$(seconds "$timeout_ms")" "$BASH" "$0" get "$ip" "$port" "$path"
	rc=$?
	[ "$rc" = 124 ] && echo "no answer from http://$ip:$port$path within $(seconds "$timeout_ms")s" >&2
	[ "$rc" = 0 ] && return 0
	return 1
}

BASH=${BASH:-/usr/bin/bash}
mode=${1:-}
case $mode in
get)
	[ $# = 4 ] || exit 2
	get "$2" "$3" "$4"
	exit
	;;
once)
	[ $# = 6 ] || exit 2
	container=$2 network=$3 port=$4 path=$5 timeout_ms=$6
	check
	exit
	;;
gate | watch) ;;
*)
	echo "usage: http-health gate|watch|get|once ..." >&2
	exit 2
	;;
esac
container=$2 network=$3 port=$4 path=$5 interval_ms=$6 timeout_ms=$7 retries=$8
start_ms=${9:-0}

if [ "$mode" = gate ]; then
	t0=$(uptime_ms)
	failed=0
	while :; do
		check
		case $? in
		0)
			echo "$container is healthy: GET $path on port $port answered"
			exit 0
			;;
		2) exit 1 ;;
		esac
		wait_ms=$interval_ms
		if [ $(($(uptime_ms) - t0)) -ge "$start_ms" ]; then
			failed=$((failed + 1))
			if [ "$failed" -ge "$retries" ]; then
				echo "$container is unhealthy: GET $path on port $port failed $failed times in a row" >&2
				exit 1
			fi
		elif [ "$interval_ms" -gt "$QUICK_MS" ]; then
			wait_ms=$QUICK_MS
		fi
		sleep "$(seconds "$wait_ms")"
	done
fi

failed=0
while sleep "$(seconds "$interval_ms")"; do
	check
	case $? in
	0) failed=0 ;;
	2) exit 0 ;; # stopped: its unit stops this one
	*)
		failed=$((failed + 1))
		if [ "$failed" -ge "$retries" ]; then
			echo "$container is unhealthy: GET $path on port $port failed $failed times in a row: killing it" >&2
			$podman kill "$container"
			exit 0
		fi
		;;
	esac
done
"""


def from_host(s: m.Service) -> bool:
    """Is the service's health check probed from the host (``http``)?"""
    return s.health is not None and s.health.http is not None


def gates_start(host: m.Host, s: m.Service) -> bool:
    """Does the unit count as started only once the health check passed? ``http``: the host's probe
    (``ExecStartPost=``), at every podman version; ``cmd``: ``Notify=healthy`` (podman 5.0 and later)."""
    from hostform.quadlet.versions import gate

    return s.health is not None and (from_host(s) or gate(host.podman).has("notify-healthy"))


def _ms(duration: str) -> int:
    """A Go duration (checked by the schema) in milliseconds, rounded up."""
    from hostform.timespec import parse_go_duration

    ns = parse_go_duration(duration)
    assert isinstance(ns, int), duration  # the schema checked it
    return -(-ns // 1_000_000)


def _args(host: m.Host, s: m.Service) -> list[str]:
    h = s.health
    assert h is not None and h.http is not None and s.port is not None  # from_host(s); load requires the port
    return [s.name, host.network, str(s.port), h.http, str(_ms(h.interval)), str(_ms(h.timeout)), str(h.retries)]


def once_args(host: m.Host, s: m.Service) -> list[str]:
    """The arguments of ``http-health once`` for ``s``: one check, as the watch makes it."""
    container, network, port, path, _, timeout, _ = _args(host, s)
    return ["once", container, network, port, path, timeout]


def gate_line(host: m.Host, s: m.Service) -> str:
    """The service's ``ExecStartPost=`` that holds its start until the check passes."""
    assert s.health is not None
    return "ExecStartPost=" + unit_words([BASH, PROBE_PATH, "gate", *_args(host, s), str(_ms(s.health.start_period))])


def start_timeout(s: m.Service, pull: int) -> str:
    """``TimeoutStartSec=``: ``pull`` seconds for the image, and as long as the gate may take (the
    start period, then each try and the wait after it)."""
    h = s.health
    assert h is not None
    budget_ms = _ms(h.start_period) + h.retries * (_ms(h.interval) + _ms(h.timeout) + 1000)
    seconds = pull + -(-budget_ms // 1000)
    return str(seconds) if seconds < 2**32 else "infinity"


def watch_unit_name(s: m.Service) -> str:
    return f"{s.name}-health.service"


def watch_unit(host: m.Host, s: m.Service, header: str) -> str:
    """NAME-health.service: the check after the start. Upheld by NAME.service (started once that is
    started, again if it ends), bound to it (stopped with it)."""
    lines = [
        header.rstrip("\n"),
        "[Unit]",
        f"Description=the http health check of {s.name} (hostform): kills the container when it fails",
        f"BindsTo={s.name}.service",
        f"After={s.name}.service",
        "",
        "[Service]",
        "ExecStart=" + unit_words([BASH, PROBE_PATH, "watch", *_args(host, s)]),
        "Restart=on-failure",
    ]
    return "".join(x + "\n" for x in lines)
