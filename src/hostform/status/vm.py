"""The VM's side of ``hostform status``, ``logs`` and ``update``: a bash script behind systemd sockets.

Three sockets under :data:`SOCKET_DIR` (root-only), one per endpoint, ``Accept=yes``: systemd starts
``hostform-api-MODE@.service`` once per connection with the connection as stdin and stdout, and the
script (:data:`SCRIPT`, run by bash: Fedora CoreOS has it, and jq, podman, skopeo, journalctl,
openssl) reads one HTTP request and writes one response. The directory is mounted into the Caddy
container, whose Caddyfile routes ``/.hostform/MODE`` of one site there behind the token (basic
authentication, bcrypt: :mod:`hostform.caddy.render`). Nothing listens on a port of its own.

What the script may look at is this host's, written by hostform into :data:`CONFIG_PATH` (a JSON
file): the services (and their images), the units whose journal ``logs`` serves, the sites whose
certificates ``status`` reads, the disks. See docs/observability.md for the design and threat model.
"""

from __future__ import annotations

import json

from hostform.host import model as m

__all__ = ["CONFIG_PATH", "ENDPOINTS", "PREFIX", "SCRIPT", "SCRIPT_PATH", "SOCKET_DIR", "USER", "config", "socket_path", "unit_names", "units"]

SCRIPT_PATH = "/usr/local/libexec/hostform/api"
CONFIG_PATH = "/etc/hostform/api.json"
SOCKET_DIR = "/run/hostform/api"
PREFIX = "/.hostform/"
USER = "hostform"  # the basic-auth user name the token goes with
BASH = "/usr/bin/bash"
# endpoint -> (its method, how long one request may run: the long poll of logs is 25 s at most)
ENDPOINTS: dict[str, tuple[str, int]] = {"status": ("GET", 120), "logs": ("GET", 60), "update": ("POST", 30)}


def socket_path(endpoint: str) -> str:
    return f"{SOCKET_DIR}/{endpoint}.sock"


def config(host: m.Host) -> str:
    """What the script may look at, as JSON: the services and their images, the units whose journal
    ``logs`` serves (the services', the jobs', Caddy's and podman-auto-update's), the sites, the disks."""
    units = sorted({s.name for s in host.services} | {j.name for j in host.jobs} | ({"caddy"} if host.sites else set())
                   | {"podman-auto-update"})
    sites = sorted({n for sp in host.sites for n in (sp.address, *sp.aliases)})
    data = {
        "host": host.name,
        "services": [s.name for s in host.services],
        "images": {s.name: s.image for s in host.services},
        "units": units,
        "sites": sites,
        "caddy_data": f"{host.state.path}/caddy/data",
        "disks": ["/", host.state.path] if host.state.volume else ["/"],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def unit_names() -> list[str]:
    """The units :func:`units` writes (service templates as NAME@.service)."""
    return [n for name in ENDPOINTS for n in (f"hostform-api-{name}.socket", f"hostform-api-{name}@.service")]


def units(header: str) -> list[tuple[str, str]]:
    """(name, text) of each endpoint's socket and its service template."""
    out = []
    for name, (method, limit) in ENDPOINTS.items():
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
    return out


# The script. Every value of a request is checked against its own alphabet before use, and reaches a
# command as one quoted word; the tests run it with bash against stand-ins of the commands.
SCRIPT = r"""#!/usr/bin/bash
# Written by hostform: the VM's side of `hostform status`, `hostform logs` and `hostform update`.
#
#   api status|logs|update
#
# Run by systemd once per connection (hostform-api-MODE@.service, from hostform-api-MODE.socket,
# Accept=yes): the request is on stdin, the response goes to stdout. Caddy has checked the token
# before anything reaches the socket; this script trusts nothing of the request all the same:
#   - the request line and each header line are read with a length bound and a time bound;
#   - the method must be GET (status, logs) or POST (update): else 405;
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

fail() { # STATUS REASON MESSAGE
	respond "$1" "$2" "$(jq -cn --arg e "$3" '{error: $e}')"
}

mode=${1:-}
case $mode in
status | logs) want=GET ;;
update) want=POST ;;
*)
	echo "usage: api status|logs|update" >&2
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
	c=$(podman container inspect --format json "$name" 2>/dev/null || true)
	[[ $c == \[* ]] || c='[]'
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
