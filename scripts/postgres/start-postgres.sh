#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1 for the shared-state-store tests: its own temp
# directory, trust authentication for user `syncflow`, no fsync. Installs Debian's postgresql first
# when it is missing (only as root on Debian). PostgreSQL refuses to run as root: as root, the
# cluster runs as the `postgres` user the package creates.
#
# Usage: start-postgres.sh PORT
# On success prints `export POSTGRES_TEST_URL=postgres://syncflow@127.0.0.1:PORT/postgres` and
# `export POSTGRES_DIR=DIR` on stdout (nothing else); stop-postgres.sh DIR stops it. Progress goes
# to stderr. Exit status: 0 running; 3 no server can be had here (the reason is the last stderr
# line, prefixed "unavailable:"); anything else is a start-up failure.
set -euo pipefail

port="${1:?usage: start-postgres.sh PORT}"

find_bin() {
  local found
  found="$(command -v initdb 2>/dev/null || true)"
  if [ -z "$found" ]; then found="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)"; fi
  [ -n "$found" ] && dirname "$(readlink -f "$found")"
}

bin="$(find_bin || true)"
if [ -z "$bin" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "unavailable: PostgreSQL is not installed, and installing it needs root on Debian (apt-get install postgresql)" >&2
    exit 3
  fi
  echo "start-postgres: installing postgresql from Debian's packages" >&2
  if ! bash "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh" postgresql; then
    echo "unavailable: apt-get install postgresql failed" >&2
    exit 3
  fi
  bin="$(find_bin)"
fi

dir="$(mktemp -d /tmp/syncflow-pg.XXXXXX)"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "unavailable: running as root and there is no postgres user to run the cluster as" >&2
    exit 3
  fi
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U syncflow --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
  echo "start-postgres: initdb failed:" >&2
  tail -20 "$dir/initdb.log" >&2
  exit 1
}
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >&2 || {
  # (A port taken since it was picked says "Address already in use" here: the caller tries another.)
  echo "start-postgres: the server did not start; its log:" >&2
  tail -20 "$dir/data/server.log" >&2 || true
  rm -rf "$dir"
  exit 1
}
echo "export POSTGRES_TEST_URL=postgres://syncflow@127.0.0.1:$port/postgres"
echo "export POSTGRES_DIR=$dir"
