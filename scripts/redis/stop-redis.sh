#!/usr/bin/env bash
# Stops a Redis started by start-redis.sh and removes its directory. Usage: stop-redis.sh DIR
set -uo pipefail
dir="${1:?usage: stop-redis.sh DIR}"
case "$dir" in /tmp/syncflow-redis.*) ;; *) echo "stop-redis: not a start-redis.sh directory: $dir" >&2; exit 2 ;; esac
if [ -f "$dir/redis.pid" ]; then
  pid="$(cat "$dir/redis.pid")"
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
rm -rf "$dir"
