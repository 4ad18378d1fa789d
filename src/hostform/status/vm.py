"""The VM's side of ``hostform status``, ``logs`` and ``update``: a bash script behind systemd sockets.

Three sockets under :data:`SOCKET_DIR` (root-only), one per endpoint, ``Accept=yes``: systemd starts
``hostform-api-MODE@.service`` once per connection with the connection as stdin and stdout, and the
script (:data:`SCRIPT`, run by bash: Fedora CoreOS has it, and jq, podman, skopeo, journalctl,
openssl) reads one HTTP request and writes one response. The directory is mounted into the Caddy
container, whose Caddyfile routes ``/.hostform/MODE`` of one site there behind the token (basic
authentication, bcrypt: :mod:`hostform.caddy.render`). Nothing listens on a port of its own.

What the script may look at is this host's, written by hostform into :data:`CONFIG_PATH` (a JSON
file): the services (and their images, and how their health is checked), the units whose journal
``logs`` serves, the sites whose certificates ``status`` reads, the disks. See docs/observability.md for
the design and threat model.

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
    ``logs`` serves (the services', the jobs', Caddy's and podman-auto-update's), the sites, the disks."""
    units = sorted({s.name for s in host.services} | {j.name for j in host.jobs} | ({"caddy"} if host.sites else set())
                   | {"podman-auto-update"})
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
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


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
# What this host has (its units, sites, state disk) is in the configuration hostform wrote,
# HOSTFORM_API_CONFIG (default /etc/hostform/api.json).
set -u
export LC_ALL=C
config=${HOSTFORM_API_CONFIG:-/etc/hostform/api.json}
MAX_LINES=5000
MAX_WAIT=25
# the alphabets of the query's values (in variables: bash reads a regular expression after =~
# literally only that way)
RE_UNIT='^[a-z0-9][a-z0-9_.@-]{0,127}$'
RE_LINES='^[1-9][0-9]{0,3}$'
RE_SECONDS='^[0-9]{1,10}$'
RE_CURSOR='^[A-Za-z0-9=;]{1,512}$'
RE_WAIT='^[0-9]{1,2}$'
RE_NAME='^[a-z0-9][a-z0-9_.-]{0,62}$'
RE_SITE='^[a-z0-9.-]{1,253}$'
RE_DIGEST='^sha256:[0-9a-f]{64}$'
RE_WORD='^[a-z-]{0,32}$'

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

# ------------------------------------------------------------------ update
if [ "$mode" = update ]; then
	# the one thing this endpoint can do: start the update now (as the timer would)
	if systemctl start --no-block podman-auto-update.service; then
		respond 202 Accepted '{"started":"podman-auto-update.service"}'
	fi
	fail 500 "Internal Server Error" "systemctl could not start podman-auto-update.service"
fi

