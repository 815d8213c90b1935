#!/usr/bin/env bash
# Starts a throw-away single-node Ceph cluster (one mon, one osd) and radosgw on 127.0.0.1, for the
# S3 tests and benchmarks. Installs Debian's ceph packages first when they are missing (only as root
# on Debian). Everything lives in one temp directory; stop-radosgw.sh DIR stops it and removes it.
#
# Usage: start-radosgw.sh [--store memstore|bluestore] [--size BYTES] [--port PORT] [--dir DIR]
#                         [--owner PID] [--no-install]
#   --owner PID  the cluster belongs to that process: a later start stops it if PID has died
#                without stopping it (a test run killed before its teardown).
#
# On success prints `export NAME=value` lines on stdout (and nothing else): S3_TEST_ENDPOINT
# (http://127.0.0.1:PORT), S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY, S3_TEST_REGION, RADOSGW_DIR and
# S3_TEST_STORAGE_CLASS (COLD: a storage class besides STANDARD), so `eval "$(scripts/s3/start-radosgw.sh)"` sets them. Progress goes to stderr.
# Exit status: 0 running; 3 no server can be had here (not root, not Debian, install failed: the
# reason is the last stderr line, prefixed "unavailable:"); anything else is a start-up failure.
#
# The settings below each fixed a failure or a slowdown (see shared S3-TEST-SERVER notes).
set -euo pipefail

STORE=memstore
SIZE=
PORT=
DIR=
INSTALL=1
OWNER=
while [ $# -gt 0 ]; do
  case "$1" in
    --store) STORE=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --owner) OWNER=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,15p' "$0" >&2; exit 0 ;;
    *) echo "start-radosgw: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$STORE" in
  memstore) SIZE=${SIZE:-4294967296} ;;
  bluestore) SIZE=${SIZE:-10737418240} ;;
  *) echo "start-radosgw: --store must be memstore or bluestore" >&2; exit 2 ;;
esac

# Fixed test credentials: the server is throw-away and listens on 127.0.0.1 only.
ACCESS_KEY=SYNCFLOWTESTACCESSKEY
SECRET_KEY=syncflowTestSecretKey0000000000000000000
REGION=us-east-1

log() { echo "start-radosgw: $*" >&2; }
unavailable() { echo "unavailable: $*" >&2; exit 3; }

# --- 1. packages ------------------------------------------------------------------------------
BINARIES=(ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool)
missing() {
  local b
  for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || return 0; done
  return 1
}
if missing; then
  [ "$INSTALL" = 1 ] || unavailable "Ceph is not installed (ceph-mon, ceph-osd, radosgw) and --no-install was given"
  [ -r /etc/debian_version ] || unavailable "Ceph/radosgw is not installed and this is not Debian (install ceph-mon ceph-osd radosgw ceph-common, or set S3_TEST_ENDPOINT)"
  [ "$(id -u)" = 0 ] || unavailable "Ceph/radosgw is not installed and installing it needs root (run: apt-get install ceph-mon ceph-osd radosgw ceph-common, or set S3_TEST_ENDPOINT)"
  log "installing ceph-mon ceph-osd radosgw ceph-common from Debian (about 280 MB)…"
  # (One apt-get at a time with the rest of the test setup: see apt-install.sh.)
  if ! bash "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh" ceph-mon ceph-osd radosgw ceph-common; then
    unavailable "apt-get install ceph-mon ceph-osd radosgw ceph-common failed (see above)"
  fi
  missing && unavailable "Ceph packages installed but binaries still missing: ${BINARIES[*]}"
fi

# --- 2. leftovers, ports and directory ---------------------------------------------------------
# Clusters whose owner died before stopping them (a killed test run) would otherwise run forever.
for owner_file in /tmp/syncflow-radosgw.*/owner; do
  [ -f "$owner_file" ] || continue
  if ! kill -0 "$(cat "$owner_file")" 2>/dev/null; then
    log "stopping the leftover cluster in $(dirname "$owner_file") (its owner has exited)"
    "$(dirname "$0")/stop-radosgw.sh" "$(dirname "$owner_file")" >&2 || true
  fi
done
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  return 1
}
MON_PORT=$(free_port)
[ -n "$PORT" ] || PORT=$(free_port)
while [ "$PORT" = "$MON_PORT" ]; do PORT=$(free_port); done

if [ -z "$DIR" ]; then DIR=$(mktemp -d /tmp/syncflow-radosgw.XXXXXX); else mkdir -p "$DIR"; fi
mkdir -p "$DIR/run" "$DIR/log" "$DIR/mon/ceph-a" "$DIR/osd/ceph-0" "$DIR/rgw"
: >"$DIR/pids"
[ -z "$OWNER" ] || echo "$OWNER" >"$DIR/owner"
CONF=$DIR/ceph.conf
FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)

