# shellcheck shell=bash
# A DNS server on loopback for the tests, the soak and the demo: Debian's
# unbound daemon answering test zones from local data (no recursion, no
# network). postern's [dns] forwarders point at it, so its lookups go over
# real UDP/TCP to a real server that a test can stop and start again.
#
# dns_start DIR PORT ZONEFILE: writes DIR/unbound.conf from ZONEFILE and starts
#   unbound on 127.0.0.1:PORT (UDP and TCP) in the foreground of a background
#   job; pid in DIR/unbound.pid; waits (10 s) until it listens.
#   ZONEFILE holds unbound local data: `local-zone: "name." TYPE` lines as they
#   are, and one resource record per other line ("name. TTL IN TXT \"...\"");
#   blank lines and lines starting with '#' are skipped.
# dns_stop DIR: stops it (SIGTERM, then SIGKILL after 5 s).
# Sourced; needs pf_port_busy / pf_wait_port from postfix-instance.sh.

dns_start() {
  local dir=$1 port=$2 zone=$3 line
  mkdir -p "$dir"
  {
    echo "server:"
    echo "  interface: 127.0.0.1"
    echo "  port: $port"
    echo "  do-daemonize: no"
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  directory: \"$dir\""
    echo "  pidfile: \"$dir/unbound.pid.internal\""
    echo "  use-syslog: no"
    echo "  logfile: \"$dir/unbound.log\""
    echo "  verbosity: 1"
    echo "  num-threads: 1"
    echo "  access-control: 127.0.0.0/8 allow"
    echo "  module-config: \"iterator\""
    echo "  do-ip6: no"
    echo "  local-zone: \".\" static"
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        '' | '#'*) ;;
        local-zone:*) echo "  $line" ;;
        *) echo "  local-data: '$line'" ;;
      esac
    done < "$zone"
    echo "remote-control:"
    echo "  control-enable: no"
  } > "$dir/unbound.conf"
  unbound-checkconf "$dir/unbound.conf" >/dev/null || return 1
  unbound -d -c "$dir/unbound.conf" >>"$dir/unbound.out" 2>&1 &
  echo $! > "$dir/unbound.pid"
  pf_wait_port "$port" 10
}

dns_stop() {
  local dir=$1 pid _
  pid=$(cat "$dir/unbound.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || { rm -f "$dir/unbound.pid"; return 0; }
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$dir/unbound.pid"
}
