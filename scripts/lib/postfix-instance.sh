# shellcheck shell=bash
# shellcheck disable=SC2016  # '$name' in postconf settings is Postfix's, not the shell's
# postfix-instance.sh: a private Postfix instance and a postern-milter beside it,
# for the end-to-end tests and the demo. Source it; every function takes the
# instance directory (or the files it names) explicitly, so two instances can
# coexist (tests and demo on different ports).
#
# Recipe: /work/shared/notes/debian-recipes.md section 3. Needs root (Postfix's
# master runs as root). Never binds port 25 (smtp/inet is commented out), never
# touches the system Postfix (everything goes through `-c $PF/etc`, absolute).
#
# Layout of an instance directory $PF (0755, so smtpd as postfix and virtual as
# nobody can reach their parts):
#   etc/       main.cf, master.cf, vmailbox
#   queue/     queue_directory        data/   data_directory
#   mail/      virtual Maildirs (nobody:nogroup): mail/bob/new/...
#   log/       maillog (postlogd)
#   milter/    the milter's unix socket dir (nobody:postfix 0750)
#   postern/   postern.toml, policies/, events.json, milter.log, milter.pid
#
# Failure behaviour: functions return non-zero (and print why on stderr) rather
# than exit, so a test driver can count a failed check and carry on; the
# callers' traps call pf_stop / postern_stop, which are safe to call twice.

# Mailboxes of the virtual domain feas.test.
PF_USERS=(bob alice carol journal postmaster)

# pf_log MSG...: diagnostic to stderr (quiet unless PF_VERBOSE=1).
pf_log() { [ "${PF_VERBOSE:-0}" = 1 ] && echo "pf: $*" >&2; return 0; }

# pf_python: the system Python (json parsing); pyenv shims may not see root's env under sudo.
pf_python() { if [ -x /usr/bin/python3 ]; then /usr/bin/python3 "$@"; else python3 "$@"; fi; }

# pf_create DIR SMTP_PORT MILTER: writes a fresh instance into DIR (created if
# missing). MILTER is Postfix syntax: unix:/abs/path or inet:127.0.0.1:PORT.
pf_create() {
  local pf=$1 port=$2 milter=$3
  local etc=$pf/etc
  [ "$port" != 25 ] || { echo "pf_create: refusing port 25" >&2; return 1; }
  mkdir -p "$etc" "$pf/queue" "$pf/data" "$pf/mail" "$pf/log" "$pf/milter" "$pf/postern"
  chmod 0755 "$pf" "$pf/log" "$pf/postern"
  cp /usr/share/postfix/main.cf.debian "$etc/main.cf"
  cp /usr/share/postfix/master.cf.dist "$etc/master.cf"
  chown root:root "$etc" "$etc"/*.cf "$pf/queue"
  chown postfix:postfix "$pf/data"
  chown nobody:nogroup "$pf/mail"
  chown nobody:postfix "$pf/milter"
  chmod 0750 "$pf/milter"
  local u
  : > "$etc/vmailbox"
  for u in "${PF_USERS[@]}"; do printf '%s@feas.test %s/\n' "$u" "$u" >> "$etc/vmailbox"; done
  postconf -c "$etc" -e \
    "queue_directory = $pf/queue" "data_directory = $pf/data" \
    "myhostname = gw.feas.test" "mydomain = feas.test" 'myorigin = $myhostname' \
    "inet_interfaces = loopback-only" "inet_protocols = ipv4" \
    "mydestination = localhost" "mynetworks = 127.0.0.0/8" "relayhost =" \
    "alias_maps =" "alias_database =" "local_recipient_maps =" \
    "virtual_mailbox_domains = feas.test" "virtual_mailbox_base = $pf/mail" \
    "virtual_mailbox_maps = texthash:$etc/vmailbox" \
    "virtual_uid_maps = static:65534" "virtual_gid_maps = static:65534" \
    "smtpd_milters = $milter" 'non_smtpd_milters = $smtpd_milters' \
    "milter_default_action = tempfail" "milter_protocol = 6" \
    "milter_connect_timeout = 10s" "milter_content_timeout = 60s" \
    "smtpd_authorized_xclient_hosts = 127.0.0.0/8" \
    "syslog_name = postfix-postern-e2e" \
    "maillog_file = $pf/log/maillog" "maillog_file_prefixes = $pf/log" \
    "smtputf8_enable = no" "compatibility_level = 3.6"
  postconf -c "$etc" -M# smtp/inet
  postconf -c "$etc" -M "127.0.0.1:$port/inet = 127.0.0.1:$port inet n - n - - smtpd"
  postconf -c "$etc" -F '*/*/chroot = n'
  postfix -c "$etc" set-permissions
  postfix -c "$etc" check
}

