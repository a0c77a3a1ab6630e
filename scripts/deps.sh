#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what vmar_race needs from Debian's packages. Idempotent: a quick
# no-op when everything is present. Run as root or through sudo.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# What the stock-kernel rows need (make try), then the rest: kernel builds
# (bc ... dwarves), lint (sparse), the bench plot, timeline PNGs, DKMS and
# the Rust chroot (debootstrap).
stock_pkgs=(
	qemu-system-x86 busybox-static linux-image-amd64 linux-headers-amd64
	linux-source-6.1 build-essential libc6-dev cpio gzip xz-utils kmod python3
)
pkgs=(
	"${stock_pkgs[@]}" bc bison flex libelf-dev libssl-dev rsync sparse perl
	gnuplot-nox librsvg2-bin dwarves dkms debootstrap
)

usage() {
	cat <<EOT
usage: $0 [--stock]
Install the Debian packages vmar_race needs with apt-get (through sudo when
not root); a quick no-op when all are installed:
$(echo "${pkgs[*]}" | fold -s -w 76 | sed 's/^/    /; s/ *$//')
  --stock     only what the stock-kernel rows need (make try):
$(echo "${stock_pkgs[*]}" | fold -s -w 64 | sed 's/^/              /; s/ *$//')
  -h, --help  print this help and exit
Exit status: 0 everything installed, 64 usage error (any other argument),
70 error (not Debian, no root or sudo, apt-get failed).
EOT
}
case "${1:-}" in
-h|--help) usage; exit 0 ;;
--stock) [ $# -eq 1 ] || vr_usage_die "--stock takes no argument"; pkgs=("${stock_pkgs[@]}") ;;
*) [ $# -eq 0 ] || vr_usage_die "unknown argument '$1' (only --stock or --help)" ;;
esac

if ! [ -r /etc/debian_version ] || ! command -v dpkg-query >/dev/null; then
	echo "deps.sh: this is not a Debian system. Install the equivalents of:" >&2
	echo "  ${pkgs[*]}" >&2
	echo "deps.sh: (Debian 12 'bookworm' is what the project is tested on)" >&2
	exit $VR_EX_SOFTWARE
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
	command -v sudo >/dev/null || vr_die "need root to install: ${missing[*]}"
	sudo=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || vr_die "apt-get update failed"
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	vr_die "apt-get install ${missing[*]} failed"
echo "deps.sh: done" >&2
