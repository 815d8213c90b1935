#!/usr/bin/env bash
# Installs Debian packages for the test setup and the benchmarks: `apt-get install`, and when that
# fails (package lists not fetched yet, or stale), `apt-get update` and install again. Run as root.
#
# Usage: apt-install.sh PACKAGE...    (apt-get's output goes to stderr; exit status: apt-get's)
#
# One at a time: the test setup installs from several places at once (radosgw, Redis and PostgreSQL
# from vitest's global setups, exfat and the S3 peers from test files running in parallel), and
# dpkg's lock and apt's lists lock admit one apt-get: a second one failed at once ("Could not get
# lock"), its tests were skipped as if the package could not be had. So every caller takes the one
# lock file below, and apt-get itself waits for a lock held by anything else (unattended-upgrades).
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: apt-install.sh PACKAGE..." >&2; exit 2; }
exec 9>/tmp/syncflow-apt.lock
flock 9
wait=(-o DPkg::Lock::Timeout=600)
apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${wait[@]}" --no-install-recommends "$@" >&2; }
apt_install "$@" && exit 0
apt-get update -qq "${wait[@]}" >&2 && apt_install "$@"
