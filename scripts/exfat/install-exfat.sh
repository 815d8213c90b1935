#!/usr/bin/env bash
# Makes sure the tools the case-insensitive-target tests mount an exFAT image with are there:
# mkfs.exfat (exfatprogs) and mount.exfat-fuse (exfat-fuse; the kernel's exfat module is not on every
# machine, FUSE is). Installs them from Debian when missing, as root on Debian only; exits 0 when they
# are there, 1 (saying why on stderr) when they are not and cannot be installed: the tests then skip.
set -euo pipefail

missing() { ! command -v mkfs.exfat >/dev/null 2>&1 || ! command -v mount.exfat-fuse >/dev/null 2>&1; }
missing || exit 0
[ -r /etc/debian_version ] || { echo "install-exfat: not Debian: install exfatprogs and exfat-fuse" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "install-exfat: installing exfatprogs and exfat-fuse needs root" >&2; exit 1; }
# (One apt-get at a time with the rest of the test setup: see apt-install.sh.)
bash "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh" exfatprogs exfat-fuse ||
  { echo "install-exfat: apt-get install exfatprogs exfat-fuse failed (see above)" >&2; exit 1; }
missing && { echo "install-exfat: installed, but mkfs.exfat or mount.exfat-fuse is still missing" >&2; exit 1; }
exit 0
