#!/usr/bin/env bash
# ctest install.run_from_root: the installed binaries, run from /, find the
# shipped fixtures from their prefix (also after the prefix is copied
# elsewhere), start in the background, pass respsmoke and stop leaving no
# process; `man respmock` and `man respsmoke` work from the prefix and the
# pages lint clean.
# Usage: run_installed.sh PREFIX VERSION SNAPSHOT
set -euo pipefail
. "$(dirname "$0")/common.sh"
prefix=$(cd "$1" && pwd -P) version=$2 snapshot=$3
cd /

out=$("$prefix/bin/respmock" --version)
[ "$out" = "respmock $version
Responses API snapshot: $snapshot" ] || fail "respmock --version: $out"
out=$("$prefix/bin/respsmoke" --version)
[ "$out" = "respsmoke $version
Responses API snapshot: $snapshot" ] || fail "respsmoke --version: $out"
ok "--version"

out=$("$prefix/bin/respmock" --check)
case $out in *"fixtures in $prefix/share/respmock/fixtures are valid"*) ;; *) fail "--check: $out" ;; esac
cp -a "$prefix" "$work/moved"
out=$("$work/moved/bin/respmock" --check)
case $out in *"fixtures in $work/moved/share/respmock/fixtures are valid"*) ;; *) fail "moved --check: $out" ;; esac
ok "default fixtures from the prefix, also when moved"

"$prefix/bin/respmock" --daemon --port 0 --pid-file "$work/respmock.pid" --ready-file "$work/ready" \
  --log-file "$work/log" >"$work/out" || fail "respmock --daemon: $(cat "$work/out")"
pid=$(cat "$work/respmock.pid")
url=$(cat "$work/ready")
grep -qx "RESPMOCK_URL=$url" "$work/out" || fail "no RESPMOCK_URL=$url line in: $(cat "$work/out")"
grep -q "fixtures from $prefix/share/respmock/fixtures" "$work/out" || fail "fixtures: $(cat "$work/out")"
"$prefix/bin/respsmoke" --base-url "$url/v1" --junit "$work/smoke.xml" >"$work/smoke.out" ||
  fail "respsmoke: $(tail -5 "$work/smoke.out")"
grep -q '<testsuites name="respsmoke" tests="[1-9][0-9]*" failures="0"' "$work/smoke.xml" ||
  fail "junit: $(head -3 "$work/smoke.xml")"
grep -q '^summary: [0-9]* passed, 0 failed' "$work/smoke.out" || fail "summary: $(tail -2 "$work/smoke.out")"
kill "$pid"
wait_gone "$pid"
[ ! -e "$work/respmock.pid" ] && [ ! -e "$work/ready" ] || fail "PID or ready file left after the stop"
grep -q "signal 15: shutting down" "$work/log" || fail "no clean stop in the log"
ok "daemon from /, respsmoke passes, SIGTERM leaves no process"

command -v man >/dev/null || skip "man is not installed (the rest passed)"
for page in respmock respsmoke; do
  where=$(MANPATH="$prefix/share/man" man -w "$page")
  [ "$where" = "$prefix/share/man/man1/$page.1.gz" ] || fail "man -w $page: $where"
  text=$(MANPATH="$prefix/share/man" MANWIDTH=80 man -P cat "$page" 2>&1)
  case $text in *"respmock $version"*) ;; *) fail "man $page has no version: $text" ;; esac
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$prefix/share/man/man1/$page.1.gz" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man $page warns: $warnings"
done
ok "man respmock, man respsmoke"
