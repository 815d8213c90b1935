#!/usr/bin/env bash
# Stops a cluster started by start-radosgw.sh: signals the PIDs it recorded (radosgw first, then
# the osd, then the mon), waits for them to exit (SIGKILL after 20 s), and removes the directory.
#
# Usage: stop-radosgw.sh [--keep] [--dir] DIR   (--keep: leave the directory, e.g. to read the logs;
#        --dir as start-radosgw.sh takes it)
set -uo pipefail

KEEP=0
DIR=
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --dir) DIR=${2:-}; shift ;;
    *) DIR=$1 ;;
  esac
  shift
done
DIR=${DIR:-${RADOSGW_DIR:-}}
if [ -z "$DIR" ] || [ ! -f "$DIR/pids" ]; then
  echo "stop-radosgw: no cluster directory given (or no $DIR/pids)" >&2
  exit 2
fi

alive() { kill -0 "$1" 2>/dev/null; }
# Reverse start order: clients before the services they use.
mapfile -t PIDS < <(tac "$DIR/pids")
for pid in "${PIDS[@]}"; do
  [ -n "$pid" ] && alive "$pid" && kill -TERM "$pid" 2>/dev/null
done
deadline=$((SECONDS + 20))
for pid in "${PIDS[@]}"; do
  [ -n "$pid" ] || continue
  while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if alive "$pid"; then
    echo "stop-radosgw: pid $pid did not exit after SIGTERM, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
done
if [ "$KEEP" = 0 ]; then rm -rf -- "$DIR"; fi
exit 0
