"""``backups:``: restic on the VM, in a container, backing the state disk's data up to a repository.

What the VM gets (all written by :func:`hostform.host.render.render`):

* :data:`CONFIG_PATH`, what the script may do, as JSON (:func:`config`): the repository, restic's image, the
  state disk and which of its directories are backed up (``volumes``, ``caddy/data``), the retention, which
  podman secret becomes which variable of restic's environment, each service's ``backup`` (its ``before``
  command, whether it is stopped). No secret value: those are podman secrets (``hostform-secrets.service``
  made them), given to restic's container as environment variables (``--secret NAME,type=env``);
* :data:`SCRIPT_PATH`, a bash script (:data:`SCRIPT`; Fedora CoreOS has bash, jq, podman) with two modes:

  ``backup`` (``hostform-backup.service``, started by ``hostform-backup.timer`` on ``backups.schedule``):
  each service's ``before`` command in its container, the services with ``stop`` stopped, the repository made
  when it does not exist yet, ``restic backup``, the stopped services started again, then ``restic forget
  --prune`` with the ``keep`` counts. A ``before`` that fails means no snapshot (a half-written dump must not
  push a good snapshot out of the retention). The result goes to the journal (a failure at priority err:
  the collector of ``observability`` ships it as an error) and to :data:`RESULT_PATH`, which ``hostform
  status`` reads;

  ``restore`` (``hostform-restore.service``, with ``restore: on-blank``, at every boot, before every unit
  that keeps data on the state disk): when every backed-up directory is empty, the latest snapshot of this
  host is restored; when any holds a file, nothing is. No repository, or no snapshot of this host: nothing
  to restore (a new host). A repository that cannot be read (a wrong password, a server that does not
  answer after :data:`RESTORE_TRIES` tries) fails the unit, so nothing that would write onto the blank disk
  starts: the snapshots stay as they are, and the reason is in the journal.

Snapshots hold the state disk mounted at ``/state`` in restic's container, whatever ``state.path`` is, and
are tagged ``hostform`` with the host's name as restic's host: a replacement VM (same name) finds them.
"""

from __future__ import annotations

import json

from hostform.host import model as m

__all__ = ["BACKUP_SERVICE", "BACKUP_TIMER", "CONFIG_PATH", "RESTORE_SERVICE", "RESULT_PATH", "SCRIPT", "SCRIPT_PATH",
           "TAG", "config", "paths", "unit_names", "units"]

SCRIPT_PATH = "/usr/local/libexec/hostform/backups"
CONFIG_PATH = "/etc/hostform/backups/config.json"
KNOWN_HOSTS_PATH = "/etc/hostform/backups/known_hosts"
RESULT_PATH = "/var/lib/hostform/backups/result.json"
CACHE_DIR = "/var/cache/hostform/restic"
BACKUP_SERVICE = "hostform-backup.service"
BACKUP_TIMER = "hostform-backup.timer"
RESTORE_SERVICE = "hostform-restore.service"
TAG = "hostform"
# the restore's marker, on the state disk beside what is backed up: pending (a blank disk owes a restore) or done
MARKER = ".hostform-restore"
STATE_IN_CONTAINER = "/state"
# a restore at boot waits this many times RESTORE_WAIT seconds for a repository that does not answer
RESTORE_TRIES = 20
RESTORE_WAIT = 15
BASH = "/usr/bin/bash"


def paths(host: m.Host) -> list[str]:
    """The state disk's directories backed up (relative to it): the volumes, Caddy's data (its certificates)."""
    out = []
    if any(s.volumes for s in host.services) or any(j.volumes for j in host.jobs):
        out.append("volumes")
    if host.sites:
        out.append("caddy/data")
    return out


