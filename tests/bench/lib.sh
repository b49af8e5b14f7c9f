# shellcheck shell=bash
# tests/bench/lib.sh: the pieces scripts/bench, tests/bench/smtp_e2e and
# scripts/soak share. Source it after scripts/lib/postfix-instance.sh.
#
# Contract: every function takes its directories explicitly and returns
# non-zero (with the reason on stderr) instead of exiting; the callers' traps
# call the *_stop functions, which are safe to call twice. Processes are
# stopped by the pid this shell recorded, never by name.
#
# Ports (127.0.0.1 only; override with the env vars): BENCH_SMTP_PORT 14025,
# BENCH_SINK_PORT 14026, BENCH_MILTER_PORT 14001 (postern inet),
# BENCH_DKIM_PORT 14002 (opendkim inet), BENCH_RSPAMD_PORT 14003 (rspamd milter),
# BENCH_RSPAMD_DNS_PORT 14053 (rspamd's resolver: must be a port nothing listens on).

BENCH_SMTP_PORT=${BENCH_SMTP_PORT:-14025}
BENCH_SINK_PORT=${BENCH_SINK_PORT:-14026}
BENCH_MILTER_PORT=${BENCH_MILTER_PORT:-14001}
BENCH_DKIM_PORT=${BENCH_DKIM_PORT:-14002}
BENCH_RSPAMD_PORT=${BENCH_RSPAMD_PORT:-14003}
BENCH_CLAMAV_MILTER_PORT=${BENCH_CLAMAV_MILTER_PORT:-14004}
BENCH_RSPAMD_DNS_PORT=${BENCH_RSPAMD_DNS_PORT:-14053}
BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-14079}
BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# bench_mix CORPUS DIR [COUNT] [SEED]: the standard mix in DIR (regenerated every time: cheap, deterministic).
bench_mix() { pf_python "$BENCH_HERE/make_mix.py" "$1" "$2" --count "${3:-200}" --seed "${4:-1}"; }

# bench_pf_create PF MILTER: a private Postfix (pf_create) that relays everything outside
# feas.test to smtp-sink on BENCH_SINK_PORT, without TLS. MILTER "" = no milter.
bench_pf_create() {
  local pf=$1 milter=$2
  pf_create "$pf" "$BENCH_SMTP_PORT" "${milter:-inet:127.0.0.1:1}" >/dev/null || return 1
  postconf -c "$pf/etc" -e "relayhost = [127.0.0.1]:$BENCH_SINK_PORT" \
    "smtp_tls_security_level = none" "smtpd_tls_security_level = none" \
    "smtpd_milters = $milter" "syslog_name = postfix-postern-bench" \
    "smtpd_client_connection_count_limit = 0" "smtp_destination_concurrency_limit = 20"
}

# sink_start DIR: smtp-sink on BENCH_SINK_PORT (as nobody), each transaction dumped into DIR/dump/.
sink_start() {
  local dir=$1
  mkdir -p "$dir/dump"
  chown nobody:nogroup "$dir/dump"
  : > "$dir/sink-ids.txt"
  smtp-sink -u nobody -d "$dir/dump/%H%M%S." "127.0.0.1:$BENCH_SINK_PORT" 256 >>"$dir/sink.log" 2>&1 </dev/null &
  echo $! > "$dir/sink.pid"
  pf_wait_port "$BENCH_SINK_PORT" 5 || { echo "sink_start: smtp-sink not listening; see $dir/sink.log" >&2; return 1; }
}

