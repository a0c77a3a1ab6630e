#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what vmar_race needs from Debian's packages. Idempotent: a quick
# no-op when everything is present. Run as root or through sudo.
set -euo pipefail

pkgs=(
	qemu-system-x86 busybox-static linux-image-amd64 linux-headers-amd64
	linux-source-6.1 build-essential libc6-dev bc bison flex libelf-dev
	libssl-dev cpio gzip xz-utils rsync kmod sparse python3 perl gnuplot-nox librsvg2-bin
	dwarves dkms
)

if ! [ -r /etc/debian_version ] || ! command -v dpkg-query >/dev/null; then
	echo "deps.sh: this is not a Debian system. Install the equivalents of:" >&2
	echo "  ${pkgs[*]}" >&2
	echo "deps.sh: (Debian 12 'bookworm' is what the project is tested on)" >&2
	exit 2
fi

installed=$(dpkg-query -W -f '${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null |
	awk '$2 == "installed" { print $1 }' || true)
missing=()
for p in "${pkgs[@]}"; do
	grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps.sh: need root to install: ${missing[*]}" >&2
		exit 2
	}
	sudo=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done" >&2