# pf_set_milter DIR MILTER: points smtpd_milters at another milter and reloads if running.
pf_set_milter() {
  local pf=$1 milter=$2
  postconf -c "$pf/etc" -e "smtpd_milters = $milter"
  if pf_running "$pf"; then postfix -c "$pf/etc" reload >/dev/null 2>&1; fi
}

# pf_running DIR: true when the instance's master runs.
pf_running() { postfix -c "$1/etc" status >/dev/null 2>&1; }

# pf_port DIR: the smtpd port of the instance.
pf_port() { postconf -c "$1/etc" -M | awk '$2 == "inet" && $1 ~ /^127\.0\.0\.1:[0-9]+$/ {sub(/^.*:/, "", $1); print $1; exit}'; }

# pf_start DIR: starts master and waits (10 s) until smtpd accepts connections.
pf_start() {
  local pf=$1 port
  port=$(pf_port "$pf")
  if pf_port_busy "$port"; then
    echo "pf_start: 127.0.0.1:$port is already in use (another instance?)" >&2
    return 1
  fi
  postfix -c "$pf/etc" start >/dev/null 2>&1 || { echo "pf_start: postfix start failed; see $pf/log/maillog" >&2; return 1; }
  pf_wait_port "$port" 10 || { echo "pf_start: smtpd not listening on $port" >&2; return 1; }
}

