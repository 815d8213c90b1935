#!/usr/bin/env bash
# Installs the peer tools the S3 tests and benchmarks compare against, from Debian's packages,
# when missing: rclone (the metadata-compatibility test, the benchmark) and awscli (the
# benchmark). Only as root on Debian; anything else prints why and exits 3.
#
# Usage: install-peers.sh [rclone] [awscli]      (no argument: both)
set -euo pipefail

WANT=("$@")
[ ${#WANT[@]} -gt 0 ] || WANT=(rclone awscli)
MISSING=()
for tool in "${WANT[@]}"; do
  case "$tool" in
    rclone) command -v rclone >/dev/null 2>&1 || MISSING+=(rclone) ;;
    awscli) command -v aws >/dev/null 2>&1 || MISSING+=(awscli) ;;
    *) echo "install-peers: unknown tool $tool (rclone, awscli)" >&2; exit 2 ;;
  esac
done
[ ${#MISSING[@]} -gt 0 ] || exit 0
if [ ! -r /etc/debian_version ] || [ "$(id -u)" != 0 ]; then
  echo "unavailable: ${MISSING[*]} not installed, and installing needs root on Debian (apt-get install ${MISSING[*]})" >&2
  exit 3
fi
echo "install-peers: installing ${MISSING[*]} from Debian…" >&2
# (One apt-get at a time with the rest of the test setup: see apt-install.sh.)
if ! bash "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh" "${MISSING[@]}"; then
  echo "unavailable: apt-get install ${MISSING[*]} failed" >&2
  exit 3
fi