# A failed start must not leave daemons behind.
started=0
cleanup_on_failure() {
  if [ "$started" = 0 ]; then
    log "start failed; logs in $DIR/log (tail below), stopping what was started"
    tail -n 20 "$DIR"/log/*.log >&2 2>/dev/null || true
    "$(dirname "$0")/stop-radosgw.sh" --keep "$DIR" >&2 || true
  fi
}
trap cleanup_on_failure EXIT

if [ "$STORE" = memstore ]; then
  STORE_CONF="osd_objectstore = memstore
memstore_device_bytes = $SIZE"
else
  # The block file must be outside the OSD data directory (inside it, mkfs fails with
  # "Too many levels of symbolic links"). Sparse: it takes only what is written.
  truncate -s "$SIZE" "$DIR/bluestore.block"
  STORE_CONF="osd_objectstore = bluestore
bluestore_block_path = $DIR/bluestore.block
bluestore_block_create = true
bluestore_block_size = $SIZE
bluestore_cache_size = 268435456
bluestore_fsck_on_mkfs = false
bluestore_fsck_on_mount = false"
fi

cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon_host = [v2:127.0.0.1:$MON_PORT]
public_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_ipv4 = true
# No cephx anywhere (throw-away cluster on loopback).
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_client_mode = crc
ms_cluster_mode = crc
ms_service_mode = crc
# One OSD holds every replica.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
# Start-up 12.6 s -> 2.5 s, first CreateBucket 2 s -> 0.3 s.
paxos_propose_interval = 0.1
run_dir = $DIR/run
admin_socket = $DIR/run/\$name.asok
pid_file = $DIR/run/\$name.pid
log_file = $DIR/log/\$name.log
crash_dir = $DIR/crash
keyring = $DIR/keyring
log_to_stderr = false
err_to_stderr = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
osd_max_object_name_len = 2048
osd_max_object_namespace_len = 256

[mon]
mon_data = $DIR/mon/ceph-\$id

[osd]
osd_data = $DIR/osd/ceph-\$id
$STORE_CONF

[client]
auth_client_required = none
ms_mon_client_mode = crc

[client.rgw.a]
rgw_data = $DIR/rgw
# Without tcp_nodelay each small GET takes about 40 ms.
rgw_frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
auth_client_required = none
ms_mon_client_mode = crc
rgw_enable_usage_log = false
rgw_thread_pool_size = 64
EOF
: >"$DIR/keyring"

daemon() { # name, then the command line: runs it in the background, logs to DIR/log, records the PID
  local name=$1
  shift
  "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo "$!" >>"$DIR/pids"
}
poll() { # seconds, description, then a command: retries the command until it succeeds or time is up
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "timed out waiting for $what"; return 1; fi
    sleep 0.1
  done
}
CEPH=(ceph -c "$CONF" --connect-timeout 5)

# --- 3. monitor ---------------------------------------------------------------------------------
log "dir $DIR, mon 127.0.0.1:$MON_PORT, s3 127.0.0.1:$PORT, $STORE"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >&2
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" >&2
daemon mon.a ceph-mon -c "$CONF" -i a -f
poll 60 "the monitor" "${CEPH[@]}" mon stat

# --- 4. osd -------------------------------------------------------------------------------------
OSD_ID=$("${CEPH[@]}" osd new "$OSD_UUID")
ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >&2 2>>"$DIR/log/osd-mkfs.out"
daemon "osd.$OSD_ID" ceph-osd -c "$CONF" -i "$OSD_ID" -f
osd_up() { "${CEPH[@]}" osd dump 2>/dev/null | grep -q "^osd.$OSD_ID up"; }
poll 90 "the osd" osd_up

# --- 5. radosgw and the test user ---------------------------------------------------------------
# radosgw-admin makes the default zone, zonegroup and rgw pools itself on first use; retried until
# RADOS answers. The user first: the placement commands below need the zonegroup to exist.
poll 120 "the test user" radosgw-admin -c "$CONF" user create --uid=test --display-name=syncflow-test \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY"
# A second storage class, COLD, beside STANDARD: the tests of --s3-storage-class write to it and check
# that a copy (a touch is one) keeps an object's class. Set before radosgw starts: it reads its zone once.
radosgw-admin -c "$CONF" zonegroup placement add --rgw-zonegroup default --placement-id default-placement \
  --storage-class COLD >/dev/null
radosgw-admin -c "$CONF" zone placement add --rgw-zone default --placement-id default-placement \
  --storage-class COLD --data-pool default.rgw.cold.data >/dev/null
daemon rgw.a radosgw -c "$CONF" -n client.rgw.a -f
http_ok() { # an anonymous GET / answered with 200 means the frontend is up and RADOS reachable
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  IFS= read -r -t 5 line <&3 || { exec 3>&-; return 1; }
  exec 3>&-
  case "$line" in *" 200 "*) return 0 ;; *) return 1 ;; esac
}
poll 120 "radosgw on 127.0.0.1:$PORT" http_ok

started=1
log "ready after ${SECONDS}s"
cat <<EOF
export S3_TEST_ENDPOINT=http://127.0.0.1:$PORT
export S3_TEST_ACCESS_KEY=$ACCESS_KEY
export S3_TEST_SECRET_KEY=$SECRET_KEY
export S3_TEST_REGION=$REGION
export RADOSGW_DIR=$DIR
export S3_TEST_STORAGE_CLASS=COLD
EOF