# pf_stop DIR: stops master (safe when not running) and waits for it to exit.
pf_stop() {
  local pf=$1
  [ -d "$pf/etc" ] || return 0
  pf_running "$pf" || return 0
  postfix -c "$pf/etc" stop >/dev/null 2>&1 || true
  local _
  for _ in $(seq 1 100); do pf_running "$pf" || return 0; sleep 0.1; done
  # master did not go: kill it by its own pid file (never by name)
  local pid
  pid=$(tr -d ' ' < "$pf/queue/pid/master.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
}

# pf_flush DIR: one deferred-queue run now (after releasing from hold, after a tempfail).
pf_flush() { postqueue -c "$1/etc" -f; }

# pf_queue_json DIR: `postqueue -j`, one JSON object per queued message.
pf_queue_json() { postqueue -c "$1/etc" -j 2>/dev/null || true; }

# pf_queue_name DIR QUEUE_ID: which queue holds the message ("hold", "deferred", ...; "" = none).
pf_queue_name() {
  pf_queue_json "$1" | pf_python -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        m = json.loads(line)
        if m.get("queue_id") == sys.argv[1]:
            print(m.get("queue_name", "")); break
' "$2"
}

# pf_queue_count DIR [QUEUE] [SENDER]: messages in the queue named (""/absent = any queue)
# from SENDER (""/absent = any sender).
pf_queue_count() {
  pf_queue_json "$1" | pf_python -c '
import json, sys
q, snd = (sys.argv[1:] + ["", ""])[:2]
n = 0
for l in sys.stdin:
    if l.strip():
        m = json.loads(l)
        n += (not q or m.get("queue_name") == q) and (not snd or m.get("sender") == snd)
print(n)
' "${2:-}" "${3:-}"
}

# pf_wait_queue DIR QUEUE_ID NAME [TIMEOUT]: waits until the message is in queue NAME ("" = gone).
pf_wait_queue() {
  local pf=$1 id=$2 want=$3 timeout=${4:-10} deadline
  deadline=$(( $(date +%s) + timeout ))
  while :; do
    [ "$(pf_queue_name "$pf" "$id")" = "$want" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

# pf_release DIR QUEUE_ID: releases a held message and flushes the queue.
pf_release() { postsuper -c "$1/etc" -H "$2" >/dev/null 2>&1 && pf_flush "$1"; }

# pf_maildir_find DIR USER PATTERN: prints the delivered files (new/ and cur/) containing PATTERN (fixed string).
pf_maildir_find() {
  local d=$1/mail/$2
  [ -d "$d" ] || return 0
  grep -rlF -- "$3" "$d/new" "$d/cur" 2>/dev/null || true
}

# pf_wait_delivery DIR USER PATTERN [TIMEOUT]: waits until a message containing PATTERN
# is in USER's Maildir; prints its path. Returns 1 on timeout.
pf_wait_delivery() {
  local pf=$1 user=$2 pat=$3 timeout=${4:-15} deadline f
  deadline=$(( $(date +%s) + timeout ))
  while :; do
    f=$(pf_maildir_find "$pf" "$user" "$pat" | head -n 1)
    [ -n "$f" ] && { echo "$f"; return 0; }
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

# pf_port_busy PORT: true when something listens on 127.0.0.1:PORT.
pf_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pf_wait_port PORT TIMEOUT: waits until 127.0.0.1:PORT accepts connections.
pf_wait_port() {
  local _ n=$(( ${2:-10} * 10 ))
  for _ in $(seq 1 "$n"); do pf_port_busy "$1" && return 0; sleep 0.1; done
  return 1
}

# pf_wait_port_free PORT TIMEOUT: waits until nothing listens on 127.0.0.1:PORT.
pf_wait_port_free() {
  local _ n=$(( ${2:-10} * 10 ))
  for _ in $(seq 1 "$n"); do pf_port_busy "$1" || return 0; sleep 0.1; done
  return 1
}

# ---------------------------------------------------------------------------
# postern-milter beside the instance

# postern_socket_for DIR MODE PORT: the milter socket in postern syntax (-p / config),
# for MODE unix or inet.
postern_socket_for() {
  case $2 in
    unix) echo "unix:$1/milter/postern.sock" ;;
    inet) echo "inet:$3@127.0.0.1" ;;
    *) echo "postern_socket_for: mode unix|inet" >&2; return 1 ;;
  esac
}

# postfix_milter_for DIR MODE PORT: the same socket in Postfix syntax (smtpd_milters).
postfix_milter_for() {
  case $2 in
    unix) echo "unix:$1/milter/postern.sock" ;;
    inet) echo "inet:127.0.0.1:$3" ;;
    *) echo "postfix_milter_for: mode unix|inet" >&2; return 1 ;;
  esac
}

