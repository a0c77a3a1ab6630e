#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh: the artefacts a test VM runs, built once: the module for one
# kernel (vmar_race.ko and, where the kernel has KUnit, vmar_race_kunit.ko;
# or the Rust twin, vmar_race_rs.ko) and the static selftests. scripts/vm.sh
# takes them (--ko, --selftests); make check builds each kernel's once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOT
usage: $0 [--kernel stock|debug|kcsan|debug-7.3] [--module c|rust]
Build what a test VM runs: the module for the kernel (default stock; the
test kernels must be built: scripts/build-kernel.sh) under
build/kbuild/, and the selftests under build/selftests/. Quick when up to
date. Prints two lines for scripts/vm.sh:
  ko=PATH         vmar_race.ko (vmar_race_kunit.ko beside it when the
                  kernel has KUnit), or vmar_race_rs.ko with --module rust
  selftests=DIR   the selftests
  --kernel K  the kernel to build the module for
  --module M  c: vmar_race.ko (default); rust: the Rust twin (debug-7.3)
  -h, --help  print this help and exit
Exit status: 0 built, 64 usage error (bad option or argument), 70 error
(kernel not built, build failure, warnings).
EOT
}
kernel=stock module=c
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || vr_usage_die "--kernel needs a value"; kernel=$2; shift 2 ;;
	--module) [ $# -ge 2 ] || vr_usage_die "--module needs a value"; module=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) vr_usage_die "unknown option '$1'" ;;
	esac
done
case "$module" in c|rust) ;; *) vr_usage_die "--module must be c or rust (got '$module')" ;; esac
read -r kname _ kdir < <(vr_kernel_resolve "$kernel") || exit $VR_EX_SOFTWARE
[ -n "${kname:-}" ] || exit $VR_EX_SOFTWARE
if [ "$module" = rust ]; then
	d=$(vr_build_rust_module "$kname" "$kdir") || exit $VR_EX_SOFTWARE
	echo "ko=$d/vmar_race_rs.ko"
else
	d=$(vr_build_module "$kname" "$kdir") || exit $VR_EX_SOFTWARE
	echo "ko=$d/vmar_race.ko"
fi
"$VR_ROOT/scripts/build-selftests.sh" >/dev/null || exit $VR_EX_SOFTWARE
echo "selftests=$VR_ROOT/build/selftests"
