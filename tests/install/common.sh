# Shared by the tests/install scripts (sourced): failing with a message,
# skipping (exit 77), a scratch directory removed at exit, fenced blocks of
# README.md, and stopping a respmock by the PID it wrote, bounded.

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*"; exit 77; }
ok() { echo "ok: $*"; }

# A scratch directory; every respmock whose PID lands in one of its *.pid
# files (or in the files named in $RM_PID_FILES) is killed at exit.
work=$(mktemp -d /tmp/respmock-install-XXXXXX)
RM_PID_FILES=""
cleanup() {
  local f pid
  for f in "$work"/*.pid $RM_PID_FILES; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = respmock ]; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The fenced block of language LANG that follows the first line of FILE
# containing MARKER, verbatim.
extract_block() { # FILE MARKER LANG
  awk -v marker="$2" -v fence="\`\`\`$3" '
    !found && index($0, marker) { found = 1; next }
    found == 1 && $0 == fence { found = 2; next }
    found == 2 && $0 == "```" { exit }
    found == 2 { print }
  ' "$1"
}

# Wait (at most 10 s) until process PID is gone; fail otherwise.
wait_gone() { # PID
  local i
  for i in $(seq 1 100); do
    [ -d "/proc/$1" ] || return 0
    grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "process $1 is still running"
}