# postern_write_config DIR SOCKET EVENT_LOG SHIPPED_POLICIES [TEST_POLICIES]: writes
# DIR/postern/postern.toml for SOCKET (postern syntax). The policy dirs are
# SHIPPED_POLICIES (the repo's policies/), then a private copy of TEST_POLICIES
# (default: tests/data/policies/e2e next to this script's repo) in
# DIR/postern/policies, so a test may edit its copy. Runs as nobody, socket
# group postfix (mode 0660), logs to stderr. The event log is created owned by
# nobody so reopening it after a reload works without privileges.
postern_write_config() {
  local pf=$1 socket=$2 events=$3 shipped=$4
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  local tests=${5:-$here/tests/data/policies/e2e}
  local dir=$pf/postern
  mkdir -p "$dir/policies"
  chmod 0755 "$dir" "$dir/policies"
  cp "$tests"/*.toml "$dir/policies/"
  chmod 0644 "$dir/policies"/*.toml
  : > "$events"
  chown nobody:nogroup "$events"
  chmod 0640 "$events"
  cat > "$dir/postern.toml" <<EOF
# postern-milter config for a private test instance (written by postfix-instance.sh)
[milter]
socket = "$socket"
socket_mode = "0660"
socket_group = "postfix"
user = "nobody"
group = "nogroup"
timeout = 60

[policy]
dirs = ["$shipped", "$dir/policies"]

[scan]
authserv_id = "gw.feas.test"
on_error = "tempfail"

[log]
target = "stderr"
event_log = "$events"
EOF
  chmod 0644 "$dir/postern.toml"
}

# postern_start DIR MILTER_BIN [SOCKET]: starts `postern-milter -c DIR/postern/postern.toml -f`
# in the background (socket override with SOCKET), stderr appended to DIR/postern/milter.log,
# pid in DIR/postern/milter.pid; waits (10 s) until it listens.
postern_start() {
  local pf=$1 bin=$2 socket=${3:-}
  local dir=$pf/postern
  local args=(-c "$dir/postern.toml" -f)
  if [ -n "$socket" ]; then
    args+=(-p "$socket")
  else
    socket=$(sed -n 's/^socket = "\(.*\)"$/\1/p' "$dir/postern.toml" | head -n 1)
  fi
  "$bin" "${args[@]}" >>"$dir/milter.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$dir/milter.pid"
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "postern_start: postern-milter exited; see $dir/milter.log" >&2
      tail -n 5 "$dir/milter.log" >&2
      rm -f "$dir/milter.pid"
      return 1
    fi
    if postern_listening "$socket"; then return 0; fi
    sleep 0.1
  done
  echo "postern_start: postern-milter not listening on $socket after 10 s" >&2
  return 1
}

# postern_listening SOCKET: true when the milter accepts connections on SOCKET (postern syntax).
postern_listening() {
  case $1 in
    unix:*) pf_python -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError:
    sys.exit(1)
' "${1#unix:}" ;;
    inet:*) local p=${1#inet:}; pf_port_busy "${p%@*}" ;;
    *) return 1 ;;
  esac
}

# postern_pid DIR: the running milter's pid (empty when none).
postern_pid() {
  local pid
  pid=$(cat "$1/postern/milter.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

# postern_stop DIR: SIGTERM (drain), waits up to 35 s, then SIGKILL. Safe when not running.
# Sets POSTERN_EXIT to the exit status (when this shell started it; "" otherwise) and
# POSTERN_STOP_SECONDS to how long it took.
export POSTERN_EXIT=
export POSTERN_STOP_SECONDS=
postern_stop() {
  local pf=$1 pid t0
  POSTERN_EXIT=
  POSTERN_STOP_SECONDS=
  pid=$(postern_pid "$pf")
  [ -n "$pid" ] || { rm -f "$pf/postern/milter.pid"; return 0; }
  t0=$(date +%s.%N)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 350); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "postern_stop: $pid still running 35 s after SIGTERM; SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if wait "$pid" 2>/dev/null; then POSTERN_EXIT=0; else POSTERN_EXIT=$?; fi
  # 127: not a child of this shell, the status is unknown
  [ "$POSTERN_EXIT" = 127 ] && POSTERN_EXIT=
  POSTERN_STOP_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  rm -f "$pf/postern/milter.pid"
}

# postern_reload DIR PATTERN [TIMEOUT]: SIGHUP, then waits until milter.log has one more
# line matching PATTERN (extended regex) than before. Returns 1 on timeout.
postern_reload() {
  local pf=$1 pat=$2 timeout=${3:-10} log=$1/postern/milter.log pid before deadline
  pid=$(postern_pid "$pf")
  [ -n "$pid" ] || { echo "postern_reload: not running" >&2; return 1; }
  before=$(grep -cE -- "$pat" "$log" || true)
  kill -HUP "$pid"
  deadline=$(( $(date +%s) + timeout ))
  while [ "$(grep -cE -- "$pat" "$log" || true)" -le "$before" ]; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# postern_event EVENT_LOG FROM [TIMEOUT]: waits until the event log has an event whose
# email.from.address is FROM; prints the last such event (one JSON line).
postern_event() {
  local events=$1 from=$2 timeout=${3:-10} deadline line
  deadline=$(( $(date +%s) + timeout ))
  while :; do
    line=$(pf_python - "$events" "$from" <<'EOF'
import json, sys
found = None
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for l in f:
        try:
            e = json.loads(l)
        except ValueError:
            continue
        if e.get("email", {}).get("from", {}).get("address") == sys.argv[2]:
            found = l.strip()
if found:
    print(found)
EOF
)
    [ -n "$line" ] && { echo "$line"; return 0; }
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

# json_get JSON DOTTED.KEY: one value from a JSON object ("" when absent); the
# postern.* keys are nested objects ("postern.action" is e["postern"]["action"]).
json_get() {
  pf_python -c '
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
    if v is None:
        break
print("" if v is None else (v if isinstance(v, str) else json.dumps(v)))
' "$1" "$2"
}
