#!/bin/sh
# Installs the peer tools the local benchmarks compare against, from Debian's packages, when they
# are missing: rsync, rclone, unison (the continuous two-way benchmark), and GNU time (/usr/bin/time,
# for CPU time and peak memory).
# Needs root (or sudo) and apt-get; on other systems, install them by hand. Idempotent.
set -eu

missing=""
command -v rsync >/dev/null 2>&1 || missing="$missing rsync"
command -v rclone >/dev/null 2>&1 || missing="$missing rclone"
command -v unison >/dev/null 2>&1 || missing="$missing unison"
[ -x /usr/bin/time ] || missing="$missing time"
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench: missing:$missing (no apt-get here: install them by hand)" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "bench: missing:$missing (not root: install them with apt-get)" >&2
    exit 0
  fi
fi
echo "bench: installing$missing from Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
# rclone and unison are optional: if a package is unavailable, go on without it.
$SUDO apt-get update -qq >/dev/null
for pkg in $missing; do
  $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null || echo "bench: could not install $pkg" >&2
done
