#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build vmar_race.ko through DKMS (Debian's dkms) for the stock headers, in
# private trees under build/dkms (the system's /usr/src and /var/lib/dkms
# stay untouched). Prints the built .ko's path.
#   scripts/dkms-build.sh [KERNEL-RELEASE]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
usage() {
	cat <<EOT
usage: $0 [KERNEL-RELEASE]
Build vmar_race.ko through DKMS for KERNEL-RELEASE's headers (default: the
newest stock Debian kernel in /boot), in private trees under build/dkms (the
system's /usr/src and /var/lib/dkms stay untouched). Prints the built .ko's
path on stdout (for scripts/vm.sh --ko).
  -h, --help  print this help and exit
Exit status: 0 built, 64 usage error (an option, more than one argument),
70 error (dkms or the headers missing, the DKMS build failed).
EOT
}
case "${1:-}" in -h|--help) usage; exit 0 ;; -*) vr_usage_die "unknown option '$1'" ;; esac
[ $# -le 1 ] || vr_usage_die "one KERNEL-RELEASE at most (got '$*')"
command -v dkms >/dev/null || vr_die "dkms missing; run scripts/deps.sh"
rel=${1:-$(vr_stock_release)}
[ -d "/lib/modules/$rel/build" ] || vr_die "no headers for $rel in /lib/modules/$rel/build"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VR_ROOT/dkms.conf")
[ -n "$ver" ] || vr_die "no PACKAGE_VERSION in dkms.conf"
t="$VR_ROOT/build/dkms"
rm -rf "$t" && mkdir -p "$t/src/vmar_race-$ver" "$t/tree" "$t/install"
cp -r "$VR_ROOT/Kbuild" "$VR_ROOT/dkms.conf" "$VR_ROOT/module" "$t/src/vmar_race-$ver/"
trees=(--sourcetree "$t/src" --dkmstree "$t/tree" --installtree "$t/install")
{
	dkms add -m vmar_race -v "$ver" "${trees[@]}"
	dkms build -m vmar_race -v "$ver" -k "$rel" "${trees[@]}"
} >"$t/dkms.log" 2>&1 || { cat "$t/dkms.log" >&2; vr_die "dkms build failed"; }
ko=$(find "$t/tree/vmar_race/$ver/$rel" -name 'vmar_race.ko*' | head -n1)
[ -n "$ko" ] || { cat "$t/dkms.log" >&2; vr_die "dkms built no vmar_race.ko"; }
case "$ko" in
*.ko) ;;
*.ko.xz) xz -dkf "$ko"; ko=${ko%.xz} ;;
*.ko.zst) zstd -dqf "$ko"; ko=${ko%.zst} ;;
*.ko.gz) gzip -dkf "$ko"; ko=${ko%.gz} ;;
esac
echo "$ko"
