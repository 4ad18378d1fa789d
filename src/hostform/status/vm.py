"""The VM's side of ``hostform status``, ``logs`` and ``update``: a bash script behind systemd sockets.

Three sockets under :data:`SOCKET_DIR` (root-only), one per endpoint, ``Accept=yes``: systemd starts
``hostform-api-MODE@.service`` once per connection with the connection as stdin and stdout, and the
script (:data:`SCRIPT`, run by bash: Fedora CoreOS has it, and jq, podman, skopeo, journalctl,
openssl) reads one HTTP request and writes one response. The directory is mounted into the Caddy
container, whose Caddyfile routes ``/.hostform/MODE`` of one site there behind the token (basic
authentication, bcrypt: :mod:`hostform.caddy.render`). Nothing listens on a port of its own.

What the script may look at is this host's, written by hostform into :data:`CONFIG_PATH` (a JSON
file): the services (and their images, and how their health is checked), the units whose journal
``logs`` serves, the sites whose certificates ``status`` reads, the disks, and with ``backups:`` the file
where the backup script (:mod:`hostform.backups`) writes each run's result, which ``status`` and
``metrics`` read. See docs/observability.md for the design and threat model.

With ``observability:``, the same script answers one more endpoint, ``metrics``: the services'
container metrics (CPU time, memory, restarts, health) as Prometheus text, for the collector's
prometheus receiver. Its socket is a TCP one on the VM's loopback (:data:`METRICS_LISTEN`, no token:
the collector is on the host's network, not behind Caddy), ``hostform-metrics.socket``.
"""

from __future__ import annotations

import json

from hostform.host import model as m

__all__ = ["CONFIG_PATH", "ENDPOINTS", "METRICS", "METRICS_LISTEN", "METRICS_PATH", "METRICS_PORT", "PREFIX", "SCRIPT", "SCRIPT_PATH",
           "SOCKET_DIR", "USER", "config", "serves_metrics", "serves_status", "socket_path", "unit_names", "units", "written"]

SCRIPT_PATH = "/usr/local/libexec/hostform/api"
CONFIG_PATH = "/etc/hostform/api.json"
SOCKET_DIR = "/run/hostform/api"
PREFIX = "/.hostform/"
USER = "hostform"  # the basic-auth user name the token goes with
BASH = "/usr/bin/bash"
# endpoint -> (its method, how long one request may run: the long poll of logs is 25 s at most)
ENDPOINTS: dict[str, tuple[str, int]] = {"status": ("GET", 120), "logs": ("GET", 60), "update": ("POST", 30)}
# the metrics endpoint (with observability): on the VM's loopback, next to Caddy's metrics (2020)
METRICS = "metrics"
METRICS_PORT = 2021
METRICS_LISTEN = f"127.0.0.1:{METRICS_PORT}"
METRICS_PATH = f"{PREFIX}{METRICS}"
METRICS_LIMIT = 30  # seconds one scrape may run (RuntimeMaxSec=)
METRICS_CONNECTIONS = 4


def serves_status(host: m.Host) -> bool:
    """Are the status endpoints (status, logs, update) on the VM? ``status:`` with a site to serve them."""
    return host.status is not None and bool(host.sites)


def serves_metrics(host: m.Host) -> bool:
    """Is the metrics endpoint on the VM? With ``observability:`` (its collector scrapes it)."""
    return host.observability is not None


def written(host: m.Host) -> bool:
    """Does the build write the script and its configuration?"""
    return serves_status(host) or serves_metrics(host)


def socket_path(endpoint: str) -> str:
    return f"{SOCKET_DIR}/{endpoint}.sock"


