#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# decode.sh LOG KERNEL: decode the first kernel report in a test VM's console
# log to file:line with the kernel's own scripts/decode_stacktrace.sh, using
# the test kernel's vmlinux (built with line tables) and the vmar_race.ko
# built for it. Prints the report's vmar_race frames; --all prints the whole
# decoded report. KERNEL: debug, kcsan or debug-7.3 (the stock kernel ships
# no vmlinux).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOT
usage: $0 [--all] LOG debug|kcsan|debug-7.3
Decode the first kernel report in a test VM's console log (vm.sh --log) to
file:line with the kernel's scripts/decode_stacktrace.sh, the test kernel's
vmlinux and the vmar_race.ko built for it, and print the report's vmar_race
frames under the section they belong to (the access, the allocation, the
free). The stock kernel ships no vmlinux: test kernels only.
  --all       print the whole decoded report
  -h, --help  print this help and exit
Exit status: 0 decoded, 64 usage error (bad option or argument, unreadable
LOG), 70 error (the kernel or its vmar_race.ko not built, no report in LOG).
EOT
}
for a in "$@"; do
	case "$a" in -h|--help) usage; exit 0 ;; esac
done
all=0
[ "${1:-}" != --all ] || { all=1; shift; }
[ $# -eq 2 ] || vr_usage_die "wants LOG and a test kernel name (debug, kcsan, debug-7.3)"
log=$1 kname=$2
[ -r "$log" ] || vr_usage_die "no such log: $log"
case "$kname" in
debug|kcsan|debug-*|kcsan-*) (vr_kernel_name "$kname" >/dev/null 2>&1) ||
	vr_usage_die "unknown test kernel '$kname' (debug, kcsan, debug-6.12, debug-7.3, kcsan-6.12)" ;;
*) vr_usage_die "KERNEL must be a test kernel: debug, kcsan, debug-6.12, debug-7.3 or kcsan-6.12 (got '$kname')" ;;
esac
kdir=$(vr_kernel_built "$kname") || vr_die "the $kname kernel is not built (scripts/build-kernel.sh)"
[ -e "$kdir/vmlinux" ] || vr_die "$kdir has no vmlinux"
# The module the log ran: the C module, or the Rust twin (scripts/build.sh
# --module rust builds it into build/kbuild/KERNEL-rust/rust).
mod=vmar_race ko="$VR_ROOT/build/kbuild/$kname"
if grep -aq 'Modules linked in:.*vmar_race_rs' "$log"; then
	mod=vmar_race_rs ko="$VR_ROOT/build/kbuild/$kname-rust/rust"
fi
[ -e "$ko/$mod.ko" ] || vr_die "no $mod.ko built for $kname in $ko"

# The first report: from its first line to its closing rule or end marker.
report=$(sed -E 's/^\[ *[0-9]+\.[0-9]+\] ?//' "$log" | awk '
	!on && /^(BUG: (KASAN|KCSAN)|Kernel panic - not syncing|WARNING: |kernel BUG at|Oops|general protection fault)/ { on = 1 }
	on { print }
	on && n++ > 0 && /^(====================|---\[ end )/ { exit }' || true)
[ -n "$report" ] || vr_die "no kernel report in $log"
# A frame whose return address is its function's end (+0xN/0xN) called a
# noreturn function (a Rust panic's unwrap_failed): decode the call, one
# byte back, not whatever follows the function.
report=$(perl -pe 's{\+0x([0-9a-f]+)/0x\1\b}{sprintf("+0x%x/0x%s", hex($1) - 1, $1)}e' <<<"$report")
decoded=$("$kdir/scripts/decode_stacktrace.sh" "$kdir/vmlinux" "$kdir" "$ko" <<<"$report" 2>/dev/null) ||
	vr_die "decode_stacktrace.sh failed on the report in $log"
if [ $all -eq 1 ]; then
	echo "$decoded"
else
	# Reliable module frames (not "? ..."), under the section of the report
	# they belong to (the access, the allocation, the free), with paths
	# relative to the module's source tree.
	sed "s|$ko/||g" <<<"$decoded" | awk -v mod="$mod" '
		/^(Allocated|Freed|Last potentially related) by|^(read|write).* to 0x|^Call Trace:/ { sec = $0 }
		$NF == mod && !/^\?/ {
			if (sec != last) { print "  " sec; last = sec }
			sub(" " mod "$", ""); print "    " $0
		}'
fi