# sink_stop DIR
sink_stop() {
  local pid
  pid=$(cat "$1/sink.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -f "$1/sink.pid"
  return 0
}

# sink_collect DIR [MIN_AGE_S]: moves the Message-IDs of dumped messages older than MIN_AGE_S
# (default 2) into DIR/sink-ids.txt and deletes the dumps (keeps disk use bounded).
sink_collect() { pf_python "$BENCH_HERE/account.py" collect "$1/dump" "$1/sink-ids.txt" "${2:-2}"; }

# sink_count DIR: Message-IDs collected so far (after sink_collect).
sink_count() { wc -l < "$1/sink-ids.txt"; }

# pf_wait_drained PF TIMEOUT: waits until no message is in the incoming, active or deferred
# queue (the hold queue may keep quarantined ones). Flushes the deferred queue once a
# second. Returns 1 on timeout.
pf_wait_drained() {
  local pf=$1 timeout=${2:-60} deadline left
  deadline=$(( $(date +%s) + timeout ))
  while :; do
    left=$(pf_queue_json "$pf" | grep -vc '"queue_name": *"hold"' || true)
    [ "$left" = 0 ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    pf_flush "$pf" >/dev/null 2>&1 || true
    sleep 0.2
  done
}

# pf_wait_drained_fast PF TIMEOUT: like pf_wait_drained without flushing (for timing runs).
pf_wait_drained_fast() {
  local pf=$1 timeout=${2:-60} deadline
  deadline=$(( $(date +%s) + timeout ))
  while :; do
    [ -z "$(find "$pf/queue/incoming" "$pf/queue/active" "$pf/queue/deferred" "$pf/queue/maildrop" -type f -print -quit 2>/dev/null)" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# opendkim_start DIR SOCKET: Debian's opendkim in verify mode from a private config in DIR,
# on SOCKET (opendkim syntax: inet:PORT@127.0.0.1 or local:PATH, PATH in DIR/sock/), never the
# system service. No DNS: TestDNSData is an empty file and the only name server is 127.0.0.1.
# Adds Authentication-Results to every message (AlwaysAddARHeader), so its end-of-message
# reply is more than one packet. Pid in DIR/opendkim.pid.
opendkim_start() {
  local dir=$1 socket=$2
  mkdir -p "$dir/sock"
  chown nobody:nogroup "$dir/sock"
  : > "$dir/dns.txt"
  cat > "$dir/opendkim.conf" <<EOF
# private opendkim for the benchmark (tests/bench/lib.sh)
Mode v
Syslog no
Background no
UserID nobody:nogroup
AlwaysAddARHeader yes
TestDNSData file:$dir/dns.txt
Nameservers 127.0.0.1
DNSTimeout 1
EOF
  rm -f "$dir/sock/opendkim.sock"
  opendkim -x "$dir/opendkim.conf" -p "$socket" -f >>"$dir/opendkim.log" 2>&1 </dev/null &
  echo $! > "$dir/opendkim.pid"
  local _ pid
  pid=$(cat "$dir/opendkim.pid")
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { echo "opendkim_start: exited; see $dir/opendkim.log" >&2; return 1; }
    case $socket in
      inet:*) local p=${socket#inet:}; pf_port_busy "${p%@*}" && return 0 ;;
      local:*) [ -S "${socket#local:}" ] && return 0 ;;
    esac
    sleep 0.1
  done
  echo "opendkim_start: not listening on $socket" >&2
  return 1
}

# opendkim_stop DIR: SIGTERM, waits until it is gone (and its port free).
opendkim_stop() {
  local pid _
  pid=$(cat "$1/opendkim.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$1/opendkim.pid"
  pf_wait_port_free "$BENCH_DKIM_PORT" 5 || true
}

# rspamd_start DIR SOCKET [WORKERS]: Debian's rspamd from a private config in DIR, never the
# system service. Only a rspamd_proxy worker runs: milter mode, self_scan (the proxy scans each
# message itself; no normal worker), bound to SOCKET (rspamd syntax: 127.0.0.1:PORT), WORKERS
# processes (default: the number of cores). The rest is the package's stock configuration
# (/etc/rspamd: the regexp rules, MIME, HTML, URLs, phishing, hfilter, ...) with the checks
# that need the network turned off in DIR/conf/local.d (what is on and off: tests/bench/README.md).
# No Redis is configured, so the Redis modules (bayes, neural, ratelimit, ...) stay off. The
# resolver is 127.0.0.1:BENCH_RSPAMD_DNS_PORT, where nothing listens, so a stray lookup fails
# at once; maps normally fetched over HTTPS fall back to the package's local copies.
# milter_headers adds X-Spamd-Result, X-Rspamd-* and X-Spam-* fields to every message. The
# hyperscan cache lives in BENCH_RSPAMD_HS_CACHE (default /var/tmp/postern-bench-rspamd-hs; it
# takes a minute or more to compile, so it is kept between runs); rspamd_start returns once
# every worker has loaded it (timeout BENCH_RSPAMD_START_TIMEOUT, 300 s). Runs as _rspamd.
# The main process's pid is in DIR/rspamd.main.pid (the workers are its children); log in
# DIR/rspamd.log.
rspamd_start() {
  local dir=$1 socket=$2 workers=${3:-$(nproc)}
  local hs=${BENCH_RSPAMD_HS_CACHE:-/var/tmp/postern-bench-rspamd-hs}
  local timeout=${BENCH_RSPAMD_START_TIMEOUT:-300}
  mkdir -p "$dir/conf/local.d" "$dir/db" "$hs"
  chown _rspamd:_rspamd "$dir" "$dir/db" "$hs"
  cat > "$dir/rspamd.conf" <<EOF
# private rspamd for the benchmark (tests/bench/lib.sh): the stock configuration
# (\$CONFDIR/common.conf: rules, modules, actions, settings), local.d from $dir/conf,
# and only a proxy worker in milter mode that scans the messages itself.
.include "\$CONFDIR/common.conf"
options {
  .include "\$CONFDIR/options.inc"
  .include(try=true; priority=1,duplicate=merge) "\$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
  type = "file";
  filename = "$dir/rspamd.log";
  .include "\$CONFDIR/logging.inc"
}
worker "rspamd_proxy" {
  bind_socket = "$socket";
  milter = yes;
  timeout = 120s;
  upstream "local" {
    default = yes;
    self_scan = yes;
  }
  count = $workers;
  discard_on_reject = false;
  quarantine_on_reject = false;
  spam_header = "X-Spam";
  reject_message = "Spam message rejected";
}
EOF
  cat > "$dir/conf/local.d/options.inc" <<EOF
# no network: the only name server is a loopback port where nothing listens
dns {
  nameserver = ["127.0.0.1:$BENCH_RSPAMD_DNS_PORT"];
  timeout = 0.5s;
  retransmits = 1;
}
hs_cache_dir = "$hs/";
EOF
  local m
  for m in rbl surbl emails fuzzy_check asn spf dkim dmarc arc; do
    echo "enabled = false; # needs DNS or the network" > "$dir/conf/local.d/$m.conf"
  done
  echo "phishtank_enabled = false; # a DNS lookup per URL" > "$dir/conf/local.d/phishing.conf"
  printf '%s\n' "helo_enabled = false; # DNS lookups of the HELO name" \
    "from_enabled = false; # DNS lookups of the MAIL FROM domain" > "$dir/conf/local.d/hfilter.conf"
  cat > "$dir/conf/local.d/milter_headers.conf" <<'EOF'
# verdict fields on every message (as postern's X-Postern-Verdict)
extended_spam_headers = true;
use = ["x-spamd-result", "x-rspamd-queue-id", "x-rspamd-server", "x-rspamd-action", "x-spam-level", "x-spam-status"];
skip_local = false;
skip_authenticated = false;
EOF
  chown -R _rspamd:_rspamd "$dir/conf"
  rspamd -f -c "$dir/rspamd.conf" -u _rspamd -g _rspamd --var="LOCAL_CONFDIR=$dir/conf" \
    --var="DBDIR=$dir/db" --var="RUNDIR=$dir" --var="LOGDIR=$dir" >>"$dir/rspamd.out" 2>&1 </dev/null &
  echo $! > "$dir/rspamd.main.pid"
  local _ pid port=${socket##*:}
  pid=$(cat "$dir/rspamd.main.pid")
  for _ in $(seq 1 $((timeout * 10))); do
    kill -0 "$pid" 2>/dev/null || { echo "rspamd_start: exited; see $dir/rspamd.log and $dir/rspamd.out" >&2; return 1; }
    # ready when the workers have the compiled regexps (until then they match with PCRE, slower
    # than in service): with a warm cache the main process loads them before it forks the
    # workers; otherwise hs_helper compiles them and each worker logs that it loaded them
    if awk -v n="$workers" '/rspamd_fork_worker: prepare to fork process rspamd_proxy/ { forked = 1 }
        /hyperscan database of [0-9]* regexps has been loaded/ { if (!forked && /\(main\)/) warm = 1; if (/\(rspamd_proxy\)/) w++ }
        END { exit !(warm || w >= n) }' "$dir/rspamd.log" 2>/dev/null && pf_port_busy "$port"; then
      return 0
    fi
    sleep 0.1
  done
  echo "rspamd_start: not ready on $socket after $timeout s; see $dir/rspamd.log" >&2
  return 1
}

# rspamd_stop DIR: SIGTERM to the main process (it stops its workers), waits until it is gone;
# SIGKILL to it and to the workers it had (by pid) if it does not go within 10 s.
rspamd_stop() {
  local pid _ kids
  pid=$(cat "$1/rspamd.main.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kids=$(pgrep -P "$pid" || true)
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # shellcheck disable=SC2086 # one pid per word
  kill -KILL "$pid" $kids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$1/rspamd.main.pid"
  pf_wait_port_free "$BENCH_RSPAMD_PORT" 5 || true
}

# rss_kb PID: VmRSS of a process in kB ("" when gone).
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

# clamdb_make DIR: the ClamAV database both postern and clamd load in the benchmark (the
# official ones cannot be fetched here): the SHA-256 of every file of clamav-testfiles and of
# EICAR, and synthetic signatures: 100 000 random hashes and 5 000 random body signatures
# (16-32 bytes, at any offset: the kind that costs per byte scanned).
clamdb_make() {
  local dir=$1
  mkdir -p "$dir"
  pf_python - "$dir" <<'PY'
import hashlib, os, random, sys
d = sys.argv[1]
rng = random.Random(1)
with open(os.path.join(d, "bench.hsb"), "w") as f:
    t = "/usr/share/clamav-testfiles"
    for n in sorted(os.listdir(t)) if os.path.isdir(t) else []:
        b = open(os.path.join(t, n), "rb").read()
        f.write("%s:%d:Bench.TestFile.%s\n" % (hashlib.sha256(b).hexdigest(), len(b), n.replace(".", "_")))
    e = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    f.write("%s:%d:Bench.Eicar\n" % (hashlib.sha256(e).hexdigest(), len(e)))
    for i in range(100000):
        f.write("%064x:%d:Bench.Hash.%d\n" % (rng.getrandbits(256), rng.randint(100, 10**7), i))
with open(os.path.join(d, "bench.ndb"), "w") as f:
    for i in range(5000):
        n = rng.randint(16, 32)
        f.write("Bench.Body.%d:0:*:%s\n" % (i, "".join("%02x" % rng.getrandbits(8) for _ in range(n))))
PY
  chmod -R a+rX "$dir"
}

# clamav_milter_start DIR DBDIR: clamd on a private socket with DBDIR, and Debian's
# clamav-milter in front of it on 127.0.0.1:$BENCH_CLAMAV_MILTER_PORT (reject on a find,
# its X-Virus-Scanned header added), both in the foreground; pids in DIR/clamd.pid and
# DIR/clamav-milter.pid.
clamav_milter_start() {
  local dir=$1 db=$2 _
  mkdir -p "$dir"
  chmod 0755 "$dir"
  printf 'LocalSocket %s/clamd.sock\nDatabaseDirectory %s\nForeground yes\nLogFile %s/clamd.log\nMaxThreads 16\n' \
    "$dir" "$db" "$dir" > "$dir/clamd.conf"
  clamd --foreground --config-file="$dir/clamd.conf" >>"$dir/clamd.out" 2>&1 </dev/null &
  echo $! > "$dir/clamd.pid"
  for _ in $(seq 1 600); do [ -S "$dir/clamd.sock" ] && break; sleep 0.1; done
  [ -S "$dir/clamd.sock" ] || { echo "clamav_milter_start: clamd did not start; see $dir/clamd.out" >&2; return 1; }
  printf '%s\n' "MilterSocket inet:$BENCH_CLAMAV_MILTER_PORT@127.0.0.1" "ClamdSocket unix:$dir/clamd.sock" \
    "Foreground yes" "User root" "OnInfected Reject" "OnClean Accept" "AddHeader Replace" \
    "LogFile $dir/clamav-milter.log" "MaxFileSize 100M" > "$dir/clamav-milter.conf"
  clamav-milter --config-file="$dir/clamav-milter.conf" >>"$dir/clamav-milter.out" 2>&1 </dev/null &
  echo $! > "$dir/clamav-milter.pid"
  for _ in $(seq 1 100); do pf_port_busy "$BENCH_CLAMAV_MILTER_PORT" && return 0; sleep 0.1; done
  echo "clamav_milter_start: not listening; see $dir/clamav-milter.out" >&2
  return 1
}

# clamav_milter_stop DIR: stops both (TERM, then KILL after 10 s).
clamav_milter_stop() {
  local f pid _
  for f in clamav-milter clamd; do
    pid=$(cat "$1/$f.pid" 2>/dev/null || true)
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$1/$f.pid"
  done
}

# cpu_ticks PID: user + system clock ticks the process has used ("0" when gone).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
