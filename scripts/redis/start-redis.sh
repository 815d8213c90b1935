#!/usr/bin/env bash
# Starts a throw-away Redis on 127.0.0.1 for the shared-state-store tests: no persistence, its own
# temp directory. Installs Debian's redis-server first when it is missing (only as root on Debian).
#
# Usage: start-redis.sh PORT
# On success prints `export REDIS_TEST_URL=redis://127.0.0.1:PORT` and `export REDIS_DIR=DIR` on
# stdout (nothing else); stop-redis.sh DIR stops it. Progress goes to stderr.
# Exit status: 0 running; 3 no server can be had here (the reason is the last stderr line, prefixed
# "unavailable:"); anything else is a start-up failure.
set -euo pipefail

port="${1:?usage: start-redis.sh PORT}"

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "unavailable: redis-server is not installed, and installing it needs root on Debian (apt-get install redis-server)" >&2
    exit 3
  fi
  echo "start-redis: installing redis-server from Debian's packages" >&2
  if ! bash "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh" redis-server; then
    echo "unavailable: apt-get install redis-server failed" >&2
    exit 3
  fi
fi

dir="$(mktemp -d /tmp/syncflow-redis.XXXXXX)"
# No RDB snapshots, no AOF: a test server keeps nothing. --daemonize writes the pid file.
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2

# Ours, not whatever answers there: another process may have taken the port since it was picked
# (then this server logs the failed bind and exits, and another Redis there would answer a PING).
for _ in $(seq 1 100); do
  if [ "$(redis-cli -h 127.0.0.1 -p "$port" config get dir 2>/dev/null | tail -1)" = "$(readlink -f "$dir")" ]; then
    echo "export REDIS_TEST_URL=redis://127.0.0.1:$port"
    echo "export REDIS_DIR=$dir"
    exit 0
  fi
  grep -q 'Address already in use' "$dir/redis.log" 2>/dev/null && break
  sleep 0.1
done
echo "start-redis: redis-server did not answer on port $port; its log:" >&2
tail -20 "$dir/redis.log" >&2 || true
if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
rm -rf "$dir"
exit 1