# ------------------------------------------------------------------ logs
if [ "$mode" = logs ]; then
	unit=${q[unit]:-}
	[ -n "$unit" ] || fail 400 "Bad Request" "give unit"
	# only the units this host has: a unit name is compared with the configuration's, never looked up
	jq -e --arg u "$unit" 'any(.units[]; . == $u)' "$config" >/dev/null || fail 404 "Not Found" "no such unit"
	lines=${q[lines]:-200}
	[ "$lines" -le "$MAX_LINES" ] || lines=$MAX_LINES
	args=(--no-pager -q -u "$unit.service" -n "$lines" -o json)
	[ -n "${q[since]:-}" ] && args+=("--since=-${q[since]}s")
	[ -n "${q[after]:-}" ] && args+=("--after-cursor=${q[after]}")
	wait=${q[wait]:-0}
	entries() {
		journalctl "${args[@]}" 2>/dev/null | jq -c '{time: ((.__REALTIME_TIMESTAMP // "0") | tonumber / 1000000 | floor),
			priority: ((.PRIORITY // "6") | tonumber), identifier: (.SYSLOG_IDENTIFIER // null),
			message: (.MESSAGE | if type == "array" then (try implode catch "(binary)") else . end), cursor: .__CURSOR}' 2>/dev/null
	}
	got=$(entries)
	# the long poll: nothing new yet, so look again each second for up to WAIT seconds
	while [ -z "$got" ] && [ "$wait" -gt 0 ]; do
		sleep 1
		wait=$((wait - 1))
		got=$(entries)
	done
	if [ "${q[format]:-json}" = text ]; then
		respond 200 OK "$(jq -r '"\(.time | todate) \(.identifier // "-"): \(.message)"' <<<"$got")"$'\n' "text/plain; charset=utf-8"
	fi
	respond 200 OK "$(jq -cs --arg u "$unit" '{unit: $u, entries: ., cursor: (if length > 0 then .[-1].cursor else null end)}' <<<"$got")"
fi

# ------------------------------------------------------------------ metrics
# Prometheus text, per service (label container_name): its unit's CPU time and memory as systemd
# accounts them (NAME.service's cgroup holds the container, its processes and conmon), the unit's
# automatic restarts, whether it is active, and the health its check sees: podman's last result
# (cmd), or one GET of the host's probe (http). A value systemd does not have is left out.
if [ "$mode" = metrics ]; then
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
	respond 200 OK "$body" "text/plain; version=0.0.4; charset=utf-8"
fi

# ------------------------------------------------------------------ status
# per service: the container as podman runs it (image, digest, state, health), the digest the
# registry has now, what podman auto-update would do; the last update run and each service's last
# change in it; per site the certificate's expiry; the disks' use.
now=$(date +%s)
services='[]'
pending=$(podman auto-update --dry-run --format json 2>/dev/null || true)
[[ $pending == \[* ]] || pending='[]'
for name in $(jq -r '.services[]' "$config"); do
	[[ $name =~ $RE_NAME ]] || continue
	c=$(inspect "$name")
	image=$(jq -r --arg n "$name" '.images[$n] // ""' "$config")
	remote=
	if [ -n "$image" ]; then
		remote=$(timeout 20 skopeo inspect --no-tags --format '{{.Digest}}' "docker://$image" 2>/dev/null || true)
		[[ $remote =~ $RE_DIGEST ]] || remote=
	fi
	active=$(systemctl show -P ActiveState "$name.service" 2>/dev/null || true)
	[[ $active =~ $RE_WORD && -n $active ]] || active=unknown
	one=$(jq -cn --arg n "$name" --arg image "$image" --arg remote "$remote" --arg active "$active" \
		--argjson c "$c" --argjson p "$pending" '
		($c[0] // {}) as $x |
		{name: $n, image: $image, unit: $active,
		 state: ($x.State.Status // "absent"),
		 started: ($x.State.StartedAt // null),
		 health: ($x.State.Health.Status // $x.State.Healthcheck.Status // null),
		 running_digest: ($x.ImageDigest // null),
		 registry_digest: (if $remote == "" then null else $remote end),
		 auto_update: ([$p[] | select(.ContainerName == $n or .Unit == ($n + ".service")) | .Updated][0] // null)}')
	services=$(jq -c --argjson s "$one" '. + [$s]' <<<"$services")
done

# the last runs of podman-auto-update (its table, each row indented: UNIT CONTAINER IMAGE POLICY UPDATED)
runs=$(journalctl --no-pager -q -u podman-auto-update.service -n 2000 -o json 2>/dev/null |
	jq -cs '[.[] | {time: ((.__REALTIME_TIMESTAMP // "0") | tonumber / 1000000 | floor),
		message: (.MESSAGE | if type == "string" then sub("^ +"; "") else "" end)}]' 2>/dev/null || true)
[[ $runs == \[* ]] || runs='[]'
last=$(systemctl show -P ExecMainStartTimestamp podman-auto-update.service 2>/dev/null || true)
last_s=
[ -n "$last" ] && [ "$last" != n/a ] && last_s=$(date -u -d "$last" +%s 2>/dev/null || true)
result=$(systemctl show -P Result podman-auto-update.service 2>/dev/null || true)
[[ $result =~ $RE_WORD ]] || result=unknown
services=$(jq -c --argjson r "$runs" 'map(. as $s | . + {last_change: ([$r[] | select(.message | startswith($s.name + ".service "))
	| {time, updated: (.message | sub(".* registry +"; "") | sub(" +$"; ""))} | select(.updated != "false" and .updated != "pending")] | last)})' <<<"$services")

sites='[]'
data=$(jq -r '.caddy_data' "$config")
for site in $(jq -r '.sites[]' "$config"); do
	[[ $site =~ $RE_SITE ]] || continue
	expires=
	for crt in "$data"/caddy/certificates/*/"$site/$site.crt"; do
		[ -f "$crt" ] || continue
		end=$(openssl x509 -noout -enddate -in "$crt" 2>/dev/null) || continue
		expires=$(date -u -d "${end#notAfter=}" +%s 2>/dev/null) && break
	done
	sites=$(jq -c --arg s "$site" --arg e "$expires" '. + [{site: $s, certificate_expires: (if $e == "" then null else ($e | tonumber) end)}]' <<<"$sites")
done

disks='[]'
for mount in $(jq -r '.disks[]' "$config"); do
	read -r size used avail < <(df -B1 --output=size,used,avail "$mount" 2>/dev/null | tail -n 1)
	[[ ${size:-} =~ ^[0-9]+$ && ${used:-} =~ ^[0-9]+$ && ${avail:-} =~ ^[0-9]+$ ]] || continue
	disks=$(jq -c --arg m "$mount" --argjson s "$size" --argjson u "$used" --argjson a "$avail" '. + [{mount: $m, size: $s, used: $u, available: $a}]' <<<"$disks")
done

respond 200 OK "$(jq -cn --argjson now "$now" --argjson s "$services" --argjson sites "$sites" --argjson d "$disks" \
	--arg last "${last_s:-}" --arg result "$result" --arg host "$(jq -r .host "$config")" \
	'{host: $host, time: $now, services: $s, sites: $sites, disks: $d,
	  last_update_run: {started: (if $last == "" then null else ($last | tonumber) end), result: $result}}')"
"""
