#!/usr/bin/env bash
# ctest driver of the compatibility tier: start respmock (shipped fixtures,
# default flags) on a free port, run the named suites of real clients against
# it (all without an argument), stop respmock by PID however this ends.
# Exit 77 (skip) without node or without tests/compat/node_modules.
# Usage: run.sh RESPMOCK_BIN FIXTURES_DIR [SUITE...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run.sh RESPMOCK_BIN FIXTURES_DIR [SUITE...]}
fixtures=${2:?usage: run.sh RESPMOCK_BIN FIXTURES_DIR [SUITE...]}
shift 2
command -v node >/dev/null || { echo "skip: node is not installed"; exit 77; }
for pkg in ai @ai-sdk/openai @openai/agents @openai/codex @langchain/openai openai zod; do
  [ -f "$here/node_modules/$pkg/package.json" ] ||
    { echo "skip: tests/compat/node_modules/$pkg is missing; run 'npm ci' in tests/compat (scripts/test does)"; exit 77; }
done
out=$(mktemp)
err=$(mktemp)
"$bin" --port 0 --fixtures "$fixtures" >"$out" 2>"$err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out" "$err"' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$out" && break
  sleep 0.05
done
port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$out")
[ -n "$port" ] || { echo "respmock did not start:"; cat "$err"; exit 1; }
RESPMOCK_URL="http://127.0.0.1:$port" timeout 170 node "$here/compat.mjs" "$@"
rc=$?
[ $rc -eq 124 ] && echo "compat: the suites did not finish within 170 s"
[ "${COMPAT_SHOW_LOG:-0}" = 1 ] && { echo "== respmock log"; cat "$err"; }
exit $rc