def config(host: m.Host) -> str:
    """What the script may look at, as JSON: the services and their images, the units whose journal
    ``logs`` serves (the services', the jobs', Caddy's, podman-auto-update's, the backup's and restore's), the
    sites, the disks; with ``backups:``, where the backup script writes each run's result, its timer and
    schedule (else null)."""
    from hostform import backups

    units = sorted({s.name for s in host.services} | {j.name for j in host.jobs} | ({"caddy"} if host.sites else set())
                   | {"podman-auto-update"}
                   | {u.removesuffix(".service") for u in backups.unit_names(host) if u.endswith(".service")})
    sites = sorted({n for sp in host.sites for n in (sp.address, *sp.aliases)})
    from hostform.host import health

    data = {
        "host": host.name,
        "services": [s.name for s in host.services],
        "images": {s.name: s.image for s in host.services},
        # how each service's health is known: podman's health check (cmd), the host's probe (http), or not at all
        "health": {s.name: ("http" if health.from_host(s) else "cmd") if s.health is not None else "none" for s in host.services},
        # the probe's arguments for one check (http-health once ...)
        "probe": health.PROBE_PATH,
        "probes": {s.name: health.once_args(host, s) for s in host.services if health.from_host(s)},
        "units": units,
        "sites": sites,
        "caddy_data": f"{host.state.path}/caddy/data",
        "disks": ["/", host.state.path] if host.state.volume else ["/"],
        "backups": _backups(host),
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _backups(host: m.Host) -> dict[str, str] | None:
    """What status and metrics read of ``backups:``: the result file the backup script writes (its path is
    the backups module's, not the script's to know), the timer (its next run) and its schedule."""
    if host.backups is None:
        return None
    from hostform import backups

    return {"result": backups.RESULT_PATH, "timer": backups.BACKUP_TIMER, "schedule": host.backups.schedule}


def unit_names(status: bool = True, metrics: bool = False) -> list[str]:
    """The units :func:`units` writes (service templates as NAME@.service)."""
    out = [n for name in ENDPOINTS for n in (f"hostform-api-{name}.socket", f"hostform-api-{name}@.service")] if status else []
    if metrics:
        out += ["hostform-metrics.socket", "hostform-metrics@.service"]
    return out


def _metrics_units(header: str) -> list[tuple[str, str]]:
    return [
        ("hostform-metrics.socket", "".join(x + "\n" for x in [
            header.rstrip("\n"),
            "[Unit]",
            f"Description=hostform metrics endpoint: the services' container metrics for the OpenTelemetry Collector (GET {METRICS_PATH})",
            "",
            "[Socket]",
            # the loopback only: the collector is on the host's network; nothing outside the VM reaches it
            f"ListenStream={METRICS_LISTEN}",
            "Accept=yes",
            f"MaxConnections={METRICS_CONNECTIONS}",
            "",
            "[Install]",
            "WantedBy=sockets.target",
        ])),
        ("hostform-metrics@.service", "".join(x + "\n" for x in [
            header.rstrip("\n"),
            "[Unit]",
            "Description=hostform metrics endpoint: one scrape",
            "",
            "[Service]",
            f"ExecStart={BASH} {SCRIPT_PATH} {METRICS}",
            "StandardInput=socket",
            "StandardOutput=socket",
            "StandardError=journal",
            f"RuntimeMaxSec={METRICS_LIMIT}",
        ])),
    ]


def units(header: str, status: bool = True, metrics: bool = False) -> list[tuple[str, str]]:
    """(name, text) of each endpoint's socket and its service template: the status endpoints', the metrics one's."""
    out = []
    for name, (method, limit) in ENDPOINTS.items() if status else ():
        out.append((f"hostform-api-{name}.socket", "".join(x + "\n" for x in [
            header.rstrip("\n"),
            "[Unit]",
            f"Description=hostform {name} endpoint: Caddy proxies {method} {PREFIX}{name} here, behind the token",
            "",
            "[Socket]",
            f"ListenStream={socket_path(name)}",
            "Accept=yes",
            "SocketMode=0600",
            "DirectoryMode=0700",
            "MaxConnections=8",
            "",
            "[Install]",
            "WantedBy=sockets.target",
        ])))
        out.append((f"hostform-api-{name}@.service", "".join(x + "\n" for x in [
            header.rstrip("\n"),
            "[Unit]",
            f"Description=hostform {name} endpoint: one request",
            "",
            "[Service]",
            f"ExecStart={BASH} {SCRIPT_PATH} {name}",
            "StandardInput=socket",
            "StandardOutput=socket",
            "StandardError=journal",
            f"RuntimeMaxSec={limit}",
        ])))
    if metrics:
        out += _metrics_units(header)
    return out


# The script. Every value of a request is checked against its own alphabet before use, and reaches a
# command as one quoted word; the tests run it with bash against stand-ins of the commands.
SCRIPT = r"""#!/usr/bin/bash
# Written by hostform: the VM's side of `hostform status`, `hostform logs` and `hostform update`,
# and the services' container metrics for the OpenTelemetry Collector (observability).
#
#   api status|logs|update|metrics
#
# Run by systemd once per connection (hostform-api-MODE@.service, from hostform-api-MODE.socket;
# hostform-metrics@.service from hostform-metrics.socket on the loopback; Accept=yes): the request
# is on stdin, the response goes to stdout. Caddy has checked the token before anything reaches a
# status socket (the metrics one has none: it serves numbers to the host's own loopback); this
# script trusts nothing of the request all the same:
#   - the request line and each header line are read with a length bound and a time bound;
#   - the method must be GET (status, logs, metrics) or POST (update): else 405;
#   - the path must be exactly /.hostform/MODE, and every query parameter one this mode knows,
#     with a value in its own strict alphabet (digits, a word of a fixed list, a unit this host
#     has, a cursor's characters): anything else is 400 and nothing is run;
#   - no value is ever evaluated: each reaches a command as one quoted argument.
# What this host has (its units, sites, state disk, where its backups' result is) is in the configuration hostform wrote,
# HOSTFORM_API_CONFIG (default /etc/hostform/api.json).
set -u
export LC_ALL=C
config=${HOSTFORM_API_CONFIG:-/etc/hostform/api.json}
MAX_LINES=5000
MAX_WAIT=25
# status: how long the registry may take per image (all asked at once), and podman's dry run (it asks them too)
REGISTRY_TIMEOUT=15
DRY_RUN_TIMEOUT=20
# the alphabets of the query's values (in variables: bash reads a regular expression after =~
# literally only that way)
RE_UNIT='^[a-z0-9][a-z0-9_.@-]{0,127}$'
RE_LINES='^[1-9][0-9]{0,3}$'
RE_SECONDS='^(0|[1-9][0-9]{0,9})$'
RE_CURSOR='^[A-Za-z0-9=;]{1,512}$'
RE_WAIT='^(0|[1-9][0-9]?)$'  # no leading zero: bash arithmetic would read 08 as octal
RE_NAME='^[a-z0-9][a-z0-9_.-]{0,62}$'
RE_SITE='^[a-z0-9.-]{1,253}$'
RE_DIGEST='^sha256:[0-9a-f]{64}$'
RE_WORD='^[a-z-]{0,32}$'
RE_TIMER='^[a-z0-9][a-z0-9_.@-]{0,120}\.timer$'
RE_STAMP='^(@[0-9]{1,12}|[A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC)$'
MAX_RESULT=1048576  # bytes: a backup result file larger than this is not read

respond() { # STATUS REASON BODY [CONTENT-TYPE]
	printf 'HTTP/1.1 %s %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n%s' \
		"$1" "$2" "${4:-application/json}" "${#3}" "$3"
	exit 0
}

fail() { # STATUS REASON MESSAGE (said in the journal too, with the request line quoted)
	printf 'api %s: %s %s: %q\n' "$mode" "$1" "$3" "${line:0:300}" >&2
	respond "$1" "$2" "$(jq -cn --arg e "$3" '{error: $e}')"
}

inspect() { # NAME: podman's view of the container (a JSON array; empty when there is none)
	local c
	c=$(podman container inspect --format json "$1" 2>/dev/null || true)
	[[ $c == \[* ]] || c='[]'
	printf '%s' "$c"
}

mode=${1:-}
line=
case $mode in
status | logs | metrics) want=GET ;;
update) want=POST ;;
*)
	echo "usage: api status|logs|update|metrics" >&2
	exit 2
	;;
esac

# The request line: METHOD TARGET HTTP/1.x
IFS= read -r -t 10 -n 4096 line || fail 400 "Bad Request" "no request"
line=${line%$'\r'}
method=${line%% *}
rest=${line#* }
target=${rest%% *}
version=${rest#* }
[[ $line == *' '*' '* && $version == HTTP/1.[01] ]] || fail 400 "Bad Request" "not an HTTP/1 request line"
# The headers: read (bounded) and dropped; the body of a POST is not read
n=0
while IFS= read -r -t 10 -n 8192 h; do
	h=${h%$'\r'}
	[ -z "$h" ] && break
	n=$((n + 1))
	[ "$n" -le 100 ] || fail 400 "Bad Request" "too many header lines"
done
[ "$method" = "$want" ] || fail 405 "Method Not Allowed" "$mode takes $want"

path=${target%%\?*}
query=
[[ $target == *\?* ]] && query=${target#*\?}
[ "$path" = "/.hostform/$mode" ] || fail 404 "Not Found" "no such endpoint"

# The query: name=value pairs, each name once, each value in its alphabet.
declare -A q=()
if [ -n "$query" ]; then
	IFS='&' read -r -a pairs <<<"$query"
	for pair in "${pairs[@]}"; do
		[[ $pair == *=* ]] || fail 400 "Bad Request" "a parameter without a value"
		k=${pair%%=*} v=${pair#*=}
		case $mode:$k in
		logs:unit) [[ $v =~ $RE_UNIT ]] ;;
		logs:lines) [[ $v =~ $RE_LINES ]] ;;
		logs:since) [[ $v =~ $RE_SECONDS ]] ;;
		logs:after) [[ $v =~ $RE_CURSOR ]] ;;
		logs:wait) [[ $v =~ $RE_WAIT ]] && [ "$v" -le "$MAX_WAIT" ] ;;
		logs:format) [[ $v == json || $v == text ]] ;;
		*) fail 400 "Bad Request" "unknown parameter" ;;
		esac || fail 400 "Bad Request" "bad value of ${k}"
		[ -z "${q[$k]+x}" ] || fail 400 "Bad Request" "a parameter given twice"
		q[$k]=$v
	done
fi

# Each endpoint is a function that answers (respond exits); exactly one is called. Should it stop
# without answering (an error bash does not survive ends the whole command), the answer is a 500:
# never another endpoint's answer, never an empty 200.

# ------------------------------------------------------------------ backups (status and metrics)
# The last backup run's result, as the backup script (hostform-backup.service) writes it after each run:
# {last_run: {start, end, ok, message, snapshot}, last_success: {time, snapshot}}. Read as data: only those
# fields, each a string or null (ok true or false); a file that is not that shape is said in `error`, and
# the answer goes on without it (a corrupt file never fails status or metrics).
JQ_RESULT='def text: if type == "string" then . else null end;
	def object_or_null: type == "object" or type == "null";
	if length == 0 then error("is empty")
	elif length > 1 then error("holds more than one JSON value")
	else .[0] end
	| if type != "object" then error("is not a JSON object")
	  elif (.last_run | object_or_null | not) then error("has a last_run that is not an object")
	  elif (.last_success | object_or_null | not) then error("has a last_success that is not an object")
	  elif .last_run != null and (.last_run.ok | type) != "boolean" then error("has a last_run whose ok is not true or false")
	  else {last_run: (.last_run | if . == null then null
	          else {start: (.start | text), end: (.end | text), ok, message: (.message | text), snapshot: (.snapshot | text)} end),
	        last_success: (.last_success | if . == null then null else {time: (.time | text), snapshot: (.snapshot | text)} end),
	        error: null} end'

backup_result() { # FILE: its result as JSON on stdout, {last_run, last_success, error}; no run yet: both null
	local f=$1 size out
	if [ ! -e "$f" ]; then
		echo '{"last_run":null,"last_success":null,"error":null}'
		return 0
	fi
	size=$(stat -c %s -- "$f" 2>/dev/null) || size=
	if ! [ -f "$f" ] || ! [ -r "$f" ] || ! [[ $size =~ ^[0-9]+$ ]]; then
		out="is not a file that can be read"
	elif [ "$size" -gt "$MAX_RESULT" ]; then
		out="is larger than $MAX_RESULT bytes"
	elif out=$(jq -cs --arg f "$f" 'try ('"$JQ_RESULT"') catch {last_run: null, last_success: null, error: ("\($f) " + .)}' "$f" 2>/dev/null); then
		printf '%s\n' "$out"
		return 0
	else
		out="is not JSON"
	fi
	jq -cn --arg e "$f $out" '{last_run: null, last_success: null, error: $e}'
}

backup_next() { # TIMER: when it elapses next, in seconds since the epoch; nothing when not known (not active)
	local v
	[[ $1 =~ $RE_TIMER ]] || return 0
	v=$(TZ=UTC systemctl show -P NextElapseUSecRealtime -- "$1" 2>/dev/null | head -n 1)
	[[ $v =~ $RE_STAMP ]] || return 0
	v=$(date -u -d "$v" +%s 2>/dev/null) || return 0
	[[ $v =~ ^[0-9]{1,12}$ ]] && printf '%s' "$v"
	return 0
}

# ------------------------------------------------------------------ update
endpoint_update() {
	# the one thing this endpoint can do: start the update now (as the timer would)
	if systemctl start --no-block podman-auto-update.service; then
		respond 202 Accepted '{"started":"podman-auto-update.service"}'
	fi
	fail 500 "Internal Server Error" "systemctl could not start podman-auto-update.service"
}

# ------------------------------------------------------------------ logs
# a journal entry as the commands take it; a message journald keeps as bytes (not UTF-8 text, or
# with control characters) is decoded as UTF-8, each bad sequence U+FFFD (jq's @base64d does that)
JQ_ENTRY='def utf8: . as $b | "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" as $a
	| [range(0; $b | length; 3) as $i | $b[$i:$i + 3] as $c | ($c[0] * 65536 + ($c[1] // 0) * 256 + ($c[2] // 0)) as $n
		| [262144, 4096, 64, 1][:($c | length) + 1][] | ($n / . | floor) % 64 | $a[.:. + 1]] | join("")
	| . + ("=="[:(3 - ($b | length) % 3) % 3]) | @base64d;
	{time: ((.__REALTIME_TIMESTAMP // "0") | tonumber / 1000000 | floor),
	 priority: ((.PRIORITY // "6") | tonumber), identifier: (.SYSLOG_IDENTIFIER // null),
	 message: (.MESSAGE | if type == "array" then (if all(type == "number" and . >= 0 and . < 256) then (try utf8 catch "(binary)")
		else "(binary)" end) elif type == "string" then . else null end), cursor: .__CURSOR}'

endpoint_logs() {
	local unit lines wait got body
	unit=${q[unit]:-}
	[ -n "$unit" ] || fail 400 "Bad Request" "give unit"
	# only the units this host has: a unit name is compared with the configuration's, never looked up
	jq -e --arg u "$unit" 'any(.units[]; . == $u)' "$config" >/dev/null || fail 404 "Not Found" "no such unit"
	lines=${q[lines]:-200}
	[ "$lines" -le "$MAX_LINES" ] || lines=$MAX_LINES
	args=(--no-pager -q -u "$unit.service" -n "$lines" -o json)
	[ -n "${q[since]:-}" ] && args+=("--since=-${q[since]}s")
	[ -n "${q[after]:-}" ] && args+=("--after-cursor=${q[after]}")
	wait=$((10#${q[wait]:-0}))
	got=$(journalctl "${args[@]}" 2>/dev/null | jq -c "$JQ_ENTRY") || fail 500 "Internal Server Error" "could not read the journal"
	# the long poll: nothing new yet, so look again each second for up to WAIT seconds
	while [ -z "$got" ] && [ "$wait" -gt 0 ]; do
		sleep 1
		wait=$((wait - 1))
		got=$(journalctl "${args[@]}" 2>/dev/null | jq -c "$JQ_ENTRY") || fail 500 "Internal Server Error" "could not read the journal"
	done
	if [ "${q[format]:-json}" = text ]; then
		body=$(jq -r '"\(.time | todate) \(.identifier // "-"): \(.message)"' <<<"$got") || fail 500 "Internal Server Error" "could not write the lines"
		respond 200 OK "${body:+$body$'\n'}" "text/plain; charset=utf-8"  # no lines: an empty body
	fi
	body=$(jq -cs --arg u "$unit" '{unit: $u, entries: ., cursor: (if length > 0 then .[-1].cursor else null end)}' <<<"$got") &&
		[ -n "$body" ] || fail 500 "Internal Server Error" "could not write the entries"
	respond 200 OK "$body"
}

# ------------------------------------------------------------------ metrics
# Prometheus text, per service (label container_name): its unit's CPU time and memory as systemd
# accounts them (NAME.service's cgroup holds the container, its processes and conmon), the unit's
# automatic restarts, whether it is active, and the health its check sees: podman's last result
# (cmd), or one GET of the host's probe (http). A value systemd does not have is left out. With
# backups, two of the host's own (no label): when the last successful backup ended, whether the last run
# succeeded; none before the first run.
endpoint_metrics() {
	probe=$(jq -r '.probe // ""' "$config")
	cpu= mem= restarts= up= healthy=
	for name in $(jq -r '.services[]' "$config"); do
		[[ $name =~ $RE_NAME ]] || continue
		l="{container_name=\"$name\"}"
		unset p
		declare -A p=()
		while IFS='=' read -r k v; do
			p[$k]=$v
		done < <(systemctl show -p ActiveState -p CPUUsageNSec -p MemoryCurrent -p NRestarts -- "$name.service" 2>/dev/null)
		v=${p[ActiveState]:-}
		if [[ $v =~ $RE_WORD && -n $v ]]; then
			[ "$v" = active ] && up+="container_up$l 1"$'\n' || up+="container_up$l 0"$'\n'
		fi
		v=${p[CPUUsageNSec]:-} # nanoseconds, as seconds with nine decimals (no floating point in bash)
		if [[ $v =~ ^[0-9]{1,18}$ ]]; then
			printf -v v '%010d' "$((10#$v))"
			cpu+="container_cpu_time_seconds_total$l ${v:0:-9}.${v: -9}"$'\n'
		fi
		v=${p[MemoryCurrent]:-}
		[[ $v =~ ^[0-9]{1,19}$ ]] && mem+="container_memory_usage_bytes$l $v"$'\n'
		v=${p[NRestarts]:-}
		[[ $v =~ ^[0-9]{1,10}$ ]] && restarts+="container_restarts_total$l $v"$'\n'
		h=
		case $(jq -r --arg n "$name" '.health[$n] // "none"' "$config") in
		cmd) h=$(inspect "$name" | jq -r '.[0].State.Health.Status // .[0].State.Healthcheck.Status // ""' 2>/dev/null) ;;
		http)
			mapfile -t a < <(jq -r --arg n "$name" '.probes[$n][]' "$config" 2>/dev/null)
			if [ -n "$probe" ] && [ "${#a[@]}" -gt 0 ]; then
				timeout -k 1 10 "$BASH" "$probe" "${a[@]}" >/dev/null 2>&1
				case $? in
				0) h=healthy ;;
				1) h=unhealthy ;;
				esac
			fi
			;;
		esac
		case $h in
		healthy) healthy+="container_healthy$l 1"$'\n' ;;
		unhealthy) healthy+="container_healthy$l 0"$'\n' ;;
		esac
	done
	body=
	family() { # NAME TYPE HELP SAMPLES: one metric family, when it has samples
		[ -n "$4" ] && body+="# HELP $1 $3"$'\n'"# TYPE $1 $2"$'\n'"$4"
		return 0
	}
	family container_cpu_time_seconds_total counter "CPU time of the service's unit (container.cpu.time), in seconds" "$cpu"
	family container_memory_usage_bytes gauge "Memory of the service's unit (container.memory.usage), in bytes" "$mem"
	family container_restarts_total counter "Automatic restarts of the service's unit by systemd" "$restarts"
	family container_up gauge "1 when the service's unit is active, else 0" "$up"
	family container_healthy gauge "1 when the service's health check passes, 0 when it fails; absent when unknown" "$healthy"
	# with backups: the last run's result (nothing before the first run, nor from a result file that is not one)
	bsuccess= bok=
	f=$(jq -r '.backups.result // ""' "$config")
	if [ -n "$f" ]; then
		while read -r k v; do
			[[ $v =~ ^[0-9]{1,12}$ ]] || continue
			case $k in
			success) bsuccess="hostform_backup_last_success_timestamp_seconds $v"$'\n' ;;
			ok) bok="hostform_backup_last_run_ok $v"$'\n' ;;
			esac
		done < <(backup_result "$f" | jq -r '(.last_success.time | if type == "string" then (try fromdateiso8601 catch null) else null end) as $t
			| (if $t != null then "success \($t)" else empty end), (if .last_run != null then "ok \(if .last_run.ok then 1 else 0 end)" else empty end)' 2>/dev/null)
	fi
	family hostform_backup_last_success_timestamp_seconds gauge "When the last backup that succeeded ended, in seconds since the epoch" "$bsuccess"
	family hostform_backup_last_run_ok gauge "1 when the last backup run succeeded, 0 when it failed" "$bok"
	respond 200 OK "$body" "text/plain; version=0.0.4; charset=utf-8"
}

# ------------------------------------------------------------------ status
# per service: the container as podman runs it (image, digest, state, health), the digest the
# registry has now, what podman auto-update would do; the last update run and each service's last
# change in it; per site the certificate's expiry; the disks' use; with backups, the last run's result,
# the last success and the timer's next run. What may be large (podman's and
# the journal's JSON) goes to jq through files, never as an argument (an argument has at most 128 KiB).
endpoint_status() {
	local now name image rc remote why active last last_s result data site expires crt end mount size used avail body
	now=$(date +%s)
	tmp=$(mktemp -d) || fail 500 "Internal Server Error" "no temporary directory"
	trap 'rm -rf "$tmp"' EXIT  # tmp is global: the trap runs after the function, at the answer's exit
	touch "$tmp/services" "$tmp/sites" "$tmp/disks"
	# the registry and podman's dry run (which asks the registries too) all at once, each bounded in time
	timeout -k 2 "$DRY_RUN_TIMEOUT" podman auto-update --dry-run --format json >"$tmp/pending" 2>/dev/null &
	for name in $(jq -r '.services[]' "$config"); do
		[[ $name =~ $RE_NAME ]] || continue
		image=$(jq -r --arg n "$name" '.images[$n] // ""' "$config")
		[ -n "$image" ] || continue
		{
			timeout -k 2 "$REGISTRY_TIMEOUT" skopeo inspect --no-tags --format '{{.Digest}}' "docker://$image" >"$tmp/digest.$name" 2>/dev/null
			echo $? >"$tmp/rc.$name"
		} &
	done
	wait
	jq -se 'length == 1 and (.[0] | type == "array")' "$tmp/pending" >/dev/null 2>&1 || echo '[]' >"$tmp/pending"
	for name in $(jq -r '.services[]' "$config"); do
		[[ $name =~ $RE_NAME ]] || continue
		podman container inspect --format json "$name" >"$tmp/container" 2>/dev/null
		jq -se 'length == 1 and (.[0] | type == "array")' "$tmp/container" >/dev/null 2>&1 || echo '[]' >"$tmp/container"
		image=$(jq -r --arg n "$name" '.images[$n] // ""' "$config")
		remote= why=
		if [ -n "$image" ]; then
			rc=$(cat "$tmp/rc.$name" 2>/dev/null || echo 1)
			remote=$(head -c 100 "$tmp/digest.$name" 2>/dev/null | tr -d '\n')
			if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
				why="no answer from the registry within ${REGISTRY_TIMEOUT} s"
			elif [ "$rc" != 0 ]; then
				why="skopeo inspect failed (exit $rc): the registry refused or cannot be reached"
			elif ! [[ $remote =~ $RE_DIGEST ]]; then
				why="the registry's answer has no digest"
			fi
			[ -z "$why" ] || remote=
		fi
		active=$(systemctl show -P ActiveState "$name.service" 2>/dev/null || true)
		[[ $active =~ $RE_WORD && -n $active ]] || active=unknown
		jq -c --arg n "$name" --arg image "$image" --arg remote "$remote" --arg why "$why" --arg active "$active" \
			--slurpfile p "$tmp/pending" '
			(.[0] // {}) as $x |
			{name: $n, image: $image, unit: $active,
			 state: ($x.State.Status // "absent"),
			 started: ($x.State.StartedAt // null),
			 health: ($x.State.Health.Status // $x.State.Healthcheck.Status // null),
			 running_digest: ($x.ImageDigest // null),
			 registry_digest: (if $remote == "" then null else $remote end),
			 registry_error: (if $why == "" then null else $why end),
			 auto_update: ([$p[0][] | select(.ContainerName == $n or .Unit == ($n + ".service")) | .Updated][0] // null)}' \
			"$tmp/container" >>"$tmp/services" || fail 500 "Internal Server Error" "could not read podman's answer for $name"
	done

	# each service's last change in the runs of podman-auto-update (its table, each row indented:
	# UNIT CONTAINER IMAGE POLICY UPDATED), read as a stream: only the rows of this host's services are kept
	journalctl --no-pager -q -u podman-auto-update.service -n 2000 -o json 2>/dev/null >"$tmp/runs"
	jq -cn --slurpfile cfg "$config" '($cfg[0].services | map(. + ".service ")) as $units |
		reduce (inputs | select(.MESSAGE | type == "string") | {time: ((.__REALTIME_TIMESTAMP // "0") | tonumber / 1000000 | floor),
			message: (.MESSAGE | sub("^ +"; ""))} | select(.message as $m | any($units[]; . as $u | $m | startswith($u)))
			| {name: (.message | split(".service ")[0]), time, updated: (.message | sub(".* registry +"; "") | sub(" +$"; ""))}
			| select(.updated != "false" and .updated != "pending")) as $c ({}; .[$c.name] = {time: $c.time, updated: $c.updated})' \
		"$tmp/runs" >"$tmp/changes" 2>/dev/null || echo '{}' >"$tmp/changes"
	last=$(systemctl show -P ExecMainStartTimestamp podman-auto-update.service 2>/dev/null || true)
	last_s=
	[ -n "$last" ] && [ "$last" != n/a ] && last_s=$(date -u -d "$last" +%s 2>/dev/null || true)
	[[ $last_s =~ ^[0-9]+$ ]] || last_s=
	result=$(systemctl show -P Result podman-auto-update.service 2>/dev/null || true)
	[[ $result =~ $RE_WORD ]] || result=unknown

	data=$(jq -r '.caddy_data' "$config")
	for site in $(jq -r '.sites[]' "$config"); do
		[[ $site =~ $RE_SITE ]] || continue
		expires=
		for crt in "$data"/caddy/certificates/*/"$site/$site.crt"; do
			[ -f "$crt" ] || continue
			end=$(openssl x509 -noout -enddate -in "$crt" 2>/dev/null) || continue
			expires=$(date -u -d "${end#notAfter=}" +%s 2>/dev/null) && break
		done
		[[ $expires =~ ^[0-9]+$ ]] || expires=
		jq -cn --arg s "$site" --arg e "$expires" '{site: $s, certificate_expires: (if $e == "" then null else ($e | tonumber) end)}' >>"$tmp/sites" ||
			fail 500 "Internal Server Error" "could not write the sites"
	done

	for mount in $(jq -r '.disks[]' "$config"); do
		read -r size used avail < <(df -B1 --output=size,used,avail "$mount" 2>/dev/null | tail -n 1)
		[[ ${size:-} =~ ^[0-9]+$ && ${used:-} =~ ^[0-9]+$ && ${avail:-} =~ ^[0-9]+$ ]] || continue
		jq -cn --arg m "$mount" --argjson s "$size" --argjson u "$used" --argjson a "$avail" '{mount: $m, size: $s, used: $u, available: $a}' >>"$tmp/disks" ||
			fail 500 "Internal Server Error" "could not write the disks"
	done

	# with backups: the last run's result, the last success, the timer's next run and the schedule
	echo null >"$tmp/backups"
	if [ -n "$(jq -r '.backups.result // ""' "$config")" ]; then
		backup_result "$(jq -r '.backups.result' "$config")" >"$tmp/backup-result" || true
		jq -c --arg next "$(backup_next "$(jq -r '.backups.timer // ""' "$config")")" --slurpfile cfg "$config" \
			'{schedule: ($cfg[0].backups.schedule // null), next_run: (if $next == "" then null else ($next | tonumber) end)} + .' \
			"$tmp/backup-result" >"$tmp/backups" 2>/dev/null ||
			jq -cn '{schedule: null, next_run: null, last_run: null, last_success: null, error: "the backup result could not be read"}' >"$tmp/backups"
	fi

	body=$(jq -cn --argjson now "$now" --slurpfile s "$tmp/services" --slurpfile sites "$tmp/sites" --slurpfile d "$tmp/disks" \
		--slurpfile ch "$tmp/changes" --arg last "$last_s" --arg result "$result" --slurpfile cfg "$config" --slurpfile b "$tmp/backups" \
		'{host: $cfg[0].host, time: $now, services: ($s | map(. + {last_change: ($ch[0][.name] // null)})), sites: $sites, disks: $d,
		  last_update_run: {started: (if $last == "" then null else ($last | tonumber) end), result: $result}}
		 + (if $b[0] == null then {} else {backups: $b[0]} end)') &&
		[ -n "$body" ] || fail 500 "Internal Server Error" "could not write the status"
	respond 200 OK "$body"
}

jq -e 'type == "object"' "$config" >/dev/null 2>&1 || fail 500 "Internal Server Error" "cannot read this host's configuration"
case $mode in
update) endpoint_update ;;
logs) endpoint_logs ;;
status) endpoint_status ;;
metrics) endpoint_metrics ;;
esac
fail 500 "Internal Server Error" "the $mode endpoint stopped without an answer"
"""