def config(host: m.Host) -> str:
    """The script's configuration (JSON, sorted keys): no secret value, only the names of podman secrets."""
    bk = host.backups
    assert bk is not None
    secrets = [["RESTIC_PASSWORD", bk.password_secret]] + [[e.name, e.secret] for e in bk.env if e.secret]
    hooks = [{"service": s.name, "before": list(s.backup.before), "stop": s.backup.stop}
             for s in host.services if s.backup is not None]
    data = {
        "host": host.name,
        "repository": bk.repository,
        "image": bk.image,
        "state": host.state.path,
        "paths": paths(host),
        "keep": [[k, n] for k, n in bk.keep],
        "secrets": secrets,
        "env": [[e.name, e.value] for e in bk.env if e.value is not None],
        "ssh_key": bk.ssh_key_secret,
        "known_hosts": KNOWN_HOSTS_PATH if bk.known_hosts else None,
        "hooks": hooks,
        "tag": TAG,
        "restores": bk.restores,
        "marker": MARKER,
        "prune": bk.prune,
        "restore_tries": RESTORE_TRIES,
        "restore_wait": RESTORE_WAIT,
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def known_hosts(host: m.Host) -> str:
    bk = host.backups
    assert bk is not None
    return "".join(line + "\n" for line in bk.known_hosts)


def unit_names(host: m.Host) -> list[str]:
    if host.backups is None:
        return []
    return [BACKUP_SERVICE, BACKUP_TIMER] + ([RESTORE_SERVICE] if host.backups.restores else [])


def units(host: m.Host, header: str, needs: list[str]) -> list[tuple[str, str, bool]]:
    """(name, text, enabled) of the backup's service and timer, and the restore's service. ``needs``: units both
    require and come after (the secrets' unit, the state disk's directories)."""
    from hostform.escape import unit_text

    bk = host.backups
    assert bk is not None
    head = header.rstrip("\n")
    state = [f"RequiresMountsFor={host.state.path}"] if host.state.volume else []
    deps = [*state, *(f"Requires={u}" for u in needs), *(f"After={u}" for u in needs)]
    timeout = f"TimeoutStartSec={unit_text(bk.timeout, exec_line=False)}"

    def text(lines: list[str]) -> str:
        return "".join(x + "\n" for x in [head, *lines])

    out = [
        (BACKUP_SERVICE, text([
            "[Unit]",
            f"Description=hostform backups: the state disk's data to the restic repository (started by {BACKUP_TIMER})",
            "Wants=network-online.target",
            # after the boot (a run missed while the VM was off comes at boot: the services are up by then), and
            # never beside an update (podman-auto-update restarts the services a backup dumps or stops)
            "After=network-online.target multi-user.target podman-auto-update.service",
            *deps,
            # only once this boot's restore has succeeded (Requisite=: a backup does not start it again); the
            # script also refuses to back up a disk whose restore is owed
            *([f"Requisite={RESTORE_SERVICE}", f"After={RESTORE_SERVICE}"] if bk.restores else []),
            "",
            "[Service]",
            "Type=oneshot",
            f"ExecStart={BASH} {SCRIPT_PATH} backup",
            timeout,
        ]), False),
        (BACKUP_TIMER, text([
            "[Unit]",
            f"Description=run the hostform backup ({BACKUP_SERVICE}) on its schedule",
            "",
            "[Timer]",
            f"OnCalendar={unit_text(bk.schedule, exec_line=False)}",
            "Persistent=true",
            "AccuracySec=1s",
            "",
            "[Install]",
            "WantedBy=timers.target",
        ]), True),
    ]
    if bk.restores:
        out.append((RESTORE_SERVICE, text([
            "[Unit]",
            "Description=hostform backups: restore the latest snapshot onto a blank state disk, before anything keeping "
            "data there starts",
            "Wants=network-online.target",
            "After=network-online.target",
            *deps,
            "",
            "[Service]",
            "Type=oneshot",
            "RemainAfterExit=yes",
            f"ExecStart={BASH} {SCRIPT_PATH} restore",
            timeout,
            "",
            "[Install]",
            "WantedBy=multi-user.target",
        ]), True))
    return out


SCRIPT = r"""#!/usr/bin/bash
# Generated by hostform (backups): restic in a container, on the state disk's data. See
# hostform.backups: `backup` (hostform-backup.service) and `restore` (hostform-restore.service).
set -uo pipefail
umask 077

CONF=${HOSTFORM_BACKUPS_CONFIG:-/etc/hostform/backups/config.json}
RESULT=${HOSTFORM_BACKUPS_RESULT:-/var/lib/hostform/backups/result.json}
CACHE=${HOSTFORM_BACKUPS_CACHE:-/var/cache/hostform/restic}
PODMAN=${HOSTFORM_PODMAN:-podman}
SYSTEMCTL=${HOSTFORM_SYSTEMCTL:-systemctl}

conf() { jq -r "$1" "$CONF"; }
HOST=$(conf .host) || exit 1
REPO=$(conf .repository)
IMAGE=$(conf .image)
STATE=$(conf .state)
TAG=$(conf .tag)

info() { printf '%s\n' "$*"; }
# priority err in the journal (systemd reads the <3> prefix): an error event for the collector too
error() { printf '<3>%s\n' "$*"; }

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# restic MODE ARGS...: restic in its container, the state disk at /state (MODE: ro or rw); its output on
# stdout, its errors in $ERR (podman's pull progress is not: --quiet). Every podman secret named in the
# configuration is a variable of its environment. A lock held by another restic (the user's `hostform backups
# list` while a prune would run) is waited for a while (--retry-lock) before restic gives up.
ERR=$(mktemp) || exit 1
trap 'rm -f "$ERR"' EXIT
restic() {
  local mode=$1
  shift
  local args=(run --rm --quiet --network=host --pull=missing --log-driver=none --security-opt=label=disable
    --entrypoint=/usr/bin/restic --hostname "$HOST" -v "$STATE:/state:$mode" -v "$CACHE:/cache"
    -e RESTIC_CACHE_DIR=/cache -e "RESTIC_REPOSITORY=$REPO" -e RESTIC_PROGRESS_FPS=0.0166)
  local var name kv opts=(--retry-lock=2m)
  while IFS=$'\t' read -r var name; do
    args+=(--secret "$name,type=env,target=$var")
  done < <(jq -r '.secrets[] | @tsv' "$CONF")
  while IFS= read -r -d '' kv; do
    args+=(-e "$kv")
  done < <(jq -j '.env[] | "\(.[0])=\(.[1])\u0000"' "$CONF")
  name=$(conf '.ssh_key // empty')
  if [ -n "$name" ]; then
    args+=(--secret "$name,type=mount,target=/run/secrets/hostform-ssh-key,mode=0400"
      -v "$(conf .known_hosts):/etc/hostform-known_hosts:ro")
    opts+=(-o "sftp.args=-i /run/secrets/hostform-ssh-key -o IdentitiesOnly=yes -o UserKnownHostsFile=/etc/hostform-known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes")
  fi
  "$PODMAN" "${args[@]}" "$IMAGE" "${opts[@]}" "$@" 2>"$ERR"
}

# what restic said last, on one line (its last lines of errors; with --json an error is {"message": ...})
said() { tail -n 5 "$ERR" | jq -Rr '. as $l | (fromjson? | .message? // empty | strings) // $l' 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'; }

# why restic failed with exit code $1, in words
why() {
  case $1 in
    10) echo "there is no repository at $REPO" ;;
    11) echo "the repository is locked by another restic (a backup or prune still running, or a stale lock: restic unlock)" ;;
    12) echo "the repository's password is wrong (backups.password): restic cannot open $REPO" ;;
    125 | 126 | 127) echo "restic's container did not run (podman: exit $1)" ;;
    *) if grep -q 'wrong password' "$ERR"; then echo "the repository's password is wrong (backups.password): restic cannot open $REPO"
       else echo "restic failed (exit $1)"; fi ;;
  esac
}

# record OK MESSAGE [SNAPSHOT] [SUCCESS]: this run's result in $RESULT; SUCCESS (default: OK) says whether it is a
# backup's success (a snapshot saved): the last success is kept until another one
record() {
  local ok=$1 message=$2 snapshot=${3:-} success=${4:-$1} prev='{}'
  mkdir -p "$(dirname "$RESULT")"
  # the previous result, when it is a JSON object (a corrupt file is replaced)
  [ -s "$RESULT" ] && jq -e 'type == "object"' "$RESULT" >/dev/null 2>&1 && prev=$(cat "$RESULT")
  jq -n --argjson prev "$prev" --argjson ok "$ok" --argjson success "$success" --arg message "$message" --arg snapshot "$snapshot" \
    --arg start "$START" --arg finish "$(now)" '
    {"last_run": ({"start": $start, "end": $finish, "ok": $ok, "message": $message}
       + (if $snapshot != "" then {"snapshot": $snapshot} else {} end)),
     "last_success": (if $success then {"time": $finish, "snapshot": $snapshot} else ($prev.last_success // null) end)}
    ' >"$RESULT.tmp" && mv -f "$RESULT.tmp" "$RESULT" || error "backup: could not record the result in $RESULT"
}

# the backed-up directories that exist, as restic sees them
sources() {
  local p
  while IFS= read -r p; do
    [ -d "$STATE/$p" ] && printf '/state/%s\n' "$p"
  done < <(jq -r '.paths[]' "$CONF")
}

# has_data: does a backed-up directory hold anything but directories (the volumes' directories are made empty at
# every boot by tmpfiles.d)? The first such path is in $FOUND.
FOUND=
has_data() {
  local p
  FOUND=
  while IFS= read -r p; do
    FOUND=$(find "$STATE/$p" -mindepth 1 ! -type d -print -quit 2>/dev/null)
    [ -n "$FOUND" ] && return 0
  done < <(jq -r '.paths[]' "$CONF")
  return 1
}

# the restore's marker on the state disk (outside what is backed up): "pending" once the disk was seen blank and a
# restore is owed, "done" once restored (or found with data, or nothing to restore); absent: not looked at yet
MARKER="$STATE/$(conf .marker)"
marker() { cat "$MARKER" 2>/dev/null || true; }
mark() { printf '%s\n' "$1" >"$MARKER.tmp" && mv -f "$MARKER.tmp" "$MARKER" && sync "$MARKER"; }

# latest: this host's latest snapshot as JSON ({} when there is none), in $LATEST; restic's exit code
LATEST=
latest() {
  local out rc
  out=$(restic ro snapshots --json --tag "$TAG" --host "$HOST" latest)
  rc=$?
  [ "$rc" -eq 0 ] || return "$rc"
  LATEST=$(printf '%s' "$out" | jq -c 'if type == "array" and length > 0 and (.[-1] | type) == "object" then .[-1] else {} end') ||
    LATEST='{}'
  return 0
}

STOPPED=()
start_stopped() {
  local s
  for s in "${STOPPED[@]}"; do
    "$SYSTEMCTL" start --no-block "$s.service" || error "backup: could not start $s again"
  done
  STOPPED=()
}

backup() {
  START=$(now)
  mkdir -p "$CACHE"
  local n i service stop argv rc out
  if [ "$(conf .restores)" = true ] && [ "$(marker)" != done ]; then
    error "backup refused: the restore onto this state disk has not succeeded (see hostform-restore.service); a backup of it now would make the blank disk the latest snapshot"
    record false "refused: the restore onto this state disk has not succeeded (hostform-restore.service)"
    return 1
  fi
  mapfile -t srcs < <(sources)
  if [ "${#srcs[@]}" -eq 0 ]; then
    info "backup: nothing on the state disk to back up"
    record true "nothing to back up" "" false
    return 0
  fi
  # the repository first: a wrong password or a lock must not stop a service for nothing
  restic ro cat config >/dev/null
  rc=$?
  if [ "$rc" -eq 10 ]; then
    info "backup: no repository at $REPO yet: making it"
    restic ro init >/dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
      error "backup failed: could not make the repository at $REPO: $(why "$rc"): $(said)"
      record false "could not make the repository: $(why "$rc"): $(said)"
      return 1
    fi
  elif [ "$rc" -ne 0 ]; then
    error "backup failed: $(why "$rc"): $(said); nothing was changed"
    record false "$(why "$rc"): $(said)"
    return 1
  fi
  if ! has_data; then  # a blank disk is never backed up over this host's snapshots
    latest
    rc=$?
    if [ "$rc" -ne 0 ]; then
      error "backup failed: $(why "$rc"): $(said)"
      record false "$(why "$rc"): $(said)"
      return 1
    fi
    if [ "$LATEST" != '{}' ]; then
      error "backup refused: the state disk holds no file, but the repository has snapshots of $HOST (the latest $(jq -r '.short_id // .id // ""' <<<"$LATEST")): a lost volume? Nothing was changed; restore it (restore: on-blank, and a replacement)"
      record false "refused: the state disk holds no file, but the repository has snapshots of $HOST"
      return 1
    fi
    info "backup: the state disk holds no file yet: nothing to back up"
    record true "nothing to back up yet" "" false
    return 0
  fi
  n=$(jq '.hooks | length' "$CONF")
  for ((i = 0; i < n; i++)); do
    service=$(jq -r ".hooks[$i].service" "$CONF")
    mapfile -d '' -t argv < <(jq -j ".hooks[$i].before[] | . + \"\u0000\"" "$CONF")
    [ "${#argv[@]}" -eq 0 ] && continue
    info "backup: $service: running its before command"
    out=$("$PODMAN" exec "$service" "${argv[@]}" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ]; then
      out=$(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')
      error "backup failed: $service's before command failed (exit $rc): ${out% }; no snapshot was taken"
      record false "$service's before command failed (exit $rc): ${out% }"
      return 1
    fi
  done
  trap 'start_stopped; rm -f "$ERR"' EXIT
  for ((i = 0; i < n; i++)); do
    service=$(jq -r ".hooks[$i].service" "$CONF")
    stop=$(jq -r ".hooks[$i].stop" "$CONF")
    if [ "$stop" = true ] && "$SYSTEMCTL" is-active --quiet "$service.service"; then
      info "backup: stopping $service for the snapshot"
      "$SYSTEMCTL" stop "$service.service" && STOPPED+=("$service")
    fi
  done
  info "backup: backing up ${srcs[*]} to $REPO"
  summary=$(restic ro backup --json --tag "$TAG" --host "$HOST" "${srcs[@]}")
  rc=$?
  start_stopped
  snapshot=$(printf '%s\n' "$summary" | jq -r 'select(.message_type == "summary") | .snapshot_id // empty' 2>/dev/null | tail -n 1)
  if [ "$rc" -ne 0 ] || [ -z "$snapshot" ]; then
    error "backup failed: $(why "$rc"): $(said)"
    record false "$(why "$rc"): $(said)" "${snapshot:0:8}"
    return 1
  fi
  files=$(printf '%s\n' "$summary" | jq -r 'select(.message_type == "summary") | "\(.total_files_processed) files, \(.total_bytes_processed) bytes"' | tail -n 1)
  info "backup: snapshot ${snapshot:0:8} saved ($files)"
  if [ "$(conf .prune)" != true ]; then
    record true "snapshot saved ($files)" "${snapshot:0:8}"
    return 0
  fi
  mapfile -t keep < <(jq -r '.keep[] | "--keep-\(.[0])=\(.[1])"' "$CONF")
  # one group per host and tag (not restic's default, host and paths: a snapshot of a new set of paths would start a
  # group of its own, and the old one would never be thinned out)
  restic ro forget --prune --tag "$TAG" --host "$HOST" --group-by host,tags "${keep[@]}" >/dev/null
  rc=$?
  if [ "$rc" -ne 0 ]; then
    error "backup: snapshot ${snapshot:0:8} saved, but forget --prune failed: $(why "$rc"): $(said)"
    record true "snapshot saved; forget --prune failed: $(why "$rc"): $(said)" "${snapshot:0:8}"
    return 1
  fi
  record true "snapshot saved ($files)" "${snapshot:0:8}"
  return 0
}

restore() {
  START=$(now)
  mkdir -p "$CACHE"
  local tries wait attempt rc id when
  case $(marker) in
    done)
      info "restore: this state disk was restored, or held data, when it was first seen: nothing to restore"
      return 0 ;;
    pending)
      info "restore: a restore onto this state disk is owed (an earlier one did not finish): restoring" ;;
    *)
      if has_data; then
        info "restore: the state disk holds data ($FOUND): nothing restored"
        mark done
        return 0
      fi
      mark pending || { error "restore failed: cannot write $MARKER"; return 1; } ;;
  esac
  tries=$(conf .restore_tries)
  wait=$(conf .restore_wait)
  for ((attempt = 1; ; attempt++)); do
    latest
    rc=$?
    case $rc in
      0) break ;;
      10) info "restore: the state disk is blank, and there is no repository at $REPO yet: nothing to restore"
          mark done
          return 0 ;;
    esac
    if [ "$rc" -eq 12 ] || grep -q 'wrong password' "$ERR"; then
      error "restore failed: $(why 12); the blank state disk was left as it is, and nothing that keeps data there starts"
      record false "restore failed: $(why 12)" "" false
      return 1
    fi
    if [ "$attempt" -ge "$tries" ]; then
      error "restore failed: $(why "$rc"): $(said); after $attempt tries the blank state disk was left as it is, and nothing that keeps data there starts"
      record false "restore failed: $(why "$rc"): $(said)" "" false
      return 1
    fi
    info "restore: the repository cannot be read yet ($(why "$rc"): $(said)); trying again in ${wait}s ($attempt of $tries)"
    sleep "$wait"
  done
  id=$(jq -r '.id // empty' <<<"$LATEST")
  if [ -z "$id" ]; then
    info "restore: the state disk is blank, and the repository has no snapshot of $HOST yet: nothing to restore"
    mark done
    return 0
  fi
  when=$(jq -r '.time // ""' <<<"$LATEST")
  info "restore: the state disk is blank: restoring snapshot ${id:0:8} of $when"
  # SELinux labels are not restored: the containers' volume options (z, Z) label the files again
  restic rw restore "$id" --target / --exclude-xattr security.selinux >/dev/null
  rc=$?
  if [ "$rc" -ne 0 ]; then
    error "restore failed: $(why "$rc"): $(said)"
    record false "restore of snapshot ${id:0:8} failed: $(why "$rc"): $(said)" "" false
    return 1
  fi
  mark done
  info "restore: snapshot ${id:0:8} restored into $STATE"
  record true "restored snapshot ${id:0:8} of $when" "${id:0:8}" false
  return 0
}

case ${1:-} in
  backup) backup ;;
  restore) restore ;;
  *) echo "usage: $0 backup|restore" >&2; exit 2 ;;
esac
"""
