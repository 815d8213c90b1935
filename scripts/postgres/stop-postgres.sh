#!/usr/bin/env bash
# Stops a cluster started by start-postgres.sh and removes its directory. Usage: stop-postgres.sh DIR
set -uo pipefail
dir="${1:?usage: stop-postgres.sh DIR}"
case "$dir" in /tmp/syncflow-pg.*) ;; *) echo "stop-postgres: not a start-postgres.sh directory: $dir" >&2; exit 2 ;; esac
if [ -f "$dir/data/postmaster.pid" ]; then
  pid="$(head -1 "$dir/data/postmaster.pid")"
  # SIGQUIT: immediate shutdown (nothing to keep).
  kill -QUIT "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
rm -rf "$dir"
