# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the vmar_race scripts (sourced, not run).

VR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Slow artefacts (debug kernels, initramfs base) live outside the clone.
VR_CACHE=${VMAR_RACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmar_race}
VR_SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
# Bump when scripts/build-kernel.sh changes how a kernel is built.
VR_KERNEL_RECIPE=1

vr_die() { echo "${0##*/}: error: $*" >&2; exit 2; }
vr_say() { echo "${0##*/}: $*" >&2; }

# Stock Debian kernel version: the newest installed linux-image-*-amd64.
vr_stock_release() {
	local v
	v=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n1)
	[ -n "$v" ] || vr_die "no stock kernel in /boot; run scripts/deps.sh"
	echo "$v"
}

# Cache directory of a debug kernel flavour, keyed by source version and the
# fragments that configure it. Prints the path (existing or not).
vr_kernel_dir() {
	local flavour=$1 ver key
	ver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
		vr_die "linux-source-6.1 is not installed; run scripts/deps.sh"
	key=$(cat "$VR_ROOT/scripts/kconfig/base.config" \
		"$VR_ROOT/scripts/kconfig/$flavour.config" |
		{ cat; echo "recipe=$VR_KERNEL_RECIPE"; } | sha256sum | cut -c1-12)
	echo "$VR_CACHE/kernels/$flavour-6.1-$ver-$key"
}

# The parts of Debian's linux-source-6.1 the project uses at build time
# (checkpatch.pl, kselftest_harness.h, kunit.py), extracted once.
vr_linux_src() {
	local ver dir
	ver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
		vr_die "linux-source-6.1 is not installed; run scripts/deps.sh"
	dir="$VR_CACHE/src/linux-source-6.1-$ver"
	if [ ! -e "$dir/.complete" ]; then
		vr_say "extracting helpers from $VR_SRC_TARBALL (once) into $dir"
		rm -rf "$dir" && mkdir -p "$dir"
		tar -xJf "$VR_SRC_TARBALL" -C "$dir" --strip-components=1 \
			linux-source-6.1/scripts linux-source-6.1/tools/testing \
			linux-source-6.1/tools/include linux-source-6.1/Documentation/dev-tools \
			linux-source-6.1/include/uapi linux-source-6.1/Makefile ||
			vr_die "cannot extract $VR_SRC_TARBALL"
		touch "$dir/.complete"
	fi
	echo "$dir"
}

# Resolve a --kernel argument to "name bzImage kdir".
vr_kernel_resolve() {
	local k=$1 rel dir
	case "$k" in
	stock)
		rel=$(vr_stock_release)
		[ -d "/lib/modules/$rel/build" ] ||
			vr_die "no headers for $rel; run scripts/deps.sh"
		echo "stock /boot/vmlinuz-$rel /lib/modules/$rel/build"
		;;
	debug|kcsan)
		dir=$(vr_kernel_dir "$k")
		[ -e "$dir/.complete" ] ||
			vr_die "the $k kernel is not built yet: run scripts/build-kernel.sh $k (about 10 minutes)"
		echo "$k $dir/bzImage $dir"
		;;
	*)
		[ -f "$k" ] || vr_die "--kernel: no such bzImage: $k"
		dir=$(cd "$(dirname "$k")" && pwd)
		# A bzImage inside a built tree: build the module against that tree.
		while [ "$dir" != / ] && [ ! -e "$dir/Module.symvers" ]; do dir=$(dirname "$dir"); done
		[ "$dir" != / ] || vr_die "--kernel $k: no built kernel tree (Module.symvers) above it to build the module against"
		echo "custom $k $dir"
		;;
	esac
}

# Build vmar_race.ko (and vmar_race_kunit.ko when the tree has KUnit) for one
# kernel tree into build/kbuild/NAME/; prints that directory.
vr_build_module() {
	local name=$1 kdir=$2 out="$VR_ROOT/build/kbuild/$1"
	mkdir -p "$out"
	rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		"$VR_ROOT/Kbuild" "$VR_ROOT/module" "$out/" 2>/dev/null ||
		{ cp "$VR_ROOT/Kbuild" "$out/" && cp -r "$VR_ROOT/module" "$out/"; }
	make -s -C "$kdir" M="$out" W=1 modules >"$out/build.log" 2>&1 || {
		cat "$out/build.log" >&2
		vr_die "module build against $kdir failed"
	}
	if grep -q 'warning:' "$out/build.log"; then
		cat "$out/build.log" >&2
		vr_die "module build against $kdir has warnings"
	fi
	echo "$out"
}
