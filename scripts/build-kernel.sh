#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh FLAVOUR: build a test kernel from Debian's linux-source-6.1
# (tinyconfig + scripts/kconfig/base.config + scripts/kconfig/FLAVOUR.config),
# cached outside the clone. Prints the cache directory on stdout; it holds
# bzImage and a tree that out-of-tree modules build against.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 debug|kcsan [--force]" >&2; exit 2; }
[ $# -ge 1 ] || usage
flavour=$1
force=${2:-}
case "$flavour" in
debug|kcsan) ;;
*) usage ;;
esac
[ -z "$force" ] || [ "$force" = --force ] || usage
for tool in gcc make bc flex bison xz perl; do
	command -v "$tool" >/dev/null || vr_die "missing '$tool'; run scripts/deps.sh"
done
[ -e /usr/include/libelf.h ] || vr_die "missing libelf-dev; run scripts/deps.sh"
[ -r "$VR_SRC_TARBALL" ] || vr_die "missing $VR_SRC_TARBALL; run scripts/deps.sh"

dir=$(vr_kernel_dir "$flavour")
if [ -e "$dir/.complete" ] && [ -z "$force" ]; then
	vr_say "$flavour kernel cached in $dir"
	echo "$dir"
	exit 0
fi

start=$(date +%s)
rm -rf "$dir" && mkdir -p "$dir"
vr_say "[1/4] extracting linux-source-6.1 into $dir"
tar -xJf "$VR_SRC_TARBALL" -C "$dir" --strip-components=1
cd "$dir"
vr_say "[2/4] configuring: tinyconfig + base + $flavour"
make -s tinyconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config "$VR_ROOT/scripts/kconfig/base.config" \
	"$VR_ROOT/scripts/kconfig/$flavour.config" >/dev/null
make -s olddefconfig >/dev/null
# Every option the fragments ask for must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	if ! grep -qx "$line" .config; then
		echo "build-kernel.sh: $line did not take effect" >&2
		missing=1
	fi
done < <(cat "$VR_ROOT/scripts/kconfig/base.config" "$VR_ROOT/scripts/kconfig/$flavour.config")
[ $missing -eq 0 ] || vr_die "the $flavour fragment does not apply; see above"

jobs=$(nproc)
vr_say "[3/4] building bzImage and modules with -j$jobs (about 8-12 minutes on 2 cores)"
log="$dir/build.log"
make -j"$jobs" bzImage modules >"$log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 30
	kill -0 $pid 2>/dev/null || break
	vr_say "  ... $(( $(date +%s) - start ))s, $(grep -c '^  CC' "$log" || true) files compiled"
done
if ! wait $pid; then
	tail -n 30 "$log" >&2
	vr_die "kernel build failed; full log in $log"
fi
vr_say "[4/4] preparing the tree for external modules"
make -s modules_prepare >>"$log" 2>&1
cp arch/x86/boot/bzImage "$dir/bzImage"
touch "$dir/.complete"
vr_say "$flavour kernel built in $(( $(date +%s) - start ))s: $dir/bzImage"
echo "$dir"
