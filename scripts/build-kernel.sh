#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh FLAVOUR [SERIES]: build a test kernel from Debian's
# linux-source-SERIES (6.1, the default, 6.12 or 7.3: vr_fetch_series in lib.sh)
# with tinyconfig + scripts/kconfig/base.config + FLAVOUR.config (+
# SERIES.config and rust.config for 6.12 and 7.3), cached outside the clone. Prints the cache
# directory on stdout; it holds bzImage and a tree that out-of-tree modules
# build against. Exit status: 0 built (or cached), 64 usage error, 70 error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOT
usage: $0 debug|kcsan [6.1|6.12|7.3] [--force]
Build a test kernel (debug: KASAN, lockdep, kmemleak, failslab, ...; kcsan:
KCSAN) from Debian's linux-source-6.1 (the default), Debian 13's
linux-source-6.12 or its backport linux-source-7.3 (fetched once; both
with Rust, built with LLVM), with tinyconfig and the fragments in
scripts/kconfig/ (how long: docs/benchmarks.md), cached in
$VR_CACHE/kernels (a cached kernel returns at once).
Prints the cache directory (bzImage and a tree to build modules against) on
stdout.
  --force     build again even if cached
  -h, --help  print this help and exit
Exit status: 0 built or cached, 64 usage error (bad option or argument),
70 error (missing dependency, the fragments do not apply, build failure).
EOT
}
flavour= series=6.1 force=
for a in "$@"; do
	case "$a" in
	-h|--help) usage; exit 0 ;;
	esac
done
for a in "$@"; do
	case "$a" in
	debug|kcsan) [ -z "$flavour" ] || vr_usage_die "one flavour only (got $flavour and $a)"; flavour=$a ;;
	6.1|6.12|7.3) series=$a ;;
	--force) force=1 ;;
	*) vr_usage_die "unknown argument '$a'" ;;
	esac
done
[ -n "$flavour" ] || vr_usage_die "which kernel: debug or kcsan"
for tool in gcc make bc flex bison xz perl; do
	command -v "$tool" >/dev/null || vr_die "missing '$tool'; run scripts/deps.sh"
done
[ -e /usr/include/libelf.h ] || vr_die "missing libelf-dev; run scripts/deps.sh"
tarball=$(vr_src_tarball "$series")
[ -r "$tarball" ] || vr_die "missing $tarball; run scripts/deps.sh"
read -r -a frags <<<"$(vr_fragments "$flavour" "$series" | tr "\n" " ")"

dir=$(vr_kernel_dir "$flavour" "$series")
if [ -e "$dir/.complete" ] && [ -z "$force" ]; then
	vr_say "$flavour-$series kernel cached in $dir"
	echo "$dir"
	exit 0
fi

start=$(date +%s)
rm -rf "$dir" && mkdir -p "$dir"
vr_say "[1/4] extracting linux-source-$series into $dir"
tar -xJf "$tarball" -C "$dir" --strip-components=1
cd "$dir"
# 6.12 and 7.3 carry Rust: built with LLVM=1 in the trixie chroot (vr_kmake).
if vr_series_llvm "$series"; then
	vr_rust_root >/dev/null
	touch .llvm
fi
vr_say "[2/4] configuring: tinyconfig + ${frags[*]##*/}"
vr_kmake "$dir" -s tinyconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config "${frags[@]}" >/dev/null
vr_kmake "$dir" -s olddefconfig >/dev/null
# Every option the fragments ask for must have survived olddefconfig, but
# for one this tree does not define (7.3 folded PROC_SYSCTL into SYSCTL).
missing=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	if ! grep -qx "$line" .config; then
		name=${line%%=*}
		if ! grep -rqsx --include='Kconfig*' "config ${name#CONFIG_}" .; then
			vr_say "  $name is not an option of $series: skipped"
			continue
		fi
		echo "build-kernel.sh: $line did not take effect" >&2
		missing=1
	fi
done < <(cat "${frags[@]}")
[ $missing -eq 0 ] || vr_die "the $flavour fragments do not apply to $series; see above"

jobs=$(nproc)
vr_say "[3/4] building bzImage and modules with -j$jobs (the longest step; times in docs/benchmarks.md)"
log="$dir/build.log"
vr_kmake "$dir" -j"$jobs" bzImage modules >"$log" 2>&1 &
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
vr_kmake "$dir" -s modules_prepare >>"$log" 2>&1
cp arch/x86/boot/bzImage "$dir/bzImage"
touch "$dir/.complete"
vr_say "$flavour-$series kernel built in $(( $(date +%s) - start ))s: $dir/bzImage"
echo "$dir"
