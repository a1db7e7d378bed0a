#!/usr/bin/env bash
# Runs the whole stack locally (`pnpm start`, `pnpm run malic:up`). packages/stack/src/launch.ts runs the stack
# (packages/stack/src/start.ts) in a session of its own and turns a Ctrl-C into one SIGTERM for it, so the
# services stop before the database; it needs nothing beyond Node, on Linux and macOS alike.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/tsx ]; then
  echo "Dependencies are missing: run 'pnpm install' first." >&2
  exit 1
fi
exec node --import tsx packages/stack/src/launch.ts "$@"
