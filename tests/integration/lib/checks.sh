# shellcheck shell=bash
# Shared by the shell integration suites (postfix, auth): TAP-like check lines
# and an SMTP client around swaks.
#
# ok DESC / not_ok DESC [DETAIL...] / check DESC CMD...: one "ok - ..." or
# "not ok - ..." line (prefixed with "[$check_prefix] " when set), counted in
# $passed / $failed; DETAIL lines are printed indented under a failure.
# send OUTVAR ARGS...: swaks against 127.0.0.1:$SMTP_PORT (HELO client.example
# unless ARGS say otherwise); the whole transcript lands in OUTVAR.
# replies TRANSCRIPT: the server's replies; has_reply TRANSCRIPT REGEX;
# queue_id_of TRANSCRIPT: the Postfix queue id of "queued as".

passed=${passed:-0}
failed=${failed:-0}
check_prefix=${check_prefix:-}

ok() { passed=$((passed + 1)); echo "ok - ${check_prefix:+[$check_prefix] }$1"; }
not_ok() {
  failed=$((failed + 1))
  echo "not ok - ${check_prefix:+[$check_prefix] }$1"
  shift
  local line
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
check() {
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

send() {
  local __var=$1
  shift
  local __out
  __out=$(swaks --server "127.0.0.1:$SMTP_PORT" --timeout 30 --helo client.example "$@" 2>&1 || true)
  printf -v "$__var" '%s' "$__out"
}
replies() { grep -E '^ *<(-|\*\*) ' <<<"$1" | sed -E 's/^ *<(-|\*\*) +//'; }
queue_id_of() { sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$1" | head -n 1; }
has_reply() { replies "$1" | grep -qE -- "$2"; }
