#!/usr/bin/env bash
# ctest driver: start respmock on a free port, run the OpenAI Node SDK checks,
# stop respmock by PID however this ends. Exit 77 (skip) without node/openai.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run.sh RESPMOCK_BIN FIXTURES_DIR}
fixtures=${2:?}
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$here/node_modules/openai" ] || { echo "skip: run 'npm ci' in tests/sdk"; exit 77; }
out=$(mktemp)
"$bin" --port 0 --fixtures "$fixtures" --log-level warn >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$out" && break
  sleep 0.05
done
port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$out")
[ -n "$port" ] || { echo "respmock did not start"; exit 1; }
OPENAI_BASE_URL="http://127.0.0.1:$port/v1" timeout 120 node "$here/sdk_test.mjs"
