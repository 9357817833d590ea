#!/usr/bin/env bash
# ctest package.readme_shell: the plain-shell CI example of README.md ("Use it in
# CI"), extracted and run verbatim with the .deb package.deb built. It must
# install, start respmock, run the given test command against
# OPENAI_BASE_URL/OPENAI_API_KEY, pass respsmoke with JUnit, and leave no
# process; a failing test command fails the script and still stops respmock.
# RESPMOCK_PORT=0 keeps it off the fixed port 4010.
# Usage: readme_shell.sh README DEB_DIR
set -euo pipefail
. "$(dirname "$0")/common.sh"
readme=$1 debdir=$2
command -v curl >/dev/null || skip "curl is not installed"
deb=$(find "$debdir" -maxdepth 1 -name 'respmock_*.deb' -print -quit 2>/dev/null || true)
[ -n "$deb" ] || skip "no .deb in $debdir (package.deb builds it)"
extract_block "$readme" "tests/install/readme_shell.sh runs the next sh block verbatim" sh >"$work/ci-respmock.sh"
grep -q 'respmock --daemon' "$work/ci-respmock.sh" || fail "no shell example found in $readme"

run_example() { # DIR TEST-COMMAND...
  local dir=$1
  shift
  mkdir -p "$dir"
  RM_PID_FILES="$RM_PID_FILES $dir/seen.pid"
  (cd "$dir" && RESPMOCK_DEB=$deb RESPMOCK_PORT=0 sh "$work/ci-respmock.sh" "$@") >"$dir/output" 2>&1
}

# the user's tests: record respmock's PID, check the variables and call the mock
user_tests='cp respmock.pid seen.pid && [ "$OPENAI_API_KEY" = test ] &&
  curl -sf -H "Authorization: Bearer $OPENAI_API_KEY" -H "Content-Type: application/json" \
    -d "{\"model\":\"gpt-4.1-mini\",\"input\":\"Say hello\"}" "$OPENAI_BASE_URL/responses" >response.json'
run_example "$work/pass" sh -c "$user_tests" || fail "the example failed: $(cat "$work/pass/output")"
pid=$(cat "$work/pass/seen.pid")
wait_gone "$pid"
grep -q '"object":"response"' "$work/pass/response.json" || fail "the test command got: $(cat "$work/pass/response.json")"
grep -q '<testsuites name="respsmoke" tests="[1-9][0-9]*" failures="0"' "$work/pass/respsmoke.xml" ||
  fail "respsmoke.xml: $(head -3 "$work/pass/respsmoke.xml")"
grep -q 'POST /v1/responses 200' "$work/pass/respmock.log" || fail "respmock.log: $(cat "$work/pass/respmock.log")"
[ ! -e "$work/pass/respmock.pid" ] && [ ! -e "$work/pass/respmock.ready" ] || fail "PID or ready file left"
[ -x "$work/pass/.respmock/usr/bin/respmock" ] || fail "not installed into .respmock/"
ok "the README shell example passes and stops respmock"

rc=0
run_example "$work/fail" sh -c 'cp respmock.pid seen.pid && exit 3' || rc=$?
[ "$rc" = 3 ] || fail "a test command's exit 3 made the example exit $rc: $(cat "$work/fail/output")"
wait_gone "$(cat "$work/fail/seen.pid")"
[ ! -e "$work/fail/respsmoke.xml" ] || fail "respsmoke ran after failed tests"
ok "a failing test command fails it with its status, and respmock is stopped all the same"
