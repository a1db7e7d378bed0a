#!/usr/bin/env bash
# Runs the whole stack locally (`pnpm start`, `pnpm run malic:up`); the work is done by
# packages/stack/src/start.ts. It runs in a session of its own (setsid) so that a Ctrl-C in the terminal does
# not reach the services and the database directly: this script passes it on as one SIGTERM, the stack stops
# the services first (they may still be flushing to the database) and the database last.
set -uo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/tsx ]; then
  echo "Dependencies are missing: run 'pnpm install' first." >&2
  exit 1
fi

setsid node --import tsx packages/stack/src/start.ts "$@" &
stack=$!
trap 'kill -TERM "$stack" 2>/dev/null' INT TERM

status=0
while true; do
  wait "$stack"
  status=$?
  kill -0 "$stack" 2>/dev/null || break
done
exit "$status"
