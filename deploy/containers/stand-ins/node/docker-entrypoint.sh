#!/bin/sh
# The official node image's entrypoint: arguments that are not a command (`-e …`, `server.js`) run under node.
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
